//! The `/dasbor` ranking as a reader must be able to trust it (issue 15, point 4): dashboards open
//! on the last complete month (or the running one when set), a period picker with readable labels
//! and a custom range, a badge on units short of their sample with an adequate-only toggle, and
//! units with the same published NIK sharing a rank; on every backend, and in a browser.

use crate::common;

use common::{backends, samples_dir, seed_unit_and_user, tool_available, webdriver, TestApp, TestDb, PASSWORD};
use skm::config::DashboardPeriod;
use skm::domain::names::Role;
use skm::domain::period::{local_date, Period};

const ADMIN: &str = "admin@kutaitimurkab.go.id";

fn today(app: &TestApp) -> chrono::NaiveDate {
    local_date(chrono::Utc::now(), app.config.timezone)
}

/// The app with the burst rule off: the fixtures send identical answer sets from one address.
fn spawn(database: &TestDb, period: DashboardPeriod) -> TestApp {
    TestApp::spawn_with(database, |c| {
        c.burst_threshold = 0;
        c.dashboard_period = period;
    })
}

/// One response through the public form of `slug`, every element answered with `score` except
/// as `common::filled` has it when `score` is `None` (U1 = 3, the rest 4).
fn respond(app: &TestApp, slug: &str, score: Option<&str>) {
    let (status, form) = app.get(&format!("/s/{slug}"));
    assert_eq!(status, 200, "the form of {slug}");
    let mut fields = common::filled(&common::token_of(&form));
    if let Some(score) = score {
        for (name, value) in fields.iter_mut() {
            if name.len() == 2 && name.starts_with('U') {
                *value = score.to_string();
            }
        }
    }
    let stored = app.post_form(&format!("/s/{slug}"), &fields);
    assert_eq!(stored.status, 303, "{slug}: {}", stored.body);
}

/// Units under a regency `induk`, answered in the running month:
/// - `alfa` and `beta`: two identical responses each (NIK 97,22), population 2 (sample 2: adequate)
/// - `gamma`: one response, all 4 (NIK 100), population 50 (sample 44: short, "1 dari 44")
/// - `delta`: one response, all 2 (NIK 50), no population recorded
///
/// Returns the admin's session cookie (signed in after the units exist, so they are in scope).
fn seed_ranking(app: &TestApp) -> String {
    use diesel::prelude::*;
    use skm::db::schema::units as table;
    let induk = seed_unit_and_user(app, "induk", ADMIN, Role::Admin);
    let running = Period::month_of(today(app)).to_string();
    for (slug, population) in [("alfa", Some(2)), ("beta", Some(2)), ("gamma", Some(50)), ("delta", None)] {
        let id = seed_unit_and_user(app, slug, &format!("kepala@{slug}.go.id"), Role::UnitHead);
        let mut conn = app.conn();
        diesel::update(table::table.find(id)).set(table::parent_id.eq(Some(induk))).execute(&mut conn).expect("parent");
        if let Some(n) = population {
            skm::db::units::set_population(&mut conn, id, &running, n).expect("population");
        }
    }
    for slug in ["alfa", "alfa", "beta", "beta"] {
        respond(app, slug, None);
    }
    respond(app, "gamma", Some("4"));
    respond(app, "delta", Some("2"));
    app.login(ADMIN, PASSWORD).expect("admin signs in")
}

/// The ranking table's rows as (rank, unit slug), top to bottom.
fn ranking(body: &str) -> Vec<(String, String)> {
    let tbody = body.split("<tbody>").nth(1).and_then(|t| t.split("</tbody>").next()).expect("a ranking table");
    tbody
        .split("<tr>")
        .skip(1)
        .map(|row| {
            let rank = row.split("<td class=\"rank\">").nth(1).and_then(|r| r.split('<').next()).expect("a rank cell");
            let slug = row.split("/dasbor/unit/").nth(1).and_then(|r| r.split('?').next()).expect("a unit link");
            (rank.to_string(), slug.to_string())
        })
        .collect()
}

/// The table row of unit `slug`.
/// The unit's row of a table (the ranking, or a roll-up's units), past the "perlu perhatian" card
/// that names some units first.
fn row_of<'a>(body: &'a str, slug: &str) -> &'a str {
    let tables = body.find("<table").map_or(body, |at| &body[at..]);
    let start = tables.find(&format!("/dasbor/unit/{slug}?")).unwrap_or_else(|| panic!("no row for {slug}"));
    tables[start..].split("</tr>").next().unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(r, s)| (r.to_string(), s.to_string())).collect()
}

