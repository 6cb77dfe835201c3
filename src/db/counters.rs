//! A unit's counters (loket) and officers (petugas), and the per-counter and per-officer sums
//! behind the unit head's scorecard. The two rosters have the same columns, so one set of
//! statements serves both; the table name comes from `Roster`, never from input.

use super::statement::{Statement, Value};
use super::{now_utc, DbConnection, DbError};
use crate::domain::ikm::ElementTally;
use crate::domain::period::Period;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel::QueryableByName;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Roster {
    Counters,
    Officers,
}

impl Roster {
    fn table(self) -> &'static str {
        match self {
            Roster::Counters => "counters",
            Roster::Officers => "officers",
        }
    }

    /// The response column that points into this roster.
    fn column(self) -> &'static str {
        match self {
            Roster::Counters => "counter_id",
            Roster::Officers => "officer_id",
        }
    }
}

/// A counter or an officer of a unit.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Member {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Integer)]
    pub unit_id: i32,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Bool)]
    pub enabled: bool,
}

/// Adds a counter or an officer; a code the unit already has is a `Conflict`.
pub fn add(conn: &mut DbConnection, roster: Roster, unit_id: i32, code: &str, name: &str) -> Result<Member, DbError> {
    use super::schema::{counters, officers};
    use diesel::prelude::*;
    let now = now_utc();
    let inserted = match roster {
        Roster::Counters => diesel::insert_into(counters::table)
            .values((
                counters::unit_id.eq(unit_id),
                counters::code.eq(code),
                counters::name.eq(name),
                counters::enabled.eq(true),
                counters::created_at.eq(now),
            ))
            .execute(conn),
        Roster::Officers => diesel::insert_into(officers::table)
            .values((
                officers::unit_id.eq(unit_id),
                officers::code.eq(code),
                officers::name.eq(name),
                officers::enabled.eq(true),
                officers::created_at.eq(now),
            ))
            .execute(conn),
    };
    match inserted.map_err(DbError::from) {
        Ok(_) => {}
        Err(DbError::Conflict(_)) => return Err(DbError::Conflict(format!("the unit already has '{code}'"))),
        Err(other) => return Err(other),
    }
    by_code(conn, roster, unit_id, code)?.ok_or(DbError::NotFound)
}

fn select(roster: Roster) -> Statement<'static> {
    let mut statement = Statement::new();
    statement.sql("SELECT id, unit_id, code, name, enabled FROM ").sql(roster.table()).sql(" WHERE unit_id = ");
    statement
}

/// The unit's counters or officers, enabled or not, by code.
pub fn list(conn: &mut DbConnection, roster: Roster, unit_id: i32) -> Result<Vec<Member>, DbError> {
    select(roster).bind(Value::Int(unit_id)).sql(" ORDER BY code").load(conn)
}

/// Every unit's counters or officers, by unit and code.
pub fn all(conn: &mut DbConnection, roster: Roster) -> Result<Vec<Member>, DbError> {
    Statement::new()
        .sql("SELECT id, unit_id, code, name, enabled FROM ")
        .sql(roster.table())
        .sql(" ORDER BY unit_id, code")
        .load(conn)
}

/// One counter or officer of the unit by its code, enabled or not.
pub fn by_code(conn: &mut DbConnection, roster: Roster, unit_id: i32, code: &str) -> Result<Option<Member>, DbError> {
    Ok(select(roster).bind(Value::Int(unit_id)).sql(" AND code = ").bind(Value::Text(code)).load(conn)?.pop())
}

/// Takes a counter or officer out of use (its responses keep it) or back; `NotFound` for a code
/// the unit does not have.
pub fn set_enabled(
    conn: &mut DbConnection,
    roster: Roster,
    unit_id: i32,
    code: &str,
    enabled: bool,
) -> Result<(), DbError> {
    let changed = Statement::new()
        .sql("UPDATE ")
        .sql(roster.table())
        .sql(" SET enabled = ")
        .sql(if enabled { "TRUE" } else { "FALSE" })
        .sql(" WHERE unit_id = ")
        .bind(Value::Int(unit_id))
        .sql(" AND code = ")
        .bind(Value::Text(code))
        .execute(conn)?;
    if changed == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// One group's sums: responses and per-element sums and counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupSums {
    pub responses: u64,
    pub elements: BTreeMap<String, ElementTally>,
}

#[derive(QueryableByName)]
struct ElementRow {
    #[diesel(sql_type = Nullable<Integer>)]
    group_key: Option<i32>,
    #[diesel(sql_type = Text)]
    element_code: String,
    #[diesel(sql_type = BigInt)]
    score_sum: i64,
    #[diesel(sql_type = BigInt)]
    answer_count: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Nullable<Integer>)]
    group_key: Option<i32>,
    #[diesel(sql_type = BigInt)]
    responses: i64,
}

/// The unit's responses of the period (to the given questionnaire versions) that name a
/// counter (or officer), summed per counter (or officer) and element by the database.
pub fn sums(
    conn: &mut DbConnection,
    roster: Roster,
    unit_id: i32,
    template_version_ids: &[i32],
    period: &Period,
) -> Result<BTreeMap<i32, GroupSums>, DbError> {
    let mut groups: BTreeMap<i32, GroupSums> = BTreeMap::new();
    if template_version_ids.is_empty() {
        return Ok(groups);
    }
    let (from, to) = (period.first_day().to_string(), period.end_exclusive().to_string());
    let mut counts = Statement::new();
    counts
        .uncached()
        .sql("SELECT r.")
        .sql(roster.column())
        .sql(" AS group_key, COUNT(*) AS responses FROM responses r");
    filter(&mut counts, roster, unit_id, template_version_ids, (&from, &to));
    counts.sql(" GROUP BY r.").sql(roster.column());
    for row in counts.load::<CountRow>(conn)? {
        if let Some(key) = row.group_key {
            groups.entry(key).or_default().responses = row.responses.max(0) as u64;
        }
    }
    let mut elements = Statement::new();
    elements
        .uncached()
        .sql("SELECT r.")
        .sql(roster.column())
        .sql(" AS group_key, a.element_code, CAST(SUM(a.score) AS BIGINT) AS score_sum, COUNT(*) AS answer_count")
        .sql(" FROM responses r JOIN answers a ON a.response_id = r.id");
    filter(&mut elements, roster, unit_id, template_version_ids, (&from, &to));
    elements.sql(" GROUP BY r.").sql(roster.column()).sql(", a.element_code");
    for row in elements.load::<ElementRow>(conn)? {
        if let Some(key) = row.group_key {
            groups.entry(key).or_default().elements.insert(
                row.element_code,
                ElementTally { sum: row.score_sum.max(0) as u64, count: row.answer_count.max(0) as u64 },
            );
        }
    }
    Ok(groups)
}

/// The unit's responses of the period that name a member of the roster.
fn filter<'a>(
    statement: &mut Statement<'a>,
    roster: Roster,
    unit_id: i32,
    template_version_ids: &'a [i32],
    (from, to): (&'a str, &'a str),
) {
    statement
        .sql(" WHERE r.unit_id = ")
        .bind(Value::Int(unit_id))
        .sql(" AND r.template_version_id IN (")
        .list(template_version_ids.iter().map(|id| Value::Int(*id)))
        .sql(") AND r.survey_date >= ")
        .bind(Value::Text(from))
        .sql(" AND r.survey_date < ")
        .bind(Value::Text(to))
        .sql(" AND r.")
        .sql(roster.column())
        .sql(" IS NOT NULL");
}
