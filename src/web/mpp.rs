//! A Mal Pelayanan Publik's form (issue 19 point 6, `survey::mpp`): `/s/{hall}` (and its kiosk)
//! is a chooser of the hall's open agencies; `/s/{hall}/gerai/{agency}` is the agency's own
//! form, signed through the hall, and sends the citizen back to the hall's thank-you page, whose
//! kiosk returns to the chooser. No JavaScript: each agency is a link.

use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::pages::{form_page, html, DeskCodes, FormSpec, MessagePage};
use super::{blocking, see_other, AppState};
use crate::db::units::Unit;
use crate::domain::names::Channel;
use crate::security::form_token::FormToken;
use crate::survey::mpp::{self, AgencyForm, Hall};
use crate::survey::public::{PublicPost, TOKEN_FIELD};
use crate::survey::{Form, Message, Outcome, SERVICE_FIELD};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template as Askama;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct AgencyQuery {
    layanan: Option<String>,
    lang: Option<String>,
    /// a counter (loket) of the agency, as on the agency's own form
    loket: Option<String>,
    petugas: Option<String>,
}

/// How many service names an agency's button lists before "and N more".
const SERVICES_SHOWN: usize = 3;

struct AgencyButton {
    name: String,
    href: String,
    services: String,
}

#[derive(Askama)]
#[template(path = "mpp_chooser.html")]
struct ChooserPage {
    tr: Tr,
    kiosk: bool,
    hall_name: String,
    switch_href: String,
    /// why the citizen is back at the chooser (an agency not in this hall)
    problem: Option<String>,
    agencies: Vec<AgencyButton>,
}

fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// The kiosk's pages are the same under `/s/{hall}/kiosk/…`: the route decides the channel.
fn channel_of(req: &HttpRequest) -> Channel {
    if req.match_pattern().is_some_and(|p| p.contains("/kiosk")) {
        Channel::Kiosk
    } else {
        Channel::Web
    }
}

fn hall_path(slug: &str, channel: Channel) -> String {
    match channel {
        Channel::Kiosk => format!("/s/{slug}/kiosk"),
        _ => format!("/s/{slug}"),
    }
}

fn with_lang(path: &str, tr: Tr) -> String {
    format!("{path}{}lang={}", if path.contains('?') { '&' } else { '?' }, tr.code())
}

/// The hall's chooser page. A kiosk's chooser carries no `lang` in its links unless the citizen
/// chose one, so the next citizen starts in the kiosk's default.
fn chooser_page(
    hall: &Hall,
    channel: Channel,
    tr: Tr,
    problem: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let base = hall_path(&hall.unit.slug, channel);
    let agencies = hall
        .agencies
        .iter()
        .map(|(agency, services)| {
            let mut names: Vec<&str> = services.iter().take(SERVICES_SHOWN).map(|s| s.name.as_str()).collect();
            let more = services.len().saturating_sub(SERVICES_SHOWN);
            let more = (more > 0).then(|| tr.fill("mpp.choose.more", &[("count", more.to_string())]));
            names.extend(more.as_deref());
            AgencyButton {
                name: agency.name.clone(),
                href: with_lang(&format!("{base}/gerai/{}", agency.slug), tr),
                services: names.join(" · "),
            }
        })
        .collect();
    let other =
        Tr::new(if tr.code() == "en" { crate::domain::template::Lang::Id } else { crate::domain::template::Lang::En });
    let page = ChooserPage {
        tr,
        kiosk: channel == Channel::Kiosk,
        hall_name: hall.unit.name.clone(),
        switch_href: with_lang(&base, other),
        problem,
        agencies,
    };
    html(status, &page)
}

/// `GET /s/{hall}` and `/s/{hall}/kiosk` of a unit of kind `mpp` (from `survey::show`).
pub async fn chooser(
    state: &web::Data<AppState>,
    hall: Unit,
    channel: Channel,
    tr: Tr,
) -> Result<HttpResponse, WebError> {
    let hall = blocking(state, move |_, conn| mpp::hall(conn, hall)).await?;
    chooser_page(&hall, channel, tr, None, StatusCode::OK)
}

/// The chooser again, saying the agency asked for is not in this hall (a stale or altered link,
/// or a tampered form: then that nothing was stored).
fn not_in_hall(hall: &Hall, channel: Channel, tr: Tr, sent: bool) -> Result<HttpResponse, WebError> {
    let (key, status) = match sent {
        true => ("mpp.not_in_hall.sent", StatusCode::UNPROCESSABLE_ENTITY),
        false => ("mpp.not_in_hall", StatusCode::NOT_FOUND),
    };
    chooser_page(hall, channel, tr, Some(tr.t(key).to_string()), status)
}