#[test]
fn dashboards_open_on_the_last_complete_month_unless_set_to_the_running_one() {
    for database in backends() {
        let app = spawn(&database, DashboardPeriod::LastComplete);
        let admin = seed_ranking(&app);
        let running = Period::month_of(today(&app));
        let last = running.previous();
        for path in ["/dasbor", "/dasbor/unit/induk"] {
            let page = app.get_as(&admin, path);
            assert_eq!(page.status, 200, "{}: {path}", database.name);
            assert!(
                page.body.contains(&format!("<p class=\"unit\">{}</p>", last.label_id())),
                "{}: {path} opens on {}",
                database.name,
                last.label_id()
            );
            assert!(page.body.contains(&format!("<option value=\"{last}\" selected>")), "{}: {path}", database.name);
        }
        // last month has no responses: nothing is ranked, the units are listed without a rank
        let opening = app.get_as(&admin, "/dasbor");
        assert!(ranking(&opening.body).iter().all(|(rank, _)| rank == "–"), "{}", database.name);

        let app = spawn(&database, DashboardPeriod::Running);
        let admin = app.login(ADMIN, PASSWORD).expect("admin signs in");
        for path in ["/dasbor", "/dasbor/unit/induk"] {
            let page = app.get_as(&admin, path);
            assert!(
                page.body.contains(&format!("<p class=\"unit\">{}</p>", running.label_id())),
                "{}: {path} opens on the running month when set",
                database.name
            );
        }
        let opening = app.get_as(&admin, "/dasbor");
        assert_eq!(ranking(&opening.body)[0], ("1".to_string(), "gamma".to_string()), "{}", database.name);
    }
}

#[test]
fn the_period_picker_shows_readable_labels_and_a_custom_range_works() {
    for database in backends() {
        let app = spawn(&database, DashboardPeriod::LastComplete);
        let admin = seed_ranking(&app);
        let today = today(&app);
        let year = chrono::Datelike::year(&today);
        let running = Period::month_of(today);
        for path in ["/dasbor", "/dasbor/unit/induk"] {
            let page = app.get_as(&admin, path).body;
            for option in [
                format!("<option value=\"{year}\">Tahun {year}</option>"),
                format!("<option value=\"{year}-Q1\">Triwulan I {year}</option>"),
                format!("<option value=\"{}-S2\">Semester II {}</option>", year - 1, year - 1),
                format!("<option value=\"{running}\">{} (berjalan)</option>", running.label_id()),
                "<input type=\"date\" id=\"f-dari\" name=\"dari\" value=\"\">".to_string(),
                "<input type=\"date\" id=\"f-sampai\" name=\"sampai\" value=\"\">".to_string(),
            ] {
                assert!(page.contains(&option), "{}: {path} lacks {option}", database.name);
            }
            assert!(!page.contains("<script"), "no script");
        }

        // the range as the form submits it: the "Rentang tanggal" choice (empty) and two dates
        let from = running.previous().first_day();
        let range = format!("period=&dari={from}&sampai={today}");
        let page = app.get_as(&admin, &format!("/dasbor?{range}&kind="));
        assert_eq!(page.status, 200, "{}: {}", database.name, page.body);
        let label = Period::Range { from, to: today }.label_id();
        assert!(page.body.contains(&format!("<p class=\"unit\">{label}</p>")), "{}: {label}", database.name);
        assert!(page.body.contains("<option value=\"\" selected>Rentang tanggal</option>"), "{}", database.name);
        assert!(page.body.contains(&format!("name=\"dari\" value=\"{from}\"")), "{}: dates kept", database.name);
        // the range holds this month's responses
        let ranked = ranking(&page.body);
        assert_eq!(
            ranked,
            pairs(&[("1", "gamma"), ("2", "alfa"), ("2", "beta"), ("4", "delta"), ("–", "induk")]),
            "{}",
            database.name
        );
        // links into a unit keep the range, and the unit page takes it too
        let link = format!("/dasbor/unit/alfa?period={from}..{today}");
        assert!(page.body.contains(&link), "{}", database.name);
        let unit = app.get_as(&admin, &format!("/dasbor/unit/induk?{range}&sub=1"));
        assert_eq!(unit.status, 200, "{}", database.name);
        assert!(unit.body.contains(&format!("<p class=\"unit\">{label}</p>")), "{}", database.name);

        // a chosen period wins over dates left in the form; half a range or a typo is refused
        let page = app.get_as(&admin, &format!("/dasbor?period={running}&dari={from}&sampai={today}"));
        assert!(page.body.contains(&format!("<p class=\"unit\">{}</p>", running.label_id())));
        for bad in [
            "period=bogus",
            "dari=2026-01-01",
            "sampai=2026-01-01",
            "dari=2026-02-30&sampai=2026-03-01",
            "dari=2026-03-01&sampai=2026-01-01",
        ] {
            assert_eq!(app.get_as(&admin, &format!("/dasbor?{bad}")).status, 400, "{}: {bad}", database.name);
            assert_eq!(app.get_as(&admin, &format!("/dasbor/unit/alfa?{bad}")).status, 400, "{}: {bad}", database.name);
        }
    }
}

