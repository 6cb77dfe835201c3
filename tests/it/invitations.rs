//! Survey invitations (issue 19, point 2) on every backend: one-time short links a unit's
//! service system asks for (idempotent by transaction reference, kept only as a keyed hash),
//! their expiry, their spending by exactly one response, and the counts behind response rates.
//! (Not `invitation.rs`, which is about staff accounts' sign-up links.)

use crate::common;

use crate::openapi::Spec;
use chrono::{Duration, NaiveDateTime};
use common::{backends, filled, token_of, Reply, TestApp, TestDb};
use diesel::prelude::*;
use serde_json::{json, Value};
use skm::db::invitations as stored;
use skm::db::schema::invitations as table;
use skm::db::schema::responses;
use skm::db::units::{self, Unit};
use skm::db::DbConnection;
use skm::invitations::{self, Field, InvitationError, NewInvitation, Opened};
use skm::security::Keys;

fn keys() -> Keys {
    Keys::derive("invitation test secret")
}

/// Whole seconds, as invitations are stored.
fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now - Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
}

fn for_reference(reference: &str, service: Option<&str>) -> NewInvitation {
    NewInvitation {
        reference: Some(reference.to_string()),
        service: service.map(str::to_string),
        ..NewInvitation::default()
    }
}

/// The Disdukcapil unit (services `ktp-el`, `akta-lahir`) with counter `loket-1`.
fn unit(conn: &mut DbConnection) -> Unit {
    let (id, _) = common::create_service_unit(conn, "disdukcapil");
    skm::db::counters::add(conn, skm::db::counters::Roster::Counters, id, "loket-1", "Loket 1").expect("counter");
    units::by_id(conn, id).expect("unit")
}

/// A stored paper response of the unit, for an invitation to point at.
fn paper_response_id(conn: &mut DbConnection, unit_id: i32) -> String {
    let registry = common::registry(conn);
    let unit = units::by_id(conn, unit_id).expect("unit");
    let (version, _) = registry.current_for(&unit).expect("version");
    let response = common::paper_response(unit_id, version, chrono::Utc::now().date_naive(), 4);
    skm::db::responses::insert(conn, &response).expect("insert");
    response.id.to_string()
}

fn each_backend(test: impl Fn(&TestDb, &mut DbConnection, &Unit)) {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let unit = unit(&mut conn);
        test(&database, &mut conn, &unit);
    }
}

#[test]
fn the_same_reference_gives_the_same_invitation_and_only_its_hash_is_stored() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let (keys, at) = (keys(), now());
        let first = invitations::issue(conn, &keys, unit, &for_reference("KTP-2026-000123", Some("ktp-el")), at, 14)
            .expect("issue");
        assert!(first.created, "{name}");
        assert_eq!(first.invitation.code.len(), 10, "{name}");
        assert_eq!(first.invitation.expires_at, at + Duration::days(14), "{name}");
        // again, even naming another service: the same invitation, not created
        let again =
            invitations::issue(conn, &keys, unit, &for_reference(" KTP-2026-000123 ", Some("akta-lahir")), at, 14)
                .expect("again");
        assert!(!again.created, "{name}");
        assert_eq!(again.invitation, first.invitation, "{name}");
        let other = invitations::issue(conn, &keys, unit, &for_reference("KTP-2026-000124", None), at, 14)
            .expect("another reference");
        assert!(other.created && other.invitation.code != first.invitation.code, "{name}");
        // the reference itself is nowhere in the table
        let hashes: Vec<Option<String>> = table::table.select(table::ref_hash).load(conn).expect("hashes");
        assert!(hashes.iter().flatten().all(|h| h.len() == 64 && !h.contains("000123")), "{name}: {hashes:?}");
        // slips (no reference) are always new
        let slip = |conn: &mut DbConnection| {
            invitations::issue(conn, &keys, unit, &NewInvitation::default(), at, 14).expect("slip").invitation
        };
        assert_ne!(slip(conn).id, slip(conn).id, "{name}");
    });
}

