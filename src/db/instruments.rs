//! Zona Integritas instruments (FORMAT.md, "Attached instruments"): which questionnaires a unit
//! attaches to its main one, each submission's answers to them, and their sums. The answers live
//! in `instrument_answers`, apart from `answers` and the daily totals, so nothing of them reaches
//! the main questionnaire's figures.

use super::schema::{instrument_answers, unit_instruments};
use super::statement::{Statement, Value};
use super::{DbConnection, DbError};
use crate::domain::ikm::ElementTally;
use crate::domain::period::Period;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::collections::BTreeMap;

/// One submission's answers to one attached instrument, in the instrument's element order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentAnswers {
    pub template_version_id: i32,
    pub answers: Vec<(String, i32)>,
}

/// The template ids a unit attaches, in form order.
pub fn for_unit(conn: &mut DbConnection, unit_id: i32) -> Result<Vec<String>, DbError> {
    Ok(unit_instruments::table
        .filter(unit_instruments::unit_id.eq(unit_id))
        .order((unit_instruments::position.asc(), unit_instruments::template_id.asc()))
        .select(unit_instruments::template_id)
        .load(conn)?)
}

/// Every unit's attached template ids, in form order: (unit id, template id).
pub fn all(conn: &mut DbConnection) -> Result<Vec<(i32, String)>, DbError> {
    Ok(unit_instruments::table
        .order((unit_instruments::unit_id.asc(), unit_instruments::position.asc()))
        .select((unit_instruments::unit_id, unit_instruments::template_id))
        .load(conn)?)
}

/// Attaches `template_id` after the unit's others; `false` when it is already attached.
pub fn attach(conn: &mut DbConnection, unit_id: i32, template_id: &str) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let present = for_unit(conn, unit_id)?;
        if present.iter().any(|t| t == template_id) {
            return Ok(false);
        }
        let position = i32::try_from(present.len()).unwrap_or(i32::MAX - 1) + 1;
        diesel::insert_into(unit_instruments::table)
            .values((
                unit_instruments::unit_id.eq(unit_id),
                unit_instruments::template_id.eq(template_id),
                unit_instruments::position.eq(position),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

/// Detaches `template_id`; `false` when it was not attached. Stored answers stay (history).
pub fn detach(conn: &mut DbConnection, unit_id: i32, template_id: &str) -> Result<bool, DbError> {
    let removed = diesel::delete(
        unit_instruments::table
            .filter(unit_instruments::unit_id.eq(unit_id))
            .filter(unit_instruments::template_id.eq(template_id)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// Writes a response's instrument answers; called inside the response's own transaction.
pub(super) fn write_answers(
    conn: &mut DbConnection,
    response_id: &str,
    instruments: &[InstrumentAnswers],
) -> Result<(), DbError> {
    for instrument in instruments.iter().filter(|i| !i.answers.is_empty()) {
        Statement::new()
            .sql("INSERT INTO instrument_answers (response_id, template_version_id, element_code, score) VALUES ")
            .rows(instrument.answers.iter().map(|(code, score)| {
                [
                    Value::Text(response_id),
                    Value::Int(instrument.template_version_id),
                    Value::Text(code),
                    Value::Int(*score),
                ]
            }))
            .execute(conn)?;
    }
    Ok(())
}

/// One response's answers to the instruments, by template version (for tests and exports).
pub fn answers_of(conn: &mut DbConnection, response_id: &str) -> Result<Vec<(i32, String, i32)>, DbError> {
    Ok(instrument_answers::table
        .filter(instrument_answers::response_id.eq(response_id))
        .order((instrument_answers::template_version_id.asc(), instrument_answers::element_code.asc()))
        .select((instrument_answers::template_version_id, instrument_answers::element_code, instrument_answers::score))
        .load(conn)?)
}

/// Which submissions to total: the responses of `unit_ids` (and `service_id`) whose survey date
/// falls in `period`, answers to the versions `template_version_ids` of one instrument.
#[derive(Debug, Clone)]
pub struct InstrumentScope<'a> {
    pub unit_ids: &'a [i32],
    pub service_id: Option<i32>,
    pub template_version_ids: &'a [i32],
    pub period: Period,
}

/// An instrument's sums in a scope: the submissions that answered it and each element's tally.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstrumentTotals {
    pub submissions: u64,
    pub elements: BTreeMap<String, ElementTally>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    element_code: String,
    #[diesel(sql_type = BigInt)]
    score_sum: i64,
    #[diesel(sql_type = BigInt)]
    answer_count: i64,
}

/// Sums per element in SQL (`element_code` '' carries the number of submissions).
pub fn totals(conn: &mut DbConnection, scope: &InstrumentScope) -> Result<InstrumentTotals, DbError> {
    if scope.unit_ids.is_empty() || scope.template_version_ids.is_empty() {
        return Ok(InstrumentTotals::default());
    }
    let (from, to) = (scope.period.first_day().to_string(), scope.period.end_exclusive().to_string());
    let mut statement = Statement::new();
    statement.uncached();
    for (i, select) in [
        "SELECT a.element_code AS element_code, CAST(SUM(a.score) AS BIGINT) AS score_sum, \
         CAST(COUNT(*) AS BIGINT) AS answer_count",
        "SELECT '' AS element_code, CAST(0 AS BIGINT) AS score_sum, \
         CAST(COUNT(DISTINCT a.response_id) AS BIGINT) AS answer_count",
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            statement.sql(" UNION ALL ");
        }
        statement
            .sql(select)
            .sql(" FROM instrument_answers a JOIN responses r ON r.id = a.response_id WHERE r.unit_id IN (")
            .list(scope.unit_ids.iter().map(|id| Value::Int(*id)))
            .sql(") AND a.template_version_id IN (")
            .list(scope.template_version_ids.iter().map(|id| Value::Int(*id)))
            .sql(") AND r.survey_date >= ")
            .bind(Value::Text(&from))
            .sql(" AND r.survey_date < ")
            .bind(Value::Text(&to));
        if let Some(id) = scope.service_id {
            statement.sql(" AND r.service_id = ").bind(Value::Int(id));
        }
        if i == 0 {
            statement.sql(" GROUP BY a.element_code");
        }
    }
    let rows: Vec<Row> = statement.load(conn)?;
    let mut totals = InstrumentTotals::default();
    for row in rows {
        if row.element_code.is_empty() {
            totals.submissions = row.answer_count.max(0) as u64;
        } else {
            totals.elements.insert(
                row.element_code,
                ElementTally { sum: row.score_sum.max(0) as u64, count: row.answer_count.max(0) as u64 },
            );
        }
    }
    Ok(totals)
}
