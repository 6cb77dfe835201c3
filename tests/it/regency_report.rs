//! The regency report (issue 15 point 2): a unit with its sub-units selected reports every
//! member — the PDF read back by poppler (per-unit table, labelled indices, population by the
//! roll-up rule, follow-up actions under their unit, an appendix page per unit), the XLSX's
//! summary formulas over the unit sheets read by calamine, the CSV's unit column. Samples and
//! page images in target/report-samples.

use crate::common;

use calamine::{Reader, Xlsx};
use common::{backends, tool_available, TestApp};
use skm::aggregator::{self, RollUp, Selection, UnitIndex};
use skm::db::{rtl, units};
use skm::demo::{self, DemoAccount};
use skm::domain::names::Role;
use skm::domain::period::Period;
use std::process::Command;

fn period() -> String {
    let today = demo::today(chrono_tz::Asia::Makassar);
    Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

fn admin(app: &TestApp, accounts: &[DemoAccount]) -> String {
    let a = accounts.iter().find(|a| a.role == Role::Admin).expect("admin account");
    app.login(&a.email, &a.password).expect("signed in")
}

fn regency(app: &TestApp) -> UnitIndex {
    let mut conn = app.conn();
    let versions = common::registry(&mut conn);
    let unit = units::by_slug(&mut conn, "kutim").expect("kutim");
    let selection = Selection { period: period().parse().expect("period"), with_subunits: true, service_id: None };
    aggregator::unit_index(&mut conn, &versions, &unit, &selection).expect("index")
}

fn roll_up(index: &UnitIndex) -> &RollUp {
    index.roll_up.as_ref().expect("kutim with its sub-units is a roll-up")
}

fn get(app: &TestApp, cookie: &str, format: &str) -> Vec<u8> {
    let reply = app.get_as(cookie, &format!("/dasbor/unit/kutim/laporan.{format}?period={}&sub=1", period()));
    assert_eq!(reply.status, 200, "{format}: {}", reply.body.chars().take(300).collect::<String>());
    reply.bytes
}

/// The report after its Daftar Isi (which names every chapter too): from BAB I's own page on.
fn body(text: &str) -> &str {
    &text[text.rfind("BAB I PENDAHULUAN").expect("BAB I")..]
}

/// The first words of a name, as its table cell's first line holds them at least.
fn first_words(name: &str) -> String {
    name.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

#[test]
fn the_regency_pdf_names_every_unit_with_its_own_figures_and_actions() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 1500, 11);
        let cookie = admin(&app, &accounts);
        let pdf = get(&app, &cookie, "pdf");
        let name = format!("laporan-regency-{}.pdf", database.name);
        let Some(text) = common::pdf_text(&pdf, &name) else { continue };
        let index = regency(&app);
        let roll_up = roll_up(&index);
        assert_eq!(roll_up.members.len(), 15, "{}: the demo's service units below the regency", database.name);
        let lines: Vec<&str> = text.lines().collect();

        // the per-unit table: rank, name, and the unit's NIK as it prints it (88,58)
        for (i, member) in roll_up.members.iter().enumerate() {
            let nik = member.result.index.expect("each demo unit has responses").format_with(',');
            let rank = (i + 1).to_string();
            let row = lines.iter().find(|l| {
                let mut cells = l.split_whitespace();
                cells.next() == Some(rank.as_str()) && l.contains(&first_words(&member.unit.name)) && l.contains(&nik)
            });
            assert!(row.is_some(), "{}: no table row {rank} {} {nik}", database.name, member.unit.name);
            // the appendix page of the unit, under its whole name
            assert!(
                text.contains(&format!("A.{rank} {}", member.unit.name)),
                "{}: no appendix page for {}",
                database.name,
                member.unit.name
            );
        }
        if roll_up.members.iter().any(|m| m.shortfall().is_some_and(|s| s > 0)) {
            assert!(text.contains("sampel kurang"), "{}: a short unit is badged", database.name);
        }

        // both indices, labelled (SPEC §3)
        let pooled = index.result.index.expect("pooled").format_with(',');
        let mean = roll_up.mean_of_units.expect("mean").format_with(',');
        let has = |label: &str, value: &str| lines.iter().any(|l| l.contains(label) && l.contains(value));
        assert!(has("NIK gabungan (semua responden)", &pooled), "{}: pooled NIK {pooled}", database.name);
        assert!(has("Rata-rata NIK unit (tanpa bobot)", &mean), "{}: mean of units {mean}", database.name);

        // the population of the parts: every demo unit has one, so their sum and the sample
        assert!(!text.contains("belum dicatat"), "{}: the parts have populations", database.name);
        let population = index.population.expect("summed population");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&format!("{population} orang")), "{}: the summed population {population}", database.name);

        // BAB V: Disdukcapil's action under Disdukcapil's name, no other unit's heading between
        let text = body(&text);
        let bab_v = text.find("BAB V RENCANA TINDAK LANJUT").expect("BAB V");
        let appendix = text.find("LAMPIRAN A").expect("appendix");
        assert!(bab_v < appendix);
        let section = &text[bab_v..appendix];
        let action = section.find("Menambah satu loket").expect("Disdukcapil's action in BAB V");
        let heading = |m: &aggregator::Member| section.find(&format!("{} (", m.unit.name));
        let capil = roll_up.members.iter().find(|m| m.unit.slug == "disdukcapil").expect("disdukcapil");
        let under = heading(capil).expect("Disdukcapil's heading in BAB V");
        assert!(under < action, "{}: the action comes after its unit's name", database.name);
        for other in roll_up.members.iter().filter(|m| m.unit.id != capil.unit.id) {
            if let Some(at) = heading(other) {
                assert!(
                    !(under < at && at < action),
                    "{}: {} heads Disdukcapil's action",
                    database.name,
                    other.unit.name
                );
            }
        }

        // what a person sees: the per-unit table, the ranking chart, an appendix page
        if database.name == "sqlite" && tool_available("pdftoppm") {
            let prefix = common::report_samples_dir().join("laporan-regency-page");
            let status = Command::new("pdftoppm")
                .args(["-png", "-r", "50"])
                .arg(common::report_samples_dir().join(&name))
                .arg(&prefix)
                .status()
                .expect("pdftoppm");
            assert!(status.success());
        }
    }
}

