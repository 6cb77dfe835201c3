//! The publication-media log (issue 16, point 2; SPEC §6a, PEKPPP): for each published period,
//! where it was published, when, with proof (a link or an image of at most 2 MB, recognised by
//! its bytes, stored in the database), counted on /admin and the regency dashboard; the demo's
//! evidence; proofs surviving export-all and import-all; and a browser's look at the unit page
//! with late actions and at the admin page's log.

use crate::common;

use common::{backends, hidden, webdriver, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::db::progress::Silent;
use skm::db::schema::{audit_log, proof_images, publication_media, rtl_status_changes};
use skm::db::{transfer, units, users};
use skm::domain::names::{Medium, Role, RtlStatus};
use skm::domain::period::Period;
use std::path::PathBuf;

const ADMIN: &str = "admin@kabupaten.go.id";
const HEAD: &str = "kepala@disdukcapil.go.id";
const OTHER_HEAD: &str = "kepala@beta.go.id";

/// A unit with responses this month, its head, another unit's head and an admin.
struct World {
    app: TestApp,
    unit: i32,
    period: Period,
    today: chrono::NaiveDate,
}

impl World {
    fn new(database: &TestDb) -> World {
        let app = TestApp::spawn(database);
        let unit = common::seed_unit_and_user(&app, "disdukcapil", HEAD, Role::UnitHead);
        common::seed_unit_and_user(&app, "beta", OTHER_HEAD, Role::UnitHead);
        let today = skm::demo::today(app.config.timezone);
        {
            let mut conn = app.conn();
            let hash = skm::password::hash(PASSWORD).expect("hash");
            let admin = users::NewUser {
                email: ADMIN,
                name: "Bagian Organisasi",
                password_hash: &hash,
                role: Role::Admin,
                unit_ids: &[],
            };
            users::create(&mut conn, &admin).expect("admin");
            let registry = common::registry(&mut conn);
            let (version_id, _) = registry.current("permenpanrb-14-2017").expect("template");
            for score in [3, 4, 4] {
                skm::db::responses::insert(&mut conn, &common::paper_response(unit, version_id, today, score))
                    .expect("response");
            }
        }
        World { app, unit, period: Period::month_of(today), today }
    }

    fn login(&self, email: &str) -> String {
        self.app.login(email, PASSWORD).unwrap_or_else(|r| panic!("{email}: {} {}", r.status, r.body))
    }

    fn csrf(&self, cookie: &str) -> String {
        hidden(&self.app.get_as(cookie, "/akun/sandi").body, "csrf")
    }

    /// The admin form that records a medium, as a browser sends it.
    fn record(&self, cookie: &str, publication: &str, fields: &[(&str, &str)], file: &[u8]) -> common::Reply {
        let csrf = self.csrf(cookie);
        let mut all = vec![("csrf", csrf.as_str()), ("publication", publication)];
        all.extend_from_slice(fields);
        self.app.post_file_as(cookie, "/admin/publikasi/media", &all, "bukti.png", file)
    }

    fn entries(&self) -> i64 {
        publication_media::table.count().get_result(&mut self.app.conn()).expect("entries")
    }

    fn images(&self) -> i64 {
        proof_images::table.count().get_result(&mut self.app.conn()).expect("images")
    }
}

/// A form's text fields.
type Fields<'a> = &'a [(&'a str, &'a str)];

fn jpeg() -> Vec<u8> {
    // a JPEG's signature and header: what the upload is checked by
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
    bytes.resize(600, 0x20);
    bytes
}

#[test]
fn admins_record_where_a_published_period_was_published_and_the_media_are_counted() {
    for database in backends() {
        let w = World::new(&database);
        let name = database.name;
        let admin = w.login(ADMIN);
        let period = w.period.to_string();
        let publication = format!("disdukcapil|{period}");
        let date = w.today.to_string();

        // only a published period takes media
        let reply = w.record(
            &admin,
            &publication,
            &[("medium", "website"), ("date", &date), ("url", "https://a.go.id/skm")],
            b"",
        );
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert!(reply.body.contains("tidak sedang dipublikasikan"), "{name}: {}", reply.body);
        let csrf = w.csrf(&admin);
        let fields = [("csrf", csrf.as_str()), ("unit", "disdukcapil"), ("period", period.as_str())];
        let published =
            w.app.post_form_as(&admin, "/admin/publish", &fields.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(published.status, 303, "{name}: {}", published.body);
        let page = w.app.get_as(&admin, "/admin").body;
        assert!(page.contains("belum ada media tercatat"), "{name}: a published period without media stands out");

        // refused entries store nothing, and say why
        let mut too_big = skm::demo::counter_board_png();
        too_big.resize(2 * 1024 * 1024 + 1, 0);
        let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
        let cases: [(Fields, &[u8], &str); 5] = [
            (&[("medium", "website"), ("date", &date)], b"", "bukti: isi tautan, unggah gambar, atau keduanya"),
            (&[("medium", "website"), ("date", &date)], &gif, "image: bukan gambar PNG, JPEG atau WebP"),
            (&[("medium", "banner"), ("date", &date)], &too_big, "image: gambar lebih dari 2 MB"),
            (&[("medium", "website"), ("date", &date), ("url", "javascript:alert(1)")], b"", "url: bukan alamat web"),
            (
                &[("medium", "radio"), ("date", &date), ("url", "https://a.go.id")],
                b"",
                "medium: jenis media tidak dikenal",
            ),
        ];
        for (fields, file, words) in cases {
            let reply = w.record(&admin, &publication, fields, file);
            assert_eq!(reply.status, 422, "{name}: {words}: {}", reply.body);
            assert!(reply.body.contains(words), "{name}: {words}: {}", reply.body);
            assert_eq!((w.entries(), w.images()), (0, 0), "{name}: {words} stored something");
        }

        // five entries in four media: two posts on social media are one medium
        let photo = skm::demo::counter_board_png();
        let recorded: [(Fields, Vec<u8>); 5] = [
            (&[("medium", "website"), ("date", &date), ("url", "https://disdukcapil.go.id/skm")], Vec::new()),
            (&[("medium", "social_media"), ("date", &date), ("url", "https://instagram.com/p/1")], Vec::new()),
            (&[("medium", "social_media"), ("date", &date), ("note", "Facebook")], jpeg()),
            (&[("medium", "sippn"), ("date", &date), ("url", "https://sippn.menpan.go.id/x")], Vec::new()),
            (&[("medium", "counter_board"), ("date", &date), ("note", "Papan loket 1")], photo.clone()),
        ];
        for (fields, file) in &recorded {
            let reply = w.record(&admin, &publication, fields, file);
            assert_eq!(reply.status, 303, "{name}: {}", reply.body);
            assert_eq!(reply.header("location"), Some("/admin?ok=1#h-media"));
        }
        assert_eq!((w.entries(), w.images()), (5, 2), "{name}");
        let page = w.app.get_as(&admin, "/admin").body;
        for text in ["dipublikasikan di 4 media (5 bukti)", "Papan informasi di loket", "Berita SIPPN", "Papan loket 1"]
        {
            assert!(page.contains(text), "{name}: /admin lacks {text}");
        }
        let dashboard = w.app.get_as(&admin, &format!("/dasbor?period={period}")).body;
        assert!(dashboard.contains("Publikasi hasil periode ini: dipublikasikan di 4 media (5 bukti)"), "{name}");

        // the log with its proofs' bytes, for the evidence pack
        let log = skm::publications::media_log(&mut w.app.conn(), &w.period, None).expect("log");
        let kinds: Vec<Medium> = log.iter().map(|m| m.medium).collect();
        use Medium::*;
        assert_eq!(kinds, [Website, SocialMedia, SocialMedia, Sippn, CounterBoard], "{name}: by date, then entry");
        let board = log.iter().find(|m| m.medium == CounterBoard).expect("the board");
        let image = board.image.as_ref().expect("its photo");
        assert_eq!((image.content_type.as_str(), &image.data), ("image/png", &photo), "{name}");
        assert_eq!(log[2].image.as_ref().map(|i| i.content_type.as_str()), Some("image/jpeg"));

        // proofs go to who may see the unit, as the image they were checked to be
        let proof = format!("/dasbor/unit/disdukcapil/publikasi/{}", board.entry.id);
        assert!(page.contains(&format!("<img src=\"{proof}\"")), "{name}: a thumbnail on /admin");
        let head = w.login(HEAD);
        for cookie in [&admin, &head] {
            let reply = w.app.get_as(cookie, &proof);
            assert_eq!((reply.status, &reply.bytes), (200, &photo), "{name}");
            assert_eq!(reply.header("content-type"), Some("image/png"));
            assert_eq!(reply.header("content-disposition"), Some("inline"));
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        }
        let other = w.login(OTHER_HEAD);
        assert_eq!(w.app.get_as(&other, &proof).status, 404, "{name}: another unit's head");
        assert_eq!(w.app.get_as(&other, &format!("/dasbor/unit/beta/publikasi/{}", board.entry.id)).status, 404);
        let link_only = format!("/dasbor/unit/disdukcapil/publikasi/{}", log[0].entry.id);
        assert_eq!(w.app.get_as(&head, &link_only).status, 404, "{name}: an entry without an image");
        assert_eq!(w.app.get_as(&head, "/admin").status, 404, "{name}: the log is the admin's");

        // deleting an entry takes its image with it, audited
        let csrf = w.csrf(&admin);
        let fields = [("csrf", csrf.clone()), ("id", board.entry.id.to_string())].map(|(k, v)| (k.to_string(), v));
        assert_eq!(w.app.post_form_as(&admin, "/admin/delete_medium", &fields).status, 303, "{name}");
        assert_eq!((w.entries(), w.images()), (4, 1), "{name}");
        assert_eq!(w.app.get_as(&admin, &proof).status, 404, "{name}: the deleted proof");
        let again = w.app.post_form_as(&admin, "/admin/delete_medium", &fields);
        assert_eq!(again.status, 422, "{name}: deleting twice");
        let audited: Vec<String> = audit_log::table
            .filter(audit_log::action.like("publication.medium.%"))
            .order(audit_log::id)
            .select(audit_log::detail)
            .load(&mut w.app.conn())
            .expect("audit");
        assert_eq!(audited.len(), 6, "{name}: {audited:?}");
        assert!(audited[5].starts_with(&format!("disdukcapil {period}: counter_board")), "{name}: {audited:?}");

        // taking the publication back keeps the log, marked
        let fields = [("csrf", csrf.as_str()), ("unit", "disdukcapil"), ("period", period.as_str())];
        let reply =
            w.app.post_form_as(&admin, "/admin/unpublish", &fields.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(reply.status, 303);
        assert!(w.app.get_as(&admin, "/admin").body.contains("publikasi dibatalkan"), "{name}");
        let _ = w.unit;
    }
}

#[test]
fn the_demo_shows_every_follow_up_status_and_publications_with_their_media() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let name = database.name;
        let today = skm::demo::today(app.config.timezone);
        common::seed_demo(&mut app.conn(), 600, 3);
        let shown = skm::demo::showcase(&mut app.conn(), today).expect("showcase");
        assert_eq!((shown.publications, shown.media), (2, 6), "{name}");
        let mut conn = app.conn();
        let kutim = units::by_slug(&mut conn, "kutim").expect("regency");
        let all = units::subtree_ids(&mut conn, kutim.id).expect("units");
        let tracker = skm::follow_up::tracker(&mut conn, &all, None, today).expect("tracker");
        assert_eq!(tracker.actions.len(), shown.actions, "{name}");
        for status in RtlStatus::ALL {
            assert!(tracker.actions.iter().any(|a| a.status == *status), "{name}: no {status} action");
        }
        let late: Vec<_> = tracker.actions.iter().filter(|a| a.is_late()).collect();
        assert!(late.iter().any(|a| a.status == RtlStatus::InProgress), "{name}: a late action under way");
        let done: Vec<_> = tracker.actions.iter().filter_map(|a| a.evidence.as_ref()).collect();
        assert!(done.iter().any(|e| e.image), "{name}: done with a photo");
        assert!(done.iter().any(|e| e.url.is_some() && e.note.is_some()), "{name}: done with a note and a link");
        let dropped = tracker.actions.iter().find(|a| a.status == RtlStatus::Dropped).expect("dropped");
        assert!(dropped.reason.as_ref().is_some_and(|r| !r.is_empty()), "{name}: dropped with its reason");
        let percent = tracker.progress.percent().expect("a share done");
        assert!((1..100).contains(&percent), "{name}: {percent} %");

        let entries = skm::db::publications::media(&mut conn, None).expect("media").into_iter().collect::<Vec<_>>();
        assert_eq!(entries.len(), 6, "{name}");
        assert!(entries.iter().filter(|e| e.url.is_some()).count() >= 4, "{name}: links as proof");
        let with_image: Vec<_> = entries.iter().filter(|e| e.image_id.is_some()).collect();
        assert_eq!(with_image.len(), 1, "{name}: one photo as proof");
        let image = skm::db::images::get(&mut conn, with_image[0].image_id.expect("id")).expect("image");
        assert_eq!(skm::domain::proof::ImageKind::sniff(&image.data), Some(skm::domain::proof::ImageKind::Png));
        for entry in &entries {
            assert!(
                skm::db::publications::is_published(&mut conn, entry.unit_id, &entry.period).expect("published"),
                "{name}: media of a published period"
            );
        }
        let changes: i64 = rtl_status_changes::table.count().get_result(&mut conn).expect("history");
        assert!(changes > tracker.actions.len() as i64, "{name}: the actions have a history");
    }
}

#[test]
fn proof_images_move_byte_for_byte_through_export_all_and_import_all() {
    let mut databases = backends().into_iter();
    let source = databases.next().expect("SQLite");
    let app = TestApp::spawn(&source);
    let today = skm::demo::today(app.config.timezone);
    common::seed_demo(&mut app.conn(), 300, 9);
    skm::demo::showcase(&mut app.conn(), today).expect("showcase");
    let mut exported = Vec::new();
    transfer::export(&mut app.conn(), &mut exported, &mut Silent).expect("export");
    let text = String::from_utf8(exported.clone()).expect("utf-8");
    assert!(text.contains("\"t\":\"proof_images\"") && text.contains("\"data\":\"\\\\x89504e47"), "hex PNG");
    let images = |conn: &mut skm::db::DbConnection| -> Vec<(i32, String, Vec<u8>)> {
        proof_images::table
            .order(proof_images::id)
            .select((proof_images::id, proof_images::content_type, proof_images::data))
            .load(conn)
            .expect("images")
    };
    let expected = images(&mut app.conn());
    assert_eq!(expected.len(), 2, "the demo's photos: an action's evidence and a board's");
    // into a new SQLite database, and into PostgreSQL when there is one; back out the same
    let mut targets = vec![TestDb::sqlite()];
    targets.extend(databases);
    for target in targets {
        let pool = target.pool();
        let mut conn = pool.get().expect("connection");
        transfer::import(&mut conn, &mut exported.as_slice(), &mut Silent).expect("import");
        assert_eq!(images(&mut conn), expected, "{}: the images", target.name);
        // and out again in the same neutral form: PostgreSQL's bytea as SQLite's hex
        let mut again = Vec::new();
        transfer::export(&mut conn, &mut again, &mut Silent).expect("export again");
        let again = String::from_utf8(again).expect("utf-8");
        assert_eq!(image_lines(&again), image_lines(&text), "{}: the images exported alike", target.name);
    }
}

/// The exported proof images: id, content type, data (timestamps left out: PostgreSQL keeps
/// microseconds where SQLite kept nanoseconds).
fn image_lines(export: &str) -> Vec<(serde_json::Value, serde_json::Value, serde_json::Value)> {
    export
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|row| row["t"] == "proof_images")
        .map(|row| (row["r"]["id"].clone(), row["r"]["content_type"].clone(), row["r"]["data"].clone()))
        .collect()
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    dir
}

