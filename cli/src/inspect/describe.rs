//! From bytes to facts: what the input is, what the library makes of it, what decrypts.

use scep::attr::{FailInfo, MessageType, PkiStatus};
use scep::caps::{Capabilities, Capability};
use scep::crypto::{Decryptor, DigestAlgorithm, EcCurve, KeyTransport, SignatureAlgorithm};
use scep::der::asn1::ObjectIdentifier;
use scep::der::{DateTime, Decode as _, Encode as _, Tagged as _};
use scep::envelope::{self, OpenOptions, Password};
use scep::error::Error;
use scep::http::{self, HttpLimits, Operation};
use scep::message::{
    CertRep, CertsOnly, Csr, IssuerAndSerialNumber, IssuerAndSubject, MessageBody,
};
use scep::provider::rustcrypto::{
    EcKey, EcPrivateKey, PROVIDER, RsaKey, public_key_info, sign_with_key,
};
use scep::spki::SubjectPublicKeyInfoOwned;
use scep::x509_cert::name::Name;
use scep::{Certificate, oid};

use crate::inspect::cms::{self, Sid, oid_name};
use crate::inspect::lint::{self, Lint};
use crate::inspect::report::{Obj, V};
use crate::inspect::tlv::{self, Stats, Tlv, hex};
use crate::inspect::{Options, Secret};

type Result<T> = std::result::Result<T, String>;

// ---------------------------------------------------------------------------------------------
// Input forms

/// Looks at the raw input, decides what form it has (binary, PEM, base64, GET request target,
/// GetCACaps text) and describes what it holds.
pub fn input(bytes: &[u8], opts: &Options, out: &mut Obj, lints: &mut Vec<Lint>) -> Result<()> {
    if bytes.first() == Some(&0x30) {
        out.s("form", "binary (DER/BER)");
        return der(bytes, opts, out, lints);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        "binary input that does not start with a SEQUENCE (0x30): not ASN.1 SCEP uses".to_owned()
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty input".into());
    }
    if trimmed.contains("-----BEGIN ") {
        return pem(trimmed, opts, out, lints);
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.contains("operation=") || lower.contains("message=") {
        return get_request(trimmed, opts, out, lints);
    }
    if let Some(caps) = caps_text(trimmed) {
        out.s("form", "text");
        out.s("kind", "GetCACaps reply");
        out.l(
            "capabilities",
            caps.iter()
                .map(|c| match c {
                    Capability::Other(s) => V::Str(format!("{s} (not an RFC 8894 keyword)")),
                    c => V::Str(c.as_str().to_owned()),
                })
                .collect(),
        );
        let mut n = Obj::new();
        match caps.negotiate(&Default::default(), &PROVIDER) {
            Ok(neg) => {
                n.s("cipher", format!("{:?}", neg.cipher))
                    .s("digest", format!("{:?}", neg.digest))
                    .b("post", neg.use_post);
            }
            Err(e) => {
                n.s("result", format!("no common algorithm: {e}"));
            }
        }
        out.o("this_crate_would_use", n);
        lint::caps(&caps, lints);
        return Ok(());
    }
    if trimmed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=-_%\r\n\t ".contains(&b))
    {
        let der_bytes = http::decode_message(trimmed.as_bytes())
            .map_err(|e| format!("text that looks like base64 but is not: {e}"))?;
        out.s("form", "base64");
        return der(&der_bytes, opts, out, lints);
    }
    Err("text that is neither PEM, base64, a GET request nor a GetCACaps reply".into())
}

/// A GetCACaps body: every line a keyword, at least one of them known.
fn caps_text(text: &str) -> Option<Capabilities> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let plausible = |l: &&str| {
        l.len() <= 64
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    };
    if lines.is_empty() || !lines.iter().all(plausible) {
        return None;
    }
    let caps = Capabilities::parse(text.as_bytes());
    caps.iter()
        .any(|c| !matches!(c, Capability::Other(_)))
        .then_some(caps)
}

/// `-----BEGIN X-----` blocks: label and DER.
fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = rest.get(start + 11..).unwrap_or("");
        let label_end = after
            .find("-----")
            .ok_or("a PEM BEGIN line without its dashes")?;
        let label = after.get(..label_end).unwrap_or("").to_owned();
        let body_start = label_end + 5;
        let end_marker = format!("-----END {label}-----");
        let body_len = after
            .get(body_start..)
            .and_then(|b| b.find(&end_marker))
            .ok_or_else(|| format!("PEM block {label} has no END line"))?;
        let body = after.get(body_start..body_start + body_len).unwrap_or("");
        if body.contains(':') {
            return Err(format!(
                "PEM block {label} has headers (an encrypted key?); decrypt it with openssl first"
            ));
        }
        let der = http::decode_message(body.trim().as_bytes())
            .map_err(|_| format!("PEM block {label} is not base64"))?;
        out.push((label, der));
        rest = after
            .get(body_start + body_len + end_marker.len()..)
            .unwrap_or("");
    }
    Ok(out)
}

fn pem(text: &str, opts: &Options, out: &mut Obj, lints: &mut Vec<Lint>) -> Result<()> {
    let blocks = pem_blocks(text)?;
    let labels: Vec<V> = blocks.iter().map(|(l, _)| V::Str(l.clone())).collect();
    out.s("form", "PEM");
    out.l("pem_blocks", labels);
    if blocks.iter().any(|(l, _)| l.contains("PRIVATE KEY")) {
        return Err("a private key: give it to --key to decrypt a message".into());
    }
    match blocks.as_slice() {
        [] => Err("PEM without any block".into()),
        [(_, der_bytes)] => der(der_bytes, opts, out, lints),
        many if many.iter().all(|(l, _)| l == "CERTIFICATE") => {
            let mut certs = Vec::new();
            for (_, d) in many {
                certs.push(
                    Certificate::from_der(d).map_err(|e| format!("a CERTIFICATE block: {e}"))?,
                );
            }
            out.s("kind", "certificates");
            out.l(
                "certificates",
                certs.iter().map(|c| cert_obj(c).into()).collect(),
            );
            lint::ca_bundle(&certs, lints);
            Ok(())
        }
        [(label, first), ..] => {
            out.s("note", format!("describing the first block ({label}) only"));
            der(first, opts, out, lints)
        }
    }
}

