//! Exact decimal helpers: parse decimal strings into rationals and round half up for display.
//! SPEC §3: no binary floats before the final display value.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive};
use std::cmp::Ordering;
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
        if let Some(rounded) = Small::of(value).and_then(|v| v.half_up(decimals)) {
            return rounded;
        }
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

    /// Orders two rounded values by what they are worth, whatever their decimals.
    pub fn cmp_value(&self, other: &Rounded) -> Ordering {
        if self.decimals == other.decimals {
            return self.units.cmp(&other.units);
        }
        let scaled = |r: &Rounded, to: u32| 10i128.checked_pow(to - r.decimals).and_then(|s| r.units.checked_mul(s));
        let to = self.decimals.max(other.decimals);
        match (scaled(self, to), scaled(other, to)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.as_ratio().cmp(&other.as_ratio()),
        }
    }

    /// Whether this value is at least `bound` (a grade's lower limit).
    pub fn at_least(&self, bound: &BigRational) -> bool {
        let small = Small::of(bound).and_then(|b| {
            let scale = 10i128.checked_pow(self.decimals)?;
            Some(self.units.checked_mul(b.d)? >= b.n.checked_mul(scale)?)
        });
        small.unwrap_or_else(|| &self.as_ratio() >= bound)
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

/// `numer / denom` in lowest terms; the gcd is taken on machine integers (`BigRational::new`
/// takes it on big ones, and an index page builds hundreds of these).
pub fn ratio(numer: u64, denom: u64) -> BigRational {
    if denom == 0 {
        // a zero denominator is a caller's bug: let `Ratio` refuse it as it always has
        return BigRational::new(BigInt::from(numer), BigInt::from(denom));
    }
    let gcd = numer.gcd(&denom);
    BigRational::new_raw(BigInt::from(numer / gcd), BigInt::from(denom / gcd))
}

/// A rational whose terms fit in machine integers: the index arithmetic's fast path (a page of
/// a hundred indices spent a quarter of its time in big-integer gcds). Every operation is
/// checked and `None` means "too large: do it in `BigRational`", so results are the same exact
/// values either way. Results are in lowest terms with a positive denominator, as `BigRational`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Small {
    n: i128,
    d: i128,
}

impl Small {
    pub const ZERO: Small = Small { n: 0, d: 1 };

    pub fn of(value: &BigRational) -> Option<Small> {
        // i128::MIN has no absolute value, which a gcd takes
        Some(Small { n: value.numer().to_i128()?, d: value.denom().to_i128()? }).filter(|s| s.d > 0 && s.n > i128::MIN)
    }

    /// Lowest terms of `n / d` (`d > 0`).
    fn reduced(n: i128, d: i128) -> Option<Small> {
        if n == 0 {
            return Some(Small::ZERO);
        }
        if n == i128::MIN {
            return None;
        }
        // n ≠ 0, so the gcd is at least 1
        let gcd = n.gcd(&d);
        Some(Small { n: n / gcd, d: d / gcd })
    }

    pub fn checked_mul(self, other: Small) -> Option<Small> {
        // cross-cancel first, so the products stay as small as the result (denominators are
        // positive, so neither gcd is 0)
        let (g1, g2) = (self.n.gcd(&other.d), other.n.gcd(&self.d));
        Small::reduced((self.n / g1).checked_mul(other.n / g2)?, (self.d / g2).checked_mul(other.d / g1)?)
    }

    pub fn checked_add(self, other: Small) -> Option<Small> {
        let gcd = self.d.gcd(&other.d);
        let numer = self.n.checked_mul(other.d / gcd)?.checked_add(other.n.checked_mul(self.d / gcd)?)?;
        Small::reduced(numer, (self.d / gcd).checked_mul(other.d)?)
    }

    /// `|n·10^d / q| + ½`, floored, with the sign of n: `Rounded::half_up` in machine integers.
    pub fn half_up(self, decimals: u32) -> Option<Rounded> {
        let two_d = self.d.checked_mul(2)?;
        let scaled = self.n.checked_abs()?.checked_mul(10i128.checked_pow(decimals)?)?.checked_mul(2)?;
        let magnitude = scaled.checked_add(self.d)?.checked_div(two_d)?;
        Some(Rounded { units: if self.n < 0 { -magnitude } else { magnitude }, decimals })
    }

