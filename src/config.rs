//! Settings: defaults that run with nothing set, overridden by an optional `skm.toml`, then by
//! `SKM_*` environment variables. A bad value stops start-up naming the setting and the reason.

use crate::domain::gateway::{self as gateway_rules, Encoding, Template};
use chrono_tz::Tz;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone)]
pub struct Config {
    /// a postgres:// URL may carry a password
    pub database_url: SecretString,
    /// a streaming replica (postgres:// only, beside a PostgreSQL `database_url`) that the
    /// dashboards, report downloads and public pages read from; `None`: they read the primary
    pub read_database_url: Option<SecretString>,
    pub listen: SocketAddr,
    pub base_url: String,
    pub timezone: Tz,
    pub templates_dir: Option<PathBuf>,
    pub default_template: String,
    pub workers: usize,
    pub pool_size: u32,
    pub pool_timeout_ms: u64,
    /// the most SQLite submissions written in one transaction (`db::group_commit`); 0: off
    pub group_commit_max: u32,
    /// how long the SQLite writer waits for more submissions after the first, in microseconds
    pub group_commit_window_us: u32,
    /// how long a unit's public form, once read, is served without reading it again (ms; 0: never)
    pub form_cache_ms: u32,
    pub log: String,
    pub log_format: LogFormat,
    /// bearer token for GET /metrics; empty: no metrics endpoint
    pub metrics_token: SecretString,
    /// how long SIGTERM waits for requests in flight
    pub shutdown_timeout_secs: u64,
    /// how often a long command (export-all, rebuild-totals…) logs how far it is, when its
    /// standard error is not a terminal (a terminal gets a bar)
    pub progress_interval_ms: u64,
    pub form_token_minutes: u32,
    pub rate_limit_per_minute: u32,
    /// requests per integration API key and minute, shared by every instance
    pub api_key_rate_per_minute: u32,
    pub burst_threshold: u32,
    pub burst_window_minutes: u32,
    pub kiosk_reset_seconds: u32,
    /// seconds each published unit stays on the TV page (`/publik/layar`) before the next
    pub tv_seconds: u32,
    /// how often `skm serve` refreshes the tenants' monthly roll-ups (the freshness of the
    /// province and national pages)
    pub rollup_minutes: u32,
    /// reverse proxies whose X-Forwarded-For is believed
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// PNG or JPEG logo for the reports' kop surat, when no unit has set one
    pub logo: Option<PathBuf>,
    /// the period a dashboard shows when the address names none
    pub dashboard_period: DashboardPeriod,
    pub mail: MailSettings,
    /// a counter's or officer's scorecard shows figures only from this many responses
    pub scorecard_min_responses: u32,
    /// days a survey invitation's link (`/u/{code}`) stays open, 1..=365
    pub invitation_expiry_days: u32,
    /// how many days after it was answered an offline device's response is still taken, 1..=366
    pub device_answer_window_days: u32,
    /// the regency's SMS/WhatsApp gateway; `None` (no `gateway_url`): invitations are not sent
    pub gateway: Option<GatewaySettings>,
}

/// Which month a dashboard opens on (SPEC §5: the last complete month by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardPeriod {
    /// the month before the running one: on the 1st the running month has hardly any responses
    LastComplete,
    /// the running month, for regencies that watch responses come in
    Running,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    /// one JSON object per line (for log collectors)
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// plain connection upgraded with STARTTLS (port 587)
    Starttls,
    /// TLS from the first byte (port 465)
    Tls,
    /// no encryption: only for a relay on the same host or network
    None,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// empty: e-mail is off (no monthly job)
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_user: String,
    pub smtp_password: SecretString,
    pub from: String,
    pub timeout_secs: u64,
    /// the monthly summary goes out on this day of the month…
    pub day: u32,
    /// …from this hour (local time)
    pub hour: u32,
}

/// The outbound call that sends an invitation's link to a phone (the gateway service). Its `Debug`
/// shows the gateway's host and the header names only: the URL and header values may hold
/// secrets from the environment.
#[derive(Clone)]
pub struct GatewaySettings {
    /// `{{placeholders}}` percent-encoded, `${ENV}` references already resolved
    pub url: Template,
    /// scheme and host of the URL, for logs and the admin page
    pub host: String,
    pub method: GatewayMethod,
    /// `${ENV}` references already resolved
    pub headers: Vec<(String, SecretString)>,
    /// empty for GET
    pub body: Template,
    /// from the `Content-Type` header
    pub encoding: Encoding,
    /// of one attempt: connecting, sending and reading the answer
    pub timeout: Duration,
    /// attempts per message, the first one included
    pub max_attempts: u32,
    /// the wait before the first retry; it doubles for each further one
    pub retry_base: Duration,
    /// messages waiting or being retried at most; more are dropped (and counted)
    pub queue_capacity: usize,
}

impl std::fmt::Debug for GatewaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewaySettings")
            .field("host", &self.host)
            .field("method", &self.method)
            .field("headers", &self.headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("encoding", &self.encoding)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base", &self.retry_base)
            .field("queue_capacity", &self.queue_capacity)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMethod {
    Post,
    Put,
    /// no body: the placeholders go in `gateway_url`
    Get,
}

impl GatewayMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayMethod::Post => "POST",
            GatewayMethod::Put => "PUT",
            GatewayMethod::Get => "GET",
        }
    }
}

/// What a gateway gets when `gateway_body` is not set (with `Content-Type: application/json`).
pub const GATEWAY_DEFAULT_BODY: &str = r#"{"to":"{{phone}}","message":"Terima kasih telah menggunakan layanan {{service}} di {{unit}}. Mohon isi survei kepuasan masyarakat: {{link}}"}"#;

