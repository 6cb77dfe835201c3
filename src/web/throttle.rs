//! The rate limit (`crate::rate_limit`) from async handlers: the shared count runs on the
//! blocking pool, and a limit that cannot be counted lets the request through (a guard, not a
//! gate: the request itself will say what is wrong with the database).

use super::AppState;
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
