//! The client side of SCEP, sans I/O: build requests, then check and interpret replies.
//!
//! The caller owns sockets and clocks. A [`Client`] holds what GetCACert and GetCACaps told it;
//! each operation returns an [`HttpRequest`] to send and a
//! [`Transaction`] to keep, and [`Client::handle`] turns the reply's bytes into an [`Outcome`].
//!
//! Before anything is decrypted, a reply must be signed by one of the CA's certificates, carry
//! this transaction's ID, and echo this request's `senderNonce` as its `recipientNonce` (so a
//! forged or replayed reply never reaches the decryptor).

use alloc::string::String;
use alloc::vec::Vec;

use x509_cert::name::Name;

use crate::attr::{FailInfo, FailInfoText, MessageType, Nonce, TransactionId};
use crate::caps::{Capabilities, Negotiated, Policy};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, Decryptor, KeyTransport, SecureRandom, Signer};
use crate::envelope::{self, OpenOptions, SealOptions};
use crate::error::{Error, Structure};
use crate::http::{self, HttpRequest};
use crate::limits::Limits;
use crate::message::{
    CertRep, Crl, Csr, IssuerAndSerialNumber, IssuerAndSubject, MessageBody, PkiMessage, Request,
};
use crate::trust::{TrustedCaCertificates, UnixTime};

pub mod driver;

/// Client settings. Build them with the `with_*` methods from `ClientOptions::default()`; the
/// struct is `#[non_exhaustive]`.
///
/// ```
/// use scep::client::ClientOptions;
/// let options = ClientOptions::default().with_endpoint("http://ca.example/scep");
/// assert_eq!(options.endpoint, "http://ca.example/scep");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Where the SCEP endpoint is: its URL path (`/scep`, default [`http::DEFAULT_PATH`]) or its
    /// base URL (`http://ca.example/scep`). Every [`HttpRequest::path_and_query`] starts with
    /// it, so with a base URL it is the absolute URL to fetch.
    pub endpoint: String,
    /// Limits for parsing replies (also the largest reply accepted).
    pub limits: Limits,
    /// How to read GetCACaps, including the client's one [`Legacy`](crate::crypto::Legacy)
    /// setting ([`Policy::legacy`]), which also governs sealing requests and opening replies
    /// (micromdm's server sends single DES).
    pub policy: Policy,
    /// Key transport for requests (default RSA PKCS #1 v1.5, which every CA reads). To an RA
    /// certificate with an EC key the request goes by key agreement whatever this says.
    pub key_transport: KeyTransport,
    /// `signingTime` to put in requests; the crate has no clock.
    pub signing_time: Option<der::DateTime>,
    /// How far the `now` given to [`Client::handle`] may be off when an issued certificate's
    /// validity is checked (default [`DEFAULT_CLOCK_SKEW`](crate::trust::DEFAULT_CLOCK_SKEW),
    /// 5 minutes): a device whose clock is slow still accepts a certificate whose notBefore is
    /// the CA's "now".
    pub clock_skew: core::time::Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            endpoint: String::from(http::DEFAULT_PATH),
            limits: Limits::DEFAULT,
            policy: Policy::default(),
            key_transport: KeyTransport::RsaPkcs1v15,
            signing_time: None,
            clock_skew: crate::trust::DEFAULT_CLOCK_SKEW,
        }
    }
}

impl ClientOptions {
    /// Sets [`endpoint`](Self::endpoint): a path or a base URL.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = String::from(endpoint);
        self
    }

    /// Sets [`limits`](Self::limits).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`policy`](Self::policy).
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`key_transport`](Self::key_transport).
    #[must_use]
    pub fn with_key_transport(mut self, key_transport: KeyTransport) -> Self {
        self.key_transport = key_transport;
        self
    }

    /// Sets [`signing_time`](Self::signing_time).
    #[must_use]
    pub fn with_signing_time(mut self, signing_time: Option<der::DateTime>) -> Self {
        self.signing_time = signing_time;
        self
    }

    /// Sets [`clock_skew`](Self::clock_skew).
    #[must_use]
    pub fn with_clock_skew(mut self, clock_skew: core::time::Duration) -> Self {
        self.clock_skew = clock_skew;
        self
    }
}

