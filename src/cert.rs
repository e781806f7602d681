//! X.509 certificates as SCEP meets them: kept as received, parsed without the RFC 5280 limits
//! that real SCEP signers break (sscep, OpenSCEP and certmonger use 32–33-octet serial numbers).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use der::{Decode, Encode, Tagged};
use spki::{SubjectPublicKeyInfoRef, der::referenced::OwnedToRef};
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::name::Name;

use crate::asn1::ber::{self, Tag, Tlv};
use crate::asn1::cms::{CertId, SignedDataView, malformed};
use crate::error::{Error, Limit, Structure};
use crate::limits::Limits;
use crate::oid;

/// An X.509 certificate: its DER bytes and the fields SCEP needs, parsed leniently.
///
/// Real SCEP signer certificates break RFC 5280 in ways that strict parsers refuse: 32–33-octet
/// serial numbers (sscep, OpenSCEP, certmonger) and even `version` 4 (OpenSCEP). The fields
/// here are read with a tolerant structure; [`Certificate::x509`] gives x509-cert's full parse
/// where x509-cert can read the certificate.
///
/// Cloning is cheap: the parsed certificate is shared (reference-counted), so the copies that
/// messages, replies and key holders keep of the same certificate cost no allocation.
#[derive(Clone, Eq, PartialEq)]
pub struct Certificate {
    inner: Arc<Inner>,
}

#[derive(Eq, PartialEq)]
struct Inner {
    der: Vec<u8>,
    version: u32,
    /// The serial number's content octets, within `der`.
    serial: Range<usize>,
    /// The issuer `Name` as encoded, within `der`.
    issuer_der: Range<usize>,
    issuer: Name,
    subject: Name,
    spki: spki::SubjectPublicKeyInfoOwned,
    extensions: Vec<x509_cert::ext::Extension>,
    tbs: Range<usize>,
    signature_algorithm: spki::AlgorithmIdentifierOwned,
    /// The signature BIT STRING's octets (after the unused-bits octet), within `der`.
    signature: Range<usize>,
    basic_constraints_ca: bool,
    /// notBefore and notAfter in seconds since 1970, when both decode.
    validity: Option<(u64, u64)>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Certificate")
            .field("version", &i.version)
            .field("serial", &self.serial_number())
            .field("issuer", &i.issuer)
            .field("subject", &i.subject)
            .field("spki", &i.spki)
            .field("extensions", &i.extensions)
            .field("signature_algorithm", &i.signature_algorithm)
            .field("basic_constraints_ca", &i.basic_constraints_ca)
            .field("validity", &i.validity)
            .finish_non_exhaustive()
    }
}

#[derive(der::Sequence)]
struct LenientCert<'a> {
    tbs: LenientTbs<'a>,
    signature_algorithm: spki::AlgorithmIdentifierOwned,
    signature: der::asn1::BitStringRef<'a>,
}

#[derive(der::Sequence)]
struct LenientTbs<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    version: Option<u32>,
    serial_number: der::asn1::AnyRef<'a>,
    signature: der::asn1::AnyRef<'a>,
    issuer: Name,
    validity: der::asn1::AnyRef<'a>,
    subject: Name,
    subject_public_key_info: spki::SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    issuer_unique_id: Option<der::asn1::BitStringRef<'a>>,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", optional = "true")]
    subject_unique_id: Option<der::asn1::BitStringRef<'a>>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<x509_cert::ext::Extension>>,
}

