//! Operating several instances: shared sessions, tokens and limits; forged proxy headers;
//! metrics and request ids; HSTS; graceful shutdown of the real binary.

use crate::common;

use common::{
    agent, backends, filled, hidden, seed_service_unit, seed_unit_and_user, token_of, TestApp, TestDb, PASSWORD,
};
use skm::domain::names::Role;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn fresh_token(app: &TestApp, slug: &str) -> String {
    let (status, page) = app.get(&format!("/s/{slug}"));
    assert_eq!(status, 200, "{page}");
    token_of(&page)
}

/// The limits count per wall-clock minute: start a sequence that must share one window early
/// in a minute.
fn early_in_a_minute() {
    use chrono::Timelike;
    let second = chrono::Utc::now().second();
    if second > 40 {
        std::thread::sleep(Duration::from_secs(u64::from(61 - second)));
    }
}

fn responses(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    skm::db::schema::responses::table.count().get_result(&mut app.conn()).expect("count")
}

#[test]
fn api_bodies_refused_before_the_database_still_count_at_every_instance() {
    for database in backends() {
        let tweak = |c: &mut skm::config::Config| c.rate_limit_per_minute = 2;
        let (a, b) = (TestApp::spawn_with(&database, tweak), TestApp::spawn_with(&database, tweak));
        seed_service_unit(&a, "disdukcapil");
        let name = database.name;
        let path = "/api/v1/units/disdukcapil/responses";
        early_in_a_minute();
        assert_eq!(a.post_raw(path, "application/json", "{").status, 400, "{name}: invalid JSON");
        assert_eq!(a.post_raw(path, "application/json", "[]").status, 422, "{name}: not an object");
        // B's own limiter has seen nothing from this client; the shared count has seen two
        let third = b.post_raw(path, "application/json", "{}");
        assert_eq!(third.status, 429, "{name}: {}", third.body);
        assert!(third.body.contains("rate_limited"), "{name}");
    }
}

#[test]
fn two_instances_share_sessions_form_tokens_and_limits() {
    for database in backends() {
        let tweak = |c: &mut skm::config::Config| c.rate_limit_per_minute = 5;
        let (a, b) = (TestApp::spawn_with(&database, tweak), TestApp::spawn_with(&database, tweak));
        let name = database.name;
        seed_unit_and_user(&a, "disdukcapil", "petugas@example.go.id", Role::Operator);

        // signed in on A, recognised on B
        let cookie = a.login("petugas@example.go.id", PASSWORD).expect("login on A");
        let page = b.get_as(&cookie, "/operator");
        assert_eq!(page.status, 200, "{name}: the session from A works on B");
        assert!(page.body.contains("Unit disdukcapil"), "{name}");

        // a form token issued by A is accepted once by B and refused on replay at either
        early_in_a_minute();
        let fields = filled(&fresh_token(&a, "disdukcapil"));
        assert_eq!(b.post_form("/s/disdukcapil", &fields).status, 303, "{name}: B accepts A's token");
        assert_eq!(a.post_form("/s/disdukcapil", &fields).status, 409, "{name}: replay at A");
        assert_eq!(b.post_form("/s/disdukcapil", &fields).status, 409, "{name}: replay at B");
        assert_eq!(responses(&a), 1, "{name}");

        // the per-client limit (5 a minute) counts posts at both instances together: 3 so far
        assert_eq!(a.post_form("/s/disdukcapil", &filled(&fresh_token(&a, "disdukcapil"))).status, 303);
        assert_eq!(b.post_form("/s/disdukcapil", &filled(&fresh_token(&b, "disdukcapil"))).status, 303);
        let limited = a.post_form("/s/disdukcapil", &filled(&fresh_token(&a, "disdukcapil")));
        assert_eq!(limited.status, 429, "{name}: the sixth post in a minute, third at A");
        assert!(limited.header("retry-after").is_some(), "{name}");
        assert_eq!(b.post_form("/s/disdukcapil", &filled(&fresh_token(&b, "disdukcapil"))).status, 429, "{name}");
        assert_eq!(responses(&a), 3, "{name}");

        // signing out on B ends the session on A too
        let page = a.get_as(&cookie, "/operator");
        let csrf = hidden(&page.body, "csrf");
        let out = b.post_form_as(&cookie, "/keluar", &[("csrf".to_string(), csrf)]);
        assert_eq!(out.status, 303, "{name}: {}", out.body);
        assert_ne!(a.get_as(&cookie, "/operator").status, 200, "{name}: signed out everywhere");
    }
}

