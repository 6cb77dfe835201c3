//! `skm mail test --to ADDR` and `skm send-monthly [--period 2026-10] [--dry-run] [--unit SLUG]`.

use super::{CliError, Context};
use crate::catalog::TemplateRegistry;
use crate::db::DbError;
use crate::domain::period::{local_date, Period};
use crate::mail::monthly::{self, Options};
use crate::mail::{compose, Mailer};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send a test message and print the server's answer
    Test {
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Args)]
pub struct SendMonthlyArgs {
    /// the month to report (default: last month)
    #[arg(long)]
    pub period: Option<String>,
    /// write the messages as .eml files into --out instead of sending them
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, default_value = "skm-mail")]
    pub out: PathBuf,
    /// only this unit's summaries
    #[arg(long)]
    pub unit: Option<String>,
}

pub fn test(context: &Context, command: MailCommand) -> Result<(), CliError> {
    let MailCommand::Test { to } = command;
    let mailer = Mailer::smtp(&context.config.mail).map_err(|e| CliError::Input(e.to_string()))?;
    let message = compose::test_message(&context.config, &to).map_err(|e| CliError::Input(e.to_string()))?;
    let answer = mailer.send(&message).map_err(|e| CliError::Input(format!("not sent: {e}")))?;
    say!("sent to {to}; the server answered: {answer}");
    // for the readiness checklist on /admin ("e-mail never tested")
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    crate::readiness::record_mail_test(&mut conn, None, &to)?;
    Ok(())
}

pub fn send_monthly(context: &Context, args: SendMonthlyArgs) -> Result<(), CliError> {
    let period = match &args.period {
        Some(text) => match text.parse::<Period>() {
            Ok(p @ Period::Month { .. }) => p,
            _ => return Err(CliError::Input(format!("--period: '{text}' is not a month like 2026-10"))),
        },
        None => Period::month_of(local_date(chrono::Utc::now(), context.config.timezone)).previous(),
    };
    let mailer = if args.dry_run { Mailer::files(args.out.clone()) } else { Mailer::smtp(&context.config.mail) }
        .map_err(|e| CliError::Input(e.to_string()))?;
    let pool = context.database()?;
    let versions = {
        let mut conn = pool.get().map_err(DbError::from)?;
        TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?
    };
    let options = Options {
        period,
        zone: None,
        unit: args.unit.clone(),
        dry_run: args.dry_run,
        retry_delays: monthly::RETRY_DELAYS.to_vec(),
        holder: monthly::holder(),
    };
    let report = monthly::run(&pool, &versions, &context.config, &mailer, &options)
        .map_err(|e| CliError::Input(e.to_string()))?;
    if report.other_instance {
        say!("another instance is sending the monthly summaries right now; nothing done");
        return Ok(());
    }
    let printed = (|| -> Result<(), CliError> {
        if args.dry_run {
            // a dry run neither reads nor writes the log: it writes every recipient's message
            say!(
                "{period}: would send {} (dry run: nothing sent or recorded), {} failed",
                report.sent,
                report.failed.len()
            );
            say!("messages written to {}", args.out.display());
        } else {
            say!(
                "{period}: {} sent, {} already sent earlier, {} in progress elsewhere or uncertain, {} failed",
                report.sent,
                report.already_sent,
                report.busy,
                report.failed.len()
            );
        }
        for (to, reason) in &report.failed {
            say!("  not sent to {to}: {reason}");
        }
        Ok(())
    })();
    // failed messages fail the command even when nobody reads its output
    if !report.failed.is_empty() {
        return Err(CliError::Input(format!(
            "{} messages failed; run send-monthly again to retry them",
            report.failed.len()
        )));
    }
    printed
}
