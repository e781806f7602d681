//! The driver against our own server, in memory: 503 retries, the PENDING poll loop, and each
//! way it ends.

#![allow(clippy::unwrap_used, clippy::panic, clippy::unwrap_in_result)]

extern crate std;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::convert::Infallible;

use super::*;
use crate::builder;
use crate::crypto::{DigestAlgorithm, SignatureAlgorithm};
use crate::http::{Method, Response};
use crate::provider::rustcrypto::{PROVIDER, RsaKey};
use crate::server::{Decision, Incoming, Server};

fn key(name: &str) -> RsaKey {
    let read = |f: String| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(f),
        )
        .unwrap()
    };
    let cert = Certificate::from_pem(&read(std::format!("{name}.cert.pem"))).unwrap();
    RsaKey::from_pem(&read(std::format!("{name}.pkcs8.pem")), cert).unwrap()
}

/// Our server behind a transport that answers the first `busy` requests with 503, and the
/// first `pending` PKIOperations with PENDING, then with `last`.
struct Ca {
    server: Server<RsaKey, RsaKey>,
    issued: Certificate,
    busy: u32,
    pending: u32,
    last: Option<Decision>,
    seen: Vec<(Method, MessageKind)>,
    /// The message types of the PKIOperations, as `Debug` prints them.
    requests: Vec<String>,
}

#[derive(Debug, PartialEq)]
enum MessageKind {
    Caps,
    CaCert,
    Pki,
}

impl Transport for Ca {
    type Error = Infallible;

    fn send(&mut self, r: &HttpRequest) -> Result<HttpReply, Infallible> {
        let kind = if r.path_and_query.contains("GetCACaps") {
            MessageKind::Caps
        } else if r.path_and_query.contains("GetCACert") {
            MessageKind::CaCert
        } else {
            MessageKind::Pki
        };
        self.seen.push((r.method, kind));
        if self.busy > 0 {
            self.busy -= 1;
            return Ok(HttpReply {
                status: 503,
                content_type: Some("text/plain".into()),
                body: b"busy".to_vec(),
            });
        }
        let mut rng = getrandom::SysRng;
        let reply: Response =
            match self
                .server
                .handle(r.method.as_str(), &r.path_and_query, &r.body, &mut rng)
            {
                Incoming::Reply(reply) => reply,
                Incoming::Request(req) => {
                    self.requests.push(std::format!("{:?}", req.message_type()));
                    let decision = if self.pending > 0 {
                        self.pending -= 1;
                        Decision::Pending
                    } else {
                        self.last.take().unwrap_or(Decision::Issued {
                            certificate: self.issued.clone(),
                            chain: vec![],
                        })
                    };
                    self.server.reply(&req, decision, &mut rng).unwrap()
                }
                other => panic!("{other:?}"),
            };
        Ok(HttpReply {
            status: reply.status,
            content_type: Some(reply.content_type.into()),
            body: reply.body,
        })
    }
}