#[test]
fn the_regency_pdf_gives_the_population_coverage_when_a_part_has_none() {
    use skm::db::responses;
    use skm::domain::names::{Slug, UnitKind};
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (versions, accounts) = common::seed_demo(&mut app.conn(), 300, 5);
        let cookie = admin(&app, &accounts);
        // a new unit below the regency, with responses and no population recorded, and an action
        let mut conn = app.conn();
        let kutim = units::by_slug(&mut conn, "kutim").expect("kutim");
        let unit = units::create(
            &mut conn,
            &units::NewUnit {
                slug: &Slug::parse("kelurahan-baru").expect("slug"),
                name: "Kelurahan Baru",
                kind: UnitKind::Opd,
                parent_id: Some(kutim.id),
                contact_emails: &[],
                template_id: None,
            },
        )
        .expect("unit");
        let (version_id, _) = versions.current("permenpanrb-14-2017").expect("default template");
        let today = demo::today(chrono_tz::Asia::Makassar);
        for _ in 0..3 {
            let response = common::paper_response(unit.id, version_id, today, 3);
            responses::insert(&mut conn, &response).expect("response stored");
        }
        rtl::create(
            &mut conn,
            &rtl::NewRtl {
                unit_id: unit.id,
                period: &Period::month_of(today).to_string(),
                element_code: "U1",
                action: "Memasang papan persyaratan di loket",
                owner: "Lurah",
                due_date: today,
                created_by: 1,
            },
        )
        .expect("action");
        drop(conn);

        let index = regency(&app);
        let Some(skm::domain::population::RollUpPopulation::Coverage { recorded, of }) = roll_up(&index).population
        else {
            panic!("{}: a part without a population gives the coverage", database.name)
        };
        let Some(text) =
            common::pdf_text(&get(&app, &cookie, "pdf"), &format!("laporan-regency-coverage-{}.pdf", database.name))
        else {
            continue;
        };
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&format!("Populasi tercatat untuk {recorded} dari {of} unit")),
            "{}: the coverage {recorded}/{of}",
            database.name
        );
        // the roll-up's population is not "unrecorded" (only the new unit's own, on its page)
        let text = body(&text);
        let bab_ii = &text[text.find("BAB II").expect("BAB II")..text.find("BAB III").expect("BAB III")];
        assert!(!bab_ii.contains("belum dicatat"), "{}: {bab_ii}", database.name);
        // two units with actions: each under its own name, in name order
        let bab_v = &text[text.find("BAB V").expect("BAB V")..text.find("LAMPIRAN A").expect("appendix")];
        let capil = bab_v.find("Dinas Kependudukan dan Pencatatan Sipil (").expect("Disdukcapil's group");
        let baru = bab_v.find("Kelurahan Baru (0 dari 1 selesai)").expect("the new unit's group");
        let action = bab_v.find("Memasang papan persyaratan").expect("its action");
        assert!(capil < baru && baru < action, "{}: groups in name order, the action under its unit", database.name);
    }
}

