//! SCEP over HTTP (RFC 8894 §4.1, §6): operations, content types, request targets and bodies.
//! Pure functions; the caller owns the HTTP client or server.
//!
//! # Client side
//!
//! [`HttpRequest`] builders give the method, the request target (path and query), the content type
//! and the body of each SCEP request:
//!
//! ```
//! use scep::http::{Method, HttpRequest, DEFAULT_PATH};
//!
//! let caps = HttpRequest::get_ca_caps(DEFAULT_PATH, None);
//! assert_eq!(caps.path_and_query, "/cgi-bin/pkiclient.exe?operation=GetCACaps");
//!
//! let get = HttpRequest::pki_operation("/scep", &[0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff], false);
//! assert_eq!(get.method, Method::Get);
//! assert_eq!(get.path_and_query, "/scep?operation=PKIOperation&message=%2B%2B%2B%2B%2F%2F%2F%2F");
//! ```
//!
//! A GET `message` is standard base64 (RFC 4648 §4, padded), then percent-encoded so that only
//! RFC 3986 unreserved characters stay raw (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`). POST sends
//! the raw DER with Content-Type [`CONTENT_TYPE_PKI_MESSAGE`] (RFC 8894 §4.1, §4.3). Whether to
//! POST comes from [`Negotiated::use_post`](crate::caps::Negotiated::use_post).
//!
//! # Server side
//!
//! [`parse_request`] turns a method, a request target and a body into an [`IncomingHttp`]. It is
//! lenient, because real clients are:
//!
//! - the GET `message` may be properly percent-encoded; or raw base64 with `+`, `/` and `=`
//!   unescaped (macOS, strongSwan); or have had `+` turned into a space by a form decoder; or be
//!   line-wrapped with `%0A`, `%0D%0A` or raw line breaks (Cisco, old sscep); or use the URL-safe
//!   alphabet `-` `_` (micromdm's client before 2026); or lack `=` padding;
//! - parameters may come in any order, names and the operation value in any case, and unknown
//!   parameters are ignored; when a parameter is repeated the first one counts;
//! - the `message` of GetCACert, GetCACaps and GetNextCACert is a CA identifier (Apple sends
//!   `message=Device Management Identity Certificate`, Cisco a trustpoint name) and is returned
//!   as text in [`IncomingHttp::ca_ident`];
//! - a POST body is normally raw DER. A body that does not start with a SEQUENCE tag (0x30) but
//!   is base64 (either alphabet, wrapped or not) or PEM of a SEQUENCE is accepted too, since some
//!   clients POST text. A POST without an `operation` parameter is taken as PKIOperation (many
//!   CAs never look at it, RFC 8894 §4.3).
//!
//! Sizes are checked against [`HttpLimits`] before any work. Errors are a small [`HttpError`]
//! with [`HttpError::status_code`] to answer with.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

#[cfg(feature = "http")]
mod convert;
mod encoding;
mod limits;

#[cfg(feature = "http")]
pub use convert::{request_parts, response_parts};
pub use limits::HttpLimits;

use encoding::{
    base64_decode_lenient, base64_encode, form_decode, percent_decode, percent_encode_into,
};

/// The path RFC 8894 §4.1 says clients use unless told otherwise.
pub const DEFAULT_PATH: &str = "/cgi-bin/pkiclient.exe";

/// Content-Type of PKIOperation requests sent by POST and of every PKIOperation response
/// (RFC 8894 §4.3, §6.4).
pub const CONTENT_TYPE_PKI_MESSAGE: &str = "application/x-pki-message";

/// Content-Type of a GetCACert response holding one DER CA certificate (RFC 8894 §4.2.1.1).
pub const CONTENT_TYPE_CA_CERT: &str = "application/x-x509-ca-cert";

/// Content-Type of a GetCACert response holding a certificates-only SignedData: CA with
/// intermediates or RA certificates (RFC 8894 §4.2.1.2).
pub const CONTENT_TYPE_CA_RA_CERT: &str = "application/x-x509-ca-ra-cert";

/// Content-Type of a GetNextCACert response (RFC 8894 §4.7).
pub const CONTENT_TYPE_NEXT_CA_CERT: &str = "application/x-x509-next-ca-cert";

/// Content-Type of a GetCACaps response (RFC 8894 §3.5.2).
pub const CONTENT_TYPE_TEXT_PLAIN: &str = "text/plain";

/// A SCEP operation, the `operation` query parameter (RFC 8894 §4.1).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `GetCACaps`: the CA's capabilities.
    GetCaCaps,
    /// `GetCACert`: the CA (and RA) certificates.
    GetCaCert,
    /// `GetNextCACert`: the CA's rollover certificate(s).
    GetNextCaCert,
    /// `PKIOperation`: a pkiMessage (PKCSReq, RenewalReq, CertPoll, GetCert, GetCRL).
    PkiOperation,
}

