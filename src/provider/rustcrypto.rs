//! The default provider, on the RustCrypto crates (`rsa`, `sha1`, `sha2`, `aes`, `des`, `cbc`).
//!
//! - [`PROVIDER`]: digests, RSA PKCS #1 v1.5 signature verification, RSA key transport
//!   (PKCS #1 v1.5 and OAEP) and the CBC content ciphers.
//! - [`RsaKey`]: a software RSA key that is both [`Signer`] and [`Decryptor`].
//! - [`self_signed_certificate`]: the throw-away signer certificate a SCEP client sends with its
//!   first request.
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

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt;

use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use der::Decode;
use rsa::pkcs1::{DecodeRsaPrivateKey, RsaPublicKeyRef};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, PublicKey};
use sha1::Sha1;
use sha2::digest::FixedOutputReset;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::crypto::{
    BadSignature, ContentCipher, ContentEncryption, CryptoError, CryptoProvider, DecryptFailed,
    Decryptor, DigestAlgorithm, DigestOutput, Digests, KeyEncryptor, KeyTransport, RngError,
    SecureRandom, SignatureAlgorithm, Signer, Verifier, params_absent_or_null,
};
use crate::error::Error;
use crate::oid;

#[cfg(test)]
mod tests;

/// The `rsa` crate (0.10) this provider is built on, so that callers use the same version
/// without depending on it themselves.
pub use rsa;
/// An RSA private key: what [`RsaKey::new`], [`sign_with_key`], [`public_key_info`] and
/// [`self_signed_certificate`] take, and what [`generate_key`] makes.
pub use rsa::PrivateKey;

/// The RustCrypto provider: [`RustCryptoDigests`], [`RsaVerifier`], [`RsaKeyEncryptor`] and
/// [`CbcCipher`].
pub const PROVIDER: CryptoProvider = CryptoProvider {
    digests: &RustCryptoDigests,
    verifier: &RsaVerifier,
    key_encryptor: &RsaKeyEncryptor,
    cipher: &CbcCipher,
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
};

/// Smallest RSA modulus, in bits, that [`RsaVerifier`] and [`RsaKeyEncryptor`] accept (old SCEP
/// clients such as OpenSCEP sign with 512-bit keys).
pub const MIN_RSA_BITS: usize = 512;

/// Largest RSA modulus, in bits, that [`RsaVerifier`] and [`RsaKeyEncryptor`] accept.
pub const MAX_RSA_BITS: usize = 8192;

// ---------------------------------------------------------------------------------------------
// Digests

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

/// [`RustCryptoDigests`] without SHA-384 and SHA-512 (see [`COMPACT_PROVIDER`]).
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
const fn in_set<const WIDE: bool>(alg: DigestAlgorithm) -> bool {
    match alg {
        #[cfg(feature = "insecure-legacy")]
        DigestAlgorithm::Md5 => true,
        DigestAlgorithm::Sha1 | DigestAlgorithm::Sha224 | DigestAlgorithm::Sha256 => true,
        DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512 => WIDE,
    }
}

fn hash(alg: DigestAlgorithm, data: &[u8]) -> Result<DigestOutput, CryptoError> {
    hash_in::<true>(alg, data)
}

