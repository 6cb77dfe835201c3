//! Required sample size by Krejcie–Morgan (SPEC §4), in integers:
//! s = χ²·N·P(1−P) / (d²·(N−1) + χ²·P(1−P)) with χ² = 3.841, P = 0.5, d = 0.05,
//! which simplifies exactly to 3841·N / (10·(N−1) + 3841).

pub fn required_sample(population: u64) -> u64 {
    if population == 0 {
        return 0;
    }
    let numerator = 3841u128 * u128::from(population);
    let denominator = 10u128 * (u128::from(population) - 1) + 3841;
    // round half up: floor((2·num + den) / (2·den))
    ((2 * numerator + denominator) / (2 * denominator)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reproduces_the_published_table() {
        let table = [
            (10, 10),
            (50, 44),
            (100, 80),
            (200, 132),
            (500, 217),
            (1000, 278),
            (5000, 357),
            (10000, 370),
            (1_000_000, 384),
            (100_000, 383),
        ];
        for (population, sample) in table {
            assert_eq!(required_sample(population), sample, "N = {population}");
        }
        assert_eq!(required_sample(0), 0);
        assert_eq!(required_sample(1), 1);
    }

    proptest! {
        #[test]
        fn never_more_than_the_population_nor_385(n in 1u64..10_000_000_000) {
            let s = required_sample(n);
            prop_assert!(s <= n && s <= 385);
        }
    }
}
