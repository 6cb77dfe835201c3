//! Security over HTTP: CSRF on every state-changing form, sessions that cannot be fixed, forged or
//! reused after sign-out, unit scope on every unit route, security headers on every kind of
//! response, no script in any page, and SQL injection attempts in every query parameter.
//!
//! The routes come from the application's own route table (`skm::web::routes::ROUTES`), where
//! every route says who may use it, so a new route gets every check below; `QUERY_PARAMS`
//! mirrors the `*Query` structs of `src/web/`.

use crate::common;

use common::{backends, encode, hidden, seed_unit_and_user, Reply, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::db::schema::{
    answers, api_keys, audit_log, password_resets, proof_images, publication_media, publications, responses,
    rtl_actions, rtl_status_changes, services, setup_uploads, ticket_codes, unit_populations, units, used_form_tokens,
    user_units, users,
};
use skm::domain::names::{Channel, Role, Slug, UnitKind};
use skm::web::access::Access;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

/// A route of the application's table (`skm::web::routes::ROUTES`), with the query a
/// successful request needs.
struct Route {
    method: &'static str,
    pattern: &'static str,
    access: Access,
    query: &'static str,
}

/// Every route the application mounts, read from its route table. Placeholders: `{slug}` a unit,
/// `{action}` an admin form, `{format}` a report format, `{ext}` a poster format, `{id}` a
/// follow-up action of the unit, `{medium}` an entry of its publication-media log.
static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    skm::web::routes::ROUTES
        .iter()
        .map(|r| Route { method: r.method.as_str(), pattern: r.path, access: r.access, query: query_for(r.path) })
        .collect()
});

/// Pages and reports of a period are tried with the test's period.
fn query_for(pattern: &str) -> &'static str {
    match pattern {
        "/api/v1/units/{slug}/index"
        | "/dasbor/unit/{slug}"
        | "/dasbor/unit/{slug}/laporan.{format}"
        | "/admin/bukti.zip" => "?period={period}",
        _ => "",
    }
}

/// `unpublish` after `publish`: it takes back what the publish form published; each `…-enable`
/// after its `…-disable`; the reset link before the account is disabled (a disabled one gets none).
const ADMIN_ACTIONS: [&str; 29] = [
    "unit",
    "service",
    "population",
    "template",
    "letterhead",
    "user",
    "publish",
    "unpublish",
    "unit-edit",
    "unit-disable",
    "unit-enable",
    "service-edit",
    "service-disable",
    "service-enable",
    "user-edit",
    "user-reset",
    "user-invite",
    "user-revoke-invite",
    "user-disable",
    "user-enable",
    "delete_medium",
    "mail-test",
    "api-key-create",
    "api-key-revoke",
    // counters and officers (issue 19, point 4)
    "desk",
    "desk-disable",
    "desk-enable",
    // Zona Integritas instruments (issue 19, point 7)
    "instrument-add",
    "instrument-remove",
];

const ADMIN: &str = "admin@kutaitimurkab.go.id";
const HEAD_A: &str = "kepala@alpha.go.id";
const OP_A: &str = "operator@alpha.go.id";
const HEAD_B: &str = "kepala@beta.go.id";
const OP_B: &str = "operator@beta.go.id";
/// an account of unit beta that only the admin forms change (edit, reset link, disable)
const SPARE_B: &str = "cadangan@beta.go.id";
/// invited, no password yet: the invitation forms' account
const INVITED_B: &str = "undangan@beta.go.id";

/// Two units with heads, operators, responses with saran, a follow-up action with an evidence
/// image and a publication-media entry with a proof image each, and an admin. Saran read
/// `rahasia-<unit>-<n>` so a leak is easy to spot.
struct World {
    app: TestApp,
    alpha: i32,
    beta: i32,
    rtl_alpha: i32,
    rtl_beta: i32,
    medium_alpha: i32,
    medium_beta: i32,
    /// an enrolled device of each unit (waiting for its app)
    device_alpha: String,
    device_beta: String,
    /// the current month: the seeded responses are in it
    period: String,
    today: chrono::NaiveDate,
}

impl World {
    fn new(database: &TestDb) -> World {
        // a local SMTP server, so that the test e-mail form has somewhere to send
        let sink = common::smtp::SmtpSink::start();
        let app = TestApp::spawn_with(database, |c| {
            c.rate_limit_per_minute = 100_000;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = sink.port;
            c.mail.smtp_security = skm::config::SmtpSecurity::None;
        });
        seed_unit_and_user(&app, "kabupaten", ADMIN, Role::Admin);
        let alpha = seed_unit_and_user(&app, "alpha", HEAD_A, Role::UnitHead);
        add_user(&app, OP_A, Role::Operator, alpha);
        let beta = seed_unit_and_user(&app, "beta", HEAD_B, Role::UnitHead);
        add_user(&app, OP_B, Role::Operator, beta);
        add_user(&app, SPARE_B, Role::Operator, beta);
        skm::db::users::create(
            &mut app.conn(),
            &skm::db::users::NewUser {
                email: INVITED_B,
                name: "Diundang",
                password_hash: skm::db::users::NO_PASSWORD,
                role: Role::Operator,
                unit_ids: &[beta],
            },
        )
        .expect("invited user");
        let today = skm::demo::today(chrono_tz::Asia::Makassar);
        seed_responses(&app, alpha, "rahasia-alpha", today);
        seed_responses(&app, beta, "rahasia-beta", today);
        let rtl_alpha = seed_rtl(&app, alpha);
        let rtl_beta = seed_rtl(&app, beta);
        let period = skm::domain::period::Period::month_of(today).to_string();
        let medium_alpha = seed_medium(&app, alpha, &period, "alpha");
        let medium_beta = seed_medium(&app, beta, &period, "papan-beta");
        let counters = skm::db::counters::Roster::Counters;
        skm::desks::add(&mut app.conn(), None, counters, "alpha", "loket-a", "Loket A").expect("a counter");
        skm::db::publications::publish(&mut app.conn(), beta, &period, false, None).expect("published");
        // API keys for the revoke form, one per successful revocation a test makes
        for n in 0..8 {
            let new = skm::api_keys::NewKey { unit: "alpha".into(), name: format!("Cabut {n}"), scopes: "read".into() };
            let keys = skm::security::Keys::derive("test");
            skm::api_keys::create(&mut app.conn(), &keys, None, new, chrono::Utc::now().naive_utc()).expect("key");
        }
        let admin_id: i32 =
            users::table.filter(users::email.eq(ADMIN)).select(users::id).first(&mut app.conn()).expect("the admin");
        let device = |unit_id: i32| {
            let request = skm::devices::NewDeviceRequest {
                kind: skm::domain::device::Kind::Kiosk,
                label: "Kios".into(),
                person: None,
                counter: None,
                unit_ids: vec![unit_id],
            };
            skm::devices::start_enrolment(&mut app.conn(), &request, admin_id, chrono::Utc::now())
                .expect("stored")
                .expect("a valid device")
                .device
                .public_id
        };
        let (device_alpha, device_beta) = (device(alpha), device(beta));
        World {
            app,
            alpha,
            beta,
            rtl_alpha,
            rtl_beta,
            medium_alpha,
            medium_beta,
            device_alpha,
            device_beta,
            period,
            today,
        }
    }

    fn login(&self, email: &str) -> String {
        self.app.login(email, PASSWORD).unwrap_or_else(|r| panic!("{email} signs in: {} {}", r.status, r.body))
    }

    fn rtl_of(&self, slug: &str) -> i32 {
        match slug {
            "alpha" => self.rtl_alpha,
            "beta" => self.rtl_beta,
            _ => 999_999,
        }
    }

    fn device_of(&self, slug: &str) -> String {
        match slug {
            "alpha" => self.device_alpha.clone(),
            "beta" => self.device_beta.clone(),
            _ => "0197a000-0000-7000-8000-000000000000".into(),
        }
    }

    fn medium_of(&self, slug: &str) -> i32 {
        match slug {
            "alpha" => self.medium_alpha,
            "beta" => self.medium_beta,
            _ => 999_999,
        }
    }
}

/// A proof image (a real PNG).
fn png() -> Vec<u8> {
    skm::demo::counter_board_png()
}

