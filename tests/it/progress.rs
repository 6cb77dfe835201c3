//! The long commands say how far they are, and Ctrl-C stops them leaving nothing half-written:
//! the real binary with standard error a pipe (so it logs lines rather than drawing a bar), and
//! the jobs themselves with a meter that asks them to stop.

use crate::common;

use common::{backends, skm, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use skm::db::progress::{Interrupted, Meter};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

/// `skm args…` on `url`, logging progress every millisecond: (success, stdout, stderr).
fn run_logged(dir: &Path, url: &str, args: &[&str]) -> (bool, String, String) {
    let out = skm(dir)
        .env("SKM_DATABASE_URL", url)
        .env("SKM_PROGRESS_INTERVAL_MS", "1")
        .args(args)
        .output()
        .expect("run skm");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The first progress line of `job` counting `unit` against a total, with its rate.
fn progress_line<'a>(stderr: &'a str, job: &str, unit: &str) -> Option<&'a str> {
    stderr.lines().find(|line| {
        line.contains(&format!("{job}: "))
            && line.contains(" of ")
            && line.contains(&format!(" {unit} ("))
            && line.contains("/s")
    })
}

#[test]
fn long_commands_log_their_progress_when_standard_error_is_not_a_terminal() {
    for database in backends() {
        let name = database.name;
        let dir = tempfile::tempdir().expect("tmp");
        common::seed_demo(&mut database.pool().get().expect("connection"), 300, 5);

        let (ok, stdout, stderr) = run_logged(dir.path(), &database.url, &["rebuild-totals"]);
        assert!(ok && stdout.contains("daily totals rebuilt"), "{name}: {stdout} {stderr}");
        let line = progress_line(&stderr, "rebuild-totals", "responses");
        assert!(line.is_some(), "{name}: no progress line in {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.contains("rebuild-totals: ") && last.contains(" responses in "),
            "{name}: the last line says it is done: {stderr}"
        );

        let export = dir.path().join("semua.jsonl");
        let (ok, stdout, stderr) =
            run_logged(dir.path(), &database.url, &["export-all", "--out", &export.display().to_string()]);
        assert!(ok && stdout.contains("wrote"), "{name}: {stdout} {stderr}");
        assert!(progress_line(&stderr, "export-all", "rows").is_some(), "{name}: {stderr}");

        let target = match name {
            "sqlite" => TestDb::sqlite(),
            _ => TestDb::postgres(&std::env::var("SKM_TEST_POSTGRES_URL").expect("PostgreSQL")),
        };
        let (ok, stdout, stderr) =
            run_logged(dir.path(), &target.url, &["import-all", "--in", &export.display().to_string()]);
        assert!(ok && stdout.contains("imported"), "{name}: {stdout} {stderr}");
        assert!(progress_line(&stderr, "import-all", "rows").is_some(), "{name}: {stderr}");

        let year = chrono::Datelike::year(&skm::demo::today(chrono_tz::Asia::Makassar)).to_string();
        let pack = dir.path().join("bukti.zip");
        let (ok, stdout, stderr) = run_logged(
            dir.path(),
            &database.url,
            &["evidence", "--period", &year, "--out", &pack.display().to_string()],
        );
        assert!(ok && pack.exists(), "{name}: {stdout} {stderr}");
        assert!(progress_line(&stderr, "evidence", "reports").is_some(), "{name}: {stderr}");

        let fresh = match name {
            "sqlite" => TestDb::sqlite(),
            _ => TestDb::postgres(&std::env::var("SKM_TEST_POSTGRES_URL").expect("PostgreSQL")),
        };
        let (ok, stdout, stderr) = run_logged(dir.path(), &fresh.url, &["demo", "--responses", "200"]);
        assert!(ok && stdout.contains("demo regency"), "{name}: {stdout} {stderr}");
        assert!(progress_line(&stderr, "demo", "responses").is_some(), "{name}: {stderr}");
    }
}

/// `rows` rows in `used_form_tokens`: a table an export reads row by row, filled in one statement.
fn fill(database: &TestDb, rows: u32) {
    let mut conn = database.pool().get().expect("connection");
    let sql = match database.name {
        "sqlite" => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
             INSERT INTO used_form_tokens (nonce, used_at) SELECT 'nonce-' || i, '2026-01-01 08:00:00' FROM n"
        ),
        _ => format!(
            "INSERT INTO used_form_tokens (nonce, used_at) \
             SELECT 'nonce-' || i, TIMESTAMP '2026-01-01 08:00:00' FROM generate_series(1, {rows}) AS i"
        ),
    };
    conn.batch_execute(&sql).expect("fill used_form_tokens");
}

/// Starts `skm args…`, waits for its first progress line, sends it `signal` (`INT` as Ctrl-C
/// would, or `TERM` as systemd would), and returns its exit code and everything it wrote to
/// standard error.
pub(crate) fn interrupt(dir: &Path, url: &str, args: &[&str], job: &str, signal: &str) -> (Option<i32>, String) {
    let mut child = skm(dir)
        .env("SKM_DATABASE_URL", url)
        .env("SKM_PROGRESS_INTERVAL_MS", "20")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start skm");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("read stderr") == 0 {
            let status = child.wait().expect("wait");
            panic!("{job} ended ({status}) before it logged its progress: {seen}");
        }
        seen.push_str(&line);
        if line.contains(&format!("{job}: ")) && line.contains(" of ") {
            break;
        }
    }
    let sent = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().expect("kill");
    assert!(sent.success(), "SIG{signal} sent");
    stderr.read_to_string(&mut seen).expect("read stderr");
    let status = child.wait().expect("wait");
    (status.code(), seen)
}

