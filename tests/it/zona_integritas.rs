//! Zona Integritas in one form (issue 19, point 7), on every backend: a unit attaches SPKP and
//! SPAK to its SKM form; one page, one submission, each instrument stored and computed on its own
//! (IKM for SKM; mean and % of maximum for SPKP/SPAK), the SKM figures exactly those of the SKM
//! answers.

use crate::common;

use common::{backends, filled, skm, token_of, TestApp, TestDb};
use diesel::prelude::*;
use skm::aggregator::{self, Selection};
use skm::db::schema::{answers, instrument_answers, responses};

const UNIT: &str = "dpmptsp";

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

/// A unit with two services, SPKP and SPAK attached from the command line.
fn world(database: &TestDb) -> TestApp {
    let app = TestApp::spawn_with(database, |c| {
        c.rate_limit_per_minute = 1000;
        c.burst_threshold = 0;
    });
    common::seed_service_unit(&app, UNIT);
    for template in ["spkp-zi", "spak-zi"] {
        let (ok, out, err) = cli(database, &["unit", "instrument", "add", "--unit", UNIT, "--template", template]);
        assert!(ok && out.contains("attached"), "{}: {out}{err}", database.name);
    }
    app
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

/// A fresh form's fields answered: SKM U1..U9, SPKP P1..P8 and SPAK K1..K5 with these scores.
fn answered(app: &TestApp, skm: [u8; 9], spkp: [u8; 8], spak: [u8; 5]) -> Vec<(String, String)> {
    let (status, html) = app.get(&format!("/s/{UNIT}"));
    assert_eq!(status, 200, "{html}");
    let mut fields = filled(&token_of(&html));
    for (i, score) in skm.iter().enumerate() {
        set(&mut fields, &format!("U{}", i + 1), &score.to_string());
    }
    for (i, score) in spkp.iter().enumerate() {
        set(&mut fields, &format!("spkp-zi.P{}", i + 1), &score.to_string());
    }
    for (i, score) in spak.iter().enumerate() {
        set(&mut fields, &format!("spak-zi.K{}", i + 1), &score.to_string());
    }
    fields
}

fn year() -> skm::domain::period::Period {
    chrono::Utc::now().format("%Y").to_string().parse().expect("period")
}

fn count(app: &TestApp) -> (i64, i64, i64) {
    let mut conn = app.conn();
    (
        responses::table.count().get_result(&mut conn).expect("responses"),
        answers::table.count().get_result(&mut conn).expect("answers"),
        instrument_answers::table.count().get_result(&mut conn).expect("instrument answers"),
    )
}

#[test]
fn the_form_shows_each_attached_instrument_as_its_own_section() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let (_, html) = app.get(&format!("/s/{UNIT}"));
        let skm_at = html.find("name=\"U9\"").expect("SKM questions");
        let spkp_at = html.find("Survei Persepsi Kualitas Pelayanan (SPKP)").expect("the SPKP section");
        let spak_at = html.find("Survei Persepsi Anti Korupsi (SPAK)").expect("the SPAK section");
        assert!(skm_at < spkp_at && spkp_at < spak_at, "{name}: SKM, then SPKP, then SPAK");
        assert!(html.contains("name=\"spkp-zi.P8\" value=\"6\"> Sangat setuju"), "{name}: the 1–6 scale");
        assert!(html.contains("name=\"spak-zi.K5\""), "{name}");
        // the profile is asked once
        assert_eq!(html.matches("name=\"jenis_kelamin\"").count(), 1, "{name}");
        let (_, listed, _) = cli(&database, &["unit", "instrument", "list", "--unit", UNIT]);
        assert_eq!(listed, "spkp-zi\nspak-zi\n", "{name}");
    }
}

