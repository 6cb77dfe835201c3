//! Signing in: password check with lockout, and what a signed-in user may see.

use crate::db::users::{self, User};
use crate::db::{units, DbConnection, DbError};
use crate::domain::names::Role;
use crate::password;
use std::sync::OnceLock;

#[derive(Debug)]
pub enum LoginOutcome {
    Ok(User),
    /// wrong e-mail or password, or a locked account: never which (a locked account answering
    /// differently would tell which e-mail addresses have accounts)
    Refused,
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
    if attempt(conn, &user, secret, now)? {
        Ok(LoginOutcome::Ok(user))
    } else {
        Ok(LoginOutcome::Refused)
    }
}

/// Whether `secret` is the current password of the user `user_id` (a signed-in user confirming
/// a change): the same lockout as signing in, so a stolen session cannot guess the password.
pub fn confirm_password(
    conn: &mut DbConnection,
    user_id: i32,
    secret: &str,
    now: chrono::NaiveDateTime,
) -> Result<bool, DbError> {
    let user = users::by_id(conn, user_id)?;
    attempt(conn, &user, secret, now)
}

/// One password attempt against the lockout. The password is verified whatever the account's
/// state (locked, disabled, invited without a password yet: against the dummy hash), so timing
/// tells none of them apart from a wrong password. A failure counts toward the lock; attempts
/// while locked are refused without counting (the lock already holds them off), a success
/// clears the count.
fn attempt(conn: &mut DbConnection, user: &User, secret: &str, now: chrono::NaiveDateTime) -> Result<bool, DbError> {
    let verified = if user.has_password() {
        password::verify(secret, &user.password_hash)
    } else {
        password::verify(secret, dummy_hash());
        false
    };
    if user.locked_until.is_some_and(|until| until > now) {
        return Ok(false);
    }
    if user.disabled || !verified {
        users::record_failure(conn, user, now)?;
        return Ok(false);
    }
    users::record_success(conn, user.id)?;
    Ok(true)
}

/// The units a user may act on: their units and all below them; every unit for an admin. In a
/// province or national deployment (the tree has a province or the nation, issue 21) an admin
/// given units — a regency's or a province's admin — is held to their subtrees like everyone
/// else, and the second value says so; an admin of no unit is the deployment's. A one-regency
/// database keeps its admins as they were, whatever units they were given.
pub fn unit_scope(conn: &mut DbConnection, user: &User) -> Result<(UnitScope, bool), DbError> {
    let roots = users::unit_ids_of(conn, user.id)?;
    if user.role == Role::Admin.as_str() && (roots.is_empty() || !units::has_tenants_above_regency(conn)?) {
        return Ok((UnitScope::All, false));
    }
    let mut seen = std::collections::HashSet::new();
    let mut scope = Vec::new();
    for root in roots {
        // per root, level by level: a regency's head reads their ~90 units, not the nation's tree
        for id in units::subtree_ids(conn, root)? {
            if seen.insert(id) {
                scope.push(id);
            }
        }
    }
    Ok((UnitScope::Units(scope), true))
}

/// The units a signed-in user may act on. Every unit is not a list: a national tree's 50,000
/// ids were read on each request of its admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitScope {
    All,
    Units(Vec<i32>),
}

impl UnitScope {
    pub fn contains(&self, unit_id: i32) -> bool {
        match self {
            UnitScope::All => true,
            UnitScope::Units(ids) => ids.contains(&unit_id),
        }
    }

    /// The units, when not all of them.
    pub fn ids(&self) -> Option<&[i32]> {
        match self {
            UnitScope::All => None,
            UnitScope::Units(ids) => Some(ids),
        }
    }
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
        // the admin of a province (or of the nation) in a larger deployment lands on its ranking
        Some(Role::Admin) => match users::unit_ids_of(conn, user.id)?.as_slice() {
            [only] => {
                let unit = units::by_id(conn, *only)?;
                Ok(match unit.kind.as_str() {
                    "nation" | "province" => format!("/dasbor/wilayah/{}", unit.slug),
                    _ => "/dasbor".to_string(),
                })
            }
            _ => Ok("/dasbor".to_string()),
        },
        _ => Ok("/dasbor".to_string()),
    }
}
