//! The `inspect` example: it never panics on any file we have, exits 0 or 1, and its output
//! for a few inputs matches the snapshots in `tests/data/inspect/`.
//!
//! Snapshots are regenerated with `SCEP_UPDATE_SNAPSHOTS=1 cargo test -p scep-cli --all-features --test inspect`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scep"))
        .arg("inspect")
        .current_dir(root())
        .args(args)
        .output()
        .expect("run inspect")
}

/// Runs inspect on `path` (and with `--lint`), checking it exits 0 or 1 with the right output.
fn survives(path: &Path) {
    for extra in [&[][..], &["--lint", "--json"][..]] {
        let mut args: Vec<&str> = extra.to_vec();
        args.push(path.to_str().unwrap());
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => assert!(
                !out.stdout.is_empty(),
                "{}: exit 0 but no output",
                path.display()
            ),
            Some(1) => {
                let lines: Vec<&str> = stderr.lines().collect();
                assert_eq!(
                    lines.len(),
                    1,
                    "{}: exit 1 wants one line, got {stderr}",
                    path.display()
                );
                assert!(
                    lines[0].starts_with("inspect: "),
                    "{}: {stderr}",
                    path.display()
                );
            }
            other => panic!("{}: exit {other:?}\n{stderr}", path.display()),
        }
        assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_peer_capture() {
    let mut files = Vec::new();
    files_under(&root().join("tests/data/peers"), &mut files);
    assert!(files.len() > 10);
    for f in &files {
        survives(f);
    }
}

#[test]
fn every_vector() {
    let Some(dir) = std::env::var_os("SCEP_VECTORS") else {
        eprintln!("skipped: SCEP_VECTORS is not set (CI sets it to ../shared/vectors)");
        return;
    };
    let mut files = Vec::new();
    files_under(Path::new(&dir), &mut files);
    assert!(
        files.len() > 50,
        "{} files in {}",
        files.len(),
        Path::new(&dir).display()
    );
    for f in &files {
        survives(f);
    }
}

#[test]
fn garbage_and_usage() {
    let dir = std::env::temp_dir().join(format!("scep-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &[u8]); 6] = [
        ("empty", b""),
        ("zero", b"\0"),
        ("truncated", b"\x30\x82\x01"),
        ("deep", &[0x30, 0x80].repeat(200)),
        ("text", b"hello world, this is not SCEP"),
        ("query", b"/scep?operation=PKIOperation&message=%%%"),
    ];
    for (name, bytes) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = run(&[p.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run(&["--bogus", "x"]).status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["/nonexistent/file"]).status.code(), Some(2));
}

/// Compares with `tests/data/inspect/NAME`, or writes it when `SCEP_UPDATE_SNAPSHOTS=1`.
fn snapshot(name: &str, args: &[&str]) {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let path = root().join("tests/data/inspect").join(name);
    if std::env::var("SCEP_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (SCEP_UPDATE_SNAPSHOTS=1 writes it)",
            path.display()
        )
    });
    assert!(
        got == want,
        "inspect {args:?} differs from {}:\n--- got ---\n{got}",
        path.display()
    );
}

#[cfg(feature = "insecure-legacy")]
#[test]
fn snapshot_scepclient_pkcsreq_with_key() {
    snapshot(
        "scepclient-pkcsreq.key.txt",
        &[
            "--key",
            "tests/data/peers/micromdm-ca.key.pem",
            "tests/data/peers/scepclient-pkcsreq.der",
        ],
    );
}

#[test]
fn snapshot_certmonger_get() {
    snapshot(
        "certmonger-pkcsreq.get.txt",
        &[
            "--key",
            "tests/data/peers/micromdm-ca.key.pem",
            "--cert",
            "tests/data/peers/micromdm-ca.pem",
            "tests/data/peers/certmonger-pkcsreq.get.txt",
        ],
    );
}

#[test]
fn snapshot_failure_lint() {
    snapshot(
        "scepserver-certrep-failure.lint.txt",
        &["--lint", "tests/data/peers/scepserver-certrep-failure.der"],
    );
}

#[test]
fn snapshot_success_json() {
    snapshot(
        "scepserver-certrep-success.lint.json",
        &[
            "--lint",
            "--json",
            "--ca",
            "tests/data/peers/micromdm-ca.pem",
            "tests/data/peers/scepserver-certrep-success.der",
        ],
    );
}

