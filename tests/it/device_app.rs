//! The device app (issue 20): a kiosk tablet enrolled from the operator's page keeps answers
//! while offline (a reload too), sends them when the network is back, and the server stores
//! each exactly once, even sent again or when the browser dies before it hears the reply.
//! Screenshots go to target/screenshots/app-*.png.

use crate::common::webdriver::{accessibility_violations, axe_source, Browser};
use crate::common::{self, tool_available, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};
use skm::db::schema::responses;
use skm::domain::names::Role;
use std::io::Write;
use std::path::PathBuf;

const OPERATOR: &str = "operator@disdukcapil.go.id";

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[test]
fn the_app_is_small_and_carries_its_own_script_policy() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let mut gzipped = 0;
    for (path, content_type, _) in skm::web::app::FILES {
        let reply = app.get_with(path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
        assert_eq!(reply.header("cache-control"), Some("no-cache"), "{path}: the service worker keeps the copy");
        let policy = reply.header("content-security-policy").unwrap_or_default();
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "{path}: {policy}");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&reply.bytes).expect("gzip");
        gzipped += encoder.finish().expect("gzip").len();
    }
    assert!(gzipped < 40 * 1024, "the whole app is {gzipped} bytes gzipped");
    let worker = app.get_with("/app/sw.js", &[]);
    assert_eq!(worker.header("service-worker-allowed"), Some("/app/"));
    let bare = app.get_with("/app", &[]);
    assert_eq!((bare.status, bare.header("location")), (301, Some("/app/")));
    // the rest of the site still allows no script at all
    let form = app.get_with("/s/nowhere", &[]);
    assert!(form.header("content-security-policy").is_some_and(|p| p.contains("script-src 'none'")));
}

/// Enrols a device on the operator's Perangkat page as the signed-in operator; its code.
fn enrol_on_operator_page(browser: &Browser, app: &TestApp, kind: &str, name: &str, officer: &str) -> String {
    browser.open(&app.url("/operator/disdukcapil/perangkat"));
    browser.click(&format!("input[name=jenis][value={kind}]"));
    browser.type_into("input[name=nama]", name);
    if !officer.is_empty() {
        browser.type_into("input[name=petugas]", officer);
    }
    let checked =
        browser.script("return document.querySelector('input[name=unit][value=disdukcapil]').checked;", vec![]);
    if checked != Value::Bool(true) {
        browser.click("input[name=unit][value=disdukcapil]");
    }
    browser.click("#daftarkan");
    let link = browser.wait_for_script("document.getElementById('tautan-pendaftaran')?.getAttribute('href')", 15);
    let code = browser.script("return document.getElementById('kode-pendaftaran').textContent.trim();", vec![]);
    let code = code.as_str().expect("the code").to_string();
    assert!(link.as_str().is_some_and(|l| l.ends_with(&format!("/app/#daftar={code}"))), "{link}");
    code
}

fn status(browser: &Browser) -> String {
    browser.script("return document.getElementById('status').innerText;", vec![]).as_str().unwrap_or("").to_string()
}

fn wait_for_status(browser: &Browser, text: &str, seconds: u64) {
    browser.wait_for_script(&format!("document.getElementById('status').innerText.includes({text:?})"), seconds);
}

fn wait_for_form(browser: &Browser) {
    browser.wait_for_script("document.getElementById('survei')", 20);
}

/// Answers the form on screen as a person would (every question `score`, a service) and waits
/// until the thank-you screen says the answers are on the device.
fn answer(browser: &Browser, score: u32, saran: &str) {
    wait_for_form(browser);
    browser.click("select[name=layanan] option[value=ktp-el]");
    let names = browser
        .script("return [...document.querySelectorAll('fieldset[data-name]')].map(f => f.dataset.name);", vec![]);
    let names: Vec<String> = serde_json::from_value(names).expect("question names");
    assert!(names.len() >= 9, "the questions: {names:?}");
    for name in names {
        browser.click(&format!("input[name='{name}'][value='{score}']"));
    }
    if !saran.is_empty() {
        browser.type_into("textarea[name=saran]", saran);
    }
    browser.click("#kirim");
    browser.wait_for_script("document.getElementById('terima-kasih')", 15);
}

/// The answers waiting on the device, as stored in its IndexedDB.
fn pending_items(browser: &Browser) -> Vec<Value> {
    let items = browser.script_async(
        "const done = arguments[arguments.length - 1];
         const open = indexedDB.open('skm-perangkat');
         open.onsuccess = () => {
             const all = open.result.transaction('pending').objectStore('pending').getAll();
             all.onsuccess = () => { open.result.close(); done(JSON.stringify(all.result)); };
         };",
    );
    serde_json::from_str(items.as_str().unwrap_or("[]")).expect("pending items")
}

fn stored_ids(app: &TestApp, unit: i32) -> Vec<String> {
    let mut ids: Vec<String> = responses::table
        .filter(responses::unit_id.eq(unit))
        .select(responses::id)
        .load(&mut app.conn())
        .expect("responses");
    ids.sort();
    ids
}

