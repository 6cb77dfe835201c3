//! `skm export-all` / `skm import-all`: every row of every table as JSON lines, written by one
//! backend and read by either, so a deployment moves between SQLite and PostgreSQL unchanged.
//!
//! The file: a header line `{"skm_export":1,"schema":…,"tables":[…],"rows":N}`, then one line per
//! row, `{"t":"units","r":{…}}`, tables in dependency order. `rows` (the number of row lines) only
//! tells an import how far it has got; files written before it was added lack it. Values are
//! neutral: booleans as JSON booleans, timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]`, doubles with
//! every digit.

use super::progress::{Interrupted, Meter};
use super::{DbConnection, DbError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Map, Value};
use std::io::{BufRead, Write};
use thiserror::Error;

/// Every table, parents before children, with the order its rows are written in.
pub const TABLES: [(&str, &str); 40] = [
    ("app_secrets", "name"),
    ("template_versions", "id"),
    ("units", "id"),
    ("unit_letterheads", "unit_id"),
    ("unit_populations", "unit_id, period"),
    ("services", "id"),
    ("users", "id"),
    ("user_units", "user_id, unit_id"),
    ("api_keys", "id"),
    ("password_resets", "id"),
    ("counters", "id"),
    ("officers", "id"),
    ("devices", "id"),
    ("device_units", "device_id, unit_id"),
    ("responses", "id"),
    ("answers", "response_id, element_code"),
    ("unit_instruments", "unit_id, template_id"),
    ("instrument_answers", "response_id, template_version_id, element_code"),
    ("invitations", "id"),
    ("ticket_codes", "unit_id, code"),
    ("used_form_tokens", "nonce"),
    ("daily_element_totals", "unit_id, survey_date, template_version_id, service_id, element_code"),
    ("daily_response_totals", "unit_id, survey_date, template_version_id, service_id"),
    ("monthly_element_totals", "unit_id, month, template_version_id, service_id, element_code"),
    ("monthly_response_totals", "unit_id, month, template_version_id, service_id"),
    ("rollup_element_totals", "node_id, month, template_version_id, element_code"),
    ("rollup_response_totals", "node_id, month, template_version_id"),
    ("rollup_months", "month"),
    ("archived_months", "month, archive"),
    ("publications", "unit_id, period"),
    ("rtl_actions", "id"),
    ("proof_images", "id"),
    ("rtl_status_changes", "id"),
    ("publication_media", "id"),
    ("email_log", "id"),
    ("audit_log", "id"),
    ("import_batches", "id"),
    ("setup_uploads", "digest"),
    ("job_leases", "name"),
    ("rate_limits", "key"),
];

/// Tables whose `id` PostgreSQL numbers from a sequence (moved past the imported ids).
const SERIAL_TABLES: [&str; 16] = [
    "template_versions",
    "units",
    "services",
    "users",
    "password_resets",
    "rtl_actions",
    "proof_images",
    "rtl_status_changes",
    "publication_media",
    "email_log",
    "audit_log",
    "import_batches",
    "counters",
    "officers",
    "invitations",
    "devices",
];

const BATCH: usize = 1000;

#[derive(Debug, Error)]
pub enum TransferError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {reason}")]
    Format { line: usize, reason: String },
    #[error("{0}")]
    Refused(String),
}

impl From<diesel::result::Error> for TransferError {
    fn from(e: diesel::result::Error) -> Self {
        TransferError::Db(e.into())
    }
}

impl From<Interrupted> for TransferError {
    fn from(e: Interrupted) -> Self {
        TransferError::Db(e.into())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Bool,
    Timestamp,
    Double,
    /// bytes (proof images), written as PostgreSQL writes `bytea`: `\x` and lowercase hex
    Binary,
}

struct Column {
    name: String,
    kind: Kind,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn columns(conn: &mut DbConnection, table: &str) -> Result<Vec<Column>, DbError> {
    let rows: Vec<ColumnRow> = match conn {
        DbConnection::Sqlite(c) => {
            diesel::sql_query("SELECT name, type AS declared FROM pragma_table_info(?) ORDER BY cid")
                .bind::<Text, _>(table)
                .load(c)?
        }
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT column_name::text AS name, data_type::text AS declared FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table)
        .load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let declared = r.declared.to_ascii_lowercase();
            let kind = if declared.contains("timestamp") {
                Kind::Timestamp
            } else if declared.contains("bool") {
                Kind::Bool
            } else if declared.contains("double") || declared.contains("real") || declared.contains("float") {
                Kind::Double
            } else if declared.contains("blob") || declared.contains("bytea") {
                Kind::Binary
            } else {
                Kind::Plain
            };
            Column { name: r.name, kind }
        })
        .collect())
}