#[test]
fn the_regency_workbook_sums_the_unit_sheets_with_formulas() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 1500, 11);
        let cookie = admin(&app, &accounts);
        let bytes = get(&app, &cookie, "xlsx");
        std::fs::write(common::report_samples_dir().join(format!("laporan-regency-{}.xlsx", database.name)), &bytes)
            .expect("write");
        let index = regency(&app);
        let roll_up = roll_up(&index);
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx opens");
        let names = book.sheet_names();
        assert_eq!(names.first().map(String::as_str), Some("Rekap gabungan"), "{}: {names:?}", database.name);
        // the summary, a sheet per unit, the profile, the invitations' response rate, the saran
        assert_eq!(names.len(), 1 + roll_up.members.len() + 3, "{}: {names:?}", database.name);
        for name in &names {
            assert!(name.encode_utf16().count() <= 31, "{name}");
            assert!(!name.contains(['[', ']', ':', '*', '?', '/', '\\']), "{name}");
        }

        // each unit's sheet: its heading names the unit, its NIK cached as skm computes it
        for member in &roll_up.members {
            let sheet = names[1..]
                .iter()
                .find(|n| {
                    book.worksheet_range(n).is_ok_and(|r| {
                        r.get((1, 0)).is_some_and(|c| c.to_string().starts_with(&format!("{} — ", member.unit.name)))
                    })
                })
                .cloned()
                .unwrap_or_else(|| panic!("{}: no sheet for {}", database.name, member.unit.name));
            let values = book.worksheet_range(&sheet).expect("unit sheet");
            let nik_row = values.rows().position(|r| r.get(2).is_some_and(|c| *c == "NIK")).expect("NIK row");
            assert_eq!(
                common::cell_number(values.get((nik_row, 3))),
                member.result.index.map(|v| v.to_f64()),
                "{sheet}"
            );
        }

        // the summary: formulas over the unit sheets, cached as the aggregator pools them
        let values = book.worksheet_range("Rekap gabungan").expect("summary values");
        let formulas = book.worksheet_formula("Rekap gabungan").expect("summary formulas");
        let formula_at = |row: usize, col: usize| -> String {
            let (r0, c0) = formulas.start().unwrap_or((0, 0));
            formulas.get((row - r0 as usize, col - c0 as usize)).cloned().unwrap_or_default()
        };
        let label = "NIK gabungan (semua responden)";
        let nik_row = values.rows().position(|r| r.get(2).is_some_and(|c| *c == label)).expect("pooled NIK row");
        let pooled = index.result.index.expect("pooled").to_f64();
        assert_eq!(common::cell_number(values.get((nik_row, 3))), Some(pooled), "{}: cached pooled NIK", database.name);
        assert!(formula_at(nik_row, 3).contains("ROUND("), "{}: {}", database.name, formula_at(nik_row, 3));
        let sum_row = values.rows().position(|r| r.get(2).is_some_and(|c| *c == "Σ nilai per unsur")).expect("Σ row");
        assert!(formula_at(sum_row, 3).contains("SUM("), "{}", formula_at(sum_row, 3));
        assert_eq!(
            common::cell_number(values.get((sum_row, 3))),
            Some(index.result.elements[0].sum as f64),
            "pooled Σ U1"
        );
        // every unit sheet is referred to from the summary
        let all: Vec<String> = formulas.rows().flatten().filter(|f| !f.is_empty()).cloned().collect();
        for sheet in &names[1..=roll_up.members.len()] {
            let quoted = format!("'{}'!", sheet.replace('\'', "''"));
            assert!(all.iter().any(|f| f.contains(&quoted)), "{}: nothing refers to {sheet}", database.name);
        }
        let mean_row = values
            .rows()
            .position(|r| r.get(1).is_some_and(|c| *c == "Rata-rata NIK unit (tanpa bobot)"))
            .expect("mean of units row");
        assert_eq!(
            common::cell_number(values.get((mean_row, 4))),
            roll_up.mean_of_units.map(|v| v.to_f64()),
            "{}: cached mean of units",
            database.name
        );
        assert!(formula_at(mean_row, 4).contains("AVERAGE("));

        // evaluating the summary's meaning: the units' Σ and n summed give the pooled NIK
        let sums_title = values.rows().position(|r| r.first().is_some_and(|c| *c == "Σ nilai per unsur, per unit"));
        let counts_title =
            values.rows().position(|r| r.first().is_some_and(|c| *c == "n (jawaban) per unsur, per unit"));
        let (sums_title, counts_title) = (sums_title.expect("Σ block"), counts_title.expect("n block"));
        let block = |title: usize, col: usize| -> f64 {
            values
                .rows()
                .skip(title + 2)
                .take(roll_up.members.len())
                .filter_map(|r| common::cell_number(r.get(col)))
                .sum()
        };
        let nrrs: Vec<f64> = (3..3 + 9).map(|col| block(sums_title, col) / block(counts_title, col)).collect();
        let evaluated = (nrrs.iter().sum::<f64>() / 9.0 * 25.0 * 100.0).round() / 100.0;
        assert!((evaluated - pooled).abs() < 0.0051, "{}: {evaluated} vs {pooled}", database.name);
    }
}

