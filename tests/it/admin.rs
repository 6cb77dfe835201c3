//! Correcting mistakes on `/admin` (issue 17 point 6), through HTTP as an admin with the form's
//! CSRF token: units (name, kind, parent without cycles; closing and reopening the survey),
//! services (name; off and back on the citizen's list), users (name, role, units; disabling and
//! enabling), one-time password reset links, the questionnaire select, and the warning while
//! `base_url` is this machine's own address.

use crate::common;

use common::{assert_indonesian, backends, hidden, seed_unit_and_user, Reply, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::db::schema::{password_resets, responses, units, user_units, users};
use skm::domain::names::Role;

const ADMIN: &str = "admin@kutaitimurkab.go.id";
const OPERATOR: &str = "operator@alpha.go.id";

/// A signed-in admin posting `/admin` forms with their CSRF token.
struct AdminSession<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> AdminSession<'a> {
    fn sign_in(app: &'a TestApp) -> AdminSession<'a> {
        let cookie = app.login(ADMIN, PASSWORD).unwrap_or_else(|r| panic!("admin signs in: {}", r.status));
        let csrf = hidden(&app.get_as(&cookie, "/admin").body, "csrf");
        AdminSession { app, cookie, csrf }
    }

    fn post(&self, action: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        body.push(("csrf".into(), self.csrf.clone()));
        self.app.post_form_as(&self.cookie, &format!("/admin/{action}"), &body)
    }

    /// Posts a form that must succeed (303 back to the page).
    fn saved(&self, action: &str, fields: &[(&str, &str)]) {
        let reply = self.post(action, fields);
        assert_eq!(reply.status, 303, "/admin/{action} {fields:?}: {}", reply.body);
    }

    /// Posts a form that must be refused with a message naming `field`; returns the page.
    fn refused(&self, action: &str, fields: &[(&str, &str)], field: &str) -> String {
        let reply = self.post(action, fields);
        assert_eq!(reply.status, 422, "/admin/{action} {fields:?}: {}", reply.body);
        // named as the form labels it, in the page's language (`name` → "Nama")
        let table: std::collections::HashMap<String, String> =
            toml::from_str(include_str!("../../assets/i18n/id.toml")).expect("id.toml");
        let label = table.get(&format!("field.{field}")).cloned().unwrap_or_else(|| field.to_string());
        assert!(reply.body.contains(&format!("role=\"alert\">{label}: ")), "names {label}: {}", reply.body);
        assert_indonesian(&reply.body, &format!("/admin/{action} refused"));
        reply.body
    }

    fn page(&self) -> String {
        self.app.get_as(&self.cookie, "/admin").body
    }
}

/// The regency (`kabupaten`, with the admin) and unit `alpha` (with its operator and the
/// services `ktp-el` and `akta-lahir`); returns alpha's id.
fn regency(app: &TestApp) -> i32 {
    seed_unit_and_user(app, "kabupaten", ADMIN, Role::Admin);
    seed_unit_and_user(app, "alpha", OPERATOR, Role::Operator)
}

fn parent_of(app: &TestApp, slug: &str) -> Option<i32> {
    units::table.filter(units::slug.eq(slug)).select(units::parent_id).first(&mut app.conn()).expect("unit")
}

fn id_of(app: &TestApp, slug: &str) -> i32 {
    units::table.filter(units::slug.eq(slug)).select(units::id).first(&mut app.conn()).expect("unit")
}

fn response_count(app: &TestApp, unit_id: i32) -> i64 {
    responses::table.filter(responses::unit_id.eq(unit_id)).count().get_result(&mut app.conn()).expect("count")
}

#[test]
fn an_admin_corrects_a_units_name_kind_and_parent_but_never_into_a_cycle() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        regency(&app);
        let admin = AdminSession::sign_in(&app);
        admin.saved(
            "unit",
            &[("slug", "dishub"), ("name", "Dinas Perhubungn"), ("kind", "opd"), ("parent", "kabupaten")],
        );
        admin.saved("unit", &[("slug", "uptd-kir"), ("name", "UPTD KIR"), ("kind", "opd"), ("parent", "dishub")]);

        // a typo, the wrong kind and the wrong parent, corrected in one form
        admin.saved(
            "unit-edit",
            &[("unit", "uptd-kir"), ("name", " UPTD Pengujian KIR "), ("kind", "sub_unit"), ("parent", "dishub")],
        );
        admin.saved(
            "unit-edit",
            &[("unit", "dishub"), ("name", "Dinas Perhubungan"), ("kind", "opd"), ("parent", "kabupaten")],
        );
        let (name, kind): (String, String) = units::table
            .filter(units::slug.eq("uptd-kir"))
            .select((units::name, units::kind))
            .first(&mut app.conn())
            .expect("unit");
        assert_eq!((name.as_str(), kind.as_str()), ("UPTD Pengujian KIR", "sub_unit"), "{}", database.name);
        let page = admin.page();
        assert!(page.contains("Dinas Perhubungan") && !page.contains("Perhubungn"), "{}", database.name);

        // no cycles: not under itself, not under a unit below it
        let before = (parent_of(&app, "kabupaten"), parent_of(&app, "dishub"));
        let body = admin.refused(
            "unit-edit",
            &[("unit", "dishub"), ("name", "Dishub"), ("kind", "opd"), ("parent", "dishub")],
            "parent",
        );
        assert!(body.contains("induk bagi dirinya sendiri"), "{body}");
        admin.refused(
            "unit-edit",
            &[("unit", "kabupaten"), ("name", "Kab"), ("kind", "regency"), ("parent", "uptd-kir")],
            "parent",
        );
        admin.refused(
            "unit-edit",
            &[("unit", "dishub"), ("name", "Dishub"), ("kind", "opd"), ("parent", "nowhere")],
            "parent",
        );
        admin.refused("unit-edit", &[("unit", "dishub"), ("name", "  "), ("kind", "opd"), ("parent", "")], "name");
        assert_eq!(
            (parent_of(&app, "kabupaten"), parent_of(&app, "dishub")),
            before,
            "{}: nothing moved",
            database.name
        );
        // the page offers no parent that would make a cycle
        let section = unit_section(&page, "dishub");
        let parents =
            section.split("name=\"parent\"").nth(1).and_then(|s| s.split("</select>").next()).expect("parent select");
        assert!(!parents.contains("value=\"dishub\"") && !parents.contains("value=\"uptd-kir\""), "{parents}");
        assert!(parents.contains("value=\"kabupaten\" selected"), "{parents}");

        // moving a unit elsewhere in the tree, and to the top
        admin.saved(
            "unit-edit",
            &[("unit", "uptd-kir"), ("name", "UPTD Pengujian KIR"), ("kind", "sub_unit"), ("parent", "kabupaten")],
        );
        assert_eq!(parent_of(&app, "uptd-kir"), Some(id_of(&app, "kabupaten")));
        admin.saved(
            "unit-edit",
            &[("unit", "uptd-kir"), ("name", "UPTD Pengujian KIR"), ("kind", "opd"), ("parent", "")],
        );
        assert_eq!(parent_of(&app, "uptd-kir"), None);

        let log = common::audited(&app, "unit.edit");
        assert_eq!(log.len(), 4, "{}: only changes that were made are audited: {log:?}", database.name);
        assert!(
            log[0].contains("name 'UPTD KIR' → 'UPTD Pengujian KIR'") && log[0].contains("kind opd → sub_unit"),
            "{log:?}"
        );
        assert!(log[2].contains("parent dishub → kabupaten") && log[3].contains("parent kabupaten → none"), "{log:?}");
    }
}

