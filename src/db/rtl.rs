//! Rencana tindak lanjut: follow-up actions for a unit's weakest elements.

use super::schema::rtl_actions;
use super::{now_utc, DbConnection, DbError};
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

pub const STATUSES: [&str; 3] = ["planned", "in_progress", "done"];

pub struct NewRtl<'a> {
    pub unit_id: i32,
    pub period: &'a str,
    pub element_code: &'a str,
    pub action: &'a str,
    pub owner: &'a str,
    pub due_date: chrono::NaiveDate,
    pub created_by: i32,
}

pub fn create(conn: &mut DbConnection, new: &NewRtl) -> Result<(), DbError> {
    let now = now_utc();
    diesel::insert_into(rtl_actions::table)
        .values((
            rtl_actions::unit_id.eq(new.unit_id),
            rtl_actions::period.eq(new.period),
            rtl_actions::element_code.eq(new.element_code),
            rtl_actions::action.eq(new.action),
            rtl_actions::owner.eq(new.owner),
            rtl_actions::due_date.eq(new.due_date.to_string()),
            rtl_actions::status.eq("planned"),
            rtl_actions::created_by.eq(Some(new.created_by)),
            rtl_actions::created_at.eq(now),
            rtl_actions::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Changes the status of an action of one of `unit_ids` (nothing happens for another unit's).
pub fn set_status(conn: &mut DbConnection, id: i32, unit_ids: &[i32], status: &str) -> Result<bool, DbError> {
    let updated = diesel::update(rtl_actions::table.find(id).filter(rtl_actions::unit_id.eq_any(unit_ids)))
        .set((rtl_actions::status.eq(status), rtl_actions::updated_at.eq(now_utc())))
        .execute(conn)?;
    Ok(updated > 0)
}

/// The actions of any of `unit_ids` (a roll-up's are its members'), by due date.
pub fn for_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<Vec<RtlAction>, DbError> {
    Ok(rtl_actions::table
        .filter(rtl_actions::unit_id.eq_any(unit_ids))
        .order((rtl_actions::due_date.asc(), rtl_actions::id.asc()))
        .select(RtlAction::as_select())
        .load(conn)?)
}

pub fn for_unit(conn: &mut DbConnection, unit_id: i32) -> Result<Vec<RtlAction>, DbError> {
    Ok(rtl_actions::table
        .filter(rtl_actions::unit_id.eq(unit_id))
        .order((rtl_actions::due_date.asc(), rtl_actions::id.asc()))
        .select(RtlAction::as_select())
        .load(conn)?)
}

/// Open actions (not done) per unit, and how many of them are past due on `today`.
pub fn open_counts(conn: &mut DbConnection, today: chrono::NaiveDate) -> Result<Vec<(i32, i64, i64)>, DbError> {
    let open: Vec<(i32, String)> = rtl_actions::table
        .filter(rtl_actions::status.ne("done"))
        .select((rtl_actions::unit_id, rtl_actions::due_date))
        .load(conn)?;
    let mut counts: std::collections::BTreeMap<i32, (i64, i64)> = std::collections::BTreeMap::new();
    let today = today.to_string();
    for (unit, due) in open {
        let entry = counts.entry(unit).or_default();
        entry.0 += 1;
        if due < today {
            entry.1 += 1;
        }
    }
    Ok(counts.into_iter().map(|(u, (open, late))| (u, open, late)).collect())
}
