//! The monthly summary job: every unit head (their units, with sub-units) gets the previous
//! month's unit summary and every admin the regency summary (`super::regency`), once. Each (recipient, period) is claimed in the
//! sent-email log before sending and marked after; a lease row keeps a second instance from
//! running the job at the same time. Restart-safe: a run sends whatever the log says is missing.

use super::compose::{self, Envelope, UnitSummary};
use super::regency::{self, RegencySummary};
use super::{MailError, Mailer};
use crate::aggregator::{self, Selection, UnitIndex};
use crate::catalog::TemplateRegistry;
use crate::charts;
use crate::config::Config;
use crate::db::mail_log::{self, Claim};
use crate::db::units::{self, Unit};
use crate::db::users::{self, User};
use crate::db::{DbError, Pool};
use crate::domain::names::Role;
use crate::domain::period::{local_date, Period};
use crate::reports::{data, official_pdf};
use chrono::{Datelike, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use thiserror::Error;

pub const KIND: &str = "monthly";
const LEASE: &str = "monthly-mail";

/// Waits before retrying a transient SMTP failure, the command's and the scheduler's.
pub const RETRY_DELAYS: [Duration; 3] = [Duration::from_secs(5), Duration::from_secs(30), Duration::from_secs(120)];

#[derive(Debug, Error)]
pub enum MonthlyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("{0}")]
    Report(String),
}

pub struct Options {
    pub period: Period,
    /// only this unit's summaries (and its heads)
    pub unit: Option<String>,
    /// only the recipients whose units count their days in this zone: the scheduler's run for a
    /// zone where the month has become due (a Papuan regency's at 07:00 WIT, two hours before
    /// Java's); `None`: everyone
    pub zone: Option<Tz>,
    /// write .eml files, touch no log
    pub dry_run: bool,
    /// waits before retrying a transient SMTP failure
    pub retry_delays: Vec<Duration>,
    /// identifies this instance in the lease
    pub holder: String,
}

#[derive(Debug, Default)]
pub struct RunReport {
    pub sent: usize,
    pub already_sent: usize,
    pub busy: usize,
    pub failed: Vec<(String, String)>,
    /// another instance holds the job's lease: nothing was done
    pub other_instance: bool,
}

