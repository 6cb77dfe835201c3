//! `skm qr SLUG --out poster.pdf|svg|png [--service SLUG] [--counter CODE]`: the unit's A4 QR
//! poster (of one service, at one counter);
//! `skm qr --all --out poster-semua.pdf`: every active unit's poster in one PDF. Either records
//! the download for the units it holds.

use super::{CliError, Context};
use crate::catalog::TemplateRegistry;
use crate::db::DbError;
use crate::reports::poster::{render, Poster, PosterError, PosterFormat};
use crate::reports::posters;
use crate::survey;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct QrArgs {
    /// the unit's slug
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub unit: Option<String>,
    /// every active unit's poster (and one per service where a unit asks for it), one A4 page
    /// each, in one PDF
    #[arg(long, conflicts_with = "service")]
    pub all: bool,
    /// output file; the extension (.pdf, .svg or .png) picks the format (.pdf only with --all)
    #[arg(long)]
    pub out: PathBuf,
    /// a service slug, for a poster of that service's form
    #[arg(long)]
    pub service: Option<String>,
    /// a counter's code (loket), for the poster that hangs at that counter: its QR code records
    /// the counter on each response
    #[arg(long, conflicts_with = "all")]
    pub counter: Option<String>,
}

pub fn run(context: &Context, args: QrArgs) -> Result<(), CliError> {
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let format = PosterFormat::from_extension(ext)
        .ok_or_else(|| CliError::Input(format!("--out: '{}' must end in .pdf, .svg or .png", args.out.display())))?;
    if args.all && format != PosterFormat::Pdf {
        return Err(CliError::Input(format!("--out: with --all, '{}' must end in .pdf", args.out.display())));
    }
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let fault = |e: PosterError| match e {
        PosterError::Db(e) => CliError::Db(e),
        other => CliError::Input(other.to_string()),
    };
    if args.all {
        let all = posters::download_all(&mut conn, &versions, &context.config.base_url).map_err(fault)?;
        write(&args.out, &all.pdf)?;
        say!("wrote {} ({} pages for {} units)", args.out.display(), all.pages, all.units);
    } else {
        let unit = args.unit.unwrap_or_default();
        let form = survey::form_for_unit(&mut conn, &versions, &unit)?
            .ok_or_else(|| CliError::Input(format!("no unit with slug '{unit}'")))?;
        let poster = Poster::for_form(&form, args.service.as_deref(), &context.config.base_url).ok_or_else(|| {
            CliError::Input(format!("--service: the unit has no service '{}'", args.service.unwrap_or_default()))
        })?;
        let poster = match args.counter.as_deref() {
            None => poster,
            Some(code) => {
                let code = crate::domain::desk::normalize_code(code);
                let counter = crate::db::counters::by_code(
                    &mut conn,
                    crate::db::counters::Roster::Counters,
                    form.unit.id,
                    &code,
                )?
                .filter(|c| c.enabled)
                .ok_or_else(|| CliError::Input(format!("--counter: the unit has no counter '{code}' in use")))?;
                poster.at_counter(&counter.code, &counter.name)
            }
        };
        let bytes = render(&poster, format).map_err(fault)?;
        write(&args.out, &bytes)?;
        posters::record_download(&mut conn, form.unit.id).map_err(fault)?;
        say!("wrote {} ({})", args.out.display(), poster.url);
    }
    if context.config.base_url_is_local() {
        tracing::warn!(base_url = %context.config.base_url, "the QR code opens only on this machine: set base_url");
    }
    Ok(())
}

fn write(out: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(out, bytes).map_err(|e| CliError::Input(format!("{}: {e}", out.display())))
}
