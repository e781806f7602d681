//! Library hardening from issue 12:
//! - MD5 in a CSR's or a certificate's signature needs the run-time legacy opt-in, exactly as
//!   MD5 in CMS does (real MD5-signed CSRs from sscep, OpenSCEP and a Cisco VPN client in
//!   `../shared/vectors`; MD5-signed certificates made by the `openssl` command);
//! - the challenge password never shows in `Debug` (`{:?}` is what ends up in logs).

use scep::Certificate;
use scep::builder;
use scep::ca_certs::CaCertificates;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::{DigestAlgorithm, Legacy, SignatureAlgorithm, Signer};
use scep::envelope::{self, OpenOptions};
use scep::error::Error;
use scep::message::{Csr, MessageBody};
use scep::oid;
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{Incoming, Server, ServerOptions, SignerKind};

use crate::roundtrip::key;
use crate::support::{self, TempDir};

/// The MD5-signed PKCS #10 requests inside EJBCA's published PKCSReqs, with their challenge.
const MD5_CSRS: &[(&str, &str)] = &[
    (
        "ejbca/derived/sscep_pkcsreq_2005.decrypted.csr.der",
        "foo123",
    ),
    (
        "ejbca/derived/openscep_pkcsreq_2005.decrypted.csr.der",
        "foo123",
    ),
    ("ejbca/derived/ciscovpn_pkcsreq.decrypted.csr.der", "foo123"),
];

const SHA256: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);

fn server(ra: &RsaKey, legacy: bool) -> Server<RsaKey, RsaKey> {
    let options = ServerOptions::default().with_legacy(Legacy::allow_if(legacy).unwrap());
    Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.certificate().clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
    .with_options(options)
}

