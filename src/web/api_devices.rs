//! The API of enrolled devices (issue 20): enrolment with a one-time code, the questionnaires a
//! device caches, and signed uploads of what it collected offline, each response stored once.
//!
//! A signed request carries `X-SKM-Device` (the device's id) and `X-SKM-Signature`, the device
//! key's ECDSA P-256 signature (r‖s, base64url) over the exact bytes of the body; the service
//! (`devices::verify`) checks it against the public key stored at enrolment.

use super::api::{self, ServiceBody, TemplateBody, UnitBody};
use super::error::WebError;
use super::problem::{FieldCode, FieldProblem, Problem, ProblemCode};
use super::{blocking, AppState};
use crate::devices::{self, Caller, Enrolment, ItemProblem, ItemResult, Profile, Upload, UploadOutcome, UploadRules};
use crate::domain::device::{self as rules, WhenProblem};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use utoipa::ToSchema;

const PROBLEM: &str = super::problem::CONTENT_TYPE;
pub const DEVICE_HEADER: &str = "X-SKM-Device";
pub const SIGNATURE_HEADER: &str = "X-SKM-Signature";
/// An upload of 100 responses with long suggestions stays far below this.
const BODY_LIMIT: usize = 1024 * 1024;
/// A half-filled kiosk form is cleared after this much inactivity (the next citizen must not
/// find the last one's answers).
const IDLE_RESET_SECONDS: u32 = 120;

/// What the app sends to enrol: the code the operator showed, and its new public key.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[schema(as = DeviceEnrolment)]
#[allow(dead_code)]
pub struct EnrolBody {
    /// the enrolment code from the operator's page (`ABCDE-FGHJK`; case and dashes do not matter)
    #[schema(example = "ABCDE-FGHJ2")]
    code: String,
    /// the device's ECDSA P-256 public key: base64url (no padding) of the 65-byte uncompressed
    /// point, as WebCrypto's `exportKey("raw", publicKey)` gives it
    public_key: String,
}

/// An enrolled device.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Device)]
pub struct DeviceBody {
    /// the device's id: send it as `X-SKM-Device` with every signed request
    #[schema(example = "3f1c2a9e-5b7d-4c1e-8f2a-9d3b4c5e6f70")]
    device: String,
    /// `kiosk` (citizens answer on it) or `enumerator` (a surveyor's device)
    #[schema(example = "kiosk")]
    kind: String,
    label: String,
    /// the enumerator's name (an enumerator device)
    enumerator: Option<String>,
    /// the code of the kiosk's counter, if it stands at one
    counter: Option<String>,
    units: Vec<UnitBody>,
}

impl DeviceBody {
    fn of(profile: &Profile) -> DeviceBody {
        DeviceBody {
            device: profile.device.public_id.clone(),
            kind: profile.kind.as_str().to_string(),
            label: profile.device.label.clone(),
            enumerator: profile.device.person.clone(),
            counter: profile.counter.clone(),
            units: profile.units.iter().map(|u| UnitBody { slug: u.slug.clone(), name: u.name.clone() }).collect(),
        }
    }
}

/// How many responses wait on the device (shown to its operator as last reported).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[schema(as = DeviceSync)]
#[allow(dead_code)]
pub struct SyncBody {
    pending: Option<u32>,
}

/// A unit the device serves, with the questionnaire to cache.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeviceUnit)]
pub struct DeviceUnitBody {
    slug: String,
    name: String,
    services: Vec<ServiceBody>,
    /// the questionnaire version: send it back with each response answered on it (a response
    /// answered on an older version is stored against that version)
    template_version: i32,
    template: TemplateBody,
    instruments: Vec<TemplateBody>,
}