/// A SCEP client for one CA.
#[derive(Clone, Debug)]
pub struct Client {
    recipient: Certificate,
    /// The certificates a reply may be signed by: the CA's, and the recipient.
    trusted: Vec<Certificate>,
    /// The certificates an issued certificate may be signed by.
    issuers: Vec<Certificate>,
    ca_name: Name,
    caps: Capabilities,
    negotiated: Negotiated,
    provider: CryptoProvider,
    options: ClientOptions,
}

/// One request in flight: what must come back.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Transaction {
    transaction_id: TransactionId,
    sender_nonce: Nonce,
    message_type: MessageType,
    request: Request,
}

impl Transaction {
    /// A transaction from its parts: for a caller that keeps transactions outside memory (an
    /// RA waiting for a PENDING upstream CA across restarts) and rebuilds them later.
    ///
    /// [`Client::poll`] needs only the transaction ID and the request; [`Client::handle`]
    /// also checks that the reply echoes `sender_nonce`, so a rebuilt transaction is for
    /// polling, not for reading the reply to the request it was stored from.
    pub fn new(
        transaction_id: TransactionId,
        sender_nonce: Nonce,
        message_type: MessageType,
        request: Request,
    ) -> Self {
        Self {
            transaction_id,
            sender_nonce,
            message_type,
            request,
        }
    }
    /// The transaction ID (the same for an enrollment and all its polls).
    pub fn transaction_id(&self) -> &TransactionId {
        &self.transaction_id
    }
    /// The `senderNonce` the reply must echo.
    pub fn sender_nonce(&self) -> &Nonce {
        &self.sender_nonce
    }
    /// The message type that was sent.
    pub fn message_type(&self) -> MessageType {
        self.message_type
    }
    /// The request the transaction is for: what was sent, or for a CertPoll the PKCSReq or
    /// RenewalReq it polls for.
    pub fn request(&self) -> &Request {
        &self.request
    }
}

/// What a CertRep said.
#[derive(Clone, Debug, Eq, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per transaction; boxing buys nothing
#[non_exhaustive]
pub enum Outcome {
    /// The certificate for the enrolled key, and the other certificates the CA sent (a chain).
    Issued {
        /// The issued certificate, found by its public key (not by position).
        certificate: Certificate,
        /// Every other certificate in the reply.
        chain: Vec<Certificate>,
    },
    /// The certificates a GetCert asked for.
    Certificates(Vec<Certificate>),
    /// The CRLs a GetCRL asked for.
    Crls(Vec<Crl>),
    /// Not decided yet: poll with [`Client::poll`] later (the timing is the caller's).
    Pending,
    /// Refused.
    Rejected {
        /// Why.
        info: FailInfo,
        /// The CA's explanation, if any (human text; do not parse it).
        text: Option<FailInfoText>,
    },
}

impl Client {
    /// A client for the CA described by its GetCACert reply, as believed
    /// ([`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify) against a trust
    /// anchor, or, as an explicit opt-out,
    /// [`CaCertificates::trust_on_first_use`](crate::ca_certs::CaCertificates::trust_on_first_use)),
    /// and its GetCACaps reply (`capabilities`, read with [`Capabilities::from_http`]), with
    /// default [`ClientOptions`] (change them with [`Client::with_options`]).
    ///
    /// Requests are encrypted to the
    /// [encryption certificate](TrustedCaCertificates::encryption_certificate); replies must be
    /// signed by one of the [signing certificates](TrustedCaCertificates::signing_certificates)
    /// (for a set trusted on first use, also the chain and the encryption certificate, as
    /// before anchors); an issued certificate must be signed by one of the
    /// [issuers](TrustedCaCertificates::issuers).
    ///
    /// # Errors
    /// From [`Capabilities::negotiate`] when no common algorithm exists.
    pub fn new(
        ca_certificates: TrustedCaCertificates,
        capabilities: Capabilities,
        provider: CryptoProvider,
    ) -> Result<Self, Error> {
        let options = ClientOptions::default();
        let negotiated = capabilities.negotiate(&options.policy, &provider)?;
        let ca = &ca_certificates;
        let recipient = ca.encryption_certificate().clone();
        let mut trusted: Vec<Certificate> = ca.signing_certificates().to_vec();
        if ca.is_first_use() && !trusted.iter().any(|c| c.as_der() == recipient.as_der()) {
            // Trusted on first use: the recipient may sign too, as before anchors.
            trusted.push(recipient.clone());
        }
        // The CA's name for CertPoll: the issuing CA, else the recipient's issuer.
        let ca_name = ca
            .ca_certificate()
            .map_or_else(|| recipient.issuer().clone(), |c| c.subject().clone());
        Ok(Self {
            recipient,
            trusted,
            issuers: ca.issuers().to_vec(),
            ca_name,
            caps: capabilities,
            negotiated,
            provider,
            options,
        })
    }

