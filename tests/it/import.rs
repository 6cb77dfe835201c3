//! Importing files of responses, forgivingly and safely (issue 17, points 5 and 7): `,` or `;`,
//! headers in any case, profile answers by label, day-first dates, an empty file refused, the
//! same file a second time only after a question naming the first import, and every problem in
//! the page's language. Through the operator's upload page and through `skm import`.

use crate::common;

use chrono::TimeZone;
use common::webdriver::Browser;
use common::{backends, hidden, seed_unit_and_user, skm, tool_available, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::db::schema::{import_batches, responses};
use skm::domain::names::Role;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const IMPORT: &str = "/operator/disdukcapil/impor";

fn count(conn: &mut skm::db::DbConnection) -> i64 {
    responses::table.count().get_result(conn).expect("count")
}

/// A signed-in operator of `disdukcapil` (services `ktp-el` and `akta-lahir`): cookie and CSRF.
fn operator(app: &TestApp) -> (String, String) {
    seed_unit_and_user(app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
    let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
    let csrf = hidden(&app.get_as(&cookie, IMPORT).body, "csrf");
    (cookie, csrf)
}

/// What Excel saves on an Indonesian Windows, typed as people type: `;`, lowercase headers,
/// labels instead of codes, day-first dates, CRLF line ends.
const EXCEL_CSV: &str = "u1;u2;u3;u4;u5;u6;u7;u8;u9;layanan;tanggal;jenis_kelamin;pendidikan;pekerjaan;usia\r\n\
    4;4;3;4;4;4;4;4;4;ktp-el;31/10/2026;Laki-laki;SMA;Wirausaha;34\r\n\
    3;3;3;3;3;3;3;3;3;akta-lahir;01/10/2026;Perempuan;D4/S1;Pelajar/Mahasiswa;\r\n";

/// The local date and time of the stored import of the file, as the question must name it.
fn stored_import_time(conn: &mut skm::db::DbConnection) -> String {
    let at: chrono::NaiveDateTime =
        import_batches::table.select(import_batches::imported_at).first(conn).expect("an import batch");
    let local = chrono_tz::Asia::Makassar.from_utc_datetime(&at);
    format!("{} pukul {} WITA", skm::domain::period::date_id(local.date_naive()), local.format("%H.%M"))
}

#[test]
fn a_semicolon_file_with_lowercase_headers_labels_and_day_first_dates_imports() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = operator(&app);
        let reply = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "excel.csv", EXCEL_CSV.as_bytes());
        assert_eq!(reply.status, 200, "{}: {}", database.name, reply.body);
        assert!(reply.body.contains("2 jawaban berhasil diimpor."), "{}", reply.body);
        type Stored = (String, Option<String>, Option<String>, Option<String>, Option<i32>);
        let stored: Vec<Stored> = responses::table
            .order(responses::survey_date.desc())
            .select((
                responses::survey_date,
                responses::gender,
                responses::education,
                responses::occupation,
                responses::age,
            ))
            .load(&mut app.conn())
            .expect("rows");
        assert_eq!(
            stored,
            [
                ("2026-10-31".into(), Some("L".into()), Some("SMA".into()), Some("WIRAUSAHA".into()), Some(34)),
                ("2026-10-01".into(), Some("P".into()), Some("D4-S1".into()), Some("PELAJAR".into()), None),
            ],
            "{}",
            database.name
        );
    }
}

#[test]
fn an_xlsx_with_labels_and_date_cells_imports() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = operator(&app);
        let reply = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "jawaban.xlsx", &labelled_workbook("KTP-EL"));
        assert_eq!(reply.status, 200, "{}: {}", database.name, reply.body);
        assert!(reply.body.contains("2 jawaban berhasil diimpor."), "{}", reply.body);
        let stored: Vec<(String, Option<String>, Option<String>)> = responses::table
            .order(responses::survey_date)
            .select((responses::survey_date, responses::gender, responses::occupation))
            .load(&mut app.conn())
            .expect("rows");
        assert_eq!(
            stored,
            [
                ("2026-10-30".into(), Some("P".into()), Some("SWASTA".into())),
                ("2026-10-31".into(), Some("L".into()), Some("PNS".into())),
            ],
            "{}",
            database.name
        );
    }
}

