//! Fixed-window hit counters shared by every instance on the database, so a client bounced
//! between instances gets the same limit as on one.

use super::statement::{Statement, Value};
use super::{DbConnection, DbError};
use diesel::prelude::*;
use diesel::sql_types::Integer;

// A hit in pieces, as `db::totals` writes its upserts (the benches reuse them). Only a later
// window resets the count: an instance whose clock is a little behind counts into the current
// window instead of resetting it.
pub const HIT_INSERT: &str = "INSERT INTO rate_limits (key, window_start, hits) VALUES ";
pub const HIT_ON_CONFLICT: &str = " ON CONFLICT (key) DO UPDATE SET \
    hits = CASE WHEN excluded.window_start > rate_limits.window_start THEN 1 ELSE rate_limits.hits + 1 END, \
    window_start = CASE WHEN excluded.window_start > rate_limits.window_start \
        THEN excluded.window_start ELSE rate_limits.window_start END";

#[derive(QueryableByName)]
struct Hits {
    #[diesel(sql_type = Integer)]
    hits: i32,
}

/// Counts one hit for `key` in the window starting at `window_start` (seconds since the epoch);
/// returns the hits in that window including this one. One statement, so concurrent hits from
/// several instances are counted exactly.
pub fn hit(conn: &mut DbConnection, key: &str, window_start: i64) -> Result<i32, DbError> {
    let row: Hits = Statement::new()
        .sql(HIT_INSERT)
        .rows([[Value::Text(key), Value::BigInt(window_start), Value::Int(1)]])
        .sql(HIT_ON_CONFLICT)
        .sql(" RETURNING hits")
        .get_result(conn)?;
    Ok(row.hits)
}

/// Drops counters of windows that ended before `before` (they can no longer limit anyone).
pub fn forget_before(conn: &mut DbConnection, before: i64) -> Result<usize, DbError> {
    use super::schema::rate_limits::dsl::*;
    Ok(diesel::delete(rate_limits.filter(window_start.lt(before))).execute(conn)?)
}
