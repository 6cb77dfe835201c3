//! The rate limit (`crate::rate_limit`) from async handlers: the shared count runs on the
//! blocking pool, and a limit that cannot be counted lets the request through (a guard, not a
//! gate: the request itself will say what is wrong with the database).

use super::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use std::time::Duration;

/// `Err(wait)` when the client (a keyed hash, never a raw address) must wait before sending
/// again: this instance's limiter first, then the shared count.
pub async fn check(state: &AppState, client: String) -> Result<(), Duration> {
    state.limiter.check_local(&client)?;
    check_shared(state, client).await
}

/// The shared count alone, for a request this instance's limiter has already let through.
pub async fn check_shared(state: &AppState, client: String) -> Result<(), Duration> {
    let (pool, limit) = (state.pool.clone(), state.limiter.clone());
    let counted = actix_web::web::block(move || {
        let now = chrono::Utc::now();
        match pool.get() {
            Ok(mut conn) => limit.count(&mut conn, &client, now),
            Err(e) => {
                tracing::warn!(error = %e, "rate limit not counted (no connection)");
                Ok(())
            }
        }
    })
    .await;
    counted.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "rate limit not counted (worker pool)");
        Ok(())
    })
}

/// `wait` as a `Retry-After` header (whole seconds, at least one) on a 429.
pub fn retry_after(response: &mut HttpResponse, wait: Duration) {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
}

/// Every 429 says when to come back: one a handler built without a `Retry-After` gets the rate
/// limit's window. Outside the error pages, so a 429 turned into a page keeps it.
pub async fn ensure_retry_after(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::TOO_MANY_REQUESTS && !res.headers().contains_key(header::RETRY_AFTER) {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(crate::rate_limit::WINDOW_SECS));
    }
    Ok(res)
}
