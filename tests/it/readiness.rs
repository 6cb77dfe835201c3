//! "Persiapan SKM" on `/admin` (issue 22 point 5): each gap a regency still has is a line that
//! links to where it is fixed, and the line goes once it is fixed; the test e-mail button.

use crate::common;

use common::smtp::SmtpSink;
use common::{backends, hidden, seed_unit_and_user, TestApp, PASSWORD};
use skm::config::SmtpSecurity;
use skm::domain::names::Role;

const ADMIN: &str = "admin@kutaitimurkab.go.id";

/// The checklist's lines, by their stable names (`persiapan-no_head`, …).
fn lines(page: &str) -> Vec<String> {
    page.split("id=\"persiapan-").skip(1).filter_map(|rest| rest.split('"').next()).map(String::from).collect()
}

#[test]
fn each_gap_is_a_line_that_links_to_its_fix_and_goes_once_it_is_fixed() {
    let sink = SmtpSink::start();
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| {
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = sink.port;
            c.mail.smtp_security = SmtpSecurity::None;
        });
        let unit_id = seed_unit_and_user(&app, "disdukcapil", ADMIN, Role::Admin);
        let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
        let page = app.get_as(&cookie, "/admin").body;
        let found = lines(&page);
        for expected in ["no_head", "no_population", "base_url", "mail_untested", "nothing_published"] {
            assert!(found.iter().any(|l| l == expected), "{}: {expected} in {found:?}", database.name);
        }
        assert!(!found.iter().any(|l| l == "no_services"), "{}: the unit has services", database.name);
        assert!(page.contains("Persiapan SKM"), "{}", database.name);

        // a unit's link opens the add form with the unit chosen (and the role, for a head)
        let link = "/admin?isi=kepala&#38;unit=disdukcapil#tambah-pengguna";
        assert!(page.contains(link), "{}: the no-head line links to the user form", database.name);
        let opened = app.get_as(&cookie, &link.replace("&#38;", "&")).body;
        assert!(opened.contains("id=\"tambah-pengguna\" open"), "{}", database.name);
        assert!(opened.contains("<option value=\"disdukcapil\" selected>"), "{}", database.name);
        assert!(opened.contains("<option value=\"unit_head\" selected>"), "{}", database.name);

        // the fixes, through the forms (the head and the publication through the database)
        let csrf = hidden(&page, "csrf");
        // the population form opens on the running month
        let population = app.get_as(&cookie, "/admin?isi=populasi&unit=disdukcapil").body;
        let marker = "id=\"p-period\" name=\"period\" value=\"";
        let at = population.find(marker).map(|i| i + marker.len()).expect("the period field");
        let current = population[at..].split('"').next().unwrap_or_default().to_string();
        assert_eq!(current.len(), 7, "{}: a month like 2026-12: {current}", database.name);
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let saved = app.post_form_as(
            &cookie,
            "/admin/population",
            &form(&[("csrf", &csrf), ("unit", "disdukcapil"), ("period", &current), ("count", "1200")]),
        );
        assert_eq!(saved.status, 303, "{}: {}", database.name, saved.body);
        {
            use skm::db::users;
            let hash = skm::password::hash(PASSWORD).expect("hash");
            let new = users::NewUser {
                email: "kadis@kutaitimurkab.go.id",
                name: "Kepala Dinas",
                password_hash: &hash,
                role: Role::UnitHead,
                unit_ids: &[unit_id],
            };
            users::create(&mut app.conn(), &new).expect("a head");
            skm::db::publications::publish(&mut app.conn(), unit_id, &current, false, None).expect("published");
        }
        let sent = app.post_form_as(&cookie, "/admin/mail-test", &form(&[("csrf", &csrf), ("to", ADMIN)]));
        assert_eq!(sent.status, 200, "{}", database.name);
        assert!(sent.body.contains(&format!("E-mail uji terkirim ke {ADMIN}")), "{}: {}", database.name, sent.body);
        assert!(
            sink.messages().iter().any(|m| m.to.iter().any(|t| t == ADMIN)),
            "{}: the test e-mail arrived",
            database.name
        );

        let left = lines(&app.get_as(&cookie, "/admin").body);
        for fixed in ["no_head", "no_population", "mail_untested", "nothing_published"] {
            assert!(!left.iter().any(|l| l == fixed), "{}: {fixed} is fixed: {left:?}", database.name);
        }
        assert!(left.iter().any(|l| l == "base_url"), "{}: base_url is still this machine's", database.name);
        app.stop();
    }
}

