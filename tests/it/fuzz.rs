//! Bounded property-based fuzzing of everything that reads outside input: the public survey form
//! (web and kiosk), the JSON submission API, the operator's paper form and file import over HTTP,
//! and the CSV and survey-template parsers as library functions. No input may yield a 5xx, a
//! panic or a dropped connection, and what a reply says must match what was stored.
//!
//! The runs are deterministic (a fixed seed) and small, so the file stays well under a minute on
//! a laptop. For a longer hunt: `PROPTEST_CASES=2000 PROPTEST_RNG_SEED=$RANDOM cargo test --test
//! fuzz`. Nothing is written to `proptest-regressions/`: an input that ever failed goes, by hand,
//! into `tests/corpus/<kind>/` (form bodies, API bodies, CSV files, templates), which
//! `the_regression_corpus_passes_every_check` replays through the same checks. Corpus files may
//! hold `{token}` (a fresh form token), `{ticket}` (an unused ticket code) and `{csrf}`.

use crate::common;

use common::{encode, hidden, seed_service_unit, seed_unit_and_user, token_of, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{json, Value};
use skm::domain::names::Role;
use skm::domain::template::{parse_template, Template, TemplateError};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const SEED: u64 = 0x5eed_5c0a;
const OPERATOR: &str = "operator@alpha.go.id";

/// `cases` unless `PROPTEST_CASES` says otherwise; a fixed seed unless `PROPTEST_RNG_SEED` does.
fn config(cases: u32) -> Config {
    let from_env = Config::default();
    Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() { from_env.cases } else { cases },
        rng_seed: match from_env.rng_seed {
            RngSeed::Random => RngSeed::Fixed(SEED),
            fixed => fixed,
        },
        failure_persistence: None,
        // shrinking over HTTP is slow; a minute of it is plenty to find a small failing input
        max_shrink_time: 60_000,
        ..from_env
    }
}

/// Runs `check` on `cases` inputs from `strategy`; a failure shows the (shrunk) input.
fn fuzz<S: Strategy>(name: &str, cases: u32, strategy: S, check: impl Fn(S::Value) -> Result<(), String>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(config(cases));
    if let Err(failure) = runner.run(&strategy, |input| check(input).map_err(TestCaseError::fail)) {
        panic!("{name}: {failure}\n(add the input to tests/corpus/ once fixed)");
    }
}

// ---------------------------------------------------------------------------------------------
// The application under test
// ---------------------------------------------------------------------------------------------

/// The app with a unit `alpha` (services `ktp-el`, `akta-lahir`, an operator) and a unit `loket`
/// in ticket mode; no rate limit in the way.
struct World {
    app: TestApp,
    database: &'static str,
    tickets: RefCell<Vec<String>>,
    /// (endpoint, status) pairs the checks saw, to tell whether the fuzzer reaches every path
    seen: RefCell<BTreeSet<(&'static str, u16)>>,
}

impl World {
    fn new(database: &TestDb) -> World {
        let app = TestApp::spawn_with(database, |c| c.rate_limit_per_minute = 1_000_000);
        seed_unit_and_user(&app, "alpha", OPERATOR, Role::Operator);
        let loket = seed_service_unit(&app, "loket");
        let tickets = {
            let mut conn = app.conn();
            skm::db::tickets::set_ticket_mode(&mut conn, loket, true).expect("ticket mode");
            skm::db::tickets::generate(&mut conn, loket, 500).expect("ticket codes")
        };
        World { app, database: database.name, tickets: RefCell::new(tickets), seen: RefCell::default() }
    }

    fn saw(&self, endpoint: &'static str, reply: &Sent) {
        self.seen.borrow_mut().insert((endpoint, reply.status));
    }

    /// Fails unless every one of `statuses` was answered at `endpoint` at least once.
    fn assert_reached(&self, endpoint: &'static str, statuses: &[u16]) {
        let seen = self.seen.borrow();
        let missing: Vec<&u16> = statuses.iter().filter(|s| !seen.contains(&(endpoint, **s))).collect();
        assert!(missing.is_empty(), "{}: the {endpoint} fuzzer never got {missing:?}; it saw {seen:?}", self.database);
    }

    fn responses(&self) -> i64 {
        skm::db::schema::responses::table.count().get_result(&mut self.app.conn()).expect("the responses table")
    }

    /// Signs the operator in; the session cookie and its CSRF token.
    fn operator(&self) -> (String, String) {
        let cookie = self.app.login(OPERATOR, PASSWORD).expect("operator signs in");
        let csrf = hidden(&self.app.get_as(&cookie, "/operator").body, "csrf");
        (cookie, csrf)
    }