fn closed(hall: &Unit, form: &Form, channel: Channel, tr: Tr, status: StatusCode) -> Result<HttpResponse, WebError> {
    let mut page = MessagePage::new(tr, "closed.title", "closed.text")
        .link(with_lang(&hall_path(&hall.slug, channel), tr), "mpp.back");
    page.unit_name = form.unit.name.clone();
    page.kiosk = channel == Channel::Kiosk;
    html(status, &page)
}

struct AgencyRender<'a> {
    hall: &'a Unit,
    form: &'a Form,
    channel: Channel,
    tr: Tr,
    values: &'a BTreeMap<String, String>,
    messages: &'a [Message],
    token: String,
    notice: Option<String>,
    codes: &'a DeskCodes,
}

fn render(r: AgencyRender, status: StatusCode) -> Result<HttpResponse, WebError> {
    let action = r.codes.on(&format!("{}/gerai/{}", hall_path(&r.hall.slug, r.channel), r.form.unit.slug));
    let mut page = form_page(FormSpec {
        form: r.form,
        template: &r.form.template.clone(),
        tr: r.tr,
        values: r.values,
        messages: r.messages,
        token: r.token,
        csrf: String::new(),
        notice: r.notice,
        switch_href: format!("{action}{}lang={}", if action.contains('?') { '&' } else { '?' }, r.tr.other_code()),
        action,
        kiosk: r.channel == Channel::Kiosk,
        ask_ticket: r.form.unit.ticket_mode,
        date_label: None,
    });
    // the citizen sees both where they are and whose service they rate
    page.unit_name = format!("{} · {}", r.form.unit.name, r.hall.name);
    html(status, &page)
}

async fn find(state: &web::Data<AppState>, hall: String, agency: String) -> Result<AgencyForm, WebError> {
    blocking(state, move |state, conn| mpp::agency_form(conn, &state.templates, &hall, &agency)).await
}

/// `GET /s/{hall}/gerai/{agency}` and `/s/{hall}/kiosk/gerai/{agency}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<AgencyQuery>,
) -> Result<HttpResponse, WebError> {
    let ((hall, agency), query, channel) = (path.into_inner(), query.into_inner(), channel_of(&req));
    let tr = Tr::new(negotiate(query.lang.as_deref(), accept_language(&req)));
    let (hall, form) = match find(&state, hall, agency).await? {
        AgencyForm::Open { hall, form } => (hall, form),
        AgencyForm::NoHall => return not_found(tr),
        AgencyForm::NotInHall { hall } => return not_in_hall(&hall, channel, tr, false),
        AgencyForm::Closed { hall, form } => return closed(&hall, &form, channel, tr, StatusCode::OK),
    };
    let mut asked = DeskCodes::of(query.loket.as_deref(), query.petugas.as_deref());
    let (block_hall, block_agency, block_codes) = (hall.clone(), form.unit.clone(), asked.clone());
    let desk = blocking(&state, move |_, conn| {
        mpp::desk_through(
            conn,
            &block_hall,
            &block_agency,
            block_codes.loket.as_deref(),
            block_codes.petugas.as_deref(),
        )
    })
    .await?;
    // an unknown or retired code is dropped, as on the agency's own form
    if desk.counter_id.is_none() {
        asked.loket = None;
    }
    if desk.officer_id.is_none() {
        asked.petugas = None;
    }
    let token = FormToken::issue(form.unit.id, form.version_id, channel.as_str(), chrono::Utc::now())
        .at_desk(desk)
        .sign(state.keys.form());
    let mut values = BTreeMap::new();
    if let Some(service) = query.layanan {
        values.insert(SERVICE_FIELD.to_string(), service);
    }
    let r = AgencyRender {
        hall: &hall,
        form: &form,
        channel,
        tr,
        values: &values,
        messages: &[],
        token,
        notice: None,
        codes: &asked,
    };
    render(r, StatusCode::OK)
}

