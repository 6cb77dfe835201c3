//! The setup workbook (issue 22): a whole regency's units, services, users and populations read
//! from one XLSX, all or nothing, on both backends. A big workbook (100 units, 300 services,
//! 100 users, 1,200 populations) imports in one go; importing it again changes nothing; an
//! edited one previews exactly its changes and applies exactly them; a bad cell anywhere leaves
//! the database as it was; the export reads back as the database and imports as no change; the
//! `/admin` upload previews and applies; the template keeps its drop-downs in LibreOffice.

use crate::common;

use common::{backends, hidden, seed_unit_and_user, tool_available, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::catalog::Catalog;
use skm::db::schema::{audit_log, services, unit_letterheads, unit_populations, units, user_units, users};
use skm::db::DbConnection;
use skm::domain::names::Role;
use skm::setup::{self, Outcome, Preview};
use std::time::Instant;

/// A workbook's rows as text, written the way a person fills the template.
#[derive(Clone)]
struct Spec {
    /// slug, nama, jenis, induk, kuesioner, aktif, instansi, nip
    units: Vec<[String; 8]>,
    /// unit, slug, nama, aktif
    services: Vec<[String; 4]>,
    /// email, nama, peran, unit, aktif
    users: Vec<[String; 5]>,
    /// unit, periode, jumlah
    populations: Vec<[String; 3]>,
}

fn s(v: &str) -> String {
    v.to_string()
}

impl Spec {
    /// 100 units (a regency, 18 OPDs, a Mal Pelayanan Publik, 80 sub-units: those under the MPP
    /// are its agencies), 3 services each, 100 users, 12 months of population per unit.
    fn big() -> Spec {
        let mut units = vec![[
            s("kutim"),
            s("Pemerintah Kabupaten Kutai Timur"),
            s("regency"),
            s(""),
            s(""),
            s("ya"),
            s("Pemerintah Kabupaten Kutai Timur"),
            s(""),
        ]];
        for o in 1..=19 {
            let template = if o % 5 == 0 { "kepmenpan-25-2004" } else { "" };
            units.push([
                format!("opd-{o}"),
                format!("Dinas Nomor {o}"),
                // the last is a Mal Pelayanan Publik, its sub-units the agencies in the hall
                s(if o == 19 { "mpp" } else { "opd" }),
                s("kutim"),
                s(template),
                s("ya"),
                format!("Dinas Nomor {o}"),
                format!("19750101200003{o:04}"),
            ]);
        }
        for u in 1..=80 {
            let parent = format!("opd-{}", 1 + (u - 1) % 19);
            units.push([
                format!("upt-{u}"),
                format!("UPT Nomor {u}"),
                s("sub_unit"),
                parent,
                s(""),
                s(""),
                s(""),
                s(""),
            ]);
        }
        let mut services = Vec::new();
        for unit in &units {
            for k in 1..=3 {
                services.push([unit[0].clone(), format!("layanan-{k}"), format!("Layanan {k} {}", unit[1]), s("ya")]);
            }
        }
        let mut users = Vec::new();
        for n in 1..=100 {
            let unit = &units[n % units.len()][0];
            let role = if n % 2 == 0 { "operator" } else { "unit_head" };
            users.push([
                format!("pengguna{n}@kutaitimurkab.go.id"),
                format!("Pengguna {n}"),
                s(role),
                unit.clone(),
                s("ya"),
            ]);
        }
        let mut populations = Vec::new();
        for (i, unit) in units.iter().enumerate() {
            for m in 1..=12 {
                populations.push([unit[0].clone(), format!("2026-{m:02}"), (1000 + i * 12 + m).to_string()]);
            }
        }
        Spec { units, services, users, populations }
    }

    /// The workbook; counts are written as numbers, as a spreadsheet stores them.
    fn xlsx(&self) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let mut sheet = |name: &str, headers: &[&str], rows: Vec<Vec<String>>, numbers: &[usize]| {
            let ws = book.add_worksheet().set_name(name).expect("sheet name");
            for (c, h) in headers.iter().enumerate() {
                ws.write_string(0, c as u16, *h).expect("header");
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    if v.is_empty() {
                        continue;
                    }
                    match v.parse::<f64>() {
                        Ok(n) if numbers.contains(&c) => ws.write_number(r as u32 + 1, c as u16, n),
                        _ => ws.write_string(r as u32 + 1, c as u16, v),
                    }
                    .expect("cell");
                }
            }
        };
        // the columns in another order than the template's: headers are matched by name
        sheet(
            "Unit",
            &["slug", "nama", "jenis", "induk", "kuesioner", "aktif", "instansi", "nip"],
            self.units.iter().map(|r| r.to_vec()).collect(),
            &[],
        );
        sheet("Layanan", &["unit", "slug", "nama", "aktif"], self.services.iter().map(|r| r.to_vec()).collect(), &[]);
        sheet(
            "Pengguna",
            &["email", "nama", "peran", "unit", "aktif"],
            self.users.iter().map(|r| r.to_vec()).collect(),
            &[],
        );
        sheet(
            "Populasi",
            &["jumlah", "unit", "periode"],
            self.populations.iter().map(|[u, p, n]| vec![n.clone(), u.clone(), p.clone()]).collect(),
            &[0],
        );
        book.save_to_buffer().expect("xlsx")
    }
}

