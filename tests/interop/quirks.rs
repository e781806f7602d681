//! What real peers send (issue 4 §5, `../shared/INTEROP-QUIRKS.md`), one named test per
//! tolerance, each failing if the tolerance goes. Messages are our own sealed messages changed
//! with the DER tree in `surgery.rs` into the shape the peer sends (re-signed with the test key
//! where signed bytes change), or real messages from `tests/data/peers` and `../shared/vectors`.
//! Tolerances already pinned elsewhere are named in the comment at the end of this file.

use scep::Certificate;
use scep::attr::{FailInfo, MessageType, Nonce, TransactionId};
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Outcome, Transaction};
use scep::crypto::{ContentEncryption, KeyTransport, Signer};
use scep::envelope::{self, OpenOptions, SealOptions};
use scep::error::Error;
use scep::http::HttpRequest;
use scep::message::Request;
use scep::message::{Csr, IssuerAndSubject, MessageBody, PkiMessage};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{Decision, Incoming, PkiRequest, Server, SignerKind};

use crate::roundtrip::{data, key};
use crate::support;
use crate::surgery::{Msg, Node, parse};

const CHALLENGE: &str = "s3cret-challenge";

pub fn server() -> Server<RsaKey, RsaKey> {
    let ra = key("ra2048");
    Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.certificate().clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
}

fn client_for(key_transport: KeyTransport) -> Client {
    let ra = key("ra2048").certificate().clone();
    scep::ca_certs::CaCertificates::new(vec![ra])
        .and_then(|ca| {
            Client::new(
                ca.trust_on_first_use(),
                Capabilities::rfc8894_server(),
                PROVIDER,
            )?
            .with_options(
                ClientOptions::default()
                    .with_endpoint("/scep")
                    .with_key_transport(key_transport),
            )
        })
        .unwrap()
}

fn csr() -> Csr {
    Csr::from_der(&data("client2048.csr.der")).unwrap()
}

/// A PKCSReq from the test client to the test RA, sealed by us (strict DER), and its
/// transaction.
pub fn pkcs_req() -> (Vec<u8>, Transaction) {
    let (req, tx) = client_for(KeyTransport::RsaPkcs1v15)
        .enroll(&csr(), &key("client2048"), &mut support::rng())
        .unwrap();
    (req.body, tx)
}

pub fn expect_request(i: Incoming) -> Box<PkiRequest> {
    match i {
        Incoming::Request(r) => r,
        Incoming::Refused {
            response, reason, ..
        } => panic!(
            "refused: {} {}: {reason:?}",
            response.status,
            String::from_utf8_lossy(&response.body)
        ),
        other => panic!("{other:?}"),
    }
}

/// The server opens `bytes` to a PKCSReq carrying the test CSR and challenge.
fn server_accepts(bytes: &[u8]) -> Box<PkiRequest> {
    let req = expect_request(server().pki_operation(bytes, &mut support::rng()));
    assert_eq!(req.csr(), Some(&csr()));
    assert_eq!(req.challenge_password().as_deref(), Some(CHALLENGE));
    req
}

