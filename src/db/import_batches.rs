//! The files imported into each unit, by the SHA-256 of their bytes, so the same file uploaded
//! again is noticed (and imported again only when the person confirms).

use super::schema::{import_batches, users};
use super::{DbConnection, DbError};
use diesel::prelude::*;

/// An earlier import of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportBatch {
    /// UTC
    pub imported_at: chrono::NaiveDateTime,
    /// the name of the user who imported it; `None` for the command line
    pub imported_by: Option<String>,
    pub row_count: i32,
}

pub struct NewBatch<'a> {
    pub unit_id: i32,
    /// lowercase hex SHA-256 of the file's bytes
    pub content_hash: &'a str,
    pub imported_at: chrono::NaiveDateTime,
    pub imported_by: Option<i32>,
    pub row_count: i32,
    pub channel: &'a str,
}

pub fn record(conn: &mut DbConnection, batch: &NewBatch) -> Result<(), DbError> {
    diesel::insert_into(import_batches::table)
        .values((
            import_batches::unit_id.eq(batch.unit_id),
            import_batches::content_hash.eq(batch.content_hash),
            import_batches::imported_at.eq(batch.imported_at),
            import_batches::imported_by.eq(batch.imported_by),
            import_batches::row_count.eq(batch.row_count),
            import_batches::channel.eq(batch.channel),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest import of the file with this hash into the unit, if any.
pub fn latest(conn: &mut DbConnection, unit_id: i32, content_hash: &str) -> Result<Option<ImportBatch>, DbError> {
    let found = import_batches::table
        .left_join(users::table)
        .filter(import_batches::unit_id.eq(unit_id))
        .filter(import_batches::content_hash.eq(content_hash))
        .order((import_batches::imported_at.desc(), import_batches::id.desc()))
        .select((import_batches::imported_at, users::name.nullable(), import_batches::row_count))
        .first::<(chrono::NaiveDateTime, Option<String>, i32)>(conn)
        .optional()?;
    Ok(found.map(|(imported_at, imported_by, row_count)| ImportBatch { imported_at, imported_by, row_count }))
}
