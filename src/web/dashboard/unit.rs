//! `/dasbor/unit/{slug}`: a unit's index for a period with its confidence interval, sample
//! adequacy, per-element table and charts, trend, respondent profile, follow-up actions and a
//! searchable page of saran.

use super::{chosen_period, count, id, progress_view, short_badge, signed, today, PeriodPicker, ProgressView};
use crate::aggregator::{self, Selection};
use crate::charts;
use crate::db::{aggregate, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::desk::Score;
use crate::domain::follow_up::ChangeProblem;
use crate::domain::names::RtlStatus;
use crate::domain::period::date_id;
use crate::domain::period::Period;
use crate::domain::population::RollUpPopulation;
use crate::domain::ranking::Adequacy;
use crate::domain::template::Lang;
use crate::follow_up::{self, TrackedAction};
use crate::reports::profile::profile_table;
use crate::web::access::UnitReader;
use crate::web::error::WebError;
use crate::web::follow_up as follow_up_form;
use crate::web::i18n::Tr;
use crate::web::pages::{html, Nav};
use crate::web::{blocking_read, percent_encode, AppState};
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
    /// `1` after a follow-up form was saved
    tersimpan: Option<String>,
    /// what a refused status change lacked (`domain::follow_up::ChangeProblem::code`)
    masalah: Option<String>,
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
    responses: String,
    required: String,
    /// "sampel kurang: 12 dari 219"
    short: Option<String>,
    index: String,
    grade: String,
    lowest: String,
    rtl: ProgressView,
    /// on a Mal Pelayanan Publik's page: the member's responses that came through the hall's form
    through_hall: String,
}

/// A Mal Pelayanan Publik's page (issue 19 point 6): always its agencies' roll-up, with how many
/// responses came through the hall's own form.
struct HallView {
    through: String,
    rule: String,
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
    status_label: String,
    /// "terlambat 12 hari": past due, neither done nor dropped
    late: Option<String>,
    /// done: what shows it (a note, a link, the image's address) and who said so when
    evidence: Option<EvidenceView>,
    /// dropped: why
    reason: Option<String>,
    /// still open: the latest note of its history (why it is late, how far it got)
    latest_note: Option<String>,
    history: Vec<HistoryLine>,
}

struct EvidenceView {
    note: Option<String>,
    url: Option<String>,
    image: Option<String>,
    by: String,
}

/// "3 November 2026 10.12 · Kepala Disdukcapil: Berjalan → Selesai", with what came with it.
struct HistoryLine {
    when: String,
    who: String,
    what: String,
    note: Option<String>,
    url: Option<String>,
}

/// "Yang perlu diperbaiki": a lowest element, its NIK, and what is being done about it.
struct FixItem {
    code: String,
    name: String,
    index: String,
    /// (action, its status in words, late: shown in red)
    actions: Vec<(String, String, bool)>,
}

/// A lowest element, with the RTL form for it and the template's suggested actions.
struct LowestForm {
    code: String,
    name: String,
    suggestions: Vec<String>,
}

/// The scorecard of one roster (counters or officers).
struct ScoreTable {
    title: String,
    rows: Vec<ScoreView>,
}

struct ScoreView {
    code: String,
    name: String,
    retired: Option<String>,
    /// `None` below the minimum number of responses: then only `too_few` is shown
    figures: Option<ScoreFigures>,
    too_few: String,
}

struct ScoreFigures {
    responses: String,
    competence: String,
    behaviour: String,
    index: String,
}

fn score_table(t: &Tr, title: &str, rows: &[crate::desks::ScoreRow], min: u64) -> ScoreTable {
    let shown = |v: Option<Rounded>| v.map(id).unwrap_or_else(|| "–".into());
    ScoreTable {
        title: title.to_string(),
        rows: rows
            .iter()
            .map(|r| ScoreView {
                code: r.code.clone(),
                name: r.name.clone(),
                retired: (!r.enabled).then(|| t.t("dash.scorecard.retired").to_string()),
                figures: match &r.score {
                    Score::TooFew { .. } => None,
                    Score::Shown { responses, competence, behaviour, index } => Some(ScoreFigures {
                        responses: count(*responses),
                        competence: shown(*competence),
                        behaviour: shown(*behaviour),
                        index: shown(*index),
                    }),
                },
                too_few: t.fill("dash.scorecard.too_few", &[("min", min.to_string())]),
            })
            .collect(),
    }
}

