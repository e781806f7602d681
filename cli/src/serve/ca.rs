//! The CA of `scep serve`: an RSA or EC (P-256, P-384) key in a file (PKCS #8 PEM, created exclusively with mode
//! 0600, never overwritten, never through a symbolic link) and its self-signed certificate. The
//! key is used only through the library's `Signer`/`Decryptor` traits, so a hardware key holder
//! can take its place. Everything else (serials, issued certificates, revocations) is in the
//! store.

use core::time::Duration;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::SystemTime;

use scep::Certificate;
use scep::builder::{self, CertificateTemplate, CrlTemplate, RevokedCertificate};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::message::{Crl, Csr};
use scep::provider::rustcrypto::PROVIDER;
use x509_cert::ext::pkix::{CrlReason, KeyUsage, KeyUsages};

use crate::common::ca::{CA_SUBJECT, ISSUED_DAYS, scep_err};
use crate::common::key::{AnyKey, KeyType};
use crate::common::util::{der_time, parse_name};
use crate::store::Revocation;

const CA_DAYS: u64 = 3650;
const BACKDATE: Duration = Duration::from_secs(300);
const DAY: u64 = 86_400;
const SHA256: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);

pub const KEY_FILE: &str = "ca.key.pem";
pub const CERT_FILE: &str = "ca.cert.pem";

/// The CA key (as loaded, and the key holder `K` that signs with it: RSA with SHA-256, ECDSA
/// with the curve's digest) and certificate.
pub struct Ca<K = AnyKey> {
    key: AnyKey,
    signer: K,
}

