//! The stand-in secure element: the only part of the image that holds the device's private
//! key. The rest of the image sees [`SecureElement`] through the library's [`Signer`] and
//! [`Decryptor`] traits, exactly as it would see the driver of a real chip (I²C or SPI commands:
//! "sign this DigestInfo", "decrypt this wrapped key").
//!
//! By default the element is software: the RSA-2048 key provisioned at build time
//! (`SCEP_FW_DEVICE_KEY`) and RustCrypto's RSA, so the image can run. With the `p256` feature
//! the key is a P-256 key, as in the ATECC608 or STSAFE-A class of chips: the element signs
//! (ECDSA with SHA-256) and does ECDH with the public point it is given (the only private
//! operation a `KeyAgreeRecipientInfo` reply needs); the key never leaves it. With the
//! `stub-secure-element` feature it is a stub whose transfers the optimiser cannot see through
//! ([`core::hint::black_box`]): that image does not run; it shows what a device with a real
//! secure element links.

use alloc::vec::Vec;

use scep::Certificate;
#[cfg(feature = "p256")]
use scep::crypto::EcCurve;
#[cfg(not(feature = "p256"))]
use scep::crypto::KeyTransport;
use scep::crypto::{CryptoError, Decryptor, SignatureAlgorithm, Signer};
use zeroize::Zeroizing;

/// The device's self-signed certificate for the element's key (`SCEP_FW_DEVICE_CERT`): what it
/// signs its first request with.
static DEVICE_CERT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/device.cert.der"));

#[cfg(all(not(feature = "stub-secure-element"), not(feature = "p256")))]
mod chip {
    use scep::provider::rustcrypto::RsaKey;

    /// The key, PKCS #8 DER, as the element would hold it in its own storage.
    static DEVICE_KEY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/device.key.der"));

    pub struct Chip(pub RsaKey);

    impl Chip {
        pub fn open(cert: scep::Certificate) -> Result<Self, scep::Error> {
            RsaKey::from_pkcs8_der(DEVICE_KEY, cert).map(Self)
        }
    }
}

#[cfg(all(not(feature = "stub-secure-element"), feature = "p256"))]
mod chip {
    use scep::provider::rustcrypto::{EcKey, EcPrivateKey};

    /// The key, PKCS #8 DER, as the element would hold it in its own storage.
    static DEVICE_KEY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/device.key.der"));

    pub struct Chip(pub EcKey);

    impl Chip {
        pub fn open(cert: scep::Certificate) -> Result<Self, scep::Error> {
            EcKey::new(EcPrivateKey::from_pkcs8_der(DEVICE_KEY)?, cert).map(Self)
        }
    }
}

#[cfg(feature = "stub-secure-element")]
mod chip {
    use alloc::vec::Vec;
    use core::hint::black_box;

    use scep::crypto::CryptoError;

    pub struct Chip(pub scep::Certificate);

    impl Chip {
        pub fn open(cert: scep::Certificate) -> Result<Self, scep::Error> {
            Ok(Self(cert))
        }

        /// One command/response exchange with the chip.
        pub fn transact(
            &self,
            command: &[u8],
            response_len: usize,
        ) -> Result<Vec<u8>, CryptoError> {
            let mut response = alloc::vec![0u8; response_len];
            black_box((command, &mut response));
            if black_box(false) {
                return Err(CryptoError::Failed);
            }
            Ok(response)
        }
    }
}

/// The secure element.
pub struct SecureElement {
    chip: chip::Chip,
}

impl SecureElement {
    /// Opens the element.
    ///
    /// # Errors
    /// When the provisioned certificate or key does not decode, or they do not match.
    pub fn open() -> Result<Self, scep::Error> {
        let cert = Certificate::from_der(DEVICE_CERT)?;
        Ok(Self {
            chip: chip::Chip::open(cert)?,
        })
    }
}

#[cfg(not(feature = "stub-secure-element"))]
impl Signer for SecureElement {
    fn certificate(&self) -> &Certificate {
        Signer::certificate(&self.chip.0)
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.chip.0.signature_algorithm()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.chip.0.sign(message)
    }

    fn sign_with(&self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.chip.0.sign_with(alg, message)
    }
}

#[cfg(all(not(feature = "stub-secure-element"), not(feature = "p256")))]
impl Decryptor for SecureElement {
    fn certificate(&self) -> &Certificate {
        Decryptor::certificate(&self.chip.0)
    }

    fn decrypt_key(
        &self,
        alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.chip.0.decrypt_key(alg, encrypted_key, key_len)
    }
}

/// Key agreement only: the CA's reply to an EC key is a `KeyAgreeRecipientInfo`.
#[cfg(all(not(feature = "stub-secure-element"), feature = "p256"))]
impl Decryptor for SecureElement {
    fn certificate(&self) -> &Certificate {
        Decryptor::certificate(&self.chip.0)
    }

    fn agree(
        &self,
        curve: EcCurve,
        public_point: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.chip.0.agree(curve, public_point)
    }
}

#[cfg(feature = "stub-secure-element")]
impl Signer for SecureElement {
    fn certificate(&self) -> &Certificate {
        &self.chip.0
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        #[cfg(not(feature = "p256"))]
        let alg = SignatureAlgorithm::RsaPkcs1v15(scep::crypto::DigestAlgorithm::Sha256);
        #[cfg(feature = "p256")]
        let alg = SignatureAlgorithm::Ecdsa(scep::crypto::DigestAlgorithm::Sha256);
        alg
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // A digest-only chip: hash here, (pad and) sign in the chip.
        use scep::crypto::DigestAlgorithm;
        let hash = crate::PROVIDER
            .digests
            .digest(DigestAlgorithm::Sha256, message)?;
        #[cfg(not(feature = "p256"))]
        let signed = self.chip.transact(
            &scep::crypto::digest_info(DigestAlgorithm::Sha256, hash.as_bytes()),
            256,
        );
        // A DER `ECDSA-Sig-Value` of at most 72 bytes.
        #[cfg(feature = "p256")]
        let signed = self.chip.transact(hash.as_bytes(), 72);
        signed
    }
}

#[cfg(all(feature = "stub-secure-element", not(feature = "p256")))]
impl Decryptor for SecureElement {
    fn certificate(&self) -> &Certificate {
        &self.chip.0
    }

    fn decrypt_key(
        &self,
        _alg: KeyTransport,
        encrypted_key: &[u8],
        key_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.chip
            .transact(encrypted_key, key_len)
            .map(Zeroizing::new)
    }
}

#[cfg(all(feature = "stub-secure-element", feature = "p256"))]
impl Decryptor for SecureElement {
    fn certificate(&self) -> &Certificate {
        &self.chip.0
    }

    fn agree(
        &self,
        curve: EcCurve,
        public_point: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.chip
            .transact(public_point, curve.field_len())
            .map(Zeroizing::new)
    }
}
