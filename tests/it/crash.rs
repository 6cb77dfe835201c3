//! Crash safety of the real binary, on every backend: `skm serve` is killed with SIGKILL at
//! random moments while citizens submit forms, and restarted on the same database. Afterwards
//! every acknowledged submission (303 to the thank-you page) is stored exactly once, no response
//! is half-written, the daily totals equal a rebuild from the responses, and (SQLite) the file
//! passes `PRAGMA integrity_check`.
//!
//! The kill moments come from a seed printed at the start; `SKM_TEST_CRASH_SEED=<n>` replays one.

use crate::common;

use common::{backends, skm, token_of, TestDb};
use diesel::prelude::*;
use skm::db::schema::{
    answers, daily_element_totals, daily_response_totals, monthly_element_totals, monthly_response_totals, responses,
    used_form_tokens,
};
use skm::db::DbConnection;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const UNIT: &str = "disdukcapil";
const SERVICES: [&str; 2] = ["ktp-el", "akta-lahir"];
const ELEMENTS: usize = 9;
const CITIZENS: usize = 8;
const ROUNDS: usize = 10;

/// splitmix64: small, seedable, good enough to pick kill moments and answers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    match std::env::var("SKM_TEST_CRASH_SEED") {
        Ok(text) => text.parse().expect("SKM_TEST_CRASH_SEED is a number"),
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos() as u64,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A running `skm serve`; killed (SIGKILL) and reaped when dropped, so a failing test leaves no
/// process behind.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `skm serve` on a free port and waits until `/healthz` answers 200.
    fn start(dir: &Path, database_url: &str, name: &str) -> Server {
        let log = dir.join(format!("{name}.log"));
        for _ in 0..3 {
            let port = free_port();
            let child = skm(dir)
                .env("SKM_DATABASE_URL", database_url)
                .env("SKM_LISTEN", format!("127.0.0.1:{port}"))
                .env("SKM_WORKERS", "2")
                .env("SKM_LOG", "warn")
                // every citizen comes from 127.0.0.1: the per-address limit would refuse most of them
                .env("SKM_RATE_LIMIT_PER_MINUTE", "1000000")
                .arg("serve")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("start skm serve");
            let mut server = Server { child, port };
            match server.wait_until_healthy(&log) {
                Ok(()) => return server,
                // another test took the free port in the meantime: try another
                Err(log_text) if log_text.contains("cannot listen") => continue,
                Err(log_text) => panic!("skm serve ({name}) did not become healthy on port {port}:\n{log_text}"),
            }
        }
        panic!("skm serve ({name}) found no free port in three attempts");
    }

    /// `Err(log)` when the server exits or does not answer 200 within 30 s.
    fn wait_until_healthy(&mut self, log: &Path) -> Result<(), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let url = format!("http://127.0.0.1:{}/healthz", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_none() && agent.get(&url).call().is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            if exited.is_some() || Instant::now() > deadline {
                let status = exited.map_or("still running".to_string(), |s| format!("exited with {s}"));
                return Err(format!("{status}\n{}", std::fs::read_to_string(log).unwrap_or_default()));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// SIGKILL: no shutdown hook, no graceful drain; in-flight requests die with the process.
    fn kill(mut self) {
        self.child.kill().expect("kill -9 skm serve");
        self.child.wait().expect("reap skm serve");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one citizen's submissions came to.
#[derive(Default)]
struct Outcomes {
    /// answered 303 to the thank-you page: must be stored exactly once
    acknowledged: Vec<String>,
    /// the connection broke (the server died): stored once or not at all
    unknown: Vec<String>,
    /// any other answer (status, marker): none is expected
    refused: Vec<(u16, String)>,
}

/// What the citizens' threads and the test share.
#[derive(Default)]
struct Shared {
    /// the running server's port; 0 while it is down
    port: AtomicU16,
    /// set when the citizens should stop
    stop: AtomicBool,
    /// 303s received so far
    acknowledged: AtomicUsize,
}

impl Shared {
    /// The port of the running server, waiting while it is down; `None` once the test stops.
    fn live_port(&self) -> Option<u16> {
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return None;
            }
            match self.port.load(Ordering::SeqCst) {
                0 => std::thread::sleep(Duration::from_millis(5)),
                p => return Some(p),
            }
        }
    }
}

fn filled(token: &str, marker: &str, rng: &mut Rng) -> Vec<(String, String)> {
    let mut fields = vec![
        ("token".to_string(), token.to_string()),
        ("lang".into(), "id".into()),
        ("website".into(), String::new()),
        ("layanan".into(), SERVICES[rng.below(2) as usize].into()),
        ("jenis_kelamin".into(), if rng.below(2) == 0 { "L" } else { "P" }.into()),
        ("usia".into(), (18 + rng.below(60)).to_string()),
        ("pendidikan".into(), "SMA".into()),
        ("pekerjaan".into(), "SWASTA".into()),
        ("saran".into(), marker.to_string()),
    ];
    fields.extend((1..=ELEMENTS).map(|i| (format!("U{i}"), (1 + rng.below(4)).to_string())));
    fields
}

/// A citizen's loop: open the form, send it with a unique saran, note what the server said.
/// The form may be sent to the next server after a crash: its token outlives the process.
fn citizen(backend: &str, id: usize, seed: u64, shared: &Shared) -> Outcomes {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut rng = Rng(seed ^ (id as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let mut outcomes = Outcomes::default();
    for n in 0.. {
        let Some(p) = shared.live_port() else { break };
        let page = match agent.get(&format!("http://127.0.0.1:{p}/s/{UNIT}")).call() {
            Ok(mut r) if r.status() == 200 => r.body_mut().read_to_string().ok(),
            _ => None,
        };
        let Some(page) = page else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let marker = format!("penanda-{backend}-{id}-{n}");
        let fields = filled(&token_of(&page), &marker, &mut rng);
        let Some(p) = shared.live_port() else { break };
        let sent = agent.post(&format!("http://127.0.0.1:{p}/s/{UNIT}")).send_form(fields.iter().map(|(k, v)| (k, v)));
        match sent {
            Ok(reply) if reply.status() == 303 => {
                shared.acknowledged.fetch_add(1, Ordering::SeqCst);
                outcomes.acknowledged.push(marker)
            }
            Ok(reply) => outcomes.refused.push((reply.status().as_u16(), marker)),
            Err(_) => outcomes.unknown.push(marker),
        }
    }
    outcomes
}

/// Sets the stop flag when dropped, also while unwinding, so the citizens' threads end.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn run_skm(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let out = skm(dir).env("SKM_DATABASE_URL", database_url).args(args).output().expect("run skm");
    assert!(out.status.success(), "skm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

type ElementTotals = BTreeMap<(i32, String, i32, i32, String), (i32, i32)>;
type ResponseTotals = BTreeMap<(i32, String, i32, i32), (i32, f64, f64)>;

fn totals_snapshot(conn: &mut DbConnection) -> (ElementTotals, ResponseTotals) {
    let elements: Vec<(i32, String, i32, i32, String, i32, i32)> = daily_element_totals::table
        .select((
            daily_element_totals::unit_id,
            daily_element_totals::survey_date,
            daily_element_totals::template_version_id,
            daily_element_totals::service_id,
            daily_element_totals::element_code,
            daily_element_totals::score_sum,
            daily_element_totals::answer_count,
        ))
        .load(conn)
        .expect("element totals");
    let days: Vec<(i32, String, i32, i32, i32, f64, f64)> = daily_response_totals::table
        .select((
            daily_response_totals::unit_id,
            daily_response_totals::survey_date,
            daily_response_totals::template_version_id,
            daily_response_totals::service_id,
            daily_response_totals::responses,
            daily_response_totals::mean_sum,
            daily_response_totals::mean_square_sum,
        ))
        .load(conn)
        .expect("response totals");
    (
        elements.into_iter().map(|(u, d, v, s, e, sum, n)| ((u, d, v, s, e), (sum, n))).collect(),
        days.into_iter().map(|(u, d, v, s, n, m, q)| ((u, d, v, s), (n, m, q))).collect(),
    )
}

type MonthTotals =
    (BTreeMap<(i32, String, i32, i32, String), (i64, i64)>, BTreeMap<(i32, String, i32, i32), (i64, f64, f64)>);

/// The monthly totals as they are stored.
fn monthly_snapshot(conn: &mut DbConnection) -> MonthTotals {
    let elements: Vec<(i32, String, i32, i32, String, i64, i64)> = monthly_element_totals::table
        .select((
            monthly_element_totals::unit_id,
            monthly_element_totals::month,
            monthly_element_totals::template_version_id,
            monthly_element_totals::service_id,
            monthly_element_totals::element_code,
            monthly_element_totals::score_sum,
            monthly_element_totals::answer_count,
        ))
        .load(conn)
        .expect("monthly element totals");
    let months: Vec<(i32, String, i32, i32, i64, f64, f64)> = monthly_response_totals::table
        .select((
            monthly_response_totals::unit_id,
            monthly_response_totals::month,
            monthly_response_totals::template_version_id,
            monthly_response_totals::service_id,
            monthly_response_totals::responses,
            monthly_response_totals::mean_sum,
            monthly_response_totals::mean_square_sum,
        ))
        .load(conn)
        .expect("monthly response totals");
    (
        elements.into_iter().map(|(u, m, v, s, e, sum, n)| ((u, m, v, s, e), (sum, n))).collect(),
        months.into_iter().map(|(u, m, v, s, n, a, q)| ((u, m, v, s), (n, a, q))).collect(),
    )
}

/// The daily totals summed per month, as the monthly rows must be.
fn months_of(elements: &ElementTotals, days: &ResponseTotals) -> MonthTotals {
    let mut month_elements = BTreeMap::new();
    for ((u, d, v, s, e), (sum, n)) in elements {
        let entry: &mut (i64, i64) = month_elements.entry((*u, d[..7].to_string(), *v, *s, e.clone())).or_default();
        entry.0 += i64::from(*sum);
        entry.1 += i64::from(*n);
    }
    let mut month_responses = BTreeMap::new();
    for ((u, d, v, s), (n, mean, square)) in days {
        let entry: &mut (i64, f64, f64) = month_responses.entry((*u, d[..7].to_string(), *v, *s)).or_default();
        entry.0 += i64::from(*n);
        entry.1 += mean;
        entry.2 += square;
    }
    (month_elements, month_responses)
}

/// The monthly rows equal the daily rows summed per month (up to the floating sums' last bits).
fn check_months(name: &str, what: &str, (elements, days): (&ElementTotals, &ResponseTotals), stored: &MonthTotals) {
    let (want_elements, want_months) = months_of(elements, days);
    assert_eq!(&want_elements, &stored.0, "{name}: monthly_element_totals {what} are not the daily rows per month");
    assert_eq!(
        want_months.keys().collect::<Vec<_>>(),
        stored.1.keys().collect::<Vec<_>>(),
        "{name}: monthly_response_totals rows {what} are not the daily rows' months"
    );
    for (key, (n, mean, square)) in &want_months {
        let (n2, mean2, square2) = stored.1[key];
        assert!(
            *n == n2 && close(*mean, mean2) && close(*square, square2),
            "{name}: monthly_response_totals {key:?} {what}: ({n2}, {mean2}, {square2}), the days sum to ({n}, {mean}, {square})"
        );
    }
}

/// Floating sums added one response at a time differ from SQL's `SUM` in the last bits only.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Checks the database against what the citizens were told; returns the number of responses.
fn check_database(database: &TestDb, dir: &Path, all: &Outcomes) -> usize {
    let name = database.name;
    let pool = database.pool();
    let mut conn = pool.get().expect("connection");
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(sqlite).expect("integrity check");
        let lines: Vec<&str> = check.iter().map(|c| c.integrity_check.as_str()).collect();
        assert_eq!(lines, ["ok"], "{name}: PRAGMA integrity_check");
    }
    let rows: Vec<(String, Option<String>, i32, i32)> = responses::table
        .select((responses::id, responses::saran, responses::score_sum, responses::score_count))
        .load(&mut conn)
        .expect("responses");
    check_each_submission_once(name, &rows, all);
    check_whole_responses(name, &mut conn, &rows);
    check_totals_equal_a_rebuild(database, dir, &mut conn, rows.len());
    rows.len()
}

/// Acknowledged: stored exactly once. Unknown: at most once. Nothing else stored.
fn check_each_submission_once(name: &str, rows: &[(String, Option<String>, i32, i32)], all: &Outcomes) {
    let mut by_marker: HashMap<String, usize> = HashMap::new();
    for (id, saran, _, _) in rows {
        *by_marker.entry(saran.clone().unwrap_or_else(|| format!("<no saran: {id}>"))).or_default() += 1;
    }
    let lost: Vec<&String> = all.acknowledged.iter().filter(|m| by_marker.get(*m) != Some(&1)).collect();
    assert!(
        lost.is_empty(),
        "{name}: {} acknowledged submissions are not stored exactly once, e.g. {:?} (stored {} times)",
        lost.len(),
        lost[0],
        by_marker.get(lost[0]).copied().unwrap_or(0)
    );
    let doubled: Vec<&String> = all.unknown.iter().filter(|m| by_marker.get(*m).copied().unwrap_or(0) > 1).collect();
    assert!(doubled.is_empty(), "{name}: submissions stored twice: {doubled:?}");
    let sent: HashSet<&String> = all.acknowledged.iter().chain(&all.unknown).collect();
    let phantom: Vec<&String> = by_marker.keys().filter(|m| !sent.contains(m)).collect();
    assert!(phantom.is_empty(), "{name}: stored responses nobody sent: {phantom:?}");
}

/// Nine answers per response, agreeing with the response row's sum and count; no orphans; and
/// exactly one spent form token per response (a token spent without its response would tell a
/// citizen "already sent" for nothing stored).
fn check_whole_responses(name: &str, conn: &mut DbConnection, rows: &[(String, Option<String>, i32, i32)]) {
    let scores: Vec<(String, i32)> =
        answers::table.select((answers::response_id, answers::score)).load(conn).expect("answers");
    let mut per_response: HashMap<String, (i32, i32)> = HashMap::new();
    for (id, score) in scores {
        let entry = per_response.entry(id).or_default();
        entry.0 += score;
        entry.1 += 1;
    }
    for (id, saran, score_sum, score_count) in rows {
        let found = per_response.remove(id).unwrap_or_default();
        assert!(
            found == (*score_sum, ELEMENTS as i32) && *score_count == ELEMENTS as i32,
            "{name}: response {id} ({saran:?}) is half-written: its answers sum to {} over {}, \
             the row says {score_sum} over {score_count}",
            found.0,
            found.1
        );
    }
    assert!(per_response.is_empty(), "{name}: answers without a response: {:?}", per_response.keys());
    let spent: i64 = used_form_tokens::table.count().get_result(conn).expect("tokens");
    assert_eq!(spent, rows.len() as i64, "{name}: spent form tokens and stored responses differ");
}

/// The daily and monthly totals were kept in each response's transaction: `skm rebuild-totals`
/// changes nothing (up to the last bits of the floating mean sums).
fn check_totals_equal_a_rebuild(database: &TestDb, dir: &Path, conn: &mut DbConnection, responses: usize) {
    let name = database.name;
    let (elements, days) = totals_snapshot(conn);
    check_months(name, "kept with each response", (&elements, &days), &monthly_snapshot(conn));
    let rebuilt = run_skm(dir, &database.url, &["rebuild-totals"]);
    assert!(rebuilt.contains("rebuilt"), "{rebuilt}");
    let (elements_rebuilt, days_rebuilt) = totals_snapshot(conn);
    check_months(name, "after a rebuild", (&elements_rebuilt, &days_rebuilt), &monthly_snapshot(conn));
    assert_eq!(elements, elements_rebuilt, "{name}: daily_element_totals differ from a rebuild");
    assert_eq!(
        days.keys().collect::<Vec<_>>(),
        days_rebuilt.keys().collect::<Vec<_>>(),
        "{name}: daily_response_totals rows differ from a rebuild"
    );
    for (key, (n, mean, square)) in &days {
        let (n2, mean2, square2) = days_rebuilt[key];
        assert!(
            *n == n2 && close(*mean, mean2) && close(*square, square2),
            "{name}: daily_response_totals {key:?}: kept ({n}, {mean}, {square}), rebuilt ({n2}, {mean2}, {square2})"
        );
    }
    let counted: i32 = days.values().map(|(n, _, _)| n).sum();
    assert_eq!(counted as usize, responses, "{name}: the daily totals count other responses than stored");
}

/// Citizens submit while the server is killed `ROUNDS` times at random moments and restarted
/// on the same database; then it must come back once more and take submissions again.
fn submit_through_crashes(name: &'static str, database_url: &str, dir: &Path, seed: u64) -> Outcomes {
    let mut rng = Rng(seed);
    let shared = Shared::default();
    std::thread::scope(|scope| {
        let shared = &shared;
        let citizens: Vec<_> = (0..CITIZENS).map(|id| scope.spawn(move || citizen(name, id, seed, shared))).collect();
        let stop_citizens = StopOnDrop(&shared.stop);
        for round in 0..ROUNDS {
            let server = Server::start(dir, database_url, &format!("serve-{round}"));
            shared.port.store(server.port, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50 + rng.below(551)));
            server.kill();
            shared.port.store(0, Ordering::SeqCst);
        }
        // More 303s than the citizens could have had in flight to the killed server.
        let last = Server::start(dir, database_url, "serve-last");
        let before = shared.acknowledged.load(Ordering::SeqCst);
        shared.port.store(last.port, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(20);
        while shared.acknowledged.load(Ordering::SeqCst) <= before + CITIZENS {
            assert!(Instant::now() < deadline, "{name}: the restarted server acknowledges no submissions");
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(stop_citizens);
        let mut all = Outcomes::default();
        for citizen in citizens {
            let outcomes = citizen.join().expect("citizen thread");
            all.acknowledged.extend(outcomes.acknowledged);
            all.unknown.extend(outcomes.unknown);
            all.refused.extend(outcomes.refused);
        }
        last.kill();
        all
    })
}

#[test]
fn kill_9_during_submissions_loses_nothing_acknowledged_and_writes_nothing_by_halves() {
    let seed = seed();
    println!("crash test seed {seed} (replay with SKM_TEST_CRASH_SEED={seed})");
    for database in backends() {
        let started = Instant::now();
        let name = database.name;
        let dir = tempfile::tempdir().expect("temp dir");
        drop(database.pool()); // migrated
        run_skm(dir.path(), &database.url, &["unit", "add", "--slug", UNIT, "--name", "Disdukcapil"]);
        for service in SERVICES {
            let args = ["service", "add", "--unit", UNIT, "--slug", service, "--name", service];
            run_skm(dir.path(), &database.url, &args);
        }

        let all = submit_through_crashes(name, &database.url, dir.path(), seed);
        assert!(all.refused.is_empty(), "{name}: the server refused valid submissions: {:?}", all.refused);
        let stored = check_database(&database, dir.path(), &all);
        println!(
            "crash [{name}]: {ROUNDS} rounds of kill -9, {} acknowledged, {} unknown ({} of them stored), {stored} \
             stored, {:.1} s",
            all.acknowledged.len(),
            all.unknown.len(),
            stored - all.acknowledged.len(),
            started.elapsed().as_secs_f64()
        );
    }
}
