//! Walking received CMS with the BER reader: ContentInfo → SignedData → SignerInfo and signed
//! attributes; ContentInfo → EnvelopedData → RecipientInfos and EncryptedContentInfo.
//!
//! Everything here borrows from the input. Only leaf structures (certificates, names) are handed
//! to `der`/`x509-cert`, as DER.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use der::asn1::ObjectIdentifier;

use crate::attr::{FailInfo, FailInfoText, MessageType, Nonce, PkiStatus, TransactionId};
use crate::ber::{self, Class, Reader, Tag, Tlv};
use crate::cert::Certificate;
use crate::crypto::{
    ContentEncryption, CryptoProvider, DigestAlgorithm, KeyTransport, SignatureAlgorithm,
};
use crate::envelope::Limits;
use crate::error::{AlgorithmKind, Attribute, Error, Limit, Structure};
use crate::message::Crl;
use crate::oid;

fn malformed(s: Structure) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::LimitExceeded(l) => Error::LimitExceeded(l),
        _ => Error::Malformed(s),
    }
}

pub(crate) fn oid_of(tlv: &Tlv<'_>, s: Structure) -> Result<ObjectIdentifier, Error> {
    if tlv.tag != Tag::OID {
        return Err(Error::Malformed(s));
    }
    ObjectIdentifier::from_bytes(tlv.content).map_err(|_| Error::Malformed(s))
}

/// An `AlgorithmIdentifier` as received.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AlgId<'a> {
    pub oid: ObjectIdentifier,
    pub params: Option<Tlv<'a>>,
}

impl AlgId<'_> {
    pub(crate) fn params_absent_or_null(&self) -> bool {
        match &self.params {
            None => true,
            Some(p) => p.tag == Tag::NULL && p.content.is_empty(),
        }
    }
}

pub(crate) fn alg_id<'a>(parent: &Reader<'a>, tlv: &Tlv<'a>) -> Result<AlgId<'a>, Error> {
    let f = malformed(Structure::AlgorithmIdentifier);
    if tlv.tag != Tag::SEQUENCE {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    let mut r = parent.children(tlv).map_err(&f)?;
    let oid = oid_of(&r.read().map_err(&f)?, Structure::AlgorithmIdentifier)?;
    let params = if r.is_empty() {
        None
    } else {
        Some(r.read().map_err(&f)?)
    };
    r.finish().map_err(&f)?;
    Ok(AlgId { oid, params })
}

pub(crate) fn digest_alg(a: &AlgId<'_>) -> Result<DigestAlgorithm, Error> {
    if !a.params_absent_or_null() {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    match DigestAlgorithm::from_oid(&a.oid) {
        Some(d) => Ok(d),
        None if a.oid == oid::MD5 => Err(Error::LegacyAlgorithm),
        None => Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest)),
    }
}

pub(crate) fn signature_alg(
    a: &AlgId<'_>,
    digest: DigestAlgorithm,
) -> Result<SignatureAlgorithm, Error> {
    if !a.params_absent_or_null() {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Signature));
    }
    if a.oid == oid::MD5_WITH_RSA && DigestAlgorithm::from_oid(&oid::MD5).is_none() {
        return Err(Error::LegacyAlgorithm);
    }
    SignatureAlgorithm::from_oid_with_digest(&a.oid, digest)
        .ok_or(Error::UnsupportedAlgorithm(AlgorithmKind::Signature))
}

/// The `SignedData` of a `ContentInfo`, as borrowed parts.
pub(crate) struct SignedDataView<'a> {
    reader: Reader<'a>,
    pub econtent_type: ObjectIdentifier,
    /// The eContent OCTET STRING (inside the `[0] EXPLICIT`), when present.
    pub econtent: Option<Tlv<'a>>,
    pub certificates: Option<Tlv<'a>>,
    pub crls: Option<Tlv<'a>>,
    pub signer_infos: Tlv<'a>,
}