/// The `<details>` of one unit on the admin page.
fn unit_section<'p>(page: &'p str, slug: &str) -> &'p str {
    let start = page.find(&format!("id=\"unit-{slug}\"")).unwrap_or_else(|| panic!("no section for {slug}"));
    let rest = &page[start..];
    &rest[..rest.find("</details>").expect("end of the section")]
}

#[test]
fn a_closed_unit_shows_a_polite_page_takes_no_answers_keeps_its_data_and_reopens() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let alpha = regency(&app);
        // a response of a past month, as the dashboards and reports will keep showing it
        {
            let mut conn = app.conn();
            let (version, _) = common::registry(&mut conn).current("permenpanrb-14-2017").expect("template");
            let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).expect("date");
            skm::db::responses::insert(&mut conn, &common::paper_response(alpha, version, day, 3)).expect("response");
        }
        let admin = AdminSession::sign_in(&app);
        let (_, open) = app.get("/s/alpha");
        let token = common::token_of(&open);
        let kiosk_token = common::token_of(&app.get("/s/alpha/kiosk").1);

        admin.saved("unit-disable", &[("unit", "alpha")]);
        for path in ["/s/alpha", "/s/alpha/kiosk", "/s/alpha?lang=id"] {
            let (status, page) = app.get(path);
            assert_eq!(status, 200, "{}: {path}", database.name);
            assert!(page.contains("Survei unit ini sedang tidak dibuka") && page.contains("Unit alpha"), "{page}");
            assert!(!page.contains("name=\"token\"") && !page.contains("<form"), "{path}: no form to fill: {page}");
            assert_indonesian(&page, path);
        }
        let (_, english) = app.get("/s/alpha?lang=en");
        assert!(
            english.contains("This unit&#39;s survey is not open")
                || english.contains("This unit's survey is not open"),
            "{english}"
        );
        // a form opened before the unit closed is not taken either
        let reply = app.post_form("/s/alpha", &common::filled(&token));
        assert_eq!(reply.status, 409, "{}: {}", database.name, reply.body);
        assert!(reply.body.contains("Survei unit ini sedang tidak dibuka"));
        assert_eq!(app.post_form("/s/alpha/kiosk", &common::filled(&kiosk_token)).status, 409);
        let api = app.get_with("/api/v1/units/alpha/form", &[]);
        assert_eq!(api.status, 409, "{}", api.body);
        assert!(api.body.contains("\"closed\""), "{}", api.body);
        assert_eq!(response_count(&app, alpha), 1, "{}: nothing was stored", database.name);

        // its data stays: the past month's index, the admin page, the regency's dashboard
        let index = app.get_as(&admin.cookie, "/api/v1/units/alpha/index?period=2026-03");
        let json: serde_json::Value = serde_json::from_str(&index.body).expect("json");
        assert_eq!(json["index"]["responses"], 1, "{}: {}", database.name, index.body);
        assert!(app.get_as(&admin.cookie, "/dasbor?period=2026-03").body.contains("Unit alpha"));
        assert!(unit_section(&admin.page(), "alpha").contains("survei ditutup"));
        // the operator still types in the paper questionnaires filled in before it closed
        assert_eq!(app.get_as(&app.login(OPERATOR, PASSWORD).expect("operator"), "/operator/alpha/kertas").status, 200);

        admin.saved("unit-enable", &[("unit", "alpha")]);
        let (_, reopened) = app.get("/s/alpha");
        assert!(reopened.contains("name=\"token\""), "{}: the form is back", database.name);
        let stored = app.post_form("/s/alpha", &common::filled(&common::token_of(&reopened)));
        assert_eq!(stored.status, 303, "{}: {}", database.name, stored.body);
        assert_eq!(response_count(&app, alpha), 2);
        let log = [common::audited(&app, "unit.disable"), common::audited(&app, "unit.enable")];
        assert_eq!(
            log,
            [vec!["closed the survey of alpha".to_string()], vec!["opened the survey of alpha".to_string()]]
        );
    }
}

