//! A whole enrollment in one call ("enroll and wait"): GetCACaps, GetCACert, PKCSReq, then
//! CertPoll while the CA answers PENDING, retrying a request the server answers with HTTP 503.
//!
//! The crate still does no I/O: the caller passes a [`Transport`] (send an HTTP request, get the
//! status, content type and body back) and a sleep function, so the driver runs in firmware
//! (`no_std`) as well as on a server. The timing (poll interval, how many polls, how many 503
//! retries) is the caller's, in [`EnrollOptions`].
//!
//! ```
//! use core::time::Duration;
//! use scep::builder;
//! use scep::caps::Capabilities;
//! use scep::client::driver::{self, EnrollOptions, HttpReply, Transport};
//! use scep::crypto::{DigestAlgorithm, SecureRandom, SignatureAlgorithm, Signer};
//! use scep::http::HttpRequest;
//! use scep::provider::rustcrypto::{PROVIDER, RsaKey};
//! use scep::server::{Decision, Incoming, Server};
//! use scep::trust::{TrustAnchor, UnixTime};
//! use scep::Certificate;
//! # let pem = |name: &str| std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
//!
//! // The transport: here our own server, in memory, which issues `issued`.
//! struct InMemory { server: Server<RsaKey, RsaKey>, issued: Certificate }
//! impl Transport for InMemory {
//!     type Error = core::convert::Infallible;
//!     fn send(&mut self, r: &HttpRequest) -> Result<HttpReply, Self::Error> {
//!         let mut rng = getrandom::SysRng;
//!         let reply = match self.server.handle(r.method.as_str(), &r.path_and_query, &r.body, &mut rng) {
//!             Incoming::Reply(reply) | Incoming::Refused { response: reply, .. } => reply,
//!             Incoming::Request(req) => {
//!                 let issued = Decision::Issued { certificate: self.issued.clone(), chain: vec![] };
//!                 self.server.reply(&req, issued, &mut rng).unwrap()
//!             }
//!             _ => unreachable!(),
//!         };
//!         Ok(HttpReply { status: reply.status, content_type: Some(reply.content_type.into()), body: reply.body })
//!     }
//! }
//!
//! let ca_cert = Certificate::from_pem(&pem("ra2048.cert.pem"))?;
//! let ca = RsaKey::from_pem(&pem("ra2048.pkcs8.pem"), ca_cert.clone())?;
//! let device = RsaKey::from_pem(&pem("client2048.pkcs8.pem"),
//!                               Certificate::from_pem(&pem("client2048.cert.pem"))?)?;
//! let sha256 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
//! let csr = builder::csr(device.certificate().subject(), device.certificate().subject_public_key_info(),
//!                        Some("s3cret"), &[], sha256, &mut |m| device.sign(m))?;
//! let template = builder::CertificateTemplate {
//!     serial: vec![0x42], subject: csr.subject().clone(),
//!     not_before: der::DateTime::new(2026, 1, 1, 0, 0, 0)?,
//!     not_after: der::DateTime::new(2027, 1, 1, 0, 0, 0)?,
//!     public_key: csr.public_key().clone(), is_ca: false, key_usage: None, extensions: vec![],
//! };
//! let issued = builder::certificate(&template, Some(&ca_cert), sha256, &mut |m| ca.sign(m), &PROVIDER)?;
//! let server = Server::new(ca.clone(), ca, vec![ca_cert.clone()], Capabilities::rfc8894_server(), PROVIDER);
//! let mut transport = InMemory { server, issued: issued.clone() };
//!
//! // The GetCACert reply is believed as far as it chains to the CA certificate we were given.
//! let options = EnrollOptions::default()
//!     .with_poll_interval(Duration::from_secs(60))
//!     .with_anchor(TrustAnchor::Certificate(ca_cert));
//! // The device's clock (here a fixed time inside the certificate's validity).
//! let mut now = || UnixTime::from_secs(1_790_000_000);
//! let enrolled = driver::enroll(&mut transport, &mut |d| std::thread::sleep(d), &mut now, &csr,
//!                               &device, PROVIDER, &options, &mut getrandom::SysRng)?;
//! assert_eq!(enrolled.certificate, issued);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::{Client, ClientOptions, Outcome, Transaction};
use crate::attr::{FailInfo, FailInfoText};
use crate::ca_certs::CaCertificates;
use crate::caps::{Capabilities, Capability};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, Decryptor, SecureRandom, Signer};
use crate::error::{Error, TrustFailure};
use crate::http::HttpRequest;
use crate::message::Csr;
use crate::trust::{TrustAnchor, TrustedCaCertificates, UnixTime};

