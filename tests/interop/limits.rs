//! Limits are checked before the work they bound, and every error maps to a failInfo.

use scep::attr::FailInfo;
use scep::envelope::{self, OpenOptions, SealOptions};
use scep::error::{AlgorithmKind, Attribute, Error, Limit, Structure};
use scep::limits::Limits;
use scep::message::{CertRep, CertsOnly, MessageBody};
use scep::provider::rustcrypto::PROVIDER;

use crate::roundtrip::{bodies, key, message};
use crate::support;

fn sealed_reply_with_certs(n: usize) -> Vec<u8> {
    let mut rng = support::rng();
    let client = key("client2048");
    let ra = key("ra2048");
    let certs = (0..n).map(|_| client.certificate().clone()).collect();
    let msg = message(
        MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(certs))),
        &mut rng,
    );
    let extra = [client.certificate().clone()];
    let opts = SealOptions::DEFAULT.with_extra_certificates(&extra);
    envelope::seal(
        &msg,
        &ra,
        Some(client.certificate()),
        &opts,
        &PROVIDER,
        &mut rng,
    )
    .unwrap()
}

#[test]
fn size_is_checked_before_parsing() {
    let limits = Limits::DEFAULT.with_max_message_size(100);
    let opts = OpenOptions::DEFAULT.with_limits(limits);
    // Garbage larger than the limit: the limit, not a parse error, is what is reported.
    assert_eq!(
        envelope::parse(&[0xff; 101], &opts).err(),
        Some(Error::LimitExceeded(Limit::MessageSize))
    );
    assert_eq!(
        envelope::parse(&[0xff; 100], &opts).err(),
        Some(Error::Malformed(Structure::ContentInfo))
    );
    assert_eq!(
        CertsOnly::from_ber(&[0; 101], &limits).err(),
        Some(Error::LimitExceeded(Limit::MessageSize))
    );
}

#[test]
fn counts_and_depth_are_bounded() {
    let mut rng = support::rng();
    let client = key("client2048");
    let bytes = sealed_reply_with_certs(3);
    // The outer SignedData carries the RA (signer) certificate and one more: limit them to one.
    let tight = OpenOptions::DEFAULT.with_limits(Limits::DEFAULT.with_max_certificates(1));
    assert_eq!(
        envelope::parse(&bytes, &tight).err(),
        Some(Error::LimitExceeded(Limit::Certificates))
    );
    // Inside the envelope the three certificates exceed a limit of two: after decryption,
    // every failure is the one decryption error.
    let inner = OpenOptions::DEFAULT.with_limits(Limits::DEFAULT.with_max_certificates(2));
    assert_eq!(
        envelope::open(&bytes, &inner, &PROVIDER, &client, &mut rng).err(),
        Some(Error::Decrypt)
    );
    let attrs = OpenOptions::DEFAULT.with_limits(Limits::DEFAULT.with_max_attributes(3));
    assert_eq!(
        envelope::parse(&bytes, &attrs).err(),
        Some(Error::LimitExceeded(Limit::Attributes))
    );
    let shallow = OpenOptions::DEFAULT.with_limits(Limits::DEFAULT.with_max_depth(3));
    assert_eq!(
        envelope::parse(&bytes, &shallow).err(),
        Some(Error::LimitExceeded(Limit::Depth))
    );
    let small_keys = OpenOptions::DEFAULT.with_limits(Limits::DEFAULT.with_max_rsa_bits(1024));
    assert_eq!(
        envelope::parse(&bytes, &small_keys)
            .unwrap()
            .verify(&PROVIDER)
            .err(),
        Some(Error::LimitExceeded(Limit::RsaModulus))
    );
    // 100 000 nested indefinite SEQUENCEs: refused quickly, no stack overflow.
    let deep: Vec<u8> = [0x30, 0x80].repeat(100_000);
    assert!(envelope::parse(&deep, &OpenOptions::DEFAULT).is_err());
    let _ = bodies;
}

#[test]
fn errors_map_to_the_fail_info_a_server_answers() {
    use scep::crypto::CryptoError;
    let cases = [
        (
            Error::UnsupportedAlgorithm(AlgorithmKind::ContentEncryption),
            FailInfo::BadAlg,
        ),
        (Error::LegacyAlgorithm, FailInfo::BadAlg),
        (Error::BadSignature, FailInfo::BadMessageCheck),
        (Error::DigestMismatch, FailInfo::BadMessageCheck),
        (Error::Decrypt, FailInfo::BadMessageCheck),
        (Error::SignerNotFound, FailInfo::BadMessageCheck),
        (Error::RecipientNotFound, FailInfo::BadMessageCheck),
        (Error::Mismatch, FailInfo::BadCertId),
        (Error::Malformed(Structure::CertReq), FailInfo::BadRequest),
        (
            Error::MissingAttribute(Attribute::TransactionId),
            FailInfo::BadRequest,
        ),
        (
            Error::InvalidAttribute(Attribute::MessageType),
            FailInfo::BadRequest,
        ),
        (
            Error::LimitExceeded(Limit::MessageSize),
            FailInfo::BadRequest,
        ),
        (Error::Crypto(CryptoError::Failed), FailInfo::BadRequest),
    ];
    for (e, f) in cases {
        assert_eq!(e.fail_info(), f, "{e:?}");
        assert!(!e.to_string().is_empty());
    }
}

