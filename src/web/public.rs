//! `/publik`: the published results, for everyone (no login, cacheable): each unit's latest
//! published period, or one period for all units, with the unit's other published periods
//! linked. `/publik/layar`: one unit at a time in large type for a TV in a service hall,
//! moving on to the next published unit by a meta refresh (no JavaScript).
//!
//! A unit with sub-units is published as its roll-up (SPEC §3): the pooled index, labelled, the
//! mean of its units beside it and each unit's own figures. What may be published is decided by
//! `crate::units::publish`; a result without responses is never shown.

use super::error::WebError;
use super::i18n::{negotiate, Tr};
use super::pages::{html, MessagePage};
use super::{blocking_read, percent_encode, AppState};
use crate::aggregator::{self, Selection, UnitIndex};
use crate::charts;
use crate::db::units::{self, Unit};
use crate::db::{publications, DbConnection, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::period::Period;
use crate::domain::template::{IndexKind, Lang};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct PublicQuery {
    /// one published period for every unit that published it; none: each unit's latest
    period: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct ScreenQuery {
    /// the unit shown; none: the first published unit
    unit: Option<String>,
    lang: Option<String>,
}

/// A unit's published periods, the latest period first, each with whether it is the roll-up.
struct Published {
    unit: Unit,
    periods: Vec<(Period, bool)>,
}

struct PeriodLink {
    href: String,
    label: String,
    current: bool,
}

struct MemberRow {
    name: String,
    index: String,
    grade: String,
    responses: u64,
}

struct ElementRow {
    code: String,
    name: String,
    index: String,
    grade: String,
    lowest: bool,
}

/// One published result as both pages show it.
struct ResultView {
    slug: String,
    name: String,
    period_label: String,
    /// "NIK" (or "Indeks" for a questionnaire without the conversion)
    index_name: String,
    /// "NIK", or on a roll-up "NIK gabungan (semua responden)"
    index_label: String,
    index: String,
    grade: String,
    grade_label: String,
    responses: u64,
    /// on a roll-up: the mean of its units, labelled, and each unit's figures
    mean: Option<(String, String)>,
    members: Vec<MemberRow>,
    elements: Vec<ElementRow>,
    chart: String,
    /// the unit's published periods (on `/publik`)
    periods: Vec<PeriodLink>,
}

#[derive(Template)]
#[template(path = "publik.html")]
struct PublicPage {
    tr: Tr,
    kiosk: bool,
    /// `?lang=…` for links when the reader chose a language explicitly
    lang_suffix: String,
    switch_href: String,
    /// every unit's latest result (when one period is shown)
    all_href: String,
    heading: Option<String>,
    periods: Vec<PeriodLink>,
    results: Vec<ResultView>,
}

#[derive(Template)]
#[template(path = "publik_layar.html")]
struct ScreenPage {
    tr: Tr,
    kiosk: bool,
    seconds: u32,
    next_href: String,
    next_text: String,
    result: Option<ResultView>,
    /// the unit asked for cannot be shown (the page still moves on)
    missing: bool,
}

fn language(req: &HttpRequest, explicit: Option<&str>) -> Tr {
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Tr::new(negotiate(explicit, accept))
}

/// `&lang=xx` when the reader chose the language in the address, so links keep it.
fn lang_param(tr: &Tr, explicit: Option<&str>) -> String {
    match explicit {
        Some("id" | "en") => format!("&lang={}", tr.code()),
        _ => String::new(),
    }
}

fn period_label(tr: &Tr, period: &Period) -> String {
    match tr.lang {
        Lang::Id => period.label_id(),
        Lang::En => period.label_en(),
    }
}

/// Every unit with a publication: roll-ups (the regency) first, then by name.
fn published(conn: &mut DbConnection) -> Result<Vec<Published>, DbError> {
    let mut by_unit: BTreeMap<i32, Vec<(Period, bool)>> = BTreeMap::new();
    for publication in publications::all(conn)? {
        // every stored period was written by `Period`; one that no longer parses is skipped
        let Ok(period) = publication.period.parse::<Period>() else { continue };
        by_unit.entry(publication.unit_id).or_default().push((period, publication.with_subunits));
    }
    let mut out: Vec<Published> = units::list(conn)?
        .into_iter()
        .filter_map(|unit| {
            let mut periods = by_unit.remove(&unit.id)?;
            // the period that ends last is the latest; of two ending together, the shorter
            periods.sort_by_key(|(p, _)| std::cmp::Reverse((p.end_exclusive(), p.first_day())));
            Some(Published { unit, periods })
        })
        .collect();
    // stable: the name order of `units::list` stays within each group
    out.sort_by_key(|p| !p.periods.first().is_some_and(|(_, roll_up)| *roll_up));
    Ok(out)
}

fn index_of(
    conn: &mut DbConnection,
    state: &AppState,
    unit: &Unit,
    (period, with_subunits): (Period, bool),
) -> Result<UnitIndex, DbError> {
    aggregator::unit_index(conn, &state.templates, unit, &Selection { period, with_subunits, service_id: None })
}

fn figure(value: Option<Rounded>) -> String {
    value.map(|v| v.format_with(',')).unwrap_or_else(|| "–".into())
}

fn view(tr: &Tr, index: &UnitIndex, periods: Vec<PeriodLink>) -> Result<ResultView, WebError> {
    let template = &index.template;
    let result = &index.result;
    let index_name = match template.kind {
        IndexKind::Nik => "NIK",
        IndexKind::Mean => tr.t("public.index"),
    };
    let name_of = |code: &str| template.element(code).map(|e| tr.text(&e.name).to_string()).unwrap_or_default();
    let grade_of = |grade: &Option<crate::domain::template::Grade>| {
        grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into())
    };
    let mut spec = charts::elements(template, result);
    if let charts::ChartSpec::Bars(bars) = &mut spec {
        bars.title = tr.fill("public.chart", &[("index", index_name.to_string())]);
        bars.legend = Some(tr.t("public.chart.lowest").to_string());
    }
    let roll_up = index.roll_up.as_ref();
    Ok(ResultView {
        slug: index.unit.slug.clone(),
        name: index.unit.name.clone(),
        period_label: period_label(tr, &index.selection.period),
        index_name: index_name.to_string(),
        index_label: match roll_up {
            Some(_) => tr.fill("public.pooled", &[("index", index_name.to_string())]),
            None => index_name.to_string(),
        },
        index: figure(result.index),
        grade: grade_of(&result.grade),
        grade_label: result.grade.as_ref().map(|g| tr.text(&g.label).to_string()).unwrap_or_default(),
        responses: result.responses,
        mean: roll_up.map(|r| (tr.fill("public.mean", &[("index", index_name.to_string())]), figure(r.mean_of_units))),
        members: roll_up
            .map(|r| {
                r.members
                    .iter()
                    .map(|m| MemberRow {
                        name: m.unit.name.clone(),
                        index: figure(m.result.index),
                        grade: grade_of(&m.result.grade),
                        responses: m.result.responses,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        elements: result
            .elements
            .iter()
            .map(|e| ElementRow {
                code: e.code.clone(),
                name: name_of(&e.code),
                index: figure(e.index),
                grade: grade_of(&e.grade),
                lowest: e.lowest,
            })
            .collect(),
        chart: charts::svg(&spec).map_err(|e| WebError::Internal(e.to_string()))?,
        periods,
    })
}

fn not_found(tr: Tr) -> Result<HttpResponse, WebError> {
    html(
        StatusCode::NOT_FOUND,
        &MessagePage::new(tr, "notfound.title", "notfound.text").link("/publik".into(), "public.all"),
    )
}

/// `GET /publik[?period=…][&lang=…]`
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PublicQuery>,
) -> Result<HttpResponse, WebError> {
    let explicit = query.lang.as_deref();
    let tr = language(&req, explicit);
    let chosen = match query.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(text) => match text.parse::<Period>() {
            Ok(period) => Some(period),
            Err(_) => return not_found(tr),
        },
    };
    let (all, shown) = blocking_read(&state, move |state, conn| -> Result<_, DbError> {
        let all = published(conn)?;
        let mut shown = Vec::new();
        for (i, p) in all.iter().enumerate() {
            let pick = match chosen {
                Some(period) => p.periods.iter().find(|(q, _)| *q == period),
                None => p.periods.first(),
            };
            let Some(&pick) = pick else { continue };
            let index = index_of(conn, state, &p.unit, pick)?;
            // published before empty periods were refused: an empty result is not shown
            if index.result.responses > 0 {
                shown.push((i, index));
            }
        }
        Ok((all, shown))
    })
    .await?;
    if chosen.is_some() && shown.is_empty() {
        return not_found(tr);
    }
    let lang_suffix = lang_param(&tr, explicit);
    let link = |period: &Period, current: bool, anchor: &str| PeriodLink {
        href: format!("/publik?period={}{lang_suffix}{anchor}", percent_encode(&period.to_string())),
        label: period_label(&tr, period),
        current,
    };
    // every published period, the latest first
    let mut periods: Vec<Period> = all.iter().flat_map(|p| p.periods.iter().map(|(q, _)| *q)).collect();
    periods.sort_by_key(|p| std::cmp::Reverse((p.end_exclusive(), p.first_day())));
    periods.dedup();
    let mut results = Vec::with_capacity(shown.len());
    for (i, index) in &shown {
        let anchor = format!("#u-{}", all[*i].unit.slug);
        let own = all[*i].periods.iter().map(|(p, _)| link(p, *p == index.selection.period, &anchor)).collect();
        results.push(view(&tr, index, own)?);
    }
    let view = PublicPage {
        heading: chosen.map(|p| tr.fill("public.period", &[("period", period_label(&tr, &p))])),
        periods: periods.iter().map(|p| link(p, Some(*p) == chosen, "")).collect(),
        switch_href: match &chosen {
            Some(p) => format!("/publik?period={}&lang={}", percent_encode(&p.to_string()), tr.other_code()),
            None => format!("/publik?lang={}", tr.other_code()),
        },
        all_href: format!("/publik{}", lang_suffix.replacen('&', "?", 1)),
        lang_suffix,
        tr,
        kiosk: false,
        results,
    };
    let body = view.render().map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // published figures change rarely; let proxies and browsers keep them a few minutes
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::VARY, "Accept-Language"))
        .body(body))
}

