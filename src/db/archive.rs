//! `skm archive`: the raw responses of closed months moved out of the database into a file, and
//! back (issue 21, point 4). What the index needs stays: the daily totals and the roll-ups are
//! never touched, so an archived month still shows its IKM and respondent count; the parts that
//! need each response (profile, saran, channels) say the month is archived (`archived_months`).
//!
//! The file (the command gzips it): a header line
//! `{"skm_archive":1,"before":"2021-01","archive":"…","months":{"2020-01":310,…},"rows":{…}}`, then
//! one line per row, `{"t":"responses","r":{…}}`, in the neutral form of `skm export-all`:
//! - `responses`, then the rows they own, `answers` and `instrument_answers`: moved out;
//! - `ticket_codes` and `invitations` that name an archived response: they only point at it, so
//!   their row stays (still used, still spent) and only its `response_id` is cleared while the
//!   response is away (both backends enforce the foreign key); restore sets it again.
//!
//! Writing and deleting are two transactions: the file is written from one snapshot, then made
//! durable and put in place by the caller, and only then `remove` deletes, in one transaction,
//! after checking that every archived month still holds exactly the responses written (responses
//! are never changed after their own transaction, so equal counts mean the same rows).

use super::progress::Meter;
use super::schema::archived_months;
use super::statement::{Statement, Value as Bind};
use super::transfer::{each_row, schema_version, Loader, TransferError};
use super::{DbConnection, DbError};
use crate::domain::period::Period;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

/// The archive format's version, in the header.
pub const FORMAT: u64 = 1;

/// The tables whose rows belong to a response and leave with it, children after `responses`,
/// with the order their rows are written in.
const OWNED: [(&str, &str); 3] = [
    ("responses", "id"),
    ("answers", "response_id, element_code"),
    ("instrument_answers", "response_id, template_version_id, element_code"),
];

/// Rows that point at a response without belonging to it: the pointer is archived and cleared.
const LINKS: [(&str, &str); 2] = [("ticket_codes", "unit_id, code"), ("invitations", "id")];

/// What an archive holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// the first month kept (`2021-01`)
    pub before: String,
    /// the file's name as written, recorded with the months
    pub archive: String,
    /// responses per archived month
    pub months: BTreeMap<String, u64>,
    /// rows per table (`responses`, `answers`, `instrument_answers`, `ticket_codes`, `invitations`)
    pub rows: BTreeMap<String, u64>,
}

impl Summary {
    pub fn responses(&self) -> u64 {
        self.months.values().sum()
    }
}

#[derive(QueryableByName)]
struct MonthCount {
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

/// `2021-01` → `'2021-01-01'`, the first survey date kept. `before` is a parsed month, so the
/// literal holds only digits and dashes.
fn first_kept(before: Period) -> String {
    format!("'{}'", before.first_day().format("%Y-%m-%d"))
}

fn month_text(period: Period) -> String {
    period.first_day().format("%Y-%m").to_string()
}

fn responses_per_month(conn: &mut DbConnection, first_kept: &str) -> Result<BTreeMap<String, u64>, DbError> {
    let sql = format!(
        "SELECT substr(survey_date, 1, 7) AS month, COUNT(*) AS n FROM responses WHERE survey_date < {first_kept} \
         GROUP BY substr(survey_date, 1, 7) ORDER BY month"
    );
    let rows: Vec<MonthCount> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(sql).load(c)?,
    };
    Ok(rows.into_iter().map(|r| (r.month, r.n.unsigned_abs())).collect())
}

/// The `WHERE` clause (over the alias `t`) that picks the rows of `table` that go with the
/// responses before `first_kept`.
fn filter(table: &str, first_kept: &str) -> String {
    match table {
        "responses" => format!("WHERE t.survey_date < {first_kept}"),
        _ => format!("WHERE t.response_id IN (SELECT id FROM responses WHERE survey_date < {first_kept})"),
    }
}

