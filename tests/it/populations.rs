//! Populations from the service systems: the monthly CSV on `/admin` and with `skm unit
//! population --csv` (all rows or none, every bad cell named), and the dashboards' notice for a
//! unit without a population for the period shown, with the way to fix it.

use crate::common;

use common::{assert_indonesian, backends, hidden, seed_unit_and_user, skm, TestApp, TestDb, PASSWORD};
use skm::db::units;
use skm::domain::names::Role;

const ADMIN: &str = "admin@kutaitimurkab.go.id";
const HEAD: &str = "kepala@beta.go.id";
const NOTICE: &str = "Populasi periode ini belum diisi — sampel minimum tidak dapat dihitung";

fn population(app: &TestApp, slug: &str, period: &str) -> Option<i64> {
    let mut conn = app.conn();
    let unit = units::by_slug(&mut conn, slug).expect("unit");
    units::population(&mut conn, unit.id, period).expect("population")
}

fn upload(app: &TestApp, cookie: &str, csv: &str) -> common::Reply {
    let csrf = hidden(&app.get_as(cookie, "/admin").body, "csrf");
    app.post_file_as(cookie, "/admin/populasi/impor", &[("csrf", &csrf)], "populasi.csv", csv.as_bytes())
}

#[test]
fn a_bad_cell_anywhere_leaves_every_population_unrecorded_and_the_page_names_it() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "alpha", ADMIN, Role::Admin);
        seed_unit_and_user(&app, "beta", HEAD, Role::UnitHead);
        let cookie = app.login(ADMIN, PASSWORD).expect("admin");
        let bad = "\u{feff}unit_layanan;bulan;jumlah\r\nalpha;2026-10;4.120\r\nbeta;Oktober 2026;950\r\n\
                   gamma;10/2026;12\r\nbeta;2026-11;banyak\r\n";
        let reply = upload(&app, &cookie, bad);
        assert_eq!(reply.status, 422, "{}: {}", database.name, reply.body);
        assert!(reply.body.contains("Tidak ada populasi yang disimpan"), "{}", reply.body);
        assert!(
            reply.body.contains("<td>5</td><td>jumlah</td><td>&#39;banyak&#39; bukan bilangan bulat"),
            "{}",
            reply.body
        );
        assert_eq!(population(&app, "alpha", "2026-10"), None, "{}: the good rows are not saved either", database.name);
        assert_indonesian(&reply.body, "the refused import");
        // the units are checked once every cell reads
        let unknown = upload(&app, &cookie, "unit;bulan;jumlah\nalpha;2026-10;4120\ngamma;2026-10;12\n");
        assert_eq!(unknown.status, 422);
        assert!(
            unknown.body.contains("<td>3</td><td>unit</td><td>Tidak ada unit dengan slug &#39;gamma&#39;</td>"),
            "{}",
            unknown.body
        );
        assert_eq!(population(&app, "alpha", "2026-10"), None);
        // a unit's name where its slug belongs: the page says which slug
        let named = upload(&app, &cookie, "unit;bulan;jumlah\nUnit Beta;2026-10;12\n");
        assert_eq!(named.status, 422);
        assert!(
            named
                .body
                .contains("<td>2</td><td>unit</td><td>&#39;unit beta&#39; adalah nama unit; tulis slug-nya: beta</td>"),
            "{}",
            named.body
        );

        let good = "unit,period,count\nalpha,2026-10,4120\nbeta,October 2026,950\n";
        let reply = upload(&app, &cookie, good);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.contains("Populasi diimpor: 2 baru, 0 diubah, 0 tetap."), "{}", reply.body);
        assert_eq!(
            (population(&app, "alpha", "2026-10"), population(&app, "beta", "2026-10")),
            (Some(4120), Some(950))
        );
        let again = upload(&app, &cookie, good);
        assert!(again.body.contains("Populasi diimpor: 0 baru, 0 diubah, 2 tetap."), "{}", again.body);
        assert_eq!(common::audited(&app, "unit.population_import").len(), 1, "the second import changed nothing");

        let empty = app.post_file_as(
            &cookie,
            "/admin/populasi/impor",
            &[("csrf", &hidden(&app.get_as(&cookie, "/admin").body, "csrf"))],
            "",
            b"",
        );
        assert_eq!(empty.status, 422);
        assert!(empty.body.contains("Pilih berkas CSV lebih dulu."));
    }
}

#[test]
fn the_example_file_lists_every_active_unit_and_reads_back() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "alpha", ADMIN, Role::Admin);
    seed_unit_and_user(&app, "beta", HEAD, Role::UnitHead);
    let cookie = app.login(ADMIN, PASSWORD).expect("admin");
    assert!(app.get_as(&cookie, "/admin").body.contains("href=\"/admin/populasi/contoh.csv\""));
    let reply = app.get_as(&cookie, "/admin/populasi/contoh.csv");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = reply.body.lines().collect();
    assert_eq!(lines[0], "unit;nama;bulan;jumlah");
    assert!(lines[1].starts_with("alpha;Unit alpha;") && lines[2].starts_with("beta;Unit beta;"), "{lines:?}");
    let filled = reply.body.replace(";\r\n", ";7\r\n");
    let reply = upload(&app, &cookie, &filled);
    assert!(reply.body.contains("Populasi diimpor: 2 baru"), "{}", reply.body);
    let head = app.login(HEAD, PASSWORD).expect("head");
    assert_eq!(app.get_as(&head, "/admin/populasi/contoh.csv").status, 404, "admins only");
}

