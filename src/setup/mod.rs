//! The setup workbook (`skm setup`, the `/admin` upload): the whole regency's units, services,
//! users and populations as one XLSX to fill in, read back all or nothing. Reading it gives a
//! preview of what would change (`plan`); applying applies exactly that, in one transaction,
//! through the same service functions as the forms. Importing the same workbook twice changes
//! nothing; `export` writes the current setup in the same layout, so editing in bulk is a round
//! trip. Blocking (the database): call from `web::block` in a handler.
//!
//! `book` is the layout and the typed rows, `read` the cells to rows, `plan` the comparison
//! with the database, `apply` the changes, `write` the template and the export.

pub mod apply;
pub mod book;
pub mod issue;
pub mod plan;
pub mod read;
pub mod write;

pub use apply::Applied;
pub use issue::{Problem, SetupIssue};
pub use plan::{Change, Plan};

use crate::accounts::UserError;
use crate::catalog::Catalog;
use crate::db::{DbConnection, DbError};
use crate::letterhead::LetterheadError;
use crate::units::UnitError;
use diesel::Connection;
use thiserror::Error;

/// A fault applying a plan that was checked: the database's, or a rule a service function
/// enforces that the plan did not foresee.
#[derive(Debug, Error)]
pub enum SetupError {
    #[error("{0}")]
    Unit(#[from] UnitError),
    #[error("{0}")]
    User(#[from] UserError),
    #[error("{0}")]
    Letterhead(#[from] LetterheadError),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("the plan does not hold: {0}")]
    Plan(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SetupError {
    fn from(err: diesel::result::Error) -> Self {
        SetupError::Db(err.into())
    }
}

/// What reading a workbook against the database gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    /// every bad cell; nothing would be changed
    Refused(Vec<SetupIssue>),
    Ready(Plan),
}

/// What applying gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied(Applied),
    Refused(Vec<SetupIssue>),
    /// the plan is not the one previewed (the database changed meanwhile): nothing applied,
    /// this is the new preview
    Changed(Plan),
}

/// The SHA-256 of an uploaded workbook, in hex: the key it is kept under between the preview
/// and the confirmation.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The questionnaire ids a unit may name.
pub fn template_ids(catalog: &Catalog) -> Vec<String> {
    catalog.all().map(|t| t.id.clone()).collect()
}

/// Reads the workbook and compares it with the database. `actor` is the admin (`None` for the
/// command line).
pub fn preview(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: Option<i32>,
    bytes: &[u8],
) -> Result<Preview, SetupError> {
    let book = match read::read(bytes, &template_ids(catalog)) {
        Ok(book) => book,
        Err(issues) => return Ok(Preview::Refused(issues)),
    };
    let current = plan::current(conn)?;
    Ok(match plan::plan(&book, &current, actor) {
        Ok(plan) => Preview::Ready(plan),
        Err(issues) => Preview::Refused(issues),
    })
}

/// Applies the workbook in one transaction: all of it or, on any problem, nothing. With
/// `fingerprint` (the previewed plan's), only a plan that is still that one is applied.
pub fn apply(
    conn: &mut DbConnection,
    catalog: &Catalog,
    actor: Option<i32>,
    bytes: &[u8],
    fingerprint: Option<&str>,
    now: chrono::NaiveDateTime,
) -> Result<Outcome, SetupError> {
    conn.transaction(|conn| {
        let plan = match preview(conn, catalog, actor, bytes)? {
            Preview::Refused(issues) => return Ok(Outcome::Refused(issues)),
            Preview::Ready(plan) => plan,
        };
        if fingerprint.is_some_and(|f| f != plan.fingerprint()) {
            return Ok(Outcome::Changed(plan));
        }
        if plan.is_empty() {
            return Ok(Outcome::Applied(Applied::default()));
        }
        Ok(Outcome::Applied(apply::apply(conn, catalog, actor, &plan, now)?))
    })
}

/// The template to fill in: example rows, drop-down lists, the explanation sheet.
pub fn template(catalog: &Catalog) -> Result<Vec<u8>, SetupError> {
    Ok(write::template(&template_ids(catalog))?)
}

/// The current setup as the same workbook.
pub fn export(conn: &mut DbConnection, catalog: &Catalog) -> Result<Vec<u8>, SetupError> {
    let current = plan::current(conn)?;
    Ok(write::export(&current, &template_ids(catalog))?)
}