/// An entry of the unit's publication-media log with a proof image (whether or not the period is
/// published: the log keeps entries of a publication taken back). `note` shows up on /admin.
fn seed_medium(app: &TestApp, unit_id: i32, period: &str, note: &str) -> i32 {
    let mut conn = app.conn();
    let image = skm::domain::proof::ProofImage::parse(png()).expect("png").expect("an image");
    let image_id = skm::db::images::insert(&mut conn, &image, None).expect("image");
    skm::db::publications::add_medium(
        &mut conn,
        &skm::db::publications::NewMedium {
            unit_id,
            period,
            medium: skm::domain::names::Medium::CounterBoard,
            published_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 5).expect("date"),
            url: Some("https://kutaitimurkab.go.id/skm"),
            image_id: Some(image_id),
            note: Some(note),
            created_by: None,
        },
    )
    .expect("medium")
}

fn add_user(app: &TestApp, email: &str, role: Role, unit_id: i32) {
    let hash = skm::password::hash(PASSWORD).expect("hash");
    skm::db::users::create(
        &mut app.conn(),
        &skm::db::users::NewUser { email, name: "Petugas", password_hash: &hash, role, unit_ids: &[unit_id] },
    )
    .expect("user");
}

fn seed_responses(app: &TestApp, unit_id: i32, saran: &str, today: chrono::NaiveDate) {
    let mut conn = app.conn();
    let versions = common::registry(&mut conn);
    let (version_id, template) = versions.current("permenpanrb-14-2017").expect("default template");
    let service = skm::db::units::services_of(&mut conn, unit_id).expect("services")[0].id;
    for i in 1..=3 {
        let response = skm::db::responses::NewResponse {
            id: uuid::Uuid::now_v7(),
            unit_id,
            service_id: Some(service),
            template_version_id: version_id,
            channel: Channel::Web,
            submitted_at: chrono::Utc::now().naive_utc(),
            survey_date: today,
            gender: None,
            age: None,
            education: None,
            occupation: None,
            profile_extra: None,
            saran: Some(format!("{saran}-{i}")),
            client_hash: None,
            answers: template.elements.iter().map(|e| (e.code.clone(), 3)).collect(),
        };
        skm::db::responses::insert(&mut conn, &response).expect("response");
    }
}

fn seed_rtl(app: &TestApp, unit_id: i32) -> i32 {
    let mut conn = app.conn();
    let creator: i32 = users::table.select(users::id).first(&mut conn).expect("a user");
    skm::db::rtl::create(
        &mut conn,
        &skm::db::rtl::NewRtl {
            unit_id,
            period: "2026-10",
            element_code: "U3",
            action: "Menambah loket",
            owner: "Kasubag",
            due_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
            created_by: creator,
        },
    )
    .expect("rtl");
    let id = skm::db::rtl::for_unit(&mut conn, unit_id).expect("rtl list")[0].id;
    // done, with a photo as evidence: the evidence image route has something to serve
    let image = skm::domain::proof::ProofImage::parse(png()).expect("png").expect("an image");
    let image_id = skm::db::images::insert(&mut conn, &image, Some(creator)).expect("image");
    let change = skm::db::rtl::Change {
        status: skm::domain::names::RtlStatus::Done,
        by: Some(creator),
        note: Some("Loket 3 dibuka"),
        url: None,
        image_id: Some(image_id),
    };
    assert!(skm::db::rtl::set_status(&mut conn, id, &[unit_id], &change).expect("status"));
    id
}

/// What the database holds, in enough detail to see any change a request could make.
#[derive(Debug, PartialEq)]
struct Snapshot {
    counts: Vec<(&'static str, i64)>,
    setup_uploads: i64,
    /// id, password hash, monthly e-mail opt-out, session epoch
    users: Vec<(i32, String, bool, i32)>,
    /// id, name, role, disabled
    accounts: Vec<(i32, String, String, bool)>,
    /// id, status
    rtl: Vec<(i32, String)>,
    /// unit id, questionnaire
    templates: Vec<(i32, Option<String>)>,
    /// unit id, name, kind, parent, open
    units: Vec<(i32, String, String, Option<i32>, bool)>,
    /// service id, name, active
    services: Vec<(i32, String, bool)>,
}

macro_rules! counts {
    ($conn:expr, $($table:ident),+ $(,)?) => {
        vec![$((
            stringify!($table),
            $table::table.count().get_result::<i64>($conn).expect(concat!("the table ", stringify!($table), " exists")),
        )),+]
    };
}

fn snapshot(app: &TestApp) -> Snapshot {
    let mut conn = app.conn();
    Snapshot {
        counts: counts!(
            &mut conn,
            units,
            services,
            unit_populations,
            users,
            user_units,
            responses,
            answers,
            rtl_actions,
            rtl_status_changes,
            publications,
            publication_media,
            proof_images,
            used_form_tokens,
            ticket_codes,
            audit_log,
            password_resets,
            api_keys,
        ),
        // uploads made through the page (the confirmations the test makes itself are stored
        // without an uploader, before the requests are sent)
        setup_uploads: setup_uploads::table
            .filter(setup_uploads::uploaded_by.is_not_null())
            .count()
            .get_result(&mut conn)
            .expect("setup uploads"),
        users: users::table
            .order(users::id)
            .select((users::id, users::password_hash, users::email_opt_out, users::session_epoch))
            .load(&mut conn)
            .expect("users"),
        accounts: users::table
            .order(users::id)
            .select((users::id, users::name, users::role, users::disabled))
            .load(&mut conn)
            .expect("accounts"),
        rtl: rtl_actions::table
            .order(rtl_actions::id)
            .select((rtl_actions::id, rtl_actions::status))
            .load(&mut conn)
            .expect("rtl"),
        templates: units::table
            .order(units::id)
            .select((units::id, units::template_id))
            .load(&mut conn)
            .expect("units"),
        units: units::table
            .order(units::id)
            .select((units::id, units::name, units::kind, units::parent_id, units::active))
            .load(&mut conn)
            .expect("units"),
        services: services::table
            .order(services::id)
            .select((services::id, services::name, services::active))
            .load(&mut conn)
            .expect("services"),
    }
}

/// The responses and follow-up actions of one unit.
fn unit_data(app: &TestApp, unit_id: i32) -> (i64, Vec<(i32, String)>) {
    let mut conn = app.conn();
    let count =
        responses::table.filter(responses::unit_id.eq(unit_id)).count().get_result(&mut conn).expect("responses");
    let rtl = rtl_actions::table
        .filter(rtl_actions::unit_id.eq(unit_id))
        .order(rtl_actions::id)
        .select((rtl_actions::id, rtl_actions::status))
        .load(&mut conn)
        .expect("rtl");
    (count, rtl)
}

#[derive(Clone)]
enum Body {
    Form(Vec<(String, String)>),
    /// multipart: text fields and the file
    Upload(Vec<(String, String)>, Vec<u8>),
}

struct Request {
    method: &'static str,
    path: String,
    body: Option<Body>,
}

impl Request {
    /// The same request with the given CSRF field (or none).
    fn with_csrf(&self, csrf: Option<&str>) -> Request {
        let add = |fields: &[(String, String)]| {
            let mut fields = fields.to_vec();
            if let Some(csrf) = csrf {
                fields.push(("csrf".into(), csrf.into()));
            }
            fields
        };
        let body = match &self.body {
            Some(Body::Form(fields)) => Some(Body::Form(add(fields))),
            Some(Body::Upload(fields, file)) => Some(Body::Upload(add(fields), file.clone())),
            None => None,
        };
        Request { method: self.method, path: self.path.clone(), body }
    }

    /// Sends it with a session cookie (`None`: signed out).
    fn send(&self, app: &TestApp, cookie: Option<&str>) -> Reply {
        let cookie = cookie.unwrap_or("skm_unrelated=1");
        match (self.method, &self.body) {
            ("GET", _) => app.get_as(cookie, &self.path),
            (_, Some(Body::Upload(fields, file))) => {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                app.post_file_as(cookie, &self.path, &fields, "jawaban.csv", file)
            }
            (_, Some(Body::Form(fields))) => app.post_form_as(cookie, &self.path, fields),
            (_, None) => app.post_form_as(cookie, &self.path, &[]),
        }
    }

    fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A body that succeeds (given a valid CSRF token and the right user); every call is unique, so
/// admin forms never collide with an earlier one.
fn valid_body(pattern: &str, action: &str, w: &World) -> Option<Body> {
    let n = UNIQUE.fetch_add(1, Ordering::SeqCst);
    let date = (w.today - chrono::Duration::days(3)).to_string();
    let form = match (pattern, action) {
        (_, "unit") => pairs(&[("slug", &format!("unit-baru-{n}")), ("name", "Unit Baru"), ("kind", "opd")]),
        (_, "service") => pairs(&[("unit", "alpha"), ("slug", &format!("layanan-{n}")), ("name", "Layanan")]),
        (_, "population") => pairs(&[("unit", "alpha"), ("period", "2026"), ("count", &(1000 + n).to_string())]),
        // not alpha: its questionnaire must stay the nine-element one the other bodies answer
        (_, "template") => pairs(&[("unit", "kabupaten"), ("template", "kepmenpan-25-2004")]),
        (_, "user") => pairs(&[
            ("email", &format!("baru{n}@kutaitimurkab.go.id")),
            ("name", "Baru"),
            ("role", "operator"),
            ("unit", "alpha"),
        ]),
        (_, "publish" | "unpublish") => pairs(&[("unit", "alpha"), ("period", &w.period)]),
        // multipart, as the form sends it (its logo field left empty)
        (_, "letterhead") => {
            let nip = format!("19750101200003{:04}", n % 10_000);
            let fields = pairs(&[("unit", "alpha"), ("agency", "Dinas Alpha"), ("place", "Sangatta"), ("nip", &nip)]);
            return Some(Body::Upload(fields, Vec::new()));
        }
        // corrections: kabupaten, unit beta's spare account and alpha's second service, which no
        // other body uses
        (_, "unit-edit") => pairs(&[("unit", "kabupaten"), ("name", &format!("Kabupaten {n}")), ("kind", "opd")]),
        (_, "unit-disable" | "unit-enable") => pairs(&[("unit", "kabupaten")]),
        (_, "service-edit") => pairs(&[("unit", "alpha"), ("service", "akta-lahir"), ("name", &format!("Akta {n}"))]),
        (_, "service-disable" | "service-enable") => pairs(&[("unit", "alpha"), ("service", "akta-lahir")]),
        (_, "user-edit") => {
            pairs(&[("user", SPARE_B), ("name", &format!("Cadangan {n}")), ("role", "operator"), ("units", "beta")])
        }
        (_, "user-reset" | "user-disable" | "user-enable") => pairs(&[("user", SPARE_B)]),
        (_, "user-invite" | "user-revoke-invite") => pairs(&[("user", INVITED_B)]),
        // (only the CSRF test deletes it, once)
        (_, "delete_medium") => pairs(&[("id", &w.medium_alpha.to_string())]),
        (_, "mail-test") => pairs(&[("to", ADMIN)]),
        (_, "api-key-create") => pairs(&[("unit", "alpha"), ("name", &format!("Kunci {n}")), ("scopes", "read")]),
        // the first of the world's keys still active: revoking changes it once
        (_, "api-key-revoke") => {
            let id: String = api_keys::table
                .filter(api_keys::revoked_at.is_null().and(api_keys::name.like("Cabut %")))
                .order(api_keys::id)
                .select(api_keys::id)
                .first(&mut w.app.conn())
                .expect("an active key to revoke");
            pairs(&[("id", &id)])
        }
        // counters and officers (issue 19, point 4): alpha's `loket-a` is seeded
        (_, "desk") => {
            pairs(&[("unit", "alpha"), ("kind", "loket"), ("code", &format!("loket-{n}")), ("name", "Loket")])
        }
        (_, "instrument-add" | "instrument-remove") => pairs(&[("unit", "alpha"), ("template", "spkp-zi")]),
        (_, "desk-disable" | "desk-enable") => pairs(&[("unit", "alpha"), ("kind", "loket"), ("code", "loket-a")]),
        ("/admin/publikasi/media", _) => {
            // media are recorded for a published period: beta's (the publish forms change alpha's)
            let fields = pairs(&[
                ("publication", &format!("beta|{}", w.period)),
                ("medium", "website"),
                ("date", &w.today.to_string()),
                ("url", &format!("https://alpha.go.id/skm-{n}")),
            ]);
            return Some(Body::Upload(fields, png()));
        }
        // the world's own setup and one unit more: the preview keeps the upload, applying adds the unit
        ("/admin/buku-kerja/pratinjau", _) => return Some(Body::Upload(Vec::new(), setup_workbook(w, n))),
        ("/admin/buku-kerja/terapkan", _) => {
            let bytes = setup_workbook(w, n);
            let mut conn = w.app.conn();
            let digest = skm::setup::digest(&bytes);
            skm::db::setup_uploads::save(&mut conn, &digest, &bytes, None, chrono::Utc::now().naive_utc())
                .expect("upload kept");
            let catalog = skm::catalog::Catalog::load(None).expect("templates");
            let Ok(skm::setup::Preview::Ready(plan)) = skm::setup::preview(&mut conn, &catalog, None, &bytes) else {
                panic!("the world's setup workbook previews")
            };
            pairs(&[("digest", &digest), ("plan", &plan.fingerprint())])
        }
        ("/admin/populasi/impor", _) => {
            let csv = format!("unit;bulan;jumlah\nalpha;2026-11;{}\n", 500 + n);
            return Some(Body::Upload(Vec::new(), csv.into_bytes()));
        }
        ("/keluar", _) => Vec::new(),
        ("/akun/sandi", _) => {
            pairs(&[("current", PASSWORD), ("new", "sandi-baru-yang-panjang"), ("repeat", "sandi-baru-yang-panjang")])
        }
        ("/akun/email", _) => pairs(&[("opt_out", "1")]),
        ("/dasbor/unit/{slug}/rtl", _) => pairs(&[
            ("element", "U3"),
            ("period", &w.period),
            ("action", &format!("Tindakan {n}")),
            ("owner", "Kasubag"),
            ("due", "2026-12-31"),
        ]),
        ("/dasbor/unit/{slug}/rtl/{id}", _) => {
            let fields =
                pairs(&[("status", ["done", "in_progress"][n % 2]), ("note", "Loket 3 dibuka"), ("period", &w.period)]);
            return Some(Body::Upload(fields, png()));
        }
        ("/operator/{slug}/kertas", _) => {
            let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("U{i}"), "3".to_string())).collect();
            fields.extend(pairs(&[("layanan", "ktp-el"), ("tanggal", &date)]));
            fields
        }
        ("/operator/{slug}/impor", _) => {
            // a different file each time: the same file again would ask before importing
            let csv = format!(
                "U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan,tanggal,saran\n4,4,4,4,4,4,4,4,4,ktp-el,{date},berkas {n}\n"
            );
            return Some(Body::Upload(Vec::new(), csv.into_bytes()));
        }
        ("/operator/{slug}/perangkat", _) => {
            pairs(&[("jenis", "kiosk"), ("nama", &format!("Kios {n}")), ("unit", "alpha")])
        }
        ("/operator/{slug}/perangkat/{device}/kode" | "/operator/{slug}/perangkat/{device}/cabut", _) => Vec::new(),
        _ => return None,
    };
    Some(Body::Form(form))
}

/// The world's current setup as a workbook, with a new unit `setup-<n>`.
fn setup_workbook(w: &World, n: usize) -> Vec<u8> {
    let mut current = skm::setup::plan::current(&mut w.app.conn()).expect("the setup");
    current.units.push(skm::setup::plan::CurrentUnit {
        slug: format!("setup-{n}"),
        name: format!("Unit Buku Kerja {n}"),
        kind: "opd".into(),
        parent: None,
        template: None,
        active: true,
        kop: None,
    });
    let catalog = skm::catalog::Catalog::load(None).expect("templates");
    skm::setup::write::export(&current, &skm::setup::template_ids(&catalog)).expect("workbook")
}

