//! Prometheus metrics (`GET /metrics`, OpenMetrics text): requests by route and status, latency
//! per route, stored submissions by channel, database pool use and the e-mail queue. Off unless
//! `metrics_token` is set; scrapers send it as a bearer token.

use super::error::WebError;
use super::AppState;
use crate::db;
use crate::security::{hmac_sha256, verify_hmac};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    submissions: Family<Labels, Counter>,
    pool: Family<Labels, Gauge>,
    email: Family<Labels, Gauge>,
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
        let email = Family::<Labels, Gauge>::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("submissions", "responses stored by this instance, by channel", submissions.clone());
        registry.register("db_pool_connections", "database connections of this instance by state", pool.clone());
        registry.register("email_messages", "monthly e-mails in the log by status (all instances)", email.clone());
        Metrics { registry, requests, latency, submissions, pool, email }
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

    pub fn submitted(&self, channel: &str, count: u64) {
        self.submissions.get_or_create(&vec![("channel", channel.to_string())]).inc_by(count);
    }

    fn render(&self, pool: diesel::r2d2::State, max: u32, email: &[(String, i64)]) -> Result<String, std::fmt::Error> {
        let idle = i64::from(pool.idle_connections);
        let gauge = |state: &str| self.pool.get_or_create(&vec![("state", state.to_string())]).clone();
        gauge("idle").set(idle);
        gauge("in_use").set(i64::from(pool.connections) - idle);
        gauge("max").set(i64::from(max));
        for status in ["pending", "sent", "failed"] {
            let count = email.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
            self.email.get_or_create(&vec![("status", status.to_string())]).set(count);
        }
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
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
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(serde_json::json!({"error": "unauthorized", "reason": "send the metrics token as a bearer token"})));
    }
    let email = super::blocking(&state, |_, conn| db::mail_log::status_counts(conn)).await?;
    let text = state
        .metrics
        .render(state.pool.state(), state.pool.max_size(), &email)
        .map_err(|e| WebError::Internal(format!("metrics encoding: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}
