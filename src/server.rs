//! The server side of SCEP, sans I/O: turn an HTTP request into a typed [`Incoming`], let the
//! application decide, and build the reply.
//!
//! The library does everything that does not need a policy: GetCACaps and GetCACert answers,
//! opening PKIOperations with one of the RA keys (chosen by the recipient identifier, never by
//! trial), verifying the request's signature and the CSR's self-signature, and answering
//! messages that cannot be opened with a signed FAILURE carrying the right `failInfo`. Only an
//! authenticated, decrypted request of a known type reaches the application, as a
//! [`PkiRequest`]; the application answers with a [`Decision`] and [`Server::reply`] builds the
//! CertRep: fresh `senderNonce`, `recipientNonce` = the request's `senderNonce`, the request's
//! cipher mirrored, encrypted to the request's signer certificate.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::attr::{FailInfo, FailInfoText, MessageType, Nonce, TransactionId};
use crate::caps::Capabilities;
use crate::cert::Certificate;
use crate::crypto::{
    ContentEncryption, CryptoProvider, Decryptor, DigestAlgorithm, KeyTransport, Legacy,
    SecureRandom, Signer,
};
use crate::envelope::{self, OpenOptions, SealOptions, SignatureOid};
use crate::error::Error;
use crate::http::{self, HttpLimits, Operation, Response};
use crate::limits::Limits;
use crate::message::{CertRep, CertsOnly, Crl, Csr, MessageBody, PkiMessage, Request};

mod pki_request;
pub use pki_request::PkiRequest;
mod signer;
pub use signer::SignerKind;
mod password;
pub use password::PasswordReplies;
mod digest;
pub use digest::ReplyDigest;

/// Server settings. Build them with the `with_*` methods from `ServerOptions::default()`; the
/// struct is `#[non_exhaustive]`.
///
/// ```
/// use scep::limits::Limits;
/// use scep::server::ServerOptions;
/// let options = ServerOptions::default()
///     .with_limits(Limits::DEFAULT.with_max_message_size(64 * 1024));
/// assert!(options.http_limits().max_body_len >= 64 * 1024);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Limits for reading requests. [`Limits::max_message_size`] is the one size limit: the
    /// HTTP layer's limits follow from it ([`ServerOptions::http_limits`]).
    pub limits: Limits,
    /// How the reply's signature algorithm is named.
    pub signature_oid: SignatureOid,
    /// Content encryption for replies when the request's cannot be mirrored.
    pub default_cipher: ContentEncryption,
    /// Accept requests whose only recipient names another certificate (a stale CA
    /// certificate) and try the first RA key on it. Default off.
    pub allow_unmatched_recipient: bool,
    /// How far the `now` given to [`PkiRequest::signer_kind`] may be off when the signer
    /// certificate's validity is checked (default
    /// [`DEFAULT_CLOCK_SKEW`](crate::trust::DEFAULT_CLOCK_SKEW), 5 minutes).
    pub clock_skew: core::time::Duration,
    /// When a SUCCESS goes to the request's challenge password (RFC 8894 §3.1); default never.
    pub password_replies: PasswordReplies,
    /// Accept (and answer with) single DES and MD5; micromdm's `scepclient` needs it.
    pub legacy: Legacy,
    /// Seconds to put in a `Retry-After` header of every PENDING CertRep (a hint for the
    /// client's poll interval; RFC 8894 leaves the timing to the client). Default `None`.
    pub retry_after: Option<u32>,
    /// Which digest replies are signed with: the signer's own (the default) or the request's.
    pub reply_digest: ReplyDigest,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            limits: Limits::DEFAULT,
            signature_oid: SignatureOid::Combined,
            default_cipher: ContentEncryption::Aes128Cbc,
            allow_unmatched_recipient: false,
            clock_skew: crate::trust::DEFAULT_CLOCK_SKEW,
            password_replies: PasswordReplies::Never,
            legacy: Legacy::REFUSE,
            retry_after: None,
            reply_digest: ReplyDigest::Signer,
        }
    }
}

impl ServerOptions {
    fn legacy_allowed(&self) -> bool {
        self.legacy.is_allowed()
    }

    /// The HTTP layer's limits, following from [`Limits::max_message_size`]
    /// ([`HttpLimits::for_message_size`]): what an HTTP server in front should allow too.
    pub const fn http_limits(&self) -> HttpLimits {
        HttpLimits::for_message_size(self.limits.max_message_size)
    }