fn hash_in<const WIDE: bool>(
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
fn pkcs1v15_scheme(alg: DigestAlgorithm) -> Pkcs1v15Sign {
    Pkcs1v15Sign {
        hash_len: Some(alg.output_len()),
        prefix: Box::from(alg.digest_info_prefix()),
    }
}

// ---------------------------------------------------------------------------------------------
// Public keys

/// Decodes an RSA public key from a `SubjectPublicKeyInfo`: `rsaEncryption` with absent or NULL
/// parameters, a modulus of [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits, and an exponent `rsa`
/// accepts (odd, 3 to 2^33 - 1).
fn rsa_public_key(spki: &SubjectPublicKeyInfoRef<'_>) -> Option<PublicKey> {
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

/// RSASSA-PKCS1-v1_5 verification with every [`DigestAlgorithm`], for `rsaEncryption` keys of
/// [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`] bits.
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

/// [`RsaVerifier`] without SHA-384 and SHA-512 (see [`COMPACT_PROVIDER`]).
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

fn verify_in<const WIDE: bool>(
    alg: SignatureAlgorithm,
    spki: SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), BadSignature> {
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
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness

/// Lends a `&mut dyn SecureRandom` to `rsa` as a `rand_core` 0.10 generator.
struct RngAdapter<'a> {
    inner: &'a mut dyn SecureRandom,
}

impl rand_core::TryRng for RngAdapter<'_> {
    type Error = RngError;

    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngError> {
        self.inner.fill(dst)
    }
}

impl rand_core::TryCryptoRng for RngAdapter<'_> {}

/// Blinding values for one private-key operation: SHA-256 in counter mode over a state that
/// hashes a key-derived secret, a domain label and the operation's input.
struct BlindingRng {
    state: Zeroizing<[u8; 32]>,
    counter: u64,
    block: Zeroizing<[u8; 32]>,
    used: usize,
}

impl BlindingRng {
    fn new(seed: &[u8; 32], label: &[u8], input: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"scep rustcrypto blinding v1");
        h.update(seed);
        h.update((label.len() as u64).to_be_bytes());
        h.update(label);
        h.update(input);
        let mut state = Zeroizing::new([0u8; 32]);
        h.finalize_into((&mut *state).into());
        Self {
            state,
            counter: 0,
            block: Zeroizing::new([0u8; 32]),
            used: 32,
        }
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(&self.state[..]);
        h.update(self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        h.finalize_into((&mut *self.block).into());
        self.used = 0;
    }
}

impl rand_core::TryRng for BlindingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst.iter_mut() {
            if self.used >= self.block.len() {
                self.refill();
            }
            *byte = self.block.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for BlindingRng {}

/// The per-key secret that seeds [`BlindingRng`]: a hash of the private exponent.
fn blinding_seed(key: &PrivateKey) -> Zeroizing<[u8; 32]> {
    let d = Zeroizing::new(key.d().to_be_bytes());
    let mut h = Sha256::new();
    h.update(b"scep rustcrypto blinding seed v1");
    h.update(&d[..]);
    let mut seed = Zeroizing::new([0u8; 32]);
    h.finalize_into((&mut *seed).into());
    seed
}

// ---------------------------------------------------------------------------------------------
// OAEP dispatch

/// An operation generic over the OAEP hash `D` and MGF1 hash `M`, run by [`with_oaep`].
trait OaepOp {
    type Output;
    fn run<D, M>(self) -> Self::Output
    where
        D: Digest + FixedOutputReset,
        M: Digest + FixedOutputReset;
}

/// Runs `op` with the digest types for `hash` and `mgf1`; `None` for a digest OAEP does not
/// support here (SHA-224, MD5).
fn with_oaep<const WIDE: bool, O: OaepOp>(
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

fn with_mgf1<const WIDE: bool, D, O>(mgf1: DigestAlgorithm, op: O) -> Option<O::Output>
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

struct OaepEncrypt<'a, 'r> {
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

struct OaepDecrypt<'a> {
    key: &'a PrivateKey,
    rng: &'a mut BlindingRng,
    ciphertext: &'a [u8],
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
/// hash and for MGF1, in any combination) to an `rsaEncryption` key of [`MIN_RSA_BITS`] to
/// [`MAX_RSA_BITS`] bits.
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

/// [`RsaKeyEncryptor`] without SHA-384 and SHA-512 for OAEP (see [`COMPACT_PROVIDER`]).
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

fn encrypt_key_in<const WIDE: bool>(
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
    };
    result.map_err(|e| match e {
        rsa::Error::Rng => CryptoError::Rng,
        _ => CryptoError::Failed,
    })
}

// ---------------------------------------------------------------------------------------------
// Content encryption

/// DES-EDE3-CBC and AES-128/192/256-CBC (and single DES-CBC with the `insecure-legacy` feature)
/// with PKCS #7 padding, from the `cbc`, `aes` and `des` crates.
///
/// Decryption checks the padding without branching on its bytes and reports every failure as
/// the same [`DecryptFailed`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CbcCipher;

impl ContentCipher for CbcCipher {
    fn supports(&self, alg: ContentEncryption) -> bool {
        match alg {
            #[cfg(feature = "insecure-legacy")]
            ContentEncryption::DesCbc => true,
            ContentEncryption::DesEde3Cbc
            | ContentEncryption::Aes128Cbc
            | ContentEncryption::Aes192Cbc
            | ContentEncryption::Aes256Cbc => true,
        }
    }

    fn encrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match alg {
            #[cfg(feature = "insecure-legacy")]
            ContentEncryption::DesCbc => cbc_encrypt::<des::Des>(key, iv, plaintext),
            ContentEncryption::DesEde3Cbc => cbc_encrypt::<des::TdesEde3>(key, iv, plaintext),
            ContentEncryption::Aes128Cbc => cbc_encrypt::<aes::Aes128>(key, iv, plaintext),
            ContentEncryption::Aes192Cbc => cbc_encrypt::<aes::Aes192>(key, iv, plaintext),
            ContentEncryption::Aes256Cbc => cbc_encrypt::<aes::Aes256>(key, iv, plaintext),
        }
    }

    fn decrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        let block = alg.block_len();
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(block) {
            return Err(DecryptFailed);
        }
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        match alg {
            #[cfg(feature = "insecure-legacy")]
            ContentEncryption::DesCbc => cbc_decrypt_in_place::<des::Des>(key, iv, &mut buf)?,
            ContentEncryption::DesEde3Cbc => {
                cbc_decrypt_in_place::<des::TdesEde3>(key, iv, &mut buf)?;
            }
            ContentEncryption::Aes128Cbc => cbc_decrypt_in_place::<aes::Aes128>(key, iv, &mut buf)?,
            ContentEncryption::Aes192Cbc => cbc_decrypt_in_place::<aes::Aes192>(key, iv, &mut buf)?,
            ContentEncryption::Aes256Cbc => cbc_decrypt_in_place::<aes::Aes256>(key, iv, &mut buf)?,
        }
        let len = pkcs7_unpadded_len(&buf, block).ok_or(DecryptFailed)?;
        buf.truncate(len);
        Ok(buf)
    }
}

fn cbc_encrypt<C>(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>
where
    C: BlockCipherEncrypt + KeyInit,
{
    let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::InvalidKey)?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(plaintext))
}

