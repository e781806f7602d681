//! [`PkiRequest`]: an authenticated, decrypted PKIOperation and what it asks for.

use alloc::string::String;

use crate::attr::{MessageType, Nonce, TransactionId};
use crate::cert::Certificate;
use crate::envelope::Opened;
use crate::message::{Csr, Request};

/// An authenticated, decrypted PKIOperation for the application to decide on.
#[derive(Clone, Debug)]
pub struct PkiRequest {
    pub(super) opened: Opened,
    pub(super) request: Request,
    pub(super) signer: Certificate,
    /// The server's CA certificate whose key verified the signer certificate.
    pub(super) signer_issuer: Option<Certificate>,
    /// The signer certificate is self-issued and its own key verifies it.
    pub(super) self_signed: bool,
    pub(super) clock_skew: core::time::Duration,
}

impl PkiRequest {
    /// What is asked for. A PKCSReq's or RenewalReq's CSR has had its self-signature verified.
    pub fn request(&self) -> &Request {
        &self.request
    }
    /// The message type.
    pub fn message_type(&self) -> MessageType {
        self.opened.message.message_type()
    }
    /// The transaction ID (polls carry the original request's).
    pub fn transaction_id(&self) -> &TransactionId {
        &self.opened.message.transaction_id
    }
    /// The request's `senderNonce`.
    pub fn sender_nonce(&self) -> Option<&Nonce> {
        self.opened.message.sender_nonce.as_ref()
    }
    /// The CSR of an enrollment or renewal.
    pub fn csr(&self) -> Option<&Csr> {
        self.request.csr()
    }
    /// The CSR's `challengePassword`, if any. Compare it with [`challenge_matches`](super::challenge_matches).
    pub fn challenge_password(&self) -> Option<String> {
        self.csr().and_then(Csr::challenge_password)
    }
    /// The certificate that signed the request (the reply is encrypted to it).
    pub fn signer_certificate(&self) -> &Certificate {
        &self.signer
    }
    /// Everything the envelope layer learnt (algorithms, all certificates, signingTime).
    pub fn opened(&self) -> &Opened {
        &self.opened
    }
}
