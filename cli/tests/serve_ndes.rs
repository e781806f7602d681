//! `scep serve --ra split` (the RA pair, as Windows NDES publishes it) and the key-generating
//! light clients of `scep serve` and `scep proxy`, as processes on 127.0.0.1, against our
//! client, micromdm's `scepclient`, certmonger, curl and the OpenSSL command line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable
)]

use core::time::Duration;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use scep::Certificate;
use scep::ca_certs::CaCertificates;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Outcome};
use scep::http::HttpRequest as Request;
use scep::provider::rustcrypto::PROVIDER;

#[allow(
    dead_code,
    reason = "shared with the serve tests; not all of it is used here"
)]
#[path = "serve/device.rs"]
mod device;
#[allow(
    dead_code,
    unused_imports,
    reason = "the harness serves every interop module; not all use all of it"
)]
#[path = "../../tests/interop/peers.rs"]
mod peers;

use device::{csr, key, send, send_full};
use peers::{ChildGuard, TempDir, free_port, require_peer, require_peers, wait_for_http};

const CHALLENGE: &str = "s3cret";

fn scep(subcommand: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scep"));
    cmd.arg(subcommand);
    cmd
}

/// A `scep serve` process on a free port of 127.0.0.1; killed on drop.
struct Serve {
    _child: ChildGuard,
    port: u16,
    state: PathBuf,
    log: PathBuf,
}

impl Serve {
    fn start(state: &Path, args: &[&str]) -> Serve {
        fs::create_dir_all(state).unwrap();
        let port = free_port();
        let log = state.join(format!("serve-{port}.log"));
        let log_file = fs::File::create(&log).unwrap();
        let mut cmd = scep("serve");
        cmd.args(["--addr", &format!("127.0.0.1:{port}"), "--state"])
            .arg(state)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        let child = ChildGuard::spawn("scep serve", &mut cmd).unwrap();
        let serve = Serve {
            _child: child,
            port,
            state: state.to_owned(),
            log,
        };
        if let Err(e) = wait_for_http(&serve.url(), Duration::from_secs(60)) {
            panic!("scep serve did not start: {e}\n{}", serve.log());
        }
        serve
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url(&self) -> String {
        format!("{}/scep", self.origin())
    }

    fn file(&self, name: &str) -> PathBuf {
        self.state.join(name)
    }

    fn ca_cert(&self) -> PathBuf {
        self.file("ca.cert.pem")
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn pki_lines(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(" PKIOperation "))
            .map(str::to_owned)
            .collect()
    }
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl").args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn cert_at(path: &Path) -> Certificate {
    Certificate::from_pem(&fs::read(path).unwrap()).unwrap()
}

/// A client that encrypts to what `certs` selects and trusts them as they are.
fn client_for(serve: &Serve, certs: Vec<Certificate>) -> device::Ca {
    let (status, body) = send(&serve.origin(), &Request::get_ca_caps("/scep", None));
    let caps = Capabilities::from_http(status, &body);
    let certs = CaCertificates::new(certs).unwrap();
    let options = ClientOptions::default().with_endpoint("/scep");
    let client = Client::new(certs.trust_on_first_use(), caps, PROVIDER)
        .and_then(|c| c.with_options(options))
        .unwrap();
    device::Ca {
        origin: serve.origin(),
        client: std::sync::Arc::new(client),
    }
}

// ---------------------------------------------------------------------------------------------
// The RA pair

/// `--ra split`: the pair is created beside the CA key (0600), issued by the CA with the NDES
/// key usages, sent by GetCACert with the CA, and kept across restarts. Our client encrypts to
/// the encryption certificate; the CertRep is signed by the signing certificate (OpenSSL says
/// who signed it); `scep enroll` enrolls too.
#[test]
fn ra_split_pair_and_our_clients() {
    if !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ra-split");
    let state = tmp.join("state");
    let serve = Serve::start(&state, &["--ra", "split", "--challenge", CHALLENGE]);
    let ca_pem = serve.ca_cert();
    for stem in ["ra-sign", "ra-encrypt"] {
        let key = serve.file(&format!("{stem}.key.pem"));
        let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", key.display());
        let cert = serve.file(&format!("{stem}.cert.pem"));
        ok(&openssl(&["verify", "-CAfile", p(&ca_pem), p(&cert)]));
        let text = ok(&openssl(&["x509", "-noout", "-text", "-in", p(&cert)]));
        let usage = text
            .split("X509v3 Key Usage: critical")
            .nth(1)
            .and_then(|t| t.lines().nth(1))
            .unwrap()
            .trim()
            .to_owned();
        let want = if stem == "ra-sign" {
            "Digital Signature"
        } else {
            "Key Encipherment"
        };
        assert_eq!(usage, want, "{text}");
        assert!(text.contains("CA:FALSE"), "{text}");
    }
    let sign_cert = cert_at(&serve.file("ra-sign.cert.pem"));
    let enc_cert = cert_at(&serve.file("ra-encrypt.cert.pem"));

    // GetCACert: a degenerate PKCS #7 with the CA and both RA certificates.
    let reply = send_full(&serve.origin(), &Request::get_ca_cert("/scep", None));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.content_type.as_deref(),
        Some("application/x-x509-ca-ra-cert")
    );
    let p7 = tmp.join("getcacert.p7b");
    fs::write(&p7, &reply.body).unwrap();
    let printed = ok(&openssl(&[
        "pkcs7",
        "-inform",
        "DER",
        "-in",
        p(&p7),
        "-print_certs",
        "-noout",
    ]));
    assert_eq!(printed.matches("subject=").count(), 3, "{printed}");
    let certs = CaCertificates::parse(&reply.body, &scep::limits::Limits::DEFAULT).unwrap();
    assert_eq!(certs.encryption_certificate(), &enc_cert);
    assert_eq!(certs.signing_certificates().first(), Some(&sign_cert));
    assert!(!certs.signing_certificates().contains(&enc_cert));

