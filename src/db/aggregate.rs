//! Aggregation in SQL: sums and counts per element, grouped by unit or service, for one date
//! range or several, read from the daily totals (`db::totals`). The arithmetic on those totals
//! happens in `domain::ikm`.

use super::schema::responses;
use super::statement::{Statement, Value};
use super::{DbConnection, DbError};
use crate::domain::ikm::{ElementTally, Tally};
use crate::domain::interval::Dispersion;
use crate::domain::names::Channel;
use crate::domain::period::Period;
use crate::domain::template::Template;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use std::collections::{BTreeMap, HashMap};

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
    /// Adds `other`'s responses, element sums and dispersion sums to these (groups of one
    /// statement pooled: the same rows summed in another order).
    pub fn add(&mut self, other: &GroupTotals) {
        self.responses += other.responses;
        for (code, tally) in &other.elements {
            let mine = self.elements.entry(code.clone()).or_default();
            mine.sum += tally.sum;
            mine.count += tally.count;
        }
        self.dispersion.n += other.dispersion.n;
        self.dispersion.sum += other.dispersion.sum;
        self.dispersion.sum_squares += other.dispersion.sum_squares;
    }

    /// The groups pooled into one (a roll-up's members, a month's units).
    pub fn pooled<'a>(groups: impl IntoIterator<Item = &'a GroupTotals>) -> GroupTotals {
        let mut pooled = GroupTotals::default();
        groups.into_iter().for_each(|g| pooled.add(g));
        pooled
    }

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

/// The scope's filters on `responses`, boxed so the optional service filter can be added.
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

/// One element's sums in one bucket (a period's position in the request, or a month) and group.
#[derive(QueryableByName)]
struct ElementSums {
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    group_key: Option<i32>,
    #[diesel(sql_type = Text)]
    element_code: String,
    #[diesel(sql_type = BigInt)]
    score_sum: i64,
    #[diesel(sql_type = BigInt)]
    answer_count: i64,
}

/// The responses and the sums of their mean scores (and squares) in one bucket and group.
#[derive(QueryableByName)]
struct ResponseSums {
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    group_key: Option<i32>,
    #[diesel(sql_type = BigInt)]
    responses: i64,
    #[diesel(sql_type = Double)]
    mean_sum: f64,
    #[diesel(sql_type = Double)]
    mean_square_sum: f64,
}

/// How the rows of a sums statement are bucketed.
enum Buckets {
    /// one `UNION ALL` branch per period, each reading only its own date range from the
    /// (unit_id, survey_date, …) primary key: (the period's position, first day, day after)
    Branches(Vec<(i32, String, String)>),
    /// one range `[from, to)`, grouped by month (as the number `yyyymm`: grouping 40,000 rows by
    /// a text month made PostgreSQL sort them by collation, 70 ms against 47): a trend of twelve
    /// months is one pass over the year instead of twelve
    Months(String, String),
}

/// A month's bucket (`2025-03` → 202503), as the statement computes it from `survey_date`.
fn month_bucket(month: &str) -> Option<i32> {
    let (year, month) = month.split_once('-')?;
    Some(year.parse::<i32>().ok()? * 100 + month.parse::<i32>().ok()?)
}

/// Whether `[from, to)` (`YYYY-MM-DD`) is whole months, so the monthly totals hold it.
fn whole_months(from: &str, to: &str) -> bool {
    [from, to].iter().all(|day| day.len() == 10 && day.ends_with("-01"))
}

/// Sums over one totals table pair (`daily_…`, `monthly_…`), grouped by the grouping's key (and
/// `group_by`), so several periods cost one round trip: a range of whole months from the
/// monthly rows, any other from the daily ones. Not kept prepared: its shape follows the number
/// of units and periods.
fn sums_statement<'a>(
    table: &'static str,
    sums: &'static str,
    group_by: &'static str,
    scope: &Scope,
    grouping: Grouping,
    buckets: &'a Buckets,
) -> Statement<'a> {
    let key = match grouping {
        Grouping::All => "CAST(NULL AS INTEGER)",
        Grouping::Unit => "unit_id",
        Grouping::Service => "service_id",
    };
    let mut statement = Statement::new();
    statement.uncached();
    let branches: Vec<(Option<i32>, &str, &str)> = match buckets {
        Buckets::Branches(bounds) => {
            bounds.iter().map(|(i, from, to)| (Some(*i), from.as_str(), to.as_str())).collect()
        }
        Buckets::Months(from, to) => vec![(None, from.as_str(), to.as_str())],
    };
    for (i, (bucket, from, to)) in branches.into_iter().enumerate() {
        if i > 0 {
            statement.sql(" UNION ALL ");
        }
        // a month is the first seven characters of its first day, and of the month column
        let (prefix, column, from, to) = if whole_months(from, to) {
            ("monthly_", "month", &from[..7], &to[..7])
        } else {
            ("daily_", "survey_date", from, to)
        };
        statement.sql("SELECT ");
        match (bucket, column) {
            (Some(position), _) => statement.bind(Value::Int(position)).sql(" AS bucket, "),
            (None, "month") => statement
                .sql("CAST(substr(month, 1, 4) AS INTEGER) * 100 + CAST(substr(month, 6, 2) AS INTEGER) AS bucket, "),
            (None, _) => statement.sql(
                "CAST(substr(survey_date, 1, 4) AS INTEGER) * 100 + CAST(substr(survey_date, 6, 2) AS INTEGER) AS bucket, ",
            ),
        };
        statement
            .sql(key)
            .sql(" AS group_key")
            .sql(group_by)
            .sql(", ")
            .sql(sums)
            .sql(" FROM ")
            .sql(prefix)
            .sql(table)
            .sql(" WHERE unit_id IN (")
            .list(scope.unit_ids.iter().map(|id| Value::Int(*id)))
            .sql(") AND template_version_id IN (")
            .list(scope.template_version_ids.iter().map(|id| Value::Int(*id)))
            .sql(") AND ")
            .sql(column)
            .sql(" >= ")
            .bind(Value::Text(from))
            .sql(" AND ")
            .sql(column)
            .sql(" < ")
            .bind(Value::Text(to));
        if let Some(id) = scope.service_id {
            statement.sql(" AND service_id = ").bind(Value::Int(id));
        }
        statement.sql(" GROUP BY bucket, group_key").sql(group_by);
    }
    statement
}

