//! Official reports: the PDF read back by poppler, the XLSX's formulas read by calamine and
//! evaluated, the CSV through `skm compute`; the public page; samples in target/report-samples.

use crate::common;

use calamine::{Data, Reader, Xlsx};
use common::{backends, hidden, skm, tool_available, TestApp};
use serde_json::Value;
use skm::aggregator::{self, Selection};
use skm::db::units;
use skm::demo::{self, DemoAccount};
use skm::domain::names::Role;
use skm::domain::period::Period;
use std::process::Command;

fn seed(app: &TestApp) -> Vec<DemoAccount> {
    common::seed_demo(&mut app.conn(), 1500, 11).1
}

fn login(app: &TestApp, accounts: &[DemoAccount], role: Role, unit: Option<&str>) -> String {
    let a = accounts.iter().find(|a| a.role == role && a.unit.as_deref() == unit).expect("account");
    app.login(&a.email, &a.password).expect("signed in")
}

fn period() -> String {
    let today = demo::today(chrono_tz::Asia::Makassar);
    Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

fn expected(app: &TestApp, slug: &str, with_sub: bool) -> aggregator::UnitIndex {
    let mut conn = app.conn();
    let versions = common::registry(&mut conn);
    let unit = units::by_slug(&mut conn, slug).expect("unit");
    let selection = Selection { period: period().parse().expect("period"), with_subunits: with_sub, service_id: None };
    aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index")
}

#[test]
fn the_pdf_report_reads_back_with_the_unit_nik_and_grade() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let admin = login(&app, &accounts, Role::Admin, None);
        for (slug, sub) in [("disdukcapil", false), ("kutim", true)] {
            let query = if sub { format!("?period={}&sub=1", period()) } else { format!("?period={}", period()) };
            let reply = app.get_as(&admin, &format!("/dasbor/unit/{slug}/laporan.pdf{query}"));
            assert_eq!(reply.status, 200, "{}: {}", database.name, reply.body.chars().take(300).collect::<String>());
            assert_eq!(reply.header("content-type"), Some("application/pdf"));
            assert!(reply.bytes.starts_with(b"%PDF-"));
            // The bundled font goes in with only the glyphs drawn (whole, it was 0.7 MB).
            assert!(reply.bytes.len() < 250_000, "{slug}: the PDF is {} bytes", reply.bytes.len());
            let path = common::report_samples_dir().join(format!("laporan-{slug}-{}.pdf", database.name));
            std::fs::write(&path, &reply.bytes).expect("write pdf");
            if !tool_available("pdftotext") {
                continue;
            }
            let text = Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().expect("pdftotext");
            assert!(text.status.success(), "poppler reads the PDF");
            let text = String::from_utf8_lossy(&text.stdout);
            let index = expected(&app, slug, sub);
            let nik = index.result.index.expect("nik").format_with(',');
            let grade = index.result.grade.as_ref().expect("grade");
            for needle in [
                index.unit.name.as_str(),
                "BAB I PENDAHULUAN",
                "BAB V RENCANA TINDAK LANJUT",
                "LAMPIRAN",
                &format!("NIK {nik}"),
                &format!("Mutu pelayanan {} ({})", grade.grade, grade.label.id),
            ] {
                assert!(text.contains(needle), "{}: {slug} report lacks {needle:?}", database.name);
            }
            let info = Command::new("pdfinfo").arg(&path).output().expect("pdfinfo");
            let pages: u32 = String::from_utf8_lossy(&info.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(0);
            assert!(pages >= 4, "{slug}: {pages} pages");
            if database.name == "sqlite" && slug == "kutim" {
                let prefix = common::report_samples_dir().join("laporan-kutim-page");
                let status = Command::new("pdftoppm")
                    .args(["-png", "-r", "60"])
                    .arg(&path)
                    .arg(&prefix)
                    .status()
                    .expect("pdftoppm");
                assert!(status.success());
            }
        }
        // another unit's reports are not there for a unit head
        let head = login(&app, &accounts, Role::UnitHead, Some("dinkes"));
        for format in ["pdf", "xlsx", "csv"] {
            assert_eq!(
                app.get_as(&head, &format!("/dasbor/unit/disdukcapil/laporan.{format}?period=2026")).status,
                404,
                "{format}"
            );
        }
        assert_eq!(app.get_as(&head, "/dasbor/unit/dinkes/laporan.pdf?period=2026").status, 200);
        assert_eq!(app.get_as(&admin, "/dasbor/unit/dinkes/laporan.doc?period=2026").status, 404);
        assert_eq!(app.get_as(&admin, "/dasbor/unit/dinkes/laporan.pdf").status, 400, "period required");
    }
}

