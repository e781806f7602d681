//! Building X.509 certificates and PKCS #10 requests, with the signature made by a closure so
//! the key may live anywhere (software, secure element, HSM).
//!
//! A SCEP client needs two of these before its first request: a CSR for its new key, and a
//! self-signed certificate for the same key to sign the pkiMessage with (RFC 8894 §2.3). A
//! development CA needs two more: a certificate issued from a CSR, and a CRL for GetCRL.

use alloc::vec::Vec;

use der::asn1::{AnyRef, BitStringRef, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::Attribute;
use x509_cert::certificate::Version;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlNumber, CrlReason, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::time::Time;

use crate::asn1::time;
use crate::attr::is_printable;
use crate::cert::Certificate;
use crate::crypto::{CryptoError, CryptoProvider, DigestAlgorithm, SignatureAlgorithm};
use crate::error::Error;
use crate::message::{Crl, Csr};
use crate::oid;

/// A signing function: given the DER to be signed, returns the signature (the key holder
/// hashes, as [`Signer::sign`](crate::crypto::Signer::sign) does).
pub type SignFn<'a> = &'a mut dyn FnMut(&[u8]) -> Result<Vec<u8>, CryptoError>;

/// What goes into a certificate.
#[derive(Clone, Debug)]
pub struct CertificateTemplate {
    /// Serial number, unsigned big-endian; must be non-zero and at most 20 octets once encoded.
    pub serial: Vec<u8>,
    /// Subject name.
    pub subject: Name,
    /// Start of validity.
    pub not_before: der::DateTime,
    /// End of validity.
    pub not_after: der::DateTime,
    /// The subject's public key.
    pub public_key: SubjectPublicKeyInfoOwned,
    /// Whether the subject is a CA (basicConstraints CA=TRUE).
    pub is_ca: bool,
    /// The key usage extension, if any (marked critical).
    pub key_usage: Option<KeyUsage>,
    /// Further extensions (for example a subjectAltName copied from a CSR).
    pub extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: Version,
    serial_number: der::asn1::Uint,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct Validity {
    not_before: Time,
    not_after: Time,
}

#[derive(Sequence)]
struct Signed<'a> {
    tbs: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitStringRef<'a>,
}

fn extension<T: const_oid::AssociatedOid + Encode>(
    value: &T,
    _subject: &Name,
    critical: bool,
) -> Result<Extension, Error> {
    let der = value.to_der().map_err(|_| Error::Encode)?;
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(der).map_err(|_| Error::Encode)?,
    })
}

/// An unsigned big-endian integer as a DER INTEGER of at most 20 octets (RFC 5280 §4.1.2.2 for
/// serial numbers, §5.2.3 for CRL numbers); zero only when `zero_ok`.
fn positive_integer(bytes: &[u8], zero_ok: bool) -> Result<der::asn1::Uint, Error> {
    let magnitude = match bytes.iter().position(|&b| b != 0) {
        Some(i) => bytes.get(i..).unwrap_or_default(),
        None if zero_ok => &[0],
        None => return Err(Error::InvalidInput),
    };
    let encoded_len = magnitude.len() + usize::from(magnitude.first().is_some_and(|b| *b >= 0x80));
    if encoded_len > 20 {
        return Err(Error::InvalidInput);
    }
    der::asn1::Uint::new(magnitude).map_err(|_| Error::InvalidInput)
}

/// SHA-1 of the subject public key bits (RFC 5280 §4.2.1.2, method 1).
fn key_identifier(
    spki: &SubjectPublicKeyInfoOwned,
    provider: &CryptoProvider,
) -> Result<Vec<u8>, Error> {
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or(Error::InvalidInput)?;
    Ok(provider
        .digests
        .digest(DigestAlgorithm::Sha1, bits)?
        .as_bytes()
        .to_vec())
}

