//! Deviations that break known peers: each finding names the peer and the reason.
//!
//! Each check says in its comment which RFC section it follows and which peer behaviour it
//! guards against; the findings name the peers themselves.

use scep::Certificate;
use scep::attr::{MessageType, is_printable};
use scep::der::DateTime;
use scep::oid;

use crate::inspect::cms::{Alg, Enveloped, Signed, Signer};
use crate::inspect::report::{Obj, V};
use crate::inspect::tlv::{self, Stats};

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Severity {
    /// A named peer fails on it.
    Breaks,
    /// Against the RFC or fragile; some peers fail.
    Warning,
    /// Worth knowing; no peer known to fail.
    Note,
}

#[derive(Clone, Debug)]
pub struct Lint {
    pub id: &'static str,
    pub severity: Severity,
    pub peers: &'static str,
    pub finding: String,
}

impl Lint {
    pub fn to_value(&self) -> V {
        let mut o = Obj::new();
        o.s("id", self.id)
            .s(
                "severity",
                match self.severity {
                    Severity::Breaks => "breaks",
                    Severity::Warning => "warning",
                    Severity::Note => "note",
                },
            )
            .s("finding", self.finding.clone())
            .s("affects", self.peers);
        V::Obj(o)
    }
}

fn push(
    out: &mut Vec<Lint>,
    id: &'static str,
    severity: Severity,
    peers: &'static str,
    finding: String,
) {
    out.push(Lint {
        id,
        severity,
        peers,
        finding,
    });
}

/// Signed-attribute checks of a pkiMessage.
pub fn attributes(signer: &Signer<'_, '_>, message_type: Option<MessageType>, out: &mut Vec<Lint>) {
    use Severity::*;
    // RFC 8894 §3.2.1.1-3.2.1.4 type messageType, pkiStatus, failInfo and transactionID as
    // PrintableString; sscep and jscep fail on any other type, Apple's client also wants a
    // short-form length, and Go's encoding/asn1 refuses characters outside the alphabet.
    for (o, name) in [
        (oid::MESSAGE_TYPE, "messageType"),
        (oid::PKI_STATUS, "pkiStatus"),
        (oid::FAIL_INFO, "failInfo"),
        (oid::TRANSACTION_ID, "transactionID"),
    ] {
        let Some(attr) = signer.attr(&o) else {
            continue;
        };
        let Some(v) = attr.values.first() else {
            continue;
        };
        if !v.is_universal(tlv::PRINTABLE_STRING) {
            push(
                out,
                "attr-not-printable",
                Breaks,
                "sscep (exits on any other type, src/pkcs7.c), jscep (ClassCastException in PkiMessageDecoder), Apple (accepts only tag 0x13)",
                format!("{name} is a {}, not a PrintableString", v.type_name()),
            );
        } else if !String::from_utf8(v.string_octets()).is_ok_and(|s| is_printable(&s)) {
            push(
                out,
                "attr-printable-charset",
                Breaks,
                "Go's encoding/asn1 (micromdm scepserver, step-ca) refuses a PrintableString with characters outside its alphabet",
                format!(
                    "{name} is tagged PrintableString but holds characters outside the PrintableString alphabet"
                ),
            );
        }
        if v.raw.get(1).is_some_and(|l| *l >= 0x80) {
            push(
                out,
                "attr-long-length",
                Breaks,
                "Apple's SCEP client reads these attributes only with a short-form length",
                format!("{name} is encoded with a long-form length"),
            );
        }
        if attr.values.len() != 1 {
            push(
                out,
                "attr-values",
                Breaks,
                "this crate and every RFC 8894 implementation expect exactly one value",
                format!("{name} has {} values", attr.values.len()),
            );
        }
    }

    let is_reply = message_type == Some(MessageType::CertRep);
    let sender = signer
        .attr(&oid::SENDER_NONCE)
        .and_then(|a| a.values.first());
    let recipient = signer
        .attr(&oid::RECIPIENT_NONCE)
        .and_then(|a| a.values.first());
    // senderNonce absent: RFC 8894 §3.2.1.5 makes it mandatory in requests and replies; jscep
    // tolerates its absence in a reply (and logs it), other clients refuse the reply.
    match (sender, is_reply) {
        (None, false) => push(
            out,
            "missing-sender-nonce",
            Breaks,
            "RFC 8894 §3.2.1 requires it in every message; servers refuse the request (this crate's server: missing signed attribute SenderNonce) or cannot bind the reply to it",
            "the request has no senderNonce".into(),
        ),
        (None, true) => push(
            out,
            "missing-sender-nonce",
            Warning,
            "RFC 8894 §3.2.1 requires a fresh senderNonce in every message; jscep tolerates it (logs 'Response senderNonce is null')",
            "the CertRep has no senderNonce".into(),
        ),
        _ => {}
    }
    if is_reply && recipient.is_none() {
        push(
            out,
            "missing-recipient-nonce",
            Breaks,
            "RFC 8894 §3.2.1.5 clients check it against their senderNonce (this crate's client refuses the reply as a mismatch)",
            "the CertRep has no recipientNonce".into(),
        );
    }
    for (t, name) in [(sender, "senderNonce"), (recipient, "recipientNonce")] {
        let Some(t) = t else { continue };
        let len = t.string_octets().len();
        if len != 16 {
            push(
                out,
                "nonce-length",
                Warning,
                "RFC 8894 §3.2.1.5 says 16 random bytes; implementations that copy fixed 16-byte nonces truncate or refuse others (old Apple clients send 8)",
                format!("{name} is {len} bytes"),
            );
        }
    }
    // A reply that reuses the request's nonce as its own senderNonce (RFC 8894 §3.2.1.5 wants a
    // fresh one; step-ca does this, and jscep refuses a sender nonce it has seen before).
    if let (Some(s), Some(r), true) = (sender, recipient, is_reply) {
        if s.string_octets() == r.string_octets() {
            push(
                out,
                "nonce-reused",
                Breaks,
                "jscep keeps the senderNonces it has seen and refuses a reply whose senderNonce repeats one (replay check); RFC 8894 §3.2.1 wants a fresh nonce in every message",
                "the CertRep's senderNonce is the request's senderNonce (its recipientNonce)"
                    .into(),
            );
        }
    }
    if signer.attr(&oid::SIGNING_TIME).is_none() {
        push(
            out,
            "missing-signing-time",
            Note,
            "not required by CMS or RFC 8894 (NDES omits it too), but without it a server cannot apply the badTime check of RFC 8894 §3.2.1.4",
            "no signingTime attribute".into(),
        );
    }
}

