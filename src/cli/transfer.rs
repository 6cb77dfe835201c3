//! `skm backup`, `skm export-all`, `skm import-all`: copies and moves of a whole deployment.

use super::{CliError, Context};
use crate::db::transfer::{self, TransferError};
use crate::db::DbError;
use secrecy::ExposeSecret;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

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
    let file = transfer::create_private(&args.out)?;
    let mut out = BufWriter::new(file);
    let written = transfer::export(&mut conn, &mut out).and_then(|counts| {
        out.flush()?;
        out.get_ref().sync_all()?;
        Ok(counts)
    });
    let counts = match written {
        Ok(counts) => counts,
        Err(e) => {
            // never leave half an export where a later import could find it
            drop(out);
            let _ = std::fs::remove_file(&args.out);
            return Err(e.into());
        }
    };
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    say!("wrote {} ({total} rows)", args.out.display());
    say!("{PRIVATE}");
    for (table, n) in counts.iter().filter(|(_, n)| *n > 0) {
        say!("  {table:<24} {n:>9}");
    }
    Ok(())
}

pub fn import_all(context: &Context, args: ImportArgs) -> Result<(), CliError> {
    let file =
        File::open(&args.input).map_err(|e| CliError::Input(format!("cannot read {}: {e}", args.input.display())))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let counts = transfer::import(&mut conn, &mut BufReader::new(file))
        .map_err(|e| CliError::Input(format!("{}: {e}", args.input.display())))?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    say!("imported {total} rows from {}", args.input.display());
    for (table, n) in &counts {
        say!("  {table:<24} {n:>9}");
    }
    Ok(())
}
