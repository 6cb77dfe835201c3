//! `skm report --unit SLUG --period 2026-10 --format pdf|docx|xlsx|csv --out FILE [--sub]`

use super::{CliError, Context};
use crate::aggregator;
use crate::catalog::TemplateRegistry;
use crate::db::{units, DbError};
use crate::domain::period::{local_date, Period};
use crate::reports::{csv_export, data, official_pdf, xlsx};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Pdf,
    /// the PDF's report as a Word document, to edit before signing
    Docx,
    Xlsx,
    Csv,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub unit: String,
    /// 2026-10, 2026-Q3, 2026-S1, 2026 or 2026-01-01..2026-03-31
    #[arg(long)]
    pub period: String,
    #[arg(long, value_enum)]
    pub format: ReportFormat,
    #[arg(long)]
    pub out: PathBuf,
    /// include the unit's sub-units (a regency report: the regency's unit with --sub)
    #[arg(long)]
    pub sub: bool,
    /// end the PDF or Word report with the appendix per counter and officer (Lampiran: kinerja
    /// per loket), figures only from `scorecard_min_responses` responses
    #[arg(long)]
    pub loket: bool,
}

pub fn run(context: &Context, args: ReportArgs) -> Result<(), CliError> {
    let period: Period = args.period.parse().map_err(|e| CliError::Input(format!("--period: {e}")))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let unit = units::by_slug(&mut conn, &args.unit).map_err(|e| match e {
        DbError::NotFound => CliError::Input(format!("no unit with slug '{}'", args.unit)),
        other => other.into(),
    })?;
    let today = local_date(chrono::Utc::now(), context.config.timezone);
    let who = "skm report (baris perintah)";
    let write = |bytes: Vec<u8>| {
        std::fs::write(&args.out, bytes).map_err(|e| CliError::Input(format!("{}: {e}", args.out.display())))
    };
    match args.format {
        ReportFormat::Pdf | ReportFormat::Docx => {
            let mut report = data::gather(&mut conn, &versions, &unit, period, args.sub)?;
            report.add_response_rate(&mut conn, context.config.timezone)?;
            if args.loket {
                let min = u64::from(context.config.scorecard_min_responses);
                report.desks = Some(crate::desks::scorecard(&mut conn, &versions, &unit, &period, min)?);
            }
            let default_logo = context.config.logo.as_deref().and_then(official_pdf::read_logo);
            let options = official_pdf::Options { today, downloaded: who, default_logo };
            let file = if matches!(args.format, ReportFormat::Pdf) {
                official_pdf::pdf(&report, &options)
            } else {
                official_pdf::docx(&report, &options)
            };
            write(file.map_err(CliError::Input)?)?;
        }
        ReportFormat::Xlsx => {
            let mut report = data::gather(&mut conn, &versions, &unit, period, args.sub)?;
            report.add_response_rate(&mut conn, context.config.timezone)?;
            write(xlsx::workbook(&mut conn, &report, who, today).map_err(|e| CliError::Input(e.to_string()))?)?;
        }
        ReportFormat::Csv => {
            let (template, version_ids) = aggregator::template_of(&mut conn, &versions, &unit)?;
            let unit_ids = units::scope_ids(&mut conn, unit.id, args.sub)?;
            let file = std::fs::File::create(&args.out)
                .map_err(|e| CliError::Input(format!("{}: {e}", args.out.display())))?;
            csv_export::write(&mut conn, &template, &version_ids, &unit_ids, period, std::io::BufWriter::new(file))
                .map_err(|e| CliError::Input(e.to_string()))?;
        }
    }
    say!("wrote {}", args.out.display());
    Ok(())
}
