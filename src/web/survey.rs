//! The public survey: `/s/{unit}` (and `/s/{unit}/kiosk`), its submission and thank-you page.

use super::error::{self, WebError};
use super::i18n::{negotiate, Tr};
use super::pages::{form_page, html, DeskCodes, FormSpec, MessagePage};
use super::{blocking, see_other, throttle, AppState};
use crate::domain::names::Channel;
use crate::rate_limit::RateLimit;
use crate::security::form_token::Desk;
use crate::security::form_token::FormToken;
use crate::survey::public::{PublicPost, TOKEN_FIELD};
use crate::survey::{self, Form, Message, Outcome, SERVICE_FIELD};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct FormQuery {
    layanan: Option<String>,
    lang: Option<String>,
    /// the counter (loket) a counter's QR or a kiosk at a counter opens the form for
    loket: Option<String>,
    /// the officer (petugas) at that counter's desk
    petugas: Option<String>,
}

fn desk_codes(query: &FormQuery) -> DeskCodes {
    DeskCodes::of(query.loket.as_deref(), query.petugas.as_deref())
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

/// A closed unit's form: a polite page instead of the questions (the unit's data stays).
fn closed_page(form: &Form, channel: Channel, tr: Tr, status: StatusCode) -> Result<HttpResponse, WebError> {
    let mut page = MessagePage::new(tr, "closed.title", "closed.text");
    page.unit_name = form.unit.name.clone();
    page.kiosk = channel == Channel::Kiosk;
    html(status, &page)
}

/// The unit's form: as read recently when it was (no database round trip), else read now.
async fn load_form(state: &web::Data<AppState>, slug: String) -> Result<Option<Form>, WebError> {
    if let Some(form) = state.forms.fresh(&slug) {
        return Ok(Some(form));
    }
    blocking(state, move |state, conn| state.forms.load(conn, &state.templates, &slug)).await
}

struct Render<'a> {
    form: &'a Form,
    template: &'a crate::domain::template::Template,
    channel: Channel,
    tr: Tr,
    values: &'a BTreeMap<String, String>,
    messages: &'a [Message],
    token: String,
    notice: Option<String>,
    desk: &'a DeskCodes,
}

