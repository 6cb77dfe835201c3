//! Prometheus metrics (`GET /metrics`): requests by route and status, latency per route, stored
//! submissions by channel, database pool use, the e-mail queue and the SMS/WhatsApp gateway. Off unless `metrics_token` is
//! set; scrapers send it as a bearer token. The format follows the `Accept` header: OpenMetrics
//! 1.0.0 for a scraper that prefers it (Prometheus does), the classic text format 0.0.4 for
//! everything else (promtool, older parsers, curl).

use super::error::WebError;
use super::problem::{Problem, ProblemCode};
use super::AppState;
use crate::db;
use crate::gateway::GatewayCounters;
use crate::security::{hmac_sha256, verify_hmac};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use secrecy::ExposeSecret;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    submissions: Family<Labels, Counter>,
    pool: Family<Labels, Gauge>,
    /// the read replica's pool (`read_database_url`); all 0 without one
    replica_pool: Family<Labels, Gauge>,
    email: Family<Labels, Gauge>,
    /// uploads refused because their device was revoked (issue 20)
    device_refusals: Counter,
    /// the SMS/WhatsApp gateway's deliveries, counted by `crate::gateway`
    pub gateway: GatewayCounters,
}

fn latency_histogram() -> Histogram {
    // 1 ms … about 8 s
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("skm");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let submissions = Family::<Labels, Counter>::default();
        let pool = Family::<Labels, Gauge>::default();
        let replica_pool = Family::<Labels, Gauge>::default();
        let email = Family::<Labels, Gauge>::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        // the unit makes the name `skm_http_request_duration_seconds` and, in OpenMetrics, its UNIT line
        registry.register_with_unit(
            "http_request_duration",
            "HTTP request latency by route",
            Unit::Seconds,
            latency.clone(),
        );
        registry.register("submissions", "responses stored by this instance, by channel", submissions.clone());
        registry.register("db_pool_connections", "database connections of this instance by state", pool.clone());
        registry.register(
            "db_replica_pool_connections",
            "read replica connections of this instance by state (with read_database_url)",
            replica_pool.clone(),
        );
        registry.register("email_messages", "monthly e-mails in the log by status (all instances)", email.clone());
        let device_refusals = Counter::default();
        registry.register(
            "device_refused_requests",
            "requests from revoked kiosk or enumerator devices, refused by this instance",
            device_refusals.clone(),
        );
        let gateway = GatewayCounters::default();
        gateway.register(&mut registry);
        Metrics { registry, requests, latency, submissions, pool, replica_pool, email, device_refusals, gateway }
    }
}

impl Metrics {
    /// `method` is any token a client sent: only the ones the site serves get their own series,
    /// so no one can grow the metrics by inventing methods.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = match method {
            "GET" | "HEAD" | "POST" => method,
            _ => "other",
        };
        let labels = vec![("method", method.to_string()), ("route", route.to_string()), ("status", status.to_string())];
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&vec![("route", route.to_string())]).observe(elapsed.as_secs_f64());
    }

    pub fn device_refused(&self) {
        self.device_refusals.inc();
    }

    pub fn submitted(&self, channel: &str, count: u64) {
        self.submissions.get_or_create(&vec![("channel", channel.to_string())]).inc_by(count);
    }

    fn render(
        &self,
        format: Format,
        pool: &db::Pool,
        replica_pool: Option<&db::Pool>,
        email: &[(String, i64)],
    ) -> Result<String, std::fmt::Error> {
        for (family, pool) in [(&self.pool, Some(pool)), (&self.replica_pool, replica_pool)] {
            let (connections, idle, max) = pool.map_or((0, 0, 0), |p| {
                let state = p.state();
                (i64::from(state.connections), i64::from(state.idle_connections), i64::from(p.max_size()))
            });
            let gauge = |name: &str| family.get_or_create(&vec![("state", name.to_string())]).clone();
            gauge("idle").set(idle);
            gauge("in_use").set(connections - idle);
            gauge("max").set(max);
        }
        for status in ["pending", "sent", "failed"] {
            let count = email.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
            self.email.get_or_create(&vec![("status", status.to_string())]).set(count);
        }
        let mut out = String::new();
        match format {
            Format::OpenMetrics => text::encode(&mut out, &self.registry)?,
            Format::Text => prometheus_text::encode(&mut out, &self.registry)?,
        }
        Ok(out)
    }
}

