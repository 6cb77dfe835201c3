//! Dashboards for unit heads and admins: the regency overview (`regency`) and a unit's page
//! (`unit`). Both read a period from the query (the current month by default) and show numbers
//! the Indonesian way (`91,48`).

pub mod regency;
pub mod unit;

use super::error::WebError;
use super::AppState;
use crate::domain::decimal::Rounded;
use crate::domain::period::{local_date, Period, PeriodError};

/// Indonesian number format: `91,48`.
fn id(value: Rounded) -> String {
    value.format_with(',')
}

/// A change with its sign: `+1,25`, `-0,50`.
fn signed(value: Rounded) -> String {
    let text = id(value);
    if value.as_ratio() > num_rational::BigRational::from_integer(0.into()) {
        format!("+{text}")
    } else {
        text
    }
}

fn today(state: &AppState) -> chrono::NaiveDate {
    local_date(chrono::Utc::now(), state.config.timezone)
}

/// The period the query names, or the current month.
fn period_or_default(text: Option<&str>, state: &AppState) -> Result<Period, WebError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            t.parse().map_err(|e: PeriodError| WebError::Invalid { field: "period".into(), reason: e.to_string() })
        }
        None => Ok(Period::month_of(today(state))),
    }
}

/// Suggestions for the period picker: recent months, quarters, semesters and years.
fn period_suggestions(state: &AppState) -> Vec<String> {
    let today = today(state);
    let mut month = Period::month_of(today);
    let mut out = Vec::new();
    for _ in 0..12 {
        out.push(month.to_string());
        month = month.previous();
    }
    let year = chrono::Datelike::year(&today);
    for y in [year, year - 1] {
        out.extend(["Q1", "Q2", "Q3", "Q4", "S1", "S2"].map(|part| format!("{y}-{part}")));
        out.push(y.to_string());
    }
    out
}
