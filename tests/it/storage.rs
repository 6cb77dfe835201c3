//! Storage on every backend: migrations, the unit tree, template versions, atomic responses and
//! aggregation by the database that equals the CSV arithmetic.

use crate::common;

use chrono::NaiveDate;
use common::{backends, data};
use skm::catalog::Catalog;
use skm::db::aggregate::{self, Grouping, Scope};
use skm::db::responses::{self, NewResponse};
use skm::db::{self, templates, units, DbConnection, DbError};
use skm::domain::ikm;
use skm::domain::names::{Channel, Slug, UnitKind};
use skm::domain::period::Period;
use skm::sheets::csv;

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("slug")
}

fn add_unit(conn: &mut DbConnection, s: &str, parent: Option<i32>) -> units::Unit {
    units::create(
        conn,
        &units::NewUnit {
            slug: &slug(s),
            name: s,
            kind: UnitKind::Opd,
            parent_id: parent,
            contact_emails: &[],
            template_id: None,
        },
    )
    .expect("create unit")
}

/// A unit, the default questionnaire's version and a survey date, for single responses.
fn unit_with_default_template(conn: &mut DbConnection) -> (units::Unit, i32, NaiveDate) {
    let unit = add_unit(conn, "kecamatan", None);
    let template = Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("template");
    let version = templates::ensure_version(conn, &template).expect("version");
    (unit, version, NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"))
}

fn response(
    unit_id: i32,
    service_id: Option<i32>,
    version: i32,
    date: NaiveDate,
    scores: &[Option<u32>],
) -> NewResponse {
    NewResponse {
        id: uuid::Uuid::now_v7(),
        unit_id,
        service_id,
        template_version_id: version,
        channel: Channel::Paper,
        submitted_at: chrono::Utc::now().naive_utc(),
        survey_date: date,
        gender: Some("P".into()),
        age: Some(30),
        education: None,
        occupation: None,
        profile_extra: None,
        saran: None,
        client_hash: None,
        answers: scores.iter().enumerate().filter_map(|(i, s)| s.map(|s| (format!("U{}", i + 1), s as i32))).collect(),
    }
}

#[test]
fn the_database_totals_equal_the_csv_arithmetic() {
    let catalog = Catalog::load(None).expect("templates");
    let template = catalog.get("permenpanrb-14-2017").expect("default");
    let rows = csv::parse(&template, std::fs::File::open(data("vector-a-29.csv")).expect("vector")).expect("valid");
    let expected = ikm::compute(&template, &csv::tally(&template, &rows), None);

    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let regency = add_unit(&mut conn, "kutim", None);
        let dinas = add_unit(&mut conn, "disdukcapil", Some(regency.id));
        let other = add_unit(&mut conn, "dinkes", Some(regency.id));
        let ktp = units::add_service(&mut conn, dinas.id, &slug("ktp"), "KTP-el").expect("service");
        let akta = units::add_service(&mut conn, dinas.id, &slug("akta"), "Akta kelahiran").expect("service");
        let version = templates::ensure_version(&mut conn, &template).expect("version");
        assert_eq!(templates::ensure_version(&mut conn, &template).expect("same version"), version);

        let october = NaiveDate::from_ymd_opt(2026, 10, 15).expect("date");
        for (i, row) in rows.iter().enumerate() {
            let service = if i % 2 == 0 { ktp.id } else { akta.id };
            responses::insert(&mut conn, &response(dinas.id, Some(service), version, october, &row.scores))
                .expect("insert");
        }
        // noise that must not count: another unit, another month
        let november = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        responses::insert(&mut conn, &response(dinas.id, Some(ktp.id), version, november, &[Some(1); 9]))
            .expect("insert");
        responses::insert(&mut conn, &response(other.id, None, version, october, &[Some(1); 9])).expect("insert");

        let versions = templates::version_ids(&mut conn, &template.id).expect("versions");
        let scope = Scope {
            unit_ids: &[dinas.id],
            service_id: None,
            template_version_ids: &versions,
            period: "2026-10".parse().expect("period"),
        };
        let pooled = aggregate::totals(&mut conn, &scope, Grouping::All).expect("totals");
        assert_eq!(pooled.len(), 1, "{}", database.name);
        let result = ikm::compute(&template, &pooled[0].tally(&template), None);
        assert_eq!(result.index, expected.index, "{}", database.name);
        assert_eq!(result.index.map(|v| v.to_string()).as_deref(), Some("91.48"));
        assert_eq!(result.elements, expected.elements);
        let (got, want) = (result.interval.expect("interval"), expected.interval.clone().expect("interval"));
        assert_eq!((got.lower, got.upper), (want.lower, want.upper), "{}", database.name);

        let by_service = aggregate::totals(&mut conn, &scope, Grouping::Service).expect("by service");
        assert_eq!(by_service.iter().map(|g| g.responses).sum::<u64>(), 29);
        assert_eq!(by_service.len(), 2);
        let ktp_only = Scope { service_id: Some(ktp.id), ..scope.clone() };
        assert_eq!(aggregate::totals(&mut conn, &ktp_only, Grouping::All).expect("ktp")[0].responses, 15);

        let subtree = units::subtree_ids(&mut conn, regency.id).expect("tree");
        assert_eq!(subtree.len(), 3);
        let whole = Scope { unit_ids: &subtree, ..scope.clone() };
        let by_unit = aggregate::totals(&mut conn, &whole, Grouping::Unit).expect("by unit");
        let counts: Vec<(Option<i32>, u64)> = by_unit.iter().map(|g| (g.key, g.responses)).collect();
        assert_eq!(counts, [(Some(dinas.id), 29), (Some(other.id), 1)], "{}", database.name);

        let months: Vec<Period> =
            ["2026-09", "2026-10", "2026-11"].iter().map(|p| p.parse().expect("period")).collect();
        let trend = aggregate::totals_by_period(&mut conn, &scope, &months).expect("trend");
        let per_month: Vec<u64> = trend.iter().map(|(_, t)| t.responses).collect();
        assert_eq!(per_month, [0, 29, 1]);
        // three or more periods of whole months are read in one pass by month: overlapping ones
        // (a year, a quarter, its months) sum to what each reads on its own, element by element
        let whole_scope = Scope { unit_ids: &subtree, ..scope.clone() };
        let periods: Vec<Period> =
            ["2026", "2026-Q4", "2026-10", "2026-11"].iter().map(|p| p.parse().expect("period")).collect();
        let together = aggregate::totals_by_period(&mut conn, &whole_scope, &periods).expect("together");
        for (period, totals) in &together {
            let alone = aggregate::totals_by_period(&mut conn, &whole_scope, &[*period]).expect("alone");
            assert_eq!(totals.responses, alone[0].1.responses, "{}: {period}", database.name);
            assert_eq!(totals.elements, alone[0].1.elements, "{}: {period}", database.name);
            let (a, b) = (&totals.dispersion, &alone[0].1.dispersion);
            assert!(a.n == b.n && (a.sum - b.sum).abs() < 1e-9 && (a.sum_squares - b.sum_squares).abs() < 1e-9);
        }
        let sizes: Vec<u64> = together.iter().map(|(_, t)| t.responses).collect();
        assert_eq!(sizes, [31, 31, 30, 1], "{}", database.name);

        // whole months are read from the monthly totals, any other range of days from the daily
        // ones: the same responses give the same sums either way
        let day = |d: u32, m: u32| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        let read = |conn: &mut DbConnection, period: Period| {
            let mut totals =
                aggregate::totals_by_period(conn, &Scope { period, ..scope.clone() }, &[period]).expect("totals");
            totals.pop().expect("one period").1
        };
        let october_by_month = read(&mut conn, "2026-10".parse().expect("period"));
        let october_by_days = read(&mut conn, Period::Range { from: day(2, 10), to: day(30, 10) });
        let both_by_days = read(&mut conn, Period::Range { from: day(15, 10), to: day(1, 11) });
        let both_by_months = read(&mut conn, Period::Range { from: day(1, 10), to: day(30, 11) });
        assert_eq!(october_by_month.responses, 29, "{}", database.name);
        assert_eq!(october_by_month.elements, october_by_days.elements, "{}", database.name);
        assert_eq!(october_by_month.responses, october_by_days.responses, "{}", database.name);
        assert_eq!(both_by_days.responses, 30, "{}", database.name);
        assert_eq!(both_by_days.elements, both_by_months.elements, "{}", database.name);
        let (a, b) = (&both_by_days.dispersion, &both_by_months.dispersion);
        assert!(a.n == b.n && (a.sum - b.sum).abs() < 1e-9 && (a.sum_squares - b.sum_squares).abs() < 1e-9);
    }
}