impl Certificate {
    /// Parses one DER certificate (no trailing bytes).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let bad = |_| Error::Malformed(Structure::Certificate);
        let c = LenientCert::from_der(der).map_err(bad)?;
        let serial = c.tbs.serial_number;
        if serial.tag() != der::Tag::Integer || serial.value().is_empty() {
            return Err(Error::Malformed(Structure::Certificate));
        }
        let layout = Layout::of(der).ok_or(Error::Malformed(Structure::Certificate))?;
        let extensions = c.tbs.extensions.unwrap_or_default();
        let basic_constraints_ca = extensions
            .iter()
            .find(|e| e.extn_id == oid::BASIC_CONSTRAINTS)
            .and_then(|e| {
                x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
            })
            .is_some_and(|b| b.ca);
        let validity = validity_secs(c.tbs.validity);
        Ok(Self {
            inner: Arc::new(Inner {
                der: der.to_vec(),
                tbs: layout.tbs,
                serial: layout.serial,
                issuer_der: layout.issuer,
                signature: layout.signature,
                signature_algorithm: c.signature_algorithm,
                basic_constraints_ca,
                validity,
                version: c.tbs.version.unwrap_or(0),
                issuer: c.tbs.issuer,
                subject: c.tbs.subject,
                spki: c.tbs.subject_public_key_info,
                extensions,
            }),
        })
    }

    /// Parses the first `CERTIFICATE` block of a PEM document.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let (_, der) = crate::asn1::pem::decode_first(pem, "CERTIFICATE")
            .ok_or(Error::Malformed(Structure::Certificate))?;
        Self::from_der(&der)
    }

    /// Every `CERTIFICATE` block of a PEM document, in order.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)` for a block that does not parse.
    pub fn all_from_pem(pem: &[u8]) -> Result<Vec<Self>, Error> {
        crate::asn1::pem::decode_all(pem, "CERTIFICATE")
            .iter()
            .map(|d| Self::from_der(d))
            .collect()
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> alloc::string::String {
        crate::asn1::pem::encode("CERTIFICATE", &self.inner.der)
    }

    /// The DER encoding, exactly as received or built.
    pub fn as_der(&self) -> &[u8] {
        &self.inner.der
    }

    /// x509-cert's parse of the certificate (`Raw` profile: no serial-length or time checks).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)` when x509-cert cannot read it (for example an
    /// OpenSCEP certificate with `version` 4).
    pub fn x509(&self) -> Result<CertificateInner<Raw>, Error> {
        CertificateInner::<Raw>::from_der(&self.inner.der)
            .map_err(|_| Error::Malformed(Structure::Certificate))
    }

    /// Converts to x509-cert's RFC 5280 profile (fails for over-long serial numbers).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn to_rfc5280(&self) -> Result<x509_cert::Certificate, Error> {
        x509_cert::Certificate::from_der(&self.inner.der)
            .map_err(|_| Error::Malformed(Structure::Certificate))
    }

    /// The `version` field as encoded (0 = v1, 2 = v3).
    pub fn version(&self) -> u32 {
        self.inner.version
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        &self.inner.subject
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        &self.inner.issuer
    }

    /// The issuer `Name` exactly as encoded in the certificate (what an
    /// `IssuerAndSerialNumber` naming this certificate carries).
    pub(crate) fn issuer_der(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.issuer_der.clone())
            .unwrap_or(&[])
    }

    /// The serial number's INTEGER content octets.
    pub fn serial_number(&self) -> &[u8] {
        self.inner.der.get(self.inner.serial.clone()).unwrap_or(&[])
    }

    /// The subject public key.
    pub fn public_key(&self) -> SubjectPublicKeyInfoRef<'_> {
        self.inner.spki.owned_to_ref()
    }

    /// The subject public key, owned.
    pub fn subject_public_key_info(&self) -> &spki::SubjectPublicKeyInfoOwned {
        &self.inner.spki
    }

    /// The DER of the `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// [`Error::Encode`] (cannot happen for a parsed certificate).
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        self.inner.spki.to_der().map_err(|_| Error::Encode)
    }

    /// The extensions.
    pub fn extensions(&self) -> &[x509_cert::ext::Extension] {
        &self.inner.extensions
    }

    /// The DER of the `TBSCertificate`, the bytes the issuer signed.
    pub fn tbs_der(&self) -> &[u8] {
        self.inner.der.get(self.inner.tbs.clone()).unwrap_or(&[])
    }

    /// The issuer's signature algorithm.
    pub fn signature_algorithm(&self) -> &spki::AlgorithmIdentifierOwned {
        &self.inner.signature_algorithm
    }

    /// The issuer's signature.
    pub fn signature(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.signature.clone())
            .unwrap_or(&[])
    }

    /// The validity period, `(notBefore, notAfter)`, or `None` when a time does not decode
    /// (DER `UTCTime` or `GeneralizedTime` from 1970 on, RFC 5280 §4.1.2.5). Check it against
    /// the current time with `trust::check_validity`.
    pub fn validity(&self) -> Option<(UnixTime, UnixTime)> {
        let (from, to) = self.inner.validity?;
        Some((UnixTime::from_secs(from), UnixTime::from_secs(to)))
    }

    /// Whether basicConstraints says this is a CA certificate.
    pub fn is_ca(&self) -> bool {
        self.inner.basic_constraints_ca
    }

    /// Whether subject and issuer are the same name (a self-issued, typically self-signed,
    /// certificate).
    pub fn is_self_issued(&self) -> bool {
        self.subject() == self.issuer()
    }

    /// The key usage extension, if present and well-formed.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        let ext = self.extension(&oid::KEY_USAGE)?;
        KeyUsage::from_der(ext).ok()
    }

    /// The subject key identifier, if present and well-formed.
    pub fn subject_key_identifier(&self) -> Option<&[u8]> {
        let ext = self.extension(&oid::SUBJECT_KEY_IDENTIFIER)?;
        let os = <&der::asn1::OctetStringRef>::from_der(ext).ok()?;
        Some(os.as_bytes())
    }

    fn extension(&self, id: &der::asn1::ObjectIdentifier) -> Option<&[u8]> {
        self.inner
            .extensions
            .iter()
            .find(|e| &e.extn_id == id)
            .map(|e| e.extn_value.as_bytes())
    }

    /// Whether this certificate is named by `issuer` and `serial` (an `IssuerAndSerialNumber`).
    pub fn matches_issuer_serial(&self, issuer: &Name, serial: &[u8]) -> bool {
        self.issuer() == issuer && self.serial_number() == serial
    }
}

