//! `PasswordRecipientInfo` (RFC 3211, RFC 5652 §6.2.4), as RFC 8894 §3.1 allows for requesters
//! whose key cannot decrypt: PBKDF2 (RFC 8018) derives a key-encryption key from the shared
//! password (the challenge password), and PWRI-KEK (RFC 3211 §2.3) wraps the content key with
//! two CBC passes of the content cipher.
//!
//! ```text
//! PasswordRecipientInfo ::= SEQUENCE {     -- [3] IMPLICIT in RecipientInfo
//!   version CMSVersion,   -- Always set to 0
//!   keyDerivationAlgorithm [0] KeyDerivationAlgorithmIdentifier OPTIONAL,
//!   keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,  -- id-alg-PWRI-KEK
//!   encryptedKey EncryptedKey }
//! PBKDF2-params ::= SEQUENCE {
//!   salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier },
//!   iterationCount INTEGER (1..MAX),
//!   keyLength INTEGER (1..MAX) OPTIONAL,
//!   prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }
//! ```
//!
//! Every failure after the recipient is chosen (wrong password, bad check bytes, bad length) gives
//! a random content key, so that the caller ends in the same `Error::Decrypt` as for a bad CBC
//! padding: there is no oracle on the password check.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::asn1::ber::{self, Reader, Tag, Tlv};
use crate::asn1::cms::{AlgId, alg_id, malformed, oid_of};
use crate::asn1::enc::{self, CTX0_CONS, OCTET_STRING, SEQUENCE};
use crate::crypto::{ContentEncryption, CryptoProvider, DigestAlgorithm, SecureRandom};
use crate::error::{AlgorithmKind, Error, Limit, Structure};
use crate::oid;

use super::{Password, SEAL_ITERATIONS};

/// A received `PasswordRecipientInfo`.
pub(crate) struct PwriView<'a> {
    kdf: Option<AlgId<'a>>,
    key_enc: AlgId<'a>,
    encrypted_key: Cow<'a, [u8]>,
}

/// Parses the content of a `[3]` RecipientInfo.
pub(crate) fn parse<'a>(ri: &Tlv<'a>, depth: u8) -> Result<PwriView<'a>, Error> {
    let f = malformed(Structure::RecipientInfo);
    let mut top = Reader::new(ri.raw, depth);
    let ri = top.read().map_err(&f)?;
    let mut k = top.children(&ri).map_err(&f)?;
    let version = ber::small_uint(&k.read_expect(Tag::INTEGER).map_err(&f)?).map_err(&f)?;
    if version != 0 {
        return Err(Error::Malformed(Structure::RecipientInfo));
    }
    let kdf = match k.read_optional(Tag::context(0, true)).map_err(&f)? {
        None => None,
        Some(t) => {
            // `[0] IMPLICIT AlgorithmIdentifier`: read its content as a SEQUENCE's.
            let mut a = k.children(&t).map_err(&f)?;
            let oid = oid_of(&a.read().map_err(&f)?, Structure::AlgorithmIdentifier)?;
            let params = if a.is_empty() {
                None
            } else {
                Some(a.read().map_err(&f)?)
            };
            a.finish().map_err(&f)?;
            Some(AlgId { oid, params })
        }
    };
    let key_enc = {
        let t = k.read().map_err(&f)?;
        alg_id(&k, &t)?
    };
    let ek = k.read_expect_any_form(Tag::OCTET_STRING).map_err(&f)?;
    k.finish().map_err(&f)?;
    Ok(PwriView {
        kdf,
        key_enc,
        encrypted_key: ber::string_content(&ek, depth, 1024).map_err(&f)?,
    })
}

fn prf_digest(oid: &der::asn1::ObjectIdentifier) -> Option<DigestAlgorithm> {
    Some(match *oid {
        oid::HMAC_WITH_SHA1 => DigestAlgorithm::Sha1,
        oid::HMAC_WITH_SHA224 => DigestAlgorithm::Sha224,
        oid::HMAC_WITH_SHA256 => DigestAlgorithm::Sha256,
        oid::HMAC_WITH_SHA384 => DigestAlgorithm::Sha384,
        oid::HMAC_WITH_SHA512 => DigestAlgorithm::Sha512,
        _ => return None,
    })
}

