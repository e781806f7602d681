//! Crypto providers: implementations of the [`crypto`](crate::crypto) traits.

#[cfg(feature = "rustcrypto")]
pub mod rustcrypto;

// NO SECURITY: the fuzzing-only provider (private feature `__fuzzing`, not part of the API).
#[cfg(feature = "aws-lc-rs")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-lc-rs")))]
pub mod aws_lc;
#[cfg(feature = "__fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
