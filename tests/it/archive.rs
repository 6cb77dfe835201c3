//! `skm archive` moves the raw responses of closed months to a compressed file and `skm archive
//! restore` brings them back, on every backend: the daily totals never move, so the index of an
//! archived month is the same before, during and after; the pages say what is archived; bad
//! input is refused before anything is written.

use crate::common;

use common::{backends, skm, TestApp, TestDb};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::Value;
use skm::demo::DemoAccount;
use skm::domain::names::Role;
use std::path::Path;

/// `skm args…` on `database`: (success, stdout, stderr).
fn run(dir: &Path, database: &TestDb, args: &[&str]) -> (bool, String, String) {
    let out = skm(dir).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run skm");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn count(pool: &skm::db::Pool, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = pool.get().expect("connection");
    let rows: Vec<Count> = match &mut *conn {
        skm::db::DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
        skm::db::DbConnection::Postgres(c) => diesel::sql_query(sql).load(c),
    }
    .expect("count");
    rows[0].n
}

/// Every row of every table as `skm export-all` writes it, but the audit log (the archive and
/// the restore each add a line to it).
fn dump(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    skm::db::transfer::export(&mut app.conn(), &mut out, &mut skm::db::progress::Silent).expect("export");
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .skip(1)
        .filter(|line| !line.contains("\"t\":\"audit_log\""))
        .map(str::to_string)
        .collect()
}

fn of_tables(dump: &[String], tables: &[&str]) -> Vec<String> {
    dump.iter().filter(|line| tables.iter().any(|t| line.contains(&format!("\"t\":\"{t}\"")))).cloned().collect()
}

fn login(app: &TestApp, accounts: &[DemoAccount]) -> String {
    let admin = accounts.iter().find(|a| a.role == Role::Admin && a.unit.is_none()).expect("admin");
    app.login(&admin.email, &admin.password).expect("signed in")
}

/// The first day of the month `months` before today's.
fn months_ago(months: u32) -> chrono::NaiveDate {
    let today = skm::demo::today(chrono_tz::Asia::Makassar);
    let first = today - chrono::Duration::days(i64::from(chrono::Datelike::day(&today)) - 1);
    first.checked_sub_months(chrono::Months::new(months)).expect("month")
}

