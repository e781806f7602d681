//! Request payloads: PKCS #10 for PKCSReq/RenewalReq, `IssuerAndSubject` for CertPoll,
//! `IssuerAndSerialNumber` for GetCert/GetCRL.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use der::asn1::{AnyRef, BitString, SetOfVec};
use der::referenced::OwnedToRef;
use der::{Decode, Encode, Sequence, Tag, Tagged};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::Attribute;
use x509_cert::name::Name;

use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, SignatureAlgorithm};
use crate::error::{Error, Structure};
use crate::oid;

/// `IssuerAndSubject`, the CertPoll (GetCertInitial) payload ([RFC 8894 §3.3.3](https://www.rfc-editor.org/rfc/rfc8894#section-3.3.3)).
///
/// ```text
/// IssuerAndSubject ::= SEQUENCE {
///     issuer     Name,   -- the CA's name
///     subject    Name }  -- the requested subject
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerAndSubject {
    /// The issuing CA's name.
    pub issuer: Name,
    /// The subject of the pending request.
    pub subject: Name,
}

/// `IssuerAndSerialNumber` (RFC 5652 §10.2.4), the GetCert/GetCRL payload. The serial number
/// is kept as INTEGER content octets, without RFC 5280's 20-octet limit
/// ([RFC 8894 §3.3.4](https://www.rfc-editor.org/rfc/rfc8894#section-3.3.4)).
///
/// ```text
/// IssuerAndSerialNumber ::= SEQUENCE {
///     issuer Name,
///     serialNumber CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerAndSerialNumber {
    /// The certificate issuer's name.
    pub issuer: Name,
    /// The certificate serial number.
    pub serial_number: der::asn1::Int,
}

impl IssuerAndSerialNumber {
    /// Names `cert`.
    ///
    /// # Errors
    /// [`Error::Malformed`] if the certificate's serial number is not a valid INTEGER.
    pub fn for_certificate(cert: &Certificate) -> Result<Self, Error> {
        Ok(Self {
            issuer: cert.issuer().clone(),
            serial_number: der::asn1::Int::new(cert.serial_number())
                .map_err(|_| Error::Malformed(Structure::Certificate))?,
        })
    }
}

/// A PKCS #10 certification request (RFC 2986), parsed leniently: Apple clients send
/// `version` 2 where RFC 2986 wants 0, so the version is kept as a number rather than refused.
///
/// ```text
/// CertificationRequest ::= SEQUENCE {
///     certificationRequestInfo SEQUENCE {
///         version       INTEGER,
///         subject       Name,
///         subjectPKInfo SubjectPublicKeyInfo,
///         attributes    [0] Attributes }  -- challengePassword, extensionRequest
///     signatureAlgorithm AlgorithmIdentifier,
///     signature          BIT STRING }
/// ```
/// [RFC 8894 §3.3.1](https://www.rfc-editor.org/rfc/rfc8894#section-3.3.1) (PKCSReq and RenewalReq carry it).
///
/// Cloning is cheap: the parsed request is shared (reference-counted).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Csr {
    inner: Arc<CsrInner>,
}

#[derive(Debug, Eq, PartialEq)]
struct CsrInner {
    der: Vec<u8>,
    /// `CertificationRequestInfo` as received, within `der`.
    info: core::ops::Range<usize>,
    version: u32,
    subject: Name,
    public_key: SubjectPublicKeyInfoOwned,
    attributes: Vec<Attribute>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

#[derive(Sequence)]
struct CsrOuter<'a> {
    info: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

#[derive(Sequence)]
struct CsrInfo {
    version: u32,
    subject: Name,
    public_key: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    attributes: SetOfVec<Attribute>,
}

impl Csr {
    /// Parses a DER certification request.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(CertReq)`.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let bad = |_| Error::Malformed(Structure::CertReq);
        let outer = CsrOuter::from_der(der).map_err(bad)?;
        if outer.info.tag() != Tag::Sequence {
            return Err(Error::Malformed(Structure::CertReq));
        }
        // The info is the first element of the outer SEQUENCE: its octets as received are the
        // signed ones, so they are located, not re-encoded.
        let mut top = crate::asn1::ber::Reader::new(der, 2);
        let malformed = |_| Error::Malformed(Structure::CertReq);
        let outer_tlv = top.read().map_err(malformed)?;
        let info_tlv = top
            .children(&outer_tlv)
            .and_then(|mut r| r.read())
            .map_err(malformed)?;
        let start = outer_tlv.raw.len() - outer_tlv.content.len();
        let info = start..start + info_tlv.raw.len();
        let info_der = der
            .get(info.clone())
            .ok_or(Error::Malformed(Structure::CertReq))?;
        let parsed = CsrInfo::from_der(info_der).map_err(bad)?;
        Ok(Self {
            inner: Arc::new(CsrInner {
                der: der.to_vec(),
                info,
                version: parsed.version,
                subject: parsed.subject,
                public_key: parsed.public_key,
                attributes: parsed.attributes.into_vec(),
                signature_algorithm: outer.algorithm,
                signature: outer.signature,
            }),
        })
    }

