//! Tests for the AWS-LC provider: every part agrees with the RustCrypto provider in both
//! directions, natively and on the fallback paths, and PKCS #1 v1.5 failures are implicit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

extern crate std;

use std::format;
use std::path::Path;

use super::*;
use crate::provider::rustcrypto::PROVIDER as RUSTCRYPTO;

const ALL_DIGESTS: &[DigestAlgorithm] = &[
    #[cfg(feature = "insecure-legacy")]
    DigestAlgorithm::Md5,
    DigestAlgorithm::Sha1,
    DigestAlgorithm::Sha224,
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

const ALL_CIPHERS: &[ContentEncryption] = &[
    #[cfg(feature = "insecure-legacy")]
    ContentEncryption::DesCbc,
    ContentEncryption::DesEde3Cbc,
    ContentEncryption::Aes128Cbc,
    ContentEncryption::Aes192Cbc,
    ContentEncryption::Aes256Cbc,
];

fn oaep_all() -> Vec<KeyTransport> {
    let hashes = [
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ];
    let mut v = vec![KeyTransport::RsaPkcs1v15];
    for hash in hashes {
        for mgf1 in hashes {
            v.push(KeyTransport::RsaOaep { hash, mgf1 });
        }
    }
    v
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

fn rsa_key(name: &str) -> RsaKey {
    let cert = Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap();
    let pem = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(format!("{name}.pkcs8.pem")),
    )
    .unwrap_or_else(|_| data(&format!("{name}.pkcs1.pem")));
    RsaKey::from_pem(&pem, cert).unwrap()
}

fn rng() -> getrandom::SysRng {
    getrandom::SysRng
}

#[test]
fn digests_agree_with_rustcrypto() {
    let data = [0x61u8; 1000];
    for &alg in ALL_DIGESTS {
        assert!(AwsLcDigests.supports(alg));
        assert_eq!(
            AwsLcDigests.digest(alg, &data).unwrap(),
            RustCryptoDigests.digest(alg, &data).unwrap(),
            "{alg:?}"
        );
    }
}

#[test]
fn ciphers_agree_with_rustcrypto_both_ways() {
    for &alg in ALL_CIPHERS {
        assert!(AwsLcCipher.supports(alg));
        let key = vec![0x11u8; alg.key_len()];
        let iv = vec![0x22u8; alg.block_len()];
        for len in [0usize, 1, 15, 16, 17, 1000] {
            let pt = vec![0x33u8; len];
            let ours = AwsLcCipher.encrypt(alg, &key, &iv, &pt).unwrap();
            let theirs = CbcCipher.encrypt(alg, &key, &iv, &pt).unwrap();
            assert_eq!(ours, theirs, "{alg:?} {len}");
            assert_eq!(
                &*AwsLcCipher.decrypt(alg, &key, &iv, &theirs).unwrap(),
                &pt[..]
            );
        }
    }
}

#[test]
fn cbc_failures_are_one_error() {
    let alg = ContentEncryption::Aes128Cbc;
    let key = [0x11u8; 16];
    let iv = [0x22u8; 16];
    let ct = AwsLcCipher.encrypt(alg, &key, &iv, b"hello").unwrap();
    // Wrong key (bad padding, almost surely), wrong length, empty, wrong key length.
    let wrong_key = [0x12u8; 16];
    for (k, c) in [
        (&wrong_key[..], &ct[..]),
        (&key[..], &ct[..ct.len() - 1]),
        (&key[..], &[][..]),
        (&key[..15], &ct[..]),
    ] {
        let got = AwsLcCipher.decrypt(alg, k, &iv, c);
        // A wrong key may, rarely, leave valid padding; then it decrypts to garbage.
        if let Ok(pt) = got {
            assert_ne!(&*pt, b"hello");
        } else {
            assert_eq!(got.err(), Some(DecryptFailed));
        }
    }
}

#[test]
fn signatures_cross_verify_for_every_digest_and_size() {
    for name in ["rsa512", "rsa1024", "ra2048", "ra4096"] {
        for &d in ALL_DIGESTS {
            let alg = SignatureAlgorithm::RsaPkcs1v15(d);
            let sw = rsa_key(name).with_signature_algorithm(alg);
            let native = AwsLcRsaKey::new(sw.clone()).unwrap();
            assert_eq!(native.is_native(), !name.starts_with("rsa"), "{name}");
            let spki = sw.certificate().public_key();
            let msg = b"signed attributes";
            let Ok(by_native) = Signer::sign(&native, msg) else {
                // SHA-512 does not fit a 512-bit key, in either provider.
                assert!(Signer::sign(&sw, msg).is_err(), "{name} {d:?}");
                continue;
            };
            // PKCS #1 v1.5 signatures are deterministic: both providers give the same bytes.
            assert_eq!(by_native, Signer::sign(&sw, msg).unwrap(), "{name} {d:?}");
            AwsLcVerifier
                .verify(alg, spki.clone(), msg, &by_native)
                .unwrap();
            RsaVerifier
                .verify(alg, spki.clone(), msg, &by_native)
                .unwrap();
            let mut bad = by_native.clone();
            bad[5] ^= 1;
            assert_eq!(
                AwsLcVerifier.verify(alg, spki.clone(), msg, &bad),
                Err(BadSignature)
            );
            assert_eq!(
                AwsLcVerifier.verify(alg, spki, b"other", &by_native),
                Err(BadSignature)
            );
        }
    }
}

#[test]
fn key_transport_cross_decrypts_for_every_scheme_and_size() {
    let mut rng = rng();
    for name in ["rsa1024", "ra2048", "ra4096"] {
        let sw = rsa_key(name);
        let native = AwsLcRsaKey::new(sw.clone()).unwrap();
        let spki = sw.certificate().public_key();
        for kt in oaep_all() {
            let key = [0x5au8; 16];
            if name == "rsa1024"
                && matches!(
                    kt,
                    KeyTransport::RsaOaep {
                        hash: DigestAlgorithm::Sha512,
                        ..
                    }
                )
            {
                continue; // OAEP-SHA-512 leaves no room for a key in 1024 bits
            }
            let ours = AwsLcKeyEncryptor
                .encrypt_key(kt, spki.clone(), &key, &mut rng)
                .unwrap();
            let theirs = RUSTCRYPTO
                .key_encryptor
                .encrypt_key(kt, spki.clone(), &key, &mut rng)
                .unwrap();
            for ct in [&ours, &theirs] {
                assert_eq!(
                    &**native.decrypt_key(kt, ct, 16).unwrap(),
                    &key,
                    "{name} {kt:?}"
                );
                assert_eq!(
                    &**sw.decrypt_key(kt, ct, 16).unwrap(),
                    &key,
                    "{name} {kt:?}"
                );
            }
        }
    }
}

#[test]
fn pkcs1_decryption_failures_are_implicit() {
    let native = AwsLcRsaKey::new(rsa_key("ra2048")).unwrap();
    let garbage = [0x42u8; 256];
    let a = native
        .decrypt_key(KeyTransport::RsaPkcs1v15, &garbage, 16)
        .unwrap();
    let b = native
        .decrypt_key(KeyTransport::RsaPkcs1v15, &garbage, 16)
        .unwrap();
    assert_eq!(a.len(), 16);
    assert_eq!(a, b, "the same ciphertext gives the same substitute");
    let c = native
        .decrypt_key(KeyTransport::RsaPkcs1v15, &garbage[..255], 32)
        .unwrap();
    assert_eq!(c.len(), 32);
    // A valid ciphertext of the wrong length also gives a substitute, not an error.
    let mut rng = rng();
    let spki = native.certificate().public_key();
    let ct = AwsLcKeyEncryptor
        .encrypt_key(KeyTransport::RsaPkcs1v15, spki, &[7u8; 24], &mut rng)
        .unwrap();
    let d = native
        .decrypt_key(KeyTransport::RsaPkcs1v15, &ct, 16)
        .unwrap();
    assert_eq!(d.len(), 16);
    assert_ne!(&**d, &[7u8; 16]);
    // OAEP failures stay errors (the envelope layer substitutes a random key).
    assert_eq!(
        native
            .decrypt_key(KeyTransport::OAEP_SHA256, &garbage, 16)
            .err(),
        Some(CryptoError::Failed)
    );
}

#[test]
fn non_rsa_and_oversized_keys_are_refused_like_rustcrypto() {
    let p256 = Certificate::from_pem(&data("p256.cert.pem")).unwrap();
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    assert_eq!(
        AwsLcVerifier.verify(alg, p256.public_key(), b"m", &[0u8; 64]),
        Err(BadSignature)
    );
    let mut rng = rng();
    assert_eq!(
        AwsLcKeyEncryptor
            .encrypt_key(
                KeyTransport::RsaPkcs1v15,
                p256.public_key(),
                &[0u8; 16],
                &mut rng
            )
            .err(),
        RUSTCRYPTO
            .key_encryptor
            .encrypt_key(
                KeyTransport::RsaPkcs1v15,
                p256.public_key(),
                &[0u8; 16],
                &mut rng
            )
            .err()
    );
}

/// An EC key on `curve` with a self-signed certificate made by the crate's builder.
#[cfg(all(feature = "p256", feature = "p384"))]
fn ec_key(curve: crate::crypto::EcCurve) -> rustcrypto::EcKey {
    let key = rustcrypto::EcPrivateKey::generate(curve, &mut rng()).unwrap();
    let alg = key.default_signature_algorithm();
    let name: x509_cert::name::Name = "CN=ec".parse().unwrap();
    let t = |y| der::DateTime::new(y, 1, 1, 0, 0, 0).unwrap();
    let cert = crate::builder::self_signed_certificate(
        &name,
        key.public_key_info().unwrap(),
        &[1],
        t(2020),
        t(2060),
        alg,
        &mut |m| key.sign(alg, m),
        &RUSTCRYPTO,
    )
    .unwrap();
    rustcrypto::EcKey::new(key, cert).unwrap()
}

/// `AwsLcEcKey` signs natively with the curve's digest and through RustCrypto with the others;
/// every signature verifies in both providers (and fails with a flipped message bit). Its ECDH
/// gives the same secret as the RustCrypto key on the other side, and a point of the other
/// curve, or off the curve, is `InvalidKey`.
#[cfg(all(feature = "p256", feature = "p384"))]
#[test]
fn ec_key_signs_and_agrees_like_rustcrypto() {
    use crate::crypto::EcCurve;
    for curve in [EcCurve::P256, EcCurve::P384] {
        let soft = ec_key(curve);
        let key = AwsLcEcKey::new(soft.clone()).unwrap();
        assert_eq!(
            key.signature_algorithm(),
            SignatureAlgorithm::Ecdsa(curve.default_digest())
        );
        let spki = key.certificate().public_key();
        let message = b"signed attributes";
        for d in [
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let alg = SignatureAlgorithm::Ecdsa(d);
            let sig = key.sign_with(alg, message).unwrap();
            for provider in [&PROVIDER, &RUSTCRYPTO] {
                provider
                    .verifier
                    .verify(alg, spki.clone(), message, &sig)
                    .unwrap_or_else(|_| panic!("{curve:?} {d:?}"));
                assert!(
                    provider
                        .verifier
                        .verify(alg, spki.clone(), b"signed attributeS", &sig)
                        .is_err()
                );
            }
        }
        let sig = key
            .clone()
            .with_signature_algorithm(SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha512))
            .sign(message)
            .unwrap();
        RUSTCRYPTO
            .verifier
            .verify(
                SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha512),
                spki.clone(),
                message,
                &sig,
            )
            .unwrap();

        let key = AwsLcEcKey::new(soft.clone()).unwrap();
        let peer = rustcrypto::EcPrivateKey::generate(curve, &mut rng()).unwrap();
        let ours = key.agree(curve, &peer.public_point()).unwrap();
        let theirs = peer
            .agree(curve, &soft.private_key().public_point())
            .unwrap();
        assert_eq!(*ours, *theirs);
        assert_eq!(ours.len(), curve.field_len());
        let other = if curve == EcCurve::P256 {
            EcCurve::P384
        } else {
            EcCurve::P256
        };
        let stranger = rustcrypto::EcPrivateKey::generate(other, &mut rng()).unwrap();
        assert_eq!(
            key.agree(other, &stranger.public_point()),
            Err(CryptoError::InvalidKey)
        );
        let mut off_curve = peer.public_point();
        *off_curve.last_mut().unwrap() ^= 1;
        assert_eq!(key.agree(curve, &off_curve), Err(CryptoError::InvalidKey));
    }
}
