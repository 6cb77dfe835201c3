//! Accounts: admins, unit heads and operators, each scoped to units.

use super::schema::{user_units, users};
use super::{now_utc, DbConnection, DbError};
use crate::domain::names::Role;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub email_opt_out: bool,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<chrono::NaiveDateTime>,
    pub session_epoch: i32,
    pub created_at: chrono::NaiveDateTime,
}

/// The stored hash of a user who has no password yet (invited, not accepted): no password
/// verifies against it (migration `2026-12-03-000001_invitations`).
pub const NO_PASSWORD: &str = "";

impl User {
    /// False for an invited user who has not set their password yet.
    pub fn has_password(&self) -> bool {
        self.password_hash != NO_PASSWORD
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub unit_ids: &'a [i32],
}

pub fn create(conn: &mut DbConnection, new: &NewUser) -> Result<User, DbError> {
    conn.transaction(|conn| {
        let id = diesel::insert_into(users::table)
            .values((
                users::email.eq(new.email),
                users::name.eq(new.name),
                users::password_hash.eq(new.password_hash),
                users::role.eq(new.role.as_str()),
                users::email_opt_out.eq(false),
                users::disabled.eq(false),
                users::failed_logins.eq(0),
                users::session_epoch.eq(0),
                users::created_at.eq(now_utc()),
            ))
            .returning(users::id)
            .get_result::<i32>(conn)
            .map_err(|e| match DbError::from(e) {
                DbError::Conflict(_) => DbError::Conflict(format!("a user with e-mail '{}' already exists", new.email)),
                other => other,
            })?;
        for unit_id in new.unit_ids {
            diesel::insert_into(user_units::table)
                .values((user_units::user_id.eq(id), user_units::unit_id.eq(unit_id)))
                .execute(conn)?;
        }
        Ok(users::table.find(id).select(User::as_select()).first(conn)?)
    })
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn by_email(conn: &mut DbConnection, email: &str) -> Result<User, DbError> {
    Ok(users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn)?)
}

pub fn unit_ids_of(conn: &mut DbConnection, user_id: i32) -> Result<Vec<i32>, DbError> {
    Ok(user_units::table.filter(user_units::user_id.eq(user_id)).select(user_units::unit_id).load(conn)?)
}

pub fn by_id(conn: &mut DbConnection, id: i32) -> Result<User, DbError> {
    Ok(users::table.find(id).select(User::as_select()).first(conn)?)
}

/// Records a failed login; from the fifth in a row the account locks, for 15 minutes doubling
/// with each further failure (at most a day).
pub fn record_failure(conn: &mut DbConnection, user: &User, now: chrono::NaiveDateTime) -> Result<(), DbError> {
    // Counted in SQL: parallel wrong guesses must each count.
    let failures: i32 = diesel::update(users::table.find(user.id))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .returning(users::failed_logins)
        .get_result(conn)?;
    let locked_until = (failures >= LOCK_AFTER).then(|| {
        let minutes = 15i64 << (failures - LOCK_AFTER).min(7);
        now + chrono::Duration::minutes(minutes.min(24 * 60))
    });
    if locked_until.is_some() {
        diesel::update(users::table.find(user.id)).set(users::locked_until.eq(locked_until)).execute(conn)?;
    }
    Ok(())
}

pub const LOCK_AFTER: i32 = 5;

pub fn record_success(conn: &mut DbConnection, user_id: i32) -> Result<(), DbError> {
    diesel::update(users::table.find(user_id))
        .set((users::failed_logins.eq(0), users::locked_until.eq(None::<chrono::NaiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// A new password ends every existing session (their cookies carry the old epoch).
pub fn set_password(conn: &mut DbConnection, user_id: i32, password_hash: &str) -> Result<(), DbError> {
    diesel::update(users::table.find(user_id))
        .set((users::password_hash.eq(password_hash), users::session_epoch.eq(users::session_epoch + 1)))
        .execute(conn)?;
    Ok(())
}

/// Every user with the slugs of their units, for the admin page.
pub fn list_with_units(conn: &mut DbConnection) -> Result<Vec<(User, Vec<String>)>, DbError> {
    use super::schema::units;
    let all: Vec<User> = users::table.order(users::email.asc()).select(User::as_select()).load(conn)?;
    let links: Vec<(i32, String)> =
        user_units::table.inner_join(units::table).select((user_units::user_id, units::slug)).load(conn)?;
    Ok(all
        .into_iter()
        .map(|u| {
            let slugs = links.iter().filter(|(id, _)| *id == u.id).map(|(_, s)| s.clone()).collect();
            (u, slugs)
        })
        .collect())
}

/// Ends every session of the user (their cookies carry the old epoch).
pub fn end_sessions(conn: &mut DbConnection, user_id: i32) -> Result<(), DbError> {
    diesel::update(users::table.find(user_id)).set(users::session_epoch.eq(users::session_epoch + 1)).execute(conn)?;
    Ok(())
}

pub fn set_email_opt_out(conn: &mut DbConnection, user_id: i32, opt_out: bool) -> Result<(), DbError> {
    diesel::update(users::table.find(user_id)).set(users::email_opt_out.eq(opt_out)).execute(conn)?;
    Ok(())
}

/// A user's name, role and units (the units replace the old ones). Their sessions stay: each
/// request reads the role and the units afresh.
pub fn update(conn: &mut DbConnection, id: i32, name: &str, role: Role, unit_ids: &[i32]) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::update(users::table.find(id))
            .set((users::name.eq(name), users::role.eq(role.as_str())))
            .execute(conn)?;
        diesel::delete(user_units::table.filter(user_units::user_id.eq(id))).execute(conn)?;
        for unit_id in unit_ids {
            diesel::insert_into(user_units::table)
                .values((user_units::user_id.eq(id), user_units::unit_id.eq(unit_id)))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Disables an account (it cannot sign in, and every session ends) or enables it again.
pub fn set_disabled(conn: &mut DbConnection, id: i32, disabled: bool) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((users::disabled.eq(disabled), users::session_epoch.eq(users::session_epoch + 1)))
        .execute(conn)?;
    Ok(())
}
