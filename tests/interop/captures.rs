//! Real messages from the Debian peers (micromdm `scepclient`/`scepserver`, certmonger),
//! captured on loopback by `tests/data/peers/capture/capture.sh` (see `tests/data/NOTES.md`),
//! opened with the keys captured alongside.

use scep::attr::{FailInfo, MessageType, PkiStatus};
use scep::caps::{Capabilities, Capability};
use scep::crypto::ContentEncryption;
use scep::envelope::{self, OpenOptions};
use scep::http::{self, HttpLimits, Operation};
use scep::message::{CertRep, MessageBody};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::{Certificate, Error};

use crate::roundtrip::data;
use crate::support;

fn peer(name: &str) -> Vec<u8> {
    data(&format!("peers/{name}"))
}

fn ca() -> RsaKey {
    let cert = Certificate::from_pem(&peer("micromdm-ca.pem")).unwrap();
    RsaKey::from_pem(&peer("micromdm-ca.key.pem"), cert).unwrap()
}

#[allow(unused_mut)]
fn legacy() -> OpenOptions<'static> {
    let mut o = OpenOptions::DEFAULT;
    #[cfg(feature = "insecure-legacy")]
    {
        o.legacy = scep::crypto::Legacy::allow_if(true).unwrap();
    }
    o
}

#[test]
fn micromdm_get_ca_caps_and_ca_cert() {
    let caps = Capabilities::parse(&peer("scepserver-getcacaps.txt"));
    for c in [
        Capability::Renewal,
        Capability::Sha1,
        Capability::Sha256,
        Capability::Aes,
        Capability::Des3,
        Capability::ScepStandard,
        Capability::PostPkiOperation,
    ] {
        assert!(caps.contains(&c), "{c:?}");
    }
    assert_eq!(caps.len(), 7);
    let ca = Certificate::from_der(&peer("scepserver-getcacert.der")).unwrap();
    assert_eq!(
        ca.as_der(),
        Certificate::from_pem(&peer("micromdm-ca.pem"))
            .unwrap()
            .as_der()
    );
    // keyCertSign + cRLSign only: no keyEncipherment (selection must fall back to the CA).
    let ku = ca.key_usage().unwrap();
    assert!(!ku.key_encipherment() && ku.key_cert_sign());
}

