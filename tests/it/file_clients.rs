//! The files skm writes, read by the clients people open them with (issue 18 points 4 and 5):
//! every workbook formula's cached result is what LibreOffice computes from the formula (a
//! viewer that does not recalculate shows the same), and every PDF carries its real creation
//! date, Producer, Title, no PDF/X marker and tagged subset fonts (qpdf, pdfinfo, pdffonts).

use crate::common;

use calamine::{Data, Reader, Xlsx};
use common::{backends, tool_available, TestApp};
use skm::db::units::{self, NewUnit};
use skm::demo::DemoAccount;
use skm::domain::names::{Channel, Role, Slug, UnitKind};
use skm::domain::period::Period;
use std::process::Command;

fn admin(app: &TestApp, accounts: &[DemoAccount]) -> String {
    let a = accounts.iter().find(|a| a.role == Role::Admin).expect("admin account");
    app.login(&a.email, &a.password).expect("signed in")
}

fn year() -> String {
    let today = skm::demo::today(chrono_tz::Asia::Makassar);
    Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

/// A unit of its own on `template`, with `responses` paper responses this month scored from the
/// template's scale; `skip` elements (by code) nobody answers.
fn unit_on(app: &TestApp, slug: &str, template: &str, responses: usize, skip: &[&str]) -> i32 {
    let mut conn = app.conn();
    let registry = common::registry(&mut conn);
    let (version, tpl) = registry.current(template).expect("template");
    let unit = units::create(
        &mut conn,
        &NewUnit {
            slug: &Slug::parse(slug).expect("slug"),
            name: &format!("Unit {template}"),
            kind: UnitKind::Opd,
            parent_id: None,
            contact_emails: &[],
            template_id: (template != registry.default_id()).then_some(template),
        },
    )
    .expect("unit");
    let today = skm::demo::today(chrono_tz::Asia::Makassar);
    let span = tpl.scale_max - tpl.scale_min + 1;
    for r in 0..responses {
        let mut response = common::paper_response(unit.id, version, today, 1);
        response.channel = Channel::Paper;
        response.answers = tpl
            .elements
            .iter()
            .enumerate()
            .filter(|(_, e)| !skip.contains(&e.code.as_str()))
            .map(|(i, e)| (e.code.clone(), (tpl.scale_min + ((r * 7 + i * 3) as u32 % span)) as i32))
            .collect();
        skm::db::responses::insert(&mut conn, &response).expect("response");
    }
    unit.id
}

fn download(app: &TestApp, cookie: &str, path: &str) -> Vec<u8> {
    let reply = app.get_as(cookie, path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body.chars().take(300).collect::<String>());
    reply.bytes
}

/// Each workbook as LibreOffice calculates it from its formulas alone (cached results removed,
/// recalculation on load forced), converted in one run.
fn libreoffice_recalculated(books: &[(String, Vec<u8>)]) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, output, profile) = (dir.path().join("in"), dir.path().join("out"), dir.path().join("profile"));
    std::fs::create_dir_all(&input).expect("dir");
    common::recalculating_office_profile(&profile);
    let mut command = Command::new("soffice");
    command
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "xlsx", "--outdir"])
        .arg(&output);
    for (name, bytes) in books {
        let path = input.join(format!("{name}.xlsx"));
        std::fs::write(&path, crate::regency_report::without_cached_results(bytes)).expect("write");
        command.arg(path);
    }
    let converted = command.output().expect("soffice runs");
    assert!(converted.status.success(), "soffice: {}", String::from_utf8_lossy(&converted.stderr));
    books
        .iter()
        .map(|(name, _)| std::fs::read(output.join(format!("{name}.xlsx"))).expect("LibreOffice wrote the workbook"))
        .collect()
}

/// What a formula cell holds, as a reader compares it: text or a number.
#[derive(Debug, PartialEq)]
enum Value {
    Text(String),
    Number(f64),
}

fn value(cell: Option<&Data>) -> Option<Value> {
    match cell? {
        Data::String(s) => Some(Value::Text(s.clone())),
        Data::Empty => Some(Value::Text(String::new())),
        Data::Float(f) => Some(Value::Number(*f)),
        Data::Int(i) => Some(Value::Number(*i as f64)),
        other => panic!("unexpected formula result {other:?}"),
    }
}

fn same(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        // a cell without any result reads as the empty text both ways
        (None, Some(Value::Text(t))) | (Some(Value::Text(t)), None) => t.is_empty(),
        _ => a == b,
    }
}

