//! The public survey: `/s/{unit}` (and `/s/{unit}/kiosk`), its submission and thank-you page.

use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::pages::{form_page, html, FormSpec, MessagePage};
use super::rate_limit::RateLimit;
use super::AppState;
use crate::db::responses::RateGuard;
use crate::domain::names::Channel;
use crate::domain::period::local_date;
use crate::domain::template::Template;
use crate::security::form_token::{FormToken, TokenProblem};
use crate::survey::{self, Form, Message, Outcome, Submission, SERVICE_FIELD};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct FormQuery {
    layanan: Option<String>,
    lang: Option<String>,
}

fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

fn base_path(slug: &str, channel: Channel) -> String {
    match channel {
        Channel::Kiosk => format!("/s/{slug}/kiosk"),
        _ => format!("/s/{slug}"),
    }
}

pub fn not_found_page(tr: Tr) -> Result<HttpResponse, WebError> {
    html(StatusCode::NOT_FOUND, &MessagePage::new(tr, "notfound.title", "notfound.text"))
}

async fn load_form(state: &web::Data<AppState>, slug: String) -> Result<Option<Form>, WebError> {
    let state = state.clone();
    Ok(web::block(move || {
        let mut conn = state.pool.get()?;
        survey::form_for_unit(&mut conn, &state.templates, &slug)
    })
    .await??)
}

struct Render<'a> {
    form: &'a Form,
    template: &'a crate::domain::template::Template,
    channel: Channel,
    tr: Tr,
    values: &'a BTreeMap<String, String>,
    messages: &'a [Message],
    token: String,
}

fn render(r: Render, status: StatusCode) -> Result<HttpResponse, WebError> {
    let path = base_path(&r.form.unit.slug, r.channel);
    let page = form_page(FormSpec {
        form: r.form,
        template: r.template,
        tr: r.tr,
        values: r.values,
        messages: r.messages,
        token: r.token,
        csrf: String::new(),
        notice: None,
        switch_href: format!("{path}?lang={}", r.tr.other_code()),
        action: path,
        kiosk: r.channel == Channel::Kiosk,
        ask_ticket: r.form.unit.ticket_mode,
        date_label: None,
    });
    html(status, &page)
}

/// The kiosk routes are the same pages under `/s/{slug}/kiosk`: the route decides the channel.
fn channel_of(req: &HttpRequest) -> Channel {
    if req.match_pattern().is_some_and(|p| p.contains("/kiosk")) {
        Channel::Kiosk
    } else {
        Channel::Web
    }
}

/// `GET /s/{slug}` and `/s/{slug}/kiosk`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<FormQuery>,
) -> Result<HttpResponse, WebError> {
    let (slug, query, channel) = (slug.into_inner(), query.into_inner(), channel_of(&req));
    let tr = Tr::new(negotiate(query.lang.as_deref(), accept_language(&req)));
    let Some(form) = load_form(&state, slug).await? else {
        return not_found_page(tr);
    };
    let token =
        FormToken::issue(form.unit.id, form.version_id, channel.as_str(), chrono::Utc::now()).sign(state.keys.form());
    let mut values = BTreeMap::new();
    if let Some(service) = query.layanan {
        values.insert(SERVICE_FIELD.to_string(), service);
    }
    let template = form.template.clone();
    render(
        Render { form: &form, template: &template, channel, tr, values: &values, messages: &[], token },
        StatusCode::OK,
    )
}

/// What a submission carrying a one-time token (form or API) came to.
pub enum Public {
    /// over the client's limit: wait this long
    RateLimited(std::time::Duration),
    UnknownUnit,
    BadToken {
        form: Form,
        problem: TokenProblem,
    },
    Done {
        form: Form,
        template: Arc<Template>,
        outcome: Outcome,
    },
}

