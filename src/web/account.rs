//! `/akun/sandi`: a signed-in user changes their password; every other session ends.

use super::dashboard::Nav;
use super::error::WebError;
use super::i18n::Tr;
use super::pages::html;
use super::{session, AppState};
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

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, WebError> {
    let s = session::require(&state, &req).await?;
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
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let s = session::require(&state, &req).await?;
    session::check_csrf(&s, Some(&form.csrf))?;
    let tr = Tr::new(Lang::Id);
    let refuse = |key: &str| {
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                tr,
                kiosk: false,
                nav: Nav::of(&s),
                csrf: s.csrf.clone(),
                message: Some(tr.t(key).to_string()),
                ok: false,
                opt_out: s.user.email_opt_out,
            },
        )
    };
    if form.new != form.repeat {
        return refuse("password.mismatch");
    }
    if form.new.chars().count() < password::MIN_LENGTH {
        return refuse("password.short");
    }
    let worker = state.clone();
    let (user_id, stored, current, new) =
        (s.user.id, s.user.password_hash.clone(), form.current.clone(), form.new.clone());
    let changed = web::block(move || -> Result<Option<users::User>, WebError> {
        if !password::verify(&current, &stored) {
            return Ok(None);
        }
        let hash = password::hash(&new).map_err(|e| WebError::Internal(e.to_string()))?;
        let mut conn = worker.pool.get().map_err(crate::db::DbError::from)?;
        users::set_password(&mut conn, user_id, &hash)?;
        crate::db::audit::record(&mut conn, Some(user_id), "user.password", "changed own password")?;
        Ok(Some(users::by_id(&mut conn, user_id)?))
    })
    .await??;
    let Some(user) = changed else { return refuse("password.wrong") };
    // This browser continues with a fresh session at the new epoch; all others are signed out.
    let cookie = session::start(&state, &user)?;
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((actix_web::http::header::LOCATION, "/akun/sandi?diganti=1"))
        .finish())
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
    req: HttpRequest,
    form: web::Form<OptOutForm>,
) -> Result<HttpResponse, WebError> {
    let s = session::require(&state, &req).await?;
    session::check_csrf(&s, Some(&form.csrf))?;
    let worker = state.clone();
    let (user_id, opt_out) = (s.user.id, form.opt_out.is_some());
    web::block(move || {
        let mut conn = worker.pool.get()?;
        users::set_email_opt_out(&mut conn, user_id, opt_out)
    })
    .await??;
    Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, "/akun/sandi?diganti=1")).finish())
}
