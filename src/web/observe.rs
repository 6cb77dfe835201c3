//! One middleware for what operations see of every request: a request id (kept from a trusted
//! proxy, made here otherwise) in the `X-Request-Id` header and on every log line of the request,
//! one log line per request, and the request metrics.

use super::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use std::time::Instant;
use tracing::Instrument;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let id = request_id(&req, state.as_ref().map(|s| s.get_ref()));
    let method = req.method().to_string();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", id = %id);
    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_string());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        state.metrics.request(&method, &route, status, elapsed);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    // The path only: query strings can carry search terms typed by staff.
    span.in_scope(
        || tracing::info!(target: "skm::http", %method, %path, status, ms = elapsed.as_secs_f64() * 1000.0, "request"),
    );
    Ok(res)
}

/// A proxy's id is kept (so its logs and ours can be joined) only when the proxy is trusted and
/// the id is short and plain; anything else gets a fresh one.
fn request_id(req: &ServiceRequest, state: Option<&AppState>) -> String {
    let from_proxy = state.is_some_and(|s| req.peer_addr().is_some_and(|p| s.config.trusted_proxies.contains(&p.ip())));
    if from_proxy {
        if let Some(given) = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()) {
            let plain = given.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
            if !given.is_empty() && given.len() <= 64 && plain {
                return given.to_string();
            }
        }
    }
    uuid::Uuid::now_v7().simple().to_string()
}
