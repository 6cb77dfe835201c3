//! The aggregator (SPEC §3–§5): the full index result for a unit (with or without its sub-units),
//! a service and a period, the trend, and the regency overview. The database sums and counts;
//! `domain::ikm` does the arithmetic. Pages, reports, e-mails and the JSON API all use this.

use crate::catalog::TemplateRegistry;
use crate::db::aggregate::{self, Grouping, Scope};
use crate::db::rtl::{self, RtlAction};
use crate::db::units::{self, Unit};
use crate::db::{templates, DbConnection, DbError};
use crate::domain::decimal::Rounded;
use crate::domain::follow_up::Progress;
use crate::domain::ikm::{self, IndexResult, Tally};
use crate::domain::names::RtlStatus;
use crate::domain::period::Period;
use crate::domain::population::{self, population_for, RollUpPopulation};
use crate::domain::ranking::competition_ranks;
use crate::domain::sampling::required_sample;
use crate::domain::template::Template;
use crate::follow_up;
use std::collections::HashMap;
use std::sync::Arc;

/// What to aggregate.
#[derive(Debug, Clone)]
pub struct Selection {
    pub period: Period,
    pub with_subunits: bool,
    pub service_id: Option<i32>,
}

pub struct UnitIndex {
    pub unit: Unit,
    pub template: Arc<Template>,
    pub selection: Selection,
    pub result: IndexResult,
    pub previous: IndexResult,
    /// index minus the previous period's, both rounded as published
    pub change: Option<Rounded>,
    /// the population of the period; for a roll-up, only when it is known (SPEC §3)
    pub population: Option<u64>,
    pub required_sample: Option<u64>,
    /// the units counted (the unit, and its sub-units when selected)
    pub unit_ids: Vec<i32>,
    /// with sub-units selected and present: each member's own figures
    pub roll_up: Option<RollUp>,
    /// every stored version of the unit's questionnaire
    pub version_ids: Vec<i32>,
    /// the last `TREND_MONTHS` months' indices, when read with the figures (a roll-up of whole
    /// months); otherwise `trend` reads them
    pub trend: Option<Vec<(Period, IndexResult)>>,
}

/// A unit with its sub-units (SPEC §3): the pooled index is `UnitIndex::result`; this holds what
/// a roll-up shows beside it.
pub struct RollUp {
    /// every unit of the subtree with its own responses, population and follow-up actions,
    /// ranked by index (ties share a rank, by name within it); the top unit, and a Mal Pelayanan
    /// Publik (whose agencies are members themselves), only when it has responses of its own
    pub members: Vec<Member>,
    pub population: Option<RollUpPopulation>,
    /// the unweighted mean of the members' indices, offered beside the pooled one
    pub mean_of_units: Option<Rounded>,
}

pub struct Member {
    /// the competition rank of the member's published NIK (1, 2, 2, 4); `None` without responses
    pub rank: Option<usize>,
    pub unit: Unit,
    pub result: IndexResult,
    pub population: Option<u64>,
    pub required_sample: Option<u64>,
    pub rtl: Vec<RtlAction>,
}

impl Member {
    /// Responses short of the required sample, if the population is known.
    pub fn shortfall(&self) -> Option<u64> {
        self.required_sample.map(|r| r.saturating_sub(self.result.responses))
    }

    pub fn rtl_done(&self) -> usize {
        self.rtl.iter().filter(|a| a.status() == RtlStatus::Done).count()
    }

    /// The actions the share done is taken of: all but the dropped ones (SPEC §6a).
    pub fn rtl_counted(&self) -> usize {
        self.rtl.iter().filter(|a| a.status() != RtlStatus::Dropped).count()
    }

    /// The member's follow-up actions on `today`: all of them, or those of `period` (SPEC §6a:
    /// % done = done ÷ (all − dropped)).
    pub fn rtl_progress(&self, period: Option<&Period>, today: chrono::NaiveDate) -> Progress {
        follow_up::progress_of(&self.rtl, period, today)
    }
}

impl UnitIndex {
    /// The responses this index counts, for further queries (profile, saran, exports).
    pub fn scope(&self) -> Scope<'_> {
        Scope {
            unit_ids: &self.unit_ids,
            service_id: self.selection.service_id,
            template_version_ids: &self.version_ids,
            period: self.selection.period,
        }
    }

    /// Responses short of the Krejcie–Morgan sample, if the population is known.
    pub fn shortfall(&self) -> Option<u64> {
        self.required_sample.map(|r| r.saturating_sub(self.result.responses))
    }
}