#[test]
fn a_response_over_the_clients_limit_is_refused_and_leaves_nothing_behind() {
    use responses::{Guards, RateGuard, StoreError};
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let name = database.name;
        let (unit, version, date) = unit_with_default_template(&mut conn);
        let guards = |nonce: &'static str| Guards {
            token_nonce: Some(nonce),
            rate_limit: Some(RateGuard { key: "submit klien", window_start: 1_800_000_000, limit: 1 }),
            ..Guards::default()
        };
        let first = response(unit.id, None, version, date, &[Some(4); 9]);
        assert!(responses::insert_guarded(&mut conn, &first, &guards("n1")).is_ok(), "{name}: within the limit");
        let second = response(unit.id, None, version, date, &[Some(3); 9]);
        let refused = responses::insert_guarded(&mut conn, &second, &guards("n2"));
        assert!(matches!(refused, Err(StoreError::RateLimited)), "{name}: over the limit");
        assert_eq!(responses::count_for_units(&mut conn, &[unit.id]).expect("count"), 1, "{name}");
        // the refused one spent neither its token nor a count: the counter stays at the limit
        let spent: i64 = {
            use diesel::prelude::*;
            skm::db::schema::used_form_tokens::table.count().get_result(&mut conn).expect("count")
        };
        assert_eq!(spent, 1, "{name}");
        assert_eq!(db::rate_limits::hit(&mut conn, "submit klien", 1_800_000_000).expect("hit"), 2, "{name}");
    }
}