fn count(database: &TestDb, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = database.pool().get().expect("connection");
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let rows: Vec<Count> = match &mut *conn {
        skm::db::DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
        skm::db::DbConnection::Postgres(c) => diesel::sql_query(sql).load(c),
    }
    .expect("count");
    rows[0].n
}

#[test]
fn ctrl_c_or_sigterm_stops_export_all_and_import_all_leaving_nothing_half_written() {
    for database in backends() {
        let name = database.name;
        let dir = tempfile::tempdir().expect("tmp");
        fill(&database, 50_000);

        let export = dir.path().join("semua.jsonl");
        let args = ["export-all", "--out", &export.display().to_string()];
        let (code, stderr) = interrupt(dir.path(), &database.url, &args, "export-all", "INT");
        assert_eq!(code, Some(130), "{name}: {stderr}");
        assert!(stderr.contains("interrupted: no export was written"), "{name}: {stderr}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert!(left.is_empty(), "{name}: no export and no partial file is left: {left:?}");

        // finished, the export is where it was asked for, and nothing beside it
        let out = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("skm");
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(left, ["semua.jsonl"], "{name}");

        let target = match name {
            "sqlite" => TestDb::sqlite(),
            _ => TestDb::postgres(&std::env::var("SKM_TEST_POSTGRES_URL").expect("PostgreSQL")),
        };
        let args = ["import-all", "--in", &export.display().to_string()];
        let (code, stderr) = interrupt(dir.path(), &target.url, &args, "import-all", "TERM");
        assert_eq!(code, Some(130), "{name}: {stderr}");
        assert!(stderr.contains("interrupted: nothing was imported"), "{name}: {stderr}");
        for table in ["app_secrets", "used_form_tokens"] {
            assert_eq!(count(&target, table), 0, "{name}: {table} is as empty as before the import");
        }
        let out = skm(dir.path()).env("SKM_DATABASE_URL", &target.url).args(args).output().expect("skm");
        assert!(out.status.success(), "{name}: the import runs again: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(count(&target, "used_form_tokens"), 50_000, "{name}");
    }
}

#[test]
fn ctrl_c_stops_evidence_leaving_no_pack_and_no_partial_file() {
    for database in backends() {
        let name = database.name;
        let dir = tempfile::tempdir().expect("tmp");
        common::seed_demo(&mut database.pool().get().expect("connection"), 300, 5);
        let year = chrono::Datelike::year(&skm::demo::today(chrono_tz::Asia::Makassar)).to_string();
        let pack = dir.path().join("bukti.zip");
        let args = ["evidence", "--period", &year, "--out", &pack.display().to_string()];
        let (code, stderr) = interrupt(dir.path(), &database.url, &args, "evidence", "INT");
        assert_eq!(code, Some(130), "{name}: {stderr}");
        assert!(stderr.contains("interrupted: no pack was written"), "{name}: {stderr}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert!(left.is_empty(), "{name}: no pack and no partial file is left: {left:?}");
    }
}

/// Lets `steps` steps pass, then asks the job to stop.
struct StopAfter {
    steps: u32,
}

impl Meter for StopAfter {
    fn start(&mut self, _total: Option<u64>) {}

    fn advance(&mut self, _done: u64) -> Result<(), Interrupted> {
        match self.steps.checked_sub(1) {
            Some(left) => {
                self.steps = left;
                Ok(())
            }
            None => Err(Interrupted),
        }
    }
}

#[test]
fn an_interrupted_rebuild_leaves_the_totals_as_they_were() {
    for database in backends() {
        let name = database.name;
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        common::seed_demo(&mut conn, 300, 9);
        let totals = |conn: &mut skm::db::DbConnection| {
            use skm::db::schema::daily_element_totals as t;
            t::table
                .select((t::unit_id, t::survey_date, t::element_code, t::score_sum, t::answer_count))
                .order((t::unit_id, t::survey_date, t::service_id, t::element_code))
                .load::<(i32, String, String, i32, i32)>(conn)
                .expect("totals")
        };
        let before = totals(&mut conn);
        assert!(!before.is_empty(), "{name}: the demo has totals");

        let stopped = skm::db::totals::rebuild(&mut conn, &mut StopAfter { steps: 3 });
        assert!(matches!(stopped, Err(skm::db::DbError::Interrupted)), "{name}: {:?}", stopped.err());
        assert_eq!(totals(&mut conn), before, "{name}: nothing of the stopped rebuild stays");

        skm::db::totals::rebuild(&mut conn, &mut skm::db::progress::Silent).expect("rebuild");
        assert_eq!(totals(&mut conn), before, "{name}: a whole rebuild gives the totals kept incrementally");
    }
}

#[test]
fn an_interrupted_demo_adds_nothing_and_can_be_run_again() {
    for database in backends() {
        let name = database.name;
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let versions = common::registry(&mut conn);
        let today = skm::demo::today(chrono_tz::Asia::Makassar);
        let stopped = skm::demo::create(&mut conn, &versions, today, 200, 3, &mut StopAfter { steps: 50 });
        assert!(matches!(stopped, Err(skm::db::DbError::Interrupted)), "{name}");
        assert_eq!(count(&database, "units"), 0, "{name}: no unit without its responses");
        assert_eq!(count(&database, "responses"), 0, "{name}");

        let again = skm::demo::create(&mut conn, &versions, today, 200, 3, &mut skm::db::progress::Silent);
        assert!(matches!(again, Ok(skm::demo::DemoOutcome::Created { .. })), "{name}: {:?}", again.err());
    }
}
