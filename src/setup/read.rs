//! Reading a setup workbook: calamine's cells, streamed and bounded, into a [`Book`] of typed
//! rows, or every problem found, each naming its sheet, row and column. Headers are matched by
//! name (any order, any case); numbers typed as numbers (counts, a year) and periods typed as
//! dates are read as what they mean. Pure: what needs the database is `plan`'s.

use super::book::*;
use super::issue::{Problem, SetupIssue};
use crate::domain::email::Email;
use crate::domain::names::{Role, Slug, UnitKind};
use crate::domain::period::Period;
use crate::letterhead::{self, LetterheadError, LetterheadInput};
use crate::sheets::limits::{self, CellText, Refusal, MAX_UNPACKED_BYTES};
use crate::sheets::population;
use calamine::{DataRef, Reader, Xlsx};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

/// The largest upload: a regency's setup is a few hundred rows, some tens of kilobytes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
const MAX_ROWS: u32 = 20_001;
const MAX_COLUMNS: u32 = 60;

/// A cell as read: its text, and the date when the spreadsheet holds a date.
#[derive(Debug, Clone, Default)]
struct Cell {
    text: String,
    date: Option<chrono::NaiveDate>,
    number: bool,
}

/// One sheet: its header's columns by name and its data rows by sheet row number.
struct Sheet {
    name: &'static str,
    columns: HashMap<&'static str, u32>,
    rows: BTreeMap<u32, BTreeMap<u32, Cell>>,
}

impl Sheet {
    fn cell(&self, row: u32, header: &str) -> Option<&Cell> {
        let column = self.columns.get(header)?;
        self.rows.get(&row).and_then(|cells| cells.get(column))
    }

    /// The cell's text, trimmed; `None` when the column is left out of the sheet.
    fn text(&self, row: u32, header: &str) -> Option<String> {
        self.columns.get(header)?;
        Some(self.cell(row, header).map(|c| c.text.trim().to_string()).unwrap_or_default())
    }

    /// A cell holding a slug or a list of them, as slugs are stored: `Disdukcapil` typed with a
    /// capital (a spreadsheet's autocorrect does it) is `disdukcapil`.
    fn slug_text(&self, row: u32, header: &str) -> Option<String> {
        self.text(row, header).map(|text| text.to_ascii_lowercase())
    }
}

/// Reads the workbook. `templates` are the questionnaire ids a unit may name.
pub fn read(bytes: &[u8], templates: &[String]) -> Result<Book, Vec<SetupIssue>> {
    let sheets = sheets(bytes).map_err(|issue| vec![issue])?;
    let mut issues = Vec::new();
    let mut found: HashMap<&'static str, Sheet> = HashMap::new();
    for (name, read) in sheets {
        match read {
            Ok(sheet) => {
                found.insert(name, sheet);
            }
            Err(mut problems) => issues.append(&mut problems),
        }
    }
    // every slug typed in the Unit sheet, even on a row with another problem: that row's problem
    // is named once, not again on each row that refers to its unit
    let named: Option<HashSet<String>> = found.get(UNIT_SHEET).map(|sheet| {
        sheet.rows.keys().filter_map(|row| sheet.slug_text(*row, "slug")).filter(|s| !s.is_empty()).collect()
    });
    // each unit's name, to tell whoever typed a name where a slug belongs which slug it is
    let names: HashMap<String, String> = found.get(UNIT_SHEET).map_or_else(HashMap::new, |sheet| {
        sheet
            .rows
            .keys()
            .filter_map(|row| Some((sheet.text(*row, "nama")?.to_lowercase(), sheet.slug_text(*row, "slug")?)))
            .filter(|(name, slug)| !name.is_empty() && !slug.is_empty())
            .collect()
    });
    let mut book = Book::default();
    let mut typed = Typed { issues: &mut issues, templates, named: named.as_ref(), names: &names };
    if let Some(sheet) = found.get(UNIT_SHEET) {
        book.units = typed.units(sheet);
    }
    if let Some(sheet) = found.get(SERVICE_SHEET) {
        book.services = typed.services(sheet);
    }
    if let Some(sheet) = found.get(USER_SHEET) {
        book.users = typed.users(sheet);
    }
    if let Some(sheet) = found.get(POPULATION_SHEET) {
        book.populations = typed.populations(sheet);
    }
    references(&book, &mut issues);
    if issues.is_empty() {
        Ok(book)
    } else {
        issues.sort_by_key(|i| (sheet_order(i.sheet), i.row, column_order(i.sheet, i.column)));
        Err(issues)
    }
}

