//! XLSX uploads: the first sheet, read cell by cell with calamine and turned into the same CSV
//! text the CSV import reads, so both formats share one parser and one set of error messages.
//! Cells are streamed and bounded: a tiny file naming cell XFD1048576 must not make us allocate
//! the whole grid, and a small file must not unpack to gigabytes (`limits`).

use super::csv_out::Writer;
use super::issue::{CsvIssue, Problem};
use super::limits::{self, CellText, Refusal, MAX_CELL_CHARS, MAX_UNPACKED_BYTES};
use calamine::{DataRef, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::Cursor;

/// XLSX files are ZIP archives.
pub fn looks_like_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Larger than any questionnaire (elements, profile, metadata) and any single import.
const MAX_COLUMNS: u32 = 200;
const MAX_ROWS: u32 = 20_001;

/// The first sheet as CSV text, or the problem that stops it being read: the file as a whole,
/// or the one cell that is too long.
pub fn to_csv(bytes: &[u8]) -> Result<Vec<u8>, CsvIssue> {
    let file = |problem| CsvIssue::file(problem);
    let unpacked = || file(Problem::Unpacked { megabytes: limits::unpacked_megabytes() });
    let unreadable = |e: calamine::XlsxError| {
        tracing::info!(error = %e, "unreadable XLSX upload");
        file(Problem::NotXlsx)
    };
    limits::unpacked_within(bytes, MAX_UNPACKED_BYTES).map_err(|refusal| match refusal {
        Refusal::NotZip => file(Problem::NotXlsx),
        Refusal::Unpacked => unpacked(),
    })?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = workbook.sheet_names().first().cloned().ok_or(file(Problem::NoSheet))?;
    let mut reader = workbook.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let mut rows: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    let mut width = 0;
    let mut all = CellText::default();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        let typed = match cell.get_value() {
            DataRef::String(text) => Some(text.as_str()),
            DataRef::SharedString(text) => Some(*text),
            _ => None,
        };
        if let Some(text) = typed {
            if limits::too_long(text) {
                let problem = Problem::CellTooLong { max: MAX_CELL_CHARS };
                return Err(CsvIssue { row: u64::from(row) + 1, column: Some(column_name(column)), problem });
            }
        }
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(file(Problem::SheetTooLarge { rows: MAX_ROWS, columns: MAX_COLUMNS }));
        }
        // one shared string may stand in a million cells: the copies count, not the string
        all.take(&text).map_err(|_| unpacked())?;
        width = width.max(column + 1);
        rows.entry(row).or_default().insert(column, text);
    }
    let mut out = Vec::new();
    let mut line = 0;
    for (row, cells) in &rows {
        // an empty line for each empty row, so problems are named with the sheet's row numbers
        out.resize(out.len() + (row - line) as usize, b'\n');
        line = row + 1;
        let record: Vec<&str> = (0..width).map(|c| cells.get(&c).map_or("", String::as_str)).collect();
        let mut writer = Writer::new(&mut out, b',');
        // writing to memory fails only when memory does
        writer.write_record(&record).map_err(|_| file(Problem::Unreadable))?;
        writer.flush().map_err(|_| file(Problem::Unreadable))?;
    }
    Ok(out)
}

/// A column as a spreadsheet names it: 0 is `A`, 26 is `AA`.
fn column_name(column: u32) -> String {
    let mut name = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        name.push(char::from(b'A' + digit as u8));
        n = (n - 1) / 26;
    }
    name.iter().rev().collect()
}

fn cell_text(cell: &DataRef) -> String {
    match cell {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::Int(n) => n.to_string(),
        // Spreadsheets store 4 as 4.0; a score or age is a whole number.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        // A line break inside a cell would make its CSV record span lines, and every row number
        // after it would be off; a saran reads the same on one line.
        DataRef::String(s) => s.replace(['\r', '\n'], " "),
        DataRef::SharedString(s) => s.replace(['\r', '\n'], " "),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => dt.as_datetime().map(|d| d.date().to_string()).unwrap_or_default(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.chars().take(10).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn problems_carry_the_sheets_row_numbers_across_empty_rows() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "U1").expect("cell");
        sheet.write_number(1, 0, 4.0).expect("cell");
        sheet.write_number(4, 0, 9.0).expect("cell"); // row 5 of the sheet, after two empty rows
        let bytes = book.save_to_buffer().expect("xlsx");
        let template = Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("shipped");
        let text = to_csv(&bytes).expect("readable");
        let issues = crate::sheets::csv::parse(&template, text.as_slice()).expect_err("9 is off the scale");
        assert_eq!(issues[0].to_string(), "row 5, column U1: '9' is not a score from 1 to 4");
    }

    #[test]
    fn one_shared_string_in_many_cells_counts_once_per_cell() {
        // 28,000 cells of one 2,000-character string: 56 MB of text from a file of kilobytes
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let long = "a".repeat(MAX_CELL_CHARS);
        sheet.write_string(0, 0, "unit").expect("cell");
        for row in 1..=14_000 {
            sheet.write_string(row, 0, &long).expect("cell");
            sheet.write_string(row, 1, &long).expect("cell");
        }
        let bytes = book.save_to_buffer().expect("xlsx");
        assert!(bytes.len() < 512 * 1024, "{}", bytes.len());
        let refused = to_csv(&bytes).err();
        assert_eq!(refused, Some(CsvIssue::file(Problem::Unpacked { megabytes: 50 })));
    }

    #[test]
    fn columns_are_named_as_a_spreadsheet_names_them() {
        let names: Vec<String> = [0, 2, 25, 26, 27, 51, 52, 701, 702].map(column_name).into();
        assert_eq!(names, ["A", "C", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn formula_like_cells_reach_the_parser_as_typed() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (column, (header, value)) in
            [("U1", "4"), ("saran", "=HYPERLINK(\"http://evil.example\")"), ("layanan", "'=x")].iter().enumerate()
        {
            sheet.write_string(0, column as u16, *header).expect("cell");
            sheet.write_string(1, column as u16, *value).expect("cell");
        }
        let bytes = book.save_to_buffer().expect("xlsx");
        let template = Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("shipped");
        let text = to_csv(&bytes).expect("readable");
        let rows = crate::sheets::csv::parse(&template, text.as_slice()).expect("parsed");
        assert_eq!(rows[0].metadata.get("saran").map(String::as_str), Some("=HYPERLINK(\"http://evil.example\")"));
        assert_eq!(rows[0].metadata.get("layanan").map(String::as_str), Some("'=x"));
    }
}
