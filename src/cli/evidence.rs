//! `skm evidence --period 2026 --out bukti-skm-2026.zip`: the PEKPPP evidence pack (SPEC §6a).

use super::{progress, CliError, Context};
use crate::catalog::TemplateRegistry;
use crate::db::DbError;
use crate::domain::period::{local_date, Period};
use crate::reports::evidence::{self, EvidenceError};
use crate::reports::official_pdf;
use clap::Args;
use std::io::BufWriter;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// 2026, 2026-S1, 2026-Q3, 2026-10 or 2026-01-01..2026-03-31
    #[arg(long)]
    pub period: String,
    /// the ZIP to write (replaced only once the pack is complete)
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(context: &Context, args: EvidenceArgs) -> Result<(), CliError> {
    let period: Period = args.period.parse().map_err(|e| CliError::Input(format!("--period: {e}")))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let options = evidence::Options {
        today: local_date(chrono::Utc::now(), context.config.timezone),
        downloaded: "skm evidence (baris perintah)",
        default_logo: context.config.logo.as_deref().and_then(official_pdf::read_logo),
    };
    // written beside the target and renamed at the end, so a failed run leaves no half a ZIP
    let partial = args.out.with_extension("zip.part");
    let io = |path: &PathBuf, e: std::io::Error| CliError::Input(format!("{}: {e}", path.display()));
    let file = std::fs::File::create(&partial).map_err(|e| io(&partial, e))?;
    let mut meter = progress::Progress::new("evidence", "reports", &context.config);
    let written = evidence::write_metered(&mut conn, &versions, period, &options, BufWriter::new(file), &mut meter);
    let written = match written {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(match e {
                EvidenceError::Db(DbError::Interrupted) => CliError::Interrupted("no pack was written"),
                other => CliError::Input(other.to_string()),
            });
        }
    };
    meter.finish();
    std::fs::rename(&partial, &args.out).map_err(|e| io(&args.out, e))?;
    let percent = written.progress.percent().map_or_else(|| "–".to_string(), |p| format!("{p} %"));
    say!(
        "wrote {}: {} files, {} unit reports, published in {} media, follow-up {} done",
        args.out.display(),
        written.files,
        written.units,
        written.media,
        percent
    );
    Ok(())
}
