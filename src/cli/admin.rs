//! `skm unit …`, `skm service …`, `skm ticket …`, `skm user …`: managing the regency from the
//! command line. The flags are parsed here; the rules, shared with the `/admin` forms, live in
//! `crate::units`, `crate::letterhead` and `crate::accounts`.

use super::{CliError, Context};
use crate::accounts::{self, UserError};
use crate::db::{self, tickets, units, DbError};
use crate::domain::email::Email;
use crate::domain::names::{Role, Slug};
use crate::domain::period::Period;
use crate::domain::template::Lang;
use crate::i18n::Tr;
use crate::letterhead::{LetterheadError, LetterheadInput, LogoChange};
use crate::mail::invitation::{self, Delivery};
use crate::units::{NewService, NewUnit, Population, PopulationCounts, PopulationImportError, UnitError};
use clap::Subcommand;
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Add a unit
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// regency, opd, sub_unit or mpp (a Mal Pelayanan Publik: its agencies are its sub-units);
        /// in a province or national deployment also nation, province and city (kota)
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
    /// Close a unit's survey: its public form takes no answers; its data stays
    Disable {
        #[arg(long)]
        unit: String,
    },
    /// Open a closed unit's survey again
    Enable {
        #[arg(long)]
        unit: String,
    },
    /// Set the time zone of a unit and everything below it (a regency in Papua: WIT); its survey
    /// dates, periods and mail hours follow it
    Zone {
        #[arg(long)]
        unit: String,
        /// WIB, WITA, WIT, an IANA name (Asia/Jayapura), or `default` for the deployment's
        #[arg(long)]
        zone: String,
    },
    /// Set the e-mail sender of a unit and everything below it (a regency's own name and address
    /// in a province- or nation-wide deployment)
    Sender {
        #[arg(long)]
        unit: String,
        /// `"SKM Kabupaten Kutai Timur <skm@kutaitimurkab.go.id>"`, or `default` for `mail_from`
        #[arg(long)]
        from: String,
    },
    /// Record a unit's number of service users in a period (for the required sample), or every
    /// unit's from a CSV (columns unit, bulan, jumlah; all rows or none)
    Population {
        #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
        unit: Option<String>,
        /// 2026 or 2026-10
        #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
        period: Option<String>,
        #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
        count: Option<u32>,
        /// a CSV of populations: unit (slug); bulan (2026-10, 10/2026, Oktober 2026, or a year
        /// 2026); jumlah. Headers in Indonesian or English, `;` or `,`
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
        /// the language of the problems listed: id or en
        #[arg(long, default_value = "id", value_parser = ["id", "en"])]
        lang: String,
    },
    /// Whether a unit wants one QR poster per service (in `skm qr --all` and the /admin PDF)
    Poster {
        #[arg(long)]
        unit: String,
        /// true: one poster per active service besides the unit's own; false: only its own
        #[arg(long, action = clap::ArgAction::Set)]
        per_service: bool,
    },
    /// Set a unit's kop surat and the head who signs its reports; a flag not given keeps what
    /// is set, an empty one clears it
    Letterhead {
        #[arg(long)]
        unit: String,
        /// the agency's name on the kop (Dinas Kesehatan); the unit's name when empty
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        website: Option<String>,
        /// a PNG or JPEG file, at most 512 KB
        #[arg(long, conflicts_with = "no_logo")]
        logo: Option<std::path::PathBuf>,
        /// remove the unit's logo (it then shows the nearest one above it)
        #[arg(long)]
        no_logo: bool,
        /// the town the reports are signed in
        #[arg(long)]
        place: Option<String>,
        /// the signer's position (Kepala Dinas Kesehatan)
        #[arg(long)]
        position: Option<String>,
        /// the signer's name as it is signed, with titles
        #[arg(long)]
        head_name: Option<String>,
        /// the signer's NIP, 18 digits (spaces allowed)
        #[arg(long)]
        nip: Option<String>,
    },
    /// Instruments asked after the unit's questionnaire on the same form (Zona Integritas: SPKP,
    /// SPAK), each stored and computed on its own
    #[command(subcommand)]
    Instrument(InstrumentCommand),
    /// A unit's counters (loket): `/s/{unit}?loket=CODE` and kiosks at a counter record them
    #[command(subcommand)]
    Counter(super::desks::DeskCommand),
    /// A unit's officer codes (petugas): `…&petugas=CODE` records them
    #[command(subcommand)]
    Officer(super::desks::DeskCommand),
}

