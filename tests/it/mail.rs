//! Monthly summaries through a real SMTP server on loopback: content, exactly-once delivery
//! across failures and reruns, two instances on one database, the scheduler of `skm serve`, and
//! the commands.

use crate::common;

use crate::common::smtp;

use chrono::{DateTime, Datelike, Utc};
use common::{backends, skm, test_config, TestDb};
use skm::catalog::TemplateRegistry;
use skm::config::{Config, SmtpSecurity};
use skm::db::mail_log;
use skm::demo;
use skm::domain::period::Period;
use skm::mail::monthly::{self, Options, RunReport};
use skm::mail::scheduler::{Clock, Schedule, Scheduler, SchedulerHandle};
use skm::mail::Mailer;
use smtp::SmtpSink;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn config(database: &TestDb, sink: &SmtpSink) -> Config {
    let mut config = test_config(&database.url);
    config.mail.smtp_host = "127.0.0.1".into();
    config.mail.smtp_port = sink.port;
    config.mail.smtp_security = SmtpSecurity::None;
    config.mail.from = "SKM Kutai Timur <skm@kutaitimurkab.go.id>".into();
    config.mail.timeout_secs = 5;
    config.base_url = "https://skm.kutaitimurkab.go.id".into();
    config.timezone = chrono_tz::Asia::Makassar;
    config.mail.day = 1;
    config.mail.hour = 7;
    config
}

fn last_month() -> Period {
    Period::month_of(demo::today(chrono_tz::Asia::Makassar)).previous()
}

struct Setup {
    pool: skm::db::Pool,
    templates: TemplateRegistry,
}

fn seed(database: &TestDb) -> Setup {
    let pool = database.pool();
    let (versions, _) = common::seed_demo(&mut pool.get().expect("connection"), 1200, 5);
    Setup { pool, templates: versions }
}

fn run(setup: &Setup, config: &Config, holder: &str) -> RunReport {
    let mailer = Mailer::smtp(&config.mail).expect("mailer");
    let options = Options {
        period: last_month(),
        unit: None,
        zone: None,
        dry_run: false,
        retry_delays: vec![Duration::from_millis(10)],
        holder: holder.into(),
    };
    monthly::run(&setup.pool, &setup.templates, config, &mailer, &options).expect("run")
}

/// Recipient → how many messages reached them.
fn per_recipient(sink: &SmtpSink) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in sink.messages() {
        for to in m.to {
            *counts.entry(to).or_default() += 1;
        }
    }
    counts
}

const RECIPIENTS: [&str; 3] = [
    "admin@demo.kutaitimurkab.go.id",
    "kepala.dinkes@demo.kutaitimurkab.go.id",
    "kepala.disdukcapil@demo.kutaitimurkab.go.id",
];

