//! The unit dashboard's follow-up forms: record an action, change its status (with evidence or
//! a reason), and the evidence image. The rules and the audit record are `crate::follow_up`'s;
//! this maps the forms to it and back to the page, on the period the page showed, with a line
//! that says what happened (`tersimpan=1`, or `masalah=…` naming what was missing).

use super::access::UnitReader;
use super::error::WebError;
use super::session::check_csrf;
use super::{blocking, proof, see_other, AppState};
use crate::domain::follow_up::ChangeProblem;
use crate::domain::period::Period;
use crate::domain::proof::ProofError;
use crate::follow_up::{self, FollowUpError, NewAction, StatusChange};
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

impl From<FollowUpError> for WebError {
    fn from(err: FollowUpError) -> Self {
        match err {
            FollowUpError::Invalid { field, reason } => WebError::Invalid { field: field.into(), reason },
            FollowUpError::Refused(problem) => {
                WebError::Invalid { field: "status".into(), reason: problem.to_string() }
            }
            FollowUpError::NotFound => WebError::NotFound,
            FollowUpError::Db(e) => e.into(),
        }
    }
}

/// The unit page as the form found it (its period, with or without sub-units), with `outcome`
/// in the address and the follow-up panel in view.
fn back(slug: &str, period: &str, sub: bool, outcome: &str) -> HttpResponse {
    let mut location = format!("/dasbor/unit/{slug}?");
    // only a period that reads as one goes back into the address
    if let Ok(period) = period.trim().parse::<Period>() {
        location.push_str(&format!("period={period}&"));
    }
    if sub {
        location.push_str("sub=1&");
    }
    location.push_str(outcome);
    location.push_str("#h-rtl");
    see_other(location)
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
    sub: String,
    #[serde(default)]
    action: String,
    /// one of the element's suggested actions, used when `action` is left empty
    #[serde(default)]
    suggestion: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
}

/// The add form's fields a person can leave empty or get wrong, and the code the page reads back
/// (`masalah=tindakan`); other refusals (a tampered element or period) stay plain 400s.
pub const ADD_PROBLEMS: [(&str, &str); 3] = [("action", "tindakan"), ("owner", "penanggung"), ("due", "tanggal")];

/// `POST /dasbor/unit/{slug}/rtl`: record a follow-up action for an element.
pub async fn add(
    state: web::Data<AppState>,
    reader: UnitReader,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, WebError> {
    check_csrf(&reader.session, Some(&form.csrf))?;
    let UnitReader { session, unit } = reader;
    let slug = unit.slug.clone();
    let sub = form.sub == "1";
    let page_period = form.period.clone();
    let added = blocking(&state, move |state, conn| {
        let new = NewAction {
            period: &form.period,
            element: &form.element,
            action: &form.action,
            suggestion: &form.suggestion,
            owner: &form.owner,
            due: &form.due,
        };
        match follow_up::add(conn, &state.templates, &unit, &new, session.user.id) {
            Ok(period) => Ok(Ok(period)),
            Err(FollowUpError::Invalid { field, reason }) => match ADD_PROBLEMS.iter().find(|(f, _)| *f == field) {
                Some((_, code)) => Ok(Err(*code)),
                None => Err(FollowUpError::Invalid { field, reason }),
            },
            Err(other) => Err(other),
        }
    })
    .await?;
    Ok(match added {
        Ok(period) => back(&slug, &period.to_string(), sub, "tersimpan=1"),
        Err(code) => back(&slug, &page_period, sub, &format!("masalah={code}")),
    })
}

/// `POST /dasbor/unit/{slug}/rtl/{id}` (multipart: `status`, `note`, `url`, the image as `file`,
/// and the page's `period` and `sub`): change an action's status. Done needs evidence, dropped a
/// reason; without them the page says what is missing and nothing is stored.
pub async fn set_status(
    state: web::Data<AppState>,
    reader: UnitReader,
    path: web::Path<(String, i32)>,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let mut form = proof::read(payload).await?;
    check_csrf(&reader.session, Some(form.get("csrf")))?;
    let (_, id) = path.into_inner();
    let UnitReader { session, unit } = reader;
    let slug = unit.slug.clone();
    let (period, sub) = (form.get("period").to_string(), form.get("sub") == "1");
    if form.too_large {
        return Ok(back(&slug, &period, sub, &problem(ChangeProblem::Proof(ProofError::TooLarge))));
    }
    let image = std::mem::take(&mut form.file);
    let outcome = blocking(&state, move |_, conn| {
        let change = StatusChange { status: form.get("status"), note: form.get("note"), url: form.get("url"), image };
        match follow_up::set_status(conn, &unit, id, change, session.user.id) {
            Ok(_) => Ok(Ok(())),
            Err(FollowUpError::Refused(problem)) => Ok(Err(problem)),
            Err(other) => Err(other),
        }
    })
    .await?;
    Ok(match outcome {
        Ok(()) => back(&slug, &period, sub, "tersimpan=1"),
        Err(refused) => back(&slug, &period, sub, &problem(refused)),
    })
}

fn problem(problem: ChangeProblem) -> String {
    format!("masalah={}", problem.code())
}

/// `GET /dasbor/unit/{slug}/rtl/{id}/bukti`: the image that came with the action's evidence.
pub async fn evidence(
    state: web::Data<AppState>,
    UnitReader { unit, .. }: UnitReader,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, WebError> {
    let (_, id) = path.into_inner();
    let image = blocking(&state, move |_, conn| follow_up::evidence_image(conn, &unit, id)).await?;
    Ok(proof::image(image))
}
