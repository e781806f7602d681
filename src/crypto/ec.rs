//! Elliptic curves: the curves we name, ECDSA's OIDs, and how an EC public key is read from a
//! `SubjectPublicKeyInfo` (RFC 5480).

use der::asn1::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;

use super::DigestAlgorithm;
use crate::oid;

/// A named elliptic curve (RFC 5480 §2.1.1.1).
///
/// Which curves a provider implements is its business: in the RustCrypto provider each one is a
/// cargo feature (`p256`, `p384`), so that firmware links only the curve its secure element has.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (`secp256r1`, `prime256v1`).
    P256,
    /// NIST P-384 (`secp384r1`).
    P384,
}

impl EcCurve {
    /// The `namedCurve` OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::P256 => oid::SECP256R1,
            Self::P384 => oid::SECP384R1,
        }
    }

    /// Looks a `namedCurve` OID up.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        super::alg::lookup(
            oid,
            &[(oid::SECP256R1, Self::P256), (oid::SECP384R1, Self::P384)],
        )
    }

    /// Length in bytes of a field element (and of an ECDH shared secret).
    pub const fn field_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// Length in bytes of an uncompressed SEC1 point (`04 || x || y`).
    pub const fn uncompressed_point_len(self) -> usize {
        1 + 2 * self.field_len()
    }

    /// The digest that matches the curve's strength (SHA-256 for P-256, SHA-384 for P-384):
    /// what [`EcKey`](crate::provider::rustcrypto::EcKey) signs with by default and what the
    /// key-agreement KDF uses by default (RFC 5753 §7.1.4, RFC 8418).
    pub const fn default_digest(self) -> DigestAlgorithm {
        match self {
            Self::P256 => DigestAlgorithm::Sha256,
            Self::P384 => DigestAlgorithm::Sha384,
        }
    }

    /// Reads an EC public key: `id-ecPublicKey` with a `namedCurve` parameter we know (RFC 5480
    /// §2.1.1; `implicitCurve` and `specifiedCurve` are refused) and the SEC1 point. The point
    /// itself is not checked here; the provider does that when it uses it.
    pub fn from_spki<'a>(spki: &SubjectPublicKeyInfoRef<'a>) -> Option<(Self, &'a [u8])> {
        if spki.algorithm.oid != oid::ID_EC_PUBLIC_KEY {
            return None;
        }
        let curve = spki
            .algorithm
            .parameters?
            .decode_as::<ObjectIdentifier>()
            .ok()?;
        let curve = Self::from_oid(&curve)?;
        Some((curve, spki.subject_public_key.as_bytes()?))
    }
}

/// The `ecdsa-with-<digest>` OID (RFC 5758 §3.2, RFC 3279 §2.2.3).
pub(crate) const fn ecdsa_oid(d: DigestAlgorithm) -> ObjectIdentifier {
    match d {
        #[cfg(feature = "insecure-legacy")]
        DigestAlgorithm::Md5 => oid::ECDSA_WITH_SPECIFIED,
        DigestAlgorithm::Sha1 => oid::ECDSA_WITH_SHA1,
        DigestAlgorithm::Sha224 => oid::ECDSA_WITH_SHA224,
        DigestAlgorithm::Sha256 => oid::ECDSA_WITH_SHA256,
        DigestAlgorithm::Sha384 => oid::ECDSA_WITH_SHA384,
        DigestAlgorithm::Sha512 => oid::ECDSA_WITH_SHA512,
    }
}

/// The digest of an `ecdsa-with-<digest>` OID.
pub(crate) fn ecdsa_digest(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
    super::alg::lookup(
        oid,
        &[
            (oid::ECDSA_WITH_SHA1, DigestAlgorithm::Sha1),
            (oid::ECDSA_WITH_SHA224, DigestAlgorithm::Sha224),
            (oid::ECDSA_WITH_SHA256, DigestAlgorithm::Sha256),
            (oid::ECDSA_WITH_SHA384, DigestAlgorithm::Sha384),
            (oid::ECDSA_WITH_SHA512, DigestAlgorithm::Sha512),
        ],
    )
}

/// Ephemeral-static ECDH for sealing a `KeyAgreeRecipientInfo` (RFC 5753 §3.1.1): the
/// originator's half, which needs no private key of ours.
pub trait KeyAgreement: core::fmt::Debug + Send + Sync {
    /// Whether `curve` is implemented.
    fn supports(&self, curve: EcCurve) -> bool;

    /// Generates an ephemeral key pair on `curve` and agrees with `recipient` (a SEC1 point);
    /// returns the ephemeral public key as an uncompressed SEC1 point and the shared secret `Z`
    /// (the x-coordinate). The ephemeral private key is gone when this returns.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`](super::CryptoError::InvalidKey) for a point not on the
    /// curve, [`CryptoError::UnsupportedAlgorithm`](super::CryptoError::UnsupportedAlgorithm)
    /// for a curve not built in, [`CryptoError::Rng`](super::CryptoError::Rng).
    fn ephemeral_agree(
        &self,
        curve: EcCurve,
        recipient: &[u8],
        rng: &mut dyn super::SecureRandom,
    ) -> Result<(alloc::vec::Vec<u8>, zeroize::Zeroizing<alloc::vec::Vec<u8>>), super::CryptoError>;
}

/// The ANSI X9.63 KDF (SEC 1 §3.6.1, as RFC 5753 §7.2 uses it): `Hash(Z || counter || info)` for
/// counter = 1, 2, ... (32-bit big-endian), concatenated and cut to `out.len()`.
#[cfg(any(feature = "p256", feature = "p384"))] // key agreement envelopes only
pub(crate) fn x963_kdf(
    digests: &dyn super::Digests,
    digest: DigestAlgorithm,
    z: &[u8],
    shared_info: &[u8],
    out: &mut [u8],
) -> Result<(), super::CryptoError> {
    let mut input = zeroize::Zeroizing::new(alloc::vec::Vec::with_capacity(
        z.len() + 4 + shared_info.len(),
    ));
    let mut counter: u32 = 1;
    for chunk in out.chunks_mut(digest.output_len()) {
        input.clear();
        input.extend_from_slice(z);
        input.extend_from_slice(&counter.to_be_bytes());
        input.extend_from_slice(shared_info);
        let h = digests.digest(digest, &input)?;
        let h = h
            .as_bytes()
            .get(..chunk.len())
            .ok_or(super::CryptoError::Failed)?;
        chunk.copy_from_slice(h);
        counter = counter.checked_add(1).ok_or(super::CryptoError::Failed)?;
    }
    Ok(())
}
