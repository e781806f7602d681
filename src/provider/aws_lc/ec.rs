//! Elliptic curves in the AWS-LC provider: native ECDSA verification for P-256 and P-384.

use aws_lc_rs::signature::{self, EcdsaVerificationAlgorithm};
use spki::SubjectPublicKeyInfoRef;

use crate::crypto::{BadSignature, DigestAlgorithm, EcCurve, SignatureAlgorithm, Verifier};
use crate::provider::rustcrypto::RsaVerifier;

/// The AWS-LC algorithm for ECDSA with `digest` on `curve` (DER signatures); `None` where AWS-LC
/// has none (SHA-1 on P-384, SHA-224 anywhere).
fn ecdsa_algorithm(
    curve: EcCurve,
    digest: DigestAlgorithm,
) -> Option<&'static EcdsaVerificationAlgorithm> {
    Some(match (curve, digest) {
        (EcCurve::P256, DigestAlgorithm::Sha1) => &signature::ECDSA_P256_SHA1_ASN1,
        (EcCurve::P256, DigestAlgorithm::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (EcCurve::P256, DigestAlgorithm::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        (EcCurve::P256, DigestAlgorithm::Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
        (EcCurve::P384, DigestAlgorithm::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        (EcCurve::P384, DigestAlgorithm::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (EcCurve::P384, DigestAlgorithm::Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
        _ => return None,
    })
}

/// ECDSA verification: AWS-LC for the pairs it has, the RustCrypto verifier for the rest.
pub(super) fn verify(
    digest: DigestAlgorithm,
    spki: SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    sig: &[u8],
) -> Result<(), BadSignature> {
    let (curve, point) = EcCurve::from_spki(&spki).ok_or(BadSignature)?;
    match ecdsa_algorithm(curve, digest) {
        Some(alg) => signature::UnparsedPublicKey::new(alg, point)
            .verify(message, sig)
            .map_err(|_| BadSignature),
        None => RsaVerifier.verify(SignatureAlgorithm::Ecdsa(digest), spki, message, sig),
    }
}

/// Ephemeral-static ECDH in AWS-LC (P-256, P-384) for sealing `KeyAgreeRecipientInfo`s. The
/// ephemeral key comes from AWS-LC's own generator, not from the `rng` passed in (`aws-lc-rs`
/// takes none).
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLcKeyAgreement;

impl crate::crypto::KeyAgreement for AwsLcKeyAgreement {
    fn supports(&self, curve: EcCurve) -> bool {
        matches!(curve, EcCurve::P256 | EcCurve::P384)
    }

    fn ephemeral_agree(
        &self,
        curve: EcCurve,
        recipient: &[u8],
        _rng: &mut dyn crate::crypto::SecureRandom,
    ) -> Result<
        (alloc::vec::Vec<u8>, zeroize::Zeroizing<alloc::vec::Vec<u8>>),
        crate::crypto::CryptoError,
    > {
        use crate::crypto::CryptoError;
        use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
        let alg = match curve {
            EcCurve::P256 => &agreement::ECDH_P256,
            EcCurve::P384 => &agreement::ECDH_P384,
        };
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let eph = EphemeralPrivateKey::generate(alg, &rng).map_err(|_| CryptoError::Rng)?;
        let public = eph
            .compute_public_key()
            .map_err(|_| CryptoError::Failed)?
            .as_ref()
            .to_vec();
        let peer = UnparsedPublicKey::new(alg, recipient);
        let z = agreement::agree_ephemeral(eph, peer, CryptoError::InvalidKey, |z| {
            Ok(zeroize::Zeroizing::new(z.to_vec()))
        })?;
        Ok((public, z))
    }
}