/// "Tingkat respons undangan": shown only when the unit issued invitations in the period.
struct RateView {
    /// "12 dari 30 undangan dijawab (40,0 %)"
    total: String,
    /// "3 undangan masih berlaku …"
    open: Option<String>,
    tables: Vec<RateTable>,
}

struct RateTable {
    title: String,
    rows: Vec<RateRow>,
}

struct RateRow {
    name: String,
    issued: String,
    answered: String,
    percent: String,
}

fn rate_view(t: &Tr, rate: &crate::response_rate::ResponseRate) -> Option<RateView> {
    use crate::response_rate::Line;
    if rate.is_empty() {
        return None;
    }
    // the header says "(%)": a bare number keeps the table within a phone's width
    let percent = |r: &crate::domain::response_rate::Rate| r.percent().map_or_else(|| "–".into(), id);
    let table = |title: &str, lines: &[Line], unnamed: &str| RateTable {
        title: title.to_string(),
        rows: lines
            .iter()
            .map(|l| RateRow {
                name: l.name.clone().unwrap_or_else(|| unnamed.to_string()),
                issued: count(l.rate.issued),
                answered: count(l.rate.answered),
                percent: percent(&l.rate),
            })
            .collect(),
    };
    let named = |lines: &[Line]| lines.iter().any(|l| l.name.is_some());
    let mut tables = Vec::new();
    if rate.per_unit.len() > 1 {
        // a roll-up: one line per unit (services and counters are each unit's own)
        tables.push(table(t.t("dash.rate.unit"), &rate.per_unit, ""));
    } else {
        if named(&rate.per_service) {
            tables.push(table(t.t("dash.rate.service"), &rate.per_service, t.t("dash.rate.no_service")));
        }
        if named(&rate.per_counter) {
            tables.push(table(t.t("dash.rate.counter"), &rate.per_counter, t.t("dash.rate.no_counter")));
        }
    }
    Some(RateView {
        total: t.fill(
            "dash.rate.total",
            &[
                ("answered", count(rate.total.answered)),
                ("issued", count(rate.total.issued)),
                ("percent", rate.total.percent().map_or_else(|| "–".into(), id)),
            ],
        ),
        open: (rate.total.open > 0).then(|| t.fill("dash.rate.open", &[("count", count(rate.total.open))])),
        tables,
    })
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
    responses: String,
    required: Option<String>,
    population: Option<String>,
    sample_text: String,
    sample_short: bool,
    /// no population for the period: the notice, and where to fix it
    missing_population: Option<MissingPopulation>,
    /// on a roll-up: "NIK gabungan" is the pooled index; the mean of units beside it
    pooled_label: Option<String>,
    mean_text: Option<String>,
    members: Vec<MemberRow>,
    hall: Option<HallView>,
    flagged_text: Option<String>,
    /// some months of the period are archived: their raw data (profile, saran) is not shown
    archived_text: Option<String>,
    element_svg: String,
    elements: Vec<ElementRow>,
    trend_svg: String,
    profile_svgs: Vec<String>,
    lowest: Vec<LowestForm>,
    /// the card the page opens with: the lowest elements (all ties) and their follow-up
    fix_first: Vec<FixItem>,
    /// the words citizens' saran use most in the period
    themes: Vec<String>,
    /// the actions of the period shown, and their progress
    rtl: Vec<RtlRow>,
    rtl_progress: ProgressView,
    /// the unit's actions of any period
    rtl_all_progress: ProgressView,
    /// actions of other periods still open (late ones among them)
    rtl_open_elsewhere: Vec<RtlRow>,
    rtl_saved: bool,
    rtl_problem: Option<String>,
    statuses: Vec<(String, String)>,
    q: String,
    saran: Vec<(String, String)>,
    page_text: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    /// per counter and per officer, for the unit's heads and admins (this page's readers)
    scorecard: Vec<ScoreTable>,
    scorecard_note: String,
    /// the invitations' response rate; `None` without invitations in the period
    response_rate: Option<RateView>,
    /// the instruments attached to the unit's form (Zona Integritas), each on its own
    instruments: Vec<super::instruments::InstrumentView>,
    /// responses per channel (name, count, share) and per enumerator (name, count)
    channels: Vec<(String, String, String)>,
    enumerators: Vec<(String, String)>,
}

