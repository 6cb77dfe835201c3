//! The JSON submission API: a form with its token, then a response; every rejection names the field.

use crate::common;

use common::{backends, TestApp};
use serde_json::{json, Value};
use skm::db::units;
use skm::domain::names::{Slug, UnitKind};

fn seed(app: &TestApp) {
    let mut conn = app.conn();
    let unit = units::create(
        &mut conn,
        &units::NewUnit {
            slug: &Slug::parse("puskesmas-sangatta").expect("slug"),
            name: "Puskesmas Sangatta",
            kind: UnitKind::SubUnit,
            parent_id: None,
            contact_emails: &[],
            template_id: None,
        },
    )
    .expect("unit");
    units::add_service(&mut conn, unit.id, &Slug::parse("rawat-jalan").expect("slug"), "Rawat jalan").expect("service");
}

fn form(app: &TestApp) -> Value {
    let (status, body) = app.get("/api/v1/units/puskesmas-sangatta/form");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("json")
}

fn post(app: &TestApp, body: &str) -> (u16, Value) {
    let reply = app.post_raw("/api/v1/units/puskesmas-sangatta/responses", "application/json", body);
    (reply.status, serde_json::from_str(&reply.body).unwrap_or(Value::Null))
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

#[test]
fn the_api_stores_a_response_and_rejects_bad_json_by_field() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        seed(&app);
        let f = form(&app);
        assert_eq!(f["template"]["elements"].as_array().map(Vec::len), Some(9));
        assert_eq!(f["services"][0]["slug"], "rawat-jalan");
        let token = f["token"].as_str().expect("token").to_string();

        let (status, body) = post(&app, "{\"token\": ");
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_json")), "{}", database.name);
        let (status, body) = post(&app, "[1,2]");
        assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("body")));

        let mut bad = valid(&token);
        bad["answers"]["U3"] = json!("tiga");
        let (status, body) = post(&app, &bad.to_string());
        assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("answers.U3")), "{body}");

        let mut bad = valid(&token);
        bad["answers"]["U5"] = json!(9);
        bad["answers"].as_object_mut().expect("object").remove("U1");
        bad["profile"]["usia"] = json!(200);
        bad["layanan"] = json!("operasi");
        let (status, body) = post(&app, &bad.to_string());
        assert_eq!(status, 422);
        let fields: Vec<&str> =
            body["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
        assert_eq!(fields, ["answers.U1", "answers.U5", "profile.usia", "layanan"], "{body}");
        assert_eq!(body["fields"][2]["reason"], "Please enter a number from 15 to 100.");

        let mut bad = valid(&token);
        bad["colour"] = json!("red");
        let (status, body) = post(&app, &bad.to_string());
        assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("colour")));
        let (status, body) = post(&app, &valid("forged.token").to_string());
        assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("token")));

        let (status, body) = post(&app, &valid(&token).to_string());
        assert_eq!(status, 201, "{}: {body}", database.name);
        assert!(body["id"].as_str().is_some_and(|id| id.len() == 36));
        let (status, body) = post(&app, &valid(&token).to_string());
        assert_eq!((status, body["error"].as_str()), (409, Some("replayed")));

        let (status, _) = app.get("/api/v1/units/nowhere/form");
        assert_eq!(status, 404);
    }
}

#[test]
fn the_api_limit_counts_stored_and_refused_posts_and_stores_nothing_over_it() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 3);
        seed(&app);
        let name = database.name;
        let token = |app: &TestApp| form(app)["token"].as_str().expect("token").to_string();
        let first = token(&app);
        let (status, _) = post(&app, &valid(&first).to_string());
        assert_eq!(status, 201, "{name}: stored, counted in its own transaction");
        let (status, body) = post(&app, &valid(&first).to_string());
        assert_eq!((status, body["error"].as_str()), (409, Some("replayed")), "{name}: a replay counts too");
        let (status, _) = post(&app, &valid(&token(&app)).to_string());
        assert_eq!(status, 201, "{name}: the third post in a minute");
        let reply = app.post_raw(
            "/api/v1/units/puskesmas-sangatta/responses",
            "application/json",
            &valid(&token(&app)).to_string(),
        );
        assert_eq!(reply.status, 429, "{name}: the fourth");
        assert!(reply.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))));
        let body: Value = serde_json::from_str(&reply.body).expect("json");
        assert_eq!(body["error"], "rate_limited", "{name}");
        let stored: i64 = {
            use diesel::prelude::*;
            skm::db::schema::responses::table.count().get_result(&mut app.conn()).expect("count")
        };
        assert_eq!(stored, 2, "{name}: nothing over the limit is stored");
    }
}
