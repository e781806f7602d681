//! A firmware image that enrolls with a SCEP CA: an STM32F405 (Cortex-M4F,
//! `thumbv7em-none-eabihf`; QEMU's `netduinoplus2`) talking to the CA through its UART, and
//! measuring what the library costs in flash, heap and stack.
//!
//! The enrollment: GetCACaps; GetCACert, of which only what chains to the CA certificate with
//! the SHA-256 fingerprint provisioned at build time is believed; a PKCS #10 request with the challenge password, sent as a
//! PKCSReq (AES-CBC, RSA key transport to the CA, SHA-256); its CertRep, and CertPolls while it
//! says PENDING; the issued certificate must be signed by the CA and valid at the time the host
//! sent at boot; at the end it goes to the host, which checks its key.
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

use alloc::vec::Vec;
use core::fmt;

use cortex_m_rt::entry;
use scep::ca_certs::CaCertificates;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::Signer;
use scep::http::HttpRequest;
use scep::message::CertsOnly;
use scep::trust::{TrustAnchor, TrustedCaCertificates, UnixTime};
use scep::{Certificate, builder};

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
    ) -> Result<Vec<u8>, scep::crypto::CryptoError> {
        Err(scep::crypto::CryptoError::UnsupportedAlgorithm)
    }
}

#[global_allocator]
static HEAP: heap::CountingHeap = heap::CountingHeap::new();

/// SHA-256 of the CA certificate the device trusts (`SCEP_FW_CA_SHA256`, see `build.rs`).
static CA_SHA256: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/ca.sha256"));
/// The challenge password from the device's provisioning record (`SCEP_FW_CHALLENGE`).
static CHALLENGE: &str = include_str!(concat!(env!("OUT_DIR"), "/challenge.txt"));

/// CertPolls after a PENDING before the device gives up (a real device waits between them).
const MAX_POLLS: usize = 5;

/// Why an enrollment stopped.
enum Failure {
    Scep(scep::Error),
    Link(LinkError),
    /// An HTTP status other than 200.
    Http(u16),
    /// Still PENDING after [`MAX_POLLS`] polls.
    StillPending,
    /// The secure element's RNG stand-in failed.
    Rng,
}

impl From<scep::Error> for Failure {
    fn from(e: scep::Error) -> Self {
        Self::Scep(e)
    }
}

impl From<LinkError> for Failure {
    fn from(e: LinkError) -> Self {
        Self::Link(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scep(e) => write!(f, "scep: {e}"),
            Self::Link(LinkError::TooLong(n)) => write!(f, "link: reply of {n} bytes is too long"),
            Self::Link(LinkError::Short) => f.write_str("link: short reply frame"),
            Self::Http(s) => write!(f, "HTTP status {s}"),
            Self::StillPending => f.write_str("still PENDING after the last poll"),
            Self::Rng => f.write_str("random number generator failed"),
        }
    }
}

/// Sends `req` through the link; the body of a 200 reply.
fn exchange(req: &HttpRequest) -> Result<Vec<u8>, Failure> {
    let (status, body) = link::http(req.method.as_str(), &req.path_and_query, &req.body)?;
    if status != 200 {
        return Err(Failure::Http(status));
    }
    Ok(body)
}

/// The CA certificates of a GetCACert reply that chain to the certificate with the provisioned
/// fingerprint (the trust anchor, which must be in the reply): `CaCertificates::verify` keeps a
/// certificate only when the anchor or a CA certificate it verified signed it, and chooses the
/// RA and CA roles among those.
///
/// The reply is binary: one DER certificate or a certificates-only `SignedData` (what CAs send;
/// `CaCertificates::parse` also reads PEM, which would link a PEM decoder for nothing).
fn trusted_ca(body: &[u8], options: &ClientOptions) -> Result<TrustedCaCertificates, Failure> {
    let certificates = match Certificate::from_der(body) {
        Ok(one) => alloc::vec![one],
        Err(_) => CertsOnly::from_ber(body, &options.limits)?.certificates,
    };
    let anchor = TrustAnchor::Sha256Fingerprint(*CA_SHA256);
    Ok(CaCertificates::new(certificates)?.verify(&anchor, &PROVIDER)?)
}