/// Blocking: the unit's form, the token's check, validation and the write, for the public form
/// and the JSON API alike. A post counts against the client's limit in the response's own
/// transaction when it is stored, and in a statement of its own when it is not (invalid,
/// replayed, unknown unit); one refused for the limit is rolled back with its count, which
/// stays at the limit, so the next is refused too. On this path the count is part of the
/// write: a database that cannot count cannot store either.
pub fn submit_public(
    state: &AppState,
    slug: &str,
    channel: Channel,
    fields: &BTreeMap<String, String>,
    client_hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Public, WebError> {
    let mut conn = state.pool.get().map_err(crate::db::DbError::from)?;
    let key = RateLimit::submit_key(&client_hash);
    let window = RateLimit::window_of(now);
    let rate = RateGuard { key: &key, window_start: window, limit: state.limiter.limit() };
    let public = store_public(state, &mut conn, slug, channel, fields, client_hash, now, rate)?;
    match public {
        Public::Done { outcome: Outcome::Stored { .. }, .. } => {
            state.limiter.forget_now_and_then(&mut conn, window);
            Ok(public)
        }
        Public::Done { outcome: Outcome::RateLimited, .. } => Ok(Public::RateLimited(RateLimit::wait(window, now))),
        _ => match state.limiter.count(&mut conn, &key, now) {
            Ok(()) => Ok(public),
            Err(wait) => Ok(Public::RateLimited(wait)),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn store_public(
    state: &AppState,
    conn: &mut crate::db::DbConnection,
    slug: &str,
    channel: Channel,
    fields: &BTreeMap<String, String>,
    client_hash: String,
    now: chrono::DateTime<chrono::Utc>,
    rate: RateGuard,
) -> Result<Public, WebError> {
    let Some(form) = survey::form_for_unit(conn, &state.templates, slug)? else {
        return Ok(Public::UnknownUnit);
    };
    let max_age = chrono::Duration::minutes(i64::from(state.config.form_token_minutes));
    let token_text = fields.get("token").map(String::as_str).unwrap_or_default();
    let token = match FormToken::verify(token_text, state.keys.form(), now, max_age, form.unit.id, channel.as_str()) {
        Ok(token) => token,
        Err(problem) => return Ok(Public::BadToken { form, problem }),
    };
    let template = state.templates.get(conn, token.template_version_id)?;
    let outcome = survey::submit(
        conn,
        &Submission {
            form: &form,
            template: template.clone(),
            version_id: token.template_version_id,
            channel,
            fields,
            survey_date: local_date(now, state.config.timezone),
            client_hash: Some(client_hash),
            now,
            token: Some(&token),
            rate_limit: Some(rate),
        },
        (state.config.burst_threshold, state.config.burst_window_minutes),
    )?;
    Ok(Public::Done { form, template, outcome })
}

/// The 429 page, with the wait in `Retry-After`.
fn rate_limited_page(tr: Tr, wait: std::time::Duration) -> Result<HttpResponse, WebError> {
    let mut page = html(StatusCode::TOO_MANY_REQUESTS, &MessagePage::new(tr, "ratelimit.title", "ratelimit.text"))?;
    if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        page.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(page)
}

/// What the blocking part of a submission decided.
enum Decision {
    RateLimited(std::time::Duration),
    UnknownUnit,
    Stored,
    Replayed(Form),
    Rejected {
        form: Form,
        template: std::sync::Arc<crate::domain::template::Template>,
        messages: Vec<Message>,
        token: String,
    },
}

/// `POST /s/{slug}` and `/s/{slug}/kiosk`
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (slug, channel) = (slug.into_inner(), channel_of(&req));
    let fields: BTreeMap<String, String> = body.into_inner().into_iter().collect();
    let tr = Tr::new(negotiate(fields.get("lang").map(String::as_str), accept_language(&req)));
    let ip = super::client_ip(&req, &state.config);
    let client_hash = state.keys.client_hash(&ip);
    let key = RateLimit::submit_key(&client_hash);
    let thanks = format!("{}/terima-kasih?lang={}", base_path(&slug, channel), tr.code());
    if fields.get("website").is_some_and(|v| !v.trim().is_empty()) {
        // A bot filled the honeypot: it sees success (within its limit), nothing is stored.
        if let Err(wait) = state.limiter.check(&state.pool, key).await {
            return rate_limited_page(tr, wait);
        }
        tracing::info!(slug, "honeypot submission ignored");
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, thanks)).finish());
    }
    // A flood from one client stops here, before it costs a database write; the shared count
    // happens with the submission.
    if let Err(wait) = state.limiter.check_local(&key) {
        return rate_limited_page(tr, wait);
    }

    let now = chrono::Utc::now();
    let submitted = fields.clone();
    let worker = state.clone();
    let public = web::block(move || submit_public(&worker, &slug, channel, &fields, client_hash, now)).await??;
    let decision = match public {
        Public::RateLimited(wait) => Decision::RateLimited(wait),
        Public::Done { outcome: Outcome::RateLimited, .. } => {
            Decision::RateLimited(RateLimit::wait(RateLimit::window_of(now), now))
        }
        Public::UnknownUnit => Decision::UnknownUnit,
        Public::BadToken { form, problem } => {
            // a fresh token, so the citizen can simply send again
            let token = FormToken::issue(form.unit.id, form.version_id, channel.as_str(), now).sign(state.keys.form());
            let template = form.template.clone();
            Decision::Rejected { form, template, messages: vec![survey::token_message(problem)], token }
        }
        Public::Done { outcome: Outcome::Stored { .. }, .. } => Decision::Stored,
        Public::Done { form, outcome: Outcome::Replayed, .. } => Decision::Replayed(form),
        Public::Done { form, template, outcome: Outcome::Rejected(messages) } => {
            let token = submitted.get("token").cloned().unwrap_or_default();
            Decision::Rejected { form, template, messages, token }
        }
    };

    match decision {
        Decision::RateLimited(wait) => rate_limited_page(tr, wait),
        Decision::UnknownUnit => not_found_page(tr),
        Decision::Stored => {
            state.metrics.submitted(channel.as_str(), 1);
            Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, thanks)).finish())
        }
        Decision::Replayed(form) => {
            let mut page = MessagePage::new(tr, "replay.title", "replay.text")
                .link(format!("{}?lang={}", base_path(&form.unit.slug, channel), tr.code()), "replay.again");
            page.unit_name = form.unit.name;
            page.kiosk = channel == Channel::Kiosk;
            html(StatusCode::CONFLICT, &page)
        }
        Decision::Rejected { form, template, messages, token } => {
            // The citizen's answers go back into the form, each message next to its field.
            let render_args = Render {
                form: &form,
                template: &template,
                channel,
                tr,
                values: &submitted,
                messages: &messages,
                token,
            };
            render(render_args, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// `GET /s/{slug}/terima-kasih` and `/s/{slug}/kiosk/terima-kasih`
pub async fn thanks(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<FormQuery>,
) -> Result<HttpResponse, WebError> {
    let (slug, query, channel) = (slug.into_inner(), query.into_inner(), channel_of(&req));
    let tr = Tr::new(negotiate(query.lang.as_deref(), accept_language(&req)));
    let Some(form) = load_form(&state, slug).await? else {
        return not_found_page(tr);
    };
    let mut page = MessagePage::new(tr, "thanks.title", "thanks.text")
        .link(format!("{}?lang={}", base_path(&form.unit.slug, channel), tr.code()), "thanks.again");
    page.unit_name = form.unit.name;
    if channel == Channel::Kiosk {
        page.kiosk = true;
        page.refresh = Some(state.config.kiosk_reset_seconds);
    }
    html(StatusCode::OK, &page)
}
