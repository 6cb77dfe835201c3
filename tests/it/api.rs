//! The JSON API: a form with its token, then a response; the index for a signed-in user. Every
//! refusal is one problem body naming each field with a machine code, and every reply these
//! tests receive is checked against the OpenAPI document (`openapi::Spec`).

use crate::common;
use crate::openapi::Spec;

use common::{backends, Reply, TestApp};
use diesel::prelude::*;
use serde_json::{json, Value};
use skm::db::units;
use skm::domain::names::{Role, Slug, UnitKind};

const FORM: &str = "/api/v1/units/{slug}/form";
const RESPONSES: &str = "/api/v1/units/{slug}/responses";
const INDEX: &str = "/api/v1/units/{slug}/index";
const UNIT: &str = "puskesmas-sangatta";

fn seed(app: &TestApp) -> i32 {
    let mut conn = app.conn();
    let unit = units::create(
        &mut conn,
        &units::NewUnit {
            slug: &Slug::parse(UNIT).expect("slug"),
            name: "Puskesmas Sangatta",
            kind: UnitKind::SubUnit,
            parent_id: None,
            contact_emails: &[],
            template_id: None,
        },
    )
    .expect("unit");
    units::add_service(&mut conn, unit.id, &Slug::parse("rawat-jalan").expect("slug"), "Rawat jalan").expect("service");
    unit.id
}

/// The app's API, every reply checked against its OpenAPI document.
struct Api<'a> {
    app: &'a TestApp,
    spec: Spec,
}

impl Api<'_> {
    fn new(app: &TestApp) -> Api<'_> {
        Api { app, spec: Spec::fetch(app) }
    }

    fn get(&self, route: &str, path: &str, cookie: Option<&str>) -> (u16, Value) {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        let reply = self.app.get_with(path, &headers);
        (reply.status, self.spec.check("GET", route, &reply))
    }

    fn form_of(&self, slug: &str) -> (u16, Value) {
        self.get(FORM, &format!("/api/v1/units/{slug}/form"), None)
    }

    fn form(&self) -> Value {
        let (status, body) = self.form_of(UNIT);
        assert_eq!(status, 200, "{body}");
        body
    }

    fn token(&self) -> String {
        self.form()["token"].as_str().expect("token").to_string()
    }

    fn post_to(&self, slug: &str, body: &str) -> (Reply, Value) {
        let reply = self.app.post_raw(&format!("/api/v1/units/{slug}/responses"), "application/json", body);
        let json = self.spec.check("POST", RESPONSES, &reply);
        (reply, json)
    }

    fn post(&self, body: &str) -> (u16, Value) {
        let (reply, json) = self.post_to(UNIT, body);
        (reply.status, json)
    }

    fn index(&self, cookie: Option<&str>, slug: &str, query: &str) -> (u16, Value) {
        self.get(INDEX, &format!("/api/v1/units/{slug}/index{query}"), cookie)
    }
}

