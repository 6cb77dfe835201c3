//! Publication of results: nothing is public until an admin publishes a unit's period.

use super::schema::publications;
use super::{now_utc, DbConnection, DbError};
use diesel::prelude::*;

/// Publishes (again) a unit's period; the newest publication is the one shown.
pub fn publish(conn: &mut DbConnection, unit_id: i32, period: &str, user_id: i32) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::delete(publications::table.find((unit_id, period))).execute(conn)?;
        diesel::insert_into(publications::table)
            .values((
                publications::unit_id.eq(unit_id),
                publications::period.eq(period),
                publications::published_at.eq(now_utc()),
                publications::published_by.eq(Some(user_id)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Each unit's most recently published period.
pub fn latest(conn: &mut DbConnection) -> Result<Vec<(i32, String)>, DbError> {
    let all: Vec<(i32, String, chrono::NaiveDateTime)> = publications::table
        .order((publications::unit_id.asc(), publications::published_at.desc()))
        .select((publications::unit_id, publications::period, publications::published_at))
        .load(conn)?;
    let mut latest: Vec<(i32, String)> = Vec::new();
    for (unit, period, _) in all {
        if latest.last().is_none_or(|(u, _)| *u != unit) {
            latest.push((unit, period));
        }
    }
    Ok(latest)
}
