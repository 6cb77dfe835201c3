//! Reports an official can sign, file and edit (issue 16 point 1): the kop surat and signer set
//! on `/admin` (and by `skm unit letterhead`), carried by the PDF and by the DOCX of the same
//! report — whose text (its XML) holds the same figures as the PDF's (poppler) — and the DOCX
//! opened by LibreOffice. Samples and page images in target/report-samples.

use crate::common;

use common::{backends, hidden, samples_dir, skm, tool_available, webdriver, TestApp};
use diesel::prelude::*;
use skm::db::schema::{audit_log, users};
use skm::demo::{self, DemoAccount};
use skm::domain::names::Role;
use skm::domain::period::{date_id, Period};
use std::io::Read;
use std::path::Path;
use std::process::Command;

const NAME: &str = "Hj. Siti Nurjanah, S.Sos., M.AP";
const NIP: &str = "19750101 200003 2 002";

fn period() -> String {
    let today = demo::today(chrono_tz::Asia::Makassar);
    Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

fn admin(app: &TestApp, accounts: &[DemoAccount]) -> (String, String) {
    let a = accounts.iter().find(|a| a.role == Role::Admin).expect("admin account");
    (app.login(&a.email, &a.password).expect("signed in"), a.email.clone())
}

/// The text of every `<w:t>` of the document's body, a space between runs.
fn docx_text(docx: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("the DOCX is a zip");
    let mut xml = String::new();
    archive.by_name("word/document.xml").expect("word/document.xml").read_to_string(&mut xml).expect("utf-8");
    xml.split("<w:t")
        .skip(1)
        .filter_map(|run| {
            let (tag, rest) = run.split_once('>')?;
            // <w:tab/>, <w:tbl>, <w:tc> … share the prefix
            if !(tag.is_empty() || tag.starts_with(' ')) || tag.ends_with('/') {
                return None;
            }
            Some(rest.split("</w:t>").next()?.to_string())
        })
        .map(|t| t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every PNG the DOCX carries (the logo and the charts).
fn docx_pngs(docx: &[u8]) -> usize {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(String::from))
        .filter(|n| n.starts_with("word/media/"))
        .collect();
    names
        .iter()
        .filter(|name| {
            let mut head = [0u8; 8];
            archive.by_name(name).is_ok_and(|mut f| f.read_exact(&mut head).is_ok()) && head == *b"\x89PNG\r\n\x1a\n"
        })
        .count()
}

/// Every decimal figure of a text (`89,01`, `0,4013`, `47,4`), sorted: the figures a report shows.
/// The decimal figures of a text (`91,67`), each once: the PDF draws its charts as vector text,
/// so a chart's labels repeat figures its tables give, while the DOCX's charts are pictures.
fn figures(text: &str) -> std::collections::BTreeSet<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()))
        .filter(|w| {
            w.split_once(',').is_some_and(|(a, b)| {
                !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit())
            })
        })
        .map(String::from)
        .collect()
}

fn set_letterhead(app: &TestApp, cookie: &str, fields: &[(&str, &str)], logo: (&str, &[u8])) -> common::Reply {
    let page = app.get_as(cookie, "/admin");
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.body, "csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    app.post_upload_as(cookie, "/admin/letterhead", &all, ("logo", logo.0), logo.1)
}

