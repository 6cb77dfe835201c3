//! The API's OpenAPI 3.1 document (`GET /api/v1/openapi.json`): valid by a real validator
//! (`openapi-spec-validator`), naming every `/api/` route of the route table; and `Spec::check`,
//! through which the API tests pass every reply they receive: the document must list the reply's
//! status and content type for the operation, and the body must validate against that schema.

use crate::common;

use common::{Reply, TestApp, TestDb};
use serde_json::{json, Value};

/// The document as the app serves it.
pub struct Spec {
    doc: Value,
}

/// Every object schema of the document also refuses members it does not list, so a body that
/// grew a member the types do not have fails too.
fn closed(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(closed);
        }
        Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

impl Spec {
    pub fn fetch(app: &TestApp) -> Spec {
        let reply = app.get_with("/api/v1/openapi.json", &[]);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.header("content-type").is_some_and(|t| t.starts_with("application/json")));
        Spec { doc: serde_json::from_str(&reply.body).expect("the document is JSON") }
    }

    fn operation(&self, method: &str, route: &str) -> &Value {
        let operation = &self.doc["paths"][route][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {route} is not in the document");
        operation
    }

    /// A validator for `schema`, whose `$ref`s point into the document's components.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        closed(&mut root);
        jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("schema {schema}: {e}"))
    }

    fn errors(&self, schema: &Value, body: &Value) -> Vec<String> {
        self.validator(schema).iter_errors(body).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }

    /// Checks `reply` to `method route` (the route as the document writes it, `{slug}` and all)
    /// against the document, and returns its body as JSON (`Null` for a reply without content).
    pub fn check(&self, method: &str, route: &str, reply: &Reply) -> Value {
        let what = format!("{method} {route} → {}", reply.status);
        let response = &self.operation(method, route)["responses"][reply.status.to_string()];
        assert!(response.is_object(), "{what}: the document does not list this status: {}", reply.body);
        let Some(content) = response["content"].as_object() else {
            assert!(reply.body.is_empty(), "{what}: the document says no content, the reply has {}", reply.body);
            return Value::Null;
        };
        let content_type = reply.header("content-type").unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let schema = &content.get(media).unwrap_or_else(|| panic!("{what}: {media} is not documented"))["schema"];
        let body: Value =
            serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", reply.body));
        let errors = self.errors(schema, &body);
        assert!(errors.is_empty(), "{what}: the body does not match the document: {errors:?}\n{body:#}");
        if reply.status >= 400 {
            assert_eq!(media, "application/problem+json", "{what}");
            assert_eq!(body["status"], reply.status, "{what}: the problem repeats its status");
            let code = body["code"].as_str().unwrap_or_default();
            assert_eq!(body["type"], format!("https://skm.invalid/problems/{code}"), "{what}");
        }
        body
    }

    /// The errors of a request body against the operation's request schema.
    pub fn request_errors(&self, method: &str, route: &str, body: &Value) -> Vec<String> {
        let schema = &self.operation(method, route)["requestBody"]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {route} documents no JSON request body");
        self.errors(schema, body)
    }
}

/// Where the validator is: on the PATH, or in the virtualenv `.ci/run` makes under `target/`.
fn validator_program() -> Option<String> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python/bin/openapi-spec-validator");
    if venv.is_file() {
        return Some(venv.to_string_lossy().into_owned());
    }
    common::tool_available("openapi-spec-validator").then(|| "openapi-spec-validator".to_string())
}