fn catalog() -> Catalog {
    Catalog::load(None).expect("templates")
}

/// Every row the setup touches, without timestamps and ids that a re-import would not change.
type Dump = (
    Vec<(i32, Option<i32>, String, String, String, Option<String>, bool)>,
    Vec<(i32, i32, String, String, bool)>,
    Vec<(i32, String, String, String, String, bool)>,
    Vec<(i32, i32)>,
    Vec<(i32, String, i64)>,
    Vec<(i32, String, String)>,
    i64,
);

fn dump(conn: &mut DbConnection) -> Dump {
    (
        units::table
            .order(units::id)
            .select((
                units::id,
                units::parent_id,
                units::slug,
                units::name,
                units::kind,
                units::template_id,
                units::active,
            ))
            .load(conn)
            .expect("units"),
        services::table
            .order(services::id)
            .select((services::id, services::unit_id, services::slug, services::name, services::active))
            .load(conn)
            .expect("services"),
        users::table
            .order(users::id)
            .select((users::id, users::email, users::name, users::role, users::password_hash, users::disabled))
            .load(conn)
            .expect("users"),
        user_units::table.order((user_units::user_id, user_units::unit_id)).load(conn).expect("user units"),
        unit_populations::table
            .order((unit_populations::unit_id, unit_populations::period))
            .load(conn)
            .expect("populations"),
        unit_letterheads::table
            .order(unit_letterheads::unit_id)
            .select((unit_letterheads::unit_id, unit_letterheads::agency, unit_letterheads::nip))
            .load(conn)
            .expect("letterheads"),
        audit_log::table.count().get_result(conn).expect("audit"),
    )
}

fn preview(conn: &mut DbConnection, bytes: &[u8]) -> setup::Plan {
    match setup::preview(conn, &catalog(), None, bytes).expect("preview") {
        Preview::Ready(plan) => plan,
        Preview::Refused(issues) => panic!("refused: {issues:#?}"),
    }
}

fn apply(conn: &mut DbConnection, bytes: &[u8], fingerprint: Option<&str>) -> Outcome {
    setup::apply(conn, &catalog(), None, bytes, fingerprint, chrono::Utc::now().naive_utc()).expect("apply")
}

#[test]
fn a_big_workbook_imports_in_one_go_and_again_changes_nothing() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let spec = Spec::big();
        let bytes = spec.xlsx();
        let started = Instant::now();
        let plan = preview(&mut conn, &bytes);
        let previewed = started.elapsed();
        assert_eq!(
            plan.counts(),
            [("unit_new", 100), ("unit_kop", 20), ("service_new", 300), ("user_new", 100), ("population_new", 1200)],
            "{}",
            database.name
        );
        let started = Instant::now();
        let Outcome::Applied(applied) = apply(&mut conn, &bytes, Some(&plan.fingerprint())) else {
            panic!("applied on {}", database.name)
        };
        let took = started.elapsed();
        println!(
            "TIMING setup workbook on {}: preview {:.2} s, import of 100 units, 300 services, 100 users, 1,200 populations {:.2} s",
            database.name,
            previewed.as_secs_f64(),
            took.as_secs_f64()
        );
        assert_eq!(applied.new_users.len(), 100);
        let after = dump(&mut conn);
        assert_eq!((after.0.len(), after.1.len(), after.2.len(), after.4.len()), (100, 300, 100, 1200));
        // new users have no password anyone can sign in with
        assert!(after.2.iter().all(|u| u.4 == skm::db::users::NO_PASSWORD));
        let parent_of = |slug: &str| {
            let unit = after.0.iter().find(|u| u.2 == slug).expect("unit");
            after.0.iter().find(|u| Some(u.0) == unit.1).map(|p| p.2.clone())
        };
        assert_eq!(parent_of("upt-20").as_deref(), Some("opd-1"));
        assert_eq!(
            after.0.iter().find(|u| u.2 == "opd-5").and_then(|u| u.5.clone()).as_deref(),
            Some("kepmenpan-25-2004")
        );

        let again = preview(&mut conn, &bytes);
        assert!(
            again.is_empty(),
            "re-import on {}: {:?}",
            database.name,
            again.lines(skm::i18n::Tr::new(skm::domain::template::Lang::En))
        );
        assert_eq!(apply(&mut conn, &bytes, None), Outcome::Applied(Default::default()));
        assert_eq!(dump(&mut conn), after, "re-import changed nothing on {}", database.name);
    }
}

