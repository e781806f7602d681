//! Crypto traits: the only way the rest of the crate touches a key or an algorithm.
//!
//! Two kinds of object live here:
//!
//! - **Key holders** ([`Signer`], [`Decryptor`]) own a private key. They may be a software key
//!   (see `provider::rustcrypto::RsaKey`), a secure element, a TPM or an HSM session: the
//!   private key never has to leave them. They are object-safe, take `&self` and have no
//!   `Send + Sync` supertrait, because firmware handles often are neither.
//! - A [`CryptoProvider`] is the stateless public-key and symmetric half: digests, signature
//!   verification, key transport to a recipient's public key, and the content cipher. It is a
//!   `Copy` struct of `&'static dyn` parts, so one part can be replaced with struct update syntax
//!   (`CryptoProvider { verifier: &MY_VERIFIER, ..PROVIDER }`). There is no process-global
//!   provider.
//!
//! Randomness is passed per call as `&mut dyn SecureRandom`, which every `rand_core` 0.10
//! [`TryCryptoRng`](rand_core::TryCryptoRng) implements, so a failing hardware TRNG is an error
//! and not a panic.

use alloc::vec::Vec;
use core::fmt;

use der::asn1::{AnyRef, ObjectIdentifier};
use spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::oid;

/// A digest algorithm.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// MD5. RFC 8894 forbids it; old Cisco IOS and OpenSCEP still send it.
    #[cfg(feature = "insecure-legacy")]
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256 (the RFC 8894 default).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => oid::MD5,
            Self::Sha1 => oid::SHA1,
            Self::Sha224 => oid::SHA224,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    /// Length of the digest in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Whether RFC 8894 forbids the algorithm (MD5).
    pub const fn is_legacy(self) -> bool {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => true,
            _ => false,
        }
    }

    /// Looks an OID up. Unknown OIDs, and MD5 without the `insecure-legacy` feature, give
    /// `None`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Some(match *oid {
            #[cfg(feature = "insecure-legacy")]
            oid::MD5 => Self::Md5,
            oid::SHA1 => Self::Sha1,
            oid::SHA224 => Self::Sha224,
            oid::SHA256 => Self::Sha256,
            oid::SHA384 => Self::Sha384,
            oid::SHA512 => Self::Sha512,
            _ => return None,
        })
    }

    /// The `AlgorithmIdentifier` we emit: the OID with absent parameters (RFC 5754 §2).
    pub fn to_algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// The DER `DigestInfo` prefix (RFC 8017 §9.2 note 1) for this digest, for key holders that
    /// sign a pre-computed hash.
    pub const fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => &[
                0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
                0x05, 0x00, 0x04, 0x10,
            ],
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha224 => &[
                0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x04, 0x05, 0x00, 0x04, 0x1c,
            ],
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Self::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Self::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// Builds the PKCS #1 `DigestInfo` for `hash`, for a digest-only device that pads and signs
/// itself.
pub fn digest_info(alg: DigestAlgorithm, hash: &[u8]) -> Vec<u8> {
    let prefix = alg.digest_info_prefix();
    let mut out = Vec::with_capacity(prefix.len() + hash.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(hash);
    out
}

/// A signature algorithm.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with the given digest.
    RsaPkcs1v15(DigestAlgorithm),
}

impl SignatureAlgorithm {
    /// The digest the signature is computed with.
    pub const fn digest(self) -> DigestAlgorithm {
        match self {
            Self::RsaPkcs1v15(d) => d,
        }
    }

    /// Whether RFC 8894 forbids the algorithm (a signature with MD5).
    pub const fn is_legacy(self) -> bool {
        self.digest().is_legacy()
    }

