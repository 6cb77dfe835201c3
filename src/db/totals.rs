//! The summary tables behind the aggregator, per unit and day and per unit and month: kept up
//! to date in each response's transaction, and rebuilt from the responses in one transaction
//! when needed (bulk loads, repairs: `skm rebuild-totals`). A standard period (whole months) is
//! read from the monthly rows, a range of days from the daily ones (`db::aggregate`): a year of
//! a regency's 90 units is ~1,000 unit-months against up to 33,000 unit-days.

use super::progress::Meter;
use super::statement::{Statement, Value};
use super::{DbConnection, DbError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

pub struct Day<'a> {
    pub unit_id: i32,
    pub survey_date: &'a str,
    pub template_version_id: i32,
    /// 0 for a response without a service
    pub service_id: i32,
}

// The upserts in pieces — the insert up to `VALUES `, then the rows, then what a row already
// there gets — so the benches' raw loops write exactly the application's SQL. The daily and the
// monthly tables differ only in their names and their date column (`survey_date`, `month`).
macro_rules! insert {
    ($table:literal, $when:literal, $values:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (unit_id, ",
            $when,
            ", template_version_id, service_id, ",
            $values,
            ") VALUES "
        )
    };
}
macro_rules! elements_on_conflict {
    ($table:literal, $when:literal) => {
        concat!(
            " ON CONFLICT (unit_id, ",
            $when,
            ", template_version_id, service_id, element_code) \
            DO UPDATE SET score_sum = ",
            $table,
            ".score_sum + excluded.score_sum, \
            answer_count = ",
            $table,
            ".answer_count + excluded.answer_count"
        )
    };
}
macro_rules! responses_on_conflict {
    ($table:literal, $when:literal) => {
        concat!(
            " ON CONFLICT (unit_id, ",
            $when,
            ", template_version_id, service_id) \
            DO UPDATE SET responses = ",
            $table,
            ".responses + excluded.responses, \
            mean_sum = ",
            $table,
            ".mean_sum + excluded.mean_sum, \
            mean_square_sum = ",
            $table,
            ".mean_square_sum + excluded.mean_square_sum"
        )
    };
}

pub const ELEMENTS_INSERT: &str =
    insert!("daily_element_totals", "survey_date", "element_code, score_sum, answer_count");
pub const ELEMENTS_ON_CONFLICT: &str = elements_on_conflict!("daily_element_totals", "survey_date");
pub const RESPONSES_INSERT: &str =
    insert!("daily_response_totals", "survey_date", "responses, mean_sum, mean_square_sum");
pub const RESPONSES_ON_CONFLICT: &str = responses_on_conflict!("daily_response_totals", "survey_date");

pub const MONTH_ELEMENTS_INSERT: &str =
    insert!("monthly_element_totals", "month", "element_code, score_sum, answer_count");
pub const MONTH_ELEMENTS_ON_CONFLICT: &str = elements_on_conflict!("monthly_element_totals", "month");
pub const MONTH_RESPONSES_INSERT: &str =
    insert!("monthly_response_totals", "month", "responses, mean_sum, mean_square_sum");
pub const MONTH_RESPONSES_ON_CONFLICT: &str = responses_on_conflict!("monthly_response_totals", "month");

/// Adds one response's answers to its day's and its month's totals (inside the response's
/// transaction).
pub fn add(conn: &mut DbConnection, day: &Day, answers: &[(String, i32)]) -> Result<(), DbError> {
    if answers.is_empty() {
        return Ok(());
    }
    let mean = mean_of(answers);
    let elements = answers.iter().map(|(code, score)| (code.as_str(), *score, 1));
    upsert(conn, day, elements, (1, mean, mean * mean))
}

/// A response's mean score, which its totals sum (and the square of it).
fn mean_of(answers: &[(String, i32)]) -> f64 {
    answers.iter().map(|(_, s)| f64::from(*s)).sum::<f64>() / answers.len() as f64
}

/// What one or more responses add to one (unit, day, version, service): per element its score
/// sum and answer count, and the responses' count and sums of means.
#[derive(Debug, Default, Clone, PartialEq)]
struct Sums {
    /// (element code, score sum, answers), in the order first seen
    elements: Vec<(String, i32, i32)>,
    responses: i32,
    mean_sum: f64,
    mean_square_sum: f64,
}

/// Totals of several responses summed in memory before they are written: a group commit's
/// submissions mostly share their unit's day, and one upsert per table and (unit, day, version,
/// service) replaces one per response (issue 21, point 5). Written by `write`, inside the
/// transaction that stored the responses.
#[derive(Debug, Default)]
pub struct Pending {
    /// (unit, survey date, template version, service) → sums, in the order first seen
    days: Vec<((i32, String, i32, i32), Sums)>,
}

