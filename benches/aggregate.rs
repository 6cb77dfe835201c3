//! Aggregation benchmark (issue: aggregator): N responses (default 1,000,000) over 50 units and
//! the 12 months of 2025; times every unit's yearly index, the regency overview, and the regency
//! dashboard page over HTTP. SQLite always; PostgreSQL when SKM_TEST_POSTGRES_URL is set.
//!
//!     cargo bench --bench aggregate
//!     SKM_BENCH_RESPONSES=200000 SKM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench aggregate

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::{Duration, NaiveDate};
use common::{TestApp, TestDb};
use diesel::prelude::*;
use skm::aggregator::{self, Selection};
use skm::catalog::Catalog;
use skm::db::schema::{answers, responses};
use skm::db::{units, users, DbConnection};
use skm::demo::Rng;
use skm::domain::names::{Role, Slug, UnitKind};
use skm::domain::period::Period;
use skm::survey::versions::TemplateVersions;
use std::time::Instant;

const UNITS: usize = 50;
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

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn run(database: TestDb, total: usize) {
    let app = TestApp::spawn(&database);
    let catalog = Catalog::load(None).expect("templates");
    let mut conn = app.conn();
    let versions = TemplateVersions::register(&mut conn, &catalog).expect("versions");
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
    skm::db::totals::rebuild(&mut conn).expect("rebuild totals");
    println!("[{}] rebuilt the daily totals in {:.1} s", database.name, t.elapsed().as_secs_f64());
    let year = Period::Year { year: 2025 };

    let mut per_unit = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        for unit in &all {
            let selection = Selection { period: year, with_subunits: false, service_id: None };
            aggregator::unit_index(&mut conn, &versions, "permenpanrb-14-2017", unit, &selection).expect("index");
        }
        per_unit.push(t.elapsed().as_secs_f64());
    }
    println!("[{}] every unit's yearly index, one aggregator call per unit (index + previous year): median {:.3} s for {UNITS} units", database.name, median(per_unit));

    let mut overview = Vec::new();
    let mut nik = None;
    for _ in 0..3 {
        let t = Instant::now();
        let o = aggregator::regency(
            &mut conn,
            &versions,
            "permenpanrb-14-2017",
            year,
            None,
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        )
        .expect("regency");
        overview.push(t.elapsed().as_secs_f64());
        nik = o.pooled.index;
    }
    println!(
        "[{}] regency overview (all units' yearly index in one grouped query): median {:.3} s; pooled NIK {}",
        database.name,
        median(overview),
        nik.map(|n| n.to_string()).unwrap_or_default()
    );

    let hash = skm::password::hash(common::PASSWORD).expect("hash");
    users::create(
        &mut conn,
        &users::NewUser {
            email: "bench@example.go.id",
            name: "Bench",
            password_hash: &hash,
            role: Role::Admin,
            unit_ids: &[],
        },
    )
    .expect("admin");
    drop(conn);
    let cookie = app.login("bench@example.go.id", common::PASSWORD).expect("login");
    let mut page = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let reply = app.get_as(&cookie, "/dasbor?period=2025");
        assert_eq!(reply.status, 200);
        page.push(t.elapsed().as_secs_f64());
    }
    println!(
        "[{}] regency dashboard page over HTTP (GET /dasbor?period=2025): median {:.3} s",
        database.name,
        median(page)
    );
}

fn main() {
    let total: usize = std::env::var("SKM_BENCH_RESPONSES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    run(TestDb::sqlite(), total);
    if let Ok(url) = std::env::var("SKM_TEST_POSTGRES_URL") {
        run(TestDb::postgres(&url), total);
    }
}
