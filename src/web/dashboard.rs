//! Dashboards: the regency overview (admins; unit heads see their own units) and a unit's page
//! with its index, charts, saran and follow-up plan. Unit heads and admins only; a unit outside
//! the user's scope is a 404.

use super::error::WebError;
use super::i18n::Tr;
use super::pages::html;
use super::session::{self, Session};
use super::AppState;
use crate::aggregator::{self, Selection};
use crate::charts;
use crate::db::aggregate;
use crate::db::{rtl, units, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::names::Role;
use crate::domain::period::{local_date, Period};
use crate::domain::template::{IndexKind, Lang};
use crate::reports::profile::profile_table;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template as Askama;
use serde::Deserialize;

pub struct Nav {
    pub admin: bool,
    pub data_entry: bool,
}

impl Nav {
    pub fn of(session: &Session) -> Nav {
        Nav { admin: session.role == Role::Admin, data_entry: session.role != Role::UnitHead }
    }
}

fn tr() -> Tr {
    Tr::new(Lang::Id)
}

/// Indonesian number format: `91,48`.
fn id(value: Rounded) -> String {
    value.format_with(',')
}

fn signed(value: Rounded) -> String {
    let text = id(value);
    if value.as_ratio() > num_rational::BigRational::from_integer(0.into()) {
        format!("+{text}")
    } else {
        text
    }
}

/// Dashboards are for unit heads and admins.
pub async fn require_reader(state: &web::Data<AppState>, req: &HttpRequest) -> Result<Session, WebError> {
    let session = session::require(state, req).await?;
    if session.role == Role::Operator {
        return Err(WebError::NotFound);
    }
    Ok(session)
}

fn period_or_default(text: Option<&str>, state: &AppState) -> Result<Period, WebError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.parse().map_err(|e: crate::domain::period::PeriodError| WebError::Invalid {
            field: "period".into(),
            reason: e.to_string(),
        }),
        None => Ok(Period::month_of(local_date(chrono::Utc::now(), state.config.timezone))),
    }
}

/// Suggestions for the period picker: recent months, quarters, semesters and years.
fn period_suggestions(state: &AppState) -> Vec<String> {
    let today = local_date(chrono::Utc::now(), state.config.timezone);
    let mut month = Period::month_of(today);
    let mut out = Vec::new();
    for _ in 0..12 {
        out.push(month.to_string());
        month = month.previous();
    }
    let year = chrono::Datelike::year(&today);
    for y in [year, year - 1] {
        out.extend([
            format!("{y}-Q1"),
            format!("{y}-Q2"),
            format!("{y}-Q3"),
            format!("{y}-Q4"),
            format!("{y}-S1"),
            format!("{y}-S2"),
            y.to_string(),
        ]);
    }
    out
}

#[derive(Deserialize)]
pub struct RegencyQuery {
    period: Option<String>,
    kind: Option<String>,
}

struct RankRow {
    rank: usize,
    slug: String,
    name: String,
    index: String,
    grade: String,
    responses: u64,
    required: String,
    short: bool,
    rtl: String,
}

#[derive(Askama)]
#[template(path = "dashboard_regency.html")]
struct RegencyPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    period_text: String,
    period_label: String,
    periods: Vec<String>,
    kind: String,
    kinds: Vec<(String, String)>,
    pooled: Option<String>,
    mean: Option<String>,
    ranking_svg: String,
    rows: Vec<RankRow>,
}