    /// The `<digest>WithRSAEncryption` OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::RsaPkcs1v15(d) => match d {
                #[cfg(feature = "insecure-legacy")]
                DigestAlgorithm::Md5 => oid::MD5_WITH_RSA,
                DigestAlgorithm::Sha1 => oid::SHA1_WITH_RSA,
                DigestAlgorithm::Sha224 => oid::SHA224_WITH_RSA,
                DigestAlgorithm::Sha256 => oid::SHA256_WITH_RSA,
                DigestAlgorithm::Sha384 => oid::SHA384_WITH_RSA,
                DigestAlgorithm::Sha512 => oid::SHA512_WITH_RSA,
            },
        }
    }

    /// The `AlgorithmIdentifier` we emit (parameters NULL, RFC 4055 §5).
    pub fn to_algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(der::Any::null()),
        }
    }

    /// Interprets a SignerInfo's `signatureAlgorithm`, given its `digestAlgorithm`.
    ///
    /// Accepts `rsaEncryption` (the common PKCS #7 quirk, taking the digest from the
    /// SignerInfo) and the `<digest>WithRSAEncryption` OIDs with absent or NULL parameters. A
    /// combined OID whose digest disagrees with `digest` is refused.
    pub fn from_signer_info(
        alg: &AlgorithmIdentifierRef<'_>,
        digest: DigestAlgorithm,
    ) -> Option<Self> {
        if !params_absent_or_null(alg.parameters) {
            return None;
        }
        Self::from_oid_with_digest(&alg.oid, digest)
    }

    /// The signature algorithm named by `oid` in a SignerInfo whose digest is `digest`:
    /// `rsaEncryption` takes the digest; a combined OID must agree with it.
    pub(crate) fn from_oid_with_digest(
        oid: &ObjectIdentifier,
        digest: DigestAlgorithm,
    ) -> Option<Self> {
        if *oid == oid::RSA_ENCRYPTION {
            return Some(Self::RsaPkcs1v15(digest));
        }
        (rsa_signature_digest(oid)? == digest).then_some(Self::RsaPkcs1v15(digest))
    }
}

/// The digest of a `<digest>WithRSAEncryption` OID.
fn rsa_signature_digest(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
    Some(match *oid {
        #[cfg(feature = "insecure-legacy")]
        oid::MD5_WITH_RSA => DigestAlgorithm::Md5,
        oid::SHA1_WITH_RSA => DigestAlgorithm::Sha1,
        oid::SHA224_WITH_RSA => DigestAlgorithm::Sha224,
        oid::SHA256_WITH_RSA => DigestAlgorithm::Sha256,
        oid::SHA384_WITH_RSA => DigestAlgorithm::Sha384,
        oid::SHA512_WITH_RSA => DigestAlgorithm::Sha512,
        _ => return None,
    })
}

impl SignatureAlgorithm {
    /// Interprets an X.509 or PKCS #10 `signatureAlgorithm` (a combined OID with absent or
    /// NULL parameters).
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm) otherwise.
    pub fn from_x509(alg: &AlgorithmIdentifierOwned) -> Result<Self, crate::Error> {
        let unsupported =
            crate::Error::UnsupportedAlgorithm(crate::error::AlgorithmKind::Signature);
        if alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return Err(unsupported);
        }
        rsa_signature_digest(&alg.oid)
            .map(Self::RsaPkcs1v15)
            .ok_or(unsupported)
    }

    /// [`from_x509`](Self::from_x509) under the rule CMS signatures follow
    /// ([`OpenOptions::allow_legacy`](crate::envelope::OpenOptions)): `md5WithRSAEncryption`
    /// is [`Error::LegacyAlgorithm`](crate::Error::LegacyAlgorithm) unless the
    /// `insecure-legacy` feature is compiled in **and** `allow_legacy` is set.
    pub(crate) fn from_x509_with_policy(
        alg: &AlgorithmIdentifierOwned,
        allow_legacy: bool,
    ) -> Result<Self, crate::Error> {
        if alg.oid == oid::MD5_WITH_RSA && !(cfg!(feature = "insecure-legacy") && allow_legacy) {
            return Err(crate::Error::LegacyAlgorithm);
        }
        let parsed = Self::from_x509(alg)?;
        if parsed.is_legacy() && !allow_legacy {
            return Err(crate::Error::LegacyAlgorithm);
        }
        Ok(parsed)
    }
}

