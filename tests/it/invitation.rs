//! Invitations instead of passwords (issue 22): a new user from `/admin` or the command line
//! gets a one-time link (72 hours) to set their own password, mailed when e-mail is set up and
//! shown once otherwise; until then they cannot sign in. The link works once, expires, and can be
//! revoked; `skm init` sets up an empty database with the regency and its invited admin.

use crate::common;

use common::smtp::SmtpSink;
use common::{assert_indonesian, backends, hidden, seed_unit_and_user, skm, Reply, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::config::SmtpSecurity;
use skm::db::schema::{password_resets, users};
use skm::domain::names::Role;
use std::time::Instant;

const ADMIN: &str = "admin@kutaitimurkab.go.id";
const NEW: &str = "kepala@dishub.go.id";
const CHOSEN: &str = "sandi-pilihan-sendiri";

/// A signed-in admin posting `/admin` forms with their CSRF token.
struct Admin<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Admin<'a> {
    fn sign_in(app: &'a TestApp) -> Admin<'a> {
        let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
        let csrf = hidden(&app.get_as(&cookie, "/admin").body, "csrf");
        Admin { app, cookie, csrf }
    }

    fn post(&self, action: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        body.push(("csrf".into(), self.csrf.clone()));
        self.app.post_form_as(&self.cookie, &format!("/admin/{action}"), &body)
    }

    /// The "Tambah pengguna" form: no password, an invitation.
    fn add_unit_head(&self) -> Reply {
        self.post("user", &[("email", NEW), ("name", "Kepala Dishub"), ("role", "unit_head"), ("unit", "dishub")])
    }

    fn page(&self) -> String {
        self.app.get_as(&self.cookie, "/admin").body
    }
}

/// The regency's admin and the unit `dishub`.
fn regency(app: &TestApp) {
    seed_unit_and_user(app, "kabupaten", ADMIN, Role::Admin);
    seed_unit_and_user(app, "dishub", "operator@dishub.go.id", Role::Operator);
}

/// The token of the first `/sandi/atur?token=` link in a text.
fn token_in(text: &str) -> String {
    let start = text.find("/sandi/atur?token=").unwrap_or_else(|| panic!("no link in: {text}")) + 18;
    text[start..].split(|c: char| !c.is_ascii_hexdigit()).next().expect("token").to_string()
}

fn set_password(app: &TestApp, token: &str, password: &str) -> Reply {
    let fields: Vec<(String, String)> = [("token", token), ("new", password), ("repeat", password)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    app.post_form("/sandi/atur", &fields)
}

fn open(app: &TestApp, token: &str) -> Reply {
    app.get_with(&format!("/sandi/atur?token={token}"), &[])
}

fn password_hash(app: &TestApp, email: &str) -> String {
    users::table.filter(users::email.eq(email)).select(users::password_hash).first(&mut app.conn()).expect("user")
}

#[test]
fn an_invited_user_sets_their_own_password_once_and_signs_in() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        regency(&app);
        let admin = Admin::sign_in(&app);

        // e-mail is off: the link is shown once, with why
        let shown = admin.add_unit_head();
        assert_eq!(shown.status, 200, "{name}: {}", shown.body);
        assert!(shown.body.contains("Tautan undangan") && shown.body.contains("E-mail belum diatur"), "{}", shown.body);
        assert_indonesian(&shown.body, "the invitation link");
        let token = token_in(&shown.body);
        assert_eq!(token.len(), 64);
        let page = admin.page();
        assert!(!page.contains(&token), "{name}: the link is shown once");
        assert!(page.contains("Undangan belum diterima") && page.contains("Kirim ulang undangan"), "{name}");
        assert!(page.contains("Batalkan undangan"), "{name}: an open invitation can be cancelled");
        assert_eq!(password_hash(&app, NEW), "", "{name}: no password until the invitation is accepted");
        let stored: Vec<(String, String)> = password_resets::table
            .select((password_resets::token_hash, password_resets::purpose))
            .load(&mut app.conn())
            .expect("links");
        assert_eq!(stored, [(skm::security::token_digest(&token), "invitation".to_string())], "{name}");

        // until then, signing in is refused exactly as a wrong password is, and as slowly
        let _ = app.login("nobody@dishub.go.id", CHOSEN);
        let started = Instant::now();
        let wrong = app.login("operator@dishub.go.id", "salah-sekali-123").expect_err("wrong password");
        let wrong_time = started.elapsed();
        let started = Instant::now();
        let pending = app.login(NEW, CHOSEN).expect_err("no password yet");
        let pending_time = started.elapsed();
        assert_eq!((pending.status, wrong.status), (401, 401), "{name}");
        assert!(
            pending.body.contains("Email atau kata sandi salah.")
                && wrong.body.contains("Email atau kata sandi salah.")
        );
        assert!(pending_time * 3 > wrong_time, "{name}: {pending_time:?} against {wrong_time:?}: argon2 still runs");
        assert!(app.login(NEW, "").is_err(), "{name}: nor with an empty password");

        // the welcome page, then the password, then signing in
        let form = open(&app, &token);
        assert_eq!(form.status, 200, "{name}: {}", form.body);
        assert!(form.body.contains("Selamat datang") && form.body.contains("Buat kata sandi"), "{}", form.body);
        assert!(form.body.contains(NEW) && !form.body.contains("Atur kata sandi baru"), "{}", form.body);
        assert_indonesian(&form.body, "the invitation form");
        let done = set_password(&app, &token, CHOSEN);
        assert!(done.status == 200 && done.body.contains("Kata sandi Anda tersimpan"), "{name}: {}", done.body);
        assert_indonesian(&done.body, "the invitation accepted");
        let cookie = app.login(NEW, CHOSEN).unwrap_or_else(|r| panic!("{name}: signs in: {} {}", r.status, r.body));
        assert_eq!(app.get_as(&cookie, "/dasbor/unit/dishub").status, 200, "{name}: their unit's dashboard");
        assert_eq!(common::audited(&app, "user.invitation_accepted").len(), 1, "{name}");
        assert!(!admin.page().contains("Undangan belum diterima"), "{name}: accepted");

        // the link works once
        let again = open(&app, &token);
        assert!(again.status == 410 && again.body.contains("Undangan sudah dipakai"), "{name}: {}", again.body);
        assert_indonesian(&again.body, "a used invitation");
        let replay = set_password(&app, &token, "sandi-orang-lain-123");
        assert!(replay.status == 410, "{name}: {}", replay.body);
        assert!(app.login(NEW, CHOSEN).is_ok(), "{name}: the replay changed nothing");
        // an account with a password gets a reset link, not an invitation
        let refused = admin.post("user-invite", &[("user", NEW)]);
        assert!(refused.status == 422 && refused.body.contains("sudah membuat kata sandi"), "{}", refused.body);
    }
}

