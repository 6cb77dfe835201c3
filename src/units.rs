//! Managing the regency's units: adding a unit or a service (jenis layanan), correcting them
//! (name, kind, place in the tree), closing and reopening them, recording a population, choosing
//! a unit's questionnaire, publishing a unit's results on `/publik` and taking them back. One function per use case, called by both
//! `skm unit …`/`skm service …` and the `/admin` forms, so both apply the same rules and leave
//! the same audit record. Each change and its audit record are one transaction. Blocking (the
//! database): call from `web::block` in a handler.

use crate::aggregator::{self, Selection};
use crate::catalog::{Catalog, TemplateRegistry};
use crate::db::units::{self as stored, Service, Unit};
use crate::db::{audit, publications, DbConnection, DbError};
use crate::domain::email::Email;
use crate::domain::names::{Slug, UnitKind};
use crate::domain::period::Period;
use crate::sheets::issue::{CsvIssue, Problem};
use crate::sheets::population::PopulationRow;
use diesel::Connection;
use std::collections::HashMap;
use thiserror::Error;

/// A unit to add. What can be checked without the database (slug, kind, addresses) is parsed
/// by the front end; the rules that need the database or the catalog are checked here.
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub slug: Slug,
    pub name: String,
    pub kind: UnitKind,
    /// the slug of the unit above this one; `None` for a root (the regency)
    pub parent: Option<String>,
    /// who receives the unit's monthly summary
    pub contact_emails: Vec<Email>,
    /// the survey template id; `None` for the configured default
    pub template: Option<String>,
}

/// A service (jenis layanan) to add to an existing unit.
#[derive(Debug, Clone)]
pub struct NewService {
    /// the slug of the unit offering it
    pub unit: String,
    pub slug: Slug,
    pub name: String,
}

/// A unit's number of service users in a period, from which the required sample follows.
#[derive(Debug, Clone)]
pub struct Population {
    pub unit: String,
    /// a year (2026) or a month (2026-10)
    pub period: Period,
    pub count: u32,
}

/// A correction of a unit: its name, kind and parent. Its slug stays: it is printed in QR codes.
#[derive(Debug, Clone)]
pub struct UnitEdit {
    /// the slug of the unit to correct
    pub unit: String,
    pub name: String,
    pub kind: UnitKind,
    /// the slug of the unit above it; `None` for a root
    pub parent: Option<String>,
}

/// A correction of a service's name. Its slug stays: QR posters link to it (`?layanan=`).
#[derive(Debug, Clone)]
pub struct ServiceEdit {
    pub unit: String,
    /// the service's slug
    pub service: String,
    pub name: String,
}

/// A unit's results of a period, to publish on `/publik` or to take off it.
#[derive(Debug, Clone)]
pub struct Publication {
    /// the unit's slug
    pub unit: String,
    pub period: Period,
}

/// Why a change was refused: the variant names the field and what is wrong with it, the
/// message is the reason in English (the CLI shows `--field: reason`; the admin page has its own
/// Indonesian texts). `Db` is a storage fault, not the input's.
#[derive(Debug, Error)]
pub enum UnitError {
    #[error("must not be empty")]
    NameEmpty,
    #[error("no unit with slug '{0}'")]
    ParentUnknown(String),
    #[error("no unit with slug '{0}'")]
    UnitUnknown(String),
    #[error("a unit with slug '{0}' already exists")]
    SlugTaken(Slug),
    #[error("the unit already has a service '{0}'")]
    ServiceSlugTaken(Slug),
    #[error("the unit has no service '{0}'")]
    ServiceUnknown(String),
    /// the tree stays a tree: a unit cannot be placed under itself or under a unit below it
    #[error("'{parent}' is {unit} itself or a unit below it: a unit cannot be its own ancestor")]
    ParentCycle { unit: String, parent: String },
    #[error("a population is recorded per year (2026) or month (2026-10), not for {0}")]
    PeriodNotYearOrMonth(Period),
    #[error("unknown survey template '{0}'")]
    TemplateUnknown(String),
    /// only a template with `attachable = true` can be attached to a unit's form (FORMAT.md)
    #[error("the survey template '{0}' cannot be attached: its file does not say `attachable = true`")]
    NotAttachable(String),
    /// names the unit (its name) and the period: there is nothing to publish
    #[error("{unit} has no responses in {period}: an empty result is not published")]
    NoResponses { unit: String, period: Period },
    #[error("{unit} has no published result for {period}")]
    NotPublished { unit: String, period: Period },
    /// not a mailbox lettre can send from (`Name <address>` or a bare address)
    #[error("not an e-mail sender: {0}")]
    Sender(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl UnitError {
    /// The input field at fault (the form field and the command-line flag share the name);
    /// `None` for a storage fault.
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            UnitError::NameEmpty => "name",
            UnitError::ParentUnknown(_) | UnitError::ParentCycle { .. } => "parent",
            UnitError::ServiceUnknown(_) => "service",
            UnitError::UnitUnknown(_) => "unit",
            UnitError::SlugTaken(_) | UnitError::ServiceSlugTaken(_) => "slug",
            UnitError::PeriodNotYearOrMonth(_) => "period",
            UnitError::TemplateUnknown(_) | UnitError::NotAttachable(_) => "template",
            UnitError::NoResponses { .. } | UnitError::NotPublished { .. } => "period",
            UnitError::Sender(_) => "from",
            UnitError::Db(_) => return None,
        })
    }
}

