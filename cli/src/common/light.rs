//! Key-generating light clients (`POST /light` of `scep serve` and `scep proxy` with a form
//! body): the client sends a subject, the challenge and a password; the server generates the
//! key pair, builds and signs the CSR, enrolls it, and answers with a PKCS #12 file holding the
//! key, the certificate and the chain, encrypted with the client's password. The private key
//! lives only in memory for the request (zeroized when dropped) and is never stored or logged;
//! neither is the password.
//!
//! ```text
//! POST /light
//! Content-Type: application/x-www-form-urlencoded
//!
//! subject=CN%3Ddevice-1%2CO%3DExample&challenge=SECRET&password=P12-PASSWORD[&key-type=p256]
//! ```
//!
//! - `subject`: an RFC 4514 name (`CN=…,O=…`), at most [`MAX_FIELD`] characters.
//! - `challenge`: the challenge password (also accepted in the `X-SCEP-Challenge` header).
//! - `password`: the PKCS #12 password, 1 to [`MAX_FIELD`] characters.
//! - `key-type`: `rsa2048` (default) or `p256`.
//!
//! Answers: 200 `application/x-pkcs12` (DER; PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, an
//! HMAC-SHA256 MAC: what OpenSSL 3 writes by default), 400 for a malformed form, 403 for a
//! missing or wrong challenge, other statuses as the endpoint says.

use core::fmt;

use scep::Certificate;
use scep::builder;
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm};
use scep::message::Csr;
use scep::provider::rustcrypto::{EcPrivateKey, generate_key, public_key_info, sign_with_key};
use zeroize::Zeroizing;

use crate::common::pkcs12;
use crate::common::util::parse_name;

/// The media type of a key-generating light request.
pub const FORM: &str = "application/x-www-form-urlencoded";
/// The media type of the answer.
pub const CONTENT_TYPE_PKCS12: &str = "application/x-pkcs12";
/// The longest accepted field value (characters, after percent-decoding).
pub const MAX_FIELD: usize = 1024;

/// The key the server generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA, 2048 bits (the default).
    Rsa2048,
    /// ECDSA on P-256.
    P256,
}

/// A parsed key-generating light request. `Debug` shows neither the challenge nor the password.
pub struct KeygenRequest {
    /// The subject for the CSR (as the client wrote it).
    pub subject: String,
    /// The challenge from the form, if any.
    pub challenge: Option<Zeroizing<String>>,
    /// The PKCS #12 password.
    pub password: Zeroizing<String>,
    /// Which key to generate.
    pub key_type: KeyType,
}

impl fmt::Debug for KeygenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeygenRequest")
            .field("subject", &self.subject)
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

/// Whether a `Content-Type` header names the form.
pub fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(FORM))
    })
}

/// Percent-decoding of one form value (`+` is a space); `None` for bad escapes or UTF-8.
fn form_decode(s: &str) -> Option<Zeroizing<String>> {
    let bytes = s.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = core::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    let s = core::str::from_utf8(&out).ok()?;
    Some(Zeroizing::new(s.to_owned()))
}

/// Reads the form body. The error is safe to send and to log (it names fields, never values).
pub fn parse_form(body: &[u8]) -> Result<KeygenRequest, &'static str> {
    let text = core::str::from_utf8(body).map_err(|_| "the form is not UTF-8")?;
    let mut subject = None;
    let mut challenge = None;
    let mut password = None;
    let mut key_type = KeyType::Rsa2048;
    for pair in text.trim_end().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = form_decode(value).ok_or("a form value is not percent-encoded UTF-8")?;
        if value.chars().count() > MAX_FIELD {
            return Err("a form value is too long");
        }
        let slot = match name {
            "subject" => &mut subject,
            "challenge" => &mut challenge,
            "password" => &mut password,
            "key-type" | "key_type" => {
                key_type = match value.as_str() {
                    "rsa2048" | "rsa" | "" => KeyType::Rsa2048,
                    "p256" | "ec" | "ecdsa-p256" => KeyType::P256,
                    _ => return Err("key-type is rsa2048 or p256"),
                };
                continue;
            }
            _ => return Err("unknown form field (subject, challenge, password, key-type)"),
        };
        if slot.is_some() {
            return Err("a form field is repeated");
        }
        *slot = Some(value);
    }
    let subject = subject.ok_or("the form needs a subject")?;
    let password = password
        .filter(|p| !p.is_empty())
        .ok_or("the form needs a non-empty password (for the PKCS #12 file)")?;
    if parse_name(&subject).is_err() {
        return Err("the subject is not an RFC 4514 name (CN=...,O=...)");
    }
    Ok(KeygenRequest {
        subject: subject.to_string(),
        challenge: challenge.filter(|c| !c.is_empty()),
        password,
        key_type,
    })
}

