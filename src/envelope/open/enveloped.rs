//! The inner layer of a pkiMessage: choose the recipient, unwrap the content key (key
//! transport, key agreement or a password) and decrypt the content, with one error for every
//! failure after the recipient is chosen (RFC 3218).

use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::super::OpenOptions;
use crate::asn1::cms;
use crate::crypto::{
    ContentEncryption, CryptoProvider, Decryptor, DigestAlgorithm, KeyTransport, SecureRandom,
};
use crate::error::Error;
use crate::oid;

/// What the content decryption gave.
pub(super) struct Content {
    /// The plaintext when the padding was good; otherwise a substitute of the same kind (the
    /// decrypted blocks with the bad padding still on them), to be decoded and then refused.
    pub(super) plaintext: Zeroizing<Vec<u8>>,
    /// Whether the PKCS #7 padding was good.
    pub(super) padding_ok: bool,
}

pub(super) fn open_enveloped(
    econtent: &[u8],
    opts: &OpenOptions<'_>,
    decryptors: &[&dyn Decryptor],
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<(ContentEncryption, KeyTransport, Content), Error> {
    let limits = &opts.limits;
    let env = cms::enveloped_data(econtent, limits)?;
    if env.content_type != oid::ID_DATA {
        return Err(Error::ContentType);
    }
    let (alg, iv) = ContentEncryption::from_alg_id(limits.max_depth, &env.content_alg)?;
    if alg.is_legacy() && !opts.legacy_allowed() {
        return Err(Error::LegacyAlgorithm);
    }
    if !provider.cipher.supports(alg) {
        return Err(Error::UnsupportedAlgorithm(
            crate::error::AlgorithmKind::ContentEncryption,
        ));
    }
    // The recipient is chosen by its identifier, never by trying keys (RFC 3218 §2.3.1):
    // key transport first, then key agreement.
    let matched = decryptors.iter().find_map(|d| {
        let ours = d.certificate();
        env.recipients
            .iter()
            .find(|(rid, _, _)| ours.is_named_by(rid, limits.max_depth))
            .map(|r| (*d, r))
    });
    // Key agreement and password recipients, read here (the CMS view keeps them raw), each
    // with its feature only: without it, a recipient of that kind is never chosen, and an
    // envelope with nothing else for us is refused as unsupported (below).
    #[cfg(any(feature = "p256", feature = "p384"))]
    let key_agree = {
        let mut budget = limits
            .max_recipient_infos
            .saturating_sub(env.recipients.len() + env.password.len());
        env.key_agree
            .iter()
            .map(|t| super::super::kari::parse(t, limits.max_depth, &mut budget))
            .collect::<Result<Vec<_>, _>>()?
    };
    #[cfg(feature = "pwri")]
    let passwords = env
        .password
        .iter()
        .map(|t| super::super::pwri::parse(t, limits.max_depth))
        .collect::<Result<Vec<_>, _>>()?;
    #[cfg(any(feature = "p256", feature = "p384"))]
    let agreed = if matched.is_none() {
        super::super::kari::select(&key_agree, decryptors, limits.max_depth)
    } else {
        None
    };
    let ciphertext = env
        .encrypted_content
        .as_deref()
        .ok_or(Error::UnexpectedContent)?;

    // From here on every failure is Error::Decrypt, and a failed key transport goes on with a
    // random key so that the cipher runs either way (RFC 3218 §2.3.2).
    let key_len = alg.key_len();
    let mut random_key = Zeroizing::new(alloc::vec![0u8; key_len]);
    rng.fill(&mut random_key)?;
    // The recipient, in this order: key transport naming one of our certificates, key
    // agreement naming one, a password recipient when we have the password.
    #[cfg(any(feature = "p256", feature = "p384"))]
    if let Some((decryptor, kari, encrypted_key)) = agreed {
        let (kt, key) = super::super::kari::unwrap_key(
            decryptor,
            kari,
            encrypted_key,
            random_key,
            provider,
            limits.max_depth,
        )?;
        let content = decrypt_content(provider, alg, &key, &iv, ciphertext);
        return Ok((alg, kt, content));
    }
    #[cfg(feature = "pwri")]
    if let (None, Some(pwri), Some(password)) = (matched, passwords.first(), opts.password) {
        let key = super::super::pwri::unwrap_key(
            pwri,
            password,
            random_key,
            provider,
            limits.max_depth,
            limits.max_pbkdf2_iterations,
        )?;
        let content = decrypt_content(provider, alg, &key, &iv, ciphertext);
        return Ok((alg, KeyTransport::Password, content));
    }
    let (decryptor, chosen) = match (matched, env.recipients.as_slice(), decryptors.first()) {
        (Some(m), _, _) => m,
        (None, [only], Some(first)) if opts.allow_unmatched_recipient => (*first, only),
        _ => return Err(no_recipient(&env)),
    };
    let kt = KeyTransport::from_alg_id(limits.max_depth, &chosen.1)?;
    let key = match decryptor.decrypt_key(kt, &chosen.2, key_len) {
        Ok(k) if k.len() == key_len => k,
        _ => match go_oaep_variant(kt).map(|alt| decryptor.decrypt_key(alt, &chosen.2, key_len)) {
            Some(Ok(k)) if k.len() == key_len => k,
            _ => random_key,
        },
    };
    let content = decrypt_content(provider, alg, &key, &iv, ciphertext);
    Ok((alg, kt, content))
}

/// The error when no recipient was chosen: a key-agreement or password recipient whose kind is
/// not built in (features `p256`/`p384`, `pwri`) makes it
/// [`UnsupportedAlgorithm`](Error::UnsupportedAlgorithm), otherwise it is
/// [`RecipientNotFound`](Error::RecipientNotFound). Decided on the envelope's structure alone,
/// before any key is used.
fn no_recipient(env: &cms::EnvelopedView<'_>) -> Error {
    let unsupported_kari =
        cfg!(not(any(feature = "p256", feature = "p384"))) && !env.key_agree.is_empty();
    let unsupported_pwri = cfg!(not(feature = "pwri")) && !env.password.is_empty();
    if unsupported_kari || unsupported_pwri {
        Error::UnsupportedAlgorithm(crate::error::AlgorithmKind::KeyTransport)
    } else {
        Error::RecipientNotFound
    }
}

/// Decrypts `ciphertext` without returning early on bad padding, so that bad and good padding
/// take the same path (the padding-oracle split the RFC 3218 random key does not cover).
///
/// For CBC with PKCS #7 padding (every cipher of RFC 8894) one block of pure padding,
/// encrypted with the last ciphertext block as its IV, is chained after the ciphertext: the
/// provider then strips that block and hands back every block of `ciphertext` decrypted, its
/// own padding still on, which is checked here in constant time. Bad padding yields those
/// blocks as the substitute plaintext: the same length and the same beginning as with good
/// padding. A cipher that is not CBC (the fuzzing provider) is asked to decrypt as usual.
fn decrypt_content(
    provider: &CryptoProvider,
    alg: ContentEncryption,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Content {
    let block = alg.block_len();
    let last_block = ciphertext
        .len()
        .checked_sub(block)
        .and_then(|at| ciphertext.get(at..));
    if let Some(last_block) = last_block {
        if let Ok(padding_block) = provider.cipher.encrypt(alg, key, last_block, &[]) {
            if padding_block.len() == block {
                let mut chained = Vec::with_capacity(ciphertext.len() + block);
                chained.extend_from_slice(ciphertext);
                chained.extend_from_slice(&padding_block);
                if let Ok(mut blocks) = provider.cipher.decrypt(alg, key, iv, &chained) {
                    if blocks.len() == ciphertext.len() {
                        let unpadded = crate::crypto::pkcs7_unpadded_len(&blocks, block);
                        let padding_ok = unpadded.is_some();
                        blocks.truncate(unpadded.unwrap_or(ciphertext.len()));
                        return Content {
                            plaintext: blocks,
                            padding_ok,
                        };
                    }
                }
            }
        }
    }
    match provider.cipher.decrypt(alg, key, iv, ciphertext) {
        Ok(plaintext) => Content {
            plaintext,
            padding_ok: true,
        },
        // A length that is no whole number of blocks (public, so no oracle): zeros to decode.
        Err(_) => Content {
            plaintext: Zeroizing::new(alloc::vec![0u8; ciphertext.len()]),
            padding_ok: false,
        },
    }
}

/// Go's pkcs7 encoder (smallstep, mozilla) writes OAEP parameters with a SHA-256 hash and no
/// MGF, which means MGF1-SHA-1, but wraps the key with MGF1-SHA-256. When OAEP with a non-SHA-1
/// hash and MGF1-SHA-1 fails, the same hash for MGF1 is tried. Both attempts end in the same
/// error, so this adds no oracle.
fn go_oaep_variant(kt: KeyTransport) -> Option<KeyTransport> {
    match kt {
        KeyTransport::RsaOaep {
            hash,
            mgf1: DigestAlgorithm::Sha1,
        } if hash != DigestAlgorithm::Sha1 => Some(KeyTransport::RsaOaep { hash, mgf1: hash }),
        _ => None,
    }
}
