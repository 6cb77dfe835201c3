//! Survey invitations through the JSON API (issue 19, point 2): a unit's service system asks for
//! a one-time short link per finished transaction (`POST /api/v1/units/{slug}/invitations`), or
//! up to 1,000 at once (`…/invitations:batch`), with an API key with the `invitations` scope; a
//! signed-in admin or head of the unit may too, with the session's CSRF secret in `X-CSRF-Token`
//! and from this site only. The rules (idempotency, validation) are `crate::invitations`'.

use super::access::UnitReader;
use super::api_key::{self, KeyCheck};
use super::error::WebError;
use super::problem::{FieldCode, FieldProblem, Problem, ProblemCode};
use super::{blocking, AppState};
use crate::api_keys::Scope;
use crate::db::units::Unit;
use crate::db::{DbConnection, DbError};
use crate::domain::phone::Phone;
use crate::gateway;
use crate::invitations::{self, Field, InvitationError, Issued, NewInvitation, BATCH_MAX};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const PROBLEM: &str = super::problem::CONTENT_TYPE;
/// The header a browser session sends its CSRF secret in (a JSON body has no hidden field).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A full batch with 200-character references is about 300 kB.
const BODY_LIMIT: usize = 1024 * 1024;

/// What the service system sends for one transaction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InvitationRequest)]
pub struct InvitationRequest {
    /// the transaction's reference in the unit's own system (1–200 characters); stored only as a
    /// keyed hash: the same reference again returns the same invitation
    #[schema(example = "KTP-2026-000123", min_length = 1, max_length = 200)]
    pub reference: String,
    /// the slug of the service the transaction was for (one of the unit's active services); the
    /// form opens with it chosen
    #[schema(example = "ktp-el")]
    pub service: String,
    /// the code of the counter (loket) that served the citizen
    #[schema(example = "loket-1")]
    pub counter: Option<String>,
    /// the code of the officer (petugas) who served the citizen
    #[schema(example = "p-07")]
    pub officer: Option<String>,
    /// the citizen's mobile number, to send the link to through the regency's SMS/WhatsApp
    /// gateway (`08…` or `+628…`); used to send and never stored. Refused when the server has no
    /// gateway configured.
    #[schema(example = "0812-3456-7890")]
    pub phone: Option<String>,
}

/// Up to 1,000 invitations in one request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InvitationBatchRequest)]
pub struct BatchRequest {
    #[schema(max_items = 1000)]
    pub items: Vec<InvitationRequest>,
}

/// An invitation: the short link to print on the receipt, as text and as a QR.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Invitation)]
pub struct InvitationBody {
    /// the short code (10 characters, the last a check character)
    #[schema(example = "7KQ4MXR2TB")]
    pub code: String,
    /// the link to print: opens the unit's form with the service chosen, for one response
    #[schema(example = "https://skm.kutaitimurkab.go.id/u/7KQ4MXR2TB")]
    pub url: String,
    #[schema(example = "https://skm.kutaitimurkab.go.id/u/7KQ4MXR2TB/qr.svg")]
    pub qr_svg_url: String,
    #[schema(example = "https://skm.kutaitimurkab.go.id/u/7KQ4MXR2TB/qr.png")]
    pub qr_png_url: String,
    /// when the link stops opening (UTC, RFC 3339)
    #[schema(example = "2026-12-15T07:49:33Z")]
    pub expires_at: String,
    /// `false` when the reference already had this invitation (nothing new was made)
    pub created: bool,
    /// with a `phone`: `queued` (the gateway sends it in the background, retrying failures),
    /// `dropped` (the gateway's queue was full: not sent), or `not_sent` (the invitation was
    /// already used or has expired)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "queued")]
    pub delivery: Option<&'static str>,
}

/// The batch's invitations, in the order of its items.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvitationBatch)]
pub struct BatchBody {
    pub items: Vec<InvitationBody>,
}

