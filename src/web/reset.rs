//! `/sandi/atur?token=…`: a user sets a new password with the one-time link an admin made for
//! them (`accounts::reset_link`). Public: the link's secret is the only credential, and it works
//! once; a used, expired or revoked link gets a page that says which.

use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, MessagePage};
use super::{blocking, throttle, AppState};
use crate::accounts::{self, LinkProblem, ResetError};
use crate::domain::template::Lang;
use crate::password;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    tr: Tr,
    kiosk: bool,
    token: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// Staff pages are in Bahasa Indonesia.
fn tr() -> Tr {
    Tr::new(Lang::Id)
}

/// The page for a link that no longer works, saying why, with the way to sign in.
fn link_page(problem: LinkProblem) -> Result<HttpResponse, WebError> {
    let key = problem.as_str();
    let page = MessagePage::new(tr(), &format!("reset.{key}.title"), &format!("reset.{key}.text"))
        .link("/masuk".into(), "reset.to_login");
    let status = match problem {
        LinkProblem::Unknown => StatusCode::NOT_FOUND,
        LinkProblem::Used | LinkProblem::Expired | LinkProblem::Revoked => StatusCode::GONE,
    };
    html(status, &page)
}

fn form_page(token: String, email: String, error: Option<&str>, status: StatusCode) -> Result<HttpResponse, WebError> {
    let tr = tr();
    html(status, &ResetPage { tr, kiosk: false, token, email, error: error.map(|key| tr.t(key).to_string()) })
}

/// `GET /sandi/atur?token=…`: the form, for a link that still works. Opening it spends nothing
/// (a mail or chat app previewing the link must not use it up).
pub async fn show(state: web::Data<AppState>, query: web::Query<ResetQuery>) -> Result<HttpResponse, WebError> {
    let token = query.into_inner().token.unwrap_or_default();
    let lookup = token.clone();
    let now = chrono::Utc::now().naive_utc();
    let target = blocking(&state, move |_, conn| accounts::reset_target(conn, &lookup, now)).await?;
    match target {
        Ok(user) => form_page(token, user.email, None, StatusCode::OK),
        Err(problem) => link_page(problem),
    }
}

/// `POST /sandi/atur`: sets the new password (the same rules as `/akun/sandi`) and spends the link.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, WebError> {
    let ResetForm { token, new, repeat } = form.into_inner();
    let client = format!("reset {}", state.keys.client_hash(&super::client_ip(&req, &state.config)));
    if throttle::check(&state, client).await.is_err() {
        return html(StatusCode::TOO_MANY_REQUESTS, &MessagePage::new(tr(), "ratelimit.title", "ratelimit.text"));
    }
    let lookup = token.clone();
    let now = chrono::Utc::now().naive_utc();
    let target = blocking(&state, move |_, conn| accounts::reset_target(conn, &lookup, now)).await?;
    let user = match target {
        Ok(user) => user,
        Err(problem) => return link_page(problem),
    };
    if super::login::cross_site(&req) {
        return form_page(token, user.email, Some("reset.cross_site"), StatusCode::FORBIDDEN);
    }
    if new != repeat {
        return form_page(token, user.email, Some("password.mismatch"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if new.chars().count() < password::MIN_LENGTH {
        return form_page(token, user.email, Some("password.short"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let spent = token.clone();
    let outcome = blocking(&state, move |_, conn| -> Result<_, WebError> {
        match accounts::reset_password(conn, &spent, &SecretString::from(new), now) {
            Ok(user) => Ok(Ok(user)),
            Err(ResetError::Link(problem)) => Ok(Err(Some(problem))),
            Err(ResetError::PasswordTooShort) => Ok(Err(None)),
            Err(ResetError::Hashing(reason)) => Err(WebError::Internal(reason)),
            Err(ResetError::Db(err)) => Err(err.into()),
        }
    })
    .await?;
    match outcome {
        Ok(user) => {
            tracing::info!(user = user.id, "password set with a reset link");
            let page =
                MessagePage::new(tr(), "reset.done.title", "reset.done.text").link("/masuk".into(), "reset.to_login");
            html(StatusCode::OK, &page)
        }
        Err(Some(problem)) => link_page(problem),
        Err(None) => form_page(token, user.email, Some("password.short"), StatusCode::UNPROCESSABLE_ENTITY),
    }
}