/// A CSR's public key arrives in the message too: a server limited to 1024-bit keys refuses a
/// 2048-bit CSR key (signed FAILURE, badRequest) before verifying the CSR with it.
#[test]
fn csr_key_size_is_bounded_by_max_rsa_bits() {
    use scep::caps::Capabilities;
    use scep::client::{Client, ClientOptions};
    use scep::message::Csr;
    use scep::provider::rustcrypto::RsaKey;
    use scep::server::{Incoming, Server, ServerOptions};
    let mut rng = support::rng();
    let ra = key("ra2048");
    let small = RsaKey::from_pem(
        &crate::roundtrip::data("rsa1024.pkcs1.pem"),
        scep::Certificate::from_pem(&crate::roundtrip::data("rsa1024.cert.pem")).unwrap(),
    )
    .unwrap();
    let client = scep::ca_certs::CaCertificates::new(vec![ra.certificate().clone()])
        .and_then(|ca| {
            Client::new(
                ca.trust_on_first_use(),
                Capabilities::rfc8894_server(),
                PROVIDER,
            )?
            .with_options(ClientOptions::default())
        })
        .unwrap();
    let csr = Csr::from_der(&crate::roundtrip::data("client2048.csr.der")).unwrap();
    let (req, _) = client.enroll(&csr, &small, &mut rng).unwrap();
    for (max_rsa_bits, accepted) in [(2048, true), (1024, false)] {
        let server = Server::new(
            ra.clone(),
            ra.clone(),
            vec![ra.certificate().clone()],
            Capabilities::rfc8894_server(),
            PROVIDER,
        )
        .with_options(
            ServerOptions::default().with_limits(Limits::DEFAULT.with_max_rsa_bits(max_rsa_bits)),
        );
        match server.pki_operation(&req.body, &mut rng) {
            Incoming::Request(r) => assert!(accepted, "{:?}", r.csr()),
            Incoming::Refused {
                response: resp,
                reason,
                ..
            } => {
                assert!(!accepted);
                assert_eq!(reason, Error::LimitExceeded(Limit::RsaModulus));
                let extra = [ra.certificate().clone()];
                let o = OpenOptions::DEFAULT.with_extra_certificates(&extra);
                let opened = envelope::open(&resp.body, &o, &PROVIDER, &small, &mut rng).unwrap();
                assert!(matches!(
                    opened.message.body,
                    MessageBody::CertRep(CertRep::Failure {
                        info: FailInfo::BadRequest,
                        ..
                    })
                ));
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Huge OID arcs (OpenSSL CVE-2023-2650): an OID longer than any real one is refused at once,
/// as the content type of a pkiMessage, of a certificates-only reply and of an attribute.
#[test]
fn huge_object_identifiers_are_refused_quickly() {
    use crate::surgery::{Node, tlv};
    let mut oid = vec![0x2a];
    oid.extend(std::iter::repeat_n(0xff, 100_000));
    oid.push(0x01);
    let ci = Node::Cons {
        tag: 0x30,
        children: vec![
            Node::Prim {
                tag: 0x06,
                content: oid.clone(),
            },
            Node::Raw(tlv(0xa0, &tlv(0x30, &[]))),
        ],
        indefinite: false,
    }
    .encode();
    let start = std::time::Instant::now();
    assert_eq!(
        envelope::parse(&ci, &OpenOptions::DEFAULT).err(),
        Some(Error::Malformed(Structure::ContentInfo))
    );
    assert!(CertsOnly::from_ber(&ci, &Limits::DEFAULT).is_err());
    assert!(scep::Certificate::from_der(&ci).is_err());
    // In a signed attribute of an otherwise valid message: still an error, not a hang.
    let (bytes, _) = crate::quirks::pkcs_req();
    let mut m = crate::surgery::Msg::parse(&bytes);
    m.attrs().children().push(Node::Raw(tlv(
        0x30,
        &[tlv(0x06, &oid), tlv(0x31, &tlv(0x05, &[]))].concat(),
    )));
    assert!(envelope::parse(&m.encode(), &OpenOptions::DEFAULT).is_err());
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}
