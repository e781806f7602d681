//! Mutation sweep: every prefix and single-bit flips of real messages (shared vectors when
//! `SCEP_VECTORS` is set, our peer captures, messages we seal ourselves) must give `Ok` or a
//! typed error, never a panic, each in bounded time.
//!
//! Each mutated input goes through every fuzz entry point (`scep::internal::all`) and through
//! the real provider: `envelope::parse` → `verify`, then `decrypt` where the test holds the
//! recipient's key. All prefixes are tried; bit flips are all tried for messages of up to
//! `SCEP_SWEEP_FLIPS` bits (default 1000) and otherwise sampled deterministically (a fixed
//! xorshift sequence), so the sweep stays well under a minute in a debug build on two cores.
//! `SCEP_SWEEP_FLIPS=1000000 cargo test --release --test replay sweep` flips every bit.

use std::time::{Duration, Instant};

use scep::Certificate;
use scep::crypto::Decryptor;
use scep::envelope::{self, OpenOptions};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};

use crate::{manifest_dir, our_sealed_messages, replay_one};

/// Slowest acceptable input (debug build, shared machine): a regression to quadratic work on a
/// few-KiB message shows up far above this.
const MAX_PER_INPUT: Duration = Duration::from_secs(2);

fn key(dir: &str, cert: &str, key: &str) -> RsaKey {
    let read = |n: &str| std::fs::read(manifest_dir().join(dir).join(n)).unwrap();
    RsaKey::from_pem(&read(key), Certificate::from_pem(&read(cert)).unwrap()).unwrap()
}

struct Subject {
    name: String,
    bytes: Vec<u8>,
    decryptor: Option<RsaKey>,
}

fn subjects() -> Vec<Subject> {
    let peers = "tests/data/peers";
    let micromdm = key(peers, "micromdm-ca.pem", "micromdm-ca.key.pem");
    let ra = key("tests/data", "ra2048.cert.pem", "ra2048.pkcs8.pem");
    let client = key("tests/data", "client2048.cert.pem", "client2048.pkcs8.pem");
    let read = |n: &str| std::fs::read(manifest_dir().join(peers).join(n)).unwrap();
    let mut out = vec![
        Subject {
            name: "peer certmonger-pkcsreq.der".into(),
            bytes: read("certmonger-pkcsreq.der"),
            decryptor: Some(micromdm.clone()),
        },
        Subject {
            name: "peer scepclient-pkcsreq.der".into(),
            bytes: read("scepclient-pkcsreq.der"),
            decryptor: Some(micromdm),
        },
        Subject {
            name: "peer scepserver-certrep-failure.der".into(),
            bytes: read("scepserver-certrep-failure.der"),
            decryptor: None,
        },
    ];
    for (name, bytes) in our_sealed_messages() {
        let decryptor = Some(if name.contains("certrep") {
            client.clone()
        } else {
            ra.clone()
        });
        out.push(Subject {
            name,
            bytes,
            decryptor,
        });
    }
    if let Some((_, _, fixture_request)) = scep::internal::seeds()
        .into_iter()
        .find(|(t, n, _)| *t == "server" && n == "fuzz-pkcsreq")
    {
        out.push(Subject {
            name: "fuzz-pkcsreq".into(),
            bytes: fixture_request,
            decryptor: None,
        });
    }
    match std::env::var_os("SCEP_VECTORS") {
        Some(v) => {
            for f in [
                "jscep/scep_req2.der",
                "smallstep-scep/CertRep_success_ndes_nocerts.der",
                "ejbca/ciscopix_pkcsreq_ber.der",
            ] {
                out.push(Subject {
                    name: format!("vector {f}"),
                    bytes: std::fs::read(std::path::Path::new(&v).join(f)).unwrap(),
                    decryptor: None,
                });
            }
        }
        None => println!("sweep: SCEP_VECTORS is not set, sweeping captures and our messages"),
    }
    out
}

fn real_provider(bytes: &[u8], decryptor: Option<&RsaKey>) {
    let extra: Vec<Certificate> = decryptor
        .map(|d| Decryptor::certificate(d).clone())
        .into_iter()
        .collect();
    #[allow(unused_mut)]
    let mut opts = OpenOptions::DEFAULT.with_extra_certificates(&extra);
    #[cfg(feature = "insecure-legacy")]
    {
        opts.legacy = scep::crypto::Legacy::allow_if(true).unwrap();
    }
    let Ok(parsed) = envelope::parse(bytes, &opts) else {
        return;
    };
    let Ok(verified) = parsed.verify(&PROVIDER) else {
        return;
    };
    if let Some(d) = decryptor {
        let _ = verified.decrypt(d, &PROVIDER, &mut getrandom::SysRng);
    }
}

/// `n` distinct-ish bit positions below `bits`, the same on every run.
fn sampled_bits(bits: usize, n: usize) -> Vec<usize> {
    if bits <= n {
        return (0..bits).collect();
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            usize::try_from(x % bits as u64).unwrap()
        })
        .collect()
}

#[test]
fn sweep_prefixes_and_bit_flips() {
    let budget: usize = std::env::var("SCEP_SWEEP_FLIPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let started = Instant::now();
    let mut total = 0usize;
    let mut slowest = (Duration::ZERO, String::new());
    for s in subjects() {
        let mut run = |label: String, input: &[u8]| {
            let t0 = Instant::now();
            replay_one(&label, input);
            real_provider(input, s.decryptor.as_ref());
            let t = t0.elapsed();
            assert!(t < MAX_PER_INPUT, "{label}: took {t:?}");
            if t > slowest.0 {
                slowest = (t, label);
            }
            total += 1;
        };
        for len in 0..s.bytes.len() {
            run(format!("{} prefix {len}", s.name), &s.bytes[..len]);
        }
        let mut flipped = s.bytes.clone();
        for bit in sampled_bits(s.bytes.len() * 8, budget) {
            flipped[bit / 8] ^= 1 << (bit % 8);
            run(format!("{} bit {bit}", s.name), &flipped);
            flipped[bit / 8] ^= 1 << (bit % 8);
        }
    }
    println!(
        "sweep: {total} inputs in {:?}, slowest {:?} ({})",
        started.elapsed(),
        slowest.0,
        slowest.1
    );
}