fn body_of(base_url: &str, issued: &Issued) -> InvitationBody {
    let url = format!("{}/u/{}", base_url.trim_end_matches('/'), issued.invitation.code);
    InvitationBody {
        code: issued.invitation.code.clone(),
        qr_svg_url: format!("{url}/qr.svg"),
        qr_png_url: format!("{url}/qr.png"),
        url,
        expires_at: issued.invitation.expires_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        created: issued.created,
        delivery: None,
    }
}

/// One item of a request: the invitation to issue and the number to send its link to.
#[derive(Debug)]
struct Item {
    new: NewInvitation,
    phone: Option<Phone>,
}

/// Hands the link to the gateway when the item gave a number and the invitation still opens
/// (a reference sent again re-sends its open link: the citizen may have lost the message).
fn deliver(
    state: &AppState,
    conn: &mut DbConnection,
    phone: Option<Phone>,
    body: &mut InvitationBody,
) -> Result<(), DbError> {
    let (Some(phone), Some(gateway)) = (phone, state.gateway.as_ref()) else { return Ok(()) };
    let now = chrono::Utc::now().naive_utc();
    body.delivery = Some(match invitations::open(conn, &body.code, now)? {
        invitations::Opened::Open { unit, service, .. } => {
            let service = service.map(|s| s.name).unwrap_or_default();
            let message = gateway::Message { link: body.url.clone(), unit: unit.name, service };
            match gateway.dispatch(phone, message) {
                gateway::Dispatch::Queued => "queued",
                gateway::Dispatch::Dropped => "dropped",
            }
        }
        _ => "not_sent",
    });
    Ok(())
}

/// The unit the request may make invitations for: an API key's (with the scope), or a signed-in
/// admin's or unit head's (same site, CSRF secret in the header). `Err`: the refusal to send.
async fn authorize(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    slug: String,
) -> Result<Result<Unit, HttpResponse>, WebError> {
    match api_key::check(state, req, Scope::Invitations, slug).await? {
        KeyCheck::Refused(reply) => Ok(Err(reply)),
        KeyCheck::Granted { unit, .. } => Ok(Ok(unit)),
        KeyCheck::Absent => {
            let reader = UnitReader::extract(req).await?;
            if super::staff::cross_site(req, &state.config.base_url) {
                return Err(WebError::CrossSite);
            }
            let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            super::session::check_csrf(&reader.session, sent)?;
            Ok(Ok(reader.unit))
        }
    }
}

/// The body, up to `BODY_LIMIT` bytes.
async fn read_body(mut payload: web::Payload) -> Result<Result<web::Bytes, HttpResponse>, WebError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::Invalid { field: "body".into(), reason: e.to_string() })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Ok(Err(Problem::new(ProblemCode::PayloadTooLarge, "the body is larger than 1 MiB").response()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body.freeze()))
}

