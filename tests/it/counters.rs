//! Counters (loket) and officers (petugas), issue 19 point 4, on every backend: defined from the
//! command line, recorded from a counter's QR link and a kiosk at a counter (signed into the
//! form's token, so a tampered field cannot move a response), and the unit head's scorecard with
//! its minimum number of responses.

use crate::common;

use common::{backends, filled, skm, token_of, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::db::schema::{counters, officers, responses};
use skm::domain::names::Role;

const HEAD: &str = "kepala@disdukcapil.go.id";
const OPERATOR: &str = "operator@disdukcapil.go.id";
/// The scorecard's minimum in these tests (the default, 10, is checked on its own).
const MIN: u32 = 4;

/// `skm …` against the test's database: (success, stdout, stderr).
fn cli(database: &TestDb, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let out = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run skm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

/// A unit with two counters and an officer (added with the CLI), a head and an operator.
fn world(database: &TestDb) -> TestApp {
    let app = TestApp::spawn_with(database, |c| {
        c.scorecard_min_responses = MIN;
        c.rate_limit_per_minute = 1000;
        c.burst_threshold = 0;
    });
    let unit_id = common::seed_service_unit(&app, "disdukcapil");
    let hash = skm::password::hash(PASSWORD).expect("hash");
    for (email, role) in [(HEAD, Role::UnitHead), (OPERATOR, Role::Operator)] {
        let user = skm::db::users::NewUser { email, name: "Staf", password_hash: &hash, role, unit_ids: &[unit_id] };
        skm::db::users::create(&mut app.conn(), &user).expect("user");
    }
    for args in [
        ["unit", "counter", "add", "--unit", "disdukcapil", "--code", "loket-1", "--name", "Loket 1 Pendaftaran"],
        ["unit", "counter", "add", "--unit", "disdukcapil", "--code", "Loket-2", "--name", "Loket 2 Pengambilan"],
        ["unit", "officer", "add", "--unit", "disdukcapil", "--code", "p-07", "--name", "Siti Rahmawati"],
    ] {
        let (ok, out, err) = cli(database, &args);
        assert!(ok, "{}: {args:?}: {out}{err}", database.name);
    }
    app
}

/// (counter code, officer code) of every response, oldest first.
fn recorded(app: &TestApp) -> Vec<(Option<String>, Option<String>)> {
    responses::table
        .left_join(counters::table)
        .left_join(officers::table)
        .order(responses::id)
        .select((counters::code.nullable(), officers::code.nullable()))
        .load(&mut app.conn())
        .expect("responses")
}

/// Opens `page`, answers with U6 and U7 as given, posts to the form's own action.
fn answer(app: &TestApp, page: &str, u6: &str, u7: &str) -> common::Reply {
    let (status, html) = app.get(page);
    assert_eq!(status, 200, "{page}: {html}");
    let mut fields = filled(&token_of(&html));
    set(&mut fields, "U6", u6);
    set(&mut fields, "U7", u7);
    app.post_form(&action_of(&html), &fields)
}

fn action_of(html: &str) -> String {
    let start = html.find("<form method=\"post\" action=\"").expect("the form") + 28;
    html[start..].split('"').next().unwrap_or_default().replace("&amp;", "&").replace("&#38;", "&")
}

fn year() -> String {
    chrono::Utc::now().format("%Y").to_string()
}

#[test]
fn counters_and_officers_are_added_and_listed_from_the_command_line() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let (ok, listed, _) = cli(&database, &["unit", "counter", "list", "--unit", "disdukcapil"]);
        assert!(ok, "{name}");
        assert_eq!(listed, "loket-1\tLoket 1 Pendaftaran\tyes\nloket-2\tLoket 2 Pengambilan\tyes\n", "{name}");
        let (ok, officers, _) = cli(&database, &["unit", "officer", "list", "--unit", "disdukcapil"]);
        assert!(ok && officers == "p-07\tSiti Rahmawati\tyes\n", "{name}: {officers}");
        // a code twice, a code that cannot go in a link, an unknown unit: refused by flag
        let (ok, _, err) =
            cli(&database, &["unit", "counter", "add", "--unit", "disdukcapil", "--code", "loket-1", "--name", "X"]);
        assert!(!ok && err.contains("--code") && err.contains("already"), "{name}: {err}");
        let (ok, _, err) =
            cli(&database, &["unit", "counter", "add", "--unit", "disdukcapil", "--code", "loket 3", "--name", "X"]);
        assert!(!ok && err.contains("--code"), "{name}: {err}");
        let (ok, _, err) =
            cli(&database, &["unit", "counter", "add", "--unit", "tidak-ada", "--code", "a", "--name", "X"]);
        assert!(!ok && err.contains("--unit"), "{name}: {err}");
        let (ok, _, _) = cli(&database, &["unit", "counter", "disable", "--unit", "disdukcapil", "--code", "loket-2"]);
        assert!(ok, "{name}");
        let (_, listed, _) = cli(&database, &["unit", "counter", "list", "--unit", "disdukcapil"]);
        assert!(listed.contains("loket-2\tLoket 2 Pengambilan\tno"), "{name}: {listed}");
        assert_eq!(common::audited(&app, "counter.disable").len(), 1, "{name}");
    }
}