/// Decrypts whole blocks in place, leaving the padding for [`pkcs7_unpadded_len`].
fn cbc_decrypt_in_place<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), DecryptFailed>
where
    C: BlockCipherDecrypt + KeyInit,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| DecryptFailed)?;
    dec.decrypt_padded::<NoPadding>(buf)
        .map_err(|_| DecryptFailed)?;
    Ok(())
}

pub(crate) use crate::crypto::pkcs7_unpadded_len;

// ---------------------------------------------------------------------------------------------
// Software key

/// A software RSA key with its certificate: a [`Signer`] (RSASSA-PKCS1-v1_5) and a [`Decryptor`]
/// (RSAES-PKCS1-v1_5 with implicit rejection, and RSAES-OAEP).
///
/// Private-key operations are blinded; see the [module documentation](self#blinding).
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

    /// A new key of `bits` bits ([`generate_key`]) with a self-signed certificate for `subject`
    /// ([`self_signed_certificate`], SHA-256, a random 16-octet serial number) valid from an
    /// hour before `now` to 30 days after it: the identity a device signs its first request
    /// with. `now` comes from the caller (the crate has no clock; with `std`,
    /// [`time::now`](crate::time::now)).
    ///
    /// # Errors
    /// As [`generate_key`] and [`self_signed_certificate`]; [`Error::InvalidInput`] when the
    /// validity would end after 9999.
    pub fn generate(
        bits: usize,
        subject: &Name,
        now: der::DateTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<Self, Error> {
        const HOUR: u64 = 3600;
        const DAYS_30: u64 = 30 * 24 * HOUR;
        let key = generate_key(bits, rng)?;
        let mut serial = [0u8; 16];
        rng.fill(&mut serial)?;
        // Positive and non-zero whatever the generator said (RFC 5280 §4.1.2.2).
        if let Some(first) = serial.first_mut() {
            *first = (*first & 0x7f) | 0x01;
        }
        let at = |secs: u64| {
            der::DateTime::from_unix_duration(core::time::Duration::from_secs(secs))
                .map_err(|_| Error::InvalidInput)
        };
        let t = now.unix_duration().as_secs();
        let not_before = at(t.saturating_sub(HOUR))?;
        let not_after = at(t.saturating_add(DAYS_30))?;
        let sig = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
        let cert = self_signed_certificate(&key, subject, &serial, not_before, not_after, sig)?;
        Self::new(key, cert)
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

    fn blinding(&self, label: &[u8], input: &[u8]) -> BlindingRng {
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
        };
        let plain = Zeroizing::new(result.map_err(|_| CryptoError::Failed)?);
        if plain.len() != key_len {
            return Err(CryptoError::Failed);
        }
        Ok(plain)
    }
}

