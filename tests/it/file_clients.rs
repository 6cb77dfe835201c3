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
    std::fs::create_dir_all(profile.join("user")).expect("dir");
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .expect("profile");
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
        let recalculated = libreoffice_recalculated(&books);
        for ((name, cached), recalculated) in books.iter().zip(&recalculated) {
            let compared = compare_every_formula(&format!("{}: {name}", database.name), cached, recalculated);
            assert!(compared > 20, "{}: {name}: only {compared} formula cells", database.name);
        }
    }
}
