//! The four steps of an enrolment with real RSA keys (2048 and 4096 bits), per provider, and
//! the RSA operations themselves, so that the library's share of each step can be read off.
//!
//! | bench | who | RSA operations |
//! |---|---|---|
//! | `pkcsreq_build` | client: `Client::enroll` | 1 private (sign) + 1 public (encrypt) |
//! | `pkcsreq_open` | server: `envelope::open` | 1 private (decrypt) + 1 public (verify) |
//! | `pkcsreq_server` | server: `Server::pki_operation` (open, CSR and signer checks) | 1 private + 3 public |
//! | `certrep_build` | server: `Server::reply` with SUCCESS | 1 private (sign) + 1 public (encrypt) |
//! | `certrep_open` | client: `Client::handle` | 1 private (decrypt) + 1 public (verify) |
//! | `rsa_sign`, `rsa_decrypt`, `rsa_verify`, `rsa_encrypt` | the provider's RSA alone | 1 |
//!
//! Allocation counts per operation are printed first, as `allocs <bench>/<provider>/<size> ...`.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "a bench: fixtures are known good"
)]

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scep::crypto::{CryptoProvider, Decryptor, KeyTransport, Signer};
use scep::envelope::{self, OpenOptions};
use scep::server::{Decision, Incoming};

use support::{Enrolment, SIZES, rng};

#[global_allocator]
static GLOBAL: support::Counting = support::Counting;

fn provider_benches<K: Signer + Decryptor + Clone>(
    c: &mut Criterion,
    name: &str,
    provider: CryptoProvider,
    load: impl Fn(&str) -> K,
) {
    for bits in SIZES {
        let e = Enrolment::new(
            bits,
            provider,
            load(&format!("ra{bits}")),
            load(&format!("client{bits}")),
        );
        let size = format!("rsa{bits}");
        let id = || BenchmarkId::new(name, &size);
        let build = || e.client.enroll(&e.csr, &e.device, &mut rng()).unwrap();
        let open = || {
            envelope::open(
                &e.request.body,
                &OpenOptions::DEFAULT,
                &e.provider,
                &e.ra,
                &mut rng(),
            )
            .unwrap()
        };
        let server = || match e.server.pki_operation(&e.request.body, &mut rng()) {
            Incoming::Request(r) => r,
            other => panic!("{other:?}"),
        };
        let reply = || {
            e.server
                .reply(
                    &e.pki_request,
                    Decision::Issued {
                        certificate: e.issued.clone(),
                        chain: vec![],
                    },
                    &mut rng(),
                )
                .unwrap()
        };
        let handle = || {
            e.client
                .handle(
                    &e.transaction,
                    200,
                    None,
                    &e.reply,
                    &e.device,
                    support::now(),
                    &mut rng(),
                )
                .unwrap()
        };
        support::report_allocs(&format!("pkcsreq_build/{name}/{size}"), build);
        support::report_allocs(&format!("pkcsreq_open/{name}/{size}"), open);
        support::report_allocs(&format!("pkcsreq_server/{name}/{size}"), server);
        support::report_allocs(&format!("certrep_build/{name}/{size}"), reply);
        support::report_allocs(&format!("certrep_open/{name}/{size}"), handle);

        c.benchmark_group("pkcsreq_build")
            .bench_function(id(), |b| b.iter(build));
        c.benchmark_group("pkcsreq_open")
            .bench_function(id(), |b| b.iter(open));
        c.benchmark_group("pkcsreq_server")
            .bench_function(id(), |b| b.iter(server));
        c.benchmark_group("certrep_build")
            .bench_function(id(), |b| b.iter(reply));
        c.benchmark_group("certrep_open")
            .bench_function(id(), |b| b.iter(handle));

        // The RSA operations alone, through the same traits the library calls.
        let ra_cert = Signer::certificate(&e.ra).clone();
        let message = [0x31u8; 300]; // about the size of a PKCSReq's signed attributes
        let signature = Signer::sign(&e.ra, &message).unwrap();
        let content_key = [0x42u8; 16];
        // Private-key operations are blinded with a factor derived from their input, so a
        // fixed input would time one blinding factor only; the flows above see a new one per
        // message. Cycle through several inputs, as the flows do.
        let messages: Vec<[u8; 300]> = (0..16u8).map(|i| [i; 300]).collect();
        let encrypted_keys: Vec<Vec<u8>> = (0..16)
            .map(|_| {
                provider
                    .key_encryptor
                    .encrypt_key(
                        KeyTransport::RsaPkcs1v15,
                        ra_cert.public_key(),
                        &content_key,
                        &mut rng(),
                    )
                    .unwrap()
            })
            .collect();
        let alg = e.ra.signature_algorithm();
        let mut rng = rng();
        let mut cycle_messages = messages.iter().cycle();
        let mut cycle_keys = encrypted_keys.iter().cycle();
        c.benchmark_group("rsa_sign").bench_function(id(), |b| {
            b.iter(|| {
                let m = cycle_messages.next().unwrap();
                Signer::sign(&e.ra, black_box(m)).unwrap()
            })
        });
        c.benchmark_group("rsa_decrypt").bench_function(id(), |b| {
            b.iter(|| {
                let k = cycle_keys.next().unwrap();
                e.ra.decrypt_key(KeyTransport::RsaPkcs1v15, black_box(k), 16)
                    .unwrap()
            })
        });
        c.benchmark_group("rsa_verify").bench_function(id(), |b| {
            b.iter(|| {
                provider
                    .verifier
                    .verify(alg, ra_cert.public_key(), black_box(&message), &signature)
                    .unwrap()
            })
        });
        c.benchmark_group("rsa_encrypt").bench_function(id(), |b| {
            b.iter(|| {
                provider
                    .key_encryptor
                    .encrypt_key(
                        KeyTransport::RsaPkcs1v15,
                        ra_cert.public_key(),
                        black_box(&content_key),
                        &mut rng,
                    )
                    .unwrap()
            })
        });
    }
}

fn rustcrypto(c: &mut Criterion) {
    use scep::provider::rustcrypto::{PROVIDER, RsaKey};
    provider_benches(c, "rustcrypto", PROVIDER, |name| {
        RsaKey::from_pem(
            &support::data(&format!("{name}.pkcs8.pem")),
            support::cert(name),
        )
        .unwrap()
    });
}

#[cfg(feature = "aws-lc-rs")]
fn aws_lc(c: &mut Criterion) {
    use scep::provider::aws_lc::{AwsLcRsaKey, PROVIDER};
    provider_benches(c, "aws-lc", PROVIDER, |name| {
        AwsLcRsaKey::from_pem(
            &support::data(&format!("{name}.pkcs8.pem")),
            support::cert(name),
        )
        .unwrap()
    });
}

#[cfg(not(feature = "aws-lc-rs"))]
fn aws_lc(_: &mut Criterion) {}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = rustcrypto, aws_lc
}
criterion_main!(benches);
