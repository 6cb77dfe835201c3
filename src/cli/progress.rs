//! The long commands' progress (`rebuild-totals`, `export-all`, `import-all`, `evidence`,
//! `demo`): on a terminal a bar with the rate and the time left; otherwise (cron, a pipe,
//! journald) a log line every `progress_interval_ms`. Both say the same words, made by `status`.
//!
//! Ctrl-C (or SIGTERM, SIGHUP) during such a command only raises a flag: the job sees it at its
//! next step and undoes its work (its transaction rolls back, its partial file is removed), and
//! the command ends with exit status 130 saying what was left as it was.

use super::CliError;
use crate::config::Config;
use crate::db::progress::{Interrupted, Meter};
use crate::db::DbError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The exit status of an interrupted command, as a shell reports a process ended by SIGINT.
pub const INTERRUPTED_STATUS: u8 = 130;

static STOP: AtomicBool = AtomicBool::new(false);

/// From now on Ctrl-C asks the running job to stop instead of killing the process; a second
/// Ctrl-C quits at once. Not for `serve`, whose own handler lets requests in flight finish.
pub fn catch_ctrl_c() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                // the database rolls back what was not committed; a partial file is removed by
                // the next run of the same command
                std::process::exit(i32::from(INTERRUPTED_STATUS));
            }
            eprintln!("\nstopping after the current step (Ctrl-C again quits at once)");
        });
        if let Err(e) = installed {
            // Ctrl-C then ends the process at once: transactions still roll back
            tracing::warn!(error = %e, "Ctrl-C cannot be caught: it will end the command at once");
        }
    });
}

/// `e`, or, when it is the job obeying Ctrl-C, the interruption and what it left as it was.
pub fn stopped(e: DbError, unchanged: &'static str) -> CliError {
    match e {
        DbError::Interrupted => CliError::Interrupted(unchanged),
        other => other.into(),
    }
}

/// A long job's progress as its person sees it; the job drives it as a `Meter`.
pub struct Progress {
    /// the command, which starts every line (`export-all`)
    job: &'static str,
    /// what the job counts (`rows`)
    unit: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    view: View,
}

enum View {
    Bar { bar: ProgressBar, drawn: Instant },
    Log { every: Duration, logged: Instant, lines: u32 },
}

/// How often the bar's words are redrawn (its position follows every step).
const REDRAW: Duration = Duration::from_millis(200);