    /// Replaces the placeholders: `{token}` by a fresh token of the form at `form_path` (a page
    /// or the API's form), `{ticket}` by an unused ticket code, `{csrf}` by `csrf`.
    fn fill(&self, text: &str, form_path: &str, csrf: &str) -> String {
        let mut text = text.replace("{csrf}", csrf);
        while text.contains("{ticket}") {
            let code = self.tickets.borrow_mut().pop().unwrap_or_else(|| "HABIS".into());
            text = text.replacen("{ticket}", &code, 1);
        }
        if text.contains("{token}") {
            let token = self.token(form_path);
            text = text.replace("{token}", &token);
        }
        text
    }

    fn token(&self, form_path: &str) -> String {
        let (status, body) = self.app.get(form_path);
        match status {
            200 if form_path.starts_with("/api/") => serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["token"].as_str().map(String::from))
                .unwrap_or_default(),
            200 => token_of(&body),
            _ => "no-such-form".into(),
        }
    }
}

fn default_template() -> Arc<Template> {
    skm::catalog::Catalog::load(None).and_then(|c| c.get("permenpanrb-14-2017")).expect("shipped template")
}

struct Sent {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Sent {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// POSTs exactly these bytes. A dropped connection (a panicking handler) fails the case.
fn post(app: &TestApp, path: &str, cookie: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Sent {
    let mut request = common::agent().post(&app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send(body).unwrap_or_else(|e| panic!("POST {path}: no answer: {e}"));
    let reply = common::Reply::from(response);
    Sent { status: reply.status, headers: reply.headers, body: reply.body }
}

/// The status is one of `allowed` and the reply carries the security headers.
fn expect(what: &str, reply: &Sent, allowed: &[u16]) -> Result<(), String> {
    if !allowed.contains(&reply.status) {
        return Err(format!("{what}: status {} (expected one of {allowed:?}): {}", reply.status, clip(&reply.body)));
    }
    let csp = reply.header("content-security-policy").unwrap_or_default();
    if !csp.contains("script-src 'none'") || reply.header("x-content-type-options") != Some("nosniff") {
        return Err(format!("{what}: security headers missing: {:?}", reply.headers));
    }
    if reply.status == 303 && reply.header("location").is_none_or(|l| !l.starts_with('/')) {
        return Err(format!("{what}: a redirect off this site: {:?}", reply.header("location")));
    }
    Ok(())
}

fn clip(text: &str) -> String {
    text.chars().take(600).collect()
}

fn urlencoded(fields: &[(String, String)]) -> Vec<u8> {
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&").into_bytes()
}

const FORM: &str = "application/x-www-form-urlencoded";

// ---------------------------------------------------------------------------------------------
// The checks, shared by the fuzzers and the corpus
// ---------------------------------------------------------------------------------------------

/// A citizen's form post (`/s/{slug}` or `/s/{slug}/kiosk`): at most one response is stored, and
/// only when the reply is the redirect to the thank-you page.
fn check_public_form(w: &World, path: &str, body: &[u8]) -> Result<(), String> {
    let before = w.responses();
    let reply = post(&w.app, path, None, Some(FORM), body);
    let stored = w.responses() - before;
    let what = format!("{}: POST {path}", w.database);
    w.saw("form", &reply);
    expect(&what, &reply, &[303, 400, 404, 409, 422])?;
    if stored > 1 || (stored == 1 && reply.status != 303) {
        return Err(format!("{what}: {stored} responses stored, reply {}", reply.status));
    }
    if reply.status == 303 && !reply.header("location").is_some_and(|l| l.contains("/terima-kasih")) {
        return Err(format!("{what}: redirected to {:?}", reply.header("location")));
    }
    Ok(())
}

/// A JSON API submission: JSON back, and a response stored exactly when the reply is 201.
fn check_api(w: &World, slug: &str, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    let path = format!("/api/v1/units/{slug}/responses");
    let before = w.responses();
    let reply = post(&w.app, &path, None, content_type, body);
    let stored = w.responses() - before;
    let what = format!("{}: POST {path} ({content_type:?})", w.database);
    w.saw("api", &reply);
    expect(&what, &reply, &[201, 400, 404, 409, 413, 422])?;
    if stored != i64::from(reply.status == 201) {
        return Err(format!("{what}: {stored} responses stored, reply {}", reply.status));
    }
    if reply.status != 413 {
        let json: Value =
            serde_json::from_str(&reply.body).map_err(|e| format!("{what}: not JSON ({e}): {}", reply.body))?;
        if json.get("code").is_none() && json.get("id").is_none() {
            return Err(format!("{what}: neither an error nor an id: {json}"));
        }
    }
    Ok(())
}

/// The operator's paper form: stored exactly when the reply is the redirect back to the form.
fn check_paper(w: &World, cookie: &str, body: &[u8]) -> Result<(), String> {
    let before = w.responses();
    let reply = post(&w.app, "/operator/alpha/kertas", Some(cookie), Some(FORM), body);
    let stored = w.responses() - before;
    let what = format!("{}: POST /operator/alpha/kertas", w.database);
    w.saw("paper", &reply);
    expect(&what, &reply, &[303, 400, 403, 422])?;
    if stored != i64::from(reply.status == 303) {
        return Err(format!("{what}: {stored} responses stored, reply {}", reply.status));
    }
    Ok(())
}

/// A multipart body with the CSRF field and `file`.
fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "fuzzboundaryQ1w2E3r4T5y6";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"jawaban.csv\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An upload to the import: all or nothing, and the page says how many were imported (or, for a
/// file imported before, asks before importing it again).
fn check_import(w: &World, cookie: &str, content_type: &str, body: &[u8]) -> Result<(), String> {
    let before = w.responses();
    let reply = post(&w.app, "/operator/alpha/impor", Some(cookie), Some(content_type), body);
    let stored = w.responses() - before;
    let what = format!("{}: POST /operator/alpha/impor", w.database);
    w.saw("import", &reply);
    expect(&what, &reply, &[200, 400, 403, 409, 422])?;
    match reply.status {
        200 if !reply.body.contains(&format!("{stored} jawaban berhasil diimpor.")) => {
            Err(format!("{what}: {stored} stored but the page says: {}", clip(&reply.body)))
        }
        200 => Ok(()),
        _ if stored != 0 => Err(format!("{what}: refused ({}) yet {stored} responses stored", reply.status)),
        _ => Ok(()),
    }
}

/// The CSV parser and the upload reader: no panic; every problem names its line (and the
/// header row is line 1); parsed rows are on lines of the file and hold only scores on the scale.
fn check_csv(template: &Template, bytes: &[u8]) -> Result<(), String> {
    let lines = 1 + bytes.iter().filter(|b| **b == b'\n' || **b == b'\r').count() as u64;
    // a workbook's rows are the sheet's, not lines of the (zipped) bytes
    let upload_lines = if skm::sheets::xlsx::looks_like_xlsx(bytes) { u64::MAX } else { lines };
    let check_issues = |issues: &[skm::sheets::csv::CsvIssue], lines: u64, file_level_ok: bool| {
        for issue in issues {
            let file_level = issue.row == 0 && issue.column.is_none();
            // an empty file has no line to name
            let file_level_ok = file_level_ok || issue.problem == skm::sheets::csv::Problem::EmptyFile;
            if (issue.row == 0 && !(file_level && file_level_ok)) || issue.row > lines {
                return Err(format!("issue on line {} of a file with {lines} lines: {issue}", issue.row));
            }
            let reason = issue.problem.text(skm::i18n::Tr::new(skm::domain::template::Lang::Id));
            if reason.trim().is_empty() || reason == issue.problem.key() || issue.to_string().trim().is_empty() {
                return Err(format!("an issue without a reason: {issue:?}"));
            }
        }
        Ok(())
    };
    let check_rows = |rows: &[skm::sheets::csv::CsvRow], lines: u64| {
        for row in rows {
            if row.row < 2 || row.row > lines || row.scores.len() != template.elements.len() {
                return Err(format!("row on line {} ({} scores) of {lines} lines", row.row, row.scores.len()));
            }
            if row.scores.iter().flatten().any(|s| !template.score_in_scale(*s)) {
                return Err(format!("line {}: a score off the scale: {:?}", row.row, row.scores));
            }
        }
        Ok(())
    };
    match skm::sheets::csv::parse(template, bytes) {
        Ok(rows) => check_rows(&rows, lines)?,
        Err(issues) if issues.is_empty() => return Err("refused without naming a problem".into()),
        Err(issues) => check_issues(&issues, lines, false)?,
    }
    match skm::survey::sheet_import::read_upload(template, bytes) {
        Ok((rows, issues)) => {
            check_rows(&rows, upload_lines)?;
            check_issues(&issues, upload_lines, false)
        }
        Err(issues) if issues.is_empty() => Err("upload refused without naming a problem".into()),
        // a file that is not text or not a readable workbook is a file-level problem
        Err(issues) => check_issues(&issues, upload_lines, true),
    }
}

/// The template parser: no panic; a syntax error names this file and a line of it, a content
/// error names the field; an accepted template is well formed.
fn check_template(text: &str) -> Result<(), String> {
    let lines = text.matches('\n').count() + 1;
    match parse_template("fuzz.toml", text) {
        Ok(t) => {
            let answers = (t.scale_max - t.scale_min + 1) as usize;
            if t.elements.is_empty() || t.scale_min == 0 || t.scale_min >= t.scale_max {
                return Err(format!(
                    "accepted a template with scale {}–{} and {} elements",
                    t.scale_min,
                    t.scale_max,
                    t.elements.len()
                ));
            }
            if let Some(e) = t.elements.iter().find(|e| e.answers.len() != answers) {
                return Err(format!(
                    "accepted element {} with {} answers on a scale of {answers}",
                    e.code,
                    e.answers.len()
                ));
            }
            Ok(())
        }
        Err(TemplateError::Syntax { file, line, column, reason }) => {
            if file != "fuzz.toml" || line == 0 || line > lines || column == 0 || reason.trim().is_empty() {
                return Err(format!("syntax error at {file}:{line}:{column} of {lines} lines: {reason:?}"));
            }
            Ok(())
        }
        Err(TemplateError::Invalid { file, field, reason }) => {
            if file != "fuzz.toml" || field.trim().is_empty() || reason.trim().is_empty() {
                return Err(format!("content error without a field: {file}: {field:?}: {reason:?}"));
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Names the forms really use, and some they do not.
const FIELD_NAMES: &[&str] = &[
    "token",
    "lang",
    "website",
    "layanan",
    "tiket",
    "jenis_kelamin",
    "usia",
    "pendidikan",
    "pekerjaan",
    "saran",
    "tanggal",
    "csrf",
    "U1",
    "U2",
    "U3",
    "U4",
    "U5",
    "U6",
    "U7",
    "U8",
    "U9",
    "U10",
    "u1",
    "answers",
];

/// Nasty text: control characters, direction marks, encodings that look like other things.
const NASTY: &[&str] = &[
    "\0",
    "a\0b",
    "\r\n",
    "\t",
    "\u{7f}",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "🙂",
    "Ä",
    "%00",
    "%",
    "'",
    "\"",
    "\\",
    "<script>",
    "' OR '1'='1",
    "{token}",
    "{ticket}",
    "1e3",
    "-1",
    "0",
    "5",
    "4.0",
    " 4 ",
    "+4",
    "4294967296",
    "99999999999999999999999",
    "2026-02-30",
    "2999-01-01",
    "1999-12-31",
];

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "1", "2", "3", "4", "", "ktp-el", "akta-lahir", "P", "L", "34", "15", "100", "D4-S1", "WIRAUSAHA", "id", "en",
            "Antrean lebih cepat", "{token}", "{ticket}",
        ])
        .prop_map(String::from),
        3 => prop::sample::select(NASTY).prop_map(String::from),
        2 => prop::collection::vec(
            prop_oneof![Just('\0'), prop::char::range('\u{1}', '\u{1f}'), Just('\u{7f}'), any::<char>()],
            1..6
        )
        .prop_map(|chars| chars.into_iter().collect()),
        3 => any::<String>(),
        1 => "\\PC{0,40}",
        1 => (0usize..3, 1usize..3000).prop_map(|(c, n)| ["x", "é", "🙂"][c].repeat(n)),
    ]
    .boxed()
}

fn field_name() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(FIELD_NAMES).prop_map(String::from),
        1 => "[a-zA-Z_\\[\\]]{1,12}",
        1 => any::<String>(),
    ]
    .boxed()
}

/// A complete valid submission for `alpha` (or `loket`, with its ticket).
fn valid_fields(ticket: bool) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("U{i}"), "3".to_string())).collect();
    for (k, v) in
        [("token", "{token}"), ("layanan", "ktp-el"), ("usia", "34"), ("jenis_kelamin", "P"), ("saran", "Bagus")]
    {
        fields.push((k.to_string(), v.to_string()));
    }
    if ticket {
        fields.push(("tiket".into(), "{ticket}".into()));
    }
    fields
}

