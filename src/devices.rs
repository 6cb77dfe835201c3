//! Enrolled devices (issue 20): an operator enrols a kiosk tablet or an enumerator's phone with
//! a one-time code, the device's app (`/app/`) answers offline and uploads signed batches, and
//! each response is stored exactly once, by the id the device gave it. One function per use
//! case, for the operator's pages and the device API alike. Blocking (the database).
//!
//! The device's credential is an ECDSA P-256 key pair made in its browser (WebCrypto, the
//! private key not extractable); the server keeps only the public key, which verifies and cannot
//! sign, and its SHA-256 fingerprint. A stolen database therefore holds nothing a forger could
//! upload with, which is what storing a shared secret hashed would have bought, and the key
//! never crosses the network after enrolment: each request carries a signature over its body.

use crate::catalog::TemplateRegistry;
use crate::db::counters::{self, Roster};
use crate::db::devices::{self as stored, Device, NewDevice};
use crate::db::units::{self, Unit};
use crate::db::{audit, DbConnection, DbError};
use crate::domain::device::{self as rules, Kind, WhenProblem};
use crate::domain::invitation::Code;
use crate::domain::period::local_date;
use crate::survey::public::Gate;
use crate::survey::{self, form_for_unit, Declared, DeviceUpload, Form, Message, Outcome, Submission};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The longest device label and enumerator name.
pub const NAME_MAX: usize = 80;

/// What an operator asks for on the enrolment form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeviceRequest {
    pub kind: Kind,
    pub label: String,
    /// the enumerator's name (required for an enumerator device, ignored for a kiosk)
    pub person: Option<String>,
    /// the kiosk's counter code, if it stands at one
    pub counter: Option<String>,
    /// the units the device serves: a kiosk exactly one
    pub unit_ids: Vec<i32>,
}

/// What is wrong with an enrolment form, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    LabelRequired,
    LabelTooLong,
    PersonRequired,
    PersonTooLong,
    NoUnit,
    /// a kiosk stands at one unit
    KioskOneUnit,
    CounterUnknown,
}

impl FormProblem {
    /// the form field and the translation key
    pub fn field_and_key(self) -> (&'static str, &'static str) {
        match self {
            FormProblem::LabelRequired => ("nama", "devices.error.label_required"),
            FormProblem::LabelTooLong => ("nama", "devices.error.too_long"),
            FormProblem::PersonRequired => ("petugas", "devices.error.person_required"),
            FormProblem::PersonTooLong => ("petugas", "devices.error.too_long"),
            FormProblem::NoUnit => ("unit", "devices.error.no_unit"),
            FormProblem::KioskOneUnit => ("unit", "devices.error.kiosk_one_unit"),
            FormProblem::CounterUnknown => ("loket", "devices.error.counter_unknown"),
        }
    }
}

/// A device made and waiting for its app, with the code to type or scan (shown once).
#[derive(Debug, Clone)]
pub struct Started {
    pub device: Device,
    pub code: Code,
    pub expires_at: NaiveDateTime,
}

fn code_hash(code: &Code) -> String {
    crate::security::hex(&Sha256::digest(code.as_str().as_bytes()))
}