/// The hand-checked vector: four submissions, each instrument computed on its own answers.
#[test]
fn a_combined_form_stores_and_computes_each_instrument_exactly() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let submissions = [
            ([4, 4, 4, 4, 4, 4, 4, 4, 4], [6, 6, 6, 6, 6, 6, 6, 6], [6, 6, 6, 6, 6]),
            ([3, 3, 3, 3, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5, 5, 5], [6, 6, 6, 6, 6]),
            ([2, 4, 4, 4, 4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4, 4, 1], [5, 5, 5, 5, 5]),
            ([3, 3, 3, 3, 3, 3, 3, 3, 4], [3, 6, 6, 6, 6, 6, 6, 6], [2, 2, 2, 2, 3]),
        ];
        for (skm, spkp, spak) in submissions {
            let reply = app.post_form(&format!("/s/{UNIT}"), &answered(&app, skm, spkp, spak));
            assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        }
        // 4 responses, 4 × 9 SKM answers, 4 × (8 + 5) instrument answers
        assert_eq!(count(&app), (4, 36, 52), "{name}");

        let mut conn = app.conn();
        let registry = common::registry(&mut conn);
        let unit = skm::db::units::by_slug(&mut conn, UNIT).expect("unit");
        let selection = Selection { period: year(), with_subunits: false, service_id: None };
        let index = aggregator::unit_index(&mut conn, &registry, &unit, &selection).expect("index");

        // SKM: U1 = 4+3+2+3 = 12 → 3; U2..U8 = 4+3+4+3 = 14 → 3.5; U9 = 4+3+4+4 = 15 → 3.75.
        // IKM = (3 + 7 × 3.5 + 3.75) / 9 = 31.25 / 9 = 3.47222…; NIK = 25 × IKM = 86.8055… → 86.81, B
        let skm_result = &index.result;
        assert_eq!(skm_result.responses, 4, "{name}: the combined submission counts once for SKM");
        assert_eq!(skm_result.ikm_rounded().map(|v| v.to_string()).as_deref(), Some("3.4722"), "{name}");
        assert_eq!(skm_result.index.map(|v| v.to_string()).as_deref(), Some("86.81"), "{name}");
        assert_eq!(skm_result.grade.as_ref().map(|g| g.grade.as_str()), Some("B"), "{name}");
        assert_eq!(skm_result.elements.len(), 9, "{name}: no instrument element leaks into SKM");

        let instruments = aggregator::instruments(&mut conn, &registry, &index).expect("instruments");
        let ids: Vec<&str> = instruments.iter().map(|i| i.template.id.as_str()).collect();
        assert_eq!(ids, ["spkp-zi", "spak-zi"], "{name}");
        let figures = |i: usize| {
            let r = &instruments[i].result;
            let nrr: Vec<String> = r
                .elements
                .iter()
                .map(|e| skm::domain::decimal::Rounded::half_up(e.nrr.as_ref().expect("answered"), 2).to_string())
                .collect();
            (
                r.responses,
                nrr,
                r.ikm_rounded().map(|v| v.to_string()).unwrap_or_default(),
                r.percent_of_max.map(|v| v.to_string()).unwrap_or_default(),
            )
        };
        // SPKP: P1 = 6+5+4+3 = 18 → 4.5; P2..P7 = 6+5+4+6 = 21 → 5.25; P8 = 6+5+1+6 = 18 → 4.5.
        // mean = (4.5 + 6 × 5.25 + 4.5) / 8 = 40.5 / 8 = 5.0625; % of max = 5.0625 / 6 × 100 = 84.375 → 84.38
        let (n, nrr, mean, percent) = figures(0);
        assert_eq!(n, 4, "{name}");
        assert_eq!(nrr, ["4.50", "5.25", "5.25", "5.25", "5.25", "5.25", "5.25", "4.50"], "{name}");
        assert_eq!((mean.as_str(), percent.as_str()), ("5.0625", "84.38"), "{name}");
        // SPAK: K1..K4 = 6+6+5+2 = 19 → 4.75; K5 = 6+6+5+3 = 20 → 5.
        // mean = (4 × 4.75 + 5) / 5 = 24 / 5 = 4.8; % of max = 4.8 / 6 × 100 = 80.00
        let (n, nrr, mean, percent) = figures(1);
        assert_eq!(n, 4, "{name}");
        assert_eq!(nrr, ["4.75", "4.75", "4.75", "4.75", "5.00"], "{name}");
        assert_eq!((mean.as_str(), percent.as_str()), ("4.8000", "80.00"), "{name}");
    }
}

