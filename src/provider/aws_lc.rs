//! A native-speed provider on AWS-LC (`aws-lc-rs`), for servers and clients that need RSA to
//! cost what OpenSSL's does. Feature `aws-lc-rs`; needs `std` (and builds AWS-LC's C code).
//!
//! - [`PROVIDER`]: [`AwsLcDigests`], [`AwsLcVerifier`], [`AwsLcKeyEncryptor`] and
//!   [`AwsLcCipher`].
//! - [`AwsLcRsaKey`]: a software RSA key that is both [`Signer`] and [`Decryptor`].
//!
//! # What is native and what is not
//!
//! AWS-LC does the work wherever `aws-lc-rs`' safe API offers it; everything else falls back
//! to the [RustCrypto provider](super::rustcrypto), part by part, so this provider accepts
//! exactly what the default one accepts:
//!
//! | operation | native (AWS-LC) | RustCrypto fallback |
//! |---|---|---|
//! | digests | SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 | MD5 (`insecure-legacy`) |
//! | signature verification | PKCS #1 v1.5 with SHA-1, SHA-256, SHA-512 for 1024–8192-bit keys; SHA-384 for 2048–8192 bits; ECDSA P-256 with SHA-1/256/384/512, P-384 with SHA-256/384/512 | SHA-224, MD5, smaller keys (512–1023 bits; SHA-384 below 2048); ECDSA P-384 with SHA-1, SHA-224 |
//! | key transport (encrypt) | PKCS #1 v1.5; OAEP with the same hash for OAEP and MGF1 (SHA-1/256/384/512); 2048–8192-bit keys | OAEP with different hashes, keys below 2048 bits |
//! | content cipher | AES-128/192/256-CBC | DES-EDE3-CBC, DES-CBC (`insecure-legacy`) |
//! | key agreement (ephemeral ECDH, sealing) | P-256, P-384 ([`AwsLcKeyAgreement`]) | — |
//! | AES key wrap, PWRI-KEK CBC, PBKDF2 | — | all ([`RustCryptoKeyWrap`](rustcrypto::RustCryptoKeyWrap)) |
//! | [`AwsLcRsaKey`] signing | PKCS #1 v1.5 with SHA-256, SHA-384, SHA-512 | SHA-1, SHA-224, MD5; keys below 2048 bits |
//! | [`AwsLcEcKey`] signing | ECDSA P-256 with SHA-256, P-384 with SHA-384 | ECDSA with any other SHA-1/SHA-2 digest |
//! | [`AwsLcEcKey`] key agreement (ECDH) | P-256, P-384 | — |
//! | [`AwsLcRsaKey`] decryption | PKCS #1 v1.5; OAEP with the same hash for OAEP and MGF1 | OAEP with different hashes; keys below 2048 bits |
//!
//! (`aws-lc-rs` has no SHA-1 PKCS #1 v1.5 *signing* and no RSA keys under 2048 bits; its
//! single and triple DES sit behind its `legacy-des` feature, which this crate does not turn
//! on.)
//!
//! CBC decryption runs in AWS-LC without padding; the PKCS #7 padding is then checked by the
//! same branch-free code as in the RustCrypto provider, so a padding error is no oracle.
//!
//! # Randomness
//!
//! RSA encryption padding and blinding come from AWS-LC's own generator (the operating system's
//! entropy), not from the `rng` passed to [`KeyEncryptor::encrypt_key`], which the native path
//! does not use: `aws-lc-rs` takes no generator for these operations.
//!
//! # PKCS #1 v1.5 decryption and implicit rejection
//!
//! AWS-LC checks PKCS #1 v1.5 padding in constant time but reports bad padding as an error; it
//! has no implicit rejection. [`AwsLcRsaKey`] therefore does it itself: it always computes a
//! substitute key, HMAC-SHA-256 under a secret derived from the private key over the
//! ciphertext, and returns it whenever AWS-LC fails or the plaintext has the wrong length. The
//! same ciphertext always gives the same substitute, the caller sees no error, and
//! [`envelope`](crate::envelope) then fails with its one `Error::Decrypt` when the content does
//! not decrypt. (Even an error would not be an oracle: the envelope layer substitutes a random
//! key for any `Decryptor` failure.) What remains is the branch on AWS-LC's return code.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptingKey, DecryptionContext, EncryptionContext,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, RsaKeyPair, RsaParameters};
use aws_lc_rs::{digest, hmac};
use rsa::pkcs8::EncodePrivateKey;
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use super::rustcrypto::{self, CbcCipher, RsaKey, RsaKeyEncryptor, RsaVerifier, RustCryptoDigests};
use crate::cert::Certificate;
use crate::crypto::{
    BadSignature, ContentCipher, ContentEncryption, CryptoError, CryptoProvider, DecryptFailed,
    Decryptor, DigestAlgorithm, DigestOutput, Digests, KeyEncryptor, KeyTransport, SecureRandom,
    SignatureAlgorithm, Signer, Verifier, params_absent_or_null,
};
use crate::error::Error;
use crate::oid;

