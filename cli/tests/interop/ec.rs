//! Elliptic curves through the binary (issue #15): `scep enroll --key-type p256|p384` against
//! `scep serve` with an RSA CA and with an EC CA (`--ca-key-type p256|p384`: no RSA anywhere),
//! with each provider the build has. An EC device key can only sign and agree, so every issued
//! certificate means the CA answered with a KeyAgree envelope the device opened; an EC CA means
//! the device sealed its request by KeyAgree and the CA signed with ECDSA. Each result is
//! checked with the OpenSSL command line: `openssl verify` against the CA, the certificate's
//! public key equal to `openssl pkey -pubout` of the written key, the curves and signature
//! algorithms as `openssl x509 -text` prints them.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::examples::{
    ExampleServer, assert_issued, assert_verifies, elapsed, exit_code, openssl_fingerprint,
    pem_subject, run_client,
};
use crate::peers::{TempDir, require_peer};

const CHALLENGE: &str = "s3cret";

/// `openssl ARGS...`, its stdout; panics with stderr on failure.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What `openssl x509 -text` says of the curve (or RSA) of a certificate's key.
fn curve_text(key_type: &str) -> &'static str {
    match key_type {
        "p256" => "NIST CURVE: P-256",
        "p384" => "NIST CURVE: P-384",
        _ => "rsaEncryption",
    }
}

/// The signature algorithm OpenSSL names for what a CA of `key_type` signs with.
fn signature_text(key_type: &str) -> &'static str {
    match key_type {
        "p256" => "ecdsa-with-SHA256",
        "p384" => "ecdsa-with-SHA384",
        _ => "sha256WithRSAEncryption",
    }
}

/// The device in `dir` holds a certificate issued by `ca` for its own `key.pem`: `openssl
/// verify`, the public key of the certificate equal to the key file's, the curve, the issuer's
/// signature algorithm, keyUsage keyAgreement for an EC key, and `key.pem` mode 0600.
#[track_caller]
fn check_device(dir: &Path, ca: &Path, device: &str, ca_type: &str) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    assert_verifies(ca, &cert);
    let from_cert = openssl(&["x509", "-in", s(&cert), "-noout", "-pubkey"]);
    let from_key = openssl(&["pkey", "-in", s(&key), "-pubout"]);
    assert_eq!(from_cert, from_key, "{}", dir.display());
    let text = openssl(&["x509", "-in", s(&cert), "-noout", "-text"]);
    assert!(text.contains(curve_text(device)), "{device}: {text}");
    assert!(text.contains(signature_text(ca_type)), "{ca_type}: {text}");
    if device != "rsa2048" {
        assert!(text.contains("Key Agreement"), "{text}");
        assert!(!text.contains("Key Encipherment"), "{text}");
    }
    let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", key.display());
}