fn post_from(app: &TestApp, forwarded_for: &str, fields: &[(String, String)]) -> u16 {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = agent()
        .post(&app.url("/s/disdukcapil"))
        .header("x-forwarded-for", forwarded_for)
        .send_form(pairs)
        .expect("HTTP request");
    reply.status().as_u16()
}

#[test]
fn a_forged_forwarded_for_header_does_not_dodge_the_limit() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 2);
    seed_service_unit(&app, "disdukcapil");
    early_in_a_minute();
    let bad = filled("not-a-token");
    let statuses: Vec<u16> =
        ["198.51.100.1", "198.51.100.2", "198.51.100.3"].iter().map(|ip| post_from(&app, ip, &bad)).collect();
    assert_eq!(statuses, [422, 422, 429], "the header from a client that is not a proxy is ignored");

    // the same requests through a trusted proxy are three clients
    let database = TestDb::sqlite();
    let app = TestApp::spawn_with(&database, |c| {
        c.rate_limit_per_minute = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    });
    seed_service_unit(&app, "disdukcapil");
    let statuses: Vec<u16> =
        ["198.51.100.1", "198.51.100.2", "198.51.100.3"].iter().map(|ip| post_from(&app, ip, &bad)).collect();
    assert_eq!(statuses, [422, 422, 422]);
    assert_eq!(post_from(&app, "198.51.100.1", &bad), 422);
    assert_eq!(post_from(&app, "198.51.100.1", &bad), 429, "third from one client behind the proxy");
}

#[test]
fn metrics_need_the_token_and_count_requests_submissions_pool_and_mail() {
    let database = TestDb::sqlite();
    let off = TestApp::spawn(&database);
    assert_eq!(off.get("/metrics").0, 404, "no token configured: no metrics endpoint");
    drop(off);

    let app = TestApp::spawn_with(&database, |c| c.metrics_token = "rahasia-metrik".to_string().into());
    seed_service_unit(&app, "disdukcapil");
    let form = app.get_with("/s/disdukcapil", &[("x-request-id", "forged-by-client")]);
    let id = form.header("x-request-id").expect("every response carries a request id").to_string();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "a fresh id, not the client's: {id}");
    assert_eq!(app.post_form("/s/disdukcapil", &filled(&token_of(&form.body))).status, 303);
    assert_eq!(app.get("/tidak-ada").0, 404);

    assert_eq!(app.get("/metrics").0, 401);
    let refused = app.get_with("/metrics", &[("authorization", "Bearer salah")]);
    assert_eq!(refused.status, 401);
    // the one error body, as the API's (RFC 9457), saying what to send
    let body: serde_json::Value = serde_json::from_str(&refused.body).expect("a problem body");
    assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("unauthorized"), Some(401)), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("bearer")), "{body}");
    let metrics = app.get_with(
        "/metrics",
        &[("authorization", "Bearer rahasia-metrik"), ("accept", "application/openmetrics-text; version=1.0.0")],
    );
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").is_some_and(|t| t.contains("openmetrics-text")));
    let text = metrics.body;
    for expected in [
        "skm_http_requests_total{method=\"GET\",route=\"/s/{slug}\",status=\"200\"} 1",
        "skm_http_requests_total{method=\"POST\",route=\"/s/{slug}\",status=\"303\"} 1",
        "skm_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "skm_http_request_duration_seconds_count{route=\"/s/{slug}\"} 2",
        "skm_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/s/{slug}\"} 2",
        "skm_submissions_total{channel=\"web\"} 1",
        "skm_email_messages{status=\"pending\"} 0",
        "skm_email_messages{status=\"failed\"} 0",
        "# EOF",
    ] {
        assert!(text.contains(expected), "metrics lack {expected}:\n{text}");
    }
    // the pool's size as opened: on SQLite with room for a whole group commit
    let max = format!("skm_db_pool_connections{{state=\"max\"}} {}", app.config.pool_connections());
    assert!(text.contains(&max), "metrics lack {max}:\n{text}");
}