impl Progress {
    pub fn new(job: &'static str, unit: &'static str, config: &Config) -> Progress {
        let now = Instant::now();
        let view = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_prefix(job);
            View::Bar { bar, drawn: now }
        } else {
            View::Log { every: Duration::from_millis(config.progress_interval_ms), logged: now, lines: 0 }
        };
        Progress { job, unit, total: None, done: 0, started: now, view }
    }

    fn status(&self) -> String {
        status(self.unit, self.done, self.total, self.started.elapsed())
    }

    /// The job is done: the bar goes away, and a log that told of the job's progress says so.
    pub fn finish(self) {
        if let View::Log { lines, .. } = self.view {
            if lines > 0 {
                let took = self.started.elapsed().as_secs_f64();
                let took = if took < 10.0 { format!("{took:.1} s") } else { seconds(took) };
                tracing::info!("{}: {} {} in {took}", self.job, grouped(self.done), self.unit);
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // whatever the command prints next starts on a clean line
        if let View::Bar { bar, .. } = &self.view {
            bar.finish_and_clear();
        }
    }
}

impl Meter for Progress {
    fn start(&mut self, total: Option<u64>) {
        self.total = total;
        self.done = 0;
        self.started = Instant::now();
        if let View::Bar { bar, .. } = &self.view {
            let (template, length) = match total {
                Some(total) => ("{prefix}: [{bar:30}] {msg}", Some(total)),
                None => ("{spinner} {prefix}: {msg}", None),
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            match length {
                Some(length) => bar.set_length(length),
                None => bar.unset_length(),
            }
            bar.set_message(self.status());
        }
    }

    fn advance(&mut self, done: u64) -> Result<(), Interrupted> {
        self.done += done;
        let now = Instant::now();
        let status = status(self.unit, self.done, self.total, now - self.started);
        match &mut self.view {
            View::Bar { bar, drawn } => {
                bar.set_position(self.done);
                if now - *drawn >= REDRAW {
                    bar.set_message(status);
                    *drawn = now;
                }
            }
            View::Log { every, logged, lines } => {
                if now - *logged >= *every {
                    tracing::info!("{}: {status}", self.job);
                    *logged = now;
                    *lines += 1;
                }
            }
        }
        match STOP.load(Ordering::Relaxed) {
            true => Err(Interrupted),
            false => Ok(()),
        }
    }
}

/// `12 000 of 50 000 responses (2 400/s, about 16 s left)`; without a total `12 000 rows
/// (2 400/s)`; before the first step only the counts.
pub fn status(unit: &str, done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let mut text = match total {
        Some(total) => format!("{} of {} {unit}", grouped(done), grouped(total)),
        None => format!("{} {unit}", grouped(done)),
    };
    let elapsed = elapsed.as_secs_f64();
    if done == 0 || elapsed <= 0.0 {
        return text;
    }
    let rate = done as f64 / elapsed;
    text.push_str(&format!(" ({}/s", per_second(rate)));
    if let Some(left) = total.filter(|total| *total > done).map(|total| total - done) {
        text.push_str(&format!(", about {} left", seconds(left as f64 / rate)));
    }
    text.push(')');
    text
}

/// Digits in groups of three, a space between (`12 000`): neither English's comma nor
/// Indonesian's dot, so no reader takes it for a decimal.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// A rate: whole numbers from 10 a second, one decimal below (`2.5` reports a second).
fn per_second(rate: f64) -> String {
    if rate >= 10.0 {
        grouped(rate.round() as u64)
    } else {
        format!("{rate:.1}")
    }
}

/// A time to wait, as precise as it is worth: `16 s`, `12 min`, `2 h 5 min`.
fn seconds(secs: f64) -> String {
    let secs = secs.ceil().max(0.0) as u64;
    match secs {
        0..100 => format!("{secs} s"),
        100..6000 => format!("{} min", (secs + 30) / 60),
        _ => {
            let minutes = (secs + 30) / 60;
            format!("{} h {} min", minutes / 60, minutes % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_gives_the_counts_the_rate_and_the_time_left() {
        let line = status("responses", 12_000, Some(50_000), Duration::from_secs(5));
        assert_eq!(line, "12 000 of 50 000 responses (2 400/s, about 16 s left)");
    }

    #[test]
    fn without_a_total_there_is_no_time_left() {
        assert_eq!(status("rows", 12_000, None, Duration::from_secs(5)), "12 000 rows (2 400/s)");
    }

    #[test]
    fn before_the_first_step_and_at_the_end_only_what_is_known_is_said() {
        assert_eq!(status("rows", 0, Some(1_000), Duration::from_secs(3)), "0 of 1 000 rows");
        assert_eq!(status("rows", 1_000, Some(1_000), Duration::from_secs(4)), "1 000 of 1 000 rows (250/s)");
        assert_eq!(status("rows", 5, Some(10), Duration::ZERO), "5 of 10 rows");
    }

    #[test]
    fn slow_jobs_show_a_decimal_rate_and_minutes_or_hours_left() {
        assert_eq!(status("reports", 3, Some(63), Duration::from_secs(4)), "3 of 63 reports (0.8/s, about 80 s left)");
        assert_eq!(
            status("responses", 1_000, Some(1_000_000), Duration::from_secs(1)),
            "1 000 of 1 000 000 responses (1 000/s, about 17 min left)"
        );
        assert_eq!(
            status("responses", 100, Some(1_000_000), Duration::from_secs(1)),
            "100 of 1 000 000 responses (100/s, about 2 h 47 min left)"
        );
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        let cases = [(0, "0"), (999, "999"), (1_000, "1 000"), (123_456, "123 456"), (1_234_567, "1 234 567")];
        for (n, text) in cases {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn waits_are_rounded_to_what_is_worth_saying() {
        assert_eq!(seconds(0.2), "1 s");
        assert_eq!(seconds(99.0), "99 s");
        assert_eq!(seconds(100.0), "2 min");
        assert_eq!(seconds(5_999.0), "100 min");
        assert_eq!(seconds(6_000.0), "1 h 40 min");
    }
}