#[test]
fn revoked_resent_and_expired_invitations_fail_saying_to_ask_for_a_new_one() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        regency(&app);
        let admin = Admin::sign_in(&app);
        let first = token_in(&admin.add_unit_head().body);

        // sent again: the older link stops working
        let second = token_in(&admin.post("user-invite", &[("user", NEW)]).body);
        assert_ne!(first, second);
        let older = open(&app, &first);
        assert!(older.status == 410 && older.body.contains("Undangan sudah dibatalkan"), "{name}: {}", older.body);
        assert!(older.body.contains("Minta admin mengirim undangan baru"), "{}", older.body);
        assert_indonesian(&older.body, "a revoked invitation");

        // cancelled by the admin
        let cancelled = admin.post("user-revoke-invite", &[("user", NEW)]);
        assert_eq!(cancelled.status, 303, "{name}: {}", cancelled.body);
        let revoked = set_password(&app, &second, CHOSEN);
        assert!(revoked.status == 410 && revoked.body.contains("dibatalkan"), "{name}: {}", revoked.body);
        let page = admin.page();
        assert!(page.contains("Tidak ada undangan yang berlaku") && !page.contains("Batalkan undangan"), "{name}");
        assert_eq!(common::audited(&app, "user.invitation_revoked").len(), 1);

        // valid for 72 hours, then expired
        let third = token_in(&admin.post("user-invite", &[("user", NEW)]).body);
        let digest = skm::security::token_digest(&third);
        let expires: chrono::NaiveDateTime = password_resets::table
            .filter(password_resets::token_hash.eq(&digest))
            .select(password_resets::expires_at)
            .first(&mut app.conn())
            .expect("link");
        let hours = (expires - chrono::Utc::now().naive_utc()).num_minutes() as f64 / 60.0;
        assert!((71.9..=72.0).contains(&hours), "{name}: valid for {hours} hours");
        diesel::update(password_resets::table.filter(password_resets::token_hash.eq(&digest)))
            .set(password_resets::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1)))
            .execute(&mut app.conn())
            .expect("age the link");
        let expired = set_password(&app, &third, CHOSEN);
        assert!(
            expired.status == 410 && expired.body.contains("Undangan sudah kedaluwarsa"),
            "{name}: {}",
            expired.body
        );
        assert!(expired.body.contains("72 jam"), "{}", expired.body);
        assert_indonesian(&expired.body, "an expired invitation");
        assert_eq!(password_hash(&app, NEW), "", "{name}: no dead link set a password");
        assert!(app.login(NEW, CHOSEN).is_err());
    }
}

