//! Survey invitations (issue 19, point 2): one-time short links a unit's service system asks
//! for, each spent by one response. The transaction reference is never here, only its keyed
//! hash (`security::Keys::invitation_reference_hash`).

use super::schema::invitations;
use super::{DbConnection, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A stored invitation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i32,
    pub unit_id: i32,
    pub code: String,
    pub ref_hash: Option<String>,
    pub service_id: Option<i32>,
    pub counter_id: Option<i32>,
    pub officer_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub spent_at: Option<NaiveDateTime>,
    pub response_id: Option<String>,
}

/// An invitation to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewRow<'a> {
    pub unit_id: i32,
    pub code: &'a str,
    pub ref_hash: Option<&'a str>,
    pub service_id: Option<i32>,
    pub counter_id: Option<i32>,
    pub officer_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores an invitation; a code or a (unit, reference hash) already taken is a `Conflict`.
pub fn insert(conn: &mut DbConnection, row: &NewRow) -> Result<Invitation, DbError> {
    diesel::insert_into(invitations::table).values(row).execute(conn)?;
    by_code(conn, row.code)?.ok_or(DbError::NotFound)
}

pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Invitation>, DbError> {
    Ok(invitations::table.filter(invitations::code.eq(code)).select(Invitation::as_select()).first(conn).optional()?)
}

pub fn by_id(conn: &mut DbConnection, id: i32) -> Result<Option<Invitation>, DbError> {
    Ok(invitations::table.find(id).select(Invitation::as_select()).first(conn).optional()?)
}

/// The unit's invitation for a transaction reference (by its keyed hash).
pub fn by_reference(conn: &mut DbConnection, unit_id: i32, ref_hash: &str) -> Result<Option<Invitation>, DbError> {
    Ok(invitations::table
        .filter(invitations::unit_id.eq(unit_id))
        .filter(invitations::ref_hash.eq(ref_hash))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

/// Spends an unspent invitation on a response: one conditional UPDATE, so that of concurrent
/// submissions exactly one changes the row (PostgreSQL makes the others wait for the row and
/// then see it spent; SQLite runs writers one at a time). Run it inside the response's own
/// transaction. `false`: it was already spent (or does not exist).
pub fn spend(conn: &mut DbConnection, id: i32, response_id: &str, at: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(invitations::table.find(id).filter(invitations::spent_at.is_null()))
        .set((invitations::spent_at.eq(at), invitations::response_id.eq(response_id)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Invitations issued and answered in one group: a unit, a service (`None`: the citizen chose,
/// as on a pre-printed slip) and a counter (`None`: none named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub unit_id: i32,
    pub service_id: Option<i32>,
    pub counter_id: Option<i32>,
    pub issued: i64,
    pub answered: i64,
}

/// Invitations of `unit_ids` issued in `[from, to)` (UTC; `Period::utc_bounds` gives a month's),
/// and how many of them were answered (whenever), per unit, service and counter: the response
/// rate's two numbers, counted by the database.
pub fn counts(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<Count>, DbError> {
    use diesel::dsl::count;
    type Row = (i32, Option<i32>, Option<i32>, i64, i64);
    let rows: Vec<Row> = invitations::table
        .filter(invitations::unit_id.eq_any(unit_ids))
        .filter(invitations::created_at.ge(from))
        .filter(invitations::created_at.lt(to))
        .group_by((invitations::unit_id, invitations::service_id, invitations::counter_id))
        .select((
            invitations::unit_id,
            invitations::service_id,
            invitations::counter_id,
            count(invitations::id),
            count(invitations::spent_at),
        ))
        .order_by((invitations::unit_id, invitations::service_id, invitations::counter_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(unit_id, service_id, counter_id, issued, answered)| Count {
            unit_id,
            service_id,
            counter_id,
            issued,
            answered,
        })
        .collect())
}
