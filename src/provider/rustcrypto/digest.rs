//! Digests: SHA-1 and SHA-2 (and MD5 with `insecure-legacy`), the full and the compact set.

use alloc::boxed::Box;

use rsa::Pkcs1v15Sign;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::crypto::{CryptoError, DigestAlgorithm, DigestOutput, Digests};

/// SHA-1 and SHA-2 from the `sha1` and `sha2` crates, and MD5 from `md-5` with the
/// `insecure-legacy` feature.
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCryptoDigests;

impl Digests for RustCryptoDigests {
    fn supports(&self, alg: DigestAlgorithm) -> bool {
        in_set::<true>(alg)
    }

    fn digest(&self, alg: DigestAlgorithm, data: &[u8]) -> Result<DigestOutput, CryptoError> {
        hash_in::<true>(alg, data)
    }
}

/// [`RustCryptoDigests`] without SHA-384 and SHA-512 (see [`COMPACT_PROVIDER`](super::COMPACT_PROVIDER)).
#[derive(Clone, Copy, Debug, Default)]
pub struct CompactDigests;

impl Digests for CompactDigests {
    fn supports(&self, alg: DigestAlgorithm) -> bool {
        in_set::<false>(alg)
    }

    fn digest(&self, alg: DigestAlgorithm, data: &[u8]) -> Result<DigestOutput, CryptoError> {
        hash_in::<false>(alg, data)
    }
}

/// Whether `alg` is in the digest set: all of them when `WIDE`, else all but SHA-384 and
/// SHA-512. The set is a constant per instantiation, so the compact one never names SHA-512's
/// code and the linker can drop it.
pub(super) const fn in_set<const WIDE: bool>(alg: DigestAlgorithm) -> bool {
    match alg {
        #[cfg(feature = "insecure-legacy")]
        DigestAlgorithm::Md5 => true,
        DigestAlgorithm::Sha1 | DigestAlgorithm::Sha224 | DigestAlgorithm::Sha256 => true,
        DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512 => WIDE,
    }
}

pub(super) fn hash(alg: DigestAlgorithm, data: &[u8]) -> Result<DigestOutput, CryptoError> {
    hash_in::<true>(alg, data)
}

pub(super) fn hash_in<const WIDE: bool>(
    alg: DigestAlgorithm,
    data: &[u8],
) -> Result<DigestOutput, CryptoError> {
    let out = match alg {
        #[cfg(feature = "insecure-legacy")]
        DigestAlgorithm::Md5 => DigestOutput::new(&md5::Md5::digest(data)),
        DigestAlgorithm::Sha1 => DigestOutput::new(&Sha1::digest(data)),
        DigestAlgorithm::Sha224 => DigestOutput::new(&Sha224::digest(data)),
        DigestAlgorithm::Sha256 => DigestOutput::new(&Sha256::digest(data)),
        DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512 if !WIDE => {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        DigestAlgorithm::Sha384 => DigestOutput::new(&Sha384::digest(data)),
        DigestAlgorithm::Sha512 => DigestOutput::new(&Sha512::digest(data)),
    };
    out.ok_or(CryptoError::Failed)
}

/// The RSASSA-PKCS1-v1_5 scheme for `alg`, built from the crate's own `DigestInfo` prefixes so
/// that every [`DigestAlgorithm`] (MD5 included) takes the same path.
pub(super) fn pkcs1v15_scheme(alg: DigestAlgorithm) -> Pkcs1v15Sign {
    Pkcs1v15Sign {
        hash_len: Some(alg.output_len()),
        prefix: Box::from(alg.digest_info_prefix()),
    }
}
