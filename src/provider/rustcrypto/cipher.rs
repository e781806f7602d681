//! Content encryption: DES-EDE3-CBC and AES-CBC (and single DES with `insecure-legacy`).

use alloc::vec::Vec;

use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use zeroize::Zeroizing;

use crate::crypto::{ContentCipher, ContentEncryption, CryptoError, DecryptFailed};

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
        cbc_decrypt_padded(alg, ciphertext, |buf| match alg {
            #[cfg(feature = "insecure-legacy")]
            ContentEncryption::DesCbc => cbc_decrypt_in_place::<des::Des>(key, iv, buf),
            ContentEncryption::DesEde3Cbc => cbc_decrypt_in_place::<des::TdesEde3>(key, iv, buf),
            ContentEncryption::Aes128Cbc => cbc_decrypt_in_place::<aes::Aes128>(key, iv, buf),
            ContentEncryption::Aes192Cbc => cbc_decrypt_in_place::<aes::Aes192>(key, iv, buf),
            ContentEncryption::Aes256Cbc => cbc_decrypt_in_place::<aes::Aes256>(key, iv, buf),
        })
    }
}

/// [`CbcCipher`] with AES-128/192/256-CBC only: no DES-EDE3 (RFC 8894 prefers AES; DES-EDE3 is for
/// CAs without it), so that firmware which talks to CAs offering AES links no DES code (2.8 KiB
/// of flash on a Cortex-M4, `examples/firmware`). Negotiation never picks what it lacks; a
/// message that uses DES-EDE3 is refused as
/// [`UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm). Plug it in with
/// `CryptoProvider { cipher: &AesCbcCipher, ..COMPACT_PROVIDER }`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AesCbcCipher;

impl ContentCipher for AesCbcCipher {
    fn supports(&self, alg: ContentEncryption) -> bool {
        matches!(
            alg,
            ContentEncryption::Aes128Cbc
                | ContentEncryption::Aes192Cbc
                | ContentEncryption::Aes256Cbc
        )
    }

    fn encrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match alg {
            ContentEncryption::Aes128Cbc => cbc_encrypt::<aes::Aes128>(key, iv, plaintext),
            ContentEncryption::Aes192Cbc => cbc_encrypt::<aes::Aes192>(key, iv, plaintext),
            ContentEncryption::Aes256Cbc => cbc_encrypt::<aes::Aes256>(key, iv, plaintext),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }

    fn decrypt(
        &self,
        alg: ContentEncryption,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        cbc_decrypt_padded(alg, ciphertext, |buf| match alg {
            ContentEncryption::Aes128Cbc => cbc_decrypt_in_place::<aes::Aes128>(key, iv, buf),
            ContentEncryption::Aes192Cbc => cbc_decrypt_in_place::<aes::Aes192>(key, iv, buf),
            ContentEncryption::Aes256Cbc => cbc_decrypt_in_place::<aes::Aes256>(key, iv, buf),
            _ => Err(DecryptFailed),
        })
    }
}

pub(super) fn cbc_encrypt<C>(
    key: &[u8],
    iv: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError>
where
    C: BlockCipherEncrypt + KeyInit,
{
    let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(|_| CryptoError::InvalidKey)?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(plaintext))
}

/// CBC decryption of `ciphertext` (whole blocks of `alg`) by `decrypt_in_place`, then the
/// PKCS #7 padding checked and cut; every failure is the one [`DecryptFailed`].
fn cbc_decrypt_padded(
    alg: ContentEncryption,
    ciphertext: &[u8],
    decrypt_in_place: impl FnOnce(&mut [u8]) -> Result<(), DecryptFailed>,
) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
    let block = alg.block_len();
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(block) {
        return Err(DecryptFailed);
    }
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    decrypt_in_place(&mut buf)?;
    let len = pkcs7_unpadded_len(&buf, block).ok_or(DecryptFailed)?;
    buf.truncate(len);
    Ok(buf)
}

/// Decrypts whole blocks in place, leaving the padding for [`pkcs7_unpadded_len`].
pub(super) fn cbc_decrypt_in_place<C>(
    key: &[u8],
    iv: &[u8],
    buf: &mut [u8],
) -> Result<(), DecryptFailed>
where
    C: BlockCipherDecrypt + KeyInit,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| DecryptFailed)?;
    dec.decrypt_padded::<NoPadding>(buf)
        .map_err(|_| DecryptFailed)?;
    Ok(())
}

pub(crate) use crate::crypto::pkcs7_unpadded_len;
