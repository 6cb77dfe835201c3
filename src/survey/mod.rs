//! The survey service: what a citizen's form shows, and storing what they send, whatever the
//! channel (`public` for the form and the API, `submit_paper` for typed-in paper, `sheet_import`
//! for files). Every submission ends in one `Outcome`. Blocking; holds no HTTP types.

pub mod form_cache;
pub mod instruments;
pub mod mpp;
pub mod public;
pub mod sheet_import;

use crate::catalog::TemplateRegistry;
use crate::db::group_commit::GroupCommit;
use crate::db::responses::{DeviceGuard, Guards, NewResponse, RateGuard, StoreError};
use crate::db::units::{self, Service, Unit};
use crate::db::{DbConnection, DbError};
use crate::domain::names::Channel;
use crate::domain::submission::{self, BurstRule, FieldError, Problem};
use crate::domain::template::Template;
use crate::rate_limit::RateLimit;
use crate::security::form_token::{FormToken, TokenProblem};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A unit's questionnaire as the public sees it.
#[derive(Debug, Clone)]
pub struct Form {
    pub unit: Unit,
    pub services: Vec<Service>,
    pub template: Arc<Template>,
    pub version_id: i32,
    /// the instruments attached after the main questions (Zona Integritas), in form order
    pub instruments: Vec<instruments::Instrument>,
}

/// A user-facing message: a translation key (with placeholders), optionally tied to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub field: Option<String>,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    pub fn on(field: &str, key: &'static str) -> Message {
        Message { field: Some(field.to_string()), key, args: Vec::new() }
    }

    pub fn general(key: &'static str) -> Message {
        Message { field: None, key, args: Vec::new() }
    }
}

/// Form field names besides element and profile codes.
pub const SERVICE_FIELD: &str = "layanan";
pub const TICKET_FIELD: &str = "tiket";
pub const SARAN_FIELD: &str = "saran";
pub const DATE_FIELD: &str = "tanggal";

/// The unit's form, or `None` for an unknown slug.
pub fn form_for_unit(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    slug: &str,
) -> Result<Option<Form>, DbError> {
    let (unit, services) = match units::with_active_services(conn, slug) {
        Ok(found) => found,
        Err(DbError::NotFound) => return Ok(None),
        Err(other) => return Err(other),
    };
    let (version_id, template) = registry.current_for(&unit)?;
    let instruments = instruments::attached(conn, registry, unit.id)?;
    Ok(Some(Form { unit, services, template, version_id, instruments }))
}

pub fn token_message(problem: TokenProblem) -> Message {
    match problem {
        TokenProblem::Expired => Message::general("error.token_expired"),
        TokenProblem::Invalid | TokenProblem::Mismatch => Message::general("error.token_invalid"),
    }
}

pub fn field_messages(errors: &[FieldError]) -> Vec<Message> {
    errors
        .iter()
        .map(|e| {
            let (key, args) = match &e.problem {
                Problem::Required => ("error.required", vec![]),
                Problem::NotAScore { min, max } => {
                    ("error.not_score", vec![("min", min.to_string()), ("max", max.to_string())])
                }
                Problem::NotAnOption => ("error.not_option", vec![]),
                Problem::NotANumber => ("error.not_number", vec![]),
                Problem::OutOfRange { min, max } => {
                    ("error.out_of_range", vec![("min", min.to_string()), ("max", max.to_string())])
                }
                Problem::TooLong { max } => ("error.too_long", vec![("max", max.to_string())]),
            };
            Message { field: Some(e.field.clone()), key, args }
        })
        .collect()
}

/// The codes a client sent as element answers and as profile fields, kept apart. The JSON API
/// names them so (`answers`, `profile`); the HTML form posts flat fields and only what the form
/// has, so it declares none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    pub elements: Vec<String>,
    pub profile: Vec<String>,
}

pub const UNKNOWN_ELEMENT: &str = "error.unknown_element";
pub const UNKNOWN_PROFILE_FIELD: &str = "error.unknown_profile_field";

