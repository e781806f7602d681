//! Unit tests for the RustCrypto provider: known answers, round trips, failure uniformity,
//! input checks. The cross-checks with the `openssl` command and the shared vectors are
//! integration tests (`tests/interop/rustcrypto.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result
)]

extern crate std;

use core::str::FromStr;
use std::format;
use std::fs;
use std::path::{Path, PathBuf};

use const_oid::AssociatedOid;
use der::Encode;
use der::asn1::{AnyRef, BitStringRef, UintRef};
use spki::AlgorithmIdentifierRef;
use x509_cert::certificate::Version;
use x509_cert::time::Time;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::convert::Infallible;

use der::Decode;
use rsa::pkcs1::RsaPublicKeyRef;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, Pkcs1v15Sign, PrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::name::Name;

use crate::cert::Certificate;
use crate::crypto::{
    BadSignature, ContentEncryption, CryptoError, DecryptFailed, Decryptor, DigestAlgorithm,
    KeyTransport, RngError, SecureRandom, SignatureAlgorithm, Signer,
};
use crate::error::Error;
use crate::oid;

use super::*;
/// The self-signed signer certificate of `key`, as a client makes it with [`crate::builder`].
fn self_signed_certificate(
    key: &PrivateKey,
    subject: &Name,
    serial: &[u8],
    not_before: der::DateTime,
    not_after: der::DateTime,
    sig: SignatureAlgorithm,
) -> Result<Certificate, Error> {
    crate::builder::self_signed_certificate(
        subject,
        public_key_info(key)?,
        serial,
        not_before,
        not_after,
        sig,
        &mut |tbs| sign_with_key(key, sig, tbs),
        &PROVIDER,
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers

const ALL_DIGESTS: &[DigestAlgorithm] = &[
    #[cfg(feature = "insecure-legacy")]
    DigestAlgorithm::Md5,
    DigestAlgorithm::Sha1,
    DigestAlgorithm::Sha224,
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

const OAEP_DIGESTS: &[DigestAlgorithm] = &[
    DigestAlgorithm::Sha1,
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

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn data(name: &str) -> Vec<u8> {
    fs::read(data_path(name)).unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_pem(&data(name)).unwrap()
}

fn key2048() -> RsaKey {
    RsaKey::from_pkcs8_pem(&data("rsa2048.pkcs8.pem"), cert("rsa2048.cert.pem")).unwrap()
}

fn key1024() -> RsaKey {
    RsaKey::from_pkcs1_pem(&data("rsa1024.pkcs1.pem"), cert("rsa1024.cert.pem")).unwrap()
}

fn key512() -> RsaKey {
    RsaKey::from_pem(&data("rsa512.pkcs1.pem"), cert("rsa512.cert.pem")).unwrap()
}

/// A deterministic generator for tests: SHA-256 in counter mode.
struct TestRng(u64);

impl rand_core::TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(32) {
            let block = Sha256::digest(self.0.to_be_bytes());
            self.0 += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for TestRng {}

/// A generator that always fails.
struct FailingRng;

impl rand_core::TryRng for FailingRng {
    type Error = RngError;
    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        Err(RngError)
    }
    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        Err(RngError)
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), RngError> {
        Err(RngError)
    }
}

impl rand_core::TryCryptoRng for FailingRng {}

fn random_bytes(rng: &mut TestRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    SecureRandom::fill(rng, &mut v).unwrap();
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hand-built `SubjectPublicKeyInfo` DER for an RSA key with modulus `n` and exponent 65537.
fn rsa_spki_der(n: &[u8], params: Option<AnyRef<'_>>) -> Vec<u8> {
    let pk = RsaPublicKeyRef {
        modulus: UintRef::new(n).unwrap(),
        public_exponent: UintRef::new(&[1, 0, 1]).unwrap(),
    };
    let pk_der = pk.to_der().unwrap();
    let spki = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: oid::RSA_ENCRYPTION,
            parameters: params,
        },
        subject_public_key: BitStringRef::from_bytes(&pk_der).unwrap(),
    };
    spki.to_der().unwrap()
}

/// An odd number of `bits` bits with the top bit set.
fn odd_modulus(rng: &mut TestRng, bits: usize) -> Vec<u8> {
    let mut n = random_bytes(rng, bits.div_ceil(8));
    let top = (bits - 1) % 8;
    n[0] &= (1u16 << (top + 1)).wrapping_sub(1) as u8;
    n[0] |= 1 << top;
    *n.last_mut().unwrap() |= 1;
    n
}

// ---------------------------------------------------------------------------------------------
// Digests

#[test]
fn digests_known_answers() {
    let cases: &[(DigestAlgorithm, &str)] = &[
        #[cfg(feature = "insecure-legacy")]
        (DigestAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
        (
            DigestAlgorithm::Sha1,
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            DigestAlgorithm::Sha224,
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
        ),
        (
            DigestAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            DigestAlgorithm::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            DigestAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    assert_eq!(cases.len(), ALL_DIGESTS.len());
    for &(alg, want) in cases {
        assert!(PROVIDER.digests.supports(alg));
        let got = PROVIDER.digests.digest(alg, b"abc").unwrap();
        assert_eq!(hex(got.as_bytes()), want, "{alg:?}");
        assert_eq!(got.as_bytes().len(), alg.output_len());
    }
}

#[test]
fn digest_info_prefixes_agree_with_rsa() {
    fn prefix<D: Digest + AssociatedOid>() -> Box<[u8]> {
        Pkcs1v15Sign::new::<D>().prefix
    }
    assert_eq!(
        pkcs1v15_scheme(DigestAlgorithm::Sha1).prefix,
        prefix::<Sha1>()
    );
    assert_eq!(
        pkcs1v15_scheme(DigestAlgorithm::Sha224).prefix,
        prefix::<Sha224>()
    );
    assert_eq!(
        pkcs1v15_scheme(DigestAlgorithm::Sha256).prefix,
        prefix::<Sha256>()
    );
    assert_eq!(
        pkcs1v15_scheme(DigestAlgorithm::Sha384).prefix,
        prefix::<Sha384>()
    );
    assert_eq!(
        pkcs1v15_scheme(DigestAlgorithm::Sha512).prefix,
        prefix::<Sha512>()
    );
}

// ---------------------------------------------------------------------------------------------
// Content encryption

#[test]
fn cbc_round_trip_every_algorithm_and_length() {
    let mut rng = TestRng(1);
    for &alg in ALL_CIPHERS {
        assert!(PROVIDER.cipher.supports(alg));
        let key = random_bytes(&mut rng, alg.key_len());
        let iv = random_bytes(&mut rng, alg.block_len());
        for len in 0..=3 * alg.block_len() + 1 {
            let pt = random_bytes(&mut rng, len);
            let ct = PROVIDER.cipher.encrypt(alg, &key, &iv, &pt).unwrap();
            assert_eq!(ct.len(), (len / alg.block_len() + 1) * alg.block_len());
            let back = PROVIDER.cipher.decrypt(alg, &key, &iv, &ct).unwrap();
            assert_eq!(&back[..], &pt[..], "{alg:?} len {len}");
        }
    }
}

#[test]
fn cbc_decrypt_failures_are_one_error() {
    let mut rng = TestRng(3);
    for &alg in ALL_CIPHERS {
        let bs = alg.block_len();
        let key = random_bytes(&mut rng, alg.key_len());
        let iv = random_bytes(&mut rng, bs);
        let pt = random_bytes(&mut rng, 2 * bs + 3);
        let ct = PROVIDER.cipher.encrypt(alg, &key, &iv, &pt).unwrap();
        let dec = |k: &[u8], i: &[u8], c: &[u8]| PROVIDER.cipher.decrypt(alg, k, i, c);

        // Bad padding: flip bits of the next-to-last block so the last plaintext byte
        // becomes 0 (never valid) or larger than the block.
        let pad = (bs - 3) as u8;
        for bad_last in [0u8, bs as u8 + 1, 0xff] {
            let mut t = ct.clone();
            let at = t.len() - bs - 1;
            t[at] ^= pad ^ bad_last;
            assert_eq!(
                dec(&key, &iv, &t),
                Err(DecryptFailed),
                "{alg:?} pad {bad_last}"
            );
        }
        // Inconsistent padding bytes (last byte right, one before it wrong).
        let mut t = ct.clone();
        let at = t.len() - bs - 2;
        t[at] ^= 0x01;
        assert_eq!(
            dec(&key, &iv, &t),
            Err(DecryptFailed),
            "{alg:?} inconsistent"
        );

        // Lengths.
        assert_eq!(dec(&key, &iv, &ct[..ct.len() - 1]), Err(DecryptFailed));
        assert_eq!(dec(&key, &iv, &[]), Err(DecryptFailed));
        assert_eq!(dec(&key, &iv, &ct[..1]), Err(DecryptFailed));

        // Wrong key (fixed, so the outcome is reproducible; it garbles the padding).
        let wrong = vec![0x5a; alg.key_len()];
        assert_eq!(
            dec(&wrong, &iv, &ct),
            Err(DecryptFailed),
            "{alg:?} wrong key"
        );

        // Wrong key and IV sizes.
        assert_eq!(dec(&key[1..], &iv, &ct), Err(DecryptFailed));
        assert_eq!(dec(&key, &iv[1..], &ct), Err(DecryptFailed));
    }
}

#[test]
fn cbc_encrypt_refuses_wrong_sizes() {
    for &alg in ALL_CIPHERS {
        let key = vec![7u8; alg.key_len()];
        let iv = vec![9u8; alg.block_len()];
        let enc = |k: &[u8], i: &[u8]| PROVIDER.cipher.encrypt(alg, k, i, b"data");
        assert_eq!(enc(&key[1..], &iv), Err(CryptoError::InvalidKey));
        assert_eq!(
            enc(&[key.clone(), vec![1]].concat(), &iv),
            Err(CryptoError::InvalidKey)
        );
        assert_eq!(enc(&key, &iv[1..]), Err(CryptoError::InvalidKey));
        assert_eq!(enc(&key, &[]), Err(CryptoError::InvalidKey));
    }
}

#[test]
fn pkcs7_unpad_checks_every_padding_byte() {
    let mut block = [0xaa_u8; 16];
    for n in 1..=16u8 {
        block[16 - n as usize..].fill(n);
        assert_eq!(
            pkcs7_unpadded_len(&block, 16),
            Some(16 - n as usize),
            "pad {n}"
        );
        if n > 1 {
            let mut bad = block;
            bad[16 - n as usize] ^= 1;
            assert_eq!(
                pkcs7_unpadded_len(&bad, 16),
                None,
                "first pad byte off, pad {n}"
            );
        }
    }
    for n in [0u8, 17, 0x80, 0xff] {
        let mut b = [n; 16];
        b[15] = n;
        assert_eq!(pkcs7_unpadded_len(&b, 16), None, "pad {n}");
    }
    // Data before the padding is not inspected.
    let mut b = [0u8; 32];
    b[31] = 1;
    assert_eq!(pkcs7_unpadded_len(&b, 16), Some(31));
    assert_eq!(pkcs7_unpadded_len(&[8u8; 8], 8), Some(0));
    assert_eq!(pkcs7_unpadded_len(&[], 8), None);
}

// ---------------------------------------------------------------------------------------------
// Signatures

#[test]
fn sign_verify_round_trip_every_digest() {
    let key = key2048();
    let other = key1024();
    for &d in ALL_DIGESTS {
        let alg = SignatureAlgorithm::RsaPkcs1v15(d);
        let key = key.clone().with_signature_algorithm(alg);
        assert_eq!(Signer::signature_algorithm(&key), alg);
        let msg = b"signed attributes".as_slice();
        let sig = key.sign(msg).unwrap();
        assert_eq!(sig.len(), 256);
        let spki = key.certificate().public_key();
        PROVIDER
            .verifier
            .verify(alg, spki.clone(), msg, &sig)
            .unwrap();

        assert_eq!(
            PROVIDER.verifier.verify(alg, spki.clone(), b"other", &sig),
            Err(BadSignature)
        );
        let mut bad = sig.clone();
        bad[100] ^= 1;
        assert_eq!(
            PROVIDER.verifier.verify(alg, spki.clone(), msg, &bad),
            Err(BadSignature)
        );
        assert_eq!(
            PROVIDER.verifier.verify(alg, spki.clone(), msg, &sig[1..]),
            Err(BadSignature)
        );
        assert_eq!(
            PROVIDER.verifier.verify(alg, spki.clone(), msg, &[]),
            Err(BadSignature)
        );
        let other_spki = other.certificate().public_key();
        assert_eq!(
            PROVIDER.verifier.verify(alg, other_spki, msg, &sig),
            Err(BadSignature)
        );
        for &d2 in ALL_DIGESTS.iter().filter(|&&d2| d2 != d) {
            let alg2 = SignatureAlgorithm::RsaPkcs1v15(d2);
            assert_eq!(
                PROVIDER.verifier.verify(alg2, spki.clone(), msg, &sig),
                Err(BadSignature)
            );
        }
    }
}

#[test]
fn blinded_signature_equals_unblinded() {
    let key = key2048();
    let msg = b"deterministic";
    let ours = key.sign(msg).unwrap();
    let plain = key
        .private_key()
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
        .unwrap();
    assert_eq!(ours, plain);
    assert_eq!(key.sign(msg).unwrap(), ours);
}

#[test]
fn small_keys_sign_and_verify() {
    let key = key512();
    let sig = key.sign(b"m").unwrap();
    assert_eq!(sig.len(), 64);
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    PROVIDER
        .verifier
        .verify(alg, key.certificate().public_key(), b"m", &sig)
        .unwrap();
    // SHA-512's DigestInfo does not fit a 512-bit modulus.
    let big =
        key.with_signature_algorithm(SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha512));
    assert_eq!(big.sign(b"m"), Err(CryptoError::Failed));
}

#[test]
fn public_key_limits() {
    let mut rng = TestRng(4);
    let null = Some(AnyRef::NULL);
    let decode = |der: &[u8]| {
        let spki = SubjectPublicKeyInfoRef::from_der(der).unwrap();
        rsa_public_key(&spki).map(|k| k.n().bit_width())
    };
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 511), null)),
        None
    );
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 512), null)),
        Some(512)
    );
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 8192), null)),
        Some(8192)
    );
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 8193), null)),
        None
    );
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 16384), null)),
        None
    );
    // Absent parameters are accepted; anything but NULL is not.
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 1024), None)),
        Some(1024)
    );
    let int = AnyRef::new(der::Tag::Integer, &[1]).unwrap();
    assert_eq!(
        decode(&rsa_spki_der(&odd_modulus(&mut rng, 1024), Some(int))),
        None
    );
    // An even modulus is not an RSA key.
    let mut even = odd_modulus(&mut rng, 1024);
    *even.last_mut().unwrap() &= 0xfe;
    assert_eq!(decode(&rsa_spki_der(&even, null)), None);
    // Not RSA at all.
    let ec = cert("p256.cert.pem");
    assert!(rsa_public_key(&ec.public_key()).is_none());
    // A signature check against refused keys is a plain BadSignature.
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let small = rsa_spki_der(&odd_modulus(&mut rng, 504), null);
    let small = SubjectPublicKeyInfoRef::from_der(&small).unwrap();
    assert_eq!(
        PROVIDER.verifier.verify(alg, small, b"m", &[1; 63]),
        Err(BadSignature)
    );
    assert_eq!(
        PROVIDER
            .verifier
            .verify(alg, ec.public_key(), b"m", &[1; 64]),
        Err(BadSignature)
    );
}

