//! Monthly totals per tenant subtree (issue 21): what a province overview and the national
//! ranking read, so a national year is a few thousand rows instead of millions of daily ones.
//!
//! A month's roll-ups are recomputed as a whole from the daily totals, in one transaction, by
//! `refresh_month`: sums per unit are read once and added to every tenant above the unit (the
//! unit itself when it is one). Submissions never write here — only the daily rows of their own
//! unit — so no row is shared by every submission; the price is freshness, which each month
//! records (`rollup_months.refreshed_at`) and the pages show.

use super::aggregate::GroupTotals;
use super::schema::{rollup_months, units};
use super::statement::{Statement, Value};
use super::units::Tree;
use super::{DbConnection, DbError};
use crate::domain::interval::Dispersion;
use crate::domain::names::UnitKind;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Text};
use std::collections::{BTreeMap, HashMap};

/// Which tenants each unit counts toward: itself when it is one, and every tenant above it.
pub struct Tenants {
    chains: HashMap<i32, Vec<i32>>,
    /// every tenant: (id, parent tenant, kind)
    pub nodes: Vec<(i32, Option<i32>, UnitKind)>,
}

impl Tenants {
    pub fn load(conn: &mut DbConnection) -> Result<Tenants, DbError> {
        let rows: Vec<(i32, Option<i32>, String)> =
            units::table.select((units::id, units::parent_id, units::kind)).load(conn)?;
        Ok(Tenants::from_rows(&rows))
    }

    /// The tenants alone, for the region pages: a national tree's ~600 of its 50,000 units,
    /// when each tenant's parent is a tenant (or none), as skm's trees are; the whole tree
    /// otherwise. `of` then answers for tenants only.
    pub fn load_tenants(conn: &mut DbConnection) -> Result<Tenants, DbError> {
        let kinds: Vec<&str> = UnitKind::ALL.iter().filter(|k| k.is_tenant()).map(|k| k.as_str()).collect();
        let rows: Vec<(i32, Option<i32>, String)> = units::table
            .filter(units::kind.eq_any(kinds))
            .select((units::id, units::parent_id, units::kind))
            .load(conn)?;
        let ids: std::collections::HashSet<i32> = rows.iter().map(|(id, _, _)| *id).collect();
        if rows.iter().any(|(_, parent, _)| parent.is_some_and(|p| !ids.contains(&p))) {
            return Tenants::load(conn);
        }
        Ok(Tenants::from_rows(&rows))
    }

    fn from_rows(rows: &[(i32, Option<i32>, String)]) -> Tenants {
        let edges: Vec<(i32, Option<i32>)> = rows.iter().map(|(id, parent, _)| (*id, *parent)).collect();
        let kinds: HashMap<i32, UnitKind> =
            rows.iter().filter_map(|(id, _, kind)| kind.parse::<UnitKind>().ok().map(|k| (*id, k))).collect();
        let is_tenant = |id: &i32| kinds.get(id).is_some_and(|k| k.is_tenant());
        let tree = Tree::from_edges(&edges);
        let mut chains = HashMap::with_capacity(rows.len());
        let mut nodes = Vec::new();
        for (id, _, _) in rows {
            let above = tree.ancestors(*id);
            let mut chain: Vec<i32> = Vec::new();
            if is_tenant(id) {
                chain.push(*id);
                let parent = above.iter().copied().find(is_tenant);
                nodes.push((*id, parent, kinds[id]));
            }
            chain.extend(above.iter().copied().filter(is_tenant));
            chains.insert(*id, chain);
        }
        Tenants { chains, nodes }
    }

    /// The tenants `unit_id` counts toward: itself when it is one, then those above it.
    pub fn of(&self, unit_id: i32) -> &[i32] {
        self.chains.get(&unit_id).map_or(&[], Vec::as_slice)
    }
}

/// One element's sums for a key (a unit when refreshing, a tenant when reading) and version.
#[derive(QueryableByName)]
struct ElementSums {
    #[diesel(sql_type = Integer)]
    key: i32,
    #[diesel(sql_type = Integer)]
    template_version_id: i32,
    #[diesel(sql_type = Text)]
    element_code: String,
    #[diesel(sql_type = BigInt)]
    score_sum: i64,
    #[diesel(sql_type = BigInt)]
    answer_count: i64,
}

