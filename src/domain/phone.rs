//! An Indonesian mobile number, parsed once where it enters skm (an invitation's `phone`,
//! `skm gateway test --phone`), so the SMS/WhatsApp gateway only ever gets a number it can
//! deliver to. The number is used to send and never stored: its `Debug` and `Display` show a
//! masked form (`+62812****789`), so logging one by mistake reveals no one's number.

use std::fmt;
use thiserror::Error;

/// Digits after `+62` of a mobile number: `8` and 8 to 11 more (`0812-345-678` has 10 digits in
/// the national form, the longest numbers 13).
const SUBSCRIBER_DIGITS: std::ops::RangeInclusive<usize> = 9..=12;

/// Why a text is not an Indonesian mobile number. The messages are the reason alone, so each
/// front end can put them after its own `field: ` (and language).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PhoneError {
    #[error("the number is empty")]
    Empty,
    #[error("the number may hold only digits, spaces and hyphens (after an optional leading +)")]
    NotADigit,
    #[error("only Indonesian numbers are accepted: start with 08, +628 or 628")]
    NotIndonesian,
    #[error("not a mobile number: after 0 or +62 a mobile number starts with 8")]
    NotMobile,
    #[error("the number is too short for a mobile number")]
    TooShort,
    #[error("the number is too long for a mobile number")]
    TooLong,
}

impl PhoneError {
    /// A name for the reason that a front end in another language looks its words up by.
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "empty",
            PhoneError::NotADigit => "not_a_digit",
            PhoneError::NotIndonesian => "not_indonesian",
            PhoneError::NotMobile => "not_mobile",
            PhoneError::TooShort => "too_short",
            PhoneError::TooLong => "too_long",
        }
    }
}

/// An Indonesian mobile number in E.164 form: `+628…`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts `0812…`, `+62812…` and `62812…`, with spaces and hyphens anywhere.
    pub fn parse(text: &str) -> Result<Phone, PhoneError> {
        let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect();
        if compact.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::NotADigit);
        }
        let subscriber = match digits.strip_prefix("62") {
            Some(rest) => rest,
            None if plus => return Err(PhoneError::NotIndonesian),
            None => digits.strip_prefix('0').ok_or(PhoneError::NotIndonesian)?,
        };
        if !subscriber.starts_with('8') {
            return Err(PhoneError::NotMobile);
        }
        if subscriber.len() < *SUBSCRIBER_DIGITS.start() {
            return Err(PhoneError::TooShort);
        }
        if subscriber.len() > *SUBSCRIBER_DIGITS.end() {
            return Err(PhoneError::TooLong);
        }
        Ok(Phone(format!("+62{subscriber}")))
    }

    /// The full number, `+628…`: only for the request to the gateway.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The full number without the plus, `628…`, as many Indonesian gateways want it.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// `+62812****789`: the operator and the country code, the last three digits, four stars
    /// whatever the length. What logs and messages show.
    pub fn masked(&self) -> String {
        let head = &self.0[..6];
        let tail = &self.0[self.0.len() - 3..];
        format!("{head}****{tail}")
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_indonesian_forms_become_one_e164_number() {
        for text in ["081234567890", "+6281234567890", "6281234567890", "0812-3456-7890", " +62 812 3456 7890 "] {
            assert_eq!(Phone::parse(text).map(|p| p.e164().to_string()), Ok("+6281234567890".into()), "{text}");
        }
        let phone = Phone::parse("0812 345 678").expect("shortest");
        assert_eq!((phone.e164(), phone.digits()), ("+62812345678", "62812345678"));
        assert!(Phone::parse("0812-3456-78901").is_ok(), "13 digits in the national form");
    }

    #[test]
    fn other_numbers_are_refused_with_their_reason() {
        let cases = [
            ("", PhoneError::Empty),
            (" - ", PhoneError::Empty),
            ("+", PhoneError::NotADigit),
            ("0812.3456.7890", PhoneError::NotADigit),
            ("0812345678o", PhoneError::NotADigit),
            ("++6281234567890", PhoneError::NotADigit),
            ("62+81234567890", PhoneError::NotADigit),
            ("+14155552671", PhoneError::NotIndonesian),
            ("+60123456789", PhoneError::NotIndonesian),
            ("81234567890", PhoneError::NotIndonesian),
            ("0215551234", PhoneError::NotMobile),
            ("+62215551234", PhoneError::NotMobile),
            ("08123456", PhoneError::TooShort),
            ("+628", PhoneError::TooShort),
            ("08123456789012", PhoneError::TooLong),
            ("٠٨١٢٣٤٥٦٧٨٩٠", PhoneError::NotADigit),
        ];
        for (text, expected) in cases {
            assert_eq!(Phone::parse(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn the_number_is_shown_only_masked() {
        let phone = Phone::parse("0812-3456-7789").expect("valid");
        assert_eq!(phone.masked(), "+62812****789");
        assert_eq!(phone.to_string(), "+62812****789");
        let debug = format!("{phone:?} {:?}", Some(&phone));
        assert!(!debug.contains("3456") && debug.contains("+62812****789"), "{debug}");
        let short = Phone::parse("0812345678").expect("valid");
        assert_eq!(short.masked(), "+62812****678");
    }
}
