//! Aggregation benchmark (issue: aggregator): N responses (default 1,000,000) over 50 units and
//! the 12 months of 2025; times every unit's yearly index, the regency overview, and the regency
//! dashboard page over HTTP, against the best hand-written SQL GROUP BY on the same data in the
//! same run (over the raw answers, over the daily summary, and over the summary one unit at a
//! time for the per-unit calls), checks the sums are exactly equal, and prints the ratios. The
//! SQL over the summary reads the same sums the aggregator does (with those for the interval).
//! The fast measurements run in rounds that take each in turn (medians of 9), so a noisy moment
//! on a shared machine hits ours and the SQL alike. SQLite always; PostgreSQL when
//! SKM_TEST_POSTGRES_URL is set; SKM_BENCH_ONLY=sqlite|postgres for one backend.
//!
//!     cargo bench --bench aggregate
//!     SKM_BENCH_RESPONSES=200000 SKM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench aggregate

#[path = "../tests/it/common/mod.rs"]
mod common;

use chrono::{Duration, NaiveDate};
use common::{TestApp, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use skm::aggregator::{self, Selection};
use skm::catalog::Catalog;
use skm::catalog::TemplateRegistry;
use skm::db::schema::{answers, responses};
use skm::db::{units, users, DbConnection};
use skm::demo::Rng;
use skm::domain::names::{Role, Slug, UnitKind};
use skm::domain::period::Period;
use std::collections::BTreeMap;
use std::time::Instant;

const UNITS: usize = 50;
/// Rounds of the fast measurements (each round takes every one once).
const ROUNDS: usize = 9;
const BATCH: usize = 1000;

#[derive(Insertable)]
#[diesel(table_name = responses)]
struct ResponseRow {
    id: String,
    unit_id: i32,
    service_id: Option<i32>,
    template_version_id: i32,
    channel: String,
    submitted_at: chrono::NaiveDateTime,
    survey_date: String,
    gender: Option<String>,
    age: Option<i32>,
    education: Option<String>,
    occupation: Option<String>,
    profile_extra: Option<String>,
    saran: Option<String>,
    client_hash: Option<String>,
    score_sum: i32,
    score_count: i32,
    answer_key: String,
    flagged: bool,
}

#[derive(Insertable)]
#[diesel(table_name = answers)]
struct AnswerRow {
    response_id: String,
    element_code: String,
    score: i32,
}

/// Multi-row inserts through each backend's own connection (a MultiConnection cannot batch).
fn insert_batch(conn: &mut DbConnection, rows: &[ResponseRow], scores: &[AnswerRow]) {
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(responses::table).values(rows).execute(c).expect("responses");
            for chunk in scores.chunks(5000) {
                diesel::insert_into(answers::table).values(chunk).execute(c).expect("answers");
            }
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(responses::table).values(rows).execute(c).expect("responses");
            for chunk in scores.chunks(5000) {
                diesel::insert_into(answers::table).values(chunk).execute(c).expect("answers");
            }
        }
    }
}