/// Every formula cell of `cached` (as skm wrote it) against the same cell of `recalculated`;
/// returns how many formula cells were compared.
fn compare_every_formula(name: &str, cached: &[u8], recalculated: &[u8]) -> usize {
    let mut ours: Xlsx<_> = Xlsx::new(std::io::Cursor::new(cached)).expect("skm's workbook opens");
    let mut theirs: Xlsx<_> = Xlsx::new(std::io::Cursor::new(recalculated)).expect("LibreOffice's workbook opens");
    let mut compared = 0;
    let mut wrong = Vec::new();
    for sheet in ours.sheet_names() {
        let formulas = ours.worksheet_formula(&sheet).expect("formulas");
        let values = ours.worksheet_range(&sheet).expect("values");
        let recalculated = theirs.worksheet_range(&sheet).expect("LibreOffice's sheet");
        let (top, left) = formulas.start().unwrap_or((0, 0));
        for (row, col, formula) in formulas.cells() {
            if formula.is_empty() {
                continue;
            }
            let at = (top + row as u32, left + col as u32);
            let (mine, calc) = (value(values.get_value(at)), value(recalculated.get_value(at)));
            if !same(&mine, &calc) {
                wrong.push(format!(
                    "{sheet}!R{}C{} ={formula}: cached {mine:?}, LibreOffice {calc:?}",
                    at.0 + 1,
                    at.1 + 1
                ));
            }
            compared += 1;
        }
    }
    assert!(wrong.is_empty(), "{name}: {} formula cells cache another result:\n{}", wrong.len(), wrong.join("\n"));
    compared
}

#[test]
fn every_workbook_formula_caches_what_libreoffice_computes() {
    if !tool_available("soffice") {
        return;
    }
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (registry, accounts) = common::seed_demo(&mut app.conn(), 600, 18);
        let cookie = admin(&app, &accounts);
        let month = skm::demo::today(chrono_tz::Asia::Makassar).format("%Y-%m").to_string();
        let mut books = vec![
            (
                "unit".to_string(),
                download(&app, &cookie, &format!("/dasbor/unit/disdukcapil/laporan.xlsx?period={}", year())),
            ),
            (
                "rollup".into(),
                download(&app, &cookie, &format!("/dasbor/unit/kutim/laporan.xlsx?period={}&sub=1", year())),
            ),
            ("empty".into(), download(&app, &cookie, "/dasbor/unit/disdukcapil/laporan.xlsx?period=2019-01")),
            ("empty-rollup".into(), download(&app, &cookie, "/dasbor/unit/kutim/laporan.xlsx?period=2019-01&sub=1")),
        ];
        let default = registry.default_id().to_string();
        let default_template = registry.current(&default).expect("default").1;
        let last = default_template.elements.last().expect("elements").code.clone();
        unit_on(&app, "tanpa-unsur", &default, 4, &[&last]);
        books.push((
            "unanswered".into(),
            download(&app, &cookie, &format!("/dasbor/unit/tanpa-unsur/laporan.xlsx?period={month}")),
        ));
        let catalog = skm::catalog::Catalog::load(None).expect("templates");
        let ids: Vec<String> = catalog.all().map(|t| t.id.clone()).collect();
        assert!(ids.len() >= 4, "every shipped template: {ids:?}");
        for id in &ids {
            let slug = format!("templat-{id}");
            unit_on(&app, &slug, id, 5, &[]);
            books.push((
                id.clone(),
                download(&app, &cookie, &format!("/dasbor/unit/{slug}/laporan.xlsx?period={month}")),
            ));
        }
        let reports = books.len();
        // the evidence pack's workbooks too (the follow-up table's "% selesai")
        let pack = download(&app, &cookie, &format!("/admin/bukti.zip?period={}", common::encode(&year())));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(pack)).expect("the pack opens");
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("entry");
            let entry = file.name().expect("entry name").to_string();
            if entry.ends_with(".xlsx") {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut bytes).expect("read");
                books.push((format!("bukti-{}", books.len()), bytes));
            }
        }
        assert!(books.len() > reports, "{}: the evidence pack has a workbook", database.name);
        let recalculated = libreoffice_recalculated(&books);
        for (i, ((name, cached), recalculated)) in books.iter().zip(&recalculated).enumerate() {
            let compared = compare_every_formula(&format!("{}: {name}", database.name), cached, recalculated);
            let least = if i < reports { 20 } else { 1 };
            assert!(compared >= least, "{}: {name}: only {compared} formula cells", database.name);
        }
    }
}