#[test]
fn snapshot_getcacaps() {
    snapshot(
        "scepserver-getcacaps.lint.txt",
        &["--lint", "tests/data/peers/scepserver-getcacaps.txt"],
    );
}

#[test]
fn json_is_well_formed_enough() {
    let out = run(&[
        "--json",
        "--lint",
        "tests/data/peers/certmonger-pkcsreq.der",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with("{\n") && s.ends_with("}\n"), "{s}");
    let opens = s.matches(['{', '[']).count();
    let closes = s.matches(['}', ']']).count();
    assert_eq!(opens, closes);
    assert!(s.contains("\"kind\": \"pkiMessage\""), "{s}");
}

#[test]
fn challenge_is_hidden_unless_asked() {
    let args = [
        "--key",
        "tests/data/peers/micromdm-ca.key.pem",
        "tests/data/peers/certmonger-pkcsreq.der",
    ];
    let hidden = String::from_utf8(run(&args).stdout).unwrap();
    assert!(hidden.contains("challenge password: present"), "{hidden}");
    assert!(!hidden.contains("s3cret"), "{hidden}");
    let mut with = vec!["--show-secrets"];
    with.extend(args);
    let shown = String::from_utf8(run(&with).stdout).unwrap();
    assert!(shown.contains("\"s3cret\""), "{shown}");
}

/// The `Parsed` accessors the tool relies on.
#[test]
fn parsed_fail_info() {
    let bytes =
        std::fs::read(root().join("tests/data/peers/scepserver-certrep-failure.der")).unwrap();
    let p = scep::envelope::parse(&bytes, &scep::envelope::OpenOptions::DEFAULT).unwrap();
    assert_eq!(p.fail_info(), Some(scep::attr::FailInfo::BadRequest));
    assert_eq!(p.fail_info_text(), None);
}

// ---------------------------------------------------------------------------------------------
// Key-agreement and password recipients, made by `openssl cms -encrypt`

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scep-inspect-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs inspect with extra environment variables; returns (exit code, stdout, stderr).
fn run_env(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scep"));
    cmd.arg("inspect")
        .current_dir(root())
        .args(args)
        .env_remove("SCEP_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run inspect");
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The `result:` line of a failed decryption, from the first of up to four runs of `make_args`
/// (run `n`) that fails. A wrong key leaves the envelope layer with a random content key, and
/// CBC padding comes out valid for about one random key in 256 (a standalone EnvelopedData has
/// nothing else to check), so one run is not enough; a run that "succeeds" must not show the
/// real plaintext (`secret`).
fn failure_line(
    mut make_args: impl FnMut(usize) -> Vec<String>,
    env: &[(&str, &str)],
    secret: &str,
) -> String {
    for n in 0..4 {
        let args = make_args(n);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, text, _) = run_env(&args, env);
        assert_eq!(code, Some(0), "{args:?}");
        assert!(!text.contains(secret), "{args:?}: decrypted\n{text}");
        if let Some(line) = text.lines().find(|l| l.contains("result: failed")) {
            return line.trim().to_owned();
        }
    }
    panic!("four wrong decryptions in a row had valid padding");
}

/// The plaintext every envelope below carries: a certificate we did not make up for the test
/// (its subject is what the decrypted description must show).
fn plaintext(dir: &Path) -> PathBuf {
    openssl(
        dir,
        &[
            "x509",
            "-in",
            path_str(&root().join("tests/data/rsa2048.cert.pem")),
            "-outform",
            "DER",
            "-out",
            "plain.der",
        ],
    );
    dir.join("plain.der")
}

#[test]
fn kari_from_openssl_is_described_and_decrypted() {
    let dir = temp_dir("kari");
    let plain = plaintext(&dir);
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "p384.key.pem",
            "-out",
            "p384.cert.pem",
            "-subj",
            "/CN=inspect p384",
            "-days",
            "30",
        ],
    );
    let p256 = (
        root().join("tests/data/p256.pkcs8.pem"),
        root().join("tests/data/p256.cert.pem"),
        "P-256",
        65,
        "issuer CN=scep test p256, serial 04",
    );
    let p384 = (
        dir.join("p384.key.pem"),
        dir.join("p384.cert.pem"),
        "P-384",
        97,
        "issuer CN=inspect p384, serial",
    );
    // (curve, KDF digest option, cipher, recipient by key identifier)
    let cases = [
        (&p256, None, "aes128", false),
        (&p256, Some("sha256"), "aes256", false),
        (&p256, Some("sha512"), "aes192", true),
        (&p384, Some("sha384"), "aes256", false),
        (&p384, Some("sha1"), "aes128", true),
        (&p384, Some("sha224"), "aes192", false),
    ];
    for (i, ((key, cert, curve, point_len, issuer), kdf, cipher, keyid)) in cases.iter().enumerate()
    {
        let out = dir.join(format!("kari{i}.der"));
        let mut args = vec![
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            path_str(&plain),
            "-outform",
            "DER",
            "-out",
            path_str(&out),
        ];
        args.push(match *cipher {
            "aes128" => "-aes128",
            "aes192" => "-aes192",
            _ => "-aes256",
        });
        args.extend(["-recip", path_str(cert)]);
        if *keyid {
            args.push("-keyid");
        }
        let kdf_opt = kdf.map(|d| format!("ecdh_kdf_md:{d}"));
        if let Some(o) = &kdf_opt {
            args.extend(["-keyopt", o.as_str()]);
        }
        openssl(&dir, &args);
        let (code, text, stderr) = run_env(
            &[
                "--key",
                path_str(key),
                "--cert",
                path_str(cert),
                path_str(&out),
            ],
            &[],
        );
        assert_eq!(code, Some(0), "case {i}: {stderr}");
        let digest = kdf.unwrap_or("sha1"); // OpenSSL's default
        let bits = cipher.trim_start_matches("aes");
        for want in [
            "- kind: kari".to_owned(),
            "algorithm: id-ecPublicKey (1.2.840.10045.2.1), parameters absent".to_owned(),
            format!("curve: {curve} (from the point's length; parameters absent)"),
            format!("point: uncompressed, {point_len} octets 04"),
            format!("key agreement: dhSinglePass-stdDH-{digest}kdf-scheme"),
            format!("kdf digest: SHA-{}", digest.trim_start_matches("sha")),
            format!("key wrap: id-aes{bits}-wrap"),
            "ukm: absent".to_owned(),
            format!("content encryption: aes{bits}-cbc"),
            "recipient: named by the envelope".to_owned(),
            format!(
                "key transport: EcdhKeyAgree {{ kdf: Sha{} }}",
                digest.trim_start_matches("sha")
            ),
            "kind: certificate".to_owned(),
            "subject: CN=scep test 2048".to_owned(),
        ] {
            assert!(text.contains(&want), "case {i}: wants {want:?} in\n{text}");
        }
        if *keyid {
            assert!(text.contains("- subjectKeyIdentifier "), "case {i}: {text}");
        } else {
            assert!(text.contains(&format!("- {issuer}")), "case {i}: {text}");
        }
        assert!(!text.contains("failed"), "case {i}: {text}");
    }

    // Without --cert the EC key still opens an envelope that names its certificate by issuer
    // and serial (a stand-in certificate takes that name).
    let (code, text, _) = run_env(
        &["--key", path_str(&p256.0), path_str(&dir.join("kari1.der"))],
        &[],
    );
    assert_eq!(code, Some(0));
    assert!(
        text.contains("stand-in certificate named as the key-agreement recipient"),
        "{text}"
    );
    assert!(text.contains("subject: CN=scep test 2048"), "{text}");

    // The wrong key, under the recipient's name: the one decryption error, nothing decrypted.
    let kari1 = path_str(&dir.join("kari1.der")).to_owned();
    let wrong_key = path_str(&p384.0).to_owned();
    assert_eq!(
        failure_line(
            |_| vec!["--key".into(), wrong_key.clone(), kari1.clone()],
            &[],
            "CN=scep test 2048"
        ),
        format!("result: failed: {}", scep::Error::Decrypt)
    );
    // With its own certificate it is no recipient at all.
    let (_, text, _) = run_env(
        &[
            "--key",
            path_str(&p384.0),
            "--cert",
            path_str(&p384.1),
            path_str(&dir.join("kari1.der")),
        ],
        &[],
    );
    assert!(
        text.contains(&format!(
            "result: failed: {}",
            scep::Error::RecipientNotFound
        )),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pwri_from_openssl_is_described_and_decrypted() {
    let dir = temp_dir("pwri");
    let plain = plaintext(&dir);
    let password = "correct horse 7";
    std::fs::write(dir.join("pw.txt"), format!("{password}\n")).unwrap();
    std::fs::write(dir.join("wrong.txt"), "correct horse 8\n").unwrap();
    let decrypt_error = format!("result: failed: {}", scep::Error::Decrypt);
    for (i, cipher) in ["-aes128", "-aes192", "-aes256"].iter().enumerate() {
        let out = dir.join(format!("pwri{i}.der"));
        openssl(
            &dir,
            &[
                "cms",
                "-encrypt",
                "-binary",
                "-in",
                path_str(&plain),
                "-outform",
                "DER",
                "-out",
                path_str(&out),
                cipher,
                "-pwri_password",
                password,
            ],
        );
        let bits = cipher.trim_start_matches("-aes");
        let pw_file = dir.join("pw.txt");
        // The password from a file, from the environment, and on the command line.
        type Way<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);
        let ways: [Way<'_>; 3] = [
            (vec!["--password-file", path_str(&pw_file)], vec![]),
            (vec![], vec![("SCEP_PASSWORD", password)]),
            (vec!["--password", password], vec![]),
        ];
        for (args, env) in &ways {
            let mut args = args.clone();
            args.push(path_str(&out));
            let (code, text, stderr) = run_env(&args, env);
            assert_eq!(code, Some(0), "{args:?}: {stderr}");
            for want in [
                "- kind: pwri".to_owned(),
                "algorithm: PBKDF2 (1.2.840.113549.1.5.12".to_owned(),
                "salt: 8 octets".to_owned(),
                "iterations: 2048".to_owned(),
                "prf: hmacWithSHA1 (absent: the default)".to_owned(),
                "key encryption: id-alg-PWRI-KEK (1.2.840.113549.1.9.16.3.9)".to_owned(),
                format!("key encryption cipher: aes{bits}-cbc"),
                "recipient: the password recipient (PWRI)".to_owned(),
                "key transport: Password".to_owned(),
                "subject: CN=scep test 2048".to_owned(),
            ] {
                assert!(text.contains(&want), "{args:?}: wants {want:?} in\n{text}");
            }
            assert!(!text.contains(password) && !stderr.contains(password));
        }

        // A wrong password and a corrupted last block (bad padding with the right password)
        // end in the same single decryption error.
        let wrong_file = path_str(&dir.join("wrong.txt")).to_owned();
        let out_s = path_str(&out).to_owned();
        let wrong = failure_line(
            |_| vec!["--password-file".into(), wrong_file.clone(), out_s.clone()],
            &[],
            "CN=scep test 2048",
        );
        assert_eq!(wrong, decrypt_error);
        // Bad padding: the top bit of the next-to-last ciphertext block's last octet flipped,
        // which flips it in the padding octet (CBC), making it 0x80 or more (the encrypted
        // content ends the file).
        let plain_bytes = std::fs::read(&out).unwrap();
        let pw_s = path_str(&pw_file).to_owned();
        let padding = failure_line(
            |n| {
                let mut bytes = plain_bytes.clone();
                let at = bytes.len() - 1 - 16;
                bytes[at] ^= 0x80;
                let bad = dir.join(format!("pwri{i}.bad{n}.der"));
                std::fs::write(&bad, &bytes).unwrap();
                vec![
                    "--password-file".into(),
                    pw_s.clone(),
                    path_str(&bad).to_owned(),
                ]
            },
            &[],
            "CN=scep test 2048",
        );
        assert_eq!(padding, wrong);
    }

    // An empty password is a usage error; without a password nothing is decrypted.
    let (code, _, _) = run_env(&["--password", "", path_str(&dir.join("pwri0.der"))], &[]);
    assert_eq!(code, Some(2));
    let (_, text, _) = run_env(&[path_str(&dir.join("pwri0.der"))], &[]);
    assert!(
        text.contains("- kind: pwri") && !text.contains("decrypted"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A password recipient with few PBKDF2 iterations (OpenSSL's 2048 patched down to 500) is
/// linted; the unpatched one is not.
#[test]
fn pwri_low_iteration_count_is_linted() {
    let dir = temp_dir("pwri-lint");
    let plain = plaintext(&dir);
    let out = dir.join("pwri.der");
    openssl(
        &dir,
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            path_str(&plain),
            "-outform",
            "DER",
            "-out",
            path_str(&out),
            "-aes256",
            "-pwri_password",
            "pw",
        ],
    );
    let (_, text, _) = run_env(&["--lint", path_str(&out)], &[]);
    assert!(!text.contains("pwri-low-iterations"), "{text}");
    let mut bytes = std::fs::read(&out).unwrap();
    // PBKDF2-params: salt OCTET STRING (8), then INTEGER 2048 (02 02 08 00).
    let at = bytes
        .windows(4)
        .position(|w| w == [0x02, 0x02, 0x08, 0x00])
        .expect("iteration count");
    bytes[at + 2..at + 4].copy_from_slice(&[0x01, 0xf4]);
    let low = dir.join("low.der");
    std::fs::write(&low, &bytes).unwrap();
    let (code, text, _) = run_env(&["--lint", path_str(&low)], &[]);
    assert_eq!(code, Some(0));
    assert!(text.contains("iterations: 500"), "{text}");
    assert!(text.contains("id: pwri-low-iterations"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pkiMessage whose envelope has a key-agreement recipient (sealed to the P-256 test
/// certificate) or a password recipient: the signature is checked, the envelope described and
/// opened with `--key` (EC) or the password, and the CSR inside shown.
#[test]
fn pki_messages_with_kari_and_pwri_envelopes() {
    use scep::Certificate;
    use scep::attr::{Nonce, TransactionId};
    use scep::crypto::KeyTransport;
    use scep::envelope::{Password, SealOptions};
    use scep::message::{Csr, MessageBody, PkiMessage};
    use scep::provider::rustcrypto::{PROVIDER, RsaKey};

    let data = |n: &str| std::fs::read(root().join("tests/data").join(n)).unwrap();
    let device = RsaKey::from_pem(
        &data("client2048.pkcs8.pem"),
        Certificate::from_pem(&data("client2048.cert.pem")).unwrap(),
    )
    .unwrap();
    let ec_ca = Certificate::from_pem(&data("p256.cert.pem")).unwrap();
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let mut rng = getrandom::SysRng;
    let msg = PkiMessage {
        transaction_id: TransactionId::random(&mut rng).unwrap(),
        sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
        recipient_nonce: None,
        body: MessageBody::PkcsReq(csr.clone()),
    };
    let dir = temp_dir("pki-kari-pwri");
    let kari = dir.join("kari.der");
    let sealed = scep::envelope::seal(
        &msg,
        &device,
        Some(&ec_ca),
        &SealOptions::DEFAULT,
        &PROVIDER,
        &mut rng,
    )
    .unwrap();
    std::fs::write(&kari, sealed).unwrap();
    let pwri = dir.join("pwri.der");
    let password = "pki message pw";
    let sealed = scep::envelope::seal(
        &msg,
        &device,
        None,
        &SealOptions::DEFAULT
            .with_key_transport(KeyTransport::Password)
            .with_password(Some(Password(password.as_bytes()))),
        &PROVIDER,
        &mut rng,
    )
    .unwrap();
    std::fs::write(&pwri, sealed).unwrap();
    let subject = csr.subject().to_string();

    let (code, text, stderr) = run_env(
        &[
            "--key",
            "tests/data/p256.pkcs8.pem",
            "--cert",
            "tests/data/p256.cert.pem",
            path_str(&kari),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    for want in [
        "kind: pkiMessage",
        "signature: valid",
        "- kind: kari",
        "curve: P-256",
        "key agreement: dhSinglePass-stdDH-sha256kdf-scheme",
        "decrypted:",
        "key transport: EcdhKeyAgree { kdf: Sha256 }",
        &format!("subject: {subject}"),
    ] {
        assert!(text.contains(want), "wants {want:?} in\n{text}");
    }

    let (code, text, stderr) = run_env(&[path_str(&pwri)], &[("SCEP_PASSWORD", password)]);
    assert_eq!(code, Some(0), "{stderr}");
    for want in [
        "signature: valid",
        "- kind: pwri",
        "iterations: 10000",
        "prf: hmacWithSHA256",
        "recipient: the password recipient (PWRI)",
        "key transport: Password",
        &format!("subject: {subject}"),
    ] {
        assert!(text.contains(want), "wants {want:?} in\n{text}");
    }
    assert!(!text.contains(password));
    assert_eq!(text.matches("recipient: ").count(), 1, "{text}");
    let (_, text, _) = run_env(&["--password", "not it", path_str(&pwri)], &[]);
    assert!(
        text.contains(&format!("result: failed: {}", scep::Error::Decrypt)),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
