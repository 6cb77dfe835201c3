//! The `skm` command line: every command loads the configuration the same way, then does one job.

/// Command output, one line. A reader that stops early (`skm demo | head -1`) ends the command
/// with `CliError::Stdout`, which `main` ends quietly, instead of a panic in `println!`.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::cli::CliError::Stdout)?
    }};
}

mod admin;
mod apikey;
mod archive;
mod compute;
mod demo;
mod desks;
mod evidence;
mod gateway;
mod import_sheet;
mod init;
mod invitations;
pub mod mail;
pub mod progress;
mod qr;
mod report;
mod serve;
mod setup;
mod transfer;

use crate::catalog::{Catalog, CatalogError};
use crate::config::{Config, ConfigError};
use crate::db::{self, DbError};
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Parser)]
#[command(name = "skm", version, about = "Survei Kepuasan Masyarakat (PermenPANRB No. 14/2017)")]
pub struct Cli {
    /// Configuration file (default: ./skm.toml when it exists)
    #[arg(long, global = true, env = "SKM_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates the database first)
    Serve {
        /// first fill an empty database with the demo regency (see `skm demo`)
        #[arg(long)]
        demo: bool,
    },
    /// Create a demo regency: units, services, users for each role (passwords printed once) and a
    /// year of synthetic responses
    Demo {
        #[arg(long, default_value_t = demo::DEFAULT_RESPONSES)]
        responses: usize,
    },
    /// Set up a new deployment on an empty database: the regency (root unit) and its first
    /// admin, whose one-time invitation link is printed
    Init(init::InitArgs),
    /// Apply pending database migrations
    Migrate,
    /// Recompute the daily totals the aggregator reads from the stored responses (after a bulk
    /// load or a manual repair)
    RebuildTotals,
    /// Refresh the monthly roll-ups of the regencies, provinces and the nation (skm serve does
    /// it every `rollup_minutes`): the months still open, every month with `--all`, or one
    Rollup {
        /// every month with responses (after a bulk load, an import or a repair)
        #[arg(long, conflicts_with = "month")]
        all: bool,
        /// one month, YYYY-MM
        #[arg(long)]
        month: Option<String>,
    },
    /// Manage service units (regency → OPD → sub-unit)
    #[command(subcommand)]
    Unit(admin::UnitCommand),
    /// Manage a unit's services (jenis layanan)
    #[command(subcommand)]
    Service(admin::ServiceCommand),
    /// Ticket mode: codes printed on queue tickets, each counting once
    #[command(subcommand)]
    Ticket(admin::TicketCommand),
    /// Manage user accounts
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Integration API keys for a unit's own systems: create (printed once), list, revoke
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// List the survey templates this deployment offers
    Templates,
    /// The setup workbook: write the template or the current setup, or read one (units,
    /// services, users, populations) and apply it after a preview
    Setup(setup::SetupArgs),
    /// Import a CSV or XLSX of responses into a unit (all rows or none)
    Import(import_sheet::ImportArgs),
    /// E-mail settings check
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// SMS/WhatsApp gateway check
    #[command(subcommand)]
    Gateway(gateway::GatewayCommand),
    /// Send (or with --dry-run write) the monthly summaries now; sends only what is missing
    SendMonthly(mail::SendMonthlyArgs),
    /// Write the official report of a unit and period (PDF, XLSX or CSV)
    Report(report::ReportArgs),
    /// Write the PEKPPP evidence pack of a period: a ZIP of reports, publication log and follow-up
    Evidence(evidence::EvidenceArgs),
    /// Write a unit's A4 QR poster (PDF, SVG or PNG)
    Qr(qr::QrArgs),
    /// Issue survey invitations for pre-printed slips and write them as an A4 PDF with cut marks
    Invitations(invitations::SlipsArgs),
    /// Compute the index (SPEC §3) of a CSV of responses
    Compute(compute::ComputeArgs),
    /// Copy a SQLite database while the service runs (PostgreSQL: pg_dump, see the README)
    Backup(transfer::BackupArgs),
    /// Write every row of every table to a JSON-lines file (to move to the other backend)
    ExportAll(transfer::ExportArgs),
    /// Load a file from `skm export-all` into a new, empty database (all or nothing)
    ImportAll(transfer::ImportArgs),
    /// Move the raw responses of closed months to a compressed file (`--before YYYY-MM`), or put
    /// them back (`restore FILE`); the daily totals stay, so their index still shows
    Archive(archive::ArchiveArgs),
}