#[test]
fn an_edited_workbook_previews_exactly_its_changes_and_applies_exactly_them() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let spec = Spec::big();
        assert!(matches!(apply(&mut conn, &spec.xlsx(), None), Outcome::Applied(_)));
        let mut edited = spec.clone();
        for i in [3, 40, 77] {
            edited.units[i][1] = format!("{} (baru)", edited.units[i][1]);
        }
        for n in 1..=12 {
            edited.units.push([
                format!("kecamatan-{n}"),
                format!("Kecamatan {n}"),
                s("sub_unit"),
                s("kutim"),
                s(""),
                s(""),
                s(""),
                s(""),
            ]);
        }
        let dropped = edited.services.remove(7);
        let bytes = edited.xlsx();
        let plan = preview(&mut conn, &bytes);
        assert_eq!(
            plan.counts(),
            [("unit_new", 12), ("unit_renamed", 3), ("service_disabled", 1)],
            "{}: {:?}",
            database.name,
            plan.lines(skm::i18n::Tr::new(skm::domain::template::Lang::En))
        );
        let summary = plan.summary(skm::i18n::Tr::new(skm::domain::template::Lang::Id));
        assert_eq!(summary, "12 unit baru, 3 nama unit berubah, 1 layanan dinonaktifkan");
        let before = dump(&mut conn);
        assert!(matches!(apply(&mut conn, &bytes, Some(&plan.fingerprint())), Outcome::Applied(_)));
        let after = dump(&mut conn);
        assert_eq!(after.0.len(), before.0.len() + 12);
        let renamed: Vec<&String> =
            after.0.iter().filter(|u| before.0.iter().any(|b| b.0 == u.0 && b.3 != u.3)).map(|u| &u.2).collect();
        assert_eq!(renamed, [&edited.units[3][0], &edited.units[40][0], &edited.units[77][0]]);
        let disabled: Vec<(String, String)> = after
            .1
            .iter()
            .filter(|s| !s.4)
            .map(|s| (after.0.iter().find(|u| u.0 == s.1).expect("unit").2.clone(), s.2.clone()))
            .collect();
        assert_eq!(
            disabled,
            [(dropped[0].clone(), dropped[1].clone())],
            "the dropped service is disabled, not deleted"
        );
        assert_eq!(after.1.len(), before.1.len(), "no service deleted");
        assert_eq!(
            (&after.2, &after.3, &after.4),
            (&before.2, &before.3, &before.4),
            "users and populations as they were"
        );
        assert!(preview(&mut conn, &bytes).is_empty(), "applied exactly the preview");
    }
}

#[test]
fn a_plan_that_changed_since_the_preview_is_not_applied() {
    let database = TestDb::sqlite();
    let pool = database.pool();
    let mut conn = pool.get().expect("connection");
    let bytes = Spec::big().xlsx();
    let stale = preview(&mut conn, &bytes).fingerprint();
    let mut small = Spec::big();
    small.units.truncate(1);
    small.services.truncate(1);
    small.users.clear();
    small.populations.clear();
    assert!(matches!(apply(&mut conn, &small.xlsx(), None), Outcome::Applied(_)));
    let before = dump(&mut conn);
    assert!(matches!(apply(&mut conn, &bytes, Some(&stale)), Outcome::Changed(_)));
    assert_eq!(dump(&mut conn), before);
}

