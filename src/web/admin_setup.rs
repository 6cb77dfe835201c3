//! The setup workbook on `/admin` (issue 22): the template and the current setup to download,
//! the upload that shows a preview of what would change (or every bad cell), and the
//! confirmation that applies exactly the previewed plan. The upload is kept by its digest
//! between the two requests; the confirmation carries the digest and the plan's fingerprint, and
//! a plan that came out differently (the database changed meanwhile) is shown again, not
//! applied. The rules are `crate::setup`'s, shared with `skm setup`.

use super::access::Admin;
use super::admin;
use super::admin_invite::{self, Invited, LinkShown};
use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, Nav};
use super::session::{check_csrf, Session};
use super::{blocking, AppState};
use crate::accounts::{self, UserError};
use crate::db::{setup_uploads, DbConnection};
use crate::domain::template::Lang;
use crate::setup::{self, read::MAX_FILE_BYTES, Outcome, Plan, Preview, SetupError, SetupIssue};
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

#[derive(Template)]
#[template(path = "admin_setup.html")]
struct PreviewPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    /// that the database changed since the last preview, or that the upload is gone
    notice: Option<String>,
    /// (where, why) of each bad cell
    issues: Vec<(String, String)>,
    summary: String,
    changes: Vec<String>,
    /// the confirmation's fields: the upload's digest and the plan's fingerprint
    confirm: Option<(String, String)>,
}

/// The admin pages' language.
fn tr() -> Tr {
    Tr::new(Lang::Id)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx(name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, XLSX))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

fn fault(err: SetupError) -> WebError {
    match err {
        SetupError::Db(e) => e.into(),
        other => WebError::Internal(other.to_string()),
    }
}

/// `GET /admin/buku-kerja/contoh.xlsx`: the template with example rows and drop-downs.
pub async fn template(state: web::Data<AppState>, Admin(_): Admin) -> Result<HttpResponse, WebError> {
    let bytes = blocking(&state, |state, _| setup::template(&state.catalog).map_err(fault)).await?;
    Ok(xlsx("skm-buku-kerja-contoh.xlsx", bytes))
}

/// `GET /admin/buku-kerja/ekspor.xlsx`: the current setup in the same layout.
pub async fn export(state: web::Data<AppState>, Admin(_): Admin) -> Result<HttpResponse, WebError> {
    let bytes = blocking(&state, |state, conn| setup::export(conn, &state.catalog).map_err(fault)).await?;
    Ok(xlsx("skm-buku-kerja.xlsx", bytes))
}

/// What the upload form sent.
struct Upload {
    csrf: String,
    file: Vec<u8>,
    too_large: bool,
}

/// A file over the limit is read this far and dropped, so the browser gets the page that says
/// so instead of a broken connection; past it, reading stops.
const MAX_DRAINED_BYTES: usize = 32 * 1024 * 1024;
const MAX_FIELD_BYTES: usize = 4 * 1024;

async fn read_upload(mut payload: Multipart) -> Result<Upload, WebError> {
    let mut upload = Upload { csrf: String::new(), file: Vec::new(), too_large: false };
    let mut drained = 0usize;
    while let Some(part) = payload.next().await {
        let invalid = |reason: String| WebError::Invalid { field: "form".into(), reason };
        let mut part = part.map_err(|e| invalid(e.to_string()))?;
        let name = part.name().unwrap_or_default().to_string();
        let mut data = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| invalid(e.to_string()))?;
            if name == "file" {
                if upload.too_large || data.len() + chunk.len() > MAX_FILE_BYTES {
                    upload.too_large = true;
                    data = Vec::new();
                    drained += chunk.len();
                    if drained > MAX_DRAINED_BYTES {
                        return Ok(upload);
                    }
                    continue;
                }
            } else if data.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(invalid(format!("{name}: longer than 4 KB")));
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => upload.file = data,
            "csrf" => upload.csrf = String::from_utf8_lossy(&data).trim().to_string(),
            _ => {}
        }
    }
    Ok(upload)
}

/// Uploads unconfirmed for this long are removed with the next upload.
const KEPT_HOURS: i64 = 24;

/// `POST /admin/buku-kerja/pratinjau` (multipart: `csrf`, the workbook as `file`): the preview.
pub async fn preview(
    state: web::Data<AppState>,
    Admin(session): Admin,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let upload = read_upload(payload).await?;
    check_csrf(&session, Some(&upload.csrf))?;
    if upload.too_large {
        return notice_page(&session, tr().t("setup.web.too_large").to_string());
    }
    if upload.file.is_empty() {
        return notice_page(&session, tr().t("setup.web.no_file").to_string());
    }
    let actor = session.user.id;
    let bytes = upload.file;
    let outcome = blocking(&state, move |state, conn| -> Result<_, WebError> {
        let now = chrono::Utc::now().naive_utc();
        setup_uploads::remove_older_than(conn, now - chrono::Duration::hours(KEPT_HOURS))?;
        let preview = setup::preview(conn, &state.catalog, Some(actor), &bytes).map_err(fault)?;
        let digest = setup::digest(&bytes);
        if matches!(&preview, Preview::Ready(plan) if !plan.is_empty()) {
            setup_uploads::save(conn, &digest, &bytes, Some(actor), now)?;
        }
        Ok((preview, digest))
    })
    .await?;
    match outcome {
        (Preview::Refused(issues), _) => refused_page(&session, issues),
        (Preview::Ready(plan), digest) => plan_page(&session, &plan, &digest, None),
    }
}