/// Every concrete request of a route for unit `slug`: placeholders filled, each report and poster
/// format and each admin form, with a body that would succeed (CSRF field not included).
fn requests(route: &Route, slug: &str, w: &World) -> Vec<Request> {
    let variants: &[&str] = if route.pattern.contains("{format}") {
        &["pdf", "docx", "xlsx", "csv"]
    } else if route.pattern.contains("{ext}") {
        &["svg", "png", "pdf"]
    } else if route.pattern.contains("{action}") {
        &ADMIN_ACTIONS
    } else {
        &[""]
    };
    variants
        .iter()
        .map(|variant| {
            let path = route
                .pattern
                .replace("{slug}", slug)
                // a Mal Pelayanan Publik's agency: the world has no hall, so a unit stands in
                .replace("{agency}", slug)
                .replace("{id}", &w.rtl_of(slug).to_string())
                .replace("{medium}", &w.medium_of(slug).to_string())
                .replace("{device}", &w.device_of(slug))
                .replace("{format}", variant)
                .replace("{ext}", variant)
                .replace("{action}", variant);
            let query = route.query.replace("{period}", &w.period);
            let body = if route.method == "POST" { valid_body(route.pattern, variant, w) } else { None };
            Request { method: route.method, path: format!("{path}{query}"), body }
        })
        .collect()
}

fn routes_with(access: &[Access]) -> impl Iterator<Item = &'static Route> + '_ {
    ROUTES.iter().filter(move |r| access.contains(&r.access))
}

#[test]
fn the_route_table_names_every_kind_of_access() {
    // Each access level is tried by the tests below; a table without one would test nothing.
    for access in [
        Access::Public,
        Access::Token,
        Access::SignedIn,
        Access::Admin,
        Access::Console,
        Access::UnitReader,
        Access::UnitDataEntry,
    ] {
        assert!(ROUTES.iter().any(|r| r.access == access), "no route is {access:?}");
    }
    assert!(ROUTES.len() > 25, "the table has only {} routes", ROUTES.len());
}

#[test]
fn every_route_but_the_public_ones_needs_a_session() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let before = snapshot(&w.app);
    for route in
        routes_with(&[Access::SignedIn, Access::Admin, Access::Console, Access::UnitReader, Access::UnitDataEntry])
    {
        for request in requests(route, "alpha", &w) {
            let reply = request.send(&w.app, None);
            if route.pattern.starts_with("/api/") {
                // an API client gets a problem it can read, not a sign-in page
                assert_eq!(reply.status, 401, "{} signed out: {}", request.describe(), reply.body);
                assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{}", request.describe());
                continue;
            }
            assert_eq!(reply.status, 303, "{} signed out: {}", request.describe(), reply.body);
            let location = reply.header("location").unwrap_or_default();
            assert!(
                location.starts_with("/masuk?next=/"),
                "{} sends to the login page, not {location}",
                request.describe()
            );
        }
    }
    assert_eq!(snapshot(&w.app), before, "nothing changed without a session");
    // machine routes take a configured bearer token, never a session
    let admin = w.login(ADMIN);
    for route in routes_with(&[Access::Token]) {
        for cookie in [None, Some(admin.as_str())] {
            let reply =
                Request { method: route.method, path: route.pattern.to_string(), body: None }.send(&w.app, cookie);
            assert!(
                matches!(reply.status, 401 | 404),
                "{} with {cookie:?}: {} {}",
                route.pattern,
                reply.status,
                reply.body
            );
        }
    }
}

/// The user a state-changing route is tried with: one who may use it. Routes for any signed-in
/// user get a fresh account, since they sign out or change the password.
fn actor_for(route: &Route, w: &World) -> String {
    match route.access {
        Access::Admin | Access::Console => ADMIN.to_string(),
        Access::UnitReader => HEAD_A.to_string(),
        Access::UnitDataEntry => OP_A.to_string(),
        Access::SignedIn | Access::Public | Access::Token => {
            let email = format!("akun{}@alpha.go.id", UNIQUE.fetch_add(1, Ordering::SeqCst));
            add_user(&w.app, &email, Role::UnitHead, w.alpha);
            email
        }
    }
}

#[test]
fn every_state_changing_form_refuses_a_missing_or_wrong_csrf_token() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let other_user = w.login(OP_B);
    let other_users_csrf = hidden(&w.app.get_as(&other_user, "/akun/sandi").body, "csrf");
    let posts: Vec<&Route> = ROUTES.iter().filter(|r| r.method == "POST" && r.access != Access::Public).collect();
    assert_eq!(posts.len(), 15, "every signed-in POST route is tried");
    for route in posts {
        for request in requests(route, "alpha", &w) {
            let actor = actor_for(route, &w);
            let cookie = w.login(&actor);
            let csrf = hidden(&w.app.get_as(&cookie, "/akun/sandi").body, "csrf");
            // the same user's other session has its own secret
            let second = w.login(&actor);
            let second_csrf = hidden(&w.app.get_as(&second, "/akun/sandi").body, "csrf");
            assert_ne!(csrf, second_csrf, "every session has its own CSRF secret");
            let mut flipped = csrf.clone().into_bytes();
            let last = flipped.len() - 1;
            flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
            let flipped = String::from_utf8(flipped).expect("ascii");
            let wrong: [(&str, Option<&str>); 6] = [
                ("missing", None),
                ("empty", Some("")),
                ("forged", Some("forged")),
                ("one character changed", Some(&flipped)),
                ("another session's", Some(&second_csrf)),
                ("another user's", Some(&other_users_csrf)),
            ];
            for (what, token) in wrong {
                refused_unchanged(&w, &format!("{} as {actor} with a {what} CSRF token", request.describe()), || {
                    request.with_csrf(token).send(&w.app, Some(&cookie))
                });
            }
            // the same request with the right token works: the refusals above were about the token
            goes_through(&w, &format!("{} as {actor} with its CSRF token", request.describe()), || {
                request.with_csrf(Some(&csrf)).send(&w.app, Some(&cookie))
            });
        }
    }
}

