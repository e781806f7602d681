//! # NO SECURITY. FOR FUZZING ONLY.
//!
//! A crypto provider and key holder that **provide no security whatsoever**. They exist so that
//! a fuzzer (and the replay and mutation tests that run the fuzzer's inputs) gets past signature
//! checks and decryption into the parsers behind them. They are compiled only with the private
//! feature `__fuzzing`, are not part of the API, and must never be used for anything else:
//!
//! - [`PROVIDER`]'s verifier **accepts every signature**, over any message, with any key;
//! - its digests return **all zero bytes** of the algorithm's output length, whatever the input
//!   (so a fuzzer that changes the content does not also have to fix `messageDigest`);
//! - its key encryptor "encrypts" every content key to the same fixed bytes;
//! - its content cipher is the **identity**: ciphertext and plaintext are the same bytes (no
//!   padding), so the fuzzer mutates the payload (CSR, certificates) directly;
//! - [`FuzzKey`] "signs" everything with the same fixed bytes and "decrypts" every key to the
//!   same fixed key;
//! - [`FixedRng`] is a counter, not a random number generator.

use alloc::vec;
use alloc::vec::Vec;
use core::convert::Infallible;

use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::crypto::{
    BadSignature, ContentCipher, ContentEncryption, CryptoError, CryptoProvider, DecryptFailed,
    Decryptor, DigestAlgorithm, DigestOutput, Digests, KeyEncryptor, KeyTransport, SecureRandom,
    SignatureAlgorithm, Signer, Verifier,
};

/// The no-security provider (see the [module docs](self)): accept-all verifier, all-zero
/// digests, fixed key transport, identity cipher.
pub const PROVIDER: CryptoProvider = CryptoProvider {
    digests: &ZeroDigests,
    verifier: &AcceptAnySignature,
    key_encryptor: &FixedKeyEncryptor,
    cipher: &IdentityCipher,
    key_agreement: &FixedKeyAgreement,
    key_wrap: &IdentityKeyWrap,
};

/// NO SECURITY: "agreement" gives a fixed point and an all-zero secret.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedKeyAgreement;

impl crate::crypto::KeyAgreement for FixedKeyAgreement {
    fn supports(&self, _curve: crate::crypto::EcCurve) -> bool {
        true
    }
    fn ephemeral_agree(
        &self,
        curve: crate::crypto::EcCurve,
        _recipient: &[u8],
        _rng: &mut dyn SecureRandom,
    ) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), CryptoError> {
        let mut point = alloc::vec![0u8; curve.uncompressed_point_len()];
        if let Some(first) = point.first_mut() {
            *first = 4;
        }
        Ok((point, Zeroizing::new(alloc::vec![0u8; curve.field_len()])))
    }
}

/// NO SECURITY: "wrapping" prepends eight zero bytes, CBC is the identity, PBKDF2 gives zeros.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityKeyWrap;

impl crate::crypto::KeyWrap for IdentityKeyWrap {
    fn aes_wrap(&self, _kek: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = alloc::vec![0u8; 8];
        out.extend_from_slice(key);
        Ok(out)
    }
    fn aes_unwrap(&self, _kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        Ok(Zeroizing::new(
            wrapped.get(8..).ok_or(DecryptFailed)?.to_vec(),
        ))
    }
    fn cbc_encrypt_blocks(
        &self,
        _alg: ContentEncryption,
        _key: &[u8],
        _iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Ok(data.to_vec())
    }
    fn cbc_decrypt_blocks(
        &self,
        _alg: ContentEncryption,
        _key: &[u8],
        _iv: &[u8],
        data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        Ok(Zeroizing::new(data.to_vec()))
    }
    fn pbkdf2(
        &self,
        _prf: DigestAlgorithm,
        _password: &[u8],
        _salt: &[u8],
        _iterations: u32,
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        out.fill(0);
        Ok(())
    }
}

/// Length of the fixed signature and of the fixed encrypted key (a 2048-bit RSA size).
pub const FIXED_LEN: usize = 256;

/// NO SECURITY: every digest is all zero bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZeroDigests;

impl Digests for ZeroDigests {
    fn supports(&self, _alg: DigestAlgorithm) -> bool {
        true
    }

    fn digest(&self, alg: DigestAlgorithm, _data: &[u8]) -> Result<DigestOutput, CryptoError> {
        let zeros = [0u8; 64];
        let out = zeros.get(..alg.output_len()).ok_or(CryptoError::Failed)?;
        DigestOutput::new(out).ok_or(CryptoError::Failed)
    }
}

/// NO SECURITY: accepts every signature.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAnySignature;

impl Verifier for AcceptAnySignature {
    fn verify(
        &self,
        _alg: SignatureAlgorithm,
        _spki: SubjectPublicKeyInfoRef<'_>,
        _message: &[u8],
        _signature: &[u8],
    ) -> Result<(), BadSignature> {
        Ok(())
    }
}

/// NO SECURITY: every content key "encrypts" to [`FIXED_LEN`] bytes of `0xe5`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedKeyEncryptor;

impl KeyEncryptor for FixedKeyEncryptor {
    fn encrypt_key(
        &self,
        _alg: KeyTransport,
        _recipient: SubjectPublicKeyInfoRef<'_>,
        _key: &[u8],
        _rng: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        Ok(vec![0xe5; FIXED_LEN])
    }
}

/// NO SECURITY: the identity "cipher" (checks only the key and IV lengths).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityCipher;

impl ContentCipher for IdentityCipher {
    fn supports(&self, _alg: ContentEncryption) -> bool {
        true
    }

    fn encrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if key.len() != alg.key_len() || iv.len() != alg.block_len() {
            return Err(CryptoError::InvalidKey);
        }
        Ok(plaintext.to_vec())
    }

    fn decrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        if key.len() != alg.key_len() || iv.len() != alg.block_len() {
            return Err(DecryptFailed);
        }
        Ok(Zeroizing::new(ciphertext.to_vec()))
    }
}

/// NO SECURITY: a key holder that signs everything with [`FIXED_LEN`] bytes of `0x5a` and
/// decrypts every key to bytes of `0x42`.
#[derive(Clone, Debug)]
pub struct FuzzKey {
    cert: Certificate,
}

impl FuzzKey {
    /// A key holder presenting `cert`.
    pub fn new(cert: Certificate) -> Self {
        Self { cert }
    }

    /// The certificate it presents.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }
}

impl Signer for FuzzKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256)
    }

    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(vec![0x5a; FIXED_LEN])
    }
}

impl Decryptor for FuzzKey {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn decrypt_key(
        &self,
        _alg: KeyTransport,
        _encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(Zeroizing::new(vec![0x42; key_len]))
    }

    fn agree(
        &self,
        curve: crate::crypto::EcCurve,
        _public_point: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(Zeroizing::new(vec![0x42; curve.field_len()]))
    }
}

/// NO SECURITY: a deterministic counter posing as a generator, so that runs are reproducible.
#[derive(Clone, Debug, Default)]
pub struct FixedRng {
    counter: u64,
}

impl FixedRng {
    /// A counter starting at `seed`.
    pub fn new(seed: u64) -> Self {
        Self { counter: seed }
    }
}

impl rand_core::TryRng for FixedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst.iter_mut() {
            self.counter = self.counter.wrapping_add(1);
            *byte = self.counter.to_le_bytes().first().copied().unwrap_or(0) | 1;
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for FixedRng {}
