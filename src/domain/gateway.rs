//! The rules of the SMS/WhatsApp gateway call, without the call: the request template and how a
//! value is escaped into it, `${ENV}` references in settings, the retry schedule, and what a
//! gateway's status code means. The sending itself is the gateway service's.

use chrono::{DateTime, Utc};
use std::time::Duration;
use thiserror::Error;

/// No wait between two attempts is longer, however often the gateway failed or whatever its
/// `Retry-After` asks: an invitation's link is for the citizen who is at the counter today.
pub const MAX_DELAY: Duration = Duration::from_secs(300);

/// What a template may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// the survey link sent to the citizen
    Link,
    /// the unit's name
    Unit,
    /// the service's name
    Service,
    /// the number in E.164, `+628…`
    Phone,
    /// the number without the plus, `628…`
    PhoneDigits,
}

impl Placeholder {
    pub const ALL: [(&'static str, Placeholder); 5] = [
        ("link", Placeholder::Link),
        ("unit", Placeholder::Unit),
        ("service", Placeholder::Service),
        ("phone", Placeholder::Phone),
        ("phone_digits", Placeholder::PhoneDigits),
    ];
}

/// How values are written into a request body, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json` or `…+json`: the template puts the quotes, values are escaped as the
    /// inside of a JSON string (a unit named `Dinas "Maju"` cannot break the document)
    Json,
    /// `application/x-www-form-urlencoded`, and always in the URL: values are percent-encoded
    Percent,
    /// any other type (`text/plain`): values as they are
    Raw,
}

impl Encoding {
    /// The encoding a `Content-Type` value calls for (parameters such as `charset` ignored).
    pub fn of_content_type(value: &str) -> Encoding {
        let media = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if media == "application/json" || media.ends_with("+json") {
            Encoding::Json
        } else if media == "application/x-www-form-urlencoded" {
            Encoding::Percent
        } else {
            Encoding::Raw
        }
    }

    fn escape(self, value: &str, out: &mut String) {
        match self {
            Encoding::Json => {
                let quoted = serde_json::Value::String(value.to_string()).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Encoding::Percent => {
                for byte in value.bytes() {
                    if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                        out.push(char::from(byte));
                    } else {
                        out.push_str(&format!("%{byte:02X}"));
                    }
                }
            }
            Encoding::Raw => out.push_str(value),
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TemplateError {
    #[error("unknown placeholder {{{{{0}}}}} (known: {{{{link}}}}, {{{{unit}}}}, {{{{service}}}}, {{{{phone}}}}, {{{{phone_digits}}}})")]
    Unknown(String),
    #[error("a {{{{ without its }}}}")]
    Unclosed,
    #[error("the environment variable {0} (named as ${{{0}}}) is not set")]
    MissingEnv(String),
    #[error("a ${{ without its }}")]
    UnclosedEnv,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Value(Placeholder),
}

/// A text with `{{placeholders}}` (spaces inside the braces allowed), checked when the settings
/// are read: an unknown name stops start-up instead of reaching the gateway as `{{nama}}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Template(Vec<Piece>);

/// The values a message fills in.
pub struct Values<'a> {
    pub link: &'a str,
    pub unit: &'a str,
    pub service: &'a str,
    pub phone: &'a str,
    pub phone_digits: &'a str,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let name = after[..end].trim();
            let placeholder = Placeholder::ALL
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, p)| *p)
                .ok_or_else(|| TemplateError::Unknown(name.to_string()))?;
            pieces.push(Piece::Value(placeholder));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template(pieces))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Replaces each `${NAME}` in the template's own text (not in the values filled in later)
    /// by the variable `env` gives.
    pub fn resolve_env(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Template, TemplateError> {
        let pieces = self
            .0
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => resolve_env(&text, env).map(Piece::Text),
                value => Ok(value),
            })
            .collect::<Result<_, _>>()?;
        Ok(Template(pieces))
    }

    pub fn render(&self, values: &Values<'_>, encoding: Encoding) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Value(p) => encoding.escape(
                    match p {
                        Placeholder::Link => values.link,
                        Placeholder::Unit => values.unit,
                        Placeholder::Service => values.service,
                        Placeholder::Phone => values.phone,
                        Placeholder::PhoneDigits => values.phone_digits,
                    },
                    &mut out,
                ),
            }
        }
        out
    }
}

/// Names only the placeholders: the text may hold a secret from the environment.
impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self
            .0
            .iter()
            .filter_map(|p| match p {
                Piece::Value(v) => Some(v),
                Piece::Text(_) => None,
            })
            .collect();
        write!(f, "Template({names:?})")
    }
}

