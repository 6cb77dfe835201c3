//! Per-client limits on submissions and login attempts, shared by every instance: the count
//! lives in the database (`rate_limits`, one fixed-window counter per keyed client hash). An
//! in-memory governor limiter in front sheds a flood from one client on this instance before it
//! costs a database write (actix-governor is GPL; governor itself is MIT/Apache).

use crate::db::{self, Pool};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

const WINDOW_SECS: i64 = 60;

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

    /// `Err(wait)` when the client (a keyed hash, never a raw address) must wait before
    /// sending again.
    pub async fn check(&self, pool: &Pool, client: String) -> Result<(), Duration> {
        self.check_local(&client)?;
        let now = chrono::Utc::now().timestamp();
        let window = now - now.rem_euclid(WINDOW_SECS);
        let pool = pool.clone();
        let counted = actix_web::web::block(move || -> Result<i32, db::DbError> {
            let mut conn = pool.get()?;
            let hits = db::rate_limits::hit(&mut conn, &client, window)?;
            // A new window for this client: now and then, drop counters nobody can hit any more.
            if hits == 1 && uuid::Uuid::new_v4().as_bytes()[0] < 4 {
                db::rate_limits::forget_before(&mut conn, window - WINDOW_SECS)?;
            }
            Ok(hits)
        })
        .await;
        match counted {
            Ok(Ok(hits)) if i64::from(hits) > i64::from(self.per_minute) => {
                Err(Duration::from_secs((window + WINDOW_SECS - now).max(1) as u64))
            }
            Ok(Ok(_)) => Ok(()),
            // The limit is a guard, not a gate: a database hiccup here must not refuse a citizen
            // (the submission itself will say what is wrong with the database).
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "rate limit not counted");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "rate limit not counted (worker pool)");
                Ok(())
            }
        }
    }

    fn check_local(&self, client: &str) -> Result<(), Duration> {
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
