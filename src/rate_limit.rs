//! Per-client limits on submissions and login attempts, shared by every instance: the count
//! lives in the database (`rate_limits`, one fixed-window counter per keyed client hash). An
//! in-memory governor limiter in front sheds a flood from one client on this instance before it
//! costs a database write (actix-governor is GPL; governor itself is MIT/Apache). Blocking; the
//! web layer's `web::throttle` calls it from async handlers.

use crate::db::{self, DbConnection};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

pub const WINDOW_SECS: i64 = 60;

pub struct RateLimit {
    per_minute: u32,
    local: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimit {
    pub fn per_minute(limit: u32) -> RateLimit {
        let limit = NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN);
        RateLimit {
            per_minute: limit.get(),
            local: RateLimiter::keyed(Quota::per_minute(limit)),
            clock: DefaultClock::default(),
        }
    }

    /// The counter of a client's submissions (form and API alike).
    pub fn submit_key(client_hash: &str) -> String {
        format!("submit {client_hash}")
    }

    /// The most a client may send in one window.
    pub fn limit(&self) -> u32 {
        self.per_minute
    }

    /// The start of the window `now` falls in (seconds since the epoch).
    pub fn window_of(now: chrono::DateTime<chrono::Utc>) -> i64 {
        let now = now.timestamp();
        now - now.rem_euclid(WINDOW_SECS)
    }

    /// How long a client over its limit waits: until the window ends.
    pub fn wait(window_start: i64, now: chrono::DateTime<chrono::Utc>) -> Duration {
        Duration::from_secs((window_start + WINDOW_SECS - now.timestamp()).max(1) as u64)
    }

    /// Blocking: one hit on the client's shared counter, in a statement of its own.
    pub fn count(
        &self,
        conn: &mut DbConnection,
        client: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Duration> {
        let window = Self::window_of(now);
        match db::rate_limits::hit(conn, client, window) {
            Ok(hits) => {
                self.forget_now_and_then(conn, window);
                if i64::from(hits) > i64::from(self.per_minute) {
                    Err(Self::wait(window, now))
                } else {
                    Ok(())
                }
            }
            // The limit is a guard, not a gate: a database hiccup here must not refuse a citizen
            // (the submission itself will say what is wrong with the database).
            Err(e) => {
                tracing::warn!(error = %e, "rate limit not counted");
                Ok(())
            }
        }
    }

    /// Now and then, drop counters nobody can hit any more (a row per client otherwise stays).
    pub fn forget_now_and_then(&self, conn: &mut DbConnection, window: i64) {
        if Self::time_to_forget() {
            Self::forget(conn, window);
        }
    }

    /// Whether this post is the one in about 128 that drops the old counters.
    pub fn time_to_forget() -> bool {
        uuid::Uuid::new_v4().as_bytes()[0] < 2
    }

    /// Drops the counters of windows before the one before `window`.
    pub fn forget(conn: &mut DbConnection, window: i64) {
        if let Err(e) = db::rate_limits::forget_before(conn, window - WINDOW_SECS) {
            tracing::warn!(error = %e, "old rate-limit windows not dropped");
        }
    }

    /// This instance's in-memory limiter only (no database write): sheds floods early.
    pub fn check_local(&self, client: &str) -> Result<(), Duration> {
        // Forget idle clients now and then so the map stays small.
        if self.local.len() > 10_000 {
            self.local.retain_recent();
        }
        self.local.check_key(&client.to_string()).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_limit_is_per_client() {
        let limit = RateLimit::per_minute(2);
        assert!(limit.check_local("a").is_ok());
        assert!(limit.check_local("a").is_ok());
        let wait = limit.check_local("a").expect_err("third within a minute");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limit.check_local("b").is_ok());
    }
}
