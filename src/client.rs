//! The client side of SCEP, sans I/O: build requests, then check and interpret replies.
//!
//! The caller owns sockets and clocks. A [`Client`] holds what GetCACert and GetCACaps told it;
//! each operation returns an [`http::Request`] to send and a
//! [`Transaction`] to keep, and [`Client::handle`] turns the reply's bytes into an [`Outcome`].
//!
//! Before anything is decrypted, a reply must be signed by one of the CA's certificates, carry
//! this transaction's ID, and echo this request's `senderNonce` as its `recipientNonce` (so a
//! forged or replayed reply never reaches the decryptor).

use alloc::string::String;
use alloc::vec::Vec;

use spki::SubjectPublicKeyInfoOwned;
use x509_cert::name::Name;

use crate::attr::{FailInfo, FailInfoText, MessageType, Nonce, TransactionId};
use crate::ca_certs::CaCertificates;
use crate::caps::{Capabilities, Negotiated, Policy};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, Decryptor, KeyTransport, SecureRandom, Signer};
use crate::envelope::{self, Limits, OpenOptions, SealOptions};
use crate::error::{Error, Structure};
use crate::http::{self, Request};
use crate::message::{
    CertRep, Crl, Csr, IssuerAndSerialNumber, IssuerAndSubject, MessageBody, PkiMessage,
};
use crate::server::{PkiRequest, RequestKind};

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The URL path of the SCEP endpoint (default [`http::DEFAULT_PATH`]).
    pub path: String,
    /// Limits for parsing replies.
    pub limits: Limits,
    /// How to read GetCACaps.
    pub policy: Policy,
    /// Key transport for requests (default RSA PKCS #1 v1.5, which every CA reads).
    pub key_transport: KeyTransport,
    /// `signingTime` to put in requests; the crate has no clock.
    pub signing_time: Option<der::DateTime>,
    /// Accept single DES and MD5 in replies (micromdm's server sends single DES). Only with
    /// the `insecure-legacy` feature.
    #[cfg(feature = "insecure-legacy")]
    pub allow_legacy: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            path: String::from(http::DEFAULT_PATH),
            limits: Limits::DEFAULT,
            policy: Policy::default(),
            key_transport: KeyTransport::RsaPkcs1v15,
            signing_time: None,
            #[cfg(feature = "insecure-legacy")]
            allow_legacy: false,
        }
    }
}

/// A SCEP client for one CA.
#[derive(Clone, Debug)]
pub struct Client {
    recipient: Certificate,
    /// The certificates a reply may be signed by: the CA's, and the recipient.
    trusted: Vec<Certificate>,
    ca_name: Name,
    caps: Capabilities,
    negotiated: Negotiated,
    provider: CryptoProvider,
    options: ClientOptions,
}

/// What a request was for, so that its reply can be understood.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Purpose {
    /// PKCSReq or RenewalReq (and the CertPolls after it): a certificate for this key.
    Enroll {
        /// The public key of the CSR.
        public_key: SubjectPublicKeyInfoOwned,
        /// The subject of the CSR.
        subject: Name,
    },
    /// GetCert.
    GetCert(IssuerAndSerialNumber),
    /// GetCRL.
    GetCrl(IssuerAndSerialNumber),
}

/// One request in flight: what must come back.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Transaction {
    transaction_id: TransactionId,
    sender_nonce: Nonce,
    message_type: MessageType,
    purpose: Purpose,
}

impl Purpose {
    /// What a PKCSReq or RenewalReq for `csr` asks for.
    fn enroll(csr: &Csr) -> Self {
        Self::Enroll {
            public_key: csr.public_key().clone(),
            subject: csr.subject().clone(),
        }
    }
}

