//! Keys and certificates the subcommands make: an RSA-2048 key with a self-signed certificate
//! (the CA of `scep serve`, the RA of `scep proxy`). Pure Rust (the `rsa` crate with the OS
//! random number generator).

use core::time::Duration;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use scep::Error;
use scep::builder::{self, CertificateTemplate};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm};
use scep::provider::rustcrypto::{PROVIDER, RsaKey, sign_with_key};
use x509_cert::ext::pkix::KeyUsage;

use crate::common::util::{der_time, parse_name};

/// The subject of the CA `scep serve` creates.
pub const CA_SUBJECT: &str = "CN=scep example CA,O=scep development";
/// Validity of a new CA certificate.
/// Validity of an issued certificate.
pub const ISSUED_DAYS: u64 = 365;
/// Issued certificates start this long in the past, for clients whose clock is a little behind.
const BACKDATE: Duration = Duration::from_secs(300);
const DAY: u64 = 86_400;

const SHA256: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);

type CaResult<T> = Result<T, String>;

/// Names the file in an I/O error.
pub fn io_err(what: &Path) -> impl FnOnce(io::Error) -> String + '_ {
    move |e| format!("{}: {e}", what.display())
}

/// Names the step in a library error.
pub fn scep_err(what: &'static str) -> impl FnOnce(Error) -> String {
    move |e| format!("{what}: {e}")
}

/// A new RSA-2048 key and a self-signed certificate for `subject` with basicConstraints `cA`
/// = `is_ca` and `key_usage`, valid for `days` (backdated a little).
pub fn create_self_signed(
    subject: &str,
    days: u64,
    is_ca: bool,
    key_usage: KeyUsage,
) -> CaResult<RsaKey> {
    let mut rng = getrandom::SysRng;
    let private = rsa::PrivateKey::new(&mut rng, 2048).map_err(|e| format!("RSA keygen: {e}"))?;
    // A random positive serial, so that keys made on different machines differ.
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| format!("random: {e}"))?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let subject = parse_name(subject)?;
    let now = SystemTime::now();
    let public_key =
        scep::provider::rustcrypto::public_key_info(&private).map_err(scep_err("public key"))?;
    let template = CertificateTemplate {
        serial: serial.to_vec(),
        subject,
        not_before: der_time(now - BACKDATE)?,
        not_after: der_time(now + Duration::from_secs(days * DAY))?,
        public_key,
        is_ca,
        key_usage: Some(key_usage),
        extensions: Vec::new(),
    };
    let cert = builder::certificate(
        &template,
        None,
        SHA256,
        &mut |tbs| sign_with_key(&private, SHA256, tbs),
        &PROVIDER,
    )
    .map_err(scep_err("self-signed certificate"))?;
    RsaKey::new(private, cert).map_err(scep_err("key"))
}
