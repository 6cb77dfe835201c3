//! JSON API for kiosk apps and integrations: fetch a unit's form (with its one-time token),
//! submit a response, read a unit's index. The bodies are the types below; the OpenAPI document
//! (`web::openapi`) is derived from them and from each handler's `#[utoipa::path]`. Every refusal
//! is one problem body (`web::problem`) that names each field with a machine code.

use super::access::UnitReader;
use super::api_key::{self, KeyCheck};
use super::error::WebError;
use super::i18n::Tr;
use super::problem::{FieldCode, FieldProblem, Problem, ProblemCode};
use super::{blocking, throttle, AppState};
use crate::api_keys::Scope;
use crate::domain::names::Channel;
use crate::domain::template::{self, Lang, ProfileKind};
use crate::rate_limit::RateLimit;
use crate::reports::summary::Summary;
use crate::security::form_token::FormToken;
use crate::survey::public::{PublicPost, TOKEN_FIELD};
use crate::survey::{
    self, Declared, Message, Outcome, SARAN_FIELD, SERVICE_FIELD, TICKET_FIELD, UNKNOWN_ELEMENT, UNKNOWN_PROFILE_FIELD,
};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A text in Bahasa Indonesia (`id`) and English (`en`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Text)]
pub struct TextBody {
    pub id: String,
    pub en: String,
}

impl From<&template::Text> for TextBody {
    fn from(text: &template::Text) -> TextBody {
        TextBody { id: text.id.clone(), en: text.en.clone() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Unit)]
pub struct UnitBody {
    #[schema(example = "puskesmas-sangatta")]
    pub slug: String,
    pub name: String,
}

/// A service of the unit: its slug goes in the submission's `layanan`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Service)]
pub struct ServiceBody {
    #[schema(example = "rawat-jalan")]
    pub slug: String,
    pub name: String,
}

/// The unit's questionnaire, in the version the token names.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Form)]
pub struct FormBody {
    pub unit: UnitBody,
    /// the unit's active services; when there are any, the submission names one in `layanan`
    pub services: Vec<ServiceBody>,
    /// whether the submission must carry the code on the citizen's queue ticket (`tiket`)
    pub ticket_required: bool,
    /// the signed one-time form token to send back with the submission
    pub token: String,
    pub template: TemplateBody,
    /// questionnaires the unit attaches after the main one (Zona Integritas: SPKP, SPAK), in
    /// order; every element of each must be answered too, in `answers` under the key
    /// `<instrument id>.<element code>` (e.g. `spkp-zi.P1`). Their `profile` is always empty: the
    /// main questionnaire's profile is asked once.
    pub instruments: Vec<TemplateBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Template)]
pub struct TemplateBody {
    #[schema(example = "permenpanrb-14-2017")]
    pub id: String,
    pub version: String,
    pub title: TextBody,
    pub scale: ScaleBody,
    /// every element must be answered: `answers` maps each element's code to one of its scores
    pub elements: Vec<ElementBody>,
    /// optional fields about the respondent: `profile` maps their codes to a value
    pub profile: Vec<ProfileFieldBody>,
    pub saran_max_chars: usize,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Scale)]
pub struct ScaleBody {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Element)]
pub struct ElementBody {
    #[schema(example = "U1")]
    pub code: String,
    pub name: TextBody,
    pub question: TextBody,
    pub answers: Vec<AnswerBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Answer)]
pub struct AnswerBody {
    pub score: u32,
    pub label: TextBody,
}

/// A profile field: a choice among `options` (send the option's `code`) or a whole number from
/// `min` to `max`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schema(as = ProfileField)]
pub enum ProfileFieldBody {
    Choice { code: String, label: TextBody, options: Vec<ProfileOptionBody> },
    Number { code: String, label: TextBody, min: i64, max: i64 },
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProfileOption)]
pub struct ProfileOptionBody {
    pub code: String,
    pub label: TextBody,
}

