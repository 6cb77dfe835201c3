//! Submission load benchmark (issue: submission throughput): N concurrent clients (default 64)
//! each doing the citizen's round trip over HTTP — GET the form for its one-time token, POST a
//! valid form, expect 303 — for a fixed number of submissions (default 5,000); then, on the same
//! machine and backend, the raw limit of the same writes without the application, and the ratio.
//! SQLite always; PostgreSQL when SKM_TEST_POSTGRES_URL is set (raw limit: pgbench).
//!
//!     cargo bench --bench submit
//!     SKM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench submit
//!
//! Knobs: SKM_BENCH_CLIENTS (64), SKM_BENCH_SUBMISSIONS (5000), SKM_BENCH_WORKERS (number of
//! CPUs, as `skm serve`), SKM_BENCH_POOL_SIZE (workers + 4, as `skm serve`),
//! SKM_BENCH_PGBENCH_SECONDS (10), SKM_BENCH_ONE_ADDRESS=1 (every client from one address),
//! SKM_BENCH_LOG=1 (log every request to stderr at `info`, as `skm serve` does; redirect it),
//! SKM_BENCH_ONLY=sqlite|postgres (one backend), SKM_BENCH_RATE (submissions/s offered in the
//! open-loop phase; default an eighth, a quarter and half the closed-loop rate in turn),
//! SKM_BENCH_OPEN_SECONDS (10 per rate), SKM_BENCH_GROUP_COMMIT_MAX and
//! SKM_BENCH_GROUP_COMMIT_WINDOW_US (SQLite's group commit, as `group_commit_max` and
//! `group_commit_window_us`; defaults as `skm serve`; SKM_BENCH_GROUP_COMMIT_MAX=0 turns it off),
//! SKM_BENCH_FORM_CACHE_MS (`form_cache_ms`, default as `skm serve`; 0 reads the form every time),
//! SKM_BENCH_CLIENT_NICE (0: how much lower the client threads' priority is than the server's,
//! as if the citizens' phones did not share its cores; 10 measured no different).
//!
//! Two phases: closed loop (every client sends again as soon as it has its answer: the
//! throughput), then open loop (submissions are due at Poisson-distributed times whatever the
//! replies, as citizens arrive; each POST is timed from its due time), each rate after the
//! database has checkpointed (and, on PostgreSQL, vacuumed) what the phase before left behind.
//! pgbench is run both ways too (`-R` at the highest open-loop rate) for the database's own
//! figures.

#[path = "../tests/it/common/mod.rs"]
mod common;

use common::{token_of, TestApp, TestDb};
use diesel::prelude::*;
use skm::catalog::Catalog;
use skm::db::responses::{Guards, NewResponse, RateGuard};
use skm::db::schema::{answers, responses, used_form_tokens};
use skm::db::statement::{Statement, Value};
use skm::db::{self, Backend, DbConnection};
use skm::db::{rate_limits, totals};
use skm::demo::Rng;
use skm::domain::names::Channel;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SLUG: &str = "disdukcapil";
const SERVICES: [&str; 2] = ["ktp-el", "akta-lahir"];
const CODES: [&str; 9] = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"];
/// Effectively no per-client limit (the default is 20 a minute per address).
const NO_RATE_LIMIT: u32 = 1_000_000_000;

struct Settings {
    clients: usize,
    submissions: usize,
    workers: usize,
    pool_size: u32,
    pgbench_seconds: u32,
    one_address: bool,
    log: bool,
    /// open-loop round trips per second (default: half the closed-loop rate)
    rate: Option<f64>,
    open_seconds: f64,
    /// SQLite group commit (`group_commit_max`, `group_commit_window_us`); `None`: the defaults
    group_commit_max: Option<u32>,
    group_commit_window_us: Option<u32>,
    /// the client threads' nice value (0: the server's priority)
    client_nice: i32,
    /// `form_cache_ms`; `None`: as `skm serve`
    form_cache_ms: Option<u32>,
}

/// A number that may be 0 (`env_number` takes only positive ones).
fn env_count(name: &str) -> Option<u32> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|n| *n > 0)
}

impl Settings {
    fn from_env() -> Settings {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = env_number("SKM_BENCH_WORKERS").unwrap_or(cpus);
        Settings {
            clients: env_number("SKM_BENCH_CLIENTS").unwrap_or(64),
            submissions: env_number("SKM_BENCH_SUBMISSIONS").unwrap_or(5000),
            workers,
            pool_size: env_number("SKM_BENCH_POOL_SIZE").unwrap_or(workers + 4) as u32,
            pgbench_seconds: env_number("SKM_BENCH_PGBENCH_SECONDS").unwrap_or(10) as u32,
            one_address: std::env::var("SKM_BENCH_ONE_ADDRESS").is_ok_and(|v| v == "1"),
            log: std::env::var("SKM_BENCH_LOG").is_ok_and(|v| v == "1"),
            rate: env_number("SKM_BENCH_RATE").map(|n| n as f64),
            open_seconds: env_number("SKM_BENCH_OPEN_SECONDS").unwrap_or(10) as f64,
            group_commit_max: env_count("SKM_BENCH_GROUP_COMMIT_MAX"),
            group_commit_window_us: env_count("SKM_BENCH_GROUP_COMMIT_WINDOW_US"),
            client_nice: env_count("SKM_BENCH_CLIENT_NICE").map_or(0, |n| n.min(19) as i32),
            form_cache_ms: env_count("SKM_BENCH_FORM_CACHE_MS"),
        }
    }
}

