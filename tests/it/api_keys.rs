//! Integration API keys (issue 19, point 1): made on `/admin` or with `skm apikey`, shown once,
//! stored only as a keyed digest, scoped (`read`, `responses`, `invitations`) to a unit and its
//! sub-units, revocable at once on every instance, each with its own rate limit. Every API reply
//! here is checked against the OpenAPI document.

use crate::common;
use crate::openapi::Spec;

use common::{backends, hidden, seed_unit_and_user, skm, Reply, TestApp, PASSWORD};
use diesel::prelude::*;
use serde_json::{json, Value};
use skm::db::schema::{api_keys, responses};
use skm::db::units;
use skm::domain::names::{Role, Slug, UnitKind};

const RESPONSES: &str = "/api/v1/units/{slug}/responses";
const INDEX: &str = "/api/v1/units/{slug}/index";
const ADMIN: &str = "admin@kutaitimurkab.go.id";
/// the regency (a roll-up unit) and its puskesmas; `lain` is outside the regency
const ROOT: &str = "kabupaten";
const CHILD: &str = "puskesmas-sangatta";
const OTHER: &str = "lain";

fn add_unit(app: &TestApp, slug: &str, parent: Option<i32>) -> i32 {
    let mut conn = app.conn();
    let unit = units::create(
        &mut conn,
        &units::NewUnit {
            slug: &Slug::parse(slug).expect("slug"),
            name: &format!("Unit {slug}"),
            kind: if parent.is_some() { UnitKind::SubUnit } else { UnitKind::Opd },
            parent_id: parent,
            contact_emails: &[],
            template_id: None,
        },
    )
    .expect("unit");
    units::add_service(&mut conn, unit.id, &Slug::parse("rawat-jalan").expect("slug"), "Rawat jalan").expect("svc");
    unit.id
}

fn seed(app: &TestApp) {
    let root = seed_unit_and_user(app, ROOT, ADMIN, Role::Admin);
    add_unit(app, CHILD, Some(root));
    add_unit(app, OTHER, None);
}

/// A key made through the service `/admin` and `skm apikey` call, with the app's own keys.
fn key(app: &TestApp, unit: &str, scopes: &str) -> String {
    let mut conn = app.conn();
    let keys = skm::security::Keys::derive(&skm::db::secrets::master_secret(&mut conn).expect("secret"));
    let new = skm::api_keys::NewKey { unit: unit.into(), name: format!("{unit} {scopes}"), scopes: scopes.into() };
    skm::api_keys::create(&mut conn, &keys, None, new, chrono::Utc::now().naive_utc()).expect("key").secret
}

fn answers() -> Value {
    json!({"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 2, "U9": 3})
}

fn submission() -> String {
    json!({"layanan": "rawat-jalan", "answers": answers(), "profile": {"usia": 41}}).to_string()
}

struct Api<'a> {
    app: &'a TestApp,
    spec: Spec,
}

impl Api<'_> {
    fn new(app: &TestApp) -> Api<'_> {
        Api { app, spec: Spec::fetch(app) }
    }

    fn index(&self, key: &str, slug: &str) -> (Reply, Value) {
        let auth = format!("Bearer {key}");
        let reply = self.app.get_with(&format!("/api/v1/units/{slug}/index?period=2026"), &[("authorization", &auth)]);
        let body = self.spec.check("GET", INDEX, &reply);
        (reply, body)
    }

    fn submit(&self, key: Option<&str>, slug: &str, body: &str) -> (Reply, Value) {
        let mut call = common::agent()
            .post(&self.app.url(&format!("/api/v1/units/{slug}/responses")))
            .header("content-type", "application/json");
        if let Some(key) = key {
            call = call.header("authorization", &format!("Bearer {key}"));
        }
        let reply = Reply::from(call.send(body).expect("HTTP request"));
        let json = self.spec.check("POST", RESPONSES, &reply);
        (reply, json)
    }
}

/// The key with its last character changed: its id, a wrong secret.
fn altered(key: &str) -> String {
    let last = if key.ends_with('x') { 'y' } else { 'x' };
    format!("{}{last}", &key[..key.len() - 1])
}

fn stored(app: &TestApp) -> i64 {
    responses::table.count().get_result(&mut app.conn()).expect("count")
}

