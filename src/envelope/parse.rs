//! The SCEP side of a received `SignerInfo`: its signed attributes (RFC 8894 §3.2.1) and the
//! check of its signature. The CMS structure itself is read by the private `asn1::cms` views.

use alloc::borrow::Cow;

use der::asn1::ObjectIdentifier;

use crate::asn1::ber::{self, Class, Reader, Tag, Tlv};
use crate::asn1::cms::{SignedDataView, SignerInfoView, malformed, oid_of, sorted_attributes};
use crate::asn1::time::parse_time;
use crate::attr::{FailInfo, FailInfoText, MessageType, Nonce, PkiStatus, TransactionId};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, DigestAlgorithm, SignatureAlgorithm, rsa_modulus_bits};
use crate::error::{AlgorithmKind, Attribute, Error, Limit, Structure};
use crate::limits::Limits;
use crate::oid;

/// The single SignerInfo of a SignedData and its decoded signed attributes.
pub(crate) struct SignerInfo<'a> {
    pub view: SignerInfoView<'a>,
    pub attrs: SignedAttrs<'a>,
}

impl<'a> core::ops::Deref for SignerInfo<'a> {
    type Target = SignerInfoView<'a>;
    fn deref(&self) -> &SignerInfoView<'a> {
        &self.view
    }
}

/// Reads the single SignerInfo of `sd`, then its signed attributes.
pub(crate) fn signer_info<'a>(
    sd: &SignedDataView<'a>,
    limits: &Limits,
) -> Result<SignerInfo<'a>, Error> {
    let view = sd.signer_info(limits)?;
    let attrs = signed_attributes(&view.reader, &view.signed_attrs, limits)?;
    Ok(SignerInfo { view, attrs })
}

/// Checks a SignerInfo against `signer`'s key: the key size limit, `messageDigest` against
/// `content`, and the signature over the signed attributes as received (and, failing that, over
/// their DER-sorted form, for peers that sign one order and send another).
///
/// Shared by [`Parsed::verify`](crate::envelope::Parsed::verify) and GetNextCACert.
pub(crate) fn verify_signer_info(
    si: &SignerInfo<'_>,
    signer: &Certificate,
    digest: DigestAlgorithm,
    signature_alg: SignatureAlgorithm,
    content: &[u8],
    provider: &CryptoProvider,
    limits: &Limits,
) -> Result<(), Error> {
    let spki = signer.public_key();
    if rsa_modulus_bits(&spki)? > limits.max_rsa_bits {
        return Err(Error::LimitExceeded(Limit::RsaModulus));
    }
    if !provider.digests.supports(digest) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let computed = provider.digests.digest(digest, content)?;
    let expected = si
        .attrs
        .message_digest
        .as_deref()
        .ok_or(Error::MissingAttribute(Attribute::MessageDigest))?;
    if computed.as_bytes() != expected {
        return Err(Error::DigestMismatch);
    }
    let sig = &si.signature;
    let attrs = &si.signed_attrs;
    let mut received = attrs.raw.to_vec();
    if let Some(first) = received.first_mut() {
        *first = 0x31;
    }
    if provider
        .verifier
        .verify(signature_alg, spki.clone(), &received, sig)
        .is_ok()
    {
        return Ok(());
    }
    let sorted = sorted_attributes(attrs, limits.max_depth)?;
    if sorted != received
        && provider
            .verifier
            .verify(signature_alg, spki, &sorted, sig)
            .is_ok()
    {
        return Ok(());
    }
    Err(Error::BadSignature)
}

/// The signed attributes we understand. Every one may appear at most once with exactly one
/// value; unknown attributes are ignored.
#[derive(Debug, Default)]
pub(crate) struct SignedAttrs<'a> {
    pub content_type: Option<ObjectIdentifier>,
    pub message_digest: Option<Cow<'a, [u8]>>,
    pub signing_time: Option<der::DateTime>,
    pub message_type: Option<MessageType>,
    pub pki_status: Option<PkiStatus>,
    pub fail_info: Option<FailInfo>,
    pub fail_info_text: Option<FailInfoText>,
    pub sender_nonce: Option<Nonce>,
    pub recipient_nonce: Option<Nonce>,
    pub transaction_id: Option<TransactionId>,
}

fn set_once<T>(slot: &mut Option<T>, v: T, a: Attribute) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::DuplicateAttribute(a));
    }
    *slot = Some(v);
    Ok(())
}

fn text_value(
    v: &Tlv<'_>,
    a: Attribute,
    max: usize,
    depth: u8,
) -> Result<alloc::string::String, Error> {
    let ok_tag =
        v.tag.class == Class::Universal && matches!(v.tag.number, 12 | 19 | 20 | 22 | 26 | 30);
    if !ok_tag {
        return Err(Error::InvalidAttribute(a));
    }
    let bytes = ber::string_content(v, depth, max).map_err(|_| Error::InvalidAttribute(a))?;
    if v.tag.number == 30 {
        let tag = der::Tag::BmpString;
        return crate::message::decode_directory_string(tag, &bytes)
            .ok_or(Error::InvalidAttribute(a));
    }
    core::str::from_utf8(&bytes)
        .map(alloc::string::String::from)
        .map_err(|_| Error::InvalidAttribute(a))
}