/// `Bearer ${SKM_GATEWAY_TOKEN}` → `Bearer <the variable's value>`. A `$` not followed by `{`
/// is kept as it is.
pub fn resolve_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(TemplateError::UnclosedEnv)?;
        let name = after[..end].trim();
        out.push_str(&env(name).ok_or_else(|| TemplateError::MissingEnv(name.to_string()))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The variables a text names as `${NAME}`: they are read for the gateway, so start-up does not
/// take an `SKM_…` one for a misspelt setting.
pub fn env_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.push(after[..end].trim().to_string());
        rest = &after[end + 1..];
    }
    names
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HeaderError {
    #[error("line {0}: expected 'Name: value'")]
    NoColon(usize),
    #[error("line {0}: '{1}' is not a header name")]
    BadName(usize, String),
    #[error("line {0}: the value holds a line break or a control character")]
    BadValue(usize),
    #[error("line {0}: {1}")]
    Env(usize, TemplateError),
}

/// `Name: value` lines (empty lines skipped); values may name environment variables as
/// `${NAME}`, resolved here.
pub fn parse_headers(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<(String, String)>, HeaderError> {
    let mut headers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(HeaderError::NoColon(number))?;
        let name = name.trim();
        // RFC 9110 §5.6.2: a token
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(HeaderError::BadName(number, name.to_string()));
        }
        let value = resolve_env(value.trim(), env).map_err(|e| HeaderError::Env(number, e))?;
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(HeaderError::BadValue(number));
        }
        headers.push((name.to_string(), value));
    }
    Ok(headers)
}

/// The wait before retry number `retry` (1 after the first failed attempt): `base`, doubled
/// each time, plus up to a quarter more by `jitter` (0 ≤ jitter < 1, random), so senders that
/// failed together do not come back together; never more than [`MAX_DELAY`]. Each wait is
/// longer than the one before until the cap.
pub fn backoff(base: Duration, retry: u32, jitter: f64) -> Duration {
    let doubled = base.as_millis().saturating_mul(1u128 << retry.saturating_sub(1).min(40));
    let jitter = jitter.clamp(0.0, 1.0);
    let spread = (doubled as f64 * jitter / 4.0) as u128;
    let millis = doubled.saturating_add(spread).min(MAX_DELAY.as_millis());
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// A `Retry-After` value (RFC 9110 §10.2.3: seconds, or an HTTP date) as a wait from `now`, at
/// most [`MAX_DELAY`]; `None` when it is neither.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
            (at - now).to_std().unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_DELAY))
}

/// What a gateway's answer means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: the gateway took it
    Sent,
    /// 408, 429 and 5xx: the gateway (or the way to it) is busy or broken for now
    Retry,
    /// any other status: the request itself is wrong (a bad token, a refused number, a
    /// redirect, which is not followed); sending it again would fail again
    Permanent,
}

pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Sent,
        408 | 429 | 500..=599 => Verdict::Retry,
        _ => Verdict::Permanent,
    }
}

