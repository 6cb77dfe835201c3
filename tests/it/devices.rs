//! Enrolled kiosk and enumerator devices (issue 20), through the HTTP API on both databases:
//! enrolment with the operator's one-time code, signed uploads stored exactly once, and every
//! way an upload is refused (bad signature, revoked or unknown device, malformed batches,
//! answered time outside the window).

use crate::common::{agent, backends, hidden, seed_unit_and_user, Reply, TestApp, PASSWORD};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use skm::db::schema::{devices, responses};
use skm::domain::names::Role;

/// A device's side: its id and the key it signs with.
pub(crate) struct Device {
    id: String,
    key: EcdsaKeyPair,
}

pub(crate) fn new_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key pair")
}

fn public_key(key: &EcdsaKeyPair) -> String {
    URL_SAFE_NO_PAD.encode(key.public_key().as_ref())
}

fn post_json(app: &TestApp, path: &str, body: &str, headers: &[(&str, String)]) -> (Reply, Value) {
    let mut request = agent().post(&app.url(path)).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let reply = Reply::from(request.send(body).expect("HTTP request"));
    let value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    (reply, value)
}

impl Device {
    fn sign(&self, body: &str) -> String {
        let signature = self.key.sign(&SystemRandom::new(), body.as_bytes()).expect("signature");
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    }

    fn post(&self, app: &TestApp, path: &str, body: &Value) -> (Reply, Value) {
        let text = body.to_string();
        let headers = [("X-SKM-Device", self.id.clone()), ("X-SKM-Signature", self.sign(&text))];
        post_json(app, path, &text, &headers)
    }

    pub(crate) fn config(&self, app: &TestApp) -> Value {
        let (reply, body) = self.post(app, "/api/v1/devices/config", &json!({"pending": 0}));
        assert_eq!(reply.status, 200, "{}", reply.body);
        body
    }

    pub(crate) fn upload(&self, app: &TestApp, items: &[Value], pending: usize) -> (Reply, Value) {
        self.post(app, "/api/v1/devices/responses", &json!({"pending": pending, "responses": items}))
    }
}

/// Signs in as the unit's operator and enrols a device on the operator's page; the code shown.
pub(crate) fn start_enrolment(app: &TestApp, cookie: &str, slug: &str, fields: &[(&str, &str)]) -> Reply {
    let page = app.get_as(cookie, &format!("/operator/{slug}/perangkat"));
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = vec![("csrf".to_string(), hidden(&page.body, "csrf"))];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.post_form_as(cookie, &format!("/operator/{slug}/perangkat"), &form)
}

pub(crate) fn code_on(page: &str) -> String {
    let marker = "<code id=\"kode-pendaftaran\">";
    let start = page.find(marker).unwrap_or_else(|| panic!("no code on the page: {page}")) + marker.len();
    page[start..].split('<').next().unwrap_or_default().to_string()
}

pub(crate) fn enrol_with(app: &TestApp, code: &str, key: EcdsaKeyPair) -> Device {
    let body = json!({"code": code, "public_key": public_key(&key)}).to_string();
    let (reply, value) = post_json(app, "/api/v1/devices/enrol", &body, &[]);
    assert_eq!(reply.status, 201, "{}", reply.body);
    Device { id: value["device"].as_str().expect("device id").to_string(), key }
}

/// A unit with its operator signed in, and an enrolled kiosk at it.
fn kiosk(app: &TestApp, slug: &str) -> (String, Device) {
    let email = format!("op-{slug}@example.go.id");
    seed_unit_and_user(app, slug, &email, Role::Operator);
    let cookie = app.login(&email, PASSWORD).expect("login");
    let page = start_enrolment(app, &cookie, slug, &[("jenis", "kiosk"), ("nama", "Tablet loket 1"), ("unit", slug)]);
    assert_eq!(page.status, 200, "{}", page.body);
    let device = enrol_with(app, &code_on(&page.body), new_key());
    (cookie, device)
}