// ---------------------------------------------------------------------------------------------
// Key transport

fn key_transports() -> Vec<KeyTransport> {
    let mut all = vec![KeyTransport::RsaPkcs1v15];
    for &hash in OAEP_DIGESTS {
        for &mgf1 in OAEP_DIGESTS {
            all.push(KeyTransport::RsaOaep { hash, mgf1 });
        }
    }
    all
}

#[test]
fn key_transport_round_trips() {
    let key = key2048();
    let spki = key.certificate().public_key();
    let mut rng = TestRng(5);
    for alg in key_transports() {
        for len in [8, 16, 24, 32] {
            let cek = random_bytes(&mut rng, len);
            let wrapped = PROVIDER
                .key_encryptor
                .encrypt_key(alg, spki.clone(), &cek, &mut rng)
                .unwrap();
            assert_eq!(wrapped.len(), 256);
            let back = key.decrypt_key(alg, &wrapped, len).unwrap();
            assert_eq!(&back[..], &cek[..], "{alg:?}");
            // A different key length than was sent is a failure.
            assert_eq!(
                key.decrypt_key(alg, &wrapped, len + 8),
                Err(CryptoError::Failed)
            );
        }
    }
}

#[test]
fn shorter_key_request_than_sent_fails() {
    let key = key2048();
    let mut rng = TestRng(6);
    let cek = random_bytes(&mut rng, 24);
    for alg in [
        KeyTransport::RsaPkcs1v15,
        KeyTransport::OAEP_SHA1,
        KeyTransport::OAEP_SHA256,
    ] {
        let wrapped = PROVIDER
            .key_encryptor
            .encrypt_key(alg, key.certificate().public_key(), &cek, &mut rng)
            .unwrap();
        assert_eq!(
            key.decrypt_key(alg, &wrapped, 16),
            Err(CryptoError::Failed),
            "{alg:?}"
        );
        assert_eq!(&key.decrypt_key(alg, &wrapped, 24).unwrap()[..], &cek[..]);
    }
}

