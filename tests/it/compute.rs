//! `skm compute` reproduces every vector of `tests/data` (copied from ../shared/testdata).

use crate::common;

use common::{data, skm};
use serde_json::Value;

fn compute(args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let out = skm(dir.path()).arg("compute").args(args).output().expect("run skm");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(file: &str, extra: &[&str]) -> Value {
    let path = data(file).display().to_string();
    let mut args = vec!["--csv", path.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (ok, stdout, stderr) = compute(&args);
    assert!(ok, "{stderr}");
    serde_json::from_str(&stdout).expect("JSON output")
}

fn nrrs(v: &Value) -> Vec<String> {
    v["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .map(|e| format!("{:.2}", e["nrr"].as_f64().expect("nrr")))
        .collect()
}

#[test]
fn vector_a_matches_the_published_report() {
    let v = json("vector-a-29.csv", &[]);
    assert_eq!(v["responses"], 29);
    assert_eq!(nrrs(&v), ["3.62", "3.48", "3.45", "4.00", "3.52", "3.62", "3.66", "3.62", "3.97"]);
    assert_eq!(v["ikm"].as_f64(), Some(3.659));
    assert_eq!(v["nik"].as_f64(), Some(91.48));
    assert_eq!(v["mutu"], "A");
    assert_eq!(v["kinerja"], "Sangat baik");
    // U3 (86.21) is the lowest; the three lowest are listed in code order (SPEC §3)
    assert_eq!(v["lowest"], serde_json::json!(["U2", "U3", "U5"]));
    assert_eq!(v["elements"][2]["nik"].as_f64(), Some(86.21));
    assert_eq!(v["elements"][2]["mutu"], "B");
    assert_eq!(json("vector-a-29.csv", &["--fixed-weight", "0.111"])["nik"].as_f64(), Some(91.38));
    assert_eq!(json("vector-a-29.csv", &["--fixed-weight", "0.11"])["nik"].as_f64(), Some(90.56));
}

#[test]
fn vector_b_one_respondent() {
    let v = json("vector-b-one.csv", &[]);
    assert_eq!((v["nik"].as_f64(), v["mutu"].as_str()), (Some(100.0), Some("A")));
    assert_eq!(json("vector-b-one.csv", &["--fixed-weight", "0.111"])["nik"].as_f64(), Some(99.9));
}

#[test]
fn vector_c_boundary_prints_76_61_and_grade_b() {
    let path = data("vector-c-boundary-5000.csv").display().to_string();
    let (ok, stdout, stderr) = compute(&["--csv", &path]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("NIK        76.61"), "{stdout}");
    assert!(stdout.contains("Mutu       B (Baik)"), "{stdout}");
    let v = json("vector-c-boundary-5000.csv", &[]);
    assert_eq!((v["nik"].as_f64(), v["mutu"].as_str(), v["ikm"].as_f64()), (Some(76.61), Some("B"), Some(3.0642)));
}

#[test]
fn bad_csv_names_row_and_column_in_indonesian_or_english() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "U1,U2,U3,U4,U5,U6,U7,U8,U9\n4,4,4,4,4,4,4,4,4\n4,4,7,4,4,4,4,4,4\n4,4\n").expect("write");
    let (ok, _, stderr) = compute(&["--csv", &path.display().to_string()]);
    assert!(!ok);
    assert!(stderr.contains("baris 3, kolom U3: '7' bukan nilai 1–4"), "{stderr}");
    assert!(stderr.contains("baris 4: berisi 2 sel, padahal baris judul 9"), "{stderr}");
    let (ok, _, stderr) = compute(&["--csv", &path.display().to_string(), "--lang", "en"]);
    assert!(!ok);
    assert!(stderr.contains("row 3, column U3: '7' is not a score from 1 to 4"), "{stderr}");
    assert!(stderr.contains("row 4: has 2 cells; the header has 9"), "{stderr}");

    std::fs::write(&path, "U1,Ux\n4,4\n").expect("write");
    let (ok, _, stderr) = compute(&["--csv", &path.display().to_string()]);
    assert!(!ok && stderr.contains("kolom Ux: kolom tidak dikenal"), "{stderr}");

    std::fs::write(&path, "U1,U2,U3\n").expect("write");
    let (ok, _, stderr) = compute(&["--csv", &path.display().to_string()]);
    assert!(!ok && stderr.contains("baris 1: hanya ada baris judul kolom, tidak ada jawaban"), "{stderr}");
}

#[test]
fn a_semicolon_csv_with_lowercase_headers_computes_like_the_comma_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let comma = dir.path().join("koma.csv");
    let semicolon = dir.path().join("titik-koma.csv");
    std::fs::write(
        &comma,
        "U1,U2,U3,U4,U5,U6,U7,U8,U9,saran\n4,4,3,4,4,4,4,4,4,\"cepat, ramah\"\n3,3,3,3,3,3,3,3,3,\n",
    )
    .expect("write");
    std::fs::write(
        &semicolon,
        "u1;u2;u3;u4;u5;u6;u7;u8;u9;Saran\r\n4;4;3;4;4;4;4;4;4;cepat, ramah\r\n3;3;3;3;3;3;3;3;3;\r\n",
    )
    .expect("write");
    let (ok, by_comma, stderr) = compute(&["--csv", &comma.display().to_string(), "--format", "json"]);
    assert!(ok, "{stderr}");
    let (ok, by_semicolon, stderr) = compute(&["--csv", &semicolon.display().to_string(), "--format", "json"]);
    assert!(ok, "{stderr}");
    assert_eq!(by_comma, by_semicolon);
    assert!(by_semicolon.contains("\"responses\": 2"), "{by_semicolon}");
}

#[test]
fn other_templates_take_their_own_scale() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("spak.csv");
    std::fs::write(&path, "K1,K2,K3,K4,K5\n6,6,5,6,6\n5,6,6,6,4\n").expect("write");
    let path = path.display().to_string();
    let (ok, stdout, stderr) = compute(&["--csv", &path, "--template", "spak-zi", "--format", "json"]);
    assert!(ok, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    // mean of element means: (5.5+6+5.5+6+5)/5 = 5.6 → 93.33 % of 6, no grade
    assert_eq!(v["nik"].as_f64(), Some(5.6));
    assert_eq!(v["percent_of_max"].as_f64(), Some(93.33));
    assert_eq!(v["mutu"], Value::Null);
    let (ok, _, stderr) = compute(&["--csv", &path, "--template", "nope"]);
    assert!(!ok && stderr.contains("unknown survey template 'nope'"), "{stderr}");
}
