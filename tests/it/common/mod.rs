//! Shared test helpers: a fresh database per test on each backend, the real app on a random
//! port, and the real binary.
#![allow(dead_code)]

pub mod cluster;
pub mod fake_gateway;
pub mod smtp;
pub mod webdriver;

use diesel::prelude::*;
use skm::catalog::Catalog;
use skm::config::Config;
use skm::db;
use skm::web::{AppState, Application};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// A database only this test uses: a SQLite file in a temp folder, or a PostgreSQL database
/// created for the test and dropped after it.
pub struct TestDb {
    pub url: String,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("skm.db").display().to_string();
        TestDb { url, name: "sqlite", _dir: Some(dir), drop_pg: None }
    }

    pub fn postgres(admin_url: &str) -> TestDb {
        let name = format!("skm_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(admin_url).expect("connect to SKM_TEST_POSTGRES_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
        TestDb {
            url: format!("{base}/{name}"),
            name: "postgres",
            _dir: None,
            drop_pg: Some((admin_url.to_string(), name)),
        }
    }

    /// A database that outlives the run (a benchmark's generated dataset): never dropped.
    pub fn kept(url: &str, name: &'static str) -> TestDb {
        TestDb { url: url.to_string(), name, _dir: None, drop_pg: None }
    }

    pub fn pool(&self) -> db::Pool {
        self.pool_sized(TEST_POOL_SIZE, Duration::from_secs(10))
    }

    /// A migrated pool of `size` connections, as `skm serve` opens it.
    pub fn pool_sized(&self, size: u32, timeout: Duration) -> db::Pool {
        let pool = db::open_pool(&self.url, size, timeout).expect("open pool");
        db::migrate(&mut pool.get().expect("connection")).expect("migrate");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.drop_pg {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
            }
        }
    }
}

/// SQLite always; PostgreSQL when `SKM_TEST_POSTGRES_URL` is set. CI sets
/// `SKM_TEST_REQUIRE_POSTGRES=1` so a missing PostgreSQL fails instead of silently skipping.
pub fn backends() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    match std::env::var("SKM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => dbs.push(TestDb::postgres(&url)),
        _ if std::env::var("SKM_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("SKM_TEST_REQUIRE_POSTGRES=1 but SKM_TEST_POSTGRES_URL is not set")
        }
        _ => {}
    }
    dbs
}

/// Connections per test pool: enough for two workers' blocking calls, few enough that dozens
/// of tests in parallel stay within PostgreSQL's `max_connections`.
const TEST_POOL_SIZE: u32 = 4;

/// The configuration `skm serve` has with an empty file and no environment.
pub fn serve_defaults() -> Config {
    Config::load(Some(&empty_config_file()), Vec::new()).expect("default config")
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = serve_defaults();
    config.database_url = database_url.to_string().into();
    config.workers = 2;
    config.pool_size = TEST_POOL_SIZE;
    // Dozens of tests share two cores in CI: wait as long for a connection as `pool()` does.
    config.pool_timeout_ms = 10_000;
    // Tests change units straight in the database (as another instance would) and look at the
    // form at once: it is read every time here; the form cache's own tests turn it on.
    config.form_cache_ms = 0;
    config
}

fn empty_config_file() -> PathBuf {
    let path = std::env::temp_dir().join("skm-test-empty.toml");
    if !path.exists() {
        std::fs::write(&path, "").expect("write empty config");
    }
    path
}