/// Algorithm checks.
pub fn algorithms(
    digest: &Alg<'_, '_>,
    signature: &Alg<'_, '_>,
    content: Option<&Alg<'_, '_>>,
    out: &mut Vec<Lint>,
) {
    use Severity::*;
    const LEGACY: &str = "RFC 8894 §2.9 forbids single DES and MD5; OpenSSL 3 (certmonger, sscep built on it, `openssl cms`) refuses them without the legacy provider; this crate only with the `insecure-legacy` feature and a run-time opt-in";
    if digest.is(&oid::MD5) || signature.is(&oid::MD5_WITH_RSA) {
        push(
            out,
            "legacy-md5",
            Breaks,
            LEGACY,
            "the signature uses MD5".into(),
        );
    }
    if let Some(c) = content {
        if c.is(&oid::DES_CBC) {
            push(
                out,
                "legacy-des",
                Breaks,
                LEGACY,
                "the envelope is encrypted with single DES-CBC".into(),
            );
        }
        if c.is(&oid::AES192_CBC) {
            push(
                out,
                "aes-192",
                Breaks,
                "Go's pkcs7 (micromdm scepserver, step-ca) cannot decrypt AES-192-CBC; RFC 8894 names AES-128-CBC",
                "the envelope is encrypted with AES-192-CBC".into(),
            );
        }
    }
    if signature.is(&oid::RSA_ENCRYPTION) {
        push(
            out,
            "signature-rsa-encryption",
            Note,
            "PKCS #7 style, allowed by RFC 3370 §3.2 and read by OpenSSL, jscep and Go's pkcs7; a verifier that takes the hash from the signature OID alone cannot use it. Send <digest>WithRSAEncryption unless a legacy client needs this",
            "the SignerInfo names rsaEncryption as its signature algorithm".into(),
        );
    }
}

