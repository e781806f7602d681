//! `scep serve` and `scep enroll` over real HTTP on 127.0.0.1
//! against each other, against micromdm's `scepclient` and `scepserver`, and with certmonger.
//! (The RA `scep proxy` is tested in `proxy.rs`, with the helpers from here.)
//!
//! `cargo test -p scep-cli` builds the `scep` binary with the features of the test run; the
//! micromdm flows need the `insecure-legacy` feature (`scepclient` only speaks single DES;
//! `scepserver` only answers with it), so they exist only in `cargo test --all-features`.
//!
//! Every process is a [`ChildGuard`] (killed on drop) with a bounded wait; every file lives in
//! a [`TempDir`].

use core::time::Duration;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::peers::{
    CERTMONGER_PEERS, CertmongerRequest, ChildGuard, RunOutput, SERVER_START_TIMEOUT, TempDir,
    certmonger_enroll_with, free_port, require_peer, require_peers, run_bounded, wait_for_http,
};

const CHALLENGE: &str = "s3cret";
const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);
const CERTMONGER_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The binary

/// `scep SUBCOMMAND`, the binary cargo built for this test run (with its features).
pub(crate) fn scep(subcommand: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scep"));
    cmd.arg(subcommand);
    cmd
}

// ---------------------------------------------------------------------------------------------
// The example server

/// `scep serve` on a free port of 127.0.0.1; killed on drop.
pub(crate) struct ExampleServer {
    _child: ChildGuard,
    port: u16,
    state: PathBuf,
    log: PathBuf,
}

impl ExampleServer {
    /// Starts the server with its state in `state` and the extra `args`.
    pub(crate) fn start(state: &Path, args: &[&str]) -> ExampleServer {
        fs::create_dir_all(state).unwrap();
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = state.join(format!("server-{port}.log"));
            let log_file = fs::File::create(&log).unwrap();
            let mut cmd = scep("serve");
            cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--state"])
                .arg(state)
                .args(args)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file);
            let mut child = ChildGuard::spawn("example server", &mut cmd).unwrap();
            let url = format!("http://127.0.0.1:{port}/scep");
            match wait_for_http(&url, SERVER_START_TIMEOUT) {
                Ok(()) => {
                    return ExampleServer {
                        _child: child,
                        port,
                        state: state.to_owned(),
                        log,
                    };
                }
                Err(e) => {
                    child.kill();
                    last_error = format!("{e}; log: {}", fs::read_to_string(&log).unwrap());
                }
            }
        }
        panic!("example server did not start: {last_error}");
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    pub(crate) fn ca_cert(&self) -> PathBuf {
        self.state.join("ca.cert.pem")
    }

    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log lines of PKIOperations.
    pub(crate) fn pki_lines(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(" PKIOperation "))
            .map(server_line)
            .collect()
    }
}

/// A `scep serve` log line (`2026-…Z  INFO conn{peer=…}: POST /scep …`) as the example server
/// wrote it (`server: POST /scep …`), so that the checks read the request part alone.
pub(crate) fn server_line(line: &str) -> String {
    let message = line
        .split_once("}: ")
        .or_else(|| line.split_once(" INFO "))
        .map_or(line, |(_, m)| m);
    format!("server: {message}")
}

// ---------------------------------------------------------------------------------------------
// The example client and checks

/// Runs `scep enroll --url URL --out OUT ARGS...`; output in `OUT.client-N.{out,err}`.
pub(crate) fn run_client(url: &str, out: &Path, args: &[&str]) -> RunOutput {
    static RUNS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
    let n = RUNS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let mut cmd = scep("enroll");
    cmd.args(["--url", url, "--out"]).arg(out).args(args);
    let stem = out.with_extension(format!("client-{n}"));
    run_bounded("example client", &mut cmd, &stem, CLIENT_TIMEOUT).unwrap()
}

pub(crate) fn exit_code(out: &RunOutput) -> Option<i32> {
    out.status.and_then(|s| s.code())
}

