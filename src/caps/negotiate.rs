//! Negotiation (RFC 8894 §3.5.2): from a CA's capabilities and a client's [`Policy`] to the
//! algorithms and transport used, [`Negotiated`]. The rules are in the [module docs](super).

use alloc::vec::Vec;

use super::{Capabilities, Capability};
use crate::crypto::{ContentEncryption, CryptoProvider, DigestAlgorithm, Legacy};
use crate::error::{AlgorithmKind, Error};

impl Capabilities {
    /// Chooses the content encryption, the digest and the transport for talking to a CA with
    /// these capabilities, among the algorithms `provider` implements. See the
    /// [module docs](crate::caps) for the rules.
    ///
    /// # Errors
    /// - [`Error::UnsupportedAlgorithm`]`(`[`AlgorithmKind::ContentEncryption`]`)` when
    ///   [`Policy::require_scep_standard`] is set and `SCEPStandard` is not advertised (a
    ///   possible downgrade, RFC 8894 §7.5), or when the provider implements none of the
    ///   ciphers the CA can use.
    /// - [`Error::UnsupportedAlgorithm`]`(`[`AlgorithmKind::Digest`]`)` when the provider
    ///   implements none of the digests the CA can use.
    pub fn negotiate(
        &self,
        policy: &Policy,
        provider: &CryptoProvider,
    ) -> Result<Negotiated, Error> {
        let advertised_standard = self.contains(&Capability::ScepStandard);
        if policy.require_scep_standard && !advertised_standard {
            return Err(Error::UnsupportedAlgorithm(
                AlgorithmKind::ContentEncryption,
            ));
        }
        let standard = advertised_standard || policy.assume_scep_standard;
        let cipher = self.pick_cipher(policy, standard, |alg| provider.cipher.supports(alg))?;
        let digest = self.pick_digest(policy, standard, |alg| provider.digests.supports(alg))?;
        Ok(Negotiated {
            cipher,
            digest,
            use_post: standard || self.supports_post(),
        })
    }

    fn pick_cipher(
        &self,
        policy: &Policy,
        standard: bool,
        supported: impl Fn(ContentEncryption) -> bool,
    ) -> Result<ContentEncryption, Error> {
        use ContentEncryption::{Aes128Cbc, Aes192Cbc, Aes256Cbc, DesEde3Cbc};
        if let Some(forced) = policy.cipher {
            return forced_choice(
                forced,
                forced.is_legacy(),
                policy,
                &supported,
                AlgorithmKind::ContentEncryption,
            );
        }
        let mut candidates: Vec<ContentEncryption> = Vec::with_capacity(5);
        if policy.ndes_quirks {
            candidates.push(DesEde3Cbc);
        } else {
            let aes = standard || self.contains(&Capability::Aes);
            let des3 = self.contains(&Capability::Des3);
            if aes {
                if policy.prefer_aes256 {
                    candidates.extend([Aes256Cbc, Aes128Cbc, Aes192Cbc]);
                } else {
                    candidates.extend([Aes128Cbc, Aes256Cbc, Aes192Cbc]);
                }
            }
            if des3 {
                candidates.push(DesEde3Cbc);
            }
            if !aes && !des3 {
                // Nothing advertised: every known server does 3DES (RFC 8894 §7.5). Single DES
                // only when compiled in and the policy opts in.
                #[cfg(feature = "insecure-legacy")]
                if policy.legacy_allowed() {
                    candidates.push(ContentEncryption::DesCbc);
                }
                candidates.push(DesEde3Cbc);
            }
        }
        candidates
            .into_iter()
            .find(|&alg| supported(alg))
            .ok_or(Error::UnsupportedAlgorithm(
                AlgorithmKind::ContentEncryption,
            ))
    }

    fn pick_digest(
        &self,
        policy: &Policy,
        standard: bool,
        supported: impl Fn(DigestAlgorithm) -> bool,
    ) -> Result<DigestAlgorithm, Error> {
        use DigestAlgorithm::{Sha1, Sha256, Sha512};
        if let Some(forced) = policy.digest {
            return forced_choice(
                forced,
                forced.is_legacy(),
                policy,
                &supported,
                AlgorithmKind::Digest,
            );
        }
        let mut candidates: Vec<DigestAlgorithm> = Vec::with_capacity(3);
        if policy.ndes_quirks {
            candidates.push(Sha1);
        } else {
            if standard || self.contains(&Capability::Sha256) {
                candidates.push(Sha256);
            }
            if self.contains(&Capability::Sha512) {
                candidates.push(Sha512);
            }
            if self.contains(&Capability::Sha1) {
                candidates.push(Sha1);
            }
            if candidates.is_empty() {
                // Nothing advertised: SHA-1 (RFC 8894 §7.5); MD5 only when compiled in and the
                // policy opts in.
                #[cfg(feature = "insecure-legacy")]
                if policy.legacy_allowed() {
                    candidates.push(DigestAlgorithm::Md5);
                }
                candidates.push(Sha1);
            }
        }
        candidates
            .into_iter()
            .find(|&alg| supported(alg))
            .ok_or(Error::UnsupportedAlgorithm(AlgorithmKind::Digest))
    }
}

/// An algorithm the policy forces: refused when legacy and not admitted, or not implemented.
fn forced_choice<A: Copy>(
    alg: A,
    legacy: bool,
    policy: &Policy,
    supported: impl Fn(A) -> bool,
    kind: AlgorithmKind,
) -> Result<A, Error> {
    if legacy && !policy.legacy_allowed() {
        Err(Error::LegacyAlgorithm)
    } else if supported(alg) {
        Ok(alg)
    } else {
        Err(Error::UnsupportedAlgorithm(kind))
    }
}

