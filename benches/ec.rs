//! One enrolment of a P-256 device (issue #15), step by step, beside `benches/envelope.rs`'s
//! RSA-2048 one: against an RSA-2048 RA (request by RSA key transport, reply by key agreement)
//! and against a P-256 CA (ECDSA and ECDH only), per provider.
//!
//! | bench | who | public-key operations (P-256 device → P-256 CA) |
//! |---|---|---|
//! | `ec_pkcsreq_build` | client: `Client::enroll` | ECDSA sign + ephemeral ECDH |
//! | `ec_pkcsreq_server` | server: `Server::pki_operation` | ECDH + 2 ECDSA verify (message, CSR) + self-signed check |
//! | `ec_certrep_build` | server: `Server::reply` with SUCCESS | ECDSA sign + ephemeral ECDH |
//! | `ec_certrep_open` | client: `Client::handle` | ECDSA verify + ECDH |

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

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scep::Certificate;
use scep::builder;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions};
use scep::crypto::{CryptoProvider, Decryptor, EcCurve, Signer};
use scep::message::Csr;
use scep::provider::rustcrypto::{EcKey, EcPrivateKey, RsaKey};
use scep::server::{Decision, Incoming, Server};

use support::rng;

#[global_allocator]
static GLOBAL: support::Counting = support::Counting;

fn time(y: u16) -> der::DateTime {
    der::DateTime::new(y, 1, 1, 0, 0, 0).unwrap()
}

fn ec_key(cn: &str, ca: bool) -> EcKey {
    use scep::x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    let key = EcPrivateKey::generate(EcCurve::P256, &mut rng()).unwrap();
    let alg = key.default_signature_algorithm();
    let mut usage = KeyUsages::DigitalSignature | KeyUsages::KeyAgreement;
    if ca {
        usage |= KeyUsages::KeyCertSign;
    }
    let t = builder::CertificateTemplate {
        serial: vec![3],
        subject: format!("CN={cn}").parse().unwrap(),
        not_before: time(2020),
        not_after: time(2060),
        public_key: key.public_key_info().unwrap(),
        is_ca: ca,
        key_usage: Some(KeyUsage(usage)),
        extensions: vec![],
    };
    let cert = builder::certificate(
        &t,
        None,
        alg,
        &mut |m| key.sign(alg, m),
        &scep::provider::rustcrypto::PROVIDER,
    )
    .unwrap();
    EcKey::new(key, cert).unwrap()
}

fn bench<K: Signer + Decryptor + Clone>(
    c: &mut Criterion,
    provider_name: &str,
    setup: &str,
    provider: CryptoProvider,
    ra: K,
) {
    let mut r = rng();
    let ra_cert: Certificate = Signer::certificate(&ra).clone();
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra_cert.clone()],
        Capabilities::rfc8894_server(),
        provider,
    );
    let caps = Capabilities::parse(Capabilities::rfc8894_server().render().as_bytes());
    let client = scep::ca_certs::CaCertificates::new(vec![ra_cert.clone()])
        .and_then(|ca| {
            Client::new(ca.trust_on_first_use(), caps, provider)?
                .with_options(ClientOptions::default().with_endpoint("/scep"))
        })
        .unwrap();
    let device = ec_key("p256 device", false);
    let alg = device.private_key().default_signature_algorithm();
    let csr: Csr = builder::csr(
        &"CN=p256 device".parse().unwrap(),
        &device.private_key().public_key_info().unwrap(),
        Some("challenge"),
        &[],
        alg,
        &mut |m| device.private_key().sign(alg, m),
    )
    .unwrap();
    let (request, tx) = client.enroll(&csr, &device, &mut r).unwrap();
    let pki_request = match server.pki_operation(&request.body, &mut r) {
        Incoming::Request(x) => x,
        other => panic!("{other:?}"),
    };
    // The CA issues the device's certificate: the client checks its signature and validity.
    let template = builder::CertificateTemplate {
        serial: vec![7],
        subject: csr.subject().clone(),
        not_before: der::DateTime::new(2025, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(2049, 1, 1, 0, 0, 0).unwrap(),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: None,
        extensions: vec![],
    };
    let issued = builder::certificate(
        &template,
        Some(&ra_cert),
        Signer::signature_algorithm(&ra),
        &mut |m| Signer::sign(&ra, m),
        &provider,
    )
    .unwrap();
    let decision = || Decision::Issued {
        certificate: issued.clone(),
        chain: vec![],
    };
    let reply = server.reply(&pki_request, decision(), &mut r).unwrap().body;

    let build = || client.enroll(&csr, &device, &mut rng()).unwrap();
    let open = || match server.pki_operation(&request.body, &mut rng()) {
        Incoming::Request(x) => x,
        other => panic!("{other:?}"),
    };
    let answer = || server.reply(&pki_request, decision(), &mut rng()).unwrap();
    let handle = || {
        client
            .handle(&tx, 200, None, &reply, &device, support::now(), &mut rng())
            .unwrap()
    };
    let id = || BenchmarkId::new(provider_name, setup);
    support::report_allocs(&format!("ec_pkcsreq_build/{provider_name}/{setup}"), build);
    support::report_allocs(&format!("ec_pkcsreq_server/{provider_name}/{setup}"), open);
    support::report_allocs(&format!("ec_certrep_build/{provider_name}/{setup}"), answer);
    support::report_allocs(&format!("ec_certrep_open/{provider_name}/{setup}"), handle);
    c.benchmark_group("ec_pkcsreq_build")
        .bench_function(id(), |b| b.iter(build));
    c.benchmark_group("ec_pkcsreq_server")
        .bench_function(id(), |b| b.iter(open));
    c.benchmark_group("ec_certrep_build")
        .bench_function(id(), |b| b.iter(answer));
    c.benchmark_group("ec_certrep_open")
        .bench_function(id(), |b| b.iter(handle));
}

fn rustcrypto(c: &mut Criterion) {
    use scep::provider::rustcrypto::PROVIDER;
    let rsa =
        RsaKey::from_pem(&support::data("ra2048.pkcs8.pem"), support::cert("ra2048")).unwrap();
    bench(c, "rustcrypto", "p256-to-rsa2048", PROVIDER, rsa);
    bench(
        c,
        "rustcrypto",
        "p256-to-p256",
        PROVIDER,
        ec_key("p256 ca", true),
    );
}

#[cfg(feature = "aws-lc-rs")]
fn aws_lc(c: &mut Criterion) {
    use scep::provider::aws_lc::{AwsLcRsaKey, PROVIDER};
    let rsa =
        AwsLcRsaKey::from_pem(&support::data("ra2048.pkcs8.pem"), support::cert("ra2048")).unwrap();
    bench(c, "aws-lc", "p256-to-rsa2048", PROVIDER, rsa);
    bench(
        c,
        "aws-lc",
        "p256-to-p256",
        PROVIDER,
        ec_key("p256 ca", true),
    );
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