/// Fields a mutation of a valid submission lands on: mostly the free text that reaches the
/// database as typed.
const MUTATION_TARGETS: &[&str] = &[
    "saran",
    "saran",
    "saran",
    "tiket",
    "tiket",
    "layanan",
    "usia",
    "jenis_kelamin",
    "pendidikan",
    "U1",
    "U9",
    "token",
    "lang",
    "website",
];

/// Fields whose text is stored as typed (the ticket code after normalising).
const FREE_TEXT: &[&str] = &["saran", "saran", "tiket", "layanan"];

/// A form body: a valid submission with a few values replaced; or maybe a valid one, then random
/// fields (later ones win); or raw bytes.
#[derive(Debug, Clone)]
enum FormBody {
    Mutated(Vec<(&'static str, String)>),
    Fields { valid_base: bool, extra: Vec<(String, String)> },
    Raw(Vec<u8>),
}

fn form_body() -> impl Strategy<Value = FormBody> {
    prop_oneof![
        4 => prop::collection::vec((prop::sample::select(MUTATION_TARGETS), text()), 1..3).prop_map(FormBody::Mutated),
        4 => (any::<bool>(), prop::collection::vec((field_name(), text()), 0..16))
            .prop_map(|(valid_base, extra)| FormBody::Fields { valid_base, extra }),
        1 => prop::collection::vec(any::<u8>(), 0..600).prop_map(FormBody::Raw),
        1 => "[a-zA-Z0-9%=&+;._-]{0,300}".prop_map(|s| FormBody::Raw(s.into_bytes())),
        1 => (1usize..3).prop_map(|n| FormBody::Mutated(vec![("saran", "x".repeat(n * 40_000))])),
    ]
}

impl FormBody {
    /// The urlencoded body; `prefix` fields go first (a later field of the same name wins).
    fn bytes(&self, w: &World, form_path: &str, ticket: bool, prefix: &[(String, String)]) -> Vec<u8> {
        let mut fields = prefix.to_vec();
        match self {
            FormBody::Raw(bytes) => return bytes.clone(),
            FormBody::Mutated(changes) => {
                let mut valid = valid_fields(ticket);
                for (name, value) in changes {
                    match valid.iter_mut().find(|(k, _)| k == name) {
                        Some(field) => field.1 = value.clone(),
                        None => valid.push((name.to_string(), value.clone())),
                    }
                }
                fields.extend(valid);
            }
            FormBody::Fields { valid_base, extra } => {
                if *valid_base {
                    fields.extend(valid_fields(ticket));
                }
                fields.extend(extra.iter().cloned());
            }
        }
        let filled: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.clone(), w.fill(v, form_path, ""))).collect();
        urlencoded(&filled)
    }
}

