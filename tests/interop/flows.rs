//! In-memory client ↔ server: every operation and every reply status, through the HTTP
//! helpers, once with software keys and once with opaque key holders, once per provider.

use scep::Certificate;
use scep::attr::{FailInfo, FailInfoText, MessageType};
use scep::builder::{self, CertificateTemplate};
use scep::caps::{Capabilities, Capability};
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::{Decryptor, DigestAlgorithm, SecureRandom, SignatureAlgorithm, Signer};
use scep::http::{HttpRequest, Method, Response};
use scep::message::Request;
use scep::message::{Crl, Csr, IssuerAndSerialNumber};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{Decision, Incoming, Server, SignerKind, challenge_matches};
use scep::trust::{NoneRevoked, TrustAnchor};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

use crate::roundtrip::{data, key, key_for};
use crate::support::{self, Backend, Cert};

const CHALLENGE: &str = "s3cret-challenge";

fn send<S: Signer, D: Decryptor>(
    server: &Server<S, D>,
    req: &HttpRequest,
    rng: &mut dyn SecureRandom,
) -> Incoming {
    server.handle(req.method.as_str(), &req.path_and_query, &req.body, rng)
}

fn respond(i: Incoming) -> Response {
    match i {
        Incoming::Reply(r) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// Issues a certificate for the CSR's key, signed by the RA (which is the CA here).
fn issue<B: Backend>(ra: &B::Key, csr: &Csr, serial: u8) -> Certificate {
    let t = CertificateTemplate {
        serial: vec![serial],
        subject: csr.subject().clone(),
        not_before: der::DateTime::new(2025, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(2049, 1, 1, 0, 0, 0).unwrap(),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: Some(KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
        )),
        extensions: vec![],
    };
    builder::certificate(
        &t,
        Some(ra.cert()),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut |m| Signer::sign(ra, m),
        &B::PROVIDER,
    )
    .unwrap()
}

fn discover<B: Backend, S: Signer, D: Decryptor>(
    server: &Server<S, D>,
    post: bool,
    rng: &mut dyn SecureRandom,
) -> Client {
    let caps_resp = respond(send(server, &HttpRequest::get_ca_caps("/scep", None), rng));
    assert_eq!(caps_resp.content_type, "text/plain");
    let mut caps = Capabilities::from_http(caps_resp.status, &caps_resp.body);
    if !post {
        caps.remove(&Capability::PostPkiOperation);
        caps.remove(&Capability::ScepStandard);
    }
    let ca_resp = respond(send(server, &HttpRequest::get_ca_cert("/scep", None), rng));
    let ca = scep::ca_certs::CaCertificates::parse(&ca_resp.body, &Default::default()).unwrap();
    // Pinned as a client configured with the CA's fingerprint would be.
    let anchor = Certificate::from_pem(&data("ra2048.cert.pem")).unwrap();
    let fp = scep::ca_certs::fingerprint(&anchor, DigestAlgorithm::Sha256, &B::PROVIDER).unwrap();
    let pin = TrustAnchor::Sha256Fingerprint(fp.as_bytes().try_into().unwrap());
    let ca = ca.verify(&pin, &B::PROVIDER).unwrap();
    assert!(ca.dropped().is_empty());
    let options = ClientOptions::default().with_endpoint("/scep");
    Client::new(ca, caps, B::PROVIDER)
        .and_then(|c| c.with_options(options))
        .unwrap()
}

fn flows<B: Backend, S: Signer, D: Decryptor>(server: Server<S, D>, ra: &B::Key) {
    let mut rng = support::rng();
    let device = key_for::<B>("client2048");
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    for post in [true, false] {
        let client = discover::<B, _, _>(&server, post, &mut rng);
        assert_eq!(client.negotiated().use_post, post);

        // PKCSReq → SUCCESS, the issued certificate picked by public key.
        let (req, tx) = client.enroll(&csr, &device, &mut rng).unwrap();
        assert_eq!(req.method, if post { Method::Post } else { Method::Get });
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!("not a request")
        };
        assert!(matches!(r.request(), Request::PkcsReq(_)));
        assert_eq!(
            r.signer_kind(support::now(), &NoneRevoked),
            SignerKind::SelfSigned
        );
        assert!(challenge_matches(
            &r.challenge_password().unwrap(),
            CHALLENGE
        ));
        assert_eq!(r.transaction_id(), tx.transaction_id());
        let issued = issue::<B>(ra, r.csr().unwrap(), 10);
        let resp = server
            .reply(
                &r,
                Decision::Issued {
                    certificate: ra.cert().clone(),
                    chain: vec![issued.clone()],
                },
                &mut rng,
            )
            .unwrap();
        assert_eq!(resp.content_type, "application/x-pki-message");
        let out = client
            .handle(
                &tx,
                resp.status,
                Some(resp.content_type),
                &resp.body,
                &device,
                support::now(),
                &mut rng,
            )
            .unwrap();
        let Outcome::Issued { certificate, chain } = out else {
            panic!("{out:?}")
        };
        assert_eq!(certificate, issued);
        assert_eq!(chain, vec![ra.cert().clone()]);

        // PKCSReq → PENDING → CertPoll (same transaction) → SUCCESS.
        let (req, tx) = client.enroll(&csr, &device, &mut rng).unwrap();
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!()
        };
        let resp = server.reply(&r, Decision::Pending, &mut rng).unwrap();
        assert_eq!(
            client
                .handle(
                    &tx,
                    resp.status,
                    Some(resp.content_type),
                    &resp.body,
                    &device,
                    support::now(),
                    &mut rng
                )
                .unwrap(),
            Outcome::Pending
        );
        let (req, poll) = client.poll(&tx, &device, &mut rng).unwrap();
        assert_eq!(poll.transaction_id(), tx.transaction_id());
        assert_ne!(poll.sender_nonce(), tx.sender_nonce());
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!()
        };
        let Request::CertPoll(ias) = r.request() else {
            panic!("{:?}", r.request())
        };
        assert_eq!(&ias.subject, csr.subject());
        assert_eq!(&ias.issuer, ra.cert().subject());
        assert_eq!(r.transaction_id(), tx.transaction_id());
        let resp = server
            .reply(
                &r,
                Decision::Issued {
                    certificate: issued.clone(),
                    chain: vec![],
                },
                &mut rng,
            )
            .unwrap();
        assert!(matches!(
            client
                .handle(
                    &poll,
                    resp.status,
                    Some(resp.content_type),
                    &resp.body,
                    &device,
                    support::now(),
                    &mut rng
                )
                .unwrap(),
            Outcome::Issued { .. }
        ));
        // The first transaction's nonce does not fit the poll's reply.
        assert_eq!(
            client
                .handle(
                    &tx,
                    resp.status,
                    Some(resp.content_type),
                    &resp.body,
                    &device,
                    support::now(),
                    &mut rng
                )
                .err(),
            Some(scep::Error::Mismatch)
        );

        // PKCSReq → FAILURE with text.
        let (req, tx) = client.enroll(&csr, &device, &mut rng).unwrap();
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!()
        };
        let text = FailInfoText::new("wrong challenge").unwrap();
        let resp = server
            .reply(
                &r,
                Decision::Rejected {
                    info: FailInfo::BadRequest,
                    text: Some(text.clone()),
                },
                &mut rng,
            )
            .unwrap();
        assert_eq!(
            client
                .handle(
                    &tx,
                    resp.status,
                    Some(resp.content_type),
                    &resp.body,
                    &device,
                    support::now(),
                    &mut rng
                )
                .unwrap(),
            Outcome::Rejected {
                info: FailInfo::BadRequest,
                text: Some(text)
            }
        );

        // Renewal signed with the issued certificate: the server sees a CA-issued signer.
        let renewing = B::with_certificate(&device, issued.clone());
        let (req, tx) = client.renew(&csr, &renewing, &mut rng).unwrap();
        assert_eq!(tx.message_type(), MessageType::RenewalReq);
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!()
        };
        assert!(matches!(r.request(), Request::RenewalReq(_)));
        assert_eq!(
            r.signer_kind(support::now(), &NoneRevoked),
            SignerKind::IssuedByCa
        );
        let renewed = issue::<B>(ra, r.csr().unwrap(), 11);
        let resp = server
            .reply(
                &r,
                Decision::Issued {
                    certificate: renewed.clone(),
                    chain: vec![],
                },
                &mut rng,
            )
            .unwrap();
        let out = client
            .handle(
                &tx,
                resp.status,
                Some(resp.content_type),
                &resp.body,
                &renewing,
                support::now(),
                &mut rng,
            )
            .unwrap();
        assert!(matches!(out, Outcome::Issued { ref certificate, .. } if *certificate == renewed));

        // GetCert and GetCRL.
        let which = IssuerAndSerialNumber::for_certificate(&issued).unwrap();
        let (req, tx) = client.get_cert(which.clone(), &renewing, &mut rng).unwrap();
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!()
        };
        assert_eq!(r.request(), &Request::GetCert(which.clone()));
        let resp = server
            .reply(&r, Decision::Certificates(vec![issued.clone()]), &mut rng)
            .unwrap();
        assert_eq!(
            client
                .handle(
                    &tx,
                    resp.status,
                    Some(resp.content_type),
                    &resp.body,
                    &renewing,
                    support::now(),
                    &mut rng
                )
                .unwrap(),
            Outcome::Certificates(vec![issued.clone()])
        );
        let (req, tx) = client.get_crl(which.clone(), &renewing, &mut rng).unwrap();
        let Incoming::Request(r) = send(&server, &req, &mut rng) else {
            panic!()
        };
        assert_eq!(r.request(), &Request::GetCrl(which));
        let crl = Crl::from_der(&data("ra2048.crl.der")).unwrap();
        assert!(
            server
                .reply(&r, Decision::Certificates(vec![]), &mut rng)
                .is_err(),
            "certificates do not answer GetCRL"
        );
        let resp = server
            .reply(&r, Decision::Crls(vec![crl.clone()]), &mut rng)
            .unwrap();
        assert_eq!(
            client
                .handle(
                    &tx,
                    resp.status,
                    Some(resp.content_type),
                    &resp.body,
                    &renewing,
                    support::now(),
                    &mut rng
                )
                .unwrap(),
            Outcome::Crls(vec![crl])
        );
    }
}

