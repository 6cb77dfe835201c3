//! The response rate of survey invitations for a period (issue 19, point 5), with the names the
//! dashboard and the report show: per unit, per service and per counter. The rule (counted in
//! the period issued, expired unanswered as not answered, rounding) is `domain::response_rate`'s.
//! Blocking (the database).

use crate::db::counters::{self, Roster};
use crate::db::units;
use crate::db::{invitations, DbConnection, DbError};
use crate::domain::period::Period;
use crate::domain::response_rate::{self, Rate};
use chrono::NaiveDateTime;
use std::collections::{BTreeSet, HashMap};

/// One line of a table: a unit, service or counter by name (`None`: not named on the
/// invitation: the citizen chose the service, no counter was given) and its rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub name: Option<String>,
    pub rate: Rate,
}

/// The invitations of a period: all together, and per unit, service and counter, lines in
/// name order (the unnamed last).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseRate {
    pub total: Rate,
    pub per_unit: Vec<Line>,
    pub per_service: Vec<Line>,
    pub per_counter: Vec<Line>,
}

impl ResponseRate {
    /// No invitation issued in the period: nothing to show.
    pub fn is_empty(&self) -> bool {
        self.total.issued == 0
    }
}

/// The response rate of the invitations `unit_ids` issued in `period` (local days of `tz`);
/// those unanswered and unexpired at `now` are counted as open.
pub fn of_period(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    period: &Period,
    tz: chrono_tz::Tz,
    now: NaiveDateTime,
) -> Result<ResponseRate, DbError> {
    let (from, to) = period.utc_bounds(tz);
    let groups = invitations::rate_groups(conn, unit_ids, from, to, now)?;
    let summary = response_rate::summarize(&groups);
    if summary.is_empty() {
        return Ok(ResponseRate::default());
    }
    let units_seen: BTreeSet<i32> = groups.iter().map(|g| g.unit_id).collect();
    let mut unit_names = HashMap::new();
    let mut service_names = HashMap::new();
    let mut counter_names = HashMap::new();
    for unit_id in units_seen {
        unit_names.insert(unit_id, units::by_id(conn, unit_id)?.name);
        service_names.extend(units::services_of(conn, unit_id)?.into_iter().map(|s| (s.id, s.name)));
        counter_names.extend(counters::list(conn, Roster::Counters, unit_id)?.into_iter().map(|c| (c.id, c.name)));
    }
    fn lines<K: Copy>(rows: Vec<(K, Rate)>, name: impl Fn(K) -> Option<String>) -> Vec<Line> {
        let mut lines: Vec<Line> = rows.into_iter().map(|(key, rate)| Line { name: name(key), rate }).collect();
        // named ones by name, the unnamed after them
        lines.sort_by(|a, b| (a.name.is_none(), &a.name).cmp(&(b.name.is_none(), &b.name)));
        lines
    }
    Ok(ResponseRate {
        total: summary.total,
        per_unit: lines(summary.per_unit, |id| unit_names.get(&id).cloned()),
        per_service: lines(summary.per_service, |id: Option<i32>| id.and_then(|id| service_names.get(&id).cloned())),
        per_counter: lines(summary.per_counter, |id: Option<i32>| id.and_then(|id| counter_names.get(&id).cloned())),
    })
}

/// Each unit's own response rate in `period` (units that issued no invitation are absent): a
/// line per unit on the regency's ranking.
pub fn per_unit(
    conn: &mut DbConnection,
    unit_ids: &[i32],
    period: &Period,
    tz: chrono_tz::Tz,
    now: NaiveDateTime,
) -> Result<HashMap<i32, Rate>, DbError> {
    let (from, to) = period.utc_bounds(tz);
    let groups = invitations::rate_groups(conn, unit_ids, from, to, now)?;
    Ok(response_rate::summarize(&groups).per_unit.into_iter().collect())
}
