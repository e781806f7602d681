//! `scep serve` as a process: its store (SQLite here, PostgreSQL in `serve/postgres.rs`), a
//! `kill -9` in the middle of a pending transaction, slow clients, graceful shutdown, the
//! operator commands, the CRL. Devices are the library's client with test keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable
)]

use core::time::Duration;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use scep::client::Outcome;

#[path = "serve/browser.rs"]
mod browser;
#[path = "serve/device.rs"]
mod device;
#[path = "serve/ndes.rs"]
mod ndes;
#[allow(
    dead_code,
    unused_imports,
    reason = "the harness serves every interop module; not all use all of it"
)]
#[path = "../../tests/interop/peers.rs"]
mod peers;
#[path = "serve/postgres.rs"]
mod postgres;

use device::{Ca, csr, enroll, issued, key, poll};
use peers::{ChildGuard, TempDir, free_port, wait_for_http};

const CHALLENGE: &str = "s3cret";

/// `scep SUBCOMMAND`.
fn scep(subcommand: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scep"));
    cmd.arg(subcommand);
    cmd
}

/// A `scep serve` process on a free port (or `port`), its log in the state directory.
struct Serve {
    child: ChildGuard,
    port: u16,
    state: PathBuf,
    log: PathBuf,
}

impl Serve {
    fn start(state: &Path, args: &[&str]) -> Serve {
        Serve::start_on(free_port(), state, args)
    }

