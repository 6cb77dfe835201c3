//! A unit's counters (loket) and officers (petugas): adding them, listing them, taking them out
//! of use, and the unit head's scorecard per counter and per officer. One function per use case,
//! for `skm unit counter …`/`skm unit officer …` (and later the admin page), each change audited
//! in its own transaction. Blocking (the database).
//!
//! The scorecard is read through the unit's dashboard, which only the unit's heads and the
//! admins open: there is no officer sign-in, so no officer sees another's figures.

use crate::aggregator;
use crate::catalog::TemplateRegistry;
use crate::db::counters::{self as stored, Member, Roster};
use crate::db::units::{self, Unit};
use crate::db::{audit, DbConnection, DbError};
use crate::domain::desk::{self, Score};
use crate::domain::ikm::Tally;
use crate::domain::period::Period;
use diesel::Connection;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DeskError {
    #[error("no unit with slug '{0}'")]
    UnitUnknown(String),
    #[error("'{0}' is not a code: use 1–32 of a-z, 0-9 and -")]
    CodeInvalid(String),
    #[error("must not be empty")]
    NameEmpty,
    #[error("the unit already has '{0}'")]
    CodeTaken(String),
    #[error("the unit has no '{0}'")]
    CodeUnknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for DeskError {
    fn from(err: diesel::result::Error) -> Self {
        DeskError::Db(err.into())
    }
}

fn noun(roster: Roster) -> &'static str {
    match roster {
        Roster::Counters => "counter",
        Roster::Officers => "officer",
    }
}

fn unit_of(conn: &mut DbConnection, slug: &str) -> Result<Unit, DeskError> {
    match units::by_slug(conn, slug) {
        Ok(unit) => Ok(unit),
        Err(DbError::NotFound) => Err(DeskError::UnitUnknown(slug.to_string())),
        Err(other) => Err(other.into()),
    }
}

/// Adds a counter or an officer to the unit. `actor`: the admin's user id, `None` for the CLI.
pub fn add(
    conn: &mut DbConnection,
    actor: Option<i32>,
    roster: Roster,
    unit: &str,
    code: &str,
    name: &str,
) -> Result<Member, DeskError> {
    let code = desk::normalize_code(code);
    if !desk::valid_code(&code) {
        return Err(DeskError::CodeInvalid(code));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(DeskError::NameEmpty);
    }
    conn.transaction(|conn| {
        let unit = unit_of(conn, unit)?;
        let member = match stored::add(conn, roster, unit.id, &code, name) {
            Err(DbError::Conflict(_)) => return Err(DeskError::CodeTaken(code.clone())),
            other => other?,
        };
        audit::record(conn, actor, &format!("{}.add", noun(roster)), &format!("{} {code}", unit.slug))?;
        Ok(member)
    })
}

/// The unit's counters or officers, by code.
pub fn list(conn: &mut DbConnection, roster: Roster, unit: &str) -> Result<Vec<Member>, DeskError> {
    let unit = unit_of(conn, unit)?;
    Ok(stored::list(conn, roster, unit.id)?)
}

/// Takes a counter or officer out of use (links naming it then open the form without it; its
/// responses keep it) or back into use.
pub fn set_enabled(
    conn: &mut DbConnection,
    actor: Option<i32>,
    roster: Roster,
    unit: &str,
    code: &str,
    enabled: bool,
) -> Result<(), DeskError> {
    let code = desk::normalize_code(code);
    conn.transaction(|conn| {
        let unit = unit_of(conn, unit)?;
        match stored::set_enabled(conn, roster, unit.id, &code, enabled) {
            Err(DbError::NotFound) => return Err(DeskError::CodeUnknown(code.clone())),
            other => other?,
        }
        let action = format!("{}.{}", noun(roster), if enabled { "enable" } else { "disable" });
        audit::record(conn, actor, &action, &format!("{} {code}", unit.slug))?;
        Ok(())
    })
}

/// One row of the scorecard: a counter or officer and its figures (or only its count).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub code: String,
    pub name: String,
    pub enabled: bool,
    pub score: Score,
}

/// The unit's scorecard of a period: every counter and every officer (with responses in the
/// period or in use), figures only from `min_responses` responses.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub min_responses: u64,
    pub counters: Vec<ScoreRow>,
    pub officers: Vec<ScoreRow>,
}

impl Scorecard {
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() && self.officers.is_empty()
    }
}

/// The scorecard of the unit's own responses (not its sub-units': counters belong to one
/// unit) in the period, to the unit's questionnaire.
pub fn scorecard(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    unit: &Unit,
    period: &Period,
    min_responses: u64,
) -> Result<Scorecard, DbError> {
    let (template, version_ids) = aggregator::template_of(conn, registry, unit)?;
    let mut rows = |roster: Roster| -> Result<Vec<ScoreRow>, DbError> {
        let members = stored::list(conn, roster, unit.id)?;
        // most units keep no counters or officers: their responses need not be read at all
        // (two statements over every monthly partition of the period)
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let sums = stored::sums(conn, roster, unit.id, &version_ids, period)?;
        Ok(members
            .into_iter()
            .filter(|m| m.enabled || sums.contains_key(&m.id))
            .map(|m| {
                let tally = match sums.get(&m.id) {
                    Some(group) => Tally {
                        responses: group.responses,
                        elements: template
                            .elements
                            .iter()
                            .map(|e| group.elements.get(&e.code).cloned().unwrap_or_default())
                            .collect(),
                        dispersion: Default::default(),
                    },
                    None => Tally::empty(&template),
                };
                ScoreRow {
                    code: m.code,
                    name: m.name,
                    enabled: m.enabled,
                    score: desk::score(&template, &tally, min_responses),
                }
            })
            .collect())
    };
    let counters = rows(Roster::Counters)?;
    let officers = rows(Roster::Officers)?;
    Ok(Scorecard { min_responses, counters, officers })
}
