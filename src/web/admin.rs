//! `/admin`: the regency's Bagian Organisasi manages units (the tree), services, populations, the
//! questionnaire of each unit, and users. Admins only; everyone else gets a 404.

use super::access::Admin;
use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, Nav};
use super::session::{self, Session};
use super::{see_other, AppState};
use crate::db::{self, units, users, DbError};
use crate::domain::names::{Role, Slug, UnitKind};
use crate::domain::period::Period;
use crate::domain::template::Lang;
use crate::password;
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
}

async fn page(
    state: &web::Data<AppState>,
    session: &Session,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let worker = state.clone();
    let (all, people, details, mail_problems) = web::block(move || -> Result<_, DbError> {
        let mut conn = worker.pool.get()?;
        let all = units::list(&mut conn)?;
        let ids: Vec<i32> = all.iter().map(|u| u.id).collect();
        let (mut services, mut populations) =
            (units::services_of_units(&mut conn, &ids)?, units::populations_of(&mut conn, &ids)?);
        let mut details = BTreeMap::new();
        for id in ids {
            let names: Vec<String> = services.remove(&id).unwrap_or_default().into_iter().map(|s| s.name).collect();
            // the three latest periods ("2026-10" sorts after "2026")
            let mut counts: Vec<(String, i64)> = populations.remove(&id).unwrap_or_default().into_iter().collect();
            counts.sort_by(|a, b| b.0.cmp(&a.0));
            let latest: Vec<String> = counts.into_iter().take(3).map(|(p, n)| format!("{p}: {n}")).collect();
            details.insert(id, (names.join(", "), latest.join(", ")));
        }
        let problems = db::mail_log::problems(&mut conn)?;
        Ok((all, users::list_with_units(&mut conn)?, details, problems))
    })
    .await??;
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

/// `POST /admin/{unit|service|population|template|user}`
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
    let worker = state.clone();
    let actor = session.user.id;
    let outcome = web::block(move || apply(&worker, actor, &action, &fields)).await??;
    match outcome {
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
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let mut conn = state.pool.get().map_err(DbError::from)?;
    let unit = |conn: &mut db::DbConnection, field: &str| match units::by_slug(conn, get(field)) {
        Ok(u) => Ok(Ok(u)),
        Err(DbError::NotFound) => Ok(Err(format!("{field}: unit '{}' tidak ada", get(field)))),
        Err(e) => Err(WebError::from(e)),
    };
    let conflict = |r: Result<(), DbError>| match r {
        Ok(()) => Ok(Ok(())),
        Err(DbError::Conflict(m)) => Ok(Err(m)),
        Err(e) => Err(WebError::from(e)),
    };
    let result = match action {
        "unit" => {
            let slug = match Slug::parse(get("slug")) {
                Ok(s) => s,
                Err(e) => return Ok(Err(format!("slug: {e}"))),
            };
            let Ok(kind) = get("kind").parse::<UnitKind>() else { return Ok(Err("kind: tidak dikenal".into())) };
            if get("name").is_empty() {
                return Ok(Err("name: wajib diisi".into()));
            }
            let parent_id = if get("parent").is_empty() {
                None
            } else {
                match unit(&mut conn, "parent")? {
                    Ok(u) => Some(u.id),
                    Err(m) => return Ok(Err(m)),
                }
            };
            let emails: Vec<String> =
                get("emails").split(',').map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
            if let Some(bad) = emails.iter().find(|e| !e.contains('@')) {
                return Ok(Err(format!("emails: '{bad}' bukan alamat email")));
            }
            conflict(
                units::create(
                    &mut conn,
                    &units::NewUnit {
                        slug: &slug,
                        name: get("name"),
                        kind,
                        parent_id,
                        contact_emails: &emails,
                        template_id: None,
                    },
                )
                .map(|_| ()),
            )?
        }
        "service" => {
            let target = match unit(&mut conn, "unit")? {
                Ok(u) => u,
                Err(m) => return Ok(Err(m)),
            };
            let slug = match Slug::parse(get("slug")) {
                Ok(s) => s,
                Err(e) => return Ok(Err(format!("slug: {e}"))),
            };
            if get("name").is_empty() {
                return Ok(Err("name: wajib diisi".into()));
            }
            conflict(units::add_service(&mut conn, target.id, &slug, get("name")).map(|_| ()))?
        }
        "population" => {
            let target = match unit(&mut conn, "unit")? {
                Ok(u) => u,
                Err(m) => return Ok(Err(m)),
            };
            let period = match get("period").parse::<Period>() {
                Ok(p @ (Period::Year { .. } | Period::Month { .. })) => p,
                _ => return Ok(Err("period: tulis tahun (2026) atau bulan (2026-10)".into())),
            };
            let Ok(count) = get("count").parse::<u32>() else { return Ok(Err("count: bilangan bulat ≥ 0".into())) };
            units::set_population(&mut conn, target.id, &period.to_string(), i64::from(count))?;
            Ok(())
        }
        "template" => {
            let target = match unit(&mut conn, "unit")? {
                Ok(u) => u,
                Err(m) => return Ok(Err(m)),
            };
            if state.catalog.get(get("template")).is_err() {
                return Ok(Err("template: tidak dikenal".into()));
            }
            units::set_template(&mut conn, target.id, Some(get("template")))?;
            Ok(())
        }
        "user" => {
            let email = get("email").to_lowercase();
            if !email.contains('@') || email.contains(char::is_whitespace) {
                return Ok(Err("email: bukan alamat email".into()));
            }
            let Ok(role) = get("role").parse::<Role>() else { return Ok(Err("role: tidak dikenal".into())) };
            let unit_ids = if get("unit").is_empty() {
                Vec::new()
            } else {
                match unit(&mut conn, "unit")? {
                    Ok(u) => vec![u.id],
                    Err(m) => return Ok(Err(m)),
                }
            };
            if role != Role::Admin && unit_ids.is_empty() {
                return Ok(Err("unit: kepala unit dan operator perlu unit".into()));
            }
            let hash = match password::hash(get("password")) {
                Ok(h) => h,
                Err(e) => return Ok(Err(format!("password: {e}"))),
            };
            conflict(
                users::create(
                    &mut conn,
                    &users::NewUser {
                        email: &email,
                        name: get("name"),
                        password_hash: &hash,
                        role,
                        unit_ids: &unit_ids,
                    },
                )
                .map(|_| ()),
            )?
        }
        "publish" => {
            let target = match unit(&mut conn, "unit")? {
                Ok(u) => u,
                Err(m) => return Ok(Err(m)),
            };
            let Ok(period) = get("period").parse::<Period>() else {
                return Ok(Err("period: periode tidak dikenal".into()));
            };
            db::publications::publish(&mut conn, target.id, &period.to_string(), actor)?;
            Ok(())
        }
        _ => return Err(WebError::NotFound),
    };
    if result.is_ok() {
        db::audit::record(
            &mut conn,
            Some(actor),
            &format!("admin.{action}"),
            &format!("{:?}", f.iter().filter(|(k, _)| *k != "csrf" && *k != "password").collect::<Vec<_>>()),
        )?;
    }
    Ok(result)
}