/// Edits at byte positions (taken modulo the length).
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        3 => (any::<usize>(), prop_oneof![
            prop::sample::select(vec![",", "\"", "\n", "\r\n", "\0", ";", "\u{feff}", "==", "[", "]", "{", "}", "'''", "\"\"\"", "#", "=", "\\", "🙂", "é"])
                .prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 1..8),
        ]).prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        2 => (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        1 => (any::<usize>(), 1usize..200).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 0..6)
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let at = |i: usize| if bytes.is_empty() { 0 } else { i % (bytes.len() + 1) };
        match edit {
            Edit::Set(i, b) if !bytes.is_empty() => {
                let i = i % bytes.len();
                bytes[i] = *b;
            }
            Edit::Set(..) => {}
            Edit::Insert(i, new) => {
                let i = at(*i);
                bytes.splice(i..i, new.iter().copied());
            }
            Edit::Delete(i, n) => {
                let i = at(*i);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Duplicate(i, n) => {
                let i = at(*i);
                let end = (i + n).min(bytes.len());
                let copy = bytes[i..end].to_vec();
                bytes.splice(i..i, copy);
            }
            Edit::Truncate(i) => {
                let i = at(*i);
                bytes.truncate(i);
            }
        }
    }
    bytes
}

// ---------------------------------------------------------------------------------------------
// The public form
// ---------------------------------------------------------------------------------------------