/// A point in time: whole seconds since 1970-01-01T00:00:00Z (UTC, no leap seconds), the way
/// X.509 validity is compared. The crate never reads a clock; callers pass this in (see
/// [`trust`](crate::trust)).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd, Hash)]
pub struct UnixTime(u64);

impl UnixTime {
    /// `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The time `since_epoch` after 1970-01-01T00:00:00Z (what
    /// `SystemTime::now().duration_since(UNIX_EPOCH)` gives); sub-second parts are dropped.
    pub const fn since_epoch(since_epoch: core::time::Duration) -> Self {
        Self(since_epoch.as_secs())
    }

    /// The same instant as a `der::DateTime` (UTC).
    pub fn from_date_time(t: der::DateTime) -> Self {
        Self(t.unix_duration().as_secs())
    }

    pub(crate) fn plus(self, d: core::time::Duration) -> Self {
        Self(self.0.saturating_add(d.as_secs()))
    }

    pub(crate) fn minus(self, d: core::time::Duration) -> Self {
        Self(self.0.saturating_sub(d.as_secs()))
    }
}

/// `Validity ::= SEQUENCE { notBefore Time, notAfter Time }` as seconds since 1970.
fn validity_secs(validity: der::asn1::AnyRef<'_>) -> Option<(u64, u64)> {
    use x509_cert::time::Time;
    if validity.tag() != der::Tag::Sequence {
        return None;
    }
    let mut r = der::SliceReader::new(validity.value()).ok()?;
    let from = Time::decode(&mut r).ok()?;
    let to = Time::decode(&mut r).ok()?;
    if !der::Reader::is_finished(&r) {
        return None;
    }
    Some((
        from.to_unix_duration().as_secs(),
        to.to_unix_duration().as_secs(),
    ))
}

/// Where the fields SCEP takes as raw octets sit in a DER certificate.
struct Layout {
    tbs: Range<usize>,
    serial: Range<usize>,
    issuer: Range<usize>,
    signature: Range<usize>,
}

