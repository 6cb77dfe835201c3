//! `/dasbor`: every unit's index for a period, ranked (ties in the published NIK share a rank;
//! units short of their sample carry a badge, or are left out with `cukup=1`), with the ranking
//! chart; each unit's follow-up actions of the period done and its late ones; the regency's pooled
//! index, the mean of units and the media its results were published in for admins.

use super::{chosen_period, count, id, progress_view, short_badge, today, PeriodPicker, ProgressView};
use crate::aggregator;
use crate::charts;
use crate::db::{publications, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::follow_up::Progress;
use crate::domain::names::{Medium, Role, UnitKind};
use crate::domain::ranking::{competition_ranks, Adequacy};
use crate::domain::template::Lang;
use crate::web::access::SignedIn;
use crate::web::error::WebError;
use crate::web::i18n::Tr;
use crate::web::pages::{html, Nav};
use crate::web::{blocking_read, see_other, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template as Askama;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RegencyQuery {
    period: Option<String>,
    /// a custom range: first and last day (`YYYY-MM-DD`), used when `period` is empty
    dari: Option<String>,
    sampai: Option<String>,
    kind: Option<String>,
    /// `1`: rank only units whose sample reaches the required size
    cukup: Option<String>,
    /// `1`: every unit of a province- or nation-wide tree, not its region page
    semua: Option<String>,
}

struct RankRow {
    /// "2"; "–" for a unit without responses
    rank: String,
    slug: String,
    name: String,
    index: String,
    grade: String,
    responses: String,
    required: String,
    /// "sampel kurang: 12 dari 219"
    short: Option<String>,
    /// no population recorded for the period: no required sample, no verdict
    no_population: bool,
    /// the unit's follow-up actions of the period done: "2 dari 3 RTL selesai (67 %)"
    rtl: String,
    /// its late actions, of any period (shown in red)
    rtl_late: usize,
    /// its invitations' response rate: "52,2 % (12/23)", "–" without invitations
    response_rate: String,
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
    picker: PeriodPicker,
    kind: String,
    adequate_only: bool,
    /// with `cukup=1`: "3 unit tidak diperingkat …"
    left_out: Option<String>,
    kinds: Vec<(String, String)>,
    pooled: Option<String>,
    mean: Option<String>,
    ranking_svg: String,
    rows: Vec<RankRow>,
    /// some unit shown issued survey invitations in the period: the response rate column
    rate_column: bool,
    /// the follow-up actions of the period of every unit shown
    rtl_total: ProgressView,
    /// for admins: "dipublikasikan di 4 media (6 bukti)" for the period's published results
    media: Option<String>,
    attention: Vec<Attention>,
    attention_more: usize,
    /// the units shown without a population for the period: (name, where to fix it: admins only)
    missing_population: Vec<(String, Option<String>)>,
    admin: bool,
    /// the nation and provinces in the user's scope: (slug, name), each with its region page
    regions: Vec<(String, String)>,
}

/// A list this short opens by itself; a longer one stays folded under its count.
const MISSING_SHOWN_OPEN: usize = 5;

/// A unit the regency should look at first, with why, in words.
struct Attention {
    slug: String,
    name: String,
    /// (text, urgent: shown in red)
    reasons: Vec<(String, bool)>,
}

/// How many units the "perlu perhatian" card names before pointing to the table.
const ATTENTION_SHOWN: usize = 6;

/// The units needing attention, most urgent first: late follow-up actions or a grade below B
/// first, then the lowest NIK; a short sample and a period without responses are named too.
/// Units with nothing to say are left out, so a regency in good shape sees an empty card.
fn attention(t: &Tr, rows: &[&aggregator::RegencyRow], lowest: &[i32]) -> Vec<Attention> {
    let mut flagged: Vec<(bool, Option<f64>, Attention)> = rows
        .iter()
        .filter_map(|r| {
            let mut reasons = Vec::new();
            let grade = r.result.grade.as_ref().map(|g| g.grade.as_str());
            let weak = matches!(grade, Some("C" | "D"));
            if let (Some(index), Some(grade)) = (r.result.index, grade) {
                if weak || lowest.contains(&r.unit.id) {
                    let key = if weak { "dash.attention.weak" } else { "dash.attention.lowest" };
                    reasons.push((t.fill(key, &[("nik", id(index)), ("grade", grade.to_string())]), weak));
                }
            }
            if r.rtl_late > 0 {
                reasons.push((t.fill("dash.attention.late", &[("count", r.rtl_late.to_string())]), true));
            }
            if r.result.responses == 0 {
                reasons.push((t.t("dash.attention.no_responses").to_string(), false));
            } else if let Some(short) = short_badge(t, Adequacy::of(r.result.responses, r.required_sample)) {
                reasons.push((short, false));
            }
            if reasons.is_empty() {
                return None;
            }
            let urgent = weak || r.rtl_late > 0;
            let index = r.result.index.map(|i| i.to_f64());
            Some((urgent, index, Attention { slug: r.unit.slug.clone(), name: r.unit.name.clone(), reasons }))
        })
        .collect();
    flagged.sort_by(|a, b| {
        b.0.cmp(&a.0).then_with(|| {
            let key = |i: Option<f64>| i.unwrap_or(f64::INFINITY);
            key(a.1).total_cmp(&key(b.1))
        })
    });
    flagged.into_iter().map(|(_, _, a)| a).collect()
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
    let (period, period_problem) =
        chosen_period(query.period.as_deref(), query.dari.as_deref(), query.sampai.as_deref(), &state);
    // A deployment of a province or the nation opens on its region page, read from the monthly
    // roll-ups: a flat list of every unit would compute tens of thousands of them per request.
    if session.deployment_admin() && query.semua.as_deref() != Some("1") {
        let roots = blocking_read(&state, |_, conn| crate::db::units::roots(conn)).await?;
        if let [root] = roots.as_slice() {
            if matches!(root.kind.as_str(), "nation" | "province") {
                let period = query.period.as_deref().map(|p| format!("?period={}", crate::web::percent_encode(p)));
                return Ok(see_other(format!("/dasbor/wilayah/{}{}", root.slug, period.unwrap_or_default())));
            }
        }
    }
    let adequate_only = query.cukup.as_deref() == Some("1");
    let kind = query.kind.clone().filter(|k| UnitKind::ALL.iter().any(|u| u.as_str() == k));
    let kind_filter = kind.clone();
    let today = today(&state);
    // a deployment admin's scope is every unit (`UnitScope::All`): no list to hold the page to
    let within = session.scope.ids().map(<[i32]>::to_vec);
    let (overview, media, published, rates) = blocking_read(&state, move |state, conn| -> Result<_, DbError> {
        let overview =
            aggregator::regency(conn, &state.templates, period, kind_filter.as_deref(), within.as_deref(), today)?;
        let key = period.to_string();
        let published = publications::all(conn)?.iter().any(|p| p.period == key);
        let ids: Vec<i32> = overview.rows.iter().map(|r| r.unit.id).collect();
        let now = chrono::Utc::now().naive_utc();
        let rates = crate::response_rate::per_unit(conn, &ids, &period, state.config.timezone, now)?;
        Ok((overview, publications::media(conn, Some(&key))?, published, rates))
    })
    .await?;
    let t = Tr::new(Lang::Id);
    let admin = session.deployment_admin();
    let adequacy = |r: &aggregator::RegencyRow| Adequacy::of(r.result.responses, r.required_sample);
    // the nation and provinces hold no responses of their own: their page ranks what is below
    let above_regency = |r: &&aggregator::RegencyRow| matches!(r.unit.kind.as_str(), "nation" | "province");
    let regions: Vec<(String, String)> =
        overview.rows.iter().filter(above_regency).map(|r| (r.unit.slug.clone(), r.unit.name.clone())).collect();
    let (visible, left_out): (Vec<&aggregator::RegencyRow>, Vec<&aggregator::RegencyRow>) =
        overview.rows.iter().filter(|r| !above_regency(r)).partition(|r| !adequate_only || adequacy(r).is_adequate());
    // The chart's axis is the default questionnaire's; units on another one are in the table only.
    let ranked: Vec<(String, Rounded)> = visible
        .iter()
        .filter(|r| r.template_id == state.templates.default_id())
        .filter_map(|r| r.result.index.map(|i| (r.unit.name.clone(), i)))
        .collect();
    let ranking_svg =
        charts::svg(&charts::ranking(&overview.template, &ranked)).map_err(|e| WebError::Internal(e.to_string()))?;
    // Only the default questionnaire's units share one scale; units on another (a 1–6 Zona
    // Integritas survey) are listed unranked, as the chart leaves them out.
    let default_id = state.templates.default_id();
    let comparable: Vec<_> = visible.iter().map(|r| r.result.index.filter(|_| r.template_id == default_id)).collect();
    let ranks = competition_ranks(&comparable);
    // the three lowest NIK of the comparable units (more on a tie for the third)
    let lowest: Vec<i32> = {
        let mut indexed: Vec<(f64, i32)> = visible
            .iter()
            .filter(|r| r.template_id == default_id)
            .filter_map(|r| r.result.index.map(|i| (i.to_f64(), r.unit.id)))
            .collect();
        indexed.sort_by(|a, b| a.0.total_cmp(&b.0));
        let third = indexed.get(2).or(indexed.last()).map(|(i, _)| *i);
        indexed.iter().filter(|(i, _)| third.is_some_and(|t| *i <= t)).map(|(_, id)| *id).collect()
    };
    let mut needing = attention(&t, &visible, &lowest);
    let attention_more = needing.len().saturating_sub(ATTENTION_SHOWN);
    needing.truncate(ATTENTION_SHOWN);
    let missing_population = visible
        .iter()
        .filter(|r| adequacy(r) == Adequacy::Unknown)
        .map(|r| (r.unit.name.clone(), admin.then(|| format!("/admin?populasi={}#h-populasi", r.unit.slug))))
        .collect();
    let rows = visible
        .iter()
        .zip(ranks)
        .map(|(r, rank)| RankRow {
            rank: rank.map_or_else(|| "–".into(), |n| n.to_string()),
            slug: r.unit.slug.clone(),
            name: r.unit.name.clone(),
            index: r.result.index.map(id).unwrap_or_else(|| "–".into()),
            grade: r.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
            responses: count(r.result.responses),
            required: r.required_sample.map(count).unwrap_or_else(|| "–".into()),
            short: short_badge(&t, adequacy(r)),
            no_population: adequacy(r) == Adequacy::Unknown,
            rtl: progress_view(&t, &r.rtl).short,
            rtl_late: r.rtl_late,
            response_rate: rates
                .get(&r.unit.id)
                .and_then(|rate| {
                    rate.percent().map(|p| format!("{} % ({}/{})", id(p), count(rate.answered), count(rate.issued)))
                })
                .unwrap_or_else(|| "–".into()),
        })
        .collect();
    let rate_column = visible.iter().any(|r| rates.contains_key(&r.unit.id));
    let mut rtl_total = Progress::default();
    for row in &visible {
        rtl_total.merge(&row.rtl);
    }
    // the regency's media: every entry of the period, counted by kind
    let media = admin.then(|| {
        let kinds = media.iter().map(|m| m.medium.parse().unwrap_or(Medium::Other));
        match Medium::count(kinds) {
            0 if !published => t.t("dash.media.unpublished").to_string(),
            0 => t.t("admin.media.none").to_string(),
            n => t.fill("admin.media.count", &[("media", n.to_string()), ("entries", media.len().to_string())]),
        }
    });
    html(
        if period_problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        &RegencyPage {
            picker: PeriodPicker::new(period, period_problem, &state, &t),
            tr: t,
            kiosk: false,
            nav: Nav::of(&session),
            csrf: session.csrf.clone(),
            period_text: period.to_string(),
            period_label: period.label_id(),
            kind: kind.unwrap_or_default(),
            adequate_only,
            left_out: (adequate_only && !left_out.is_empty())
                .then(|| t.fill("dash.rank.left_out", &[("count", left_out.len().to_string())])),
            kinds: vec![
                ("regency".into(), "Kabupaten".into()),
                ("opd".into(), "OPD".into()),
                ("sub_unit".into(), "Sub-unit".into()),
            ],
            pooled: admin.then(|| overview.pooled.index.map(id)).flatten(),
            mean: admin.then_some(overview.mean_of_units.map(id)).flatten(),
            ranking_svg,
            rows,
            rate_column,
            attention: needing,
            attention_more,
            missing_population,
            admin,
            regions,
            rtl_total: progress_view(&t, &rtl_total),
            media,
        },
    )
}
