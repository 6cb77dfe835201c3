//! `/admin`: the regency's Bagian Organisasi manages units (the tree), services, populations, the
//! questionnaire of each unit, users, publication and the publication-media log. Admins only;
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
use crate::domain::names::{Medium, Role, Slug, UnitKind};
use crate::domain::period::{date_id, Period};
use crate::domain::proof::{ProofError, MAX_IMAGE_BYTES};
use crate::domain::template::Lang;
use crate::publications::MediaError;
use crate::units::{NewService, NewUnit, Population, Publication, UnitError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
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
}

/// A published period, with the form that takes it back.
struct PublishedRow {
    unit_name: String,
    slug: String,
    period: String,
    period_label: String,
    roll_up: bool,
    published_at: String,
    /// "dipublikasikan di 4 media (5 bukti)", or that none is recorded yet
    media: String,
    /// no medium recorded yet
    no_media: bool,
}

/// The log's entries of one published period (or one taken back).
struct MediaGroup {
    /// "Pemerintah Kabupaten Kutai Timur — Triwulan III 2026"
    title: String,
    /// "dipublikasikan di 4 media (5 bukti)"
    count: String,
    /// the period was published and then taken back
    withdrawn: bool,
    rows: Vec<MediumRow>,
}

/// An entry of the publication-media log.
struct MediumRow {
    id: i32,
    medium: &'static str,
    date: String,
    url: Option<String>,
    /// the link's site, shown instead of the whole address
    url_label: String,
    /// the proof image's address
    image: Option<String>,
    note: String,
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
    media: Vec<MediaGroup>,
    /// the media a log entry may name: (value, label)
    media_kinds: Vec<(&'static str, &'static str)>,
    max_image_mb: usize,
}

