//! A development CA for the example server: an RSA-2048 key and a self-signed certificate kept
//! in a state directory, sequential serial numbers, the issued certificates on disk, and an
//! empty CRL. Pure Rust (the `rsa` crate with the OS random number generator).
//!
//! State directory layout:
//!
//! ```text
//! ca.key.pem        the CA key, PKCS #8 (created on first start, mode 0600)
//! ca.cert.pem       the CA certificate (also the RA certificate)
//! serial            the next serial number to issue, in decimal
//! issued/N.pem      every issued certificate, N its serial number in decimal
//! ```
//!
//! A toy, not a CA to trust: no locking between processes, no revocation, no policy beyond what
//! the example server checks.

use core::time::Duration;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use scep::builder::{self, CertificateTemplate, CrlTemplate};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::message::{Crl, Csr};
use scep::provider::rustcrypto::{PROVIDER, RsaKey, sign_with_key};
use scep::{Certificate, Error};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;

use crate::util::{der_time, parse_name, write_private};

/// The subject of a CA created by [`DevCa::open`].
pub const CA_SUBJECT: &str = "CN=scep example CA,O=scep development";
/// Validity of a new CA certificate.
const CA_DAYS: u64 = 3650;
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

/// The development CA.
#[derive(Debug)]
pub struct DevCa {
    dir: PathBuf,
    key: RsaKey,
    issued: Vec<Certificate>,
}

impl DevCa {
    /// Loads the CA from `dir`, creating the directory, the key and the certificate on first use.
    pub fn open(dir: &Path) -> CaResult<DevCa> {
        fs::create_dir_all(dir.join("issued")).map_err(io_err(dir))?;
        let key_path = dir.join("ca.key.pem");
        let cert_path = dir.join("ca.cert.pem");
        let key = if key_path.exists() && cert_path.exists() {
            let cert_pem = fs::read(&cert_path).map_err(io_err(&cert_path))?;
            let cert = Certificate::from_pem(&cert_pem).map_err(scep_err("CA certificate"))?;
            let key_pem = fs::read(&key_path).map_err(io_err(&key_path))?;
            RsaKey::from_pem(&key_pem, cert).map_err(scep_err("CA key"))?
        } else {
            let key = create_ca()?;
            let pem = key.to_pkcs8_pem().map_err(scep_err("CA key"))?;
            write_private(&key_path, pem.as_bytes())?;
            fs::write(&cert_path, key.certificate().to_pem()).map_err(io_err(&cert_path))?;
            key
        };
        let key = key.with_signature_algorithm(SHA256);
        let mut ca = DevCa {
            dir: dir.to_owned(),
            key,
            issued: Vec::new(),
        };
        ca.load_issued()?;
        Ok(ca)
    }

    fn load_issued(&mut self) -> CaResult<()> {
        let issued_dir = self.dir.join("issued");
        let mut paths: Vec<PathBuf> = fs::read_dir(&issued_dir)
            .map_err(io_err(&issued_dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pem"))
            .collect();
        paths.sort();
        for p in paths {
            let pem = fs::read(&p).map_err(io_err(&p))?;
            let cert = Certificate::from_pem(&pem).map_err(scep_err("issued certificate"))?;
            self.issued.push(cert);
        }
        Ok(())
    }

    /// The CA key (it signs replies and decrypts requests: the CA is its own RA).
    pub fn key(&self) -> &RsaKey {
        &self.key
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &Certificate {
        self.key.certificate()
    }

    /// The issued certificate with this serial number (content octets of the INTEGER).
    pub fn find_issued(&self, issuer: &Name, serial: &[u8]) -> Option<&Certificate> {
        self.issued
            .iter()
            .find(|c| c.matches_issuer_serial(issuer, serial))
    }

    fn next_serial(&self) -> CaResult<u64> {
        let path = self.dir.join("serial");
        let next = match fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => 2,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        fs::write(&path, format!("{}\n", next + 1)).map_err(io_err(&path))?;
        Ok(next)
    }

    /// Issues a certificate for the key and subject of `csr` (and its subjectAltName, if it
    /// asks for one), valid for [`ISSUED_DAYS`], with the next serial number; stores it.
    pub fn issue(&mut self, csr: &Csr) -> CaResult<Certificate> {
        let serial = self.next_serial()?;
        let now = SystemTime::now();
        let mut extensions = Vec::new();
        if let Some(requested) = csr.extension_request() {
            let san = const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
            extensions.extend(requested.into_iter().filter(|e| e.extn_id == san));
        }
        let template = CertificateTemplate {
            serial: serial.to_be_bytes().to_vec(),
            subject: csr.subject().clone(),
            not_before: der_time(now - BACKDATE)?,
            not_after: der_time(now + Duration::from_secs(ISSUED_DAYS * DAY))?,
            public_key: csr.public_key().clone(),
            is_ca: false,
            key_usage: Some(KeyUsage(
                KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
            )),
            extensions,
        };
        let key = &self.key;
        let cert = builder::certificate(
            &template,
            Some(key.certificate()),
            SHA256,
            &mut |tbs| key.sign(tbs),
            &PROVIDER,
        )
        .map_err(scep_err("issue"))?;
        let path = self.dir.join("issued").join(format!("{serial}.pem"));
        fs::write(&path, cert.to_pem()).map_err(io_err(&path))?;
        self.issued.push(cert.clone());
        Ok(cert)
    }

    /// An empty CRL (nothing is ever revoked here), signed by the CA, valid for a day.
    pub fn empty_crl(&self) -> CaResult<Crl> {
        let now = SystemTime::now();
        // A CRL number that grows with time is enough for a CRL made on demand.
        let seconds = now
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let template = CrlTemplate {
            this_update: der_time(now - BACKDATE)?,
            next_update: Some(der_time(now + Duration::from_secs(DAY))?),
            number: seconds.to_be_bytes().to_vec(),
            revoked: Vec::new(),
        };
        builder::crl(&template, self.certificate(), SHA256, &mut |tbs| {
            self.key.sign(tbs)
        })
        .map_err(scep_err("CRL"))
    }
}

/// A new RSA-2048 key and a self-signed CA certificate for it (keyCertSign and cRLSign, and
/// digitalSignature and keyEncipherment because the CA is also the RA).
fn create_ca() -> CaResult<RsaKey> {
    create_self_signed(
        CA_SUBJECT,
        CA_DAYS,
        true,
        KeyUsage(
            KeyUsages::DigitalSignature
                | KeyUsages::KeyEncipherment
                | KeyUsages::KeyCertSign
                | KeyUsages::CRLSign,
        ),
    )
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