#[derive(Debug, Error)]
pub enum CliError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("survey template: {0}")]
    Catalog(#[from] CatalogError),
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// writing the command's own output failed (its reader went away, or a full disk)
    #[error("writing the output: {0}")]
    Stdout(std::io::Error),
    /// a long command stopped by Ctrl-C, and what it left as it was
    #[error("interrupted: {0}")]
    Interrupted(&'static str),
}

/// The language of the messages about a person's own file (`skm import`, `skm compute`).
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum MessageLang {
    /// Bahasa Indonesia
    #[default]
    Id,
    /// English
    En,
}

impl MessageLang {
    pub fn tr(self) -> crate::i18n::Tr {
        crate::i18n::Tr::new(match self {
            MessageLang::Id => crate::domain::template::Lang::Id,
            MessageLang::En => crate::domain::template::Lang::En,
        })
    }
}

/// What most commands need: settings and the questionnaires.
pub struct Context {
    pub config: Config,
    pub catalog: Catalog,
}

impl Context {
    fn load(cli: &Cli) -> Result<Context, CliError> {
        let config = Config::load(cli.config.as_deref(), std::env::vars())?;
        let catalog = Catalog::load(config.templates_dir.as_deref())?;
        catalog.get(&config.default_template)?;
        Ok(Context { config, catalog })
    }

    /// Opens the database and brings its schema up to date.
    fn database(&self) -> Result<db::Pool, CliError> {
        let pool = db::open_pool(
            self.config.database_url.expose_secret(),
            self.config.pool_connections(),
            Duration::from_millis(self.config.pool_timeout_ms),
        )?;
        let mut conn = pool.get().map_err(DbError::from)?;
        db::migrate(&mut conn)?;
        db::partitions::maintain(&mut conn, chrono::Utc::now().date_naive())?;
        drop(conn);
        Ok(pool)
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let context = Context::load(&cli)?;
    init_logging(&context.config.log, context.config.log_format);
    match cli.command {
        Command::Serve { demo: with_demo } => {
            if with_demo {
                let pool = context.database()?;
                demo::run(&context, &pool, demo::DEFAULT_RESPONSES)?;
            }
            serve::run(context)
        }
        Command::Demo { responses } => {
            progress::catch_ctrl_c();
            let pool = context.database()?;
            demo::run(&context, &pool, responses)
        }
        Command::Migrate => {
            let pool = db::open_pool(
                context.config.database_url.expose_secret(),
                1,
                Duration::from_millis(context.config.pool_timeout_ms),
            )?;
            let mut conn = pool.get().map_err(DbError::from)?;
            let applied = db::migrate(&mut conn)?;
            if applied.is_empty() {
                say!("database is up to date");
            }
            for version in applied {
                say!("applied migration {version}");
            }
            Ok(())
        }
        Command::RebuildTotals => {
            progress::catch_ctrl_c();
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            let mut meter = progress::Progress::new("rebuild-totals", "responses", &context.config);
            db::totals::rebuild(&mut conn, &mut meter).map_err(|e| {
                progress::stopped(e, "the daily totals are as they were (run skm rebuild-totals again)")
            })?;
            meter.finish();
            // the roll-ups are sums of the daily totals: refreshed now, the region pages agree
            // with the rebuilt totals at once instead of after serve's next daily pass
            let now = chrono::Utc::now();
            let months = crate::rollup::all_months(&mut conn, now)?;
            crate::rollup::refresh(&mut conn, &months, now, |_, _| {})?;
            say!("daily totals rebuilt; roll-ups of {} months refreshed", months.len());
            Ok(())
        }
        Command::Rollup { all, month } => {
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            let now = chrono::Utc::now();
            let months = match month {
                Some(text) => match text.trim().parse::<crate::domain::period::Period>() {
                    Ok(crate::domain::period::Period::Month { .. }) => vec![text.trim().to_string()],
                    _ => return Err(CliError::Input(format!("--month: '{text}' is not a month like 2026-10"))),
                },
                None if all => crate::rollup::all_months(&mut conn, now)?,
                None => crate::rollup::open_months(now),
            };
            let done = crate::rollup::refresh(&mut conn, &months, now, |month, done| {
                tracing::info!(month, responses = done.responses, rows = done.rows, "month refreshed");
            })?;
            say!("roll-ups refreshed: {} months, {} responses", months.len(), done.responses);
            Ok(())
        }
        Command::Init(args) => init::run(&context, args),
        Command::Unit(command) => admin::unit(&context, command),
        Command::Service(command) => admin::service(&context, command),
        Command::User(command) => admin::user(&context, command),
        Command::Apikey(command) => apikey::run(&context, command),
        Command::Ticket(command) => admin::ticket(&context, command),
        Command::Templates => {
            for t in context.catalog.all() {
                say!("{:<22} {:<8} {:>2} unsur  {}", t.id, t.version, t.elements.len(), t.title.id);
            }
            Ok(())
        }
        Command::Compute(args) => compute::run(&context, args),
        Command::Import(args) => import_sheet::run(&context, args),
        Command::Setup(args) => setup::run(&context, args),
        Command::Qr(args) => qr::run(&context, args),
        Command::Invitations(args) => invitations::run(&context, args),
        Command::Report(args) => report::run(&context, args),
        Command::Evidence(args) => {
            progress::catch_ctrl_c();
            evidence::run(&context, args)
        }
        Command::Mail(command) => mail::test(&context, command),
        Command::Gateway(command) => gateway::run(&context, command),
        Command::SendMonthly(args) => mail::send_monthly(&context, args),
        Command::Backup(args) => transfer::backup(&context, args),
        Command::ExportAll(args) => {
            progress::catch_ctrl_c();
            transfer::export_all(&context, args)
        }
        Command::ImportAll(args) => {
            progress::catch_ctrl_c();
            transfer::import_all(&context, args)
        }
        Command::Archive(args) => {
            progress::catch_ctrl_c();
            archive::run(&context, args)
        }
    }
}

fn init_logging(filter: &str, format: crate::config::LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The gateway's HTTP library logs each request's URL at debug and its bytes at trace: the
    // phone number, the token. Whatever the filter asks, only its warnings are logged.
    let filter = ["ureq=warn", "ureq_proto=warn"]
        .iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, tracing_subscriber::EnvFilter::add_directive);
    // Colour codes only on a terminal: in a file or journald they are noise ("\x1b[32m INFO").
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    // A second init (tests calling run twice) is harmless; ignore it.
    let _ = match format {
        crate::config::LogFormat::Text => logs.try_init(),
        // The request span carries the request id onto every line logged while serving it.
        crate::config::LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).try_init(),
    };
}
