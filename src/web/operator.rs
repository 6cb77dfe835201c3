//! Pages for a unit's operators: paper questionnaires, file imports and QR posters. Every page
//! answers 404 for a unit outside the user's scope, exactly as for a unit that does not exist.

use super::access::{DataEntry, SignedIn};
use super::error::WebError;
use super::i18n::Tr;
use super::pages::{form_page, html, FormSpec};
use super::session::{self, Session};
use super::{blocking, see_other, AppState};
use crate::db::units;
use crate::domain::names::{Channel, Role};
use crate::domain::period::local_date;
use crate::domain::template::Lang;
use crate::reports::poster::{render as render_poster, Poster, PosterFormat};
use crate::sheets::csv::CsvIssue;
use crate::survey::{self, sheet_import, Form, Message, Outcome, DATE_FIELD};
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use std::collections::BTreeMap;

const MAX_UPLOAD: usize = 10 * 1024 * 1024;

#[derive(Template)]
#[template(path = "operator.html")]
struct HomePage {
    tr: Tr,
    kiosk: bool,
    csrf: String,
    user_name: String,
    units: Vec<(String, String)>,
    /// `base_url` while it is this machine's own address: the posters' QR codes would not open
    base_url_warning: Option<String>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    tr: Tr,
    kiosk: bool,
    csrf: String,
    slug: String,
    unit_name: String,
    done: Option<String>,
    issues: Vec<(String, String, String)>,
}

fn tr() -> Tr {
    Tr::new(Lang::Id)
}

/// `GET /operator`: the units the user enters data for; unit heads go to their dashboard.
pub async fn home(state: web::Data<AppState>, SignedIn(session): SignedIn) -> Result<HttpResponse, WebError> {
    if session.role == Role::UnitHead {
        return Ok(see_other("/dasbor"));
    }
    let all = blocking(&state, |_, conn| units::list(conn)).await?;
    let units = all.into_iter().filter(|u| session.may_access(u.id)).map(|u| (u.slug, u.name)).collect();
    let page = HomePage {
        tr: tr(),
        kiosk: false,
        csrf: session.csrf.clone(),
        user_name: session.user.name.clone(),
        units,
        base_url_warning: state.config.base_url_is_local().then(|| state.config.base_url.clone()),
    };
    html(StatusCode::OK, &page)
}

fn paper_page(
    form: &Form,
    session: &Session,
    values: &BTreeMap<String, String>,
    messages: &[Message],
    notice: Option<String>,
) -> super::pages::FormPage {
    let tr = tr();
    form_page(FormSpec {
        form,
        template: &form.template,
        tr,
        values,
        messages,
        token: String::new(),
        csrf: session.csrf.clone(),
        notice,
        action: format!("/operator/{}/kertas", form.unit.slug),
        switch_href: "/operator".into(),
        kiosk: false,
        ask_ticket: false,
        date_label: Some(tr.t("operator.date").to_string()),
    })
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    tersimpan: Option<String>,
}

pub async fn paper_form(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, WebError> {
    let today = local_date(chrono::Utc::now(), state.config.timezone);
    let values = BTreeMap::from([(DATE_FIELD.to_string(), today.to_string())]);
    let notice = query.tersimpan.as_ref().map(|_| tr().t("operator.saved").to_string());
    html(StatusCode::OK, &paper_page(&form, &session, &values, &[], notice))
}

pub async fn paper_submit(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields: BTreeMap<String, String> = body.into_inner().into_iter().collect();
    session::check_csrf(&session, fields.get("csrf").map(String::as_str))?;
    let now = chrono::Utc::now();
    let today = local_date(now, state.config.timezone);
    let date = fields
        .get(DATE_FIELD)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .filter(|d| *d <= today && chrono::Datelike::year(d) >= crate::domain::period::MIN_YEAR);
    let Some(survey_date) = date else {
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &paper_page(&form, &session, &fields, &[Message::on(DATE_FIELD, "error.date")], None),
        );
    };
    let (form_for_block, fields_for_block) = (form.clone(), fields.clone());
    let user_id = session.user.id;
    let outcome = blocking(&state, move |_, conn| {
        survey::submit_paper(conn, &form_for_block, &fields_for_block, survey_date, now, user_id)
    })
    .await?;
    match outcome {
        Outcome::Stored { .. } => {
            state.metrics.submitted(Channel::Paper.as_str(), 1);
            Ok(see_other(format!("/operator/{}/kertas?tersimpan=1", form.unit.slug)))
        }
        Outcome::Rejected(rejection) => {
            html(StatusCode::UNPROCESSABLE_ENTITY, &paper_page(&form, &session, &fields, &rejection.messages, None))
        }
        // paper entry spends no token and has no rate limit, its unit was just found, and a
        // closed unit's paper questionnaires (filled in before it closed) are still typed in
        Outcome::Replayed { .. } | Outcome::RateLimited { .. } | Outcome::UnknownUnit | Outcome::Closed { .. } => {
            Err(WebError::Internal("paper entry refused as if it were a public post".into()))
        }
    }
}

