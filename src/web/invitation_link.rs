//! A survey invitation's short link, `/u/{code}` (issue 19, point 2): the unit's form with the
//! invitation's service chosen and its counter and officer signed into the form's token with the
//! invitation itself; its QR for the receipt (`/u/{code}/qr.svg`, `.png`). The code is the only
//! credential: a typo, an expired or a used invitation each get their own page, never a 500.

use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::pages::{form_page, html, FormSpec, MessagePage};
use super::{blocking, see_other, AppState};
use crate::domain::invitation::Code;
use crate::domain::names::Channel;
use crate::invitations::{self, Opened};
use crate::rate_limit::RateLimit;
use crate::reports::invitation_qr;
use crate::security::form_token::{Desk, FormToken};
use crate::survey::public::{PublicPost, TOKEN_FIELD};
use crate::survey::{self, Form, Message, Outcome, SERVICE_FIELD};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct LinkQuery {
    lang: Option<String>,
}

fn language(req: &HttpRequest, explicit: Option<&str>) -> Tr {
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Tr::new(negotiate(explicit, accept))
}

/// The link's own address, with the code as it is stored (so a typed lower-case code posts to
/// the canonical one).
fn path_of(code: &str) -> String {
    match Code::parse(code) {
        Ok(code) => format!("/u/{code}"),
        Err(_) => "/u/".to_string(),
    }
}

fn unknown_page(tr: Tr) -> Result<HttpResponse, WebError> {
    html(StatusCode::NOT_FOUND, &MessagePage::new(tr, "survey_invite.unknown.title", "survey_invite.unknown.text"))
}

fn gone_page(tr: Tr, unit_name: String, title: &str, text: &str) -> Result<HttpResponse, WebError> {
    let mut page = MessagePage::new(tr, title, text);
    page.unit_name = unit_name;
    html(StatusCode::GONE, &page)
}

struct Render<'a> {
    form: &'a Form,
    template: &'a crate::domain::template::Template,
    tr: Tr,
    code: &'a str,
    values: &'a BTreeMap<String, String>,
    messages: &'a [Message],
    token: String,
    notice: Option<String>,
}

