//! The software key: [`RsaKey`], a `Signer` and `Decryptor`, and the bare-key helpers.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use der::Decode;
use rsa::pkcs1::{DecodeRsaPrivateKey, RsaPublicKeyRef};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, PrivateKey};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::crypto::{
    CryptoError, Decryptor, DigestAlgorithm, KeyTransport, SignatureAlgorithm, Signer,
    params_absent_or_null,
};
use crate::error::Error;
use crate::oid;

use super::{digest::*, key_transport::*, rng::*};

/// A software RSA key with its certificate: a [`Signer`] (RSASSA-PKCS1-v1_5) and a [`Decryptor`]
/// (RSAES-PKCS1-v1_5 with implicit rejection, and RSAES-OAEP).
///
/// Private-key operations are blinded; see the [module documentation](super#blinding).
#[derive(Clone)]
pub struct RsaKey {
    key: PrivateKey,
    cert: Certificate,
    signature_algorithm: SignatureAlgorithm,
    blinding_seed: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("modulus_bits", &self.key.n().bit_width())
            .field("subject", &self.cert.subject())
            .field("signature_algorithm", &self.signature_algorithm)
            .finish_non_exhaustive()
    }
}

impl RsaKey {
    /// Pairs `key` with `cert`, signing with RSA PKCS #1 v1.5 and SHA-256 until
    /// [`with_signature_algorithm`](Self::with_signature_algorithm) says otherwise.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the certificate's public key is not `key`'s.
    pub fn new(key: PrivateKey, cert: Certificate) -> Result<Self, Error> {
        if !public_key_matches(&key, &cert.public_key()) {
            return Err(Error::InvalidInput);
        }
        let blinding_seed = blinding_seed(&key);
        Ok(Self {
            key,
            cert,
            signature_algorithm: SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
            blinding_seed,
        })
    }

    /// Decodes a DER PKCS #8 `PrivateKeyInfo` (unencrypted, `rsaEncryption`) and pairs it with
    /// `cert`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the key does not decode or does not match `cert`.
    pub fn from_pkcs8_der(der: &[u8], cert: Certificate) -> Result<Self, Error> {
        let key = PrivateKey::from_pkcs8_der(der).map_err(|_| Error::InvalidInput)?;
        Self::new(key, cert)
    }

    /// Decodes a DER PKCS #1 `RSAPrivateKey` and pairs it with `cert`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the key does not decode or does not match `cert`.
    pub fn from_pkcs1_der(der: &[u8], cert: Certificate) -> Result<Self, Error> {
        let key = PrivateKey::from_pkcs1_der(der).map_err(|_| Error::InvalidInput)?;
        Self::new(key, cert)
    }

    /// Decodes the first `PRIVATE KEY` (PKCS #8) PEM block in `pem` and pairs it with `cert`.
    /// Text around the block is ignored.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when there is no such block, it does not decode, or the key does
    /// not match `cert`.
    pub fn from_pkcs8_pem(pem: &[u8], cert: Certificate) -> Result<Self, Error> {
        let der = pem_block(pem, "PRIVATE KEY").ok_or(Error::InvalidInput)?;
        Self::from_pkcs8_der(&der, cert)
    }

    /// Decodes the first `RSA PRIVATE KEY` (PKCS #1) PEM block in `pem` and pairs it with
    /// `cert`. Text around the block is ignored; an OpenSSL-encrypted block (`Proc-Type`
    /// headers) is refused.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when there is no such block, it does not decode, or the key does
    /// not match `cert`.
    pub fn from_pkcs1_pem(pem: &[u8], cert: Certificate) -> Result<Self, Error> {
        let der = pem_block(pem, "RSA PRIVATE KEY").ok_or(Error::InvalidInput)?;
        Self::from_pkcs1_der(&der, cert)
    }

    /// Decodes the first `PRIVATE KEY` or `RSA PRIVATE KEY` PEM block in `pem`, ignoring text
    /// around it (OpenSSL "Bag Attributes", a certificate in the same file), and pairs it with
    /// `cert`. Encrypted keys are refused.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when there is no such block, it does not decode, or the key does
    /// not match `cert`.
    pub fn from_pem(pem: &[u8], cert: Certificate) -> Result<Self, Error> {
        let pkcs8 = find(pem, b"-----BEGIN PRIVATE KEY-----");
        let pkcs1 = find(pem, b"-----BEGIN RSA PRIVATE KEY-----");
        match (pkcs8, pkcs1) {
            (Some(a), Some(b)) if b < a => Self::from_pkcs1_pem(pem, cert),
            (Some(_), _) => Self::from_pkcs8_pem(pem, cert),
            (None, Some(_)) => Self::from_pkcs1_pem(pem, cert),
            (None, None) => Err(Error::InvalidInput),
        }
    }

    /// Signs with `alg` from now on.
    #[must_use]
    pub fn with_signature_algorithm(mut self, alg: SignatureAlgorithm) -> Self {
        self.signature_algorithm = alg;
        self
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// The certificate (the same one [`Signer::certificate`] and [`Decryptor::certificate`]
    /// return).
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// The private key as unencrypted PKCS #8 PEM (`PRIVATE KEY`, LF line endings).
    ///
    /// # Errors
    /// [`Error::Encode`] when the key cannot be encoded (a multi-prime key).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| Error::Encode)
    }

