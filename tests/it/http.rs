//! The real server on a random port, on every backend.

use crate::common;

use common::{backends, TestApp};
use serde_json::Value;

#[test]
fn healthz_says_alive_and_readyz_reports_version_and_database() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let (status, body) = app.get("/healthz");
        assert_eq!(status, 200, "{}: {body}", database.name);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["status"], "ok");
        let (status, body) = app.get("/readyz");
        assert_eq!(status, 200, "{}: {body}", database.name);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["database"], database.name);
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["migrations_current"], true);
    }
}

#[test]
fn unknown_paths_get_a_json_404() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (status, body) = app.get("/no/such/page");
    assert_eq!(status, 404);
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["code"], "not_found");
}

#[test]
fn readyz_says_503_when_migrations_are_pending_while_healthz_stays_alive() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    {
        use diesel::connection::SimpleConnection;
        let mut conn = app.pool.get().expect("connection");
        conn.batch_execute("DELETE FROM __diesel_schema_migrations").expect("forget migrations");
    }
    let (status, body) = app.get("/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("migrations_pending"), "{body}");
    assert_eq!(app.get("/healthz").0, 200, "the process itself is alive");
}

#[test]
fn pages_and_the_stylesheet_are_compressed_and_there_is_a_favicon() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    common::seed_service_unit(&app, "disdukcapil");
    for (path, encoding) in [("/s/disdukcapil", "br"), ("/static/skm.css", "gzip"), ("/publik", "gzip")] {
        let plain = app.get_with(path, &[]);
        let packed = app.get_with(path, &[("accept-encoding", encoding)]);
        assert_eq!(packed.status, 200, "{path}");
        assert_eq!(packed.header("content-encoding"), Some(encoding), "{path}");
        assert!(
            packed.bytes.len() < plain.bytes.len(),
            "{path}: {} vs {} bytes",
            packed.bytes.len(),
            plain.bytes.len()
        );
        if encoding == "gzip" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&packed.bytes[..]), &mut text)
                .expect("gzip");
            assert_eq!(text, plain.body, "{path}: the same page, compressed");
        }
    }
    let icon = app.get_with("/favicon.ico", &[]);
    assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/png")));
    assert!(icon.bytes.starts_with(b"\x89PNG"));
    assert!(app.get("/s/disdukcapil").1.contains("rel=\"icon\""), "pages name their icon");
}