#[test]
fn a_request_naming_what_the_unit_does_not_have_is_refused_by_field() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let keys = keys();
        let refused = |conn: &mut DbConnection, new: NewInvitation| match invitations::issue(
            conn,
            &keys,
            unit,
            &new,
            now(),
            14,
        ) {
            Err(InvitationError::Invalid { field, index: None, .. }) => field,
            other => panic!("{name}: {new:?} gave {other:?}"),
        };
        assert_eq!(refused(conn, for_reference("A-1", Some("paspor"))), Field::Service, "{name}");
        assert_eq!(refused(conn, for_reference("", None)), Field::Reference, "{name}");
        assert_eq!(refused(conn, for_reference(&"x".repeat(201), None)), Field::Reference, "{name}");
        let counter = NewInvitation { counter: Some("loket-9".into()), ..for_reference("A-2", None) };
        assert_eq!(refused(conn, counter), Field::Counter, "{name}");
        let officer = NewInvitation { officer: Some("p-01".into()), ..for_reference("A-3", None) };
        assert_eq!(refused(conn, officer), Field::Officer, "{name}");
        skm::db::counters::set_enabled(conn, skm::db::counters::Roster::Counters, unit.id, "loket-1", false)
            .expect("disable");
        let retired = NewInvitation { counter: Some("LOKET-1".into()), ..for_reference("A-4", None) };
        assert_eq!(refused(conn, retired), Field::Counter, "{name}");
        assert_eq!(table::table.count().get_result::<i64>(conn).expect("count"), 0, "{name}");
    });
}

#[test]
fn a_batch_is_one_transaction_in_order_and_at_most_1000() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let keys = keys();
        let items: Vec<NewInvitation> = (0..5).map(|i| for_reference(&format!("B-{i}"), Some("ktp-el"))).collect();
        let issued = invitations::issue_batch(conn, &keys, unit, &items, now(), 14).expect("batch");
        assert_eq!(issued.len(), 5, "{name}");
        assert!(issued.iter().all(|i| i.created), "{name}");
        // the same batch again: the same invitations, in order
        let again = invitations::issue_batch(conn, &keys, unit, &items, now(), 14).expect("again");
        let ids = |list: &[invitations::Issued]| list.iter().map(|i| i.invitation.id).collect::<Vec<_>>();
        assert_eq!(ids(&again), ids(&issued), "{name}");
        assert!(again.iter().all(|i| !i.created), "{name}");
        // one bad item refuses the whole batch, naming it; nothing more is stored
        let mut bad = items.clone();
        bad.push(for_reference("B-new", None));
        bad.push(for_reference("B-bad", Some("paspor")));
        match invitations::issue_batch(conn, &keys, unit, &bad, now(), 14) {
            Err(InvitationError::Invalid { index: Some(6), field: Field::Service, .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
        let too_many: Vec<NewInvitation> = (0..1001).map(|_| NewInvitation::default()).collect();
        assert!(
            matches!(
                invitations::issue_batch(conn, &keys, unit, &too_many, now(), 14),
                Err(InvitationError::TooMany(1001))
            ),
            "{name}"
        );
        assert_eq!(table::table.count().get_result::<i64>(conn).expect("count"), 5, "{name}");
    });
}

#[test]
fn a_link_opens_until_it_expires_or_is_spent_and_typos_are_unknown() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let at = now();
        let issued = invitations::issue(conn, &keys(), unit, &for_reference("C-1", Some("ktp-el")), at, 14)
            .expect("issue")
            .invitation;
        let code = issued.code.clone();
        let lower_grouped = format!("{}-{} {}", &code[..3], &code[3..6], &code[6..]).to_lowercase();
        match invitations::open(conn, &lower_grouped, at).expect("open") {
            Opened::Open { invitation, service, .. } => {
                assert_eq!(invitation.id, issued.id, "{name}");
                assert_eq!(service.map(|s| s.slug).as_deref(), Some("ktp-el"), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        let last = code.chars().last().expect("a check character");
        let typo = format!("{}{}", &code[..9], if last == '2' { '3' } else { '2' });
        assert!(matches!(invitations::open(conn, &typo, at), Ok(Opened::Unknown)), "{name}");
        assert!(matches!(invitations::open(conn, "../etc", at), Ok(Opened::Unknown)), "{name}");
        let later = at + Duration::days(14);
        assert!(matches!(invitations::open(conn, &code, later), Ok(Opened::Expired { .. })), "{name}");
        assert!(matches!(invitations::open(conn, &code, later - Duration::seconds(1)), Ok(Opened::Open { .. })));
        // spent once, and only once
        let response = paper_response_id(conn, unit.id);
        assert!(stored::spend(conn, issued.id, &response, at).expect("spend"), "{name}");
        assert!(!stored::spend(conn, issued.id, &response, at).expect("spend again"), "{name}");
        assert!(matches!(invitations::open(conn, &code, at), Ok(Opened::Spent { .. })), "{name}");
    });
}

