//! Signed-in work: login with lockout, CSRF, paper entry, imports all-or-nothing, unit scope.

use crate::common;

use common::{backends, hidden, seed_unit_and_user, TestApp, PASSWORD};
use diesel::prelude::*;
use skm::db::schema::responses;
use skm::domain::names::Role;

fn count(app: &TestApp, channel: &str) -> i64 {
    responses::table.filter(responses::channel.eq(channel)).count().get_result(&mut app.conn()).expect("count")
}

#[test]
fn login_logout_and_csrf() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        let reply = app.get_with("/operator", &[]);
        assert_eq!((reply.status, reply.header("location")), (303, Some("/masuk?next=/operator")), "{}", database.name);

        let refused = app.login("op@kutaitimurkab.go.id", "salah-sandi-123").expect_err("wrong password");
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains("Email atau kata sandi salah."));
        let unknown = app.login("nobody@example.go.id", PASSWORD).expect_err("unknown");
        assert_eq!(unknown.status, 401);

        let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        let home = app.get_as(&cookie, "/operator");
        assert_eq!(home.status, 200);
        assert!(home.body.contains("/operator/disdukcapil/kertas"));
        let csrf = hidden(&home.body, "csrf");

        let forged = app.post_form_as(&cookie, "/keluar", &[("csrf".into(), "wrong".into())]);
        assert_eq!(forged.status, 403, "CSRF refused");
        let out = app.post_form_as(&cookie, "/keluar", &[("csrf".into(), csrf)]);
        assert_eq!(out.status, 303);
        assert!(out.header("set-cookie").is_some_and(|c| c.contains("skm_session=;")), "cookie removed");

        // a tampered cookie is no session
        let tampered = format!("{}x", cookie);
        assert_eq!(app.get_as(&tampered, "/operator").status, 303);
        // a login form without its signed token is refused
        let reply = app.post_form(
            "/masuk",
            &[("email".into(), "op@kutaitimurkab.go.id".into()), ("password".into(), PASSWORD.into())],
        );
        assert_eq!(reply.status, 403);
    }
}

#[test]
fn repeated_failures_lock_the_account() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 100);
        seed_unit_and_user(&app, "disdukcapil", "kabag@kutaitimurkab.go.id", Role::Admin);
        for _ in 0..5 {
            assert_eq!(app.login("kabag@kutaitimurkab.go.id", "tebakan-salah-99").expect_err("wrong").status, 401);
        }
        // refused as a wrong password is (tests/it/accounts.rs: exactly so)
        let locked = app.login("kabag@kutaitimurkab.go.id", PASSWORD).expect_err("locked even with the right password");
        assert_eq!(locked.status, 401, "{}", database.name);
        assert!(locked.body.contains("Email atau kata sandi salah."));
    }
}

#[test]
fn paper_questionnaires_are_stored_with_their_date() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        let page = app.get_as(&cookie, "/operator/disdukcapil/kertas");
        assert_eq!(page.status, 200);
        assert!(page.body.contains("type=\"date\" id=\"f-tanggal\""));
        let csrf = hidden(&page.body, "csrf");
        let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("U{i}"), "3".to_string())).collect();
        fields.extend([
            ("csrf".into(), csrf.clone()),
            ("layanan".into(), "ktp-el".into()),
            ("tanggal".into(), "2026-10-03".into()),
        ]);

        let mut no_csrf = fields.clone();
        no_csrf.retain(|(k, _)| k != "csrf");
        assert_eq!(app.post_form_as(&cookie, "/operator/disdukcapil/kertas", &no_csrf).status, 403);

        let mut bad = fields.clone();
        bad.retain(|(k, _)| k != "U2");
        let reply = app.post_form_as(&cookie, "/operator/disdukcapil/kertas", &bad);
        assert_eq!(reply.status, 422);
        assert!(reply.body.contains("id=\"e-U2\""), "message by the field");
        assert!(reply.body.contains("value=\"2026-10-03\""), "date kept");

        let mut future = fields.clone();
        future.retain(|(k, _)| k != "tanggal");
        future.push(("tanggal".into(), "2999-01-01".into()));
        assert_eq!(app.post_form_as(&cookie, "/operator/disdukcapil/kertas", &future).status, 422);

        let reply = app.post_form_as(&cookie, "/operator/disdukcapil/kertas", &fields);
        assert_eq!(reply.status, 303, "{}: {}", database.name, reply.body);
        assert_eq!(reply.header("location"), Some("/operator/disdukcapil/kertas?tersimpan=1"));
        let date: String = responses::table.select(responses::survey_date).first(&mut app.conn()).expect("row");
        assert_eq!(date, "2026-10-03");
        assert_eq!(count(&app, "paper"), 1);
    }
}