#[test]
fn keys_open_the_api_by_scope_and_unit_and_a_revoked_key_is_refused_everywhere_at_once() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        seed(&app);
        let api = Api::new(&app);
        let reader = key(&app, ROOT, "read");
        let writer = key(&app, CHILD, "responses");
        assert!(reader.starts_with("skm_live_") && reader.len() > 60, "{reader}");

        // read: the roll-up key covers the regency and its puskesmas, not a unit outside it
        let (reply, body) = api.index(&reader, CHILD);
        assert_eq!(reply.status, 200, "{name}: {body}");
        assert_eq!(body["unit"]["slug"], CHILD);
        assert_eq!(api.index(&reader, ROOT).0.status, 200);
        let (reply, body) = api.index(&reader, OTHER);
        assert_eq!((reply.status, body["code"].as_str()), (404, Some("not_found")), "{name}");
        assert_eq!(api.index(&reader, "tidak-ada").0.status, 404);

        // a read-only key cannot submit, a responses-only key cannot read: 403 naming the scope
        let (reply, body) = api.submit(Some(&reader), CHILD, &submission());
        assert_eq!((reply.status, body["code"].as_str()), (403, Some("forbidden")), "{name}: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("`responses`")), "{body}");
        let (reply, body) = api.index(&writer, CHILD);
        assert_eq!(reply.status, 403, "{body}");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("`read`")), "{body}");
        assert_eq!(stored(&app), 0);

        // with the responses scope, no form token is needed; the fields are still checked
        let (reply, body) = api.submit(Some(&writer), CHILD, &submission());
        assert_eq!(reply.status, 201, "{name}: {body}");
        assert_eq!(body["flagged"], false);
        assert_eq!(stored(&app), 1);
        let mut bad: Value = serde_json::from_str(&submission()).expect("json");
        bad["answers"]["U3"] = json!(9);
        let (reply, body) = api.submit(Some(&writer), CHILD, &bad.to_string());
        assert_eq!((reply.status, body["fields"][0]["field"].as_str()), (422, Some("answers.U3")), "{body}");
        let (reply, _) = api.submit(Some(&writer), ROOT, &submission());
        assert_eq!(reply.status, 404, "a puskesmas key does not reach up to the regency");
        // without a key the form token is required exactly as before
        let (reply, body) = api.submit(None, CHILD, &submission());
        assert_eq!((reply.status, body["fields"][0]["field"].as_str()), (422, Some("token")), "{body}");
        // and so with another scheme (a proxy's Basic sign-in in front of the site): not a key
        let reply = Reply::from(
            common::agent()
                .post(&app.url(&format!("/api/v1/units/{CHILD}/responses")))
                .header("authorization", "Basic dXNlcjpwYXNz")
                .header("content-type", "application/json")
                .send(&submission())
                .expect("HTTP"),
        );
        let body = api.spec.check("POST", RESPONSES, &reply);
        assert_eq!((reply.status, body["fields"][0]["field"].as_str()), (422, Some("token")), "{body}");
        assert_eq!(stored(&app), 1);

        // not a key: 401 with a problem body and the Bearer challenge
        for wrong in [altered(&writer), "skm_live_0123456789_nope".into(), "hello".into()] {
            let (reply, body) = api.submit(Some(&wrong), CHILD, &submission());
            assert_eq!((reply.status, body["code"].as_str()), (401, Some("unauthorized")), "{wrong}: {body}");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }

        // the key's use is noted
        let id = skm::api_keys::id_of(&writer).expect("id").to_string();
        let used: Option<chrono::NaiveDateTime> =
            api_keys::table.find(&id).select(api_keys::last_used_at).first(&mut app.conn()).expect("row");
        assert!(used.is_some(), "{name}: last_used_at is set");
        // noted at most once a minute, not written on every request
        assert_eq!(api.submit(Some(&writer), CHILD, &submission()).0.status, 201);
        let again: Option<chrono::NaiveDateTime> =
            api_keys::table.find(&id).select(api_keys::last_used_at).first(&mut app.conn()).expect("row");
        assert_eq!(again, used, "{name}: a use within the minute writes nothing");

        // only a keyed digest is stored: no column holds the key or its secret part
        let row: (String, String, String, String) = api_keys::table
            .find(&id)
            .select((api_keys::id, api_keys::name, api_keys::scopes, api_keys::digest))
            .first(&mut app.conn())
            .expect("row");
        // after the id: the secret is URL-safe base64, which has '_' of its own (a split at the
        // last '_' left a tail of a letter or two, found in the key's name now and then)
        let secret = writer.strip_prefix(&format!("{}{id}_", skm::api_keys::PREFIX)).expect("secret part");
        for column in [&row.0, &row.1, &row.2, &row.3] {
            assert!(!column.contains(secret) && !column.contains(&writer), "{name}: {column}");
        }
        assert_eq!(row.3.len(), 64, "an HMAC-SHA256 in hex");

        // revoked on another instance of the same database: refused here at once
        let second = TestApp::spawn(&database);
        skm::api_keys::revoke(&mut second.conn(), None, &id, chrono::Utc::now().naive_utc()).expect("revoke");
        let (reply, body) = api.submit(Some(&writer), CHILD, &submission());
        assert_eq!((reply.status, body["code"].as_str()), (401, Some("unauthorized")), "{name}: {body}");
        let reply = common::agent()
            .post(&second.url(&format!("/api/v1/units/{CHILD}/responses")))
            .header("authorization", &format!("Bearer {writer}"))
            .header("content-type", "application/json")
            .send(&submission())
            .expect("HTTP");
        assert_eq!(reply.status().as_u16(), 401);
        assert_eq!(stored(&app), 2);
    }
}

