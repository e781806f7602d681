//! The envelope kinds behind cargo features: key agreement (`p256`/`p384`) and password
//! recipients (`pwri`). With the feature, an OpenSSL-made envelope of that kind is opened (or, for
//! key agreement with a key holder that refuses ECDH, ends in the one `Error::Decrypt`); without
//! it, the same envelope is refused as `UnsupportedAlgorithm` before any key is used, and sealing
//! one is refused the same way. `.ci/run` runs this module without the features too.

use scep::Certificate;
use scep::crypto::{CryptoError, Decryptor, KeyTransport};
use scep::envelope::{self, OpenOptions, SealOptions};
use scep::error::AlgorithmKind;
use scep::message::{CertRep, CertsOnly, MessageBody};

use crate::roundtrip::{key, message};
use crate::support::{self, TempDir};

const KARI: bool = cfg!(any(feature = "p256", feature = "p384"));
const PWRI: bool = cfg!(feature = "pwri");
const PROVIDER: scep::crypto::CryptoProvider = scep::provider::rustcrypto::PROVIDER;

fn unsupported() -> scep::Error {
    scep::Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport)
}

fn cert(name: &str) -> Certificate {
    let pem = std::fs::read(format!("tests/data/{name}.cert.pem")).unwrap();
    Certificate::from_pem(&pem).unwrap()
}

/// A key holder that has a certificate and refuses every private operation.
struct CertificateOnly(Certificate);

impl Decryptor for CertificateOnly {
    fn certificate(&self) -> &Certificate {
        &self.0
    }
}

/// `openssl cms -encrypt` of a short payload with `args` (recipients, cipher); DER.
fn openssl_envelope(tmp: &TempDir, args: &[&str]) -> Vec<u8> {
    std::fs::write(tmp.path("in.bin"), b"a CertRep payload").unwrap();
    let input = tmp.s("in.bin");
    let out = tmp.s("env.der");
    let mut all = vec![
        "cms", "-encrypt", "-binary", "-in", &input, "-outform", "DER", "-out", &out, "-aes128",
    ];
    all.extend_from_slice(args);
    support::openssl(&all);
    std::fs::read(tmp.path("env.der")).unwrap()
}

#[test]
fn key_agreement_recipient_needs_a_curve_feature() {
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("feature-kari");
    let der = openssl_envelope(&tmp, &["tests/data/p256.cert.pem"]);
    let holder = CertificateOnly(cert("p256"));
    let got = envelope::decrypt_enveloped(
        &der,
        &OpenOptions::DEFAULT,
        &holder,
        &PROVIDER,
        &mut support::rng(),
    )
    .err();
    // With a curve, the recipient is chosen and the refused ECDH ends in the uniform error.
    let want = if KARI {
        scep::Error::Decrypt
    } else {
        unsupported()
    };
    assert_eq!(got, Some(want));
}

#[test]
fn password_recipient_needs_the_pwri_feature() {
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("feature-pwri");
    let der = openssl_envelope(&tmp, &["-pwri_password", "challenge-123"]);
    let anyone = CertificateOnly(cert("ra2048"));
    let opts = OpenOptions::DEFAULT.with_password(Some(envelope::Password(b"challenge-123")));
    let got = envelope::decrypt_enveloped(&der, &opts, &anyone, &PROVIDER, &mut support::rng());
    if PWRI {
        let (_, kt, plain) = got.unwrap();
        assert_eq!(
            (kt, &plain[..]),
            (KeyTransport::Password, &b"a CertRep payload"[..])
        );
    } else {
        assert_eq!(got.err(), Some(unsupported()));
    }
}

/// Key transport next to a password recipient: opened by the key, with or without `pwri`.
#[test]
fn key_transport_beside_a_password_recipient_opens_either_way() {
    if !support::have_openssl() {
        return;
    }
    let tmp = TempDir::new("feature-ktri-pwri");
    let der = openssl_envelope(
        &tmp,
        &[
            "-recip",
            "tests/data/ra2048.cert.pem",
            "-pwri_password",
            "challenge-123",
        ],
    );
    let ra = key("ra2048");
    let (_, kt, plain) = envelope::decrypt_enveloped(
        &der,
        &OpenOptions::DEFAULT,
        &ra,
        &PROVIDER,
        &mut support::rng(),
    )
    .unwrap();
    assert_eq!(kt, KeyTransport::RsaPkcs1v15);
    assert_eq!(&plain[..], b"a CertRep payload");
}

/// Sealing to an EC certificate (key agreement) or to a password: refused as unsupported
/// without the feature, sealed with it.
#[test]
fn sealing_needs_the_features() {
    let mut rng = support::rng();
    let ra = key("ra2048");
    let body = MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(vec![cert(
        "p256",
    )])));
    let msg = message(body, &mut rng);
    let ec = cert("p256");
    let to_ec = envelope::seal(
        &msg,
        &ra,
        Some(&ec),
        &SealOptions::DEFAULT,
        &PROVIDER,
        &mut rng,
    );
    // (Sealing to a P-256 key needs that curve; with P-384 only it is refused the same way.)
    let want = if cfg!(feature = "p256") {
        None
    } else {
        Some(unsupported())
    };
    assert_eq!(to_ec.err(), want);
    let opts = SealOptions::DEFAULT
        .with_key_transport(KeyTransport::Password)
        .with_password(Some(envelope::Password(b"challenge-123")));
    let to_password = envelope::seal(&msg, &ra, None, &opts, &PROVIDER, &mut rng);
    if PWRI {
        assert!(to_password.is_ok());
    } else {
        assert_eq!(to_password.err(), Some(unsupported()));
    }
    // The provider part refuses on its own, too (a caller of `KeyWrap` directly).
    let mut kek = [0u8; 16];
    let derived = PROVIDER.key_wrap.pbkdf2(
        scep::crypto::DigestAlgorithm::Sha256,
        b"pw",
        b"salt",
        1,
        &mut kek,
    );
    assert_eq!(
        derived.err(),
        (!PWRI).then_some(CryptoError::UnsupportedAlgorithm)
    );
    assert_eq!(PROVIDER.key_wrap.aes_wrap(&[0; 16], &[0; 16]).is_ok(), KARI);
}