#[test]
fn an_import_with_one_bad_row_writes_nothing_and_names_the_row() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        let page = app.get_as(&cookie, "/operator/disdukcapil/impor");
        let csrf = hidden(&page.body, "csrf");
        let sample = app.get_as(&cookie, "/operator/disdukcapil/impor/contoh.csv");
        assert!(
            sample.body.starts_with("\u{feff}U1;U2;U3;U4;U5;U6;U7;U8;U9;layanan;tanggal;jenis_kelamin"),
            "{}",
            sample.body
        );

        let bad = "U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan,tanggal\n4,4,4,4,4,4,4,4,4,ktp-el,2026-10-01\n4,4,4,4,4,4,4,4,4,paspor,2026-10-01\n4,4,9,4,4,4,4,4,4,ktp-el,2026-10-01\n";
        let reply =
            app.post_file_as(&cookie, "/operator/disdukcapil/impor", &[("csrf", &csrf)], "jawaban.csv", bad.as_bytes());
        assert_eq!(reply.status, 422, "{}: {}", database.name, reply.body);
        assert!(reply.body.contains("<td>3</td><td>layanan</td>"), "{}", reply.body);
        assert!(reply.body.contains("<td>4</td><td>U3</td>"), "{}", reply.body);
        assert_eq!(count(&app, "import"), 0, "nothing written");

        let good = "U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan,tanggal,usia\n4,4,4,4,4,4,4,4,4,ktp-el,2026-10-01,30\n3,3,,3,3,3,3,3,3,akta-lahir,,\n";
        let reply = app.post_file_as(
            &cookie,
            "/operator/disdukcapil/impor",
            &[("csrf", &csrf)],
            "jawaban.csv",
            good.as_bytes(),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.contains("2 jawaban berhasil diimpor."));
        assert_eq!(count(&app, "import"), 2);

        let reply = app.post_file_as(
            &cookie,
            "/operator/disdukcapil/impor",
            &[("csrf", "forged")],
            "jawaban.csv",
            good.as_bytes(),
        );
        assert_eq!(reply.status, 403);
    }
}

#[test]
fn xlsx_imports_like_csv() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
    let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
    let csrf = hidden(&app.get_as(&cookie, "/operator/disdukcapil/impor").body, "csrf");

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9", "layanan"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("cell");
    }
    for r in 1..=3u32 {
        for c in 0..9u16 {
            sheet.write_number(r, c, 3.0).expect("cell");
        }
        sheet.write_string(r, 9, "ktp-el").expect("cell");
    }
    sheet.write_number(2, 4, 6.0).expect("cell"); // row 3, U5 out of range
    let bytes = book.save_to_buffer().expect("xlsx");
    let reply = app.post_file_as(&cookie, "/operator/disdukcapil/impor", &[("csrf", &csrf)], "jawaban.xlsx", &bytes);
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("<td>3</td><td>U5</td>"), "{}", reply.body);
    assert_eq!(count(&app, "import"), 0);

    // a tiny file naming the last cell of the grid is refused without allocating the grid
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "U1").expect("cell");
    sheet.write_number(1_048_575, 16_383, 4.0).expect("cell");
    let bytes = book.save_to_buffer().expect("xlsx");
    let reply = app.post_file_as(&cookie, "/operator/disdukcapil/impor", &[("csrf", &csrf)], "besar.xlsx", &bytes);
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("bagi berkasnya"), "{}", reply.body);
}

#[test]
fn another_units_pages_are_404() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        seed_unit_and_user(&app, "dinkes", "op@dinkes.go.id", Role::Operator);
        let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        for path in [
            "/operator/dinkes/kertas",
            "/operator/dinkes/impor",
            "/operator/dinkes/impor/contoh.csv",
            "/operator/tidak-ada/kertas",
        ] {
            assert_eq!(app.get_as(&cookie, path).status, 404, "{}: {path}", database.name);
        }
        let csrf = hidden(&app.get_as(&cookie, "/operator").body, "csrf");
        let fields: Vec<(String, String)> = (1..=9)
            .map(|i| (format!("U{i}"), "3".to_string()))
            .chain([("csrf".to_string(), csrf), ("tanggal".into(), "2026-10-01".into())])
            .collect();
        assert_eq!(app.post_form_as(&cookie, "/operator/dinkes/kertas", &fields).status, 404);
        assert_eq!(count(&app, "paper"), 0);
    }
}