pub(crate) fn params_absent_or_null(p: Option<AnyRef<'_>>) -> bool {
    match p {
        None => true,
        Some(any) => any.is_null(),
    }
}

/// A key transport (key encryption) algorithm for `KeyTransRecipientInfo`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum KeyTransport {
    /// RSAES-PKCS1-v1_5 (`rsaEncryption`).
    RsaPkcs1v15,
    /// RSAES-OAEP (RFC 8017) with an empty label.
    RsaOaep {
        /// The hash function (RFC 4055 default: SHA-1).
        hash: DigestAlgorithm,
        /// The hash of the MGF1 mask generation function (RFC 4055 default: SHA-1).
        mgf1: DigestAlgorithm,
    },
}

impl KeyTransport {
    /// RSAES-OAEP with SHA-1 for both hash and MGF1 (the RFC 4055 defaults; Windows sends this).
    pub const OAEP_SHA1: Self = Self::RsaOaep {
        hash: DigestAlgorithm::Sha1,
        mgf1: DigestAlgorithm::Sha1,
    };
    /// RSAES-OAEP with SHA-256 for both hash and MGF1.
    pub const OAEP_SHA256: Self = Self::RsaOaep {
        hash: DigestAlgorithm::Sha256,
        mgf1: DigestAlgorithm::Sha256,
    };
}

/// A content-encryption algorithm for `EncryptedContentInfo`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// Single DES-CBC. RFC 8894 forbids it; micromdm's server and old Cisco devices use it.
    #[cfg(feature = "insecure-legacy")]
    DesCbc,
    /// Triple DES (DES-EDE3-CBC).
    DesEde3Cbc,
    /// AES-128-CBC (the RFC 8894 default).
    Aes128Cbc,
    /// AES-192-CBC.
    Aes192Cbc,
    /// AES-256-CBC.
    Aes256Cbc,
}

impl ContentEncryption {
    /// The algorithm's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => oid::DES_CBC,
            Self::DesEde3Cbc => oid::DES_EDE3_CBC,
            Self::Aes128Cbc => oid::AES128_CBC,
            Self::Aes192Cbc => oid::AES192_CBC,
            Self::Aes256Cbc => oid::AES256_CBC,
        }
    }

    /// Looks an OID up. Unknown OIDs, and single DES without the `insecure-legacy` feature, give
    /// `None`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Some(match *oid {
            #[cfg(feature = "insecure-legacy")]
            oid::DES_CBC => Self::DesCbc,
            oid::DES_EDE3_CBC => Self::DesEde3Cbc,
            oid::AES128_CBC => Self::Aes128Cbc,
            oid::AES192_CBC => Self::Aes192Cbc,
            oid::AES256_CBC => Self::Aes256Cbc,
            _ => return None,
        })
    }

    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => 8,
            Self::DesEde3Cbc => 24,
            Self::Aes128Cbc => 16,
            Self::Aes192Cbc => 24,
            Self::Aes256Cbc => 32,
        }
    }

    /// Block (and IV) length in bytes.
    pub const fn block_len(self) -> usize {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => 8,
            Self::DesEde3Cbc => 8,
            Self::Aes128Cbc | Self::Aes192Cbc | Self::Aes256Cbc => 16,
        }
    }

    /// Whether RFC 8894 forbids the algorithm (single DES).
    pub const fn is_legacy(self) -> bool {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => true,
            _ => false,
        }
    }
}

/// A digest value held inline (no allocation), up to 64 bytes.
#[derive(Clone, Copy, Eq, PartialEq)]
pub struct DigestOutput {
    buf: [u8; 64],
    len: usize,
}

