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

#[cfg(any(feature = "p256", feature = "p384"))]
pub use key::AwsLcEcKey;

#[cfg(any(feature = "p256", feature = "p384"))]
mod key {
    use alloc::string::String;
    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use core::fmt;

    use aws_lc_rs::agreement::{self, UnparsedPublicKey};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair};
    use zeroize::Zeroizing;

    use crate::cert::Certificate;
    use crate::crypto::{CryptoError, Decryptor, EcCurve, SignatureAlgorithm, Signer};
    use crate::error::Error;
    use crate::provider::rustcrypto::EcKey;

    /// The AWS-LC halves of the key.
    struct Native {
        signing: EcdsaKeyPair,
        agreement: agreement::PrivateKey,
    }

    /// An EC key (P-256, P-384) with its certificate, held by AWS-LC: ECDSA signing with the
    /// curve's own digest (P-256 with SHA-256, P-384 with SHA-384) and ECDH
    /// ([`Decryptor::agree`]) run natively; ECDSA with another digest (the one a CA mirrors from
    /// a request, which `aws-lc-rs` has no signing algorithm for) falls back to the RustCrypto
    /// [`EcKey`] it keeps too. The counterpart of [`AwsLcRsaKey`](super::super::AwsLcRsaKey)
    /// for an EC CA or device. Cloning is cheap (the AWS-LC half is shared).
    #[derive(Clone)]
    pub struct AwsLcEcKey {
        fallback: EcKey,
        native: Arc<Native>,
    }

    impl fmt::Debug for AwsLcEcKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("AwsLcEcKey")
                .field("key", &self.fallback)
                .finish_non_exhaustive()
        }
    }

    impl AwsLcEcKey {
        /// Loads the key of a RustCrypto [`EcKey`] (and its certificate and signature
        /// algorithm) into AWS-LC.
        ///
        /// # Errors
        /// [`Error::Encode`] when the key cannot be encoded, [`Error::InvalidInput`] when
        /// AWS-LC refuses it.
        pub fn new(key: EcKey) -> Result<Self, Error> {
            let pem: Zeroizing<String> = key.private_key().to_pkcs8_pem()?;
            let der = Zeroizing::new(
                crate::asn1::pem::decode_first(pem.as_bytes(), "PRIVATE KEY")
                    .map(|(_, der)| der)
                    .ok_or(Error::Encode)?,
            );
            let (signing_alg, agreement_alg) = match key.private_key().curve() {
                EcCurve::P256 => (
                    &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    &agreement::ECDH_P256,
                ),
                EcCurve::P384 => (
                    &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                    &agreement::ECDH_P384,
                ),
            };
            let signing =
                EcdsaKeyPair::from_pkcs8(signing_alg, &der).map_err(|_| Error::InvalidInput)?;
            let agreement = agreement::PrivateKey::from_private_key_der(agreement_alg, &der)
                .map_err(|_| Error::InvalidInput)?;
            Ok(Self {
                fallback: key,
                native: Arc::new(Native { signing, agreement }),
            })
        }

        /// Decodes a PKCS #8 or SEC1 PEM key (as [`EcKey::from_pem`]) and pairs it with
        /// `cert`.
        ///
        /// # Errors
        /// [`Error::InvalidInput`] when the key does not decode or does not match `cert`.
        pub fn from_pem(pem: &[u8], cert: Certificate) -> Result<Self, Error> {
            Self::new(EcKey::from_pem(pem, cert)?)
        }

        /// Signs with `alg` (ECDSA with another digest) from now on.
        #[must_use]
        pub fn with_signature_algorithm(mut self, alg: SignatureAlgorithm) -> Self {
            self.fallback = self.fallback.with_signature_algorithm(alg);
            self
        }

        /// The same key as a RustCrypto [`EcKey`].
        pub fn ec_key(&self) -> &EcKey {
            &self.fallback
        }

        /// The certificate.
        pub fn certificate(&self) -> &Certificate {
            Signer::certificate(&self.fallback)
        }

        fn curve(&self) -> EcCurve {
            self.fallback.private_key().curve()
        }
    }

    impl Signer for AwsLcEcKey {
        fn certificate(&self) -> &Certificate {
            Signer::certificate(&self.fallback)
        }

        fn signature_algorithm(&self) -> SignatureAlgorithm {
            self.fallback.signature_algorithm()
        }

        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
            self.sign_with(self.signature_algorithm(), message)
        }

        /// AWS-LC for the curve's own digest, RustCrypto for any other SHA-1/SHA-2 digest.
        fn sign_with(
            &self,
            alg: SignatureAlgorithm,
            message: &[u8],
        ) -> Result<Vec<u8>, CryptoError> {
            if alg == SignatureAlgorithm::Ecdsa(self.curve().default_digest()) {
                let sig = self
                    .native
                    .signing
                    .sign(&SystemRandom::new(), message)
                    .map_err(|_| CryptoError::Failed)?;
                Ok(sig.as_ref().to_vec())
            } else {
                self.fallback.sign_with(alg, message)
            }
        }
    }

    impl Decryptor for AwsLcEcKey {
        fn certificate(&self) -> &Certificate {
            Signer::certificate(&self.fallback)
        }

        /// ECDH in AWS-LC (the peer point is checked to be on the curve there).
        fn agree(
            &self,
            curve: EcCurve,
            public_point: &[u8],
        ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
            let alg = match (curve, self.curve()) {
                (EcCurve::P256, EcCurve::P256) => &agreement::ECDH_P256,
                (EcCurve::P384, EcCurve::P384) => &agreement::ECDH_P384,
                _ => return Err(CryptoError::InvalidKey),
            };
            agreement::agree(
                &self.native.agreement,
                UnparsedPublicKey::new(alg, public_point),
                CryptoError::InvalidKey,
                |z| Ok(Zeroizing::new(z.to_vec())),
            )
        }
    }
}