/// For `Connection::transaction`, whose own failures are the database's.
impl From<diesel::result::Error> for UnitError {
    fn from(err: diesel::result::Error) -> Self {
        UnitError::Db(err.into())
    }
}

/// Adds a unit under its parent. `actor` is the signed-in admin's user id, `None` for the
/// command line (as in the audit log).
pub fn add(conn: &mut DbConnection, catalog: &Catalog, actor: Option<i32>, new: NewUnit) -> Result<Unit, UnitError> {
    let name = required_name(&new.name)?;
    if let Some(id) = &new.template {
        known_template(catalog, id)?;
    }
    let contact_emails: Vec<String> = new.contact_emails.iter().map(|e| e.to_string()).collect();
    conn.transaction(|conn| {
        let parent = match &new.parent {
            Some(slug) => Some(existing(conn, slug, UnitError::ParentUnknown)?),
            None => None,
        };
        let unit = stored::create(
            conn,
            &stored::NewUnit {
                slug: &new.slug,
                name,
                kind: new.kind,
                parent_id: parent.as_ref().map(|u| u.id),
                contact_emails: &contact_emails,
                template_id: new.template.as_deref(),
            },
        )
        .map_err(|e| match e {
            DbError::Conflict(_) => UnitError::SlugTaken(new.slug.clone()),
            other => other.into(),
        })?;
        let under = parent.map(|p| format!(" under {}", p.slug)).unwrap_or_default();
        let detail = format!("added {} {} ({}){under}", unit.kind, unit.slug, unit.name);
        audit::record(conn, actor, "unit.add", &detail)?;
        Ok(unit)
    })
}

/// Adds a service to a unit; its slug is unique within the unit.
pub fn add_service(conn: &mut DbConnection, actor: Option<i32>, new: NewService) -> Result<Service, UnitError> {
    let name = required_name(&new.name)?;
    conn.transaction(|conn| {
        let unit = existing(conn, &new.unit, UnitError::UnitUnknown)?;
        let service = stored::add_service(conn, unit.id, &new.slug, name).map_err(|e| match e {
            DbError::Conflict(_) => UnitError::ServiceSlugTaken(new.slug.clone()),
            other => other.into(),
        })?;
        let detail = format!("added service {} ({}) to {}", service.slug, service.name, unit.slug);
        audit::record(conn, actor, "service.add", &detail)?;
        Ok(service)
    })
}