impl Pending {
    /// Counts one response's answers (nothing for a response without answers, as `add`).
    pub fn add(&mut self, day: &Day, answers: &[(String, i32)]) {
        if answers.is_empty() {
            return;
        }
        let key = (day.unit_id, day.survey_date.to_string(), day.template_version_id, day.service_id);
        let at = match self.days.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.days.push((key, Sums::default()));
                self.days.len() - 1
            }
        };
        let sums = &mut self.days[at].1;
        for (code, score) in answers {
            match sums.elements.iter_mut().find(|(c, _, _)| c == code) {
                Some(element) => {
                    element.1 += score;
                    element.2 += 1;
                }
                None => sums.elements.push((code.clone(), *score, 1)),
            }
        }
        let mean = mean_of(answers);
        sums.responses += 1;
        sums.mean_sum += mean;
        sums.mean_square_sum += mean * mean;
    }

    /// The daily and monthly upserts of everything counted, one `upsert` per (unit, day,
    /// version, service).
    pub fn write(self, conn: &mut DbConnection) -> Result<(), DbError> {
        for ((unit_id, survey_date, version, service), sums) in &self.days {
            let day = Day { unit_id: *unit_id, survey_date, template_version_id: *version, service_id: *service };
            let elements = sums.elements.iter().map(|(code, sum, count)| (code.as_str(), *sum, *count));
            upsert(conn, &day, elements, (sums.responses, sums.mean_sum, sums.mean_square_sum))?;
        }
        Ok(())
    }
}

/// Adds to one (unit, day, version, service) its day's and its month's rows: per table one
/// multi-row statement, prepared once per number of elements. `elements`: (code, score sum,
/// answers); `responses`: (count, sum of means, sum of squared means).
fn upsert<'a>(
    conn: &mut DbConnection,
    day: &Day<'a>,
    elements: impl Iterator<Item = (&'a str, i32, i32)> + Clone,
    (count, mean_sum, mean_square_sum): (i32, f64, f64),
) -> Result<(), DbError> {
    // `YYYY-MM-DD`: its month is its first seven characters, as in the rebuild's SQL
    let month = day.survey_date.get(..7).unwrap_or(day.survey_date);
    let (unit, version, service) =
        (Value::Int(day.unit_id), Value::Int(day.template_version_id), Value::Int(day.service_id));
    let tables = [
        (Value::Text(day.survey_date), ELEMENTS_INSERT, ELEMENTS_ON_CONFLICT, RESPONSES_INSERT, RESPONSES_ON_CONFLICT),
        (
            Value::Text(month),
            MONTH_ELEMENTS_INSERT,
            MONTH_ELEMENTS_ON_CONFLICT,
            MONTH_RESPONSES_INSERT,
            MONTH_RESPONSES_ON_CONFLICT,
        ),
    ];
    for (when, elements_insert, elements_conflict, responses_insert, responses_conflict) in tables {
        Statement::new()
            .sql(elements_insert)
            .rows(elements.clone().map(|(code, sum, answers)| {
                [unit, when, version, service, Value::Text(code), Value::Int(sum), Value::Int(answers)]
            }))
            .sql(elements_conflict)
            .execute(conn)?;
        Statement::new()
            .sql(responses_insert)
            .rows([[
                unit,
                when,
                version,
                service,
                Value::Int(count),
                Value::Double(mean_sum),
                Value::Double(mean_square_sum),
            ]])
            .sql(responses_conflict)
            .execute(conn)?;
    }
    Ok(())
}

/// Recomputes both tables from `responses` and `answers`, in one transaction (stopped half-way,
/// the old totals stay), then refreshes the planner's statistics of both (after a rebuild they
/// describe tables that no longer exist, and PostgreSQL would plan the aggregator's queries blind
/// until autovacuum came by). The months in `archived_months` keep their totals untouched.
/// `meter` counts responses.
pub fn rebuild(conn: &mut DbConnection, meter: &mut dyn Meter) -> Result<(), DbError> {
    rebuild_rows(conn, meter)?;
    // The rebuild is committed by now; stale statistics only cost speed.
    if let Err(e) = conn.batch_execute(ANALYZE) {
        tracing::warn!(error = %e, "daily totals rebuilt, but their statistics were not refreshed");
    }
    Ok(())
}

/// One unit's responses of one month (`2026-10`): a piece of the rebuild. A day's totals never
/// span two pieces (the unit and the date are part of their key), so the pieces add up to what
/// one statement over everything would write.
#[derive(QueryableByName)]
struct Piece {
    #[diesel(sql_type = Integer)]
    unit_id: i32,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    responses: i64,
}

const ANALYZE: &str = "ANALYZE daily_element_totals; ANALYZE daily_response_totals; \
    ANALYZE monthly_element_totals; ANALYZE monthly_response_totals;";

