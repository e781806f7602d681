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

use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use crate::cert::Certificate;

mod alg;
mod legacy;
mod verify;

pub(crate) use alg::lookup as oid_lookup;
#[cfg(feature = "rustcrypto")] // the providers' key checks
pub(crate) use alg::params_absent_or_null;
pub(crate) use alg::rsa_modulus_bits;
pub use alg::{ContentEncryption, DigestAlgorithm, KeyTransport, SignatureAlgorithm, digest_info};
pub use legacy::Legacy;

pub mod ec;
pub mod wrap;
pub use ec::{EcCurve, KeyAgreement};
pub use wrap::KeyWrap;

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

    /// Signs `message` with `alg` instead of [`signature_algorithm`](Self::signature_algorithm):
    /// what a client asks for when the CA's capabilities negotiated another digest (sealing
    /// never silently signs with a digest other than the negotiated one). The default signs
    /// with its own algorithm only and refuses any other.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for an algorithm the key holder cannot use; as
    /// [`sign`](Self::sign) otherwise.
    fn sign_with(&self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if alg == self.signature_algorithm() {
            self.sign(message)
        } else {
            Err(CryptoError::UnsupportedAlgorithm)
        }
    }
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
    /// The default refuses: a key holder that only does key agreement (an ECDH-only secure
    /// element) implements [`certificate`](Self::certificate) and [`agree`](Self::agree) and
    /// nothing else.
    ///
    /// # Errors
    /// [`CryptoError`] on any failure.
    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let _ = (alg, encrypted_key, key_len);
        Err(CryptoError::UnsupportedAlgorithm)
    }

    /// ECDH (SEC 1 §3.3.1) of the private key with `public_point`, an uncompressed or
    /// compressed SEC1 point on `curve` sent by the originator; returns the shared secret `Z`
    /// (the x-coordinate, [`EcCurve::field_len`] bytes). The only private operation a
    /// `KeyAgreeRecipientInfo` needs: what a secure element offers, and the key never leaves it.
    /// The KDF and key unwrap happen outside, in the envelope layer.
    ///
    /// The default refuses (an RSA key holder).
    ///
    /// # Errors
    /// [`CryptoError`] for a point not on the curve, another curve, or a device failure.
    fn agree(
        &self,
        curve: EcCurve,
        public_point: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let _ = (curve, public_point);
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

/// Forwarding impls, so that a shared key holder (a `&T`, a `Box<T>`, an `Arc<T>` of an HSM
/// handle in an async server) is a key holder without a newtype.
macro_rules! forward_key_holder {
    ($($ptr:ty),*) => {$(
        impl<T: Signer + ?Sized> Signer for $ptr {
            fn certificate(&self) -> &Certificate {
                (**self).certificate()
            }
            fn signature_algorithm(&self) -> SignatureAlgorithm {
                (**self).signature_algorithm()
            }
            fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
                (**self).sign(message)
            }
            fn sign_with(
                &self,
                alg: SignatureAlgorithm,
                message: &[u8],
            ) -> Result<Vec<u8>, CryptoError> {
                (**self).sign_with(alg, message)
            }
        }
        impl<T: Decryptor + ?Sized> Decryptor for $ptr {
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
            fn agree(
                &self,
                curve: EcCurve,
                public_point: &[u8],
            ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
                (**self).agree(curve, public_point)
            }
        }
    )*};
}
forward_key_holder!(&T, alloc::boxed::Box<T>, alloc::sync::Arc<T>);

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

/// The stateless half of the crypto: digests, verification, key transport, content cipher, key
/// agreement and key wrap.
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
    /// Ephemeral ECDH to a recipient's EC public key (sealing `KeyAgreeRecipientInfo`).
    pub key_agreement: &'static dyn KeyAgreement,
    /// AES key wrap, the CBC steps of PWRI-KEK, and PBKDF2.
    pub key_wrap: &'static dyn KeyWrap,
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
