//! Typed SCEP messages (RFC 8894 §3).
//!
//! A [`PkiMessage`] is the common header (transaction ID, nonces) plus a [`MessageBody`] whose
//! variant *is* the `messageType`, so a message whose type and content disagree cannot be built.
//! [`envelope::seal`](crate::envelope::seal) turns one into bytes and
//! [`envelope::open`](crate::envelope::open) turns bytes back into one.

mod cert_rep;
mod request;

pub use cert_rep::{CertRep, CertsOnly, Crl};
pub use request::{Csr, IssuerAndSerialNumber, IssuerAndSubject};

pub(crate) use request::{assemble_csr, decode_directory_string};

use crate::attr::{MessageType, Nonce, PkiStatus, TransactionId};

/// A SCEP pkiMessage: the signed header and the (encrypted, when present) content.
///
/// ```text
/// ContentInfo { contentType id-signedData, content SignedData {
///     encapContentInfo { id-data, eContent OCTET STRING     -- the pkcsPKIEnvelope:
///         ContentInfo { id-envelopedData, EnvelopedData {   --   absent in FAILURE
///             recipientInfos, encryptedContent } } },       --   and PENDING
///     certificates [0] (the signer's certificate),
///     signerInfos { SignerInfo { signedAttrs {
///         contentType, messageDigest, [signingTime,]
///         transactionID, messageType, senderNonce, [recipientNonce,]
///         [pkiStatus, [failInfo, [failInfoText]]] } } } } }
/// ```
/// [RFC 8894 §3](https://www.rfc-editor.org/rfc/rfc8894#section-3) (the pkiMessage), [RFC 8894 §3.2](https://www.rfc-editor.org/rfc/rfc8894#section-3.2) (signed attributes).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct PkiMessage {
    /// `transactionID`: the same for a request, its polls, and their replies.
    pub transaction_id: TransactionId,
    /// `senderNonce`: fresh for every message we send. Some peers omit it in replies.
    pub sender_nonce: Option<Nonce>,
    /// `recipientNonce`: in a reply, the request's `senderNonce`.
    pub recipient_nonce: Option<Nonce>,
    /// What the message says.
    pub body: MessageBody,
}

impl PkiMessage {
    /// The `messageType` implied by the body.
    pub fn message_type(&self) -> MessageType {
        self.body.message_type()
    }
}

/// What a request pkiMessage asks for: its `messageType` and content (RFC 8894 §3.3), the one
/// request vocabulary of the crate. The client remembers the request a transaction is for
/// ([`Transaction::request`](crate::client::Transaction::request)); the server hands the
/// application the request it opened
/// ([`PkiRequest::request`](crate::server::PkiRequest::request)).
///
/// ```text
/// messageType   content (pkcsPKIEnvelope)
/// PKCSReq    19 CertificationRequest              -- RFC 2986
/// RenewalReq 17 CertificationRequest
/// CertPoll   20 IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }
/// GetCert    21 IssuerAndSerialNumber             -- RFC 5652 §10.2.4
/// GetCRL     22 IssuerAndSerialNumber
/// ```
/// [RFC 8894 §3.3](https://www.rfc-editor.org/rfc/rfc8894#section-3.3)
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Request {
    /// `PKCSReq` (19): a certification request. A server has verified the CSR's
    /// self-signature before the application sees it.
    PkcsReq(Csr),
    /// `RenewalReq` (17): a certification request signed with an existing certificate.
    RenewalReq(Csr),
    /// `CertPoll` (20, GetCertInitial in older drafts): what happened to a PENDING request?
    /// A server matches it by transaction ID (RFC 8894 §3.3.3); the IssuerAndSubject is
    /// informational.
    CertPoll(IssuerAndSubject),
    /// `GetCert` (21): a certificate by issuer and serial number.
    GetCert(IssuerAndSerialNumber),
    /// `GetCRL` (22): the CRL that covers a certificate.
    GetCrl(IssuerAndSerialNumber),
}

