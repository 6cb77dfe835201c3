//! `skm setup`: the setup workbook from the command line. `--template OUT.xlsx` writes the
//! template to fill in, `--export OUT.xlsx` the current setup, `--workbook IN.xlsx` reads one and
//! prints what would change, applying it with `--apply` (or after a yes on a terminal).

use super::{CliError, Context, MessageLang};
use crate::accounts::{self, UserError};
use crate::db::DbError;
use crate::setup::{self, Outcome, Preview};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("job").required(true).args(["template", "export", "workbook"])))]
pub struct SetupArgs {
    /// write the template workbook (example rows, drop-down lists, a sheet explaining each column)
    #[arg(long, value_name = "OUT.xlsx")]
    pub template: Option<PathBuf>,
    /// write the current setup as the same workbook (edit it and import it back)
    #[arg(long, value_name = "OUT.xlsx")]
    pub export: Option<PathBuf>,
    /// read a workbook and show what would change
    #[arg(long, value_name = "IN.xlsx")]
    pub workbook: Option<PathBuf>,
    /// apply the workbook's changes without asking
    #[arg(long, requires = "workbook")]
    pub apply: bool,
    /// language of the messages
    #[arg(long, value_enum, default_value_t)]
    pub lang: MessageLang,
}

pub fn run(context: &Context, args: SetupArgs) -> Result<(), CliError> {
    let tr = args.lang.tr();
    let fault = |e: setup::SetupError| CliError::Input(e.to_string());
    if let Some(path) = &args.template {
        std::fs::write(path, setup::template(&context.catalog).map_err(fault)?)?;
        say!("{}", tr.fill("setup.cli.written", &[("path", path.display().to_string())]));
        return Ok(());
    }
    let pool = context.database()?;
    let mut conn = pool.get().map_err(DbError::from)?;
    if let Some(path) = &args.export {
        std::fs::write(path, setup::export(&mut conn, &context.catalog).map_err(fault)?)?;
        say!("{}", tr.fill("setup.cli.written", &[("path", path.display().to_string())]));
        return Ok(());
    }
    let Some(path) = &args.workbook else { return Ok(()) };
    let bytes = std::fs::read(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let refused = |issues: Vec<setup::SetupIssue>| {
        let lines: Vec<String> = issues.iter().map(|i| format!("{}: {}", path.display(), i.text(tr))).collect();
        CliError::Input(format!("{}\n{}", tr.t("setup.cli.refused"), lines.join("\n")))
    };
    let plan = match setup::preview(&mut conn, &context.catalog, None, &bytes).map_err(fault)? {
        Preview::Refused(issues) => return Err(refused(issues)),
        Preview::Ready(plan) => plan,
    };
    say!("{}", plan.summary(tr));
    if plan.is_empty() {
        return Ok(());
    }
    say!("{}", tr.t("setup.cli.preview"));
    for line in plan.lines(tr) {
        say!("  {line}");
    }
    if !args.apply && !confirmed(tr)? {
        say!("{}", tr.t("setup.cli.not_applied"));
        return Ok(());
    }
    let now = chrono::Utc::now().naive_utc();
    let fingerprint = plan.fingerprint();
    match setup::apply(&mut conn, &context.catalog, None, &bytes, Some(&fingerprint), now).map_err(fault)? {
        Outcome::Applied(applied) => {
            say!("{}", tr.fill("setup.cli.applied", &[("summary", plan.summary(tr))]));
            if !applied.new_users.is_empty() {
                say!("{}", tr.fill("setup.cli.new_users", &[("count", applied.new_users.len().to_string())]));
            }
            for email in &applied.new_users {
                // an account the workbook added disabled gets no invitation
                match accounts::invite(&mut conn, None, email, now) {
                    Ok(invitation) => super::admin::deliver(context, &mut conn, &invitation, false, tr)?,
                    Err(UserError::Disabled(_)) => {}
                    Err(UserError::Db(e)) => return Err(e.into()),
                    Err(other) => return Err(CliError::Input(other.to_string())),
                }
            }
            Ok(())
        }
        Outcome::Refused(issues) => Err(refused(issues)),
        Outcome::Changed(_) => Err(CliError::Input(tr.t("setup.web.changed_meanwhile").to_string())),
    }
}

/// Asks on a terminal; anything but a yes (or no terminal) is a no.
fn confirmed(tr: crate::i18n::Tr) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{}", tr.t("setup.cli.confirm")).map_err(CliError::Stdout)?;
    out.flush().map_err(CliError::Stdout)?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "ya" | "yes"))
}