/// With the form cache on, as `skm serve` has it: closing and reopening on the admin page shows
/// on the public form at once (a staff write forgets the kept forms); a change made elsewhere
/// (straight in the database, as another instance or the command line would) shows once
/// `form_cache_ms` has passed.
#[test]
fn the_form_cache_forgets_on_staff_writes_and_expires_for_changes_made_elsewhere() {
    let rename = |app: &TestApp, name: &str| {
        diesel::update(units::table.filter(units::slug.eq("alpha")))
            .set(units::name.eq(name))
            .execute(&mut app.conn())
            .expect("rename");
    };
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.form_cache_ms = 60_000);
        regency(&app);
        let admin = AdminSession::sign_in(&app);
        let (_, open) = app.get("/s/alpha");
        let token = common::token_of(&open);

        admin.saved("unit-disable", &[("unit", "alpha")]);
        let (_, closed) = app.get("/s/alpha");
        assert!(closed.contains("Survei unit ini sedang tidak dibuka"), "{}: closed at once: {closed}", database.name);
        let reply = app.post_form("/s/alpha", &common::filled(&token));
        assert_eq!(reply.status, 409, "{}: {}", database.name, reply.body);
        admin.saved("unit-enable", &[("unit", "alpha")]);
        let (_, reopened) = app.get("/s/alpha");
        assert!(reopened.contains("name=\"token\""), "{}: open again at once", database.name);

        rename(&app, "Unit alpha baru");
        let (_, kept) = app.get("/s/alpha");
        assert!(!kept.contains("Unit alpha baru"), "{}: the form read before is kept", database.name);
        let stored = app.post_form("/s/alpha", &common::filled(&common::token_of(&kept)));
        assert_eq!(stored.status, 303, "{}: a kept form takes answers: {}", database.name, stored.body);
        drop(app);

        let quick = TestApp::spawn_with(&database, |c| c.form_cache_ms = 1);
        assert!(quick.get("/s/alpha").1.contains("Unit alpha baru"), "{}", database.name);
        rename(&quick, "Unit alpha lagi");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(quick.get("/s/alpha").1.contains("Unit alpha lagi"), "{}: read again once expired", database.name);
    }
}

