//! Unit tests for the trust rules on fixed files under `tests/data` (the fixture keys and
//! certificates, the micromdm GetCACert reply captured from the Debian peer) and certificates the
//! crate's builder makes from them. They run no program and read no environment: the tests on
//! certificate sets made with the `openssl` command are in `tests/interop/trust.rs`, the shared
//! NDES RA certificate's in `tests/interop/ca_certs.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cloned_ref_to_slice_refs,
    clippy::type_complexity
)]

extern crate std;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use std::format;
use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::attr::MessageType;
use crate::builder::{self, CertificateTemplate};
use crate::ca_certs::{CaCertificates, fingerprint};
use crate::caps::Capabilities;
use crate::client::{Client, Outcome, Transaction};
use crate::crypto::DigestAlgorithm;
use crate::crypto::{SignatureAlgorithm, Signer};
use crate::limits::Limits;
use crate::message::IssuerAndSerialNumber;
use crate::provider::rustcrypto::{PROVIDER, RsaKey};
use crate::server::{Decision, Incoming, PkiRequest, Server, SignerKind};

// ---------------------------------------------------------------------------------------------
// Helpers

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn sha256(c: &Certificate) -> TrustAnchor {
    let fp = fingerprint(c, DigestAlgorithm::Sha256, &PROVIDER).unwrap();
    TrustAnchor::Sha256Fingerprint(fp.as_bytes().try_into().unwrap())
}

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000); // 2027-01-15

fn device() -> RsaKey {
    let cert = Certificate::from_pem(&fs::read(data_path("client2048.cert.pem")).unwrap()).unwrap();
    RsaKey::from_pem(&fs::read(data_path("client2048.pkcs8.pem")).unwrap(), cert).unwrap()
}

fn csr_for(key: &RsaKey, subject: &x509_cert::name::Name) -> Csr {
    builder::csr(
        subject,
        key.certificate().subject_public_key_info(),
        Some("s3cret"),
        &[],
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut |m| key.sign(m),
    )
    .unwrap()
}

/// A certificate for the CSR's key signed by `issuer`, valid from `from` to `to` (years).
fn issue(issuer: &RsaKey, csr: &Csr, serial: u8, from: u16, to: u16) -> Certificate {
    issue_named(issuer.certificate(), issuer, csr, serial, from, to)
}

