//! Follow-up (RTL) progress (issue 16, point 3; SPEC §6a, PEKPPP): % done = done ÷ (all −
//! dropped) at the unit, the regency (its subtree) and the period level, late actions in red on
//! the pages and named in both monthly e-mails, the status history with evidence or reason, the
//! forms that keep the period and say they saved, and the template's suggested actions.

use crate::common;

use common::{backends, hidden, TestApp, PASSWORD};
use diesel::prelude::*;
use skm::db::rtl::{self, Change, NewRtl};
use skm::db::schema::{audit_log, proof_images, rtl_actions};
use skm::db::{units, users, DbConnection};
use skm::domain::follow_up::Progress;
use skm::domain::names::{Role, RtlStatus, Slug, UnitKind};
use skm::domain::period::Period;
use skm::follow_up;

const ADMIN: &str = "admin@kabupaten.go.id";
const HEAD: &str = "kepala@alpha.go.id";
const OTHER_HEAD: &str = "kepala@beta.go.id";

/// A regency with two OPDs, one of them (alpha) with a sub-unit, and follow-up actions of this
/// month and last month in every status.
struct Tree {
    app: TestApp,
    regency: i32,
    alpha: i32,
    satu: i32,
    beta: i32,
    head_id: i32,
    today: chrono::NaiveDate,
    this_month: Period,
    last_month: Period,
    /// alpha's late action of this month, in progress
    late_in_progress: i32,
    /// alpha's planned action due in ten days
    planned: i32,
}

fn unit(conn: &mut DbConnection, slug: &str, name: &str, kind: UnitKind, parent: Option<i32>) -> i32 {
    let slug = Slug::parse(slug).expect("slug");
    let unit = units::create(
        conn,
        &units::NewUnit { slug: &slug, name, kind, parent_id: parent, contact_emails: &[], template_id: None },
    )
    .expect("unit");
    units::add_service(conn, unit.id, &Slug::parse("ktp-el").expect("slug"), "KTP elektronik").expect("service");
    unit.id
}

fn user(conn: &mut DbConnection, email: &str, name: &str, role: Role, unit_ids: &[i32]) -> i32 {
    let hash = skm::password::hash(PASSWORD).expect("hash");
    users::create(conn, &users::NewUser { email, name, password_hash: &hash, role, unit_ids }).expect("user").id
}

/// Records an action and walks it through `steps` (status, note) as `by`.
fn action(
    conn: &mut DbConnection,
    unit_id: i32,
    period: Period,
    text: &str,
    due: chrono::NaiveDate,
    by: i32,
    steps: &[(RtlStatus, Option<&str>)],
) -> i32 {
    let id = rtl::create(
        conn,
        &NewRtl {
            unit_id,
            period: &period.to_string(),
            element_code: "U3",
            action: text,
            owner: "Kasubag",
            due_date: due,
            created_by: by,
        },
    )
    .expect("action");
    for (status, note) in steps {
        let change = Change { status: *status, by: Some(by), note: *note, url: None, image_id: None };
        assert!(rtl::set_status(conn, id, &[unit_id], &change).expect("status"));
    }
    id
}