fn server_caps() -> Capabilities {
    Capabilities::rfc8894_server()
}

fn every_operation_and_status_with_software_keys<B: Backend>() {
    let ra = key_for::<B>("ra2048");
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.cert().clone()],
        server_caps(),
        B::PROVIDER,
    );
    flows::<B, _, _>(server, &ra);
}

fn every_operation_and_status_with_opaque_key_holders<B: Backend>() {
    let ra = key_for::<B>("ra2048");
    let chip = || crate::roundtrip::secure_element::Chip::new(key("ra2048"), true);
    let server = Server::new(
        chip(),
        chip(),
        vec![ra.cert().clone()],
        server_caps(),
        B::PROVIDER,
    );
    flows::<B, _, _>(server, &ra);
}

fn a_reply_from_anyone_but_the_ca_is_refused_before_decryption<B: Backend>() {
    let mut rng = support::rng();
    let ra = key_for::<B>("ra2048");
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.cert().clone()],
        server_caps(),
        B::PROVIDER,
    );
    let client = discover::<B, _, _>(&server, true, &mut rng);
    let device = crate::roundtrip::secure_element::Chip::new(key("client2048"), false);
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let (req, tx) = client.enroll(&csr, &device, &mut rng).unwrap();
    // An impostor server with another key answers.
    let other = key_for::<B>("rsa2048");
    let impostor = Server::new(
        other.clone(),
        ra.clone(),
        vec![other.cert().clone()],
        server_caps(),
        B::PROVIDER,
    );
    let Incoming::Request(r) = send(&impostor, &req, &mut rng) else {
        panic!()
    };
    let resp = impostor
        .reply(
            &r,
            Decision::Issued {
                certificate: issue::<B>(&other, r.csr().unwrap(), 5),
                chain: vec![],
            },
            &mut rng,
        )
        .unwrap();
    assert_eq!(
        client
            .handle(
                &tx,
                resp.status,
                Some(resp.content_type),
                &resp.body,
                &device,
                support::now(),
                &mut rng
            )
            .err(),
        Some(scep::Error::SignerNotFound)
    );
    assert_eq!(device.decrypts.get(), 0);
}

