//! Keys of either kind: RSA (key transport) or EC P-256/P-384 (ECDSA and key agreement), behind
//! one key holder that the library uses only through `Signer` and `Decryptor`. The device key of
//! `scep enroll --key-type` and the CA key of `scep serve --ca-key-type`.

use core::time::Duration;
use std::time::SystemTime;

use scep::builder::{self, CertificateTemplate};
use scep::crypto::{
    CryptoError, Decryptor, DigestAlgorithm, EcCurve, KeyTransport, SignatureAlgorithm, Signer,
};
use scep::provider::rustcrypto::{EcKey, EcPrivateKey, PROVIDER, RsaKey, sign_with_key};
use scep::{Certificate, Error};
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::name::Name;
use zeroize::Zeroizing;

use crate::common::util::der_time;

/// The kinds of key the tools generate (`--key-type`, `--ca-key-type`).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum KeyType {
    Rsa(usize),
    Ec(EcCurve),
}

impl KeyType {
    /// `rsa2048`, `rsa3072`, `rsa4096`, `p256`, `p384` (also `rsa` = RSA-2048, `ec` = P-256).
    pub fn parse(s: &str) -> Result<KeyType, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "rsa" | "rsa2048" => KeyType::Rsa(2048),
            "rsa3072" => KeyType::Rsa(3072),
            "rsa4096" => KeyType::Rsa(4096),
            "ec" | "p256" | "p-256" | "prime256v1" | "secp256r1" => KeyType::Ec(EcCurve::P256),
            "p384" | "p-384" | "secp384r1" => KeyType::Ec(EcCurve::P384),
            other => {
                return Err(format!(
                    "unknown key type {other:?} (rsa2048, rsa3072, rsa4096, p256, p384)"
                ));
            }
        })
    }
}

/// A key holder: RSA (`R`: the RustCrypto `RsaKey`, or AWS-LC's) or EC (`E`: the RustCrypto
/// `EcKey`, or AWS-LC's).
#[derive(Clone, Debug)]
pub enum AnyKey<R = RsaKey, E = EcKey> {
    Rsa(R),
    Ec(E),
}

/// A random positive 16-byte serial.
fn random_serial() -> Result<[u8; 16], String> {
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| format!("random: {e}"))?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    Ok(serial)
}

/// A private key of either kind, before it has a certificate.
enum NewKey {
    Rsa(Box<rsa::PrivateKey>),
    Ec(EcPrivateKey),
}

impl NewKey {
    fn generate(kind: KeyType) -> Result<NewKey, String> {
        let mut rng = getrandom::SysRng;
        Ok(match kind {
            KeyType::Rsa(bits) => NewKey::Rsa(Box::new(
                rsa::PrivateKey::new(&mut rng, bits)
                    .map_err(|e| format!("RSA key generation: {e}"))?,
            )),
            KeyType::Ec(curve) => NewKey::Ec(
                EcPrivateKey::generate(curve, &mut rng)
                    .map_err(|e| format!("EC key generation: {e}"))?,
            ),
        })
    }

    /// An existing key: EC (PKCS #8 or SEC1) or RSA (PKCS #8 or PKCS #1), PEM.
    fn from_pem(pem: &[u8]) -> Result<NewKey, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        use rsa::pkcs8::DecodePrivateKey as _;
        if let Ok(k) = EcPrivateKey::from_pem(pem) {
            return Ok(NewKey::Ec(k));
        }
        let text = std::str::from_utf8(pem).map_err(|_| "not a PEM key".to_owned())?;
        rsa::PrivateKey::from_pkcs8_pem(text)
            .or_else(|_| rsa::PrivateKey::from_pkcs1_pem(text))
            .map(|k| NewKey::Rsa(Box::new(k)))
            .map_err(|_| {
                "not an unencrypted RSA or EC (P-256, P-384) private key in PEM".to_owned()
            })
    }

    /// RSA with SHA-256; ECDSA with the curve's digest.
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        match self {
            NewKey::Rsa(_) => SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
            NewKey::Ec(k) => k.default_signature_algorithm(),
        }
    }

    fn public_key_info(&self) -> Result<scep::spki::SubjectPublicKeyInfoOwned, String> {
        match self {
            NewKey::Rsa(k) => scep::provider::rustcrypto::public_key_info(k),
            NewKey::Ec(k) => k.public_key_info(),
        }
        .map_err(|e| format!("public key: {e}"))
    }

    fn sign(&self, alg: SignatureAlgorithm, tbs: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            NewKey::Rsa(k) => sign_with_key(k, alg, tbs),
            NewKey::Ec(k) => k.sign(alg, tbs),
        }
    }

    fn with_certificate(self, cert: Certificate) -> Result<AnyKey, String> {
        match self {
            NewKey::Rsa(k) => RsaKey::new(*k, cert).map(AnyKey::Rsa),
            NewKey::Ec(k) => EcKey::new(k, cert).map(AnyKey::Ec),
        }
        .map_err(|e| format!("key: {e}"))
    }
}

