//! SQLite's group commit (`db::group_commit`, issue 21 point 5): submissions arriving together
//! share one transaction, each in its own savepoint, each answered after the commit with its own
//! outcome; with `group_commit_max = 0` each commits on its own, as before.

use crate::common;

use common::{filled, token_of, TestApp, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use skm::db::group_commit::{GroupCommit, Settings};
use skm::db::responses::{Guards, NewResponse, StoreError};
use skm::db::schema::responses;
use skm::domain::names::Channel;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

fn response_count(app: &TestApp) -> i64 {
    responses::table.count().get_result(&mut app.conn()).expect("count")
}

/// The app on a fresh SQLite file, every POST from one address with the per-client limit raised.
fn app(group_commit_max: u32) -> TestApp {
    TestApp::spawn_with(&TestDb::sqlite(), |config| {
        config.rate_limit_per_minute = 10_000;
        config.group_commit_max = group_commit_max;
    })
}

fn tokens(app: &TestApp, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let (status, html) = app.get("/s/disdukcapil");
            assert_eq!(status, 200);
            token_of(&html)
        })
        .collect()
}

/// POSTs each form at once from its own thread; the statuses in the same order.
fn post_all(app: &TestApp, forms: Vec<String>) -> Vec<u16> {
    let url = app.url("/s/disdukcapil");
    let threads: Vec<_> = forms
        .into_iter()
        .map(|token| {
            let url = url.clone();
            std::thread::spawn(move || {
                let fields = filled(&token);
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                match common::agent().post(&url).send_form(pairs) {
                    Ok(reply) => reply.status().as_u16(),
                    Err(e) => panic!("POST: {e}"),
                }
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().expect("client")).collect()
}

#[test]
fn concurrent_submissions_are_each_stored_once_and_a_spent_token_is_refused_beside_them() {
    let app = app(64);
    assert!(app.writer.is_on(), "SQLite writes through the group commit by default");
    common::seed_service_unit(&app, "disdukcapil");
    let tokens = tokens(&app, 24);
    let spent = tokens[0].clone();
    assert_eq!(app.post_form("/s/disdukcapil", &filled(&spent)).status, 303);

    // 23 fresh forms, the spent one again, and one fresh form sent twice at once
    let mut forms: Vec<String> = tokens[1..].to_vec();
    forms.push(spent);
    forms.push(tokens[1].clone());
    let statuses = post_all(&app, forms);
    assert!(statuses[1..23].iter().all(|s| *s == 303), "every other fresh form is stored: {statuses:?}");
    assert_eq!(statuses[23], 409, "the spent token is refused");
    let twice = [statuses[0], statuses[24]];
    assert!(twice.contains(&303) && twice.contains(&409), "one of a form sent twice is stored: {twice:?}");
    assert_eq!(response_count(&app), 24, "each stored exactly once");

    let counts = app.writer.counts().expect("the writer's counts");
    assert_eq!(counts.submitted.load(Ordering::Relaxed), 26, "every post that reached the store went through it");
    assert_eq!(counts.written.load(Ordering::Relaxed), 26, "and was written in a committed transaction");
    assert!(counts.commits.load(Ordering::Relaxed) <= 26);
    app.stop();
}

#[test]
fn with_group_commit_off_each_submission_commits_on_its_own() {
    let app = app(0);
    assert!(!app.writer.is_on());
    assert!(app.writer.counts().is_none());
    common::seed_service_unit(&app, "disdukcapil");
    let tokens = tokens(&app, 8);
    let mut forms = tokens.clone();
    forms.push(tokens[0].clone());
    let statuses = post_all(&app, forms);
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 8, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 1, "{statuses:?}");
    assert_eq!(response_count(&app), 8);
    app.stop();
}

/// The common post (the unit's form kept by the form cache, a valid token) is checked on the
/// actix worker and only its write is queued for the writer: it is stored while every pooled
/// connection is held elsewhere. A post that path does not take (invalid) needs a connection,
/// and one it refuses (replayed) is still counted against the client's limit.
#[test]
fn a_kept_forms_post_is_stored_without_a_pooled_connection_and_refusals_still_count() {
    let app = TestApp::spawn_with(&TestDb::sqlite(), |config| {
        config.form_cache_ms = 60_000;
        config.pool_size = 1;
        config.group_commit_max = 4;
        config.pool_timeout_ms = 300;
        config.rate_limit_per_minute = 100;
    });
    common::seed_service_unit(&app, "disdukcapil");
    // the GETs read the form and keep it
    let tokens = tokens(&app, 2);
    // the limit counts per minute: not across a minute's turn
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 45 {
        std::thread::sleep(Duration::from_secs((61 - second) as u64));
    }
    let held: Vec<_> =
        (0..app.config.pool_connections()).map(|_| app.pool.get().expect("a pooled connection")).collect();
    let stored = app.post_form("/s/disdukcapil", &filled(&tokens[0]));
    assert_eq!(stored.status, 303, "stored with no pooled connection free: {}", stored.body);
    let mut invalid = filled(&tokens[1]);
    invalid.retain(|(name, _)| name != "U5");
    let waited = app.post_form("/s/disdukcapil", &invalid);
    assert_eq!(waited.status, 503, "an invalid post is checked on a connection, and none is free");
    assert!(waited.body.contains("Ruang tunggu perlu kipas angin"), "the answers come back");
    drop(held);

    assert_eq!(app.post_form("/s/disdukcapil", &filled(&tokens[0])).status, 409, "a spent token is refused");
    let refused = app.post_form("/s/disdukcapil", &invalid);
    assert_eq!(refused.status, 422, "the invalid post, with a connection: {}", refused.body);
    assert_eq!(response_count(&app), 1);
    let hits: Vec<i32> = skm::db::schema::rate_limits::table
        .select(skm::db::schema::rate_limits::hits)
        .load(&mut app.conn())
        .expect("counts");
    assert_eq!(
        hits,
        vec![3],
        "the stored post, the replayed one and the invalid one count; the one not checked does not"
    );
    let counts = app.writer.counts().expect("the writer's counts");
    assert_eq!(counts.submitted.load(Ordering::Relaxed), 2, "the stored and the replayed post reached the writer");
    app.stop();
}

#[test]
fn postgres_keeps_one_transaction_per_submission() {
    let settings = Settings { max_batch: 64, window: Duration::ZERO };
    // no connection is opened for PostgreSQL: the requests' own connections write
    let writer = GroupCommit::start("postgres://nobody@127.0.0.1:1/none", settings).expect("direct");
    assert!(!writer.is_on());
}

/// A SQLite database with a unit and its services, for a writer started by the test itself: the
/// database, its pool, the unit, its services and the current template version.
fn writer_fixture() -> (TestDb, skm::db::Pool, i32, [i32; 2], i32) {
    let database = TestDb::sqlite();
    let pool = database.pool();
    let mut conn = pool.get().expect("connection");
    let (unit, services) = common::create_service_unit(&mut conn, "disdukcapil");
    let registry = common::registry(&mut conn);
    let (version, _) = registry.current(skm::domain::template::DEFAULT_TEMPLATE).expect("default template");
    drop(conn);
    (database, pool, unit, services, version)
}

/// Submissions that queue while the writer waits for the database share one commit, and one
/// refused in that batch (its token spent by a batch-mate) rolls back only itself.
#[test]
fn submissions_queued_together_share_one_commit() {
    let (database, pool, unit, services, version) = writer_fixture();

    let settings = Settings { max_batch: 64, window: Duration::ZERO };
    let writer = Arc::new(GroupCommit::start(&database.url, settings).expect("writer"));
    // another connection holds the write lock: the writer's first batch waits for it, and the
    // rest queue behind
    let mut lock = skm::db::Manager::new(&database.url).connect_now().expect("connect");
    lock.batch_execute("BEGIN IMMEDIATE").expect("lock");

    let nonces = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n6"];
    let today = chrono::Utc::now().date_naive();
    let threads: Vec<_> = nonces
        .into_iter()
        .enumerate()
        .map(|(i, nonce)| {
            let (writer, url) = (writer.clone(), database.url.clone());
            std::thread::spawn(move || {
                // two services, two days (one in the month before), scores 1–4: the batch's
                // totals fall on several (day, service) rows and months
                let day = if i % 3 == 0 { today - chrono::Duration::days(40) } else { today };
                let mut response = NewResponse {
                    service_id: Some(services[i % 2]),
                    channel: Channel::Web,
                    submitted_at: chrono::Utc::now().naive_utc(),
                    ..common::paper_response(unit, version, day, 4)
                };
                for (k, answer) in response.answers.iter_mut().enumerate() {
                    answer.1 = 1 + ((i + k) % 4) as i32;
                }
                let guards = Guards { token_nonce: Some(nonce), ..Guards::default() };
                // not used by the writer; its own, as a pool of 4 would not serve 8 waiting threads
                let mut conn = skm::db::Manager::new(&url).connect_now().expect("connect");
                writer.insert_submission(&mut conn, &response, &[], &guards, Default::default())
            })
        })
        .collect();
    let counts = writer.counts().expect("counts");
    while counts.submitted.load(Ordering::Relaxed) < nonces.len() as u64 {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(counts.commits.load(Ordering::Relaxed), 0, "nothing commits while the lock is held");
    lock.batch_execute("COMMIT").expect("unlock");

    let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().expect("submitter")).collect();
    let stored = outcomes.iter().filter(|o| matches!(o, Ok(false))).count();
    let spent = outcomes.iter().filter(|o| matches!(o, Err(StoreError::TokenUsed))).count();
    assert_eq!((stored, spent), (7, 1), "{outcomes:?}");
    // the batch the writer had taken when it met the lock, then everything queued behind it
    let commits = counts.commits.load(Ordering::Relaxed);
    assert!((1..=2).contains(&commits), "{commits} commits for 8 submissions queued together");
    assert_eq!(counts.written.load(Ordering::Relaxed), 8);
    let mut conn = pool.get().expect("connection");
    let rows: i64 = responses::table.count().get_result(&mut conn).expect("count");
    assert_eq!(rows, 7);

    // the batch's totals were summed in memory and written once: they equal a rebuild from the
    // stored rows (the refused submission counted nowhere)
    let kept = totals_of(&mut conn);
    let counted: i64 = kept.iter().filter(|row| row.0 == "daily_response_totals").map(|row| row.3).sum();
    assert_eq!(counted, 7, "{kept:#?}");
    skm::db::totals::rebuild(&mut conn, &mut skm::db::progress::Silent).expect("rebuild");
    assert_eq!(kept, totals_of(&mut conn), "the group commit's totals differ from a rebuild");
}

/// Every row of the four totals tables as (table, key, element, count, sum; mean sums as text
/// rounded to 9 places), ordered.
fn totals_of(conn: &mut skm::db::DbConnection) -> Vec<(String, String, String, i64, String)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        k: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        e: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    let sql = "SELECT 'daily_element_totals' AS t, unit_id || '/' || survey_date || '/' || template_version_id || '/' || service_id AS k, \
                      element_code AS e, CAST(answer_count AS BIGINT) AS n, CAST(score_sum AS TEXT) AS s FROM daily_element_totals \
               UNION ALL SELECT 'monthly_element_totals', unit_id || '/' || month || '/' || template_version_id || '/' || service_id, \
                      element_code, answer_count, CAST(score_sum AS TEXT) FROM monthly_element_totals \
               UNION ALL SELECT 'daily_response_totals', unit_id || '/' || survey_date || '/' || template_version_id || '/' || service_id, \
                      '', responses, printf('%.9f %.9f', mean_sum, mean_square_sum) FROM daily_response_totals \
               UNION ALL SELECT 'monthly_response_totals', unit_id || '/' || month || '/' || template_version_id || '/' || service_id, \
                      '', responses, printf('%.9f %.9f', mean_sum, mean_square_sum) FROM monthly_response_totals \
               ORDER BY 1, 2, 3";
    let skm::db::DbConnection::Sqlite(sqlite) = conn else { unreachable!("the group commit is SQLite's") };
    diesel::sql_query(sql).load::<Row>(sqlite).expect("totals").into_iter().map(|r| (r.t, r.k, r.e, r.n, r.s)).collect()
}

/// The writer's connection never checkpoints in its commits (`wal_autocheckpoint = 0`); the
/// checkpointer thread copies the WAL into the database file beside it, within a second. Without
/// it the file would stay as it was and the WAL would grow without end.
#[test]
fn the_checkpointer_copies_the_writers_commits_into_the_database_file() {
    let (database, pool, unit, services, version) = writer_fixture();
    let mut conn = pool.get().expect("connection");
    let file = std::path::PathBuf::from(&database.url);
    let modified = || std::fs::metadata(&file).and_then(|m| m.modified()).expect("the database file's time");

    let writer = GroupCommit::start(&database.url, Settings { max_batch: 64, window: Duration::ZERO }).expect("writer");
    let submit = |conn: &mut skm::db::DbConnection, nonce: String| {
        let response = NewResponse {
            service_id: Some(services[0]),
            channel: Channel::Web,
            submitted_at: chrono::Utc::now().naive_utc(),
            ..common::paper_response(unit, version, chrono::Utc::now().date_naive(), 4)
        };
        let guards = Guards { token_nonce: Some(&nonce), ..Guards::default() };
        writer.insert_submission(conn, &response, &[], &guards, Default::default()).expect("stored");
    };
    for n in 0..40 {
        submit(&mut conn, format!("n{n}"));
    }
    // the last commit comes well after this mark (the file's clock is coarse), so only a
    // checkpoint after it can leave the file newer than the mark
    let mark = std::time::SystemTime::now();
    std::thread::sleep(Duration::from_millis(50));
    submit(&mut conn, "last".into());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while modified() <= mark && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(modified() > mark, "no checkpoint wrote the last commit into the database file within 5 s");
    let rows: i64 = responses::table.count().get_result(&mut conn).expect("count");
    assert_eq!(rows, 41);
}
