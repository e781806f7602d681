//! `KeyAgreeRecipientInfo` (RFC 5652 §6.2.2) with ephemeral-static ECDH, as RFC 5753 §3.1 and
//! RFC 8418 describe and `openssl cms` writes it: `dhSinglePass-stdDH-<h>kdf-scheme`, the ANSI
//! X9.63 KDF over `ECC-CMS-SharedInfo`, and AES key wrap (RFC 3394).
//!
//! ```text
//! KeyAgreeRecipientInfo ::= SEQUENCE {
//!   version CMSVersion,  -- always set to 3
//!   originator [0] EXPLICIT OriginatorIdentifierOrKey,   -- here: [1] originatorKey
//!   ukm [1] EXPLICIT UserKeyingMaterial OPTIONAL,
//!   keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
//!   recipientEncryptedKeys RecipientEncryptedKeys }
//! OriginatorPublicKey ::= SEQUENCE { algorithm AlgorithmIdentifier, publicKey BIT STRING }
//! RecipientEncryptedKey ::= SEQUENCE {
//!   rid KeyAgreeRecipientIdentifier,  -- issuerAndSerialNumber | [0] IMPLICIT rKeyId
//!   encryptedKey EncryptedKey }
//! ECC-CMS-SharedInfo ::= SEQUENCE {
//!   keyInfo AlgorithmIdentifier,           -- the key-wrap algorithm
//!   entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL,   -- the ukm
//!   suppPubInfo [2] EXPLICIT OCTET STRING }           -- KEK length in bits, 32-bit big-endian
//! ```

use alloc::borrow::Cow;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::asn1::ber::{self, Class, Reader, Tag, Tlv};
use crate::asn1::cms::{AlgId, CertId, alg_id, issuer_serial, malformed, oid_of};
use crate::asn1::enc::{self, CTX0_CONS, OCTET_STRING, SEQUENCE};
use crate::cert::Certificate;
use crate::crypto::{
    CryptoProvider, Decryptor, DigestAlgorithm, EcCurve, KeyTransport, SecureRandom,
};
use crate::error::{AlgorithmKind, Error, Limit, Structure};
use crate::oid;

/// A received `KeyAgreeRecipientInfo`, borrowed from the message.
pub(crate) struct KariView<'a> {
    /// The originator's ephemeral public point, when the originator is an `originatorKey`
    /// (static-static forms are kept as `None` and refused when chosen).
    pub originator: Option<Cow<'a, [u8]>>,
    /// `ukm`, when sent.
    pub ukm: Option<Cow<'a, [u8]>>,
    /// `keyEncryptionAlgorithm`.
    pub key_enc: AlgId<'a>,
    /// `recipientEncryptedKeys`.
    pub recipients: Vec<(CertId<'a>, Cow<'a, [u8]>)>,
}