#[test]
fn the_dashboards_flag_a_unit_without_a_population_and_point_to_the_fix() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "alpha", ADMIN, Role::Admin);
        seed_unit_and_user(&app, "beta", HEAD, Role::UnitHead);
        {
            let mut conn = app.conn();
            let alpha =
                skm::units::Population { unit: "alpha".into(), period: "2026-10".parse().expect("p"), count: 400 };
            skm::units::set_population(&mut conn, None, alpha).expect("alpha's population");
        }
        let admin = app.login(ADMIN, PASSWORD).expect("admin");
        let beta = app.get_as(&admin, "/dasbor/unit/beta?period=2026-10").body;
        assert!(beta.contains(NOTICE), "{}: {beta}", database.name);
        assert!(beta.contains("href=\"/admin?populasi=beta#h-populasi\""), "the admin's link to the fix");
        let alpha = app.get_as(&admin, "/dasbor/unit/alpha?period=2026-10").body;
        assert!(!alpha.contains(NOTICE), "alpha has its population");

        let regency = app.get_as(&admin, "/dasbor?period=2026-10").body;
        assert!(regency.contains("1 unit belum punya populasi periode ini"), "{regency}");
        assert!(regency.contains("<a href=\"/admin?populasi=beta#h-populasi\">Unit beta</a>"), "{regency}");
        assert!(!regency.contains("/admin?populasi=alpha"));
        assert_indonesian(&regency, "the regency dashboard");
        // the link opens the population form with the unit chosen
        let form = app.get_as(&admin, "/admin?populasi=beta").body;
        assert!(form.contains("<option value=\"beta\" selected>Unit beta</option>"), "preselected");

        // a unit head cannot enter it: told who can
        let head = app.login(HEAD, PASSWORD).expect("head");
        let own = app.get_as(&head, "/dasbor/unit/beta?period=2026-10").body;
        assert!(own.contains(NOTICE) && own.contains("Minta admin (Bagian Organisasi) mengisinya."), "{own}");
        assert!(!own.contains("/admin?populasi="), "no link a unit head cannot use");
        let theirs = app.get_as(&head, "/dasbor?period=2026-10").body;
        assert!(theirs.contains("1 unit belum punya populasi") && theirs.contains("Minta admin"), "{theirs}");
    }
}

#[test]
fn the_command_line_imports_a_population_csv_in_either_language() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| skm(dir.path()).args(args).output().expect("run");
    assert!(run(&["unit", "add", "--slug", "dinkes", "--name", "Dinas Kesehatan"]).status.success());
    let file = dir.path().join("populasi.csv");
    std::fs::write(&file, "unit;bulan;jumlah\ndinkes;2026-10;1200\ndinkes;2026-Q3;5\n").expect("write");
    let path = file.to_str().expect("path");
    let refused = run(&["unit", "population", "--csv", path]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("baris 3, kolom bulan: '2026-Q3' bukan bulan"), "{said}");
    // a terminal has no "Impor populasi" section to look in: the cells follow
    assert!(said.contains("Tidak ada populasi yang disimpan: perbaiki sel berikut lalu jalankan lagi."), "{said}");
    let english =
        String::from_utf8_lossy(&run(&["unit", "population", "--csv", path, "--lang", "en"]).stderr).into_owned();
    assert!(english.contains("row 3, column bulan: '2026-Q3' is not a month"), "{english}");

    std::fs::write(&file, "unit;bulan;jumlah\ndinkes;2026-10;1200\ndinkes;2026;14000\n").expect("write");
    let done = run(&["unit", "population", "--csv", path]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(String::from_utf8_lossy(&done.stdout).contains("Populasi diimpor: 2 baru, 0 diubah, 0 tetap."));
    let again = run(&["unit", "population", "--csv", path, "--lang", "en"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 new, 0 changed, 2 unchanged"));
    // the single-value form still works
    let one = run(&["unit", "population", "--unit", "dinkes", "--period", "2026-11", "--count", "900"]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    assert!(!run(&["unit", "population", "--unit", "dinkes"]).status.success(), "period and count are required");
}

/// The unit dashboard's notice and the regency's list at a phone's width: screenshots in
/// target/screenshots for a person to look at.
#[test]
fn the_missing_population_notice_fits_a_phone() {
    if !common::tool_available("chromium") || !common::tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "alpha", ADMIN, Role::Admin);
    seed_unit_and_user(&app, "beta", HEAD, Role::UnitHead);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let browser = common::webdriver::Browser::start(360, 740);
    browser.sign_in(&app.url("/masuk"), ADMIN, PASSWORD);
    for (path, name) in [("/dasbor/unit/beta?period=2026-10", "unit"), ("/dasbor?period=2026-10", "regency")] {
        browser.open(&app.url(path));
        browser.wait_for_text("belum");
        let scroll = browser.script("return document.documentElement.scrollWidth;", vec![]);
        assert!(scroll.as_u64().is_some_and(|w| w <= 360), "no sideways scrolling on {path}: {scroll}");
        browser.screenshot_viewport(&dir.join(format!("population-missing-{name}-360.png")));
    }
    // a refused import: the page again, its bad cells listed under the form
    let csv = dir.join("populasi-salah.csv");
    std::fs::write(&csv, "unit;bulan;jumlah\nalpha;2026-10;4120\nbeta;2026-13;x\n").expect("csv");
    browser.open(&app.url("/admin#h-populasi"));
    browser.click("details#populasi-impor summary");
    browser.type_into("#pi-file", csv.to_str().expect("path"));
    browser.click("details#populasi-impor button");
    browser.wait_for_text("Tidak ada populasi yang disimpan");
    browser.script("document.querySelector('details#populasi-impor').scrollIntoView();", vec![]);
    let scroll = browser.script("return document.documentElement.scrollWidth;", vec![]);
    assert!(scroll.as_u64().is_some_and(|w| w <= 360), "no sideways scrolling on /admin: {scroll}");
    browser.screenshot_viewport(&dir.join("population-import-refused-360.png"));
}