#[test]
fn every_head_and_admin_gets_a_complete_summary() {
    for database in backends() {
        let sink = SmtpSink::start();
        let setup = seed(&database);
        let config = config(&database, &sink);
        let report = run(&setup, &config, "one");
        assert_eq!((report.sent, report.failed.len()), (3, 0), "{}: {report:?}", database.name);
        let counts = per_recipient(&sink);
        assert_eq!(counts.keys().map(String::as_str).collect::<Vec<_>>(), RECIPIENTS, "operators get none");

        let message = sink
            .messages()
            .into_iter()
            .find(|m| m.to == ["kepala.disdukcapil@demo.kutaitimurkab.go.id"])
            .expect("head's message");
        assert_eq!(message.from, "skm@kutaitimurkab.go.id");
        let parsed = mailparse::parse_mail(message.data.as_bytes()).expect("MIME");
        let subject =
            parsed.headers.iter().find(|h| h.get_key() == "Subject").map(|h| h.get_value()).unwrap_or_default();
        assert!(subject.starts_with(&format!("Ringkasan SKM {}", last_month().label_id())), "{subject}");
        let mut parts = Vec::new();
        fn walk<'a>(part: &'a mailparse::ParsedMail<'a>, out: &mut Vec<&'a mailparse::ParsedMail<'a>>) {
            out.push(part);
            for sub in &part.subparts {
                walk(sub, out);
            }
        }
        walk(&parsed, &mut parts);
        let of_type = |t: &str| parts.iter().find(|p| p.ctype.mimetype == t).copied();
        let text = of_type("text/plain").expect("plain part").get_body().expect("text");
        let html = of_type("text/html").expect("html part").get_body().expect("html");
        let image = of_type("image/png").expect("inline chart");
        assert!(image.headers.iter().any(|h| h.get_key() == "Content-ID" && h.get_value().contains("grafik-0")));
        assert!(html.contains("cid:grafik-0"), "the HTML shows the inline chart");
        assert!(image.get_body_raw().expect("png").starts_with(b"\x89PNG"));
        let pdf = of_type("application/pdf").expect("report attached");
        assert!(pdf.get_body_raw().expect("pdf").starts_with(b"%PDF-"));
        assert!(pdf
            .get_content_disposition()
            .params
            .get("filename")
            .is_some_and(|f| f.starts_with("laporan-skm-disdukcapil")));

        // the figures are the aggregator's
        let mut conn = setup.pool.get().expect("connection");
        let unit = skm::db::units::by_slug(&mut conn, "disdukcapil").expect("unit");
        let selection = skm::aggregator::Selection { period: last_month(), with_subunits: true, service_id: None };
        let index = skm::aggregator::unit_index(&mut conn, &setup.templates, &unit, &selection).expect("index");
        let nik = index.result.index.expect("nik").format_with(',');
        assert!(text.contains(&format!("NIK {nik}")), "{text}");
        assert!(html.contains(&format!("NIK {nik}")));
        assert!(
            text.contains("Unsur terendah (calon RTL)")
                && index.result.lowest.iter().all(|code| text.contains(code.as_str()))
        );
        assert!(text.contains("RTL yang melewati batas waktu"), "the demo has a late action");
        assert!(text.contains("https://skm.kutaitimurkab.go.id/dasbor?period="));
    }
}

#[test]
fn failures_are_retried_on_the_next_run_and_nobody_gets_two() {
    for database in backends() {
        let sink = SmtpSink::start();
        let setup = seed(&database);
        let config = config(&database, &sink);
        sink.accept_only(1);
        let first = run(&setup, &config, "one");
        assert_eq!((first.sent, first.failed.len()), (1, 2), "{}: {first:?}", database.name);
        assert!(first.failed[0].1.contains("451"), "the server's answer is reported: {}", first.failed[0].1);
        let mut conn = setup.pool.get().expect("connection");
        assert_eq!(mail_log::problems(&mut conn).expect("problems").len(), 2, "failures shown on the admin page");
        drop(conn);

        sink.accept_only(usize::MAX);
        let second = run(&setup, &config, "one");
        assert_eq!((second.sent, second.already_sent, second.failed.len()), (2, 1, 0), "{}: {second:?}", database.name);
        let third = run(&setup, &config, "one");
        assert_eq!((third.sent, third.already_sent), (0, 3));
        assert!(per_recipient(&sink).values().all(|n| *n == 1), "{:?}", per_recipient(&sink));
        assert_eq!(sink.messages().len(), 3);

        // a run that died between claiming and recording leaves the message alone: never twice
        let mut conn = setup.pool.get().expect("connection");
        let next = last_month().previous().to_string();
        assert_eq!(
            mail_log::claim(&mut conn, RECIPIENTS[0], &next, monthly::KIND).expect("claim"),
            mail_log::Claim::Mine(1)
        );
        assert_eq!(
            mail_log::claim(&mut conn, RECIPIENTS[0], &next, monthly::KIND).expect("claim"),
            mail_log::Claim::Busy
        );
    }
}

#[test]
fn two_instances_on_one_database_send_one_set() {
    let Some(database) = backends().into_iter().find(|d| d.name == "postgres") else {
        eprintln!("SKIPPED: two instances need PostgreSQL (SKM_TEST_POSTGRES_URL)");
        return;
    };
    let sink = SmtpSink::start();
    let setup = seed(&database);
    let config = config(&database, &sink);
    let reports: Vec<RunReport> = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&setup, &config, "instance-a"));
        let b = scope.spawn(|| run(&setup, &config, "instance-b"));
        vec![a.join().expect("a"), b.join().expect("b")]
    });
    assert_eq!(reports.iter().map(|r| r.sent).sum::<usize>(), 3, "{reports:?}");
    assert_eq!(sink.messages().len(), 3);
    assert!(per_recipient(&sink).values().all(|n| *n == 1));
}