#[test]
fn an_admin_sets_the_kop_surat_and_the_pdf_and_docx_carry_it_with_the_same_figures() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 600, 5);
        let (cookie, email) = admin(&app, &accounts);
        let regency = [("unit", "kutim"), ("agency", "Pemerintah Kabupaten Kutai Timur"), ("place", "Sangatta")];
        let png = std::fs::read(common::data("logo-kabupaten.png")).expect("logo");
        let reply = set_letterhead(&app, &cookie, &regency, ("lambang.png", &png));
        assert_eq!((reply.status, reply.header("location")), (303, Some("/admin?ok=1")), "{}", reply.body);
        let dinas = [
            ("unit", "disdukcapil"),
            ("agency", "Dinas Kependudukan dan Pencatatan Sipil"),
            ("address", "Jl. Jenderal Sudirman No. 5, Sangatta Utara"),
            ("phone", "(0549) 22345"),
            ("website", "disdukcapil.kutaitimurkab.go.id"),
            ("position", "Kepala Dinas Kependudukan dan Pencatatan Sipil"),
            ("head_name", NAME),
            ("nip", "197501012000032002"),
        ];
        // refused, naming the field, and nothing stored
        let short_nip: Vec<(&str, &str)> =
            dinas.iter().map(|&(k, v)| if k == "nip" { (k, "1975") } else { (k, v) }).collect();
        let refused = set_letterhead(&app, &cookie, &short_nip, ("kosong.png", &[][..]));
        assert_eq!(refused.status, 422, "{}", database.name);
        assert!(refused.body.contains("NIP: NIP terdiri atas 18 angka"), "{}", refused.body);
        let gif = set_letterhead(&app, &cookie, &dinas, ("logo.gif", &b"GIF89a\x01\x00\x01\x00"[..]));
        assert_eq!(gif.status, 422, "{}", database.name);
        assert!(gif.body.contains("Logo: berkas PNG atau JPEG"), "{}", gif.body);
        let mut huge = png.clone();
        huge.resize(600 * 1024, 0);
        let too_large = set_letterhead(&app, &cookie, &dinas, ("besar.png", &huge));
        assert_eq!(too_large.status, 422, "{}", database.name);
        assert!(too_large.body.contains("Logo: berkas PNG atau JPEG paling besar 512 KB"), "{}", too_large.body);
        let jpeg = std::fs::read(common::data("logo-dinas.jpg")).expect("logo");
        let reply = set_letterhead(&app, &cookie, &dinas, ("logo.jpg", &jpeg));
        assert_eq!(reply.status, 303, "{}: {}", database.name, reply.body);

        // audited as the admin; the form shows what is set
        let mut conn = app.conn();
        let admin_id: i32 =
            users::table.filter(users::email.eq(&email)).select(users::id).first(&mut conn).expect("admin");
        let audited: Vec<(Option<i32>, String)> = audit_log::table
            .filter(audit_log::action.eq("unit.letterhead"))
            .order(audit_log::id)
            .select((audit_log::actor_user_id, audit_log::detail))
            .load(&mut conn)
            .expect("audit");
        drop(conn);
        assert_eq!(audited.len(), 2, "{}: only the saved forms", database.name);
        assert_eq!(audited[1].0, Some(admin_id));
        assert!(audited[1].1.starts_with("letterhead of disdukcapil:"), "{}", audited[1].1);
        let page = app.get_as(&cookie, "/admin").body;
        assert!(page.contains(&format!("value=\"{NIP}\"")) && page.contains("· logo · Hj. Siti"), "{page}");

        let query = format!("/dasbor/unit/disdukcapil/laporan.{{}}?period={}", period());
        let pdf = app.get_as(&cookie, &query.replace("{}", "pdf"));
        let docx = app.get_as(&cookie, &query.replace("{}", "docx"));
        assert_eq!((pdf.status, docx.status), (200, 200), "{}", database.name);
        assert_eq!(
            docx.header("content-type"),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert!(docx.header("content-disposition").is_some_and(|d| d.contains(".docx")));
        std::fs::write(common::report_samples_dir().join(format!("laporan-kop-{}.docx", database.name)), &docx.bytes)
            .expect("sample");
        let word = docx_text(&docx.bytes);
        assert!(docx_pngs(&docx.bytes) >= 3, "{}: the JPEG logo as PNG, and the charts", database.name);
        let today = date_id(demo::today(chrono_tz::Asia::Makassar));
        let expected = [
            "PEMERINTAH KABUPATEN KUTAI TIMUR",
            "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
            "Laman: disdukcapil.kutaitimurkab.go.id",
            "KATA PENGANTAR",
            "DAFTAR ISI",
            "BAB VI PENUTUP",
            "A. Kesimpulan",
            "B. Saran",
            &format!("Sangatta, {today}"),
            NAME,
            &format!("NIP. {NIP}"),
        ];
        for needle in expected {
            assert!(word.contains(needle), "{}: the DOCX lacks {needle:?}", database.name);
        }
        let Some(text) = common::pdf_text(&pdf.bytes, &format!("laporan-kop-{}.pdf", database.name)) else { continue };
        for needle in expected {
            assert!(text.contains(needle), "{}: the PDF lacks {needle:?}", database.name);
        }
        // the Daftar Isi gives BAB VI's page: the page whose footer says so starts with it
        let toc = text.lines().find(|l| l.trim_start().starts_with("BAB VI PENUTUP")).expect("listed");
        let page = toc.split_whitespace().last().expect("a page number").to_string();
        let pages: Vec<&str> = text.split('\u{c}').collect();
        let bab_vi = pages.iter().find(|p| p.trim_start().starts_with("BAB VI PENUTUP")).expect("BAB VI's page");
        assert!(
            bab_vi.contains(&format!("halaman {page}\n")) || bab_vi.trim_end().ends_with(&format!("halaman {page}"))
        );
        assert!(pages[1].contains("halaman i") && pages[2].contains("halaman ii"), "front matter in roman numerals");
        assert!(!pages[0].contains("halaman"), "the cover has no page number");

        let (in_pdf, in_docx) = (figures(&text), figures(&word));
        assert!(in_pdf.len() > 15, "{}: {in_pdf:?}", database.name);
        assert_eq!(in_pdf, in_docx, "{}: the DOCX shows the PDF's figures", database.name);
        let index = {
            let mut conn = app.conn();
            let versions = common::registry(&mut conn);
            let unit = skm::db::units::by_slug(&mut conn, "disdukcapil").expect("unit");
            let selection = skm::aggregator::Selection {
                period: period().parse().expect("period"),
                with_subunits: false,
                service_id: None,
            };
            skm::aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index")
        };
        let nik = index.result.index.expect("nik").format_with(',');
        assert!(text.contains(&format!("NIK {nik}")) && word.contains(&format!("NIK {nik}")), "{nik}");

        // a unit without its own kop: the regency's name above its own, blank lines to sign
        let dishub = app.get_as(&cookie, &query.replace("disdukcapil", "dishub").replace("{}", "docx"));
        let dishub = docx_text(&dishub.bytes);
        assert!(dishub.contains("PEMERINTAH KABUPATEN KUTAI TIMUR") && dishub.contains("DINAS PERHUBUNGAN"));
        assert!(dishub.contains("Sangatta, ") && dishub.contains("NIP. ......"), "{}", database.name);
    }
}

