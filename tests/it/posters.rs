//! The regency's day-one posters: every active unit's QR poster in one PDF (`/admin` and
//! `skm qr --all`), a page per service where a unit asks for it, and the record of which units
//! downloaded theirs.

use crate::common;

use common::{backends, create_service_unit, report_samples_dir, seed_unit_and_user, skm, tool_available, TestApp};
use common::{TestDb, PASSWORD};
use skm::db::units;
use skm::domain::names::{Role, Slug, UnitKind};
use std::path::Path;
use std::process::Command;

const ADMIN: &str = "admin@kutaitimurkab.go.id";
const BASE: &str = "https://skm.kutaitimurkab.go.id";

fn add_unit(conn: &mut skm::db::DbConnection, slug: &str, name: &str, parent: Option<i32>) -> i32 {
    let new = units::NewUnit {
        slug: &Slug::parse(slug).expect("slug"),
        name,
        kind: UnitKind::Opd,
        parent_id: parent,
        contact_emails: &[],
        template_id: None,
    };
    units::create(conn, &new).expect("unit").id
}

fn never_downloaded(app: &TestApp) -> Vec<String> {
    units::without_poster_download(&mut app.conn()).expect("query").into_iter().map(|u| u.slug).collect()
}

/// A PDF's page count as `pdfinfo` reads it.
fn pages(path: &Path) -> usize {
    let info = Command::new("pdfinfo").arg(path).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap_or_else(|| panic!("pdfinfo: {info}"));
    line["Pages:".len()..].trim().parse().expect("a number")
}

/// The text of one page (1-based).
fn page_text(path: &Path, page: usize) -> String {
    let n = page.to_string();
    let out = Command::new("pdftotext").args(["-f", &n, "-l", &n]).arg(path).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The address the QR code of one page holds, read from the page drawn at 100 dpi as a phone
/// reads the printed poster.
fn page_qr(path: &Path, page: usize, image: &Path) -> String {
    let n = page.to_string();
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "100", "-singlefile", "-f", &n, "-l", &n])
        .arg(path)
        .arg(image)
        .status();
    assert!(status.is_ok_and(|s| s.success()), "pdftoppm");
    let bytes = std::fs::read(image.with_extension("png")).expect("page image");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("png");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[(y * w + x) * channels]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on page {page}");
    grids[0].decode().expect("readable").1
}

#[test]
fn the_all_units_pdf_has_a_page_per_unit_and_per_service_asked_for_in_tree_order_and_is_recorded() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.base_url = BASE.into());
        let root = seed_unit_and_user(&app, "kabupaten", ADMIN, Role::Admin);
        {
            let mut conn = app.conn();
            let dinkes = add_unit(&mut conn, "dinkes", "Dinas Kesehatan", Some(root));
            add_unit(&mut conn, "puskesmas-sangatta", "Puskesmas Sangatta", Some(dinkes));
            let (disdukcapil, _) = create_service_unit(&mut conn, "disdukcapil");
            units::update(&mut conn, disdukcapil, "Dinas Kependudukan dan Pencatatan Sipil", UnitKind::Opd, Some(root))
                .expect("under the regency");
            let closed = add_unit(&mut conn, "arsip", "Dinas Arsip", Some(root));
            units::set_active(&mut conn, closed, false).expect("closed");
            skm::units::set_poster_per_service(&mut conn, None, "disdukcapil", true).expect("per service");
            // a disabled service gets no page: citizens cannot choose it
            skm::units::set_service_enabled(&mut conn, None, "disdukcapil", "akta-lahir", false).expect("disabled");
        }
        // by name: Dinas Kependudukan …, Dinas Kesehatan, Puskesmas Sangatta, Unit kabupaten
        assert_eq!(never_downloaded(&app), ["disdukcapil", "dinkes", "puskesmas-sangatta", "kabupaten"]);

        let cookie = app.login(ADMIN, PASSWORD).expect("admin");
        let page = app.get_as(&cookie, "/admin").body;
        assert!(page.contains("href=\"/admin/poster-semua.pdf\""), "the download link");
        assert!(page.contains("4 unit aktif belum pernah mengunduh posternya."), "the count of units never downloaded");
        let reply = app.get_as(&cookie, "/admin/poster-semua.pdf");
        assert_eq!((reply.status, reply.header("content-type")), (200, Some("application/pdf")), "{}", database.name);
        assert!(reply.header("content-disposition").is_some_and(|d| d.contains("poster-semua.pdf")));
        assert!(never_downloaded(&app).is_empty(), "{}: every unit in the PDF is recorded", database.name);
        let arsip = units::by_slug(&mut app.conn(), "arsip").expect("arsip");
        assert_eq!(arsip.poster_downloaded_at, None, "a closed unit has no page");
        let page = app.get_as(&cookie, "/admin").body;
        assert!(!page.contains("belum pernah mengunduh posternya"), "nothing left to download");

        if !tool_available("pdfinfo") {
            continue;
        }
        let path = report_samples_dir().join(format!("poster-semua-{}.pdf", database.name));
        std::fs::write(&path, &reply.bytes).expect("write");
        assert_eq!(pages(&path), 5, "4 active units and 1 active service asked for");
        // the tree's order: the regency, then its units by name, each followed by those below it
        let expected = [
            ("Unit kabupaten", None),
            ("Dinas Kependudukan dan Pencatatan Sipil", None),
            ("Dinas Kependudukan dan Pencatatan Sipil", Some("Layanan: KTP elektronik")),
            ("Dinas Kesehatan", None),
            ("Puskesmas Sangatta", None),
        ];
        for (i, (unit, service)) in expected.iter().enumerate() {
            let text = page_text(&path, i + 1);
            assert!(text.contains("SURVEI KEPUASAN MASYARAKAT") && text.contains(unit), "page {}: {text}", i + 1);
            match service {
                Some(service) => assert!(text.contains(service), "page {}: {text}", i + 1),
                None => assert!(!text.contains("Layanan:"), "page {}: {text}", i + 1),
            }
        }
        let image = report_samples_dir().join(format!("poster-semua-page3-{}", database.name));
        assert_eq!(page_qr(&path, 3, &image), format!("{BASE}/s/disdukcapil?layanan=ktp-el"));
        assert_eq!(page_qr(&path, 5, &image), format!("{BASE}/s/puskesmas-sangatta"));
    }
}