/// `GET /metrics`
pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let expected = state.config.metrics_token.expose_secret();
    if expected.is_empty() {
        return Err(WebError::NotFound);
    }
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let given = given.strip_prefix("Bearer ").unwrap_or("");
    // A constant-time comparison of keyed digests: the time taken says nothing about the token.
    let key = b"skm metrics token";
    if !verify_hmac(key, given.as_bytes(), &hmac_sha256(key, expected.as_bytes())) {
        let mut response =
            Problem::new(ProblemCode::Unauthorized, "send the metrics token as a bearer token").response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return Ok(response);
    }
    let format = Format::negotiate(req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let email = super::blocking(&state, |_, conn| db::mail_log::status_counts(conn)).await?;
    let text = state
        .metrics
        .render(format, &state.pool, state.read_pool.as_ref(), &email)
        .map_err(|e| WebError::Internal(format!("metrics encoding: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// The two text formats a scrape can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    /// the Prometheus text format 0.0.4: what a client gets that does not ask for OpenMetrics
    Text,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Text => prometheus_text::CONTENT_TYPE,
        }
    }

    /// The format an `Accept` header prefers (RFC 9110 §12.5.1: the most specific range that
    /// matches a format gives its weight; the higher weight wins, and on a tie the one listed
    /// first). No header, one naming neither format (protobuf, JSON) or one refusing both gets
    /// the text format, as Prometheus' own client libraries answer: a scrape never fails on
    /// negotiation.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let ranges: Vec<MediaRange> =
            accept.into_iter().flat_map(|a| a.split(',')).filter_map(MediaRange::parse).collect();
        let best = |format: Format| {
            ranges
                .iter()
                .enumerate()
                .filter_map(|(position, range)| range.specificity(format).map(|s| (s, position, range.q)))
                // the most specific range, the first of equally specific ones
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
                .map(|(_, position, q)| (q, position))
        };
        match (best(Format::OpenMetrics), best(Format::Text)) {
            (Some((om, om_at)), text) if om > 0 => match text {
                // on a tie, the first listed; `*/*` alone names both: the default
                Some((t, t_at)) if t > om || (t == om && t_at <= om_at) => Format::Text,
                _ => Format::OpenMetrics,
            },
            _ => Format::Text,
        }
    }
}

/// One element of an `Accept` header: `type/subtype;param=value;q=0.5`.
struct MediaRange {
    kind: String,
    subtype: String,
    version: Option<String>,
    /// the weight in thousandths (q=0.5 is 500)
    q: u16,
}

impl MediaRange {
    fn parse(text: &str) -> Option<MediaRange> {
        let mut parts = text.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let mut range = MediaRange {
            kind: kind.trim().to_ascii_lowercase(),
            subtype: subtype.trim().to_ascii_lowercase(),
            version: None,
            q: 1000,
        };
        for param in parts {
            let Some((name, value)) = param.split_once('=') else { continue };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => range.q = weight(value)?,
                "version" => range.version = Some(value.to_string()),
                _ => {}
            }
        }
        Some(range)
    }

    /// How specifically this range names `format` (2 exactly, 1 by `type/*`, 0 by `*/*`), or
    /// `None` when it does not. A version skm does not write does not match.
    fn specificity(&self, format: Format) -> Option<u8> {
        let (kind, subtype, versions): (&str, &str, &[&str]) = match format {
            // 0.0.1 is OpenMetrics' draft; a 1.0.0 document parses with its parsers
            Format::OpenMetrics => ("application", "openmetrics-text", &["1.0.0", "0.0.1"]),
            Format::Text => ("text", "plain", &["0.0.4"]),
        };
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") => Some(0),
            (k, "*") if k == kind => Some(1),
            (k, s) if k == kind && s == subtype => {
                self.version.as_deref().is_none_or(|v| versions.contains(&v)).then_some(2)
            }
            _ => None,
        }
    }
}

/// `0.5` → 500; anything that is not a weight between 0 and 1 makes the range unreadable.
fn weight(text: &str) -> Option<u16> {
    let value: f64 = text.parse().ok()?;
    (0.0..=1.0).contains(&value).then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::Format::{self, OpenMetrics, Text};

    #[test]
    fn the_accept_header_chooses_the_format() {
        let cases: [(Option<&str>, Format); 12] = [
            (None, Text),
            (Some(""), Text),
            (Some("*/*"), Text),
            (Some("text/plain;version=0.0.4"), Text),
            (Some("application/openmetrics-text"), OpenMetrics),
            // Prometheus 2
            (Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"), OpenMetrics),
            // Prometheus 3
            (Some("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"), OpenMetrics),
            (Some("text/plain;version=0.0.4;q=1, application/openmetrics-text;q=0.5"), Text),
            (Some("application/openmetrics-text;q=0, */*"), Text),
            (Some("application/openmetrics-text; version=2.0.0"), Text),
            (Some("application/json"), Text),
            (Some("application/*, text/plain;q=0.9"), OpenMetrics),
        ];
        for (accept, expected) in cases {
            assert_eq!(Format::negotiate(accept), expected, "{accept:?}");
        }
    }
}
