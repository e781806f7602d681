//! The RA `scep proxy` over real HTTP on 127.0.0.1, between a device (our example
//! client, micromdm's `scepclient`, or `curl` on the light endpoint) and an upstream CA (our
//! example server or micromdm's `scepserver`).
//!
//! Each flow also shows what the RA keeps from the upstream: a request with a wrong device
//! challenge is refused at the proxy, and the upstream's log proves it never saw it. The
//! binaries come from [`examples_dir`] (see `examples.rs`); peers missing make a test fail
//! under `SCEP_REQUIRE_PEERS=1` and skip otherwise.

use core::time::Duration;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::examples::{
    ExampleServer, assert_issued, assert_verifies, elapsed, exit_code, pem_subject, run_client,
};
use crate::peers::{ChildGuard, TempDir, free_port, require_peer, run_bounded, wait_for_http};

const DEVICE_CHALLENGE: &str = "device-s3cret";
const UPSTREAM_CHALLENGE: &str = "upstream-s3cret";
/// Startup includes RSA key generation and, with `--upstream-challenge`, the RA's own
/// enrollment (polled while the upstream is PENDING).
const PROXY_START_TIMEOUT: Duration = Duration::from_secs(60);
const CURL_TIMEOUT: Duration = Duration::from_secs(60);

/// `scep proxy` on a free port of 127.0.0.1; killed on drop.
struct Proxy {
    child: ChildGuard,
    port: u16,
    log: PathBuf,
}

impl Proxy {
    /// Starts the proxy in front of `upstream` with its state in `state` and the extra `args`.
    fn start(state: &Path, upstream: &str, upstream_ca: &Path, args: &[&str]) -> Proxy {
        fs::create_dir_all(state).unwrap();
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = state.join(format!("proxy-{port}.log"));
            let log_file = fs::File::create(&log).unwrap();
            let mut cmd = crate::examples::scep("proxy");
            cmd.args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--upstream",
                upstream,
            ])
            .arg("--upstream-ca")
            .arg(upstream_ca)
            .arg("--state")
            .arg(state)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
            let mut child = ChildGuard::spawn("example proxy", &mut cmd).unwrap();
            let url = format!("http://127.0.0.1:{port}/scep");
            match wait_for_http(&url, PROXY_START_TIMEOUT) {
                Ok(()) => return Proxy { child, port, log },
                Err(e) => {
                    child.kill();
                    last_error = format!("{e}; log: {}", fs::read_to_string(&log).unwrap());
                }
            }
        }
        panic!("example proxy did not start: {last_error}");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    fn light_url(&self) -> String {
        format!("http://127.0.0.1:{}/light", self.port)
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn stop(mut self) {
        self.child.kill();
    }
}

/// A new key and a PEM CSR for `cn` (`openssl req`), in `dir`.
fn openssl_csr(dir: &Path, cn: &str) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let csr = dir.join(format!("{cn}.csr.pem"));
    let out = Command::new("openssl")
        .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj"])
        .arg(format!("/CN={cn}"))
        .arg("-keyout")
        .arg(dir.join(format!("{cn}.key.pem")))
        .arg("-out")
        .arg(&csr)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    csr
}

/// What `curl` got from `POST /light`.
struct LightReply {
    status: u16,
    headers: String,
    body: PathBuf,
}

/// `curl --data-binary @CSR [-H 'X-SCEP-Challenge: C'] URL`; the reply's body goes to
/// `NAME.body`, its headers to `NAME.headers`.
fn curl_light(url: &str, csr: &Path, challenge: Option<&str>, name: &Path) -> LightReply {
    let out = name.with_extension("body");
    let headers = name.with_extension("headers");
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "50", "-o"])
        .arg(&out)
        .arg("-D")
        .arg(&headers)
        .args([
            "-w",
            "%{http_code}",
            "-H",
            "Content-Type: application/pkcs10",
        ])
        .arg("--data-binary")
        .arg(format!("@{}", csr.display()));
    if let Some(c) = challenge {
        cmd.args(["-H", &format!("X-SCEP-Challenge: {c}")]);
    }
    cmd.arg(url);
    let run = run_bounded("curl", &mut cmd, &name.with_extension("curl"), CURL_TIMEOUT).unwrap();
    assert!(
        run.status.is_some_and(|s| s.success()),
        "curl failed: {}",
        run.stderr
    );
    LightReply {
        status: run.stdout.trim().parse().unwrap(),
        headers: fs::read_to_string(&headers).unwrap_or_default(),
        body: out,
    }
}