fn new_code() -> Code {
    loop {
        if let Some(code) = Code::generate(uuid::Uuid::new_v4().as_bytes()) {
            return code;
        }
    }
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// Makes a device waiting for enrolment. `unit_of_page` is the unit whose page the operator is
/// on: a kiosk's counter is looked up there.
pub fn start_enrolment(
    conn: &mut DbConnection,
    request: &NewDeviceRequest,
    actor: i32,
    now: DateTime<Utc>,
) -> Result<Result<Started, Vec<FormProblem>>, DbError> {
    let mut problems = Vec::new();
    let label = request.label.trim();
    if label.is_empty() {
        problems.push(FormProblem::LabelRequired);
    } else if label.chars().count() > NAME_MAX {
        problems.push(FormProblem::LabelTooLong);
    }
    let person = match request.kind {
        Kind::Enumerator => {
            let person = clean(request.person.as_deref());
            match &person {
                None => problems.push(FormProblem::PersonRequired),
                Some(p) if p.chars().count() > NAME_MAX => problems.push(FormProblem::PersonTooLong),
                Some(_) => {}
            }
            person
        }
        Kind::Kiosk => None,
    };
    match (request.kind, request.unit_ids.len()) {
        (_, 0) => problems.push(FormProblem::NoUnit),
        (Kind::Kiosk, n) if n > 1 => problems.push(FormProblem::KioskOneUnit),
        _ => {}
    }
    let mut counter_id = None;
    if let (Kind::Kiosk, Some(code), [unit_id]) =
        (request.kind, clean(request.counter.as_deref()), request.unit_ids.as_slice())
    {
        let code = crate::domain::desk::normalize_code(&code);
        match counters::by_code(conn, Roster::Counters, *unit_id, &code)?.filter(|c| c.enabled) {
            Some(counter) => counter_id = Some(counter.id),
            None => problems.push(FormProblem::CounterUnknown),
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let code = new_code();
    let hash = code_hash(&code);
    let public_id = uuid::Uuid::new_v4().to_string();
    let expires_at = (now + Duration::minutes(rules::ENROLMENT_MINUTES)).naive_utc();
    let row = NewDevice {
        public_id: &public_id,
        kind: request.kind.as_str(),
        label,
        person: person.as_deref(),
        counter_id,
        enrol_code_hash: &hash,
        enrol_expires_at: expires_at,
        created_by: Some(actor),
        created_at: now.naive_utc(),
    };
    let device = stored::insert(conn, &row, &request.unit_ids)?;
    let detail = format!("device {public_id} ({}, {label}) for units {:?}", request.kind, request.unit_ids);
    audit::record(conn, Some(actor), "devices.start", &detail)?;
    Ok(Ok(Started { device, code, expires_at }))
}

/// A fresh code for a device whose enrolment was not completed (its code expired or was lost).
/// `None`: the device is already enrolled or revoked.
pub fn renew_code(
    conn: &mut DbConnection,
    device: &Device,
    actor: i32,
    now: DateTime<Utc>,
) -> Result<Option<Started>, DbError> {
    if device.revoked_at.is_some() {
        return Ok(None);
    }
    let code = new_code();
    let expires_at = (now + Duration::minutes(rules::ENROLMENT_MINUTES)).naive_utc();
    if !stored::renew_code(conn, device.id, &code_hash(&code), expires_at)? {
        return Ok(None);
    }
    audit::record(conn, Some(actor), "devices.new_code", &device.public_id)?;
    let device = stored::by_public_id(conn, &device.public_id)?.ok_or(DbError::NotFound)?;
    Ok(Some(Started { device, code, expires_at }))
}

/// Revokes a device: its later uploads are refused (and counted). `false`: already revoked.
pub fn revoke(conn: &mut DbConnection, device: &Device, actor: i32, now: DateTime<Utc>) -> Result<bool, DbError> {
    let revoked = stored::revoke(conn, device.id, now.naive_utc())?;
    if revoked {
        audit::record(conn, Some(actor), "devices.revoke", &format!("{} ({})", device.public_id, device.label))?;
    }
    Ok(revoked)
}

/// A device as its app and the operator see it: its units, and its counter's code.
#[derive(Debug, Clone)]
pub struct Profile {
    pub device: Device,
    pub kind: Kind,
    pub units: Vec<Unit>,
    pub counter: Option<String>,
}

pub fn profile(conn: &mut DbConnection, device: Device) -> Result<Profile, DbError> {
    let kind = Kind::parse(&device.kind).unwrap_or(Kind::Kiosk);
    let units = stored::unit_ids(conn, device.id)?
        .into_iter()
        .map(|id| units::by_id(conn, id))
        .collect::<Result<Vec<_>, _>>()?;
    let counter = match (device.counter_id, units.first()) {
        (Some(id), Some(unit)) => {
            counters::list(conn, Roster::Counters, unit.id)?.into_iter().find(|c| c.id == id).map(|c| c.code)
        }
        _ => None,
    };
    Ok(Profile { device, kind, units, counter })
}

/// How an enrolment attempt ended.
#[derive(Debug)]
pub enum Enrolment {
    Enrolled(Box<Profile>),
    /// no device waits for this code (never issued, already used, or the device was revoked)
    CodeUnknown,
    CodeExpired,
    /// the public key is not an uncompressed P-256 point in base64url
    NotAKey,
}

/// The app's side of enrolment: the code the operator showed, and the key the device made.
pub fn enrol(conn: &mut DbConnection, code: &str, public_key: &str, now: DateTime<Utc>) -> Result<Enrolment, DbError> {
    let Some(key) = parse_public_key(public_key) else {
        return Ok(Enrolment::NotAKey);
    };
    let Ok(code) = Code::parse(code) else {
        return Ok(Enrolment::CodeUnknown);
    };
    let hash = code_hash(&code);
    let Some(device) = stored::by_code_hash(conn, &hash)?.filter(|d| d.revoked_at.is_none()) else {
        return Ok(Enrolment::CodeUnknown);
    };
    if device.enrol_expires_at.is_none_or(|at| now.naive_utc() >= at) {
        return Ok(Enrolment::CodeExpired);
    }
    let fingerprint = crate::security::hex(&Sha256::digest(&key));
    let encoded = URL_SAFE_NO_PAD.encode(&key);
    if !stored::complete_enrolment(conn, device.id, &hash, &encoded, &fingerprint, now.naive_utc())? {
        return Ok(Enrolment::CodeUnknown);
    }
    audit::record(conn, device.created_by, "devices.enrolled", &format!("{} key {fingerprint}", device.public_id))?;
    let device = stored::by_public_id(conn, &device.public_id)?.ok_or(DbError::NotFound)?;
    Ok(Enrolment::Enrolled(Box::new(profile(conn, device)?)))
}

/// An uncompressed P-256 point (0x04, x, y) as WebCrypto's `exportKey("raw")` gives it.
fn parse_public_key(text: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('=')).ok()?;
    (bytes.len() == 65 && bytes[0] == 4).then_some(bytes)
}

/// Who sent a signed request.
#[derive(Debug)]
pub enum Caller {
    Device(Box<Profile>),
    /// no enrolled device has this id, or the signature does not verify: nothing is done
    Unknown,
    /// the device was revoked: the refusal is counted and audited
    Revoked,
}

/// Checks a signed request: the device's id and the signature over the exact body bytes.
pub fn verify(
    conn: &mut DbConnection,
    device_id: &str,
    signature: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Caller, DbError> {
    let Some(device) = stored::by_public_id(conn, device_id.trim())? else {
        return Ok(Caller::Unknown);
    };
    let key = device.public_key.as_deref().and_then(|k| URL_SAFE_NO_PAD.decode(k).ok());
    let signature = URL_SAFE_NO_PAD.decode(signature.trim().trim_end_matches('=')).ok();
    let (Some(key), Some(signature)) = (key, signature) else {
        return Ok(Caller::Unknown);
    };
    let verifier = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, key);
    if verifier.verify(body, &signature).is_err() {
        return Ok(Caller::Unknown);
    }
    if device.revoked_at.is_some() {
        stored::record_refusal(conn, device.id, now.naive_utc())?;
        audit::record(conn, None, "devices.refused", &format!("{} ({}): revoked", device.public_id, device.label))?;
        return Ok(Caller::Revoked);
    }
    Ok(Caller::Device(Box::new(profile(conn, device)?)))
}

/// Records that the device synced, with the number of responses it said were waiting.
pub fn record_sync(
    conn: &mut DbConnection,
    device: &Device,
    pending: Option<u32>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let pending = pending.map(|p| i32::try_from(p).unwrap_or(i32::MAX));
    stored::record_sync(conn, device.id, now.naive_utc(), pending)
}

/// The questionnaires of the device's units, as the public form shows them now.
pub fn forms(conn: &mut DbConnection, registry: &TemplateRegistry, profile: &Profile) -> Result<Vec<Form>, DbError> {
    let mut forms = Vec::new();
    for unit in &profile.units {
        if let Some(form) = form_for_unit(conn, registry, &unit.slug)? {
            if form.unit.active {
                forms.push(form);
            }
        }
    }
    Ok(forms)
}

/// One response as the device recorded it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: uuid::Uuid,
    pub unit: String,
    pub template_version: i32,
    pub answered_at: DateTime<Utc>,
    /// the answers, profile, service and saran as form fields
    pub fields: BTreeMap<String, String>,
    pub declared: Declared,
}

/// Why one uploaded response was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemProblem {
    /// the answers themselves: the form's own messages
    Fields(Vec<Message>),
    /// not one of the device's units
    Unit,
    /// not a version of the unit's questionnaire
    TemplateVersion,
    AnsweredAt(WhenProblem),
    /// a response with this id exists and came another way (another device, the form)
    IdTaken,
    /// more responses answered in one minute than the device's limit
    RateLimited,
}