#[derive(Debug, Subcommand)]
pub enum InstrumentCommand {
    /// Attach an instrument after the ones the unit has (only a template with `attachable = true`)
    Add {
        #[arg(long)]
        unit: String,
        /// the template id, e.g. spkp-zi or spak-zi
        #[arg(long)]
        template: String,
    },
    /// Take an instrument off the unit's form (its stored answers stay)
    Remove {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        template: String,
    },
    /// List the instruments the unit attaches, in form order
    List {
        #[arg(long)]
        unit: String,
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
    /// Take a service off the citizen's list; its responses stay
    Disable {
        #[arg(long)]
        unit: String,
        /// the service's slug
        #[arg(long)]
        service: String,
    },
    /// Put a disabled service back on the citizen's list
    Enable {
        #[arg(long)]
        unit: String,
        /// the service's slug
        #[arg(long)]
        service: String,
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
    /// Add a user and invite them: an e-mail with a one-time link (valid 72 hours) to set their
    /// own password, or the link printed once while e-mail is off
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
        /// set the password instead of inviting: read from standard input (its first line) or
        /// prompted for, never an argument (for scripts)
        #[arg(long)]
        password_stdin: bool,
        /// print the invitation link instead of e-mailing it
        #[arg(long, conflicts_with = "password_stdin")]
        print_link: bool,
    },
    /// Send a user who has no password yet a new invitation (the older links stop working)
    Invite {
        #[arg(long)]
        email: String,
        /// print the invitation link instead of e-mailing it
        #[arg(long)]
        print_link: bool,
    },
    /// Cancel a user's open invitation (the account stays, without a password)
    RevokeInvite {
        #[arg(long)]
        email: String,
    },
    /// Disable an account: it cannot sign in and its sessions end; its data stays
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link (valid 24 hours) with which the user sets a new password (a user
    /// who never set one gets an invitation: `skm user invite`)
    ResetLink {
        #[arg(long)]
        email: String,
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

fn instrument(context: &Context, conn: &mut db::DbConnection, command: InstrumentCommand) -> Result<(), CliError> {
    match command {
        InstrumentCommand::Add { unit, template } => {
            let registry =
                crate::catalog::TemplateRegistry::register(conn, &context.catalog, &context.config.default_template)?;
            let added = crate::units::attach_instrument(conn, &registry, None, &unit, &template)?;
            say!("{unit}: {template} {}", if added { "attached" } else { "was already attached" });
        }
        InstrumentCommand::Remove { unit, template } => {
            let removed = crate::units::detach_instrument(conn, None, &unit, &template)?;
            say!("{unit}: {template} {}", if removed { "removed" } else { "was not attached" });
        }
        InstrumentCommand::List { unit } => {
            let found = units::by_slug(conn, &unit).map_err(|e| match e {
                DbError::NotFound => CliError::from(UnitError::UnitUnknown(unit.clone())),
                other => other.into(),
            })?;
            for template in crate::db::instruments::for_unit(conn, found.id)? {
                say!("{template}");
            }
        }
    }
    Ok(())
}

pub fn unit(context: &Context, command: UnitCommand) -> Result<(), CliError> {
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    match command {
        UnitCommand::Add { slug, name, kind, parent, emails, template } => {
            let new = NewUnit {
                slug: Slug::parse(&slug).map_err(|e| input(format!("--slug: {e}")))?,
                kind: kind.parse().map_err(|e| input(format!("--kind: {e}")))?,
                name,
                parent,
                contact_emails: emails.iter().map(|e| email("--email", e)).collect::<Result<_, _>>()?,
                template,
            };
            let unit = crate::units::add(&mut conn, &context.catalog, None, new)?;
            say!("added unit {} ({})", unit.slug, unit.name);
        }
        UnitCommand::List => {
            let all = units::list(&mut conn)?;
            print_tree(&all, None, 0)?;
        }
        UnitCommand::Disable { unit } => {
            crate::units::set_enabled(&mut conn, None, &unit, false)?;
            say!("closed the survey of {unit}");
        }
        UnitCommand::Enable { unit } => {
            crate::units::set_enabled(&mut conn, None, &unit, true)?;
            say!("opened the survey of {unit}");
        }
        UnitCommand::Zone { unit, zone } => {
            let zone = match zone.trim() {
                "default" => None,
                text => Some(crate::domain::zone::parse(text).map_err(|e| input(format!("--zone: {e}")))?),
            };
            let changed = crate::units::set_zone(&mut conn, None, &unit, zone)?;
            let named = zone.map_or_else(|| "the deployment's zone".to_string(), crate::domain::zone::label);
            say!("{unit} and the units below it ({changed} in all) now count their days in {named}");
        }
        UnitCommand::Sender { unit, from } => {
            let sender = match from.trim() {
                "default" => None,
                text => Some(text),
            };
            let changed = crate::units::set_mail_from(&mut conn, None, &unit, sender)?;
            let named = sender.unwrap_or("the deployment's mail_from");
            say!("{unit} and the units below it ({changed} in all) now send their e-mail as {named}");
        }
        UnitCommand::Population { csv: Some(path), lang, .. } => {
            let tr = crate::i18n::Tr::new(if lang == "en" { Lang::En } else { Lang::Id });
            let file = std::fs::File::open(&path).map_err(|e| input(format!("--csv: {}: {e}", path.display())))?;
            let listed = |issues: Vec<crate::sheets::issue::CsvIssue>| {
                let lines: Vec<String> = issues.iter().map(|i| i.text(tr)).collect();
                input(format!("{}\n{}", tr.t("population.import.refused_cli"), lines.join("\n")))
            };
            let rows = crate::sheets::population::parse(file).map_err(listed)?;
            let counts = crate::units::import_populations(&mut conn, None, &rows).map_err(|e| match e {
                PopulationImportError::Issues(issues) => listed(issues),
                PopulationImportError::Db(e) => CliError::Db(e),
            })?;
            let PopulationCounts { new, changed, unchanged } = counts;
            let args =
                [("new", new.to_string()), ("changed", changed.to_string()), ("unchanged", unchanged.to_string())];
            say!("{}", tr.fill("population.import.done", &args));
        }
        UnitCommand::Population { unit, period, count, .. } => {
            // clap requires all three without --csv
            let (unit, period, count) =
                (unit.unwrap_or_default(), period.unwrap_or_default(), count.unwrap_or_default());
            let period: Period = period.parse().map_err(|e| input(format!("--period: {e}")))?;
            crate::units::set_population(&mut conn, None, Population { unit: unit.clone(), period, count })?;
            say!("population of {unit} in {period}: {count}");
        }
        UnitCommand::Instrument(command) => instrument(context, &mut conn, command)?,
        UnitCommand::Counter(command) => super::desks::run(&mut conn, crate::db::counters::Roster::Counters, command)?,
        UnitCommand::Officer(command) => super::desks::run(&mut conn, crate::db::counters::Roster::Officers, command)?,
        UnitCommand::Poster { unit, per_service } => {
            crate::units::set_poster_per_service(&mut conn, None, &unit, per_service)?;
            let what = if per_service { "one poster per service besides its own" } else { "one poster" };
            say!("{unit}: {what}");
        }
        UnitCommand::Letterhead {
            unit,
            agency,
            address,
            phone,
            website,
            logo,
            no_logo,
            place,
            position,
            head_name,
            nip,
        } => {
            let logo = match (logo, no_logo) {
                (Some(path), _) => LogoChange::Set(
                    std::fs::read(&path).map_err(|e| input(format!("--logo: {}: {e}", path.display())))?,
                ),
                (None, true) => LogoChange::Remove,
                (None, false) => LogoChange::Keep,
            };
            let new = LetterheadInput {
                unit: unit.clone(),
                agency,
                address,
                phone,
                website,
                logo,
                place,
                position,
                head_name,
                nip,
            };
            crate::letterhead::set(&mut conn, None, new)?;
            say!("letterhead of {unit} saved");
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
            let new = NewService { unit: unit.clone(), slug, name };
            let service = crate::units::add_service(&mut conn, None, new)?;
            say!("added service {} to {unit}", service.slug);
        }
        ServiceCommand::List { unit } => {
            let unit = unit_by_slug(&mut conn, &unit)?;
            for service in units::services_of(&mut conn, unit.id)? {
                let disabled = if service.active { "" } else { " (disabled)" };
                say!("{:<28} {}{disabled}", service.slug, service.name);
            }
        }
        ServiceCommand::Disable { unit, service } => {
            crate::units::set_service_enabled(&mut conn, None, &unit, &service, false)?;
            say!("disabled service {service} of {unit}");
        }
        ServiceCommand::Enable { unit, service } => {
            crate::units::set_service_enabled(&mut conn, None, &unit, &service, true)?;
            say!("enabled service {service} of {unit}");
        }
    }
    Ok(())
}

pub fn user(context: &Context, command: UserCommand) -> Result<(), CliError> {
    let now = chrono::Utc::now().naive_utc();
    match command {
        UserCommand::Add { email: address, name, role, units, password_stdin, print_link } => {
            let email = email("--email", &address)?;
            let role: Role = role.parse().map_err(|e| input(format!("--role: {e}")))?;
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            let password = if password_stdin { Some(read_password()?) } else { None };
            let user = accounts::add_user(&mut conn, None, accounts::NewUser { email, name, role, units, password })?;
            say!("added {} {}", user.role, user.email);
            if !password_stdin {
                let invitation = accounts::invite(&mut conn, None, &user.email, now)?;
                deliver(context, &mut conn, &invitation, print_link, Tr::new(Lang::En))?;
            }
        }
        UserCommand::Invite { email, print_link } => {
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            let invitation = accounts::invite(&mut conn, None, &email, now)?;
            deliver(context, &mut conn, &invitation, print_link, Tr::new(Lang::En))?;
        }
        UserCommand::RevokeInvite { email } => {
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            match accounts::revoke_invitation(&mut conn, None, &email, now)? {
                0 => say!("{email} had no open invitation"),
                _ => say!("cancelled the invitation of {email}"),
            }
        }
        UserCommand::Disable { email } => {
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            accounts::set_enabled(&mut conn, None, &email, false, now)?;
            say!("disabled {email}; its sessions ended");
        }
        UserCommand::Enable { email } => {
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            accounts::set_enabled(&mut conn, None, &email, true, now)?;
            say!("enabled {email}");
        }
        UserCommand::ResetLink { email } => {
            let pool = context.database()?;
            let mut conn = pool.get().map_err(DbError::from)?;
            let link = accounts::reset_link(&mut conn, None, &email, now)?;
            let until = link.expires_at.and_utc().with_timezone(&context.config.timezone);
            // shown only now: only its digest is stored
            say!("one-time link for {}, valid until {}:", link.user.email, until.format("%Y-%m-%d %H:%M %Z"));
            say!("{}", invitation::link_url(&context.config.base_url, &link.token));
        }
    }
    Ok(())
}

/// E-mails the invitation, or prints its link once (asked to, e-mail off, or sending failed).
pub(super) fn deliver(
    context: &Context,
    conn: &mut db::DbConnection,
    invitation: &accounts::Invitation,
    print_link: bool,
    tr: Tr,
) -> Result<(), CliError> {
    let (_, until) = invitation::until_local(invitation.expires_at, context.config.timezone);
    let email = invitation.user.email.to_string();
    let args = |more: Option<(&'static str, String)>| {
        let mut args = vec![("email", email.clone()), ("until", until.clone())];
        args.extend(more);
        args
    };
    if !print_link {
        match invitation::send(conn, &context.config, invitation)? {
            Delivery::Sent(_) => {
                say!("{}", tr.fill("cli.invite.sent", &args(None)));
                return Ok(());
            }
            Delivery::MailOff => say!("{}", tr.fill("cli.invite.mail_off", &args(None))),
            Delivery::Failed(reason) => say!("{}", tr.fill("cli.invite.failed", &args(Some(("reason", reason))))),
        }
    }
    // shown only now: only its digest is stored
    say!("{}", tr.fill("cli.invite.link", &args(None)));
    say!("{}", invitation::link_url(&context.config.base_url, &invitation.token));
    Ok(())
}

/// From a terminal: prompted twice without echo. From a pipe: the first line.
fn read_password() -> Result<SecretString, CliError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            return Err(input("the two passwords differ"));
        }
        Ok(first.into())
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).into())
    }
}

