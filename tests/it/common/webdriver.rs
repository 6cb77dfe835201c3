//! Just enough of the W3C WebDriver protocol to drive Debian's chromium through chromedriver:
//! open a page, click, type, run a script, take a screenshot.
#![allow(dead_code)]

use base64::Engine;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    /// the chromium profile: a temporary one, or a caller's that outlives the browser
    profile: std::path::PathBuf,
    _temporary: Option<tempfile::TempDir>,
    /// killed on purpose (`kill_hard`): there is no session left to close
    killed: bool,
}

fn call(method: &str, url: &str, body: Option<Value>) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, Some(body)) => agent.post(url).send_json(body),
        (_, None) => agent.post(url).send_json(json!({})),
    };
    let mut response = response.expect("webdriver request");
    let text = response.body_mut().with_config().limit(100 * 1024 * 1024).read_to_string().expect("webdriver body");
    let value: Value = serde_json::from_str(&text).expect("webdriver json");
    if let Some(error) = value["value"]["error"].as_str() {
        panic!("webdriver {method} {url}: {error}: {}", value["value"]["message"]);
    }
    value["value"].clone()
}

impl Browser {
    /// Starts chromedriver and a headless chromium with a phone-sized window.
    pub fn start(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Browser::start_with_profile(width, height, profile.path());
        browser._temporary = Some(profile);
        browser
    }