#[test]
fn the_document_is_valid_openapi_3_1_for_every_api_route() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let spec = Spec::fetch(&app);
    let doc = &spec.doc;
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], app.config.base_url.trim_end_matches('/'));
    for route in skm::web::routes::ROUTES.iter().filter(|r| r.path.starts_with("/api/")) {
        let operation = spec.operation(route.method.as_str(), route.path);
        let statuses: Vec<&String> = operation["responses"].as_object().expect("responses").keys().collect();
        for status in statuses.iter().filter(|s| s.starts_with('4') || s.starts_with('5')) {
            let content = &operation["responses"][status.as_str()]["content"];
            assert_eq!(
                content["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
                "{} {} {status}: every error is the one problem body",
                route.method, route.path
            );
        }
    }
    // the session-authenticated route says so, the public ones do not
    let session = &doc["components"]["securitySchemes"]["session"];
    assert_eq!((session["type"].as_str(), session["in"].as_str()), (Some("apiKey"), Some("cookie")));
    assert_eq!(session["name"], "skm_session");
    assert_eq!(
        doc["paths"]["/api/v1/units/{slug}/index"]["get"]["security"],
        json!([{"session": []}, {"api_key": ["read"]}])
    );
    // an integration's API key: a bearer token, optional on the submission (the form token is the other way)
    let key = &doc["components"]["securitySchemes"]["api_key"];
    assert_eq!((key["type"].as_str(), key["scheme"].as_str()), (Some("http"), Some("bearer")));
    assert_eq!(
        doc["paths"]["/api/v1/units/{slug}/responses"]["post"]["security"],
        json!([{}, {"api_key": ["responses"]}])
    );
    // the public ones say they need nothing (`{}`: anonymous), so linters see no operation without
    // a security declaration
    for (path, method) in [("/api/v1/units/{slug}/form", "get"), ("/api/v1/openapi.json", "get")] {
        assert_eq!(doc["paths"][path][method]["security"], json!([{}]), "{method} {path}");
    }
    // an SPDX expression, as OpenAPI 3.1's license asks
    assert_eq!(doc["info"]["license"]["identifier"], "MIT OR Apache-2.0");
    let submit = &doc["paths"]["/api/v1/units/{slug}/responses"]["post"]["responses"];
    for status in ["201", "400", "404", "409", "413", "422", "429", "500", "503"] {
        assert!(submit[status].is_object(), "the submission's {status} is not documented");
    }
    assert!(submit["429"]["headers"]["Retry-After"].is_object());
    let params: Vec<&str> = doc["paths"]["/api/v1/units/{slug}/index"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(params, ["slug", "period", "sub", "layanan"]);
    // the error codes are listed for integrators
    let codes = &doc["components"]["schemas"]["FieldCode"]["enum"];
    for code in ["required", "out_of_scale", "unknown_element", "unknown_profile_field", "token_expired"] {
        assert!(codes.as_array().is_some_and(|c| c.contains(&json!(code))), "{code} not in {codes}");
    }

    // …and a real validator agrees that it is OpenAPI 3.1
    let Some(program) = validator_program() else { return };
    let file = tempfile::Builder::new().suffix(".json").tempfile().expect("temp file");
    std::fs::write(file.path(), serde_json::to_vec_pretty(doc).expect("json")).expect("write");
    let out = std::process::Command::new(&program)
        .args(["--schema", "3.1"])
        .arg(file.path())
        .output()
        .expect("openapi-spec-validator runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.contains("OK"), "openapi-spec-validator: {said}");

    // the validator is not a rubber stamp: a broken document fails
    let mut broken = doc.clone();
    broken["paths"]["/api/v1/units/{slug}/form"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        json!({"$ref": "#/components/schemas/NoSuchSchema"});
    std::fs::write(file.path(), serde_json::to_vec(&broken).expect("json")).expect("write");
    let out = std::process::Command::new(&program).args(["--schema", "3.1"]).arg(file.path()).output().expect("runs");
    assert!(!out.status.success(), "a dangling $ref passed: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_checker_refuses_a_body_the_document_does_not_describe() {
    let database = TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let spec = Spec::fetch(&app);
    let reply = |status: u16, content_type: &str, body: Value| Reply {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.to_string(),
        bytes: Vec::new(),
    };
    let route = "/api/v1/units/{slug}/responses";
    let good = json!({"id": "x", "flagged": false});
    assert_eq!(spec.check("POST", route, &reply(201, "application/json", good.clone())), good);
    for bad in [json!({"id": "x"}), json!({"id": 1, "flagged": false}), json!({"id": "x", "flagged": false, "more": 1})]
    {
        let refused = std::panic::catch_unwind(|| spec.check("POST", route, &reply(201, "application/json", bad)));
        assert!(refused.is_err(), "a body the document does not describe passed");
    }
    let old_shape = json!({"error": "replayed", "field": "token", "reason": "this token was already used"});
    let refused =
        std::panic::catch_unwind(|| spec.check("POST", route, &reply(409, "application/problem+json", old_shape)));
    assert!(refused.is_err(), "the old error body passed");
    let undocumented =
        std::panic::catch_unwind(|| spec.check("POST", route, &reply(418, "application/json", json!({}))));
    assert!(undocumented.is_err(), "an undocumented status passed");
}