#[test]
fn a_disabled_service_leaves_the_citizens_picker_and_keeps_its_responses() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let alpha = regency(&app);
        let admin = AdminSession::sign_in(&app);
        // one response on akta-lahir (the filled form's service)
        let stored = app.post_form("/s/alpha", &common::filled(&common::token_of(&app.get("/s/alpha").1)));
        assert_eq!(stored.status, 303, "{}", stored.body);

        admin.saved("service-edit", &[("unit", "alpha"), ("service", "akta-lahir"), ("name", "Akta Kelahiran")]);
        assert!(app.get("/s/alpha").1.contains(">Akta Kelahiran<"), "{}: the new name is offered", database.name);
        admin.refused("service-edit", &[("unit", "alpha"), ("service", "akta-lahir"), ("name", " ")], "name");
        admin.refused("service-edit", &[("unit", "alpha"), ("service", "tidak-ada"), ("name", "X")], "service");

        admin.saved("service-disable", &[("unit", "alpha"), ("service", "akta-lahir")]);
        let (_, form) = app.get("/s/alpha");
        assert!(!form.contains("value=\"akta-lahir\"") && form.contains("value=\"ktp-el\""), "{form}");
        let refused = app.post_form("/s/alpha", &common::filled(&common::token_of(&form)));
        assert_eq!(refused.status, 422, "{}: the old choice is refused", database.name);
        let api = app.get_with("/api/v1/units/alpha/form", &[]).body;
        assert!(!api.contains("akta-lahir"), "{api}");
        // its response stays, under its service
        assert_eq!(response_count(&app, alpha), 1);
        let index =
            app.get_as(&admin.cookie, &format!("/api/v1/units/alpha/index?period={}&layanan=akta-lahir", this_month()));
        let json: serde_json::Value = serde_json::from_str(&index.body).expect("json");
        assert_eq!(json["index"]["responses"], 1, "{}: {}", database.name, index.body);
        assert!(unit_section(&admin.page(), "alpha").contains("Akta Kelahiran (nonaktif)"));

        admin.saved("service-enable", &[("unit", "alpha"), ("service", "akta-lahir")]);
        assert!(app.get("/s/alpha").1.contains("value=\"akta-lahir\""), "{}: back on the list", database.name);
        for action in ["service.edit", "service.disable", "service.enable"] {
            assert_eq!(common::audited(&app, action).len(), 1, "{}: {action}", database.name);
        }
    }
}

fn this_month() -> String {
    skm::domain::period::Period::month_of(skm::demo::today(chrono_tz::Asia::Makassar)).to_string()
}

fn user_row(app: &TestApp, email: &str) -> (i32, String, String, bool, i32) {
    users::table
        .filter(users::email.eq(email))
        .select((users::id, users::name, users::role, users::disabled, users::session_epoch))
        .first(&mut app.conn())
        .expect("user")
}

fn signed_in(app: &TestApp, cookie: &str) -> bool {
    app.get_as(cookie, "/akun/sandi").status == 200
}