/// A certificate for the client's key issued by the test RA (which is the CA here): the client
/// believes only certificates the CA signed (what matters here is the shape of the reply).
fn issued() -> Certificate {
    let ra = key("ra2048");
    let device = key("client2048");
    let t = scep::builder::CertificateTemplate {
        serial: vec![0x33],
        subject: device.certificate().subject().clone(),
        not_before: der::DateTime::new(2025, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(2049, 1, 1, 0, 0, 0).unwrap(),
        public_key: device.certificate().subject_public_key_info().clone(),
        is_ca: false,
        key_usage: None,
        extensions: vec![],
    };
    scep::builder::certificate(
        &t,
        Some(ra.certificate()),
        ra.signature_algorithm(),
        &mut |m| ra.sign(m),
        &PROVIDER,
    )
    .unwrap()
}

/// The server's SUCCESS reply to the PKCSReq, issuing [`issued`].
fn success_reply() -> (Vec<u8>, Transaction) {
    let (bytes, tx) = pkcs_req();
    let s = server();
    let req = expect_request(s.pki_operation(&bytes, &mut support::rng()));
    let issued = issued();
    let reply = s
        .reply(
            &req,
            Decision::Issued {
                certificate: issued,
                chain: vec![],
            },
            &mut support::rng(),
        )
        .unwrap();
    (reply.body, tx)
}

fn client_accepts(reply: &[u8], tx: &Transaction) {
    let c = client_for(KeyTransport::RsaPkcs1v15);
    match c.handle(
        tx,
        200,
        None,
        reply,
        &key("client2048"),
        support::now(),
        &mut support::rng(),
    ) {
        Ok(Outcome::Issued { certificate, .. }) => {
            assert_eq!(certificate.as_der(), issued().as_der());
        }
        other => panic!("{other:?}"),
    }
}

/// iOS/macOS and Android (jscep, BouncyCastle) send indefinite-length BER. Outer ContentInfo,
/// SignedData and its first levels, and the inner EnvelopedData, all indefinite; the signed
/// attributes are re-signed because messageDigest changes with the envelope's bytes.
#[test]
fn indefinite_length_ber_from_ios_and_android() {
    let (bytes, _) = pkcs_req();
    let mut m = Msg::parse(&bytes);
    let mut env = parse(&m.econtent_bytes());
    env.make_indefinite(8);
    m.set_econtent(env.encode());
    m.resign(&key("client2048"));
    m.0.make_indefinite(5);
    let ber = m.encode();
    assert!(ber.starts_with(&[0x30, 0x80]));
    assert!(
        ber.windows(2).filter(|w| *w == [0x30, 0x80]).count() > 8,
        "many indefinite elements"
    );
    let req = server_accepts(&ber);
    assert_eq!(
        req.signer_kind(support::now(), &scep::trust::NoneRevoked),
        SignerKind::SelfSigned
    );
}

/// ChromeOS and Cisco PIX send eContent as a constructed OCTET STRING; micromdm's client sends
/// `encryptedContent` as a constructed `[0]` of OCTET STRING chunks. The digest is over the
/// concatenated content octets.
#[test]
fn chunked_octet_strings_are_digested_and_decrypted_as_one() {
    let (bytes, _) = pkcs_req();
    let mut m = Msg::parse(&bytes);
    let mut env = parse(&m.econtent_bytes());
    // ContentInfo → [0] → EnvelopedData → EncryptedContentInfo → [0] encryptedContent.
    let eci = env.child(1).child(0).child(2);
    eci.child(2).chunk(32);
    assert_eq!(eci.child(2).tag(), 0xa0);
    m.set_econtent(env.encode());
    m.resign(&key("client2048"));
    m.econtent().chunk(100);
    let ber = m.encode();
    server_accepts(&ber);
    // Without the re-signing the digest still covers the same octets: chunking the eContent
    // of the untouched message keeps it valid.
    let mut m = Msg::parse(&bytes);
    m.econtent().chunk(7);
    server_accepts(&m.encode());
}

/// Go's pkcs7 (step-ca #1723) and others send the signed attributes in another order than DER's:
/// the signature is over the order received.
#[test]
fn unsorted_signed_attributes_verify_over_the_received_order() {
    let (bytes, _) = pkcs_req();
    let mut m = Msg::parse(&bytes);
    m.attrs().children().reverse();
    let mut check = m.attrs().clone();
    check.children().sort_by_key(Node::encode);
    assert_ne!(&check, m.attrs(), "the reversed order is not DER's");
    m.resign(&key("client2048"));
    server_accepts(&m.encode());
}

/// The other way round: signed over the DER order, sent in another (a re-encoding peer).
#[test]
fn unsorted_signed_attributes_signed_in_der_order_verify() {
    let (bytes, _) = pkcs_req();
    let mut m = Msg::parse(&bytes);
    m.attrs().children().reverse();
    server_accepts(&m.encode());
}

/// `rsaEncryption` as the SignerInfo's signature algorithm (certmonger, OpenXPKI, Apple), with
/// NULL or absent parameters; the signature algorithm is not signed, so no re-signing.
#[test]
fn rsa_encryption_as_signature_algorithm() {
    let (bytes, _) = pkcs_req();
    for params in [Some(vec![0x05, 0x00]), None] {
        let mut m = Msg::parse(&bytes);
        let si = m.signer_info();
        let alg = si.child(4);
        assert_eq!(alg.tag(), 0x30);
        let mut children = vec![Node::Raw(
            der::Encode::to_der(&scep::oid::RSA_ENCRYPTION).unwrap(),
        )];
        if let Some(p) = &params {
            children.push(Node::Raw(p.clone()));
        }
        *alg = Node::Cons {
            tag: 0x30,
            children,
            indefinite: false,
        };
        let req = server_accepts(&m.encode());
        assert_eq!(
            req.opened().signature,
            scep::crypto::SignatureAlgorithm::RsaPkcs1v15(scep::crypto::DigestAlgorithm::Sha256)
        );
    }
}

/// Digest AlgorithmIdentifiers with absent parameters (micromdm/scepclient, Windows MD5
/// captures) as well as NULL (Cisco, OpenSSL), in the SignerInfo and in the SignedData's
/// `digestAlgorithms`, and for the signature algorithm.
#[test]
fn digest_parameters_absent_or_null() {
    let (bytes, _) = pkcs_req();
    for null in [false, true] {
        let mut m = Msg::parse(&bytes);
        let set = |alg: &mut Node| {
            let c = alg.children();
            c.truncate(1);
            if null {
                c.push(Node::Prim {
                    tag: 0x05,
                    content: vec![],
                });
            }
        };
        set(m.signed_data().child(1).child(0));
        set(m.signer_info().child(2));
        set(m.signer_info().child(4));
        let out = m.encode();
        assert_ne!(out, bytes);
        server_accepts(&out);
    }
}

/// Windows clients embed signer certificates whose authorityKeyIdentifier is marked critical;
/// nothing may refuse them for it. Our client certificate, made the same way and re-signed,
/// through the server; and the real Windows request in the shared vectors.
#[test]
fn windows_certificate_with_critical_authority_key_identifier() {
    let client = key("client2048");
    let mut cert = parse(client.certificate().as_der());
    let tbs = cert.child(0);
    let exts = tbs.find(0xa3).child(0);
    let aki_oid =
        der::Encode::to_der(&const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER).unwrap();
    let aki = exts
        .children()
        .iter_mut()
        .find(|e| {
            let mut e = (*e).clone();
            e.child(0).encode() == aki_oid
        })
        .expect("the test certificate has an AKI");
    assert_eq!(aki.children().len(), 2, "not critical yet");
    aki.children().insert(
        1,
        Node::Prim {
            tag: 0x01,
            content: vec![0xff],
        },
    );
    let tbs_der = cert.child(0).encode();
    let sig = Signer::sign(&client, &tbs_der).unwrap();
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    *cert.child(2).content() = bits;
    let windows_cert = Certificate::from_der(&cert.encode()).unwrap();
    let ext = windows_cert
        .extensions()
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .unwrap();
    assert!(ext.critical);
    let signer = RsaKey::new(client.private_key().clone(), windows_cert.clone()).unwrap();
    let (req, _) = client_for(KeyTransport::RsaPkcs1v15)
        .enroll(&csr(), &signer, &mut support::rng())
        .unwrap();
    let opened = server_accepts(&req.body);
    assert_eq!(opened.signer_certificate(), &windows_cert);
    assert_eq!(
        opened.signer_kind(support::now(), &scep::trust::NoneRevoked),
        SignerKind::SelfSigned
    );

    let Some(dir) = support::vectors() else {
        return;
    };
    let bytes = support::read(&dir, "smallstep-pkcs7/windows_device_pkcsreq.der");
    let v = envelope::parse(&bytes, &OpenOptions::DEFAULT)
        .unwrap()
        .verify(&PROVIDER)
        .unwrap();
    let aki = v
        .signer()
        .extensions()
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .unwrap();
    assert!(
        aki.critical,
        "the real Windows certificate has a critical AKI"
    );
}

/// NDES and micromdm may omit the signer certificate from a CertRep: the client verifies it
/// with the certificates GetCACert gave it. (The real NDES reply is pinned in
/// `vectors::ndes_reply_without_certificates_needs_the_ra_certificate`.)
#[test]
fn certrep_without_signer_certificate_verifies_with_get_ca_cert_certificates() {
    let (reply, tx) = success_reply();
    let mut m = Msg::parse(&reply);
    let sd = m.signed_data();
    let before = sd.children().len();
    sd.children().retain(|c| c.tag() != 0xa0);
    assert_eq!(sd.children().len(), before - 1, "certificates removed");
    let stripped = m.encode();
    assert!(
        envelope::parse(&stripped, &OpenOptions::DEFAULT)
            .unwrap()
            .certificates()
            .is_empty()
    );
    client_accepts(&stripped, &tx);
}

/// jscep and NDES replies without senderNonce, and NDES (PyScep: "NDES does not even include
/// this") and ours without signingTime: the client accepts both.
#[test]
fn certrep_without_sender_nonce_or_signing_time_is_accepted() {
    let (reply, tx) = success_reply();
    let mut m = Msg::parse(&reply);
    assert_eq!(m.attr_index(&scep::oid::SIGNING_TIME), None);
    m.remove_attr(&scep::oid::SENDER_NONCE);
    m.resign(&key("ra2048"));
    let bytes = m.encode();
    let p = envelope::parse(&bytes, &OpenOptions::DEFAULT).unwrap();
    assert_eq!(p.sender_nonce(), None);
    assert_eq!(p.signing_time(), None);
    client_accepts(&bytes, &tx);
    // A request needs its senderNonce (RFC 8894 §3.2.1.5): that one is not optional.
    let (req, _) = pkcs_req();
    let mut m = Msg::parse(&req);
    m.remove_attr(&scep::oid::SENDER_NONCE);
    m.resign(&key("client2048"));
    assert_eq!(
        envelope::parse(&m.encode(), &OpenOptions::DEFAULT).err(),
        Some(Error::MissingAttribute(scep::error::Attribute::SenderNonce))
    );
}

/// Some clients swap the names in a CertPoll's IssuerAndSubject; the server matches polls by
/// transaction ID (RFC 8894 §3.3.3), so the swapped poll is still answered.
#[test]
fn swapped_issuer_and_subject_in_cert_poll_is_answered() {
    let mut rng = support::rng();
    let client = key("client2048");
    let ra = key("ra2048");
    let tx = TransactionId::new("SWAPPED-POLL-1").unwrap();
    let msg = PkiMessage {
        transaction_id: tx.clone(),
        sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
        recipient_nonce: None,
        body: MessageBody::CertPoll(IssuerAndSubject {
            issuer: client.certificate().subject().clone(),
            subject: ra.certificate().subject().clone(),
        }),
    };
    let bytes = envelope::seal(
        &msg,
        &client,
        Some(ra.certificate()),
        &SealOptions::DEFAULT,
        &PROVIDER,
        &mut rng,
    )
    .unwrap();
    let s = server();
    let req = expect_request(s.pki_operation(&bytes, &mut rng));
    assert_eq!(req.transaction_id(), &tx);
    let Request::CertPoll(ias) = req.request() else {
        panic!("{:?}", req.request())
    };
    assert_eq!(&ias.issuer, client.certificate().subject());
    let reply = s.reply(&req, Decision::Pending, &mut rng).unwrap();
    assert_eq!(reply.status, 200);
}

fn base64(der: &[u8]) -> String {
    // Standard base64 with padding, through our own encoder: the percent-encoding is undone.
    let enc = scep::http::encode_message(der);
    enc.replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=")
}

/// The GET encodings of real clients, end to end through `Server::handle`: RFC 8894 escaping;
/// macOS (`+` and `/` raw, only `=` escaped); strongSwan (`+` escaped, `/` and `=` raw); Cisco
/// IOS (wrapped at 64 columns with `%0A`, `/pkiclient.exe` appended, GET although POST is
/// offered); micromdm's client before 2026 (base64url); a form decoder that turned `+` into a
/// space; and an unpadded value.
#[test]
fn get_encodings_of_real_clients_reach_the_application() {
    let (bytes, _) = pkcs_req();
    let b64 = base64(&bytes);
    assert!(
        b64.contains('+') && b64.contains('/'),
        "the sample exercises + and /"
    );
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let variants = [
        (
            "rfc8894",
            HttpRequest::pki_operation("/scep", &bytes, false).path_and_query,
        ),
        (
            "macos",
            format!(
                "/scep?operation=PKIOperation&message={}",
                b64.replace('=', "%3D")
            ),
        ),
        (
            "strongswan",
            format!(
                "/scep?operation=PKIOperation&message={}",
                b64.replace('+', "%2B")
            ),
        ),
        (
            "cisco",
            format!(
                "/scep/pkiclient.exe?operation=PKIOperation&message={}",
                wrapped.join("%0A").replace('+', "%2B")
            ),
        ),
        (
            "base64url",
            format!(
                "/scep?message={}&operation=PKIOperation",
                b64.replace('+', "-").replace('/', "_").replace('=', "%3D")
            ),
        ),
        (
            "form-decoded",
            format!(
                "/scep?operation=PKIOperation&message={}",
                b64.replace('+', " ")
            ),
        ),
        (
            "unpadded",
            format!(
                "/scep?operation=PKIOperation&message={}",
                b64.trim_end_matches('=')
            ),
        ),
    ];
    let s = server();
    for (name, target) in variants {
        let req = expect_request(s.handle("GET", &target, b"", &mut support::rng()));
        assert_eq!(req.csr(), Some(&csr()), "{name}");
    }
}

/// Windows 10 / Intune and NDES use RSAES-OAEP key transport with an empty parameters
/// SEQUENCE (all defaults: SHA-1, MGF1-SHA-1). Our client writes exactly that; the server opens
/// it and mirrors OAEP in its reply, which the client decrypts.
#[test]
fn rsa_oaep_key_transport_from_windows() {
    let mut rng = support::rng();
    let c = client_for(KeyTransport::OAEP_SHA1);
    let (req, tx) = c.enroll(&csr(), &key("client2048"), &mut rng).unwrap();
    let mut m = Msg::parse(&req.body);
    let env = m.econtent_bytes();
    // rsaOAEP OID followed by an empty SEQUENCE, as in the NDES capture.
    let oaep_empty = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07, 0x30, 0x00,
    ];
    assert!(env.windows(oaep_empty.len()).any(|w| w == oaep_empty));
    let s = server();
    let opened = expect_request(s.pki_operation(&req.body, &mut rng));
    assert_eq!(opened.opened().key_transport, Some(KeyTransport::OAEP_SHA1));
    let reply = s
        .reply(
            &opened,
            Decision::Issued {
                certificate: issued(),
                chain: vec![],
            },
            &mut rng,
        )
        .unwrap();
    match c
        .handle(
            &tx,
            reply.status,
            Some(reply.content_type),
            &reply.body,
            &key("client2048"),
            support::now(),
            &mut rng,
        )
        .unwrap()
    {
        Outcome::Issued { .. } => {}
        other => panic!("{other:?}"),
    }

    // The real NDES reply: its OAEP parameters parse (the recipient's key is not published,
    // so decrypting with another key ends in the one decryption error, not badAlg).
    let Some(dir) = support::vectors() else {
        return;
    };
    let bytes = support::read(&dir, "smallstep-scep/CertRep_success_ndes_nocerts.der");
    let o = OpenOptions::DEFAULT.with_allow_unmatched_recipient(true);
    let err = envelope::parse(&bytes, &o)
        .unwrap()
        .decrypt_unverified(&key("client2048"), &PROVIDER, &mut rng)
        .unwrap_err();
    assert_eq!(err, Error::Decrypt);
}