/// Corrects a unit's name, kind and parent, keeping the tree a tree; audited with what changed.
pub fn edit(conn: &mut DbConnection, actor: Option<i32>, edit: UnitEdit) -> Result<Unit, UnitError> {
    let name = required_name(&edit.name)?;
    conn.transaction(|conn| {
        let unit = existing(conn, &edit.unit, UnitError::UnitUnknown)?;
        let parent = match &edit.parent {
            Some(slug) => Some(existing(conn, slug, UnitError::ParentUnknown)?),
            None => None,
        };
        if let Some(parent) = &parent {
            if stored::subtree_ids(conn, unit.id)?.contains(&parent.id) {
                return Err(UnitError::ParentCycle { unit: unit.slug, parent: parent.slug.clone() });
            }
        }
        let parent_id = parent.as_ref().map(|p| p.id);
        stored::update(conn, unit.id, name, edit.kind, parent_id)?;
        let mut changes = Vec::new();
        if unit.name != name {
            changes.push(format!("name '{}' → '{name}'", unit.name));
        }
        if unit.kind != edit.kind.as_str() {
            changes.push(format!("kind {} → {}", unit.kind, edit.kind));
        }
        if unit.parent_id != parent_id {
            let was = match unit.parent_id {
                Some(id) => stored::by_id(conn, id)?.slug,
                None => "none".into(),
            };
            changes.push(format!("parent {was} → {}", parent.as_ref().map_or("none", |p| p.slug.as_str())));
        }
        let changes = if changes.is_empty() { "no change".to_string() } else { changes.join(", ") };
        audit::record(conn, actor, "unit.edit", &format!("edited {}: {changes}", unit.slug))?;
        Ok(stored::by_id(conn, unit.id)?)
    })
}

/// Sets the time zone of a unit and everything below it (a regency in Papua: `WIT`); `None`
/// returns them to the deployment's zone. Survey dates already stored keep their day: a zone
/// counts the days of responses that come after it.
pub fn set_zone(
    conn: &mut DbConnection,
    actor: Option<i32>,
    unit: &str,
    zone: Option<chrono_tz::Tz>,
) -> Result<usize, UnitError> {
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        let changed = stored::set_zone(conn, unit.id, zone.map(|z| z.name()))?;
        let named = zone.map_or_else(|| "the deployment's".to_string(), crate::domain::zone::label);
        let detail = format!("time zone of {} and the {} units in its subtree: {named}", unit.slug, changed);
        audit::record(conn, actor, "unit.zone", &detail)?;
        Ok(changed)
    })
}

/// Sets the e-mail sender (`Name <address>`) of a unit and everything below it; `None` returns
/// them to the deployment's `mail_from`. The address is checked here, so no run of the monthly
/// job can meet one it cannot send from.
pub fn set_mail_from(
    conn: &mut DbConnection,
    actor: Option<i32>,
    unit: &str,
    sender: Option<&str>,
) -> Result<usize, UnitError> {
    let sender = match sender {
        Some(text) => {
            let mailbox: lettre::message::Mailbox =
                text.parse().map_err(|e| UnitError::Sender(format!("'{text}': {e}")))?;
            Some(mailbox.to_string())
        }
        None => None,
    };
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        let changed = stored::set_mail_from(conn, unit.id, sender.as_deref())?;
        let named = sender.as_deref().unwrap_or("the deployment's");
        let detail = format!("e-mail sender of {} and the {} units in its subtree: {named}", unit.slug, changed);
        audit::record(conn, actor, "unit.sender", &detail)?;
        Ok(changed)
    })
}

/// Closes a unit's public form (`enabled = false`) or opens it again. Nothing else changes: its
/// responses stay in every report and dashboard, its users keep their access.
pub fn set_enabled(conn: &mut DbConnection, actor: Option<i32>, unit: &str, enabled: bool) -> Result<(), UnitError> {
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        stored::set_active(conn, unit.id, enabled)?;
        let (action, what) = if enabled { ("unit.enable", "opened") } else { ("unit.disable", "closed") };
        audit::record(conn, actor, action, &format!("{what} the survey of {}", unit.slug))?;
        Ok(())
    })
}

/// Corrects a service's name.
pub fn edit_service(conn: &mut DbConnection, actor: Option<i32>, edit: ServiceEdit) -> Result<Service, UnitError> {
    let name = required_name(&edit.name)?;
    conn.transaction(|conn| {
        let (unit, service) = existing_service(conn, &edit.unit, &edit.service)?;
        stored::update_service(conn, service.id, name, service.active)?;
        let detail = format!("renamed service {} of {}: '{}' → '{name}'", service.slug, unit.slug, service.name);
        audit::record(conn, actor, "service.edit", &detail)?;
        Ok(stored::service_by_slug(conn, unit.id, &service.slug)?)
    })
}

