//! A database outage under load: PostgreSQL restarted (`pg_ctl restart -m fast`) while eight
//! clients submit through the citizen's form and the API, then stopped and started again. No
//! request may answer 500; every acknowledged submission is stored exactly once; what failed
//! answered 503 with `Retry-After` (the form with the citizen's answers kept); the service is
//! back by itself within seconds.
//!
//! The test runs its own PostgreSQL cluster (`common::cluster`): the shared one on
//! 127.0.0.1:5432 serves other tests and must never be restarted.

use crate::common;

use common::cluster::Cluster;
use common::{agent, filled, seed_service_unit, token_of, Reply, TestApp, TestDb};
use diesel::prelude::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SLUG: &str = "disdukcapil";
/// The Indonesian and English sentence of a form shown again during an outage.
const RETRY_ID: &str = "coba kirim lagi";
const RETRY_EN: &str = "try sending again";

/// What the clients saw, beyond plain successes.
#[derive(Default)]
struct Tally {
    /// the `saran` markers of submissions answered 303 to the thank-you page or 201
    acknowledged: Vec<String>,
    /// submissions sent again after a 503 and answered "already sent": stored once, not twice
    replayed: Vec<String>,
    unavailable: usize,
    /// anything a client should never see (500s first among them)
    wrong: Vec<String>,
}