/// A name for this process in the job lease.
pub fn holder() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "skm".into());
    format!("{host}-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// The month whose summary is due at `now` (local), once the configured day and hour of the
/// following month have come.
pub fn due_period(now: NaiveDateTime, day: u32, hour: u32) -> Option<Period> {
    let reached = now.day() > day || (now.day() == day && now.hour() >= hour);
    reached.then(|| Period::month_of(now.date()).previous())
}

struct Recipient {
    user: User,
    /// an admin's are the regencies (the units without a parent; a scoped admin's own, in a
    /// province- or nation-wide tree), a unit head's their units
    units: Vec<Unit>,
    /// an admin: the regency summary, not the unit summary
    regency: bool,
    /// the sender the message goes out under: the recipient's regency's, else `mail_from`
    from: String,
    /// the zone its units count their days in, which decides the hour the month is due
    zone: Tz,
}

fn recipients(
    conn: &mut crate::db::DbConnection,
    config: &Config,
    unit_filter: Option<&str>,
) -> Result<Vec<Recipient>, DbError> {
    let all_units = units::list(conn)?;
    // an admin given units is held to them only where the tree is wider than one regency, as
    // on the dashboards (`accounts::unit_scope`): a one-regency deployment keeps its behaviour
    let scoped_admins = units::has_tenants_above_regency(conn)?;
    let mut out = Vec::new();
    for (user, slugs) in users::list_with_units(conn)? {
        if user.disabled || user.email_opt_out {
            continue;
        }
        let own = || all_units.iter().filter(|u| slugs.contains(&u.slug)).cloned().collect::<Vec<Unit>>();
        let (units, regency): (Vec<Unit>, bool) = match user.role.parse::<Role>() {
            Ok(Role::Admin) if scoped_admins && !slugs.is_empty() => (own(), true),
            Ok(Role::Admin) => (all_units.iter().filter(|u| u.parent_id.is_none()).cloned().collect(), true),
            Ok(Role::UnitHead) => (own(), false),
            _ => continue,
        };
        let units: Vec<Unit> = match unit_filter {
            Some(slug) => units.into_iter().filter(|u| u.slug == slug).collect(),
            None => units,
        };
        let Some(first) = units.first() else { continue };
        let from = first.mail_from_or(&config.mail.from).to_string();
        let zone = first.zone_or(config.timezone);
        out.push(Recipient { user, units, regency, from, zone });
    }
    Ok(out)
}

/// Every zone a recipient's units may count their days in: the deployment's and each unit's own.
pub fn zones(conn: &mut crate::db::DbConnection, config: &Config) -> Result<Vec<Tz>, DbError> {
    let mut zones = vec![config.timezone];
    for name in units::zone_names(conn)? {
        if let Ok(zone) = name.parse::<Tz>() {
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
    }
    Ok(zones)
}

pub fn run(
    pool: &Pool,
    versions: &TemplateRegistry,
    config: &Config,
    mailer: &Mailer,
    options: &Options,
) -> Result<RunReport, MonthlyError> {
    let mut conn = pool.get().map_err(DbError::from)?;
    let mut report = RunReport::default();
    if !options.dry_run && !mail_log::take_lease(&mut conn, LEASE, &options.holder, 3600)? {
        report.other_instance = true;
        return Ok(report);
    }
    let result = send_all(&mut conn, versions, config, mailer, options, &mut report);
    if !options.dry_run {
        mail_log::release_lease(&mut conn, LEASE, &options.holder)?;
    }
    result.map(|_| report)
}

fn send_all(
    conn: &mut crate::db::DbConnection,
    versions: &TemplateRegistry,
    config: &Config,
    mailer: &Mailer,
    options: &Options,
    report: &mut RunReport,
) -> Result<(), MonthlyError> {
    let period = options.period;
    let period_key = period.to_string();
    let today = local_date(chrono::Utc::now(), config.timezone);
    let mut summaries = Summaries { versions, config, period, today, units: HashMap::new(), regencies: HashMap::new() };
    for recipient in recipients(conn, config, options.unit.as_deref())? {
        if options.zone.is_some_and(|zone| zone != recipient.zone) {
            continue;
        }
        let email = recipient.user.email.clone();
        if !options.dry_run {
            match mail_log::claim(conn, &email, &period_key, KIND)? {
                Claim::Mine(_) => {}
                Claim::Sent => {
                    report.already_sent += 1;
                    continue;
                }
                Claim::Busy => {
                    report.busy += 1;
                    continue;
                }
            }
        }
        let envelope = Envelope {
            from: &recipient.from,
            to: &email,
            to_name: &recipient.user.name,
            period_label: &period.label_id(),
            dashboard_url: &format!("{}/dasbor?period={period_key}", config.base_url),
            ids: compose::MessageIds::new(&config.base_url, &recipient.from),
        };
        let outcome = summaries
            .message(conn, &recipient, &envelope)?
            .and_then(|message| send_with_retry(mailer, &message, &options.retry_delays));
        match outcome {
            Ok(answer) if options.dry_run => {
                tracing::info!(to = %email, period = %period_key, %answer, "monthly summary written (dry run, not sent)");
                report.sent += 1;
            }
            Ok(answer) => {
                tracing::info!(to = %email, period = %period_key, %answer, "monthly summary sent");
                mail_log::finish(conn, &email, &period_key, KIND, None)?;
                report.sent += 1;
            }
            Err(e) => {
                tracing::warn!(to = %email, period = %period_key, error = %e, "monthly summary not sent");
                if !options.dry_run {
                    mail_log::finish(conn, &email, &period_key, KIND, Some(&e.to_string()))?;
                }
                report.failed.push((email, e.to_string()));
            }
        }
    }
    Ok(())
}

/// The summaries of one run's period, made once and shared by the recipients.
struct Summaries<'a> {
    versions: &'a TemplateRegistry,
    config: &'a Config,
    period: Period,
    today: chrono::NaiveDate,
    units: HashMap<i32, Rc<UnitSummary>>,
    regencies: HashMap<i32, Rc<RegencySummary>>,
}

impl Summaries<'_> {
    /// The recipient's message; the outer error stops the run, the inner one is this message's.
    fn message(
        &mut self,
        conn: &mut crate::db::DbConnection,
        recipient: &Recipient,
        envelope: &Envelope,
    ) -> Result<Result<lettre::Message, MailError>, MonthlyError> {
        let (versions, config, period, today) = (self.versions, self.config, self.period, self.today);
        if recipient.regency {
            let mut summaries = Vec::new();
            for unit in &recipient.units {
                summaries.push(once(&mut self.regencies, unit, || {
                    summarize_regency(conn, versions, config, unit, period, today)
                })?);
            }
            let borrowed: Vec<&RegencySummary> = summaries.iter().map(Rc::as_ref).collect();
            return Ok(regency::message(envelope, &borrowed));
        }
        let mut summaries = Vec::new();
        for unit in &recipient.units {
            summaries.push(once(&mut self.units, unit, || summarize(conn, versions, config, unit, period, today))?);
        }
        let borrowed: Vec<&UnitSummary> = summaries.iter().map(Rc::as_ref).collect();
        Ok(compose::monthly(envelope, &borrowed))
    }
}

