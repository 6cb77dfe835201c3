//! Dashboards, the index API and role scopes over HTTP on every backend, the aggregator against
//! `skm compute` on its own CSV export, and screenshots of both dashboards.

use crate::common;

use crate::common::webdriver;

use common::{backends, hidden, samples_dir, tool_available, TestApp};
use serde_json::Value;
use skm::aggregator::{self, Selection};
use skm::catalog::Catalog;
use skm::catalog::TemplateRegistry;
use skm::db::{templates, units};
use skm::demo::{self, DemoAccount};
use skm::domain::ikm;
use skm::domain::names::Role;
use skm::domain::period::Period;
use skm::sheets::csv;

fn seed_demo(app: &TestApp, responses: usize) -> Vec<DemoAccount> {
    common::seed_demo(&mut app.conn(), responses, 7).1
}

fn login(app: &TestApp, accounts: &[DemoAccount], role: Role, unit: Option<&str>) -> String {
    let account = accounts.iter().find(|a| a.role == role && a.unit.as_deref() == unit).expect("demo account");
    app.login(&account.email, &account.password).expect("signed in")
}

fn year_to_date() -> String {
    let today = demo::today(chrono_tz::Asia::Makassar);
    Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

#[test]
fn the_demo_has_no_response_from_the_future() {
    use diesel::prelude::*;
    use skm::db::schema::responses;
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_demo(&app, 3000);
    let now = chrono::Utc::now().naive_utc();
    let latest: Option<chrono::NaiveDateTime> =
        responses::table.select(diesel::dsl::max(responses::submitted_at)).first(&mut app.conn()).expect("max");
    assert!(latest.is_some_and(|latest| latest <= now), "latest {latest:?}, now {now}");
}

#[test]
fn dashboards_show_the_index_and_respect_unit_scope() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed_demo(&app, 1500);
        let period = year_to_date();
        let admin = login(&app, &accounts, Role::Admin, None);
        let regency = app.get_as(&admin, &format!("/dasbor?period={period}"));
        assert_eq!(regency.status, 200, "{}", database.name);
        for text in [
            "Dinas Kependudukan dan Pencatatan Sipil",
            "Indeks kabupaten (gabungan semua responden)",
            "Rata-rata indeks unit (tanpa bobot)",
            "<svg",
        ] {
            assert!(regency.body.contains(text), "{}: regency page lacks {text}", database.name);
        }
        let unit = app.get_as(&admin, &format!("/dasbor/unit/disdukcapil?period={period}"));
        assert_eq!(unit.status, 200);
        for text in [
            "NIK <strong>",
            "Mutu <strong>",
            "Selang kepercayaan 95%",
            "NIK per unsur",
            "12 bulan terakhir",
            "Jenis kelamin",
            "Rencana tindak lanjut",
            "Menambah satu loket",
        ] {
            assert!(unit.body.contains(text), "{}: unit page lacks {text}", database.name);
        }
        let searched = app.get_as(&admin, &format!("/dasbor/unit/disdukcapil?period={period}&q=antrean"));
        let items: Vec<&str> = searched.body.split("<li><span class=\"hint\">").skip(1).collect();
        assert!(
            !items.is_empty() && items.iter().all(|i| i.to_lowercase().contains("antrean")),
            "search filters saran"
        );
        assert_eq!(app.get_as(&admin, "/dasbor?period=bogus").status, 400);

        // the saran list, newest first, 20 a page: the page takes them from the batch the themes
        // read, so each page and the count must be the database's own page and count
        {
            let mut conn = app.conn();
            let versions = common::registry(&mut conn);
            let u = units::by_slug(&mut conn, "disdukcapil").expect("unit");
            let selection =
                Selection { period: period.parse().expect("period"), with_subunits: false, service_id: None };
            let index = aggregator::unit_index(&mut conn, &versions, &u, &selection).expect("index");
            let scope = index.scope();
            let (_, total) = skm::db::aggregate::saran_page(&mut conn, &scope, None, 0, 20).expect("saran page");
            assert!(total > 40, "{}: the demo unit has more than two pages of saran ({total})", database.name);
            let pages = (total + 19) / 20;
            // the first, the second and the last, partly filled
            for page in [0, 1, pages - 1] {
                let (rows, _) = skm::db::aggregate::saran_page(&mut conn, &scope, None, page, 20).expect("saran page");
                let shown = app.get_as(&admin, &format!("/dasbor/unit/disdukcapil?period={period}&hal={page}"));
                assert_eq!(shown.status, 200, "{}", database.name);
                let listed: Vec<(String, String)> = shown
                    .body
                    .split("<li><span class=\"hint\">")
                    .skip(1)
                    .filter_map(|item| {
                        let item = item.split("</li>").next()?;
                        let (date, text) = item.split_once("</span> ")?;
                        Some((date.to_string(), unescape(text)))
                    })
                    .collect();
                assert_eq!(listed, rows, "{}: page {page} of the saran", database.name);
                assert!(
                    shown.body.contains(&format!("Halaman {} dari {pages}", page + 1)),
                    "{}: page {page} names {pages} pages",
                    database.name
                );
            }
        }

        // the index API equals the aggregator
        let api = app.get_as(&admin, &format!("/api/v1/units/disdukcapil/index?period={period}"));
        assert_eq!(api.status, 200, "{}", api.body);
        let json: Value = serde_json::from_str(&api.body).expect("json");
        let expected = {
            let mut conn = app.conn();
            let versions = common::registry(&mut conn);
            let u = units::by_slug(&mut conn, "disdukcapil").expect("unit");
            let selection =
                Selection { period: period.parse().expect("period"), with_subunits: false, service_id: None };
            aggregator::unit_index(&mut conn, &versions, &u, &selection).expect("index")
        };
        assert_eq!(json["index"]["nik"].as_f64(), expected.result.index.map(|v| v.to_f64()));
        assert_eq!(json["index"]["responses"].as_u64(), Some(expected.result.responses));
        assert_eq!(json["required_sample"].as_u64(), expected.required_sample);

        // a unit head sees their unit and its sub-units, and nothing else: 404 everywhere
        let head = login(&app, &accounts, Role::UnitHead, Some("dinkes"));
        assert_eq!(app.get_as(&head, &format!("/dasbor/unit/puskesmas-sangatta?period={period}")).status, 200);
        assert_eq!(app.get_as(&head, &format!("/dasbor/unit/dinkes?period={period}&sub=1")).status, 200);
        let csrf = hidden(&app.get_as(&head, "/dasbor").body, "csrf");
        let rtl = |unit: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("element".to_string(), "U3".to_string()),
                ("period".to_string(), "2026-10".to_string()),
                ("action".to_string(), format!("Tindakan {unit}")),
                ("owner".to_string(), "Kasubag".to_string()),
                ("due".to_string(), "2026-12-31".to_string()),
            ]
        };
        for path in [
            format!("/dasbor/unit/disdukcapil?period={period}"),
            format!("/api/v1/units/disdukcapil/index?period={period}"),
            "/operator/dinkes/kertas".to_string(),
            "/operator/dinkes/poster.pdf".to_string(),
            "/operator/dinkes/impor".to_string(),
            "/admin".to_string(),
        ] {
            assert_eq!(app.get_as(&head, &path).status, 404, "{}: unit head on {path}", database.name);
        }
        assert_eq!(app.post_form_as(&head, "/dasbor/unit/disdukcapil/rtl", &rtl("disdukcapil")).status, 404);
        assert_eq!(
            app.post_form_as(&head, "/admin/unit", &[("csrf".into(), csrf.clone()), ("slug".into(), "x".into())])
                .status,
            404
        );
        let mut no_csrf = rtl("dinkes");
        no_csrf[0].1 = "forged".into();
        assert_eq!(app.post_form_as(&head, "/dasbor/unit/dinkes/rtl", &no_csrf).status, 403, "CSRF");
        let added = app.post_form_as(&head, "/dasbor/unit/dinkes/rtl", &rtl("dinkes"));
        assert_eq!(added.status, 303, "{}", added.body);
        assert!(app.get_as(&head, "/dasbor/unit/dinkes").body.contains("Tindakan dinkes"));

        // operators enter data; dashboards are not theirs
        let operator = login(&app, &accounts, Role::Operator, Some("disdukcapil"));
        assert_eq!(app.get_as(&operator, &format!("/dasbor/unit/disdukcapil?period={period}")).status, 404);
        assert_eq!(app.get_as(&operator, "/api/v1/units/disdukcapil/index?period=2026").status, 404);
        assert_eq!(app.get_as(&operator, "/operator/disdukcapil/kertas").status, 200);
        assert_eq!(app.get_as(&operator, "/operator/dinkes/kertas").status, 404);
        assert_eq!(app.get_with("/dasbor", &[]).status, 303, "login required");
    }
}