fn sign_pkcs1v15(
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
    }
}

/// Whether `spki` is `rsaEncryption` with `key`'s modulus and exponent.
fn public_key_matches(key: &PrivateKey, spki: &SubjectPublicKeyInfoRef<'_>) -> bool {
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
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes the first PEM block labelled `label` in `text`, ignoring everything around it. The
/// block itself must follow RFC 7468 (no headers), with any line width.
fn pem_block(text: &[u8], label: &str) -> Option<Zeroizing<Vec<u8>>> {
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

/// Smallest key size [`generate_key`] makes.
pub const MIN_GENERATED_RSA_BITS: usize = 2048;

/// A new RSA private key of `bits` bits (public exponent 65537), from `rng`.
///
/// Generation takes a while: about a second for 2048 bits in a release build, much longer for
/// 4096 or in a debug build, and far longer on a microcontroller.
///
/// # Errors
/// - [`Error::InvalidInput`] when `bits` is below [`MIN_GENERATED_RSA_BITS`], above
///   [`MAX_RSA_BITS`] or not a multiple of 8.
/// - [`Error::Crypto`] ([`CryptoError::Rng`]) when the generator fails.
pub fn generate_key(bits: usize, rng: &mut dyn SecureRandom) -> Result<PrivateKey, Error> {
    if !(MIN_GENERATED_RSA_BITS..=MAX_RSA_BITS).contains(&bits) || !bits.is_multiple_of(8) {
        return Err(Error::InvalidInput);
    }
    let mut adapter = RngAdapter { inner: rng };
    PrivateKey::new(&mut adapter, bits).map_err(|e| match e {
        rsa::Error::Rng => Error::Crypto(CryptoError::Rng),
        _ => Error::Crypto(CryptoError::Failed),
    })
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

// ---------------------------------------------------------------------------------------------
// Self-signed certificate

/// Builds a v3 certificate for `key` in which issuer and subject are `subject`, signed by `key`
/// itself: the signer certificate a SCEP client sends with its first request.
///
/// `serial` is the serial number as an unsigned big-endian integer (leading zero octets are
/// ignored); it must be non-zero and encode in at most 20 octets (RFC 5280 §4.1.2.2). The
/// certificate carries basicConstraints (critical, not a CA), keyUsage (critical,
/// digitalSignature and keyEncipherment) and a subjectKeyIdentifier (SHA-1 of the public key,
/// RFC 5280 §4.2.1.2 method 1). Times before 2050 are encoded as UTCTime, later ones as
/// GeneralizedTime.
///
/// # Errors
/// - [`Error::InvalidInput`] for a zero or over-long serial, or `not_after` before `not_before`.
/// - [`Error::Crypto`] when signing fails (for example SHA-512 with a 512-bit key).
/// - [`Error::Encode`] when DER encoding fails.
pub fn self_signed_certificate(
    key: &PrivateKey,
    subject: &Name,
    serial: &[u8],
    not_before: der::DateTime,
    not_after: der::DateTime,
    sig: SignatureAlgorithm,
) -> Result<Certificate, Error> {
    let public_key = public_key_info(key)?;
    let template = crate::builder::CertificateTemplate {
        serial: serial.to_vec(),
        subject: subject.clone(),
        not_before,
        not_after,
        public_key,
        is_ca: false,
        key_usage: Some(KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
        )),
        extensions: Vec::new(),
    };
    let seed = blinding_seed(key);
    crate::builder::certificate(
        &template,
        None,
        sig,
        &mut |tbs| sign_pkcs1v15(key, &seed, sig, tbs),
        &PROVIDER,
    )
}