/// A generated key (unencrypted PKCS #8 DER, zeroized on drop) and its CSR (no challenge
/// password: the server checked the challenge itself).
pub struct Generated {
    pkcs8: Zeroizing<Vec<u8>>,
    /// The CSR, signed with the new key.
    pub csr: Csr,
}

impl Generated {
    /// The PKCS #12 file of this key with `certificate` and `chain`, under `password`.
    pub fn pkcs12(
        &self,
        certificate: &Certificate,
        chain: &[Certificate],
        password: &str,
    ) -> Result<Vec<u8>, String> {
        let name = certificate.subject().to_string();
        pkcs12::build(&self.pkcs8, certificate, chain, password, Some(&name))
    }
}

/// Generates the key of `req` and a CSR for its subject (CPU-heavy for RSA: call it on the
/// blocking pool).
pub fn generate(req: &KeygenRequest) -> Result<Generated, String> {
    let subject = parse_name(&req.subject)?;
    let mut rng = getrandom::SysRng;
    match req.key_type {
        KeyType::Rsa2048 => {
            let private = generate_key(2048, &mut rng).map_err(|e| format!("RSA keygen: {e}"))?;
            let spki = public_key_info(&private).map_err(|e| format!("public key: {e}"))?;
            let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
            let csr = builder::csr(&subject, &spki, None, &[], alg, &mut |m| {
                sign_with_key(&private, alg, m)
            })
            .map_err(|e| format!("CSR: {e}"))?;
            let doc = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&private)
                .map_err(|e| format!("PKCS #8: {e}"))?;
            Ok(Generated {
                pkcs8: Zeroizing::new(doc.as_bytes().to_vec()),
                csr,
            })
        }
        KeyType::P256 => {
            let private = EcPrivateKey::generate(scep::crypto::EcCurve::P256, &mut rng)
                .map_err(|e| format!("P-256 keygen: {e}"))?;
            let spki = private
                .public_key_info()
                .map_err(|e| format!("public key: {e}"))?;
            let alg = private.default_signature_algorithm();
            let csr = builder::csr(&subject, &spki, None, &[], alg, &mut |m| {
                private.sign(alg, m)
            })
            .map_err(|e| format!("CSR: {e}"))?;
            let pem = private
                .to_pkcs8_pem()
                .map_err(|e| format!("PKCS #8: {e}"))?;
            let (_, der) =
                der::pem::decode_vec(pem.as_bytes()).map_err(|e| format!("PKCS #8: {e}"))?;
            Ok(Generated {
                pkcs8: Zeroizing::new(der),
                csr,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_form_is_read_and_checked() {
        let r = parse_form(
            b"subject=CN%3Dd1%2CO%3DEx+Co&challenge=s3cret&password=p%26w&key-type=p256",
        )
        .unwrap();
        assert_eq!(r.subject, "CN=d1,O=Ex Co");
        assert_eq!(r.challenge.as_deref().map(String::as_str), Some("s3cret"));
        assert_eq!(r.password.as_str(), "p&w");
        assert_eq!(r.key_type, KeyType::P256);
        assert!(!format!("{r:?}").contains("s3cret"));
        assert!(!format!("{r:?}").contains("p&w"));
        assert!(parse_form(b"subject=CN%3Dd&password=").is_err());
        assert!(parse_form(b"password=x").is_err());
        assert!(parse_form(b"subject=nonsense&password=x").is_err());
        assert!(parse_form(b"subject=CN%3Dd&password=x&password=y").is_err());
        assert!(parse_form(b"subject=CN%3Dd&password=%zz").is_err());
        assert!(parse_form(b"subject=CN%3Dd&password=x&other=1").is_err());
        assert!(is_form(Some(
            "application/x-www-form-urlencoded; charset=utf-8"
        )));
        assert!(!is_form(Some("application/pkcs10")));
    }
}
