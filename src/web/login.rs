//! `/masuk` (sign in) and `/keluar` (sign out).

use super::access::SignedIn;
use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::pages::html;
use super::{blocking, session, staff, throttle, AppState};
use crate::accounts::{self, LoginOutcome};
use crate::security::form_token::FormToken;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Login forms carry a signed token too, so a foreign site cannot post one (login CSRF).
const LOGIN_CHANNEL: &str = "login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    kiosk: bool,
    token: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Only local paths: `next` must not send a user to another site.
fn safe_next(next: &str) -> String {
    // Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become "//evil.example".
    let plain = next.bytes().all(|b| b > 0x20 && b != 0x7f);
    if plain && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/dasbor".to_string()
    }
}

fn page(
    state: &AppState,
    tr: Tr,
    email: String,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let token = FormToken::issue(0, 0, LOGIN_CHANNEL, chrono::Utc::now()).sign(state.keys.form());
    html(status, &LoginPage { tr, kiosk: false, token, next, email, error })
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let tr = Tr::new(negotiate(
        query.lang.as_deref(),
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    ));
    page(&state, tr, String::new(), query.next.as_deref().map(safe_next).unwrap_or_default(), None, StatusCode::OK)
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let tr = Tr::new(negotiate(None, req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())));
    // no page to return to: the user's own landing page, decided once signed in
    let landing = form.next.trim().is_empty();
    let next = safe_next(&form.next);
    let client = format!("login {}", state.keys.client_hash(&super::client_ip(&req, &state.config)));
    if let Err(wait) = throttle::check(&state, client).await {
        let error = Some(tr.fill("login.busy.wait", &[("seconds", wait.as_secs().max(1).to_string())]));
        let mut refused = page(&state, tr, form.email, next, error, StatusCode::TOO_MANY_REQUESTS)?;
        throttle::retry_after(&mut refused, wait);
        return Ok(refused);
    }
    if staff::cross_site(&req, &state.config.base_url) {
        let error = Some(tr.t("login.expired").to_string());
        return page(&state, tr, form.email, next, error, StatusCode::FORBIDDEN);
    }
    let now = chrono::Utc::now();
    if FormToken::verify(&form.token, state.keys.form(), now, chrono::Duration::hours(2), 0, LOGIN_CHANNEL).is_err() {
        let error = Some(tr.t("login.expired").to_string());
        return page(&state, tr, form.email, next, error, StatusCode::FORBIDDEN);
    }
    let (email, password) = (form.email.clone(), form.password);
    let outcome = blocking(&state, move |_, conn| accounts::login(conn, &email, &password, now.naive_utc())).await?;
    match outcome {
        LoginOutcome::Ok(user) => {
            let cookie = session::start(&state, &user)?;
            let next = if landing {
                let user = user.clone();
                blocking(&state, move |_, conn| accounts::landing(conn, &user)).await?
            } else {
                next
            };
            tracing::info!(user = user.id, "signed in");
            Ok(HttpResponse::SeeOther().cookie(cookie).insert_header((header::LOCATION, next)).finish())
        }
        // a locked account too: its own answer would tell which e-mail addresses have accounts
        LoginOutcome::Refused => {
            page(&state, tr, form.email, next, Some(tr.t("login.refused").to_string()), StatusCode::UNAUTHORIZED)
        }
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    SignedIn(current): SignedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    session::check_csrf(&current, Some(&form.csrf))?;
    // A copied cookie must not outlive the logout: bumping the epoch ends every session.
    let user_id = current.user.id;
    blocking(&state, move |_, conn| crate::db::users::end_sessions(conn, user_id)).await?;
    Ok(HttpResponse::SeeOther().cookie(session::end(&state)).insert_header((header::LOCATION, "/masuk")).finish())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/dasbor/unit/x?period=2026"), "/dasbor/unit/x?period=2026");
        for bad in ["//evil.example", "https://evil.example", "/\t/evil.example", "/\\evil", "/\n/evil.example", "evil"]
        {
            assert_eq!(safe_next(bad), "/dasbor", "{bad:?}");
        }
    }
}
