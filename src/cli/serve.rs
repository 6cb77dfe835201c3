//! `skm serve`: migrate, record the template versions, start the monthly e-mail tick, then serve
//! HTTP until stopped.

use super::{CliError, Context};
use crate::mail::monthly::{self, Options};
use crate::mail::Mailer;
use crate::web::{AppState, Application};
use std::net::TcpListener;
use std::time::Duration;

pub fn run(context: Context) -> Result<(), CliError> {
    let pool = context.database()?;
    let listen = context.config.listen;
    let state = AppState::new(pool, context.config, context.catalog)?;
    start_mail_tick(&state);
    let listener = TcpListener::bind(listen).map_err(|e| CliError::Input(format!("cannot listen on {listen}: {e}")))?;
    let app = Application::build(state, listener)?;
    tracing::info!(addr = %app.addr(), "skm listening");
    actix_web::rt::System::new().block_on(app.run())?;
    // Reached after SIGTERM/SIGINT once requests in flight have finished.
    tracing::info!("skm stopped");
    Ok(())
}

/// Every ten minutes: if last month's summaries are due, send whatever the log says is missing.
/// Restart-safe (the log, not memory, knows what was sent) and safe with several instances (a
/// lease row lets one run at a time; each message is claimed before it is sent).
fn start_mail_tick(state: &AppState) {
    let mailer = match Mailer::smtp(&state.config.mail) {
        Ok(mailer) => mailer,
        Err(e) => {
            tracing::info!(reason = %e, "monthly e-mail off");
            return;
        }
    };
    let state = state.clone();
    let holder = super::mail::holder();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        loop {
            let now = chrono::Utc::now().with_timezone(&state.config.timezone).naive_local();
            if let Some(period) = monthly::due_period(now, state.config.mail.day, state.config.mail.hour) {
                let options = Options {
                    period,
                    unit: None,
                    dry_run: false,
                    retry_delays: vec![Duration::from_secs(5), Duration::from_secs(30), Duration::from_secs(120)],
                    holder: holder.clone(),
                };
                match monthly::run(&state.pool, &state.templates, &state.config, &mailer, &options) {
                    Ok(r) if r.sent > 0 || !r.failed.is_empty() => {
                        tracing::info!(%period, sent = r.sent, failed = r.failed.len(), "monthly summaries")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "monthly summaries"),
                }
            }
            std::thread::sleep(Duration::from_secs(600));
        }
    });
}