/// EC devices (P-256, P-384) against an RSA CA and against EC CAs (P-256, P-384), over
/// `provider`; an RSA device against the EC CAs; an EC device renews against each CA.
fn ec_matrix(provider: &str) {
    if !require_peer("openssl") {
        return;
    }
    let start = Instant::now();
    let tmp = TempDir::new(&format!("ec-matrix-{provider}"));
    for ca_type in ["rsa2048", "p256", "p384"] {
        let server = ExampleServer::start(
            &tmp.join(format!("state-{ca_type}")),
            &[
                "--challenge",
                CHALLENGE,
                "--ca-key-type",
                ca_type,
                "--provider",
                provider,
            ],
        );
        let ca = server.ca_cert();
        let ca_text = openssl(&["x509", "-in", s(&ca), "-noout", "-text"]);
        assert!(ca_text.contains(curve_text(ca_type)), "{ca_text}");
        assert!(ca_text.contains(signature_text(ca_type)), "{ca_text}");
        let fp = openssl_fingerprint(&ca);
        let devices: &[&str] = if ca_type == "rsa2048" {
            &["p256", "p384"]
        } else {
            &["p256", "p384", "rsa2048"]
        };
        for device in devices {
            let dir = tmp.join(format!("{provider}-{ca_type}-{device}"));
            let subject = format!("CN={device} to {ca_type},O=scep tests");
            let out = run_client(
                &server.url(),
                &dir,
                &[
                    "--challenge",
                    CHALLENGE,
                    "--key-type",
                    device,
                    "--subject",
                    &subject,
                    "--ca-fingerprint",
                    &fp,
                ],
            );
            assert_issued(&out, &server.log());
            assert!(!out.stderr.contains("NOT authenticated"), "{}", out.stderr);
            check_device(&dir, &ca, device, ca_type);
            assert_eq!(
                pem_subject(&dir.join("cert.pem")),
                format!("subject=CN={device} to {ca_type},O=scep tests")
            );
        }
        // Other digests and ciphers, and GET: the CA signs its reply with ECDSA (or RSA) and the
        // request's digest, and seals to the EC device by KeyAgree.
        let cases: [(&[&str], &str, &str); 3] = [
            (
                &["--digest", "sha1", "--cipher", "des3"],
                "POST",
                "alg=DesEde3Cbc/Sha1",
            ),
            (
                &["--digest", "sha512", "--cipher", "aes256"],
                "POST",
                "alg=Aes256Cbc/Sha512",
            ),
            (
                &["--get", "--key-type", "p384"],
                "GET",
                "alg=Aes128Cbc/Sha256",
            ),
        ];
        for (i, (extra, method, alg)) in cases.iter().enumerate() {
            let dir = tmp.join(format!("{provider}-{ca_type}-case{i}"));
            let mut all = vec![
                "--challenge",
                CHALLENGE,
                "--key-type",
                "p256",
                "--ca-fingerprint",
                &fp,
            ];
            all.extend_from_slice(extra);
            let out = run_client(&server.url(), &dir, &all);
            assert_issued(&out, &server.log());
            let device = if extra.contains(&"p384") {
                "p384"
            } else {
                "p256"
            };
            check_device(&dir, &ca, device, ca_type);
            let lines = server.pki_lines();
            let last = lines.last().unwrap();
            assert!(
                last.starts_with(&format!("server: {method} /scep PKIOperation PkcsReq"))
                    && last.contains(alg)
                    && last.contains("-> SUCCESS"),
                "{extra:?}: {last}"
            );
        }
        // Renewal with the P-256 key: signed by the issued EC certificate, same key.
        let dir = tmp.join(format!("{provider}-{ca_type}-p256"));
        let key = fs::read(dir.join("key.pem")).unwrap();
        let out = run_client(&server.url(), &dir, &["--renew", "--ca-fingerprint", &fp]);
        assert_issued(&out, &server.log());
        assert_eq!(fs::read(dir.join("key.pem")).unwrap(), key);
        assert!(dir.join("cert.previous.pem").is_file());
        check_device(&dir, &ca, "p256", ca_type);
        let lines = server.pki_lines();
        let last = lines.last().unwrap();
        assert!(
            last.contains("RenewalReq") && last.contains("signer=issued-by-ca"),
            "{lines:?}"
        );
        // The EC key fetches the CRL, which verifies against the CA.
        let out = run_client(&server.url(), &dir, &["--get-crl"]);
        assert_eq!(exit_code(&out), Some(0), "{}{}", out.stdout, out.stderr);
        let crl = Command::new("openssl")
            .args(["crl", "-inform", "DER", "-noout", "-in"])
            .arg(dir.join("crl.der"))
            .arg("-CAfile")
            .arg(&ca)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&crl.stderr).contains("verify OK"),
            "{crl:?}"
        );
        assert!(
            lines.iter().all(|l| l.contains("-> SUCCESS")),
            "{lines:?}\n{}",
            server.log()
        );
    }
    elapsed(start, &format!("EC matrix, {provider}"));
}

#[test]
fn ec_devices_enroll_with_rsa_and_ec_cas_rustcrypto() {
    ec_matrix("rustcrypto");
}

#[cfg(feature = "aws-lc-rs")]
#[test]
fn ec_devices_enroll_with_rsa_and_ec_cas_aws_lc() {
    ec_matrix("aws-lc");
}

