//! The daily summary tables behind the aggregator: kept up to date in each response's
//! transaction, and rebuilt from the responses in one statement when needed (bulk loads,
//! repairs: `skm rebuild-totals`).

use super::{DbConnection, DbError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text};

const ELEMENT_UPSERT: &str = "INSERT INTO daily_element_totals \
    (unit_id, survey_date, template_version_id, service_id, element_code, score_sum, answer_count) \
    VALUES (?, ?, ?, ?, ?, ?, 1) \
    ON CONFLICT (unit_id, survey_date, template_version_id, service_id, element_code) DO UPDATE SET \
    score_sum = daily_element_totals.score_sum + excluded.score_sum, \
    answer_count = daily_element_totals.answer_count + 1";

const RESPONSE_UPSERT: &str = "INSERT INTO daily_response_totals \
    (unit_id, survey_date, template_version_id, service_id, responses, mean_sum, mean_square_sum) \
    VALUES (?, ?, ?, ?, 1, ?, ?) \
    ON CONFLICT (unit_id, survey_date, template_version_id, service_id) DO UPDATE SET \
    responses = daily_response_totals.responses + 1, \
    mean_sum = daily_response_totals.mean_sum + excluded.mean_sum, \
    mean_square_sum = daily_response_totals.mean_square_sum + excluded.mean_square_sum";

/// PostgreSQL numbers its placeholders.
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

pub struct Day<'a> {
    pub unit_id: i32,
    pub survey_date: &'a str,
    pub template_version_id: i32,
    /// 0 for a response without a service
    pub service_id: i32,
}

macro_rules! add_to {
    ($conn:expr, $element_sql:expr, $response_sql:expr, $day:expr, $answers:expr) => {{
        let (mut sum, mut count) = (0i64, 0i64);
        for (code, score) in $answers {
            diesel::sql_query($element_sql)
                .bind::<Integer, _>($day.unit_id)
                .bind::<Text, _>($day.survey_date)
                .bind::<Integer, _>($day.template_version_id)
                .bind::<Integer, _>($day.service_id)
                .bind::<Text, _>(code)
                .bind::<Integer, _>(*score)
                .execute($conn)?;
            sum += i64::from(*score);
            count += 1;
        }
        if count > 0 {
            let mean = sum as f64 / count as f64;
            diesel::sql_query($response_sql)
                .bind::<Integer, _>($day.unit_id)
                .bind::<Text, _>($day.survey_date)
                .bind::<Integer, _>($day.template_version_id)
                .bind::<Integer, _>($day.service_id)
                .bind::<Double, _>(mean)
                .bind::<Double, _>(mean * mean)
                .execute($conn)?;
        }
    }};
}

/// Adds one response's answers to its day's totals (inside the response's transaction).
pub fn add(conn: &mut DbConnection, day: &Day, answers: &[(String, i32)]) -> Result<(), DbError> {
    match conn {
        DbConnection::Sqlite(c) => add_to!(c, ELEMENT_UPSERT, RESPONSE_UPSERT, day, answers),
        DbConnection::Postgres(c) => {
            add_to!(c, numbered(ELEMENT_UPSERT), numbered(RESPONSE_UPSERT), day, answers)
        }
    }
    Ok(())
}

/// Recomputes both tables from `responses` and `answers`, in one transaction.
pub fn rebuild(conn: &mut DbConnection) -> Result<(), DbError> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(super::numbered("VALUES (?, ?, 1, ?)"), "VALUES ($1, $2, 1, $3)");
    }
}
