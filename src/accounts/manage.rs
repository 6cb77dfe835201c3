//! Correcting an account: its name, role and units; disabling it and enabling it again. The
//! rules of `skm user …` and the `/admin` user forms.

use super::users::{unit_ids, UserError};
use crate::db::users::{self as stored, User};
use crate::db::{audit, password_resets, DbConnection, DbError};
use crate::domain::names::Role;
use diesel::Connection;

/// A correction of a user. The address stays: it is how they sign in.
#[derive(Debug, Clone)]
pub struct UserEdit {
    /// the user's e-mail address
    pub user: String,
    pub name: String,
    pub role: Role,
    /// slugs of the units the user works for (replacing the ones they had)
    pub units: Vec<String>,
}

/// Corrects a user's name, role and units; audited with what changed. An admin cannot take away
/// their own admin role (`actor` is the admin making the change, `None` for the command line).
pub fn edit_user(conn: &mut DbConnection, actor: Option<i32>, edit: UserEdit) -> Result<User, UserError> {
    if edit.role != Role::Admin && edit.units.is_empty() {
        return Err(UserError::UnitMissing(edit.role));
    }
    let name = edit.name.trim();
    if name.is_empty() {
        return Err(UserError::NameEmpty);
    }
    conn.transaction(|conn| {
        let user = existing_user(conn, &edit.user)?;
        if actor == Some(user.id) && edit.role != Role::Admin {
            return Err(UserError::OwnAdminRole);
        }
        let unit_ids = unit_ids(conn, &edit.units)?;
        let before = stored::unit_ids_of(conn, user.id)?;
        stored::update(conn, user.id, name, edit.role, &unit_ids)?;
        let mut changes = Vec::new();
        if user.name != name {
            changes.push(format!("name '{}' → '{name}'", user.name));
        }
        if user.role != edit.role.as_str() {
            changes.push(format!("role {} → {}", user.role, edit.role));
        }
        let (mut was, mut now) = (before, unit_ids);
        was.sort_unstable();
        now.sort_unstable();
        if was != now {
            let units = if edit.units.is_empty() { "none".to_string() } else { edit.units.join(", ") };
            changes.push(format!("units → {units}"));
        }
        let changes = if changes.is_empty() { "no change".to_string() } else { changes.join(", ") };
        audit::record(conn, actor, "user.edit", &format!("edited {}: {changes}", user.email))?;
        Ok(stored::by_id(conn, user.id)?)
    })
}

/// Disables an account (`enabled = false`: it cannot sign in, its sessions end, its open reset
/// links are revoked) or enables it again. Its data (follow-up actions, the audit trail) stays.
/// An admin cannot disable their own account.
pub fn set_enabled(
    conn: &mut DbConnection,
    actor: Option<i32>,
    email: &str,
    enabled: bool,
    now: chrono::NaiveDateTime,
) -> Result<(), UserError> {
    conn.transaction(|conn| {
        let user = existing_user(conn, email)?;
        if !enabled && actor == Some(user.id) {
            return Err(UserError::OwnAccount);
        }
        stored::set_disabled(conn, user.id, !enabled)?;
        if !enabled {
            password_resets::revoke_open(conn, user.id, now)?;
        }
        let (action, what) = if enabled { ("user.enable", "enabled") } else { ("user.disable", "disabled") };
        audit::record(conn, actor, action, &format!("{what} {}", user.email))?;
        Ok(())
    })
}

/// The account an admin form or a flag names by its address (any case).
pub(super) fn existing_user(conn: &mut DbConnection, email: &str) -> Result<User, UserError> {
    match stored::by_email(conn, &crate::domain::email::normalize(email)) {
        Ok(user) => Ok(user),
        Err(DbError::NotFound | DbError::NotText(_)) => Err(UserError::UserUnknown(email.trim().to_string())),
        Err(other) => Err(other.into()),
    }
}