#[test]
fn archiving_a_year_keeps_its_index_and_restoring_brings_back_every_row() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let dir = tempfile::tempdir().expect("tmp");
        // the demo's year (web, kiosk, paper, devices, spent invitations, Zona Integritas answers)
        // and, before it, a paper response a month for two more years
        let accounts = {
            let mut conn = app.conn();
            let (versions, accounts) = common::seed_demo(&mut conn, 400, 11);
            let unit = skm::db::units::by_slug(&mut conn, "disdukcapil").expect("unit");
            let (version, _) = versions.current_for(&unit).expect("version");
            for back in 13..37 {
                let day = months_ago(back) + chrono::Duration::days(9);
                let response = common::paper_response(unit.id, version, day, 2 + (back % 3) as i32);
                skm::db::responses::insert(&mut conn, &response).expect("response");
            }
            accounts
        };
        let admin = login(&app, &accounts);
        let cutoff = months_ago(6);
        let before = cutoff.format("%Y-%m").to_string();
        let kept = format!("'{}'", cutoff.format("%Y-%m-%d"));
        let month = months_ago(8).format("%Y-%m").to_string();
        let current = months_ago(0).format("%Y-%m").to_string();
        let previous = months_ago(1).format("%Y-%m").to_string();
        let archived_sql = format!("SELECT COUNT(*) AS n FROM responses WHERE survey_date < {kept}");
        let to_archive = count(&app.pool, &archived_sql);
        assert!(to_archive > 24, "{name}: the demo and the paper responses reach before {before}");
        let instrument_sql = format!(
            "SELECT COUNT(*) AS n FROM instrument_answers \
             WHERE response_id IN (SELECT id FROM responses WHERE survey_date < {kept})"
        );
        assert!(count(&app.pool, &instrument_sql) > 0, "{name}: Zona Integritas answers are archived too");
        let linked_sql = format!(
            "SELECT COUNT(*) AS n FROM invitations \
             WHERE response_id IN (SELECT id FROM responses WHERE survey_date < {kept})"
        );
        let linked = count(&app.pool, &linked_sql);
        assert!(linked > 0, "{name}: some archived responses came through invitations");
        let spent_sql = "SELECT COUNT(*) AS n FROM invitations WHERE spent_at IS NOT NULL";
        let spent = count(&app.pool, spent_sql);

        // PostgreSQL: the old paper forms landed in the default partition (no month of theirs
        // had one); the service's upkeep gives each month its own
        let partitioned = database.name == "postgres";
        let oldest = months_ago(36).format("%Y-%m").to_string();
        if partitioned {
            let stranded = "SELECT COUNT(*) AS n FROM responses_default";
            assert!(count(&app.pool, stranded) > 0, "the old forms wait in the default partition");
            let today = chrono::Utc::now().date_naive();
            assert!(skm::db::partitions::maintain(&mut app.conn(), today).expect("upkeep") >= 24);
            assert_eq!(count(&app.pool, stranded), 0, "every month has its own partition now");
            let months = skm::db::partitions::months(&mut app.conn()).expect("partitions");
            for m in [&oldest, &month, &current] {
                assert!(months.contains(m), "{m} has its partition: {months:?}");
            }
            let in_month = format!("SELECT COUNT(*) AS n FROM {}", skm::db::partitions::table_of(&month));
            let of_month = format!("SELECT COUNT(*) AS n FROM responses WHERE survey_date LIKE '{month}-%'");
            assert!(count(&app.pool, &in_month) > 0);
            assert_eq!(count(&app.pool, &in_month), count(&app.pool, &of_month), "a month's rows are in its table");
        }

        let index_path = format!("/api/v1/units/disdukcapil/index?period={month}");
        let page_path = format!("/dasbor/unit/disdukcapil?period={month}");
        let index_before = app.get_as(&admin, &index_path);
        assert_eq!(index_before.status, 200, "{name}: {}", index_before.body);
        let index_before: Value = serde_json::from_str(&index_before.body).expect("json");
        assert!(index_before["index"]["responses"].as_u64() > Some(0), "{name}: {index_before}");
        let page_before = app.get_as(&admin, &page_path).body;
        assert!(!page_before.contains("sudah diarsipkan"), "{name}");
        let before_archive = dump(&app);

        // bad input: refused, nothing written, nothing deleted
        let out = dir.path().join("arsip.jsonl.gz");
        let out_text = out.display().to_string();
        for (args, says) in [
            (vec!["archive", "--before", "2021-13", "--out", &out_text], "is not a month"),
            (vec!["archive", "--before", "kemarin", "--out", &out_text], "is not a month"),
            (vec!["archive", "--before", &current, "--out", &out_text], &*format!("the latest is --before {previous}")),
            (vec!["archive", "--before", "2999-01", "--out", &out_text], "the latest is --before"),
            (
                vec!["archive", "--before", "2001-01", "--out", &out_text],
                "no responses before 2001-01: nothing to archive",
            ),
            (vec!["archive"], "skm archive --before YYYY-MM"),
        ] {
            let (ok, stdout, stderr) = run(dir.path(), &database, &args);
            assert!(!ok, "{name}: {args:?} is refused: {stdout}");
            assert!(stderr.contains(says), "{name}: {args:?}: {stderr}");
        }
        let taken = dir.path().join("ada.jsonl.gz");
        std::fs::write(&taken, "keep me").expect("write");
        let (ok, _, stderr) =
            run(dir.path(), &database, &["archive", "--before", &before, "--out", &taken.display().to_string()]);
        assert!(!ok && stderr.contains("exists; choose a new file"), "{name}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&taken).expect("read"),
            "keep me",
            "{name}: an existing file is never touched"
        );
        std::fs::remove_file(&taken).expect("remove");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert!(left.is_empty(), "{name}: refusals leave no file: {left:?}");
        assert_eq!(count(&app.pool, &archived_sql), to_archive, "{name}: refusals delete nothing");

        // the archive
        let (ok, stdout, stderr) = run(dir.path(), &database, &["archive", "--before", &before, "--out", &out_text]);
        assert!(ok, "{name}: {stdout} {stderr}");
        assert!(stdout.contains(&format!("removed its {to_archive} responses")), "{name}: {stdout}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(left, ["arsip.jsonl.gz"], "{name}: the archive and no partial file");
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&out).expect("open")),
            &mut text,
        )
        .expect("gzip");
        let header: Value = serde_json::from_str(text.lines().next().expect("header")).expect("json");
        assert_eq!(header["skm_archive"], 1, "{name}");
        assert_eq!(header["before"], before.as_str(), "{name}");
        assert_eq!(header["rows"]["responses"].as_i64(), Some(to_archive), "{name}: {header}");
        assert_eq!(header["rows"]["invitations"].as_i64(), Some(linked), "{name}: {header}");

        assert_eq!(count(&app.pool, &archived_sql), 0, "{name}: the raw responses are gone");
        if partitioned {
            // whole months went as whole tables; the kept months kept theirs
            let months = skm::db::partitions::months(&mut app.conn()).expect("partitions");
            assert!(months.iter().all(|m| *m >= before), "no partition before {before} is left: {months:?}");
            assert!(months.contains(&current), "{months:?}");
        }
        assert_eq!(count(&app.pool, &instrument_sql), 0, "{name}");
        let orphans = "SELECT COUNT(*) AS n FROM answers WHERE response_id NOT IN (SELECT id FROM responses)";
        assert_eq!(count(&app.pool, orphans), 0, "{name}: their answers went with them");
        assert_eq!(count(&app.pool, spent_sql), spent, "{name}: spent invitations stay spent");
        let after_archive = dump(&app);
        let totals = [
            "daily_element_totals",
            "daily_response_totals",
            "monthly_element_totals",
            "monthly_response_totals",
            "rollup_element_totals",
            "rollup_response_totals",
        ];
        let unchanged = of_tables(&after_archive, &totals) == of_tables(&before_archive, &totals);
        assert!(unchanged, "{name}: the daily totals and roll-ups are unchanged");
        let index_after: Value =
            serde_json::from_str(&app.get_as(&admin, &index_path).body).expect("json after the archive");
        assert_eq!(index_after["index"], index_before["index"], "{name}: the same index from the daily totals");
        let page = app.get_as(&admin, &page_path).body;
        assert!(page.contains("sudah diarsipkan") && page.contains("skm archive restore"), "{name}: {page}");
        let report = app.get_as(&admin, &format!("/dasbor/unit/disdukcapil/laporan.pdf?period={month}"));
        assert_eq!(report.status, 200, "{name}: the report of an archived month is still written");
        if let Some(text) = common::pdf_text(&report.bytes, &format!("archived-{name}.pdf")) {
            assert!(text.contains("diarsipkan"), "{name}: the report says its raw data is archived");
        }
        // the workbook's sheets that read raw rows say so on their first line
        let xlsx = app.get_as(&admin, &format!("/dasbor/unit/disdukcapil/laporan.xlsx?period={month}"));
        assert_eq!(xlsx.status, 200, "{name}");
        let mut book: calamine::Xlsx<_> =
            calamine::Reader::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("xlsx opens");
        for sheet in ["Profil responden", "Saran"] {
            let cells = calamine::Reader::worksheet_range(&mut book, sheet).expect("sheet");
            let first = cells.get_value((0, 0)).map(ToString::to_string).unwrap_or_default();
            assert!(first.contains("sudah diarsipkan"), "{name}: {sheet} begins with the notice: {first}");
        }
        // the restore: every row as it was, the notice gone
        let (ok, stdout, stderr) = run(dir.path(), &database, &["archive", "restore", &out_text]);
        assert!(ok, "{name}: {stdout} {stderr}");
        assert!(stdout.contains(&format!("restored {to_archive} responses")), "{name}: {stdout}");
        let restored = dump(&app);
        let differ: Vec<_> = restored.iter().filter(|line| !before_archive.contains(line)).take(5).collect();
        assert!(restored == before_archive, "{name}: the database is as before the archive; new: {differ:?}");
        assert!(!app.get_as(&admin, &page_path).body.contains("sudah diarsipkan"), "{name}");
        if partitioned {
            let months = skm::db::partitions::months(&mut app.conn()).expect("partitions");
            assert!(months.contains(&oldest) && months.contains(&month), "restored into their own months: {months:?}");
            assert_eq!(count(&app.pool, "SELECT COUNT(*) AS n FROM responses_default"), 0);
        }

        // a second restore would duplicate: refused, nothing written
        let (ok, _, stderr) = run(dir.path(), &database, &["archive", "restore", &out_text]);
        assert!(!ok && stderr.contains("already in the database"), "{name}: {stderr}");
        assert!(dump(&app) == before_archive, "{name}: the refused restore wrote nothing");
        let (ok, _, stderr) = run(dir.path(), &database, &["archive", "restore", "/nonexistent/arsip.jsonl.gz"]);
        assert!(!ok && stderr.contains("cannot read"), "{name}: {stderr}");

        // archived again, then the totals rebuilt: the archived months keep theirs, the only
        // record of them left in the database
        let again = dir.path().join("arsip-2.jsonl.gz").display().to_string();
        let (ok, stdout, stderr) = run(dir.path(), &database, &["archive", "--before", &before, "--out", &again]);
        assert!(ok, "{name}: a restored archive can be archived again: {stdout} {stderr}");
        let (ok, _, stderr) = run(dir.path(), &database, &["rebuild-totals"]);
        assert!(ok, "{name}: {stderr}");
        let archived_totals = |dump: &[String]| -> Vec<String> {
            of_tables(dump, &totals[..2])
                .into_iter()
                .filter(|line| {
                    let row: Value = serde_json::from_str(line).expect("json");
                    row["r"]["survey_date"].as_str().is_some_and(|day| day < cutoff.to_string().as_str())
                })
                .collect()
        };
        let (kept_totals, old_totals) = (archived_totals(&dump(&app)), archived_totals(&before_archive));
        assert!(!old_totals.is_empty() && kept_totals == old_totals, "{name}: archived months' totals kept");

        // the first file's responses are away again, but under the second file: the first one
        // is refused (its rows would count in no total), and nothing is written
        let before_refusal = dump(&app);
        let (ok, _, stderr) = run(dir.path(), &database, &["archive", "restore", &out_text]);
        assert!(!ok && stderr.contains("has not recorded arsip.jsonl.gz as archived"), "{name}: {stderr}");
        assert!(dump(&app) == before_refusal, "{name}: the refused restore wrote nothing");
    }
}