fn table_names(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let rows: Vec<NameRow> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '__diesel_schema_migrations' ORDER BY name",
        )
        .load(c)?,
        // a partition (of `responses`) is part of its table, not a table of its own
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
             AND c.relname <> '__diesel_schema_migrations' ORDER BY 1",
        )
        .load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// The newest applied migration: both backends' migration folders carry the same versions.
pub(super) fn schema_version(conn: &mut DbConnection) -> Result<String, DbError> {
    let rows: Vec<NameRow> = match conn {
        DbConnection::Sqlite(c) => {
            diesel::sql_query("SELECT MAX(version) AS name FROM __diesel_schema_migrations").load(c)?
        }
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT MAX(version)::text AS name FROM __diesel_schema_migrations").load(c)?
        }
    };
    Ok(rows.into_iter().next().map(|r| r.name).unwrap_or_default())
}

/// A table added by a migration but missing from `TABLES` would silently stay behind.
fn check_tables(conn: &mut DbConnection) -> Result<(), TransferError> {
    let mut known: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
    known.sort_unstable();
    let present = table_names(conn)?;
    if present != known {
        return Err(TransferError::Refused(format!(
            "the database has tables {present:?}, this skm moves {known:?}: use the skm release that matches the database"
        )));
    }
    Ok(())
}

/// Turns one backend's JSON rendering of a row into the neutral form.
fn neutral(mut row: Map<String, Value>, columns: &[Column]) -> Map<String, Value> {
    for column in columns {
        let Some(value) = row.get_mut(&column.name) else { continue };
        match (column.kind, &*value) {
            (Kind::Bool, Value::Number(n)) => *value = Value::Bool(n.as_i64() != Some(0)),
            (Kind::Timestamp, Value::String(s)) => *value = Value::String(s.replacen('T', " ", 1)),
            (Kind::Double, Value::String(s)) => {
                if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    *value = Value::Number(n);
                }
            }
            // 9 and 9.0 are the same double; write them one way whichever backend read them
            (Kind::Double, Value::Number(n)) => {
                if let Some(n) = n.as_f64().and_then(serde_json::Number::from_f64) {
                    *value = Value::Number(n);
                }
            }
            _ => {}
        }
    }
    row
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn count_rows(conn: &mut DbConnection, table: &str) -> Result<u64, DbError> {
    let rows: Vec<CountRow> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(c)?,
    };
    Ok(rows.first().map_or(0, |r| r.n.unsigned_abs()))
}

/// Writes every row; returns the number of rows per table. Reads one consistent snapshot;
/// `meter` counts rows.
pub fn export(
    conn: &mut DbConnection,
    out: &mut dyn Write,
    meter: &mut dyn Meter,
) -> Result<Vec<(&'static str, u64)>, TransferError> {
    check_tables(conn)?;
    let schema = schema_version(conn)?;
    conn.transaction(|conn| {
        if let DbConnection::Postgres(c) = conn {
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        // counted in the snapshot that is written, so the header's number is the file's
        let mut rows = 0;
        for (table, _) in TABLES {
            rows += count_rows(conn, table)?;
        }
        let header = serde_json::json!({
            "skm_export": 1,
            "skm_version": env!("CARGO_PKG_VERSION"),
            "schema": schema,
            "tables": TABLES.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            "rows": rows,
        });
        writeln!(out, "{header}")?;
        meter.start(Some(rows));
        let mut counts = Vec::new();
        for (table, order) in TABLES {
            let mut written = 0u64;
            each_row(conn, table, "", order, &mut |row| {
                let line = serde_json::json!({"t": table, "r": row});
                writeln!(out, "{line}")?;
                written += 1;
                meter.advance(1)?;
                Ok(())
            })?;
            counts.push((table, written));
        }
        Ok(counts)
    })
}

/// Every row of `table` that `filter` keeps (a `WHERE` clause over the alias `t`, or empty), in
/// `order`, each as its neutral JSON object. Inside a transaction (PostgreSQL reads through a
/// cursor, SQLite streams): one consistent snapshot, however many rows.
pub(super) fn each_row(
    conn: &mut DbConnection,
    table: &str,
    filter: &str,
    order: &str,
    emit: &mut dyn FnMut(Map<String, Value>) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    let columns = columns(conn, table)?;
    let mut emit = |json: &str| -> Result<(), TransferError> {
        let row: Map<String, Value> =
            serde_json::from_str(json).map_err(|e| TransferError::Refused(format!("{table}: unreadable row: {e}")))?;
        emit(neutral(row, &columns))
    };
    match conn {
        DbConnection::Sqlite(c) => {
            let fields: Vec<String> = columns
                .iter()
                .map(|col| {
                    let value = match col.kind {
                        // every digit, so the number reads back bit for bit
                        Kind::Double => format!("printf('%!.17g', {})", quote(&col.name)),
                        // JSON holds no bytes: hex, as PostgreSQL's row_to_json writes bytea
                        Kind::Binary => format!("'\\x' || lower(hex({}))", quote(&col.name)),
                        _ => quote(&col.name),
                    };
                    format!("'{}', {value}", col.name)
                })
                .collect();
            let sql =
                format!("SELECT json_object({}) AS row FROM {table} t {filter} ORDER BY {order}", fields.join(", "));
            // SQLite's rows stream one by one, in the same order as PostgreSQL's cursor.
            for row in diesel::sql_query(sql).load_iter::<JsonRow, diesel::connection::DefaultLoadingMode>(c)? {
                emit(&row?.row)?;
            }
        }
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!(
                "DECLARE skm_export NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS row FROM {table} t {filter} ORDER BY {order}"
            ))?;
            loop {
                let rows: Vec<JsonRow> = diesel::sql_query(format!("FETCH {BATCH} FROM skm_export")).load(c)?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    emit(&row.row)?;
                }
            }
            c.batch_execute("CLOSE skm_export")?;
        }
    }
    Ok(())
}