#[test]
fn one_submission_stores_each_instrument_with_its_own_version() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let reply = app.post_form(&format!("/s/{UNIT}"), &answered(&app, [4; 9], [5; 8], [6; 5]));
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let mut conn = app.conn();
        let registry = common::registry(&mut conn);
        let id: String = responses::table.select(responses::id).first(&mut conn).expect("one response");
        let codes: Vec<String> = answers::table.select(answers::element_code).load(&mut conn).expect("answers");
        assert!(codes.iter().all(|c| c.starts_with('U')) && codes.len() == 9, "{name}: {codes:?}");
        let stored = skm::db::instruments::answers_of(&mut conn, &id).expect("instrument answers");
        let (spkp, _) = registry.current("spkp-zi").expect("spkp");
        let (spak, _) = registry.current("spak-zi").expect("spak");
        let of = |version: i32| -> Vec<(String, i32)> {
            stored.iter().filter(|(v, _, _)| *v == version).map(|(_, c, s)| (c.clone(), *s)).collect()
        };
        assert_eq!(of(spkp), (1..=8).map(|i| (format!("P{i}"), 5)).collect::<Vec<_>>(), "{name}");
        assert_eq!(of(spak), (1..=5).map(|i| (format!("K{i}"), 6)).collect::<Vec<_>>(), "{name}");
        assert_eq!(stored.len(), 13, "{name}");
    }
}

#[test]
fn a_missing_spkp_answer_shows_the_whole_page_again_with_every_answer_kept() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let mut fields = answered(&app, [3; 9], [5; 8], [2; 5]);
        fields.retain(|(k, _)| k != "spkp-zi.P3");
        set(&mut fields, "spak-zi.K4", "6");
        let reply = app.post_form(&format!("/s/{UNIT}"), &fields);
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        let page = &reply.body;
        // the message next to the question, and in the summary linking to it
        let question = page.find("id=\"q-spkp-zi.P3\"").expect("the question");
        let error = page.find("id=\"e-spkp-zi.P3\"").expect("its message");
        assert!(error > question && page[question..error].matches("<fieldset").count() == 0, "{name}");
        assert!(page.contains("href=\"#q-spkp-zi.P3\""), "{name}");
        assert!(page.contains("Survei Persepsi Kualitas Pelayanan (SPKP), Prosedur: Mohon pilih"), "{name}");
        // every answer of every instrument kept
        assert!(page.contains("name=\"U5\" value=\"3\" checked"), "{name}");
        assert!(page.contains("name=\"spkp-zi.P2\" value=\"5\" checked"), "{name}");
        assert!(!page.contains("name=\"spkp-zi.P3\" value=\"5\" checked"), "{name}");
        assert!(page.contains("name=\"spak-zi.K4\" value=\"6\" checked"), "{name}");
        assert!(page.contains("name=\"spak-zi.K5\" value=\"2\" checked"), "{name}");
        assert!(page.contains("Ruang tunggu perlu kipas angin"), "{name}: the saran kept");
        assert_eq!(count(&app), (0, 0, 0), "{name}: nothing stored");
        // a score off the instrument's scale is refused the same way
        let mut fields = answered(&app, [3; 9], [5; 8], [2; 5]);
        set(&mut fields, "spak-zi.K1", "7");
        let reply = app.post_form(&format!("/s/{UNIT}"), &fields);
        assert!(reply.status == 422 && reply.body.contains("id=\"e-spak-zi.K1\""), "{name}");
        assert_eq!(count(&app), (0, 0, 0), "{name}");
    }
}

