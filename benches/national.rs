//! National-scale benchmark (issue 21): a national-shaped dataset on PostgreSQL — 1 nation, 38
//! provinces, 550 regencies and cities, 50,000 units in all — with a year (2025) of responses:
//! a tenth of the service units get raw responses and answers through `COPY` (5 M at full
//! scale), whose daily totals the application's own rebuild (`skm rebuild-totals`) computes;
//! the other units' responses (45 M at full scale) exist only as daily totals written by SQL
//! from a deterministic pseudo-random spread; then the application's roll-up refresh
//! (`skm rollup --all`). A sample of units proves the totals equal a rebuild from the raw rows.
//!
//! Then the real application on that database: the closed-loop submission rate (saturation),
//! and open-loop (Poisson) submissions at half of it while a deployment admin times the
//! regency dashboard, a province overview and the national ranking (p50/p95 against the goals
//! < 100 ms, < 300 ms, < 1 s), and the open-loop POST p99 of the same run.
//!
//!     cargo bench --bench national
//!     SKM_BENCH_SCALE=0.1 cargo bench --bench national
//!
//! Knobs: SKM_TEST_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; the dataset is the
//! database `skm_bench_national` next to it, kept between runs), SKM_BENCH_SCALE (1.0: responses
//! per unit, 1.0 = 50 M a year), SKM_BENCH_REBUILD=1 (generate again), SKM_BENCH_READS (50 per
//! page), SKM_BENCH_CLIENTS (16 submitting clients), SKM_BENCH_SUBMISSIONS (1000, closed loop),
//! SKM_BENCH_RATE (submissions/s offered during the reads; default half the closed-loop rate),
//! SKM_BENCH_WORKERS (number of CPUs), SKM_BENCH_POOL_SIZE (workers + 4), SKM_BENCH_CLIENT_NICE
//! (0: how much lower the submitting threads' priority is than the server's and the reader's,
//! as if the citizens' phones did not share its cores).

#[path = "../tests/it/common/mod.rs"]
mod common;

