//! E-mail: the monthly summaries, the scheduler that sends them from `skm serve`, invitations
//! for new users, and the test message, through lettre (SMTP over rustls, or .eml files for a
//! dry run).

pub mod compose;
pub mod invitation;
pub mod monthly;
pub mod regency;
pub mod scheduler;

use crate::aggregator::UnitIndex;
use crate::config::{MailSettings, SmtpSecurity};
use crate::db::{units, DbConnection, DbError};
use crate::domain::follow_up::Progress;
use crate::follow_up;
use compose::LateAction;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MailError {
    #[error("e-mail is not configured: set SKM_SMTP_HOST")]
    NotConfigured,
    #[error("{0}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    /// `transient`: worth retrying later (4xx, connection trouble)
    #[error("{reason}")]
    Send { reason: String, transient: bool },
}

/// The follow-up actions of a summary's units (the unit with its sub-units, or the regency):
/// their progress (SPEC §6a) and the late ones, named, by due date.
pub(crate) fn follow_ups(
    conn: &mut DbConnection,
    index: &UnitIndex,
    today: chrono::NaiveDate,
) -> Result<(Progress, Vec<LateAction>), DbError> {
    let tracker = follow_up::tracker(conn, &index.unit_ids, None, today)?;
    let names: std::collections::HashMap<i32, String> =
        units::list(conn)?.into_iter().filter(|u| index.unit_ids.contains(&u.id)).map(|u| (u.id, u.name)).collect();
    let element = |code: &str| {
        let name = index.template.element(code).map(|e| e.name.id.as_str()).unwrap_or_default();
        format!("{code} {name}").trim_end().to_string()
    };
    let late = tracker
        .actions
        .iter()
        .filter_map(|a| {
            Some(LateAction {
                unit_id: a.action.unit_id,
                unit: names.get(&a.action.unit_id).cloned().unwrap_or_default(),
                element: element(&a.action.element_code),
                action: a.action.action.clone(),
                due: a.action.due(),
                days_late: a.days_late?,
            })
        })
        .collect();
    Ok((tracker.progress, late))
}

pub enum Mailer {
    Smtp(Box<SmtpTransport>),
    /// writes each message as an .eml file (dry runs)
    Files(PathBuf),
}

impl Mailer {
    pub fn smtp(settings: &MailSettings) -> Result<Mailer, MailError> {
        if settings.smtp_host.is_empty() {
            return Err(MailError::NotConfigured);
        }
        let host = settings.smtp_host.as_str();
        let builder = match settings.smtp_security {
            SmtpSecurity::Starttls => SmtpTransport::starttls_relay(host)
                .map_err(|e| MailError::Address(format!("smtp_host '{host}': {e}")))?,
            SmtpSecurity::Tls => {
                SmtpTransport::relay(host).map_err(|e| MailError::Address(format!("smtp_host '{host}': {e}")))?
            }
            SmtpSecurity::None => SmtpTransport::builder_dangerous(host),
        };
        let mut builder = builder.port(settings.smtp_port).timeout(Some(Duration::from_secs(settings.timeout_secs)));
        if !settings.smtp_user.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_user.clone(),
                settings.smtp_password.expose_secret().to_string(),
            ));
        }
        Ok(Mailer::Smtp(Box::new(builder.build())))
    }

    pub fn files(dir: PathBuf) -> Result<Mailer, MailError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| MailError::Send { reason: format!("{}: {e}", dir.display()), transient: false })?;
        Ok(Mailer::Files(dir))
    }

    /// Sends one message; the server's refusal comes back as one readable line.
    pub fn send(&self, message: &Message) -> Result<String, MailError> {
        match self {
            Mailer::Smtp(smtp) => match smtp.send(message) {
                Ok(response) => Ok(response.message().collect::<Vec<_>>().join(" ")),
                Err(e) => {
                    Err(MailError::Send { transient: e.is_transient() || e.status().is_none(), reason: describe(&e) })
                }
            },
            Mailer::Files(dir) => FileTransport::new(dir)
                .send(message)
                .map(|id| format!("written to {}", dir.join(format!("{id}.eml")).display()))
                .map_err(|e| MailError::Send { reason: e.to_string(), transient: false }),
        }
    }
}

/// One line a person can act on, not a chain of debug output.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text.replace('\n', " ")
}