#[test]
fn garbage_key_transport_never_panics() {
    let key = key2048();
    let mut rng = TestRng(7);
    let n = key.private_key().n_bytes();
    let mut inputs = vec![
        Vec::new(),
        vec![0u8; 1],
        vec![0u8; 255],
        vec![0u8; 256],
        vec![0u8; 257],
        vec![0xffu8; 256],
        n.to_vec(),
        random_bytes(&mut rng, 512),
    ];
    for _ in 0..8 {
        let mut g = random_bytes(&mut rng, 256);
        g[0] &= 0x7f; // below the modulus
        inputs.push(g);
    }
    for g in &inputs {
        // Implicit rejection: a synthetic key or Failed, never a panic or another error.
        match key.decrypt_key(KeyTransport::RsaPkcs1v15, g, 16) {
            Ok(k) => assert_eq!(k.len(), 16),
            Err(e) => assert_eq!(e, CryptoError::Failed),
        }
        for alg in [KeyTransport::OAEP_SHA1, KeyTransport::OAEP_SHA256] {
            assert_eq!(key.decrypt_key(alg, g, 16), Err(CryptoError::Failed));
        }
    }
}

#[test]
fn pkcs1_implicit_rejection_is_deterministic_and_blinding_neutral() {
    let key = key2048();
    let mut rng = TestRng(8);
    let mut g = random_bytes(&mut rng, 256);
    g[0] = 0x12;
    let blinded = key
        .private_key()
        .decrypt_blinded(&mut key.blinding(b"decrypt", &g), Pkcs1v15Encrypt, &g)
        .unwrap();
    let again = key
        .private_key()
        .decrypt_blinded(&mut key.blinding(b"other", &g), Pkcs1v15Encrypt, &g)
        .unwrap();
    let unblinded = key.private_key().decrypt(Pkcs1v15Encrypt, &g).unwrap();
    assert_eq!(blinded, unblinded);
    assert_eq!(again, unblinded);
    if unblinded.len() == 16 {
        assert_eq!(
            &key.decrypt_key(KeyTransport::RsaPkcs1v15, &g, 16).unwrap()[..],
            &unblinded
        );
    }
}

