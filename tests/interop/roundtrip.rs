//! Seal → open through the public API for every message type × content cipher × digest, with
//! a software key and with an opaque key holder (a stand-in for a secure element).

use core::cell::Cell;

use scep::Certificate;
use scep::attr::{FailInfo, FailInfoText, Nonce, TransactionId};
use scep::crypto::{
    ContentEncryption, CryptoError, Decryptor, DigestAlgorithm, KeyTransport, SignatureAlgorithm,
    Signer,
};
use scep::envelope::{self, OpenOptions, SealOptions, SignatureOid};
use scep::error::{Attribute, Error};
use scep::message::{
    CertRep, CertsOnly, Crl, Csr, IssuerAndSerialNumber, IssuerAndSubject, MessageBody, PkiMessage,
};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use zeroize::Zeroizing;

use crate::support::{self, Backend, Cert};

pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

pub fn key(name: &str) -> RsaKey {
    let cert = Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap();
    let pem = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(format!("{name}.pkcs8.pem")),
    )
    .or_else(|_| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(format!("{name}.pkcs1.pem")),
        )
    })
    .unwrap();
    RsaKey::from_pem(&pem, cert).unwrap()
}

/// `key(name)` in the key holder of the backend under test.
pub fn key_for<B: Backend>(name: &str) -> B::Key {
    B::from_rsa_key(key(name))
}

#[allow(unused_mut)]
fn ciphers() -> Vec<ContentEncryption> {
    let mut v = vec![
        ContentEncryption::DesEde3Cbc,
        ContentEncryption::Aes128Cbc,
        ContentEncryption::Aes192Cbc,
        ContentEncryption::Aes256Cbc,
    ];
    #[cfg(feature = "insecure-legacy")]
    v.push(ContentEncryption::DesCbc);
    v
}

#[allow(unused_mut)]
fn digests() -> Vec<DigestAlgorithm> {
    let mut v = vec![
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha224,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ];
    #[cfg(feature = "insecure-legacy")]
    v.push(DigestAlgorithm::Md5);
    v
}

/// Every body a pkiMessage can carry.
pub fn bodies(client: &RsaKey, ra: &RsaKey) -> Vec<MessageBody> {
    bodies_of(client.certificate(), ra.certificate())
}

/// Every body a pkiMessage between these two certificates' holders can carry.
pub fn bodies_of(client: &Certificate, ra: &Certificate) -> Vec<MessageBody> {
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let ias = IssuerAndSerialNumber::for_certificate(client).unwrap();
    let crl = Crl::from_der(&data("ra2048.crl.der")).unwrap();
    vec![
        MessageBody::PkcsReq(csr.clone()),
        MessageBody::RenewalReq(csr),
        MessageBody::CertPoll(IssuerAndSubject {
            issuer: ra.subject().clone(),
            subject: client.subject().clone(),
        }),
        MessageBody::GetCert(ias.clone()),
        MessageBody::GetCrl(ias),
        MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(vec![
            client.clone(),
            ra.clone(),
        ]))),
        MessageBody::CertRep(CertRep::Success(CertsOnly {
            certificates: vec![],
            crls: vec![crl],
        })),
        MessageBody::CertRep(CertRep::Failure {
            info: FailInfo::BadRequest,
            text: Some(FailInfoText::new("challenge password wrong — è").unwrap()),
        }),
        MessageBody::CertRep(CertRep::Failure {
            info: FailInfo::BadCertId,
            text: None,
        }),
        MessageBody::CertRep(CertRep::Pending),
    ]
}

pub fn message(body: MessageBody, rng: &mut getrandom::SysRng) -> PkiMessage {
    let is_reply = matches!(body, MessageBody::CertRep(_));
    PkiMessage {
        transaction_id: TransactionId::random(rng).unwrap(),
        sender_nonce: Some(Nonce::random(rng).unwrap()),
        recipient_nonce: is_reply.then(|| Nonce::random(rng).unwrap()),
        body,
    }
}

#[allow(unused_mut)]
fn legacy_opts<'a>(
    mut s: SealOptions<'a>,
    mut o: OpenOptions<'a>,
) -> (SealOptions<'a>, OpenOptions<'a>) {
    #[cfg(feature = "insecure-legacy")]
    {
        s.legacy = scep::crypto::Legacy::allow_if(true).unwrap();
        o.legacy = scep::crypto::Legacy::allow_if(true).unwrap();
    }
    (s, o)
}