#[test]
fn a_unit_page_with_late_actions_and_the_publication_log_as_a_kepala_dinas_sees_them() {
    if !common::tool_available("chromium") || !common::tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let today = skm::demo::today(app.config.timezone);
    let accounts = common::seed_demo(&mut app.conn(), 1500, 7).1;
    skm::demo::showcase(&mut app.conn(), today).expect("showcase");
    let admin = accounts.iter().find(|a| a.role == Role::Admin).expect("admin");
    let month = Period::month_of(today).previous();
    let dir = screenshots_dir();
    let browser = webdriver::Browser::start(1280, 900);
    browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
    browser.open(&app.url(&format!("/dasbor/unit/disdukcapil?period={month}#h-rtl")));
    browser.wait_for_text("RTL periode ini");
    assert!(browser.source().contains("class=\"is-late\""), "the demo's late action is on the page");
    browser.screenshot_viewport(&dir.join("rtl-unit-panel.png"));
    browser.screenshot(&dir.join("rtl-unit-page.png"));
    let axe = crate::common::webdriver::axe_source();
    let check = |what: &str| {
        if let Some(axe) = &axe {
            let violations = crate::common::webdriver::accessibility_violations(&browser, axe, &[]);
            assert!(violations.is_empty(), "{what}: accessibility violations: {violations:?}");
        }
    };
    check("the unit page");
    // the form open, as a head changing a status sees it
    browser.click("tr.is-late details.edit summary");
    browser.script("document.querySelector('tr.is-late').scrollIntoView()", Vec::new());
    browser.screenshot_viewport(&dir.join("rtl-unit-status-form.png"));
    browser.open(&app.url("/admin#h-publikasi"));
    browser.wait_for_text("dipublikasikan di 4 media");
    browser.screenshot_viewport(&dir.join("admin-published-results.png"));
    browser.open(&app.url("/admin#h-media"));
    browser.screenshot_viewport(&dir.join("admin-publication-media.png"));
    check("the admin page");
    browser.open(&app.url(&format!("/dasbor?period={month}")));
    browser.wait_for_text("RTL periode ini, semua unit");
    browser.screenshot(&dir.join("rtl-regency-dashboard.png"));
    check("the regency dashboard");
}