fn valid(token: &str) -> Value {
    json!({
        "token": token,
        "layanan": "rawat-jalan",
        "answers": {"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 2, "U9": 3},
        "profile": {"jenis_kelamin": "L", "usia": 41},
        "saran": "Antrean online"
    })
}

/// The refused fields of a problem body, as (field, code).
fn fields(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {body}"))
        .iter()
        .map(|f| {
            (f["field"].as_str().unwrap_or_default().to_string(), f["code"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

fn stored(app: &TestApp) -> i64 {
    skm::db::schema::responses::table.count().get_result(&mut app.conn()).expect("count")
}

#[test]
fn the_api_stores_a_response_and_rejects_bad_json_by_field() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed(&app);
        let api = Api::new(&app);
        let name = database.name;
        let f = api.form();
        assert_eq!(f["template"]["elements"].as_array().map(Vec::len), Some(9));
        assert_eq!(f["services"][0]["slug"], "rawat-jalan");
        assert_eq!(f["template"]["profile"][0]["kind"], "choice");
        let token = f["token"].as_str().expect("token").to_string();

        let (status, body) = api.post("{\"token\": ");
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_json")), "{name}");
        let (status, body) = api.post("[1,2]");
        assert_eq!((status, fields(&body)), (422, pairs(&[("body", "wrong_type")])));

        let mut bad = valid(&token);
        bad["answers"]["U3"] = json!("tiga");
        let (status, body) = api.post(&bad.to_string());
        assert_eq!((status, fields(&body)), (422, pairs(&[("answers.U3", "wrong_type")])), "{body}");
        assert!(!api.spec.request_errors("POST", RESPONSES, &bad).is_empty(), "the document allows a text score");

        let mut bad = valid(&token);
        bad["answers"]["U5"] = json!(9);
        bad["answers"].as_object_mut().expect("object").remove("U1");
        bad["profile"]["usia"] = json!(200);
        bad["layanan"] = json!("operasi");
        let (status, body) = api.post(&bad.to_string());
        assert_eq!(status, 422);
        assert_eq!(body["code"], "invalid");
        assert_eq!(
            fields(&body),
            pairs(&[
                ("answers.U1", "required"),
                ("answers.U5", "out_of_scale"),
                ("profile.usia", "out_of_range"),
                ("layanan", "not_a_choice")
            ]),
            "{body}"
        );
        assert_eq!(body["fields"][1]["reason"], "must be one of the element's scores, from 1 to 4");
        assert_eq!(body["fields"][2]["reason"], "must be a whole number from 15 to 100");

        let mut bad = valid(&token);
        bad["colour"] = json!("red");
        let (status, body) = api.post(&bad.to_string());
        assert_eq!((status, fields(&body)), (422, pairs(&[("colour", "unknown_field")])));
        assert!(!api.spec.request_errors("POST", RESPONSES, &bad).is_empty(), "the document allows `colour`");
        let (status, body) = api.post(&valid("forged.token").to_string());
        assert_eq!((status, fields(&body)), (422, pairs(&[("token", "token_invalid")])));

        assert_eq!(api.spec.request_errors("POST", RESPONSES, &valid(&token)), Vec::<String>::new());
        let (status, body) = api.post(&valid(&token).to_string());
        assert_eq!(status, 201, "{name}: {body}");
        assert!(body["id"].as_str().is_some_and(|id| id.len() == 36));
        let (status, body) = api.post(&valid(&token).to_string());
        assert_eq!((status, body["code"].as_str()), (409, Some("replayed")));
        assert_eq!(fields(&body), pairs(&[("token", "token_replayed")]));

        let (status, body) = api.form_of("nowhere");
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
        let (reply, body) = api.post_to("nowhere", &valid(&token).to_string());
        assert_eq!((reply.status, body["code"].as_str()), (404, Some("not_found")));
    }
}

#[test]
fn unknown_element_and_profile_codes_are_refused_by_name_not_dropped() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed(&app);
        let api = Api::new(&app);
        let name = database.name;
        let token = api.token();

        let mut extra = valid(&token);
        extra["answers"]["U10"] = json!(4);
        extra["profile"]["foo"] = json!("x");
        let (status, body) = api.post(&extra.to_string());
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(
            fields(&body),
            pairs(&[("answers.U10", "unknown_element"), ("profile.foo", "unknown_profile_field")])
        );
        assert!(body["fields"][0]["reason"].as_str().is_some_and(|r| r.contains("template.elements")), "{body}");

        // a code in the wrong object, or one named like a member, is no answer either
        let mut crossed = valid(&token);
        crossed["answers"]["usia"] = json!(30);
        crossed["answers"]["token"] = json!(1);
        crossed["profile"]["U1"] = json!("3");
        let (status, body) = api.post(&crossed.to_string());
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(
            fields(&body),
            pairs(&[
                ("answers.token", "unknown_element"),
                ("answers.usia", "unknown_element"),
                ("profile.U1", "unknown_profile_field")
            ]),
            "{name}"
        );
        // and without a token of its own, an answer named `token` does not stand in for one
        let mut no_token = valid(&token);
        no_token.as_object_mut().expect("object").remove("token");
        no_token["answers"]["token"] = json!(token);
        let (status, body) = api.post(&no_token.to_string());
        assert_eq!(status, 422);
        assert!(fields(&body).contains(&("token".to_string(), "required".to_string())), "{body}");

        assert_eq!(stored(&app), 0, "{name}: nothing stored");
        // the refusals spent nothing: the same token stores the corrected response
        let (status, body) = api.post(&valid(&token).to_string());
        assert_eq!(status, 201, "{name}: {body}");
    }
}

#[test]
fn token_problems_have_machine_codes_and_reasons_for_integrators() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let unit_id = seed(&app);
        let api = Api::new(&app);
        let name = database.name;

        // a token issued long ago, signed with the deployment's key
        let keys = skm::security::Keys::derive(&skm::db::secrets::master_secret(&mut app.conn()).expect("secret"));
        let fresh = api.token();
        let now = chrono::Utc::now();
        let mut token = skm::security::form_token::FormToken::verify(
            &fresh,
            keys.form(),
            now,
            chrono::Duration::days(1),
            unit_id,
            "web",
        )
        .expect("the API's token");
        token.issued_at -= 86_400 * 2;
        let (status, body) = api.post(&valid(&token.sign(keys.form())).to_string());
        assert_eq!((status, fields(&body)), (422, pairs(&[("token", "token_expired")])), "{name}");

        let (_, forged) = api.post(&valid("forged.token").to_string());
        let mut missing = valid("");
        missing.as_object_mut().expect("object").remove("token");
        let (status, absent) = api.post(&missing.to_string());
        assert_eq!((status, fields(&absent)), (422, pairs(&[("token", "required")])));
        for problem in [&body, &forged, &absent] {
            let reason = problem["fields"][0]["reason"].as_str().expect("reason");
            assert!(reason.contains("GET /api/v1/units/{slug}/form"), "{name}: {reason}");
            assert!(!reason.contains("answers are still below"), "{name}: the HTML form's sentence: {reason}");
        }
        assert_eq!(forged["fields"][0]["code"], "token_invalid");
    }
}