/// The real application on 127.0.0.1:<random port>, served from its own thread.
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: db::Pool,
    /// The settings the app runs with.
    pub config: Config,
    /// the app's SMS/WhatsApp gateway (with `config.gateway` set), to dispatch to directly
    pub gateway: Option<std::sync::Arc<skm::gateway::Gateway>>,
    /// where the app writes citizens' submissions (SQLite's group commit: its counts)
    pub writer: std::sync::Arc<skm::db::group_commit::GroupCommit>,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub fn spawn(database: &TestDb) -> TestApp {
        Self::spawn_with(database, |_| {})
    }

    /// The app with `tweak`ed settings; its pool is opened from the tweaked settings
    /// (`Config::pool_connections`, `pool_timeout_ms`), as `skm serve` opens it.
    pub fn spawn_with(database: &TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = test_config(&database.url);
        tweak(&mut config);
        let pool = database.pool_sized(config.pool_connections(), Duration::from_millis(config.pool_timeout_ms));
        let catalog = Catalog::load(None).expect("templates");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let state = AppState::new(pool.clone(), config.clone(), catalog).expect("app state");
        let gateway = state.gateway.clone();
        let writer = state.writer.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let app = Application::build(state, listener).expect("build app");
                tx.send((app.addr(), app.handle())).expect("report address");
                let _ = app.run().await;
            });
        });
        let (addr, handle) = rx.recv_timeout(Duration::from_secs(30)).expect("app started");
        TestApp { addr, pool, config, gateway, writer, handle }
    }

    /// Stops the server and waits until its in-flight requests are done (dropping it stops it
    /// without waiting).
    pub fn stop(self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET returning status and body, whatever the status.
    pub fn get(&self, path: &str) -> (u16, String) {
        get(&self.url(path))
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = agent().get(&self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::from(request.call().expect("HTTP request"))
    }

    /// POST a urlencoded form, without following redirects.
    pub fn post_form(&self, path: &str, fields: &[(String, String)]) -> Reply {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Reply::from(agent().post(&self.url(path)).send_form(pairs).expect("HTTP request"))
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Reply {
        Reply::from(
            agent().post(&self.url(path)).header("content-type", content_type).send(body).expect("HTTP request"),
        )
    }

    /// Signs in through the login form; returns the session cookie (`name=value`).
    pub fn login(&self, email: &str, password: &str) -> Result<String, Reply> {
        let (_, page) = self.get("/masuk");
        let fields = [
            ("token".to_string(), token_of(&page)),
            ("email".to_string(), email.to_string()),
            ("password".to_string(), password.to_string()),
            ("next".to_string(), "/operator".to_string()),
        ];
        let reply = self.post_form("/masuk", &fields);
        match reply.header("set-cookie") {
            Some(cookie) if reply.status == 303 => Ok(cookie.split(';').next().unwrap_or_default().to_string()),
            _ => Err(reply),
        }
    }

    pub fn get_as(&self, cookie: &str, path: &str) -> Reply {
        self.get_with(path, &[("cookie", cookie)])
    }

    pub fn post_form_as(&self, cookie: &str, path: &str, fields: &[(String, String)]) -> Reply {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Reply::from(agent().post(&self.url(path)).header("cookie", cookie).send_form(pairs).expect("HTTP request"))
    }

    /// A multipart upload: text fields and one file named `file`.
    pub fn post_file_as(
        &self,
        cookie: &str,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> Reply {
        self.post_upload_as(cookie, path, fields, ("file", file_name), file)
    }

    /// A multipart upload: text fields and one file in the field `field.0`, named `field.1`.
    pub fn post_upload_as(
        &self,
        cookie: &str,
        path: &str,
        fields: &[(&str, &str)],
        (field, file_name): (&str, &str),
        file: &[u8],
    ) -> Reply {
        let boundary = "skmtestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend(file);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        Reply::from(
            agent()
                .post(&self.url(path))
                .header("cookie", cookie)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .send(&body[..])
                .expect("HTTP request"),
        )
    }

    pub fn conn(&self) -> skm::db::PooledConnection {
        self.pool.get().expect("connection")
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// the body as text (lossy for binary files; see `bytes`)
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// Reads a whole response (up to 50 MB), whatever its status.
    pub fn from(mut response: ureq::http::Response<ureq::Body>) -> Reply {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let bytes = response.body_mut().with_config().limit(50 * 1024 * 1024).read_to_vec().expect("body");
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Reply { status, headers, body, bytes }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// No redirects followed, no error for 4xx/5xx: tests look at exactly what the server said.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

/// The value of the hidden one-time token in a rendered form.
pub fn token_of(html: &str) -> String {
    let start = html.find("name=\"token\" value=\"").expect("form has a token") + "name=\"token\" value=\"".len();
    html[start..].split('"').next().expect("token value").to_string()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
    }
}

pub fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().expect("HTTP request");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("body");
    (status, body)
}

/// The `skm` binary with a clean environment: no inherited SKM_* settings, run in `dir`.
pub fn skm(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skm"));
    command.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

pub fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file)
}

/// Percent-encodes every byte but unreserved ones.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("page has a hidden {name}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// An OPD named "Unit {slug}" with no parent, answering `template` (None: the default).
pub fn create_opd(conn: &mut skm::db::DbConnection, slug: &str, template: Option<&str>) -> skm::db::units::Unit {
    use skm::domain::names::{Slug, UnitKind};
    skm::db::units::create(
        conn,
        &skm::db::units::NewUnit {
            slug: &Slug::parse(slug).expect("slug"),
            name: &format!("Unit {slug}"),
            kind: UnitKind::Opd,
            parent_id: None,
            contact_emails: &[],
            template_id: template,
        },
    )
    .expect("unit")
}

/// A unit (with two services) and a user of the given role scoped to it; returns the unit id.
pub fn seed_unit_and_user(app: &TestApp, slug: &str, email: &str, role: skm::domain::names::Role) -> i32 {
    use skm::db::{units, users};
    use skm::domain::names::Slug;
    let mut conn = app.conn();
    let unit = create_opd(&mut conn, slug, None);
    for s in ["ktp-el", "akta-lahir"] {
        units::add_service(&mut conn, unit.id, &Slug::parse(s).expect("slug"), s).expect("service");
    }
    let hash = skm::password::hash(PASSWORD).expect("hash");
    users::create(
        &mut conn,
        &users::NewUser { email, name: "Petugas", password_hash: &hash, role, unit_ids: &[unit.id] },
    )
    .expect("user");
    unit.id
}

pub const PASSWORD: &str = "kata-sandi-rahasia-1";

/// Whether an external program (pdftotext, chromium, …) is installed. Without it a test says it
/// skipped and why; with `SKM_TEST_REQUIRE_TOOLS=1` (CI) a missing program fails the test.
pub fn tool_available(program: &str) -> bool {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("SKM_TEST_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            panic!("{program} is required (SKM_TEST_REQUIRE_TOOLS=1) but not installed");
        }
        eprintln!("SKIPPED: {program} is not installed (CI installs it; apt-get install poppler-utils chromium chromium-driver)");
    }
    found
}

/// A LibreOffice user profile (for `-env:UserInstallation=file://…`) set to "Recalculation on
/// file load: always" for Excel files, so a converted workbook shows what its formulas compute.
pub fn recalculating_office_profile(profile: &std::path::Path) {
    std::fs::create_dir_all(profile.join("user")).expect("profile dir");
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .expect("profile");
}

/// Where tests leave files for a person to look at (screenshots, posters, reports).
pub fn samples_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-samples");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A unit named as Disdukcapil, with the services `ktp-el` and `akta-lahir`; returns its id.
pub fn seed_service_unit(app: &TestApp, slug: &str) -> i32 {
    create_service_unit(&mut app.conn(), slug).0
}

/// As `seed_service_unit`, on any connection; returns the unit's id and its two services' ids.
pub fn create_service_unit(conn: &mut skm::db::DbConnection, slug: &str) -> (i32, [i32; 2]) {
    use skm::db::units;
    use skm::domain::names::{Slug, UnitKind};
    let unit = units::create(
        conn,
        &units::NewUnit {
            slug: &Slug::parse(slug).expect("slug"),
            name: "Dinas Kependudukan dan Pencatatan Sipil",
            kind: UnitKind::Opd,
            parent_id: None,
            contact_emails: &[],
            template_id: None,
        },
    )
    .expect("unit");
    let services = [("ktp-el", "KTP elektronik"), ("akta-lahir", "Akta kelahiran")]
        .map(|(s, name)| units::add_service(conn, unit.id, &Slug::parse(s).expect("slug"), name).expect("service").id);
    (unit.id, services)
}

/// The shipped questionnaires registered in the database, the default one as `skm serve` has it.
pub fn registry(conn: &mut skm::db::DbConnection) -> skm::catalog::TemplateRegistry {
    let catalog = Catalog::load(None).expect("templates");
    skm::catalog::TemplateRegistry::register(conn, &catalog, skm::domain::template::DEFAULT_TEMPLATE)
        .expect("the template registry")
}

/// The demo regency with `responses` responses (`seed` fixes the data); the template versions
/// and the demo accounts with their passwords.
pub fn seed_demo(
    conn: &mut skm::db::DbConnection,
    responses: usize,
    seed: u64,
) -> (skm::catalog::TemplateRegistry, Vec<skm::demo::DemoAccount>) {
    use skm::demo::{self, DemoOutcome};
    let versions = registry(conn);
    let today = demo::today(chrono_tz::Asia::Makassar);
    match demo::create(conn, &versions, today, responses, seed, &mut skm::db::progress::Silent).expect("demo") {
        DemoOutcome::Created { accounts, .. } => (versions, accounts),
        DemoOutcome::AlreadyPresent => panic!("the demo needs a fresh database"),
    }
}

/// Every element of the default template answered with `score`.
pub fn answers_all(score: &str) -> Vec<(String, String)> {
    (1..=9).map(|i| (format!("U{i}"), score.to_string())).collect()
}

/// A complete, valid public survey form (U1 = 3, the rest 4) carrying `token`.
pub fn filled(token: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("token".to_string(), token.to_string()),
        ("lang".into(), "id".into()),
        ("website".into(), String::new()),
        ("layanan".into(), "akta-lahir".into()),
        ("jenis_kelamin".into(), "P".into()),
        ("usia".into(), "34".into()),
        ("pendidikan".into(), "D4-S1".into()),
        ("pekerjaan".into(), "WIRAUSAHA".into()),
        ("saran".into(), "Ruang tunggu perlu kipas angin".into()),
    ];
    fields.extend(answers_all("4"));
    fields[9].1 = "3".into(); // U1 = 3
    fields
}