#[test]
fn the_workbook_has_formulas_that_evaluate_to_the_nik() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let admin = login(&app, &accounts, Role::Admin, None);
        let reply = app.get_as(&admin, &format!("/dasbor/unit/disdukcapil/laporan.xlsx?period={}", period()));
        assert_eq!(reply.status, 200, "{}", database.name);
        std::fs::write(
            common::report_samples_dir().join(format!("laporan-disdukcapil-{}.xlsx", database.name)),
            &reply.bytes,
        )
        .expect("write");
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(reply.bytes.clone())).expect("xlsx opens");
        let names = book.sheet_names();
        // the demo's Disdukcapil issued survey invitations: their response rate has a sheet
        assert_eq!(names, ["Pengolahan data", "Profil responden", "Tingkat respons", "Saran"]);
        let values = book.worksheet_range("Pengolahan data").expect("values");
        let formulas = book.worksheet_formula("Pengolahan data").expect("formulas");
        let all: Vec<String> = formulas.rows().flatten().filter(|f| !f.is_empty()).cloned().collect();
        for needle in ["SUM(", "COUNT(", "COUNTIF(", "ROUND(", "IF("] {
            assert!(all.iter().any(|f| f.contains(needle)), "a {needle} formula");
        }
        let index = expected(&app, "disdukcapil", false);
        let nik = index.result.index.expect("nik").to_f64();
        // the cached results: find the row labelled NIK
        let (start_row, start_col) = values.start().expect("cells");
        let nik_row = values.rows().position(|r| r.get(2).is_some_and(|c| *c == "NIK")).expect("NIK row");
        assert_eq!(common::cell_number(values.get((nik_row, 3))), Some(nik), "cached NIK");
        assert_eq!((start_row, start_col), (0, 0));
        // evaluate the formulas' meaning from the data cells: Σ/n per element, 1/k, ×25, ROUND 2
        let header = values.rows().position(|r| r.first().is_some_and(|c| *c == "No")).expect("header row");
        let data_rows: Vec<&[Data]> =
            values.rows().skip(header + 1).take_while(|r| common::cell_number(r.first()).is_some()).collect();
        assert_eq!(data_rows.len() as u64, index.result.responses);
        let mut nrrs = Vec::new();
        for col in 3..3 + 9 {
            let scores: Vec<f64> = data_rows.iter().filter_map(|r| common::cell_number(r.get(col))).collect();
            if !scores.is_empty() {
                nrrs.push(scores.iter().sum::<f64>() / scores.len() as f64);
            }
        }
        let evaluated = (nrrs.iter().sum::<f64>() / nrrs.len() as f64 * 25.0 * 100.0).round() / 100.0;
        assert!(
            (evaluated - nik).abs() < 0.0051,
            "{}: formulas evaluate to {evaluated}, skm says {nik}",
            database.name
        );
    }
}

