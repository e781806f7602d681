//! The NDES-style workflow of `scep serve`: one-time challenge passwords (single use under
//! concurrency, expiry, subject binding, never stored in clear), the approval queue (one entry
//! per re-sent request, failInfo of a rejection, decisions across a restart) and the admin
//! listener (login, CSRF, HTML escaping, bearer API, nothing on the device port).

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use scep::attr::FailInfo;
use scep::client::Outcome;

use super::device::{Ca, csr, enroll, exchange, issued, key, poll};
use super::peers::{TempDir, free_port};
use super::{Serve, admin, stdout};

pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// `scep serve` with an admin listener on a free port; the admin origin.
pub fn start_with_admin(state: &Path, args: &[&str]) -> (Serve, String) {
    fs::create_dir_all(state).unwrap();
    let pw = state.join("admin-password.txt");
    fs::write(&pw, format!("{ADMIN_PASSWORD}\n")).unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut all: Vec<&str> = vec![
        "--admin-addr",
        &addr,
        "--admin-password-file",
        pw.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let serve = Serve::start(state, &all);
    (serve, format!("http://{addr}"))
}

/// `scep admin password new ARGS...`: the password (stdout).
pub fn new_password(state: &Path, args: &[&str]) -> String {
    // `--database URL` goes before the command.
    let mut all: Vec<&str> = Vec::new();
    let mut rest = args;
    if let ["--database", url, tail @ ..] = args {
        all.extend(["--database", url]);
        rest = tail;
    }
    all.extend(["password", "new"]);
    all.extend_from_slice(rest);
    let out: Output = admin(state, &all);
    assert!(out.status.success(), "{out:?}");
    stdout(&out).trim().to_owned()
}

/// A reply of the admin listener.
pub struct Page {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// A browser without a browser: keeps the session cookie, follows nothing.
pub struct AdminClient {
    pub origin: String,
    pub cookie: Option<String>,
    agent: ureq::Agent,
}

impl AdminClient {
    pub fn new(origin: &str) -> AdminClient {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build(),
        );
        AdminClient {
            origin: origin.to_owned(),
            cookie: None,
            agent,
        }
    }

    fn finish(mut r: ureq::http::Response<ureq::Body>) -> Page {
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        Page {
            status: r.status().as_u16(),
            headers,
            body: r.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    pub fn get(&self, path: &str) -> Page {
        let mut req = self.agent.get(&format!("{}{path}", self.origin));
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        AdminClient::finish(req.call().unwrap())
    }

    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_form_with(path, fields, &[])
    }

    pub fn post_form_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.origin))
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        AdminClient::finish(req.send(body.join("&").as_bytes()).unwrap())
    }

    pub fn api(&self, method: &str, route: &str, token: &str, body: Option<&str>) -> Page {
        let url = format!("{}/admin/api/{route}", self.origin);
        let r = if method == "GET" {
            self.agent
                .get(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .call()
        } else {
            self.agent
                .post(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(body.unwrap_or("").as_bytes())
        };
        AdminClient::finish(r.unwrap())
    }

    /// Signs in; panics unless it worked.
    pub fn login(&mut self, password: &str) {
        let r = self.post_form("/admin/login", &[("password", password)]);
        assert_eq!(r.status, 303, "{}", r.body);
        let set = r.headers.get("set-cookie").expect("a session cookie");
        assert!(set.contains("HttpOnly"), "{set}");
        assert!(set.contains("SameSite=Strict"), "{set}");
        self.cookie = Some(set.split(';').next().unwrap().to_owned());
    }

    /// The CSRF token of the dashboard.
    pub fn csrf(&self) -> String {
        let page = self.get("/admin");
        assert_eq!(page.status, 200);
        csrf_of(&page.body)
    }
}

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in\n{html}"))
        .to_owned()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Enrolls `n` devices at once, device `i` with `passwords[i % len]`; the outcomes.
pub fn race(cas: &[Ca], n: usize, passwords: &[String]) -> Vec<Outcome> {
    let device = key("client2048");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let ca = &cas[i % cas.len()];
                let device = &device;
                let pw = passwords[i % passwords.len()].as_str();
                s.spawn(move || {
                    let request = csr(device, &format!("CN=race-{i}"), Some(pw));
                    enroll(ca, device, &request).1
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Checks the race: exactly one certificate per password, badRequest for the rest, and the
/// wire never says why.
pub fn assert_one_winner_per_password(outcomes: &[Outcome], passwords: usize) {
    let mut won = 0;
    for o in outcomes {
        match o {
            Outcome::Issued { .. } => won += 1,
            Outcome::Rejected { info, text } => {
                assert_eq!(*info, FailInfo::BadRequest);
                let text = text.as_ref().map(|t| t.as_str().to_owned());
                assert_eq!(text.as_deref(), Some("challenge password not accepted"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, passwords, "{outcomes:?}");
}

/// 50 enrollments racing for 10 one-time passwords: exactly 10 certificates; the losers get
/// badRequest with a generic text, the log says "already used"; the database holds no
/// password in clear. An expired password, an unknown one and a subject outside a
/// password's pattern are refused (and the last is not spent by it).
#[test]
fn fifty_enrollments_race_for_ten_one_time_passwords() {
    let tmp = TempDir::new("ndes-race");
    let state = tmp.join("state");
    let serve = Serve::start(&state, &["--challenge-mode", "one-time"]);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let passwords: Vec<String> = (0..10).map(|_| new_password(&state, &[])).collect();
    let distinct: std::collections::HashSet<_> = passwords.iter().collect();
    assert_eq!(distinct.len(), 10);
    let outcomes = race(std::slice::from_ref(&ca), 50, &passwords);
    assert_one_winner_per_password(&outcomes, 10);
    let log = serve.log();
    assert_eq!(
        log.matches("one-time password already used").count(),
        40,
        "{log}"
    );
    // No password is anywhere in clear: never used ones are kept as keyed hashes, used ones
    // are blanked in the stored CSRs.
    let unused: Vec<String> = (0..3).map(|_| new_password(&state, &[])).collect();
    let db = fs::read(state.join("scep.sqlite3")).unwrap();
    let wal = fs::read(state.join("scep.sqlite3-wal")).unwrap_or_default();
    for p in passwords.iter().chain(&unused) {
        assert!(!log.contains(p.as_str()), "password in the log");
    }
    for p in passwords.iter().chain(&unused) {
        for bytes in [&db, &wal] {
            assert!(
                !bytes.windows(p.len()).any(|w| w == p.as_bytes()),
                "password in clear in the database"
            );
        }
    }
    let conn = rusqlite::Connection::open(state.join("scep.sqlite3")).unwrap();
    let used: i64 = conn
        .query_row(
            "SELECT count(*) FROM challenges WHERE used_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(used, 10);
    drop(conn);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs::metadata(state.join("challenge-hmac.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let device = key("client2048");
    let short = new_password(&state, &["--ttl", "1s"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let o = enroll(&ca, &device, &csr(&device, "CN=late", Some(&short))).1;
    assert!(matches!(o, Outcome::Rejected { .. }), "{o:?}");
    assert!(serve.log().contains("one-time password expired"));
    let o = enroll(&ca, &device, &csr(&device, "CN=x", Some("NOT-A-PASSWORD"))).1;
    assert!(matches!(o, Outcome::Rejected { .. }), "{o:?}");
    assert!(serve.log().contains("unknown one-time password"));
    let o = enroll(&ca, &device, &csr(&device, "CN=x", None)).1;
    assert!(matches!(o, Outcome::Rejected { .. }), "{o:?}");
    let bound = new_password(&state, &["--subject", "CN=printer-*"]);
    let o = enroll(&ca, &device, &csr(&device, "CN=scanner-1", Some(&bound))).1;
    assert!(matches!(o, Outcome::Rejected { .. }), "{o:?}");
    assert!(serve.log().contains("subject does not match"));
    let cert = issued(enroll(&ca, &device, &csr(&device, "CN=printer-7", Some(&bound))).1);
    assert_eq!(cert.subject().to_string(), "CN=printer-7");
    // A renewal signed by the issued certificate needs no password (as with NDES).
    let holder =
        scep::provider::rustcrypto::RsaKey::new(device.private_key().clone(), cert).unwrap();
    let mut rng = getrandom::SysRng;
    let (req, tx) = ca
        .client
        .renew(&csr(&device, "CN=printer-7", None), &holder, &mut rng)
        .unwrap();
    issued(exchange(&ca, &req, &tx, &holder));
}

/// `--approval manual` with a one-time password: the PKCSReq re-sent (same message) makes no
/// second entry and needs no second password; the operator rejects one request with
/// badCertId through the JSON API (the device's poll gets exactly that failInfo) and approves
/// another; after a restart the device's poll gets the certificate.
#[test]
fn the_queue_keeps_one_entry_per_request_and_decisions_survive_a_restart() {
    let tmp = TempDir::new("ndes-queue");
    let state = tmp.join("state");
    let args = ["--challenge-mode", "one-time", "--approval", "manual"];
    let (serve, admin_origin) = start_with_admin(&state, &args);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let web = AdminClient::new(&admin_origin);
    let device = key("client2048");
    let mut rng = getrandom::SysRng;

    let pw = new_password(&state, &[]);
    let (req, tx) = ca
        .client
        .enroll(&csr(&device, "CN=queued", Some(&pw)), &device, &mut rng)
        .unwrap();
    assert!(matches!(
        exchange(&ca, &req, &tx, &device),
        Outcome::Pending
    ));
    // The same message again: still PENDING (its password is not asked for twice).
    assert!(matches!(
        exchange(&ca, &req, &tx, &device),
        Outcome::Pending
    ));
    let pending = web.api("GET", "pending", ADMIN_PASSWORD, None);
    assert_eq!(pending.status, 200, "{}", pending.body);
    let list: serde_json::Value = serde_json::from_str(&pending.body).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let entry = &list[0];
    assert_eq!(entry["subject"], "CN=queued");
    assert_eq!(entry["key"], "RSA 2048");
    assert_eq!(entry["transaction_id"], tx.transaction_id().as_str());
    assert!(
        entry["requester"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{entry}"
    );

    let pw2 = new_password(&state, &[]);
    let (tx2, o) = enroll(&ca, &device, &csr(&device, "CN=refused", Some(&pw2)));
    assert!(matches!(o, Outcome::Pending));
    let body = format!(
        "{{\"transaction_id\":\"{}\",\"fail_info\":\"badCertId\"}}",
        tx2.transaction_id().as_str()
    );
    let r = web.api("POST", "pending/reject", ADMIN_PASSWORD, Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    match poll(&ca, &tx2, &device) {
        Outcome::Rejected { info, .. } => assert_eq!(info, FailInfo::BadCertId),
        other => panic!("{other:?}"),
    }
    // Decided once: a second decision finds nothing pending.
    let r = web.api("POST", "pending/approve", ADMIN_PASSWORD, Some(&body));
    assert_eq!(r.status, 404, "{}", r.body);

    let body = format!(
        "{{\"transaction_id\":\"{}\"}}",
        tx.transaction_id().as_str()
    );
    let r = web.api("POST", "pending/approve", ADMIN_PASSWORD, Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    let port = serve.port;
    drop(serve);
    let serve = Serve::start_on(port, &state, &args);
    let cert = issued(poll(&ca, &tx, &device));
    assert_eq!(cert.subject().to_string(), "CN=queued");
    // The re-sent PKCSReq after issuance: the same certificate.
    assert_eq!(
        issued(exchange(&ca, &req, &tx, &device)).as_der(),
        cert.as_der()
    );
    let _ = serve;
}

/// `--approval rule`: a valid one-time password is issued at once; a wrong one is queued for
/// the operator instead of refused.
#[test]
fn the_rule_issues_with_a_valid_password_and_queues_without() {
    let tmp = TempDir::new("ndes-rule");
    let state = tmp.join("state");
    let serve = Serve::start(
        &state,
        &["--challenge-mode", "one-time", "--approval", "rule"],
    );
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let pw = new_password(&state, &[]);
    issued(enroll(&ca, &device, &csr(&device, "CN=good", Some(&pw))).1);
    let (tx, o) = enroll(&ca, &device, &csr(&device, "CN=doubtful", Some("WRONG")));
    assert!(matches!(o, Outcome::Pending), "{o:?}");
    assert!(matches!(poll(&ca, &tx, &device), Outcome::Pending));
    let out = admin(&state, &["approve", tx.transaction_id().as_str()]);
    assert!(out.status.success(), "{out:?}");
    issued(poll(&ca, &tx, &device));
}

/// The admin listener: nothing of it on the device port; a wrong password gets no session;
/// every form POST needs the session's CSRF token; the API needs the bearer token;
/// attacker-controlled subjects are escaped.
#[test]
fn the_admin_surface_checks_csrf_credentials_and_escapes() {
    let tmp = TempDir::new("ndes-admin");
    let state = tmp.join("state");
    let (serve, admin_origin) = start_with_admin(
        &state,
        &["--challenge-mode", "one-time", "--approval", "manual"],
    );
    // The device port serves no admin path.
    let device_side = AdminClient::new(&serve.origin());
    for path in ["/admin", "/admin/", "/admin/api/pending", "/admin/login"] {
        assert_eq!(device_side.get(path).status, 404, "{path}");
    }
    assert_eq!(
        device_side
            .api("GET", "pending", ADMIN_PASSWORD, None)
            .status,
        404
    );
    assert_eq!(
        device_side
            .post_form("/admin/login", &[("password", ADMIN_PASSWORD)])
            .status,
        404
    );

    let mut web = AdminClient::new(&admin_origin);
    let login_page = web.get("/admin");
    assert_eq!(login_page.status, 200);
    assert!(login_page.body.contains("id=\"password\""));
    let wrong = web.post_form("/admin/login", &[("password", "guess")]);
    assert_eq!(wrong.status, 403);
    assert!(!wrong.headers.contains_key("set-cookie"));
    assert!(wrong.body.contains("Wrong password"));
    // Without a session, a form POST is refused even with some token.
    let r = web.post_form("/admin/password", &[("csrf", "00")]);
    assert_eq!(r.status, 403);
    web.login(ADMIN_PASSWORD);
    let csrf = web.csrf();
    assert_eq!(csrf.len(), 64);
    for fields in [vec![], vec![("csrf", "0".repeat(64))]] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = web.post_form("/admin/password", &f);
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("CSRF"), "{}", r.body);
    }
    // The right token from another site's page: refused by its Origin.
    let r = web.post_form_with(
        "/admin/password",
        &[("csrf", &csrf)],
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!serve.log().contains("one-time password #"));
    // Post/Redirect/Get: the password is on the next page, once.
    let r = web.post_form("/admin/password", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = web.get("/admin");
    assert!(
        page.body.contains("id=\"new-password-value\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Valid for one enrollment until"));
    let again = web.get("/admin");
    assert!(!again.body.contains("id=\"new-password-value\""));
    // The API: bearer token required.
    assert_eq!(web.api("GET", "pending", "wrong", None).status, 401);
    assert_eq!(web.api("GET", "pending", "", None).status, 401);
    // A session cookie is no API credential.
    let r = web.get("/admin/api/pending");
    assert_eq!(r.status, 401);

    // A hostile subject, queued, is shown escaped.
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let pw = new_password(&state, &[]);
    let name = escaped_cn("<script>alert(1)</script>\"'&");
    let (_, o) = enroll(&ca, &device, &csr(&device, &name, Some(&pw)));
    assert!(matches!(o, Outcome::Pending), "{o:?}");
    let page = web.get("/admin");
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(page.body.contains("&lt;script"), "{}", page.body);
    assert!(page.body.contains("&quot;&#39;&amp;"), "{}", page.body);
    assert!(
        page.headers["content-security-policy"].contains("default-src 'none'"),
        "{:?}",
        page.headers
    );
    // Signed out: the cookie no longer works.
    let r = web.post_form("/admin/logout", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let r = web.post_form("/admin/password", &[("csrf", &csrf)]);
    assert_eq!(r.status, 403);
}

/// `CN=value` with RFC 4514's special characters escaped.
fn escaped_cn(value: &str) -> String {
    let mut out = String::from("CN=");
    for c in value.chars() {
        if matches!(c, '"' | '<' | '>' | '+' | ',' | ';' | '\\' | '#' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `scep admin set-password` (from stdin) stores only a hash (0600) that the server's admin
/// listener accepts; the JSON API hands out a password that a device enrolls with, lists the
/// certificate and revokes it.
#[test]
fn set_password_and_the_json_api_from_password_to_revocation() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = TempDir::new("ndes-api");
    let state = tmp.join("state");
    fs::create_dir_all(&state).unwrap();
    let mut child = super::scep("admin")
        .arg("--state")
        .arg(&state)
        .arg("set-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{ADMIN_PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let hash_file = state.join("admin-password.hash");
    let stored = fs::read_to_string(&hash_file).unwrap();
    assert!(stored.starts_with("pbkdf2-sha256$"), "{stored}");
    assert!(!stored.contains(ADMIN_PASSWORD));
    let mode = fs::metadata(&hash_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Too short a password is refused.
    let out = super::scep("admin")
        .arg("--state")
        .arg(&state)
        .args(["set-password", "--password-file", "/dev/null"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let admin_addr = format!("127.0.0.1:{}", free_port());
    let serve = Serve::start(
        &state,
        &["--challenge-mode", "one-time", "--admin-addr", &admin_addr],
    );
    let admin_origin = format!("http://{admin_addr}");
    let mut web = AdminClient::new(&admin_origin);
    web.login(ADMIN_PASSWORD);

    let r = web.api(
        "POST",
        "passwords",
        ADMIN_PASSWORD,
        Some(r#"{"ttl":"10m","subject":"CN=api-*"}"#),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let pw = v["password"].as_str().unwrap().to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expires = v["expires_at"].as_i64().unwrap();
    assert!((now + 590..=now + 610).contains(&expires), "{v}");
    assert_eq!(v["subject_pattern"], "CN=api-*");

    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    issued(enroll(&ca, &device, &csr(&device, "CN=api-1", Some(&pw))).1);
    let list: serde_json::Value =
        serde_json::from_str(&web.api("GET", "passwords", ADMIN_PASSWORD, None).body).unwrap();
    assert_eq!(list[0]["status"], "used", "{list}");
    let certs: serde_json::Value =
        serde_json::from_str(&web.api("GET", "certificates", ADMIN_PASSWORD, None).body).unwrap();
    assert_eq!(certs[0]["subject"], "CN=api-1", "{certs}");
    assert!(certs[0]["revoked_at"].is_null());
    let body = format!(
        r#"{{"serial":"{}","reason":"keyCompromise"}}"#,
        certs[0]["serial_hex"].as_str().unwrap()
    );
    let r = web.api("POST", "certificates/revoke", ADMIN_PASSWORD, Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    let certs: serde_json::Value =
        serde_json::from_str(&web.api("GET", "certificates", ADMIN_PASSWORD, None).body).unwrap();
    assert!(certs[0]["revoked_at"].is_i64(), "{certs}");
    // And the page shows it revoked.
    assert!(web.get("/admin").body.contains("revoked 20"));

    // A key-generating light client spends a one-time password too.
    let r = web.api("POST", "passwords", ADMIN_PASSWORD, Some("{}"));
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let pw = v["password"].as_str().unwrap().to_owned();
    let device_port = AdminClient::new(&serve.origin());
    let form = [
        ("subject", "CN=light-1"),
        ("challenge", pw.as_str()),
        ("password", "p12-secret"),
    ];
    let first = device_port.post_form("/light", &form);
    assert_eq!(first.status, 200, "{}\n{}", first.body, serve.log());
    let again = device_port.post_form("/light", &form);
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(again.body.contains("challenge password not accepted"));
    assert!(serve.log().contains("one-time password already used"));
}

/// A light request that cannot be served (manual approval: a generated key cannot wait) is
/// answered 409 before its one-time password is looked at, so the password stays unspent and
/// a device can still enroll with it.
#[test]
fn light_request_refused_for_manual_approval_keeps_its_one_time_password() {
    let tmp = TempDir::new("ndes-light-409");
    let state = tmp.join("state");
    let serve = Serve::start(
        &state,
        &["--challenge-mode", "one-time", "--approval", "manual"],
    );
    let pw = new_password(&state, &[]);
    let device_port = AdminClient::new(&serve.origin());
    let form = [
        ("subject", "CN=light-409"),
        ("challenge", pw.as_str()),
        ("password", "p12-secret"),
    ];
    let r = device_port.post_form("/light", &form);
    assert_eq!(r.status, 409, "{}\n{}", r.body, serve.log());
    // The password still works: the device's request is accepted and queued.
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let (_, outcome) = enroll(&ca, &device, &csr(&device, "CN=after-409", Some(&pw)));
    assert!(
        matches!(outcome, Outcome::Pending),
        "{outcome:?}\n{}",
        serve.log()
    );
}
