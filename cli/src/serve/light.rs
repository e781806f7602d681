//! `POST /light` of `scep serve`: key-generating light clients (the form of
//! [`common::light`](crate::common::light)). The server checks the challenge, generates the
//! key and the CSR, issues the certificate through its CA (stored like any other), and answers
//! with a PKCS #12 file. The key is never stored; the challenge and the password are never
//! logged.

use std::sync::Arc;

use scep::server::challenge_matches;

use super::{App, CaKey, blocking, describe};
use crate::common::http_server::ServerReply;
use crate::common::light::{self, CONTENT_TYPE_PKCS12, KeygenRequest};
use crate::common::util::escape;
use crate::store::NewCert;

/// The path of the light endpoint.
pub const PATH: &str = "/light";
/// The header that may carry the challenge instead of the form field.
pub const CHALLENGE_HEADER: &str = "X-SCEP-Challenge";

/// A reply and the outcome for the log line.
fn answer(status: u16, text: &str, outcome: String) -> (ServerReply, String) {
    (ServerReply::text(status, text), outcome)
}

impl<K: CaKey> App<K> {
    /// The challenge of a light request: the same rule as a PKCSReq's (with no challenge
    /// configured the endpoint is off: the challenge is a light client's only credential).
    fn light_challenge(&self, got: Option<&str>) -> Result<(), &'static str> {
        let Some(expected) = &self.challenge else {
            return Err("the light endpoint needs a challenge (--challenge)");
        };
        match got {
            None => Err("missing challenge password"),
            Some(g) if challenge_matches(g, expected) => Ok(()),
            Some(_) => Err("wrong challenge password"),
        }
    }
}

/// One `/light` request: the reply and the outcome for the log line.
pub(super) async fn handle<K: CaKey>(
    app: Arc<App<K>>,
    method: &str,
    headers: &hyper::HeaderMap,
    body: Vec<u8>,
) -> (ServerReply, String) {
    if method != "POST" {
        let mut r = ServerReply::text(405, "POST a form (subject, challenge, password)");
        r.headers.push(("Allow", "POST".into()));
        return (r, "HTTP 405".into());
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if !light::is_form(content_type) {
        return answer(
            415,
            "send application/x-www-form-urlencoded: subject, challenge, password[, key-type]",
            "HTTP 415: not a form".into(),
        );
    }
    let req: KeygenRequest = match light::parse_form(&body) {
        Ok(r) => r,
        Err(why) => return answer(400, why, format!("HTTP 400: {why}")),
    };
    let what = format!("keygen {:?} subject {}", req.key_type, escape(&req.subject));
    // Before the challenge: a refusal here must not spend a one-time password.
    if app.pending && app.manual {
        let why = "requests wait for approval here (--approve manual); a generated key is never \
                   stored, so a light client cannot wait for one";
        return answer(409, why, format!("{what} -> HTTP 409: manual approval"));
    }
    let header = headers.get(CHALLENGE_HEADER).and_then(|v| v.to_str().ok());
    let got = req.challenge.as_deref().map(String::as_str).or(header);
    let checked = match &app.one_time {
        // `--challenge-mode one-time`: the light request spends a one-time password.
        Some(key) => {
            let subject = crate::common::util::parse_name(&req.subject)
                .map_or_else(|_| req.subject.clone(), |n| n.to_string());
            let got = got.unwrap_or_default();
            match super::challenge::redeem(&*app.store, key, got, &subject, "light").await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(refusal)) => {
                    let why = refusal.as_str();
                    return answer(
                        403,
                        "challenge password not accepted",
                        format!("{what} -> HTTP 403: {why}"),
                    );
                }
                Err(e) => {
                    return answer(
                        503,
                        "try again later",
                        format!("{what} -> HTTP 503: store: {e}"),
                    );
                }
            }
        }
        None => app.light_challenge(got),
    };
    if let Err(why) = checked {
        return answer(403, why, format!("{what} -> HTTP 403: {why}"));
    }
    let req = Arc::new(req);
    let r = Arc::clone(&req);
    let generated = match blocking(move || light::generate(&r)).await {
        Ok(Ok(g)) => g,
        Ok(Err(e)) | Err(e) => {
            tracing::error!("light keygen: {e}");
            return answer(
                500,
                "cannot generate the key",
                format!("{what} -> HTTP 500: {e}"),
            );
        }
    };
    let serial = match app.store.next_serial().await {
        Ok(s) => s,
        Err(e) => {
            return answer(
                503,
                "try again later",
                format!("{what} -> HTTP 503: store: {e}"),
            );
        }
    };
    let ca = app.ca_handle();
    let csr = generated.csr.clone();
    let (cert, not_after) = match blocking(move || ca.issue(&csr, serial)).await {
        Ok(Ok(x)) => x,
        Ok(Err(e)) | Err(e) => {
            return answer(
                500,
                "cannot issue",
                format!("{what} -> HTTP 500: issue: {e}"),
            );
        }
    };
    let subject = cert.subject().to_string();
    if let Err(e) = app
        .store
        .insert_certificate(NewCert {
            serial,
            subject: &subject,
            not_after,
            der: cert.as_der(),
            transaction: None,
        })
        .await
    {
        return answer(
            503,
            "try again later",
            format!("{what} -> HTTP 503: store: {e}"),
        );
    }
    let chain = vec![app.ca.certificate().clone()];
    let issued = describe(&cert);
    let p12 = blocking(move || generated.pkcs12(&cert, &chain, &req.password)).await;
    match p12 {
        Ok(Ok(der)) => (
            ServerReply {
                status: 200,
                content_type: CONTENT_TYPE_PKCS12,
                body: der,
                retry_after: None,
                headers: Vec::new(),
            },
            format!("{what} -> HTTP 200: PKCS #12 with {issued}"),
        ),
        Ok(Err(e)) | Err(e) => answer(
            500,
            "cannot build the PKCS #12 file",
            format!("{what} -> HTTP 500: {e}"),
        ),
    }
}