#[test]
fn fuzz_the_public_survey_form() {
    for (i, database) in common::backends().into_iter().enumerate() {
        let w = World::new(&database);
        let targets =
            prop::sample::select(vec!["/s/alpha", "/s/alpha/kiosk", "/s/loket", "/s/loket/kiosk", "/s/tidak-ada"]);
        let cases = if i == 0 { 300 } else { 100 };
        let check = |(path, body): (&str, FormBody)| {
            let bytes = body.bytes(&w, path, path.starts_with("/s/loket"), &[]);
            check_public_form(&w, path, &bytes)
        };
        fuzz("public form", cases, (targets.clone(), form_body()), check);
        // any text in a field that reaches the database as typed, the rest of the form valid
        let free_text = (prop::sample::select(FREE_TEXT), text()).prop_map(|(f, t)| FormBody::Mutated(vec![(f, t)]));
        fuzz("public form, free text", cases / 2, (targets, free_text), check);
        w.assert_reached("form", &[303, 400, 404, 422]);
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON API
// ---------------------------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        2 => (1u64..=5).prop_map(Value::from),
        5 => text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn valid_json(ticket: bool) -> Value {
    let mut body = json!({
        "token": "{token}",
        "layanan": "ktp-el",
        "answers": {"U1": 4, "U2": 3, "U3": 3, "U4": 4, "U5": 3, "U6": 4, "U7": 4, "U8": 2, "U9": 3},
        "profile": {"jenis_kelamin": "L", "usia": 41},
        "saran": "Antrean online",
    });
    if ticket {
        body["tiket"] = json!("{ticket}");
    }
    body
}

/// Where a mutation of the valid body lands.
const JSON_PATHS: &[&str] = &[
    "saran",
    "saran",
    "saran",
    "tiket",
    "tiket",
    "token",
    "layanan",
    "answers",
    "profile",
    "answers.U1",
    "answers.U9",
    "answers.U10",
    "answers.",
    "profile.usia",
    "profile.jenis_kelamin",
    "profile.pendidikan",
    "profile.warna",
    "warna",
];

#[derive(Debug, Clone)]
enum JsonBody {
    /// the valid body with values replaced or removed at paths
    Mutated(Vec<(&'static str, Option<Value>)>),
    Arbitrary(Value),
    /// the valid body's text, edited byte by byte
    Bytes(Vec<Edit>),
}

fn json_body() -> impl Strategy<Value = JsonBody> {
    prop_oneof![
        4 => prop::collection::vec((prop::sample::select(JSON_PATHS), prop::option::weighted(0.85, json_value())), 0..4)
            .prop_map(JsonBody::Mutated),
        2 => json_value().prop_map(JsonBody::Arbitrary),
        2 => edits().prop_map(JsonBody::Bytes),
    ]
}

fn set_path(body: &mut Value, path: &str, value: Option<Value>) {
    let (parent, key) = match path.split_once('.') {
        Some((parent, key)) => (&mut body[parent], key),
        None => (body, path),
    };
    if let Value::Object(map) = parent {
        match value {
            Some(v) => map.insert(key.to_string(), v),
            None => map.remove(key),
        };
    }
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some("application/json".to_string())),
        2 => prop::sample::select(vec![
            "application/json; charset=utf-8", "text/plain", FORM, "multipart/form-data; boundary=x", "application/xml",
        ])
        .prop_map(|s| Some(s.to_string())),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(Some),
    ]
}

impl JsonBody {
    fn bytes(&self, w: &World, slug: &str) -> Vec<u8> {
        let ticket = slug == "loket";
        let text = match self {
            JsonBody::Mutated(changes) => {
                let mut body = valid_json(ticket);
                for (path, value) in changes {
                    set_path(&mut body, path, value.clone());
                }
                body.to_string()
            }
            JsonBody::Arbitrary(value) => value.to_string(),
            JsonBody::Bytes(edits) => {
                let text = valid_json(ticket).to_string();
                return apply(w.fill(&text, &format!("/api/v1/units/{slug}/form"), "").into_bytes(), edits);
            }
        };
        w.fill(&text, &format!("/api/v1/units/{slug}/form"), "").into_bytes()
    }
}

#[test]
fn fuzz_the_json_api() {
    for (i, database) in common::backends().into_iter().enumerate() {
        let w = World::new(&database);
        let slugs = prop::sample::select(vec!["alpha", "alpha", "loket", "tidak-ada"]);
        let cases = if i == 0 { 300 } else { 100 };
        let check = |(slug, body, content_type): (&str, JsonBody, Option<String>)| {
            check_api(&w, slug, content_type.as_deref(), &body.bytes(&w, slug))
        };
        fuzz("JSON API", cases, (slugs.clone(), json_body(), content_type()), check);
        // any text in a field that reaches the database as typed, the rest of the body valid
        let free_text = (prop::sample::select(FREE_TEXT), text())
            .prop_map(|(field, text)| JsonBody::Mutated(vec![(field, Some(Value::String(text)))]));
        fuzz("JSON API, free text", cases / 2, (slugs, free_text, Just(Some("application/json".to_string()))), check);
        w.assert_reached("api", &[201, 400, 404, 422]);
    }
}

// ---------------------------------------------------------------------------------------------
// Paper entry and imports
// ---------------------------------------------------------------------------------------------

const CSV_COLUMNS: &[&str] = &[
    "U1",
    "U2",
    "U3",
    "U4",
    "U5",
    "U6",
    "U7",
    "U8",
    "U9",
    "layanan",
    "tanggal",
    "jenis_kelamin",
    "usia",
    "pendidikan",
    "pekerjaan",
    "saran",
    "id",
    "unit",
    "channel",
    "submitted_at",
    "U10",
    "\u{feff}U1",
    "",
];

fn csv_cell() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(vec!["1", "2", "3", "4", "", "ktp-el", "akta-lahir", "P", "34", "2026-01-15", "S1"])
            .prop_map(String::from),
        2 => prop::sample::select(NASTY).prop_map(String::from),
        1 => any::<String>(),
        1 => "[0-9,\"\n]{0,6}",
    ]
    .boxed()
}