#[cfg(test)]
mod tests;

mod ec;
#[cfg(any(feature = "p256", feature = "p384"))]
pub use ec::AwsLcEcKey;
pub use ec::AwsLcKeyAgreement;

/// The AWS-LC provider: [`AwsLcDigests`], [`AwsLcVerifier`], [`AwsLcKeyEncryptor`] and
/// [`AwsLcCipher`], each falling back to the RustCrypto part for what AWS-LC lacks (see the
/// [module documentation](self#what-is-native-and-what-is-not)).
pub const PROVIDER: CryptoProvider = CryptoProvider {
    digests: &AwsLcDigests,
    verifier: &AwsLcVerifier,
    key_encryptor: &AwsLcKeyEncryptor,
    cipher: &AwsLcCipher,
    key_agreement: &AwsLcKeyAgreement,
    key_wrap: &rustcrypto::RustCryptoKeyWrap,
};

/// Smallest RSA modulus, in bits, AWS-LC takes for signing, decryption and key transport.
const NATIVE_MIN_BITS: usize = 2048;

/// Smallest RSA modulus, in bits, AWS-LC takes for PKCS #1 v1.5 verification (legacy range).
const NATIVE_MIN_VERIFY_BITS: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Digests

/// SHA-1 and SHA-2 from AWS-LC; MD5 (`insecure-legacy`) from the RustCrypto provider.
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLcDigests;

fn native_digest(alg: DigestAlgorithm) -> Option<&'static digest::Algorithm> {
    match alg {
        DigestAlgorithm::Sha1 => Some(&digest::SHA1_FOR_LEGACY_USE_ONLY),
        DigestAlgorithm::Sha224 => Some(&digest::SHA224),
        DigestAlgorithm::Sha256 => Some(&digest::SHA256),
        DigestAlgorithm::Sha384 => Some(&digest::SHA384),
        DigestAlgorithm::Sha512 => Some(&digest::SHA512),
        #[cfg(feature = "insecure-legacy")]
        DigestAlgorithm::Md5 => None,
    }
}

impl Digests for AwsLcDigests {
    fn supports(&self, alg: DigestAlgorithm) -> bool {
        native_digest(alg).is_some() || RustCryptoDigests.supports(alg)
    }

