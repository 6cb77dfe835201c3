//! `skm apikey …`: integration API keys, as on `/admin` (`crate::api_keys`): create (the key is
//! printed once), list, revoke.

use super::{CliError, Context};
use crate::api_keys::{self, ApiKeyError, NewKey};
use crate::db::{self, DbError};
use crate::security::Keys;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key for a unit (and its sub-units); the key is printed once, then only its digest
    /// is kept
    Create {
        /// the unit's slug
        #[arg(long)]
        unit: String,
        /// comma-separated: invitations, responses, read
        #[arg(long)]
        scope: String,
        /// what the key is for (shown on /admin and by `skm apikey list`)
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Every key: id, unit, scopes, created, last used, revoked (never the secret)
    List,
    /// Refuse a key from now on, on every instance
    Revoke {
        /// the key's id (the part after `skm_live_`, as `skm apikey list` shows it)
        #[arg(long)]
        id: String,
    },
}

fn refused(err: ApiKeyError) -> CliError {
    match err {
        ApiKeyError::Db(err) => err.into(),
        ApiKeyError::UnitUnknown(_) => CliError::Input(format!("--unit: {err}")),
        ApiKeyError::NoScope | ApiKeyError::ScopeUnknown(_) => CliError::Input(format!("--scope: {err}")),
        ApiKeyError::NameTooLong => CliError::Input(format!("--name: {err}")),
        ApiKeyError::KeyUnknown(_) | ApiKeyError::Revoked(_) => CliError::Input(format!("--id: {err}")),
    }
}

fn at(time: Option<chrono::NaiveDateTime>) -> String {
    time.map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

pub fn run(context: &Context, command: ApiKeyCommand) -> Result<(), CliError> {
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let now = chrono::Utc::now().naive_utc();
    match command {
        ApiKeyCommand::Create { unit, scope, name } => {
            let keys = Keys::derive(&db::secrets::master_secret(&mut conn)?);
            let new = NewKey { unit, name, scopes: scope };
            let created = api_keys::create(&mut conn, &keys, None, new, now).map_err(refused)?;
            eprintln!(
                "API key {} for {} ({}): shown this once, store it in the service system now",
                created.key.id,
                created.key.unit,
                created.key.scope_list()
            );
            say!("{}", created.secret);
        }
        ApiKeyCommand::List => {
            say!("id\tunit\tscopes\tcreated\tlast_used\trevoked\tname");
            for key in api_keys::list(&mut conn)? {
                say!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    key.id,
                    key.unit,
                    key.scope_list(),
                    at(Some(key.created_at)),
                    at(key.last_used_at),
                    at(key.revoked_at),
                    key.name
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            api_keys::revoke(&mut conn, None, &id, now).map_err(refused)?;
            say!("API key {} revoked", id.trim());
        }
    }
    Ok(())
}
