//! `skm init`: a new deployment's first steps in one go, on an empty database only: the regency
//! (the root unit) and its first admin, invited (nobody ever types a password on the server).

use super::invite::{invite, Invitation};
use super::users::{add_user, NewUser, UserError};
use crate::catalog::Catalog;
use crate::db::units::{self as stored_units, Unit};
use crate::db::{users as stored_users, DbConnection, DbError};
use crate::domain::email::Email;
use crate::domain::names::{Role, Slug, UnitKind};
use crate::units::{self, NewUnit, UnitError};
use chrono::NaiveDateTime;
use diesel::Connection;
use thiserror::Error;

/// The regency and its first admin.
#[derive(Debug, Clone)]
pub struct FirstRegency {
    /// "Kabupaten Kutai Timur"
    pub name: String,
    /// `None`: made from the name (`kutai-timur`)
    pub slug: Option<Slug>,
    pub admin_email: Email,
    pub admin_name: String,
}

#[derive(Debug, Error)]
pub enum InitError {
    #[error(
        "the database is not empty ({units} units, {users} users): skm init only sets up a new one; \
         add units and users with skm unit add, skm user add or /admin"
    )]
    NotEmpty { units: usize, users: i64 },
    #[error("no slug can be made from '{0}': give one with --slug")]
    NoSlug(String),
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for InitError {
    fn from(err: diesel::result::Error) -> Self {
        InitError::Db(err.into())
    }
}

/// Adds the regency unit and its admin (without a password) and invites the admin, all or
/// nothing; refused unless the database has no unit and no user. Audited as the command line's.
pub fn init(
    conn: &mut DbConnection,
    catalog: &Catalog,
    first: FirstRegency,
    now: NaiveDateTime,
) -> Result<(Unit, Invitation), InitError> {
    let slug = match first.slug {
        Some(slug) => slug,
        None => Slug::from_name(&first.name).ok_or_else(|| InitError::NoSlug(first.name.clone()))?,
    };
    conn.transaction(|conn| {
        let (units, users) = (stored_units::list(conn)?.len(), stored_users::count(conn)?);
        if units > 0 || users > 0 {
            return Err(InitError::NotEmpty { units, users });
        }
        let regency = NewUnit {
            slug,
            name: first.name.clone(),
            kind: UnitKind::Regency,
            parent: None,
            contact_emails: vec![first.admin_email.clone()],
            template: None,
        };
        let unit = units::add(conn, catalog, None, regency)?;
        let admin = NewUser {
            email: first.admin_email.clone(),
            name: first.admin_name.clone(),
            role: Role::Admin,
            units: Vec::new(),
            password: None,
        };
        let user = add_user(conn, None, admin)?;
        let invitation = invite(conn, None, &user.email, now)?;
        Ok((unit, invitation))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sqlite::SqliteConnection;

    fn empty_database() -> DbConnection {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        crate::db::migrate(&mut conn).expect("migrate");
        conn
    }

    fn first(name: &str) -> FirstRegency {
        FirstRegency {
            name: name.into(),
            slug: None,
            admin_email: Email::parse("admin@kutaitimurkab.go.id").expect("email"),
            admin_name: "Bagian Organisasi".into(),
        }
    }

    #[test]
    fn init_makes_the_regency_and_invites_its_admin_once_only() {
        let (mut conn, catalog) = (empty_database(), Catalog::load(None).expect("catalog"));
        let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("time").naive_utc();
        let (unit, invitation) = init(&mut conn, &catalog, first("Kabupaten Kutai Timur"), now).expect("init");
        assert_eq!((unit.slug.as_str(), unit.kind.as_str(), unit.parent_id), ("kutai-timur", "regency", None));
        assert_eq!((invitation.user.role.as_str(), invitation.user.has_password()), ("admin", false));
        assert_eq!(invitation.expires_at, now + chrono::Duration::hours(72));

        let again = init(&mut conn, &catalog, first("Kabupaten Kutai Barat"), now).expect_err("not empty");
        assert!(matches!(again, InitError::NotEmpty { units: 1, users: 1 }), "{again:?}");
        assert_eq!(stored_units::list(&mut conn).expect("units").len(), 1, "nothing added");

        let (mut conn, nameless) = (empty_database(), first("—"));
        assert!(matches!(init(&mut conn, &catalog, nameless, now), Err(InitError::NoSlug(_))));
    }
}