#[test]
fn the_csv_round_trips_through_skm_compute() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let admin = login(&app, &accounts, Role::Admin, None);
        let reply = app.get_as(&admin, &format!("/dasbor/unit/puskesmas-bengalon/laporan.csv?period={}", period()));
        assert_eq!(reply.status, 200, "{}", database.name);
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("jawaban.csv");
        std::fs::write(&file, &reply.bytes).expect("write");
        let out = skm(dir.path()).args(["compute", "--format", "json", "--csv"]).arg(&file).output().expect("compute");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: Value = serde_json::from_slice(&out.stdout).expect("json");
        let index = expected(&app, "puskesmas-bengalon", false);
        assert_eq!(json["nik"].as_f64(), index.result.index.map(|v| v.to_f64()), "{}", database.name);
        assert_eq!(json["responses"].as_u64(), Some(index.result.responses));
    }
}

#[test]
fn nothing_is_public_until_published() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let accounts = seed(&app);
        let (status, page) = app.get("/publik");
        assert_eq!(status, 200);
        assert!(page.contains("Belum ada hasil yang dipublikasikan."));
        let admin = login(&app, &accounts, Role::Admin, None);
        let csrf = hidden(&app.get_as(&admin, "/admin").body, "csrf");
        let reply = app.post_form_as(
            &admin,
            "/admin/publish",
            &[("csrf".into(), csrf), ("unit".into(), "disdukcapil".into()), ("period".into(), period())],
        );
        assert_eq!(reply.status, 303, "{}", reply.body);
        let reply = app.get_with("/publik", &[]);
        assert_eq!(reply.status, 200);
        assert!(reply.header("cache-control").is_some_and(|c| c.starts_with("public")));
        let index = expected(&app, "disdukcapil", false);
        assert!(reply.body.contains("Dinas Kependudukan dan Pencatatan Sipil"), "{}", database.name);
        assert!(reply
            .body
            .contains(&format!("NIK <strong>{}</strong>", index.result.index.expect("nik").format_with(','))));
        assert!(!reply.body.contains("Dinas Perhubungan"), "unpublished units stay private");
        assert!(reply.body.contains("<svg"));
    }
}

#[test]
fn skm_report_writes_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = skm(dir.path()).args(["demo", "--responses", "400"]).output().expect("demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for format in ["pdf", "docx", "xlsx", "csv"] {
        let file = dir.path().join(format!("laporan.{format}"));
        let out = skm(dir.path())
            .args(["report", "--unit", "kutim", "--sub", "--period", "2026", "--format", format, "--out"])
            .arg(&file)
            .output()
            .expect("report");
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::metadata(&file).is_ok_and(|m| m.len() > 100), "{format}");
    }
    let bad = skm(dir.path())
        .args(["report", "--unit", "kutim", "--period", "kemarin", "--format", "pdf", "--out", "x.pdf"])
        .output()
        .expect("report");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--period"));
}

/// One `<text>` of an SVG as plotters writes it.
struct SvgText<'a> {
    y: f64,
    anchor: &'a str,
    text: &'a str,
}

/// An attribute of an element other than its first (each follows a space).
fn svg_attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let start = attrs.find(&format!(" {name}=\""))? + name.len() + 3;
    attrs[start..].split('"').next()
}

fn svg_texts(svg: &str) -> Vec<SvgText<'_>> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|element| {
            let (attrs, rest) = element.split_once('>')?;
            Some(SvgText {
                y: svg_attr(attrs, "y")?.parse().ok()?,
                anchor: svg_attr(attrs, "text-anchor")?,
                text: rest.split("</text>").next()?.trim(),
            })
        })
        .collect()
}

/// The number drawn after the bar labelled `label` in a horizontal bar chart: the category
/// label is right-aligned left of the axis, the value left-aligned after the bar, at about the
/// same height.
fn bar_value(svg: &str, label: &str) -> Option<String> {
    let texts = svg_texts(svg);
    let y = texts.iter().find(|t| t.anchor == "end" && t.text == label)?.y;
    texts
        .iter()
        .filter(|t| t.anchor == "start")
        .min_by(|a, b| (a.y - y).abs().total_cmp(&(b.y - y).abs()))
        .map(|t| t.text.to_string())
}