/// Reads an export into an empty database of either backend, all or nothing; returns the rows
/// per table. `meter` counts rows.
pub fn import(
    conn: &mut DbConnection,
    input: &mut dyn BufRead,
    meter: &mut dyn Meter,
) -> Result<Vec<(String, u64)>, TransferError> {
    check_tables(conn)?;
    let mut lines = input.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (_, first) = lines.next().ok_or(TransferError::Format { line: 1, reason: "empty file".into() })?;
    let header: Value = serde_json::from_str(&first?)
        .map_err(|e| TransferError::Format { line: 1, reason: format!("not an skm export header: {e}") })?;
    if header["skm_export"] != 1 {
        return Err(TransferError::Format { line: 1, reason: "not an skm export (skm_export: 1 missing)".into() });
    }
    let schema = schema_version(conn)?;
    if header["schema"].as_str() != Some(schema.as_str()) {
        return Err(TransferError::Refused(format!(
            "the export has schema {}, this database {schema}: import with the skm release that wrote it, then upgrade",
            header["schema"]
        )));
    }
    conn.transaction(|conn| {
        for (table, _) in TABLES {
            if count_rows(conn, table)? > 0 {
                return Err(TransferError::Refused(format!(
                    "the database is not empty ({table} has rows): import into a new, migrated database"
                )));
            }
        }
        meter.start(header["rows"].as_u64());
        let mut loader = Loader {
            counts: Vec::new(),
            batch: Vec::new(),
            table: None,
            columns: Vec::new(),
            parents: Vec::new(),
            meter,
        };
        let order: Vec<&'static str> = TABLES.iter().map(|(t, _)| *t).collect();
        let mut position = 0usize;
        for (line, text) in lines {
            let Some((table, mut row)) = next_row(line, &text?, &order, &mut position)? else { continue };
            if loader.table != Some(table) {
                loader.flush(conn)?;
                loader.table = Some(table);
                loader.columns = columns(conn, table)?;
            }
            // A unit may name a parent written after it: parents are set once all units exist.
            if table == "units" {
                if let (Some(id), Some(parent)) = (row.get("id").and_then(Value::as_i64), row.get("parent_id")) {
                    if let Some(parent) = parent.as_i64() {
                        loader.parents.push((id, parent));
                    }
                }
                row.insert("parent_id".into(), Value::Null);
            }
            loader.batch.push(Value::Object(row));
            if loader.batch.len() >= BATCH {
                loader.flush(conn)?;
            }
        }
        loader.flush(conn)?;
        loader.set_parents(conn)?;
        if let DbConnection::Postgres(c) = conn {
            for table in SERIAL_TABLES {
                c.batch_execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))?;
            }
        }
        Ok(loader.counts)
    })
}

pub(super) struct Loader<'m> {
    counts: Vec<(String, u64)>,
    batch: Vec<Value>,
    table: Option<&'static str>,
    /// the current table's columns (SQLite inserts name them)
    columns: Vec<Column>,
    parents: Vec<(i64, i64)>,
    meter: &'m mut dyn Meter,
}