/// What a device needs to work offline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeviceConfig)]
pub struct ConfigBody {
    #[serde(flatten)]
    device: DeviceBody,
    /// the server's clock, so the app can tell the user that the device's clock is off
    server_time: String,
    /// seconds a kiosk shows its thank-you screen before the next blank form
    kiosk_reset_seconds: u32,
    /// seconds of inactivity after which a kiosk clears a half-filled form
    idle_reset_seconds: u32,
    /// how many days after it was answered a response is still taken
    answer_window_days: u32,
    /// the units with an open survey (a closed unit is left out)
    questionnaires: Vec<DeviceUnitBody>,
}

/// One response as the device recorded it.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[schema(as = DeviceResponse)]
#[allow(dead_code)]
pub struct UploadItemBody {
    /// the id the device gave the response: a UUID of version 7; a resend with the same id is
    /// answered `duplicate`
    #[schema(example = "019ad7e2-4c1b-7e3a-9f21-6b8d0c2e4a51")]
    id: String,
    /// the unit's slug: one of the device's units
    unit: String,
    /// the `template_version` the form was shown with
    template_version: i32,
    /// when it was answered (RFC 3339 with an offset); the survey date is its local date
    #[schema(example = "2026-12-01T10:42:00+08:00")]
    answered_at: String,
    layanan: Option<String>,
    saran: Option<String>,
    #[schema(example = json!({"U1": 4, "U2": 3}))]
    answers: std::collections::BTreeMap<String, u32>,
    #[schema(example = json!({"jenis_kelamin": "P", "usia": 35}))]
    profile: Option<std::collections::BTreeMap<String, api::ProfileValue>>,
}

/// An upload of responses collected on the device.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[schema(as = DeviceUpload)]
#[allow(dead_code)]
pub struct UploadBody {
    /// responses waiting on the device, this batch included
    pending: Option<u32>,
    /// at most 100
    responses: Vec<UploadItemBody>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// stored now: delete it from the device
    Stored,
    /// stored by an earlier upload: delete it from the device
    Duplicate,
    /// not stored for now (`problems` say why: the unit's survey is closed): keep it on the device
    /// and send it again later
    Deferred,
    /// refused (`problems` say why): sending it again will not help
    Rejected,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeviceResponseResult)]
pub struct ItemResultBody {
    id: String,
    status: ItemStatus,
    /// flagged for review: part of a burst of identical answers from the device
    flagged: bool,
    problems: Vec<FieldProblem>,
}

/// What became of each response of the upload, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeviceUploadResult)]
pub struct UploadResultBody {
    results: Vec<ItemResultBody>,
    stored: usize,
    duplicates: usize,
    deferred: usize,
    rejected: usize,
}

fn refused(fields: Vec<FieldProblem>) -> HttpResponse {
    Problem::fields(ProblemCode::Invalid, fields).response()
}

async fn read_body(mut payload: web::Payload) -> Result<Result<web::Bytes, HttpResponse>, WebError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::Invalid { field: "body".into(), reason: e.to_string() })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            let detail = format!("the body is larger than {BODY_LIMIT} bytes: send fewer responses at a time");
            return Ok(Err(Problem::new(ProblemCode::PayloadTooLarge, detail).response()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body.freeze()))
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, Box<HttpResponse>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Box::new(refused(vec![FieldProblem::new("body", FieldCode::WrongType, "must be a JSON object")]))),
        Err(e) => Err(Box::new(Problem::new(ProblemCode::InvalidJson, e.to_string()).response())),
    }
}

fn unauthorized() -> HttpResponse {
    let mut response = Problem::new(
        ProblemCode::Unauthorized,
        format!(
            "not an enrolled device: send {DEVICE_HEADER} (the device's id) and {SIGNATURE_HEADER} (its key's \
             ECDSA P-256 signature of the body, base64url)"
        ),
    )
    .response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("SKM-Device"));
    response
}

fn revoked() -> HttpResponse {
    Problem::new(ProblemCode::DeviceRevoked, "this device was revoked by an operator: its uploads are refused")
        .response()
}