/// A spreadsheet cell read back (calamine) as a number, whether stored as one or as text.
pub fn cell_number(cell: Option<&calamine::Data>) -> Option<f64> {
    use calamine::Data;
    match cell {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(i)) => Some(*i as f64),
        Some(Data::String(s)) => s.parse().ok(),
        _ => None,
    }
}

/// A typed-in paper questionnaire for `unit_id`, dated `day`, every element answered `score`,
/// no profile: stored with `skm::db::responses::insert` where a test needs responses the form
/// would not make (a past month, a code the form refuses).
pub fn paper_response(
    unit_id: i32,
    version_id: i32,
    day: chrono::NaiveDate,
    score: i32,
) -> skm::db::responses::NewResponse {
    skm::db::responses::NewResponse {
        id: uuid::Uuid::now_v7(),
        unit_id,
        service_id: None,
        template_version_id: version_id,
        channel: skm::domain::names::Channel::Paper,
        // 02:00 UTC is 10:00 in WITA: the same local date in every Indonesian zone
        submitted_at: day.and_hms_opt(2, 0, 0).expect("time"),
        survey_date: day,
        gender: None,
        age: None,
        education: None,
        occupation: None,
        profile_extra: None,
        saran: None,
        client_hash: None,
        answers: (1..=9).map(|i| (format!("U{i}"), score)).collect(),
    }
}