fn sheet_order(sheet: Option<&str>) -> usize {
    sheet.map_or(0, |s| 1 + SHEETS.iter().position(|(name, _)| *name == s).unwrap_or(SHEETS.len()))
}

fn column_order(sheet: Option<&str>, column: Option<&str>) -> usize {
    let columns = SHEETS.iter().find(|(name, _)| Some(*name) == sheet).map_or(&[][..], |(_, c)| *c);
    column.map_or(0, |c| 1 + columns.iter().position(|col| col.header == c).unwrap_or(columns.len()))
}

type SheetRead = (&'static str, Result<Sheet, Vec<SetupIssue>>);

/// The four sheets, each read or its problems (a missing sheet, its header's problems).
fn sheets(bytes: &[u8]) -> Result<Vec<SheetRead>, SetupIssue> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SetupIssue::file(Problem::FileTooLarge { megabytes: MAX_FILE_BYTES / (1024 * 1024) }));
    }
    // a ZIP of a few megabytes can hold gigabytes: the limits every uploaded workbook is held to
    let unpacked = || {
        let megabytes = usize::try_from(limits::unpacked_megabytes()).unwrap_or(usize::MAX);
        SetupIssue::file(Problem::FileTooLarge { megabytes })
    };
    limits::unpacked_within(bytes, MAX_UNPACKED_BYTES).map_err(|refusal| match refusal {
        Refusal::NotZip => SetupIssue::file(Problem::NotXlsx),
        Refusal::Unpacked => unpacked(),
    })?;
    let unreadable = |e: calamine::XlsxError| {
        tracing::info!(error = %e, "unreadable setup workbook");
        SetupIssue::file(Problem::NotXlsx)
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let names = workbook.sheet_names();
    let mut out = Vec::new();
    let mut all = CellText::default();
    for (name, columns) in SHEETS {
        let Some(actual) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(name)).cloned() else {
            out.push((name, Err(vec![SetupIssue::sheet(name, Problem::MissingSheet)])));
            continue;
        };
        let mut reader = workbook.worksheet_cells_reader(&actual).map_err(unreadable)?;
        let mut rows: BTreeMap<u32, BTreeMap<u32, Cell>> = BTreeMap::new();
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let (row, column) = cell.get_position();
            let value = cell_value(cell.get_value());
            if value.text.trim().is_empty() {
                continue;
            }
            if row >= MAX_ROWS || column >= MAX_COLUMNS {
                let problem = Problem::SheetTooLarge { rows: MAX_ROWS, columns: MAX_COLUMNS };
                return Err(SetupIssue::sheet(name, problem));
            }
            // one shared string may stand in a million cells: the copies count, not the string
            all.take(&value.text).map_err(|_| unpacked())?;
            // sheet rows are numbered from 1, as a spreadsheet shows them
            rows.entry(row + 1).or_default().insert(column, value);
        }
        out.push((name, header(name, columns, rows)));
    }
    Ok(out)
}

fn cell_value(cell: &DataRef) -> Cell {
    let text = |text: String| Cell { text, ..Cell::default() };
    match cell {
        DataRef::Empty | DataRef::Error(_) => Cell::default(),
        DataRef::Int(n) => Cell { text: n.to_string(), number: true, date: None },
        // spreadsheets store 2026 as 2026.0
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            Cell { text: format!("{}", *f as i64), number: true, date: None }
        }
        DataRef::Float(f) => Cell { text: f.to_string(), number: true, date: None },
        DataRef::String(s) => text(s.clone()),
        DataRef::SharedString(s) => text(s.to_string()),
        DataRef::Bool(b) => text(if *b { YES.into() } else { NO.into() }),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(at) => Cell { text: at.date().to_string(), date: Some(at.date()), number: false },
            None => Cell::default(),
        },
        DataRef::DateTimeIso(s) => {
            let date = s.get(..10).and_then(|d| d.parse().ok());
            Cell { text: s.clone(), date, number: false }
        }
        DataRef::DurationIso(s) => text(s.clone()),
    }
}

