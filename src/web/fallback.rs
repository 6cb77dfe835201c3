//! The app's fallbacks: the answer for a path no route has, and for a body or query string the
//! extractors cannot read. Kept apart from `error` because some of them render pages.

use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, MessagePage};
use crate::domain::template::Lang;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

/// No route has this path and method: 405 with `Allow` when the path is a route's with another
/// method (an integrator's `PUT` where the API takes `POST`), else 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = super::routes::methods_for(req.path());
    if allowed.is_empty() {
        return WebError::NotFound.error_response();
    }
    WebError::MethodNotAllowed { allow: allowed.join(", ") }.error_response()
}

/// A form body that is not valid `application/x-www-form-urlencoded` (or too large): a page, not
/// a bare error, because citizens post forms.
pub fn bad_form(err: actix_web::error::UrlencodedError, req: &actix_web::HttpRequest) -> actix_web::Error {
    tracing::info!(error = %err, path = req.path(), "unreadable form body");
    let tr = Tr::new(Lang::Id);
    let page = MessagePage::new(tr, "badrequest.title", "badrequest.text");
    let response = html(StatusCode::BAD_REQUEST, &page).unwrap_or_else(|e| e.error_response());
    actix_web::error::InternalError::from_response(err, response).into()
}

pub fn bad_query(err: actix_web::error::QueryPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let reason = err.to_string();
    actix_web::error::InternalError::from_response(
        err,
        WebError::Invalid { field: "query".into(), reason }.error_response(),
    )
    .into()
}
