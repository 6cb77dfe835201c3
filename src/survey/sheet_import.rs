//! Importing paper questionnaires or another system's export: every row is checked first, and
//! only a file without a single problem is written, in one transaction. A file already imported
//! into the unit (the same SHA-256 of its bytes) is written again only when the person confirms
//! it, having been told when it was imported before.

use super::Form;
use crate::db::import_batches::{self, ImportBatch, NewBatch};
use crate::db::responses::{self, NewResponse};
use crate::db::{DbConnection, DbError};
use crate::domain::names::Channel;
use crate::domain::period::{date_id, MIN_YEAR};
use crate::domain::submission;
use crate::domain::template::{Lang, ProfileKind, Template};
use crate::i18n::Tr;
use crate::sheets::csv::{self, CsvIssue, CsvRow, Problem};
use crate::sheets::csv_out;
use crate::sheets::xlsx;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use diesel::Connection;
use sha2::{Digest, Sha256};

/// One import is one write transaction; on SQLite it must not hold the lock for long.
pub const MAX_ROWS: usize = 20_000;

/// The saran of the sample file's example rows: a row that still has it was left in by mistake.
pub const EXAMPLE_SARAN: &str = "CONTOH - hapus baris ini sebelum impor";

/// How survey dates may be written: ISO, and day first as Indonesian spreadsheets write them.
const DATE_FORMATS: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"];

/// Reads an uploaded CSV or XLSX file into rows and the problems of their cells; a file that
/// cannot be read at all is only problems.
pub fn read_upload(template: &Template, bytes: &[u8]) -> Result<(Vec<CsvRow>, Vec<CsvIssue>), Vec<CsvIssue>> {
    let fail = |problem| vec![CsvIssue::file(problem)];
    if xlsx::looks_like_xlsx(bytes) {
        let text = xlsx::to_csv(bytes).map_err(|issue| vec![issue])?;
        csv::parse_collecting(template, text.as_slice())
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| fail(Problem::NotText))?;
        csv::parse_collecting(template, text.as_bytes())
    }
}