/// The header row (the sheet's first): each column by its name; every header problem.
fn header(
    name: &'static str,
    columns: &'static [Column],
    mut rows: BTreeMap<u32, BTreeMap<u32, Cell>>,
) -> Result<Sheet, Vec<SetupIssue>> {
    let mut issues = Vec::new();
    let header = rows.remove(&1).unwrap_or_default();
    let mut found: HashMap<&'static str, u32> = HashMap::new();
    for (index, cell) in &header {
        let typed = cell.text.trim().to_lowercase().replace(' ', "_");
        match columns.iter().find(|c| c.header == typed) {
            Some(column) if found.contains_key(column.header) => {
                issues.push(SetupIssue {
                    sheet: Some(name),
                    row: 1,
                    column: None,
                    problem: Problem::DuplicateColumn { value: typed },
                });
            }
            Some(column) => {
                found.insert(column.header, *index);
            }
            None => issues.push(SetupIssue {
                sheet: Some(name),
                row: 1,
                column: None,
                problem: Problem::UnknownColumn { value: cell.text.trim().to_string() },
            }),
        }
    }
    for column in columns.iter().filter(|c| !c.optional && !found.contains_key(c.header)) {
        issues.push(SetupIssue {
            sheet: Some(name),
            row: 1,
            column: None,
            problem: Problem::MissingColumn { column: column.header.to_string() },
        });
    }
    if issues.is_empty() {
        Ok(Sheet { name, columns: found, rows })
    } else {
        Err(issues)
    }
}

/// Turns a sheet's cells into typed rows, collecting every problem.
struct Typed<'a> {
    issues: &'a mut Vec<SetupIssue>,
    templates: &'a [String],
    /// the units of the Unit sheet; `None` when it is missing (reported once)
    named: Option<&'a HashSet<String>>,
    /// the Unit sheet's slugs by their units' names, lowercased
    names: &'a HashMap<String, String>,
}