impl AnyKey<RsaKey> {
    /// A new key of `kind` with a certificate for `subject` signed by itself, valid for `days`
    /// from five minutes ago. `usage` `None` is the builder's end-entity certificate (no
    /// basicConstraints; keyUsage digitalSignature and keyEncipherment or keyAgreement by key).
    pub fn self_signed(
        kind: KeyType,
        subject: &Name,
        days: u64,
        ca_usage: Option<(bool, KeyUsage)>,
    ) -> Result<AnyKey, String> {
        Self::certify(NewKey::generate(kind)?, subject, days, ca_usage)
    }

    /// The key in `pem` (see [`NewKey::from_pem`]) with a new self-signed end-entity
    /// certificate for `subject`, valid for `days`.
    pub fn self_signed_from_pem(pem: &[u8], subject: &Name, days: u64) -> Result<AnyKey, String> {
        Self::certify(NewKey::from_pem(pem)?, subject, days, None)
    }

    fn certify(
        key: NewKey,
        subject: &Name,
        days: u64,
        ca_usage: Option<(bool, KeyUsage)>,
    ) -> Result<AnyKey, String> {
        let serial = random_serial()?;
        let now = SystemTime::now();
        let not_before = der_time(now - Duration::from_secs(300))?;
        let not_after = der_time(now + Duration::from_secs(days * 86_400))?;
        let sig = key.signature_algorithm();
        let public_key = key.public_key_info()?;
        let cert = match ca_usage {
            None => builder::self_signed_certificate(
                subject,
                public_key,
                &serial,
                not_before,
                not_after,
                sig,
                &mut |tbs| key.sign(sig, tbs),
                &PROVIDER,
            ),
            Some((is_ca, usage)) => builder::certificate(
                &CertificateTemplate {
                    serial: serial.to_vec(),
                    subject: subject.clone(),
                    not_before,
                    not_after,
                    public_key,
                    is_ca,
                    key_usage: Some(usage),
                    extensions: Vec::new(),
                },
                None,
                sig,
                &mut |tbs| key.sign(sig, tbs),
                &PROVIDER,
            ),
        }
        .map_err(|e| format!("self-signed certificate: {e}"))?;
        key.with_certificate(cert)
    }

    /// A PKCS #8 (RSA or EC), PKCS #1 or SEC1 PEM key, paired with `cert`.
    pub fn from_pem(pem: &[u8], cert: Certificate) -> Result<AnyKey, Error> {
        if cert.public_key().algorithm.oid == const_oid::db::rfc5912::ID_EC_PUBLIC_KEY {
            EcKey::from_pem(pem, cert).map(AnyKey::Ec)
        } else {
            RsaKey::from_pem(pem, cert).map(AnyKey::Rsa)
        }
    }

    /// The private key as unencrypted PKCS #8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        match self {
            AnyKey::Rsa(k) => k.to_pkcs8_pem(),
            AnyKey::Ec(k) => k.private_key().to_pkcs8_pem(),
        }
    }
}

impl AnyKey {
    /// `RSA`, `EC P-256`, ... for log lines.
    pub fn describe(&self) -> &'static str {
        match self {
            AnyKey::Rsa(_) => "RSA",
            AnyKey::Ec(k) => match k.private_key().curve() {
                EcCurve::P256 => "EC P-256",
                EcCurve::P384 => "EC P-384",
                _ => "EC",
            },
        }
    }
}

impl<R, E> AnyKey<R, E> {
    /// The signature algorithm of this key kind with digest `d` (RSA PKCS #1 v1.5 or ECDSA).
    pub fn algorithm_with(&self, d: DigestAlgorithm) -> SignatureAlgorithm {
        match self {
            AnyKey::Rsa(_) => SignatureAlgorithm::RsaPkcs1v15(d),
            AnyKey::Ec(_) => SignatureAlgorithm::Ecdsa(d),
        }
    }
}

impl<R: Signer, E: Signer> Signer for AnyKey<R, E> {
    fn certificate(&self) -> &Certificate {
        match self {
            AnyKey::Rsa(k) => k.certificate(),
            AnyKey::Ec(k) => Signer::certificate(k),
        }
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        match self {
            AnyKey::Rsa(k) => k.signature_algorithm(),
            AnyKey::Ec(k) => k.signature_algorithm(),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            AnyKey::Rsa(k) => k.sign(message),
            AnyKey::Ec(k) => k.sign(message),
        }
    }

    fn sign_with(&self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            AnyKey::Rsa(k) => k.sign_with(alg, message),
            AnyKey::Ec(k) => k.sign_with(alg, message),
        }
    }
}

impl<R: Decryptor, E: Decryptor> Decryptor for AnyKey<R, E> {
    fn certificate(&self) -> &Certificate {
        match self {
            AnyKey::Rsa(k) => k.certificate(),
            AnyKey::Ec(k) => Decryptor::certificate(k),
        }
    }

    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match self {
            AnyKey::Rsa(k) => k.decrypt_key(alg, encrypted_key, key_len),
            AnyKey::Ec(k) => k.decrypt_key(alg, encrypted_key, key_len),
        }
    }

    fn agree(
        &self,
        curve: EcCurve,
        public_point: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match self {
            AnyKey::Rsa(k) => k.agree(curve, public_point),
            AnyKey::Ec(k) => k.agree(curve, public_point),
        }
    }
}