/// Takes a service off the citizen's list (`enabled = false`) or puts it back; its responses
/// stay, under its name, in every report.
pub fn set_service_enabled(
    conn: &mut DbConnection,
    actor: Option<i32>,
    unit: &str,
    service: &str,
    enabled: bool,
) -> Result<(), UnitError> {
    conn.transaction(|conn| {
        let (unit, service) = existing_service(conn, unit, service)?;
        stored::update_service(conn, service.id, &service.name, enabled)?;
        let (action, what) = if enabled { ("service.enable", "enabled") } else { ("service.disable", "disabled") };
        audit::record(conn, actor, action, &format!("{what} service {} of {}", service.slug, unit.slug))?;
        Ok(())
    })
}

fn existing_service(conn: &mut DbConnection, unit: &str, service: &str) -> Result<(Unit, Service), UnitError> {
    let unit = existing(conn, unit, UnitError::UnitUnknown)?;
    match stored::service_by_slug(conn, unit.id, service) {
        Ok(found) => Ok((unit, found)),
        Err(DbError::NotFound) => Err(UnitError::ServiceUnknown(service.to_string())),
        Err(other) => Err(other.into()),
    }
}

/// Records (or corrects) a unit's population in a year or a month: the required sample
/// (SPEC §4) of any other period (a quarter, a semester, a range) is derived from these by
/// `domain::population`, so only these two are recorded.
pub fn set_population(conn: &mut DbConnection, actor: Option<i32>, population: Population) -> Result<(), UnitError> {
    let Population { unit, period, count } = population;
    if !matches!(period, Period::Year { .. } | Period::Month { .. }) {
        return Err(UnitError::PeriodNotYearOrMonth(period));
    }
    conn.transaction(|conn| {
        let unit = existing(conn, &unit, UnitError::UnitUnknown)?;
        stored::set_population(conn, unit.id, &period.to_string(), i64::from(count))?;
        audit::record(conn, actor, "unit.population", &format!("population of {} in {period}: {count}", unit.slug))?;
        Ok(())
    })
}

/// What an import of populations did, row by row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PopulationCounts {
    /// a unit and period without a population before
    pub new: usize,
    /// a different count than the one recorded
    pub changed: usize,
    /// the count already recorded
    pub unchanged: usize,
}

/// Why an import of populations saved nothing.
#[derive(Debug, Error)]
pub enum PopulationImportError {
    /// every bad cell (the file's own, and units that do not exist), by row and column
    #[error("{} problem(s) in the file", .0.len())]
    Issues(Vec<CsvIssue>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for PopulationImportError {
    fn from(err: diesel::result::Error) -> Self {
        PopulationImportError::Db(err.into())
    }
}

/// Records the populations of a file (`sheets::population::parse`), all of them or none: a row
/// naming a unit that does not exist refuses the whole file, with every such row named. A count
/// already recorded is left as it is, so importing the same file again changes nothing (and
/// writes no audit record).
pub fn import_populations(
    conn: &mut DbConnection,
    actor: Option<i32>,
    rows: &[PopulationRow],
) -> Result<PopulationCounts, PopulationImportError> {
    conn.transaction(|conn| {
        let by_slug: HashMap<String, Unit> = stored::list(conn)?.into_iter().map(|u| (u.slug.clone(), u)).collect();
        let unknown: Vec<CsvIssue> = rows
            .iter()
            .filter(|r| !by_slug.contains_key(&r.unit))
            .map(|r| CsvIssue {
                row: r.row,
                column: Some(r.unit_column.clone()),
                // a unit's name typed where its slug belongs: say which slug
                problem: match by_slug.values().find(|u| u.name.trim().to_lowercase() == r.unit.trim().to_lowercase()) {
                    Some(unit) => Problem::UnitByName { value: r.unit.clone(), slug: unit.slug.clone() },
                    None => Problem::UnknownUnit { value: r.unit.clone() },
                },
            })
            .collect();
        if !unknown.is_empty() {
            return Err(PopulationImportError::Issues(unknown));
        }
        let ids: Vec<i32> = by_slug.values().map(|u| u.id).collect();
        let recorded = stored::populations_of(conn, &ids)?;
        let mut counts = PopulationCounts::default();
        for row in rows {
            let unit = &by_slug[&row.unit];
            let key = row.period.to_string();
            match recorded.get(&unit.id).and_then(|p| p.get(&key)) {
                Some(&n) if n == i64::from(row.count) => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.changed += 1,
                None => counts.new += 1,
            }
            stored::set_population(conn, unit.id, &key, i64::from(row.count))?;
        }
        if counts.new + counts.changed > 0 {
            let PopulationCounts { new, changed, unchanged } = counts;
            let detail = format!("imported populations: {new} new, {changed} changed, {unchanged} unchanged");
            audit::record(conn, actor, "unit.population_import", &detail)?;
        }
        Ok(counts)
    })
}

/// Whether a unit wants one QR poster per active service (each opening its form with that
/// service chosen) in the regency's all-units PDF, besides its own.
pub fn set_poster_per_service(
    conn: &mut DbConnection,
    actor: Option<i32>,
    unit: &str,
    per_service: bool,
) -> Result<(), UnitError> {
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        if unit.poster_per_service == per_service {
            return Ok(());
        }
        stored::set_poster_per_service(conn, unit.id, per_service)?;
        let what = if per_service { "one poster per service" } else { "one poster" };
        audit::record(conn, actor, "unit.poster", &format!("{} asks {what}", unit.slug))?;
        Ok(())
    })
}