/// Messages waiting for the gateway at most (`GatewaySettings::queue_capacity`).
pub const GATEWAY_QUEUE_CAPACITY: usize = 1000;

/// Every setting: its key in `skm.toml`, its environment variable, its default, what it is.
pub const SETTINGS: [(&str, &str, &str, &str); 48] = [
    ("database_url", "SKM_DATABASE_URL", "skm.db", "SQLite file path, or a postgres:// URL"),
    (
        "read_database_url",
        "SKM_READ_DATABASE_URL",
        "",
        "postgres:// URL of a streaming replica for dashboards, reports and public pages (empty: none)",
    ),
    ("listen", "SKM_LISTEN", "127.0.0.1:8080", "address and port the HTTP server binds"),
    ("base_url", "SKM_BASE_URL", "http://<listen>", "public URL used in links and QR codes"),
    ("timezone", "SKM_TIMEZONE", "Asia/Makassar", "time zone of survey dates and periods"),
    ("templates_dir", "SKM_TEMPLATES_DIR", "", "extra survey templates folder (adds to or overrides the shipped ones)"),
    ("default_template", "SKM_DEFAULT_TEMPLATE", "permenpanrb-14-2017", "questionnaire of units without their own"),
    ("workers", "SKM_WORKERS", "number of CPUs", "HTTP worker threads"),
    ("pool_size", "SKM_POOL_SIZE", "workers + 4", "database connections per instance"),
    ("pool_timeout_ms", "SKM_POOL_TIMEOUT_MS", "5000", "how long a request waits for a database connection"),
    (
        "group_commit_max",
        "SKM_GROUP_COMMIT_MAX",
        "64",
        "SQLite: the most submissions written in one transaction by the writer thread (0 = off)",
    ),
    (
        "group_commit_window_us",
        "SKM_GROUP_COMMIT_WINDOW_US",
        "0",
        "SQLite: microseconds the writer waits for more submissions after the first (0 = only those queued)",
    ),
    (
        "form_cache_ms",
        "SKM_FORM_CACHE_MS",
        "1000",
        "how long a unit's public form, once read, is served without reading it again (0 = always read)",
    ),
    ("log", "SKM_LOG", "info", "log filter, e.g. info or skm=debug,actix_web=info"),
    ("log_format", "SKM_LOG_FORMAT", "text", "text, or json (one object per line, with the request id)"),
    ("metrics_token", "SKM_METRICS_TOKEN", "", "bearer token for GET /metrics (empty: no metrics endpoint)"),
    ("shutdown_timeout_secs", "SKM_SHUTDOWN_TIMEOUT_SECS", "30", "on SIGTERM, how long requests in flight may finish"),
    (
        "progress_interval_ms",
        "SKM_PROGRESS_INTERVAL_MS",
        "5000",
        "how often a long command logs its progress when standard error is not a terminal",
    ),
    ("form_token_minutes", "SKM_FORM_TOKEN_MINUTES", "240", "how long a rendered survey form can be submitted"),
    (
        "rate_limit_per_minute",
        "SKM_RATE_LIMIT_PER_MINUTE",
        "20",
        "survey submissions per client and minute, per instance",
    ),
    (
        "api_key_rate_per_minute",
        "SKM_API_KEY_RATE_PER_MINUTE",
        "600",
        "API requests per integration key and minute, all instances together",
    ),
    (
        "burst_threshold",
        "SKM_BURST_THRESHOLD",
        "3",
        "identical answer sets from one client that flag a burst (0 = off)",
    ),
    ("burst_window_minutes", "SKM_BURST_WINDOW_MINUTES", "10", "the time window of a burst"),
    ("kiosk_reset_seconds", "SKM_KIOSK_RESET_SECONDS", "8", "seconds the kiosk shows the thank-you page"),
    ("tv_seconds", "SKM_TV_SECONDS", "20", "seconds each published unit stays on the TV page /publik/layar"),
    (
        "rollup_minutes",
        "SKM_ROLLUP_MINUTES",
        "5",
        "how often skm serve refreshes the monthly roll-ups of regencies, provinces and the nation",
    ),
    ("trusted_proxies", "SKM_TRUSTED_PROXIES", "", "comma-separated proxy addresses whose X-Forwarded-For is used"),
    ("logo", "SKM_LOGO", "", "PNG or JPEG logo for report letterheads"),
    (
        "dashboard_period",
        "SKM_DASHBOARD_PERIOD",
        "last_complete",
        "the month dashboards open on: last_complete (the previous month) or running",
    ),
    ("smtp_host", "SKM_SMTP_HOST", "", "SMTP server for the monthly summaries (empty: no e-mail)"),
    ("smtp_port", "SKM_SMTP_PORT", "587", "SMTP port"),
    ("smtp_security", "SKM_SMTP_SECURITY", "starttls", "starttls, tls (implicit) or none (local relays only)"),
    ("smtp_user", "SKM_SMTP_USER", "", "SMTP user name (empty: no authentication)"),
    ("smtp_password", "SKM_SMTP_PASSWORD", "", "SMTP password"),
    ("mail_from", "SKM_MAIL_FROM", "SKM <skm@localhost>", "sender of the e-mails"),
    ("smtp_timeout_secs", "SKM_SMTP_TIMEOUT_SECS", "20", "SMTP connect and command timeout"),
    ("mail_day", "SKM_MAIL_DAY", "1", "day of the month the summary is sent (1–28)"),
    ("mail_hour", "SKM_MAIL_HOUR", "7", "hour (local time) from which it is sent"),
    (
        "scorecard_min_responses",
        "SKM_SCORECARD_MIN_RESPONSES",
        "10",
        "responses a counter or officer needs before its scorecard figures are shown",
    ),
    (
        "invitation_expiry_days",
        "SKM_INVITATION_EXPIRY_DAYS",
        "14",
        "days a survey invitation's short link stays open (1 to 365)",
    ),
    (
        "device_answer_window_days",
        "SKM_DEVICE_ANSWER_WINDOW_DAYS",
        "30",
        "oldest answer (in days) an enrolled kiosk or enumerator device may still upload (1 to 366)",
    ),
    (
        "gateway_url",
        "SKM_GATEWAY_URL",
        "",
        "SMS/WhatsApp gateway that sends invitation links to phones; may hold {{placeholders}} and ${ENV} (empty: off)",
    ),
    ("gateway_method", "SKM_GATEWAY_METHOD", "POST", "POST, PUT, or GET (no body: placeholders in the URL)"),
    (
        "gateway_headers",
        "SKM_GATEWAY_HEADERS",
        "Content-Type: application/json",
        "'Name: value' lines; ${ENV_NAME} takes a secret from the environment",
    ),
    (
        "gateway_body",
        "SKM_GATEWAY_BODY",
        "{\"to\":\"{{phone}}\",\"message\":\"… {{link}}\"}",
        "request body with {{link}}, {{unit}}, {{service}}, {{phone}}, {{phone_digits}}",
    ),
    ("gateway_timeout_secs", "SKM_GATEWAY_TIMEOUT_SECS", "10", "time limit of one call to the gateway"),
    ("gateway_max_attempts", "SKM_GATEWAY_MAX_ATTEMPTS", "5", "attempts per message before it counts as failed"),
    (
        "gateway_retry_base_ms",
        "SKM_GATEWAY_RETRY_BASE_MS",
        "2000",
        "wait before the first retry; doubled for each further one (plus jitter, at most 5 minutes)",
    ),
];