impl Transaction {
    /// A transaction from its parts: for a caller that keeps transactions outside memory (an
    /// RA waiting for a PENDING upstream CA across restarts) and rebuilds them later.
    ///
    /// [`Client::poll`] needs only the transaction ID and the purpose; [`Client::handle`]
    /// also checks that the reply echoes `sender_nonce`, so a rebuilt transaction is for
    /// polling, not for reading the reply to the request it was stored from.
    pub fn new(
        transaction_id: TransactionId,
        sender_nonce: Nonce,
        message_type: MessageType,
        purpose: Purpose,
    ) -> Self {
        Self {
            transaction_id,
            sender_nonce,
            message_type,
            purpose,
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
    /// What the request was for.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
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
    /// A client for the CA whose GetCACert reply held `ca_certs`, encrypting requests to
    /// `recipient` (the RA or CA encryption certificate), with the capabilities from
    /// GetCACaps.
    ///
    /// Replies must be signed by one of `ca_certs` (and `recipient`).
    ///
    /// # Errors
    /// From [`Capabilities::negotiate`] when no common algorithm exists.
    pub fn new(
        recipient: Certificate,
        ca_certs: Vec<Certificate>,
        caps: Capabilities,
        provider: CryptoProvider,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let negotiated = caps.negotiate(&options.policy, &provider)?;
        // The CA's name for CertPoll: the issuing CA (a CA certificate or a self-issued one),
        // else the recipient's issuer.
        let ca_name = ca_certs
            .iter()
            .find(|c| c.is_ca())
            .or_else(|| ca_certs.iter().find(|c| c.is_self_issued()))
            .map_or_else(|| recipient.issuer().clone(), |c| c.subject().clone());
        let mut trusted = ca_certs;
        if !trusted.iter().any(|c| c.as_der() == recipient.as_der()) {
            trusted.push(recipient.clone());
        }
        Ok(Self {
            recipient,
            trusted,
            ca_name,
            caps,
            negotiated,
            provider,
            options,
        })
    }

    /// A client for the CA described by a GetCACert reply: requests are encrypted to its
    /// [encryption certificate](CaCertificates::encryption_certificate), and replies must be
    /// signed by one of its [signing certificates](CaCertificates::signing_certificates) or
    /// its [chain](CaCertificates::chain).
    ///
    /// # Errors
    /// From [`Capabilities::negotiate`].
    pub fn from_ca_certificates(
        ca: &CaCertificates,
        caps: Capabilities,
        provider: CryptoProvider,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let mut trusted: Vec<Certificate> = ca.signing_certificates().to_vec();
        for c in ca.chain() {
            if !trusted.contains(c) {
                trusted.push(c.clone());
            }
        }
        Self::new(
            ca.encryption_certificate().clone(),
            trusted,
            caps,
            provider,
            options,
        )
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
    fn renewal_body(&self, csr: &Csr) -> MessageBody {
        if self.caps.supports_renewal() {
            MessageBody::RenewalReq(csr.clone())
        } else {
            MessageBody::PkcsReq(csr.clone())
        }
    }

    fn seal_request(
        &self,
        transaction_id: TransactionId,
        body: MessageBody,
        purpose: Purpose,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(Request, Transaction), Error> {
        let sender_nonce = Nonce::random(rng)?;
        let message_type = body.message_type();
        let msg = PkiMessage {
            transaction_id,
            sender_nonce: Some(sender_nonce),
            recipient_nonce: None,
            body,
        };
        let opts = SealOptions {
            content_encryption: self.negotiated.cipher,
            key_transport: self.options.key_transport,
            signing_time: self.options.signing_time,
            #[cfg(feature = "insecure-legacy")]
            allow_legacy: self.options.allow_legacy,
            ..SealOptions::DEFAULT
        };
        let der = envelope::seal(
            &msg,
            signer,
            Some(&self.recipient),
            &opts,
            &self.provider,
            rng,
        )?;
        let request = Request::pki_operation(&self.options.path, &der, self.negotiated.use_post);
        let tx = Transaction {
            transaction_id: msg.transaction_id,
            sender_nonce,
            message_type,
            purpose,
        };
        Ok((request, tx))
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
    ) -> Result<(Request, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        let purpose = Purpose::enroll(csr);
        self.seal_request(id, MessageBody::PkcsReq(csr.clone()), purpose, signer, rng)
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
    ) -> Result<(Request, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        let purpose = Purpose::enroll(csr);
        self.seal_request(id, self.renewal_body(csr), purpose, existing, rng)
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
    ) -> Result<(Request, Transaction), Error> {
        let Purpose::Enroll { subject, .. } = &tx.purpose else {
            return Err(Error::InvalidInput);
        };
        let body = MessageBody::CertPoll(IssuerAndSubject {
            issuer: self.ca_name.clone(),
            subject: subject.clone(),
        });
        self.seal_request(
            tx.transaction_id.clone(),
            body,
            tx.purpose.clone(),
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
    ) -> Result<(Request, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        self.seal_request(
            id,
            MessageBody::GetCert(which.clone()),
            Purpose::GetCert(which),
            signer,
            rng,
        )
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
    ) -> Result<(Request, Transaction), Error> {
        let id = TransactionId::random(rng)?;
        self.seal_request(
            id,
            MessageBody::GetCrl(which.clone()),
            Purpose::GetCrl(which),
            signer,
            rng,
        )
    }

    /// Relays a request that a [`Server`](crate::server::Server) opened to this client's CA,
    /// as a registration authority does: a new pkiMessage with the request's transaction ID
    /// and content, signed by `signer` (the RA) and encrypted to this client's recipient.
    ///
    /// - PKCSReq: a PKCSReq with the same CSR, unchanged (its signature is the device's, so
    ///   its challenge password cannot be replaced; the RA's signature is what the CA can
    ///   authorise instead).
    /// - RenewalReq: a RenewalReq when the CA advertises `Renewal`, a PKCSReq otherwise, as
    ///   [`Client::renew`] does.
    /// - GetCert and GetCRL: the same IssuerAndSerialNumber.
    ///
    /// The reply is encrypted to `signer`: read it with [`Client::handle`] and the RA's key,
    /// then answer the device with [`Server::reply`](crate::server::Server::reply) and the
    /// [`Decision`](crate::server::Decision) made from the [`Outcome`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a CertPoll: it names no key, so poll the CA with
    /// [`Client::poll`] and the [`Transaction`] this method returned for the original
    /// request. Errors from [`envelope::seal`].
    pub fn relay(
        &self,
        request: &PkiRequest,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(Request, Transaction), Error> {
        let id = request.transaction_id().clone();
        let (body, purpose) = match request.kind() {
            RequestKind::Enroll(csr) => (MessageBody::PkcsReq(csr.clone()), Purpose::enroll(csr)),
            RequestKind::Renew(csr) => (self.renewal_body(csr), Purpose::enroll(csr)),
            RequestKind::GetCert(which) => (
                MessageBody::GetCert(which.clone()),
                Purpose::GetCert(which.clone()),
            ),
            RequestKind::GetCrl(which) => (
                MessageBody::GetCrl(which.clone()),
                Purpose::GetCrl(which.clone()),
            ),
            _ => return Err(Error::InvalidInput),
        };
        self.seal_request(id, body, purpose, signer, rng)
    }

    /// Checks and interprets the CertRep that answered `tx`.
    ///
    /// In order: the reply is a CertRep; it is signed by one of the CA's certificates (found in
    /// the reply or among those the client was built with); its transaction ID and
    /// `recipientNonce` match `tx`; only then is the envelope decrypted with `decryptor` (the
    /// key that signed the request). The issued certificate is picked by its public key.
    ///
    /// # Errors
    /// Any [`Error`] from parsing and verification; [`Error::SignerNotFound`] when the signer is
    /// not one of the CA's certificates; [`Error::Mismatch`] for another transaction's reply or
    /// a SUCCESS without a certificate for the requested key.
    pub fn handle(
        &self,
        tx: &Transaction,
        response: &[u8],
        decryptor: &dyn Decryptor,
        rng: &mut dyn SecureRandom,
    ) -> Result<Outcome, Error> {
        let trusted = &self.trusted;
        let opts = OpenOptions {
            limits: self.options.limits,
            extra_certificates: trusted,
            #[cfg(feature = "insecure-legacy")]
            allow_legacy: self.options.allow_legacy,
            ..OpenOptions::DEFAULT
        };
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
            CertRep::Success(certs) => match &tx.purpose {
                Purpose::Enroll { public_key, .. } => {
                    let mut chain = certs.certificates;
                    // Both sides are decoded DER: equal structures are equal encodings.
                    let pos = chain
                        .iter()
                        .position(|c| c.subject_public_key_info() == public_key)
                        .ok_or(Error::Mismatch)?;
                    let certificate = chain.remove(pos);
                    Outcome::Issued { certificate, chain }
                }
                Purpose::GetCert(_) => Outcome::Certificates(certs.certificates),
                Purpose::GetCrl(_) => Outcome::Crls(certs.crls),
            },
        })
    }
}

#[cfg(all(test, feature = "rustcrypto"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    extern crate std;

    use alloc::{format, vec};

    use super::*;
    use crate::builder;
    use crate::crypto::{DigestAlgorithm, SignatureAlgorithm};
    use crate::provider::rustcrypto::{PROVIDER, RsaKey};
    use crate::server::{Incoming, Server};

    fn data(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        std::fs::read(path).unwrap()
    }

    fn key(name: &str) -> RsaKey {
        let cert = Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap();
        RsaKey::from_pem(&data(&format!("{name}.pkcs8.pem")), cert).unwrap()
    }

    /// Opens `request` with the server of `key` (as the RA and the CA do).
    fn open(key: &RsaKey, request: &Request) -> PkiRequest {
        let server = Server::new(
            key.clone(),
            key.clone(),
            vec![key.certificate().clone()],
            Capabilities::rfc8894_server(),
            PROVIDER,
        );
        let mut rng = getrandom::SysRng;
        match server.handle(
            request.method.as_str(),
            &request.path_and_query,
            &request.body,
            &mut rng,
        ) {
            Incoming::Request(r) => *r,
            other => panic!("not opened: {other:?}"),
        }
    }

    fn client_for(key: &RsaKey, caps: Capabilities) -> Client {
        let cert = key.certificate().clone();
        Client::new(
            cert.clone(),
            vec![cert],
            caps,
            PROVIDER,
            ClientOptions::default(),
        )
        .unwrap()
    }

    struct Setup {
        ra: RsaKey,
        ca: RsaKey,
        device: RsaKey,
        csr: Csr,
    }

    fn setup() -> Setup {
        let device = key("client2048");
        let sha256 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
        let csr = builder::csr(
            device.certificate().subject(),
            device.certificate().subject_public_key_info(),
            Some("device-secret"),
            &[],
            sha256,
            &mut |m| device.sign(m),
        )
        .unwrap();
        Setup {
            ra: key("rsa2048"),
            ca: key("ra2048"),
            device,
            csr,
        }
    }

    #[test]
    fn a_built_csr_is_what_decoding_its_der_gives() {
        // builder::csr puts the Csr together from its parts instead of decoding its DER.
        let s = setup();
        let decoded = Csr::from_der(s.csr.as_der()).unwrap();
        assert_eq!(decoded, s.csr);
        assert_eq!(decoded.info_der(), s.csr.info_der());
        assert_eq!(s.csr.challenge_password().as_deref(), Some("device-secret"));
        s.csr
            .verify_signature(&PROVIDER)
            .unwrap();
    }

    #[test]
    fn relay_keeps_the_transaction_id_and_the_csr_and_signs_as_the_ra() {
        let s = setup();
        let mut rng = getrandom::SysRng;
        let to_ra = client_for(&s.ra, Capabilities::rfc8894_server());
        let (request, device_tx) = to_ra.enroll(&s.csr, &s.device, &mut rng).unwrap();
        let at_ra = open(&s.ra, &request);

        let upstream = client_for(&s.ca, Capabilities::rfc8894_server());
        let (forward, tx) = upstream.relay(&at_ra, &s.ra, &mut rng).unwrap();
        assert_eq!(tx.transaction_id(), device_tx.transaction_id());
        assert_eq!(tx.message_type(), MessageType::PkcsReq);
        assert_ne!(tx.sender_nonce(), device_tx.sender_nonce());
        assert_eq!(tx.purpose(), device_tx.purpose());

        let at_ca = open(&s.ca, &forward);
        assert_eq!(at_ca.transaction_id(), device_tx.transaction_id());
        assert_eq!(at_ca.message_type(), MessageType::PkcsReq);
        assert_eq!(at_ca.csr().unwrap().as_der(), s.csr.as_der());
        assert_eq!(at_ca.challenge_password().as_deref(), Some("device-secret"));
        assert_eq!(at_ca.signer_certificate(), s.ra.certificate());
    }

    #[test]
    fn relay_of_a_renewal_follows_the_upstream_capabilities() {
        let s = setup();
        let mut rng = getrandom::SysRng;
        let to_ra = client_for(&s.ra, Capabilities::rfc8894_server());
        let (request, _) = to_ra.renew(&s.csr, &s.device, &mut rng).unwrap();
        let at_ra = open(&s.ra, &request);
        assert_eq!(at_ra.message_type(), MessageType::RenewalReq);

        let renewal = client_for(&s.ca, Capabilities::rfc8894_server());
        let (forward, tx) = renewal.relay(&at_ra, &s.ra, &mut rng).unwrap();
        assert_eq!(tx.message_type(), MessageType::RenewalReq);
        assert_eq!(
            open(&s.ca, &forward).message_type(),
            MessageType::RenewalReq
        );

        let mut caps = Capabilities::rfc8894_server();
        caps.remove(&crate::caps::Capability::Renewal);
        let no_renewal = client_for(&s.ca, caps);
        let (forward, tx) = no_renewal.relay(&at_ra, &s.ra, &mut rng).unwrap();
        assert_eq!(tx.message_type(), MessageType::PkcsReq);
        let at_ca = open(&s.ca, &forward);
        assert_eq!(at_ca.message_type(), MessageType::PkcsReq);
        assert_eq!(at_ca.csr().unwrap().as_der(), s.csr.as_der());
    }

    #[test]
    fn relay_of_get_cert_and_get_crl_and_poll() {
        let s = setup();
        let mut rng = getrandom::SysRng;
        let to_ra = client_for(&s.ra, Capabilities::rfc8894_server());
        let upstream = client_for(&s.ca, Capabilities::rfc8894_server());
        let which = IssuerAndSerialNumber::for_certificate(s.device.certificate()).unwrap();

        let (request, device_tx) = to_ra.get_cert(which.clone(), &s.device, &mut rng).unwrap();
        let (forward, tx) = upstream
            .relay(&open(&s.ra, &request), &s.ra, &mut rng)
            .unwrap();
        assert_eq!(tx.purpose(), &Purpose::GetCert(which.clone()));
        assert_eq!(tx.transaction_id(), device_tx.transaction_id());
        let at_ca = open(&s.ca, &forward);
        assert_eq!(at_ca.kind(), &RequestKind::GetCert(which.clone()));

        let (request, _) = to_ra.get_crl(which.clone(), &s.device, &mut rng).unwrap();
        let (forward, tx) = upstream
            .relay(&open(&s.ra, &request), &s.ra, &mut rng)
            .unwrap();
        assert_eq!(tx.purpose(), &Purpose::GetCrl(which.clone()));
        assert_eq!(open(&s.ca, &forward).kind(), &RequestKind::GetCrl(which));

        // A CertPoll names no key: the RA polls with the stored transaction instead.
        let (_, enroll_tx) = to_ra.enroll(&s.csr, &s.device, &mut rng).unwrap();
        let (request, _) = to_ra.poll(&enroll_tx, &s.device, &mut rng).unwrap();
        assert!(matches!(
            upstream.relay(&open(&s.ra, &request), &s.ra, &mut rng),
            Err(Error::InvalidInput)
        ));
    }

    #[test]
    fn a_rebuilt_transaction_polls_like_the_original() {
        let s = setup();
        let mut rng = getrandom::SysRng;
        let upstream = client_for(&s.ca, Capabilities::rfc8894_server());
        let (_, tx) = upstream.enroll(&s.csr, &s.ra, &mut rng).unwrap();
        let rebuilt = Transaction::new(
            tx.transaction_id().clone(),
            *tx.sender_nonce(),
            tx.message_type(),
            tx.purpose().clone(),
        );
        assert_eq!(rebuilt, tx);
        let (poll, poll_tx) = upstream.poll(&rebuilt, &s.ra, &mut rng).unwrap();
        assert_eq!(poll_tx.transaction_id(), tx.transaction_id());
        let at_ca = open(&s.ca, &poll);
        assert_eq!(at_ca.message_type(), MessageType::CertPoll);
        assert_eq!(at_ca.transaction_id(), tx.transaction_id());
    }
}