#[test]
fn a_bad_cell_leaves_the_database_unchanged_and_is_named() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let spec = Spec::big();
        assert!(matches!(apply(&mut conn, &spec.xlsx(), None), Outcome::Applied(_)));
        // many changes, and one bad cell in the last sheet's last row
        let mut bad = spec.clone();
        for unit in bad.units.iter_mut() {
            unit[1] = format!("{} baru", unit[1]);
        }
        bad.units.push([s("unit-lain"), s("Unit Lain"), s("opd"), s("kutim"), s(""), s(""), s(""), s("")]);
        let last = bad.populations.len() - 1;
        bad.populations[last][2] = s("banyak");
        let before = dump(&mut conn);
        let Outcome::Refused(issues) = apply(&mut conn, &bad.xlsx(), None) else { panic!("refused") };
        assert_eq!(issues.len(), 1, "{issues:?}");
        let sheet_row = bad.populations.len() as u32 + 1;
        assert_eq!(
            issues[0].text(skm::i18n::Tr::new(skm::domain::template::Lang::Id)),
            format!("lembar Populasi, baris {sheet_row}, kolom jumlah: 'banyak' bukan bilangan bulat 0 atau lebih")
        );
        assert_eq!(
            issues[0].to_string(),
            format!("sheet Populasi, row {sheet_row}, column jumlah: 'banyak' is not a whole number of 0 or more")
        );
        assert_eq!(dump(&mut conn), before, "nothing written on {}", database.name);

        // every bad cell is named, across the sheets
        let mut worse = spec.clone();
        worse.units[5][2] = s("dinas");
        worse.units[6][3] = s("tidak-ada");
        worse.services[0][1] = s("Layanan Satu");
        worse.users[0][2] = s("admin-unit");
        worse.users[1][0] = s("bukan-email");
        worse.populations[0][1] = s("2026-Q1");
        let Outcome::Refused(issues) = apply(&mut conn, &worse.xlsx(), None) else { panic!("refused") };
        let places: Vec<String> =
            issues.iter().map(|i| i.place(skm::i18n::Tr::new(skm::domain::template::Lang::En))).collect();
        assert_eq!(
            places,
            [
                "sheet Unit, row 7, column jenis",
                "sheet Unit, row 8, column induk",
                "sheet Layanan, row 2, column slug",
                "sheet Pengguna, row 2, column peran",
                "sheet Pengguna, row 3, column email",
                "sheet Populasi, row 2, column periode",
            ]
        );
        assert_eq!(dump(&mut conn), before);
    }
}

#[test]
fn the_export_reads_back_as_the_database_and_imports_as_no_change() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let spec = Spec::big();
        assert!(matches!(apply(&mut conn, &spec.xlsx(), None), Outcome::Applied(_)));
        // a disabled unit and user, a letterhead with every field, a default questionnaire
        let mut edited = spec.clone();
        edited.units[10][5] = s("tidak");
        edited.users[4][4] = s("tidak");
        assert!(matches!(apply(&mut conn, &edited.xlsx(), None), Outcome::Applied(_)));
        let exported = setup::export(&mut conn, &catalog()).expect("export");
        assert!(preview(&mut conn, &exported).is_empty(), "export → import changes nothing on {}", database.name);
        let book = setup::read::read(&exported, &setup::template_ids(&catalog())).expect("the export reads");
        let current = setup::plan::current(&mut conn).expect("current");
        assert_eq!(book.units.len(), current.units.len());
        for unit in &book.units {
            let stored = current.units.iter().find(|u| u.slug == unit.slug.as_str()).expect("stored");
            assert_eq!(
                (unit.name.as_str(), unit.kind.as_str(), &unit.parent, &unit.template, unit.active),
                (stored.name.as_str(), stored.kind.as_str(), &stored.parent, &stored.template, Some(stored.active))
            );
            let kop = stored.kop.clone().unwrap_or_default();
            assert_eq!(unit.letterhead.nip.as_deref(), Some(kop.nip.as_str()));
            assert_eq!(unit.letterhead.agency.as_deref(), Some(kop.agency.as_str()));
        }
        let stored_services: Vec<(String, String, String, bool)> =
            current.services.iter().map(|s| (s.unit.clone(), s.slug.clone(), s.name.clone(), s.active)).collect();
        let mut read_services: Vec<(String, String, String, bool)> = book
            .services
            .iter()
            .map(|s| (s.unit.clone(), s.slug.to_string(), s.name.clone(), s.active.unwrap_or(true)))
            .collect();
        read_services.sort();
        assert_eq!(read_services, stored_services);
        assert_eq!(book.users.len(), current.users.len());
        for user in &book.users {
            let stored = current.users.iter().find(|u| u.email == user.email.as_str()).expect("stored");
            let mut units = user.units.clone();
            units.sort();
            assert_eq!(
                (user.name.as_str(), user.role.as_str(), &units, user.active),
                (stored.name.as_str(), stored.role.as_str(), &stored.units, Some(stored.active))
            );
        }
        let populations: Vec<(String, String, i64)> =
            book.populations.iter().map(|p| (p.unit.clone(), p.period.to_string(), i64::from(p.count))).collect();
        assert_eq!(populations, current.populations);
    }
}

