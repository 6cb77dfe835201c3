//! `skm backup`, `skm export-all`, `skm import-all`: copies and moves of a whole deployment.

use super::{progress, CliError, Context};
use crate::db::transfer::{self, TransferError};
use crate::db::DbError;
use secrecy::ExposeSecret;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// the copy to write (must not exist)
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// the JSON-lines file to write (must not exist)
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// a file written by `skm export-all`
    #[arg(long = "in")]
    pub input: PathBuf,
}

/// What a backup or an export holds, and so who may read it (`transfer::create_private`).
#[cfg(unix)]
const PRIVATE: &str = "written with mode 0600: it holds the master secret and password hashes";
#[cfg(not(unix))]
const PRIVATE: &str = "it holds the master secret and password hashes: keep it where only you can read it";

impl From<TransferError> for CliError {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::Db(e) => CliError::Db(e),
            TransferError::Io(e) => CliError::Io(e),
            other => CliError::Input(other.to_string()),
        }
    }
}

/// The database as it is: a backup or an export must not first migrate a deployment that an
/// older binary is still serving.
fn unmigrated(context: &Context) -> Result<crate::db::PooledConnection, CliError> {
    let timeout = std::time::Duration::from_millis(context.config.pool_timeout_ms);
    let pool = crate::db::open_pool(context.config.database_url.expose_secret(), 1, timeout)?;
    Ok(pool.get().map_err(DbError::from)?)
}

pub fn backup(context: &Context, args: BackupArgs) -> Result<(), CliError> {
    let mut conn = unmigrated(context)?;
    transfer::backup_sqlite(&mut conn, &args.out)?;
    say!("wrote {}", args.out.display());
    say!("{PRIVATE}");
    Ok(())
}

pub fn export_all(context: &Context, args: ExportArgs) -> Result<(), CliError> {
    let mut conn = unmigrated(context)?;
    if !crate::db::migrations_current(&mut conn)? {
        return Err(CliError::Input(
            "the database's schema differs from this skm's: export with the release that serves it".into(),
        ));
    }
    if args.out.exists() {
        return Err(TransferError::Refused(format!("{} exists; choose a new file", args.out.display())).into());
    }
    // Written beside the target and put in its place only once complete: an export cut off
    // (an error, Ctrl-C, a full disk) is never where a later import could find it.
    let partial = partial_path(&args.out);
    // left by a run that was killed outright; ours, so private like the new one
    let _ = std::fs::remove_file(&partial);
    let file = transfer::create_private(&partial)?;
    let mut out = BufWriter::new(file);
    let mut meter = progress::Progress::new("export-all", "rows", &context.config);
    let written = transfer::export(&mut conn, &mut out, &mut meter).and_then(|counts| {
        out.flush()?;
        out.get_ref().sync_all()?;
        Ok(counts)
    });
    drop(out);
    let counts = written.and_then(|counts| publish(&partial, &args.out).map(|()| counts));
    let counts = match counts {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(match e {
                TransferError::Db(DbError::Interrupted) => CliError::Interrupted("no export was written"),
                other => other.into(),
            });
        }
    };
    meter.finish();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    say!("wrote {} ({total} rows)", args.out.display());
    say!("{PRIVATE}");
    for (table, n) in counts.iter().filter(|(_, n)| *n > 0) {
        say!("  {table:<24} {n:>9}");
    }
    Ok(())
}

/// `skm.jsonl` → `skm.jsonl.part`.
pub(super) fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(OsString::from).unwrap_or_default();
    name.push(".part");
    out.with_file_name(name)
}

/// Puts the finished `partial` at `out` without replacing a file that appeared there meanwhile:
/// a second name (a hard link) is refused when `out` exists, as creating it was at the start.
/// Where the file system has no hard links, a rename after one more look.
pub(super) fn publish(partial: &Path, out: &Path) -> Result<(), TransferError> {
    let exists = || TransferError::Refused(format!("{} exists; choose a new file", out.display()));
    match std::fs::hard_link(partial, out) {
        Ok(()) => {
            std::fs::remove_file(partial)?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
        Err(_) if out.exists() => Err(exists()),
        Err(_) => Ok(std::fs::rename(partial, out)?),
    }
}

pub fn import_all(context: &Context, args: ImportArgs) -> Result<(), CliError> {
    let file =
        File::open(&args.input).map_err(|e| CliError::Input(format!("cannot read {}: {e}", args.input.display())))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let mut meter = progress::Progress::new("import-all", "rows", &context.config);
    let counts = transfer::import(&mut conn, &mut BufReader::new(file), &mut meter).map_err(|e| match e {
        TransferError::Db(DbError::Interrupted) => {
            CliError::Interrupted("nothing was imported; the database is as it was")
        }
        other => CliError::Input(format!("{}: {other}", args.input.display())),
    })?;
    meter.finish();
    // the older months' rows went to the default partition (PostgreSQL): each gets its own
    crate::db::partitions::maintain(&mut conn, chrono::Utc::now().date_naive())?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    say!("imported {total} rows from {}", args.input.display());
    for (table, n) in &counts {
        say!("  {table:<24} {n:>9}");
    }
    Ok(())
}
