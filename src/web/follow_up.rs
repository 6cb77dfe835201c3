//! The unit dashboard's follow-up forms: record an action, change its status. The rules and the
//! audit record are `crate::follow_up`'s; this maps the form to it and back to the page.

use super::access::UnitReader;
use super::error::WebError;
use super::session::check_csrf;
use super::{blocking, see_other, AppState};
use crate::follow_up::{self, FollowUpError, NewAction};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

impl From<FollowUpError> for WebError {
    fn from(err: FollowUpError) -> Self {
        match err {
            FollowUpError::Invalid { field, reason } => WebError::Invalid { field: field.into(), reason },
            FollowUpError::NotFound => WebError::NotFound,
            FollowUpError::Db(e) => e.into(),
        }
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    element: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
}

/// `POST /dasbor/unit/{slug}/rtl`: record a follow-up action for an element.
pub async fn add(
    state: web::Data<AppState>,
    reader: UnitReader,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, WebError> {
    check_csrf(&reader.session, Some(&form.csrf))?;
    let UnitReader { session, unit } = reader;
    let slug = unit.slug.clone();
    let period = blocking(&state, move |state, conn| {
        let new = NewAction {
            period: &form.period,
            element: &form.element,
            action: &form.action,
            owner: &form.owner,
            due: &form.due,
        };
        follow_up::add(conn, &state.templates, &unit, &new, session.user.id)
    })
    .await?;
    Ok(see_other(format!("/dasbor/unit/{slug}?period={period}#h-rtl")))
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// `POST /dasbor/unit/{slug}/rtl/{id}`: change an action's status.
pub async fn set_status(
    state: web::Data<AppState>,
    reader: UnitReader,
    path: web::Path<(String, i32)>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, WebError> {
    check_csrf(&reader.session, Some(&form.csrf))?;
    let (_, id) = path.into_inner();
    let UnitReader { session, unit } = reader;
    let slug = unit.slug.clone();
    blocking(&state, move |_, conn| follow_up::set_status(conn, &unit, id, &form.status, session.user.id)).await?;
    Ok(see_other(format!("/dasbor/unit/{slug}#h-rtl")))
}
