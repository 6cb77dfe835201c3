//! Sending an invitation's link to a citizen's phone through the regency's SMS/WhatsApp
//! gateway: one HTTP call (`gateway_*` settings) per message, from a worker thread, so the
//! request that asked for it does not wait.
//!
//! The number is used to send and never stored: it lives in the worker's memory until the
//! message is sent or given up, nothing is written to the database, and logs show it masked
//! (`+62812****789`). Messages wait in a bounded queue (`GATEWAY_QUEUE_CAPACITY`, those being
//! retried included); when it is full a new message is dropped, logged and counted. Failed
//! calls (no connection, a timeout, 408, 429, 5xx) are retried after `backoff` waits (longer
//! when a `Retry-After` asks) up to `gateway_max_attempts`; any other status is final.

use crate::config::{GatewayMethod, GatewaySettings};
use crate::domain::gateway::{backoff, retry_after, verdict, Encoding, Values, Verdict};
use crate::domain::phone::Phone;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

/// What the template's `{{link}}`, `{{unit}}` and `{{service}}` become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub link: String,
    pub unit: String,
    pub service: String,
}

/// What became of a message handed to [`Gateway::dispatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// it will be sent (or retried until `gateway_max_attempts`) in the background
    Queued,
    /// the queue was full: not sent, counted as `dropped`
    Dropped,
}

/// The gateway's answer to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// the start of the answer's body, for `skm gateway test`
    pub body: String,
    retry_after: Option<Duration>,
}

#[derive(Debug, Error)]
pub enum GatewayError {
    /// the call did not get an answer; the reason names no URL, header or number
    #[error("no answer from the gateway: {0}")]
    Unreachable(String),
    #[error("the gateway answered {}: {}", .0.status, .0.body)]
    Refused(Answer),
}

/// The gateway's series in `/metrics`: `skm_gateway_deliveries_total{outcome}`,
/// `skm_gateway_attempts_total` and `skm_gateway_queue`.
#[derive(Clone)]
pub struct GatewayCounters {
    deliveries: Family<Vec<(&'static str, String)>, Counter>,
    attempts: Counter,
    queue: Gauge,
}

const OUTCOMES: [&str; 3] = ["sent", "failed", "dropped"];

impl Default for GatewayCounters {
    fn default() -> Self {
        let counters =
            GatewayCounters { deliveries: Family::default(), attempts: Counter::default(), queue: Gauge::default() };
        // every outcome from the start, so a rate over `failed` works before the first failure
        for outcome in OUTCOMES {
            let _ = counters.deliveries.get_or_create(&vec![("outcome", outcome.to_string())]);
        }
        counters
    }
}

impl GatewayCounters {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "gateway_deliveries",
            "messages to the SMS/WhatsApp gateway by outcome: sent, failed (after the last attempt) or dropped (queue full)",
            self.deliveries.clone(),
        );
        registry.register(
            "gateway_attempts",
            "calls to the SMS/WhatsApp gateway, retries included",
            self.attempts.clone(),
        );
        registry.register(
            "gateway_queue",
            "messages waiting for the SMS/WhatsApp gateway or for a retry",
            self.queue.clone(),
        );
    }

    fn delivered(&self, outcome: &str) {
        self.deliveries.get_or_create(&vec![("outcome", outcome.to_string())]).inc();
    }

    /// How many messages have had `outcome` (`sent`, `failed`, `dropped`).
    pub fn deliveries(&self, outcome: &str) -> u64 {
        self.deliveries.get_or_create(&vec![("outcome", outcome.to_string())]).get()
    }

    pub fn attempts(&self) -> u64 {
        self.attempts.get()
    }
}

struct Job {
    phone: Phone,
    message: Message,
    /// attempts made so far
    attempts: u32,
    due: Instant,
}

struct Shared {
    settings: GatewaySettings,
    agent: ureq::Agent,
    counters: GatewayCounters,
    /// messages queued or waiting for a retry
    pending: AtomicUsize,
}

/// The configured gateway: built once at start-up (`AppState::gateway`), its worker thread ends
/// when it is dropped.
pub struct Gateway {
    jobs: SyncSender<Job>,
    shared: Arc<Shared>,
}

