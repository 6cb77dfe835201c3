//! The population (service users) of a period, from what a unit recorded (SPEC §4): the period's
//! own figure, else the months it spans, else the year's figure pro rata, else the previous
//! period's.

use super::period::Period;
use chrono::Datelike;
use std::collections::HashMap;

pub fn population_for(period: &Period, recorded: &HashMap<String, i64>) -> Option<u64> {
    let own = |p: &Period| recorded.get(&p.to_string()).map(|n| (*n).max(0) as u64);
    if let Some(n) = own(period) {
        return Some(n);
    }
    let (first, end) = (period.first_day(), period.end_exclusive());
    let months: Vec<Period> = std::iter::successors(Some(Period::month_of(first)), |p| {
        let next = p.end_exclusive();
        (next < end).then(|| Period::month_of(next))
    })
    .collect();
    let whole_months = first.day() == 1 && end.day() == 1;
    if whole_months && months.len() > 1 && months.iter().all(|m| own(m).is_some()) {
        return Some(months.iter().filter_map(own).sum());
    }
    // The years' figures, pro rata by days; every year the period touches must be known.
    let last_year = (end - chrono::Duration::days(1)).year();
    let mut estimate = Some(0u64);
    for y in first.year()..=last_year {
        let year = Period::Year { year: y };
        let (from, to) = (first.max(year.first_day()), end.min(year.end_exclusive()));
        let days = (to - from).num_days().max(0) as u64;
        let year_days = (year.end_exclusive() - year.first_day()).num_days() as u64;
        estimate = match (estimate, own(&year)) {
            (Some(total), Some(n)) => Some(total + (n * days + year_days / 2) / year_days),
            _ => None,
        };
    }
    if estimate.is_some() {
        return estimate;
    }
    if !matches!(period, Period::Range { .. }) {
        return own(&period.previous());
    }
    None
}

/// The population of a roll-up (a unit with its sub-units, SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollUpPopulation {
    /// every member with responses has a population: their sum (members without responses add
    /// theirs too, since they served citizens in the period)
    Known(u64),
    /// `recorded` of the `of` members with responses have a population: no sum (it would
    /// understate the required sample) and no adequacy verdict, only the coverage
    Coverage { recorded: usize, of: usize },
}

impl RollUpPopulation {
    pub fn known(self) -> Option<u64> {
        match self {
            RollUpPopulation::Known(n) => Some(n),
            RollUpPopulation::Coverage { .. } => None,
        }
    }
}

/// A roll-up's population from its members' `(has responses, population)`; `None` when no
/// member has a population and none has responses (nothing to say).
pub fn roll_up(members: &[(bool, Option<u64>)]) -> Option<RollUpPopulation> {
    let answering: Vec<Option<u64>> = members.iter().filter(|(answered, _)| *answered).map(|(_, n)| *n).collect();
    let recorded = answering.iter().filter(|n| n.is_some()).count();
    if recorded < answering.len() {
        return Some(RollUpPopulation::Coverage { recorded, of: answering.len() });
    }
    let known: Vec<u64> = members.iter().filter_map(|(_, n)| *n).collect();
    (!known.is_empty()).then(|| RollUpPopulation::Known(known.iter().sum()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roll_up_sums_when_every_answering_member_has_a_population() {
        // the third member has no responses and no population: it does not block the sum
        let members = [(true, Some(100)), (true, Some(50)), (false, None), (false, Some(10))];
        assert_eq!(roll_up(&members), Some(RollUpPopulation::Known(160)));
    }

    #[test]
    fn a_roll_up_with_an_answering_member_lacking_a_population_shows_only_coverage() {
        let members = [(true, Some(100)), (true, None), (true, Some(7)), (false, Some(10))];
        assert_eq!(roll_up(&members), Some(RollUpPopulation::Coverage { recorded: 2, of: 3 }));
        assert_eq!(roll_up(&members).and_then(RollUpPopulation::known), None);
    }

    #[test]
    fn a_roll_up_with_nothing_recorded_has_no_population() {
        assert_eq!(roll_up(&[(false, None), (false, None)]), None);
        assert_eq!(roll_up(&[]), None);
    }

    fn recorded(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn p(s: &str) -> Period {
        s.parse().expect("period")
    }

    #[test]
    fn own_figure_then_months_then_year_then_previous() {
        let r = recorded(&[("2026", 3650), ("2026-01", 100), ("2026-02", 110), ("2026-03", 120), ("2025-12", 90)]);
        assert_eq!(population_for(&p("2026-02"), &r), Some(110));
        assert_eq!(population_for(&p("2026-Q1"), &r), Some(330));
        // April has no figure: the year pro rata (30 of 365 days)
        assert_eq!(population_for(&p("2026-04"), &r), Some(300));
        assert_eq!(population_for(&p("2026"), &r), Some(3650));
        let two_years = recorded(&[("2025", 3650), ("2026", 7300)]);
        // 31 days of 2025 (310) and 31 of 2026 (620)
        assert_eq!(population_for(&p("2025-12-01..2026-01-31"), &two_years), Some(930));
        let only_previous = recorded(&[("2025-12", 90)]);
        assert_eq!(population_for(&p("2026-01"), &only_previous), Some(90));
        assert_eq!(population_for(&p("2026-05"), &only_previous), None);
    }
}