fn pem_count(path: &Path) -> usize {
    fs::read_to_string(path)
        .unwrap_or_default()
        .matches("-----BEGIN CERTIFICATE-----")
        .count()
}

// ---------------------------------------------------------------------------------------------
// Our client -> proxy -> our server (PENDING upstream)

#[test]
fn example_client_enrolls_through_proxy_with_a_pending_upstream() {
    if !require_peer("openssl") {
        return;
    }
    let start = Instant::now();
    let tmp = TempDir::new("px-pending");
    let upstream = ExampleServer::start(
        &tmp.join("upstream"),
        &["--pending", "--challenge", UPSTREAM_CHALLENGE],
    );
    let proxy = Proxy::start(
        &tmp.join("proxy"),
        &upstream.url(),
        &upstream.ca_cert(),
        &[
            "--upstream-challenge",
            UPSTREAM_CHALLENGE,
            "--challenge",
            DEVICE_CHALLENGE,
        ],
    );
    // The RA enrolled its own key first (PENDING, then polled to SUCCESS).
    let lines = upstream.pki_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("PkcsReq") && lines[0].ends_with("-> PENDING"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("CertPoll") && lines[1].contains("subject CN=scep example RA"),
        "{lines:?}"
    );
    assert!(tmp.join("proxy").join("ra.upstream.cert.pem").is_file());

    let dir = tmp.join("device");
    let out = run_client(
        &proxy.url(),
        &dir,
        &[
            "--challenge",
            DEVICE_CHALLENGE,
            "--subject",
            "CN=proxied-device,O=scep tests",
            "--poll-interval",
            "1",
            "--max-polls",
            "5",
        ],
    );
    assert_issued(&out, &format!("{}\n{}", proxy.log(), upstream.log()));
    // Devices encrypt to the RA certificate, not to the upstream CA.
    assert!(
        out.stderr.contains("encrypting to CN=scep example RA"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("PENDING; polling in 1 s (1/5)"),
        "{}",
        out.stderr
    );
    let cert = dir.join("cert.pem");
    assert_verifies(&upstream.ca_cert(), &cert);
    assert_eq!(pem_subject(&cert), "subject=CN=proxied-device,O=scep tests");
    // Upstream: the device's PKCSReq signed by the RA's upstream-issued certificate (so no
    // challenge needed there), PENDING, then the RA's own CertPoll, same transaction.
    let lines = upstream.pki_lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[2].contains("PkcsReq")
            && lines[2].contains("signer=issued-by-ca")
            && lines[2].ends_with("-> PENDING"),
        "{lines:?}"
    );
    assert!(
        lines[3].contains("CertPoll")
            && lines[3].contains("-> SUCCESS")
            && lines[3].contains("CN=proxied-device"),
        "{lines:?}"
    );
    let log = proxy.log();
    assert!(log.contains("-> PENDING (upstream PENDING)"), "{log}");
    assert!(
        log.contains("CertPoll") && log.contains("-> SUCCESS: serial"),
        "{log}"
    );

    // A wrong and a missing device challenge: FAILURE badRequest from the proxy, and the
    // upstream never sees the request.
    for (name, args) in [
        ("wrong", &["--challenge", "wrong"][..]),
        ("missing", &[][..]),
    ] {
        let out = run_client(&proxy.url(), &tmp.join(name), args);
        assert_eq!(exit_code(&out), Some(2), "{}", out.stderr);
        assert!(
            out.stderr.contains("FAILURE: failInfo badRequest (2)"),
            "{}",
            out.stderr
        );
        assert!(!tmp.join(name).join("cert.pem").exists());
    }
    assert_eq!(upstream.pki_lines().len(), 4, "{}", upstream.log());
    let log = proxy.log();
    assert!(
        log.contains("-> FAILURE badRequest (wrong challenge password)")
            && log.contains("-> FAILURE badRequest (missing challenge password)"),
        "{log}"
    );
    elapsed(start, "client -> proxy -> pending server");
}

