//! `skm import FILE --unit SLUG`: a CSV or XLSX of responses into a unit, all rows or none; the
//! same file a second time only with `--again`.

use super::{CliError, Context, MessageLang};
use crate::catalog::TemplateRegistry;
use crate::db::DbError;
use crate::domain::names::Channel;
use crate::domain::period::local_date;
use crate::survey;
use crate::survey::sheet_import::{self, ImportOutcome, Upload};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV (`,` or `;` between cells) or XLSX file with the columns of `skm compute` (plus
    /// layanan, tanggal, profile, saran; a `template` column, as `skm report` writes it, must
    /// name the unit's questionnaire)
    pub file: PathBuf,
    #[arg(long)]
    pub unit: String,
    /// record the responses as typed-in paper questionnaires instead of an import
    #[arg(long)]
    pub paper: bool,
    /// import the file even though the same file was imported into the unit before
    #[arg(long)]
    pub again: bool,
    /// language of the messages about the file
    #[arg(long, value_enum, default_value_t)]
    pub lang: MessageLang,
}

pub fn run(context: &Context, args: ImportArgs) -> Result<(), CliError> {
    let tr = args.lang.tr();
    let bytes = std::fs::read(&args.file).map_err(|e| CliError::Input(format!("{}: {e}", args.file.display())))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let form = survey::form_for_unit(&mut conn, &versions, &args.unit)?
        .ok_or_else(|| CliError::Input(format!("no unit with slug '{}'", args.unit)))?;
    let now = chrono::Utc::now();
    // the confirmation is for this very file: its hash, as the web form carries it
    let confirmed = args.again.then(|| sheet_import::content_hash(&bytes));
    let upload = Upload {
        bytes: &bytes,
        channel: if args.paper { Channel::Paper } else { Channel::Import },
        now: now.naive_utc(),
        today: local_date(now, context.config.timezone),
        actor: None,
        again: confirmed.as_deref(),
    };
    match sheet_import::import(&mut conn, &form, &upload)? {
        ImportOutcome::Imported { count } => {
            say!("{}", tr.fill("import.cli.done", &[("count", count.to_string()), ("unit", form.unit.slug.clone())]));
            Ok(())
        }
        ImportOutcome::Refused(issues) => {
            let shown = args.file.display();
            let lines: Vec<String> = issues.iter().map(|i| format!("{shown}: {}", i.text(tr))).collect();
            Err(CliError::Input(format!("{}\n{}", tr.t("import.cli.failed"), lines.join("\n"))))
        }
        ImportOutcome::AlreadyImported { earlier, .. } => {
            let earlier = sheet_import::earlier_import(tr, &earlier, context.config.timezone);
            Err(CliError::Input(tr.fill("import.cli.again", &[("earlier", earlier)])))
        }
    }
}
