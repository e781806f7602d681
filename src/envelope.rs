//! CMS plumbing: [`open`] (verify, then decrypt, then decode) and [`seal`] (encode, encrypt,
//! sign), DER out, BER in.
//!
//! A pkiMessage is `ContentInfo(SignedData(EnvelopedData(payload)))` (RFC 8894 §3): the signed
//! layer carries the SCEP attributes, the enveloped layer hides the payload from everyone but
//! the recipient. FAILURE and PENDING replies have no enveloped layer.
//!
//! Opening is split into steps so that a client can check the signature, transaction ID and
//! nonce of a reply *before* it decrypts anything ([`parse`] → [`Parsed::verify`] →
//! [`Verified::decrypt`]); [`open`] does all three.

mod kari;
mod open;
pub(crate) mod parse;
mod pwri;
mod seal;

pub use open::{Opened, Parsed, Verified, decrypt_enveloped, open, parse};
pub use pwri::{Password, SEAL_ITERATIONS};
pub(crate) use seal::{Attributes, signed_data};
pub use seal::{SealOptions, SignatureOid, seal};

/// Bounds on what a received message may make us do. Every limit is checked before the work it
/// bounds; hitting one is [`Error::LimitExceeded`](crate::Error::LimitExceeded).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Limits {
    /// Largest message accepted, checked before any parsing (default 512 KiB; micromdm and
    /// step-ca cap POST bodies at 2 MiB, real messages are a few KiB).
    pub max_message_size: usize,
    /// Most certificates in one `SignedData` (default 32).
    pub max_certificates: usize,
    /// Most CRLs in one `SignedData` (default 8).
    pub max_crls: usize,
    /// Most `RecipientInfo`s (default 16).
    pub max_recipient_infos: usize,
    /// Most `SignerInfo`s (default 4; SCEP uses one).
    pub max_signer_infos: usize,
    /// Most signed attributes in one `SignerInfo` (default 32).
    pub max_attributes: usize,
    /// Largest RSA modulus, in bits, of a key that arrives in a message (default 8192): the
    /// signer's certificate, checked before the signature, and (in [`Server`](crate::server::Server))
    /// the CSR's public key, checked before the CSR's self-signature.
    pub max_rsa_bits: usize,
    /// Deepest BER nesting (default 32; certificates need about 10).
    pub max_depth: u8,
    /// Most PBKDF2 iterations a `PasswordRecipientInfo` may ask for (default 100 000;
    /// OpenSSL writes 2048, [`seal`] 10 000).
    pub max_pbkdf2_iterations: u32,
}

impl Limits {
    /// The defaults described on each field.
    pub const DEFAULT: Self = Self {
        max_message_size: 512 * 1024,
        max_certificates: 32,
        max_crls: 8,
        max_recipient_infos: 16,
        max_signer_infos: 4,
        max_attributes: 32,
        max_rsa_bits: 8192,
        max_depth: 32,
        max_pbkdf2_iterations: 100_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Options for opening a message.
#[derive(Clone, Copy, Debug)]
pub struct OpenOptions<'a> {
    /// Resource limits.
    pub limits: Limits,
    /// Certificates to look the signer up in when the message does not carry it (NDES and
    /// micromdm replies may omit it; pass the GetCACert certificates). Searched after the
    /// message's own certificates.
    pub extra_certificates: &'a [crate::Certificate],
    /// Accept single DES and MD5 (RFC 8894 forbids them). Only with the `insecure-legacy`
    /// feature; without it they are always refused with
    /// [`Error::LegacyAlgorithm`](crate::Error::LegacyAlgorithm).
    #[cfg(feature = "insecure-legacy")]
    pub allow_legacy: bool,
    /// When no `RecipientInfo` names the decryptor's certificate but there is exactly one
    /// key-transport recipient, try the decryptor on it anyway. Some old clients address the
    /// envelope to a stale CA certificate. Off by default.
    pub allow_unmatched_recipient: bool,
    /// The shared password (the challenge password) that opens a `PasswordRecipientInfo`
    /// (RFC 3211, RFC 8894 §3.1), tried when no key-transport or key-agreement recipient names a
    /// decryptor. `None` by default.
    pub password: Option<Password<'a>>,
}

impl OpenOptions<'_> {
    /// Default limits, no extra certificates, no legacy algorithms, strict recipient matching.
    pub const DEFAULT: OpenOptions<'static> = OpenOptions {
        limits: Limits::DEFAULT,
        extra_certificates: &[],
        #[cfg(feature = "insecure-legacy")]
        allow_legacy: false,
        allow_unmatched_recipient: false,
        password: None,
    };

    pub(crate) fn legacy_allowed(&self) -> bool {
        #[cfg(feature = "insecure-legacy")]
        {
            self.allow_legacy
        }
        #[cfg(not(feature = "insecure-legacy"))]
        {
            false
        }
    }
}

impl Default for OpenOptions<'_> {
    fn default() -> Self {
        OpenOptions::DEFAULT
    }
}