/// The outer layer shared by pkiMessages and GetNextCACert replies: checks the size limit first,
/// then reads `ContentInfo { id-signedData, SignedData }` (trailing zero octets tolerated) and
/// requires `eContentType` `id-data`.
pub(crate) fn data_signed_data<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<SignedDataView<'a>, Error> {
    if bytes.len() > limits.max_message_size {
        return Err(Error::LimitExceeded(Limit::MessageSize));
    }
    let mut top = Reader::new(bytes, limits.max_depth);
    let ci = top.read().map_err(|e| match e {
        Error::LimitExceeded(l) => Error::LimitExceeded(l),
        _ => Error::Malformed(Structure::ContentInfo),
    })?;
    top.finish_lenient()
        .map_err(|_| Error::Malformed(Structure::ContentInfo))?;
    let sd = signed_data_of(&top, &ci)?;
    if sd.econtent_type != oid::ID_DATA {
        return Err(Error::ContentType);
    }
    Ok(sd)
}

/// Parses `ContentInfo { id-signedData, [0] EXPLICIT SignedData }`. `parent` is the reader `ci`
/// came from (for depth accounting).
pub(crate) fn signed_data_of<'a>(
    parent: &Reader<'a>,
    ci: &Tlv<'a>,
) -> Result<SignedDataView<'a>, Error> {
    let f = malformed(Structure::ContentInfo);
    if ci.tag != Tag::SEQUENCE {
        return Err(Error::Malformed(Structure::ContentInfo));
    }
    let mut r = parent.children(ci).map_err(&f)?;
    let ct = oid_of(&r.read().map_err(&f)?, Structure::ContentInfo)?;
    if ct != oid::ID_SIGNED_DATA {
        return Err(Error::ContentType);
    }
    let explicit = r.read_expect(Tag::context(0, true)).map_err(&f)?;
    r.finish_lenient().map_err(&f)?;
    let mut x = r.children(&explicit).map_err(&f)?;
    let sd = x.read_expect(Tag::SEQUENCE).map_err(&f)?;
    x.finish_lenient().map_err(&f)?;

    let f = malformed(Structure::SignedData);
    let mut s = x.children(&sd).map_err(&f)?;
    let _version = ber::small_uint(&s.read_expect(Tag::INTEGER).map_err(&f)?).map_err(&f)?;
    let _digest_algorithms = s.read_expect(Tag::SET).map_err(&f)?;
    let eci = s.read_expect(Tag::SEQUENCE).map_err(&f)?;
    let mut e = s.children(&eci).map_err(&f)?;
    let econtent_type = oid_of(&e.read().map_err(&f)?, Structure::SignedData)?;
    let econtent = match e.read_optional(Tag::context(0, true)).map_err(&f)? {
        None => None,
        Some(wrapper) => {
            let mut w = e.children(&wrapper).map_err(&f)?;
            let inner = w.read().map_err(&f)?;
            w.finish_lenient().map_err(&f)?;
            Some(inner)
        }
    };
    e.finish().map_err(&f)?;
    let certificates = s.read_optional(Tag::context(0, true)).map_err(&f)?;
    let crls = s.read_optional(Tag::context(1, true)).map_err(&f)?;
    let signer_infos = s.read_expect(Tag::SET).map_err(&f)?;
    s.clone().finish().map_err(&f)?;
    Ok(SignedDataView {
        reader: s,
        econtent_type,
        econtent,
        certificates,
        crls,
        signer_infos,
    })
}

/// Turns a received certificate element into a [`Certificate`] (DER as is, BER normalised).
pub(crate) fn certificate(tlv: &Tlv<'_>, max_depth: u8) -> Result<Certificate, Error> {
    match Certificate::from_der(tlv.raw) {
        Ok(c) => Ok(c),
        Err(_) => {
            let der = ber::to_der(tlv, max_depth)
                .map_err(|_| Error::Malformed(Structure::Certificate))?;
            Certificate::from_der(&der)
        }
    }
}

