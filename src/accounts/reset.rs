//! Password reset links an admin makes for a user who forgot their password (`/admin`, `skm user
//! reset-link`): a one-time secret, valid for 24 hours, of which only the digest is stored. A
//! newer link revokes the older ones, and disabling the account revokes them all. Invitations
//! (`accounts::invite`) are links of the same kind and are accepted here too.

use super::manage::existing_user;
use super::users::UserError;
use crate::db::password_resets::{self, LinkPurpose, NewLink};
use crate::db::users::{self as stored, User};
use crate::db::{audit, DbConnection, DbError};
use crate::password::{self, PasswordError};
use crate::security::{random_token, token_digest};
use chrono::NaiveDateTime;
use diesel::Connection;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// How long a link can be used.
pub const RESET_VALID_HOURS: i64 = 24;

/// A new link's secret, shown once to the admin (the page or the command's output) or mailed to
/// the user, and never stored.
#[derive(Debug)]
pub struct ResetLink {
    pub user: User,
    pub token: SecretString,
    pub expires_at: NaiveDateTime,
}

/// Why a link no longer sets a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LinkProblem {
    #[error("no such link")]
    Unknown,
    #[error("the link was already used")]
    Used,
    #[error("the link has expired")]
    Expired,
    /// a newer link was made, or the account was disabled
    #[error("the link was revoked")]
    Revoked,
}

impl LinkProblem {
    /// Stable name, for translation keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            LinkProblem::Unknown => "unknown",
            LinkProblem::Used => "used",
            LinkProblem::Expired => "expired",
            LinkProblem::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Error)]
pub enum ResetError {
    #[error(transparent)]
    Link(LinkProblem),
    #[error("the password must have at least {} characters", password::MIN_LENGTH)]
    PasswordTooShort,
    #[error("could not hash the password: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ResetError {
    fn from(err: diesel::result::Error) -> Self {
        ResetError::Db(err.into())
    }
}

/// Makes a link for the account with address `email`, revoking its older links; audited (never
/// with the secret). A disabled account gets none.
pub fn reset_link(
    conn: &mut DbConnection,
    actor: Option<i32>,
    email: &str,
    now: NaiveDateTime,
) -> Result<ResetLink, UserError> {
    conn.transaction(|conn| {
        let user = existing_user(conn, email)?;
        new_link(conn, actor, user, LinkPurpose::Reset, RESET_VALID_HOURS, now)
    })
}

/// A new link of `purpose`, valid for `hours`, for an enabled account, revoking its older open
/// links (of either purpose: one link at a time sets the password); audited without the secret.
pub(super) fn new_link(
    conn: &mut DbConnection,
    actor: Option<i32>,
    user: User,
    purpose: LinkPurpose,
    hours: i64,
    now: NaiveDateTime,
) -> Result<ResetLink, UserError> {
    if user.disabled {
        return Err(UserError::Disabled(user.email));
    }
    let (action, what) = match purpose {
        LinkPurpose::Reset => ("user.reset_link", "a password reset link"),
        LinkPurpose::Invitation => ("user.invite", "an invitation"),
    };
    let token = random_token();
    let expires_at = now + chrono::Duration::hours(hours);
    let revoked = password_resets::revoke_open(conn, user.id, now)?;
    let link =
        NewLink { user_id: user.id, token_hash: &token_digest(&token), purpose, created_by: actor, now, expires_at };
    password_resets::create(conn, &link)?;
    let older = if revoked > 0 { format!(", revoking {revoked} older") } else { String::new() };
    let detail = format!("made {what} for {} valid until {expires_at} UTC{older}", user.email);
    audit::record(conn, actor, action, &detail)?;
    Ok(ResetLink { user, token: SecretString::from(token), expires_at })
}

/// What a link would do: set the password of `outcome`'s account, or why it would not; and
/// what the link is for (a reset, for a link nobody made), so the page can word it.
#[derive(Debug)]
pub struct LinkCheck {
    pub purpose: LinkPurpose,
    pub outcome: Result<User, LinkProblem>,
}

/// The account a link (a reset link or an invitation) would set the password of, or why it
/// would not.
pub fn reset_target(conn: &mut DbConnection, token: &str, now: NaiveDateTime) -> Result<LinkCheck, DbError> {
    let Some(link) = password_resets::by_hash(conn, &token_digest(token))? else {
        return Ok(LinkCheck { purpose: LinkPurpose::Reset, outcome: Err(LinkProblem::Unknown) });
    };
    let user = stored::by_id(conn, link.user_id)?;
    let outcome = if link.used_at.is_some() {
        Err(LinkProblem::Used)
    } else if link.revoked_at.is_some() || user.disabled {
        Err(LinkProblem::Revoked)
    } else if link.expires_at <= now {
        Err(LinkProblem::Expired)
    } else {
        Ok(user)
    };
    Ok(LinkCheck { purpose: link.purpose(), outcome })
}