#[test]
fn a_replayed_token_stores_none_of_the_instruments() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let fields = answered(&app, [4; 9], [6; 8], [6; 5]);
        assert_eq!(app.post_form(&format!("/s/{UNIT}"), &fields).status, 303, "{name}");
        assert_eq!(count(&app), (1, 9, 13), "{name}");
        let mut again = fields.clone();
        set(&mut again, "spkp-zi.P1", "1");
        let reply = app.post_form(&format!("/s/{UNIT}"), &again);
        assert_eq!(reply.status, 409, "{name}: {}", reply.body);
        assert_eq!(count(&app), (1, 9, 13), "{name}: the replay stored nothing");
    }
}

#[test]
fn the_api_asks_and_takes_the_instruments_too() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let (status, body) = app.get(&format!("/api/v1/units/{UNIT}/form"));
        assert_eq!(status, 200, "{name}: {body}");
        let form: serde_json::Value = serde_json::from_str(&body).expect("json");
        let ids: Vec<&str> =
            form["instruments"].as_array().expect("instruments").iter().filter_map(|i| i["id"].as_str()).collect();
        assert_eq!(ids, ["spkp-zi", "spak-zi"], "{name}");
        let mut answers = serde_json::Map::new();
        for i in 1..=9 {
            answers.insert(format!("U{i}"), 4.into());
        }
        for i in 1..=8 {
            answers.insert(format!("spkp-zi.P{i}"), 5.into());
        }
        let submission = |answers: &serde_json::Map<String, serde_json::Value>| {
            serde_json::json!({"token": form["token"], "layanan": "ktp-el", "answers": answers}).to_string()
        };
        // SPAK missing: refused by field, nothing stored
        let reply = app.post_raw(&format!("/api/v1/units/{UNIT}/responses"), "application/json", &submission(&answers));
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert!(reply.body.contains("answers.spak-zi.K1"), "{name}: {}", reply.body);
        assert_eq!(count(&app), (0, 0, 0), "{name}");
        for i in 1..=5 {
            answers.insert(format!("spak-zi.K{i}"), 6.into());
        }
        let reply = app.post_raw(&format!("/api/v1/units/{UNIT}/responses"), "application/json", &submission(&answers));
        assert_eq!(reply.status, 201, "{name}: {}", reply.body);
        assert_eq!(count(&app), (1, 9, 13), "{name}");
    }
}

#[test]
fn only_an_attachable_template_can_be_attached() {
    for database in backends() {
        let _app = world(&database);
        let name = database.name;
        for template in ["kepmenpan-25-2004", "permenpanrb-14-2017"] {
            let (ok, _, err) = cli(&database, &["unit", "instrument", "add", "--unit", UNIT, "--template", template]);
            assert!(!ok && err.contains("--template") && err.contains("attachable"), "{name}: {template}: {err}");
        }
        let (ok, _, err) = cli(&database, &["unit", "instrument", "add", "--unit", UNIT, "--template", "tidak-ada"]);
        assert!(!ok && err.contains("--template"), "{name}: {err}");
        // attaching twice changes nothing; removing takes it off the form
        let (ok, out, _) = cli(&database, &["unit", "instrument", "add", "--unit", UNIT, "--template", "spkp-zi"]);
        assert!(ok && out.contains("already"), "{name}: {out}");
        let (ok, _, _) = cli(&database, &["unit", "instrument", "remove", "--unit", UNIT, "--template", "spkp-zi"]);
        assert!(ok, "{name}");
        let (_, listed, _) = cli(&database, &["unit", "instrument", "list", "--unit", UNIT]);
        assert_eq!(listed, "spak-zi\n", "{name}");
    }
}

#[test]
fn a_template_file_error_names_the_file_and_the_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).expect("dir");
    let text =
        include_str!("../../survey-templates/spkp-zi.toml").replacen("attachable = true", "attachable = \"ya\"", 1);
    let line = 1 + text.split("attachable = \"ya\"").next().map_or(0, |p| p.matches('\n').count());
    std::fs::write(templates.join("spkp-zi.toml"), text).expect("write");
    let out = skm(dir.path()).env("SKM_TEMPLATES_DIR", &templates).args(["unit", "list"]).output().expect("run skm");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&format!("spkp-zi.toml:{line}:")), "{err}");
}