#[test]
fn oaep_with_other_digests_is_unsupported() {
    let key = key2048();
    let mut rng = TestRng(9);
    let spki = key.certificate().public_key();
    for (hash, mgf1) in [
        (DigestAlgorithm::Sha224, DigestAlgorithm::Sha1),
        (DigestAlgorithm::Sha256, DigestAlgorithm::Sha224),
    ] {
        let alg = KeyTransport::RsaOaep { hash, mgf1 };
        let r = PROVIDER
            .key_encryptor
            .encrypt_key(alg, spki.clone(), &[1; 16], &mut rng);
        assert_eq!(r, Err(CryptoError::UnsupportedAlgorithm));
        assert_eq!(
            key.decrypt_key(alg, &[1; 256], 16),
            Err(CryptoError::UnsupportedAlgorithm)
        );
    }
}

#[test]
fn key_transport_errors() {
    let key = key2048();
    let spki = key.certificate().public_key();
    for alg in [KeyTransport::RsaPkcs1v15, KeyTransport::OAEP_SHA256] {
        let r = PROVIDER
            .key_encryptor
            .encrypt_key(alg, spki.clone(), &[1; 16], &mut FailingRng);
        assert_eq!(r, Err(CryptoError::Rng), "{alg:?}");
        let ec = cert("p256.cert.pem");
        let r = PROVIDER
            .key_encryptor
            .encrypt_key(alg, ec.public_key(), &[1; 16], &mut TestRng(1));
        assert_eq!(r, Err(CryptoError::InvalidKey));
        let r = PROVIDER
            .key_encryptor
            .encrypt_key(alg, spki.clone(), &[1; 250], &mut TestRng(1));
        assert_eq!(r, Err(CryptoError::Failed), "message too long");
    }
}

