//! Replays inputs through the fuzz entry points (`scep::internal`, the same functions the
//! targets in `fuzz/` call) on the stable toolchain, so CI covers the corpora without nightly:
//!
//! - every file of `fuzz/corpus/**` (committed seeds and the crashes found so far);
//! - every file of `$SCEP_VECTORS/**` (`../shared/vectors`; skipped with a printed reason when
//!   the variable is not set);
//! - every file, recursively, of `$SCEP_EXTRA_CORPUS`, when set, so anyone can throw their own
//!   captures or a fuzzer's output at the crate:
//!
//! ```text
//! SCEP_EXTRA_CORPUS=dir cargo test --release --test replay
//! ```
//!
//! A panic fails the test; an error from the crate is fine. A broken property (our own output
//! does not parse, decode → encode → decode changes a message) fails too.
//!
//! The same binary holds the mutation sweep (`mutation.rs`): every prefix and single-bit flip of
//! real messages. `cargo test --test replay -- --ignored write_seed_corpus` regenerates the
//! seeds in `fuzz/corpus/` (see `fuzz/README.md`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

#[path = "replay/mutation.rs"]
mod mutation;
#[path = "replay/wire.rs"]
mod wire;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, recursively, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs `bytes` through every entry point; panics (with the file name) when a property breaks.
/// Returns how long it took.
pub fn replay_one(name: &str, bytes: &[u8]) -> Duration {
    let start = Instant::now();
    let broken = scep::internal::all(bytes);
    assert!(broken.is_empty(), "{name}: broken properties in {broken:?}");
    start.elapsed()
}

fn replay_dir(label: &str, dir: &Path) -> usize {
    let list = files(dir);
    let mut slowest = (Duration::ZERO, String::new());
    for f in &list {
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            // A live fuzzer's corpus directory: files come and go while we read it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", f.display()),
        };
        let t = replay_one(&f.display().to_string(), &bytes);
        if t > slowest.0 {
            slowest = (t, f.display().to_string());
        }
    }
    println!(
        "{label}: {} files from {}, slowest {:?} ({})",
        list.len(),
        dir.display(),
        slowest.0,
        slowest.1
    );
    list.len()
}

#[test]
fn fuzz_corpus_replays() {
    let dir = manifest_dir().join("fuzz/corpus");
    let n = replay_dir("fuzz/corpus", &dir);
    assert!(n > 50, "only {n} corpus files in {}", dir.display());
    for (target, _) in scep::internal::TARGETS {
        assert!(
            dir.join(target).is_dir(),
            "no corpus directory for target {target}"
        );
    }
}

#[test]
fn shared_vectors_replay() {
    match std::env::var_os("SCEP_VECTORS") {
        Some(v) => {
            let n = replay_dir("SCEP_VECTORS", Path::new(&v));
            assert!(n > 50, "only {n} files in SCEP_VECTORS");
        }
        None => println!("skipped: SCEP_VECTORS is not set (CI sets it to ../shared/vectors)"),
    }
}

#[test]
fn extra_corpus_replays() {
    match std::env::var_os("SCEP_EXTRA_CORPUS") {
        Some(v) => {
            let dir = Path::new(&v);
            assert!(
                dir.is_dir(),
                "SCEP_EXTRA_CORPUS={} is not a directory",
                dir.display()
            );
            replay_dir("SCEP_EXTRA_CORPUS", dir);
        }
        None => println!("skipped: SCEP_EXTRA_CORPUS is not set"),
    }
}