impl Tree {
    fn new(database: &common::TestDb) -> Tree {
        let app = TestApp::spawn(database);
        let today = skm::demo::today(app.config.timezone);
        let this_month = Period::month_of(today);
        let last_month = this_month.previous();
        let days = |n: i64| today + chrono::Duration::days(n);
        let mut conn = app.conn();
        let regency = unit(&mut conn, "kabupaten", "Pemerintah Kabupaten", UnitKind::Regency, None);
        let alpha = unit(&mut conn, "alpha", "Dinas Alpha", UnitKind::Opd, Some(regency));
        let satu = unit(&mut conn, "alpha-satu", "UPT Alpha Satu", UnitKind::SubUnit, Some(alpha));
        let beta = unit(&mut conn, "beta", "Dinas Beta", UnitKind::Opd, Some(regency));
        user(&mut conn, ADMIN, "Bagian Organisasi", Role::Admin, &[]);
        let head_id = user(&mut conn, HEAD, "Kepala Dinas Alpha", Role::UnitHead, &[alpha]);
        user(&mut conn, OTHER_HEAD, "Kepala Dinas Beta", Role::UnitHead, &[beta]);
        use RtlStatus::*;
        let (done, dropped) = ((Done, Some("Loket 3 dibuka")), (Dropped, Some("Digantikan program kabupaten")));
        let c = &mut *conn;
        // alpha, this month: 2 done, 1 dropped, 1 late (in progress), 2 planned → 2 of 5 = 40 %
        action(c, alpha, this_month, "Menambah loket", days(5), head_id, &[done]);
        action(c, alpha, this_month, "Antrean daring", days(-3), head_id, &[(InProgress, None), done]);
        action(c, alpha, this_month, "Aplikasi sendiri", days(-10), head_id, &[dropped]);
        let late_in_progress =
            action(c, alpha, this_month, "Kursi ruang tunggu", days(-2), head_id, &[(InProgress, None)]);
        let planned = action(c, alpha, this_month, "Papan alur", days(10), head_id, &[]);
        // due today is not late yet
        action(c, alpha, this_month, "Kotak saran", today, head_id, &[]);
        // its sub-unit, this month: 1 done, 1 late → 1 of 2
        action(c, satu, this_month, "Jadwal piket", days(1), head_id, &[done]);
        action(c, satu, this_month, "Pelatihan petugas", days(-1), head_id, &[]);
        // alpha, last month: 1 late
        action(c, alpha, last_month, "Kipas angin", days(-20), head_id, &[]);
        // beta, this month: 1 dropped, 1 done → 1 of 1
        action(c, beta, this_month, "Survei ulang", days(-4), head_id, &[dropped]);
        action(c, beta, this_month, "Spanduk maklumat", days(-6), head_id, &[done]);
        drop(conn);
        Tree { app, regency, alpha, satu, beta, head_id, today, this_month, last_month, late_in_progress, planned }
    }

    fn login(&self, email: &str) -> String {
        self.app.login(email, PASSWORD).unwrap_or_else(|r| panic!("{email}: {} {}", r.status, r.body))
    }

    fn progress(&self, unit_ids: &[i32], period: Option<&Period>) -> Progress {
        follow_up::tracker(&mut self.app.conn(), unit_ids, period, self.today).expect("tracker").progress
    }
}

fn progress(all: usize, done: usize, dropped: usize, late: usize) -> Progress {
    Progress { all, done, dropped, late }
}