/// The lowercase hex SHA-256 of a file's bytes: what makes two uploads the same file.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The sample file offered for download: every column the unit's questionnaire reads, and two
/// example rows (their saran marks them, so an import refuses them if they are left in). `;`
/// between cells and a byte-order mark, so Excel on an Indonesian Windows opens it in columns.
pub fn sample_csv(form: &Form, today: NaiveDate) -> String {
    let template = &form.template;
    let mut header: Vec<String> = template.elements.iter().map(|e| e.code.clone()).collect();
    header.extend(["layanan".to_string(), "tanggal".to_string()]);
    header.extend(template.profile.iter().map(|p| p.code.clone()));
    header.push("saran".into());
    let service = |i: usize| form.services.get(i).or(form.services.first()).map_or(String::new(), |s| s.slug.clone());
    let example = |i: usize, date: String| -> Vec<String> {
        let mut row: Vec<String> = (0..template.elements.len())
            .map(|e| {
                // mostly the top score, one lower here and there, so the example reads like answers
                let lower = (e + i).is_multiple_of(3) && template.scale_max > template.scale_min;
                (template.scale_max - u32::from(lower)).to_string()
            })
            .collect();
        row.extend([service(i), date]);
        row.extend(template.profile.iter().map(|p| match &p.kind {
            // by label in the first row, by code in the second: both are read
            ProfileKind::Choice(options) => options.get(i).or(options.first()).map_or(String::new(), |o| {
                if i == 0 {
                    o.label.id.clone()
                } else {
                    o.code.clone()
                }
            }),
            ProfileKind::Number { min, max } if i == 0 => 34.clamp(*min, *max).to_string(),
            ProfileKind::Number { .. } => String::new(),
        }));
        row.push(EXAMPLE_SARAN.into());
        row
    };
    let mut writer = csv_out::Writer::new(Vec::new(), b';');
    let rows = [header, example(0, today.format("%d/%m/%Y").to_string()), example(1, today.to_string())];
    for row in &rows {
        // writing to memory fails only when memory does
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

/// An uploaded file and who sends it.
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    pub channel: Channel,
    /// UTC
    pub now: NaiveDateTime,
    /// the regency's local date, for dates in the future and rows without a date
    pub today: NaiveDate,
    /// the signed-in user; none for the command line
    pub actor: Option<i32>,
    /// the content hash the person confirmed importing again, after `AlreadyImported`
    pub again: Option<&'a str>,
}

/// What an import came to: the one result the operator page and `skm import` each show.
#[derive(Debug)]
pub enum ImportOutcome {
    Imported {
        count: usize,
    },
    /// nothing was written; every problem found, by row and column
    Refused(Vec<CsvIssue>),
    /// nothing was written: the same file was imported into the unit before
    AlreadyImported {
        content_hash: String,
        earlier: ImportBatch,
    },
}

/// Reads the file, checks every row against the unit (service, date), and stores all rows only
/// when there is no problem at all, and the file is new to the unit or confirmed (`again`).
pub fn import(conn: &mut DbConnection, form: &Form, upload: &Upload) -> Result<ImportOutcome, DbError> {
    let (rows, mut issues) = match read_upload(&form.template, upload.bytes) {
        Ok(read) => read,
        Err(issues) => return Ok(ImportOutcome::Refused(issues)),
    };
    if rows.len() > MAX_ROWS {
        issues.push(CsvIssue::file(Problem::TooManyRows { count: rows.len(), max: MAX_ROWS }));
        return Ok(ImportOutcome::Refused(issues));
    }
    let responses: Vec<NewResponse> = rows.iter().map(|row| response(form, upload, row, &mut issues)).collect();
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Ok(ImportOutcome::Refused(issues));
    }
    let content_hash = content_hash(upload.bytes);
    conn.transaction(|conn| {
        if let Some(earlier) = import_batches::latest(conn, form.unit.id, &content_hash)? {
            if upload.again != Some(content_hash.as_str()) {
                return Ok(ImportOutcome::AlreadyImported { content_hash: content_hash.clone(), earlier });
            }
        }
        for response in &responses {
            responses::insert(conn, response)?;
        }
        let batch = NewBatch {
            unit_id: form.unit.id,
            content_hash: &content_hash,
            imported_at: upload.now,
            imported_by: upload.actor,
            row_count: i32::try_from(responses.len()).unwrap_or(i32::MAX),
            channel: upload.channel.as_str(),
        };
        import_batches::record(conn, &batch)?;
        let detail = format!(
            "{} {} responses into {} (file sha256 {content_hash})",
            responses.len(),
            upload.channel.as_str(),
            form.unit.slug
        );
        crate::db::audit::record(conn, upload.actor, "responses.import", &detail)?;
        Ok(ImportOutcome::Imported { count: responses.len() })
    })
}