/// An address given with `flag`, or why it is not one (the reason is the one the admin page
/// shows, in the same words).
fn email(flag: &str, value: &str) -> Result<Email, CliError> {
    Email::parse(value)
        .map_err(|reason| input(format!("{flag}: '{}' is not an e-mail address ({reason})", value.trim())))
}

/// `--field: reason`, as clap words its own refusals; a storage fault stays one.
impl From<UnitError> for CliError {
    fn from(err: UnitError) -> Self {
        match (err.field(), err) {
            (_, UnitError::Db(e)) => CliError::Db(e),
            (field, err) => input(format!("--{}: {err}", field.unwrap_or("input"))),
        }
    }
}

impl From<LetterheadError> for CliError {
    fn from(err: LetterheadError) -> Self {
        match (err.field(), err) {
            (_, LetterheadError::Db(e)) => CliError::Db(e),
            (field, err) => input(format!("--{}: {err}", field.unwrap_or("input").replace('_', "-"))),
        }
    }
}

impl From<UserError> for CliError {
    fn from(err: UserError) -> Self {
        match (err.field(), err) {
            (_, UserError::Db(e)) => CliError::Db(e),
            // the password has no flag: it is read from standard input
            (Some("password") | None, err) => input(err.to_string()),
            // the form names the account `user`; the command line by its address
            (Some("user"), err) => input(format!("--email: {err}")),
            (Some(field), err) => input(format!("--{field}: {err}")),
        }
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
