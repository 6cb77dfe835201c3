//! The responses CSV: the `skm compute` columns (element codes, profile) plus metadata, written
//! page by page so a year of a busy unit never sits in memory. Every row names its unit by slug
//! (`unit`), for a single unit too, so a roll-up's export can be split by unit, and its
//! questionnaire (`template`, `template_version`), so `skm compute` reads a unit's export with
//! its own questionnaire and `skm import` refuses it for a unit with another. It round-trips
//! through `skm compute` and `skm import` (both read `unit` as metadata); formula-like cells are
//! neutralised on the way out and restored on the way in (`sheets::csv_out`).

use crate::db::responses::{for_each_export_page, ExportRow};
use crate::db::{DbConnection, DbError};
use crate::domain::period::Period;
use crate::domain::template::Template;
use crate::sheets::csv::TEMPLATE_COLUMN;
use crate::sheets::csv_out::Writer;
use std::io::Write;

/// The columns: `id`, `unit` (the responding unit's slug), `layanan` (service slug), `channel`,
/// `submitted_at` (UTC), `tanggal` (local survey date), the profile fields the template has, one
/// column per element code (an empty cell is unanswered), `saran`, `template` (the
/// questionnaire's id) and `template_version` (the version whose columns these are).
pub fn header(template: &Template) -> Vec<String> {
    let mut columns: Vec<String> =
        ["id", "unit", "layanan", "channel", "submitted_at", "tanggal"].iter().map(|s| s.to_string()).collect();
    columns.extend(
        ["jenis_kelamin", "usia", "pendidikan", "pekerjaan"]
            .iter()
            .filter(|c| template.profile_field(c).is_some())
            .map(|s| s.to_string()),
    );
    columns.extend(template.elements.iter().map(|e| e.code.clone()));
    columns.extend(["saran", TEMPLATE_COLUMN, "template_version"].map(String::from));
    columns
}

pub fn record(template: &Template, row: &ExportRow) -> Vec<String> {
    let mut cells = vec![
        row.id.clone(),
        row.unit_slug.clone(),
        row.service_slug.clone().unwrap_or_default(),
        row.channel.clone(),
        row.submitted_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        row.survey_date.clone(),
    ];
    let profile = [
        ("jenis_kelamin", row.gender.clone()),
        ("usia", row.age.map(|a| a.to_string())),
        ("pendidikan", row.education.clone()),
        ("pekerjaan", row.occupation.clone()),
    ];
    for (code, value) in profile {
        if template.profile_field(code).is_some() {
            cells.push(value.unwrap_or_default());
        }
    }
    for element in &template.elements {
        cells
            .push(row.answers.iter().find(|(c, _)| *c == element.code).map(|(_, s)| s.to_string()).unwrap_or_default());
    }
    cells.extend([row.saran.clone().unwrap_or_default(), template.id.clone(), template.version.clone()]);
    cells
}

/// Writes every response of the units in the period; returns how many.
pub fn write(
    conn: &mut DbConnection,
    template: &Template,
    version_ids: &[i32],
    unit_ids: &[i32],
    period: Period,
    out: impl Write,
) -> Result<u64, ExportError> {
    let mut writer = Writer::new(out, b',');
    writer.write_record(header(template))?;
    let mut count = 0u64;
    for_each_export_page(conn, unit_ids, version_ids, period.first_day(), period.end_exclusive(), |page| {
        for row in page {
            writer.write_record(record(template, row))?;
        }
        count += page.len() as u64;
        Ok::<_, ExportError>(())
    })?;
    writer.flush().map_err(|e| ExportError::Write(e.to_string()))?;
    Ok(count)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot write the CSV: {0}")]
    Write(String),
}

impl From<csv::Error> for ExportError {
    fn from(err: csv::Error) -> Self {
        ExportError::Write(err.to_string())
    }
}

/// CSV bytes of some records (one page of a streamed download).
pub fn lines(records: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, ExportError> {
    let mut writer = Writer::new(Vec::new(), b',');
    for record in records {
        writer.write_record(record)?;
    }
    writer.into_inner().map_err(|e| ExportError::Write(e.to_string()))
}