fn unknown_message_types_never_reach_the_application<B: Backend>() {
    let mut rng = support::rng();
    let ra = key_for::<B>("ra2048");
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.cert().clone()],
        server_caps(),
        B::PROVIDER,
    );
    let client = discover::<B, _, _>(&server, true, &mut rng);
    let device = key_for::<B>("client2048");
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let (req, _) = client.enroll(&csr, &device, &mut rng).unwrap();
    // Rewrite messageType "19" as "18" (the unassigned UpdateReq) and as "0".
    let pattern = [0x13, 0x02, b'1', b'9'];
    let pos = req.body.windows(4).position(|w| w == pattern).unwrap();
    for replacement in [*b"18", *b"20", *b"03"] {
        let mut body = req.body.clone();
        body[pos + 2..pos + 4].copy_from_slice(&replacement);
        match server.handle("POST", "/scep?operation=PKIOperation", &body, &mut rng) {
            Incoming::Request(r) => panic!("{:?} reached the application", r.request()),
            Incoming::Refused {
                response: resp,
                reason,
                ..
            } => {
                let expected = if replacement == *b"20" {
                    scep::Error::BadSignature
                } else {
                    scep::Error::InvalidAttribute(scep::error::Attribute::MessageType)
                };
                assert_eq!(reason, expected);
                // "18"/"03": refused as unknown (HTTP 400). "20": a valid type, but the
                // signature no longer verifies: a signed FAILURE, badMessageCheck.
                if replacement == *b"20" {
                    assert_eq!(resp.content_type, "application/x-pki-message");
                    let p = scep::envelope::parse(&resp.body, &Default::default()).unwrap();
                    assert_eq!(p.pki_status(), Some(scep::attr::PkiStatus::Failure));
                } else {
                    assert_eq!(resp.status, 400);
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

fn a_wrong_key_gives_a_signed_failure_with_bad_message_check<B: Backend>() {
    let mut rng = support::rng();
    let ra = key_for::<B>("ra2048");
    // The server's decryptor names the RA certificate but holds another key.
    let wrong = RsaKey::new(key("rsa2048").private_key().clone(), ra.cert().clone());
    assert!(wrong.is_err(), "RsaKey refuses a mismatched pair");
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.cert().clone()],
        server_caps(),
        B::PROVIDER,
    );
    let client = discover::<B, _, _>(&server, true, &mut rng);
    let device = key_for::<B>("client2048");
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let (req, tx) = client.enroll(&csr, &device, &mut rng).unwrap();
    // Corrupt the signature (last bytes of the message are the signature value).
    let mut body = req.body.clone();
    let n = body.len();
    body[n - 10] ^= 0xff;
    let Incoming::Refused {
        response: resp,
        reason,
        ..
    } = server.handle("POST", "/scep?operation=PKIOperation", &body, &mut rng)
    else {
        panic!("a corrupted signature was not refused");
    };
    assert_eq!(reason, scep::Error::BadSignature);
    assert_eq!(resp.status, 200);
    let out = client
        .handle(
            &tx,
            resp.status,
            Some(resp.content_type),
            &resp.body,
            &device,
            support::now(),
            &mut rng,
        )
        .unwrap();
    assert_eq!(
        out,
        Outcome::Rejected {
            info: FailInfo::BadMessageCheck,
            text: None
        }
    );
}

#[test]
fn get_next_ca_cert_rollover() {
    let mut rng = support::rng();
    let ra = key("ra2048");
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.certificate().clone()],
        server_caps(),
        PROVIDER,
    );
    let Incoming::GetNextCaCert { ca_ident } = server.handle(
        "GET",
        "/scep?operation=GetNextCACert&message=default",
        b"",
        &mut rng,
    ) else {
        panic!("GetNextCACert is the application's to answer")
    };
    assert_eq!(ca_ident.as_deref(), Some("default"));
    let next = key("rsa2048").certificate().clone();
    let resp = server
        .next_ca_cert_response(core::slice::from_ref(&next))
        .unwrap();
    assert_eq!(resp.content_type, "application/x-x509-next-ca-cert");
    // The current set as a client holds it: verified to its anchor.
    let current = scep::ca_certs::CaCertificates::new(vec![ra.certificate().clone()])
        .unwrap()
        .verify(
            &TrustAnchor::Certificate(ra.certificate().clone()),
            &PROVIDER,
        )
        .unwrap();
    assert!(!current.is_first_use());
    let got = current
        .verify_next_ca_cert(&resp.body, &PROVIDER, &Default::default())
        .unwrap();
    assert_eq!(got, vec![next]);
    // Signed by someone else: refused.
    let other = key("rsa2048");
    let impostor = Server::new(
        other.clone(),
        other.clone(),
        vec![other.certificate().clone()],
        server_caps(),
        PROVIDER,
    );
    let forged = impostor
        .next_ca_cert_response(&[other.certificate().clone()])
        .unwrap();
    assert!(
        current
            .verify_next_ca_cert(&forged.body, &PROVIDER, &Default::default())
            .is_err()
    );
}

