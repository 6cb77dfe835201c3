//! `/admin`: the regency's Bagian Organisasi manages units (the tree), services, populations, the
//! questionnaire of each unit, each unit's kop surat and report signer, and users. Admins only;
//! everyone else gets a 404.

use super::access::Admin;
use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, Nav};
use super::session::{self, Session};
use super::{blocking, see_other, AppState};
use crate::accounts::{self, UserError};
use crate::db::{self, units, users, DbError};
use crate::domain::email::Email;
use crate::domain::names::{Role, Slug, UnitKind};
use crate::domain::period::Period;
use crate::domain::template::Lang;
use crate::letterhead::{LetterheadError, LetterheadInput, LogoChange};
use crate::units::{NewService, NewUnit, Population, Publication, UnitError};
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use std::collections::BTreeMap;

struct UnitRow {
    indent: String,
    slug: String,
    name: String,
    kind: String,
    template: String,
    services: String,
    populations: String,
    ticket: bool,
    letterhead: LetterheadRow,
}

/// A unit's kop surat and signer as the form shows them.
#[derive(Default)]
struct LetterheadRow {
    set: bool,
    agency: String,
    address: String,
    phone: String,
    website: String,
    has_logo: bool,
    place: String,
    position: String,
    head_name: String,
    nip: String,
}

/// A published period, with the form that takes it back.
struct PublishedRow {
    unit_name: String,
    slug: String,
    period: String,
    period_label: String,
    roll_up: bool,
    published_at: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    message: Option<String>,
    ok: bool,
    units: Vec<UnitRow>,
    templates: Vec<(String, String)>,
    users: Vec<(String, String, String, String)>,
    mail_problems: Vec<(String, String, String, i32, String)>,
    published: Vec<PublishedRow>,
}