impl<'a> SignedDataView<'a> {
    /// Appends every X.509 certificate (other CertificateChoices are skipped). A certificate
    /// whose encoding is that of one of `known` is that one (shared, not parsed again): a
    /// client already holds the CA and RA certificates a reply carries.
    pub(crate) fn collect_certificates(
        &self,
        out: &mut Vec<Certificate>,
        limits: &Limits,
        known: &[Certificate],
    ) -> Result<(), Error> {
        let Some(set) = &self.certificates else {
            return Ok(());
        };
        let f = malformed(Structure::Certificate);
        let mut r = self.reader.children(set).map_err(&f)?;
        let mut n = 0usize;
        while !r.is_empty() {
            let c = r.read().map_err(&f)?;
            n += 1;
            if n > limits.max_certificates {
                return Err(Error::LimitExceeded(Limit::Certificates));
            }
            if c.tag == Tag::SEQUENCE {
                match known.iter().find(|k| k.as_der() == c.raw) {
                    Some(k) => out.push(k.clone()),
                    None => out.push(certificate(&c, limits.max_depth)?),
                }
            }
        }
        Ok(())
    }

    /// Appends every CRL (other RevocationInfoChoices are skipped).
    pub(crate) fn collect_crls(&self, out: &mut Vec<Crl>, limits: &Limits) -> Result<(), Error> {
        let Some(set) = &self.crls else { return Ok(()) };
        let f = malformed(Structure::Crl);
        let mut r = self.reader.children(set).map_err(&f)?;
        let mut n = 0usize;
        while !r.is_empty() {
            let c = r.read().map_err(&f)?;
            n += 1;
            if n > limits.max_crls {
                return Err(Error::LimitExceeded(Limit::Crls));
            }
            if c.tag == Tag::SEQUENCE {
                let der = ber::to_der(&c, limits.max_depth).map_err(&f)?;
                out.push(Crl::from_received(der, limits.max_depth)?);
            }
        }
        Ok(())
    }

    /// The eContent octets (concatenated when the OCTET STRING is constructed).
    pub(crate) fn econtent_octets(&self, limits: &Limits) -> Result<Option<Cow<'a, [u8]>>, Error> {
        match &self.econtent {
            None => Ok(None),
            Some(t) => {
                if t.tag.class != Class::Universal || t.tag.number != 4 {
                    // PKCS #7 "content ANY" (Apple MDM signatures): not SCEP.
                    return Err(Error::Malformed(Structure::SignedData));
                }
                ber::string_content(t, limits.max_depth, limits.max_message_size)
                    .map(Some)
                    .map_err(malformed(Structure::SignedData))
            }
        }
    }

    /// The single SignerInfo.
    pub(crate) fn signer_info(&self, limits: &Limits) -> Result<SignerInfoView<'a>, Error> {
        let f = malformed(Structure::SignerInfo);
        let mut r = self.reader.children(&self.signer_infos).map_err(&f)?;
        let first = r.read().map_err(&f)?;
        let mut n = 1usize;
        while !r.is_empty() {
            r.read().map_err(&f)?;
            n += 1;
            if n > limits.max_signer_infos {
                return Err(Error::LimitExceeded(Limit::SignerInfos));
            }
        }
        if n > limits.max_signer_infos {
            return Err(Error::LimitExceeded(Limit::SignerInfos));
        }
        signer_info(&r, &first, limits)
    }
}

/// How a SignerInfo or RecipientInfo names a certificate.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CertId<'a> {
    /// `IssuerAndSerialNumber`: the issuer Name TLV (DER or BER) and the serial's content octets.
    IssuerSerial { issuer: Tlv<'a>, serial: &'a [u8] },
    /// `[0] SubjectKeyIdentifier`.
    Ski(&'a [u8]),
}

impl CertId<'_> {
    pub(crate) fn matches(&self, cert: &Certificate, max_depth: u8) -> bool {
        match self {
            CertId::IssuerSerial { issuer, serial } => {
                if cert.serial_number() != *serial {
                    return false;
                }
                // The issuer as the certificate encodes it, compared without re-encoding.
                let cert_issuer = cert.issuer_der();
                if cert_issuer == issuer.raw {
                    return true;
                }
                // A BER-encoded name: compare normalised encodings.
                ber::to_der(issuer, max_depth).is_ok_and(|d| d == cert_issuer)
            }
            CertId::Ski(ski) => cert.subject_key_identifier() == Some(*ski),
        }
    }
}

