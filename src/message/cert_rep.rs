//! CertRep (RFC 8894 §3.3.2) and the degenerate certificates-only SignedData (§3.4).

use alloc::vec::Vec;

use crate::asn1::ber::{self, Reader, Tag};
use crate::asn1::cms::{SignedDataView, malformed};
use crate::asn1::enc;
use crate::attr::{FailInfo, FailInfoText, PkiStatus};
use crate::cert::Certificate;
use crate::error::{Error, Limit, Structure};
use crate::limits::Limits;
use crate::oid;

/// The reply to every SCEP request, by `pkiStatus`.
///
/// ```text
/// pkiStatus  PrintableString  -- "0" SUCCESS, "2" FAILURE, "3" PENDING
/// SUCCESS:   pkcsPKIEnvelope { SignedData (certs-only): certificates / crls }
/// FAILURE:   failInfo PrintableString, failInfoText UTF8String OPTIONAL; no envelope
/// PENDING:   no envelope
/// ```
/// [RFC 8894 §3.3.2](https://www.rfc-editor.org/rfc/rfc8894#section-3.3.2).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum CertRep {
    /// `pkiStatus` SUCCESS: the issued certificate (and possibly its chain), or the CRL.
    Success(CertsOnly),
    /// `pkiStatus` FAILURE, with the reason. Carries no envelope.
    Failure {
        /// `failInfo`.
        info: FailInfo,
        /// `failInfoText`, human-readable, optional.
        text: Option<FailInfoText>,
    },
    /// `pkiStatus` PENDING: poll again later with CertPoll. Carries no envelope.
    Pending,
}

impl CertRep {
    /// The `pkiStatus` of this reply.
    pub fn status(&self) -> PkiStatus {
        match self {
            Self::Success(_) => PkiStatus::Success,
            Self::Failure { .. } => PkiStatus::Failure,
            Self::Pending => PkiStatus::Pending,
        }
    }
}

/// A CRL, kept as DER: what a CertRep SUCCESS to GetCRL carries.
///
/// ```text
/// CertificateList ::= SEQUENCE {            -- RFC 5280 §5.1
///     tbsCertList          TBSCertList,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signatureValue       BIT STRING }
/// ```
/// [RFC 8894 §3.3.2](https://www.rfc-editor.org/rfc/rfc8894#section-3.3.2).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Crl {
    der: Vec<u8>,
}

impl Crl {
    /// Wraps and checks a DER `CertificateList`.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Crl)`.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        use der::Decode;
        x509_cert::crl::CertificateList::<x509_cert::certificate::Raw>::from_der(der)
            .map_err(|_| Error::Malformed(Structure::Crl))?;
        Ok(Self { der: der.to_vec() })
    }

    /// The DER encoding.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed CRL.
    ///
    /// # Errors
    /// [`Error::Malformed`]`(Crl)` (cannot happen for a value built by [`Crl::from_der`]).
    pub fn x509(
        &self,
    ) -> Result<x509_cert::crl::CertificateList<x509_cert::certificate::Raw>, Error> {
        use der::Decode;
        x509_cert::crl::CertificateList::from_der(&self.der)
            .map_err(|_| Error::Malformed(Structure::Crl))
    }
}

/// A degenerate certificates-only `SignedData` (RFC 8894 §3.4): no signers, no content, just
/// certificates and CRLs. SCEP uses it for CertRep SUCCESS payloads and GetCACert replies
/// ([RFC 8894 §3.4](https://www.rfc-editor.org/rfc/rfc8894#section-3.4)).
///
/// ```text
/// SignedData ::= SEQUENCE {
///     version           CMSVersion,                 -- 1
///     digestAlgorithms  DigestAlgorithmIdentifiers, -- empty
///     encapContentInfo  EncapsulatedContentInfo,    -- id-data, no eContent
///     certificates      [0] IMPLICIT CertificateSet OPTIONAL,
///     crls              [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///     signerInfos       SignerInfos }               -- empty
/// ```
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct CertsOnly {
    /// The certificates, in the order received, and encoded in this order: the issued
    /// certificate first in a CertRep (a SET in the ASN.1, but peers read the first one as
    /// theirs).
    pub certificates: Vec<Certificate>,
    /// The CRLs.
    pub crls: Vec<Crl>,
}