/// Environment variables that start with `SKM_` but are not settings.
const NOT_SETTINGS: [&str; 1] = ["SKM_CONFIG"];

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("{origin}: unknown setting '{name}'")]
    Unknown { origin: String, name: String },
    #[error("{origin}: setting '{name}': {reason}")]
    Invalid { origin: String, name: String, reason: String },
}

struct Value {
    text: String,
    origin: String,
}

impl Config {
    /// How many connections the instance's pool may open: `pool_size`, and on SQLite with group
    /// commit one more for each submission a commit may hold. A request waiting for the writer on
    /// a blocking thread keeps its connection (the citizen's common post waits without one, but
    /// an API post, an invitation's or a device's does), so with `pool_size` alone a commit never
    /// held more than that many submissions (2.6 a commit in the closed loop against 11.7,
    /// benches/submit.rs). SQLite's connections are a file handle and a page cache, not a server
    /// process each.
    pub fn pool_connections(&self) -> u32 {
        let url = self.database_url.expose_secret();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        if postgres {
            self.pool_size
        } else {
            self.pool_size.saturating_add(self.group_commit_max)
        }
    }

    /// The burst rule of public submissions (`burst_threshold`, `burst_window_minutes`).
    pub fn burst_rule(&self) -> crate::domain::submission::BurstRule {
        crate::domain::submission::BurstRule {
            threshold: self.burst_threshold,
            window_minutes: self.burst_window_minutes,
        }
    }

    /// Whether `base_url` is an address citizens' phones cannot reach: a loopback address
    /// (127.0.0.0/8, ::1, localhost) or the unspecified one a server listens on (0.0.0.0, ::).
    /// An unset `base_url` falls back to `http://<listen>`, one of these unless `listen` names
    /// the machine's own address. QR posters would encode it: pages that make them warn.
    pub fn base_url_is_local(&self) -> bool {
        host_is_local(&self.base_url)
    }