#[test]
fn percent_done_is_done_over_all_but_dropped_for_a_unit_a_regency_and_a_period() {
    for database in backends() {
        let t = Tree::new(&database);
        let name = database.name;
        let (this, last) = (t.this_month, t.last_month);
        let subtree = |root: i32| units::subtree_ids(&mut t.app.conn(), root).expect("subtree");

        // the unit, the period shown: 2 done of the 5 not dropped
        let alpha = t.progress(&[t.alpha], Some(&this));
        assert_eq!(alpha, progress(6, 2, 1, 1), "{name}");
        assert_eq!(alpha.percent(), Some(40), "{name}");
        // the unit, every period: last month's late action joins
        let alpha_all = t.progress(&[t.alpha], None);
        assert_eq!((alpha_all, alpha_all.percent()), (progress(7, 2, 1, 2), Some(33)), "{name}");
        // another period: last month alone, and a range over both months
        let alpha_last = t.progress(&[t.alpha], Some(&last));
        assert_eq!((alpha_last, alpha_last.percent()), (progress(1, 0, 0, 1), Some(0)), "{name}");
        let both = Period::Range { from: last.first_day(), to: this.end_exclusive().pred_opt().expect("day") };
        assert_eq!(t.progress(&[t.alpha], Some(&both)), alpha_all, "{name}: a range over both months");
        // the roll-up: alpha with its sub-unit, and the regency with every unit below it
        let alpha_tree = t.progress(&subtree(t.alpha), Some(&this));
        assert_eq!((alpha_tree, alpha_tree.percent()), (progress(8, 3, 1, 2), Some(43)), "{name}");
        let regency = t.progress(&subtree(t.regency), Some(&this));
        assert_eq!((regency, regency.percent()), (progress(10, 4, 2, 2), Some(50)), "{name}");
        // a unit whose only actions are dropped and done: 1 of 1
        let beta = t.progress(&[t.beta], Some(&this));
        assert_eq!((beta.percent(), beta.counted()), (Some(100), 1), "{name}");
        // the aggregator's per-unit figures agree
        let registry = common::registry(&mut t.app.conn());
        let overview = skm::aggregator::regency(&mut t.app.conn(), &registry, this, None, None, t.today)
            .expect("regency overview");
        let row = |id: i32| overview.rows.iter().find(|r| r.unit.id == id).expect("row");
        assert_eq!((row(t.alpha).rtl, row(t.alpha).rtl_late), (alpha, 2), "{name}: late of any period");
        assert_eq!(row(t.satu).rtl.percent(), Some(50), "{name}");

        // the pages say the same, with the rule in their legend
        let head = t.login(HEAD);
        let page = t.app.get_as(&head, &format!("/dasbor/unit/alpha?period={this}"));
        assert_eq!(page.status, 200, "{name}");
        let body = &page.body;
        for text in [
            "<strong>2 dari 5 RTL selesai (40\u{a0}%)</strong> · 1 dibatalkan (tidak dihitung) · <span class=\"late\">1 terlambat</span>",
            "Semua RTL:</span> 2 dari 6 RTL selesai (33\u{a0}%) · 1 dibatalkan (tidak dihitung) · <span class=\"late\">2 terlambat</span>",
            "RTL periode lain yang belum selesai",
            "Kipas angin",
            "Persentase selesai = RTL selesai ÷ (semua RTL − RTL dibatalkan)",
            "terlambat 2 hari",
            "terlambat 20 hari",
            "Alasan: Digantikan program kabupaten",
        ] {
            assert!(body.contains(text), "{name}: the unit page lacks {text}");
        }
        assert_eq!(body.matches("class=\"is-late\"").count(), 2, "{name}: this month's and last month's late rows");
        let rolled = t.app.get_as(&head, &format!("/dasbor/unit/alpha?period={this}&sub=1")).body;
        assert!(rolled.contains("<strong>3 dari 7 RTL selesai (43\u{a0}%)</strong>"), "{name}: the roll-up's panel");
        assert!(rolled.contains("UPT Alpha Satu"), "{name}: the sub-unit's actions are named by unit");

        let admin = t.login(ADMIN);
        let regency_page = t.app.get_as(&admin, &format!("/dasbor/unit/kabupaten?period={this}&sub=1")).body;
        assert!(
            regency_page.contains("<strong>4 dari 8 RTL selesai (50\u{a0}%)</strong>"),
            "{name}: the regency's panel"
        );
        for member in [
            "<td>2 dari 5 (40\u{a0}%)<br><span class=\"late\">1 terlambat</span></td>",
            "<td>1 dari 1 (100\u{a0}%)</td>",
        ] {
            assert!(regency_page.contains(member), "{name}: the per-unit table lacks {member}");
        }
        let dashboard = t.app.get_as(&admin, &format!("/dasbor?period={this}")).body;
        for text in [
            "RTL periode ini, semua unit: <strong>4 dari 8 RTL selesai (50\u{a0}%)</strong> · 2 dibatalkan (tidak dihitung) · <span class=\"late\">2 terlambat</span>",
            "<td>2 dari 5 (40\u{a0}%)</td><td class=\"num late\">2</td>",
            "<td>1 dari 1 (100\u{a0}%)</td><td class=\"num\">0</td>",
            "RTL terlambat: melewati batas waktu dan belum selesai atau dibatalkan, dari periode mana pun",
        ] {
            assert!(dashboard.contains(text), "{name}: the regency dashboard lacks {text}");
        }
        // last month's page: its one action, late
        let last_page = t.app.get_as(&head, &format!("/dasbor/unit/alpha?period={last}")).body;
        assert!(last_page.contains("<strong>0 dari 1 RTL selesai (0\u{a0}%)</strong>"), "{name}");
    }
}