/// The unit has no population for the period shown: an admin gets a link to the form with the
/// unit chosen, anyone else is told who can enter it.
struct MissingPopulation {
    fix_href: Option<String>,
    /// a roll-up with populations for some members: how many is said too
    coverage: bool,
}

const SARAN_PER_PAGE: i64 = 20;

/// Everything the unit page shows, read in two blocking calls side by side.
struct UnitData {
    index: aggregator::UnitIndex,
    trend: Vec<(Period, crate::domain::ikm::IndexResult)>,
    profile: aggregate::ProfileCounts,
    saran: (Vec<(String, String)>, i64),
    rtl: follow_up::Tracker,
    themes: Vec<(String, usize)>,
    scorecard: crate::desks::Scorecard,
    response_rate: crate::response_rate::ResponseRate,
    /// per agency of a hall, its responses through the hall's form
    through_hall: Option<std::collections::HashMap<i32, u64>>,
    instruments: Vec<aggregator::InstrumentIndex>,
    channels: Vec<(String, i64)>,
    enumerators: Vec<(String, i64)>,
    /// the period's months whose raw responses are archived
    archived: Vec<String>,
}

/// The index side of the page's reads.
struct IndexSide {
    index: aggregator::UnitIndex,
    trend: Vec<(Period, crate::domain::ikm::IndexResult)>,
    rtl: follow_up::Tracker,
    response_rate: crate::response_rate::ResponseRate,
    instruments: Vec<aggregator::InstrumentIndex>,
    archived: Vec<String>,
}

/// What the respondents said: the other side of the page's reads.
struct SaidSide {
    profile: aggregate::ProfileCounts,
    saran: (Vec<(String, String)>, i64),
    themes: Vec<(String, usize)>,
    scorecard: crate::desks::Scorecard,
    through_hall: Option<std::collections::HashMap<i32, u64>>,
    channels: Vec<(String, i64)>,
    enumerators: Vec<(String, i64)>,
}

/// How many saran the themes read: enough for the words that recur, bounded for a busy unit.
const THEME_SARAN: i64 = 2000;