struct Pbkdf2<'a> {
    salt: Cow<'a, [u8]>,
    iterations: u32,
    key_length: Option<u32>,
    prf: DigestAlgorithm,
}

fn pbkdf2_params<'a>(kdf: &AlgId<'a>, depth: u8, max_iterations: u32) -> Result<Pbkdf2<'a>, Error> {
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    if kdf.oid != oid::PBKDF2 {
        return Err(unsupported);
    }
    let f = malformed(Structure::AlgorithmIdentifier);
    let p = kdf
        .params
        .as_ref()
        .ok_or(Error::Malformed(Structure::AlgorithmIdentifier))?;
    if p.tag != Tag::SEQUENCE {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    let der = ber::to_der(p, depth).map_err(&f)?;
    let mut top = Reader::new(&der, depth);
    let seq = top.read_expect(Tag::SEQUENCE).map_err(&f)?;
    let mut r = top.children(&seq).map_err(&f)?;
    let salt = r.read_expect(Tag::OCTET_STRING).map_err(&f)?;
    let iterations = ber::small_uint(&r.read_expect(Tag::INTEGER).map_err(&f)?).map_err(&f)?;
    let key_length = match r.read_optional(Tag::INTEGER).map_err(&f)? {
        None => None,
        Some(t) => Some(ber::small_uint(&t).map_err(&f)?),
    };
    let prf = match r.read_optional(Tag::SEQUENCE).map_err(&f)? {
        None => DigestAlgorithm::Sha1,
        Some(t) => {
            let a = alg_id(&r, &t)?;
            if !a.params_absent_or_null() {
                return Err(Error::Malformed(Structure::AlgorithmIdentifier));
            }
            prf_digest(&a.oid).ok_or(unsupported)?
        }
    };
    r.finish().map_err(&f)?;
    if iterations == 0 {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    if iterations > max_iterations {
        return Err(Error::LimitExceeded(Limit::Pbkdf2Iterations));
    }
    Ok(Pbkdf2 {
        salt: Cow::Owned(salt.content.to_vec()),
        iterations,
        key_length,
        prf,
    })
}

/// Unwraps the content key of a PWRI with `password`. Algorithm and structure errors come
/// first; after that every failure gives `random_key` (see the module documentation).
pub(crate) fn unwrap_key(
    pwri: &PwriView<'_>,
    password: Password<'_>,
    random_key: Zeroizing<Vec<u8>>,
    provider: &CryptoProvider,
    depth: u8,
    max_iterations: u32,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    // Without keyDerivationAlgorithm the KEK would come from elsewhere: not for us.
    let kdf = pwri.kdf.as_ref().ok_or(unsupported)?;
    let params = pbkdf2_params(kdf, depth, max_iterations)?;
    if pwri.key_enc.oid != oid::PWRI_KEK {
        return Err(unsupported);
    }
    let inner = pwri
        .key_enc
        .params
        .as_ref()
        .ok_or(Error::Malformed(Structure::AlgorithmIdentifier))?;
    let inner_alg = {
        let r = Reader::new(inner.raw, depth);
        alg_id(&r, inner)?
    };
    let (kek_alg, iv) = ContentEncryption::from_alg_id(depth, &inner_alg)?;
    if kek_alg.is_legacy() || !provider.cipher.supports(kek_alg) {
        return Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption,
        ));
    }
    if !provider.digests.supports(params.prf) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let kek_len = kek_alg.key_len();
    let key_len = random_key.len();
    let mut kek = Zeroizing::new(alloc::vec![0u8; kek_len]);
    let derived = params.key_length.is_none_or(|l| l as usize == kek_len)
        && provider
            .key_wrap
            .pbkdf2(
                params.prf,
                password.0,
                &params.salt,
                params.iterations,
                &mut kek,
            )
            .is_ok();
    let key = if derived {
        kek_unwrap(provider, kek_alg, &kek, &iv, &pwri.encrypted_key)
            .filter(|k| k.len() == key_len)
            .unwrap_or(random_key)
    } else {
        random_key
    };
    Ok(key)
}