#[test]
fn every_refusal_of_the_api_has_the_one_problem_shape() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let unit_id = seed(&app);
        common::seed_unit_and_user(&app, "alpha", "kepala@alpha.go.id", Role::UnitHead);
        let api = Api::new(&app);
        let name = database.name;
        let head = app.login("kepala@alpha.go.id", common::PASSWORD).expect("sign in");

        // the index: its own answer, and each way to get it wrong
        let token = api.form_of("alpha").1["token"].as_str().expect("token").to_string();
        let mut answer = valid(&token);
        answer["layanan"] = json!("ktp-el");
        assert_eq!(api.post_to("alpha", &answer.to_string()).0.status, 201, "{name}");
        let year = (chrono::Utc::now() + chrono::Duration::hours(8)).format("%Y").to_string();
        let (status, body) = api.index(Some(&head), "alpha", &format!("?period={year}"));
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!((body["period"].as_str(), body["index"]["responses"].as_u64()), (Some(year.as_str()), Some(1)));
        let (status, body) = api.index(Some(&head), "alpha", &format!("?period={year}&sub=1&layanan=akta-lahir"));
        assert_eq!((status, body["index"]["responses"].as_u64()), (200, Some(0)), "{name}: {body}");
        let (status, body) = api.index(None, "alpha", "?period=2026");
        // signed out: a 401 problem an API client can read, not a redirect to an HTML sign-in page
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{name}: signed out: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("/masuk")), "{name}: {body}");
        for (query, field, code) in [
            ("", "period", "required"),
            ("?period=kemarin", "period", "not_a_period"),
            ("?period=2026&layanan=operasi", "layanan", "not_a_choice"),
            ("?period=2026&period=2027", "query", "invalid"),
        ] {
            let (status, body) = api.index(Some(&head), "alpha", query);
            assert_eq!((status, body["code"].as_str()), (400, Some("invalid_request")), "{name}: {query}: {body}");
            assert_eq!(fields(&body), pairs(&[(field, code)]), "{name}: {query}");
        }
        let (status, body) = api.index(Some(&head), UNIT, "?period=2026");
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{name}: another unit's index");

        // a body larger than the server reads
        let huge = json!({"token": "x", "saran": "a".repeat(300_000)}).to_string();
        let (reply, body) = api.post_to(UNIT, &huge);
        assert_eq!((reply.status, body["code"].as_str()), (413, Some("payload_too_large")), "{name}");

        // a closed unit: neither a form nor a submission
        let token = api.token();
        units::set_active(&mut app.conn(), unit_id, false).expect("close the survey");
        let (status, body) = api.form_of(UNIT);
        assert_eq!((status, body["code"].as_str()), (409, Some("closed")), "{name}");
        let (status, body) = api.post(&valid(&token).to_string());
        assert_eq!((status, body["code"].as_str()), (409, Some("closed")), "{name}");

        // no such path under /api/ (the route table's fallback)
        let reply = app.get_with("/api/v1/nothing", &[]);
        assert_eq!(reply.status, 404);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        let body: Value = serde_json::from_str(&reply.body).expect("json");
        assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("not_found"), Some(404)));

        // an API path asked with a method it does not take: 405 naming the ones it does
        let call = common::agent().put(&app.url(&format!("/api/v1/units/{UNIT}/responses"))).send("{}");
        let reply = common::Reply::from(call.expect("PUT"));
        assert_eq!((reply.status, reply.header("allow")), (405, Some("POST")), "{name}: {}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        let body: Value = serde_json::from_str(&reply.body).expect("json");
        assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("method_not_allowed"), Some(405)));
    }
}

#[test]
fn the_api_limit_counts_stored_and_refused_posts_and_stores_nothing_over_it() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 3);
        seed(&app);
        let api = Api::new(&app);
        let name = database.name;
        let first = api.token();
        let (status, _) = api.post(&valid(&first).to_string());
        assert_eq!(status, 201, "{name}: stored, counted in its own transaction");
        let (status, body) = api.post(&valid(&first).to_string());
        assert_eq!((status, body["code"].as_str()), (409, Some("replayed")), "{name}: a replay counts too");
        let (status, _) = api.post(&valid(&api.token()).to_string());
        assert_eq!(status, 201, "{name}: the third post in a minute");
        let (reply, body) = api.post_to(UNIT, &valid(&api.token()).to_string());
        assert_eq!(reply.status, 429, "{name}: the fourth");
        assert!(reply.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))));
        assert_eq!(body["code"], "rate_limited", "{name}");
        assert_eq!(stored(&app), 2, "{name}: nothing over the limit is stored");
    }
}