/// A response to the unit's questionnaire. Any other member is refused (`unknown_field`), and
/// so is an element or profile code the template does not have.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Submission)]
pub struct SubmissionBody {
    /// the form's one-time token (`token` of `GET /api/v1/units/{slug}/form`); not needed (and
    /// ignored) when the request carries an API key with the `responses` scope
    pub token: Option<String>,
    /// the slug of one of the unit's services; required when the form lists any
    pub layanan: Option<String>,
    /// the code on the citizen's queue ticket; required when the form says `ticket_required`
    pub tiket: Option<String>,
    /// the citizen's suggestion, at most the template's `saran_max_chars` characters
    pub saran: Option<String>,
    /// every element's code to one of its scores; an attached instrument's elements (the form's
    /// `instruments`) as `<instrument id>.<element code>`, e.g. `spkp-zi.P1`
    #[schema(example = json!({"U1": 4, "U2": 3}))]
    pub answers: BTreeMap<String, u32>,
    /// profile field codes to a value: an option's code, or a whole number
    #[schema(example = json!({"jenis_kelamin": "L", "usia": 41}))]
    pub profile: Option<BTreeMap<String, ProfileValue>>,
}

/// An option's code, a whole number, or null (not answered).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ProfileValue {
    Code(String),
    Number(i64),
    Unanswered,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Created)]
pub struct CreatedBody {
    /// the stored response's id (a UUID)
    #[schema(example = "019a3c2e-7b1d-7c4e-9a2f-3d5e8f1a2b3c")]
    pub id: String,
    /// whether the response was flagged for review (a burst of submissions from one client)
    pub flagged: bool,
}

/// A unit's index for a period, as the dashboard shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UnitIndex)]
pub struct IndexBody {
    pub unit: UnitBody,
    #[schema(example = "2026-10")]
    pub period: String,
    #[schema(example = "Oktober 2026")]
    pub period_label: String,
    pub with_subunits: bool,
    /// the period's population, when known
    pub population: Option<u64>,
    /// the sample the population needs (Krejcie–Morgan), when the population is known
    pub required_sample: Option<u64>,
    /// the previous period's index
    pub previous_nik: Option<f64>,
    /// this period's index minus the previous one's, both rounded as published
    pub change: Option<f64>,
    pub index: Summary,
}

const PROBLEM: &str = super::problem::CONTENT_TYPE;

/// The one mapping from the survey's messages (translation keys of the citizen's form) to the
/// API's machine codes, with reasons written for integrators.
pub(crate) fn field_problem(message: &Message) -> FieldProblem {
    let arg = |name: &str| message.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let field = message.field.as_deref();
    let refetch = "fetch a fresh form (and token) from GET /api/v1/units/{slug}/form and send again";
    let (code, reason) = match message.key {
        "error.required" => (FieldCode::Required, "required: every element of the template must be answered".into()),
        "error.required_field" if field == Some(SERVICE_FIELD) => {
            (FieldCode::Required, "required: the slug of one of the unit's services (the form's `services`)".into())
        }
        "error.required_field" if field == Some(TICKET_FIELD) => {
            (FieldCode::Required, "required: this unit asks for the code on the citizen's queue ticket".into())
        }
        "error.required_field" => (FieldCode::Required, "required".into()),
        "error.not_option" if field == Some(SERVICE_FIELD) => {
            (FieldCode::NotAChoice, "not the slug of one of the unit's active services (the form's `services`)".into())
        }
        "error.not_option" => (FieldCode::NotAChoice, "not the code of one of the field's options in the form".into()),
        "error.not_score" => (
            FieldCode::OutOfScale,
            format!("must be one of the element's scores, from {} to {}", arg("min"), arg("max")),
        ),
        "error.not_number" => (FieldCode::NotANumber, "must be a whole number".into()),
        "error.out_of_range" => {
            (FieldCode::OutOfRange, format!("must be a whole number from {} to {}", arg("min"), arg("max")))
        }
        "error.too_long" => (FieldCode::TooLong, format!("must be at most {} characters", arg("max"))),
        "error.ticket_unknown" => (FieldCode::TicketUnknown, "not a ticket code issued for this unit".into()),
        "error.ticket_used" => (FieldCode::TicketUsed, "this ticket code was already used for a response".into()),
        "error.token_expired" => (FieldCode::TokenExpired, format!("the form token has expired: {refetch}")),
        "error.token_invalid" => {
            (FieldCode::TokenInvalid, format!("not a form token this server issued for this unit: {refetch}"))
        }
        UNKNOWN_ELEMENT => (
            FieldCode::UnknownElement,
            "not an element code of the questionnaire the token names (the form's `template.elements`)".into(),
        ),
        UNKNOWN_PROFILE_FIELD => (
            FieldCode::UnknownProfileField,
            "not a profile field code of the questionnaire the token names (the form's `template.profile`)".into(),
        ),
        // a message this mapping does not know yet still says what the form says, in English
        other => (FieldCode::Invalid, Tr::new(Lang::En).fill(other, &message.args)),
    };
    let field = match (field, message.key) {
        (None, _) => TOKEN_FIELD.to_string(),
        (Some(f), UNKNOWN_ELEMENT) => format!("answers.{f}"),
        (Some(f), UNKNOWN_PROFILE_FIELD) => format!("profile.{f}"),
        (Some(f @ (SERVICE_FIELD | TICKET_FIELD | SARAN_FIELD)), _) => f.to_string(),
        // element codes start upper-case; profile codes are lower-case (checked when loading)
        (Some(f), _) if f.starts_with(|c: char| c.is_ascii_uppercase()) => format!("answers.{f}"),
        // an attached instrument's element: `<instrument id>.<code>` (profile codes have no dot)
        (Some(f), _) if f.contains('.') => format!("answers.{f}"),
        (Some(f), _) => format!("profile.{f}"),
    };
    FieldProblem { field, code, reason }
}