    /// Reads `file` (when given, it must exist) or `./skm.toml` (when present), then the
    /// environment.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut values: BTreeMap<&'static str, Value> = BTreeMap::new();
        let default_file = Path::new("skm.toml");
        let file = file.or_else(|| default_file.exists().then_some(default_file));
        if let Some(path) = file {
            read_file(path, &mut values)?;
        }
        let env: BTreeMap<String, String> = env.into_iter().collect();
        let mut unknown = Vec::new();
        for (var, text) in &env {
            if !var.starts_with("SKM_") || var.starts_with("SKM_TEST_") || NOT_SETTINGS.contains(&var.as_str()) {
                continue;
            }
            match SETTINGS.iter().find(|s| s.1 == var) {
                Some(setting) => {
                    values.insert(setting.0, Value { text: text.clone(), origin: var.clone() });
                }
                None => unknown.push(var.clone()),
            }
        }
        // `Authorization: Bearer ${SKM_GATEWAY_TOKEN}`: a variable the gateway settings name is
        // not a misspelt setting
        let named: Vec<String> = ["gateway_url", "gateway_headers"]
            .iter()
            .filter_map(|key| values.get(key))
            .flat_map(|v| gateway_rules::env_references(&v.text))
            .collect();
        if let Some(var) = unknown.into_iter().find(|var| !named.contains(var)) {
            return Err(ConfigError::Unknown { origin: "environment".into(), name: var });
        }
        Self::from_values(values, &|name: &str| env.get(name).cloned())
    }

    fn from_values(
        mut values: BTreeMap<&'static str, Value>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut take = |name: &'static str| values.remove(name);
        let invalid = |value: &Value, name: &str, reason: String| ConfigError::Invalid {
            origin: value.origin.clone(),
            name: name.to_string(),
            reason,
        };
        let parse = |value: Option<Value>, name: &str, default: &str, what: &str| -> Result<String, ConfigError> {
            match value {
                None => Ok(default.to_string()),
                Some(v) if v.text.trim().is_empty() => Err(invalid(&v, name, format!("must not be empty ({what})"))),
                Some(v) => Ok(v.text),
            }
        };
        let number = |value: Option<Value>, name: &str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match value {
                None => Ok(default),
                Some(v) => match v.text.trim().parse::<u64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(invalid(&v, name, format!("'{}' is not a whole number ≥ {min}", v.text))),
                },
            }
        };

        let database_url =
            SecretString::from(parse(take("database_url"), "database_url", "skm.db", "a file path or URL")?);
        let read_database_url = read_database_url(take("read_database_url"), database_url.expose_secret())?;
        let listen_value = take("listen");
        let listen: SocketAddr =
            match listen_value {
                None => SocketAddr::from(([127, 0, 0, 1], 8080)),
                Some(v) => v.text.trim().parse().map_err(|_| {
                    invalid(&v, "listen", format!("'{}' is not an address like 127.0.0.1:8080", v.text))
                })?,
            };
        let base_url = match take("base_url") {
            None => format!("http://{listen}"),
            Some(v) if v.text.starts_with("http://") || v.text.starts_with("https://") => {
                v.text.trim_end_matches('/').to_string()
            }
            Some(v) => {
                return Err(invalid(&v, "base_url", format!("'{}' must start with http:// or https://", v.text)))
            }
        };
        let timezone: Tz = match take("timezone") {
            None => chrono_tz::Asia::Makassar,
            Some(v) => v.text.trim().parse().map_err(|_| {
                invalid(&v, "timezone", format!("'{}' is not an IANA time zone like Asia/Makassar", v.text))
            })?,
        };
        let templates_dir = match take("templates_dir") {
            None => None,
            Some(v) if Path::new(&v.text).is_dir() => Some(PathBuf::from(v.text)),
            Some(v) => return Err(invalid(&v, "templates_dir", format!("'{}' is not a folder", v.text))),
        };
        let default_template = parse(
            take("default_template"),
            "default_template",
            crate::domain::template::DEFAULT_TEMPLATE,
            "a template id",
        )?;
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let workers = number(take("workers"), "workers", cpus, 1)? as usize;
        let pool_size = number(take("pool_size"), "pool_size", workers as u64 + 4, 1)?;
        let pool_size = u32::try_from(pool_size).unwrap_or(u32::MAX);
        let pool_timeout_ms = number(take("pool_timeout_ms"), "pool_timeout_ms", 5000, 1)?;
        let log = parse(take("log"), "log", "info", "a log filter")?;
        let log_format = match take("log_format") {
            None => LogFormat::Text,
            Some(v) => match v.text.trim() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => return Err(invalid(&v, "log_format", format!("'{other}' is not text or json"))),
            },
        };
        let metrics_token =
            SecretString::from(take("metrics_token").map(|v| v.text.trim().to_string()).unwrap_or_default());
        let shutdown_timeout_secs = number(take("shutdown_timeout_secs"), "shutdown_timeout_secs", 30, 1)?;
        let progress_interval_ms = number(take("progress_interval_ms"), "progress_interval_ms", 5000, 1)?;
        let mut small = |name: &'static str, default: u64, min: u64| -> Result<u32, ConfigError> {
            let value = take(name);
            let origin = value.as_ref().map(|v| v.origin.clone());
            let n = number(value, name, default, min)?;
            u32::try_from(n).map_err(|_| ConfigError::Invalid {
                origin: origin.unwrap_or_default(),
                name: name.to_string(),
                reason: format!("{n} is too large"),
            })
        };
        let form_token_minutes = small("form_token_minutes", 240, 1)?;
        let rate_limit_per_minute = small("rate_limit_per_minute", 20, 1)?;
        let group_commit_max = small("group_commit_max", 64, 0)?;
        let group_commit_window_us = small("group_commit_window_us", 0, 0)?;
        let form_cache_ms = small("form_cache_ms", 1000, 0)?;
        let api_key_rate_per_minute = small("api_key_rate_per_minute", 600, 1)?;
        let burst_threshold = small("burst_threshold", 3, 0)?;
        let burst_window_minutes = small("burst_window_minutes", 10, 1)?;
        let kiosk_reset_seconds = small("kiosk_reset_seconds", 8, 1)?;
        let tv_seconds = small("tv_seconds", 20, 1)?;
        let rollup_minutes = small("rollup_minutes", 5, 1)?;
        let scorecard_min_responses = small("scorecard_min_responses", 10, 1)?;
        let timeout_secs = small("smtp_timeout_secs", 20, 1)?.into();
        let day = small("mail_day", 1, 1)?;
        let hour = small("mail_hour", 7, 0)?;
        let invitation_expiry_days =
            match take("invitation_expiry_days") {
                None => 14,
                Some(v) => v.text.trim().parse::<u32>().ok().filter(|d| (1..=365).contains(d)).ok_or_else(|| {
                    invalid(&v, "invitation_expiry_days", format!("'{}' is not 1 to 365 days", v.text))
                })?,
            };
        let device_answer_window_days = match take("device_answer_window_days") {
            None => 30,
            Some(v) => v.text.trim().parse::<u32>().ok().filter(|d| (1..=366).contains(d)).ok_or_else(|| {
                invalid(&v, "device_answer_window_days", format!("'{}' is not 1 to 366 days", v.text))
            })?,
        };
        let smtp_host = take("smtp_host").map(|v| v.text.trim().to_string()).unwrap_or_default();
        let smtp_port = match take("smtp_port") {
            None => 587,
            Some(v) => v
                .text
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid(&v, "smtp_port", format!("'{}' is not a port", v.text)))?,
        };
        let smtp_security = match take("smtp_security") {
            None => SmtpSecurity::Starttls,
            Some(v) => match v.text.trim() {
                "starttls" => SmtpSecurity::Starttls,
                "tls" => SmtpSecurity::Tls,
                "none" => SmtpSecurity::None,
                other => return Err(invalid(&v, "smtp_security", format!("'{other}' is not starttls, tls or none"))),
            },
        };
        let smtp_user = take("smtp_user").map(|v| v.text).unwrap_or_default();
        let smtp_password = SecretString::from(take("smtp_password").map(|v| v.text).unwrap_or_default());
        let from = match take("mail_from") {
            None => "SKM <skm@localhost>".to_string(),
            Some(v) if v.text.contains('@') => v.text,
            Some(v) => {
                return Err(invalid(
                    &v,
                    "mail_from",
                    format!("'{}' is not an address like SKM <skm@kutaitimurkab.go.id>", v.text),
                ))
            }
        };
        if day > 28 || hour > 23 {
            return Err(ConfigError::Invalid {
                origin: "mail_day/mail_hour".into(),
                name: "mail_day".into(),
                reason: "day 1–28 (every month has it), hour 0–23".into(),
            });
        }
        let mail = MailSettings {
            smtp_host,
            smtp_port,
            smtp_security,
            smtp_user,
            smtp_password,
            from,
            timeout_secs,
            day,
            hour,
        };
        let logo = match take("logo") {
            None => None,
            // by its first bytes, as an uploaded logo is
            Some(v) if std::fs::read(&v.text).is_ok_and(|bytes| crate::images::ImageKind::sniff(&bytes).is_some()) => {
                Some(PathBuf::from(v.text))
            }
            Some(v) => return Err(invalid(&v, "logo", format!("'{}' is not a PNG or JPEG file", v.text))),
        };
        let dashboard_period = match take("dashboard_period") {
            None => DashboardPeriod::LastComplete,
            Some(v) => match v.text.trim() {
                "last_complete" => DashboardPeriod::LastComplete,
                "running" => DashboardPeriod::Running,
                other => {
                    return Err(invalid(&v, "dashboard_period", format!("'{other}' is not last_complete or running")))
                }
            },
        };
        let trusted_proxies = match take("trusted_proxies") {
            None => Vec::new(),
            Some(v) => v
                .text
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.parse().map_err(|_| invalid(&v, "trusted_proxies", format!("'{a}' is not an IP address"))))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let gateway = gateway_settings(&mut take, env)?;
        Ok(Config {
            database_url,
            read_database_url,
            listen,
            base_url,
            timezone,
            templates_dir,
            default_template,
            workers,
            pool_size,
            pool_timeout_ms,
            group_commit_max,
            group_commit_window_us,
            form_cache_ms,
            log,
            log_format,
            metrics_token,
            shutdown_timeout_secs,
            progress_interval_ms,
            form_token_minutes,
            rate_limit_per_minute,
            api_key_rate_per_minute,
            burst_threshold,
            burst_window_minutes,
            kiosk_reset_seconds,
            tv_seconds,
            rollup_minutes,
            trusted_proxies,
            logo,
            dashboard_period,
            mail,
            scorecard_min_responses,
            invitation_expiry_days,
            device_answer_window_days,
            gateway,
        })
    }
}

