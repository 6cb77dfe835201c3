//! Survey invitations (issue 19, point 2): a unit's service system (population registry,
//! licensing, a hospital's queue…) asks for a one-time short link for each finished
//! transaction and prints it as a QR on the receipt; the citizen's answer through it spends it.
//! One function per use case, for the JSON API (and the admin session) and the CLI alike.
//! Blocking (the database).
//!
//! The transaction reference is stored only as a keyed hash, unique per unit: the same reference
//! again gives the same invitation (`created: false`), whatever else the second request says (a
//! different service or counter does not change or replace it: the receipt already printed
//! stays valid). An invitation without a reference (a pre-printed slip) is always a new one.

use crate::db::invitations::{self as stored, Invitation, NewRow};
use crate::db::units::{self, Service, Unit};
use crate::db::{DbConnection, DbError};
use crate::domain::desk;
use crate::domain::invitation::{self as code, Code};
use crate::security::form_token::Desk;
use crate::security::Keys;
use chrono::NaiveDateTime;
use diesel::Connection;
use thiserror::Error;

/// The most invitations one batch request may ask for.
pub const BATCH_MAX: usize = 1000;

/// What the service system asks for. Codes as the unit knows them: the service's slug, the
/// counter's and officer's codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewInvitation {
    /// the transaction reference (1–200 characters); `None` for a pre-printed slip
    pub reference: Option<String>,
    /// the service's slug; `None` lets the citizen choose
    pub service: Option<String>,
    pub counter: Option<String>,
    pub officer: Option<String>,
}

/// An invitation and whether this request made it (`false`: the reference already had one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub invitation: Invitation,
    pub created: bool,
}

/// Which part of a request is wrong: the API names it as the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reference,
    Service,
    Counter,
    Officer,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Reference => "reference",
            Field::Service => "service",
            Field::Counter => "counter",
            Field::Officer => "officer",
        }
    }
}