    /// Parses the first `CERTIFICATE REQUEST` (or `NEW CERTIFICATE REQUEST`) PEM block.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(CertReq)`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let der = crate::asn1::pem::decode_first(pem, "CERTIFICATE REQUEST")
            .or_else(|| crate::asn1::pem::decode_first(pem, "NEW CERTIFICATE REQUEST"))
            .map(|(_, d)| d)
            .ok_or(Error::Malformed(Structure::CertReq))?;
        Self::from_der(&der)
    }

    /// Converts an x509-cert request.
    ///
    /// # Errors
    /// [`Error::Encode`] or [`Error::Malformed`].
    pub fn from_x509(req: &x509_cert::request::CertReq) -> Result<Self, Error> {
        Self::from_der(&req.to_der().map_err(|_| Error::Encode)?)
    }

    /// The DER encoding as received or built.
    pub fn as_der(&self) -> &[u8] {
        &self.inner.der
    }

    /// The DER of `CertificationRequestInfo`, the bytes the self-signature covers.
    pub fn info_der(&self) -> &[u8] {
        self.inner.der.get(self.inner.info.clone()).unwrap_or(&[])
    }

    /// The `version` field (0 per RFC 2986; Apple sends 2).
    pub fn version(&self) -> u32 {
        self.inner.version
    }

    /// The requested subject.
    pub fn subject(&self) -> &Name {
        &self.inner.subject
    }

    /// The subject public key.
    pub fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.inner.public_key
    }

    /// The request attributes.
    pub fn attributes(&self) -> &[Attribute] {
        &self.inner.attributes
    }

    /// The signature algorithm.
    pub fn signature_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.inner.signature_algorithm
    }

    /// The `challengePassword` attribute (PKCS #9), decoded from any DirectoryString form
    /// (PrintableString, UTF8String, TeletexString as Latin-1, BMPString, IA5String,
    /// UniversalString). `None` when absent or undecodable.
    pub fn challenge_password(&self) -> Option<String> {
        let attr = self
            .inner
            .attributes
            .iter()
            .find(|a| a.oid == oid::CHALLENGE_PASSWORD)?;
        let value = attr.values.iter().next()?;
        decode_directory_string(value.tag(), value.value())
    }

    /// The extensions requested with `extensionRequest`, if any.
    pub fn extension_request(&self) -> Option<x509_cert::ext::Extensions> {
        let attr = self
            .inner
            .attributes
            .iter()
            .find(|a| a.oid == oid::EXTENSION_REQUEST)?;
        let value = attr.values.iter().next()?;
        let der = value.to_der().ok()?;
        x509_cert::ext::Extensions::from_der(&der).ok()
    }

    /// Verifies the request's self-signature (proof of possession) with `provider`.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for a signature algorithm we do not know,
    /// [`Error::BadSignature`] when it does not verify.
    pub fn verify_signature(&self, provider: &CryptoProvider) -> Result<(), Error> {
        let alg = SignatureAlgorithm::from_x509(&self.inner.signature_algorithm)?;
        let sig = self.inner.signature.as_bytes().ok_or(Error::BadSignature)?;
        // A borrowed view of the decoded key: nothing is re-encoded.
        let spki = self.inner.public_key.owned_to_ref();
        provider
            .verifier
            .verify(alg, spki, self.info_der(), sig)
            .map_err(|_| Error::BadSignature)
    }
}

pub(crate) fn decode_directory_string(tag: Tag, bytes: &[u8]) -> Option<String> {
    match tag {
        Tag::PrintableString | Tag::Utf8String | Tag::Ia5String | Tag::VisibleString => {
            core::str::from_utf8(bytes).ok().map(String::from)
        }
        Tag::TeletexString => Some(bytes.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => {
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes(<[u8; 2]>::try_from(c).unwrap_or_default()));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        Tag::Application { .. } | Tag::ContextSpecific { .. } | Tag::Private { .. } => None,
        _ if tag.number().value() == 28 => {
            // UniversalString: UCS-4 big-endian.
            if !bytes.len().is_multiple_of(4) {
                return None;
            }
            bytes
                .chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_be_bytes(
                        <[u8; 4]>::try_from(c).unwrap_or_default(),
                    ))
                })
                .collect()
        }
        _ => None,
    }
}

/// Builds the DER of a PKCS #10 request from parts and a signature, for callers (client flows)
/// that sign the info themselves.
pub(crate) fn assemble_csr(
    info_der: &[u8],
    alg: SignatureAlgorithm,
    signature: &[u8],
) -> Result<Csr, Error> {
    let mut content = Vec::with_capacity(info_der.len() + signature.len() + 32);
    content.extend_from_slice(info_der);
    crate::asn1::enc::value(&mut content, &alg.to_algorithm_identifier())?;
    let bits = BitString::from_bytes(signature).map_err(|_| Error::Encode)?;
    crate::asn1::enc::value(&mut content, &bits)?;
    let mut der = Vec::with_capacity(content.len() + 4);
    crate::asn1::enc::tlv(&mut der, crate::asn1::enc::SEQUENCE, &content);
    Csr::from_der(&der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_and_teletex_challenges() {
        assert_eq!(
            decode_directory_string(Tag::BmpString, &[0, b'h', 0, b'i']).as_deref(),
            Some("hi")
        );
        assert_eq!(
            decode_directory_string(Tag::TeletexString, &[0xe9]).as_deref(),
            Some("é")
        );
        assert_eq!(decode_directory_string(Tag::BmpString, &[0]), None);
    }
}