/// An HTTP reply as the driver needs it.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if the reply had one.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends one HTTP request to the SCEP server. `request.path_and_query` starts with
/// [`ClientOptions::endpoint`]: a path (the transport knows the host) or an absolute URL.
pub trait Transport {
    /// What a failed exchange (no reply at all) reports.
    type Error;

    /// Sends `request` (method, target, `Content-Type`, body) and returns the reply.
    ///
    /// # Errors
    /// When no reply arrived; an HTTP error status is a reply, not an error.
    fn send(&mut self, request: &HttpRequest) -> Result<HttpReply, Self::Error>;
}

/// The caller's timing for [`enroll`]. Build it with the `with_*` methods from
/// `EnrollOptions::default()`; the struct is `#[non_exhaustive]`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EnrollOptions {
    /// The client's settings (endpoint, policy, limits, signingTime).
    pub client: ClientOptions,
    /// How long to wait between CertPolls while the CA answers PENDING (default 5 minutes).
    pub poll_interval: Duration,
    /// How many CertPolls to send before giving up (default 12).
    pub max_polls: u32,
    /// How long to wait before sending a request again that the server answered with HTTP 503
    /// (default 10 seconds).
    pub retry_interval: Duration,
    /// How many times to send one request again after HTTP 503 (default 3).
    pub max_retries: u32,
    /// What the GetCACert reply is verified against
    /// ([`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify)): the CA
    /// certificate or its SHA-256 fingerprint. Without one, [`enroll`] refuses to run unless
    /// [`trust_on_first_use`](Self::trust_on_first_use) is set.
    pub anchor: Option<TrustAnchor>,
    /// Believe the GetCACert reply as it is when no anchor is given
    /// ([`CaCertificates::trust_on_first_use`](crate::ca_certs::CaCertificates::trust_on_first_use)):
    /// the explicit opt-out, default off.
    pub trust_on_first_use: bool,
    /// Renew rather than enroll ([`Client::renew`]): a RenewalReq when the CA advertises
    /// `Renewal`, else a PKCSReq, signed by the key's existing certificate (the key holder
    /// passed to [`enroll`] then carries that certificate). Default off.
    pub renewal: bool,
    /// Send PKIOperation with GET even when the CA offers POST: `POSTPKIOperation` and
    /// `SCEPStandard` in its GetCACaps reply are treated as not advertised (RFC 8894 §3.5.2;
    /// for a server whose POST handling is broken). Default off.
    pub force_get: bool,
}

impl Default for EnrollOptions {
    fn default() -> Self {
        Self {
            client: ClientOptions::default(),
            poll_interval: Duration::from_secs(300),
            max_polls: 12,
            retry_interval: Duration::from_secs(10),
            max_retries: 3,
            anchor: None,
            trust_on_first_use: false,
            renewal: false,
            force_get: false,
        }
    }
}

impl EnrollOptions {
    /// Sets [`client`](Self::client).
    #[must_use]
    pub fn with_client(mut self, client: ClientOptions) -> Self {
        self.client = client;
        self
    }

    /// Sets [`poll_interval`](Self::poll_interval).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets [`max_polls`](Self::max_polls).
    #[must_use]
    pub fn with_max_polls(mut self, polls: u32) -> Self {
        self.max_polls = polls;
        self
    }

