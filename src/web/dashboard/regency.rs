//! `/dasbor`: every unit's index for a period, ranked, with the ranking chart; the regency's
//! pooled index and the mean of units for admins.

use super::{id, period_or_default, period_suggestions, today};
use crate::aggregator;
use crate::charts;
use crate::domain::names::{Role, UnitKind};
use crate::domain::template::Lang;
use crate::web::access::SignedIn;
use crate::web::error::WebError;
use crate::web::i18n::Tr;
use crate::web::pages::{html, Nav};
use crate::web::{blocking, see_other, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template as Askama;
use serde::Deserialize;

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

/// `GET /dasbor`: admins see every unit, unit heads their own; operators go to their page.
pub async fn page(
    state: web::Data<AppState>,
    SignedIn(session): SignedIn,
    query: web::Query<RegencyQuery>,
) -> Result<HttpResponse, WebError> {
    if session.role == Role::Operator {
        return Ok(see_other("/operator"));
    }
    let period = period_or_default(query.period.as_deref(), &state)?;
    let kind = query.kind.clone().filter(|k| UnitKind::ALL.iter().any(|u| u.as_str() == k));
    let kind_filter = kind.clone();
    let today = today(&state);
    let overview = blocking(&state, move |state, conn| {
        aggregator::regency(conn, &state.templates, period, kind_filter.as_deref(), today)
    })
    .await?;
    let admin = session.role == Role::Admin;
    let visible: Vec<&aggregator::RegencyRow> =
        overview.rows.iter().filter(|r| session.may_access(r.unit.id)).collect();
    // The chart's axis is the default questionnaire's; units on another one are in the table only.
    let ranked: Vec<(String, f64)> = visible
        .iter()
        .filter(|r| r.template_id == state.templates.default_id())
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
    html(
        StatusCode::OK,
        &RegencyPage {
            tr: Tr::new(Lang::Id),
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
