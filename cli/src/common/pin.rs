//! Pinning a CA: of a GetCACert reply only the certificates that chain by signature to an
//! anchor (the CA certificate, or its SHA-256) are kept. (The library's verified
//! `CaCertificates` from issue #12 replaces this once it lands.)

use std::fs;

use scep::Certificate;
use scep::ca_certs::CaCertificates;
use scep::crypto::DigestAlgorithm;
use scep::provider::rustcrypto::PROVIDER;

use crate::common::util;

/// What a GetCACert reply is checked against (RFC 8894 §2.2: RA and intermediate
/// certificates verified to the authenticated root).
pub enum Anchor {
    /// The SHA-256 of the CA certificate (`--ca-fingerprint`, `--upstream-fingerprint`).
    Fingerprint(Vec<u8>),
    /// The CA certificate itself (`--upstream-ca FILE`).
    Certificate(Certificate),
}

impl Anchor {
    /// A SHA-256 in hex (colons and spaces allowed).
    pub fn fingerprint(text: &str) -> Result<Anchor, String> {
        let hex: String = text.chars().filter(char::is_ascii_hexdigit).collect();
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| format!("not a SHA-256 in hex: {text:?}"))?;
        Ok(Anchor::Fingerprint(bytes))
    }

    /// A certificate file (PEM or DER).
    pub fn file(path: &str) -> Result<Anchor, String> {
        let bytes = fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let cert = Certificate::from_pem(&bytes)
            .or_else(|_| Certificate::from_der(&bytes))
            .map_err(|e| format!("{path}: {e}"))?;
        Ok(Anchor::Certificate(cert))
    }
}

/// The certificates of `reply` that chain to `anchor` by signature (the anchor first; an
/// intermediate must be a CA certificate); the rest are dropped, and named on stderr.
pub fn pinned(reply: &CaCertificates, anchor: &Anchor) -> Result<CaCertificates, String> {
    let certs = reply.certificates();
    let root = match anchor {
        Anchor::Fingerprint(want) => certs
            .iter()
            .find(|c| {
                scep::ca_certs::fingerprint(c, DigestAlgorithm::Sha256, &PROVIDER)
                    .is_ok_and(|d| d.as_ref() == want.as_slice())
            })
            .cloned()
            .ok_or("no certificate in the GetCACert reply has the pinned fingerprint")?,
        Anchor::Certificate(c) => c.clone(),
    };
    let mut kept = vec![root];
    let mut rest: Vec<&Certificate> = certs.iter().filter(|c| !kept.contains(c)).collect();
    loop {
        let before = rest.len();
        rest.retain(|c| {
            let verified = kept.iter().any(|issuer| {
                (issuer.is_ca() || kept.first() == Some(issuer))
                    && c.verify_issued_by(issuer, &PROVIDER).is_ok()
            });
            if verified {
                kept.push((*c).clone());
            }
            !verified
        });
        if rest.len() == before {
            break;
        }
    }
    for c in rest {
        eprintln!(
            "GetCACert: dropped {} (not signed by the pinned CA or a CA under it)",
            util::escape(&c.subject().to_string())
        );
    }
    CaCertificates::new(kept).map_err(|e| format!("pinned certificates: {e}"))
}