fn setup(busy: u32, pending: u32) -> (Ca, RsaKey, Csr) {
    let ca = key("ra2048");
    let device = key("client2048");
    let server = Server::new(
        ca.clone(),
        ca.clone(),
        vec![ca.certificate().clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    );
    let sha256 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let csr = builder::csr(
        device.certificate().subject(),
        device.certificate().subject_public_key_info(),
        Some("s3cret"),
        &[],
        sha256,
        &mut |m| device.sign(m),
    )
    .unwrap();
    // The CA issues a certificate for the device's key (the client checks that it signed it).
    let template = builder::CertificateTemplate {
        serial: vec![0x51],
        subject: csr.subject().clone(),
        not_before: der::DateTime::new(2025, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(2049, 1, 1, 0, 0, 0).unwrap(),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: None,
        extensions: vec![],
    };
    let issued = builder::certificate(
        &template,
        Some(ca.certificate()),
        sha256,
        &mut |m| ca.sign(m),
        &PROVIDER,
    )
    .unwrap();
    let transport = Ca {
        server,
        issued,
        busy,
        pending,
        last: None,
        seen: Vec::new(),
        requests: Vec::new(),
    };
    (transport, device, csr)
}

fn options() -> EnrollOptions {
    EnrollOptions::default()
        .with_client(ClientOptions::default().with_endpoint("/scep"))
        .with_poll_interval(Duration::from_secs(60))
        .with_retry_interval(Duration::from_secs(5))
        .with_max_polls(3)
        .with_anchor(TrustAnchor::Certificate(
            key("ra2048").certificate().clone(),
        ))
}

/// The caller's clock (2027-01-15).
fn now() -> UnixTime {
    UnixTime::from_secs(1_800_000_000)
}

#[test]
fn retries_a_busy_server_then_polls_until_issued() {
    let (mut ca, device, csr) = setup(1, 2);
    let mut slept = Vec::new();
    let enrolled = enroll(
        &mut ca,
        &mut |d| slept.push(d),
        &mut now,
        &csr,
        &device,
        PROVIDER,
        &options(),
        &mut getrandom::SysRng,
    )
    .unwrap();
    assert_eq!(enrolled.certificate, ca.issued);
    assert!(!enrolled.ca_certificates.is_first_use());
    assert_eq!(enrolled.polls, 2);
    assert_eq!(
        slept,
        [5, 60, 60].map(Duration::from_secs).to_vec(),
        "one 503 retry, then two poll intervals"
    );
    let kinds: Vec<&MessageKind> = ca.seen.iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        [
            &MessageKind::Caps,
            &MessageKind::Caps,
            &MessageKind::CaCert,
            &MessageKind::Pki,
            &MessageKind::Pki,
            &MessageKind::Pki
        ]
    );
    // The CA advertises POSTPKIOperation: every PKIOperation was a POST.
    assert!(ca.seen.iter().skip(3).all(|(m, _)| *m == Method::Post));
}

#[test]
fn gives_up_after_max_polls_with_the_transaction_to_poll_later() {
    let (mut ca, device, csr) = setup(0, 10);
    let mut slept = 0;
    let err = enroll(
        &mut ca,
        &mut |_| slept += 1,
        &mut now,
        &csr,
        &device,
        PROVIDER,
        &options(),
        &mut getrandom::SysRng,
    )
    .unwrap_err();
    let EnrollError::StillPending(tx) = err else {
        panic!("{err:?}")
    };
    assert_eq!(tx.request(), &crate::message::Request::PkcsReq(csr));
    assert_eq!(slept, 3);
}

#[test]
fn a_rejection_ends_the_enrollment() {
    let (mut ca, device, csr) = setup(0, 1);
    ca.last = Some(Decision::Rejected {
        info: FailInfo::BadRequest,
        text: None,
    });
    let err = enroll(
        &mut ca,
        &mut |_| {},
        &mut now,
        &csr,
        &device,
        PROVIDER,
        &options(),
        &mut getrandom::SysRng,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EnrollError::Rejected {
            info: FailInfo::BadRequest,
            text: None
        }
    );
}

#[test]
fn a_server_busy_for_longer_than_the_retries_is_an_http_status() {
    let (mut ca, device, csr) = setup(10, 0);
    let err = enroll(
        &mut ca,
        &mut |_| {},
        &mut now,
        &csr,
        &device,
        PROVIDER,
        &options().with_max_retries(2),
        &mut getrandom::SysRng,
    )
    .unwrap_err();
    // GetCACaps after three 503s gives empty capabilities; GetCACert after three more fails.
    assert_eq!(err, EnrollError::Scep(Error::HttpStatus(503)));
    assert_eq!(ca.seen.len(), 6);
}

#[test]
fn without_an_anchor_only_an_explicit_trust_on_first_use_runs() {
    let (mut ca, device, csr) = setup(0, 0);
    let mut no_anchor = options();
    no_anchor.anchor = None;
    let err = enroll(
        &mut ca,
        &mut |_| {},
        &mut now,
        &csr,
        &device,
        PROVIDER,
        &no_anchor,
        &mut getrandom::SysRng,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EnrollError::Scep(Error::Untrusted(TrustFailure::NoAnchor))
    );
    assert_eq!(
        ca.seen.len(),
        2,
        "stopped after GetCACert, before any PKIOperation"
    );

    let (mut ca, device, csr) = setup(0, 0);
    let enrolled = enroll(
        &mut ca,
        &mut |_| {},
        &mut now,
        &csr,
        &device,
        PROVIDER,
        &no_anchor.with_trust_on_first_use(true),
        &mut getrandom::SysRng,
    )
    .unwrap();
    assert!(enrolled.ca_certificates.is_first_use());
}

/// A renewal sent with GET (`force_get` although the server offers POST), its CSR built after
/// negotiation, every step reported to the progress function.
#[test]
fn renews_with_get_and_reports_progress() {
    let (mut ca, device, csr) = setup(1, 1);
    let mut events = Vec::new();
    let mut built = 0;
    let enrolled = enroll_with_progress(
        &mut ca,
        &mut |_| {},
        &mut now,
        AfterNegotiation(|client: &Client| {
            built += 1;
            assert!(!client.negotiated().use_post);
            Ok(csr.clone())
        }),
        &device,
        PROVIDER,
        &options().with_renewal(true).with_force_get(true),
        &mut getrandom::SysRng,
        &mut |p| {
            events.push(match p {
                Progress::Negotiated {
                    client,
                    ca_certificates,
                } => std::format!(
                    "negotiated post={} cas={}",
                    client.negotiated().use_post,
                    ca_certificates.certificates().len()
                ),
                Progress::Requesting { renewal, .. } => {
                    std::format!("requesting renewal={renewal}")
                }
                Progress::Pending {
                    poll, max_polls, ..
                } => std::format!("pending {poll}/{max_polls}"),
                Progress::Retrying { retry, .. } => std::format!("retry {retry}"),
            });
        },
    )
    .unwrap();
    assert_eq!(enrolled.certificate, ca.issued);
    assert_eq!(built, 1);
    assert_eq!(
        events,
        [
            "retry 1",
            "negotiated post=false cas=1",
            "requesting renewal=true",
            "pending 1/3"
        ]
    );
    assert_eq!(ca.requests, ["RenewalReq", "CertPoll"]);
    let pki: Vec<Method> = ca
        .seen
        .iter()
        .filter(|(_, k)| *k == MessageKind::Pki)
        .map(|(m, _)| *m)
        .collect();
    assert_eq!(pki, [Method::Get, Method::Get]);
}
