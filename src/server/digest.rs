//! The digest a CertRep is signed with: the signer's own, or the request's.

use super::ServerOptions;
use crate::crypto::DigestAlgorithm;

/// Which digest [`Server::reply`](super::Server::reply) signs a CertRep with (the
/// `SignerInfo`'s `digestAlgorithm` and the signature's hash, RFC 8894 §3.2).
///
/// RFC 8894 does not say which digest a reply uses; a client that sent SHA-1 (an old device,
/// NDES-era tooling) may know no other, so answering in the request's digest is the safe choice
/// for such clients.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub enum ReplyDigest {
    /// The signer's own algorithm ([`Signer::signature_algorithm`](crate::crypto::Signer::signature_algorithm));
    /// the default.
    #[default]
    Signer,
    /// The digest the request was signed with (SHA-1 for a SHA-1 request, SHA-512 for a SHA-512
    /// one), asked of the signer through
    /// [`Signer::sign_with`](crate::crypto::Signer::sign_with). A signer that cannot sign with
    /// it makes [`Server::reply`](super::Server::reply) fail with
    /// [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm)`(Signature)`: never
    /// a silent substitution. MD5 needs [`ServerOptions::legacy`], as it did to open the request.
    Request,
}

impl ServerOptions {
    /// Sets [`reply_digest`](Self::reply_digest).
    #[must_use]
    pub const fn with_reply_digest(mut self, digest: ReplyDigest) -> Self {
        self.reply_digest = digest;
        self
    }
}

/// The digest to seal a reply to a request signed with `request` with (`None`: the signer's).
pub(super) const fn for_reply(
    options: &ServerOptions,
    request: DigestAlgorithm,
) -> Option<DigestAlgorithm> {
    match options.reply_digest {
        ReplyDigest::Signer => None,
        ReplyDigest::Request => Some(request),
    }
}