/// Reads `path`, waiting up to five seconds for it to appear: another replica that won the
/// race to create a key writes its certificate a moment later.
pub fn read_arriving(path: &Path) -> Result<Vec<u8>, String> {
    let mut waited = 0;
    loop {
        match fs::read(path) {
            Ok(b) => return Ok(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound && waited < 50 => {
                std::thread::sleep(Duration::from_millis(100));
                waited += 1;
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
}

/// Reads a private key file, refusing a symbolic link (a key is never read through one).
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, String> {
    let meta = fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!("{}: is a symbolic link", path.display()));
    }
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `bytes` to a new file `path` (mode 0600); fails when anything exists there, a
/// symbolic link included (`O_CREAT | O_EXCL` does not follow links).
pub fn create_exclusive(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

impl Ca<AnyKey> {
    /// Loads the CA from `dir`, creating the key (of `key_type`) and certificate on first
    /// start. Replicas that start together race on the exclusive create: the loser loads the
    /// winner's key. An existing key is used whatever its type.
    pub fn open(dir: &Path, key_type: KeyType) -> Result<Ca, String> {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        if fs::symlink_metadata(&key_path).is_err() {
            // An EC CA agrees on keys with the clients (KeyAgree requests) rather than having
            // them encrypted to it.
            let key_use = match key_type {
                KeyType::Ec(_) => KeyUsages::KeyAgreement,
                KeyType::Rsa(_) => KeyUsages::KeyEncipherment,
            };
            let usage = KeyUsage(
                KeyUsages::DigitalSignature | key_use | KeyUsages::KeyCertSign | KeyUsages::CRLSign,
            );
            let key = AnyKey::self_signed(
                key_type,
                &parse_name(CA_SUBJECT)?,
                CA_DAYS,
                Some((true, usage)),
            )?;
            let pem = key.to_pkcs8_pem().map_err(scep_err("CA key"))?;
            match create_exclusive(&key_path, pem.as_bytes(), 0o600) {
                Ok(()) => {
                    // The certificate goes in beside it under a temporary name, then renamed:
                    // a reader sees no certificate or the whole one.
                    let tmp = dir.join(format!("{CERT_FILE}.{}.tmp", std::process::id()));
                    let _ = fs::remove_file(&tmp);
                    let cert = Signer::certificate(&key);
                    create_exclusive(&tmp, cert.to_pem().as_bytes(), 0o644)
                        .and_then(|()| fs::rename(&tmp, &cert_path))
                        .map_err(|e| format!("{}: {e}", cert_path.display()))?;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("{}: {e}", key_path.display())),
            }
        }
        // Load (the certificate may still be on its way from a replica that created the key).
        let cert_pem = read_arriving(&cert_path)?;
        let cert = Certificate::from_pem(&cert_pem).map_err(scep_err("CA certificate"))?;
        let key_pem = read_key_file(&key_path)?;
        let key = AnyKey::from_pem(&key_pem, cert).map_err(scep_err("CA key"))?;
        let key = match key {
            AnyKey::Rsa(k) => AnyKey::Rsa(k.with_signature_algorithm(SHA256)),
            ec @ AnyKey::Ec(_) => ec,
        };
        Ok(Ca {
            signer: key.clone(),
            key,
        })
    }

    /// Certificates and CRLs are signed with `signer` (the same key in another key holder).
    pub fn with_signer<K: Signer>(self, signer: K) -> Ca<K> {
        Ca {
            key: self.key,
            signer,
        }
    }
}

impl<K: Signer> Ca<K> {
    /// The key as loaded (RustCrypto), for the key holder of another provider.
    pub fn key(&self) -> &AnyKey {
        &self.key
    }

    pub fn certificate(&self) -> &Certificate {
        Signer::certificate(&self.key)
    }

    /// Issues a certificate for `csr` with `serial` (key, subject and requested
    /// subjectAltName from the CSR); returns it and its notAfter (Unix seconds).
    pub fn issue(&self, csr: &Csr, serial: i64) -> Result<(Certificate, i64), String> {
        let now = SystemTime::now();
        let mut extensions = Vec::new();
        if let Some(requested) = csr.extension_request() {
            let san = const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
            extensions.extend(requested.into_iter().filter(|e| e.extn_id == san));
        }
        let not_after = now + Duration::from_secs(ISSUED_DAYS * DAY);
        let template = CertificateTemplate {
            serial: serial_bytes(serial),
            subject: csr.subject().clone(),
            not_before: der_time(now - BACKDATE)?,
            not_after: der_time(not_after)?,
            public_key: csr.public_key().clone(),
            is_ca: false,
            // An EC key agrees on keys (RFC 5480 §3); an RSA key has them encrypted to it.
            key_usage: Some(KeyUsage(
                KeyUsages::DigitalSignature
                    | if csr.public_key().algorithm.oid == const_oid::db::rfc5912::ID_EC_PUBLIC_KEY
                    {
                        KeyUsages::KeyAgreement
                    } else {
                        KeyUsages::KeyEncipherment
                    },
            )),
            extensions,
        };
        let signer = &self.signer;
        let cert = builder::certificate(
            &template,
            Some(self.certificate()),
            signer.signature_algorithm(),
            &mut |tbs| signer.sign(tbs),
            &PROVIDER,
        )
        .map_err(scep_err("issue"))?;
        Ok((cert, crate::common::util::unix_seconds(not_after)))
    }

    /// A CRL of `revoked`, numbered `number`, valid for a day.
    pub fn crl(&self, revoked: &[Revocation], number: i64) -> Result<Crl, String> {
        let now = SystemTime::now();
        let revoked = revoked
            .iter()
            .map(|r| {
                let at = SystemTime::UNIX_EPOCH
                    + Duration::from_secs(u64::try_from(r.revoked_at).unwrap_or(0));
                Ok(RevokedCertificate {
                    serial: serial_bytes(r.serial),
                    revocation_date: der_time(at)?,
                    reason: r.reason.and_then(crl_reason),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let template = CrlTemplate {
            this_update: der_time(now - BACKDATE)?,
            next_update: Some(der_time(now + Duration::from_secs(DAY))?),
            number: serial_bytes(number),
            revoked,
        };
        let alg = self.signer.signature_algorithm();
        builder::crl(&template, self.certificate(), alg, &mut |tbs| {
            self.signer.sign(tbs)
        })
        .map_err(scep_err("CRL"))
    }
}

/// A serial number as unsigned big-endian octets.
pub fn serial_bytes(serial: i64) -> Vec<u8> {
    u64::try_from(serial).unwrap_or(0).to_be_bytes().to_vec()
}

/// The serial a request names (content octets of the INTEGER), when it is one of ours.
pub fn serial_from_bytes(bytes: &[u8]) -> Option<i64> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if trimmed.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    buf.get_mut(8 - trimmed.len()..)?.copy_from_slice(&trimmed);
    i64::try_from(u64::from_be_bytes(buf)).ok()
}

/// The RFC 5280 reason code (0..=10 except 7), as `--reason` takes it.
pub fn crl_reason(code: u8) -> Option<CrlReason> {
    Some(match code {
        0 => CrlReason::Unspecified,
        1 => CrlReason::KeyCompromise,
        2 => CrlReason::CaCompromise,
        3 => CrlReason::AffiliationChanged,
        4 => CrlReason::Superseded,
        5 => CrlReason::CessationOfOperation,
        6 => CrlReason::CertificateHold,
        8 => CrlReason::RemoveFromCRL,
        9 => CrlReason::PrivilegeWithdrawn,
        10 => CrlReason::AaCompromise,
        _ => return None,
    })
}

/// `--reason` by name or number.
pub fn parse_reason(s: &str) -> Option<u8> {
    let names = [
        "unspecified",
        "keyCompromise",
        "cACompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
        "",
        "removeFromCRL",
        "privilegeWithdrawn",
        "aACompromise",
    ];
    if let Ok(n) = s.parse::<u8>() {
        return crl_reason(n).map(|_| n);
    }
    names
        .iter()
        .position(|n| !n.is_empty() && n.eq_ignore_ascii_case(s))
        .and_then(|i| u8::try_from(i).ok())
}
