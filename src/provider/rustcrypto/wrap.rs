//! [`RustCryptoKeyWrap`]: AES key wrap (`aes-kw`), whole-block CBC (`cbc`) and PBKDF2 (`pbkdf2`).
//!
//! Each part is built only with the envelopes that use it, so that an image without them links
//! none of it: AES key wrap with a curve (features `p256`, `p384`: key agreement), whole-block
//! CBC and PBKDF2 with `pwri` (password recipients). Without its feature an operation refuses.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::crypto::{ContentEncryption, CryptoError, DecryptFailed, DigestAlgorithm, KeyWrap};

/// AES key wrap (RFC 3394), CBC without padding (for PWRI-KEK, RFC 3211) on the content
/// ciphers, and PBKDF2 with HMAC-SHA-1/224/256/384/512.
///
/// AES key wrap needs a curve feature (`p256` or `p384`); the CBC passes and PBKDF2 need
/// `pwri`. Without its feature an operation fails with [`CryptoError::UnsupportedAlgorithm`]
/// (the unwrapping and decrypting ones with their one [`DecryptFailed`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCryptoKeyWrap;

/// AES key wrap.
#[cfg(any(feature = "p256", feature = "p384"))]
mod kw {
    use alloc::vec;
    use alloc::vec::Vec;

    use cbc::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
    use zeroize::Zeroizing;

    use crate::crypto::{CryptoError, DecryptFailed};

    fn wrap_with<C: KeyInit + BlockCipherEncrypt<BlockSize = cbc::cipher::consts::U16>>(
        kek: &[u8],
        key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let kw = aes_kw::AesKw::<C>::new_from_slice(kek).map_err(|_| CryptoError::InvalidKey)?;
        let mut out = vec![0u8; key.len() + 8];
        let len = kw
            .wrap_key(key, &mut out)
            .map_err(|_| CryptoError::Failed)?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn unwrap_with<C>(kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptFailed>
    where
        C: KeyInit + BlockCipherEncrypt<BlockSize = cbc::cipher::consts::U16> + BlockCipherDecrypt,
    {
        let kw = aes_kw::AesKw::<C>::new_from_slice(kek).map_err(|_| DecryptFailed)?;
        let mut out = Zeroizing::new(vec![0u8; wrapped.len().saturating_sub(8)]);
        let len = kw
            .unwrap_key(wrapped, &mut out)
            .map_err(|_| DecryptFailed)?
            .len();
        out.truncate(len);
        Ok(out)
    }

    pub(super) fn wrap(kek: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match kek.len() {
            16 => wrap_with::<aes::Aes128>(kek, key),
            24 => wrap_with::<aes::Aes192>(kek, key),
            32 => wrap_with::<aes::Aes256>(kek, key),
            _ => Err(CryptoError::InvalidKey),
        }
    }

    pub(super) fn unwrap(kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        match kek.len() {
            16 => unwrap_with::<aes::Aes128>(kek, wrapped),
            24 => unwrap_with::<aes::Aes192>(kek, wrapped),
            32 => unwrap_with::<aes::Aes256>(kek, wrapped),
            _ => Err(DecryptFailed),
        }
    }
}

/// PWRI-KEK's CBC passes and PBKDF2.
#[cfg(feature = "pwri")]
mod pwri {
    use alloc::vec::Vec;

    use cbc::cipher::block_padding::NoPadding;
    use cbc::cipher::{
        BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit,
        KeyIvInit,
    };
    use zeroize::Zeroizing;

    use crate::crypto::{ContentEncryption, CryptoError, DecryptFailed, DigestAlgorithm};

    fn cbc_enc<C: BlockCipherEncrypt + KeyInit>(
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let enc =
            cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::InvalidKey)?;
        let mut buf = data.to_vec();
        let len = data.len();
        enc.encrypt_padded::<NoPadding>(&mut buf, len)
            .map_err(|_| CryptoError::Failed)?;
        Ok(buf)
    }

    fn cbc_dec<C: BlockCipherDecrypt + KeyInit>(
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| DecryptFailed)?;
        let mut buf = Zeroizing::new(data.to_vec());
        dec.decrypt_padded::<NoPadding>(&mut buf)
            .map_err(|_| DecryptFailed)?;
        Ok(buf)
    }