/// `POST /s/{hall}/gerai/{agency}` and `/s/{hall}/kiosk/gerai/{agency}`: stored for the agency,
/// through the hall; an agency outside the hall brings back the chooser, nothing stored.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<AgencyQuery>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let ((hall_slug, agency), channel) = (path.into_inner(), channel_of(&req));
    let asked = DeskCodes::of(query.loket.as_deref(), query.petugas.as_deref());
    let fields: BTreeMap<String, String> = body.into_inner().into_iter().collect();
    let tr = Tr::new(negotiate(fields.get("lang").map(String::as_str), accept_language(&req)));
    let thanks = with_lang(&format!("{}/terima-kasih", hall_path(&hall_slug, channel)), tr);
    let client_hash = state.keys.client_hash(&super::client_ip(&req, &state.config));
    if fields.get("website").is_some_and(|v| !v.trim().is_empty()) {
        // a bot filled the honeypot: it sees success, nothing is stored
        if let Err(wait) = super::throttle::check(&state, crate::rate_limit::RateLimit::submit_key(&client_hash)).await
        {
            return rate_limited(tr, wait);
        }
        return Ok(see_other(thanks));
    }
    if let Err(wait) = state.limiter.check_local(&crate::rate_limit::RateLimit::submit_key(&client_hash)) {
        return rate_limited(tr, wait);
    }
    let submitted = fields.clone();
    let now = chrono::Utc::now();
    let result = blocking(&state, move |state, conn| -> Result<_, crate::db::DbError> {
        let found = mpp::agency_form(conn, &state.templates, &hall_slug, &agency)?;
        let AgencyForm::Open { hall, form } = found else { return Ok((found, None)) };
        let post = PublicPost { slug: &form.unit.slug, channel, fields: &fields, client_hash, now };
        let outcome = mpp::submit_through(conn, &state.gate(), &hall, &form, post)?;
        Ok((AgencyForm::Open { hall, form }, Some(outcome)))
    })
    .await?;
    let (hall, form, outcome) = match result {
        (AgencyForm::Open { hall, form }, Some(outcome)) => (hall, form, outcome),
        (AgencyForm::NotInHall { hall }, _) => return not_in_hall(&hall, channel, tr, true),
        (AgencyForm::Closed { hall, form }, _) => return closed(&hall, &form, channel, tr, StatusCode::CONFLICT),
        _ => return not_found(tr),
    };
    let again = |tr: Tr| with_lang(&hall_path(&hall.slug, channel), tr);
    match outcome {
        Outcome::Stored { .. } => {
            state.metrics.submitted(channel.as_str(), 1);
            Ok(see_other(thanks))
        }
        Outcome::Rejected(rejection) => {
            let token = rejection.new_token.unwrap_or_else(|| submitted.get(TOKEN_FIELD).cloned().unwrap_or_default());
            let r = AgencyRender {
                hall: &hall,
                form: &rejection.form,
                channel,
                tr,
                values: &submitted,
                messages: &rejection.messages,
                token,
                notice: None,
                codes: &asked,
            };
            render(r, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Outcome::RateLimited { wait } => {
            let r = AgencyRender {
                hall: &hall,
                form: &form,
                channel,
                tr,
                values: &submitted,
                messages: &[],
                token: submitted.get(TOKEN_FIELD).cloned().unwrap_or_default(),
                notice: Some(tr.fill("ratelimit.form.retry", &[("seconds", wait.as_secs().max(1).to_string())])),
                codes: &asked,
            };
            let mut page = render(r, StatusCode::TOO_MANY_REQUESTS)?;
            super::throttle::retry_after(&mut page, wait);
            Ok(page)
        }
        Outcome::Replayed { .. } => {
            let mut page = MessagePage::new(tr, "replay.title", "replay.text").link(again(tr), "replay.again");
            page.unit_name = hall.name.clone();
            page.kiosk = channel == Channel::Kiosk;
            html(StatusCode::CONFLICT, &page)
        }
        Outcome::Closed { form } => closed(&hall, &form, channel, tr, StatusCode::CONFLICT),
        Outcome::UnknownUnit => not_found(tr),
        Outcome::DeviceRevoked => Err(WebError::Internal("a form post answered as a device upload".into())),
    }
}

/// No such hall (or no hall at all): the public form's own "not found" page.
fn not_found(tr: Tr) -> Result<HttpResponse, WebError> {
    html(StatusCode::NOT_FOUND, &MessagePage::new(tr, "notfound.title", "notfound.text"))
}

/// Too many posts from the citizen's address, before the database is asked.
fn rate_limited(tr: Tr, wait: std::time::Duration) -> Result<HttpResponse, WebError> {
    let mut page = html(StatusCode::TOO_MANY_REQUESTS, &MessagePage::new(tr, "ratelimit.title", "ratelimit.text"))?;
    super::throttle::retry_after(&mut page, wait);
    Ok(page)
}