/// Sends `request` with a session cookie and extra headers (a browser's `Origin`, `Sec-Fetch-Site`).
fn send_with(request: &Request, app: &TestApp, cookie: &str, headers: &[(&str, &str)]) -> Reply {
    let mut call = common::agent().post(&app.url(&request.path)).header("cookie", cookie);
    for (name, value) in headers {
        call = call.header(*name, *value);
    }
    let sent = match &request.body {
        Some(Body::Upload(fields, file)) => {
            let boundary = "skmoriginboundary";
            let mut body = Vec::new();
            for (name, value) in fields {
                body.extend(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"jawaban.csv\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(file);
            body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
            call.header("content-type", format!("multipart/form-data; boundary={boundary}")).send(&body[..])
        }
        Some(Body::Form(fields)) => call.send_form(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        None => call.send_form(Vec::<(&str, &str)>::new()),
    };
    Reply::from(sent.expect("HTTP request"))
}

/// `send` is refused as a forged form (403, the `forbidden` body) and changes nothing.
fn refused_unchanged(w: &World, what: &str, send: impl FnOnce() -> Reply) {
    let before = snapshot(&w.app);
    let reply = send();
    assert_eq!(reply.status, 403, "{what}: {}", reply.body);
    assert!(reply.body.contains("\"forbidden\""), "{what}: {}", reply.body);
    assert_eq!(snapshot(&w.app), before, "{what} changed the database");
}

/// `send` goes through (200 or 303) and changes the database: what a refusal refused was real.
fn goes_through(w: &World, what: &str, send: impl FnOnce() -> Reply) {
    let before = snapshot(&w.app);
    let reply = send();
    assert!(matches!(reply.status, 200 | 303), "{what}: {} {}", reply.status, reply.body);
    assert_ne!(snapshot(&w.app), before, "{what} changed nothing");
}

#[test]
fn every_signed_in_post_refuses_another_sites_origin() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let own = format!("http://{}", w.app.addr);
    let posts: Vec<&Route> = ROUTES.iter().filter(|r| r.method == "POST" && r.access != Access::Public).collect();
    assert_eq!(posts.len(), 15, "every signed-in POST route is tried");
    for route in posts {
        for request in requests(route, "alpha", &w) {
            let actor = actor_for(route, &w);
            let cookie = w.login(&actor);
            let csrf = hidden(&w.app.get_as(&cookie, "/akun/sandi").body, "csrf");
            let request = request.with_csrf(Some(&csrf));
            // a valid session and CSRF token: only where the form was sent from is wrong
            let foreign: [(&str, &[(&str, &str)]); 4] = [
                ("another site's Origin", &[("origin", "https://evil.example")]),
                ("an opaque Origin", &[("origin", "null")]),
                ("Sec-Fetch-Site cross-site, no Origin", &[("sec-fetch-site", "cross-site")]),
                ("Sec-Fetch-Site same-site, no Origin", &[("sec-fetch-site", "same-site")]),
            ];
            for (what, headers) in foreign {
                refused_unchanged(&w, &format!("{} as {actor} with {what}", request.describe()), || {
                    send_with(&request, &w.app, &cookie, headers)
                });
            }
            let same = [("origin", own.as_str()), ("sec-fetch-site", "same-origin")];
            goes_through(&w, &format!("{} as {actor} from this site", request.describe()), || {
                send_with(&request, &w.app, &cookie, &same)
            });
        }
    }
    // a browser gets the error page, not the JSON body
    let cookie = w.login(OP_A);
    let csrf = hidden(&w.app.get_as(&cookie, "/akun/sandi").body, "csrf");
    let request = Request { method: "POST", path: "/akun/email".into(), body: Some(Body::Form(Vec::new())) };
    let reply = send_with(
        &request.with_csrf(Some(&csrf)),
        &w.app,
        &cookie,
        &[("origin", "https://evil.example"), ("accept", "text/html")],
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{:?}", reply.headers);
    // …that says where the form came from, not "reload" (a stale form's advice, which a proxy
    // rewriting the address would have staff follow forever)
    assert!(reply.body.contains("Formulir dikirim dari luar skm"), "{}", reply.body);
    assert!(!reply.body.contains("kedaluwarsa"), "{}", reply.body);
}

#[test]
fn nothing_behind_a_sign_in_is_cached() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let gets = ROUTES.iter().filter(|r| r.method == "GET" && !matches!(r.access, Access::Public | Access::Token));
    let mut tried = 0;
    for route in gets {
        let cookie = w.login(&actor_for(route, &w));
        for request in requests(route, "alpha", &w) {
            let reply = request.send(&w.app, Some(&cookie));
            // (a unit head on /operator is sent to their dashboard)
            assert!(matches!(reply.status, 200 | 303), "{}: {} {}", request.describe(), reply.status, reply.body);
            assert_eq!(
                reply.header("cache-control"),
                Some("private, no-store"),
                "{} must not be kept by a browser or proxy",
                request.describe()
            );
            tried += 1;
        }
    }
    assert!(tried > 15, "only {tried} signed-in downloads and pages");
    // public files keep their own caching
    assert_eq!(w.app.get_with("/static/skm.css", &[]).header("cache-control"), Some("public, max-age=86400"));
}

#[test]
fn state_changing_routes_do_not_answer_get() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let cookie = w.login(ADMIN);
    let before = snapshot(&w.app);
    let has_get = |pattern: &str| ROUTES.iter().any(|r| r.method == "GET" && r.pattern == pattern);
    let post_only = ROUTES.iter().filter(|r| r.method == "POST" && r.access != Access::Public && !has_get(r.pattern));
    for route in post_only {
        for request in requests(route, "alpha", &w) {
            let get = Request { method: "GET", path: request.path.clone(), body: None };
            let reply = get.send(&w.app, Some(&cookie));
            // refused, naming the method the address takes
            assert_eq!(
                (reply.status, reply.header("allow")),
                (405, Some("POST")),
                "{}: {}",
                get.describe(),
                reply.body
            );
        }
    }
    assert_eq!(snapshot(&w.app), before);
    assert_eq!(w.app.get_as(&cookie, "/admin").status, 200, "GET /keluar did not sign out");
}

fn cookie_of(reply: &Reply) -> String {
    let set =
        reply.header("set-cookie").unwrap_or_else(|| panic!("a Set-Cookie header: {} {}", reply.status, reply.body));
    set.split(';').next().unwrap_or_default().to_string()
}

/// Signs in through the form while the browser presents `cookie`; returns the reply.
fn login_presenting(app: &TestApp, cookie: &str, email: &str) -> Reply {
    let page = app.get_as(cookie, "/masuk").body;
    let fields =
        pairs(&[("token", &common::token_of(&page)), ("email", email), ("password", PASSWORD), ("next", "/dasbor")]);
    app.post_form_as(cookie, "/masuk", &fields)
}

/// Changes the character at `at` of the cookie's value to another one of the same alphabet.
fn flip(cookie: &str, at: usize) -> String {
    let (name, value) = cookie.split_once('=').expect("name=value");
    let mut bytes = value.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    format!("{name}={}", String::from_utf8(bytes).expect("ascii"))
}

fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let reply = app.get_as(cookie, "/akun/sandi");
    match reply.status {
        200 => true,
        303 => false,
        other => panic!("GET /akun/sandi answered {other}: {}", reply.body),
    }
}

#[test]
fn sessions_cannot_be_fixed_forged_or_reused_after_sign_out() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let app = &w.app;

    // a cookie planted before sign-in is replaced, and never becomes a session
    for planted in ["skm_session=attacker-chosen-value", "skm_session=", "skm_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
    {
        let reply = login_presenting(app, planted, HEAD_A);
        assert_eq!(reply.status, 303, "{planted}: {}", reply.body);
        let issued = cookie_of(&reply);
        assert!(issued.starts_with("skm_session=") && issued != planted, "{planted} kept");
        assert!(signed_in(app, &issued));
        assert!(!signed_in(app, planted), "{planted} became a session");
    }
    // an attacker's own valid session planted in a victim's browser: the victim's sign-in
    // issues a new cookie, and the planted one stays the attacker's, without the victim's rights
    let attacker = w.login(OP_B);
    let reply = login_presenting(app, &attacker, HEAD_A);
    let victim = cookie_of(&reply);
    assert_ne!(victim, attacker);
    assert_eq!(app.get_as(&victim, "/dasbor/unit/alpha").status, 200);
    assert_eq!(app.get_as(&attacker, "/dasbor/unit/alpha").status, 404, "the planted cookie gained nothing");

    // each sign-in is a new session with a new CSRF secret
    let first = w.login(HEAD_A);
    let second = w.login(HEAD_A);
    assert_ne!(first, second);
    let csrf = |cookie: &str| hidden(&app.get_as(cookie, "/akun/sandi").body, "csrf");
    assert_ne!(csrf(&first), csrf(&second));

    // the session cookie is out of reach of scripts and of other sites' requests
    let reply = login_presenting(app, "skm_unrelated=1", HEAD_A);
    let attributes = reply.header("set-cookie").expect("cookie").to_ascii_lowercase();
    for attribute in ["httponly", "samesite=lax", "path=/"] {
        assert!(attributes.contains(attribute), "session cookie lacks {attribute}: {attributes}");
    }

    // a tampered cookie is no session: any one character changed, cut short, or grown
    let value_len = first.len() - "skm_session=".len();
    // (not the last characters: base64 padding bits there may not change the decoded bytes)
    for at in [0, value_len / 4, value_len / 2, value_len - 6] {
        assert!(!signed_in(app, &flip(&first, at)), "cookie with character {at} changed is accepted");
    }
    assert!(!signed_in(app, &first[..first.len() - 4]), "a truncated cookie is accepted");
    assert!(!signed_in(app, &format!("{first}AAAA")), "a lengthened cookie is accepted");
    let reply = app.get_as(&flip(&first, value_len / 2), "/api/v1/units/alpha/index?period=2026");
    assert_eq!(reply.status, 401, "the API refuses a tampered cookie too");

    // a cookie from another deployment (another master secret) is no session here
    let elsewhere_db = TestDb::sqlite();
    let elsewhere = TestApp::spawn(&elsewhere_db);
    seed_unit_and_user(&elsewhere, "alpha", HEAD_A, Role::UnitHead);
    let foreign = elsewhere.login(HEAD_A, PASSWORD).expect("signed in elsewhere");
    assert!(signed_in(&elsewhere, &foreign));
    assert!(!signed_in(app, &foreign), "a cookie sealed with another deployment's key is accepted");

    // signing out removes the cookie and ends it, and every other session of the user
    assert!(signed_in(app, &first) && signed_in(app, &second));
    let out = app.post_form_as(&first, "/keluar", &pairs(&[("csrf", &csrf(&first))]));
    assert_eq!(out.status, 303);
    let removal = out.header("set-cookie").expect("removal cookie").to_ascii_lowercase();
    assert!(removal.starts_with("skm_session=;") && removal.contains("max-age=0"), "{removal}");
    assert!(!signed_in(app, &first), "the cookie works after sign-out");
    assert!(!signed_in(app, &second), "another session of the user survived the sign-out");
    let reply = app.post_form_as(&first, "/akun/email", &pairs(&[("opt_out", "1")]));
    assert_eq!(reply.status, 303, "a signed-out cookie posting a form is sent to sign in");
    assert_eq!(reply.header("location"), Some("/masuk?next=/akun/email"));
}

