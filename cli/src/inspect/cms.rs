//! CMS as received, from the BER tree: what the structures say and how they were encoded,
//! without judging whether they are acceptable (the library does that).

use scep::der::asn1::ObjectIdentifier;
use scep::oid;

use crate::inspect::tlv::{self, Tlv};

/// An `AlgorithmIdentifier` as received.
#[derive(Debug)]
pub struct Alg<'t, 'a> {
    pub oid: Option<ObjectIdentifier>,
    pub params: Option<&'t Tlv<'a>>,
}

impl Alg<'_, '_> {
    pub fn describe(&self) -> String {
        let name = self
            .oid
            .map_or_else(|| "(unreadable)".to_owned(), |o| oid_name(&o));
        let params = match self.params {
            None => "parameters absent".to_owned(),
            Some(p) if p.is_universal(tlv::NULL) => "parameters NULL".to_owned(),
            Some(p) if p.is_universal(tlv::OCTET_STRING) => {
                format!("{}-byte IV", p.string_octets().len())
            }
            Some(p) => format!("parameters {}", p.type_name()),
        };
        format!("{name}, {params}")
    }

    pub fn is(&self, o: &ObjectIdentifier) -> bool {
        self.oid.as_ref() == Some(o)
    }
}

fn alg<'t, 'a>(t: Option<&'t Tlv<'a>>) -> Alg<'t, 'a> {
    match t {
        Some(t) if t.is_universal(tlv::SEQUENCE) => Alg {
            oid: t.child(0).and_then(oid_of),
            params: t.child(1),
        },
        _ => Alg {
            oid: None,
            params: None,
        },
    }
}

pub fn oid_of(t: &Tlv<'_>) -> Option<ObjectIdentifier> {
    if !t.is_universal(tlv::OID) {
        return None;
    }
    ObjectIdentifier::from_bytes(t.content).ok()
}