/// A complete response answered at `answered_at` on the questionnaire version `version`.
pub(crate) fn response(id: &str, slug: &str, version: i64, answered_at: &str, score: u32) -> Value {
    let answers: serde_json::Map<String, Value> = (1..=9).map(|i| (format!("U{i}"), json!(score))).collect();
    json!({
        "id": id,
        "unit": slug,
        "template_version": version,
        "answered_at": answered_at,
        "layanan": "ktp-el",
        "answers": answers,
        "profile": {"jenis_kelamin": "P", "usia": 35},
        "saran": null,
    })
}

fn v7() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn minutes_ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339()
}

fn rows(app: &TestApp) -> i64 {
    responses::table.count().get_result(&mut app.conn()).expect("count")
}

fn statuses(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("").to_string())
        .collect()
}

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| (f["field"].as_str().unwrap_or("").to_string(), f["code"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn version_of(config: &Value, slug: &str) -> i64 {
    config["questionnaires"]
        .as_array()
        .expect("questionnaires")
        .iter()
        .find(|q| q["slug"] == slug)
        .and_then(|q| q["template_version"].as_i64())
        .expect("the unit's questionnaire")
}

#[test]
fn a_kiosk_uploads_each_response_exactly_once_whatever_is_resent() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let (cookie, device) = kiosk(&app, "dukcapil");
        let config = device.config(&app);
        assert_eq!(config["kind"], "kiosk", "{name}");
        let version = version_of(&config, "dukcapil");
        let questionnaire = &config["questionnaires"][0];
        assert_eq!(questionnaire["template"]["elements"].as_array().map(Vec::len), Some(9), "{name}");
        assert!(questionnaire["template"]["elements"][0]["answers"][0]["label"]["id"].is_string(), "scale labels");

        let answered = minutes_ago(90);
        let batch: Vec<Value> = (0..3).map(|i| response(&v7(), "dukcapil", version, &answered, 2 + i % 3)).collect();
        let (reply, body) = device.upload(&app, &batch, 3);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(statuses(&body), ["stored"; 3], "{name}");
        assert_eq!(rows(&app), 3, "{name}");

        // the reply was lost: the same batch again changes nothing
        let (reply, body) = device.upload(&app, &batch, 3);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(statuses(&body), ["duplicate"; 3], "{name}");
        assert_eq!(body["duplicates"], 3, "{name}");
        assert_eq!(rows(&app), 3, "{name}: still exactly 3 rows");

        // an old one and a new one together
        let fresh = response(&v7(), "dukcapil", version, &minutes_ago(5), 4);
        let (_, body) = device.upload(&app, &[batch[0].clone(), fresh], 2);
        assert_eq!(statuses(&body), ["duplicate", "stored"], "{name}");
        assert_eq!(rows(&app), 4, "{name}");

        // the same tablet enrolled anew (a new device record) resends what it kept: duplicates
        let page =
            start_enrolment(&app, &cookie, "dukcapil", &[("jenis", "kiosk"), ("nama", "Lagi"), ("unit", "dukcapil")]);
        let again = enrol_with(&app, &code_on(&page.body), new_key());
        let (_, body) = again.upload(&app, &batch, 3);
        assert_eq!(statuses(&body), ["duplicate"; 3], "{name}");

        // while an admin has closed the unit's survey, answers wait on the device, not refused
        let unit_id = skm::db::units::by_slug(&mut app.conn(), "dukcapil").expect("unit").id;
        skm::db::units::set_active(&mut app.conn(), unit_id, false).expect("closed");
        let waiting = response(&v7(), "dukcapil", version, &minutes_ago(4), 3);
        let (_, body) = device.upload(&app, std::slice::from_ref(&waiting), 1);
        assert_eq!(statuses(&body), ["deferred"], "{name}: {body}");
        assert_eq!(body["results"][0]["problems"][0]["code"], "closed", "{name}");
        skm::db::units::set_active(&mut app.conn(), unit_id, true).expect("reopened");
        let (_, body) = device.upload(&app, &[waiting], 1);
        assert_eq!(statuses(&body), ["stored"], "{name}");
        assert_eq!(rows(&app), 5, "{name}");

        // stored under the device's id, answered time and arrival time, channel kiosk
        let id = batch[0]["id"].as_str().expect("id").to_string();
        let (channel, submitted, received, device_id, survey_date): (
            String,
            chrono::NaiveDateTime,
            Option<chrono::NaiveDateTime>,
            Option<i32>,
            String,
        ) = responses::table
            .find(&id)
            .select((
                responses::channel,
                responses::submitted_at,
                responses::received_at,
                responses::device_id,
                responses::survey_date,
            ))
            .first(&mut app.conn())
            .expect("the device's id is the row's id");
        assert_eq!(channel, "kiosk", "{name}");
        let answered_at: chrono::DateTime<chrono::Utc> = answered.parse().expect("time");
        assert!((submitted - answered_at.naive_utc()).num_seconds().abs() <= 1, "{name}: submitted_at is answered");
        let received = received.expect("received_at");
        assert!(received - submitted >= chrono::Duration::minutes(89), "{name}: received at upload, not answered");
        assert!(device_id.is_some(), "{name}");
        let local = answered_at.with_timezone(&app.config.timezone).date_naive().to_string();
        assert_eq!(survey_date, local, "{name}: the survey date is the answered date");

        // the operator sees the last sync and what the device said was waiting
        let page = app.get_as(&cookie, "/operator/dukcapil/perangkat");
        assert!(page.body.contains("Tablet loket 1") && page.body.contains("Aktif"), "{name}: {}", page.body);
        let row = page.body.split(&format!("data-device=\"{}\"", device.id)).nth(1).expect("the device's row");
        assert!(!row.contains("belum pernah"), "{name}: a sync is recorded");
        assert!(row.contains("<td>1</td>"), "{name}: pending as last reported: {row}");
        app.stop();
    }
}