/// The multipart status form as a browser sends it.
fn change_status(t: &Tree, cookie: &str, id: i32, fields: &[(&str, &str)], file: &[u8]) -> common::Reply {
    let csrf = hidden(&t.app.get_as(cookie, "/akun/sandi").body, "csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    t.app.post_file_as(cookie, &format!("/dasbor/unit/alpha/rtl/{id}"), &all, "bukti.png", file)
}

fn status_of(t: &Tree, id: i32) -> String {
    rtl_actions::table.find(id).select(rtl_actions::status).first(&mut t.app.conn()).expect("action")
}

#[test]
fn a_status_change_needs_its_evidence_keeps_the_period_and_is_kept_in_the_history() {
    for database in backends() {
        let t = Tree::new(&database);
        let name = database.name;
        let head = t.login(HEAD);
        let period = t.last_month.to_string();
        let id = t.planned;
        let images = || proof_images::table.count().get_result::<i64>(&mut t.app.conn()).expect("images");

        // moving on is saved, and the page it returns to is the one the form was on
        let reply = change_status(&t, &head, id, &[("status", "in_progress"), ("period", &period), ("sub", "1")], b"");
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let back = reply.header("location").expect("location").to_string();
        assert_eq!(back, format!("/dasbor/unit/alpha?period={period}&sub=1&tersimpan=1#h-rtl"), "{name}");
        assert!(t.app.get_as(&head, &back).body.contains("Tindak lanjut tersimpan."), "{name}");
        assert_eq!(status_of(&t, id), "in_progress");

        // what done and dropped need, and proofs that are not proofs: nothing is stored
        let not_png = b"nama,usia\nBudi,40\n".to_vec();
        let mut too_big = skm::demo::counter_board_png();
        too_big.resize(2 * 1024 * 1024 + 1, 0);
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [u8], &'a str, &'a str);
        let cases: [Case; 5] = [
            (&[("status", "done")], b"", "bukti", "status Selesai memerlukan bukti"),
            (&[("status", "dropped"), ("url", "https://a.go.id/x")], b"", "alasan", "memerlukan alasan"),
            (&[("status", "done")], &not_png, "gambar", "bukan gambar PNG, JPEG atau WebP"),
            (&[("status", "done")], &too_big, "ukuran", "lebih dari 2 MB"),
            (&[("status", "done"), ("url", "javascript:alert(1)")], b"", "tautan", "diawali http:// atau https://"),
        ];
        for (fields, file, code, words) in cases {
            let mut fields = fields.to_vec();
            fields.push(("period", &period));
            let before = images();
            let reply = change_status(&t, &head, id, &fields, file);
            assert_eq!(reply.status, 303, "{name}: {code}: {}", reply.body);
            let back = reply.header("location").expect("location").to_string();
            assert_eq!(back, format!("/dasbor/unit/alpha?period={period}&masalah={code}#h-rtl"), "{name}");
            let page = t.app.get_as(&head, &back).body;
            assert!(page.contains("Tindak lanjut belum tersimpan:") && page.contains(words), "{name}: {code}");
            assert_eq!(status_of(&t, id), "in_progress", "{name}: {code} changed the status");
            assert_eq!(images(), before, "{name}: {code} stored an image");
        }

        // done with a note, a link and a photo
        let photo = skm::demo::counter_board_png();
        let fields = [
            ("status", "done"),
            ("note", "Kursi tambahan terpasang"),
            ("url", "https://alpha.go.id/berita/kursi"),
            ("period", &period),
        ];
        assert_eq!(change_status(&t, &head, id, &fields, &photo).status, 303, "{name}");
        assert_eq!(status_of(&t, id), "done", "{name}");
        let history = rtl::history(&mut t.app.conn(), &[id]).expect("history");
        let steps: Vec<(Option<&str>, &str, Option<&str>)> =
            history.iter().map(|h| (h.from_status.as_deref(), h.to_status.as_str(), h.by.as_deref())).collect();
        let by = Some("Kepala Dinas Alpha");
        assert_eq!(
            steps,
            [(None, "planned", by), (Some("planned"), "in_progress", by), (Some("in_progress"), "done", by)],
            "{name}: who moved it, from what to what"
        );
        let done = history.last().expect("the last change");
        assert_eq!(done.note.as_deref(), Some("Kursi tambahan terpasang"));
        assert_eq!(done.url.as_deref(), Some("https://alpha.go.id/berita/kursi"));
        assert!(done.image_id.is_some(), "{name}: the photo is kept with the change");

        // the photo goes back to who may see the unit, as the image it was checked to be
        let evidence = format!("/dasbor/unit/alpha/rtl/{id}/bukti");
        let admin = t.login(ADMIN);
        for cookie in [&head, &admin] {
            let reply = t.app.get_as(cookie, &evidence);
            assert_eq!(reply.status, 200, "{name}");
            assert_eq!(reply.bytes, photo, "{name}: the bytes uploaded");
            assert_eq!(reply.header("content-type"), Some("image/png"));
            assert_eq!(reply.header("content-disposition"), Some("inline"));
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        }
        let other = t.login(OTHER_HEAD);
        assert_eq!(t.app.get_as(&other, &evidence).status, 404, "{name}: another unit's head");
        let no_image = format!("/dasbor/unit/alpha/rtl/{}/bukti", t.late_in_progress);
        assert_eq!(t.app.get_as(&head, &no_image).status, 404, "{name}: an action without a photo");

        // the page shows the evidence and the history with names and times
        let page = t.app.get_as(&head, &format!("/dasbor/unit/alpha?period={}", t.this_month)).body;
        for text in [
            &format!("<img src=\"{evidence}\""),
            "Kursi tambahan terpasang",
            "href=\"https://alpha.go.id/berita/kursi\" rel=\"noopener noreferrer nofollow\"",
            "Riwayat (3)",
            "Kepala Dinas Alpha</span><br>Berjalan → Selesai: Kursi tambahan terpasang",
        ] {
            assert!(page.contains(text), "{name}: the page lacks {text}");
        }
        // dropped with its reason; audited
        let fields = [("status", "dropped"), ("note", "Tidak ada anggaran tahun ini"), ("period", &period)];
        assert_eq!(change_status(&t, &head, t.late_in_progress, &fields, b"").status, 303);
        assert_eq!(status_of(&t, t.late_in_progress), "dropped");
        let audited: Vec<String> = audit_log::table
            .filter(audit_log::action.eq("rtl.status"))
            .order(audit_log::id)
            .select(audit_log::detail)
            .load(&mut t.app.conn())
            .expect("audit");
        assert_eq!(
            audited,
            [
                format!("alpha action {id}: in_progress"),
                format!("alpha action {id}: done with note, link, image"),
                format!("alpha action {}: dropped with note", t.late_in_progress),
            ],
            "{name}"
        );
        let _ = t.head_id;
    }
}