/// Gives a unit another questionnaire from the catalog.
pub fn set_template(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: Option<i32>,
    unit: &str,
    template: &str,
) -> Result<(), UnitError> {
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        known_template(catalog, template)?;
        stored::set_template(conn, unit.id, Some(template))?;
        audit::record(conn, actor, "unit.template", &format!("{} asks template {template}", unit.slug))?;
        Ok(())
    })
}

/// Attaches an instrument (Zona Integritas: SPKP, SPAK) to a unit's form, after the ones it has:
/// only a template that declares `attachable = true`, never the unit's own questionnaire. Returns
/// whether it was newly attached (attaching twice changes nothing).
pub fn attach_instrument(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    actor: Option<i32>,
    unit: &str,
    template: &str,
) -> Result<bool, UnitError> {
    let (_, found) = registry.current(template).ok_or_else(|| UnitError::TemplateUnknown(template.to_string()))?;
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        if !found.attachable || registry.id_for(&unit) == template {
            return Err(UnitError::NotAttachable(template.to_string()));
        }
        let added = crate::db::instruments::attach(conn, unit.id, template)?;
        if added {
            audit::record(conn, actor, "unit.instrument", &format!("{} attaches {template}", unit.slug))?;
        }
        Ok(added)
    })
}

/// Takes an instrument off a unit's form; its stored answers stay. Returns whether it was attached.
pub fn detach_instrument(
    conn: &mut DbConnection,
    actor: Option<i32>,
    unit: &str,
    template: &str,
) -> Result<bool, UnitError> {
    conn.transaction(|conn| {
        let unit = existing(conn, unit, UnitError::UnitUnknown)?;
        let removed = crate::db::instruments::detach(conn, unit.id, template)?;
        if removed {
            audit::record(conn, actor, "unit.instrument", &format!("{} detaches {template}", unit.slug))?;
        }
        Ok(removed)
    })
}

