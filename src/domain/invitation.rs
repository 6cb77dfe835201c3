//! Survey invitations' short codes (`/u/{code}`, issue 19 point 2) and their expiry.
//!
//! A code is [`BODY_LENGTH`] random characters and one check character, from an alphabet of 31
//! characters that cannot be mistaken for one another when read off a receipt (no 0/O, 1/I/L).
//! 31 is prime, so a weighted sum modulo 31 with the position weights 1, 2, … catches every
//! single wrong character (its weight times the difference is never 0 mod 31) and every swap of
//! two neighbours (the weights differ by 1, so the change is ±the difference, never 0 mod 31).

use chrono::{Duration, NaiveDateTime};
use std::fmt;

/// Digits 2–9 and the letters without I, L and O: 31 characters, a prime number of them.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const RADIX: u32 = 31;
/// random characters in a code (31⁹ ≈ 2.6 × 10¹³ codes)
pub const BODY_LENGTH: usize = 9;
/// characters in a code, check character included
pub const CODE_LENGTH: usize = BODY_LENGTH + 1;
/// the fewest random bytes `generate` may need (it skips bytes that would bias the draw)
pub const RANDOM_BYTES: usize = 16;

/// A well-formed invitation code: the right length, the alphabet, a matching check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Code(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// too short or too long after spaces and hyphens are removed
    Length,
    /// a character outside the alphabet (after upper-casing)
    Character,
    /// the check character does not match: a typo
    Check,
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// Σ position × value over the characters, positions from 1, modulo 31.
fn weighted_sum(values: impl Iterator<Item = u32>) -> u32 {
    values.enumerate().map(|(i, v)| (i as u32 + 1) * v).sum::<u32>() % RADIX
}

/// The check character that makes the weighted sum of `body` and it 0 modulo 31.
pub fn check_character(body: &[u32]) -> u32 {
    let weight = body.len() as u32 + 1;
    let sum = weighted_sum(body.iter().copied());
    (0..RADIX).find(|c| (sum + weight * c).is_multiple_of(RADIX)).unwrap_or(0)
}

impl Code {
    /// A code from random bytes, or `None` when they run out before the code is complete (each
    /// byte of 248 or more is skipped so that every character is equally likely; 16 bytes are
    /// enough but for a chance of about 10⁻¹⁰).
    pub fn generate(random: &[u8]) -> Option<Code> {
        let limit = (256 / RADIX * RADIX) as u8;
        let body: Vec<u32> =
            random.iter().filter(|b| **b < limit).map(|b| u32::from(*b) % RADIX).take(BODY_LENGTH).collect();
        if body.len() < BODY_LENGTH {
            return None;
        }
        let check = check_character(&body);
        Some(Code(body.iter().chain([check].iter()).map(|v| ALPHABET[*v as usize] as char).collect()))
    }