#[test]
fn counts_group_issued_and_answered_by_unit_service_and_counter() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let (keys, at) = (keys(), now());
        let at_counter =
            |r: &str| NewInvitation { counter: Some("loket-1".into()), ..for_reference(r, Some("ktp-el")) };
        let mut ids = Vec::new();
        for new in
            [at_counter("D-1"), at_counter("D-2"), for_reference("D-3", Some("ktp-el")), NewInvitation::default()]
        {
            ids.push(invitations::issue(conn, &keys, unit, &new, at, 14).expect("issue").invitation.id);
        }
        let response = paper_response_id(conn, unit.id);
        assert!(stored::spend(conn, ids[0], &response, at).expect("spend"), "{name}");
        let counts =
            invitations::counts(conn, &[unit.id], at - Duration::hours(1), at + Duration::hours(1)).expect("counts");
        let ktp = units::service_by_slug(conn, unit.id, "ktp-el").expect("service").id;
        let counter = skm::db::counters::by_code(conn, skm::db::counters::Roster::Counters, unit.id, "loket-1")
            .expect("counter")
            .map(|c| c.id);
        let row = |service, counter_id| stored::Count {
            unit_id: unit.id,
            service_id: service,
            counter_id,
            issued: 0,
            answered: 0,
        };
        let mut expected = vec![
            stored::Count { issued: 1, ..row(None, None) },
            stored::Count { issued: 1, ..row(Some(ktp), None) },
            stored::Count { issued: 2, answered: 1, ..row(Some(ktp), counter) },
        ];
        let mut got = counts.clone();
        let key = |c: &stored::Count| (c.service_id, c.counter_id);
        got.sort_by_key(key);
        expected.sort_by_key(key);
        assert_eq!(got, expected, "{name}");
        let outside =
            invitations::counts(conn, &[unit.id], at + Duration::hours(1), at + Duration::hours(2)).expect("counts");
        assert!(outside.is_empty(), "{name}");
    });
}

// ---- through HTTP: the API, the short link, its QR ----

const CREATE: &str = "/api/v1/units/{slug}/invitations";
const BATCH: &str = "/api/v1/units/{slug}/invitations:batch";
const ADMIN: &str = "admin@kutaitimurkab.go.id";

/// The app with the Disdukcapil unit (services, counter `loket-1`), another unit `lain`, and an
/// admin; limits out of the way of the tests' own rhythm.
fn world(database: &TestDb) -> TestApp {
    world_with(database, |_| {})
}

fn world_with(database: &TestDb, tweak: impl FnOnce(&mut skm::config::Config)) -> TestApp {
    let app = TestApp::spawn_with(database, |c| {
        c.rate_limit_per_minute = 10_000;
        c.api_key_rate_per_minute = 10_000;
        c.burst_threshold = 0;
        tweak(c);
    });
    {
        let mut conn = app.conn();
        unit(&mut conn);
        common::create_opd(&mut conn, "lain", None);
    }
    let hash = skm::password::hash(common::PASSWORD).expect("hash");
    let admin = skm::db::users::NewUser {
        email: ADMIN,
        name: "Admin",
        password_hash: &hash,
        role: skm::domain::names::Role::Admin,
        unit_ids: &[],
    };
    skm::db::users::create(&mut app.conn(), &admin).expect("admin");
    app
}

