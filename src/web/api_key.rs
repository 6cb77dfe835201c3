//! An integration's API key on a JSON API request (`Authorization: Bearer skm_live_…`): checked
//! against its stored digest on every request (so a revoked key is refused at once, on every
//! instance), then its per-key rate limit, its scope and its units. A request without an
//! `Authorization: Bearer` credential is not a key request: the handler's own path (form token, session)
//! applies exactly as without keys.

use super::problem::{Problem, ProblemCode};
use super::throttle::retry_after;
use super::{blocking, AppState};
use crate::api_keys::{self, Authorized, Scope};
use crate::db::units::{self, Unit};
use crate::db::DbError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

/// The key a request carries: a `Bearer` credential, whatever it holds. Another scheme is not
/// a key: a proxy's Basic sign-in in front of the whole site must not turn a browser's session
/// or a citizen's form-token post into a refused key request.
fn presented(req: &HttpRequest) -> Option<String> {
    let text = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    match text.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => Some(key.trim().to_string()),
        _ if text.eq_ignore_ascii_case("bearer") => Some(String::new()),
        _ => None,
    }
}

/// The rate limit's bucket of a key (its public id), never the secret.
fn bucket(id: &str) -> String {
    format!("api_key {id}")
}

/// What the key check came to.
pub enum KeyCheck {
    /// the request carries no key: the route's other credential applies
    Absent,
    /// the key may do `scope` on this unit
    Granted { key: Authorized, unit: Unit },
    /// the reply to send instead (401, 403, 404 or 429 problem)
    Refused(HttpResponse),
}

enum Checked {
    Invalid,
    Limited(std::time::Duration),
    Valid(Box<(Authorized, Option<Unit>)>),
}

/// Checks the request's key, if any, for `scope` on the unit `slug`: 401 for a key that is not
/// one (unknown, revoked, malformed), 429 over the key's limit, 403 without the scope, 404 for a
/// unit the key does not cover (as for a unit that does not exist).
pub async fn check(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    scope: Scope,
    slug: String,
) -> Result<KeyCheck, super::error::WebError> {
    let Some(key) = presented(req) else { return Ok(KeyCheck::Absent) };
    let checked = blocking(state, move |state, conn| -> Result<Checked, DbError> {
        let now = chrono::Utc::now();
        let Some(authorized) = api_keys::authenticate(conn, &state.keys, &key, now.naive_utc())? else {
            return Ok(Checked::Invalid);
        };
        // only a key that is one spends its budget: knowing a key's public id is not enough to
        // exhaust it. This instance's limiter first sheds a flood before it costs a write.
        let bucket = bucket(&authorized.id);
        if let Err(wait) =
            state.key_limiter.check_local(&bucket).and_then(|()| state.key_limiter.count(conn, &bucket, now))
        {
            return Ok(Checked::Limited(wait));
        }
        let unit = match units::by_slug(conn, &slug) {
            Ok(unit) => Some(unit),
            Err(DbError::NotFound) => None,
            Err(other) => return Err(other),
        };
        Ok(Checked::Valid(Box::new((authorized, unit))))
    })
    .await?;
    let (key, unit) = match checked {
        Checked::Invalid => return Ok(KeyCheck::Refused(unauthorized())),
        Checked::Limited(wait) => return Ok(KeyCheck::Refused(limited(wait))),
        Checked::Valid(valid) => *valid,
    };
    Ok(match unit {
        _ if !key.allows(scope) => KeyCheck::Refused(
            Problem::new(
                ProblemCode::Forbidden,
                format!("this API key lacks the scope `{}`: an admin creates a key with it", scope.as_str()),
            )
            .response(),
        ),
        Some(unit) if key.covers(unit.id) => KeyCheck::Granted { key, unit },
        _ => KeyCheck::Refused(
            Problem::new(ProblemCode::NotFound, "no such unit, or one this API key does not cover").response(),
        ),
    })
}

fn unauthorized() -> HttpResponse {
    let mut response = Problem::new(
        ProblemCode::Unauthorized,
        "not a valid API key: unknown, revoked, or not sent as `Authorization: Bearer skm_live_…`",
    )
    .response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn limited(wait: std::time::Duration) -> HttpResponse {
    let seconds = wait.as_secs().max(1);
    let mut response =
        Problem::new(ProblemCode::RateLimited, format!("too many requests with this API key; retry in {seconds} s"))
            .response();
    retry_after(&mut response, wait);
    response
}
