//! "Persiapan SKM" on `/admin`: the checklist (`domain::readiness`) over what the page has read
//! from the database, and the settings.

use crate::config::Config;
use crate::db::{audit, publications, units, users, DbConnection, DbError};
use crate::domain::names::{Role, UnitKind};
use crate::domain::period::Period;
use crate::domain::population::population_for;
use crate::domain::readiness::{gaps, Facts, Gap, UnitFacts};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use std::collections::{HashMap, HashSet};

/// The audit action of a test e-mail the server accepted (`skm mail test`, the `/admin` button).
pub const MAIL_TEST_ACTION: &str = "mail.test";

/// What the `/admin` page has already read, which is all the checklist needs but the audit log.
pub struct Loaded<'a> {
    pub units: &'a [units::Unit],
    pub services: &'a HashMap<i32, Vec<units::Service>>,
    pub populations: &'a HashMap<i32, HashMap<String, i64>>,
    /// every user with the slugs of their units
    pub users: &'a [(users::User, Vec<String>)],
    pub publications: &'a [publications::Publication],
}

/// Whether a test e-mail was ever accepted, and when last.
pub fn last_mail_test(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, DbError> {
    audit::last_at(conn, MAIL_TEST_ACTION)
}

/// What is still to do, for the running month of `today`.
pub fn checklist(config: &Config, today: NaiveDate, loaded: &Loaded, mail_tested: bool) -> Vec<Gap> {
    let period = Period::month_of(today);
    let by_slug: HashMap<&str, i32> = loaded.units.iter().map(|u| (u.slug.as_str(), u.id)).collect();
    let headed_unit_ids: HashSet<i32> = loaded
        .users
        .iter()
        .filter(|(user, _)| !user.disabled && user.role == Role::UnitHead.as_str())
        .flat_map(|(_, slugs)| slugs.iter().filter_map(|s| by_slug.get(s.as_str()).copied()))
        .collect();
    let no_population = HashMap::new();
    let facts = Facts {
        units: loaded
            .units
            .iter()
            .map(|u| UnitFacts {
                id: u.id,
                parent_id: u.parent_id,
                slug: u.slug.clone(),
                name: u.name.clone(),
                kind: u.kind.parse().unwrap_or(UnitKind::Opd),
                active: u.active,
                active_services: loaded.services.get(&u.id).map_or(0, |s| s.iter().filter(|s| s.active).count()),
                has_population: population_for(&period, loaded.populations.get(&u.id).unwrap_or(&no_population))
                    .is_some(),
                poster_downloaded: u.poster_downloaded_at.is_some(),
            })
            .collect(),
        headed_unit_ids,
        period,
        year: today.year(),
        base_url_local: config.base_url_is_local(),
        mail_configured: !config.mail.smtp_host.is_empty(),
        mail_tested,
        published_this_year: loaded.publications.iter().any(|p| p.published_at.year() == today.year()),
    };
    gaps(&facts)
}

/// Notes a test e-mail the server accepted, so the checklist knows mail works.
pub fn record_mail_test(conn: &mut DbConnection, actor: Option<i32>, to: &str) -> Result<(), DbError> {
    audit::record(conn, actor, MAIL_TEST_ACTION, &format!("sent a test e-mail to {to}"))
}
