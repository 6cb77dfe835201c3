//! Survey invitations benchmark (issue 19, point 2): invitations made per second through the
//! API, one per request and in batches of 1,000, and the citizen's round trip (GET the form,
//! POST it, 303) through invitation links `/u/{code}` against the plain form `/s/{unit}`, with
//! the same number of concurrent clients. Figures only: the machine may be shared.
//!
//!     cargo bench --bench invitations
//!     SKM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench invitations
//!
//! Knobs: SKM_BENCH_CLIENTS (16), SKM_BENCH_INVITATIONS (2000 single requests),
//! SKM_BENCH_BATCHES (5 batches of 1,000), SKM_BENCH_SUBMISSIONS (1000 per kind),
//! SKM_BENCH_ONLY=sqlite|postgres.

#[path = "../tests/it/common/mod.rs"]
mod common;

use common::{token_of, TestApp, TestDb};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const SLUG: &str = "disdukcapil";
const CODES: [&str; 9] = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"];
const NO_LIMIT: u32 = 1_000_000_000;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|n| *n > 0).unwrap_or(default)
}

fn spawn(database: &TestDb) -> TestApp {
    TestApp::spawn_with(database, |config| {
        config.rate_limit_per_minute = NO_LIMIT;
        config.api_key_rate_per_minute = NO_LIMIT;
        config.burst_threshold = 0;
    })
}

fn api_key(app: &TestApp) -> String {
    let mut conn = app.conn();
    let keys = skm::security::Keys::derive(&skm::db::secrets::master_secret(&mut conn).expect("secret"));
    let new = skm::api_keys::NewKey { unit: SLUG.into(), name: "bench".into(), scopes: "invitations".into() };
    skm::api_keys::create(&mut conn, &keys, None, new, chrono::Utc::now().naive_utc()).expect("key").secret
}

/// Runs `total` jobs on `clients` threads, each with its own keep-alive agent; returns jobs/s.
fn parallel(clients: usize, total: usize, job: impl Fn(&ureq::Agent, usize) + Sync) -> f64 {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let agent = common::agent();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    job(&agent, i);
                }
            });
        }
    });
    total as f64 / start.elapsed().as_secs_f64()
}

fn post_json(agent: &ureq::Agent, url: &str, key: &str, body: String) -> (u16, String) {
    let mut reply = agent
        .post(url)
        .header("authorization", &format!("Bearer {key}"))
        .header("content-type", "application/json")
        .send(body)
        .expect("HTTP");
    (reply.status().as_u16(), reply.body_mut().read_to_string().unwrap_or_default())
}

fn form(token: String, i: usize) -> Vec<(String, String)> {
    let mut fields = vec![
        ("token".to_string(), token),
        ("lang".into(), "id".into()),
        ("layanan".into(), "ktp-el".into()),
        ("usia".into(), (18 + i % 60).to_string()),
    ];
    fields.extend(CODES.iter().enumerate().map(|(n, c)| (c.to_string(), (1 + (i + n) % 4).to_string())));
    fields
}

/// GET `page`, POST its form back to `action`; expects 303.
fn round_trip(agent: &ureq::Agent, page: &str, action: &str, i: usize) {
    let html = agent.get(page).call().expect("GET").body_mut().read_to_string().expect("body");
    let fields = form(token_of(&html), i);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = agent.post(action).send_form(pairs).expect("POST");
    assert_eq!(reply.status(), 303, "{action}");
}

fn run(database: TestDb) {
    let name = database.name;
    let clients = env_number("SKM_BENCH_CLIENTS", 16);
    let singles = env_number("SKM_BENCH_INVITATIONS", 2000);
    let batches = env_number("SKM_BENCH_BATCHES", 5);
    let submissions = env_number("SKM_BENCH_SUBMISSIONS", 1000);
    let app = spawn(&database);
    common::create_service_unit(&mut app.conn(), SLUG);
    let key = api_key(&app);
    let create = app.url(&format!("/api/v1/units/{SLUG}/invitations"));
    let batch = app.url(&format!("/api/v1/units/{SLUG}/invitations:batch"));

    let rate = parallel(clients, singles, |agent, i| {
        let body = json!({"reference": format!("S-{i}"), "service": "ktp-el"}).to_string();
        let (status, text) = post_json(agent, &create, &key, body);
        assert_eq!(status, 201, "{text}");
    });
    println!("[{name}] single requests, {clients} clients: {rate:.0} invitations/s ({singles} made)");
    let again = parallel(clients, singles, |agent, i| {
        let body = json!({"reference": format!("S-{i}"), "service": "ktp-el"}).to_string();
        assert_eq!(post_json(agent, &create, &key, body).0, 200);
    });
    println!("[{name}] the same references again (idempotent, nothing made): {again:.0} requests/s");

    let codes = std::sync::Mutex::new(Vec::new());
    let start = Instant::now();
    for b in 0..batches {
        let items: Vec<_> =
            (0..1000).map(|i| json!({"reference": format!("B-{b}-{i}"), "service": "ktp-el"})).collect();
        let (status, text) = post_json(&common::agent(), &batch, &key, json!({ "items": items }).to_string());
        assert_eq!(status, 200, "{text}");
        let reply: serde_json::Value = serde_json::from_str(&text).expect("json");
        let mut list = codes.lock().expect("codes");
        list.extend(
            reply["items"].as_array().into_iter().flatten().filter_map(|i| i["code"].as_str()).map(String::from),
        );
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "[{name}] batches of 1,000, one at a time: {:.0} invitations/s ({:.0} ms a batch)",
        (batches * 1000) as f64 / elapsed,
        elapsed * 1000.0 / batches as f64
    );

    let codes = codes.into_inner().expect("codes");
    let submissions = submissions.min(codes.len());
    let through_links = parallel(clients, submissions, |agent, i| {
        let link = app.url(&format!("/u/{}", codes[i]));
        round_trip(agent, &link, &link, i);
    });
    let plain = app.url(&format!("/s/{SLUG}"));
    let through_form = parallel(clients, submissions, |agent, i| round_trip(agent, &plain, &plain, i));
    println!(
        "[{name}] submissions (GET form + POST), {clients} clients, {submissions} each: through /u/{{code}} \
         {through_links:.0}/s, through /s/{{unit}} {through_form:.0}/s ({:.0} %)",
        100.0 * through_links / through_form
    );
}

fn main() {
    println!(
        "invitations benchmark: {} CPUs; the machine may be shared, figures vary",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let only = std::env::var("SKM_BENCH_ONLY").unwrap_or_default();
    if only != "postgres" {
        run(TestDb::sqlite());
    }
    match std::env::var("SKM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() && only != "sqlite" => run(TestDb::postgres(&url)),
        _ => {}
    }
}