#[test]
fn an_admin_edits_disables_and_enables_a_user_whose_data_stays() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        regency(&app);
        seed_unit_and_user(&app, "beta", "kepala@beta.go.id", Role::UnitHead);
        let admin = AdminSession::sign_in(&app);
        let operator = app.login(OPERATOR, PASSWORD).expect("operator");

        // name, role and two units (a multiple select sends `units` once per unit)
        admin.saved(
            "user-edit",
            &[
                ("user", OPERATOR),
                ("name", "Budi Santoso"),
                ("role", "unit_head"),
                ("units", "alpha"),
                ("units", "beta"),
            ],
        );
        let (id, name, role, disabled, epoch) = user_row(&app, OPERATOR);
        assert_eq!((name.as_str(), role.as_str(), disabled), ("Budi Santoso", "unit_head", false), "{}", database.name);
        let units: Vec<i32> = user_units::table
            .filter(user_units::user_id.eq(id))
            .select(user_units::unit_id)
            .order(user_units::unit_id)
            .load(&mut app.conn())
            .expect("units");
        assert_eq!(units, [id_of(&app, "alpha"), id_of(&app, "beta")], "{}", database.name);
        // the running session sees the new role and units at once
        assert_eq!(app.get_as(&operator, "/dasbor/unit/beta").status, 200, "{}", database.name);
        assert!(common::audited(&app, "user.edit")[0].contains("role operator → unit_head"));

        let page = admin.refused("user-edit", &[("user", OPERATOR), ("name", "Budi"), ("role", "operator")], "unit");
        assert!(page.contains("Unit: kepala unit dan operator perlu unit"), "{page}");
        admin.refused("user-edit", &[("user", "tidak@ada.go.id"), ("name", "X"), ("role", "admin")], "user");
        admin.refused("user-edit", &[("user", OPERATOR), ("name", " "), ("role", "admin")], "name");
        // an admin cannot lock themselves out
        admin.refused(
            "user-edit",
            &[("user", ADMIN), ("name", "Admin"), ("role", "operator"), ("units", "alpha")],
            "role",
        );
        admin.refused("user-disable", &[("user", ADMIN)], "user");
        assert!(signed_in(&app, &admin.cookie));

        // disabled: the session ends, signing in is refused, the account and its units stay
        admin.saved("user-disable", &[("user", OPERATOR)]);
        let (_, _, _, disabled, after) = user_row(&app, OPERATOR);
        assert!(disabled && after > epoch, "{}: disabled, session epoch bumped", database.name);
        assert!(!signed_in(&app, &operator), "{}: the running session ended", database.name);
        assert_eq!(app.login(OPERATOR, PASSWORD).expect_err("refused").status, 401);
        let count: i64 =
            user_units::table.filter(user_units::user_id.eq(id)).count().get_result(&mut app.conn()).expect("count");
        assert_eq!(count, 2, "{}: their units stay", database.name);
        let badge = format!("{OPERATOR} · Kepala unit · alpha, beta</span> <span class=\"badge\">nonaktif");
        assert!(admin.page().contains(&badge), "{}: marked disabled", database.name);

        admin.saved("user-enable", &[("user", OPERATOR)]);
        let again = app.login(OPERATOR, PASSWORD).expect("signs in again");
        assert!(signed_in(&app, &again));
        assert!(!signed_in(&app, &operator), "{}: the old session stays ended", database.name);
        assert_eq!((common::audited(&app, "user.disable").len(), common::audited(&app, "user.enable").len()), (1, 1));
    }
}

/// The token of the link the reset page shows.
fn link_token(page: &str) -> String {
    let start = page.find("/sandi/atur?token=").unwrap_or_else(|| panic!("no link on the page: {page}")) + 18;
    page[start..].split(|c: char| !c.is_ascii_hexdigit()).next().expect("token").to_string()
}