    pub(super) fn encrypt_blocks(
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if !data.len().is_multiple_of(alg.block_len()) {
            return Err(CryptoError::Failed);
        }
        match alg {
            #[cfg(feature = "insecure-legacy")]
            ContentEncryption::DesCbc => cbc_enc::<des::Des>(key, iv, data),
            ContentEncryption::DesEde3Cbc => cbc_enc::<des::TdesEde3>(key, iv, data),
            ContentEncryption::Aes128Cbc => cbc_enc::<aes::Aes128>(key, iv, data),
            ContentEncryption::Aes192Cbc => cbc_enc::<aes::Aes192>(key, iv, data),
            ContentEncryption::Aes256Cbc => cbc_enc::<aes::Aes256>(key, iv, data),
        }
    }

    pub(super) fn decrypt_blocks(
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        if !data.len().is_multiple_of(alg.block_len()) {
            return Err(DecryptFailed);
        }
        match alg {
            #[cfg(feature = "insecure-legacy")]
            ContentEncryption::DesCbc => cbc_dec::<des::Des>(key, iv, data),
            ContentEncryption::DesEde3Cbc => cbc_dec::<des::TdesEde3>(key, iv, data),
            ContentEncryption::Aes128Cbc => cbc_dec::<aes::Aes128>(key, iv, data),
            ContentEncryption::Aes192Cbc => cbc_dec::<aes::Aes192>(key, iv, data),
            ContentEncryption::Aes256Cbc => cbc_dec::<aes::Aes256>(key, iv, data),
        }
    }

    pub(super) fn pbkdf2(
        prf: DigestAlgorithm,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        match prf {
            DigestAlgorithm::Sha1 => {
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, out)
            }
            DigestAlgorithm::Sha224 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha224>(password, salt, iterations, out);
            }
            DigestAlgorithm::Sha256 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out);
            }
            DigestAlgorithm::Sha384 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, salt, iterations, out);
            }
            DigestAlgorithm::Sha512 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, out);
            }
            #[allow(unreachable_patterns, reason = "MD5 with insecure-legacy")]
            _ => return Err(CryptoError::UnsupportedAlgorithm),
        }
        Ok(())
    }
}

impl KeyWrap for RustCryptoKeyWrap {
    fn aes_wrap(&self, kek: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        #[cfg(any(feature = "p256", feature = "p384"))]
        {
            kw::wrap(kek, key)
        }
        #[cfg(not(any(feature = "p256", feature = "p384")))]
        {
            let _ = (kek, key);
            Err(CryptoError::UnsupportedAlgorithm)
        }
    }

    fn aes_unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        #[cfg(any(feature = "p256", feature = "p384"))]
        {
            kw::unwrap(kek, wrapped)
        }
        #[cfg(not(any(feature = "p256", feature = "p384")))]
        {
            let _ = (kek, wrapped);
            Err(DecryptFailed)
        }
    }

    fn cbc_encrypt_blocks(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        #[cfg(feature = "pwri")]
        {
            pwri::encrypt_blocks(alg, key, iv, data)
        }
        #[cfg(not(feature = "pwri"))]
        {
            let _ = (alg, key, iv, data);
            Err(CryptoError::UnsupportedAlgorithm)
        }
    }

    fn cbc_decrypt_blocks(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        #[cfg(feature = "pwri")]
        {
            pwri::decrypt_blocks(alg, key, iv, data)
        }
        #[cfg(not(feature = "pwri"))]
        {
            let _ = (alg, key, iv, data);
            Err(DecryptFailed)
        }
    }

    fn pbkdf2(
        &self,
        prf: DigestAlgorithm,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        #[cfg(feature = "pwri")]
        {
            pwri::pbkdf2(prf, password, salt, iterations, out)
        }
        #[cfg(not(feature = "pwri"))]
        {
            let _ = (prf, password, salt, iterations, out);
            Err(CryptoError::UnsupportedAlgorithm)
        }
    }
}
