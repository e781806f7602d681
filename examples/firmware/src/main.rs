//! A firmware image that enrolls with a SCEP CA: an STM32F405 (Cortex-M4F,
//! `thumbv7em-none-eabihf`; QEMU's `netduinoplus2`) talking to the CA through its UART, and
//! measuring what the library costs in flash, heap and stack.
//!
//! The enrollment is the library's one-call driver (`scep::client::driver::enroll`) over the
//! link: GetCACaps; GetCACert, of which only what chains to the CA certificate with the SHA-256
//! fingerprint provisioned at build time is believed; a PKCS #10 request with the challenge
//! password, sent as a PKCSReq (AES-CBC, RSA key transport to the CA, SHA-256); its CertRep, and
//! CertPolls while it says PENDING; the issued certificate must be signed by the CA and valid at
//! the device's time; at the end it goes to the host, which checks its key.
//!
//! The device key stays in [`secure_element`], behind the library's `Signer` and `Decryptor`
//! traits. The link ([`link`]) carries frames to a relay on the host that speaks HTTP for it,
//! as a modem would. The heap is an arena the size of the budget ([`heap`]); the stack is
//! painted and its high-water mark reported (`memory.x`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod heap;
mod link;
mod rng;
mod secure_element;

use core::cell::Cell;
use core::fmt;
use core::time::Duration;

use cortex_m_rt::entry;
use scep::builder;
use scep::client::driver::{
    self, AfterNegotiation, EnrollError, EnrollOptions, Enrolled, HttpReply, Progress, Transport,
};
use scep::crypto::Signer;
use scep::http::HttpRequest;
use scep::trust::{TrustAnchor, UnixTime};

use crate::link::{LinkError, Status};
use crate::rng::Rng;
use crate::secure_element::SecureElement;

// SHA-1 and SHA-256 are all a device needs; leaving SHA-384/512 out saves 31 KiB of flash.
// AES is the only content cipher it negotiates (its CA offers it); leaving DES-EDE3 out saves
// another 2,904 B.
#[cfg(not(feature = "p256"))]
const PROVIDER: scep::crypto::CryptoProvider = scep::crypto::CryptoProvider {
    cipher: &scep::provider::rustcrypto::AesCbcCipher,
    ..scep::provider::rustcrypto::COMPACT_PROVIDER
};

// The P-256 device enrolls with a CA whose key is EC too: it verifies ECDSA only and seals its
// requests with key agreement, so no RSA code is linked at all.
#[cfg(feature = "p256")]
const PROVIDER: scep::crypto::CryptoProvider = scep::crypto::CryptoProvider {
    verifier: &scep::provider::rustcrypto::CompactEcdsaVerifier,
    key_encryptor: &NoKeyTransport,
    cipher: &scep::provider::rustcrypto::AesCbcCipher,
    ..scep::provider::rustcrypto::COMPACT_PROVIDER
};

/// Key transport to an RSA recipient, refused: the P-256 device's CA has an EC key, to which
/// requests go by key agreement.
#[cfg(feature = "p256")]
#[derive(Debug)]
struct NoKeyTransport;

#[cfg(feature = "p256")]
impl scep::crypto::KeyEncryptor for NoKeyTransport {
    fn encrypt_key(
        &self,
        _alg: scep::crypto::KeyTransport,
        _recipient: scep::spki::SubjectPublicKeyInfoRef<'_>,
        _key: &[u8],
        _rng: &mut dyn scep::crypto::SecureRandom,
    ) -> Result<alloc::vec::Vec<u8>, scep::crypto::CryptoError> {
        Err(scep::crypto::CryptoError::UnsupportedAlgorithm)
    }
}

#[global_allocator]
static HEAP: heap::CountingHeap = heap::CountingHeap::new();

/// SHA-256 of the CA certificate the device trusts (`SCEP_FW_CA_SHA256`, see `build.rs`).
static CA_SHA256: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/ca.sha256"));
/// The challenge password from the device's provisioning record (`SCEP_FW_CHALLENGE`).
static CHALLENGE: &str = include_str!(concat!(env!("OUT_DIR"), "/challenge.txt"));