/// The real application as `skm serve` builds it (workers and pool from the settings), with the
/// per-client limit raised.
fn spawn(database: &TestDb, settings: &Settings) -> TestApp {
    TestApp::spawn_with(database, |config| {
        // the form cache as `skm serve` has it (the tests turn it off), unless the bench sets it
        config.form_cache_ms = settings.form_cache_ms.unwrap_or(common::serve_defaults().form_cache_ms);
        config.workers = settings.workers;
        config.pool_size = settings.pool_size;
        config.rate_limit_per_minute = NO_RATE_LIMIT;
        if let Some(max) = settings.group_commit_max {
            config.group_commit_max = max;
        }
        if let Some(window) = settings.group_commit_window_us {
            config.group_commit_window_us = window;
        }
        // Each client sends its own X-Forwarded-For from loopback, so the rate limiter and the
        // burst check see 64 citizens, not one address.
        config.trusted_proxies = vec![std::net::Ipv4Addr::LOCALHOST.into()];
    })
}

/// The unit, its two services and the current template version, for the raw inserts.
#[derive(Clone)]
struct Ids {
    unit: i32,
    services: [i32; 2],
    version: i32,
    survey_date: String,
}

fn seed(server: &TestApp) -> Ids {
    let mut conn = server.pool.get().expect("connection");
    let (unit, services) = common::create_service_unit(&mut conn, SLUG);
    let catalog = Catalog::load(None).expect("templates");
    let versions =
        skm::catalog::TemplateRegistry::register(&mut conn, &catalog, skm::domain::template::DEFAULT_TEMPLATE)
            .expect("versions");
    let (version, _) = versions.current(&server.config.default_template).expect("default template");
    let survey_date = skm::domain::period::local_date(chrono::Utc::now(), server.config.timezone).to_string();
    Ids { unit, services, version, survey_date }
}

/// Random scores, so identical answer sets (bursts) are as rare as among real citizens.
fn scores(rng: &mut Rng) -> [i32; 9] {
    std::array::from_fn(|_| 1 + rng.below(4) as i32)
}

fn filled_form(token: String, rng: &mut Rng) -> Vec<(String, String)> {
    let mut fields = vec![
        ("token".to_string(), token),
        ("lang".into(), "id".into()),
        ("website".into(), String::new()),
        ("layanan".into(), rng.pick(&SERVICES).to_string()),
        ("jenis_kelamin".into(), rng.pick(&["L", "P"]).to_string()),
        ("usia".into(), (18 + rng.below(60)).to_string()),
        ("pendidikan".into(), "D4-S1".into()),
        ("pekerjaan".into(), "WIRAUSAHA".into()),
        ("saran".into(), "Ruang tunggu perlu kipas angin".into()),
    ];
    fields.extend(CODES.iter().zip(scores(rng)).map(|(code, score)| (code.to_string(), score.to_string())));
    fields
}

#[derive(Default)]
struct Load {
    stored: usize,
    failures: Vec<String>,
    /// POST to 303: from sending it (closed loop) or from its scheduled time (open loop)
    post: Vec<Duration>,
    /// GET of the form page
    get: Vec<Duration>,
    elapsed: Duration,
}

/// When submissions are sent: as soon as a client is free (closed loop), or at scheduled times
/// whatever the replies (open loop: citizens arrive at their own pace, Poisson arrivals like
/// `pgbench -R`).
#[derive(Clone)]
enum Pace {
    Closed,
    /// each slot's due time, as an offset from the start
    Open(Arc<Vec<Duration>>),
}

impl Pace {
    /// `count` arrivals at `per_second` on average, exponentially distributed gaps.
    fn poisson(count: usize, per_second: f64, seed: u64) -> Pace {
        let mut rng = Rng::new(seed);
        let mut at = 0.0;
        let due = (0..count)
            .map(|_| {
                at += -(1.0 - rng.unit()).ln() / per_second;
                Duration::from_secs_f64(at)
            })
            .collect();
        Pace::Open(Arc::new(due))
    }
}