    pub(super) fn blinding(&self, label: &[u8], input: &[u8]) -> BlindingRng {
        BlindingRng::new(&self.blinding_seed, label, input)
    }
}

impl Signer for RsaKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.signature_algorithm
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        sign_pkcs1v15(
            &self.key,
            &self.blinding_seed,
            self.signature_algorithm,
            message,
        )
    }

    /// Any digest: the key is software.
    fn sign_with(&self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        sign_pkcs1v15(&self.key, &self.blinding_seed, alg, message)
    }
}

impl Decryptor for RsaKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut rng = self.blinding(b"decrypt", encrypted_key);
        let result = match alg {
            KeyTransport::RsaPkcs1v15 => {
                self.key
                    .decrypt_blinded(&mut rng, Pkcs1v15Encrypt, encrypted_key)
            }
            KeyTransport::RsaOaep { hash, mgf1 } => {
                let op = OaepDecrypt {
                    key: &self.key,
                    rng: &mut rng,
                    ciphertext: encrypted_key,
                };
                with_oaep::<true, _>(hash, mgf1, op).ok_or(CryptoError::UnsupportedAlgorithm)?
            }
            _ => return Err(CryptoError::UnsupportedAlgorithm),
        };
        let plain = Zeroizing::new(result.map_err(|_| CryptoError::Failed)?);
        if plain.len() != key_len {
            return Err(CryptoError::Failed);
        }
        Ok(plain)
    }
}

pub(super) fn sign_pkcs1v15(
    key: &PrivateKey,
    seed: &[u8; 32],
    alg: SignatureAlgorithm,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match alg {
        SignatureAlgorithm::RsaPkcs1v15(digest) => {
            let hashed = hash(digest, message)?;
            let mut rng = BlindingRng::new(seed, b"sign", hashed.as_bytes());
            key.sign_with_rng(&mut rng, pkcs1v15_scheme(digest), hashed.as_bytes())
                .map_err(|_| CryptoError::Failed)
        }
        SignatureAlgorithm::Ecdsa(_) => Err(CryptoError::UnsupportedAlgorithm),
    }
}

/// Whether `spki` is `rsaEncryption` with `key`'s modulus and exponent.
pub(super) fn public_key_matches(key: &PrivateKey, spki: &SubjectPublicKeyInfoRef<'_>) -> bool {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION
        || !params_absent_or_null(spki.algorithm.parameters)
    {
        return false;
    }
    let Some(bits) = spki.subject_public_key.as_bytes() else {
        return false;
    };
    let Ok(public) = RsaPublicKeyRef::from_der(bits) else {
        return false;
    };
    public.modulus.as_bytes() == &key.n_bytes()[..]
        && public.public_exponent.as_bytes() == &key.e_bytes()[..]
}

/// Position of `needle` in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes the first PEM block labelled `label` in `text`, ignoring everything around it. The
/// block itself must follow RFC 7468 (no headers), with any line width.
pub(super) fn pem_block(text: &[u8], label: &str) -> Option<Zeroizing<Vec<u8>>> {
    let mut begin = Vec::with_capacity(label.len() + 16);
    begin.extend_from_slice(b"-----BEGIN ");
    begin.extend_from_slice(label.as_bytes());
    begin.extend_from_slice(b"-----");
    let mut end = Vec::with_capacity(label.len() + 14);
    end.extend_from_slice(b"-----END ");
    end.extend_from_slice(label.as_bytes());
    end.extend_from_slice(b"-----");

    let start = find(text, &begin)?;
    let rest = text.get(start..)?;
    let stop = find(rest, &end)? + end.len();
    let block = rest.get(..stop)?;

    let mut decoder = der::pem::Decoder::new_detect_wrap(block).ok()?;
    if decoder.type_label() != label {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; decoder.remaining_len()]);
    let len = decoder.decode(&mut out).ok()?.len();
    out.truncate(len);
    Some(out)
}

/// The `SubjectPublicKeyInfo` (`rsaEncryption`) of `key`'s public half: what a
/// [`CertificateTemplate`](crate::builder::CertificateTemplate) or a CSR needs.
///
/// # Errors
/// [`Error::Encode`] when DER encoding fails.
pub fn public_key_info(key: &PrivateKey) -> Result<SubjectPublicKeyInfoOwned, Error> {
    let spki_der = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|_| Error::Encode)?;
    SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(|_| Error::Encode)
}

/// Signs `message` with a bare `key` (RSASSA-PKCS1-v1_5, blinded as [`RsaKey`] does), for a
/// key that has no certificate yet or whose certificate is beside the point: the
/// self-signature of a new CA certificate, a CSR, a CRL. Made to be called from the closures
/// of [`builder`](crate::builder).
///
/// # Errors
/// [`CryptoError::Failed`] when the key is too small for the digest (SHA-512 with a 512-bit
/// key).
pub fn sign_with_key(
    key: &PrivateKey,
    alg: SignatureAlgorithm,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    sign_pkcs1v15(key, &blinding_seed(key), alg, message)
}
