//! The monthly CSV of populations from the service systems (SIAK, SIMPUS, …): one row per unit
//! and period, `unit;bulan;jumlah`. Header names in Bahasa Indonesia or English, in any case;
//! `,` or `;` between cells; a byte-order mark tolerated. Every problem is named by row and
//! column (`CsvIssue`). Whether the units exist is the importer's check (`units::import_populations`).

use super::csv::{table, Table};
use super::csv_out::Writer;
use super::issue::{CsvIssue, Problem};
use crate::domain::period::Period;
use std::io::Read;

/// The largest count accepted: more users than this in a month is a typing error.
pub const MAX_COUNT: i64 = 100_000_000;
/// At most this many problems are listed; a file with more is surely the wrong file.
const MAX_ISSUES: usize = 200;

/// The header names each column is known by, lowercase, spaces and dashes as `_`.
const UNIT: [&str; 4] = ["unit", "unit_layanan", "slug", "kode_unit"];
const PERIOD: [&str; 4] = ["bulan", "periode", "month", "period"];
const COUNT: [&str; 5] = ["jumlah", "populasi", "count", "population", "jumlah_pengguna"];
/// A column of names, for the people who fill the file in; read and ignored.
const IGNORED: [&str; 4] = ["nama", "nama_unit", "name", "unit_name"];

const MONTHS_ID: [&str; 12] = [
    "januari",
    "februari",
    "maret",
    "april",
    "mei",
    "juni",
    "juli",
    "agustus",
    "september",
    "oktober",
    "november",
    "desember",
];
const MONTHS_EN: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// One row of the file: a unit's number of service users in a month or a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationRow {
    /// the line as a spreadsheet shows it (the header is row 1)
    pub row: u64,
    /// the unit's slug as written (trimmed, lowercase)
    pub unit: String,
    /// the column header the unit was written under, to name it in a problem
    pub unit_column: String,
    /// a `Period::Month` or a `Period::Year`
    pub period: Period,
    pub count: u32,
}

#[derive(Clone, Copy, PartialEq)]
enum Column {
    Unit,
    Period,
    Count,
    Ignored,
}

fn column_of(written: &str) -> Option<Column> {
    let key = written.trim().to_lowercase().replace([' ', '-'], "_");
    let key = key.as_str();
    if UNIT.contains(&key) {
        Some(Column::Unit)
    } else if PERIOD.contains(&key) {
        Some(Column::Period)
    } else if COUNT.contains(&key) {
        Some(Column::Count)
    } else if IGNORED.contains(&key) {
        Some(Column::Ignored)
    } else {
        None
    }
}

/// The period a cell names: `2026-10`, `10/2026`, `Oktober 2026` (or `October 2026`), or a
/// whole year `2026`.
pub fn period_of(cell: &str) -> Option<Period> {
    let cell = cell.trim();
    let month = |year: &str, month: u32| -> Option<Period> {
        let period: Period = format!("{year}-{month:02}").parse().ok()?;
        matches!(period, Period::Month { .. }).then_some(period)
    };
    if let Some((m, y)) = cell.split_once('/') {
        return month(y.trim(), m.trim().parse().ok()?);
    }
    if let Some((name, y)) = cell.split_once(' ') {
        let name = name.trim().to_lowercase();
        let index = MONTHS_ID.iter().position(|m| *m == name).or_else(|| MONTHS_EN.iter().position(|m| *m == name))?;
        return month(y.trim(), index as u32 + 1);
    }
    match cell.parse::<Period>() {
        Ok(period @ (Period::Month { .. } | Period::Year { .. })) => Some(period),
        _ => None,
    }
}