/// A CSV file: a header of real and odd columns, rows of cells joined with commas (unquoted, so
/// cells may break the structure), then byte edits.
#[derive(Debug, Clone)]
enum CsvFile {
    Built {
        columns: Vec<&'static str>,
        rows: Vec<Vec<String>>,
        edits: Vec<Edit>,
    },
    Sample(Vec<Edit>),
    Raw(Vec<u8>),
    /// an XLSX workbook, edited
    Xlsx(Vec<Edit>),
}

const SAMPLE_CSV: &str = "U1,U2,U3,U4,U5,U6,U7,U8,U9,layanan,tanggal,jenis_kelamin,usia,pendidikan,pekerjaan,saran\n\
4,4,3,4,4,4,4,4,4,ktp-el,2026-01-15,P,34,D4-S1,WIRAUSAHA,Bagus\n\
3,3,,3,3,3,3,3,3,akta-lahir,,,,,,\"Antrean, lama\"\n";

fn csv_file() -> impl Strategy<Value = CsvFile> {
    prop_oneof![
        4 => (prop::collection::vec(prop::sample::select(CSV_COLUMNS), 0..14), prop::collection::vec(prop::collection::vec(csv_cell(), 0..14), 0..6), edits())
            .prop_map(|(columns, rows, edits)| CsvFile::Built { columns, rows, edits }),
        3 => edits().prop_map(CsvFile::Sample),
        1 => prop::collection::vec(any::<u8>(), 0..400).prop_map(CsvFile::Raw),
        1 => edits().prop_map(CsvFile::Xlsx),
    ]
}

