//! Errors as pages (issue 17 point 1): a browser never sees JSON; `/api/` always does. Pages in
//! Bahasa Indonesia carry no English message (checked against the English translation file).

use crate::common::{self, backends, hidden, TestApp};
use skm::demo::DemoAccount;
use skm::domain::names::Role;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn login(app: &TestApp, accounts: &[DemoAccount], role: Role, unit: Option<&str>) -> String {
    let account = accounts.iter().find(|a| a.role == role && a.unit.as_deref() == unit).expect("demo account");
    app.login(&account.email, &account.password).expect("signed in")
}

fn browse(app: &TestApp, cookie: &str, path: &str) -> common::Reply {
    app.get_with(path, &[("cookie", cookie), ("accept", BROWSER)])
}

fn assert_page(reply: &common::Reply, status: u16, expect: &str, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{what}: {content_type}: {}", reply.body);
    assert!(!reply.body.trim_start().starts_with('{'), "{what} answered JSON: {}", reply.body);
    assert!(reply.body.contains(expect), "{what} lacks {expect:?}: {}", reply.body);
    assert!(reply.body.contains("href=\"/\""), "{what}: a way back to the start");
    common::assert_indonesian(&reply.body, what);
}

#[test]
fn a_browser_gets_pages_for_every_error_and_the_api_gets_json() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 300, 3);
        let head = login(&app, &accounts, Role::UnitHead, Some("dinkes"));
        let admin = login(&app, &accounts, Role::Admin, None);
        let name = &database.name;

        // `/` leads somewhere useful instead of a 404
        let root = app.get_with("/", &[("accept", BROWSER)]);
        assert_eq!((root.status, root.header("location")), (303, Some("/publik")), "{name}");
        let root = browse(&app, &head, "/");
        assert_eq!((root.status, root.header("location")), (303, Some("/dasbor")), "{name}");

        assert_page(&browse(&app, "", "/tidak-ada"), 404, "Halaman tidak ditemukan", "an unknown path");
        assert_page(&browse(&app, &head, "/dasbor/unit/nope"), 404, "Halaman tidak ditemukan", "an unknown unit");
        assert_page(
            &browse(&app, &head, "/dasbor/unit/disdukcapil"),
            404,
            "Halaman tidak ditemukan",
            "another unit's page",
        );
        assert_page(
            &browse(&app, &admin, "/dasbor/unit/disdukcapil/laporan.pdf?period=kemarin"),
            400,
            "Periksa isian: Periode.",
            "a report for a mistyped period",
        );

        // a failing HTML form post: a page naming the field, in Indonesian
        let csrf = hidden(&browse(&app, &head, "/dasbor").body, "csrf");
        let bad_due: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("element", "U3"),
            ("period", "2026-10"),
            ("action", "Tambah loket"),
            ("owner", "Kasubag"),
            ("due", "besok"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let pairs: Vec<(&str, &str)> = bad_due.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let posted = common::Reply::from(
            common::agent()
                .post(&app.url("/dasbor/unit/dinkes/rtl"))
                .header("cookie", &head)
                .header("accept", BROWSER)
                .send_form(pairs)
                .expect("HTTP"),
        );
        // a form mistake goes back to the form's page, which says what to correct
        assert_eq!(posted.status, 303, "{name}: {}", posted.body);
        let back = posted.header("location").expect("back to the unit page").to_string();
        assert!(back.starts_with("/dasbor/unit/dinkes?") && back.contains("masalah="), "{back}");
        let shown = browse(&app, &head, &back);
        assert_eq!(shown.status, 200, "{name}");
        assert!(shown.body.contains("class=\"err\"") || shown.body.contains("role=\"alert\""), "{}", shown.body);
        common::assert_indonesian(&shown.body, "the unit page after a bad follow-up date");
        // a tampered element is no form mistake: an error page, still no JSON
        let mut tampered = bad_due.clone();
        tampered[1].1 = "U99".into();
        tampered[5].1 = "2026-12-31".into();
        let pairs: Vec<(&str, &str)> = tampered.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let posted = common::Reply::from(
            common::agent()
                .post(&app.url("/dasbor/unit/dinkes/rtl"))
                .header("cookie", &head)
                .header("accept", BROWSER)
                .send_form(pairs)
                .expect("HTTP"),
        );
        assert_page(&posted, 400, "Periksa isian: Unsur.", "a follow-up for an unknown element");

        // an admin form's refusal names the field as the form does, in the page's language
        let admin_csrf = hidden(&browse(&app, &admin, "/admin").body, "csrf");
        let publish = [("csrf", admin_csrf.as_str()), ("unit", "dinkes"), ("period", "kemarin")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let refused = app.post_form_as(&admin, "/admin/publish", &publish);
        assert_eq!(refused.status, 422, "{name}");
        assert!(refused.body.contains("Periode: periode tidak dikenal"), "{}", refused.body);
        common::assert_indonesian(&refused.body, "an admin refusal");

        // the same failures from a program stay JSON
        let api = app.get_as(&head, "/api/v1/units/nope/index?period=2026");
        assert_eq!(api.status, 404, "{name}");
        assert!(api.header("content-type").unwrap_or_default().starts_with("application/problem+json"), "{name}");
        let api = app.get_with("/api/v1/units/dinkes/index?period=2026", &[("accept", BROWSER), ("cookie", &head)]);
        assert!(api.body.trim_start().starts_with('{'), "{name}: /api/ is JSON whatever the Accept: {}", api.body);
        let client = app.get_as(&head, "/tidak-ada");
        assert_eq!(client.status, 404);
        assert!(!client.body.contains("<html"), "{name}: a client that did not ask for HTML gets no page");
    }
}

#[test]
fn a_mistyped_period_reopens_the_dashboard_with_the_message_at_the_picker() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 300, 3);
        let admin = login(&app, &accounts, Role::Admin, None);
        for (path, message) in [
            ("/dasbor?period=kemarin", "Periode tidak dikenal."),
            ("/dasbor/unit/dinkes?period=2026-13", "Periode tidak dikenal."),
            ("/dasbor?dari=2026-01-01", "Rentang tanggal perlu dua tanggal"),
        ] {
            let page = browse(&app, &admin, path);
            assert_eq!(page.status, 400, "{}: {path}", database.name);
            assert!(page.body.contains(message), "{path}: {}", page.body);
            assert!(page.body.contains("aria-invalid=\"true\""), "{path}: the picker is marked");
            assert!(page.body.contains("NIK"), "{path}: the dashboard itself is shown, on the default period");
            common::assert_indonesian(&page.body, path);
        }
    }
}

#[test]
fn the_indonesian_check_catches_an_english_message() {
    let english = "<p>Isian salah: '5' is not a score from 1 to 4</p>";
    let caught = std::panic::catch_unwind(|| common::assert_indonesian(english, "planted"));
    assert!(caught.is_err(), "an English sentence in an Indonesian page must fail the check");
    let translated = "<p>Jenis kelamin: Laki-laki. Periode tidak dikenal.</p>";
    common::assert_indonesian(translated, "plain Indonesian");
}