// ---------------------------------------------------------------------------------------------
// RsaKey loading

#[test]
fn rsa_key_requires_matching_certificate() {
    let k2048 = key2048().private_key().clone();
    assert_eq!(
        RsaKey::new(k2048.clone(), cert("rsa1024.cert.pem")).err(),
        Some(Error::InvalidInput)
    );
    assert_eq!(
        RsaKey::new(k2048.clone(), cert("p256.cert.pem")).err(),
        Some(Error::InvalidInput)
    );
    let key = RsaKey::new(k2048, cert("rsa2048.cert.pem")).unwrap();
    assert_eq!(
        Signer::signature_algorithm(&key),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256)
    );
    assert_eq!(Signer::certificate(&key), Decryptor::certificate(&key));
    let dbg = format!("{key:?}");
    assert!(dbg.contains("RsaKey") && dbg.contains("2048"), "{dbg}");
}

#[test]
fn pem_loading() {
    let pkcs8 = data("rsa2048.pkcs8.pem");
    let pkcs1 = data("rsa1024.pkcs1.pem");
    let c2048 = cert("rsa2048.cert.pem");
    let c1024 = cert("rsa1024.cert.pem");

    assert!(RsaKey::from_pem(&pkcs8, c2048.clone()).is_ok());
    assert!(RsaKey::from_pem(&pkcs1, c1024.clone()).is_ok());
    // Wrong-label entry points refuse.
    assert_eq!(
        RsaKey::from_pkcs1_pem(&pkcs8, c2048.clone()).err(),
        Some(Error::InvalidInput)
    );
    assert_eq!(
        RsaKey::from_pkcs8_pem(&pkcs1, c1024.clone()).err(),
        Some(Error::InvalidInput)
    );
    assert_eq!(
        RsaKey::from_pem(b"no pem here", c1024.clone()).err(),
        Some(Error::InvalidInput)
    );

    // Text around the block, a certificate first, CRLF line endings.
    let mut wrapped = b"Bag Attributes\n    friendlyName: test\n    localKeyID: 01 02 \n\
                        Key Attributes: <No Attributes>\n"
        .to_vec();
    wrapped.extend_from_slice(&data("rsa1024.cert.pem"));
    wrapped.extend_from_slice(&pkcs1);
    wrapped.extend_from_slice(b"trailing text\n");
    let k = RsaKey::from_pem(&wrapped, c1024.clone()).unwrap();
    assert_eq!(k.private_key(), key1024().private_key());
    let crlf: Vec<u8> = String::from_utf8(pkcs8.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into();
    assert!(RsaKey::from_pem(&crlf, c2048.clone()).is_ok());

    // DER entry points.
    let der = pem_block(&pkcs8, "PRIVATE KEY").unwrap();
    assert!(RsaKey::from_pkcs8_der(&der, c2048.clone()).is_ok());
    assert_eq!(
        RsaKey::from_pkcs1_der(&der, c2048.clone()).err(),
        Some(Error::InvalidInput)
    );
    assert_eq!(
        RsaKey::from_pkcs8_der(&der[..100], c2048).err(),
        Some(Error::InvalidInput)
    );
}

// ---------------------------------------------------------------------------------------------
// Self-signed certificates

fn name(cn: &str) -> Name {
    Name::from_str(&format!("CN={cn},O=scep tests")).unwrap()
}

fn date(y: u16, m: u8, d: u8) -> der::DateTime {
    der::DateTime::new(y, m, d, 0, 0, 0).unwrap()
}

#[test]
fn self_signed_certificate_is_well_formed() {
    let key = key2048();
    let subject = name("device");
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let c = self_signed_certificate(
        key.private_key(),
        &subject,
        &[0x00, 0x00, 0x9f, 0x01],
        date(2024, 1, 2),
        date(2049, 12, 31),
        alg,
    )
    .unwrap();
    assert!(c.is_self_issued());
    assert_eq!(c.subject(), &subject);
    assert_eq!(c.serial_number(), &[0x00, 0x9f, 0x01]);
    assert_eq!(c.x509().unwrap().tbs_certificate().version(), Version::V3);
    let ku = c.key_usage().unwrap();
    assert!(ku.digital_signature() && ku.key_encipherment() && !ku.key_cert_sign());
    let bits = c
        .public_key()
        .subject_public_key
        .as_bytes()
        .unwrap()
        .to_vec();
    assert_eq!(
        c.subject_key_identifier().unwrap(),
        &Sha1::digest(&bits)[..]
    );
    let x = c.x509().unwrap();
    let validity = x.tbs_certificate().validity();
    assert!(matches!(validity.not_before, Time::UtcTime(_)));
    assert!(matches!(validity.not_after, Time::UtcTime(_)));

    // Our own verifier accepts the signature over the TBS.
    let tbs = c.x509().unwrap().tbs_certificate().to_der().unwrap();
    let x = c.x509().unwrap();
    let sig = x.signature().as_bytes().unwrap();
    PROVIDER
        .verifier
        .verify(alg, c.public_key(), &tbs, sig)
        .unwrap();

    // It pairs with its key.
    let k = RsaKey::new(key.private_key().clone(), c.clone()).unwrap();
    assert_eq!(k.certificate(), &c);
    // And converts to the RFC 5280 profile.
    c.to_rfc5280().unwrap();
}

#[test]
fn self_signed_certificate_times_after_2049_are_generalized() {
    let key = key1024();
    let c = self_signed_certificate(
        key.private_key(),
        &name("late"),
        &[1],
        date(2049, 6, 1),
        date(2050, 1, 1),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
    )
    .unwrap();
    let x = c.x509().unwrap();
    let validity = x.tbs_certificate().validity();
    assert!(matches!(validity.not_before, Time::UtcTime(_)));
    assert!(matches!(validity.not_after, Time::GeneralTime(_)));
}

#[test]
fn self_signed_certificate_input_checks() {
    let key = key512();
    let k = key.private_key();
    let n = name("x");
    let (a, b) = (date(2024, 1, 1), date(2025, 1, 1));
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let mk = |serial: &[u8], nb, na, alg| self_signed_certificate(k, &n, serial, nb, na, alg);
    assert_eq!(mk(&[], a, b, alg).err(), Some(Error::InvalidInput));
    assert_eq!(mk(&[0, 0], a, b, alg).err(), Some(Error::InvalidInput));
    assert_eq!(mk(&[1; 21], a, b, alg).err(), Some(Error::InvalidInput));
    assert_eq!(mk(&[0x80; 20], a, b, alg).err(), Some(Error::InvalidInput));
    assert_eq!(mk(&[1], b, a, alg).err(), Some(Error::InvalidInput));
    let c = mk(&[0x7f; 20], a, b, alg).unwrap();
    assert_eq!(c.serial_number(), &[0x7f; 20]);
    let c = mk(&[0x80; 19], a, b, alg).unwrap();
    assert_eq!(c.serial_number().len(), 20);
    assert!(mk(&[1], a, a, alg).is_ok());
    let sha512 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha512);
    assert_eq!(
        mk(&[1], a, b, sha512).err(),
        Some(Error::Crypto(CryptoError::Failed))
    );
}