    /// Sets [`limits`](Self::limits).
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`signature_oid`](Self::signature_oid).
    #[must_use]
    pub const fn with_signature_oid(mut self, oid: SignatureOid) -> Self {
        self.signature_oid = oid;
        self
    }

    /// Sets [`default_cipher`](Self::default_cipher).
    #[must_use]
    pub const fn with_default_cipher(mut self, cipher: ContentEncryption) -> Self {
        self.default_cipher = cipher;
        self
    }

    /// Sets [`clock_skew`](Self::clock_skew).
    #[must_use]
    pub const fn with_clock_skew(mut self, clock_skew: core::time::Duration) -> Self {
        self.clock_skew = clock_skew;
        self
    }

    /// Sets [`allow_unmatched_recipient`](Self::allow_unmatched_recipient).
    #[must_use]
    pub const fn with_allow_unmatched_recipient(mut self, on: bool) -> Self {
        self.allow_unmatched_recipient = on;
        self
    }

    /// Sets [`legacy`](Self::legacy).
    #[must_use]
    pub const fn with_legacy(mut self, legacy: Legacy) -> Self {
        self.legacy = legacy;
        self
    }

    /// Sets [`retry_after`](Self::retry_after).
    #[must_use]
    pub const fn with_retry_after(mut self, seconds: Option<u32>) -> Self {
        self.retry_after = seconds;
        self
    }
}

/// A SCEP server (CA or RA front end).
///
/// `S` signs replies (the RA or CA key); each `D` is an RA key that clients may encrypt to
/// (several during a CA rollover). Both may be hardware key holders.
#[derive(Debug)]
pub struct Server<S, D> {
    signer: S,
    decryptor: D,
    more_decryptors: Vec<D>,
    ca_certs: Vec<Certificate>,
    caps: Capabilities,
    provider: CryptoProvider,
    options: ServerOptions,
}

/// What [`Server::handle`] made of an HTTP request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Incoming {
    /// Nothing to decide: send this reply (GetCACaps, GetCACert, or an HTTP-level error such as
    /// a PKIOperation without a message).
    Reply(Response),
    /// A PKIOperation the library refused before any decision: send `response` and log the
    /// rest. The response is a signed FAILURE when the request was read far enough to answer
    /// it, else an HTTP 400.
    Refused {
        /// What to send.
        response: Response,
        /// Why, for the operator's log; the response does not carry it. Every failure behind
        /// the choice of recipient is the one [`Error::Decrypt`], so the log is no padding
        /// oracle either.
        reason: Error,
        /// The request's message type, when it could be read.
        message_type: Option<MessageType>,
        /// The request's transaction ID, when it could be read.
        transaction_id: Option<TransactionId>,
    },
    /// GetNextCACert: the application knows whether a rollover certificate exists.
    GetNextCaCert {
        /// The `message` parameter (a CA identifier), if any.
        ca_ident: Option<String>,
    },
    /// An authenticated PKIOperation: decide, then call [`Server::reply`].
    Request(Box<PkiRequest>),
}

/// The application's answer to a [`PkiRequest`], the same shape as the client's
/// [`Outcome`](crate::client::Outcome) (an RA turns one into the other with `Decision::from`).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // one per request; boxing buys nothing
#[non_exhaustive]
pub enum Decision {
    /// SUCCESS for a PKCSReq, RenewalReq or CertPoll: the issued certificate, sent first, and
    /// the other certificates to send with it (a chain; may be empty).
    Issued {
        /// The issued certificate.
        certificate: Certificate,
        /// The certificates sent after it.
        chain: Vec<Certificate>,
    },
    /// SUCCESS for GetCert: the certificates asked for.
    Certificates(Vec<Certificate>),
    /// SUCCESS for GetCRL: the CRLs (one, usually).
    Crls(Vec<Crl>),
    /// PENDING: ask again with CertPoll.
    Pending,
    /// FAILURE.
    Rejected {
        /// Why (`failInfo`).
        info: FailInfo,
        /// An explanation for the requester (`failInfoText`), if any.
        text: Option<FailInfoText>,
    },
}