#[test]
fn the_acting_admin_cannot_disable_themselves_or_drop_their_role_by_workbook() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "alpha", "admin@kutaitimurkab.go.id", Role::Admin);
    let admin_id: i32 = users::table.select(users::id).first(&mut app.conn()).expect("admin");
    let mut spec = Spec::big();
    spec.users.push([s("admin@kutaitimurkab.go.id"), s("Admin"), s("operator"), s("kutim"), s("tidak")]);
    let Preview::Refused(issues) =
        setup::preview(&mut app.conn(), &catalog(), Some(admin_id), &spec.xlsx()).expect("preview")
    else {
        panic!("refused")
    };
    let reasons: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "sheet Pengguna, row 102, column peran: you cannot take away your own admin role",
            "sheet Pengguna, row 102, column aktif: you cannot disable your own account",
        ]
    );
}

/// Signs in the admin of a fresh app; returns the cookie and the CSRF token.
fn admin_session(app: &TestApp) -> (String, String) {
    seed_unit_and_user(app, "alpha", "admin@kutaitimurkab.go.id", Role::Admin);
    let cookie =
        app.login("admin@kutaitimurkab.go.id", PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
    let csrf = hidden(&app.get_as(&cookie, "/admin").body, "csrf");
    (cookie, csrf)
}

#[test]
fn the_admin_uploads_a_workbook_sees_its_preview_and_applies_it() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (cookie, csrf) = admin_session(&app);
        let page = app.get_as(&cookie, "/admin").body;
        assert!(page.contains("Siapkan dengan buku kerja (XLSX)"), "the section is on /admin");
        let template = app.get_as(&cookie, "/admin/buku-kerja/contoh.xlsx");
        assert_eq!(
            (template.status, template.header("content-type")),
            (200, Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        );

        // the big workbook, with the admin's own row (unit alpha kept)
        let mut spec = Spec::big();
        spec.units.push([s("alpha"), s("Unit alpha"), s("opd"), s(""), s(""), s(""), s(""), s("")]);
        spec.services.push([s("alpha"), s("ktp-el"), s("ktp-el"), s("ya")]);
        spec.services.push([s("alpha"), s("akta-lahir"), s("akta-lahir"), s("ya")]);
        spec.users.push([s("admin@kutaitimurkab.go.id"), s("Petugas"), s("admin"), s("alpha"), s("ya")]);
        let bytes = spec.xlsx();
        let before = dump(&mut app.conn());
        let preview =
            app.post_file_as(&cookie, "/admin/buku-kerja/pratinjau", &[("csrf", &csrf)], "kabupaten.xlsx", &bytes);
        assert_eq!(preview.status, 200, "{}", preview.body);
        common::assert_indonesian(&preview.body, "the preview");
        assert!(preview.body.contains("100 unit baru"), "{}", preview.body);
        assert!(preview.body.contains("300 layanan baru, 100 pengguna baru, 1200 populasi baru"), "{}", preview.body);
        assert!(preview.body.contains("Unit baru upt-20 — UPT Nomor 20 (sub_unit, induk opd-1)"));
        assert_eq!(dump(&mut app.conn()), before, "a preview changes nothing");
        std::fs::write(common::samples_dir().join(format!("setup-preview-{}.html", database.name)), &preview.body).ok();

        let fields = [
            ("csrf".to_string(), csrf.clone()),
            ("digest".to_string(), hidden(&preview.body, "digest")),
            ("plan".to_string(), hidden(&preview.body, "plan")),
        ];
        let applied = app.post_form_as(&cookie, "/admin/buku-kerja/terapkan", &fields);
        assert_eq!(applied.status, 200, "{}", applied.body);
        assert!(applied.body.contains("Buku kerja diterapkan: 100 unit baru"), "{}", applied.body);
        // e-mail is off here: each new user's invitation link is shown once, on this page only
        assert_eq!(applied.body.matches("/sandi/atur?token=").count(), 100, "one link per new user");
        assert!(applied.body.contains("Undangan"), "{}", applied.body);
        // …in one notice that says once why they are shown, not a hundred notices
        assert_eq!(applied.body.matches("E-mail belum diatur, jadi undangan tidak dikirim.").count(), 1);
        assert_eq!(applied.body.matches("class=\"notice reset-link invitation-link\"").count(), 1);
        let after = dump(&mut app.conn());
        assert_eq!((after.0.len(), after.1.len(), after.2.len(), after.4.len()), (101, 302, 101, 1200));
        let again = app.post_form_as(&cookie, "/admin/buku-kerja/terapkan", &fields);
        assert_eq!(again.status, 422, "the same confirmation twice applies once");
        assert!(again.body.contains("sudah diterapkan atau kedaluwarsa"));
        assert_eq!(dump(&mut app.conn()), after);

        // the export downloads as the same setup
        let export = app.get_as(&cookie, "/admin/buku-kerja/ekspor.xlsx");
        assert_eq!(export.status, 200);
        let none =
            app.post_file_as(&cookie, "/admin/buku-kerja/pratinjau", &[("csrf", &csrf)], "ekspor.xlsx", &export.bytes);
        assert!(none.body.contains("Tidak ada yang berubah"), "{}", none.body);
        assert!(!none.body.contains("name=\"digest\""), "nothing to apply");
    }
}