/// The peer captures in `tests/data/peers/`, as `(file name, bytes)`.
pub fn peer_captures() -> Vec<(String, Vec<u8>)> {
    files(&manifest_dir().join("tests/data/peers"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "der" || e == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Messages sealed with the real provider and the test keys in `tests/data`: a PKCSReq to the
/// RA and a CertRep SUCCESS to the client.
pub fn our_sealed_messages() -> Vec<(String, Vec<u8>)> {
    use scep::Certificate;
    use scep::attr::{Nonce, TransactionId};
    use scep::envelope::{self, SealOptions};
    use scep::message::{CertRep, CertsOnly, Csr, MessageBody, PkiMessage};
    use scep::provider::rustcrypto::{PROVIDER, RsaKey};
    let data = |n: &str| std::fs::read(manifest_dir().join("tests/data").join(n)).unwrap();
    let key = |n: &str| {
        let cert = Certificate::from_pem(&data(&format!("{n}.cert.pem"))).unwrap();
        RsaKey::from_pem(&data(&format!("{n}.pkcs8.pem")), cert).unwrap()
    };
    let (client, ra) = (key("client2048"), key("ra2048"));
    let mut rng = getrandom::SysRng;
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let mut out = Vec::new();
    for (name, body, signer, recipient) in [
        ("pkcsreq", MessageBody::PkcsReq(csr), &client, &ra),
        (
            "certrep-success",
            MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(vec![
                client.certificate().clone(),
            ]))),
            &ra,
            &client,
        ),
    ] {
        let msg = PkiMessage {
            transaction_id: TransactionId::random(&mut rng).unwrap(),
            sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
            recipient_nonce: None,
            body,
        };
        let bytes = envelope::seal(
            &msg,
            signer,
            Some(recipient.certificate()),
            &SealOptions::DEFAULT,
            &PROVIDER,
            &mut rng,
        )
        .unwrap();
        out.push((format!("rustcrypto-{name}.der"), bytes));
    }
    out
}

/// KeyAgree and password envelopes (issue #15): standalone EnvelopedData that `openssl cms
/// -encrypt` makes to an EC certificate (P-256 and P-384, KDF SHA-1/256/384) and with
/// `-pwri_password`, and CertReps we seal by key agreement and to a password. Empty without
/// openssl.
pub fn ec_seeds() -> Vec<(String, Vec<u8>)> {
    use scep::attr::{Nonce, TransactionId};
    use scep::crypto::{EcCurve, KeyTransport};
    use scep::envelope::{self, Password, SealOptions};
    use scep::message::{CertRep, CertsOnly, MessageBody, PkiMessage};
    use scep::provider::rustcrypto::{EcPrivateKey, PROVIDER, RsaKey};
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !run(&["version"]) {
        return Vec::new();
    }
    let dir = std::env::temp_dir().join(format!("scep-ec-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(p("in.bin"), b"seed payload").unwrap();
    let mut rng = getrandom::SysRng;
    let data = |n: &str| std::fs::read(manifest_dir().join("tests/data").join(n)).unwrap();
    let ra = RsaKey::from_pem(
        &data("ra2048.pkcs8.pem"),
        scep::Certificate::from_pem(&data("ra2048.cert.pem")).unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    for (curve, label) in [(EcCurve::P256, "p256"), (EcCurve::P384, "p384")] {
        let key = EcPrivateKey::generate(curve, &mut rng).unwrap();
        let alg = key.default_signature_algorithm();
        let cert = scep::builder::self_signed_certificate(
            &"CN=seed".parse().unwrap(),
            key.public_key_info().unwrap(),
            &[1],
            der::DateTime::new(2020, 1, 1, 0, 0, 0).unwrap(),
            der::DateTime::new(2060, 1, 1, 0, 0, 0).unwrap(),
            alg,
            &mut |m| key.sign(alg, m),
            &PROVIDER,
        )
        .unwrap();
        std::fs::write(p("r.crt"), cert.to_pem()).unwrap();
        for md in ["sha1", "sha256", "sha384"] {
            assert!(run(&[
                "cms",
                "-encrypt",
                "-binary",
                "-in",
                &p("in.bin"),
                "-outform",
                "DER",
                "-out",
                &p("env.der"),
                "-aes256",
                "-recip",
                &p("r.crt"),
                "-keyopt",
                &format!("ecdh_kdf_md:{md}"),
            ]));
            out.push((
                format!("openssl-kari-{label}-{md}.der"),
                std::fs::read(p("env.der")).unwrap(),
            ));
        }
        let msg = PkiMessage {
            transaction_id: TransactionId::random(&mut rng).unwrap(),
            sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
            recipient_nonce: None,
            body: MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(vec![
                cert.clone(),
            ]))),
        };
        for (kind, kt) in [
            (
                "kari",
                KeyTransport::EcdhKeyAgree {
                    kdf: curve.default_digest(),
                },
            ),
            ("pwri", KeyTransport::Password),
        ] {
            let opts = SealOptions::DEFAULT
                .with_key_transport(kt)
                .with_password(Some(Password(b"fuzz")));
            let bytes = envelope::seal(&msg, &ra, Some(&cert), &opts, &PROVIDER, &mut rng).unwrap();
            out.push((format!("rustcrypto-certrep-{kind}-{label}.der"), bytes));
        }
    }
    assert!(run(&[
        "cms",
        "-encrypt",
        "-binary",
        "-in",
        &p("in.bin"),
        "-outform",
        "DER",
        "-out",
        &p("env.der"),
        "-aes128",
        "-pwri_password",
        "fuzz",
    ]));
    out.push((
        "openssl-pwri.der".into(),
        std::fs::read(p("env.der")).unwrap(),
    ));
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// Writes only the KeyAgree and password seeds ([`ec_seeds`]) into `fuzz/corpus/{pki_message,
/// client}`.
#[test]
#[ignore = "writes fuzz/corpus; run by fuzz/seed.sh"]
fn write_ec_seed_corpus() {
    let root = manifest_dir().join("fuzz/corpus");
    for (name, bytes) in ec_seeds() {
        for t in ["pki_message", "client"] {
            std::fs::write(root.join(t).join(&name), &bytes).unwrap();
        }
    }
}

/// The corpus reaches the KeyAgree and password parsers: seeds of both kinds are committed.
#[test]
fn corpus_has_key_agree_and_password_seeds() {
    let names: Vec<String> = files(&manifest_dir().join("fuzz/corpus/pki_message"))
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for kind in [
        "openssl-kari-",
        "openssl-pwri",
        "rustcrypto-certrep-kari-",
        "rustcrypto-certrep-pwri-",
    ] {
        assert!(names.iter().any(|n| n.starts_with(kind)), "no {kind} seed");
    }
}

/// Writes the seed corpus: the no-security fixture's messages (`scep::internal::seeds`), the
/// peer captures, messages sealed with the real provider, and the test certificates. Run by
/// `fuzz/seed.sh`. Files from `../shared/vectors` are never copied (they are replayed from
/// there instead).
#[test]
#[ignore = "writes fuzz/corpus; run by fuzz/seed.sh"]
fn write_seed_corpus() {
    let root = manifest_dir().join("fuzz/corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    for (target, name, bytes) in scep::internal::seeds() {
        write(target, &name, &bytes);
    }
    for (name, bytes) in peer_captures() {
        let seed = format!("peer-{name}");
        if name.ends_with(".get.txt") {
            let mut g = vec![0u8];
            g.extend_from_slice(bytes.trim_ascii_end());
            write("http", &seed, &g);
        } else if name.ends_with("getcacaps.txt") {
            write("caps", &seed, &bytes);
        } else if name.ends_with("getcacert.der") {
            write("ca_certs", &seed, &bytes);
        } else if name.contains("certrep") {
            for t in ["pki_message", "client", "roundtrip"] {
                write(t, &seed, &bytes);
            }
        } else {
            for t in ["pki_message", "server", "roundtrip"] {
                write(t, &seed, &bytes);
            }
        }
    }
    for (name, bytes) in our_sealed_messages().into_iter().chain(ec_seeds()) {
        let targets: &[&str] = if name.contains("certrep") {
            &["pki_message", "client"]
        } else {
            &["pki_message", "server"]
        };
        for t in targets {
            write(t, &name, &bytes);
        }
    }
    for f in files(&manifest_dir().join("tests/data")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if f.parent().unwrap().ends_with("data") && name.ends_with(".cert.pem") {
            let cert = scep::Certificate::from_pem(&std::fs::read(&f).unwrap()).unwrap();
            write(
                "ca_certs",
                &name.replace(".cert.pem", ".cert.der"),
                cert.as_der(),
            );
        } else if name == "client2048.csr.der" || name == "ra2048.crl.der" {
            write("ca_certs", &name, &std::fs::read(&f).unwrap());
        }
    }
}