/// The responses and the sums of their mean scores (and squares) for a key and version.
#[derive(QueryableByName)]
struct ResponseSums {
    #[diesel(sql_type = Integer)]
    key: i32,
    #[diesel(sql_type = Integer)]
    template_version_id: i32,
    #[diesel(sql_type = BigInt)]
    responses: i64,
    #[diesel(sql_type = Double)]
    mean_sum: f64,
    #[diesel(sql_type = Double)]
    mean_square_sum: f64,
}

/// What a refresh wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// tenant rows of the month (element rows; one per tenant, version and element)
    pub rows: usize,
    pub responses: u64,
}

/// `YYYY-MM` → its first day and the first day of the next month, as survey dates are stored.
fn is_month(month: &str) -> bool {
    month.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok()
}

/// Recomputes `month`'s roll-ups (`YYYY-MM`) from its units' monthly totals and records `now` as the
/// moment they describe. One transaction: readers see the old month or the new one, never half.
pub fn refresh_month(
    conn: &mut DbConnection,
    tenants: &Tenants,
    month: &str,
    now: chrono::NaiveDateTime,
) -> Result<Refreshed, DbError> {
    if !is_month(month) {
        return Err(DbError::Conflict(format!("'{month}' is not a month (YYYY-MM)")));
    }
    conn.transaction(|conn| {
        let elements: Vec<ElementSums> = Statement::new()
            .sql(
                "SELECT unit_id AS key, template_version_id, element_code, CAST(SUM(score_sum) AS BIGINT) AS score_sum, \
                 CAST(SUM(answer_count) AS BIGINT) AS answer_count FROM monthly_element_totals WHERE month = ",
            )
            .bind(Value::Text(month))
            .sql(" GROUP BY unit_id, template_version_id, element_code")
            .load(conn)?;
        let responses: Vec<ResponseSums> = Statement::new()
            .sql(
                "SELECT unit_id AS key, template_version_id, CAST(SUM(responses) AS BIGINT) AS responses, \
                 SUM(mean_sum) AS mean_sum, SUM(mean_square_sum) AS mean_square_sum FROM monthly_response_totals \
                 WHERE month = ",
            )
            .bind(Value::Text(month))
            .sql(" GROUP BY unit_id, template_version_id")
            .load(conn)?;
        let mut element_sums: BTreeMap<(i32, i32, String), (i64, i64)> = BTreeMap::new();
        for row in &elements {
            for node in tenants.of(row.key) {
                let sums = element_sums.entry((*node, row.template_version_id, row.element_code.clone())).or_default();
                sums.0 += row.score_sum;
                sums.1 += row.answer_count;
            }
        }
        let mut response_sums: BTreeMap<(i32, i32), (i64, f64, f64)> = BTreeMap::new();
        let mut counted = 0u64;
        for row in &responses {
            counted += row.responses.max(0) as u64;
            for node in tenants.of(row.key) {
                let sums = response_sums.entry((*node, row.template_version_id)).or_default();
                sums.0 += row.responses;
                sums.1 += row.mean_sum;
                sums.2 += row.mean_square_sum;
            }
        }
        Statement::new()
            .sql("DELETE FROM rollup_element_totals WHERE month = ")
            .bind(Value::Text(month))
            .execute(conn)?;
        Statement::new()
            .sql("DELETE FROM rollup_response_totals WHERE month = ")
            .bind(Value::Text(month))
            .execute(conn)?;
        let element_rows: Vec<_> = element_sums.iter().collect();
        // 6 values a row: well under SQLite's and PostgreSQL's bound-parameter limits
        for chunk in element_rows.chunks(1000) {
            Statement::new()
                .uncached()
                .sql(
                    "INSERT INTO rollup_element_totals \
                     (node_id, month, template_version_id, element_code, score_sum, answer_count) VALUES ",
                )
                .rows(chunk.iter().map(|((node, version, code), (sum, count))| {
                    [
                        Value::Int(*node),
                        Value::Text(month),
                        Value::Int(*version),
                        Value::Text(code),
                        Value::BigInt(*sum),
                        Value::BigInt(*count),
                    ]
                }))
                .execute(conn)?;
        }
        let response_rows: Vec<_> = response_sums.iter().collect();
        for chunk in response_rows.chunks(1000) {
            Statement::new()
                .uncached()
                .sql(
                    "INSERT INTO rollup_response_totals \
                     (node_id, month, template_version_id, responses, mean_sum, mean_square_sum) VALUES ",
                )
                .rows(chunk.iter().map(|((node, version), (n, sum, squares))| {
                    [
                        Value::Int(*node),
                        Value::Text(month),
                        Value::Int(*version),
                        Value::BigInt(*n),
                        Value::Double(*sum),
                        Value::Double(*squares),
                    ]
                }))
                .execute(conn)?;
        }
        diesel::delete(rollup_months::table.find(month)).execute(conn)?;
        diesel::insert_into(rollup_months::table)
            .values((rollup_months::month.eq(month), rollup_months::refreshed_at.eq(now)))
            .execute(conn)?;
        Ok(Refreshed { rows: element_rows.len(), responses: counted })
    })
}