fn get_request(target: &str, opts: &Options, out: &mut Obj, lints: &mut Vec<Lint>) -> Result<()> {
    out.s("form", "HTTP GET request target");
    let raw_message = query_param(target, "message");
    match http::parse_request("GET", target, b"", &HttpLimits::DEFAULT) {
        Ok(req) if req.operation != Operation::PkiOperation => {
            out.s("kind", "SCEP HTTP request");
            out.s("operation", req.operation.as_str());
            if let Some(id) = &req.ca_ident {
                out.s("ca_identifier", id.clone());
            }
            Ok(())
        }
        Ok(req) => {
            let message = req.message.ok_or("PKIOperation without a message")?;
            let mut h = Obj::new();
            h.s("operation", "PKIOperation");
            if let Some(raw) = raw_message {
                h.s(
                    "base64_alphabet",
                    if raw.contains('-') || raw.contains('_') {
                        "URL-safe"
                    } else {
                        "standard"
                    },
                );
                h.b("percent_encoded", raw.contains('%'));
                h.b(
                    "line_breaks",
                    raw.contains("%0A") || raw.contains("%0a") || raw.contains('\n'),
                );
                lint::get_message(raw, lints);
            }
            h.n("message_bytes", message.len());
            out.o("http", h);
            der(&message, opts, out, lints)
        }
        Err(e) => match raw_message {
            Some(raw) => {
                let message = http::decode_message(raw.as_bytes()).map_err(|d| {
                    format!("GET request: {e}; its message does not decode either: {d}")
                })?;
                out.s("http_problem", format!("{e}"));
                lint::get_message(raw, lints);
                der(&message, opts, out, lints)
            }
            None => Err(format!("not a SCEP request: {e}")),
        },
    }
}

fn query_param<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?').map_or(target, |(_, q)| q);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v)
    })
}

// ---------------------------------------------------------------------------------------------
// DER / BER

fn der(bytes: &[u8], opts: &Options, out: &mut Obj, lints: &mut Vec<Lint>) -> Result<()> {
    let (root, used) = tlv::parse(bytes).map_err(|e| e.to_string())?;
    let trailing = bytes.get(used..).unwrap_or(&[]);
    if !trailing.is_empty() {
        let zeros = trailing.iter().all(|b| *b == 0);
        out.s(
            "trailing_bytes",
            format!(
                "{} after the element{}",
                trailing.len(),
                if zeros { " (all zero)" } else { "" }
            ),
        );
    }
    if !root.is_universal(tlv::SEQUENCE) {
        return Err(format!(
            "a {} of {} bytes, not a SEQUENCE: nothing SCEP uses",
            root.type_name(),
            root.raw.len()
        ));
    }
    let mut stats = Stats::default();
    stats.add(&root, "");
    match cms::content_type(&root) {
        Some(oid::ID_SIGNED_DATA) => {
            let signed = cms::signed(&root)
                .ok_or("a ContentInfo(SignedData) whose SignedData does not have the CMS shape")?;
            if signed.signers.is_empty() {
                certs_only(bytes, &signed, out, lints)?;
            } else if signed
                .signers
                .iter()
                .any(|s| s.attr(&oid::MESSAGE_TYPE).is_some())
            {
                pki_message(bytes, &root, &signed, opts, out, lints)?;
            } else {
                signed_other(&signed, out);
            }
        }
        Some(oid::ID_ENVELOPED_DATA) => enveloped(bytes, &root, opts, out, lints)?,
        Some(other) => {
            return Err(format!(
                "a CMS ContentInfo of type {}: not a SCEP message",
                oid_name(&other)
            ));
        }
        None => single_structure(bytes, &root, opts, out, lints)?,
    }
    out.o("encoding", encoding_obj(&stats));
    Ok(())
}

fn encoding_obj(stats: &Stats) -> Obj {
    let mut e = Obj::new();
    e.b(
        "der",
        stats.indefinite == 0 && stats.long_lengths == 0 && stats.constructed_strings.is_empty(),
    );
    e.n("indefinite_lengths", stats.indefinite);
    e.n("over_long_lengths", stats.long_lengths);
    e.l(
        "chunked_strings",
        stats
            .constructed_strings
            .iter()
            .map(|s| V::Str(s.clone()))
            .collect(),
    );
    e
}

/// A certificate, a CSR, or a bare SCEP payload.
fn single_structure(
    bytes: &[u8],
    root: &Tlv<'_>,
    opts: &Options,
    out: &mut Obj,
    lints: &mut Vec<Lint>,
) -> Result<()> {
    let der_bytes = root.raw;
    if let Ok(c) = Certificate::from_der(der_bytes) {
        out.s("kind", "certificate");
        out.o("certificate", cert_obj(&c));
        return Ok(());
    }
    if let Ok(c) = Csr::from_der(der_bytes) {
        out.s("kind", "certification request (PKCS #10)");
        out.o("csr", csr_obj(&c, opts));
        lint::csr(&c, lints);
        return Ok(());
    }
    if let Ok(p) = IssuerAndSubject::from_der(der_bytes) {
        out.s("kind", "IssuerAndSubject (CertPoll payload)");
        out.s("issuer", name(&p.issuer))
            .s("subject", name(&p.subject));
        return Ok(());
    }
    if let Ok(p) = IssuerAndSerialNumber::from_der(der_bytes) {
        out.s("kind", "IssuerAndSerialNumber (GetCert/GetCRL payload)");
        out.s("issuer", name(&p.issuer))
            .s("serial", hex(p.serial_number.as_bytes()));
        return Ok(());
    }
    let _ = bytes;
    Err(format!(
        "a SEQUENCE of {} bytes that is neither a pkiMessage, a certificates-only SignedData, a certificate nor a CSR",
        root.raw.len()
    ))
}

// ---------------------------------------------------------------------------------------------
// pkiMessage

fn string_of(t: &Tlv<'_>) -> String {
    String::from_utf8_lossy(&t.string_octets()).into_owned()
}

fn attr_value(t: &Tlv<'_>) -> String {
    if t.is_universal(tlv::OCTET_STRING) {
        let v = t.string_octets();
        return format!("OCTET STRING {} ({} bytes)", hex(&v), v.len());
    }
    if t.is_universal(tlv::OID) {
        return cms::oid_of(t).map_or_else(|| "OBJECT IDENTIFIER (bad)".into(), |o| oid_name(&o));
    }
    if t.class == 0 && matches!(t.number, 12 | 19 | 20 | 22 | 23 | 24 | 26 | 30) {
        return format!("{} {:?}", t.type_name(), string_of(t));
    }
    format!("{} ({} bytes)", t.type_name(), t.raw.len())
}

fn first_value<'t, 'a>(s: &'t cms::Signer<'t, 'a>, o: &ObjectIdentifier) -> Option<&'t Tlv<'a>> {
    s.attr(o).and_then(|a| a.values.first().copied())
}