    /// A code as typed or read: case, spaces and hyphens do not matter.
    pub fn parse(text: &str) -> Result<Code, CodeError> {
        let cleaned: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if cleaned.len() != CODE_LENGTH || !cleaned.is_ascii() {
            return Err(if cleaned.chars().count() == CODE_LENGTH { CodeError::Character } else { CodeError::Length });
        }
        let values: Option<Vec<u32>> = cleaned.bytes().map(value).collect();
        let values = values.ok_or(CodeError::Character)?;
        if weighted_sum(values.into_iter()) != 0 {
            return Err(CodeError::Check);
        }
        Ok(Code(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped for reading aloud and printing: `ABC-DEF-GHJK`.
    pub fn grouped(&self) -> String {
        format!("{}-{}-{}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// When an invitation issued at `now` stops opening.
pub fn expires_at(now: NaiveDateTime, days: u32) -> NaiveDateTime {
    now + Duration::days(i64::from(days))
}

/// Whether an invitation expiring at `expires_at` is expired at `now` (the instant itself counts
/// as expired).
pub fn is_expired(expires_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now >= expires_at
}

/// A transaction reference as the service system sends it: 1–200 characters after trimming.
pub const REFERENCE_MAX: usize = 200;

pub fn valid_reference(reference: &str) -> bool {
    let length = reference.trim().chars().count();
    (1..=REFERENCE_MAX).contains(&length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> Code {
        Code::generate(&[7, 200, 13, 99, 31, 0, 150, 247, 62, 1, 2, 3, 4, 5, 6, 8]).expect("enough bytes")
    }

    #[test]
    fn the_alphabet_has_no_look_alikes_and_31_characters() {
        assert_eq!(ALPHABET.len(), 31);
        for c in b"01ILO" {
            assert!(!ALPHABET.contains(c), "{}", *c as char);
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 31, "no character twice");
    }

    #[test]
    fn a_generated_code_parses_back_in_any_case_and_grouping() {
        let code = code();
        assert_eq!(code.as_str().len(), CODE_LENGTH);
        assert_eq!(Code::parse(code.as_str()), Ok(code.clone()));
        assert_eq!(Code::parse(&code.as_str().to_lowercase()), Ok(code.clone()));
        assert_eq!(Code::parse(&format!(" {} ", code.grouped())), Ok(code.clone()));
        assert_eq!(Code::parse(&code.grouped().replace('-', " ")), Ok(code));
    }

    #[test]
    fn every_single_character_error_is_caught() {
        let code = code();
        let text = code.as_str().as_bytes();
        for position in 0..CODE_LENGTH {
            for replacement in ALPHABET.iter().filter(|c| **c != text[position]) {
                let mut typo = text.to_vec();
                typo[position] = *replacement;
                let typo = String::from_utf8(typo).expect("ascii");
                assert_eq!(Code::parse(&typo), Err(CodeError::Check), "{typo}");
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_caught() {
        // every pair of different characters, swapped at every position (the rest of the code
        // fixed), with the check character recomputed for the original
        for position in 0..BODY_LENGTH {
            for a in 0..RADIX {
                for b in (0..RADIX).filter(|b| *b != a) {
                    let mut body = vec![5u32; BODY_LENGTH];
                    if position + 1 < BODY_LENGTH {
                        body[position] = a;
                        body[position + 1] = b;
                    } else {
                        body[position] = a;
                    }
                    let mut values = body.clone();
                    values.push(check_character(&body));
                    assert_eq!(weighted_sum(values.iter().copied()), 0);
                    values.swap(position, position + 1);
                    if values[position] != values[position + 1] {
                        assert_ne!(weighted_sum(values.iter().copied()), 0, "{position} {a} {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_lengths_and_characters_are_told_apart_from_typos() {
        assert_eq!(Code::parse(""), Err(CodeError::Length));
        assert_eq!(Code::parse("ABC"), Err(CodeError::Length));
        assert_eq!(Code::parse(&"A".repeat(CODE_LENGTH + 1)), Err(CodeError::Length));
        assert_eq!(Code::parse("ABCDEFGH0J"), Err(CodeError::Character));
        assert_eq!(Code::parse("ABCDEFGHÉJ"), Err(CodeError::Character));
        assert_eq!(Code::parse("../../etc/"), Err(CodeError::Character));
    }

    #[test]
    fn generation_needs_unbiased_bytes() {
        assert_eq!(Code::generate(&[255; 16]), None);
        assert_eq!(Code::generate(&[1; 8]), None);
        let mut bytes = [250u8; 20];
        bytes[11..20].copy_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(Code::generate(&bytes).map(|c| c.as_str()[..9].to_string()), Some("23456789A".to_string()));
    }

    #[test]
    fn expiry_counts_whole_days_and_the_instant_itself_is_expired() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).and_then(|d| d.and_hms_opt(9, 0, 0)).expect("date");
        let end = expires_at(now, 14);
        assert_eq!(end.to_string(), "2026-12-15 09:00:00");
        assert!(!is_expired(end, end - Duration::seconds(1)));
        assert!(is_expired(end, end));
    }

    #[test]
    fn references_are_1_to_200_characters() {
        assert!(valid_reference("KTP-2026-000123"));
        assert!(valid_reference(&"é".repeat(200)));
        for bad in ["", "   ", &"x".repeat(201)] {
            assert!(!valid_reference(bad), "{bad}");
        }
    }
}