/// Reads the whole file: every row, or every problem found (all or nothing).
pub fn parse(mut input: impl Read) -> Result<Vec<PopulationRow>, Vec<CsvIssue>> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|_| vec![CsvIssue::file(Problem::Unreadable)])?;
    if std::str::from_utf8(&bytes).is_err() {
        return Err(vec![CsvIssue::file(Problem::NotText)]);
    }
    let Table { header, records } = table(&bytes)?;
    let mut issues = Vec::new();
    let mut columns: Vec<(String, Column)> = Vec::with_capacity(header.len());
    for written in header.iter() {
        let written = written.trim_start_matches('\u{feff}').trim().to_string();
        let at_header = |problem| CsvIssue { row: 1, column: Some(written.clone()), problem };
        match column_of(&written) {
            None => issues.push(at_header(Problem::NotAPopulationColumn)),
            Some(column) if column != Column::Ignored && columns.iter().any(|(_, c)| *c == column) => {
                issues.push(at_header(Problem::DuplicateColumn))
            }
            Some(column) => columns.push((written, column)),
        }
    }
    for (column, name) in [(Column::Unit, "unit"), (Column::Period, "bulan"), (Column::Count, "jumlah")] {
        if !columns.iter().any(|(_, c)| *c == column) {
            issues.push(CsvIssue::file(Problem::MissingColumn { name: name.into() }));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }

    let mut rows: Vec<PopulationRow> = Vec::new();
    for record in records {
        if issues.len() >= MAX_ISSUES {
            break;
        }
        let (row, record) = match record {
            Ok(read) => read,
            Err(issue) => {
                issues.push(issue);
                continue;
            }
        };
        let (mut unit, mut period, mut count) = (None, None, None);
        let mut unit_column = String::new();
        for ((written, column), cell) in columns.iter().zip(record.iter()) {
            let mut problem = |problem| issues.push(CsvIssue { row, column: Some(written.clone()), problem });
            if *column == Column::Ignored {
                continue;
            }
            if cell.is_empty() {
                problem(Problem::EmptyCell);
                continue;
            }
            if cell.contains('\0') {
                problem(Problem::Nul);
                continue;
            }
            match column {
                Column::Unit => {
                    unit = Some(cell.to_lowercase());
                    unit_column = written.clone();
                }
                Column::Period => match period_of(cell) {
                    Some(p) => period = Some(p),
                    None => problem(Problem::NotAPopulationPeriod { value: cell.to_string() }),
                },
                Column::Count => match cell.replace(['.', ' '], "").parse::<i64>() {
                    // "4.120" is how Indonesian spreadsheets write four thousand one hundred
                    // and twenty: the dot groups thousands
                    Ok(n) if (0..=MAX_COUNT).contains(&n) && thousands_ok(cell) => count = Some(n as u32),
                    _ => problem(Problem::NotAWholeNumber { value: cell.to_string(), min: 0, max: MAX_COUNT }),
                },
                Column::Ignored => {}
            }
        }
        let (Some(unit), Some(period), Some(count)) = (unit, period, count) else { continue };
        if let Some(first) = rows.iter().find(|r| r.unit == unit && r.period == period) {
            let problem = Problem::RepeatedPopulation { first_row: first.row };
            issues.push(CsvIssue { row, column: None, problem });
            continue;
        }
        rows.push(PopulationRow { row, unit, unit_column, period, count });
    }
    if rows.is_empty() && issues.is_empty() {
        issues.push(CsvIssue { row: 1, column: None, problem: Problem::NoRows });
    }
    if issues.is_empty() {
        Ok(rows)
    } else {
        Err(issues)
    }
}

/// A count with dots groups its digits by three (`4.120`, `1.250.000`), else `4.5` would read
/// as 45.
fn thousands_ok(cell: &str) -> bool {
    let groups: Vec<&str> = cell.split('.').collect();
    groups.len() == 1 || groups[1..].iter().all(|g| g.trim().len() == 3) && !groups[0].trim().is_empty()
}