impl Typed<'_> {
    fn refuse(&mut self, sheet: &Sheet, row: u32, column: &'static str, problem: Problem) {
        self.issues.push(SetupIssue::cell(sheet.name, row, column, problem));
    }

    /// A cell that must be filled.
    fn required(&mut self, sheet: &Sheet, row: u32, column: &'static str) -> Option<String> {
        match sheet.text(row, column) {
            Some(text) if !text.is_empty() => Some(text),
            _ => {
                self.refuse(sheet, row, column, Problem::Required);
                None
            }
        }
    }

    /// A unit named in another column or sheet must be in the Unit sheet.
    fn known_unit(&mut self, sheet: &Sheet, row: u32, column: &'static str, slug: &str) {
        if self.named.is_some_and(|named| !named.contains(&slug.to_ascii_lowercase())) {
            let problem = match self.names.get(&slug.to_lowercase()) {
                Some(named) => Problem::NameNotSlug { value: slug.to_string(), slug: named.clone() },
                None => Problem::UnknownUnit { value: slug.to_string() },
            };
            self.refuse(sheet, row, column, problem);
        }
    }

    /// The `unit` cell a service or a population belongs to, as the slug of a unit of the Unit
    /// sheet (capitals forgiven); a missing or unknown unit is refused.
    fn required_unit(&mut self, sheet: &Sheet, row: u32) -> Option<String> {
        let unit = self.required(sheet, row, "unit")?;
        self.known_unit(sheet, row, "unit", &unit);
        Some(unit.to_ascii_lowercase())
    }

    fn slug(&mut self, sheet: &Sheet, row: u32, column: &'static str) -> Option<Slug> {
        let text = self.required(sheet, row, column)?;
        match Slug::parse(&text.to_ascii_lowercase()) {
            Ok(slug) => Some(slug),
            Err(_) => {
                self.refuse(sheet, row, column, Problem::NotSlug { value: text });
                None
            }
        }
    }

    /// `aktif`: `None` when the column is left out, yes when the cell is empty.
    fn active(&mut self, sheet: &Sheet, row: u32) -> Result<Option<bool>, ()> {
        let Some(text) = sheet.text(row, "aktif") else { return Ok(None) };
        match text.to_lowercase().as_str() {
            "" | "ya" | "y" | "yes" | "true" | "1" | "aktif" => Ok(Some(true)),
            "tidak" | "t" | "no" | "false" | "0" | "nonaktif" => Ok(Some(false)),
            _ => {
                let options = format!("{YES}, {NO}");
                self.refuse(sheet, row, "aktif", Problem::NotOneOf { value: text, options });
                Err(())
            }
        }
    }

    fn units(&mut self, sheet: &Sheet) -> Vec<UnitRow> {
        let mut out = Vec::new();
        for &row in sheet.rows.keys() {
            let slug = self.slug(sheet, row, "slug");
            let name = self.required(sheet, row, "nama");
            let kind =
                self.required(sheet, row, "jenis").and_then(|text| match text.to_lowercase().parse::<UnitKind>() {
                    Ok(kind) => Some(kind),
                    Err(_) => {
                        let options = UnitKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
                        self.refuse(sheet, row, "jenis", Problem::NotOneOf { value: text, options });
                        None
                    }
                });
            let parent = sheet.text(row, "induk").filter(|p| !p.is_empty());
            if let Some(parent) = &parent {
                self.known_unit(sheet, row, "induk", parent);
            }
            let parent = parent.map(|p| p.to_ascii_lowercase());
            let template = sheet.text(row, "kuesioner").filter(|t| !t.is_empty());
            if let Some(id) = &template {
                if !self.templates.contains(id) {
                    let known = self.templates.join(", ");
                    self.refuse(sheet, row, "kuesioner", Problem::UnknownTemplate { value: id.clone(), known });
                }
            }
            let active = self.active(sheet, row);
            let letterhead = self.letterhead(sheet, row);
            if let (Some(slug), Some(name), Some(kind), Ok(active), Some(letterhead)) =
                (slug, name, kind, active, letterhead)
            {
                out.push(UnitRow { row, slug, name, kind, parent, template, active, letterhead });
            }
        }
        out
    }

    /// The kop surat and signer, checked by the rules of the letterhead form.
    fn letterhead(&mut self, sheet: &Sheet, row: u32) -> Option<LetterheadFields> {
        if let Some(cell) = sheet.cell(row, "nip").filter(|c| c.number && c.text.len() > 15) {
            // an 18-digit number loses its last digits in a spreadsheet: it must be typed as text
            self.refuse(sheet, row, "nip", Problem::NipAsNumber { value: cell.text.clone() });
            return None;
        }
        let typed = LetterheadFields {
            agency: sheet.text(row, "instansi"),
            address: sheet.text(row, "alamat"),
            phone: sheet.text(row, "telepon"),
            website: sheet.text(row, "situs_web"),
            place: sheet.text(row, "tempat"),
            position: sheet.text(row, "jabatan"),
            head_name: sheet.text(row, "nama_pimpinan"),
            nip: sheet.text(row, "nip"),
        };
        let input = LetterheadInput {
            unit: String::new(),
            agency: typed.agency.clone(),
            address: typed.address.clone(),
            phone: typed.phone.clone(),
            website: typed.website.clone(),
            logo: Default::default(),
            place: typed.place.clone(),
            position: typed.position.clone(),
            head_name: typed.head_name.clone(),
            nip: typed.nip.clone(),
        };
        match letterhead::check(&input) {
            Ok(checked) => Some(LetterheadFields {
                agency: typed.agency.map(|_| checked.agency),
                address: typed.address.map(|_| checked.address),
                phone: typed.phone.map(|_| checked.phone),
                website: typed.website.map(|_| checked.website),
                place: typed.place.map(|_| checked.place),
                position: typed.position.map(|_| checked.position),
                head_name: typed.head_name.map(|_| checked.head_name),
                nip: typed.nip.map(|_| checked.nip),
            }),
            Err(err) => {
                let column = match err.field() {
                    Some("agency") => "instansi",
                    Some("address") => "alamat",
                    Some("phone") => "telepon",
                    Some("website") => "situs_web",
                    Some("place") => "tempat",
                    Some("position") => "jabatan",
                    Some("head_name") => "nama_pimpinan",
                    _ => "nip",
                };
                let problem = match err {
                    LetterheadError::TooLong { max, .. } => Problem::TooLong { max },
                    LetterheadError::NotOneLine { .. } => Problem::NotOneLine,
                    LetterheadError::Website => Problem::Website,
                    LetterheadError::Phone => Problem::Phone,
                    _ => Problem::Nip,
                };
                self.refuse(sheet, row, column, problem);
                None
            }
        }
    }

    fn services(&mut self, sheet: &Sheet) -> Vec<ServiceRow> {
        let mut out = Vec::new();
        for &row in sheet.rows.keys() {
            let unit = self.required_unit(sheet, row);
            let slug = self.slug(sheet, row, "slug");
            let name = self.required(sheet, row, "nama");
            let active = self.active(sheet, row);
            if let (Some(unit), Some(slug), Some(name), Ok(active)) = (unit, slug, name, active) {
                out.push(ServiceRow { row, unit, slug, name, active });
            }
        }
        out
    }

    fn users(&mut self, sheet: &Sheet) -> Vec<UserRow> {
        let mut out = Vec::new();
        for &row in sheet.rows.keys() {
            let email = self.required(sheet, row, "email").and_then(|text| match Email::parse(&text) {
                Ok(email) => Some(email),
                Err(_) => {
                    self.refuse(sheet, row, "email", Problem::NotEmail { value: text });
                    None
                }
            });
            let name = self.required(sheet, row, "nama");
            let role = self.required(sheet, row, "peran").and_then(|text| match text.to_lowercase().parse::<Role>() {
                Ok(role) => Some(role),
                Err(_) => {
                    let options = Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
                    self.refuse(sheet, row, "peran", Problem::NotOneOf { value: text, options });
                    None
                }
            });
            let mut units: Vec<String> = Vec::new();
            for typed in sheet.text(row, "unit").unwrap_or_default().split([',', ';']) {
                let slug = typed.trim().to_ascii_lowercase();
                if !slug.is_empty() && !units.contains(&slug) {
                    self.known_unit(sheet, row, "unit", typed.trim());
                    units.push(slug);
                }
            }
            if role.is_some_and(|r| r != Role::Admin) && units.is_empty() {
                self.refuse(sheet, row, "unit", Problem::UnitsMissing);
            }
            let active = self.active(sheet, row);
            if let (Some(email), Some(name), Some(role), Ok(active)) = (email, name, role, active) {
                out.push(UserRow { row, email, name, role, units, active });
            }
        }
        out
    }

    fn populations(&mut self, sheet: &Sheet) -> Vec<PopulationRow> {
        let mut out = Vec::new();
        for &row in sheet.rows.keys() {
            let unit = self.required_unit(sheet, row);
            let period = match sheet.cell(row, "periode") {
                // a month typed as a date (1 Oct 2026) is that month
                Some(Cell { date: Some(date), .. }) => Some(Period::month_of(*date)),
                // the forms the population CSV takes too: 2026-10, 10/2026, Oktober 2026, 2026
                _ => self.required(sheet, row, "periode").and_then(|text| match population::period_of(&text) {
                    Some(period) => Some(period),
                    None => {
                        self.refuse(sheet, row, "periode", Problem::NotPeriod { value: text });
                        None
                    }
                }),
            };
            let count = self.required(sheet, row, "jumlah").and_then(|text| {
                match text.replace(['.', ' '], "").parse::<u32>() {
                    Ok(count) => Some(count),
                    Err(_) => {
                        self.refuse(sheet, row, "jumlah", Problem::NotCount { value: text });
                        None
                    }
                }
            });
            if let (Some(unit), Some(period), Some(count)) = (unit, period, count) {
                out.push(PopulationRow { row, unit, period, count });
            }
        }
        out
    }
}