/// Compares a received challenge password with the expected one in constant time (for equal
/// lengths; the length itself is not secret-dependent).
#[must_use = "a challenge that is compared but not acted on authorises nothing"]
pub fn challenge_matches(received: &str, expected: &str) -> bool {
    let (a, b) = (received.as_bytes(), expected.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, x) in b.iter().enumerate() {
        diff |= x ^ a.get(i).copied().unwrap_or(0);
    }
    core::hint::black_box(diff) == 0
}

impl<S: Signer, D: Decryptor> Server<S, D> {
    /// A server that signs replies with `signer`, decrypts with `decryptor`, and answers
    /// GetCACert with `ca_certs` (RA certificates and the CA chain) and GetCACaps with `caps`.
    pub fn new(
        signer: S,
        decryptor: D,
        ca_certs: Vec<Certificate>,
        caps: Capabilities,
        provider: CryptoProvider,
    ) -> Self {
        Self {
            signer,
            decryptor,
            more_decryptors: Vec::new(),
            ca_certs,
            caps,
            provider,
            options: ServerOptions::default(),
        }
    }

    /// Adds another RA key (for example the next CA's during a rollover).
    pub fn add_decryptor(&mut self, d: D) {
        self.more_decryptors.push(d);
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// The options.
    pub fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// The GetCACert reply: one DER certificate (`application/x-x509-ca-cert`), or a
    /// certificates-only SignedData when there are several (`application/x-x509-ca-ra-cert`).
    ///
    /// # Errors
    /// [`Error::Encode`].
    pub fn ca_cert_response(&self) -> Result<Response, Error> {
        let (content_type, body) = crate::ca_certs::to_response(&self.ca_certs)?;
        Ok(Response::new(200, content_type, body))
    }

    /// The GetNextCACert reply announcing `new_certs` (the next CA, and RA, certificates),
    /// signed with the current signer (`application/x-x509-next-ca-cert`).
    ///
    /// # Errors
    /// From [`ca_certs::build_next_ca_cert`](crate::ca_certs::build_next_ca_cert).
    pub fn next_ca_cert_response(&self, new_certs: &[Certificate]) -> Result<Response, Error> {
        let body =
            crate::ca_certs::build_next_ca_cert(new_certs, &self.signer, &self.provider, None)?;
        Ok(Response::new(200, http::CONTENT_TYPE_NEXT_CA_CERT, body))
    }

    /// Turns an HTTP request into an [`Incoming`]. `target` is the request target (path and
    /// query, as received).
    ///
    /// For a PKIOperation this does blocking CPU work: an RSA signature verification and an
    /// RSA decryption (a few milliseconds at 2048 bits, tens at 4096), and [`Server::reply`]
    /// an RSA signature. An async server runs both off its reactor (for example in
    /// `tokio::task::spawn_blocking`); a `Server` holding `Arc<...>` key holders is cheap to
    /// share with such a task.
    pub fn handle(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Incoming {
        let req = match http::parse_request(method, target, body, &self.options.http_limits()) {
            Ok(r) => r,
            Err(e) => {
                let reply = Response::text(e.status_code(), e.as_str());
                return Incoming::Reply(if e.status_code() == 405 {
                    reply.with_header("Allow", String::from("GET, POST"))
                } else {
                    reply
                });
            }
        };
        match req.operation {
            Operation::GetCaCaps => Incoming::Reply(Response::new(
                200,
                http::CONTENT_TYPE_TEXT_PLAIN,
                self.caps.render().into_bytes(),
            )),
            Operation::GetCaCert => Incoming::Reply(
                self.ca_cert_response()
                    .unwrap_or_else(|_| Response::text(500, "cannot encode CA certificates")),
            ),
            Operation::GetNextCaCert => Incoming::GetNextCaCert {
                ca_ident: req.ca_ident,
            },
            Operation::PkiOperation => match req.message {
                Some(m) => self.pki_operation(&m, rng),
                None => Incoming::Reply(Response::text(400, "missing message")),
            },
        }
    }

    fn open_options(&self) -> OpenOptions<'_> {
        OpenOptions::DEFAULT
            .with_limits(self.options.limits)
            .with_allow_unmatched_recipient(self.options.allow_unmatched_recipient)
            .with_legacy(self.options.legacy)
    }

    /// Opens a PKIOperation body (DER or BER pkiMessage).
    pub fn pki_operation(&self, der: &[u8], rng: &mut dyn SecureRandom) -> Incoming {
        let opts = self.open_options();
        let parsed = match envelope::parse(der, &opts) {
            Ok(p) => p,
            // Nothing to echo (no transaction ID or nonce we can trust the shape of).
            Err(e) => {
                return Incoming::Refused {
                    response: Response::text(400, error_text(e)),
                    reason: e,
                    message_type: None,
                    transaction_id: None,
                };
            }
        };
        let message_type = parsed.message_type();
        let transaction_id = parsed.transaction_id().clone();
        if message_type == MessageType::CertRep {
            return Incoming::Refused {
                response: Response::text(400, "a CertRep is not a request"),
                reason: Error::InvalidAttribute(crate::error::Attribute::MessageType),
                message_type: Some(message_type),
                transaction_id: Some(transaction_id),
            };
        }
        let sender_nonce = parsed.sender_nonce().copied();
        let fail = |e: Error, rng: &mut dyn SecureRandom| Incoming::Refused {
            response: self.failure(transaction_id.clone(), sender_nonce, e.fail_info(), rng),
            reason: e,
            message_type: Some(message_type),
            transaction_id: Some(transaction_id.clone()),
        };
        let verified = match parsed.verify(&self.provider) {
            Ok(v) => v,
            Err(e) => return fail(e, rng),
        };
        // The RA key the client encrypted to is chosen by recipient identifier.
        let mut keys: Vec<&dyn Decryptor> = Vec::with_capacity(1 + self.more_decryptors.len());
        keys.push(&self.decryptor);
        keys.extend(self.more_decryptors.iter().map(|d| d as &dyn Decryptor));
        let opened = match verified.decrypt_with_any(&keys, &self.provider, rng) {
            Ok(o) => o,
            Err(e) => return fail(e, rng),
        };
        let Some(signer) = opened.signer.clone() else {
            return fail(Error::SignerNotFound, rng);
        };
        let request = match &opened.message.body {
            MessageBody::PkcsReq(csr) | MessageBody::RenewalReq(csr) => {
                // The CSR's key arrived in the message: bound it before any work with it.
                if let Err(e) = check_key_size(csr, &self.options.limits)
                    .and_then(|()| csr.verify_signature_with(&self.provider, self.options.legacy))
                {
                    return fail(e, rng);
                }
                if matches!(opened.message.body, MessageBody::PkcsReq(_)) {
                    Request::PkcsReq(csr.clone())
                } else {
                    Request::RenewalReq(csr.clone())
                }
            }
            MessageBody::CertPoll(ias) => Request::CertPoll(ias.clone()),
            MessageBody::GetCert(i) => Request::GetCert(i.clone()),
            MessageBody::GetCrl(i) => Request::GetCrl(i.clone()),
            _ => {
                return fail(
                    Error::InvalidAttribute(crate::error::Attribute::MessageType),
                    rng,
                );
            }
        };
        // Only a CA certificate (not an RA certificate of the GetCACert set) issues. MD5
        // signatures count only with the run-time legacy opt-in, as in CMS.
        let legacy = self.options.legacy;
        let signer_issuer = self
            .ca_certs
            .iter()
            .filter(|c| c.is_ca() || c.is_self_issued())
            .find(|ca| {
                signer
                    .verify_issued_by_with(ca, &self.provider, legacy)
                    .is_ok()
            })
            .cloned();
        let self_signed = signer_issuer.is_none()
            && signer.is_self_issued()
            && signer
                .verify_issued_by_with(&signer, &self.provider, legacy)
                .is_ok();
        Incoming::Request(Box::new(PkiRequest {
            opened,
            request,
            signer,
            signer_issuer,
            self_signed,
            clock_skew: self.options.clock_skew,
        }))
    }

    /// A signed FAILURE reply (no envelope).
    fn failure(
        &self,
        transaction_id: TransactionId,
        recipient_nonce: Option<Nonce>,
        info: FailInfo,
        rng: &mut dyn SecureRandom,
    ) -> Response {
        let body = MessageBody::CertRep(CertRep::Failure { info, text: None });
        let to = (None, None);
        self.cert_rep(
            transaction_id,
            recipient_nonce,
            body,
            None,
            None,
            to,
            None,
            rng,
        )
        .unwrap_or_else(|e| Response::text(500, error_text(e)))
    }

    #[allow(clippy::too_many_arguments)]
    fn cert_rep(
        &self,
        transaction_id: TransactionId,
        recipient_nonce: Option<Nonce>,
        body: MessageBody,
        recipient: Option<&Certificate>,
        cipher: Option<ContentEncryption>,
        (key_transport, password): (Option<KeyTransport>, Option<&[u8]>),
        digest: Option<DigestAlgorithm>,
        rng: &mut dyn SecureRandom,
    ) -> Result<Response, Error> {
        let msg = PkiMessage {
            transaction_id,
            sender_nonce: Some(Nonce::random(rng)?),
            recipient_nonce,
            body,
        };
        let mut cipher = cipher.unwrap_or(self.options.default_cipher);
        if cipher.is_legacy() && !self.options.legacy_allowed() {
            cipher = self.options.default_cipher;
        }
        let opts = SealOptions::DEFAULT
            .with_content_encryption(cipher)
            .with_key_transport(password::key_transport(password.is_some(), key_transport))
            .with_password(password.map(envelope::Password))
            .with_signature_oid(self.options.signature_oid)
            .with_digest(digest)
            .with_legacy(self.options.legacy);
        let der = envelope::seal(&msg, &self.signer, recipient, &opts, &self.provider, rng)?;
        Ok(Response::new(200, http::CONTENT_TYPE_PKI_MESSAGE, der))
    }

    /// Builds the CertRep answering `request`: fresh `senderNonce`, the request's
    /// `senderNonce` as `recipientNonce`, the same transaction ID, encrypted (for SUCCESS) to
    /// the request's signer certificate with the request's cipher and key transport, and signed
    /// with the digest [`ServerOptions::reply_digest`] says (the signer's own by default, or the
    /// request's).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a decision that does not fit the request (certificates for
    /// a GetCRL); errors from [`envelope::seal`] (with [`ReplyDigest::Request`],
    /// [`Error::UnsupportedAlgorithm`] when the signer cannot sign with the request's digest).
    pub fn reply(
        &self,
        request: &PkiRequest,
        decision: Decision,
        rng: &mut dyn SecureRandom,
    ) -> Result<Response, Error> {
        let rep = match (decision, &request.request) {
            (
                Decision::Issued { certificate, chain },
                Request::PkcsReq(_) | Request::RenewalReq(_) | Request::CertPoll(_),
            ) => {
                let mut certs = Vec::with_capacity(1 + chain.len());
                certs.push(certificate);
                certs.extend(chain);
                CertRep::Success(CertsOnly::from_certificates(certs))
            }
            (Decision::Certificates(certs), Request::GetCert(_)) => {
                CertRep::Success(CertsOnly::from_certificates(certs))
            }
            (Decision::Crls(crls), Request::GetCrl(_)) => CertRep::Success(CertsOnly {
                certificates: Vec::new(),
                crls,
            }),
            (Decision::Pending, _) => CertRep::Pending,
            (Decision::Rejected { info, text }, _) => CertRep::Failure { info, text },
            _ => return Err(Error::InvalidInput),
        };
        let pending = matches!(rep, CertRep::Pending);
        let challenge = password::for_reply(&self.options, &rep, request, &self.provider);
        let o = &request.opened;
        let response = self.cert_rep(
            o.message.transaction_id.clone(),
            o.message.sender_nonce,
            MessageBody::CertRep(rep),
            Some(&request.signer),
            o.content_encryption,
            (o.key_transport, challenge.as_ref().map(|c| c.as_bytes())),
            digest::for_reply(&self.options, o.digest),
            rng,
        )?;
        Ok(match self.options.retry_after {
            Some(seconds) if pending => {
                response.with_header("Retry-After", alloc::format!("{seconds}"))
            }
            _ => response,
        })
    }
}

/// [`Limits::max_rsa_bits`] for the public key of a received CSR.
fn check_key_size(csr: &Csr, limits: &Limits) -> Result<(), Error> {
    use spki::der::referenced::OwnedToRef;
    let bits = crate::crypto::rsa_modulus_bits(&csr.public_key().owned_to_ref())?;
    if bits > limits.max_rsa_bits {
        return Err(Error::LimitExceeded(crate::error::Limit::RsaModulus));
    }
    Ok(())
}

fn error_text(e: Error) -> &'static str {
    match e {
        Error::LimitExceeded(_) => "message exceeds a limit",
        Error::InvalidAttribute(crate::error::Attribute::MessageType) => "unknown message type",
        Error::LegacyAlgorithm | Error::UnsupportedAlgorithm(_) => "unsupported algorithm",
        _ => "malformed pkiMessage",
    }
}
