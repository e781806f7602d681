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

mod open;
pub(crate) mod parse;
mod seal;

pub use open::{Opened, Parsed, Verified, decrypt_enveloped, open, parse};
pub(crate) use seal::{Attributes, signed_data};
pub use seal::{SealOptions, SignatureOid, seal};

use crate::limits::Limits;

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
}

impl OpenOptions<'_> {
    /// Default limits, no extra certificates, no legacy algorithms, strict recipient matching.
    pub const DEFAULT: OpenOptions<'static> = OpenOptions {
        limits: Limits::DEFAULT,
        extra_certificates: &[],
        #[cfg(feature = "insecure-legacy")]
        allow_legacy: false,
        allow_unmatched_recipient: false,
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