/// What the sheets say of each other: every key once, every unit named in the `Unit` sheet,
/// the tree a tree.
fn references(book: &Book, issues: &mut Vec<SetupIssue>) {
    let mut units: HashMap<&str, &UnitRow> = HashMap::new();
    for unit in &book.units {
        match units.get(unit.slug.as_str()) {
            Some(first) => issues.push(SetupIssue::cell(
                UNIT_SHEET,
                unit.row,
                "slug",
                Problem::Duplicate { value: unit.slug.to_string(), first: first.row },
            )),
            None => {
                units.insert(unit.slug.as_str(), unit);
            }
        }
    }
    for unit in &book.units {
        if let Some(parent) = &unit.parent {
            if units.contains_key(parent.as_str()) && climbs_to_itself(unit, &units) {
                issues.push(SetupIssue::cell(
                    UNIT_SHEET,
                    unit.row,
                    "induk",
                    Problem::ParentCycle { value: parent.clone() },
                ));
            }
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for service in &book.services {
        if let Some(first) = seen.insert((service.unit.as_str(), service.slug.as_str()), service.row) {
            let value = format!("{}/{}", service.unit, service.slug);
            issues.push(SetupIssue::cell(SERVICE_SHEET, service.row, "slug", Problem::Duplicate { value, first }));
        }
    }
    let mut emails: HashMap<&str, u32> = HashMap::new();
    for user in &book.users {
        if let Some(first) = emails.insert(user.email.as_str(), user.row) {
            let value = user.email.to_string();
            issues.push(SetupIssue::cell(USER_SHEET, user.row, "email", Problem::Duplicate { value, first }));
        }
    }
    let mut periods: HashMap<(&str, String), u32> = HashMap::new();
    for population in &book.populations {
        let key = (population.unit.as_str(), population.period.to_string());
        if let Some(first) = periods.insert(key, population.row) {
            let value = format!("{} {}", population.unit, population.period);
            issues.push(SetupIssue::cell(
                POPULATION_SHEET,
                population.row,
                "periode",
                Problem::Duplicate { value, first },
            ));
        }
    }
}

/// Whether following the parents from `unit` comes back to it.
fn climbs_to_itself(unit: &UnitRow, units: &HashMap<&str, &UnitRow>) -> bool {
    let mut visited = HashSet::new();
    let mut at = unit.parent.as_deref();
    while let Some(slug) = at {
        if slug == unit.slug.as_str() {
            return true;
        }
        if !visited.insert(slug) {
            return false; // a loop above this unit, reported on its own rows
        }
        at = units.get(slug).and_then(|u| u.parent.as_deref());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    fn templates() -> Vec<String> {
        vec!["permenpanrb-14-2017".into(), "kepmenpan-25-2004".into()]
    }

    /// A workbook of the four sheets with the given cells below their headers.
    fn workbook(units: &[&[&str]], populations: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name(UNIT_SHEET).expect("name");
        // another order and another case than the template's
        for (c, h) in ["Jenis", "NAMA", "slug", "induk", "kuesioner"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).expect("header");
        }
        for (r, row) in units.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, *v).expect("cell");
            }
        }
        for (name, headers) in
            [(SERVICE_SHEET, &["unit", "slug", "nama"][..]), (USER_SHEET, &["email", "nama", "peran", "unit"])]
        {
            let sheet = book.add_worksheet().set_name(name).expect("name");
            for (c, h) in headers.iter().enumerate() {
                sheet.write_string(0, c as u16, *h).expect("header");
            }
        }
        let sheet = book.add_worksheet().set_name(POPULATION_SHEET).expect("name");
        for (c, h) in ["unit", "periode", "jumlah"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).expect("header");
        }
        populations(sheet);
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn headers_match_by_name_and_numbers_and_dates_read_as_what_they_mean() {
        let bytes = workbook(
            &[&["regency", "Kabupaten", "kutim", "", ""], &["opd", "Dinas", "dinas", "kutim", "kepmenpan-25-2004"]],
            |sheet| {
                let date = Format::new().set_num_format("yyyy-mm-dd");
                sheet.write_string(1, 0, "dinas").expect("cell");
                sheet.write_number(1, 1, 2026).expect("a year typed as a number");
                sheet.write_number(1, 2, 48000).expect("cell");
                sheet.write_string(2, 0, "dinas").expect("cell");
                let october = ExcelDateTime::from_ymd(2026, 10, 1).expect("date");
                sheet.write_datetime_with_format(2, 1, october, &date).expect("a month typed as a date");
                sheet.write_string(2, 2, "4.100").expect("a count with a thousands dot");
            },
        );
        let book = read(&bytes, &templates()).expect("reads");
        assert_eq!(book.units[1].parent.as_deref(), Some("kutim"));
        assert_eq!(book.units[1].template.as_deref(), Some("kepmenpan-25-2004"));
        assert_eq!(book.units[0].active, None, "no aktif column: keep what is stored");
        let periods: Vec<(String, u32)> = book.populations.iter().map(|p| (p.period.to_string(), p.count)).collect();
        assert_eq!(periods, [("2026".to_string(), 48000), ("2026-10".to_string(), 4100)]);
    }

    #[test]
    fn every_bad_cell_is_named_with_its_sheet_row_and_column() {
        let bytes = workbook(
            &[
                &["regency", "Kabupaten", "kutim", "dinas", ""],
                &["opd", "Dinas", "dinas", "kutim", "tidak-ada"],
                &["opd", "", "Dinas X", "", ""],
            ],
            |sheet| {
                sheet.write_string(1, 0, "nowhere").expect("cell");
                sheet.write_string(1, 1, "2026-Q3").expect("cell");
                sheet.write_number(1, 2, -5).expect("cell");
            },
        );
        let issues = read(&bytes, &templates()).expect_err("refused");
        let texts: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            texts,
            [
                "sheet Unit, row 2, column induk: parent 'dinas' is this unit itself or a unit below it",
                "sheet Unit, row 3, column induk: parent 'kutim' is this unit itself or a unit below it",
                "sheet Unit, row 3, column kuesioner: unknown questionnaire 'tidak-ada'; choose from permenpanrb-14-2017, kepmenpan-25-2004",
                "sheet Unit, row 4, column slug: 'Dinas X' is not a slug: lowercase letters, digits and dashes only, at most 64",
                "sheet Unit, row 4, column nama: must be filled in",
                "sheet Populasi, row 2, column unit: unit 'nowhere' is not in the Unit sheet",
                "sheet Populasi, row 2, column periode: '2026-Q3' is not a year (2026) or a month (2026-10)",
                "sheet Populasi, row 2, column jumlah: '-5' is not a whole number of 0 or more",
            ]
        );
        let id = issues[4].text(Tr::new(crate::domain::template::Lang::Id));
        assert_eq!(id, "lembar Unit, baris 4, kolom nama: wajib diisi");
    }

    /// A workbook filled the way an operator fills one: slugs typed with capitals, trailing
    /// spaces, an empty row between units, an e-mail with capitals.
    fn typed_by_hand(parent_of_dinkes: &str, nip: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name(UNIT_SHEET).expect("name");
        let rows: [&[&str]; 6] = [
            &["slug", "nama", "jenis", "induk", "nip", "kuesioner"],
            &["Kutai-Timur ", "Pemerintah Kabupaten Kutai Timur", "regency", ""],
            &["Disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil ", "OPD", "KUTAI-TIMUR"],
            &[],
            &["dinkes", "Dinas Kesehatan", "opd", "kutai-timur"],
            &["puskesmas-sangatta-utara", "Puskesmas Sangatta Utara", "sub_unit", parent_of_dinkes],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *v).expect("cell");
            }
        }
        nip(sheet);
        let sheets: [(&str, &[&[&str]]); 3] = [
            (SERVICE_SHEET, &[&["unit", "slug", "nama"], &["disdukcapil ", "KTP-EL", "Perekaman KTP elektronik"]]),
            (
                USER_SHEET,
                &[
                    &["email", "nama", "peran", "unit"],
                    &[
                        "Kepala@Disdukcapil.KutaiTimurKab.go.id ",
                        "Kepala Disdukcapil",
                        "Unit_Head",
                        "Disdukcapil, dinkes",
                    ],
                ],
            ),
            (
                POPULATION_SHEET,
                &[
                    &["unit", "periode", "jumlah"],
                    &["DISDUKCAPIL", "2026", "48.000"],
                    &["disdukcapil", "Oktober 2026", "4100"],
                    &["disdukcapil", "11/2026", "3900"],
                ],
            ),
        ];
        for (name, rows) in sheets {
            let sheet = book.add_worksheet().set_name(name).expect("name");
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    sheet.write_string(r as u32, c as u16, *v).expect("cell");
                }
            }
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn slugs_typed_with_capitals_or_trailing_spaces_are_read_as_the_slugs_they_mean() {
        let bytes = typed_by_hand("dinkes", |sheet| {
            sheet.write_string(2, 4, "19750101 200003 1 001").expect("a NIP as printed on a decree");
        });
        let book = read(&bytes, &templates()).expect("reads");
        let units: Vec<(&str, Option<&str>)> =
            book.units.iter().map(|u| (u.slug.as_str(), u.parent.as_deref())).collect();
        assert_eq!(
            units,
            [
                ("kutai-timur", None),
                ("disdukcapil", Some("kutai-timur")),
                ("dinkes", Some("kutai-timur")),
                ("puskesmas-sangatta-utara", Some("dinkes"))
            ]
        );
        assert_eq!(book.units[1].name, "Dinas Kependudukan dan Pencatatan Sipil");
        assert_eq!(book.units[3].row, 6, "the empty row 4 is skipped, the rows keep the numbers the sheet shows");
        assert_eq!((book.services[0].unit.as_str(), book.services[0].slug.as_str()), ("disdukcapil", "ktp-el"));
        assert_eq!(book.users[0].email.as_str(), "kepala@disdukcapil.kutaitimurkab.go.id");
        assert_eq!(book.users[0].units, ["disdukcapil", "dinkes"]);
        let populations: Vec<(&str, String, u32)> =
            book.populations.iter().map(|p| (p.unit.as_str(), p.period.to_string(), p.count)).collect();
        assert_eq!(
            populations,
            [
                ("disdukcapil", "2026".to_string(), 48000),
                ("disdukcapil", "2026-10".to_string(), 4100),
                ("disdukcapil", "2026-11".to_string(), 3900)
            ],
            "a month typed as the population CSV takes it"
        );
    }

    #[test]
    fn a_unit_named_by_its_name_and_a_nip_typed_as_a_number_are_explained() {
        let bytes = typed_by_hand("Dinas Kesehatan", |sheet| {
            // Excel shows 1.97501E+17: the last digits are gone
            sheet.write_number(2, 4, 197501012000031001.0).expect("a NIP typed as a number");
        });
        let issues = read(&bytes, &templates()).expect_err("refused");
        let texts: Vec<String> = issues.iter().map(|i| i.text(Tr::new(crate::domain::template::Lang::Id))).collect();
        assert_eq!(
            texts,
            [
                "lembar Unit, baris 3, kolom nip: NIP diketik sebagai angka sehingga angka terakhirnya hilang \
                 (197501012000031000); ketik ulang sebagai teks, diawali tanda petik: '197501012000031001",
                "lembar Unit, baris 6, kolom induk: 'Dinas Kesehatan' adalah nama unit; tulis slug-nya: dinkes",
            ]
        );
    }

    #[test]
    fn a_missing_sheet_or_column_and_a_file_that_is_no_workbook_are_named() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name(UNIT_SHEET).expect("name");
        sheet.write_string(0, 0, "slug").expect("header");
        sheet.write_string(0, 1, "warna").expect("header");
        let issues = read(&book.save_to_buffer().expect("xlsx"), &templates()).expect_err("refused");
        let texts: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(texts[0], "sheet Unit, row 1: unknown column 'warna' (see the Petunjuk sheet)");
        assert!(texts.contains(&"sheet Unit, row 1: column nama is missing from the header row".to_string()));
        assert!(texts.contains(
            &"sheet Layanan: this sheet is missing; download the template to see the sheets needed".to_string()
        ));
        let csv = read(b"slug,nama\nkutim,Kabupaten\n", &templates()).expect_err("not a workbook");
        assert_eq!(csv, [SetupIssue::file(Problem::NotXlsx)]);
    }

    use crate::i18n::Tr;
}