/// `pdfinfo`'s lines as (field, value).
fn pdfinfo(path: &std::path::Path) -> Vec<(String, String)> {
    let out = Command::new("pdfinfo").arg(path).output().expect("pdfinfo runs");
    assert!(out.status.success(), "pdfinfo {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
        .collect()
}

/// What a reader says about one PDF skm wrote: qpdf finds no damage, pdfinfo shows skm as the
/// Producer, a title, a creation time of this run and no PDF subtype, pdffonts shows only
/// embedded subsets with their tags.
fn check_pdf(name: &str, pdf: &[u8], title: &str, started: chrono::DateTime<chrono::Utc>) {
    let dir = common::report_samples_dir();
    let path = dir.join(format!("metadata-{}.pdf", name.replace(['/', ' ', ':'], "-")));
    std::fs::write(&path, pdf).expect("write");
    let check = Command::new("qpdf").arg("--check").arg(&path).output().expect("qpdf runs");
    assert!(
        check.status.success(),
        "{name}: qpdf --check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let info = pdfinfo(&path);
    let field = |key: &str| info.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(field("Producer"), Some(concat!("skm ", env!("CARGO_PKG_VERSION"))), "{name}: {info:?}");
    assert!(
        field("Title").is_some_and(|t| t.starts_with(title)),
        "{name}: title {:?}, wanted {title}…",
        field("Title")
    );
    assert!(info.iter().all(|(k, _)| k != "PDF subtype" && !k.starts_with("Conformance")), "{name}: {info:?}");
    // pdfinfo -isodates: 2026-12-01T04:40:12Z (or +00)
    let out = Command::new("pdfinfo").arg("-isodates").arg(&path).output().expect("pdfinfo runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    for key in ["CreationDate", "ModDate"] {
        let line = text.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{name}: no {key}: {text}"));
        let value = line[key.len() + 1..].trim();
        let when = chrono::DateTime::parse_from_rfc3339(value)
            .or_else(|_| chrono::DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%#z"))
            .unwrap_or_else(|e| panic!("{name}: {key} {value}: {e}"));
        let when = when.with_timezone(&chrono::Utc);
        let now = chrono::Utc::now();
        assert!(
            when >= started - chrono::Duration::seconds(2) && when <= now + chrono::Duration::seconds(2),
            "{name}: {key} {when}, made between {started} and {now}"
        );
    }
    let fonts = Command::new("pdffonts").arg(&path).output().expect("pdffonts runs");
    let fonts = String::from_utf8_lossy(&fonts.stdout).to_string();
    let rows: Vec<&str> = fonts.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
    assert!(!rows.is_empty(), "{name}: no fonts: {fonts}");
    for row in rows {
        let font = row.split_whitespace().next().unwrap_or_default();
        let (tag, rest) = font.split_at(font.find('+').unwrap_or(0));
        assert!(
            tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()) && rest.len() > 1,
            "{name}: font {font} has no subset tag: {fonts}"
        );
        // name, type, encoding, emb, sub, uni, object ID
        let columns: Vec<&str> = row.split_whitespace().collect();
        let flags = &columns[columns.len() - 5..columns.len() - 2];
        assert_eq!(flags, ["yes", "yes", "yes"], "{name}: embedded, subset, unicode: {row}");
    }
}

#[test]
fn every_pdf_says_who_made_it_when_and_what_it_is() {
    if !tool_available("qpdf") || !tool_available("pdfinfo") || !tool_available("pdffonts") {
        return;
    }
    for database in backends() {
        let started = chrono::Utc::now();
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 300, 5);
        let cookie = admin(&app, &accounts);
        let name = |what: &str| format!("{}-{what}", database.name);
        let unit = download(&app, &cookie, &format!("/dasbor/unit/disdukcapil/laporan.pdf?period={}", year()));
        check_pdf(&name("unit"), &unit, "Laporan SKM Dinas Kependudukan", started);
        let regency = download(&app, &cookie, &format!("/dasbor/unit/kutim/laporan.pdf?period={}&sub=1", year()));
        check_pdf(&name("regency"), &regency, "Laporan SKM", started);
        let book = download(&app, &cookie, "/admin/poster-semua.pdf");
        check_pdf(&name("posters"), &book, "Poster SKM: semua unit", started);
        let operator = accounts.iter().find(|a| a.role == Role::Operator).expect("an operator");
        let slug = operator.unit.clone().expect("the operator's unit");
        let op = app.login(&operator.email, &operator.password).expect("operator signed in");
        let poster = download(&app, &op, &format!("/operator/{slug}/poster.pdf"));
        check_pdf(&name("poster"), &poster, "Poster SKM ", started);
        let pack = download(&app, &cookie, &format!("/admin/bukti.zip?period={}", common::encode(&year())));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(pack)).expect("the pack opens");
        let mut pdfs = 0;
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("entry");
            let entry = file.name().expect("entry name").to_string();
            if !entry.ends_with(".pdf") {
                continue;
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut bytes).expect("read");
            check_pdf(&name(&format!("bukti-{entry}")), &bytes, "", started);
            pdfs += 1;
        }
        assert!(pdfs >= 4, "{}: the pack's PDFs: {pdfs}", database.name);
    }
}
