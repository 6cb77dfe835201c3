//! The index arithmetic of SPEC §3, exact: integers and rationals until the rounded display value.

use super::decimal::{product, ratio, rounded_product, Rounded, Small};
use super::interval::{interval, Dispersion, Interval};
use super::template::{Grade, IndexKind, Template, Weighting};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use std::cmp::Ordering;

/// Sum and count of one element's scores, as the database (or a CSV) totals them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElementTally {
    pub sum: u64,
    pub count: u64,
}

/// Everything the arithmetic needs about a set of responses; tallies follow the template's
/// element order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub responses: u64,
    pub elements: Vec<ElementTally>,
    pub dispersion: Dispersion,
}

impl Tally {
    pub fn empty(template: &Template) -> Self {
        Tally {
            responses: 0,
            elements: vec![ElementTally::default(); template.elements.len()],
            dispersion: Dispersion::default(),
        }
    }

    /// Pools two tallies of the same template (a roll-up of responses, SPEC §3).
    pub fn merge(&mut self, other: &Tally) {
        self.responses += other.responses;
        for (mine, theirs) in self.elements.iter_mut().zip(&other.elements) {
            mine.sum += theirs.sum;
            mine.count += theirs.count;
        }
        self.dispersion.merge(&other.dispersion);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ElementResult {
    pub code: String,
    pub sum: u64,
    pub count: u64,
    /// `None` when no one answered the element (it then drops out of the weights).
    pub nrr: Option<BigRational>,
    pub weight: Option<BigRational>,
    pub weighted_nrr: Option<BigRational>,
    /// conversion × NRR, rounded (the element's NIK)
    pub index: Option<Rounded>,
    pub grade: Option<Grade>,
    pub lowest: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexResult {
    pub responses: u64,
    pub elements: Vec<ElementResult>,
    /// Σ wᵢ·NRRᵢ on the template's scale; `None` when there is no answer at all
    pub ikm: Option<BigRational>,
    /// conversion × IKM, exact
    pub index_exact: Option<BigRational>,
    /// the index rounded half up to 2 decimals: the official figure
    pub index: Option<Rounded>,
    pub grade: Option<Grade>,
    /// IKM as a percentage of the scale maximum (shown for `mean` templates)
    pub percent_of_max: Option<Rounded>,
    pub interval: Option<Interval>,
    pub lowest: Vec<String>,
}

impl IndexResult {
    pub fn ikm_rounded(&self) -> Option<Rounded> {
        self.ikm.as_ref().map(|v| Rounded::half_up(v, 4))
    }
}

/// A mean score as a percentage of the template's scale maximum (SPKP, SPAK: mean ÷ max × 100),
/// exact until rounded half up to 2 decimals, as every published figure is.
pub fn percent_of_max(template: &Template, mean: &BigRational) -> Rounded {
    Rounded::half_up(&(mean * ratio(100, u64::from(template.scale_max))), 2)
}

/// How many elements SPEC §3 marks as RTL candidates.
pub const LOWEST_COUNT: usize = 3;

/// Σ values, reduced once at the end: `Ratio`'s `+` reduces after every addition, and with nine
/// unrelated denominators (each element's answer count) each of those gcds runs on a larger
/// number (a national ranking computes ~600 indices: a fifth of its time went to them). In
/// machine integers while the terms fit (they do for all but the largest tallies).
fn exact_sum<'a>(values: impl Iterator<Item = &'a BigRational> + Clone) -> BigRational {
    let small = values.clone().try_fold(Small::ZERO, |total, v| total.checked_add(Small::of(v)?));
    if let Some(total) = small {
        return total.big();
    }
    let (numer, denom) = values.fold((BigInt::zero(), BigInt::one()), |(n, d), v| {
        if v.denom() == &d {
            (n + v.numer(), d)
        } else {
            (n * v.denom() + v.numer() * &d, d * v.denom())
        }
    });
    BigRational::new(numer, denom)
}

/// Computes the full SPEC §3 result for one tally. `population` enables the finite population
/// correction of the interval.
pub fn compute(template: &Template, tally: &Tally, population: Option<u64>) -> IndexResult {
    let nrrs: Vec<Option<BigRational>> =
        tally.elements.iter().map(|e| (e.count > 0).then(|| ratio(e.sum, e.count))).collect();
    let answered = nrrs.iter().filter(|n| n.is_some()).count() as u64;
    let weights: Vec<Option<BigRational>> = template
        .elements
        .iter()
        .zip(&nrrs)
        .map(|(element, nrr)| {
            nrr.as_ref()?;
            match template.weighting {
                Weighting::Exact => Some(ratio(1, answered)),
                Weighting::Fixed => element.weight.clone(),
            }
        })
        .collect();

    let mut elements: Vec<ElementResult> = template
        .elements
        .iter()
        .zip(tally.elements.iter().zip(nrrs.iter().zip(weights)))
        .map(|(element, (t, (nrr, weight)))| {
            let weighted_nrr = match (nrr, &weight) {
                (Some(n), Some(w)) => Some(product(n, w)),
                _ => None,
            };
            let index = nrr.as_ref().map(|n| rounded_product(n, &template.conversion, 2));
            ElementResult {
                code: element.code.clone(),
                sum: t.sum,
                count: t.count,
                nrr: nrr.clone(),
                grade: index.and_then(|i| template.grade_of(&i).cloned()),
                weight,
                weighted_nrr,
                index,
                lowest: false,
            }
        })
        .collect();

    let ikm = (answered > 0).then(|| exact_sum(elements.iter().filter_map(|e| e.weighted_nrr.as_ref())));
    let index_exact = ikm.as_ref().map(|v| product(v, &template.conversion));
    let index = index_exact.as_ref().map(|v| Rounded::half_up(v, 2));
    let grade = index.and_then(|i| template.grade_of(&i).cloned());
    let percent_of_max = ikm.as_ref().filter(|_| template.kind == IndexKind::Mean).map(|v| percent_of_max(template, v));

    let lowest = lowest_elements(&elements);
    for element in &mut elements {
        element.lowest = lowest.contains(&element.code);
    }
    let interval = interval(template, &tally.dispersion, population);

    IndexResult {
        responses: tally.responses,
        elements,
        ikm,
        index_exact,
        index,
        grade,
        percent_of_max,
        interval,
        lowest,
    }
}

/// The candidates for follow-up (SPEC §3): the three lowest element NIKs as published (rounded),
/// every element tied with the third-lowest included (a reader must never see one element marked
/// and another at the same figure not), listed in code order.
fn lowest_elements(elements: &[ElementResult]) -> Vec<String> {
    let mut values: Vec<&Rounded> = elements.iter().filter_map(|e| e.index.as_ref()).collect();
    values.sort_by(|a, b| a.cmp_value(b));
    let Some(cut) = values.get(LOWEST_COUNT - 1).or(values.last()).copied() else {
        return Vec::new();
    };
    let mut lowest: Vec<&ElementResult> =
        elements.iter().filter(|e| e.index.as_ref().is_some_and(|v| v.cmp_value(cut).is_le())).collect();
    lowest.sort_by(|a, b| compare_codes(&a.code, &b.code));
    lowest.into_iter().map(|e| e.code.clone()).collect()
}

/// Orders codes naturally, so `U2` comes before `U10`.
pub fn compare_codes(a: &str, b: &str) -> Ordering {
    fn split(code: &str) -> (&str, Option<u64>) {
        let digits = code.trim_start_matches(|c: char| !c.is_ascii_digit());
        let prefix = &code[..code.len() - digits.len()];
        (prefix, digits.parse().ok())
    }
    split(a).cmp(&split(b)).then_with(|| a.cmp(b))
}

/// The unweighted mean of member units' exact indices, offered beside the pooled roll-up
/// (SPEC §3); units without responses are left out.
pub fn mean_of_units(results: &[IndexResult]) -> Option<Rounded> {
    let values: Vec<&BigRational> = results.iter().filter_map(|r| r.index_exact.as_ref()).collect();
    if values.is_empty() {
        return None;
    }
    let count = values.len() as u64;
    let total = exact_sum(values.iter().copied());
    Some(Rounded::half_up(&(total / ratio(count, 1)), 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::parse_template;

    fn default_template() -> Template {
        parse_template("p.toml", include_str!("../../survey-templates/permenpanrb-14-2017.toml")).expect("valid")
    }

    fn fixed(weight: &str) -> Template {
        let text = include_str!("../../survey-templates/permenpanrb-14-2017.toml").replacen(
            "weighting = \"exact\"",
            &format!("weighting = \"fixed\"\nfixed_weight = \"{weight}\""),
            1,
        );
        parse_template("p.toml", &text).expect("valid")
    }

    fn tally(responses: u64, sums: &[u64]) -> Tally {
        Tally {
            responses,
            elements: sums.iter().map(|&sum| ElementTally { sum, count: responses }).collect(),
            dispersion: Dispersion::default(),
        }
    }

    fn spkp() -> Template {
        parse_template("spkp-zi.toml", include_str!("../../survey-templates/spkp-zi.toml")).expect("valid")
    }

    #[test]
    fn percent_of_max_divides_by_the_scale_maximum_and_rounds_half_up() {
        let t = spkp();
        let pct = |n: u64, d: u64| percent_of_max(&t, &ratio(n, d)).to_string();
        assert_eq!(pct(6, 1), "100.00");
        assert_eq!(pct(1, 1), "16.67"); // 100 / 6 = 16.666…
        assert_eq!(pct(81, 16), "84.38"); // 5.0625 / 6 × 100 = 84.375: half up
        assert_eq!(pct(24, 5), "80.00"); // 4.8 / 6 × 100
        assert_eq!(pct(9, 2), "75.00"); // 4.5 / 6 × 100
                                        // exact: 5.0025 / 6 × 100 = 83.375 → 83.38, where a binary float could give 83.37
        assert_eq!(pct(20010, 4000), "83.38");
    }

    #[test]
    fn a_mean_template_reports_its_mean_and_percent_of_max_but_no_nik_conversion() {
        // 4 respondents on 8 elements: P1 and P8 sum 18, the others 21 (the ZI test's vector)
        let r = compute(&spkp(), &tally(4, &[18, 21, 21, 21, 21, 21, 21, 18]), None);
        assert_eq!(r.ikm_rounded().map(|v| v.to_string()).as_deref(), Some("5.0625"));
        assert_eq!(r.percent_of_max.map(|v| v.to_string()).as_deref(), Some("84.38"));
        assert_eq!(r.index.map(|v| v.to_string()).as_deref(), Some("5.06"));
        assert!(r.grade.is_none());
        // a NIK template has no percentage of max
        assert!(compute(&default_template(), &tally(29, &VECTOR_A), None).percent_of_max.is_none());
    }

    const VECTOR_A: [u64; 9] = [105, 101, 100, 116, 102, 105, 106, 105, 115];

    #[test]
    fn vector_a_published_report() {
        let r = compute(&default_template(), &tally(29, &VECTOR_A), None);
        let nrr: Vec<String> =
            r.elements.iter().map(|e| Rounded::half_up(e.nrr.as_ref().expect("answered"), 2).to_string()).collect();
        assert_eq!(nrr, ["3.62", "3.48", "3.45", "4.00", "3.52", "3.62", "3.66", "3.62", "3.97"]);
        assert_eq!(r.ikm_rounded().map(|v| v.to_string()).as_deref(), Some("3.6590"));
        assert_eq!(r.index.map(|v| v.to_string()).as_deref(), Some("91.48"));
        assert_eq!(r.grade.as_ref().map(|g| g.grade.as_str()), Some("A"));
        // U3 is the lowest (86.21); U2 (87.07) and U5 (87.93) complete the three, in code order
        assert_eq!(r.lowest, ["U2", "U3", "U5"]);
        let u3 = &r.elements[2];
        assert_eq!(u3.index.map(|v| v.to_string()).as_deref(), Some("86.21"));
        assert_eq!(u3.grade.as_ref().map(|g| g.grade.as_str()), Some("B"));
    }

    #[test]
    fn vector_a_with_fixed_weights() {
        let nik = |w: &str| compute(&fixed(w), &tally(29, &VECTOR_A), None).index.map(|v| v.to_string());
        assert_eq!(nik("0.111").as_deref(), Some("91.38"));
        assert_eq!(nik("0.11").as_deref(), Some("90.56"));
    }

    #[test]
    fn vector_b_one_perfect_respondent() {
        let r = compute(&default_template(), &tally(1, &[4; 9]), None);
        assert_eq!(r.index.map(|v| v.to_string()).as_deref(), Some("100.00"));
        assert_eq!(r.grade.as_ref().map(|g| g.label.id.as_str()), Some("Sangat baik"));
        let r = compute(&fixed("0.111"), &tally(1, &[4; 9]), None);
        assert_eq!(r.index.map(|v| v.to_string()).as_deref(), Some("99.90"));
    }

    #[test]
    fn vector_c_boundary_is_exact() {
        let r = compute(&default_template(), &tally(5000, &[15321; 9]), None);
        assert_eq!(r.index_exact, Some(ratio(76605, 1000)));
        assert_eq!(r.index.map(|v| v.to_string()).as_deref(), Some("76.61"));
        assert_eq!(r.grade.as_ref().map(|g| g.grade.as_str()), Some("B"));
        assert_eq!(r.ikm_rounded().map(|v| v.to_string()).as_deref(), Some("3.0642"));
    }

    /// A tally whose NIK is exactly `hundredths / 100`: one element, n = 100, sum = hundredths/25 ·100.
    fn nik_of(hundredths: u64) -> Option<String> {
        // NIK = 25 · sum / count; with count = 2500, sum = hundredths gives NIK = hundredths/100.
        let t = Tally {
            responses: 2500,
            elements: std::iter::once(ElementTally { sum: hundredths, count: 2500 })
                .chain(std::iter::repeat_n(ElementTally::default(), 8))
                .collect(),
            dispersion: Dispersion::default(),
        };
        compute(&default_template(), &t, None).grade.map(|g| g.grade)
    }

    #[test]
    fn grade_boundaries_from_both_sides() {
        assert_eq!(nik_of(8831).as_deref(), Some("A"));
        assert_eq!(nik_of(8830).as_deref(), Some("B"));
        assert_eq!(nik_of(7661).as_deref(), Some("B"));
        assert_eq!(nik_of(7660).as_deref(), Some("C"));
        assert_eq!(nik_of(6500).as_deref(), Some("C"));
        assert_eq!(nik_of(6499).as_deref(), Some("D"));
        assert_eq!(nik_of(2500).as_deref(), Some("D"));
        assert_eq!(nik_of(10000).as_deref(), Some("A"));
    }

    #[test]
    fn rounding_happens_before_classifying() {
        // 88.305 exactly rounds to 88.31: A, though the unrounded value is below 88.31.
        let t = Tally {
            responses: 1000,
            elements: std::iter::once(ElementTally { sum: 35322, count: 10000 })
                .chain(std::iter::repeat_n(ElementTally::default(), 8))
                .collect(),
            dispersion: Dispersion::default(),
        };
        let r = compute(&default_template(), &t, None);
        assert_eq!(r.index_exact, Some(ratio(88305, 1000)));
        assert_eq!(r.grade.map(|g| g.grade).as_deref(), Some("A"));
    }

    #[test]
    fn unanswered_elements_drop_out_of_the_weights() {
        let mut t = tally(10, &[40; 9]);
        t.elements[8] = ElementTally::default();
        t.elements[0].sum = 20;
        let r = compute(&default_template(), &t, None);
        assert_eq!(r.elements[8].weight, None);
        assert_eq!(r.elements[0].weight, Some(ratio(1, 8)));
        // (2 + 7·4) / 8 = 3.75 → 93.75
        assert_eq!(r.index.map(|v| v.to_string()).as_deref(), Some("93.75"));
    }

    #[test]
    fn no_answers_give_no_index() {
        let r = compute(&default_template(), &Tally::empty(&default_template()), None);
        assert_eq!(r.index, None);
        assert!(r.lowest.is_empty());
    }

    #[test]
    fn every_element_tied_with_the_third_lowest_is_marked_in_code_order() {
        // NIK per element: U9 75, U5 87.50, U6 87.50, U2 90, the rest 100
        let r = compute(&default_template(), &tally(10, &[40, 36, 40, 40, 35, 35, 40, 40, 30]), None);
        assert_eq!(r.lowest, ["U5", "U6", "U9"]);
        let r = compute(&default_template(), &tally(10, &[40, 36, 40, 40, 35, 35, 35, 40, 30]), None);
        assert_eq!(r.lowest, ["U5", "U6", "U7", "U9"], "three tied at the third-lowest value");
    }

    #[test]
    fn lowest_ties_are_broken_by_code() {
        let r = compute(&default_template(), &tally(10, &[30, 30, 40, 40, 40, 40, 40, 40, 30]), None);
        assert_eq!(r.lowest, ["U1", "U2", "U9"]);
        assert_eq!(compare_codes("U2", "U10"), Ordering::Less);
    }

    #[test]
    fn mean_of_units_is_unweighted() {
        let t = default_template();
        let a = compute(&t, &tally(1, &[4; 9]), None);
        let b = compute(&t, &tally(100, &[300; 9]), None);
        assert_eq!(mean_of_units(&[a, b]).map(|v| v.to_string()).as_deref(), Some("87.50"));
        let mut pooled = tally(1, &[4; 9]);
        pooled.merge(&tally(100, &[300; 9]));
        // (304/101)·25 = 75.247…
        assert_eq!(compute(&t, &pooled, None).index.map(|v| v.to_string()).as_deref(), Some("75.25"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn responses() -> impl Strategy<Value = Vec<[u32; 9]>> {
            prop::collection::vec(prop::array::uniform9(1u32..=4), 1..60)
        }

        fn tally_of(rows: &[[u32; 9]]) -> Tally {
            let mut t = tally(rows.len() as u64, &[0; 9]);
            for row in rows {
                for (e, &s) in t.elements.iter_mut().zip(row) {
                    e.sum += u64::from(s);
                }
            }
            t
        }

        proptest! {
            #[test]
            fn nik_stays_within_25_and_100(rows in responses()) {
                let r = compute(&default_template(), &tally_of(&rows), None);
                let nik = r.index.expect("answered").as_ratio();
                prop_assert!(nik >= ratio(25, 1) && nik <= ratio(100, 1));
                prop_assert!(r.grade.is_some());
            }

            #[test]
            fn permuting_respondents_changes_nothing(mut rows in responses(), seed in any::<u64>()) {
                let t = default_template();
                let before = compute(&t, &tally_of(&rows), None);
                let len = rows.len();
                rows.rotate_left((seed as usize) % len);
                rows.reverse();
                prop_assert_eq!(before, compute(&t, &tally_of(&rows), None));
            }

            #[test]
            fn pooling_equals_computing_on_the_union(a in responses(), b in responses()) {
                let t = default_template();
                let mut pooled = tally_of(&a);
                pooled.merge(&tally_of(&b));
                let union: Vec<[u32; 9]> = a.iter().chain(&b).copied().collect();
                prop_assert_eq!(compute(&t, &pooled, None).index_exact, compute(&t, &tally_of(&union), None).index_exact);
            }

            #[test]
            fn the_sum_reduced_once_is_the_sum(values in prop::collection::vec((-5_000i64..5_000, 1i64..5_000, prop_oneof![Just(0u32), 0u32..120]), 0..40)) {
                // shifted terms leave machine integers part way, so the big-integer path is tried too
                let values: Vec<BigRational> =
                    values.into_iter().map(|(n, d, shift)| BigRational::new(BigInt::from(n) << shift, d.into())).collect();
                let added = values.iter().fold(BigRational::zero(), |acc, v| acc + v);
                let summed = exact_sum(values.iter());
                // equal, and in lowest terms like `+`'s result (so it prints the same)
                prop_assert_eq!((summed.numer(), summed.denom()), (added.numer(), added.denom()));
            }

            #[test]
            fn exact_weights_sum_to_one(rows in responses()) {
                let r = compute(&default_template(), &tally_of(&rows), None);
                let total = r.elements.iter().filter_map(|e| e.weight.clone()).fold(BigRational::zero(), |a, w| a + w);
                prop_assert_eq!(total, ratio(1, 1));
            }
        }
    }
}