impl<'m> Loader<'m> {
    pub(super) fn new(meter: &'m mut dyn Meter) -> Loader<'m> {
        Loader { counts: Vec::new(), batch: Vec::new(), table: None, columns: Vec::new(), parents: Vec::new(), meter }
    }

    /// Queues `row` of `table`, inserting the queue when it is full or its table changes.
    pub(super) fn push(
        &mut self,
        conn: &mut DbConnection,
        table: &'static str,
        row: Map<String, Value>,
    ) -> Result<(), TransferError> {
        if self.table != Some(table) {
            self.flush(conn)?;
            self.table = Some(table);
            self.columns = columns(conn, table)?;
        }
        self.batch.push(Value::Object(row));
        if self.batch.len() >= BATCH {
            self.flush(conn)?;
        }
        Ok(())
    }

    /// The rows inserted per table, once the last batch is flushed.
    pub(super) fn finish(mut self, conn: &mut DbConnection) -> Result<Vec<(String, u64)>, TransferError> {
        self.flush(conn)?;
        Ok(self.counts)
    }

    fn flush(&mut self, conn: &mut DbConnection) -> Result<(), TransferError> {
        let Some(table) = self.table else { return Ok(()) };
        if self.batch.is_empty() {
            return Ok(());
        }
        let rows = Value::Array(std::mem::take(&mut self.batch));
        let n = rows.as_array().map_or(0, Vec::len) as u64;
        let json = rows.to_string();
        match conn {
            DbConnection::Postgres(c) => {
                diesel::sql_query(format!(
                    "INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json)"
                ))
                .bind::<Text, _>(&json)
                .execute(c)?;
            }
            DbConnection::Sqlite(c) => {
                let names: Vec<String> = self.columns.iter().map(|c| quote(&c.name)).collect();
                let values: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| {
                        let value = format!("json_extract(value, '$.\"{}\"')", c.name.replace('"', ""));
                        match c.kind {
                            Kind::Binary => format!("unhex(substr({value}, 3))"),
                            _ => value,
                        }
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM json_each(?)",
                    names.join(", "),
                    values.join(", ")
                );
                diesel::sql_query(sql).bind::<Text, _>(&json).execute(c)?;
            }
        }
        match self.counts.last_mut() {
            Some((last, count)) if last == table => *count += n,
            _ => self.counts.push((table.to_string(), n)),
        }
        self.meter.advance(n)?;
        Ok(())
    }

    fn set_parents(&mut self, conn: &mut DbConnection) -> Result<(), TransferError> {
        use super::schema::units;
        for (id, parent) in self.parents.drain(..) {
            let (id, parent) = (i32::try_from(id), i32::try_from(parent));
            let (Ok(id), Ok(parent)) = (id, parent) else {
                return Err(TransferError::Refused("a unit id is out of range".into()));
            };
            diesel::update(units::table.find(id)).set(units::parent_id.eq(Some(parent))).execute(conn)?;
        }
        Ok(())
    }
}

/// A consistent copy of a SQLite database while it is in use (`VACUUM INTO`).
pub fn backup_sqlite(conn: &mut DbConnection, out: &std::path::Path) -> Result<(), TransferError> {
    let DbConnection::Sqlite(c) = conn else {
        return Err(TransferError::Refused(
            "skm backup copies SQLite databases; for PostgreSQL use pg_dump -Fc (see the README)".into(),
        ));
    };
    // VACUUM INTO fills an empty file and keeps its mode: made here, the copy is private from
    // its first byte
    create_private(out)?;
    let copied = diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(out.display().to_string()).execute(c);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(out);
        return Err(e.into());
    }
    Ok(())
}

/// A new file only its owner may read (0600 on unix), for copies that hold the master secret and
/// password hashes; an existing file is refused, never overwritten or loosened.
pub fn create_private(path: &std::path::Path) -> Result<std::fs::File, TransferError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            TransferError::Refused(format!("{} exists; choose a new file", path.display()))
        }
        _ => TransferError::Refused(format!("cannot create {}: {e}", path.display())),
    })
}
/// A row read from a file, with its table.
pub(super) type TableRow = (&'static str, Map<String, Value>);

/// One row line of an export or archive file (`{"t": table, "r": {…}}`): its table, which must
/// come at or after `position` in `order` (the file's table order), and its row; `None` for a
/// blank line. `line` numbers the errors.
pub(super) fn next_row(
    line: usize,
    text: &str,
    order: &[&'static str],
    position: &mut usize,
) -> Result<Option<TableRow>, TransferError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let bad = |reason: String| TransferError::Format { line, reason };
    let mut entry: Map<String, Value> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let table = entry.get("t").and_then(Value::as_str).ok_or_else(|| bad("no table name (t)".into()))?;
    let Some(offset) = order[*position..].iter().position(|t| *t == table) else {
        return Err(bad(format!("unknown table {table:?} or tables out of order")));
    };
    *position += offset;
    let Some(Value::Object(row)) = entry.remove("r") else {
        return Err(bad("no row object (r)".into()));
    };
    Ok(Some((order[*position], row)))
}