/// Every field may be missing: a missing CSRF token is refused as a wrong one (403), not as a
/// malformed form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ApplyForm {
    csrf: String,
    digest: String,
    plan: String,
}

/// `POST /admin/buku-kerja/terapkan` (`digest`, `plan`): applies the previewed plan.
pub async fn apply(
    state: web::Data<AppState>,
    Admin(session): Admin,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, WebError> {
    let ApplyForm { csrf, digest, plan } = form.into_inner();
    check_csrf(&session, Some(&csrf))?;
    let actor = session.user.id;
    let key = digest.clone();
    let outcome = blocking(&state, move |state, conn| -> Result<_, WebError> {
        let Some(bytes) = setup_uploads::load(conn, &key)? else { return Ok(None) };
        let now = chrono::Utc::now().naive_utc();
        let outcome = setup::apply(conn, &state.catalog, Some(actor), &bytes, Some(&plan), now).map_err(fault)?;
        if matches!(outcome, Outcome::Applied(_)) {
            setup_uploads::remove(conn, &key)?;
        }
        Ok(Some(outcome))
    })
    .await?;
    match outcome {
        None => notice_page(&session, tr().t("setup.web.expired").to_string()),
        Some(Outcome::Refused(issues)) => refused_page(&session, issues),
        Some(Outcome::Changed(plan)) => {
            plan_page(&session, &plan, &digest, Some(tr().t("setup.web.changed_meanwhile").to_string()))
        }
        Some(Outcome::Applied(applied)) => {
            let mut message = tr().fill("setup.web.applied", &[("summary", applied.summary(tr()))]);
            let new_users = applied.new_users;
            let (mailed, links) =
                blocking(&state, move |state, conn| invite_all(state, conn, actor, &new_users)).await?;
            if !mailed.is_empty() {
                message = format!("{message} {}", tr().fill("setup.web.invited", &[("emails", mailed.join(", "))]));
            }
            admin::page_with_links(&state, &session, message, links).await
        }
    }
}

/// Invites the workbook's new users (an account it added disabled gets none): mailed when
/// e-mail is set up, otherwise their links are shown once on the page.
fn invite_all(
    state: &AppState,
    conn: &mut DbConnection,
    actor: i32,
    emails: &[String],
) -> Result<(Vec<String>, Vec<LinkShown>), WebError> {
    let now = chrono::Utc::now().naive_utc();
    let (mut mailed, mut links) = (Vec::new(), Vec::new());
    for email in emails {
        let invitation = match accounts::invite(conn, Some(actor), email, now) {
            Ok(invitation) => invitation,
            Err(UserError::Disabled(_)) => continue,
            Err(UserError::Db(e)) => return Err(e.into()),
            Err(other) => return Err(WebError::Internal(other.to_string())),
        };
        match admin_invite::deliver(state, conn, &invitation)? {
            Invited::Mailed(_) => mailed.push(email.clone()),
            Invited::Shown(link) => links.push(link),
        }
    }
    Ok((mailed, links))
}

fn page(session: &Session) -> PreviewPage {
    PreviewPage {
        tr: tr(),
        kiosk: false,
        nav: Nav::of(session),
        csrf: session.csrf.clone(),
        notice: None,
        issues: Vec::new(),
        summary: String::new(),
        changes: Vec::new(),
        confirm: None,
    }
}

fn plan_page(session: &Session, plan: &Plan, digest: &str, notice: Option<String>) -> Result<HttpResponse, WebError> {
    let view = PreviewPage {
        notice,
        summary: plan.summary(tr()),
        changes: plan.lines(tr()),
        confirm: (!plan.is_empty()).then(|| (digest.to_string(), plan.fingerprint())),
        ..page(session)
    };
    html(StatusCode::OK, &view)
}

fn refused_page(session: &Session, issues: Vec<SetupIssue>) -> Result<HttpResponse, WebError> {
    let issues = issues.iter().map(|i| (i.place(tr()), i.problem.text(tr()))).collect();
    html(StatusCode::UNPROCESSABLE_ENTITY, &PreviewPage { issues, ..page(session) })
}

fn notice_page(session: &Session, notice: String) -> Result<HttpResponse, WebError> {
    html(StatusCode::UNPROCESSABLE_ENTITY, &PreviewPage { notice: Some(notice), ..page(session) })
}