/// GET the form; its one-time token. The page is read as bytes: ureq's `read_to_string` decodes
/// it through a lossy UTF-8 reader, and the load generator shares the server's cores (closed
/// loop, alternated: 3,285 / 3,751 submissions/s with it, 4,570 / 4,415 without).
fn fetch_token(agent: &ureq::Agent, url: &str, forwarded: &str) -> Result<String, String> {
    match agent.get(url).header("x-forwarded-for", forwarded).call() {
        Ok(mut page) if page.status() == 200 => match page.body_mut().read_to_vec() {
            Ok(html) => std::str::from_utf8(&html).map(token_of).map_err(|e| format!("GET form body: {e}")),
            Err(e) => Err(format!("GET form body: {e}")),
        },
        Ok(page) => Err(format!("GET form: HTTP {}", page.status())),
        Err(e) => Err(format!("GET form: {e}")),
    }
}

/// One client: a keep-alive agent doing GET form → POST → 303 until the shared count runs out.
/// Closed loop: the POST is timed from when it is sent. Open loop: the citizen has the form
/// before their submission is due, and the POST is timed from its scheduled time, so a reply
/// that comes late is also charged to the submissions queued behind it.
fn client(
    base: &str,
    forwarded: &str,
    seed: u64,
    next: &AtomicUsize,
    total: usize,
    start: Instant,
    pace: &Pace,
) -> Load {
    let agent = common::agent();
    let mut rng = Rng::new(seed);
    let mut load = Load::default();
    let form_url = format!("{base}/s/{SLUG}");
    loop {
        let slot = next.fetch_add(1, Ordering::Relaxed);
        if slot >= total {
            break;
        }
        let fetched = Instant::now();
        let token = match fetch_token(&agent, &form_url, forwarded) {
            Ok(token) => token,
            Err(failure) => {
                load.failures.push(failure);
                continue;
            }
        };
        load.get.push(fetched.elapsed());
        let fields = filled_form(token, &mut rng);
        let charged_from = match pace {
            Pace::Closed => Instant::now(),
            Pace::Open(due) => {
                let due = start + due.get(slot).copied().unwrap_or_default();
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                due
            }
        };
        let reply = agent.post(&form_url).header("x-forwarded-for", forwarded).send_form(fields);
        let done = Instant::now();
        match reply {
            Ok(reply) if reply.status() == 303 => {
                load.stored += 1;
                load.post.push(done - charged_from);
            }
            Ok(mut reply) => {
                let body = reply.body_mut().read_to_string().unwrap_or_default();
                load.failures.push(format!(
                    "POST: HTTP {} {}",
                    reply.status(),
                    body.chars().take(200).collect::<String>()
                ));
            }
            Err(e) => load.failures.push(format!("POST: {e}")),
        }
    }
    load
}

fn drive(server: &TestApp, settings: &Settings, total: usize, seed: u64, pace: Pace) -> Load {
    let base = format!("http://{}", server.addr);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..settings.clients)
        .map(|c| {
            let (base, next, pace) = (base.clone(), next.clone(), pace.clone());
            let forwarded =
                if settings.one_address { "10.0.0.1".to_string() } else { format!("10.0.{}.{}", c / 250, c % 250 + 1) };
            let nice = settings.client_nice;
            std::thread::spawn(move || {
                common::lower_thread_priority(nice);
                client(&base, &forwarded, seed + c as u64, &next, total, started, &pace)
            })
        })
        .collect();
    let mut all = Load::default();
    for handle in clients {
        let load = handle.join().expect("client thread");
        all.stored += load.stored;
        all.failures.extend(load.failures);
        all.post.extend(load.post);
        all.get.extend(load.get);
    }
    all.elapsed = started.elapsed();
    all
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (p50, p95, p99) in milliseconds, nearest rank.
fn percentiles(samples: &mut [Duration]) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    samples.sort();
    let at = |p: f64| ms(samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]);
    (at(0.50), at(0.95), at(0.99))
}

/// Lets the database write out what the previous phase left behind before the next starts:
/// the closed loop's burst leaves dirty pages and dead rows that PostgreSQL's checkpointer and
/// autovacuum would otherwise handle in the middle of the next measurement. A server between
/// bursts has done that already.
fn settle(conn: &mut DbConnection, name: &str) {
    use diesel::connection::SimpleConnection;
    #[derive(QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    let t = Instant::now();
    // One at a time: VACUUM cannot run inside the transaction a batch of statements makes.
    // SQLite reports a checkpoint it could not finish in its result row, not as an error.
    let (what, settled) = match conn {
        DbConnection::Postgres(c) => (
            "CHECKPOINT, VACUUM ANALYZE",
            c.batch_execute("CHECKPOINT").and_then(|()| c.batch_execute("VACUUM ANALYZE")).map(|()| true),
        ),
        DbConnection::Sqlite(c) => (
            "PRAGMA wal_checkpoint(TRUNCATE)",
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Checkpoint>(c).map(|r| r.busy == 0),
        ),
    };
    match settled {
        Ok(true) => println!("[{name}]   settled ({what}) in {:.1} s", t.elapsed().as_secs_f64()),
        Ok(false) => println!("[{name}]   not settled ({what}): a reader held the log"),
        Err(e) => println!("[{name}]   could not settle ({what}): {e}"),
    }
}