    /// Replaces the options, negotiating again with the new [`Policy`].
    ///
    /// # Errors
    /// From [`Capabilities::negotiate`].
    pub fn with_options(mut self, options: ClientOptions) -> Result<Self, Error> {
        self.negotiated = self.caps.negotiate(&options.policy, &self.provider)?;
        self.options = options;
        Ok(self)
    }

    /// The options.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The algorithms chosen from the capabilities. Configure the signer's digest to match
    /// (`RsaKey::with_signature_algorithm`).
    pub fn negotiated(&self) -> Negotiated {
        self.negotiated
    }

    /// The capabilities the client was built with.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// The certificate requests are encrypted to.
    pub fn recipient(&self) -> &Certificate {
        &self.recipient
    }

    /// RenewalReq when the CA advertises `Renewal`, else PKCSReq.
    pub(crate) fn renewal_request(&self, csr: &Csr) -> Request {
        if self.caps.supports_renewal() {
            Request::RenewalReq(csr.clone())
        } else {
            Request::PkcsReq(csr.clone())
        }
    }

    pub(crate) fn seal_request(
        &self,
        transaction_id: TransactionId,
        request: Request,
        polled: Option<&Request>,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let sender_nonce = Nonce::random(rng)?;
        let message_type = request.message_type();
        let msg = PkiMessage {
            transaction_id,
            sender_nonce: Some(sender_nonce),
            recipient_nonce: None,
            body: request.into(),
        };
        // Signed with the negotiated digest: asked of the signer when it is not its own.
        let opts = SealOptions::DEFAULT
            .with_content_encryption(self.negotiated.cipher)
            .with_key_transport(self.options.key_transport)
            .with_signing_time(self.options.signing_time)
            .with_legacy(self.options.policy.legacy)
            .with_digest(Some(self.negotiated.digest));
        let der = envelope::seal(
            &msg,
            signer,
            Some(&self.recipient),
            &opts,
            &self.provider,
            rng,
        )?;
        let http =
            HttpRequest::pki_operation(&self.options.endpoint, &der, self.negotiated.use_post);
        // The request goes back out of the message it was sealed in (no copy); a CertPoll's
        // transaction keeps the request it polls for.
        let request = match polled {
            Some(r) => r.clone(),
            None => Request::try_from(msg.body).map_err(|_| Error::InvalidInput)?,
        };
        let tx = Transaction {
            transaction_id: msg.transaction_id,
            sender_nonce,
            message_type,
            request,
        };
        Ok((http, tx))
    }

    /// PKCSReq: asks for a certificate for `csr`'s key. For a first enrollment `signer` holds
    /// the CSR's key and a self-signed certificate for it
    /// ([`builder::certificate`](crate::builder::certificate)); the challenge password goes in
    /// the CSR.
    ///
    /// # Errors
    /// From [`envelope::seal`].
    pub fn enroll(
        &self,
        csr: &Csr,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        self.seal_request(id, Request::PkcsReq(csr.clone()), None, signer, rng)
    }

