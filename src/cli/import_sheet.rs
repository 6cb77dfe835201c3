//! `skm import FILE --unit SLUG`: a CSV or XLSX of responses into a unit, all rows or none.

use super::{CliError, Context};
use crate::catalog::TemplateRegistry;
use crate::db::DbError;
use crate::domain::names::Channel;
use crate::domain::period::local_date;
use crate::survey::{self, sheet_import};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV or XLSX file with the columns of `skm compute` (plus layanan, tanggal, profile, saran)
    pub file: PathBuf,
    #[arg(long)]
    pub unit: String,
    /// record the responses as typed-in paper questionnaires instead of an import
    #[arg(long)]
    pub paper: bool,
}

pub fn run(context: &Context, args: ImportArgs) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.file).map_err(|e| CliError::Input(format!("{}: {e}", args.file.display())))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let form = survey::form_for_unit(&mut conn, &versions, &args.unit)?
        .ok_or_else(|| CliError::Input(format!("no unit with slug '{}'", args.unit)))?;
    let shown = args.file.display().to_string();
    let report = |issues: Vec<crate::sheets::csv::CsvIssue>| {
        let lines: Vec<String> = issues.iter().map(|i| format!("{shown}: {i}")).collect();
        CliError::Input(format!("nothing was imported:\n{}", lines.join("\n")))
    };
    let rows = sheet_import::read_upload(&form.template, &bytes).map_err(report)?;
    let now = chrono::Utc::now();
    let channel = if args.paper { Channel::Paper } else { Channel::Import };
    let count = sheet_import::import(
        &mut conn,
        &form,
        rows,
        channel,
        now.naive_utc(),
        local_date(now, context.config.timezone),
        None,
    )?
    .map_err(report)?;
    say!("imported {count} responses into {}", form.unit.slug);
    Ok(())
}
