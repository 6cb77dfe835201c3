//! `skm demo` (and `skm serve --demo`): fill the database with the demo regency.

use super::{progress, CliError, Context};
use crate::catalog::TemplateRegistry;
use crate::db::{DbError, Pool};
use crate::demo::{self, DemoOutcome};

pub const DEFAULT_RESPONSES: usize = 6000;

pub fn run(context: &Context, pool: &Pool, responses: usize) -> Result<(), CliError> {
    let mut conn = pool.get().map_err(DbError::from)?;
    let versions = TemplateRegistry::register(&mut conn, &context.catalog, &context.config.default_template)?;
    let today = demo::today(context.config.timezone);
    let mut meter = progress::Progress::new("demo", "responses", &context.config);
    let created = demo::create(&mut conn, &versions, today, responses, 20261127, &mut meter)
        .map_err(|e| progress::stopped(e, "no demo data was added"))?;
    meter.finish();
    match created {
        DemoOutcome::AlreadyPresent => say!("the demo regency is already in the database; nothing added"),
        DemoOutcome::Created { accounts, responses } => {
            let shown = demo::showcase(&mut conn, today)?;
            say!(
                "demo regency Kutai Timur created: {} units, {responses} responses over the last 12 months",
                demo::UNIT_COUNT
            );
            say!(
                "  {} follow-up actions in every status, {} published results with {} publication media",
                shown.actions,
                shown.publications,
                shown.media
            );
            say!("sign in at {}/masuk with (shown only now):", context.config.base_url);
            for a in accounts {
                say!(
                    "  {:<10} {:<48} {}{}",
                    a.role.as_str(),
                    a.email,
                    a.password,
                    a.unit.map(|u| format!("  ({u})")).unwrap_or_default()
                );
            }
            say!("public form example: {}/s/disdukcapil", context.config.base_url);
            say!("Mal Pelayanan Publik (asks which agency first): {}/s/{}", context.config.base_url, demo::HALL_SLUG);
        }
    }
    Ok(())
}
