//! What a report's kop surat and signature block are made of that has rules of its own: the
//! signer's NIP (Nomor Induk Pegawai, 18 digits) and the agency's website.

use std::fmt;

/// A civil servant's NIP: 18 digits, written grouped as on official documents
/// (`19750101 200003 1 002`: birth date, appointment month, sex, serial).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nip(String);

impl Nip {
    /// Accepts the digits with or without the usual spaces.
    pub fn parse(value: &str) -> Result<Nip, &'static str> {
        let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 18 && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Nip(digits))
        } else {
            Err("18 digits")
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(f, "{} {} {} {}", &d[..8], &d[8..14], &d[14..15], &d[15..])
    }
}

/// An address a reader can type: an optional `http://` or `https://`, a host name with a dot
/// and no spaces, and an optional path (`disdukcapil.kutaitimurkab.go.id`,
/// `https://kutaitimurkab.go.id/skm`).
pub fn is_website(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")).unwrap_or(value);
    let host = rest.split('/').next().unwrap_or_default();
    let label_ok = |l: &str| {
        !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    value.len() <= 100
        && !value.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
        && host.contains('.')
        && host.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nip_is_eighteen_digits_shown_in_its_four_groups() {
        let nip = Nip::parse("19750101 200003 1 002").expect("spaced");
        assert_eq!(nip.digits(), "197501012000031002");
        assert_eq!(nip.to_string(), "19750101 200003 1 002");
        assert_eq!(Nip::parse("197501012000031002"), Ok(nip));
        for wrong in ["", "19750101200003100", "1975010120000310021", "19750101-200003-1-002", "1975O1012000031002"] {
            assert!(Nip::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_website_is_a_host_name_with_an_optional_scheme_and_path() {
        for good in ["kutaitimurkab.go.id", "https://disdukcapil.kutaitimurkab.go.id", "http://a.id/skm/2026"] {
            assert!(is_website(good), "{good}");
        }
        for bad in ["kutaitimur", "https://", "ftp//x.id", "a .id", "javascript:alert(1)", "x..id", "<b>.id"] {
            assert!(!is_website(bad), "{bad}");
        }
    }
}
