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
    /// What a `[1]` KeyAgreeRecipientInfo says.
    pub kari: Option<Kari<'t, 'a>>,
    /// What a `[3]` PasswordRecipientInfo says.
    pub pwri: Option<Pwri<'t, 'a>>,
}

/// The `originator` of a `KeyAgreeRecipientInfo` (RFC 5652 §6.2.2).
#[derive(Debug)]
pub enum Originator<'t, 'a> {
    /// `[1] originatorKey`: the (ephemeral) public key, as RFC 5753 §3.1.1 sends it.
    Key {
        alg: Alg<'t, 'a>,
        /// The BIT STRING's octets after its unused-bits octet (a SEC1 point).
        point: Vec<u8>,
        /// The unused-bits octet (0 in a well-formed point).
        unused_bits: Option<u8>,
    },
    /// `issuerAndSerialNumber` or `[0] subjectKeyIdentifier`: a static originator key.
    Certificate(Sid<'t, 'a>),
    Unknown,
}

/// `KeyAgreeRecipientInfo` (RFC 5652 §6.2.2), as received.
///
/// ```text
/// KeyAgreeRecipientInfo ::= SEQUENCE {
///   version CMSVersion,  -- always set to 3
///   originator [0] EXPLICIT OriginatorIdentifierOrKey,
///   ukm [1] EXPLICIT UserKeyingMaterial OPTIONAL,
///   keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
///   recipientEncryptedKeys RecipientEncryptedKeys }
/// ```
#[derive(Debug)]
pub struct Kari<'t, 'a> {
    pub version: Option<u64>,
    pub originator: Originator<'t, 'a>,
    /// The `ukm` octets' length, when sent.
    pub ukm_len: Option<usize>,
    /// The key-agreement scheme (`dhSinglePass-stdDH-sha256kdf-scheme`, ...).
    pub key_enc: Alg<'t, 'a>,
    /// The key-wrap algorithm, the scheme's parameters (RFC 5753 §7.1.5).
    pub wrap: Alg<'t, 'a>,
    /// `recipientEncryptedKeys`: each recipient and the length of its wrapped key.
    pub recipients: Vec<(Sid<'t, 'a>, usize)>,
}

/// `PBKDF2-params` (RFC 8018 §A.2), as received.
#[derive(Debug, Default)]
pub struct Pbkdf2 {
    /// The `specified` salt's length (`None`: `otherSource` or unreadable).
    pub salt_len: Option<usize>,
    pub iterations: Option<u64>,
    pub key_length: Option<u64>,
    /// The PRF; `None` when absent (the default, `hmacWithSHA1`).
    pub prf: Option<ObjectIdentifier>,
}

/// `PasswordRecipientInfo` (RFC 3211 §2, RFC 5652 §6.2.4), as received.
///
/// ```text
/// PasswordRecipientInfo ::= SEQUENCE {
///   version CMSVersion,   -- Always set to 0
///   keyDerivationAlgorithm [0] KeyDerivationAlgorithmIdentifier OPTIONAL,
///   keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,  -- id-alg-PWRI-KEK
///   encryptedKey EncryptedKey }
/// ```
#[derive(Debug)]
pub struct Pwri<'t, 'a> {
    pub version: Option<u64>,
    /// `keyDerivationAlgorithm` (its OID and parameters), when sent.
    pub kdf: Option<Alg<'t, 'a>>,
    /// The PBKDF2 parameters, when the KDF is PBKDF2.
    pub pbkdf2: Option<Pbkdf2>,
    /// `id-alg-PWRI-KEK` (RFC 3211 §2.3).
    pub key_enc: Alg<'t, 'a>,
    /// PWRI-KEK's parameter: the cipher that wraps the key (with its IV).
    pub inner: Alg<'t, 'a>,
    pub encrypted_key_len: usize,
}

/// An INTEGER's value when it is small and not negative.
pub fn small_uint(t: &Tlv<'_>) -> Option<u64> {
    if !t.is_universal(tlv::INTEGER) || t.content.is_empty() || t.content.len() > 9 {
        return None;
    }
    if t.content.first().is_some_and(|b| *b & 0x80 != 0) {
        return None;
    }
    let mut v: u64 = 0;
    for b in t.content {
        v = v.checked_mul(256)?.checked_add(u64::from(*b))?;
    }
    Some(v)
}

fn kari<'t, 'a>(ri: &'t Tlv<'a>) -> Kari<'t, 'a> {
    let version = ri.child(0).and_then(small_uint);
    let originator = match ri
        .child(1)
        .filter(|t| t.is_context(0))
        .and_then(|t| t.child(0))
    {
        Some(k) if k.is_context(1) && k.constructed => {
            let bits = k.child(1).filter(|b| b.is_universal(3));
            let octets = bits.map(Tlv::string_octets).unwrap_or_default();
            Originator::Key {
                alg: alg(k.child(0)),
                unused_bits: octets.first().copied(),
                point: octets.get(1..).unwrap_or_default().to_vec(),
            }
        }
        Some(k) if k.is_universal(tlv::SEQUENCE) || k.is_context(0) => {
            Originator::Certificate(sid(Some(k)))
        }
        _ => Originator::Unknown,
    };
    let mut i = 2usize;
    let ukm_len = match ri.child(i).filter(|t| t.is_context(1)) {
        Some(u) => {
            i += 1;
            Some(u.child(0).map_or(0, |o| o.string_octets().len()))
        }
        None => None,
    };
    let key_enc_tlv = ri.child(i);
    let key_enc = alg(key_enc_tlv);
    let wrap = alg(key_enc_tlv.and_then(|t| t.child(1)));
    let recipients = ri
        .child(i + 1)
        .map(|reks| {
            reks.children
                .iter()
                .map(|rek| {
                    let rid = match rek.child(0) {
                        // rKeyId [0] IMPLICIT SEQUENCE { subjectKeyIdentifier, .. }
                        Some(t) if t.is_context(0) && t.constructed => t
                            .child(0)
                            .filter(|k| k.is_universal(tlv::OCTET_STRING))
                            .map_or(Sid::Unknown, |k| Sid::Ski(k.content)),
                        other => sid(other),
                    };
                    (rid, rek.child(1).map_or(0, |t| t.string_octets().len()))
                })
                .collect()
        })
        .unwrap_or_default();
    Kari {
        version,
        originator,
        ukm_len,
        key_enc,
        wrap,
        recipients,
    }
}