/// The device that signed this request, or the refusal to answer with.
async fn signed_by(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    body: web::Bytes,
) -> Result<Result<Box<Profile>, HttpResponse>, WebError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(device), Some(signature)) = (header(DEVICE_HEADER), header(SIGNATURE_HEADER)) else {
        return Ok(Err(unauthorized()));
    };
    let now = chrono::Utc::now();
    let caller = blocking(state, move |_, conn| devices::verify(conn, &device, &signature, &body, now)).await?;
    Ok(match caller {
        Caller::Device(profile) => Ok(profile),
        Caller::Revoked => {
            state.metrics.device_refused();
            Err(revoked())
        }
        Caller::Unknown => {
            // guessing at device ids or keys costs a lookup each: shed floods per client
            let ip = super::client_ip(req, &state.config);
            match state.limiter.check_local(&format!("device-auth {}", state.keys.client_hash(&ip))) {
                Ok(()) => Err(unauthorized()),
                Err(wait) => Err(api::rate_limited(wait)),
            }
        }
    })
}

/// A signed request's device and its JSON body, in the order the checks must run: the size
/// limit, the signature over the exact bytes, then the body's shape.
async fn signed_request(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Result<(Box<Profile>, Map<String, Value>), Box<HttpResponse>>, WebError> {
    let body = match read_body(payload).await? {
        Ok(body) => body,
        Err(reply) => return Ok(Err(Box::new(reply))),
    };
    let profile = match signed_by(state, req, body.clone()).await? {
        Ok(profile) => profile,
        Err(reply) => return Ok(Err(Box::new(reply))),
    };
    Ok(json_object(&body).map(|object| (profile, object)))
}

fn pending_of(object: &Map<String, Value>) -> Result<Option<u32>, FieldProblem> {
    match object.get("pending") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| FieldProblem::new("pending", FieldCode::NotANumber, "must be a whole number, 0 or more")),
        Some(_) => Err(FieldProblem::new("pending", FieldCode::WrongType, "must be a whole number")),
    }
}

/// `POST /api/v1/devices/enrol`
#[utoipa::path(
    post,
    path = "/api/v1/devices/enrol",
    operation_id = "enrolDevice",
    tag = "devices",
    summary = "Enrol a kiosk or enumerator device with the operator's one-time code",
    description = "The operator makes the code on `/operator/{slug}/perangkat` (valid 15 minutes, one use). \
        The device sends it with the public half of an ECDSA P-256 key pair it made; from then on it signs \
        every request with the private half.",
    request_body(content = EnrolBody, content_type = "application/json"),
    security(()),
    responses(
        (status = 201, description = "enrolled", body = DeviceBody),
        (status = 400, description = "the body is not JSON (`invalid_json`)", body = Problem, content_type = PROBLEM),
        (status = 413, description = "the body is too large (`payload_too_large`)", body = Problem, content_type = PROBLEM),
        (status = 422, description = "refused fields (`invalid`): `code` (`enrolment_code_unknown`, \
            `enrolment_code_expired`, `required`), `public_key` (`not_a_key`, `required`)", body = Problem,
            content_type = PROBLEM),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn enrol(state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse, WebError> {
    let body = match read_body(payload).await? {
        Ok(body) => body,
        Err(reply) => return Ok(reply),
    };
    let object = match json_object(&body) {
        Ok(object) => object,
        Err(reply) => return Ok(*reply),
    };
    let mut problems = Vec::new();
    let mut text = |name: &str| match object.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            problems.push(FieldProblem::new(name, FieldCode::Required, "required"));
            None
        }
        Some(_) => {
            problems.push(FieldProblem::new(name, FieldCode::WrongType, "must be a string"));
            None
        }
    };
    let (code, key) = (text("code"), text("public_key"));
    for name in object.keys().filter(|k| !["code", "public_key"].contains(&k.as_str())) {
        problems.push(FieldProblem::new(name, FieldCode::UnknownField, "not a member (code, public_key)"));
    }
    let (Some(code), Some(key), true) = (code, key, problems.is_empty()) else {
        return Ok(refused(problems));
    };
    let now = chrono::Utc::now();
    let outcome = blocking(&state, move |_, conn| devices::enrol(conn, &code, &key, now)).await?;
    Ok(match outcome {
        Enrolment::Enrolled(profile) => HttpResponse::Created().json(DeviceBody::of(&profile)),
        Enrolment::CodeUnknown => refused(vec![FieldProblem::new(
            "code",
            FieldCode::EnrolmentCodeUnknown,
            "no device waits for this code: it was mistyped, already used, or the device was revoked",
        )]),
        Enrolment::CodeExpired => refused(vec![FieldProblem::new(
            "code",
            FieldCode::EnrolmentCodeExpired,
            "the code is older than 15 minutes: ask the operator for a new one",
        )]),
        Enrolment::NotAKey => refused(vec![FieldProblem::new(
            "public_key",
            FieldCode::NotAKey,
            "must be base64url of a 65-byte uncompressed P-256 point (WebCrypto exportKey(\"raw\"))",
        )]),
    })
}