crate::per_provider! {
    every_operation_and_status_with_software_keys,
    every_operation_and_status_with_opaque_key_holders,
    a_reply_from_anyone_but_the_ca_is_refused_before_decryption,
    unknown_message_types_never_reach_the_application,
    a_wrong_key_gives_a_signed_failure_with_bad_message_check,
}

/// `ServerOptions::reply_digest`: by default a reply is signed with the signer's own digest
/// (SHA-256 here, whatever the request used); with `ReplyDigest::Request` with the digest the
/// request was signed with, which `openssl cms` reads from the reply and verifies; a signer that
/// cannot sign with it makes `reply` fail rather than fall back.
#[test]
fn replies_can_be_signed_with_the_request_digest() {
    use scep::envelope::{self, OpenOptions, SealOptions};
    use scep::server::{ReplyDigest, ServerOptions};

    let ra = key("ra2048");
    let device = key("client2048");
    let mut rng = getrandom::SysRng;
    let dir = support::TempDir::new("reply-digest");
    let server = |reply_digest| {
        Server::new(
            ra.clone(),
            ra.clone(),
            vec![ra.certificate().clone()],
            server_caps(),
            PROVIDER,
        )
        .with_options(ServerOptions::default().with_reply_digest(reply_digest))
    };
    for (digest, name) in [
        (DigestAlgorithm::Sha1, "sha1"),
        (DigestAlgorithm::Sha256, "sha256"),
        (DigestAlgorithm::Sha384, "sha384"),
        (DigestAlgorithm::Sha512, "sha512"),
    ] {
        let bodies = crate::roundtrip::bodies(&device, &ra);
        let msg = crate::roundtrip::message(bodies[0].clone(), &mut rng);
        let request = envelope::seal(
            &msg,
            &device,
            Some(ra.certificate()),
            &SealOptions::DEFAULT.with_digest(Some(digest)),
            &PROVIDER,
            &mut rng,
        )
        .unwrap();
        for (mode, want) in [
            (ReplyDigest::Signer, DigestAlgorithm::Sha256),
            (ReplyDigest::Request, digest),
        ] {
            let s = server(mode);
            let Incoming::Request(req) = s.pki_operation(&request, &mut rng) else {
                panic!("{name}: request refused");
            };
            assert_eq!(req.opened().digest, digest);
            let reply = s
                .reply(
                    &req,
                    Decision::Rejected {
                        info: FailInfo::BadRequest,
                        text: None,
                    },
                    &mut rng,
                )
                .unwrap();
            let parsed = envelope::parse(&reply.body, &OpenOptions::DEFAULT).unwrap();
            assert_eq!(parsed.digest_algorithm(), want, "{name} {mode:?}");
            parsed.verify(&PROVIDER).unwrap();
            if support::have_openssl() {
                let file = dir.path(&format!("{name}-{mode:?}.der"));
                std::fs::write(&file, &reply.body).unwrap();
                let f = file.to_str().unwrap();
                support::openssl(&[
                    "cms",
                    "-verify",
                    "-noverify",
                    "-inform",
                    "DER",
                    "-in",
                    f,
                    "-out",
                    "/dev/null",
                ]);
                let printed =
                    support::openssl(&["cms", "-cmsout", "-print", "-inform", "DER", "-in", f]);
                let printed = String::from_utf8_lossy(&printed);
                let want_name = match want {
                    DigestAlgorithm::Sha1 => "sha1 (",
                    DigestAlgorithm::Sha256 => "sha256 (",
                    DigestAlgorithm::Sha384 => "sha384 (",
                    _ => "sha512 (",
                };
                assert!(
                    printed.contains(&format!("algorithm: {want_name}")),
                    "{name} {mode:?}: {printed}"
                );
            }
        }
        // A key holder that signs with its own digest only: an error, not a SHA-256 reply.
        if digest != DigestAlgorithm::Sha256 {
            let chip = crate::roundtrip::secure_element::Chip::new(ra.clone(), false);
            let s = Server::new(
                chip,
                ra.clone(),
                vec![ra.certificate().clone()],
                server_caps(),
                PROVIDER,
            )
            .with_options(ServerOptions::default().with_reply_digest(ReplyDigest::Request));
            let Incoming::Request(req) = s.pki_operation(&request, &mut rng) else {
                panic!("{name}: request refused");
            };
            assert_eq!(
                s.reply(&req, Decision::Pending, &mut rng).err(),
                Some(scep::error::Error::UnsupportedAlgorithm(
                    scep::error::AlgorithmKind::Signature
                ))
            );
        }
    }
}