/// The same, naming `name`'s subject as issuer whoever signs.
fn issue_named(
    name: &Certificate,
    signer: &RsaKey,
    csr: &Csr,
    serial: u8,
    from: u16,
    to: u16,
) -> Certificate {
    let t = CertificateTemplate {
        serial: vec![serial],
        subject: csr.subject().clone(),
        not_before: der::DateTime::new(from, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(to, 1, 1, 0, 0, 0).unwrap(),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: None,
        extensions: vec![],
    };
    builder::certificate(
        &t,
        Some(name),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut |m| signer.sign(m),
        &PROVIDER,
    )
    .unwrap()
}

fn server_for(ca: &RsaKey) -> Server<RsaKey, RsaKey> {
    Server::new(
        ca.clone(),
        ca.clone(),
        vec![ca.certificate().clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
}

fn open(server: &Server<RsaKey, RsaKey>, body: &[u8]) -> PkiRequest {
    match server.pki_operation(body, &mut getrandom::SysRng) {
        Incoming::Request(r) => *r,
        other => panic!("not opened: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// CA certificate sets

/// The real micromdm GetCACert reply captured from the Debian `scepserver` (tests/data/peers):
/// its lone CA (keyCertSign+cRLSign) is the anchor, the recipient and the signer.
#[test]
fn captured_micromdm_reply_verifies_to_its_ca() {
    let body = fs::read(data_path("peers/scepserver-getcacert.der")).unwrap();
    let ca = Certificate::from_pem(&fs::read(data_path("peers/micromdm-ca.pem")).unwrap()).unwrap();
    let set = CaCertificates::parse(&body, &Limits::DEFAULT).unwrap();
    for anchor in [sha256(&ca), TrustAnchor::Certificate(ca.clone())] {
        let t = set.verify(&anchor, &PROVIDER).unwrap();
        assert!(t.dropped().is_empty());
        assert_eq!(t.encryption_certificate(), &ca);
        assert_eq!(t.signing_certificates(), &[ca.clone()]);
    }
    // Another CA's fingerprint is not in the reply.
    let other = Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap();
    assert_eq!(
        set.verify(&sha256(&other), &PROVIDER),
        Err(Error::Untrusted(TrustFailure::AnchorNotFound))
    );
    // Anchored on another CA certificate, nothing of the reply chains.
    let t = set
        .verify(&TrustAnchor::Certificate(other.clone()), &PROVIDER)
        .unwrap();
    assert_eq!(t.certificates(), &[other.clone()]);
    assert_eq!(t.dropped().len(), 1);
    assert_eq!(t.dropped()[0].reason, DropReason::NotChained);
}

#[test]
fn fingerprints_from_hex() {
    let ca = Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap();
    let TrustAnchor::Sha256Fingerprint(fp) = sha256(&ca) else {
        panic!()
    };
    let hex: String = fp
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(
        TrustAnchor::sha256_from_hex(&hex),
        Ok(TrustAnchor::Sha256Fingerprint(fp))
    );
    let plain = hex.replace(':', "").to_lowercase();
    assert_eq!(
        TrustAnchor::sha256_from_hex(&plain),
        Ok(TrustAnchor::Sha256Fingerprint(fp))
    );
    for bad in [
        "",
        "00",
        &plain[2..],
        &format!("{plain}00"),
        &plain.replace('a', "g"),
    ] {
        assert_eq!(
            TrustAnchor::sha256_from_hex(bad),
            Err(Error::InvalidInput),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issued certificates (client)

fn enrolled_client(ca: &RsaKey) -> (Client, RsaKey, Csr, Transaction, PkiRequest) {
    let set = CaCertificates::new(vec![ca.certificate().clone()]).unwrap();
    let t = set
        .verify(
            &TrustAnchor::Certificate(ca.certificate().clone()),
            &PROVIDER,
        )
        .unwrap();
    let client = Client::new(t.clone(), Capabilities::rfc8894_server(), PROVIDER).unwrap();
    let device = device();
    let csr = csr_for(&device, device.certificate().subject());
    let (request, tx) = client
        .enroll(&csr, &device, &mut getrandom::SysRng)
        .unwrap();
    let at_ca = open(&server_for(ca), &request.body);
    (client, device, csr, tx, at_ca)
}

/// A SUCCESS (signed by the real CA) whose certificate for the device's key another key
/// signed, or that has expired, is an error, not `Issued`.
#[test]
fn issued_certificate_must_be_signed_by_the_ca_and_valid_now() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    // Another key, whose certificates name the CA as issuer.
    let impostor = RsaKey::from_pem(
        &fs::read(data_path("rsa2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("rsa2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let cases: [(&str, &RsaKey, u16, u16, Result<(), Error>); 4] = [
        ("good", &ca, 2025, 2049, Ok(())),
        (
            "not signed by the CA",
            &impostor,
            2025,
            2049,
            Err(Error::Untrusted(TrustFailure::NotIssuedByCa)),
        ),
        (
            "expired",
            &ca,
            2020,
            2026,
            Err(Error::Untrusted(TrustFailure::Expired)),
        ),
        (
            "not yet valid",
            &ca,
            2030,
            2049,
            Err(Error::Untrusted(TrustFailure::NotYetValid)),
        ),
    ];
    for (what, issuer, from, to, want) in cases {
        let (client, device, csr, tx, at_ca) = enrolled_client(&ca);
        let cert = issue_named(ca.certificate(), issuer, &csr, 5, from, to);
        assert_eq!(cert.issuer(), ca.certificate().subject());
        let reply = server
            .reply(
                &at_ca,
                Decision::Issued {
                    certificate: cert.clone(),
                    chain: vec![],
                },
                &mut getrandom::SysRng,
            )
            .unwrap();
        let got = client.handle(
            &tx,
            200,
            None,
            &reply.body,
            &device,
            NOW,
            &mut getrandom::SysRng,
        );
        match want {
            Ok(()) => assert!(
                matches!(&got, Ok(Outcome::Issued { certificate, .. }) if *certificate == cert),
                "{what}: {got:?}"
            ),
            Err(e) => assert_eq!(got, Err(e), "{what}"),
        }
    }
}

/// A transaction rebuilt around a CertPoll (an RA that kept only the poll) names no key: every
/// certificate of the SUCCESS that is not the CA's must still be one the CA signed, valid now.
#[test]
fn certificates_of_a_rebuilt_poll_are_checked_too() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let impostor = RsaKey::from_pem(
        &fs::read(data_path("rsa2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("rsa2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    for (signer, want_ok) in [(&ca, true), (&impostor, false)] {
        let (client, device, csr, tx, _) = enrolled_client(&ca);
        let (poll, poll_tx) = client.poll(&tx, &device, &mut getrandom::SysRng).unwrap();
        let ias = crate::message::IssuerAndSubject {
            issuer: ca.certificate().subject().clone(),
            subject: csr.subject().clone(),
        };
        let rebuilt = Transaction::new(
            poll_tx.transaction_id().clone(),
            *poll_tx.sender_nonce(),
            MessageType::CertPoll,
            crate::message::Request::CertPoll(ias),
        );
        let at_ca = open(&server, &poll.body);
        let cert = issue_named(ca.certificate(), signer, &csr, 8, 2025, 2049);
        let decision = Decision::Issued {
            certificate: cert.clone(),
            chain: vec![ca.certificate().clone()],
        };
        let reply = server
            .reply(&at_ca, decision, &mut getrandom::SysRng)
            .unwrap();
        let got = client.handle(
            &rebuilt,
            200,
            None,
            &reply.body,
            &device,
            NOW,
            &mut getrandom::SysRng,
        );
        if want_ok {
            assert_eq!(
                got,
                Ok(Outcome::Certificates(vec![cert, ca.certificate().clone()]))
            );
        } else {
            assert_eq!(got, Err(Error::Untrusted(TrustFailure::NotIssuedByCa)));
        }
    }
}

/// The skew: a certificate that starts a minute after `now` is accepted with the default skew
/// and refused without one.
#[test]
fn validity_with_and_without_skew() {
    let ca = Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap();
    let (from, to) = ca.validity().unwrap();
    assert!(from < to);
    let skew = DEFAULT_CLOCK_SKEW;
    let before = UnixTime::from_secs(from.as_secs() - 60);
    assert_eq!(check_validity(&ca, before, skew), Ok(()));
    assert_eq!(
        check_validity(&ca, before, Duration::ZERO),
        Err(Error::Untrusted(TrustFailure::NotYetValid))
    );
    let after = UnixTime::from_secs(to.as_secs() + 60);
    assert_eq!(check_validity(&ca, after, skew), Ok(()));
    assert_eq!(
        check_validity(&ca, after, Duration::ZERO),
        Err(Error::Untrusted(TrustFailure::Expired))
    );
    assert_eq!(check_validity(&ca, from, Duration::ZERO), Ok(()));
    assert_eq!(check_validity(&ca, to, Duration::ZERO), Ok(()));
}

/// A GetCert reply must hold the certificate asked for (issuer and serial number).
#[test]
fn get_cert_reply_must_be_the_certificate_asked_for() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    let (client, device, csr, _, _) = enrolled_client(&ca);
    let asked = issue(&ca, &csr, 5, 2025, 2049);
    let other = issue(&ca, &csr, 6, 2025, 2049);
    let which = IssuerAndSerialNumber::for_certificate(&asked).unwrap();
    for (sent, want) in [
        (vec![other.clone()], Err(Error::Mismatch)),
        (
            vec![other.clone(), asked.clone()],
            Ok(Outcome::Certificates(vec![asked.clone()])),
        ),
    ] {
        let (request, tx) = client
            .get_cert(which.clone(), &device, &mut getrandom::SysRng)
            .unwrap();
        let at_ca = open(&server, &request.body);
        let reply = server
            .reply(&at_ca, Decision::Certificates(sent), &mut getrandom::SysRng)
            .unwrap();
        assert_eq!(
            client.handle(
                &tx,
                200,
                None,
                &reply.body,
                &device,
                NOW,
                &mut getrandom::SysRng
            ),
            want
        );
    }
    assert_eq!(
        client
            .get_cert(which, &device, &mut getrandom::SysRng)
            .unwrap()
            .1
            .message_type(),
        MessageType::GetCert
    );
}

// ---------------------------------------------------------------------------------------------
// Renewals (server)

/// A renewal signed by an issued certificate counts as `IssuedByCa` only while that certificate
/// is valid and not revoked.
#[test]
fn renewal_signed_by_an_expired_or_revoked_certificate_is_not_waved_through() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    let device = device();
    let csr = csr_for(&device, device.certificate().subject());
    let anchor = TrustAnchor::Certificate(ca.certificate().clone());
    let set = CaCertificates::new(vec![ca.certificate().clone()]).unwrap();
    let client = Client::new(
        set.verify(&anchor, &PROVIDER).unwrap(),
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
    .unwrap();
    let renew_with = |cert: &Certificate| {
        let signer = RsaKey::new(device.private_key().clone(), cert.clone()).unwrap();
        let (request, _) = client.renew(&csr, &signer, &mut getrandom::SysRng).unwrap();
        open(&server, &request.body)
    };

    let valid = issue(&ca, &csr, 0x21, 2025, 2049);
    let expired = issue(&ca, &csr, 0x22, 2020, 2026);
    let r = renew_with(&valid);
    assert_eq!(r.signer_kind(NOW, &NoneRevoked), SignerKind::IssuedByCa);
    assert_eq!(r.signer_issuer(), Some(ca.certificate()));
    // Revoked: by a closure, and by a list of serial numbers.
    assert_eq!(
        r.signer_kind(NOW, &|c: &Certificate| c.serial_number() == [0x21]),
        SignerKind::IssuedByCaRevoked
    );
    let revoked = RevokedSerials(&[&[0x07], &[0x21]]);
    assert_eq!(r.signer_kind(NOW, &revoked), SignerKind::IssuedByCaRevoked);
    let other = RevokedSerials(&[&[0x07]]);
    assert_eq!(r.signer_kind(NOW, &other), SignerKind::IssuedByCa);

    // Expired at NOW (2027), valid in 2025: the time decides, not the signature.
    let r = renew_with(&expired);
    assert!(
        r.signer_certificate()
            .verify_issued_by(ca.certificate(), &PROVIDER)
            .is_ok()
    );
    assert_eq!(
        r.signer_kind(NOW, &NoneRevoked),
        SignerKind::IssuedByCaExpired
    );
    let in_2025 = UnixTime::from_secs(1_750_000_000);
    assert_eq!(r.signer_kind(in_2025, &NoneRevoked), SignerKind::IssuedByCa);

    // A first enrollment: self-signed, and the key is the CSR's.
    let (request, _) = client
        .enroll(&csr, &device, &mut getrandom::SysRng)
        .unwrap();
    let r = open(&server, &request.body);
    assert_eq!(r.signer_kind(NOW, &NoneRevoked), SignerKind::SelfSigned);
    assert!(r.signer_holds_csr_key());
    // NDES-style: signed with a throw-away key; still a request, the application is told.
    let throwaway = RsaKey::from_pem(
        &fs::read(data_path("rsa2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("rsa2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let (request, _) = client
        .enroll(&csr, &throwaway, &mut getrandom::SysRng)
        .unwrap();
    let r = open(&server, &request.body);
    assert_eq!(r.signer_kind(NOW, &NoneRevoked), SignerKind::SelfSigned);
    assert!(!r.signer_holds_csr_key());
}
