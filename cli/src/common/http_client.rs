//! A small HTTP client over `ureq` for the example client and the RA proxy's upstream side:
//! plain `http://` only, no redirects, bounded replies.

use core::time::Duration;

use scep::http::{self, HttpRequest, Method};

/// HTTP over `ureq` (no TLS: plain `http://` only).
pub struct Http {
    agent: ureq::Agent,
    /// `http://host:port`.
    origin: String,
}

/// A reply.
pub struct HttpReply {
    /// The HTTP status code.
    pub status: u16,
    /// The Content-Type header (empty when absent).
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// The most a reply may be: SCEP replies are a few kilobytes.
const MAX_REPLY: u64 = 4 << 20;

impl Http {
    /// Splits `url` into origin and path; the path (with any query) is what the library's
    /// request builders extend.
    pub fn new(url: &str) -> Result<(Http, String), String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .max_redirects(0)
            .build();
        Ok((
            Http {
                agent: ureq::Agent::new_with_config(config),
                origin: format!("http://{authority}"),
            },
            path,
        ))
    }

    pub fn send(&self, req: &HttpRequest) -> Result<HttpReply, String> {
        let url = format!("{}{}", self.origin, req.path_and_query);
        let result = match req.method {
            Method::Post => {
                let ct = req.content_type.unwrap_or(http::CONTENT_TYPE_PKI_MESSAGE);
                self.agent
                    .post(&url)
                    .header("Content-Type", ct)
                    .send(&req.body[..])
            }
            _ => self.agent.get(&url).call(),
        };
        let mut response = result.map_err(|e| format!("{} {url}: {e}", req.method.as_str()))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_vec()
            .map_err(|e| format!("{url}: reading the reply: {e}"))?;
        Ok(HttpReply {
            status,
            content_type,
            body,
        })
    }
}