fn refused(fields: Vec<FieldProblem>) -> HttpResponse {
    Problem::fields(ProblemCode::Invalid, fields).response()
}

/// `GET /api/v1/units/{slug}/form`
#[utoipa::path(
    get,
    path = "/api/v1/units/{slug}/form",
    operation_id = "getForm",
    tag = "survey",
    summary = "A unit's questionnaire, with a one-time form token",
    // public: said explicitly, so linters (Redocly's `security-defined`) know it is not forgotten
    security(()),
    params(("slug" = String, Path, description = "the unit's slug, as in its form's address `/s/{slug}`")),
    responses(
        (status = 200, description = "the form; each fetch issues a new token", body = FormBody,
            headers(("Cache-Control" = String, description = "`no-store`: the token is for one submission"))),
        (status = 404, description = "no unit has this slug (`not_found`)", body = Problem, content_type = PROBLEM),
        (status = 409, description = "the unit's survey is closed (`closed`)", body = Problem, content_type = PROBLEM),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn form(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let form = blocking(&state, move |state, conn| survey::form_for_unit(conn, &state.templates, &slug))
        .await?
        .ok_or(WebError::NotFound)?;
    if !form.unit.active {
        return Ok(closed());
    }
    let t = &form.template;
    let token = FormToken::issue(form.unit.id, form.version_id, Channel::Web.as_str(), chrono::Utc::now())
        .sign(state.keys.form());
    let profile = profile_fields(t);
    let body = FormBody {
        unit: UnitBody { slug: form.unit.slug.clone(), name: form.unit.name.clone() },
        services: form.services.iter().map(|s| ServiceBody { slug: s.slug.clone(), name: s.name.clone() }).collect(),
        ticket_required: form.unit.ticket_mode,
        token,
        template: template_body(t, profile),
        instruments: form.instruments.iter().map(|i| template_body(&i.template, Vec::new())).collect(),
    };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body))
}

/// The questionnaire's profile fields as the API shows them.
pub(crate) fn profile_fields(t: &template::Template) -> Vec<ProfileFieldBody> {
    t.profile
        .iter()
        .map(|p| match &p.kind {
            ProfileKind::Choice(options) => ProfileFieldBody::Choice {
                code: p.code.clone(),
                label: (&p.label).into(),
                options: options
                    .iter()
                    .map(|o| ProfileOptionBody { code: o.code.clone(), label: (&o.label).into() })
                    .collect(),
            },
            ProfileKind::Number { min, max } => {
                ProfileFieldBody::Number { code: p.code.clone(), label: (&p.label).into(), min: *min, max: *max }
            }
        })
        .collect()
}

