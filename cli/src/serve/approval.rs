//! The approval queue of `scep serve`: when a request waits for the operator, and what the
//! operator is shown about it (subject, SANs, key, requester, transaction ID, time).
//!
//! `--approval auto` issues at once; `manual` answers PENDING and waits for an operator's
//! approve or reject (web page, JSON API or `scep admin`); `rule` issues at once when the
//! challenge password is valid and queues the request for the operator otherwise (instead of
//! refusing it). The decision is a row in the store, so it survives restarts and is seen by
//! every replica; the device learns it at its next CertPoll or when it re-sends the PKCSReq,
//! which finds the transaction already open and never makes a second entry.

use der::{Decode as _, Encode as _};
use rsa::traits::PublicKeyParts as _;
use scep::attr::FailInfo;
use scep::message::Csr;

/// When a request is queued for the operator.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Approval {
    /// Issue at once (or, with `--pending`, at the first poll).
    Auto,
    /// Queue every request (PENDING until approved).
    Manual,
    /// Issue at once with a valid challenge password; queue when it is missing or wrong.
    Rule,
}

impl Approval {
    pub fn parse(s: &str) -> Result<Approval, String> {
        match s {
            "auto" => Ok(Approval::Auto),
            "manual" => Ok(Approval::Manual),
            "rule" | "auto-if-challenge" => Ok(Approval::Rule),
            other => Err(format!("--approval auto|manual|rule, not {other:?}")),
        }
    }
}

/// The failInfo choices an operator has when rejecting (RFC 8894 §3.2.1.4), by wire value.
pub const FAIL_INFOS: [FailInfo; 5] = [
    FailInfo::BadRequest,
    FailInfo::BadAlg,
    FailInfo::BadMessageCheck,
    FailInfo::BadTime,
    FailInfo::BadCertId,
];

/// A failInfo by its name (`badRequest`) or wire value (`2`).
pub fn parse_fail_info(s: &str) -> Option<FailInfo> {
    FAIL_INFOS
        .iter()
        .copied()
        .find(|f| f.to_string().eq_ignore_ascii_case(s) || f.as_str() == s)
}

/// The stored failInfo (`"0"`..`"4"`) of a rejected transaction; badRequest when absent.
pub fn stored_fail_info(s: Option<&str>) -> FailInfo {
    s.and_then(|v| FailInfo::try_from(v).ok())
        .unwrap_or(FailInfo::BadRequest)
}

/// What the operator sees of a CSR.
#[derive(Clone, Debug, Default)]
pub struct CsrSummary {
    pub subject: String,
    /// `DNS:host`, `IP:10.0.0.1`, `email:a@b`, `URI:...`.
    pub sans: Vec<String>,
    /// `RSA 2048`, `EC P-256`, or the algorithm OID.
    pub key: String,
}

/// Summarises a stored CSR (DER); a CSR that does not parse gives what could be read.
pub fn summarize(der: &[u8]) -> CsrSummary {
    let Ok(csr) = Csr::from_der(der) else {
        return CsrSummary {
            key: "unreadable CSR".into(),
            ..CsrSummary::default()
        };
    };
    CsrSummary {
        subject: csr.subject().to_string(),
        sans: sans(&csr),
        key: key_description(&csr),
    }
}

fn sans(csr: &Csr) -> Vec<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let san_oid = const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
    let mut out = Vec::new();
    for ext in csr.extension_request().unwrap_or_default() {
        if ext.extn_id != san_oid {
            continue;
        }
        let Ok(san) = SubjectAltName::from_der(ext.extn_value.as_bytes()) else {
            out.push("(unreadable subjectAltName)".into());
            continue;
        };
        for name in san.0 {
            out.push(match name {
                GeneralName::DnsName(s) => format!("DNS:{s}"),
                GeneralName::Rfc822Name(s) => format!("email:{s}"),
                GeneralName::UniformResourceIdentifier(s) => format!("URI:{s}"),
                GeneralName::IpAddress(o) => ip(o.as_bytes()),
                GeneralName::DirectoryName(n) => format!("DirName:{n}"),
                GeneralName::RegisteredId(o) => format!("RID:{o}"),
                GeneralName::OtherName(o) => format!("othername:{}", o.type_id),
                GeneralName::EdiPartyName(_) => "EdiPartyName".into(),
            });
        }
    }
    out
}

fn ip(b: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        format!("IP:{}", std::net::Ipv4Addr::from(v4))
    } else if let Ok(v6) = <[u8; 16]>::try_from(b) {
        format!("IP:{}", std::net::Ipv6Addr::from(v6))
    } else {
        format!("IP:(length {})", b.len())
    }
}

fn key_description(csr: &Csr) -> String {
    use rsa::pkcs8::DecodePublicKey as _;
    let spki = csr.public_key();
    let alg = spki.algorithm.oid;
    if alg == const_oid::db::rfc5912::RSA_ENCRYPTION {
        let bits = spki
            .to_der()
            .ok()
            .and_then(|d| rsa::PublicKey::from_public_key_der(&d).ok())
            .map(|k| k.size() * 8);
        return bits.map_or_else(|| "RSA (unreadable)".into(), |b| format!("RSA {b}"));
    }
    if alg == const_oid::db::rfc5912::ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok());
        let name = match curve {
            Some(c) if c == const_oid::db::rfc5912::SECP_256_R_1 => "P-256".to_owned(),
            Some(c) if c == const_oid::db::rfc5912::SECP_384_R_1 => "P-384".to_owned(),
            Some(c) if c == const_oid::db::rfc5912::SECP_521_R_1 => "P-521".to_owned(),
            Some(c) => c.to_string(),
            None => "unknown curve".to_owned(),
        };
        return format!("EC {name}");
    }
    alg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_infos_by_name_and_value() {
        assert_eq!(parse_fail_info("badRequest"), Some(FailInfo::BadRequest));
        assert_eq!(parse_fail_info("4"), Some(FailInfo::BadCertId));
        assert_eq!(parse_fail_info("nope"), None);
        assert_eq!(stored_fail_info(Some("3")), FailInfo::BadTime);
        assert_eq!(stored_fail_info(None), FailInfo::BadRequest);
    }
}