/// A workbook as an office fills it in: a label header ("Jenis kelamin"), labels in the cells,
/// one date typed as text and one a real date cell, the service as `service`.
fn labelled_workbook(service: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header =
        ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9", "Layanan", "Tanggal", "Jenis kelamin", "Pekerjaan"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("cell");
    }
    for r in 1..=2u32 {
        for c in 0..9u16 {
            sheet.write_number(r, c, 3.0 + f64::from(r % 2)).expect("cell");
        }
        sheet.write_string(r, 9, service).expect("cell");
    }
    sheet.write_string(1, 10, "31/10/2026").expect("cell");
    let day_first = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 10, 30).expect("date");
    sheet.write_datetime_with_format(2, 10, &date, &day_first).expect("cell");
    sheet.write_string(1, 11, "laki-laki").expect("cell");
    sheet.write_string(2, 11, "PEREMPUAN").expect("cell");
    sheet.write_string(1, 12, "PNS").expect("cell");
    sheet.write_string(2, 12, "Swasta").expect("cell");
    book.save_to_buffer().expect("xlsx")
}

#[test]
fn a_header_only_or_empty_file_is_refused_and_imports_nothing() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = operator(&app);
        for (file, says) in [
            ("U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan\n", "Hanya ada baris judul kolom, tidak ada jawaban"),
            ("U1;U2;U3;U4;U5;U6;U7;U8;U9;layanan\r\n;;;;;;;;;\r\n", "Hanya ada baris judul kolom, tidak ada jawaban"),
            ("", "Berkas kosong"),
        ] {
            let reply = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "kosong.csv", file.as_bytes());
            assert_eq!(reply.status, 422, "{}: {file:?}: {}", database.name, reply.body);
            assert!(reply.body.contains(says), "{file:?}: {}", reply.body);
            assert!(!reply.body.contains("berhasil diimpor"), "{}", reply.body);
        }
        assert_eq!(count(&mut app.conn()), 0, "{}", database.name);
        assert_eq!(import_batches::table.count().get_result::<i64>(&mut app.conn()).expect("batches"), 0);
    }
}

#[test]
fn the_same_file_again_asks_first_naming_the_earlier_import_and_imports_only_when_confirmed() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = operator(&app);
        let file = EXCEL_CSV;
        let upload =
            |fields: &[(&str, &str)]| app.post_file_as(&cookie, IMPORT, fields, "jawaban.csv", file.as_bytes());
        assert_eq!(upload(&[("csrf", &csrf)]).status, 200, "{}", database.name);
        assert_eq!(count(&mut app.conn()), 2);

        let again = upload(&[("csrf", &csrf)]);
        assert_eq!(again.status, 409, "{}: {}", database.name, again.body);
        let when = stored_import_time(&mut app.conn());
        let told = format!("Berkas yang sama sudah diimpor ke unit ini pada {when} oleh Petugas (2 jawaban).");
        assert!(again.body.contains(&told), "{told}\n{}", again.body);
        assert!(!again.body.contains("berhasil diimpor"), "{}", again.body);
        assert_eq!(count(&mut app.conn()), 2, "{}: nothing imported before the confirmation", database.name);
        // the confirmation box carries the file's hash, in a form with the CSRF field
        let hash = skm::survey::sheet_import::content_hash(file.as_bytes());
        assert!(again.body.contains(&format!("name=\"ulang\" value=\"{hash}\" required")), "{}", again.body);
        assert_eq!(hidden(&again.body, "csrf"), csrf);

        // a confirmation for another file, or without the CSRF token, imports nothing
        let other = skm::survey::sheet_import::content_hash(b"another file");
        assert_eq!(upload(&[("csrf", &csrf), ("ulang", &other)]).status, 409);
        assert_eq!(upload(&[("csrf", "forged"), ("ulang", &hash)]).status, 403);
        assert_eq!(count(&mut app.conn()), 2, "{}", database.name);

        let confirmed = upload(&[("csrf", &csrf), ("ulang", &hash)]);
        assert_eq!(confirmed.status, 200, "{}: {}", database.name, confirmed.body);
        assert!(confirmed.body.contains("2 jawaban berhasil diimpor."), "{}", confirmed.body);
        assert_eq!(count(&mut app.conn()), 4);
        assert_eq!(upload(&[("csrf", &csrf)]).status, 409, "a third time asks again");

        // a different file is imported without a question
        let changed = file.replace("31/10/2026", "30/10/2026");
        let reply = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "jawaban.csv", changed.as_bytes());
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(count(&mut app.conn()), 6, "{}", database.name);
    }
}