/// The scheme and host of a URL, what logs and the admin page show of the gateway (its path or
/// query may carry a key).
pub fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(unit: &'a str, service: &'a str) -> Values<'a> {
        Values {
            link: "https://skm.example.go.id/u/AbC-123",
            unit,
            service,
            phone: "+6281234567890",
            phone_digits: "6281234567890",
        }
    }

    #[test]
    fn a_template_fills_in_each_placeholder() {
        let template = Template::parse(
            "{\"to\":\"{{phone}}\",\"msg\":\"{{ service }} di {{unit}}: {{link}}\",\"n\":\"{{phone_digits}}\"}",
        )
        .expect("valid");
        assert_eq!(
            template.render(&values("Dinas Kesehatan", "KTP"), Encoding::Json),
            r#"{"to":"+6281234567890","msg":"KTP di Dinas Kesehatan: https://skm.example.go.id/u/AbC-123","n":"6281234567890"}"#
        );
        assert_eq!(
            Template::parse("tanpa isian").expect("plain").render(&values("", ""), Encoding::Raw),
            "tanpa isian"
        );
    }

    #[test]
    fn json_values_cannot_break_the_document() {
        let template = Template::parse(r#"{"unit":"{{unit}}","service":"{{service}}"}"#).expect("valid");
        let body = template.render(&values("Dinas \"Maju\" \\ Jaya\n", "Izin </script> \u{1}"), Encoding::Json);
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("still JSON");
        assert_eq!(parsed["unit"], "Dinas \"Maju\" \\ Jaya\n");
        assert_eq!(parsed["service"], "Izin </script> \u{1}");
    }

    #[test]
    fn form_and_url_values_are_percent_encoded() {
        let template = Template::parse("to={{phone}}&text={{unit}}%3A+{{link}}").expect("valid");
        assert_eq!(
            template.render(&values("Dinas A&B = ok", ""), Encoding::Percent),
            "to=%2B6281234567890&text=Dinas%20A%26B%20%3D%20ok%3A+https%3A%2F%2Fskm.example.go.id%2Fu%2FAbC-123"
        );
        assert_eq!(Encoding::of_content_type("application/x-www-form-urlencoded; charset=utf-8"), Encoding::Percent);
        assert_eq!(Encoding::of_content_type("Application/JSON; charset=UTF-8"), Encoding::Json);
        assert_eq!(Encoding::of_content_type("application/vnd.api+json"), Encoding::Json);
        assert_eq!(Encoding::of_content_type("text/plain"), Encoding::Raw);
    }

    #[test]
    fn unknown_or_unclosed_placeholders_are_refused_by_name() {
        let err = Template::parse("{{link}} {{nama}}").expect_err("unknown");
        assert_eq!(err, TemplateError::Unknown("nama".into()));
        assert!(err.to_string().starts_with("unknown placeholder {{nama}} (known: {{link}}"), "{err}");
        assert_eq!(Template::parse("{{link"), Err(TemplateError::Unclosed));
        assert_eq!(Template::parse("{{}}"), Err(TemplateError::Unknown(String::new())));
    }

    #[test]
    fn environment_references_are_resolved_or_named_when_missing() {
        let env = |name: &str| (name == "SKM_GATEWAY_TOKEN").then(|| "rahasia".to_string());
        assert_eq!(resolve_env("Bearer ${SKM_GATEWAY_TOKEN}", &env), Ok("Bearer rahasia".into()));
        assert_eq!(resolve_env("harga $5 ${ SKM_GATEWAY_TOKEN }", &env), Ok("harga $5 rahasia".into()));
        assert_eq!(resolve_env("${NOPE}", &env), Err(TemplateError::MissingEnv("NOPE".into())));
        assert_eq!(resolve_env("${NOPE", &env), Err(TemplateError::UnclosedEnv));
        assert_eq!(env_references("a ${A} b ${ B }${C"), vec!["A".to_string(), "B".to_string()]);

        let url = Template::parse("https://gw.example/kirim?key=${KEY}&to={{phone}}").expect("valid");
        let key = |name: &str| (name == "KEY").then(|| "k&1".to_string());
        let url = url.resolve_env(&key).expect("set");
        // the secret is the operator's text, not a value: it is not encoded again
        assert_eq!(
            url.render(&values("", ""), Encoding::Percent),
            "https://gw.example/kirim?key=k&1&to=%2B6281234567890"
        );
        assert!(!format!("{url:?}").contains("k&1"));
    }

    #[test]
    fn headers_are_name_value_lines() {
        let env = |name: &str| (name == "TOKEN").then(|| "abc".to_string());
        let headers = parse_headers("Content-Type: application/json\n\nAuthorization: Bearer ${TOKEN}\n", &env);
        assert_eq!(
            headers,
            Ok(vec![("Content-Type".into(), "application/json".into()), ("Authorization".into(), "Bearer abc".into())])
        );
        assert_eq!(parse_headers("Authorization Bearer x", &env), Err(HeaderError::NoColon(1)));
        assert_eq!(parse_headers("X\n Bad Name: 1", &env), Err(HeaderError::NoColon(1)));
        assert_eq!(parse_headers("A: 1\nBad Name: 1", &env), Err(HeaderError::BadName(2, "Bad Name".into())));
        assert_eq!(
            parse_headers("X-Key: ${MISSING}", &env),
            Err(HeaderError::Env(1, TemplateError::MissingEnv("MISSING".into())))
        );
        let newline = |_: &str| Some("a\r\nX-Injected: 1".to_string());
        assert_eq!(parse_headers("X-Key: ${V}", &newline), Err(HeaderError::BadValue(1)));
    }

    #[test]
    fn waits_double_with_a_little_jitter_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let none: Vec<_> = (1..=5).map(|n| backoff(base, n, 0.0).as_millis()).collect();
        assert_eq!(none, vec![100, 200, 400, 800, 1600]);
        assert_eq!(backoff(base, 1, 0.999).as_millis(), 124);
        // however unlucky the jitter, each wait is longer than the one before
        for n in 1..10 {
            assert!(backoff(base, n, 0.999) < backoff(base, n + 1, 0.0), "{n}");
        }
        assert_eq!(backoff(Duration::from_secs(2), 30, 0.5), MAX_DELAY);
        assert_eq!(backoff(Duration::from_secs(2), u32::MAX, 0.5), MAX_DELAY);
        assert_eq!(backoff(base, 0, 0.0), base, "retry 0 is read as the first");
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_and_capped() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z").expect("date").with_timezone(&Utc);
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("86400", now), Some(MAX_DELAY));
        assert_eq!(retry_after("Tue, 01 Dec 2026 08:00:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after("Tue, 01 Dec 2026 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn busy_and_broken_gateways_are_retried_wrong_requests_are_not() {
        for (status, expected) in [
            (200, Verdict::Sent),
            (202, Verdict::Sent),
            (408, Verdict::Retry),
            (429, Verdict::Retry),
            (500, Verdict::Retry),
            (503, Verdict::Retry),
            (301, Verdict::Permanent),
            (400, Verdict::Permanent),
            (401, Verdict::Permanent),
            (404, Verdict::Permanent),
            (422, Verdict::Permanent),
        ] {
            assert_eq!(verdict(status), expected, "{status}");
        }
    }

    #[test]
    fn only_the_host_of_the_gateway_is_shown() {
        assert_eq!(host_of("https://user:pw@api.fonnte.com/send?token=x"), "https://api.fonnte.com");
        assert_eq!(host_of("http://10.0.0.5:8080"), "http://10.0.0.5:8080");
    }
}