/// scepclient: BER (constructed `[0]`), SHA-1 without NULL, single DES. Opens only with the
/// legacy opt-in; without the feature it is refused as legacy, not as malformed.
#[test]
fn scepclient_pkcsreq_and_renewalreq_open() {
    let ca = ca();
    let mut rng = support::rng();
    for (file, ty, challenge) in [
        ("scepclient-pkcsreq.der", MessageType::PkcsReq, "s3cret"),
        (
            "scepclient-renewalreq.der",
            MessageType::RenewalReq,
            "s3cret",
        ),
        (
            "scepclient-pkcsreq-badchallenge.der",
            MessageType::PkcsReq,
            "wrong",
        ),
    ] {
        let bytes = peer(file);
        let result = envelope::open(&bytes, &legacy(), &PROVIDER, &ca, &mut rng);
        if !cfg!(feature = "insecure-legacy") {
            assert_eq!(result.err(), Some(Error::LegacyAlgorithm), "{file}");
            continue;
        }
        let opened = result.unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(opened.message.message_type(), ty, "{file}");
        #[cfg(feature = "insecure-legacy")]
        assert_eq!(opened.content_encryption, Some(ContentEncryption::DesCbc));
        let csr = match &opened.message.body {
            MessageBody::PkcsReq(c) | MessageBody::RenewalReq(c) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(csr.challenge_password().as_deref(), Some(challenge));
        assert_eq!(csr.verify_signature(&PROVIDER), Ok(()));
        if ty == MessageType::RenewalReq {
            let old = Certificate::from_pem(&peer("scepclient.cert.pem")).unwrap();
            assert_eq!(opened.signer.unwrap().as_der(), old.as_der());
            assert_eq!(old.verify_issued_by(ca.certificate(), &PROVIDER), Ok(()));
        }
    }
}

/// certmonger: DER, SHA-256, `rsaEncryption` as signature algorithm, AES-256, a v1 self-signed
/// signer with a 33-octet serial, and a GetCertInitial.
#[test]
fn certmonger_pkcsreq_and_getcertinitial_open() {
    let ca = ca();
    let mut rng = support::rng();
    let opened = envelope::open(
        &peer("certmonger-pkcsreq.der"),
        &OpenOptions::DEFAULT,
        &PROVIDER,
        &ca,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        opened.content_encryption,
        Some(ContentEncryption::Aes256Cbc)
    );
    let signer = opened.signer.as_ref().unwrap();
    assert_eq!(signer.version(), 0, "a v1 certificate");
    assert!(signer.serial_number().len() >= 32);
    assert!(
        signer.to_rfc5280().is_err(),
        "x509-cert's RFC 5280 profile refuses it; we do not"
    );
    let MessageBody::PkcsReq(csr) = &opened.message.body else {
        panic!()
    };
    assert_eq!(csr.challenge_password().as_deref(), Some("s3cret"));
    assert_eq!(csr.verify_signature(&PROVIDER), Ok(()));
    assert!(csr.extension_request().is_some());

    let poll = envelope::open(
        &peer("certmonger-getcertinitial.der"),
        &OpenOptions::DEFAULT,
        &PROVIDER,
        &ca,
        &mut rng,
    )
    .unwrap();
    assert_eq!(poll.message.transaction_id, opened.message.transaction_id);
    let MessageBody::CertPoll(ias) = &poll.message.body else {
        panic!()
    };
    assert_eq!(&ias.subject, csr.subject());
    assert_eq!(&ias.issuer, ca.certificate().subject());
}

/// certmonger's GET query decodes to exactly the message it sent.
#[test]
fn certmonger_get_query_decodes_to_its_message() {
    let target = String::from_utf8(peer("certmonger-pkcsreq.get.txt")).unwrap();
    let req = http::parse_request("GET", target.trim_end(), b"", &HttpLimits::default()).unwrap();
    assert_eq!(req.operation, Operation::PkiOperation);
    assert_eq!(req.message.unwrap(), peer("certmonger-pkcsreq.der"));
}

/// scepclient's GET without capabilities uses base64url, which micromdm's own server refuses;
/// we read it.
#[test]
fn scepclient_base64url_get_is_read() {
    let target = String::from_utf8(peer("scepclient-pkcsreq.get.txt")).unwrap();
    let req = http::parse_request("GET", target.trim_end(), b"", &HttpLimits::default()).unwrap();
    let msg = req.message.unwrap();
    // The signed layer (SHA-1) parses either way; its DES envelope needs the legacy opt-in.
    let p = envelope::parse(&msg, &legacy()).unwrap();
    assert_eq!(p.message_type(), MessageType::PkcsReq);
    assert_eq!(p.transaction_id().as_str().len(), 28);
}

/// scepserver's replies: SUCCESS (decrypted with the client's key; the recipient names the
/// client's throw-away signer certificate, which was not kept, so the unmatched-recipient
/// option is needed) and FAILURE (empty eContent).
#[test]
fn scepserver_replies_open() {
    let mut rng = support::rng();
    let ca = Certificate::from_pem(&peer("micromdm-ca.pem")).unwrap();
    let extra = [ca.clone()];
    let failure_bytes = peer("scepserver-certrep-failure.der");
    let failure_opts = (legacy()).with_extra_certificates(&extra);
    let failure = envelope::parse(&failure_bytes, &failure_opts);
    if !cfg!(feature = "insecure-legacy") {
        // SHA-1 and DES: the failure parses (SHA-1 is allowed), the success needs legacy DES.
        let f = failure.unwrap().verify(&PROVIDER).unwrap();
        assert_eq!(f.parsed().pki_status(), Some(PkiStatus::Failure));
        return;
    }
    let client_cert = Certificate::from_pem(&peer("scepclient.cert.pem")).unwrap();
    let client = RsaKey::from_pem(&peer("scepclient.key.pem"), client_cert.clone()).unwrap();
    let mut o = legacy();
    o.extra_certificates = &extra;
    o.allow_unmatched_recipient = true;
    for (file, serial) in [
        ("scepserver-certrep-success.der", 2u8),
        ("scepserver-certrep-success-renewal.der", 3),
    ] {
        let opened = envelope::open(&peer(file), &o, &PROVIDER, &client, &mut rng)
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(opened.signer.as_ref().unwrap().as_der(), ca.as_der());
        let MessageBody::CertRep(CertRep::Success(certs)) = &opened.message.body else {
            panic!("{file}")
        };
        assert_eq!(certs.certificates.len(), 1);
        assert_eq!(certs.certificates[0].serial_number(), &[serial]);
        assert_eq!(
            certs.certificates[0].verify_issued_by(&ca, &PROVIDER),
            Ok(())
        );
        // micromdm reuses the request's nonce as its own senderNonce.
        assert_eq!(opened.message.sender_nonce, opened.message.recipient_nonce);
    }
    let opened = envelope::open(
        &peer("scepserver-certrep-failure.der"),
        &o,
        &PROVIDER,
        &client,
        &mut rng,
    )
    .unwrap();
    assert!(matches!(
        opened.message.body,
        MessageBody::CertRep(CertRep::Failure {
            info: FailInfo::BadRequest,
            text: None
        })
    ));
}
