//! Exact decimal helpers: parse decimal strings into rationals and round half up for display.
//! SPEC §3: no binary floats before the final display value.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive};
use std::fmt;

/// Parses `"0.111"`, `"25"` or `"-3.5"` exactly.
pub fn parse_decimal(text: &str) -> Option<BigRational> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || (digits.contains('.') && frac.is_empty()) {
        return None;
    }
    let numer: BigInt = format!("{whole}{frac}").parse().ok()?;
    let denom = BigInt::from(10u32).pow(u32::try_from(frac.len()).ok()?);
    let value = BigRational::new(numer, denom);
    Some(if negative { -value } else { value })
}

/// A value rounded half away from zero to a fixed number of decimals, kept as an integer count
/// of the smallest unit so comparisons and printing stay exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rounded {
    units: i128,
    decimals: u32,
}

impl Rounded {
    /// Half up (away from zero), as officials do by hand and spreadsheets' ROUND does.
    pub fn half_up(value: &BigRational, decimals: u32) -> Self {
        // |p·10^d / q| + ½, floored, is ⌊(2·|p|·10^d + q) / 2q⌋ for q > 0: one integer division.
        // Rational arithmetic would reduce each step by a gcd, the most of an index's time.
        let (mut numer, mut denom) = (value.numer().clone(), value.denom().clone());
        if denom.is_negative() {
            (numer, denom) = (-numer, -denom);
        }
        let negative = numer.is_negative();
        let two_denom = &denom * 2u32;
        let magnitude = (numer.abs() * BigInt::from(10u32).pow(decimals) * 2u32 + denom) / two_denom;
        let signed = if negative { -magnitude } else { magnitude };
        Rounded { units: signed.to_i128().unwrap_or(if negative { i128::MIN } else { i128::MAX }), decimals }
    }

    /// `units` of `10^-decimals`: `from_units(9148, 2)` is 91.48.
    pub fn from_units(units: i128, decimals: u32) -> Self {
        Rounded { units, decimals }
    }

    /// A whole number (a count of respondents).
    pub fn whole(n: i64) -> Self {
        Rounded { units: i128::from(n), decimals: 0 }
    }

    /// The exact value, not reduced (a gcd per call cost the index pages a tenth of their time):
    /// rationals compare and compute alike either way.
    pub fn as_ratio(&self) -> BigRational {
        BigRational::new_raw(BigInt::from(self.units), BigInt::from(10u32).pow(self.decimals))
    }

    /// The display value as f64 (for JSON and charts): the only place a float appears.
    pub fn to_f64(&self) -> f64 {
        self.units as f64 / 10f64.powi(self.decimals as i32)
    }

    /// Formats with the given decimal separator (`.` for machines, `,` for Indonesian text).
    pub fn format_with(&self, separator: char) -> String {
        let sign = if self.units < 0 { "-" } else { "" };
        let magnitude = self.units.unsigned_abs();
        if self.decimals == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10u128.pow(self.decimals);
        format!("{sign}{}{separator}{:0width$}", magnitude / scale, magnitude % scale, width = self.decimals as usize)
    }

    /// As Indonesian text writes numbers: a decimal comma and a dot between thousands
    /// (`24.000`, `91,67`, `1.234,50`).
    pub fn format_id(&self) -> String {
        self.format_grouped(',', '.')
    }

    /// With `decimal` before the fraction and `group` between each three digits of the whole part.
    pub fn format_grouped(&self, decimal: char, group: char) -> String {
        let plain = self.format_with(decimal);
        let (sign, rest) = plain.split_at(usize::from(plain.starts_with('-')));
        let (whole, fraction) = rest.split_at(rest.find(decimal).unwrap_or(rest.len()));
        let mut grouped = String::with_capacity(plain.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(group);
            }
            grouped.push(digit);
        }
        format!("{sign}{grouped}{fraction}")
    }

    /// A change with its sign either way: `+1,25`, `-0,50`, `0,00`.
    pub fn format_signed_with(&self, separator: char) -> String {
        let text = self.format_with(separator);
        if self.units > 0 {
            format!("+{text}")
        } else {
            text
        }
    }
}