    fn digest(&self, alg: DigestAlgorithm, data: &[u8]) -> Result<DigestOutput, CryptoError> {
        match native_digest(alg) {
            Some(d) => {
                DigestOutput::new(digest::digest(d, data).as_ref()).ok_or(CryptoError::Failed)
            }
            None => RustCryptoDigests.digest(alg, data),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Public keys

/// The `RSAPublicKey` DER and modulus size of an `rsaEncryption` SPKI with absent or NULL
/// parameters; `None` for anything else.
fn rsa_public_key<'a>(spki: &SubjectPublicKeyInfoRef<'a>) -> Option<(&'a [u8], usize)> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION
        || !params_absent_or_null(spki.algorithm.parameters)
    {
        return None;
    }
    let bits = crate::crypto::rsa_modulus_bits(spki).ok()?;
    Some((spki.subject_public_key.as_bytes()?, bits))
}

/// The verification parameters AWS-LC has for `digest` at `bits`.
fn verify_params(digest: DigestAlgorithm, bits: usize) -> Option<&'static RsaParameters> {
    if !(NATIVE_MIN_VERIFY_BITS..=rustcrypto::MAX_RSA_BITS).contains(&bits) {
        return None;
    }
    match digest {
        DigestAlgorithm::Sha1 => Some(&signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
        DigestAlgorithm::Sha256 => Some(&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
        DigestAlgorithm::Sha512 => Some(&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
        DigestAlgorithm::Sha384 if bits >= NATIVE_MIN_BITS => {
            Some(&signature::RSA_PKCS1_2048_8192_SHA384)
        }
        _ => None,
    }
}

/// RSASSA-PKCS1-v1_5 and ECDSA (P-256, P-384) verification in AWS-LC, and in the RustCrypto
/// [`RsaVerifier`] for the digests and key sizes AWS-LC lacks. Accepts what [`RsaVerifier`]
/// accepts.
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLcVerifier;

impl Verifier for AwsLcVerifier {
    fn verify(
        &self,
        alg: SignatureAlgorithm,
        spki: SubjectPublicKeyInfoRef<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        let digest = match alg {
            SignatureAlgorithm::RsaPkcs1v15(d) => d,
            SignatureAlgorithm::Ecdsa(d) => return ec::verify(d, spki, message, signature),
        };
        let (key, bits) = rsa_public_key(&spki).ok_or(BadSignature)?;
        match verify_params(digest, bits) {
            Some(params) => signature::UnparsedPublicKey::new(params, key)
                .verify(message, signature)
                .map_err(|_| BadSignature),
            None => RsaVerifier.verify(alg, spki, message, signature),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Key transport

/// The AWS-LC OAEP algorithm for a hash and MGF1 hash; AWS-LC only has equal pairs.
fn oaep_algorithm(hash: DigestAlgorithm, mgf1: DigestAlgorithm) -> Option<&'static OaepAlgorithm> {
    if hash != mgf1 {
        return None;
    }
    match hash {
        DigestAlgorithm::Sha1 => Some(&OAEP_SHA1_MGF1SHA1),
        DigestAlgorithm::Sha256 => Some(&OAEP_SHA256_MGF1SHA256),
        DigestAlgorithm::Sha384 => Some(&OAEP_SHA384_MGF1SHA384),
        DigestAlgorithm::Sha512 => Some(&OAEP_SHA512_MGF1SHA512),
        _ => None,
    }
}

/// RSAES-PKCS1-v1_5 and RSAES-OAEP (same hash for OAEP and MGF1) in AWS-LC for 2048–8192-bit
/// keys; the RustCrypto [`RsaKeyEncryptor`] for the rest. AWS-LC draws the padding from its own
/// generator (see the [module documentation](self#randomness)).
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLcKeyEncryptor;

impl AwsLcKeyEncryptor {
    fn native(
        alg: KeyTransport,
        recipient: &SubjectPublicKeyInfoRef<'_>,
        key: &[u8],
    ) -> Option<Result<Vec<u8>, CryptoError>> {
        let (_, bits) = rsa_public_key(recipient)?;
        if !(NATIVE_MIN_BITS..=rustcrypto::MAX_RSA_BITS).contains(&bits) {
            return None;
        }
        let oaep = match alg {
            KeyTransport::RsaPkcs1v15 => None,
            KeyTransport::RsaOaep { hash, mgf1 } => Some(oaep_algorithm(hash, mgf1)?),
            _ => return None,
        };
        let encrypt = || -> Result<Vec<u8>, CryptoError> {
            let spki = der::Encode::to_der(recipient).map_err(|_| CryptoError::InvalidKey)?;
            let public =
                PublicEncryptingKey::from_der(&spki).map_err(|_| CryptoError::InvalidKey)?;
            let mut out = vec![0u8; public.key_size_bytes()];
            let len = match oaep {
                None => Pkcs1PublicEncryptingKey::new(public)
                    .and_then(|k| k.encrypt(key, &mut out).map(|c| c.len())),
                Some(a) => OaepPublicEncryptingKey::new(public)
                    .and_then(|k| k.encrypt(a, key, &mut out, None).map(|c| c.len())),
            }
            .map_err(|_| CryptoError::Failed)?;
            out.truncate(len);
            Ok(out)
        };
        Some(encrypt())
    }
}

impl KeyEncryptor for AwsLcKeyEncryptor {
    fn encrypt_key(
        &self,
        alg: KeyTransport,
        recipient: SubjectPublicKeyInfoRef<'_>,
        key: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        match Self::native(alg, &recipient, key) {
            Some(result) => result,
            None => RsaKeyEncryptor.encrypt_key(alg, recipient, key, rng),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Content encryption

/// AES-128/192/256-CBC in AWS-LC (PKCS #7 padding checked without branching on the plaintext);
/// DES-EDE3-CBC (and DES-CBC with `insecure-legacy`) from the RustCrypto [`CbcCipher`].
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLcCipher;

fn aes(alg: ContentEncryption) -> Option<&'static aws_lc_rs::cipher::Algorithm> {
    match alg {
        ContentEncryption::Aes128Cbc => Some(&AES_128),
        ContentEncryption::Aes192Cbc => Some(&AES_192),
        ContentEncryption::Aes256Cbc => Some(&AES_256),
        _ => None,
    }
}

fn iv128(iv: &[u8]) -> Option<FixedLength<16>> {
    FixedLength::<16>::try_from(iv).ok()
}

impl ContentCipher for AwsLcCipher {
    fn supports(&self, alg: ContentEncryption) -> bool {
        aes(alg).is_some() || CbcCipher.supports(alg)
    }

    fn encrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let Some(cipher) = aes(alg) else {
            return CbcCipher.encrypt(alg, key, iv, plaintext);
        };
        let key = UnboundCipherKey::new(cipher, key).map_err(|_| CryptoError::InvalidKey)?;
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(key).map_err(|_| CryptoError::InvalidKey)?;
        let iv = iv128(iv).ok_or(CryptoError::InvalidKey)?;
        let mut out = Vec::with_capacity(plaintext.len() + 16);
        out.extend_from_slice(plaintext);
        key.less_safe_encrypt(&mut out, EncryptionContext::Iv128(iv))
            .map_err(|_| CryptoError::Failed)?;
        Ok(out)
    }

    fn decrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        let Some(cipher) = aes(alg) else {
            return CbcCipher.decrypt(alg, key, iv, ciphertext);
        };
        let block = alg.block_len();
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(block) {
            return Err(DecryptFailed);
        }
        let key = UnboundCipherKey::new(cipher, key).map_err(|_| DecryptFailed)?;
        let key = DecryptingKey::cbc(key).map_err(|_| DecryptFailed)?;
        let iv = iv128(iv).ok_or(DecryptFailed)?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        key.decrypt(&mut buf, DecryptionContext::Iv128(iv))
            .map_err(|_| DecryptFailed)?;
        let len = rustcrypto::pkcs7_unpadded_len(&buf, block).ok_or(DecryptFailed)?;
        buf.truncate(len);
        Ok(buf)
    }
}

// ---------------------------------------------------------------------------------------------
// Software key

/// The AWS-LC halves of a key; absent when AWS-LC refuses the key (under 2048 bits).
struct Native {
    signing: RsaKeyPair,
    pkcs1: Pkcs1PrivateDecryptingKey,
    oaep: OaepPrivateDecryptingKey,
    modulus_len: usize,
}

/// A software RSA key with its certificate: a [`Signer`] (RSASSA-PKCS1-v1_5) and a [`Decryptor`]
/// (RSAES-PKCS1-v1_5 with implicit rejection, and RSAES-OAEP), running in AWS-LC.
///
/// It keeps the key as a RustCrypto [`RsaKey`] too, for what AWS-LC lacks (see the
/// [module documentation](self#what-is-native-and-what-is-not)); a key under 2048 bits, which
/// AWS-LC refuses, is served entirely by the RustCrypto half. Cloning is cheap (the AWS-LC half
/// is shared).
#[derive(Clone)]
pub struct AwsLcRsaKey {
    fallback: RsaKey,
    native: Option<Arc<Native>>,
    rejection_key: Arc<hmac::Key>,
}

impl fmt::Debug for AwsLcRsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLcRsaKey")
            .field("key", &self.fallback)
            .field("native", &self.native.is_some())
            .finish_non_exhaustive()
    }
}

impl AwsLcRsaKey {
    /// Loads the key of a RustCrypto [`RsaKey`] (and its certificate and signature algorithm)
    /// into AWS-LC.
    ///
    /// # Errors
    /// [`Error::Encode`] when the key cannot be encoded as PKCS #8 (a multi-prime key).
    pub fn new(key: RsaKey) -> Result<Self, Error> {
        let pkcs8 = key
            .private_key()
            .to_pkcs8_der()
            .map_err(|_| Error::Encode)?;
        let der = pkcs8.as_bytes();
        let native = match (
            RsaKeyPair::from_pkcs8(der),
            PrivateDecryptingKey::from_pkcs8(der),
        ) {
            (Ok(signing), Ok(decrypting)) => {
                let modulus_len = signing.public_modulus_len();
                match (
                    Pkcs1PrivateDecryptingKey::new(decrypting.clone()),
                    OaepPrivateDecryptingKey::new(decrypting),
                ) {
                    (Ok(pkcs1), Ok(oaep)) => Some(Arc::new(Native {
                        signing,
                        pkcs1,
                        oaep,
                        modulus_len,
                    })),
                    _ => None,
                }
            }
            _ => None,
        };
        // The implicit-rejection secret: a hash of the private key, under its own label.
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"scep aws-lc implicit rejection v1");
        ctx.update(der);
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(ctx.finish().as_ref());
        let rejection_key = Arc::new(hmac::Key::new(hmac::HMAC_SHA256, &secret[..]));
        Ok(Self {
            fallback: key,
            native,
            rejection_key,
        })
    }

    /// Decodes a DER PKCS #8 `PrivateKeyInfo` (unencrypted, `rsaEncryption`) and pairs it with
    /// `cert`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the key does not decode or does not match `cert`.
    pub fn from_pkcs8_der(der: &[u8], cert: Certificate) -> Result<Self, Error> {
        Self::new(RsaKey::from_pkcs8_der(der, cert)?)
    }

    /// Decodes a DER PKCS #1 `RSAPrivateKey` and pairs it with `cert`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the key does not decode or does not match `cert`.
    pub fn from_pkcs1_der(der: &[u8], cert: Certificate) -> Result<Self, Error> {
        Self::new(RsaKey::from_pkcs1_der(der, cert)?)
    }

    /// Decodes the first `PRIVATE KEY` or `RSA PRIVATE KEY` PEM block in `pem` (as
    /// [`RsaKey::from_pem`]) and pairs it with `cert`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when there is no such block, it does not decode, or the key does
    /// not match `cert`.
    pub fn from_pem(pem: &[u8], cert: Certificate) -> Result<Self, Error> {
        Self::new(RsaKey::from_pem(pem, cert)?)
    }

    /// Signs with `alg` from now on.
    #[must_use]
    pub fn with_signature_algorithm(mut self, alg: SignatureAlgorithm) -> Self {
        self.fallback = self.fallback.with_signature_algorithm(alg);
        self
    }

    /// The same key as a RustCrypto [`RsaKey`].
    pub fn rsa_key(&self) -> &RsaKey {
        &self.fallback
    }

    /// The certificate (the same one [`Signer::certificate`] and [`Decryptor::certificate`]
    /// return).
    pub fn certificate(&self) -> &Certificate {
        self.fallback.certificate()
    }

    /// Whether AWS-LC holds the key (false for keys under 2048 bits, which only the RustCrypto
    /// half serves).
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// The implicit-rejection substitute for `ciphertext`: `key_len` bytes of
    /// HMAC-SHA-256(secret, counter || ciphertext) blocks.
    fn substitute(&self, ciphertext: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(key_len));
        let mut counter = 0u32;
        while out.len() < key_len {
            let mut ctx = hmac::Context::with_key(&self.rejection_key);
            ctx.update(&counter.to_be_bytes());
            ctx.update(ciphertext);
            let tag = ctx.sign();
            let take = (key_len - out.len()).min(tag.as_ref().len());
            out.extend_from_slice(tag.as_ref().get(..take).unwrap_or_default());
            counter = counter.wrapping_add(1);
        }
        out
    }
}

impl Signer for AwsLcRsaKey {
    fn certificate(&self) -> &Certificate {
        self.fallback.certificate()
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        Signer::signature_algorithm(&self.fallback)
    }

    /// Any digest, through the RustCrypto key for one other than the key's own.
    fn sign_with(&self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if alg == self.signature_algorithm() {
            self.sign(message)
        } else {
            self.fallback.sign_with(alg, message)
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let SignatureAlgorithm::RsaPkcs1v15(digest) = self.signature_algorithm() else {
            return Signer::sign(&self.fallback, message);
        };
        let encoding: &'static dyn signature::RsaEncoding = match digest {
            DigestAlgorithm::Sha256 => &signature::RSA_PKCS1_SHA256,
            DigestAlgorithm::Sha384 => &signature::RSA_PKCS1_SHA384,
            DigestAlgorithm::Sha512 => &signature::RSA_PKCS1_SHA512,
            _ => return Signer::sign(&self.fallback, message),
        };
        let Some(native) = &self.native else {
            return Signer::sign(&self.fallback, message);
        };
        let mut sig = vec![0u8; native.modulus_len];
        native
            .signing
            .sign(
                encoding,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| CryptoError::Failed)?;
        Ok(sig)
    }
}

impl Decryptor for AwsLcRsaKey {
    fn certificate(&self) -> &Certificate {
        self.fallback.certificate()
    }

    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let Some(native) = &self.native else {
            return self.fallback.decrypt_key(alg, encrypted_key, key_len);
        };
        let mut buf = Zeroizing::new(vec![0u8; native.modulus_len]);
        match alg {
            KeyTransport::RsaPkcs1v15 => {
                // Computed whatever AWS-LC says, so both outcomes do the same work.
                let substitute = self.substitute(encrypted_key, key_len);
                match native.pkcs1.decrypt(encrypted_key, &mut buf) {
                    Ok(plain) if plain.len() == key_len => Ok(Zeroizing::new(plain.to_vec())),
                    _ => Ok(substitute),
                }
            }
            KeyTransport::RsaOaep { hash, mgf1 } => match oaep_algorithm(hash, mgf1) {
                Some(a) => {
                    let plain = native
                        .oaep
                        .decrypt(a, encrypted_key, &mut buf, None)
                        .map_err(|_| CryptoError::Failed)?;
                    if plain.len() != key_len {
                        return Err(CryptoError::Failed);
                    }
                    Ok(Zeroizing::new(plain.to_vec()))
                }
                None => self.fallback.decrypt_key(alg, encrypted_key, key_len),
            },
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }
}
