//! The real SCEP and CMS messages in `../shared/vectors` (see its README for where each came
//! from). Every SCEP message decodes with the fields the README lists; signatures verify;
//! where a key is published, the envelope decrypts to the payload the README names.

use scep::Certificate;
use scep::attr::{MessageType, PkiStatus};
use scep::envelope::{self, OpenOptions};
use scep::error::{Error, Structure};
use scep::message::{CertsOnly, MessageBody};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};

use crate::support::{self, TempDir};

struct Expect {
    file: &'static str,
    ty: MessageType,
    tx: &'static str,
    sender_nonce: Option<&'static str>,
    recipient_nonce: Option<&'static str>,
    status: Option<PkiStatus>,
    certs: usize,
    /// Uses MD5 (needs `insecure-legacy` and the run-time opt-in).
    legacy: bool,
}

const MESSAGES: &[Expect] = &[
    Expect {
        file: "smallstep-scep/PKCSReq_macos_2016.der",
        ty: MessageType::PkcsReq,
        tx: "A13090761A30F66664F85D37433D2065E1112BA1",
        sender_nonce: Some("ae7fe8816cc6bedd"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: false,
    },
    Expect {
        file: "smallstep-scep/CertRep_success_micromdm_2016.der",
        ty: MessageType::CertRep,
        tx: "A13090761A30F66664F85D37433D2065E1112BA1",
        sender_nonce: None,
        recipient_nonce: Some("ae7fe8816cc6bedd"),
        status: Some(PkiStatus::Success),
        certs: 2,
        legacy: false,
    },
    Expect {
        file: "smallstep-scep/CertRep_success_ndes_nocerts.der",
        ty: MessageType::CertRep,
        tx: "HVvzN0228V+AW+dUuDe8OPyDXD0=",
        sender_nonce: Some("e3455dc58f7e5b4488f5a79f2a9450fe"),
        recipient_nonce: Some("d99d3154de07114059af075c5c17d573"),
        status: Some(PkiStatus::Success),
        certs: 0,
        legacy: false,
    },
    Expect {
        file: "jscep/scep_req2.der",
        ty: MessageType::PkcsReq,
        tx: "7XXEY-ERLPU-2JDR9",
        sender_nonce: Some("e8c57d516909026f3463f8e907fc9856"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: false,
    },
    Expect {
        file: "jscep/scep_resp2.der",
        ty: MessageType::CertRep,
        tx: "7XXEY-ERLPU-2JDR9",
        sender_nonce: None,
        recipient_nonce: Some("e8c57d516909026f3463f8e907fc9856"),
        status: Some(PkiStatus::Success),
        certs: 2,
        legacy: false,
    },
    Expect {
        file: "rustcrypto-formats/pkcsreq_ber_2022.der",
        ty: MessageType::PkcsReq,
        tx: "7C739FC5D809A0F2DDCE5C3952C1BD68BE8B6B76",
        sender_nonce: Some("fd850839d710f50b65be1d305107571e"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: false,
    },
    Expect {
        file: "smallstep-pkcs7/windows_device_pkcsreq.der",
        ty: MessageType::PkcsReq,
        tx: "252e27f890ea721a5a5790225ce6b42a02d14fbf",
        sender_nonce: None,
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: false,
    },
    Expect {
        file: "ejbca/openscep_pkcsreq_2005.der",
        ty: MessageType::PkcsReq,
        tx: "0C52343672712F734D83C52DA187FA14",
        sender_nonce: Some("3062ddc87d11a7b111bfd01d2bc692a2"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: true,
    },
    Expect {
        file: "ejbca/sscep_pkcsreq_2005.der",
        ty: MessageType::PkcsReq,
        tx: "0C52343672712F734D83C52DA187FA14",
        sender_nonce: Some("d5f5a7aa8af60fbfb4fd4af053e43b3c"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: true,
    },
    Expect {
        file: "ejbca/javascepclient_pkcsreq_badsig.der",
        ty: MessageType::PkcsReq,
        tx: "C993BB20C87BF007CE548EFF2533F9F8",
        sender_nonce: Some("7b8654cd84ffb644ac2ab298be209420"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: true,
    },
    Expect {
        file: "ejbca/ciscovpn_pkcsreq.der",
        ty: MessageType::PkcsReq,
        tx: "5D8737382F6871D1BE9F5454E18BE352",
        sender_nonce: Some("d259d3570eac5fea4474fe5860a30fe6"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: true,
    },
    Expect {
        file: "ejbca/ciscopix_pkcsreq_ber.der",
        ty: MessageType::PkcsReq,
        tx: "70b486fff2f2eb1c03fdbb9c9ac6a62a",
        sender_nonce: Some("6e90c36cef792c4d54ed96db11eda9f1"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: true,
    },
    Expect {
        file: "ejbca/openscep_pkcsreq_2003.der",
        ty: MessageType::PkcsReq,
        tx: "88E2DEE47068BB37F19BA647BF02FD0F",
        sender_nonce: Some("3becec31876adb7e5857b03630df1b0b"),
        recipient_nonce: None,
        status: None,
        certs: 1,
        legacy: true,
    },
];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[allow(unused_mut)]
fn opts(legacy: bool) -> OpenOptions<'static> {
    let mut o = OpenOptions::DEFAULT;
    #[cfg(feature = "insecure-legacy")]
    {
        o.legacy = scep::crypto::Legacy::allow_if(legacy).unwrap();
    }
    let _ = legacy;
    o
}

#[test]
fn every_scep_message_decodes_with_the_documented_fields() {
    let Some(dir) = support::vectors() else {
        return;
    };
    for e in MESSAGES {
        let bytes = support::read(&dir, e.file);
        let parsed = envelope::parse(&bytes, &opts(e.legacy));
        if e.legacy && !cfg!(feature = "insecure-legacy") {
            assert_eq!(parsed.err(), Some(Error::LegacyAlgorithm), "{}", e.file);
            continue;
        }
        let p = parsed.unwrap_or_else(|err| panic!("{}: {err:?}", e.file));
        assert_eq!(p.message_type(), e.ty, "{}", e.file);
        assert_eq!(p.transaction_id().as_str(), e.tx, "{}", e.file);
        if let Some(n) = e.sender_nonce {
            assert_eq!(hex(p.sender_nonce().unwrap().as_bytes()), n, "{}", e.file);
        }
        assert_eq!(
            p.recipient_nonce().map(|n| hex(n.as_bytes())).as_deref(),
            e.recipient_nonce,
            "{}",
            e.file
        );
        assert_eq!(p.pki_status(), e.status, "{}", e.file);
        assert_eq!(p.certificates().len(), e.certs, "{}", e.file);
        assert!(p.has_content(), "{}", e.file);
    }
}

#[test]
fn signatures_verify_and_the_bad_one_does_not() {
    let Some(dir) = support::vectors() else {
        return;
    };
    let ndes_ra =
        Certificate::from_pem(&support::read(&dir, "smallstep-scep/ndes_ra_cert.pem")).unwrap();
    let extra = [ndes_ra];
    for e in MESSAGES {
        if e.legacy && !cfg!(feature = "insecure-legacy") {
            continue;
        }
        let bytes = support::read(&dir, e.file);
        let mut o = opts(e.legacy);
        o.extra_certificates = &extra;
        let result = envelope::parse(&bytes, &o).unwrap().verify(&PROVIDER);
        if e.file.contains("badsig") {
            assert_eq!(result.err(), Some(Error::BadSignature), "{}", e.file);
        } else {
            let v = result.unwrap_or_else(|err| panic!("{}: {err:?}", e.file));
            if e.file.contains("ndes") {
                assert_eq!(v.signer().as_der(), extra[0].as_der());
            }
        }
    }
}

#[test]
fn ndes_reply_without_certificates_needs_the_ra_certificate() {
    let Some(dir) = support::vectors() else {
        return;
    };
    let bytes = support::read(&dir, "smallstep-scep/CertRep_success_ndes_nocerts.der");
    let p = envelope::parse(&bytes, &OpenOptions::DEFAULT).unwrap();
    assert_eq!(p.verify(&PROVIDER).err(), Some(Error::SignerNotFound));
}

#[test]
fn micromdm_signing_time_with_offset_is_read_as_utc() {
    let Some(dir) = support::vectors() else {
        return;
    };
    let bytes = support::read(&dir, "smallstep-scep/CertRep_success_micromdm_2016.der");
    let p = envelope::parse(&bytes, &OpenOptions::DEFAULT).unwrap();
    // "160531073014-0400" is 2016-05-31 11:30:14 UTC.
    let t = p.signing_time().unwrap();
    assert_eq!(
        (
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minutes(),
            t.seconds()
        ),
        (2016, 5, 31, 11, 30, 14)
    );
}

/// The macOS PKCSReq decrypts with the test CA key (a PEM encrypted with the empty passphrase,
/// which OpenSSL converts for us) to the CSR OpenSSL extracted.
#[test]
fn macos_pkcsreq_opens_to_the_documented_csr() {
    let Some(dir) = support::vectors() else {
        return;
    };
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("macos");
    let key_path = tmp.s("ca.key");
    let src = dir.join("smallstep-scep/testca_ca.key.pem");
    support::openssl(&[
        "rsa",
        "-in",
        src.to_str().unwrap(),
        "-passin",
        "pass:",
        "-out",
        &key_path,
    ]);
    let cert =
        Certificate::from_pem(&support::read(&dir, "smallstep-scep/testca_ca.crt.pem")).unwrap();
    let key = RsaKey::from_pem(&std::fs::read(&key_path).unwrap(), cert).unwrap();
    let bytes = support::read(&dir, "smallstep-scep/PKCSReq_macos_2016.der");
    let opened = envelope::open(
        &bytes,
        &OpenOptions::DEFAULT,
        &PROVIDER,
        &key,
        &mut support::rng(),
    )
    .unwrap();
    let MessageBody::PkcsReq(csr) = &opened.message.body else {
        panic!("not a PKCSReq")
    };
    assert_eq!(
        csr.as_der(),
        support::read(
            &dir,
            "smallstep-scep/derived/PKCSReq_macos_2016.decrypted.csr.der"
        )
    );
    assert_eq!(csr.version(), 2, "Apple's CSR version quirk is kept");
    assert_eq!(csr.challenge_password(), None);
    assert_eq!(
        opened.content_encryption,
        Some(scep::crypto::ContentEncryption::DesEde3Cbc)
    );
    assert_eq!(csr.verify_signature(&PROVIDER), Ok(()));

    // The inner envelope alone, as OpenSSL extracted it, decrypts to the same CSR.
    let env = support::read(
        &dir,
        "smallstep-scep/derived/PKCSReq_macos_2016.envelope.der",
    );
    let (_, _, pt) = envelope::decrypt_enveloped(
        &env,
        &OpenOptions::DEFAULT,
        &key,
        &PROVIDER,
        &mut support::rng(),
    )
    .unwrap();
    assert_eq!(&pt[..], csr.as_der());
}

/// The four EJBCA-published PKCSReqs decrypt with EJBCA's test key. Their recipient info names
/// another certificate (CN=AdminCA1), so this needs `allow_unmatched_recipient`.
#[cfg(feature = "insecure-legacy")]
#[test]
fn ejbca_pkcsreqs_open_with_the_published_key() {
    let Some(dir) = support::vectors() else {
        return;
    };
    let cert = Certificate::from_pem(&support::read(&dir, "ejbca/ca_sign.cert.pem")).unwrap();
    let key = RsaKey::from_pem(&support::read(&dir, "ejbca/ca_sign.key.pem"), cert).unwrap();
    for (msg, csr, challenge) in [
        (
            "ejbca/openscep_pkcsreq_2005.der",
            "ejbca/derived/openscep_pkcsreq_2005.decrypted.csr.der",
            Some("foo123"),
        ),
        (
            "ejbca/sscep_pkcsreq_2005.der",
            "ejbca/derived/sscep_pkcsreq_2005.decrypted.csr.der",
            Some("foo123"),
        ),
        (
            "ejbca/ciscovpn_pkcsreq.der",
            "ejbca/derived/ciscovpn_pkcsreq.decrypted.csr.der",
            Some("foo123"),
        ),
    ] {
        let bytes = support::read(&dir, msg);
        let strict = envelope::open(&bytes, &opts(true), &PROVIDER, &key, &mut support::rng());
        assert_eq!(strict.err(), Some(Error::RecipientNotFound), "{msg}");
        let mut o = opts(true);
        o.allow_unmatched_recipient = true;
        let opened = envelope::open(&bytes, &o, &PROVIDER, &key, &mut support::rng())
            .unwrap_or_else(|e| panic!("{msg}: {e:?}"));
        let MessageBody::PkcsReq(got) = &opened.message.body else {
            panic!("{msg}")
        };
        assert_eq!(got.as_der(), support::read(&dir, csr), "{msg}");
        assert_eq!(got.challenge_password().as_deref(), challenge, "{msg}");
    }
    // The bad signature stops `open`, but the envelope is still readable for diagnostics.
    let bytes = support::read(&dir, "ejbca/javascepclient_pkcsreq_badsig.der");
    let mut o = opts(true);
    o.allow_unmatched_recipient = true;
    assert_eq!(
        envelope::open(&bytes, &o, &PROVIDER, &key, &mut support::rng()).err(),
        Some(Error::BadSignature)
    );
    let opened = envelope::parse(&bytes, &o)
        .unwrap()
        .decrypt_unverified(&key, &PROVIDER, &mut support::rng())
        .unwrap();
    let MessageBody::PkcsReq(got) = &opened.message.body else {
        panic!()
    };
    assert_eq!(
        got.as_der(),
        support::read(
            &dir,
            "ejbca/derived/javascepclient_pkcsreq_badsig.decrypted.csr.der"
        )
    );
}

/// smallstep/pkcs7's EnvelopedData fixtures (OpenSSL and Go encoders): PKCS #1 v1.5 with
/// DES-EDE3 and AES-256, OAEP-SHA-1, and Go's mislabelled OAEP-SHA-256. All hold "This is a test".
#[test]
fn openssl_enveloped_data_fixtures_decrypt() {
    let Some(dir) = support::vectors() else {
        return;
    };
    for name in [
        "enveloped_openssl_default",
        "enveloped_rsapkcs1v15_aes256",
        "enveloped_rsaoaep_sha1_aes256",
        // Go's OAEP-SHA-256 whose parameters omit MGF1-SHA-256 (README: "QUIRK").
        "enveloped_rsaoaep_sha256",
    ] {
        let cert = Certificate::from_pem(&support::read(
            &dir,
            &format!("smallstep-pkcs7/{name}.cert.pem"),
        ))
        .unwrap();
        let key = RsaKey::from_pem(
            &support::read(&dir, &format!("smallstep-pkcs7/{name}.key.pem")),
            cert,
        )
        .unwrap();
        let bytes = support::read(&dir, &format!("smallstep-pkcs7/{name}.der"));
        let (_, _, pt) = envelope::decrypt_enveloped(
            &bytes,
            &OpenOptions::DEFAULT,
            &key,
            &PROVIDER,
            &mut support::rng(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(&pt[..], b"This is a test", "{name}");
    }
}

#[test]
fn jscep_layers_match_the_published_plaintexts() {
    let Some(dir) = support::vectors() else {
        return;
    };
    // The certs-only reply payload holds the issued certificate.
    let certs = CertsOnly::from_ber(
        &support::read(&dir, "jscep/scep_resp0.der"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(certs.certificates.len(), 1);
    assert_eq!(
        certs.certificates[0].subject().to_string(),
        "CN=Test SCEP PKI user,OU=Procurement,O=Dave's Wetaburgers,C=NZ"
    );
    // Re-encoding gives DER that decodes to the same set.
    let again = CertsOnly::from_ber(&certs.to_der().unwrap(), &Default::default()).unwrap();
    assert_eq!(again, certs);
    // The CSR layer parses and its self-signature verifies; the challenge is readable.
    let csr = scep::message::Csr::from_der(&support::read(&dir, "jscep/scep_req0.der")).unwrap();
    assert_eq!(csr.verify_signature(&PROVIDER), Ok(()));
    assert!(csr.challenge_password().is_some());
}

#[test]
fn ejbca_indefinite_length_certs_only_shape_is_walked() {
    let Some(dir) = support::vectors() else {
        return;
    };
    // The skeleton's "certificates" are stubs (30 00 ...): the BER walk succeeds and the
    // certificate decoder then refuses them, with an error rather than a panic.
    let bytes = support::read(&dir, "rustcrypto-formats/ejbca_certsonly_ber_skeleton.der");
    assert_eq!(
        CertsOnly::from_ber(&bytes, &Default::default()).err(),
        Some(Error::Malformed(Structure::Certificate))
    );
}

#[test]
fn regressions_and_non_scep_inputs_give_errors_not_panics() {
    let Some(dir) = support::vectors() else {
        return;
    };
    let mut n = 0;
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        let _ = envelope::parse(&bytes, &opts(true)).map(|p| p.verify(&PROVIDER));
        let _ = CertsOnly::from_ber(&bytes, &Default::default());
        let _ = Certificate::from_der(&bytes);
        let _ = scep::message::Csr::from_der(&bytes);
        n += 1;
    }
    assert!(n > 50, "only {n} files");
    for f in std::fs::read_dir(dir.join("smallstep-pkcs7/regressions")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(envelope::parse(&bytes, &OpenOptions::DEFAULT).is_err());
    }
    for f in std::fs::read_dir(dir.join("rustcrypto-formats/regressions")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(envelope::parse(&bytes, &OpenOptions::DEFAULT).is_err());
    }
}

pub fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = vec![];
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            v.extend(walk(&e));
        } else {
            v.push(e);
        }
    }
    v.sort();
    v
}
