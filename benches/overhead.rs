//! The library's own work, with RSA taken out: the same enrolment steps as `benches/envelope.rs`
//! with key holders and a provider whose RSA operations cost (almost) nothing. Digests and the
//! AES content cipher stay real (they are part of every message); signing returns a fixed
//! 256-byte value, verification accepts everything, and "key transport" carries the content
//! key in the clear behind 240 zero bytes.
//!
//! This null provider lives here, not in `src/`: it provides no security at all.
//!
//! Allocation counts per operation are printed first, as `allocs <bench>/null/rsa2048 ...`.

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
use scep::crypto::{
    BadSignature, CryptoError, CryptoProvider, Decryptor, KeyEncryptor, KeyTransport, SecureRandom,
    SignatureAlgorithm, Signer, Verifier,
};
use scep::envelope::{self, OpenOptions};
use scep::provider::rustcrypto::PROVIDER as RUSTCRYPTO;
use scep::server::{Decision, Incoming};
use scep::spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use support::Enrolment;

#[global_allocator]
static GLOBAL: support::Counting = support::Counting;

/// The size of an RSA-2048 signature or encrypted key.
const RSA_LEN: usize = 256;

/// A key holder whose private operations are free.
#[derive(Clone, Debug)]
struct NullKey {
    cert: Certificate,
}

impl Signer for NullKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15(scep::crypto::DigestAlgorithm::Sha256)
    }
    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(vec![0x5a; RSA_LEN])
    }
}

impl Decryptor for NullKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn decrypt_key(
        &self,
        _alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let start = encrypted_key
            .len()
            .checked_sub(key_len)
            .ok_or(CryptoError::Failed)?;
        let key = encrypted_key.get(start..).ok_or(CryptoError::Failed)?;
        Ok(Zeroizing::new(key.to_vec()))
    }
}

/// Accepts every signature.
#[derive(Debug)]
struct NullVerifier;

impl Verifier for NullVerifier {
    fn verify(
        &self,
        _alg: SignatureAlgorithm,
        _spki: SubjectPublicKeyInfoRef<'_>,
        _message: &[u8],
        _signature: &[u8],
    ) -> Result<(), BadSignature> {
        Ok(())
    }
}

/// "Encrypts" a content key by padding it to the length of an RSA-2048 ciphertext.
#[derive(Debug)]
struct NullKeyEncryptor;

impl KeyEncryptor for NullKeyEncryptor {
    fn encrypt_key(
        &self,
        _alg: KeyTransport,
        _recipient: SubjectPublicKeyInfoRef<'_>,
        key: &[u8],
        _rng: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        let mut out = vec![0u8; RSA_LEN.saturating_sub(key.len())];
        out.extend_from_slice(key);
        Ok(out)
    }
}

/// RustCrypto's digests and content cipher, null RSA.
const NULL: CryptoProvider = CryptoProvider {
    verifier: &NullVerifier,
    key_encryptor: &NullKeyEncryptor,
    ..RUSTCRYPTO
};

fn null(c: &mut Criterion) {
    let key = |name: &str| NullKey {
        cert: support::cert(name),
    };
    let e = Enrolment::new(2048, NULL, key("ra2048"), key("client2048"));
    let id = || BenchmarkId::new("null", "rsa2048");
    let rng = support::rng;

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
    support::report_allocs("pkcsreq_build/null/rsa2048", build);
    support::report_allocs("pkcsreq_open/null/rsa2048", open);
    support::report_allocs("pkcsreq_server/null/rsa2048", server);
    support::report_allocs("certrep_build/null/rsa2048", reply);
    support::report_allocs("certrep_open/null/rsa2048", handle);

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
    targets = null
}
criterion_main!(benches);