/// CertPolls after a PENDING before the device gives up.
const MAX_POLLS: u32 = 5;
/// The wait before each CertPoll, and before sending a request again that the server answered
/// with HTTP 503. Short for the emulator; a real device waits minutes between polls.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Why an enrollment stopped.
enum Failure {
    Enroll(EnrollError<LinkError>),
    /// The secure element could not be opened.
    SecureElement(scep::Error),
    /// The secure element's RNG stand-in failed.
    Rng,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Enroll(EnrollError::Scep(e)) | Self::SecureElement(e) => write!(f, "scep: {e}"),
            Self::Enroll(EnrollError::Transport(LinkError::TooLong(n))) => {
                write!(f, "link: reply of {n} bytes is too long")
            }
            Self::Enroll(EnrollError::Transport(LinkError::Short)) => {
                f.write_str("link: short reply frame")
            }
            Self::Enroll(EnrollError::StillPending(_)) => {
                f.write_str("still PENDING after the last poll")
            }
            Self::Enroll(_) => f.write_str("the enrollment stopped"),
            Self::Rng => f.write_str("random number generator failed"),
        }
    }
}

/// The link as the driver's transport: the relay on the host speaks HTTP for the device.
struct Link;

impl Transport for Link {
    type Error = LinkError;

    fn send(&mut self, request: &HttpRequest) -> Result<HttpReply, LinkError> {
        let (status, body) = link::http(
            request.method.as_str(),
            &request.path_and_query,
            &request.body,
        )?;
        Ok(HttpReply {
            status,
            content_type: None,
            body,
        })
    }
}

/// Busy-waits `d` at the reset clock (the 16 MHz internal oscillator; the board runs at it).
fn sleep(d: Duration) {
    let ms = d.as_secs() * 1000 + u64::from(d.subsec_millis());
    for _ in 0..ms {
        cortex_m::asm::delay(16_000);
    }
}

/// Logs the driver's steps.
fn progress(p: Progress<'_>) {
    match p {
        Progress::Negotiated {
            client,
            ca_certificates,
        } => {
            log!("GetCACaps: {} capabilities", client.capabilities().len());
            log!(
                "GetCACert: {} certificate(s) chain to the anchor, {} dropped",
                ca_certificates.certificates().len(),
                ca_certificates.dropped().len()
            );
            let n = client.negotiated();
            log!(
                "negotiated {:?}, {:?}, POST {}",
                n.cipher,
                n.digest,
                n.use_post
            );
        }
        Progress::Requesting { .. } => log!("PKCSReq: sending"),
        Progress::Pending { poll, .. } => log!("CertRep: PENDING; CertPoll {poll}"),
        Progress::Retrying { retry, .. } => log!("HTTP 503: sending again ({retry})"),
        _ => {}
    }
}

/// One enrollment, from GetCACaps to the issued certificate, with the library's driver. The
/// device's clock is the time the host sent at boot (`boot_time`) plus the time it has waited.
fn enroll(se: &SecureElement, rng: &mut Rng, boot_time: u64) -> Result<Enrolled, Failure> {
    // CaCertificates::verify keeps a certificate of the GetCACert reply only when the anchor
    // (which must be in the reply) or a CA certificate it verified signed it, and chooses the
    // RA and CA roles among those. The library is built without its `pem` feature: the reply
    // must be DER or BER (what CAs send), and no PEM decoder is linked.
    let options = EnrollOptions::default()
        .with_anchor(TrustAnchor::Sha256Fingerprint(*CA_SHA256))
        .with_poll_interval(POLL_INTERVAL)
        .with_max_polls(MAX_POLLS)
        .with_retry_interval(POLL_INTERVAL);
    let waited = Cell::new(0u64);
    let csr = AfterNegotiation(|_: &scep::client::Client| {
        let cert = Signer::certificate(se);
        builder::csr(
            cert.subject(),
            cert.subject_public_key_info(),
            Some(CHALLENGE),
            &[],
            se.signature_algorithm(),
            &mut |info| se.sign(info),
        )
    });
    driver::enroll_with_progress(
        &mut Link,
        &mut |d| {
            sleep(d);
            waited.set(waited.get() + d.as_secs());
        },
        &mut || UnixTime::from_secs(boot_time + waited.get()),
        csr,
        se,
        PROVIDER,
        &options,
        rng,
        &mut progress,
    )
    .map_err(Failure::Enroll)
}