/// The group `key` of the `period`-th period, created empty on first use.
fn group(per_period: &mut [BTreeMap<Option<i32>, GroupTotals>], period: usize, key: Option<i32>) -> &mut GroupTotals {
    per_period[period].entry(key).or_insert_with(|| GroupTotals { key, ..GroupTotals::default() })
}

/// Sums and counts per element and group for each of `periods` (one map per period, in order),
/// computed by the database from the daily totals in one statement per table.
fn grouped_totals(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    periods: &[Period],
) -> Result<Vec<BTreeMap<Option<i32>, GroupTotals>>, DbError> {
    let mut per_period = vec![BTreeMap::new(); periods.len()];
    // `IN ()` is not SQL everywhere; nothing can match anyway.
    if periods.is_empty() || scope.unit_ids.is_empty() || scope.template_version_ids.is_empty() {
        return Ok(per_period);
    }
    // Three or more periods of whole months (a trend) are read in one pass, by month; a period
    // and the one before it, or a range of days, one branch each.
    let months: Option<Vec<Vec<String>>> =
        if periods.len() > 2 { periods.iter().map(Period::months).collect() } else { None };
    let (buckets, counts_toward): (Buckets, HashMap<i32, Vec<usize>>) = match months {
        Some(months) => {
            let from = periods.iter().map(Period::first_day).min().unwrap_or_default().to_string();
            let to = periods.iter().map(Period::end_exclusive).max().unwrap_or_default().to_string();
            let mut toward: HashMap<i32, Vec<usize>> = HashMap::new();
            for (i, of_period) in months.into_iter().enumerate() {
                for bucket in of_period.iter().filter_map(|m| month_bucket(m)) {
                    toward.entry(bucket).or_default().push(i);
                }
            }
            (Buckets::Months(from, to), toward)
        }
        None => {
            let position = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
            let bounds = periods
                .iter()
                .enumerate()
                .map(|(i, p)| (position(i), p.first_day().to_string(), p.end_exclusive().to_string()))
                .collect();
            (Buckets::Branches(bounds), (0..periods.len()).map(|i| (position(i), vec![i])).collect())
        }
    };
    let element_rows: Vec<ElementSums> = sums_statement(
        "element_totals",
        // PostgreSQL sums a BIGINT column to NUMERIC
        "CAST(SUM(score_sum) AS BIGINT) AS score_sum, CAST(SUM(answer_count) AS BIGINT) AS answer_count",
        ", element_code",
        scope,
        grouping,
        &buckets,
    )
    .load(conn)?;
    let response_rows: Vec<ResponseSums> = sums_statement(
        "response_totals",
        "CAST(SUM(responses) AS BIGINT) AS responses, SUM(mean_sum) AS mean_sum, \
         SUM(mean_square_sum) AS mean_square_sum",
        "",
        scope,
        grouping,
        &buckets,
    )
    .load(conn)?;
    // In the daily tables service 0 stands for "no service".
    let key = |k: Option<i32>| if grouping == Grouping::Service { k.filter(|id| *id != 0) } else { k };
    let none = Vec::new();
    for row in response_rows {
        let responses = row.responses.max(0) as u64;
        if responses == 0 {
            continue;
        }
        for period in counts_toward.get(&row.bucket).unwrap_or(&none) {
            let group = group(&mut per_period, *period, key(row.group_key));
            group.responses += responses;
            group.dispersion.n += responses;
            group.dispersion.sum += row.mean_sum;
            group.dispersion.sum_squares += row.mean_square_sum;
        }
    }
    for row in element_rows {
        for period in counts_toward.get(&row.bucket).unwrap_or(&none) {
            let tally = group(&mut per_period, *period, key(row.group_key)).elements.entry(row.element_code.clone());
            let tally = tally.or_default();
            tally.sum += row.score_sum.max(0) as u64;
            tally.count += row.answer_count.max(0) as u64;
        }
    }
    Ok(per_period)
}

