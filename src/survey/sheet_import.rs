//! Importing paper questionnaires or another system's export: every row is checked first, and
//! only a file without a single problem is written, in one transaction.

use super::Form;
use crate::db::responses::{self, NewResponse};
use crate::db::{DbConnection, DbError};
use crate::domain::names::Channel;
use crate::domain::submission;
use crate::domain::template::Template;
use crate::sheets::csv::{self, CsvIssue, CsvRow};
use crate::sheets::xlsx;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::Connection;

/// One import is one write transaction; on SQLite it must not hold the lock for long.
pub const MAX_ROWS: usize = 20_000;

/// Reads an uploaded CSV or XLSX file into rows and the problems of their cells; a file that
/// cannot be read at all is only problems.
pub fn read_upload(template: &Template, bytes: &[u8]) -> Result<(Vec<CsvRow>, Vec<CsvIssue>), Vec<CsvIssue>> {
    let fail = |reason: String| vec![CsvIssue { row: 0, column: None, reason }];
    if xlsx::looks_like_xlsx(bytes) {
        let text = xlsx::to_csv(bytes).map_err(fail)?;
        csv::parse_collecting(template, text.as_slice())
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| fail("the file is neither UTF-8 CSV nor XLSX".into()))?;
        csv::parse_collecting(template, text.as_bytes())
    }
}

/// The header of the sample file offered for download.
pub fn sample_csv(template: &Template) -> String {
    let mut columns: Vec<String> = template.elements.iter().map(|e| e.code.clone()).collect();
    columns.push("layanan".into());
    columns.push("tanggal".into());
    columns.extend(template.profile.iter().map(|p| p.code.clone()));
    columns.push("saran".into());
    let mut text = columns.join(",");
    text.push('\n');
    text
}

/// Checks every row against the unit (service, date), adds those problems to the cells' ones
/// (`issues`), and stores all rows only when there is no problem at all.
pub fn import(
    conn: &mut DbConnection,
    form: &Form,
    (rows, mut issues): (Vec<CsvRow>, Vec<CsvIssue>),
    channel: Channel,
    now: NaiveDateTime,
    today: NaiveDate,
    actor: Option<i32>,
) -> Result<Result<usize, Vec<CsvIssue>>, DbError> {
    let mut responses = Vec::with_capacity(rows.len());
    if rows.len() > MAX_ROWS {
        issues.push(CsvIssue {
            row: 0,
            column: None,
            reason: format!("{} rows: split the file into parts of at most {MAX_ROWS}", rows.len()),
        });
        return Ok(Err(issues));
    }
    for row in &rows {
        let issue = |column: &str, reason: String| CsvIssue { row: row.row, column: Some(column.to_string()), reason };
        let service = row.metadata.get("layanan").map(|s| s.trim()).filter(|s| !s.is_empty());
        let service_id = match service {
            None if form.services.is_empty() => None,
            None => {
                issues.push(issue("layanan", "required: the unit's service slug".into()));
                None
            }
            Some(slug) => match form.services.iter().find(|s| s.slug == slug) {
                Some(s) => Some(s.id),
                None => {
                    let known: Vec<&str> = form.services.iter().map(|s| s.slug.as_str()).collect();
                    issues.push(issue("layanan", format!("'{slug}' is not one of {}", known.join(", "))));
                    None
                }
            },
        };
        let survey_date = match row.metadata.get("tanggal").map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => today,
            Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) if date <= today && chrono::Datelike::year(&date) >= crate::domain::period::MIN_YEAR => date,
                Ok(date) if date <= today => {
                    issues.push(issue("tanggal", format!("{text} is before {}", crate::domain::period::MIN_YEAR)));
                    date
                }
                Ok(_) => {
                    issues.push(issue("tanggal", format!("{text} is in the future")));
                    today
                }
                Err(_) => {
                    issues.push(issue("tanggal", format!("'{text}' is not a date like 2026-10-31")));
                    today
                }
            },
        };
        let saran = row.metadata.get("saran").map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if saran.as_ref().is_some_and(|s| s.chars().count() > form.template.saran_max_chars) {
            issues.push(issue("saran", format!("longer than {} characters", form.template.saran_max_chars)));
        }
        let mut profile = row.profile.clone();
        let answers: Vec<(String, i32)> = form
            .template
            .elements
            .iter()
            .zip(&row.scores)
            .filter_map(|(e, s)| s.map(|s| (e.code.clone(), s as i32)))
            .collect();
        responses.push(NewResponse {
            id: uuid::Uuid::now_v7(),
            unit_id: form.unit.id,
            service_id,
            template_version_id: form.version_id,
            channel,
            submitted_at: now,
            survey_date,
            gender: profile.remove(submission::GENDER),
            age: profile.remove(submission::AGE).and_then(|a| a.parse().ok()),
            education: profile.remove(submission::EDUCATION),
            occupation: profile.remove(submission::OCCUPATION),
            profile_extra: (!profile.is_empty()).then(|| serde_json::to_string(&profile).unwrap_or_default()),
            saran,
            client_hash: None,
            answers,
        });
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Ok(Err(issues));
    }
    conn.transaction(|conn| {
        for response in &responses {
            responses::insert(conn, response)?;
        }
        // `actor` is the signed-in user; none for the command line
        let detail = format!("{} {} responses into {}", responses.len(), channel.as_str(), form.unit.slug);
        crate::db::audit::record(conn, actor, "responses.import", &detail)?;
        Ok::<_, DbError>(())
    })?;
    Ok(Ok(responses.len()))
}