/// `GET /dasbor/unit/{slug}?period=…[&sub=1][&q=…][&hal=…]`
pub async fn page(
    state: web::Data<AppState>,
    UnitReader { session, unit }: UnitReader,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, WebError> {
    let (period, period_problem) =
        chosen_period(query.period.as_deref(), query.dari.as_deref(), query.sampai.as_deref(), &state);
    // a hall holds no responses itself: its page is its agencies' roll-up
    let is_hall = crate::survey::mpp::is_hall(&unit);
    let with_sub = query.sub.as_deref() == Some("1") || is_hall;
    // No saran holds a NUL, and neither database can search for one: SQLite's LIKE stops at it
    // (matching everything) and PostgreSQL refuses it.
    let search = query.q.as_deref().map(|q| q.replace('\0', "").trim().to_string()).filter(|q| !q.is_empty());
    let page = query.hal.unwrap_or(0).clamp(0, 100_000);
    let today = today(&state);
    // Two reads side by side, each on its own connection: the index side (index, trend,
    // instruments, follow-up, response rate) and what the respondents said (profile, saran and
    // their themes, desks, channels). Neither needs the other's results; one after the other,
    // their sum was the page's wait.
    let index_unit = unit.clone();
    let index_side = blocking_read(&state, move |state, conn| -> Result<IndexSide, DbError> {
        let selection = Selection { period, with_subunits: with_sub, service_id: None };
        let mut index = aggregator::unit_index(conn, &state.templates, &index_unit, &selection)?;
        let trend = match index.trend.take() {
            Some(read_with_the_index) => read_with_the_index,
            None => aggregator::trend(conn, &state.templates, &index_unit, with_sub, period, aggregator::TREND_MONTHS)?,
        };
        // a roll-up's follow-up actions are its members'
        let rtl = follow_up::tracker(conn, &index.unit_ids, None, today)?;
        let now = chrono::Utc::now().naive_utc();
        let response_rate =
            crate::response_rate::of_period(conn, &index.unit_ids, &period, state.config.timezone, now)?;
        let instruments = aggregator::instruments(conn, &state.templates, &index)?;
        let archived = crate::db::archive::months_within(conn, &period)?;
        Ok(IndexSide { index, trend, rtl, response_rate, instruments, archived })
    });
    let (said_unit, said_search) = (unit.clone(), search.clone());
    let said_side = blocking_read(&state, move |state, conn| -> Result<SaidSide, DbError> {
        // the index's scope (`UnitIndex::scope`), read again here: two small queries
        let (_, version_ids) = aggregator::template_of(conn, &state.templates, &said_unit)?;
        let unit_ids = crate::db::units::scope_ids(conn, said_unit.id, with_sub)?;
        let scope =
            aggregate::Scope { unit_ids: &unit_ids, service_id: None, template_version_ids: &version_ids, period };
        let profile = aggregate::profile_counts(conn, &scope)?;
        let texts = aggregate::newest_saran(conn, &scope, THEME_SARAN)?;
        let saran = match &said_search {
            // fewer than the themes read: every saran is in hand, the page and the count with it
            None if (texts.len() as i64) < THEME_SARAN => {
                let from = usize::try_from(page * SARAN_PER_PAGE).unwrap_or(usize::MAX);
                let shown = texts.iter().skip(from).take(SARAN_PER_PAGE as usize).cloned().collect();
                (shown, texts.len() as i64)
            }
            _ => aggregate::saran_page(conn, &scope, said_search.as_deref(), page, SARAN_PER_PAGE)?,
        };
        let themes = crate::reports::themes::top_words(texts.iter().map(|(_, s)| s.as_str()), 6);
        let min = u64::from(state.config.scorecard_min_responses);
        let scorecard = crate::desks::scorecard(conn, &state.templates, &said_unit, &period, min)?;
        let through_hall = if is_hall {
            let counts = aggregate::through_hall(conn, &scope, said_unit.id)?;
            Some(counts.into_iter().map(|(unit, n)| (unit, u64::try_from(n).unwrap_or(0))).collect())
        } else {
            None
        };
        let channels = profile.channels.clone();
        let enumerators = crate::db::devices::enumerator_counts(conn, &profile.enumerator_devices)?;
        Ok(SaidSide { profile, saran, themes, scorecard, through_hall, channels, enumerators })
    });
    let (IndexSide { index, trend, rtl, response_rate, instruments, archived }, said) =
        futures_util::future::try_join(index_side, said_side).await?;
    let data = UnitData {
        index,
        trend,
        profile: said.profile,
        saran: said.saran,
        rtl,
        themes: said.themes,
        scorecard: said.scorecard,
        response_rate,
        through_hall: said.through_hall,
        instruments,
        channels: said.channels,
        enumerators: said.enumerators,
        archived,
    };
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
        (Some(_), Some(short), _) if short > 0 => t.fill("dash.shortfall", &[("count", count(short))]),
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
    let (rtl_here, rtl_elsewhere) = data.rtl.clone().split(&period, today);
    let tz = state.config.timezone;
    let row = |a: TrackedAction| rtl_row(&t, tz, &unit.slug, unit.id, &unit_names, &element_name, a);
    let card = &data.scorecard;
    let scorecard =
        [(t.t("dash.scorecard.counters"), &card.counters), (t.t("dash.scorecard.officers"), &card.officers)]
            .into_iter()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(title, rows)| score_table(&t, title, rows, card.min_responses))
            .collect();
    let scorecard_note = t.fill("dash.scorecard.note", &[("min", card.min_responses.to_string())]);
    let channel_total: i64 = data.channels.iter().map(|(_, n)| n).sum();
    let mut channels: Vec<(String, i64)> = data.channels.clone();
    channels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let channels = channels
        .into_iter()
        .map(|(code, n)| {
            let share = if channel_total > 0 {
                format!("{:.1} %", n as f64 * 100.0 / channel_total as f64)
            } else {
                "–".into()
            };
            (
                t.t(&format!("dashboard.channel.{code}")).to_string(),
                count(u64::try_from(n).unwrap_or(0)),
                share.replace('.', ","),
            )
        })
        .collect();
    let enumerators =
        data.enumerators.iter().map(|(name, n)| (name.clone(), count(u64::try_from(*n).unwrap_or(0)))).collect();
    let page_view = UnitPage {
        channels,
        enumerators,
        response_rate: rate_view(&t, &data.response_rate),
        instruments: super::instruments::views(&t, &data.instruments),
        scorecard,
        scorecard_note,
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
        responses: count(result.responses),
        required: data.index.required_sample.map(count),
        population: data.index.population.map(count),
        sample_short: data.index.shortfall().is_some_and(|s| s > 0),
        missing_population: data.index.required_sample.is_none().then(|| MissingPopulation {
            fix_href: session.deployment_admin().then(|| format!("/admin?populasi={}#h-populasi", unit.slug)),
            coverage: coverage.is_some(),
        }),
        sample_text,
        archived_text: crate::reports::data::archived_note(&t, &data.archived),
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
        fix_first: result
            .lowest
            .iter()
            .map(|code| FixItem {
                code: code.clone(),
                name: element_name(code),
                index: result
                    .elements
                    .iter()
                    .find(|e| &e.code == code)
                    .and_then(|e| e.index)
                    .map(id)
                    .unwrap_or_else(|| "–".into()),
                // the period's actions for the element, and older ones still open
                actions: data
                    .rtl
                    .actions
                    .iter()
                    .filter(|a| &a.action.element_code == code)
                    .filter(|a| {
                        !a.status.is_closed()
                            || a.action
                                .period
                                .parse::<Period>()
                                .is_ok_and(|p| crate::domain::follow_up::belongs_to(&p, &period))
                    })
                    .map(|a| {
                        let status = match a.days_late {
                            Some(days) => t.fill("dash.rtl.late_days", &[("days", days.to_string())]),
                            None => status_label(&t, a.status),
                        };
                        (a.action.action.clone(), status, a.is_late())
                    })
                    .collect(),
            })
            .collect(),
        themes: data.themes.iter().map(|(word, _)| word.clone()).collect(),
        lowest: result
            .lowest
            .iter()
            .map(|c| LowestForm {
                code: c.clone(),
                name: element_name(c),
                suggestions: template.element(c).map(|e| e.suggested_actions.clone()).unwrap_or_default(),
            })
            .collect(),
        pooled_label: data.index.roll_up.as_ref().map(|_| t.t("dash.rollup.pooled").to_string()),
        mean_text: data
            .index
            .roll_up
            .as_ref()
            .and_then(|r| r.mean_of_units)
            .map(|m| t.fill("dash.rollup.mean", &[("index", id(m))])),
        members: data
            .index
            .roll_up
            .as_ref()
            .map(|r| member_rows(&t, r, &period, today, data.through_hall.as_ref()))
            .unwrap_or_default(),
        hall: data.through_hall.as_ref().map(|through| HallView {
            through: t.fill(
                "dash.mpp.through",
                &[("through", count(through.values().sum())), ("total", count(result.responses))],
            ),
            rule: t.t("dash.mpp.rule").to_string(),
        }),
        rtl_all_progress: progress_view(&t, &data.rtl.progress),
        rtl_progress: progress_view(&t, &rtl_here.progress),
        rtl: rtl_here.actions.into_iter().map(&row).collect(),
        rtl_open_elsewhere: rtl_elsewhere.actions.into_iter().filter(|a| !a.status.is_closed()).map(&row).collect(),
        rtl_saved: query.tersimpan.as_deref() == Some("1"),
        // only the codes the follow-up forms send come back as words
        rtl_problem: query
            .masalah
            .as_deref()
            .and_then(|code| {
                let known = ChangeProblem::from_code(code).map(ChangeProblem::code);
                known.or_else(|| follow_up_form::ADD_PROBLEMS.iter().map(|(_, c)| *c).find(|c| *c == code))
            })
            .map(|code| t.t(&format!("dash.rtl.problem.{code}")).to_string()),
        statuses: RtlStatus::ALL.iter().map(|s| (s.as_str().to_string(), status_label(&t, *s))).collect(),
        q: search.clone().unwrap_or_default(),
        saran,
        page_text: t.fill("dash.saran.page", &[("page", (page + 1).to_string()), ("pages", pages.to_string())]),
        prev_href: (page > 0).then(|| link(page - 1)),
        next_href: (page + 1 < pages).then(|| link(page + 1)),
    };
    html(if period_problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK }, &page_view)
}

