//! `skm init --regency "Kabupaten Kutai Timur" --admin-email E`: a new deployment's regency and
//! first admin, on an empty database; the admin's invitation link is printed once.

use super::{CliError, Context};
use crate::accounts::{self, FirstRegency, InitError};
use crate::db::DbError;
use crate::domain::email::Email;
use crate::domain::names::Slug;
use crate::mail::invitation;
use clap::Args;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// the regency's name, the root unit ("Kabupaten Kutai Timur")
    #[arg(long)]
    pub regency: String,
    /// the first admin's e-mail address (Bagian Organisasi)
    #[arg(long)]
    pub admin_email: String,
    #[arg(long, default_value = "Admin")]
    pub admin_name: String,
    /// the regency's slug (default: from its name, "kutai-timur")
    #[arg(long)]
    pub slug: Option<String>,
}

pub fn run(context: &Context, args: InitArgs) -> Result<(), CliError> {
    let input = |text: String| CliError::Input(text);
    let first = FirstRegency {
        slug: args.slug.as_deref().map(Slug::parse).transpose().map_err(|e| input(format!("--slug: {e}")))?,
        admin_email: Email::parse(&args.admin_email).map_err(|reason| {
            input(format!("--admin-email: '{}' is not an e-mail address ({reason})", args.admin_email.trim()))
        })?,
        name: args.regency,
        admin_name: args.admin_name,
    };
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let now = chrono::Utc::now().naive_utc();
    let (unit, invitation) = accounts::init(&mut conn, &context.catalog, first, now).map_err(|e| match e {
        InitError::Db(e)
        | InitError::Unit(crate::units::UnitError::Db(e))
        | InitError::User(accounts::UserError::Db(e)) => CliError::Db(e),
        InitError::NoSlug(_) => input(format!("--regency: {e}")),
        InitError::Unit(e) => input(format!("--{}: {e}", e.field().unwrap_or("regency"))),
        InitError::User(e) => input(format!("--admin-{}: {e}", e.field().unwrap_or("email"))),
        other => input(other.to_string()),
    })?;
    let (_, until) = invitation::until_local(invitation.expires_at, context.config.timezone);
    say!("created the regency {} ({}) and its admin {}", unit.name, unit.slug, invitation.user.email);
    // shown only now: only its digest is stored
    say!("the admin's one-time link, valid until {until} (shown only now):");
    say!("{}", invitation::link_url(&context.config.base_url, &invitation.token));
    say!("next: open this link, create the admin's password, sign in, then add units and users on /admin");
    Ok(())
}
