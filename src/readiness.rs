//! "Persiapan SKM" on `/admin`: reads what the checklist (`domain::readiness`) looks at from the
//! database and the settings.

use crate::config::Config;
use crate::db::{audit, publications, units, users, DbConnection, DbError};
use crate::domain::names::{Role, UnitKind};
use crate::domain::period::Period;
use crate::domain::population::population_for;
use crate::domain::readiness::{gaps, Facts, Gap, UnitFacts};
use chrono::{Datelike, NaiveDate};
use std::collections::{HashMap, HashSet};

/// The audit action of a test e-mail the server accepted (`skm mail test`, the `/admin` button).
pub const MAIL_TEST_ACTION: &str = "mail.test";

/// What is still to do, for the running month of `today`.
pub fn checklist(conn: &mut DbConnection, config: &Config, today: NaiveDate) -> Result<Vec<Gap>, DbError> {
    let period = Period::month_of(today);
    let all = units::list(conn)?;
    let ids: Vec<i32> = all.iter().map(|u| u.id).collect();
    let services = units::services_of_units(conn, &ids)?;
    let populations = units::populations_of(conn, &ids)?;
    let by_slug: HashMap<&str, i32> = all.iter().map(|u| (u.slug.as_str(), u.id)).collect();
    let headed_unit_ids: HashSet<i32> = users::list_with_units(conn)?
        .iter()
        .filter(|(user, _)| !user.disabled && user.role == Role::UnitHead.as_str())
        .flat_map(|(_, slugs)| slugs.iter().filter_map(|s| by_slug.get(s.as_str()).copied()))
        .collect();
    let no_population = HashMap::new();
    let facts = Facts {
        units: all
            .iter()
            .map(|u| UnitFacts {
                id: u.id,
                parent_id: u.parent_id,
                slug: u.slug.clone(),
                name: u.name.clone(),
                kind: u.kind.parse().unwrap_or(UnitKind::Opd),
                active: u.active,
                active_services: services.get(&u.id).map_or(0, |s| s.iter().filter(|s| s.active).count()),
                has_population: population_for(&period, populations.get(&u.id).unwrap_or(&no_population)).is_some(),
                poster_downloaded: u.poster_downloaded_at.is_some(),
            })
            .collect(),
        headed_unit_ids,
        period,
        year: today.year(),
        base_url_local: config.base_url_is_local(),
        mail_configured: !config.mail.smtp_host.is_empty(),
        mail_tested: audit::last_at(conn, MAIL_TEST_ACTION)?.is_some(),
        published_this_year: publications::all(conn)?.iter().any(|p| p.published_at.year() == today.year()),
    };
    Ok(gaps(&facts))
}

/// Notes a test e-mail the server accepted, so the checklist knows mail works.
pub fn record_mail_test(conn: &mut DbConnection, actor: Option<i32>, to: &str) -> Result<(), DbError> {
    audit::record(conn, actor, MAIL_TEST_ACTION, &format!("sent a test e-mail to {to}"))
}