/// One row as the response to store, adding the problems of its service, date and saran.
fn response(form: &Form, upload: &Upload, row: &CsvRow, issues: &mut Vec<CsvIssue>) -> NewResponse {
    let mut issue =
        |column: &str, problem| issues.push(CsvIssue { row: row.row, column: Some(column.into()), problem });
    let cell = |name: &str| row.metadata.get(name).map(|s| s.trim()).filter(|s| !s.is_empty());
    let known = || form.services.iter().map(|s| s.slug.clone()).collect::<Vec<_>>();
    let service_id = match cell("layanan") {
        None if form.services.is_empty() => None,
        None => {
            issue("layanan", Problem::ServiceRequired { known: known() });
            None
        }
        // by slug or by name, as a person may write it
        Some(slug) => match form.services.iter().find(|s| s.slug.eq_ignore_ascii_case(slug) || same(&s.name, slug)) {
            Some(s) => Some(s.id),
            None => {
                issue("layanan", Problem::UnknownService { value: slug.to_string(), known: known() });
                None
            }
        },
    };
    let survey_date = match cell("tanggal") {
        None => upload.today,
        Some(text) => match DATE_FORMATS.iter().find_map(|f| NaiveDate::parse_from_str(text, f).ok()) {
            Some(date) if date > upload.today => {
                issue("tanggal", Problem::DateInFuture { value: text.to_string() });
                upload.today
            }
            Some(date) if date.year() < MIN_YEAR => {
                issue("tanggal", Problem::DateBefore { value: text.to_string(), year: MIN_YEAR });
                date
            }
            Some(date) => date,
            None => {
                issue("tanggal", Problem::NotADate { value: text.to_string() });
                upload.today
            }
        },
    };
    let saran = cell("saran").map(str::to_string);
    if saran.as_ref().is_some_and(|s| s.chars().count() > form.template.saran_max_chars) {
        issue("saran", Problem::SaranTooLong { max: form.template.saran_max_chars });
    }
    if saran.as_deref() == Some(EXAMPLE_SARAN) {
        issues.push(CsvIssue { row: row.row, column: None, problem: Problem::ExampleRow });
    }
    let mut profile = row.profile.clone();
    let answers: Vec<(String, i32)> = form
        .template
        .elements
        .iter()
        .zip(&row.scores)
        .filter_map(|(e, s)| s.map(|s| (e.code.clone(), s as i32)))
        .collect();
    NewResponse {
        id: uuid::Uuid::now_v7(),
        unit_id: form.unit.id,
        service_id,
        template_version_id: form.version_id,
        channel: upload.channel,
        submitted_at: upload.now,
        survey_date,
        gender: profile.remove(submission::GENDER),
        age: profile.remove(submission::AGE).and_then(|a| a.parse().ok()),
        education: profile.remove(submission::EDUCATION),
        occupation: profile.remove(submission::OCCUPATION),
        profile_extra: (!profile.is_empty()).then(|| serde_json::to_string(&profile).unwrap_or_default()),
        saran,
        client_hash: None,
        answers,
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// "Berkas yang sama sudah diimpor ke unit ini pada 31 Oktober 2026 pukul 14.05 WITA oleh Budi
/// (12 jawaban).": when, in the regency's time zone, by whom and how many.
pub fn earlier_import(tr: Tr, earlier: &ImportBatch, zone: Tz) -> String {
    let local = chrono::TimeZone::from_utc_datetime(&zone, &earlier.imported_at);
    let date = match tr.lang {
        Lang::Id => date_id(local.date_naive()),
        Lang::En => local.format("%-d %B %Y").to_string(),
    };
    let when = tr.fill(
        "import.again.when",
        &[
            ("date", date),
            ("time", local.format(tr.t("import.again.time_format")).to_string()),
            ("zone", local.format("%Z").to_string()),
        ],
    );
    let who = earlier.imported_by.clone().unwrap_or_else(|| tr.t("import.again.by_cli").to_string());
    tr.fill("import.again.text", &[("when", when), ("who", who), ("count", earlier.row_count.to_string())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earlier_import_is_told_in_the_regency_zone_and_language() {
        let earlier = ImportBatch {
            imported_at: NaiveDate::from_ymd_opt(2026, 10, 31).and_then(|d| d.and_hms_opt(23, 5, 0)).expect("time"),
            imported_by: Some("Budi".into()),
            row_count: 12,
        };
        let makassar: Tz = "Asia/Makassar".parse().expect("zone");
        assert_eq!(
            earlier_import(Tr::new(Lang::Id), &earlier, makassar),
            "Berkas yang sama sudah diimpor ke unit ini pada 1 November 2026 pukul 07.05 WITA oleh Budi (12 jawaban)."
        );
        let jakarta: Tz = "Asia/Jakarta".parse().expect("zone");
        let english = earlier_import(Tr::new(Lang::En), &ImportBatch { imported_by: None, ..earlier }, jakarta);
        assert_eq!(
            english,
            "The same file was imported into this unit on 1 November 2026 at 06:05 WIB by the skm import command (12 responses)."
        );
    }

    #[test]
    fn the_hash_is_sha256_of_the_bytes() {
        assert_eq!(content_hash(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