    /// As `start`, with the profile (cookies, IndexedDB, service workers) in `dir`, so a second
    /// browser started on the same `dir` finds what the first one left.
    pub fn start_with_profile(width: u32, height: u32, dir: &std::path::Path) -> Browser {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = ureq::get(&format!("{base}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok());
            if ready.is_some_and(|v| v["value"]["ready"] == true) {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("chromium");
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            "--lang=id-ID".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", dir.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args, "prefs": {"intl.accept_languages": "id-ID,id"},
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}}},
        }}});
        let created = call("POST", &format!("{base}/session"), Some(capabilities));
        let session = created["sessionId"].as_str().expect("session id").to_string();
        Browser { driver, base, session, profile: dir.to_path_buf(), _temporary: None, killed: false }
    }

    /// Kills chromium as a power cut would: SIGKILL to every process of its profile (found by
    /// the `--user-data-dir` on their command lines), then to chromedriver; nothing is closed.
    pub fn kill_hard(&mut self) {
        let needle = format!("--user-data-dir={}", self.profile.display());
        let pids: Vec<String> = std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
            .filter(|entry| {
                std::fs::read(entry.path().join("cmdline"))
                    .is_ok_and(|cmdline| cmdline.split(|b| *b == 0).any(|arg| arg == needle.as_bytes()))
            })
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!pids.is_empty(), "no chromium process runs on {needle}");
        let _ = Command::new("kill").arg("-KILL").args(&pids).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        self.killed = true;
        // the processes are gone once /proc no longer lists them
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|pid| std::path::Path::new(&format!("/proc/{pid}/cmdline")).exists()) {
            assert!(Instant::now() < deadline, "chromium survived SIGKILL");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A DevTools protocol command on the current page (chromedriver's `goog/cdp/execute`).
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        call("POST", &self.url("/goog/cdp/execute"), Some(json!({"cmd": cmd, "params": params})))
    }

    /// Emulates the network: `offline`, or online with `latency_ms` added to every reply and the
    /// download limited to `download_bytes_per_second` (-1: unlimited).
    pub fn emulate_network(&self, offline: bool, latency_ms: u64, download_bytes_per_second: i64) {
        self.cdp("Network.enable", json!({}));
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": offline, "latency": latency_ms, "downloadThroughput": download_bytes_per_second,
                   "uploadThroughput": -1}),
        );
    }

    /// Loads the page again (as F5 does).
    pub fn reload(&self) {
        call("POST", &self.url("/refresh"), None);
    }

    /// Waits up to `seconds` until `expression` (JavaScript) is truthy, and returns its value.
    pub fn wait_for_script(&self, expression: &str, seconds: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let value = self.script(&format!("return {expression};"), vec![]);
            if !matches!(value, Value::Null | Value::Bool(false)) && value != json!("") && value != json!(0) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "never true: {expression}; the page shows: {}",
                self.script("return document.body ? document.body.innerText : '';", vec![])
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    pub fn open(&self, url: &str) {
        call("POST", &self.url("/url"), Some(json!({ "url": url })));
    }

    pub fn current_url(&self) -> String {
        call("GET", &self.url("/url"), None).as_str().unwrap_or_default().to_string()
    }

    pub fn source(&self) -> String {
        call("GET", &self.url("/source"), None).as_str().unwrap_or_default().to_string()
    }

    pub fn find(&self, css: &str) -> String {
        let found = call("POST", &self.url("/element"), Some(json!({"using": "css selector", "value": css})));
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_string()
    }

    /// Signs in through the login form at `login_url`, as a person would, and waits for the
    /// page it leads to (the dashboard, or the operator's page).
    pub fn sign_in(&self, login_url: &str, email: &str, password: &str) {
        self.open(login_url);
        self.type_into("input[name=email]", email);
        self.type_into("input[name=password]", password);
        self.click("form button[type=submit]:not(.link)");
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.current_url().contains("/masuk") {
            assert!(Instant::now() < deadline, "sign-in never left the login page: {}", self.source());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        call("POST", &self.url(&format!("/element/{id}/click")), None);
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        call("POST", &self.url(&format!("/element/{id}/value")), Some(json!({ "text": text })));
    }

    pub fn script(&self, script: &str, args: Vec<Value>) -> Value {
        call("POST", &self.url("/execute/sync"), Some(json!({"script": script, "args": args})))
    }

    pub fn script_async(&self, script: &str) -> Value {
        call("POST", &self.url("/timeouts"), Some(json!({"script": 60000})));
        call("POST", &self.url("/execute/async"), Some(json!({"script": script, "args": []})))
    }

    /// Waits until the page's address contains `part`.
    pub fn wait_for_url(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.current_url().contains(part) {
            assert!(Instant::now() < deadline, "never reached {part}; at {}", self.current_url());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of what the screen shows now.
    pub fn screenshot_viewport(&self, path: &std::path::Path) {
        let data = call("GET", &self.url("/screenshot"), None);
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).expect("base64 png");
        std::fs::write(path, bytes).expect("write screenshot");
    }

    /// Waits until the page's HTML contains `text`.
    pub fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.source().contains(text) {
            assert!(Instant::now() < deadline, "the page never showed {text:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the whole page (not only the viewport), via the DevTools protocol.
    pub fn screenshot(&self, path: &std::path::Path) {
        let shot = call(
            "POST",
            &self.url("/goog/cdp/execute"),
            Some(json!({"cmd": "Page.captureScreenshot", "params": {"format": "png", "captureBeyondViewport": true}})),
        );
        let data = shot["data"].as_str().expect("screenshot data");
        let bytes = base64::engine::general_purpose::STANDARD.decode(data).expect("base64 png");
        std::fs::write(path, bytes).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.killed {
            return;
        }
        let _ = std::panic::catch_unwind(|| call("DELETE", &format!("{}/session/{}", self.base, self.session), None));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core's script, from `target/axe` (`.ci/run` installs it); `None` (the check skipped, said
/// on stderr) when it is missing, unless SKM_TEST_REQUIRE_TOOLS=1.
pub fn axe_source() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(_) if std::env::var("SKM_TEST_REQUIRE_TOOLS").is_ok_and(|v| v == "1") => {
            panic!("axe-core is required: npm install --prefix target/axe axe-core@4")
        }
        Err(_) => {
            eprintln!("SKIPPED the accessibility check: axe-core is not installed (npm install --prefix target/axe axe-core@4)");
            None
        }
    }
}

/// Every axe-core violation of the current page, whatever its impact, but for the `disabled`
/// rules (each caller says why it turns one off).
pub fn accessibility_violations(browser: &Browser, axe: &str, disabled: &[&str]) -> Vec<Value> {
    browser.script(axe, vec![]);
    let rules: serde_json::Map<String, Value> =
        disabled.iter().map(|rule| (rule.to_string(), json!({"enabled": false}))).collect();
    browser.script(
        "window.__axeOptions = {resultTypes: ['violations'], rules: arguments[0]};",
        vec![Value::Object(rules)],
    );
    let result = browser.script_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, window.__axeOptions)
            .then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))))
            .catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e)}])));",
    );
    serde_json::from_str(result.as_str().unwrap_or("[]")).expect("axe result")
}