    // Our library client, pinned to the CA, through GetCACert's verification.
    let ca = client_for(&serve, certs.certificates().to_vec());
    let device_key = key("client2048");
    let request = csr(&device_key, "CN=ra-split-device", Some(CHALLENGE));
    let mut rng = getrandom::SysRng;
    let (req, tx) = ca.client.enroll(&request, &device_key, &mut rng).unwrap();
    let r = send_full(&ca.origin, &req);
    assert_eq!(r.status, 200);
    let cert_rep = tmp.join("certrep.der");
    fs::write(&cert_rep, &r.body).unwrap();
    let outcome = ca
        .client
        .handle(
            &tx,
            r.status,
            r.content_type.as_deref(),
            &r.body,
            &device_key,
            device::now(),
            &mut rng,
        )
        .unwrap();
    let issued = device::issued(outcome);
    assert_eq!(issued.subject().to_string(), "CN=ra-split-device");
    // OpenSSL: the CertRep's signature verifies up to the CA, and its signer is the RA signing
    // certificate.
    let signer = tmp.join("signer.pem");
    ok(&openssl(&[
        "cms",
        "-verify",
        "-inform",
        "DER",
        "-in",
        p(&cert_rep),
        "-CAfile",
        p(&ca_pem),
        "-purpose",
        "any",
        "-binary",
        "-signer",
        p(&signer),
        "-out",
        p(&tmp.join("envelope.der")),
    ]));
    assert_eq!(cert_at(&signer), sign_cert, "the CertRep's signer");
    let issued_pem = tmp.join("issued.pem");
    fs::write(&issued_pem, issued.to_pem()).unwrap();
    ok(&openssl(&["verify", "-CAfile", p(&ca_pem), p(&issued_pem)]));

    // `scep enroll`, pinning the CA by fingerprint.
    let fp = ok(&openssl(&[
        "x509",
        "-noout",
        "-fingerprint",
        "-sha256",
        "-in",
        p(&ca_pem),
    ]));
    let fp = fp.trim().rsplit('=').next().unwrap().to_owned();
    let out_dir = tmp.join("enroll");
    let out = scep("enroll")
        .args(["--url", &serve.url(), "--challenge", CHALLENGE])
        .args(["--subject", "CN=ra-split-cli", "--ca-fingerprint", &fp])
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let printed = ok(&out);
    assert!(printed.starts_with("issued: "), "{printed}");
    ok(&openssl(&[
        "verify",
        "-CAfile",
        p(&ca_pem),
        p(&out_dir.join("cert.pem")),
    ]));
    let lines = serve.pki_lines();
    assert_eq!(
        lines.iter().filter(|l| l.contains("-> SUCCESS")).count(),
        2,
        "{lines:?}"
    );