fn set_password(app: &TestApp, token: &str, new: &str, repeat: &str) -> Reply {
    let fields: Vec<(String, String)> = [("token", token), ("new", new), ("repeat", repeat)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    app.post_form("/sandi/atur", &fields)
}

#[test]
fn a_password_reset_link_is_shown_once_stored_hashed_works_once_and_for_a_day() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        regency(&app);
        let admin = AdminSession::sign_in(&app);
        let old_session = app.login(OPERATOR, PASSWORD).expect("operator");
        // locked out after too many guesses: the new password lifts the lock
        diesel::update(users::table.filter(users::email.eq(OPERATOR)))
            .set(users::locked_until.eq(Some(chrono::Utc::now().naive_utc() + chrono::Duration::hours(1))))
            .execute(&mut app.conn())
            .expect("lock");

        let shown = admin.post("user-reset", &[("user", OPERATOR)]);
        assert_eq!(shown.status, 200, "{}: {}", database.name, shown.body);
        assert!(shown.body.contains("Tautan atur ulang sandi") && shown.body.contains(OPERATOR), "{}", shown.body);
        assert_indonesian(&shown.body, "the reset link");
        let token = link_token(&shown.body);
        assert_eq!(token.len(), 64);
        assert!(!admin.page().contains(&token), "{}: the link is shown once", database.name);
        // stored only as its digest
        let stored: Vec<String> =
            password_resets::table.select(password_resets::token_hash).load(&mut app.conn()).expect("links");
        assert_eq!(stored, [skm::security::token_digest(&token)], "{}", database.name);
        let audit = common::audited(&app, "user.reset_link");
        assert!(audit.len() == 1 && !audit[0].contains(&token), "{audit:?}");

        let form = app.get_with(&format!("/sandi/atur?token={token}"), &[]);
        assert_eq!(form.status, 200, "{}: {}", database.name, form.body);
        assert!(form.body.contains(OPERATOR) && form.body.contains("Atur kata sandi baru"), "{}", form.body);
        assert_indonesian(&form.body, "the reset form");
        // the rules of /akun/sandi, and the link survives a refusal
        let mismatch = set_password(&app, &token, "sandi-baru-yang-panjang", "sandi-baru-yang-lain");
        assert!(mismatch.status == 422 && mismatch.body.contains("Kedua kata sandi baru berbeda"), "{}", mismatch.body);
        let short = set_password(&app, &token, "pendek", "pendek");
        assert!(short.status == 422 && short.body.contains("minimal 10 karakter"), "{}", short.body);

        let done = set_password(&app, &token, "sandi-baru-yang-panjang", "sandi-baru-yang-panjang");
        assert_eq!(done.status, 200, "{}: {}", database.name, done.body);
        assert!(done.body.contains("Kata sandi baru tersimpan"), "{}", done.body);
        assert!(app.login(OPERATOR, PASSWORD).is_err(), "{}: the old password is gone", database.name);
        assert!(app.login(OPERATOR, "sandi-baru-yang-panjang").is_ok(), "{}: the new one signs in", database.name);
        assert!(!signed_in(&app, &old_session), "{}: older sessions ended", database.name);
        assert_eq!(common::audited(&app, "user.password_reset").len(), 1);

        // once only
        let again = app.get_with(&format!("/sandi/atur?token={token}"), &[]);
        assert!(
            again.status == 410 && again.body.contains("Tautan sudah dipakai"),
            "{}: {}",
            database.name,
            again.body
        );
        assert_indonesian(&again.body, "a used link");
        let replay = set_password(&app, &token, "sandi-ketiga-panjang", "sandi-ketiga-panjang");
        assert!(replay.status == 410 && replay.body.contains("sudah dipakai"), "{}", replay.body);
        assert!(app.login(OPERATOR, "sandi-baru-yang-panjang").is_ok(), "the replay changed nothing");

        // a newer link revokes the older one; disabling the account revokes every link
        let first = link_token(&admin.post("user-reset", &[("user", OPERATOR)]).body);
        let second = link_token(&admin.post("user-reset", &[("user", OPERATOR)]).body);
        let revoked = app.get_with(&format!("/sandi/atur?token={first}"), &[]);
        assert!(revoked.status == 410 && revoked.body.contains("Tautan sudah dicabut"), "{}", revoked.body);
        assert_indonesian(&revoked.body, "a revoked link");
        admin.saved("user-disable", &[("user", OPERATOR)]);
        let gone = set_password(&app, &second, "sandi-keempat-panjang", "sandi-keempat-panjang");
        assert!(gone.status == 410 && gone.body.contains("dicabut"), "{}: {}", database.name, gone.body);
        admin.refused("user-reset", &[("user", OPERATOR)], "user");
        admin.saved("user-enable", &[("user", OPERATOR)]);

        // valid for 24 hours
        let late = link_token(&admin.post("user-reset", &[("user", OPERATOR)]).body);
        let expires: chrono::NaiveDateTime = password_resets::table
            .filter(password_resets::token_hash.eq(skm::security::token_digest(&late)))
            .select(password_resets::expires_at)
            .first(&mut app.conn())
            .expect("link");
        let hours = (expires - chrono::Utc::now().naive_utc()).num_minutes() as f64 / 60.0;
        assert!((23.9..=24.0).contains(&hours), "{}: valid for {hours} hours", database.name);
        diesel::update(
            password_resets::table.filter(password_resets::token_hash.eq(skm::security::token_digest(&late))),
        )
        .set(password_resets::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1)))
        .execute(&mut app.conn())
        .expect("age the link");
        let expired = set_password(&app, &late, "sandi-kelima-panjang", "sandi-kelima-panjang");
        assert!(expired.status == 410 && expired.body.contains("Tautan sudah kedaluwarsa"), "{}", expired.body);
        assert_indonesian(&expired.body, "an expired link");
        let unknown = app.get_with("/sandi/atur?token=0123", &[]);
        assert!(unknown.status == 404 && unknown.body.contains("Tautan tidak dikenal"), "{}", unknown.body);
        assert!(app.login(OPERATOR, "sandi-baru-yang-panjang").is_ok(), "{}: no dead link changed it", database.name);
    }
}