/// A questionnaire as the API shows it, with the profile fields it asks.
pub(crate) fn template_body(t: &template::Template, profile: Vec<ProfileFieldBody>) -> TemplateBody {
    TemplateBody {
        id: t.id.clone(),
        version: t.version.clone(),
        title: (&t.title).into(),
        scale: ScaleBody { min: t.scale_min, max: t.scale_max },
        elements: t
            .elements
            .iter()
            .map(|e| ElementBody {
                code: e.code.clone(),
                name: (&e.name).into(),
                question: (&e.question).into(),
                answers: e.answers.iter().map(|a| AnswerBody { score: a.score, label: (&a.label).into() }).collect(),
            })
            .collect(),
        profile,
        saran_max_chars: t.saran_max_chars,
    }
}

/// The members of a submission besides `answers` and `profile`.
const TEXT_FIELDS: [&str; 4] = [TOKEN_FIELD, SERVICE_FIELD, TICKET_FIELD, SARAN_FIELD];

/// Turns the JSON body into form fields and the element and profile codes it names, or names
/// every member that has the wrong shape.
pub(crate) fn fields_of(
    body: Map<String, Value>,
    need_token: bool,
) -> Result<(BTreeMap<String, String>, Declared), Vec<FieldProblem>> {
    let mut fields = BTreeMap::new();
    let mut coded = Vec::new();
    let mut declared = Declared::default();
    let mut problems = Vec::new();
    let wrong = |field: &str, reason: &str| FieldProblem::new(field, FieldCode::WrongType, reason);
    for (key, value) in body {
        match (key.as_str(), value) {
            (name, Value::String(s)) if TEXT_FIELDS.contains(&name) => {
                fields.insert(key, s);
            }
            (SERVICE_FIELD | TICKET_FIELD | SARAN_FIELD, Value::Null) => {}
            (name, _) if TEXT_FIELDS.contains(&name) => problems.push(wrong(name, "must be a string")),
            ("answers", Value::Object(answers)) => {
                for (code, score) in answers {
                    declared.elements.push(code.clone());
                    match score {
                        Value::Number(n) if n.as_u64().is_some() => coded.push((code, n.to_string())),
                        _ => problems.push(wrong(&format!("answers.{code}"), "must be a whole number: a score")),
                    }
                }
            }
            ("answers", _) => problems.push(wrong("answers", "must be an object of element code to score")),
            ("profile", Value::Object(profile)) => {
                for (code, value) in profile {
                    declared.profile.push(code.clone());
                    match value {
                        Value::String(s) => coded.push((code, s)),
                        Value::Number(n) => coded.push((code, n.to_string())),
                        Value::Null => {}
                        _ => problems.push(wrong(&format!("profile.{code}"), "must be a string or a number")),
                    }
                }
            }
            ("profile", _) => problems.push(wrong("profile", "must be an object of profile field code to value")),
            _ => problems.push(FieldProblem::new(
                &key,
                FieldCode::UnknownField,
                "not a member of a submission (token, layanan, tiket, saran, answers, profile)",
            )),
        }
    }
    // A code never stands in for a member (an answer named `token` is no token), nor for a code
    // of the other kind: the template check refuses such codes by name.
    for (code, value) in coded {
        if !TEXT_FIELDS.contains(&code.as_str()) {
            fields.entry(code).or_insert(value);
        }
    }
    if need_token && !fields.contains_key(TOKEN_FIELD) && !problems.iter().any(|p| p.field == TOKEN_FIELD) {
        problems.push(FieldProblem::new(
            TOKEN_FIELD,
            FieldCode::Required,
            "required: the token of GET /api/v1/units/{slug}/form",
        ));
    }
    if problems.is_empty() {
        Ok((fields, declared))
    } else {
        Err(problems)
    }
}