#[test]
fn a_counter_qr_and_a_kiosk_at_a_counter_record_it_and_a_tampered_field_does_not_move_it() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;

        // the counter's own QR link
        let reply = answer(&app, "/s/disdukcapil?loket=loket-1", "4", "4");
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        assert_eq!(reply.header("location"), Some("/s/disdukcapil/terima-kasih?lang=id&loket=loket-1"), "{name}");

        // a kiosk at counter 2's desk, with its officer: the next citizen gets the same desk
        let (_, kiosk) = app.get("/s/disdukcapil/kiosk?loket=loket-2&petugas=P-07");
        assert_eq!(action_of(&kiosk), "/s/disdukcapil/kiosk?loket=loket-2&petugas=p-07", "{name}");
        assert!(!kiosk.contains("Siti Rahmawati"), "{name}: an officer's name never reaches the citizen");
        let reply = app.post_form(&action_of(&kiosk), &filled(&token_of(&kiosk)));
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let thanks = reply.header("location").expect("redirect").to_string();
        let (_, page) = app.get(&thanks);
        let page = page.replace("&#38;", "&").replace("&amp;", "&");
        assert!(page.contains("url=/s/disdukcapil/kiosk?loket=loket-2&petugas=p-07"), "{name}: {page}");

        // a form opened at counter 1, sent with counter 2 in its address and its fields
        let (_, html) = app.get("/s/disdukcapil?loket=loket-1");
        let mut fields = filled(&token_of(&html));
        set(&mut fields, "loket", "loket-2");
        set(&mut fields, "petugas", "p-07");
        let reply = app.post_form("/s/disdukcapil?loket=loket-2&petugas=p-07", &fields);
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);

        // an unknown counter, or none: the answer is taken all the same, without a counter
        let reply = answer(&app, "/s/disdukcapil?loket=tidak-ada&petugas=%27%20OR%201%3D1", "4", "4");
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        assert_eq!(reply.header("location"), Some("/s/disdukcapil/terima-kasih?lang=id"), "{name}");
        assert_eq!(answer(&app, "/s/disdukcapil", "4", "4").status, 303, "{name}");
        // a counter taken out of use is no longer recorded
        assert!(cli(&database, &["unit", "counter", "disable", "--unit", "disdukcapil", "--code", "loket-2"]).0);
        assert_eq!(answer(&app, "/s/disdukcapil/kiosk?loket=loket-2", "4", "4").status, 303, "{name}");

        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            recorded(&app),
            vec![
                (some("loket-1"), None),
                (some("loket-2"), some("p-07")),
                (some("loket-1"), None),
                (None, None),
                (None, None),
                (None, None),
            ],
            "{name}"
        );
    }
}

/// The scorecard section of the unit's dashboard.
fn scorecard(app: &TestApp, cookie: &str) -> String {
    let reply = app.get_as(cookie, &format!("/dasbor/unit/disdukcapil?period={}", year()));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let start = reply.body.find("id=\"h-scorecard\"").expect("a scorecard");
    let end = reply.body[start..].find("</section>").expect("its end") + start;
    reply.body[start..end].to_string()
}

/// The appendix chapter of a report's text (its heading's last appearance: the first is in the
/// table of contents), up to the questionnaire's.
fn appendix_of(text: &str) -> &str {
    let start = text.rfind("LAMPIRAN: KINERJA PER LOKET").expect("the appendix");
    let end = text.rfind("LAMPIRAN: KUESIONER").filter(|end| *end > start).unwrap_or(text.len());
    &text[start..end]
}

/// The row of one counter or officer in the scorecard.
fn row<'a>(card: &'a str, code: &str) -> &'a str {
    let start = card.find(&format!("<small>({code})</small>")).unwrap_or_else(|| panic!("a row for {code}: {card}"));
    card[start..].split("</tr>").next().unwrap_or_default()
}

