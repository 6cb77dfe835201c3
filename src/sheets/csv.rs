//! The response CSV of `skm compute`, of imports and of exports: a header of element
//! codes, optional profile columns and metadata columns; one row per respondent; an empty cell
//! is an unanswered element. Every problem is reported with its row and column.

use crate::domain::ikm::{ElementTally, Tally};
use crate::domain::interval::Dispersion;
use crate::domain::template::{ProfileKind, Template};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

/// Columns written by exports that carry no score; accepted and kept as metadata.
pub const METADATA_COLUMNS: [&str; 7] = ["id", "unit", "layanan", "channel", "submitted_at", "tanggal", "saran"];

/// At most this many problems are listed; a file with more is surely the wrong file.
const MAX_ISSUES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvIssue {
    /// 1-based line as a spreadsheet shows it (the header is row 1); 0 for the file itself
    pub row: u64,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for CsvIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.column, self.row) {
            (Some(column), 0) => write!(f, "column {column}: {}", self.reason),
            (Some(column), row) => write!(f, "row {row}, column {column}: {}", self.reason),
            (None, 0) => write!(f, "{}", self.reason),
            (None, row) => write!(f, "row {row}: {}", self.reason),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    pub row: u64,
    /// one entry per template element, in template order
    pub scores: Vec<Option<u32>>,
    pub profile: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
}

enum Column {
    Element(usize),
    Profile(String),
    Metadata(String),
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
pub fn parse_collecting(
    template: &Template,
    mut input: impl Read,
) -> Result<(Vec<CsvRow>, Vec<CsvIssue>), Vec<CsvIssue>> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| vec![CsvIssue { row: 0, column: None, reason: format!("cannot read the file: {e}") }])?;
    let mut lines = Lines { bytes: &bytes, offset: 0, line: 1 };
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes.as_slice());
    let header = reader.headers().map_err(|e| vec![CsvIssue { row: 1, column: None, reason: e.to_string() }])?.clone();
    let mut issues = Vec::new();
    let mut columns = Vec::with_capacity(header.len());
    for name in header.iter() {
        let name = name.trim_start_matches('\u{feff}');
        let column = if let Some(i) = template.elements.iter().position(|e| e.code == name) {
            Column::Element(i)
        } else if template.profile_field(name).is_some() {
            Column::Profile(name.to_string())
        } else if METADATA_COLUMNS.contains(&name) {
            Column::Metadata(name.to_string())
        } else {
            issues.push(CsvIssue {
                row: 1,
                column: Some(name.to_string()),
                reason: format!(
                    "unknown column (not an element, profile field or metadata of template {})",
                    template.id
                ),
            });
            continue;
        };
        if columns.iter().any(|(n, _)| n == name) {
            issues.push(CsvIssue { row: 1, column: Some(name.to_string()), reason: "column appears twice".into() });
        }
        columns.push((name.to_string(), column));
    }
    if !columns.iter().any(|(_, c)| matches!(c, Column::Element(_))) && issues.is_empty() {
        issues.push(CsvIssue { row: 1, column: None, reason: "the header names no element of the template".into() });
    }
    if !issues.is_empty() {
        return Err(issues);
    }

    let mut rows = Vec::new();
    for record in reader.records() {
        if issues.len() >= MAX_ISSUES {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let row = e.position().map_or(0, |p| lines.at(p.byte()));
                issues.push(CsvIssue { row, column: None, reason: e.to_string() });
                continue;
            }
        };
        let row = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.len() != header.len() {
            issues.push(CsvIssue {
                row,
                column: None,
                reason: format!("has {} cells, the header has {}", record.len(), header.len()),
            });
            continue;
        }
        let mut parsed = CsvRow {
            row,
            scores: vec![None; template.elements.len()],
            profile: BTreeMap::new(),
            metadata: BTreeMap::new(),
        };
        for ((name, column), cell) in columns.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let mut problem = |reason: String| issues.push(CsvIssue { row, column: Some(name.clone()), reason });
            if cell.contains('\0') {
                // never text anyone typed, and PostgreSQL cannot store it
                problem("contains a NUL character".into());
                continue;
            }
            match column {
                Column::Element(i) => match cell.parse::<u32>() {
                    Ok(score) if template.score_in_scale(score) => parsed.scores[*i] = Some(score),
                    _ => problem(format!(
                        "'{cell}' is not a score from {} to {}",
                        template.scale_min, template.scale_max
                    )),
                },
                Column::Profile(code) => match profile_value(template, code, cell) {
                    Ok(value) => {
                        parsed.profile.insert(code.clone(), value);
                    }
                    Err(reason) => problem(reason),
                },
                Column::Metadata(key) => {
                    parsed.metadata.insert(key.clone(), cell.to_string());
                }
            }
        }
        if parsed.scores.iter().all(Option::is_none) {
            issues.push(CsvIssue { row, column: None, reason: "no element is answered".into() });
        }
        rows.push(parsed);
    }
    Ok((rows, issues))
}

/// Line numbers of byte offsets, for records read in order. The csv crate counts only the `\n`
/// bytes it has consumed before a record, so with CRLF line ends (as Excel on Windows writes
/// them) every row would be one line too early, with bare CR ends all on line 1, and after a blank
/// line one too early; here `\r\n`, `\r` and `\n` each end a line.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record the reader says starts at `offset`.
    fn at(&mut self, offset: u64) -> u64 {
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

fn profile_value(template: &Template, code: &str, cell: &str) -> Result<String, String> {
    let Some(field) = template.profile_field(code) else {
        return Err("unknown profile field".into());
    };
    match &field.kind {
        ProfileKind::Choice(options) => options
            .iter()
            .find(|o| o.code.eq_ignore_ascii_case(cell) || o.label.id.eq_ignore_ascii_case(cell))
            .map(|o| o.code.clone())
            .ok_or_else(|| {
                let codes: Vec<&str> = options.iter().map(|o| o.code.as_str()).collect();
                format!("'{cell}' is not one of {}", codes.join(", "))
            }),
        ProfileKind::Number { min, max } => match cell.parse::<i64>() {
            Ok(n) if (*min..=*max).contains(&n) => Ok(n.to_string()),
            _ => Err(format!("'{cell}' is not a whole number from {min} to {max}")),
        },
    }
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
        let text = "U1,U2,U3,U4,U5,U6,U7,U8,U9\n4,5,4,4,4,4,4,4,4\n4,4,4\n,,,,,,,,\n4,4,4,4,4,4,4,4,x\n";
        let issues = parse(&template(), text.as_bytes()).expect_err("bad");
        let shown: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            shown,
            [
                "row 2, column U2: '5' is not a score from 1 to 4",
                "row 3: has 3 cells, the header has 9",
                "row 4: no element is answered",
                "row 5, column U9: 'x' is not a score from 1 to 4",
            ]
        );
        let issues = parse(&template(), "U1,U10\n4,4\n".as_bytes()).expect_err("unknown column");
        assert_eq!(issues[0].column.as_deref(), Some("U10"));
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
    fn a_nul_in_a_cell_is_named() {
        let issues = parse(&template(), "U1,saran\n4,a\0b\n".as_bytes()).expect_err("NUL");
        assert_eq!(issues[0].to_string(), "row 2, column saran: contains a NUL character");
    }
}
