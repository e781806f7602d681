//! Limits are checked before the work they bound, and every error maps to a failInfo.

use scep::attr::FailInfo;
use scep::envelope::{self, Limits, OpenOptions, SealOptions};
use scep::error::{AlgorithmKind, Attribute, Error, Limit, Structure};
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
    let opts = SealOptions {
        extra_certificates: &extra,
        ..SealOptions::DEFAULT
    };
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
    let limits = Limits {
        max_message_size: 100,
        ..Limits::DEFAULT
    };
    let opts = OpenOptions {
        limits,
        ..OpenOptions::DEFAULT
    };
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
    let tight = OpenOptions {
        limits: Limits {
            max_certificates: 1,
            ..Limits::DEFAULT
        },
        ..OpenOptions::DEFAULT
    };
    assert_eq!(
        envelope::parse(&bytes, &tight).err(),
        Some(Error::LimitExceeded(Limit::Certificates))
    );
    // Inside the envelope the three certificates exceed a limit of two: after decryption,
    // every failure is the one decryption error.
    let inner = OpenOptions {
        limits: Limits {
            max_certificates: 2,
            ..Limits::DEFAULT
        },
        ..OpenOptions::DEFAULT
    };
    assert_eq!(
        envelope::open(&bytes, &inner, &PROVIDER, &client, &mut rng).err(),
        Some(Error::Decrypt)
    );
    let attrs = OpenOptions {
        limits: Limits {
            max_attributes: 3,
            ..Limits::DEFAULT
        },
        ..OpenOptions::DEFAULT
    };
    assert_eq!(
        envelope::parse(&bytes, &attrs).err(),
        Some(Error::LimitExceeded(Limit::Attributes))
    );
    let shallow = OpenOptions {
        limits: Limits {
            max_depth: 3,
            ..Limits::DEFAULT
        },
        ..OpenOptions::DEFAULT
    };
    assert_eq!(
        envelope::parse(&bytes, &shallow).err(),
        Some(Error::LimitExceeded(Limit::Depth))
    );
    let small_keys = OpenOptions {
        limits: Limits {
            max_rsa_bits: 1024,
            ..Limits::DEFAULT
        },
        ..OpenOptions::DEFAULT
    };
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
