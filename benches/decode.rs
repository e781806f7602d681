//! Work without any private-key operation: decoding messages (no signature check, no
//! decryption), GetCACaps parsing and negotiation, and the HTTP GET decode of a PKIOperation.
//!
//! Allocation counts per operation are printed first, as `allocs <bench>/<id> ...`.

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

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scep::caps::{Capabilities, Policy};
use scep::envelope::{self, OpenOptions};
use scep::http::{self, HttpLimits};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};

use support::{Enrolment, SIZES};

#[global_allocator]
static GLOBAL: support::Counting = support::Counting;

fn key(name: &str) -> RsaKey {
    RsaKey::from_pem(
        &support::data(&format!("{name}.pkcs8.pem")),
        support::cert(name),
    )
    .unwrap()
}

fn decode(c: &mut Criterion) {
    for bits in SIZES {
        let e = Enrolment::new(
            bits,
            PROVIDER,
            key(&format!("ra{bits}")),
            key(&format!("client{bits}")),
        );
        let size = format!("rsa{bits}");
        for (bench, bytes) in [
            ("decode_pkcsreq", &e.request.body),
            ("decode_certrep", &e.reply),
        ] {
            let parse = || envelope::parse(black_box(bytes), &OpenOptions::DEFAULT).unwrap();
            support::report_allocs(&format!("{bench}/rustcrypto/{size}"), parse);
            let mut g = c.benchmark_group(bench);
            g.throughput(Throughput::Bytes(bytes.len() as u64));
            g.bench_function(BenchmarkId::new("rustcrypto", &size), |b| b.iter(parse));
        }
    }
}

/// A typical RFC 8894 server's GetCACaps body, with the keywords micromdm's server sends.
const CAPS: &[u8] =
    b"Renewal\nSHA-1\nSHA-256\nSHA-512\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation\nGetNextCACert";

fn caps(c: &mut Criterion) {
    let op = || {
        Capabilities::from_http(200, black_box(CAPS))
            .negotiate(&Policy::default(), &PROVIDER)
            .unwrap()
    };
    support::report_allocs("caps/rustcrypto/any", op);
    c.benchmark_group("caps")
        .bench_function(BenchmarkId::new("rustcrypto", "any"), |b| b.iter(op));
}

fn http_get(c: &mut Criterion) {
    let e = Enrolment::new(2048, PROVIDER, key("ra2048"), key("client2048"));
    let target = http::url_for(
        "/scep",
        http::Operation::PkiOperation,
        Some(&e.request.body),
    );
    let limits = HttpLimits::default();
    let op = || http::parse_request("GET", black_box(&target), b"", &limits).unwrap();
    assert_eq!(op().message.as_deref(), Some(&e.request.body[..]));
    support::report_allocs("http_get/rustcrypto/any", op);
    let mut g = c.benchmark_group("http_get");
    g.throughput(Throughput::Bytes(target.len() as u64));
    g.bench_function(BenchmarkId::new("rustcrypto", "any"), |b| b.iter(op));
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, caps, http_get
}
criterion_main!(benches);
