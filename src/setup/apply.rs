//! Applying a plan: each change through the service function the `/admin` forms and `skm unit …`
//! use (so the same rules hold and each leaves its audit record), inside the caller's
//! transaction. Nothing is deleted.

use super::plan::{Change, Plan};
use super::SetupError;
use crate::accounts::{self, NewUser, UserEdit};
use crate::catalog::Catalog;
use crate::db::{audit, units as stored, DbConnection};
use crate::domain::email::Email;
use crate::letterhead::{self, LetterheadInput};
use crate::units::{self, NewService, NewUnit, Population, ServiceEdit, UnitEdit};

/// What was applied: the counts of the plan, and the addresses of the users added (who have no
/// password yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub counts: Vec<(&'static str, usize)>,
    pub new_users: Vec<String>,
}

impl Applied {
    /// What was applied, in words ("12 unit baru, …").
    pub fn summary(&self, tr: crate::i18n::Tr) -> String {
        super::plan::summary(&self.counts, tr)
    }
}

pub(super) fn apply(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: Option<i32>,
    plan: &Plan,
    now: chrono::NaiveDateTime,
) -> Result<Applied, SetupError> {
    let mut new_users = Vec::new();
    for change in &plan.changes {
        match change.clone() {
            Change::UnitNew { slug, name, kind, parent, template, active } => {
                let slug = crate::domain::names::Slug::parse(&slug).map_err(|e| SetupError::Plan(e.to_string()))?;
                let new = NewUnit { slug: slug.clone(), name, kind, parent, contact_emails: Vec::new(), template };
                units::add(conn, catalog, actor, new)?;
                if !active {
                    units::set_enabled(conn, actor, slug.as_str(), false)?;
                }
            }
            Change::UnitEdit { slug, name, kind, parent, .. } => {
                units::edit(conn, actor, UnitEdit { unit: slug, name, kind, parent })?;
            }
            Change::UnitTemplate { slug, to: Some(template), .. } => {
                units::set_template(conn, catalog, actor, &slug, &template)?;
            }
            Change::UnitTemplate { slug, to: None, .. } => {
                // back to the configured default: no form does this, so it is audited here
                let unit = stored::by_slug(conn, &slug)?;
                stored::set_template(conn, unit.id, None)?;
                audit::record(conn, actor, "unit.template", &format!("{slug} asks the default template"))?;
            }
            Change::UnitKop { slug, kop } => {
                let input = LetterheadInput {
                    unit: slug,
                    agency: Some(kop.agency),
                    address: Some(kop.address),
                    phone: Some(kop.phone),
                    website: Some(kop.website),
                    logo: Default::default(),
                    place: Some(kop.place),
                    position: Some(kop.position),
                    head_name: Some(kop.head_name),
                    nip: Some(kop.nip),
                };
                letterhead::set(conn, actor, input)?;
            }
            Change::UnitActive { slug, active, .. } => units::set_enabled(conn, actor, &slug, active)?,
            Change::ServiceNew { unit, slug, name, active } => {
                let parsed = crate::domain::names::Slug::parse(&slug).map_err(|e| SetupError::Plan(e.to_string()))?;
                units::add_service(conn, actor, NewService { unit: unit.clone(), slug: parsed, name })?;
                if !active {
                    units::set_service_enabled(conn, actor, &unit, &slug, false)?;
                }
            }
            Change::ServiceRenamed { unit, slug, to, .. } => {
                units::edit_service(conn, actor, ServiceEdit { unit, service: slug, name: to })?;
            }
            Change::ServiceActive { unit, slug, active, .. } => {
                units::set_service_enabled(conn, actor, &unit, &slug, active)?;
            }
            Change::UserNew { email, name, role, units, active } => {
                let parsed = Email::parse(&email).map_err(|e| SetupError::Plan(e.to_string()))?;
                accounts::add_user(conn, actor, NewUser { email: parsed, name, role, units, password: None })?;
                if !active {
                    accounts::set_enabled(conn, actor, &email, false, now)?;
                }
                new_users.push(email);
            }
            Change::UserEdit { email, name, role, units, .. } => {
                accounts::edit_user(conn, actor, UserEdit { user: email, name, role, units })?;
            }
            Change::UserActive { email, active } => accounts::set_enabled(conn, actor, &email, active, now)?,
            Change::Population { unit, period, to, .. } => {
                let period = period.parse().map_err(|_| SetupError::Plan(format!("period {period}")))?;
                units::set_population(conn, actor, Population { unit, period, count: to })?;
            }
        }
    }
    let counts = plan.counts();
    let detail: Vec<String> = counts.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    audit::record(conn, actor, "setup.apply", &format!("setup workbook applied: {}", detail.join(", ")))?;
    Ok(Applied { counts, new_users })
}