// ---------------------------------------------------------------------------------------------
// CRLs (builder::crl signed through sign_with_key)

fn sample_crl(revoked: Vec<crate::builder::RevokedCertificate>) -> (RsaKey, crate::message::Crl) {
    let ca = key2048();
    let template = crate::builder::CrlTemplate {
        this_update: date(2024, 3, 1),
        next_update: Some(date(2024, 3, 8)),
        number: alloc::vec![0, 0, 7],
        revoked,
    };
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let crl = crate::builder::crl(&template, ca.certificate(), alg, &mut |tbs| {
        sign_with_key(ca.private_key(), alg, tbs)
    })
    .unwrap();
    (ca, crl)
}

#[test]
fn crl_is_well_formed_and_verifies() {
    use crate::builder::RevokedCertificate;
    use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};
    let (ca, crl) = sample_crl(alloc::vec![
        RevokedCertificate {
            serial: alloc::vec![0x01],
            revocation_date: date(2024, 2, 1),
            reason: Some(CrlReason::KeyCompromise),
        },
        RevokedCertificate {
            serial: alloc::vec![0x00, 0x9f, 0x01],
            revocation_date: date(2050, 2, 1),
            reason: None,
        },
    ]);
    let list =
        x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(crl.as_der())
            .unwrap();
    let tbs = &list.tbs_cert_list;
    assert_eq!(tbs.version, Version::V2);
    assert_eq!(&tbs.issuer, ca.certificate().subject());
    assert!(matches!(tbs.next_update, Some(Time::UtcTime(_))));
    let revoked = tbs.revoked_certificates.as_ref().unwrap();
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked[0].serial_number.as_bytes(), &[0x01]);
    assert_eq!(revoked[1].serial_number.as_bytes(), &[0x00, 0x9f, 0x01]);
    assert!(matches!(revoked[1].revocation_date, Time::GeneralTime(_)));
    let reason = &revoked[0].crl_entry_extensions.as_ref().unwrap()[0];
    assert_eq!(reason.extn_id, CrlReason::OID);
    assert_eq!(
        CrlReason::from_der(reason.extn_value.as_bytes()).unwrap(),
        CrlReason::KeyCompromise
    );
    assert!(revoked[1].crl_entry_extensions.is_none());
    let exts = tbs.crl_extensions.as_ref().unwrap();
    let number = exts.iter().find(|e| e.extn_id == CrlNumber::OID).unwrap();
    let number = CrlNumber::from_der(number.extn_value.as_bytes()).unwrap();
    assert_eq!(number.0.as_bytes(), &[7]);
    let aki = exts
        .iter()
        .find(|e| e.extn_id == AuthorityKeyIdentifier::OID)
        .unwrap();
    let aki = AuthorityKeyIdentifier::from_der(aki.extn_value.as_bytes()).unwrap();
    assert_eq!(
        aki.key_identifier.unwrap().as_bytes(),
        ca.certificate().subject_key_identifier().unwrap()
    );
    // Our verifier accepts the signature over the TBS as encoded.
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    PROVIDER
        .verifier
        .verify(
            alg,
            ca.certificate().public_key(),
            &tbs.to_der().unwrap(),
            list.signature.as_bytes().unwrap(),
        )
        .unwrap();
    // A signature by another key does not.
    assert!(
        PROVIDER
            .verifier
            .verify(
                alg,
                key1024().certificate().public_key(),
                &tbs.to_der().unwrap(),
                list.signature.as_bytes().unwrap(),
            )
            .is_err()
    );
}

