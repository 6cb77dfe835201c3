//! One-time links to set a new password, made by an admin. Only the token's digest is stored.

use super::schema::password_resets;
use super::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: i32,
    pub user_id: i32,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Revokes the user's links that are neither used nor revoked yet; returns how many.
pub fn revoke_open(conn: &mut DbConnection, user_id: i32, now: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::update(
        password_resets::table.filter(
            password_resets::user_id
                .eq(user_id)
                .and(password_resets::used_at.is_null())
                .and(password_resets::revoked_at.is_null()),
        ),
    )
    .set(password_resets::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

pub fn create(
    conn: &mut DbConnection,
    user_id: i32,
    token_hash: &str,
    created_by: Option<i32>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user_id),
            password_resets::token_hash.eq(token_hash),
            password_resets::created_by.eq(created_by),
            password_resets::created_at.eq(now),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_hash(conn: &mut DbConnection, token_hash: &str) -> Result<Option<PasswordReset>, DbError> {
    Ok(password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .select(PasswordReset::as_select())
        .get_result(conn)
        .optional()?)
}

/// Marks the link used if it is still usable at `now`, in one statement (two browsers sending
/// the same link: one wins); returns its user, or `None` when it was not usable.
pub fn consume(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> Result<Option<i32>, DbError> {
    Ok(diesel::update(
        password_resets::table.filter(
            password_resets::token_hash
                .eq(token_hash)
                .and(password_resets::used_at.is_null())
                .and(password_resets::revoked_at.is_null())
                .and(password_resets::expires_at.gt(now)),
        ),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .returning(password_resets::user_id)
    .get_result(conn)
    .optional()?)
}
