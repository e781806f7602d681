//! The options of [`open`](super::open) and [`seal`](super::seal), built with `with_*` methods.

use crate::cert::Certificate;
use crate::crypto::{
    ContentEncryption, DigestAlgorithm, KeyTransport, Legacy, SignatureAlgorithm, Signer,
};
use crate::limits::Limits;

/// A shared password for `PasswordRecipientInfo` (the challenge password). Its `Debug` never
/// shows it.
///
/// Opening and sealing password recipients needs the `pwri` feature (default); without it
/// they are refused as [`UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm).
#[derive(Clone, Copy)]
pub struct Password<'a>(pub &'a [u8]);

impl core::fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// PBKDF2 iterations [`seal`](super::seal) uses for a `PasswordRecipientInfo`.
pub const SEAL_ITERATIONS: u32 = 10_000;

/// Options for opening a message. Build them with the `with_*` methods from
/// [`OpenOptions::DEFAULT`] (or `default()`); the struct is `#[non_exhaustive]`.
///
/// ```
/// use scep::envelope::OpenOptions;
/// use scep::limits::Limits;
/// let opts = OpenOptions::DEFAULT.with_limits(Limits::DEFAULT.with_max_certificates(4));
/// assert_eq!(opts.limits.max_certificates, 4);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OpenOptions<'a> {
    /// Resource limits.
    pub limits: Limits,
    /// Certificates to look the signer up in when the message does not carry it (NDES and
    /// micromdm replies may omit it; pass the GetCACert certificates). Searched after the
    /// message's own certificates.
    pub extra_certificates: &'a [Certificate],
    /// Single DES and MD5 (RFC 8894 forbids them): refused with
    /// [`Error::LegacyAlgorithm`](crate::Error::LegacyAlgorithm) unless allowed.
    pub legacy: Legacy,
    /// When no `RecipientInfo` names the decryptor's certificate but there is exactly one
    /// key-transport recipient, try the decryptor on it anyway. Some old clients address the
    /// envelope to a stale CA certificate. Off by default.
    pub allow_unmatched_recipient: bool,
    /// The shared password (the challenge password) that opens a `PasswordRecipientInfo`
    /// (RFC 3211, RFC 8894 §3.1), tried when no key-transport or key-agreement recipient names a
    /// decryptor. `None` by default.
    pub password: Option<Password<'a>>,
}

impl<'a> OpenOptions<'a> {
    /// Default limits, no extra certificates, no legacy algorithms, strict recipient matching.
    pub const DEFAULT: OpenOptions<'static> = OpenOptions {
        limits: Limits::DEFAULT,
        extra_certificates: &[],
        legacy: Legacy::REFUSE,
        allow_unmatched_recipient: false,
        password: None,
    };

    /// Sets [`limits`](Self::limits).
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`extra_certificates`](Self::extra_certificates).
    #[must_use]
    pub const fn with_extra_certificates<'b>(
        self,
        extra_certificates: &'b [Certificate],
    ) -> OpenOptions<'b>
    where
        'a: 'b,
    {
        OpenOptions {
            limits: self.limits,
            extra_certificates,
            legacy: self.legacy,
            allow_unmatched_recipient: self.allow_unmatched_recipient,
            password: self.password,
        }
    }

    /// Sets [`password`](Self::password).
    #[must_use]
    pub const fn with_password<'b>(self, password: Option<Password<'b>>) -> OpenOptions<'b>
    where
        'a: 'b,
    {
        OpenOptions {
            limits: self.limits,
            extra_certificates: self.extra_certificates,
            legacy: self.legacy,
            allow_unmatched_recipient: self.allow_unmatched_recipient,
            password,
        }
    }

    /// Sets [`legacy`](Self::legacy).
    #[must_use]
    pub const fn with_legacy(mut self, legacy: Legacy) -> Self {
        self.legacy = legacy;
        self
    }

    /// Sets [`allow_unmatched_recipient`](Self::allow_unmatched_recipient).
    #[must_use]
    pub const fn with_allow_unmatched_recipient(mut self, on: bool) -> Self {
        self.allow_unmatched_recipient = on;
        self
    }

    pub(crate) fn legacy_allowed(&self) -> bool {
        self.legacy.is_allowed()
    }
}

impl Default for OpenOptions<'_> {
    fn default() -> Self {
        OpenOptions::DEFAULT
    }
}

/// How the SignerInfo's `signatureAlgorithm` is written.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub enum SignatureOid {
    /// The combined OID, e.g. `sha256WithRSAEncryption` (RFC 8894 style; the default).
    #[default]
    Combined,
    /// `rsaEncryption`, with the digest in `digestAlgorithm` (PKCS #7 style, which some legacy
    /// clients require in a CertRep).
    RsaEncryption,
}

