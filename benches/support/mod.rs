//! Shared by the bench binaries: a counting global allocator, the fixture keys, and one
//! enrolment's worth of messages.
//!
//! Each bench binary is its own crate, so the scep crate's `#![forbid(unsafe_code)]` does not
//! apply here. Implementing `GlobalAlloc` needs an `unsafe impl`; the wrapper below only counts
//! and forwards every call to `System` unchanged.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    unsafe_code,
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "bench support: fixtures are known good, and a failure should stop the bench"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use scep::Certificate;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Transaction};
use scep::crypto::{CryptoProvider, Decryptor, Signer};
use scep::http::HttpRequest;
use scep::message::Csr;
use scep::server::{Decision, Incoming, PkiRequest, Server};

/// Counts allocations (and reallocations, which allocate) and the bytes asked for.
pub struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `op` once to warm up, then `RUNS` times, and prints the allocations per run as
/// `allocs <name> count=<n> bytes=<b>` (benches/compare-peers.sh reads these lines).
pub fn report_allocs<T>(name: &str, mut op: impl FnMut() -> T) {
    const RUNS: u64 = 4;
    drop(op());
    let (a0, b0) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    for _ in 0..RUNS {
        drop(std::hint::black_box(op()));
    }
    let (a1, b1) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    println!(
        "allocs {name} count={} bytes={}",
        (a1 - a0) / RUNS,
        (b1 - b0) / RUNS
    );
}

pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn cert(name: &str) -> Certificate {
    Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap()
}

/// The current time, for `Client::handle`.
pub fn now() -> scep::trust::UnixTime {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    scep::trust::UnixTime::since_epoch(since)
}

pub fn rng() -> getrandom::SysRng {
    getrandom::SysRng
}

/// The key sizes every RSA bench runs at.
pub const SIZES: [u32; 2] = [2048, 4096];

/// One enrolment between a client and a server built from the same fixtures: the PKCSReq as
/// sent, the server's view of it, and the CertRep SUCCESS that answers it.
pub struct Enrolment<K> {
    pub provider: CryptoProvider,
    pub ra: K,
    pub client: Client,
    pub server: Server<K, K>,
    pub device: K,
    pub csr: Csr,
    pub issued: Certificate,
    pub request: HttpRequest,
    pub transaction: Transaction,
    pub pki_request: Box<PkiRequest>,
    pub reply: Vec<u8>,
}

impl<K: Signer + Decryptor + Clone> Enrolment<K> {
    /// `ra` and `device` are key holders for `ra<bits>` and `client<bits>`.
    pub fn new(bits: u32, provider: CryptoProvider, ra: K, device: K) -> Self {
        let mut rng = rng();
        let ra_cert = cert(&format!("ra{bits}"));
        let server = Server::new(
            ra.clone(),
            ra.clone(),
            vec![ra_cert.clone()],
            Capabilities::rfc8894_server(),
            provider,
        );
        let caps = Capabilities::parse(Capabilities::rfc8894_server().render().as_bytes());
        let client = scep::ca_certs::CaCertificates::new(vec![ra_cert])
            .and_then(|ca| {
                Client::new(ca.trust_on_first_use(), caps, provider)?
                    .with_options(ClientOptions::default().with_endpoint("/scep"))
            })
            .unwrap();
        let csr = Csr::from_der(&data(&format!("client{bits}.csr.der"))).unwrap();
        let (request, transaction) = client.enroll(&csr, &device, &mut rng).unwrap();
        let pki_request = match server.pki_operation(&request.body, &mut rng) {
            Incoming::Request(r) => r,
            other => panic!("{other:?}"),
        };
        // The RA (the CA here) issues a certificate for the device's key: the client checks
        // that the CA signed it and that it is valid now.
        let device_cert = Signer::certificate(&device).clone();
        let template = scep::builder::CertificateTemplate {
            serial: vec![7],
            subject: device_cert.subject().clone(),
            not_before: der::DateTime::new(2025, 1, 1, 0, 0, 0).unwrap(),
            not_after: der::DateTime::new(2049, 1, 1, 0, 0, 0).unwrap(),
            public_key: device_cert.subject_public_key_info().clone(),
            is_ca: false,
            key_usage: None,
            extensions: vec![],
        };
        let issued = scep::builder::certificate(
            &template,
            Some(Signer::certificate(&ra)),
            scep::crypto::SignatureAlgorithm::RsaPkcs1v15(scep::crypto::DigestAlgorithm::Sha256),
            &mut |m| Signer::sign(&ra, m),
            &provider,
        )
        .unwrap();
        let reply = server
            .reply(
                &pki_request,
                Decision::Issued {
                    certificate: issued.clone(),
                    chain: vec![],
                },
                &mut rng,
            )
            .unwrap()
            .body;
        Self {
            provider,
            ra,
            client,
            server,
            device,
            csr,
            issued,
            request,
            transaction,
            pki_request,
            reply,
        }
    }
}
