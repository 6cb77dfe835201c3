//! Setup workbooks uploaded on `/admin`, kept by their SHA-256 digest between the preview and
//! the confirmation, so the file applied is the file previewed. Stored as base64 text, which
//! both backends and `skm export-all` carry alike.

use super::schema::setup_uploads;
use super::{DbConnection, DbError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::prelude::*;

/// Keeps an upload (the same file twice is kept once).
pub fn save(
    conn: &mut DbConnection,
    digest: &str,
    content: &[u8],
    uploaded_by: Option<i32>,
    now: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let known = setup_uploads::table.find(digest).count().get_result::<i64>(conn)? > 0;
        if !known {
            diesel::insert_into(setup_uploads::table)
                .values((
                    setup_uploads::digest.eq(digest),
                    setup_uploads::content.eq(STANDARD.encode(content)),
                    setup_uploads::uploaded_by.eq(uploaded_by),
                    setup_uploads::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The upload's bytes, `None` when it is unknown (applied already, or removed as stale).
pub fn load(conn: &mut DbConnection, digest: &str) -> Result<Option<Vec<u8>>, DbError> {
    let stored: Option<String> =
        setup_uploads::table.find(digest).select(setup_uploads::content).first(conn).optional()?;
    Ok(stored.and_then(|text| STANDARD.decode(text).ok()))
}

pub fn remove(conn: &mut DbConnection, digest: &str) -> Result<(), DbError> {
    diesel::delete(setup_uploads::table.find(digest)).execute(conn)?;
    Ok(())
}

/// Removes uploads made before `before` (previews nobody confirmed).
pub fn remove_older_than(conn: &mut DbConnection, before: chrono::NaiveDateTime) -> Result<(), DbError> {
    diesel::delete(setup_uploads::table.filter(setup_uploads::created_at.lt(before))).execute(conn)?;
    Ok(())
}