fn generate(conn: &mut DbConnection, version_id: i32, total: usize) -> Vec<units::Unit> {
    let mut rng = Rng::new(42);
    let mut created = Vec::new();
    for i in 0..UNITS {
        let slug = Slug::parse(&format!("unit-{i:02}")).expect("slug");
        let unit = units::create(
            conn,
            &units::NewUnit {
                slug: &slug,
                name: &format!("Unit layanan {i:02}"),
                kind: UnitKind::Opd,
                parent_id: None,
                contact_emails: &[],
                template_id: None,
            },
        )
        .expect("unit");
        let service =
            units::add_service(conn, unit.id, &Slug::parse("layanan").expect("slug"), "Layanan").expect("service");
        units::set_population(conn, unit.id, "2025", 5000 + 1000 * i as i64).expect("population");
        created.push((unit, service.id, 2.6 + (i as f64 / UNITS as f64)));
    }
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let codes: Vec<String> = (1..=9).map(|i| format!("U{i}")).collect();
    let mut done = 0;
    while done < total {
        let n = BATCH.min(total - done);
        let mut rows = Vec::with_capacity(n);
        let mut scores = Vec::with_capacity(n * 9);
        for _ in 0..n {
            let (unit, service, quality) = &created[rng.below(UNITS as u64) as usize];
            let date = start + Duration::days(rng.below(365) as i64);
            let id = uuid::Uuid::now_v7().to_string();
            let mut sum = 0;
            let mut count = 0;
            let mut key = Vec::new();
            for code in &codes {
                if rng.unit() < 0.01 {
                    continue;
                }
                let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 1.1;
                let score = (quality + noise).round().clamp(1.0, 4.0) as i32;
                sum += score;
                count += 1;
                key.push(format!("{code}={score}"));
                scores.push(AnswerRow { response_id: id.clone(), element_code: code.clone(), score });
            }
            rows.push(ResponseRow {
                id,
                unit_id: unit.id,
                service_id: Some(*service),
                template_version_id: version_id,
                channel: "web".into(),
                submitted_at: date.and_hms_opt(9, 0, 0).expect("time"),
                survey_date: date.to_string(),
                gender: Some(if rng.unit() < 0.5 { "L" } else { "P" }.into()),
                age: Some(18 + rng.below(50) as i32),
                education: None,
                occupation: None,
                profile_extra: None,
                saran: None,
                client_hash: None,
                score_sum: sum,
                score_count: count,
                answer_key: key.join(";"),
                flagged: false,
            });
        }
        conn.transaction(|c| {
            insert_batch(c, &rows, &scores);
            Ok::<_, diesel::result::Error>(())
        })
        .expect("batch");
        done += n;
    }
    created.into_iter().map(|(u, _, _)| u).collect()
}

