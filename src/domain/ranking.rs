//! Ranking units by their index (SPEC §3): the rank of a unit and whether its sample is large
//! enough to be ranked with confidence. A reader compares the figures printed beside the ranks,
//! so ranks follow the published (rounded) index: units showing the same NIK share a rank, and
//! the next rank skips as many places as units tied ("1, 2, 2, 4", standard competition ranking).

use super::decimal::Rounded;

/// The competition rank of each index, in the order given: 1 + the number of indices that are
/// strictly higher. A unit without an index (no responses) has no rank.
pub fn competition_ranks(indices: &[Option<Rounded>]) -> Vec<Option<usize>> {
    let mut descending: Vec<Rounded> = indices.iter().flatten().copied().collect();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    indices.iter().map(|index| index.map(|value| descending.partition_point(|higher| *higher > value) + 1)).collect()
}

/// Whether a unit's responses reach the Krejcie–Morgan sample of its population (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adequacy {
    Adequate,
    /// fewer responses than the required sample: ranked with a badge, never silently
    Short {
        responses: u64,
        required: u64,
    },
    /// no population recorded for the period, so no required sample and no verdict
    Unknown,
}

impl Adequacy {
    pub fn of(responses: u64, required: Option<u64>) -> Adequacy {
        match required {
            None => Adequacy::Unknown,
            Some(required) if responses < required => Adequacy::Short { responses, required },
            Some(_) => Adequacy::Adequate,
        }
    }

    pub fn is_adequate(self) -> bool {
        self == Adequacy::Adequate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decimal::ratio;

    /// A rounded NIK from hundredths: `nik(9148)` is 91.48.
    fn nik(hundredths: u64) -> Option<Rounded> {
        Some(Rounded::half_up(&ratio(hundredths, 100), 2))
    }

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let ranks = competition_ranks(&[nik(9148), nik(8750), nik(8750), nik(8000)]);
        assert_eq!(ranks, vec![Some(1), Some(2), Some(2), Some(4)]);
        let all_equal = competition_ranks(&[nik(7500), nik(7500), nik(7500)]);
        assert_eq!(all_equal, vec![Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn ranks_follow_the_rounded_index_as_published() {
        // 91.4849… and 91.4750 both print as 91,48: a reader sees a tie, so they share rank 1
        let a = Some(Rounded::half_up(&ratio(914_849, 10_000), 2));
        let b = Some(Rounded::half_up(&ratio(914_750, 10_000), 2));
        let c = Some(Rounded::half_up(&ratio(914_749, 10_000), 2));
        assert_eq!(competition_ranks(&[a, b, c]), vec![Some(1), Some(1), Some(3)]);
    }

    #[test]
    fn order_of_the_input_does_not_matter_and_units_without_an_index_have_no_rank() {
        let ranks = competition_ranks(&[None, nik(8000), nik(9000), None, nik(8000)]);
        assert_eq!(ranks, vec![None, Some(2), Some(1), None, Some(2)]);
        assert!(competition_ranks(&[]).is_empty());
        assert_eq!(competition_ranks(&[None]), vec![None]);
    }

    #[test]
    fn adequacy_needs_a_population_and_the_full_sample() {
        assert_eq!(Adequacy::of(12, Some(219)), Adequacy::Short { responses: 12, required: 219 });
        assert_eq!(Adequacy::of(219, Some(219)), Adequacy::Adequate);
        assert_eq!(Adequacy::of(300, Some(219)), Adequacy::Adequate);
        assert_eq!(Adequacy::of(500, None), Adequacy::Unknown);
        assert!(!Adequacy::of(500, None).is_adequate());
        assert!(!Adequacy::of(0, Some(1)).is_adequate());
    }
}