/// The example file offered for download: every unit (slug and name) for `period`, the count
/// left for the admin to fill in.
pub fn example(units: &[(String, String)], period: &Period) -> String {
    let mut writer = Writer::new(Vec::new(), b';');
    let period = period.to_string();
    let rows = std::iter::once(["unit", "nama", "bulan", "jumlah"].map(String::from))
        .chain(units.iter().map(|(slug, name)| [slug.clone(), name.clone(), period.clone(), String::new()]));
    for row in rows {
        // writing to memory fails only when memory does
        let _ = writer.write_record(row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::Lang;
    use crate::i18n::Tr;

    fn month(year: i32, month: u32) -> Period {
        Period::Month { year, month }
    }

    #[test]
    fn months_are_read_in_every_written_form() {
        for cell in ["2026-10", "10/2026", " 10 / 2026 ", "Oktober 2026", "october 2026", "OKTOBER 2026"] {
            assert_eq!(period_of(cell), Some(month(2026, 10)), "{cell}");
        }
        assert_eq!(period_of("2026"), Some(Period::Year { year: 2026 }));
        for cell in ["2026-Q3", "13/2026", "Oktober", "Okt 2026", "2026-10-01", "", "x/2026", "2026-S1"] {
            assert_eq!(period_of(cell), None, "{cell}");
        }
    }

    #[test]
    fn indonesian_and_english_headers_semicolons_and_a_bom_are_read() {
        let text = "\u{feff}Unit_Layanan;Nama;Bulan;Jumlah\r\ndisdukcapil;Disdukcapil;2026-10;4.120\r\n;;;\r\n\
                    dinkes;Dinas Kesehatan;Oktober 2026;950\r\n";
        let rows = parse(text.as_bytes()).expect("valid");
        assert_eq!(rows.len(), 2, "the empty row is skipped");
        assert_eq!((rows[0].unit.as_str(), rows[0].period, rows[0].count), ("disdukcapil", month(2026, 10), 4120));
        assert_eq!((rows[1].row, rows[1].count), (4, 950));
        let english = parse("unit,period,count\nDINKES,2026,12000\n".as_bytes()).expect("english");
        assert_eq!((english[0].unit.as_str(), english[0].period), ("dinkes", Period::Year { year: 2026 }));
    }

    #[test]
    fn every_bad_cell_is_named_by_row_and_column() {
        let text = "unit;bulan;jumlah\ndinkes;2026-10;100\ndinkes;2026-Q3;-1\n;10/2026;4.5\ndinkes;2026-10;100\n";
        let issues = parse(text.as_bytes()).expect_err("bad cells");
        let texts: Vec<String> = issues.iter().map(|i| i.text(Tr::new(Lang::Id))).collect();
        assert_eq!(
            texts,
            [
                "baris 3, kolom bulan: '2026-Q3' bukan bulan (2026-10, 10/2026, Oktober 2026) atau tahun (2026)",
                "baris 3, kolom jumlah: '-1' bukan bilangan bulat 0–100000000",
                "baris 4, kolom unit: wajib diisi",
                "baris 4, kolom jumlah: '4.5' bukan bilangan bulat 0–100000000",
                "baris 5: unit dan periode yang sama sudah ada di baris 2",
            ]
        );
        assert_eq!(
            issues[0].to_string(),
            "row 3, column bulan: '2026-Q3' is not a month (2026-10, 10/2026, October 2026) or a year (2026)"
        );
    }

    #[test]
    fn a_wrong_header_names_what_is_missing_and_what_is_unknown() {
        let issues = parse("unit;tanggal;jumlah\n".as_bytes()).expect_err("header");
        let texts: Vec<String> = issues.iter().map(|i| i.text(Tr::new(Lang::Id))).collect();
        assert_eq!(
            texts,
            [
                "baris 1, kolom tanggal: bukan kolom berkas populasi (unit, bulan, jumlah)",
                "Kolom bulan tidak ada (judul kolom: unit, bulan, jumlah)"
            ]
        );
        let none = parse("unit;bulan;jumlah\n".as_bytes()).expect_err("no rows");
        assert_eq!(none[0].problem, Problem::NoRows);
        let latin1 = parse(&b"unit;bulan;jumlah\nd\xe9;2026;1\n"[..]).expect_err("not UTF-8");
        assert_eq!(latin1[0].problem, Problem::NotText);
    }

    #[test]
    fn the_example_lists_every_unit_for_the_period() {
        let units = vec![
            ("dinkes".to_string(), "Dinas Kesehatan; Kab.".to_string()),
            ("rsud".to_string(), "=HYPERLINK(\"http://evil.example\")".to_string()),
        ];
        let text = example(&units, &month(2026, 11));
        assert_eq!(
            text,
            "unit;nama;bulan;jumlah\r\ndinkes;\"Dinas Kesehatan; Kab.\";2026-11;\r\n\
             rsud;\"'=HYPERLINK(\"\"http://evil.example\"\")\";2026-11;\r\n"
        );
        let filled = text.replace("2026-11;", "2026-11;12");
        assert_eq!(parse(filled.as_bytes()).expect("example reads back")[0].count, 12);
    }
}
