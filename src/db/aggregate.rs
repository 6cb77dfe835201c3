//! Aggregation in SQL: sums and counts per element, grouped by unit or service, for one date
//! range. The arithmetic on those totals happens in `domain::ikm`.

use super::schema::{answers, responses};
use super::{DbConnection, DbError};
use crate::domain::ikm::{ElementTally, Tally};
use crate::domain::interval::Dispersion;
use crate::domain::period::Period;
use crate::domain::template::Template;
use diesel::dsl::{count, count_star, sql, sum};
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Nullable};
use std::collections::BTreeMap;

/// Which responses to total.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub unit_ids: &'a [i32],
    pub service_id: Option<i32>,
    /// versions of one questionnaire: responses to other questionnaires never mix in
    pub template_version_ids: &'a [i32],
    pub period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// one group for the whole scope (pooled)
    All,
    Unit,
    Service,
}

/// Totals of one group; `key` is the unit or service id (None for `All`, or for responses
/// without a service).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupTotals {
    pub key: Option<i32>,
    pub responses: u64,
    pub elements: BTreeMap<String, ElementTally>,
    pub dispersion: Dispersion,
}

impl GroupTotals {
    /// The totals in the template's element order; codes the template lacks are ignored.
    pub fn tally(&self, template: &Template) -> Tally {
        Tally {
            responses: self.responses,
            elements: template
                .elements
                .iter()
                .map(|e| self.elements.get(&e.code).cloned().unwrap_or_default())
                .collect(),
            dispersion: self.dispersion.clone(),
        }
    }
}

macro_rules! scoped {
    ($query:expr, $scope:expr) => {{
        let (from, to) = ($scope.period.first_day().to_string(), $scope.period.end_exclusive().to_string());
        let mut query = $query
            .filter(responses::unit_id.eq_any($scope.unit_ids))
            .filter(responses::template_version_id.eq_any($scope.template_version_ids))
            .filter(responses::survey_date.ge(from))
            .filter(responses::survey_date.lt(to))
            .into_boxed::<super::MultiBackend>();
        if let Some(service_id) = $scope.service_id {
            query = query.filter(responses::service_id.eq(service_id));
        }
        query
    }};
}

type ElementRow = (Option<i32>, String, Option<i64>, i64);
type ResponseRow = (Option<i32>, i64, Option<f64>, Option<f64>);

fn no_key() -> diesel::expression::SqlLiteral<Nullable<Integer>> {
    sql::<Nullable<Integer>>("NULL")
}

// Per-response mean scores for the interval; a statistical estimate, so floats are fine here.
fn mean() -> diesel::expression::SqlLiteral<Nullable<Double>> {
    sql::<Nullable<Double>>("SUM(CAST(responses.score_sum AS DOUBLE PRECISION) / responses.score_count)")
}

fn mean_squared() -> diesel::expression::SqlLiteral<Nullable<Double>> {
    sql::<Nullable<Double>>(
        "SUM(CAST(responses.score_sum AS DOUBLE PRECISION) * responses.score_sum \
         / (CAST(responses.score_count AS DOUBLE PRECISION) * responses.score_count))",
    )
}