/// A unit head's unit with five responses whose occupation is `x9` (three times, a code no
/// template offers, as an import from an older questionnaire could store), `PNS` and blank.
fn seed_unknown_occupation(app: &TestApp) -> String {
    use skm::db::responses::{self, NewResponse};
    use skm::domain::names::Channel;
    let unit_id = common::seed_unit_and_user(app, "loket-x9", "kepala@loket.test", Role::UnitHead);
    let mut conn = app.conn();
    let versions = common::registry(&mut conn);
    let (version_id, _) = versions.current("permenpanrb-14-2017").expect("default template");
    let today = demo::today(chrono_tz::Asia::Makassar);
    for occupation in [Some("x9"), Some("x9"), Some("x9"), Some("PNS"), None] {
        // Stored directly: the form and the importer refuse a code the template does not offer.
        let response = NewResponse {
            id: uuid::Uuid::now_v7(),
            unit_id,
            service_id: None,
            template_version_id: version_id,
            channel: Channel::Import,
            submitted_at: today.and_hms_opt(9, 0, 0).expect("time"),
            survey_date: today,
            gender: Some("P".into()),
            age: Some(30),
            education: Some("SMA".into()),
            occupation: occupation.map(str::to_string),
            profile_extra: None,
            saran: None,
            client_hash: None,
            answers: (1..=9).map(|i| (format!("U{i}"), 4)).collect(),
        };
        responses::insert(&mut conn, &response).expect("response stored");
    }
    app.login("kepala@loket.test", common::PASSWORD).expect("signed in")
}

#[test]
fn an_unknown_profile_code_reads_the_same_on_the_dashboard_the_pdf_and_the_xlsx() {
    let label = "x9 (kode tidak dikenal)";
    for database in backends() {
        let app = TestApp::spawn(&database);
        let head = seed_unknown_occupation(&app);
        let query = format!("?period={}", period());

        let page = app.get_as(&head, &format!("/dasbor/unit/loket-x9{query}"));
        assert_eq!(page.status, 200, "{}", database.name);
        let chart = page.body.split("<svg").find(|svg| svg_texts(svg).iter().any(|t| t.text == "Pekerjaan"));
        let bar = chart.and_then(|svg| bar_value(svg, label));
        assert_eq!(bar.as_deref(), Some("3"), "{}: the dashboard's {label:?} bar", database.name);

        let xlsx = app.get_as(&head, &format!("/dasbor/unit/loket-x9/laporan.xlsx{query}"));
        assert_eq!(xlsx.status, 200, "{}", database.name);
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("xlsx opens");
        let sheet = book.worksheet_range("Profil responden").expect("profile sheet");
        let rows: Vec<&[Data]> = sheet.rows().collect();
        let section = rows.iter().position(|r| r.first().is_some_and(|c| *c == "Pekerjaan")).expect("Pekerjaan");
        let row = rows[section..]
            .iter()
            .take_while(|r| r.first().is_some_and(|c| *c != Data::Empty))
            .find(|r| r.first().is_some_and(|c| *c == label));
        assert_eq!(
            row.and_then(|r| common::cell_number(r.get(1))),
            Some(3.0),
            "{}: the workbook's {label:?} row",
            database.name
        );

        let pdf = app.get_as(&head, &format!("/dasbor/unit/loket-x9/laporan.pdf{query}"));
        assert_eq!(pdf.status, 200, "{}", database.name);
        if !tool_available("pdftotext") {
            continue;
        }
        let path = common::report_samples_dir().join(format!("laporan-loket-x9-{}.pdf", database.name));
        std::fs::write(&path, &pdf.bytes).expect("write pdf");
        let text = Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().expect("pdftotext");
        assert!(text.status.success(), "poppler reads the PDF");
        let text = String::from_utf8_lossy(&text.stdout);
        // The table row: label, respondents, percentage.
        let count = text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next());
        assert_eq!(count, Some("3"), "{}: the PDF's {label:?} row", database.name);
    }
}