pub async fn regency(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<RegencyQuery>,
) -> Result<HttpResponse, WebError> {
    let session = session::require(&state, &req).await?;
    if session.role == Role::Operator {
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/operator")).finish());
    }
    let period = period_or_default(query.period.as_deref(), &state)?;
    let kind = query.kind.clone().filter(|k| crate::domain::names::UnitKind::ALL.iter().any(|u| u.as_str() == k));
    let worker = state.clone();
    let kind_filter = kind.clone();
    let today = local_date(chrono::Utc::now(), state.config.timezone);
    let overview = web::block(move || -> Result<aggregator::RegencyOverview, DbError> {
        let mut conn = worker.pool.get()?;
        aggregator::regency(
            &mut conn,
            &worker.versions,
            &worker.config.default_template,
            period,
            kind_filter.as_deref(),
            today,
        )
    })
    .await??;
    let admin = session.role == Role::Admin;
    let visible: Vec<&aggregator::RegencyRow> =
        overview.rows.iter().filter(|r| session.may_access(r.unit.id)).collect();
    // The chart's axis is the default questionnaire's; units on another one are in the table only.
    let ranked: Vec<(String, f64)> = visible
        .iter()
        .filter(|r| r.template_id == state.config.default_template)
        .filter_map(|r| r.result.index.map(|i| (r.unit.name.clone(), i.to_f64())))
        .collect();
    let ranking_svg =
        charts::svg(&charts::ranking(&overview.template, &ranked)).map_err(|e| WebError::Internal(e.to_string()))?;
    let rows = visible
        .iter()
        .enumerate()
        .map(|(i, r)| RankRow {
            rank: i + 1,
            slug: r.unit.slug.clone(),
            name: r.unit.name.clone(),
            index: r.result.index.map(id).unwrap_or_else(|| "–".into()),
            grade: r.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
            responses: r.result.responses,
            required: r.required_sample.map(|n| n.to_string()).unwrap_or_else(|| "–".into()),
            short: r.required_sample.is_some_and(|n| r.result.responses < n),
            rtl: format!("{} / {}", r.rtl_open, r.rtl_late),
        })
        .collect();
    let t = tr();
    html(
        StatusCode::OK,
        &RegencyPage {
            tr: t,
            kiosk: false,
            nav: Nav::of(&session),
            csrf: session.csrf.clone(),
            period_text: period.to_string(),
            period_label: period.label_id(),
            periods: period_suggestions(&state),
            kind: kind.unwrap_or_default(),
            kinds: vec![
                ("regency".into(), "Kabupaten".into()),
                ("opd".into(), "OPD".into()),
                ("sub_unit".into(), "Sub-unit".into()),
            ],
            pooled: admin.then(|| overview.pooled.index.map(id)).flatten(),
            mean: admin.then_some(overview.mean_of_units.map(id)).flatten(),
            ranking_svg,
            rows,
        },
    )
}

#[derive(Deserialize)]
pub struct UnitQuery {
    period: Option<String>,
    sub: Option<String>,
    q: Option<String>,
    hal: Option<i64>,
}

struct ElementRow {
    code: String,
    name: String,
    sum: u64,
    count: u64,
    nrr: String,
    index: String,
    grade: String,
    lowest: bool,
}

struct RtlRow {
    id: i32,
    element: String,
    action: String,
    owner: String,
    due: String,
    status: String,
}

#[derive(Askama)]
#[template(path = "dashboard_unit.html")]
struct UnitPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    slug: String,
    unit_name: String,
    period_text: String,
    period_label: String,
    periods: Vec<String>,
    with_sub: bool,
    index_name: &'static str,
    index_text: Option<String>,
    grade: Option<String>,
    grade_label: String,
    interval_text: Option<String>,
    interval_warning: bool,
    change_text: Option<String>,
    responses: u64,
    required: Option<u64>,
    population: Option<u64>,
    sample_text: String,
    sample_short: bool,
    flagged_text: Option<String>,
    element_svg: String,
    elements: Vec<ElementRow>,
    trend_svg: String,
    profile_svgs: Vec<String>,
    lowest: Vec<(String, String)>,
    rtl: Vec<RtlRow>,
    statuses: Vec<(String, String)>,
    q: String,
    saran: Vec<(String, String)>,
    page_text: String,
    prev_href: Option<String>,
    next_href: Option<String>,
}

const SARAN_PER_PAGE: i64 = 20;

/// Everything the unit page shows, read in one blocking call.
struct UnitData {
    index: aggregator::UnitIndex,
    trend: Vec<(Period, crate::domain::ikm::IndexResult)>,
    profile: aggregate::ProfileCounts,
    saran: (Vec<(String, String)>, i64),
    rtl: Vec<rtl::RtlAction>,
}

/// The unit by slug if the session may read it.
pub async fn scoped_unit(
    state: &web::Data<AppState>,
    session: &Session,
    slug: String,
) -> Result<units::Unit, WebError> {
    let worker = state.clone();
    let unit = web::block(move || {
        let mut conn = worker.pool.get()?;
        units::by_slug(&mut conn, &slug)
    })
    .await?;
    match unit {
        Ok(unit) if session.may_access(unit.id) => Ok(unit),
        Ok(_) | Err(DbError::NotFound) => Err(WebError::NotFound),
        Err(other) => Err(other.into()),
    }
}

