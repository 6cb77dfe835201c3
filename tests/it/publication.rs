//! Publication (issue 15, point 3): a unit with sub-units is published as its roll-up, an empty
//! period is refused, admins take a publication back, `/publik` lists the published periods and
//! names the elements in both languages, and the TV page rotates through the published units.

use crate::common;

use common::{backends, hidden, samples_dir, tool_available, webdriver, Reply, TestApp};
use diesel::prelude::*;
use skm::aggregator::{self, Selection, UnitIndex};
use skm::db::schema::{audit_log, publications};
use skm::db::units;
use skm::demo::{self, DemoAccount};
use skm::domain::names::Role;
use skm::domain::period::Period;

fn seed(app: &TestApp) -> Vec<DemoAccount> {
    common::seed_demo(&mut app.conn(), 1500, 15).1
}

fn admin(app: &TestApp, accounts: &[DemoAccount]) -> String {
    let a = accounts.iter().find(|a| a.role == Role::Admin).expect("the demo admin");
    app.login(&a.email, &a.password).expect("signed in")
}

/// The month before this one and the one before that: the demo fills both completely.
fn last_months() -> (Period, Period) {
    let this = Period::month_of(demo::today(chrono_tz::Asia::Makassar));
    (this.previous(), this.previous().previous())
}

fn index(app: &TestApp, slug: &str, period: Period, with_subunits: bool) -> UnitIndex {
    let mut conn = app.conn();
    let registry = common::registry(&mut conn);
    let unit = units::by_slug(&mut conn, slug).expect("unit");
    aggregator::unit_index(&mut conn, &registry, &unit, &Selection { period, with_subunits, service_id: None })
        .expect("index")
}

fn post_admin(app: &TestApp, cookie: &str, action: &str, unit: &str, period: &str) -> Reply {
    let csrf = hidden(&app.get_as(cookie, "/admin").body, "csrf");
    let fields = [("csrf", csrf.as_str()), ("unit", unit), ("period", period)];
    app.post_form_as(cookie, &format!("/admin/{action}"), &fields.map(|(k, v)| (k.to_string(), v.to_string())))
}

fn publish(app: &TestApp, cookie: &str, unit: &str, period: Period) {
    let reply = post_admin(app, cookie, "publish", unit, &period.to_string());
    assert_eq!(reply.status, 303, "publishing {unit} {period}: {}", reply.body);
}

fn nik(index: &UnitIndex) -> String {
    index.result.index.expect("an index").format_with(',')
}

#[test]
fn publishing_the_regency_publishes_its_roll_up_with_its_units() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let cookie = admin(&app, &accounts);
        let (latest, older) = last_months();
        publish(&app, &cookie, "kutim", older);
        publish(&app, &cookie, "kutim", latest);
        let expected = index(&app, "kutim", latest, true);
        let roll_up = expected.roll_up.as_ref().expect("the regency has units");
        assert!(roll_up.members.len() >= 10, "{}", database.name);

        let page = app.get_with("/publik", &[]);
        assert_eq!(page.status, 200, "{}", database.name);
        let body = &page.body;
        assert!(
            body.contains(&format!("NIK gabungan (semua responden) <strong>{}</strong>", nik(&expected))),
            "{}: the pooled NIK of the roll-up: {body}",
            database.name
        );
        let mean = roll_up.mean_of_units.expect("a mean of units").format_with(',');
        assert!(
            body.contains(&format!("Rata-rata NIK unit (tanpa bobot): <strong>{mean}</strong>")),
            "{}: the mean of units beside it",
            database.name
        );
        assert!(body.contains(&format!("{} Responden", expected.result.responses)), "{}", database.name);
        assert!(!body.contains(" 0 Responden") && !body.contains(">0 Responden"), "{}: an empty result", database.name);
        for member in &roll_up.members {
            assert!(body.contains(&member.unit.name), "{}: the unit {} is not named", database.name, member.unit.name);
            let figure = format!("<td>{}</td><td class=\"num\">{}</td>", member.unit.name, nik_of(&member.result));
            assert!(body.contains(&figure), "{}: {} with its own NIK", database.name, member.unit.name);
        }
        // both published periods are listed, the latest first, and the older one is reachable
        let (at_latest, at_older) = (body.find(&latest.label_id()), body.find(&older.label_id()));
        assert!(at_latest.is_some() && at_older.is_some(), "{}: both periods listed", database.name);
        assert!(at_latest < at_older, "{}: the latest period first", database.name);
        let link = format!("/publik?period={older}");
        assert!(body.contains(&format!("href=\"{link}\"")), "{}: a link to {link}", database.name);
        let older_page = app.get_with(&link, &[]);
        assert_eq!(older_page.status, 200);
        let older_index = index(&app, "kutim", older, true);
        assert!(
            older_page.body.contains(&format!("NIK gabungan (semua responden) <strong>{}</strong>", nik(&older_index))),
            "{}: the older period's roll-up",
            database.name
        );
        assert_eq!(app.get_with("/publik?period=2019", &[]).status, 404, "a period never published");

        // stored as the roll-up and audited as one
        let stored: Vec<bool> =
            publications::table.select(publications::with_subunits).load(&mut app.conn()).expect("rows");
        assert_eq!(stored, [true, true], "{}", database.name);
        let log = common::audited(&app, "unit.publish");
        assert!(log.iter().all(|d| d.contains("kutim") && d.contains("with its sub-units")), "{log:?}");
        let admin_page = app.get_as(&cookie, "/admin").body;
        assert!(admin_page.contains("gabungan dengan sub-unit") && admin_page.contains(&older.label_id()));
    }
}