/// An API key of `unit` with `scopes`, made as `/admin` makes it.
fn api_key(app: &TestApp, unit: &str, scopes: &str) -> String {
    let mut conn = app.conn();
    let keys = Keys::derive(&skm::db::secrets::master_secret(&mut conn).expect("secret"));
    let new = skm::api_keys::NewKey { unit: unit.into(), name: format!("{unit} {scopes}"), scopes: scopes.into() };
    skm::api_keys::create(&mut conn, &keys, None, new, chrono::Utc::now().naive_utc()).expect("key").secret
}

fn post_json(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut call = common::agent().post(&app.url(path)).header("content-type", "application/json");
    for (name, value) in headers {
        call = call.header(*name, *value);
    }
    Reply::from(call.send(body).expect("HTTP request"))
}

struct Api<'a> {
    app: &'a TestApp,
    spec: Spec,
}

impl Api<'_> {
    fn create(&self, key: &str, slug: &str, body: &Value) -> (u16, Value) {
        let auth = format!("Bearer {key}");
        let reply = post_json(
            self.app,
            &format!("/api/v1/units/{slug}/invitations"),
            &[("authorization", &auth)],
            &body.to_string(),
        );
        let json = self.spec.check("POST", CREATE, &reply);
        (reply.status, json)
    }

    fn batch(&self, key: &str, slug: &str, body: &Value) -> (u16, Value) {
        let auth = format!("Bearer {key}");
        let reply = post_json(
            self.app,
            &format!("/api/v1/units/{slug}/invitations:batch"),
            &[("authorization", &auth)],
            &body.to_string(),
        );
        let json = self.spec.check("POST", BATCH, &reply);
        (reply.status, json)
    }
}

