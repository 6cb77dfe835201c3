//! `/admin`'s population import and the regency's posters: the monthly CSV of populations from
//! the service systems (`POST /admin/populasi/impor`, multipart, all rows or none, every bad cell
//! listed on the page), its example file (`GET /admin/populasi/contoh.csv`), and every active
//! unit's QR poster in one PDF (`GET /admin/poster-semua.pdf`, which records the download).

use super::access::Admin;
use super::admin::{self, Panel};
use super::error::WebError;
use super::i18n::Tr;
use super::session::check_csrf;
use super::{blocking, proof, AppState};
use crate::db::units;
use crate::domain::period::{local_date, Period};
use crate::domain::proof::MAX_IMAGE_BYTES;
use crate::domain::template::Lang;
use crate::reports::poster::PosterError;
use crate::reports::posters;
use crate::sheets::issue::{CsvIssue, Problem};
use crate::sheets::population;
use crate::units::{self as manage, PopulationCounts, PopulationImportError};
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

fn tr() -> Tr {
    Tr::new(Lang::Id)
}

/// `POST /admin/populasi/impor` (multipart: `csrf`, the CSV as `file`): the counts on success;
/// otherwise the page again with every bad cell and nothing saved.
pub async fn import(
    state: web::Data<AppState>,
    Admin(session): Admin,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let form = proof::read(payload).await?;
    check_csrf(&session, Some(form.get("csrf")))?;
    let t = tr();
    let refused = |issues: Vec<CsvIssue>| {
        let panel = Panel { issues: issue_rows(t, &issues), ..Panel::default() };
        let message = Some(t.t("population.import.refused").to_string());
        admin::page_with_panel(&state, &session, message, false, StatusCode::UNPROCESSABLE_ENTITY, panel)
    };
    if form.too_large {
        return refused(vec![CsvIssue::file(Problem::FileTooLarge { megabytes: MAX_IMAGE_BYTES / 1024 / 1024 })]).await;
    }
    if form.file.is_empty() {
        let message = Some(t.t("population.import.no_file").to_string());
        return admin::page(&state, &session, message, false, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let rows = match population::parse(form.file.as_slice()) {
        Ok(rows) => rows,
        Err(issues) => return refused(issues).await,
    };
    let actor = session.user.id;
    let outcome = blocking(&state, move |_, conn| match manage::import_populations(conn, Some(actor), &rows) {
        Ok(counts) => Ok(Ok(counts)),
        Err(PopulationImportError::Issues(issues)) => Ok(Err(issues)),
        Err(PopulationImportError::Db(e)) => Err(WebError::from(e)),
    })
    .await?;
    match outcome {
        Ok(PopulationCounts { new, changed, unchanged }) => {
            let args =
                [("new", new.to_string()), ("changed", changed.to_string()), ("unchanged", unchanged.to_string())];
            let message = Some(t.fill("population.import.done", &args));
            admin::page(&state, &session, message, true, StatusCode::OK).await
        }
        Err(issues) => refused(issues).await,
    }
}

/// Each problem as the page's table shows it: row, column, reason.
fn issue_rows(t: Tr, issues: &[CsvIssue]) -> Vec<(String, String, String)> {
    issues
        .iter()
        .map(|i| {
            let row = if i.row == 0 { "-".to_string() } else { i.row.to_string() };
            (row, i.column.clone().unwrap_or_else(|| "-".into()), i.problem.sentence(t))
        })
        .collect()
}

/// `GET /admin/populasi/contoh.csv`: every active unit for last month, the counts to fill in.
pub async fn example(state: web::Data<AppState>, Admin(_): Admin) -> Result<HttpResponse, WebError> {
    let all = blocking(&state, |_, conn| units::list(conn)).await?;
    let today = local_date(chrono::Utc::now(), state.config.timezone);
    let last_month = Period::month_of(today).previous();
    let active: Vec<(String, String)> = all.into_iter().filter(|u| u.active).map(|u| (u.slug, u.name)).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"populasi-{last_month}.csv\"")))
        .body(population::example(&active, &last_month)))
}

/// `GET /admin/poster-semua.pdf`: every active unit's QR poster, one A4 page each (and one per
/// service for the units that ask for it); records the download for each of them.
pub async fn all_posters(state: web::Data<AppState>, Admin(_): Admin) -> Result<HttpResponse, WebError> {
    let all = blocking(&state, |state, conn| {
        posters::download_all(conn, &state.templates, &state.config.base_url).map_err(|e| match e {
            PosterError::Db(e) => WebError::from(e),
            other => WebError::Internal(other.to_string()),
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"poster-semua.pdf\""))
        .body(all.pdf))
}