#[test]
fn the_rtl_form_offers_the_templates_suggested_actions_for_the_lowest_elements() {
    for database in backends() {
        let t = Tree::new(&database);
        let name = database.name;
        // responses where waiting time (U3) is the weakest element
        {
            let mut conn = t.app.conn();
            let registry = common::registry(&mut conn);
            let (version_id, _) = registry.current("permenpanrb-14-2017").expect("template");
            for score in [3, 4] {
                let mut response = common::paper_response(t.alpha, version_id, t.today, score);
                response.answers.retain(|(code, _)| code != "U3");
                response.answers.push(("U3".into(), 1));
                skm::db::responses::insert(&mut conn, &response).expect("response");
            }
        }
        let head = t.login(HEAD);
        let page = t.app.get_as(&head, &format!("/dasbor/unit/alpha?period={}", t.this_month)).body;
        for text in [
            "RTL baru untuk U3 Waktu Penyelesaian",
            "<select id=\"g-U3\" name=\"suggestion\">",
            "<option>Menambah loket pada jam sibuk</option>",
            "<option>Menyediakan antrean daring</option>",
            "Atau tulis tindakan sendiri",
        ] {
            assert!(page.contains(text), "{name}: the form lacks {text}");
        }
        let csrf = hidden(&page, "csrf");
        let add = |action: &str, suggestion: &str| {
            let fields: Vec<(String, String)> = [
                ("csrf", csrf.as_str()),
                ("element", "U3"),
                ("period", &t.this_month.to_string()),
                ("suggestion", suggestion),
                ("action", action),
                ("owner", "Kasi Pelayanan"),
                ("due", "2030-01-31"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            t.app.post_form_as(&head, "/dasbor/unit/alpha/rtl", &fields)
        };
        // a suggestion picked, nothing typed: the suggestion is the action
        let reply = add("", "Menambah loket pada jam sibuk");
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let expected = format!("/dasbor/unit/alpha?period={}&tersimpan=1#h-rtl", t.this_month);
        assert_eq!(reply.header("location"), Some(expected.as_str()), "{name}: back to the period, saved");
        // both: the unit's own words win
        assert_eq!(add("Loket 4 khusus lansia", "Menyediakan antrean daring").status, 303);
        // neither: refused, nothing stored, and the page says what is missing
        let refused = add(" ", "");
        let expected = format!("/dasbor/unit/alpha?period={}&masalah=tindakan#h-rtl", t.this_month);
        assert_eq!((refused.status, refused.header("location")), (303, Some(expected.as_str())), "{name}");
        let page = t.app.get_as(&head, &expected).body;
        assert!(page.contains("Tindak lanjut belum tersimpan: isi tindakannya"), "{name}");
        // an element the questionnaire lacks is no one's typing mistake: a plain refusal
        let tampered: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("element", "U99"),
            ("period", &t.this_month.to_string()),
            ("action", "Loket"),
            ("owner", "Kasi Pelayanan"),
            ("due", "2030-01-31"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(t.app.post_form_as(&head, "/dasbor/unit/alpha/rtl", &tampered).status, 400, "{name}");
        let texts: Vec<String> = rtl_actions::table
            .filter(rtl_actions::unit_id.eq(t.alpha))
            .filter(rtl_actions::owner.eq("Kasi Pelayanan"))
            .order(rtl_actions::id)
            .select(rtl_actions::action)
            .load(&mut t.app.conn())
            .expect("actions");
        assert_eq!(texts, ["Menambah loket pada jam sibuk", "Loket 4 khusus lansia"], "{name}");
    }
}

/// The .eml files of a dry run of the monthly summaries for `period`.
fn monthly_dry_run(t: &Tree, period: Period) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = common::test_config("unused");
    config.mail.from = "SKM <skm@kabupaten.go.id>".into();
    let registry = common::registry(&mut t.app.conn());
    let options = skm::mail::monthly::Options {
        period,
        unit: None,
        zone: None,
        dry_run: true,
        retry_delays: Vec::new(),
        holder: "test".into(),
    };
    let mailer = skm::mail::Mailer::Files(dir.path().to_path_buf());
    let report = skm::mail::monthly::run(&t.app.pool, &registry, &config, &mailer, &options).expect("run");
    assert!(report.failed.is_empty(), "{report:?}");
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let data = std::fs::read_to_string(entry.expect("file").path()).expect("eml");
        let parsed = mailparse::parse_mail(data.as_bytes()).expect("MIME");
        let to = parsed.headers.iter().find(|h| h.get_key() == "To").map(|h| h.get_value()).unwrap_or_default();
        let (mut text, mut html) = (String::new(), String::new());
        let mut parts = vec![&parsed];
        while let Some(part) = parts.pop() {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().expect("text"),
                "text/html" => html = part.get_body().expect("html"),
                _ => {}
            }
            parts.extend(part.subparts.iter());
        }
        messages.push((to, text, html));
    }
    messages
}