#[test]
fn with_email_set_up_the_invitation_is_mailed_and_not_shown() {
    for database in backends() {
        let name = database.name;
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with(&database, |c| {
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = sink.port;
            c.mail.smtp_security = SmtpSecurity::None;
            c.mail.from = "SKM Kutai Timur <skm@kutaitimurkab.go.id>".into();
            c.mail.timeout_secs = 5;
            c.base_url = "https://skm.kutaitimurkab.go.id".into();
        });
        regency(&app);
        let admin = Admin::sign_in(&app);
        let sent = admin.add_unit_head();
        assert_eq!(sent.status, 200, "{name}: {}", sent.body);
        assert!(sent.body.contains(&format!("Undangan dikirim ke {NEW}")), "{name}: {}", sent.body);
        assert!(!sent.body.contains("/sandi/atur?token="), "{name}: a mailed link is not shown");

        let messages = sink.messages();
        assert_eq!(messages.len(), 1, "{name}");
        assert_eq!(
            (messages[0].from.as_str(), messages[0].to.as_slice()),
            ("skm@kutaitimurkab.go.id", [NEW.to_string()].as_slice())
        );
        let parsed = mailparse::parse_mail(messages[0].data.as_bytes()).expect("MIME");
        let text = parsed.subparts.first().expect("text part").get_body().expect("text");
        assert!(text.contains("kepala unit untuk Unit dishub"), "{name}: {text}");
        assert!(text.contains("https://skm.kutaitimurkab.go.id/sandi/atur?token="), "{text}");
        assert!(text.contains("WITA"), "the expiry in local time: {text}");
        let token = token_in(&text);

        // sent again: a second mail, and only its link works
        let again = admin.post("user-invite", &[("user", NEW)]);
        assert!(again.body.contains("Undangan dikirim ke"), "{}", again.body);
        let messages = sink.messages();
        assert_eq!(messages.len(), 2, "{name}");
        let newer = mailparse::parse_mail(messages[1].data.as_bytes()).expect("MIME");
        let newer = token_in(&newer.subparts[0].get_body().expect("text"));
        assert_eq!(set_password(&app, &token, CHOSEN).status, 410, "{name}: the first mail's link was revoked");
        assert_eq!(set_password(&app, &newer, CHOSEN).status, 200, "{name}");
        assert!(app.login(NEW, CHOSEN).is_ok(), "{name}");
    }
}