#[test]
fn every_unit_route_answers_404_outside_the_users_units() {
    for database in backends() {
        let w = World::new(&database);
        let app = &w.app;
        let actors = [(HEAD_A, w.login(HEAD_A)), (OP_A, w.login(OP_A))];
        let beta_before = unit_data(app, w.beta);
        for route in routes_with(&[Access::UnitReader, Access::UnitDataEntry]) {
            for (email, cookie) in &actors {
                let csrf = hidden(&app.get_as(cookie, "/akun/sandi").body, "csrf");
                let role_fits =
                    matches!((route.access, *email), (Access::UnitReader, HEAD_A) | (Access::UnitDataEntry, OP_A));
                let mut not_found: Vec<(&str, Vec<String>)> = Vec::new();
                for slug in ["alpha", "beta", "tidak-ada"] {
                    let mut bodies = Vec::new();
                    for request in requests(route, slug, &w) {
                        let reply = request.with_csrf(Some(&csrf)).send(app, Some(cookie));
                        let what = format!("{}: {} as {email}", database.name, request.describe());
                        if role_fits && slug == "alpha" {
                            assert!(matches!(reply.status, 200 | 303), "{what}: {} {}", reply.status, reply.body);
                        } else {
                            assert_eq!(reply.status, 404, "{what}: {}", reply.body);
                            assert!(!reply.body.contains("Unit beta"), "{what} names the unit: {}", reply.body);
                        }
                        bodies.push(reply.body);
                    }
                    not_found.push((slug, bodies));
                }
                // a unit outside the scope looks exactly like a unit that does not exist
                assert_eq!(not_found[1].1, not_found[2].1, "{}: {} as {email}", database.name, route.pattern);
            }
        }
        // another unit's follow-up action through one's own unit
        let (head, op) = (&actors[0].1, &actors[1].1);
        let csrf = hidden(&app.get_as(head, "/akun/sandi").body, "csrf");
        let path = format!("/dasbor/unit/alpha/rtl/{}", w.rtl_beta);
        let fields = [("csrf", csrf.as_str()), ("status", "in_progress"), ("note", "x")];
        let reply = app.post_file_as(head, &path, &fields, "bukti.png", &png());
        assert_eq!(reply.status, 404, "{}: {path}: {}", database.name, reply.body);
        assert_eq!(unit_data(app, w.beta), beta_before, "{}: unit beta's data changed", database.name);
        // and another unit's evidence and publication proof through one's own unit
        for path in [
            format!("/dasbor/unit/alpha/rtl/{}/bukti", w.rtl_beta),
            format!("/dasbor/unit/alpha/publikasi/{}", w.medium_beta),
        ] {
            assert_eq!(app.get_as(head, &path).status, 404, "{}: {path}", database.name);
        }

        // pages of another role, and overviews that list units
        let op_csrf = hidden(&app.get_as(op, "/akun/sandi").body, "csrf");
        for (cookie, csrf) in [(head, &csrf), (op, &op_csrf)] {
            assert_eq!(app.get_as(cookie, "/admin").status, 404);
            for action in ADMIN_ACTIONS {
                let body = pairs(&[("csrf", csrf), ("unit", "beta"), ("slug", "x"), ("name", "x"), ("kind", "opd")]);
                assert_eq!(app.post_form_as(cookie, &format!("/admin/{action}"), &body).status, 404, "/admin/{action}");
            }
        }
        let regency = app.get_as(head, &format!("/dasbor?period={}", w.period));
        assert_eq!(regency.status, 200);
        assert!(regency.body.contains("Unit alpha") && !regency.body.contains("Unit beta"), "{}", regency.body);
        let reply = app.get_as(op, "/dasbor");
        assert_eq!((reply.status, reply.header("location")), (303, Some("/operator")));
        let home = app.get_as(op, "/operator");
        assert!(home.body.contains("/operator/alpha/kertas") && !home.body.contains("/operator/beta"), "{}", home.body);
        let reply = app.get_as(head, "/operator");
        assert_eq!((reply.status, reply.header("location")), (303, Some("/dasbor")));

        // admins reach every unit
        let admin = w.login(ADMIN);
        let csrf = hidden(&app.get_as(&admin, "/admin").body, "csrf");
        for route in routes_with(&[Access::UnitReader, Access::UnitDataEntry]) {
            for slug in ["alpha", "beta"] {
                for request in requests(route, slug, &w) {
                    let reply = request.with_csrf(Some(&csrf)).send(app, Some(&admin));
                    assert!(
                        matches!(reply.status, 200 | 303),
                        "{}: {} as admin: {} {}",
                        database.name,
                        request.describe(),
                        reply.status,
                        reply.body
                    );
                }
            }
        }
    }
}

const CSP_REQUIRED: [&str; 4] =
    ["default-src 'self'", "script-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"];

fn assert_security_headers(what: &str, reply: &Reply) {
    let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in CSP_REQUIRED {
        assert!(csp.contains(directive), "{what}: CSP lacks {directive}: {csp}");
    }
    for weak in ["unsafe-inline", "unsafe-eval", "*"] {
        assert!(!csp.contains(weak), "{what}: CSP allows {weak}: {csp}");
    }
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(reply.header("referrer-policy").is_some(), "{what}: no Referrer-Policy");
}

#[test]
fn every_kind_of_response_carries_the_security_headers() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let app = &w.app;
    let head = w.login(HEAD_A);
    let op = w.login(OP_A);
    let csrf = hidden(&app.get_as(&op, "/operator").body, "csrf");
    let token = common::token_of(&app.get("/s/alpha").1);
    let cases: Vec<(&str, u16, Reply)> = vec![
        ("HTML page", 200, app.get_with("/s/alpha", &[])),
        ("JSON API", 200, app.get_with("/api/v1/units/alpha/form", &[])),
        ("stylesheet", 200, app.get_with("/static/skm.css", &[])),
        ("health check", 200, app.get_with("/healthz", &[])),
        ("public results (own cache headers)", 200, app.get_with("/publik", &[])),
        ("JSON 404", 404, app.get_with("/tidak/ada", &[])),
        ("HTML 404", 404, app.get_with("/s/tidak-ada", &[])),
        ("redirect to sign in", 303, app.get_with("/dasbor", &[])),
        ("redirect after a submission", 303, app.post_form("/s/alpha", &pairs(&[("website", "bot")]))),
        ("form re-rendered with problems", 422, app.post_form("/s/alpha", &pairs(&[("token", &token)]))),
        (
            "unreadable form body",
            400,
            app.post_raw("/s/alpha", "application/x-www-form-urlencoded", &"a=b&".repeat(20_000)),
        ),
        ("unreadable query", 400, app.get_as(&head, "/dasbor/unit/alpha?hal=satu")),
        ("CSRF refusal", 403, app.post_form_as(&op, "/keluar", &pairs(&[("csrf", "forged")]))),
        ("not a multipart upload", 400, app.post_form_as(&op, "/operator/alpha/impor", &pairs(&[("csrf", &csrf)]))),
        ("CSV download", 200, app.get_as(&op, "/operator/alpha/impor/contoh.csv")),
        ("streamed report", 200, app.get_as(&head, &format!("/dasbor/unit/alpha/laporan.csv?period={}", w.period))),
        ("SVG poster", 200, app.get_as(&op, "/operator/alpha/poster.svg")),
        ("API refusal", 422, app.post_raw("/api/v1/units/alpha/responses", "application/json", "[]")),
        ("unreadable JSON", 400, app.post_raw("/api/v1/units/alpha/responses", "application/json", "{")),
        ("import problems", 422, {
            let bad = b"U1\n9\n".to_vec();
            app.post_file_as(&op, "/operator/alpha/impor", &[("csrf", &csrf)], "x.csv", &bad)
        }),
    ];
    for (what, status, reply) in &cases {
        assert_eq!(reply.status, *status, "{what}: {}", reply.body);
        assert_security_headers(what, reply);
    }
    let svg = &cases.iter().find(|(w, _, _)| *w == "SVG poster").expect("poster").2;
    assert!(!svg.body.to_ascii_lowercase().contains("<script"), "the poster SVG holds a script");
}