/// Every message type × every content cipher × every digest, requests to the RA and replies to
/// the client, through seal and open.
fn every_type_cipher_and_digest_round_trips<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    let mut n = 0;
    for digest in digests() {
        for cipher in ciphers() {
            for body in bodies_of(client.cert(), ra.cert()) {
                let is_reply = matches!(body, MessageBody::CertRep(_));
                let (signer, recipient) = if is_reply {
                    (&ra, &client)
                } else {
                    (&client, &ra)
                };
                let signer = B::with_signature_algorithm(
                    signer.clone(),
                    SignatureAlgorithm::RsaPkcs1v15(digest),
                );
                let msg = message(body, &mut rng);
                let (seal_opts, open_opts) = legacy_opts(
                    SealOptions::DEFAULT.with_content_encryption(cipher),
                    OpenOptions::DEFAULT,
                );
                let bytes = envelope::seal(
                    &msg,
                    &signer,
                    Some(recipient.cert()),
                    &seal_opts,
                    &B::PROVIDER,
                    &mut rng,
                )
                .unwrap_or_else(|e| {
                    panic!("{digest:?} {cipher:?} {:?}: {e:?}", msg.message_type())
                });
                let opened = envelope::open(&bytes, &open_opts, &B::PROVIDER, recipient, &mut rng)
                    .unwrap_or_else(|e| {
                        panic!("{digest:?} {cipher:?} {:?}: {e:?}", msg.message_type())
                    });
                assert_eq!(opened.message, msg);
                assert_eq!(opened.digest, digest);
                assert_eq!(
                    opened.signer.as_ref().unwrap().as_der(),
                    signer.cert().as_der()
                );
                assert_eq!(
                    opened.content_encryption,
                    msg.body.has_envelope().then_some(cipher)
                );
                n += 1;
            }
        }
    }
    assert!(n >= 200, "{n}");
}

fn key_transports_and_signature_oids_round_trip<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    for kt in [
        KeyTransport::RsaPkcs1v15,
        KeyTransport::OAEP_SHA1,
        KeyTransport::OAEP_SHA256,
        KeyTransport::RsaOaep {
            hash: DigestAlgorithm::Sha256,
            mgf1: DigestAlgorithm::Sha1,
        },
    ] {
        for oid in [SignatureOid::Combined, SignatureOid::RsaEncryption] {
            let msg = message(bodies_of(client.cert(), ra.cert()).remove(0), &mut rng);
            let opts = SealOptions::DEFAULT
                .with_key_transport(kt)
                .with_signature_oid(oid);
            let bytes = envelope::seal(
                &msg,
                &client,
                Some(ra.cert()),
                &opts,
                &B::PROVIDER,
                &mut rng,
            )
            .unwrap();
            let opened =
                envelope::open(&bytes, &OpenOptions::DEFAULT, &B::PROVIDER, &ra, &mut rng).unwrap();
            assert_eq!(opened.message, msg);
            assert_eq!(opened.key_transport, Some(kt));
        }
    }
}

/// Legacy algorithms need both the feature and the run-time opt-in, on both sides.
#[cfg(feature = "insecure-legacy")]
fn legacy_algorithms_need_the_runtime_opt_in<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    let msg = message(bodies_of(client.cert(), ra.cert()).remove(0), &mut rng);
    let des = SealOptions::DEFAULT.with_content_encryption(ContentEncryption::DesCbc);
    assert_eq!(
        envelope::seal(&msg, &client, Some(ra.cert()), &des, &B::PROVIDER, &mut rng).err(),
        Some(Error::LegacyAlgorithm)
    );
    let md5 = B::with_signature_algorithm(
        client.clone(),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Md5),
    );
    assert_eq!(
        envelope::seal(
            &msg,
            &md5,
            Some(ra.cert()),
            &SealOptions::DEFAULT,
            &B::PROVIDER,
            &mut rng
        )
        .err(),
        Some(Error::LegacyAlgorithm)
    );
    let bytes = envelope::seal(
        &msg,
        &client,
        Some(ra.cert()),
        &des.with_legacy(scep::crypto::Legacy::allow_if(true).unwrap_or_default()),
        &B::PROVIDER,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        envelope::open(&bytes, &OpenOptions::DEFAULT, &B::PROVIDER, &ra, &mut rng).err(),
        Some(Error::LegacyAlgorithm)
    );
}

/// A secure element stand-in: the private key lives in a private field of a module nobody else
/// can reach; only the traits are exposed, and every use is counted.
pub mod secure_element {
    use super::*;