/// The monthly rows of every month not archived, summed again from the daily rows (an archived
/// month keeps its rows: its daily rows are all that is left of it), written in key order so a
/// unit's months are neighbours on disk (scattered, a regency's year read 10,000 pages for its
/// 10,000 rows: 43 ms against 7). Inside the caller's transaction.
pub fn rebuild_months(conn: &mut DbConnection) -> Result<(), DbError> {
    conn.batch_execute(
        "DELETE FROM monthly_element_totals WHERE month NOT IN (SELECT month FROM archived_months); \
         DELETE FROM monthly_response_totals WHERE month NOT IN (SELECT month FROM archived_months); \
         INSERT INTO monthly_element_totals \
             (unit_id, month, template_version_id, service_id, element_code, score_sum, answer_count) \
         SELECT unit_id, substr(survey_date, 1, 7), template_version_id, service_id, element_code, \
                SUM(score_sum), SUM(answer_count) \
         FROM daily_element_totals WHERE substr(survey_date, 1, 7) NOT IN (SELECT month FROM archived_months) \
         GROUP BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id, element_code \
         ORDER BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id, element_code; \
         INSERT INTO monthly_response_totals \
             (unit_id, month, template_version_id, service_id, responses, mean_sum, mean_square_sum) \
         SELECT unit_id, substr(survey_date, 1, 7), template_version_id, service_id, \
                SUM(responses), SUM(mean_sum), SUM(mean_square_sum) \
         FROM daily_response_totals WHERE substr(survey_date, 1, 7) NOT IN (SELECT month FROM archived_months) \
         GROUP BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id \
         ORDER BY unit_id, substr(survey_date, 1, 7), template_version_id, service_id;",
    )?;
    Ok(())
}

const PIECE_FILTER: &str = " WHERE r.unit_id = ";
const PIECE_FROM: &str = " AND r.survey_date BETWEEN ";
const PIECE_TO: &str = " AND ";

fn rebuild_rows(conn: &mut DbConnection, meter: &mut dyn Meter) -> Result<(), DbError> {
    conn.transaction(|conn| {
        // in pieces, so a rebuild of millions of responses can say how far it is and stop
        let pieces: Vec<Piece> = Statement::new()
            .sql(
                "SELECT unit_id, substr(survey_date, 1, 7) AS month, COUNT(*) AS responses FROM responses \
                 WHERE substr(survey_date, 1, 7) NOT IN (SELECT month FROM archived_months) \
                 GROUP BY unit_id, substr(survey_date, 1, 7) ORDER BY unit_id, month",
            )
            .load(conn)?;
        meter.start(Some(pieces.iter().map(|p| p.responses.unsigned_abs()).sum()));
        // An archived month's raw responses are in its archive file: its totals are the only
        // record left in the database, so they are kept as they are (`skm archive`).
        conn.batch_execute(
            "DELETE FROM daily_element_totals \
             WHERE substr(survey_date, 1, 7) NOT IN (SELECT month FROM archived_months); \
             DELETE FROM daily_response_totals \
             WHERE substr(survey_date, 1, 7) NOT IN (SELECT month FROM archived_months);",
        )?;
        for piece in &pieces {
            let (from, to) = (format!("{}-01", piece.month), format!("{}-31", piece.month));
            let (unit, from, to) = (Value::Int(piece.unit_id), Value::Text(&from), Value::Text(&to));
            Statement::new()
                .sql(
                    "INSERT INTO daily_element_totals \
                     (unit_id, survey_date, template_version_id, service_id, element_code, score_sum, answer_count) \
                     SELECT r.unit_id, r.survey_date, r.template_version_id, COALESCE(r.service_id, 0), a.element_code, \
                            SUM(a.score), COUNT(*) \
                     FROM answers a JOIN responses r ON r.id = a.response_id",
                )
                .sql(PIECE_FILTER)
                .bind(unit)
                .sql(PIECE_FROM)
                .bind(from)
                .sql(PIECE_TO)
                .bind(to)
                .sql(
                    " GROUP BY r.unit_id, r.survey_date, r.template_version_id, COALESCE(r.service_id, 0), \
                     a.element_code",
                )
                .execute(conn)?;
            Statement::new()
                .sql(
                    "INSERT INTO daily_response_totals \
                     (unit_id, survey_date, template_version_id, service_id, responses, mean_sum, mean_square_sum) \
                     SELECT r.unit_id, r.survey_date, r.template_version_id, COALESCE(r.service_id, 0), COUNT(*), \
                            SUM(CAST(r.score_sum AS DOUBLE PRECISION) / r.score_count), \
                            SUM(CAST(r.score_sum AS DOUBLE PRECISION) * r.score_sum \
                                / (CAST(r.score_count AS DOUBLE PRECISION) * r.score_count)) \
                     FROM responses r",
                )
                .sql(PIECE_FILTER)
                .bind(unit)
                .sql(PIECE_FROM)
                .bind(from)
                .sql(PIECE_TO)
                .bind(to)
                .sql(
                    " AND r.score_count > 0 \
                     GROUP BY r.unit_id, r.survey_date, r.template_version_id, COALESCE(r.service_id, 0)",
                )
                .execute(conn)?;
            meter.advance(piece.responses.unsigned_abs())?;
        }
        rebuild_months(conn)
    })
}