#[test]
fn late_actions_are_named_in_red_in_the_unit_heads_and_the_admins_monthly_e_mail() {
    for database in backends() {
        let t = Tree::new(&database);
        let name = database.name;
        let messages = monthly_dry_run(&t, t.last_month);
        let to = |who: &str| messages.iter().find(|(to, _, _)| to.contains(who)).expect("a message");
        // the unit head: alpha with its sub-unit, the sub-unit's action named by unit
        let (_, text, html) = to(HEAD);
        assert!(text.contains("RTL yang melewati batas waktu (3):"), "{name}: {text}");
        for line in [
            "U3 Waktu Penyelesaian: Kursi ruang tunggu (batas",
            "terlambat 2 hari)",
            "UPT Alpha Satu — U3 Waktu Penyelesaian: Pelatihan petugas",
            "Kipas angin",
        ] {
            assert!(text.contains(line), "{name}: the head's summary lacks {line}: {text}");
        }
        assert_eq!(html.matches("<li style=\"color:#b00020;font-weight:bold\">").count(), 3, "{name}: in red");
        assert!(!text.contains("Papan alur"), "{name}: an action not yet due is not late");
        // the admin: the regency's share done without the dropped ones, and every late action
        let (_, text, html) = to(ADMIN);
        assert!(text.contains("RTL selesai: 4 dari 9 (44 %). 2 RTL dibatalkan tidak dihitung."), "{name}: {text}");
        assert!(text.contains("RTL yang melewati batas waktu (3):"), "{name}");
        assert!(text.contains("Dinas Alpha — U3 Waktu Penyelesaian: Kursi ruang tunggu"), "{name}: {text}");
        assert_eq!(html.matches("<li style=\"color:#b00020;font-weight:bold\">").count(), 3, "{name}");
        let _ = (t.satu, t.beta);
    }
}
