//! OpenSSL's `cms` command as a third party: it verifies and decrypts what we seal, and we
//! decrypt what it encrypts.

use scep::crypto::{ContentEncryption, DigestAlgorithm, KeyTransport, SignatureAlgorithm};
use scep::envelope::{self, OpenOptions, SealOptions};
use scep::message::MessageBody;
use scep::provider::rustcrypto::{PROVIDER, RsaKey};

use crate::roundtrip::{bodies, key, message};
use crate::support::{self, TempDir};

/// Every sealed message verifies with `openssl cms -verify` (over the signer certificate we
/// include), and every envelope decrypts with `openssl cms -decrypt` to exactly the payload.
#[test]
fn openssl_verifies_and_decrypts_what_we_seal() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("ossl-seal");
    let client = key("client2048");
    let ra = key("ra2048");
    std::fs::write(
        tmp.path("client.key"),
        client.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(tmp.path("client.crt"), client.certificate().to_pem()).unwrap();
    std::fs::write(tmp.path("ra.key"), ra.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(tmp.path("ra.crt"), ra.certificate().to_pem()).unwrap();
    let ciphers = [
        ContentEncryption::DesEde3Cbc,
        ContentEncryption::Aes128Cbc,
        ContentEncryption::Aes192Cbc,
        ContentEncryption::Aes256Cbc,
    ];
    let digests = [
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha224,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ];
    let transports = [
        KeyTransport::RsaPkcs1v15,
        KeyTransport::OAEP_SHA1,
        KeyTransport::OAEP_SHA256,
    ];
    let mut checked = 0;
    for (i, body) in bodies(&client, &ra).into_iter().enumerate() {
        let is_reply = matches!(body, MessageBody::CertRep(_));
        // Requests are signed by the client and encrypted to the RA; replies the other way.
        let (signer, recipient, rkey, rcrt): (&RsaKey, &RsaKey, &str, &str) = if is_reply {
            (&ra, &client, "client.key", "client.crt")
        } else {
            (&client, &ra, "ra.key", "ra.crt")
        };
        let cipher = ciphers[i % ciphers.len()];
        let digest = digests[i % digests.len()];
        let kt = transports[i % transports.len()];
        let signer = signer
            .clone()
            .with_signature_algorithm(SignatureAlgorithm::RsaPkcs1v15(digest));
        let msg = message(body, &mut rng);
        let opts = SealOptions::DEFAULT
            .with_content_encryption(cipher)
            .with_key_transport(kt);
        let der = envelope::seal(
            &msg,
            &signer,
            Some(recipient.certificate()),
            &opts,
            &PROVIDER,
            &mut rng,
        )
        .unwrap();
        std::fs::write(tmp.path("msg.der"), &der).unwrap();
        // Signature and messageDigest, checked by OpenSSL; the content comes out.
        // FAILURE and PENDING carry an empty eContent (their messageDigest is over nothing).
        let args = vec![
            "cms".to_owned(),
            "-verify".into(),
            "-inform".into(),
            "DER".into(),
            "-in".into(),
            tmp.s("msg.der"),
            "-noverify".into(),
            "-binary".into(),
            "-out".into(),
            tmp.s("env.der"),
        ];
        support::openssl(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let econtent = std::fs::read(tmp.path("env.der")).unwrap();
        if !msg.body.has_envelope() {
            assert!(econtent.is_empty(), "FAILURE/PENDING carry empty content");
            checked += 1;
            continue;
        }
        support::openssl(&[
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            &tmp.s("env.der"),
            "-inkey",
            &tmp.s(rkey),
            "-recip",
            &tmp.s(rcrt),
            "-binary",
            "-out",
            &tmp.s("payload.der"),
        ]);
        let payload = std::fs::read(tmp.path("payload.der")).unwrap();
        let expected = match &msg.body {
            MessageBody::PkcsReq(c) | MessageBody::RenewalReq(c) => c.as_der().to_vec(),
            MessageBody::CertPoll(x) => der::Encode::to_der(x).unwrap(),
            MessageBody::GetCert(x) | MessageBody::GetCrl(x) => der::Encode::to_der(x).unwrap(),
            MessageBody::CertRep(scep::message::CertRep::Success(c)) => c.to_der().unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(
            payload,
            expected,
            "{:?} {cipher:?} {digest:?} {kt:?}",
            msg.message_type()
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
}

/// `openssl cms -encrypt` output, for every cipher and both key transports, opens with our
/// decryptor.
#[test]
fn we_decrypt_what_openssl_encrypts() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("ossl-enc");
    let ra = key("ra2048");
    std::fs::write(tmp.path("ra.crt"), ra.certificate().to_pem()).unwrap();
    let payload = crate::roundtrip::data("client2048.csr.der");
    std::fs::write(tmp.path("csr.der"), &payload).unwrap();
    for cipher in ["-des3", "-aes128", "-aes192", "-aes256"] {
        for oaep in [
            &[][..],
            &["-keyopt", "rsa_padding_mode:oaep"][..],
            &[
                "-keyopt",
                "rsa_padding_mode:oaep",
                "-keyopt",
                "rsa_oaep_md:sha256",
                "-keyopt",
                "rsa_mgf1_md:sha256",
            ][..],
        ] {
            let mut args = vec![
                "cms", "-encrypt", "-binary", "-in", "IN", "-outform", "DER", "-out", "OUT",
                cipher, "-recip", "CRT",
            ];
            args.extend_from_slice(oaep);
            let (i, o, c) = (tmp.s("csr.der"), tmp.s("enc.der"), tmp.s("ra.crt"));
            let args: Vec<&str> = args
                .iter()
                .map(|a| match *a {
                    "IN" => i.as_str(),
                    "OUT" => o.as_str(),
                    "CRT" => c.as_str(),
                    x => x,
                })
                .collect();
            support::openssl(&args);
            let enc = std::fs::read(tmp.path("enc.der")).unwrap();
            let (_, kt, pt) =
                envelope::decrypt_enveloped(&enc, &OpenOptions::DEFAULT, &ra, &PROVIDER, &mut rng)
                    .unwrap_or_else(|e| panic!("{cipher} {oaep:?}: {e:?}"));
            assert_eq!(&pt[..], &payload[..], "{cipher} {oaep:?}");
            assert_eq!(matches!(kt, KeyTransport::RsaOaep { .. }), !oaep.is_empty());
        }
    }
}

/// OpenSSL signs (with our RA key as a third-party signer) a message that carries no SCEP
/// attributes: we parse the CMS but refuse it as a pkiMessage, naming what is missing.
#[test]
fn an_openssl_signed_message_without_scep_attributes_is_refused_precisely() {
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("ossl-sign");
    let ra = key("ra2048");
    std::fs::write(tmp.path("ra.key"), ra.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(tmp.path("ra.crt"), ra.certificate().to_pem()).unwrap();
    std::fs::write(tmp.path("in.bin"), b"payload").unwrap();
    support::openssl(&[
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-in",
        &tmp.s("in.bin"),
        "-signer",
        &tmp.s("ra.crt"),
        "-inkey",
        &tmp.s("ra.key"),
        "-outform",
        "DER",
        "-out",
        &tmp.s("signed.der"),
    ]);
    let der = std::fs::read(tmp.path("signed.der")).unwrap();
    assert_eq!(
        envelope::parse(&der, &OpenOptions::DEFAULT).err(),
        Some(scep::Error::MissingAttribute(
            scep::error::Attribute::MessageType
        ))
    );
}
