//! What can be wrong with a spreadsheet of responses: one `Problem` per kind, with the values
//! it names, placed at a row and column (`CsvIssue`). Problems are translation keys with
//! arguments, so a page or a terminal shows them in its own language
//! (`assets/i18n/*.toml`, keys `import.problem.*`).

use crate::domain::template::{Lang, Text};
use crate::i18n::Tr;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct CsvIssue {
    /// 1-based line as a spreadsheet shows it (the header is row 1); 0 for the file itself
    pub row: u64,
    pub column: Option<String>,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// no bytes, or only blank lines
    EmptyFile,
    /// a header and not one row under it
    NoRows,
    Unreadable,
    /// neither UTF-8 text nor an XLSX workbook (Excel's "CSV" in a Windows code page)
    NotText,
    NotXlsx,
    NoSheet,
    SheetTooLarge {
        rows: u32,
        columns: u32,
    },
    FileTooLarge {
        megabytes: usize,
    },
    TooManyRows {
        count: usize,
        max: usize,
    },
    /// a line the CSV reader cannot read
    BadRecord,
    UnknownColumn {
        template: String,
    },
    DuplicateColumn,
    NoElementColumn,
    CellCount {
        found: usize,
        expected: usize,
    },
    Nul,
    NotAScore {
        value: String,
        min: u32,
        max: u32,
    },
    /// a profile choice that matches no option's code or label; the options by code and label
    NotAnOption {
        value: String,
        options: Vec<(String, Text)>,
    },
    NotAWholeNumber {
        value: String,
        min: i64,
        max: i64,
    },
    NoAnswer,
    ServiceRequired {
        known: Vec<String>,
    },
    UnknownService {
        value: String,
        known: Vec<String>,
    },
    NotADate {
        value: String,
    },
    DateBefore {
        value: String,
        year: i32,
    },
    DateInFuture {
        value: String,
    },
    SaranTooLong {
        max: usize,
    },
    /// a row of the downloadable sample file, left in by mistake
    ExampleRow,
    /// a cell that must be filled in (the population file's unit, period and count)
    EmptyCell,
    /// a header of the population file that is none of its columns
    NotAPopulationColumn,
    /// a column the file must have; `name` is its Indonesian header
    MissingColumn {
        name: String,
    },
    /// neither a month nor a year
    NotAPopulationPeriod {
        value: String,
    },
    /// the same unit and period as an earlier row
    RepeatedPopulation {
        first_row: u64,
    },
    /// no unit has this slug
    UnknownUnit {
        value: String,
    },
    /// a unit's name where its slug belongs
    UnitByName {
        value: String,
        slug: String,
    },
    /// the file's `template` column names another questionnaire than the one it is read with
    OtherTemplate {
        value: String,
        template: String,
    },
    /// a `template` cell naming another questionnaire than the one `row` names
    MixedTemplates {
        value: String,
        first: String,
        row: u64,
    },
    /// a workbook whose parts, or whose cells' text, unpack to more than `megabytes`
    Unpacked {
        megabytes: u64,
    },
    /// a workbook cell holding more than `max` characters
    CellTooLong {
        max: usize,
    },
}