    fn start_on(port: u16, state: &Path, args: &[&str]) -> Serve {
        fs::create_dir_all(state).unwrap();
        let log = state.join(format!("serve-{port}-{}.log", std::process::id()));
        let log_file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut cmd = scep("serve");
        cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--state"])
            .arg(state)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        let child = ChildGuard::spawn("scep serve", &mut cmd).unwrap();
        let serve = Serve {
            child,
            port,
            state: state.to_owned(),
            log,
        };
        if let Err(e) = wait_for_http(&format!("{}/scep", serve.origin()), Duration::from_secs(30))
        {
            panic!("scep serve did not start: {e}\n{}", serve.log());
        }
        serve
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn ca_cert(&self) -> PathBuf {
        self.state.join("ca.cert.pem")
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM; the exit status within `timeout`.
    fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        self.child.wait_timeout(timeout).unwrap()
    }
}

/// `scep admin --state DIR ARGS...`.
fn admin(state: &Path, args: &[&str]) -> Output {
    scep("admin")
        .arg("--state")
        .arg(state)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The serial of a certificate as `scep admin` takes it.
fn serial_of(cert: &scep::Certificate) -> String {
    let hex: String = cert
        .serial_number()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("0x{hex}")
}

// ---------------------------------------------------------------------------------------------

/// A transaction left PENDING survives `kill -9`: after a restart the operator approves it,
/// a CertPoll signed by another key is refused, the device's own poll gets the certificate, and
/// the SQLite file passes `PRAGMA integrity_check`.
#[test]
fn pending_survives_kill_9_and_only_the_requesting_key_may_poll() {
    let tmp = TempDir::new("serve-kill9");
    let state = tmp.join("state");
    let args = ["--challenge", CHALLENGE, "--pending", "--approve", "manual"];
    let mut serve = Serve::start(&state, &args);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let request = csr(&device, "CN=kill9-device", Some(CHALLENGE));
    let (tx, outcome) = enroll(&ca, &device, &request);
    assert!(matches!(outcome, Outcome::Pending), "{outcome:?}");
    // Still pending on a poll: manual approval.
    assert!(matches!(poll(&ca, &tx, &device), Outcome::Pending));

    serve.child.kill(); // SIGKILL
    let port = serve.port;
    drop(serve);

    let list = admin(&state, &["list"]);
    assert!(list.status.success(), "{list:?}");
    let tx_id = tx.transaction_id().as_str().to_owned();
    assert!(
        stdout(&list).contains(&format!("pending {tx_id}")),
        "{}",
        stdout(&list)
    );
    let approve = admin(&state, &["approve", &tx_id]);
    assert!(approve.status.success(), "{approve:?}");
    // A second decision finds nothing pending.
    assert!(!admin(&state, &["reject", &tx_id]).status.success());

    let serve = Serve::start_on(port, &state, &args);
    // The same transaction ID polled with another key: refused, nothing issued.
    let intruder = key("rsa2048");
    match poll(&ca, &tx, &intruder) {
        Outcome::Rejected { .. } => {}
        other => panic!(
            "a poll signed by another key got {other:?}\n{}",
            serve.log()
        ),
    }
    let cert = issued(poll(&ca, &tx, &device));
    assert_eq!(cert.subject().to_string(), "CN=kill9-device");
    // Polled again: the same certificate.
    let again = issued(poll(&ca, &tx, &device));
    assert_eq!(again.as_der(), cert.as_der());
    drop(serve);

    let db = rusqlite::Connection::open(state.join("scep.sqlite3")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let journal: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let n: i64 = db
        .query_row("SELECT count(*) FROM certificates", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    // The static challenge, a shared secret, is not in the stored CSR (nor anywhere else).
    drop(db);
    for file in ["scep.sqlite3", "scep.sqlite3-wal"] {
        let bytes = fs::read(state.join(file)).unwrap_or_default();
        assert!(
            !bytes
                .windows(CHALLENGE.len())
                .any(|w| w == CHALLENGE.as_bytes()),
            "the challenge in clear in {file}"
        );
    }
}

/// `scep admin revoke` puts the serial (and reason) into the CRL GetCRL returns, which OpenSSL
/// verifies against the CA; GetCert finds the certificate by serial.
#[test]
fn revoked_serials_are_in_the_crl() {
    if !peers::require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("serve-crl");
    let state = tmp.join("state");
    let serve = Serve::start(&state, &["--challenge", CHALLENGE]);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let keep = issued(enroll(&ca, &device, &csr(&device, "CN=keep", Some(CHALLENGE))).1);
    let gone = issued(enroll(&ca, &device, &csr(&device, "CN=gone", Some(CHALLENGE))).1);
    assert_ne!(keep.serial_number(), gone.serial_number());
    let out = admin(
        &state,
        &["revoke", &serial_of(&gone), "--reason", "keyCompromise"],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(!admin(&state, &["revoke", "999999"]).status.success());

    let mut rng = getrandom::SysRng;
    let (req, tx) = ca
        .client
        .get_crl(
            scep::message::IssuerAndSerialNumber::for_certificate(&gone).unwrap(),
            &device,
            &mut rng,
        )
        .unwrap();
    let crl = match device::exchange(&ca, &req, &tx, &device) {
        Outcome::Crls(mut crls) => crls.remove(0),
        other => panic!("{other:?}"),
    };
    let crl_path = tmp.join("crl.der");
    fs::write(&crl_path, crl.as_der()).unwrap();
    let text = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-CAfile"])
        .arg(serve.ca_cert())
        .arg("-in")
        .arg(&crl_path)
        .output()
        .unwrap();
    let text_out = format!("{}{}", stdout(&text), String::from_utf8_lossy(&text.stderr));
    assert!(text.status.success(), "{text_out}");
    assert!(text_out.contains("verify OK"), "{text_out}");
    let gone_hex: String = gone
        .serial_number()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert!(
        text_out.contains(&gone_hex),
        "{gone_hex} not in\n{text_out}"
    );
    assert!(text_out.contains("Key Compromise"), "{text_out}");
    assert_eq!(text_out.matches("Serial Number:").count(), 1, "{text_out}");

    // GetCert by serial.
    let (req, tx) = ca
        .client
        .get_cert(
            scep::message::IssuerAndSerialNumber::for_certificate(&keep).unwrap(),
            &device,
            &mut rng,
        )
        .unwrap();
    match device::exchange(&ca, &req, &tx, &device) {
        Outcome::Certificates(certs) => assert_eq!(certs[0].as_der(), keep.as_der()),
        other => panic!("{other:?}"),
    }
}

/// Replies are signed with the request's digest: a SHA-1 request gets a SHA-1 CertRep (read
/// back with `scep inspect`), a SHA-512 one a SHA-512 CertRep.
#[test]
fn replies_are_signed_with_the_requests_digest() {
    use scep::crypto::DigestAlgorithm;
    let tmp = TempDir::new("serve-digest");
    let serve = Serve::start(&tmp.join("state"), &[]);
    for (digest, name) in [
        (DigestAlgorithm::Sha1, "sha1"),
        (DigestAlgorithm::Sha512, "sha512"),
    ] {
        let ca = Ca::new(&serve.origin(), &serve.ca_cert(), Some(digest));
        // The request's digest is its signer's.
        let device = key("client2048")
            .with_signature_algorithm(scep::crypto::SignatureAlgorithm::RsaPkcs1v15(digest));
        let mut rng = getrandom::SysRng;
        let (req, tx) = ca
            .client
            .enroll(&csr(&device, "CN=digest", None), &device, &mut rng)
            .unwrap();
        let reply = device::send_full(&ca.origin, &req);
        let body = reply.body.clone();
        issued(
            ca.client
                .handle(
                    &tx,
                    reply.status,
                    reply.content_type.as_deref(),
                    &reply.body,
                    &device,
                    device::now(),
                    &mut rng,
                )
                .unwrap(),
        );
        let reply = tmp.join(format!("reply-{name}.der"));
        fs::write(&reply, &body).unwrap();
        let out = scep("inspect").arg("--json").arg(&reply).output().unwrap();
        let json = stdout(&out);
        let digest_field = json
            .split("\"digest_algorithm\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no digest in {json}"));
        assert!(
            digest_field
                .chars()
                .take(40)
                .collect::<String>()
                .to_ascii_lowercase()
                .replace('-', "")
                .contains(name),
            "{name}: {json}"
        );
    }
}

/// Open `n` connections that send a request head one byte a second.
fn slow_clients(origin_port: u16, n: usize) -> Vec<std::thread::JoinHandle<Option<Duration>>> {
    (0..n)
        .map(|_| {
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut s = TcpStream::connect(("127.0.0.1", origin_port)).ok()?;
                s.set_read_timeout(Some(Duration::from_millis(200))).ok()?;
                let head = b"GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                let mut buf = [0u8; 256];
                for b in head.iter().chain(std::iter::repeat(&b'a')) {
                    if s.write_all(&[*b]).is_err() {
                        return Some(start.elapsed());
                    }
                    match s.read(&mut buf) {
                        Ok(0) => return Some(start.elapsed()),
                        Ok(_) => return Some(start.elapsed()),
                        Err(e)
                            if e.kind() == std::io::ErrorKind::WouldBlock
                                || e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return Some(start.elapsed()),
                    }
                    std::thread::sleep(Duration::from_millis(800));
                    if start.elapsed() > Duration::from_secs(30) {
                        return None;
                    }
                }
                None
            })
        })
        .collect()
}

/// Slow-loris: 50 clients sending their request head at one byte a second do not delay
/// another client's enrollment by the read timeout, and are cut off after it.
#[test]
fn slow_clients_do_not_stall_an_enrollment() {
    let tmp = TempDir::new("serve-slow");
    let read_timeout = Duration::from_secs(4);
    let serve = Serve::start(&tmp.join("state"), &["--read-timeout", "4"]);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let request = csr(&device, "CN=fast", None);
    let slow = slow_clients(serve.port, 50);
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    issued(enroll(&ca, &device, &request).1);
    let took = start.elapsed();
    assert!(
        took < read_timeout,
        "an enrollment beside slow clients took {took:?} (read timeout {read_timeout:?})"
    );
    for h in slow {
        let cut = h.join().unwrap();
        let cut = cut.unwrap_or_else(|| panic!("a slow client was never cut off"));
        assert!(
            cut < read_timeout + Duration::from_secs(5),
            "a slow client was cut off only after {cut:?}"
        );
    }
}

/// SIGTERM while a request body is on its way: the request is answered, then the server exits
/// with status 0; new connections are refused.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let tmp = TempDir::new("serve-term");
    let mut serve = Serve::start(&tmp.join("state"), &[]);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let mut rng = getrandom::SysRng;
    let (req, tx) = ca
        .client
        .enroll(&csr(&device, "CN=in-flight", None), &device, &mut rng)
        .unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-pki-message\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        req.path_and_query,
        req.body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let (first, rest) = req.body.split_at(req.body.len() / 2);
    s.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let ok = Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::thread::sleep(Duration::from_millis(500));
    s.write_all(rest).unwrap();
    let mut reply = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.read_to_end(&mut reply).unwrap();
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no reply head: {}", String::from_utf8_lossy(&reply)));
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{}", serve.log());
    let body = &reply[split + 4..];
    issued(
        ca.client
            .handle(
                &tx,
                200,
                Some("application/x-pki-message"),
                body,
                &device,
                device::now(),
                &mut rng,
            )
            .unwrap(),
    );
    let status = serve.terminate(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        serve.log()
    );
    assert!(TcpStream::connect(("127.0.0.1", serve.port)).is_err());
}

/// The CA key is never overwritten: a state directory whose key file is a symbolic link (to
/// nowhere) is refused rather than written through.
#[test]
fn the_ca_key_is_not_created_through_a_symlink() {
    let tmp = TempDir::new("serve-symlink");
    let state = tmp.join("state");
    fs::create_dir_all(&state).unwrap();
    let target = tmp.join("elsewhere.pem");
    std::os::unix::fs::symlink(&target, state.join("ca.key.pem")).unwrap();
    let out = scep("serve")
        .args(["--addr", &format!("127.0.0.1:{}", free_port()), "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!target.exists(), "the key was written through the link");
    // A normal start leaves a 0600 key that a second start reuses.
    let state2 = tmp.join("state2");
    let serve = Serve::start(&state2, &[]);
    let first = fs::read(state2.join("ca.key.pem")).unwrap();
    drop(serve);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs::metadata(state2.join("ca.key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let serve = Serve::start(&state2, &[]);
    assert_eq!(fs::read(state2.join("ca.key.pem")).unwrap(), first);
    drop(serve);
}

/// The challenge from `--challenge-file` and from `SCEP_CHALLENGE`.
#[test]
fn the_challenge_comes_from_a_file_or_the_environment() {
    let tmp = TempDir::new("serve-secret");
    let file = tmp.join("challenge");
    fs::write(&file, "from-a-file\n").unwrap();
    let serve = Serve::start(
        &tmp.join("state"),
        &["--challenge-file", file.to_str().unwrap()],
    );
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    issued(enroll(&ca, &device, &csr(&device, "CN=f", Some("from-a-file"))).1);
    assert!(matches!(
        enroll(&ca, &device, &csr(&device, "CN=f", Some("wrong"))).1,
        Outcome::Rejected { .. }
    ));
    assert!(!serve.log().contains("from-a-file"));
    drop(serve);

    let state = tmp.join("state-env");
    fs::create_dir_all(&state).unwrap();
    let port = free_port();
    let mut cmd = scep("serve");
    cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--state"])
        .arg(&state)
        .env("SCEP_CHALLENGE", "from-the-env")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _child = ChildGuard::spawn("scep serve", &mut cmd).unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    wait_for_http(&format!("{origin}/scep"), Duration::from_secs(30)).unwrap();
    let ca = Ca::new(&origin, &state.join("ca.cert.pem"), None);
    issued(enroll(&ca, &device, &csr(&device, "CN=e", Some("from-the-env"))).1);
    assert!(matches!(
        enroll(&ca, &device, &csr(&device, "CN=e", None)).1,
        Outcome::Rejected { .. }
    ));
}

/// `scep proxy` in front of `scep serve --pending --approve manual`: a CertPoll for the
/// device's pending transaction signed by another key is refused (and not relayed); the
/// device's own polls get PENDING, then the certificate once the CA's operator approved. The
/// pending files are private (0600 in a 0700 directory). Without `--challenge` the light
/// endpoint is off (403).
#[test]
fn the_proxy_answers_polls_only_for_the_requesting_key() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = TempDir::new("proxy-owner");
    let ca_state = tmp.join("ca");
    let upstream = Serve::start(&ca_state, &["--pending", "--approve", "manual"]);
    let start_proxy = |challenge: Option<&str>| {
        let port = free_port();
        let state = tmp.join(format!("proxy-{port}"));
        fs::create_dir_all(&state).unwrap();
        let log = fs::File::create(state.join("proxy.log")).unwrap();
        let mut cmd = scep("proxy");
        cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--upstream"])
            .arg(format!("{}/scep", upstream.origin()))
            .arg("--upstream-ca")
            .arg(upstream.ca_cert())
            .arg("--state")
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(c) = challenge {
            cmd.env("SCEP_CHALLENGE", c);
        }
        let child = ChildGuard::spawn("scep proxy", &mut cmd).unwrap();
        let origin = format!("http://127.0.0.1:{port}");
        wait_for_http(&format!("{origin}/scep"), Duration::from_secs(60)).unwrap();
        (child, origin, state)
    };
    let (_proxy, origin, state) = start_proxy(Some(CHALLENGE));
    let ra = Ca::from_get_ca_cert(&origin);
    let device = key("client2048");
    let (tx, outcome) = enroll(&ra, &device, &csr(&device, "CN=behind-ra", Some(CHALLENGE)));
    assert!(matches!(outcome, Outcome::Pending), "{outcome:?}");
    let pending = state.join("pending");
    assert_eq!(
        fs::metadata(&pending).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for entry in fs::read_dir(&pending).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let upstream_polls = |log: &str| log.matches("CertPoll").count();
    let before = upstream_polls(&upstream.log());
    match poll(&ra, &tx, &key("rsa2048")) {
        Outcome::Rejected { .. } => {}
        other => panic!("a poll signed by another key got {other:?}"),
    }
    assert_eq!(upstream_polls(&upstream.log()), before, "relayed anyway");
    assert!(matches!(poll(&ra, &tx, &device), Outcome::Pending));
    // Approve upstream: its only open transaction is the RA's relay of this request.
    let list = stdout(&admin(&ca_state, &["list"]));
    let upstream_tx = list
        .lines()
        .find_map(|l| l.trim().strip_prefix("pending "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no pending transaction upstream:\n{list}"))
        .to_owned();
    assert!(
        admin(&ca_state, &["approve", &upstream_tx])
            .status
            .success()
    );
    let cert = issued(poll(&ra, &tx, &device));
    assert_eq!(cert.subject().to_string(), "CN=behind-ra");

    // The light endpoint without a configured challenge.
    let (_proxy2, origin2, _) = start_proxy(None);
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let r = agent
        .post(&format!("{origin2}/light"))
        .header("X-SCEP-Challenge", "anything")
        .send(csr(&device, "CN=light", None).as_der())
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

/// The RA proxy pins its upstream: without an anchor it refuses to start; with the wrong
/// fingerprint it refuses the upstream; with the right one (of the CA certificate) it serves,
/// and devices see the RA certificate and the pinned CA.
#[test]
fn the_proxy_pins_its_upstream() {
    let tmp = TempDir::new("proxy-pin");
    let upstream = Serve::start(&tmp.join("ca"), &[]);
    let url = format!("{}/scep", upstream.origin());
    let port = free_port();
    let run = |extra: &[&str]| {
        scep("proxy")
            .args(["--addr", &format!("127.0.0.1:{port}"), "--upstream", &url])
            .arg("--state")
            .arg(tmp.join("proxy"))
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let none = run(&[]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("--upstream-fingerprint"));
    let wrong = run(&["--upstream-fingerprint", &"ab".repeat(32)]);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("pinned fingerprint"),
        "{wrong:?}"
    );

    let ca = scep::Certificate::from_pem(&fs::read(upstream.ca_cert()).unwrap()).unwrap();
    let fp = scep::ca_certs::fingerprint(
        &ca,
        scep::crypto::DigestAlgorithm::Sha256,
        &scep::provider::rustcrypto::PROVIDER,
    )
    .unwrap();
    let hex: String = fp.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let state = tmp.join("proxy");
    let mut cmd = scep("proxy");
    cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--upstream", &url])
        .args(["--upstream-fingerprint", &hex])
        .arg("--state")
        .arg(&state)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _proxy = ChildGuard::spawn("scep proxy", &mut cmd).unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    wait_for_http(&format!("{origin}/scep"), Duration::from_secs(60)).unwrap();
    let ra = Ca::from_get_ca_cert(&origin);
    let device = key("client2048");
    let cert = issued(enroll(&ra, &device, &csr(&device, "CN=pinned", None)).1);
    cert.verify_issued_by(&ca, &scep::provider::rustcrypto::PROVIDER)
        .unwrap();
}

/// `scep enroll --ca-fingerprint` pins the CA: the right SHA-256 enrolls, another one is
/// refused before anything is sent.
#[test]
fn enroll_pins_the_ca_by_fingerprint() {
    let tmp = TempDir::new("enroll-pin");
    let serve = Serve::start(&tmp.join("state"), &[]);
    let ca = scep::Certificate::from_pem(&fs::read(serve.ca_cert()).unwrap()).unwrap();
    let fp = scep::ca_certs::fingerprint(
        &ca,
        scep::crypto::DigestAlgorithm::Sha256,
        &scep::provider::rustcrypto::PROVIDER,
    )
    .unwrap();
    let hex: String = fp.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let url = format!("{}/scep", serve.origin());
    let enroll = |fingerprint: &str, out: &str| {
        scep("enroll")
            .args(["--url", &url, "--ca-fingerprint", fingerprint, "--out"])
            .arg(tmp.join(out))
            .output()
            .unwrap()
    };
    let good = enroll(&hex, "good");
    assert!(good.status.success(), "{good:?}");
    let bad = enroll(&"00".repeat(32), "bad");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("pinned fingerprint"),
        "{bad:?}"
    );
    assert_eq!(serve.log().matches("PKIOperation").count(), 1);
}

/// A renewal (no challenge) signed by a certificate this CA issued goes through; once that
/// certificate is revoked (`scep admin revoke`), the same renewal is refused.
#[test]
fn a_revoked_certificate_cannot_renew() {
    let tmp = TempDir::new("serve-renew");
    let state = tmp.join("state");
    let serve = Serve::start(&state, &["--challenge", CHALLENGE]);
    let ca = Ca::new(&serve.origin(), &serve.ca_cert(), None);
    let device = key("client2048");
    let cert = issued(enroll(&ca, &device, &csr(&device, "CN=renewer", Some(CHALLENGE))).1);
    let holder =
        scep::provider::rustcrypto::RsaKey::new(device.private_key().clone(), cert.clone())
            .unwrap();
    let renew = |signer: &scep::provider::rustcrypto::RsaKey| {
        let mut rng = getrandom::SysRng;
        let (req, tx) = ca
            .client
            .renew(&csr(&device, "CN=renewer", None), signer, &mut rng)
            .unwrap();
        device::exchange(&ca, &req, &tx, signer)
    };
    issued(renew(&holder));
    let out = admin(&state, &["revoke", &serial_of(&cert)]);
    assert!(out.status.success(), "{out:?}");
    match renew(&holder) {
        Outcome::Rejected { .. } => {}
        other => panic!("a renewal signed by a revoked certificate got {other:?}"),
    }
    assert!(
        serve.log().contains("issued-by-ca-revoked"),
        "{}",
        serve.log()
    );
}

/// Standard output closed before the help text is written (`scep serve --help | true`): the
/// command ends normally instead of panicking on the broken pipe.
#[test]
fn help_to_a_closed_pipe_does_not_panic() {
    for command in [
        &["--help"][..],
        &["serve", "--help"],
        &["inspect", "--help"],
        &["enroll", "--help"],
        &["proxy", "--help"],
        &["admin", "--help"],
        &["version"],
    ] {
        // A pipe whose read end is closed before the child writes: the child first sleeps
        // (a shell in front of it) so the close surely comes first.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("sleep 0.2; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_scep"))
            .args(command)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{command:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{command:?}: {stderr}");
    }
}