/// Writes every response dated before `before` (a month) and what hangs off it to `out`, from
/// one snapshot; deletes nothing. `archive` names the file in the header. Refused when there is
/// nothing to archive. `meter` counts rows.
pub fn write(
    conn: &mut DbConnection,
    before: Period,
    archive: &str,
    out: &mut dyn Write,
    meter: &mut dyn Meter,
) -> Result<Summary, TransferError> {
    let kept = first_kept(before);
    let before = month_text(before);
    let schema = schema_version(conn)?;
    conn.transaction(|conn| {
        if let DbConnection::Postgres(c) = conn {
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        let months = responses_per_month(conn, &kept)?;
        if months.is_empty() {
            return Err(TransferError::Refused(format!("no responses before {before}: nothing to archive")));
        }
        let mut rows = BTreeMap::new();
        for (table, _) in OWNED.iter().chain(&LINKS) {
            let sql = format!("SELECT COUNT(*) AS n FROM {table} t {}", filter(table, &kept));
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            let counted: Vec<Count> = match conn {
                DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c)?,
                DbConnection::Postgres(c) => diesel::sql_query(sql).load(c)?,
            };
            rows.insert(table.to_string(), counted.first().map_or(0, |c| c.n.unsigned_abs()));
        }
        let summary = Summary { before: before.clone(), archive: archive.to_string(), months, rows };
        let header = serde_json::json!({
            "skm_archive": FORMAT,
            "skm_version": env!("CARGO_PKG_VERSION"),
            "schema": schema,
            "before": summary.before,
            "archive": summary.archive,
            "months": summary.months,
            "rows": summary.rows,
        });
        writeln!(out, "{header}")?;
        meter.start(Some(summary.rows.values().sum()));
        for (table, order) in OWNED.iter().chain(&LINKS) {
            each_row(conn, table, &filter(table, &kept), order, &mut |row| {
                writeln!(out, "{}", serde_json::json!({"t": table, "r": row}))?;
                meter.advance(1)?;
                Ok(())
            })?;
        }
        Ok(summary)
    })
}

/// Deletes what `write` wrote (its file is complete and durable by now), in one transaction:
/// clears the links, deletes the owned rows and the responses, and records the months as
/// archived. Refused, deleting nothing, when a month's responses changed since.
pub fn remove(conn: &mut DbConnection, summary: &Summary, meter: &mut dyn Meter) -> Result<(), TransferError> {
    let before: Period =
        summary.before.parse().map_err(|_| TransferError::Refused(format!("{} is not a month", summary.before)))?;
    let kept = first_kept(before);
    conn.transaction(|conn| {
        let months: Vec<String> = summary.months.keys().cloned().collect();
        super::partitions::lock_months(conn, &months)?;
        if responses_per_month(conn, &kept)? != summary.months {
            return Err(TransferError::Refused(format!(
                "responses before {} were added while the archive was written: nothing was deleted; run skm archive again",
                summary.before
            )));
        }
        meter.advance(0)?;
        for (table, _) in LINKS {
            conn.batch_execute(&format!(
                "UPDATE {table} SET response_id = NULL \
                 WHERE response_id IN (SELECT id FROM responses WHERE survey_date < {kept})"
            ))?;
        }
        // children first: both backends enforce the foreign keys to responses
        for (table, _) in OWNED.iter().rev() {
            if *table == "responses" {
                // on PostgreSQL a month with its own partition goes as a whole table; the
                // DELETE below then finds only the rows of the default partition
                super::partitions::drop_months(conn, &months)?;
            }
            conn.batch_execute(&match *table {
                "responses" => format!("DELETE FROM responses WHERE survey_date < {kept}"),
                _ => format!(
                    "DELETE FROM {table} WHERE response_id IN (SELECT id FROM responses WHERE survey_date < {kept})"
                ),
            })?;
            meter.advance(0)?;
        }
        let now = chrono::Utc::now().naive_utc();
        for (month, n) in &summary.months {
            diesel::insert_into(archived_months::table)
                .values((
                    archived_months::month.eq(month),
                    archived_months::archive.eq(&summary.archive),
                    archived_months::responses.eq(i64::try_from(*n).unwrap_or(i64::MAX)),
                    archived_months::archived_at.eq(now),
                ))
                .execute(conn)?;
        }
        let detail = format!("{}: {} responses before {}", summary.archive, summary.responses(), summary.before);
        super::audit::record(conn, None, "archive", &detail)?;
        Ok(())
    })
}

