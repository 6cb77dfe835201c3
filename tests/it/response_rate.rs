//! The response rate of survey invitations (issue 19, point 5) on every backend: issued vs
//! answered per service and counter for a period (an invitation counts in the period it was
//! issued), on the unit's dashboard (only when it issued invitations) and in its report; the
//! pre-printed slips of `skm invitations` (point 2); the demo's invitations.

use crate::common;

use chrono::{NaiveDate, NaiveDateTime};
use common::{backends, skm, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::db::invitations as stored;
use skm::db::schema::invitations as table;
use skm::db::units::{self, Unit};
use skm::db::DbConnection;
use skm::domain::period::Period;
use skm::invitations::{self, NewInvitation, Opened};
use skm::security::Keys;

const ADMIN: &str = "admin@kutaitimurkab.go.id";
/// the month the hand-made invitations are issued in, and one of its instants (10.00 WITA)
const PERIOD: &str = "2026-10";

fn at(day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 10, day).and_then(|d| d.and_hms_opt(2, 0, 0)).expect("date")
}

fn keys() -> Keys {
    Keys::derive("response rate test secret")
}

/// A stored paper response of the unit, for an invitation to be spent by.
fn response_id(conn: &mut DbConnection, unit_id: i32, day: NaiveDate) -> String {
    let registry = common::registry(conn);
    let unit = units::by_id(conn, unit_id).expect("unit");
    let (version, _) = registry.current_for(&unit).expect("version");
    let response = common::paper_response(unit_id, version, day, 4);
    skm::db::responses::insert(conn, &response).expect("insert");
    response.id.to_string()
}

/// The Disdukcapil unit with counter `loket-1`: 5 invitations issued in October 2026 for
/// `ktp-el` at `loket-1`, 2 of them answered (one in November: it still counts for October),
/// and 3 issued in September (one answered) that October does not count.
fn hand_made(conn: &mut DbConnection) -> Unit {
    let (id, _) = common::create_service_unit(conn, "disdukcapil");
    skm::db::counters::add(conn, skm::db::counters::Roster::Counters, id, "loket-1", "Loket 1 Pendaftaran")
        .expect("counter");
    let unit = units::by_id(conn, id).expect("unit");
    let slip = NewInvitation { service: Some("ktp-el".into()), counter: Some("loket-1".into()), ..Default::default() };
    let issue = |conn: &mut DbConnection, when: NaiveDateTime, n: usize| {
        invitations::issue_batch(conn, &keys(), &unit, &vec![slip.clone(); n], when, 14).expect("issue")
    };
    let october = issue(conn, at(28), 5);
    for (invitation, answered_on) in october.iter().zip([at(29), at(31) + chrono::Duration::days(3)]) {
        let response = response_id(conn, id, answered_on.date());
        assert!(stored::spend(conn, invitation.invitation.id, &response, answered_on).expect("spend"));
    }
    let september = issue(conn, at(1) - chrono::Duration::days(10), 3);
    let response = response_id(conn, id, at(1).date());
    assert!(stored::spend(conn, september[0].invitation.id, &response, at(1)).expect("spend"));
    unit
}

fn each_backend(test: impl Fn(&TestDb)) {
    for database in backends() {
        test(&database);
    }
}

#[test]
fn five_issued_two_answered_is_forty_percent_per_service_and_counter_and_other_periods_do_not_count() {
    each_backend(|database| {
        let name = database.name;
        let mut conn = database.pool().get().expect("connection");
        let unit = hand_made(&mut conn);
        let period: Period = PERIOD.parse().expect("period");
        let tz = chrono_tz::Asia::Makassar;
        // on 3 November: the October invitations are still open (14 days) but for the answered
        let now = at(31) + chrono::Duration::days(3);
        let rate = skm::response_rate::of_period(&mut conn, &[unit.id], &period, tz, now).expect("rate");
        assert_eq!((rate.total.issued, rate.total.answered, rate.total.open), (5, 2, 3), "{name}");
        let shown = |r: &skm::domain::response_rate::Rate| r.percent().map(|p| p.format_with(','));
        assert_eq!(shown(&rate.total).as_deref(), Some("40,0"), "{name}");
        let lines = |lines: &[skm::response_rate::Line]| {
            lines.iter().map(|l| (l.name.clone(), l.rate.issued, l.rate.answered)).collect::<Vec<_>>()
        };
        assert_eq!(lines(&rate.per_service), vec![(Some("KTP elektronik".into()), 5, 2)], "{name}");
        assert_eq!(lines(&rate.per_counter), vec![(Some("Loket 1 Pendaftaran".into()), 5, 2)], "{name}");
        assert_eq!(lines(&rate.per_unit).len(), 1, "{name}");
        // a month later the three unanswered have expired: still issued, not answered, not open
        let later = skm::response_rate::of_period(&mut conn, &[unit.id], &period, tz, now + chrono::Duration::days(30))
            .expect("rate");
        assert_eq!((later.total.issued, later.total.answered, later.total.open, later.total.expired()), (5, 2, 0, 3));
        // September has its own three, one answered; November none
        let september = period.previous();
        let rate = skm::response_rate::of_period(&mut conn, &[unit.id], &september, tz, now).expect("rate");
        assert_eq!((rate.total.issued, rate.total.answered), (3, 1), "{name}");
        let november: Period = "2026-11".parse().expect("period");
        assert!(skm::response_rate::of_period(&mut conn, &[unit.id], &november, tz, now).expect("rate").is_empty());
    });
}