use chrono::{Datelike, NaiveDate};
use common::{TestApp, TestDb};
use diesel::connection::SimpleConnection;
use diesel::pg::CopyFormat;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Text};
use skm::catalog::{Catalog, TemplateRegistry};
use skm::cli::progress::Progress;
use skm::db::progress::Meter;
use skm::db::schema::{answers, responses, units};
use skm::db::{self, DbConnection};
use skm::demo::Rng;
use skm::domain::names::{Role, Slug};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DATABASE: &str = "skm_bench_national";
const PROVINCES: [(&str, u32); 38] = [
    ("Aceh", 23),
    ("Sumatera Utara", 33),
    ("Sumatera Barat", 19),
    ("Riau", 12),
    ("Jambi", 11),
    ("Sumatera Selatan", 17),
    ("Bengkulu", 10),
    ("Lampung", 15),
    ("Kepulauan Bangka Belitung", 7),
    ("Kepulauan Riau", 7),
    ("DKI Jakarta", 6),
    ("Jawa Barat", 27),
    ("Jawa Tengah", 35),
    ("DI Yogyakarta", 5),
    ("Jawa Timur", 38),
    ("Banten", 8),
    ("Bali", 9),
    ("Nusa Tenggara Barat", 10),
    ("Nusa Tenggara Timur", 22),
    ("Kalimantan Barat", 14),
    ("Kalimantan Tengah", 14),
    ("Kalimantan Selatan", 13),
    ("Kalimantan Timur", 10),
    ("Kalimantan Utara", 5),
    ("Sulawesi Utara", 15),
    ("Sulawesi Tengah", 13),
    ("Sulawesi Selatan", 24),
    ("Sulawesi Tenggara", 17),
    ("Gorontalo", 6),
    ("Sulawesi Barat", 6),
    ("Maluku", 11),
    ("Maluku Utara", 10),
    ("Papua", 9),
    ("Papua Barat", 7),
    ("Papua Selatan", 4),
    ("Papua Tengah", 8),
    ("Papua Pegunungan", 8),
    ("Papua Barat Daya", 6),
];
const REGENCIES: usize = 550;
const UNITS: usize = 50_000;
/// Perangkat daerah of every regency (slug, name); its other units are sub-units under them.
const OPDS: [(&str, &str); 30] = [
    ("setda", "Sekretariat Daerah"),
    ("setwan", "Sekretariat DPRD"),
    ("inspektorat", "Inspektorat"),
    ("bappeda", "Badan Perencanaan Pembangunan Daerah"),
    ("bkpsdm", "Badan Kepegawaian dan Pengembangan SDM"),
    ("bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah"),
    ("bapenda", "Badan Pendapatan Daerah"),
    ("bpbd", "Badan Penanggulangan Bencana Daerah"),
    ("kesbangpol", "Badan Kesatuan Bangsa dan Politik"),
    ("dinkes", "Dinas Kesehatan"),
    ("disdik", "Dinas Pendidikan dan Kebudayaan"),
    ("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("dpmptsp", "Dinas Penanaman Modal dan PTSP"),
    ("dinsos", "Dinas Sosial"),
    ("disnaker", "Dinas Tenaga Kerja"),
    ("dishub", "Dinas Perhubungan"),
    ("dpupr", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("dlh", "Dinas Lingkungan Hidup"),
    ("disperkim", "Dinas Perumahan dan Permukiman"),
    ("dpmd", "Dinas Pemberdayaan Masyarakat dan Desa"),
    ("dp3a", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak"),
    ("diskominfo", "Dinas Komunikasi dan Informatika"),
    ("diskopukm", "Dinas Koperasi dan UKM"),
    ("disperindag", "Dinas Perindustrian dan Perdagangan"),
    ("distan", "Dinas Pertanian"),
    ("dkp", "Dinas Kelautan dan Perikanan"),
    ("dispar", "Dinas Pariwisata"),
    ("dispora", "Dinas Pemuda dan Olahraga"),
    ("satpolpp", "Satuan Polisi Pamong Praja"),
    ("rsud", "Rumah Sakit Umum Daerah"),
];
/// What the sub-units under an OPD are called (by the OPD's position, cycling).
const SUB_UNITS: [&str; 5] = ["UPT Puskesmas", "Kecamatan", "UPT SD Negeri", "Kelurahan", "UPT Pelayanan"];
/// Responses a service unit gets in a year at scale 1: 50 M over the units below the regencies.
const PER_UNIT_YEAR: f64 = 50_000_000.0 / (UNITS - 1 - 38 - REGENCIES) as f64;
/// One service unit in ten has raw responses (5 M at scale 1).
const RAW_EVERY: usize = 10;
const YEAR: i32 = 2025;
const CODES: [&str; 9] = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"];
const SERVICES: [&str; 2] = ["ktp-el", "akta-lahir"];

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|n| *n > 0)
}

struct UnitRow {
    id: i32,
    parent: Option<i32>,
    slug: String,
    name: String,
    kind: &'static str,
    province: usize,
    /// a service unit below a regency (where responses are given)
    service: bool,
    raw: bool,
    /// the unit's mean score (2.6–3.6)
    quality: f64,
    /// responses in the year
    yearly: f64,
}

fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

/// The national tree, ids from 1 (nation) in parent-before-child order.
fn tree(scale: f64) -> Vec<UnitRow> {
    let mut rng = Rng::new(21);
    let mut rows = Vec::with_capacity(UNITS);
    let mut push = |rows: &mut Vec<UnitRow>, parent, slug: String, name: String, kind, province, service: bool| {
        let id = rows.len() as i32 + 1;
        let quality = 2.6 + rng.unit();
        let yearly = PER_UNIT_YEAR * scale * (0.5 + rng.unit());
        let raw = service && (id as usize).is_multiple_of(RAW_EVERY);
        rows.push(UnitRow { id, parent, slug, name, kind, province, service, raw, quality, yearly });
        id
    };
    let nation = push(&mut rows, None, "indonesia".into(), "Republik Indonesia".into(), "nation", 0, false);
    // regencies per province in proportion to today's counts (514 in 2025), 550 in all
    let weights: u32 = PROVINCES.iter().map(|(_, w)| w).sum();
    let mut counts: Vec<usize> = PROVINCES.iter().map(|(_, w)| (*w as usize * REGENCIES) / weights as usize).collect();
    let mut i = 0;
    while counts.iter().sum::<usize>() < REGENCIES {
        let k = i % counts.len();
        counts[k] += 1;
        i += 1;
    }
    let mut regencies = Vec::new();
    for (p, (name, _)) in PROVINCES.iter().enumerate() {
        let province = push(&mut rows, Some(nation), slug_of(name), format!("Provinsi {name}"), "province", p, false);
        for r in 0..counts[p] {
            // about one in six is a city, as today
            let (kind, label, short) =
                if r % 6 == 5 { ("city", "Kota", "kota") } else { ("regency", "Kabupaten", "kab") };
            let slug = format!("{short}-{}-{}", slug_of(name), r + 1);
            let id = push(&mut rows, Some(province), slug.clone(), format!("{label} {name} {}", r + 1), kind, p, false);
            regencies.push((id, slug, p));
        }
    }
    let service_units = UNITS - rows.len();
    for (k, (regency, slug, p)) in regencies.iter().enumerate() {
        let units = service_units / REGENCIES + usize::from(k < service_units % REGENCIES);
        let mut opds = Vec::new();
        for (short, name) in OPDS.iter().take(units) {
            let id = push(&mut rows, Some(*regency), format!("{slug}-{short}"), name.to_string(), "opd", *p, true);
            opds.push((id, *short));
        }
        for s in 0..units.saturating_sub(OPDS.len()) {
            let (opd, short) = opds[s % opds.len()];
            let n = s / opds.len() + 1;
            let label = SUB_UNITS[s % opds.len() % SUB_UNITS.len()];
            push(&mut rows, Some(opd), format!("{slug}-{short}-{n}"), format!("{label} {n}"), "sub_unit", *p, true);
        }
    }
    assert_eq!(rows.len(), UNITS, "the national tree has {UNITS} units");
    rows
}

fn working_days() -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut day = NaiveDate::from_ymd_opt(YEAR, 1, 1).expect("date");
    while day.year() == YEAR {
        if day.weekday().number_from_monday() <= 5 {
            days.push(day);
        }
        day = day.succ_opt().expect("date");
    }
    days
}

fn pg(conn: &mut DbConnection) -> &mut PgConnection {
    match conn {
        DbConnection::Postgres(c) => c,
        _ => panic!("the national bench runs on PostgreSQL"),
    }
}

