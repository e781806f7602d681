//! The RA pair of `scep serve --ra split`, as Windows NDES publishes it: an RA *signing*
//! certificate (keyUsage digitalSignature only) whose key signs every CertRep, and an RA
//! *encryption* certificate (keyUsage keyEncipherment only) whose key opens every request. Both
//! are end-entity certificates (basicConstraints cA FALSE) issued by the CA, so a client that
//! trusts the CA trusts them; GetCACert sends the CA and both.
//!
//! Files beside the CA key: `ra-sign.key.pem`, `ra-sign.cert.pem`, `ra-encrypt.key.pem`,
//! `ra-encrypt.cert.pem`. Keys are PKCS #8 PEM, created exclusively with mode 0600 (never
//! overwritten, never through a symbolic link); created on the first start with `--ra split`,
//! loaded on every later one. Replicas that start together race on the exclusive create and the
//! loser loads the winner's files, as for the CA key.

use core::time::Duration;
use std::fs;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use scep::Certificate;
use scep::builder::{self, CertificateTemplate};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer as _};
use scep::provider::rustcrypto::{PROVIDER, RsaKey, generate_key, public_key_info};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

use super::ca::{Ca, create_exclusive, read_arriving, read_key_file};
use crate::common::ca::scep_err;
use crate::common::key::AnyKey;
use crate::common::util::{der_time, parse_name};

const SHA256: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
/// RA certificates live as long as a CA certificate would (the CA's own validity caps them
/// in practice: a client checks both).
const RA_DAYS: u64 = 3650;
const BACKDATE: Duration = Duration::from_secs(300);
const DAY: u64 = 86_400;

/// Subject of the RA signing certificate.
pub const SIGN_SUBJECT: &str = "CN=scep example RA (signing),O=scep development";
/// Subject of the RA encryption certificate.
pub const ENCRYPT_SUBJECT: &str = "CN=scep example RA (encryption),O=scep development";

/// Which certificate of the pair.
#[derive(Clone, Copy)]
enum Role {
    Sign,
    Encrypt,
}

impl Role {
    fn stem(self) -> &'static str {
        match self {
            Role::Sign => "ra-sign",
            Role::Encrypt => "ra-encrypt",
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Role::Sign => SIGN_SUBJECT,
            Role::Encrypt => ENCRYPT_SUBJECT,
        }
    }

    fn key_usage(self) -> KeyUsage {
        match self {
            Role::Sign => KeyUsage(KeyUsages::DigitalSignature.into()),
            Role::Encrypt => KeyUsage(KeyUsages::KeyEncipherment.into()),
        }
    }
}

/// The RA signing and encryption keys with their certificates.
pub struct RaPair {
    /// Signs CertReps (digitalSignature).
    pub sign: RsaKey,
    /// Opens requests (keyEncipherment).
    pub encrypt: RsaKey,
}

impl RaPair {
    /// Loads the pair from `dir`, creating each key and certificate (issued by `ca`) on first
    /// start.
    pub fn open(dir: &Path, ca: &Ca) -> Result<RaPair, String> {
        Ok(RaPair {
            sign: open_one(dir, ca, Role::Sign)?,
            encrypt: open_one(dir, ca, Role::Encrypt)?,
        })
    }

    /// What GetCACert answers: the CA, then the signing and the encryption certificate.
    pub fn ca_certs(&self, ca: &Certificate) -> Vec<Certificate> {
        vec![
            ca.clone(),
            self.sign.certificate().clone(),
            self.encrypt.certificate().clone(),
        ]
    }
}

