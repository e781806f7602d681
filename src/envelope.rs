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

// Key agreement with the curves of the RustCrypto provider (features `p256`, `p384`), password
// recipients with `pwri`: without them, an image that only ever gets key-transport replies links
// neither.
#[cfg(any(feature = "p256", feature = "p384"))]
mod kari;
mod open;
mod options;
pub(crate) mod parse;
#[cfg(feature = "pwri")]
mod pwri;
mod seal;

pub use open::{Opened, Parsed, Verified, decrypt_enveloped, open, parse};
pub use options::{OpenOptions, Password, SEAL_ITERATIONS, SealOptions, SignatureOid};
pub use seal::seal;
pub(crate) use seal::{Attributes, signed_data};