#[derive(Debug, Error)]
pub enum InvitationError {
    /// a field of the request (of item `index` in a batch) is not valid for the unit
    #[error("{}: {reason}", field.name())]
    Invalid { index: Option<usize>, field: Field, reason: &'static str },
    #[error("a batch asks for at most {BATCH_MAX} invitations, this one for {0}")]
    TooMany(usize),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for InvitationError {
    fn from(err: diesel::result::Error) -> Self {
        InvitationError::Db(err.into())
    }
}

/// A request checked against the unit: the ids to store.
struct Checked {
    ref_hash: Option<String>,
    service_id: Option<i32>,
    desk: Desk,
}

fn check(
    conn: &mut DbConnection,
    keys: &Keys,
    unit: &Unit,
    services: &[Service],
    new: &NewInvitation,
    index: Option<usize>,
) -> Result<Checked, InvitationError> {
    let invalid = |field, reason| InvitationError::Invalid { index, field, reason };
    let ref_hash = match &new.reference {
        None => None,
        Some(reference) if code::valid_reference(reference) => Some(keys.invitation_reference_hash(unit.id, reference)),
        Some(_) => return Err(invalid(Field::Reference, "must be 1 to 200 characters")),
    };
    let service_id = match new.service.as_deref().map(str::trim) {
        None => None,
        Some(slug) => match services.iter().find(|s| s.slug == slug && s.active) {
            Some(service) => Some(service.id),
            None => return Err(invalid(Field::Service, "the unit has no active service with this slug")),
        },
    };
    let mut member = |roster, given: Option<&str>, field| -> Result<Option<i32>, InvitationError> {
        let Some(given) = given else { return Ok(None) };
        let wanted = desk::normalize_code(given);
        match crate::db::counters::by_code(conn, roster, unit.id, &wanted)? {
            Some(m) if m.enabled && desk::valid_code(&wanted) => Ok(Some(m.id)),
            Some(_) => Err(invalid(field, "taken out of use")),
            None => Err(invalid(field, "the unit has no such code")),
        }
    };
    use crate::db::counters::Roster;
    let counter_id = member(Roster::Counters, new.counter.as_deref(), Field::Counter)?;
    let officer_id = member(Roster::Officers, new.officer.as_deref(), Field::Officer)?;
    Ok(Checked { ref_hash, service_id, desk: Desk { counter_id, officer_id } })
}

/// Stores one checked invitation, or finds the reference's. Inside a transaction each attempt
/// is a savepoint, so a conflict (another request with the same reference, a code drawn twice)
/// does not abort the caller's transaction on PostgreSQL.
fn store(
    conn: &mut DbConnection,
    unit: &Unit,
    checked: &Checked,
    now: NaiveDateTime,
    expiry_days: u32,
) -> Result<Issued, InvitationError> {
    // whole seconds: what the API shows is what is stored, on either backend
    let now = chrono::Timelike::with_nanosecond(&now, 0).unwrap_or(now);
    for _ in 0..8 {
        if let Some(hash) = &checked.ref_hash {
            if let Some(invitation) = stored::by_reference(conn, unit.id, hash)? {
                return Ok(Issued { invitation, created: false });
            }
        }
        let Some(code) = Code::generate(uuid::Uuid::new_v4().as_bytes()) else { continue };
        let row = NewRow {
            unit_id: unit.id,
            code: code.as_str(),
            ref_hash: checked.ref_hash.as_deref(),
            service_id: checked.service_id,
            counter_id: checked.desk.counter_id,
            officer_id: checked.desk.officer_id,
            created_at: now,
            expires_at: code::expires_at(now, expiry_days),
        };
        match conn.transaction(|conn| stored::insert(conn, &row)) {
            Ok(invitation) => return Ok(Issued { invitation, created: true }),
            // the same reference just now from another request, or the code exists: look again
            Err(DbError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(DbError::Conflict("no free invitation code after 8 draws".into()).into())
}

/// Issues an invitation for a unit (idempotent by reference, see the module's comment).
pub fn issue(
    conn: &mut DbConnection,
    keys: &Keys,
    unit: &Unit,
    new: &NewInvitation,
    now: NaiveDateTime,
    expiry_days: u32,
) -> Result<Issued, InvitationError> {
    let services = units::services_of(conn, unit.id)?;
    let checked = check(conn, keys, unit, &services, new, None)?;
    store(conn, unit, &checked, now, expiry_days)
}

/// Issues up to `BATCH_MAX` invitations in one transaction, in order: every item is checked
/// first, and one invalid item refuses the whole batch (naming its index), nothing stored.
pub fn issue_batch(
    conn: &mut DbConnection,
    keys: &Keys,
    unit: &Unit,
    items: &[NewInvitation],
    now: NaiveDateTime,
    expiry_days: u32,
) -> Result<Vec<Issued>, InvitationError> {
    if items.len() > BATCH_MAX {
        return Err(InvitationError::TooMany(items.len()));
    }
    let services = units::services_of(conn, unit.id)?;
    let checked = items
        .iter()
        .enumerate()
        .map(|(i, new)| check(conn, keys, unit, &services, new, Some(i)))
        .collect::<Result<Vec<_>, _>>()?;
    conn.transaction(|conn| checked.iter().map(|c| store(conn, unit, c, now, expiry_days)).collect())
}

/// What a short link opens.
#[derive(Debug, Clone)]
pub enum Opened {
    /// unspent and in time: the unit's form, with the invitation's service and desk
    Open {
        invitation: Box<Invitation>,
        unit: Unit,
        service: Option<Service>,
    },
    Expired {
        unit: Unit,
    },
    Spent {
        unit: Unit,
    },
    /// no such code (or not a code at all: a typo, a wrong check character)
    Unknown,
}

/// Looks up a short link's code as the citizen typed or scanned it.
pub fn open(conn: &mut DbConnection, text: &str, now: NaiveDateTime) -> Result<Opened, DbError> {
    let Ok(code) = Code::parse(text) else { return Ok(Opened::Unknown) };
    let Some(invitation) = stored::by_code(conn, code.as_str())? else { return Ok(Opened::Unknown) };
    let unit = units::by_id(conn, invitation.unit_id)?;
    if invitation.spent_at.is_some() {
        return Ok(Opened::Spent { unit });
    }
    if code::is_expired(invitation.expires_at, now) {
        return Ok(Opened::Expired { unit });
    }
    let service = match invitation.service_id {
        Some(id) => units::services_of(conn, unit.id)?.into_iter().find(|s| s.id == id),
        None => None,
    };
    Ok(Opened::Open { invitation: Box::new(invitation), unit, service })
}

/// Issued and answered invitations of the units in `[from, to)` (UTC), per unit, service and
/// counter (`db::invitations::counts`).
pub fn counts(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<stored::Count>, DbError> {
    stored::counts(conn, unit_ids, from, to)
}