fn open_one(dir: &Path, ca: &Ca, role: Role) -> Result<RsaKey, String> {
    let key_path = dir.join(format!("{}.key.pem", role.stem()));
    let cert_path = dir.join(format!("{}.cert.pem", role.stem()));
    if fs::symlink_metadata(&key_path).is_err() {
        let (key_pem, cert) = create(ca, role)?;
        match create_exclusive(&key_path, key_pem.as_bytes(), 0o600) {
            Ok(()) => {
                let tmp = dir.join(format!(
                    "{}.cert.pem.{}.tmp",
                    role.stem(),
                    std::process::id()
                ));
                let _ = fs::remove_file(&tmp);
                create_exclusive(&tmp, cert.to_pem().as_bytes(), 0o644)
                    .and_then(|()| fs::rename(&tmp, &cert_path))
                    .map_err(|e| format!("{}: {e}", cert_path.display()))?;
                tracing::info!(
                    "created the RA {} certificate {}",
                    match role {
                        Role::Sign => "signing",
                        Role::Encrypt => "encryption",
                    },
                    cert_path.display()
                );
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("{}: {e}", key_path.display())),
        }
    }
    let cert_pem = read_arriving(&cert_path)?;
    let cert = Certificate::from_pem(&cert_pem).map_err(scep_err("RA certificate"))?;
    // Issued by this CA: its signature verifies with the CA key (a name alone proves nothing).
    if let Err(e) = cert.verify_issued_by(ca.certificate(), &PROVIDER) {
        return Err(format!(
            "{}: not issued by this CA ({}: {e})",
            cert_path.display(),
            cert.issuer()
        ));
    }
    let key_pem = read_key_file(&key_path)?;
    let key = RsaKey::from_pem(&key_pem, cert).map_err(scep_err("RA key"))?;
    Ok(key.with_signature_algorithm(SHA256))
}

/// A new RSA-2048 key and its certificate for `role`, signed by the CA key.
fn create(ca: &Ca, role: Role) -> Result<(zeroize::Zeroizing<String>, Certificate), String> {
    let mut rng = getrandom::SysRng;
    let private = generate_key(2048, &mut rng).map_err(scep_err("RSA keygen"))?;
    // A random 16-octet serial: never one of the store's sequential 8-octet serials.
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| format!("random: {e}"))?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let now = SystemTime::now();
    let ca_cert = ca.certificate();
    let template = CertificateTemplate {
        serial: serial.to_vec(),
        subject: parse_name(role.subject())?,
        not_before: der_time(now - BACKDATE)?,
        not_after: der_time(now + Duration::from_secs(RA_DAYS * DAY))?,
        public_key: public_key_info(&private).map_err(scep_err("public key"))?,
        is_ca: false,
        key_usage: Some(role.key_usage()),
        extensions: Vec::new(),
    };
    let ca_key = ca.key();
    let cert = builder::certificate(
        &template,
        Some(ca_cert),
        ca_key.signature_algorithm(),
        &mut |tbs| ca_key.sign(tbs),
        &PROVIDER,
    )
    .map_err(scep_err("RA certificate"))?;
    let key = RsaKey::new(private, cert.clone()).map_err(scep_err("RA key"))?;
    let pem = key.to_pkcs8_pem().map_err(scep_err("RA key"))?;
    Ok((pem, cert))
}

/// The keys a server runs with: who signs CertReps, who opens requests, and what GetCACert
/// sends. With `--ra ca` all three are the CA's.
pub struct RaKeys<K> {
    /// Signs CertReps.
    pub sign: K,
    /// Opens requests (the only key a request may be encrypted to).
    pub decrypt: K,
    /// The GetCACert reply.
    pub ca_certs: Vec<Certificate>,
}

impl<K> RaKeys<K> {
    /// The keys of `pair` (`--ra split`) or of the CA, each put in the key holder `wrap`
    /// makes (the identity for RustCrypto; AWS-LC's key type with `--provider aws-lc`).
    pub fn of(
        ca: &Ca,
        pair: Option<&RaPair>,
        wrap: impl Fn(AnyKey) -> Result<K, String>,
    ) -> Result<RaKeys<K>, String> {
        Ok(match pair {
            Some(p) => RaKeys {
                sign: wrap(AnyKey::Rsa(p.sign.clone()))?,
                decrypt: wrap(AnyKey::Rsa(p.encrypt.clone()))?,
                ca_certs: p.ca_certs(ca.certificate()),
            },
            None => RaKeys {
                sign: wrap(ca.key().clone())?,
                decrypt: wrap(ca.key().clone())?,
                ca_certs: vec![ca.certificate().clone()],
            },
        })
    }
}
