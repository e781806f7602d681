//! Elliptic curves in the RustCrypto provider: ECDSA verification (part of [`RsaVerifier`](super::RsaVerifier)),
//! and the software key holders [`EcPrivateKey`] and [`EcKey`].
//!
//! Each curve is a cargo feature (`p256`, `p384`; both default), so firmware links only the curve
//! its secure element has. A curve that is not built in is refused like an unknown one.

#[cfg(any(feature = "p256", feature = "p384"))]
pub use keys::{EcKey, EcPrivateKey};

use alloc::vec::Vec;

use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use crate::crypto::{
    BadSignature, CryptoError, DigestAlgorithm, EcCurve, KeyAgreement, SecureRandom,
};

/// Ephemeral-static ECDH on the curves built in (features `p256`, `p384`), for sealing
/// `KeyAgreeRecipientInfo`s: the ephemeral key comes from the `rng` passed in.
#[derive(Clone, Copy, Debug, Default)]
pub struct EcdhKeyAgreement;

impl KeyAgreement for EcdhKeyAgreement {
    fn supports(&self, curve: EcCurve) -> bool {
        match curve {
            EcCurve::P256 => cfg!(feature = "p256"),
            EcCurve::P384 => cfg!(feature = "p384"),
        }
    }

    fn ephemeral_agree(
        &self,
        curve: EcCurve,
        recipient: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), CryptoError> {
        #[cfg(any(feature = "p256", feature = "p384"))]
        {
            if !self.supports(curve) {
                return Err(CryptoError::UnsupportedAlgorithm);
            }
            let eph = EcPrivateKey::generate(curve, rng).map_err(|e| match e {
                crate::Error::Crypto(c) => c,
                _ => CryptoError::UnsupportedAlgorithm,
            })?;
            let z = eph.agree(curve, recipient)?;
            Ok((eph.public_point(), z))
        }
        #[cfg(not(any(feature = "p256", feature = "p384")))]
        {
            let _ = (curve, recipient, rng);
            Err(CryptoError::UnsupportedAlgorithm)
        }
    }
}

/// ECDSA verification of `signature` (DER `ECDSA-Sig-Value`) over `message` hashed with
/// `digest`, with the EC key in `spki`. Every failure is the one [`BadSignature`]: a key that is
/// not on a built-in curve, a point not on the curve, a signature that is not strict DER or has
/// `r` or `s` out of range.
// Never inlined into the verifier: its curve arithmetic has kilobytes of locals, which would
// otherwise be on the stack for every RSA verification too (2.4 KiB more peak stack in the
// P-256 firmware image, whose CA signs with RSA).
#[inline(never)]
pub(super) fn verify<const WIDE: bool>(
    digest: DigestAlgorithm,
    spki: &SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), BadSignature> {
    if digest.is_legacy() {
        return Err(BadSignature);
    }
    #[cfg(any(feature = "p256", feature = "p384"))]
    {
        use ecdsa::signature::hazmat::PrehashVerifier;

        let (curve, point) = EcCurve::from_spki(spki).ok_or(BadSignature)?;
        let hashed = super::hash_in::<WIDE>(digest, message).map_err(|_| BadSignature)?;
        let prehash = hashed.as_bytes();
        match curve {
            #[cfg(feature = "p256")]
            EcCurve::P256 => {
                let key =
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| BadSignature)?;
                let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| BadSignature)?;
                key.verify_prehash(prehash, &sig).map_err(|_| BadSignature)
            }
            #[cfg(feature = "p384")]
            EcCurve::P384 => {
                let key =
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| BadSignature)?;
                let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| BadSignature)?;
                key.verify_prehash(prehash, &sig).map_err(|_| BadSignature)
            }
            #[allow(unreachable_patterns, reason = "when only one curve is built in")]
            _ => Err(BadSignature),
        }
    }
    #[cfg(not(any(feature = "p256", feature = "p384")))]
    {
        let _ = (spki, message, signature);
        Err(BadSignature)
    }
}

#[cfg(any(feature = "p256", feature = "p384"))]
mod keys {
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::fmt;

    use der::Decode;
    use ecdsa::elliptic_curve::pkcs8::{
        DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding,
    };
    use ecdsa::signature::hazmat::PrehashSigner;
    use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
    use zeroize::Zeroizing;