/// The questionnaire a unit uses and the ids of all its stored versions.
pub fn template_of(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    unit: &Unit,
) -> Result<(Arc<Template>, Vec<i32>), DbError> {
    let (_, template) = registry.current_for(unit)?;
    Ok((template, templates::version_ids(conn, registry.id_for(unit))?))
}

/// The same from populations already read (`units::populations_of`).
fn population_of(recorded: &HashMap<i32, HashMap<String, i64>>, unit_ids: &[i32], period: &Period) -> Option<u64> {
    let none = HashMap::new();
    unit_ids.iter().map(|id| population_for(period, recorded.get(id).unwrap_or(&none))).sum()
}

fn change(now: &IndexResult, before: &IndexResult) -> Option<Rounded> {
    let (now, before) = (now.index?, before.index?);
    Some(Rounded::half_up(&(now.as_ratio() - before.as_ratio()), 2))
}

pub fn unit_index(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    unit: &Unit,
    selection: &Selection,
) -> Result<UnitIndex, DbError> {
    let (template, version_ids) = template_of(conn, registry, unit)?;
    let unit_ids = units::scope_ids(conn, unit.id, selection.with_subunits)?;
    let scope = Scope {
        unit_ids: &unit_ids,
        service_id: selection.service_id,
        template_version_ids: &version_ids,
        period: selection.period,
    };
    let recorded = units::populations_of(conn, &unit_ids)?;
    let previous_period = selection.period.previous();
    let trend_months = months_up_to(selection.period, TREND_MONTHS);
    // A roll-up of whole months (any standard period) reads its members' totals of the period
    // and its trend's twelve pooled months, both from the monthly totals: ~1,000 groups for a
    // regency's year. (Read by member and month, as once from the daily rows to spare passes
    // over them, they were ~10,000 groups that the page summed again: half its time.) The period
    // before, when inside the trend's months, is a sum of those months.
    let in_trend = |period: &Period| {
        period.months().filter(|months| months.iter().all(|m| trend_months.iter().any(|t| t.to_string() == *m)))
    };
    let trend_totals: Option<Vec<aggregate::GroupTotals>> =
        match (unit_ids.len(), selection.service_id, in_trend(&selection.period)) {
            (2.., None, Some(_)) => {
                Some(aggregate::totals_by_period(conn, &scope, &trend_months)?.into_iter().map(|(_, t)| t).collect())
            }
            _ => None,
        };
    // the pooled totals over `period`; None when the period is not inside the trend's months
    let sum_over = |trend: &[aggregate::GroupTotals], period: &Period| {
        let months = in_trend(period)?;
        let inside = trend_months.iter().zip(trend).filter(|(month, _)| months.contains(&month.to_string()));
        Some(aggregate::GroupTotals::pooled(inside.map(|(_, totals)| totals)))
    };
    let per_unit: Option<HashMap<Option<i32>, aggregate::GroupTotals>> = match unit_ids.len() {
        2.. => Some(aggregate::totals(conn, &scope, Grouping::Unit)?.into_iter().map(|g| (g.key, g)).collect()),
        _ => None,
    };
    let (roll_up, pooled) = match per_unit {
        None => (None, None),
        Some(per_unit) => {
            let (roll_up, pooled) = roll_up(conn, &template, unit, &unit_ids, &scope, &recorded, &per_unit)?;
            (Some(roll_up), Some(pooled))
        }
    };
    let population = match &roll_up {
        Some(r) => r.population.and_then(RollUpPopulation::known),
        None => population_of(&recorded, &unit_ids, &selection.period),
    };
    // A roll-up's period is the sum of its members' groups, already read; otherwise both
    // periods in one statement per table. The previous one only feeds the change.
    let (current, before) = match pooled {
        Some(pooled) => {
            let before = match trend_totals.as_deref().and_then(|trend| sum_over(trend, &previous_period)) {
                Some(totals) => Some(totals),
                None => aggregate::totals_by_period(conn, &scope, &[previous_period])?.pop().map(|(_, t)| t),
            };
            (Some(pooled), before)
        }
        None => {
            let mut both = aggregate::totals_by_period(conn, &scope, &[selection.period, previous_period])?.into_iter();
            (both.next().map(|(_, t)| t), both.next().map(|(_, t)| t))
        }
    };
    let trend = trend_totals.map(|totals| {
        trend_months
            .iter()
            .zip(totals)
            .map(|(month, totals)| (*month, ikm::compute(&template, &totals.tally(&template), None)))
            .collect()
    });
    let tally =
        |t: Option<&aggregate::GroupTotals>| t.map(|t| t.tally(&template)).unwrap_or_else(|| Tally::empty(&template));
    let result = ikm::compute(&template, &tally(current.as_ref()), population);
    let previous = ikm::compute(&template, &tally(before.as_ref()), None);
    Ok(UnitIndex {
        change: change(&result, &previous),
        unit: unit.clone(),
        template,
        selection: selection.clone(),
        result,
        previous,
        population,
        required_sample: population.map(required_sample),
        unit_ids,
        version_ids,
        roll_up,
        trend,
    })
}