fn issuer_serial<'a>(
    parent: &Reader<'a>,
    tlv: &Tlv<'a>,
    s: Structure,
) -> Result<CertId<'a>, Error> {
    let f = malformed(s);
    let mut r = parent.children(tlv).map_err(&f)?;
    let issuer = r.read_expect(Tag::SEQUENCE).map_err(&f)?;
    let serial = r.read_expect(Tag::INTEGER).map_err(&f)?;
    r.finish().map_err(&f)?;
    if serial.indefinite || serial.content.is_empty() {
        return Err(Error::Malformed(s));
    }
    Ok(CertId::IssuerSerial {
        issuer,
        serial: serial.content,
    })
}

pub(crate) struct SignerInfoView<'a> {
    pub sid: CertId<'a>,
    pub digest_alg: AlgId<'a>,
    /// The `[0] IMPLICIT` signed attributes element, exactly as received.
    pub signed_attrs: Tlv<'a>,
    pub attrs: SignedAttrs<'a>,
    pub signature_alg: AlgId<'a>,
    pub signature: Cow<'a, [u8]>,
}

fn signer_info<'a>(
    parent: &Reader<'a>,
    tlv: &Tlv<'a>,
    limits: &Limits,
) -> Result<SignerInfoView<'a>, Error> {
    let f = malformed(Structure::SignerInfo);
    if tlv.tag != Tag::SEQUENCE {
        return Err(Error::Malformed(Structure::SignerInfo));
    }
    let mut r = parent.children(tlv).map_err(&f)?;
    let _version = ber::small_uint(&r.read_expect(Tag::INTEGER).map_err(&f)?).map_err(&f)?;
    let sid_tlv = r.read().map_err(&f)?;
    let sid = if sid_tlv.tag == Tag::SEQUENCE {
        issuer_serial(&r, &sid_tlv, Structure::SignerInfo)?
    } else if sid_tlv.tag.class == Class::ContextSpecific && sid_tlv.tag.number == 0 {
        CertId::Ski(sid_tlv.content)
    } else {
        return Err(Error::Malformed(Structure::SignerInfo));
    };
    let digest_alg = {
        let t = r.read().map_err(&f)?;
        alg_id(&r, &t)?
    };
    let signed_attrs = r
        .read_optional(Tag::context(0, true))
        .map_err(&f)?
        .ok_or(Error::Malformed(Structure::SignerInfo))?;
    let signature_alg = {
        let t = r.read().map_err(&f)?;
        alg_id(&r, &t)?
    };
    let sig = r.read_expect_any_form(Tag::OCTET_STRING).map_err(&f)?;
    let signature = ber::string_content(&sig, limits.max_depth, 4096).map_err(&f)?;
    // unsignedAttrs [1] are allowed and ignored.
    let _ = r.read_optional(Tag::context(1, true)).map_err(&f)?;
    r.finish().map_err(&f)?;
    let attrs = signed_attributes(&r, &signed_attrs, limits)?;
    Ok(SignerInfoView {
        sid,
        digest_alg,
        signed_attrs,
        attrs,
        signature_alg,
        signature,
    })
}