    // A restart loads the same pair.
    let sign_before = fs::read(serve.file("ra-sign.cert.pem")).unwrap();
    drop(serve);
    let serve = Serve::start(&state, &["--ra", "split", "--challenge", CHALLENGE]);
    assert_eq!(
        fs::read(serve.file("ra-sign.cert.pem")).unwrap(),
        sign_before
    );
    let again = send_full(&serve.origin(), &Request::get_ca_cert("/scep", None));
    assert_eq!(again.body, reply.body);
    drop(serve);

    // An RA pair issued by another CA of the same name (every new `scep serve` CA is called
    // the same) is refused at start: the signature decides, not the issuer name.
    let other = tmp.join("other-state");
    drop(Serve::start(&other, &["--ra", "split"]));
    for f in ["ra-sign.cert.pem", "ra-sign.key.pem"] {
        fs::copy(other.join(f), state.join(f)).unwrap();
    }
    let out = Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_scep"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{}", free_port()),
            "--state",
        ])
        .arg(&state)
        .args(["--ra", "split", "--challenge", CHALLENGE])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not issued by this CA"), "{stderr}");
}

/// A request encrypted to the RA signing certificate (or to the CA) is refused with a signed
/// FAILURE, and the operator's log says why; nothing is issued.
#[test]
fn ra_split_refuses_a_request_encrypted_to_the_signing_certificate() {
    let tmp = TempDir::new("ra-split-wrong");
    let serve = Serve::start(&tmp.join("state"), &["--ra", "split"]);
    let sign_cert = cert_at(&serve.file("ra-sign.cert.pem"));
    let ca_cert = cert_at(&serve.ca_cert());
    let device_key = key("client2048");
    let cases = [
        ("signing", sign_cert.clone(), vec![sign_cert.clone()]),
        ("CA", ca_cert.clone(), vec![ca_cert, sign_cert]),
    ];
    for (name, to, known) in cases {
        // A client that knows only these certificates encrypts to `to` (and knows the RA
        // signing certificate, so it can read the signed FAILURE).
        let ca = client_for(&serve, known);
        assert_eq!(ca.client.recipient(), &to);
        let request = csr(&device_key, &format!("CN=to-{name}"), None);
        let (_, outcome) = device::enroll(&ca, &device_key, &request);
        match outcome {
            Outcome::Rejected { .. } => {}
            other => panic!(
                "encrypted to the {name} certificate: {other:?}\n{}",
                serve.log()
            ),
        }
    }
    let lines = serve.pki_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.contains(
            "-> FAILURE badMessageCheck (the message is not encrypted to the decrypting key)"
        )),
        "{lines:?}"
    );
}

/// certmonger enrolls against `--ra split` (it encrypts to the encryption certificate and
/// verifies the reply of the signing certificate, given only the CA).
#[test]
fn ra_split_certmonger_enrolls() {
    if !require_peers(&peers::CERTMONGER_PEERS) || !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ra-split-cm");
    let serve = Serve::start(
        &tmp.join("state"),
        &["--ra", "split", "--challenge", CHALLENGE],
    );
    let cert = peers::certmonger_enroll_with(&peers::CertmongerRequest {
        url: &serve.url(),
        ca_cert: &serve.ca_cert(),
        dir: &tmp.join("cm"),
        subject: "CN=ra-split-certmonger",
        challenge: Some(CHALLENGE),
        timeout: Duration::from_secs(30),
        cipher: None,
        digest: None,
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", serve.log()));
    ok(&openssl(&[
        "verify",
        "-CAfile",
        p(&serve.ca_cert()),
        p(&cert),
    ]));
    let lines = serve.pki_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("PkcsReq") && l.contains("-> SUCCESS")),
        "{lines:?}"
    );
}