fn open_options<'a>(
    extra: &'a [Certificate],
    unmatched: bool,
    password: Option<&'a Secret>,
) -> OpenOptions<'a> {
    OpenOptions::DEFAULT
        .with_extra_certificates(extra)
        .with_password(password.map(|p| Password(&p.0)))
        .with_allow_unmatched_recipient(unmatched)
        .with_legacy(scep::crypto::Legacy::allow_if(true).unwrap_or_default())
}

/// The CSR's self-signature, MD5 included when the build has `insecure-legacy` (the tool
/// describes what it is given, as `open_options` does for CMS).
fn csr_signature(c: &Csr) -> core::result::Result<(), Error> {
    c.verify_signature_with(
        &PROVIDER,
        scep::crypto::Legacy::allow_if(true).unwrap_or_default(),
    )
}

fn library_error(e: &Error) -> String {
    match e {
        Error::LegacyAlgorithm if cfg!(not(feature = "insecure-legacy")) => {
            format!(
                "{e} (this build lacks the insecure-legacy feature; run with --features insecure-legacy to open it)"
            )
        }
        e => e.to_string(),
    }
}

fn pki_message(
    bytes: &[u8],
    root: &Tlv<'_>,
    signed: &cms::Signed<'_, '_>,
    opts: &Options,
    out: &mut Obj,
    lints: &mut Vec<Lint>,
) -> Result<()> {
    let _ = root;
    out.s("kind", "pkiMessage");
    let signer = signed.signers.first().ok_or("no signer")?;
    let message_type = first_value(signer, &oid::MESSAGE_TYPE)
        .map(string_of)
        .and_then(|s| MessageType::try_from(s.as_str()).ok());
    let raw_type = first_value(signer, &oid::MESSAGE_TYPE)
        .map(string_of)
        .unwrap_or_default();
    out.s(
        "message_type",
        message_type.map_or_else(
            || format!("unknown ({raw_type:?})"),
            |t| format!("{t} ({})", t.as_str()),
        ),
    );
    // What the library makes of it (values below come from it when it reads the message).
    let mut extra: Vec<Certificate> = opts.ca.clone();
    let parsed = envelope::parse(bytes, &open_options(&extra, false, None));
    if let Some(v) = first_value(signer, &oid::TRANSACTION_ID) {
        out.s("transaction_id", string_of(v));
    }
    if let Some(v) = first_value(signer, &oid::PKI_STATUS) {
        let s = string_of(v);
        let status = match PkiStatus::try_from(s.as_str()) {
            Ok(PkiStatus::Success) => "SUCCESS (0)".to_owned(),
            Ok(PkiStatus::Failure) => "FAILURE (2)".to_owned(),
            Ok(PkiStatus::Pending) => "PENDING (3)".to_owned(),
            _ => format!("unknown ({s:?})"),
        };
        out.s("pki_status", status);
    }
    let library_fail_info = parsed.as_ref().ok().and_then(envelope::Parsed::fail_info);
    match (library_fail_info, first_value(signer, &oid::FAIL_INFO)) {
        (Some(f), _) => {
            out.s("fail_info", format!("{f} ({})", f.as_str()));
        }
        (None, Some(v)) => {
            let s = string_of(v);
            out.s(
                "fail_info",
                FailInfo::try_from(s.as_str())
                    .map_or_else(|_| format!("unknown ({s:?})"), |f| format!("{f} ({s})")),
            );
        }
        (None, None) => {}
    }
    let library_text = parsed
        .as_ref()
        .ok()
        .and_then(|p| p.fail_info_text().cloned());
    match (library_text, first_value(signer, &oid::FAIL_INFO_TEXT)) {
        (Some(t), _) => {
            out.s("fail_info_text", t.as_str());
        }
        (None, Some(v)) => {
            out.s("fail_info_text", string_of(v));
        }
        (None, None) => {}
    }
    for (o, key) in [
        (oid::SENDER_NONCE, "sender_nonce"),
        (oid::RECIPIENT_NONCE, "recipient_nonce"),
    ] {
        match first_value(signer, &o) {
            Some(v) => {
                let n = v.string_octets();
                out.s(key, format!("{} ({} bytes)", hex(&n), n.len()));
            }
            None => {
                out.s(key, "(absent)");
            }
        }
    }

    if let Some(v) = first_value(signer, &oid::SIGNING_TIME) {
        let utc = parsed
            .as_ref()
            .ok()
            .and_then(envelope::Parsed::signing_time)
            .map_or_else(|| "unreadable".to_owned(), |t| t.to_string());
        out.s(
            "signing_time",
            format!("{utc} ({} {:?})", v.type_name(), string_of(v)),
        );
    }
    let library = match &parsed {
        Ok(_) => "accepted (structure, attributes and algorithms)".to_owned(),
        Err(e) => format!("refused: {}", library_error(e)),
    };
    let signing_time = parsed
        .as_ref()
        .ok()
        .and_then(envelope::Parsed::signing_time);
    let lib_signer_cert = parsed
        .as_ref()
        .ok()
        .and_then(|p| p.signer_certificate().ok().cloned());

    // The signer.
    let mut s = Obj::new();
    s.s("identified_by", sid_text(&signer.sid));
    let message_certs: Vec<Certificate> = signed
        .certificates
        .iter()
        .filter_map(|t| Certificate::from_der(t.raw).ok())
        .collect();
    let signer_cert =
        lib_signer_cert.or_else(|| find_by_sid(&signer.sid, &message_certs, &opts.ca));
    match &signer_cert {
        Some(c) => match message_certs.iter().position(|m| m.as_der() == c.as_der()) {
            Some(i) => {
                s.s(
                    "certificate",
                    format!("in the message (certificates, item {})", i + 1),
                );
            }
            None => {
                s.s("certificate", "from --ca");
                s.o("details", cert_obj(c));
            }
        },
        None => {
            s.s(
                "certificate",
                "not found (pass the CA/RA certificates with --ca)",
            );
        }
    }
    s.s("digest_algorithm", signer.digest.describe());
    s.s("signature_algorithm", signer.signature_alg.describe());
    s.n("signature_bytes", signer.signature_len);
    out.o("signer", s);

    out.s("library", library);
    let verdict = match envelope::parse(bytes, &open_options(&extra, false, None)) {
        Err(e) => format!(
            "not checked: the library refuses the message ({})",
            library_error(&e)
        ),
        Ok(p) => match p.verify(&PROVIDER) {
            Ok(v) => format!("valid (signed by {})", name(v.signer().subject())),
            Err(Error::SignerNotFound) => {
                "not checked: the signer's certificate is not in the message (pass it with --ca)"
                    .into()
            }
            Err(e) => format!("INVALID: {e}"),
        },
    };
    let verified = verdict.starts_with("valid");
    out.s("signature", verdict);

    // Attributes as sent.
    let attrs: Vec<V> = signer
        .attrs
        .iter()
        .map(|a| {
            let n = a
                .oid
                .map_or_else(|| "(unreadable)".into(), |o| oid_name(&o));
            let v = match a.values.as_slice() {
                [one] => attr_value(one),
                many => format!("{} values", many.len()),
            };
            V::Str(format!("{n}: {v}"))
        })
        .collect();
    out.l("signed_attributes", attrs);
    if let Some(sa) = signer.signed_attrs {
        let elements: Vec<&[u8]> = signer.attrs.iter().map(|a| a.raw).collect();
        out.b(
            "signed_attributes_in_der_order",
            tlv::set_of_sorted(&elements),
        );
        out.b("signed_attributes_are_der", sa.framing_is_der());
    }

    out.l(
        "certificates",
        message_certs.iter().map(|c| cert_obj(c).into()).collect(),
    );
    if signed.crls > 0 {
        out.n("crls", signed.crls);
    }

    // The pkcsPKIEnvelope, as far as it can be read without a key.
    let econtent = signed.econtent.map(Tlv::string_octets);
    let mut content_alg_lint = None;
    let mut env_stats = Stats::default();
    let mut has_pwri = false;
    let mut kari_hint = None;
    match &econtent {
        None => {
            out.s("content", "absent");
        }
        Some(c) if c.is_empty() => {
            out.s("content", "present but empty");
        }
        Some(c) => {
            let chunked = signed.econtent.is_some_and(|t| t.constructed);
            out.s(
                "content",
                format!(
                    "{} bytes{}",
                    c.len(),
                    if chunked {
                        " (chunked OCTET STRING)"
                    } else {
                        ""
                    }
                ),
            );
            match tlv::parse(c) {
                Ok((inner, _)) if cms::content_type(&inner) == Some(oid::ID_ENVELOPED_DATA) => {
                    if let Some(env) = cms::enveloped(&inner) {
                        out.o("envelope", envelope_obj(&env));
                        lint::recipients(&env, lints);
                        has_pwri = env.recipients.iter().any(|r| r.pwri.is_some());
                        kari_hint = kari_recipient(&env);
                        content_alg_lint = Some(env.content_alg.oid);
                        let st = &mut env_stats;
                        st.add(&inner, " (in the envelope)");
                        if let Some(t) = env.encrypted_content.filter(|t| t.constructed) {
                            st.constructed_strings.push(format!(
                                "encryptedContent [0] at offset {} (in the envelope)",
                                t.offset
                            ));
                        }
                        out.o("envelope_encoding", encoding_obj(st));
                    }
                }
                Ok((inner, _)) => {
                    out.s(
                        "envelope",
                        format!("not an EnvelopedData ({})", inner.type_name()),
                    );
                }
                Err(e) => {
                    out.s("envelope", format!("unreadable: {e}"));
                }
            }
        }
    }

    // Lints on what was sent.
    lint::attributes(signer, message_type, lints);
    let content_alg = content_alg_lint.flatten().map(|o| cms::Alg {
        oid: Some(o),
        params: None,
    });
    lint::algorithms(
        &signer.digest,
        &signer.signature_alg,
        content_alg.as_ref(),
        lints,
    );
    let mut stats = Stats::default();
    stats.add(root, "");
    stats.indefinite += env_stats.indefinite;
    stats.long_lengths += env_stats.long_lengths;
    stats
        .constructed_strings
        .extend(env_stats.constructed_strings);
    lint::encoding(&stats, Some(signer), lints);
    lint::signer(
        signer,
        signed,
        signer_cert.as_ref(),
        signing_time,
        message_type == Some(MessageType::CertRep),
        lints,
    );

    // Decryption.
    let has_envelope = econtent.as_ref().is_some_and(|c| !c.is_empty());
    let wants = opts.key_pem.is_some() || (opts.password.is_some() && has_pwri);
    if wants && has_envelope {
        extra.extend(message_certs.iter().cloned());
        let (key, how) = decryptor(opts, &extra, kari_hint.as_ref())?;
        let mut d = Obj::new();
        d.s("key_certificate", how);
        if !verified {
            d.s(
                "warning",
                "the signature did not verify: what follows is NOT authentic, shown for diagnosis only",
            );
        }
        match open_with_key(bytes, &opts.ca, key.as_ref(), opts, verified) {
            Ok((opened, unmatched)) => {
                d.s(
                    "recipient",
                    if opened.key_transport == Some(KeyTransport::Password) {
                        "the password recipient (PWRI)"
                    } else if unmatched {
                        "not named by the envelope: the key was tried on its only recipient"
                    } else {
                        "named by the envelope"
                    },
                );
                if let (Some(c), Some(k)) = (opened.content_encryption, opened.key_transport) {
                    d.s("content_encryption", format!("{c:?}"))
                        .s("key_transport", format!("{k:?}"));
                }
                body_obj(&opened.message.body, opts, &mut d, lints);
            }
            Err(e) => {
                d.s("result", format!("failed: {}", library_error(&e)));
            }
        }
        out.o(
            if verified {
                "decrypted"
            } else {
                "decrypted_unverified"
            },
            d,
        );
    }
    Ok(())
}