#[test]
fn the_aggregator_equals_skm_compute_on_its_own_export() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed_demo(&app, 3000);
        let mut conn = app.conn();
        let catalog = Catalog::load(None).expect("templates");
        let versions =
            TemplateRegistry::register(&mut conn, &catalog, skm::domain::template::DEFAULT_TEMPLATE).expect("versions");
        let template = catalog.get("permenpanrb-14-2017").expect("template");
        let period: Period = year_to_date().parse().expect("period");
        for slug in ["disdukcapil", "puskesmas-bengalon", "dishub"] {
            let unit = units::by_slug(&mut conn, slug).expect("unit");
            let version_ids = templates::version_ids(&mut conn, &template.id).expect("versions");
            let mut exported = Vec::new();
            let count =
                skm::reports::csv_export::write(&mut conn, &template, &version_ids, &[unit.id], period, &mut exported)
                    .expect("export");
            assert!(count > 50, "{slug}: {count} responses");
            let rows = csv::parse(&template, exported.as_slice()).expect("the export parses as compute input");
            assert!(
                rows.iter().any(|r| r.scores.iter().any(Option::is_none)),
                "{slug}: the data has unanswered elements"
            );
            let from_csv = ikm::compute(&template, &csv::tally(&template, &rows), None);
            let selection = Selection { period, with_subunits: false, service_id: None };
            let from_db = aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index").result;
            assert_eq!(from_db.index_exact, from_csv.index_exact, "{}: {slug}", database.name);
            assert_eq!(from_db.elements, from_csv.elements, "{}: {slug}", database.name);
            assert_eq!(from_db.lowest, from_csv.lowest);
            assert_eq!(from_db.responses, count);
        }
    }
}