fn check_accessibility(browser: &Browser, what: &str) {
    if let Some(axe) = axe_source() {
        let violations = accessibility_violations(browser, &axe, &[]);
        assert!(violations.is_empty(), "axe-core on {what}: {violations:#?}");
    }
}

#[test]
fn a_kiosk_keeps_answers_offline_and_the_server_stores_each_exactly_once() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let unit = common::seed_unit_and_user(&app, "disdukcapil", OPERATOR, Role::Operator);
    let profile = tempfile::tempdir().expect("profile");
    let mut browser = Browser::start_with_profile(1024, 768, profile.path());
    browser.sign_in(&app.url("/masuk"), OPERATOR, PASSWORD);
    let code = enrol_on_operator_page(&browser, &app, "kiosk", "Tablet loket 1", "");

    browser.open(&app.url(&format!("/app/#daftar={code}")));
    wait_for_form(&browser);
    assert!(!browser.current_url().contains("daftar"), "the code leaves the address: {}", browser.current_url());
    browser.wait_for_script("navigator.serviceWorker.controller", 20);
    wait_for_status(&browser, "Daring", 10);
    wait_for_status(&browser, "0 menunggu dikirim", 10);
    assert!(browser.script("return document.body.classList.contains('kiosk');", vec![]) == Value::Bool(true));
    browser.screenshot_viewport(&screenshots().join("app-tablet-online.png"));
    check_accessibility(&browser, "the kiosk form");

    // A question left out: the message stands next to it, the answers given stay.
    browser.click("select[name=layanan] option[value=ktp-el]");
    browser.click("input[name=U1][value='2']");
    browser.click("#kirim");
    browser.wait_for_text("Mohon pilih salah satu jawaban.");
    let kept = browser.script("return document.querySelector(\"input[name=U1][value='2']\").checked;", vec![]);
    assert_eq!(kept, Value::Bool(true));
    browser.screenshot_viewport(&screenshots().join("app-tablet-errors.png"));
    check_accessibility(&browser, "the form with errors");

    // Offline: three people answer, and a reload keeps all three.
    browser.emulate_network(true, 0, -1);
    wait_for_status(&browser, "Luring", 10);
    answer(&browser, 4, "Antrean tertib.");
    browser.screenshot_viewport(&screenshots().join("app-tablet-thanks.png"));
    browser.click("#terima-kasih button");
    answer(&browser, 3, "");
    browser.click("#terima-kasih button");
    answer(&browser, 2, "");
    wait_for_form(&browser);
    wait_for_status(&browser, "3 menunggu dikirim", 10);
    assert!(status(&browser).contains("belum pernah tersinkron") || status(&browser).contains("terakhir tersinkron"));
    browser.screenshot_viewport(&screenshots().join("app-tablet-offline.png"));
    let waiting = pending_items(&browser);
    assert_eq!(waiting.len(), 3, "{waiting:?}");
    for item in &waiting {
        let id = item["id"].as_str().unwrap_or_default();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "7", "a UUIDv7: {id}");
        assert!("89ab".contains(&id[19..20]), "variant 10: {id}");
        assert_eq!(item["unit"], "disdukcapil");
        assert_eq!(item["layanan"], "ktp-el");
        assert!(item["template_version"].is_i64(), "{item}");
    }
    browser.reload();
    wait_for_form(&browser);
    wait_for_status(&browser, "3 menunggu dikirim", 10);
    wait_for_status(&browser, "Luring", 10);
    assert!(stored_ids(&app, unit).is_empty(), "nothing reached the server while offline");

    // Online again: all three arrive, once.
    browser.emulate_network(false, 0, -1);
    wait_for_status(&browser, "0 menunggu dikirim", 30);
    wait_for_status(&browser, "terakhir tersinkron", 5);
    let mut sent: Vec<String> = waiting.iter().map(|i| i["id"].as_str().unwrap_or_default().to_string()).collect();
    sent.sort();
    assert_eq!(stored_ids(&app, unit), sent, "the three answers, under the ids the device gave them");
    browser.screenshot_viewport(&screenshots().join("app-tablet-synced.png"));

    // The same batch again (as after a reply that never came): the server answers `duplicate`,
    // the device lets go of them, and nothing is stored twice.
    let again = browser.script_async(&format!(
        "const done = arguments[arguments.length - 1];
         const items = {};
         const open = indexedDB.open('skm-perangkat');
         open.onsuccess = () => {{
             const tx = open.result.transaction('pending', 'readwrite');
             for (const item of items) tx.objectStore('pending').put(item);
             tx.oncomplete = () => {{ open.result.close(); window.dispatchEvent(new Event('online')); done('ok'); }};
         }};",
        Value::Array(waiting.clone())
    ));
    assert_eq!(again, json!("ok"));
    // (the status line said 0 before the items went back in behind the app's back)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !pending_items(&browser).is_empty() {
        assert!(std::time::Instant::now() < deadline, "the resent batch never left the device");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    wait_for_status(&browser, "0 menunggu dikirim", 10);
    assert_eq!(stored_ids(&app, unit), sent, "sent twice, stored once");

    // The browser dies after the server stored an answer but before the reply arrived: the
    // answer is still waiting on the device, is sent again after a restart, and stays one row.
    browser.emulate_network(false, 10_000, -1);
    answer(&browser, 4, "");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while stored_ids(&app, unit).len() < 4 {
        assert!(std::time::Instant::now() < deadline, "the fourth answer never reached the server");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(pending_items(&browser).len(), 1, "the reply has not arrived yet");
    browser.kill_hard();
    drop(browser);
    let browser = Browser::start_with_profile(1024, 768, profile.path());
    browser.open(&app.url("/app/"));
    wait_for_form(&browser);
    wait_for_status(&browser, "0 menunggu dikirim", 30);
    assert_eq!(stored_ids(&app, unit).len(), 4, "no answer lost, none stored twice");
    assert!(pending_items(&browser).is_empty());
}