/// Opens with the key: verified when the signature is good, `decrypt_unverified` otherwise; with
/// strict recipient matching first, then on the only recipient. Returns whether the recipient
/// was not matched.
fn open_with_key(
    bytes: &[u8],
    extra: &[Certificate],
    key: &dyn Decryptor,
    options: &Options,
    verified: bool,
) -> std::result::Result<(envelope::Opened, bool), Error> {
    let mut rng = getrandom::SysRng;
    for unmatched in [false, true] {
        let opts = open_options(extra, unmatched, options.password.as_ref());
        let p = envelope::parse(bytes, &opts)?;
        let r = if verified {
            p.verify(&PROVIDER)?.decrypt(key, &PROVIDER, &mut rng)
        } else {
            p.decrypt_unverified(key, &PROVIDER, &mut rng)
        };
        match r {
            Err(Error::RecipientNotFound) if !unmatched => continue,
            r => return r.map(|o| (o, unmatched)),
        }
    }
    Err(Error::RecipientNotFound)
}

fn body_obj(body: &MessageBody, opts: &Options, d: &mut Obj, lints: &mut Vec<Lint>) {
    match body {
        MessageBody::PkcsReq(c) | MessageBody::RenewalReq(c) => {
            d.o("csr", csr_obj(c, opts));
            lint::csr(c, lints);
        }
        MessageBody::CertPoll(p) => {
            let mut o = Obj::new();
            o.s("issuer", name(&p.issuer))
                .s("subject", name(&p.subject));
            d.o("issuer_and_subject", o);
        }
        MessageBody::GetCert(p) | MessageBody::GetCrl(p) => {
            let mut o = Obj::new();
            o.s("issuer", name(&p.issuer))
                .s("serial", hex(p.serial_number.as_bytes()));
            d.o("issuer_and_serial_number", o);
        }
        MessageBody::CertRep(CertRep::Success(certs)) => {
            d.l(
                "issued_certificates",
                certs
                    .certificates
                    .iter()
                    .map(|c| cert_obj(c).into())
                    .collect(),
            );
            if !certs.crls.is_empty() {
                d.n("crls", certs.crls.len());
            }
        }
        MessageBody::CertRep(_) => {
            d.s("payload", "none (FAILURE or PENDING)");
        }
        _ => {
            d.s("payload", "a message type this tool does not know");
        }
    }
}