#[test]
fn a_unit_short_of_its_sample_carries_a_badge_and_leaves_the_adequate_only_ranking() {
    for database in backends() {
        let app = spawn(&database, DashboardPeriod::LastComplete);
        let admin = seed_ranking(&app);
        let running = Period::month_of(today(&app));
        let page = app.get_as(&admin, &format!("/dasbor?period={running}")).body;
        assert!(
            row_of(&page, "gamma").contains("<span class=\"badge\">sampel kurang: 1 dari 44</span>"),
            "{}: {}",
            database.name,
            row_of(&page, "gamma")
        );
        assert!(row_of(&page, "delta").contains("populasi belum dicatat"), "{}", database.name);
        for adequate in ["alfa", "beta"] {
            assert!(!row_of(&page, adequate).contains("class=\"badge"), "{}: {adequate} has its sample", database.name);
        }
        for legend in ["berbagi peringkat", "sampel minimal Krejcie–Morgan", "Populasi periode ini belum dicatat"] {
            assert!(page.contains(legend), "{}: the legend explains {legend}", database.name);
        }
        assert!(page.contains("name=\"cukup\" value=\"1\">"), "{}: the toggle is off", database.name);

        let adequate = app.get_as(&admin, &format!("/dasbor?period={running}&cukup=1")).body;
        assert_eq!(ranking(&adequate), pairs(&[("1", "alfa"), ("1", "beta")]), "{}", database.name);
        assert!(!adequate.contains("/dasbor/unit/gamma") && !adequate.contains("/dasbor/unit/delta"));
        assert!(adequate.contains("name=\"cukup\" value=\"1\" checked>"), "{}: the toggle stays on", database.name);
        // induk (no responses, no population), gamma and delta
        assert!(adequate.contains("3 unit tidak diperingkat"), "{}: says who is left out", database.name);
    }
}

#[test]
fn units_with_the_same_published_nik_share_a_rank() {
    for database in backends() {
        let app = spawn(&database, DashboardPeriod::LastComplete);
        let admin = seed_ranking(&app);
        let running = Period::month_of(today(&app));
        let page = app.get_as(&admin, &format!("/dasbor?period={running}")).body;
        assert_eq!(
            ranking(&page),
            pairs(&[("1", "gamma"), ("2", "alfa"), ("2", "beta"), ("4", "delta"), ("–", "induk")]),
            "{}",
            database.name
        );
        assert!(row_of(&page, "alfa").contains("<td>97,22</td>") && row_of(&page, "beta").contains("<td>97,22</td>"));

        // the roll-up's per-unit table ranks the same way
        let roll_up = app.get_as(&admin, &format!("/dasbor/unit/induk?period={running}&sub=1"));
        assert_eq!(roll_up.status, 200, "{}", database.name);
        let members = roll_up.body.split("id=\"h-members\"").nth(1).expect("the per-unit table");
        assert_eq!(
            ranking(members),
            pairs(&[("1", "gamma"), ("2", "alfa"), ("2", "beta"), ("4", "delta")]),
            "{}",
            database.name
        );
    }
}

#[test]
fn the_ranking_as_a_person_sees_it() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let accounts = common::seed_demo(&mut app.conn(), 2000, 7).1;
    let admin = accounts.iter().find(|a| a.role == Role::Admin).expect("admin");
    for (width, file) in [(1280, "dasbor-ranking.png"), (390, "dasbor-ranking-390.png")] {
        let browser = webdriver::Browser::start(width, 900);
        browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
        browser.wait_for_text("sampel kurang");
        browser.screenshot(&samples_dir().join(file));
        // nothing wider than the window: wide tables scroll inside their box
        let overflow = browser.script("return document.documentElement.scrollWidth - window.innerWidth;", vec![]);
        assert!(
            overflow.as_i64().is_some_and(|o| o <= 0),
            "{width} px: the page is wider than the window by {overflow}"
        );
    }

    // a custom range through the picker, as a person submits it
    let browser = webdriver::Browser::start(1280, 900);
    browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
    browser.click("#f-period option[value='']");
    let today = local_date(chrono::Utc::now(), app.config.timezone);
    let from = Period::month_of(today).previous().previous().first_day();
    // a date field's typing order follows the browser's locale; its value is always ISO
    browser.script(
        "document.getElementById('f-dari').value = arguments[0]; document.getElementById('f-sampai').value = arguments[1];",
        vec![from.to_string().into(), today.to_string().into()],
    );
    browser.click("form.filters button[type=submit]");
    browser.wait_for_url(&format!("dari={from}"));
    let label = Period::Range { from, to: today }.label_id();
    browser.wait_for_text(&label);
    browser.wait_for_text("Dinas Kependudukan dan Pencatatan Sipil");
    browser.screenshot(&samples_dir().join("dasbor-ranking-range.png"));
}