/// How many months a unit's trend shows.
pub const TREND_MONTHS: usize = 12;

/// The `count` months up to and including the last month of `last` (oldest first).
fn months_up_to(last: Period, count: usize) -> Vec<Period> {
    let last = Period::month_of(last.end_exclusive().pred_opt().unwrap_or(last.first_day()));
    let mut periods = vec![last];
    while periods.len() < count {
        let before = periods[periods.len() - 1].previous();
        periods.push(before);
    }
    periods.reverse();
    periods
}

/// A Mal Pelayanan Publik holds no responses of its own: its agencies, its sub-units, do.
fn is_hall(unit: &Unit) -> bool {
    unit.kind == crate::domain::names::UnitKind::Mpp.as_str()
}

/// Each member's own figures, and the roll-up's population and mean of units.
fn roll_up(
    conn: &mut DbConnection,
    template: &Template,
    top: &Unit,
    unit_ids: &[i32],
    scope: &Scope,
    recorded: &HashMap<i32, HashMap<String, i64>>,
    totals: &HashMap<Option<i32>, aggregate::GroupTotals>,
) -> Result<(RollUp, aggregate::GroupTotals), DbError> {
    let pooled = aggregate::GroupTotals::pooled(totals.values());
    let mut actions: HashMap<i32, Vec<RtlAction>> = HashMap::new();
    for action in rtl::for_units(conn, unit_ids)? {
        actions.entry(action.unit_id).or_default().push(action);
    }
    let mut members = Vec::new();
    // only the members' rows: a national tree has 50,000 units, and reading them all cost a
    // regency dashboard most of its time (benches/national.rs)
    let mut listed = units::by_ids(conn, unit_ids)?;
    // in the order of the unit list, so ties keep their order
    listed.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    for unit in listed {
        let tally = totals.get(&Some(unit.id)).map(|g| g.tally(template)).unwrap_or_else(|| Tally::empty(template));
        if (unit.id == top.id || is_hall(&unit)) && tally.responses == 0 {
            continue;
        }
        let population = population_of(recorded, &[unit.id], &scope.period);
        members.push(Member {
            rank: None,
            result: ikm::compute(template, &tally, population),
            required_sample: population.map(required_sample),
            population,
            rtl: actions.remove(&unit.id).unwrap_or_default(),
            unit,
        });
    }
    members.sort_by(|a, b| b.result.index_exact.cmp(&a.result.index_exact).then_with(|| a.unit.name.cmp(&b.unit.name)));
    let ranks = competition_ranks(&members.iter().map(|m| m.result.index).collect::<Vec<_>>());
    for (member, rank) in members.iter_mut().zip(ranks) {
        member.rank = rank;
    }
    let answered: Vec<(bool, Option<u64>)> = unit_ids
        .iter()
        .map(|id| {
            let responses = totals.get(&Some(*id)).map_or(0, |g| g.responses);
            (responses > 0, population_of(recorded, &[*id], &scope.period))
        })
        .collect();
    let results: Vec<IndexResult> = members.iter().map(|m| m.result.clone()).collect();
    let roll_up =
        RollUp { members, population: population::roll_up(&answered), mean_of_units: ikm::mean_of_units(&results) };
    Ok((roll_up, pooled))
}

/// The index of each of the `months` months up to and including `last` (oldest first).
pub fn trend(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    unit: &Unit,
    with_subunits: bool,
    last: Period,
    months: usize,
) -> Result<Vec<(Period, IndexResult)>, DbError> {
    let (template, version_ids) = template_of(conn, registry, unit)?;
    let unit_ids = units::scope_ids(conn, unit.id, with_subunits)?;
    let periods = months_up_to(last, months);
    let scope = Scope { unit_ids: &unit_ids, service_id: None, template_version_ids: &version_ids, period: last };
    Ok(aggregate::totals_by_period(conn, &scope, &periods)?
        .into_iter()
        .map(|(p, totals)| (p, ikm::compute(&template, &totals.tally(&template), None)))
        .collect())
}

pub struct RegencyRow {
    pub unit: Unit,
    pub result: IndexResult,
    pub required_sample: Option<u64>,
    /// the unit's follow-up actions of the period (SPEC §6a)
    pub rtl: Progress,
    /// the unit's late follow-up actions, of any period
    pub rtl_late: usize,
    pub template_id: String,
}