/// The submission's fields from its JSON body, or the refusal that says what is wrong with it.
fn parse_submission(body: &[u8], need_token: bool) -> Result<(BTreeMap<String, String>, Declared), Box<HttpResponse>> {
    let parsed: Value = serde_json::from_slice(body)
        .map_err(|e| Box::new(Problem::new(ProblemCode::InvalidJson, e.to_string()).response()))?;
    let Value::Object(object) = parsed else {
        return Err(Box::new(refused(vec![FieldProblem::new("body", FieldCode::WrongType, "must be a JSON object")])));
    };
    fields_of(object, need_token).map_err(|problems| Box::new(refused(problems)))
}

/// `POST /api/v1/units/{slug}/responses`
#[utoipa::path(
    post,
    path = "/api/v1/units/{slug}/responses",
    operation_id = "submitResponse",
    tag = "survey",
    summary = "Store one response to a unit's questionnaire",
    description = "Takes the token of one `GET /api/v1/units/{slug}/form`; a token stores one response. \
        A unit's own system may instead send an API key with the `responses` scope (`Authorization: Bearer \
        skm_live_…`, made on `/admin` or with `skm apikey create`): then no token is needed, the key's own \
        rate limit applies, and no ticket code is asked for. \
        Nothing is stored unless every field is valid; a refusal names every refused field. Members of the \
        wrong JSON type (a number where a string belongs, an unknown member) are refused first, on their own: \
        the other fields are checked once the body has the right shape.",
    params(("slug" = String, Path, description = "the unit's slug")),
    request_body(content = SubmissionBody, content_type = "application/json"),
    security((), ("api_key" = ["responses"])),
    responses(
        (status = 201, description = "stored", body = CreatedBody),
        (status = 400, description = "the body is not JSON (`invalid_json`)", body = Problem, content_type = PROBLEM),
        (status = 401, description = "an `Authorization` header without a valid API key: unknown, revoked or \
            malformed (`unauthorized`)", body = Problem, content_type = PROBLEM,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "the API key lacks the `responses` scope (`forbidden`)", body = Problem,
            content_type = PROBLEM),
        (status = 404, description = "no unit has this slug, or the API key does not cover it (`not_found`)",
            body = Problem, content_type = PROBLEM),
        (status = 409, description = "the token was already used (`replayed`, field `token` code `token_replayed`), \
            or the unit's survey is closed (`closed`)", body = Problem, content_type = PROBLEM),
        (status = 413, description = "the body is too large (`payload_too_large`)", body = Problem, content_type = PROBLEM),
        (status = 422, description = "refused fields (`invalid`): each with its field, code and reason", body = Problem,
            content_type = PROBLEM),
        (status = 429, description = "too many submissions from this client, or requests with this API key \
            (`rate_limited`)", body = Problem, content_type = PROBLEM,
            headers(("Retry-After" = u64, description = "seconds until the client may submit again"))),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    match api_key::check(&state, &req, Scope::Responses, slug.clone()).await? {
        KeyCheck::Refused(reply) => return Ok(reply),
        KeyCheck::Granted { .. } => return submit_with_key(state, slug, body).await,
        KeyCheck::Absent => {}
    }
    let ip = super::client_ip(&req, &state.config);
    let client_hash = state.keys.client_hash(&ip);
    // The shared count happens with the submission; this instance's limiter sheds floods first,
    // and a body refused before it reaches the database is counted on its own.
    let key = RateLimit::submit_key(&client_hash);
    if let Err(wait) = state.limiter.check_local(&key) {
        return Ok(rate_limited(wait));
    }
    let (fields, declared) = match parse_submission(&body, true) {
        Ok(parsed) => parsed,
        Err(reply) => {
            return Ok(match throttle::check_shared(&state, key).await {
                Ok(()) => *reply,
                Err(wait) => rate_limited(wait),
            })
        }
    };
    let now = chrono::Utc::now();
    let outcome = blocking(&state, move |state, conn| {
        let post = PublicPost { slug: &slug, channel: Channel::Web, fields: &fields, client_hash, now };
        survey::public::submit_declared(conn, &state.gate(), post, Some(&declared))
    })
    .await?;
    answer(&state, outcome)
}

