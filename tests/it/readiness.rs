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