#[test]
fn the_scorecard_shows_figures_only_from_the_minimum_number_of_responses() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let head = app.login(HEAD, PASSWORD).expect("head signs in");

        // U6 4, 3, 4, 2 (NRR 3.25, ×25 = 81.25); U7 4, 4, 3, 3 (3.5 → 87.50); U1 3 and the other
        // six elements 4: NIK = 25 × (3 + 6×4 + 3.25 + 3.5) / 9 = 25 × 3.75 = 93.75
        let answers = [("4", "4"), ("3", "4"), ("4", "3"), ("2", "3")];
        for (i, (u6, u7)) in answers.iter().enumerate() {
            let reply = answer(&app, "/s/disdukcapil/kiosk?loket=loket-1&petugas=p-07", u6, u7);
            assert_eq!(reply.status, 303, "{name}: {}", reply.body);
            let card = scorecard(&app, &head);
            let (counter, officer) = (row(&card, "loket-1"), row(&card, "p-07"));
            if i + 1 < MIN as usize {
                for r in [counter, officer] {
                    assert!(r.contains("kurang dari 4 responden"), "{name}: {} responses: {r}", i + 1);
                    assert!(!r.contains(',') && !r.contains("class=\"num\""), "{name}: figures under the minimum: {r}");
                }
            } else {
                for r in [counter, officer] {
                    assert!(!r.contains("kurang dari"), "{name}: {r}");
                    let figures: Vec<&str> = r
                        .split("<td class=\"num\">")
                        .skip(1)
                        .map(|c| c.split('<').next().unwrap_or_default())
                        .collect();
                    assert_eq!(figures, ["4", "81,25", "87,50", "93,75"], "{name}: {r}");
                }
            }
        }
        // counter 2 has no responses: it is listed, without figures
        let card = scorecard(&app, &head);
        assert!(row(&card, "loket-2").contains("kurang dari 4 responden"), "{name}: {card}");
        assert!(card.contains("Siti Rahmawati"), "{name}: the head sees the officer's name");

        // the same in the report's optional appendix, only when asked for
        let pdf = |query: &str| {
            let reply = app.get_as(&head, &format!("/dasbor/unit/disdukcapil/laporan.pdf?period={}{query}", year()));
            assert_eq!(reply.status, 200, "{name}");
            common::pdf_text(&reply.bytes, &format!("loket-{name}{}.pdf", query.len()))
        };
        if let (Some(with), Some(without)) = (pdf("&loket=1"), pdf("")) {
            assert!(!without.contains("KINERJA PER LOKET"), "{name}");
            let appendix = appendix_of(&with);
            let line = |code: &str| appendix.lines().find(|l| l.contains(code)).unwrap_or_default().to_string();
            let words = |l: String| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
            assert!(
                words(line("loket-1")).ends_with(&["4", "81,25", "87,50", "93,75"].map(String::from)),
                "{name}: {appendix}"
            );
            assert!(
                words(line("p-07")).ends_with(&["4", "81,25", "87,50", "93,75"].map(String::from)),
                "{name}: {appendix}"
            );
            assert!(line("loket-2").contains("kurang dari 4 responden"), "{name}: {appendix}");
        }
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("laporan.pdf");
        let args = ["report", "--unit", "disdukcapil", "--period", &year(), "--format", "pdf", "--loket", "--out"];
        let (ok, _, err) = cli(&database, &[&args[..], &[out.to_str().expect("path")]].concat());
        assert!(ok, "{name}: {err}");
        if let Some(text) =
            common::pdf_text(&std::fs::read(&out).expect("the report"), &format!("loket-cli-{name}.pdf"))
        {
            // the command line's minimum is the default, 10: no counter has enough
            let appendix = appendix_of(&text);
            assert!(appendix.contains("kurang dari 10 responden") && !appendix.contains("81,25"), "{name}: {appendix}");
        }

        // operators enter data: the dashboard, and so the scorecard, is not theirs
        let operator = app.login(OPERATOR, PASSWORD).expect("operator signs in");
        let reply = app.get_as(&operator, &format!("/dasbor/unit/disdukcapil?period={}", year()));
        assert_eq!(reply.status, 404, "{name}");
        assert!(!reply.body.contains("h-scorecard") && !reply.body.contains("93,75"), "{name}");
    }
}

#[test]
fn the_scorecard_minimum_is_ten_unless_configured() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("skm.toml");
    std::fs::write(&file, "").expect("write");
    let config = skm::config::Config::load(Some(&file), Vec::new()).expect("config");
    assert_eq!(config.scorecard_min_responses, 10);
    let config =
        skm::config::Config::load(Some(&file), vec![("SKM_SCORECARD_MIN_RESPONSES".to_string(), "25".to_string())])
            .expect("config");
    assert_eq!(config.scorecard_min_responses, 25);
}