/// Parses a `[1]` RecipientInfo. Each `RecipientEncryptedKey` takes one from `budget` (what
/// is left of [`Limits::max_recipient_infos`](crate::limits::Limits::max_recipient_infos)).
pub(crate) fn parse<'a>(
    ri: &Tlv<'a>,
    max_depth: u8,
    budget: &mut usize,
) -> Result<KariView<'a>, Error> {
    let f = malformed(Structure::RecipientInfo);
    let mut top = Reader::new(ri.raw, max_depth);
    let ri = top.read().map_err(&f)?;
    let mut k = top.children(&ri).map_err(&f)?;
    let version = ber::small_uint(&k.read_expect(Tag::INTEGER).map_err(&f)?).map_err(&f)?;
    if version != 3 {
        return Err(Error::Malformed(Structure::RecipientInfo));
    }
    let orig = k.read_expect(Tag::context(0, true)).map_err(&f)?;
    let mut o = k.children(&orig).map_err(&f)?;
    let choice = o.read().map_err(&f)?;
    o.finish().map_err(&f)?;
    let originator = if choice.tag == Tag::context(1, true) {
        let mut p = o.children(&choice).map_err(&f)?;
        let alg = {
            let t = p.read().map_err(&f)?;
            alg_id(&p, &t)?
        };
        let key = p.read_expect_any_form(Tag::BIT_STRING).map_err(&f)?;
        p.finish().map_err(&f)?;
        // RFC 5753 §7.1.3: id-ecPublicKey, parameters absent (NULL and a curve are tolerated;
        // the curve is the recipient's).
        if alg.oid != oid::ID_EC_PUBLIC_KEY {
            return Err(Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport));
        }
        let bits = ber::string_content(&key, max_depth, 256).map_err(&f)?;
        match bits {
            Cow::Borrowed(b) => match b.split_first() {
                Some((0, point)) => Some(Cow::Borrowed(point)),
                _ => return Err(Error::Malformed(Structure::RecipientInfo)),
            },
            Cow::Owned(b) => match b.split_first() {
                Some((0, point)) => Some(Cow::Owned(point.to_vec())),
                _ => return Err(Error::Malformed(Structure::RecipientInfo)),
            },
        }
    } else if choice.tag == Tag::SEQUENCE || choice.tag.is(Class::ContextSpecific, 0) {
        None
    } else {
        return Err(Error::Malformed(Structure::RecipientInfo));
    };
    let ukm = match k.read_optional(Tag::context(1, true)).map_err(&f)? {
        None => None,
        Some(t) => {
            let mut u = k.children(&t).map_err(&f)?;
            let os = u.read_expect_any_form(Tag::OCTET_STRING).map_err(&f)?;
            u.finish().map_err(&f)?;
            Some(ber::string_content(&os, max_depth, 1024).map_err(&f)?)
        }
    };
    let key_enc = {
        let t = k.read().map_err(&f)?;
        alg_id(&k, &t)?
    };
    let reks = k.read_expect(Tag::SEQUENCE).map_err(&f)?;
    k.finish().map_err(&f)?;
    let mut r = k.children(&reks).map_err(&f)?;
    let mut recipients = Vec::new();
    while !r.is_empty() {
        *budget = budget
            .checked_sub(1)
            .ok_or(Error::LimitExceeded(Limit::RecipientInfos))?;
        let rek = r.read_expect(Tag::SEQUENCE).map_err(&f)?;
        let mut e = r.children(&rek).map_err(&f)?;
        let rid_tlv = e.read().map_err(&f)?;
        let rid = if rid_tlv.tag == Tag::SEQUENCE {
            issuer_serial(&e, &rid_tlv, Structure::RecipientInfo)?
        } else if rid_tlv.tag == Tag::context(0, true) {
            // rKeyId: SEQUENCE { subjectKeyIdentifier, date OPTIONAL, other OPTIONAL }.
            let mut id = e.children(&rid_tlv).map_err(&f)?;
            let ski = id.read_expect(Tag::OCTET_STRING).map_err(&f)?;
            CertId::Ski(ski.content)
        } else {
            return Err(Error::Malformed(Structure::RecipientInfo));
        };
        let ek = e.read_expect_any_form(Tag::OCTET_STRING).map_err(&f)?;
        e.finish().map_err(&f)?;
        recipients.push((rid, ber::string_content(&ek, max_depth, 1024).map_err(&f)?));
    }
    Ok(KariView {
        originator,
        ukm,
        key_enc,
        recipients,
    })
}

/// The KDF digest of a `dhSinglePass-stdDH-<h>kdf-scheme` OID.
fn kdf_digest(oid: &der::asn1::ObjectIdentifier) -> Option<DigestAlgorithm> {
    Some(match *oid {
        oid::DH_SINGLE_PASS_STD_DH_SHA1KDF => DigestAlgorithm::Sha1,
        oid::DH_SINGLE_PASS_STD_DH_SHA224KDF => DigestAlgorithm::Sha224,
        oid::DH_SINGLE_PASS_STD_DH_SHA256KDF => DigestAlgorithm::Sha256,
        oid::DH_SINGLE_PASS_STD_DH_SHA384KDF => DigestAlgorithm::Sha384,
        oid::DH_SINGLE_PASS_STD_DH_SHA512KDF => DigestAlgorithm::Sha512,
        _ => return None,
    })
}

