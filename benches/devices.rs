//! Enrolled devices benchmark (issue 20): how fast the server takes what offline devices
//! collected. Signed uploads of 100 responses each, from one device and from several at once
//! (a regency's kiosks coming back online together), then the same batches again (a lost reply:
//! every response answered `duplicate`). Figures only: the machine may be shared.
//!
//!     cargo bench --bench devices
//!     SKM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench devices
//!
//! Knobs: SKM_BENCH_DEVICES (8), SKM_BENCH_BATCHES (10 per device), SKM_BENCH_ONLY=sqlite|postgres.

#[path = "../tests/it/common/mod.rs"]
mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{TestApp, TestDb};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;
use std::time::{Duration, Instant};

const SLUG: &str = "disdukcapil";
const BATCH: usize = 100;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|n| *n > 0).unwrap_or(default)
}

struct Device {
    id: String,
    key: EcdsaKeyPair,
}

/// A kiosk enrolled as its app would: the operator's code and a key made for it.
fn enrol(app: &TestApp, unit_id: i32, n: usize) -> Device {
    let request = skm::devices::NewDeviceRequest {
        kind: skm::domain::device::Kind::Kiosk,
        label: format!("Kios {n}"),
        person: None,
        counter: None,
        unit_ids: vec![unit_id],
    };
    let user = skm::db::users::list_with_units(&mut app.conn()).expect("users")[0].0.id;
    let started = skm::devices::start_enrolment(&mut app.conn(), &request, user, chrono::Utc::now())
        .expect("stored")
        .expect("valid");
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key");
    let body = json!({"code": started.code.as_str(), "public_key": URL_SAFE_NO_PAD.encode(key.public_key().as_ref())});
    let reply = common::agent()
        .post(&app.url("/api/v1/devices/enrol"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .expect("enrol");
    assert_eq!(reply.status().as_u16(), 201);
    Device { id: started.device.public_id, key }
}

/// The device's batches: `count` of 100 responses answered over the last hours.
fn batches(version: i64, count: usize, seed: usize) -> Vec<String> {
    (0..count)
        .map(|b| {
            let items: Vec<_> = (0..BATCH)
                .map(|i| {
                    let at = chrono::Utc::now() - chrono::Duration::seconds(((b * BATCH + i) * 37 % 20_000) as i64);
                    let answers: serde_json::Map<_, _> =
                        (1..=9).map(|u| (format!("U{u}"), json!(1 + (seed + b + i + u) % 4))).collect();
                    json!({"id": uuid::Uuid::now_v7().to_string(), "unit": SLUG, "template_version": version,
                        "answered_at": at.to_rfc3339(), "layanan": "ktp-el", "answers": answers,
                        "profile": {"usia": 18 + i % 60}, "saran": null})
                })
                .collect();
            json!({"pending": BATCH, "responses": items}).to_string()
        })
        .collect()
}

fn upload(app: &TestApp, agent: &ureq::Agent, device: &Device, body: &str) -> String {
    let signature = device.key.sign(&SystemRandom::new(), body.as_bytes()).expect("sign");
    let mut reply = agent
        .post(&app.url("/api/v1/devices/responses"))
        .header("content-type", "application/json")
        .header("X-SKM-Device", &device.id)
        .header("X-SKM-Signature", &URL_SAFE_NO_PAD.encode(signature.as_ref()))
        .send(body)
        .expect("upload");
    assert_eq!(reply.status().as_u16(), 200);
    reply.body_mut().read_to_string().expect("body")
}

/// Every device uploads its batches on its own thread; the responses/s and each batch's latency.
fn round(app: &TestApp, work: &[(Device, Vec<String>)], expect: &str) -> (f64, Vec<Duration>) {
    let start = Instant::now();
    let latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = work
            .iter()
            .map(|(device, bodies)| {
                s.spawn(move || {
                    let agent = common::agent();
                    bodies
                        .iter()
                        .map(|body| {
                            let t = Instant::now();
                            let reply = upload(app, &agent, device, body);
                            assert!(reply.contains(expect), "{reply}");
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
    });
    let responses: usize = work.iter().map(|(_, b)| b.len() * BATCH).sum();
    (responses as f64 / start.elapsed().as_secs_f64(), latencies)
}

fn ms(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1000.0;
    format!("batch p50 {:.0} ms, p95 {:.0} ms", at(0.5), at(0.95))
}

fn run(database: TestDb) {
    let name = database.name;
    let devices = env_number("SKM_BENCH_DEVICES", 8);
    let per_device = env_number("SKM_BENCH_BATCHES", 10);
    let app = TestApp::spawn_with(&database, |c| {
        c.rate_limit_per_minute = 1_000_000;
        c.burst_threshold = 0;
    });
    let unit_id = common::seed_unit_and_user(&app, SLUG, "operator@bench.go.id", skm::domain::names::Role::Operator);
    let version = i64::from(skm::db::templates::version_ids(&mut app.conn(), "permenpanrb-14-2017").expect("v")[0]);

    let one = vec![(enrol(&app, unit_id, 0), batches(version, per_device, 0))];
    let (rate, latency) = round(&app, &one, "\"stored\":100");
    println!("[{name}] one device, {per_device} batches of {BATCH}: {rate:.0} responses/s ({})", ms(latency));
    let many: Vec<_> = (1..=devices).map(|n| (enrol(&app, unit_id, n), batches(version, per_device, n))).collect();
    let (rate, latency) = round(&app, &many, "\"stored\":100");
    println!("[{name}] {devices} devices at once: {rate:.0} responses/s ({})", ms(latency));
    let (rate, latency) = round(&app, &many, "\"duplicates\":100");
    println!("[{name}] the same batches again (all duplicate): {rate:.0} responses/s ({})", ms(latency));
    app.stop();
}

fn main() {
    let only = std::env::var("SKM_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "sqlite" {
        run(TestDb::sqlite());
    }
    if let Ok(url) = std::env::var("SKM_TEST_POSTGRES_URL") {
        if only.is_empty() || only == "postgres" {
            run(TestDb::postgres(&url));
        }
    }
}
