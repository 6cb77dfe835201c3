//! Read replicas (issue 21 point 3): with `read_database_url`, the dashboards, report downloads
//! and public pages read a streaming replica while every write stays on the primary.
//!
//! The test makes its own primary and hot standby (`common::cluster`: initdb, then
//! `pg_basebackup -R` into a second folder started on another port), so it runs the same on a
//! developer's machine and in CI and never touches the shared server on 127.0.0.1:5432.

use crate::common;

use common::cluster::Cluster;
use common::{agent, filled, seed_unit_and_user, skm, token_of, Reply, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};
use skm::domain::names::Role;
use skm::domain::period::{local_date, Period};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SLUG: &str = "disdukcapil";
const ADMIN: &str = "admin@kutaitimurkab.go.id";

/// Polls `check` every 100 ms until it holds; returns how long that took.
fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

/// The unit's stored responses, as one server sees them.
fn responses_on(url: &str) -> i64 {
    use skm::db::schema::responses;
    let mut conn = PgConnection::establish(url).expect("connect");
    responses::table.count().get_result(&mut conn).expect("count")
}

/// Connections to `database` on the server of `url`, but this one.
fn app_connections(url: &str, database: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url).expect("connect");
    diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
        .bind::<diesel::sql_types::Text, _>(database)
        .get_result::<Count>(&mut conn)
        .expect("pg_stat_activity")
        .n
}

/// One citizen after another through the form: open it, send it; the acknowledged count.
fn form_client(app: &TestApp, id: usize, stop: &AtomicBool, wrong: &Mutex<Vec<String>>) -> usize {
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        let page = app.get_with(&format!("/s/{SLUG}"), &[("accept", "text/html")]);
        let mut fields = filled(&token_of(&page.body));
        fields.iter_mut().filter(|(k, _)| k == "saran").for_each(|(_, v)| *v = format!("replika form {id}-{sent}"));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = Reply::from(agent().post(&app.url(&format!("/s/{SLUG}"))).send_form(pairs).expect("HTTP"));
        match reply.status {
            303 => sent += 1,
            status => wrong.lock().expect("wrong").push(format!("POST form: {status}: {}", reply.body)),
        }
    }
    sent
}

/// A kiosk on the API: a token, then the response; the acknowledged count.
fn api_client(app: &TestApp, id: usize, stop: &AtomicBool, wrong: &Mutex<Vec<String>>) -> usize {
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        let form: Value = serde_json::from_str(&app.get(&format!("/api/v1/units/{SLUG}/form")).1).expect("json");
        let body = json!({
            "token": form["token"],
            "layanan": "ktp-el",
            "answers": {"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 2, "U9": 3},
            "saran": format!("replika api {id}-{sent}"),
        });
        let request = agent().post(&app.url(&format!("/api/v1/units/{SLUG}/responses")));
        let reply =
            Reply::from(request.header("content-type", "application/json").send(body.to_string()).expect("HTTP"));
        match reply.status {
            201 => sent += 1,
            status => wrong.lock().expect("wrong").push(format!("POST api: {status}: {}", reply.body)),
        }
    }
    sent
}

fn readyz(app: &TestApp) -> (u16, Value) {
    let (status, body) = app.get("/readyz");
    (status, serde_json::from_str(&body).unwrap_or_else(|_| panic!("readyz JSON: {body}")))
}