fn status_label(t: &Tr, status: RtlStatus) -> String {
    t.t(&format!("status.{}", status.as_str())).to_string()
}

/// A local date and time of a stored UTC instant: "3 November 2026 10.12".
fn when(at: chrono::NaiveDateTime, tz: chrono_tz::Tz) -> String {
    let local = at.and_utc().with_timezone(&tz);
    format!("{} {}", date_id(local.date_naive()), local.format("%H.%M"))
}

fn rtl_row(
    t: &Tr,
    tz: chrono_tz::Tz,
    slug: &str,
    unit_id: i32,
    unit_names: &std::collections::HashMap<i32, String>,
    element_name: &dyn Fn(&str) -> String,
    a: TrackedAction,
) -> RtlRow {
    let label = |status: &str| status.parse().map(|s| status_label(t, s)).unwrap_or_else(|_| status.to_string());
    let history = a
        .history
        .iter()
        .map(|h| HistoryLine {
            when: when(h.at, tz),
            who: h.by.clone().unwrap_or_else(|| t.t("dash.rtl.history.unknown").to_string()),
            what: match &h.from_status {
                None => t.fill("dash.rtl.history.created", &[("status", label(&h.to_status))]),
                Some(from) => format!("{} → {}", label(from), label(&h.to_status)),
            },
            note: h.note.clone(),
            url: h.url.clone(),
        })
        .collect();
    let id = a.action.id;
    RtlRow {
        unit: (a.action.unit_id != unit_id).then(|| unit_names.get(&a.action.unit_id).cloned().unwrap_or_default()),
        id,
        element: format!("{} {}", a.action.element_code, element_name(&a.action.element_code)),
        status_label: status_label(t, a.status),
        status: a.status.as_str().to_string(),
        late: a.days_late.map(|days| t.fill("dash.rtl.late_days", &[("days", days.to_string())])),
        evidence: a.evidence.map(|e| EvidenceView {
            note: e.note,
            url: e.url,
            image: e.image.then(|| format!("/dasbor/unit/{slug}/rtl/{id}/bukti")),
            by: t.fill(
                "dash.rtl.evidence.by",
                &[
                    ("who", e.by.unwrap_or_else(|| t.t("dash.rtl.history.unknown").to_string())),
                    ("when", when(e.at, tz)),
                ],
            ),
        }),
        reason: a.reason,
        latest_note: (!a.status.is_closed()).then(|| a.history.iter().rev().find_map(|h| h.note.clone())).flatten(),
        history,
        due: a.action.due_date.parse().map(date_id).unwrap_or(a.action.due_date),
        action: a.action.action,
        owner: a.action.owner,
    }
}