#[test]
fn both_dashboards_as_a_person_sees_them() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let accounts = seed_demo(&app, 2000);
    let admin = accounts.iter().find(|a| a.role == Role::Admin).expect("admin");
    let browser = webdriver::Browser::start(1280, 900);
    browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
    let period = year_to_date();
    browser.open(&app.url(&format!("/dasbor?period={period}")));
    browser.wait_for_text("Indeks kabupaten");
    browser.screenshot(&samples_dir().join("dashboard-regency.png"));
    browser.open(&app.url(&format!("/dasbor/unit/disdukcapil?period={period}")));
    browser.wait_for_text("NIK per unsur");
    browser.screenshot(&samples_dir().join("dashboard-unit.png"));
    browser.screenshot_viewport(&samples_dir().join("dashboard-unit-top.png"));
    browser.open(&app.url(&format!("/dasbor/unit/kutim?period={period}&sub=1")));
    browser.wait_for_text("Per unit");
    browser.screenshot(&samples_dir().join("dashboard-rollup.png"));
}

#[test]
fn a_regency_roll_up_has_its_units_their_populations_and_their_follow_up_actions() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed_demo(&app, 1500);
        let period = year_to_date();
        let admin = login(&app, &accounts, Role::Admin, None);
        let expected = {
            let mut conn = app.conn();
            let kutim = units::by_slug(&mut conn, "kutim").expect("regency");
            let selection =
                Selection { period: period.parse().expect("period"), with_subunits: true, service_id: None };
            let registry = common::registry(&mut conn);
            aggregator::unit_index(&mut conn, &registry, &kutim, &selection).expect("roll-up")
        };
        let roll_up = expected.roll_up.as_ref().expect("the regency has sub-units");
        // the regency and its Mal Pelayanan Publik have no responses of their own: the members are
        // the fifteen units below them
        assert_eq!(roll_up.members.len(), 15, "{}", database.name);
        let summed: u64 = roll_up.members.iter().filter_map(|m| m.population).sum();
        assert_eq!(expected.population, Some(summed), "{}: the population of the parts", database.name);
        assert!(roll_up.members.iter().any(|m| !m.rtl.is_empty()), "the follow-up actions of the parts");

        let page = app.get_as(&admin, &format!("/dasbor/unit/kutim?period={period}&sub=1"));
        assert_eq!(page.status, 200, "{}", database.name);
        for member in &roll_up.members {
            assert!(
                page.body.contains(&member.unit.name),
                "{}: per-unit table lacks {}",
                database.name,
                member.unit.name
            );
        }
        for text in
            ["Per unit", "NIK gabungan (semua responden)", "Rata-rata NIK unit (tanpa bobot)", "Menambah satu loket"]
        {
            assert!(page.body.contains(text), "{}: roll-up page lacks {text}", database.name);
        }
        assert!(!page.body.contains("belum dicatat"), "{}: the population of the parts is known", database.name);
        let grouped = skm::domain::decimal::Rounded::whole(summed as i64).format_id();
        assert!(page.body.contains(&format!("(Populasi {grouped})")), "{}: population {grouped} shown", database.name);

        // a new unit with a respondent and no population: only the coverage, no verdict
        let new_id = common::seed_unit_and_user(&app, "kelurahan-baru", "lurah@baru.go.id", Role::UnitHead);
        {
            use diesel::prelude::*;
            let mut conn = app.conn();
            let kutim = units::by_slug(&mut conn, "kutim").expect("regency");
            diesel::update(skm::db::schema::units::table.find(new_id))
                .set(skm::db::schema::units::parent_id.eq(Some(kutim.id)))
                .execute(&mut conn)
                .expect("moved under the regency");
        }
        let (_, form) = app.get("/s/kelurahan-baru");
        let stored = app.post_form("/s/kelurahan-baru", &common::filled(&common::token_of(&form)));
        assert_eq!(stored.status, 303, "{}", stored.body);
        let page = app.get_as(&admin, &format!("/dasbor/unit/kutim?period={period}&sub=1"));
        assert!(
            page.body.contains("Populasi tercatat untuk 15 dari 16 unit yang punya responden"),
            "{}: coverage shown",
            database.name
        );
        assert!(page.body.contains("Unit kelurahan-baru"), "{}: the new unit is listed", database.name);
    }
}