fn import_page(form: &Form, session: &Session, done: Option<String>, issues: &[CsvIssue]) -> ImportPage {
    ImportPage {
        tr: tr(),
        kiosk: false,
        csrf: session.csrf.clone(),
        slug: form.unit.slug.clone(),
        unit_name: form.unit.name.clone(),
        done,
        issues: issues
            .iter()
            .map(|i| {
                let row = if i.row == 0 { "-".to_string() } else { i.row.to_string() };
                (row, i.column.clone().unwrap_or_else(|| "-".into()), i.reason.clone())
            })
            .collect(),
    }
}

pub async fn import_form(DataEntry { session, form }: DataEntry) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, &import_page(&form, &session, None, &[]))
}

pub async fn import_sample(DataEntry { form, .. }: DataEntry) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"skm-{}-contoh.csv\"", form.unit.slug),
        ))
        .body(sheet_import::sample_csv(&form.template)))
}

/// Reads the multipart upload: the CSRF field and the file (at most `MAX_UPLOAD` bytes).
async fn read_upload(mut payload: Multipart) -> Result<(String, Vec<u8>), WebError> {
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| WebError::Invalid { field: "file".into(), reason: e.to_string() })?;
        let name = field.name().unwrap_or_default().to_string();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::Invalid { field: name.clone(), reason: e.to_string() })?;
            if data.len() + chunk.len() > MAX_UPLOAD {
                return Err(WebError::Invalid {
                    field: name,
                    reason: format!("larger than {} MB", MAX_UPLOAD / 1024 / 1024),
                });
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
            "file" => file = data,
            _ => {}
        }
    }
    Ok((csrf, file))
}

pub async fn import_submit(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let (csrf, bytes) = read_upload(payload).await?;
    session::check_csrf(&session, Some(&csrf))?;
    let now = chrono::Utc::now();
    let today = local_date(now, state.config.timezone);
    let block_form = form.clone();
    let user_id = session.user.id;
    let result = blocking(&state, move |_, conn| -> Result<Result<usize, Vec<CsvIssue>>, crate::db::DbError> {
        let rows = match sheet_import::read_upload(&block_form.template, &bytes) {
            Ok(rows) => rows,
            Err(issues) => return Ok(Err(issues)),
        };
        sheet_import::import(conn, &block_form, rows, Channel::Import, now.naive_utc(), today, Some(user_id))
    })
    .await?;
    match result {
        Ok(count) => {
            state.metrics.submitted(Channel::Import.as_str(), count as u64);
            let done = tr().fill("import.done", &[("count", count.to_string())]);
            html(StatusCode::OK, &import_page(&form, &session, Some(done), &[]))
        }
        Err(issues) => html(StatusCode::UNPROCESSABLE_ENTITY, &import_page(&form, &session, None, &issues)),
    }
}

#[derive(serde::Deserialize)]
pub struct PosterQuery {
    layanan: Option<String>,
}

/// `GET /operator/{slug}/poster.{pdf,png,svg}[?layanan=…]`
pub async fn poster(
    state: web::Data<AppState>,
    DataEntry { form, .. }: DataEntry,
    path: web::Path<(String, String)>,
    query: web::Query<PosterQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, ext) = path.into_inner();
    let format = PosterFormat::from_extension(&ext).ok_or(WebError::NotFound)?;
    let poster = Poster::for_form(&form, query.layanan.as_deref(), &state.config.base_url)
        .ok_or_else(|| WebError::Invalid { field: "layanan".into(), reason: "not a service of this unit".into() })?;
    let bytes =
        web::block(move || render_poster(&poster, format)).await?.map_err(|e| WebError::Internal(e.to_string()))?;
    let name = match &query.layanan {
        Some(service) => format!("poster-skm-{}-{service}.{ext}", form.unit.slug),
        None => format!("poster-skm-{}.{ext}", form.unit.slug),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(bytes))
}
