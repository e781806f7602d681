//! The default provider, on the RustCrypto crates (`rsa`, `sha1`, `sha2`, `aes`, `des`, `cbc`).
//!
//! - [`PROVIDER`]: digests, RSA PKCS #1 v1.5 signature verification, RSA key transport
//!   (PKCS #1 v1.5 and OAEP) and the CBC content ciphers.
//! - [`RsaKey`]: a software RSA key that is both [`Signer`](crate::crypto::Signer) and [`Decryptor`](crate::crypto::Decryptor).
//!
//! Everything here works without `std`.
//!
//! # Blinding
//!
//! The key-holder traits take no random number generator, and `rsa` is built without
//! `getrandom`. [`RsaKey`] still blinds its private-key operations: the blinding values come from
//! a generator seeded with a hash of a secret derived from the private exponent and of the
//! operation's input. An attacker who does not know the key can neither predict nor choose them,
//! which is what blinding needs; the result of the operation does not depend on them.

use crate::crypto::CryptoProvider;

mod cipher;
mod digest;
mod key;
mod key_transport;
mod rng;
mod verify;

#[allow(unused_imports)] // the tests reach the private helpers through `super::*`
use self::{cipher::*, digest::*, key::*, key_transport::*, rng::*, verify::*};
#[cfg(feature = "aws-lc-rs")]
pub(crate) use cipher::pkcs7_unpadded_len;
pub use cipher::{AesCbcCipher, CbcCipher};
pub use digest::{CompactDigests, RustCryptoDigests};
pub use key::{MIN_GENERATED_RSA_BITS, RsaKey, generate_key, public_key_info, sign_with_key};
pub use key_transport::{CompactRsaKeyEncryptor, RsaKeyEncryptor};
#[cfg(any(feature = "p256", feature = "p384"))]
pub use verify::CompactEcdsaVerifier;
pub use verify::{CompactRsaVerifier, RsaVerifier};

#[cfg(test)]
mod tests;

mod ec;
mod wrap;
pub use ec::EcdhKeyAgreement;
#[cfg(any(feature = "p256", feature = "p384"))]
pub use ec::{EcKey, EcPrivateKey};
pub use wrap::RustCryptoKeyWrap;

/// The `rsa` crate (0.10) this provider is built on, so that callers use the same version
/// without depending on it themselves.
pub use rsa;
/// An RSA private key: what [`RsaKey::new`], [`sign_with_key`] and [`public_key_info`] take,
/// and what [`generate_key`] makes.
pub use rsa::PrivateKey;

/// The RustCrypto provider: [`RustCryptoDigests`], [`RsaVerifier`], [`RsaKeyEncryptor`],
/// [`CbcCipher`], [`EcdhKeyAgreement`] and [`RustCryptoKeyWrap`].
pub const PROVIDER: CryptoProvider = CryptoProvider {
    digests: &RustCryptoDigests,
    verifier: &RsaVerifier,
    key_encryptor: &RsaKeyEncryptor,
    cipher: &CbcCipher,
    key_agreement: &EcdhKeyAgreement,
    key_wrap: &RustCryptoKeyWrap,
};

/// [`PROVIDER`] without SHA-384 and SHA-512 ([`CompactDigests`], [`CompactRsaVerifier`],
/// [`CompactRsaKeyEncryptor`]), for firmware: with nothing else reaching SHA-512, the linker
/// drops its code, about 31 KiB of flash on a Cortex-M4 (`examples/firmware`). Negotiation
/// never picks what it lacks (GetCACaps `SHA-512` is passed over); a message that uses it is
/// refused as [`UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm).
pub const COMPACT_PROVIDER: CryptoProvider = CryptoProvider {
    digests: &CompactDigests,
    verifier: &CompactRsaVerifier,
    key_encryptor: &CompactRsaKeyEncryptor,
    cipher: &CbcCipher,
    key_agreement: &EcdhKeyAgreement,
    key_wrap: &RustCryptoKeyWrap,
};

/// Smallest RSA modulus, in bits, that [`RsaVerifier`] and [`RsaKeyEncryptor`] accept (old SCEP
/// clients such as OpenSCEP sign with 512-bit keys).
pub const MIN_RSA_BITS: usize = 512;

/// Largest RSA modulus, in bits, that [`RsaVerifier`] and [`RsaKeyEncryptor`] accept.
pub const MAX_RSA_BITS: usize = 8192;