/// The `gateway_*` settings, or `None` when `gateway_url` is empty. Every mistake stops start-up
/// here, naming the setting: an unknown placeholder, a missing environment variable, a body
/// with GET.
fn gateway_settings(
    take: &mut impl FnMut(&'static str) -> Option<Value>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<GatewaySettings>, ConfigError> {
    let invalid = |value: &Value, name: &str, reason: String| ConfigError::Invalid {
        origin: value.origin.clone(),
        name: name.to_string(),
        reason,
    };
    let (url, method, headers, body, timeout, attempts, base) = (
        take("gateway_url"),
        take("gateway_method"),
        take("gateway_headers"),
        take("gateway_body"),
        take("gateway_timeout_secs"),
        take("gateway_max_attempts"),
        take("gateway_retry_base_ms"),
    );
    let Some(url) = url.filter(|v| !v.text.trim().is_empty()) else { return Ok(None) };
    let url_text = url.text.trim();
    if !(url_text.starts_with("http://") || url_text.starts_with("https://")) {
        return Err(invalid(&url, "gateway_url", "must start with http:// or https://".into()));
    }
    let host = gateway_rules::host_of(url_text);
    let url_template = Template::parse(url_text)
        .and_then(|t| t.resolve_env(env))
        .map_err(|e| invalid(&url, "gateway_url", e.to_string()))?;
    let sample = gateway_rules::Values {
        link: "https://skm.example.go.id/u/contoh",
        unit: "Dinas Contoh",
        service: "Layanan Contoh",
        phone: "+6281234567890",
        phone_digits: "6281234567890",
    };
    if url_template.render(&sample, Encoding::Percent).parse::<ureq::http::Uri>().is_err() {
        return Err(invalid(&url, "gateway_url", "is not a valid URL".into()));
    }
    let method = match &method {
        None => GatewayMethod::Post,
        Some(v) => match v.text.trim().to_ascii_uppercase().as_str() {
            "POST" => GatewayMethod::Post,
            "PUT" => GatewayMethod::Put,
            "GET" => GatewayMethod::Get,
            other => return Err(invalid(v, "gateway_method", format!("'{other}' is not POST, PUT or GET"))),
        },
    };
    let header_lines = match &headers {
        None => vec![("Content-Type".to_string(), "application/json".to_string())],
        Some(v) => {
            gateway_rules::parse_headers(&v.text, env).map_err(|e| invalid(v, "gateway_headers", e.to_string()))?
        }
    };
    let encoding = header_lines
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map_or(Encoding::Raw, |(_, value)| Encoding::of_content_type(value));
    let body = match (&body, method) {
        (Some(v), GatewayMethod::Get) if !v.text.trim().is_empty() => {
            return Err(invalid(v, "gateway_body", "GET sends no body: put the placeholders in gateway_url".into()))
        }
        (_, GatewayMethod::Get) => Template::parse("").map_err(|e| invalid(&url, "gateway_body", e.to_string()))?,
        (None, _) => Template::parse(GATEWAY_DEFAULT_BODY).map_err(|e| invalid(&url, "gateway_body", e.to_string()))?,
        (Some(v), _) => Template::parse(&v.text).map_err(|e| invalid(v, "gateway_body", e.to_string()))?,
    };
    let number = |value: Option<Value>, name: &str, default: u64, range: std::ops::RangeInclusive<u64>| match value {
        None => Ok(default),
        Some(v) => match v.text.trim().parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(invalid(
                &v,
                name,
                format!("'{}' is not a whole number from {} to {}", v.text, range.start(), range.end()),
            )),
        },
    };
    let timeout = Duration::from_secs(number(timeout, "gateway_timeout_secs", 10, 1..=300)?);
    let max_attempts = u32::try_from(number(attempts, "gateway_max_attempts", 5, 1..=20)?).unwrap_or(20);
    let retry_base = Duration::from_millis(number(base, "gateway_retry_base_ms", 2000, 1..=600_000)?);
    Ok(Some(GatewaySettings {
        url: url_template,
        host,
        method,
        headers: header_lines.into_iter().map(|(name, value)| (name, SecretString::from(value))).collect(),
        body,
        encoding,
        timeout,
        max_attempts,
        retry_base,
        queue_capacity: GATEWAY_QUEUE_CAPACITY,
    }))
}