/// Every month that has totals, oldest first: what a full refresh walks.
pub fn months_with_data(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    #[derive(QueryableByName)]
    struct Month {
        #[diesel(sql_type = Text)]
        month: String,
    }
    let rows: Vec<Month> =
        Statement::new().sql("SELECT DISTINCT month FROM monthly_response_totals ORDER BY month").load(conn)?;
    Ok(rows.into_iter().map(|m| m.month).collect())
}

/// When each of `months` was last refreshed (`None`: never).
pub fn refreshed_at(
    conn: &mut DbConnection,
    months: &[String],
) -> Result<HashMap<String, chrono::NaiveDateTime>, DbError> {
    Ok(rollup_months::table
        .filter(rollup_months::month.eq_any(months))
        .select((rollup_months::month, rollup_months::refreshed_at))
        .load::<(String, chrono::NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}

/// The summed roll-ups of `nodes` over `months` for the questionnaire versions `version_ids`,
/// one `GroupTotals` per node that has responses (keyed by the node's id).
pub fn totals(
    conn: &mut DbConnection,
    nodes: &[i32],
    months: &[String],
    version_ids: &[i32],
) -> Result<HashMap<i32, GroupTotals>, DbError> {
    let mut out: HashMap<i32, GroupTotals> = HashMap::new();
    if nodes.is_empty() || months.is_empty() || version_ids.is_empty() {
        return Ok(out);
    }
    let month_values = || months.iter().map(|m| Value::Text(m));
    // PostgreSQL sums BIGINT columns into NUMERIC: cast back, as both backends read a BIGINT
    for chunk in nodes.chunks(500) {
        let responses: Vec<ResponseSums> = Statement::new()
            .uncached()
            .sql(
                "SELECT node_id AS key, template_version_id, CAST(SUM(responses) AS BIGINT) AS responses, \
                 SUM(mean_sum) AS mean_sum, SUM(mean_square_sum) AS mean_square_sum \
                 FROM rollup_response_totals WHERE node_id IN (",
            )
            .list(chunk.iter().map(|id| Value::Int(*id)))
            .sql(") AND month IN (")
            .list(month_values())
            .sql(") AND template_version_id IN (")
            .list(version_ids.iter().map(|id| Value::Int(*id)))
            .sql(") GROUP BY node_id, template_version_id")
            .load(conn)?;
        // each row is one version of the questionnaire: they add up
        for row in responses {
            if row.responses <= 0 {
                continue;
            }
            let n = row.responses as u64;
            let group = out.entry(row.key).or_insert_with(|| GroupTotals { key: Some(row.key), ..Default::default() });
            group.responses += n;
            group.dispersion.merge(&Dispersion { n, sum: row.mean_sum, sum_squares: row.mean_square_sum });
        }
        let elements: Vec<ElementSums> = Statement::new()
            .uncached()
            .sql(
                "SELECT node_id AS key, template_version_id, element_code, CAST(SUM(score_sum) AS BIGINT) AS score_sum, \
                 CAST(SUM(answer_count) AS BIGINT) AS answer_count \
                 FROM rollup_element_totals WHERE node_id IN (",
            )
            .list(chunk.iter().map(|id| Value::Int(*id)))
            .sql(") AND month IN (")
            .list(month_values())
            .sql(") AND template_version_id IN (")
            .list(version_ids.iter().map(|id| Value::Int(*id)))
            .sql(") GROUP BY node_id, template_version_id, element_code")
            .load(conn)?;
        for row in elements {
            if let Some(group) = out.get_mut(&row.key) {
                let tally = group.elements.entry(row.element_code).or_default();
                tally.sum += row.score_sum.max(0) as u64;
                tally.count += row.answer_count.max(0) as u64;
            }
        }
    }
    Ok(out)
}