#[test]
fn the_sample_file_has_example_rows_that_import_once_their_marker_is_removed() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = operator(&app);
        let sample = app.get_as(&cookie, "/operator/disdukcapil/impor/contoh.csv");
        assert_eq!(sample.status, 200);
        let lines: Vec<&str> = sample.body.lines().collect();
        assert_eq!(lines.len(), 3, "a header and two example rows: {}", sample.body);
        assert!(lines[1].contains(";akta-lahir;") && lines[1].contains(";Laki-laki;"), "{}", lines[1]);
        assert!(lines[2].contains(";ktp-el;") && lines[2].contains(";P;"), "{}", lines[2]);

        let as_downloaded = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "contoh.csv", sample.body.as_bytes());
        assert_eq!(as_downloaded.status, 422, "{}: {}", database.name, as_downloaded.body);
        assert!(as_downloaded.body.contains("<td>2</td><td>-</td><td>Ini baris contoh dari berkas contoh"));
        assert!(as_downloaded.body.contains("<td>3</td><td>-</td><td>Ini baris contoh dari berkas contoh"));
        assert_eq!(count(&mut app.conn()), 0);

        let filled_in = sample.body.replace(skm::survey::sheet_import::EXAMPLE_SARAN, "Antrean cepat");
        let reply = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "contoh.csv", filled_in.as_bytes());
        assert_eq!(reply.status, 200, "{}: {}", database.name, reply.body);
        assert_eq!(count(&mut app.conn()), 2);
    }
}

/// The fixed parts of every English import and form message: none may appear on an Indonesian
/// page (parts shared with an Indonesian text, such as "CSV UTF-8", are left out).
fn english_fragments() -> Vec<String> {
    let read = |file: &str| -> HashMap<String, String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/i18n").join(file);
        toml::from_str(&std::fs::read_to_string(path).expect("translations")).expect("toml")
    };
    let (en, id) = (read("en.toml"), read("id.toml"));
    let mut fragments = Vec::new();
    for (key, text) in en.iter().filter(|(k, _)| k.starts_with("import.") || k.starts_with("error.")) {
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (piece, after) = match rest.find('{') {
                Some(open) => (&rest[..open], rest[open..].find('}').map_or("", |close| &rest[open + close + 1..])),
                None => (rest, ""),
            };
            let piece = piece.trim_matches(|c: char| c.is_whitespace() || "'.:;,()".contains(c));
            if piece.chars().count() >= 6
                && !id.values().any(|t| t.contains(piece))
                && key != "import.again.time_format"
            {
                fragments.push(piece.to_string());
            }
            rest = after;
        }
    }
    assert!(fragments.iter().any(|f| f == "is not a score from"), "the fragments are read: {fragments:?}");
    fragments
}

#[test]
fn every_import_problem_on_the_indonesian_page_is_in_indonesian() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = operator(&app);
        let mut broken_xlsx = b"PK\x03\x04".to_vec();
        broken_xlsx.extend([0u8; 64]);
        let files: Vec<(&str, Vec<u8>)> = vec![
            (
                "cells",
                "U1;U2;U3;U4;U5;U6;U7;U8;U9;layanan;tanggal;jenis_kelamin;usia;pendidikan\n\
                 4;4;4;4;4;4;4;4;4;ktp-el;31/10/2026;L;34;SMA\n\
                 4;4;4;4;5;4;4;4;4;paspor;31-13-2026;Pria;tiga;PhD\n\
                 ;;;;;;;;;ktp-el;2999-01-01;;;\n\
                 4;4;4;4\n\
                 4;4;4;4;4;4;4;4;4;;1999-12-31;;;\n"
                    .into(),
            ),
            ("header", b"U1,u1,Ux\n4,4,4\n".to_vec()),
            ("no element", b"layanan,saran\nktp-el,bagus\n".to_vec()),
            ("windows-1252", b"U1,saran\n4,caf\xe9\n".to_vec()),
            ("broken workbook", broken_xlsx),
            ("header only", b"U1,U2\n".to_vec()),
            ("too large", [b"U1\n".as_slice(), &b"4\n".repeat(5 * 1024 * 1024 + 1)].concat()),
        ];
        let fragments = english_fragments();
        let mut pages = Vec::new();
        for (what, bytes) in files {
            let reply = app.post_file_as(&cookie, IMPORT, &[("csrf", &csrf)], "berkas.csv", &bytes);
            assert_eq!(reply.status, 422, "{}: {what}: {}", database.name, reply.body);
            let english: Vec<&String> = fragments.iter().filter(|f| reply.body.contains(f.as_str())).collect();
            assert!(english.is_empty(), "{what}: English on the Indonesian page: {english:?}\n{}", reply.body);
            pages.push(reply.body);
        }
        let all = pages.join("\n");
        for expected in [
            "<td>3</td><td>U5</td><td>&#39;5&#39; bukan nilai 1–4</td>",
            "<td>3</td><td>layanan</td><td>&#39;paspor&#39; bukan layanan unit ini: akta-lahir, ktp-el</td>",
            "<td>3</td><td>tanggal</td><td>&#39;31-13-2026&#39; bukan tanggal seperti 31/10/2026 atau 2026-10-31</td>",
            "<td>3</td><td>jenis_kelamin</td><td>&#39;Pria&#39; bukan salah satu dari L (Laki-laki), P (Perempuan)</td>",
            "<td>3</td><td>usia</td><td>&#39;tiga&#39; bukan bilangan bulat 15–100</td>",
            "<td>4</td><td>-</td><td>Tidak ada unsur yang dijawab</td>",
            "<td>4</td><td>tanggal</td><td>2999-01-01 masih di masa depan</td>",
            "<td>5</td><td>-</td><td>Berisi 4 sel, padahal baris judul 14</td>",
            "<td>6</td><td>layanan</td><td>Wajib diisi dengan layanan unit: akta-lahir, ktp-el</td>",
            "<td>6</td><td>tanggal</td><td>1999-12-31 sebelum tahun 2000</td>",
            "<td>1</td><td>u1</td><td>Kolom ini muncul dua kali</td>",
            "<td>1</td><td>Ux</td><td>Kolom tidak dikenal",
            "Baris judul tidak memuat satu pun unsur kuesioner",
            "Berkas ini bukan CSV (UTF-8) maupun XLSX",
            "Berkas XLSX ini tidak dapat dibaca",
            "Hanya ada baris judul kolom",
            "Berkas lebih besar dari 10 MB; bagi berkasnya",
        ] {
            assert!(all.contains(expected), "{}: missing {expected}\n{all}", database.name);
        }
        assert_eq!(count(&mut app.conn()), 0);
    }
}

