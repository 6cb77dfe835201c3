//! The web layer's one error type, mapped to HTTP in exactly one place. Bodies are problem
//! details (`web::problem`) that say which field is wrong and why; details of server faults go to
//! the log, not to the client.

use super::problem::{FieldCode, FieldProblem, Problem, ProblemCode};
use crate::db::DbError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// A path of the route table asked with another method; `allow` lists the ones it takes.
    #[error("method not allowed (allow: {allow})")]
    MethodNotAllowed { allow: String },
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("login required")]
    LoginRequired { next: String },
    /// An API call without a session or key: 401 with the one error body, never a redirect to
    /// an HTML sign-in page an API client cannot use.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A signed-in form sent from another site (by its `Origin` or `Sec-Fetch-Site`): not a stale
    /// form, so the page says where to open it instead of "reload".
    #[error("cross-site form refused")]
    CrossSite,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// How long a client is asked to wait (`Retry-After`) when the database is away: a restart or
/// failover takes seconds, and the pool reconnects by itself.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// `Retry-After` on a 503, so clients and proxies retry instead of giving up.
pub fn retry_after(response: &mut HttpResponse) {
    response
        .headers_mut()
        .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from(RETRY_AFTER_SECONDS));
}

impl From<DbError> for WebError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => WebError::NotFound,
            DbError::Pool(e) => WebError::Unavailable(e.to_string()),
            DbError::Connect(e) | DbError::Unavailable(e) => WebError::Unavailable(e),
            DbError::NotText(reason) => WebError::Invalid { field: "input".into(), reason },
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        WebError::Internal(err.to_string())
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Invalid { .. } => StatusCode::BAD_REQUEST,
            WebError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) | WebError::CrossSite => StatusCode::FORBIDDEN,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::LoginRequired { next } = self {
            let target = format!("/masuk?next={}", super::percent_encode(next));
            return HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, target)).finish();
        }
        let (code, field, reason) = match self {
            WebError::NotFound => (ProblemCode::NotFound, None, "no such page, unit or resource"),
            WebError::MethodNotAllowed { .. } => {
                (ProblemCode::MethodNotAllowed, None, "this address does not take this method; see the Allow header")
            }
            WebError::Invalid { field, reason } => (ProblemCode::InvalidRequest, Some(field.as_str()), reason.as_str()),
            WebError::LoginRequired { .. } => (ProblemCode::Forbidden, None, "please sign in"),
            WebError::Unauthorized(reason) => (ProblemCode::Unauthorized, None, reason.as_str()),
            WebError::Forbidden(reason) => (ProblemCode::Forbidden, None, reason.as_str()),
            WebError::CrossSite => (
                ProblemCode::Forbidden,
                None,
                "this form was sent from another site; open the page on this site and send it again",
            ),
            WebError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                (ProblemCode::Unavailable, None, "the database is not reachable; try again shortly")
            }
            WebError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (ProblemCode::Internal, None, "something went wrong on our side")
            }
        };
        let problem = match field {
            Some(field) => Problem::new(code, format!("{field}: {reason}")).with_fields(vec![FieldProblem::new(
                field,
                FieldCode::Invalid,
                reason,
            )]),
            None => Problem::new(code, reason),
        };
        let mut response = problem.with_status(self.status_code()).response();
        match self {
            WebError::Unavailable(_) => retry_after(&mut response),
            WebError::MethodNotAllowed { allow } => {
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
                    response.headers_mut().insert(actix_web::http::header::ALLOW, value);
                }
            }
            WebError::Unauthorized(_) => {
                let bearer = actix_web::http::header::HeaderValue::from_static("Bearer");
                response.headers_mut().insert(actix_web::http::header::WWW_AUTHENTICATE, bearer);
            }
            _ => {}
        }
        response
    }
}
