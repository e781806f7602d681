//! The admin page in a real browser: headless Chromium driven by chromedriver over the W3C
//! WebDriver protocol (plain JSON over HTTP), with a temporary profile. An operator signs in,
//! clicks "New password" and reads it from the page; micromdm's `scepclient` enrolls with it
//! and a second enrollment with the same password gets FAILURE badRequest. Then, with
//! `--approval manual`, `scepclient` submits, the operator approves the request in the
//! pending list, and the device's re-sent request receives the certificate; certmonger does
//! the same (queued once, issued to its re-sent request after the approval).
//!
//! A PNG screenshot of each page is saved in `target/admin-screenshots/` (or
//! `$CARGO_TARGET_DIR/admin-screenshots/`). `scepclient` speaks only single DES, so the
//! scepclient half needs the `insecure-legacy` feature; without it the library's client plays
//! the device.

use core::time::Duration;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use serde_json::{Value, json};

use super::Serve;
use super::ndes::{ADMIN_PASSWORD, start_with_admin};
use super::peers::{ChildGuard, TempDir, free_port, require_peer};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("admin-screenshots")
}

/// A chromedriver process and one browser session.
struct Browser {
    _driver: ChildGuard,
    base: String,
    session: String,
    agent: ureq::Agent,
}

impl Browser {
    fn start(profile: &Path) -> Browser {
        let port = free_port();
        let log = fs::File::create(profile.with_extension("chromedriver.log")).unwrap();
        let mut cmd = std::process::Command::new(CHROMEDRIVER);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let driver = ChildGuard::spawn("chromedriver", &mut cmd).unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(60)))
                .build(),
        );
        let start = Instant::now();
        loop {
            let ready = agent
                .get(&format!("{base}/status"))
                .call()
                .ok()
                .and_then(|mut r| {
                    r.body_mut()
                        .read_to_string()
                        .ok()
                        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                })
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        fs::create_dir_all(profile).unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let mut browser = Browser {
            _driver: driver,
            base,
            session: String::new(),
            agent,
        };
        let v = browser.call("POST", "/session", Some(caps));
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        browser
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let r = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string().as_bytes()),
        };
        let mut r = r.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = r.status().as_u16();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(status, 200, "{method} {path}: {v}");
        v["value"].clone()
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    fn find(&self, using: &str, value: &str) -> Option<String> {
        let url = format!("{}{}", self.base, self.s("/elements"));
        let mut r = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(
                json!({"using": using, "value": value})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["value"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT].as_str())
            .map(str::to_owned)
    }

    /// The element, waiting up to 10 s for it (a click's navigation may still be under way).
    fn wait_for(&self, using: &str, value: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(using, value) {
                return e;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("no {value} on the page:\n{}", self.source());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn css(&self, selector: &str) -> String {
        self.wait_for("css selector", selector)
    }

    fn xpath(&self, path: &str) -> String {
        self.wait_for("xpath", path)
    }

    fn click(&self, element: &str) {
        self.call("POST", &self.s(&format!("/element/{element}/click")), None);
    }

    fn type_into(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &self.s(&format!("/element/{element}/value")),
            Some(json!({ "text": text })),
        );
    }

    fn text(&self, element: &str) -> String {
        self.call("GET", &self.s(&format!("/element/{element}/text")), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn source(&self) -> String {
        self.call("GET", &self.s("/source"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Saves a PNG of the window as `DIR/NAME.png`.
    fn screenshot(&self, name: &str) -> PathBuf {
        let b64 = self.call("GET", &self.s("/screenshot"), None);
        let png = base64_decode(b64.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = screenshot_dir();
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }

    /// Signs in on the login page at `origin`.
    fn login(&self, origin: &str, shot: Option<&str>) {
        self.go(&format!("{origin}/admin"));
        let field = self.css("#password");
        if let Some(name) = shot {
            self.screenshot(name);
        }
        self.type_into(&field, ADMIN_PASSWORD);
        self.click(&self.css("#login"));
        self.css("#new-password");
    }

    /// Clicks "New password"; the password and the expiry line the page shows.
    fn new_password(&self) -> (String, String) {
        self.click(&self.css("#new-password"));
        let pw = self.text(&self.css("#new-password-value"));
        let expiry = self.text(&self.css("#new-password-expiry"));
        (pw, expiry)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(&format!("{}/session/{}", self.base, self.session))
                .call();
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let Some(v) = val(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The device: micromdm `scepclient` (with `insecure-legacy`) or the library's client.
#[cfg(feature = "insecure-legacy")]
mod device_side {
    use super::super::peers::micromdm_client_enroll;
    use std::path::Path;

    pub const PEER: Option<&str> = Some("scepclient");
    pub const SERVER_ARGS: &[&str] = &["--insecure-legacy"];

    /// Enrolls (waiting through one PENDING round); `Err(failInfo)` on FAILURE.
    pub fn enroll(origin: &str, _ca: &Path, dir: &Path, cn: &str, pw: &str) -> Result<(), String> {
        micromdm_client_enroll(&format!("{origin}/scep"), dir, cn, Some(pw))
            .map(|_| ())
            .map_err(|e| e.fail_info().map_or_else(|| e.to_string(), str::to_owned))
    }
}

#[cfg(not(feature = "insecure-legacy"))]
mod device_side {
    use super::super::device::{Ca, csr, enroll as lib_enroll, key, poll};
    use scep::client::Outcome;
    use std::path::Path;

    pub const PEER: Option<&str> = None;
    pub const SERVER_ARGS: &[&str] = &[];

    pub fn enroll(origin: &str, ca: &Path, _dir: &Path, cn: &str, pw: &str) -> Result<(), String> {
        let ca = Ca::new(origin, ca, None);
        let device = key("client2048");
        let (tx, mut outcome) =
            lib_enroll(&ca, &device, &csr(&device, &format!("CN={cn}"), Some(pw)));
        for _ in 0..120 {
            match outcome {
                Outcome::Pending => {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    outcome = poll(&ca, &tx, &device);
                }
                Outcome::Issued { .. } => return Ok(()),
                Outcome::Rejected { info, .. } => return Err(info.to_string()),
                other => return Err(format!("{other:?}")),
            }
        }
        Err("still pending".into())
    }
}

#[test]
fn an_operator_hands_out_a_password_and_approves_a_request_in_chromium() {
    if !require_peer(CHROMIUM) || !require_peer(CHROMEDRIVER) {
        return;
    }
    if !super::peers::require_peers(&super::peers::CERTMONGER_PEERS) {
        return;
    }
    if let Some(peer) = device_side::PEER {
        if !require_peer(peer) {
            return;
        }
    }
    let tmp = TempDir::new("ndes-browser");
    let state = tmp.join("state");
    let mut args = vec!["--challenge-mode", "one-time"];
    args.extend_from_slice(device_side::SERVER_ARGS);
    let (serve, admin_origin) = start_with_admin(&state, &args);
    let browser = Browser::start(&tmp.join("chromium-profile"));

    // Sign in; one click for a password.
    browser.login(&admin_origin, Some("1-login"));
    browser.screenshot("2-dashboard");
    let (pw, expiry) = browser.new_password();
    assert_eq!(pw.len(), 23, "{pw:?}");
    assert!(
        expiry.contains("Valid for one enrollment until"),
        "{expiry}"
    );
    browser.screenshot("3-new-password");

    // The device enrolls with it; a second device with the same password is refused.
    let ca = serve.ca_cert();
    let o = device_side::enroll(&serve.origin(), &ca, &tmp.join("dev1"), "browser-1", &pw);
    assert!(o.is_ok(), "{o:?}\n{}", serve.log());
    let o = device_side::enroll(&serve.origin(), &ca, &tmp.join("dev2"), "browser-2", &pw);
    assert_eq!(o, Err("badRequest".to_owned()), "{}", serve.log());
    assert!(serve.log().contains("one-time password already used"));
    browser.go(&format!("{admin_origin}/admin"));
    browser.xpath("//td[contains(., 'used')]");
    browser.screenshot("4-password-used");

    // Manual approval: the same state, restarted.
    let port = serve.port;
    drop(serve);
    let mut args = vec![
        "--challenge-mode",
        "one-time",
        "--approval",
        "manual",
        "--admin-addr",
    ];
    let admin_addr = admin_origin.trim_start_matches("http://").to_owned();
    let pw_file = state.join("admin-password.txt").display().to_string();
    args.extend([
        admin_addr.as_str(),
        "--admin-password-file",
        pw_file.as_str(),
    ]);
    args.extend_from_slice(device_side::SERVER_ARGS);
    let serve = Serve::start_on(port, &state, &args);
    browser.login(&admin_origin, None);
    let (pw, _) = browser.new_password();
    let origin = serve.origin();
    let dir = tmp.join("dev3");
    let device =
        std::thread::spawn(move || device_side::enroll(&origin, &ca, &dir, "browser-manual", &pw));
    // Wait for the request in the pending list.
    let start = Instant::now();
    loop {
        browser.go(&format!("{admin_origin}/admin"));
        if browser
            .find(
                "xpath",
                "//tr[td[contains(., 'CN=browser-manual')]]//button[contains(., 'Approve')]",
            )
            .is_some()
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no pending request\n{}",
            serve.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let row = browser.source();
    assert!(row.contains("RSA 2048"), "{row}");
    assert!(row.contains("127.0.0.1:"), "{row}");
    browser.screenshot("5-pending");
    browser.click(
        &browser
            .xpath("//tr[td[contains(., 'CN=browser-manual')]]//button[contains(., 'Approve')]"),
    );
    let notice = browser.text(&browser.css("#message"));
    assert!(notice.contains("approved"), "{notice}");
    browser.screenshot("6-approved");
    let o = device.join().unwrap();
    assert!(o.is_ok(), "{o:?}\n{}", serve.log());
    browser.go(&format!("{admin_origin}/admin"));
    browser.xpath("//section[@id='certificates']//td[contains(., 'CN=browser-manual')]");
    browser.screenshot("7-issued");

    // certmonger too: it submits, waits (re-sending while PENDING), and gets the certificate
    // once the browser approved it.
    let (pw, _) = browser.new_password();
    let url = format!("{}/scep", serve.origin());
    let ca_cert = serve.ca_cert();
    let cm_dir = tmp.join("certmonger");
    let certmonger = std::thread::spawn(move || {
        super::peers::certmonger_enroll(
            &url,
            &ca_cert,
            &cm_dir,
            "CN=browser-certmonger",
            Some(&pw),
            Duration::from_secs(90),
        )
    });
    let approve = "//tr[td[contains(., 'CN=browser-certmonger')]]//button[contains(., 'Approve')]";
    let start = Instant::now();
    while browser.find("xpath", approve).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "certmonger's request never queued\n{}",
            serve.log()
        );
        std::thread::sleep(Duration::from_millis(300));
        browser.go(&format!("{admin_origin}/admin"));
    }
    browser.click(&browser.xpath(approve));
    let cert = certmonger.join().unwrap();
    assert!(cert.is_ok(), "{cert:?}\n{}", serve.log());
    // Its request was queued once (PENDING) and the same transaction was issued later.
    let log = serve.log();
    let issued_line = log
        .lines()
        .find(|l| l.contains("SUCCESS") && l.contains("CN=browser-certmonger"))
        .unwrap_or_else(|| panic!("{log}"));
    let tx = issued_line
        .split_whitespace()
        .find(|w| w.starts_with("tx="))
        .unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains(tx) && l.ends_with("-> PENDING"))
            .count(),
        1,
        "{log}"
    );
    println!("screenshots in {}", screenshot_dir().display());
}