#[test]
fn changing_the_password_ends_other_sessions() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "disdukcapil", "kepala@kutaitimurkab.go.id", Role::UnitHead);
        let first = app.login("kepala@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        let second = app.login("kepala@kutaitimurkab.go.id", PASSWORD).expect("signed in elsewhere");
        let csrf = hidden(&app.get_as(&first, "/akun/sandi").body, "csrf");
        let form = |current: &str, new: &str, repeat: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("current".into(), current.into()),
                ("new".into(), new.into()),
                ("repeat".into(), repeat.into()),
            ]
        };
        assert_eq!(
            app.post_form_as(
                &first,
                "/akun/sandi",
                &form("salah-sekali-123", "sandi-baru-yang-panjang", "sandi-baru-yang-panjang")
            )
            .status,
            422
        );
        assert_eq!(
            app.post_form_as(&first, "/akun/sandi", &form(PASSWORD, "sandi-baru-yang-panjang", "lain")).status,
            422
        );
        assert_eq!(app.post_form_as(&first, "/akun/sandi", &form(PASSWORD, "pendek", "pendek")).status, 422);
        let changed = app.post_form_as(
            &first,
            "/akun/sandi",
            &form(PASSWORD, "sandi-baru-yang-panjang", "sandi-baru-yang-panjang"),
        );
        assert_eq!(changed.status, 303, "{}", database.name);
        let renewed =
            changed.header("set-cookie").and_then(|c| c.split(';').next()).expect("a fresh cookie").to_string();
        assert_eq!(app.get_as(&renewed, "/akun/sandi?diganti=1").status, 200, "this browser stays signed in");
        assert_eq!(app.get_as(&second, "/dasbor").status, 303, "the other session ended");
        assert_eq!(app.get_as(&first, "/dasbor").status, 303, "the old cookie ended");
        assert!(app.login("kepala@kutaitimurkab.go.id", PASSWORD).is_err());
        assert!(app.login("kepala@kutaitimurkab.go.id", "sandi-baru-yang-panjang").is_ok());
    }
}

#[test]
fn admins_manage_units_services_populations_templates_and_users() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "kutim", "admin@kutaitimurkab.go.id", Role::Admin);
        seed_unit_and_user(&app, "dinsos", "op@dinsos.go.id", Role::Operator);
        let admin = app.login("admin@kutaitimurkab.go.id", PASSWORD).expect("admin");
        let page = app.get_as(&admin, "/admin");
        assert_eq!(page.status, 200);
        let csrf = hidden(&page.body, "csrf");
        let post = |action: &str, pairs: &[(&str, &str)]| {
            let mut fields: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            fields.push(("csrf".into(), csrf.clone()));
            app.post_form_as(&admin, &format!("/admin/{action}"), &fields)
        };
        assert_eq!(
            post(
                "unit",
                &[
                    ("slug", "dishub"),
                    ("name", "Dinas Perhubungan"),
                    ("kind", "opd"),
                    ("parent", "kutim"),
                    ("emails", "kadis@dishub.go.id")
                ]
            )
            .status,
            303
        );
        assert_eq!(post("service", &[("unit", "dishub"), ("slug", "uji-kir"), ("name", "Uji KIR")]).status, 303);
        assert_eq!(post("population", &[("unit", "dishub"), ("period", "2026"), ("count", "4000")]).status, 303);
        assert_eq!(post("template", &[("unit", "dishub"), ("template", "kepmenpan-25-2004")]).status, 303);
        // a new user is invited: with e-mail off, the page shows the invitation link once
        let invited = post(
            "user",
            &[("email", "kepala@dishub.go.id"), ("name", "Kadis"), ("role", "unit_head"), ("unit", "dishub")],
        );
        assert!(invited.status == 200 && invited.body.contains("/sandi/atur?token="), "{}", invited.body);
        let page = app.get_as(&admin, "/admin").body;
        for text in ["Dinas Perhubungan", "Uji KIR", "2026: 4000", "kepmenpan-25-2004", "kepala@dishub.go.id"] {
            assert!(page.contains(text), "{}: admin page lacks {text}", database.name);
        }
        // the new unit's public form now asks the 14 KepMenPAN questions
        let (_, form) = app.get("/s/dishub");
        assert!(form.contains("<legend>14. "), "template switched");
        // bad input is shown, not stored; a duplicate is a clear message
        let bad = post("unit", &[("slug", "Bad Slug"), ("name", "x"), ("kind", "opd")]);
        assert!(bad.status == 422 && bad.body.contains("slug"), "{}", bad.body);
        let dup = post("unit", &[("slug", "dishub"), ("name", "Lagi"), ("kind", "opd")]);
        assert!(dup.status == 422 && dup.body.contains("Kode unit (slug): sudah ada unit dengan kode"), "{}", dup.body);
        assert_eq!(post("user", &[("email", "x@y.go.id"), ("name", "X"), ("role", "operator")]).status, 422);
        assert_eq!(app.post_form_as(&admin, "/admin/unit", &[("slug".into(), "x".into())]).status, 403, "CSRF");
        // not for anyone else
        let operator = app.login("op@dinsos.go.id", PASSWORD).expect("operator");
        assert_eq!(app.get_as(&operator, "/admin").status, 404);
    }
}