/// A small valid workbook (built once: writing one is slow in a debug build).
fn xlsx_sample() -> &'static [u8] {
    static SAMPLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9", "layanan"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).expect("cell");
            sheet.write_number(1, c as u16, 3.0).expect("cell");
        }
        sheet.write_string(1, 9, "ktp-el").expect("cell");
        book.save_to_buffer().expect("xlsx")
    })
}

impl CsvFile {
    fn bytes(&self) -> Vec<u8> {
        match self {
            CsvFile::Built { columns, rows, edits } => {
                let mut text = columns.join(",");
                for row in rows {
                    text.push('\n');
                    text.push_str(&row.join(","));
                }
                text.push('\n');
                apply(text.into_bytes(), edits)
            }
            CsvFile::Sample(edits) => apply(SAMPLE_CSV.as_bytes().to_vec(), edits),
            CsvFile::Raw(bytes) => bytes.clone(),
            CsvFile::Xlsx(edits) => apply(xlsx_sample().to_vec(), edits),
        }
    }
}

#[derive(Debug, Clone)]
enum Upload {
    /// a well-formed multipart body around the file
    File(CsvFile),
    /// the multipart framing itself edited
    Framing(CsvFile, Vec<Edit>),
}

#[test]
fn fuzz_the_operator_paper_form_and_import() {
    for (i, database) in common::backends().into_iter().enumerate() {
        let w = World::new(&database);
        let (cookie, csrf) = w.operator();
        let cases = if i == 0 { 150 } else { 60 };
        let csrf_value = prop_oneof![8 => Just("{csrf}".to_string()), 1 => Just(String::new()), 1 => text()];
        let date = prop_oneof![3 => Just("2026-01-15".to_string()), 1 => text()];
        let check = |(body, csrf_field, date): (FormBody, String, String)| {
            let csrf_field = w.fill(&csrf_field, "/s/alpha", &csrf);
            let prefix = [("csrf".to_string(), csrf_field), ("tanggal".to_string(), date)];
            check_paper(&w, &cookie, &body.bytes(&w, "/s/alpha", false, &prefix))
        };
        fuzz("paper form", cases, (form_body(), csrf_value, date), check);
        let saran = text().prop_map(|t| FormBody::Mutated(vec![("saran", t)]));
        fuzz(
            "paper form, free text",
            cases / 2,
            (saran, Just("{csrf}".to_string()), Just("2026-01-15".to_string())),
            check,
        );
        let upload = prop_oneof![4 => csv_file().prop_map(Upload::File), 1 => (csv_file(), edits()).prop_map(|(f, e)| Upload::Framing(f, e))];
        fuzz("import", cases, upload, |upload| {
            let (content_type, body) = match &upload {
                Upload::File(file) => multipart(&csrf, &file.bytes()),
                Upload::Framing(file, edits) => {
                    let (content_type, body) = multipart(&csrf, &file.bytes());
                    (content_type, apply(body, edits))
                }
            };
            check_import(&w, &cookie, &content_type, &body)
        });
        w.assert_reached("paper", &[303, 403, 422]);
        w.assert_reached("import", &[200, 422]);
    }
}

// ---------------------------------------------------------------------------------------------
// The parsers as library functions
// ---------------------------------------------------------------------------------------------

#[test]
fn fuzz_the_csv_import_parser() {
    let template = default_template();
    let templates: Vec<Arc<Template>> = skm::catalog::Catalog::load(None).expect("templates").all().cloned().collect();
    let which = 0..templates.len();
    fuzz("CSV parser", 1500, (which, csv_file()), |(t, file)| {
        check_csv(&templates[t], &file.bytes())?;
        check_csv(&template, &file.bytes())
    });
}

fn shipped_templates() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-templates");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("survey-templates")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("template text"))).collect()
}

/// Edits of a template's lines: the kind of mistakes people make in a TOML file.
#[derive(Debug, Clone)]
enum LineEdit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    /// the value after `=` on a line
    Value(usize, String),
}

