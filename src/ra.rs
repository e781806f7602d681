//! A registration authority (RA): a [`Server`] to devices and a [`Client`] to the CA, the only
//! module that uses both (RFC 8894 §2.1.1, §2.2).
//!
//! The RA opens a device's request with its [`Server`], decides (policy, a challenge password of
//! its own), forwards it upstream with [`Client::relay`], reads the CA's CertRep with
//! [`Client::handle`], and answers the device with [`Server::reply`] and the [`Decision`] made
//! from the [`Outcome`] (`Decision::from(outcome)`). The [guide](crate::guide) walks through it.

use crate::attr::FailInfo;
use crate::client::{Client, Outcome, Transaction};
use crate::crypto::{SecureRandom, Signer};
use crate::error::Error;
use crate::http::HttpRequest;
use crate::message::Request;
#[cfg(doc)]
use crate::server::Server;

#[cfg(all(test, feature = "rustcrypto"))]
mod tests;
use crate::server::{Decision, PkiRequest};

impl Client {
    /// Relays a request that a [`Server`] opened to this client's CA,
    /// as a registration authority does: a new pkiMessage with the request's transaction ID
    /// and content, signed by `signer` (the RA) and encrypted to this client's recipient.
    ///
    /// - PKCSReq: a PKCSReq with the same CSR, unchanged (its signature is the device's, so
    ///   its challenge password cannot be replaced; the RA's signature is what the CA can
    ///   authorise instead).
    /// - RenewalReq: a RenewalReq when the CA advertises `Renewal`, a PKCSReq otherwise, as
    ///   [`Client::renew`] does.
    /// - GetCert and GetCRL: the same IssuerAndSerialNumber.
    ///
    /// The reply is encrypted to `signer`: read it with [`Client::handle`] and the RA's key,
    /// then answer the device with [`Server::reply`] and the
    /// [`Decision`] made from the [`Outcome`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a CertPoll: it names no key, so poll the CA with
    /// [`Client::poll`] and the [`Transaction`] this method returned for the original
    /// request. Errors from [`envelope::seal`](crate::envelope::seal).
    pub fn relay(
        &self,
        request: &PkiRequest,
        signer: &dyn Signer,
        rng: &mut dyn SecureRandom,
    ) -> Result<(HttpRequest, Transaction), Error> {
        let id = request.transaction_id().clone();
        let forward = match request.request() {
            Request::PkcsReq(csr) => Request::PkcsReq(csr.clone()),
            Request::RenewalReq(csr) => self.renewal_request(csr),
            Request::GetCert(which) => Request::GetCert(which.clone()),
            Request::GetCrl(which) => Request::GetCrl(which.clone()),
            _ => return Err(Error::InvalidInput),
        };
        self.seal_request(id, forward, None, signer, rng)
    }
}

/// An upstream CA's answer, relayed: what an RA tells its device after [`Client::handle`]
/// read the CA's CertRep to a [`Client::relay`]ed (or polled) request.
///
/// `Issued`, `Certificates`, `Pending` and `Rejected` map one to one (the two enums have the
/// same shape); `Crls` becomes [`Decision::Crls`] with the first CRL, or a FAILURE `badCertId`
/// when the CA sent none.
impl From<Outcome> for Decision {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Issued { certificate, chain } => Decision::Issued { certificate, chain },
            Outcome::Certificates(certs) => Decision::Certificates(certs),
            Outcome::Crls(crls) => match crls.into_iter().next() {
                Some(crl) => Decision::Crls(alloc::vec![crl]),
                None => Decision::Rejected {
                    info: FailInfo::BadCertId,
                    text: None,
                },
            },
            Outcome::Pending => Decision::Pending,
            Outcome::Rejected { info, text } => Decision::Rejected { info, text },
        }
    }
}