/// The `dhSinglePass-stdDH-<h>kdf-scheme` OID for a KDF digest.
fn kdf_oid(d: DigestAlgorithm) -> Option<der::asn1::ObjectIdentifier> {
    Some(match d {
        DigestAlgorithm::Sha1 => oid::DH_SINGLE_PASS_STD_DH_SHA1KDF,
        DigestAlgorithm::Sha224 => oid::DH_SINGLE_PASS_STD_DH_SHA224KDF,
        DigestAlgorithm::Sha256 => oid::DH_SINGLE_PASS_STD_DH_SHA256KDF,
        DigestAlgorithm::Sha384 => oid::DH_SINGLE_PASS_STD_DH_SHA384KDF,
        DigestAlgorithm::Sha512 => oid::DH_SINGLE_PASS_STD_DH_SHA512KDF,
        #[allow(unreachable_patterns, reason = "MD5 with insecure-legacy")]
        _ => return None,
    })
}

/// The AES key wrap OID for a KEK of `len` bytes.
fn wrap_oid(len: usize) -> Option<der::asn1::ObjectIdentifier> {
    match len {
        16 => Some(oid::AES128_WRAP),
        24 => Some(oid::AES192_WRAP),
        32 => Some(oid::AES256_WRAP),
        _ => None,
    }
}

/// `keyEncryptionAlgorithm` → (KDF digest, KEK length, DER of the key-wrap
/// `AlgorithmIdentifier` for `keyInfo`).
fn key_agree_alg(a: &AlgId<'_>, depth: u8) -> Result<(DigestAlgorithm, usize, Vec<u8>), Error> {
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    let kdf = kdf_digest(&a.oid).ok_or(unsupported)?;
    let params = a.params.as_ref().ok_or(unsupported)?;
    if params.tag != Tag::SEQUENCE {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    let wrap_der =
        ber::to_der(params, depth).map_err(|_| Error::Malformed(Structure::AlgorithmIdentifier))?;
    let mut r = Reader::new(&wrap_der, depth);
    let f = malformed(Structure::AlgorithmIdentifier);
    let seq = r.read_expect(Tag::SEQUENCE).map_err(&f)?;
    let mut w = r.children(&seq).map_err(&f)?;
    let wrap = oid_of(&w.read().map_err(&f)?, Structure::AlgorithmIdentifier)?;
    // RFC 3394 §3: parameters absent (a NULL is tolerated).
    if let Some(p) = w.read_optional(Tag::NULL).map_err(&f)? {
        if !p.content.is_empty() {
            return Err(Error::Malformed(Structure::AlgorithmIdentifier));
        }
    }
    w.finish().map_err(&f)?;
    let kek_len = match wrap {
        oid::AES128_WRAP => 16,
        oid::AES192_WRAP => 24,
        oid::AES256_WRAP => 32,
        _ => return Err(unsupported),
    };
    Ok((kdf, kek_len, wrap_der))
}

/// DER `ECC-CMS-SharedInfo`.
fn shared_info(wrap_der: &[u8], ukm: Option<&[u8]>, kek_len: usize) -> Result<Vec<u8>, Error> {
    let bits = u32::try_from(kek_len * 8).map_err(|_| Error::InvalidInput)?;
    let mut out = Vec::new();
    enc::nested(&mut out, SEQUENCE, |s| {
        s.extend_from_slice(wrap_der);
        if let Some(u) = ukm {
            enc::nested(s, CTX0_CONS, |x| {
                enc::tlv(x, OCTET_STRING, u);
                Ok(())
            })?;
        }
        enc::nested(s, 0xa2, |x| {
            enc::tlv(x, OCTET_STRING, &bits.to_be_bytes());
            Ok(())
        })
    })?;
    Ok(out)
}

fn kek(
    provider: &CryptoProvider,
    kdf: DigestAlgorithm,
    z: &[u8],
    info: &[u8],
    kek_len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut kek = Zeroizing::new(alloc::vec![0u8; kek_len]);
    crate::crypto::ec::x963_kdf(provider.digests, kdf, z, info, &mut kek)?;
    Ok(kek)
}

/// The first (decryptor, KARI, encrypted key) whose identifier names a decryptor's certificate.
pub(crate) fn select<'v, 'a, 'd>(
    karis: &'v [KariView<'a>],
    decryptors: &[&'d dyn Decryptor],
    depth: u8,
) -> Option<(&'d dyn Decryptor, &'v KariView<'a>, &'v [u8])> {
    decryptors.iter().find_map(|d| {
        let ours = d.certificate();
        karis.iter().find_map(|k| {
            k.recipients
                .iter()
                .find(|(rid, _)| ours.is_named_by(rid, depth))
                .map(|(_, ek)| (*d, k, ek.as_ref()))
        })
    })
}