#[test]
fn a_units_own_poster_download_is_recorded_and_only_admins_get_every_units() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.base_url = BASE.into());
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        seed_unit_and_user(&app, "dinkes", "op@dinkes.go.id", Role::Operator);
        let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("operator");
        assert_eq!(never_downloaded(&app), ["dinkes", "disdukcapil"]);
        assert_eq!(app.get_as(&cookie, "/operator/disdukcapil/poster.png").status, 200);
        assert_eq!(never_downloaded(&app), ["dinkes"], "{}", database.name);
        assert_eq!(app.get_as(&cookie, "/admin/poster-semua.pdf").status, 404, "not an admin");
        assert_eq!(never_downloaded(&app), ["dinkes"], "a refused download records nothing");
    }
}

/// The poster-per-service choice on a unit's correction form.
#[test]
fn the_unit_form_sets_one_poster_per_service() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "kabupaten", ADMIN, Role::Admin);
    let cookie = app.login(ADMIN, PASSWORD).expect("admin");
    let page = app.get_as(&cookie, "/admin").body;
    let csrf = common::hidden(&page, "csrf");
    let edit = |checked: bool| {
        let mut fields = vec![
            ("csrf".to_string(), csrf.clone()),
            ("unit".into(), "kabupaten".into()),
            ("name".into(), "Unit kabupaten".into()),
            ("kind".into(), "regency".into()),
        ];
        if checked {
            fields.push(("poster_per_service".into(), "1".into()));
        }
        assert_eq!(app.post_form_as(&cookie, "/admin/unit-edit", &fields).status, 303);
        units::by_slug(&mut app.conn(), "kabupaten").expect("unit").poster_per_service
    };
    assert!(edit(true));
    assert!(app.get_as(&cookie, "/admin").body.contains("name=\"poster_per_service\" value=\"1\" checked"));
    assert!(!edit(false));
    assert_eq!(
        common::audited(&app, "unit.poster"),
        ["kabupaten asks one poster per service", "kabupaten asks one poster"]
    );
}

#[test]
fn skm_qr_all_writes_every_units_poster_in_one_pdf() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| skm(dir.path()).env("SKM_BASE_URL", BASE).args(args).output().expect("run");
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(&["unit", "add", "--slug", "kutim", "--name", "Kabupaten Kutai Timur", "--kind", "regency"]);
    ok(&["unit", "add", "--slug", "disdukcapil", "--name", "Disdukcapil", "--parent", "kutim"]);
    ok(&["service", "add", "--unit", "disdukcapil", "--slug", "ktp-el", "--name", "KTP elektronik"]);
    ok(&["service", "add", "--unit", "disdukcapil", "--slug", "kia", "--name", "Kartu Identitas Anak"]);
    assert!(
        ok(&["unit", "poster", "--unit", "disdukcapil", "--per-service", "true"]).contains("one poster per service")
    );
    let out = dir.path().join("poster-semua.pdf");
    let said = ok(&["qr", "--all", "--out", out.to_str().expect("path")]);
    assert!(said.contains("(4 pages for 2 units)"), "{said}");
    let png = run(&["qr", "--all", "--out", "semua.png"]);
    assert!(String::from_utf8_lossy(&png.stderr).contains("with --all, 'semua.png' must end in .pdf"));
    let both = run(&["qr", "kutim", "--all", "--out", "x.pdf"]);
    assert!(!both.status.success(), "a unit or --all, not both");
    if tool_available("pdfinfo") {
        assert_eq!(pages(&out), 4);
        let services = page_text(&out, 3) + &page_text(&out, 4);
        assert!(services.contains("Layanan: KTP elektronik") && services.contains("Layanan: Kartu Identitas Anak"));
        assert!(!page_text(&out, 2).contains("Layanan:"), "the unit's own poster first");
    }
}

/// How large and how slow the all-units PDF of a hundred units is (the figures are printed;
/// `cargo test … -- --nocapture` shows them).
#[test]
fn a_hundred_units_make_a_pdf_of_reasonable_size() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn_with(&database, |c| c.base_url = BASE.into());
    let root = seed_unit_and_user(&app, "kabupaten", ADMIN, Role::Admin);
    {
        let mut conn = app.conn();
        for i in 1..100 {
            add_unit(
                &mut conn,
                &format!("unit-{i:03}"),
                &format!("Unit Pelayanan Nomor {i:03} Kabupaten Kutai Timur"),
                Some(root),
            );
        }
    }
    let cookie = app.login(ADMIN, PASSWORD).expect("admin");
    let started = std::time::Instant::now();
    let reply = app.get_as(&cookie, "/admin/poster-semua.pdf");
    let elapsed = started.elapsed();
    assert_eq!(reply.status, 200);
    let size = reply.bytes.len();
    println!("100 units: {size} bytes ({} KB per page), {elapsed:?}", size / 100 / 1024);
    assert!(size < 100 * 60_000, "{size} bytes: the fonts are embedded once, each page is its drawing only");
    if tool_available("pdfinfo") {
        let path = report_samples_dir().join("poster-semua-100.pdf");
        std::fs::write(&path, &reply.bytes).expect("write");
        assert_eq!(pages(&path), 100);
    }
}
