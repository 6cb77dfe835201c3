//! JSON API for kiosk apps and integrations: fetch a unit's form (with its one-time token) and
//! submit a response. Every rejection names the field and the reason.

use super::access::UnitReader;
use super::error::WebError;
use super::i18n::Tr;
use super::{blocking, throttle, AppState};
use crate::domain::names::Channel;
use crate::domain::template::{Lang, ProfileKind};
use crate::rate_limit::RateLimit;
use crate::security::form_token::FormToken;
use crate::survey::public::PublicPost;
use crate::survey::{self, Message, Outcome, SARAN_FIELD, SERVICE_FIELD, TICKET_FIELD};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct FieldProblem {
    field: String,
    code: &'static str,
    reason: String,
}

fn problems(messages: &[Message]) -> Vec<FieldProblem> {
    let tr = Tr::new(Lang::En);
    messages
        .iter()
        .map(|m| FieldProblem {
            field: match m.field.as_deref() {
                None => "token".into(),
                Some(f @ (SERVICE_FIELD | TICKET_FIELD | SARAN_FIELD)) => f.to_string(),
                // element codes start upper-case; profile codes are lower-case (checked when loading)
                Some(f) if f.starts_with(|c: char| c.is_ascii_uppercase()) => format!("answers.{f}"),
                Some(f) => format!("profile.{f}"),
            },
            code: m.key,
            reason: tr.fill(m.key, &m.args),
        })
        .collect()
}

fn invalid(fields: Vec<FieldProblem>) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(json!({ "error": "invalid", "fields": fields }))
}

fn problem(field: &str, reason: impl Into<String>) -> FieldProblem {
    FieldProblem { field: field.into(), code: "invalid", reason: reason.into() }
}

fn one(field: &str, reason: impl Into<String>) -> HttpResponse {
    invalid(vec![problem(field, reason)])
}