fn convert(docx: &Path, profile: &Path, out: &Path) -> std::process::Output {
    Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(out)
        .arg(docx)
        .output()
        .expect("soffice runs")
}

#[test]
fn libreoffice_opens_the_docx_report_with_its_figures_and_page_numbers() {
    if !tool_available("soffice") || !tool_available("pdftotext") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (_, accounts) = common::seed_demo(&mut app.conn(), 1500, 11);
    let (cookie, _) = admin(&app, &accounts);
    let reply = app.get_as(&cookie, &format!("/dasbor/unit/kutim/laporan.docx?period={}&sub=1", period()));
    assert_eq!(reply.status, 200);
    let dir = tempfile::tempdir().expect("tmp");
    let docx = dir.path().join("laporan-regency.docx");
    std::fs::write(&docx, &reply.bytes).expect("write");
    let converted = convert(&docx, &dir.path().join("profile"), dir.path());
    assert!(converted.status.success(), "soffice: {}", String::from_utf8_lossy(&converted.stderr));
    let pdf = std::fs::read(dir.path().join("laporan-regency.pdf")).expect("LibreOffice wrote a PDF");
    let text = common::pdf_text(&pdf, "laporan-regency-docx-libreoffice.pdf").expect("pdftotext");
    let pdf = app.get_as(&cookie, &format!("/dasbor/unit/kutim/laporan.pdf?period={}&sub=1", period()));
    let ours = common::pdf_text(&pdf.bytes, "laporan-regency-for-docx.pdf").expect("pdftotext");
    // LibreOffice lays the text out its own way, but every figure is there
    let (theirs, ours) = (figures(&text), figures(&ours));
    assert_eq!(theirs, ours, "the figures LibreOffice shows");
    // the Daftar Isi's page references are computed: BAB I's is a number, and the page it names
    // begins with BAB I
    let line = text.lines().find(|l| l.contains("BAB I PENDAHULUAN")).expect("Daftar Isi line");
    let page: usize = line.trim_end().rsplit(['.', ' ']).next().and_then(|n| n.parse().ok()).expect(line);
    let pages: Vec<&str> = text.split('\u{c}').collect();
    assert!(pages[page - 1].trim_start().starts_with("BAB I PENDAHULUAN"), "page {page}: {}", pages[page - 1]);
    if tool_available("pdftoppm") {
        let status = Command::new("pdftoppm")
            .args(["-png", "-r", "50", "-l", "4"])
            .arg(common::report_samples_dir().join("laporan-regency-docx-libreoffice.pdf"))
            .arg(common::report_samples_dir().join("laporan-regency-docx-page"))
            .status()
            .expect("pdftoppm");
        assert!(status.success());
    }
}

