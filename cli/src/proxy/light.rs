//! `POST /light` with a form: key-generating light clients (see
//! [`common::light`](crate::common::light)). The RA checks the challenge, generates the key and
//! the CSR (no challenge password in it: the RA vouches for the request, as for a CSR posted to
//! `/light`), enrolls it upstream like any light CSR, and answers with a PKCS #12 file. The
//! key exists only in memory for the request: an upstream that answers PENDING gets the key
//! discarded and the client a 502 (it may try again once the upstream issues at once).

use std::sync::Mutex;

use scep::Certificate;
use scep::ca_certs::CaCertificates;
use scep::client::Outcome;

use super::ra::{App, Logged};
use super::upstream::describe_outcome;
use crate::common::light::{self, CONTENT_TYPE_PKCS12};
use crate::common::util;

/// One key-generating light request; `header_challenge` is the `X-SCEP-Challenge` header.
pub(super) fn keygen(app: &Mutex<App>, header_challenge: Option<&str>, body: &[u8]) -> Logged {
    let req = match light::parse_form(body) {
        Ok(r) => r,
        Err(why) => return Logged::text(400, why, format!("-> HTTP 400: {why}")),
    };
    let what = format!(
        "keygen {:?} subject {}",
        req.key_type,
        util::escape(&req.subject)
    );
    let got = req
        .challenge
        .as_deref()
        .map(String::as_str)
        .or(header_challenge);
    {
        let Ok(app) = app.lock() else {
            return Logged::text(500, "internal error", format!("{what} -> HTTP 500"));
        };
        if app.challenge.is_none() {
            return Logged::text(
                403,
                "the light endpoint needs a challenge (--challenge)",
                format!("{what} -> HTTP 403: no --challenge configured; the light endpoint is off"),
            );
        }
        if let Err(why) = app.check_challenge(got) {
            return Logged::text(403, why, format!("{what} -> HTTP 403: {why}"));
        }
    }
    // The key is made outside the lock: RSA key generation takes a while.
    let generated = match light::generate(&req) {
        Ok(g) => g,
        Err(e) => {
            return Logged::text(
                500,
                "cannot generate the key",
                format!("{what} -> HTTP 500: {e}"),
            );
        }
    };
    let Ok(app) = app.lock() else {
        return Logged::text(500, "internal error", format!("{what} -> HTTP 500"));
    };
    let mut rng = getrandom::SysRng;
    let up = &app.upstream;
    let (request, tx) = match up.client.enroll(&generated.csr, &up.signer, &mut rng) {
        Ok(x) => x,
        Err(e) => {
            return Logged::text(
                500,
                "cannot build the request",
                format!("{what} -> HTTP 500: {e}"),
            );
        }
    };
    let what = format!("{what} upstream tx={}", tx.transaction_id().as_str());
    match up.exchange(&request, &tx, &mut rng) {
        Ok(Outcome::Issued { certificate, chain }) => {
            let issued = format!(
                "serial 0x{} subject {}",
                util::hex(certificate.serial_number()),
                util::escape(&certificate.subject().to_string())
            );
            // The chain in the file: the CA certificates of the reply and of the upstream's
            // GetCACert (not its RA certificates, which a key store has no use for).
            let mut cas: Vec<Certificate> = Vec::new();
            let known = chain.into_iter().chain(up.certificates.iter().cloned());
            if let Ok(set) = CaCertificates::new(known.collect()) {
                cas.extend(set.chain().iter().cloned());
            }
            match generated.pkcs12(&certificate, &cas, &req.password) {
                Ok(der) => Logged {
                    status: 200,
                    content_type: CONTENT_TYPE_PKCS12,
                    body: der,
                    retry_after: None,
                    headers: Vec::new(),
                    log: format!("{what} -> HTTP 200: PKCS #12 with {issued}"),
                },
                Err(e) => Logged::text(
                    500,
                    "cannot build the PKCS #12 file",
                    format!("{what} -> HTTP 500: {e}"),
                ),
            }
        }
        Ok(Outcome::Pending) => Logged::text(
            502,
            "upstream answered PENDING; a generated key is never stored, so it was discarded: \
             try again once the upstream issues at once",
            format!("{what} -> HTTP 502: upstream PENDING (key discarded)"),
        ),
        Ok(other) => {
            let d = describe_outcome(&other);
            Logged::text(
                502,
                &format!("upstream: {d}"),
                format!("{what} -> HTTP 502: upstream {d}"),
            )
        }
        Err(e) => Logged::text(
            502,
            "upstream error",
            format!("{what} -> HTTP 502: upstream {e}"),
        ),
    }
}