#[test]
fn crl_input_checks() {
    use crate::builder::{CrlTemplate, RevokedCertificate, crl};
    let ca = key512();
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let entry = |serial: &[u8]| RevokedCertificate {
        serial: serial.to_vec(),
        revocation_date: date(2024, 1, 1),
        reason: None,
    };
    let build = |number: &[u8], next, revoked: Vec<RevokedCertificate>| {
        let t = CrlTemplate {
            this_update: date(2024, 2, 1),
            next_update: next,
            number: number.to_vec(),
            revoked,
        };
        crl(&t, ca.certificate(), alg, &mut |tbs| {
            sign_with_key(ca.private_key(), alg, tbs)
        })
    };
    let next = Some(date(2024, 3, 1));
    // An empty list leaves revokedCertificates out; CRL number zero is allowed.
    let empty = build(&[], next, Vec::new()).unwrap();
    let list =
        x509_cert::crl::CertificateList::<x509_cert::certificate::Raw>::from_der(empty.as_der())
            .unwrap();
    assert!(list.tbs_cert_list.revoked_certificates.is_none());
    assert!(build(&[0; 3], None, Vec::new()).is_ok());
    let bad = Some(Error::InvalidInput);
    assert_eq!(build(&[1; 21], next, Vec::new()).err(), bad);
    assert_eq!(build(&[1], Some(date(2024, 1, 1)), Vec::new()).err(), bad);
    assert_eq!(build(&[1], next, alloc::vec![entry(&[0, 0])]).err(), bad);
    assert_eq!(
        build(&[1], next, alloc::vec![entry(&[0x80; 20])]).err(),
        bad
    );
    // A signing failure is the signer's error.
    let sha512 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha512);
    let t = CrlTemplate {
        this_update: date(2024, 2, 1),
        next_update: next,
        number: alloc::vec![1],
        revoked: Vec::new(),
    };
    let err = crl(&t, ca.certificate(), sha512, &mut |tbs| {
        sign_with_key(ca.private_key(), sha512, tbs)
    });
    assert_eq!(err.err(), Some(Error::Crypto(CryptoError::Failed)));
}

// ---------------------------------------------------------------------------------------------
// The compact provider

/// `COMPACT_PROVIDER` agrees with `PROVIDER` on everything but SHA-384 and SHA-512, which it
/// refuses as unsupported: digests, signature verification and OAEP key transport.
#[test]
fn compact_provider_is_the_provider_without_sha384_and_sha512() {
    let key = key2048();
    let spki = key.certificate().public_key();
    let msg = b"signed attributes".as_slice();
    let mut rng = TestRng(9);
    for &d in ALL_DIGESTS {
        let wide = matches!(d, DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512);
        assert_eq!(COMPACT_PROVIDER.digests.supports(d), !wide, "{d:?}");
        assert!(PROVIDER.digests.supports(d), "{d:?}");
        let compact = COMPACT_PROVIDER.digests.digest(d, msg);
        if wide {
            assert_eq!(compact, Err(CryptoError::UnsupportedAlgorithm), "{d:?}");
        } else {
            assert_eq!(compact, PROVIDER.digests.digest(d, msg), "{d:?}");
        }
        let alg = SignatureAlgorithm::RsaPkcs1v15(d);
        let sig = key.clone().with_signature_algorithm(alg).sign(msg).unwrap();
        let verified = COMPACT_PROVIDER
            .verifier
            .verify(alg, spki.clone(), msg, &sig);
        assert_eq!(verified.is_ok(), !wide, "{d:?}");
        let mut bad = sig.clone();
        bad[7] ^= 1;
        assert_eq!(
            COMPACT_PROVIDER
                .verifier
                .verify(alg, spki.clone(), msg, &bad),
            Err(BadSignature)
        );
    }
    for alg in key_transports() {
        let wide = match alg {
            KeyTransport::RsaOaep { hash, mgf1 } => [hash, mgf1]
                .iter()
                .any(|h| matches!(h, DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512)),
            _ => false,
        };
        let cek = random_bytes(&mut rng, 16);
        let wrapped = COMPACT_PROVIDER
            .key_encryptor
            .encrypt_key(alg, spki.clone(), &cek, &mut rng);
        if wide {
            assert_eq!(wrapped, Err(CryptoError::UnsupportedAlgorithm), "{alg:?}");
        } else {
            let back = key.decrypt_key(alg, &wrapped.unwrap(), 16).unwrap();
            assert_eq!(&back[..], &cek[..], "{alg:?}");
        }
    }
    // Negotiation passes SHA-512 over rather than choosing what it cannot compute.
    let caps = crate::caps::Capabilities::parse(b"AES\nSHA-512\nSHA-256\n");
    let n = caps
        .negotiate(&crate::caps::Policy::new(), &COMPACT_PROVIDER)
        .unwrap();
    assert_eq!(n.digest, DigestAlgorithm::Sha256);
    let caps = crate::caps::Capabilities::parse(b"AES\nSHA-512\n");
    assert_eq!(
        caps.negotiate(&crate::caps::Policy::new(), &COMPACT_PROVIDER),
        Err(Error::UnsupportedAlgorithm(
            crate::error::AlgorithmKind::Digest
        ))
    );
}