impl Operation {
    /// The exact spelling on the wire: `GetCACaps`, `GetCACert`, `GetNextCACert` or
    /// `PKIOperation`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::GetCaCaps => "GetCACaps",
            Self::GetCaCert => "GetCACert",
            Self::GetNextCaCert => "GetNextCACert",
            Self::PkiOperation => "PKIOperation",
        }
    }

    /// Parses an operation name, ignoring ASCII case and surrounding whitespace.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        [
            Self::GetCaCaps,
            Self::GetCaCert,
            Self::GetNextCaCert,
            Self::PkiOperation,
        ]
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(name))
    }
}

impl FromStr for Operation {
    type Err = HttpError;

    /// As [`Operation::parse`], failing with [`HttpError::UnknownOperation`].
    fn from_str(s: &str) -> Result<Self, HttpError> {
        Self::parse(s).ok_or(HttpError::UnknownOperation)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP methods SCEP uses.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// `"GET"` or `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    /// Parses `GET` or `POST`, ignoring ASCII case.
    pub fn parse(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("GET") {
            Some(Self::Get)
        } else if name.eq_ignore_ascii_case("POST") {
            Some(Self::Post)
        } else {
            None
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP request for a client to send.
#[derive(Clone, Debug, Eq, PartialEq, Hash)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The request target: the path given to the builder plus the query, e.g.
    /// `/cgi-bin/pkiclient.exe?operation=GetCACaps`.
    pub path_and_query: String,
    /// The Content-Type header to send with the body, if there is a body.
    pub content_type: Option<&'static str>,
    /// The body (empty for GET).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// `GET <path>?operation=GetCACaps`, with `&message=<ca_ident>` when a CA identifier is
    /// given (percent-encoded).
    ///
    /// `path` is used as given (an empty one becomes `/`); if it already has a query, the SCEP
    /// parameters are appended to it.
    pub fn get_ca_caps(path: &str, ca_ident: Option<&str>) -> Self {
        Self::get(path, Operation::GetCaCaps, ca_ident)
    }

    /// `GET <path>?operation=GetCACert`, with `&message=<ca_ident>` when given. Path as in
    /// [`get_ca_caps`](Self::get_ca_caps).
    pub fn get_ca_cert(path: &str, ca_ident: Option<&str>) -> Self {
        Self::get(path, Operation::GetCaCert, ca_ident)
    }

    /// `GET <path>?operation=GetNextCACert`, with `&message=<ca_ident>` when given. Path as in
    /// [`get_ca_caps`](Self::get_ca_caps).
    pub fn get_next_ca_cert(path: &str, ca_ident: Option<&str>) -> Self {
        Self::get(path, Operation::GetNextCaCert, ca_ident)
    }

    /// A PKIOperation carrying the DER pkiMessage `message_der`.
    ///
    /// With `use_post`: `POST <path>?operation=PKIOperation`, the DER as the body, Content-Type
    /// [`CONTENT_TYPE_PKI_MESSAGE`]. Without: `GET <path>?operation=PKIOperation&message=…`
    /// with the message [encoded](encode_message) into the query. Path as in
    /// [`get_ca_caps`](Self::get_ca_caps).
    pub fn pki_operation(path: &str, message_der: &[u8], use_post: bool) -> Self {
        let path = if path.is_empty() { "/" } else { path };
        if use_post {
            Self {
                method: Method::Post,
                path_and_query: build_target(path, Operation::PkiOperation, None),
                content_type: Some(CONTENT_TYPE_PKI_MESSAGE),
                body: message_der.to_vec(),
            }
        } else {
            Self {
                method: Method::Get,
                path_and_query: build_target(
                    path,
                    Operation::PkiOperation,
                    Some(Param::Binary(message_der)),
                ),
                content_type: None,
                body: Vec::new(),
            }
        }
    }

    fn get(path: &str, op: Operation, ca_ident: Option<&str>) -> Self {
        let path = if path.is_empty() { "/" } else { path };
        Self {
            method: Method::Get,
            path_and_query: build_target(path, op, ca_ident.map(|s| Param::Text(s.as_bytes()))),
            content_type: None,
            body: Vec::new(),
        }
    }
}

/// An HTTP response to send: status, `Content-Type`, the other headers SCEP needs, body.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Headers besides `Content-Type`: `Allow` on a 405, `Retry-After` on a PENDING CertRep
    /// when [`ServerOptions::retry_after`](crate::server::ServerOptions::retry_after) is set.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response without headers besides `Content-Type`.
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The value of header `name` (ASCII case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A `text/plain` response.
    pub(crate) fn text(status: u16, text: &str) -> Self {
        Self::new(status, CONTENT_TYPE_TEXT_PLAIN, text.as_bytes().to_vec())
    }
}

/// The full GET URL for `op` at `base_url` (scheme, authority and path, e.g.
/// `http://ca.example/cgi-bin/pkiclient.exe`; an existing query is extended).
///
/// `message` is the DER pkiMessage for [`Operation::PkiOperation`], base64- and
/// percent-encoded as in [`encode_message`]; for the other operations it is the CA identifier's
/// text, percent-encoded. `None` leaves the `message` parameter out.
///
/// ```
/// use scep::http::{url_for, Operation};
/// assert_eq!(
///     url_for("http://ca.example/scep", Operation::GetCaCert, Some(b"my ca")),
///     "http://ca.example/scep?operation=GetCACert&message=my%20ca",
/// );
/// ```
pub fn url_for(base_url: &str, op: Operation, message: Option<&[u8]>) -> String {
    let param = message.map(|m| match op {
        Operation::PkiOperation => Param::Binary(m),
        _ => Param::Text(m),
    });
    build_target(base_url, op, param)
}

/// The value of a `message` parameter before encoding.
enum Param<'a> {
    /// A pkiMessage: base64, then percent-encoded.
    Binary(&'a [u8]),
    /// A CA identifier: percent-encoded.
    Text(&'a [u8]),
}

fn build_target(base: &str, op: Operation, message: Option<Param<'_>>) -> String {
    let mut out = String::with_capacity(base.len() + 32);
    out.push_str(base);
    match base.find('?') {
        None => out.push('?'),
        Some(_) if base.ends_with('?') || base.ends_with('&') => {}
        Some(_) => out.push('&'),
    }
    out.push_str("operation=");
    out.push_str(op.as_str());
    match message {
        None => {}
        Some(Param::Binary(der)) => {
            out.push_str("&message=");
            percent_encode_into(&mut out, base64_encode(der).as_bytes());
        }
        Some(Param::Text(text)) => {
            out.push_str("&message=");
            percent_encode_into(&mut out, text);
        }
    }
    out
}

/// Encodes a DER pkiMessage for a GET `message` parameter: standard base64 with padding
/// (RFC 4648 §4), then percent-encoding of everything but RFC 3986 unreserved characters, so
/// `+`, `/` and `=` become `%2B`, `%2F` and `%3D` (RFC 8894 §4.1).
pub fn encode_message(der: &[u8]) -> String {
    let mut out = String::new();
    percent_encode_into(&mut out, base64_encode(der).as_bytes());
    out
}

/// Decodes a GET `message` parameter of a PKIOperation, with all the leniency described in the
/// [module docs](self): the raw value from the query, or one a framework already
/// percent-decoded (even one that turned `+` into a space), both base64 alphabets, line breaks,
/// missing padding.
///
/// # Errors
/// [`HttpError::BadEncoding`] when it is not percent-encoded base64 after all;
/// [`HttpError::MissingMessage`] when it decodes to nothing.
pub fn decode_message(value: &[u8]) -> Result<Vec<u8>, HttpError> {
    let unescaped = percent_decode(value).ok_or(HttpError::BadEncoding)?;
    let der = base64_decode_lenient(&unescaped).ok_or(HttpError::BadEncoding)?;
    if der.is_empty() {
        return Err(HttpError::MissingMessage);
    }
    Ok(der)
}

/// A SCEP request as received by a server, from [`parse_request`].
#[derive(Clone, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub struct IncomingHttp {
    /// The method it came with.
    pub method: Method,
    /// The operation.
    pub operation: Operation,
    /// For [`Operation::PkiOperation`], the decoded pkiMessage bytes (from the body of a POST or
    /// the `message` parameter of a GET); `None` for the other operations.
    pub message: Option<Vec<u8>>,
    /// For the other operations, the `message` parameter as text: a CA identifier some clients
    /// send (RFC 8894 §4.2; Apple, Cisco). Percent-decoded with `+` read as a space, invalid
    /// UTF-8 replaced; `None` when absent, empty or not valid percent-encoding. Always `None`
    /// for PKIOperation.
    pub ca_ident: Option<String>,
}

/// Why [`parse_request`] refused a request. Small and `Copy`; see
/// [`status_code`](Self::status_code) for the HTTP status to answer with.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum HttpError {
    /// The method is neither GET nor POST (405; answer with `Allow: GET, POST`).
    MethodNotAllowed,
    /// The request target is longer than [`HttpLimits::max_query_len`] (414).
    UriTooLong,
    /// The body is longer than [`HttpLimits::max_body_len`] (413).
    TooLarge,
    /// No `operation` parameter (400).
    MissingOperation,
    /// The `operation` is not one of the four SCEP operations (400).
    UnknownOperation,
    /// A PKIOperation without a message: no `message` parameter on GET, or an empty body on
    /// POST (400).
    MissingMessage,
    /// The message is not valid percent-encoding, base64, DER or PEM (400).
    BadEncoding,
}

impl HttpError {
    /// The HTTP status code a server should answer with: 405 [`MethodNotAllowed`](Self::MethodNotAllowed),
    /// 414 [`UriTooLong`](Self::UriTooLong), 413 [`TooLarge`](Self::TooLarge), and 400 Bad
    /// Request for the rest (including an unknown operation, as the SCEP servers in the field
    /// answer).
    pub const fn status_code(self) -> u16 {
        match self {
            Self::MethodNotAllowed => 405,
            Self::UriTooLong => 414,
            Self::TooLarge => 413,
            Self::MissingOperation
            | Self::UnknownOperation
            | Self::MissingMessage
            | Self::BadEncoding => 400,
        }
    }

    /// A short description, usable as a response body.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MethodNotAllowed => "method not allowed",
            Self::UriTooLong => "request target too long",
            Self::TooLarge => "request body too large",
            Self::MissingOperation => "missing operation parameter",
            Self::UnknownOperation => "unknown operation",
            Self::MissingMessage => "missing message",
            Self::BadEncoding => "message is not correctly encoded",
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for HttpError {}

/// Parses a SCEP HTTP request.
///
/// - `method`: the request method (`GET` or `POST`, any case).
/// - `target`: the request target as received — a path with query (`/scep?operation=…`), an
///   absolute URL, or just the query (with or without the leading `?`). A string that starts
///   with `/` and has no `?` is a path without a query. Pass it undecoded if you can; an already
///   decoded one works too, see the [module docs](self).
/// - `body`: the request body (looked at only for POST).
///
/// # Errors
/// [`HttpError`]; each variant documents the status code to answer with.
pub fn parse_request(
    method: &str,
    target: &str,
    body: &[u8],
    limits: &HttpLimits,
) -> Result<IncomingHttp, HttpError> {
    let method = Method::parse(method).ok_or(HttpError::MethodNotAllowed)?;
    if target.len() > limits.max_query_len {
        return Err(HttpError::UriTooLong);
    }
    if method == Method::Post && body.len() > limits.max_body_len {
        return Err(HttpError::TooLarge);
    }

    let query = query_of(target);
    let mut operation = None;
    let mut message = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = name.trim();
        if operation.is_none() && name.eq_ignore_ascii_case("operation") {
            operation = Some(value);
        } else if message.is_none() && name.eq_ignore_ascii_case("message") {
            message = Some(value);
        }
    }

    let operation = match operation {
        Some(value) => {
            let name = form_decode(value).ok_or(HttpError::UnknownOperation)?;
            if name.trim().is_empty() {
                return Err(HttpError::MissingOperation);
            }
            Operation::parse(&name).ok_or(HttpError::UnknownOperation)?
        }
        // Many CAs never look at the operation of a POST (RFC 8894 §4.3).
        None if method == Method::Post => Operation::PkiOperation,
        None => return Err(HttpError::MissingOperation),
    };

    if operation != Operation::PkiOperation {
        let ca_ident = match message {
            Some(value) => form_decode(value).filter(|s| !s.is_empty()),
            None => None,
        };
        return Ok(IncomingHttp {
            method,
            operation,
            message: None,
            ca_ident,
        });
    }

    let der = match method {
        Method::Post => decode_post_body(body)?,
        Method::Get => match message {
            Some(value) if !value.is_empty() => decode_message(value.as_bytes())?,
            _ => return Err(HttpError::MissingMessage),
        },
    };
    Ok(IncomingHttp {
        method,
        operation,
        message: Some(der),
        ca_ident: None,
    })
}

/// The query part of a request target: after the first `?`, without a `#` fragment. A target
/// starting with `/` without `?` has no query; anything else is taken as the query itself.
fn query_of(target: &str) -> &str {
    let query = match target.split_once('?') {
        Some((_, q)) => q,
        None if target.starts_with('/') || target.contains("://") => "",
        None => target,
    };
    query.split_once('#').map_or(query, |(q, _)| q)
}

/// The pkiMessage in a POST body: raw DER, or base64 / PEM of it.
fn decode_post_body(body: &[u8]) -> Result<Vec<u8>, HttpError> {
    match body.first() {
        None => return Err(HttpError::MissingMessage),
        Some(0x30) => return Ok(body.to_vec()),
        Some(_) => {}
    }
    let text = body.trim_ascii();
    if text.is_empty() {
        return Err(HttpError::MissingMessage);
    }
    let decoded = if text.starts_with(b"-----BEGIN ") {
        crate::asn1::pem::decode_first(text, "").map(|(_, der)| der)
    } else {
        base64_decode_lenient(text)
    };
    match decoded {
        Some(der) if der.first() == Some(&0x30) => Ok(der),
        _ => Err(HttpError::BadEncoding),
    }
}

#[cfg(test)]
mod tests;