/// micromdm's `scepclient` (single DES: needs `insecure-legacy`) encrypts to every certificate
/// of GetCACert; the server opens the recipient of its encryption certificate.
#[cfg(feature = "insecure-legacy")]
#[test]
fn ra_split_scepclient_enrolls() {
    if !require_peer("scepclient") || !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ra-split-mm");
    let serve = Serve::start(
        &tmp.join("state"),
        &[
            "--ra",
            "split",
            "--insecure-legacy",
            "--challenge",
            CHALLENGE,
        ],
    );
    let issued = peers::micromdm_client_enroll(
        &serve.url(),
        &tmp.join("client"),
        "ra-split-scepclient",
        Some(CHALLENGE),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", serve.log()));
    ok(&openssl(&[
        "verify",
        "-CAfile",
        p(&serve.ca_cert()),
        p(&issued.cert),
    ]));
}

// ---------------------------------------------------------------------------------------------
// Key-generating light clients

/// `curl` POSTs the form; returns the HTTP status and writes the body to `out`.
fn curl_light(url: &str, fields: &[(&str, &str)], out: &Path) -> u16 {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-o"])
        .arg(out)
        .args(["-w", "%{http_code}"]);
    for (name, value) in fields {
        cmd.args(["--data-urlencode", &format!("{name}={value}")]);
    }
    let o = cmd.arg(url).output().unwrap();
    let code = ok(&o);
    code.trim().parse().unwrap()
}

/// OpenSSL opens `p12` with `password`: the certificate chains to `ca` and the key is the
/// certificate's. Returns `openssl pkcs12 -info`'s report.
#[track_caller]
fn check_p12(p12: &Path, password: &str, ca: &Path, dir: &Path) -> String {
    let pass = format!("pass:{password}");
    let info = openssl(&["pkcs12", "-info", "-in", p(p12), "-passin", &pass, "-nodes"]);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&info.stdout),
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(info.status.success(), "{report}");
    let cert = dir.join("p12-cert.pem");
    let key = dir.join("p12-key.pem");
    ok(&openssl(&[
        "pkcs12",
        "-in",
        p(p12),
        "-passin",
        &pass,
        "-clcerts",
        "-nokeys",
        "-out",
        p(&cert),
    ]));
    ok(&openssl(&[
        "pkcs12",
        "-in",
        p(p12),
        "-passin",
        &pass,
        "-nocerts",
        "-nodes",
        "-out",
        p(&key),
    ]));
    ok(&openssl(&["verify", "-CAfile", p(ca), p(&cert)]));
    let from_cert = ok(&openssl(&["x509", "-noout", "-pubkey", "-in", p(&cert)]));
    let from_key = ok(&openssl(&["pkey", "-pubout", "-in", p(&key)]));
    assert_eq!(from_cert, from_key, "the key is the certificate's");
    // The wrong password opens nothing.
    let wrong = openssl(&[
        "pkcs12",
        "-info",
        "-in",
        p(p12),
        "-passin",
        "pass:wrong",
        "-nodes",
    ]);
    assert!(!wrong.status.success());
    report
}

/// `scep serve`: an RSA and a P-256 light client get PKCS #12 files OpenSSL opens (PBES2 with
/// AES-256-CBC, a SHA-256 MAC); a wrong or missing challenge is 403; nothing secret is logged.
#[test]
fn serve_light_clients_get_pkcs12_files() {
    if !require_peer("openssl") || !require_peer("curl") {
        return;
    }
    let tmp = TempDir::new("serve-light");
    let serve = Serve::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let url = format!("{}/light", serve.origin());
    let password = "p12 pass&word";

    let p12 = tmp.join("rsa.p12");
    let fields = [
        ("subject", "CN=light-rsa,O=scep tests"),
        ("challenge", CHALLENGE),
        ("password", password),
    ];
    assert_eq!(curl_light(&url, &fields, &p12), 200, "{}", serve.log());
    let info = check_p12(&p12, password, &serve.ca_cert(), tmp.path());
    assert!(info.contains("PBES2, PBKDF2, AES-256-CBC"), "{info}");
    assert!(info.contains("MAC: sha256"), "{info}");
    assert_eq!(
        info.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "{info}"
    );
    assert_eq!(
        info.matches("-----BEGIN PRIVATE KEY-----").count(),
        1,
        "{info}"
    );
    let text = ok(&openssl(&[
        "x509",
        "-noout",
        "-subject",
        "-text",
        "-in",
        p(&tmp.join("p12-cert.pem")),
    ]));
    assert!(text.contains("CN = light-rsa"), "{text}");
    assert!(
        text.contains("rsaEncryption") && text.contains("(2048 bit)"),
        "{text}"
    );

    let p12 = tmp.join("ec.p12");
    let fields = [
        ("subject", "CN=light-ec"),
        ("challenge", CHALLENGE),
        ("password", password),
        ("key-type", "p256"),
    ];
    assert_eq!(curl_light(&url, &fields, &p12), 200, "{}", serve.log());
    check_p12(&p12, password, &serve.ca_cert(), tmp.path());
    let text = ok(&openssl(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        p(&tmp.join("p12-cert.pem")),
    ]));
    assert!(
        text.contains("id-ecPublicKey") && text.contains("P-256"),
        "{text}"
    );

    // Refusals.
    let junk = tmp.join("refused.txt");
    let wrong = [
        ("subject", "CN=x"),
        ("challenge", "wrong"),
        ("password", "x"),
    ];
    assert_eq!(curl_light(&url, &wrong, &junk), 403);
    let missing = [("subject", "CN=x"), ("password", "x")];
    assert_eq!(curl_light(&url, &missing, &junk), 403);
    let no_password = [("subject", "CN=x"), ("challenge", CHALLENGE)];
    assert_eq!(curl_light(&url, &no_password, &junk), 400);

    let log = serve.log();
    assert!(
        log.contains("POST /light -> keygen Rsa2048 subject CN=light-rsa"),
        "{log}"
    );
    assert!(
        log.contains("-> HTTP 403: wrong challenge password"),
        "{log}"
    );
    assert!(!log.contains(password) && !log.contains(CHALLENGE), "{log}");
    // Nothing but the CA's own key in the state directory.
    let keys: Vec<_> = fs::read_dir(tmp.join("state"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("key"))
        .map(|e| e.file_name())
        .collect();
    assert_eq!(keys, vec![std::ffi::OsString::from("ca.key.pem")]);
}

