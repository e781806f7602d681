//! X.509 certificates as SCEP meets them: kept as received, parsed without the RFC 5280 limits
//! that real SCEP signers break (sscep, OpenSCEP and certmonger use 32–33-octet serial numbers).

use alloc::vec::Vec;

use der::{Decode, Encode, Tagged};
use spki::{SubjectPublicKeyInfoRef, der::referenced::OwnedToRef};
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::name::Name;

use crate::error::{Error, Structure};
use crate::oid;

/// An X.509 certificate: its DER bytes and the fields SCEP needs, parsed leniently.
///
/// Real SCEP signer certificates break RFC 5280 in ways that strict parsers refuse: 32–33-octet
/// serial numbers (sscep, OpenSCEP, certmonger) and even `version` 4 (OpenSCEP). The fields
/// here are read with a tolerant structure; [`Certificate::x509`] gives x509-cert's full parse
/// where x509-cert can read the certificate.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Certificate {
    der: Vec<u8>,
    version: u32,
    serial: Vec<u8>,
    issuer: Name,
    subject: Name,
    spki: spki::SubjectPublicKeyInfoOwned,
    extensions: Vec<x509_cert::ext::Extension>,
    tbs: core::ops::Range<usize>,
    signature_algorithm: spki::AlgorithmIdentifierOwned,
    signature: Vec<u8>,
    basic_constraints_ca: bool,
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
        // The TBSCertificate is the first element of the outer SEQUENCE: locate its bytes.
        let mut top = crate::ber::Reader::new(der, 2);
        let outer = top
            .read()
            .map_err(|_| Error::Malformed(Structure::Certificate))?;
        let tbs_tlv = top
            .children(&outer)
            .and_then(|mut r| r.read())
            .map_err(|_| Error::Malformed(Structure::Certificate))?;
        let start = outer.raw.len() - outer.content.len();
        let tbs_len = tbs_tlv.raw.len();
        let extensions = c.tbs.extensions.unwrap_or_default();
        let basic_constraints_ca = extensions
            .iter()
            .find(|e| e.extn_id == oid::BASIC_CONSTRAINTS)
            .and_then(|e| {
                x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
            })
            .is_some_and(|b| b.ca);
        Ok(Self {
            der: der.to_vec(),
            tbs: start..start + tbs_len,
            signature_algorithm: c.signature_algorithm,
            signature: c.signature.raw_bytes().to_vec(),
            basic_constraints_ca,
            version: c.tbs.version.unwrap_or(0),
            serial: serial.value().to_vec(),
            issuer: c.tbs.issuer,
            subject: c.tbs.subject,
            spki: c.tbs.subject_public_key_info,
            extensions,
        })
    }

    /// Parses the first `CERTIFICATE` block of a PEM document.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let (_, der) = crate::pem::decode_first(pem, "CERTIFICATE")
            .ok_or(Error::Malformed(Structure::Certificate))?;
        Self::from_der(&der)
    }

    /// Every `CERTIFICATE` block of a PEM document, in order.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)` for a block that does not parse.
    pub fn all_from_pem(pem: &[u8]) -> Result<Vec<Self>, Error> {
        crate::pem::decode_all(pem, "CERTIFICATE")
            .iter()
            .map(|d| Self::from_der(d))
            .collect()
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> alloc::string::String {
        crate::pem::encode("CERTIFICATE", &self.der)
    }

    /// The DER encoding, exactly as received or built.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// x509-cert's parse of the certificate (`Raw` profile: no serial-length or time checks).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)` when x509-cert cannot read it (for example an
    /// OpenSCEP certificate with `version` 4).
    pub fn x509(&self) -> Result<CertificateInner<Raw>, Error> {
        CertificateInner::<Raw>::from_der(&self.der)
            .map_err(|_| Error::Malformed(Structure::Certificate))
    }

    /// Converts to x509-cert's RFC 5280 profile (fails for over-long serial numbers).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn to_rfc5280(&self) -> Result<x509_cert::Certificate, Error> {
        x509_cert::Certificate::from_der(&self.der)
            .map_err(|_| Error::Malformed(Structure::Certificate))
    }

    /// The `version` field as encoded (0 = v1, 2 = v3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        &self.subject
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// The serial number's INTEGER content octets.
    pub fn serial_number(&self) -> &[u8] {
        &self.serial
    }

    /// The subject public key.
    pub fn public_key(&self) -> SubjectPublicKeyInfoRef<'_> {
        self.spki.owned_to_ref()
    }

    /// The subject public key, owned.
    pub fn subject_public_key_info(&self) -> &spki::SubjectPublicKeyInfoOwned {
        &self.spki
    }

    /// The DER of the `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// [`Error::Encode`] (cannot happen for a parsed certificate).
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        self.spki.to_der().map_err(|_| Error::Encode)
    }

    /// The extensions.
    pub fn extensions(&self) -> &[x509_cert::ext::Extension] {
        &self.extensions
    }

    /// The DER of the `TBSCertificate`, the bytes the issuer signed.
    pub fn tbs_der(&self) -> &[u8] {
        self.der.get(self.tbs.clone()).unwrap_or(&[])
    }

    /// The issuer's signature algorithm.
    pub fn signature_algorithm(&self) -> &spki::AlgorithmIdentifierOwned {
        &self.signature_algorithm
    }

    /// The issuer's signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether basicConstraints says this is a CA certificate.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints_ca
    }

    /// Checks that `issuer` issued this certificate: the issuer name matches `issuer`'s
    /// subject and the signature verifies with `issuer`'s key. (Validity periods and the
    /// rest of path validation are the caller's.)
    ///
    /// # Errors
    /// [`Error::SignerNotFound`] when the names differ, [`Error::UnsupportedAlgorithm`] for a
    /// signature algorithm we do not know, [`Error::BadSignature`].
    pub fn verify_issued_by(
        &self,
        issuer: &Certificate,
        provider: &crate::crypto::CryptoProvider,
    ) -> Result<(), Error> {
        if self.issuer() != issuer.subject() {
            return Err(Error::SignerNotFound);
        }
        let alg = crate::crypto::SignatureAlgorithm::from_x509(&self.signature_algorithm)?;
        provider
            .verifier
            .verify(alg, issuer.public_key(), self.tbs_der(), &self.signature)
            .map_err(|_| Error::BadSignature)
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
        self.extensions
            .iter()
            .find(|e| &e.extn_id == id)
            .map(|e| e.extn_value.as_bytes())
    }

    /// Whether this certificate is named by `issuer` and `serial` (an `IssuerAndSerialNumber`).
    pub fn matches_issuer_serial(&self, issuer: &Name, serial: &[u8]) -> bool {
        self.issuer() == issuer && self.serial_number() == serial
    }
}

impl TryFrom<&x509_cert::Certificate> for Certificate {
    type Error = Error;
    fn try_from(c: &x509_cert::Certificate) -> Result<Self, Error> {
        let der = c.to_der().map_err(|_| Error::Encode)?;
        Self::from_der(&der)
    }
}
