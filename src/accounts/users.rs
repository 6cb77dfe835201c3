//! Adding a user: the rules of `skm user add` and the `/admin` user form; the error every
//! account change shares.

use crate::db::units::{self, Unit};
use crate::db::users::{self as stored, User};
use crate::db::{audit, DbConnection, DbError};
use crate::domain::email::Email;
use crate::domain::names::Role;
use crate::password::{self, PasswordError};
use diesel::Connection;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// A user to add. The address and the role are parsed by the front end; the units are looked
/// up here, by slug.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// slugs of the units the user works for (SPEC §6: a unit head or an operator sees their
    /// units and everything below them; an admin sees everything and needs none)
    pub units: Vec<String>,
    /// `None`: an invited user, without a password until they accept an invitation
    /// (`accounts::invite`); they cannot sign in before
    pub password: Option<SecretString>,
}

/// Why a user was not added: the variant names the field and what is wrong with it, the
/// message is the reason in English. `Db` and `Hashing` are faults of ours, not the input's.
#[derive(Debug, Error)]
pub enum UserError {
    #[error("{} needs at least one unit", with_article(.0))]
    UnitMissing(Role),
    #[error("no unit with slug '{0}'")]
    UnitUnknown(String),
    #[error("the password must have at least {} characters", password::MIN_LENGTH)]
    PasswordTooShort,
    #[error("a user with e-mail '{0}' already exists")]
    EmailTaken(Email),
    #[error("no user with e-mail '{0}'")]
    UserUnknown(String),
    #[error("must not be empty")]
    NameEmpty,
    /// an admin cannot lock themselves out
    #[error("you cannot disable your own account")]
    OwnAccount,
    #[error("you cannot take away your own admin role")]
    OwnAdminRole,
    #[error("the account of '{0}' is disabled: enable it first")]
    Disabled(String),
    /// an invitation is for a user without a password; one who has one gets a reset link
    #[error("'{0}' has already set a password: make a password reset link instead")]
    HasPassword(String),
    #[error("could not hash the password: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl UserError {
    /// The input field at fault (the form field; the command line's flag where it has one);
    /// `None` for a fault of ours.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            UserError::UnitMissing(_) | UserError::UnitUnknown(_) => Some("unit"),
            UserError::PasswordTooShort => Some("password"),
            UserError::EmailTaken(_) => Some("email"),
            UserError::UserUnknown(_) | UserError::OwnAccount | UserError::Disabled(_) | UserError::HasPassword(_) => {
                Some("user")
            }
            UserError::NameEmpty => Some("name"),
            UserError::OwnAdminRole => Some("role"),
            UserError::Hashing(_) | UserError::Db(_) => None,
        }
    }
}

fn with_article(role: &Role) -> String {
    match role {
        Role::Admin | Role::Operator => format!("an {role}"),
        Role::UnitHead => format!("a {role}"),
    }
}

/// For `Connection::transaction`, whose own failures are the database's.
impl From<diesel::result::Error> for UserError {
    fn from(err: diesel::result::Error) -> Self {
        UserError::Db(err.into())
    }
}

/// Adds a user with their units. `actor` is the signed-in admin's user id, `None` for the
/// command line (as in the audit log).
pub fn add_user(conn: &mut DbConnection, actor: Option<i32>, new: NewUser) -> Result<User, UserError> {
    if new.role != Role::Admin && new.units.is_empty() {
        return Err(UserError::UnitMissing(new.role));
    }
    if new.name.trim().is_empty() {
        return Err(UserError::NameEmpty);
    }
    // Hashed before the transaction: argon2 is slow by design, and holds no lock meanwhile.
    let hash = match &new.password {
        Some(password) => password::hash(password.expose_secret()).map_err(|e| match e {
            PasswordError::TooShort => UserError::PasswordTooShort,
            PasswordError::Hash(reason) => UserError::Hashing(reason),
        })?,
        None => stored::NO_PASSWORD.to_string(),
    };
    conn.transaction(|conn| {
        let unit_ids = unit_ids(conn, &new.units)?;
        let user = stored::create(
            conn,
            &stored::NewUser {
                email: new.email.as_str(),
                name: new.name.trim(),
                password_hash: &hash,
                role: new.role,
                unit_ids: &unit_ids,
            },
        )
        .map_err(|e| match e {
            DbError::Conflict(_) => UserError::EmailTaken(new.email.clone()),
            other => other.into(),
        })?;
        let scope = if new.units.is_empty() { String::new() } else { format!(" of {}", new.units.join(", ")) };
        let invited = if new.password.is_none() { ", invited (no password yet)" } else { "" };
        audit::record(conn, actor, "user.add", &format!("added {} {}{scope}{invited}", user.role, user.email))?;
        Ok(user)
    })
}