/// `POST /api/v1/devices/config`
#[utoipa::path(
    post,
    path = "/api/v1/devices/config",
    operation_id = "getDeviceConfig",
    tag = "devices",
    summary = "The questionnaires an enrolled device caches (signed)",
    description = "Signed: `X-SKM-Device` and `X-SKM-Signature` over the body. The app asks at start and on \
        every sync, and replaces a cached questionnaire when its `template_version` changed.",
    request_body(content = SyncBody, content_type = "application/json"),
    params(
        ("X-SKM-Device" = String, Header, description = "the device's id, from its enrolment"),
        ("X-SKM-Signature" = String, Header, description = "base64url of the ECDSA P-256 (SHA-256) signature \
            r‖s of the exact body bytes"),
    ),
    security(()),
    responses(
        (status = 200, description = "the device and its units' questionnaires", body = ConfigBody),
        (status = 400, description = "the body is not JSON (`invalid_json`)", body = Problem, content_type = PROBLEM),
        (status = 401, description = "not an enrolled device, or a bad signature (`unauthorized`)", body = Problem,
            content_type = PROBLEM, headers(("WWW-Authenticate" = String, description = "`SKM-Device`"))),
        (status = 403, description = "the device was revoked (`device_revoked`)", body = Problem, content_type = PROBLEM),
        (status = 413, description = "the body is too large (`payload_too_large`)", body = Problem, content_type = PROBLEM),
        (status = 422, description = "a refused member (`invalid`)", body = Problem, content_type = PROBLEM),
        (status = 429, description = "too many refused signatures from this client (`rate_limited`)", body = Problem,
            content_type = PROBLEM, headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn config(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (profile, object) = match signed_request(&state, &req, payload).await? {
        Ok(signed) => signed,
        Err(reply) => return Ok(*reply),
    };
    let unknown = object.keys().filter(|k| k.as_str() != "pending");
    let mut problems: Vec<FieldProblem> =
        unknown.map(|name| FieldProblem::new(name, FieldCode::UnknownField, "not a member (pending)")).collect();
    let pending = pending_of(&object).map_err(|p| problems.push(p)).ok().flatten();
    if !problems.is_empty() {
        return Ok(refused(problems));
    }
    let now = chrono::Utc::now();
    let forms = blocking(&state, move |state, conn| {
        devices::record_sync(conn, &profile.device, pending, now)?;
        let forms = devices::forms(conn, &state.templates, &profile)?;
        Ok::<_, crate::db::DbError>((profile, forms))
    })
    .await?;
    let (profile, forms) = forms;
    let questionnaires = forms
        .iter()
        .map(|form| DeviceUnitBody {
            slug: form.unit.slug.clone(),
            name: form.unit.name.clone(),
            services: form
                .services
                .iter()
                .map(|s| ServiceBody { slug: s.slug.clone(), name: s.name.clone() })
                .collect(),
            template_version: form.version_id,
            template: api::template_body(&form.template, api::profile_fields(&form.template)),
            instruments: form.instruments.iter().map(|i| api::template_body(&i.template, Vec::new())).collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(ConfigBody {
        device: DeviceBody::of(&profile),
        server_time: now.to_rfc3339(),
        kiosk_reset_seconds: state.config.kiosk_reset_seconds,
        idle_reset_seconds: IDLE_RESET_SECONDS,
        answer_window_days: state.config.device_answer_window_days,
        questionnaires,
    }))
}

/// The upload's responses, or every problem with its shape (then nothing is stored).
fn parse_upload(object: Map<String, Value>) -> Result<(Option<u32>, Vec<Upload>), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let pending = pending_of(&object).map_err(|p| problems.push(p)).ok().flatten();
    for name in object.keys().filter(|k| !["pending", "responses"].contains(&k.as_str())) {
        problems.push(FieldProblem::new(name, FieldCode::UnknownField, "not a member (pending, responses)"));
    }
    let items = match object.get("responses") {
        Some(Value::Array(items)) if items.len() > rules::BATCH_MAX => {
            let reason = format!("{} responses: at most {} per upload", items.len(), rules::BATCH_MAX);
            problems.push(FieldProblem::new("responses", FieldCode::TooMany, reason));
            return Err(problems);
        }
        Some(Value::Array(items)) => items.clone(),
        None | Some(Value::Null) => {
            problems.push(FieldProblem::new("responses", FieldCode::Required, "required: an array of responses"));
            return Err(problems);
        }
        Some(_) => {
            problems.push(FieldProblem::new("responses", FieldCode::WrongType, "must be an array of responses"));
            return Err(problems);
        }
    };
    let mut seen = BTreeSet::new();
    let mut uploads = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let at = |field: &str| format!("responses[{index}].{field}");
        let Value::Object(mut item) = item else {
            problems.push(FieldProblem::new(&format!("responses[{index}]"), FieldCode::WrongType, "must be an object"));
            continue;
        };
        let mut take_text = |name: &str, problems: &mut Vec<FieldProblem>| match item.remove(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                problems.push(FieldProblem::new(&at(name), FieldCode::Required, "required"));
                None
            }
            Some(_) => {
                problems.push(FieldProblem::new(&at(name), FieldCode::WrongType, "must be a string"));
                None
            }
        };
        let id = take_text("id", &mut problems).and_then(|text| match rules::parse_response_id(&text) {
            Some(id) if seen.insert(id) => Some(id),
            Some(_) => {
                let reason = "the same response id appears earlier in this upload";
                problems.push(FieldProblem::new(&at("id"), FieldCode::DuplicateInBatch, reason));
                None
            }
            None => {
                let reason = "must be a UUID of version 7, made on the device when the response was answered";
                problems.push(FieldProblem::new(&at("id"), FieldCode::NotAUuidV7, reason));
                None
            }
        });
        let unit = take_text("unit", &mut problems);
        let answered_at = take_text("answered_at", &mut problems).and_then(|text| {
            match chrono::DateTime::parse_from_rfc3339(text.trim()) {
                Ok(at) => Some(at.with_timezone(&chrono::Utc)),
                Err(_) => {
                    let reason = "must be an RFC 3339 time with an offset, e.g. 2026-12-01T10:42:00+08:00";
                    problems.push(FieldProblem::new(&at("answered_at"), FieldCode::NotATime, reason));
                    None
                }
            }
        });
        let template_version = match item.remove("template_version") {
            Some(Value::Number(n)) => n.as_i64().and_then(|n| i32::try_from(n).ok()).or_else(|| {
                problems.push(FieldProblem::new(
                    &at("template_version"),
                    FieldCode::NotANumber,
                    "must be a whole number",
                ));
                None
            }),
            None | Some(Value::Null) => {
                let reason = "required: the template_version the form was shown with";
                problems.push(FieldProblem::new(&at("template_version"), FieldCode::Required, reason));
                None
            }
            Some(_) => {
                problems.push(FieldProblem::new(
                    &at("template_version"),
                    FieldCode::WrongType,
                    "must be a whole number",
                ));
                None
            }
        };
        // what remains is the response itself, read as the API reads a submission; a form token
        // or a ticket code has no place in a device's upload
        for name in ["token", "tiket"] {
            if item.remove(name).is_some() {
                let reason = "not a member of a device's response (id, unit, template_version, answered_at, \
                              layanan, saran, answers, profile)";
                problems.push(FieldProblem::new(&at(name), FieldCode::UnknownField, reason));
            }
        }
        let fields = api::fields_of(item, false).map_err(|found| {
            problems.extend(found.into_iter().map(|p| FieldProblem { field: at(&p.field), ..p }));
        });
        if let (Some(id), Some(unit), Some(answered_at), Some(template_version), Ok((fields, declared))) =
            (id, unit, answered_at, template_version, fields)
        {
            uploads.push(Upload { id, unit, template_version, answered_at, fields, declared });
        }
    }
    if problems.is_empty() {
        Ok((pending, uploads))
    } else {
        Err(problems)
    }
}