/// The server also reads AES-192 and AES-256 (certmonger reads `AES` as AES-256, sscep and
/// jscep can send AES-192) and mirrors the cipher it received.
#[test]
fn every_aes_key_size_is_read_and_mirrored() {
    let mut rng = support::rng();
    let client = key("client2048");
    let ra = key("ra2048");
    let s = server();
    for cipher in [
        ContentEncryption::Aes128Cbc,
        ContentEncryption::Aes192Cbc,
        ContentEncryption::Aes256Cbc,
    ] {
        let msg = PkiMessage {
            transaction_id: TransactionId::random(&mut rng).unwrap(),
            sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
            recipient_nonce: None,
            body: MessageBody::PkcsReq(csr()),
        };
        let opts = SealOptions::DEFAULT.with_content_encryption(cipher);
        let bytes = envelope::seal(
            &msg,
            &client,
            Some(ra.certificate()),
            &opts,
            &PROVIDER,
            &mut rng,
        )
        .unwrap();
        let req = expect_request(s.pki_operation(&bytes, &mut rng));
        assert_eq!(req.message_type(), MessageType::PkcsReq);
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
        assert_eq!(reply.status, 200);
        let ok = s
            .reply(
                &req,
                Decision::Issued {
                    certificate: client.certificate().clone(),
                    chain: vec![],
                },
                &mut rng,
            )
            .unwrap();
        let opened = envelope::open(
            &ok.body,
            &OpenOptions::DEFAULT,
            &PROVIDER,
            &client,
            &mut rng,
        )
        .unwrap();
        assert_eq!(opened.content_encryption, Some(cipher));
    }
}

