//! Proof images (SPEC §6a): a publication's proof, a follow-up action's evidence. Stored in the
//! database, so a backup, `export-all` and every instance have them; checked
//! (`domain::proof::ProofImage`) before they get here. Lists never read the bytes.

use super::schema::proof_images;
use super::{now_utc, DbConnection, DbError};
use crate::domain::proof::ProofImage;
use diesel::prelude::*;

/// A stored image, as served back.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StoredImage {
    pub content_type: String,
    pub data: Vec<u8>,
}

pub fn insert(conn: &mut DbConnection, image: &ProofImage, uploaded_by: Option<i32>) -> Result<i32, DbError> {
    Ok(diesel::insert_into(proof_images::table)
        .values((
            proof_images::content_type.eq(image.kind.content_type()),
            proof_images::data.eq(&image.bytes),
            proof_images::uploaded_by.eq(uploaded_by),
            proof_images::uploaded_at.eq(now_utc()),
        ))
        .returning(proof_images::id)
        .get_result(conn)?)
}

pub fn get(conn: &mut DbConnection, id: i32) -> Result<StoredImage, DbError> {
    Ok(proof_images::table.find(id).select((proof_images::content_type, proof_images::data)).first(conn)?)
}

pub fn delete(conn: &mut DbConnection, id: i32) -> Result<(), DbError> {
    diesel::delete(proof_images::table.find(id)).execute(conn)?;
    Ok(())
}