fn form_post(app: &TestApp, fields: &[(String, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let request = agent().post(&app.url(&format!("/s/{SLUG}"))).header("accept", "text/html,*/*;q=0.8");
    Reply::from(request.send_form(pairs).expect("HTTP request"))
}

fn api_post(app: &TestApp, body: &Value) -> Reply {
    let request = agent().post(&app.url(&format!("/api/v1/units/{SLUG}/responses")));
    Reply::from(request.header("content-type", "application/json").send(body.to_string()).expect("HTTP request"))
}

/// What a 503 must carry besides `Retry-After`.
enum Expect<'a> {
    /// an error page for the browser
    Page,
    /// the form again with the citizen's answers (the same token, so sending again cannot store
    /// twice) and the message in the citizen's language
    KeptForm(&'a [(String, String)], &'a str),
    /// the API's JSON body
    Json,
}

/// A 503 as the clients must see it.
fn check_unavailable(reply: &Reply, what: &str, expect: Expect) -> Result<(), String> {
    let retry = reply.header("retry-after").and_then(|v| v.parse::<u64>().ok());
    if !retry.is_some_and(|s| (1..=60).contains(&s)) {
        return Err(format!("{what}: 503 without a Retry-After in seconds: {:?}", reply.headers));
    }
    match expect {
        Expect::Page => Ok(()),
        Expect::KeptForm(fields, message) => {
            let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            let kept = reply.body.contains(&get("saran"))
                && reply.body.contains(r#"name="U1" value="3" checked"#)
                && reply.body.contains(message)
                && reply.body.contains("name=\"token\"")
                && token_of(&reply.body) == get("token");
            if kept {
                Ok(())
            } else {
                Err(format!("{what}: the 503 form lost the answers or the message: {}", reply.body))
            }
        }
        Expect::Json => {
            let json = reply.header("content-type").is_some_and(|t| t.contains("json"));
            if json && serde_json::from_str::<Value>(&reply.body).is_ok() {
                Ok(())
            } else {
                Err(format!("{what}: the API's 503 is not a JSON body: {}", reply.body))
            }
        }
    }
}

/// A fetch that may meet the outage: true when it answered 200; a 503 is counted and checked
/// (then a pause), anything else is recorded as wrong.
fn fetched(reply: &Reply, what: &str, expect: Expect, tally: &Mutex<Tally>) -> bool {
    match reply.status {
        200 => return true,
        503 => {
            let mut t = tally.lock().expect("tally");
            t.unavailable += 1;
            if let Err(e) = check_unavailable(reply, what, expect) {
                t.wrong.push(e);
            }
            drop(t);
            std::thread::sleep(Duration::from_millis(200));
        }
        status => tally.lock().expect("tally").wrong.push(format!("{what}: {status}: {}", reply.body)),
    }
    false
}

/// Sends one response until it is acknowledged (`stored` says which reply is), or answered
/// "already sent" after a 503 (the first attempt did commit), for at most 30 s; every 503 is
/// counted and checked against `expect`.
fn send_until_stored<'a>(
    marker: String,
    what: &str,
    send: impl Fn() -> Reply,
    stored: impl Fn(&Reply) -> bool,
    expect: impl Fn() -> Expect<'a>,
    tally: &Mutex<Tally>,
) {
    let mut failed_before = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = send();
        let mut t = tally.lock().expect("tally");
        match reply.status {
            _ if stored(&reply) => {
                t.acknowledged.push(marker);
                return;
            }
            409 if failed_before => {
                t.replayed.push(marker);
                return;
            }
            503 => {
                t.unavailable += 1;
                failed_before = true;
                if let Err(e) = check_unavailable(&reply, what, expect()) {
                    t.wrong.push(e);
                    return;
                }
            }
            status => {
                t.wrong.push(format!("{what}: {status}: {}", reply.body));
                return;
            }
        }
        drop(t);
        if Instant::now() > deadline {
            tally.lock().expect("tally").wrong.push(format!("{marker}: still not stored after 30 s"));
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One citizen after another: open the form, send it; on 503 send the kept form again until it
/// is acknowledged (or answered "already sent").
fn form_client(app: &TestApp, id: usize, lang: &str, stop: &AtomicBool, tally: &Mutex<Tally>) {
    let message = if lang == "en" { RETRY_EN } else { RETRY_ID };
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let marker = format!("outage form {id}-{n}");
        let page = app.get_with(&format!("/s/{SLUG}?lang={lang}"), &[("accept", "text/html")]);
        if !fetched(&page, "GET form", Expect::Page, tally) {
            continue;
        }
        let mut fields = filled(&token_of(&page.body));
        for (name, value) in &mut fields {
            match name.as_str() {
                "saran" => *value = marker.clone(),
                "lang" => *value = lang.to_string(),
                _ => {}
            }
        }
        let thanks = |reply: &Reply| {
            reply.status == 303 && reply.header("location").is_some_and(|l| l.contains("/terima-kasih"))
        };
        let send = || form_post(app, &fields);
        send_until_stored(marker, "POST form", send, thanks, || Expect::KeptForm(&fields, message), tally);
    }
}

/// A kiosk app on the API: fetch a token, post the response, on 503 post it again.
fn api_client(app: &TestApp, id: usize, stop: &AtomicBool, tally: &Mutex<Tally>) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let marker = format!("outage api {id}-{n}");
        let form = app.get_with(&format!("/api/v1/units/{SLUG}/form"), &[]);
        if !fetched(&form, "GET api form", Expect::Json, tally) {
            continue;
        }
        let token =
            serde_json::from_str::<Value>(&form.body).expect("form json")["token"].as_str().expect("token").to_string();
        let body = json!({
            "token": token,
            "layanan": "ktp-el",
            "answers": {"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 2, "U9": 3},
            "profile": {"jenis_kelamin": "L", "usia": 41},
            "saran": marker,
        });
        let created = |reply: &Reply| reply.status == 201;
        send_until_stored(marker, "POST api", || api_post(app, &body), created, || Expect::Json, tally);
    }
}

/// Every stored `saran`, to count the markers.
fn stored_markers(app: &TestApp) -> Vec<String> {
    use skm::db::schema::responses;
    let mut conn = app.conn();
    let saran: Vec<Option<String>> = responses::table.select(responses::saran).load(&mut *conn).expect("responses");
    saran.into_iter().flatten().filter(|s| s.starts_with("outage ")).collect()
}

fn assert_each_stored_once(app: &TestApp, acknowledged: &[String]) {
    let stored = stored_markers(app);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for marker in &stored {
        *counts.entry(marker.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let lost: Vec<_> = acknowledged.iter().filter(|m| !counts.contains_key(m.as_str())).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}

/// Polls `check` until it holds; returns how long that took.
fn back_within(limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "the service did not come back within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

#[test]
fn a_postgres_restart_under_load_loses_nothing_and_answers_503_not_500() {
    let Some(cluster) = Cluster::create() else { return };
    let database = TestDb::postgres(&cluster.url());
    let app = TestApp::spawn_with(&database, |config| {
        // eight clients on one address: no rate limit or burst flag in the way
        config.rate_limit_per_minute = 1_000_000;
        config.burst_threshold = 0;
        config.pool_size = 6;
        config.pool_timeout_ms = 1_000;
    });
    seed_service_unit(&app, SLUG);
    let app = Arc::new(app);

    // Eight clients for a few seconds, the database restarted twice under them.
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let clients: Vec<_> = (0..8)
        .map(|id| {
            let (app, stop, tally) = (app.clone(), stop.clone(), tally.clone());
            std::thread::spawn(move || match id % 4 {
                0 => form_client(&app, id, "id", &stop, &tally),
                1 => form_client(&app, id, "en", &stop, &tally),
                _ => api_client(&app, id, &stop, &tally),
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    cluster.restart();
    std::thread::sleep(Duration::from_millis(1500));
    cluster.restart();
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }
    let tally = std::mem::take(&mut *tally.lock().expect("tally"));
    assert!(
        tally.wrong.is_empty(),
        "{} wrong answers, e.g.: {:#?}",
        tally.wrong.len(),
        &tally.wrong[..3.min(tally.wrong.len())]
    );
    assert!(tally.acknowledged.len() >= 20, "too few submissions to mean anything: {}", tally.acknowledged.len());
    assert_each_stored_once(&app, &tally.acknowledged);
    eprintln!(
        "restart under load: {} acknowledged, {} answered 503 (then sent again), {} already stored when sent again",
        tally.acknowledged.len(),
        tally.unavailable,
        tally.replayed.len()
    );

    // The database away: readiness, the form (each language) and the API say 503.
    let token_of_form = |lang: &str| token_of(&app.get_with(&format!("/s/{SLUG}?lang={lang}"), &[]).body);
    let mut fields_id = filled(&token_of_form("id"));
    let mut fields_en = filled(&token_of_form("en"));
    for (fields, lang) in [(&mut fields_id, "id"), (&mut fields_en, "en")] {
        for (name, value) in fields.iter_mut() {
            match name.as_str() {
                "saran" => *value = format!("outage down {lang}"),
                "lang" => *value = lang.to_string(),
                _ => {}
            }
        }
    }
    let api_token = serde_json::from_str::<Value>(&app.get(&format!("/api/v1/units/{SLUG}/form")).1).expect("json")
        ["token"]
        .as_str()
        .expect("token")
        .to_string();
    let api_body = json!({
        "token": api_token,
        "layanan": "ktp-el",
        "answers": {"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 2, "U9": 3},
        "saran": "outage down api",
    });

    // A second instance on the same database that never showed the form: it cannot draw the
    // form without the database, so the answers come back as a page that sends them again.
    let other = TestApp::spawn_with(&database, |config| {
        config.rate_limit_per_minute = 1_000_000;
        config.pool_timeout_ms = 1_000;
    });
    let mut fields_other = filled(&token_of_form("id"));
    for (name, value) in fields_other.iter_mut() {
        if name == "saran" {
            *value = "outage down other".into();
        }
    }

    cluster.stop();
    let reply = form_post(&other, &fields_other);
    assert_eq!(reply.status, 503, "{}", reply.body);
    check_unavailable(&reply, "the form on another instance", Expect::Page).unwrap_or_else(|e| panic!("{e}"));
    for kept in [r#"name="saran" value="outage down other""#, r#"name="U1" value="3""#, RETRY_ID, "<button"] {
        assert!(reply.body.contains(kept), "{kept} missing: {}", reply.body);
    }
    assert_eq!(token_of(&reply.body), fields_other[0].1, "the same token goes back");
    let (status, body) = app.get("/readyz");
    assert_eq!(status, 503, "readyz while the database is stopped: {body}");
    for (fields, message) in [(&fields_id, RETRY_ID), (&fields_en, RETRY_EN)] {
        let reply = form_post(&app, fields);
        assert_eq!(reply.status, 503, "the form posted while the database is stopped: {}", reply.body);
        check_unavailable(&reply, "the form, database stopped", Expect::KeptForm(fields, message))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let reply = api_post(&app, &api_body);
    assert_eq!(reply.status, 503, "the API while the database is stopped: {}", reply.body);
    check_unavailable(&reply, "the API, database stopped", Expect::Json).unwrap_or_else(|e| panic!("{e}"));
    let page = app.get_with(&format!("/s/{SLUG}"), &[("accept", "text/html")]);
    assert_eq!(page.status, 503, "the form page while the database is stopped: {}", page.body);
    check_unavailable(&page, "the form page, database stopped", Expect::Page).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.get("/healthz").0, 200, "the process itself stays alive");

    // Back: readiness and the kept answers go through within seconds, by themselves.
    cluster.start();
    let took = back_within(Duration::from_secs(10), || app.get("/readyz").0 == 200);
    eprintln!("ready again {took:?} after the database started");
    let mut sent = Vec::new();
    for fields in [&fields_id, &fields_en] {
        let mut status = 0;
        back_within(Duration::from_secs(10), || {
            status = form_post(&app, fields).status;
            status != 503
        });
        assert_eq!(status, 303, "the kept form sent again");
        sent.push(fields.iter().find(|(k, _)| k == "saran").expect("saran").1.clone());
        assert_eq!(form_post(&app, fields).status, 409, "the same form sent once more is not stored twice");
    }
    assert_eq!(form_post(&other, &fields_other).status, 303, "the other instance's page sent again");
    sent.push("outage down other".into());
    assert_eq!(api_post(&app, &api_body).status, 201, "the API once the database is back");
    sent.push("outage down api".into());
    assert_eq!(api_post(&app, &api_body).status, 409, "the same API token twice");
    sent.extend(tally.acknowledged);
    assert_each_stored_once(&app, &sent);
}

/// SQLite's outage is a lock held past the busy timeout (a backup tool, a long script): the
/// citizen gets the form back with the answers, as for PostgreSQL, not a 500.
#[test]
fn a_sqlite_database_locked_past_the_busy_timeout_answers_503_with_the_form_kept() {
    use diesel::connection::SimpleConnection;
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_service_unit(&app, SLUG);
    let mut fields = filled(&token_of(&app.get(&format!("/s/{SLUG}")).1));
    fields.iter_mut().filter(|(name, _)| name == "saran").for_each(|(_, value)| *value = "outage locked".into());

    let mut holder = diesel::sqlite::SqliteConnection::establish(&database.url).expect("second connection");
    holder.batch_execute("BEGIN EXCLUSIVE").expect("lock the database");
    let reply = form_post(&app, &fields);
    assert_eq!(reply.status, 503, "{}", reply.body);
    check_unavailable(&reply, "the form, SQLite locked", Expect::KeptForm(&fields, RETRY_ID))
        .unwrap_or_else(|e| panic!("{e}"));
    holder.batch_execute("COMMIT").expect("unlock");

    let reply = form_post(&app, &fields);
    assert_eq!(reply.status, 303, "sent again once the lock is gone: {}", reply.body);
    assert_each_stored_once(&app, &["outage locked".to_string()]);
}
