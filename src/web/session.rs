//! Sign-in sessions in an encrypted, signed cookie (any instance can read it: the key comes from
//! the shared master secret). The cookie carries the user, their session epoch (bumped on
//! password change, ending older sessions), a CSRF secret and an expiry.

use super::error::WebError;
use super::{blocking, AppState};
use crate::accounts;
use crate::db::users::{self, User};
use crate::db::DbError;
use crate::domain::names::Role;
use actix_web::cookie::{time, Cookie, CookieJar, Key, SameSite};
use actix_web::{web, HttpRequest};
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "skm_session";
const HOURS: i64 = 12;

#[derive(Serialize, Deserialize)]
struct Claims {
    /// user id
    u: i32,
    /// session epoch
    e: i32,
    /// CSRF secret
    c: String,
    /// expiry, unix seconds
    x: i64,
}

pub struct Session {
    pub user: User,
    pub role: Role,
    /// the units this user may act on
    pub scope: accounts::UnitScope,
    /// an admin of a subtree (a regency or province of a larger deployment): their dashboards
    /// and data entry stop at `scope`, and the deployment's console (`/admin`) is not theirs
    pub scoped_admin: bool,
    pub csrf: String,
}

impl Session {
    /// An admin of the whole deployment: the console at `/admin` is theirs.
    pub fn deployment_admin(&self) -> bool {
        self.role == Role::Admin && !self.scoped_admin
    }

    pub fn may_access(&self, unit_id: i32) -> bool {
        self.scope.contains(unit_id)
    }
}

fn key(state: &AppState) -> Option<Key> {
    Key::try_from(state.keys.cookie()).ok()
}

fn secure(state: &AppState) -> bool {
    state.config.base_url.starts_with("https://")
}

/// A fresh session cookie for `user` (a new CSRF secret each time: no session fixation).
pub fn start(state: &AppState, user: &User) -> Result<Cookie<'static>, WebError> {
    let claims = Claims {
        u: user.id,
        e: user.session_epoch,
        c: uuid::Uuid::new_v4().simple().to_string(),
        x: chrono::Utc::now().timestamp() + HOURS * 3600,
    };
    let value = serde_json::to_string(&claims).map_err(|e| WebError::Internal(e.to_string()))?;
    let key = key(state).ok_or_else(|| WebError::Internal("cookie key".into()))?;
    let mut jar = CookieJar::new();
    jar.private_mut(&key).add(
        Cookie::build(COOKIE, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure(state))
            .max_age(time::Duration::hours(HOURS))
            .finish(),
    );
    jar.get(COOKIE).cloned().ok_or_else(|| WebError::Internal("session cookie".into()))
}

/// A cookie that removes the session from the browser.
pub fn end(state: &AppState) -> Cookie<'static> {
    let mut cookie =
        Cookie::build(COOKIE, "").path("/").http_only(true).same_site(SameSite::Lax).secure(secure(state)).finish();
    cookie.make_removal();
    cookie
}

fn claims(state: &AppState, req: &HttpRequest) -> Option<Claims> {
    let cookie = req.cookie(COOKIE)?;
    let key = key(state)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    let plain = jar.private(&key).get(COOKIE)?;
    let claims: Claims = serde_json::from_str(plain.value()).ok()?;
    (claims.x > chrono::Utc::now().timestamp()).then_some(claims)
}

/// The signed-in user, if the cookie is valid and still matches the account.
pub async fn current(state: &web::Data<AppState>, req: &HttpRequest) -> Result<Option<Session>, WebError> {
    let Some(claims) = claims(state, req) else { return Ok(None) };
    blocking(state, move |_, conn| -> Result<Option<Session>, DbError> {
        let user = match users::by_id(conn, claims.u) {
            Ok(user) => user,
            Err(DbError::NotFound) => return Ok(None),
            Err(other) => return Err(other),
        };
        if user.disabled || user.session_epoch != claims.e {
            return Ok(None);
        }
        let Ok(role) = user.role.parse::<Role>() else { return Ok(None) };
        let (scope, scoped_admin) = accounts::unit_scope(conn, &user)?;
        Ok(Some(Session { user, role, scope, scoped_admin: scoped_admin && role == Role::Admin, csrf: claims.c }))
    })
    .await
}

/// The signed-in user, or a redirect to the login page that comes back here; an API call gets a
/// 401 problem instead (a client following the redirect would read a sign-in page as a 200).
pub async fn require(state: &web::Data<AppState>, req: &HttpRequest) -> Result<Session, WebError> {
    current(state, req).await?.ok_or_else(|| {
        if req.path().starts_with("/api/") {
            WebError::Unauthorized(
                "sign in at /masuk and send its session cookie, or send an API key with the needed scope as \
                 `Authorization: Bearer skm_live_…`"
                    .into(),
            )
        } else {
            WebError::LoginRequired { next: req.uri().path().to_string() }
        }
    })
}

/// Every state-changing form carries the session's CSRF secret.
pub fn check_csrf(session: &Session, submitted: Option<&str>) -> Result<(), WebError> {
    let expected = session.csrf.as_bytes();
    let given = submitted.unwrap_or_default().as_bytes();
    let same = expected.len() == given.len() && expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(WebError::Forbidden("the form's security token is missing or stale; reload the page and try again".into()))
    }
}