/// What became of one uploaded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    Stored {
        flagged: bool,
    },
    /// a response with this id is already stored from a device: an earlier upload arrived (of
    /// this device, or of the same tablet before it was enrolled anew)
    Duplicate,
    /// not stored now, to be sent again later: the unit's survey is closed for the moment
    Deferred,
    Rejected(ItemProblem),
}

/// What became of an upload: each response's result, in order, or the device was revoked while
/// it ran (what was stored before the revocation stays; nothing after it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    Results(Vec<ItemResult>),
    Revoked,
}

/// The deployment's rules for uploads.
pub struct UploadRules {
    pub window_days: u32,
    pub per_minute: u32,
}

/// Stores each response of a batch once. Every response is judged on its own: one refused
/// response does not hold back the others, and the device is told which and why.
pub fn upload(
    conn: &mut DbConnection,
    gate: &Gate,
    profile: &Profile,
    items: &[Upload],
    rules: &UploadRules,
    now: DateTime<Utc>,
) -> Result<UploadOutcome, DbError> {
    let mut forms: BTreeMap<String, Option<Form>> = BTreeMap::new();
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let form = match forms.get(&item.unit) {
            Some(form) => form.clone(),
            None => {
                let form = if profile.units.iter().any(|u| u.slug == item.unit) {
                    form_for_unit(conn, gate.templates, &item.unit)?
                } else {
                    None
                };
                forms.insert(item.unit.clone(), form.clone());
                form
            }
        };
        match store_one(conn, gate, profile, form.as_ref(), item, rules, now)? {
            Some(result) => results.push(result),
            None => return Ok(UploadOutcome::Revoked),
        }
    }
    Ok(UploadOutcome::Results(results))
}

