//! Key transport: RSA PKCS #1 v1.5 and OAEP to a recipient's public key.

use alloc::vec::Vec;

use rsa::{Oaep, Pkcs1v15Encrypt, PrivateKey, PublicKey};
use sha1::Sha1;
use sha2::digest::FixedOutputReset;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::SubjectPublicKeyInfoRef;

use crate::crypto::{CryptoError, DigestAlgorithm, KeyEncryptor, KeyTransport, SecureRandom};

use super::{digest::*, rng::*, verify::*};

/// An operation generic over the OAEP hash `D` and MGF1 hash `M`, run by [`with_oaep`].
pub(super) trait OaepOp {
    type Output;
    fn run<D, M>(self) -> Self::Output
    where
        D: Digest + FixedOutputReset,
        M: Digest + FixedOutputReset;
}

/// Runs `op` with the digest types for `hash` and `mgf1`; `None` for a digest OAEP does not
/// support here (SHA-224, MD5).
pub(super) fn with_oaep<const WIDE: bool, O: OaepOp>(
    hash: DigestAlgorithm,
    mgf1: DigestAlgorithm,
    op: O,
) -> Option<O::Output> {
    if !in_set::<WIDE>(hash) || !in_set::<WIDE>(mgf1) {
        return None;
    }
    match hash {
        DigestAlgorithm::Sha1 => with_mgf1::<WIDE, Sha1, O>(mgf1, op),
        DigestAlgorithm::Sha256 => with_mgf1::<WIDE, Sha256, O>(mgf1, op),
        DigestAlgorithm::Sha384 if WIDE => with_mgf1::<WIDE, Sha384, O>(mgf1, op),
        DigestAlgorithm::Sha512 if WIDE => with_mgf1::<WIDE, Sha512, O>(mgf1, op),
        _ => None,
    }
}

pub(super) fn with_mgf1<const WIDE: bool, D, O>(mgf1: DigestAlgorithm, op: O) -> Option<O::Output>
where
    D: Digest + FixedOutputReset,
    O: OaepOp,
{
    match mgf1 {
        DigestAlgorithm::Sha1 => Some(op.run::<D, Sha1>()),
        DigestAlgorithm::Sha256 => Some(op.run::<D, Sha256>()),
        DigestAlgorithm::Sha384 if WIDE => Some(op.run::<D, Sha384>()),
        DigestAlgorithm::Sha512 if WIDE => Some(op.run::<D, Sha512>()),
        _ => None,
    }
}

pub(super) struct OaepEncrypt<'a, 'r> {
    key: &'a PublicKey,
    rng: &'a mut RngAdapter<'r>,
    msg: &'a [u8],
}

impl OaepOp for OaepEncrypt<'_, '_> {
    type Output = rsa::Result<Vec<u8>>;
    fn run<D, M>(self) -> Self::Output
    where
        D: Digest + FixedOutputReset,
        M: Digest + FixedOutputReset,
    {
        self.key
            .encrypt(self.rng, Oaep::<D, M>::new_with_mgf_hash(), self.msg)
    }
}

pub(super) struct OaepDecrypt<'a> {
    pub(super) key: &'a PrivateKey,
    pub(super) rng: &'a mut BlindingRng,
    pub(super) ciphertext: &'a [u8],
}

impl OaepOp for OaepDecrypt<'_> {
    type Output = rsa::Result<Vec<u8>>;
    fn run<D, M>(self) -> Self::Output
    where
        D: Digest + FixedOutputReset,
        M: Digest + FixedOutputReset,
    {
        self.key
            .decrypt_blinded(self.rng, Oaep::<D, M>::new_with_mgf_hash(), self.ciphertext)
    }
}

// ---------------------------------------------------------------------------------------------
// Key transport

/// RSAES-PKCS1-v1_5 and RSAES-OAEP (empty label; SHA-1, SHA-256, SHA-384 or SHA-512 for the
/// hash and for MGF1, in any combination) to an `rsaEncryption` key of [`MIN_RSA_BITS`](super::MIN_RSA_BITS) to
/// [`MAX_RSA_BITS`](super::MAX_RSA_BITS) bits.
#[derive(Clone, Copy, Debug, Default)]
pub struct RsaKeyEncryptor;

impl KeyEncryptor for RsaKeyEncryptor {
    fn encrypt_key(
        &self,
        alg: KeyTransport,
        recipient: SubjectPublicKeyInfoRef<'_>,
        key: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        encrypt_key_in::<true>(alg, recipient, key, rng)
    }
}

/// [`RsaKeyEncryptor`] without SHA-384 and SHA-512 for OAEP (see [`COMPACT_PROVIDER`](super::COMPACT_PROVIDER)).
#[derive(Clone, Copy, Debug, Default)]
pub struct CompactRsaKeyEncryptor;

impl KeyEncryptor for CompactRsaKeyEncryptor {
    fn encrypt_key(
        &self,
        alg: KeyTransport,
        recipient: SubjectPublicKeyInfoRef<'_>,
        key: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        encrypt_key_in::<false>(alg, recipient, key, rng)
    }
}

pub(super) fn encrypt_key_in<const WIDE: bool>(
    alg: KeyTransport,
    recipient: SubjectPublicKeyInfoRef<'_>,
    key: &[u8],
    rng: &mut dyn SecureRandom,
) -> Result<Vec<u8>, CryptoError> {
    let public = rsa_public_key(&recipient).ok_or(CryptoError::InvalidKey)?;
    let mut rng = RngAdapter { inner: rng };
    let result = match alg {
        KeyTransport::RsaPkcs1v15 => public.encrypt(&mut rng, Pkcs1v15Encrypt, key),
        KeyTransport::RsaOaep { hash, mgf1 } => {
            let op = OaepEncrypt {
                key: &public,
                rng: &mut rng,
                msg: key,
            };
            with_oaep::<WIDE, _>(hash, mgf1, op).ok_or(CryptoError::UnsupportedAlgorithm)?
        }
        _ => return Err(CryptoError::UnsupportedAlgorithm),
    };
    result.map_err(|e| match e {
        rsa::Error::Rng => CryptoError::Rng,
        _ => CryptoError::Failed,
    })
}
