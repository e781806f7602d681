//! SCEP, the Simple Certificate Enrollment Protocol ([RFC 8894]), for Rust: typed messages,
//! CMS open and seal, and sans-I/O client and server flows, on pluggable crypto.
//!
//! SCEP is how routers, phones, MDM-managed laptops and IoT devices get certificates: the device
//! fetches the CA's certificates (GetCACert) and capabilities (GetCACaps), then sends a PKCS #10
//! request encrypted to the CA and signed with its own key (a PKCSReq inside CMS
//! `SignedData(EnvelopedData(...))`), and receives a CertRep: SUCCESS with the certificate,
//! PENDING (poll again later) or FAILURE.
//!
//! The crate is `no_std` + `alloc`, does no I/O, and touches keys only through the traits in
//! [`crypto`], so a private key may stay in a secure element or an HSM.
//!
//! | layer | module | what |
//! |---|---|---|
//! | RA | [`ra`] | a server to devices and a client to the CA: the relay, `Decision` from `Outcome` |
//! | flows | [`client`], [`server`] | what to send next, what a reply means; [`client::driver`] enrolls in one call |
//! | trust | [`trust`] | which GetCACert certificates chain to the anchor, issued certificates and renewal signers at a given time |
//! | HTTP | [`ca_certs`], [`http`], [`caps`] | GetCACert; operations, query strings, GET/POST encodings; GetCACaps |
//! | messages | [`builder`], [`envelope`], [`message`], [`attr`] | certificates and CSRs; CMS [`envelope::open`] and [`envelope::seal`]; `PkiMessage`, `Request`, `CertRep`; attributes |
//! | crypto | [`provider`], [`crypto`], [`cert`] | implementations; traits and algorithms; certificates |
//! | base | [`limits`], [`oid`], [`error`] | the size limits, OIDs, the one error type |
//!
//! Every import points down this table (checked by `.ci/layers.sh`); a private `asn1` module
//! (BER reader, DER writer, PEM, time, CMS views) sits under the crypto layer.
//!
//! Lenient in, strict out: BER with indefinite lengths, chunked strings, unsorted attributes
//! and the quirks of real peers are read; only DER with PrintableString attributes is written.
//!
//! The [`guide`] covers deployment: Microsoft NDES, Windows and Intune, iOS and macOS, Cisco,
//! the `insecure-legacy` trade-off, an RA in front of a CA, firmware, and the `inspect` tool
//! that explains any SCEP message.
//!
//! # A complete enrollment, client and server in one process
//!
//! ```
//! use scep::builder;
//! use scep::ca_certs::CaCertificates;
//! use scep::trust::TrustAnchor;
//! use scep::limits::Limits;
//! use scep::caps::Capabilities;
//! use scep::client::{Client, ClientOptions, Outcome};
//! use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
//! use scep::provider::rustcrypto::{PROVIDER, RsaKey};
//! use scep::server::{Decision, Incoming, Server, challenge_matches};
//! use scep::{Certificate, http};
//! # let pem = |name: &str| std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
//! let mut rng = getrandom::SysRng;
//!
//! // The CA (here also the RA): a key and its certificate.
//! let ca_cert = Certificate::from_pem(&pem("ra2048.cert.pem"))?;
//! let ca = RsaKey::from_pem(&pem("ra2048.pkcs8.pem"), ca_cert.clone())?;
//! let server = Server::new(ca.clone(), ca.clone(), vec![ca_cert.clone()],
//!                          Capabilities::rfc8894_server(), PROVIDER);
//!
//! // The device: its key, a self-signed certificate to sign with, and a CSR with the
//! // challenge password.
//! let device = RsaKey::from_pem(&pem("client2048.pkcs8.pem"),
//!                               Certificate::from_pem(&pem("client2048.cert.pem"))?)?;
//! let sha256 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
//! let csr = builder::csr(device.certificate().subject(), device.certificate().subject_public_key_info(),
//!                        Some("s3cret"), &[], sha256, &mut |m| device.sign(m))?;
//!
//! // Client: GetCACaps and GetCACert (the HTTP exchange is the caller's; here, direct calls).
//! let Incoming::Reply(caps) = server.handle("GET", "/scep?operation=GetCACaps", b"", &mut rng)
//! else { unreachable!() };
//! let Incoming::Reply(ca_reply) = server.handle("GET", "/scep?operation=GetCACert", b"", &mut rng)
//! else { unreachable!() };
//! // Only what chains to the CA certificate the device was configured with is believed.
//! let anchor = TrustAnchor::Certificate(ca_cert.clone());
//! let ca_certs = CaCertificates::parse(&ca_reply.body, &Limits::DEFAULT)?.verify(&anchor, &PROVIDER)?;
//! let client = Client::new(ca_certs, Capabilities::from_http(caps.status, &caps.body), PROVIDER)?
//!     .with_options(ClientOptions::default().with_endpoint("/scep"))?;
//!
//! // Client: PKCSReq. `request` is what goes over HTTP (POST, since the CA supports it).
//! let (request, transaction) = client.enroll(&csr, &device, &mut rng)?;
//! assert_eq!(request.method, http::Method::Post);
//!
//! // Server: open, decide, reply.
//! let Incoming::Request(pkcs_req) =
//!     server.handle("POST", &request.path_and_query, &request.body, &mut rng)
//! else { unreachable!() };
//! let decision = if challenge_matches(&pkcs_req.challenge_password().unwrap_or_default(), "s3cret") {
//!     let csr = pkcs_req.csr().unwrap();
//!     let template = builder::CertificateTemplate {
//!         serial: vec![0x42],
//!         subject: csr.subject().clone(),
//!         not_before: der::DateTime::new(2026, 1, 1, 0, 0, 0)?,
//!         not_after: der::DateTime::new(2027, 1, 1, 0, 0, 0)?,
//!         public_key: csr.public_key().clone(),
//!         is_ca: false,
//!         key_usage: None,
//!         extensions: vec![],
//!     };
//!     let issued = builder::certificate(&template, Some(&ca_cert), sha256,
//!                                       &mut |tbs| ca.sign(tbs), &PROVIDER)?;
//!     Decision::Issued { certificate: issued, chain: vec![] }
//! } else {
//!     Decision::Rejected { info: scep::attr::FailInfo::BadRequest, text: None }
//! };
//! let response = server.reply(&pkcs_req, decision, &mut rng)?;
//!
//! // Client: the reply is verified (signer, transaction ID, nonce) before it is decrypted.
//! // The issued certificate must be signed by the CA and valid now (the caller's clock; here
//! // a fixed time within the certificate's validity).
//! let now = scep::trust::UnixTime::from_secs(1_790_000_000); // 2026-09-21
//! match client.handle(&transaction, response.status, Some(response.content_type), &response.body, &device, now, &mut rng)? {
//!     Outcome::Issued { certificate, .. } => {
//!         assert_eq!(certificate.subject(), csr.subject());
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `std` | yes | [`time`]: the system clock as the `DateTime`s the API takes (the crate itself needs only `alloc`; [`Error`] implements `core::error::Error` either way) |
//! | `pem` | yes (and part of `std`) | PEM text in a GetCACert reply ([`CaCertificates::parse`](ca_certs::CaCertificates::parse), and so [`client::driver`]); without it the reply must be DER or BER (what CAs send) and no PEM decoder is linked (7 KiB of flash in the firmware example). `Certificate::from_pem` and the other explicit PEM readers do not depend on it |
//! | `rustcrypto` | yes | [`provider::rustcrypto`], the default provider (works without `std`) |
//! | `p256`, `p384` | yes | the curve in the RustCrypto provider (ECDSA, ECDH, `EcKey`); with either, `KeyAgreeRecipientInfo` envelopes (open and seal). Without both, an EC key is refused as unsupported and an RSA-only image links no key-agreement code |
//! | `pwri` | yes | `PasswordRecipientInfo` envelopes (RFC 3211; RFC 8894 §3.1 password replies), open and seal, and PBKDF2 in the RustCrypto provider. Without it a password recipient is refused as unsupported |
//! | `aws-lc-rs` | no | `provider::aws_lc`, a native-speed provider on AWS-LC (needs `std` and a C compiler; turns on `p256` and `p384`) |
//! | `http` | no | conversions to and from the `http` crate's `Request` and `Response` ([`http`] module; needs `std`) |
//! | `insecure-legacy` | no | single DES and MD5, which RFC 8894 forbids but micromdm's server and old Cisco devices use; even compiled in, each use needs a run-time opt-in |
//!
//! [RFC 8894]: https://www.rfc-editor.org/rfc/rfc8894
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod asn1;
pub mod attr;
pub mod builder;
pub mod ca_certs;
pub mod caps;
pub mod cert;
pub mod client;
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod guide;
pub mod http;
#[cfg(feature = "__fuzzing")]
#[doc(hidden)]
pub mod internal;
pub mod limits;
pub mod message;
pub mod oid;
pub mod provider;
pub mod ra;
pub mod server;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod time;
pub mod trust;

pub use cert::Certificate;
pub use error::Error;

// The crates whose types appear in this crate's API, so that callers name the same versions.
// (`rsa`, for the default provider's keys, is re-exported as `provider::rustcrypto::rsa`.)
pub use der;
pub use rand_core;
pub use spki;
pub use x509_cert;

// The README's crates.io part, compiled and run as a doctest.
#[cfg(all(doctest, feature = "std", feature = "rustcrypto"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