/// What the Content-Security-Policy would block in a page: `<script` elements, `javascript:`
/// URLs, event-handler attributes (`onclick=…`), and inline styles (`<style>`, `style=…`; the
/// policy allows only the stylesheet). Attribute values are skipped properly, so escaped text
/// that merely reads `onerror=` inside a value does not count.
fn inline_code_in(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = html.to_ascii_lowercase();
    if lower.contains("<script") {
        found.push("<script".to_string());
    }
    if lower.contains("javascript:") {
        found.push("javascript:".to_string());
    }
    if lower.contains("<style") {
        found.push("<style".to_string());
    }
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        // the tag's name
        i += 1;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
            i += 1;
        }
        // attributes until the end of the tag
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                break;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"=>/".contains(&bytes[i]) {
                i += 1;
            }
            let name = &lower[start..i];
            if (name.len() > 2 && name.starts_with("on")) || name == "style" {
                found.push(name.to_string());
            }
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(&quote @ (b'"' | b'\'')) => {
                        i += 1;
                        while i < bytes.len() && bytes[i] != quote {
                            i += 1;
                        }
                        i += 1;
                    }
                    _ => {
                        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                            i += 1;
                        }
                    }
                }
            } else if i == start {
                i += 1;
            }
        }
    }
    found
}

#[test]
fn the_scanner_finds_inline_code_but_not_escaped_text() {
    assert_eq!(inline_code_in("<p>x</p><img src=x onerror=alert(1)>"), ["onerror"]);
    assert_eq!(inline_code_in("<div class=\"a\" ONCLICK='x()'>"), ["onclick"]);
    assert_eq!(inline_code_in("<SCRIPT>alert(1)</SCRIPT>"), ["<script"]);
    assert_eq!(inline_code_in("<a href=\"JavaScript:alert(1)\">"), ["javascript:"]);
    assert_eq!(inline_code_in("<svg><text style=\"fill:red\">x</text></svg>"), ["style"]);
    assert!(inline_code_in("<input value=\"&quot; onerror=alert(1) x\"><p>&lt;script&gt; online=</p>").is_empty());
}

/// Text a user or attacker controls that pages show: it must come back as text.
const XSS: &str = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'";

#[test]
fn no_page_holds_inline_script_handlers_or_styles_even_with_hostile_data() {
    let database = TestDb::sqlite();
    let w = World::new(&database);
    let app = &w.app;
    {
        let mut conn = app.conn();
        let slug = Slug::parse("xss-layanan").expect("slug");
        skm::db::units::add_service(&mut conn, w.alpha, &slug, XSS).expect("service");
        skm::db::units::create(
            &mut conn,
            &skm::db::units::NewUnit {
                slug: &Slug::parse("xss-unit").expect("slug"),
                name: XSS,
                kind: UnitKind::Opd,
                parent_id: None,
                contact_emails: &[],
                template_id: None,
            },
        )
        .expect("unit");
        skm::db::publications::publish(&mut conn, w.alpha, &w.period, false, Some(1)).expect("publish");
        // hostile text in a follow-up action's history and in the publication-media log
        let change = skm::db::rtl::Change {
            status: skm::domain::names::RtlStatus::Dropped,
            by: Some(1),
            note: Some(XSS),
            url: None,
            image_id: None,
        };
        assert!(skm::db::rtl::set_status(&mut conn, w.rtl_alpha, &[w.alpha], &change).expect("status"));
    }
    seed_medium(app, w.alpha, &w.period, XSS);
    seed_responses(app, w.alpha, XSS, w.today);
    let admin = w.login(ADMIN);
    let head = w.login(HEAD_A);
    let op = w.login(OP_A);
    let csrf = hidden(&app.get_as(&op, "/operator").body, "csrf");
    let x = encode(XSS);
    let token = common::token_of(&app.get("/s/alpha").1);
    let mut hostile_form = pairs(&[("token", &token), ("saran", XSS), ("usia", XSS), ("layanan", XSS), ("U1", XSS)]);
    hostile_form.push(("lang".into(), XSS.into()));
    let mut pages: Vec<(String, Reply)> = Vec::new();
    for path in [
        format!("/s/alpha?layanan={x}&lang={x}"),
        "/s/alpha/kiosk".to_string(),
        "/s/alpha/terima-kasih".to_string(),
        "/s/alpha/kiosk/terima-kasih".to_string(),
        "/s/xss-unit".to_string(),
        format!("/masuk?next={x}"),
        format!("/masuk?next=javascript:alert(1)&lang={x}"),
        "/publik".to_string(),
        "/publik/layar".to_string(),
        "/s/tidak-ada".to_string(),
        format!("/sandi/atur?token={x}"),
    ] {
        pages.push((path.clone(), app.get_with(&path, &[])));
    }
    for (who, cookie) in [("admin", &admin), ("head", &head)] {
        for path in [
            format!("/dasbor?period={}", w.period),
            format!("/dasbor/unit/alpha?period={}", w.period),
            format!("/dasbor/unit/alpha?period={}&q={x}", w.period),
            "/akun/sandi?diganti=1".to_string(),
        ] {
            pages.push((format!("{path} as {who}"), app.get_as(cookie, &path)));
        }
    }
    for path in ["/admin?ok=1", "/operator/xss-unit/kertas"] {
        pages.push((path.to_string(), app.get_as(&admin, path)));
    }
    for path in ["/operator", "/operator/alpha/kertas?tersimpan=1", "/operator/alpha/impor"] {
        pages.push((path.to_string(), app.get_as(&op, path)));
    }
    pages.push(("survey form re-rendered".into(), app.post_form("/s/alpha", &hostile_form)));
    pages.push(("kiosk form with a bad token".into(), app.post_form("/s/alpha/kiosk", &hostile_form)));
    let mut paper = hostile_form.clone();
    paper.push(("csrf".into(), csrf.clone()));
    paper.push(("tanggal".into(), XSS.into()));
    pages.push(("paper form re-rendered".into(), app.post_form_as(&op, "/operator/alpha/kertas", &paper)));
    let csv = format!("U1,U2,saran\n\"{}\",4,\"{}\"\n", XSS.replace('"', "\"\""), XSS.replace('"', "\"\""));
    let import = app.post_file_as(&op, "/operator/alpha/impor", &[("csrf", &csrf)], "x.csv", csv.as_bytes());
    pages.push(("import problems".into(), import));
    let bad_unit =
        pairs(&[("csrf", &hidden(&app.get_as(&admin, "/admin").body, "csrf")), ("slug", XSS), ("name", XSS)]);
    pages.push(("admin form problem".into(), app.post_form_as(&admin, "/admin/unit", &bad_unit)));
    let login = pairs(&[("token", &common::token_of(&app.get("/masuk").1)), ("email", XSS), ("next", XSS)]);
    pages.push(("login refused".into(), app.post_form("/masuk", &login)));

    let mut shown = 0;
    for (what, reply) in &pages {
        assert!(reply.status < 500, "{what}: {} {}", reply.status, reply.body);
        assert!(
            reply.header("content-type").is_some_and(|t| t.starts_with("text/html")),
            "{what}: not a page ({:?}): {}",
            reply.header("content-type"),
            reply.body
        );
        assert_security_headers(what, reply);
        assert_eq!(inline_code_in(&reply.body), Vec::<String>::new(), "{what} holds inline code: {}", reply.body);
        if reply.body.contains("&lt;script&gt;") || reply.body.contains("&#60;script&#62;") {
            shown += 1;
        }
    }
    assert!(shown >= 8, "the hostile text should come back escaped on many pages, did on {shown}");
}