/// Options for [`seal`](super::seal). Build them with the `with_*` methods from [`SealOptions::DEFAULT`]
/// (or `default()`); the struct is `#[non_exhaustive]`.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct SealOptions<'a> {
    /// Content encryption of the envelope (default AES-128-CBC, RFC 8894 §2.9).
    pub content_encryption: ContentEncryption,
    /// Key transport to the recipient (default RSA PKCS #1 v1.5). An EC recipient certificate
    /// gets key agreement whatever this says (with its KDF digest when this is
    /// [`KeyTransport::EcdhKeyAgree`]); [`KeyTransport::Password`] seals to
    /// [`password`](Self::password) instead of a certificate.
    pub key_transport: KeyTransport,
    /// The `signingTime` attribute; omitted when `None`. The crate has no clock: pass the time.
    pub signing_time: Option<der::DateTime>,
    /// How the signature algorithm is named.
    pub signature_oid: SignatureOid,
    /// Certificates to send besides the signer's (a chain, the CA certificate).
    pub extra_certificates: &'a [Certificate],
    /// Single DES and MD5: refused with [`Error::LegacyAlgorithm`](crate::Error::LegacyAlgorithm) unless allowed.
    pub legacy: Legacy,
    /// The digest to sign with (the one negotiated from the CA's capabilities). `None` (the
    /// default) signs with the signer's own algorithm; another digest than the signer's is
    /// asked of it with [`Signer::sign_with`], and a signer that cannot is an
    /// [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm)`(Signature)`, never a silent substitution.
    pub digest: Option<DigestAlgorithm>,
    /// The shared password for [`KeyTransport::Password`] (a `PasswordRecipientInfo`, RFC 3211;
    /// RFC 8894 §3.1: the challenge password). `None` by default.
    pub password: Option<Password<'a>>,
}

impl<'a> SealOptions<'a> {
    /// AES-128-CBC, RSA PKCS #1 v1.5, no signingTime, combined signature OID, no extra
    /// certificates, no legacy algorithms, the signer's own digest.
    pub const DEFAULT: SealOptions<'static> = SealOptions {
        content_encryption: ContentEncryption::Aes128Cbc,
        key_transport: KeyTransport::RsaPkcs1v15,
        signing_time: None,
        signature_oid: SignatureOid::Combined,
        extra_certificates: &[],
        legacy: Legacy::REFUSE,
        digest: None,
        password: None,
    };

    /// Sets [`content_encryption`](Self::content_encryption).
    #[must_use]
    pub const fn with_content_encryption(mut self, alg: ContentEncryption) -> Self {
        self.content_encryption = alg;
        self
    }

    /// Sets [`key_transport`](Self::key_transport).
    #[must_use]
    pub const fn with_key_transport(mut self, alg: KeyTransport) -> Self {
        self.key_transport = alg;
        self
    }

    /// Sets [`signing_time`](Self::signing_time).
    #[must_use]
    pub const fn with_signing_time(mut self, time: Option<der::DateTime>) -> Self {
        self.signing_time = time;
        self
    }

    /// Sets [`signature_oid`](Self::signature_oid).
    #[must_use]
    pub const fn with_signature_oid(mut self, oid: SignatureOid) -> Self {
        self.signature_oid = oid;
        self
    }

    /// Sets [`extra_certificates`](Self::extra_certificates).
    #[must_use]
    pub const fn with_extra_certificates<'b>(
        self,
        extra_certificates: &'b [Certificate],
    ) -> SealOptions<'b>
    where
        'a: 'b,
    {
        SealOptions {
            content_encryption: self.content_encryption,
            key_transport: self.key_transport,
            signing_time: self.signing_time,
            signature_oid: self.signature_oid,
            extra_certificates,
            legacy: self.legacy,
            digest: self.digest,
            password: self.password,
        }
    }

    /// Sets [`password`](Self::password) (with [`KeyTransport::Password`]).
    #[must_use]
    pub const fn with_password<'b>(self, password: Option<Password<'b>>) -> SealOptions<'b>
    where
        'a: 'b,
    {
        SealOptions {
            content_encryption: self.content_encryption,
            key_transport: self.key_transport,
            signing_time: self.signing_time,
            signature_oid: self.signature_oid,
            extra_certificates: self.extra_certificates,
            legacy: self.legacy,
            digest: self.digest,
            password,
        }
    }

    /// Sets [`legacy`](Self::legacy).
    #[must_use]
    pub const fn with_legacy(mut self, legacy: Legacy) -> Self {
        self.legacy = legacy;
        self
    }

    /// Sets [`digest`](Self::digest).
    #[must_use]
    pub const fn with_digest(mut self, digest: Option<DigestAlgorithm>) -> Self {
        self.digest = digest;
        self
    }

    pub(super) fn legacy_allowed(&self) -> bool {
        self.legacy.is_allowed()
    }

    /// The algorithm to sign with: the signer's, or its family with [`digest`](Self::digest).
    pub(super) fn signature_algorithm(&self, signer: &dyn Signer) -> SignatureAlgorithm {
        let own = signer.signature_algorithm();
        match (self.digest, own) {
            (Some(d), SignatureAlgorithm::RsaPkcs1v15(_)) => SignatureAlgorithm::RsaPkcs1v15(d),
            (Some(d), SignatureAlgorithm::Ecdsa(_)) => SignatureAlgorithm::Ecdsa(d),
            (None, _) => own,
        }
    }
}

impl Default for SealOptions<'_> {
    fn default() -> Self {
        SealOptions::DEFAULT
    }
}
