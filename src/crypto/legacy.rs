//! The run-time opt-in for the algorithms RFC 8894 forbids.

use crate::error::Error;

/// Whether single DES and MD5, which RFC 8894 forbids but micromdm's server and old Cisco
/// devices use, are accepted and used: one policy value, set once (in the client's
/// [`Policy`](crate::caps::Policy), in [`ServerOptions`](crate::server::ServerOptions), or in
/// the envelope options) and passed down.
///
/// The default refuses them. [`Legacy::allow`] opts in at run time, and succeeds only when the
/// `insecure-legacy` feature is compiled in: without it the opt-in itself is the typed error
/// [`Error::LegacyNotCompiled`], so a cargo feature never adds or removes a public field.
///
/// ```
/// use scep::crypto::Legacy;
/// assert!(!Legacy::default().is_allowed());
/// assert_eq!(Legacy::allow().is_ok(), cfg!(feature = "insecure-legacy"));
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
pub struct Legacy {
    allowed: bool,
}

impl Legacy {
    /// Refuse single DES and MD5 (the default).
    pub const REFUSE: Self = Self { allowed: false };

    /// Accept and use single DES and MD5.
    ///
    /// # Errors
    /// [`Error::LegacyNotCompiled`] without the `insecure-legacy` feature.
    pub const fn allow() -> Result<Self, Error> {
        if cfg!(feature = "insecure-legacy") {
            Ok(Self { allowed: true })
        } else {
            Err(Error::LegacyNotCompiled)
        }
    }

    /// [`Legacy::allow`] when `on`, else [`Legacy::REFUSE`] (for a command-line switch).
    ///
    /// # Errors
    /// As [`Legacy::allow`], when `on`.
    pub const fn allow_if(on: bool) -> Result<Self, Error> {
        if on { Self::allow() } else { Ok(Self::REFUSE) }
    }

    /// Whether single DES and MD5 are admitted.
    pub const fn is_allowed(self) -> bool {
        self.allowed
    }
}