// Tolerances pinned by tests elsewhere (each fails if the tolerance goes):
// - indefinite-length BER, real messages: `vectors::every_scep_message_decodes_with_the_documented_fields`
//   (rustcrypto-formats/pkcsreq_ber_2022.der, an Apple-style client; ejbca/ciscopix_pkcsreq_ber.der),
//   `ber::tests::cisco_pix`, `ber::tests::ber_twin_has_the_same_econtent`.
// - constructed `[0] encryptedContent` from micromdm's client: `captures::scepclient_pkcsreq_and_renewalreq_open`,
//   `ber::tests::micromdm_encrypted_content`.
// - `rsaEncryption` as signature algorithm, real: `captures::certmonger_pkcsreq_and_getcertinitial_open`;
//   emitted: `roundtrip::key_transports_and_signature_oids_round_trip`.
// - digest parameters absent, real: `captures::scepclient_pkcsreq_and_renewalreq_open`
//   (SHA-1 without NULL).
// - CertRep without signer certificate, real NDES: `vectors::signatures_verify_and_the_bad_one_does_not`,
//   `vectors::ndes_reply_without_certificates_needs_the_ra_certificate`.
// - CertRep without senderNonce, real micromdm 2016 and jscep replies:
//   `vectors::every_scep_message_decodes_with_the_documented_fields`.
// - signingTime with a UTC offset: `vectors::micromdm_signing_time_with_offset_is_read_as_utc`.
// - GET encodings, unit level: `http::tests::micromdm_regression_every_spelling`,
//   `http::tests::get_padding_variants`, `http::tests::get_line_wrapped`,
//   `http::tests::get_parameter_order_case_and_extras`, `captures::certmonger_get_query_decodes_to_its_message`,
//   `captures::scepclient_base64url_get_is_read`.
// - OAEP, including Go's mislabelled SHA-256: `vectors::openssl_enveloped_data_fixtures_decrypt`.
// - strict DER out, PrintableString attributes: `roundtrip::output_is_strict_der_with_printable_strings`.
