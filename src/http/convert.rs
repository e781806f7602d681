//! Conversions to and from the `http` crate (feature `http`), with the headers SCEP needs:
//! `Content-Type` on every request with a body and every response, `Retry-After` on a PENDING
//! CertRep (when configured) and `Allow` on a 405, as [`Response::headers`] holds them.
//!
//! ```
//! use scep::http::{HttpRequest, Response};
//! let get = ::http::Request::try_from(&HttpRequest::get_ca_caps("/scep", None))?;
//! assert_eq!(get.uri(), "/scep?operation=GetCACaps");
//! let reply = ::http::Response::try_from(Response::new(200, "text/plain", b"POSTPKIOperation\n".to_vec()))?;
//! assert_eq!(reply.headers()["content-type"], "text/plain");
//! # Ok::<(), scep::Error>(())
//! ```

use alloc::vec::Vec;

use super::{HttpRequest, Method, Response};
use crate::error::Error;

impl TryFrom<&HttpRequest> for ::http::Request<Vec<u8>> {
    type Error = Error;

    /// The request to send: method, target (`path_and_query`, a path or an absolute URL),
    /// `Content-Type` when there is a body, and the body.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the target is not a valid URI (an endpoint that is not a
    /// path or a URL).
    fn try_from(request: &HttpRequest) -> Result<Self, Error> {
        let method = match request.method {
            Method::Get => ::http::Method::GET,
            Method::Post => ::http::Method::POST,
        };
        let mut builder = ::http::Request::builder()
            .method(method)
            .uri(request.path_and_query.as_str());
        if let Some(ct) = request.content_type {
            builder = builder.header(::http::header::CONTENT_TYPE, ct);
        }
        builder
            .body(request.body.clone())
            .map_err(|_| Error::InvalidInput)
    }
}

impl TryFrom<Response> for ::http::Response<Vec<u8>> {
    type Error = Error;

    /// The response to send: status, `Content-Type`, the other headers, the body.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a status or header the `http` crate refuses (none that the
    /// crate produces).
    fn try_from(response: Response) -> Result<Self, Error> {
        let mut builder = ::http::Response::builder()
            .status(response.status)
            .header(::http::header::CONTENT_TYPE, response.content_type);
        for (name, value) in &response.headers {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(response.body).map_err(|_| Error::InvalidInput)
    }
}

/// The parts of a received `http::Request` that [`Server::handle`](crate::server::Server::handle)
/// takes: method, request target (path and query) and body.
pub fn request_parts<B: AsRef<[u8]>>(request: &::http::Request<B>) -> (&str, &str, &[u8]) {
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path(), ::http::uri::PathAndQuery::as_str);
    (request.method().as_str(), target, request.body().as_ref())
}

/// The status, `Content-Type` and body of a received `http::Response`, as
/// [`Client::handle`](crate::client::Client::handle) and
/// [`Capabilities::from_http`](crate::caps::Capabilities::from_http) take them.
pub fn response_parts<B: AsRef<[u8]>>(
    response: &::http::Response<B>,
) -> (u16, Option<&str>, &[u8]) {
    let content_type = response
        .headers()
        .get(::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    (
        response.status().as_u16(),
        content_type,
        response.body().as_ref(),
    )
}

#[cfg(all(test, feature = "rustcrypto"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    extern crate std;

    use alloc::vec;

    use super::*;
    use crate::caps::Capabilities;
    use crate::cert::Certificate;
    use crate::provider::rustcrypto::{PROVIDER, RsaKey};
    use crate::server::{Incoming, Server, ServerOptions};

    fn server(options: ServerOptions) -> Server<RsaKey, RsaKey> {
        let read = |f: &str| {
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/data")
                    .join(f),
            )
            .unwrap()
        };
        let cert = Certificate::from_pem(&read("ra2048.cert.pem")).unwrap();
        let key = RsaKey::from_pem(&read("ra2048.pkcs8.pem"), cert.clone()).unwrap();
        Server::new(
            key.clone(),
            key,
            vec![cert],
            Capabilities::rfc8894_server(),
            PROVIDER,
        )
        .with_options(options)
    }

    #[test]
    fn a_request_goes_through_the_http_crate_and_back() {
        let post = HttpRequest::pki_operation("http://ca.example/scep", &[0x30, 0x00], true);
        let r = ::http::Request::try_from(&post).unwrap();
        assert_eq!(r.method(), ::http::Method::POST);
        assert_eq!(r.uri().host(), Some("ca.example"));
        assert_eq!(
            r.headers()[::http::header::CONTENT_TYPE],
            super::super::CONTENT_TYPE_PKI_MESSAGE
        );
        let (method, target, body) = request_parts(&r);
        assert_eq!(
            (method, target, body),
            ("POST", "/scep?operation=PKIOperation", &[0x30, 0][..])
        );
    }

    #[test]
    fn a_405_carries_allow_and_caps_a_content_type() {
        let s = server(ServerOptions::default());
        let req = ::http::Request::builder()
            .method("PUT")
            .uri("/scep?operation=GetCACaps")
            .body(Vec::new())
            .unwrap();
        let (m, t, b) = request_parts(&req);
        let Incoming::Reply(reply) = s.handle(m, t, b, &mut getrandom::SysRng) else {
            panic!()
        };
        let reply = ::http::Response::try_from(reply).unwrap();
        assert_eq!(reply.status(), 405);
        assert_eq!(reply.headers()[::http::header::ALLOW], "GET, POST");

        let req = ::http::Request::get("/scep?operation=GetCACaps")
            .body(Vec::new())
            .unwrap();
        let (m, t, b) = request_parts(&req);
        let Incoming::Reply(reply) = s.handle(m, t, b, &mut getrandom::SysRng) else {
            panic!()
        };
        let reply = ::http::Response::try_from(reply).unwrap();
        let (status, ct, body) = response_parts(&reply);
        assert_eq!((status, ct), (200, Some("text/plain")));
        assert!(Capabilities::from_http(status, body).supports_post());
    }
}