#[test]
fn the_questionnaire_select_preselects_each_units_current_questionnaire() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        regency(&app);
        let admin = AdminSession::sign_in(&app);
        admin.saved("template", &[("unit", "alpha"), ("template", "kepmenpan-25-2004")]);
        let selected = |page: &str, slug: &str| -> Vec<String> {
            let section = unit_section(page, slug);
            let select =
                section.split("name=\"template\"").nth(1).and_then(|s| s.split("</select>").next()).expect("select");
            select
                .split("<option ")
                .filter(|o| o.contains(" selected"))
                .map(|o| o.split('"').nth(1).unwrap_or_default().to_string())
                .collect()
        };
        let page = admin.page();
        assert_eq!(selected(&page, "alpha"), ["kepmenpan-25-2004"], "{}", database.name);
        assert_eq!(selected(&page, "kabupaten"), ["permenpanrb-14-2017"], "{}: the default", database.name);
        // saving the form as shown keeps the unit's questionnaire (the old form switched it)
        admin.saved("template", &[("unit", "kabupaten"), ("template", &selected(&page, "kabupaten")[0])]);
        let templates: Vec<Option<String>> =
            units::table.order(units::slug).select(units::template_id).load(&mut app.conn()).expect("units");
        assert_eq!(
            templates,
            [Some("kepmenpan-25-2004".to_string()), Some("permenpanrb-14-2017".to_string())],
            "{}",
            database.name
        );
    }
}

#[test]
fn admin_and_poster_pages_warn_while_base_url_is_this_machine() {
    let database = TestDb::sqlite();
    for (base_url, warned) in [
        (None, true),
        (Some("http://localhost:8080"), true),
        (Some("http://127.0.1.1"), true),
        (Some("http://[::1]:8080"), true),
        (Some("http://0.0.0.0:8080"), true),
        (Some("https://skm.kutaitimurkab.go.id"), false),
    ] {
        let app = TestApp::spawn_with(&database, |c| {
            if let Some(url) = base_url {
                c.base_url = url.to_string();
            }
        });
        if base_url.is_none() {
            regency(&app);
        }
        let admin = AdminSession::sign_in(&app);
        let operator = app.login(OPERATOR, PASSWORD).expect("operator");
        for (who, page) in [("admin", admin.page()), ("operator", app.get_as(&operator, "/operator").body)] {
            assert_eq!(page.contains("Alamat publik belum diatur"), warned, "{base_url:?} on the {who}'s page: {page}");
            if warned {
                assert!(page.contains(&app.config.base_url) && page.contains("SKM_BASE_URL"), "{page}");
                assert_indonesian(&page, "the base_url warning");
            }
        }
    }
}

