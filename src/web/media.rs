//! The publication-media log (SPEC §6a): the admin form that records where a published period
//! was published (multipart, for its proof image), and the proof image served back to those who
//! may see the unit. Deleting an entry is an `/admin` form (`admin::act`, `delete_medium`).

use super::access::{Admin, UnitReader};
use super::admin;
use super::error::WebError;
use super::session::check_csrf;
use super::{blocking, proof, see_other, AppState};
use crate::domain::proof::ProofError;
use crate::publications::{self, MediaError, NewMedium};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// `POST /admin/publikasi/media` (multipart: `publication` as `slug|period`, `medium`, `date`,
/// `url`, `note`, the image as `file`).
pub async fn add(
    state: web::Data<AppState>,
    Admin(session): Admin,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let mut form = proof::read(payload).await?;
    check_csrf(&session, Some(form.get("csrf")))?;
    let refused = |text: String| admin::page(&state, &session, Some(text), false, StatusCode::UNPROCESSABLE_ENTITY);
    if form.too_large {
        return refused(admin::proof_words("image", ProofError::TooLarge)).await;
    }
    let image = std::mem::take(&mut form.file);
    let actor = session.user.id;
    let outcome = blocking(&state, move |_, conn| {
        // the form picks a published period as "slug|period"
        let (unit, period) = form.get("publication").split_once('|').unwrap_or_default();
        let new = NewMedium {
            unit,
            period,
            medium: form.get("medium"),
            date: form.get("date"),
            url: form.get("url"),
            note: form.get("note"),
            image,
        };
        match publications::add_medium(conn, Some(actor), new) {
            Ok(_) => Ok(Ok(())),
            Err(MediaError::Db(e)) => Err(WebError::from(e)),
            Err(problem) => Ok(Err(admin::media_words(&problem))),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other("/admin?ok=1#h-media")),
        Err(text) => refused(text).await,
    }
}

/// `GET /dasbor/unit/{slug}/publikasi/{medium}`: an entry's proof image, for admins and the
/// unit's heads.
pub async fn proof_image(
    state: web::Data<AppState>,
    UnitReader { unit, .. }: UnitReader,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, WebError> {
    let (_, id) = path.into_inner();
    let image = blocking(&state, move |_, conn| match publications::proof_image(conn, &unit, id) {
        Ok(image) => Ok(image),
        Err(MediaError::Db(e)) => Err(WebError::from(e)),
        Err(_) => Err(WebError::NotFound),
    })
    .await?;
    Ok(proof::image(image))
}