    /// Sets [`retry_interval`](Self::retry_interval).
    #[must_use]
    pub fn with_retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// Sets [`anchor`](Self::anchor).
    #[must_use]
    pub fn with_anchor(mut self, anchor: TrustAnchor) -> Self {
        self.anchor = Some(anchor);
        self
    }

    /// Sets [`trust_on_first_use`](Self::trust_on_first_use).
    #[must_use]
    pub fn with_trust_on_first_use(mut self, on: bool) -> Self {
        self.trust_on_first_use = on;
        self
    }

    /// Sets [`renewal`](Self::renewal).
    #[must_use]
    pub fn with_renewal(mut self, on: bool) -> Self {
        self.renewal = on;
        self
    }

    /// Sets [`force_get`](Self::force_get).
    #[must_use]
    pub fn with_force_get(mut self, on: bool) -> Self {
        self.force_get = on;
        self
    }

    /// Sets [`max_retries`](Self::max_retries).
    #[must_use]
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }
}

/// A finished enrollment.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Enrolled {
    /// The issued certificate (for the CSR's key).
    pub certificate: Certificate,
    /// The other certificates of the CertRep (a chain).
    pub chain: Vec<Certificate>,
    /// The CA's certificates as believed: what of the GetCACert reply chains to the anchor.
    pub ca_certificates: TrustedCaCertificates,
    /// How many CertPolls were sent.
    pub polls: u32,
}

/// Why [`enroll`] stopped without a certificate.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum EnrollError<E> {
    /// The transport failed (no reply).
    Transport(E),
    /// A reply could not be used (HTTP status, parsing, verification, negotiation).
    Scep(Error),
    /// The CA refused the request.
    Rejected {
        /// Why.
        info: FailInfo,
        /// The CA's explanation, if any.
        text: Option<FailInfoText>,
    },
    /// Still PENDING after [`EnrollOptions::max_polls`] polls: poll later with
    /// [`Client::poll`] and this transaction.
    StillPending(Box<Transaction>),
}

impl<E> From<Error> for EnrollError<E> {
    fn from(e: Error) -> Self {
        Self::Scep(e)
    }
}

impl<E: fmt::Display> fmt::Display for EnrollError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "transport: {e}"),
            Self::Scep(e) => write!(f, "{e}"),
            Self::Rejected { info, .. } => write!(f, "rejected by the CA: {info:?}"),
            Self::StillPending(_) => f.write_str("still pending"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for EnrollError<E> {}

/// What [`enroll_with_progress`] reports as it goes (for a log or a progress display).
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// GetCACert was read and believed, and the algorithms negotiated: the client that seals
    /// the request ([`Client::negotiated`], [`Client::recipient`]) and the CA certificates
    /// (with what was [`dropped`](TrustedCaCertificates::dropped) for not chaining to the
    /// anchor).
    Negotiated {
        /// The client.
        client: &'a Client,
        /// The CA certificates as believed.
        ca_certificates: &'a TrustedCaCertificates,
    },
    /// The request (PKCSReq or RenewalReq) is sealed and about to be sent.
    Requesting {
        /// Its transaction.
        transaction: &'a Transaction,
        /// Whether it is a renewal ([`EnrollOptions::renewal`]).
        renewal: bool,
    },
    /// The CA answered PENDING: the driver sleeps `interval`, then sends CertPoll number `poll`
    /// (of at most `max_polls`).
    Pending {
        /// The number of the poll about to be sent, from 1.
        poll: u32,
        /// [`EnrollOptions::max_polls`].
        max_polls: u32,
        /// [`EnrollOptions::poll_interval`].
        interval: Duration,
    },
    /// The server answered HTTP 503: the driver sleeps `interval`, then sends the request
    /// again (retry number `retry`, of at most `max_retries`).
    Retrying {
        /// The number of the retry about to be sent, from 1.
        retry: u32,
        /// [`EnrollOptions::max_retries`].
        max_retries: u32,
        /// [`EnrollOptions::retry_interval`].
        interval: Duration,
    },
}

