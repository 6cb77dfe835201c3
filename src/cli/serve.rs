//! `skm serve`: migrate, record the template versions, start the monthly e-mail scheduler, then
//! serve HTTP until stopped, and stop the scheduler after the last request.

use super::{CliError, Context};
use crate::mail::scheduler::{Schedule, Scheduler};
use crate::mail::Mailer;
use crate::web::{AppState, Application};
use std::net::TcpListener;

pub fn run(context: Context) -> Result<(), CliError> {
    let pool = context.database()?;
    let listen = context.config.listen;
    if context.config.base_url_is_local() {
        let base_url = context.config.base_url.as_str();
        tracing::warn!(base_url, "base_url is this machine's own address: set it to the public URL for QR posters");
    }
    let (app_pool, rollup_minutes) = (pool.clone(), context.config.rollup_minutes);
    let state = AppState::new(pool, context.config, context.catalog)?;
    if state.read_pool.is_some() {
        tracing::info!("dashboards, report downloads and public pages read from the replica (read_database_url)");
    }
    let monthly_mail = monthly_mail(&state);
    match &state.gateway {
        Some(gateway) => tracing::info!(host = gateway.host(), "SMS/WhatsApp gateway on"),
        None => tracing::info!("SMS/WhatsApp gateway off (no gateway_url)"),
    }
    let listener = TcpListener::bind(listen).map_err(|e| CliError::Input(format!("cannot listen on {listen}: {e}")))?;
    let app = Application::build(state, listener)?;
    let monthly_mail = monthly_mail.map(Scheduler::start).transpose()?;
    let _rollups = crate::rollup::Refresher {
        pool: app_pool,
        every: std::time::Duration::from_secs(u64::from(rollup_minutes) * 60),
        holder: crate::mail::monthly::holder(),
    }
    .start()?;
    tracing::info!(addr = %app.addr(), "skm listening");
    let served = actix_web::rt::System::new().block_on(app.run());
    // Reached after SIGTERM/SIGINT once requests in flight have finished.
    if let Some(scheduler) = monthly_mail {
        match scheduler.stop() {
            Ok(()) => tracing::info!("monthly e-mail stopped"),
            Err(_) => tracing::warn!("the monthly e-mail thread had died of a panic"),
        }
    }
    served?;
    tracing::info!("skm stopped");
    Ok(())
}

/// Every ten minutes: if last month's summaries are due, send whatever the log says is missing.
/// Restart-safe (the log, not memory, knows what was sent) and safe with several instances (a
/// lease row lets one run at a time; each message is claimed before it is sent). None when
/// e-mail is not configured.
fn monthly_mail(state: &AppState) -> Option<Scheduler> {
    let mailer = match Mailer::smtp(&state.config.mail) {
        Ok(mailer) => mailer,
        Err(e) => {
            tracing::info!(reason = %e, "monthly e-mail off");
            return None;
        }
    };
    Some(Scheduler {
        pool: state.pool.clone(),
        templates: state.templates.clone(),
        config: state.config.clone(),
        mailer,
        schedule: Schedule::serve(),
    })
}