/// A submission from a unit's own system with an API key (checked by the caller): no token.
async fn submit_with_key(state: web::Data<AppState>, slug: String, body: web::Bytes) -> Result<HttpResponse, WebError> {
    let (fields, declared) = match parse_submission(&body, false) {
        Ok(parsed) => parsed,
        Err(reply) => return Ok(*reply),
    };
    let now = chrono::Utc::now();
    let outcome = blocking(&state, move |state, conn| {
        survey::public::submit_with_key(conn, &state.gate(), &slug, &fields, &declared, now)
    })
    .await?;
    answer(&state, outcome)
}

/// A submission's outcome as the API answers it.
fn answer(state: &AppState, outcome: Outcome) -> Result<HttpResponse, WebError> {
    Ok(match outcome {
        Outcome::Stored { id, flagged } => {
            state.metrics.submitted(Channel::Web.as_str(), 1);
            HttpResponse::Created().json(CreatedBody { id: id.to_string(), flagged })
        }
        Outcome::Replayed { .. } => Problem::new(ProblemCode::Replayed, "this form token was already used")
            .with_fields(vec![FieldProblem::new(
                TOKEN_FIELD,
                FieldCode::TokenReplayed,
                "a token stores one response: fetch a fresh form (and token) for the next one",
            )])
            .response(),
        Outcome::Rejected(rejection) => refused(rejection.messages.iter().map(field_problem).collect()),
        Outcome::RateLimited { wait } => rate_limited(wait),
        Outcome::UnknownUnit => return Err(WebError::NotFound),
        Outcome::Closed { .. } => closed(),
        Outcome::DeviceRevoked => return Err(WebError::Internal("a form post answered as a device upload".into())),
    })
}

/// A unit whose survey an admin closed: no form, no submissions.
fn closed() -> HttpResponse {
    Problem::new(ProblemCode::Closed, "this unit's survey is closed: it takes no responses").response()
}

pub(crate) fn rate_limited(wait: std::time::Duration) -> HttpResponse {
    let seconds = wait.as_secs().max(1);
    let mut response =
        Problem::new(ProblemCode::RateLimited, format!("too many submissions from this client; retry in {seconds} s"))
            .response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// the period: a month `2026-10`, a quarter `2026-Q4`, a half-year `2026-S2`, a year `2026`,
    /// or dates `2026-01-01..2026-03-31`
    #[param(required = true, example = "2026-10")]
    period: Option<String>,
    /// `1` pools the unit with its sub-units
    #[param(example = "1")]
    sub: Option<String>,
    /// a service's slug: only that service's responses
    layanan: Option<String>,
}

/// A refused query parameter of the index.
fn bad_parameter(field: &str, code: FieldCode, reason: String) -> HttpResponse {
    Problem::fields(ProblemCode::InvalidRequest, vec![FieldProblem::new(field, code, reason)]).response()
}