/// A message for each declared code the template does not have: a refusal, not a silent drop,
/// since a client that sends one is out of step with the questionnaire.
pub fn unknown_codes(template: &Template, declared: &Declared) -> Vec<Message> {
    let elements = declared
        .elements
        .iter()
        .filter(|code| template.element(code).is_none())
        .map(|code| Message::on(code, UNKNOWN_ELEMENT));
    let profile = declared
        .profile
        .iter()
        .filter(|code| !template.profile.iter().any(|p| &p.code == *code))
        .map(|code| Message::on(code, UNKNOWN_PROFILE_FIELD));
    elements.chain(profile).collect()
}

/// One submission, whatever its channel.
pub struct Submission<'a> {
    pub form: &'a Form,
    /// the version the form was rendered with (from the token), which may be older than the
    /// form's current one
    pub template: Arc<Template>,
    pub version_id: i32,
    pub channel: Channel,
    pub fields: &'a BTreeMap<String, String>,
    pub survey_date: NaiveDate,
    pub client_hash: Option<String>,
    pub now: DateTime<Utc>,
    pub token: Option<&'a FormToken>,
    /// the client's rate-limit hit, counted in the response's transaction
    pub rate_limit: Option<RateGuard<'a>>,
    /// element and profile codes the client named apart (the API), each checked against the template
    pub declared: Option<&'a Declared>,
    /// an enrolled device's upload (`devices`): its own response id, counter and rate limit
    pub device: Option<DeviceUpload>,
}

/// What an enrolled device's upload adds to a submission (issue 20).
#[derive(Debug, Clone, Copy)]
pub struct DeviceUpload {
    pub device_id: i32,
    /// the id the device gave the response (a UUIDv7): a resend finds the stored row by it
    pub response_id: uuid::Uuid,
    pub received_at: DateTime<Utc>,
    /// the kiosk's counter, recorded as a form token's desk is
    pub counter_id: Option<i32>,
    /// the most responses the device may have answered in one minute
    pub per_minute: u32,
}

/// What a submission came to, whatever its channel: the one result the form page, the paper
/// entry and the JSON API each map to their own answer.
#[derive(Debug)]
pub enum Outcome {
    Stored {
        id: uuid::Uuid,
        flagged: bool,
    },
    /// nothing was stored; the messages say why, field by field
    Rejected(Rejection),
    /// the one-time token was already spent
    Replayed {
        form: Box<Form>,
    },
    /// the client is over its rate limit; nothing was stored
    RateLimited {
        wait: std::time::Duration,
    },
    /// no unit has this slug
    UnknownUnit,
    /// the unit's survey is closed (an admin disabled the unit); nothing was stored
    Closed {
        form: Box<Form>,
    },
    /// the uploading device was revoked while its upload ran (`devices`); nothing was stored
    DeviceRevoked,
}

/// A refused submission, with what it takes to show the form again with the citizen's answers.
#[derive(Debug)]
pub struct Rejection {
    pub form: Box<Form>,
    /// the questionnaire version the citizen answered (may be older than the form's current one)
    pub template: Arc<Template>,
    pub messages: Vec<Message>,
    /// a fresh signed token when the submitted one was refused, so the citizen can simply send
    /// again; `None` keeps the submitted token
    pub new_token: Option<String>,
}

impl Submission<'_> {
    fn rejected(&self, messages: Vec<Message>) -> Outcome {
        Outcome::Rejected(Rejection {
            form: Box::new(self.form.clone()),
            template: self.template.clone(),
            messages,
            new_token: None,
        })
    }
}

/// Validates and stores; nothing is written unless everything is valid. The write goes through
/// `writer`: on SQLite a thread that commits the submissions arriving together in one
/// transaction (`db::group_commit`), each answered only once committed.
pub fn submit(
    conn: &mut DbConnection,
    sub: &Submission,
    burst: BurstRule,
    writer: &GroupCommit,
) -> Result<Outcome, DbError> {
    let ready = match prepare(sub) {
        Ok(ready) => ready,
        Err(refused) => return Ok(refused),
    };
    let guards = guards(sub, ready.ticket.as_deref(), burst);
    let stored = writer.insert_submission(conn, &ready.response, &ready.attached, &guards, ready.desk);
    settle(sub, ready.response.id, stored)
}

/// A valid submission, ready for the writer: what `prepare` made of the form's fields.
pub struct Ready {
    pub response: NewResponse,
    /// the attached instruments' answers
    pub attached: Vec<crate::db::instruments::InstrumentAnswers>,
    /// the ticket (nomor antrean) it spends, normalised
    pub ticket: Option<String>,
    pub desk: crate::security::form_token::Desk,
}