fn copy_err(e: std::io::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(Box::new(e))
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).expect(sql).n
}

/// What the marker row of a complete dataset records.
#[derive(QueryableByName)]
struct Marker {
    #[diesel(sql_type = Double)]
    scale: f64,
    #[diesel(sql_type = Text)]
    steps: String,
}

fn marker(url: &str) -> Option<Marker> {
    let mut conn = PgConnection::establish(url).ok()?;
    diesel::sql_query("SELECT scale, steps FROM bench_national_done").get_result(&mut conn).ok()
}

/// The whole dataset; returns the generation steps' timings as lines for the report.
fn generate(admin_url: &str, url: &str, scale: f64, config: &skm::config::Config) -> String {
    let mut admin = PgConnection::establish(admin_url).expect("connect to SKM_TEST_POSTGRES_URL");
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")).execute(&mut admin).expect("drop");
    diesel::sql_query(format!("CREATE DATABASE {DATABASE}")).execute(&mut admin).expect("create database");
    let pool = db::open_pool(url, 2, Duration::from_secs(60)).expect("pool");
    let mut conn = pool.get().expect("connection");
    db::migrate(&mut conn).expect("migrate");
    let catalog = Catalog::load(None).expect("templates");
    let versions =
        TemplateRegistry::register(&mut conn, &catalog, skm::domain::template::DEFAULT_TEMPLATE).expect("versions");
    let (version, _) = versions.current(skm::domain::template::DEFAULT_TEMPLATE).expect("default template");
    let mut steps = Vec::new();
    let all = Instant::now();

    // units, and the bench's own table of what each is (quality, yearly responses, raw or not)
    let t = Instant::now();
    let tree = tree(scale);
    let c = pg(&mut conn);
    let mut text = String::new();
    for u in &tree {
        let parent = u.parent.map_or("\\N".to_string(), |p| p.to_string());
        text.push_str(&format!("{}\t{parent}\t{}\t{}\t{}\t2025-01-01 00:00:00\n", u.id, u.slug, u.name, u.kind));
    }
    diesel::copy_from(units::table)
        .from_raw_data(
            (units::id, units::parent_id, units::slug, units::name, units::kind, units::created_at),
            |copy: &mut dyn Write| copy.write_all(text.as_bytes()).map_err(copy_err),
        )
        .with_format(CopyFormat::Text)
        .execute(c)
        .expect("copy units");
    c.batch_execute(
        "SELECT setval('units_id_seq', (SELECT MAX(id) FROM units)); \
         CREATE TABLE bench_units (id INTEGER PRIMARY KEY, province INTEGER NOT NULL, raw BOOLEAN NOT NULL, \
         quality DOUBLE PRECISION NOT NULL, per_day DOUBLE PRECISION NOT NULL)",
    )
    .expect("bench units");
    let days = working_days();
    let mut text = String::new();
    for u in tree.iter().filter(|u| u.service) {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            u.id,
            u.province,
            if u.raw { "t" } else { "f" },
            u.quality,
            u.yearly / days.len() as f64
        ));
    }
    copy_bench_units(c, &text);
    steps.push(format!("{UNITS} units (COPY) {:.1} s", secs(t)));
    println!("[national] {}", steps.last().expect("step"));

    // raw responses and their answers through COPY, in chunks of units, each month into its
    // own partition
    let t = Instant::now();
    let months: Vec<String> = (1..=12).map(|m| format!("2025-{m:02}")).collect();
    db::partitions::ensure(&mut conn, &months).expect("partitions of 2025");
    let raw: Vec<&UnitRow> = tree.iter().filter(|u| u.raw).collect();
    let expected: u64 = raw.iter().map(|u| u.yearly.round() as u64).sum();
    let mut meter = Progress::new("national: raw responses (COPY)", "responses", config);
    meter.start(Some(expected));
    let mut rng = Rng::new(2025);
    let mut serial: u64 = 0;
    for chunk in raw.chunks(200) {
        let (mut rtext, mut atext) = (String::new(), String::new());
        let mut n = 0u64;
        for u in chunk {
            for _ in 0..u.yearly.round() as u64 {
                serial += 1;
                let id = format!("{:08x}-0000-7000-8000-{serial:012x}", u.id);
                let day = days[rng.below(days.len() as u64) as usize];
                let (mut sum, mut key) = (0, String::new());
                for (e, code) in CODES.iter().enumerate() {
                    let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 1.1;
                    let score = (u.quality + (e as f64 - 4.0) * 0.05 + noise).round().clamp(1.0, 4.0) as i32;
                    sum += score;
                    if !key.is_empty() {
                        key.push(';');
                    }
                    key.push_str(&format!("{code}={score}"));
                    atext.push_str(&format!("{id}\t{code}\t{score}\n"));
                }
                let minute = 8 * 60 + rng.below(8 * 60);
                rtext.push_str(&format!(
                    "{id}\t{}\t\\N\t{version}\tweb\t{day} {:02}:{:02}:00\t{day}\t{}\t{}\t{sum}\t9\t{key}\tf\n",
                    u.id,
                    minute / 60,
                    minute % 60,
                    if rng.unit() < 0.5 { "L" } else { "P" },
                    18 + rng.below(50)
                ));
                n += 1;
            }
        }
        let c = pg(&mut conn);
        diesel::copy_from(responses::table)
            .from_raw_data(
                (
                    responses::id,
                    responses::unit_id,
                    responses::service_id,
                    responses::template_version_id,
                    responses::channel,
                    responses::submitted_at,
                    responses::survey_date,
                    responses::gender,
                    responses::age,
                    responses::score_sum,
                    responses::score_count,
                    responses::answer_key,
                    responses::flagged,
                ),
                |copy: &mut dyn Write| copy.write_all(rtext.as_bytes()).map_err(copy_err),
            )
            .with_format(CopyFormat::Text)
            .execute(c)
            .expect("copy responses");
        diesel::copy_from(answers::table)
            .from_raw_data((answers::response_id, answers::element_code, answers::score), |copy: &mut dyn Write| {
                copy.write_all(atext.as_bytes()).map_err(copy_err)
            })
            .with_format(CopyFormat::Text)
            .execute(c)
            .expect("copy answers");
        meter.advance(n).expect("not interrupted");
    }
    meter.finish();
    steps.push(format!(
        "{serial} raw responses and {} answers over {} units (COPY) {:.1} s",
        serial * 9,
        raw.len(),
        secs(t)
    ));
    println!("[national] {}", steps.last().expect("step"));

    // their daily totals: the application's own rebuild
    let t = Instant::now();
    conn.batch_execute("ANALYZE responses; ANALYZE answers").expect("analyze");
    let mut meter = Progress::new("national: rebuild-totals", "responses", config);
    skm::db::totals::rebuild(&mut conn, &mut meter).expect("rebuild totals");
    meter.finish();
    steps.push(format!("daily totals of the raw responses (skm rebuild-totals' code) {:.1} s", secs(t)));
    println!("[national] {}", steps.last().expect("step"));

    // the other units' year as daily totals only, one province at a time
    let t = Instant::now();
    let c = pg(&mut conn);
    c.batch_execute(&format!(
        "CREATE TABLE bench_days AS SELECT to_char(d, 'YYYY-MM-DD') AS day, CAST(row_number() OVER (ORDER BY d) AS INTEGER) AS no \
         FROM generate_series(DATE '{YEAR}-01-01', DATE '{YEAR}-12-31', INTERVAL '1 day') d WHERE extract(isodow FROM d) < 6"
    ))
    .expect("days");
    let mut meter = Progress::new("national: synthetic daily totals", "provinces", config);
    meter.start(Some(PROVINCES.len() as u64));
    for p in 0..PROVINCES.len() {
        // n = floor(2·rate·U₁ + U₂) has mean `rate` (U uniform); the element sums are the unit's
        // quality, shifted per element, times n; the mean sums n·quality (and its square plus a
        // spread), so a unit's index and interval are those of its quality
        c.batch_execute(&format!(
            "INSERT INTO daily_response_totals \
             (unit_id, survey_date, template_version_id, service_id, responses, mean_sum, mean_square_sum) \
             SELECT u.id, d.day, {version}, 0, s.n, s.n * u.quality, s.n * (u.quality * u.quality + 0.05) \
             FROM bench_units u CROSS JOIN bench_days d CROSS JOIN LATERAL (SELECT CAST(floor( \
               2 * u.per_day * ((CAST(u.id AS BIGINT) * 7919 + d.no * 104729) % 1009) / 1009.0 \
               + ((CAST(u.id AS BIGINT) * 104723 + d.no * 7907) % 997) / 997.0) AS INTEGER) AS n) s \
             WHERE NOT u.raw AND u.province = {p} AND s.n > 0; \
             INSERT INTO daily_element_totals \
             (unit_id, survey_date, template_version_id, service_id, element_code, score_sum, answer_count) \
             SELECT r.unit_id, r.survey_date, r.template_version_id, 0, 'U' || e.k, \
               CAST(round(r.responses * (u.quality + (e.k - 5) * 0.05)) AS INTEGER), r.responses \
             FROM daily_response_totals r JOIN bench_units u ON u.id = r.unit_id \
             CROSS JOIN generate_series(1, 9) e(k) WHERE NOT u.raw AND u.province = {p}"
        ))
        .expect("synthetic totals");
        meter.advance(1).expect("not interrupted");
    }
    meter.finish();
    steps.push(format!("synthetic daily totals of the other units (INSERT … SELECT) {:.1} s", secs(t)));
    println!("[national] {}", steps.last().expect("step"));

    // every unit's monthly totals, summed from the daily ones as `skm rebuild-totals` does
    let t = Instant::now();
    conn.transaction(|c| skm::db::totals::rebuild_months(c)).expect("monthly totals");
    steps.push(format!("monthly totals of every unit (skm rebuild-totals' code) {:.1} s", secs(t)));
    println!("[national] {}", steps.last().expect("step"));

    let t = Instant::now();
    conn.batch_execute("VACUUM ANALYZE").expect("vacuum");
    steps.push(format!("VACUUM ANALYZE {:.1} s", secs(t)));
    println!("[national] {}", steps.last().expect("step"));

    // roll-ups: the application's refresh, every month (`skm rollup --all`)
    let t = Instant::now();
    let now = chrono::Utc::now();
    let months = skm::rollup::all_months(&mut conn, now).expect("months");
    let done = skm::rollup::refresh(&mut conn, &months, now, |_, _| {}).expect("roll-ups");
    conn.batch_execute("ANALYZE rollup_element_totals; ANALYZE rollup_response_totals").expect("analyze");
    steps.push(format!(
        "roll-up refresh of {} months ({} rows, {} responses; skm rollup --all's code) {:.1} s",
        months.len(),
        done.rows,
        done.responses,
        secs(t)
    ));
    println!("[national] {}", steps.last().expect("step"));
    steps.push(format!("generation in all {:.1} s", secs(all)));
    let steps = steps.join("\n");
    let c = pg(&mut conn);
    c.batch_execute("CREATE TABLE bench_national_done (scale DOUBLE PRECISION NOT NULL, steps TEXT NOT NULL)")
        .expect("marker table");
    diesel::sql_query("INSERT INTO bench_national_done (scale, steps) VALUES ($1, $2)")
        .bind::<Double, _>(scale)
        .bind::<Text, _>(&steps)
        .execute(c)
        .expect("marker");
    steps
}