/// The admin page of the demo regency with a unit's and a user's corrections open, at a
/// desktop's and a phone's width: screenshots in target/screenshots for a person to look at.
#[test]
fn the_admin_page_fits_a_phone_and_a_desktop() {
    if !common::tool_available("chromium") || !common::tool_available("chromedriver") {
        return;
    }
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let accounts = common::seed_demo(&mut app.conn(), 200, 7).1;
    let admin = accounts.iter().find(|a| a.role == Role::Admin).expect("a demo admin");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    for (width, height) in [(1366, 900), (390, 844)] {
        let browser = common::webdriver::Browser::start(width, height);
        browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
        browser.open(&app.url("/admin"));
        browser.wait_for_text("Alamat publik belum diatur");
        browser.screenshot_viewport(&dir.join(format!("admin-{width}-top.png")));
        // a unit's corrections and a user's, opened as an admin would
        browser.click("details#unit-disdukcapil summary");
        browser.click("details[id^=user-] summary");
        let scroll = browser.script("return document.documentElement.scrollWidth;", vec![]);
        assert!(
            scroll.as_u64().is_some_and(|w| w <= u64::from(width)),
            "no sideways scrolling at {width} px: {scroll}"
        );
        browser.script("document.querySelector('details#unit-disdukcapil').scrollIntoView();", vec![]);
        browser.screenshot_viewport(&dir.join(format!("admin-{width}-unit.png")));
        browser.script("document.querySelector('details[id^=user-]').scrollIntoView();", vec![]);
        browser.screenshot_viewport(&dir.join(format!("admin-{width}-user.png")));
        browser.screenshot(&dir.join(format!("admin-{width}.png")));
        // the reset link, shown once at the top of the page
        browser.click("details#user-2 summary");
        browser.click("details#user-2 form[action='/admin/user-reset'] button");
        browser.wait_for_text("/sandi/atur?token=");
        browser.screenshot_viewport(&dir.join(format!("admin-{width}-reset.png")));
    }
}

/// `skm user disable|enable|reset-link`, `skm unit disable|enable` and `skm service
/// disable|enable` call the same services as the forms: same rules, same audit records.
#[test]
fn the_command_line_closes_disables_and_makes_reset_links_like_the_admin_page() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    regency(&app);
    let dir = tempfile::tempdir().expect("tmp");
    let cli = |args: &[&str]| {
        let out = common::skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run");
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };

    let (ok, out, err) = cli(&["unit", "disable", "--unit", "alpha"]);
    assert!(ok && out.contains("closed the survey of alpha"), "{out} {err}");
    assert!(app.get("/s/alpha").1.contains("Survei unit ini sedang tidak dibuka"));
    assert!(cli(&["unit", "enable", "--unit", "alpha"]).0);
    let (ok, _, err) = cli(&["unit", "disable", "--unit", "nowhere"]);
    assert!(!ok && err.contains("--unit: no unit with slug 'nowhere'"), "{err}");

    assert!(cli(&["service", "disable", "--unit", "alpha", "--service", "akta-lahir"]).0);
    let (_, listed, _) = cli(&["service", "list", "--unit", "alpha"]);
    assert!(listed.contains("akta-lahir") && listed.contains("(disabled)"), "{listed}");
    let (ok, _, err) = cli(&["service", "enable", "--unit", "alpha", "--service", "nope"]);
    assert!(!ok && err.contains("--service: the unit has no service 'nope'"), "{err}");

    let session = app.login(OPERATOR, PASSWORD).expect("operator");
    let (ok, out, err) = cli(&["user", "reset-link", "--email", OPERATOR]);
    assert!(ok, "{err}");
    let token = link_token(&out);
    assert_eq!(app.get_with(&format!("/sandi/atur?token={token}"), &[]).status, 200);
    let (ok, _, err) = cli(&["user", "disable", "--email", "Operator@Alpha.go.id"]);
    assert!(ok, "{err}");
    assert!(!signed_in(&app, &session), "the session ended");
    assert_eq!(app.get_with(&format!("/sandi/atur?token={token}"), &[]).status, 410, "the link was revoked");
    let (ok, _, err) = cli(&["user", "reset-link", "--email", OPERATOR]);
    assert!(!ok && err.contains("--email: the account of 'operator@alpha.go.id' is disabled"), "{err}");
    assert!(cli(&["user", "enable", "--email", OPERATOR]).0);
    assert!(app.login(OPERATOR, PASSWORD).is_ok());
    let (ok, _, err) = cli(&["user", "disable", "--email", "tidak@ada.go.id"]);
    assert!(!ok && err.contains("--email: no user with e-mail 'tidak@ada.go.id'"), "{err}");
    for action in ["unit.disable", "unit.enable", "service.disable", "user.reset_link", "user.disable", "user.enable"] {
        assert_eq!(common::audited(&app, action).len(), 1, "{action}");
    }
}
