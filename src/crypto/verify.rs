//! Certificate signatures: checking that one certificate issued another, through a provider's
//! [`Verifier`](super::Verifier). (Here rather than in `cert`, so that `cert` stays below the
//! crypto layer.)

use super::{CryptoProvider, Legacy, SignatureAlgorithm};
use crate::cert::Certificate;
use crate::error::Error;

impl Certificate {
    /// Checks that `issuer` issued this certificate: the issuer name matches `issuer`'s
    /// subject and the signature verifies with `issuer`'s key. (Validity periods and the
    /// rest of path validation are the caller's.)
    ///
    /// An MD5 signature, which RFC 8894 forbids, is refused as [`Error::LegacyAlgorithm`]
    /// without being checked, as it is in CMS;
    /// [`verify_issued_by_with`](Self::verify_issued_by_with) takes the run-time opt-in.
    ///
    /// # Errors
    /// [`Error::SignerNotFound`] when the names differ, [`Error::LegacyAlgorithm`] for MD5,
    /// [`Error::UnsupportedAlgorithm`] for a signature algorithm we do not know,
    /// [`Error::BadSignature`].
    pub fn verify_issued_by(
        &self,
        issuer: &Certificate,
        provider: &CryptoProvider,
    ) -> Result<(), Error> {
        self.verify_issued_by_with(issuer, provider, Legacy::REFUSE)
    }

    /// [`verify_issued_by`](Self::verify_issued_by), accepting an MD5 signature when `legacy`
    /// allows it ([`Legacy::allow`], feature `insecure-legacy`).
    ///
    /// # Errors
    /// As [`verify_issued_by`](Self::verify_issued_by).
    pub fn verify_issued_by_with(
        &self,
        issuer: &Certificate,
        provider: &CryptoProvider,
        legacy: Legacy,
    ) -> Result<(), Error> {
        if self.issuer() != issuer.subject() {
            return Err(Error::SignerNotFound);
        }
        let alg = SignatureAlgorithm::from_x509_with_policy(self.signature_algorithm(), legacy)?;
        provider
            .verifier
            .verify(alg, issuer.public_key(), self.tbs_der(), self.signature())
            .map_err(|_| Error::BadSignature)
    }
}
