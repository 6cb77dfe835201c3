//! The real binary: migrate, serve, administer, and refuse bad settings clearly.

use crate::common;

use common::{backends, get, skm};
use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_health(url: &str, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("skm serve exited early with {status}");
        }
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        if let Ok(mut response) = agent.get(url).call() {
            return response.body_mut().read_to_string().expect("body");
        }
        assert!(Instant::now() < deadline, "server did not answer {url}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn migrate_then_serve_answers_readyz_on_every_backend() {
    for database in backends() {
        let dir = tempfile::tempdir().expect("tmp");
        let out = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).arg("migrate").output().expect("migrate");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("applied migration"));
        let again = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).arg("migrate").output().expect("migrate");
        assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

        let port = free_port();
        let child = skm(dir.path())
            .env("SKM_DATABASE_URL", &database.url)
            .env("SKM_LISTEN", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let mut running = Running(child);
        let body = wait_for_health(&format!("http://127.0.0.1:{port}/readyz"), &mut running.0);
        assert!(body.contains("\"status\":\"ok\"") && body.contains(database.name), "{body}");
    }
}

#[test]
fn serve_with_nothing_set_uses_skm_db_in_the_working_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    // only the port differs from the defaults, so parallel test runs don't collide on 8080
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let child =
        skm(dir.path()).env("SKM_LISTEN", format!("127.0.0.1:{port}")).arg("serve").stderr(log).spawn().expect("serve");
    let mut running = Running(child);
    wait_for_health(&format!("http://127.0.0.1:{port}/healthz"), &mut running.0);
    assert!(dir.path().join("skm.db").exists());
    let (status, _) = get(&format!("http://127.0.0.1:{port}/healthz"));
    assert_eq!(status, 200);
    // logs written to a file are plain text: no terminal colour codes
    let logged = std::fs::read_to_string(&log_path).expect("log");
    assert!(logged.contains("INFO"), "the server logged: {logged}");
    assert!(!logged.contains('\u{1b}'), "colour codes in a log file: {logged:?}");
}

#[test]
fn units_services_and_users_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| {
        let out = skm(dir.path()).args(args).output().expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(run(&["unit", "add", "--slug", "kutim", "--name", "Kabupaten Kutai Timur", "--kind", "regency"]).0);
    let (ok, _, err) = run(&[
        "unit",
        "add",
        "--slug",
        "disdukcapil",
        "--name",
        "Disdukcapil",
        "--parent",
        "kutim",
        "--email",
        "kadis@example.go.id",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["unit", "add", "--slug", "disdukcapil", "--name", "Again"]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(&["unit", "add", "--slug", "Bad Slug", "--name", "x"]);
    assert!(!ok && err.contains("--slug"), "{err}");
    let (ok, _, err) = run(&["unit", "add", "--slug", "x", "--name", "x", "--parent", "nowhere"]);
    assert!(!ok && err.contains("no unit with slug 'nowhere'"), "{err}");
    let (ok, out, _) = run(&["unit", "list"]);
    assert!(ok);
    assert!(out.contains("kutim") && out.contains("  disdukcapil"), "{out}");

    assert!(run(&["service", "add", "--unit", "disdukcapil", "--slug", "ktp-el", "--name", "KTP elektronik"]).0);
    let (ok, out, _) = run(&["service", "list", "--unit", "disdukcapil"]);
    assert!(ok && out.contains("ktp-el") && out.contains("KTP elektronik"), "{out}");
    let (ok, out, err) = run(&["unit", "population", "--unit", "disdukcapil", "--period", "2026", "--count", "5000"]);
    assert!(ok && out.contains("5000"), "{err}");

    let add_user = |role: &str, unit: Option<&str>, password: &str| {
        let mut command = skm(dir.path());
        command.args(["user", "add", "--email", &format!("{role}@example.go.id"), "--name", "Budi", "--role", role]);
        command.arg("--password-stdin");
        if let Some(unit) = unit {
            command.args(["--unit", unit]);
        }
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write password");
        let out = child.wait_with_output().expect("wait");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, err) = add_user("admin", None, "rahasia-sekali-123");
    assert!(ok, "{err}");
    let (ok, err) = add_user("unit_head", Some("disdukcapil"), "short");
    assert!(!ok && err.contains("at least 10"), "{err}");
    let (ok, err) = add_user("operator", None, "rahasia-sekali-123");
    assert!(!ok && err.contains("needs at least one unit"), "{err}");
    let (ok, err) = add_user("admin", None, "rahasia-sekali-123");
    assert!(!ok && err.contains("already exists"), "{err}");

    let (ok, out, err) = run(&["ticket", "enable", "--unit", "disdukcapil"]);
    assert!(ok && out.contains("ticket mode on"), "{err}");
    let (ok, out, _) = run(&["ticket", "generate", "--unit", "disdukcapil", "--count", "3"]);
    let codes: Vec<&str> = out.lines().collect();
    assert!(ok && codes.len() == 3 && codes.iter().all(|c| c.len() == 6), "{out}");

    let csv = dir.path().join("kertas.csv");
    std::fs::write(&csv, "U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan,tanggal\n4,4,4,4,4,4,4,4,4,ktp-el,2026-10-01\n4,4,4,4,4,4,4,4,4,sim,2026-10-01\n").expect("write");
    let (ok, _, err) = run(&["import", csv.to_str().expect("path"), "--unit", "disdukcapil", "--lang", "en"]);
    assert!(!ok && err.contains("nothing was imported") && err.contains("row 3, column layanan"), "{err}");
    std::fs::write(
        &csv,
        "U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan,tanggal\n4,4,4,4,4,4,4,4,4,ktp-el,2026-10-01\n3,3,3,3,3,3,3,3,3,ktp-el,\n",
    )
    .expect("write");
    let (ok, out, err) = run(&["import", csv.to_str().expect("path"), "--unit", "disdukcapil"]);
    assert!(ok && out.contains("2 jawaban diimpor ke disdukcapil."), "{err}");

    let (ok, out, _) = run(&["templates"]);
    assert!(ok && out.contains("kepmenpan-25-2004") && out.contains("14 unsur"), "{out}");
}

#[test]
fn bad_settings_stop_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = skm(dir.path()).env("SKM_LISTEN", "not-an-address").arg("serve").output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SKM_LISTEN") && err.contains("not-an-address"), "{err}");

    std::fs::write(dir.path().join("skm.toml"), "database_url = \"x.db\"\ntimezone = \"Borneo/Nowhere\"\n")
        .expect("write");
    let out = skm(dir.path()).arg("migrate").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("skm.toml:2") && err.contains("timezone"), "{err}");

    let out = skm(dir.path())
        .env("SKM_TIMEZONE", "Asia/Jakarta")
        .env("SKM_POOL_SIZ", "3")
        .arg("migrate")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("unknown setting 'SKM_POOL_SIZ'"), "{err}");

    let out = skm(dir.path())
        .env("SKM_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("SKM_TIMEZONE", "UTC")
        .arg("migrate")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cannot open the database"), "{err}");
}

