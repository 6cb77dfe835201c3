//! `/dasbor/unit/{slug}`: a unit's index for a period with its confidence interval, sample
//! adequacy, per-element table and charts, trend, respondent profile, follow-up actions and a
//! searchable page of saran.

use super::{chosen_period, id, short_badge, signed, PeriodPicker};
use crate::aggregator::{self, Selection};
use crate::charts;
use crate::db::{aggregate, rtl, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::period::Period;
use crate::domain::population::RollUpPopulation;
use crate::domain::ranking::Adequacy;
use crate::domain::template::Lang;
use crate::reports::profile::profile_table;
use crate::web::access::UnitReader;
use crate::web::error::WebError;
use crate::web::i18n::Tr;
use crate::web::pages::{html, Nav};
use crate::web::{blocking, percent_encode, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template as Askama;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct UnitQuery {
    period: Option<String>,
    /// a custom range: first and last day (`YYYY-MM-DD`), used when `period` is empty
    dari: Option<String>,
    sampai: Option<String>,
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

/// A member of a roll-up in the per-unit table.
struct MemberRow {
    /// shared by units with the same published NIK; "–" without responses
    rank: String,
    slug: String,
    name: String,
    responses: u64,
    required: String,
    /// "sampel kurang: 12 dari 219"
    short: Option<String>,
    index: String,
    grade: String,
    lowest: String,
    rtl: String,
}

struct RtlRow {
    id: i32,
    /// the member unit the action belongs to, on a roll-up's page
    unit: Option<String>,
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
    picker: PeriodPicker,
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
    /// on a roll-up: "NIK gabungan" is the pooled index; the mean of units beside it
    pooled_label: Option<String>,
    mean_text: Option<String>,
    members: Vec<MemberRow>,
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

/// `GET /dasbor/unit/{slug}?period=…[&sub=1][&q=…][&hal=…]`
pub async fn page(
    state: web::Data<AppState>,
    UnitReader { session, unit }: UnitReader,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, WebError> {
    let (period, period_problem) =
        chosen_period(query.period.as_deref(), query.dari.as_deref(), query.sampai.as_deref(), &state);
    let with_sub = query.sub.as_deref() == Some("1");
    // No saran holds a NUL, and neither database can search for one: SQLite's LIKE stops at it
    // (matching everything) and PostgreSQL refuses it.
    let search = query.q.as_deref().map(|q| q.replace('\0', "").trim().to_string()).filter(|q| !q.is_empty());
    let page = query.hal.unwrap_or(0).clamp(0, 100_000);
    let (block_unit, block_search) = (unit.clone(), search.clone());
    let data = blocking(&state, move |state, conn| -> Result<UnitData, DbError> {
        let selection = Selection { period, with_subunits: with_sub, service_id: None };
        let index = aggregator::unit_index(conn, &state.templates, &block_unit, &selection)?;
        let trend = aggregator::trend(conn, &state.templates, &block_unit, with_sub, period, 12)?;
        let scope = index.scope();
        let profile = aggregate::profile_counts(conn, &scope)?;
        let saran = aggregate::saran_page(conn, &scope, block_search.as_deref(), page, SARAN_PER_PAGE)?;
        // a roll-up's follow-up actions are its members'
        let rtl = rtl::for_units(conn, &index.unit_ids)?;
        Ok(UnitData { index, trend, profile, saran, rtl })
    })
    .await?;
    let t = Tr::new(Lang::Id);
    let template = data.index.template.clone();
    let result = &data.index.result;
    let draw = |spec: &charts::ChartSpec| charts::svg(spec).map_err(|e| WebError::Internal(e.to_string()));
    let profile_svgs = profile_table(&template, &data.profile)
        .sections()
        .iter()
        .map(|section| draw(&charts::counts(section.title, &section.rows)))
        .collect::<Result<Vec<_>, _>>()?;
    let coverage = data.index.roll_up.as_ref().and_then(|r| match r.population {
        Some(RollUpPopulation::Coverage { recorded, of }) => Some((recorded, of)),
        _ => None,
    });
    let sample_text = match (data.index.required_sample, data.index.shortfall(), coverage) {
        (None, _, Some((recorded, of))) => {
            t.fill("dash.coverage", &[("recorded", recorded.to_string()), ("of", of.to_string())])
        }
        (None, _, None) => t.t("dash.no_population").to_string(),
        (Some(_), Some(short), _) if short > 0 => t.fill("dash.shortfall", &[("count", short.to_string())]),
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
            href.push_str(&format!("&q={}", percent_encode(q)));
        }
        href.push_str("#h-saran");
        href
    };
    let unit_names: std::collections::HashMap<i32, String> =
        data.index.roll_up.iter().flat_map(|r| r.members.iter().map(|m| (m.unit.id, m.unit.name.clone()))).collect();
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
        picker: PeriodPicker::new(period, period_problem, &state, &t),
        with_sub,
        index_name: template.index_name(),
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
        pooled_label: data.index.roll_up.as_ref().map(|_| t.t("dash.rollup.pooled").to_string()),
        mean_text: data
            .index
            .roll_up
            .as_ref()
            .and_then(|r| r.mean_of_units)
            .map(|m| t.fill("dash.rollup.mean", &[("index", id(m))])),
        members: data.index.roll_up.as_ref().map(|r| member_rows(&t, r)).unwrap_or_default(),
        rtl: data
            .rtl
            .into_iter()
            .map(|a| RtlRow {
                unit: (a.unit_id != unit.id).then(|| unit_names.get(&a.unit_id).cloned().unwrap_or_default()),
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
    html(if period_problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK }, &page_view)
}

/// The per-unit table of a roll-up: ranked (ties share a rank), with a badge where the sample
/// falls short.
fn member_rows(t: &Tr, roll_up: &aggregator::RollUp) -> Vec<MemberRow> {
    roll_up
        .members
        .iter()
        .map(|m| MemberRow {
            rank: m.rank.map_or_else(|| "–".into(), |n| n.to_string()),
            slug: m.unit.slug.clone(),
            name: m.unit.name.clone(),
            responses: m.result.responses,
            required: m.required_sample.map(|n| n.to_string()).unwrap_or_else(|| "–".into()),
            short: short_badge(t, Adequacy::of(m.result.responses, m.required_sample)),
            index: m.result.index.map(id).unwrap_or_else(|| "–".into()),
            grade: m.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
            lowest: m.result.lowest.join(", "),
            rtl: format!("{} / {}", m.rtl_done(), m.rtl.len()),
        })
        .collect()
}