/// Sums and counts per element and group, computed by the database.
pub fn totals(conn: &mut DbConnection, scope: &Scope, grouping: Grouping) -> Result<Vec<GroupTotals>, DbError> {
    let joined = answers::table.inner_join(responses::table);
    let element_rows: Vec<ElementRow> = match grouping {
        Grouping::All => scoped!(
            joined.group_by(answers::element_code).select((
                no_key(),
                answers::element_code,
                sum(answers::score),
                count(answers::score)
            )),
            scope
        )
        .load(conn)?,
        Grouping::Unit => scoped!(
            joined.group_by((responses::unit_id, answers::element_code)).select((
                responses::unit_id.nullable(),
                answers::element_code,
                sum(answers::score),
                count(answers::score)
            )),
            scope
        )
        .load(conn)?,
        Grouping::Service => scoped!(
            joined.group_by((responses::service_id, answers::element_code)).select((
                responses::service_id,
                answers::element_code,
                sum(answers::score),
                count(answers::score)
            )),
            scope
        )
        .load(conn)?,
    };
    let answered = responses::score_count.gt(0);
    let response_rows: Vec<ResponseRow> = match grouping {
        Grouping::All => {
            scoped!(responses::table.filter(answered).select((no_key(), count_star(), mean(), mean_squared())), scope)
                .load(conn)?
        }
        Grouping::Unit => scoped!(
            responses::table.filter(answered).group_by(responses::unit_id).select((
                responses::unit_id.nullable(),
                count_star(),
                mean(),
                mean_squared()
            )),
            scope
        )
        .load(conn)?,
        Grouping::Service => scoped!(
            responses::table.filter(answered).group_by(responses::service_id).select((
                responses::service_id,
                count_star(),
                mean(),
                mean_squared()
            )),
            scope
        )
        .load(conn)?,
    };

    let mut groups: BTreeMap<Option<i32>, GroupTotals> = BTreeMap::new();
    for (key, responses, mean_sum, squares) in response_rows {
        if responses == 0 {
            continue;
        }
        let group = groups.entry(key).or_insert_with(|| GroupTotals { key, ..GroupTotals::default() });
        group.responses = responses as u64;
        group.dispersion =
            Dispersion { n: responses as u64, sum: mean_sum.unwrap_or(0.0), sum_squares: squares.unwrap_or(0.0) };
    }
    for (key, code, total, answered) in element_rows {
        let group = groups.entry(key).or_insert_with(|| GroupTotals { key, ..GroupTotals::default() });
        group
            .elements
            .insert(code, ElementTally { sum: total.unwrap_or(0).max(0) as u64, count: answered.max(0) as u64 });
    }
    Ok(groups.into_values().collect())
}

/// Pooled totals of the scope for each period in `periods` (a trend), one query pair each.
pub fn totals_by_period(
    conn: &mut DbConnection,
    scope: &Scope,
    periods: &[Period],
) -> Result<Vec<(Period, GroupTotals)>, DbError> {
    periods
        .iter()
        .map(|period| {
            let scope = Scope { period: *period, ..scope.clone() };
            let total = totals(conn, &scope, Grouping::All)?.into_iter().next().unwrap_or_default();
            Ok((*period, total))
        })
        .collect()
}

diesel::define_sql_function! {
    /// Lower-case text, for case-insensitive search on both backends.
    fn lower(text: Nullable<diesel::sql_types::Text>) -> Nullable<diesel::sql_types::Text>;
}

/// How many responses of the scope answered each value of a profile column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileCounts {
    pub gender: Vec<(Option<String>, i64)>,
    pub education: Vec<(Option<String>, i64)>,
    pub occupation: Vec<(Option<String>, i64)>,
    pub age: Vec<(Option<i32>, i64)>,
    pub flagged: i64,
}

pub fn profile_counts(conn: &mut DbConnection, scope: &Scope) -> Result<ProfileCounts, DbError> {
    Ok(ProfileCounts {
        gender: scoped!(responses::table.group_by(responses::gender).select((responses::gender, count_star())), scope)
            .load(conn)?,
        education: scoped!(
            responses::table.group_by(responses::education).select((responses::education, count_star())),
            scope
        )
        .load(conn)?,
        occupation: scoped!(
            responses::table.group_by(responses::occupation).select((responses::occupation, count_star())),
            scope
        )
        .load(conn)?,
        age: scoped!(responses::table.group_by(responses::age).select((responses::age, count_star())), scope)
            .load(conn)?,
        flagged: scoped!(responses::table.filter(responses::flagged.eq(true)).select(count_star()), scope)
            .first(conn)?,
    })
}

/// One page of saran (newest first), optionally only those containing `search`.
pub fn saran_page(
    conn: &mut DbConnection,
    scope: &Scope,
    search: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<(String, String)>, i64), DbError> {
    let pattern =
        search.map(|s| format!("%{}%", s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let base = || {
        let mut query = scoped!(responses::table.filter(responses::saran.is_not_null()), scope);
        if let Some(p) = &pattern {
            query = query.filter(lower(responses::saran).like(p.clone()).escape('\\'));
        }
        query
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows: Vec<(String, Option<String>)> = base()
        .order((responses::survey_date.desc(), responses::id.desc()))
        .limit(per_page)
        .offset(page.max(0) * per_page)
        .select((responses::survey_date, responses::saran))
        .load(conn)?;
    Ok((rows.into_iter().map(|(d, s)| (d, s.unwrap_or_default())).collect(), total))
}