impl Gateway {
    /// Starts the worker thread.
    pub fn start(settings: GatewaySettings, counters: GatewayCounters) -> std::io::Result<Gateway> {
        let (jobs, inbox) = std::sync::mpsc::sync_channel(settings.queue_capacity.max(1));
        let shared = Arc::new(Shared::new(settings, counters));
        let worker = Arc::clone(&shared);
        std::thread::Builder::new().name("skm-gateway".into()).spawn(move || worker.run(inbox))?;
        Ok(Gateway { jobs, shared })
    }

    /// Hands the message to the worker and returns at once.
    pub fn dispatch(&self, phone: Phone, message: Message) -> Dispatch {
        let shared = &self.shared;
        if shared.pending.fetch_add(1, Ordering::SeqCst) >= shared.settings.queue_capacity {
            return shared.drop_one(&phone, "the queue is full");
        }
        match self.jobs.try_send(Job { phone, message, attempts: 0, due: Instant::now() }) {
            Ok(()) => {
                shared.show_queue();
                Dispatch::Queued
            }
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                shared.drop_one(&job.phone, "the gateway worker is not taking messages")
            }
        }
    }

    /// One call now, without retries, on the calling thread (`skm gateway test`): the gateway's
    /// answer, or why there was none.
    pub fn send_now(&self, phone: &Phone, message: &Message) -> Result<Answer, GatewayError> {
        let answer = self.shared.call(phone, message);
        let outcome = match &answer {
            Ok(a) if verdict(a.status) == Verdict::Sent => "sent",
            _ => "failed",
        };
        self.shared.counters.delivered(outcome);
        let answer = answer?;
        match verdict(answer.status) {
            Verdict::Sent => Ok(answer),
            _ => Err(GatewayError::Refused(answer)),
        }
    }

    /// Messages not yet sent or given up.
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::SeqCst)
    }

    pub fn counters(&self) -> &GatewayCounters {
        &self.shared.counters
    }

    /// Scheme and host of the gateway: what may be shown of it.
    pub fn host(&self) -> &str {
        &self.shared.settings.host
    }
}