fn field_of(problem: &Value) -> Vec<String> {
    problem["fields"]
        .as_array()
        .map(|f| f.iter().map(|p| p["field"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn the_api_issues_invitations_idempotently_for_keys_with_the_invitations_scope() {
    for database in backends() {
        let name = database.name;
        let app = world(&database);
        let api = Api { app: &app, spec: Spec::fetch(&app) };
        let key = api_key(&app, "disdukcapil", "invitations");
        let request = json!({"reference": "KTP-2026-000123", "service": "ktp-el", "counter": "loket-1"});
        let (status, first) = api.create(&key, "disdukcapil", &request);
        assert_eq!(status, 201, "{name}: {first}");
        let code = first["code"].as_str().expect("code").to_string();
        let base = app.config.base_url.trim_end_matches('/').to_string();
        assert_eq!(first["url"], format!("{base}/u/{code}"), "{name}");
        assert_eq!(first["qr_svg_url"], format!("{base}/u/{code}/qr.svg"), "{name}");
        assert_eq!(first["qr_png_url"], format!("{base}/u/{code}/qr.png"), "{name}");
        assert_eq!(first["created"], true);
        let expires =
            chrono::DateTime::parse_from_rfc3339(first["expires_at"].as_str().expect("expiry")).expect("rfc 3339");
        let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
        assert!((13 * 24..=14 * 24).contains(&days), "{name}: 14 days by default, not {days} h");
        // the same reference: 200, the same invitation, even with another service
        let (status, again) =
            api.create(&key, "disdukcapil", &json!({"reference": "KTP-2026-000123", "service": "akta-lahir"}));
        assert_eq!(
            (status, again["code"].as_str(), again["created"].as_bool()),
            (200, Some(code.as_str()), Some(false)),
            "{name}"
        );

        // refused fields, each named
        for (body, field) in [
            (json!({"reference": "A", "service": "paspor"}), "service"),
            (json!({"reference": "", "service": "ktp-el"}), "reference"),
            (json!({"reference": "x".repeat(201), "service": "ktp-el"}), "reference"),
            (json!({"reference": "A", "service": "ktp-el", "counter": "loket-9"}), "counter"),
            (json!({"reference": "A", "service": "ktp-el", "officer": "p-01"}), "officer"),
            (json!({"reference": 12, "service": "ktp-el"}), "reference"),
            (json!({"service": "ktp-el"}), "reference"),
            (json!({"reference": "A", "service": "ktp-el", "phone": "0812"}), "phone"),
        ] {
            let (status, problem) = api.create(&key, "disdukcapil", &body);
            assert_eq!(status, 422, "{name}: {body}: {problem}");
            assert_eq!(field_of(&problem), [field], "{name}: {body}");
        }

        // batches: in order, at most 1,000, a bad item named by its place
        let items: Vec<Value> = (0..3).map(|i| json!({"reference": format!("B-{i}"), "service": "ktp-el"})).collect();
        let (status, batch) = api.batch(&key, "disdukcapil", &json!({"items": items}));
        assert_eq!(status, 200, "{name}: {batch}");
        assert_eq!(batch["items"].as_array().map(Vec::len), Some(3));
        let (_, again) = api.batch(&key, "disdukcapil", &json!({"items": items}));
        assert_eq!(
            again["items"],
            batch["items"]
                .as_array()
                .map(|list| list
                    .iter()
                    .map(|i| {
                        let mut i = i.clone();
                        i["created"] = json!(false);
                        i
                    })
                    .collect::<Vec<_>>())
                .map(Value::from)
                .unwrap_or_default(),
            "{name}"
        );
        let too_many: Vec<Value> =
            (0..1001).map(|i| json!({"reference": format!("T-{i}"), "service": "ktp-el"})).collect();
        let (status, problem) = api.batch(&key, "disdukcapil", &json!({"items": too_many}));
        assert_eq!((status, field_of(&problem)), (422, vec!["items".to_string()]), "{name}: {problem}");
        let mut bad = items.clone();
        bad.push(json!({"reference": "B-9", "service": "paspor"}));
        let (status, problem) = api.batch(&key, "disdukcapil", &json!({"items": bad}));
        assert_eq!((status, field_of(&problem)), (422, vec!["items[3].service".to_string()]), "{name}: {problem}");
        bad[3] = json!({"reference": 9, "service": "ktp-el"});
        let (_, problem) = api.batch(&key, "disdukcapil", &json!({"items": bad}));
        assert_eq!(field_of(&problem), ["items[3].reference"], "{name}: {problem}");
        let (status, _) = api.batch(&key, "disdukcapil", &json!({"items": [], "extra": 1}));
        assert_eq!(status, 422, "{name}");
        let stored: i64 = table::table.count().get_result(&mut app.conn()).expect("count");
        assert_eq!(stored, 4, "{name}: the refused requests stored nothing");

        // scopes, revocation, units
        let reader = api_key(&app, "disdukcapil", "read,responses");
        let (status, problem) = api.create(&reader, "disdukcapil", &request);
        assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")), "{name}: {problem}");
        assert_eq!(api.batch(&reader, "disdukcapil", &json!({"items": []})).0, 403, "{name}");
        let (status, _) = api.create(&key, "lain", &request);
        assert_eq!(status, 404, "{name}: a unit the key does not cover");
        let (status, _) = api.create(&key, "tidak-ada", &request);
        assert_eq!(status, 404, "{name}");
        let id = skm::api_keys::id_of(&key).expect("id").to_string();
        skm::api_keys::revoke(&mut app.conn(), None, &id, chrono::Utc::now().naive_utc()).expect("revoke");
        let (status, problem) = api.create(&key, "disdukcapil", &request);
        assert_eq!((status, problem["code"].as_str()), (401, Some("unauthorized")), "{name}: {problem}");
        // no credential at all
        let reply = post_json(&app, "/api/v1/units/disdukcapil/invitations", &[], &request.to_string());
        assert_eq!(reply.status, 401, "{name}: {}", reply.body);
        api.spec.check("POST", CREATE, &reply);
    }
}

#[test]
fn a_signed_in_admin_issues_invitations_with_the_csrf_secret_in_a_header() {
    let database = TestDb::sqlite();
    let app = world(&database);
    let spec = Spec::fetch(&app);
    let cookie = app.login(ADMIN, common::PASSWORD).expect("login");
    let csrf = common::hidden(&app.get_as(&cookie, "/akun/sandi").body, "csrf");
    let body = json!({"reference": "S-1", "service": "ktp-el"}).to_string();
    let path = "/api/v1/units/disdukcapil/invitations";
    let reply = post_json(&app, path, &[("cookie", &cookie)], &body);
    assert_eq!(reply.status, 403, "without the CSRF secret: {}", reply.body);
    spec.check("POST", CREATE, &reply);
    let reply = post_json(
        &app,
        path,
        &[("cookie", &cookie), ("x-csrf-token", &csrf), ("origin", "https://evil.example")],
        &body,
    );
    assert_eq!(reply.status, 403, "from another site: {}", reply.body);
    let reply = post_json(&app, path, &[("cookie", &cookie), ("x-csrf-token", &csrf)], &body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    spec.check("POST", CREATE, &reply);
}

/// Issues an invitation through the service (as the API does) and returns its code.
fn invite(app: &TestApp, reference: &str, counter: Option<&str>) -> String {
    let mut conn = app.conn();
    let keys = Keys::derive(&skm::db::secrets::master_secret(&mut conn).expect("secret"));
    let unit = units::by_slug(&mut conn, "disdukcapil").expect("unit");
    let new = NewInvitation { counter: counter.map(str::to_string), ..for_reference(reference, Some("ktp-el")) };
    invitations::issue(&mut conn, &keys, &unit, &new, now(), 14).expect("issue").invitation.code
}

fn responses_stored(app: &TestApp) -> i64 {
    responses::table.count().get_result(&mut app.conn()).expect("count")
}

/// The filled form of an invitation's page, for its own service.
fn answers_for(html: &str) -> Vec<(String, String)> {
    let mut fields = filled(&token_of(html));
    for field in fields.iter_mut().filter(|(k, _)| k == "layanan") {
        field.1 = "ktp-el".into();
    }
    fields
}

#[test]
fn a_link_opens_the_form_with_its_service_and_counter_and_takes_one_response() {
    for database in backends() {
        let name = database.name;
        let app = world(&database);
        let code = invite(&app, "L-1", Some("loket-1"));
        // typed in lower case with a hyphen: the same invitation
        let typed = format!("{}-{}", &code[..5], &code[5..]).to_lowercase();
        let (status, html) = app.get(&format!("/u/{typed}"));
        assert_eq!(status, 200, "{name}: {html}");
        assert!(html.contains("<option value=\"ktp-el\" selected>"), "{name}: the service is chosen");
        assert!(
            html.contains("layanan KTP elektronik yang baru Anda terima di Loket 1"),
            "{name}: service and counter named"
        );
        assert!(html.contains(&format!("action=\"/u/{code}\"")), "{name}: posts to the canonical code");
        common::assert_indonesian(&html, "the invitation's form");
        let fields = answers_for(&html);
        let reply = app.post_form(&format!("/u/{code}"), &fields);
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        assert_eq!(reply.header("location"), Some("/s/disdukcapil/terima-kasih?lang=id"), "{name}");
        // recorded at the counter, as a web response, and the invitation points at it
        let (counter, channel, id): (Option<i32>, String, String) = responses::table
            .select((responses::counter_id, responses::channel, responses::id))
            .first(&mut app.conn())
            .expect("response");
        assert!(counter.is_some() && channel == "web", "{name}");
        let spent: Option<String> =
            table::table.filter(table::code.eq(&code)).select(table::response_id).first(&mut app.conn()).expect("row");
        assert_eq!(spent, Some(id), "{name}");

        // the same form again: refused as already sent, the answers still on the page, nothing stored
        let reply = app.post_form(&format!("/u/{code}"), &fields);
        assert_eq!(reply.status, 409, "{name}: {}", reply.body);
        assert!(reply.body.contains("Undangan ini sudah dipakai"), "{name}: {}", reply.body);
        assert!(reply.body.contains("Ruang tunggu perlu kipas angin"), "{name}: the answers are kept");
        assert_eq!(responses_stored(&app), 1, "{name}");
        // and the link now says it was used
        let (status, html) = app.get(&format!("/u/{code}"));
        assert_eq!(status, 410, "{name}");
        assert!(html.contains("Undangan ini sudah dipakai") && html.contains("Terima kasih"), "{name}: {html}");
    }
}

#[test]
fn typos_expired_links_and_other_forms_tokens_are_refused_politely() {
    for database in backends() {
        let name = database.name;
        let app = world(&database);
        let code = invite(&app, "E-1", None);
        // a wrong check character, a code that is no code: 404 in Indonesian, not a 500
        let last = code.chars().last().expect("check");
        let typo = format!("{}{}", &code[..9], if last == '2' { '3' } else { '2' });
        for wrong in [typo.as_str(), "ABC", "0000000000", "%F0%9F%98%80"] {
            let (status, html) = app.get(&format!("/u/{wrong}"));
            assert_eq!(status, 404, "{name}: {wrong}");
            assert!(html.contains("Kode undangan tidak dikenal — periksa kembali"), "{name}: {wrong}: {html}");
            let reply = app.post_form(&format!("/u/{wrong}"), &filled("x"));
            assert_eq!(reply.status, 404, "{name}: POST {wrong}");
        }
        // a plain form's token cannot spend the invitation (nor an invitation be skipped)
        let (_, plain) = app.get("/s/disdukcapil");
        let reply = app.post_form(&format!("/u/{code}"), &answers_for(&plain));
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert!(reply.body.contains("Ruang tunggu perlu kipas angin"), "{name}: the answers are kept");
        assert_eq!(responses_stored(&app), 0, "{name}");
        // the page came back with this invitation's token: sending it again works
        let reply = app.post_form(&format!("/u/{code}"), &answers_for(&reply.body));
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);

        // expired: 410 with its own page
        let old = invite(&app, "E-2", None);
        diesel::update(table::table.filter(table::code.eq(&old)))
            .set(table::expires_at.eq(now() - Duration::minutes(1)))
            .execute(&mut app.conn())
            .expect("expire");
        let (status, html) = app.get(&format!("/u/{old}"));
        assert_eq!(status, 410, "{name}");
        assert!(html.contains("kedaluwarsa"), "{name}: {html}");
        common::assert_indonesian(&html, "the expired page");
    }
}

#[test]
fn ten_parallel_posts_of_one_invitation_store_exactly_one_response() {
    for database in backends() {
        let name = database.name;
        let app = world(&database);
        let code = invite(&app, "P-1", Some("loket-1"));
        let (_, html) = app.get(&format!("/u/{code}"));
        let fields = answers_for(&html);
        // a second tab of the same link: another token, the same invitation
        let (_, other_tab) = app.get(&format!("/u/{code}"));
        let other_fields = answers_for(&other_tab);
        let barrier = std::sync::Barrier::new(10);
        let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..10)
                .map(|i| {
                    let (app, barrier, code) = (&app, &barrier, &code);
                    let fields = if i % 2 == 0 { fields.clone() } else { other_fields.clone() };
                    s.spawn(move || {
                        barrier.wait();
                        let reply = app.post_form(&format!("/u/{code}"), &fields);
                        (reply.status, reply.body)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let stored = statuses.iter().filter(|(s, _)| *s == 303).count();
        assert_eq!(stored, 1, "{name}: {:?}", statuses.iter().map(|s| s.0).collect::<Vec<_>>());
        for (status, body) in statuses.iter().filter(|(s, _)| *s != 303) {
            assert_eq!(*status, 409, "{name}: {body}");
            assert!(body.contains("Undangan ini sudah dipakai"), "{name}: a clear Indonesian message");
            assert!(body.contains("Ruang tunggu perlu kipas angin"), "{name}: the answers are kept");
        }
        assert_eq!(responses_stored(&app), 1, "{name}");
    }
}

#[test]
fn the_qr_of_a_link_is_an_svg_and_a_png_of_its_address() {
    let database = TestDb::sqlite();
    let app = world(&database);
    let code = invite(&app, "Q-1", None);
    let svg = app.get_with(&format!("/u/{code}/qr.svg"), &[]);
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.body.starts_with("<svg"), "{}", svg.body);
    assert!(svg.header("cache-control").is_some_and(|c| c.contains("private")));
    let png = common::agent().get(&app.url(&format!("/u/{}/qr.png", code.to_lowercase()))).call().expect("png");
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    let bytes = png.into_body().read_to_vec().expect("body");
    assert_eq!(&bytes[1..4], b"PNG");
    assert_eq!(app.get("/u/ABCDEFGHJK/qr.svg").0, 404);
}

/// Issue 19 point 3 end to end: an invitation asked for with the citizen's number goes out
/// through the configured gateway with its own link, unit and service; the number is checked,
/// never stored, and refused outright by a server that has no gateway to send it with.
#[test]
fn an_invitation_with_a_phone_number_is_sent_through_the_gateway_and_the_number_is_kept_nowhere() {
    use common::fake_gateway::FakeGateway;
    // without a gateway, a number is refused (the caller would wait for a message forever)
    {
        let database = TestDb::sqlite();
        let app = world(&database);
        let api = Api { app: &app, spec: Spec::fetch(&app) };
        let key = api_key(&app, "disdukcapil", "invitations");
        let request = json!({"reference": "KK-1", "service": "ktp-el", "phone": "0812-3456-7789"});
        let (status, problem) = api.create(&key, "disdukcapil", &request);
        assert_eq!((status, field_of(&problem)), (422, vec!["phone".to_string()]), "{problem}");
        let stored: i64 = table::table.count().get_result(&mut app.conn()).expect("count");
        assert_eq!(stored, 0, "nothing issued");
        app.stop();
    }
    for database in backends() {
        let name = database.name;
        let fake = FakeGateway::start();
        let app = world_with(&database, |c| {
            c.gateway = Some(crate::gateway::settings(&fake.url("/send"), &[]));
        });
        let api = Api { app: &app, spec: Spec::fetch(&app) };
        let key = api_key(&app, "disdukcapil", "invitations");

        let request = json!({"reference": "KK-2", "service": "ktp-el", "phone": "0812-3456-7789"});
        let (status, body) = api.create(&key, "disdukcapil", &request);
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["delivery"], "queued", "{name}: {body}");
        let sent = fake.wait_for(1, std::time::Duration::from_secs(20));
        let message: Value = serde_json::from_str(&sent[0].body).expect("JSON body");
        assert_eq!(message["target"], "6281234567789", "{name}");
        let text = message["message"].as_str().unwrap_or_default();
        let url = body["url"].as_str().unwrap_or_default();
        assert!(url.ends_with(&format!("/u/{}", body["code"].as_str().unwrap_or("?"))), "{name}: {body}");
        assert!(text.contains(url) && text.contains("KTP") && text.contains("Dinas Kependudukan"), "{name}: {text}");

        // a landline or a typo is refused by field, in a batch with its place; nothing is issued
        let (status, problem) =
            api.create(&key, "disdukcapil", &json!({"reference": "KK-3", "service": "ktp-el", "phone": "0541-12"}));
        assert_eq!((status, field_of(&problem)), (422, vec!["phone".to_string()]), "{name}: {problem}");
        let batch = json!({"items": [
            {"reference": "KK-4", "service": "ktp-el"},
            {"reference": "KK-5", "service": "ktp-el", "phone": "+62 813 1111 2222"},
        ]});
        let (status, body) = api.batch(&key, "disdukcapil", &batch);
        assert_eq!(status, 200, "{name}: {body}");
        assert!(body["items"][0].get("delivery").is_none(), "{name}: no number, nothing sent: {body}");
        assert_eq!(body["items"][1]["delivery"], "queued", "{name}: {body}");
        let sent = fake.wait_for(2, std::time::Duration::from_secs(20));
        assert_eq!(sent.len(), 2, "{name}: one message per number");
        assert!(sent[1].body.contains("6281311112222"), "{name}: {}", sent[1].body);

        let kept = crate::gateway::stored_text(&database);
        for digits in ["81234567789", "81311112222"] {
            assert!(!kept.contains(digits), "{name}: the number {digits} is stored");
        }
        app.stop();
    }
}
