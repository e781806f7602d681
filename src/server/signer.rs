//! How a request's signer relates to this CA ([`SignerKind`]), at a time the application
//! gives, and what else the application may want to know about it for its renewal policy
//! (RFC 8894 §2.4, §3.3.1.2; [`trust`](crate::trust)).

use super::PkiRequest;
use crate::cert::Certificate;
use crate::trust::{Revocation, UnixTime};

/// How the request's signer certificate relates to this CA, at a given time
/// ([`PkiRequest::signer_kind`]).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum SignerKind {
    /// A self-signed certificate: proves only possession of its key (RFC 8894 §2.4: never
    /// authenticate a client by it alone). Whether the key is the CSR's:
    /// [`PkiRequest::signer_holds_csr_key`].
    SelfSigned,
    /// A certificate issued (and signature-checked) by one of the server's CA certificates,
    /// valid at the time given and not revoked: a renewal may be authorised by it
    /// (RFC 8894 §3.3.1.2).
    IssuedByCa,
    /// Issued (and signature-checked) by one of the server's CA certificates, but outside its
    /// validity period at the time given (expired, not yet valid, or an unreadable validity).
    /// Not a proof of anything by itself: the application decides (a grace period, or a new
    /// enrollment with a challenge).
    IssuedByCaExpired,
    /// Issued by one of the server's CA certificates, but the application's [`Revocation`]
    /// reports it revoked.
    IssuedByCaRevoked,
    /// Anything else (issued by another CA, or not verifiable).
    Other,
}

impl PkiRequest {
    /// How the signer certificate relates to this CA at `now` (within
    /// [`ServerOptions::clock_skew`](super::ServerOptions::clock_skew); the crate has no clock): [`SignerKind::IssuedByCa`] only
    /// when one of the server's CA certificates signed it, it is valid at `now`, and
    /// `revocation` does not report it revoked; otherwise `IssuedByCaExpired` or
    /// `IssuedByCaRevoked` for a certificate this CA did issue, `SelfSigned`, or `Other`.
    ///
    /// Pass [`NoneRevoked`](crate::trust::NoneRevoked) when you keep no revocation list, a
    /// closure `|cert: &Certificate| -> bool`, or
    /// [`RevokedSerials`](crate::trust::RevokedSerials).
    pub fn signer_kind(&self, now: UnixTime, revocation: &dyn Revocation) -> SignerKind {
        if self.signer_issuer.is_some() {
            if crate::trust::check_validity(&self.signer, now, self.clock_skew).is_err() {
                SignerKind::IssuedByCaExpired
            } else if revocation.is_revoked(&self.signer) {
                SignerKind::IssuedByCaRevoked
            } else {
                SignerKind::IssuedByCa
            }
        } else if self.self_signed {
            SignerKind::SelfSigned
        } else {
            SignerKind::Other
        }
    }

    /// The server's CA certificate that issued the signer certificate (its signature checked),
    /// if any; whether that certificate is still good is [`PkiRequest::signer_kind`]'s answer.
    pub fn signer_issuer(&self) -> Option<&Certificate> {
        self.signer_issuer.as_ref()
    }

    /// Whether the signer certificate's public key is the CSR's (for an enrollment or
    /// renewal). A first enrollment normally signs with a self-signed certificate for the CSR's
    /// key; some NDES-style clients sign with a throw-away key instead, which is allowed
    /// (this is information for the application's policy, not a check the library makes).
    pub fn signer_holds_csr_key(&self) -> bool {
        self.csr()
            .is_some_and(|csr| csr.public_key() == self.signer.subject_public_key_info())
    }

    /// Checks a renewal's CSR against the signer certificate (the one being renewed) with
    /// [`trust::check_renewal`](crate::trust::check_renewal): same subject and
    /// subjectAltName unless `policy` allows a change. Meaningful when
    /// [`signer_kind`](Self::signer_kind) is `IssuedByCa`.
    ///
    /// # Errors
    /// The change the policy does not allow; [`RenewalChange::Subject`](crate::trust::RenewalChange)
    /// also for a request without a CSR.
    pub fn check_renewal(
        &self,
        policy: &crate::trust::RenewalPolicy,
    ) -> Result<(), crate::trust::RenewalChange> {
        let csr = self.csr().ok_or(crate::trust::RenewalChange::Subject)?;
        crate::trust::check_renewal(&self.signer, csr, policy)
    }
}
