//! What can be wrong with a setup workbook: one `Problem` per kind, placed at a sheet, a row
//! and a column (`SetupIssue`). Problems are translation keys with arguments
//! (`assets/i18n/*.toml`, keys `setup.problem.*`), so the page and the terminal each show them
//! in their own language.

use crate::i18n::Tr;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupIssue {
    /// `None` for the file as a whole
    pub sheet: Option<&'static str>,
    /// the sheet's row number (the header is row 1); 0 for the sheet as a whole
    pub row: u32,
    /// the column's header
    pub column: Option<&'static str>,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotXlsx,
    FileTooLarge {
        megabytes: usize,
    },
    SheetTooLarge {
        rows: u32,
        columns: u32,
    },
    MissingSheet,
    MissingColumn {
        column: String,
    },
    UnknownColumn {
        value: String,
    },
    DuplicateColumn {
        value: String,
    },
    Required,
    NotSlug {
        value: String,
    },
    NotOneOf {
        value: String,
        options: String,
    },
    NotEmail {
        value: String,
    },
    UnknownTemplate {
        value: String,
        known: String,
    },
    /// a unit slug not in the `Unit` sheet
    UnknownUnit {
        value: String,
    },
    /// a new regency in a workbook that leaves the stored one out
    RegencyReplaced {
        value: String,
        stored: String,
    },
    /// a unit's name where its slug belongs
    NameNotSlug {
        value: String,
        slug: String,
    },
    /// the same key twice in a sheet; `first` is the earlier row
    Duplicate {
        value: String,
        first: u32,
    },
    /// a unit under itself or under a unit below it
    ParentCycle {
        value: String,
    },
    NotPeriod {
        value: String,
    },
    NotCount {
        value: String,
    },
    /// a unit head or an operator without a unit
    UnitsMissing,
    TooLong {
        max: usize,
    },
    NotOneLine,
    Nip,
    /// an 18-digit NIP typed as a number, its last digits lost
    NipAsNumber {
        value: String,
    },
    Website,
    Phone,
    /// the admin applying the workbook cannot disable their own account
    OwnAccount,
    /// … nor take away their own admin role
    OwnAdminRole,
}

impl Problem {
    pub fn key(&self) -> &'static str {
        match self {
            Problem::NotXlsx => "setup.problem.not_xlsx",
            Problem::FileTooLarge { .. } => "setup.problem.file_too_large",
            Problem::SheetTooLarge { .. } => "setup.problem.sheet_too_large",
            Problem::MissingSheet => "setup.problem.missing_sheet",
            Problem::MissingColumn { .. } => "setup.problem.missing_column",
            Problem::UnknownColumn { .. } => "setup.problem.unknown_column",
            Problem::DuplicateColumn { .. } => "setup.problem.duplicate_column",
            Problem::Required => "setup.problem.required",
            Problem::NotSlug { .. } => "setup.problem.not_slug",
            Problem::NotOneOf { .. } => "setup.problem.not_one_of",
            Problem::NotEmail { .. } => "setup.problem.not_email",
            Problem::UnknownTemplate { .. } => "setup.problem.unknown_template",
            Problem::UnknownUnit { .. } => "setup.problem.unknown_unit",
            Problem::NameNotSlug { .. } => "setup.problem.name_not_slug",
            Problem::RegencyReplaced { .. } => "setup.problem.regency_replaced",
            Problem::Duplicate { .. } => "setup.problem.duplicate",
            Problem::ParentCycle { .. } => "setup.problem.parent_cycle",
            Problem::NotPeriod { .. } => "setup.problem.not_period",
            Problem::NotCount { .. } => "setup.problem.not_count",
            Problem::UnitsMissing => "setup.problem.units_missing",
            Problem::TooLong { .. } => "setup.problem.too_long",
            Problem::NotOneLine => "setup.problem.not_one_line",
            Problem::Nip => "setup.problem.nip",
            Problem::NipAsNumber { .. } => "setup.problem.nip_as_number",
            Problem::Website => "setup.problem.website",
            Problem::Phone => "setup.problem.phone",
            Problem::OwnAccount => "setup.problem.own_account",
            Problem::OwnAdminRole => "setup.problem.own_admin_role",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        let value = |v: &String| ("value", clip(v));
        match self {
            Problem::FileTooLarge { megabytes } => vec![("megabytes", megabytes.to_string())],
            Problem::SheetTooLarge { rows, columns } => {
                vec![("rows", rows.to_string()), ("columns", columns.to_string())]
            }
            Problem::MissingColumn { column } => vec![("column", column.clone())],
            Problem::UnknownColumn { value: v }
            | Problem::DuplicateColumn { value: v }
            | Problem::NotSlug { value: v }
            | Problem::NotEmail { value: v }
            | Problem::UnknownUnit { value: v }
            | Problem::ParentCycle { value: v }
            | Problem::NotPeriod { value: v }
            | Problem::NotCount { value: v }
            | Problem::NipAsNumber { value: v } => vec![value(v)],
            Problem::NameNotSlug { value: v, slug } => vec![value(v), ("slug", slug.clone())],
            Problem::RegencyReplaced { value: v, stored } => vec![value(v), ("stored", stored.clone())],
            Problem::NotOneOf { value: v, options } => vec![value(v), ("options", options.clone())],
            Problem::UnknownTemplate { value: v, known } => vec![value(v), ("known", known.clone())],
            Problem::Duplicate { value: v, first } => vec![value(v), ("first", first.to_string())],
            Problem::TooLong { max } => vec![("max", max.to_string())],
            Problem::NotXlsx
            | Problem::MissingSheet
            | Problem::Required
            | Problem::UnitsMissing
            | Problem::NotOneLine
            | Problem::Nip
            | Problem::Website
            | Problem::Phone
            | Problem::OwnAccount
            | Problem::OwnAdminRole => Vec::new(),
        }
    }

    /// The reason alone ("'Dinas X' bukan slug …").
    pub fn text(&self, tr: Tr) -> String {
        tr.fill(self.key(), &self.args())
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

impl SetupIssue {
    pub fn file(problem: Problem) -> SetupIssue {
        SetupIssue { sheet: None, row: 0, column: None, problem }
    }

    pub fn sheet(sheet: &'static str, problem: Problem) -> SetupIssue {
        SetupIssue { sheet: Some(sheet), row: 0, column: None, problem }
    }

    pub fn cell(sheet: &'static str, row: u32, column: &'static str, problem: Problem) -> SetupIssue {
        SetupIssue { sheet: Some(sheet), row, column: Some(column), problem }
    }

    /// Where, in words ("lembar Unit, baris 5, kolom nama"); empty for the file.
    pub fn place(&self, tr: Tr) -> String {
        let Some(sheet) = self.sheet else { return String::new() };
        let mut parts = vec![tr.fill("setup.at.sheet", &[("sheet", sheet.to_string())])];
        if self.row > 0 {
            parts.push(tr.fill("setup.at.row", &[("row", self.row.to_string())]));
        }
        if let Some(column) = self.column {
            parts.push(tr.fill("setup.at.column", &[("column", column.to_string())]));
        }
        parts.join(", ")
    }

    /// The whole message: where, then why.
    pub fn text(&self, tr: Tr) -> String {
        match self.place(tr) {
            place if place.is_empty() => self.problem.text(tr),
            place => format!("{place}: {}", self.problem.text(tr)),
        }
    }
}

/// In English, for logs and tests.
impl fmt::Display for SetupIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Tr::new(crate::domain::template::Lang::En)))
    }
}