/// The CSR [`enroll`] sends: one made beforehand (`&Csr`, `Csr`), or one made once the
/// algorithms are negotiated ([`AfterNegotiation`]), e.g. to sign it with the negotiated digest.
pub trait CsrSource {
    /// The CSR, given the negotiated client.
    ///
    /// # Errors
    /// Whatever building the CSR reports.
    fn csr(&mut self, client: &Client) -> Result<Csr, Error>;
}

impl CsrSource for &Csr {
    fn csr(&mut self, _: &Client) -> Result<Csr, Error> {
        Ok((*self).clone())
    }
}

impl CsrSource for Csr {
    fn csr(&mut self, _: &Client) -> Result<Csr, Error> {
        Ok(self.clone())
    }
}

/// A CSR built by a function of the negotiated [`Client`] (for instance signed with
/// [`Client::negotiated`]'s digest, as a request to a SHA-1-only CA needs).
#[derive(Debug)]
pub struct AfterNegotiation<F>(pub F);

impl<F: FnMut(&Client) -> Result<Csr, Error>> CsrSource for AfterNegotiation<F> {
    fn csr(&mut self, client: &Client) -> Result<Csr, Error> {
        (self.0)(client)
    }
}

/// Sends `request`, again after [`EnrollOptions::retry_interval`] while the server answers
/// HTTP 503, at most [`EnrollOptions::max_retries`] more times.
fn exchange<T: Transport>(
    transport: &mut T,
    sleep: &mut dyn FnMut(Duration),
    request: &HttpRequest,
    options: &EnrollOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<HttpReply, EnrollError<T::Error>> {
    let mut retries = 0;
    loop {
        let reply = transport.send(request).map_err(EnrollError::Transport)?;
        if reply.status != 503 || retries >= options.max_retries {
            return Ok(reply);
        }
        retries += 1;
        progress(Progress::Retrying {
            retry: retries,
            max_retries: options.max_retries,
            interval: options.retry_interval,
        });
        sleep(options.retry_interval);
    }
}

/// Enrolls `csr` with the CA at [`ClientOptions::endpoint`]: GetCACaps, GetCACert (read with
/// [`CaCertificates::parse`] and verified against [`EnrollOptions::anchor`]), a PKCSReq signed
/// by `key` (the CSR's key, with a self-signed certificate; with [`EnrollOptions::renewal`] a
/// renewal signed with its existing certificate), and CertPolls every
/// [`EnrollOptions::poll_interval`] while the CA answers PENDING. `key` also decrypts the reply
/// (key transport for an RSA key, key agreement for an EC key). `now` reads the caller's
/// clock: the issued certificate must be valid when the reply arrives ([`Client::handle`]).
/// `csr` is a [`Csr`] (or `&Csr`), or an [`AfterNegotiation`] function that builds it.
///
/// # Errors
/// [`EnrollError::Transport`], [`EnrollError::Scep`] (a GetCACert status other than 200 is
/// [`Error::HttpStatus`]; no anchor and no trust on first use is
/// [`Error::Untrusted`]`(NoAnchor)`), [`EnrollError::Rejected`], [`EnrollError::StillPending`].
#[allow(clippy::too_many_arguments)]
pub fn enroll<T: Transport, K: Signer + Decryptor>(
    transport: &mut T,
    sleep: &mut dyn FnMut(Duration),
    now: &mut dyn FnMut() -> UnixTime,
    csr: impl CsrSource,
    key: &K,
    provider: CryptoProvider,
    options: &EnrollOptions,
    rng: &mut dyn SecureRandom,
) -> Result<Enrolled, EnrollError<T::Error>> {
    enroll_with_progress(
        transport,
        sleep,
        now,
        csr,
        key,
        provider,
        options,
        rng,
        &mut |_| {},
    )
}

/// [`enroll`], reporting each step to `progress` ([`Progress`]).
///
/// # Errors
/// As [`enroll`].
#[allow(clippy::too_many_arguments)]
pub fn enroll_with_progress<T: Transport, K: Signer + Decryptor>(
    transport: &mut T,
    sleep: &mut dyn FnMut(Duration),
    now: &mut dyn FnMut() -> UnixTime,
    mut csr: impl CsrSource,
    key: &K,
    provider: CryptoProvider,
    options: &EnrollOptions,
    rng: &mut dyn SecureRandom,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Enrolled, EnrollError<T::Error>> {
    // Each reply and request is dropped as soon as it is used: firmware has a small heap.
    let endpoint = &options.client.endpoint;
    let mut caps = {
        let reply = exchange(
            transport,
            sleep,
            &HttpRequest::get_ca_caps(endpoint, None),
            options,
            progress,
        )?;
        Capabilities::from_http(reply.status, &reply.body)
    };
    if options.force_get {
        caps.remove(&Capability::PostPkiOperation);
        caps.remove(&Capability::ScepStandard);
    }
    let ca_certificates = {
        let reply = exchange(
            transport,
            sleep,
            &HttpRequest::get_ca_cert(endpoint, None),
            options,
            progress,
        )?;
        if reply.status != 200 {
            return Err(Error::HttpStatus(reply.status).into());
        }
        let reply_set = CaCertificates::parse(&reply.body, &options.client.limits)?;
        match &options.anchor {
            Some(anchor) => reply_set.verify(anchor, &provider)?,
            None if options.trust_on_first_use => reply_set.trust_on_first_use(),
            None => return Err(Error::Untrusted(TrustFailure::NoAnchor).into()),
        }
    };
    let client = Client::new(ca_certificates.clone(), caps, provider)?
        .with_options(options.client.clone())?;
    progress(Progress::Negotiated {
        client: &client,
        ca_certificates: &ca_certificates,
    });

    let (request, tx) = {
        let csr = csr.csr(&client)?;
        if options.renewal {
            client.renew(&csr, key, rng)?
        } else {
            client.enroll(&csr, key, rng)?
        }
    };
    progress(Progress::Requesting {
        transaction: &tx,
        renewal: options.renewal,
    });
    let mut reply = exchange(transport, sleep, &request, options, progress)?;
    drop(request);
    // The transaction the reply answers: the request's, then each CertPoll's.
    let mut poll_tx: Option<Transaction> = None;
    let mut polls = 0;
    loop {
        let outcome = client.handle(
            poll_tx.as_ref().unwrap_or(&tx),
            reply.status,
            reply.content_type.as_deref(),
            &reply.body,
            key,
            now(),
            rng,
        )?;
        drop(reply);
        match outcome {
            Outcome::Issued { certificate, chain } => {
                return Ok(Enrolled {
                    certificate,
                    chain,
                    ca_certificates,
                    polls,
                });
            }
            Outcome::Rejected { info, text } => return Err(EnrollError::Rejected { info, text }),
            Outcome::Pending if polls < options.max_polls => {
                polls += 1;
                progress(Progress::Pending {
                    poll: polls,
                    max_polls: options.max_polls,
                    interval: options.poll_interval,
                });
                sleep(options.poll_interval);
                let (request, answered) = client.poll(&tx, key, rng)?;
                poll_tx = Some(answered);
                reply = exchange(transport, sleep, &request, options, progress)?;
            }
            Outcome::Pending => return Err(EnrollError::StillPending(Box::new(tx))),
            // A PKCSReq is answered with a certificate, PENDING or FAILURE only.
            _ => return Err(Error::Mismatch.into()),
        }
    }
}

#[cfg(all(test, feature = "rustcrypto"))]
mod tests;