fn signed_attributes<'a>(
    parent: &Reader<'a>,
    tlv: &Tlv<'a>,
    limits: &Limits,
) -> Result<SignedAttrs<'a>, Error> {
    let f = malformed(Structure::SignedAttributes);
    let mut r = parent.children(tlv).map_err(&f)?;
    let mut out = SignedAttrs::default();
    let mut n = 0usize;
    let depth = limits.max_depth;
    while !r.is_empty() {
        let attr = r.read_expect(Tag::SEQUENCE).map_err(&f)?;
        n += 1;
        if n > limits.max_attributes {
            return Err(Error::LimitExceeded(Limit::Attributes));
        }
        let mut a = r.children(&attr).map_err(&f)?;
        let id = oid_of(&a.read().map_err(&f)?, Structure::SignedAttributes)?;
        let set = a.read_expect(Tag::SET).map_err(&f)?;
        a.finish().map_err(&f)?;
        const KNOWN: &[(ObjectIdentifier, Attribute)] = &[
            (oid::CONTENT_TYPE, Attribute::ContentType),
            (oid::MESSAGE_DIGEST, Attribute::MessageDigest),
            (oid::SIGNING_TIME, Attribute::SigningTime),
            (oid::MESSAGE_TYPE, Attribute::MessageType),
            (oid::PKI_STATUS, Attribute::PkiStatus),
            (oid::FAIL_INFO, Attribute::FailInfo),
            (oid::FAIL_INFO_TEXT, Attribute::FailInfoText),
            (oid::SENDER_NONCE, Attribute::SenderNonce),
            (oid::RECIPIENT_NONCE, Attribute::RecipientNonce),
            (oid::TRANSACTION_ID, Attribute::TransactionId),
        ];
        let Some(which) = crate::crypto::oid_lookup(&id, KNOWN) else {
            continue;
        };
        let mut values = a.children(&set).map_err(&f)?;
        let v = values
            .read()
            .map_err(|_| Error::DuplicateAttribute(which))?;
        if !values.is_empty() {
            return Err(Error::DuplicateAttribute(which));
        }
        let invalid = Error::InvalidAttribute(which);
        match which {
            Attribute::ContentType => set_once(
                &mut out.content_type,
                oid_of(&v, Structure::SignedAttributes).map_err(|_| invalid)?,
                which,
            )?,
            Attribute::MessageDigest => {
                if !v.tag.same_type(Tag::OCTET_STRING) {
                    return Err(invalid);
                }
                let d = ber::string_content(&v, depth, 64).map_err(|_| invalid)?;
                set_once(&mut out.message_digest, d, which)?;
            }
            Attribute::SigningTime => {
                let t = parse_time(&v);
                if out.signing_time.is_some() {
                    return Err(Error::DuplicateAttribute(which));
                }
                out.signing_time = t;
            }
            Attribute::MessageType => {
                let s = text_value(&v, which, 8, depth)?;
                set_once(
                    &mut out.message_type,
                    MessageType::try_from(s.as_str())?,
                    which,
                )?;
            }
            Attribute::PkiStatus => {
                let s = text_value(&v, which, 8, depth)?;
                set_once(&mut out.pki_status, PkiStatus::try_from(s.as_str())?, which)?;
            }
            Attribute::FailInfo => {
                let s = text_value(&v, which, 8, depth)?;
                set_once(&mut out.fail_info, FailInfo::try_from(s.as_str())?, which)?;
            }
            Attribute::FailInfoText => {
                let s = text_value(&v, which, crate::attr::MAX_FAIL_INFO_TEXT_LEN, depth)?;
                set_once(
                    &mut out.fail_info_text,
                    FailInfoText::new(&s).map_err(|_| invalid)?,
                    which,
                )?;
            }
            Attribute::SenderNonce | Attribute::RecipientNonce => {
                if !v.tag.same_type(Tag::OCTET_STRING) {
                    return Err(invalid);
                }
                let b = ber::string_content(&v, depth, crate::attr::MAX_NONCE_LEN)
                    .map_err(|_| invalid)?;
                let nonce = Nonce::from_bytes(&b).map_err(|_| invalid)?;
                let slot = if which == Attribute::SenderNonce {
                    &mut out.sender_nonce
                } else {
                    &mut out.recipient_nonce
                };
                set_once(slot, nonce, which)?;
            }
            Attribute::TransactionId => {
                let s = text_value(&v, which, crate::attr::MAX_TRANSACTION_ID_LEN, depth)?;
                set_once(&mut out.transaction_id, TransactionId::from_wire(s)?, which)?;
            }
        }
    }
    Ok(out)
}