impl DigestOutput {
    /// Copies `bytes` (at most 64) into a new value; `None` if longer.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        let mut buf = [0u8; 64];
        buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Self {
            buf,
            len: bytes.len(),
        })
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl AsRef<[u8]> for DigestOutput {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for DigestOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DigestOutput(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// An error from a crypto operation. Deliberately coarse: it never says why a decryption failed.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum CryptoError {
    /// The provider or key holder does not implement the algorithm.
    UnsupportedAlgorithm,
    /// A key (ours or a recipient's) is malformed or of the wrong type or size.
    InvalidKey,
    /// The random number generator failed.
    Rng,
    /// The operation failed (device error, bad input length, ...).
    Failed,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnsupportedAlgorithm => "algorithm not supported by the crypto provider",
            Self::InvalidKey => "invalid key",
            Self::Rng => "random number generator failed",
            Self::Failed => "crypto operation failed",
        })
    }
}

impl core::error::Error for CryptoError {}

/// A signature did not verify. Carries no detail on purpose.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
pub struct BadSignature;

impl fmt::Display for BadSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("signature verification failed")
    }
}

impl core::error::Error for BadSignature {}

/// Symmetric decryption failed (wrong key, bad padding, bad length). Carries no detail on
/// purpose: a distinguishable padding error is an oracle.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
pub struct DecryptFailed;

impl fmt::Display for DecryptFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("decryption failed")
    }
}

impl core::error::Error for DecryptFailed {}

/// The random number generator failed.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
pub struct RngError;

impl fmt::Display for RngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("random number generator failed")
    }
}

impl core::error::Error for RngError {}

/// Object-safe cryptographic randomness.
///
/// Blanket-implemented for every `rand_core` 0.10 [`TryCryptoRng`](rand_core::TryCryptoRng),
/// so `&mut rand::rngs::OsRng`-style generators and fallible hardware TRNGs plug in directly.
pub trait SecureRandom {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    /// [`RngError`] when the generator fails.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RngError>;
}

impl<R: rand_core::TryCryptoRng + ?Sized> SecureRandom for R {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RngError> {
        self.try_fill_bytes(buf).map_err(|_| RngError)
    }
}

/// A key holder that signs: a software key, secure element, TPM or HSM.
pub trait Signer {
    /// The certificate that goes into `SignedData.certificates` and names the signer.
    fn certificate(&self) -> &Certificate;

    /// The algorithm [`sign`](Self::sign) uses.
    fn signature_algorithm(&self) -> SignatureAlgorithm;

    /// Signs `message`, the DER of the signed attributes (a SET), **not** hashed. A digest-only
    /// device hashes it, wraps the hash with [`digest_info`] and signs that.
    ///
    /// # Errors
    /// [`CryptoError`] when the key or device fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// A key holder that decrypts content-encryption keys sent to it.
pub trait Decryptor {
    /// The certificate whose public key the sender encrypted to; matched against the
    /// `RecipientInfo` identifier.
    fn certificate(&self) -> &Certificate;

    /// Decrypts `encrypted_key` and returns a content key of `key_len` bytes.
    ///
    /// Implementations must not reveal padding failures: RSA PKCS #1 v1.5 should use implicit
    /// rejection (as `rsa` 0.10 does). If one errs anyway, the envelope layer substitutes
    /// `key_len` random bytes and fails later with the same error as every other decryption
    /// failure (RFC 3218 §2.3.2).
    ///
    /// # Errors
    /// [`CryptoError`] on any failure.
    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
}

impl<T: Signer + ?Sized> Signer for &T {
    fn certificate(&self) -> &Certificate {
        (**self).certificate()
    }
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        (**self).signature_algorithm()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).sign(message)
    }
}

impl<T: Decryptor + ?Sized> Decryptor for &T {
    fn certificate(&self) -> &Certificate {
        (**self).certificate()
    }
    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        (**self).decrypt_key(alg, encrypted_key, key_len)
    }
}

/// Message digests.
pub trait Digests: fmt::Debug + Send + Sync {
    /// Whether [`digest`](Self::digest) implements `alg` (capability negotiation asks this).
    fn supports(&self, alg: DigestAlgorithm) -> bool;

