//! Refreshing the monthly roll-ups of the tenants (nation, provinces, regencies and cities,
//! issue 21): `skm rollup` by hand, and inside `skm serve` a thread that refreshes the months
//! still receiving responses every `rollup_minutes`, and every month once a day. One instance at
//! a time does it (a lease in `job_leases`); a refresh recomputes whole months, so running it
//! twice, or stopping it midway, changes nothing but freshness.

use crate::db::rollup::{self, Refreshed, Tenants};
use crate::db::{mail_log, DbConnection, DbError, Pool};
use crate::domain::period::Period;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

const LEASE: &str = "rollup";

/// The months that may still receive responses at `now`: the running month in every zone of
/// Indonesia (and those just west of UTC) and the one before it (paper questionnaires and
/// offline devices bring last month's answers for a while). Older months change only by a bulk
/// load or a correction, which the daily full refresh (or `skm rollup --all`) picks up.
pub fn open_months(now: DateTime<Utc>) -> Vec<String> {
    let mut months = BTreeSet::new();
    // the earliest and the latest local time anywhere in Indonesia and west of it to UTC−12
    for hours in [-12, 14] {
        let at = (now + chrono::Duration::hours(hours)).date_naive();
        let running = Period::month_of(at);
        months.insert(running.previous().to_string());
        months.insert(running.to_string());
    }
    months.into_iter().collect()
}

/// Refreshes `months` one by one (each in its own transaction), calling `each` after each.
pub fn refresh(
    conn: &mut DbConnection,
    months: &[String],
    now: DateTime<Utc>,
    mut each: impl FnMut(&str, Refreshed),
) -> Result<Refreshed, DbError> {
    let tenants = Tenants::load(conn)?;
    let mut total = Refreshed::default();
    for month in months {
        let done = rollup::refresh_month(conn, &tenants, month, now.naive_utc())?;
        total.rows += done.rows;
        total.responses += done.responses;
        each(month, done);
    }
    Ok(total)
}

/// Every month with responses, and the open ones.
pub fn all_months(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<String>, DbError> {
    let mut months: BTreeSet<String> = rollup::months_with_data(conn)?.into_iter().collect();
    months.extend(open_months(now));
    Ok(months.into_iter().collect())
}

/// The thread inside `skm serve`.
pub struct Refresher {
    pub pool: Pool,
    pub every: Duration,
    /// this instance, in the lease
    pub holder: String,
}

/// Dropping it ends the thread at its next wait.
pub struct RefresherHandle {
    _wake: Sender<()>,
    _thread: JoinHandle<()>,
}

impl Refresher {
    pub fn start(self) -> std::io::Result<RefresherHandle> {
        let (wake, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new().name("rollup".into()).spawn(move || self.run(stopped))?;
        Ok(RefresherHandle { _wake: wake, _thread: thread })
    }

    fn run(self, stopped: Receiver<()>) {
        // the first refresh is a full one: a database from before the roll-ups, or one loaded
        // in bulk, has months no open-month refresh would reach
        let mut full_done_on: Option<chrono::NaiveDate> = None;
        let mut wait = Duration::from_secs(5);
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
            wait = self.every;
            let now = Utc::now();
            let full = full_done_on != Some(now.date_naive());
            match self.tick(now, full) {
                Ok(Some(done)) => {
                    if full {
                        full_done_on = Some(now.date_naive());
                    }
                    tracing::info!(full, rows = done.rows, responses = done.responses, "roll-ups refreshed");
                }
                Ok(None) => tracing::debug!("another instance refreshes the roll-ups"),
                Err(e) => tracing::warn!(error = %e, "the roll-ups were not refreshed; they stay as they were"),
            }
        }
    }

    fn tick(&self, now: DateTime<Utc>, full: bool) -> Result<Option<Refreshed>, DbError> {
        let mut conn = self.pool.get()?;
        // a month's partition (PostgreSQL) exists before its first response, however long this
        // instance runs; safe beside other instances (the function takes turns on a lock)
        if let Err(e) = crate::db::partitions::maintain(&mut conn, now.date_naive()) {
            tracing::warn!(error = %e, "the monthly partitions of responses were not checked");
        }
        let lease_seconds = i64::try_from(self.every.as_secs()).unwrap_or(i64::MAX / 2).saturating_mul(2).max(600);
        if !mail_log::take_lease(&mut conn, LEASE, &self.holder, lease_seconds)? {
            return Ok(None);
        }
        let months = if full { all_months(&mut conn, now)? } else { open_months(now) };
        let done = refresh(&mut conn, &months, now, |_, _| {});
        mail_log::release_lease(&mut conn, LEASE, &self.holder)?;
        done.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_first_of_the_month_in_papua_is_open_before_utc_reaches_it() {
        // 00:30 WIT on 1 December 2026 is still 30 November in UTC
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 15, 30, 0).single().expect("instant");
        assert_eq!(open_months(now), ["2026-10", "2026-11", "2026-12"]);
        let mid = Utc.with_ymd_and_hms(2026, 11, 15, 12, 0, 0).single().expect("instant");
        assert_eq!(open_months(mid), ["2026-10", "2026-11"]);
        let early = Utc.with_ymd_and_hms(2026, 12, 2, 5, 49, 0).single().expect("instant");
        assert_eq!(open_months(early), ["2026-11", "2026-12"]);
    }
}
