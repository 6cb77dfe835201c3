//! Delivery through the regency's SMS/WhatsApp gateway (issue 19 point 3), against a fake
//! gateway on loopback: the request as configured (method, headers with the secret from the
//! environment, the body filled in and escaped), retries with growing waits, what is final,
//! what is counted in `/metrics`, `skm gateway test`, and that the number is kept nowhere.

use crate::common;

use common::fake_gateway::{unreachable_url, Answer, FakeGateway};
use common::{backends, seed_unit_and_user, skm, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::config::{Config, GatewaySettings};
use skm::domain::names::Role;
use skm::domain::phone::Phone;
use skm::gateway::{Dispatch, Gateway, GatewayCounters, Message};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin@kutaitimurkab.go.id";
const TOKEN: &str = "token-gateway-rahasia";
const METRICS_TOKEN: &str = "rahasia-metrik";
const NUMBER: &str = "0812-3456-7789";
/// what must not be found anywhere the server keeps data
const DIGITS: &str = "81234567789";
const BODY: &str =
    r#"{"target":"{{phone_digits}}","message":"Layanan {{service}} di {{unit}}: {{link}}","e164":"{{phone}}"}"#;

/// The `gateway_*` settings as `skm serve` reads them from the environment, with `extra` ones.
pub(crate) fn settings(url: &str, extra: &[(&str, &str)]) -> GatewaySettings {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("skm.toml");
    std::fs::write(&file, "").expect("write");
    let env: Vec<(String, String)> = [
        ("SKM_GATEWAY_URL", url),
        ("SKM_GATEWAY_HEADERS", "Content-Type: application/json\nAuthorization: Bearer ${SKM_GATEWAY_TOKEN}"),
        ("SKM_GATEWAY_TOKEN", TOKEN),
        ("SKM_GATEWAY_BODY", BODY),
        ("SKM_GATEWAY_RETRY_BASE_MS", "100"),
        ("SKM_GATEWAY_TIMEOUT_SECS", "5"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Config::load(Some(&file), env).expect("gateway settings").gateway.expect("gateway configured")
}

fn message(unit: &str) -> Message {
    Message { link: "https://skm.example.go.id/u/Xy7-kode".into(), unit: unit.into(), service: "Kartu Keluarga".into() }
}

fn phone() -> Phone {
    Phone::parse(NUMBER).expect("valid number")
}

fn wait_until_idle(gateway: &Gateway) {
    let start = Instant::now();
    while gateway.pending() > 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "the gateway still has {} messages", gateway.pending());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn metrics(app: &TestApp) -> String {
    let reply = app.get_with("/metrics", &[("authorization", &format!("Bearer {METRICS_TOKEN}"))]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Every stored byte of the test's database, as text (the SQLite files; each PostgreSQL row).
pub(crate) fn stored_text(database: &TestDb) -> String {
    if database.name == "postgres" {
        #[derive(QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text: String,
        }
        let pg = &mut PgConnection::establish(&database.url).expect("connect");
        let tables: Vec<Text> = diesel::sql_query(
            "SELECT table_name::text AS text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .load(pg)
        .expect("tables");
        tables
            .iter()
            .map(|t| {
                let dump: Vec<Text> = diesel::sql_query(format!(
                    "SELECT coalesce(string_agg(t::text, ' '), '') AS text FROM \"{}\" t",
                    t.text
                ))
                .load(pg)
                .expect("rows");
                dump.into_iter().map(|d| d.text).collect::<String>()
            })
            .collect()
    } else {
        ["", "-wal", "-journal"]
            .iter()
            .filter_map(|suffix| std::fs::read(format!("{}{suffix}", database.url)).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect()
    }
}

#[test]
fn a_message_is_retried_while_the_gateway_fails_then_sent_as_configured_and_counted() {
    for database in backends() {
        let fake = FakeGateway::start();
        fake.then([Answer::status(503), Answer::status(503)]);
        let app = TestApp::spawn_with(&database, |c| {
            c.gateway = Some(settings(&fake.url("/api/send?src=skm"), &[("SKM_GATEWAY_RETRY_BASE_MS", "200")]));
            c.metrics_token = METRICS_TOKEN.to_string().into();
        });
        let before = metrics(&app);
        assert_eq!(sample(&before, "skm_gateway_deliveries_total{outcome=\"sent\"}"), Some(0.0), "{before}");
        assert_eq!(sample(&before, "skm_gateway_attempts_total"), Some(0.0), "{before}");

        let gateway = app.gateway.clone().expect("the app has its gateway");
        let started = Instant::now();
        assert_eq!(gateway.dispatch(phone(), message("Dinas \"Dukcapil\" & KB")), Dispatch::Queued);
        // the three calls take 600 ms at least (two waits of 200 ms, then 400 ms)
        assert!(started.elapsed() < Duration::from_millis(500), "dispatch does not wait for the gateway");
        let requests = fake.wait_for(3, Duration::from_secs(20));
        wait_until_idle(&gateway);

        assert_eq!(requests.len(), 3, "two 503s, then sent: no fourth call");
        for request in &requests {
            assert_eq!((request.method.as_str(), request.target.as_str()), ("POST", "/api/send?src=skm"));
            assert_eq!(
                request.header("authorization"),
                Some(format!("Bearer {TOKEN}").as_str()),
                "secret from the env"
            );
            assert_eq!(request.header("content-type"), Some("application/json"));
            let body: serde_json::Value = serde_json::from_str(&request.body).expect("the body is JSON");
            assert_eq!(
                body,
                serde_json::json!({
                    "target": "6281234567789",
                    "message": "Layanan Kartu Keluarga di Dinas \"Dukcapil\" & KB: https://skm.example.go.id/u/Xy7-kode",
                    "e164": "+6281234567789",
                })
            );
        }
        // base 200 ms: about 200 ms, then about 400 ms (each plus up to a quarter of jitter)
        let first = requests[1].at - requests[0].at;
        let second = requests[2].at - requests[1].at;
        assert!(first >= Duration::from_millis(200), "{first:?}");
        assert!(second >= Duration::from_millis(400) && second > first, "{first:?} then {second:?}");

        let after = metrics(&app);
        assert_eq!(sample(&after, "skm_gateway_attempts_total"), Some(3.0), "{after}");
        assert_eq!(sample(&after, "skm_gateway_deliveries_total{outcome=\"sent\"}"), Some(1.0), "{after}");
        assert_eq!(sample(&after, "skm_gateway_deliveries_total{outcome=\"failed\"}"), Some(0.0), "{after}");
        assert_eq!(sample(&after, "skm_gateway_queue"), Some(0.0), "{after}");

        // a refusal (bad number, bad token) is final: one call, counted failed
        fake.then([Answer::status(400)]);
        gateway.dispatch(phone(), message("Dinas Kesehatan"));
        wait_until_idle(&gateway);
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(fake.requests().len(), 4, "a 400 is not retried (a retry would have come after 200 ms)");
        let after = metrics(&app);
        assert_eq!(sample(&after, "skm_gateway_attempts_total"), Some(4.0), "{after}");
        assert_eq!(sample(&after, "skm_gateway_deliveries_total{outcome=\"failed\"}"), Some(1.0), "{after}");
        assert_eq!(sample(&after, "skm_gateway_deliveries_total{outcome=\"sent\"}"), Some(1.0), "{after}");

        let stored = stored_text(&database);
        assert!(!stored.is_empty(), "the database was read");
        assert!(!stored.contains(DIGITS), "the number is stored somewhere in the database");
        app.stop();
    }
}

#[test]
fn the_admin_page_shows_the_gateway_host_and_method_never_its_secrets() {
    for database in backends() {
        let fake = FakeGateway::start();
        let app = TestApp::spawn_with(&database, |c| {
            c.gateway = Some(settings(&fake.url("/send?key=${GW_KEY}"), &[("GW_KEY", "kunci-di-url")]));
        });
        seed_unit_and_user(&app, "disdukcapil", ADMIN, Role::Admin);
        let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
        let page = app.get_as(&cookie, "/admin").body;
        let shown = format!("<code>http://127.0.0.1:{} (POST)</code>", fake.port);
        assert!(
            page.contains("Gateway SMS/WhatsApp (gateway_url, SKM_GATEWAY_URL)") && page.contains(&shown),
            "{page}"
        );
        for secret in ["kunci-di-url", "/send", TOKEN] {
            assert!(!page.contains(secret), "the admin page shows {secret}");
        }
        app.stop();
    }
    let database = TestDb::sqlite();
    let off = TestApp::spawn(&database);
    seed_unit_and_user(&off, "disdukcapil", ADMIN, Role::Admin);
    let cookie = off.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
    let page = off.get_as(&cookie, "/admin").body;
    assert!(page.contains("tidak diatur: tautan undangan tidak dikirim lewat SMS/WhatsApp"), "{page}");
    assert!(off.gateway.is_none());
}

#[test]
fn an_unreachable_gateway_fails_after_the_last_attempt_and_a_full_queue_drops() {
    let mut settings =
        settings(&unreachable_url(), &[("SKM_GATEWAY_MAX_ATTEMPTS", "3"), ("SKM_GATEWAY_RETRY_BASE_MS", "50")]);
    settings.queue_capacity = 1;
    let counters = GatewayCounters::default();
    let gateway = Gateway::start(settings, counters.clone()).expect("worker");
    assert_eq!(gateway.dispatch(phone(), message("Dinas A")), Dispatch::Queued);
    // the first is still being retried: the queue of one is full
    assert_eq!(gateway.dispatch(phone(), message("Dinas B")), Dispatch::Dropped);
    wait_until_idle(&gateway);
    assert_eq!(counters.attempts(), 3, "gateway_max_attempts");
    assert_eq!((counters.deliveries("failed"), counters.deliveries("dropped"), counters.deliveries("sent")), (1, 1, 0));
    // room again
    assert_eq!(gateway.dispatch(phone(), message("Dinas C")), Dispatch::Queued);
    wait_until_idle(&gateway);
    assert_eq!(counters.deliveries("failed"), 2);
}

#[test]
fn a_busy_gateway_is_left_alone_for_as_long_as_its_retry_after_asks() {
    let fake = FakeGateway::start();
    fake.then([Answer::status(429).header("Retry-After", "1")]);
    let counters = GatewayCounters::default();
    let gateway = Gateway::start(settings(&fake.url("/send"), &[]), counters.clone()).expect("worker");
    gateway.dispatch(phone(), message("Dinas A"));
    let requests = fake.wait_for(2, Duration::from_secs(10));
    wait_until_idle(&gateway);
    let wait = requests[1].at - requests[0].at;
    assert!(wait >= Duration::from_secs(1), "Retry-After: 1, not the 100 ms backoff: {wait:?}");
    assert_eq!((counters.attempts(), counters.deliveries("sent")), (2, 1));
}

#[test]
fn a_get_gateway_gets_the_values_percent_encoded_in_its_url() {
    let fake = FakeGateway::start();
    let url = fake.url("/kirim?key=${GW_KEY}&no={{phone}}&pesan={{unit}}%20{{link}}");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("skm.toml");
    std::fs::write(&file, "").expect("write");
    let env = [("SKM_GATEWAY_URL", url.as_str()), ("SKM_GATEWAY_METHOD", "GET"), ("GW_KEY", "k-1")];
    let config = Config::load(Some(&file), env.map(|(k, v)| (k.to_string(), v.to_string()))).expect("settings");
    let gateway = Gateway::start(config.gateway.expect("on"), GatewayCounters::default()).expect("worker");
    gateway.dispatch(phone(), message("Dinas A&B"));
    let requests = fake.wait_for(1, Duration::from_secs(10));
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].target,
        "/kirim?key=k-1&no=%2B6281234567789&pesan=Dinas%20A%26B%20https%3A%2F%2Fskm.example.go.id%2Fu%2FXy7-kode"
    );
    assert_eq!(requests[0].body, "");
}

#[test]
fn skm_gateway_test_sends_one_message_and_prints_the_answer() {
    let fake = FakeGateway::start();
    let dir = tempfile::tempdir().expect("tmp");
    let run = |url: &str, args: &[&str]| {
        let out = skm(dir.path())
            .env("SKM_DATABASE_URL", dir.path().join("skm.db"))
            .env("SKM_GATEWAY_URL", url)
            .env("SKM_GATEWAY_HEADERS", "Content-Type: application/json\nAuthorization: Bearer ${SKM_GATEWAY_TOKEN}")
            .env("SKM_GATEWAY_TOKEN", TOKEN)
            .env("SKM_LOG", "trace")
            .args(["gateway", "test"])
            .args(args)
            .output()
            .expect("run skm");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), text)
    };

    let (ok, stdout, all) = run(&fake.url("/send"), &["--phone", NUMBER, "--link", "https://skm.example.go.id/u/uji"]);
    assert!(ok, "{all}");
    assert!(
        stdout.contains("sent to +62812****789 via http://127.0.0.1") && stdout.contains("answered 200"),
        "{stdout}"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    let body: serde_json::Value = serde_json::from_str(&requests[0].body).expect("the default body is JSON");
    assert_eq!(body["to"], "+6281234567789");
    assert!(body["message"].as_str().is_some_and(|m| m.ends_with("https://skm.example.go.id/u/uji")), "{body}");
    // the HTTP library's own logs show the URL and the bytes sent: never logged
    assert!(!all.contains("ureq"), "{all}");
    for secret in [DIGITS, TOKEN] {
        assert!(!all.contains(secret), "the output (at log level trace) shows {secret}: {all}");
    }

    // one attempt only, and the gateway's own words
    fake.then([Answer { status: 401, headers: Vec::new(), body: "{\"reason\":\"invalid token\"}".into() }]);
    let (ok, _, all) = run(&fake.url("/send"), &["--phone", NUMBER]);
    assert!(!ok && all.contains("answered 401") && all.contains("invalid token"), "{all}");
    assert_eq!(fake.requests().len(), 2);

    let (ok, _, all) = run(&unreachable_url(), &["--phone", NUMBER]);
    assert!(!ok && all.contains("no answer from the gateway: connection"), "{all}");
    let (ok, _, all) = run(&fake.url("/send"), &["--phone", "021-555-1234"]);
    assert!(!ok && all.contains("--phone: not a mobile number"), "{all}");
    let (ok, _, all) = run("", &["--phone", NUMBER]);
    assert!(!ok && all.contains("no gateway is configured"), "{all}");
    let (ok, _, all) = run(&fake.url("/send?x={{nomor}}"), &["--phone", NUMBER]);
    assert!(!ok && all.contains("gateway_url") && all.contains("unknown placeholder {{nomor}}"), "{all}");
    assert_eq!(fake.requests().len(), 2);
}