#[test]
fn a_failed_response_leaves_nothing_behind() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let (unit, version, date) = unit_with_default_template(&mut conn);
        let mut bad = response(unit.id, None, version, date, &[Some(4); 9]);
        bad.answers.push(("U1".into(), 3)); // duplicate key: the second answer insert fails
        assert!(responses::insert(&mut conn, &bad).is_err(), "{}", database.name);
        assert_eq!(responses::count_for_units(&mut conn, &[unit.id]).expect("count"), 0, "{}", database.name);
    }
}

#[test]
fn units_are_unique_and_populations_update() {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let unit = add_unit(&mut conn, "puskesmas", None);
        let again = units::create(
            &mut conn,
            &units::NewUnit {
                slug: &slug("puskesmas"),
                name: "x",
                kind: UnitKind::Opd,
                parent_id: None,
                contact_emails: &[],
                template_id: None,
            },
        );
        assert!(matches!(again, Err(DbError::Conflict(ref m)) if m.contains("puskesmas")), "{}", database.name);
        units::set_population(&mut conn, unit.id, "2026", 5000).expect("set");
        units::set_population(&mut conn, unit.id, "2026", 6000).expect("update");
        assert_eq!(units::population(&mut conn, unit.id, "2026").expect("read"), Some(6000));
        assert_eq!(units::population(&mut conn, unit.id, "2025").expect("read"), None);
        assert!(db::migrations_current(&mut conn).expect("check"));
    }
}

#[test]
fn a_unit_comes_with_its_active_services_in_name_order() {
    use diesel::prelude::*;
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let name = database.name;
        let bare = add_unit(&mut conn, "kecamatan", None);
        let (unit, services) = units::with_active_services(&mut conn, "kecamatan").expect("found");
        assert_eq!((unit.id, services.len()), (bare.id, 0), "{name}: a unit without services");
        let unit = add_unit(&mut conn, "disdukcapil", None);
        let akta = units::add_service(&mut conn, unit.id, &slug("akta"), "Akta kelahiran").expect("service");
        let ktp = units::add_service(&mut conn, unit.id, &slug("ktp"), "KTP elektronik").expect("service");
        let kia = units::add_service(&mut conn, unit.id, &slug("kia"), "Kartu identitas anak").expect("service");
        diesel::update(skm::db::schema::services::table.find(kia.id))
            .set(skm::db::schema::services::active.eq(false))
            .execute(&mut conn)
            .expect("deactivate");
        let (found, services) = units::with_active_services(&mut conn, "disdukcapil").expect("found");
        assert_eq!(found.id, unit.id, "{name}");
        let ids: Vec<i32> = services.iter().map(|s| s.id).collect();
        assert_eq!(ids, [akta.id, ktp.id], "{name}: the inactive one left out, by name");
        assert!(matches!(units::with_active_services(&mut conn, "tidak-ada"), Err(DbError::NotFound)), "{name}");
        assert!(matches!(units::with_active_services(&mut conn, "%00"), Err(DbError::NotFound)), "{name}");
    }
}