/// Reads an archive back, all or nothing: every row inserted as it was, the links set again and
/// the months no longer recorded as archived. The daily totals are left alone (they were never
/// removed). Refused, writing nothing, when the file is not an archive, its counts do not add
/// up, one of its responses is already in the database, or the database did not record it as
/// archived. `meter` counts rows.
pub fn restore(
    conn: &mut DbConnection,
    input: &mut dyn BufRead,
    meter: &mut dyn Meter,
) -> Result<Summary, TransferError> {
    let mut lines = input.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (_, first) = lines.next().ok_or(TransferError::Format { line: 1, reason: "empty file".into() })?;
    let header: Value = serde_json::from_str(&first?)
        .map_err(|e| TransferError::Format { line: 1, reason: format!("not an skm archive header: {e}") })?;
    let summary = summary_of(&header)?;
    conn.transaction(|conn| {
        // the months get their partitions back first, so their rows go straight into them
        let months: Vec<String> = summary.months.keys().cloned().collect();
        super::partitions::ensure(conn, &months)?;
        meter.start(Some(summary.rows.values().sum()));
        let mut loader = Loader::new(meter);
        let mut read: BTreeMap<String, u64> = BTreeMap::new();
        let mut links: Vec<(&'static str, Map<String, Value>)> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let order: Vec<&'static str> = OWNED.iter().chain(&LINKS).map(|(t, _)| *t).collect();
        let mut position = 0usize;
        for (line, text) in lines {
            let Some((table, row)) = super::transfer::next_row(line, &text?, &order, &mut position)? else { continue };
            *read.entry(table.to_string()).or_default() += 1;
            // the ids are checked before the loader inserts their rows (it does so every 1000
            // rows and when the table changes), so a clash is told as such, not as a key error
            if table != "responses" && !ids.is_empty() {
                refuse_present(conn, &std::mem::take(&mut ids))?;
            }
            match table {
                "responses" => {
                    let id = row
                        .get("id")
                        .and_then(Value::as_str)
                        .ok_or_else(|| TransferError::Format { line, reason: "a response without id".into() })?;
                    ids.push(id.to_string());
                    if ids.len() >= 500 {
                        refuse_present(conn, &std::mem::take(&mut ids))?;
                    }
                    loader.push(conn, table, row)?;
                }
                "ticket_codes" | "invitations" => links.push((table, row)),
                _ => loader.push(conn, table, row)?,
            }
        }
        refuse_present(conn, &ids)?;
        loader.finish(conn)?;
        for (table, row) in &links {
            relink(conn, table, row)?;
        }
        for (table, expected) in &summary.rows {
            let found = read.get(table).copied().unwrap_or(0);
            if found != *expected {
                return Err(TransferError::Refused(format!(
                    "the archive is incomplete: its header counts {expected} {table} rows, the file holds {found}"
                )));
            }
        }
        let months: Vec<&str> = summary.months.keys().map(String::as_str).collect();
        // Its responses' totals are in this database only if it recorded the archive: rows
        // put back anywhere else would count in no index.
        let recorded: i64 = archived_months::table
            .filter(archived_months::archive.eq(&summary.archive))
            .filter(archived_months::month.eq_any(&months))
            .count()
            .get_result(conn)?;
        if recorded != i64::try_from(months.len()).unwrap_or(i64::MAX) {
            return Err(TransferError::Refused(format!(
                "this database has not recorded {} as archived for all its months (it was taken from another \
                 database, or restored and archived again since): its responses would count in no daily total",
                summary.archive
            )));
        }
        diesel::delete(
            archived_months::table
                .filter(archived_months::archive.eq(&summary.archive))
                .filter(archived_months::month.eq_any(&months)),
        )
        .execute(conn)?;
        let detail = format!("{}: {} responses before {}", summary.archive, summary.responses(), summary.before);
        super::audit::record(conn, None, "archive_restore", &detail)?;
        Ok(summary.clone())
    })
}

fn summary_of(header: &Value) -> Result<Summary, TransferError> {
    let bad = |reason: &str| TransferError::Format { line: 1, reason: reason.to_string() };
    match header["skm_archive"].as_u64() {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(bad(&format!("archive format {other}; this skm reads format {FORMAT}: use a newer skm")));
        }
        None => return Err(bad("not an skm archive (skm_archive missing): skm import-all reads exports")),
    }
    let text = |key: &str| header[key].as_str().map(str::to_string).ok_or_else(|| bad(&format!("no {key}")));
    let counts = |key: &str| -> Result<BTreeMap<String, u64>, TransferError> {
        let object = header[key].as_object().ok_or_else(|| bad(&format!("no {key}")))?;
        object
            .iter()
            .map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)).ok_or_else(|| bad(&format!("{key}: {k} is not a count"))))
            .collect()
    };
    Ok(Summary { before: text("before")?, archive: text("archive")?, months: counts("months")?, rows: counts("rows")? })
}