/// `issuerAndSerialNumber` or `[0] subjectKeyIdentifier`.
#[derive(Debug)]
pub enum Sid<'t, 'a> {
    IssuerSerial {
        issuer: &'t Tlv<'a>,
        serial: &'a [u8],
    },
    Ski(&'a [u8]),
    Unknown,
}

fn sid<'t, 'a>(t: Option<&'t Tlv<'a>>) -> Sid<'t, 'a> {
    match t {
        Some(t) if t.is_universal(tlv::SEQUENCE) => match (t.child(0), t.child(1)) {
            (Some(issuer), Some(serial)) if serial.is_universal(tlv::INTEGER) => {
                Sid::IssuerSerial {
                    issuer,
                    serial: serial.content,
                }
            }
            _ => Sid::Unknown,
        },
        Some(t) if t.is_context(0) => Sid::Ski(t.content),
        _ => Sid::Unknown,
    }
}

/// One attribute: `SEQUENCE { type OID, values SET }`.
#[derive(Debug)]
pub struct Attr<'t, 'a> {
    pub oid: Option<ObjectIdentifier>,
    pub values: Vec<&'t Tlv<'a>>,
    pub raw: &'a [u8],
}

#[derive(Debug)]
pub struct Signer<'t, 'a> {
    pub sid: Sid<'t, 'a>,
    pub digest: Alg<'t, 'a>,
    /// The `[0] IMPLICIT` signed attributes element.
    pub signed_attrs: Option<&'t Tlv<'a>>,
    pub attrs: Vec<Attr<'t, 'a>>,
    pub signature_alg: Alg<'t, 'a>,
    pub signature_len: usize,
}

impl<'t, 'a> Signer<'t, 'a> {
    pub fn attr(&self, o: &ObjectIdentifier) -> Option<&Attr<'t, 'a>> {
        self.attrs.iter().find(|a| a.oid.as_ref() == Some(o))
    }
}

/// `ContentInfo(SignedData)`.
#[derive(Debug)]
pub struct Signed<'t, 'a> {
    pub econtent_type: Option<ObjectIdentifier>,
    /// The eContent element inside `[0] EXPLICIT` (an OCTET STRING, primitive or chunked).
    pub econtent: Option<&'t Tlv<'a>>,
    pub certificates: Vec<&'t Tlv<'a>>,
    pub crls: usize,
    pub signers: Vec<Signer<'t, 'a>>,
}

/// The content type of a `ContentInfo`, if `root` looks like one.
pub fn content_type(root: &Tlv<'_>) -> Option<ObjectIdentifier> {
    if !root.is_universal(tlv::SEQUENCE) {
        return None;
    }
    let ct = oid_of(root.child(0)?)?;
    root.child(1).filter(|t| t.is_context(0))?;
    Some(ct)
}

/// Reads `ContentInfo(SignedData)`; `None` when the shape is not that.
pub fn signed<'t, 'a>(root: &'t Tlv<'a>) -> Option<Signed<'t, 'a>> {
    let sd = root.child(1)?.child(0)?;
    if !sd.is_universal(tlv::SEQUENCE) {
        return None;
    }
    let mut i = 2usize;
    let eci = sd.child(i)?;
    i += 1;
    let econtent_type = eci.child(0).and_then(oid_of);
    let econtent = eci
        .child(1)
        .filter(|t| t.is_context(0))
        .and_then(|t| t.child(0));
    let mut certificates = Vec::new();
    let mut crls = 0usize;
    while let Some(t) = sd.child(i) {
        if t.is_context(0) {
            certificates.extend(t.children.iter());
        } else if t.is_context(1) {
            crls += t.children.len();
        } else {
            break;
        }
        i += 1;
    }
    let infos = sd.child(i).filter(|t| t.is_universal(tlv::SET))?;
    let signers = infos.children.iter().map(signer).collect();
    Some(Signed {
        econtent_type,
        econtent,
        certificates,
        crls,
        signers,
    })
}

fn signer<'t, 'a>(si: &'t Tlv<'a>) -> Signer<'t, 'a> {
    let mut i = 1usize;
    let sid = sid(si.child(i));
    i += 1;
    let digest = alg(si.child(i));
    i += 1;
    let signed_attrs = si.child(i).filter(|t| t.is_context(0));
    if signed_attrs.is_some() {
        i += 1;
    }
    let signature_alg = alg(si.child(i));
    i += 1;
    let signature_len = si.child(i).map_or(0, |t| t.string_octets().len());
    let attrs = signed_attrs
        .map(|s| {
            s.children
                .iter()
                .map(|a| Attr {
                    oid: a.child(0).and_then(oid_of),
                    values: a
                        .child(1)
                        .map(|v| v.children.iter().collect())
                        .unwrap_or_default(),
                    raw: a.raw,
                })
                .collect()
        })
        .unwrap_or_default();
    Signer {
        sid,
        digest,
        signed_attrs,
        attrs,
        signature_alg,
        signature_len,
    }
}

#[derive(Debug)]
pub struct Recipient<'t, 'a> {
    /// `ktri`, or the kind of another RecipientInfo choice.
    pub kind: &'static str,
    pub rid: Sid<'t, 'a>,
    pub alg: Alg<'t, 'a>,
    pub encrypted_key_len: usize,
}

/// `ContentInfo(EnvelopedData)`.
#[derive(Debug)]
pub struct Enveloped<'t, 'a> {
    pub recipients: Vec<Recipient<'t, 'a>>,
    pub content_type: Option<ObjectIdentifier>,
    pub content_alg: Alg<'t, 'a>,
    pub encrypted_content: Option<&'t Tlv<'a>>,
}

pub fn enveloped<'t, 'a>(root: &'t Tlv<'a>) -> Option<Enveloped<'t, 'a>> {
    let ed = root.child(1)?.child(0)?;
    let mut i = 1usize;
    if ed.child(i).is_some_and(|t| t.is_context(0)) {
        i += 1; // originatorInfo
    }
    let ris = ed.child(i).filter(|t| t.is_universal(tlv::SET))?;
    let eci = ed.child(i + 1)?;
    let recipients = ris
        .children
        .iter()
        .map(|ri| {
            if ri.is_universal(tlv::SEQUENCE) {
                Recipient {
                    kind: "ktri",
                    rid: sid(ri.child(1)),
                    alg: alg(ri.child(2)),
                    encrypted_key_len: ri.child(3).map_or(0, |t| t.string_octets().len()),
                }
            } else {
                let kind = match ri.number {
                    1 => "kari",
                    2 => "kekri",
                    3 => "pwri",
                    4 => "ori",
                    _ => "unknown",
                };
                Recipient {
                    kind,
                    rid: Sid::Unknown,
                    alg: alg(None),
                    encrypted_key_len: 0,
                }
            }
        })
        .collect();
    Some(Enveloped {
        recipients,
        content_type: eci.child(0).and_then(oid_of),
        content_alg: alg(eci.child(1)),
        encrypted_content: eci.child(2).filter(|t| t.is_context(0)),
    })
}

/// A readable name for the OIDs SCEP meets, with the dotted form.
pub fn oid_name(o: &ObjectIdentifier) -> String {
    let name = match *o {
        oid::ID_DATA => "id-data",
        oid::ID_SIGNED_DATA => "id-signedData",
        oid::ID_ENVELOPED_DATA => "id-envelopedData",
        oid::CONTENT_TYPE => "contentType",
        oid::MESSAGE_DIGEST => "messageDigest",
        oid::SIGNING_TIME => "signingTime",
        oid::MESSAGE_TYPE => "messageType",
        oid::PKI_STATUS => "pkiStatus",
        oid::FAIL_INFO => "failInfo",
        oid::FAIL_INFO_TEXT => "failInfoText",
        oid::SENDER_NONCE => "senderNonce",
        oid::RECIPIENT_NONCE => "recipientNonce",
        oid::TRANSACTION_ID => "transactionID",
        oid::CHALLENGE_PASSWORD => "challengePassword",
        oid::EXTENSION_REQUEST => "extensionRequest",
        oid::MD5 => "md5",
        oid::SHA1 => "sha1",
        oid::SHA224 => "sha224",
        oid::SHA256 => "sha256",
        oid::SHA384 => "sha384",
        oid::SHA512 => "sha512",
        oid::RSA_ENCRYPTION => "rsaEncryption",
        oid::MD5_WITH_RSA => "md5WithRSAEncryption",
        oid::SHA1_WITH_RSA => "sha1WithRSAEncryption",
        oid::SHA224_WITH_RSA => "sha224WithRSAEncryption",
        oid::SHA256_WITH_RSA => "sha256WithRSAEncryption",
        oid::SHA384_WITH_RSA => "sha384WithRSAEncryption",
        oid::SHA512_WITH_RSA => "sha512WithRSAEncryption",
        oid::RSAES_OAEP => "rsaesOAEP",
        oid::DES_CBC => "des-cbc",
        oid::DES_EDE3_CBC => "des-ede3-cbc",
        oid::AES128_CBC => "aes128-cbc",
        oid::AES192_CBC => "aes192-cbc",
        oid::AES256_CBC => "aes256-cbc",
        oid::KEY_USAGE => "keyUsage",
        oid::SUBJECT_KEY_IDENTIFIER => "subjectKeyIdentifier",
        oid::BASIC_CONSTRAINTS => "basicConstraints",
        _ => match o.to_string().as_str() {
            "1.2.840.10045.2.1" => "id-ecPublicKey",
            "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
            "1.2.840.10040.4.1" => "id-dsa",
            "1.2.840.113549.1.9.25.3" => "randomNonce",
            "1.2.840.113549.1.9.20" => "friendlyName",
            "1.3.6.1.4.1.311.21.38" => "Microsoft enrollment status",
            "1.2.840.113549.1.9.16.2.47" => "signingCertificateV2",
            "1.2.840.113549.1.9.52" => "cmsAlgorithmProtection",
            _ => return o.to_string(),
        },
    };
    format!("{name} ({o})")
}