    use crate::cert::Certificate;
    use crate::crypto::{
        CryptoError, Decryptor, EcCurve, SecureRandom, SignatureAlgorithm, Signer,
    };
    use crate::error::Error;

    #[derive(Clone)]
    enum Inner {
        #[cfg(feature = "p256")]
        P256(p256::ecdsa::SigningKey),
        #[cfg(feature = "p384")]
        P384(p384::ecdsa::SigningKey),
    }

    /// A software EC private key (P-256 or P-384) without a certificate: it signs (ECDSA,
    /// deterministic nonces per RFC 6979) and agrees (ECDH). What a device uses before it has a
    /// certificate (its CSR and self-signed signer), and the key inside [`EcKey`].
    #[derive(Clone)]
    pub struct EcPrivateKey(Inner);

    impl fmt::Debug for EcPrivateKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("EcPrivateKey")
                .field("curve", &self.curve())
                .finish_non_exhaustive()
        }
    }

    impl EcPrivateKey {
        /// Generates a key on `curve` from `rng` (rejection sampling of the scalar).
        ///
        /// # Errors
        /// [`Error::UnsupportedAlgorithm`] for a curve not built in, [`Error::Crypto`] when the
        /// generator fails.
        pub fn generate(curve: EcCurve, rng: &mut dyn SecureRandom) -> Result<Self, Error> {
            let mut buf = Zeroizing::new([0u8; 48]);
            let bytes = buf
                .get_mut(..curve.field_len())
                .ok_or(Error::InvalidInput)?;
            // A uniformly random string is a valid scalar with probability above 1 - 2^-32 on
            // both curves; 16 failures in a row mean a broken generator.
            for _ in 0..16 {
                rng.fill(bytes)?;
                if let Some(key) = Self::from_scalar(curve, bytes) {
                    return Ok(key);
                }
            }
            Err(Error::Crypto(CryptoError::Rng))
        }

        fn from_scalar(curve: EcCurve, bytes: &[u8]) -> Option<Self> {
            match curve {
                #[cfg(feature = "p256")]
                EcCurve::P256 => p256::ecdsa::SigningKey::from_slice(bytes)
                    .ok()
                    .map(|k| Self(Inner::P256(k))),
                #[cfg(feature = "p384")]
                EcCurve::P384 => p384::ecdsa::SigningKey::from_slice(bytes)
                    .ok()
                    .map(|k| Self(Inner::P384(k))),
                #[allow(unreachable_patterns, reason = "when only one curve is built in")]
                _ => None,
            }
        }

        /// Decodes a DER PKCS #8 `PrivateKeyInfo` (unencrypted, `id-ecPublicKey` on a built-in
        /// curve, RFC 5915).
        ///
        /// # Errors
        /// [`Error::InvalidInput`] when it does not decode.
        pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
            #[cfg(feature = "p256")]
            if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
                return Ok(Self(Inner::P256(k.into())));
            }
            #[cfg(feature = "p384")]
            if let Ok(k) = p384::SecretKey::from_pkcs8_der(der) {
                return Ok(Self(Inner::P384(k.into())));
            }
            Err(Error::InvalidInput)
        }

        /// Decodes a DER SEC1 `ECPrivateKey` (RFC 5915 §3; what `openssl ecparam -genkey`
        /// writes) whose parameters name a built-in curve.
        ///
        /// # Errors
        /// [`Error::InvalidInput`] when it does not decode.
        pub fn from_sec1_der(der: &[u8]) -> Result<Self, Error> {
            #[cfg(feature = "p256")]
            if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
                return Ok(Self(Inner::P256(k.into())));
            }
            #[cfg(feature = "p384")]
            if let Ok(k) = p384::SecretKey::from_sec1_der(der) {
                return Ok(Self(Inner::P384(k.into())));
            }
            Err(Error::InvalidInput)
        }

        /// Decodes the first `PRIVATE KEY` (PKCS #8) or `EC PRIVATE KEY` (SEC1) PEM block in
        /// `pem`, ignoring text around it (an `EC PARAMETERS` block, a certificate).
        ///
        /// # Errors
        /// [`Error::InvalidInput`] when there is no such block or it does not decode.
        pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
            if let Some(der) = super::super::pem_block(pem, "PRIVATE KEY") {
                return Self::from_pkcs8_der(&der);
            }
            let der = super::super::pem_block(pem, "EC PRIVATE KEY").ok_or(Error::InvalidInput)?;
            Self::from_sec1_der(&der)
        }

        /// The private key as unencrypted PKCS #8 PEM (`PRIVATE KEY`, LF line endings).
        ///
        /// # Errors
        /// [`Error::Encode`] when encoding fails.
        pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
            let pem = match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(k) => p256::SecretKey::from(k).to_pkcs8_pem(LineEnding::LF),
                #[cfg(feature = "p384")]
                Inner::P384(k) => p384::SecretKey::from(k).to_pkcs8_pem(LineEnding::LF),
            };
            pem.map_err(|_| Error::Encode)
        }

        /// The curve.
        pub fn curve(&self) -> EcCurve {
            match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(_) => EcCurve::P256,
                #[cfg(feature = "p384")]
                Inner::P384(_) => EcCurve::P384,
            }
        }

        /// ECDSA with the curve's own digest (SHA-256 for P-256, SHA-384 for P-384).
        pub fn default_signature_algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::Ecdsa(self.curve().default_digest())
        }

        /// The `SubjectPublicKeyInfo` (`id-ecPublicKey`, `namedCurve`, uncompressed point):
        /// what a CSR or a [`CertificateTemplate`](crate::builder::CertificateTemplate) needs.
        ///
        /// # Errors
        /// [`Error::Encode`] when DER encoding fails.
        pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned, Error> {
            let der = match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(k) => k.verifying_key().to_public_key_der(),
                #[cfg(feature = "p384")]
                Inner::P384(k) => k.verifying_key().to_public_key_der(),
            }
            .map_err(|_| Error::Encode)?;
            SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|_| Error::Encode)
        }

        /// The uncompressed SEC1 public point.
        pub fn public_point(&self) -> Vec<u8> {
            match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(k) => k.verifying_key().to_sec1_bytes().into_vec(),
                #[cfg(feature = "p384")]
                Inner::P384(k) => k.verifying_key().to_sec1_bytes().into_vec(),
            }
        }

        /// Whether `spki` holds this key's public half (compressed or uncompressed point).
        pub fn matches(&self, spki: &SubjectPublicKeyInfoRef<'_>) -> bool {
            let Some((curve, point)) = EcCurve::from_spki(spki) else {
                return false;
            };
            if curve != self.curve() {
                return false;
            }
            match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(k) => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .is_ok_and(|p| &p == k.verifying_key()),
                #[cfg(feature = "p384")]
                Inner::P384(k) => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .is_ok_and(|p| &p == k.verifying_key()),
            }
        }

        /// ECDSA over `message` (hashed here with `alg`'s digest); the DER `ECDSA-Sig-Value`.
        ///
        /// # Errors
        /// [`CryptoError::UnsupportedAlgorithm`] for an algorithm that is not ECDSA with SHA-1
        /// or SHA-2.
        pub fn sign(
            &self,
            alg: SignatureAlgorithm,
            message: &[u8],
        ) -> Result<Vec<u8>, CryptoError> {
            let SignatureAlgorithm::Ecdsa(digest) = alg else {
                return Err(CryptoError::UnsupportedAlgorithm);
            };
            if digest.is_legacy() {
                return Err(CryptoError::UnsupportedAlgorithm);
            }
            let hashed = super::super::hash(digest, message)?;
            let prehash = hashed.as_bytes();
            let der = match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(k) => {
                    let sig: p256::ecdsa::Signature =
                        k.sign_prehash(prehash).map_err(|_| CryptoError::Failed)?;
                    sig.to_der().as_bytes().to_vec()
                }
                #[cfg(feature = "p384")]
                Inner::P384(k) => {
                    let sig: p384::ecdsa::Signature =
                        k.sign_prehash(prehash).map_err(|_| CryptoError::Failed)?;
                    sig.to_der().as_bytes().to_vec()
                }
            };
            Ok(der)
        }

        /// ECDH with `public_point` (SEC1, compressed or uncompressed) on `curve`: the shared
        /// secret `Z`, the x-coordinate of the product.
        ///
        /// # Errors
        /// [`CryptoError::InvalidKey`] for another curve or a point not on the curve.
        pub fn agree(
            &self,
            curve: EcCurve,
            public_point: &[u8],
        ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
            if curve != self.curve() {
                return Err(CryptoError::InvalidKey);
            }
            let z = match &self.0 {
                #[cfg(feature = "p256")]
                Inner::P256(k) => {
                    let peer = p256::PublicKey::from_sec1_bytes(public_point)
                        .map_err(|_| CryptoError::InvalidKey)?;
                    let shared =
                        p256::ecdh::diffie_hellman(k.as_nonzero_scalar(), peer.as_affine());
                    Zeroizing::new(shared.raw_secret_bytes().to_vec())
                }
                #[cfg(feature = "p384")]
                Inner::P384(k) => {
                    let peer = p384::PublicKey::from_sec1_bytes(public_point)
                        .map_err(|_| CryptoError::InvalidKey)?;
                    let shared =
                        p384::ecdh::diffie_hellman(k.as_nonzero_scalar(), peer.as_affine());
                    Zeroizing::new(shared.raw_secret_bytes().to_vec())
                }
            };
            Ok(z)
        }
    }

    /// A software EC key with its certificate: a [`Signer`] (ECDSA, by default with the curve's
    /// digest) and a [`Decryptor`] that only does key agreement ([`Decryptor::agree`], ECDH).
    /// The software counterpart of a secure element's key slot.
    #[derive(Clone)]
    pub struct EcKey {
        key: EcPrivateKey,
        cert: Certificate,
        signature_algorithm: SignatureAlgorithm,
    }

    impl fmt::Debug for EcKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("EcKey")
                .field("curve", &self.key.curve())
                .field("subject", &self.cert.subject())
                .field("signature_algorithm", &self.signature_algorithm)
                .finish_non_exhaustive()
        }
    }

    impl EcKey {
        /// Pairs `key` with `cert`, signing with ECDSA and the curve's digest until
        /// [`with_signature_algorithm`](Self::with_signature_algorithm) says otherwise.
        ///
        /// # Errors
        /// [`Error::InvalidInput`] when the certificate's public key is not `key`'s.
        pub fn new(key: EcPrivateKey, cert: Certificate) -> Result<Self, Error> {
            if !key.matches(&cert.public_key()) {
                return Err(Error::InvalidInput);
            }
            let signature_algorithm = key.default_signature_algorithm();
            Ok(Self {
                key,
                cert,
                signature_algorithm,
            })
        }

        /// Decodes a PKCS #8 or SEC1 PEM key (see [`EcPrivateKey::from_pem`]) and pairs it
        /// with `cert`.
        ///
        /// # Errors
        /// [`Error::InvalidInput`] when the key does not decode or does not match `cert`.
        pub fn from_pem(pem: &[u8], cert: Certificate) -> Result<Self, Error> {
            Self::new(EcPrivateKey::from_pem(pem)?, cert)
        }

        /// Signs with `alg` (ECDSA with another digest) from now on.
        #[must_use]
        pub fn with_signature_algorithm(mut self, alg: SignatureAlgorithm) -> Self {
            self.signature_algorithm = alg;
            self
        }

        /// The private key.
        pub fn private_key(&self) -> &EcPrivateKey {
            &self.key
        }

        /// The certificate.
        pub fn certificate(&self) -> &Certificate {
            &self.cert
        }
    }

    impl Signer for EcKey {
        fn certificate(&self) -> &Certificate {
            &self.cert
        }

        fn signature_algorithm(&self) -> SignatureAlgorithm {
            self.signature_algorithm
        }

        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
            self.key.sign(self.signature_algorithm, message)
        }

        /// ECDSA with any SHA-1/SHA-2 digest (the one negotiated with the CA).
        fn sign_with(
            &self,
            alg: SignatureAlgorithm,
            message: &[u8],
        ) -> Result<Vec<u8>, CryptoError> {
            self.key.sign(alg, message)
        }
    }

    impl Decryptor for EcKey {
        fn certificate(&self) -> &Certificate {
            &self.cert
        }

        fn agree(
            &self,
            curve: EcCurve,
            public_point: &[u8],
        ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
            self.key.agree(curve, public_point)
        }
    }
}