/// What Prometheus 2 sends with a scrape: OpenMetrics preferred, the text format accepted.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The metric families skm exports, by the name the parsers give them, with their types.
const FAMILIES: [(&str, &str); 10] = [
    ("skm_db_pool_connections", "gauge"),
    ("skm_db_replica_pool_connections", "gauge"),
    ("skm_device_refused_requests", "counter"),
    ("skm_email_messages", "gauge"),
    ("skm_gateway_attempts", "counter"),
    ("skm_gateway_deliveries", "counter"),
    ("skm_gateway_queue", "gauge"),
    ("skm_http_request_duration_seconds", "histogram"),
    ("skm_http_requests", "counter"),
    ("skm_submissions", "counter"),
];

/// Whether Python can import `module`; as `tool_available`, a missing module fails the test
/// under `SKM_TEST_REQUIRE_TOOLS=1` and skips it otherwise.
fn python_module(module: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("SKM_TEST_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            panic!("the Python module {module} is required (SKM_TEST_REQUIRE_TOOLS=1) but not installed");
        }
        eprintln!(
            "SKIPPED: the Python module {module} is not installed (CI installs it: pip install prometheus-client)"
        );
    }
    found
}

/// Each `# TYPE` line's family has a `# HELP` line, and each sample belongs to a family
/// announced before it by its name (0.0.4) or its name less a suffix (OpenMetrics).
fn assert_every_family_is_described(text: &str, suffixes: &[&str], what: &str) {
    let mut typed = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap_or_default();
            assert!(text.contains(&format!("# HELP {name} ")), "{what}: {name} has no HELP:\n{text}");
            typed.push(name.to_string());
        } else if !line.starts_with('#') && !line.is_empty() {
            let sample = line.split(['{', ' ']).next().unwrap_or_default();
            let family = std::iter::once("")
                .chain(suffixes.iter().copied())
                .filter_map(|suffix| sample.strip_suffix(suffix))
                .find(|name| typed.iter().any(|t| t == name));
            assert!(family.is_some(), "{what}: the sample {sample} has no TYPE line of its own:\n{text}");
        }
    }
    assert_eq!(typed.len(), FAMILIES.len(), "{what}: {typed:?}");
}