/// BER facts and attribute order.
pub fn encoding(stats: &Stats, signer: Option<&Signer<'_, '_>>, out: &mut Vec<Lint>) {
    use Severity::*;
    if stats.indefinite > 0 || !stats.constructed_strings.is_empty() || stats.long_lengths > 0 {
        push(
            out,
            "ber-not-der",
            Warning,
            "DER-only parsers fail: pyasn1-based servers ('Indefinite length encoding not supported'), Go's encoding/asn1 without pkcs7's BER conversion; ChromeOS-era Go code hashed a chunked eContent wrongly (step-ca #908)",
            format!(
                "BER: {} indefinite lengths, {} chunked strings, {} over-long length fields",
                stats.indefinite,
                stats.constructed_strings.len(),
                stats.long_lengths
            ),
        );
    }
    let Some(signer) = signer else { return };
    let Some(sa) = signer.signed_attrs else {
        return;
    };
    if !sa.framing_is_der() {
        push(
            out,
            "signed-attrs-ber",
            Breaks,
            "the signature is over the DER of the attributes (RFC 5652 §5.4); verifiers that re-encode them (OpenSSL's CMS code) hash other bytes and report a bad signature",
            "the signed attributes themselves are BER, not DER".into(),
        );
    }
    let elements: Vec<&[u8]> = signer.attrs.iter().map(|a| a.raw).collect();
    if !tlv::set_of_sorted(&elements) {
        push(
            out,
            "signed-attrs-order",
            Breaks,
            "verifiers that sort the SET before hashing get other bytes: Go's pkcs7 in step-ca before PR #2776 (step-ca #1723) reported a bad signature",
            "the signed attributes are not in DER SET OF order".into(),
        );
    }
}

/// Signer identification and certificate checks.
pub fn signer(
    signer: &Signer<'_, '_>,
    signed: &Signed<'_, '_>,
    cert: Option<&Certificate>,
    signing_time: Option<DateTime>,
    is_reply: bool,
    out: &mut Vec<Lint>,
) {
    use Severity::*;
    if matches!(signer.sid, crate::inspect::cms::Sid::Ski(_)) {
        push(
            out,
            "sid-ski",
            Breaks,
            "sscep and other users of OpenSSL's PKCS7 API (PKCS #7 v1.5 knows only issuerAndSerialNumber) cannot find the signer",
            "the signer is named by subjectKeyIdentifier".into(),
        );
    }
    if signed.certificates.is_empty() {
        push(
            out,
            "no-certificates",
            Note,
            "the verifier must already hold the signer's certificate (NDES replies rely on GetCACert; clients that look only in the message fail)",
            "the SignedData carries no certificates".into(),
        );
    }
    let Some(cert) = cert else { return };
    if let (Some(t), Ok(x)) = (signing_time, cert.x509()) {
        let v = x.tbs_certificate().validity();
        let nb = v.not_before.to_date_time();
        let na = v.not_after.to_date_time();
        if t < nb || t > na {
            push(
                out,
                "signing-time-outside-validity",
                Breaks,
                "Go's pkcs7 (micromdm scepserver, step-ca) refuses a signature whose signingTime is outside the signer certificate's validity (clock-skewed devices)",
                format!("signingTime {t} is outside the signer's validity {nb} .. {na}"),
            );
        }
    }
    let bits = crate::inspect::describe::rsa_bits(cert);
    if (1..2048).contains(&bits) {
        push(
            out,
            "small-key",
            Warning,
            "step-ca refuses keys below its minimumPublicKeyLength (2048 by default); Apple profiles default to 1024",
            format!("the signer's RSA key has {bits} bits"),
        );
    }
    if is_reply {
        if let Some(ku) = cert.key_usage() {
            if !ku.digital_signature() {
                push(
                    out,
                    "signer-key-usage",
                    Warning,
                    "`openssl cms -verify` with its default purpose refuses a signer without digitalSignature (needs -purpose any); micromdm's CA has keyCertSign+cRLSign only",
                    "the CertRep signer's keyUsage lacks digitalSignature".into(),
                );
            }
        }
    }
}