fn nik_of(result: &skm::domain::ikm::IndexResult) -> String {
    result.index.map(|v| v.format_with(',')).unwrap_or_else(|| "–".into())
}

#[test]
fn publishing_a_period_without_responses_is_refused_and_changes_nothing() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let cookie = admin(&app, &accounts);
        let (latest, _) = last_months();
        publish(&app, &cookie, "disdukcapil", latest);
        let before = app.get_with("/publik", &[]).body;
        let audit_before = audit_log::table.count().get_result::<i64>(&mut app.conn()).expect("count");
        for (unit, name) in [("kutim", "Pemerintah Kabupaten Kutai Timur"), ("dishub", "Dinas Perhubungan")] {
            let reply = post_admin(&app, &cookie, "publish", unit, "2019");
            assert_eq!(reply.status, 422, "{}: {}", database.name, reply.body);
            let message = format!("{name} belum punya responden pada Tahun 2019; hasil kosong tidak dipublikasikan");
            assert!(
                reply.body.contains(&message),
                "{}: the refusal names unit and period: {}",
                database.name,
                reply.body
            );
        }
        assert_eq!(publications::table.count().get_result::<i64>(&mut app.conn()).expect("count"), 1);
        assert_eq!(audit_log::table.count().get_result::<i64>(&mut app.conn()).expect("count"), audit_before);
        assert_eq!(app.get_with("/publik", &[]).body, before, "{}: /publik changed", database.name);
    }
}

#[test]
fn an_admin_takes_a_publication_back_and_it_leaves_the_public_page() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let cookie = admin(&app, &accounts);
        let (latest, older) = last_months();
        publish(&app, &cookie, "disdukcapil", latest);
        publish(&app, &cookie, "dishub", older);
        let page = app.get_with("/publik", &[]).body;
        assert!(page.contains("Dinas Kependudukan dan Pencatatan Sipil") && page.contains("Dinas Perhubungan"));
        let admin_page = app.get_as(&cookie, "/admin").body;
        assert!(admin_page.contains("action=\"/admin/unpublish\""), "an unpublish form per publication");
        assert!(admin_page.contains(&format!("name=\"period\" value=\"{latest}\"")));

        let reply = post_admin(&app, &cookie, "unpublish", "disdukcapil", &latest.to_string());
        assert_eq!(reply.status, 303, "{}: {}", database.name, reply.body);
        let page = app.get_with("/publik", &[]).body;
        assert!(!page.contains("Dinas Kependudukan dan Pencatatan Sipil"), "{}: still public", database.name);
        assert!(page.contains("Dinas Perhubungan"), "{}: the other publication stays", database.name);
        assert_eq!(common::audited(&app, "unit.unpublish"), [format!("unpublished disdukcapil {latest}")]);
        let screen = app.get_with("/publik/layar?unit=disdukcapil", &[]);
        assert_eq!(screen.status, 404, "{}", database.name);
        // the screen showing it keeps rotating: its page refreshes to the start of the rotation
        assert!(screen.body.contains("http-equiv=\"refresh\""), "{}: {}", database.name, screen.body);
        assert!(screen.body.contains("url=/publik/layar\""), "{}: {}", database.name, screen.body);

        let again = post_admin(&app, &cookie, "unpublish", "disdukcapil", &latest.to_string());
        assert_eq!(again.status, 422, "{}", database.name);
        assert!(again.body.contains("tidak sedang dipublikasikan"), "{}", again.body);
    }
}

#[test]
fn the_public_page_names_the_elements_in_both_languages() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let cookie = admin(&app, &accounts);
        let (latest, _) = last_months();
        publish(&app, &cookie, "dishub", latest);
        let expected = index(&app, "dishub", latest, false);
        let page = app.get_with("/publik", &[]);
        for name in ["Persyaratan", "Sistem, Mekanisme, dan Prosedur", "Penanganan Pengaduan, Saran dan Masukan"] {
            assert!(page.body.contains(name), "{}: the element {name} is not named", database.name);
        }
        assert!(page.body.contains("NIK per unsur"), "{}", database.name);
        assert!(page.body.contains(&format!("NIK <strong>{}</strong>", nik(&expected))), "{}", database.name);
        assert!(page.body.contains(&latest.label_id()));
        for english in
            [app.get_with("/publik?lang=en", &[]), app.get_with("/publik", &[("Accept-Language", "en-GB,en;q=0.9")])]
        {
            assert_eq!(english.status, 200);
            assert!(english.body.contains("<html lang=\"en\">"), "{}", database.name);
            for text in ["Requirements", "Respondents", "Scores per element", &latest.label_en()] {
                assert!(english.body.contains(text), "{}: the English page lacks {text}", database.name);
            }
            assert!(!english.body.contains("Persyaratan"), "{}: Indonesian element names in English", database.name);
        }
        let id = app.get_with("/publik?lang=id", &[("Accept-Language", "en")]);
        assert!(id.body.contains("Persyaratan"), "an explicit ?lang=id wins over the browser");
        assert!(app.get_with("/publik", &[]).header("vary").is_some_and(|v| v.contains("Accept-Language")));
    }
}