#[test]
fn a_test_e_mail_to_a_bad_address_or_a_closed_server_says_why_on_the_page() {
    let closed =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn_with(&database, |c| {
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = closed;
        c.mail.smtp_security = SmtpSecurity::None;
        c.base_url = "https://skm.kutaitimurkab.go.id".into();
    });
    seed_unit_and_user(&app, "disdukcapil", ADMIN, Role::Admin);
    let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
    let page = app.get_as(&cookie, "/admin").body;
    assert!(!lines(&page).iter().any(|l| l == "base_url"), "a public base_url is not a gap");
    let csrf = hidden(&page, "csrf");
    let post = |to: &str| {
        app.post_form_as(&cookie, "/admin/mail-test", &[("csrf".into(), csrf.clone()), ("to".into(), to.into())])
    };
    let bad = post("bukan-alamat");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("E-mail uji tidak terkirim"), "{}", bad.body);
    let refused = post(ADMIN);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("E-mail uji tidak terkirim"), "{}", refused.body);
    assert!(lines(&refused.body).iter().any(|l| l == "mail_untested"), "a failed test does not count");
    app.stop();
}

/// `/sandi/atur?token=…` in a command's output: the token.
fn token_in(text: &str) -> String {
    let start = text.find("/sandi/atur?token=").unwrap_or_else(|| panic!("no link in: {text}")) + 18;
    text[start..].split(|c: char| !c.is_ascii_hexdigit()).next().unwrap_or_default().to_string()
}

/// The regency's first workbook, as an admin fills the export of a fresh `skm init`: the regency
/// row kept, two OPDs with their services, and one unit head (Dinas Kesehatan has none yet).
fn first_workbook(regency: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let mut sheet = |name: &str, rows: &[&[&str]]| {
        let ws = book.add_worksheet().set_name(name).expect("sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *value).expect("cell");
            }
        }
    };
    sheet(
        "Unit",
        &[
            &["slug", "nama", "jenis", "induk", "kuesioner"],
            &[regency, "Kabupaten Kutai Timur", "regency", "", "permenpanrb-14-2017"],
            &["disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "opd", regency, "permenpanrb-14-2017"],
            &["dinkes", "Dinas Kesehatan", "opd", regency, "permenpanrb-14-2017"],
        ],
    );
    sheet(
        "Layanan",
        &[
            &["unit", "slug", "nama"],
            &["disdukcapil", "ktp-el", "Perekaman KTP-el"],
            &["disdukcapil", "akta-lahir", "Akta Kelahiran"],
            &["dinkes", "izin-praktik", "Surat Izin Praktik Tenaga Kesehatan"],
        ],
    );
    sheet(
        "Pengguna",
        &[
            &["email", "nama", "peran", "unit"],
            &["kadis.capil@kutaitimurkab.go.id", "Kepala Disdukcapil", "unit_head", "disdukcapil"],
        ],
    );
    sheet("Populasi", &[&["unit", "periode", "jumlah"]]);
    book.save_to_buffer().expect("xlsx")
}