/// RFC 3211 §2.3.2: undo the two CBC passes and check the length and check bytes.
fn kek_unwrap(
    provider: &CryptoProvider,
    alg: ContentEncryption,
    kek: &[u8],
    iv: &[u8],
    wrapped: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let b = alg.block_len();
    let n = wrapped.len();
    if n < 2 * b || !n.is_multiple_of(b) {
        return None;
    }
    let kw = provider.key_wrap;
    let last = wrapped.get(n - b..)?;
    let before_last = wrapped.get(n - 2 * b..n - b)?;
    // The last block of the inner ciphertext is the outer pass's IV.
    let outer_iv = kw.cbc_decrypt_blocks(alg, kek, before_last, last).ok()?;
    let inner = kw.cbc_decrypt_blocks(alg, kek, &outer_iv, wrapped).ok()?;
    let plain = kw.cbc_decrypt_blocks(alg, kek, iv, &inner).ok()?;
    let len = usize::from(*plain.first()?);
    let check = plain.get(1..4)?.iter().zip(plain.get(4..7)?);
    let mut ok = 0xffu8;
    for (a, c) in check {
        ok &= a ^ c;
    }
    if ok != 0xff || len < 3 || 4 + len > plain.len() {
        return None;
    }
    Some(Zeroizing::new(plain.get(4..4 + len)?.to_vec()))
}

/// Writes one `[3] PasswordRecipientInfo` carrying `cek`, keyed from `password` with PBKDF2
/// (HMAC-SHA-256, a random 16-byte salt, [`SEAL_ITERATIONS`]) and PWRI-KEK over `alg`.
pub(crate) fn write(
    out: &mut Vec<u8>,
    password: Password<'_>,
    cek: &[u8],
    alg: ContentEncryption,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<(), Error> {
    let b = alg.block_len();
    let prf = DigestAlgorithm::Sha256;
    if !provider.digests.supports(prf) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let len = u8::try_from(cek.len()).map_err(|_| Error::InvalidInput)?;
    if cek.len() < 3 {
        return Err(Error::InvalidInput);
    }
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)?;
    let mut iv = alloc::vec![0u8; b];
    rng.fill(&mut iv)?;
    let mut kek = Zeroizing::new(alloc::vec![0u8; alg.key_len()]);
    provider
        .key_wrap
        .pbkdf2(prf, password.0, &salt, SEAL_ITERATIONS, &mut kek)?;

    // RFC 3211 §2.3.1: length, check bytes (the complement of the first three key bytes),
    // the key, random padding to whole blocks and at least two of them.
    let total = (4 + cek.len()).div_ceil(b).max(2) * b;
    let mut plain = Zeroizing::new(Vec::with_capacity(total));
    plain.push(len);
    plain.extend(cek.iter().take(3).map(|x| !x));
    plain.extend_from_slice(cek);
    let mut pad = alloc::vec![0u8; total - plain.len()];
    rng.fill(&mut pad)?;
    plain.extend_from_slice(&pad);
    let kw = provider.key_wrap;
    let inner = kw.cbc_encrypt_blocks(alg, &kek, &iv, &plain)?;
    let outer_iv = inner.get(inner.len() - b..).ok_or(Error::InvalidInput)?;
    let wrapped = kw.cbc_encrypt_blocks(alg, &kek, outer_iv, &inner)?;

    enc::nested(out, 0xa3, |p| {
        enc::small_int(p, 0);
        enc::nested(p, CTX0_CONS, |k| {
            enc::oid(k, &oid::PBKDF2);
            enc::nested(k, SEQUENCE, |params| {
                enc::tlv(params, OCTET_STRING, &salt);
                let be = SEAL_ITERATIONS.to_be_bytes();
                let first = be.iter().position(|x| *x != 0).unwrap_or(3);
                let mut content = Vec::with_capacity(5);
                if be.get(first).is_some_and(|x| x & 0x80 != 0) {
                    content.push(0);
                }
                content.extend_from_slice(be.get(first..).unwrap_or(&[]));
                enc::integer_bytes(params, &content);
                enc::nested(params, SEQUENCE, |a| {
                    enc::oid(a, &oid::HMAC_WITH_SHA256);
                    enc::tlv(a, enc::NULL, &[]);
                    Ok(())
                })
            })
        })?;
        enc::nested(p, SEQUENCE, |a| {
            enc::oid(a, &oid::PWRI_KEK);
            enc::nested(a, SEQUENCE, |c| {
                enc::oid(c, &alg.oid());
                enc::tlv(c, OCTET_STRING, &iv);
                Ok(())
            })
        })?;
        enc::tlv(p, OCTET_STRING, &wrapped);
        Ok(())
    })
}