/// How a client negotiates algorithms from a CA's capabilities.
///
/// `Policy::default()` follows RFC 8894: AES-128 and SHA-256 when offered, 3DES and SHA-1 when
/// nothing is. Change fields directly or with the `with_*` methods:
///
/// ```
/// use scep::caps::Policy;
/// let policy = Policy::new().with_require_scep_standard(true);
/// assert!(policy.require_scep_standard);
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub struct Policy {
    /// Use AES-256-CBC rather than AES-128-CBC when the CA offers `AES` (certmonger reads `AES`
    /// this way; RFC 8894 means AES-128). Default `false`.
    pub prefer_aes256: bool,
    /// Refuse a CA that does not advertise `SCEPStandard` (RFC 8894 §7.5: GetCACaps is not
    /// authenticated, so a missing keyword may be a downgrade). Takes precedence over
    /// [`assume_scep_standard`](Self::assume_scep_standard). Default `false`.
    pub require_scep_standard: bool,
    /// Proceed as if `SCEPStandard` were advertised (RFC 8894 §7.5's other countermeasure):
    /// AES, SHA-256 and POST. Default `false`.
    pub assume_scep_standard: bool,
    /// Treat the CA as Microsoft NDES (RFC 8894 §3.5.2 note): use DES-EDE3-CBC and SHA-1
    /// whatever it advertises, because NDES may advertise AES and SHA-2 yet send replies that
    /// cannot be decrypted. Never turned on automatically (a client may set it when the server
    /// identifies as `Microsoft-IIS`). Default `false`.
    pub ndes_quirks: bool,
    /// Single DES and MD5, which RFC 8894 forbids. When allowed, and the CA advertises no
    /// cipher (neither `AES` nor `DES3`), single DES-CBC is used rather than 3DES, and when it
    /// advertises no digest, MD5 rather than SHA-1: what draft-era peers (old Cisco IOS CAs)
    /// expect. A [`Client`](crate::client::Client) also seals and opens with this setting.
    /// Default [`Legacy::REFUSE`].
    pub legacy: Legacy,
    /// Use this content encryption whatever the CA advertises (a CA whose GetCACaps is wrong,
    /// or testing a CA with a cipher it does not announce, such as AES-192). Takes precedence
    /// over every other switch; the provider must implement it, and single DES also needs
    /// [`legacy`](Self::legacy). Default `None`.
    pub cipher: Option<ContentEncryption>,
    /// Use this digest whatever the CA advertises; as for [`cipher`](Self::cipher), MD5 also
    /// needs [`legacy`](Self::legacy). Default `None`.
    pub digest: Option<DigestAlgorithm>,
}

impl Policy {
    /// The default policy (all switches off).
    pub const fn new() -> Self {
        Self {
            prefer_aes256: false,
            require_scep_standard: false,
            assume_scep_standard: false,
            ndes_quirks: false,
            legacy: Legacy::REFUSE,
            cipher: None,
            digest: None,
        }
    }

    /// Whether the policy admits single DES and MD5.
    const fn legacy_allowed(&self) -> bool {
        self.legacy.is_allowed()
    }

    /// The profile for Microsoft NDES: [`ndes_quirks`](Self::ndes_quirks) set.
    pub const fn ndes() -> Self {
        Self::new().with_ndes_quirks(true)
    }

    /// Sets [`prefer_aes256`](Self::prefer_aes256).
    #[must_use]
    pub const fn with_prefer_aes256(mut self, on: bool) -> Self {
        self.prefer_aes256 = on;
        self
    }

    /// Sets [`require_scep_standard`](Self::require_scep_standard).
    #[must_use]
    pub const fn with_require_scep_standard(mut self, on: bool) -> Self {
        self.require_scep_standard = on;
        self
    }

    /// Sets [`assume_scep_standard`](Self::assume_scep_standard).
    #[must_use]
    pub const fn with_assume_scep_standard(mut self, on: bool) -> Self {
        self.assume_scep_standard = on;
        self
    }

    /// Sets [`ndes_quirks`](Self::ndes_quirks).
    #[must_use]
    pub const fn with_ndes_quirks(mut self, on: bool) -> Self {
        self.ndes_quirks = on;
        self
    }

    /// Sets [`legacy`](Self::legacy).
    #[must_use]
    pub const fn with_legacy(mut self, legacy: Legacy) -> Self {
        self.legacy = legacy;
        self
    }

    /// Sets [`cipher`](Self::cipher).
    #[must_use]
    pub const fn with_cipher(mut self, cipher: Option<ContentEncryption>) -> Self {
        self.cipher = cipher;
        self
    }

    /// Sets [`digest`](Self::digest).
    #[must_use]
    pub const fn with_digest(mut self, digest: Option<DigestAlgorithm>) -> Self {
        self.digest = digest;
        self
    }
}

/// The outcome of [`Capabilities::negotiate`].
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub struct Negotiated {
    /// Content encryption for the client's pkcsPKIEnvelope.
    pub cipher: ContentEncryption,
    /// Digest for the client's SignerInfo.
    pub digest: DigestAlgorithm,
    /// Whether PKIOperation goes by POST (RFC 8894 §4.1: MUST when the CA supports it).
    pub use_post: bool,
}