/// A replica holds what the primary wrote: only a PostgreSQL primary has one, and only a
/// postgres:// URL reaches it (a SQLite path would be a second, empty database).
fn read_database_url(value: Option<Value>, database_url: &str) -> Result<Option<SecretString>, ConfigError> {
    let Some(value) = value.filter(|v| !v.text.trim().is_empty()) else { return Ok(None) };
    let invalid = |reason: &str| ConfigError::Invalid {
        origin: value.origin.clone(),
        name: "read_database_url".into(),
        reason: reason.into(),
    };
    // the schemes `db::Backend::of` takes for PostgreSQL (config sits below db)
    let postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
    let url = value.text.trim();
    if !postgres(url) {
        return Err(invalid("must be a postgres:// URL (a streaming replica of the PostgreSQL database)"));
    }
    if !postgres(database_url) {
        return Err(invalid("needs a PostgreSQL database_url: SQLite has no read replicas"));
    }
    Ok(Some(SecretString::from(url.to_string())))
}

fn read_file(path: &Path, values: &mut BTreeMap<&'static str, Value>) -> Result<(), ConfigError> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError::File { path: shown.clone(), reason: e.to_string() })?;
    let table: BTreeMap<String, toml::Spanned<toml::Value>> = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(&text, s.start));
        ConfigError::File { path: format!("{shown}:{line}"), reason: e.message().trim().to_string() }
    })?;
    for (key, spanned) in table {
        let origin = format!("{shown}:{}", line_of(&text, spanned.span().start));
        let Some(setting) = SETTINGS.iter().find(|s| s.0 == key) else {
            return Err(ConfigError::Unknown { origin, name: key });
        };
        let text = match spanned.into_inner() {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            other => {
                return Err(ConfigError::Invalid {
                    origin,
                    name: key,
                    reason: format!("expected a string or a whole number, found {}", other.type_str()),
                })
            }
        };
        values.insert(setting.0, Value { text, origin });
    }
    Ok(())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The host of an `http://` or `https://` URL is this machine or no machine.