#[test]
fn signing_in_lands_each_role_where_its_work_is() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed_demo(&app, 200);
        for (role, unit, landing) in [
            (Role::UnitHead, Some("disdukcapil"), "/dasbor/unit/disdukcapil"),
            (Role::UnitHead, Some("dinkes"), "/dasbor/unit/dinkes"),
            (Role::Operator, Some("disdukcapil"), "/operator"),
            (Role::Admin, None, "/dasbor"),
        ] {
            let account = accounts.iter().find(|a| a.role == role && a.unit.as_deref() == unit).expect("account");
            let (_, page) = app.get("/masuk");
            let form = [
                ("token".to_string(), common::token_of(&page)),
                ("email".to_string(), account.email.clone()),
                ("password".to_string(), account.password.clone()),
                ("next".to_string(), hidden(&page, "next")),
            ];
            let reply = app.post_form("/masuk", &form);
            assert_eq!((reply.status, reply.header("location")), (303, Some(landing)), "{}: {role:?}", database.name);
        }
        // a page to return to still wins
        let (_, page) = app.get("/masuk?next=/akun/sandi");
        assert_eq!(hidden(&page, "next"), "/akun/sandi");
    }
}

#[test]
fn the_regency_dashboard_opens_with_the_units_needing_attention() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed_demo(&app, 600);
        let admin = login(&app, &accounts, Role::Admin, None);
        let period = year_to_date();
        let csrf = hidden(&app.get_as(&admin, "/dasbor").body, "csrf");
        let yesterday = (skm::demo::today(chrono_tz::Asia::Makassar) - chrono::Duration::days(1)).to_string();
        let action = [
            ("csrf", csrf.as_str()),
            ("element", "U3"),
            ("period", "2026-10"),
            ("action", "Tambah loket"),
            ("owner", "Kasubag Umum"),
            ("due", yesterday.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(app.post_form_as(&admin, "/dasbor/unit/dinkes/rtl", &action).status, 303);

        let page = app.get_as(&admin, &format!("/dasbor?period={period}")).body;
        let card = page.split("id=\"h-attention\"").nth(1).and_then(|s| s.split("</section>").next()).expect("card");
        let attention = page.find("id=\"h-attention\"").expect("the card");
        assert!(attention < page.find("id=\"h-ranking\"").expect("ranking"), "the card comes before the ranking");
        let dinkes = card
            .split("<li>")
            .find(|li| li.contains(">Dinas Kesehatan<"))
            .unwrap_or_else(|| panic!("dinkes is named: {card}"));
        assert!(dinkes.contains("<span class=\"late\">1 tindak lanjut terlambat</span>"), "{dinkes}");
        assert!(card.contains("NIK terendah: ") || card.contains(", mutu "), "the lowest NIK are named: {card}");
        common::assert_indonesian(&page, "/dasbor");
    }
}

