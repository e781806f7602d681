//! [`HttpLimits`]: the HTTP layer's size limits, and how a server derives them from the one
//! message size limit.

#[cfg(doc)]
use super::parse_request;

/// Size limits for [`parse_request`], checked before any decoding.
///
/// The defaults (256 KiB each) leave room for a GET of a request with a 4096-bit key and a
/// certificate chain, several times over.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub struct HttpLimits {
    /// Longest request target (path and query, as passed to [`parse_request`]) in bytes.
    pub max_query_len: usize,
    /// Longest POST body in bytes.
    pub max_body_len: usize,
}

impl HttpLimits {
    /// The defaults: 256 KiB for the request target and for the body.
    pub const DEFAULT: Self = Self {
        max_query_len: 256 * 1024,
        max_body_len: 256 * 1024,
    };

    /// The defaults ([`HttpLimits::DEFAULT`]).
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// The limits that let every message of up to `max_message_size` octets through in any
    /// encoding SCEP uses, and nothing much larger: a POST body of the DER or of its base64
    /// (with line breaks), a GET query of its percent-encoded base64 (every character
    /// escaped, at worst), with 1 KiB for the path and other parameters. A
    /// [`Server`](crate::server::Server) uses these, so that
    /// [`Limits::max_message_size`](crate::limits::Limits::max_message_size) is the one place
    /// that decides sizes.
    pub const fn for_message_size(max_message_size: usize) -> Self {
        let base64 = max_message_size.div_ceil(3).saturating_mul(4);
        let body = base64.saturating_add(base64 / 64).saturating_add(1024);
        Self {
            max_query_len: base64.saturating_mul(3).saturating_add(1024),
            max_body_len: body,
        }
    }

    /// Sets [`max_query_len`](Self::max_query_len).
    #[must_use]
    pub const fn with_max_query_len(mut self, len: usize) -> Self {
        self.max_query_len = len;
        self
    }

    /// Sets [`max_body_len`](Self::max_body_len).
    #[must_use]
    pub const fn with_max_body_len(mut self, len: usize) -> Self {
        self.max_body_len = len;
        self
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