/// Checks a SignerInfo against `signer`'s key: the key size limit, `messageDigest` against
/// `content`, and the signature over the signed attributes as received (and, failing that, over
/// their DER-sorted form, for peers that sign one order and send another).
///
/// Shared by [`Parsed::verify`](crate::envelope::Parsed::verify) and GetNextCACert.
pub(crate) fn verify_signer_info(
    si: &SignerInfoView<'_>,
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

/// The signed attributes re-encoded as a DER SET with its elements sorted.
fn sorted_attributes(attrs: &Tlv<'_>, depth: u8) -> Result<Vec<u8>, Error> {
    let bad = |_| Error::Malformed(Structure::SignedAttributes);
    let holder = Reader::new(attrs.raw, depth);
    let mut r = holder.children(attrs).map_err(bad)?;
    let mut elements = Vec::new();
    while !r.is_empty() {
        let a = r.read().map_err(bad)?;
        elements.push(ber::to_der(&a, depth).map_err(bad)?);
    }
    let mut out = Vec::new();
    crate::enc::set_of(&mut out, crate::enc::SET, elements);
    Ok(out)
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
        let which = match id {
            oid::CONTENT_TYPE => Attribute::ContentType,
            oid::MESSAGE_DIGEST => Attribute::MessageDigest,
            oid::SIGNING_TIME => Attribute::SigningTime,
            oid::MESSAGE_TYPE => Attribute::MessageType,
            oid::PKI_STATUS => Attribute::PkiStatus,
            oid::FAIL_INFO => Attribute::FailInfo,
            oid::FAIL_INFO_TEXT => Attribute::FailInfoText,
            oid::SENDER_NONCE => Attribute::SenderNonce,
            oid::RECIPIENT_NONCE => Attribute::RecipientNonce,
            oid::TRANSACTION_ID => Attribute::TransactionId,
            _ => continue,
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

/// Parses UTCTime (with `Z` or a `±hhmm` offset, seconds optional) and GeneralizedTime into UTC.
/// `None` for anything else: signingTime is informational, and some peers get it wrong.
pub(crate) fn parse_time(v: &Tlv<'_>) -> Option<der::DateTime> {
    let s = core::str::from_utf8(v.content).ok()?;
    let (year, rest) = match (v.tag.class, v.tag.number) {
        (Class::Universal, 23) => {
            let yy: u16 = s.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        (Class::Universal, 24) => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let num = |r: &str, i: usize| -> Option<u8> {
        let d = r.get(i..i + 2)?;
        if !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        d.parse().ok()
    };
    let (month, day, hour, minute) = (num(rest, 0)?, num(rest, 2)?, num(rest, 4)?, num(rest, 6)?);
    let mut tail = rest.get(8..)?;
    let second = match num(tail, 0) {
        Some(sec) => {
            tail = tail.get(2..)?;
            sec
        }
        None => 0,
    };
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        tail = frac.get(digits..)?;
    }
    let base = der::DateTime::new(year, month, day, hour, minute, second).ok()?;
    let offset_secs: i64 = match tail {
        "Z" => 0,
        t if t.len() == 5 && (t.starts_with('+') || t.starts_with('-')) => {
            let h = i64::from(num(t, 1)?);
            let m = i64::from(num(t, 3)?);
            let o = h * 3600 + m * 60;
            if t.starts_with('+') { o } else { -o }
        }
        _ => return None,
    };
    let unix = i64::try_from(base.unix_duration().as_secs()).ok()? - offset_secs;
    der::DateTime::from_unix_duration(core::time::Duration::from_secs(u64::try_from(unix).ok()?))
        .ok()
}

/// A received `EnvelopedData` with one key-transport recipient chosen later.
pub(crate) struct EnvelopedView<'a> {
    pub recipients: Vec<(CertId<'a>, AlgId<'a>, Cow<'a, [u8]>)>,
    pub content_type: ObjectIdentifier,
    pub content_alg: AlgId<'a>,
    pub encrypted_content: Option<Cow<'a, [u8]>>,
}

/// Parses `ContentInfo { id-envelopedData, [0] EXPLICIT EnvelopedData }`, allowing trailing zero
/// octets after it (Cisco PIX pads the eContent).
pub(crate) fn enveloped_data<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<EnvelopedView<'a>, Error> {
    let f = malformed(Structure::EnvelopedData);
    let mut top = Reader::new(bytes, limits.max_depth);
    let ci = top.read_expect(Tag::SEQUENCE).map_err(&f)?;
    top.finish_lenient().map_err(&f)?;
    let mut c = top.children(&ci).map_err(&f)?;
    if oid_of(&c.read().map_err(&f)?, Structure::EnvelopedData)? != oid::ID_ENVELOPED_DATA {
        return Err(Error::ContentType);
    }
    let explicit = c.read_expect(Tag::context(0, true)).map_err(&f)?;
    c.finish_lenient().map_err(&f)?;
    let mut x = c.children(&explicit).map_err(&f)?;
    let ed = x.read_expect(Tag::SEQUENCE).map_err(&f)?;
    x.finish_lenient().map_err(&f)?;
    let mut e = x.children(&ed).map_err(&f)?;
    let _version = ber::small_uint(&e.read_expect(Tag::INTEGER).map_err(&f)?).map_err(&f)?;
    let _originator = e.read_optional(Tag::context(0, true)).map_err(&f)?;
    let ris = e.read_expect(Tag::SET).map_err(&f)?;
    let eci = e.read_expect(Tag::SEQUENCE).map_err(&f)?;
    let _unprotected = e.read_optional(Tag::context(1, true)).map_err(&f)?;
    e.finish().map_err(&f)?;

    let fr = malformed(Structure::RecipientInfo);
    let mut recipients = Vec::new();
    let mut ri_reader = e.children(&ris).map_err(&fr)?;
    let mut n = 0usize;
    while !ri_reader.is_empty() {
        let ri = ri_reader.read().map_err(&fr)?;
        n += 1;
        if n > limits.max_recipient_infos {
            return Err(Error::LimitExceeded(Limit::RecipientInfos));
        }
        if ri.tag != Tag::SEQUENCE {
            continue; // kari, kekri, pwri, ori: not for us
        }
        let mut k = ri_reader.children(&ri).map_err(&fr)?;
        let _v = ber::small_uint(&k.read_expect(Tag::INTEGER).map_err(&fr)?).map_err(&fr)?;
        let rid_tlv = k.read().map_err(&fr)?;
        let rid = if rid_tlv.tag == Tag::SEQUENCE {
            issuer_serial(&k, &rid_tlv, Structure::RecipientInfo)?
        } else if rid_tlv.tag.class == Class::ContextSpecific && rid_tlv.tag.number == 0 {
            CertId::Ski(rid_tlv.content)
        } else {
            return Err(Error::Malformed(Structure::RecipientInfo));
        };
        let alg = {
            let t = k.read().map_err(&fr)?;
            alg_id(&k, &t)?
        };
        let ek_tlv = k.read_expect_any_form(Tag::OCTET_STRING).map_err(&fr)?;
        let ek = ber::string_content(&ek_tlv, limits.max_depth, 2048).map_err(&fr)?;
        k.finish().map_err(&fr)?;
        recipients.push((rid, alg, ek));
    }

    let mut i = e.children(&eci).map_err(&f)?;
    let content_type = oid_of(&i.read().map_err(&f)?, Structure::EnvelopedData)?;
    let content_alg = {
        let t = i.read().map_err(&f)?;
        alg_id(&i, &t)?
    };
    let encrypted_content = i
        .read_optional_any_form(Tag::context(0, false))
        .map_err(&f)?;
    i.finish().map_err(&f)?;
    let encrypted_content = match encrypted_content {
        None => None,
        Some(t) => {
            Some(ber::string_content(&t, limits.max_depth, limits.max_message_size).map_err(&f)?)
        }
    };
    Ok(EnvelopedView {
        recipients,
        content_type,
        content_alg,
        encrypted_content,
    })
}

/// Interprets a key-encryption `AlgorithmIdentifier`.
pub(crate) fn key_transport(parent_depth: u8, a: &AlgId<'_>) -> Result<KeyTransport, Error> {
    match a.oid {
        oid::RSA_ENCRYPTION if a.params_absent_or_null() => Ok(KeyTransport::RsaPkcs1v15),
        oid::RSAES_OAEP => oaep_params(parent_depth, a.params.as_ref()),
        _ => Err(Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport)),
    }
}

fn oaep_params(depth: u8, params: Option<&Tlv<'_>>) -> Result<KeyTransport, Error> {
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    let mut hash = DigestAlgorithm::Sha1;
    let mut mgf1 = DigestAlgorithm::Sha1;
    let Some(p) = params else {
        return Ok(KeyTransport::RsaOaep { hash, mgf1 });
    };
    if p.tag == Tag::NULL {
        return Ok(KeyTransport::RsaOaep { hash, mgf1 });
    }
    if p.tag != Tag::SEQUENCE {
        return Err(unsupported);
    }
    let f = |_| Error::Malformed(Structure::AlgorithmIdentifier);
    let holder = Reader::new(p.raw, depth);
    let mut r = holder.children(p).map_err(f)?;
    if let Some(h) = r.read_optional(Tag::context(0, true)).map_err(f)? {
        let mut hr = r.children(&h).map_err(f)?;
        let a = {
            let t = hr.read().map_err(f)?;
            alg_id(&hr, &t)?
        };
        hr.finish().map_err(f)?;
        hash = digest_alg(&a).map_err(|_| unsupported)?;
    }
    if let Some(m) = r.read_optional(Tag::context(1, true)).map_err(f)? {
        let mut mr = r.children(&m).map_err(f)?;
        let a = {
            let t = mr.read().map_err(f)?;
            alg_id(&mr, &t)?
        };
        mr.finish().map_err(f)?;
        if a.oid != oid::MGF1 {
            return Err(unsupported);
        }
        let inner = a.params.ok_or(unsupported)?;
        let a2 = alg_id(&mr, &inner)?;
        mgf1 = digest_alg(&a2).map_err(|_| unsupported)?;
    }
    if let Some(ps) = r.read_optional(Tag::context(2, true)).map_err(f)? {
        let mut pr = r.children(&ps).map_err(f)?;
        let a = {
            let t = pr.read().map_err(f)?;
            alg_id(&pr, &t)?
        };
        pr.finish().map_err(f)?;
        let empty_label = a
            .params
            .is_none_or(|l| l.tag == Tag::OCTET_STRING && l.content.is_empty());
        if a.oid != oid::P_SPECIFIED || !empty_label {
            return Err(unsupported);
        }
    }
    r.finish().map_err(f)?;
    Ok(KeyTransport::RsaOaep { hash, mgf1 })
}

/// Interprets a content-encryption `AlgorithmIdentifier`: the cipher and its IV.
pub(crate) fn content_encryption<'a>(
    depth: u8,
    a: &AlgId<'a>,
) -> Result<(ContentEncryption, Cow<'a, [u8]>), Error> {
    let alg = match ContentEncryption::from_oid(&a.oid) {
        Some(c) => c,
        None if a.oid == oid::DES_CBC => return Err(Error::LegacyAlgorithm),
        None => {
            return Err(Error::UnsupportedAlgorithm(
                AlgorithmKind::ContentEncryption,
            ));
        }
    };
    let Some(p) = a.params.as_ref() else {
        // The 2005 "Java Scep Client" omits the IV; OpenSSL then uses zeros, and so do we.
        return Ok((alg, Cow::Owned(alloc::vec![0u8; alg.block_len()])));
    };
    if !p.tag.same_type(Tag::OCTET_STRING) {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    let iv = ber::string_content(p, depth, 64)
        .map_err(|_| Error::Malformed(Structure::AlgorithmIdentifier))?;
    if iv.len() != alg.block_len() {
        return Err(Error::Malformed(Structure::AlgorithmIdentifier));
    }
    Ok((alg, iv))
}

/// Bit length of an RSA modulus in a `SubjectPublicKeyInfo` (0 if it is not RSA).
pub(crate) fn rsa_modulus_bits(spki: &spki::SubjectPublicKeyInfoRef<'_>) -> Result<usize, Error> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION {
        return Ok(0);
    }
    let bad = |_| Error::Malformed(Structure::PublicKey);
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or(Error::Malformed(Structure::PublicKey))?;
    let mut top = Reader::new(key, 4);
    let seq = top.read_expect(Tag::SEQUENCE).map_err(bad)?;
    let mut r = top.children(&seq).map_err(bad)?;
    let n = r.read_expect(Tag::INTEGER).map_err(bad)?;
    let significant = n.content.iter().skip_while(|b| **b == 0).count();
    let lead = n.content.iter().find(|b| **b != 0).copied().unwrap_or(0);
    Ok(significant.saturating_sub(1) * 8
        + (8 - lead.leading_zeros() as usize).min(8) * usize::from(lead != 0))
}