/// `AesCbcCipher` is `CbcCipher` for AES and refuses DES-EDE3 (and negotiation passes it over).
#[test]
fn aes_cbc_cipher_is_cbc_cipher_without_des() {
    use crate::crypto::ContentCipher;
    let mut rng = TestRng(11);
    let all = [
        ContentEncryption::DesEde3Cbc,
        ContentEncryption::Aes128Cbc,
        ContentEncryption::Aes192Cbc,
        ContentEncryption::Aes256Cbc,
    ];
    for alg in all {
        let aes = alg != ContentEncryption::DesEde3Cbc;
        assert_eq!(AesCbcCipher.supports(alg), aes, "{alg:?}");
        let key = random_bytes(&mut rng, alg.key_len());
        let iv = random_bytes(&mut rng, alg.block_len());
        let plain = random_bytes(&mut rng, 37);
        let sealed = CbcCipher.encrypt(alg, &key, &iv, &plain).unwrap();
        if aes {
            assert_eq!(
                AesCbcCipher.encrypt(alg, &key, &iv, &plain).unwrap(),
                sealed
            );
            let back = AesCbcCipher.decrypt(alg, &key, &iv, &sealed).unwrap();
            assert_eq!(&back[..], &plain[..]);
            let mut bad = sealed.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                AesCbcCipher.decrypt(alg, &key, &iv, &bad),
                Err(DecryptFailed)
            );
        } else {
            assert_eq!(
                AesCbcCipher.encrypt(alg, &key, &iv, &plain),
                Err(CryptoError::UnsupportedAlgorithm)
            );
            assert_eq!(
                AesCbcCipher.decrypt(alg, &key, &iv, &sealed),
                Err(DecryptFailed)
            );
        }
    }
    let provider = CryptoProvider {
        cipher: &AesCbcCipher,
        ..COMPACT_PROVIDER
    };
    let caps = crate::caps::Capabilities::parse(b"DES3\nAES\nSHA-256\n");
    let n = caps
        .negotiate(&crate::caps::Policy::new(), &provider)
        .unwrap();
    assert_eq!(n.cipher, ContentEncryption::Aes128Cbc);
    let caps = crate::caps::Capabilities::parse(b"DES3\nSHA-256\n");
    assert_eq!(
        caps.negotiate(&crate::caps::Policy::new(), &provider),
        Err(Error::UnsupportedAlgorithm(
            crate::error::AlgorithmKind::ContentEncryption
        ))
    );
}

// ---------------------------------------------------------------------------------------------
// Key generation

#[test]
fn generate_key_refuses_sizes_out_of_range_and_a_failing_generator() {
    let mut rng = TestRng(7);
    for bits in [0, 512, 1024, 2047, 2056 + 1, MAX_RSA_BITS + 8] {
        assert_eq!(
            generate_key(bits, &mut rng).err(),
            Some(Error::InvalidInput),
            "{bits}"
        );
    }
    assert_eq!(
        generate_key(2048, &mut FailingRng).err(),
        Some(Error::Crypto(CryptoError::Rng))
    );
}

/// `CompactEcdsaVerifier` agrees with `CompactRsaVerifier` on ECDSA (SHA-1/224/256, a P-256
/// key) and refuses what it leaves out: RSA signatures, SHA-384/512.
#[cfg(feature = "p256")]
#[test]
fn compact_ecdsa_verifier_is_the_compact_verifier_without_rsa() {
    use crate::crypto::EcCurve;
    use crate::crypto::Verifier;
    let mut rng = TestRng(13);
    let ec = EcPrivateKey::generate(EcCurve::P256, &mut rng).unwrap();
    let ec_spki_der = Encode::to_der(&ec.public_key_info().unwrap()).unwrap();
    let ec_spki = SubjectPublicKeyInfoRef::try_from(ec_spki_der.as_slice()).unwrap();
    let msg = b"signed attributes".as_slice();
    for &d in ALL_DIGESTS {
        if d.is_legacy() {
            continue;
        }
        let alg = SignatureAlgorithm::Ecdsa(d);
        let sig = ec.sign(alg, msg).unwrap();
        let wide = matches!(d, DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512);
        let got = CompactEcdsaVerifier.verify(alg, ec_spki.clone(), msg, &sig);
        assert_eq!(
            got,
            CompactRsaVerifier.verify(alg, ec_spki.clone(), msg, &sig),
            "{d:?}"
        );
        assert_eq!(got.is_ok(), !wide, "{d:?}");
        let mut bad = sig.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(
            CompactEcdsaVerifier.verify(alg, ec_spki.clone(), msg, &bad),
            Err(BadSignature)
        );
    }
    let rsa = key2048();
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let sig = rsa.sign(msg).unwrap();
    let spki = rsa.certificate().public_key();
    assert!(
        CompactRsaVerifier
            .verify(alg, spki.clone(), msg, &sig)
            .is_ok()
    );
    assert_eq!(
        CompactEcdsaVerifier.verify(alg, spki, msg, &sig),
        Err(BadSignature)
    );
}
