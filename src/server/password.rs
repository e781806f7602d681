//! Password replies (RFC 8894 §3.1): when a CertRep SUCCESS goes to a `PasswordRecipientInfo`
//! keyed from the request's challenge password.

use alloc::string::String;

use zeroize::Zeroizing;

use super::{PkiRequest, ServerOptions};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, EcCurve, KeyTransport};
use crate::message::CertRep;

/// When [`Server::reply`](super::Server::reply) seals a SUCCESS to a `PasswordRecipientInfo`
/// (RFC 3211) keyed from the request's challenge password, instead of to the signer
/// certificate's key (key transport for RSA, key agreement for EC). Only requests that carry a
/// CSR with a challenge password (PKCSReq, RenewalReq) can get one; the client opens it with
/// [`Client::handle_with_password`](crate::client::Client::handle_with_password). Sealing one
/// needs the `pwri` feature (default); without it the reply fails with
/// [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub enum PasswordReplies {
    /// Never (the default).
    #[default]
    Never,
    /// When the signer's key can neither be encrypted to (RSA) nor agreed with (an EC curve the
    /// provider has): for example an Ed25519 or sign-only key.
    WhenKeyCannotDecrypt,
    /// Always, when there is a challenge password.
    Always,
}

/// Whether a reply can be sealed to `cert`'s key: RSA (key transport) or an EC curve the
/// provider agrees on.
fn can_decrypt(cert: &Certificate, provider: &CryptoProvider) -> bool {
    let spki = cert.public_key();
    spki.algorithm.oid == crate::oid::RSA_ENCRYPTION
        || EcCurve::from_spki(&spki).is_some_and(|(c, _)| provider.key_agreement.supports(c))
}

impl ServerOptions {
    /// Sets [`password_replies`](Self::password_replies).
    #[must_use]
    pub const fn with_password_replies(mut self, when: PasswordReplies) -> Self {
        self.password_replies = when;
        self
    }
}

/// The password the reply `rep` to `request` is sealed to: a SUCCESS, when the options say so
/// and the request carries a challenge password.
pub(super) fn for_reply(
    options: &ServerOptions,
    rep: &CertRep,
    request: &PkiRequest,
    provider: &CryptoProvider,
) -> Option<Zeroizing<String>> {
    let success = matches!(rep, CertRep::Success(_));
    let wanted = match options.password_replies {
        PasswordReplies::Always => true,
        PasswordReplies::WhenKeyCannotDecrypt => {
            !can_decrypt(request.signer_certificate(), provider)
        }
        PasswordReplies::Never => false,
    };
    if success && wanted {
        request.challenge_password().map(Zeroizing::new)
    } else {
        None
    }
}

/// The reply's key transport: the password recipient when there is a password; otherwise the
/// request's (a password recipient in the request is none for the reply). `seal` turns it into
/// key agreement for an EC signer.
pub(super) fn key_transport(password: bool, requested: Option<KeyTransport>) -> KeyTransport {
    match (password, requested) {
        (true, _) => KeyTransport::Password,
        (false, Some(KeyTransport::Password) | None) => KeyTransport::RsaPkcs1v15,
        (false, Some(kt)) => kt,
    }
}
