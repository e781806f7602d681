//! Crypto providers: implementations of the [`crypto`](crate::crypto) traits.

#[cfg(feature = "rustcrypto")]
pub mod rustcrypto;

#[cfg(feature = "aws-lc-rs")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-lc-rs")))]
pub mod aws_lc;