impl CertsOnly {
    /// Certificates only.
    pub fn from_certificates(certificates: Vec<Certificate>) -> Self {
        Self {
            certificates,
            crls: Vec::new(),
        }
    }

    /// Encodes as a `ContentInfo`: DER except that certificates and CRLs keep their order
    /// (as OpenSSL and Go write them).
    ///
    /// # Errors
    /// [`Error::Encode`].
    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        let capacity = self
            .certificates
            .iter()
            .map(|c| c.as_der().len())
            .sum::<usize>()
            + self.crls.iter().map(|c| c.as_der().len()).sum::<usize>()
            + 64;
        enc::wrap_with_capacity(enc::SEQUENCE, capacity, |ci| {
            enc::oid(ci, &oid::ID_SIGNED_DATA);
            enc::nested(ci, enc::CTX0_CONS, |x| {
                enc::nested(x, enc::SEQUENCE, |sd| {
                    enc::small_int(sd, 1);
                    enc::set_of(sd, enc::SET, Vec::new());
                    enc::nested(sd, enc::SEQUENCE, |eci| {
                        enc::oid(eci, &oid::ID_DATA);
                        Ok(())
                    })?;
                    // In the order given: the issued certificate first (see
                    // `enc::ordered_set_of_refs`).
                    if !self.certificates.is_empty() {
                        let certs: Vec<&[u8]> =
                            self.certificates.iter().map(|c| c.as_der()).collect();
                        enc::ordered_set_of_refs(sd, enc::CTX0_CONS, &certs);
                    }
                    if !self.crls.is_empty() {
                        let crls: Vec<&[u8]> = self.crls.iter().map(|c| c.as_der()).collect();
                        enc::ordered_set_of_refs(sd, enc::CTX1_CONS, &crls);
                    }
                    enc::set_of(sd, enc::SET, Vec::new());
                    Ok(())
                })
            })
        })
    }

    /// Decodes a certificates-only `ContentInfo`, DER or BER.
    ///
    /// Signers, if any, are ignored (GetNextCACert verifies them separately); content, if any,
    /// is ignored.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] before any parsing when `bytes` is larger than the limit;
    /// [`Error::Malformed`] and [`Error::LimitExceeded`] otherwise.
    pub fn from_ber(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        if bytes.len() > limits.max_message_size {
            return Err(Error::LimitExceeded(Limit::MessageSize));
        }
        let mut top = Reader::new(bytes, limits.max_depth);
        let ci = top
            .read_expect(Tag::SEQUENCE)
            .map_err(|_| Error::Malformed(Structure::CertsOnly))?;
        top.finish_lenient()?;
        let sd = crate::asn1::cms::signed_data_of(&top, &ci)?;
        let mut out = Self::default();
        crate::cert::collect_certificates(&sd, &mut out.certificates, limits, &[])?;
        collect_crls(&sd, &mut out.crls, limits)?;
        Ok(out)
    }
}

/// Appends every CRL (other RevocationInfoChoices are skipped).
pub(crate) fn collect_crls(
    sd: &SignedDataView<'_>,
    out: &mut Vec<Crl>,
    limits: &Limits,
) -> Result<(), Error> {
    let Some(set) = &sd.crls else { return Ok(()) };
    let f = malformed(Structure::Crl);
    let mut r = sd.reader.children(set).map_err(&f)?;
    let mut n = 0usize;
    while !r.is_empty() {
        let c = r.read().map_err(&f)?;
        n += 1;
        if n > limits.max_crls {
            return Err(Error::LimitExceeded(Limit::Crls));
        }
        if c.tag == Tag::SEQUENCE {
            let der = ber::to_der(&c, limits.max_depth).map_err(&f)?;
            out.push(Crl::from_der(&der)?);
        }
    }
    Ok(())
}