/// One refused response's problems, named within the upload.
fn item_problems(index: usize, problem: &ItemProblem, window_days: u32) -> Vec<FieldProblem> {
    let at = |field: &str| format!("responses[{index}].{field}");
    let one = |field: &str, code: FieldCode, reason: String| vec![FieldProblem::new(&at(field), code, reason)];
    match problem {
        ItemProblem::Fields(messages) => {
            messages.iter().map(api::field_problem).map(|p| FieldProblem { field: at(&p.field), ..p }).collect()
        }
        ItemProblem::Unit => one("unit", FieldCode::NotAUnitOfTheDevice, "not one of the device's units".into()),
        ItemProblem::TemplateVersion => one(
            "template_version",
            FieldCode::UnknownTemplateVersion,
            "not a version of the unit's questionnaire (the config's `template_version`)".into(),
        ),
        ItemProblem::AnsweredAt(WhenProblem::Future) => one(
            "answered_at",
            FieldCode::AnsweredInFuture,
            format!(
                "later than the server's clock plus {} minutes: check the device's clock",
                rules::CLOCK_SKEW_MINUTES
            ),
        ),
        ItemProblem::AnsweredAt(WhenProblem::TooOld { days }) => one(
            "answered_at",
            FieldCode::AnsweredTooLongAgo,
            format!("answered more than {days} days ago: this deployment takes answers for {window_days} days"),
        ),
        ItemProblem::IdTaken => one("id", FieldCode::IdTaken, "a response with this id came from elsewhere".into()),
        ItemProblem::RateLimited => one(
            "answered_at",
            FieldCode::RateLimited,
            "more responses answered in this minute than the device may give".into(),
        ),
    }
}

