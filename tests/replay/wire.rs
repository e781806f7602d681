//! The wire-output guard: every message the client and server write, sealed with a fixed
//! (NO SECURITY) generator, compared byte for byte with files committed before the crate's
//! internals were restructured (`tests/data/wire/`). A refactor that changes one byte on the
//! wire fails here.
//!
//! The files are regenerated only on purpose, when the wire output is meant to change:
//! `cargo test --test replay -- --ignored write_wire_files`.

use std::path::PathBuf;

use scep::attr::FailInfo;
use scep::builder;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::message::IssuerAndSerialNumber;
use scep::provider::fuzzing::FixedRng;
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{Decision, Incoming, Server};
use scep::{Certificate, http};

/// The time the client checks the issued certificate at (2026-09-21, inside its validity).
const NOW: scep::trust::UnixTime = scep::trust::UnixTime::from_secs(1_790_000_000);

fn data(name: &str) -> Vec<u8> {
    std::fs::read(super::manifest_dir().join("tests/data").join(name)).unwrap()
}

fn wire_dir() -> PathBuf {
    super::manifest_dir().join("tests/data/wire")
}

/// Every message of a full exchange, in order, with the name of its file.
fn transcript() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = FixedRng::new(7);
    let mut out = Vec::new();
    let ca_cert = Certificate::from_pem(&data("ra2048.cert.pem")).unwrap();
    let ca = RsaKey::from_pem(&data("ra2048.pkcs8.pem"), ca_cert.clone()).unwrap();
    let server = Server::new(
        ca.clone(),
        ca.clone(),
        vec![ca_cert.clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    );
    let device = RsaKey::from_pem(
        &data("client2048.pkcs8.pem"),
        Certificate::from_pem(&data("client2048.cert.pem")).unwrap(),
    )
    .unwrap();
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
    out.push(("csr.der", csr.as_der().to_vec()));

    let Incoming::Reply(caps) = server.handle("GET", "/scep?operation=GetCACaps", b"", &mut rng)
    else {
        panic!("GetCACaps")
    };
    out.push(("getcacaps.txt", caps.body.clone()));
    let Incoming::Reply(ca_certs) =
        server.handle("GET", "/scep?operation=GetCACert", b"", &mut rng)
    else {
        panic!("GetCACert")
    };
    out.push(("getcacert.der", ca_certs.body.clone()));
    out.push((
        "getnextcacert.der",
        server
            .next_ca_cert_response(std::slice::from_ref(&ca_cert))
            .unwrap()
            .body,
    ));

    let client = scep::ca_certs::CaCertificates::new(vec![ca_cert.clone()])
        .and_then(|ca| {
            Client::new(
                ca.trust_on_first_use(),
                Capabilities::from_http(caps.status, &caps.body),
                PROVIDER,
            )?
            .with_options(ClientOptions::default().with_endpoint("/scep"))
        })
        .unwrap();
    let open = |body: &[u8], rng: &mut FixedRng| {
        let target = "/scep?operation=PKIOperation";
        match server.handle("POST", target, body, rng) {
            Incoming::Request(r) => r,
            other => panic!("{other:?}"),
        }
    };

    // PKCSReq, answered PENDING; a CertPoll, answered SUCCESS.
    let (request, tx) = client.enroll(&csr, &device, &mut rng).unwrap();
    assert_eq!(request.method, http::Method::Post);
    out.push(("pkcsreq.der", request.body.clone()));
    let pkcs_req = open(&request.body, &mut rng);
    let pending = server
        .reply(&pkcs_req, Decision::Pending, &mut rng)
        .unwrap();
    out.push(("certrep-pending.der", pending.body.clone()));
    assert_eq!(
        client
            .handle(
                &tx,
                pending.status,
                Some(pending.content_type),
                &pending.body,
                &device,
                NOW,
                &mut rng
            )
            .unwrap(),
        Outcome::Pending
    );
    let (poll, poll_tx) = client.poll(&tx, &device, &mut rng).unwrap();
    out.push(("certpoll.der", poll.body.clone()));
    let cert_poll = open(&poll.body, &mut rng);
    let template = builder::CertificateTemplate {
        serial: vec![0x42],
        subject: csr.subject().clone(),
        not_before: der::DateTime::new(2026, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(2027, 1, 1, 0, 0, 0).unwrap(),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: None,
        extensions: vec![],
    };
    let issued = builder::certificate(
        &template,
        Some(&ca_cert),
        sha256,
        &mut |tbs| ca.sign(tbs),
        &PROVIDER,
    )
    .unwrap();
    out.push(("issued.der", issued.as_der().to_vec()));
    let success = server
        .reply(
            &cert_poll,
            Decision::Issued {
                certificate: issued.clone(),
                chain: vec![ca_cert.clone()],
            },
            &mut rng,
        )
        .unwrap();
    out.push(("certrep-success.der", success.body.clone()));
    match client
        .handle(
            &poll_tx,
            success.status,
            Some(success.content_type),
            &success.body,
            &device,
            NOW,
            &mut rng,
        )
        .unwrap()
    {
        Outcome::Issued { certificate, .. } => assert_eq!(certificate, issued),
        other => panic!("{other:?}"),
    }

    // GetCert answered FAILURE; GetCRL.
    let which = IssuerAndSerialNumber::for_certificate(&issued).unwrap();
    let (get_cert, _) = client.get_cert(which.clone(), &device, &mut rng).unwrap();
    out.push(("getcert.der", get_cert.body.clone()));
    let opened = open(&get_cert.body, &mut rng);
    let failure = server
        .reply(
            &opened,
            Decision::Rejected {
                info: FailInfo::BadCertId,
                text: None,
            },
            &mut rng,
        )
        .unwrap();
    out.push(("certrep-failure.der", failure.body.clone()));
    let (get_crl, _) = client.get_crl(which, &device, &mut rng).unwrap();
    out.push(("getcrl.der", get_crl.body.clone()));

    // The same PKCSReq in a GET query, for a CA without POSTPKIOperation.
    let get_client = scep::ca_certs::CaCertificates::new(vec![ca_cert])
        .and_then(|ca| {
            Client::new(
                ca.trust_on_first_use(),
                Capabilities::from_http(200, b"SHA-256\nAES\n"),
                PROVIDER,
            )?
            .with_options(ClientOptions::default())
        })
        .unwrap();
    let (get, _) = get_client.enroll(&csr, &device, &mut rng).unwrap();
    assert_eq!(get.method, http::Method::Get);
    out.push(("pkcsreq-get.txt", get.path_and_query.into_bytes()));
    out
}

#[test]
fn wire_output_is_unchanged() {
    let dir = wire_dir();
    for (name, bytes) in transcript() {
        let committed =
            std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("tests/data/wire/{name}: {e}"));
        assert!(
            committed == bytes,
            "tests/data/wire/{name}: the crate now writes different bytes"
        );
    }
}

/// Regenerates `tests/data/wire/` (only when the wire output is meant to change).
#[test]
#[ignore = "writes tests/data/wire/"]
fn write_wire_files() {
    let dir = wire_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in transcript() {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