fn store_one(
    conn: &mut DbConnection,
    gate: &Gate,
    profile: &Profile,
    form: Option<&Form>,
    item: &Upload,
    rules: &UploadRules,
    now: DateTime<Utc>,
) -> Result<Option<ItemResult>, DbError> {
    let id = item.id.to_string();
    // a resend first: what is stored stays stored, whatever changed since (a closed unit, a
    // window that has passed)
    // (another device's id is a tablet enrolled anew resending: a device-made UUIDv7 does not
    // collide by chance, and a copied id stores nothing)
    match stored::response_origin(conn, &id)? {
        Some(Some(_)) => return Ok(Some(ItemResult::Duplicate)),
        Some(None) => return Ok(Some(ItemResult::Rejected(ItemProblem::IdTaken))),
        None => {}
    }
    let Some(form) = form else {
        return Ok(Some(ItemResult::Rejected(ItemProblem::Unit)));
    };
    if !form.unit.active {
        return Ok(Some(ItemResult::Deferred));
    }
    if let Err(problem) = rules::check_answered_at(item.answered_at, now, rules.window_days) {
        return Ok(Some(ItemResult::Rejected(ItemProblem::AnsweredAt(problem))));
    }
    // the questionnaire the citizen saw: a version of the unit's template, even when the unit
    // has moved on while the device was offline
    let template = match gate.templates.get(conn, item.template_version) {
        Ok(template) if template.id == form.template.id => template,
        Ok(_) | Err(DbError::NotFound) => return Ok(Some(ItemResult::Rejected(ItemProblem::TemplateVersion))),
        Err(other) => return Err(other),
    };
    let submission = Submission {
        form,
        template,
        version_id: item.template_version,
        channel: profile.kind.channel(),
        fields: &item.fields,
        survey_date: local_date(item.answered_at, form.unit.zone_or(gate.timezone)),
        client_hash: Some(format!("device:{}", profile.device.public_id)),
        now: item.answered_at,
        token: None,
        rate_limit: None,
        declared: Some(&item.declared),
        device: Some(DeviceUpload {
            device_id: profile.device.id,
            response_id: item.id,
            received_at: now,
            counter_id: profile.device.counter_id,
            per_minute: rules.per_minute,
        }),
    };
    Ok(Some(match survey::submit(conn, &submission, gate.burst, gate.writer) {
        Ok(Outcome::Stored { flagged, .. }) => ItemResult::Stored { flagged },
        Ok(Outcome::Rejected(rejection)) => ItemResult::Rejected(ItemProblem::Fields(rejection.messages)),
        Ok(Outcome::RateLimited { .. }) => ItemResult::Rejected(ItemProblem::RateLimited),
        Ok(Outcome::DeviceRevoked) => return Ok(None),
        // closed since the check above (no token, no invitation, a known unit: not the others)
        Ok(Outcome::Closed { .. } | Outcome::UnknownUnit | Outcome::Replayed { .. }) => ItemResult::Deferred,
        // the same id stored by a concurrent upload (two syncs racing); any other conflict is a fault
        Err(DbError::Conflict(reason)) => match stored::response_origin(conn, &id)? {
            Some(Some(_)) => ItemResult::Duplicate,
            Some(None) => ItemResult::Rejected(ItemProblem::IdTaken),
            None => return Err(DbError::Conflict(reason)),
        },
        Err(other) => return Err(other),
    }))
}

/// Every device of the units, for the operator's list.
pub fn for_units(conn: &mut DbConnection, unit_ids: &[i32]) -> Result<Vec<Profile>, DbError> {
    stored::for_units(conn, unit_ids)?.into_iter().map(|d| profile(conn, d)).collect()
}

/// The device with this public id, if it serves one of `unit_ids` (an operator's scope).
pub fn find_for_units(conn: &mut DbConnection, public_id: &str, unit_ids: &[i32]) -> Result<Option<Device>, DbError> {
    let Some(device) = stored::by_public_id(conn, public_id)? else {
        return Ok(None);
    };
    let serves = stored::unit_ids(conn, device.id)?;
    Ok(serves.iter().any(|id| unit_ids.contains(id)).then_some(device))
}
