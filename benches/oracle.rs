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

criterion_group!(benches, oracle);
criterion_main!(benches);