/// An EC key and CSR made by `openssl` (SEC1 P-384 key from `ecparam`, PKCS #8 P-256 key from
/// `genpkey`; `openssl req` CSR with the challenge password), sent with `--key` and `--csr` to
/// an EC CA: the certificate is for that key and subject. `--key` alone (an openssl PKCS #1 RSA
/// key, the SEC1 P-384 key) enrolls that key. A CSR for another key is refused before anything
/// is sent.
#[test]
fn openssl_made_ec_key_and_csr_enroll() {
    if !require_peer("openssl") {
        return;
    }
    let tmp = TempDir::new("ec-openssl-csr");
    let server = ExampleServer::start(
        &tmp.join("state"),
        &["--challenge", CHALLENGE, "--ca-key-type", "p256"],
    );
    let config = tmp.join("req.cnf");
    fs::write(
        &config,
        format!(
            "[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n\
             [dn]\nCN = openssl-ec\nO = scep tests\n[attrs]\nchallengePassword = {CHALLENGE}\n"
        ),
    )
    .unwrap();
    let keys = [
        (
            "p384",
            vec!["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out"],
        ),
        (
            "p256",
            vec![
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
            ],
        ),
    ];
    for (curve, gen_args) in keys {
        let key = tmp.join(format!("{curve}.key.pem"));
        let mut args = gen_args.clone();
        args.push(s(&key));
        openssl(&args);
        let csr = tmp.join(format!("{curve}.csr.pem"));
        openssl(&[
            "req",
            "-new",
            "-key",
            s(&key),
            "-config",
            s(&config),
            "-out",
            s(&csr),
        ]);
        let dir = tmp.join(format!("device-{curve}"));
        let out = run_client(&server.url(), &dir, &["--key", s(&key), "--csr", s(&csr)]);
        assert_issued(&out, &server.log());
        check_device(&dir, &server.ca_cert(), curve, "p256");
        assert_eq!(
            pem_subject(&dir.join("cert.pem")),
            "subject=O=scep tests,CN=openssl-ec"
        );
        // The written key is the same key as openssl's.
        let theirs = openssl(&["pkey", "-in", s(&key), "-pubout"]);
        let ours = openssl(&["pkey", "-in", s(&dir.join("key.pem")), "-pubout"]);
        assert_eq!(theirs, ours);
    }
    // `--key` alone: an openssl RSA key (PKCS #1, `-traditional`) and SEC1 P-384 key, the CSR
    // built by `scep enroll`; the certificate is for that key.
    let rsa = tmp.join("rsa.key.pem");
    openssl(&["genrsa", "-traditional", "-out", s(&rsa), "2048"]);
    for (key, kind) in [(rsa, "rsa2048"), (tmp.join("p384.key.pem"), "p384")] {
        let dir = tmp.join(format!("own-key-{kind}"));
        let out = run_client(
            &server.url(),
            &dir,
            &["--challenge", CHALLENGE, "--key", s(&key)],
        );
        assert_issued(&out, &server.log());
        check_device(&dir, &server.ca_cert(), kind, "p256");
        let theirs = openssl(&["pkey", "-in", s(&key), "-pubout"]);
        let ours = openssl(&["pkey", "-in", s(&dir.join("key.pem")), "-pubout"]);
        assert_eq!(theirs, ours);
    }

    let before = server.pki_lines().len();
    let out = run_client(
        &server.url(),
        &tmp.join("mismatch"),
        &[
            "--key",
            s(&tmp.join("p256.key.pem")),
            "--csr",
            s(&tmp.join("p384.csr.pem")),
        ],
    );
    assert_eq!(exit_code(&out), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("not for the key"), "{}", out.stderr);
    assert_eq!(server.pki_lines().len(), before);
}

/// Without `--ca-fingerprint` the client warns that the CA was not authenticated. A new
/// enrollment into a directory that has a `key.pem` is refused before anything is sent (the key
/// file is created exclusively, never truncated), and the key is left as it was.
#[test]
fn enroll_never_overwrites_a_key() {
    let tmp = TempDir::new("ec-no-overwrite");
    let server = ExampleServer::start(&tmp.join("state"), &["--challenge", CHALLENGE]);
    let dir = tmp.join("device");
    let out = run_client(
        &server.url(),
        &dir,
        &["--challenge", CHALLENGE, "--key-type", "p256"],
    );
    assert_issued(&out, &server.log());
    // No --ca-fingerprint: trusted on first use, and said so.
    assert!(
        out.stderr
            .contains("WARNING: the CA is NOT authenticated: no --ca-fingerprint"),
        "{}",
        out.stderr
    );
    let key = fs::read(dir.join("key.pem")).unwrap();
    let out = run_client(
        &server.url(),
        &dir,
        &["--challenge", CHALLENGE, "--key-type", "p384"],
    );
    assert_eq!(exit_code(&out), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("key.pem exists"), "{}", out.stderr);
    assert_eq!(fs::read(dir.join("key.pem")).unwrap(), key);
    assert_eq!(server.pki_lines().len(), 1);
}
