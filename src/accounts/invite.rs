//! Invitations: a new user (from `/admin`, `skm user add`, `skm init` or the setup workbook) has
//! no password; a one-time link, valid 72 hours, lets them set their own (`/sandi/atur`, as a
//! reset link). A new invitation revokes the older links; the admin can revoke it, and disabling
//! the account revokes it too.

use super::manage::existing_user;
use super::reset::{new_link, ResetLink};
use super::users::UserError;
use crate::db::password_resets::{self, LinkPurpose};
use crate::db::{audit, DbConnection};
use chrono::NaiveDateTime;
use diesel::Connection;

/// How long an invitation can be used: a weekend and a working day.
pub const INVITATION_VALID_HOURS: i64 = 72;

/// A new invitation's secret: mailed to the user or shown once to the admin, never stored.
pub type Invitation = ResetLink;

/// A new invitation for the user with address `email` (a first one, or one sent again), revoking
/// their older open links; audited. Refused for a disabled account and for one that has set its
/// password already (it gets a reset link).
pub fn invite(
    conn: &mut DbConnection,
    actor: Option<i32>,
    email: &str,
    now: NaiveDateTime,
) -> Result<Invitation, UserError> {
    conn.transaction(|conn| {
        let user = existing_user(conn, email)?;
        if user.has_password() {
            return Err(UserError::HasPassword(user.email));
        }
        new_link(conn, actor, user, LinkPurpose::Invitation, INVITATION_VALID_HOURS, now)
    })
}

/// Revokes the user's open invitations (the account stays, without a password, until a new
/// invitation is accepted); returns how many were open; audited.
pub fn revoke_invitation(
    conn: &mut DbConnection,
    actor: Option<i32>,
    email: &str,
    now: NaiveDateTime,
) -> Result<usize, UserError> {
    conn.transaction(|conn| {
        let user = existing_user(conn, email)?;
        let revoked = password_resets::revoke_open_of(conn, user.id, LinkPurpose::Invitation, now)?;
        let detail = format!("revoked {revoked} open invitation(s) of {}", user.email);
        audit::record(conn, actor, "user.invitation_revoked", &detail)?;
        Ok(revoked)
    })
}

/// The users with an invitation usable at `now`, and until when (for the admin page).
pub fn open_invitations(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Vec<(i32, NaiveDateTime)>, crate::db::DbError> {
    password_resets::usable(conn, LinkPurpose::Invitation, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{add_user, login, reset_password, reset_target, set_enabled, LinkProblem, LoginOutcome};
    use crate::accounts::{NewUser, ResetError};
    use crate::db::users::{self as stored};
    use crate::domain::email::Email;
    use crate::domain::names::Role;
    use diesel::sqlite::SqliteConnection;
    use secrecy::{ExposeSecret, SecretString};

    const INVITED: &str = "kadis@dishub.go.id";

    fn database_with_invited_admin() -> DbConnection {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        crate::db::migrate(&mut conn).expect("migrate");
        let new = NewUser {
            email: Email::parse(INVITED).expect("email"),
            name: "Kadis".into(),
            role: Role::Admin,
            units: Vec::new(),
            password: None,
        };
        let user = add_user(&mut conn, None, new).expect("invited user");
        assert!(!user.has_password());
        conn
    }

    fn at(hours: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_790_000_000 + hours * 3600, 0).expect("time").naive_utc()
    }

    fn token(link: &Invitation) -> String {
        link.token.expose_secret().to_string()
    }

    fn accept(conn: &mut DbConnection, link: &Invitation, hours: i64) -> Result<stored::User, ResetError> {
        reset_password(conn, &token(link), &SecretString::from("sandi-pertama-panjang"), at(hours))
    }

    #[test]
    fn an_invited_user_cannot_sign_in_as_if_the_password_were_wrong() {
        let mut conn = database_with_invited_admin();
        for guess in ["", "sandi-pertama-panjang", "dummy password for timing"] {
            let outcome = login(&mut conn, INVITED, guess, at(0)).expect("db");
            assert!(matches!(outcome, LoginOutcome::Refused), "{guess:?}: {outcome:?}");
        }
        let unknown = login(&mut conn, "nobody@dishub.go.id", "x", at(0)).expect("db");
        assert!(matches!(unknown, LoginOutcome::Refused));
    }

    #[test]
    fn an_invitation_sets_the_first_password_once_within_72_hours() {
        let mut conn = database_with_invited_admin();
        let invitation = invite(&mut conn, None, "KADIS@dishub.go.id", at(0)).expect("invited");
        assert_eq!(invitation.expires_at, at(72));
        let check = reset_target(&mut conn, &token(&invitation), at(1)).expect("db");
        assert_eq!(check.purpose, LinkPurpose::Invitation);
        assert_eq!(check.outcome.expect("usable").email, INVITED);
        let late = accept(&mut conn, &invitation, 72);
        assert!(matches!(late, Err(ResetError::Link(LinkProblem::Expired))), "{late:?}");
        let user = accept(&mut conn, &invitation, 71).expect("accepted just in time");
        assert!(user.has_password());
        assert!(matches!(login(&mut conn, INVITED, "sandi-pertama-panjang", at(71)).expect("db"), LoginOutcome::Ok(_)));
        let again = accept(&mut conn, &invitation, 71);
        assert!(matches!(again, Err(ResetError::Link(LinkProblem::Used))), "{again:?}");
        let audit: Vec<String> = {
            use crate::db::schema::audit_log;
            use diesel::prelude::*;
            audit_log::table.select(audit_log::action).load(&mut conn).expect("audit")
        };
        assert!(audit.contains(&"user.invite".to_string()) && audit.contains(&"user.invitation_accepted".to_string()));
        // an accepted account gets reset links, not invitations
        let refused = invite(&mut conn, None, INVITED, at(72)).expect_err("has a password");
        assert!(matches!(refused, UserError::HasPassword(_)) && refused.field() == Some("user"));
    }

    #[test]
    fn a_resent_invitation_revokes_the_older_and_revoking_or_disabling_ends_it() {
        let mut conn = database_with_invited_admin();
        let first = invite(&mut conn, None, INVITED, at(0)).expect("first");
        let second = invite(&mut conn, None, INVITED, at(1)).expect("sent again");
        assert!(matches!(accept(&mut conn, &first, 2), Err(ResetError::Link(LinkProblem::Revoked))));
        assert_eq!(open_invitations(&mut conn, at(2)).expect("db").len(), 1);
        assert_eq!(revoke_invitation(&mut conn, None, INVITED, at(2)).expect("revoked"), 1);
        assert!(matches!(accept(&mut conn, &second, 3), Err(ResetError::Link(LinkProblem::Revoked))));
        assert!(open_invitations(&mut conn, at(3)).expect("db").is_empty());

        let third = invite(&mut conn, None, INVITED, at(4)).expect("third");
        set_enabled(&mut conn, None, INVITED, false, at(5)).expect("disabled");
        assert!(matches!(accept(&mut conn, &third, 6), Err(ResetError::Link(LinkProblem::Revoked))));
        let refused = invite(&mut conn, None, INVITED, at(6)).expect_err("disabled");
        assert!(matches!(refused, UserError::Disabled(_)));
        assert!(matches!(
            login(&mut conn, INVITED, "sandi-pertama-panjang", at(6)).expect("db"),
            LoginOutcome::Refused
        ));
    }
}
