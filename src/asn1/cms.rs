//! Walking received CMS (RFC 5652) with the BER reader: ContentInfo → SignedData → SignerInfo;
//! ContentInfo → EnvelopedData → RecipientInfos and EncryptedContentInfo.
//!
//! Everything here borrows from the input and has no SCEP meaning: the views hand out the
//! elements (algorithm identifiers, certificate sets, signed attributes) as TLVs, and the layers
//! above interpret them (algorithms in `crypto`, certificates in `cert`, the SCEP attributes in
//! `envelope`).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use der::asn1::ObjectIdentifier;

use crate::asn1::ber::{self, Class, Reader, Tag, Tlv};
use crate::error::{Error, Limit, Structure};
use crate::limits::Limits;
use crate::oid;

pub(crate) fn malformed(s: Structure) -> impl Fn(Error) -> Error {
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

/// The `SignedData` of a `ContentInfo`, as borrowed parts.
pub(crate) struct SignedDataView<'a> {
    /// The reader the SignedData's elements came from (for depth accounting).
    pub reader: Reader<'a>,
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

impl<'a> SignedDataView<'a> {
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

pub(crate) fn issuer_serial<'a>(
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

/// A `SignerInfo`, as borrowed parts; its signed attributes are read by the layer that knows
/// what they mean.
pub(crate) struct SignerInfoView<'a> {
    /// The reader the SignerInfo's elements came from (for depth accounting).
    pub reader: Reader<'a>,
    pub sid: CertId<'a>,
    pub digest_alg: AlgId<'a>,
    /// The `[0] IMPLICIT` signed attributes element, exactly as received.
    pub signed_attrs: Tlv<'a>,
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
    Ok(SignerInfoView {
        reader: r,
        sid,
        digest_alg,
        signed_attrs,
        signature_alg,
        signature,
    })
}

/// The signed attributes re-encoded as a DER SET with its elements sorted.
pub(crate) fn sorted_attributes(attrs: &Tlv<'_>, depth: u8) -> Result<Vec<u8>, Error> {
    let bad = |_| Error::Malformed(Structure::SignedAttributes);
    let holder = Reader::new(attrs.raw, depth);
    let mut r = holder.children(attrs).map_err(bad)?;
    let mut elements = Vec::new();
    while !r.is_empty() {
        let a = r.read().map_err(bad)?;
        elements.push(ber::to_der(&a, depth).map_err(bad)?);
    }
    let mut out = Vec::new();
    crate::asn1::enc::set_of(&mut out, crate::asn1::enc::SET, elements);
    Ok(out)
}

/// A received `EnvelopedData` with one key-transport recipient chosen later.
pub(crate) struct EnvelopedView<'a> {
    pub recipients: Vec<(CertId<'a>, AlgId<'a>, Cow<'a, [u8]>)>,
    /// `[1] KeyAgreeRecipientInfo`s, as received (read by `envelope::kari`).
    pub key_agree: Vec<Tlv<'a>>,
    /// `[3] PasswordRecipientInfo`s, as received (read by `envelope::pwri`).
    pub password: Vec<Tlv<'a>>,
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
    let mut key_agree = Vec::new();
    let mut password = Vec::new();
    let mut ri_reader = e.children(&ris).map_err(&fr)?;
    let mut n = 0usize;
    while !ri_reader.is_empty() {
        let ri = ri_reader.read().map_err(&fr)?;
        n += 1;
        if n > limits.max_recipient_infos {
            return Err(Error::LimitExceeded(Limit::RecipientInfos));
        }
        if ri.tag == Tag::context(1, true) {
            key_agree.push(ri);
            continue;
        }
        if ri.tag == Tag::context(3, true) {
            password.push(ri);
            continue;
        }
        if ri.tag != Tag::SEQUENCE {
            continue; // kekri, ori: not for us
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
        key_agree,
        password,
        content_type,
        content_alg,
        encrypted_content,
    })
}
