//! Counters (loket) and officers (petugas): their codes, and the scorecard arithmetic — the
//! SPEC §3 index of one counter's or officer's responses, shown only from a minimum number of
//! responses so that no single citizen and no single bad day is exposed.

use super::decimal::Rounded;
use super::ikm::{compute, Tally};
use super::template::Template;

/// The competence (kompetensi pelaksana) and behaviour (perilaku pelaksana) elements of the
/// PermenPANRB 14/2017 questionnaire, which the scorecard shows beside the NIK.
pub const COMPETENCE: &str = "U6";
pub const BEHAVIOUR: &str = "U7";

/// Codes are printed in links (`?loket=loket-1`) and typed in; they compare in lower case.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_lowercase()
}

/// A code: 1–32 of `a-z`, `0-9` and `-`, so that it travels in a link and a token unchanged.
pub fn valid_code(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// One counter's or officer's figures, or only its count when it has too few responses.
#[derive(Debug, Clone, PartialEq)]
pub enum Score {
    /// fewer responses than the minimum: nothing but the fact is shown
    TooFew { responses: u64 },
    Shown {
        responses: u64,
        /// U6 and U7 as NRR × conversion (the element NIK), `None` when unanswered or absent
        competence: Option<Rounded>,
        behaviour: Option<Rounded>,
        /// the group's index over all elements
        index: Option<Rounded>,
    },
}

/// The scorecard figures of one group's tally: shown only from `min_responses` responses.
pub fn score(template: &Template, tally: &Tally, min_responses: u64) -> Score {
    if tally.responses < min_responses.max(1) {
        return Score::TooFew { responses: tally.responses };
    }
    let result = compute(template, tally, None);
    let element = |code: &str| result.elements.iter().find(|e| e.code == code).and_then(|e| e.index);
    Score::Shown {
        responses: tally.responses,
        competence: element(COMPETENCE),
        behaviour: element(BEHAVIOUR),
        index: result.index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lower_case_link_safe_words() {
        assert_eq!(normalize_code(" Loket-1 "), "loket-1");
        assert!(valid_code("loket-1"));
        for bad in ["", "loket 1", "loket|1", "LOKET", &"a".repeat(33), "lokét"] {
            assert!(!valid_code(bad), "{bad}");
        }
    }
}