/// `GET /publik/layar[?unit=…][&lang=…]`: one published unit's latest result, then the next.
pub async fn screen(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScreenQuery>,
) -> Result<HttpResponse, WebError> {
    let explicit = query.lang.as_deref();
    let tr = language(&req, explicit);
    let wanted = query.unit.clone().filter(|u| !u.is_empty());
    let (rotation, shown) = blocking_read(&state, move |state, conn| -> Result<_, DbError> {
        let all = published(conn)?;
        let at = match &wanted {
            Some(slug) => all.iter().position(|p| p.unit.slug == *slug),
            None => (!all.is_empty()).then_some(0),
        };
        // its latest period (every listed unit has at least one)
        let latest = at.and_then(|i| Some((i, *all[i].periods.first()?)));
        let shown = match latest {
            Some((i, pick)) => Some((i, index_of(conn, state, &all[i].unit, pick)?)),
            None => None,
        };
        let rotation: Vec<(String, String)> = all.into_iter().map(|p| (p.unit.slug, p.unit.name)).collect();
        Ok((rotation, shown))
    })
    .await?;
    let seconds = state.config.tv_seconds;
    let lang = lang_param(&tr, explicit);
    // A unit that cannot be shown answers 404, but its page still refreshes onward, so a screen
    // in a service hall never stops (an admin may unpublish the unit it is about to show).
    let (result, next, status) = match shown {
        Some((i, index)) if index.result.responses > 0 => {
            (Some(view(&tr, &index, Vec::new())?), rotation.get((i + 1) % rotation.len()), StatusCode::OK)
        }
        // published empty by an older release: on to the next unit
        Some((i, _)) => (None, rotation.get((i + 1) % rotation.len()), StatusCode::NOT_FOUND),
        // an unknown unit, or one no longer published: the rotation starts again
        None if query.unit.as_deref().is_some_and(|u| !u.is_empty()) => (None, None, StatusCode::NOT_FOUND),
        // nothing published yet: the screen looks again later
        None => (None, None, StatusCode::OK),
    };
    let (next_href, next_text) = match next {
        Some((slug, name)) => (
            format!("/publik/layar?unit={}{lang}", percent_encode(slug)),
            tr.fill("public.tv.next", &[("seconds", seconds.to_string()), ("unit", name.clone())]),
        ),
        None => (format!("/publik/layar{}", lang.replacen('&', "?", 1)), String::new()),
    };
    let missing = status == StatusCode::NOT_FOUND;
    let page = ScreenPage { tr, kiosk: false, seconds, next_href, next_text, result, missing };
    let body = page.render().map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // a screen reloads every few seconds: a shared cache may serve it for a part of that
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={}", (seconds / 2).max(1))))
        .insert_header((header::VARY, "Accept-Language"))
        .body(body))
}