#[test]
fn ctrl_c_during_an_archive_leaves_every_response_and_no_file() {
    for database in backends() {
        let name = database.name;
        let dir = tempfile::tempdir().expect("tmp");
        let pool = database.pool();
        common::seed_demo(&mut pool.get().expect("connection"), 3000, 5);
        let cutoff = months_ago(3);
        let sql = format!("SELECT COUNT(*) AS n FROM responses WHERE survey_date < '{}'", cutoff.format("%Y-%m-%d"));
        let responses = count(&pool, &sql);
        let out = dir.path().join("arsip.jsonl.gz");
        let (before, out) = (cutoff.format("%Y-%m").to_string(), out.display().to_string());
        let args = ["archive", "--before", before.as_str(), "--out", out.as_str()];
        let (code, seen) = crate::progress::interrupt(dir.path(), &database.url, &args, "archive", "INT");
        assert_eq!(code, Some(130), "{name}: {seen}");
        assert!(seen.contains("interrupted: ") && seen.contains("no response was deleted"), "{name}: {seen}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert!(left.is_empty(), "{name}: no archive and no partial file is left: {left:?}");
        assert_eq!(count(&pool, &sql), responses, "{name}: every response is still there");
        assert_eq!(count(&pool, "SELECT COUNT(*) AS n FROM archived_months"), 0, "{name}: no month is recorded");
    }
}