/// One item of the body, or every member of it that has the wrong shape (`prefix` names where
/// it is: `items[3].` in a batch).
fn item_of(value: Value, prefix: &str, gateway_on: bool) -> Result<Item, Vec<FieldProblem>> {
    let name = |member: &str| format!("{prefix}{member}");
    let Value::Object(object) = value else {
        let field = if prefix.is_empty() { "body".to_string() } else { prefix.trim_end_matches('.').to_string() };
        return Err(vec![FieldProblem::new(&field, FieldCode::WrongType, "must be a JSON object")]);
    };
    let mut new = NewInvitation::default();
    let mut phone = None;
    let mut problems = Vec::new();
    for (key, value) in object {
        if key == "phone" {
            match value {
                Value::Null => {}
                Value::String(_) if !gateway_on => problems.push(FieldProblem::new(
                    &name(&key),
                    FieldCode::Invalid,
                    "this server has no SMS/WhatsApp gateway configured (gateway_url): print or show the link instead",
                )),
                Value::String(text) => match Phone::parse(&text) {
                    Ok(number) => phone = Some(number),
                    Err(e) => problems.push(FieldProblem::new(&name(&key), FieldCode::Invalid, e.to_string())),
                },
                _ => problems.push(FieldProblem::new(&name(&key), FieldCode::WrongType, "must be a string")),
            }
            continue;
        }
        let slot = match key.as_str() {
            "reference" => &mut new.reference,
            "service" => &mut new.service,
            "counter" => &mut new.counter,
            "officer" => &mut new.officer,
            _ => {
                problems.push(FieldProblem::new(
                    &name(&key),
                    FieldCode::UnknownField,
                    "not a member of an invitation request (reference, service, counter, officer, phone)",
                ));
                continue;
            }
        };
        match value {
            Value::String(text) => *slot = Some(text),
            Value::Null if matches!(key.as_str(), "counter" | "officer") => {}
            _ => problems.push(FieldProblem::new(&name(&key), FieldCode::WrongType, "must be a string")),
        }
    }
    for (member, given) in [("reference", &new.reference), ("service", &new.service)] {
        if given.is_none() && !problems.iter().any(|p| p.field == name(member)) {
            let reason = match member {
                "reference" => "required: the transaction's reference in the unit's system (1 to 200 characters)",
                _ => "required: the slug of the service the transaction was for",
            };
            problems.push(FieldProblem::new(&name(member), FieldCode::Required, reason));
        }
    }
    if problems.is_empty() {
        Ok(Item { new, phone })
    } else {
        Err(problems)
    }
}

fn parse(body: &[u8]) -> Result<Value, Box<HttpResponse>> {
    serde_json::from_slice(body).map_err(|e| Box::new(Problem::new(ProblemCode::InvalidJson, e.to_string()).response()))
}

fn refused(fields: Vec<FieldProblem>) -> HttpResponse {
    Problem::fields(ProblemCode::Invalid, fields).response()
}

/// The service's refusal as the API says it.
fn refusal(error: InvitationError) -> Result<HttpResponse, WebError> {
    match error {
        InvitationError::Invalid { index, field, reason } => {
            let name = match index {
                Some(i) => format!("items[{i}].{}", field.name()),
                None => field.name().to_string(),
            };
            let code = match field {
                Field::Reference => FieldCode::OutOfRange,
                Field::Service | Field::Counter | Field::Officer => FieldCode::NotAChoice,
            };
            Ok(refused(vec![FieldProblem::new(&name, code, reason)]))
        }
        InvitationError::TooMany(n) => Ok(refused(vec![FieldProblem::new(
            "items",
            FieldCode::TooLong,
            format!("at most {BATCH_MAX} items in one batch, not {n}"),
        )])),
        InvitationError::Db(e) => Err(e.into()),
    }
}