/// Sums and counts per element and group, computed by the database from the daily totals.
pub fn totals(conn: &mut DbConnection, scope: &Scope, grouping: Grouping) -> Result<Vec<GroupTotals>, DbError> {
    let groups = grouped_totals(conn, scope, grouping, &[scope.period])?.pop().unwrap_or_default();
    Ok(groups.into_values().collect())
}

/// Pooled totals of the scope for each period in `periods` (a trend, or a period and the one
/// before it), in one statement per table; `scope.period` is ignored.
pub fn totals_by_period(
    conn: &mut DbConnection,
    scope: &Scope,
    periods: &[Period],
) -> Result<Vec<(Period, GroupTotals)>, DbError> {
    let per_period = grouped_totals(conn, scope, Grouping::All, periods)?;
    Ok(periods
        .iter()
        .zip(per_period)
        .map(|(period, mut groups)| (*period, groups.remove(&None).unwrap_or_default()))
        .collect())
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
    /// per channel (web, kiosk, paper, import …)
    pub channels: Vec<(String, i64)>,
    /// per enrolled device that uploaded them, the enumerators' interviews (channel
    /// `enumerator`; `None`: a device since removed)
    pub enumerator_devices: Vec<(Option<i32>, i64)>,
}

/// gender, education, occupation, age, flagged, channel, device, and how many responses have
/// them all
type ProfileRow = (Option<String>, Option<String>, Option<String>, Option<i32>, bool, String, Option<i32>, i64);

pub fn profile_counts(conn: &mut DbConnection, scope: &Scope) -> Result<ProfileCounts, DbError> {
    // One pass over the scope's responses, grouped by every profile column (and the channel and
    // device) at once and split up here: seven statements each scanned every monthly partition
    // of the period again (at national scale 4–9 ms each for a regency's year).
    let rows: Vec<ProfileRow> = within!(
        responses::table
            .group_by((
                responses::gender,
                responses::education,
                responses::occupation,
                responses::age,
                responses::flagged,
                responses::channel,
                responses::device_id,
            ))
            .select((
                responses::gender,
                responses::education,
                responses::occupation,
                responses::age,
                responses::flagged,
                responses::channel,
                responses::device_id,
                count_star(),
            )),
        responses,
        scope
    )
    .load(conn)?;
    fn add<K: Ord>(counts: &mut BTreeMap<K, i64>, key: K, n: i64) {
        *counts.entry(key).or_default() += n;
    }
    let (mut gender, mut education, mut occupation, mut age) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let (mut channels, mut devices) = (BTreeMap::new(), BTreeMap::new());
    let mut flagged = 0;
    let enumerator = Channel::Enumerator.as_str();
    for (g, e, o, a, f, channel, device, n) in rows {
        add(&mut gender, g, n);
        add(&mut education, e, n);
        add(&mut occupation, o, n);
        add(&mut age, a, n);
        if f {
            flagged += n;
        }
        if channel == enumerator {
            add(&mut devices, device, n);
        }
        add(&mut channels, channel, n);
    }
    Ok(ProfileCounts {
        gender: gender.into_iter().collect(),
        education: education.into_iter().collect(),
        occupation: occupation.into_iter().collect(),
        age: age.into_iter().collect(),
        flagged,
        channels: channels.into_iter().collect(),
        enumerator_devices: devices.into_iter().collect(),
    })
}

/// One page of saran (newest first), optionally only those containing `search`, and how many
/// there are in all.
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

/// The newest `limit` saran of the scope, in `saran_page`'s order, without counting them all.
pub fn newest_saran(conn: &mut DbConnection, scope: &Scope, limit: i64) -> Result<Vec<(String, String)>, DbError> {
    let rows: Vec<(String, Option<String>)> =
        within!(responses::table.filter(responses::saran.is_not_null()), responses, scope)
            .order((responses::survey_date.desc(), responses::id.desc()))
            .limit(limit)
            .select((responses::survey_date, responses::saran))
            .load(conn)?;
    Ok(rows.into_iter().map(|(d, s)| (d, s.unwrap_or_default())).collect())
}

/// Per unit of the scope, how many of its responses came through the form of the Mal Pelayanan
/// Publik `hall_id` (its chooser, issue 19 point 6) rather than the unit's own link or QR.
pub fn through_hall(conn: &mut DbConnection, scope: &Scope, hall_id: i32) -> Result<Vec<(i32, i64)>, DbError> {
    Ok(within!(
        responses::table
            .filter(responses::via_unit_id.eq(hall_id))
            .group_by(responses::unit_id)
            .select((responses::unit_id, count_star())),
        responses,
        scope
    )
    .load(conn)?)
}