fn host_is_local(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => {
            v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
        }
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn runs_with_nothing_set() {
        let dir = tempfile::tempdir().expect("tmp");
        let empty = dir.path().join("skm.toml");
        std::fs::write(&empty, "").expect("write");
        let c = Config::load(Some(&empty), env(&[])).expect("defaults");
        assert_eq!(c.database_url.expose_secret(), "skm.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.timezone, chrono_tz::Asia::Makassar);
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.dashboard_period, DashboardPeriod::LastComplete);
    }

    #[test]
    fn the_dashboard_period_is_last_complete_or_running() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "dashboard_period = \"running\"\n").expect("write");
        assert_eq!(Config::load(Some(&path), env(&[])).expect("valid").dashboard_period, DashboardPeriod::Running);
        let c = Config::load(Some(&path), env(&[("SKM_DASHBOARD_PERIOD", "last_complete")])).expect("valid");
        assert_eq!(c.dashboard_period, DashboardPeriod::LastComplete);
        let err = Config::load(Some(&path), env(&[("SKM_DASHBOARD_PERIOD", "last-month")])).expect_err("typo");
        assert_eq!(
            err.to_string(),
            "SKM_DASHBOARD_PERIOD: setting 'dashboard_period': 'last-month' is not last_complete or running"
        );
    }

    #[test]
    fn a_read_replica_is_a_postgres_url_beside_a_postgres_primary() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "").expect("write");
        let load = |pairs: &[(&str, &str)]| Config::load(Some(&path), env(pairs));
        assert!(load(&[]).expect("defaults").read_database_url.is_none());
        let primary = ("SKM_DATABASE_URL", "postgres://skm:sandi@db1/skm");
        let none = load(&[primary, ("SKM_READ_DATABASE_URL", " ")]).expect("empty: none");
        assert!(none.read_database_url.is_none());
        let set = load(&[primary, ("SKM_READ_DATABASE_URL", "postgresql://skm:sandi-replika@db2/skm")]).expect("set");
        assert_eq!(
            set.read_database_url.as_ref().map(|u| u.expose_secret()),
            Some("postgresql://skm:sandi-replika@db2/skm")
        );
        assert!(!format!("{set:?}").contains("sandi-replika"), "the replica's password is not shown");
        assert_eq!(
            load(&[primary, ("SKM_READ_DATABASE_URL", "replika.db")]).expect_err("a file").to_string(),
            "SKM_READ_DATABASE_URL: setting 'read_database_url': must be a postgres:// URL (a streaming replica of the PostgreSQL database)"
        );
        assert_eq!(
            load(&[("SKM_READ_DATABASE_URL", "postgres://db2/skm")]).expect_err("beside SQLite").to_string(),
            "SKM_READ_DATABASE_URL: setting 'read_database_url': needs a PostgreSQL database_url: SQLite has no read replicas"
        );
    }

    #[test]
    fn secrets_are_read_but_never_shown() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "smtp_password = \"kata-sandi-smtp\"\n").expect("write");
        let c = Config::load(
            Some(&path),
            env(&[("SKM_METRICS_TOKEN", "token-metrik"), ("SKM_DATABASE_URL", "postgres://skm:sandi-db@db/skm")]),
        )
        .expect("valid");
        assert_eq!(c.database_url.expose_secret(), "postgres://skm:sandi-db@db/skm");
        assert_eq!(c.mail.smtp_password.expose_secret(), "kata-sandi-smtp");
        assert_eq!(c.metrics_token.expose_secret(), "token-metrik");
        let shown = format!("{c:?}");
        for secret in ["kata-sandi-smtp", "token-metrik", "sandi-db"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\npool_size = 3\n").expect("write");
        let c = Config::load(Some(&path), env(&[("SKM_LISTEN", "127.0.0.1:9001"), ("PATH", "/bin")])).expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(c.pool_size, 3);
    }

    #[test]
    fn a_sqlite_pool_has_room_for_a_whole_group_commit() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "pool_size = 3\n").expect("write");
        let load = |pairs: &[(&str, &str)]| Config::load(Some(&path), env(pairs)).expect("valid");
        assert_eq!(load(&[]).pool_connections(), 3 + 64, "waiting requests hold their connections");
        assert_eq!(load(&[("SKM_GROUP_COMMIT_MAX", "0")]).pool_connections(), 3, "no group commit");
        let postgres = load(&[("SKM_DATABASE_URL", "postgres://skm@db/skm")]);
        assert_eq!(postgres.pool_connections(), 3, "PostgreSQL writes on the request's own connection");
    }

    #[test]
    fn bad_values_name_the_setting_and_where_it_came_from() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "\ntimezone = \"Mars/Olympus\"\n").expect("write");
        let err = Config::load(Some(&path), env(&[])).expect_err("bad zone").to_string();
        assert!(err.contains("skm.toml:2") && err.contains("timezone") && err.contains("Mars/Olympus"), "{err}");

        let err = Config::load(Some(&path), env(&[("SKM_TIMEZONE", "Asia/Makassar"), ("SKM_LISTEN", "nope")]))
            .expect_err("bad listen")
            .to_string();
        assert_eq!(err, "SKM_LISTEN: setting 'listen': 'nope' is not an address like 127.0.0.1:8080");

        let err = Config::load(Some(&path), env(&[("SKM_DATABSE_URL", "x")])).expect_err("typo").to_string();
        assert!(err.contains("SKM_DATABSE_URL"), "{err}");

        std::fs::write(&path, "workers = 0\n").expect("write");
        let err = Config::load(Some(&path), env(&[])).expect_err("zero").to_string();
        assert!(err.contains("workers") && err.contains("≥ 1"), "{err}");

        std::fs::write(&path, "listen = [1]\n").expect("write");
        assert!(Config::load(Some(&path), env(&[])).is_err());
        std::fs::write(&path, "listen = \n").expect("write");
        let err = Config::load(Some(&path), env(&[])).expect_err("syntax").to_string();
        assert!(err.contains("skm.toml:1"), "{err}");
    }
    #[test]
    fn the_gateway_is_off_unless_its_url_is_set() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "").expect("write");
        assert!(Config::load(Some(&path), env(&[])).expect("defaults").gateway.is_none());
        let off = Config::load(Some(&path), env(&[("SKM_GATEWAY_URL", " "), ("SKM_GATEWAY_METHOD", "PATCH")]));
        assert!(off.expect("empty url: off, the rest unread").gateway.is_none());
        let on = Config::load(Some(&path), env(&[("SKM_GATEWAY_URL", "https://wa.example.co.id/kirim")])).expect("on");
        let gateway = on.gateway.expect("configured");
        assert_eq!((gateway.method, gateway.encoding), (GatewayMethod::Post, Encoding::Json));
        assert_eq!(
            (gateway.max_attempts, gateway.timeout, gateway.retry_base),
            (5, Duration::from_secs(10), Duration::from_secs(2))
        );
        assert_eq!(gateway.host, "https://wa.example.co.id");
    }

    #[test]
    fn gateway_secrets_come_from_the_environment_and_are_never_shown() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(
            &path,
            "gateway_url = \"https://sms.example.id/api?key=${GW_KEY}&to={{phone_digits}}\"\n\
             gateway_method = \"get\"\n\
             gateway_headers = \"\"\"\nAuthorization: Bearer ${SKM_GATEWAY_TOKEN}\nAccept: application/json\n\"\"\"\n",
        )
        .expect("write");
        let c = Config::load(Some(&path), env(&[("SKM_GATEWAY_TOKEN", "token-rahasia"), ("GW_KEY", "kunci-rahasia")]))
            .expect("SKM_GATEWAY_TOKEN is named by a header, not a misspelt setting");
        let gateway = c.gateway.clone().expect("configured");
        assert_eq!(gateway.method, GatewayMethod::Get);
        assert_eq!(gateway.headers[0].1.expose_secret(), "Bearer token-rahasia");
        let shown = format!("{c:?}");
        assert!(!shown.contains("token-rahasia") && !shown.contains("kunci-rahasia"), "{shown}");
        assert!(shown.contains("https://sms.example.id") && shown.contains("Authorization"), "{shown}");

        let err = Config::load(Some(&path), env(&[("SKM_GATEWAY_TOKEN", "t")])).expect_err("GW_KEY missing");
        assert_eq!(
            err.to_string(),
            format!(
                "{}:1: setting 'gateway_url': the environment variable GW_KEY (named as ${{GW_KEY}}) is not set",
                path.display()
            )
        );
        let err = Config::load(Some(&path), env(&[("GW_KEY", "k")])).expect_err("token missing").to_string();
        assert!(
            err.contains("gateway_headers") && err.contains("line 1") && err.contains("SKM_GATEWAY_TOKEN"),
            "{err}"
        );
        let err =
            Config::load(Some(&path), env(&[("GW_KEY", "k"), ("SKM_GATEWAY_TOKEN", "t"), ("SKM_GATEWAY_TOKN", "t")]))
                .expect_err("a variable no setting names");
        assert!(err.to_string().contains("unknown setting 'SKM_GATEWAY_TOKN'"), "{err}");
    }

    #[test]
    fn a_bad_gateway_setting_stops_start_up_naming_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("skm.toml");
        std::fs::write(&path, "gateway_url = \"https://wa.example.id/send\"\n").expect("write");
        let load =
            |pairs: &[(&str, &str)]| Config::load(Some(&path), env(pairs)).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            load(&[("SKM_GATEWAY_BODY", "{\"to\":\"{{phone}}\",\"text\":\"{{tautan}}\"}")]),
            Err("SKM_GATEWAY_BODY: setting 'gateway_body': unknown placeholder {{tautan}} (known: {{link}}, {{unit}}, {{service}}, {{phone}}, {{phone_digits}})".into())
        );
        assert_eq!(
            load(&[("SKM_GATEWAY_METHOD", "GET"), ("SKM_GATEWAY_BODY", "{{link}}")]),
            Err("SKM_GATEWAY_BODY: setting 'gateway_body': GET sends no body: put the placeholders in gateway_url"
                .into())
        );
        assert!(
            load(&[("SKM_GATEWAY_METHOD", "DELETE")]).is_err_and(|e| e.contains("'DELETE' is not POST, PUT or GET"))
        );
        assert!(load(&[("SKM_GATEWAY_URL", "wa.example.id")]).is_err_and(|e| e.contains("http://")));
        assert!(load(&[("SKM_GATEWAY_URL", "https://wa example.id/")]).is_err_and(|e| e.contains("not a valid URL")));
        assert!(load(&[("SKM_GATEWAY_HEADERS", "Authorization")]).is_err_and(|e| e.contains("expected 'Name: value'")));
        assert!(load(&[("SKM_GATEWAY_MAX_ATTEMPTS", "0")]).is_err_and(|e| e.contains("gateway_max_attempts")));
        assert!(load(&[("SKM_GATEWAY_TIMEOUT_SECS", "x")]).is_err_and(|e| e.contains("gateway_timeout_secs")));
        let form = Config::load(
            Some(&path),
            env(&[
                ("SKM_GATEWAY_HEADERS", "Content-Type: application/x-www-form-urlencoded"),
                ("SKM_GATEWAY_BODY", "to={{phone}}"),
            ]),
        )
        .expect("form");
        assert_eq!(form.gateway.expect("on").encoding, Encoding::Percent);
    }

    #[test]
    fn a_loopback_or_unset_base_url_is_local() {
        for local in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://localhost:8080/",
            "https://LOCALHOST.",
            "http://skm.localhost",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]",
            "http://0.0.0.0:8080",
            "http://[::]:80",
            "http://user@127.0.0.1/skm",
        ] {
            assert!(host_is_local(local), "{local}");
        }
        for public in [
            "https://skm.kutaitimurkab.go.id",
            "http://10.1.2.3:8080",
            "http://192.168.1.20",
            "https://localhost.example.go.id",
            "http://[2001:db8::1]:8080",
            "http://127.0.0.1.nip.io",
        ] {
            assert!(!host_is_local(public), "{public}");
        }
        let dir = tempfile::tempdir().expect("tmp");
        let empty = dir.path().join("skm.toml");
        std::fs::write(&empty, "").expect("write");
        let unset = Config::load(Some(&empty), env(&[])).expect("defaults");
        assert!(unset.base_url_is_local(), "the default listen address is loopback");
        let everywhere = Config::load(Some(&empty), env(&[("SKM_LISTEN", "0.0.0.0:8080")])).expect("listen");
        assert!(everywhere.base_url_is_local(), "{}", everywhere.base_url);
        let set = Config::load(Some(&empty), env(&[("SKM_BASE_URL", "https://skm.example.go.id")])).expect("set");
        assert!(!set.base_url_is_local());
    }
}