impl fmt::Display for Rounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_with('.'))
    }
}

pub fn ratio(numer: u64, denom: u64) -> BigRational {
    BigRational::new(BigInt::from(numer), BigInt::from(denom))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: |x·10^d| + ½, floored, with x's sign, in rational arithmetic.
    fn by_definition(value: &BigRational, decimals: u32) -> i128 {
        let scaled = value * BigRational::from_integer(BigInt::from(10u32).pow(decimals));
        let half = BigRational::new(BigInt::from(1), BigInt::from(2));
        let magnitude = (scaled.abs() + half).floor().to_integer();
        (if scaled.is_negative() { -magnitude } else { magnitude }).to_i128().expect("small")
    }

    #[test]
    fn half_up_by_one_division_is_the_definition_also_on_unreduced_and_negative_values() {
        use proptest::prelude::*;
        proptest!(|(n in -2_000_000i64..2_000_000, d in 1i64..100_000, scale in 1i64..50, decimals in 0u32..4)| {
            let (numer, denom) = (BigInt::from(n * scale), BigInt::from(d * scale));
            for value in [BigRational::new_raw(numer.clone(), denom.clone()), BigRational::new_raw(-numer, -denom)] {
                let got = Rounded::half_up(&value, decimals);
                prop_assert_eq!(got, Rounded::from_units(by_definition(&value, decimals), decimals));
            }
        });
        // the halves themselves go away from zero
        let of = |n: i64, d: i64| Rounded::half_up(&BigRational::new_raw(n.into(), d.into()), 2).to_string();
        assert_eq!((of(1, 200), of(-1, 200), of(9_1475, 1_000_000)), ("0.01".into(), "-0.01".into(), "0.09".into()));
    }

    #[test]
    fn a_change_carries_its_sign() {
        let of = |n: i64, d: i64| Rounded::half_up(&BigRational::new(n.into(), d.into()), 2);
        assert_eq!(of(5, 4).format_signed_with(','), "+1,25");
        assert_eq!(of(-1, 2).format_signed_with(','), "-0,50");
        assert_eq!(of(0, 1).format_signed_with(','), "0,00");
    }

    #[test]
    fn indonesian_numbers_group_thousands_with_dots_and_use_a_decimal_comma() {
        assert_eq!(Rounded::whole(24_000).format_id(), "24.000");
        assert_eq!(Rounded::whole(1_000_000).format_id(), "1.000.000");
        assert_eq!(Rounded::whole(999).format_id(), "999");
        assert_eq!(Rounded::whole(0).format_id(), "0");
        assert_eq!(Rounded::whole(-1_500).format_id(), "-1.500");
        assert_eq!(Rounded::from_units(9167, 2).format_id(), "91,67");
        assert_eq!(Rounded::from_units(123_450, 2).format_id(), "1.234,50");
        assert_eq!(Rounded::from_units(-5, 2).format_id(), "-0,05");
        assert_eq!(Rounded::from_units(25, 1).format_grouped('.', ','), "2.5");
    }

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(parse_decimal("0.111"), Some(ratio(111, 1000)));
        assert_eq!(parse_decimal("25"), Some(ratio(25, 1)));
        assert_eq!(parse_decimal("-1.5"), Some(-ratio(3, 2)));
        for bad in ["", ".5", "1.", "1,5", "abc", "1.2.3", "--1"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn rounds_half_up_at_the_boundary() {
        assert_eq!(Rounded::half_up(&ratio(76605, 1000), 2).to_string(), "76.61");
        assert_eq!(Rounded::half_up(&ratio(766049, 10000), 2).to_string(), "76.60");
        assert_eq!(Rounded::half_up(&-ratio(5, 1000), 2).to_string(), "-0.01");
        assert_eq!(Rounded::half_up(&ratio(1, 3), 4).to_string(), "0.3333");
        assert_eq!(Rounded::half_up(&ratio(100, 1), 2).format_with(','), "100,00");
    }
}