/// The stack's high-water mark: how much of the painted region is no longer paint.
fn stack_peak() -> usize {
    // SAFETY: the linker symbols bound the stack region (memory.x); only their addresses are
    // taken, and the words between them are plain RAM that is read, never written.
    #[allow(unsafe_code)]
    unsafe {
        unsafe extern "C" {
            static _stack_end: u32;
            static _stack_start: u32;
        }
        let bottom = core::ptr::addr_of!(_stack_end);
        let top = core::ptr::addr_of!(_stack_start);
        let mut p = bottom;
        while p < top && p.read_volatile() == cortex_m_rt::STACK_PAINT_VALUE {
            p = p.add(1);
        }
        top as usize - p as usize
    }
}

fn report_usage() {
    link::measure("heap_peak", HEAP.peak());
    link::measure("heap_arena", heap::ARENA);
    link::measure("stack_peak", stack_peak());
}

#[entry]
fn main() -> ! {
    HEAP.init();
    link::init();
    log!("scep firmware: booted, heap arena {} bytes", heap::ARENA);
    let boot = link::boot();
    let status = match run(&boot) {
        Ok(Enrolled {
            certificate,
            chain,
            polls,
            ..
        }) => {
            log!(
                "CertRep: SUCCESS after {polls} poll(s), certificate of {} bytes (+{} in the chain)",
                certificate.as_der().len(),
                chain.len()
            );
            link::send(b'C', &[certificate.as_der()]);
            Status::Issued
        }
        Err(Failure::Enroll(EnrollError::Rejected { info, text })) => {
            let text = text.as_ref().map_or("", |t| t.as_str());
            log!("CertRep: FAILURE {info} ({text})");
            Status::Rejected
        }
        Err(e) => {
            log!("enrollment failed: {e}");
            Status::Error
        }
    };
    log!("heap in use at the end: {} bytes", HEAP.used());
    report_usage();
    link::finish(status)
}

fn run(boot: &link::Boot) -> Result<Enrolled, Failure> {
    let mut rng = Rng::new(&boot.entropy).map_err(|_| Failure::Rng)?;
    let se = SecureElement::open().map_err(Failure::SecureElement)?;
    // What the stand-in element keeps on the heap for the whole run (its key); a real chip
    // keeps it in its own memory.
    link::measure("heap_secure_element", HEAP.used());
    // The board has no real-time clock that QEMU keeps, so the host sends the time at boot
    // (`link::boot`), as a real device would get it from SNTP or its modem; the device adds
    // the time it waits between polls.
    enroll(&se, &mut rng, boot.unix_time)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let status = match HEAP.failed() {
        Some(n) => {
            log!(
                "out of memory: {n} bytes wanted, heap {} of {} bytes in use",
                HEAP.used(),
                heap::ARENA
            );
            Status::OutOfMemory
        }
        None => {
            // The message and location of every panic site cost about 8 KiB of .text and
            // 11 KiB of .rodata; the `panic-messages` feature turns them on for debugging.
            #[cfg(feature = "panic-messages")]
            log!("panic: {info}");
            #[cfg(not(feature = "panic-messages"))]
            let _ = info;
            #[cfg(not(feature = "panic-messages"))]
            log!("panic (build with the `panic-messages` feature for where and why)");
            Status::Panic
        }
    };
    report_usage();
    link::finish(status)
}
