//! Who may call a handler, as the types it takes. Each extractor signs the user in from the
//! session cookie and checks the role (and, for a unit's pages, that the unit is in the user's
//! scope) before the handler runs:
//!
//! | extractor    | who                                        | otherwise                   |
//! |--------------|--------------------------------------------|-----------------------------|
//! | `SignedIn`   | any signed-in user                         | redirect to the login page  |
//! | `Admin`      | the deployment's admins                    | 404                         |
//! | `Console`    | every admin; a subtree's admin acts on it only | 404                     |
//! | `UnitReader` | admins and heads of the unit in `{slug}`   | 404 (as for no such unit)   |
//! | `DataEntry`  | admins and operators of the unit in `{slug}` | 404 (as for no such unit) |
//!
//! A unit outside the user's scope answers exactly like a unit that does not exist. `Access`
//! names these levels (plus `Public` and `Token`) for the route table in `web::routes`.

use super::error::WebError;
use super::session::{self, Session};
use super::{blocking, AppState};
use crate::db::units::{self, Unit};
use crate::db::DbError;
use crate::domain::names::Role;
use crate::survey::{self, Form};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// Who may use a route; the route table gives one to every route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// anyone, without a session (the citizen's form and the JSON API take a one-time form token)
    Public,
    /// a bearer token from the configuration, for machines; never a session
    Token,
    /// any signed-in user, whatever the role
    SignedIn,
    /// the deployment's admins only (no units of their own)
    Admin,
    /// every admin: the console, where an admin of a subtree (a regency of a province-wide
    /// deployment) manages the units and users of that subtree only
    Console,
    /// admins and the heads of the unit (dashboards, reports, follow-up actions)
    UnitReader,
    /// admins and the operators of the unit (paper entry, imports, posters)
    UnitDataEntry,
}

impl Access {
    /// Whether the route is behind a sign-in (and so wrapped in `web::staff::guard`).
    pub fn needs_session(self) -> bool {
        !matches!(self, Access::Public | Access::Token)
    }
}

/// Any signed-in user.
pub struct SignedIn(pub Session);

/// An admin of the regency.
pub struct Admin(pub Session);

/// An admin or a head of the unit named by the route's `{slug}`.
pub struct UnitReader {
    pub session: Session,
    pub unit: Unit,
}

/// An admin or an operator of the unit named by the route's `{slug}`, with the unit's form.
pub struct DataEntry {
    pub session: Session,
    pub form: Form,
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| WebError::Internal("no app state".into()))
}

fn slug_of(req: &HttpRequest) -> Result<String, WebError> {
    req.match_info().get("slug").map(str::to_string).ok_or_else(|| WebError::Internal("route without {slug}".into()))
}

/// The signed-in user of a unit's route, unless their role is `refused`; with the state and the
/// route's `{slug}`.
async fn unit_user(req: &HttpRequest, refused: Role) -> Result<(web::Data<AppState>, Session, String), WebError> {
    let state = state_of(req)?;
    let session = session::require(&state, req).await?;
    if session.role == refused {
        return Err(WebError::NotFound);
    }
    Ok((state, session, slug_of(req)?))
}

/// `FromRequest` for an extractor whose check is an async block over the request.
macro_rules! extractor {
    ($type:ty, |$req:ident| $check:expr) => {
        impl FromRequest for $type {
            type Error = WebError;
            type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let $req = req.clone();
                Box::pin(async move { $check })
            }
        }
    };
}

extractor!(SignedIn, |req| Ok(SignedIn(session::require(&state_of(&req)?, &req).await?)));

extractor!(Admin, |req| {
    let session = session::require(&state_of(&req)?, &req).await?;
    if !session.deployment_admin() {
        return Err(WebError::NotFound);
    }
    Ok(Admin(session))
});

/// Any admin, for the console: the deployment's, or a subtree's (`Console::within`).
pub struct Console(pub Session);

impl Console {
    /// The units a subtree's admin may manage; `None` for the deployment's admin (all of them).
    pub fn within(session: &Session) -> Option<std::collections::HashSet<i32>> {
        session.scope.ids().map(|ids| ids.iter().copied().collect())
    }
}

extractor!(Console, |req| {
    let session = session::require(&state_of(&req)?, &req).await?;
    if session.role != Role::Admin {
        return Err(WebError::NotFound);
    }
    Ok(Console(session))
});

extractor!(UnitReader, |req| {
    // Dashboards are for unit heads and admins; operators enter data.
    let (state, session, slug) = unit_user(&req, Role::Operator).await?;
    let unit = blocking(&state, move |_, conn| units::by_slug(conn, &slug)).await;
    match unit {
        Ok(unit) if session.may_access(unit.id) => Ok(UnitReader { session, unit }),
        Ok(_) | Err(WebError::NotFound) => Err(WebError::NotFound),
        Err(other) => Err(other),
    }
});

extractor!(DataEntry, |req| {
    // Unit heads read and plan; data entry is for operators and admins.
    let (state, session, slug) = unit_user(&req, Role::UnitHead).await?;
    let form = blocking(&state, move |state, conn| -> Result<Option<Form>, DbError> {
        survey::form_for_unit(conn, &state.templates, &slug)
    })
    .await?;
    match form {
        Some(form) if session.may_access(form.unit.id) => Ok(DataEntry { session, form }),
        _ => Err(WebError::NotFound),
    }
});
