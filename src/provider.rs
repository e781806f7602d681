//! Crypto providers: implementations of the [`crypto`](crate::crypto) traits.

#[cfg(feature = "rustcrypto")]
pub mod rustcrypto;