fn sid_text(sid: &Sid<'_, '_>) -> String {
    match sid {
        Sid::IssuerSerial { issuer, serial } => {
            let issuer = Name::from_der(issuer.raw)
                .map_or_else(|_| "(a BER-encoded name)".to_owned(), |n| name(&n));
            format!(
                "issuer {issuer}, serial {} ({})",
                hex(serial),
                octets(serial.len())
            )
        }
        Sid::Ski(k) => format!("subjectKeyIdentifier {}", hex(k)),
        Sid::Unknown => "(unreadable)".into(),
    }
}

fn find_by_sid(sid: &Sid<'_, '_>, a: &[Certificate], b: &[Certificate]) -> Option<Certificate> {
    a.iter()
        .chain(b.iter())
        .find(|c| match sid {
            Sid::IssuerSerial { issuer, serial } => {
                c.serial_number() == *serial && c.issuer().to_der().is_ok_and(|d| d == issuer.raw)
            }
            Sid::Ski(k) => c.subject_key_identifier() == Some(*k),
            Sid::Unknown => false,
        })
        .cloned()
}

fn envelope_obj(env: &cms::Enveloped<'_, '_>) -> Obj {
    let mut o = Obj::new();
    o.l(
        "recipients",
        env.recipients
            .iter()
            .map(|r| {
                let mut ro = Obj::new();
                ro.s("kind", r.kind);
                if r.kind == "ktri" {
                    ro.s("identified_by", sid_text(&r.rid))
                        .s("key_transport", r.alg.describe())
                        .n("encrypted_key_bytes", r.encrypted_key_len);
                }
                if let Some(k) = &r.kari {
                    kari_fields(k, &mut ro);
                }
                if let Some(p) = &r.pwri {
                    pwri_fields(p, &mut ro);
                }
                ro.into()
            })
            .collect(),
    );
    o.s(
        "content_type",
        env.content_type
            .map_or_else(|| "(unreadable)".into(), |c| oid_name(&c)),
    );
    o.s("content_encryption", env.content_alg.describe());
    match env.encrypted_content {
        Some(t) => {
            let n = t.string_octets().len();
            let form = if t.constructed {
                format!("{n} bytes in {} chunks (constructed [0])", t.chunks())
            } else {
                format!("{n} bytes")
            };
            o.s("encrypted_content", form);
        }
        None => {
            o.s("encrypted_content", "absent");
        }
    }
    o
}

/// The curve of an originator key: from the algorithm's parameters when they name one, else
/// from the point's length (RFC 5753 §7.1.3 leaves the parameters absent: the curve is the
/// recipient's).
fn originator_curve(alg: &cms::Alg<'_, '_>, point: &[u8]) -> String {
    if let Some(c) = alg.params.and_then(cms::oid_of) {
        return format!("{} (named in the parameters)", oid_name(&c));
    }
    let params = match alg.params {
        None => "parameters absent",
        Some(p) if p.is_universal(tlv::NULL) => "parameters NULL",
        Some(_) => "parameters unreadable",
    };
    let by_len = match (point.first(), point.len()) {
        (Some(4), 65) | (Some(2 | 3), 33) => "P-256",
        (Some(4), 97) | (Some(2 | 3), 49) => "P-384",
        (Some(4), 133) | (Some(2 | 3), 67) => "P-521",
        _ => return format!("unknown ({params}, and the point's length says nothing)"),
    };
    format!("{by_len} (from the point's length; {params})")
}

fn point_text(point: &[u8], unused_bits: Option<u8>) -> String {
    let form = match point.first() {
        Some(4) => "uncompressed",
        Some(2 | 3) => "compressed",
        _ => "not a SEC1 point",
    };
    let unused = match unused_bits {
        Some(0) | None => String::new(),
        Some(n) => format!(", BIT STRING with {n} unused bits"),
    };
    format!("{form}, {} {}{unused}", octets(point.len()), hex(point))
}

/// The X9.63 KDF digest a `dhSinglePass-*` scheme names.
fn kdf_digest(o: &ObjectIdentifier) -> Option<&'static str> {
    Some(match o.to_string().as_str() {
        "1.3.133.16.840.63.0.2" | "1.3.133.16.840.63.0.3" => "SHA-1",
        "1.3.132.1.11.0" | "1.3.132.1.14.0" => "SHA-224",
        "1.3.132.1.11.1" | "1.3.132.1.14.1" => "SHA-256",
        "1.3.132.1.11.2" | "1.3.132.1.14.2" => "SHA-384",
        "1.3.132.1.11.3" | "1.3.132.1.14.3" => "SHA-512",
        _ => return None,
    })
}