fn copy_bench_units(c: &mut PgConnection, text: &str) {
    // bench_units is not in the app's schema: COPY through a temporary diesel table
    diesel::table! {
        bench_units (id) {
            id -> Integer,
            province -> Integer,
            raw -> Bool,
            quality -> Double,
            per_day -> Double,
        }
    }
    diesel::copy_from(bench_units::table)
        .from_raw_data(
            (bench_units::id, bench_units::province, bench_units::raw, bench_units::quality, bench_units::per_day),
            |copy: &mut dyn Write| copy.write_all(text.as_bytes()).map_err(copy_err),
        )
        .with_format(CopyFormat::Text)
        .execute(c)
        .expect("copy bench units");
}

/// The proof: a sample of raw units' responses copied into a schema of their own, the
/// application's rebuild run there (its unqualified SQL reads and writes that schema), and its
/// totals compared row by row with the dataset's. Returns a line for the report.
fn prove(url: &str) -> String {
    let pool = db::open_pool(url, 1, Duration::from_secs(60)).expect("pool");
    let mut conn = pool.get().expect("connection");
    let c = pg(&mut conn);
    c.batch_execute(
        "DROP SCHEMA IF EXISTS bench_proof CASCADE; CREATE SCHEMA bench_proof; \
         CREATE TABLE bench_proof.sample AS SELECT id FROM bench_units WHERE raw AND id % 97 = 0 ORDER BY id LIMIT 20; \
         CREATE TABLE bench_proof.responses (LIKE public.responses INCLUDING ALL); \
         CREATE TABLE bench_proof.answers (LIKE public.answers INCLUDING ALL); \
         CREATE TABLE bench_proof.daily_element_totals (LIKE public.daily_element_totals INCLUDING ALL); \
         CREATE TABLE bench_proof.daily_response_totals (LIKE public.daily_response_totals INCLUDING ALL); \
         CREATE TABLE bench_proof.monthly_element_totals (LIKE public.monthly_element_totals INCLUDING ALL); \
         CREATE TABLE bench_proof.monthly_response_totals (LIKE public.monthly_response_totals INCLUDING ALL); \
         CREATE TABLE bench_proof.archived_months (LIKE public.archived_months INCLUDING ALL); \
         INSERT INTO bench_proof.responses SELECT * FROM public.responses WHERE unit_id IN (SELECT id FROM bench_proof.sample); \
         INSERT INTO bench_proof.answers SELECT a.* FROM public.answers a JOIN bench_proof.responses r ON r.id = a.response_id; \
         SET search_path TO bench_proof",
    )
    .expect("proof schema");
    let t = Instant::now();
    skm::db::totals::rebuild(&mut conn, &mut skm::db::progress::Silent).expect("rebuild the sample");
    let took = secs(t);
    let c = pg(&mut conn);
    c.batch_execute("SET search_path TO public").expect("search path");
    let sample = count(c, "SELECT COUNT(*) AS n FROM bench_proof.sample");
    let responses = count(c, "SELECT COUNT(*) AS n FROM bench_proof.responses");
    let element_rows = count(c, "SELECT COUNT(*) AS n FROM bench_proof.daily_element_totals");
    let response_rows = count(c, "SELECT COUNT(*) AS n FROM bench_proof.daily_response_totals");
    // every row on one side and not equal on the other (the mean sums are floating point,
    // added in another order: equal within 1e-9 relative), per day and per month
    let differing = |c: &mut PgConnection, table: &str, when: &str, elements: bool| {
        let (key, unequal) = if elements {
            (
                ", element_code",
                "p.score_sum IS DISTINCT FROM d.score_sum OR p.answer_count IS DISTINCT FROM d.answer_count",
            )
        } else {
            (
                "",
                "p.responses IS DISTINCT FROM d.responses OR d.mean_sum IS NULL OR p.mean_sum IS NULL \
                 OR abs(p.mean_sum - d.mean_sum) > 1e-9 * greatest(1, abs(d.mean_sum)) \
                 OR abs(p.mean_square_sum - d.mean_square_sum) > 1e-9 * greatest(1, abs(d.mean_square_sum))",
            )
        };
        count(
            c,
            &format!(
                "SELECT COUNT(*) AS n FROM bench_proof.{table} p \
                 FULL JOIN (SELECT * FROM public.{table} WHERE unit_id IN (SELECT id FROM bench_proof.sample)) d \
                 USING (unit_id, {when}, template_version_id, service_id{key}) WHERE {unequal}"
            ),
        )
    };
    let element_diff = differing(c, "daily_element_totals", "survey_date", true);
    let response_diff = differing(c, "daily_response_totals", "survey_date", false);
    let month_element_diff = differing(c, "monthly_element_totals", "month", true);
    let month_response_diff = differing(c, "monthly_response_totals", "month", false);
    let month_rows = count(c, "SELECT COUNT(*) AS n FROM bench_proof.monthly_response_totals");
    c.batch_execute("DROP SCHEMA bench_proof CASCADE").expect("drop proof schema");
    assert_eq!(
        (element_diff, response_diff, month_element_diff, month_response_diff),
        (0, 0, 0, 0),
        "the dataset's daily or monthly totals differ from a rebuild of the sample's raw rows"
    );
    assert!(month_rows > 0, "the sample has monthly totals");
    assert!(element_rows > 0 && response_rows > 0, "the sample has totals");
    format!(
        "proof: {sample} raw units' {responses} responses rebuilt apart by skm rebuild-totals' code in {took:.1} s: \
         {element_rows} element rows and {response_rows} response rows a day, {month_rows} response rows a month, \
         all equal to the dataset's (0 differ)"
    )
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    rows: i64,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

fn sizes(conn: &mut PgConnection) -> Vec<Size> {
    let tables = [
        "units",
        "responses",
        "answers",
        "daily_response_totals",
        "daily_element_totals",
        "monthly_response_totals",
        "monthly_element_totals",
        "rollup_response_totals",
        "rollup_element_totals",
    ];
    tables
        .iter()
        .map(|t| {
            diesel::sql_query(format!(
                "SELECT CAST('{t}' AS TEXT) AS name, (SELECT COUNT(*) FROM {t}) AS rows, \
                 CAST(COALESCE((SELECT SUM(pg_total_relation_size(relid)) FROM pg_partition_tree('{t}')), \
                 pg_total_relation_size('{t}')) AS BIGINT) AS bytes"
            ))
            .get_result::<Size>(conn)
            .expect("size")
        })
        .collect()
}

// ---- measurement --------------------------------------------------------------------------

/// A complete survey form for a unit with the two services (the submit bench's, duplicated:
/// benches/submit.rs is not shared).
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
    ];
    fields.extend(CODES.iter().map(|code| (code.to_string(), (1 + rng.below(4)).to_string())));
    fields
}

