//! Follow-up actions (rencana tindak lanjut, RTL) for a unit's weakest elements: the rules for
//! recording one and for changing its status, each write recorded in the audit log. Used by the
//! unit dashboard's forms; blocking (call from `web::block`).

use crate::catalog::TemplateRegistry;
use crate::db::units::Unit;
use crate::db::{audit, rtl, units, DbConnection, DbError};
use crate::domain::period::Period;
use thiserror::Error;

const MAX_ACTION_CHARS: usize = 1000;
const MAX_OWNER_CHARS: usize = 200;

#[derive(Debug, Error)]
pub enum FollowUpError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// no such action in the unit
    #[error("no such follow-up action")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A follow-up action as the form sends it: text, to be checked here.
pub struct NewAction<'a> {
    pub period: &'a str,
    pub element: &'a str,
    pub action: &'a str,
    pub owner: &'a str,
    /// `YYYY-MM-DD`
    pub due: &'a str,
}

fn invalid(field: &'static str, reason: &str) -> FollowUpError {
    FollowUpError::Invalid { field, reason: reason.to_string() }
}

fn bounded(field: &'static str, text: &str, max: usize) -> Result<String, FollowUpError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(FollowUpError::Invalid { field, reason: format!("required, at most {max} characters") });
    }
    Ok(text.to_string())
}

/// Records an action for an element of the unit's questionnaire; returns its period.
pub fn add(
    conn: &mut DbConnection,
    templates: &TemplateRegistry,
    unit: &Unit,
    new: &NewAction,
    actor: i32,
) -> Result<Period, FollowUpError> {
    let period: Period = new.period.trim().parse().map_err(|_| invalid("period", "not a period"))?;
    let due = chrono::NaiveDate::parse_from_str(new.due.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("due", "not a date like 2026-12-31"))?;
    let action = bounded("action", new.action, MAX_ACTION_CHARS)?;
    let owner = bounded("owner", new.owner, MAX_OWNER_CHARS)?;
    let element = new.element.trim();
    let (_, template) = templates.current_for(unit)?;
    if template.element(element).is_none() {
        return Err(invalid("element", "not an element of the unit's questionnaire"));
    }
    rtl::create(
        conn,
        &rtl::NewRtl {
            unit_id: unit.id,
            period: &period.to_string(),
            element_code: element,
            action: &action,
            owner: &owner,
            due_date: due,
            created_by: actor,
        },
    )?;
    audit::record(conn, Some(actor), "rtl.add", &format!("{} {element}: {action}", unit.slug))?;
    Ok(period)
}

/// Moves an action of the unit to `status` (one of `rtl::STATUSES`).
pub fn set_status(
    conn: &mut DbConnection,
    unit: &Unit,
    id: i32,
    status: &str,
    actor: i32,
) -> Result<(), FollowUpError> {
    if !rtl::STATUSES.contains(&status) {
        return Err(FollowUpError::Invalid { field: "status", reason: format!("one of {}", rtl::STATUSES.join(", ")) });
    }
    // a roll-up's page lists its members' actions too
    let subtree = units::subtree_ids(conn, unit.id)?;
    if !rtl::set_status(conn, id, &subtree, status)? {
        return Err(FollowUpError::NotFound);
    }
    audit::record(conn, Some(actor), "rtl.status", &format!("{} action {id}: {status}", unit.slug))?;
    Ok(())
}
