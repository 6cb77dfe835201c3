//! Reporting periods (SPEC §5): month, quarter (triwulan), semester, year or a date range, in the
//! deployment's time zone. Responses carry their local survey date, so a period is a date range.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Month {
        year: i32,
        month: u32,
    },
    Quarter {
        year: i32,
        quarter: u32,
    },
    Semester {
        year: i32,
        semester: u32,
    },
    Year {
        year: i32,
    },
    /// both ends inclusive
    Range {
        from: NaiveDate,
        to: NaiveDate,
    },
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("'{input}' is not a period: use 2026-10, 2026-Q3, 2026-S1, 2026 or 2026-01-01..2026-03-31")]
pub struct PeriodError {
    pub input: String,
}

/// Surveys under PermenPANRB 14/2017 start in 2017; leave room for older KepMenPAN data.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2999;
/// Ten years: longer ranges are a typo, and would make population estimates walk millions of months.
const MAX_RANGE_DAYS: i64 = 3660;

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

impl Period {
    /// The calendar months the period covers (`2026-10`, …), for reading monthly totals; `None`
    /// for a date range that starts or ends inside a month.
    pub fn months(&self) -> Option<Vec<String>> {
        let (first, end) = (self.first_day(), self.end_exclusive());
        if first.day() != 1 || end.day() != 1 {
            return None;
        }
        let mut months = Vec::new();
        let mut at = first;
        while at < end {
            months.push(format!("{:04}-{:02}", at.year(), at.month()));
            at = at.checked_add_months(Months::new(1))?;
        }
        Some(months)
    }

    pub fn first_day(&self) -> NaiveDate {
        let ymd = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN);
        match *self {
            Period::Month { year, month } => ymd(year, month),
            Period::Quarter { year, quarter } => ymd(year, 3 * quarter - 2),
            Period::Semester { year, semester } => ymd(year, 6 * semester - 5),
            Period::Year { year } => ymd(year, 1),
            Period::Range { from, .. } => from,
        }
    }

    /// The first day after the period.
    pub fn end_exclusive(&self) -> NaiveDate {
        let months = match self {
            Period::Month { .. } => 1,
            Period::Quarter { .. } => 3,
            Period::Semester { .. } => 6,
            Period::Year { .. } => 12,
            Period::Range { to, .. } => return to.succ_opt().unwrap_or(NaiveDate::MAX),
        };
        self.first_day().checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
    }

    /// The period of the same length just before this one (for "change vs previous period").
    pub fn previous(&self) -> Period {
        match *self {
            Period::Month { year, month: 1 } => Period::Month { year: year - 1, month: 12 },
            Period::Month { year, month } => Period::Month { year, month: month - 1 },
            Period::Quarter { year, quarter: 1 } => Period::Quarter { year: year - 1, quarter: 4 },
            Period::Quarter { year, quarter } => Period::Quarter { year, quarter: quarter - 1 },
            Period::Semester { year, semester: 1 } => Period::Semester { year: year - 1, semester: 2 },
            Period::Semester { year, .. } => Period::Semester { year, semester: 1 },
            Period::Year { year } => Period::Year { year: year - 1 },
            Period::Range { from, to } => {
                let length = to.signed_duration_since(from);
                let new_to = from.pred_opt().unwrap_or(NaiveDate::MIN);
                Period::Range { from: new_to - length, to: new_to }
            }
        }
    }

    pub fn month_of(date: NaiveDate) -> Period {
        Period::Month { year: date.year(), month: date.month() }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.first_day() && date < self.end_exclusive()
    }

    /// The period's bounds as UTC instants `[start, end)`, for timestamps stored in UTC.
    pub fn utc_bounds(&self, tz: Tz) -> (NaiveDateTime, NaiveDateTime) {
        (local_midnight_utc(self.first_day(), tz), local_midnight_utc(self.end_exclusive(), tz))
    }

    /// The Bahasa Indonesia label used in pages and reports.
    pub fn label_id(&self) -> String {
        match *self {
            Period::Month { year, month } => format!("{} {year}", MONTHS_ID[(month - 1) as usize]),
            Period::Quarter { year, quarter } => {
                format!("Triwulan {} {year}", ROMAN[(quarter - 1) as usize])
            }
            Period::Semester { year, semester } => {
                format!("Semester {} {year}", ROMAN[(semester - 1) as usize])
            }
            Period::Year { year } => format!("Tahun {year}"),
            Period::Range { from, to } => format!("{} – {}", date_id(from), date_id(to)),
        }
    }

    /// The English label, for pages a reader views in English: `October 2026`, `Q3 2026`,
    /// `H1 2026`, `2026`, `1 Jan 2026 – 31 Mar 2026`.
    pub fn label_en(&self) -> String {
        const MONTHS_EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        match *self {
            Period::Month { year, month } => format!("{} {year}", MONTHS_EN[(month - 1) as usize % 12]),
            Period::Quarter { year, quarter } => format!("Q{quarter} {year}"),
            Period::Semester { year, semester } => format!("H{semester} {year}"),
            Period::Year { year } => year.to_string(),
            Period::Range { from, to } => format!("{} – {}", from.format("%-d %b %Y"), to.format("%-d %b %Y")),
        }
    }
}

/// `20 November 2024`
pub fn date_id(date: NaiveDate) -> String {
    format!("{} {} {}", date.day(), MONTHS_ID[date.month0() as usize], date.year())
}