#[test]
fn an_enrolment_code_works_once_within_fifteen_minutes_with_a_real_key() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        seed_unit_and_user(&app, "rsud", "op@example.go.id", Role::Operator);
        let cookie = app.login("op@example.go.id", PASSWORD).expect("login");
        let page =
            start_enrolment(&app, &cookie, "rsud", &[("jenis", "kiosk"), ("nama", "Kios IGD"), ("unit", "rsud")]);
        let code = code_on(&page.body);
        assert!(page.body.contains("id=\"tautan-pendaftaran\""), "{name}: a link to the app");
        assert!(page.body.contains("data:image/svg+xml;base64,"), "{name}: a QR of it");

        let enrol = |code: &str, key: &str| {
            post_json(&app, "/api/v1/devices/enrol", &json!({"code": code, "public_key": key}).to_string(), &[])
        };
        let (reply, body) = enrol(&code, "AAAA");
        assert_eq!(reply.status, 422, "{name}");
        assert_eq!(field_codes(&body), [("public_key".to_string(), "not_a_key".to_string())], "{name}");
        // typed in lower case without the dashes: the same code
        let typed = code.replace('-', "").to_lowercase();
        let (reply, body) = enrol(&typed, &public_key(&new_key()));
        assert_eq!(reply.status, 201, "{name}: {}", reply.body);
        assert_eq!(body["units"][0]["slug"], "rsud", "{name}");
        let (reply, body) = enrol(&code, &public_key(&new_key()));
        assert_eq!(reply.status, 422, "{name}: a code works once");
        assert_eq!(field_codes(&body)[0].1, "enrolment_code_unknown", "{name}");

        // a code older than 15 minutes
        let page = start_enrolment(&app, &cookie, "rsud", &[("jenis", "kiosk"), ("nama", "Kios 2"), ("unit", "rsud")]);
        let late = code_on(&page.body);
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
        diesel::update(devices::table.filter(devices::label.eq("Kios 2")))
            .set(devices::enrol_expires_at.eq(past))
            .execute(&mut app.conn())
            .expect("age the code");
        let (reply, body) = enrol(&late, &public_key(&new_key()));
        assert_eq!(reply.status, 422, "{name}");
        assert_eq!(field_codes(&body)[0].1, "enrolment_code_expired", "{name}");

        // the operator's form keeps what was typed and says what is missing, in Indonesian
        let page =
            start_enrolment(&app, &cookie, "rsud", &[("jenis", "enumerator"), ("nama", "HP Siti"), ("unit", "rsud")]);
        assert_eq!(page.status, 422, "{name}");
        assert!(page.body.contains("Isi nama petugas survei"), "{name}: {}", page.body);
        assert!(page.body.contains("value=\"HP Siti\""), "{name}: the name typed is kept");
        app.stop();
    }
}