/// The first of this month at `hour` o'clock in Makassar: with `mail_day` 1 and `mail_hour` 7,
/// last month is due from 07:00.
fn day_one_at(hour: u32) -> DateTime<Utc> {
    let tz = chrono_tz::Asia::Makassar;
    let first = demo::today(tz).with_day(1).and_then(|d| d.and_hms_opt(hour, 0, 0)).expect("day one");
    first.and_local_timezone(tz).single().expect("one instant").with_timezone(&Utc)
}

/// A clock the test sets, which counts how often the scheduler has looked at it (once a tick).
#[derive(Clone)]
struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    looks: Arc<AtomicUsize>,
}

impl TestClock {
    fn at(now: DateTime<Utc>) -> TestClock {
        TestClock { now: Arc::new(Mutex::new(now)), looks: Arc::default() }
    }

    fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().expect("clock") = now;
    }

    fn clock(&self) -> Clock {
        let this = self.clone();
        // counted before reading, so every look counted after `set` sees the new time
        Box::new(move || {
            this.looks.fetch_add(1, Ordering::SeqCst);
            *this.now.lock().expect("clock")
        })
    }

    /// Waits for `ticks` more looks: all but the last of those ticks have finished their run.
    fn wait_for_ticks(&self, ticks: usize) {
        self.wait_for_looks(self.looks.load(Ordering::SeqCst) + ticks);
    }

    /// Waits until the scheduler has looked `until` times in all (a count taken before it
    /// started cannot miss a tick it made at once).
    fn wait_for_looks(&self, until: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.looks.load(Ordering::SeqCst) < until {
            assert!(Instant::now() < deadline, "the scheduler stopped ticking");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn start(
    pool: &skm::db::Pool,
    templates: Arc<TemplateRegistry>,
    config: &Config,
    mailer: Mailer,
    clock: &TestClock,
    first_tick_after: Duration,
    every: Duration,
) -> SchedulerHandle {
    let schedule = Schedule { first_tick_after, every, clock: clock.clock() };
    Scheduler { pool: pool.clone(), templates, config: Arc::new(config.clone()), mailer, schedule }
        .start()
        .expect("scheduler thread")
}

#[test]
fn a_waiting_scheduler_stops_as_soon_as_it_is_asked() {
    let database = TestDb::sqlite();
    let pool = database.pool();
    let versions = Arc::new(common::registry(&mut pool.get().expect("connection")));
    let mut config = test_config(&database.url);
    config.mail.day = 1;
    config.mail.hour = 7;
    let out = tempfile::tempdir().expect("tmp");
    let clock = TestClock::at(day_one_at(0));
    let hour = Duration::from_secs(3600);
    for (first_tick_after, ticks_before_stop, wait) in
        [(hour, 0, "before the first tick"), (Duration::ZERO, 1, "between two ticks")]
    {
        let mailer = Mailer::files(out.path().to_path_buf()).expect("mailer");
        let looks_before = clock.looks.load(Ordering::SeqCst);
        let scheduler = start(&pool, versions.clone(), &config, mailer, &clock, first_tick_after, hour);
        clock.wait_for_looks(looks_before + ticks_before_stop);
        // stopped from another thread, so a stop that does not wake the scheduler fails the test
        // instead of hanging it for the hour
        let (done, stopped) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(scheduler.stop().is_ok()));
        assert_eq!(stopped.recv_timeout(Duration::from_secs(2)), Ok(true), "stopping {wait}");
    }
    assert_eq!(clock.looks.load(Ordering::SeqCst), 1, "no tick after stop");
}

#[test]
fn the_scheduler_sends_a_due_month_once_however_often_it_ticks() {
    for database in backends() {
        let sink = SmtpSink::start();
        let Setup { pool, templates: versions } = seed(&database);
        let config = config(&database, &sink);
        let mailer = Mailer::smtp(&config.mail).expect("mailer");
        let clock = TestClock::at(day_one_at(6));
        let every = Duration::from_millis(20);
        let scheduler = start(&pool, Arc::new(versions), &config, mailer, &clock, Duration::ZERO, every);

        clock.wait_for_ticks(3);
        assert_eq!(sink.messages().len(), 0, "{}: nothing before mail_hour", database.name);

        clock.set(day_one_at(7));
        clock.wait_for_ticks(5);
        scheduler.stop().expect("the thread ended without a panic");
        let counts = per_recipient(&sink);
        assert_eq!(counts.keys().map(String::as_str).collect::<Vec<_>>(), RECIPIENTS, "{}", database.name);
        assert!(counts.values().all(|n| *n == 1), "{}: sent once, never twice: {counts:?}", database.name);
    }
}

#[test]
fn the_commands_test_the_server_and_write_dry_runs() {
    let sink = SmtpSink::start();
    let dir = tempfile::tempdir().expect("tmp");
    let env = |cmd: &mut std::process::Command| {
        cmd.env("SKM_SMTP_HOST", "127.0.0.1")
            .env("SKM_SMTP_PORT", sink.port.to_string())
            .env("SKM_SMTP_SECURITY", "none")
            .env("SKM_MAIL_FROM", "skm@kutaitimurkab.go.id");
    };
    let mut test = skm(dir.path());
    env(&mut test);
    let out = test.args(["mail", "test", "--to", "kabag@kutaitimurkab.go.id"]).output().expect("mail test");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("the server answered"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(sink.messages().len(), 1);

    let closed =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let out = skm(dir.path())
        .env("SKM_SMTP_HOST", "127.0.0.1")
        .env("SKM_SMTP_PORT", closed.to_string())
        .env("SKM_SMTP_SECURITY", "none")
        .args(["mail", "test", "--to", "x@y.go.id"])
        .output()
        .expect("mail test");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.starts_with("error: not sent:") && err.trim_end().lines().count() == 1,
        "one clear line: {err}"
    );

    assert!(skm(dir.path()).args(["demo", "--responses", "300"]).output().expect("demo").status.success());
    let mut dry = skm(dir.path());
    env(&mut dry);
    let out = dry.args(["send-monthly", "--dry-run", "--out", "kotak"]).output().expect("dry run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files: Vec<_> = std::fs::read_dir(dir.path().join("kotak"))
        .expect("dir")
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(files.len(), 3, "one .eml per recipient");
    assert_eq!(sink.messages().len(), 1, "a dry run sends nothing");
    let mut real = skm(dir.path());
    env(&mut real);
    let out = real.args(["send-monthly"]).output().expect("send");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("3 sent"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut again = skm(dir.path());
    env(&mut again);
    let out = again.args(["send-monthly"]).output().expect("send");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 sent, 3 already sent"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(sink.messages().len(), 4);
}

/// `count` responses for `unit_slug` answering `score` everywhere, on the third day of `period`.
fn add_responses(
    conn: &mut skm::db::DbConnection,
    templates: &TemplateRegistry,
    unit_slug: &str,
    period: Period,
    score: i32,
    count: usize,
) {
    use skm::db::responses;
    let unit = skm::db::units::by_slug(conn, unit_slug).expect("unit");
    let (version_id, _) = templates.current("permenpanrb-14-2017").expect("default template");
    let day = period.first_day() + chrono::Duration::days(2);
    for _ in 0..count {
        let response = common::paper_response(unit.id, version_id, day, score);
        responses::insert(conn, &response).expect("response stored");
    }
}

/// A message's parts, depth first.
fn all_parts<'a>(part: &'a mailparse::ParsedMail<'a>) -> Vec<&'a mailparse::ParsedMail<'a>> {
    std::iter::once(part).chain(part.subparts.iter().flat_map(all_parts)).collect()
}

/// The text and HTML parts of a message.
fn text_and_html(data: &str) -> (String, String) {
    let parsed = mailparse::parse_mail(data.as_bytes()).expect("MIME");
    let body = |mimetype: &str| {
        all_parts(&parsed).into_iter().find(|p| p.ctype.mimetype == mimetype).and_then(|p| p.get_body().ok())
    };
    (body("text/plain").expect("plain part"), body("text/html").expect("html part"))
}

#[test]
fn the_regency_admin_gets_a_regency_summary_and_unit_heads_their_unit_summary() {
    use skm::aggregator::{unit_index, Selection};
    use skm::db::{publications, rtl, units, users};
    for database in backends() {
        let sink = SmtpSink::start();
        let setup = seed(&database);
        let config = config(&database, &sink);
        let period = last_month();
        let mut conn = setup.pool.get().expect("connection");
        // Bapenda falls far: all 4 the month before, mostly 1 last month
        add_responses(&mut conn, &setup.templates, "bapenda", period.previous(), 4, 30);
        add_responses(&mut conn, &setup.templates, "bapenda", period, 1, 200);
        // of the demo's two follow-up actions (by due date: a late one, then one due next month)
        // the second is done
        let capil = units::by_slug(&mut conn, "disdukcapil").expect("unit");
        let actions = rtl::for_unit(&mut conn, capil.id).expect("actions");
        let done = rtl::Change {
            status: skm::domain::names::RtlStatus::Done,
            by: None,
            note: Some("Kipas angin terpasang"),
            url: None,
            image_id: None,
        };
        assert!(rtl::set_status(&mut conn, actions[1].id, &[capil.id], &done).expect("status"));
        // Dinas Sosial's month is published, nobody else's
        let admin = users::by_email(&mut conn, RECIPIENTS[0]).expect("admin");
        let dinsos = units::by_slug(&mut conn, "dinsos").expect("unit");
        publications::publish(&mut conn, dinsos.id, &period.to_string(), false, Some(admin.id)).expect("published");

        let report = run(&setup, &config, "one");
        assert_eq!((report.sent, report.failed.len()), (3, 0), "{}: {report:?}", database.name);
        let message_to = |to: &str| sink.messages().into_iter().find(|m| m.to == [to]).expect("a message");
        let admins = message_to(RECIPIENTS[0]);
        let (text, html) = text_and_html(&admins.data);

        // the aggregator's figures
        let kutim = units::by_slug(&mut conn, "kutim").expect("regency");
        let selection = |period| Selection { period, with_subunits: true, service_id: None };
        let index = unit_index(&mut conn, &setup.templates, &kutim, &selection(period)).expect("index");
        let roll_up = index.roll_up.as_ref().expect("the regency rolls up its units");
        let before = unit_index(&mut conn, &setup.templates, &kutim, &selection(period.previous())).expect("index");
        let previous = |id: i32| {
            before
                .roll_up
                .as_ref()
                .and_then(|r| r.members.iter().find(|m| m.unit.id == id))
                .and_then(|m| m.result.index)
        };
        let nik = index.result.index.expect("pooled nik").format_with(',');
        let mean = roll_up.mean_of_units.expect("mean").format_with(',');
        assert!(text.contains(&format!("NIK gabungan (semua responden): {nik}")), "{text}");
        assert!(text.contains(&format!("Rata-rata NIK unit (tanpa bobot): {mean}")), "{text}");
        assert!(html.contains(&format!("NIK gabungan (semua responden): {nik}")));

        // one row per member unit, with its NIK, in the announced order
        let table: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Urutan:"))
            .skip(2) // the order line and the headings
            .take_while(|l| !l.is_empty())
            .collect();
        assert_eq!(table.len(), roll_up.members.len(), "{}: a row per unit:\n{text}", database.name);
        for member in &roll_up.members {
            let row = table.iter().find(|l| l.starts_with(&member.unit.name)).expect("the unit's row");
            let nik = member.result.index.map(|v| v.format_with(',')).unwrap_or_else(|| "–".into());
            assert!(row.contains(&format!(" {nik} ")), "{row}");
            assert!(html.contains(&format!("{}</td>", member.unit.name)));
        }
        let fall = |m: &skm::aggregator::Member| {
            m.result.index.zip(previous(m.unit.id)).map(|(now, was)| now.as_ratio() - was.as_ratio())
        };
        let zero = num_rational::BigRational::from_integer(0.into());
        let mut expected: Vec<&skm::aggregator::Member> = roll_up.members.iter().collect();
        expected.sort_by_key(|m| match fall(m).filter(|f| *f < zero) {
            Some(f) => (0, Some(f)),
            None if m.shortfall().is_some_and(|s| s > 0) => (1, None),
            None => (2, None),
        });
        let shown: Vec<&str> = table
            .iter()
            .map(|row| {
                roll_up.members.iter().find(|m| row.starts_with(&m.unit.name)).expect("a unit").unit.name.as_str()
            })
            .collect();
        assert_eq!(shown, expected.iter().map(|m| m.unit.name.as_str()).collect::<Vec<_>>(), "{}", database.name);
        assert_eq!(shown[0], "Badan Pendapatan Daerah", "the biggest drop first:\n{text}");
        assert!(table[0].contains(" -"), "its change is negative: {}", table[0]);

        // the regency's follow-up actions done, of all its units'
        let all = rtl::for_units(&mut conn, &index.unit_ids).expect("actions");
        let done = all.iter().filter(|a| a.status() == skm::domain::names::RtlStatus::Done).count();
        assert_eq!((done, all.len()), (1, 2), "the demo's actions, one done");
        assert!(text.contains("RTL selesai: 1 dari 2 (50 %)"), "{text}");
        let late = |name: &str| table.iter().find(|l| l.starts_with(name)).and_then(|l| l.split(' ').next_back());
        assert_eq!(late("Dinas Kependudukan dan Pencatatan Sipil"), Some("1"), "its late action:\n{text}");
        assert_eq!(late("Dinas Sosial"), Some("0"));

        // what is still unpublished: the regency's month and every unit's but Dinas Sosial's
        let label = period.label_id();
        assert!(text.contains("Belum dipublikasikan:"), "{text}");
        assert!(text.contains(&format!("{label} (kabupaten) — Pemerintah Kabupaten Kutai Timur")), "{text}");
        for member in &roll_up.members {
            let item = format!("  - {label} — {}", member.unit.name);
            let listed = text.lines().any(|l| l.trim_end() == item);
            let expected = member.result.responses > 0 && member.unit.id != dinsos.id;
            assert_eq!(listed, expected, "{}: {} listed as unpublished:\n{text}", database.name, member.unit.name);
        }
        assert!(roll_up.members.iter().any(|m| m.result.responses == 0), "a unit without results, not listed");
        assert!(html.contains(&format!("{label} (kabupaten) — Pemerintah Kabupaten Kutai Timur")));

        // the report attached as before, and the HTML saved for a person to look at
        let parsed = mailparse::parse_mail(admins.data.as_bytes()).expect("MIME");
        let parts = all_parts(&parsed);
        let pdf = parts.iter().find(|p| p.ctype.mimetype == "application/pdf").expect("report attached");
        assert!(pdf.get_body_raw().expect("pdf").starts_with(b"%PDF-"));
        let chart = parts.iter().find(|p| p.ctype.mimetype == "image/png").expect("chart").get_body_raw().expect("png");
        let dir = common::samples_dir();
        std::fs::write(dir.join(format!("mail-regency-{}.png", database.name)), chart).expect("chart saved");
        let cid = html.split("cid:").nth(1).and_then(|rest| rest.split('"').next()).expect("the chart's cid: URL");
        let page = html
            .replace(&format!("cid:{cid}"), &format!("mail-regency-{}.png", database.name))
            .replace("<body", "<head><meta charset=\"utf-8\"></head><body");
        std::fs::write(dir.join(format!("mail-regency-{}.html", database.name)), page).expect("html saved");

        // a unit head still gets the unit summary
        let dinkes = units::by_slug(&mut conn, "dinkes").expect("unit");
        let head_index = unit_index(&mut conn, &setup.templates, &dinkes, &selection(period)).expect("index");
        let (head_text, _) = text_and_html(&message_to(RECIPIENTS[1]).data);
        let head_nik = head_index.result.index.expect("nik").format_with(',');
        assert!(head_text.lines().any(|l| l.starts_with(&format!("NIK {head_nik}, mutu "))), "{head_text}");
        assert!(head_text.contains("== Dinas Kesehatan ==") && head_text.contains("Unsur terendah (calon RTL)"));
        assert!(!head_text.contains("NIK gabungan") && !head_text.contains("Belum dipublikasikan"), "{head_text}");
    }
}

/// The public address the tests configure: the domain of every id skm's messages carry.
const HOST: &str = "skm.kutaitimurkab.go.id";

/// The ids a message carries, after `assert_headers` checked them.
struct Ids {
    message_id: String,
    content_ids: Vec<String>,
    subject: String,
}

/// The headers a receiving server or a mail client checks: one Message-ID `<UUID@HOST>`, a Date
/// that parses (and is today's), `MIME-Version: 1.0`, every Content-ID a msg-id `<…@HOST>`, and
/// the HTML's `cid:` URLs naming exactly the inline parts.
fn assert_headers(data: &str, what: &str) -> Ids {
    use mailparse::MailHeaderMap;
    let parsed = mailparse::parse_mail(data.as_bytes()).unwrap_or_else(|e| panic!("{what}: MIME: {e}"));
    let one = |name: &str| {
        let values = parsed.headers.get_all_values(name);
        assert_eq!(values.len(), 1, "{what}: one {name} header: {values:?}\n{data:.2000}");
        values[0].trim().to_string()
    };
    let message_id = one("Message-ID");
    let uuid = message_id
        .strip_prefix('<')
        .and_then(|id| id.strip_suffix(&format!("@{HOST}>")))
        .unwrap_or_else(|| panic!("{what}: Message-ID {message_id} is not <…@{HOST}>"));
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{what}: a UUID on the left: {message_id}");
    let date = mailparse::dateparse(&one("Date")).unwrap_or_else(|e| panic!("{what}: Date: {e}"));
    assert!((date - Utc::now().timestamp()).abs() < 3600, "{what}: Date is now: {}", one("Date"));
    assert_eq!(one("MIME-Version"), "1.0", "{what}");
    let subject = one("Subject");

    let parts = all_parts(&parsed);
    let mut content_ids = Vec::new();
    for part in &parts {
        for value in part.headers.get_all_values("Content-ID") {
            let inner = value.trim().strip_prefix('<').and_then(|v| v.strip_suffix('>'));
            let msg_id =
                inner.and_then(|v| v.split_once('@')).filter(|(left, right)| !left.is_empty() && *right == HOST);
            assert!(msg_id.is_some(), "{what}: Content-ID {value} is not <…@{HOST}>");
            content_ids.push(inner.unwrap_or_default().to_string());
        }
    }
    let html: String =
        parts.iter().filter(|p| p.ctype.mimetype == "text/html").filter_map(|p| p.get_body().ok()).collect();
    let referred: Vec<&str> =
        html.split("cid:").skip(1).filter_map(|rest| rest.split(['"', '\'', ')', ' ', '>']).next()).collect();
    for cid in &referred {
        assert!(content_ids.iter().any(|c| c == cid), "{what}: cid:{cid} names no part; parts: {content_ids:?}");
    }
    for cid in &content_ids {
        assert!(referred.contains(&cid.as_str()), "{what}: the inline part {cid} is not shown");
    }
    Ids { message_id, content_ids, subject }
}

#[test]
fn every_message_skm_sends_has_its_own_message_id_a_date_mime_1_0_and_content_ids_its_html_finds() {
    let sink = SmtpSink::start();
    let mut message_ids = std::collections::BTreeSet::new();
    let mut content_ids = std::collections::BTreeSet::new();
    let mut fresh = |ids: &Ids, what: &str| {
        assert!(message_ids.insert(ids.message_id.clone()), "{what}: {} was used before", ids.message_id);
        for cid in &ids.content_ids {
            assert!(content_ids.insert(cid.clone()), "{what}: the Content-ID {cid} was used before");
        }
    };
    // Two deployments with the same data (the same users, user ids and month): the backends, and
    // one more SQLite database, as a rebuilt one would be.
    let mut deployments = backends();
    deployments.push(TestDb::sqlite());
    for (n, database) in deployments.iter().enumerate() {
        let name = format!("{} #{n}", database.name);
        let dir = tempfile::tempdir().expect("tmp");
        let run = |args: &[&str]| {
            let out = skm(dir.path())
                .env("SKM_DATABASE_URL", &database.url)
                .env("SKM_BASE_URL", format!("https://{HOST}"))
                .env("SKM_SMTP_HOST", "127.0.0.1")
                .env("SKM_SMTP_PORT", sink.port.to_string())
                .env("SKM_SMTP_SECURITY", "none")
                .env("SKM_MAIL_FROM", "SKM Kutai Timur <skm@kutaitimurkab.go.id>")
                .args(args)
                .output()
                .expect("skm");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let log = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{name}: skm {args:?}: {stdout}{log}");
            // what it printed and what it logged: a dry run must not log a message as sent
            format!("{stdout}{log}")
        };
        run(&["demo", "--responses", "300"]);
        let before = sink.messages().len();

        // the dry run says what it would send and sends nothing; what it writes is complete
        let said = run(&["send-monthly", "--dry-run", "--out", "kotak"]);
        assert!(said.contains("would send 3") && !said.contains("3 sent"), "{name}: {said}");
        assert!(
            !said.contains("summary sent") && said.contains("summary written"),
            "{name}: the log says sent: {said}"
        );
        assert_eq!(sink.messages().len(), before, "{name}: a dry run sends nothing");
        let files: Vec<_> = std::fs::read_dir(dir.path().join("kotak")).expect("dir").flatten().collect();
        assert_eq!(files.len(), 3, "{name}");
        for file in files {
            let data = std::fs::read_to_string(file.path()).expect("eml");
            fresh(&assert_headers(&data, &format!("{name}: {}", file.path().display())), &name);
        }

        run(&["mail", "test", "--to", "kabag@kutaitimurkab.go.id"]);
        run(&["mail", "test", "--to", "kabag@kutaitimurkab.go.id"]);
        assert!(run(&["send-monthly"]).contains("3 sent"), "{name}");
        run(&["user", "add", "--email", "baru@kutaitimurkab.go.id", "--name", "Pengguna Baru", "--role", "admin"]);

        let received = sink.messages()[before..].to_vec();
        let mut kinds = Vec::new();
        for message in &received {
            let ids = assert_headers(&message.data, &format!("{name}: to {:?}", message.to));
            fresh(&ids, &name);
            let kind = match ids.subject.as_str() {
                "Uji coba e-mail skm" => "test",
                s if s.starts_with("Undangan ke layanan") => "invitation",
                s if s.starts_with("Ringkasan SKM") && s.contains("NIK gabungan") => "regency summary",
                s if s.starts_with("Ringkasan SKM") => "unit summary",
                other => panic!("{name}: which message is {other}?"),
            };
            if kind.ends_with("summary") {
                assert!(!ids.content_ids.is_empty(), "{name}: the {kind} shows its chart inline");
            }
            kinds.push(kind);
        }
        kinds.sort();
        assert_eq!(kinds, ["invitation", "regency summary", "test", "test", "unit summary", "unit summary"], "{name}");
    }
}

/// In a deployment wider than one regency, a regency in Papua counts its hours in WIT and sends
/// under its own name: its head's summary leaves at 07:00 WIT (06:00 in Makassar), from its
/// sender, while the rest wait for 07:00 WITA; nobody gets two.
#[test]
fn a_regency_in_another_zone_gets_its_summary_at_its_own_hour_from_its_own_sender() {
    for database in backends() {
        let sink = SmtpSink::start();
        let Setup { pool, templates: versions } = seed(&database);
        let config = config(&database, &sink);
        let papua = "SKM Disdukcapil Jayapura <skm@jayapurakab.go.id>";
        {
            let mut conn = pool.get().expect("connection");
            skm::units::set_zone(&mut conn, None, "disdukcapil", Some(chrono_tz::Asia::Jayapura)).expect("zone");
            skm::units::set_mail_from(&mut conn, None, "disdukcapil", Some(papua)).expect("sender");
            let refused = skm::units::set_mail_from(&mut conn, None, "disdukcapil", Some("not an address"));
            assert!(matches!(refused, Err(skm::units::UnitError::Sender(_))), "{refused:?}");
        }
        let mailer = Mailer::smtp(&config.mail).expect("mailer");
        let clock = TestClock::at(day_one_at(5));
        let every = Duration::from_millis(20);
        let scheduler = start(&pool, Arc::new(versions), &config, mailer, &clock, Duration::ZERO, every);
        clock.wait_for_ticks(3);
        assert_eq!(sink.messages().len(), 0, "{}: 06:00 WIT is before mail_hour", database.name);

        clock.set(day_one_at(6));
        clock.wait_for_ticks(3);
        let early = sink.messages();
        let to: Vec<&str> = early.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
        assert_eq!(to, ["kepala.disdukcapil@demo.kutaitimurkab.go.id"], "{}: 07:00 WIT", database.name);
        assert_eq!(early[0].from, "skm@jayapurakab.go.id", "{}: the envelope sender", database.name);
        assert!(
            early[0].data.contains("From: \"SKM Disdukcapil Jayapura\" <skm@jayapurakab.go.id>")
                || early[0].data.contains("From: SKM Disdukcapil Jayapura <skm@jayapurakab.go.id>"),
            "{}: {}",
            database.name,
            &early[0].data[..early[0].data.len().min(600)]
        );

        clock.set(day_one_at(7));
        clock.wait_for_ticks(3);
        scheduler.stop().expect("the thread ended without a panic");
        let counts = per_recipient(&sink);
        assert_eq!(counts.keys().map(String::as_str).collect::<Vec<_>>(), RECIPIENTS, "{}", database.name);
        assert!(counts.values().all(|n| *n == 1), "{}: sent once, never twice: {counts:?}", database.name);
        let later = sink.messages();
        let admin = later.iter().find(|m| m.to == ["admin@demo.kutaitimurkab.go.id"]).expect("admin's");
        assert_eq!(admin.from, "skm@kutaitimurkab.go.id", "{}: the deployment's sender", database.name);
    }
}