/// The `(seconds, next unit)` of the page's meta refresh.
fn refresh_of(body: &str) -> (u32, String) {
    let start = body.find("<meta http-equiv=\"refresh\" content=\"").expect("a meta refresh") + 36;
    let content = &body[start..start + body[start..].find('"').expect("closed")];
    let (seconds, url) = content.split_once(";url=/publik/layar?unit=").expect("to the next unit");
    (seconds.parse().expect("seconds"), url.to_string())
}

#[test]
fn the_tv_page_shows_one_unit_in_large_type_and_moves_on_to_the_next() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.tv_seconds = 7);
        let accounts = seed(&app);
        let cookie = admin(&app, &accounts);
        let (latest, older) = last_months();
        publish(&app, &cookie, "kutim", older);
        publish(&app, &cookie, "kutim", latest);
        publish(&app, &cookie, "disdukcapil", older);
        publish(&app, &cookie, "dishub", latest);

        // the roll-up first, then by name; after the last, the first again
        let mut seen = Vec::new();
        let mut slug = "kutim".to_string();
        for _ in 0..3 {
            let page = app.get_with(&format!("/publik/layar?unit={slug}"), &[]);
            assert_eq!(page.status, 200, "{}: {slug}: {}", database.name, page.body);
            assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
            assert!(page.body.contains("class=\"tv\"") && page.body.contains("class=\"tv-value\""));
            let (seconds, next) = refresh_of(&page.body);
            assert_eq!(seconds, 7, "{}: the configured seconds", database.name);
            seen.push(slug.clone());
            slug = next;
        }
        assert_eq!(seen, ["kutim", "disdukcapil", "dishub"], "{}", database.name);
        assert_eq!(slug, "kutim", "{}: back to the first", database.name);

        let kutim = app.get_with("/publik/layar?unit=kutim", &[]).body;
        let expected = index(&app, "kutim", latest, true);
        for text in [
            format!("<span class=\"tv-value\">{}</span>", nik(&expected)),
            format!("<span class=\"tv-value\">{}</span>", expected.result.responses),
            "NIK gabungan (semua responden)".to_string(),
            latest.label_id(),
            "Persyaratan".to_string(),
            "<svg".to_string(),
            "Berikutnya dalam 7 detik: Dinas Kependudukan dan Pencatatan Sipil".to_string(),
        ] {
            assert!(kutim.contains(&text), "{}: the TV page lacks {text}", database.name);
        }
        assert!(!kutim.contains(&older.label_id()), "{}: only the latest period", database.name);
        let english = app.get_with("/publik/layar?unit=kutim&lang=en", &[]).body;
        assert!(english.contains("Pooled NIK (all respondents)"), "{english}");
        assert!(english.contains("url=/publik/layar?unit=disdukcapil&#38;lang=en"), "{english}");
        let first = app.get_with("/publik/layar", &[]).body;
        assert!(first.contains("Pemerintah Kabupaten Kutai Timur"), "no unit: the first one");
        assert_eq!(refresh_of(&first).1, "disdukcapil");

        let css = app.get("/static/skm.css").1;
        assert!(css.contains(".tv-value{font-size:11vh"), "large type on the TV");
        for unit in ["tidak-ada", "dinkes", "%27%20OR%201=1"] {
            let reply = app.get_with(&format!("/publik/layar?unit={unit}"), &[]);
            assert_eq!(reply.status, 404, "{}: {unit}", database.name);
            assert!(reply.header("content-type").is_some_and(|t| t.starts_with("text/html")), "a page, not JSON");
            assert!(reply.body.contains("Halaman tidak ditemukan"), "{}", reply.body);
        }
    }
}

#[test]
fn the_public_pages_as_a_person_sees_them() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let accounts = seed(&app);
    let cookie = admin(&app, &accounts);
    let (latest, older) = last_months();
    publish(&app, &cookie, "kutim", older);
    publish(&app, &cookie, "kutim", latest);
    publish(&app, &cookie, "dishub", latest);
    let browser = webdriver::Browser::start(1280, 900);
    browser.open(&app.url("/publik"));
    browser.wait_for_text("NIK gabungan");
    browser.screenshot(&samples_dir().join("publik.png"));
    let tv = webdriver::Browser::start(1920, 1080);
    tv.open(&app.url("/publik/layar?unit=kutim"));
    tv.wait_for_text("NIK gabungan");
    tv.screenshot_viewport(&samples_dir().join("publik-layar.png"));
    tv.open(&app.url("/publik/layar?unit=dishub&lang=en"));
    tv.wait_for_text("Dinas Perhubungan");
    tv.screenshot_viewport(&samples_dir().join("publik-layar-en.png"));
}
