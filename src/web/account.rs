//! `/akun/sandi`: a signed-in user changes their password; every other session ends.

use super::access::SignedIn;
use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, Nav};
use super::{blocking, see_other, session, throttle, AppState};
use crate::accounts;
use crate::db::users;
use crate::domain::template::Lang;
use crate::password;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    message: Option<String>,
    ok: bool,
    opt_out: bool,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    diganti: Option<String>,
}

pub async fn show(SignedIn(s): SignedIn, query: web::Query<ShowQuery>) -> Result<HttpResponse, WebError> {
    let tr = Tr::new(Lang::Id);
    let message = query.diganti.as_ref().map(|_| tr.t("password.saved").to_string());
    html(
        StatusCode::OK,
        &PasswordPage {
            tr,
            kiosk: false,
            nav: Nav::of(&s),
            csrf: s.csrf.clone(),
            ok: message.is_some(),
            message,
            opt_out: s.user.email_opt_out,
        },
    )
}

pub async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(s): SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    session::check_csrf(&s, Some(&form.csrf))?;
    let tr = Tr::new(Lang::Id);
    let refuse = |message: String, status: StatusCode| {
        html(
            status,
            &PasswordPage {
                tr,
                kiosk: false,
                nav: Nav::of(&s),
                csrf: s.csrf.clone(),
                message: Some(message),
                ok: false,
                opt_out: s.user.email_opt_out,
            },
        )
    };
    // the same per-client limit as signing in: this form also guesses at a password
    let client = format!("login {}", state.keys.client_hash(&super::client_ip(&req, &state.config)));
    if let Err(wait) = throttle::check(&state, client).await {
        let busy = tr.fill("password.busy.wait", &[("seconds", wait.as_secs().max(1).to_string())]);
        let mut refused = refuse(busy, StatusCode::TOO_MANY_REQUESTS)?;
        throttle::retry_after(&mut refused, wait);
        return Ok(refused);
    }
    if form.new != form.repeat {
        return refuse(tr.t("password.mismatch").to_string(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if form.new.chars().count() < password::MIN_LENGTH {
        return refuse(tr.t("password.short").to_string(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (user_id, current, new) = (s.user.id, form.current.clone(), form.new.clone());
    let now = chrono::Utc::now().naive_utc();
    let changed = blocking(&state, move |_, conn| -> Result<Option<users::User>, WebError> {
        // counts toward the account's lockout, and a locked account is refused as a wrong password
        if !accounts::confirm_password(conn, user_id, &current, now)? {
            return Ok(None);
        }
        let hash = password::hash(&new).map_err(|e| WebError::Internal(e.to_string()))?;
        users::set_password(conn, user_id, &hash)?;
        crate::db::audit::record(conn, Some(user_id), "user.password", "changed own password")?;
        Ok(Some(users::by_id(conn, user_id)?))
    })
    .await?;
    let Some(user) = changed else {
        return refuse(tr.t("password.wrong").to_string(), StatusCode::UNPROCESSABLE_ENTITY);
    };
    // This browser continues with a fresh session at the new epoch; all others are signed out.
    let cookie = session::start(&state, &user)?;
    let mut done = see_other("/akun/sandi?diganti=1");
    done.add_cookie(&cookie).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(done)
}

#[derive(Deserialize)]
pub struct OptOutForm {
    #[serde(default)]
    csrf: String,
    opt_out: Option<String>,
}

/// `POST /akun/email`: stop (or restart) the monthly summary for oneself.
pub async fn email(
    state: web::Data<AppState>,
    SignedIn(s): SignedIn,
    form: web::Form<OptOutForm>,
) -> Result<HttpResponse, WebError> {
    session::check_csrf(&s, Some(&form.csrf))?;
    let (user_id, opt_out) = (s.user.id, form.opt_out.is_some());
    blocking(&state, move |_, conn| users::set_email_opt_out(conn, user_id, opt_out)).await?;
    Ok(see_other("/akun/sandi?diganti=1"))
}