    /// Renewal: a RenewalReq signed with the existing certificate when the CA advertises
    /// `Renewal`, otherwise a PKCSReq signed with it (what sscep, jscep and Apple do).
    ///
    /// # Errors
    /// From [`envelope::seal`].
    pub fn renew(
        &self,
        csr: &Csr,
        existing: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        self.seal_request(id, self.renewal_request(csr), None, existing, rng)
    }

    /// CertPoll (GetCertInitial) for a PENDING enrollment: same transaction ID, fresh nonce,
    /// signed with the same signer as the original request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `tx` is not an enrollment; from [`envelope::seal`].
    pub fn poll(
        &self,
        tx: &Transaction,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let Some(csr) = tx.request.csr() else {
            return Err(Error::InvalidInput);
        };
        let poll = Request::CertPoll(IssuerAndSubject {
            issuer: self.ca_name.clone(),
            subject: csr.subject().clone(),
        });
        self.seal_request(
            tx.transaction_id.clone(),
            poll,
            Some(&tx.request),
            signer,
            rng,
        )
    }

    /// GetCert: asks for the certificate named by issuer and serial number.
    ///
    /// # Errors
    /// From [`envelope::seal`].
    pub fn get_cert(
        &self,
        which: IssuerAndSerialNumber,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        self.seal_request(id, Request::GetCert(which), None, signer, rng)
    }

    /// GetCRL: asks for the CRL covering the certificate named by issuer and serial number.
    ///
    /// # Errors
    /// From [`envelope::seal`].
    pub fn get_crl(
        &self,
        which: IssuerAndSerialNumber,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        self.seal_request(id, Request::GetCrl(which), None, signer, rng)
    }