/// `GET /api/v1/units/{slug}/form`
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
    let profile: Vec<Value> = t
        .profile
        .iter()
        .map(|p| match &p.kind {
            ProfileKind::Choice(options) => json!({
                "code": p.code, "label": p.label, "kind": "choice",
                "options": options.iter().map(|o| json!({"code": o.code, "label": o.label})).collect::<Vec<_>>(),
            }),
            ProfileKind::Number { min, max } => {
                json!({"code": p.code, "label": p.label, "kind": "number", "min": min, "max": max})
            }
        })
        .collect();
    Ok(HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(json!({
        "unit": {"slug": form.unit.slug, "name": form.unit.name},
        "services": form.services.iter().map(|s| json!({"slug": s.slug, "name": s.name})).collect::<Vec<_>>(),
        "ticket_required": form.unit.ticket_mode,
        "token": token,
        "template": {
            "id": t.id, "version": t.version, "title": t.title,
            "scale": {"min": t.scale_min, "max": t.scale_max},
            "elements": t.elements.iter().map(|e| json!({
                "code": e.code, "name": e.name, "question": e.question,
                "answers": e.answers.iter().map(|a| json!({"score": a.score, "label": a.label})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "profile": profile,
            "saran_max_chars": t.saran_max_chars,
        },
    })))
}

/// Turns the JSON body into form fields, or names the first field that has the wrong shape.
fn fields_of(body: Map<String, Value>) -> Result<BTreeMap<String, String>, FieldProblem> {
    let mut fields = BTreeMap::new();
    for (key, value) in body {
        match (key.as_str(), value) {
            ("token" | "layanan" | "tiket" | "saran", Value::String(s)) => {
                fields.insert(key, s);
            }
            ("layanan" | "tiket" | "saran", Value::Null) => {}
            ("token" | "layanan" | "tiket" | "saran", _) => return Err(problem(&key, "must be a string")),
            ("answers", Value::Object(answers)) => {
                for (code, score) in answers {
                    match score {
                        Value::Number(n) if n.as_u64().is_some() => {
                            fields.insert(code, n.to_string());
                        }
                        _ => {
                            return Err(problem(
                                &format!("answers.{code}"),
                                "must be a whole number on the template's scale",
                            ))
                        }
                    }
                }
            }
            ("answers", _) => return Err(problem("answers", "must be an object of element code to score")),
            ("profile", Value::Object(profile)) => {
                for (code, value) in profile {
                    match value {
                        Value::String(s) => {
                            fields.insert(code, s);
                        }
                        Value::Number(n) => {
                            fields.insert(code, n.to_string());
                        }
                        Value::Null => {}
                        _ => return Err(problem(&format!("profile.{code}"), "must be a string or a number")),
                    }
                }
            }
            ("profile", _) => return Err(problem("profile", "must be an object of profile field to value")),
            _ => return Err(problem(&key, "unknown field")),
        }
    }
    Ok(fields)
}

/// The submission's fields from its JSON body, or the 400 that says what is wrong with it.
fn parse_submission(body: &[u8]) -> Result<BTreeMap<String, String>, Box<HttpResponse>> {
    let parsed: Value = serde_json::from_slice(body).map_err(|e| {
        Box::new(HttpResponse::BadRequest().json(json!({"error": "invalid_json", "reason": e.to_string()})))
    })?;
    let Value::Object(object) = parsed else {
        return Err(Box::new(one("body", "must be a JSON object")));
    };
    let fields = fields_of(object).map_err(|problem| Box::new(invalid(vec![problem])))?;
    if !fields.contains_key("token") {
        return Err(Box::new(one("token", "required: fetch it from GET /api/v1/units/{slug}/form")));
    }
    Ok(fields)
}

/// `POST /api/v1/units/{slug}/responses`
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let ip = super::client_ip(&req, &state.config);
    let client_hash = state.keys.client_hash(&ip);
    // The shared count happens with the submission; this instance's limiter sheds floods first,
    // and a body refused before it reaches the database is counted on its own.
    let key = RateLimit::submit_key(&client_hash);
    if let Err(wait) = state.limiter.check_local(&key) {
        return Ok(rate_limited(wait));
    }
    let fields = match parse_submission(&body) {
        Ok(fields) => fields,
        Err(reply) => {
            return Ok(match throttle::check_shared(&state, key).await {
                Ok(()) => *reply,
                Err(wait) => rate_limited(wait),
            })
        }
    };
    let now = chrono::Utc::now();
    let slug = slug.into_inner();
    let outcome = blocking(&state, move |state, conn| {
        let post = PublicPost { slug: &slug, channel: Channel::Web, fields: &fields, client_hash, now };
        survey::public::submit_public(conn, &state.gate(), post)
    })
    .await?;
    Ok(match outcome {
        Outcome::Stored { id, flagged } => {
            state.metrics.submitted(Channel::Web.as_str(), 1);
            HttpResponse::Created().json(json!({"id": id.to_string(), "flagged": flagged}))
        }
        Outcome::Replayed { .. } => HttpResponse::Conflict()
            .json(json!({"error": "replayed", "field": "token", "reason": "this token was already used"})),
        Outcome::Rejected(rejection) => invalid(problems(&rejection.messages)),
        Outcome::RateLimited { wait } => rate_limited(wait),
        Outcome::UnknownUnit => return Err(WebError::NotFound),
        Outcome::Closed { .. } => closed(),
    })
}

/// A unit whose survey an admin closed: no form, no submissions.
fn closed() -> HttpResponse {
    HttpResponse::Conflict().json(json!({"error": "closed", "reason": "this unit's survey is closed"}))
}

fn rate_limited(wait: std::time::Duration) -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header(("retry-after", wait.as_secs().max(1).to_string()))
        .json(json!({"error": "rate_limited", "reason": "too many submissions from this client; retry later"}))
}

#[derive(serde::Deserialize)]
pub struct IndexQuery {
    period: Option<String>,
    sub: Option<String>,
    layanan: Option<String>,
}

/// `GET /api/v1/units/{slug}/index?period=…[&sub=1][&layanan=…]`: the aggregator's result for a
/// unit the signed-in user may read.
pub async fn index(
    state: web::Data<AppState>,
    UnitReader { unit, .. }: UnitReader,
    query: web::Query<IndexQuery>,
) -> Result<HttpResponse, WebError> {
    let period: crate::domain::period::Period = match query.period.as_deref() {
        Some(text) => text.parse().map_err(|e: crate::domain::period::PeriodError| WebError::Invalid {
            field: "period".into(),
            reason: e.to_string(),
        })?,
        None => return Err(WebError::Invalid { field: "period".into(), reason: "required, e.g. 2026-10".into() }),
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
    .await?
    .ok_or_else(|| WebError::Invalid { field: "layanan".into(), reason: "not a service of this unit".into() })?;
    let summary = crate::reports::summary::summarize(&report.template, &report.result);
    Ok(HttpResponse::Ok().json(json!({
        "unit": {"slug": report.unit.slug, "name": report.unit.name},
        "period": period.to_string(),
        "period_label": period.label_id(),
        "with_subunits": with_subunits,
        "population": report.population,
        "required_sample": report.required_sample,
        "previous_nik": report.previous.index.map(|v| v.to_f64()),
        "change": report.change.map(|v| v.to_f64()),
        "index": summary,
    })))
}
