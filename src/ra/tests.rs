//! The relay and the Outcome → Decision mapping, against our own server and CA keys.

#![allow(clippy::unwrap_used, clippy::panic)]

extern crate std;

use alloc::vec::Vec;
use alloc::{format, vec};

use super::*;
use crate::attr::{FailInfoText, MessageType};
use crate::builder;
use crate::caps::Capabilities;
use crate::cert::Certificate;
use crate::client::ClientOptions;
use crate::crypto::{DigestAlgorithm, SignatureAlgorithm};
use crate::message::{Crl, Csr, IssuerAndSerialNumber};
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
fn open(key: &RsaKey, request: &HttpRequest) -> PkiRequest {
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
    crate::ca_certs::CaCertificates::new(vec![cert])
        .and_then(|ca| {
            Client::new(ca.trust_on_first_use(), caps, PROVIDER)?
                .with_options(ClientOptions::default())
        })
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
    assert_eq!(tx.request(), device_tx.request());

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
    assert_eq!(tx.request(), &Request::GetCert(which.clone()));
    assert_eq!(tx.transaction_id(), device_tx.transaction_id());
    let at_ca = open(&s.ca, &forward);
    assert_eq!(at_ca.request(), &Request::GetCert(which.clone()));

    let (request, _) = to_ra.get_crl(which.clone(), &s.device, &mut rng).unwrap();
    let (forward, tx) = upstream
        .relay(&open(&s.ra, &request), &s.ra, &mut rng)
        .unwrap();
    assert_eq!(tx.request(), &Request::GetCrl(which.clone()));
    assert_eq!(open(&s.ca, &forward).request(), &Request::GetCrl(which));

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
        tx.request().clone(),
    );
    assert_eq!(rebuilt, tx);
    let (poll, poll_tx) = upstream.poll(&rebuilt, &s.ra, &mut rng).unwrap();
    assert_eq!(poll_tx.transaction_id(), tx.transaction_id());
    let at_ca = open(&s.ca, &poll);
    assert_eq!(at_ca.message_type(), MessageType::CertPoll);
    assert_eq!(at_ca.transaction_id(), tx.transaction_id());
}

fn cert(name: &str) -> Certificate {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    Certificate::from_pem(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn an_upstream_outcome_becomes_the_decision_for_the_device() {
    let issued = cert("client2048.cert.pem");
    let ca = cert("ra2048.cert.pem");
    let d = Decision::from(Outcome::Issued {
        certificate: issued.clone(),
        chain: vec![ca.clone()],
    });
    assert!(
        matches!(&d, Decision::Issued { certificate, chain } if certificate == &issued && chain == &vec![ca.clone()])
    );

    let d = Decision::from(Outcome::Certificates(vec![issued.clone()]));
    assert!(matches!(&d, Decision::Certificates(c) if c == &vec![issued.clone()]));

    let crl_der = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ra2048.crl.der"),
    )
    .unwrap();
    let crl = Crl::from_der(&crl_der).unwrap();
    let d = Decision::from(Outcome::Crls(vec![crl.clone()]));
    assert!(matches!(&d, Decision::Crls(c) if c == &vec![crl.clone()]));
    let d = Decision::from(Outcome::Crls(Vec::new()));
    assert!(matches!(
        d,
        Decision::Rejected {
            info: FailInfo::BadCertId,
            text: None
        }
    ));

    assert!(matches!(
        Decision::from(Outcome::Pending),
        Decision::Pending
    ));
    let text = FailInfoText::new("no").unwrap();
    let d = Decision::from(Outcome::Rejected {
        info: FailInfo::BadRequest,
        text: Some(text.clone()),
    });
    assert!(
        matches!(d, Decision::Rejected { info: FailInfo::BadRequest, text: Some(t) } if t == text)
    );
}

#[test]
fn a_pending_reply_carries_retry_after_when_configured() {
    let s = setup();
    let mut rng = getrandom::SysRng;
    let (request, _) = client_for(&s.ca, Capabilities::rfc8894_server())
        .enroll(&s.csr, &s.device, &mut rng)
        .unwrap();
    let at_ca = open(&s.ca, &request);
    let server = |retry_after| {
        Server::new(
            s.ca.clone(),
            s.ca.clone(),
            vec![s.ca.certificate().clone()],
            Capabilities::rfc8894_server(),
            PROVIDER,
        )
        .with_options(crate::server::ServerOptions::default().with_retry_after(retry_after))
    };
    let pending = server(Some(600))
        .reply(&at_ca, Decision::Pending, &mut rng)
        .unwrap();
    assert_eq!(pending.header("retry-after"), Some("600"));
    let plain = server(None)
        .reply(&at_ca, Decision::Pending, &mut rng)
        .unwrap();
    assert!(plain.headers.is_empty());
    // Only PENDING: a rejection carries none.
    let rejected = server(Some(600))
        .reply(
            &at_ca,
            Decision::Rejected {
                info: FailInfo::BadRequest,
                text: None,
            },
            &mut rng,
        )
        .unwrap();
    assert!(rejected.headers.is_empty());
}
