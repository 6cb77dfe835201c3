//! Follow-up actions (rencana tindak lanjut, RTL) for a unit's weakest elements: the rules for
//! recording one and for changing its status (SPEC §6a: done needs evidence, dropped a reason),
//! each write recorded in the audit log, and the tracker the pages, the e-mails and the PEKPPP
//! evidence pack read (status history, evidence, late actions, % done). Blocking (call from
//! `web::block`).

use crate::catalog::TemplateRegistry;
use crate::db::images::{self, StoredImage};
use crate::db::rtl::{self, HistoryEntry, RtlAction};
use crate::db::units::Unit;
use crate::db::{audit, units, DbConnection, DbError};
use crate::domain::follow_up::{self, belongs_to, Brought, ChangeProblem, Progress};
use crate::domain::names::RtlStatus;
use crate::domain::period::Period;
use crate::domain::proof::{self, ProofImage, ProofUrl};
use diesel::Connection;
use std::collections::{BTreeMap, HashMap};
use thiserror::Error;

const MAX_ACTION_CHARS: usize = 1000;
const MAX_OWNER_CHARS: usize = 200;

#[derive(Debug, Error)]
pub enum FollowUpError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// a status change without what it needs, or with a proof that is not one
    #[error("{0}")]
    Refused(ChangeProblem),
    /// no such action in the unit
    #[error("no such follow-up action")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for FollowUpError {
    fn from(err: diesel::result::Error) -> Self {
        FollowUpError::Db(err.into())
    }
}

/// A follow-up action as the form sends it: text, to be checked here.
pub struct NewAction<'a> {
    pub period: &'a str,
    pub element: &'a str,
    /// the action in the unit's own words; when empty, `suggestion` is the action
    pub action: &'a str,
    /// one of the element's suggested actions (the template's `suggested_actions`), or empty
    pub suggestion: &'a str,
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
    let written = if new.action.trim().is_empty() { new.suggestion } else { new.action };
    let action = bounded("action", written, MAX_ACTION_CHARS)?;
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

/// A status change as the form sends it: the new status, and what comes with it (evidence of
/// completion or a reason: a note, a link, an image's bytes; each may be empty).
pub struct StatusChange<'a> {
    pub status: &'a str,
    pub note: &'a str,
    pub url: &'a str,
    pub image: Vec<u8>,
}

/// Moves an action of the unit (or of a unit below it) to a new status, with its evidence or
/// reason, and writes the history line; returns the new status.
pub fn set_status(
    conn: &mut DbConnection,
    unit: &Unit,
    id: i32,
    change: StatusChange,
    actor: i32,
) -> Result<RtlStatus, FollowUpError> {
    let status: RtlStatus = change.status.parse().map_err(|_| FollowUpError::Invalid {
        field: "status",
        reason: format!("one of {}", RtlStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
    })?;
    let refused = |e| FollowUpError::Refused(ChangeProblem::Proof(e));
    let note = proof::note(change.note).map_err(refused)?;
    let url = ProofUrl::parse(change.url).map_err(refused)?;
    let image = ProofImage::parse(change.image).map_err(refused)?;
    let brought = Brought { note: note.is_some(), url: url.is_some(), image: image.is_some() };
    follow_up::check_change(status, brought).map_err(FollowUpError::Refused)?;
    // a roll-up's page lists its members' actions too
    let subtree = units::subtree_ids(conn, unit.id)?;
    conn.transaction(|conn| {
        let image_id = image.as_ref().map(|i| images::insert(conn, i, Some(actor))).transpose()?;
        let stored = rtl::Change {
            status,
            by: Some(actor),
            note: note.as_deref(),
            url: url.as_ref().map(ProofUrl::as_str),
            image_id,
        };
        if !rtl::set_status(conn, id, &subtree, &stored)? {
            return Err(FollowUpError::NotFound);
        }
        let with: Vec<&str> = [(brought.note, "note"), (brought.url, "link"), (brought.image, "image")]
            .into_iter()
            .filter_map(|(on, what)| on.then_some(what))
            .collect();
        let with = if with.is_empty() { String::new() } else { format!(" with {}", with.join(", ")) };
        audit::record(conn, Some(actor), "rtl.status", &format!("{} action {id}: {status}{with}", unit.slug))?;
        Ok(status)
    })
}

/// The image that came with an action's latest change that brought one, for a reader of the
/// unit (the action is the unit's or a unit's below it).
pub fn evidence_image(conn: &mut DbConnection, unit: &Unit, id: i32) -> Result<StoredImage, FollowUpError> {
    let subtree = units::subtree_ids(conn, unit.id)?;
    let image_id = rtl::latest_image(conn, id, &subtree)?.ok_or(FollowUpError::NotFound)?;
    Ok(images::get(conn, image_id)?)
}

/// What shows an action done: what came with its latest move to done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub note: Option<String>,
    pub url: Option<String>,
    /// an image came with it (served by `evidence_image`)
    pub image: bool,
    pub by: Option<String>,
    pub at: chrono::NaiveDateTime,
}