#[test]
fn skm_unit_letterhead_sets_the_signer_and_names_the_flag_it_refuses() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| {
        let out = skm(dir.path()).args(args).output().expect("skm");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert!(run(&["demo", "--responses", "300"]).0);
    let (ok, err) = run(&["unit", "letterhead", "--unit", "dinkes", "--nip", "1975"]);
    assert!(!ok && err.contains("--nip: a NIP is 18 digits"), "{err}");
    let (ok, err) = run(&["unit", "letterhead", "--unit", "dinkes", "--head-name", &"x".repeat(121)]);
    assert!(!ok && err.contains("--head-name: at most 120 characters"), "{err}");
    let gif = dir.path().join("logo.gif");
    std::fs::write(&gif, b"GIF89a").expect("gif");
    let (ok, err) = run(&["unit", "letterhead", "--unit", "dinkes", "--logo", gif.to_str().expect("path")]);
    assert!(!ok && err.contains("--logo: not a PNG or JPEG image"), "{err}");
    let logo = common::data("logo-dinas.jpg");
    let (ok, err) = run(&[
        "unit",
        "letterhead",
        "--unit",
        "dinkes",
        "--agency",
        "Dinas Kesehatan",
        "--logo",
        logo.to_str().expect("path"),
        "--head-name",
        "dr. Andi Wijaya, M.Kes",
        "--nip",
        "19800202 200501 1 003",
    ]);
    assert!(ok, "{err}");
    // a flag not given keeps what is set
    assert!(run(&["unit", "letterhead", "--unit", "dinkes", "--place", "Sangatta"]).0);
    let file = dir.path().join("laporan.docx");
    let out = skm(dir.path())
        .args(["report", "--unit", "dinkes", "--period", "2026", "--format", "docx", "--out"])
        .arg(&file)
        .output()
        .expect("report");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = docx_text(&std::fs::read(&file).expect("docx"));
    for needle in ["DINAS KESEHATAN", "dr. Andi Wijaya, M.Kes", "NIP. 19800202 200501 1 003", "Sangatta, "] {
        assert!(text.contains(needle), "{needle}");
    }
}

#[test]
fn an_admin_fills_in_the_kop_surat_form_in_a_browser() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (_, accounts) = common::seed_demo(&mut app.conn(), 200, 3);
    let admin = accounts.iter().find(|a| a.role == Role::Admin).expect("admin");
    let browser = webdriver::Browser::start(1100, 900);
    browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
    browser.open(&app.url("/admin#h-kop"));
    browser.click("details:has(#k-disdukcapil-agency) summary");
    browser.type_into("#k-disdukcapil-agency", "Dinas Kependudukan dan Pencatatan Sipil");
    browser.type_into("#k-disdukcapil-place", "Sangatta");
    browser.type_into("#k-disdukcapil-head", NAME);
    browser.type_into("#k-disdukcapil-nip", NIP);
    // a file input takes the file's path
    let logo = common::data("logo-kabupaten.png");
    browser.type_into("#k-disdukcapil-logo", logo.to_str().expect("path"));
    browser.script("document.querySelector('#k-disdukcapil-agency').scrollIntoView();", vec![]);
    browser.screenshot_viewport(&samples_dir().join("admin-kop-surat-form.png"));
    browser.click("details:has(#k-disdukcapil-agency) button[type=submit]");
    browser.wait_for_url("/admin?ok=1");
    browser.open(&app.url("/admin#h-kop"));
    assert!(
        browser.source().contains("Dinas Kependudukan dan Pencatatan Sipil · logo · Hj. Siti Nurjanah"),
        "the summary line shows what is set"
    );
}