/// What the write of `sub` must check in its transaction: token, `ticket`, burst, limits.
pub fn guards<'a>(sub: &'a Submission, ticket: Option<&'a str>, burst: BurstRule) -> Guards<'a> {
    Guards {
        token_nonce: sub.token.map(|t| t.nonce.as_str()),
        ticket_code: ticket,
        burst,
        rate_limit: sub.rate_limit,
        invitation_id: sub.token.and_then(|t| t.invitation_id),
        device: sub.device.map(|d| DeviceGuard {
            device_id: d.device_id,
            received_at: d.received_at.naive_utc(),
            per_minute: d.per_minute,
        }),
    }
}

/// Pure: the submission validated into its rows, or the outcome that refuses it (the form
/// again with a message on each wrong field). Nothing is read or written.
pub fn prepare(sub: &Submission) -> Result<Ready, Outcome> {
    // a Mal Pelayanan Publik's responses belong to the agency chosen on its form (`mpp`)
    if mpp::is_hall(&sub.form.unit) {
        return Err(sub.rejected(vec![Message::general(mpp::CHOOSE_AGENCY)]));
    }
    let mut messages = Vec::new();
    let valid =
        submission::validate(&sub.template, sub.fields).map_err(|errors| messages.extend(field_messages(&errors))).ok();
    let field = |name: &str| sub.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

    let service_id = match field(SERVICE_FIELD) {
        _ if sub.form.services.is_empty() => None,
        None => {
            messages.push(Message::on(SERVICE_FIELD, "error.required_field"));
            None
        }
        Some(slug) => match sub.form.services.iter().find(|s| s.slug == slug) {
            Some(service) => Some(service.id),
            None => {
                messages.push(Message::on(SERVICE_FIELD, "error.not_option"));
                None
            }
        },
    };
    // an invitation's link is itself a one-time proof of a transaction: no ticket on top of it
    let ticket = if sub.form.unit.ticket_mode && sub.token.is_some_and(|t| t.invitation_id.is_none()) {
        let code = field(TICKET_FIELD).map(normalize_ticket);
        if code.is_none() {
            messages.push(Message::on(TICKET_FIELD, "error.required_field"));
        }
        code
    } else {
        None
    };
    // the attached instruments' answers (Zona Integritas), each on its own template
    let attached = instruments::validate(&sub.form.instruments, sub.fields)
        .map_err(|errors| messages.extend(field_messages(&errors)))
        .unwrap_or_default();
    if let Some(declared) = sub.declared {
        let unknown = unknown_codes(&sub.template, declared).into_iter().filter(|m| {
            !(m.key == UNKNOWN_ELEMENT
                && m.field.as_deref().is_some_and(|f| instruments::is_instrument_field(&sub.form.instruments, f)))
        });
        messages.extend(unknown);
    }
    let Some(valid) = valid.filter(|_| messages.is_empty()) else {
        return Err(sub.rejected(messages));
    };

    let mut profile = valid.profile;
    let gender = profile.remove(submission::GENDER);
    let age = profile.remove(submission::AGE).and_then(|a| a.parse().ok());
    let education = profile.remove(submission::EDUCATION);
    let occupation = profile.remove(submission::OCCUPATION);
    let response = NewResponse {
        id: sub.device.map_or_else(uuid::Uuid::now_v7, |d| d.response_id),
        unit_id: sub.form.unit.id,
        service_id,
        template_version_id: sub.version_id,
        channel: sub.channel,
        submitted_at: sub.now.naive_utc(),
        survey_date: sub.survey_date,
        gender,
        age,
        education,
        occupation,
        profile_extra: (!profile.is_empty()).then(|| serde_json::to_string(&profile).unwrap_or_default()),
        saran: valid.saran,
        client_hash: sub.client_hash.clone(),
        answers: valid.answers,
    };
    let desk = match (sub.token, sub.device) {
        (Some(token), _) => token.desk,
        (None, Some(device)) => {
            crate::security::form_token::Desk { counter_id: device.counter_id, ..Default::default() }
        }
        (None, None) => Default::default(),
    };
    Ok(Ready { response, attached, ticket, desk })
}

