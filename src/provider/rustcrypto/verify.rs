//! Public keys: RSA PKCS #1 v1.5 signature verification.

use der::Decode;
use rsa::pkcs1::RsaPublicKeyRef;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PublicKey};
use spki::SubjectPublicKeyInfoRef;

use crate::crypto::{BadSignature, SignatureAlgorithm, Verifier, params_absent_or_null};
use crate::oid;

use super::digest::*;
use super::{MAX_RSA_BITS, MIN_RSA_BITS};

/// Decodes an RSA public key from a `SubjectPublicKeyInfo`: `rsaEncryption` with absent or NULL
/// parameters, a modulus of [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits, and an exponent `rsa`
/// accepts (odd, 3 to 2^33 - 1).
pub(super) fn rsa_public_key(spki: &SubjectPublicKeyInfoRef<'_>) -> Option<PublicKey> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION
        || !params_absent_or_null(spki.algorithm.parameters)
    {
        return None;
    }
    let key = RsaPublicKeyRef::from_der(spki.subject_public_key.as_bytes()?).ok()?;
    let n = key.modulus.as_bytes();
    let e = key.public_exponent.as_bytes();
    // Bound the sizes before any big-integer work.
    if n.len() < MIN_RSA_BITS / 8 || n.len() > MAX_RSA_BITS / 8 || e.is_empty() || e.len() > 8 {
        return None;
    }
    let n = BoxedUint::from_be_slice_vartime(n);
    let e = BoxedUint::from_be_slice_vartime(e);
    PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=MAX_RSA_BITS).ok()
}

/// RSASSA-PKCS1-v1_5 verification with every [`DigestAlgorithm`](crate::crypto::DigestAlgorithm), for `rsaEncryption` keys of
/// [`MIN_RSA_BITS`](super::MIN_RSA_BITS) to [`MAX_RSA_BITS`](super::MAX_RSA_BITS) bits; and ECDSA on the curves
/// built in (features `p256`, `p384`) with SHA-1 and SHA-2.
#[derive(Clone, Copy, Debug, Default)]
pub struct RsaVerifier;

impl Verifier for RsaVerifier {
    fn verify(
        &self,
        alg: SignatureAlgorithm,
        spki: SubjectPublicKeyInfoRef<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        verify_in::<true>(alg, spki, message, signature)
    }
}

/// [`RsaVerifier`] without SHA-384 and SHA-512 (see [`COMPACT_PROVIDER`](super::COMPACT_PROVIDER)).
#[derive(Clone, Copy, Debug, Default)]
pub struct CompactRsaVerifier;

impl Verifier for CompactRsaVerifier {
    fn verify(
        &self,
        alg: SignatureAlgorithm,
        spki: SubjectPublicKeyInfoRef<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        verify_in::<false>(alg, spki, message, signature)
    }
}

/// [`CompactRsaVerifier`] without RSA: ECDSA on the curves built in (features `p256`, `p384`)
/// with SHA-1, SHA-224 and SHA-256, and nothing else (an RSA signature is the one
/// [`BadSignature`]). For firmware whose CA has an EC key: with nothing else reaching RSA, the
/// linker drops the RSA arithmetic (about 39 KiB of flash on a Cortex-M4, `examples/firmware`'s
/// P-256 image).
#[cfg(any(feature = "p256", feature = "p384"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct CompactEcdsaVerifier;

#[cfg(any(feature = "p256", feature = "p384"))]
impl Verifier for CompactEcdsaVerifier {
    fn verify(
        &self,
        alg: SignatureAlgorithm,
        spki: SubjectPublicKeyInfoRef<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        match alg {
            SignatureAlgorithm::Ecdsa(digest) => {
                super::ec::verify::<false>(digest, &spki, message, signature)
            }
            SignatureAlgorithm::RsaPkcs1v15(_) => Err(BadSignature),
        }
    }
}

pub(super) fn verify_in<const WIDE: bool>(
    alg: SignatureAlgorithm,
    spki: SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), BadSignature> {
    if let SignatureAlgorithm::Ecdsa(digest) = alg {
        return super::ec::verify::<WIDE>(digest, &spki, message, signature);
    }
    let key = rsa_public_key(&spki).ok_or(BadSignature)?;
    match alg {
        SignatureAlgorithm::RsaPkcs1v15(digest) => {
            if signature.len() != key.size() {
                return Err(BadSignature);
            }
            let hashed = hash_in::<WIDE>(digest, message).map_err(|_| BadSignature)?;
            key.verify(pkcs1v15_scheme(digest), hashed.as_bytes(), signature)
                .map_err(|_| BadSignature)
        }
        SignatureAlgorithm::Ecdsa(_) => Err(BadSignature),
    }
}