/// The per-unit table of a roll-up: ranked (ties share a rank), with a badge where the sample
/// falls short, and each unit's follow-up actions of the period done.
fn member_rows(
    t: &Tr,
    roll_up: &aggregator::RollUp,
    period: &Period,
    today: chrono::NaiveDate,
    through_hall: Option<&std::collections::HashMap<i32, u64>>,
) -> Vec<MemberRow> {
    roll_up
        .members
        .iter()
        .map(|m| MemberRow {
            rank: m.rank.map_or_else(|| "–".into(), |n| n.to_string()),
            slug: m.unit.slug.clone(),
            name: m.unit.name.clone(),
            responses: count(m.result.responses),
            required: m.required_sample.map(count).unwrap_or_else(|| "–".into()),
            short: short_badge(t, Adequacy::of(m.result.responses, m.required_sample)),
            index: m.result.index.map(id).unwrap_or_else(|| "–".into()),
            grade: m.result.grade.as_ref().map(|g| g.grade.clone()).unwrap_or_else(|| "–".into()),
            lowest: m.result.lowest.join(", "),
            rtl: progress_view(t, &m.rtl_progress(Some(period), today)),
            through_hall: through_hall.map(|n| count(n.get(&m.unit.id).copied().unwrap_or(0))).unwrap_or_default(),
        })
        .collect()
}
