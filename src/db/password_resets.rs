//! One-time links to set a password: reset links an admin makes, and invitations a new user
//! sets their first password with. Only the token's digest is stored.

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
    /// `LinkPurpose::as_str`
    pub purpose: String,
}

/// What a link is for: the same rules, different words on the page and in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// a new password for a user who forgot theirs
    Reset,
    /// the first password of an invited user
    Invitation,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Reset => "reset",
            LinkPurpose::Invitation => "invitation",
        }
    }

    /// The stored text; anything unknown reads as a reset (the column's default).
    pub fn from_stored(text: &str) -> LinkPurpose {
        if text == LinkPurpose::Invitation.as_str() {
            LinkPurpose::Invitation
        } else {
            LinkPurpose::Reset
        }
    }
}

impl PasswordReset {
    pub fn purpose(&self) -> LinkPurpose {
        LinkPurpose::from_stored(&self.purpose)
    }
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

/// Revokes the user's open links of one purpose; returns how many.
pub fn revoke_open_of(
    conn: &mut DbConnection,
    user_id: i32,
    purpose: LinkPurpose,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        password_resets::table.filter(
            password_resets::user_id
                .eq(user_id)
                .and(password_resets::purpose.eq(purpose.as_str()))
                .and(password_resets::used_at.is_null())
                .and(password_resets::revoked_at.is_null()),
        ),
    )
    .set(password_resets::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

/// The links of one purpose still usable at `now`: (user id, expiry), for the admin page.
pub fn usable(
    conn: &mut DbConnection,
    purpose: LinkPurpose,
    now: NaiveDateTime,
) -> Result<Vec<(i32, NaiveDateTime)>, DbError> {
    Ok(password_resets::table
        .filter(
            password_resets::purpose
                .eq(purpose.as_str())
                .and(password_resets::used_at.is_null())
                .and(password_resets::revoked_at.is_null())
                .and(password_resets::expires_at.gt(now)),
        )
        .select((password_resets::user_id, password_resets::expires_at))
        .load(conn)?)
}

pub struct NewLink<'a> {
    pub user_id: i32,
    pub token_hash: &'a str,
    pub purpose: LinkPurpose,
    pub created_by: Option<i32>,
    pub now: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConnection, link: &NewLink) -> Result<(), DbError> {
    let NewLink { user_id, token_hash, purpose, created_by, now, expires_at } = *link;
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user_id),
            password_resets::purpose.eq(purpose.as_str()),
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
/// the same link: one wins); returns its user and purpose, or `None` when it was not usable.
pub fn consume(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<(i32, LinkPurpose)>, DbError> {
    let spent: Option<(i32, String)> = diesel::update(
        password_resets::table.filter(
            password_resets::token_hash
                .eq(token_hash)
                .and(password_resets::used_at.is_null())
                .and(password_resets::revoked_at.is_null())
                .and(password_resets::expires_at.gt(now)),
        ),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .returning((password_resets::user_id, password_resets::purpose))
    .get_result(conn)
    .optional()?;
    Ok(spent.map(|(user_id, purpose)| (user_id, LinkPurpose::from_stored(&purpose))))
}
