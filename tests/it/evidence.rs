//! The PEKPPP evidence pack (issue 16, point 4; SPEC §6a): `skm evidence` and `/admin/bukti.zip`
//! write one ZIP holding the cover, the regency report, each unit's PDF and XLSX, the publication
//! log with each proof image, the follow-up tracker (PDF, XLSX) and manifest.csv, whose SHA-256
//! of each file matches its bytes; the tracker's % done is `follow_up::tracker`'s. The cover is
//! left as a page image in target/report-samples.

use crate::common;

use common::{backends, TestApp};
use sha2::{Digest, Sha256};
use skm::db::units;
use skm::domain::names::Role;
use skm::domain::period::Period;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

/// The demo regency with its follow-up actions and published results, and the period the pack
/// is asked for: the last 300 days, which hold the demo's publications and actions whatever day
/// it is.
fn demo(app: &TestApp) -> (Period, Vec<skm::demo::DemoAccount>) {
    let today = skm::demo::today(app.config.timezone);
    let (_, accounts) = common::seed_demo(&mut app.conn(), 400, 7);
    skm::demo::showcase(&mut app.conn(), today).expect("showcase");
    let period: Period =
        format!("{}..{today}", today - chrono::Duration::days(300)).parse().expect("a date range is a period");
    (period, accounts)
}

/// What the pack must hold, read from the services it is made from.
struct Expected {
    units: Vec<String>,
    proofs: usize,
    media: usize,
    percent: usize,
    done: usize,
    counted: usize,
}

fn expected(app: &TestApp, period: &Period) -> Expected {
    let mut conn = app.conn();
    let today = skm::demo::today(app.config.timezone);
    let all = units::list(&mut conn).expect("units");
    let ids: Vec<i32> = all.iter().map(|u| u.id).collect();
    let tracker = skm::follow_up::tracker(&mut conn, &ids, Some(period), today).expect("tracker");
    let log = skm::publications::media_log(&mut conn, period, None).expect("log");
    Expected {
        units: all.iter().filter(|u| u.parent_id.is_some()).map(|u| u.slug.clone()).collect(),
        proofs: log.iter().filter(|m| m.image.is_some()).count(),
        media: skm::domain::names::Medium::count(log.iter().map(|m| m.medium)),
        percent: tracker.progress.percent().expect("the demo has counted actions"),
        done: tracker.progress.done,
        counted: tracker.progress.counted(),
    }
}

/// Opens the ZIP, checks every file the pack promises and the manifest's hashes; returns the files.
fn check_pack(bytes: &[u8], period: &Period, expected: &Expected, name: &str) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the pack opens as a ZIP");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("a file");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("its bytes");
        files.insert(file.name().expect("a UTF-8 name").to_string(), content);
    }
    let p = period.to_string().replace("..", "_");
    let mut wanted = vec![
        format!("00-sampul-bukti-skm-{p}.pdf"),
        format!("1-laporan-skm/kabupaten-kutim-{p}.pdf"),
        format!("1-laporan-skm/kabupaten-kutim-{p}.xlsx"),
        format!("2-publikasi/log-publikasi-{p}.pdf"),
        format!("3-tindak-lanjut/rtl-{p}.pdf"),
        format!("3-tindak-lanjut/rtl-{p}.xlsx"),
        "manifest.csv".to_string(),
    ];
    for slug in &expected.units {
        wanted.push(format!("1-laporan-skm/unit/{slug}-{p}.pdf"));
        wanted.push(format!("1-laporan-skm/unit/{slug}-{p}.xlsx"));
    }
    for file in &wanted {
        assert!(files.contains_key(file), "{name}: the pack lacks {file}: {:?}", files.keys());
    }
    for (file, content) in &files {
        let signature: &[u8] = match file.rsplit('.').next() {
            Some("pdf") => b"%PDF-",
            Some("xlsx") => b"PK",
            Some("png") => b"\x89PNG",
            _ => b"",
        };
        assert!(content.starts_with(signature), "{name}: {file} is not what its name says");
    }
    let proofs: Vec<&String> = files.keys().filter(|f| f.starts_with("2-publikasi/bukti-")).collect();
    assert_eq!(proofs.len(), expected.proofs, "{name}: each proof image is in the pack: {proofs:?}");
    assert!(expected.proofs > 0, "{name}: the demo has a photo of the board");

    // the manifest: every other file once, with the SHA-256 of its bytes and what it proves
    let mut reader = csv::Reader::from_reader(files["manifest.csv"].as_slice());
    let mut listed = Vec::new();
    for record in reader.records() {
        let record = record.expect("a manifest line");
        let (file, sha, proves) = (&record[0], &record[1], &record[2]);
        let content = files.get(file).unwrap_or_else(|| panic!("{name}: the manifest names {file}, not in the pack"));
        let actual: String = Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(sha, actual, "{name}: {file}'s SHA-256");
        assert!(!proves.trim().is_empty(), "{name}: {file} proves something");
        listed.push(file.to_string());
    }
    let others: Vec<&String> = files.keys().filter(|f| *f != "manifest.csv").collect();
    listed.sort();
    assert_eq!(listed.iter().collect::<Vec<_>>(), others, "{name}: the manifest lists every file once");

    // the tracker's workbook: its total % done is the tracker's
    let xlsx = &files[&format!("3-tindak-lanjut/rtl-{p}.xlsx")];
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.clone())).expect("xlsx");
    let sheet = calamine::Reader::worksheet_range(&mut book, "Persen selesai").expect("the % sheet");
    let total = sheet
        .rows()
        .find(|row| matches!(row.first(), Some(calamine::Data::String(s)) if s == "Jumlah"))
        .unwrap_or_else(|| panic!("{name}: a total row"));
    assert_eq!(common::cell_number(total.get(5)), Some(expected.percent as f64), "{name}: the total % done");
    assert_eq!(common::cell_number(total.get(2)), Some(expected.done as f64), "{name}: done");
    files
}