impl Layout {
    /// Walks `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
    /// serialNumber, signature, issuer, ... }, signatureAlgorithm, signatureValue }` (already
    /// checked to be DER by the lenient parse, so every length is definite).
    fn of(der: &[u8]) -> Option<Self> {
        let mut top = ber::Reader::new(der, 3);
        let outer = top.read().ok()?;
        let mut cert = top.children(&outer).ok()?;
        let tbs_tlv = cert.read().ok()?;
        let _signature_algorithm = cert.read().ok()?;
        let signature_tlv = cert.read().ok()?;
        // Offsets: each element's start is where the previous one ended.
        let tbs_start = outer.raw.len() - outer.content.len();
        let tbs_end = tbs_start + tbs_tlv.raw.len();
        let signature_start = der.len().checked_sub(signature_tlv.raw.len())?;
        let signature_content =
            signature_start + signature_tlv.raw.len() - signature_tlv.content.len();
        let mut tbs = cert.children(&tbs_tlv).ok()?;
        let mut pos = tbs_start + tbs_tlv.raw.len() - tbs_tlv.content.len();
        let mut next = tbs.read().ok()?;
        if next.tag.class == ber::Class::ContextSpecific && next.tag.number == 0 {
            pos += next.raw.len();
            next = tbs.read().ok()?;
        }
        let serial_content = pos + next.raw.len() - next.content.len();
        let serial = serial_content..serial_content + next.content.len();
        pos += next.raw.len();
        pos += tbs.read().ok()?.raw.len();
        let issuer_tlv = tbs.read().ok()?;
        Some(Self {
            tbs: tbs_start..tbs_end,
            serial,
            issuer: pos..pos + issuer_tlv.raw.len(),
            // Skip the unused-bits octet of the BIT STRING.
            signature: signature_content + 1..der.len(),
        })
    }
}

impl TryFrom<&x509_cert::Certificate> for Certificate {
    type Error = Error;
    fn try_from(c: &x509_cert::Certificate) -> Result<Self, Error> {
        let der = c.to_der().map_err(|_| Error::Encode)?;
        Self::from_der(&der)
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates in received CMS

/// Turns a received certificate element into a [`Certificate`] (DER as is, BER normalised).
impl Certificate {
    pub(crate) fn from_tlv(tlv: &Tlv<'_>, max_depth: u8) -> Result<Self, Error> {
        match Certificate::from_der(tlv.raw) {
            Ok(c) => Ok(c),
            Err(_) => {
                let der = ber::to_der(tlv, max_depth)
                    .map_err(|_| Error::Malformed(Structure::Certificate))?;
                Certificate::from_der(&der)
            }
        }
    }
}

impl Certificate {
    /// Whether `id` (a SignerInfo's `sid`, a RecipientInfo's `rid`) names this certificate.
    pub(crate) fn is_named_by(&self, id: &CertId<'_>, max_depth: u8) -> bool {
        let cert = self;
        match id {
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

/// Appends every X.509 certificate (other CertificateChoices are skipped). A certificate
/// whose encoding is that of one of `known` is that one (shared, not parsed again): a
/// client already holds the CA and RA certificates a reply carries.
pub(crate) fn collect_certificates(
    sd: &SignedDataView<'_>,
    out: &mut Vec<Certificate>,
    limits: &Limits,
    known: &[Certificate],
) -> Result<(), Error> {
    let Some(set) = &sd.certificates else {
        return Ok(());
    };
    let f = malformed(Structure::Certificate);
    let mut r = sd.reader.children(set).map_err(&f)?;
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
                None => out.push(Certificate::from_tlv(&c, limits.max_depth)?),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    extern crate std;

    use super::*;

    fn fixture(name: &str) -> Certificate {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        Certificate::from_pem(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The octets kept as ranges of the DER are the ones x509-cert finds.
    #[test]
    fn raw_fields_match_a_full_parse() {
        for name in [
            "ra2048.cert.pem",
            "ra4096.cert.pem",
            "client2048.cert.pem",
            "rsa512.cert.pem",
            "p256.cert.pem",
        ] {
            let c = fixture(name);
            let x = c.x509().unwrap();
            assert_eq!(
                c.serial_number(),
                x.tbs_certificate().serial_number().as_bytes()
            );
            assert_eq!(
                c.issuer_der(),
                x.tbs_certificate().issuer().to_der().unwrap()
            );
            assert_eq!(c.tbs_der(), x.tbs_certificate().to_der().unwrap());
            assert_eq!(c.signature(), x.signature().raw_bytes());
            let clone = c.clone();
            assert_eq!(clone, c);
            assert!(Arc::ptr_eq(&clone.inner, &c.inner), "clones share");
        }
    }
}