/// A GetCACert reply (certs-only bundle, RFC 8894 §4.2.1.2): Apple's client wants RA
/// certificates with digitalSignature and keyEncipherment (or one of each) plus a CA they chain
/// to, and picks the encryption certificate by key usage.
pub fn ca_bundle(certs: &[Certificate], out: &mut Vec<Lint>) {
    if certs.len() < 2 {
        return;
    }
    let issued_in_bundle =
        |c: &Certificate| !c.is_self_issued() && certs.iter().any(|i| i.subject() == c.issuer());
    let mut both = false;
    let mut sign_only = false;
    let mut enc_only = false;
    for c in certs.iter().filter(|c| issued_in_bundle(c)) {
        let (s, e) = c.key_usage().map_or((false, false), |k| {
            (k.digital_signature(), k.key_encipherment())
        });
        both |= s && e;
        sign_only |= s && !e;
        enc_only |= e && !s;
    }
    if !(both || (sign_only && enc_only)) {
        push(
            out,
            "ra-key-usage",
            Severity::Breaks,
            "Apple's SecSCEPValidateCACertMessage (iOS, macOS) wants, among the certificates issued by another one in the bundle, one with keyUsage digitalSignature+keyEncipherment, or a sign-only and an encrypt-only pair; otherwise the profile fails",
            "no RA certificate in this CA/RA bundle has the key usage Apple looks for".into(),
        );
    }
}

/// A decrypted CSR.
pub fn csr(csr: &scep::message::Csr, out: &mut Vec<Lint>) {
    if csr.version() != 0 {
        push(
            out,
            "csr-version",
            Severity::Warning,
            "RFC 2986 has only version 0; strict PKCS #10 decoders (RustCrypto x509-cert's CertReq) refuse it; Apple sends 2",
            format!("the CSR's version is {}", csr.version()),
        );
    }
    let bits = crate::inspect::describe::spki_rsa_bits(csr.public_key());
    if (1..2048).contains(&bits) {
        push(
            out,
            "small-key",
            Severity::Warning,
            "step-ca refuses keys below its minimumPublicKeyLength (2048 by default); Apple profiles default to 1024",
            format!("the requested RSA key has {bits} bits"),
        );
    }
}

/// GET request encodings (RFC 8894 §4.1: base64 then URL-encoded): line-wrapped base64 (Cisco,
/// strongSwan, older sscep), `+`, `/` and `=` left raw (strongSwan, macOS), base64url (older
/// micromdm clients).
pub fn get_message(raw: &str, out: &mut Vec<Lint>) {
    use Severity::*;
    if raw.contains('-') || raw.contains('_') {
        push(
            out,
            "get-base64url",
            Breaks,
            "RFC 8894 §4.1 wants standard base64; micromdm scepserver 2.1.0 answers HTTP 500 'illegal base64 data' (tests/data/peers/scepclient-pkcsreq.get.txt)",
            "the message is in the URL-safe base64 alphabet".into(),
        );
    }
    if raw.contains('+') {
        push(
            out,
            "get-raw-plus",
            Breaks,
            "servers that form-decode the query turn '+' into a space (Go's url.Query; step-ca carries a workaround for macOS)",
            "'+' is not percent-encoded".into(),
        );
    }
    if raw.contains('/') || raw.contains('=') {
        push(
            out,
            "get-unescaped",
            Note,
            "RFC 8894 §4.1 percent-encodes '/' and '=' too; most servers cope (strongSwan and macOS send them raw)",
            "'/' or '=' is not percent-encoded".into(),
        );
    }
}