fn run(dir: &std::path::Path, database: &TestDb, args: &[&str]) -> (bool, String, String) {
    let out = skm(dir).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run skm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn skm_init_sets_up_an_empty_database_once_and_its_link_signs_the_admin_in() {
    for database in backends() {
        let name = database.name;
        let dir = tempfile::tempdir().expect("tmp");
        let init =
            ["init", "--regency", "Kabupaten Kutai Timur", "--admin-email", ADMIN, "--admin-name", "Bagian Organisasi"];
        let (ok, out, err) = run(dir.path(), &database, &init);
        assert!(ok, "{name}: {err}");
        assert!(out.contains("Kabupaten Kutai Timur (kutai-timur)") && out.contains("valid until"), "{out}");
        assert!(out.contains("/admin"), "the next step: {out}");
        let token = token_in(&out);

        // not twice, nor on any database with units or users
        let (ok, again, err) = run(dir.path(), &database, &init);
        assert!(!ok && err.contains("not empty") && !again.contains("/sandi/atur"), "{name}: {err}");

        let app = TestApp::spawn(&database);
        let units = skm::db::units::list(&mut app.conn()).expect("units");
        assert!(units.len() == 1 && units[0].kind == "regency" && units[0].parent_id.is_none(), "{name}");
        assert!(app.login(ADMIN, CHOSEN).is_err(), "{name}: no password yet");
        assert!(open(&app, &token).body.contains("Selamat datang"), "{name}");
        assert_eq!(set_password(&app, &token, CHOSEN).status, 200, "{name}");
        let cookie = app.login(ADMIN, CHOSEN).unwrap_or_else(|r| panic!("{name}: admin signs in: {}", r.status));
        assert_eq!(app.get_as(&cookie, "/admin").status, 200, "{name}");

        // the command line's invitations: printed while e-mail is off, resent, revoked
        let (ok, out, err) =
            run(dir.path(), &database, &["user", "add", "--email", NEW, "--name", "Kadis", "--role", "admin"]);
        assert!(ok && out.contains("e-mail is off"), "{name}: {out}{err}");
        let first = token_in(&out);
        let (ok, out, _) = run(dir.path(), &database, &["user", "invite", "--email", NEW, "--print-link"]);
        let second = token_in(&out);
        assert!(ok && first != second, "{name}: {out}");
        assert_eq!(open(&app, &first).status, 410, "{name}: sent again, the first link stops working");
        let (ok, out, _) = run(dir.path(), &database, &["user", "revoke-invite", "--email", NEW]);
        assert!(ok && out.contains("cancelled"), "{name}: {out}");
        assert_eq!(open(&app, &second).status, 410, "{name}: revoked");
        let (ok, _, err) = run(dir.path(), &database, &["user", "invite", "--email", ADMIN]);
        assert!(!ok && err.contains("--email") && err.contains("already set a password"), "{name}: {err}");
    }
}

/// As a person does it in a browser, on a phone: the admin adds a user and copies the link shown
/// once; the user opens it, is welcomed, creates a password and signs in.
#[test]
fn in_a_browser_the_admin_invites_and_the_new_user_creates_a_password() {
    if !common::tool_available("chromium") || !common::tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    regency(&app);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let browser = common::webdriver::Browser::start(390, 844);
    browser.sign_in(&app.url("/masuk"), ADMIN, PASSWORD);
    browser.open(&app.url("/admin"));
    browser.script(
        "const add = document.querySelector('#n-email').closest('details'); add.open = true; add.scrollIntoView();",
        vec![],
    );
    browser.type_into("#n-email", NEW);
    browser.type_into("#n-name", "Kepala Dishub");
    browser.script("document.querySelector('#n-role').value = 'admin';", vec![]);
    browser.script("document.querySelector('form[action=\"/admin/user\"]').scrollIntoView();", vec![]);
    browser.screenshot_viewport(&dir.join("invite-390-form.png"));
    browser.click("form[action='/admin/user'] button[type=submit]");
    browser.wait_for_text("Tautan undangan");
    browser.screenshot_viewport(&dir.join("invite-390-link.png"));
    let token = token_in(&browser.source());
    // the pending user, with the invitation's forms
    let pending = browser.script(
        "const row = [...document.querySelectorAll('details[id^=user-]')].find(d => d.textContent.includes(arguments[0]));\
         row.open = true; row.scrollIntoView(); return row.textContent;",
        vec![NEW.into()],
    );
    let pending = pending.as_str().unwrap_or_default().to_string();
    assert!(pending.contains("Undangan belum diterima") && pending.contains("Batalkan undangan"), "{pending}");
    browser.screenshot_viewport(&dir.join("invite-390-pending.png"));

    browser.open(&app.url(&format!("/sandi/atur?token={token}")));
    browser.wait_for_text("Selamat datang");
    browser.screenshot_viewport(&dir.join("invite-390-welcome.png"));
    browser.type_into("#f-new", CHOSEN);
    browser.type_into("#f-repeat", CHOSEN);
    browser.click("form button[type=submit]");
    browser.wait_for_text("Kata sandi Anda tersimpan");
    browser.screenshot_viewport(&dir.join("invite-390-done.png"));
    browser.open(&app.url(&format!("/sandi/atur?token={token}")));
    browser.wait_for_text("Undangan sudah dipakai");
    browser.screenshot_viewport(&dir.join("invite-390-used.png"));
    assert!(app.login(NEW, CHOSEN).is_ok());
}