#[test]
fn dashboards_reports_and_public_pages_read_the_replica_while_submissions_go_to_the_primary() {
    let Some(primary) = Cluster::create() else { return };
    let replica = primary.replica();
    let database = TestDb::postgres(&primary.url());
    let name = database.url.rsplit_once('/').map(|(_, name)| name.to_string()).expect("database name");
    let replica_url = replica.url_of(&name);

    // The test database, migrated on the primary, reaches the replica by replication alone.
    drop(database.pool());
    let took = within(Duration::from_secs(30), "the migrated database on the replica", || {
        skm::db::Manager::new(&replica_url)
            .connect_now()
            .is_ok_and(|mut conn| skm::db::replica::migrations_current(&mut conn).is_ok_and(|current| current))
    });
    eprintln!("the migrated test database reached the replica in {took:?}");

    let app = TestApp::spawn_with(&database, |config| {
        config.read_database_url = Some(replica_url.clone().into());
        // several clients on one address: no rate limit or burst flag in the way
        config.rate_limit_per_minute = 1_000_000;
        config.burst_threshold = 0;
        config.pool_size = 6;
        // a stopped replica answers 503 after this long
        config.pool_timeout_ms = 2_000;
        config.metrics_token = "token-metrik".to_string().into();
    });
    let unit_id = seed_unit_and_user(&app, SLUG, ADMIN, Role::Admin);
    let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("the admin signs in: {}", r.status));
    let period = Period::month_of(local_date(chrono::Utc::now(), app.config.timezone)).to_string();
    skm::db::publications::publish(&mut app.conn(), unit_id, &period, false, None).expect("published");
    let (status, ready) = readyz(&app);
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["read_replica"]["status"], "ok", "{ready}");
    assert!(ready["read_replica"]["lag_seconds"].is_number(), "a standby reports its lag: {ready}");

    // Submissions on the primary for a few seconds; meanwhile the pages that read the replica.
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let wrong = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..6)
        .map(|id| {
            let (app, stop, wrong) = (app.clone(), stop.clone(), wrong.clone());
            std::thread::spawn(move || {
                if id % 2 == 0 {
                    form_client(&app, id, &stop, &wrong)
                } else {
                    api_client(&app, id, &stop, &wrong)
                }
            })
        })
        .collect();
    let pages = [
        "/dasbor".to_string(),
        format!("/dasbor/unit/{SLUG}?period={period}"),
        format!("/dasbor/unit/{SLUG}/laporan.csv?period={period}"),
        format!("/dasbor/unit/{SLUG}/laporan.xlsx?period={period}"),
        "/publik".to_string(),
        "/publik/layar".to_string(),
    ];
    let started = Instant::now();
    let mut fetched = 0;
    while started.elapsed() < Duration::from_secs(4) {
        for page in &pages {
            let reply = app.get_as(&cookie, page);
            assert_eq!(reply.status, 200, "{page} under load: {}", reply.body);
            fetched += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let sent: usize = clients.into_iter().map(|c| c.join().expect("client")).sum();
    let wrong = std::mem::take(&mut *wrong.lock().expect("wrong"));
    assert!(wrong.is_empty(), "{} failed submissions, e.g. {:?}", wrong.len(), &wrong[..wrong.len().min(3)]);
    assert!(sent >= 20, "too few submissions to mean anything: {sent}");
    let stored = responses_on(&database.url);
    assert_eq!(stored, sent as i64, "every acknowledged submission is on the primary");

    // The replica catches up, and the pages show what it holds.
    let lag = within(Duration::from_secs(30), "the replica catching up", || responses_on(&replica_url) == stored);
    eprintln!("{sent} submissions in 4 s beside {fetched} page reads (all 200); the replica caught up {lag:?} later");
    let unit_page = app.get_as(&cookie, &format!("/dasbor/unit/{SLUG}?period={period}"));
    assert_eq!(unit_page.status, 200);
    assert!(unit_page.body.contains(&format!("<strong>{stored}</strong>")), "{stored} responses on the unit page");
    let searched = app.get_as(&cookie, &format!("/dasbor/unit/{SLUG}?period={period}&q=replika+api+1-0"));
    assert!(searched.body.contains("replika api 1-0"), "a replicated saran is found on the unit page");
    let csv = app.get_as(&cookie, &format!("/dasbor/unit/{SLUG}/laporan.csv?period={period}"));
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count() as i64, stored + 1, "a header and one line per replicated response");
    let public = app.get("/publik");
    assert!(public.0 == 200 && public.1.contains(&format!("Unit {SLUG}")), "the published unit on /publik");
    assert!(app_connections(&replica.url(), &name) > 0, "the app holds connections to the replica");
    let metrics = app.get_with("/metrics", &[("authorization", "Bearer token-metrik")]).body;
    assert!(metrics.contains("skm_db_replica_pool_connections{state=\"max\"} 6"), "{metrics}");

    // The replica stopped: the pages that read it answer 503, readiness says so (and stays
    // ready: submissions need only the primary), and a citizen's submission still goes through.
    replica.stop();
    let page = app.get_as(&cookie, &format!("/dasbor/unit/{SLUG}?period={period}"));
    assert_eq!(page.status, 503, "the unit page without its replica: {}", page.body);
    assert_eq!(app.get("/publik").0, 503, "the public page without its replica");
    let (status, ready) = readyz(&app);
    assert_eq!((status, &ready["read_replica"]["status"]), (200, &json!("unavailable")), "{ready}");
    let mut fields = filled(&token_of(&app.get(&format!("/s/{SLUG}")).1));
    fields.iter_mut().filter(|(k, _)| k == "saran").for_each(|(_, v)| *v = "replika berhenti".into());
    assert_eq!(app.post_form(&format!("/s/{SLUG}"), &fields).status, 303, "a submission without the replica");
    assert_eq!(responses_on(&database.url), stored + 1);
    assert_eq!(app.get_as(&cookie, "/admin").status, 200, "sessions and the admin page read the primary");

    // Back by itself once the replica is, with the submission it missed.
    replica.start();
    let took = within(Duration::from_secs(20), "the unit page after the replica started", || {
        let page = app.get_as(&cookie, &format!("/dasbor/unit/{SLUG}?period={period}"));
        page.status == 200 && page.body.contains(&format!("<strong>{}</strong>", stored + 1))
    });
    eprintln!("the unit page was back {took:?} after the replica started");
    assert_eq!(readyz(&app).1["read_replica"]["status"], "ok");
    drop(app);
}

#[test]
fn a_read_replica_beside_sqlite_not_postgres_or_unreachable_stops_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().expect("tmp");
    for (primary, replica, reason) in [
        ("skm.db", "postgres://postgres@127.0.0.1:5433/skm", "needs a PostgreSQL database_url"),
        ("postgres://postgres@127.0.0.1:1/skm", "replika.db", "must be a postgres:// URL"),
    ] {
        let out = skm(dir.path())
            .env("SKM_DATABASE_URL", primary)
            .env("SKM_READ_DATABASE_URL", replica)
            .arg("serve")
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{replica} beside {primary}: {err}");
        assert!(err.contains("SKM_READ_DATABASE_URL: setting 'read_database_url'") && err.contains(reason), "{err}");
    }
    // a replica that does not answer stops start-up as a primary that does not answer does
    let Ok(admin_url) = std::env::var("SKM_TEST_POSTGRES_URL") else { return };
    let database = TestDb::postgres(&admin_url);
    let out = skm(dir.path())
        .env("SKM_DATABASE_URL", &database.url)
        .env("SKM_READ_DATABASE_URL", "postgres://postgres@127.0.0.1:1/skm")
        .env("SKM_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("read_database_url (the read replica)"), "{err}");
}