fn admin(app: &TestApp) -> String {
    let hash = skm::password::hash(PASSWORD).expect("hash");
    let role = skm::domain::names::Role::Admin;
    let user = skm::db::users::NewUser { email: ADMIN, name: "Admin", password_hash: &hash, role, unit_ids: &[] };
    skm::db::users::create(&mut app.conn(), &user).expect("admin");
    app.login(ADMIN, PASSWORD).expect("login")
}

#[test]
fn the_dashboard_and_the_report_show_the_rate_only_for_a_unit_that_issued_invitations() {
    each_backend(|database| {
        let name = database.name;
        let app = TestApp::spawn(database);
        hand_made(&mut app.conn());
        common::create_opd(&mut app.conn(), "dinkes", None);
        let cookie = admin(&app);

        let page = app.get_as(&cookie, &format!("/dasbor/unit/disdukcapil?period={PERIOD}"));
        assert_eq!(page.status, 200, "{name}");
        let html = &page.body;
        assert!(html.contains("Tingkat respons undangan"), "{name}: the section");
        assert!(html.contains("2 dari 5 undangan dijawab (40,0 %)"), "{name}: the total");
        let row = |what: &str| {
            format!("<td>{what}</td><td class=\"num\">5</td><td class=\"num\">2</td><td class=\"num\">40,0</td>")
        };
        assert!(html.contains(&row("KTP elektronik")), "{name}: per service");
        assert!(html.contains(&row("Loket 1 Pendaftaran")), "{name}: per counter");
        common::assert_indonesian(html, "the unit dashboard");

        // the regency's ranking: a column with each unit's rate, only in a period with invitations
        let regency = app.get_as(&cookie, &format!("/dasbor?period={PERIOD}"));
        assert_eq!(regency.status, 200, "{name}");
        assert!(regency.body.contains("Respons undangan"), "{name}: the ranking's column");
        assert!(regency.body.contains("40,0 % (2/5)"), "{name}: the unit's rate");
        let regency = app.get_as(&cookie, "/dasbor?period=2026-11");
        assert!(!regency.body.contains("Respons undangan"), "{name}: no column without invitations");

        // another period's invitations are not this one's: November has none, so no section
        let november = app.get_as(&cookie, "/dasbor/unit/disdukcapil?period=2026-11");
        assert_eq!(november.status, 200, "{name}");
        assert!(!november.body.contains("Tingkat respons undangan"), "{name}: no empty section");
        // a unit that never issued invitations has none either
        let other = app.get_as(&cookie, &format!("/dasbor/unit/dinkes?period={PERIOD}"));
        assert_eq!(other.status, 200, "{name}");
        assert!(!other.body.contains("Tingkat respons undangan"), "{name}: no section without invitations");
        assert!(!other.body.contains("h-rate"), "{name}");

        let pdf = app.get_as(&cookie, &format!("/dasbor/unit/disdukcapil/laporan.pdf?period={PERIOD}"));
        assert_eq!(pdf.status, 200, "{name}");
        if let Some(text) = common::pdf_text(&pdf.bytes, &format!("response-rate-{name}.pdf")) {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(text.contains("Tingkat respons undangan survei"), "{name}: the report's section");
            assert!(text.contains("diterbitkan 5 undangan survei"), "{name}: {text}");
            assert!(text.contains("tingkat respons 40,0 %"), "{name}");
            assert!(text.contains("mewakili"), "{name}: what it means for the sample");
        }
        let pdf = app.get_as(&cookie, &format!("/dasbor/unit/dinkes/laporan.pdf?period={PERIOD}"));
        if let Some(text) = common::pdf_text(&pdf.bytes, &format!("response-rate-none-{name}.pdf")) {
            assert!(!text.contains("Tingkat respons undangan"), "{name}: no section without invitations");
        }
        let book = app.get_as(&cookie, &format!("/dasbor/unit/disdukcapil/laporan.xlsx?period={PERIOD}"));
        assert_eq!(book.status, 200, "{name}");
        use calamine::Reader;
        let workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(book.bytes)).expect("xlsx");
        assert!(workbook.sheet_names().iter().any(|s| s == "Tingkat respons"), "{name}: the workbook's sheet");
        app.stop();
    });
}