#[test]
fn a_new_regency_walks_the_checklist_from_skm_init_to_ready_in_a_browser() {
    if !common::tool_available("chromium") || !common::tool_available("chromedriver") {
        return;
    }
    const PUBLIC: &str = "https://skm.kutaitimurkab.go.id";
    let sink = SmtpSink::start();
    let database = common::TestDb::sqlite();
    let dir = tempfile::tempdir().expect("tmp");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    // the first command of a real deployment
    let init = common::skm(dir.path())
        .env("SKM_DATABASE_URL", &database.url)
        .env("SKM_BASE_URL", PUBLIC)
        .args(["init", "--regency", "Kabupaten Kutai Timur", "--admin-email", ADMIN])
        .output()
        .expect("skm init");
    let printed = String::from_utf8_lossy(&init.stdout).into_owned();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    assert!(printed.contains(&format!("{PUBLIC}/sandi/atur?token=")), "the link names the public address: {printed}");
    let token = token_in(&printed);
    let regency = skm::db::units::list(&mut database.pool().get().expect("conn")).expect("units")[0].slug.clone();

    let app = TestApp::spawn_with(&database, |c| {
        c.base_url = PUBLIC.into();
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = sink.port;
        c.mail.smtp_security = SmtpSecurity::None;
    });
    let browser = common::webdriver::Browser::start(1366, 900);
    let checklist = || -> Vec<String> { lines(&browser.source()) };

    // the admin opens the printed link (on this test's own address), chooses a password, signs in
    browser.open(&app.url(&format!("/sandi/atur?token={token}")));
    browser.wait_for_text("Selamat datang");
    browser.type_into("#f-new", "sandi-bagian-organisasi");
    browser.type_into("#f-repeat", "sandi-bagian-organisasi");
    browser.click("form button[type=submit]");
    browser.wait_for_text("Kata sandi Anda tersimpan");
    browser.sign_in(&app.url("/masuk"), ADMIN, "sandi-bagian-organisasi");
    browser.open(&app.url("/admin"));
    browser.wait_for_text("Persiapan SKM");
    browser.screenshot_viewport(&shots.join("persiapan-1-init.png"));
    assert_eq!(checklist(), ["mail_untested", "nothing_published"], "a regency alone, before any unit");

    // the workbook: units, services and a head at once; the head's invitation is mailed
    let workbook = dir.path().join("kabupaten.xlsx");
    std::fs::write(&workbook, first_workbook(&regency)).expect("workbook");
    browser.type_into("#sw-file", &workbook.to_string_lossy());
    browser.click("form[action='/admin/buku-kerja/pratinjau'] button[type=submit]");
    browser.wait_for_text("Terapkan perubahan");
    browser.click("form[action='/admin/buku-kerja/terapkan'] button[type=submit]");
    browser.wait_for_text("Buku kerja diterapkan");
    assert!(
        sink.messages().iter().any(|m| m.to.iter().any(|t| t == "kadis.capil@kutaitimurkab.go.id")),
        "the unit head's invitation was mailed"
    );
    browser.screenshot_viewport(&shots.join("persiapan-2-workbook.png"));
    assert_eq!(checklist(), ["no_head", "no_population", "no_poster", "mail_untested", "nothing_published"]);

    // each unit's link opens its form with the unit (and the role, the month) already chosen
    let follow = |line: &str, unit: &str| {
        let href = browser.script(
            "return document.querySelector('#persiapan-' + arguments[0] + ' a[href*=\"unit=' + arguments[1] + '\"]').getAttribute('href');",
            vec![line.into(), unit.into()],
        );
        browser.open(&app.url(href.as_str().expect("a link for the unit")));
    };
    follow("no_head", "dinkes");
    browser.type_into("#n-email", "kadis.kesehatan@kutaitimurkab.go.id");
    browser.type_into("#n-name", "Kepala Dinas Kesehatan");
    browser.screenshot_viewport(&shots.join("persiapan-3-head-form.png"));
    browser.click("form[action='/admin/user'] button[type=submit]");
    browser.wait_for_text("Undangan dikirim");
    for unit in ["disdukcapil", "dinkes"] {
        follow("no_population", unit);
        browser.type_into("#p-count", "1500");
        browser.click("form[action='/admin/population'] button[type=submit]");
        browser.wait_for_url("ok=1");
    }
    assert_eq!(checklist(), ["no_poster", "mail_untested", "nothing_published"]);

    // the posters (a download, fetched as the browser would), the test e-mail, a publication
    let fetched = browser.script_async(
        "const done = arguments[arguments.length - 1];\
         fetch('/admin/poster-semua.pdf').then(r => r.arrayBuffer().then(b => done([r.status, b.byteLength])));",
    );
    assert_eq!(fetched[0], 200, "{fetched}");
    browser.open(&app.url("/admin"));
    browser.click("#persiapan-mail_untested a.fix");
    browser.click("#uji-email button[type=submit]");
    browser.wait_for_text("E-mail uji terkirim");
    let form = app.get("/s/disdukcapil").1;
    let answered = app.post_form("/s/disdukcapil", &common::filled(&common::token_of(&form)));
    assert_eq!(answered.status, 303, "a citizen's answer: {}", answered.body);
    let month = browser.script("return document.querySelector('#p-period').value;", vec![]);
    browser.click("#persiapan-nothing_published a.fix");
    browser.script(
        "document.querySelector('#pb-unit').value = 'disdukcapil'; document.querySelector('#pb-period').value = arguments[0];",
        vec![month],
    );
    browser.click("#publikasikan button[type=submit]");
    browser.wait_for_url("ok=1");
    let page = browser.source();
    let said = page.split("role=\"alert\">").nth(1).and_then(|m| m.split('<').next()).unwrap_or_default().to_string();
    assert_eq!(checklist(), Vec::<String>::new(), "every gap fixed; the page said: {said}");
    assert!(browser.source().contains("Semua persiapan selesai"));
    browser.script("document.querySelector('#h-persiapan').scrollIntoView();", vec![]);
    browser.screenshot_viewport(&shots.join("persiapan-4-ready.png"));
    app.stop();
}