// ---------------------------------------------------------------------------------------------
// curl -> proxy /light -> our server (PENDING upstream), across a proxy restart

#[test]
fn light_client_gets_202_then_the_chain_across_a_proxy_restart() {
    if !require_peer("openssl") || !require_peer("curl") {
        return;
    }
    let start = Instant::now();
    let tmp = TempDir::new("px-light-pending");
    let upstream = ExampleServer::start(
        &tmp.join("upstream"),
        &["--pending", "--challenge", UPSTREAM_CHALLENGE],
    );
    let args = [
        "--upstream-challenge",
        UPSTREAM_CHALLENGE,
        "--challenge",
        DEVICE_CHALLENGE,
    ];
    let state = tmp.join("proxy");
    let proxy = Proxy::start(&state, &upstream.url(), &upstream.ca_cert(), &args);
    let before = upstream.pki_lines().len();
    let csr = openssl_csr(&tmp.join("light"), "light-device");

    // Wrong or missing challenge: 403, upstream untouched.
    for (i, challenge) in [Some("wrong"), None].into_iter().enumerate() {
        let r = curl_light(
            &proxy.light_url(),
            &csr,
            challenge,
            &tmp.join(format!("denied-{i}")),
        );
        assert_eq!(r.status, 403, "{}", proxy.log());
    }
    // Not a CSR: 400.
    let junk = tmp.join("junk.der");
    fs::write(&junk, b"not a CSR").unwrap();
    let r = curl_light(
        &proxy.light_url(),
        &junk,
        Some(DEVICE_CHALLENGE),
        &tmp.join("junk"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(upstream.pki_lines().len(), before, "{}", upstream.log());

    // First POST: the upstream is PENDING, so 202 with Retry-After.
    let r = curl_light(
        &proxy.light_url(),
        &csr,
        Some(DEVICE_CHALLENGE),
        &tmp.join("first"),
    );
    assert_eq!(r.status, 202, "{}", proxy.log());
    assert!(
        r.headers.to_ascii_lowercase().contains("retry-after: 5"),
        "{}",
        r.headers
    );

    // The proxy restarts; the pending transaction survives in its state directory, and the RA
    // does not enroll itself again.
    proxy.stop();
    let proxy = Proxy::start(&state, &upstream.url(), &upstream.ca_cert(), &args);
    assert!(
        proxy.log().contains("still PENDING upstream: light "),
        "{}",
        proxy.log()
    );
    let r = curl_light(
        &proxy.light_url(),
        &csr,
        Some(DEVICE_CHALLENGE),
        &tmp.join("second"),
    );
    assert_eq!(r.status, 200, "{}", proxy.log());
    assert!(
        r.headers
            .to_ascii_lowercase()
            .contains("content-type: application/pem-certificate-chain"),
        "{}",
        r.headers
    );
    // The issued certificate first, then the upstream CA.
    assert_eq!(pem_count(&r.body), 2);
    assert_verifies(&upstream.ca_cert(), &r.body);
    assert_eq!(pem_subject(&r.body), "subject=CN=light-device");
    let lines = upstream.pki_lines();
    assert_eq!(lines.len(), before + 2, "{lines:?}");
    assert!(
        lines[before].contains("PkcsReq") && lines[before].ends_with("-> PENDING"),
        "{lines:?}"
    );
    assert!(
        lines[before + 1].contains("CertPoll") && lines[before + 1].contains("CN=light-device"),
        "{lines:?}"
    );
    elapsed(start, "curl -> proxy /light -> pending server");
}

// ---------------------------------------------------------------------------------------------
// micromdm's scepclient and curl -> proxy -> micromdm's scepserver (single DES both ways)

#[cfg(feature = "insecure-legacy")]
mod legacy {
    use super::*;
    use crate::peers::{MICROMDM_PEERS, MicromdmServer, micromdm_client_enroll, require_peers};

    /// PKIOperations scepserver has handled so far.
    fn pki_operations(server: &MicromdmServer) -> usize {
        server.log().matches("op=PKIOperation").count()
    }

    #[test]
    fn scepclient_enrolls_through_proxy_to_scepserver() {
        if !require_peers(&MICROMDM_PEERS) || !require_peer("openssl") {
            return;
        }
        let start = Instant::now();
        let tmp = TempDir::new("px-mm");
        // No -challenge: scepserver checks only the CSR's challenge; the RA is the gate.
        let server = MicromdmServer::start(&tmp.join("depot"), None, 0);
        let proxy = Proxy::start(
            &tmp.join("proxy"),
            &server.url(),
            &server.ca_cert_path(),
            &["--insecure-legacy", "--challenge", DEVICE_CHALLENGE],
        );
        let issued = micromdm_client_enroll(
            &proxy.url(),
            &tmp.join("client"),
            "mm-proxied",
            Some(DEVICE_CHALLENGE),
        )
        .unwrap_or_else(|e| panic!("{e}\nproxy log:\n{}\n{}", proxy.log(), server.log()));
        assert_verifies(&server.ca_cert_path(), &issued.cert);
        assert!(
            pem_subject(&issued.cert).starts_with("subject=CN=mm-proxied,"),
            "{}",
            pem_subject(&issued.cert)
        );
        assert_eq!(pki_operations(&server), 1, "{}", server.log());
        let log = proxy.log();
        assert!(
            log.contains("PKIOperation PkcsReq") && log.contains("-> SUCCESS: serial"),
            "{log}"
        );

        // A wrong challenge: badRequest from the proxy, nothing reaches scepserver.
        let refused = micromdm_client_enroll(
            &proxy.url(),
            &tmp.join("client-bad"),
            "mm-bad",
            Some("wrong"),
        )
        .unwrap_err();
        assert_eq!(refused.fail_info(), Some("badRequest"), "{refused}");
        assert!(!tmp.join("client-bad").join("cert.pem").exists());
        assert_eq!(pki_operations(&server), 1, "{}", server.log());
        elapsed(start, "scepclient -> proxy -> scepserver");
    }

    #[test]
    fn light_client_enrolls_through_proxy_to_scepserver() {
        if !require_peers(&MICROMDM_PEERS) || !require_peer("openssl") || !require_peer("curl") {
            return;
        }
        let start = Instant::now();
        let tmp = TempDir::new("px-mm-light");
        let server = MicromdmServer::start(&tmp.join("depot"), None, 0);
        let proxy = Proxy::start(
            &tmp.join("proxy"),
            &server.url(),
            &server.ca_cert_path(),
            &["--insecure-legacy", "--challenge", DEVICE_CHALLENGE],
        );
        let csr = openssl_csr(&tmp.join("light"), "light-mm");

        let r = curl_light(&proxy.light_url(), &csr, Some("wrong"), &tmp.join("denied"));
        assert_eq!(r.status, 403);
        assert_eq!(pki_operations(&server), 0, "{}", server.log());

        // scepserver never pends: 200 at once.
        let r = curl_light(
            &proxy.light_url(),
            &csr,
            Some(DEVICE_CHALLENGE),
            &tmp.join("issued"),
        );
        assert_eq!(r.status, 200, "{}\n{}", proxy.log(), server.log());
        assert_verifies(&server.ca_cert_path(), &r.body);
        assert_eq!(pem_subject(&r.body), "subject=CN=light-mm");
        assert_eq!(
            pem_count(&r.body),
            2,
            "issued certificate and scepserver's CA"
        );
        assert_eq!(pki_operations(&server), 1, "{}", server.log());
        elapsed(start, "curl -> proxy /light -> scepserver");
    }
}
