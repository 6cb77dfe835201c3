//! Copies and moves of a whole deployment through the real binary: `skm backup`, pg_dump and
//! pg_restore, and `skm export-all` / `skm import-all` from SQLite to PostgreSQL and back.

use crate::common;

use common::{skm, TestDb};
use skm::aggregator::{self, Selection};
use skm::catalog::Catalog;
use skm::db;
use skm::domain::names::Role;
use std::path::Path;
use std::time::Duration;

/// Every unit's index (with its sub-units) for 2025 and 2026, as the dashboards compute it.
fn indices(url: &str) -> Vec<String> {
    let pool = db::open_pool(url, 2, Duration::from_secs(10)).expect("pool");
    let mut conn = pool.get().expect("connection");
    let catalog = Catalog::load(None).expect("templates");
    let versions =
        skm::catalog::TemplateRegistry::register(&mut conn, &catalog, skm::domain::template::DEFAULT_TEMPLATE)
            .expect("versions");
    let mut out = Vec::new();
    for unit in db::units::list(&mut conn).expect("units") {
        for period in ["2025", "2026"] {
            let selection =
                Selection { period: period.parse().expect("period"), with_subunits: true, service_id: None };
            let index = aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index");
            out.push(format!("{} {period} {:?}", unit.slug, index.result));
        }
    }
    assert!(out.len() > 10, "the demo has units");
    out
}

fn run(dir: &Path, url: &str, args: &[&str]) -> (bool, String) {
    let out = skm(dir).env("SKM_DATABASE_URL", url).args(args).output().expect("run skm");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn demo(database: &TestDb) {
    let pool = database.pool();
    let mut conn = pool.get().expect("connection");
    common::seed_demo(&mut conn, 400, 11);
}

fn postgres() -> Option<String> {
    match std::env::var("SKM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("SKM_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("SKM_TEST_REQUIRE_POSTGRES=1 but SKM_TEST_POSTGRES_URL is not set")
        }
        _ => {
            eprintln!("SKIPPED: set SKM_TEST_POSTGRES_URL to move between SQLite and PostgreSQL");
            None
        }
    }
}

#[test]
fn export_all_and_import_all_move_sqlite_to_postgres_and_back_with_identical_indices() {
    let Some(admin) = postgres() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let source = TestDb::sqlite();
    demo(&source);
    let expected = indices(&source.url);

    let a = dir.path().join("a.jsonl");
    let (ok, out) = run(dir.path(), &source.url, &["export-all", "--out", &a.display().to_string()]);
    assert!(ok && out.contains("responses"), "{out}");
    let (ok, out) = run(dir.path(), &source.url, &["export-all", "--out", &a.display().to_string()]);
    assert!(!ok && out.contains("a.jsonl"), "an existing file is not overwritten: {out}");

    let pg = TestDb::postgres(&admin);
    let (ok, out) = run(dir.path(), &pg.url, &["import-all", "--in", &a.display().to_string()]);
    assert!(ok, "{out}");
    assert_eq!(indices(&pg.url), expected, "SQLite → PostgreSQL keeps every index");
    let (ok, out) = run(dir.path(), &pg.url, &["import-all", "--in", &a.display().to_string()]);
    assert!(!ok && out.contains("not empty"), "a second import is refused: {out}");

    // and back: PostgreSQL → a new SQLite file
    let b = dir.path().join("b.jsonl");
    let (ok, out) = run(dir.path(), &pg.url, &["export-all", "--out", &b.display().to_string()]);
    assert!(ok, "{out}");
    let back = TestDb::sqlite();
    let (ok, out) = run(dir.path(), &back.url, &["import-all", "--in", &b.display().to_string()]);
    assert!(ok, "{out}");
    assert_eq!(indices(&back.url), expected, "PostgreSQL → SQLite keeps every index");

    // every row survives both moves: the two exports of the same rows are byte for byte equal
    // (SQLite keeps nanoseconds PostgreSQL cannot, so the first export is compared by rows)
    let c = dir.path().join("c.jsonl");
    assert!(run(dir.path(), &back.url, &["export-all", "--out", &c.display().to_string()]).0);
    let (b_text, c_text) = (std::fs::read_to_string(&b).expect("b"), std::fs::read_to_string(&c).expect("c"));
    assert!(b_text == c_text, "PostgreSQL's export and the SQLite copy's export differ");
    let a_text = std::fs::read_to_string(&a).expect("a");
    assert_eq!(a_text.lines().count(), b_text.lines().count());
    let responses = |text: &str| text.lines().filter(|l| l.contains("\"t\":\"responses\"")).count();
    assert!(responses(&a_text) > 300, "the demo's responses are in the export");
}