    pub struct Chip {
        key: RsaKey,
        pub signs: Cell<usize>,
        pub decrypts: Cell<usize>,
        /// Sign like a digest-only device: hash here, then PKCS #1-pad a DigestInfo.
        digest_only: bool,
    }

    impl Chip {
        pub fn new(key: RsaKey, digest_only: bool) -> Self {
            Self {
                key,
                signs: Cell::new(0),
                decrypts: Cell::new(0),
                digest_only,
            }
        }
    }

    impl Signer for Chip {
        fn certificate(&self) -> &Certificate {
            self.key.certificate()
        }
        fn signature_algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256)
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
            self.signs.set(self.signs.get() + 1);
            if self.digest_only {
                let hash = PROVIDER.digests.digest(DigestAlgorithm::Sha256, message)?;
                let info = scep::crypto::digest_info(DigestAlgorithm::Sha256, hash.as_bytes());
                use rsa::pkcs1v15::Pkcs1v15Sign;
                self.key
                    .private_key()
                    .sign(Pkcs1v15Sign::new_unprefixed(), &info)
                    .map_err(|_| CryptoError::Failed)
            } else {
                Signer::sign(&self.key, message)
            }
        }
    }

    impl Decryptor for Chip {
        fn certificate(&self) -> &Certificate {
            self.key.certificate()
        }
        fn decrypt_key(
            &self,
            alg: KeyTransport,
            ek: &[u8],
            len: usize,
        ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
            self.decrypts.set(self.decrypts.get() + 1);
            self.key.decrypt_key(alg, ek, len)
        }
    }
}

fn opaque_key_holders_work_without_exposing_the_key<B: Backend>() {
    let mut rng = support::rng();
    for digest_only in [false, true] {
        let client = secure_element::Chip::new(key("client2048"), digest_only);
        let ra = secure_element::Chip::new(key("ra2048"), digest_only);
        let client_sw = key("client2048");
        for body in bodies_of(client_sw.certificate(), key("ra2048").certificate()) {
            let is_reply = matches!(body, MessageBody::CertRep(_));
            let (signer, recipient): (&dyn Signer, &secure_element::Chip) = if is_reply {
                (&ra, &client)
            } else {
                (&client, &ra)
            };
            let msg = message(body, &mut rng);
            let bytes = envelope::seal(
                &msg,
                signer,
                Some(Decryptor::certificate(recipient)),
                &SealOptions::DEFAULT,
                &B::PROVIDER,
                &mut rng,
            )
            .unwrap();
            let opened = envelope::open(
                &bytes,
                &OpenOptions::DEFAULT,
                &B::PROVIDER,
                recipient,
                &mut rng,
            )
            .unwrap();
            assert_eq!(opened.message, msg);
        }
        assert_eq!(client.signs.get() + ra.signs.get(), 10);
        // Seven of the ten bodies carry an envelope; FAILURE (twice) and PENDING do not.
        assert_eq!(client.decrypts.get() + ra.decrypts.get(), 7);
    }
}

fn failure_and_pending_carry_no_envelope_and_need_no_recipient<B: Backend>() {
    let mut rng = support::rng();
    let ra = key_for::<B>("ra2048");
    for body in [
        MessageBody::CertRep(CertRep::Pending),
        MessageBody::CertRep(CertRep::Failure {
            info: FailInfo::BadAlg,
            text: None,
        }),
    ] {
        let msg = message(body, &mut rng);
        let bytes = envelope::seal(
            &msg,
            &ra,
            None,
            &SealOptions::DEFAULT,
            &B::PROVIDER,
            &mut rng,
        )
        .unwrap();
        let p = envelope::parse(&bytes, &OpenOptions::DEFAULT).unwrap();
        assert!(!p.has_content());
    }
    // A request without a recipient cannot be sealed.
    let client = key_for::<B>("client2048");
    let msg = message(bodies_of(client.cert(), ra.cert()).remove(0), &mut rng);
    assert_eq!(
        envelope::seal(
            &msg,
            &client,
            None,
            &SealOptions::DEFAULT,
            &B::PROVIDER,
            &mut rng
        )
        .err(),
        Some(Error::InvalidInput)
    );
}

