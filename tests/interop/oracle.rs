//! Padding-oracle resistance end to end on the server (RFC 3218; `SECURITY-NOTES.md`): bad
//! PKCS #1 padding, a key of the wrong length, bad CBC padding and a plaintext that does not
//! decode all give the same HTTP status and content type, and a signed CertRep FAILURE with the
//! same failInfo (badMessageCheck), no text, and the same length. `benches/oracle.rs` times the
//! same paths.

use scep::attr::FailInfo;
use scep::envelope::{self, OpenOptions};
use scep::http::CONTENT_TYPE_PKI_MESSAGE;
use scep::message::{CertRep, MessageBody};
use scep::provider::rustcrypto::PROVIDER;
use scep::server::Incoming;

use crate::oracle_cases::cases;
use crate::support;

#[test]
fn every_decryption_failure_gets_the_same_answer() {
    let c = cases();
    let ra_cert = c.server_cert();
    let extra = [ra_cert];
    let opts = OpenOptions::DEFAULT.with_extra_certificates(&extra);
    let mut answers = Vec::new();
    for (name, request) in &c.requests {
        let incoming = c.server.handle(
            "POST",
            "/scep?operation=PKIOperation",
            request,
            &mut support::rng(),
        );
        match incoming {
            Incoming::Request(req) if name.starts_with("valid") => {
                assert!(req.csr().is_some(), "{name}");
            }
            Incoming::Refused {
                response: resp,
                reason,
                message_type,
                transaction_id,
            } if !name.starts_with("valid") => {
                // The operator's log says "decrypt" for every cause, nothing finer.
                assert_eq!(reason, scep::Error::Decrypt, "{name}");
                assert_eq!(
                    message_type,
                    Some(scep::attr::MessageType::PkcsReq),
                    "{name}"
                );
                assert!(transaction_id.is_some(), "{name}");
                let opened =
                    envelope::open(&resp.body, &opts, &PROVIDER, &c.client, &mut support::rng())
                        .unwrap_or_else(|e| panic!("{name}: reply does not open: {e:?}"));
                let MessageBody::CertRep(CertRep::Failure { info, text }) = opened.message.body
                else {
                    panic!("{name}: {:?}", opened.message.body)
                };
                answers.push((
                    *name,
                    resp.status,
                    resp.content_type,
                    info,
                    text,
                    resp.body.len(),
                ));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(answers.len(), 4);
    for a in &answers {
        assert_eq!(
            (a.1, a.2, a.3, &a.4, a.5),
            (
                200,
                CONTENT_TYPE_PKI_MESSAGE,
                FailInfo::BadMessageCheck,
                &None,
                answers[0].5
            ),
            "{}",
            a.0
        );
    }
}
