//! Pinning a CA: of a GetCACert reply only the certificates that chain by signature to an
//! anchor (the CA certificate, or its SHA-256) are kept. (The library's verified
//! `CaCertificates` from issue #12 replaces this once it lands.)

use std::fs;

use scep::Certificate;
use scep::ca_certs::CaCertificates;
use scep::error::TrustFailure;
use scep::provider::rustcrypto::PROVIDER;
use scep::trust::TrustAnchor;

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
    let anchor = match anchor {
        Anchor::Fingerprint(want) => TrustAnchor::Sha256Fingerprint(
            want.as_slice()
                .try_into()
                .map_err(|_| "a SHA-256 fingerprint has 32 bytes")?,
        ),
        Anchor::Certificate(c) => TrustAnchor::Certificate(c.clone()),
    };
    // The library's chain check (signatures, CA-only intermediates, key-usage roles).
    let trusted = reply.verify(&anchor, &PROVIDER).map_err(|e| match e {
        scep::Error::Untrusted(TrustFailure::AnchorNotFound) => {
            "no certificate in the GetCACert reply has the pinned fingerprint".to_owned()
        }
        e => format!("GetCACert reply not trusted: {e}"),
    })?;
    for d in trusted.dropped() {
        eprintln!(
            "GetCACert: dropped {} ({:?})",
            util::escape(&d.certificate.subject().to_string()),
            d.reason
        );
    }
    CaCertificates::new(trusted.certificates().to_vec())
        .map_err(|e| format!("pinned certificates: {e}"))
}
