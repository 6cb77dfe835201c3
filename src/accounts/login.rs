//! Signing in: password check with lockout, and what a signed-in user may see.

use crate::db::users::{self, User};
use crate::db::{units, DbConnection, DbError};
use crate::domain::names::Role;
use crate::password;
use std::sync::OnceLock;

#[derive(Debug)]
pub enum LoginOutcome {
    Ok(User),
    /// wrong e-mail or password (never which of the two)
    Refused,
    Locked {
        until: chrono::NaiveDateTime,
    },
}

/// A hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash("dummy password for timing").unwrap_or_default())
}

pub fn login(
    conn: &mut DbConnection,
    email: &str,
    secret: &str,
    now: chrono::NaiveDateTime,
) -> Result<LoginOutcome, DbError> {
    // normalised, not parsed: accounts made before the dotted-domain rule still sign in
    let user = match users::by_email(conn, &crate::domain::email::normalize(email)) {
        Ok(user) => user,
        // an address no account can have (one with a NUL) is simply not found
        Err(DbError::NotFound | DbError::NotText(_)) => {
            password::verify(secret, dummy_hash());
            return Ok(LoginOutcome::Refused);
        }
        Err(other) => return Err(other),
    };
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        return Ok(LoginOutcome::Locked { until });
    }
    // verified even for a disabled account, so timing does not tell which accounts are disabled;
    // an invited user without a password yet is checked against the dummy hash, and refused
    // (and counted) as a wrong password is
    let verified = if user.has_password() {
        password::verify(secret, &user.password_hash)
    } else {
        password::verify(secret, dummy_hash());
        false
    };
    if user.disabled || !verified {
        users::record_failure(conn, &user, now)?;
        return Ok(LoginOutcome::Refused);
    }
    users::record_success(conn, user.id)?;
    Ok(LoginOutcome::Ok(user))
}

/// The units a user may act on: every unit for an admin, else their units and all below them.
pub fn unit_scope(conn: &mut DbConnection, user: &User) -> Result<Vec<i32>, DbError> {
    if user.role == Role::Admin.as_str() {
        return Ok(units::list(conn)?.into_iter().map(|u| u.id).collect());
    }
    let mut scope = Vec::new();
    for root in users::unit_ids_of(conn, user.id)? {
        for id in units::subtree_ids(conn, root)? {
            if !scope.contains(&id) {
                scope.push(id);
            }
        }
    }
    Ok(scope)
}

/// Where a user lands after signing in without a page to return to: the head of one unit on
/// that unit's dashboard (what to fix first, issue 17), operators on their data-entry page,
/// everyone else on the regency dashboard.
pub fn landing(conn: &mut DbConnection, user: &User) -> Result<String, DbError> {
    let role = user.role.parse::<Role>().ok();
    match role {
        Some(Role::Operator) => Ok("/operator".to_string()),
        Some(Role::UnitHead) => match users::unit_ids_of(conn, user.id)?.as_slice() {
            [only] => Ok(format!("/dasbor/unit/{}", units::by_id(conn, *only)?.slug)),
            _ => Ok("/dasbor".to_string()),
        },
        _ => Ok("/dasbor".to_string()),
    }
}