/// The cover's text names the three indicators, the media count and the % done; its first page
/// is left as a PNG to look at.
fn check_cover(pdf: &[u8], expected: &Expected, name: &str) {
    if !common::tool_available("pdftotext") {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-samples");
    std::fs::create_dir_all(&dir).expect("samples dir");
    let path = dir.join(format!("bukti-sampul-{name}.pdf"));
    std::fs::write(&path, pdf).expect("write the cover");
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
    // the table wraps its cells: read the words, not the lines
    let text = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        "Bukti SKM untuk PEKPPP".to_string(),
        "Pemerintah Kabupaten Kutai Timur".to_string(),
        "SKM dilaksanakan sesuai PermenPANRB 14/2017".to_string(),
        format!("{} laporan unit", expected.units.len()),
        "Publikasi hasil SKM".to_string(),
        format!("dipublikasikan di {} media", expected.media),
        "Tindak lanjut hasil SKM".to_string(),
        format!("{} dari {} selesai ({} %)", expected.done, expected.counted, expected.percent),
    ] {
        assert!(text.contains(&words), "{name}: the cover lacks '{words}': {text}");
    }
    let png = dir.join(format!("bukti-sampul-{name}"));
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&png)
        .status()
        .expect("pdftoppm");
    assert!(status.success(), "{name}: the cover renders");
}

#[test]
fn skm_evidence_writes_the_pack_with_every_file_and_a_manifest_that_matches() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let name = database.name;
        let (period, _) = demo(&app);
        let expected = expected(&app, &period);
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("bukti-skm.zip");
        let run = common::skm(dir.path())
            .env("SKM_DATABASE_URL", &database.url)
            .args(["evidence", "--period", &period.to_string(), "--out"])
            .arg(&out)
            .output()
            .expect("skm evidence");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "{name}: {stdout} {}", String::from_utf8_lossy(&run.stderr));
        assert!(stdout.contains(&format!("follow-up {} % done", expected.percent)), "{name}: {stdout}");
        let files = check_pack(&std::fs::read(&out).expect("the ZIP"), &period, &expected, name);
        let cover = format!("00-sampul-bukti-skm-{}.pdf", period.to_string().replace("..", "_"));
        check_cover(&files[&cover], &expected, name);

        // a period that is none is refused, naming the option, and writes nothing
        let bad = dir.path().join("salah.zip");
        let run = common::skm(dir.path())
            .env("SKM_DATABASE_URL", &database.url)
            .args(["evidence", "--period", "2026-13", "--out"])
            .arg(&bad)
            .output()
            .expect("skm evidence");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{name}");
        assert!(stderr.contains("--period") && stderr.contains("2026-13"), "{name}: {stderr}");
        assert!(!bad.exists(), "{name}: no file for a refused period");
    }
}

#[test]
fn admins_download_the_same_pack_streamed_from_the_admin_page() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let name = database.name;
        let (period, logins) = demo(&app);
        let expected = expected(&app, &period);
        let login = |role: Role| {
            let account = logins.iter().find(|a| a.role == role).expect("a demo account");
            app.login(&account.email, &account.password).unwrap_or_else(|r| panic!("{name}: {}", r.body))
        };
        let admin = login(Role::Admin);
        let page = app.get_as(&admin, "/admin").body;
        assert!(page.contains("action=\"/admin/bukti.zip\""), "{name}: /admin offers the pack");
        assert!(page.contains("Unduh paket bukti PEKPPP"), "{name}");

        let path = format!("/admin/bukti.zip?period={}", common::encode(&period.to_string()));
        let reply = app.get_as(&admin, &path);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/zip"), "{name}");
        let file = format!("bukti-skm-{}.zip", period.to_string().replace("..", "_"));
        assert_eq!(
            reply.header("content-disposition"),
            Some(format!("attachment; filename=\"{file}\"").as_str()),
            "{name}"
        );
        assert_eq!(reply.header("content-length"), None, "{name}: streamed, not built whole first");
        check_pack(&reply.bytes, &period, &expected, name);

        // a mistyped period is a 400 that names the field; a unit head gets no pack
        let reply = app.get_as(&admin, "/admin/bukti.zip?period=2026-13");
        assert_eq!(reply.status, 400, "{name}: {}", reply.body);
        assert!(reply.body.contains("period"), "{name}: {}", reply.body);
        let head = login(Role::UnitHead);
        assert_eq!(app.get_as(&head, &path).status, 404, "{name}");
    }
}