/// Every query parameter a handler reads (the `*Query` structs in `src/web/`), with a request that
/// reads it (the other parameters valid) and the user who makes it.
const QUERY_PARAMS: &[(&str, &str, &str)] = &[
    ("/s/alpha", "layanan", ""),
    ("/s/alpha", "lang", ""),
    ("/s/alpha/kiosk/terima-kasih", "lang", ""),
    ("/masuk", "next", ""),
    ("/masuk", "lang", ""),
    ("/admin", "ok", ADMIN),
    ("/admin", "isi", ADMIN),
    ("/admin", "unit", ADMIN),
    ("/admin", "populasi", ADMIN),
    ("/admin/bukti.zip", "period", ADMIN),
    ("/akun/sandi", "diganti", HEAD_A),
    ("/operator/alpha/perangkat", "dicabut", OP_A),
    ("/sandi/atur", "token", ""),
    ("/dasbor", "period", HEAD_A),
    ("/dasbor", "semua", ADMIN),
    ("/dasbor?period={period}", "kind", ADMIN),
    ("/dasbor?period={period}", "cukup", ADMIN),
    ("/dasbor?sampai=2026-12-31", "dari", ADMIN),
    ("/dasbor?dari=2026-01-01", "sampai", ADMIN),
    ("/dasbor/unit/alpha", "period", HEAD_A),
    ("/dasbor/unit/alpha?period={period}", "sub", HEAD_A),
    ("/dasbor/unit/alpha?sampai=2026-12-31", "dari", HEAD_A),
    ("/dasbor/unit/alpha?dari=2026-01-01", "sampai", HEAD_A),
    ("/dasbor/unit/alpha?period={period}", "q", HEAD_A),
    ("/dasbor/unit/alpha?period={period}", "hal", HEAD_A),
    ("/dasbor/unit/alpha?period={period}", "tersimpan", HEAD_A),
    ("/dasbor/unit/alpha?period={period}", "masalah", HEAD_A),
    ("/dasbor/unit/alpha/laporan.csv", "period", HEAD_A),
    ("/dasbor/unit/alpha/laporan.csv?period={period}", "sub", HEAD_A),
    ("/api/v1/units/alpha/index", "period", HEAD_A),
    ("/api/v1/units/alpha/index?period={period}", "sub", HEAD_A),
    ("/api/v1/units/alpha/index?period={period}", "layanan", HEAD_A),
    ("/operator/alpha/kertas", "tersimpan", OP_A),
    ("/operator/alpha/poster.svg", "layanan", OP_A),
    ("/publik", "period", ""),
    ("/publik", "lang", ""),
    ("/publik/layar", "unit", ""),
    ("/publik/layar", "lang", ""),
    // counters and officers (issue 19, point 4)
    ("/s/alpha", "loket", ""),
    ("/s/alpha", "petugas", ""),
    ("/dasbor/unit/alpha/laporan.csv?period={period}", "loket", HEAD_A),
    ("/operator/alpha/poster.svg", "loket", OP_A),
];

/// Field names of the `*Query` structs in `src/web/` and its folders.
fn query_fields_in_source() -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let mut files = Vec::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/web") {
            let path = entry.expect("entry").path();
            match path.extension() {
                _ if path.is_dir() => dirs.push(path),
                Some(ext) if ext == "rs" => files.push(path),
                _ => {}
            }
        }
    }
    for file in files {
        let source = std::fs::read_to_string(file).expect("a source file");
        for rest in source.split("pub struct ").skip(1) {
            let Some((name, body)) = rest.split_once('{') else { continue };
            if !name.trim().ends_with("Query") {
                continue;
            }
            let body = body.split('}').next().unwrap_or_default();
            for line in body.lines().map(str::trim).filter(|l| !l.starts_with('#') && !l.starts_with("//")) {
                if let Some((field, _)) = line.split_once(':') {
                    fields.insert(field.trim().trim_start_matches("pub ").to_string());
                }
            }
        }
    }
    fields
}

#[test]
fn every_query_parameter_of_the_handlers_is_tried() {
    let in_source = query_fields_in_source();
    assert!(in_source.len() >= 10, "the struct parser found only {in_source:?}");
    let tried: BTreeSet<String> = QUERY_PARAMS.iter().map(|(_, p, _)| p.to_string()).collect();
    let missing: Vec<_> = in_source.difference(&tried).collect();
    assert!(missing.is_empty(), "query parameters not in QUERY_PARAMS: {missing:?}");
}

/// Decodes a query value as a form does (`+` is a space), lossily.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Injection attempts, as they appear in the URL (most percent-encoded from text; some raw).
fn payloads() -> Vec<String> {
    let mut list: Vec<String> = [
        "' OR '1'='1",
        "' OR 1=1 --",
        "1; DROP TABLE responses;--",
        "'; DROP TABLE responses; --",
        "2026-10' OR '1'='1",
        "alpha' OR unit_id<>0 --",
        "\" OR \"\"=\"",
        "\"",
        "\\",
        "'",
        "%",
        "_",
        "1 UNION SELECT saran, saran FROM responses",
        "') UNION SELECT password_hash FROM users --",
        "ä中🙂\u{202e}\u{feff}Ω",
        "\u{0}",
        "a\u{0}' OR '1'='1",
        "\r\nSet-Cookie: skm_session=x",
    ]
    .iter()
    .map(|p| encode(p))
    .collect();
    list.extend(
        [
            "%00",
            "%27%20UNION%20SELECT%20saran%20FROM%20responses--",
            "%zz",
            "%C3%28",
            "%FF%FE",
            "1%27%3B%20DROP%20TABLE%20responses%3B--",
            "+OR+1=1",
            "a&q=%27",
        ]
        .map(String::from),
    );
    list.push("A".repeat(5000));
    list.push(encode(&"'🙂".repeat(800)));
    list
}

#[test]
fn sql_injection_in_any_query_parameter_is_just_text() {
    for database in backends() {
        let w = World::new(&database);
        let app = &w.app;
        let cookies: Vec<(&str, String)> = [ADMIN, HEAD_A, OP_A].iter().map(|e| (*e, w.login(e))).collect();
        let cookie_of = |email: &str| cookies.iter().find(|(e, _)| *e == email).map(|(_, c)| c.clone());
        let before = snapshot(app);
        for (base, param, who) in QUERY_PARAMS {
            let base = base.replace("{period}", &w.period);
            let separator = if base.contains('?') { '&' } else { '?' };
            for payload in payloads() {
                let path = format!("{base}{separator}{param}={payload}");
                let what = format!("{}: {path}", database.name);
                let reply = match cookie_of(who) {
                    Some(cookie) => app.get_as(&cookie, &path),
                    None => app.get_with(&path, &[]),
                };
                assert!(reply.status < 500, "{what}: {} {}", reply.status, reply.body);
                assert!(!reply.body.contains("rahasia-beta"), "{what} shows another unit's saran");
                if *param == "q" {
                    // 400 only for a repeated parameter (`a&q=%27`); a search that is empty
                    // once NULs and blanks are gone shows every saran of the unit
                    assert!(matches!(reply.status, 200 | 400), "{what}: {}", reply.status);
                    let blank = decode(&payload).replace('\0', "").trim().is_empty();
                    assert_eq!(
                        reply.body.contains("rahasia-alpha"),
                        blank && reply.status == 200,
                        "{what}: the search matches saran that do not contain it, or none when empty"
                    );
                }
                if *param == "layanan" && base.starts_with("/api/") {
                    assert_eq!(reply.status, 400, "{what}: not a service of the unit: {}", reply.body);
                }
            }
        }
        // the search still finds what is there
        let found =
            app.get_as(&cookie_of(HEAD_A).expect("head"), &format!("/dasbor/unit/alpha?period={}&q=rahasia", w.period));
        assert!(found.body.contains("rahasia-alpha-1"), "{}: the saran search finds nothing", database.name);
        assert!(!found.body.contains("rahasia-beta"));

        // injection in path segments and in the sign-in form
        for payload in payloads() {
            for path in [
                format!("/s/{payload}"),
                format!("/api/v1/units/{payload}/form"),
                format!("/dasbor/unit/{payload}"),
                format!("/dasbor/unit/alpha/rtl/{payload}"),
                format!("/operator/{payload}/kertas"),
            ] {
                let reply = app.get_as(&cookie_of(ADMIN).expect("admin"), &path);
                assert!(reply.status < 500, "{}: {path}: {} {}", database.name, reply.status, reply.body);
            }
        }
        for payload in
            ["' OR '1'='1' --", "admin@kutaitimurkab.go.id' --", "x' OR 1=1; DROP TABLE users; --", "a\u{0}b"]
        {
            let refused = app.login(payload, payload).expect_err("an injected e-mail signs nobody in");
            assert!(
                matches!(refused.status, 400 | 401 | 403),
                "{}: {payload:?}: {} {}",
                database.name,
                refused.status,
                refused.body
            );
            let refused = app.login(ADMIN, payload).expect_err("an injected password signs nobody in");
            assert_eq!(refused.status, 401, "{}: {payload:?}", database.name);
        }
        assert_eq!(snapshot(app), before, "{}: the database changed", database.name);
    }
}