#[track_caller]
pub(crate) fn assert_issued(out: &RunOutput, context: &str) {
    assert_eq!(
        exit_code(out),
        Some(0),
        "client failed\nstdout:\n{}\nstderr:\n{}\n{context}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.starts_with("issued: "), "{}", out.stdout);
}

/// `openssl verify -CAfile CA CERT` succeeds.
#[track_caller]
pub(crate) fn assert_verifies(ca: &Path, cert: &Path) {
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(ca)
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl verify {}: {}{}",
        cert.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn pem_subject(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub(crate) fn elapsed(start: Instant, what: &str) {
    println!("{what}: {:.1} s", start.elapsed().as_secs_f64());
}

/// The SHA-256 fingerprint OpenSSL prints for a PEM certificate (`AB:CD:...`).
pub(crate) fn openssl_fingerprint(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().rsplit('=').next().unwrap().to_owned()
}

/// `--ca-fingerprint` pins the CA (as OpenSSL prints its fingerprint): the client enrolls and
/// nothing was dropped; another CA's fingerprint stops it before any request is sent.
#[test]
fn example_client_pins_the_ca_by_fingerprint() {
    if !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ex-pin");
    let server = ExampleServer::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let fp = openssl_fingerprint(&server.ca_cert());
    let dir = tmp.join("device");
    let out = run_client(
        &server.url(),
        &dir,
        &["--challenge", CHALLENGE, "--ca-fingerprint", &fp],
    );
    assert_issued(&out, &server.log());
    assert_verifies(&server.ca_cert(), &dir.join("cert.pem"));
    assert!(!out.stderr.contains("dropped"), "{}", out.stderr);

    let other_ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/ra2048.cert.pem");
    let other = openssl_fingerprint(&other_ca);
    let out = run_client(
        &server.url(),
        &tmp.join("device2"),
        &["--challenge", CHALLENGE, "--ca-fingerprint", &other],
    );
    assert_eq!(exit_code(&out), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("has the pinned fingerprint"),
        "{}",
        out.stderr
    );
    assert_eq!(server.pki_lines().len(), 1, "no request after a failed pin");
}

// ---------------------------------------------------------------------------------------------
// Our client against our server

#[test]
fn example_client_and_server_post_get_and_every_cipher_and_digest() {
    if !require_peer("openssl") {
        return;
    }
    let start = Instant::now();
    let tmp = TempDir::new("ex-matrix");
    let server = ExampleServer::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let url = server.url();
    // (client arguments, method on the wire, cipher and digest the server saw)
    let cases: [(&[&str], &str, &str); 7] = [
        (&[], "POST", "alg=Aes128Cbc/Sha256"),
        (&["--get"], "GET", "alg=Aes128Cbc/Sha256"),
        (
            &["--cipher", "des3", "--digest", "sha1"],
            "POST",
            "alg=DesEde3Cbc/Sha1",
        ),
        (
            &["--get", "--cipher", "des3", "--digest", "sha256"],
            "GET",
            "alg=DesEde3Cbc/Sha256",
        ),
        (
            &["--cipher", "aes256", "--digest", "sha1"],
            "POST",
            "alg=Aes256Cbc/Sha1",
        ),
        (
            &["--cipher", "aes128", "--digest", "sha512"],
            "POST",
            "alg=Aes128Cbc/Sha512",
        ),
        // No GetCACaps keyword selects AES-192; only the policy's override does.
        (&["--cipher", "aes192"], "POST", "alg=Aes192Cbc/Sha256"),
    ];
    for (i, (args, method, alg)) in cases.iter().enumerate() {
        let out_dir = tmp.join(format!("device-{i}"));
        let subject = format!("CN=device-{i},O=scep tests");
        let mut all = vec!["--challenge", CHALLENGE, "--subject", &subject];
        all.extend_from_slice(args);
        let out = run_client(&url, &out_dir, &all);
        assert_issued(&out, &server.log());
        let cert = out_dir.join("cert.pem");
        assert_verifies(&server.ca_cert(), &cert);
        assert_eq!(
            pem_subject(&cert),
            format!("subject=CN=device-{i},O=scep tests")
        );
        assert!(out_dir.join("key.pem").is_file());
        assert_eq!(
            fs::read_to_string(out_dir.join("chain.pem")).unwrap(),
            fs::read_to_string(server.ca_cert()).unwrap()
        );
        let lines = server.pki_lines();
        let last = lines.last().unwrap();
        assert!(
            last.starts_with(&format!("server: {method} /scep PKIOperation PkcsReq")),
            "{args:?}: {last}"
        );
        assert!(last.contains(alg), "{args:?}: {last}");
        assert!(last.contains("-> SUCCESS"), "{last}");
    }
    assert_eq!(server.pki_lines().len(), cases.len());
    elapsed(start, "6 enrollments");
}

#[test]
fn example_client_uses_get_when_the_server_does_not_offer_post() {
    if !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ex-nopost");
    let server = ExampleServer::start(&tmp.join("state"), &["--no-post"]);
    let caps = crate::peers::http_get(
        &crate::peers::with_operation(&server.url(), "GetCACaps"),
        Duration::from_secs(5),
    )
    .unwrap();
    let caps = String::from_utf8_lossy(&caps.body).into_owned();
    assert!(
        !caps.contains("POSTPKIOperation") && !caps.contains("SCEPStandard"),
        "{caps}"
    );
    let out_dir = tmp.join("device");
    let out = run_client(&server.url(), &out_dir, &[]);
    assert_issued(&out, &server.log());
    assert_verifies(&server.ca_cert(), &out_dir.join("cert.pem"));
    let lines = server.pki_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    // Without SCEPStandard the client still picks AES (advertised) and SHA-256.
    assert!(
        lines[0].starts_with("server: GET /scep PKIOperation PkcsReq")
            && lines[0].contains("alg=Aes128Cbc/Sha256"),
        "{lines:?}"
    );
}

#[test]
fn example_client_polls_a_pending_example_server() {
    if !require_peer("openssl") {
        return;
    }
    let start = Instant::now();
    let tmp = TempDir::new("ex-pending");
    let server = ExampleServer::start(&tmp.join("state"), &["--pending", "--challenge", CHALLENGE]);
    let out_dir = tmp.join("device");
    let out = run_client(
        &server.url(),
        &out_dir,
        &[
            "--challenge",
            CHALLENGE,
            "--poll-interval",
            "1",
            "--max-polls",
            "3",
        ],
    );
    assert_issued(&out, &server.log());
    assert!(
        out.stderr.contains("PENDING; polling in 1 s (1/3)"),
        "{}",
        out.stderr
    );
    assert_verifies(&server.ca_cert(), &out_dir.join("cert.pem"));
    let lines = server.pki_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("PkcsReq") && lines[0].ends_with("-> PENDING"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("CertPoll") && lines[1].contains("-> SUCCESS"),
        "{lines:?}"
    );
    // Same transaction.
    let tx = |l: &str| {
        l.split("tx=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(tx(&lines[0]), tx(&lines[1]));

    // A client that gives up: PENDING and no polls allowed.
    let out = run_client(
        &server.url(),
        &tmp.join("impatient"),
        &["--challenge", CHALLENGE, "--max-polls", "0"],
    );
    assert_eq!(exit_code(&out), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("still PENDING"), "{}", out.stderr);
    elapsed(start, "pending flow");
}

#[test]
fn example_client_renews_and_fetches_its_certificate_and_the_crl() {
    if !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ex-renew");
    let server = ExampleServer::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let dir = tmp.join("device");
    let out = run_client(&server.url(), &dir, &["--challenge", CHALLENGE]);
    assert_issued(&out, &server.log());
    let first = fs::read_to_string(dir.join("cert.pem")).unwrap();
    let key = fs::read_to_string(dir.join("key.pem")).unwrap();

    // Renewal: no challenge, signed by the issued certificate, same key.
    let out = run_client(&server.url(), &dir, &["--renew"]);
    assert_issued(&out, &server.log());
    let second = fs::read_to_string(dir.join("cert.pem")).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        fs::read_to_string(dir.join("cert.previous.pem")).unwrap(),
        first
    );
    assert_eq!(fs::read_to_string(dir.join("key.pem")).unwrap(), key);
    assert_verifies(&server.ca_cert(), &dir.join("cert.pem"));
    let lines = server.pki_lines();
    assert!(
        lines[1].contains("RenewalReq") && lines[1].contains("signer=issued-by-ca"),
        "{lines:?}"
    );

    // GetCert for the first certificate (serial 02), GetCRL.
    let out = run_client(&server.url(), &dir, &["--get-cert", "02"]);
    assert_eq!(exit_code(&out), Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(fs::read_to_string(dir.join("cert-02.pem")).unwrap(), first);
    let out = run_client(&server.url(), &dir, &["--get-cert", "7f"]);
    assert_eq!(exit_code(&out), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("failInfo badCertId"), "{}", out.stderr);
    let out = run_client(&server.url(), &dir, &["--get-crl"]);
    assert_eq!(exit_code(&out), Some(0), "{}{}", out.stdout, out.stderr);
    let crl = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(dir.join("crl.der"))
        .arg("-CAfile")
        .arg(server.ca_cert())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&crl.stdout);
    let err = String::from_utf8_lossy(&crl.stderr);
    assert!(crl.status.success(), "{text}{err}");
    assert!(err.contains("verify OK"), "{err}");
    assert!(text.contains("No Revoked Certificates."), "{text}");
}

#[test]
fn example_server_rejects_a_wrong_challenge_from_example_client() {
    let tmp = TempDir::new("ex-reject");
    let server = ExampleServer::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let out = run_client(
        &server.url(),
        &tmp.join("device"),
        &["--challenge", "wrong"],
    );
    assert_eq!(exit_code(&out), Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("FAILURE: failInfo badRequest (2): wrong challenge password"),
        "{}",
        out.stderr
    );
    let out = run_client(&server.url(), &tmp.join("device2"), &[]);
    assert_eq!(exit_code(&out), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("missing challenge password"),
        "{}",
        out.stderr
    );
    assert!(!tmp.join("device").join("cert.pem").exists());
}

#[test]
fn example_server_serves_only_scep_paths() {
    let tmp = TempDir::new("ex-paths");
    let server = ExampleServer::start(&tmp.join("state"), &[]);
    let base = format!("http://127.0.0.1:{}", server.port);
    for path in [
        "/scep",
        "/cgi-bin/pkiclient.exe",
        "/certsrv/mscep/mscep.dll",
    ] {
        let r = crate::peers::http_get(
            &format!("{base}{path}?operation=GetCACert"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.content_type(), Some("application/x-x509-ca-cert"));
        assert_eq!(
            r.body,
            scep::Certificate::from_pem(&fs::read(server.ca_cert()).unwrap())
                .unwrap()
                .as_der()
        );
    }
    let get = |target: &str| {
        crate::peers::http_get(&format!("{base}{target}"), Duration::from_secs(5)).unwrap()
    };
    assert_eq!(get("/other?operation=GetCACert").status, 404);
    assert_eq!(get("/scep?operation=GetNextCACert").status, 404);
    assert_eq!(get("/scep?operation=Bogus").status, 400);
    assert_eq!(get("/scep?operation=PKIOperation&message=%%%").status, 400);
}

// ---------------------------------------------------------------------------------------------
// certmonger against our server

fn certmonger_against_example_server(
    label: &str,
    cipher: Option<&str>,
    digest: Option<&str>,
    challenge: &str,
) -> (
    ExampleServer,
    TempDir,
    Result<PathBuf, crate::peers::CertmongerFailure>,
) {
    let tmp = TempDir::new(label);
    let server = ExampleServer::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let result = certmonger_enroll_with(&CertmongerRequest {
        url: &server.url(),
        ca_cert: &server.ca_cert(),
        dir: &tmp.join("cm"),
        subject: &format!("CN={label}"),
        challenge: Some(challenge),
        timeout: CERTMONGER_TIMEOUT,
        cipher,
        digest,
    });
    (server, tmp, result)
}

#[test]
fn certmonger_enrolls_against_example_server_with_aes() {
    if !require_peers(&CERTMONGER_PEERS) || !require_peer("openssl") {
        return;
    }
    let start = Instant::now();
    let (server, _tmp, result) = certmonger_against_example_server("cm-aes", None, None, CHALLENGE);
    let cert = result.unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    assert_verifies(&server.ca_cert(), &cert);
    assert_eq!(pem_subject(&cert), "subject=CN=cm-aes");
    let lines = server.pki_lines();
    // certmonger uses GET, reads `AES` as AES-256, and signs with SHA-256.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("server: GET /scep PKIOperation PkcsReq")
                && l.contains("alg=Aes256Cbc/Sha256")
                && l.contains("-> SUCCESS")),
        "{lines:?}"
    );
    elapsed(start, "certmonger AES");
}

#[test]
fn certmonger_enrolls_against_example_server_with_des3_and_sha1() {
    if !require_peers(&CERTMONGER_PEERS) || !require_peer("openssl") {
        return;
    }
    let start = Instant::now();
    let (server, _tmp, result) =
        certmonger_against_example_server("cm-des3", Some("DES3"), Some("SHA1"), CHALLENGE);
    let cert = result.unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    assert_verifies(&server.ca_cert(), &cert);
    let lines = server.pki_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("server: GET /scep PKIOperation PkcsReq")
                && l.contains("alg=DesEde3Cbc/Sha1")
                && l.contains("-> SUCCESS")),
        "{lines:?}"
    );
    elapsed(start, "certmonger DES3/SHA-1");
}

#[test]
fn certmonger_is_rejected_by_example_server_with_a_wrong_challenge() {
    if !require_peers(&CERTMONGER_PEERS) {
        return;
    }
    let (server, _tmp, result) =
        certmonger_against_example_server("cm-reject", None, None, "wrong");
    let failure = result.unwrap_err();
    assert_eq!(failure.status, "CA_REJECTED", "{failure}\n{}", server.log());
    assert!(
        server
            .pki_lines()
            .iter()
            .any(|l| l.contains("-> FAILURE badRequest (wrong challenge password)")),
        "{}",
        server.log()
    );
}

// ---------------------------------------------------------------------------------------------
// micromdm's scepclient against our server

#[test]
fn example_server_refuses_single_des_without_insecure_legacy() {
    if !require_peer("scepclient") {
        return;
    }
    let tmp = TempDir::new("mm-badalg");
    let server = ExampleServer::start(&tmp.join("state"), &[]);
    let refused =
        crate::peers::micromdm_client_enroll(&server.url(), &tmp.join("client"), "mm-des", None)
            .unwrap_err();
    assert_eq!(refused.exit_code, Some(1), "{refused}");
    assert_eq!(refused.fail_info(), Some("badAlg"), "{refused}");
    assert!(
        server
            .pki_lines()
            .iter()
            .any(|l| l.contains("PkcsReq") && l.contains("-> FAILURE badAlg")),
        "{}",
        server.log()
    );
}

#[cfg(feature = "insecure-legacy")]
mod legacy {
    use super::*;
    use crate::peers::{
        MICROMDM_PEERS, MicromdmServer, micromdm_client_enroll, micromdm_client_renew,
    };

    #[test]
    fn scepclient_enrolls_and_renews_against_example_server() {
        if !require_peer("scepclient") || !require_peer("openssl") {
            return;
        }
        let start = Instant::now();
        let tmp = TempDir::new("mm-client");
        let server = ExampleServer::start(
            &tmp.join("state"),
            &["--insecure-legacy", "--challenge", CHALLENGE],
        );
        let dir = tmp.join("client");
        let issued = micromdm_client_enroll(&server.url(), &dir, "mm-device", Some(CHALLENGE))
            .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
        assert_verifies(&server.ca_cert(), &issued.cert);
        let first = fs::read_to_string(&issued.cert).unwrap();

        let renewed = micromdm_client_renew(&server.url(), &dir, "mm-device", Some(CHALLENGE))
            .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
        assert_verifies(&server.ca_cert(), &renewed.cert);
        assert_ne!(fs::read_to_string(&renewed.cert).unwrap(), first);

        let lines = server.pki_lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        // scepclient: POST, single DES, SHA-1; the renewal is a RenewalReq signed by the
        // certificate we issued.
        assert!(
            lines[0].starts_with("server: POST /scep PKIOperation PkcsReq")
                && lines[0].contains("signer=self-signed alg=DesCbc/Sha1 -> SUCCESS"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("server: POST /scep PKIOperation RenewalReq")
                && lines[1].contains("signer=issued-by-ca alg=DesCbc/Sha1 -> SUCCESS"),
            "{lines:?}"
        );
        elapsed(start, "scepclient enroll + renew");
    }

    #[test]
    fn scepclient_is_rejected_by_example_server_with_a_wrong_challenge() {
        if !require_peer("scepclient") {
            return;
        }
        let tmp = TempDir::new("mm-client-reject");
        let server = ExampleServer::start(
            &tmp.join("state"),
            &["--insecure-legacy", "--challenge", CHALLENGE],
        );
        let refused =
            micromdm_client_enroll(&server.url(), &tmp.join("client"), "mm-bad", Some("wrong"))
                .unwrap_err();
        assert_eq!(refused.exit_code, Some(1), "{refused}");
        assert_eq!(refused.fail_info(), Some("badRequest"), "{refused}");
        assert!(!tmp.join("client").join("cert.pem").exists());
    }

    #[test]
    fn example_client_enrolls_against_scepserver() {
        if !require_peers(&MICROMDM_PEERS) || !require_peer("openssl") {
            return;
        }
        let start = Instant::now();
        let tmp = TempDir::new("mm-server");
        let server = MicromdmServer::start(&tmp.join("depot"), Some(CHALLENGE), 0);
        let dir = tmp.join("device");
        let out = run_client(
            &server.url(),
            &dir,
            &[
                "--insecure-legacy",
                "--challenge",
                CHALLENGE,
                "--subject",
                "CN=ex-client",
                "--ca-fingerprint",
                &openssl_fingerprint(&server.ca_cert_path()),
            ],
        );
        assert_issued(&out, &server.log());
        assert_verifies(&server.ca_cert_path(), &dir.join("cert.pem"));
        assert_eq!(pem_subject(&dir.join("cert.pem")), "subject=CN=ex-client");
        // scepserver's CA (keyCertSign and cRLSign only) is also the RA.
        assert!(
            out.stderr.contains("encrypting to OU=SCEP CA"),
            "{}",
            out.stderr
        );

        // Without --insecure-legacy the single DES reply is refused (after scepserver issued).
        let out = run_client(
            &server.url(),
            &tmp.join("device2"),
            &["--challenge", CHALLENGE],
        );
        assert_eq!(exit_code(&out), Some(1), "{}", out.stderr);
        assert!(out.stderr.contains("single DES"), "{}", out.stderr);
        elapsed(start, "example client against scepserver");
    }

    #[test]
    fn example_client_is_rejected_by_scepserver_with_a_wrong_challenge() {
        if !require_peers(&MICROMDM_PEERS) {
            return;
        }
        let tmp = TempDir::new("mm-server-reject");
        let server = MicromdmServer::start(&tmp.join("depot"), Some(CHALLENGE), 0);
        let out = run_client(
            &server.url(),
            &tmp.join("device"),
            &["--insecure-legacy", "--challenge", "wrong"],
        );
        assert_eq!(exit_code(&out), Some(2), "{}", out.stderr);
        assert!(
            out.stderr.contains("FAILURE: failInfo badRequest (2)"),
            "{}",
            out.stderr
        );
        assert!(
            server.log().contains("invalid challenge"),
            "{}",
            server.log()
        );
    }
}