    /// Checks and interprets the HTTP reply to `tx`: its status, `Content-Type` (when the
    /// HTTP client gives one) and body, as [`Capabilities::from_http`] takes GetCACaps.
    ///
    /// In order: the status is 200 (anything else is [`Error::HttpStatus`], 503 included: the
    /// server asks to retry later); the content type is not a `text/...` error page
    /// ([`Error::ContentTypeMismatch`]; others are not checked, servers mislabel
    /// pkiMessages); the body is a CertRep; it is signed by one of the CA's certificates (found in
    /// the reply or among those the client was built with); its transaction ID and
    /// `recipientNonce` match `tx`; only then is the envelope decrypted with `decryptor` (the
    /// key that signed the request). The issued certificate is picked by its public key and
    /// believed only when one of the CA's certificates signed it and it is valid at `now`
    /// (within [`ClientOptions::clock_skew`]; the crate has no clock). A GetCert reply must
    /// hold the certificate asked for (issuer and serial number), signed by the CA; the
    /// outcome holds that certificate only.
    ///
    /// # Errors
    /// Any [`Error`] from parsing and verification; [`Error::SignerNotFound`] when the signer is
    /// not one of the CA's certificates; [`Error::Mismatch`] for another transaction's reply, a
    /// SUCCESS without a certificate for the requested key, or a GetCert reply without the
    /// certificate asked for; [`Error::Untrusted`] for an issued (or fetched) certificate the
    /// CA did not sign (`NotIssuedByCa`) or that is not valid at `now` (`Expired`,
    /// `NotYetValid`, `UnreadableValidity`).
    #[allow(
        clippy::too_many_arguments,
        reason = "the reply as HTTP gave it, the key, the time and randomness: all needed, none optional"
    )]
    pub fn handle(
        &self,
        tx: &Transaction,
        status: u16,
        content_type: Option<&str>,
        response: &[u8],
        decryptor: &dyn Decryptor,
        now: UnixTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<Outcome, Error> {
        self.handle_with_password(
            tx,
            status,
            content_type,
            response,
            decryptor,
            None,
            now,
            rng,
        )
    }

    /// As [`handle`](Self::handle), and a reply sealed to a password recipient (RFC 3211,
    /// RFC 8894 §3.1: a server sends one when the device's key cannot decrypt, see
    /// [`PasswordReplies`](crate::server::PasswordReplies)) is opened with `password` (the
    /// request's challenge password). A wrong password is the one [`Error::Decrypt`]. Password
    /// recipients need the `pwri` feature (default); without it such a reply is refused as
    /// [`Error::UnsupportedAlgorithm`].
    ///
    /// # Errors
    /// As [`handle`](Self::handle).
    #[allow(clippy::too_many_arguments)]
    pub fn handle_with_password(
        &self,
        tx: &Transaction,
        status: u16,
        content_type: Option<&str>,
        response: &[u8],
        decryptor: &dyn Decryptor,
        password: Option<&[u8]>,
        now: UnixTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<Outcome, Error> {
        if status != 200 {
            return Err(Error::HttpStatus(status));
        }
        if content_type.is_some_and(|t| t.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("text/")))
        {
            return Err(Error::ContentTypeMismatch);
        }
        let trusted = &self.trusted;
        let opts = OpenOptions::DEFAULT
            .with_limits(self.options.limits)
            .with_extra_certificates(trusted)
            .with_legacy(self.options.policy.legacy)
            .with_password(password.map(envelope::Password));
        let parsed = envelope::parse(response, &opts)?;
        if parsed.message_type() != MessageType::CertRep {
            return Err(Error::Mismatch);
        }
        let verified = parsed.verify(&self.provider)?;
        if !trusted
            .iter()
            .any(|c| c.as_der() == verified.signer().as_der())
        {
            return Err(Error::SignerNotFound);
        }
        let p = verified.parsed();
        if p.transaction_id() != &tx.transaction_id || p.recipient_nonce() != Some(&tx.sender_nonce)
        {
            return Err(Error::Mismatch);
        }
        let opened = verified.decrypt_reply(decryptor, &self.provider, rng)?;
        let MessageBody::CertRep(rep) = opened.message.body else {
            return Err(Error::Malformed(Structure::SignedData));
        };
        Ok(match rep {
            CertRep::Pending => Outcome::Pending,
            CertRep::Failure { info, text } => Outcome::Rejected { info, text },
            CertRep::Success(certs) => match &tx.request {
                Request::PkcsReq(csr) | Request::RenewalReq(csr) => {
                    let public_key = csr.public_key();
                    let mut chain = certs.certificates;
                    // Both sides are decoded DER: equal structures are equal encodings.
                    let pos = chain
                        .iter()
                        .position(|c| c.subject_public_key_info() == public_key)
                        .ok_or(Error::Mismatch)?;
                    let certificate = chain.remove(pos);
                    self.check_issued(&certificate)?;
                    crate::trust::check_validity(&certificate, now, self.options.clock_skew)?;
                    Outcome::Issued { certificate, chain }
                }
                Request::GetCert(which) => {
                    let wanted = certs
                        .certificates
                        .into_iter()
                        .find(|c| {
                            c.matches_issuer_serial(&which.issuer, which.serial_number.as_bytes())
                        })
                        .ok_or(Error::Mismatch)?;
                    self.check_issued(&wanted)?;
                    Outcome::Certificates(alloc::vec![wanted])
                }
                // A transaction rebuilt around a CertPoll names no key to pick by: every
                // certificate that is not one of the CA's must be issued by it and valid now.
                Request::CertPoll(_) => {
                    for c in &certs.certificates {
                        let known = self.trusted.iter().chain(&self.issuers).any(|k| k == c);
                        if !known {
                            self.check_issued(c)?;
                            crate::trust::check_validity(c, now, self.options.clock_skew)?;
                        }
                    }
                    Outcome::Certificates(certs.certificates)
                }
                Request::GetCrl(_) => Outcome::Crls(certs.crls),
            },
        })
    }
}

impl Client {
    /// Whether one of the CA's certificates signed `certificate`.
    fn check_issued(&self, certificate: &Certificate) -> Result<(), Error> {
        crate::trust::issued_by(certificate, &self.issuers, &self.provider)
            .map(|_| ())
            .ok_or(Error::Untrusted(crate::error::TrustFailure::NotIssuedByCa))
    }
}