#[test]
fn a_bad_signature_or_an_unknown_device_stores_nothing() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let (_, device) = kiosk(&app, "dinkes");
        let version = version_of(&device.config(&app), "dinkes");
        let body = json!({"pending": 1, "responses": [response(&v7(), "dinkes", version, &minutes_ago(1), 3)]});
        let text = body.to_string();

        let impostor = Device { id: device.id.clone(), key: new_key() };
        let (reply, problem) = impostor.post(&app, "/api/v1/devices/responses", &body);
        assert_eq!((reply.status, problem["code"].as_str()), (401, Some("unauthorized")), "{name}: another key");
        let tampered = text.replace("\"U1\":3", "\"U1\":4");
        assert_ne!(tampered, text);
        let headers = [("X-SKM-Device", device.id.clone()), ("X-SKM-Signature", device.sign(&text))];
        let (reply, _) = post_json(&app, "/api/v1/devices/responses", &tampered, &headers);
        assert_eq!(reply.status, 401, "{name}: a body changed after signing");
        let stranger = Device { id: uuid::Uuid::new_v4().to_string(), key: new_key() };
        let (reply, _) = stranger.post(&app, "/api/v1/devices/responses", &body);
        assert_eq!(reply.status, 401, "{name}: an unknown device");
        let (reply, _) = post_json(&app, "/api/v1/devices/responses", &text, &[]);
        assert_eq!(reply.status, 401, "{name}: no signature");
        assert_eq!(reply.header("www-authenticate"), Some("SKM-Device"), "{name}");
        assert_eq!(rows(&app), 0, "{name}: nothing stored");
        app.stop();
    }
}

#[test]
fn a_revoked_device_is_refused_and_its_operator_sees_the_refusal() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let (cookie, device) = kiosk(&app, "disdik");
        let version = version_of(&device.config(&app), "disdik");
        let page = app.get_as(&cookie, "/operator/disdik/perangkat");
        let revoke = format!("/operator/disdik/perangkat/{}/cabut", device.id);
        let reply = app.post_form_as(&cookie, &revoke, &[("csrf".into(), hidden(&page.body, "csrf"))]);
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);

        let (reply, body) = device.upload(&app, &[response(&v7(), "disdik", version, &minutes_ago(3), 4)], 1);
        assert_eq!(reply.status, 403, "{name}: {}", reply.body);
        assert_eq!(body["code"], "device_revoked", "{name}");
        assert_eq!(rows(&app), 0, "{name}");
        let refused: i32 = devices::table
            .filter(devices::public_id.eq(&device.id))
            .select(devices::refused_uploads)
            .first(&mut app.conn())
            .expect("device");
        assert_eq!(refused, 1, "{name}");
        let page = app.get_as(&cookie, "/operator/disdik/perangkat?dicabut=1");
        assert!(page.body.contains("Dicabut"), "{name}");
        let row = page.body.split(&format!("data-device=\"{}\"", device.id)).nth(1).expect("row");
        assert!(row.contains("<td>1 ("), "{name}: the refused upload is counted: {row}");
        assert!(!row.contains("/cabut"), "{name}: nothing left to revoke");
        app.stop();
    }
}