/// The demo's last 365 days, as its responses are spread.
fn demo_year() -> String {
    let today = skm::demo::today(chrono_tz::Asia::Makassar);
    skm::domain::period::Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

#[test]
fn the_demo_has_a_zona_integritas_unit_with_its_own_dashboard_and_report_sections() {
    use calamine::Reader;
    for database in backends() {
        let app = TestApp::spawn(&database);
        let name = database.name;
        let (registry, accounts) = common::seed_demo(&mut app.conn(), 600, 7);
        let admin = accounts.iter().find(|a| a.role == skm::domain::names::Role::Admin).expect("admin");
        let cookie = app.login(&admin.email, &admin.password).expect("signed in");
        let zi = skm::demo::ZI_UNIT;
        let period = demo_year();

        // SKM counts exactly the unit's responses; each instrument its own answers
        let mut conn = app.conn();
        let unit = skm::db::units::by_slug(&mut conn, zi).expect("the ZI unit");
        let stored: i64 =
            responses::table.filter(responses::unit_id.eq(unit.id)).count().get_result(&mut conn).expect("count");
        let selection = Selection { period: period.parse().expect("period"), with_subunits: false, service_id: None };
        let index = aggregator::unit_index(&mut conn, &registry, &unit, &selection).expect("index");
        assert_eq!(index.result.responses, stored as u64, "{name}");
        let instruments = aggregator::instruments(&mut conn, &registry, &index).expect("instruments");
        assert_eq!(instruments.len(), 2, "{name}");
        for i in &instruments {
            assert_eq!(i.result.responses, stored as u64, "{name}: {} answered with every response", i.template.id);
            let percent = i.result.percent_of_max.expect("a percentage").to_f64();
            assert!((50.0..95.0).contains(&percent), "{name}: {} at {percent} %: a plausible spread", i.template.id);
        }
        drop(conn);

        let reply = app.get_as(&cookie, &format!("/dasbor/unit/{zi}?period={period}"));
        assert_eq!(reply.status, 200, "{name}");
        for title in ["Survei Persepsi Kualitas Pelayanan (SPKP)", "Survei Persepsi Anti Korupsi (SPAK)"] {
            assert!(reply.body.contains(&format!("\">{title}</h2>")), "{name}: the dashboard's {title} section");
        }
        assert!(reply.body.contains("dari nilai maksimum"), "{name}");
        // another unit has none
        let other = app.get_as(&cookie, &format!("/dasbor/unit/disdukcapil?period={period}"));
        assert!(!other.body.contains("(SPKP)"), "{name}");

        let pdf = app.get_as(&cookie, &format!("/dasbor/unit/{zi}/laporan.pdf?period={period}"));
        assert_eq!(pdf.status, 200, "{name}");
        if let Some(text) = common::pdf_text(&pdf.bytes, &format!("zona-integritas-{name}.pdf")) {
            assert!(text.contains("C. Survei Persepsi Kualitas Pelayanan (SPKP)"), "{name}");
            assert!(text.contains("D. Survei Persepsi Anti Korupsi (SPAK)"), "{name}");
            assert!(text.contains("KUESIONER (Survei Persepsi Anti Korupsi (SPAK)"), "{name}: its questionnaire");
        }
        let xlsx = app.get_as(&cookie, &format!("/dasbor/unit/{zi}/laporan.xlsx?period={period}"));
        assert_eq!(xlsx.status, 200, "{name}");
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.bytes)).expect("xlsx");
        let names = book.sheet_names().to_vec();
        assert!(names.contains(&"ZI spkp-zi".to_string()) && names.contains(&"ZI spak-zi".to_string()), "{names:?}");
        let sheet = book.worksheet_range("ZI spkp-zi").expect("sheet");
        // the element rows (P1..P8), then n, the mean and the percentage of the maximum
        let n = common::cell_number(sheet.get_value((13, 4)));
        assert_eq!(n, Some(stored as f64), "{name}");
        let percent = common::cell_number(sheet.get_value((15, 4))).expect("percent");
        let expected = instruments[0].result.percent_of_max.expect("percent").to_f64();
        assert!((percent - expected).abs() < 1e-9, "{name}: {percent} vs {expected}");
    }
}