#[test]
fn a_paper_score_off_the_scale_says_which_scores_are_allowed() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, _) = operator(&app);
        let page = app.get_as(&cookie, "/operator/disdukcapil/kertas");
        let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("U{i}"), "3".to_string())).collect();
        fields[4].1 = "5".into();
        fields.extend([
            ("csrf".into(), hidden(&page.body, "csrf")),
            ("layanan".into(), "ktp-el".into()),
            ("tanggal".into(), "2026-10-03".into()),
        ]);
        let reply = app.post_form_as(&cookie, "/operator/disdukcapil/kertas", &fields);
        assert_eq!(reply.status, 422, "{}", database.name);
        assert!(reply.body.contains("id=\"e-U5\">Isi nilai 1–4."), "{}", reply.body);
        assert!(!reply.body.contains("Pilihan ini tidak tersedia"), "{}", reply.body);
    }
}

// ---------------------------------------------------------------------------------------------
// skm import
// ---------------------------------------------------------------------------------------------

/// `skm import` against `database`, from `dir`; success, stdout, stderr.
fn skm_import(database: &TestDb, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = skm(dir).env("SKM_DATABASE_URL", &database.url).arg("import").args(args).output().expect("run skm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn skm_import_reads_what_excel_writes_and_asks_before_the_same_file_again() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        common::create_service_unit(&mut conn, "disdukcapil");
        common::create_service_unit(&mut conn, "dinkes");
        let dir = tempfile::tempdir().expect("tmp");
        let path = |name: &str, bytes: &[u8]| write(dir.path(), name, bytes).display().to_string();
        let run = |args: &[&str]| skm_import(&database, dir.path(), args);

        let header_only = path("kosong.csv", b"U1;U2;U3;U4;U5;U6;U7;U8;U9;layanan\r\n");
        let (ok, _, err) = run(&[&header_only, "--unit", "disdukcapil"]);
        assert!(!ok && err.contains("Tidak ada yang diimpor:"), "{}: {err}", database.name);
        assert!(err.contains("kosong.csv: baris 1: hanya ada baris judul kolom, tidak ada jawaban"), "{err}");
        assert_eq!(count(&mut conn), 0);

        let bad = path("salah.csv", b"u1;u2;u3;u4;u5;u6;u7;u8;u9;layanan\n4;4;4;4;5;4;4;4;4;ktp-el\n");
        let (ok, _, err) = run(&[&bad, "--unit", "disdukcapil"]);
        assert!(!ok && err.contains("salah.csv: baris 2, kolom u5: '5' bukan nilai 1–4"), "{err}");
        let (ok, _, err) = run(&[&bad, "--unit", "disdukcapil", "--lang", "en"]);
        assert!(!ok && err.contains("salah.csv: row 2, column u5: '5' is not a score from 1 to 4"), "{err}");

        let excel = path("excel.csv", EXCEL_CSV.as_bytes());
        let (ok, out, err) = run(&[&excel, "--unit", "disdukcapil"]);
        assert!(ok && out.contains("2 jawaban diimpor ke disdukcapil."), "{}: {err}", database.name);
        let genders: Vec<Option<String>> =
            responses::table.order(responses::survey_date).select(responses::gender).load(&mut conn).expect("rows");
        assert_eq!(genders, [Some("P".to_string()), Some("L".to_string())]);

        let (ok, _, err) = run(&[&excel, "--unit", "disdukcapil"]);
        let when = stored_import_time(&mut conn);
        assert!(!ok, "{}: the same file again is refused without --again", database.name);
        assert!(
            err.contains(&format!(
                "Tidak ada yang diimpor. Berkas yang sama sudah diimpor ke unit ini pada {when} oleh perintah skm import (2 jawaban)."
            )) && err.contains("--again"),
            "{err}"
        );
        assert_eq!(count(&mut conn), 2);
        let (ok, out, err) = run(&[&excel, "--unit", "disdukcapil", "--again"]);
        assert!(ok && out.contains("2 jawaban diimpor ke disdukcapil."), "{err}");
        assert_eq!(count(&mut conn), 4);
        // the question is per unit: another unit takes the same file at once
        let (ok, _, err) = run(&[&excel, "--unit", "dinkes", "--lang", "en"]);
        assert!(ok, "{err}");
        assert_eq!(count(&mut conn), 6);

        let xlsx = path("jawaban.xlsx", &labelled_workbook("KTP elektronik"));
        let (ok, out, err) = run(&[&xlsx, "--unit", "disdukcapil", "--lang", "en"]);
        assert!(ok && out.contains("imported 2 responses into disdukcapil"), "{}: {err}", database.name);
        assert_eq!(count(&mut conn), 8);
    }
}

