//! Aggregation in SQL: sums and counts per element, grouped by unit or service, for one date
//! range, read from the daily totals (`db::totals`). The arithmetic on those totals happens in
//! `domain::ikm`.

use super::schema::responses;
use super::{DbConnection, DbError};
use crate::domain::ikm::{ElementTally, Tally};
use crate::domain::interval::Dispersion;
use crate::domain::period::Period;
use crate::domain::template::Template;
use diesel::dsl::{count_star, sql, sum};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable};
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

/// The scope's filters on a table with the response columns (`responses`, or a daily totals
/// table), boxed so the optional service filter can be added.
macro_rules! within {
    ($query:expr, $table:ident, $scope:expr) => {{
        let (from, to) = ($scope.period.first_day().to_string(), $scope.period.end_exclusive().to_string());
        let mut query = $query
            .filter($table::unit_id.eq_any($scope.unit_ids))
            .filter($table::template_version_id.eq_any($scope.template_version_ids))
            .filter($table::survey_date.ge(from))
            .filter($table::survey_date.lt(to))
            .into_boxed::<super::MultiBackend>();
        if let Some(service_id) = $scope.service_id {
            query = query.filter($table::service_id.eq(service_id));
        }
        query
    }};
}

type ElementRow = (Option<i32>, String, Option<i64>, Option<i64>);
type ResponseRow = (Option<i32>, Option<i64>, Option<f64>, Option<f64>);

fn no_key() -> diesel::expression::SqlLiteral<Nullable<Integer>> {
    sql::<Nullable<Integer>>("NULL")
}

/// Sums and counts per element and group, computed by the database from the daily totals.
pub fn totals(conn: &mut DbConnection, scope: &Scope, grouping: Grouping) -> Result<Vec<GroupTotals>, DbError> {
    use super::schema::daily_element_totals as e;
    use super::schema::daily_response_totals as r;
    let element_rows: Vec<ElementRow> = match grouping {
        Grouping::All => within!(
            e::table.group_by(e::element_code).select((
                no_key(),
                e::element_code,
                sum(e::score_sum),
                sum(e::answer_count)
            )),
            e,
            scope
        )
        .load(conn)?,
        Grouping::Unit => within!(
            e::table.group_by((e::unit_id, e::element_code)).select((
                e::unit_id.nullable(),
                e::element_code,
                sum(e::score_sum),
                sum(e::answer_count)
            )),
            e,
            scope
        )
        .load(conn)?,
        Grouping::Service => within!(
            e::table.group_by((e::service_id, e::element_code)).select((
                e::service_id.nullable(),
                e::element_code,
                sum(e::score_sum),
                sum(e::answer_count)
            )),
            e,
            scope
        )
        .load(conn)?,
    };
    let response_rows: Vec<ResponseRow> = match grouping {
        Grouping::All => {
            within!(r::table.select((no_key(), sum(r::responses), sum(r::mean_sum), sum(r::mean_square_sum))), r, scope)
                .load(conn)?
        }
        Grouping::Unit => within!(
            r::table.group_by(r::unit_id).select((
                r::unit_id.nullable(),
                sum(r::responses),
                sum(r::mean_sum),
                sum(r::mean_square_sum)
            )),
            r,
            scope
        )
        .load(conn)?,
        Grouping::Service => within!(
            r::table.group_by(r::service_id).select((
                r::service_id.nullable(),
                sum(r::responses),
                sum(r::mean_sum),
                sum(r::mean_square_sum)
            )),
            r,
            scope
        )
        .load(conn)?,
    };
    // In the daily tables service 0 stands for "no service".
    let key = |k: Option<i32>| if grouping == Grouping::Service { k.filter(|id| *id != 0) } else { k };

    let mut groups: BTreeMap<Option<i32>, GroupTotals> = BTreeMap::new();
    for (raw, responses, mean_sum, squares) in response_rows {
        let responses = responses.unwrap_or(0).max(0) as u64;
        if responses == 0 {
            continue;
        }
        let key = key(raw);
        let group = groups.entry(key).or_insert_with(|| GroupTotals { key, ..GroupTotals::default() });
        group.responses = responses;
        group.dispersion =
            Dispersion { n: responses, sum: mean_sum.unwrap_or(0.0), sum_squares: squares.unwrap_or(0.0) };
    }
    for (raw, code, total, answered) in element_rows {
        let key = key(raw);
        let group = groups.entry(key).or_insert_with(|| GroupTotals { key, ..GroupTotals::default() });
        group.elements.insert(
            code,
            ElementTally { sum: total.unwrap_or(0).max(0) as u64, count: answered.unwrap_or(0).max(0) as u64 },
        );
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
        gender: within!(
            responses::table.group_by(responses::gender).select((responses::gender, count_star())),
            responses,
            scope
        )
        .load(conn)?,
        education: within!(
            responses::table.group_by(responses::education).select((responses::education, count_star())),
            responses,
            scope
        )
        .load(conn)?,
        occupation: within!(
            responses::table.group_by(responses::occupation).select((responses::occupation, count_star())),
            responses,
            scope
        )
        .load(conn)?,
        age: within!(
            responses::table.group_by(responses::age).select((responses::age, count_star())),
            responses,
            scope
        )
        .load(conn)?,
        flagged: within!(responses::table.filter(responses::flagged.eq(true)).select(count_star()), responses, scope)
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
    let pattern = search
        .map(|s| format!("%{}%", s.to_ascii_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let base = || {
        let mut query = within!(responses::table.filter(responses::saran.is_not_null()), responses, scope);
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

/// Responses of the scope per channel (web, kiosk, paper, import).
pub fn channel_counts(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<(String, i64)>, DbError> {
    Ok(within!(
        responses::table.group_by(responses::channel).select((responses::channel, count_star())),
        responses,
        scope
    )
    .load(conn)?)
}