#[test]
fn a_malformed_upload_is_refused_whole_and_names_the_item() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let (_, device) = kiosk(&app, "dpmptsp");
        let version = version_of(&device.config(&app), "dpmptsp");
        let at = minutes_ago(2);
        let same = v7();
        let batch = [
            response(&v7(), "dpmptsp", version, &at, 4),
            response(&same, "dpmptsp", version, &at, 3),
            response(&same, "dpmptsp", version, &at, 2),
        ];
        let (reply, body) = device.upload(&app, &batch, 3);
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert_eq!(field_codes(&body), [("responses[2].id".to_string(), "duplicate_in_batch".to_string())], "{name}");

        let many: Vec<Value> = (0..101).map(|_| response(&v7(), "dpmptsp", version, &at, 4)).collect();
        let (reply, body) = device.upload(&app, &many, 101);
        assert_eq!(reply.status, 422, "{name}");
        assert_eq!(field_codes(&body), [("responses".to_string(), "too_many".to_string())], "{name}");
        assert!(body["fields"][0]["reason"].as_str().unwrap_or("").contains("at most 100"), "{name}");

        let mut wrong = response(&uuid::Uuid::new_v4().to_string(), "dpmptsp", version, "kemarin", 4);
        wrong["answers"]["U2"] = json!("empat");
        let (reply, body) = device.upload(&app, &[response(&v7(), "dpmptsp", version, &at, 4), wrong], 2);
        assert_eq!(reply.status, 422, "{name}");
        let codes = field_codes(&body);
        for expected in [
            ("responses[1].id", "not_a_uuid_v7"),
            ("responses[1].answered_at", "not_a_time"),
            ("responses[1].answers.U2", "wrong_type"),
        ] {
            assert!(codes.iter().any(|(f, c)| f == expected.0 && c == expected.1), "{name}: {expected:?} in {codes:?}");
        }
        assert_eq!(rows(&app), 0, "{name}: nothing of a refused upload is stored");
        app.stop();
    }
}

#[test]
fn answers_are_taken_within_their_time_window_each_judged_alone() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let (_, device) = kiosk(&app, "dishub");
        let version = version_of(&device.config(&app), "dishub");
        let days_ago = |days: i64| (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339();
        let batch = [
            response(&v7(), "dishub", version, &days_ago(29), 4),
            response(&v7(), "dishub", version, &days_ago(31), 4),
            response(&v7(), "dishub", version, &(chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(), 4),
            response(&v7(), "dishub", version, &(chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339(), 3),
            response(&v7(), "bukan-unitnya", version, &minutes_ago(1), 3),
        ];
        let (reply, body) = device.upload(&app, &batch, 5);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(statuses(&body), ["stored", "rejected", "rejected", "stored", "rejected"], "{name}");
        let problem = |i: usize| body["results"][i]["problems"][0]["code"].as_str().unwrap_or("").to_string();
        assert_eq!(problem(1), "answered_too_long_ago", "{name}");
        assert_eq!(problem(2), "answered_in_future", "{name}: beyond the clock skew");
        assert_eq!(problem(4), "not_a_unit_of_the_device", "{name}");
        assert_eq!(body["results"][1]["problems"][0]["field"], "responses[1].answered_at", "{name}");
        // the survey date of the one answered 29 days ago is that day
        let id = batch[0]["id"].as_str().expect("id").to_string();
        let date: String =
            responses::table.find(&id).select(responses::survey_date).first(&mut app.conn()).expect("stored");
        let expected = (chrono::Utc::now() - chrono::Duration::days(29)).with_timezone(&app.config.timezone);
        assert_eq!(date, expected.date_naive().to_string(), "{name}");
        app.stop();
    }
}

#[test]
fn a_questionnaire_changed_while_the_device_was_offline_keeps_the_version_answered() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        let (_, device) = kiosk(&app, "bapenda");
        let current = version_of(&device.config(&app), "bapenda");
        // the version the device cached before the unit's questionnaire was revised
        let source = include_str!("../../survey-templates/permenpanrb-14-2017.toml").replacen(
            "version = \"2017.1\"",
            "version = \"2016.9\"",
            1,
        );
        let older = skm::domain::template::parse_template("older", &source).expect("template");
        let older = skm::db::templates::ensure_version(&mut app.conn(), &older).expect("stored version");
        assert_ne!(i64::from(older), current, "{name}: a different version");

        let on_older = response(&v7(), "bapenda", i64::from(older), &minutes_ago(30), 3);
        let on_current = response(&v7(), "bapenda", current, &minutes_ago(2), 4);
        let unknown = response(&v7(), "bapenda", 999_999, &minutes_ago(2), 4);
        let (reply, body) = device.upload(&app, &[on_older.clone(), on_current.clone(), unknown], 3);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(statuses(&body), ["stored", "stored", "rejected"], "{name}");
        assert_eq!(body["results"][2]["problems"][0]["code"], "unknown_template_version", "{name}");
        let version_of_row = |item: &Value| -> i32 {
            responses::table
                .find(item["id"].as_str().expect("id"))
                .select(responses::template_version_id)
                .first(&mut app.conn())
                .expect("stored")
        };
        assert_eq!(version_of_row(&on_older), older, "{name}: stored against the version answered");
        assert_eq!(i64::from(version_of_row(&on_current)), current, "{name}");
        app.stop();
    }
}