#[test]
fn a_damaged_export_is_refused_naming_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let source = TestDb::sqlite();
    demo(&source);
    let a = dir.path().join("a.jsonl");
    assert!(run(dir.path(), &source.url, &["export-all", "--out", &a.display().to_string()]).0);
    let text = std::fs::read_to_string(&a).expect("export");
    let mut lines: Vec<&str> = text.lines().collect();
    let damaged_at = lines.len() - 3;
    lines[damaged_at] = "{\"t\":\"answers\",\"r\":";
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).expect("write");
    let target = TestDb::sqlite();
    let (ok, out) = run(dir.path(), &target.url, &["import-all", "--in", &bad.display().to_string()]);
    assert!(!ok && out.contains(&format!("line {}", damaged_at + 1)), "{out}");
    use diesel::prelude::*;
    let pool = target.pool();
    let units: i64 = db::schema::units::table.count().get_result(&mut pool.get().expect("conn")).expect("count");
    assert_eq!(units, 0, "all or nothing");
}

#[test]
fn backup_copies_a_running_sqlite_database_and_pg_dump_restores_postgres() {
    let dir = tempfile::tempdir().expect("tmp");
    let source = TestDb::sqlite();
    demo(&source);
    let expected = indices(&source.url);
    // the service is running (and holds connections) while the copy is made
    let app = common::TestApp::spawn(&source);
    assert_eq!(app.get("/readyz").0, 200);
    let copy = dir.path().join("backup.db");
    let (ok, out) = run(dir.path(), &source.url, &["backup", "--out", &copy.display().to_string()]);
    assert!(ok, "{out}");
    assert_eq!(indices(&copy.display().to_string()), expected);
    let (ok, out) = run(dir.path(), &source.url, &["backup", "--out", &copy.display().to_string()]);
    assert!(!ok && out.contains("exists"), "{out}");
    drop(app);

    let Some(admin) = postgres() else { return };
    let pg = TestDb::postgres(&admin);
    demo(&pg);
    let (ok, out) = run(dir.path(), &pg.url, &["backup", "--out", &dir.path().join("x").display().to_string()]);
    assert!(!ok && out.contains("pg_dump"), "PostgreSQL is backed up with pg_dump: {out}");
    if !common::tool_available("pg_dump") || !common::tool_available("pg_restore") {
        return;
    }
    let expected = indices(&pg.url);
    let dump = dir.path().join("skm.dump");
    let status = std::process::Command::new("pg_dump")
        .args(["-Fc", "--no-owner", "-f", &dump.display().to_string(), &pg.url])
        .status()
        .expect("pg_dump");
    assert!(status.success());
    let restored = TestDb::postgres(&admin);
    let status = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "-d", &restored.url, &dump.display().to_string()])
        .status()
        .expect("pg_restore");
    assert!(status.success());
    assert_eq!(indices(&restored.url), expected, "the restored database has every index");
    let (ok, out) = run(dir.path(), &restored.url, &["migrate"]);
    assert!(ok && out.contains("up to date"), "{out}");
}

#[cfg(unix)]
#[test]
fn backups_and_exports_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).expect("written").permissions().mode() & 0o777;
    let dir = tempfile::tempdir().expect("tmp");
    for database in common::backends() {
        let name = database.name;
        common::seed_unit_and_user(&common::TestApp::spawn(&database), "kabupaten", "admin@x.go.id", Role::Admin);
        let export = dir.path().join(format!("{name}.jsonl"));
        let (ok, out) = run(dir.path(), &database.url, &["export-all", "--out", &export.display().to_string()]);
        assert!(ok, "{name}: {out}");
        assert_eq!(mode(&export), 0o600, "{name}: the export holds the master secret and password hashes");
        assert!(out.contains("written with mode 0600: it holds the master secret and password hashes"), "{out}");
        assert!(std::fs::read_to_string(&export).expect("export").contains("$argon2id$"), "{name}: hashes exported");
        if database.url.starts_with("postgres") {
            continue;
        }
        let copy = dir.path().join("backup.db");
        let (ok, out) = run(dir.path(), &database.url, &["backup", "--out", &copy.display().to_string()]);
        assert!(ok, "{out}");
        assert_eq!(mode(&copy), 0o600, "the backup holds the master secret and password hashes");
        assert!(out.contains("written with mode 0600"), "{out}");
        assert!(!dir.path().join("backup.db-journal").exists(), "no journal left beside the copy");
        let pool = db::open_pool(&copy.display().to_string(), 1, Duration::from_secs(5)).expect("the copy opens");
        let users = db::users::list_with_units(&mut pool.get().expect("conn")).expect("users");
        assert_eq!(users.len(), 1);
        // an existing file is refused, not overwritten or loosened
        let (ok, out) = run(dir.path(), &database.url, &["backup", "--out", &copy.display().to_string()]);
        assert!(!ok && out.contains("exists"), "{out}");
    }
}
