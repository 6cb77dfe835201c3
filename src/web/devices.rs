//! The operator's page of a unit's enrolled devices (issue 20): enrol a kiosk tablet or an
//! enumerator's phone (a one-time code and its QR, shown once), see each device's last sync and
//! the responses it said were waiting, and revoke one.

use super::access::DataEntry;
use super::error::WebError;
use super::i18n::Tr;
use super::pages::html;
use super::session::{self, Session};
use super::{blocking, see_other, AppState};
use crate::db::counters::{self, Member, Roster};
use crate::db::units;
use crate::devices::{self, FormProblem, NewDeviceRequest, Profile, Started};
use crate::domain::device::Kind;
use crate::domain::template::Lang;
use crate::survey::Form;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use base64::Engine;
use chrono::NaiveDateTime;

/// A device as the list shows it.
struct Row {
    public_id: String,
    label: String,
    kind: &'static str,
    /// the enumerator, or the kiosk's counter
    who: String,
    /// the units of a device that serves several
    units: String,
    status: &'static str,
    status_class: &'static str,
    enrolled: bool,
    revoked: bool,
    last_sync: String,
    pending: String,
    refused: String,
}

/// The code just made, shown once.
struct NewCode {
    code: String,
    link: String,
    qr: String,
    expires: String,
    label: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    tr: Tr,
    kiosk: bool,
    csrf: String,
    slug: String,
    unit_name: String,
    notice: Option<String>,
    new_code: Option<NewCode>,
    rows: Vec<Row>,
    counters: Vec<(String, String)>,
    /// slug, name, checked
    units: Vec<(String, String, bool)>,
    /// the form's values, kept after a refusal
    jenis: String,
    nama: String,
    petugas: String,
    loket: String,
    /// field, message
    errors: Vec<(String, String)>,
}

impl DevicesPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

fn tr() -> Tr {
    Tr::new(Lang::Id)
}

fn local(state: &AppState, at: Option<NaiveDateTime>, never: &str) -> String {
    match at {
        Some(at) => at.and_utc().with_timezone(&state.config.timezone).format("%d-%m-%Y %H:%M").to_string(),
        None => never.to_string(),
    }
}

fn row(state: &AppState, tr: Tr, profile: &Profile) -> Row {
    let device = &profile.device;
    let (status, status_class) = match (device.revoked_at, device.enrolled_at) {
        (Some(_), _) => (tr.t("devices.status.revoked"), "bad"),
        (None, Some(_)) => (tr.t("devices.status.active"), "good"),
        (None, None) => (tr.t("devices.status.waiting"), "warn"),
    };
    let who = match profile.kind {
        Kind::Enumerator => device.person.clone().unwrap_or_default(),
        Kind::Kiosk => profile.counter.clone().map(|c| format!("{} {c}", tr.t("devices.counter"))).unwrap_or_default(),
    };
    let refused = match (device.refused_uploads, device.last_refused_at) {
        (0, _) => "0".to_string(),
        (n, at) => format!("{n} ({})", local(state, at, "")),
    };
    Row {
        public_id: device.public_id.clone(),
        label: device.label.clone(),
        kind: match profile.kind {
            Kind::Kiosk => tr.t("devices.kind.kiosk"),
            Kind::Enumerator => tr.t("devices.kind.enumerator"),
        },
        who,
        // the page is the unit's own: other units are named only for a device that serves several
        units: match profile.units.len() {
            0 | 1 => String::new(),
            _ => profile.units.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", "),
        },
        status,
        status_class,
        enrolled: device.enrolled_at.is_some(),
        revoked: device.revoked_at.is_some(),
        last_sync: local(state, device.last_sync_at, tr.t("devices.never")),
        pending: device.pending_reported.map(|n| n.to_string()).unwrap_or_else(|| "–".into()),
        refused,
    }
}

/// The values of the enrolment form, as posted.
#[derive(Default)]
struct Posted {
    csrf: String,
    jenis: String,
    nama: String,
    petugas: String,
    loket: String,
    units: Vec<String>,
}

impl Posted {
    fn read(fields: Vec<(String, String)>) -> Posted {
        let mut posted = Posted::default();
        for (name, value) in fields {
            match name.as_str() {
                "csrf" => posted.csrf = value,
                "jenis" => posted.jenis = value,
                "nama" => posted.nama = value,
                "petugas" => posted.petugas = value,
                "loket" => posted.loket = value,
                "unit" => posted.units.push(value),
                _ => {}
            }
        }
        posted
    }
}