impl Problem {
    /// The translation key of the reason.
    pub fn key(&self) -> &'static str {
        match self {
            Problem::EmptyFile => "import.problem.empty_file",
            Problem::NoRows => "import.problem.no_rows",
            Problem::Unreadable => "import.problem.unreadable",
            Problem::NotText => "import.problem.not_text",
            Problem::NotXlsx => "import.problem.not_xlsx",
            Problem::NoSheet => "import.problem.no_sheet",
            Problem::SheetTooLarge { .. } => "import.problem.sheet_too_large",
            Problem::FileTooLarge { .. } => "import.problem.file_too_large",
            Problem::TooManyRows { .. } => "import.problem.too_many_rows",
            Problem::BadRecord => "import.problem.bad_record",
            Problem::UnknownColumn { .. } => "import.problem.unknown_column",
            Problem::DuplicateColumn => "import.problem.duplicate_column",
            Problem::NoElementColumn => "import.problem.no_element_column",
            Problem::CellCount { .. } => "import.problem.cell_count",
            Problem::Nul => "import.problem.nul",
            Problem::NotAScore { .. } => "import.problem.not_score",
            Problem::NotAnOption { .. } => "import.problem.not_option",
            Problem::NotAWholeNumber { .. } => "import.problem.not_whole_number",
            Problem::NoAnswer => "import.problem.no_answer",
            Problem::ServiceRequired { .. } => "import.problem.service_required",
            Problem::UnknownService { .. } => "import.problem.unknown_service",
            Problem::NotADate { .. } => "import.problem.not_date",
            Problem::DateBefore { .. } => "import.problem.date_before",
            Problem::DateInFuture { .. } => "import.problem.date_future",
            Problem::SaranTooLong { .. } => "import.problem.saran_too_long",
            Problem::ExampleRow => "import.problem.example_row",
            Problem::EmptyCell => "import.problem.empty_cell",
            Problem::NotAPopulationColumn => "import.problem.not_population_column",
            Problem::MissingColumn { .. } => "import.problem.missing_column",
            Problem::NotAPopulationPeriod { .. } => "import.problem.not_population_period",
            Problem::RepeatedPopulation { .. } => "import.problem.repeated_population",
            Problem::UnknownUnit { .. } => "import.problem.unknown_unit",
            Problem::UnitByName { .. } => "import.problem.unit_by_name",
            Problem::OtherTemplate { .. } => "import.problem.other_template",
            Problem::MixedTemplates { .. } => "import.problem.mixed_templates",
            Problem::Unpacked { .. } => "import.problem.unpacked_too_large",
            Problem::CellTooLong { .. } => "import.problem.cell_too_long",
        }
    }

    /// The values its text names; option labels in `lang`.
    pub fn args(&self, lang: Lang) -> Vec<(&'static str, String)> {
        let value = |v: &String| ("value", clip(v));
        match self {
            Problem::SheetTooLarge { rows, columns } => {
                vec![("rows", rows.to_string()), ("columns", columns.to_string())]
            }
            Problem::FileTooLarge { megabytes } => vec![("megabytes", megabytes.to_string())],
            Problem::TooManyRows { count, max } => vec![("count", count.to_string()), ("max", max.to_string())],
            Problem::UnknownColumn { template } => vec![("template", template.clone())],
            Problem::CellCount { found, expected } => {
                vec![("found", found.to_string()), ("expected", expected.to_string())]
            }
            Problem::NotAScore { value: v, min, max } => {
                vec![value(v), ("min", min.to_string()), ("max", max.to_string())]
            }
            Problem::NotAnOption { value: v, options } => {
                let shown: Vec<String> = options
                    .iter()
                    .map(|(code, label)| match label.get(lang) {
                        label if label == code => code.clone(),
                        label => format!("{code} ({label})"),
                    })
                    .collect();
                vec![value(v), ("options", shown.join(", "))]
            }
            Problem::NotAWholeNumber { value: v, min, max } => {
                vec![value(v), ("min", min.to_string()), ("max", max.to_string())]
            }
            Problem::ServiceRequired { known } => vec![("known", known.join(", "))],
            Problem::UnknownService { value: v, known } => vec![value(v), ("known", known.join(", "))],
            Problem::NotADate { value: v } | Problem::DateInFuture { value: v } => vec![value(v)],
            Problem::DateBefore { value: v, year } => vec![value(v), ("year", year.to_string())],
            Problem::SaranTooLong { max } => vec![("max", max.to_string())],
            Problem::MissingColumn { name } => vec![("column", name.clone())],
            Problem::NotAPopulationPeriod { value: v } | Problem::UnknownUnit { value: v } => vec![value(v)],
            Problem::UnitByName { value: v, slug } => vec![value(v), ("slug", slug.clone())],
            Problem::RepeatedPopulation { first_row } => vec![("row", first_row.to_string())],
            Problem::OtherTemplate { value: v, template } => vec![value(v), ("template", template.clone())],
            Problem::MixedTemplates { value: v, first, row } => {
                vec![value(v), ("first", clip(first)), ("row", row.to_string())]
            }
            Problem::Unpacked { megabytes } => vec![("megabytes", megabytes.to_string())],
            Problem::CellTooLong { max } => vec![("max", max.to_string())],
            Problem::EmptyFile
            | Problem::NoRows
            | Problem::Unreadable
            | Problem::NotText
            | Problem::NotXlsx
            | Problem::NoSheet
            | Problem::BadRecord
            | Problem::DuplicateColumn
            | Problem::NoElementColumn
            | Problem::Nul
            | Problem::NoAnswer
            | Problem::ExampleRow
            | Problem::EmptyCell
            | Problem::NotAPopulationColumn => Vec::new(),
        }
    }

    /// The reason alone, to follow a row and column ("'5' bukan nilai 1–4").
    pub fn text(&self, tr: Tr) -> String {
        tr.fill(self.key(), &self.args(tr.lang))
    }

    /// The reason standing alone, as a table cell shows it ("Tidak ada unsur yang dijawab").
    pub fn sentence(&self, tr: Tr) -> String {
        capitalized(&self.text(tr))
    }
}