fn token_in(html: &str) -> Option<String> {
    let marker = "name=\"token\" value=\"";
    let start = html.find(marker)? + marker.len();
    html[start..].split('"').next().map(str::to_string)
}

#[derive(Default)]
struct Load {
    stored: usize,
    failures: Vec<String>,
    post: Vec<Duration>,
    elapsed: Duration,
}

/// Submitting clients: GET the form, POST it, expect 303. Closed loop (`due` None: as fast as
/// replies come, `total` submissions) or open loop (`due`: each slot at its Poisson time, timed
/// from that time, until `stop`).
fn submit(
    base: &str,
    slugs: &[String],
    clients: usize,
    total: usize,
    due: Option<Arc<Vec<Duration>>>,
    stop: Arc<AtomicBool>,
    nice: i32,
) -> Load {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let all = Arc::new(Mutex::new(Load::default()));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (base, slugs, next, due, stop, all) =
                (base.to_string(), slugs.to_vec(), next.clone(), due.clone(), stop.clone(), all.clone());
            std::thread::spawn(move || {
                common::lower_thread_priority(nice);
                let agent = common::agent();
                let mut rng = Rng::new(77 + c as u64);
                let forwarded = format!("10.1.{}.{}", c / 250, c % 250 + 1);
                let mut load = Load::default();
                loop {
                    let slot = next.fetch_add(1, Ordering::Relaxed);
                    if slot >= total || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let url = format!("{base}/s/{}", slugs[slot % slugs.len()]);
                    let token = match agent.get(&url).header("x-forwarded-for", &forwarded).call() {
                        Ok(mut page) if page.status() == 200 => {
                            token_in(&page.body_mut().read_to_string().unwrap_or_default())
                        }
                        _ => None,
                    };
                    let Some(token) = token else {
                        load.failures.push(format!("GET {url}: no form"));
                        continue;
                    };
                    let from = match &due {
                        None => Instant::now(),
                        Some(due) => {
                            let at = started + due.get(slot).copied().unwrap_or_default();
                            std::thread::sleep(at.saturating_duration_since(Instant::now()));
                            at
                        }
                    };
                    match agent.post(&url).header("x-forwarded-for", &forwarded).send_form(filled_form(token, &mut rng))
                    {
                        Ok(reply) if reply.status() == 303 => {
                            load.stored += 1;
                            load.post.push(from.elapsed());
                        }
                        Ok(reply) => load.failures.push(format!("POST {url}: HTTP {}", reply.status())),
                        Err(e) => load.failures.push(format!("POST {url}: {e}")),
                    }
                }
                let mut all = all.lock().expect("load");
                all.stored += load.stored;
                all.failures.extend(load.failures);
                all.post.extend(load.post);
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("client");
    }
    let mut load = std::mem::take(&mut *all.lock().expect("load"));
    load.elapsed = started.elapsed();
    load
}

/// p-th percentile (nearest rank) in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

struct Page {
    what: &'static str,
    path: String,
    /// text a real page holds (the unit's name): an error page cannot pass
    must_hold: String,
    goal_ms: f64,
}

fn measure(url: &str, reads: usize) -> Vec<String> {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = env_number("SKM_BENCH_WORKERS").unwrap_or(cpus);
    let pool_size = env_number("SKM_BENCH_POOL_SIZE").unwrap_or(workers + 4) as u32;
    let clients = env_number("SKM_BENCH_CLIENTS").unwrap_or(16);
    let nice = std::env::var("SKM_BENCH_CLIENT_NICE")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .map_or(0, |n| n.clamp(0, 19));
    let database = TestDb::kept(url, "postgres");
    let app = TestApp::spawn_with(&database, |config| {
        // the form cache as `skm serve` has it (the tests turn it off)
        config.form_cache_ms = common::serve_defaults().form_cache_ms;
        config.workers = workers;
        config.pool_size = pool_size;
        config.rate_limit_per_minute = 1_000_000_000;
        config.trusted_proxies = vec![std::net::Ipv4Addr::LOCALHOST.into()];
    });
    let mut conn = app.conn();
    // what is read: the largest province's first regency, that province, the nation
    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Text)]
        slug: String,
        #[diesel(sql_type = Text)]
        name: String,
    }
    let c = pg(&mut conn);
    let province: Named = diesel::sql_query(format!(
        "SELECT id, slug, name FROM units WHERE kind = 'province' AND slug = '{}'",
        slug_of("Jawa Timur")
    ))
    .get_result(c)
    .expect("province");
    let regency: Named = diesel::sql_query(format!(
        "SELECT id, slug, name FROM units WHERE parent_id = {} AND kind = 'regency' ORDER BY id LIMIT 1",
        province.id
    ))
    .get_result(c)
    .expect("regency");
    let below: i64 = count(c, &format!("SELECT COUNT(*) AS n FROM units u JOIN units o ON o.id = u.parent_id WHERE u.parent_id = {0} OR o.parent_id = {0}", regency.id));
    // where citizens submit during the run: the regency's OPDs, with two services each
    let targets: Vec<Named> = diesel::sql_query(format!(
        "SELECT id, slug, name FROM units WHERE parent_id = {} AND kind = 'opd' ORDER BY id LIMIT 8",
        regency.id
    ))
    .load(c)
    .expect("opds");
    for target in &targets {
        let has = count(pg(&mut conn), &format!("SELECT COUNT(*) AS n FROM services WHERE unit_id = {}", target.id));
        if has == 0 {
            for (slug, name) in [("ktp-el", "KTP elektronik"), ("akta-lahir", "Akta kelahiran")] {
                skm::db::units::add_service(&mut conn, target.id, &Slug::parse(slug).expect("slug"), name)
                    .expect("service");
            }
        }
    }
    let slugs: Vec<String> = targets.iter().map(|t| t.slug.clone()).collect();
    let email = "nasional@example.go.id";
    let c = pg(&mut conn);
    if count(c, &format!("SELECT COUNT(*) AS n FROM users WHERE email = '{email}'")) == 0 {
        let hash = skm::password::hash(common::PASSWORD).expect("hash");
        let admin = skm::db::users::NewUser {
            email,
            name: "Admin nasional",
            password_hash: &hash,
            role: Role::Admin,
            unit_ids: &[],
        };
        skm::db::users::create(&mut conn, &admin).expect("admin");
    }
    drop(conn);
    let cookie = app.login(email, common::PASSWORD).expect("login");
    let period = YEAR.to_string();
    let pages = [
        Page {
            what: "regency dashboard",
            path: format!("/dasbor/unit/{}?period={period}&sub=1", regency.slug),
            must_hold: regency.name.clone(),
            goal_ms: 100.0,
        },
        Page {
            what: "province overview",
            path: format!("/dasbor/wilayah/{}?period={period}", province.slug),
            must_hold: regency.name.clone(),
            goal_ms: 300.0,
        },
        Page {
            what: "national ranking",
            path: format!("/dasbor/wilayah/indonesia?period={period}"),
            must_hold: province.name.clone(),
            goal_ms: 1000.0,
        },
    ];
    let mut lines = vec![format!(
        "app: {workers} actix workers, pool of {pool_size}; submitting threads at nice {nice}; pages read as a deployment admin (no units), period {period} \
         (the whole year: the widest standard period); regency {} ({} units below it), province {}",
        regency.name, below, province.name
    )];
    // warm: every page once, checked
    for page in &pages {
        let reply = app.get_as(&cookie, &page.path);
        assert!(
            reply.status == 200 && reply.body.contains(&page.must_hold),
            "{} {}: HTTP {} without '{}'",
            page.what,
            page.path,
            reply.status,
            page.must_hold
        );
    }

    // saturation: closed loop
    let base = format!("http://{}", app.addr);
    let submissions = env_number("SKM_BENCH_SUBMISSIONS").unwrap_or(1000);
    let closed = submit(&base, &slugs, clients, submissions, None, Arc::new(AtomicBool::new(false)), nice);
    let saturation = closed.stored as f64 / closed.elapsed.as_secs_f64();
    lines.push(format!(
        "saturation (closed loop, {clients} clients, GET form + POST): {} submissions in {:.1} s = {saturation:.0}/s; {} failed",
        closed.stored,
        closed.elapsed.as_secs_f64(),
        closed.failures.len()
    ));
    println!("[national] {}", lines.last().expect("line"));
    let offered = env_number("SKM_BENCH_RATE").map_or((saturation / 2.0).max(1.0), |r| r as f64);

    // open loop at half of it, during the reads
    let mut rng = Rng::new(3);
    let mut at = 0.0;
    let slots = (offered * 3600.0) as usize;
    let due: Vec<Duration> = (0..slots)
        .map(|_| {
            at += -(1.0 - rng.unit()).ln() / offered;
            Duration::from_secs_f64(at)
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = {
        let (base, slugs, stop) = (base.clone(), slugs.clone(), stop.clone());
        std::thread::spawn(move || submit(&base, &slugs, clients, slots, Some(Arc::new(due)), stop, nice))
    };
    std::thread::sleep(Duration::from_secs(2));
    let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
    let mut bytes = vec![0usize; pages.len()];
    for _ in 0..reads {
        for (i, page) in pages.iter().enumerate() {
            let t = Instant::now();
            let reply = app.get_as(&cookie, &page.path);
            timings[i].push(t.elapsed());
            assert!(
                reply.status == 200 && reply.body.contains(&page.must_hold),
                "{} {}: HTTP {} without '{}'",
                page.what,
                page.path,
                reply.status,
                page.must_hold
            );
            bytes[i] = reply.body.len();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut open = writers.join().expect("writers");
    open.post.sort();
    lines.push(format!(
        "open loop during the reads: {offered:.0} submissions/s offered (Poisson), {} stored in {:.1} s ({:.0}/s), {} \
         failed; POST p50 {:.1} ms, p99 {:.1} ms (from the scheduled time)",
        open.stored,
        open.elapsed.as_secs_f64(),
        open.stored as f64 / open.elapsed.as_secs_f64(),
        open.failures.len(),
        percentile(&open.post, 0.5),
        percentile(&open.post, 0.99)
    ));
    for failure in open.failures.iter().chain(&closed.failures).take(3) {
        lines.push(format!("  failure: {failure}"));
    }
    for (i, page) in pages.iter().enumerate() {
        timings[i].sort();
        let (p50, p95) = (percentile(&timings[i], 0.5), percentile(&timings[i], 0.95));
        lines.push(format!(
            "{} (GET {}, {} kB, every reply 200 with '{}'): p50 {p50:.1} ms, p95 {p95:.1} ms over {reads} reads; goal < {:.0} ms: {}",
            page.what,
            page.path,
            bytes[i] / 1024,
            page.must_hold,
            page.goal_ms,
            verdict(p95 < page.goal_ms)
        ));
    }
    lines
}

fn main() {
    use std::io::IsTerminal;
    // the generator's progress: a bar on a terminal, else a log line every few seconds
    let _ =
        tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal()).try_init();
    let admin_url = std::env::var("SKM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
    let url = format!("{base}/{DATABASE}");
    let scale: f64 = std::env::var("SKM_BENCH_SCALE").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(1.0);
    assert!(scale > 0.0, "SKM_BENCH_SCALE must be above 0");
    let reads = env_number("SKM_BENCH_READS").unwrap_or(50);
    let config = common::test_config(&url);
    let rebuild = std::env::var("SKM_BENCH_REBUILD").is_ok_and(|v| v == "1");
    let steps = match marker(&url) {
        Some(m) if !rebuild && (m.scale - scale).abs() < 1e-9 => {
            println!(
                "[national] reusing the dataset of {DATABASE} (scale {scale}; SKM_BENCH_REBUILD=1 makes it again)"
            );
            // a dataset made by an older skm gets the migrations added since, as `skm serve` would
            let pool = db::open_pool(&url, 1, Duration::from_secs(60)).expect("pool");
            db::migrate(&mut pool.get().expect("connection")).expect("migrate");
            m.steps
        }
        _ => {
            println!("[national] generating {DATABASE} at scale {scale} (a half-made or other-scale one is dropped)");
            generate(&admin_url, &url, scale, &config)
        }
    };
    let mut lines: Vec<String> = steps.lines().map(|l| format!("generation: {l}")).collect();
    lines.push(prove(&url));
    println!("[national] {}", lines.last().expect("line"));
    let mut conn = PgConnection::establish(&url).expect("connect");
    let raw = count(&mut conn, "SELECT COUNT(*) AS n FROM responses");
    let year = count(&mut conn, "SELECT CAST(SUM(responses) AS BIGINT) AS n FROM daily_response_totals");
    lines.push(format!(
        "dataset at scale {scale}: {UNITS} units (38 provinces, {REGENCIES} regencies and cities), {raw} raw responses, \
         {year} responses in the year's daily totals"
    ));
    for size in sizes(&mut conn) {
        lines.push(format!(
            "  {}: {} rows, {:.1} MiB (pg_total_relation_size, with its partitions)",
            size.name,
            size.rows,
            size.bytes as f64 / 1_048_576.0
        ));
    }
    // The generation and the proof leave gigabytes of dirty pages; right after them the
    // checkpointer and autovacuum wrote while the pages were read (POST p99 618 ms, page p95s
    // three times those of the next run), which measures the bench's own load, not skm's.
    if let Err(e) = conn.batch_execute("CHECKPOINT") {
        lines.push(format!("no CHECKPOINT before the measurements ({e}): the first run may be slower"));
    }
    lines.extend(measure(&url, reads));
    println!();
    for line in lines {
        println!("[national] {line}");
    }
}
