//! Per-client submission limits (governor; actix-governor is GPL). The state is per instance:
//! behind a load balancer a client may get up to N × the limit across N instances.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimit {
    pub fn per_minute(limit: u32) -> RateLimit {
        let limit = NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN);
        RateLimit { limiter: RateLimiter::keyed(Quota::per_minute(limit)), clock: DefaultClock::default() }
    }

    /// `Err(wait)` when the client must wait before sending again.
    pub fn check(&self, client: &str) -> Result<(), Duration> {
        // Forget idle clients now and then so the map stays small.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client.to_string()).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_per_client() {
        let limit = RateLimit::per_minute(2);
        assert!(limit.check("a").is_ok());
        assert!(limit.check("a").is_ok());
        let wait = limit.check("a").expect_err("third within a minute");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limit.check("b").is_ok());
    }
}