fn tampering_is_caught_before_decryption<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = secure_element::Chip::new(key("ra2048"), false);
    let msg = message(
        bodies_of(client.cert(), key("ra2048").certificate()).remove(0),
        &mut rng,
    );
    let bytes = envelope::seal(
        &msg,
        &client,
        Some(Decryptor::certificate(&ra)),
        &SealOptions::DEFAULT,
        &B::PROVIDER,
        &mut rng,
    )
    .unwrap();
    // Flip one bit of the encrypted content (deep inside eContent): the digest no longer matches.
    let mut tampered = bytes.clone();
    // eContent comes first in the SignedData, so offset 200 is inside the envelope.
    tampered[200] ^= 1;
    let err = envelope::open(
        &tampered,
        &OpenOptions::DEFAULT,
        &B::PROVIDER,
        &ra,
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DigestMismatch | Error::BadSignature | Error::Malformed(_)
        ),
        "{err:?}"
    );
    assert_eq!(ra.decrypts.get(), 0, "nothing was decrypted");
}

fn the_wrong_recipient_is_refused_by_identifier_not_by_trial<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    let other = secure_element::Chip::new(key("rsa2048"), false);
    let msg = message(bodies_of(client.cert(), ra.cert()).remove(0), &mut rng);
    let bytes = envelope::seal(
        &msg,
        &client,
        Some(ra.cert()),
        &SealOptions::DEFAULT,
        &B::PROVIDER,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        envelope::open(
            &bytes,
            &OpenOptions::DEFAULT,
            &B::PROVIDER,
            &other,
            &mut rng
        )
        .err(),
        Some(Error::RecipientNotFound)
    );
    assert_eq!(other.decrypts.get(), 0);
}

/// With the right recipient identifier but the wrong key, every failure is the same error
/// (RFC 3218): the decryptor's failure is replaced by a random key and the CBC layer fails.
fn all_decryption_failures_are_one_error<B: Backend>() {
    type Lie = fn(&RsaKey, KeyTransport, &[u8], usize) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
    struct Liar(RsaKey, Lie);
    impl Decryptor for Liar {
        fn certificate(&self) -> &Certificate {
            self.0.certificate()
        }
        fn decrypt_key(
            &self,
            a: KeyTransport,
            ek: &[u8],
            n: usize,
        ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
            (self.1)(&self.0, a, ek, n)
        }
    }
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    let msg = message(bodies_of(client.cert(), ra.cert()).remove(0), &mut rng);
    let bytes = envelope::seal(
        &msg,
        &client,
        Some(ra.cert()),
        &SealOptions::DEFAULT,
        &B::PROVIDER,
        &mut rng,
    )
    .unwrap();
    let liars: [Lie; 4] = [
        |_, _, _, _| Err(CryptoError::Failed),
        |_, _, _, n| Ok(Zeroizing::new(vec![0x42; n])),
        |_, _, _, n| Ok(Zeroizing::new(vec![0x42; n + 1])),
        |_, _, _, _| Ok(Zeroizing::new(vec![])),
    ];
    for liar in liars {
        let d = Liar(key("ra2048"), liar);
        assert_eq!(
            envelope::open(&bytes, &OpenOptions::DEFAULT, &B::PROVIDER, &d, &mut rng).err(),
            Some(Error::Decrypt)
        );
    }
}

fn required_attributes_and_types_are_enforced_on_open<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    // A request without senderNonce cannot be built...
    let mut msg = message(bodies_of(client.cert(), ra.cert()).remove(0), &mut rng);
    msg.sender_nonce = None;
    assert_eq!(
        envelope::seal(
            &msg,
            &client,
            Some(ra.cert()),
            &SealOptions::DEFAULT,
            &B::PROVIDER,
            &mut rng
        )
        .err(),
        Some(Error::InvalidInput)
    );
    // ...and a transaction ID must be a PrintableString.
    assert_eq!(
        TransactionId::new("device_1").err(),
        Some(Error::InvalidInput)
    );
    let _ = Attribute::SenderNonce;
}