pub struct RegencyOverview {
    /// units ranked by index, highest first; units without responses last
    pub rows: Vec<RegencyRow>,
    /// every response of units on the default questionnaire, pooled
    pub pooled: IndexResult,
    /// the unweighted mean of those units' indices
    pub mean_of_units: Option<Rounded>,
    pub template: Arc<Template>,
}

/// Every unit's own index for the period (optionally only units of one kind), ranked.
pub fn regency(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    period: Period,
    kind: Option<&str>,
    within: Option<&[i32]>,
    today: chrono::NaiveDate,
) -> Result<RegencyOverview, DbError> {
    // only the units the reader may see are computed: in a nation-wide tree a regency's head
    // must not pay for 50,000 units, nor read their follow-up actions
    let (listed, listed_actions) = match within {
        Some(ids) => (units::by_ids(conn, ids)?, rtl::for_units(conn, ids)?),
        None => (units::list(conn)?, rtl::all(conn)?),
    };
    let all: Vec<Unit> = listed.into_iter().filter(|u| kind.is_none_or(|k| u.kind == k)).collect();
    let mut actions: HashMap<i32, Vec<RtlAction>> = HashMap::new();
    for action in listed_actions {
        actions.entry(action.unit_id).or_default().push(action);
    }
    let mut by_template: HashMap<String, Vec<&Unit>> = HashMap::new();
    for unit in &all {
        by_template.entry(registry.id_for(unit).to_string()).or_default().push(unit);
    }
    let (_, default) = registry.default_template();
    let all_ids: Vec<i32> = all.iter().map(|u| u.id).collect();
    let populations = units::populations_of(conn, &all_ids)?;
    let mut rows = Vec::with_capacity(all.len());
    let mut pooled = Tally::empty(&default);
    let mut default_results = Vec::new();
    for (template_id, members) in by_template {
        let Some((_, template)) = registry.current(&template_id) else { continue };
        let version_ids = templates::version_ids(conn, &template_id)?;
        let ids: Vec<i32> = members.iter().map(|u| u.id).collect();
        let scope = Scope { unit_ids: &ids, service_id: None, template_version_ids: &version_ids, period };
        let totals: HashMap<Option<i32>, aggregate::GroupTotals> =
            aggregate::totals(conn, &scope, Grouping::Unit)?.into_iter().map(|g| (g.key, g)).collect();
        for unit in members {
            let tally =
                totals.get(&Some(unit.id)).map(|g| g.tally(&template)).unwrap_or_else(|| Tally::empty(&template));
            // a hall is no service unit: its agencies have their rows
            if is_hall(unit) && tally.responses == 0 {
                continue;
            }
            let population = population_of(&populations, &[unit.id], &period);
            let result = ikm::compute(&template, &tally, population);
            if template_id == registry.default_id() {
                pooled.merge(&tally);
                default_results.push(result.clone());
            }
            let own = actions.get(&unit.id).map(Vec::as_slice).unwrap_or_default();
            rows.push(RegencyRow {
                unit: unit.clone(),
                result,
                required_sample: population.map(required_sample),
                rtl: follow_up::progress_of(own, Some(&period), today),
                rtl_late: follow_up::progress_of(own, None, today).late,
                template_id: template_id.clone(),
            });
        }
    }
    rows.sort_by(|a, b| b.result.index_exact.cmp(&a.result.index_exact).then_with(|| a.unit.name.cmp(&b.unit.name)));
    Ok(RegencyOverview {
        rows,
        pooled: ikm::compute(&default, &pooled, None),
        mean_of_units: ikm::mean_of_units(&default_results),
        template: default,
    })
}

/// An attached instrument's figures (Zona Integritas, FORMAT.md): computed on its own answers
/// only, as a `mean` template is: NRR per element, the mean (IKM) and its percentage of the scale
/// maximum, with the number of submissions that answered it.
pub struct InstrumentIndex {
    pub template: Arc<Template>,
    pub result: IndexResult,
}