fn render(r: Render, status: StatusCode) -> Result<HttpResponse, WebError> {
    let path = r.desk.on(&base_path(&r.form.unit.slug, r.channel));
    let page = form_page(FormSpec {
        form: r.form,
        template: r.template,
        tr: r.tr,
        values: r.values,
        messages: r.messages,
        token: r.token,
        csrf: String::new(),
        notice: r.notice,
        switch_href: format!("{path}{}lang={}", if path.contains('?') { '&' } else { '?' }, r.tr.other_code()),
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
    let Some(form) = load_form(&state, slug.clone()).await? else {
        return not_found_page(tr);
    };
    if !form.unit.active {
        return closed_page(&form, channel, tr, StatusCode::OK);
    }
    if crate::survey::mpp::is_hall(&form.unit) {
        return super::mpp::chooser(&state, form.unit, channel, tr).await;
    }
    let mut codes = desk_codes(&query);
    let desk = if codes.loket.is_some() || codes.petugas.is_some() {
        let (unit_id, asked) = (form.unit.id, codes.clone());
        blocking(&state, move |_, conn| {
            survey::resolve_desk(conn, unit_id, asked.loket.as_deref(), asked.petugas.as_deref())
        })
        .await?
    } else {
        Desk::default()
    };
    // an unknown or retired code is dropped: the citizen answers all the same, without a counter
    if desk.counter_id.is_none() {
        codes.loket = None;
    }
    if desk.officer_id.is_none() {
        codes.petugas = None;
    }
    let token = FormToken::issue(form.unit.id, form.version_id, channel.as_str(), chrono::Utc::now())
        .at_desk(desk)
        .sign(state.keys.form());
    let mut values = BTreeMap::new();
    if let Some(service) = query.layanan {
        values.insert(SERVICE_FIELD.to_string(), service);
    }
    let template = form.template.clone();
    render(
        Render {
            form: &form,
            template: &template,
            channel,
            tr,
            values: &values,
            messages: &[],
            token,
            notice: None,
            desk: &codes,
        },
        StatusCode::OK,
    )
}

/// The 429 page, with the wait in `Retry-After`.
fn rate_limited_page(tr: Tr, wait: std::time::Duration) -> Result<HttpResponse, WebError> {
    let mut page = html(StatusCode::TOO_MANY_REQUESTS, &MessagePage::new(tr, "ratelimit.title", "ratelimit.text"))?;
    if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        page.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(page)
}

/// `POST /s/{slug}` and `/s/{slug}/kiosk`
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<FormQuery>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (slug, channel) = (slug.into_inner(), channel_of(&req));
    let codes = desk_codes(&query);
    let fields: BTreeMap<String, String> = body.into_inner().into_iter().collect();
    let tr = Tr::new(negotiate(fields.get("lang").map(String::as_str), accept_language(&req)));
    let ip = super::client_ip(&req, &state.config);
    let client_hash = state.keys.client_hash(&ip);
    let key = RateLimit::submit_key(&client_hash);
    let thanks = codes.on(&format!("{}/terima-kasih?lang={}", base_path(&slug, channel), tr.code()));
    if fields.get("website").is_some_and(|v| !v.trim().is_empty()) {
        // A bot filled the honeypot: it sees success (within its limit), nothing is stored.
        if let Err(wait) = throttle::check(&state, key).await {
            return rate_limited_page(tr, wait);
        }
        tracing::info!(slug, "honeypot submission ignored");
        return Ok(see_other(thanks));
    }
    // A flood from one client stops here, before it costs a database write; the shared count
    // happens with the submission.
    if let Err(wait) = state.limiter.check_local(&key) {
        return rate_limited_form(&state, &slug, channel, tr, &fields, &codes, wait).await;
    }

    let submitted = fields.clone();
    let outcome = match outcome_of(&state, slug.clone(), channel, fields, client_hash).await {
        Err(WebError::Unavailable(detail)) => {
            tracing::warn!(%detail, slug, "database unavailable: the form goes back to the citizen");
            return send_again(&state, &slug, channel, tr, &submitted, &codes);
        }
        other => other?,
    };
    match outcome {
        Outcome::RateLimited { wait } => rate_limited_form(&state, &slug, channel, tr, &submitted, &codes, wait).await,
        Outcome::UnknownUnit => not_found_page(tr),
        Outcome::Closed { form } => closed_page(&form, channel, tr, StatusCode::CONFLICT),
        Outcome::DeviceRevoked => Err(WebError::Internal("a form post answered as a device upload".into())),
        Outcome::Stored { .. } => {
            state.metrics.submitted(channel.as_str(), 1);
            Ok(see_other(thanks))
        }
        Outcome::Replayed { form } => {
            let mut page = MessagePage::new(tr, "replay.title", "replay.text")
                .link(codes.on(&format!("{}?lang={}", base_path(&form.unit.slug, channel), tr.code())), "replay.again");
            page.unit_name = form.unit.name;
            page.kiosk = channel == Channel::Kiosk;
            html(StatusCode::CONFLICT, &page)
        }
        // a Mal Pelayanan Publik takes no response of its own: its form asks which agency
        Outcome::Rejected(rejection) if crate::survey::mpp::is_hall(&rejection.form.unit) => {
            Ok(see_other(format!("{}?lang={}", base_path(&slug, channel), tr.code())))
        }
        Outcome::Rejected(rejection) => {
            // The citizen's answers go back into the form, each message next to its field.
            let token = rejection.new_token.unwrap_or_else(|| submitted.get(TOKEN_FIELD).cloned().unwrap_or_default());
            let render_args = Render {
                form: &rejection.form,
                template: &rejection.template,
                channel,
                tr,
                values: &submitted,
                messages: &rejection.messages,
                token,
                notice: None,
                desk: &codes,
            };
            render(render_args, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// The post checked and stored: on an actix worker with only the write queued for SQLite's
/// writer thread when it can be (`survey::public::submit_queued`), else on a blocking thread
/// with a connection.
async fn outcome_of(
    state: &web::Data<AppState>,
    slug: String,
    channel: Channel,
    fields: BTreeMap<String, String>,
    client_hash: String,
) -> Result<Outcome, WebError> {
    let now = chrono::Utc::now();
    let post = PublicPost { slug: &slug, channel, fields: &fields, client_hash, now };
    let queued = match survey::public::submit_queued(&state.gate(), &post).await {
        Some(Err(e)) => return Err(e.into()),
        Some(Ok(outcome)) if !survey::public::counts_apart(&outcome) => {
            if matches!(outcome, Outcome::Stored { .. }) && RateLimit::time_to_forget() {
                // not waited for: the citizen's answer does not depend on it
                let (state, window) = (state.clone(), RateLimit::window_of(now));
                actix_web::rt::spawn(async move {
                    let forgot = blocking(&state, move |_, conn| {
                        RateLimit::forget(conn, window);
                        Ok::<_, crate::db::DbError>(())
                    });
                    let _ = forgot.await;
                });
            }
            return Ok(outcome);
        }
        // refused by the writer, still to be counted
        Some(Ok(refused)) => Some(refused),
        // not for the queued path: checked and stored on a connection
        None => None,
    };
    let client_hash = post.client_hash;
    blocking(state, move |state, conn| {
        let post = PublicPost { slug: &slug, channel, fields: &fields, client_hash, now };
        match queued {
            Some(refused) => Ok(survey::public::count_unstored(conn, &state.gate(), &post, refused)),
            None => survey::public::submit_public(conn, &state.gate(), post),
        }
    })
    .await
}

/// Too many submissions from the citizen's address (often a whole service hall behind one
/// address): their form again with their answers and their token, saying when to send it (429
/// with `Retry-After`). A refused submission stores nothing and leaves the token unspent.
async fn rate_limited_form(
    state: &web::Data<AppState>,
    slug: &str,
    channel: Channel,
    tr: Tr,
    submitted: &BTreeMap<String, String>,
    codes: &DeskCodes,
    wait: std::time::Duration,
) -> Result<HttpResponse, WebError> {
    let form = match state.forms.last(slug) {
        Some(form) => Some(form),
        // the count is in the database, so it answers; if not, the plain page still says to wait
        None => load_form(state, slug.to_string()).await.ok().flatten(),
    };
    let Some(form) = form.filter(|form| form.unit.active) else {
        return rate_limited_page(tr, wait);
    };
    let template = form.template.clone();
    let seconds = wait.as_secs().max(1);
    let r = Render {
        form: &form,
        template: &template,
        channel,
        tr,
        values: submitted,
        messages: &[],
        token: submitted.get(TOKEN_FIELD).cloned().unwrap_or_default(),
        notice: Some(tr.fill("ratelimit.form.retry", &[("seconds", seconds.to_string())])),
        desk: codes,
    };
    let mut page = render(r, StatusCode::TOO_MANY_REQUESTS)?;
    throttle::retry_after(&mut page, wait);
    Ok(page)
}

/// The database is away: the citizen's form again with their answers and their token, asking
/// them to send it again (503 with `Retry-After`). The same token means a submission whose
/// commit did happen after all is answered "already sent" instead of being stored twice.
fn send_again(
    state: &AppState,
    slug: &str,
    channel: Channel,
    tr: Tr,
    submitted: &BTreeMap<String, String>,
    codes: &DeskCodes,
) -> Result<HttpResponse, WebError> {
    let token = submitted.get(TOKEN_FIELD).cloned().unwrap_or_default();
    // only a form the citizen could have been shown: open, and not a hall's agency chooser
    let shown = state.forms.last(slug).filter(|f| f.unit.active && !crate::survey::mpp::is_hall(&f.unit));
    let mut page = match shown {
        Some(form) => {
            let template = form.template.clone();
            let notice = Some(tr.t("outage.form.retry").to_string());
            let r = Render {
                form: &form,
                template: &template,
                channel,
                tr,
                values: submitted,
                messages: &[],
                token,
                notice,
                desk: codes,
            };
            render(r, StatusCode::SERVICE_UNAVAILABLE)?
        }
        // this instance never showed the form (another one did): the answers as hidden fields
        None => html(
            StatusCode::SERVICE_UNAVAILABLE,
            &SendAgainPage {
                tr,
                kiosk: channel == Channel::Kiosk,
                action: codes.on(&base_path(slug, channel)),
                fields: submitted.iter().collect(),
            },
        )?,
    };
    error::retry_after(&mut page);
    Ok(page)
}

#[derive(askama::Template)]
#[template(path = "survey_send_again.html")]
struct SendAgainPage<'a> {
    tr: Tr,
    kiosk: bool,
    action: String,
    fields: Vec<(&'a String, &'a String)>,
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
    // A kiosk serves the next citizen, who starts in the kiosk's own default language: its link
    // (and the automatic return) carries no `lang`; on a citizen's own phone the choice stays.
    let codes = desk_codes(&query);
    let again = match channel {
        Channel::Kiosk => codes.on(&base_path(&form.unit.slug, channel)),
        _ => codes.on(&format!("{}?lang={}", base_path(&form.unit.slug, channel), tr.code())),
    };
    let mut page = MessagePage::new(tr, "thanks.title", "thanks.text").link(again, "thanks.again");
    page.unit_name = form.unit.name;
    if channel == Channel::Kiosk {
        page.kiosk = true;
        page.refresh = Some(state.config.kiosk_reset_seconds);
    }
    html(StatusCode::OK, &page)
}