fn output_is_strict_der_with_printable_strings<B: Backend>() {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use der::{Decode, Encode, Tag, Tagged};
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    // `cms` parses certificates with RFC 5280 limits, so the RA here has a short serial.
    let ra = key_for::<B>("rsa2048");
    for body in bodies_of(client.cert(), ra.cert()) {
        let is_reply = matches!(body, MessageBody::CertRep(_));
        let (signer, recipient) = if is_reply {
            (&ra, &client)
        } else {
            (&client, &ra)
        };
        let msg = message(body, &mut rng);
        let bytes = envelope::seal(
            &msg,
            signer,
            Some(recipient.cert()),
            &SealOptions::DEFAULT,
            &B::PROVIDER,
            &mut rng,
        )
        .unwrap();
        // The `cms` crate's strict DER decoder accepts the whole message and re-encodes it
        // byte for byte.
        let ci = ContentInfo::from_der(&bytes).unwrap();
        assert_eq!(ci.to_der().unwrap(), bytes);
        let sd: SignedData = ci.content.decode_as().unwrap();
        let attrs = sd
            .signer_infos
            .0
            .get(0)
            .unwrap()
            .signed_attrs
            .as_ref()
            .unwrap();
        let mut seen = 0;
        for attr in attrs.iter() {
            let value = attr.values.get(0).unwrap();
            let tag = value.tag();
            if attr.oid == scep::oid::FAIL_INFO_TEXT {
                assert_eq!(tag, Tag::Utf8String);
            } else if [
                scep::oid::MESSAGE_TYPE,
                scep::oid::PKI_STATUS,
                scep::oid::FAIL_INFO,
                scep::oid::TRANSACTION_ID,
            ]
            .contains(&attr.oid)
            {
                assert_eq!(tag, Tag::PrintableString, "{}", attr.oid);
                seen += 1;
            } else if [
                scep::oid::SENDER_NONCE,
                scep::oid::RECIPIENT_NONCE,
                scep::oid::MESSAGE_DIGEST,
            ]
            .contains(&attr.oid)
            {
                assert_eq!(tag, Tag::OctetString, "{}", attr.oid);
                if attr.oid == scep::oid::SENDER_NONCE {
                    assert_eq!(value.value().len(), 16);
                }
            }
        }
        assert!(seen >= 2, "messageType and transactionID at least");
        // Always an eContent (OpenSSL refuses a SignedData without one), empty for FAILURE and
        // PENDING.
        let econtent = sd.encap_content_info.econtent.as_ref().unwrap();
        assert_eq!(econtent.tag(), Tag::OctetString);
        assert_eq!(!econtent.value().is_empty(), msg.body.has_envelope());
    }
}

/// A payload that does not fit the message type is an error (here a CertPoll's
/// IssuerAndSubject presented as a PKCSReq's CSR). The messageType is rewritten after signing,
/// so the signature check must be skipped to reach the payload; the payload check then fails
/// with the one decryption error.
fn payload_must_match_the_message_type<B: Backend>() {
    let mut rng = support::rng();
    let client = key_for::<B>("client2048");
    let ra = key_for::<B>("ra2048");
    let poll = bodies_of(client.cert(), ra.cert()).remove(2);
    assert!(matches!(poll, MessageBody::CertPoll(_)));
    let msg = message(poll, &mut rng);
    let mut bytes = envelope::seal(
        &msg,
        &client,
        Some(ra.cert()),
        &SealOptions::DEFAULT,
        &B::PROVIDER,
        &mut rng,
    )
    .unwrap();
    let pattern = [0x13, 0x02, b'2', b'0'];
    let pos = bytes.windows(4).position(|w| w == pattern).unwrap();
    bytes[pos + 2..pos + 4].copy_from_slice(b"19"); // "20" (CertPoll) → "19" (PKCSReq)
    let parsed = envelope::parse(&bytes, &OpenOptions::DEFAULT).unwrap();
    assert_eq!(parsed.message_type(), scep::attr::MessageType::PkcsReq);
    assert_eq!(
        envelope::parse(&bytes, &OpenOptions::DEFAULT)
            .unwrap()
            .verify(&B::PROVIDER)
            .err(),
        Some(Error::BadSignature)
    );
    assert_eq!(
        parsed.decrypt_unverified(&ra, &B::PROVIDER, &mut rng).err(),
        Some(Error::Decrypt)
    );
}

crate::per_provider! {
    every_type_cipher_and_digest_round_trips,
    key_transports_and_signature_oids_round_trip,
    #[cfg(feature = "insecure-legacy")]
    legacy_algorithms_need_the_runtime_opt_in,
    opaque_key_holders_work_without_exposing_the_key,
    failure_and_pending_carry_no_envelope_and_need_no_recipient,
    tampering_is_caught_before_decryption,
    the_wrong_recipient_is_refused_by_identifier_not_by_trial,
    all_decryption_failures_are_one_error,
    required_attributes_and_types_are_enforced_on_open,
    output_is_strict_der_with_printable_strings,
    payload_must_match_the_message_type,
}