pub async fn unit(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, WebError> {
    let session = require_reader(&state, &req).await?;
    let unit = scoped_unit(&state, &session, slug.into_inner()).await?;
    let period = period_or_default(query.period.as_deref(), &state)?;
    let with_sub = query.sub.as_deref() == Some("1");
    // No saran holds a NUL, and neither database can search for one: SQLite's LIKE stops at it
    // (matching everything) and PostgreSQL refuses it.
    let search = query.q.as_deref().map(|q| q.replace('\0', "").trim().to_string()).filter(|q| !q.is_empty());
    let page = query.hal.unwrap_or(0).clamp(0, 100_000);
    let worker = state.clone();
    let (block_unit, block_search) = (unit.clone(), search.clone());
    let data = web::block(move || -> Result<UnitData, DbError> {
        let mut conn = worker.pool.get()?;
        let default = &worker.config.default_template;
        let selection = Selection { period, with_subunits: with_sub, service_id: None };
        let index = aggregator::unit_index(&mut conn, &worker.versions, default, &block_unit, &selection)?;
        let trend = aggregator::trend(&mut conn, &worker.versions, default, &block_unit, with_sub, period, 12)?;
        let scope = index.scope();
        let profile = aggregate::profile_counts(&mut conn, &scope)?;
        let saran = aggregate::saran_page(&mut conn, &scope, block_search.as_deref(), page, SARAN_PER_PAGE)?;
        let rtl = rtl::for_unit(&mut conn, block_unit.id)?;
        Ok(UnitData { index, trend, profile, saran, rtl })
    })
    .await??;
    let t = tr();
    let template = data.index.template.clone();
    let result = &data.index.result;
    let draw = |spec: &charts::ChartSpec| charts::svg(spec).map_err(|e| WebError::Internal(e.to_string()));
    let profile_svgs = profile_table(&template, &data.profile)
        .sections()
        .iter()
        .map(|section| draw(&charts::counts(section.title, &section.rows)))
        .collect::<Result<Vec<_>, _>>()?;
    let sample_text = match (data.index.required_sample, data.index.shortfall()) {
        (None, _) => t.t("dash.no_population").to_string(),
        (Some(_), Some(short)) if short > 0 => t.fill("dash.shortfall", &[("count", short.to_string())]),
        _ => t.t("dash.enough").to_string(),
    };
    let (saran, total) = data.saran;
    let pages = ((total + SARAN_PER_PAGE - 1) / SARAN_PER_PAGE).max(1);
    let link = |p: i64| {
        let mut href = format!("/dasbor/unit/{}?period={}&hal={p}", unit.slug, period);
        if with_sub {
            href.push_str("&sub=1");
        }
        if let Some(q) = &search {
            href.push_str(&format!("&q={}", url_encode(q)));
        }
        href.push_str("#h-saran");
        href
    };
    let element_name = |code: &str| template.element(code).map(|e| e.name.id.clone()).unwrap_or_default();
    let page_view = UnitPage {
        tr: t,
        kiosk: false,
        nav: Nav::of(&session),
        csrf: session.csrf.clone(),
        slug: unit.slug.clone(),
        unit_name: unit.name.clone(),
        period_text: period.to_string(),
        period_label: period.label_id(),
        periods: period_suggestions(&state),
        with_sub,
        index_name: if template.kind == IndexKind::Nik { "NIK" } else { "Indeks" },
        index_text: result.index.map(id),
        grade: result.grade.as_ref().map(|g| g.grade.clone()),
        grade_label: result.grade.as_ref().map(|g| g.label.id.clone()).unwrap_or_default(),
        interval_text: result.interval.as_ref().map(|i| format!("{} – {}", id(i.lower), id(i.upper))),
        interval_warning: result.interval.as_ref().is_some_and(|i| i.crosses_grade_line),
        change_text: data.index.change.map(signed),
        responses: result.responses,
        required: data.index.required_sample,
        population: data.index.population,
        sample_short: data.index.shortfall().is_some_and(|s| s > 0),
        sample_text,
        flagged_text: (data.profile.flagged > 0)
            .then(|| t.fill("dash.flags", &[("count", data.profile.flagged.to_string())])),
        element_svg: draw(&charts::elements(&template, result))?,
        elements: result
            .elements
            .iter()
            .map(|e| ElementRow {
                code: e.code.clone(),
                name: element_name(&e.code),
                sum: e.sum,
                count: e.count,
                nrr: e.nrr.as_ref().map(|n| id(Rounded::half_up(n, 2))).unwrap_or_else(|| "–".into()),
                index: e.index.map(id).unwrap_or_else(|| "–".into()),
                grade: e.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
                lowest: e.lowest,
            })
            .collect(),
        trend_svg: draw(&charts::trend(&template, &data.trend))?,
        profile_svgs,
        lowest: result.lowest.iter().map(|c| (c.clone(), element_name(c))).collect(),
        rtl: data
            .rtl
            .into_iter()
            .map(|a| RtlRow {
                id: a.id,
                element: format!("{} {}", a.element_code, element_name(&a.element_code)),
                action: a.action,
                owner: a.owner,
                due: a.due_date,
                status: a.status,
            })
            .collect(),
        statuses: rtl::STATUSES.iter().map(|s| (s.to_string(), t.t(&format!("status.{s}")).to_string())).collect(),
        q: search.clone().unwrap_or_default(),
        saran,
        page_text: t.fill("dash.saran.page", &[("page", (page + 1).to_string()), ("pages", pages.to_string())]),
        prev_href: (page > 0).then(|| link(page - 1)),
        next_href: (page + 1 < pages).then(|| link(page + 1)),
    };
    html(StatusCode::OK, &page_view)
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct RtlForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    element: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
}

/// `POST /dasbor/unit/{slug}/rtl`: record a follow-up action for an element.
pub async fn add_rtl(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<RtlForm>,
) -> Result<HttpResponse, WebError> {
    let session = require_reader(&state, &req).await?;
    session::check_csrf(&session, Some(&form.csrf))?;
    let unit = scoped_unit(&state, &session, slug.into_inner()).await?;
    let invalid = |field: &str, reason: &str| WebError::Invalid { field: field.into(), reason: reason.into() };
    let period: Period = form.period.parse().map_err(|_| invalid("period", "not a period"))?;
    let due = chrono::NaiveDate::parse_from_str(form.due.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("due", "not a date like 2026-12-31"))?;
    let (action, owner) = (form.action.trim().to_string(), form.owner.trim().to_string());
    if action.is_empty() || action.chars().count() > 1000 {
        return Err(invalid("action", "required, at most 1000 characters"));
    }
    if owner.is_empty() || owner.chars().count() > 200 {
        return Err(invalid("owner", "required, at most 200 characters"));
    }
    let worker = state.clone();
    let element = form.element.trim().to_string();
    let user_id = session.user.id;
    let (unit_id, slug) = (unit.id, unit.slug.clone());
    let known = web::block(move || -> Result<bool, DbError> {
        let mut conn = worker.pool.get()?;
        let (template, _) =
            aggregator::template_of(&mut conn, &worker.versions, &worker.config.default_template, &unit)?;
        if template.element(&element).is_none() {
            return Ok(false);
        }
        rtl::create(
            &mut conn,
            &rtl::NewRtl {
                unit_id,
                period: &period.to_string(),
                element_code: &element,
                action: &action,
                owner: &owner,
                due_date: due,
                created_by: user_id,
            },
        )?;
        crate::db::audit::record(&mut conn, Some(user_id), "rtl.add", &format!("{} {element}: {action}", unit.slug))?;
        Ok(true)
    })
    .await??;
    if !known {
        return Err(invalid("element", "not an element of the unit's questionnaire"));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/dasbor/unit/{slug}?period={period}#h-rtl")))
        .finish())
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// `POST /dasbor/unit/{slug}/rtl/{id}`: change an action's status.
pub async fn set_rtl_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, WebError> {
    let session = require_reader(&state, &req).await?;
    session::check_csrf(&session, Some(&form.csrf))?;
    let (slug, id) = path.into_inner();
    let unit = scoped_unit(&state, &session, slug).await?;
    if !rtl::STATUSES.contains(&form.status.as_str()) {
        return Err(WebError::Invalid {
            field: "status".into(),
            reason: format!("one of {}", rtl::STATUSES.join(", ")),
        });
    }
    let worker = state.clone();
    let status = form.status.clone();
    let unit_id = unit.id;
    let changed = web::block(move || {
        let mut conn = worker.pool.get()?;
        rtl::set_status(&mut conn, id, &[unit_id], &status)
    })
    .await??;
    if !changed {
        return Err(WebError::NotFound);
    }
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/dasbor/unit/{}#h-rtl", unit.slug))).finish())
}