/// The figures of each instrument the unit attaches, in form order, for the index's units,
/// service and period (every stored version of each instrument counts, as for the main one).
pub fn instruments(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    index: &UnitIndex,
) -> Result<Vec<InstrumentIndex>, DbError> {
    use crate::db::instruments::{self as stored, InstrumentScope};
    let mut found = Vec::new();
    for template_id in stored::for_unit(conn, index.unit.id)? {
        let Some((_, template)) = registry.current(&template_id) else { continue };
        let version_ids = templates::version_ids(conn, &template_id)?;
        let scope = InstrumentScope {
            unit_ids: &index.unit_ids,
            service_id: index.selection.service_id,
            template_version_ids: &version_ids,
            period: index.selection.period,
        };
        let totals = stored::totals(conn, &scope)?;
        let tally = Tally {
            responses: totals.submissions,
            elements: template
                .elements
                .iter()
                .map(|e| totals.elements.get(&e.code).cloned().unwrap_or_default())
                .collect(),
            dispersion: Default::default(),
        };
        found.push(InstrumentIndex { result: ikm::compute(&template, &tally, None), template });
    }
    Ok(found)
}

/// A tenant's place in a province or national overview, from its monthly roll-ups.
pub struct RegionRow {
    pub unit: Unit,
    pub result: IndexResult,
    /// competition rank among the rows of its list; `None` without responses
    pub rank: Option<usize>,
}

/// A tenant (the nation, a province, a regency or a city) and the tenants below it, from the
/// roll-ups (`db::rollup`), on the default questionnaire: other questionnaires' scales do not
/// pool. `months` are the period's (`Period::months`).
pub struct RegionOverview {
    pub node: Unit,
    pub template: Arc<Template>,
    pub pooled: IndexResult,
    /// the tenants right below (provinces of the nation, regencies of a province), ranked
    pub children: Vec<RegionRow>,
    /// for the nation: every regency and city below it, ranked together
    pub regencies: Vec<RegionRow>,
    /// when the oldest month read was refreshed (UTC); `None` when a month of the period was
    /// never refreshed
    pub fresh_as_of: Option<chrono::NaiveDateTime>,
    /// months of the period not refreshed yet (the roll-up job has not reached them)
    pub missing_months: Vec<String>,
}

pub fn region(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    node: Unit,
    months: &[String],
) -> Result<RegionOverview, DbError> {
    use crate::db::rollup::{self, Tenants};
    use crate::domain::names::UnitKind;
    let tenants = Tenants::load_tenants(conn)?;
    let (_, template) = registry.default_template();
    let version_ids = templates::version_ids(conn, registry.default_id())?;
    let below = |parent: i32| -> Vec<i32> {
        tenants.nodes.iter().filter(|(_, up, _)| *up == Some(parent)).map(|(id, _, _)| *id).collect()
    };
    let children = below(node.id);
    let regencies: Vec<i32> = if node.kind == UnitKind::Nation.as_str() {
        // the tenants' chains already say which regencies are below the node: no second walk
        // of the whole tree
        tenants
            .nodes
            .iter()
            .filter(|(id, _, kind)| {
                matches!(kind, UnitKind::Regency | UnitKind::City) && tenants.of(*id).contains(&node.id)
            })
            .map(|(id, _, _)| *id)
            .collect()
    } else {
        Vec::new()
    };
    let mut wanted: Vec<i32> = vec![node.id];
    wanted.extend(&children);
    wanted.extend(&regencies);
    let totals = rollup::totals(conn, &wanted, months, &version_ids)?;
    let result_of = |id: i32| {
        let tally = totals.get(&id).map(|g| g.tally(&template)).unwrap_or_else(|| Tally::empty(&template));
        ikm::compute(&template, &tally, None)
    };
    let named: HashMap<i32, Unit> = units::by_ids(conn, &wanted)?.into_iter().map(|u| (u.id, u)).collect();
    let ranked = |ids: &[i32]| -> Vec<RegionRow> {
        let mut rows: Vec<RegionRow> = ids
            .iter()
            .filter_map(|id| named.get(id).cloned())
            .map(|unit| RegionRow { result: result_of(unit.id), unit, rank: None })
            .collect();
        // highest index first, those without responses last, by name within a tie
        rows.sort_by(|a, b| b.result.index.cmp(&a.result.index).then_with(|| a.unit.name.cmp(&b.unit.name)));
        let indices: Vec<Option<Rounded>> = rows.iter().map(|r| r.result.index).collect();
        for (row, rank) in rows.iter_mut().zip(competition_ranks(&indices)) {
            row.rank = rank;
        }
        rows
    };
    let refreshed = rollup::refreshed_at(conn, months)?;
    let missing_months: Vec<String> = months.iter().filter(|m| !refreshed.contains_key(*m)).cloned().collect();
    let fresh_as_of = if missing_months.is_empty() { refreshed.values().min().copied() } else { None };
    Ok(RegionOverview {
        pooled: result_of(node.id),
        children: ranked(&children),
        regencies: ranked(&regencies),
        node,
        template,
        fresh_as_of,
        missing_months,
    })
}