/// (submissions written, commits) by SQLite's group commit so far; `None` when it is off.
fn group_commits(server: &TestApp) -> Option<(u64, u64)> {
    server.writer.counts().map(|c| (c.written.load(Ordering::Relaxed), c.commits.load(Ordering::Relaxed)))
}

/// How the submissions of a phase were grouped into commits.
fn report_batches(name: &str, server: &TestApp, before: Option<(u64, u64)>) {
    if let (Some((w0, c0)), Some((w1, c1))) = (before, group_commits(server)) {
        let (written, commits) = (w1 - w0, c1 - c0);
        println!(
            "[{name}]   group commit: {written} submissions in {commits} commits ({:.1} per commit)",
            written as f64 / commits.max(1) as f64
        );
    }
}

fn count_responses(server: &TestApp) -> i64 {
    responses::table.count().get_result(&mut server.pool.get().expect("connection")).expect("count")
}

/// One response as the form writes it, for the raw loops.
struct RawResponse {
    id: String,
    nonce: String,
    service: i32,
    scores: [i32; 9],
    client_hash: String,
}

impl RawResponse {
    /// `client`: which of the benchmark's clients sends it (its keyed address hash).
    fn random(rng: &mut Rng, ids: &Ids, client: usize) -> RawResponse {
        RawResponse {
            id: uuid::Uuid::now_v7().to_string(),
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            service: *rng.pick(&ids.services),
            scores: scores(rng),
            client_hash: format!("{client:032x}"),
        }
    }

    fn answer_key(&self) -> String {
        CODES.iter().zip(self.scores).map(|(c, s)| format!("{c}={s}")).collect::<Vec<_>>().join(";")
    }
}

/// What the raw loop writes per response: the minimum, or everything a submission writes.
#[derive(Clone, Copy, PartialEq)]
enum WriteSet {
    /// the response row and its 9 answer rows
    ResponseAndAnswers,
    /// also the rate-limit hit, the spent token nonce, the burst check and the 10 daily-totals
    /// upserts (9 elements + the response)
    Everything,
}

impl WriteSet {
    fn label(self) -> &'static str {
        match self {
            WriteSet::ResponseAndAnswers => "response + 9 answers (11 statements with BEGIN/COMMIT)",
            WriteSet::Everything => {
                "rate-limit hit + nonce + response + 9 answers + burst check + 10 daily and 10 monthly totals upserts"
            }
        }
    }
}