impl Shared {
    fn new(settings: GatewaySettings, counters: GatewayCounters) -> Shared {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            // a status is an answer to judge, not an error
            .http_status_as_error(false)
            // a redirect is answered as it is (final): a POST is not re-sent elsewhere
            .max_redirects(0)
            .user_agent(concat!("skm/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Shared { settings, agent, counters, pending: AtomicUsize::new(0) }
    }

    /// The worker: attempts what is due, then waits for a new message or the next retry.
    fn run(&self, inbox: Receiver<Job>) {
        let mut waiting: Vec<Job> = Vec::new();
        loop {
            let now = Instant::now();
            if let Some(due) = waiting.iter().position(|job| job.due <= now) {
                let job = waiting.swap_remove(due);
                if let Some(retry) = self.attempt(job) {
                    waiting.push(retry);
                }
                continue;
            }
            let received = match waiting.iter().map(|job| job.due).min() {
                None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(due) => inbox.recv_timeout(due.saturating_duration_since(now)),
            };
            match received {
                Ok(job) => waiting.push(job),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // the server is stopping
        for job in waiting {
            tracing::warn!(phone = %job.phone, attempts = job.attempts, "gateway: not sent, the server stopped");
            self.finish("failed");
        }
    }

    /// One call for `job`; the job again, later, when it should be retried.
    fn attempt(&self, mut job: Job) -> Option<Job> {
        job.attempts += 1;
        let host = &self.settings.host;
        let (reason, asked) = match self.call(&job.phone, &job.message) {
            Ok(answer) => match verdict(answer.status) {
                Verdict::Sent => {
                    tracing::info!(phone = %job.phone, %host, attempts = job.attempts, status = answer.status, "gateway: sent");
                    self.finish("sent");
                    return None;
                }
                Verdict::Permanent => {
                    tracing::warn!(phone = %job.phone, %host, attempts = job.attempts, status = answer.status, "gateway: refused, not retried");
                    self.finish("failed");
                    return None;
                }
                Verdict::Retry => (format!("status {}", answer.status), answer.retry_after),
            },
            Err(GatewayError::Unreachable(reason)) => (reason, None),
            Err(GatewayError::Refused(answer)) => {
                tracing::warn!(phone = %job.phone, %host, status = answer.status, "gateway: refused, not retried");
                self.finish("failed");
                return None;
            }
        };
        if job.attempts >= self.settings.max_attempts {
            tracing::warn!(phone = %job.phone, %host, attempts = job.attempts, %reason, "gateway: failed, no attempts left");
            self.finish("failed");
            return None;
        }
        let wait = backoff(self.settings.retry_base, job.attempts, jitter()).max(asked.unwrap_or_default());
        tracing::info!(phone = %job.phone, %host, attempts = job.attempts, %reason, wait_ms = wait.as_millis() as u64, "gateway: retrying");
        job.due = Instant::now() + wait;
        Some(job)
    }

    /// The request, filled in for this message, and the answer. An answer with any status is
    /// `Ok`; `Refused` only when the request could not be made (a header the HTTP library
    /// refuses): sending it again would not help.
    fn call(&self, phone: &Phone, message: &Message) -> Result<Answer, GatewayError> {
        self.counters.attempts.inc();
        let values = Values {
            link: &message.link,
            unit: &message.unit,
            service: &message.service,
            phone: phone.e164(),
            phone_digits: phone.digits(),
        };
        let url = self.settings.url.render(&values, Encoding::Percent);
        let headers = &self.settings.headers;
        let response = match self.settings.method {
            GatewayMethod::Get => with_headers(self.agent.get(&url), headers).call(),
            GatewayMethod::Post => with_headers(self.agent.post(&url), headers)
                .send(self.settings.body.render(&values, self.settings.encoding).as_bytes()),
            GatewayMethod::Put => with_headers(self.agent.put(&url), headers)
                .send(self.settings.body.render(&values, self.settings.encoding).as_bytes()),
        };
        let mut response = match response {
            Ok(response) => response,
            Err(e) => {
                return Err(match describe(&e) {
                    Some(reason) => GatewayError::Unreachable(reason),
                    None => GatewayError::Refused(Answer {
                        status: 0,
                        body: "the request could not be made (check gateway_url and gateway_headers)".into(),
                        retry_after: None,
                    }),
                })
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, chrono::Utc::now()));
        // enough of the answer to show an operator what the gateway said
        let body: String = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        Ok(Answer { status, body, retry_after })
    }

    fn finish(&self, outcome: &str) {
        self.counters.delivered(outcome);
        self.pending.fetch_sub(1, Ordering::SeqCst);
        self.show_queue();
    }

    fn drop_one(&self, phone: &Phone, reason: &str) -> Dispatch {
        tracing::warn!(%phone, host = %self.settings.host, reason, "gateway: message dropped");
        self.finish("dropped");
        Dispatch::Dropped
    }

    fn show_queue(&self) {
        self.counters.queue.set(i64::try_from(self.pending.load(Ordering::SeqCst)).unwrap_or(i64::MAX));
    }
}

fn with_headers<B>(
    mut request: ureq::RequestBuilder<B>,
    headers: &[(String, secrecy::SecretString)],
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(name.as_str(), value.expose_secret());
    }
    request
}

/// Why a call got no answer, in words that hold no URL (it may carry a key or the number), or
/// `None` when the request itself is at fault and a retry would fail the same way.
fn describe(error: &ureq::Error) -> Option<String> {
    use ureq::Error as E;
    Some(match error {
        E::Io(e) => format!("connection: {e}"),
        E::Timeout(which) => format!("timed out ({which})"),
        E::HostNotFound => "host not found".into(),
        E::ConnectionFailed => "connection failed".into(),
        E::Tls(reason) => format!("TLS: {reason}"),
        E::Rustls(e) => format!("TLS: {e}"),
        E::Protocol(_) | E::LargeResponseHeader(..) | E::BodyStalled => "the answer was not valid HTTP".into(),
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => "the proxy failed".into(),
        E::BadUri(_) | E::Http(_) => return None,
        _ => "the call failed".into(),
    })
}

/// A random fraction in [0, 1) for the backoff's jitter, from the random bits of a v4 UUID.
fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 80) as f64 / (1u64 << 48) as f64
}