/// `POST /api/v1/devices/responses`
#[utoipa::path(
    post,
    path = "/api/v1/devices/responses",
    operation_id = "uploadDeviceResponses",
    tag = "devices",
    summary = "Upload responses collected on an enrolled device (signed), each stored once",
    description = "Signed: `X-SKM-Device` and `X-SKM-Signature` over the body. Each response carries the id the \
        device gave it (a UUIDv7) and the time it was answered: the server stores each id once, so a resend of \
        the same batch (after a lost reply) answers `duplicate` for what is already in. The answered time must \
        not be ahead of the server's clock by more than 10 minutes nor older than `device_answer_window_days` \
        (30 by default); the survey date is its local date. A response is judged on its own: the result lists \
        each one in the order sent. A malformed upload (a duplicate id inside it, more than 100 responses, a \
        member of the wrong type) is refused as a whole, naming the item, and stores nothing.",
    request_body(content = UploadBody, content_type = "application/json"),
    params(
        ("X-SKM-Device" = String, Header, description = "the device's id, from its enrolment"),
        ("X-SKM-Signature" = String, Header, description = "base64url of the ECDSA P-256 (SHA-256) signature \
            r‖s of the exact body bytes"),
    ),
    security(()),
    responses(
        (status = 200, description = "each response's result", body = UploadResultBody),
        (status = 400, description = "the body is not JSON (`invalid_json`)", body = Problem, content_type = PROBLEM),
        (status = 401, description = "not an enrolled device, or a bad signature (`unauthorized`): nothing stored",
            body = Problem, content_type = PROBLEM,
            headers(("WWW-Authenticate" = String, description = "`SKM-Device`"))),
        (status = 403, description = "the device was revoked (`device_revoked`), before the upload (nothing \
            stored) or while it ran (nothing after the revocation is stored); the device keeps what it holds; \
            the refusal is shown to its operator", body = Problem, content_type = PROBLEM),
        (status = 413, description = "the body is larger than 1 MiB (`payload_too_large`)", body = Problem,
            content_type = PROBLEM),
        (status = 422, description = "a malformed upload (`invalid`), nothing stored: e.g. `responses[3].id` \
            `duplicate_in_batch`, `responses` `too_many`", body = Problem, content_type = PROBLEM),
        (status = 429, description = "too many refused signatures from this client (`rate_limited`)", body = Problem,
            content_type = PROBLEM, headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`): send again later",
            body = Problem, content_type = PROBLEM),
    )
)]
pub async fn responses(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let (profile, object) = match signed_request(&state, &req, payload).await? {
        Ok(signed) => signed,
        Err(reply) => return Ok(*reply),
    };
    let (pending, uploads) = match parse_upload(object) {
        Ok(parsed) => parsed,
        Err(problems) => return Ok(refused(problems)),
    };
    let now = chrono::Utc::now();
    let window_days = state.config.device_answer_window_days;
    let rules = UploadRules { window_days, per_minute: state.config.rate_limit_per_minute };
    let channel = profile.kind.channel();
    let (uploads, outcome) = blocking(&state, move |state, conn| {
        let outcome = devices::upload(conn, &state.gate(), &profile, &uploads, &rules, now)?;
        if outcome != UploadOutcome::Revoked {
            devices::record_sync(conn, &profile.device, pending, now)?;
        }
        Ok::<_, crate::db::DbError>((uploads, outcome))
    })
    .await?;
    let UploadOutcome::Results(results) = outcome else {
        // revoked while the upload ran: the device keeps everything and is told why
        state.metrics.device_refused();
        return Ok(revoked());
    };
    let mut body = UploadResultBody { results: Vec::new(), stored: 0, duplicates: 0, deferred: 0, rejected: 0 };
    for (index, (upload, result)) in uploads.iter().zip(&results).enumerate() {
        let (status, flagged, problems) = match result {
            ItemResult::Stored { flagged } => {
                body.stored += 1;
                (ItemStatus::Stored, *flagged, Vec::new())
            }
            ItemResult::Duplicate => {
                body.duplicates += 1;
                (ItemStatus::Duplicate, false, Vec::new())
            }
            ItemResult::Deferred => {
                body.deferred += 1;
                let reason = "the unit's survey is closed for now: keep the response and send it again later";
                (
                    ItemStatus::Deferred,
                    false,
                    vec![FieldProblem::new(&format!("responses[{index}].unit"), FieldCode::Closed, reason)],
                )
            }
            ItemResult::Rejected(problem) => {
                body.rejected += 1;
                (ItemStatus::Rejected, false, item_problems(index, problem, window_days))
            }
        };
        body.results.push(ItemResultBody { id: upload.id.to_string(), status, flagged, problems });
    }
    state.metrics.submitted(channel.as_str(), body.stored as u64);
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body))
}
