//! Integration API keys: one row per key, found by its public prefix (`id`); the secret is
//! stored only as a keyed digest (`security::Keys::api_key_digest`).

use super::schema::{api_keys, units};
use super::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct ApiKeyRow {
    pub id: String,
    pub unit_id: i32,
    pub name: String,
    pub scopes: String,
    pub digest: String,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub struct NewApiKeyRow<'a> {
    pub id: &'a str,
    pub unit_id: i32,
    pub name: &'a str,
    pub scopes: &'a str,
    pub digest: &'a str,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewApiKeyRow) -> Result<(), DbError> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(new.id),
            api_keys::unit_id.eq(new.unit_id),
            api_keys::name.eq(new.name),
            api_keys::scopes.eq(new.scopes),
            api_keys::digest.eq(new.digest),
            api_keys::created_by.eq(new.created_by),
            api_keys::created_at.eq(new.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<ApiKeyRow>, DbError> {
    Ok(api_keys::table.find(id).first(conn).optional()?)
}

/// Every key with its unit's slug, newest first.
pub fn all(conn: &mut DbConnection) -> Result<Vec<(ApiKeyRow, String)>, DbError> {
    Ok(api_keys::table
        .inner_join(units::table)
        .select((api_keys::all_columns, units::slug))
        .order((api_keys::created_at.desc(), api_keys::id))
        .load(conn)?)
}

/// Marks the key revoked; `false` when there is no such key or it was revoked already.
pub fn revoke(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(api_keys::table.find(id).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(now))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Notes a use, unless one was noted since `unless_after`: one write a minute at most, not one
/// per request.
pub fn touch(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    unless_after: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(
        api_keys::table.find(id).filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(unless_after))),
    )
    .set(api_keys::last_used_at.eq(now))
    .execute(conn)?;
    Ok(())
}