/// One enrollment, from GetCACaps to the issued certificate, which must be valid at `now`.
fn enroll(se: &SecureElement, rng: &mut Rng, now: UnixTime) -> Result<Outcome, Failure> {
    let options = ClientOptions::default();

    let caps_req = HttpRequest::get_ca_caps(&options.endpoint, None);
    let (status, body) = link::http(
        caps_req.method.as_str(),
        &caps_req.path_and_query,
        &caps_req.body,
    )?;
    let caps = Capabilities::from_http(status, &body);
    drop(body);
    log!("GetCACaps: {} capabilities", caps.len());

    let ca = trusted_ca(
        &exchange(&HttpRequest::get_ca_cert(&options.endpoint, None))?,
        &options,
    )?;
    log!(
        "GetCACert: {} certificate(s) chain to the anchor, {} dropped",
        ca.certificates().len(),
        ca.dropped().len()
    );
    let client = Client::new(ca, caps, PROVIDER)?.with_options(options)?;
    let n = client.negotiated();
    log!(
        "negotiated {:?}, {:?}, POST {}",
        n.cipher,
        n.digest,
        n.use_post
    );

    let cert: &Certificate = Signer::certificate(se);
    let csr = builder::csr(
        cert.subject(),
        cert.subject_public_key_info(),
        Some(CHALLENGE),
        &[],
        se.signature_algorithm(),
        &mut |info| se.sign(info),
    )?;
    let (request, tx) = client.enroll(&csr, se, rng)?;
    drop(csr);
    log!(
        "PKCSReq: {} with {} bytes of body and {} of target",
        request.method.as_str(),
        request.body.len(),
        request.path_and_query.len()
    );
    let reply = exchange(&request)?;
    drop(request);
    let mut outcome = client.handle(&tx, 200, None, &reply, se, now, rng)?;
    drop(reply);
    let mut polls = 0;
    while outcome == Outcome::Pending {
        if polls == MAX_POLLS {
            return Err(Failure::StillPending);
        }
        polls += 1;
        log!("CertRep: PENDING; CertPoll {polls}");
        let (request, poll) = client.poll(&tx, se, rng)?;
        let reply = exchange(&request)?;
        drop(request);
        outcome = client.handle(&poll, 200, None, &reply, se, now, rng)?;
    }
    Ok(outcome)
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
        Ok(Outcome::Issued { certificate, chain }) => {
            log!(
                "CertRep: SUCCESS, certificate of {} bytes (+{} in the chain)",
                certificate.as_der().len(),
                chain.len()
            );
            link::send(b'C', &[certificate.as_der()]);
            Status::Issued
        }
        Ok(Outcome::Rejected { info, text }) => {
            let text = text.as_ref().map_or("", |t| t.as_str());
            log!("CertRep: FAILURE {info} ({text})");
            Status::Rejected
        }
        Ok(_) => {
            log!("CertRep: an answer that is not for an enrollment");
            Status::Error
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

fn run(boot: &link::Boot) -> Result<Outcome, Failure> {
    let mut rng = Rng::new(&boot.entropy).map_err(|_| Failure::Rng)?;
    let se = SecureElement::open()?;
    // What the stand-in element keeps on the heap for the whole run (its key); a real chip
    // keeps it in its own memory.
    link::measure("heap_secure_element", HEAP.used());
    // The board has no real-time clock that QEMU keeps, so the host sends the time at boot
    // (`link::boot`), as a real device would get it from SNTP or its modem. The enrollment
    // takes seconds, well inside `ClientOptions::clock_skew` (5 minutes), so the device uses
    // that time throughout; one that waits longer between polls would add a timer's count.
    enroll(&se, &mut rng, UnixTime::from_secs(boot.unix_time))
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