/// GetCACaps replies (RFC 8894 §3.5.2 keywords): iOS refuses servers that advertise none of
/// the SHA-1/SHA-256/SHA-512 capabilities, macOS treats a missing `Renewal` as "cannot renew",
/// and micromdm matches keywords by substring (so `SHA-256x` counts as `SHA-256`).
pub fn caps(caps: &scep::caps::Capabilities, out: &mut Vec<Lint>) {
    use Severity::*;
    use scep::caps::Capability as C;
    let has = |c: &C| caps.contains(c);
    let all_sha = has(&C::Sha1) && has(&C::Sha256) && has(&C::Sha512);
    if !(has(&C::ScepStandard) || all_sha) {
        push(
            out,
            "caps-sha",
            Warning,
            "iOS 10 refused a server that did not list SHA-1, SHA-256 and SHA-512 (micromdm/scep#23)",
            "not every one of SHA-1, SHA-256 and SHA-512 is listed".into(),
        );
    }
    if !has(&C::Renewal) {
        push(
            out,
            "caps-renewal",
            Note,
            "macOS then reports that the server cannot renew (step-ca keeps Renewal for this)",
            "Renewal is not listed".into(),
        );
    }
    if !has(&C::Aes) && !has(&C::Des3) && !has(&C::ScepStandard) {
        push(
            out,
            "caps-cipher",
            Breaks,
            "clients fall back to single DES (sscep's default), which RFC 8894 forbids and OpenSSL 3 refuses",
            "neither AES nor DES3 is listed".into(),
        );
    }
    for c in caps.iter() {
        if let C::Other(s) = c {
            let known = [
                "AES",
                "DES3",
                "SHA-1",
                "SHA-256",
                "SHA-512",
                "POSTPKIOperation",
                "Renewal",
            ];
            if known.iter().any(|k| s.contains(k)) {
                push(
                    out,
                    "caps-substring",
                    Warning,
                    "micromdm's client looks keywords up by substring (bytes.Contains) and reads this as a capability",
                    format!("unknown keyword {s:?} contains a known one"),
                );
            }
        }
    }
}

/// Key-agreement and password recipients (RFC 8894 §3.1 allows both for a requester whose key
/// cannot decrypt).
pub fn recipients(env: &Enveloped<'_, '_>, out: &mut Vec<Lint>) {
    use Severity::*;
    let limits = scep::limits::Limits::DEFAULT;
    for r in &env.recipients {
        if let Some(p) = &r.pwri {
            match p.pbkdf2.as_ref().and_then(|k| k.iterations) {
                // RFC 8018 §4.2: "A minimum of 1,000 iterations is recommended."
                Some(n) if n < 1000 => push(
                    out,
                    "pwri-low-iterations",
                    Warning,
                    "anyone holding a captured message: the challenge password is cheap to guess offline",
                    format!("PBKDF2 with {n} iterations (RFC 8018 §4.2 recommends at least 1,000)"),
                ),
                Some(n) if n > u64::from(limits.max_pbkdf2_iterations) => push(
                    out,
                    "pwri-iterations-over-limit",
                    Breaks,
                    "this crate (refuses more PBKDF2 iterations than Limits::max_pbkdf2_iterations, by default 100,000)",
                    format!("PBKDF2 with {n} iterations"),
                ),
                _ => {}
            }
            if p.pbkdf2
                .as_ref()
                .and_then(|k| k.salt_len)
                .is_some_and(|n| n < 8)
            {
                push(
                    out,
                    "pwri-short-salt",
                    Warning,
                    "anyone holding captured messages: precomputed guesses work across them",
                    "PBKDF2 salt shorter than 8 octets (RFC 8018 §4.1 asks for at least 64 bits)"
                        .into(),
                );
            }
            if p.kdf.is_some() && p.pbkdf2.is_none() {
                push(
                    out,
                    "pwri-kdf",
                    Breaks,
                    "this crate and OpenSSL (PBKDF2 only)",
                    "the password recipient's key derivation is not PBKDF2".into(),
                );
            }
        }
        if let Some(k) = &r.kari {
            let std_dh = [
                oid::DH_SINGLE_PASS_STD_DH_SHA1KDF,
                oid::DH_SINGLE_PASS_STD_DH_SHA224KDF,
                oid::DH_SINGLE_PASS_STD_DH_SHA256KDF,
                oid::DH_SINGLE_PASS_STD_DH_SHA384KDF,
                oid::DH_SINGLE_PASS_STD_DH_SHA512KDF,
            ];
            if !std_dh.iter().any(|o| k.key_enc.is(o)) {
                push(
                    out,
                    "kari-scheme",
                    Breaks,
                    "this crate (only the dhSinglePass-stdDH-sha*kdf schemes of RFC 5753 §7.1.4, as openssl cms writes them)",
                    format!("key agreement with {}", k.key_enc.describe()),
                );
            }
            if !matches!(k.originator, crate::inspect::cms::Originator::Key { .. }) {
                push(
                    out,
                    "kari-static-originator",
                    Breaks,
                    "this crate (ephemeral-static ECDH only: RFC 5753 §3.1.1's originatorKey)",
                    "the originator is identified by a certificate, not given as a public key"
                        .into(),
                );
            }
        }
    }
}