/// Pure: the outcome of a prepared submission's write (`stored`: whether it was flagged by the
/// burst check, or why the write refused it).
pub fn settle(sub: &Submission, id: uuid::Uuid, stored: Result<bool, StoreError>) -> Result<Outcome, DbError> {
    match stored {
        Ok(flagged) => Ok(Outcome::Stored { id, flagged }),
        // a spent invitation is a replayed form: its one answer is already in
        Err(StoreError::TokenUsed | StoreError::InvitationUsed) => {
            Ok(Outcome::Replayed { form: Box::new(sub.form.clone()) })
        }
        Err(StoreError::DeviceRevoked) => Ok(Outcome::DeviceRevoked),
        Err(StoreError::RateLimited) => {
            Ok(Outcome::RateLimited { wait: RateLimit::wait(RateLimit::window_of(sub.now), sub.now) })
        }
        Err(StoreError::TicketUnknown) => Ok(sub.rejected(vec![Message::on(TICKET_FIELD, "error.ticket_unknown")])),
        Err(StoreError::TicketUsed) => Ok(sub.rejected(vec![Message::on(TICKET_FIELD, "error.ticket_used")])),
        Err(StoreError::Db(e)) => Err(e),
    }
}

/// A paper questionnaire typed in by an operator: stored without a token, rate limit or burst
/// check (paper comes from one desk), and recorded in the audit log.
pub fn submit_paper(
    conn: &mut DbConnection,
    form: &Form,
    fields: &BTreeMap<String, String>,
    survey_date: NaiveDate,
    now: DateTime<Utc>,
    actor: i32,
) -> Result<Outcome, DbError> {
    let paper = Submission {
        form,
        template: form.template.clone(),
        version_id: form.version_id,
        channel: Channel::Paper,
        fields,
        survey_date,
        client_hash: None,
        now,
        token: None,
        rate_limit: None,
        declared: None,
        device: None,
    };
    // typed in by one operator and audited right after: on the operator's own connection
    let outcome = submit(conn, &paper, BurstRule::OFF, &GroupCommit::direct())?;
    if let Outcome::Stored { id, .. } = &outcome {
        let detail = format!("{} paper response {id} dated {survey_date}", form.unit.slug);
        crate::db::audit::record(conn, Some(actor), "responses.paper", &detail)?;
    }
    Ok(outcome)
}

/// Ticket codes are printed in capitals; citizens type them any way.
pub fn normalize_ticket(code: &str) -> String {
    code.trim().to_ascii_uppercase().replace([' ', '-'], "")
}

/// The query parameter and hidden form field naming the counter (loket) a form was opened at.
/// The field only carries the code back to the kiosk's next form and the thank-you page: what
/// is recorded is the counter signed into the form's token.
pub const COUNTER_FIELD: &str = "loket";
/// As `COUNTER_FIELD`, for the officer (petugas) at that desk.
pub const OFFICER_FIELD: &str = "petugas";

/// The unit's enabled counter and officer with these codes (a link's `?loket=`/`?petugas=`);
/// a code the unit does not have, or has taken out of use, is left out, so that the citizen's
/// answer is still taken, without a counter. An invitation from the unit's service system
/// (issue 19, point 2) names its counter and officer the same way: resolve them here and sign
/// the desk into the form's token (`FormToken::at_desk`); `submit` records the token's desk.
pub fn resolve_desk(
    conn: &mut DbConnection,
    unit_id: i32,
    counter: Option<&str>,
    officer: Option<&str>,
) -> Result<crate::security::form_token::Desk, DbError> {
    use crate::db::counters::{self, Roster};
    let mut find = |roster: Roster, code: Option<&str>| -> Result<Option<i32>, DbError> {
        let Some(code) = code.map(crate::domain::desk::normalize_code).filter(|c| crate::domain::desk::valid_code(c))
        else {
            return Ok(None);
        };
        Ok(counters::by_code(conn, roster, unit_id, &code)?.filter(|m| m.enabled).map(|m| m.id))
    };
    Ok(crate::security::form_token::Desk {
        counter_id: find(Roster::Counters, counter)?,
        officer_id: find(Roster::Officers, officer)?,
        via_unit_id: None,
    })
}