fn kari_fields(k: &cms::Kari<'_, '_>, ro: &mut Obj) {
    if k.version != Some(3) {
        ro.s(
            "version",
            k.version.map_or_else(
                || "unreadable (RFC 5652 says 3)".to_owned(),
                |v| format!("{v} (RFC 5652 says 3)"),
            ),
        );
    }
    match &k.originator {
        cms::Originator::Key {
            alg,
            point,
            unused_bits,
        } => {
            let mut o = Obj::new();
            o.s("algorithm", alg.describe())
                .s("curve", originator_curve(alg, point))
                .s("point", point_text(point, *unused_bits));
            ro.o("originator_key", o);
        }
        cms::Originator::Certificate(sid) => {
            ro.s(
                "originator",
                format!(
                    "a static key: {} (not ephemeral-static ECDH)",
                    sid_text(sid)
                ),
            );
        }
        cms::Originator::Unknown => {
            ro.s("originator", "(unreadable)");
        }
    }
    let scheme = k.key_enc.oid.map_or_else(
        || "(unreadable)".to_owned(),
        |o| {
            let how = match kdf_digest(&o) {
                Some(d)
                    if o.to_string().starts_with("1.3.132.1.14.")
                        || o.to_string().ends_with(".0.3") =>
                {
                    format!(": cofactor ECDH, ANSI X9.63 KDF with {d}")
                }
                Some(d) => format!(": ephemeral-static ECDH, ANSI X9.63 KDF with {d}"),
                None => String::new(),
            };
            format!("{}{how}", oid_name(&o))
        },
    );
    ro.s("key_agreement", scheme);
    if let Some(d) = k.key_enc.oid.as_ref().and_then(kdf_digest) {
        ro.s("kdf_digest", d);
    }
    ro.s("key_wrap", k.wrap.describe());
    ro.s(
        "ukm",
        k.ukm_len.map_or_else(
            || "absent".to_owned(),
            |n| format!("present ({})", octets(n)),
        ),
    );
    ro.l(
        "recipient_encrypted_keys",
        k.recipients
            .iter()
            .map(|(rid, n)| V::Str(format!("{}; {n}-byte wrapped key", sid_text(rid))))
            .collect(),
    );
}

fn pwri_fields(p: &cms::Pwri<'_, '_>, ro: &mut Obj) {
    if p.version != Some(0) {
        ro.s(
            "version",
            p.version.map_or_else(
                || "unreadable (RFC 3211 says 0)".to_owned(),
                |v| format!("{v} (RFC 3211 says 0)"),
            ),
        );
    }
    match (&p.kdf, &p.pbkdf2) {
        (None, _) => {
            ro.s(
                "key_derivation",
                "absent (the key-encryption key is not derived from a password)",
            );
        }
        (Some(_), Some(k)) => {
            let mut o = Obj::new();
            o.s("algorithm", "PBKDF2 (1.2.840.113549.1.5.12, RFC 8018 §5.2)");
            o.s(
                "salt",
                k.salt_len
                    .map_or_else(|| "not a specified OCTET STRING".to_owned(), octets),
            );
            o.s(
                "iterations",
                k.iterations
                    .map_or_else(|| "(unreadable)".to_owned(), |n| n.to_string()),
            );
            if let Some(l) = k.key_length {
                o.s(
                    "key_length",
                    octets(usize::try_from(l).unwrap_or(usize::MAX)),
                );
            }
            o.s(
                "prf",
                k.prf.map_or_else(
                    || "hmacWithSHA1 (absent: the default)".to_owned(),
                    |o| oid_name(&o),
                ),
            );
            ro.o("key_derivation", o);
        }
        (Some(a), None) => {
            ro.s("key_derivation", a.describe());
        }
    }
    ro.s("key_encryption", p.key_enc.describe());
    ro.s("key_encryption_cipher", p.inner.describe());
    ro.n("encrypted_key_bytes", p.encrypted_key_len);
}

// ---------------------------------------------------------------------------------------------
// Other CMS

fn certs_only(
    bytes: &[u8],
    signed: &cms::Signed<'_, '_>,
    out: &mut Obj,
    lints: &mut Vec<Lint>,
) -> Result<()> {
    out.s(
        "kind",
        "certificates-only SignedData (GetCACert reply or CertRep payload)",
    );
    match CertsOnly::from_ber(bytes, &scep::limits::Limits::DEFAULT) {
        Ok(c) => {
            out.s("library", "accepted");
            out.l(
                "certificates",
                c.certificates.iter().map(|c| cert_obj(c).into()).collect(),
            );
            if !c.crls.is_empty() {
                out.n("crls", c.crls.len());
            }
            lint::ca_bundle(&c.certificates, lints);
        }
        Err(e) => {
            out.s("library", format!("refused: {e}"));
            out.n("certificates", signed.certificates.len());
        }
    }
    let mut stats = Stats::default();
    if let Ok((root, _)) = tlv::parse(bytes) {
        stats.add(&root, "");
    }
    lint::encoding(&stats, None, lints);
    Ok(())
}

fn signed_other(signed: &cms::Signed<'_, '_>, out: &mut Obj) {
    out.s(
        "kind",
        "CMS SignedData, not a SCEP message (no messageType attribute)",
    );
    out.s(
        "content_type",
        signed
            .econtent_type
            .map_or_else(|| "(unreadable)".into(), |c| oid_name(&c)),
    );
    out.n("signers", signed.signers.len());
    if let Some(s) = signed.signers.first() {
        out.s("digest_algorithm", s.digest.describe());
        out.s("signature_algorithm", s.signature_alg.describe());
    }
    let certs: Vec<V> = signed
        .certificates
        .iter()
        .map(|t| match Certificate::from_der(t.raw) {
            Ok(c) => cert_obj(&c).into(),
            Err(_) => V::Str(format!("unreadable certificate ({} bytes)", t.raw.len())),
        })
        .collect();
    out.l("certificates", certs);
}

fn enveloped(
    bytes: &[u8],
    root: &Tlv<'_>,
    opts: &Options,
    out: &mut Obj,
    lints: &mut Vec<Lint>,
) -> Result<()> {
    out.s("kind", "EnvelopedData (a pkcsPKIEnvelope on its own)");
    let env = cms::enveloped(root).ok_or("a ContentInfo(EnvelopedData) without the CMS shape")?;
    out.o("envelope", envelope_obj(&env));
    let content_alg = cms::Alg {
        oid: env.content_alg.oid,
        params: None,
    };
    let none = cms::Alg {
        oid: None,
        params: None,
    };
    lint::algorithms(&none, &none, Some(&content_alg), lints);
    lint::recipients(&env, lints);
    let has_pwri = env.recipients.iter().any(|r| r.pwri.is_some());
    if opts.key_pem.is_none() && !(opts.password.is_some() && has_pwri) {
        return Ok(());
    }
    let (key, how) = decryptor(opts, &opts.ca, kari_recipient(&env).as_ref())?;
    let mut d = Obj::new();
    d.s("key_certificate", how);
    let mut rng = getrandom::SysRng;
    let mut result = None;
    for unmatched in [false, true] {
        let r = envelope::decrypt_enveloped(
            bytes,
            &open_options(&opts.ca, unmatched, opts.password.as_ref()),
            key.as_ref(),
            &PROVIDER,
            &mut rng,
        );
        match r {
            Err(Error::RecipientNotFound) if !unmatched => continue,
            r => {
                result = Some((r, unmatched));
                break;
            }
        }
    }
    match result {
        Some((Ok((alg, kt, plain)), unmatched)) => {
            d.s(
                "recipient",
                if kt == KeyTransport::Password {
                    "the password recipient (PWRI)"
                } else if unmatched {
                    "not named by the envelope: tried on its only recipient"
                } else {
                    "named by the envelope"
                },
            );
            d.s("content_encryption", format!("{alg:?}"))
                .s("key_transport", format!("{kt:?}"));
            d.n("plaintext_bytes", plain.len());
            let mut inner = Obj::new();
            match plaintext_kind(&plain, opts, &mut inner, lints) {
                Ok(()) => d.o("plaintext", inner),
                Err(e) => d.s("plaintext", e),
            };
        }
        Some((Err(e), _)) => {
            d.s("result", format!("failed: {}", library_error(&e)));
        }
        None => {
            d.s("result", "failed: no recipient");
        }
    }
    out.o("decrypted", d);
    Ok(())
}