/// SQLite: one writer, diesel with bound parameters on a plain SqliteConnection with the app's
/// pragmas, one transaction per response; every statement prepared once (diesel's statement
/// cache; the upserts as `db::statement` writes them).
fn sqlite_raw(database: &TestDb, ids: &Ids, total: usize, set: WriteSet) -> f64 {
    let DbConnection::Sqlite(mut conn) = db::Manager::new(&database.url).connect_now().expect("connect") else {
        unreachable!("a SQLite URL")
    };
    let mut rng = Rng::new(7);
    let started = Instant::now();
    for _ in 0..total {
        let r = RawResponse::random(&mut rng, ids, 0);
        let now = chrono::Utc::now().naive_utc();
        conn.transaction(|c| {
            if set == WriteSet::Everything {
                let key = format!("submit {}", r.client_hash);
                let mut hit = Statement::new();
                hit.sql(rate_limits::HIT_INSERT)
                    .rows([[Value::Text(&key), Value::BigInt(0), Value::Int(1)]])
                    .sql(rate_limits::HIT_ON_CONFLICT);
                RunQueryDsl::execute(hit, c)?;
                diesel::insert_into(used_form_tokens::table)
                    .values((used_form_tokens::nonce.eq(&r.nonce), used_form_tokens::used_at.eq(now)))
                    .execute(c)?;
            }
            diesel::insert_into(responses::table)
                .values((
                    responses::id.eq(&r.id),
                    responses::unit_id.eq(ids.unit),
                    responses::service_id.eq(Some(r.service)),
                    responses::template_version_id.eq(ids.version),
                    responses::channel.eq("web"),
                    responses::submitted_at.eq(now),
                    responses::survey_date.eq(&ids.survey_date),
                    responses::gender.eq(Some("P")),
                    responses::age.eq(Some(34)),
                    responses::education.eq(Some("D4-S1")),
                    responses::occupation.eq(Some("WIRAUSAHA")),
                    responses::profile_extra.eq(None::<String>),
                    responses::saran.eq(Some("Ruang tunggu perlu kipas angin")),
                    responses::client_hash.eq(Some(&r.client_hash)),
                    responses::score_sum.eq(r.scores.iter().sum::<i32>()),
                    responses::score_count.eq(9),
                    responses::answer_key.eq(r.answer_key()),
                    responses::flagged.eq(false),
                ))
                .execute(c)?;
            for (code, score) in CODES.iter().zip(r.scores) {
                diesel::insert_into(answers::table)
                    .values((answers::response_id.eq(&r.id), answers::element_code.eq(code), answers::score.eq(score)))
                    .execute(c)?;
            }
            if set == WriteSet::Everything {
                let _same: i64 = responses::table
                    .filter(responses::unit_id.eq(ids.unit))
                    .filter(responses::client_hash.eq(&r.client_hash))
                    .filter(responses::answer_key.eq(r.answer_key()))
                    .filter(responses::submitted_at.ge(now - chrono::Duration::minutes(10)))
                    .count()
                    .get_result(c)?;
                // Prepared once, as the application's statements are (`db::statement`), but one
                // row per statement: the application writes each table's rows in one.
                let (unit, date, version, service) = (
                    Value::Int(ids.unit),
                    Value::Text(&ids.survey_date),
                    Value::Int(ids.version),
                    Value::Int(r.service),
                );
                let month = Value::Text(&ids.survey_date[..7]);
                let mean = f64::from(r.scores.iter().sum::<i32>()) / 9.0;
                let tables = [
                    (date, totals::ELEMENTS_INSERT, totals::ELEMENTS_ON_CONFLICT),
                    (month, totals::MONTH_ELEMENTS_INSERT, totals::MONTH_ELEMENTS_ON_CONFLICT),
                ];
                for (when, insert, on_conflict) in tables {
                    for (code, score) in CODES.iter().zip(r.scores) {
                        let mut upsert = Statement::new();
                        upsert
                            .sql(insert)
                            .rows([[unit, when, version, service, Value::Text(code), Value::Int(score), Value::Int(1)]])
                            .sql(on_conflict);
                        RunQueryDsl::execute(upsert, c)?;
                    }
                }
                let tables = [
                    (date, totals::RESPONSES_INSERT, totals::RESPONSES_ON_CONFLICT),
                    (month, totals::MONTH_RESPONSES_INSERT, totals::MONTH_RESPONSES_ON_CONFLICT),
                ];
                for (when, insert, on_conflict) in tables {
                    let mut upsert = Statement::new();
                    upsert
                        .sql(insert)
                        .rows([[
                            unit,
                            when,
                            version,
                            service,
                            Value::Int(1),
                            Value::Double(mean),
                            Value::Double(mean * mean),
                        ]])
                        .sql(on_conflict);
                    RunQueryDsl::execute(upsert, c)?;
                }
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("raw insert");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// What a raw run measured: transactions/s and (p50, p95, p99) latency in ms.
struct Raw {
    tps: f64,
    latency: Option<(f64, f64, f64)>,
}

/// PostgreSQL: pgbench with a custom script (prepared statements), `clients` connections, as
/// fast as it can or at `rate` transactions/s (`-R`); every transaction's latency is logged
/// (`-l`) for the percentiles, counted from its scheduled start under `-R`, like ours.
fn pgbench_raw(
    database: &TestDb,
    ids: &Ids,
    settings: &Settings,
    clients: usize,
    set: WriteSet,
    rate: Option<f64>,
) -> Option<Raw> {
    let id = "'pgb-' || :client_id || '-' || :rid";
    let mut script = String::from("\\set rid random(1, 9000000000000000000)\n\\set pick random(0, 1)\n");
    script.push_str("\\set svc :s1 + :pick * (:s2 - :s1)\n");
    for code in CODES {
        script.push_str(&format!("\\set {code} random(1, 4)\n"));
    }
    let sum = CODES.map(|c| format!(":{c}")).join(" + ");
    script.push_str(&format!("\\set sum {sum}\n\\set mean :sum / 9.0\n\\set msq :mean * :mean\n"));
    let key = CODES.map(|c| format!("'{c}=' || :{c}")).join(" || ';' || ");
    script.push_str("BEGIN;\n");
    if set == WriteSet::Everything {
        script.push_str(&format!(
            "{}('submit c' || :client_id, 0, 1){};\n",
            rate_limits::HIT_INSERT,
            rate_limits::HIT_ON_CONFLICT
        ));
        script.push_str("INSERT INTO used_form_tokens (nonce, used_at) VALUES ('n-' || :client_id || '-' || :rid, now()::timestamp);\n");
    }
    script.push_str(&format!(
        "INSERT INTO responses (id, unit_id, service_id, template_version_id, channel, submitted_at, survey_date, \
         gender, age, education, occupation, profile_extra, saran, client_hash, score_sum, score_count, answer_key, flagged) \
         VALUES ({id}, :unit, :svc, :version, 'web', now()::timestamp, :date, 'P', 34, 'D4-S1', 'WIRAUSAHA', NULL, \
         'Ruang tunggu perlu kipas angin', 'c' || :client_id, :sum, 9, {key}, false);\n"
    ));
    for code in CODES {
        script.push_str(&format!(
            "INSERT INTO answers (response_id, element_code, score) VALUES ({id}, '{code}', :{code});\n"
        ));
    }
    if set == WriteSet::Everything {
        script.push_str(&format!(
            "SELECT count(*) FROM responses WHERE unit_id = :unit AND client_hash = 'c' || :client_id \
             AND answer_key = {key} AND submitted_at >= now()::timestamp - interval '10 minutes';\n"
        ));
        for code in CODES {
            script.push_str(&format!(
                "{}(:unit, :date, :version, :svc, '{code}', :{code}, 1){};\n",
                totals::ELEMENTS_INSERT,
                totals::ELEMENTS_ON_CONFLICT
            ));
        }
        for code in CODES {
            script.push_str(&format!(
                "{}(:unit, :month, :version, :svc, '{code}', :{code}, 1){};\n",
                totals::MONTH_ELEMENTS_INSERT,
                totals::MONTH_ELEMENTS_ON_CONFLICT
            ));
        }
        for (insert, on_conflict, when) in [
            (totals::RESPONSES_INSERT, totals::RESPONSES_ON_CONFLICT, ":date"),
            (totals::MONTH_RESPONSES_INSERT, totals::MONTH_RESPONSES_ON_CONFLICT, ":month"),
        ] {
            script.push_str(&format!("{insert}(:unit, {when}, :version, :svc, 1, :mean, :msq){on_conflict};\n"));
        }
    }
    script.push_str("COMMIT;\n");
    let file = tempfile::Builder::new().suffix(".sql").tempfile().expect("temp file");
    std::fs::write(file.path(), script).expect("write pgbench script");
    let defines = [
        format!("unit={}", ids.unit),
        format!("s1={}", ids.services[0]),
        format!("s2={}", ids.services[1]),
        format!("version={}", ids.version),
        format!("date={}", ids.survey_date),
        format!("month={}", &ids.survey_date[..7]),
    ];
    let mut command = std::process::Command::new("pgbench");
    command.args(["-n", "-M", "prepared", "-c", &clients.to_string(), "-j", "2"]);
    command.args(["-T", &settings.pgbench_seconds.to_string(), "-f"]).arg(file.path());
    let logs = tempfile::tempdir().expect("temp dir");
    command.arg("-l").arg(format!("--log-prefix={}", logs.path().join("tx").display()));
    if let Some(rate) = rate {
        command.args(["-R", &format!("{rate:.0}")]);
    }
    for define in &defines {
        command.args(["-D", define]);
    }
    let output = match command.arg(&database.url).output() {
        Ok(output) => output,
        Err(e) => {
            println!("[postgres]   pgbench did not run: {e}");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|n| n.parse().ok());
    if !output.status.success() || tps.is_none() {
        println!(
            "[postgres]   pgbench failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(logs.path()).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        // client transaction time_us script epoch epoch_us [schedule_lag_us]; under -R pgbench
        // already counts `time` from the scheduled start ("skipped"/"failed" lines have no time)
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let Some(Ok(micros)) = fields.get(2).filter(|_| fields.len() >= 6).map(|t| t.parse::<u64>()) {
                latencies.push(Duration::from_micros(micros));
            }
        }
    }
    Some(Raw { tps: tps?, latency: (!latencies.is_empty()).then(|| percentiles(&mut latencies)) })
}

/// The application's own storage call (`db::responses::insert_guarded`: nonce, response, answers,
/// totals, burst check) without HTTP, from `writers` threads over a pool of as many connections;
/// the responses come from `clients` addresses in turn, as over HTTP.
fn storage_layer(database: &TestDb, ids: &Ids, total: usize, writers: usize, clients: usize) -> f64 {
    let pool = db::open_pool(&database.url, writers as u32, Duration::from_secs(30)).expect("pool");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let (pool, next, ids) = (pool.clone(), next.clone(), ids.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::new(1000 + w as u64);
                let survey_date = ids.survey_date.parse().expect("date");
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let r = RawResponse::random(&mut rng, &ids, n % clients);
                    let response = NewResponse {
                        id: uuid::Uuid::now_v7(),
                        unit_id: ids.unit,
                        service_id: Some(r.service),
                        template_version_id: ids.version,
                        channel: Channel::Web,
                        submitted_at: chrono::Utc::now().naive_utc(),
                        survey_date,
                        gender: Some("P".into()),
                        age: Some(34),
                        education: Some("D4-S1".into()),
                        occupation: Some("WIRAUSAHA".into()),
                        profile_extra: None,
                        saran: Some("Ruang tunggu perlu kipas angin".into()),
                        client_hash: Some(r.client_hash.clone()),
                        answers: CODES.iter().zip(r.scores).map(|(c, s)| (c.to_string(), s)).collect(),
                    };
                    let key = format!("submit {}", r.client_hash);
                    let guards = Guards {
                        token_nonce: Some(&r.nonce),
                        ticket_code: None,
                        burst: skm::domain::submission::BurstRule { threshold: 3, window_minutes: 10 },
                        rate_limit: Some(RateGuard {
                            key: &key,
                            window_start: skm::rate_limit::RateLimit::window_of(chrono::Utc::now()),
                            limit: NO_RATE_LIMIT,
                        }),
                        invitation_id: None,
                        device: None,
                    };
                    let mut conn = pool.get().expect("connection");
                    db::responses::insert_guarded(&mut conn, &response, &guards).expect("stored");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

/// Prints a load's throughput and latencies; returns (submissions/s, POST (p50, p95, p99)).
fn report(name: &str, what: &str, load: &mut Load, charged: &str) -> (f64, (f64, f64, f64)) {
    let rate = load.stored as f64 / load.elapsed.as_secs_f64();
    println!(
        "[{name}] HTTP {what}: {} submissions in {:.2} s: {rate:.0} submissions/s; {} failed",
        load.stored,
        load.elapsed.as_secs_f64(),
        load.failures.len()
    );
    for failure in load.failures.iter().take(3) {
        println!("[{name}]   failure: {failure}");
    }
    let post = percentiles(&mut load.post);
    let (g50, g95, g99) = percentiles(&mut load.get);
    println!("[{name}]   POST latency{}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms", charged, post.0, post.1, post.2);
    println!("[{name}]   GET form latency: p50 {g50:.2} ms, p95 {g95:.2} ms, p99 {g99:.2} ms");
    (rate, post)
}

fn run(database: TestDb, settings: &Settings) {
    let name = database.name;
    let server = spawn(&database, settings);
    let ids = seed(&server);
    println!(
        "[{name}] app: {} actix workers, pool of {} connections (timeout {} ms), rate limit raised to {}/min per \
         client (default 20; the shared counter is still written on every POST), burst check on (threshold {}), \
         request log {}, {}, client threads at nice {}, form cache {} ms; group commit {}",
        server.config.workers,
        server.config.pool_connections(),
        server.config.pool_timeout_ms,
        server.config.rate_limit_per_minute,
        server.config.burst_threshold,
        if settings.log { "on (stderr)" } else { "off" },
        if settings.one_address {
            "every client from one address (X-Forwarded-For 10.0.0.1)"
        } else {
            "one address per client (X-Forwarded-For 10.0.x.y, loopback trusted as proxy)"
        },
        settings.client_nice,
        server.config.form_cache_ms,
        if server.writer.is_on() {
            format!(
                "on (at most {} a commit, window {} µs)",
                server.config.group_commit_max, server.config.group_commit_window_us
            )
        } else {
            "off (one transaction per submission, on its request's connection)".to_string()
        }
    );

    let warm_up = (settings.clients * 4).min(settings.submissions);
    let warm = drive(&server, settings, warm_up, 1, Pace::Closed);
    let before = group_commits(&server);
    let mut closed = drive(&server, settings, settings.submissions, 1_000_000, Pace::Closed);
    let closed_what =
        format!("closed loop, {} clients without pause (after {} warm-up)", settings.clients, warm.stored);
    let (rate, (_, _, p99)) = report(name, &closed_what, &mut closed, " (from sending)");
    report_batches(name, &server, before);
    // Citizens do not queue at the server: they arrive at their own pace. An eighth, a quarter
    // and half the closed-loop rate (unless one rate is set): from a normal day to a busy but
    // unsaturated server.
    let offered_rates: Vec<f64> = match settings.rate {
        Some(rate) => vec![rate],
        None => [8.0, 4.0, 2.0].iter().map(|share| (rate / share).round().max(1.0)).collect(),
    };
    let mut open_loops = Vec::new();
    let mut acknowledged = (warm.stored + closed.stored) as i64;
    for (i, offered) in offered_rates.iter().copied().enumerate() {
        settle(&mut server.pool.get().expect("connection"), name);
        let count = ((offered * settings.open_seconds).round() as usize).max(settings.clients);
        let seed = 2_000_000 * (i as u64 + 1);
        let before = group_commits(&server);
        let mut open = drive(&server, settings, count, seed, Pace::poisson(count, offered, 3 + i as u64));
        let open_what =
            format!("open loop, {offered:.0} submissions/s offered (Poisson arrivals) to {} clients", settings.clients);
        let (_, (_, _, open_p99)) = report(name, &open_what, &mut open, " (from its scheduled time)");
        report_batches(name, &server, before);
        acknowledged += open.stored as i64;
        open_loops.push((offered, open_p99));
    }
    let offered = offered_rates.last().copied().unwrap_or(1.0);
    let stored = count_responses(&server);
    println!(
        "[{name}]   rows: {stored} responses stored for {acknowledged} acknowledged submissions{}",
        if stored == acknowledged { "" } else { "  <-- MISMATCH" }
    );
    server.stop();

    // SQLite has one writer at a time; PostgreSQL gets as many as the app has connections.
    let writers = if name == "sqlite" { 1 } else { settings.pool_size as usize };
    let addresses = if settings.one_address { 1 } else { settings.clients };
    let storage = storage_layer(&database, &ids, settings.submissions, writers, addresses);
    println!(
        "[{name}] storage layer without HTTP (db::responses::insert_guarded, {writers} writer(s), {addresses} \
         client address(es)): {storage:.0} responses/s"
    );

    // (what, how, measured; open loop at the offered rate)
    let mut raw: Vec<(WriteSet, String, Option<Raw>, bool)> = Vec::new();
    match Backend::of(&database.url) {
        Backend::Sqlite => {
            for set in [WriteSet::ResponseAndAnswers, WriteSet::Everything] {
                let how = format!("1 writer, diesel, bound parameters, {} transactions", settings.submissions);
                let tps = sqlite_raw(&database, &ids, settings.submissions, set);
                raw.push((set, how, Some(Raw { tps, latency: None }), false));
            }
        }
        Backend::Postgres => {
            let runs = [
                (WriteSet::ResponseAndAnswers, settings.clients, None),
                (WriteSet::Everything, settings.clients, None),
                // the same writes at the app's concurrency: fewer waits on the hot totals rows
                (WriteSet::Everything, settings.pool_size as usize, None),
                // the database's own latency at the open-loop offered rate
                (WriteSet::ResponseAndAnswers, settings.clients, Some(offered)),
            ];
            for (set, clients, rate) in runs {
                if rate.is_some() {
                    // as before each of the app's open-loop rates
                    settle(&mut db::Manager::new(&database.url).connect_now().expect("connect"), name);
                }
                let mut how = format!("pgbench -M prepared -c {clients} -j 2 -T {}", settings.pgbench_seconds);
                if let Some(rate) = rate {
                    how.push_str(&format!(" -R {rate:.0}"));
                }
                raw.push((set, how, pgbench_raw(&database, &ids, settings, clients, set, rate), rate.is_some()));
            }
        }
    }
    for (set, how, measured, _) in &raw {
        match measured {
            Some(Raw { tps, latency: Some((l50, l95, l99)) }) => println!(
                "[{name}] raw, {} ({how}): {tps:.0} transactions/s; latency p50 {l50:.2} ms, p95 {l95:.2} ms, \
                 p99 {l99:.2} ms",
                set.label()
            ),
            Some(Raw { tps, latency: None }) => {
                println!("[{name}] raw, {} ({how}): {tps:.0} transactions/s", set.label())
            }
            None => println!("[{name}] raw, {} ({how}): not measured", set.label()),
        }
    }
    for (set, how, measured, open_loop) in &raw {
        let (Some(Raw { tps, .. }), false) = (measured, open_loop) else { continue };
        let ratio = rate / tps;
        println!(
            "[{name}] HTTP / raw ({}, {how}) = {:.1} %: {} (target ≥ 50 %)",
            set.label(),
            ratio * 100.0,
            verdict(ratio >= 0.5)
        );
    }
    let p99_note = if name == "postgres" { "" } else { " (the target is set for PostgreSQL)" };
    println!(
        "[{name}] POST p99 at {} clients, closed loop: {p99:.2} ms: {} (target < 10 ms){p99_note}",
        settings.clients,
        verdict(p99 < 10.0)
    );
    // Closed loop (no think time): the mean round trip is clients / throughput (Little's law).
    println!(
        "[{name}]   note: {} clients without pause at {rate:.0} submissions/s keep a mean round trip of {:.1} ms; \
         a p99 under 10 ms at this concurrency needs well over {:.0} round trips/s",
        settings.clients,
        settings.clients as f64 / rate * 1000.0,
        settings.clients as f64 / 0.010
    );
    for (offered, open_p99) in &open_loops {
        println!(
            "[{name}] POST p99 at {} clients, open loop at {offered:.0}/s (from the scheduled time): {open_p99:.2} ms: \
             {} (target < 10 ms){p99_note}",
            settings.clients,
            verdict(*open_p99 < 10.0)
        );
    }
}

fn main() {
    let settings = Settings::from_env();
    if settings.log {
        let _ = tracing_subscriber::fmt().with_env_filter("info").with_writer(std::io::stderr).try_init();
    }
    println!(
        "submission benchmark: {} CPUs, {} clients, {} submissions; the machine may be shared, figures vary",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        settings.clients,
        settings.submissions
    );
    let only = std::env::var("SKM_BENCH_ONLY").unwrap_or_default();
    if only != "postgres" {
        run(TestDb::sqlite(), &settings);
    }
    match std::env::var("SKM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() && only != "sqlite" => run(TestDb::postgres(&url), &settings),
        _ => {}
    }
}