fn render(r: Render, status: StatusCode) -> Result<HttpResponse, WebError> {
    let action = path_of(r.code);
    let page = form_page(FormSpec {
        form: r.form,
        template: r.template,
        tr: r.tr,
        values: r.values,
        messages: r.messages,
        token: r.token,
        csrf: String::new(),
        notice: r.notice,
        switch_href: format!("{action}?lang={}", r.tr.other_code()),
        action,
        kiosk: false,
        // the invitation is itself the one-time proof of a transaction
        ask_ticket: false,
        date_label: None,
    });
    let mut response = html(status, &page)?;
    // the page carries a one-time token: never from a cache
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /u/{code}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, WebError> {
    let code = code.into_inner();
    let tr = language(&req, query.lang.as_deref());
    let now = chrono::Utc::now();
    let typed = code.clone();
    let opened = blocking(&state, move |state, conn| -> Result<(Opened, Option<Form>), WebError> {
        let opened = invitations::open(conn, &typed, now.naive_utc())?;
        let form = match &opened {
            Opened::Open { unit, .. } => survey::form_for_unit(conn, &state.templates, &unit.slug)?,
            _ => None,
        };
        Ok((opened, form))
    })
    .await?;
    let (invitation, service, counter, form) = match opened {
        (Opened::Unknown, _) => return unknown_page(tr),
        (Opened::Expired { unit }, _) => {
            return gone_page(tr, unit.name, "survey_invite.expired.title", "survey_invite.expired.text");
        }
        (Opened::Spent { unit }, _) => {
            return gone_page(tr, unit.name, "survey_invite.used.title", "survey_invite.used.text")
        }
        (Opened::Open { invitation, service, counter, .. }, Some(form)) => (invitation, service, counter, form),
        (Opened::Open { .. }, None) => return unknown_page(tr),
    };
    if !form.unit.active {
        let mut page = MessagePage::new(tr, "closed.title", "closed.text");
        page.unit_name = form.unit.name.clone();
        return html(StatusCode::OK, &page);
    }
    let desk = Desk { counter_id: invitation.counter_id, officer_id: invitation.officer_id, via_unit_id: None };
    let token = FormToken::issue(form.unit.id, form.version_id, Channel::Web.as_str(), now)
        .at_desk(desk)
        .for_invitation(invitation.id)
        .sign(state.keys.form());
    let mut values = BTreeMap::new();
    let notice = match (&service, &counter) {
        (Some(service), Some(counter)) => Some(tr.fill(
            "survey_invite.form.service_counter",
            &[("service", service.name.clone()), ("counter", counter.name.clone())],
        )),
        (Some(service), None) => Some(tr.fill("survey_invite.form.service", &[("service", service.name.clone())])),
        (None, _) => Some(tr.t("survey_invite.form.general").to_string()),
    };
    if let Some(service) = service {
        values.insert(SERVICE_FIELD.to_string(), service.slug);
    }
    let template = form.template.clone();
    let r = Render { form: &form, template: &template, tr, code: &code, values: &values, messages: &[], token, notice };
    render(r, StatusCode::OK)
}

/// `POST /u/{code}`
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let code = code.into_inner();
    let fields: BTreeMap<String, String> = body.into_inner().into_iter().collect();
    let tr = language(&req, fields.get("lang").map(String::as_str));
    let ip = super::client_ip(&req, &state.config);
    let client_hash = state.keys.client_hash(&ip);
    if let Err(wait) = state.limiter.check_local(&RateLimit::submit_key(&client_hash)) {
        return too_many(tr, wait);
    }
    let now = chrono::Utc::now();
    let (submitted, typed) = (fields.clone(), code.clone());
    let outcome = blocking(&state, move |state, conn| {
        let post = PublicPost { slug: "", channel: Channel::Web, fields: &fields, client_hash, now };
        survey::public::submit_invitation(conn, &state.gate(), &typed, post)
    })
    .await?;
    let again = |form: &Form, status: StatusCode, messages: &[Message], token: String, notice: Option<String>| {
        let template = form.template.clone();
        let r = Render { form, template: &template, tr, code: &code, values: &submitted, messages, token, notice };
        render(r, status)
    };
    let token = submitted.get(TOKEN_FIELD).cloned().unwrap_or_default();
    match outcome {
        Outcome::Stored { .. } => {
            state.metrics.submitted(Channel::Web.as_str(), 1);
            let slug = invitation_unit_slug(&state, &code).await?;
            Ok(see_other(format!("/s/{slug}/terima-kasih?lang={}", tr.code())))
        }
        // already answered through this invitation: the answers stay on the page, nothing is
        // stored twice
        Outcome::Replayed { form } => {
            again(&form, StatusCode::CONFLICT, &[], token, Some(tr.t("survey_invite.used.notice").to_string()))
        }
        Outcome::Rejected(rejection) => {
            let token = rejection.new_token.clone().unwrap_or(token);
            let template = rejection.template.clone();
            let r = Render {
                form: &rejection.form,
                template: &template,
                tr,
                code: &code,
                values: &submitted,
                messages: &rejection.messages,
                token,
                notice: None,
            };
            render(r, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Outcome::RateLimited { wait } => too_many(tr, wait),
        Outcome::UnknownUnit => unknown_page(tr),
        Outcome::Closed { form } => {
            let mut page = MessagePage::new(tr, "closed.title", "closed.text");
            page.unit_name = form.unit.name;
            html(StatusCode::CONFLICT, &page)
        }
        Outcome::DeviceRevoked => Err(WebError::Internal("a form post answered as a device upload".into())),
    }
}

async fn invitation_unit_slug(state: &web::Data<AppState>, code: &str) -> Result<String, WebError> {
    let code = code.to_string();
    blocking(state, move |_, conn| -> Result<String, WebError> {
        let invitation = invitations::find(conn, &code)?.ok_or(WebError::NotFound)?;
        Ok(crate::db::units::by_id(conn, invitation.unit_id)?.slug)
    })
    .await
}

fn too_many(tr: Tr, wait: std::time::Duration) -> Result<HttpResponse, WebError> {
    let mut page = html(StatusCode::TOO_MANY_REQUESTS, &MessagePage::new(tr, "ratelimit.title", "ratelimit.text"))?;
    super::throttle::retry_after(&mut page, wait);
    Ok(page)
}

/// `GET /u/{code}/qr.svg` and `/u/{code}/qr.png`: the link as a QR code for the receipt. Only
/// for a code that exists (a used or expired one still prints: its page explains). Cached for a
/// day by the client only: the code is the secret, so no shared cache keeps it.
pub async fn qr(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let png = req.path().ends_with(".png");
    let typed = code.into_inner();
    let known = blocking(&state, move |_, conn| invitations::find(conn, &typed)).await?.map(|i| i.code);
    let Some(code) = known else { return Err(WebError::NotFound) };
    let url = format!("{}/u/{code}", state.config.base_url.trim_end_matches('/'));
    let (content_type, body) = if png {
        ("image/png", invitation_qr::png(&url).map_err(|e| WebError::Internal(e.to_string()))?)
    } else {
        ("image/svg+xml", invitation_qr::svg(&url).map_err(|e| WebError::Internal(e.to_string()))?.into_bytes())
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .body(body))
}