#[test]
fn each_key_has_its_own_rate_limit_with_retry_after() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.api_key_rate_per_minute = 2);
        seed(&app);
        let api = Api::new(&app);
        let first = key(&app, ROOT, "read");
        let second = key(&app, ROOT, "read");
        // someone who knows only a key's public id cannot use up its budget
        let forged = altered(&first);
        for _ in 0..3 {
            assert_eq!(api.index(&forged, ROOT).0.status, 401);
        }
        assert_eq!(api.index(&first, ROOT).0.status, 200);
        assert_eq!(api.index(&first, ROOT).0.status, 200);
        let (reply, body) = api.index(&first, ROOT);
        assert_eq!((reply.status, body["code"].as_str()), (429, Some("rate_limited")), "{}: {body}", database.name);
        let wait: u64 = reply.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(api.index(&second, ROOT).0.status, 200, "another key has its own limit");
    }
}

/// The admin page's table row of the key `id`.
fn row_of(page: &str, id: &str) -> String {
    let start = page.find(&format!("<tr><td><code>{id}</code>")).unwrap_or_else(|| panic!("no row for {id}"));
    page[start..].split("</tr>").next().unwrap_or_default().to_string()
}

#[test]
fn admins_create_list_and_revoke_keys_on_the_admin_page_and_see_each_key_once() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn(&database);
        seed(&app);
        let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
        let page = app.get_as(&cookie, "/admin").body;
        assert!(page.contains("Kunci API integrasi") && page.contains("Belum ada kunci API."), "{name}");
        let csrf = hidden(&page, "csrf");
        let post = |action: &str, fields: &[(&str, &str)]| {
            let mut body: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            body.push(("csrf".into(), csrf.clone()));
            app.post_form_as(&cookie, &format!("/admin/{action}"), &body)
        };

        // no scope chosen: refused, nothing made
        let reply = post("api-key-create", &[("unit", CHILD), ("name", "SIMPEL")]);
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert!(reply.body.contains("Cakupan: pilih setidaknya satu cakupan"), "{}", reply.body);
        // without the CSRF token: refused
        let forged = app.post_form_as(
            &cookie,
            "/admin/api-key-create",
            &[("unit".into(), CHILD.into()), ("scopes".into(), "read".into())],
        );
        assert_eq!(forged.status, 403);
        assert_eq!(api_keys::table.count().get_result::<i64>(&mut app.conn()).expect("count"), 0);

        // two scopes from two checkboxes; the key is in the notice, once
        let reply =
            post("api-key-create", &[("unit", CHILD), ("name", "SIMPEL"), ("scopes", "read"), ("scopes", "responses")]);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let start = reply.body.find("<code>skm_live_").expect("the key is shown") + "<code>".len();
        let secret = reply.body[start..].split('<').next().expect("key").to_string();
        let id = skm::api_keys::id_of(&secret).expect("a key").to_string();
        assert!(reply.body.contains("tidak akan ditampilkan lagi"), "{}", reply.body);
        let again = app.get_as(&cookie, "/admin").body;
        assert!(!again.contains(&secret), "{name}: the key is shown only once");
        let row = row_of(&again, &id);
        assert!(row.contains(CHILD) && row.contains("read,responses") && row.contains("SIMPEL"), "{name}: {row}");
        assert!(row.contains("belum pernah") && row.contains("aktif"), "never used yet: {row}");

        let api = Api::new(&app);
        assert_eq!(api.index(&secret, CHILD).0.status, 200, "{name}");
        let row = row_of(&app.get_as(&cookie, "/admin").body, &id);
        assert!(!row.contains("belum pernah"), "{name}: last use listed: {row}");

        let reply = post("api-key-revoke", &[("id", &id)]);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.contains(&format!("Kunci API {id} dicabut")), "{}", reply.body);
        assert!(row_of(&reply.body, &id).contains("dicabut 20"), "listed as revoked with its time");
        assert_eq!(api.index(&secret, CHILD).0.status, 401, "{name}");
        let reply = post("api-key-revoke", &[("id", &id)]);
        assert_eq!(reply.status, 422, "revoked already: {}", reply.body);

        assert_eq!(common::audited(&app, "api_key.create").len(), 1);
        assert_eq!(common::audited(&app, "api_key.revoke").len(), 1);
        assert!(common::audited(&app, "api_key.create")[0].contains(CHILD));
    }
}