async fn page(
    state: &web::Data<AppState>,
    session: &Session,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (all, people, details, mail_problems, publications, letterheads) =
        blocking(state, |_, conn| -> Result<_, DbError> {
            let all = units::list(conn)?;
            let ids: Vec<i32> = all.iter().map(|u| u.id).collect();
            let (mut services, mut populations) =
                (units::services_of_units(conn, &ids)?, units::populations_of(conn, &ids)?);
            let mut details = BTreeMap::new();
            for id in ids {
                let names: Vec<String> = services.remove(&id).unwrap_or_default().into_iter().map(|s| s.name).collect();
                // the three latest periods ("2026-10" sorts after "2026")
                let mut counts: Vec<(String, i64)> = populations.remove(&id).unwrap_or_default().into_iter().collect();
                counts.sort_by(|a, b| b.0.cmp(&a.0));
                let latest: Vec<String> = counts.into_iter().take(3).map(|(p, n)| format!("{p}: {n}")).collect();
                details.insert(id, (names.join(", "), latest.join(", ")));
            }
            let problems = db::mail_log::problems(conn)?;
            let letterheads = db::letterheads::all(conn)?;
            Ok((all, users::list_with_units(conn)?, details, problems, db::publications::all(conn)?, letterheads))
        })
        .await?;
    let mut rows = Vec::new();
    fn walk(
        all: &[units::Unit],
        parent: Option<i32>,
        depth: usize,
        out: &mut Vec<UnitRow>,
        details: &BTreeMap<i32, (String, String)>,
        letterheads: &[(i32, db::letterheads::Letterhead)],
        default: &str,
    ) {
        for unit in all.iter().filter(|u| u.parent_id == parent) {
            let (services, populations) = details.get(&unit.id).cloned().unwrap_or_default();
            let letterhead =
                letterheads.iter().find(|(id, _)| *id == unit.id).map_or_else(LetterheadRow::default, |(_, l)| {
                    LetterheadRow {
                        set: true,
                        agency: l.agency.clone(),
                        address: l.address.clone(),
                        phone: l.phone.clone(),
                        website: l.website.clone(),
                        has_logo: l.logo.is_some(),
                        place: l.place.clone(),
                        position: l.position.clone(),
                        head_name: l.head_name.clone(),
                        nip: crate::domain::letterhead::Nip::parse(&l.nip).map(|n| n.to_string()).unwrap_or_default(),
                    }
                });
            out.push(UnitRow {
                indent: "— ".repeat(depth),
                slug: unit.slug.clone(),
                name: unit.name.clone(),
                kind: unit.kind.clone(),
                template: unit.template_id.clone().unwrap_or_else(|| default.to_string()),
                services,
                populations,
                ticket: unit.ticket_mode,
                letterhead,
            });
            walk(all, Some(unit.id), depth + 1, out, details, letterheads, default);
        }
    }
    walk(&all, None, 0, &mut rows, &details, &letterheads, state.templates.default_id());
    let mut published: Vec<PublishedRow> = publications
        .into_iter()
        .filter_map(|p| {
            let unit = all.iter().find(|u| u.id == p.unit_id)?;
            let label = p.period.parse::<Period>().map(|period| period.label_id()).unwrap_or_else(|_| p.period.clone());
            Some(PublishedRow {
                unit_name: unit.name.clone(),
                slug: unit.slug.clone(),
                period_label: label,
                period: p.period,
                roll_up: p.with_subunits,
                // stored in UTC, shown in the regency's time zone (SPEC §5)
                published_at: p
                    .published_at
                    .and_utc()
                    .with_timezone(&state.config.timezone)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string(),
            })
        })
        .collect();
    published.sort_by(|a, b| a.unit_name.cmp(&b.unit_name).then_with(|| b.period.cmp(&a.period)));
    let view = AdminPage {
        tr: Tr::new(Lang::Id),
        kiosk: false,
        nav: Nav::of(session),
        csrf: session.csrf.clone(),
        message,
        ok,
        units: rows,
        templates: state
            .catalog
            .all()
            .map(|t| (t.id.clone(), format!("{} ({} unsur)", t.title.id, t.elements.len())))
            .collect(),
        users: people.into_iter().map(|(u, slugs)| (u.email, u.name, u.role, slugs.join(", "))).collect(),
        mail_problems: mail_problems
            .into_iter()
            .map(|(to, period, status, attempts, error)| (to, period, status, attempts, error.unwrap_or_default()))
            .collect(),
        published,
    };
    html(status, &view)
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    ok: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    Admin(session): Admin,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, WebError> {
    let message = query.ok.as_ref().map(|_| "Tersimpan.".to_string());
    page(&state, &session, message.clone(), message.is_some(), StatusCode::OK).await
}

/// `POST /admin/{unit|service|population|template|letterhead|user|publish|unpublish}`: a form
/// URL-encoded, or as multipart (the kop surat form, which may carry a logo).
pub async fn act(
    state: web::Data<AppState>,
    Admin(session): Admin,
    action: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let (fields, logo) = read_form(&request, payload).await?;
    session::check_csrf(&session, fields.get("csrf").map(String::as_str))?;
    let action = action.into_inner();
    let worker = state.clone();
    let actor = session.user.id;
    let outcome = web::block(move || apply(&worker, actor, &action, &fields, logo)).await.map_err(WebError::from)??;
    Ok(match outcome {
        Ok(()) => see_other("/admin?ok=1"),
        Err(problem) => page(&state, &session, Some(problem), false, StatusCode::UNPROCESSABLE_ENTITY).await?,
    })
}

/// Text fields of a multipart form are short and few; the logo is checked by `crate::letterhead`.
const MAX_FIELD: usize = 4 * 1024;
const MAX_FIELDS: usize = 32;

/// The form's fields, trimmed, and the logo file if one was chosen.
async fn read_form(
    request: &HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<(BTreeMap<String, String>, Option<Vec<u8>>)> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let form = web::Form::<Vec<(String, String)>>::from_request(request, &mut payload.into_inner()).await?;
        return Ok((form.into_inner().into_iter().map(|(k, v)| (k, v.trim().to_string())).collect(), None));
    }
    let mut parts = Multipart::new(request.headers(), payload.into_inner());
    let (mut fields, mut logo) = (BTreeMap::new(), None);
    while let Some(part) = parts.next().await {
        let invalid = |reason: String| WebError::Invalid { field: "form".into(), reason };
        let mut part = part.map_err(|e| invalid(e.to_string()))?;
        if fields.len() >= MAX_FIELDS {
            return Err(invalid(format!("more than {MAX_FIELDS} fields")).into());
        }
        let name = part.name().unwrap_or_default().to_string();
        let limit = if name == "logo" { crate::images::MAX_BYTES + 1 } else { MAX_FIELD };
        let mut data = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| invalid(e.to_string()))?;
            // one byte past the limit is enough for the service to say "too large"
            let room = limit.saturating_sub(data.len());
            data.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        if name == "logo" {
            // a file input left empty sends an empty part
            logo = Some(data).filter(|d| !d.is_empty());
        } else {
            fields.insert(name, String::from_utf8_lossy(&data).trim().to_string());
        }
    }
    Ok((fields, logo))
}