/// Publishes a unit's results of a period on `/publik` (SPEC §6: the results must be public).
/// A unit with sub-units is published as its roll-up (SPEC §3: the pooled responses of the whole
/// subtree, its units beside it), since its own responses are few or none; a leaf unit as itself.
/// A period without a single response is refused: published, it would read "0 respondents".
/// Returns whether the roll-up was published.
pub fn publish(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    actor: Option<i32>,
    publication: Publication,
) -> Result<bool, UnitError> {
    let Publication { unit, period } = publication;
    conn.transaction(|conn| {
        let unit = existing(conn, &unit, UnitError::UnitUnknown)?;
        let with_subunits = stored::subtree_ids(conn, unit.id)?.len() > 1;
        let selection = Selection { period, with_subunits, service_id: None };
        let index = aggregator::unit_index(conn, registry, &unit, &selection)?;
        if index.result.responses == 0 {
            return Err(UnitError::NoResponses { unit: unit.name, period });
        }
        publications::publish(conn, unit.id, &period.to_string(), with_subunits, actor)?;
        let what = if with_subunits { " with its sub-units" } else { "" };
        let detail = format!("published {} {period}{what} ({} responses)", unit.slug, index.result.responses);
        audit::record(conn, actor, "unit.publish", &detail)?;
        Ok(with_subunits)
    })
}

/// Takes a unit's published results of a period off `/publik`.
pub fn unpublish(conn: &mut DbConnection, actor: Option<i32>, publication: Publication) -> Result<(), UnitError> {
    let Publication { unit, period } = publication;
    conn.transaction(|conn| {
        let unit = existing(conn, &unit, UnitError::UnitUnknown)?;
        if !publications::unpublish(conn, unit.id, &period.to_string())? {
            return Err(UnitError::NotPublished { unit: unit.name, period });
        }
        audit::record(conn, actor, "unit.unpublish", &format!("unpublished {} {period}", unit.slug))?;
        Ok(())
    })
}

fn required_name(name: &str) -> Result<&str, UnitError> {
    match name.trim() {
        "" => Err(UnitError::NameEmpty),
        name => Ok(name),
    }
}

fn known_template(catalog: &Catalog, id: &str) -> Result<(), UnitError> {
    catalog.get(id).map(|_| ()).map_err(|_| UnitError::TemplateUnknown(id.to_string()))
}

