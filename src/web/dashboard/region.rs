//! `/dasbor/wilayah/{slug}`: a province's regencies and cities, or the nation's provinces (and
//! every regency below it), ranked by their pooled index of the period, from the monthly
//! roll-ups (issue 21). The page says how fresh the roll-ups are ("data per 10:45 WIT"): they are
//! refreshed by a job, not by each submission.

use super::{chosen_period, count, default_period, id, PeriodPicker};
use crate::aggregator::{self, RegionRow};
use crate::charts;
use crate::domain::names::UnitKind;
use crate::domain::template::Lang;
use crate::domain::zone;
use crate::web::access::UnitReader;
use crate::web::error::WebError;
use crate::web::i18n::Tr;
use crate::web::pages::{html, Nav};
use crate::web::{blocking_read, see_other, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template as Askama;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RegionQuery {
    period: Option<String>,
    dari: Option<String>,
    sampai: Option<String>,
}

struct Row {
    rank: String,
    name: String,
    kind: String,
    index: String,
    grade: String,
    responses: String,
    /// its own region page (a province), or its regency dashboard
    href: String,
}

#[derive(Askama)]
#[template(path = "dashboard_region.html")]
struct RegionPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    slug: String,
    name: String,
    period_label: String,
    picker: PeriodPicker,
    /// "data per 2 Desember 2026 10:45 WIT"; the reason there is none otherwise
    freshness: String,
    fresh: bool,
    pooled: Option<String>,
    pooled_grade: Option<String>,
    responses: String,
    children_title: String,
    children: Vec<Row>,
    children_svg: String,
    regencies: Vec<Row>,
    /// the deployment's admin: the flat list of every unit, which `/dasbor` no longer opens on
    all_units_href: Option<String>,
}

fn kind_label(t: &Tr, kind: &str) -> String {
    t.t(&format!("region.kind.{kind}")).to_string()
}

fn rows(t: &Tr, list: &[RegionRow], period: &str) -> Vec<Row> {
    list.iter()
        .map(|r| {
            let href = match r.unit.kind.parse::<UnitKind>() {
                Ok(UnitKind::Nation | UnitKind::Province) => format!("/dasbor/wilayah/{}?period={period}", r.unit.slug),
                _ => format!("/dasbor/unit/{}?period={period}&sub=1", r.unit.slug),
            };
            Row {
                rank: r.rank.map_or_else(|| "–".into(), |n| n.to_string()),
                name: r.unit.name.clone(),
                kind: kind_label(t, &r.unit.kind),
                index: r.result.index.map(id).unwrap_or_else(|| "–".into()),
                grade: r.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
                responses: count(r.result.responses),
                href,
            }
        })
        .collect()
}

/// `GET /dasbor/wilayah/{slug}`: for a tenant above a regency; a regency or a unit is shown on
/// its own dashboard instead.
pub async fn page(
    state: web::Data<AppState>,
    UnitReader { session, unit }: UnitReader,
    query: web::Query<RegionQuery>,
) -> Result<HttpResponse, WebError> {
    if !matches!(unit.kind.parse::<UnitKind>(), Ok(UnitKind::Nation | UnitKind::Province)) {
        return Ok(see_other(format!("/dasbor/unit/{}?sub=1", unit.slug)));
    }
    let (mut period, mut problem) =
        chosen_period(query.period.as_deref(), query.dari.as_deref(), query.sampai.as_deref(), &state);
    // the roll-ups hold whole months: a range cut inside a month opens the default month instead,
    // with the reason at the picker
    if period.months().is_none() {
        problem = Some("region.period.whole_months");
        period = default_period(&state);
    }
    let months = period.months().unwrap_or_default();
    let tz = unit.zone_or(state.config.timezone);
    let overview =
        blocking_read(&state, move |state, conn| aggregator::region(conn, &state.templates, unit, &months)).await?;
    let t = Tr::new(Lang::Id);
    let period_text = period.to_string();
    let freshness = match overview.fresh_as_of {
        Some(at) => {
            let local = at.and_utc().with_timezone(&tz);
            t.fill("region.fresh", &[("time", local.format("%d-%m-%Y %H:%M").to_string()), ("zone", zone::label(tz))])
        }
        None => t.fill("region.not_fresh", &[("months", overview.missing_months.join(", "))]),
    };
    let children = rows(&t, &overview.children, &period_text);
    let ranked: Vec<(String, crate::domain::decimal::Rounded)> =
        overview.children.iter().filter_map(|r| r.result.index.map(|i| (r.unit.name.clone(), i))).collect();
    let children_title = match overview.node.kind.parse::<UnitKind>() {
        Ok(UnitKind::Nation) => t.t("region.children.nation").to_string(),
        _ => t.t("region.children.province").to_string(),
    };
    // the chart ranks provinces or regencies, not units: its title says which
    let chart_title = t.fill(
        "region.chart.title",
        &[("ranking", children_title.clone()), ("index", overview.template.index_name().into())],
    );
    let children_svg = charts::svg(&charts::ranking_titled(&overview.template, chart_title, &ranked))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    html(
        if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        &RegionPage {
            picker: PeriodPicker::new(period, problem, &state, &t),
            kiosk: false,
            nav: Nav::of(&session),
            csrf: session.csrf.clone(),
            slug: overview.node.slug.clone(),
            name: overview.node.name.clone(),
            period_label: period.label_id(),
            fresh: overview.fresh_as_of.is_some(),
            freshness,
            all_units_href: session
                .deployment_admin()
                .then(|| format!("/dasbor?semua=1&period={}", crate::web::percent_encode(&period_text))),
            pooled: overview.pooled.index.map(id),
            pooled_grade: overview.pooled.grade.as_ref().map(|g| format!("{} ({})", g.grade, g.label.id)),
            responses: count(overview.pooled.responses),
            children_title,
            children,
            children_svg,
            regencies: rows(&t, &overview.regencies, &period_text),
            tr: t,
        },
    )
}
