//! The 95 % interval of the index (SPEC §3, shown beside the regulation's figures).
//!
//! It is a statistical estimate, so it is computed in floating point from per-response mean
//! scores; the official figures never pass through it.

use super::decimal::Rounded;
use super::template::Template;
use num_traits::ToPrimitive;

/// Sums over responses of each response's mean score, and of its square.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dispersion {
    pub n: u64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl Dispersion {
    pub fn add_response(&mut self, mean_score: f64) {
        self.n += 1;
        self.sum += mean_score;
        self.sum_squares += mean_score * mean_score;
    }

    pub fn merge(&mut self, other: &Dispersion) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_squares += other.sum_squares;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub lower: Rounded,
    pub upper: Rounded,
    /// the two ends fall in different grades: the grade is not settled by this sample
    pub crosses_grade_line: bool,
}

const Z_95: f64 = 1.96;

pub fn interval(template: &Template, d: &Dispersion, population: Option<u64>) -> Option<Interval> {
    if d.n < 2 {
        return None;
    }
    let n = d.n as f64;
    let mean = d.sum / n;
    let variance = ((d.sum_squares - n * mean * mean) / (n - 1.0)).max(0.0);
    let mut standard_error = variance.sqrt() / n.sqrt();
    if let Some(big_n) = population.filter(|&p| p > 1) {
        let big_n = big_n as f64;
        standard_error *= ((big_n - n).max(0.0) / (big_n - 1.0)).sqrt();
    }
    let (lo_score, hi_score) = (template.scale_min as f64, template.scale_max as f64);
    let lower = (mean - Z_95 * standard_error).clamp(lo_score, hi_score);
    let upper = (mean + Z_95 * standard_error).clamp(lo_score, hi_score);
    // In floating point to the end, as the estimate itself: an exact rational of an f64 has a
    // 2^52 denominator, and reducing it took a third of a regency dashboard's time (110 indices).
    // Both bounds are within the scale, so never negative: half up is floor(x + ½).
    let conversion = template.conversion.to_f64().unwrap_or(0.0);
    let to_index = |score: f64| Rounded::from_units((score * conversion * 100.0 + 0.5).floor() as i128, 2);
    let (lower, upper) = (to_index(lower), to_index(upper));
    let grade_of = |r: Rounded| template.grade_of(&r).map(|g| g.grade.clone());
    Some(Interval { lower, upper, crosses_grade_line: grade_of(lower) != grade_of(upper) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::parse_template;

    fn template() -> Template {
        parse_template("p.toml", include_str!("../../survey-templates/permenpanrb-14-2017.toml")).expect("valid")
    }

    fn of(means: &[f64]) -> Dispersion {
        let mut d = Dispersion::default();
        means.iter().for_each(|&m| d.add_response(m));
        d
    }

    #[test]
    fn identical_responses_have_a_zero_width_interval() {
        let i = interval(&template(), &of(&[3.0; 50]), None).expect("n ≥ 2");
        assert_eq!((i.lower.to_string(), i.upper.to_string()), ("75.00".into(), "75.00".into()));
        assert!(!i.crosses_grade_line);
    }

    #[test]
    fn a_spread_sample_around_a_grade_line_warns() {
        let means: Vec<f64> = (0..40).map(|i| if i % 2 == 0 { 2.8 } else { 3.4 }).collect();
        let i = interval(&template(), &of(&means), None).expect("n ≥ 2");
        // mean 3.1 → 77.5; sd ≈ 0.304, se ≈ 0.048 → 75.15 … 79.85 crosses 76.61
        assert_eq!(i.lower.to_string(), "75.15");
        assert_eq!(i.upper.to_string(), "79.85");
        assert!(i.crosses_grade_line);
    }

    #[test]
    fn the_finite_population_correction_narrows_it() {
        let means: Vec<f64> = (0..40).map(|i| if i % 2 == 0 { 2.8 } else { 3.4 }).collect();
        let wide = interval(&template(), &of(&means), None).expect("n ≥ 2");
        let narrow = interval(&template(), &of(&means), Some(45)).expect("n ≥ 2");
        assert!(narrow.upper < wide.upper && narrow.lower > wide.lower);
        let census = interval(&template(), &of(&means), Some(40)).expect("n ≥ 2");
        assert_eq!(census.lower, census.upper);
    }

    #[test]
    fn one_response_has_no_interval() {
        assert_eq!(interval(&template(), &of(&[3.0]), None), None);
    }
}