#[test]
fn a_wrong_file_or_a_bad_cell_gets_a_page_that_says_so() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (cookie, csrf) = admin_session(&app);
    let before = dump(&mut app.conn());
    let upload = |name: &str, bytes: &[u8]| {
        app.post_file_as(&cookie, "/admin/buku-kerja/pratinjau", &[("csrf", &csrf)], name, bytes)
    };
    let csv = upload("unit.csv", b"slug,nama\nalpha,Alpha\n");
    assert_eq!(csv.status, 422, "{}", csv.body);
    assert!(csv.body.contains("bukan buku kerja XLSX"), "{}", csv.body);
    common::assert_indonesian(&csv.body, "a CSV");
    let empty = upload("kosong.xlsx", b"");
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Pilih berkas buku kerja"));
    let mut spec = Spec::big();
    spec.populations[1199][2] = s("banyak");
    let bad = upload("kabupaten.xlsx", &spec.xlsx());
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("lembar Populasi, baris 1201, kolom jumlah"), "{}", bad.body);
    assert!(
        bad.body.contains("&#39;banyak&#39; bukan bilangan bulat 0 atau lebih")
            || bad.body.contains("'banyak' bukan bilangan bulat"),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains("name=\"digest\""), "nothing to apply");
    assert_eq!(dump(&mut app.conn()), before);
    // a forged confirmation (no such upload) applies nothing
    let forged =
        [("csrf".to_string(), csrf.clone()), ("digest".to_string(), "0".repeat(64)), ("plan".to_string(), "x".into())];
    assert_eq!(app.post_form_as(&cookie, "/admin/buku-kerja/terapkan", &forged).status, 422);
    assert_eq!(dump(&mut app.conn()), before);
}