/// Sets the account's new password with a link (a reset link or an invitation), once: the link
/// is spent, every session of the account ends, a lockout is lifted; audited as the user's own
/// act.
pub fn reset_password(
    conn: &mut DbConnection,
    token: &str,
    new_password: &SecretString,
    now: NaiveDateTime,
) -> Result<User, ResetError> {
    // checked before hashing: argon2 is slow by design, and this is a public page
    reset_target(conn, token, now)?.outcome.map_err(ResetError::Link)?;
    let hash = password::hash(new_password.expose_secret()).map_err(|e| match e {
        PasswordError::TooShort => ResetError::PasswordTooShort,
        PasswordError::Hash(reason) => ResetError::Hashing(reason),
    })?;
    conn.transaction(|conn| {
        let Some((user_id, purpose)) = password_resets::consume(conn, &token_digest(token), now)? else {
            // spent or revoked meanwhile
            let problem = reset_target(conn, token, now)?.outcome.err().unwrap_or(LinkProblem::Used);
            return Err(ResetError::Link(problem));
        };
        stored::set_password(conn, user_id, &hash)?;
        stored::record_success(conn, user_id)?;
        let (action, detail) = match purpose {
            LinkPurpose::Reset => ("user.password_reset", "set a new password with a reset link"),
            LinkPurpose::Invitation => ("user.invitation_accepted", "accepted the invitation and set a password"),
        };
        audit::record(conn, Some(user_id), action, detail)?;
        Ok(stored::by_id(conn, user_id)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{add_user, set_enabled, NewUser};
    use crate::domain::email::Email;
    use crate::domain::names::Role;
    use diesel::sqlite::SqliteConnection;

    fn database_with_admin() -> DbConnection {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        crate::db::migrate(&mut conn).expect("migrate");
        let new = NewUser {
            email: Email::parse("admin@kutaitimurkab.go.id").expect("email"),
            name: "Admin".into(),
            role: Role::Admin,
            units: Vec::new(),
            password: Some(SecretString::from("sandi-awal-panjang")),
        };
        add_user(&mut conn, None, new).expect("admin");
        conn
    }

    fn at(hours: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_790_000_000 + hours * 3600, 0).expect("time").naive_utc()
    }

    #[test]
    fn a_link_sets_the_password_once_within_a_day_and_a_newer_link_or_disabling_revokes_it() {
        let mut conn = database_with_admin();
        let email = "ADMIN@kutaitimurkab.go.id";
        let new = SecretString::from("sandi-baru-yang-panjang");
        let first = reset_link(&mut conn, None, email, at(0)).expect("a link");
        assert_eq!(first.expires_at, at(24));
        let second = reset_link(&mut conn, None, email, at(1)).expect("a newer link");
        let token = |link: &ResetLink| link.token.expose_secret().to_string();
        assert_eq!(
            reset_target(&mut conn, &token(&first), at(1)).expect("db").outcome.err(),
            Some(LinkProblem::Revoked)
        );
        let short = reset_password(&mut conn, &token(&second), &SecretString::from("pendek"), at(2));
        assert!(matches!(short, Err(ResetError::PasswordTooShort)), "{short:?}");
        let late = reset_password(&mut conn, &token(&second), &new, at(25));
        assert!(matches!(late, Err(ResetError::Link(LinkProblem::Expired))), "{late:?}");
        let user = reset_password(&mut conn, &token(&second), &new, at(2)).expect("set");
        assert!(password::verify("sandi-baru-yang-panjang", &user.password_hash));
        let again = reset_password(&mut conn, &token(&second), &new, at(3));
        assert!(matches!(again, Err(ResetError::Link(LinkProblem::Used))), "{again:?}");
        let unknown = reset_target(&mut conn, "no-such-token", at(3)).expect("db");
        assert_eq!(unknown.outcome.err(), Some(LinkProblem::Unknown));

        let third = reset_link(&mut conn, None, email, at(4)).expect("a third link");
        set_enabled(&mut conn, None, email, false, at(5)).expect("disabled");
        assert_eq!(
            reset_target(&mut conn, &token(&third), at(5)).expect("db").outcome.err(),
            Some(LinkProblem::Revoked)
        );
        let refused = reset_link(&mut conn, None, email, at(6)).expect_err("no link for a disabled account");
        assert_eq!(refused.field(), Some("user"));
    }
}