/// Fails when an Indonesian page holds an English sentence: any text of the English translation
/// file that differs from its Indonesian one (a whole message, so short shared words don't count),
/// or the English phrasing services use for their reasons.
pub fn assert_indonesian(html: &str, what: &str) {
    use std::collections::HashMap;
    let table = |text: &str| toml::from_str::<HashMap<String, String>>(text).expect("translation file");
    let en = table(include_str!("../../../assets/i18n/en.toml"));
    let id = table(include_str!("../../../assets/i18n/id.toml"));
    let page = html.replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&");
    for (key, english) in &en {
        let english = english.split('{').next().unwrap_or_default().trim();
        if english.len() >= 16 && id.get(key).is_none_or(|i| !i.contains(english)) {
            assert!(!page.contains(english), "{what}: English text of {key} in an Indonesian page: {english:?}");
        }
    }
    for phrase in [" is not ", " must be ", "required, e.g.", "not a ", "unknown column", "please ", "try again"] {
        assert!(!page.contains(phrase), "{what}: English phrase {phrase:?} in an Indonesian page");
    }
}

/// Where generated reports are kept to be looked at (`target/report-samples`).
pub fn report_samples_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-samples");
    std::fs::create_dir_all(&dir).expect("samples dir");
    dir
}

/// A PDF's text as `pdftotext -layout` reads it (the PDF kept under `report_samples_dir` as
/// `name`); `None` without poppler.
pub fn pdf_text(pdf: &[u8], name: &str) -> Option<String> {
    let path = report_samples_dir().join(name);
    std::fs::write(&path, pdf).expect("write pdf");
    if !tool_available("pdftotext") {
        return None;
    }
    let out = Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().expect("pdftotext");
    assert!(out.status.success(), "poppler reads {name}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The details of the audit records of `action`, oldest first.
pub fn audited(app: &TestApp, action: &str) -> Vec<String> {
    use diesel::prelude::*;
    use skm::db::schema::audit_log;
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id)
        .select(audit_log::detail)
        .load(&mut app.conn())
        .expect("audit log")
}

/// Lowers the calling thread's scheduling priority by `nice` (0: unchanged). The load benchmarks
/// run their simulated citizens on the server's own cores; a lower priority lets the server run
/// first, as it would if the clients were phones elsewhere (a client that wakes late only adds
/// to its own measured latency, so the figures stay on the pessimistic side).
pub fn lower_thread_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: gettid and setpriority take no pointers; on Linux PRIO_PROCESS with a thread id
        // sets that one thread's nice value
        let failed = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) != 0
        };
        if failed {
            eprintln!("note: the client thread's priority was not lowered: {}", std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}
