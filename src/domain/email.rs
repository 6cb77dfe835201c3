//! An e-mail address, parsed once where it enters skm (the `/admin` forms, `skm unit add --email`,
//! `skm user add --email`), so every account and every unit contact holds the same kind of
//! address: one the monthly summaries can be sent to and one a person can sign in with.

use std::fmt;
use thiserror::Error;

/// SMTP's limit on a path (RFC 5321 §4.5.3.1.3: 256 octets with the angle brackets).
pub const MAX_LENGTH: usize = 254;

/// Why a text is not an e-mail address. The messages are the reason alone, without the address
/// or a field name, so each front end can put them after its own `field: ` (and language).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_LENGTH} characters")]
    TooLong,
    #[error("the address contains a space or a control character")]
    Whitespace,
    #[error("the address needs an @ between the name and the domain")]
    NoAt,
    #[error("the address has more than one @")]
    SeveralAt,
    #[error("there is no name before the @")]
    LocalEmpty,
    #[error("the domain needs a dot, as in dinas.go.id")]
    DomainWithoutDot,
    #[error("the domain has an empty part (two dots in a row, or a dot at its start or end)")]
    DomainEmptyLabel,
}

impl EmailError {
    /// A name for the reason that a front end in another language looks its words up by.
    pub fn code(&self) -> &'static str {
        match self {
            EmailError::Empty => "empty",
            EmailError::TooLong => "too_long",
            EmailError::Whitespace => "whitespace",
            EmailError::NoAt => "no_at",
            EmailError::SeveralAt => "several_at",
            EmailError::LocalEmpty => "local_empty",
            EmailError::DomainWithoutDot => "domain_without_dot",
            EmailError::DomainEmptyLabel => "domain_empty_label",
        }
    }
}

/// A trimmed, lowercased address: `name@domain.tld`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// The form addresses are stored and looked up in. Signing in only normalises (never parses):
/// accounts made before the dotted-domain rule must still be able to sign in.
pub fn normalize(value: &str) -> String {
    value.trim().to_lowercase()
}

impl Email {
    pub fn parse(value: &str) -> Result<Email, EmailError> {
        let address = normalize(value);
        if address.is_empty() {
            return Err(EmailError::Empty);
        }
        if address.len() > MAX_LENGTH {
            return Err(EmailError::TooLong);
        }
        // Whitespace inside (after trimming) or a control character would split or corrupt a
        // mail header; no real mailbox has either.
        if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Whitespace);
        }
        let (local, domain) = address.split_once('@').ok_or(EmailError::NoAt)?;
        if domain.contains('@') {
            return Err(EmailError::SeveralAt);
        }
        if local.is_empty() {
            return Err(EmailError::LocalEmpty);
        }
        // A host name without a dot ("localhost", a typo like "dinas") cannot receive the
        // regency's mail from the internet; both front ends refuse it.
        if !domain.contains('.') {
            return Err(EmailError::DomainWithoutDot);
        }
        if domain.split('.').any(str::is_empty) {
            return Err(EmailError::DomainEmptyLabel);
        }
        Ok(Email(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        let email = Email::parse("  Kepala.Dinas@DisDukCapil.KutaiTimurKab.go.id \n").expect("valid");
        assert_eq!(email.as_str(), "kepala.dinas@disdukcapil.kutaitimurkab.go.id");
        assert_eq!(email.to_string(), email.as_str());
    }

    #[test]
    fn each_broken_address_is_refused_with_its_reason() {
        let long = format!("{}@dinas.go.id", "a".repeat(MAX_LENGTH));
        let cases: &[(&str, EmailError)] = &[
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            (&long, EmailError::TooLong),
            ("budi santoso@dinas.go.id", EmailError::Whitespace),
            ("budi@dinas.go.id\u{0}", EmailError::Whitespace),
            ("budi\t@dinas.go.id", EmailError::Whitespace),
            ("budi.dinas.go.id", EmailError::NoAt),
            ("budi@dinas@go.id", EmailError::SeveralAt),
            ("@dinas.go.id", EmailError::LocalEmpty),
            ("budi@", EmailError::DomainWithoutDot),
            ("budi@localhost", EmailError::DomainWithoutDot),
            ("budi@dinas..go.id", EmailError::DomainEmptyLabel),
            ("budi@.dinas.go.id", EmailError::DomainEmptyLabel),
            ("budi@dinas.go.id.", EmailError::DomainEmptyLabel),
        ];
        for (text, reason) in cases {
            assert_eq!(Email::parse(text).as_ref(), Err(reason), "{text:?}");
        }
    }

    #[test]
    fn ordinary_addresses_pass() {
        let longest = format!("{}@dinas.go.id", "x".repeat(MAX_LENGTH - "@dinas.go.id".len()));
        for text in ["a@b.co", "kadis+skm@dishub.kutaitimurkab.go.id", "o'brien@example.org", &longest] {
            assert_eq!(Email::parse(text).map(|e| e.to_string()).as_deref(), Ok(text));
        }
    }

    proptest! {
        #[test]
        fn well_formed_addresses_parse_to_their_normal_form(
            local in "[A-Za-z0-9._+-]{1,30}",
            labels in proptest::collection::vec("[A-Za-z0-9-]{1,12}", 2..5),
            padding in "[ \t\n]{0,3}",
        ) {
            let text = format!("{padding}{local}@{}{padding}", labels.join("."));
            let email = Email::parse(&text).expect("well formed");
            prop_assert_eq!(email.as_str(), text.trim().to_lowercase());
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()), "parsing is idempotent");
        }

        #[test]
        fn whatever_parses_keeps_the_rules(text in r"[a-zA-Z0-9@. \t\x00-]{0,24}") {
            if let Ok(email) = Email::parse(&text) {
                let (local, domain) = email.as_str().split_once('@').expect("one @");
                prop_assert!(!local.is_empty() && !domain.contains('@'));
                prop_assert!(domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty()));
                prop_assert!(!email.as_str().contains(char::is_whitespace));
                prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
            }
        }
    }
}
