//! Rencana tindak lanjut: follow-up actions for a unit's weakest elements, and every change of
//! their status (who, when, the evidence or the reason that came with it).

use super::schema::{rtl_actions, rtl_status_changes, users};
use super::{now_utc, DbConnection, DbError};
use crate::domain::names::RtlStatus;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = rtl_actions)]
pub struct RtlAction {
    pub id: i32,
    pub unit_id: i32,
    pub period: String,
    pub element_code: String,
    pub action: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
    pub created_by: Option<i32>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl RtlAction {
    /// The stored status (the table's CHECK admits only the four).
    pub fn status(&self) -> RtlStatus {
        self.status.parse().unwrap_or(RtlStatus::Planned)
    }

    /// The due date; an unreadable one (never written by skm) is never late.
    pub fn due(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.due_date, "%Y-%m-%d").unwrap_or(NaiveDate::MAX)
    }
}

pub struct NewRtl<'a> {
    pub unit_id: i32,
    pub period: &'a str,
    pub element_code: &'a str,
    pub action: &'a str,
    pub owner: &'a str,
    pub due_date: NaiveDate,
    pub created_by: i32,
}

/// Records a planned action and the first line of its history; returns its id.
pub fn create(conn: &mut DbConnection, new: &NewRtl) -> Result<i32, DbError> {
    let now = now_utc();
    conn.transaction(|conn| {
        let id = diesel::insert_into(rtl_actions::table)
            .values((
                rtl_actions::unit_id.eq(new.unit_id),
                rtl_actions::period.eq(new.period),
                rtl_actions::element_code.eq(new.element_code),
                rtl_actions::action.eq(new.action),
                rtl_actions::owner.eq(new.owner),
                rtl_actions::due_date.eq(new.due_date.to_string()),
                rtl_actions::status.eq(RtlStatus::Planned.as_str()),
                rtl_actions::created_by.eq(Some(new.created_by)),
                rtl_actions::created_at.eq(now),
                rtl_actions::updated_at.eq(now),
            ))
            .returning(rtl_actions::id)
            .get_result::<i32>(conn)?;
        diesel::insert_into(rtl_status_changes::table)
            .values((
                rtl_status_changes::action_id.eq(id),
                rtl_status_changes::from_status.eq(None::<String>),
                rtl_status_changes::to_status.eq(RtlStatus::Planned.as_str()),
                rtl_status_changes::changed_by.eq(Some(new.created_by)),
                rtl_status_changes::changed_at.eq(now),
            ))
            .execute(conn)?;
        Ok(id)
    })
}

/// A status change as stored: the rules (evidence for done, a reason for dropped) are the
/// follow-up service's.
pub struct Change<'a> {
    pub status: RtlStatus,
    pub by: Option<i32>,
    pub note: Option<&'a str>,
    pub url: Option<&'a str>,
    /// a stored proof image (`db::images`)
    pub image_id: Option<i32>,
}

/// Moves an action of one of `unit_ids` to `change.status` and writes the history line; `false`
/// (nothing written) for an action of another unit or none.
pub fn set_status(conn: &mut DbConnection, id: i32, unit_ids: &[i32], change: &Change) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let from: Option<String> = rtl_actions::table
            .find(id)
            .filter(rtl_actions::unit_id.eq_any(unit_ids))
            .select(rtl_actions::status)
            .first(conn)
            .optional()?;
        let Some(from) = from else { return Ok(false) };
        let now = now_utc();
        diesel::update(rtl_actions::table.find(id))
            .set((rtl_actions::status.eq(change.status.as_str()), rtl_actions::updated_at.eq(now)))
            .execute(conn)?;
        diesel::insert_into(rtl_status_changes::table)
            .values((
                rtl_status_changes::action_id.eq(id),
                rtl_status_changes::from_status.eq(Some(from)),
                rtl_status_changes::to_status.eq(change.status.as_str()),
                rtl_status_changes::changed_by.eq(change.by),
                rtl_status_changes::changed_at.eq(now),
                rtl_status_changes::note.eq(change.note),
                rtl_status_changes::url.eq(change.url),
                rtl_status_changes::image_id.eq(change.image_id),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

/// The actions of any of `unit_ids` (a roll-up's are its members'), by due date.
pub fn for_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<Vec<RtlAction>, DbError> {
    // in 500s: a province's units are thousands, past what one statement may bind
    let mut found: Vec<RtlAction> = Vec::new();
    for chunk in unit_ids.chunks(500) {
        found.extend(
            rtl_actions::table.filter(rtl_actions::unit_id.eq_any(chunk)).select(RtlAction::as_select()).load(conn)?,
        );
    }
    found.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.id.cmp(&b.id)));
    Ok(found)
}

pub fn for_unit(conn: &mut DbConnection, unit_id: i32) -> Result<Vec<RtlAction>, DbError> {
    for_units(conn, &[unit_id])
}

/// Every action of every unit (a regency has hundreds, not millions), by due date.
pub fn all(conn: &mut DbConnection) -> Result<Vec<RtlAction>, DbError> {
    Ok(rtl_actions::table
        .order((rtl_actions::due_date.asc(), rtl_actions::id.asc()))
        .select(RtlAction::as_select())
        .load(conn)?)
}

/// One line of an action's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: i32,
    pub action_id: i32,
    /// `None` for the line that created the action
    pub from_status: Option<String>,
    pub to_status: String,
    /// the user's name; `None` when not known (recorded before the history was kept)
    pub by: Option<String>,
    pub at: chrono::NaiveDateTime,
    pub note: Option<String>,
    pub url: Option<String>,
    pub image_id: Option<i32>,
}

type HistoryRow = (
    i32,
    i32,
    Option<String>,
    String,
    Option<String>,
    chrono::NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<i32>,
);

/// The history of the given actions, oldest first within each action.
pub fn history(conn: &mut DbConnection, action_ids: &[i32]) -> Result<Vec<HistoryEntry>, DbError> {
    let rows: Vec<HistoryRow> = rtl_status_changes::table
        .left_join(users::table)
        .filter(rtl_status_changes::action_id.eq_any(action_ids))
        .order((rtl_status_changes::action_id.asc(), rtl_status_changes::id.asc()))
        .select((
            rtl_status_changes::id,
            rtl_status_changes::action_id,
            rtl_status_changes::from_status,
            rtl_status_changes::to_status,
            users::name.nullable(),
            rtl_status_changes::changed_at,
            rtl_status_changes::note,
            rtl_status_changes::url,
            rtl_status_changes::image_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, action_id, from_status, to_status, by, at, note, url, image_id)| HistoryEntry {
            id,
            action_id,
            from_status,
            to_status,
            by,
            at,
            note,
            url,
            image_id,
        })
        .collect())
}

/// The image that came with the latest change of an action of one of `unit_ids` that brought
/// one; `None` for an action without an image, of another unit, or none.
pub fn latest_image(conn: &mut DbConnection, action_id: i32, unit_ids: &[i32]) -> Result<Option<i32>, DbError> {
    let image: Option<Option<i32>> = rtl_status_changes::table
        .inner_join(rtl_actions::table)
        .filter(rtl_status_changes::action_id.eq(action_id))
        .filter(rtl_actions::unit_id.eq_any(unit_ids))
        .filter(rtl_status_changes::image_id.is_not_null())
        .order(rtl_status_changes::id.desc())
        .select(rtl_status_changes::image_id)
        .first(conn)
        .optional()?;
    Ok(image.flatten())
}