/// One row of the tracker: an action, where it stands on the day, and how it got there.
#[derive(Debug, Clone)]
pub struct TrackedAction {
    pub action: RtlAction,
    pub status: RtlStatus,
    /// days past the due date, for a late action (past due, neither done nor dropped)
    pub days_late: Option<i64>,
    /// done: its evidence
    pub evidence: Option<Evidence>,
    /// dropped: why
    pub reason: Option<String>,
    /// every change, oldest first (the first is its creation)
    pub history: Vec<HistoryEntry>,
}

impl TrackedAction {
    pub fn is_late(&self) -> bool {
        self.days_late.is_some()
    }
}

/// The follow-up actions of some units (a unit, a roll-up, a regency) with their % done: what the
/// unit page's panel shows and what the PEKPPP evidence pack lists.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    /// by due date
    pub actions: Vec<TrackedAction>,
    pub progress: Progress,
}

impl Tracker {
    fn of(actions: Vec<TrackedAction>, today: chrono::NaiveDate) -> Tracker {
        let progress = Progress::of(actions.iter().map(|a| (a.status, a.action.due())), today);
        Tracker { actions, progress }
    }

    /// The actions that belong to `period` (they overlap it, `domain::follow_up::belongs_to`) and
    /// the others, each with its own progress.
    pub fn split(self, period: &Period, today: chrono::NaiveDate) -> (Tracker, Tracker) {
        let (inside, outside): (Vec<_>, Vec<_>) =
            self.actions.into_iter().partition(|a| a.action.period.parse().is_ok_and(|p| belongs_to(&p, period)));
        (Tracker::of(inside, today), Tracker::of(outside, today))
    }

    /// Each unit's progress.
    pub fn by_unit(&self, today: chrono::NaiveDate) -> BTreeMap<i32, Progress> {
        let mut units: BTreeMap<i32, Progress> = BTreeMap::new();
        for a in &self.actions {
            units.entry(a.action.unit_id).or_default().add(a.status, a.action.due(), today);
        }
        units
    }
}

/// The tracker of `unit_ids`' actions on `today`: all of them, or only those of `period`.
pub fn tracker(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    period: Option<&Period>,
    today: chrono::NaiveDate,
) -> Result<Tracker, DbError> {
    let actions = rtl::for_units(conn, unit_ids)?;
    let ids: Vec<i32> = actions.iter().map(|a| a.id).collect();
    let mut histories: HashMap<i32, Vec<HistoryEntry>> = HashMap::new();
    for entry in rtl::history(conn, &ids)? {
        histories.entry(entry.action_id).or_default().push(entry);
    }
    let tracked = actions
        .into_iter()
        .map(|action| {
            let history = histories.remove(&action.id).unwrap_or_default();
            let status = action.status();
            let last_to = |to: RtlStatus| history.iter().rev().find(|h| h.to_status == to.as_str());
            let evidence = (status == RtlStatus::Done).then(|| last_to(RtlStatus::Done)).flatten().map(|h| Evidence {
                note: h.note.clone(),
                url: h.url.clone(),
                image: h.image_id.is_some(),
                by: h.by.clone(),
                at: h.at,
            });
            let reason = (status == RtlStatus::Dropped)
                .then(|| last_to(RtlStatus::Dropped))
                .flatten()
                .and_then(|h| h.note.clone());
            TrackedAction {
                days_late: follow_up::days_late(status, action.due(), today),
                status,
                evidence,
                reason,
                history,
                action,
            }
        })
        .collect();
    let all = Tracker::of(tracked, today);
    Ok(match period {
        Some(period) => all.split(period, today).0,
        None => all,
    })
}

/// The progress of those of `actions` that belong to `period` (all of them with `None`).
pub fn progress_of(actions: &[RtlAction], period: Option<&Period>, today: chrono::NaiveDate) -> Progress {
    Progress::of(
        actions
            .iter()
            .filter(|a| period.is_none_or(|p| a.period.parse().is_ok_and(|own| belongs_to(&own, p))))
            .map(|a| (a.status(), a.due())),
        today,
    )
}