#[test]
fn sqlite_takes_concurrent_writers_without_locking_errors() {
    let database = common::TestDb::sqlite();
    let pool = database.pool();
    let template = Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("template");
    let (unit_id, version) = {
        let mut conn = pool.get().expect("connection");
        (add_unit(&mut conn, "loket", None).id, templates::ensure_version(&mut conn, &template).expect("version"))
    };
    let date = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let mut conn = pool.get().expect("connection");
                    responses::insert(&mut conn, &response(unit_id, None, version, date, &[Some(3); 9]))
                        .expect("no lock error");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    let mut conn = pool.get().expect("connection");
    assert_eq!(responses::count_for_units(&mut conn, &[unit_id]).expect("count"), 200);
}

#[test]
fn postgres_connections_run_without_jit_and_responses_are_partitioned_by_month() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    for database in backends().into_iter().filter(|d| d.name == "postgres") {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let DbConnection::Postgres(pg) = &mut *conn else { unreachable!("a PostgreSQL pool") };
        let jit: Setting = diesel::sql_query("SELECT current_setting('jit') AS value").get_result(pg).expect("jit");
        assert_eq!(jit.value, "off", "the dashboards' sums are not worth compiling");
        let kind: Setting = diesel::sql_query(
            "SELECT CAST(partstrat AS TEXT) AS value FROM pg_partitioned_table WHERE partrelid = 'responses'::regclass",
        )
        .get_result(pg)
        .expect("responses is partitioned");
        assert_eq!(kind.value, "r", "by range (of survey_date)");
        // a response of a month with no partition yet waits in the default one, then moves
        let (unit, version, _) = unit_with_default_template(&mut conn);
        let old = NaiveDate::from_ymd_opt(2019, 3, 14).expect("date");
        responses::insert(&mut conn, &response(unit.id, None, version, old, &[Some(3); 9])).expect("insert");
        assert!(!db::partitions::months(&mut conn).expect("months").contains(&"2019-03".to_string()));
        let today = chrono::Utc::now().date_naive();
        assert!(db::partitions::maintain(&mut conn, today).expect("upkeep") >= 1);
        assert!(db::partitions::months(&mut conn).expect("months").contains(&"2019-03".to_string()));
        let DbConnection::Postgres(pg) = &mut *conn else { unreachable!("a PostgreSQL pool") };
        let moved: Setting = diesel::sql_query("SELECT CAST(COUNT(*) AS TEXT) AS value FROM responses_2019_03")
            .get_result(pg)
            .expect("count");
        assert_eq!(moved.value, "1");
        assert_eq!(db::partitions::maintain(&mut conn, today).expect("again"), 0, "nothing left to make");

        // while `skm archive` holds the months it removes, no row of theirs can slip in (it would
        // go with the dropped table unarchived); other months take responses as usual
        let mut other = pool.get().expect("second connection");
        {
            use diesel::connection::SimpleConnection;
            other.batch_execute("SET lock_timeout = '300ms'").expect("timeout");
        }
        conn.transaction(|conn| -> Result<(), DbError> {
            db::partitions::lock_months(conn, &["2019-03".to_string()])?;
            let late = response(unit.id, None, version, old, &[Some(2); 9]);
            let refused = responses::insert(&mut other, &late);
            assert!(refused.is_err(), "a row of a locked month waits (here: times out)");
            responses::insert(&mut other, &response(unit.id, None, version, today, &[Some(4); 9]))?;
            Ok(())
        })
        .expect("the lock's transaction");
    }
}
