//! PostgreSQL's monthly partitions of `responses` (issue 21, point 4; the migration
//! `2026-12-13-000001_partitioned_responses` says why and holds the SQL function that makes one).
//! Every start of the service and every roll-up tick makes sure the last, this and the next two
//! months have their partition, and gives a month of its own to rows that landed in the default
//! partition (a paper form from years ago, an import, an archive put back). SQLite has no
//! partitions: every function here is a no-op there.

use super::{DbConnection, DbError};
use crate::domain::period::Period;
use chrono::NaiveDate;
use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = Bool)]
    created: bool,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The partition a month's rows live in (`2026-12` → `responses_2026_12`).
pub fn table_of(month: &str) -> String {
    format!("responses_{}", month.replace('-', "_"))
}

/// Creates the partitions of `months` (`YYYY-MM`) that do not exist yet; returns how many it made.
pub fn ensure(conn: &mut DbConnection, months: &[String]) -> Result<usize, DbError> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(0);
    };
    let mut created = 0;
    for month in months {
        let row: Created =
            diesel::sql_query("SELECT skm_response_partition($1) AS created").bind::<Text, _>(month).get_result(pg)?;
        created += usize::from(row.created);
    }
    Ok(created)
}

/// The months around `today` that must have a partition before their first response arrives,
/// and those whose rows wait in the default partition.
pub fn maintain(conn: &mut DbConnection, today: NaiveDate) -> Result<usize, DbError> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(0);
    };
    let running = Period::month_of(today);
    let mut months = vec![running.previous().to_string(), running.to_string()];
    let mut next = running.end_exclusive();
    for _ in 0..2 {
        months.push(Period::month_of(next).to_string());
        next = Period::month_of(next).end_exclusive();
    }
    let stranded: Vec<Name> = diesel::sql_query(
        "SELECT DISTINCT substr(survey_date, 1, 7) AS name FROM responses_default \
         WHERE survey_date ~ '^[0-9]{4}-(0[1-9]|1[0-2])-'",
    )
    .load(pg)?;
    months.extend(stranded.into_iter().map(|n| n.name));
    months.sort_unstable();
    months.dedup();
    let created = ensure(conn, &months)?;
    if created > 0 {
        tracing::info!(created, "monthly partitions of responses created");
    }
    Ok(created)
}

/// The months that have a partition of their own, oldest first (empty on SQLite).
pub fn months(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(Vec::new());
    };
    let names: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'responses'::regclass AND c.relname <> 'responses_default' ORDER BY 1",
    )
    .load(pg)?;
    Ok(names.into_iter().filter_map(|n| n.name.strip_prefix("responses_").map(|m| m.replacen('_', "-", 1))).collect())
}

/// Holds off new rows of `months` until the caller's transaction ends (`skm archive`, before it
/// counts what it will remove): under PostgreSQL's read committed, a row committed between the
/// count and the drop (or delete) would go without being archived. Readers are not blocked.
pub fn lock_months(conn: &mut DbConnection, months: &[String]) -> Result<(), DbError> {
    let existing = self::months(conn)?;
    let DbConnection::Postgres(pg) = conn else {
        return Ok(());
    };
    let mut tables: Vec<String> = months.iter().filter(|m| existing.contains(m)).map(|m| table_of(m)).collect();
    tables.push("responses_default".to_string());
    diesel::sql_query(format!("LOCK TABLE {} IN SHARE MODE", tables.join(", "))).execute(pg)?;
    Ok(())
}

/// Drops the partitions of `months` whose rows are all being removed (`skm archive`, inside its
/// transaction, after the rows that name those responses are gone): a dropped table gives its
/// disk space back at once, where deleted rows wait for vacuum. Returns the months dropped;
/// a month without a partition keeps its rows in the default one, for the caller to delete.
pub fn drop_months(conn: &mut DbConnection, months: &[String]) -> Result<Vec<String>, DbError> {
    let existing = self::months(conn)?;
    let DbConnection::Postgres(pg) = conn else {
        return Ok(Vec::new());
    };
    let mut dropped = Vec::new();
    for month in months.iter().filter(|m| existing.contains(m)) {
        diesel::sql_query(format!("DROP TABLE {}", table_of(month))).execute(pg)?;
        dropped.push(month.clone());
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_months_partition_is_named_after_it() {
        assert_eq!(super::table_of("2026-12"), "responses_2026_12");
    }
}