#[test]
fn the_admin_attaches_and_detaches_instruments_on_the_unit_page() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let name = database.name;
        common::seed_unit_and_user(&app, UNIT, "admin@kutaitimurkab.go.id", skm::domain::names::Role::Admin);
        let cookie = app.login("admin@kutaitimurkab.go.id", common::PASSWORD).expect("signed in");
        let page = app.get_as(&cookie, "/admin").body;
        assert!(page.contains("Instrumen tambahan (Zona Integritas)"), "{name}");
        let csrf = common::hidden(&page, "csrf");
        let post = |action: &str, template: &str| {
            let body: Vec<(String, String)> = [("csrf", csrf.as_str()), ("unit", UNIT), ("template", template)]
                .map(|(k, v)| (k.into(), v.into()))
                .into();
            app.post_form_as(&cookie, &format!("/admin/{action}"), &body)
        };
        assert_eq!(post("instrument-add", "spak-zi").status, 303, "{name}");
        assert_eq!(post("instrument-add", "spkp-zi").status, 303, "{name}");
        let refused = post("instrument-add", "kepmenpan-25-2004");
        assert_eq!(refused.status, 422, "{name}: {}", refused.body);
        assert!(refused.body.contains("tidak dapat dilampirkan"), "{name}");
        common::assert_indonesian(&refused.body, "a refused instrument");
        let (_, form) = app.get(&format!("/s/{UNIT}"));
        let (spak, spkp) = (form.find("(SPAK)</h2>").expect("SPAK"), form.find("(SPKP)</h2>").expect("SPKP"));
        assert!(spak < spkp, "{name}: in the order attached");
        assert_eq!(post("instrument-remove", "spak-zi").status, 303, "{name}");
        let (_, form) = app.get(&format!("/s/{UNIT}"));
        assert!(!form.contains("(SPAK)") && form.contains("(SPKP)</h2>"), "{name}");
        assert_eq!(common::audited(&app, "unit.instrument").len(), 3, "{name}");
    }
}

#[test]
fn a_paper_questionnaire_of_a_zona_integritas_unit_is_typed_in_with_its_instruments() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let name = database.name;
        common::seed_unit_and_user(&app, UNIT, "op@kutaitimurkab.go.id", skm::domain::names::Role::Operator);
        let (ok, _, err) = cli(&database, &["unit", "instrument", "add", "--unit", UNIT, "--template", "spkp-zi"]);
        assert!(ok, "{name}: {err}");
        let cookie = app.login("op@kutaitimurkab.go.id", common::PASSWORD).expect("signed in");
        let page = app.get_as(&cookie, &format!("/operator/{UNIT}/kertas"));
        assert!(page.body.contains("name=\"spkp-zi.P8\" value=\"\" min=\"1\" max=\"6\""), "{name}: the paper layout");
        let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("U{i}"), "3".to_string())).collect();
        fields.extend((1..=7).map(|i| (format!("spkp-zi.P{i}"), "5".to_string())));
        fields.extend([
            ("csrf".into(), common::hidden(&page.body, "csrf")),
            ("layanan".into(), "ktp-el".into()),
            ("tanggal".into(), "2026-10-03".into()),
        ]);
        let reply = app.post_form_as(&cookie, &format!("/operator/{UNIT}/kertas"), &fields);
        assert!(reply.status == 422 && reply.body.contains("id=\"e-spkp-zi.P8\""), "{name}: P8 is required");
        assert!(reply.body.contains("name=\"spkp-zi.P7\" value=\"5\""), "{name}: kept");
        fields.push(("spkp-zi.P8".into(), "6".into()));
        let reply = app.post_form_as(&cookie, &format!("/operator/{UNIT}/kertas"), &fields);
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        assert_eq!(count(&app), (1, 9, 8), "{name}");
    }
}
