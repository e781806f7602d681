//! X.509 certificates as SCEP meets them: kept as received, parsed without the RFC 5280 limits
//! that real SCEP signers break (sscep, OpenSCEP and certmonger use 32–33-octet serial numbers).

use alloc::vec::Vec;

use der::{Decode, Encode};
use spki::{SubjectPublicKeyInfoRef, der::referenced::OwnedToRef};
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::name::Name;

use crate::error::{Error, Structure};
use crate::oid;

/// An X.509 certificate: its DER bytes and the parsed structure (x509-cert's `Raw` profile).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Certificate {
    der: Vec<u8>,
    parsed: CertificateInner<Raw>,
}

impl Certificate {
    /// Parses one DER certificate (no trailing bytes).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let parsed = CertificateInner::<Raw>::from_der(der)
            .map_err(|_| Error::Malformed(Structure::Certificate))?;
        Ok(Self {
            der: der.to_vec(),
            parsed,
        })
    }

    /// Parses the first `CERTIFICATE` block of a PEM document.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let (label, der) = crate::pem::decode_first(pem, "CERTIFICATE")
            .ok_or(Error::Malformed(Structure::Certificate))?;
        debug_assert_eq!(label, "CERTIFICATE");
        Self::from_der(&der)
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> alloc::string::String {
        crate::pem::encode("CERTIFICATE", &self.der)
    }

    /// The DER encoding, exactly as received or built.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub fn x509(&self) -> &CertificateInner<Raw> {
        &self.parsed
    }

    /// Converts to x509-cert's RFC 5280 profile (fails for over-long serial numbers).
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Certificate)`.
    pub fn to_rfc5280(&self) -> Result<x509_cert::Certificate, Error> {
        x509_cert::Certificate::from_der(&self.der)
            .map_err(|_| Error::Malformed(Structure::Certificate))
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        self.parsed.tbs_certificate().subject()
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        self.parsed.tbs_certificate().issuer()
    }

    /// The serial number's INTEGER content octets.
    pub fn serial_number(&self) -> &[u8] {
        self.parsed.tbs_certificate().serial_number().as_bytes()
    }

    /// The subject public key.
    pub fn public_key(&self) -> SubjectPublicKeyInfoRef<'_> {
        self.parsed
            .tbs_certificate()
            .subject_public_key_info()
            .owned_to_ref()
    }

    /// The DER of the `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// [`Error::Encode`] (cannot happen for a parsed certificate).
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        self.parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| Error::Encode)
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
        self.parsed
            .tbs_certificate()
            .extensions()?
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