fn client(ra: &RsaKey) -> Client {
    let ca = CaCertificates::new(vec![ra.certificate().clone()]).unwrap();
    Client::new(
        ca.trust_on_first_use(),
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
    .unwrap()
    .with_options(ClientOptions::default())
    .unwrap()
}

/// What the server makes of a POSTed request.
fn handle(server: &Server<RsaKey, RsaKey>, request: &scep::http::HttpRequest) -> Incoming {
    server.handle(
        "POST",
        &request.path_and_query,
        &request.body,
        &mut support::rng(),
    )
}

#[test]
fn md5_csr_signatures_need_the_run_time_opt_in() {
    let Some(dir) = support::vectors() else {
        return;
    };
    for (name, _) in MD5_CSRS {
        let csr = Csr::from_der(&support::read(&dir, name)).unwrap();
        assert_eq!(csr.signature_algorithm().oid, oid::MD5_WITH_RSA, "{name}");
        // Refused unchecked, with the error CMS gives for MD5 (this was `Ok` with the cargo
        // feature alone, and `UnsupportedAlgorithm` without it).
        assert_eq!(
            csr.verify_signature(&PROVIDER),
            Err(Error::LegacyAlgorithm),
            "{name}"
        );
        #[cfg(feature = "insecure-legacy")]
        assert_eq!(
            csr.verify_signature_with(&PROVIDER, Legacy::allow().unwrap()),
            Ok(()),
            "{name}"
        );
    }
}

/// A request whose CMS is SHA-256 and AES (no legacy algorithm) but whose CSR is sscep's
/// MD5-signed one: the server refuses it (badAlg) unless it opted in to legacy algorithms.
#[test]
fn server_refuses_an_md5_signed_csr_without_the_opt_in() {
    let Some(dir) = support::vectors() else {
        return;
    };
    let csr = Csr::from_der(&support::read(&dir, MD5_CSRS[0].0)).unwrap();
    let ra = key("ra2048");
    let device = key("client2048");
    let client = client(&ra);
    let (request, tx) = client.enroll(&csr, &device, &mut support::rng()).unwrap();
    match handle(&server(&ra, false), &request) {
        Incoming::Refused {
            response, reason, ..
        } => {
            assert_eq!(reason, Error::LegacyAlgorithm);
            let outcome = client
                .handle(
                    &tx,
                    response.status,
                    Some(response.content_type),
                    &response.body,
                    &device,
                    support::now(),
                    &mut support::rng(),
                )
                .unwrap();
            assert_eq!(
                outcome,
                Outcome::Rejected {
                    info: scep::attr::FailInfo::BadAlg,
                    text: None
                }
            );
        }
        other => panic!("accepted an MD5-signed CSR without the opt-in: {other:?}"),
    }
    #[cfg(feature = "insecure-legacy")]
    match handle(&server(&ra, true), &request) {
        Incoming::Request(req) => assert_eq!(req.csr(), Some(&csr)),
        other => panic!("the opt-in did not let the MD5-signed CSR through: {other:?}"),
    }
}

/// A certificate the RA's key signed with MD5 (by `openssl x509 -md5`): not "issued by" the RA
/// without the opt-in, neither when asked directly nor when it signs a renewal.
#[test]
fn md5_signed_certificates_need_the_run_time_opt_in() {
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("md5-cert");
    let ra = key("ra2048");
    let device = key("client2048");
    std::fs::write(tmp.path("ra.key"), ra.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(tmp.path("ra.crt"), ra.certificate().to_pem()).unwrap();
    std::fs::write(
        tmp.path("device.key"),
        device.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    support::openssl(&[
        "req",
        "-new",
        "-key",
        &tmp.s("device.key"),
        "-subj",
        "/CN=md5 device",
        "-out",
        &tmp.s("device.csr"),
    ]);
    support::openssl(&[
        "x509",
        "-req",
        "-md5",
        "-in",
        &tmp.s("device.csr"),
        "-CA",
        &tmp.s("ra.crt"),
        "-CAkey",
        &tmp.s("ra.key"),
        "-set_serial",
        "77",
        "-days",
        "30",
        "-out",
        &tmp.s("device.crt"),
    ]);
    let md5_cert = Certificate::from_pem(&std::fs::read(tmp.path("device.crt")).unwrap()).unwrap();
    assert_eq!(md5_cert.signature_algorithm().oid, oid::MD5_WITH_RSA);
    assert_eq!(
        md5_cert.verify_issued_by(ra.certificate(), &PROVIDER),
        Err(Error::LegacyAlgorithm)
    );
    #[cfg(feature = "insecure-legacy")]
    assert_eq!(
        md5_cert.verify_issued_by_with(ra.certificate(), &PROVIDER, Legacy::allow().unwrap()),
        Ok(())
    );

    // A renewal (SHA-256 everywhere else) signed with the MD5-signed certificate.
    let holder = RsaKey::new(device.private_key().clone(), md5_cert).unwrap();
    let csr = builder::csr(
        holder.certificate().subject(),
        holder.certificate().subject_public_key_info(),
        None,
        &[],
        SHA256,
        &mut |m| holder.sign(m),
    )
    .unwrap();
    let (request, _) = client(&ra)
        .renew(&csr, &holder, &mut support::rng())
        .unwrap();
    let Incoming::Request(req) = handle(&server(&ra, false), &request) else {
        panic!("the renewal itself uses no legacy algorithm")
    };
    assert_eq!(
        req.signer_kind(support::now(), &scep::trust::NoneRevoked),
        SignerKind::Other
    );
    #[cfg(feature = "insecure-legacy")]
    {
        let Incoming::Request(req) = handle(&server(&ra, true), &request) else {
            panic!()
        };
        assert_eq!(
            req.signer_kind(support::now(), &scep::trust::NoneRevoked),
            SignerKind::IssuedByCa
        );
    }
}

/// `secret` in none of its obvious shapes: as text, as a Rust byte list, as hex.
fn assert_hidden(debug: &str, secret: &str, what: &str) {
    let bytes = format!("{:?}", secret.as_bytes());
    let bytes = bytes.trim_start_matches('[').trim_end_matches(']');
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    for shape in [secret, bytes, &hex] {
        assert!(
            !debug.contains(shape),
            "{what}: Debug shows the challenge password ({shape}):\n{debug}"
        );
    }
}

#[test]
fn debug_never_shows_the_challenge_password() {
    const SECRET: &str = "Debug-must-hide-9z";
    let ra = key("ra2048");
    let device = key("client2048");
    let csr = builder::csr(
        device.certificate().subject(),
        device.certificate().subject_public_key_info(),
        Some(SECRET),
        &[],
        SHA256,
        &mut |m| device.sign(m),
    )
    .unwrap();
    assert_eq!(csr.challenge_password().as_deref(), Some(SECRET));
    let debug = format!("{csr:?}");
    assert_hidden(&debug, SECRET, "Csr");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(
        debug.contains(&device.certificate().subject().to_string()),
        "{debug}"
    );
    assert_hidden(&format!("{csr:#?}"), SECRET, "Csr (alternate)");

    // The same CSR after a trip through a PKCSReq: the server's request, its parts, and the
    // opened message.
    let client = client(&ra);
    let (request, _) = client.enroll(&csr, &device, &mut support::rng()).unwrap();
    let incoming = handle(&server(&ra, false), &request);
    assert_hidden(&format!("{incoming:?}"), SECRET, "Incoming");
    let Incoming::Request(req) = incoming else {
        panic!("not accepted")
    };
    assert_eq!(req.challenge_password().as_deref(), Some(SECRET));
    assert_hidden(&format!("{req:?}"), SECRET, "PkiRequest");
    assert_hidden(&format!("{req:#?}"), SECRET, "PkiRequest (alternate)");
    assert_hidden(&format!("{:?}", req.request()), SECRET, "Request");
    assert_hidden(&format!("{:?}", req.opened()), SECRET, "Opened");
    assert_hidden(&format!("{:?}", req.opened().message), SECRET, "PkiMessage");

    let opened = envelope::open(
        &request.body,
        &OpenOptions::DEFAULT,
        &PROVIDER,
        &ra,
        &mut support::rng(),
    )
    .unwrap();
    assert!(matches!(opened.message.body, MessageBody::PkcsReq(_)));
    assert_hidden(&format!("{opened:?}"), SECRET, "envelope::open");
    assert_hidden(&format!("{:?}", opened.message.body), SECRET, "MessageBody");
}

/// Real CSRs with a challenge (sscep, OpenSCEP, Cisco VPN client: "foo123").
#[test]
fn debug_of_real_csrs_hides_their_challenge() {
    let Some(dir) = support::vectors() else {
        return;
    };
    for (name, challenge) in MD5_CSRS {
        let csr = Csr::from_der(&support::read(&dir, name)).unwrap();
        assert_eq!(
            csr.challenge_password().as_deref(),
            Some(*challenge),
            "{name}"
        );
        assert_hidden(&format!("{csr:?}"), challenge, name);
    }
}