/// Refuses the restore when one of `ids` is already a stored response (restored before, or
/// never archived from this database).
fn refuse_present(conn: &mut DbConnection, ids: &[String]) -> Result<(), TransferError> {
    if ids.is_empty() {
        return Ok(());
    }
    let present: Vec<IdRow> = Statement::new()
        .sql("SELECT id FROM responses WHERE id IN (")
        .list(ids.iter().map(|id| Bind::Text(id)))
        .sql(") LIMIT 1")
        .uncached()
        .load(conn)?;
    match present.first() {
        Some(row) => Err(TransferError::Refused(format!(
            "response {} is already in the database (was this archive restored before?)",
            row.id
        ))),
        None => Ok(()),
    }
}

/// Sets the pointer of a ticket code or an invitation back to its restored response, if the row
/// is still there and points nowhere.
fn relink(conn: &mut DbConnection, table: &str, row: &Map<String, Value>) -> Result<(), TransferError> {
    let missing = || TransferError::Refused(format!("a {table} row of the archive lacks its key"));
    let response = row.get("response_id").and_then(Value::as_str).ok_or_else(missing)?;
    match table {
        "ticket_codes" => {
            let unit =
                row.get("unit_id").and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()).ok_or_else(missing)?;
            let code = row.get("code").and_then(Value::as_str).ok_or_else(missing)?;
            Statement::new()
                .sql("UPDATE ticket_codes SET response_id = ")
                .bind(Bind::Text(response))
                .sql(" WHERE unit_id = ")
                .bind(Bind::Int(unit))
                .sql(" AND code = ")
                .bind(Bind::Text(code))
                .sql(" AND response_id IS NULL")
                .execute(conn)?;
        }
        _ => {
            let id = row.get("id").and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()).ok_or_else(missing)?;
            Statement::new()
                .sql("UPDATE invitations SET response_id = ")
                .bind(Bind::Text(response))
                .sql(" WHERE id = ")
                .bind(Bind::Int(id))
                .sql(" AND response_id IS NULL")
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The months of `period` whose raw responses are archived, oldest first (for the pages and the
/// report to say so where they would show raw data).
pub fn months_within(conn: &mut DbConnection, period: &Period) -> Result<Vec<String>, DbError> {
    let first = period.first_day().format("%Y-%m").to_string();
    let last = period.end_exclusive().pred_opt().unwrap_or(period.first_day()).format("%Y-%m").to_string();
    Ok(archived_months::table
        .filter(archived_months::month.ge(&first))
        .filter(archived_months::month.le(&last))
        .select(archived_months::month)
        .distinct()
        .order(archived_months::month)
        .load(conn)?)
}