/// The local calendar date of a UTC instant in the deployment's time zone.
pub fn local_date(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

fn local_midnight_utc(date: NaiveDate, tz: Tz) -> NaiveDateTime {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight).earliest().map(|t| t.naive_utc()).unwrap_or(midnight)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Semester { year, semester } => write!(f, "{year:04}-S{semester}"),
            Period::Year { year } => write!(f, "{year:04}"),
            Period::Range { from, to } => write!(f, "{from}..{to}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || PeriodError { input: input.to_string() };
        let text = input.trim();
        if let Some((from, to)) = text.split_once("..") {
            let date = |s: &str| {
                let s = s.trim();
                // four-digit years only: chrono would accept "-262143-01-01" and overflow later
                // (bytes, not a slice: a slice at byte 4 panics inside a multi-byte character)
                let year_ok = s.len() == 10 && s.bytes().take(4).all(|c| c.is_ascii_digit());
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|d| year_ok && (MIN_YEAR..=MAX_YEAR).contains(&d.year()))
                    .ok_or_else(error)
            };
            let (from, to) = (date(from)?, date(to)?);
            let sane = from <= to && (to - from).num_days() <= MAX_RANGE_DAYS;
            return if sane { Ok(Period::Range { from, to }) } else { Err(error()) };
        }
        let (year_text, rest) = text.split_once('-').unwrap_or((text, ""));
        if year_text.len() != 4 {
            return Err(error());
        }
        let year: i32 = year_text.parse().map_err(|_| error())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(error());
        }
        let number = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(error);
        let upper = rest.to_ascii_uppercase();
        match upper.chars().next() {
            None => Ok(Period::Year { year }),
            Some('Q') | Some('T') => Ok(Period::Quarter { year, quarter: number(&upper[1..], 4)? }),
            Some('S') => Ok(Period::Semester { year, semester: number(&upper[1..], 2)? }),
            Some(c) if c.is_ascii_digit() && rest.len() == 2 => Ok(Period::Month { year, month: number(rest, 12)? }),
            _ => Err(error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn parses_and_prints_every_kind() {
        for text in ["2026-10", "2026-Q3", "2026-S1", "2026", "2026-01-05..2026-02-10"] {
            let period: Period = text.parse().expect(text);
            assert_eq!(period.to_string(), text);
        }
        assert_eq!("2026-t2".parse::<Period>(), Ok(Period::Quarter { year: 2026, quarter: 2 }));
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-S3",
            "26",
            "2026-02-10..2026-01-05",
            "x",
            "2026-1",
            "",
            "1999",
            "-262143-01-01..-262143-01-02",
            "2000-01-01..2026-01-01",
            "202é-01-0..2026-01-01",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_and_previous() {
        let q: Period = "2026-Q1".parse().expect("valid");
        assert_eq!((q.first_day(), q.end_exclusive()), (d(2026, 1, 1), d(2026, 4, 1)));
        assert_eq!(q.previous().to_string(), "2025-Q4");
        assert_eq!("2026-01".parse::<Period>().expect("valid").previous().to_string(), "2025-12");
        assert_eq!("2026-S1".parse::<Period>().expect("valid").previous().to_string(), "2025-S2");
        let r: Period = "2026-01-11..2026-01-20".parse().expect("valid");
        assert_eq!(r.previous().to_string(), "2026-01-01..2026-01-10");
        assert!(r.contains(d(2026, 1, 20)) && !r.contains(d(2026, 1, 21)));
    }

    #[test]
    fn months_end_in_the_local_time_zone() {
        let tz: Tz = "Asia/Makassar".parse().expect("known zone");
        let (start, end) = "2026-10".parse::<Period>().expect("valid").utc_bounds(tz);
        assert_eq!(start.to_string(), "2026-09-30 16:00:00");
        assert_eq!(end.to_string(), "2026-10-31 16:00:00");
        let late_evening_utc = Utc.with_ymd_and_hms(2026, 10, 31, 17, 0, 0).single().expect("valid");
        assert_eq!(local_date(late_evening_utc, tz), d(2026, 11, 1));
    }

    #[test]
    fn indonesian_labels() {
        assert_eq!("2026-10".parse::<Period>().expect("valid").label_id(), "Oktober 2026");
        assert_eq!("2026-Q3".parse::<Period>().expect("valid").label_id(), "Triwulan III 2026");
        assert_eq!(date_id(d(2024, 11, 20)), "20 November 2024");
    }

    #[test]
    fn english_labels() {
        let label = |text: &str| text.parse::<Period>().expect("valid").label_en();
        assert_eq!(label("2026-10"), "October 2026");
        assert_eq!(label("2026-Q3"), "Q3 2026");
        assert_eq!(label("2026-S1"), "H1 2026");
        assert_eq!(label("2026"), "2026");
        assert_eq!(label("2026-01-01..2026-03-31"), "1 Jan 2026 – 31 Mar 2026");
    }

    #[test]
    fn a_period_names_its_months_unless_a_range_cuts_a_month() {
        let months = |text: &str| text.parse::<Period>().expect("period").months();
        assert_eq!(months("2026-Q4"), Some(vec!["2026-10".into(), "2026-11".into(), "2026-12".into()]));
        assert_eq!(months("2026-02"), Some(vec!["2026-02".to_string()]));
        assert_eq!(months("2026-01-01..2026-02-28").map(|m| m.len()), Some(2));
        assert_eq!(months("2026-01-05..2026-02-28"), None);
        assert_eq!(months("2026").map(|m| m.len()), Some(12));
    }
}
