//! `skm unit counter …` and `skm unit officer …`: a unit's counters (loket) and officer codes
//! (petugas), which links and kiosks name (`/s/{unit}?loket=loket-1&petugas=p-07`).

use super::CliError;
use crate::db::counters::Roster;
use crate::db::DbConnection;
use crate::desks::{self, DeskError};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// Add one: a code (1–32 of a-z, 0-9, -) for links, and a name for staff
    Add {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List the unit's, in use or not (tab-separated: code, name, in use)
    List {
        #[arg(long)]
        unit: String,
    },
    /// Take one out of use: links naming it open the form without it; its responses keep it
    Disable {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        code: String,
    },
    /// Put one back into use
    Enable {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        code: String,
    },
}

impl From<DeskError> for CliError {
    fn from(err: DeskError) -> Self {
        let field = match &err {
            DeskError::Db(_) => None,
            DeskError::UnitUnknown(_) => Some("unit"),
            DeskError::CodeInvalid(_) | DeskError::CodeTaken(_) | DeskError::CodeUnknown(_) => Some("code"),
            DeskError::NameEmpty => Some("name"),
        };
        match (field, err) {
            (_, DeskError::Db(e)) => CliError::Db(e),
            (field, err) => CliError::Input(format!("--{}: {err}", field.unwrap_or("input"))),
        }
    }
}

pub fn run(conn: &mut DbConnection, roster: Roster, command: DeskCommand) -> Result<(), CliError> {
    let noun = match roster {
        Roster::Counters => "counter",
        Roster::Officers => "officer",
    };
    match command {
        DeskCommand::Add { unit, code, name } => {
            let added = desks::add(conn, None, roster, &unit, &code, &name)?;
            say!("{unit}: added {noun} {} ({})", added.code, added.name);
        }
        DeskCommand::List { unit } => {
            for member in desks::list(conn, roster, &unit)? {
                let in_use = if member.enabled { "yes" } else { "no" };
                say!("{}\t{}\t{in_use}", member.code, member.name);
            }
        }
        DeskCommand::Disable { unit, code } => {
            desks::set_enabled(conn, None, roster, &unit, &code, false)?;
            say!("{unit}: {noun} {code} taken out of use");
        }
        DeskCommand::Enable { unit, code } => {
            desks::set_enabled(conn, None, roster, &unit, &code, true)?;
            say!("{unit}: {noun} {code} in use again");
        }
    }
    Ok(())
}