#[test]
fn the_template_keeps_its_drop_down_lists_in_libreoffice() {
    let template = setup::template(&catalog()).expect("template");
    // it reads back as a valid workbook: the example rows are a regency to start from
    let book = setup::read::read(&template, &setup::template_ids(&catalog())).expect("the template reads");
    assert_eq!((book.units.len(), book.services.len(), book.users.len(), book.populations.len()), (4, 3, 3, 3));
    if !tool_available("soffice") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contoh.xlsx");
    std::fs::write(&path, &template).expect("write");
    let out = std::process::Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", "ods", "--outdir"])
        .arg(dir.path())
        .arg(&path)
        .env("HOME", dir.path())
        .output()
        .expect("soffice");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ods = std::fs::read(dir.path().join("contoh.ods")).expect("converted");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(ods)).expect("an ODS is a zip");
    let mut content = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("content.xml").expect("content.xml"), &mut content)
        .expect("read");
    let validations = content.matches("<table:content-validation ").count();
    assert!(validations >= 6, "the kinds, questionnaires, aktif (3 sheets), roles and unit slug lists: {validations}");
    for list in [
        "&quot;regency&quot;;&quot;opd&quot;;&quot;sub_unit&quot;;&quot;mpp&quot;",
        "&quot;admin&quot;;&quot;unit_head&quot;;&quot;operator&quot;",
        "&quot;ya&quot;;&quot;tidak&quot;",
        "&quot;permenpanrb-14-2017&quot;",
        // a parent or a service's, a population's unit: picked from the Unit sheet's slugs
        "of:cell-content-is-in-list([$Unit.$A$2:.$A$1005])",
    ] {
        assert!(content.contains(list), "{list} in content.xml");
    }
    for sheet in ["Unit", "Layanan", "Pengguna", "Populasi", "Petunjuk"] {
        assert!(content.contains(&format!("table:name=\"{sheet}\"")), "sheet {sheet}");
    }
}

