//! Certificate signatures: checking that one certificate issued another, through a provider's
//! [`Verifier`](super::Verifier). (Here rather than in `cert`, so that `cert` stays below the
//! crypto layer.)

use super::{CryptoProvider, SignatureAlgorithm};
use crate::cert::Certificate;
use crate::error::Error;

impl Certificate {
    /// Checks that `issuer` issued this certificate: the issuer name matches `issuer`'s
    /// subject and the signature verifies with `issuer`'s key. (Validity periods and the
    /// rest of path validation are the caller's.)
    ///
    /// # Errors
    /// [`Error::SignerNotFound`] when the names differ, [`Error::UnsupportedAlgorithm`] for a
    /// signature algorithm we do not know, [`Error::BadSignature`].
    pub fn verify_issued_by(
        &self,
        issuer: &Certificate,
        provider: &CryptoProvider,
    ) -> Result<(), Error> {
        if self.issuer() != issuer.subject() {
            return Err(Error::SignerNotFound);
        }
        let alg = SignatureAlgorithm::from_x509(self.signature_algorithm())?;
        provider
            .verifier
            .verify(alg, issuer.public_key(), self.tbs_der(), self.signature())
            .map_err(|_| Error::BadSignature)
    }
}