/// The unit a form or a flag refers to by slug; `unknown` says which field named a missing one.
fn existing(conn: &mut DbConnection, slug: &str, unknown: fn(String) -> UnitError) -> Result<Unit, UnitError> {
    stored::by_slug(conn, slug).map_err(|e| match e {
        DbError::NotFound => unknown(slug.to_string()),
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::audit_log;
    use diesel::prelude::*;
    use diesel::sqlite::SqliteConnection;

    fn database() -> DbConnection {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        crate::db::migrate(&mut conn).expect("migrate");
        conn
    }

    fn catalog() -> Catalog {
        Catalog::load(None).expect("shipped templates")
    }

    fn new_unit(slug: &str, parent: Option<&str>) -> NewUnit {
        NewUnit {
            slug: Slug::parse(slug).expect("slug"),
            name: format!("  Unit {slug} "),
            kind: UnitKind::Opd,
            parent: parent.map(String::from),
            contact_emails: vec![Email::parse("Kadis@Dinas.go.id").expect("email")],
            template: None,
        }
    }

    fn audited(conn: &mut DbConnection) -> Vec<(Option<i32>, String, String)> {
        audit_log::table
            .order(audit_log::id)
            .select((audit_log::actor_user_id, audit_log::action, audit_log::detail))
            .load(conn)
            .expect("audit log")
    }

    #[test]
    fn a_unit_is_added_under_its_parent_and_audited() {
        let (mut conn, catalog) = (database(), catalog());
        let admin = crate::db::users::create(
            &mut conn,
            &crate::db::users::NewUser {
                email: "admin@kutaitimurkab.go.id",
                name: "Admin",
                password_hash: "-",
                role: crate::domain::names::Role::Admin,
                unit_ids: &[],
            },
        )
        .expect("admin");
        let regency = add(&mut conn, &catalog, None, new_unit("kutim", None)).expect("regency");
        let unit = add(&mut conn, &catalog, Some(admin.id), new_unit("dishub", Some("kutim"))).expect("unit");
        assert_eq!((unit.parent_id, unit.name.as_str()), (Some(regency.id), "Unit dishub"), "name trimmed");
        assert_eq!(unit.contact_emails, "kadis@dinas.go.id");
        let log = audited(&mut conn);
        assert_eq!(log.len(), 2);
        assert_eq!(log[1], (Some(admin.id), "unit.add".into(), "added opd dishub (Unit dishub) under kutim".into()));
    }

    #[test]
    fn a_unit_is_refused_naming_the_field() {
        let (mut conn, catalog) = (database(), catalog());
        add(&mut conn, &catalog, None, new_unit("kutim", None)).expect("regency");
        let refused = |conn: &mut DbConnection, new: NewUnit| add(conn, &catalog, None, new).expect_err("refused");
        let nameless = NewUnit { name: " ".into(), ..new_unit("a", None) };
        assert!(matches!(refused(&mut conn, nameless), UnitError::NameEmpty));
        let orphan = refused(&mut conn, new_unit("b", Some("nowhere")));
        assert_eq!((orphan.field(), orphan.to_string().as_str()), (Some("parent"), "no unit with slug 'nowhere'"));
        let again = refused(&mut conn, new_unit("kutim", None));
        assert_eq!(again.to_string(), "a unit with slug 'kutim' already exists");
        let odd = NewUnit { template: Some("no-such".into()), ..new_unit("c", None) };
        assert!(matches!(refused(&mut conn, odd), UnitError::TemplateUnknown(id) if id == "no-such"));
        assert_eq!(audited(&mut conn).len(), 1, "only the change that was made is audited");
    }

    #[test]
    fn services_populations_and_templates_need_an_existing_unit() {
        let (mut conn, catalog) = (database(), catalog());
        add(&mut conn, &catalog, None, new_unit("dishub", None)).expect("unit");
        let service = |unit: &str, slug: &str| NewService {
            unit: unit.into(),
            slug: Slug::parse(slug).expect("slug"),
            name: "Uji KIR".into(),
        };
        add_service(&mut conn, None, service("dishub", "uji-kir")).expect("service");
        let twice = add_service(&mut conn, None, service("dishub", "uji-kir")).expect_err("duplicate");
        assert!(matches!(twice, UnitError::ServiceSlugTaken(_)), "{twice}");
        let elsewhere = add_service(&mut conn, None, service("nowhere", "x")).expect_err("no unit");
        assert_eq!(elsewhere.field(), Some("unit"));

        let count =
            |period: &str| Population { unit: "dishub".into(), period: period.parse().expect("period"), count: 4000 };
        set_population(&mut conn, None, count("2026")).expect("a year");
        set_population(&mut conn, None, count("2026-10")).expect("a month");
        let quarter = set_population(&mut conn, None, count("2026-Q3")).expect_err("a quarter is derived");
        assert!(matches!(quarter, UnitError::PeriodNotYearOrMonth(_)), "{quarter}");

        set_template(&mut conn, &catalog, None, "dishub", "kepmenpan-25-2004").expect("template");
        let unknown = set_template(&mut conn, &catalog, None, "dishub", "no-such").expect_err("unknown");
        assert_eq!(unknown.field(), Some("template"));
        let actions: Vec<String> = audited(&mut conn).into_iter().map(|(_, action, _)| action).collect();
        assert_eq!(actions, ["unit.add", "service.add", "unit.population", "unit.population", "unit.template"]);
    }

    #[test]
    fn a_population_file_is_imported_whole_or_not_at_all_and_again_changes_nothing() {
        let (mut conn, catalog) = (database(), catalog());
        add(&mut conn, &catalog, None, new_unit("dinkes", None)).expect("unit");
        add(&mut conn, &catalog, None, new_unit("dishub", None)).expect("unit");
        let rows = |text: &str| crate::sheets::population::parse(text.as_bytes()).expect("parses");
        let unknown = rows("unit;bulan;jumlah\ndinkes;2026-10;100\nnowhere;2026-10;5\n");
        match import_populations(&mut conn, None, &unknown) {
            Err(PopulationImportError::Issues(issues)) => {
                assert_eq!(
                    issues.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    ["row 3, column unit: no unit has the slug 'nowhere'"]
                )
            }
            other => panic!("refused, not {other:?}"),
        }
        let dinkes = stored::by_slug(&mut conn, "dinkes").expect("dinkes");
        assert_eq!(stored::population(&mut conn, dinkes.id, "2026-10").expect("read"), None, "nothing saved");

        set_population(
            &mut conn,
            None,
            Population { unit: "dishub".into(), period: "2026".parse().expect("p"), count: 7 },
        )
        .expect("one set by hand");
        let file = rows("unit;bulan;jumlah\ndinkes;2026-10;100\ndishub;2026;7\ndishub;2026-10;3\n");
        let first = import_populations(&mut conn, None, &file).expect("imported");
        assert_eq!(first, PopulationCounts { new: 2, changed: 0, unchanged: 1 });
        let audits = audited(&mut conn).len();
        let again = import_populations(&mut conn, None, &file).expect("again");
        assert_eq!(again, PopulationCounts { new: 0, changed: 0, unchanged: 3 });
        assert_eq!(audited(&mut conn).len(), audits, "an import that changes nothing is not audited");
        let corrected = rows("unit;bulan;jumlah\ndinkes;2026-10;120\n");
        let counts = import_populations(&mut conn, None, &corrected).expect("corrected");
        assert_eq!(counts, PopulationCounts { new: 0, changed: 1, unchanged: 0 });
        assert_eq!(stored::population(&mut conn, dinkes.id, "2026-10").expect("read"), Some(120));
    }

    #[test]
    fn a_unit_cannot_become_its_own_ancestor() {
        let (mut conn, catalog) = (database(), catalog());
        add(&mut conn, &catalog, None, new_unit("kutim", None)).expect("regency");
        add(&mut conn, &catalog, None, new_unit("dinkes", Some("kutim"))).expect("unit");
        add(&mut conn, &catalog, None, new_unit("puskesmas", Some("dinkes"))).expect("sub-unit");
        let edit = |unit: &str, parent: Option<&str>| UnitEdit {
            unit: unit.into(),
            name: format!("Unit {unit}"),
            kind: UnitKind::Opd,
            parent: parent.map(String::from),
        };
        for (unit, parent) in [("kutim", "puskesmas"), ("kutim", "dinkes"), ("dinkes", "dinkes")] {
            let refused = super::edit(&mut conn, None, edit(unit, Some(parent))).expect_err("a cycle");
            assert_eq!(refused.field(), Some("parent"), "{unit} under {parent}: {refused}");
        }
        let moved = super::edit(&mut conn, None, edit("puskesmas", Some("kutim"))).expect("a move");
        assert_eq!(moved.parent_id, Some(stored::by_slug(&mut conn, "kutim").expect("kutim").id));
        let top = super::edit(&mut conn, None, edit("dinkes", None)).expect("to the top");
        assert_eq!((top.parent_id, top.name.as_str()), (None, "Unit dinkes"));
        let log: Vec<String> = audited(&mut conn).into_iter().map(|(_, _, detail)| detail).collect();
        assert_eq!(&log[3..], ["edited puskesmas: parent dinkes → kutim", "edited dinkes: parent kutim → none"]);
    }

    #[test]
    fn an_empty_period_is_not_published_and_only_a_publication_is_taken_back() {
        let (mut conn, catalog) = (database(), catalog());
        let registry = TemplateRegistry::register(&mut conn, &catalog, crate::domain::template::DEFAULT_TEMPLATE)
            .expect("registry");
        add(&mut conn, &catalog, None, new_unit("kutim", None)).expect("regency");
        add(&mut conn, &catalog, None, new_unit("dishub", Some("kutim"))).expect("unit");
        let of = |unit: &str| Publication { unit: unit.into(), period: "2019".parse().expect("period") };
        let empty = publish(&mut conn, &registry, None, of("kutim")).expect_err("no responses");
        assert_eq!(empty.field(), Some("period"));
        assert_eq!(empty.to_string(), "Unit kutim has no responses in 2019: an empty result is not published");
        let nowhere = publish(&mut conn, &registry, None, of("nowhere")).expect_err("no unit");
        assert_eq!(nowhere.field(), Some("unit"));
        let never = unpublish(&mut conn, None, of("dishub")).expect_err("not published");
        assert!(matches!(never, UnitError::NotPublished { ref unit, .. } if unit == "Unit dishub"), "{never}");
        assert!(publications::all(&mut conn).expect("publications").is_empty());
        assert_eq!(audited(&mut conn).len(), 2, "only the units were audited");
    }
}