/// The page, with a message (a problem with a form, or that it was saved).
pub(super) async fn page(
    state: &web::Data<AppState>,
    session: &Session,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (all, people, details, mail_problems, (publications, media)) =
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
            let publications = (db::publications::all(conn)?, db::publications::media(conn, None)?);
            Ok((all, users::list_with_units(conn)?, details, problems, publications))
        })
        .await?;
    let mut rows = Vec::new();
    fn walk(
        all: &[units::Unit],
        parent: Option<i32>,
        depth: usize,
        out: &mut Vec<UnitRow>,
        details: &BTreeMap<i32, (String, String)>,
        default: &str,
    ) {
        for unit in all.iter().filter(|u| u.parent_id == parent) {
            let (services, populations) = details.get(&unit.id).cloned().unwrap_or_default();
            out.push(UnitRow {
                indent: "— ".repeat(depth),
                slug: unit.slug.clone(),
                name: unit.name.clone(),
                kind: unit.kind.clone(),
                template: unit.template_id.clone().unwrap_or_else(|| default.to_string()),
                services,
                populations,
                ticket: unit.ticket_mode,
            });
            walk(all, Some(unit.id), depth + 1, out, details, default);
        }
    }
    walk(&all, None, 0, &mut rows, &details, state.templates.default_id());
    let tr = Tr::new(Lang::Id);
    let label_of = |period: &str| period.parse::<Period>().map(|p| p.label_id()).unwrap_or_else(|_| period.to_string());
    let counts = crate::publications::counts(&media);
    let mut published: Vec<PublishedRow> = publications
        .iter()
        .filter_map(|p| {
            let unit = all.iter().find(|u| u.id == p.unit_id)?;
            let label = label_of(&p.period);
            let counted = counts.get(&(p.unit_id, p.period.clone())).copied();
            Some(PublishedRow {
                media: match counted {
                    Some((media, entries)) => {
                        tr.fill("admin.media.count", &[("media", media.to_string()), ("entries", entries.to_string())])
                    }
                    None => tr.t("admin.media.none").to_string(),
                },
                no_media: counted.is_none(),
                unit_name: unit.name.clone(),
                slug: unit.slug.clone(),
                period_label: label,
                period: p.period.clone(),
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
    // the log grouped by published period, in the order it comes (unit, latest period first)
    let mut groups: Vec<MediaGroup> = Vec::new();
    let mut current: Option<(i32, String)> = None;
    for m in media {
        let Some(unit) = all.iter().find(|u| u.id == m.unit_id) else { continue };
        let key = (m.unit_id, m.period.clone());
        if current.as_ref() != Some(&key) {
            let (kinds, entries) = counts.get(&key).copied().unwrap_or_default();
            groups.push(MediaGroup {
                title: format!("{} — {}", unit.name, label_of(&m.period)),
                count: tr.fill("admin.media.count", &[("media", kinds.to_string()), ("entries", entries.to_string())]),
                withdrawn: !publications.iter().any(|p| p.unit_id == m.unit_id && p.period == m.period),
                rows: Vec::new(),
            });
            current = Some(key);
        }
        let row = MediumRow {
            id: m.id,
            medium: m.medium.parse::<Medium>().map(|k| k.label_id()).unwrap_or("–"),
            date: chrono::NaiveDate::parse_from_str(&m.published_on, "%Y-%m-%d").map(date_id).unwrap_or(m.published_on),
            url_label: m.url.as_deref().map(site_of).unwrap_or_default(),
            url: m.url,
            image: m.image_id.map(|_| format!("/dasbor/unit/{}/publikasi/{}", unit.slug, m.id)),
            note: m.note.unwrap_or_default(),
        };
        if let Some(group) = groups.last_mut() {
            group.rows.push(row);
        }
    }
    let view = AdminPage {
        tr,
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
        media: groups,
        media_kinds: Medium::ALL.iter().map(|m| (m.as_str(), m.label_id())).collect(),
        max_image_mb: MAX_IMAGE_BYTES / 1024 / 1024,
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

/// `POST /admin/{unit|service|population|template|user|publish|unpublish|delete_medium}`
pub async fn act(
    state: web::Data<AppState>,
    Admin(session): Admin,
    action: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields: BTreeMap<String, String> =
        body.into_inner().into_iter().map(|(k, v)| (k, v.trim().to_string())).collect();
    session::check_csrf(&session, fields.get("csrf").map(String::as_str))?;
    let action = action.into_inner();
    let action_is_media = action == "delete_medium";
    let worker = state.clone();
    let actor = session.user.id;
    let outcome = web::block(move || apply(&worker, actor, &action, &fields)).await??;
    match outcome {
        Ok(()) if action_is_media => Ok(see_other("/admin?ok=1#h-media")),
        Ok(()) => Ok(see_other("/admin?ok=1")),
        Err(problem) => page(&state, &session, Some(problem), false, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// Applies one admin form; `Ok(Err(text))` is a problem with the input, shown on the page.
fn apply(
    state: &AppState,
    actor: i32,
    action: &str,
    f: &BTreeMap<String, String>,
) -> Result<Result<(), String>, WebError> {
    match change(state, actor, action, f) {
        Ok(()) => Ok(Ok(())),
        Err(Refusal::Input(text)) => Ok(Err(text)),
        Err(Refusal::Fault(err)) => Err(err),
    }
}

/// Reads one form into the input of its service function (`crate::units`, `crate::accounts`),
/// which checks the rules `skm unit …` and `skm user …` share and writes the audit record.
fn change(state: &AppState, actor: i32, action: &str, f: &BTreeMap<String, String>) -> Result<(), Refusal> {
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
        "delete_medium" => {
            let id = get("id").parse().map_err(|_| refuse("id: entri media tidak dikenal"))?;
            crate::publications::remove_medium(conn, by, id)?;
        }
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

/// "kutaitimurkab.go.id/berita/…" for a long link: the site and where the path begins.
fn site_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    match rest.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &rest[..cut]),
        None => rest.to_string(),
    }
}

/// What was wrong with the form, in the admin page's Indonesian.
pub(super) fn media_words(problem: &MediaError) -> String {
    match problem {
        MediaError::Invalid { field: "medium", .. } => "medium: jenis media tidak dikenal".into(),
        MediaError::Invalid { field: "date", .. } => "date: tulis tanggal seperti 2026-11-05".into(),
        MediaError::Invalid { field, .. } => format!("{field}: pilih hasil yang dipublikasikan"),
        MediaError::Proof { field, problem } => proof_words(field, *problem),
        MediaError::NoProof => "bukti: isi tautan, unggah gambar, atau keduanya".into(),
        MediaError::UnitUnknown(slug) => format!("unit: unit '{slug}' tidak ada"),
        MediaError::NotPublished { unit, period } => {
            format!("period: hasil {unit} untuk {} tidak sedang dipublikasikan", period.label_id())
        }
        MediaError::NotFound => "entri media tidak ada (sudah dihapus?)".into(),
        MediaError::Db(e) => e.to_string(),
    }
}

pub(super) fn proof_words(field: &str, problem: ProofError) -> String {
    let reason = match problem {
        ProofError::NotAnImage => "bukan gambar PNG, JPEG atau WebP",
        ProofError::TooLarge => "gambar lebih dari 2 MB",
        ProofError::BadUrl => "bukan alamat web yang diawali http:// atau https://",
        ProofError::NoteTooLong => "lebih dari 1000 karakter",
    };
    format!("{field}: {reason}")
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

impl From<MediaError> for Refusal {
    fn from(err: MediaError) -> Self {
        match err {
            MediaError::Db(err) => err.into(),
            problem => refuse(media_words(&problem)),
        }
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
