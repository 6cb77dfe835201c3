//! Publication of results: nothing is public until an admin publishes a unit's period, and it
//! stays public until an admin takes it back. A unit with sub-units is published as its roll-up
//! (`with_subunits`); the rules for what may be published are the units service's.

use super::schema::publications;
use super::{now_utc, DbConnection, DbError};
use diesel::prelude::*;

/// One published period of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = publications)]
pub struct Publication {
    pub unit_id: i32,
    /// as `Period` writes it ("2026-10", "2026-Q3", "2026")
    pub period: String,
    /// the unit's roll-up (its pooled responses and its sub-units), not its own responses only
    pub with_subunits: bool,
    pub published_at: chrono::NaiveDateTime,
}

/// Publishes (again) a unit's period; publishing again replaces the earlier publication.
pub fn publish(
    conn: &mut DbConnection,
    unit_id: i32,
    period: &str,
    with_subunits: bool,
    user_id: Option<i32>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::delete(publications::table.find((unit_id, period))).execute(conn)?;
        diesel::insert_into(publications::table)
            .values((
                publications::unit_id.eq(unit_id),
                publications::period.eq(period),
                publications::published_at.eq(now_utc()),
                publications::published_by.eq(user_id),
                publications::with_subunits.eq(with_subunits),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Takes a unit's period off the public page; `false` when it was not published.
pub fn unpublish(conn: &mut DbConnection, unit_id: i32, period: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(publications::table.find((unit_id, period))).execute(conn)? > 0)
}

/// Every publication, by unit, the most recently published first.
pub fn all(conn: &mut DbConnection) -> Result<Vec<Publication>, DbError> {
    Ok(publications::table
        .order((publications::unit_id.asc(), publications::published_at.desc()))
        .select(Publication::as_select())
        .load(conn)?)
}