#[derive(QueryableByName)]
struct ElementSums {
    #[diesel(sql_type = Integer)]
    unit_id: i32,
    #[diesel(sql_type = Text)]
    element_code: String,
    #[diesel(sql_type = BigInt)]
    s: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ResponseCounts {
    #[diesel(sql_type = Integer)]
    unit_id: i32,
    #[diesel(sql_type = BigInt)]
    n: i64,
    /// the sums of the responses' mean scores and their squares, for the 95 % interval the
    /// overview shows: the same sums the aggregator reads, so the SQL does the same work
    #[diesel(sql_type = Nullable<Double>)]
    m: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    q: Option<f64>,
}

/// (unit, element) → (sum, count), and unit → responses, for 2025.
type Sums = (BTreeMap<(i32, String), (u64, u64)>, BTreeMap<i32, u64>);
/// unit → the sums of its responses' mean scores and of their squares (floating point, so
/// compared within a relative 1e-9: the order of the additions differs)
type Dispersions = BTreeMap<i32, (f64, f64)>;

fn dispersions(rows: &[ResponseCounts]) -> Dispersions {
    rows.iter().map(|x| (x.unit_id, (x.m.unwrap_or(0.0), x.q.unwrap_or(0.0)))).collect()
}

fn assert_close(a: &Dispersions, b: &Dispersions, what: &str) {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    assert!(
        a.len() == b.len()
            && a.iter().zip(b).all(|((ua, (ma, qa)), (ub, (mb, qb)))| ua == ub && close(*ma, *mb) && close(*qa, *qb)),
        "the interval's sums differ: {what}"
    );
}

/// The best plain SQL for every unit's yearly tallies: one GROUP BY over the raw answers (with
/// the indexes the schema has), or over the daily summary the aggregator itself reads.
fn sql_group_by(conn: &mut DbConnection, summary: bool) -> (Sums, Dispersions) {
    let (elements, responses) = if summary {
        (
            "SELECT unit_id, element_code, CAST(SUM(score_sum) AS BIGINT) AS s, CAST(SUM(answer_count) AS BIGINT) AS n \
             FROM daily_element_totals WHERE survey_date >= '2025-01-01' AND survey_date < '2026-01-01' \
             GROUP BY unit_id, element_code",
            "SELECT unit_id, CAST(SUM(responses) AS BIGINT) AS n, SUM(mean_sum) AS m, SUM(mean_square_sum) AS q \
             FROM daily_response_totals \
             WHERE survey_date >= '2025-01-01' AND survey_date < '2026-01-01' GROUP BY unit_id",
        )
    } else {
        (
            "SELECT r.unit_id, a.element_code, CAST(SUM(a.score) AS BIGINT) AS s, COUNT(*) AS n \
             FROM responses r JOIN answers a ON a.response_id = r.id \
             WHERE r.survey_date >= '2025-01-01' AND r.survey_date < '2026-01-01' GROUP BY r.unit_id, a.element_code",
            "SELECT unit_id, COUNT(*) AS n, \
                    SUM(CASE WHEN score_count > 0 THEN CAST(score_sum AS DOUBLE PRECISION) / score_count END) AS m, \
                    SUM(CASE WHEN score_count > 0 THEN CAST(score_sum AS DOUBLE PRECISION) * score_sum \
                        / (CAST(score_count AS DOUBLE PRECISION) * score_count) END) AS q \
             FROM responses WHERE survey_date >= '2025-01-01' AND survey_date < '2026-01-01' GROUP BY unit_id",
        )
    };
    let (e, r): (Vec<ElementSums>, Vec<ResponseCounts>) = match conn {
        DbConnection::Sqlite(c) => (
            diesel::sql_query(elements).load(c).expect("elements"),
            diesel::sql_query(responses).load(c).expect("responses"),
        ),
        DbConnection::Postgres(c) => (
            diesel::sql_query(elements).load(c).expect("elements"),
            diesel::sql_query(responses).load(c).expect("responses"),
        ),
    };
    let spread = dispersions(&r);
    (
        (
            e.into_iter().map(|x| ((x.unit_id, x.element_code), (x.s as u64, x.n as u64))).collect(),
            r.into_iter().map(|x| (x.unit_id, x.n as u64)).collect(),
        ),
        spread,
    )
}

/// The best plain SQL for one unit at a time, as a dashboard per unit would ask: one GROUP BY per
/// unit and daily table, the unit bound, 2025 only (the aggregator reads the previous year too).
fn sql_per_unit(conn: &mut DbConnection, units: &[units::Unit]) -> (Sums, Dispersions) {
    const ELEMENTS: &str = "SELECT unit_id, element_code, CAST(SUM(score_sum) AS BIGINT) AS s, \
        CAST(SUM(answer_count) AS BIGINT) AS n FROM daily_element_totals \
        WHERE unit_id = ? AND survey_date >= '2025-01-01' AND survey_date < '2026-01-01' GROUP BY unit_id, element_code";
    const RESPONSES: &str = "SELECT unit_id, CAST(SUM(responses) AS BIGINT) AS n, SUM(mean_sum) AS m, \
        SUM(mean_square_sum) AS q FROM daily_response_totals WHERE unit_id = ? AND survey_date >= '2025-01-01' AND survey_date < '2026-01-01' GROUP BY unit_id";
    let (elements, responses) = match conn {
        DbConnection::Sqlite(_) => (ELEMENTS.to_string(), RESPONSES.to_string()),
        DbConnection::Postgres(_) => (ELEMENTS.replace('?', "$1"), RESPONSES.replace('?', "$1")),
    };
    let mut sums: Sums = Default::default();
    let mut spread = Dispersions::new();
    for unit in units {
        let (e, r): (Vec<ElementSums>, Vec<ResponseCounts>) = match conn {
            DbConnection::Sqlite(c) => (
                diesel::sql_query(&elements).bind::<Integer, _>(unit.id).load(c).expect("elements"),
                diesel::sql_query(&responses).bind::<Integer, _>(unit.id).load(c).expect("responses"),
            ),
            DbConnection::Postgres(c) => (
                diesel::sql_query(&elements).bind::<Integer, _>(unit.id).load(c).expect("elements"),
                diesel::sql_query(&responses).bind::<Integer, _>(unit.id).load(c).expect("responses"),
            ),
        };
        sums.0.extend(e.into_iter().map(|x| ((x.unit_id, x.element_code), (x.s as u64, x.n as u64))));
        spread.extend(dispersions(&r));
        sums.1.extend(r.into_iter().map(|x| (x.unit_id, x.n as u64)));
    }
    (sums, spread)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn run(database: TestDb, total: usize) {
    let app = TestApp::spawn(&database);
    let catalog = Catalog::load(None).expect("templates");
    let mut conn = app.conn();
    let versions =
        TemplateRegistry::register(&mut conn, &catalog, skm::domain::template::DEFAULT_TEMPLATE).expect("versions");
    let (version_id, _) = versions.current("permenpanrb-14-2017").expect("default template");
    let t = Instant::now();
    let all = generate(&mut conn, version_id, total);
    println!(
        "[{}] generated {total} responses over {UNITS} units in {:.1} s",
        database.name,
        t.elapsed().as_secs_f64()
    );
    // bulk rows bypass the per-response maintenance of the daily totals: rebuild them once
    let t = Instant::now();
    skm::db::totals::rebuild(&mut conn, &mut skm::db::progress::Silent).expect("rebuild totals");
    println!("[{}] rebuilt the daily totals in {:.1} s", database.name, t.elapsed().as_secs_f64());
    // Measure the state a running database is in, not the minute after a bulk load: without
    // statistics PostgreSQL plans blind, and autovacuum would analyze the tables mid-measurement.
    let t = Instant::now();
    let maintenance = if matches!(*conn, DbConnection::Postgres(_)) { "VACUUM ANALYZE" } else { "ANALYZE" };
    conn.batch_execute(maintenance).expect("analyze");
    println!("[{}] vacuumed and analyzed in {:.1} s", database.name, t.elapsed().as_secs_f64());
    let year = Period::Year { year: 2025 };
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let hash = skm::password::hash(common::PASSWORD).expect("hash");
    let admin = users::NewUser {
        email: "bench@example.go.id",
        name: "Bench",
        password_hash: &hash,
        role: Role::Admin,
        unit_ids: &[],
    };
    users::create(&mut conn, &admin).expect("admin");
    let cookie = app.login("bench@example.go.id", common::PASSWORD).expect("login");

    // The raw answers take seconds: three rounds. Everything else is a few milliseconds, where
    // a shared machine's noise is as large as the differences: rounds that take each
    // measurement in turn, so a noisy moment hits ours and the SQL alike, and medians.
    let mut raw_sql = Vec::new();
    let mut raw_spread = Dispersions::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (raw, spread) = sql_group_by(&mut conn, false);
        raw_sql.push(t.elapsed().as_secs_f64());
        assert!(
            raw == ours_now(&mut conn, &versions, &all, year),
            "the aggregator's sums differ from SQL over the raw answers"
        );
        raw_spread = spread;
    }
    let (mut per_unit, mut unit_sql, mut summary_sql, mut overview, mut page) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut nik = None;
    for round in 0..ROUNDS {
        // Every other round the SQL goes first, so neither side always follows the page.
        let (mut ours, mut one_by_one, mut summary) = (None, None, None);
        for step in if round % 2 == 0 { [0, 1, 2] } else { [1, 2, 0] } {
            let t = Instant::now();
            match step {
                0 => {
                    ours = Some(ours_now(&mut conn, &versions, &all, year));
                    per_unit.push(t.elapsed().as_secs_f64());
                }
                1 => {
                    one_by_one = Some(sql_per_unit(&mut conn, &all));
                    unit_sql.push(t.elapsed().as_secs_f64());
                }
                _ => {
                    summary = Some(sql_group_by(&mut conn, true));
                    summary_sql.push(t.elapsed().as_secs_f64());
                }
            }
        }
        let (Some(ours), Some((one_by_one, unit_spread)), Some((summary, summary_spread))) =
            (ours, one_by_one, summary)
        else {
            unreachable!("every step ran")
        };
        assert!(one_by_one == ours, "the aggregator's sums differ from SQL GROUP BY per unit");
        assert!(summary == ours, "the aggregator's sums differ from SQL GROUP BY over the daily summary");
        assert_close(&summary_spread, &raw_spread, "daily summary against the raw responses");
        assert_close(&unit_spread, &raw_spread, "daily summary per unit against the raw responses");
        let t = Instant::now();
        let o = aggregator::regency(&mut conn, &versions, year, None, None, today).expect("regency");
        overview.push(t.elapsed().as_secs_f64());
        nik = o.pooled.index;
        let t = Instant::now();
        let reply = app.get_as(&cookie, "/dasbor?period=2025");
        page.push(t.elapsed().as_secs_f64());
        assert_eq!(reply.status, 200);
    }
    let (raw_sql, summary_sql, unit_sql) = (median(raw_sql), median(summary_sql), median(unit_sql));
    println!(
        "[{}] hand-written SQL GROUP BY for every unit's 2025 tallies: over the raw answers {raw_sql:.3} s, \
         over the daily summary {summary_sql:.3} s, over the daily summary one unit at a time ({UNITS} × 2 \
         statements) {unit_sql:.3} s (sums exactly equal to the aggregator's; medians of {ROUNDS} rounds, 3 for \
         the raw answers)",
        database.name
    );
    let per_unit = median(per_unit);
    println!(
        "[{}] every unit's yearly index, one aggregator call per unit (index + previous year): median {per_unit:.3} s \
         for {UNITS} units; ratio to the same SQL one unit at a time {:.2}× (target ≤ 1.5×), to one GROUP BY over \
         the raw answers {:.3}×, over the summary {:.2}×",
        database.name,
        per_unit / unit_sql,
        per_unit / raw_sql,
        per_unit / summary_sql
    );
    let overview = median(overview);
    println!(
        "[{}] regency overview (all units' yearly index in one grouped query): median {overview:.3} s; pooled NIK {}; \
         ratio to SQL over raw answers {:.3}×, over the summary {:.2}× (target ≤ 1.5×)",
        database.name,
        nik.map(|n| n.to_string()).unwrap_or_default(),
        overview / raw_sql,
        overview / summary_sql
    );
    let page = median(page);
    println!(
        "[{}] regency dashboard page over HTTP (GET /dasbor?period=2025): median {page:.3} s; \
         ratio to SQL over raw answers {:.3}×, over the summary {:.2}×",
        database.name,
        page / raw_sql,
        page / summary_sql
    );
}

/// Every unit's yearly tallies, one aggregator call per unit (as each unit's dashboard asks).
fn ours_now(conn: &mut DbConnection, versions: &TemplateRegistry, all: &[units::Unit], year: Period) -> Sums {
    let mut ours: Sums = Default::default();
    for unit in all {
        let selection = Selection { period: year, with_subunits: false, service_id: None };
        let index = aggregator::unit_index(conn, versions, unit, &selection).expect("index");
        for e in &index.result.elements {
            ours.0.insert((unit.id, e.code.clone()), (e.sum, e.count));
        }
        ours.1.insert(unit.id, index.result.responses);
    }
    ours
}

fn main() {
    let total: usize = std::env::var("SKM_BENCH_RESPONSES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let only = std::env::var("SKM_BENCH_ONLY").ok();
    if only.as_deref().is_none_or(|o| o == "sqlite") {
        run(TestDb::sqlite(), total);
    }
    if let Ok(url) = std::env::var("SKM_TEST_POSTGRES_URL") {
        if only.as_deref().is_none_or(|o| o == "postgres") {
            run(TestDb::postgres(&url), total);
        }
    }
}