fn plaintext_kind(
    plain: &[u8],
    opts: &Options,
    out: &mut Obj,
    lints: &mut Vec<Lint>,
) -> Result<()> {
    let (root, _) = tlv::parse(plain).map_err(|e| e.to_string())?;
    if cms::content_type(&root) == Some(oid::ID_SIGNED_DATA) {
        let signed = cms::signed(&root).ok_or("a SignedData without the CMS shape")?;
        return certs_only(plain, &signed, out, lints);
    }
    single_structure(plain, &root, opts, out, lints)
}

// ---------------------------------------------------------------------------------------------
// Keys

/// A private key from `--key`.
enum PrivateKey {
    Rsa(rsa::PrivateKey),
    Ec(EcPrivateKey),
}

fn private_key(pem: &[u8]) -> Result<PrivateKey> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    let text = std::str::from_utf8(pem).map_err(|_| "not PEM text".to_owned())?;
    if text.contains("ENCRYPTED") || text.contains("Proc-Type") {
        return Err(
            "the key is encrypted; decrypt it first (openssl pkey -in KEY -out plain.pem)".into(),
        );
    }
    let blocks = pem_blocks(text)?;
    for (label, der_bytes) in &blocks {
        let key = match label.as_str() {
            "PRIVATE KEY" => rsa::PrivateKey::from_pkcs8_der(der_bytes)
                .ok()
                .map(PrivateKey::Rsa)
                .or_else(|| {
                    EcPrivateKey::from_pkcs8_der(der_bytes)
                        .ok()
                        .map(PrivateKey::Ec)
                }),
            "RSA PRIVATE KEY" => rsa::PrivateKey::from_pkcs1_der(der_bytes)
                .ok()
                .map(PrivateKey::Rsa),
            "EC PRIVATE KEY" => EcPrivateKey::from_sec1_der(der_bytes)
                .ok()
                .map(PrivateKey::Ec),
            _ => None,
        };
        if let Some(k) = key {
            return Ok(k);
        }
    }
    Err("no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block that decodes as an RSA key or an EC key on P-256 or P-384".into())
}

pub fn check_key(pem: &[u8]) -> Result<()> {
    private_key(pem).map(|_| ())
}

/// The issuer (DER) and serial a KeyAgreeRecipientInfo names first: a stand-in certificate
/// for an EC key takes them, so the library picks that recipient.
fn kari_recipient(env: &cms::Enveloped<'_, '_>) -> Option<(Name, Vec<u8>)> {
    env.recipients
        .iter()
        .filter_map(|r| r.kari.as_ref())
        .flat_map(|k| k.recipients.iter())
        .find_map(|(rid, _)| match rid {
            Sid::IssuerSerial { issuer, serial } => Name::from_der(issuer.raw)
                .ok()
                .map(|n| (n, serial.to_vec())),
            _ => None,
        })
}

/// A self-signed certificate for `key`, valid 2000..2049.
fn stand_in(subject: &Name, serial: &[u8], key: &PrivateKey) -> Result<Certificate> {
    let nb = DateTime::new(2000, 1, 1, 0, 0, 0).map_err(|e| e.to_string())?;
    let na = DateTime::new(2049, 12, 31, 0, 0, 0).map_err(|e| e.to_string())?;
    let (public_key, sig) = match key {
        PrivateKey::Rsa(k) => (
            public_key_info(k).map_err(|e| e.to_string())?,
            SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        ),
        PrivateKey::Ec(k) => (
            k.public_key_info().map_err(|e| e.to_string())?,
            k.default_signature_algorithm(),
        ),
    };
    scep::builder::self_signed_certificate(
        subject,
        public_key,
        serial,
        nb,
        na,
        sig,
        &mut |tbs| match key {
            PrivateKey::Rsa(k) => sign_with_key(k, sig, tbs),
            PrivateKey::Ec(k) => k.sign(sig, tbs),
        },
        &PROVIDER,
    )
    .map_err(|e| e.to_string())
}

fn holder(key: PrivateKey, cert: Certificate) -> Result<Box<dyn Decryptor>> {
    match key {
        PrivateKey::Rsa(k) => RsaKey::new(k, cert)
            .map(|k| Box::new(k) as Box<dyn Decryptor>)
            .map_err(|e| e.to_string()),
        PrivateKey::Ec(k) => EcKey::new(k, cert)
            .map(|k| Box::new(k) as Box<dyn Decryptor>)
            .map_err(|e| e.to_string()),
    }
}

fn matches(key: &PrivateKey, cert: &Certificate) -> bool {
    match key {
        PrivateKey::Rsa(k) => RsaKey::new(k.clone(), cert.clone()).is_ok(),
        PrivateKey::Ec(k) => k.matches(&cert.public_key()),
    }
}

/// The key holder to decrypt with, and how its certificate was found: `--key` with `--cert`, a
/// matching certificate among `candidates`, or a stand-in certificate (for an EC key named as
/// the first key-agreement recipient, `kari`, so the library chooses it). With a password and
/// no key, a throw-away P-256 key that no recipient names, so that only the password recipient
/// can be opened.
fn decryptor(
    opts: &Options,
    candidates: &[Certificate],
    kari: Option<&(Name, Vec<u8>)>,
) -> Result<(Box<dyn Decryptor>, String)> {
    let subject: Name = "CN=inspect stand-in"
        .parse()
        .map_err(|_| "name".to_owned())?;
    let Some(pem) = &opts.key_pem else {
        let mut rng = getrandom::SysRng;
        let key = PrivateKey::Ec(
            EcPrivateKey::generate(EcCurve::P256, &mut rng).map_err(|e| e.to_string())?,
        );
        let cert = stand_in(&subject, &[1], &key)?;
        return Ok((
            holder(key, cert)?,
            "no --key: only the password recipient can be opened".into(),
        ));
    };
    let key = private_key(&pem.0)?;
    if let Some(c) = &opts.cert {
        if !matches(&key, c) {
            return Err("--cert does not belong to --key".to_owned());
        }
        return holder(key, c.clone()).map(|k| (k, "--cert".to_owned()));
    }
    if let Some(c) = candidates.iter().find(|c| matches(&key, c)) {
        return Ok((
            holder(key, c.clone())?,
            format!("{} (found among the certificates)", name(c.subject())),
        ));
    }
    if let (PrivateKey::Ec(_), Some((issuer, serial))) = (&key, kari) {
        let cert = stand_in(issuer, serial, &key)?;
        return Ok((
            holder(key, cert)?,
            "no --cert, and no certificate at hand matches the key: a stand-in certificate named as the key-agreement recipient".into(),
        ));
    }
    let cert = stand_in(&subject, &[1], &key)?;
    let k = holder(key, cert)?;
    Ok((k, "no --cert, and no certificate at hand matches the key: a stand-in certificate, so the recipient is not matched by identifier".into()))
}

