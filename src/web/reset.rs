//! `/sandi/atur?token=…`: a user sets a new password with the one-time link an admin made for
//! them (`accounts::reset_link`), or a new user their first one with an invitation
//! (`accounts::invite`; the page welcomes them instead). Public: the link's secret is the only
//! credential, and it works once; a used, expired or revoked link gets a page that says which
//! and what to do.

use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, MessagePage};
use super::{blocking, throttle, AppState};
use crate::accounts::{self, LinkProblem, LinkPurpose, ResetError};
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
    words: FormWords,
    token: String,
    email: String,
    error: Option<String>,
}

/// The form's translation keys: a reset link's, or an invitation's welcome.
struct FormWords {
    title: &'static str,
    intro: &'static str,
    new: &'static str,
    repeat: &'static str,
    save: &'static str,
}

impl FormWords {
    fn of(purpose: LinkPurpose) -> FormWords {
        match purpose {
            LinkPurpose::Reset => FormWords {
                title: "reset.title",
                intro: "reset.intro",
                new: "password.new",
                repeat: "password.repeat",
                save: "reset.save",
            },
            LinkPurpose::Invitation => FormWords {
                title: "invite.title",
                intro: "invite.intro",
                new: "invite.new",
                repeat: "invite.repeat",
                save: "invite.save",
            },
        }
    }
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

/// The prefix of a link's words: an invitation welcomes, a reset link resets.
fn words(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::Reset => "reset",
        LinkPurpose::Invitation => "invite",
    }
}

/// The page for a link that no longer works, saying why, with the way to sign in.
fn link_page(purpose: LinkPurpose, problem: LinkProblem) -> Result<HttpResponse, WebError> {
    let key = problem.as_str();
    // a link nobody made has no purpose: the reset words, which say to ask the admin
    let words = if problem == LinkProblem::Unknown { "reset" } else { words(purpose) };
    let page = MessagePage::new(tr(), &format!("{words}.{key}.title"), &format!("{words}.{key}.text"))
        .link("/masuk".into(), "reset.to_login");
    let status = match problem {
        LinkProblem::Unknown => StatusCode::NOT_FOUND,
        LinkProblem::Used | LinkProblem::Expired | LinkProblem::Revoked => StatusCode::GONE,
    };
    html(status, &page)
}

fn form_page(
    purpose: LinkPurpose,
    token: String,
    email: String,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let tr = tr();
    let error = error.map(|key| tr.t(key).to_string());
    html(status, &ResetPage { tr, kiosk: false, words: FormWords::of(purpose), token, email, error })
}

/// `GET /sandi/atur?token=…`: the form, for a link that still works. Opening it spends nothing
/// (a mail or chat app previewing the link must not use it up).
pub async fn show(state: web::Data<AppState>, query: web::Query<ResetQuery>) -> Result<HttpResponse, WebError> {
    let token = query.into_inner().token.unwrap_or_default();
    let lookup = token.clone();
    let now = chrono::Utc::now().naive_utc();
    let check = blocking(&state, move |_, conn| accounts::reset_target(conn, &lookup, now)).await?;
    match check.outcome {
        Ok(user) => form_page(check.purpose, token, user.email, None, StatusCode::OK),
        Err(problem) => link_page(check.purpose, problem),
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
    if let Err(wait) = throttle::check(&state, client).await {
        let mut refused =
            html(StatusCode::TOO_MANY_REQUESTS, &MessagePage::new(tr(), "ratelimit.title", "ratelimit.text"))?;
        throttle::retry_after(&mut refused, wait);
        return Ok(refused);
    }
    let lookup = token.clone();
    let now = chrono::Utc::now().naive_utc();
    let check = blocking(&state, move |_, conn| accounts::reset_target(conn, &lookup, now)).await?;
    let purpose = check.purpose;
    let user = match check.outcome {
        Ok(user) => user,
        Err(problem) => return link_page(purpose, problem),
    };
    if super::staff::cross_site(&req, &state.config.base_url) {
        return form_page(purpose, token, user.email, Some("reset.cross_site"), StatusCode::FORBIDDEN);
    }
    if new != repeat {
        return form_page(purpose, token, user.email, Some("password.mismatch"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if new.chars().count() < password::MIN_LENGTH {
        return form_page(purpose, token, user.email, Some("password.short"), StatusCode::UNPROCESSABLE_ENTITY);
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
            tracing::info!(user = user.id, purpose = purpose.as_str(), "password set with a one-time link");
            let words = words(purpose);
            let page = MessagePage::new(tr(), &format!("{words}.done.title"), &format!("{words}.done.text"))
                .link("/masuk".into(), "reset.to_login");
            html(StatusCode::OK, &page)
        }
        Err(Some(problem)) => link_page(purpose, problem),
        Err(None) => form_page(purpose, token, user.email, Some("password.short"), StatusCode::UNPROCESSABLE_ENTITY),
    }
}
