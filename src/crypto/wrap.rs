//! Key wrapping and password-based key derivation: the symmetric primitives behind
//! `KeyAgreeRecipientInfo` (AES key wrap, RFC 3394) and `PasswordRecipientInfo` (PBKDF2, RFC
//! 8018, and the CBC steps of PWRI-KEK, RFC 3211 §2.3).

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use super::{ContentEncryption, CryptoError, DecryptFailed, DigestAlgorithm};

/// AES key wrap, raw CBC and PBKDF2, as a provider part.
pub trait KeyWrap: fmt::Debug + Send + Sync {
    /// AES key wrap (RFC 3394) of `key` under `kek` (16, 24 or 32 bytes: AES-128/192/256).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] for a bad KEK length, [`CryptoError::Failed`] for a key that
    /// is not a multiple of 8 bytes or shorter than 16.
    fn aes_wrap(&self, kek: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// AES key unwrap (RFC 3394), checking the integrity value.
    ///
    /// # Errors
    /// One opaque [`DecryptFailed`] for everything.
    fn aes_unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptFailed>;

    /// CBC encryption of whole blocks, without padding (PWRI-KEK's two passes).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`], or [`CryptoError::Failed`] for a length that is
    /// not a multiple of the block.
    fn cbc_encrypt_blocks(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// CBC decryption of whole blocks, without padding.
    ///
    /// # Errors
    /// One opaque [`DecryptFailed`].
    fn cbc_decrypt_blocks(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed>;

    /// PBKDF2 (RFC 8018 §5.2) with HMAC over `prf`, filling `out`.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for a PRF digest the provider lacks.
    fn pbkdf2(
        &self,
        prf: DigestAlgorithm,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        out: &mut [u8],
    ) -> Result<(), CryptoError>;
}
