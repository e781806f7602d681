//! A SCEP load generator: N enrollments (PKCSReq → SUCCESS) with K in flight against one
//! server; prints enrollments/s and p50/p99 latency. `benches/load.sh` runs it against
//! `scep serve` (both providers) and micromdm's `scepserver`.
//!
//! ```text
//! cargo bench -p scep-cli --features insecure-legacy --bench load -- URL [-n N] [-k K]
//!     [--challenge SECRET] [--legacy] [--rsa-rate]
//! ```
//!
//! `--legacy` accepts single DES replies (micromdm's `scepserver`). `--rsa-rate` prints the
//! RSA-2048 private operations per second of the default provider alone, on this machine.
//! With the `aws-lc-rs` feature the load client itself uses the native provider. The device
//! key is made once (`tests/data/client2048`); every enrollment is a new
//! transaction with its own CSR (subject `CN=load-<i>`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::path::Path;
use std::time::Instant;

use scep::Certificate;
use scep::builder;
use scep::ca_certs::CaCertificates;
use scep::caps::{Capabilities, Policy};
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::{DigestAlgorithm, Legacy, SignatureAlgorithm, Signer};
use scep::http::{HttpRequest as Request, Method};
use scep::limits::Limits;
use scep::provider::rustcrypto::RsaKey;

// The load client's own RSA work shares the machine with the server: with the native
// provider built, the client uses it (the same client for every server measured).
#[cfg(feature = "aws-lc-rs")]
use scep::provider::aws_lc::{AwsLcRsaKey as ClientKey, PROVIDER as CLIENT_PROVIDER};
#[cfg(not(feature = "aws-lc-rs"))]
use scep::provider::rustcrypto::{PROVIDER as CLIENT_PROVIDER, RsaKey as ClientKey};

#[cfg(feature = "aws-lc-rs")]
fn client_key(k: RsaKey) -> ClientKey {
    ClientKey::new(k).unwrap()
}
#[cfg(not(feature = "aws-lc-rs"))]
fn client_key(k: RsaKey) -> ClientKey {
    k
}

fn send(agent: &ureq::Agent, origin: &str, req: &Request) -> (u16, Option<String>, Vec<u8>) {
    let url = format!("{origin}{}", req.path_and_query);
    let mut r = match req.method {
        Method::Post => agent
            .post(&url)
            .header("Content-Type", req.content_type.unwrap_or_default())
            .send(&req.body[..]),
        _ => agent.get(&url).call(),
    }
    .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, ct, r.body_mut().read_to_vec().unwrap())
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data")
            .join(name),
    )
    .unwrap()
}

fn rsa_rate() -> f64 {
    let cert = Certificate::from_pem(&data("client2048.cert.pem")).unwrap();
    let key = RsaKey::from_pem(&data("client2048.pkcs8.pem"), cert).unwrap();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(2) {
        key.sign(&n.to_be_bytes()).unwrap();
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn now() -> scep::trust::UnixTime {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    scep::trust::UnixTime::since_epoch(since)
}

fn main() {
    let mut url = None;
    let (mut n, mut k) = (1000usize, 8usize);
    let mut challenge: Option<String> = None;
    let mut legacy = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-n" => n = args.next().unwrap().parse().unwrap(),
            "-k" => k = args.next().unwrap().parse().unwrap(),
            "--challenge" => challenge = args.next(),
            "--legacy" => legacy = true,
            "--rsa-rate" => {
                println!("rsa2048_private_ops_per_s={:.0}", rsa_rate());
                return;
            }
            "--bench" => {}
            other => url = Some(other.to_owned()),
        }
    }
    let url = url.expect("usage: load URL [-n N] [-k K] [--challenge S] [--legacy]");
    let rest = url.strip_prefix("http://").expect("http:// URL");
    let slash = rest.find('/').expect("URL with a path") + "http://".len();
    let (origin, path) = url.split_at(slash);
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build(),
    );
    let (status, _, body) = send(&agent, origin, &Request::get_ca_caps(path, None));
    let caps = Capabilities::from_http(status, &body);
    let (_, _, body) = send(&agent, origin, &Request::get_ca_cert(path, None));
    let ca = CaCertificates::parse(&body, &Limits::DEFAULT).unwrap();
    let legacy = Legacy::allow_if(legacy).expect("--legacy needs --features insecure-legacy");
    let options = ClientOptions::default()
        .with_endpoint(path)
        .with_policy(Policy::default().with_legacy(legacy));
    // A benchmark against a server on this machine: its certificates trusted as they come.
    let client = Client::new(ca.trust_on_first_use(), caps, CLIENT_PROVIDER)
        .and_then(|c| c.with_options(options))
        .unwrap();
    let digest = client.negotiated().digest;
    let sig = SignatureAlgorithm::RsaPkcs1v15(digest);
    let cert = Certificate::from_pem(&data("client2048.cert.pem")).unwrap();
    let key = client_key(RsaKey::from_pem(&data("client2048.pkcs8.pem"), cert).unwrap())
        .with_signature_algorithm(sig);
    let csr_sig = if digest.is_legacy() {
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha1)
    } else {
        sig
    };
    let csr_key = key.clone().with_signature_algorithm(csr_sig);
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..k)
            .map(|_| {
                s.spawn(|| {
                    let mut rng = getrandom::SysRng;
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let t = Instant::now();
                        // A subject per enrollment: micromdm refuses a second certificate
                        // for a subject it has issued to.
                        let csr = builder::csr(
                            &format!("CN=load-{i}").parse().unwrap(),
                            key.certificate().subject_public_key_info(),
                            challenge.as_deref(),
                            &[],
                            csr_sig,
                            &mut |m| csr_key.sign(m),
                        )
                        .unwrap();
                        let (req, tx) = client.enroll(&csr, &key, &mut rng).unwrap();
                        let (status, ct, body) = send(&agent, origin, &req);
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        match client
                            .handle(&tx, status, ct.as_deref(), &body, &key, now(), &mut rng)
                            .unwrap()
                        {
                            Outcome::Issued { .. } => {}
                            other => panic!("{other:?}"),
                        }
                        mine.push(t.elapsed());
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let wall = start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "enrollments={} in_flight={k} seconds={wall:.2} per_s={:.1} p50_ms={:.1} p99_ms={:.1}",
        latencies.len(),
        latencies.len() as f64 / wall,
        pct(0.5),
        pct(0.99)
    );
}
