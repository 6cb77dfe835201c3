//! Dashboards for unit heads and admins: the regency overview (`regency`) and a unit's page
//! (`unit`). Both read a period from the query (the last complete month by default, SPEC §5)
//! through one period picker, and show numbers the Indonesian way (`91,48`).

mod instruments;
pub mod regency;
pub mod region;
pub mod unit;

use super::i18n::Tr;
use super::AppState;
use crate::config::DashboardPeriod;
use crate::domain::decimal::Rounded;
use crate::domain::follow_up::Progress;
use crate::domain::period::{local_date, Period};
use crate::domain::ranking::Adequacy;

/// Indonesian number format: `91,48`.
fn id(value: Rounded) -> String {
    value.format_with(',')
}

/// A change with its sign: `+1,25`, `-0,50`.
fn signed(value: Rounded) -> String {
    value.format_signed_with(',')
}

/// The badge of a unit below its required sample (SPEC §3: ranked with a badge, never
/// silently): "sampel kurang: 12 dari 219".
fn short_badge(t: &Tr, adequacy: Adequacy) -> Option<String> {
    match adequacy {
        Adequacy::Short { responses, required } => {
            Some(t.fill("dash.short_badge", &[("count", count(responses)), ("required", count(required))]))
        }
        Adequacy::Adequate | Adequacy::Unknown => None,
    }
}

/// A share of actions done, for the panel's summary lines.
pub struct ProgressView {
    /// "3 dari 4 RTL selesai (75 %)"
    pub done: String,
    /// for a table's cell: "3 dari 4 (75 %)", "–" without actions that count
    pub short: String,
    /// "1 dibatalkan (tidak dihitung)"
    pub dropped: Option<String>,
    /// "2 terlambat"
    pub late: Option<String>,
}

/// "3 dari 4 RTL selesai (75 %)", with the dropped and late ones beside it.
fn progress_view(t: &Tr, p: &Progress) -> ProgressView {
    let done = match p.percent() {
        Some(percent) => t.fill(
            "dash.rtl.progress",
            &[("done", p.done.to_string()), ("counted", p.counted().to_string()), ("percent", percent.to_string())],
        ),
        None => t.t("dash.rtl.progress.none").to_string(),
    };
    let short = match p.percent() {
        Some(percent) => t.fill(
            "dash.rtl.progress.short",
            &[("done", p.done.to_string()), ("counted", p.counted().to_string()), ("percent", percent.to_string())],
        ),
        None => "–".to_string(),
    };
    ProgressView {
        done,
        short,
        dropped: (p.dropped > 0).then(|| t.fill("dash.rtl.progress.dropped", &[("count", p.dropped.to_string())])),
        late: (p.late > 0).then(|| t.fill("dash.rtl.progress.late", &[("count", p.late.to_string())])),
    }
}

/// A count as pages write it: `24.000 orang` (Indonesian thousands separators).
fn count(n: u64) -> String {
    crate::domain::decimal::Rounded::whole(i64::try_from(n).unwrap_or(i64::MAX)).format_id()
}

fn today(state: &AppState) -> chrono::NaiveDate {
    local_date(chrono::Utc::now(), state.config.timezone)
}

/// The month a dashboard opens on: the last complete month (SPEC §5), or the running one when
/// `dashboard_period = "running"`.
fn default_period(state: &AppState) -> Period {
    let running = Period::month_of(today(state));
    match state.config.dashboard_period {
        DashboardPeriod::LastComplete => running.previous(),
        DashboardPeriod::Running => running,
    }
}

/// The period a dashboard's query names: `period` (`2026-10`, `2026-Q3`, …) when given, else the
/// custom range `dari`..`sampai` (two dates), else the default. A mistyped period does not fail
/// the page: it opens on the default period with the problem (a translation key) shown next to
/// the picker, so the official sees what to correct where they typed it.
fn chosen_period(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    state: &AppState,
) -> (Period, Option<&'static str>) {
    let given = |text: Option<&str>| text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let text = match (given(period), given(from), given(to)) {
        (Some(period), _, _) => period,
        (None, Some(from), Some(to)) => format!("{from}..{to}"),
        (None, None, None) => return (default_period(state), None),
        (None, _, _) => return (default_period(state), Some("dash.period.error.range_incomplete")),
    };
    match text.parse::<Period>() {
        Ok(period) => (period, None),
        Err(_) => (default_period(state), Some("dash.period.error.unknown")),
    }
}

/// One choice of the period picker: the machine form as value, the Indonesian label shown.
struct PeriodOption {
    value: String,
    label: String,
    selected: bool,
}

/// The period picker both dashboards share (`period_picker.html`): recent months, quarters,
/// semesters and years under readable labels ("Oktober 2026", "Triwulan III 2026"), and a custom
/// date range. A GET form, no script.
pub struct PeriodPicker {
    /// (group label, choices), newest first within a group
    groups: Vec<(String, Vec<PeriodOption>)>,
    /// the period shown is a date range: the "range" choice is selected and the dates filled
    range: bool,
    from: String,
    to: String,
    /// what was wrong with the period asked for, in the page's language
    error: Option<String>,
}

impl PeriodPicker {
    fn new(shown: Period, problem: Option<&'static str>, state: &AppState, t: &Tr) -> PeriodPicker {
        let today = today(state);
        let year = chrono::Datelike::year(&today);
        let running = Period::month_of(today);
        let mut months = Vec::new();
        let mut month = running;
        for _ in 0..12 {
            months.push(month);
            month = month.previous();
        }
        // only periods that have begun: a quarter still to come has no responses
        let begun = |p: &Period| p.first_day() <= today;
        let of_years = |make: &dyn Fn(i32) -> Vec<Period>| -> Vec<Period> {
            [year, year - 1].into_iter().flat_map(|y| make(y).into_iter().rev()).filter(begun).collect()
        };
        let quarters = of_years(&|year| (1..=4).map(|quarter| Period::Quarter { year, quarter }).collect());
        let semesters = of_years(&|year| (1..=2).map(|semester| Period::Semester { year, semester }).collect());
        let years = vec![Period::Year { year }, Period::Year { year: year - 1 }];
        let mut groups: Vec<(&str, Vec<Period>)> = vec![
            ("dash.period.months", months),
            ("dash.period.quarters", quarters),
            ("dash.period.semesters", semesters),
            ("dash.period.years", years),
        ];
        // a period typed into the address that the list lacks is shown as chosen, not lost
        let group_of = match shown {
            Period::Month { .. } => Some(0),
            Period::Quarter { .. } => Some(1),
            Period::Semester { .. } => Some(2),
            Period::Year { .. } => Some(3),
            Period::Range { .. } => None,
        };
        if let Some(group) = group_of.filter(|g| !groups[*g].1.contains(&shown)) {
            groups[group].1.insert(0, shown);
        }
        let (range, from, to) = match shown {
            Period::Range { from, to } => (true, from.to_string(), to.to_string()),
            _ => (false, String::new(), String::new()),
        };
        PeriodPicker {
            groups: groups
                .into_iter()
                .map(|(key, periods)| {
                    let options = periods
                        .into_iter()
                        .map(|p| PeriodOption {
                            value: p.to_string(),
                            label: if p == running {
                                t.fill("dash.period.running", &[("period", p.label_id())])
                            } else {
                                p.label_id()
                            },
                            selected: p == shown,
                        })
                        .collect();
                    (t.t(key).to_string(), options)
                })
                .collect(),
            range,
            from,
            to,
            error: problem.map(|key| t.t(key).to_string()),
        }
    }
}
