//! `skm qr SLUG --out poster.pdf|svg|png [--service SLUG]`: the unit's A4 QR poster.

use super::{CliError, Context};
use crate::catalog::TemplateRegistry;
use crate::db::DbError;
use crate::reports::poster::{render, Poster, PosterFormat};
use crate::survey;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct QrArgs {
    /// the unit's slug
    pub unit: String,
    /// output file; the extension (.pdf, .svg or .png) picks the format
    #[arg(long)]
    pub out: PathBuf,
    /// a service slug, for a poster of that service's form
    #[arg(long)]
    pub service: Option<String>,
}

pub fn run(context: &Context, args: QrArgs) -> Result<(), CliError> {
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let format = PosterFormat::from_extension(ext)
        .ok_or_else(|| CliError::Input(format!("--out: '{}' must end in .pdf, .svg or .png", args.out.display())))?;
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let form = survey::form_for_unit(&mut conn, &versions, &args.unit)?
        .ok_or_else(|| CliError::Input(format!("no unit with slug '{}'", args.unit)))?;
    let poster = Poster::for_form(&form, args.service.as_deref(), &context.config.base_url).ok_or_else(|| {
        CliError::Input(format!("--service: the unit has no service '{}'", args.service.unwrap_or_default()))
    })?;
    let bytes = render(&poster, format).map_err(|e| CliError::Input(e.to_string()))?;
    std::fs::write(&args.out, bytes).map_err(|e| CliError::Input(format!("{}: {e}", args.out.display())))?;
    say!("wrote {} ({})", args.out.display(), poster.url);
    if context.config.base_url_is_local() {
        tracing::warn!(base_url = %context.config.base_url, "the QR code opens only on this machine: set base_url");
    }
    Ok(())
}
