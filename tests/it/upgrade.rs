//! Upgrades keep data: a database filled by release 0.1.0 (its schema, its rows: the demo regency
//! dumped by that release, in tests/data/upgrade-0.1.0) is migrated by this binary; every response
//! is still there, exported the same, with the same index as 0.1.0 computed.

use crate::common;

use common::{backends, skm, TestDb};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use std::io::Read;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-0.1.0").join(name)
}

fn dump(backend: &str) -> String {
    let file = std::fs::File::open(fixture(&format!("{backend}.sql.gz"))).expect("fixture");
    let mut sql = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut sql).expect("gunzip");
    sql
}

/// Loads the 0.1.0 dump as that release left it (no migrations of this binary run).
fn load(database: &TestDb) {
    let sql = dump(database.name);
    match database.name {
        "sqlite" => {
            let mut conn = diesel::SqliteConnection::establish(&database.url).expect("open");
            // the dump lists tables alphabetically, children before parents
            conn.batch_execute("PRAGMA foreign_keys = OFF").expect("pragma");
            conn.batch_execute(&sql).expect("load the 0.1.0 dump");
        }
        _ => {
            let mut conn = diesel::PgConnection::establish(&database.url).expect("open");
            conn.batch_execute(&sql).expect("load the 0.1.0 dump");
        }
    }
}

fn run(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = skm(dir).env("SKM_DATABASE_URL", url).args(args).output().expect("run skm");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "skm {args:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn a_database_of_release_0_1_0_migrates_keeping_every_response_and_index() {
    for database in backends() {
        let name = database.name;
        load(&database);
        let dir = tempfile::tempdir().expect("tmp");
        let migrated = run(dir.path(), &database.url, &["migrate"]);
        assert!(migrated.contains("applied migration"), "{name}: a newer schema is applied: {migrated}");
        assert!(run(dir.path(), &database.url, &["migrate"]).contains("up to date"));

        // every response, exported exactly as 0.1.0 exported it
        let csv = dir.path().join("kutim.csv");
        let period = "2025-01-01..2026-12-31";
        run(
            dir.path(),
            &database.url,
            &[
                "report",
                "--unit",
                "kutim",
                "--sub",
                "--period",
                period,
                "--format",
                "csv",
                "--out",
                &csv.display().to_string(),
            ],
        );
        let now = std::fs::read_to_string(&csv).expect("export");
        let then = std::fs::read_to_string(fixture(&format!("{name}-kutim.csv"))).expect("0.1.0 export");
        assert_eq!(now.lines().count(), 195, "{name}: header and 194 responses");
        // since 0.1.0 the file ends each line with CRLF and names its questionnaire in two last
        // columns (issue 18); everything before them is byte for byte what 0.1.0 wrote
        let mut templates = std::collections::BTreeSet::new();
        let without_template: String = now
            .lines()
            .map(|line| {
                let mut cells = line.rsplitn(3, ',');
                let (version, template, rest) = (cells.next(), cells.next(), cells.next().unwrap_or_default());
                templates.insert((template.unwrap_or_default().to_string(), version.unwrap_or_default().to_string()));
                format!("{rest}\n")
            })
            .collect();
        assert!(now.ends_with("\r\n"), "{name}: CRLF line ends");
        assert_eq!(without_template, then, "{name}: the responses differ from what 0.1.0 exported");
        assert_eq!(templates.len(), 2, "{name}: the header and one questionnaire: {templates:?}");
        assert!(templates.contains(&("template".into(), "template_version".into())), "{name}: {templates:?}");

        // the same index, element by element, as 0.1.0 computed (the lowest elements listed in
        // code order, as SPEC §3 asks; 0.1.0 listed disdukcapil's by value: U3, U8, U5)
        for unit in ["kutim", "dinkes", "disdukcapil"] {
            let csv = dir.path().join(format!("{unit}.csv"));
            let out = csv.display().to_string();
            run(
                dir.path(),
                &database.url,
                &["report", "--unit", unit, "--sub", "--period", period, "--format", "csv", "--out", &out],
            );
            let index = run(dir.path(), &database.url, &["compute", "--csv", &out]);
            let then = std::fs::read_to_string(fixture(&format!("{unit}.txt"))).expect("0.1.0 index");
            assert_eq!(index, then, "{name}: {unit}");
        }

        // and the service runs on it
        let pool = database.pool();
        let app = common::TestApp::spawn(&database);
        assert_eq!(app.get("/readyz").0, 200, "{name}");
        assert_eq!(app.get("/s/disdukcapil").0, 200, "{name}");
        drop(pool);
    }
}