fn line_edits() -> impl Strategy<Value = Vec<LineEdit>> {
    let value = prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "5",
            "-1",
            "4294967296",
            "1e9",
            "\"\"",
            "\" \"",
            "\"x\"",
            "\"7x\"",
            "\"100\"",
            "\"-25\"",
            "\"0\"",
            "\"nik\"",
            "\"mean\"",
            "\"exact\"",
            "\"fixed\"",
            "\"choice\"",
            "\"number\"",
            "[]",
            "{}",
            "true",
            "\"U1\"",
            "\"0.111\"",
            "\"1/9\"",
            "'''",
            "\"\\u0000\"",
            "nan",
            "inf",
        ])
        .prop_map(String::from),
        any::<String>().prop_map(|s| format!("{s:?}")),
        "\\PC{0,12}",
    ];
    let edit = prop_oneof![
        1 => any::<usize>().prop_map(LineEdit::Delete),
        1 => any::<usize>().prop_map(LineEdit::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
        3 => (any::<usize>(), value).prop_map(|(at, v)| LineEdit::Value(at, v)),
    ];
    prop::collection::vec(edit, 0..5)
}

fn apply_lines(text: &str, edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for edit in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match edit {
            LineEdit::Delete(i) => {
                lines.remove(i % n);
            }
            LineEdit::Duplicate(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            LineEdit::Swap(a, b) => lines.swap(a % n, b % n),
            LineEdit::Value(i, value) => {
                // the n-th line that assigns something
                let assigning: Vec<usize> = (0..n).filter(|j| lines[*j].contains('=')).collect();
                if let Some(j) = assigning.get(i % assigning.len().max(1)) {
                    let (key, _) = lines[*j].split_once('=').unwrap_or_default();
                    lines[*j] = format!("{key}= {value}");
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn fuzz_the_survey_template_parser() {
    let shipped = shipped_templates();
    assert!(shipped.len() >= 4, "the shipped templates: {:?}", shipped.iter().map(|(p, _)| p).collect::<Vec<_>>());
    for (path, text) in &shipped {
        check_template(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(parse_template("fuzz.toml", text).is_ok(), "{path} parses");
    }
    let input = prop_oneof![
        4 => (0..shipped.len(), line_edits(), edits()).prop_map(|(t, lines, bytes)| (t, lines, bytes, None)),
        1 => any::<String>().prop_map(|s| (0, Vec::new(), Vec::new(), Some(s))),
    ];
    fuzz("template parser", 1500, input, |(t, line_edits, byte_edits, raw)| {
        let text = match raw {
            Some(raw) => raw,
            None => {
                let edited = apply_lines(&shipped[t].1, &line_edits);
                String::from_utf8_lossy(&apply(edited.into_bytes(), &byte_edits)).into_owned()
            }
        };
        check_template(&text)
    });
}

// ---------------------------------------------------------------------------------------------
// The regression corpus
// ---------------------------------------------------------------------------------------------

fn corpus(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|p| {
            (
                format!("{kind}/{}", p.file_name().unwrap_or_default().to_string_lossy()),
                std::fs::read(&p).expect("corpus file"),
            )
        })
        .collect();
    assert!(files.len() >= 5, "tests/corpus/{kind} holds {} inputs", files.len());
    files
}

#[test]
fn the_regression_corpus_passes_every_check() {
    let templates: Vec<Arc<Template>> = skm::catalog::Catalog::load(None).expect("templates").all().cloned().collect();
    for (name, bytes) in corpus("csv") {
        for t in &templates {
            check_csv(t, &bytes).unwrap_or_else(|e| panic!("{name} ({}): {e}", t.id));
        }
    }
    for (name, bytes) in corpus("template") {
        check_template(&String::from_utf8_lossy(&bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for database in common::backends() {
        let w = World::new(&database);
        let (cookie, csrf) = w.operator();
        let filled = |bytes: &[u8], form_path: &str| -> Vec<u8> {
            match std::str::from_utf8(bytes) {
                Ok(text) => w.fill(text, form_path, &csrf).into_bytes(),
                Err(_) => bytes.to_vec(),
            }
        };
        for (name, bytes) in corpus("form") {
            for path in ["/s/alpha", "/s/alpha/kiosk", "/s/loket"] {
                check_public_form(&w, path, &filled(&bytes, path)).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            let paper = [filled(b"csrf={csrf}&tanggal=2026-01-15&", "/s/alpha"), bytes.clone()].concat();
            check_paper(&w, &cookie, &paper).unwrap_or_else(|e| panic!("{name} as paper: {e}"));
        }
        for (name, bytes) in corpus("api") {
            for slug in ["alpha", "loket"] {
                let body = filled(&bytes, &format!("/api/v1/units/{slug}/form"));
                check_api(&w, slug, Some("application/json"), &body).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        for (name, bytes) in corpus("csv") {
            let (content_type, body) = multipart(&csrf, &bytes);
            check_import(&w, &cookie, &content_type, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