// ---------------------------------------------------------------------------------------------
// Certificates and requests

/// Every certificate in PEM, a DER certificate, or a certs-only SignedData.
pub fn certificates_in(bytes: &[u8]) -> Result<Vec<Certificate>> {
    if bytes.first() == Some(&0x30) {
        if let Ok(c) = Certificate::from_der(bytes) {
            return Ok(vec![c]);
        }
        return CertsOnly::from_ber(bytes, &scep::limits::Limits::DEFAULT)
            .map(|c| c.certificates)
            .map_err(|e| format!("neither a certificate nor a certs-only SignedData: {e}"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not PEM or DER".to_owned())?;
    let mut out = Vec::new();
    for (label, der_bytes) in pem_blocks(text)? {
        match label.as_str() {
            "CERTIFICATE" => {
                out.push(Certificate::from_der(&der_bytes).map_err(|e| e.to_string())?)
            }
            "PKCS7" | "CMS" => out.extend(
                CertsOnly::from_ber(&der_bytes, &scep::limits::Limits::DEFAULT)
                    .map_err(|e| e.to_string())?
                    .certificates,
            ),
            _ => {}
        }
    }
    if out.is_empty() {
        return Err("no certificate found".into());
    }
    Ok(out)
}

/// `1 octet`, `2 octets`.
fn octets(n: usize) -> String {
    if n == 1 {
        "1 octet".into()
    } else {
        format!("{n} octets")
    }
}

pub fn name(n: &Name) -> String {
    let s = n.to_string();
    if s.is_empty() {
        "(empty name)".into()
    } else {
        s
    }
}

/// Bits of an RSA modulus in a SubjectPublicKeyInfo (0 when not RSA).
pub fn spki_rsa_bits(spki: &SubjectPublicKeyInfoOwned) -> usize {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION {
        return 0;
    }
    let Some(key) = spki.subject_public_key.as_bytes() else {
        return 0;
    };
    let Ok((seq, _)) = tlv::parse(key) else {
        return 0;
    };
    let Some(n) = seq.child(0) else { return 0 };
    let digits: Vec<u8> = n.content.iter().copied().skip_while(|b| *b == 0).collect();
    match digits.first() {
        Some(first) => (digits.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

pub fn rsa_bits(c: &Certificate) -> usize {
    spki_rsa_bits(c.subject_public_key_info())
}

fn key_text(spki: &SubjectPublicKeyInfoOwned) -> String {
    match spki_rsa_bits(spki) {
        0 => oid_name(&spki.algorithm.oid),
        bits => format!("RSA {bits} bits"),
    }
}

fn cert_obj(c: &Certificate) -> Obj {
    let mut o = Obj::new();
    o.s("subject", name(c.subject()));
    o.s("issuer", name(c.issuer()));
    o.s(
        "serial",
        format!(
            "{} ({})",
            hex(c.serial_number()),
            octets(c.serial_number().len())
        ),
    );
    o.s("version", format!("v{}", c.version() + 1));
    o.s("key", key_text(c.subject_public_key_info()));
    o.s(
        "signature_algorithm",
        oid_name(&c.signature_algorithm().oid),
    );
    if let Ok(x) = c.x509() {
        let v = x.tbs_certificate().validity();
        o.s("validity", format!("{} .. {}", v.not_before, v.not_after));
    }
    let usage = match c.key_usage() {
        None => "(no keyUsage extension)".to_owned(),
        Some(ku) => {
            let mut names = Vec::new();
            for (set, n) in [
                (ku.digital_signature(), "digitalSignature"),
                (ku.non_repudiation(), "nonRepudiation"),
                (ku.key_encipherment(), "keyEncipherment"),
                (ku.data_encipherment(), "dataEncipherment"),
                (ku.key_agreement(), "keyAgreement"),
                (ku.key_cert_sign(), "keyCertSign"),
                (ku.crl_sign(), "cRLSign"),
            ] {
                if set {
                    names.push(n);
                }
            }
            names.join(", ")
        }
    };
    o.s("key_usage", usage);
    o.b("ca", c.is_ca());
    o.b("self_issued", c.is_self_issued());
    o
}

fn csr_obj(c: &Csr, opts: &Options) -> Obj {
    let mut o = Obj::new();
    o.s("subject", name(c.subject()));
    o.s("key", key_text(c.public_key()));
    if c.version() != 0 {
        o.s("version", format!("{} (RFC 2986 has only 0)", c.version()));
    }
    o.s(
        "signature_algorithm",
        oid_name(&c.signature_algorithm().oid),
    );
    o.s(
        "self_signature",
        match csr_signature(c) {
            Ok(()) => "valid".to_owned(),
            Err(e) => format!("INVALID: {}", library_error(&e)),
        },
    );
    let challenge = match c.challenge_password() {
        None => "absent".to_owned(),
        Some(p) if opts.show_secrets => format!("{p:?}"),
        Some(p) => format!(
            "present ({} characters; --show-secrets prints it)",
            p.chars().count()
        ),
    };
    o.s("challenge_password", challenge);
    let attrs: Vec<V> = c
        .attributes()
        .iter()
        .map(|a| {
            let tag = a
                .values
                .iter()
                .next()
                .map(|v| format!(" ({:?})", v.tag()))
                .unwrap_or_default();
            V::Str(format!("{}{tag}", oid_name(&a.oid)))
        })
        .collect();
    o.l("attributes", attrs);
    if let Some(exts) = c.extension_request() {
        o.l(
            "requested_extensions",
            exts.iter()
                .map(|e| {
                    V::Str(format!(
                        "{}{}",
                        oid_name(&e.extn_id),
                        if e.critical { " (critical)" } else { "" }
                    ))
                })
                .collect(),
        );
    }
    o
}