impl Request {
    /// The `messageType` of this request.
    pub fn message_type(&self) -> MessageType {
        match self {
            Self::PkcsReq(_) => MessageType::PkcsReq,
            Self::RenewalReq(_) => MessageType::RenewalReq,
            Self::CertPoll(_) => MessageType::CertPoll,
            Self::GetCert(_) => MessageType::GetCert,
            Self::GetCrl(_) => MessageType::GetCrl,
        }
    }

    /// The CSR of a PKCSReq or RenewalReq.
    pub fn csr(&self) -> Option<&Csr> {
        match self {
            Self::PkcsReq(c) | Self::RenewalReq(c) => Some(c),
            _ => None,
        }
    }
}

impl From<Request> for MessageBody {
    fn from(request: Request) -> Self {
        match request {
            Request::PkcsReq(c) => Self::PkcsReq(c),
            Request::RenewalReq(c) => Self::RenewalReq(c),
            Request::CertPoll(i) => Self::CertPoll(i),
            Request::GetCert(i) => Self::GetCert(i),
            Request::GetCrl(i) => Self::GetCrl(i),
        }
    }
}

impl TryFrom<MessageBody> for Request {
    type Error = CertRep;

    /// The request in `body`; a CertRep is handed back as the error.
    fn try_from(body: MessageBody) -> Result<Self, CertRep> {
        match body {
            MessageBody::PkcsReq(c) => Ok(Self::PkcsReq(c)),
            MessageBody::RenewalReq(c) => Ok(Self::RenewalReq(c)),
            MessageBody::CertPoll(i) => Ok(Self::CertPoll(i)),
            MessageBody::GetCert(i) => Ok(Self::GetCert(i)),
            MessageBody::GetCrl(i) => Ok(Self::GetCrl(i)),
            MessageBody::CertRep(r) => Err(r),
        }
    }
}

/// The content of a pkiMessage, one variant per `messageType`: what the pkcsPKIEnvelope holds.
///
/// ```text
/// messageType          pkcsPKIEnvelope content
/// PKCSReq (19)         CertificationRequest
/// RenewalReq (17)      CertificationRequest
/// CertPoll (20)        IssuerAndSubject
/// GetCert (21)         IssuerAndSerialNumber
/// GetCRL (22)          IssuerAndSerialNumber
/// CertRep (3) SUCCESS  degenerate SignedData (certificates or CRLs); FAILURE, PENDING: none
/// ```
/// [RFC 8894 §3.3](https://www.rfc-editor.org/rfc/rfc8894#section-3.3).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum MessageBody {
    /// `PKCSReq` (19): a certification request.
    PkcsReq(Csr),
    /// `RenewalReq` (17): a certification request signed with an existing certificate.
    RenewalReq(Csr),
    /// `CertPoll` (20, GetCertInitial in older drafts): asks about a PENDING request.
    CertPoll(IssuerAndSubject),
    /// `GetCert` (21): asks for a certificate by issuer and serial number.
    GetCert(IssuerAndSerialNumber),
    /// `GetCRL` (22): asks for the CRL that covers a certificate.
    GetCrl(IssuerAndSerialNumber),
    /// `CertRep` (3): the reply to any of the above.
    CertRep(CertRep),
}

impl MessageBody {
    /// The `messageType` of this body.
    pub fn message_type(&self) -> MessageType {
        match self {
            Self::PkcsReq(_) => MessageType::PkcsReq,
            Self::RenewalReq(_) => MessageType::RenewalReq,
            Self::CertPoll(_) => MessageType::CertPoll,
            Self::GetCert(_) => MessageType::GetCert,
            Self::GetCrl(_) => MessageType::GetCrl,
            Self::CertRep(_) => MessageType::CertRep,
        }
    }

    /// The `pkiStatus` of a CertRep; `None` for requests.
    pub fn pki_status(&self) -> Option<PkiStatus> {
        match self {
            Self::CertRep(r) => Some(r.status()),
            _ => None,
        }
    }

    /// Whether the message carries a pkcsPKIEnvelope (everything but FAILURE and PENDING).
    pub fn has_envelope(&self) -> bool {
        !matches!(
            self,
            Self::CertRep(CertRep::Failure { .. } | CertRep::Pending)
        )
    }
}
