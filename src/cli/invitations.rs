//! `skm invitations --unit SLUG --count N --out slips.pdf [--service SLUG] [--counter CODE]`:
//! issues N survey invitations without a transaction reference (pre-printed slips: the citizen
//! chooses the service unless one is named) in one transaction, and writes them as an A4 PDF of
//! slips with cut marks. The file must not exist; if it cannot be written, nothing is issued.

use super::{CliError, Context};
use crate::db::{self, units, DbError};
use crate::domain::invitation::Code;
use crate::domain::period::date_id;
use crate::invitations::{self, InvitationError, NewInvitation, BATCH_MAX};
use crate::reports::slips::{self, Sheet, Slip};
use crate::security::Keys;
use clap::Args;
use diesel::Connection;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SlipsArgs {
    /// the unit's slug
    #[arg(long)]
    pub unit: String,
    /// how many invitations (slips) to issue: 1 to 1000
    #[arg(long)]
    pub count: usize,
    /// the PDF to write (must not exist)
    #[arg(long)]
    pub out: PathBuf,
    /// a service slug: the slips open that service's form (otherwise the citizen chooses)
    #[arg(long)]
    pub service: Option<String>,
    /// a counter's code (loket): its responses through the slips record the counter
    #[arg(long)]
    pub counter: Option<String>,
}

pub fn run(context: &Context, args: SlipsArgs) -> Result<(), CliError> {
    if !(1..=BATCH_MAX).contains(&args.count) {
        return Err(CliError::Input(format!("--count: {} is not 1 to {BATCH_MAX} invitations per run", args.count)));
    }
    if args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() != Some("pdf") {
        return Err(CliError::Input(format!("--out: '{}' must end in .pdf", args.out.display())));
    }
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let unit = match units::by_slug(&mut conn, &args.unit) {
        Ok(unit) => unit,
        Err(DbError::NotFound) => return Err(CliError::Input(format!("--unit: no unit with slug '{}'", args.unit))),
        Err(other) => return Err(other.into()),
    };
    let keys = Keys::derive(&db::secrets::master_secret(&mut conn)?);
    let new =
        NewInvitation { reference: None, service: args.service.clone(), counter: args.counter.clone(), officer: None };
    let items = vec![new; args.count];
    let now = chrono::Utc::now().naive_utc();
    let tz = context.config.timezone;
    let base_url = context.config.base_url.trim_end_matches('/').to_string();
    // refuse an existing file before anything is issued
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&args.out).map_err(|e| {
        CliError::Input(match e.kind() {
            std::io::ErrorKind::AlreadyExists => format!("--out: {} exists; choose a new file", args.out.display()),
            _ => format!("--out: cannot create {}: {e}", args.out.display()),
        })
    })?;
    // issued, drawn and written in one transaction: a slip that is not on paper is not issued
    let written = conn.transaction(|conn| -> Result<Vec<crate::db::invitations::Invitation>, CliError> {
        let issued = invitations::issue_batch(conn, &keys, &unit, &items, now, context.config.invitation_expiry_days)
            .map_err(refused)?;
        let issued: Vec<_> = issued.into_iter().map(|i| i.invitation).collect();
        let note = slip_note(conn, unit.id, &issued)?;
        let sheet = Sheet {
            unit_name: unit.name.clone(),
            note,
            slips: issued
                .iter()
                .map(|i| Slip {
                    code: Code::parse(&i.code).map(|c| c.grouped()).unwrap_or_else(|_| i.code.clone()),
                    url: format!("{base_url}/u/{}", i.code),
                    expires: date_id(i.expires_at.and_utc().with_timezone(&tz).date_naive()),
                })
                .collect(),
        };
        let pdf = slips::render(&sheet).map_err(CliError::Input)?;
        file.write_all(&pdf)?;
        file.sync_all()?;
        Ok(issued)
    });
    let issued = match written {
        Ok(issued) => issued,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&args.out);
            return Err(e);
        }
    };
    let pages = issued.len().div_ceil(slips::PER_PAGE);
    let expires = issued.first().map(|i| date_id(i.expires_at.and_utc().with_timezone(&tz).date_naive()));
    say!(
        "wrote {} ({} invitations of {} on {pages} page{}, valid until {})",
        args.out.display(),
        issued.len(),
        unit.slug,
        if pages == 1 { "" } else { "s" },
        expires.unwrap_or_default()
    );
    if context.config.base_url_is_local() {
        tracing::warn!(base_url = %context.config.base_url, "the QR codes open only on this machine: set base_url");
    }
    Ok(())
}

/// "Layanan: KTP elektronik · Loket 1" when the slips name a service or a counter.
fn slip_note(
    conn: &mut db::DbConnection,
    unit_id: i32,
    issued: &[crate::db::invitations::Invitation],
) -> Result<Option<String>, CliError> {
    let Some(first) = issued.first() else { return Ok(None) };
    let mut parts = Vec::new();
    if let Some(id) = first.service_id {
        if let Some(s) = units::services_of(conn, unit_id)?.into_iter().find(|s| s.id == id) {
            parts.push(format!("Layanan: {}", s.name));
        }
    }
    if let Some(id) = first.counter_id {
        let counters = crate::db::counters::list(conn, crate::db::counters::Roster::Counters, unit_id)?;
        if let Some(c) = counters.into_iter().find(|c| c.id == id) {
            parts.push(c.name);
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join(" · ")))
}

fn refused(e: InvitationError) -> CliError {
    match e {
        InvitationError::Invalid { field, reason, .. } => CliError::Input(format!("--{}: {reason}", field.name())),
        InvitationError::TooMany(n) => CliError::Input(format!("--count: {n} is more than {BATCH_MAX}")),
        InvitationError::Db(e) => CliError::Db(e),
    }
}

/// The slips' transaction ends in a database error too (its commit or rollback).
impl From<diesel::result::Error> for CliError {
    fn from(e: diesel::result::Error) -> Self {
        CliError::Db(e.into())
    }
}