// ---------------------------------------------------------------------------------------------
// What the operator sees
// ---------------------------------------------------------------------------------------------

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

#[test]
fn an_operator_sees_the_problems_and_the_question_before_a_second_import_in_a_browser() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
    let dir = tempfile::tempdir().expect("tmp");
    let bad = write(
        dir.path(),
        "jawaban-salah.csv",
        "U1;U2;U3;U4;U5;U6;U7;U8;U9;layanan;tanggal;jenis_kelamin\n\
         4;4;4;4;4;4;4;4;4;ktp-el;31/10/2026;Laki-laki\n\
         4;4;4;4;5;4;4;4;4;paspor;31/10/2026;Pria\n\
         3;3;3;3;3;3;3;3;3;akta-lahir;32/10/2026;Perempuan\n"
            .as_bytes(),
    );
    let good = write(dir.path(), "jawaban.csv", EXCEL_CSV.as_bytes());

    let browser = Browser::start(412, 915);
    // The login address itself names the import page in `next`, so waiting for the import
    // address alone would pass before the sign-in; `sign_in` waits to leave `/masuk` first.
    browser.sign_in(&app.url(&format!("/masuk?next={IMPORT}")), "op@kutaitimurkab.go.id", PASSWORD);
    browser.wait_for_url(IMPORT);

    browser.type_into("input[type=file]", &bad.display().to_string());
    browser.click("form button[type=submit]:not(.link)");
    browser.wait_for_text("Tidak ada yang diimpor");
    let page = browser.source();
    assert!(page.contains("bukan nilai 1–4") && page.contains("bukan layanan unit ini"), "{page}");
    browser.screenshot(&screenshots_dir().join("import-problems-412.png"));

    let upload_good = || {
        browser.open(&app.url(IMPORT));
        browser.type_into("input[type=file]", &good.display().to_string());
        browser.click("form button[type=submit]:not(.link)");
    };
    upload_good();
    browser.wait_for_text("2 jawaban berhasil diimpor.");
    upload_good();
    browser.wait_for_text("Berkas ini sudah pernah diimpor");
    assert!(browser.source().contains("WITA oleh Petugas (2 jawaban)"), "{}", browser.source());
    browser.screenshot(&screenshots_dir().join("import-again-412.png"));
    assert_eq!(count(&mut app.conn()), 2);

    browser.type_into("input[type=file]", &good.display().to_string());
    browser.click("input[name=ulang]");
    browser.click("form button[type=submit]:not(.link)");
    browser.wait_for_text("2 jawaban berhasil diimpor.");
    assert_eq!(count(&mut app.conn()), 4);
    browser.screenshot(&screenshots_dir().join("import-again-done-412.png"));
}
