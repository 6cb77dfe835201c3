//! When the monthly summaries go out inside `skm serve`: a thread that looks at an interval
//! whether last month is due and then runs the monthly job, until its handle stops it. It keeps
//! no state of its own — the sent-email log knows what was sent — so stopping or restarting it
//! at any point loses nothing.

use super::monthly::{self, Options};
use super::Mailer;
use crate::catalog::TemplateRegistry;
use crate::config::Config;
use crate::db::Pool;
use chrono::{DateTime, Utc};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// What time it is now.
pub type Clock = Box<dyn Fn() -> DateTime<Utc> + Send>;

pub struct Schedule {
    /// before the first look, so a starting instance serves its first requests undisturbed
    pub first_tick_after: Duration,
    pub every: Duration,
    /// decides, with `mail_day` and `mail_hour`, whether a month is due; tests pretend a day
    pub clock: Clock,
}

impl Schedule {
    /// `skm serve`'s: the first look after 30 s, then every ten minutes, by the system clock.
    pub fn serve() -> Schedule {
        Schedule {
            first_tick_after: Duration::from_secs(30),
            every: Duration::from_secs(600),
            clock: Box::new(Utc::now),
        }
    }
}

/// Everything the monthly job needs, and when to run it.
pub struct Scheduler {
    pub pool: Pool,
    pub templates: Arc<TemplateRegistry>,
    pub config: Arc<Config>,
    pub mailer: Mailer,
    pub schedule: Schedule,
}

/// The running scheduler. Dropping it ends the thread at its next wait without waiting for it;
/// `stop` waits.
pub struct SchedulerHandle {
    wake: Sender<()>,
    thread: JoinHandle<()>,
}

impl Scheduler {
    pub fn start(self) -> std::io::Result<SchedulerHandle> {
        let (wake, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new().name("monthly-mail".into()).spawn(move || self.run(stopped))?;
        Ok(SchedulerHandle { wake, thread })
    }

    fn run(self, stopped: Receiver<()>) {
        let holder = monthly::holder();
        let mut wait = self.schedule.first_tick_after;
        // The channel never carries a message: the handle dropping its sender is the signal.
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
            self.tick(&holder);
            wait = self.schedule.every;
        }
    }

    /// Runs the job once for every zone in which last month has become due: `mail_day` and
    /// `mail_hour` are each regency's local time, so Papua's summaries leave two hours before
    /// Java's.
    fn tick(&self, holder: &str) {
        let now = (self.schedule.clock)();
        let zones = match self
            .pool
            .get()
            .map_err(crate::db::DbError::from)
            .and_then(|mut conn| monthly::zones(&mut conn, &self.config))
        {
            Ok(zones) => zones,
            Err(e) => return tracing::warn!(error = %e, "monthly summaries: reading the units' zones"),
        };
        for zone in zones {
            let local = now.with_timezone(&zone).naive_local();
            let Some(period) = monthly::due_period(local, self.config.mail.day, self.config.mail.hour) else {
                continue;
            };
            let options = Options {
                period,
                unit: None,
                zone: Some(zone),
                dry_run: false,
                retry_delays: monthly::RETRY_DELAYS.to_vec(),
                holder: holder.to_string(),
            };
            match monthly::run(&self.pool, &self.templates, &self.config, &self.mailer, &options) {
                Ok(r) if r.sent > 0 || !r.failed.is_empty() => {
                    tracing::info!(%period, zone = %zone.name(), sent = r.sent, failed = r.failed.len(), "monthly summaries")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "monthly summaries"),
            }
        }
    }
}

impl SchedulerHandle {
    /// Wakes the thread and waits for it. A run in progress finishes first: cut short, it could
    /// leave a message claimed but not marked, which is then never resent. `Err` carries the
    /// panic of a thread that had died.
    pub fn stop(self) -> std::thread::Result<()> {
        drop(self.wake);
        self.thread.join()
    }
}
