//! Writing responses: the response row and its answers in one transaction.

use super::schema::{answers, responses};
use super::{DbConnection, DbError};
use crate::domain::names::Channel;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

/// A validated response, ready to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub id: Uuid,
    pub unit_id: i32,
    pub service_id: Option<i32>,
    pub template_version_id: i32,
    pub channel: Channel,
    pub submitted_at: NaiveDateTime,
    /// the local date of the survey (SPEC §5); paper entry may set an earlier one
    pub survey_date: NaiveDate,
    pub gender: Option<String>,
    pub age: Option<i32>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    /// other template-defined profile fields, as a JSON object
    pub profile_extra: Option<String>,
    pub saran: Option<String>,
    pub client_hash: Option<String>,
    /// (element code, score); unanswered elements are absent
    pub answers: Vec<(String, i32)>,
}

/// Stores a response and its answers atomically. The first statement writes, so on SQLite the
/// transaction takes the write lock at once and waits (busy timeout) rather than failing later.
pub fn insert(conn: &mut DbConnection, response: &NewResponse) -> Result<(), DbError> {
    let score_sum: i32 = response.answers.iter().map(|(_, s)| s).sum();
    let score_count = i32::try_from(response.answers.len()).unwrap_or(i32::MAX);
    let id = response.id.to_string();
    conn.transaction(|conn| {
        diesel::insert_into(responses::table)
            .values((
                responses::id.eq(&id),
                responses::unit_id.eq(response.unit_id),
                responses::service_id.eq(response.service_id),
                responses::template_version_id.eq(response.template_version_id),
                responses::channel.eq(response.channel.as_str()),
                responses::submitted_at.eq(response.submitted_at),
                responses::survey_date.eq(response.survey_date.to_string()),
                responses::gender.eq(&response.gender),
                responses::age.eq(response.age),
                responses::education.eq(&response.education),
                responses::occupation.eq(&response.occupation),
                responses::profile_extra.eq(&response.profile_extra),
                responses::saran.eq(&response.saran),
                responses::client_hash.eq(&response.client_hash),
                responses::score_sum.eq(score_sum),
                responses::score_count.eq(score_count),
            ))
            .execute(conn)?;
        // Single-row inserts: multi-row VALUES does not compile through a MultiConnection.
        for (code, score) in &response.answers {
            diesel::insert_into(answers::table)
                .values((
                    answers::response_id.eq(&id),
                    answers::element_code.eq(code),
                    answers::score.eq(score),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn count_for_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<i64, DbError> {
    Ok(responses::table
        .filter(responses::unit_id.eq_any(unit_ids))
        .count()
        .get_result(conn)?)
}