/// A unit's summary, made the first time a recipient needs it and shared with the others.
fn once<T>(
    made: &mut HashMap<i32, Rc<T>>,
    unit: &Unit,
    make: impl FnOnce() -> Result<T, MonthlyError>,
) -> Result<Rc<T>, MonthlyError> {
    if let Some(summary) = made.get(&unit.id) {
        return Ok(summary.clone());
    }
    let summary = Rc::new(make()?);
    made.insert(unit.id, summary.clone());
    Ok(summary)
}

fn send_with_retry(mailer: &Mailer, message: &lettre::Message, delays: &[Duration]) -> Result<String, MailError> {
    let mut attempt = 0;
    loop {
        match mailer.send(message) {
            Err(MailError::Send { transient: true, reason }) if attempt < delays.len() => {
                tracing::info!(%reason, "transient SMTP failure, retrying");
                std::thread::sleep(delays[attempt]);
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn summarize(
    conn: &mut crate::db::DbConnection,
    versions: &TemplateRegistry,
    config: &Config,
    unit: &Unit,
    period: Period,
    today: chrono::NaiveDate,
) -> Result<UnitSummary, MonthlyError> {
    let index = month_index(conn, versions, unit, period)?;
    let chart_png = element_chart(&index)?;
    let (_, late_rtl) = super::follow_ups(conn, &index, today)?;
    let (pdf, index) = report_pdf(conn, config, index, today)?;
    Ok(UnitSummary { index, late_rtl, chart_png, pdf: Some(pdf) })
}

fn summarize_regency(
    conn: &mut crate::db::DbConnection,
    versions: &TemplateRegistry,
    config: &Config,
    unit: &Unit,
    period: Period,
    today: chrono::NaiveDate,
) -> Result<RegencySummary, MonthlyError> {
    let index = month_index(conn, versions, unit, period)?;
    let chart_png = element_chart(&index)?;
    let (pdf, index) = report_pdf(conn, config, index, today)?;
    let figures = regency::figures(conn, versions, unit, index, today)?;
    Ok(RegencySummary { figures, chart_png, pdf: Some(pdf) })
}

/// The per-element chart the message carries inline, drawn at twice its layout width.
fn element_chart(index: &crate::aggregator::UnitIndex) -> Result<Vec<u8>, MonthlyError> {
    charts::png(&charts::elements(&index.template, &index.result), compose::CHART_WIDTH, 2.0)
        .map_err(|e| MonthlyError::Report(e.to_string()))
}

/// The unit with its sub-units for the month: computed once, for the summary and its report.
fn month_index(
    conn: &mut crate::db::DbConnection,
    versions: &TemplateRegistry,
    unit: &Unit,
    period: Period,
) -> Result<UnitIndex, MonthlyError> {
    let selection = Selection { period, with_subunits: true, service_id: None };
    Ok(aggregator::unit_index(conn, versions, unit, &selection)?)
}

/// The official report of the unit with its sub-units, attached to its summary.
/// The official report around the month's index; the index comes back for the summary.
fn report_pdf(
    conn: &mut crate::db::DbConnection,
    config: &Config,
    index: UnitIndex,
    today: chrono::NaiveDate,
) -> Result<(Vec<u8>, UnitIndex), MonthlyError> {
    let mut report = data::complete(conn, index)?;
    report.add_response_rate(conn, config.timezone)?;
    let options = official_pdf::Options {
        today,
        downloaded: "skm (ringkasan bulanan)",
        default_logo: config.logo.as_deref().and_then(official_pdf::read_logo),
    };
    let pdf = official_pdf::pdf(&report, &options).map_err(MonthlyError::Report)?;
    Ok((pdf, report.index))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn the_previous_month_is_due_from_the_configured_moment() {
        assert_eq!(due_period(at("2026-11-01 06:59"), 1, 7), None);
        assert_eq!(due_period(at("2026-11-01 07:00"), 1, 7).map(|p| p.to_string()).as_deref(), Some("2026-10"));
        assert_eq!(due_period(at("2026-11-20 00:00"), 1, 7).map(|p| p.to_string()).as_deref(), Some("2026-10"));
        assert_eq!(due_period(at("2027-01-05 09:00"), 5, 8).map(|p| p.to_string()).as_deref(), Some("2026-12"));
        assert_eq!(due_period(at("2027-01-04 09:00"), 5, 8), None);
    }
}