#[test]
fn skm_apikey_creates_lists_and_revokes_keys() {
    for database in backends() {
        let name = database.name;
        let dir = tempfile::tempdir().expect("dir");
        let app = TestApp::spawn(&database);
        seed(&app);
        let run = |args: &[&str]| {
            let out = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (ok, _, err) = run(&["apikey", "create", "--unit", CHILD, "--scope", "write"]);
        assert!(!ok && err.contains("--scope") && err.contains("'write'"), "{name}: {err}");
        let (ok, _, err) = run(&["apikey", "create", "--unit", "tidak-ada", "--scope", "read"]);
        assert!(!ok && err.contains("--unit"), "{err}");

        let (ok, out, err) =
            run(&["apikey", "create", "--unit", ROOT, "--scope", "read,responses", "--name", "SIMPEL"]);
        assert!(ok, "{name}: {err}");
        let secret = out.trim().to_string();
        let id = skm::api_keys::id_of(&secret).unwrap_or_else(|| panic!("one key on stdout: {out}")).to_string();
        assert!(err.contains("once"), "{err}");

        // the key the CLI made opens the running server's API, for a sub-unit too
        let api = Api::new(&app);
        assert_eq!(api.index(&secret, CHILD).0.status, 200, "{name}");

        let (ok, out, _) = run(&["apikey", "list"]);
        assert!(ok);
        let line = out.lines().find(|l| l.starts_with(&id)).unwrap_or_else(|| panic!("{out}"));
        let columns: Vec<&str> = line.split('\t').collect();
        assert_eq!(&columns[1..3], [ROOT, "read,responses"], "{line}");
        assert_ne!(columns[4], "-", "last use listed: {line}");
        assert_eq!(columns[5], "-", "not revoked: {line}");
        assert!(!out.contains(&secret), "the list never shows a key");

        let (ok, out, err) = run(&["apikey", "revoke", "--id", &id]);
        assert!(ok && out.contains("revoked"), "{err}");
        assert_eq!(api.index(&secret, CHILD).0.status, 401, "{name}");
        let (ok, _, err) = run(&["apikey", "revoke", "--id", &id]);
        assert!(!ok && err.contains("revoked already"), "{err}");
        let (_, out, _) = run(&["apikey", "list"]);
        assert!(out.lines().any(|l| l.starts_with(&id) && l.split('\t').nth(5) != Some("-")), "{out}");
    }
}

/// An admin makes a key in the browser, ticking two scopes: the page that shows it once, with
/// the list of keys, has no accessibility violation.
#[test]
fn an_admin_makes_a_key_in_the_browser_and_the_page_is_accessible() {
    use common::webdriver::{accessibility_violations, axe_source, Browser};
    if !common::tool_available("chromium") || !common::tool_available("chromedriver") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    seed(&app);
    key(&app, ROOT, "read");
    let browser = Browser::start(1366, 900);
    browser.sign_in(&app.url("/masuk"), ADMIN, PASSWORD);
    browser.open(&app.url("/admin#tambah-kunci-api"));
    browser.click("#tambah-kunci-api summary");
    browser.click(&format!("#k-unit option[value={CHILD}]"));
    browser.type_into("#k-name", "Antrean RS");
    browser.click("#tambah-kunci-api input[value=read]");
    browser.click("#tambah-kunci-api input[value=invitations]");
    browser.click("#tambah-kunci-api button[type=submit]");
    browser.wait_for_text("Kunci API baru");
    let page = browser.source();
    let start = page.find("<code>skm_live_").expect("the key is shown") + "<code>".len();
    let secret = page[start..].split('<').next().expect("key").to_string();
    let api = Api::new(&app);
    assert_eq!(api.index(&secret, CHILD).0.status, 200, "the key made in the browser reads");
    assert!(page.contains("invitations,read"), "both ticked scopes");
    if let Some(axe) = axe_source() {
        let violations = accessibility_violations(&browser, &axe, &[]);
        assert!(violations.is_empty(), "axe-core on /admin with a key shown: {violations:#?}");
    }
}