/// `scep proxy` in front of `scep serve --ra split`: the RA enrolls its own key upstream, then
/// a light client's form makes it generate a key, enroll it upstream and answer a PKCS #12
/// file that OpenSSL opens; the certificate chains to the upstream CA. A wrong challenge is 403
/// and the upstream never hears of it.
#[test]
fn proxy_light_clients_get_pkcs12_files() {
    if !require_peer("openssl") || !require_peer("curl") {
        return;
    }
    let tmp = TempDir::new("proxy-light");
    let upstream_secret = "upstream-secret";
    let upstream = Serve::start(
        &tmp.join("ca"),
        &["--ra", "split", "--challenge", upstream_secret],
    );
    let port = free_port();
    let state = tmp.join("proxy");
    fs::create_dir_all(&state).unwrap();
    let log_path = state.join("proxy.log");
    let log = fs::File::create(&log_path).unwrap();
    let mut cmd = scep("proxy");
    cmd.args([
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--upstream",
        &upstream.url(),
    ])
    .arg("--upstream-ca")
    .arg(upstream.ca_cert())
    .args([
        "--upstream-challenge",
        upstream_secret,
        "--challenge",
        CHALLENGE,
    ])
    .arg("--state")
    .arg(&state)
    .stdin(Stdio::null())
    .stdout(log.try_clone().unwrap())
    .stderr(log);
    let _proxy = ChildGuard::spawn("scep proxy", &mut cmd).unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    wait_for_http(&format!("{origin}/scep"), Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}\n{}", fs::read_to_string(&log_path).unwrap()));
    let url = format!("{origin}/light");
    let password = "proxy-p12";

    let p12 = tmp.join("proxy.p12");
    let fields = [
        ("subject", "CN=light-behind-ra"),
        ("challenge", CHALLENGE),
        ("password", password),
    ];
    let status = curl_light(&url, &fields, &p12);
    let proxy_log = || fs::read_to_string(&log_path).unwrap();
    assert_eq!(status, 200, "{}\n{}", proxy_log(), upstream.log());
    let info = check_p12(&p12, password, &upstream.ca_cert(), tmp.path());
    // The certificate and the upstream CA; not the upstream's RA certificates.
    assert_eq!(
        info.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "{info}"
    );
    assert!(!info.contains("scep example RA"), "{info}");
    let subject = ok(&openssl(&[
        "x509",
        "-noout",
        "-subject",
        "-in",
        p(&tmp.join("p12-cert.pem")),
    ]));
    assert!(subject.contains("CN = light-behind-ra"), "{subject}");

    let before = upstream.pki_lines().len();
    let junk = tmp.join("refused.txt");
    let wrong = [
        ("subject", "CN=x"),
        ("challenge", "wrong"),
        ("password", "x"),
    ];
    assert_eq!(curl_light(&url, &wrong, &junk), 403);
    assert_eq!(upstream.pki_lines().len(), before, "relayed anyway");
    let log = proxy_log();
    assert!(
        log.contains("keygen Rsa2048 subject CN=light-behind-ra"),
        "{log}"
    );
    assert!(!log.contains(password) && !log.contains(CHALLENGE), "{log}");
}
