//! Server-side time of the decryption failure paths against a valid request: bad PKCS #1
//! padding, a key of the wrong length, bad CBC padding (after junk, and after a real CSR), and
//! good padding around a plaintext that does not decode (a truncated CSR, junk, DER of another
//! type). A split between the failure paths would be a timing oracle (bad against good CBC
//! padding is the classic one); `tests/interop/oracle.rs` checks that their answers are
//! identical.
//!
//! ```text
//! cargo bench --bench oracle
//! ```
//!
//! The valid request ends where the application takes over (no reply is signed), while every
//! failure is answered with a signed CertRep FAILURE, so the valid path is the faster one; what
//! matters is that the failure paths take the same time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use core::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use scep::Certificate;
use scep::crypto::{CryptoError, Decryptor, KeyTransport};
use scep::envelope::{self, OpenOptions};
use scep::provider::rustcrypto::PROVIDER;
use zeroize::Zeroizing;

#[allow(
    dead_code,
    reason = "shared with the oracle test, which uses all of it"
)]
#[path = "../tests/interop/oracle_cases.rs"]
mod oracle_cases;
#[path = "../tests/interop/surgery.rs"]
#[allow(dead_code)]
mod surgery;

fn oracle(c: &mut Criterion) {
    let cases = oracle_cases::cases();
    let mut group = c.benchmark_group("server_pki_operation");
    group.sample_size(30);
    for (name, request) in &cases.requests {
        group.bench_function(*name, |b| {
            let mut rng = getrandom::SysRng;
            b.iter(|| black_box(cases.server.pki_operation(black_box(request), &mut rng)));
        });
    }
    group.finish();
}

/// The RA's certificate, answering key transport with the content key the cases were built
/// with and no RSA, so that only the work after key transport is timed.
struct KnownKey(Certificate);

impl Decryptor for KnownKey {
    fn certificate(&self) -> &Certificate {
        &self.0
    }

    fn decrypt_key(
        &self,
        _alg: KeyTransport,
        _encrypted_key: &[u8],
        _key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(Zeroizing::new(oracle_cases::CONTENT_KEY.to_vec()))
    }
}

/// The part of `server_pki_operation` that CBC padding and the plaintext decide: parse, content
/// decryption and payload decoding (no RSA, no reply), in microseconds instead of the
/// milliseconds of the RSA operations around it, so a split between bad and good padding shows.
fn after_key_transport(c: &mut Criterion) {
    let cases = oracle_cases::cases();
    let key = KnownKey(cases.server_cert());
    let mut group = c.benchmark_group("after_key_transport");
    group.sample_size(50);
    for (name, request) in cases.requests.iter().filter(|(n, _)| {
        n.contains("CBC") || n.starts_with("good padding") || n.ends_with("rebuilt")
    }) {
        group.bench_function(*name, |b| {
            let mut rng = getrandom::SysRng;
            b.iter(|| {
                black_box(
                    envelope::parse(black_box(request), &OpenOptions::DEFAULT)
                        .and_then(|p| p.decrypt_unverified(&key, &PROVIDER, &mut rng)),
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, oracle, after_key_transport);
criterion_main!(benches);
