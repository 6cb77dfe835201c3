//! The daily summary tables behind the aggregator: kept up to date in each response's
//! transaction, and rebuilt from the responses in one statement when needed (bulk loads,
//! repairs: `skm rebuild-totals`).

use super::{DbConnection, DbError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub struct Day<'a> {
    pub unit_id: i32,
    pub survey_date: &'a str,
    pub template_version_id: i32,
    /// 0 for a response without a service
    pub service_id: i32,
}

/// Adds one response's answers to its day's totals (inside the response's transaction): one
/// multi-row upsert for the elements and one for the response, on the connection's own variant
/// (upserts do not compile through the MultiConnection).
pub fn add(conn: &mut DbConnection, day: &Day, answers: &[(String, i32)]) -> Result<(), DbError> {
    use super::schema::{daily_element_totals as e, daily_response_totals as r};
    use diesel::upsert::excluded;
    if answers.is_empty() {
        return Ok(());
    }
    let elements: Vec<_> = answers
        .iter()
        .map(|(code, score)| {
            (
                e::unit_id.eq(day.unit_id),
                e::survey_date.eq(day.survey_date),
                e::template_version_id.eq(day.template_version_id),
                e::service_id.eq(day.service_id),
                e::element_code.eq(code),
                e::score_sum.eq(*score),
                e::answer_count.eq(1),
            )
        })
        .collect();
    let mean = answers.iter().map(|(_, s)| f64::from(*s)).sum::<f64>() / answers.len() as f64;
    let response = (
        r::unit_id.eq(day.unit_id),
        r::survey_date.eq(day.survey_date),
        r::template_version_id.eq(day.template_version_id),
        r::service_id.eq(day.service_id),
        r::responses.eq(1),
        r::mean_sum.eq(mean),
        r::mean_square_sum.eq(mean * mean),
    );
    macro_rules! upsert {
        ($c:expr) => {{
            diesel::insert_into(e::table)
                .values(&elements)
                .on_conflict((e::unit_id, e::survey_date, e::template_version_id, e::service_id, e::element_code))
                .do_update()
                .set((e::score_sum.eq(e::score_sum + excluded(e::score_sum)), e::answer_count.eq(e::answer_count + 1)))
                .execute($c)?;
            diesel::insert_into(r::table)
                .values(response)
                .on_conflict((r::unit_id, r::survey_date, r::template_version_id, r::service_id))
                .do_update()
                .set((
                    r::responses.eq(r::responses + 1),
                    r::mean_sum.eq(r::mean_sum + excluded(r::mean_sum)),
                    r::mean_square_sum.eq(r::mean_square_sum + excluded(r::mean_square_sum)),
                ))
                .execute($c)?;
        }};
    }
    match conn {
        DbConnection::Sqlite(c) => upsert!(c),
        DbConnection::Postgres(c) => upsert!(c),
    }
    Ok(())
}

/// Recomputes both tables from `responses` and `answers`, in one transaction, then refreshes
/// the planner's statistics of both (after a rebuild they describe tables that no longer exist,
/// and PostgreSQL would plan the aggregator's queries blind until autovacuum came by).
pub fn rebuild(conn: &mut DbConnection) -> Result<(), DbError> {
    rebuild_rows(conn)?;
    // The rebuild is committed by now; stale statistics only cost speed.
    if let Err(e) = conn.batch_execute("ANALYZE daily_element_totals; ANALYZE daily_response_totals;") {
        tracing::warn!(error = %e, "daily totals rebuilt, but their statistics were not refreshed");
    }
    Ok(())
}

fn rebuild_rows(conn: &mut DbConnection) -> Result<(), DbError> {
    conn.transaction(|conn| {
        conn.batch_execute(
            "DELETE FROM daily_element_totals;
             DELETE FROM daily_response_totals;
             INSERT INTO daily_element_totals
                 (unit_id, survey_date, template_version_id, service_id, element_code, score_sum, answer_count)
             SELECT r.unit_id, r.survey_date, r.template_version_id, COALESCE(r.service_id, 0), a.element_code,
                    SUM(a.score), COUNT(*)
             FROM answers a JOIN responses r ON r.id = a.response_id
             GROUP BY r.unit_id, r.survey_date, r.template_version_id, COALESCE(r.service_id, 0), a.element_code;
             INSERT INTO daily_response_totals
                 (unit_id, survey_date, template_version_id, service_id, responses, mean_sum, mean_square_sum)
             SELECT unit_id, survey_date, template_version_id, COALESCE(service_id, 0), COUNT(*),
                    SUM(CAST(score_sum AS DOUBLE PRECISION) / score_count),
                    SUM(CAST(score_sum AS DOUBLE PRECISION) * score_sum
                        / (CAST(score_count AS DOUBLE PRECISION) * score_count))
             FROM responses WHERE score_count > 0
             GROUP BY unit_id, survey_date, template_version_id, COALESCE(service_id, 0);",
        )?;
        Ok(())
    })
}