/// The ids of the units named by slug; a unit named twice is linked once (a second link would
/// look like a taken address).
pub(super) fn unit_ids(conn: &mut DbConnection, slugs: &[String]) -> Result<Vec<i32>, UserError> {
    let mut ids = Vec::new();
    for slug in slugs {
        let unit = existing_unit(conn, slug)?;
        if !ids.contains(&unit.id) {
            ids.push(unit.id);
        }
    }
    Ok(ids)
}

fn existing_unit(conn: &mut DbConnection, slug: &str) -> Result<Unit, UserError> {
    units::by_slug(conn, slug).map_err(|e| match e {
        DbError::NotFound => UserError::UnitUnknown(slug.to_string()),
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::{Slug, UnitKind};
    use diesel::sqlite::SqliteConnection;

    fn database_with_unit(slug: &str) -> DbConnection {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        crate::db::migrate(&mut conn).expect("migrate");
        let new = units::NewUnit {
            slug: &Slug::parse(slug).expect("slug"),
            name: "Dinas Perhubungan",
            kind: UnitKind::Opd,
            parent_id: None,
            contact_emails: &[],
            template_id: None,
        };
        units::create(&mut conn, &new).expect("unit");
        conn
    }

    fn new_user(email: &str, role: Role, units: &[&str]) -> NewUser {
        NewUser {
            email: Email::parse(email).expect("email"),
            name: " Budi ".into(),
            role,
            units: units.iter().map(|s| s.to_string()).collect(),
            password: Some(SecretString::from("sandi-awal-panjang")),
        }
    }

    #[test]
    fn a_unit_head_is_added_with_their_unit_and_signs_in() {
        let mut conn = database_with_unit("dishub");
        let user = add_user(&mut conn, None, new_user("Kadis@Dishub.go.id", Role::UnitHead, &["dishub", "dishub"]))
            .expect("added");
        assert_eq!(
            (user.email.as_str(), user.name.as_str(), user.role.as_str()),
            ("kadis@dishub.go.id", "Budi", "unit_head")
        );
        assert_eq!(stored::unit_ids_of(&mut conn, user.id).expect("units").len(), 1);
        assert!(password::verify("sandi-awal-panjang", &user.password_hash));
    }

    #[test]
    fn a_user_without_a_password_cannot_sign_in_with_any() {
        let mut conn = database_with_unit("dishub");
        let new = NewUser {
            email: Email::parse("op@dishub.go.id").expect("email"),
            name: "Ani".into(),
            role: Role::Operator,
            units: vec!["dishub".into()],
            password: None,
        };
        let user = add_user(&mut conn, None, new).expect("added");
        for guess in ["", stored::NO_PASSWORD, "!no-password", "sandi-awal-panjang"] {
            assert!(!password::verify(guess, &user.password_hash), "{guess:?} opened it");
        }
    }

    #[test]
    fn the_shared_rules_refuse_naming_the_field() {
        let mut conn = database_with_unit("dishub");
        let refused = |conn: &mut DbConnection, new: NewUser| add_user(conn, None, new).expect_err("refused");
        let unitless = refused(&mut conn, new_user("op@dishub.go.id", Role::Operator, &[]));
        assert_eq!(
            (unitless.field(), unitless.to_string().as_str()),
            (Some("unit"), "an operator needs at least one unit")
        );
        let elsewhere = refused(&mut conn, new_user("op@dishub.go.id", Role::Operator, &["nowhere"]));
        assert!(matches!(elsewhere, UserError::UnitUnknown(slug) if slug == "nowhere"));
        let short =
            NewUser { password: Some(SecretString::from("pendek")), ..new_user("op@dishub.go.id", Role::Admin, &[]) };
        assert!(matches!(refused(&mut conn, short), UserError::PasswordTooShort));
        add_user(&mut conn, None, new_user("admin@kutaitimurkab.go.id", Role::Admin, &[]))
            .expect("an admin needs no unit");
        let again = refused(&mut conn, new_user("ADMIN@kutaitimurkab.go.id", Role::Admin, &[]));
        assert_eq!(
            (again.field(), again.to_string().as_str()),
            (Some("email"), "a user with e-mail 'admin@kutaitimurkab.go.id' already exists")
        );
    }
}
