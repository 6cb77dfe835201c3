//! `skm unit …`, `skm service …`, `skm user …`: managing the regency from the command line.

use super::{CliError, Context};
use crate::db::{self, tickets, units, users, DbError};
use crate::domain::names::{Role, Slug, UnitKind};
use crate::domain::period::Period;
use crate::password;
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Add a unit
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// regency, opd or sub_unit
        #[arg(long, default_value = "opd")]
        kind: String,
        /// slug of the parent unit
        #[arg(long)]
        parent: Option<String>,
        /// contact e-mail (repeatable)
        #[arg(long = "email")]
        emails: Vec<String>,
        /// survey template id (default: the configured default)
        #[arg(long)]
        template: Option<String>,
    },
    /// List units as a tree
    List,
    /// Record a unit's number of service users in a period (for the required sample)
    Population {
        #[arg(long)]
        unit: String,
        /// 2026 or 2026-10
        #[arg(long)]
        period: String,
        #[arg(long)]
        count: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Add a service (jenis layanan) to a unit
    Add {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
    },
    /// List a unit's services
    List {
        #[arg(long)]
        unit: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Ask for a ticket code on the unit's form; each code counts once
    Enable {
        #[arg(long)]
        unit: String,
    },
    /// Stop asking for ticket codes
    Disable {
        #[arg(long)]
        unit: String,
    },
    /// Make fresh codes to print on queue tickets (one per line on standard output)
    Generate {
        #[arg(long)]
        unit: String,
        #[arg(long, default_value_t = 100)]
        count: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (or prompted for), never an argument
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, unit_head or operator
        #[arg(long)]
        role: String,
        /// slug of a unit the user works for (repeatable; required for unit_head and operator)
        #[arg(long = "unit")]
        units: Vec<String>,
    },
}

fn input(message: impl Into<String>) -> CliError {
    CliError::Input(message.into())
}

fn unit_by_slug(conn: &mut db::DbConnection, slug: &str) -> Result<units::Unit, CliError> {
    units::by_slug(conn, slug).map_err(|e| match e {
        DbError::NotFound => input(format!("no unit with slug '{slug}'")),
        other => other.into(),
    })
}

pub fn unit(context: &Context, command: UnitCommand) -> Result<(), CliError> {
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    match command {
        UnitCommand::Add { slug, name, kind, parent, emails, template } => {
            let slug = Slug::parse(&slug).map_err(|e| input(format!("--slug: {e}")))?;
            let kind: UnitKind = kind.parse().map_err(|e| input(format!("--kind: {e}")))?;
            if name.trim().is_empty() {
                return Err(input("--name: must not be empty"));
            }
            if let Some(bad) = emails.iter().find(|e| !looks_like_email(e)) {
                return Err(input(format!("--email: '{bad}' is not an e-mail address")));
            }
            if let Some(id) = &template {
                context.catalog.get(id)?;
            }
            let parent_id = match parent {
                Some(p) => Some(unit_by_slug(&mut conn, &p)?.id),
                None => None,
            };
            let unit = units::create(
                &mut conn,
                &units::NewUnit {
                    slug: &slug,
                    name: name.trim(),
                    kind,
                    parent_id,
                    contact_emails: &emails,
                    template_id: template.as_deref(),
                },
            )
            .map_err(conflict_as_input)?;
            db::audit::record(&mut conn, None, "unit.add", &format!("cli added unit {}", unit.slug))?;
            say!("added unit {} ({})", unit.slug, unit.name);
        }
        UnitCommand::List => {
            let all = units::list(&mut conn)?;
            print_tree(&all, None, 0)?;
        }
        UnitCommand::Population { unit, period, count } => {
            let parsed: Period = period.parse().map_err(|e| input(format!("--period: {e}")))?;
            if !matches!(parsed, Period::Year { .. } | Period::Month { .. }) {
                return Err(input("--period: a population is recorded per year (2026) or month (2026-10)"));
            }
            let unit = unit_by_slug(&mut conn, &unit)?;
            units::set_population(&mut conn, unit.id, &parsed.to_string(), i64::from(count))?;
            say!("population of {} in {parsed}: {count}", unit.slug);
        }
    }
    Ok(())
}

fn print_tree(all: &[units::Unit], parent: Option<i32>, depth: usize) -> Result<(), CliError> {
    for unit in all.iter().filter(|u| u.parent_id == parent) {
        say!("{:indent$}{:<28} {:<9} {}", "", unit.slug, unit.kind, unit.name, indent = depth * 2);
        print_tree(all, Some(unit.id), depth + 1)?;
    }
    Ok(())
}

pub fn service(context: &Context, command: ServiceCommand) -> Result<(), CliError> {
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    match command {
        ServiceCommand::Add { unit, slug, name } => {
            let slug = Slug::parse(&slug).map_err(|e| input(format!("--slug: {e}")))?;
            if name.trim().is_empty() {
                return Err(input("--name: must not be empty"));
            }
            let unit = unit_by_slug(&mut conn, &unit)?;
            let service = units::add_service(&mut conn, unit.id, &slug, name.trim()).map_err(conflict_as_input)?;
            say!("added service {} to {}", service.slug, unit.slug);
        }
        ServiceCommand::List { unit } => {
            let unit = unit_by_slug(&mut conn, &unit)?;
            for service in units::services_of(&mut conn, unit.id)? {
                say!("{:<28} {}", service.slug, service.name);
            }
        }
    }
    Ok(())
}

pub fn user(context: &Context, command: UserCommand) -> Result<(), CliError> {
    let UserCommand::Add { email, name, role, units: unit_slugs } = command;
    let email = email.trim().to_lowercase();
    if !looks_like_email(&email) {
        return Err(input(format!("--email: '{email}' is not an e-mail address")));
    }
    let role: Role = role.parse().map_err(|e| input(format!("--role: {e}")))?;
    if role != Role::Admin && unit_slugs.is_empty() {
        return Err(input(format!("--unit: a {role} needs at least one unit")));
    }
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let unit_ids =
        unit_slugs.iter().map(|slug| unit_by_slug(&mut conn, slug).map(|u| u.id)).collect::<Result<Vec<_>, _>>()?;
    let secret = read_password()?;
    let hash = password::hash(&secret).map_err(|e| input(e.to_string()))?;
    let user = users::create(
        &mut conn,
        &users::NewUser { email: &email, name: name.trim(), password_hash: &hash, role, unit_ids: &unit_ids },
    )
    .map_err(conflict_as_input)?;
    db::audit::record(&mut conn, None, "user.add", &format!("cli added {} {}", user.role, user.email))?;
    say!("added {} {}", user.role, user.email);
    Ok(())
}

/// From a terminal: prompted twice without echo. From a pipe: the first line.
fn read_password() -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            return Err(input("the two passwords differ"));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace),
        None => false,
    }
}

fn conflict_as_input(err: DbError) -> CliError {
    match err {
        DbError::Conflict(message) => CliError::Input(message),
        other => other.into(),
    }
}

pub fn ticket(context: &Context, command: TicketCommand) -> Result<(), CliError> {
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    match command {
        TicketCommand::Enable { unit } => {
            let unit = unit_by_slug(&mut conn, &unit)?;
            tickets::set_ticket_mode(&mut conn, unit.id, true)?;
            say!("ticket mode on for {}", unit.slug);
        }
        TicketCommand::Disable { unit } => {
            let unit = unit_by_slug(&mut conn, &unit)?;
            tickets::set_ticket_mode(&mut conn, unit.id, false)?;
            say!("ticket mode off for {}", unit.slug);
        }
        TicketCommand::Generate { unit, count } => {
            if !(1..=100_000).contains(&count) {
                return Err(input("--count: from 1 to 100000"));
            }
            let unit = unit_by_slug(&mut conn, &unit)?;
            for code in tickets::generate(&mut conn, unit.id, count)? {
                say!("{code}");
            }
        }
    }
    Ok(())
}
