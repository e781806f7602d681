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

/// 1 when `a < b`, else 0, for `a, b < 2^31`, without a branch.
pub(super) fn ct_lt(a: u32, b: u32) -> u32 {
    a.wrapping_sub(b) >> 31
}

/// 1 when `a != b`, else 0, for `a, b < 2^31`, without a branch.
pub(super) fn ct_ne(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    (x | x.wrapping_neg()) >> 31
}

/// The length of `buf` without its PKCS #7 padding, checked over the whole last block without
/// branching on the plaintext; `None` when the padding is malformed.
pub(crate) fn pkcs7_unpadded_len(buf: &[u8], block: usize) -> Option<usize> {
    let last = buf.get(buf.len().checked_sub(block)?..)?;
    let pad = u32::from(*last.last()?);
    let block32 = u32::try_from(block).ok()?;
    // The pad byte must be 1..=block.
    let mut bad = (1 ^ ct_ne(pad, 0)) | ct_lt(block32, pad);
    for (i, &byte) in last.iter().enumerate() {
        // Distance from the end of the block, 1 for the last byte.
        let from_end = block32.wrapping_sub(u32::try_from(i).ok()?);
        let in_padding = 1 ^ ct_lt(pad, from_end);
        bad |= in_padding & ct_ne(u32::from(byte), pad);
    }
    if bad != 0 {
        return None;
    }
    buf.len().checked_sub(pad as usize)
}