#[test]
fn the_unit_dashboard_opens_with_what_to_fix() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed_demo(&app, 600);
        let head = login(&app, &accounts, Role::UnitHead, Some("disdukcapil"));
        let period = year_to_date();
        let lowest = {
            let mut conn = app.conn();
            let versions = common::registry(&mut conn);
            let unit = units::by_slug(&mut conn, "disdukcapil").expect("unit");
            let selection =
                Selection { period: period.parse().expect("period"), with_subunits: false, service_id: None };
            aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index").result.lowest
        };
        assert!(!lowest.is_empty());
        // one of them gets an action already late
        let csrf = hidden(&app.get_as(&head, "/dasbor").body, "csrf");
        let yesterday = (skm::demo::today(chrono_tz::Asia::Makassar) - chrono::Duration::days(2)).to_string();
        let today = skm::demo::today(chrono_tz::Asia::Makassar);
        let month = Period::month_of(today).to_string();
        let action = [
            ("csrf", csrf.as_str()),
            ("element", lowest[0].as_str()),
            ("period", month.as_str()),
            ("action", "Tambah loket antrean"),
            ("owner", "Kasubag Umum"),
            ("due", yesterday.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(app.post_form_as(&head, "/dasbor/unit/disdukcapil/rtl", &action).status, 303, "{}", database.name);

        let page = app.get_as(&head, &format!("/dasbor/unit/disdukcapil?period={period}")).body;
        let card = page.split("id=\"h-fix\"").nth(1).and_then(|s| s.split("</section>").next()).expect("the card");
        assert!(page.find("id=\"h-fix\"") < page.find("id=\"h-elements\""), "the card comes before the charts");
        for code in &lowest {
            assert!(card.contains(&format!("<strong>{code} ")), "{}: {code} is named: {card}", database.name);
        }
        assert_eq!(card.matches("<li>").count(), lowest.len(), "every lowest element, ties included, and no other");
        assert!(card.contains("Tambah loket antrean — <span class=\"late\">terlambat 2 hari</span>"), "{card}");
        assert!(card.contains("belum ada tindak lanjut") || lowest.len() == 1, "{card}");
        assert!(card.contains("Kata yang sering muncul dalam saran"), "the saran themes: {card}");
        common::assert_indonesian(&page, "the unit dashboard");
    }
}

/// A roll-up of whole months reads its members, its total, the period before and its trend in
/// one pass per table (by member and month); each figure equals what its own query reads.
#[test]
fn a_roll_ups_figures_read_in_one_pass_equal_each_read_on_its_own() {
    use skm::db::aggregate::{self, Grouping, Scope};
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        seed_demo(&app, 1500);
        let mut conn = app.conn();
        let registry = common::registry(&mut conn);
        let kutim = units::by_slug(&mut conn, "kutim").expect("regency");
        let today = demo::today(chrono_tz::Asia::Makassar);
        let this_month = Period::month_of(today);
        let quarter: Period =
            format!("{}-Q{}", chrono::Datelike::year(&today), chrono::Datelike::month(&today).div_ceil(3))
                .parse()
                .expect("quarter");
        let year: Period = chrono::Datelike::year(&today).to_string().parse().expect("year");
        for period in [this_month.previous(), quarter, year] {
            let selection = Selection { period, with_subunits: true, service_id: None };
            let index = aggregator::unit_index(&mut conn, &registry, &kutim, &selection).expect("roll-up");
            let trend = index.trend.clone().expect("{name}: a roll-up of whole months reads its trend with it");
            let version_ids = index.version_ids.clone();
            let scope =
                Scope { unit_ids: &index.unit_ids, service_id: None, template_version_ids: &version_ids, period };
            let compute =
                |totals: &aggregate::GroupTotals| ikm::compute(&index.template, &totals.tally(&index.template), None);
            let alone = aggregate::totals_by_period(&mut conn, &scope, &[period, period.previous()]).expect("alone");
            assert!(alone[0].1.responses > 0, "{name} {period}: the demo answered");
            assert_eq!(index.result.index_exact, compute(&alone[0].1).index_exact, "{name} {period}: the total");
            assert_eq!(index.result.responses, alone[0].1.responses, "{name} {period}");
            assert_eq!(index.previous.index_exact, compute(&alone[1].1).index_exact, "{name} {period}: the one before");
            let own =
                aggregator::trend(&mut conn, &registry, &kutim, true, period, aggregator::TREND_MONTHS).expect("trend");
            let pairs: Vec<_> = trend.iter().map(|(p, r)| (*p, r.index_exact.clone(), r.responses)).collect();
            let expected: Vec<_> = own.iter().map(|(p, r)| (*p, r.index_exact.clone(), r.responses)).collect();
            assert_eq!(pairs, expected, "{name} {period}: the trend");
            let members = aggregate::totals(&mut conn, &scope, Grouping::Unit).expect("per member");
            for member in &index.roll_up.as_ref().expect("members").members {
                let own = members.iter().find(|g| g.key == Some(member.unit.id)).expect("the member answered");
                assert_eq!(
                    member.result.index_exact,
                    compute(own).index_exact,
                    "{name} {period}: {}",
                    member.unit.name
                );
                assert_eq!(member.result.responses, own.responses);
            }
        }
    }
}

/// The few entities the templates write for text.
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