#[test]
fn skm_setup_writes_the_template_previews_applies_only_when_asked_and_exports() {
    for database in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let run = |args: &[&str]| {
            common::skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("skm setup")
        };
        let out = run(&["setup", "--template", "contoh.xlsx"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let template = std::fs::read(dir.path().join("contoh.xlsx")).expect("written");
        assert!(setup::read::read(&template, &setup::template_ids(&catalog())).is_ok());

        // a preview without --apply (and no terminal) changes nothing
        std::fs::write(dir.path().join("kabupaten.xlsx"), Spec::big().xlsx()).expect("write");
        let preview = run(&["setup", "--workbook", "kabupaten.xlsx"]);
        let text = String::from_utf8_lossy(&preview.stdout);
        assert!(preview.status.success(), "{}", String::from_utf8_lossy(&preview.stderr));
        assert!(text.starts_with("100 unit baru, 20 kop surat berubah, 300 layanan baru"), "{text}");
        assert!(text.contains("Belum diterapkan"), "{text}");
        let pool = database.pool();
        assert_eq!(dump(&mut pool.get().expect("connection")).0.len(), 0);

        let applied = run(&["setup", "--workbook", "kabupaten.xlsx", "--apply", "--lang", "en"]);
        let text = String::from_utf8_lossy(&applied.stdout);
        assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
        assert!(text.contains("Applied: 100 new units"), "{text}");
        assert!(text.contains("Invitations for 100 new users"), "{text}");
        // e-mail is off: each new user's one-time link is printed, once
        assert_eq!(text.matches("/sandi/atur?token=").count(), 100, "{text}");
        assert_eq!(dump(&mut pool.get().expect("connection")).0.len(), 100);

        let export = run(&["setup", "--export", "ekspor.xlsx"]);
        assert!(export.status.success());
        let again = run(&["setup", "--workbook", "ekspor.xlsx", "--apply"]);
        assert_eq!(
            String::from_utf8_lossy(&again.stdout).trim(),
            "Tidak ada yang berubah: buku kerja sama dengan data yang tersimpan."
        );
        // in Indonesian (the default), the invitation lines are Indonesian too
        let mut more = Spec::big();
        more.users.push([s("baru@kutaitimurkab.go.id"), s("Pengguna Baru"), s("operator"), s("kutim"), s("ya")]);
        std::fs::write(dir.path().join("tambah.xlsx"), more.xlsx()).expect("write");
        let added = run(&["setup", "--workbook", "tambah.xlsx", "--apply"]);
        let text = String::from_utf8_lossy(&added.stdout);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        assert!(
            text.contains(
                "e-mail belum diatur (smtp_host kosong): berikan sendiri tautan ini kepada baru@kutaitimurkab.go.id"
            ) && text.contains("tautan undangan sekali pakai untuk baru@kutaitimurkab.go.id, berlaku sampai"),
            "{text}"
        );
        assert!(!text.contains("e-mail is off"), "{text}");

        // a bad cell: every one listed, exit code not 0
        let mut bad = Spec::big();
        bad.units[1][2] = s("dinas");
        bad.users[3][0] = s("bukan-email");
        std::fs::write(dir.path().join("salah.xlsx"), bad.xlsx()).expect("write");
        let refused = run(&["setup", "--workbook", "salah.xlsx", "--apply"]);
        assert!(!refused.status.success());
        let errors = String::from_utf8_lossy(&refused.stderr);
        assert!(
            errors.contains(
                "salah.xlsx: lembar Unit, baris 3, kolom jenis: 'dinas' bukan salah satu dari regency, opd, sub_unit, mpp"
            ),
            "{errors}"
        );
        assert!(
            errors.contains("salah.xlsx: lembar Pengguna, baris 5, kolom email: 'bukan-email' bukan alamat e-mail"),
            "{errors}"
        );
    }
}

#[test]
fn the_preview_page_reads_on_a_desktop_and_a_phone() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    use common::webdriver::{accessibility_violations, axe_source, Browser};
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "alpha", "admin@kutaitimurkab.go.id", Role::Admin);
    let mut spec = Spec::big();
    spec.units.truncate(30);
    spec.services.retain(|s| spec.units.iter().any(|u| u[0] == s[0]));
    spec.users.retain(|u| spec.units.iter().any(|unit| unit[0] == u[3]));
    spec.populations.retain(|p| spec.units.iter().any(|u| u[0] == p[0]));
    spec.units.push([s("alpha"), s("Unit alpha"), s("opd"), s(""), s(""), s(""), s(""), s("")]);
    spec.users.push([s("admin@kutaitimurkab.go.id"), s("Petugas"), s("admin"), s("alpha"), s("ya")]);
    assert!(matches!(apply(&mut app.conn(), &spec.xlsx(), None), Outcome::Applied(_)));
    let mut edited = spec.clone();
    for i in [3, 7, 12] {
        edited.units[i][1] = format!("{} Kabupaten Kutai Timur", edited.units[i][1]);
    }
    edited.units[25][3] = s("opd-2");
    for n in 1..=4 {
        edited.units.push([
            format!("kecamatan-{n}"),
            format!("Kecamatan {n}"),
            s("sub_unit"),
            s("kutim"),
            s(""),
            s(""),
            s(""),
            s(""),
        ]);
    }
    edited.services.remove(7);
    edited.users[2][2] = s("unit_head");
    edited.users.push([s("baru@kutaitimurkab.go.id"), s("Pengguna Baru"), s("operator"), s("kecamatan-1"), s("ya")]);
    // an address as long as the regency's real ones, wider than a phone unless it wraps
    edited.users.push([
        s("kepala@disdukcapil.kutaitimurkab.go.id"),
        s("Kepala Disdukcapil"),
        s("unit_head"),
        s("kecamatan-1"),
        s("ya"),
    ]);
    edited.populations[0][2] = s("1500");
    let path = common::samples_dir().join("setup-edited.xlsx");
    std::fs::write(&path, edited.xlsx()).expect("write");
    let mut bad = edited.clone();
    bad.units[4][2] = s("dinas");
    bad.users[1][0] = s("bukan-email");
    let bad_path = common::samples_dir().join("setup-bad.xlsx");
    std::fs::write(&bad_path, bad.xlsx()).expect("write");
    for (width, height) in [(1366, 900), (360, 740)] {
        let browser = Browser::start(width, height);
        browser.sign_in(&app.url("/masuk"), "admin@kutaitimurkab.go.id", PASSWORD);
        for (file, name) in [(&path, "preview"), (&bad_path, "refused")] {
            browser.open(&app.url("/admin"));
            browser.type_into("#sw-file", &file.display().to_string());
            browser.click("form[action='/admin/buku-kerja/pratinjau'] button");
            browser.wait_for_text("Pratinjau buku kerja");
            browser.screenshot(&common::samples_dir().join(format!("setup-{name}-{width}.png")));
            let scroll = browser.script("return document.documentElement.scrollWidth;", vec![]);
            assert!(
                scroll.as_u64().is_some_and(|w| w <= u64::from(width)),
                "no sideways scrolling at {width} px: {scroll}"
            );
            if let Some(axe) = axe_source() {
                let violations = accessibility_violations(&browser, &axe, &[]);
                assert!(violations.is_empty(), "axe-core violations on the {name} page: {violations:#?}");
            }
        }
    }
}
