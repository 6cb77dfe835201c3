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
use crate::sheets::csv::{CsvIssue, Problem};
use crate::survey::sheet_import::{self, ImportOutcome, Upload};
use crate::survey::{self, Form, Message, Outcome, DATE_FIELD};
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
    /// row, column, reason
    issues: Vec<(String, String, String)>,
    again: Option<Again>,
}

/// The question when the file was imported before: when, and the hash the confirmation carries.
struct Again {
    content_hash: String,
    earlier: String,
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
    let today = local_date(chrono::Utc::now(), form.unit.zone_or(state.config.timezone));
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
    let today = local_date(now, form.unit.zone_or(state.config.timezone));
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
        Outcome::Replayed { .. }
        | Outcome::RateLimited { .. }
        | Outcome::UnknownUnit
        | Outcome::Closed { .. }
        | Outcome::DeviceRevoked => Err(WebError::Internal("paper entry refused as if it were a public post".into())),
    }
}

fn import_page(form: &Form, session: &Session, tr: Tr) -> ImportPage {
    ImportPage {
        tr,
        kiosk: false,
        csrf: session.csrf.clone(),
        slug: form.unit.slug.clone(),
        unit_name: form.unit.name.clone(),
        done: None,
        issues: Vec::new(),
        again: None,
    }
}

pub async fn import_form(DataEntry { session, form }: DataEntry) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, &import_page(&form, &session, tr()))
}

pub async fn import_sample(
    state: web::Data<AppState>,
    DataEntry { form, .. }: DataEntry,
) -> Result<HttpResponse, WebError> {
    let today = local_date(chrono::Utc::now(), form.unit.zone_or(state.config.timezone));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"skm-{}-contoh.csv\"", form.unit.slug),
        ))
        .body(sheet_import::sample_csv(&form, today)))
}

/// The multipart upload's fields.
#[derive(Default)]
struct UploadForm {
    csrf: String,
    /// `None` when it was larger than `MAX_UPLOAD`
    file: Option<Vec<u8>>,
    /// the confirmation box: the hash of the file the person agreed to import again
    again: Option<String>,
}

/// Reads the multipart upload. A file over `MAX_UPLOAD` is read to its end but not kept, so the
/// page can say so.
async fn read_upload(mut payload: Multipart) -> Result<UploadForm, WebError> {
    let mut upload = UploadForm { file: Some(Vec::new()), ..UploadForm::default() };
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| WebError::Invalid { field: "file".into(), reason: e.to_string() })?;
        let name = field.name().unwrap_or_default().to_string();
        let mut data = Some(Vec::new());
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::Invalid { field: name.clone(), reason: e.to_string() })?;
            data = data.filter(|d| d.len() + chunk.len() <= MAX_UPLOAD).map(|mut d| {
                d.extend_from_slice(&chunk);
                d
            });
        }
        let text = || data.as_deref().map(|d| String::from_utf8_lossy(d).into_owned()).unwrap_or_default();
        match name.as_str() {
            "csrf" => upload.csrf = text(),
            "ulang" => upload.again = Some(text()),
            "file" => upload.file = data,
            _ => {}
        }
    }
    Ok(upload)
}

pub async fn import_submit(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let upload = read_upload(payload).await?;
    session::check_csrf(&session, Some(&upload.csrf))?;
    let tr = tr();
    let mut page = import_page(&form, &session, tr);
    let Some(bytes) = upload.file else {
        let too_large = CsvIssue::file(Problem::FileTooLarge { megabytes: MAX_UPLOAD / 1024 / 1024 });
        page.issues = issue_rows(tr, &[too_large]);
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let now = chrono::Utc::now();
    let today = local_date(now, form.unit.zone_or(state.config.timezone));
    let block_form = form.clone();
    let actor = Some(session.user.id);
    let outcome = blocking(&state, move |_, conn| {
        let upload = Upload {
            bytes: &bytes,
            channel: Channel::Import,
            now: now.naive_utc(),
            today,
            actor,
            again: upload.again.as_deref(),
        };
        sheet_import::import(conn, &block_form, &upload)
    })
    .await?;
    match outcome {
        ImportOutcome::Imported { count } => {
            state.metrics.submitted(Channel::Import.as_str(), count as u64);
            page.done = Some(tr.fill("import.done", &[("count", count.to_string())]));
            html(StatusCode::OK, &page)
        }
        ImportOutcome::Refused(issues) => {
            page.issues = issue_rows(tr, &issues);
            html(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        ImportOutcome::AlreadyImported { content_hash, earlier } => {
            let earlier = sheet_import::earlier_import(tr, &earlier, state.config.timezone);
            page.again = Some(Again { content_hash, earlier });
            html(StatusCode::CONFLICT, &page)
        }
    }
}

/// Each problem as the page's table shows it: row, column, reason in the page's language.
fn issue_rows(tr: Tr, issues: &[CsvIssue]) -> Vec<(String, String, String)> {
    issues
        .iter()
        .map(|i| {
            let row = if i.row == 0 { "-".to_string() } else { i.row.to_string() };
            (row, i.column.clone().unwrap_or_else(|| "-".into()), i.problem.sentence(tr))
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct PosterQuery {
    layanan: Option<String>,
    /// a counter's own poster: its QR code records the counter (`/s/{slug}?loket=…`)
    loket: Option<String>,
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
    let poster = match query.loket.as_deref() {
        None => poster,
        Some(code) => {
            let (unit_id, code) = (form.unit.id, crate::domain::desk::normalize_code(code));
            let found = blocking(&state, move |_, conn| {
                crate::db::counters::by_code(conn, crate::db::counters::Roster::Counters, unit_id, &code)
            })
            .await?
            .filter(|counter| counter.enabled)
            .ok_or_else(|| WebError::Invalid { field: "loket".into(), reason: "not a counter of this unit".into() })?;
            poster.at_counter(&found.code, &found.name)
        }
    };
    let bytes =
        web::block(move || render_poster(&poster, format)).await?.map_err(|e| WebError::Internal(e.to_string()))?;
    // the regency's readiness checklist lists the units that never downloaded a poster
    let unit_id = form.unit.id;
    blocking(&state, move |_, conn| units::record_poster_download(conn, &[unit_id])).await?;
    let mut name = match &query.layanan {
        Some(service) => format!("poster-skm-{}-{service}", form.unit.slug),
        None => format!("poster-skm-{}", form.unit.slug),
    };
    if let Some(code) = query.loket.as_deref() {
        name.push_str(&format!("-{}", crate::domain::desk::normalize_code(code)));
    }
    let name = format!("{name}.{ext}");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(bytes))
}