/// `skm …` in a fresh directory against the test's database: (success, stdout, stderr).
fn cli(database: &TestDb, dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = skm(dir)
        .env("SKM_DATABASE_URL", &database.url)
        .env("SKM_BASE_URL", "https://skm.kutaitimurkab.go.id")
        .args(args)
        .output()
        .expect("run skm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn issued(conn: &mut DbConnection) -> Vec<stored::Invitation> {
    table::table.select(stored::Invitation::as_select()).order(table::id).load(conn).expect("invitations")
}

#[test]
fn skm_invitations_issues_n_slips_and_writes_them_as_an_a4_pdf_with_cut_marks() {
    each_backend(|database| {
        let name = database.name;
        let app = TestApp::spawn(database);
        let unit_id = common::seed_service_unit(&app, "disdukcapil");
        skm::db::counters::add(&mut app.conn(), skm::db::counters::Roster::Counters, unit_id, "loket-1", "Loket 1")
            .expect("counter");
        let dir = tempfile::tempdir().expect("tmp");
        let args = ["invitations", "--unit", "disdukcapil", "--count", "11", "--out", "slips.pdf"];
        let with = |extra: &[&'static str]| args.iter().chain(extra).copied().collect::<Vec<_>>();
        let (ok, out, err) = cli(database, dir.path(), &with(&["--service", "ktp-el", "--counter", "loket-1"]));
        assert!(ok, "{name}: {out}{err}");
        assert!(out.contains("11 invitations") && out.contains("2 pages"), "{name}: {out}");

        let mut conn = app.conn();
        let rows = issued(&mut conn);
        assert_eq!(rows.len(), 11, "{name}");
        let ktp = units::services_of(&mut conn, unit_id).expect("services").into_iter().find(|s| s.slug == "ktp-el");
        assert!(
            rows.iter().all(|r| r.unit_id == unit_id
                && r.ref_hash.is_none()
                && r.service_id == ktp.as_ref().map(|s| s.id)
                && r.counter_id.is_some()
                && r.spent_at.is_none()),
            "{name}: slips without a reference, for the service and counter named"
        );
        let path = dir.path().join("slips.pdf");
        let pdf = std::fs::read(&path).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"), "{name}");
        if common::tool_available("qpdf") {
            let check = std::process::Command::new("qpdf").arg("--check").arg(&path).output().expect("qpdf");
            assert!(check.status.success(), "{name}: {}", String::from_utf8_lossy(&check.stdout));
        }
        if common::tool_available("pdfinfo") {
            let info = std::process::Command::new("pdfinfo").arg(&path).output().expect("pdfinfo");
            let info = String::from_utf8_lossy(&info.stdout).into_owned();
            assert!(info.contains("Pages:           2"), "{name}: 8 slips a page: {info}");
            assert!(info.contains("(A4)"), "{name}: {info}");
            assert!(info.contains("Slip undangan survei"), "{name}: {info}");
        }
        if let Some(text) = common::pdf_text(&pdf, &format!("slips-{name}.pdf")) {
            for row in &rows {
                let link = format!("https://skm.kutaitimurkab.go.id/u/{}", row.code);
                assert!(text.contains(&link), "{name}: the short link of {}", row.code);
            }
            assert_eq!(text.matches("Bantu kami").count(), 11, "{name}");
            assert!(text.contains("Berlaku sampai"), "{name}");
        }
        // each code opens the form of its service, at its counter
        let now = chrono::Utc::now().naive_utc();
        for row in &rows {
            match invitations::open(&mut conn, &row.code, now).expect("open") {
                Opened::Open { service, invitation, .. } => {
                    assert_eq!(service.map(|s| s.slug), Some("ktp-el".to_string()), "{name}");
                    assert_eq!(invitation.counter_id, row.counter_id, "{name}");
                }
                other => panic!("{name}: {} does not open: {other:?}", row.code),
            }
        }

        // the file is not overwritten, and nothing more is issued
        let before = std::fs::read(&path).expect("pdf");
        let (ok, out, err) = cli(database, dir.path(), &with(&[]));
        assert!(!ok && err.contains("exists"), "{name}: {out}{err}");
        assert_eq!(std::fs::read(&path).expect("pdf"), before, "{name}");
        assert_eq!(issued(&mut conn).len(), 11, "{name}");
        // 1 to 1000 per run, a known service, a PDF
        for (bad, says) in [
            (vec!["invitations", "--unit", "disdukcapil", "--count", "0", "--out", "a.pdf"], "--count"),
            (vec!["invitations", "--unit", "disdukcapil", "--count", "1001", "--out", "a.pdf"], "--count"),
            (vec!["invitations", "--unit", "disdukcapil", "--count", "2", "--out", "a.png"], "--out"),
            (vec!["invitations", "--unit", "nowhere", "--count", "2", "--out", "a.pdf"], "--unit"),
            (
                vec!["invitations", "--unit", "disdukcapil", "--count", "2", "--out", "a.pdf", "--service", "sim"],
                "--service",
            ),
        ] {
            let (ok, out, err) = cli(database, dir.path(), &bad);
            assert!(!ok && err.contains(says), "{name}: {bad:?}: {out}{err}");
            assert!(!dir.path().join("a.pdf").exists(), "{name}: {bad:?} left a file");
        }
        assert_eq!(issued(&mut conn).len(), 11, "{name}: a refused run issues nothing");
        // without service and counter: the citizen chooses
        let (ok, out, err) =
            cli(database, dir.path(), &["invitations", "--unit", "disdukcapil", "--count", "1", "--out", "one.pdf"]);
        assert!(ok && out.contains("on 1 page,"), "{name}: {out}{err}");
        let last = issued(&mut conn).pop().expect("one more");
        assert_eq!((last.service_id, last.counter_id), (None, None), "{name}");
        drop(conn);
        app.stop();
    });
}

#[test]
fn the_demo_disdukcapil_issued_a_year_of_invitations_about_half_answered() {
    let database = TestDb::sqlite();
    let mut conn = database.pool().get().expect("connection");
    common::seed_demo(&mut conn, 3000, 20261127);
    let capil = units::by_slug(&mut conn, "disdukcapil").expect("unit");
    let tz = chrono_tz::Asia::Makassar;
    let today = skm::demo::today(tz);
    let year = Period::Range { from: today - chrono::Duration::days(366), to: today };
    let now = chrono::Utc::now().naive_utc();
    let rate = skm::response_rate::of_period(&mut conn, &[capil.id], &year, tz, now).expect("rate");
    assert!(rate.total.issued >= 200, "a few hundred: {}", rate.total.issued);
    let percent = rate.total.percent().expect("a rate").to_f64();
    assert!((40.0..=70.0).contains(&percent), "{percent}");
    assert!(rate.total.expired() > 0 && rate.total.open > 0, "{:?}", rate.total);
    assert!(rate.per_service.len() >= 2 && rate.per_counter.len() >= 3, "{rate:?}");
    // every answered invitation is spent by one of the unit's stored responses, each once
    let spent: Vec<(Option<String>, i32)> = table::table
        .inner_join(
            skm::db::schema::responses::table.on(table::response_id.eq(skm::db::schema::responses::id.nullable())),
        )
        .filter(table::spent_at.is_not_null())
        .select((table::response_id, skm::db::schema::responses::unit_id))
        .load(&mut conn)
        .expect("spent");
    assert_eq!(spent.len() as u64, rate.total.answered);
    assert!(spent.iter().all(|(_, unit)| *unit == capil.id));
    let distinct: std::collections::HashSet<_> = spent.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(distinct.len(), spent.len());
    // the unit dashboard's month has its section
    let month = Period::month_of(today).previous();
    assert!(!skm::response_rate::of_period(&mut conn, &[capil.id], &month, tz, now).expect("rate").is_empty());
}