/// Builds and signs a v3 certificate.
///
/// With `issuer` `None` the certificate is self-signed (issuer = subject) and `sign` must use
/// the template's own key; otherwise `sign` uses the issuer's key, and the authority key
/// identifier is taken from the issuer's subject key identifier. The certificate gets
/// basicConstraints, the template's key usage, a subject key identifier, and the template's
/// extra extensions.
///
/// # Errors
/// [`Error::InvalidInput`] for a bad serial or validity, [`Error::Crypto`] from `sign`,
/// [`Error::Encode`].
pub fn certificate(
    t: &CertificateTemplate,
    issuer: Option<&Certificate>,
    sig: SignatureAlgorithm,
    sign: SignFn<'_>,
    provider: &CryptoProvider,
) -> Result<Certificate, Error> {
    let serial_number = positive_integer(&t.serial, false)?;
    if t.not_after < t.not_before {
        return Err(Error::InvalidInput);
    }
    let issuer_name = issuer.map_or_else(|| t.subject.clone(), |i| i.subject().clone());
    let mut extensions = Vec::with_capacity(4 + t.extensions.len());
    extensions.push(extension(
        &BasicConstraints {
            ca: t.is_ca,
            path_len_constraint: None,
        },
        &t.subject,
        true,
    )?);
    if let Some(ku) = t.key_usage {
        extensions.push(extension(&ku, &t.subject, true)?);
    }
    let ski = key_identifier(&t.public_key, provider)?;
    extensions.push(extension(
        &SubjectKeyIdentifier(OctetString::new(ski.clone()).map_err(|_| Error::Encode)?),
        &t.subject,
        false,
    )?);
    let aki = match issuer {
        Some(i) => i.subject_key_identifier().map(<[u8]>::to_vec),
        None => Some(ski),
    };
    if let Some(aki) = aki {
        let value = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(aki).map_err(|_| Error::Encode)?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        };
        extensions.push(extension(&value, &t.subject, false)?);
    }
    for e in &t.extensions {
        if !extensions.iter().any(|x| x.extn_id == e.extn_id) {
            extensions.push(e.clone());
        }
    }
    let tbs = Tbs {
        version: Version::V3,
        serial_number,
        signature: sig.to_algorithm_identifier(),
        issuer: issuer_name,
        validity: Validity {
            not_before: time::x509_time(t.not_before),
            not_after: time::x509_time(t.not_after),
        },
        subject: t.subject.clone(),
        subject_public_key_info: t.public_key.clone(),
        extensions,
    };
    Certificate::from_der(&signed(&tbs, sig, sign)?)
}

/// `SEQUENCE { tbs, signatureAlgorithm, signature }` around `tbs` signed by `sign`: the shape
/// of certificates and CRLs alike.
fn signed(tbs: &impl Encode, sig: SignatureAlgorithm, sign: SignFn<'_>) -> Result<Vec<u8>, Error> {
    let tbs_der = tbs.to_der().map_err(|_| Error::Encode)?;
    let signature = sign(&tbs_der)?;
    let signed = Signed {
        tbs: AnyRef::from_der(&tbs_der).map_err(|_| Error::Encode)?,
        algorithm: sig.to_algorithm_identifier(),
        signature: BitStringRef::from_bytes(&signature).map_err(|_| Error::Encode)?,
    };
    signed.to_der().map_err(|_| Error::Encode)
}

/// Builds a v3 certificate for `public_key` in which issuer and subject are `subject`, signed by
/// `sign` with the matching private key: the throw-away signer certificate a SCEP client sends
/// with its first request (RFC 8894 §2.3).
///
/// `serial` is the serial number as an unsigned big-endian integer (leading zero octets are
/// ignored); it must be non-zero and encode in at most 20 octets (RFC 5280 §4.1.2.2). The
/// certificate carries basicConstraints (critical, not a CA), keyUsage (critical,
/// digitalSignature and keyEncipherment, or keyAgreement for an EC key) and a subjectKeyIdentifier (SHA-1 of the public key,
/// RFC 5280 §4.2.1.2 method 1). Times before 2050 are encoded as UTCTime, later ones as
/// GeneralizedTime.
///
/// With the default provider's software key, `sign` is
/// `&mut |tbs| rustcrypto::sign_with_key(&key, sig, tbs)` and `public_key` is
/// `rustcrypto::public_key_info(&key)?`.
///
/// # Errors
/// - [`Error::InvalidInput`] for a zero or over-long serial, or `not_after` before `not_before`.
/// - [`Error::Crypto`] when signing fails (for example SHA-512 with a 512-bit key).
/// - [`Error::Encode`] when DER encoding fails.
#[allow(clippy::too_many_arguments)]
pub fn self_signed_certificate(
    subject: &Name,
    public_key: SubjectPublicKeyInfoOwned,
    serial: &[u8],
    not_before: der::DateTime,
    not_after: der::DateTime,
    sig: SignatureAlgorithm,
    sign: SignFn<'_>,
    provider: &CryptoProvider,
) -> Result<Certificate, Error> {
    // An EC key agrees on keys (RFC 5480 §3); an RSA key has them encrypted to it.
    let key_use = if public_key.algorithm.oid == oid::ID_EC_PUBLIC_KEY {
        KeyUsages::KeyAgreement
    } else {
        KeyUsages::KeyEncipherment
    };
    let template = CertificateTemplate {
        serial: serial.to_vec(),
        subject: subject.clone(),
        not_before,
        not_after,
        public_key,
        is_ca: false,
        key_usage: Some(KeyUsage(KeyUsages::DigitalSignature | key_use)),
        extensions: Vec::new(),
    };
    certificate(&template, None, sig, sign, provider)
}

#[derive(Sequence)]
struct CsrInfo {
    version: u8,
    subject: Name,
    public_key: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    attributes: SetOfVec<Attribute>,
}

