//! The response rate of survey invitations (issue 19, point 5): of the invitations a unit
//! issued, how many were answered. It shows whether a sample is representative: a high index
//! from a small share of the invited may say more about who chose to answer than about the
//! service.
//!
//! Rules: an invitation counts in the period it was ISSUED (an answer in the next month still
//! counts for the month of the receipt); one answered whenever counts as answered; one expired
//! unanswered counts as not answered; one still open (unanswered, not yet expired) counts as
//! not answered too, and is shown beside the rate, since the rate of a recent period can still
//! rise. The rate is answered ÷ issued × 100, rounded half up to one decimal (`40,0 %`); no
//! rate without invitations.

use super::decimal::{ratio, Rounded};
use num_rational::BigRational;
use std::collections::BTreeMap;

/// Decimals of a rate in percent.
pub const DECIMALS: u32 = 1;

/// The invitations of one group as the database counts them: a unit, a service (`None`: the
/// citizen chose, as on a pre-printed slip) and a counter (`None`: none named).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub unit_id: i32,
    pub service_id: Option<i32>,
    pub counter_id: Option<i32>,
    pub issued: u64,
    pub answered: u64,
    /// unanswered and not yet expired
    pub open: u64,
}

/// Issued, answered and still-open invitations of a set of groups, and the rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub issued: u64,
    pub answered: u64,
    pub open: u64,
}

impl Rate {
    fn add(&mut self, g: &Group) {
        self.issued += g.issued;
        self.answered += g.answered.min(g.issued);
        self.open += g.open.min(g.issued.saturating_sub(g.answered));
    }

    /// answered ÷ issued in percent, half up to [`DECIMALS`]; `None` without invitations.
    pub fn percent(&self) -> Option<Rounded> {
        if self.issued == 0 {
            return None;
        }
        let value = ratio(self.answered.min(self.issued), self.issued) * BigRational::from_integer(100.into());
        Some(Rounded::half_up(&value, DECIMALS))
    }

    /// Expired unanswered: issued, not answered, no longer open.
    pub fn expired(&self) -> u64 {
        self.issued.saturating_sub(self.answered).saturating_sub(self.open)
    }
}

/// The rate of all the groups, and per unit, per service and per counter (each key once, in
/// ascending order, `None` first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: Rate,
    pub per_unit: Vec<(i32, Rate)>,
    pub per_service: Vec<(Option<i32>, Rate)>,
    pub per_counter: Vec<(Option<i32>, Rate)>,
}

impl Summary {
    /// No invitation issued: nothing to show.
    pub fn is_empty(&self) -> bool {
        self.total.issued == 0
    }
}

pub fn summarize(groups: &[Group]) -> Summary {
    let mut total = Rate::default();
    let mut units: BTreeMap<i32, Rate> = BTreeMap::new();
    let mut services: BTreeMap<Option<i32>, Rate> = BTreeMap::new();
    let mut counters: BTreeMap<Option<i32>, Rate> = BTreeMap::new();
    for g in groups.iter().filter(|g| g.issued > 0) {
        total.add(g);
        units.entry(g.unit_id).or_default().add(g);
        services.entry(g.service_id).or_default().add(g);
        counters.entry(g.counter_id).or_default().add(g);
    }
    Summary {
        total,
        per_unit: units.into_iter().collect(),
        per_service: services.into_iter().collect(),
        per_counter: counters.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(unit_id: i32, service_id: Option<i32>, counter_id: Option<i32>, issued: u64, answered: u64) -> Group {
        Group { unit_id, service_id, counter_id, issued, answered, open: 0 }
    }

    #[test]
    fn five_issued_two_answered_is_forty_percent() {
        let rate = Rate { issued: 5, answered: 2, open: 0 };
        assert_eq!(rate.percent().map(|p| p.format_with(',')), Some("40,0".to_string()));
        assert_eq!(rate.expired(), 3);
    }

    #[test]
    fn no_invitations_no_rate() {
        assert_eq!(Rate::default().percent(), None);
        assert!(summarize(&[]).is_empty());
        assert!(summarize(&[group(1, None, None, 0, 0)]).per_unit.is_empty());
    }

    #[test]
    fn rates_round_half_up_to_one_decimal() {
        // 1/3 = 33,33… → 33,3; 2/3 = 66,66… → 66,7; 1/8 = 12,5 exactly; 1/16 = 6,25 → 6,3
        let shown = |answered, issued| Rate { issued, answered, open: 0 }.percent().map(|p| p.format_with(','));
        assert_eq!(shown(1, 3).as_deref(), Some("33,3"));
        assert_eq!(shown(2, 3).as_deref(), Some("66,7"));
        assert_eq!(shown(1, 8).as_deref(), Some("12,5"));
        assert_eq!(shown(1, 16).as_deref(), Some("6,3"));
        assert_eq!(shown(7, 7).as_deref(), Some("100,0"));
        assert_eq!(shown(0, 7).as_deref(), Some("0,0"));
    }

    #[test]
    fn groups_add_up_per_unit_service_and_counter() {
        let groups = [
            group(1, Some(10), Some(100), 4, 2),
            group(1, Some(10), None, 1, 0),
            group(1, Some(11), Some(100), 5, 5),
            group(1, None, None, 10, 1),
            group(2, Some(20), None, 3, 0),
        ];
        let s = summarize(&groups);
        assert_eq!(s.total, Rate { issued: 23, answered: 8, open: 0 });
        assert_eq!(
            s.per_unit,
            vec![(1, Rate { issued: 20, answered: 8, open: 0 }), (2, Rate { issued: 3, answered: 0, open: 0 })]
        );
        assert_eq!(
            s.per_service.iter().map(|(k, r)| (*k, r.issued, r.answered)).collect::<Vec<_>>(),
            vec![(None, 10, 1), (Some(10), 5, 2), (Some(11), 5, 5), (Some(20), 3, 0)]
        );
        assert_eq!(
            s.per_counter.iter().map(|(k, r)| (*k, r.issued, r.answered)).collect::<Vec<_>>(),
            vec![(None, 14, 1), (Some(100), 9, 7)]
        );
        assert_eq!(s.per_counter[1].1.percent().map(|p| p.format_with(',')).as_deref(), Some("77,8"));
    }

    #[test]
    fn open_invitations_are_not_answered_and_expired_is_the_rest() {
        let s =
            summarize(&[Group { unit_id: 1, service_id: None, counter_id: None, issued: 10, answered: 4, open: 3 }]);
        assert_eq!(s.total.percent().map(|p| p.format_with(',')).as_deref(), Some("40,0"));
        assert_eq!((s.total.open, s.total.expired()), (3, 3));
        // counts that cannot be (more answered or open than issued) never make more than 100 %
        let odd =
            summarize(&[Group { unit_id: 1, service_id: None, counter_id: None, issued: 2, answered: 5, open: 4 }]);
        assert_eq!(odd.total, Rate { issued: 2, answered: 2, open: 0 });
    }
}