#[test]
fn the_regency_csv_has_every_units_slug_and_computes_to_the_pooled_nik() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (_, accounts) = common::seed_demo(&mut app.conn(), 600, 7);
        let cookie = admin(&app, &accounts);
        let bytes = get(&app, &cookie, "csv");
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header = reader.headers().expect("header").clone();
        let unit_col = header.iter().position(|h| h == "unit").expect("a unit column");
        let slugs: std::collections::BTreeSet<String> =
            reader.records().map(|r| r.expect("record")[unit_col].to_string()).collect();
        let index = regency(&app);
        for member in &roll_up(&index).members {
            assert!(slugs.contains(&member.unit.slug), "{}: no rows of {}", database.name, member.unit.slug);
        }
        // `skm compute` reads the export, unit column and all
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("jawaban.csv");
        std::fs::write(&file, &bytes).expect("write");
        let out = common::skm(dir.path())
            .args(["compute", "--format", "json", "--csv"])
            .arg(&file)
            .output()
            .expect("compute");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(json["nik"].as_f64(), index.result.index.map(|v| v.to_f64()), "{}", database.name);
        assert_eq!(json["responses"].as_u64(), Some(index.result.responses));
    }
}

/// The workbook with every formula's cached result removed, so a spreadsheet that opens it must
/// calculate each figure itself.
pub(crate) fn without_cached_results(xlsx: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("xlsx is a zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let name = file.name().expect("entry name").to_string();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).expect("read entry");
        if name.starts_with("xl/worksheets/sheet") {
            let text = String::from_utf8(bytes).expect("sheet XML is UTF-8");
            // `<c …><f>…</f><v>…</v></c>`: keep the formula, drop the value after it
            let mut stripped = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(at) = rest.find("</f><v>") {
                let (head, tail) = rest.split_at(at + "</f>".len());
                stripped.push_str(head);
                rest = tail.find("</v>").map_or("", |end| &tail[end + "</v>".len()..]);
            }
            stripped.push_str(rest);
            bytes = stripped.into_bytes();
        }
        out.start_file(name, options).expect("entry");
        out.write_all(&bytes).expect("write entry");
    }
    out.finish().expect("zip").into_inner()
}

#[test]
fn libreoffice_recalculates_the_regency_workbook_to_the_same_figures() {
    if !tool_available("soffice") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (_, accounts) = common::seed_demo(&mut app.conn(), 1500, 11);
    let cookie = admin(&app, &accounts);
    let bytes = get(&app, &cookie, "xlsx");
    let index = regency(&app);
    let dir = tempfile::tempdir().expect("tmp");
    let (input, output, profile) = (dir.path().join("in"), dir.path().join("out"), dir.path().join("profile"));
    std::fs::create_dir_all(&input).expect("dir");
    let stripped = without_cached_results(&bytes);
    {
        // nothing left to read back: only a recalculation can give the figures below
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(stripped.clone())).expect("stripped opens");
        let values = book.worksheet_range("Rekap gabungan").expect("summary");
        let nik_row = values.rows().position(|r| r.get(2).is_some_and(|c| *c == "NIK gabungan (semua responden)"));
        assert_eq!(nik_row.and_then(|row| common::cell_number(values.get((row, 3)))), None, "cached results removed");
    }
    std::fs::write(input.join("regency.xlsx"), stripped).expect("write");
    common::recalculating_office_profile(&profile);
    let converted = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--convert-to", "xlsx", "--outdir"])
        .arg(&output)
        .arg(input.join("regency.xlsx"))
        .output()
        .expect("soffice runs");
    assert!(converted.status.success(), "soffice: {}", String::from_utf8_lossy(&converted.stderr));
    let recalculated = std::fs::read(output.join("regency.xlsx")).expect("LibreOffice wrote the workbook");
    std::fs::copy(output.join("regency.xlsx"), common::report_samples_dir().join("laporan-regency-libreoffice.xlsx"))
        .expect("sample");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(recalculated)).expect("xlsx opens");
    let values = book.worksheet_range("Rekap gabungan").expect("summary");
    let row_of = |col: usize, label: &str| values.rows().position(|r| r.get(col).is_some_and(|c| *c == label));
    let nik_row = row_of(2, "NIK gabungan (semua responden)").expect("pooled NIK row");
    let pooled = index.result.index.expect("pooled").to_f64();
    assert_eq!(common::cell_number(values.get((nik_row, 3))), Some(pooled), "LibreOffice's pooled NIK");
    let mean_row = row_of(1, "Rata-rata NIK unit (tanpa bobot)").expect("mean of units row");
    let mean = index.roll_up.as_ref().and_then(|r| r.mean_of_units).map(|v| v.to_f64());
    assert_eq!(common::cell_number(values.get((mean_row, 4))), mean, "LibreOffice's mean of units");
}