    pub fn big(self) -> BigRational {
        BigRational::new_raw(BigInt::from(self.n), BigInt::from(self.d))
    }
}

/// `a · b` in lowest terms, in machine integers when they suffice.
pub fn product(a: &BigRational, b: &BigRational) -> BigRational {
    match Small::of(a).zip(Small::of(b)).and_then(|(a, b)| a.checked_mul(b)) {
        Some(small) => small.big(),
        None => a * b,
    }
}

/// `a · b` rounded half up, without reducing the product (it is only divided once).
pub fn rounded_product(a: &BigRational, b: &BigRational, decimals: u32) -> Rounded {
    let small = Small::of(a)
        .zip(Small::of(b))
        .and_then(|(a, b)| Small { n: a.n.checked_mul(b.n)?, d: a.d.checked_mul(b.d)? }.half_up(decimals));
    small.unwrap_or_else(|| {
        Rounded::half_up(&BigRational::new_raw(a.numer() * b.numer(), a.denom() * b.denom()), decimals)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: |x·10^d| + ½, floored, with x's sign, in rational arithmetic.
    fn by_definition(value: &BigRational, decimals: u32) -> i128 {
        by_definition_checked(value, decimals).expect("small")
    }

    fn by_definition_checked(value: &BigRational, decimals: u32) -> Option<i128> {
        let scaled = value * BigRational::from_integer(BigInt::from(10u32).pow(decimals));
        let half = BigRational::new(BigInt::from(1), BigInt::from(2));
        let magnitude = (scaled.abs() + half).floor().to_integer();
        (if scaled.is_negative() { -magnitude } else { magnitude }).to_i128()
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

    /// `n·2^shift / d` in lowest terms: with shifts near 100 the products leave i128, so the
    /// properties below try the machine-integer path and its big-integer fallback alike.
    fn value(n: i64, d: i64, shift: u32) -> BigRational {
        BigRational::new(BigInt::from(n) << shift, BigInt::from(d))
    }

    #[test]
    fn machine_integer_arithmetic_is_the_big_rationals_arithmetic() {
        use proptest::prelude::*;
        let terms = || (-3_000_000i64..3_000_000, 1i64..3_000_000, prop_oneof![Just(0u32), 0u32..110]);
        proptest!(|(a in terms(), b in terms(), decimals in 0u32..5)| {
            let (a, b) = (value(a.0, a.1, a.2), value(b.0, b.1, b.2));
            let expected = &a * &b;
            let got = product(&a, &b);
            // the same terms, not only the same value: a page prints what it is handed
            prop_assert_eq!((got.numer(), got.denom()), (expected.numer(), expected.denom()));
            if let Some(sum) = Small::of(&a).zip(Small::of(&b)).and_then(|(x, y)| x.checked_add(y)).map(Small::big) {
                let expected = &a + &b;
                prop_assert_eq!((sum.numer(), sum.denom()), (expected.numer(), expected.denom()));
            }
            let rounded = rounded_product(&a, &b, decimals);
            prop_assert_eq!(rounded, Rounded::half_up(&expected, decimals));
            if let Some(units) = by_definition_checked(&expected, decimals) {
                prop_assert_eq!(rounded, Rounded::from_units(units, decimals));
            }
            let (x, y) = (Rounded::half_up(&a, decimals), Rounded::half_up(&b, 2));
            prop_assert_eq!(x.cmp_value(&y), x.as_ratio().cmp(&y.as_ratio()));
            prop_assert_eq!(x.at_least(&b), x.as_ratio() >= b);
        });
    }

    #[test]
    fn ratio_is_in_lowest_terms() {
        use proptest::prelude::*;
        proptest!(|(n in 0u64..u64::MAX, d in 1u64..u64::MAX)| {
            let expected = BigRational::new(BigInt::from(n), BigInt::from(d));
            let got = ratio(n, d);
            prop_assert_eq!((got.numer(), got.denom()), (expected.numer(), expected.denom()));
        });
        assert_eq!(ratio(0, 7), BigRational::from_integer(BigInt::from(0)));
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