/// Applies one admin form; `Ok(Err(text))` is a problem with the input, shown on the page.
fn apply(
    state: &AppState,
    actor: i32,
    action: &str,
    f: &BTreeMap<String, String>,
    logo: Option<Vec<u8>>,
) -> Result<Result<(), String>, WebError> {
    match change(state, actor, action, f, logo) {
        Ok(()) => Ok(Ok(())),
        Err(Refusal::Input(text)) => Ok(Err(text)),
        Err(Refusal::Fault(err)) => Err(err),
    }
}

/// Reads one form into the input of its service function (`crate::units`, `crate::accounts`),
/// which checks the rules `skm unit …` and `skm user …` share and writes the audit record.
fn change(
    state: &AppState,
    actor: i32,
    action: &str,
    f: &BTreeMap<String, String>,
    logo: Option<Vec<u8>>,
) -> Result<(), Refusal> {
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    // a select left at "—" (or an empty field) chooses nothing
    let chosen = |name: &str| Some(get(name)).filter(|v| !v.is_empty()).map(String::from);
    let slug = |name: &str| Slug::parse(get(name)).map_err(|e| refuse(format!("{name}: {e}")));
    let mut conn = state.pool.get().map_err(DbError::from)?;
    let (conn, by) = (&mut conn, Some(actor));
    match action {
        "unit" => {
            let new = NewUnit {
                slug: slug("slug")?,
                kind: get("kind").parse::<UnitKind>().map_err(|_| refuse("kind: tidak dikenal"))?,
                name: get("name").into(),
                parent: chosen("parent"),
                contact_emails: contact_emails(get("emails"))?,
                template: None,
            };
            crate::units::add(conn, &state.catalog, by, new)?;
        }
        "service" => {
            let new = NewService { unit: get("unit").into(), slug: slug("slug")?, name: get("name").into() };
            crate::units::add_service(conn, by, new)?;
        }
        "population" => {
            let period = get("period").parse().map_err(|_| refuse(PERIOD_YEAR_OR_MONTH))?;
            let count = get("count").parse().map_err(|_| refuse("count: bilangan bulat ≥ 0"))?;
            crate::units::set_population(conn, by, Population { unit: get("unit").into(), period, count })?;
        }
        "template" => crate::units::set_template(conn, &state.catalog, by, get("unit"), get("template"))?,
        "letterhead" => {
            let text = |name: &str| Some(get(name).to_string());
            let input = LetterheadInput {
                unit: get("unit").into(),
                agency: text("agency"),
                address: text("address"),
                phone: text("phone"),
                website: text("website"),
                logo: match (logo, get("remove_logo")) {
                    (Some(bytes), _) => LogoChange::Set(bytes),
                    (None, "1") => LogoChange::Remove,
                    (None, _) => LogoChange::Keep,
                },
                place: text("place"),
                position: text("position"),
                head_name: text("head_name"),
                nip: text("nip"),
            };
            crate::letterhead::set(conn, by, input)?;
        }
        "user" => {
            let new = accounts::NewUser {
                email: Email::parse(get("email"))
                    .map_err(|reason| refuse(format!("email: {NOT_AN_ADDRESS} ({reason})")))?,
                name: get("name").into(),
                role: get("role").parse::<Role>().map_err(|_| refuse("role: tidak dikenal"))?,
                units: chosen("unit").into_iter().collect(),
                password: get("password").into(),
            };
            accounts::add_user(conn, by, new)?;
        }
        "publish" => crate::units::publish(conn, &state.templates, by, publication(f)?).map(drop)?,
        "unpublish" => crate::units::unpublish(conn, by, publication(f)?)?,
        _ => return Err(Refusal::Fault(WebError::NotFound)),
    }
    Ok(())
}

