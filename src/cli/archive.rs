//! `skm archive --before YYYY-MM [--out FILE]` moves the raw responses of closed months to a
//! gzip-compressed file; `skm archive restore FILE` brings them back (`db::archive`).
//!
//! The file is written beside its target (`.part`), fsynced and linked into place before a
//! single row is deleted; the rows are then deleted in one transaction. Ctrl-C, an error or a
//! full disk before that commit leaves the database as it was and no file behind.

use super::transfer::{partial_path, publish};
use super::{progress, CliError, Context};
use crate::db::archive::{self, Summary};
use crate::db::transfer::{create_private, TransferError};
use crate::db::DbError;
use crate::domain::period::{local_date, Period};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ArchiveArgs {
    #[command(subcommand)]
    pub command: Option<ArchiveCommand>,
    /// the first month kept (YYYY-MM): every response dated before it is archived; at most the
    /// previous month, as the current one is still open
    #[arg(long)]
    pub before: Option<String>,
    /// the archive to write (must not exist; default skm-archive-before-YYYY-MM.jsonl.gz)
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum ArchiveCommand {
    /// Put the responses of an archive back (all or nothing; the daily totals are left alone)
    Restore {
        /// a file written by `skm archive --before`
        file: PathBuf,
    },
}

pub fn run(context: &Context, args: ArchiveArgs) -> Result<(), CliError> {
    match (args.command, args.before) {
        (Some(ArchiveCommand::Restore { file }), _) => restore(context, &file),
        (None, Some(before)) => write(context, &before, args.out),
        (None, None) => {
            Err(CliError::Input("say which months: skm archive --before YYYY-MM, or skm archive restore FILE".into()))
        }
    }
}

/// `--before`, a month before the current one (in the deployment's time zone).
fn closed_month(text: &str, tz: chrono_tz::Tz) -> Result<Period, CliError> {
    let month = match text.trim().parse::<Period>() {
        Ok(month @ Period::Month { .. }) => month,
        _ => return Err(CliError::Input(format!("--before: '{text}' is not a month like 2021-01"))),
    };
    let current = Period::month_of(local_date(chrono::Utc::now(), tz));
    if month.first_day() >= current.first_day() {
        let latest = current.previous().first_day().format("%Y-%m");
        return Err(CliError::Input(format!(
            "--before {}: the current month and the one before it may still receive responses; \
             the latest is --before {latest}",
            text.trim()
        )));
    }
    Ok(month)
}

fn write(context: &Context, before: &str, out: Option<PathBuf>) -> Result<(), CliError> {
    let month = closed_month(before, context.config.timezone)?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("skm-archive-before-{}.jsonl.gz", before.trim())));
    if out.exists() {
        return Err(CliError::Input(format!("{} exists; choose a new file", out.display())));
    }
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let partial = partial_path(&out);
    // left by a run that was killed outright; ours, so private like the new one
    let _ = std::fs::remove_file(&partial);
    let file = create_private(&partial)?;
    let mut meter = progress::Progress::new("archive", "rows", &context.config);
    let mut gz = GzEncoder::new(BufWriter::new(file), Compression::default());
    let written = archive::write(&mut conn, month, &name, &mut gz, &mut meter).and_then(|summary| {
        let file = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(summary)
    });
    // durable and in its place before anything is deleted
    let summary = match written.and_then(|summary| publish(&partial, &out).map(|()| summary)) {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(failed(e, "no archive was written and no response was deleted"));
        }
    };
    sync_folder(&out);
    if let Err(e) = archive::remove(&mut conn, &summary, &mut meter) {
        // the responses are all still in the database: the file must not suggest otherwise
        let _ = std::fs::remove_file(&out);
        return Err(failed(e, "no response was deleted and the archive file was removed"));
    }
    meter.finish();
    say!("wrote {} and removed its {} responses from the database", out.display(), summary.responses());
    report(&summary)?;
    say!("the daily totals stay: the index of those months still shows; keep the file (skm archive restore)");
    Ok(())
}

fn restore(context: &Context, path: &Path) -> Result<(), CliError> {
    let file = File::open(path).map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let mut meter = progress::Progress::new("archive restore", "rows", &context.config);
    let mut input = BufReader::new(GzDecoder::new(BufReader::new(file)));
    let summary = archive::restore(&mut conn, &mut input, &mut meter).map_err(|e| match e {
        TransferError::Db(DbError::Interrupted) => {
            CliError::Interrupted("nothing was restored; the database is as it was")
        }
        TransferError::Db(e) => CliError::Db(e),
        other => CliError::Input(format!("{}: {other}; nothing was restored", path.display())),
    })?;
    meter.finish();
    say!("restored {} responses from {}", summary.responses(), path.display());
    report(&summary)?;
    Ok(())
}

fn failed(e: TransferError, unchanged: &'static str) -> CliError {
    match e {
        TransferError::Db(DbError::Interrupted) => CliError::Interrupted(unchanged),
        other => CliError::from(other),
    }
}

fn report(summary: &Summary) -> Result<(), CliError> {
    for (month, n) in &summary.months {
        say!("  {month} {n:>9} responses");
    }
    for (table, n) in summary.rows.iter().filter(|(_, n)| **n > 0) {
        say!("  {table:<24} {n:>9} rows");
    }
    Ok(())
}

/// The new name is durable too (a crash after the delete must not lose the file's entry).
fn sync_folder(file: &Path) {
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    if let Err(e) = File::open(folder).and_then(|f| f.sync_all()) {
        tracing::warn!(error = %e, folder = %folder.display(), "the archive's folder could not be synced");
    }
    #[cfg(not(unix))]
    let _ = folder;
}