/// Unwraps the content key of a chosen KARI recipient. Algorithm errors come first; after that
/// every failure (ECDH refused, KDF, key unwrap, wrong length) gives `random_key` instead, so the
/// caller fails later with its one `Error::Decrypt` (RFC 3218 §2.3.2).
pub(crate) fn unwrap_key(
    decryptor: &dyn Decryptor,
    kari: &KariView<'_>,
    encrypted_key: &[u8],
    random_key: Zeroizing<Vec<u8>>,
    provider: &CryptoProvider,
    depth: u8,
) -> Result<(KeyTransport, Zeroizing<Vec<u8>>), Error> {
    let (kdf, kek_len, wrap_der) = key_agree_alg(&kari.key_enc, depth)?;
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    let (curve, _) =
        EcCurve::from_spki(&decryptor.certificate().public_key()).ok_or(unsupported)?;
    let point = kari.originator.as_deref().ok_or(unsupported)?;
    if !provider.digests.supports(kdf) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let info = shared_info(&wrap_der, kari.ukm.as_deref(), kek_len)?;
    let key_len = random_key.len();
    let key = decryptor
        .agree(curve, point)
        .ok()
        .and_then(|z| kek(provider, kdf, &z, &info, kek_len).ok())
        .and_then(|kek| provider.key_wrap.aes_unwrap(&kek, encrypted_key).ok())
        .filter(|k| k.len() == key_len)
        .unwrap_or(random_key);
    Ok((KeyTransport::EcdhKeyAgree { kdf }, key))
}

/// Writes one `[1] KeyAgreeRecipientInfo` for `recipient` (an EC certificate) carrying `cek`.
pub(crate) fn write(
    out: &mut Vec<u8>,
    recipient: &Certificate,
    cek: &[u8],
    kdf: DigestAlgorithm,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<(), Error> {
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    let (curve, point) = EcCurve::from_spki(&recipient.public_key()).ok_or(unsupported)?;
    if !provider.key_agreement.supports(curve) {
        return Err(unsupported);
    }
    if !provider.digests.supports(kdf) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let scheme = kdf_oid(kdf).ok_or(unsupported)?;
    // The KEK is as long as the content key (AES-192 wrap for DES-EDE3's 24 bytes).
    let kek_len = match cek.len() {
        0..=16 => 16,
        17..=24 => 24,
        _ => 32,
    };
    let wrap = wrap_oid(kek_len).ok_or(unsupported)?;
    let mut wrap_der = Vec::new();
    enc::nested(&mut wrap_der, SEQUENCE, |a| {
        enc::oid(a, &wrap);
        Ok(())
    })?;
    let (ephemeral, z) = provider.key_agreement.ephemeral_agree(curve, point, rng)?;
    let info = shared_info(&wrap_der, None, kek_len)?;
    let kek = kek(provider, kdf, &z, &info, kek_len)?;
    let wrapped = provider.key_wrap.aes_wrap(&kek, cek)?;

    enc::nested(out, enc::CTX1_CONS, |k| {
        enc::small_int(k, 3);
        enc::nested(k, CTX0_CONS, |o| {
            enc::nested(o, enc::CTX1_CONS, |pk| {
                enc::nested(pk, SEQUENCE, |a| {
                    enc::oid(a, &oid::ID_EC_PUBLIC_KEY);
                    Ok(())
                })?;
                enc::nested(pk, 0x03, |b| {
                    b.push(0);
                    b.extend_from_slice(&ephemeral);
                    Ok(())
                })
            })
        })?;
        enc::nested(k, SEQUENCE, |a| {
            enc::oid(a, &scheme);
            a.extend_from_slice(&wrap_der);
            Ok(())
        })?;
        enc::nested(k, SEQUENCE, |reks| {
            enc::nested(reks, SEQUENCE, |rek| {
                super::seal::issuer_and_serial(rek, recipient)?;
                enc::tlv(rek, OCTET_STRING, &wrapped);
                Ok(())
            })
        })
    })
}