fn pbkdf2(params: &Tlv<'_>) -> Pbkdf2 {
    let mut p = Pbkdf2 {
        salt_len: params
            .child(0)
            .filter(|t| t.is_universal(tlv::OCTET_STRING))
            .map(|t| t.string_octets().len()),
        iterations: params.child(1).and_then(small_uint),
        ..Pbkdf2::default()
    };
    for t in params.children.iter().skip(2) {
        if t.is_universal(tlv::INTEGER) {
            p.key_length = small_uint(t);
        } else if t.is_universal(tlv::SEQUENCE) {
            p.prf = t.child(0).and_then(oid_of);
        }
    }
    p
}

fn pwri<'t, 'a>(ri: &'t Tlv<'a>) -> Pwri<'t, 'a> {
    let version = ri.child(0).and_then(small_uint);
    let mut i = 1usize;
    // keyDerivationAlgorithm [0] IMPLICIT AlgorithmIdentifier: the [0]'s content is the
    // SEQUENCE's.
    let kdf = ri.child(i).filter(|t| t.is_context(0)).map(|t| Alg {
        oid: t.child(0).and_then(oid_of),
        params: t.child(1),
    });
    if kdf.is_some() {
        i += 1;
    }
    let pbkdf2 = kdf
        .as_ref()
        .filter(|k| k.is(&oid::PBKDF2))
        .and_then(|k| k.params)
        .filter(|p| p.is_universal(tlv::SEQUENCE))
        .map(pbkdf2);
    let key_enc_tlv = ri.child(i);
    Pwri {
        version,
        kdf,
        pbkdf2,
        key_enc: alg(key_enc_tlv),
        inner: alg(key_enc_tlv.and_then(|t| t.child(1))),
        encrypted_key_len: ri.child(i + 1).map_or(0, |t| t.string_octets().len()),
    }
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
                    kari: None,
                    pwri: None,
                }
            } else {
                let kind = match ri.number {
                    1 if ri.class == 2 => "kari",
                    2 if ri.class == 2 => "kekri",
                    3 if ri.class == 2 => "pwri",
                    4 if ri.class == 2 => "ori",
                    _ => "unknown",
                };
                let constructed = ri.constructed;
                Recipient {
                    kind,
                    rid: Sid::Unknown,
                    alg: alg(None),
                    encrypted_key_len: 0,
                    kari: (kind == "kari" && constructed).then(|| kari(ri)),
                    pwri: (kind == "pwri" && constructed).then(|| pwri(ri)),
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
            "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
            "1.2.840.10045.3.1.7" => "secp256r1 (P-256)",
            "1.3.132.0.34" => "secp384r1 (P-384)",
            "1.3.132.0.35" => "secp521r1 (P-521)",
            "1.3.133.16.840.63.0.2" => "dhSinglePass-stdDH-sha1kdf-scheme",
            "1.3.132.1.11.0" => "dhSinglePass-stdDH-sha224kdf-scheme",
            "1.3.132.1.11.1" => "dhSinglePass-stdDH-sha256kdf-scheme",
            "1.3.132.1.11.2" => "dhSinglePass-stdDH-sha384kdf-scheme",
            "1.3.132.1.11.3" => "dhSinglePass-stdDH-sha512kdf-scheme",
            "1.3.133.16.840.63.0.3" => "dhSinglePass-cofactorDH-sha1kdf-scheme",
            "1.3.132.1.14.0" => "dhSinglePass-cofactorDH-sha224kdf-scheme",
            "1.3.132.1.14.1" => "dhSinglePass-cofactorDH-sha256kdf-scheme",
            "1.3.132.1.14.2" => "dhSinglePass-cofactorDH-sha384kdf-scheme",
            "1.3.132.1.14.3" => "dhSinglePass-cofactorDH-sha512kdf-scheme",
            "2.16.840.1.101.3.4.1.5" => "id-aes128-wrap",
            "2.16.840.1.101.3.4.1.25" => "id-aes192-wrap",
            "2.16.840.1.101.3.4.1.45" => "id-aes256-wrap",
            "1.2.840.113549.1.9.16.3.9" => "id-alg-PWRI-KEK",
            "1.2.840.113549.1.5.12" => "PBKDF2",
            "1.2.840.113549.2.7" => "hmacWithSHA1",
            "1.2.840.113549.2.8" => "hmacWithSHA224",
            "1.2.840.113549.2.9" => "hmacWithSHA256",
            "1.2.840.113549.2.10" => "hmacWithSHA384",
            "1.2.840.113549.2.11" => "hmacWithSHA512",
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