/// A cell quoted in a message: long text is cut, so a wrong file cannot flood the page.
fn clip(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        format!("{}…", value.chars().take(MAX).collect::<String>())
    }
}

impl CsvIssue {
    pub fn file(problem: Problem) -> CsvIssue {
        CsvIssue { row: 0, column: None, problem }
    }

    /// The whole message: where, then why ("baris 3, kolom U5: '5' bukan nilai 1–4").
    pub fn text(&self, tr: Tr) -> String {
        let reason = self.problem.text(tr);
        match (&self.column, self.row) {
            (Some(column), 0) => tr.fill("import.at.column", &[("column", column.clone()), ("reason", reason)]),
            (Some(column), row) => tr.fill(
                "import.at.row_column",
                &[("row", row.to_string()), ("column", column.clone()), ("reason", reason)],
            ),
            (None, 0) => self.problem.sentence(tr),
            (None, row) => tr.fill("import.at.row", &[("row", row.to_string()), ("reason", reason)]),
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// In English, for logs and tests; people see `text` in their language.
impl fmt::Display for CsvIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Tr::new(Lang::En)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_names_row_column_and_reason_in_either_language() {
        let issue = CsvIssue {
            row: 3,
            column: Some("U5".into()),
            problem: Problem::NotAScore { value: "5".into(), min: 1, max: 4 },
        };
        assert_eq!(issue.text(Tr::new(Lang::Id)), "baris 3, kolom U5: '5' bukan nilai 1–4");
        assert_eq!(issue.to_string(), "row 3, column U5: '5' is not a score from 1 to 4");
        let file = CsvIssue::file(Problem::NotText);
        assert!(file.text(Tr::new(Lang::Id)).starts_with("Berkas ini bukan"), "{}", file.text(Tr::new(Lang::Id)));
    }

    #[test]
    fn every_problem_has_a_text_in_both_languages() {
        let options = vec![("L".to_string(), Text { id: "Laki-laki".into(), en: "Male".into() })];
        let problems = [
            Problem::EmptyFile,
            Problem::NoRows,
            Problem::Unreadable,
            Problem::NotText,
            Problem::NotXlsx,
            Problem::NoSheet,
            Problem::SheetTooLarge { rows: 1, columns: 2 },
            Problem::FileTooLarge { megabytes: 10 },
            Problem::TooManyRows { count: 3, max: 2 },
            Problem::BadRecord,
            Problem::UnknownColumn { template: "t".into() },
            Problem::DuplicateColumn,
            Problem::NoElementColumn,
            Problem::CellCount { found: 3, expected: 9 },
            Problem::Nul,
            Problem::NotAScore { value: "5".into(), min: 1, max: 4 },
            Problem::NotAnOption { value: "X".into(), options },
            Problem::NotAWholeNumber { value: "x".into(), min: 15, max: 100 },
            Problem::NoAnswer,
            Problem::ServiceRequired { known: vec!["ktp-el".into()] },
            Problem::UnknownService { value: "sim".into(), known: vec!["ktp-el".into()] },
            Problem::NotADate { value: "x".into() },
            Problem::DateBefore { value: "1999-01-01".into(), year: 2000 },
            Problem::DateInFuture { value: "2999-01-01".into() },
            Problem::SaranTooLong { max: 2000 },
            Problem::ExampleRow,
            Problem::EmptyCell,
            Problem::NotAPopulationColumn,
            Problem::MissingColumn { name: "bulan".into() },
            Problem::NotAPopulationPeriod { value: "2026-Q3".into() },
            Problem::RepeatedPopulation { first_row: 2 },
            Problem::UnknownUnit { value: "dinas-x".into() },
            Problem::UnitByName { value: "dinas kesehatan".into(), slug: "dinkes".into() },
            Problem::OtherTemplate { value: "spkp-zi".into(), template: "permenpanrb-14-2017".into() },
            Problem::MixedTemplates { value: "spak-zi".into(), first: "spkp-zi".into(), row: 2 },
            Problem::Unpacked { megabytes: 50 },
            Problem::CellTooLong { max: 2000 },
        ];
        for problem in problems {
            for lang in [Lang::Id, Lang::En] {
                let text = problem.text(Tr::new(lang));
                assert!(text != problem.key() && !text.contains('{'), "{lang:?} {}: {text}", problem.key());
            }
            assert_ne!(problem.text(Tr::new(Lang::Id)), problem.text(Tr::new(Lang::En)), "{}", problem.key());
        }
    }
}