/// `POST /api/v1/units/{slug}/invitations`
#[utoipa::path(
    post,
    path = "/api/v1/units/{slug}/invitations",
    operation_id = "createInvitation",
    tag = "invitations",
    summary = "A one-time survey link for one finished transaction",
    description = "For the unit's own service system (population registry, licensing, a hospital's queue…): \
        an API key with the `invitations` scope for the unit or a unit above it (`Authorization: Bearer \
        skm_live_…`); or a signed-in admin or head of the unit, sending the session's CSRF secret in \
        `X-CSRF-Token`. The same `reference` again returns the same invitation (200, `created: false`), \
        whatever service or counter the second request names; the reference is stored only as a keyed hash. \
        The link opens the unit's form with the service chosen and takes one response; it expires after the \
        deployment's `invitation_expiry_days` (14 by default).",
    params(("slug" = String, Path, description = "the unit's slug")),
    request_body(content = InvitationRequest, content_type = "application/json"),
    security(("api_key" = ["invitations"]), ("session" = [])),
    responses(
        (status = 201, description = "a new invitation", body = InvitationBody),
        (status = 200, description = "the reference's existing invitation", body = InvitationBody),
        (status = 400, description = "the body is not JSON (`invalid_json`)", body = Problem, content_type = PROBLEM),
        (status = 401, description = "neither a valid API key nor a session (`unauthorized`)", body = Problem,
            content_type = PROBLEM, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "the API key lacks the `invitations` scope, or a session's request lacks \
            its CSRF secret or comes from another site (`forbidden`)", body = Problem, content_type = PROBLEM),
        (status = 404, description = "no such unit, or one the key or user does not cover (`not_found`)",
            body = Problem, content_type = PROBLEM),
        (status = 413, description = "the body is over 1 MiB (`payload_too_large`)", body = Problem, content_type = PROBLEM),
        (status = 422, description = "refused fields (`invalid`): `reference` (1–200 characters), `service` \
            (not an active service of the unit), `counter`/`officer` (unknown or out of use), wrong types or \
            unknown members", body = Problem, content_type = PROBLEM),
        (status = 429, description = "too many requests with this API key (`rate_limited`)", body = Problem,
            content_type = PROBLEM, headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let unit = match authorize(&state, &req, slug.into_inner()).await? {
        Ok(unit) => unit,
        Err(reply) => return Ok(reply),
    };
    let body = match read_body(payload).await? {
        Ok(body) => body,
        Err(reply) => return Ok(reply),
    };
    let Item { new, phone } = match parse(&body).map(|value| item_of(value, "", state.gateway.is_some())) {
        Ok(Ok(item)) => item,
        Ok(Err(problems)) => return Ok(refused(problems)),
        Err(reply) => return Ok(*reply),
    };
    let now = chrono::Utc::now().naive_utc();
    let issued =
        blocking(&state, move |state, conn| -> Result<Result<(bool, InvitationBody), InvitationError>, WebError> {
            match invitations::issue(conn, &state.keys, &unit, &new, now, state.config.invitation_expiry_days) {
                Ok(issued) => {
                    let mut body = body_of(&state.config.base_url, &issued);
                    deliver(state, conn, phone, &mut body)?;
                    Ok(Ok((issued.created, body)))
                }
                Err(error) => Ok(Err(error)),
            }
        })
        .await?;
    match issued {
        Ok((created, body)) => {
            Ok(if created { HttpResponse::Created().json(body) } else { HttpResponse::Ok().json(body) })
        }
        Err(error) => refusal(error),
    }
}

/// `POST /api/v1/units/{slug}/invitations:batch`
#[utoipa::path(
    post,
    path = "/api/v1/units/{slug}/invitations:batch",
    operation_id = "createInvitations",
    tag = "invitations",
    summary = "Up to 1,000 one-time survey links in one request",
    description = "As `createInvitation`, for up to 1,000 items in one transaction: the reply lists the \
        invitations in the order of the items. One refused item refuses the whole batch, naming it \
        (`items[3].service`); nothing is stored then. More than 1,000 items are refused (`items`).",
    params(("slug" = String, Path, description = "the unit's slug")),
    request_body(content = BatchRequest, content_type = "application/json"),
    security(("api_key" = ["invitations"]), ("session" = [])),
    responses(
        (status = 200, description = "the invitations, in order (`created` says which are new)", body = BatchBody),
        (status = 400, description = "the body is not JSON (`invalid_json`)", body = Problem, content_type = PROBLEM),
        (status = 401, description = "neither a valid API key nor a session (`unauthorized`)", body = Problem,
            content_type = PROBLEM, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "the API key lacks the `invitations` scope, or a session's request lacks \
            its CSRF secret or comes from another site (`forbidden`)", body = Problem, content_type = PROBLEM),
        (status = 404, description = "no such unit, or one the key or user does not cover (`not_found`)",
            body = Problem, content_type = PROBLEM),
        (status = 413, description = "the body is over 1 MiB (`payload_too_large`)", body = Problem, content_type = PROBLEM),
        (status = 422, description = "refused fields (`invalid`), each named with its item: `items[3].service`; \
            `items` for more than 1,000", body = Problem, content_type = PROBLEM),
        (status = 429, description = "too many requests with this API key (`rate_limited`)", body = Problem,
            content_type = PROBLEM, headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 500, description = "a fault on the server (`internal`)", body = Problem, content_type = PROBLEM),
        (status = 503, description = "the database is not reachable (`unavailable`)", body = Problem, content_type = PROBLEM),
    )
)]
pub async fn create_batch(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let unit = match authorize(&state, &req, slug.into_inner()).await? {
        Ok(unit) => unit,
        Err(reply) => return Ok(reply),
    };
    let body = match read_body(payload).await? {
        Ok(body) => body,
        Err(reply) => return Ok(reply),
    };
    let value = match parse(&body) {
        Ok(value) => value,
        Err(reply) => return Ok(*reply),
    };
    let items = match value {
        Value::Object(mut object) => {
            let unknown: Vec<FieldProblem> = object
                .keys()
                .filter(|k| k.as_str() != "items")
                .map(|k| FieldProblem::new(k, FieldCode::UnknownField, "not a member of a batch (items)"))
                .collect();
            if !unknown.is_empty() {
                return Ok(refused(unknown));
            }
            match object.remove("items") {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    return Ok(refused(vec![FieldProblem::new("items", FieldCode::WrongType, "must be an array")]))
                }
                None => {
                    return Ok(refused(vec![FieldProblem::new(
                        "items",
                        FieldCode::Required,
                        "required: an array of 1 to 1000 invitation requests",
                    )]))
                }
            }
        }
        _ => return Ok(refused(vec![FieldProblem::new("body", FieldCode::WrongType, "must be a JSON object")])),
    };
    if items.len() > BATCH_MAX {
        return refusal(InvitationError::TooMany(items.len()));
    }
    let mut news = Vec::with_capacity(items.len());
    let mut phones = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item_of(item, &format!("items[{i}]."), state.gateway.is_some()) {
            Ok(Item { new, phone }) => {
                news.push(new);
                phones.push(phone);
            }
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        return Ok(refused(problems));
    }
    let now = chrono::Utc::now().naive_utc();
    let issued =
        blocking(&state, move |state, conn| -> Result<Result<Vec<InvitationBody>, InvitationError>, WebError> {
            let issued = match invitations::issue_batch(
                conn,
                &state.keys,
                &unit,
                &news,
                now,
                state.config.invitation_expiry_days,
            ) {
                Ok(issued) => issued,
                Err(error) => return Ok(Err(error)),
            };
            let mut bodies = Vec::with_capacity(issued.len());
            for (issued, phone) in issued.iter().zip(phones) {
                let mut body = body_of(&state.config.base_url, issued);
                deliver(state, conn, phone, &mut body)?;
                bodies.push(body);
            }
            Ok(Ok(bodies))
        })
        .await?;
    match issued {
        Ok(items) => Ok(HttpResponse::Ok().json(BatchBody { items })),
        Err(error) => refusal(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_name_each_wrong_member_with_its_place() {
        let problems =
            item_of(serde_json::json!({"reference": 7, "layanan": "x"}), "items[2].", false).expect_err("refused");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["items[2].layanan", "items[2].reference", "items[2].service"]);
        let ok = item_of(serde_json::json!({"reference": "A-1", "service": "ktp-el", "counter": null}), "", false)
            .expect("valid");
        assert_eq!(ok.new.reference.as_deref(), Some("A-1"));
        assert_eq!(ok.new.counter, None);
        assert!(ok.phone.is_none());
    }

    #[test]
    fn a_phone_is_refused_without_a_gateway_and_checked_with_one() {
        let item = serde_json::json!({"reference": "A-1", "service": "ktp-el", "phone": "0812-3456-7890"});
        let refused = item_of(item.clone(), "", false).expect_err("no gateway");
        assert_eq!(refused[0].field, "phone");
        let sent = item_of(item, "", true).expect("a mobile number");
        assert_eq!(sent.phone.map(|p| p.e164().to_string()).as_deref(), Some("+6281234567890"));
        let landline = serde_json::json!({"reference": "A-1", "service": "ktp-el", "phone": "0541-123456"});
        let refused = item_of(landline, "items[0].", true).expect_err("a landline");
        assert_eq!(refused[0].field, "items[0].phone");
    }
}