/// Builds and signs a PKCS #10 request (RFC 2986), with a `challengePassword` (PrintableString
/// when its characters allow, UTF8String otherwise) and an `extensionRequest` when given.
///
/// # Errors
/// [`Error::Crypto`] from `sign`, [`Error::Encode`].
pub fn csr(
    subject: &Name,
    public_key: &SubjectPublicKeyInfoOwned,
    challenge: Option<&str>,
    extensions: &[Extension],
    sig: SignatureAlgorithm,
    sign: SignFn<'_>,
) -> Result<Csr, Error> {
    let mut attributes = SetOfVec::new();
    if let Some(c) = challenge {
        let value = if is_printable(c) {
            der::Any::new(der::Tag::PrintableString, c.as_bytes())
        } else {
            der::Any::new(der::Tag::Utf8String, c.as_bytes())
        }
        .map_err(|_| Error::InvalidInput)?;
        let mut values = SetOfVec::new();
        values.insert(value).map_err(|_| Error::Encode)?;
        attributes
            .insert(Attribute {
                oid: oid::CHALLENGE_PASSWORD,
                values,
            })
            .map_err(|_| Error::Encode)?;
    }
    if !extensions.is_empty() {
        let ext_der = extensions.to_vec().to_der().map_err(|_| Error::Encode)?;
        let mut values = SetOfVec::new();
        values
            .insert(der::Any::from_der(&ext_der).map_err(|_| Error::Encode)?)
            .map_err(|_| Error::Encode)?;
        attributes
            .insert(Attribute {
                oid: oid::EXTENSION_REQUEST,
                values,
            })
            .map_err(|_| Error::Encode)?;
    }
    let info = CsrInfo {
        version: 0,
        subject: subject.clone(),
        public_key: public_key.clone(),
        attributes,
    };
    let info_der = info.to_der().map_err(|_| Error::Encode)?;
    let signature = sign(&info_der)?;
    crate::message::assemble_csr(&info_der, sig, &signature)
}

/// One entry of a [`CrlTemplate`].
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RevokedCertificate {
    /// The revoked certificate's serial number, unsigned big-endian (as in
    /// [`CertificateTemplate::serial`]).
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub revocation_date: der::DateTime,
    /// Why, if said (the `reasonCode` entry extension; RFC 5280 §5.3.1 asks to leave out
    /// `unspecified` rather than state it).
    pub reason: Option<CrlReason>,
}

/// What goes into a CRL.
#[derive(Clone, Debug)]
pub struct CrlTemplate {
    /// When this CRL was issued.
    pub this_update: der::DateTime,
    /// When the next one will be issued (RFC 5280 §5.1.2.5: conforming CAs include it).
    pub next_update: Option<der::DateTime>,
    /// The CRL number, unsigned big-endian, at most 20 octets; it must grow with each CRL the CA
    /// issues (RFC 5280 §5.2.3).
    pub number: Vec<u8>,
    /// The revoked certificates, in the order given.
    pub revoked: Vec<RevokedCertificate>,
}

#[derive(Sequence)]
struct TbsCrl {
    version: Version,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    this_update: Time,
    next_update: Option<Time>,
    revoked: Option<Vec<RevokedEntry>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct RevokedEntry {
    serial: der::asn1::Uint,
    revocation_date: Time,
    extensions: Option<Vec<Extension>>,
}

/// Builds and signs a v2 CRL (RFC 5280 §5) issued by `issuer`, for answering GetCRL
/// ([`server::Decision::Crls`](crate::server::Decision::Crls)).
///
/// The CRL carries a CRL number and, when the issuer has a subject key identifier, an
/// authority key identifier. `sign` uses the issuer's key; `sig` names its algorithm. An empty
/// `revoked` list leaves `revokedCertificates` out, as RFC 5280 §5.1.2.6 requires.
///
/// # Errors
/// [`Error::InvalidInput`] for a zero or over-long serial, an over-long CRL number, or
/// `next_update` before `this_update`; [`Error::Crypto`] from `sign`; [`Error::Encode`].
pub fn crl(
    t: &CrlTemplate,
    issuer: &Certificate,
    sig: SignatureAlgorithm,
    sign: SignFn<'_>,
) -> Result<Crl, Error> {
    if t.next_update.is_some_and(|next| next < t.this_update) {
        return Err(Error::InvalidInput);
    }
    let mut revoked = Vec::with_capacity(t.revoked.len());
    for r in &t.revoked {
        let extensions = match r.reason {
            Some(reason) => Some(alloc::vec![extension(&reason, issuer.subject(), false)?]),
            None => None,
        };
        revoked.push(RevokedEntry {
            serial: positive_integer(&r.serial, false)?,
            revocation_date: time::x509_time(r.revocation_date),
            extensions,
        });
    }
    let mut extensions = Vec::with_capacity(2);
    if let Some(ski) = issuer.subject_key_identifier() {
        let value = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(ski).map_err(|_| Error::Encode)?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        };
        extensions.push(extension(&value, issuer.subject(), false)?);
    }
    let number = CrlNumber(positive_integer(&t.number, true)?);
    extensions.push(extension(&number, issuer.subject(), false)?);
    let tbs = TbsCrl {
        version: Version::V2,
        signature: sig.to_algorithm_identifier(),
        issuer: issuer.subject().clone(),
        this_update: time::x509_time(t.this_update),
        next_update: t.next_update.map(time::x509_time),
        revoked: (!revoked.is_empty()).then_some(revoked),
        extensions,
    };
    Crl::from_der(&signed(&tbs, sig, sign)?)
}
