//! A firmware image that enrolls with a SCEP CA, to measure the library's flash footprint on a
//! Cortex-M4F (`thumbv7em-none-eabihf`).
//!
//! The device's RSA key lives in a secure element: [`SecureElement`] implements the library's
//! [`Signer`] and [`Decryptor`] traits, so no RSA private-key code is linked. What is linked is
//! what a real device needs: PEM and X.509 parsing of the CA and device certificates, GetCACaps
//! negotiation, a PKCS #10 request, the sealed PKCSReq (AES-CBC, RSA key transport to the CA,
//! SHA-256), and opening the CertRep (BER reader, RSA PKCS #1 v1.5 signature verification,
//! AES/3DES-CBC decryption, certificates-only SignedData).
//!
//! The image is built, never flashed: the transport (HTTP over a modem or Ethernet), the
//! secure-element driver and the TRNG are stand-ins whose results the optimiser cannot see
//! through ([`core::hint::black_box`]), so nothing is folded away.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use scep::ca_certs::CaCertificates;
use scep::caps::Capabilities;
use scep::client::{Client, Outcome};
use scep::crypto::{
    CryptoError, Decryptor, DigestAlgorithm, KeyTransport, RngError, SecureRandom,
    SignatureAlgorithm, Signer, digest_info,
};
// SHA-1 and SHA-256 are all a device needs; leaving SHA-384/512 out saves 31 KiB of flash.
use scep::provider::rustcrypto::COMPACT_PROVIDER as PROVIDER;
use scep::trust::TrustAnchor;
use scep::{Certificate, builder};
use zeroize::Zeroizing;

#[global_allocator]
static HEAP: Heap = Heap::empty();

/// Heap for the enrollment. Measured on the host with 2048-bit keys: about 18 KiB at the peak
/// while building the PKCSReq and 17 KiB while opening the CertRep, RSA private-key work
/// included (here it happens in the secure element).
const HEAP_SIZE: usize = 48 * 1024;

/// The CA certificate the device trusts (provisioned at manufacture; here a test fixture).
static CA_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/ra2048.cert.pem");
/// The device's self-signed certificate for the key inside the secure element.
static DEVICE_CERT_PEM: &[u8] = include_bytes!("../../../tests/data/client2048.cert.pem");

/// A secure element holding the device's RSA key. `sign` sends a PKCS #1 `DigestInfo` to the
/// chip; `decrypt_key` sends the wrapped content key. Both transfers are stand-ins here.
struct SecureElement {
    certificate: Certificate,
}

impl SecureElement {
    /// One command/response exchange with the chip (an I²C or SPI transfer on real hardware).
    fn transact(&self, command: &[u8], response_len: usize) -> Result<Vec<u8>, CryptoError> {
        let mut response = alloc::vec![0u8; response_len];
        black_box((command, &mut response));
        if black_box(false) {
            return Err(CryptoError::Failed);
        }
        Ok(response)
    }
}

impl Signer for SecureElement {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // A digest-only device: hash here, pad and sign in the chip.
        let hash = PROVIDER.digests.digest(DigestAlgorithm::Sha256, message)?;
        self.transact(&digest_info(DigestAlgorithm::Sha256, hash.as_bytes()), 256)
    }
}

impl Decryptor for SecureElement {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn decrypt_key(
        &self,
        _alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.transact(encrypted_key, key_len).map(Zeroizing::new)
    }
}

/// The microcontroller's hardware random number generator (stand-in).
struct Trng;

impl SecureRandom for Trng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RngError> {
        black_box(&mut *buf);
        if black_box(false) {
            return Err(RngError);
        }
        Ok(())
    }
}

/// The network (stand-in): sends `body` to `path` and returns the reply body.
fn http_exchange(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    black_box((method, path, body));
    black_box(Vec::new())
}

/// GetCACaps, PKCSReq, CertRep: one enrollment. Returns the issued certificate's DER length.
fn enroll() -> Result<usize, scep::Error> {
    let ca = Certificate::from_pem(CA_CERT_PEM)?;
    let device = SecureElement {
        certificate: Certificate::from_pem(DEVICE_CERT_PEM)?,
    };
    let mut rng = Trng;

    let caps = Capabilities::parse(&http_exchange("GET", "/scep?operation=GetCACaps", &[]));
    // The device was provisioned with its CA's certificate: the trust anchor.
    let anchor = TrustAnchor::Certificate(ca.clone());
    let trusted = CaCertificates::new(alloc::vec![ca])?.verify(&anchor, &PROVIDER)?;
    let client = Client::new(trusted, caps, PROVIDER)?;

    let subject = device.certificate.subject().clone();
    let public_key = device.certificate.subject_public_key_info().clone();
    let csr = builder::csr(
        &subject,
        &public_key,
        Some("challenge from the device's provisioning record"),
        &[],
        device.signature_algorithm(),
        &mut |info| device.sign(info),
    )?;

    let (request, transaction) = client.enroll(&csr, &device, &mut rng)?;
    let reply = http_exchange(
        request.method.as_str(),
        &request.path_and_query,
        &request.body,
    );
    // The device's real-time clock (stand-in): the issued certificate must be valid now.
    let now = scep::trust::UnixTime::from_secs(black_box(1_790_000_000));
    match client.handle(&transaction, 200, None, &reply, &device, now, &mut rng)? {
        Outcome::Issued { certificate, .. } => Ok(certificate.as_der().len()),
        _ => Ok(0),
    }
}

#[entry]
fn main() -> ! {
    {
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: runs once, before the first allocation; HEAP_MEM is used by nothing else.
        #[allow(unsafe_code)]
        unsafe {
            HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE);
        }
    }
    let result = enroll();
    black_box(&result);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