/// The unit and period of the publish and unpublish forms.
fn publication(f: &BTreeMap<String, String>) -> Result<Publication, Refusal> {
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let period = get("period").parse::<Period>().map_err(|_| refuse("period: periode tidak dikenal"))?;
    Ok(Publication { unit: get("unit").into(), period })
}

const NOT_AN_ADDRESS: &str = "bukan alamat email";
const PERIOD_YEAR_OR_MONTH: &str = "period: tulis tahun (2026) atau bulan (2026-10)";

/// The unit form's contact addresses, separated by commas; each must parse.
fn contact_emails(field: &str) -> Result<Vec<Email>, Refusal> {
    field
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Email::parse(e).map_err(|reason| refuse(format!("emails: '{e}' {NOT_AN_ADDRESS} ({reason})"))))
        .collect()
}

/// Why an admin form changed nothing: its input (a text for the page, in the page's Indonesian
/// where it has its own words, else the service's reason) or a fault of ours (the error page).
enum Refusal {
    Input(String),
    Fault(WebError),
}

fn refuse(text: impl Into<String>) -> Refusal {
    Refusal::Input(text.into())
}

impl From<DbError> for Refusal {
    fn from(err: DbError) -> Self {
        Refusal::Fault(err.into())
    }
}

impl From<UnitError> for Refusal {
    fn from(err: UnitError) -> Self {
        refuse(match err {
            UnitError::NameEmpty => "name: wajib diisi".to_string(),
            UnitError::ParentUnknown(slug) => format!("parent: unit '{slug}' tidak ada"),
            UnitError::UnitUnknown(slug) => format!("unit: unit '{slug}' tidak ada"),
            UnitError::PeriodNotYearOrMonth(_) => PERIOD_YEAR_OR_MONTH.to_string(),
            UnitError::TemplateUnknown(_) => "template: tidak dikenal".to_string(),
            UnitError::NoResponses { unit, period } => format!(
                "period: {unit} belum punya responden pada {}; hasil kosong tidak dipublikasikan",
                period.label_id()
            ),
            UnitError::NotPublished { unit, period } => {
                format!("period: hasil {unit} untuk {} tidak sedang dipublikasikan", period.label_id())
            }
            taken @ (UnitError::SlugTaken(_) | UnitError::ServiceSlugTaken(_)) => format!("slug: {taken}"),
            UnitError::Db(err) => return err.into(),
        })
    }
}

impl From<LetterheadError> for Refusal {
    fn from(err: LetterheadError) -> Self {
        let field = err.field().unwrap_or("input");
        refuse(match err {
            LetterheadError::UnitUnknown(slug) => format!("unit: unit '{slug}' tidak ada"),
            LetterheadError::TooLong { max, .. } => format!("{field}: paling banyak {max} karakter"),
            LetterheadError::NotOneLine { .. } => format!("{field}: satu baris teks"),
            LetterheadError::Nip => "nip: NIP terdiri atas 18 angka".to_string(),
            LetterheadError::Website => "website: alamat laman, mis. kutaitimurkab.go.id".to_string(),
            LetterheadError::Phone => "phone: hanya angka, spasi, dan + ( ) - . /".to_string(),
            LetterheadError::Logo(reason) => format!("logo: berkas PNG atau JPEG paling besar 512 KB ({reason})"),
            LetterheadError::Db(err) => return err.into(),
        })
    }
}

impl From<UserError> for Refusal {
    fn from(err: UserError) -> Self {
        refuse(match err {
            UserError::UnitMissing(_) => "unit: kepala unit dan operator perlu unit".to_string(),
            UserError::UnitUnknown(slug) => format!("unit: unit '{slug}' tidak ada"),
            short @ UserError::PasswordTooShort => format!("password: {short}"),
            taken @ UserError::EmailTaken(_) => format!("email: {taken}"),
            UserError::Hashing(reason) => return Refusal::Fault(WebError::Internal(reason)),
            UserError::Db(err) => return err.into(),
        })
    }
}