#[test]
fn admins_manage_counters_and_officers_on_the_admin_page() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let hash = skm::password::hash(PASSWORD).expect("hash");
        let admin = skm::db::users::NewUser {
            email: "admin@kutaitimurkab.go.id",
            name: "Admin",
            password_hash: &hash,
            role: Role::Admin,
            unit_ids: &[],
        };
        skm::db::users::create(&mut app.conn(), &admin).expect("admin");
        let cookie = app.login("admin@kutaitimurkab.go.id", PASSWORD).expect("admin signs in");
        let page = app.get_as(&cookie, "/admin");
        assert!(page.body.contains("/s/disdukcapil?loket=loket-1"), "{name}: the counters CLI added are listed");
        let csrf = common::hidden(&page.body, "csrf");
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            std::iter::once(("csrf".to_string(), csrf.clone()))
                .chain(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
                .collect()
        };
        let add =
            form(&[("unit", "disdukcapil"), ("kind", "loket"), ("code", "loket-3"), ("name", "Loket 3 Informasi")]);
        assert_eq!(app.post_form_as(&cookie, "/admin/desk", &add).status, 303, "{name}");
        let bad = form(&[("unit", "disdukcapil"), ("kind", "loket"), ("code", "Loket 3!"), ("name", "X")]);
        let refused = app.post_form_as(&cookie, "/admin/desk", &bad);
        assert_eq!(refused.status, 422, "{name}");
        assert!(refused.body.contains("tidak dapat dipakai"), "{name}: {}", refused.body);
        let twice = app.post_form_as(&cookie, "/admin/desk", &add);
        assert!(twice.status == 422 && twice.body.contains("sudah punya kode"), "{name}");
        let retire = form(&[("unit", "disdukcapil"), ("kind", "petugas"), ("code", "p-07")]);
        assert_eq!(app.post_form_as(&cookie, "/admin/desk-disable", &retire).status, 303, "{name}");
        let (_, officers, _) = cli(&database, &["unit", "officer", "list", "--unit", "disdukcapil"]);
        assert_eq!(officers, "p-07\tSiti Rahmawati\tno\n", "{name}");
        let (_, counters, _) = cli(&database, &["unit", "counter", "list", "--unit", "disdukcapil"]);
        assert!(counters.contains("loket-3\tLoket 3 Informasi\tyes"), "{name}: {counters}");
        // a counter's own poster: its QR code opens the form at the counter
        let operator = app.login(OPERATOR, PASSWORD).expect("operator");
        let poster = app.get_as(&operator, "/operator/disdukcapil/poster.svg?loket=loket-1");
        assert_eq!(poster.status, 200, "{name}: {}", poster.body);
        assert!(poster.header("content-disposition").is_some_and(|d| d.contains("poster-skm-disdukcapil-loket-1.svg")));
        assert_eq!(app.get_as(&operator, "/operator/disdukcapil/poster.svg?loket=tidak-ada").status, 400, "{name}");
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("poster.png");
        let (ok, said, err) =
            cli(&database, &["qr", "disdukcapil", "--counter", "loket-3", "--out", out.to_str().expect("path")]);
        assert!(ok && said.contains("/s/disdukcapil?loket=loket-3"), "{name}: {said}{err}");
        let (ok, _, err) =
            cli(&database, &["qr", "disdukcapil", "--counter", "loket-9", "--out", out.to_str().expect("path")]);
        assert!(!ok && err.contains("--counter"), "{name}: {err}");
        // a unit head is no admin
        let head = app.login(HEAD, PASSWORD).expect("head");
        let head_csrf = common::hidden(&app.get_as(&head, "/dasbor/unit/disdukcapil").body, "csrf");
        let mut theirs = add.clone();
        theirs[0].1 = head_csrf;
        theirs[3].1 = "loket-9".into();
        assert_eq!(app.post_form_as(&head, "/admin/desk", &theirs).status, 404, "{name}");
    }
}

#[test]
fn the_demo_regency_has_counters_and_officers_on_its_scorecard() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (_, accounts) = common::seed_demo(&mut app.conn(), 1500, 7);
    let head = accounts
        .iter()
        .find(|a| a.role == Role::UnitHead && a.unit.as_deref() == Some("disdukcapil"))
        .expect("the demo's Disdukcapil head");
    let cookie = app.login(&head.email, &head.password).expect("signed in");
    let reply = app.get_as(&cookie, &format!("/dasbor/unit/disdukcapil?period={}", year()));
    assert_eq!(reply.status, 200);
    let start = reply.body.find("id=\"h-scorecard\"").expect("a scorecard");
    let card = &reply.body[start..];
    for desk in [
        "Loket 1 Pendaftaran <small>(loket-1)</small>",
        "Loket 3 Pengambilan Dokumen <small>(loket-3)</small>",
        "Budi Santoso <small>(p-02)</small>",
    ] {
        assert!(card.contains(desk), "{desk}: {card}");
    }
    assert!(!row(card, "loket-1").contains("kurang dari"), "enough responses for figures: {card}");
}