#[test]
fn a_broken_template_file_stops_start_up_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).expect("mkdir");
    let shipped = include_str!("../../survey-templates/permenpanrb-14-2017.toml");
    std::fs::write(
        templates.join("custom.toml"),
        shipped.replace("id = \"permenpanrb-14-2017\"", "id = \"custom\"").replacen("max = 4", "max = \"four\"", 1),
    )
    .expect("write");
    let out = skm(dir.path()).env("SKM_TEMPLATES_DIR", &templates).arg("templates").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = shipped.lines().position(|l| l == "max = 4").expect("line") + 1;
    assert!(!out.status.success() && err.contains(&format!("custom.toml:{line}:")), "{err}");

    std::fs::write(
        templates.join("custom.toml"),
        shipped.replace("id = \"permenpanrb-14-2017\"", "id = \"custom\"").replacen(
            "code = \"U9\"",
            "code = \"U1\"",
            1,
        ),
    )
    .expect("write");
    let out = skm(dir.path()).env("SKM_TEMPLATES_DIR", &templates).arg("templates").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("custom.toml: elements[8].code: 'U1' appears twice"), "{err}");
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly_with_its_work_done() {
    let dir = tempfile::tempdir().expect("tmp");
    // `skm demo | head -0`: the reading end is closed before the command prints anything
    let mut child = skm(dir.path()).arg("demo").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?} {err}", out.status);
    let listed = skm(dir.path()).args(["unit", "list"]).output().expect("run");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("disdukcapil"), "the demo data was committed");
}

#[test]
fn an_address_without_a_dotted_domain_is_refused_by_skm_user_add_and_the_admin_form_with_the_same_reason() {
    use common::{hidden, seed_unit_and_user, TestApp, TestDb, PASSWORD};
    use skm::domain::email::Email;
    use skm::domain::names::Role;

    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed_unit_and_user(&app, "dishub", "admin@kutaitimurkab.go.id", Role::Admin);
    let reason = Email::parse("kadis@dishub").expect_err("no dot in the domain").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let cli = |args: &[&str]| {
        let out = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let admin = app.login("admin@kutaitimurkab.go.id", PASSWORD).expect("admin signs in");
    let csrf = hidden(&app.get_as(&admin, "/admin").body, "csrf");
    let form = |action: &str, fields: &[(&str, &str)]| {
        let mut fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        fields.push(("csrf".into(), csrf.clone()));
        app.post_form_as(&admin, &format!("/admin/{action}"), &fields)
    };

    let (ok, err) = cli(&["user", "add", "--email", "kadis@dishub", "--name", "Kadis", "--role", "admin"]);
    assert!(!ok && err.contains(&format!("--email: 'kadis@dishub' is not an e-mail address ({reason})")), "{err}");
    let page = form("user", &[("email", "kadis@dishub"), ("name", "Kadis"), ("role", "unit_head"), ("unit", "dishub")]);
    assert_eq!(page.status, 422);
    // the same reason, in the admin page's Indonesian
    assert!(page.body.contains("Email: bukan alamat email (domain perlu titik, seperti dinas.go.id)"), "{}", page.body);

    // a unit's contact address follows the same rule
    let (ok, err) = cli(&["unit", "add", "--slug", "dinkes", "--name", "Dinkes", "--email", "kadis@dishub"]);
    assert!(!ok && err.contains(&format!("({reason})")), "{err}");
    let page = form("unit", &[("slug", "dinkes"), ("name", "Dinkes"), ("kind", "opd"), ("emails", "kadis@dishub")]);
    assert!(page.status == 422 && page.body.contains("(domain perlu titik, seperti dinas.go.id)"), "{}", page.body);

    let admin_page = app.get_as(&admin, "/admin").body;
    assert!(!admin_page.contains("kadis@dishub") && !admin_page.contains("Dinkes"), "nothing was stored");
}