#[test]
fn an_enumerators_responses_count_under_their_name_and_channel() {
    for database in backends() {
        let name = database.name;
        // two a minute: the third answer given in one minute is stuffing
        let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 2);
        seed_unit_and_user(&app, "kecamatan", "camat@example.go.id", Role::Admin);
        let cookie = app.login("camat@example.go.id", PASSWORD).expect("login");
        let page = start_enrolment(
            &app,
            &cookie,
            "kecamatan",
            &[("jenis", "enumerator"), ("nama", "HP survei 1"), ("petugas", "Siti Rahmah"), ("unit", "kecamatan")],
        );
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        let device = enrol_with(&app, &code_on(&page.body), new_key());
        let config = device.config(&app);
        assert_eq!((config["kind"].as_str(), config["enumerator"].as_str()), (Some("enumerator"), Some("Siti Rahmah")));
        let version = version_of(&config, "kecamatan");
        let minute = skm::domain::device::minute_of(chrono::Utc::now() - chrono::Duration::hours(2));
        let at = |second: i64| (minute + chrono::Duration::seconds(second)).to_rfc3339();
        let batch = [
            response(&v7(), "kecamatan", version, &at(0), 4),
            response(&v7(), "kecamatan", version, &at(1), 3),
            response(&v7(), "kecamatan", version, &at(2), 2),
            response(&v7(), "kecamatan", version, &at(200), 2),
        ];
        let (reply, body) = device.upload(&app, &batch, 4);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(statuses(&body), ["stored", "stored", "rejected", "stored"], "{name}: two a minute");
        assert_eq!(body["results"][2]["problems"][0]["code"], "rate_limited", "{name}");
        let channels: Vec<String> = responses::table.select(responses::channel).load(&mut app.conn()).expect("rows");
        assert!(!channels.is_empty() && channels.iter().all(|c| c == "enumerator"), "{name}: {channels:?}");

        let period = minute.with_timezone(&app.config.timezone).format("%Y-%m").to_string();
        let dashboard = app.get_as(&cookie, &format!("/dasbor/unit/kecamatan?period={period}"));
        assert_eq!(dashboard.status, 200, "{name}");
        assert!(dashboard.body.contains("Petugas survei (wawancara)"), "{name}: the channel is named");
        let per_person = dashboard.body.split("id=\"pencacah\"").nth(1).expect("a table per enumerator");
        assert!(per_person.contains("Siti Rahmah"), "{name}: {per_person}");
        // the report's BAB II lists the channel with its count
        let report = app.get_as(&cookie, &format!("/dasbor/unit/kecamatan/laporan.pdf?period={period}"));
        assert_eq!(report.status, 200, "{name}");
        if let Some(text) = crate::common::pdf_text(&report.bytes, &format!("perangkat-{name}.pdf")) {
            let line = text.lines().find(|l| l.contains("wawancara petugas survei")).unwrap_or_default();
            assert!(line.contains(" 3 "), "{name}: the channel and its 3 responses in BAB II: {line:?}");
        }
        app.stop();
    }
}

#[test]
fn identical_answers_from_one_device_in_a_burst_are_flagged_not_dropped() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn_with(&database, |c| c.burst_threshold = 3);
        let (_, device) = kiosk(&app, "samsat");
        let version = version_of(&device.config(&app), "samsat");
        let batch: Vec<Value> = (0..3).map(|i| response(&v7(), "samsat", version, &minutes_ago(9 - i), 4)).collect();
        let (reply, body) = device.upload(&app, &batch, 3);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(statuses(&body), ["stored"; 3], "{name}");
        let flagged: Vec<bool> =
            body["results"].as_array().expect("results").iter().map(|r| r["flagged"] == true).collect();
        assert_eq!(flagged, [false, false, true], "{name}: the third identical answer set is a burst");
        app.stop();
    }
}