#[test]
fn metrics_answer_openmetrics_or_the_text_format_as_asked_and_real_parsers_read_both() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn_with(&database, |c| c.metrics_token = "rahasia-metrik".to_string().into());
        seed_service_unit(&app, "disdukcapil");
        let form = app.get("/s/disdukcapil").1;
        assert_eq!(app.post_form("/s/disdukcapil", &filled(&token_of(&form))).status, 303, "{name}");
        assert_eq!(app.get("/tidak-ada").0, 404);
        let scrape = |accept: Option<&str>| {
            let mut headers = vec![("authorization", "Bearer rahasia-metrik")];
            headers.extend(accept.map(|a| ("accept", a)));
            let reply = app.get_with("/metrics", &headers);
            assert_eq!(reply.status, 200, "{name}: {accept:?}");
            reply
        };

        // curl, promtool and the classic parsers: the text format 0.0.4
        let plain = scrape(None);
        assert_eq!(plain.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"), "{name}");
        assert_eq!(plain.header("vary"), Some("Accept"));
        let explicit = scrape(Some("text/plain;version=0.0.4"));
        assert_eq!(explicit.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
        let text = plain.body;
        for expected in [
            "# HELP skm_http_requests_total HTTP requests by method, route and status.",
            "# TYPE skm_http_requests_total counter",
            "skm_http_requests_total{method=\"POST\",route=\"/s/{slug}\",status=\"303\"} 1",
            "# TYPE skm_http_request_duration_seconds histogram",
            "skm_http_request_duration_seconds_bucket{route=\"/s/{slug}\",le=\"+Inf\"} 2",
            "skm_http_request_duration_seconds_sum{route=\"/s/{slug}\"} ",
            "# TYPE skm_submissions_total counter",
            "skm_submissions_total{channel=\"web\"} 1",
            "# TYPE skm_email_messages gauge",
        ] {
            assert!(text.contains(expected), "{name}: the text format lacks {expected}:\n{text}");
        }
        assert!(!text.contains("# EOF") && !text.contains("# UNIT") && !text.contains("_created"), "{text}");
        assert_every_family_is_described(&text, &["_bucket", "_sum", "_count"], "0.0.4");

        // Prometheus: OpenMetrics
        let open = scrape(Some(PROMETHEUS_ACCEPT));
        assert_eq!(
            open.header("content-type"),
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            "{name}"
        );
        let openmetrics = open.body;
        for expected in [
            "# TYPE skm_http_requests counter",
            "# HELP skm_http_requests HTTP requests by method, route and status.",
            "# UNIT skm_http_request_duration_seconds seconds",
            "skm_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        ] {
            assert!(openmetrics.contains(expected), "{name}: OpenMetrics lacks {expected}:\n{openmetrics}");
        }
        assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
        assert_every_family_is_described(&openmetrics, &["_total", "_bucket", "_sum", "_count"], "OpenMetrics");

        // promtool reads the text format with no complaint
        if common::tool_available("promtool") {
            let mut check = std::process::Command::new("promtool")
                .args(["check", "metrics"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("promtool");
            check.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("scrape to promtool");
            let out = check.wait_with_output().expect("promtool ran");
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success() && said.trim().is_empty(), "{name}: promtool check metrics: {said}\n{text}");
        }

        // Python's parsers, the classic one and the OpenMetrics one, see one family per metric
        if python_module("prometheus_client") {
            let dir = tempfile::tempdir().expect("tmp");
            std::fs::write(dir.path().join("text"), &text).expect("write");
            std::fs::write(dir.path().join("openmetrics"), &openmetrics).expect("write");
            let script = "import json, sys\n\
                from prometheus_client.parser import text_string_to_metric_families as classic\n\
                from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics\n\
                def read(parse, path):\n    return [[f.name, f.type, f.documentation, len(f.samples)] for f in parse(open(path).read())]\n\
                print(json.dumps({'text': read(classic, sys.argv[1]), 'openmetrics': read(openmetrics, sys.argv[2])}))\n";
            let out = std::process::Command::new("python3")
                .args(["-c", script])
                .arg(dir.path().join("text"))
                .arg(dir.path().join("openmetrics"))
                .output()
                .expect("python3");
            assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
            let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            for format in ["text", "openmetrics"] {
                let mut families: Vec<(String, String)> = parsed[format]
                    .as_array()
                    .expect("families")
                    .iter()
                    .map(|f| {
                        let help = f[2].as_str().unwrap_or_default();
                        assert!(!help.is_empty() && f[3].as_u64() > Some(0), "{name} {format}: {f}");
                        (f[0].as_str().unwrap_or_default().to_string(), f[1].as_str().unwrap_or_default().to_string())
                    })
                    .collect();
                families.sort();
                let expected: Vec<(String, String)> =
                    FAMILIES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
                assert_eq!(families, expected, "{name}: {format} as Python's prometheus_client reads it");
            }
        }
    }
}

#[test]
fn hsts_and_secure_cookies_only_when_the_public_address_is_https() {
    let database = TestDb::sqlite();
    let plain = TestApp::spawn(&database);
    assert!(plain.get_with("/masuk", &[]).header("strict-transport-security").is_none());
    drop(plain);
    let app = TestApp::spawn_with(&database, |c| c.base_url = "https://skm.example.go.id".into());
    let page = app.get_with("/masuk", &[]);
    assert_eq!(page.header("strict-transport-security"), Some("max-age=31536000"));
    seed_unit_and_user(&app, "dinsos", "kepala@example.go.id", Role::UnitHead);
    let (_, page) = app.get("/masuk");
    let fields = [
        ("token".to_string(), token_of(&page)),
        ("email".to_string(), "kepala@example.go.id".to_string()),
        ("password".to_string(), PASSWORD.to_string()),
        ("next".to_string(), "/dasbor".to_string()),
    ];
    let reply = app.post_form("/masuk", &fields);
    assert_eq!(reply.status, 303, "{}", reply.body);
    let cookie = reply.header("set-cookie").expect("session cookie");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigterm_lets_a_submission_in_flight_finish_stops_the_monthly_mail_then_exits() {
    let database = TestDb::sqlite();
    let pool = database.pool();
    common::create_service_unit(&mut pool.get().expect("connection"), "disdukcapil");
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let log = dir.path().join("skm.log");
    let child = common::skm(dir.path())
        .env("SKM_DATABASE_URL", &database.url)
        .env("SKM_LISTEN", format!("127.0.0.1:{port}"))
        .env("SKM_LOG_FORMAT", "json")
        .env("SKM_SHUTDOWN_TIMEOUT_SECS", "20")
        // mail on, so the monthly scheduler runs (its first look is 30 s away: it sends nothing)
        .env("SKM_SMTP_HOST", "127.0.0.1")
        .env("SKM_SMTP_SECURITY", "none")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("serve");
    let mut server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let page = loop {
        if let Ok(mut reply) = agent().get(&format!("{base}/s/disdukcapil")).call() {
            if reply.status() == 200 {
                break reply.body_mut().read_to_string().expect("form");
            }
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    };
    let fields = filled(&token_of(&page));
    let body: String = fields.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect::<Vec<_>>().join("&");

    // half a request on the wire, then SIGTERM
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let head = format!(
        "POST /s/disdukcapil HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(first.as_bytes()).expect("write half");
    std::thread::sleep(Duration::from_millis(300));
    let term = std::process::Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().expect("kill");
    assert!(term.success());
    std::thread::sleep(Duration::from_millis(700));
    assert!(server.0.try_wait().expect("status").is_none(), "still finishing the request in flight");

    stream.write_all(rest.as_bytes()).expect("write rest");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read reply");
    assert!(reply.starts_with("HTTP/1.1 303"), "the submission in flight completes: {reply}");
    let request_id =
        reply.lines().find_map(|l| l.strip_prefix("x-request-id: ")).expect("request id header").trim().to_string();

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("status") {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit: {status}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "no longer listening");
    {
        use diesel::prelude::*;
        let stored: i64 =
            skm::db::schema::responses::table.count().get_result(&mut pool.get().expect("conn")).expect("n");
        assert_eq!(stored, 1);
    }

    // JSON logs: one object per line; the request's line carries its id
    let logs = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<serde_json::Value> =
        logs.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let line = lines
        .iter()
        .find(|v| v["span"]["id"] == request_id.as_str() && v["fields"]["method"] == "POST")
        .unwrap_or_else(|| panic!("no log line for request {request_id}:\n{logs}"));
    assert_eq!(line["fields"]["status"], 303);
    assert_eq!(line["fields"]["path"], "/s/disdukcapil");
    let said = |message: &str| lines.iter().position(|v| v["fields"]["message"] == message);
    let (mail_stopped, stopped) = (said("monthly e-mail stopped"), said("skm stopped"));
    assert!(mail_stopped.is_some() && mail_stopped < stopped, "the scheduler is stopped before the exit:\n{logs}");
}

#[test]
fn the_shared_limit_is_not_reset_by_an_instance_whose_clock_is_behind() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let hit = |conn: &mut skm::db::DbConnection, window| skm::db::rate_limits::hit(conn, "submit c1", window);
        assert_eq!(hit(&mut conn, 1_800_000_060).expect("hit"), 1);
        assert_eq!(hit(&mut conn, 1_800_000_060).expect("hit"), 2);
        assert_eq!(hit(&mut conn, 1_800_000_000).expect("hit"), 3, "{}: a late clock counts on", database.name);
        assert_eq!(hit(&mut conn, 1_800_000_120).expect("hit"), 1, "{}: the next window starts anew", database.name);
        assert_eq!(hit(&mut conn, 1_800_000_060).expect("hit"), 2);
        assert_eq!(skm::db::rate_limits::forget_before(&mut conn, 1_800_000_120).expect("forget"), 0);
        assert_eq!(skm::db::rate_limits::forget_before(&mut conn, 1_800_000_180).expect("forget"), 1);
    }
}