async fn page(
    state: &web::Data<AppState>,
    session: &Session,
    form: &Form,
    posted: Option<&Posted>,
    errors: Vec<(String, String)>,
    new_code: Option<(Started, String)>,
    notice: Option<String>,
) -> Result<DevicesPage, WebError> {
    let tr = tr();
    let scope = session.scope.clone();
    let unit_id = form.unit.id;
    let (profiles, counters, all_units) = blocking(state, move |_, conn| {
        let profiles = devices::for_units(conn, &[unit_id])?;
        let counters: Vec<Member> =
            counters::list(conn, Roster::Counters, unit_id)?.into_iter().filter(|c| c.enabled).collect();
        let all = units::list(conn)?;
        Ok::<_, crate::db::DbError>((profiles, counters, all))
    })
    .await?;
    let checked = |slug: &str| match posted {
        Some(p) => p.units.iter().any(|u| u == slug),
        None => slug == form.unit.slug,
    };
    let units = all_units
        .into_iter()
        .filter(|u| scope.contains(u.id) && u.active && !crate::survey::mpp::is_hall(u))
        .map(|u| {
            let on = checked(&u.slug);
            (u.slug, u.name, on)
        })
        .collect();
    let new_code = new_code.map(|(started, label)| {
        let code = started.code.grouped();
        let link = format!("{}/app/#daftar={code}", state.config.base_url.trim_end_matches('/'));
        let qr = crate::reports::invitation_qr::svg(&link)
            .map(|svg| format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
            .unwrap_or_default();
        let expires = local(state, Some(started.expires_at), "");
        NewCode { code, link, qr, expires, label }
    });
    Ok(DevicesPage {
        tr,
        kiosk: false,
        csrf: session.csrf.clone(),
        slug: form.unit.slug.clone(),
        unit_name: form.unit.name.clone(),
        notice,
        new_code,
        rows: profiles.iter().map(|p| row(state, tr, p)).collect(),
        counters: counters.into_iter().map(|c| (c.code, c.name)).collect(),
        units,
        jenis: posted.map(|p| p.jenis.clone()).unwrap_or_else(|| "kiosk".into()),
        nama: posted.map(|p| p.nama.clone()).unwrap_or_default(),
        petugas: posted.map(|p| p.petugas.clone()).unwrap_or_default(),
        loket: posted.map(|p| p.loket.clone()).unwrap_or_default(),
        errors,
    })
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    dicabut: Option<String>,
}

/// `GET /operator/{slug}/perangkat`
pub async fn list(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let notice = query.dicabut.as_ref().map(|_| tr().t("devices.revoked").to_string());
    html(StatusCode::OK, &page(&state, &session, &form, None, Vec::new(), None, notice).await?)
}

/// `POST /operator/{slug}/perangkat`: makes a device and shows its one-time code.
pub async fn enrol(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let posted = Posted::read(body.into_inner());
    session::check_csrf(&session, Some(&posted.csrf))?;
    let tr = tr();
    let Some(kind) = Kind::parse(posted.jenis.trim()) else {
        let errors = vec![("jenis".to_string(), tr.t("devices.error.kind").to_string())];
        let page = page(&state, &session, &form, Some(&posted), errors, None, None).await?;
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    // the units the form lists: open ones the user may enter data for, never a service hall
    // (its agencies hold the responses); others are ignored, as a tampered form's would be
    let wanted = posted.units.clone();
    let scope = session.scope.clone();
    let unit_ids = blocking(&state, move |_, conn| {
        let all = units::list(conn)?;
        Ok::<_, crate::db::DbError>(
            all.into_iter()
                .filter(|u| scope.contains(u.id) && u.active && !crate::survey::mpp::is_hall(u))
                .filter(|u| wanted.contains(&u.slug))
                .map(|u| u.id)
                .collect(),
        )
    })
    .await?;
    let request = NewDeviceRequest {
        kind,
        label: posted.nama.clone(),
        person: Some(posted.petugas.clone()),
        counter: Some(posted.loket.clone()),
        unit_ids,
    };
    let (actor, now) = (session.user.id, chrono::Utc::now());
    let label = posted.nama.trim().to_string();
    let outcome = blocking(&state, move |_, conn| devices::start_enrolment(conn, &request, actor, now)).await?;
    match outcome {
        Ok(started) => {
            let page = page(&state, &session, &form, None, Vec::new(), Some((started, label)), None).await?;
            html(StatusCode::OK, &page)
        }
        Err(problems) => {
            let errors = problems
                .iter()
                .map(|p: &FormProblem| {
                    let (field, key) = p.field_and_key();
                    (field.to_string(), tr.fill(key, &[("max", devices::NAME_MAX.to_string())]))
                })
                .collect();
            let page = page(&state, &session, &form, Some(&posted), errors, None, None).await?;
            html(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    /// missing: refused as a forged form, as a wrong secret is
    csrf: Option<String>,
}

/// The device a form posted about (its CSRF secret checked), if it serves the page's unit.
async fn posted_device(
    state: &web::Data<AppState>,
    session: &Session,
    form: &Form,
    path: web::Path<(String, String)>,
    body: &CsrfForm,
) -> Result<crate::db::devices::Device, WebError> {
    session::check_csrf(session, body.csrf.as_deref())?;
    let public_id = path.into_inner().1;
    let unit_id = form.unit.id;
    blocking(state, move |_, conn| devices::find_for_units(conn, &public_id, &[unit_id]))
        .await?
        .ok_or(WebError::NotFound)
}

/// `POST /operator/{slug}/perangkat/{device}/cabut`
pub async fn revoke(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    path: web::Path<(String, String)>,
    body: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    let device = posted_device(&state, &session, &form, path, &body).await?;
    let (actor, now) = (session.user.id, chrono::Utc::now());
    blocking(&state, move |_, conn| devices::revoke(conn, &device, actor, now)).await?;
    Ok(see_other(format!("/operator/{}/perangkat?dicabut=1", form.unit.slug)))
}

/// `POST /operator/{slug}/perangkat/{device}/kode`: a new code for a device not yet enrolled.
pub async fn new_code(
    state: web::Data<AppState>,
    DataEntry { session, form }: DataEntry,
    path: web::Path<(String, String)>,
    body: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    let device = posted_device(&state, &session, &form, path, &body).await?;
    let label = device.label.clone();
    let (actor, now) = (session.user.id, chrono::Utc::now());
    let started = blocking(&state, move |_, conn| devices::renew_code(conn, &device, actor, now)).await?;
    let Some(started) = started else {
        return Ok(see_other(format!("/operator/{}/perangkat", form.unit.slug)));
    };
    html(StatusCode::OK, &page(&state, &session, &form, None, Vec::new(), Some((started, label)), None).await?)
}