#[test]
fn an_enumerator_phone_works_offline_in_both_languages() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let unit = common::seed_unit_and_user(&app, "disdukcapil", OPERATOR, Role::Operator);
    let browser = Browser::start(390, 844);
    browser.sign_in(&app.url("/masuk"), OPERATOR, PASSWORD);
    let code = enrol_on_operator_page(&browser, &app, "enumerator", "Ponsel Siti", "Siti");

    // typed in by hand, in lower case and without the dash
    browser.open(&app.url("/app/"));
    browser.wait_for_script("document.getElementById('f-kode')", 15);
    browser.screenshot_viewport(&screenshots().join("app-phone-enrol.png"));
    check_accessibility(&browser, "the enrolment screen");
    browser.type_into("#f-kode", &code.replace('-', "").to_lowercase());
    browser.click("#daftar");
    wait_for_form(&browser);
    browser.wait_for_script("navigator.serviceWorker.controller", 20);
    wait_for_status(&browser, "Daring", 10);
    assert!(browser.source().contains("Siti"), "the enumerator's name is shown");
    let width = browser.script("return document.documentElement.scrollWidth;", vec![]);
    assert!(width.as_u64().is_some_and(|w| w <= 390), "no sideways scrolling at 390 px: {width}");
    browser.screenshot_viewport(&screenshots().join("app-phone-online.png"));
    check_accessibility(&browser, "the enumerator's form");

    browser.emulate_network(true, 0, -1);
    wait_for_status(&browser, "Luring", 10);
    browser.click("#lang");
    browser.wait_for_text("Public Satisfaction Survey");
    wait_for_status(&browser, "Offline", 10);
    answer(&browser, 3, "");
    browser.click("#terima-kasih button");
    wait_for_form(&browser);
    wait_for_status(&browser, "1 waiting to be sent", 10);
    browser.screenshot_viewport(&screenshots().join("app-phone-offline-en.png"));
    browser.click("#lang");
    wait_for_status(&browser, "1 menunggu dikirim", 10);
    browser.screenshot_viewport(&screenshots().join("app-phone-offline.png"));

    browser.emulate_network(false, 0, -1);
    wait_for_status(&browser, "0 menunggu dikirim", 30);
    assert_eq!(stored_ids(&app, unit).len(), 1);

    // Revoked while an answer waits offline: the app says so, sends nothing, keeps the answer.
    browser.emulate_network(true, 0, -1);
    wait_for_status(&browser, "Luring", 10);
    answer(&browser, 4, "");
    wait_for_status(&browser, "1 menunggu dikirim", 10);
    let device = browser.script_async(
        "const done = arguments[arguments.length - 1];
         const open = indexedDB.open('skm-perangkat');
         open.onsuccess = () => {
             const get = open.result.transaction('meta').objectStore('meta').get('device');
             get.onsuccess = () => { open.result.close(); done(get.result.device); };
         };",
    );
    let device = device.as_str().expect("the device id").to_string();
    let cookie = app.login(OPERATOR, PASSWORD).expect("operator session");
    let csrf = common::hidden(&app.get_as(&cookie, "/operator/disdukcapil/perangkat").body, "csrf");
    let revoked = app.post_form_as(
        &cookie,
        &format!("/operator/disdukcapil/perangkat/{device}/cabut"),
        &[("csrf".to_string(), csrf)],
    );
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    browser.emulate_network(false, 0, -1);
    browser.wait_for_script("document.getElementById('dicabut')", 30);
    browser.wait_for_text("Perangkat ini telah dicabut oleh operator");
    browser.screenshot_viewport(&screenshots().join("app-phone-revoked.png"));
    assert_eq!(pending_items(&browser).len(), 1, "the answer stays on the device");
    assert_eq!(stored_ids(&app, unit).len(), 1);
}