    /// Hashes `data`.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for an algorithm the provider lacks.
    fn digest(&self, alg: DigestAlgorithm, data: &[u8]) -> Result<DigestOutput, CryptoError>;
}

/// Signature verification with a public key from a certificate.
pub trait Verifier: fmt::Debug + Send + Sync {
    /// Verifies `signature` over `message` (unhashed) with the key in `spki`.
    ///
    /// # Errors
    /// [`BadSignature`] for any failure, including an unsupported key or algorithm.
    fn verify(
        &self,
        alg: SignatureAlgorithm,
        spki: SubjectPublicKeyInfoRef<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature>;
}

/// Key transport: encrypts a content key to a recipient's public key.
pub trait KeyEncryptor: fmt::Debug + Send + Sync {
    /// Encrypts `key` to the public key in `recipient`.
    ///
    /// # Errors
    /// [`CryptoError`] for an unsupported key or algorithm, or a failing generator.
    fn encrypt_key(
        &self,
        alg: KeyTransport,
        recipient: SubjectPublicKeyInfoRef<'_>,
        key: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError>;
}

/// Content encryption with PKCS #7 padding (RFC 5652 §6.3).
pub trait ContentCipher: fmt::Debug + Send + Sync {
    /// Whether `alg` is implemented.
    fn supports(&self, alg: ContentEncryption) -> bool;

    /// Encrypts and pads `plaintext`.
    ///
    /// # Errors
    /// [`CryptoError`] for an unsupported algorithm or wrong key/IV length.
    fn encrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Decrypts and unpads `ciphertext`.
    ///
    /// # Errors
    /// One opaque [`DecryptFailed`] for every failure, so padding errors are not an oracle.
    fn decrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed>;
}

/// The stateless half of the crypto: digests, verification, key transport and content cipher.
///
/// Replace one part with struct update syntax:
/// `CryptoProvider { verifier: &MY_VERIFIER, ..scep::provider::rustcrypto::PROVIDER }`.
#[derive(Clone, Copy, Debug)]
pub struct CryptoProvider {
    /// Message digests.
    pub digests: &'static dyn Digests,
    /// Signature verification.
    pub verifier: &'static dyn Verifier,
    /// Key transport to a recipient's public key.
    pub key_encryptor: &'static dyn KeyEncryptor,
    /// Content encryption and decryption.
    pub cipher: &'static dyn ContentCipher,
}

// ---------------------------------------------------------------------------------------------
// PKCS #7 padding, shared by the providers and the envelope layer

/// 1 when `a < b`, else 0, for `a, b < 2^31`, without a branch.
fn ct_lt(a: u32, b: u32) -> u32 {
    a.wrapping_sub(b) >> 31
}

/// 1 when `a != b`, else 0, for `a, b < 2^31`, without a branch.
fn ct_ne(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    (x | x.wrapping_neg()) >> 31
}

/// The length of `buf` without its PKCS #7 padding, checked over the whole last block without
/// branching on the plaintext; `None` when the padding is malformed.
pub(crate) fn pkcs7_unpadded_len(buf: &[u8], block: usize) -> Option<usize> {
    let last = buf.get(buf.len().checked_sub(block)?..)?;
    let pad = u32::from(*last.last()?);
    let block32 = u32::try_from(block).ok()?;
    // The pad byte must be 1..=block.
    let mut bad = (1 ^ ct_ne(pad, 0)) | ct_lt(block32, pad);
    for (i, &byte) in last.iter().enumerate() {
        // Distance from the end of the block, 1 for the last byte.
        let from_end = block32.wrapping_sub(u32::try_from(i).ok()?);
        let in_padding = 1 ^ ct_lt(pad, from_end);
        bad |= in_padding & ct_ne(u32::from(byte), pad);
    }
    if bad != 0 {
        return None;
    }
    buf.len().checked_sub(pad as usize)
}