/// `GET /api/v1/units/{slug}/index?period=…[&sub=1][&layanan=…]`: the aggregator's result for a
/// unit the signed-in user may read.
#[utoipa::path(
    get,
    path = "/api/v1/units/{slug}/index",
    operation_id = "getUnitIndex",
    tag = "results",
    summary = "A unit's satisfaction index for a period",
    description = "For a signed-in admin, or a head of the unit: the session cookie of signing in at `/masuk`; \
        or for a unit's own system: an API key with the `read` scope for the unit or a unit above it \
        (`Authorization: Bearer skm_live_…`).",
    params(("slug" = String, Path, description = "the unit's slug"), IndexQuery),
    security(("session" = []), ("api_key" = ["read"])),
    responses(
        (status = 200, description = "the index, as the unit's dashboard shows it", body = IndexBody),
        (status = 401, description = "neither a session nor a valid API key: not signed in, or a key unknown, \
            revoked or malformed (`unauthorized`)", body = Problem, content_type = PROBLEM,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "the API key lacks the `read` scope (`forbidden`)", body = Problem,
            content_type = PROBLEM),
        (status = 429, description = "too many requests with this API key (`rate_limited`)", body = Problem,
            content_type = PROBLEM,
            headers(("Retry-After" = u64, description = "seconds until the key may be used again"))),
        (status = 400, description = "a refused query parameter (`invalid_request`): `period` missing or not a \
            period, `layanan` not a service of the unit, or an unreadable query", body = Problem, content_type = PROBLEM),
        (status = 404, description = "no such unit, or one the user (or the API key) may not read (`not_found`)",
            body = Problem,
            content_type = PROBLEM),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn index(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<IndexQuery>,
) -> Result<HttpResponse, WebError> {
    let unit = match api_key::check(&state, &req, Scope::Read, slug.into_inner()).await? {
        KeyCheck::Refused(reply) => return Ok(reply),
        KeyCheck::Granted { unit, .. } => unit,
        KeyCheck::Absent => UnitReader::extract(&req).await?.unit,
    };
    let period: crate::domain::period::Period = match query.period.as_deref() {
        Some(text) => match text.parse() {
            Ok(period) => period,
            Err(e) => {
                let e: crate::domain::period::PeriodError = e;
                return Ok(bad_parameter("period", FieldCode::NotAPeriod, e.to_string()));
            }
        },
        None => return Ok(bad_parameter("period", FieldCode::Required, "required, e.g. 2026-10".into())),
    };
    let with_subunits = query.sub.as_deref() == Some("1");
    let service = query.layanan.clone();
    let report = blocking(&state, move |state, conn| -> Result<Option<crate::aggregator::UnitIndex>, WebError> {
        let service_id = match service {
            Some(slug) => match crate::db::units::services_of(conn, unit.id)?.into_iter().find(|s| s.slug == slug) {
                Some(s) => Some(s.id),
                None => return Ok(None),
            },
            None => None,
        };
        let selection = crate::aggregator::Selection { period, with_subunits, service_id };
        Ok(Some(crate::aggregator::unit_index(conn, &state.templates, &unit, &selection)?))
    })
    .await?;
    let Some(report) = report else {
        return Ok(bad_parameter("layanan", FieldCode::NotAChoice, "not the slug of a service of this unit".into()));
    };
    let summary = crate::reports::summary::summarize(&report.template, &report.result);
    Ok(HttpResponse::Ok().json(IndexBody {
        unit: UnitBody { slug: report.unit.slug.clone(), name: report.unit.name.clone() },
        period: period.to_string(),
        period_label: period.label_id(),
        with_subunits,
        population: report.population,
        required_sample: report.required_sample,
        previous_nik: report.previous.index.map(|v| v.to_f64()),
        change: report.change.map(|v| v.to_f64()),
        index: summary,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message key the survey service can refuse a submission with has its own machine
    /// code: a new key without one fails here, not in an integrator's client.
    #[test]
    fn every_survey_message_has_a_machine_code() {
        let sources = [include_str!("../survey/mod.rs"), include_str!("../survey/public.rs")];
        let mut keys: Vec<&str> = sources
            .iter()
            .flat_map(|source| source.split('"').skip(1).step_by(2))
            .filter(|literal| literal.starts_with("error.") && !literal.contains(' '))
            .collect();
        keys.extend([UNKNOWN_ELEMENT, UNKNOWN_PROFILE_FIELD]);
        assert!(keys.len() >= 10, "found only {keys:?}");
        for key in keys {
            for field in [None, Some("U1"), Some("usia"), Some(SERVICE_FIELD), Some(TICKET_FIELD)] {
                let message = Message { field: field.map(str::to_string), key, args: Vec::new() };
                let problem = field_problem(&message);
                assert_ne!(problem.code, FieldCode::Invalid, "{key} has no machine code");
                assert!(!problem.reason.contains("please send again"), "{key}: {}", problem.reason);
            }
        }
    }
}
