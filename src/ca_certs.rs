//! GetCACert and GetNextCACert replies (RFC 8894 §4.2, §4.7): reading and writing them, and
//! choosing which of the CA's certificates to encrypt to and which may sign replies.
//!
//! # Reading a GetCACert reply
//!
//! [`CaCertificates::parse`] looks at the bytes, never at the HTTP content type (servers get it
//! wrong): one DER certificate (`application/x-x509-ca-cert`, RFC 8894 §4.2.1.1), a
//! certificates-only `SignedData` in DER or BER (`application/x-x509-ca-ra-cert`, §4.2.1.2), or
//! PEM text with `CERTIFICATE` and/or `PKCS7` blocks (some servers send that; read with the
//! `pem` feature, which is default and part of `std`).
//!
//! # Trust
//!
//! The selection below goes by names and key usage only: it says what a reply *claims*, and a
//! man in the middle can claim anything. A client believes a reply through
//! [`CaCertificates::verify`] (the certificates whose signatures chain to a trust anchor, with
//! the roles chosen among those; see [`trust`](crate::trust)), or, explicitly, through
//! [`CaCertificates::trust_on_first_use`]. [`Client::new`](crate::client::Client::new)
//! takes only the result of one of the two.
//!
//! # Selection rules
//!
//! The reply is a set: nothing here depends on the order of the certificates (EJBCA reverses
//! its chain, step-ca puts the RA first, and DER sorts a SET OF anyway). Every tie is broken by
//! comparing DER encodings, so the same set always gives the same answer.
//!
//! **Roles.** Each certificate is either a *CA* (an issuer) or an *RA* (an end-entity
//! certificate the CA publishes for SCEP), decided by the first rule that applies:
//! 1. a lone certificate is the CA (§4.2.1.1);
//! 2. a readable basicConstraints extension decides: `cA` TRUE is a CA, FALSE (or absent in
//!    the SEQUENCE) an RA, even when the certificate is self-signed;
//! 3. keyUsage with keyCertSign is a CA;
//! 4. otherwise (typically v1 certificates without extensions) a self-issued certificate
//!    (subject = issuer), or one whose subject is the issuer of another, not self-issued,
//!    certificate of the set, is a CA; anything else is an RA.
//!
//! **Issuing CA** ([`CaCertificates::ca_certificate`]): among the CAs, preferably one that
//! issued an RA of the set; then one that issued no other CA of the set (the bottom of the
//! chain: an intermediate rather than its root). `None` only when every certificate is an RA.
//!
//! **Encryption certificate** ([`CaCertificates::encryption_certificate`], the recipient of
//! the client's pkcsPKIEnvelope, §2.1.2, §3.5.2 and its NDES note), the first match of:
//! 1. an RA whose keyUsage has keyEncipherment (a combined RA, or NDES's encryption RA);
//! 2. an RA without a keyUsage extension (unrestricted; old RAs);
//! 3. the issuing CA, if its keyUsage has keyEncipherment;
//! 4. any other RA (keyUsage present without keyEncipherment: a misconfigured RA, or NDES's
//!    signing RA when the encryption RA is missing);
//! 5. the issuing CA whatever its keyUsage (micromdm: keyCertSign+cRLSign only; old CAs
//!    without keyUsage);
//! 6. another CA (not reached in practice: an issuing CA exists whenever a CA does).
//!
//! Within a rule, an RA whose issuer is a CA of the set comes first.
//!
//! **Signing certificates** ([`CaCertificates::signing_certificates`], who may sign a CertRep,
//! §3.3.2): every certificate whose keyUsage has digitalSignature or that has no keyUsage; the
//! issuing CA, whatever its keyUsage (micromdm signs with a keyCertSign+cRLSign CA); and the
//! encryption certificate when it was chosen by rule 4 or later (a server that evidently uses
//! one key for both). An RA whose keyUsage lacks digitalSignature (NDES's encryption RA) is not a
//! signer. Listed RAs first (digitalSignature before no keyUsage), then the issuing CA, then
//! other CAs.
//!
//! **Chain** ([`CaCertificates::chain`]): every CA, starting at the issuing CA and following
//! issuer names upwards to a self-issued root, then any CA not on that path.
//!
//! # Serving
//!
//! [`to_response`] gives the body and content type for GetCACert; [`build_next_ca_cert`] the
//! body of a GetNextCACert reply ([`CONTENT_TYPE_NEXT_CA_CERT`](crate::http::CONTENT_TYPE_NEXT_CA_CERT)). A client checks the latter with
//! [`TrustedCaCertificates::verify_next_ca_cert`](crate::trust::TrustedCaCertificates::verify_next_ca_cert),
//! against the current certificates verified to its anchor.

use alloc::vec::Vec;

use der::asn1::ObjectIdentifier;

use crate::asn1::ber::{Reader, Tag};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, DigestAlgorithm, DigestOutput};
use crate::error::{AlgorithmKind, Error, Limit, Structure};
use crate::http::{CONTENT_TYPE_CA_CERT, CONTENT_TYPE_CA_RA_CERT};
use crate::limits::Limits;

mod next;
#[cfg(all(test, feature = "rustcrypto"))]
mod tests;

use crate::message::CertsOnly;
use crate::oid;
pub use next::build_next_ca_cert;
pub(crate) use next::verify_next_ca_cert;

/// keyUsage bits as read by [`key_usage_bits`]: X.509 bit `n` is `0x8000 >> n`.
const DIGITAL_SIGNATURE: u16 = 0x8000;
const KEY_ENCIPHERMENT: u16 = 0x2000;
const KEY_CERT_SIGN: u16 = 0x0400;

/// The certificates a SCEP server publishes through GetCACert, with the RA/CA selection
/// described in the [module documentation](self).
///
/// ```text
/// application/x-x509-ca-cert     Certificate                 -- one DER certificate
/// application/x-x509-ca-ra-cert  ContentInfo { id-signedData,
///                                  SignedData (certs-only) } -- CA, RA and chain
/// ```
/// [RFC 8894 §4.2.1](https://www.rfc-editor.org/rfc/rfc8894#section-4.2.1)
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CaCertificates {
    certificates: Vec<Certificate>,
    encryption: Certificate,
    ca: Option<Certificate>,
    signing: Vec<Certificate>,
    chain: Vec<Certificate>,
    ras: Vec<Certificate>,
}

impl CaCertificates {
    /// Wraps certificates obtained some other way (configuration, a previous GetCACert).
    /// Exact duplicates are dropped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `certificates` is empty.
    pub fn new(certificates: Vec<Certificate>) -> Result<Self, Error> {
        Self::select(unique(certificates)).ok_or(Error::InvalidInput)
    }

    /// Reads a GetCACert reply body: one DER certificate, a certificates-only `ContentInfo`
    /// (DER or BER), or, with the `pem` feature (default, and part of `std`), PEM text with
    /// `CERTIFICATE` and/or `PKCS7` (or `CMS`) blocks. The HTTP content type is not needed: the
    /// bytes say what they are. CRLs in a certificates-only reply are ignored.
    ///
    /// # Errors
    /// - [`Error::LimitExceeded`]`(MessageSize)` before anything else when `body` is larger
    ///   than `limits.max_message_size`; `LimitExceeded(Certificates)` for too many
    ///   certificates.
    /// - [`Error::Malformed`]`(Certificate)` when the body is none of the above or a certificate
    ///   does not decode (PEM text without the `pem` feature is "none of the above");
    ///   `Malformed(CertsOnly)` for a reply without any certificate;
    ///   [`Error::ContentType`] for a `ContentInfo` that is not `signedData`; other
    ///   [`Error::Malformed`] values for a broken `SignedData`.
    pub fn parse(body: &[u8], limits: &Limits) -> Result<Self, Error> {
        if body.len() > limits.max_message_size {
            return Err(Error::LimitExceeded(Limit::MessageSize));
        }
        let certificates = if body.first() == Some(&0x30) {
            parse_binary(body, limits)?
        } else {
            parse_text(body, limits)?
        };
        Self::select(unique(certificates)).ok_or(Error::Malformed(Structure::CertsOnly))
    }

    /// Every certificate, in the order received, without duplicates.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificate to encrypt requests to (the pkcsPKIEnvelope recipient).
    pub fn encryption_certificate(&self) -> &Certificate {
        &self.encryption
    }

    /// The certificates that may sign a CertRep, most likely first. Pass them to
    /// [`OpenOptions::extra_certificates`](crate::envelope::OpenOptions::extra_certificates)
    /// for replies that omit the signer's certificate, and require the signer to be one of
    /// them.
    pub fn signing_certificates(&self) -> &[Certificate] {
        &self.signing
    }

    /// The issuing CA: the CA that issued the RA certificates (or, without RAs, the bottom of
    /// the CA chain). `None` only when the reply holds nothing but RA certificates.
    pub fn ca_certificate(&self) -> Option<&Certificate> {
        self.ca.as_ref()
    }

    /// Every CA certificate: the issuing CA, its issuer and so on up to the root, then any CA
    /// certificate not on that path.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The RA certificates (not CAs), the encryption certificate's rule first.
    pub fn ra_certificates(&self) -> &[Certificate] {
        &self.ras
    }

    /// Whether `cert` (compared by DER) is one of the certificates.
    pub fn contains(&self, cert: &Certificate) -> bool {
        self.certificates
            .iter()
            .any(|c| c.as_der() == cert.as_der())
    }

    /// The certificate whose fingerprint (the digest of its DER, RFC 8894 §2.2) under `alg` is
    /// `expected`, if any. This is how a client checks a GetCACert reply against the CA
    /// fingerprint it was configured with.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`]`(Digest)` or a provider failure.
    pub fn find_by_fingerprint(
        &self,
        alg: DigestAlgorithm,
        expected: &[u8],
        provider: &CryptoProvider,
    ) -> Result<Option<&Certificate>, Error> {
        for c in &self.certificates {
            if fingerprint(c, alg, provider)?.as_bytes() == expected {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The GetCACert response for these certificates, as [`to_response`] makes it.
    ///
    /// # Errors
    /// [`Error::Encode`].
    pub fn to_response(&self) -> Result<(&'static str, Vec<u8>), Error> {
        to_response(&self.certificates)
    }

    /// Applies the selection rules; `None` for an empty set.
    fn select(certificates: Vec<Certificate>) -> Option<Self> {
        let sel = Selection::new(&certificates);
        let pick = |i: usize| certificates.get(i).cloned();
        let encryption = pick(sel.encryption?)?;
        let ca = match sel.ca {
            Some(i) => Some(pick(i)?),
            None => None,
        };
        let many = |idx: &[usize]| idx.iter().filter_map(|&i| pick(i)).collect::<Vec<_>>();
        let signing = many(&sel.signing);
        let chain = many(&sel.chain);
        let ras = many(&sel.ras);
        Some(Self {
            certificates,
            encryption,
            ca,
            signing,
            chain,
            ras,
        })
    }
}

/// The certificates without exact (DER) duplicates, first occurrences kept in order.
fn unique(certificates: Vec<Certificate>) -> Vec<Certificate> {
    let mut out: Vec<Certificate> = Vec::with_capacity(certificates.len());
    for c in certificates {
        if !out.iter().any(|u| u.as_der() == c.as_der()) {
            out.push(c);
        }
    }
    out
}

/// One DER/BER body: a certificate or a `ContentInfo`.
fn parse_binary(body: &[u8], limits: &Limits) -> Result<Vec<Certificate>, Error> {
    let bad = |e: Error| match e {
        Error::LimitExceeded(l) => Error::LimitExceeded(l),
        _ => Error::Malformed(Structure::Certificate),
    };
    let mut top = Reader::new(body, limits.max_depth);
    let outer = top.read_expect(Tag::SEQUENCE).map_err(bad)?;
    top.finish_lenient().map_err(bad)?;
    let inner = top.children(&outer).map_err(bad)?;
    match inner.peek_tag() {
        // ContentInfo { contentType OBJECT IDENTIFIER, ... }
        Some(t) if t == Tag::OID => Ok(CertsOnly::from_ber(body, limits)?.certificates),
        // Certificate { tbsCertificate SEQUENCE, ... }
        Some(t) if t == Tag::SEQUENCE => Ok(alloc::vec![Certificate::from_tlv(
            &outer,
            limits.max_depth
        )?]),
        _ => Err(Error::Malformed(Structure::Certificate)),
    }
}

/// PEM text: every `CERTIFICATE` block, and the certificates of every `PKCS7`/`CMS` block.
#[cfg(feature = "pem")]
fn parse_text(body: &[u8], limits: &Limits) -> Result<Vec<Certificate>, Error> {
    let mut out = Vec::new();
    for der in crate::asn1::pem::decode_all(body, "CERTIFICATE") {
        out.push(Certificate::from_der(&der)?);
        if out.len() > limits.max_certificates {
            return Err(Error::LimitExceeded(Limit::Certificates));
        }
    }
    for label in ["PKCS7", "CMS"] {
        for der in crate::asn1::pem::decode_all(body, label) {
            out.extend(CertsOnly::from_ber(&der, limits)?.certificates);
            if out.len() > limits.max_certificates {
                return Err(Error::LimitExceeded(Limit::Certificates));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Malformed(Structure::Certificate));
    }
    Ok(out)
}

/// Without the `pem` feature a body that is not DER/BER is refused (no PEM decoder linked).
#[cfg(not(feature = "pem"))]
fn parse_text(_: &[u8], _: &Limits) -> Result<Vec<Certificate>, Error> {
    Err(Error::Malformed(Structure::Certificate))
}

/// The GetCACert response body and its content type: one certificate as its DER with
/// `application/x-x509-ca-cert` (RFC 8894 §4.2.1.1); several as a certificates-only
/// `SignedData` with `application/x-x509-ca-ra-cert` (§4.2.1.2).
///
/// DER sorts the certificates of a `SignedData` (a SET OF), so their order is not kept;
/// clients select by key usage ([`CaCertificates`]), not by position. A server that must send
/// one certificate as a certificates-only `SignedData` (as OpenXPKI always does) can use
/// [`CertsOnly::to_der`] with [`CONTENT_TYPE_CA_RA_CERT`].
///
/// # Errors
/// [`Error::InvalidInput`] for no certificates; [`Error::Encode`].
pub fn to_response(certificates: &[Certificate]) -> Result<(&'static str, Vec<u8>), Error> {
    match certificates {
        [] => Err(Error::InvalidInput),
        [one] => Ok((CONTENT_TYPE_CA_CERT, one.as_der().to_vec())),
        many => Ok((
            CONTENT_TYPE_CA_RA_CERT,
            CertsOnly::from_certificates(many.to_vec()).to_der()?,
        )),
    }
}

/// The fingerprint of a certificate: the `alg` digest of its whole DER encoding (RFC 8894 §2.2;
/// SHA-256 is what `openssl x509 -fingerprint -sha256` prints).
///
/// # Errors
/// [`Error::UnsupportedAlgorithm`]`(Digest)` when the provider lacks `alg`; a provider failure.
pub fn fingerprint(
    cert: &Certificate,
    alg: DigestAlgorithm,
    provider: &CryptoProvider,
) -> Result<DigestOutput, Error> {
    if !provider.digests.supports(alg) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    Ok(provider.digests.digest(alg, cert.as_der())?)
}

// ---------------------------------------------------------------------------------------------
// Selection

/// What the rules need to know about one certificate.
struct Entry<'a> {
    cert: &'a Certificate,
    key_usage: Option<u16>,
    ca: bool,
}

impl Entry<'_> {
    fn asserts(&self, bit: u16) -> bool {
        self.key_usage.is_some_and(|k| k & bit != 0)
    }
}

/// The selection, as indices into the certificate list.
struct Selection {
    encryption: Option<usize>,
    ca: Option<usize>,
    signing: Vec<usize>,
    chain: Vec<usize>,
    ras: Vec<usize>,
}

/// Whether `a` issued `b` by name (`b` is not self-issued and names `a`'s subject as issuer).
fn issues(a: &Certificate, b: &Certificate) -> bool {
    !b.is_self_issued() && b.issuer() == a.subject()
}

/// The index of the entry with the smallest `key`, ties broken by DER.
fn best<K: Ord>(
    entries: &[Entry<'_>],
    filter: impl Fn(usize, &Entry<'_>) -> bool,
    key: impl Fn(usize, &Entry<'_>) -> K,
) -> Option<usize> {
    entries
        .iter()
        .enumerate()
        .filter(|(i, e)| filter(*i, e))
        .min_by(|(i, a), (j, b)| {
            key(*i, a)
                .cmp(&key(*j, b))
                .then_with(|| a.cert.as_der().cmp(b.cert.as_der()))
        })
        .map(|(i, _)| i)
}

/// The indices of the entries `filter` accepts, sorted by `key` and then DER.
fn sorted<K: Ord>(
    entries: &[Entry<'_>],
    filter: impl Fn(usize, &Entry<'_>) -> bool,
    key: impl Fn(usize, &Entry<'_>) -> K,
) -> Vec<usize> {
    let mut v: Vec<(usize, &Entry<'_>)> = entries
        .iter()
        .enumerate()
        .filter(|(i, e)| filter(*i, e))
        .collect();
    // The index breaks the last ties, so the order is total and an unstable sort (smaller in
    // flash than a stable one) gives the same result.
    v.sort_unstable_by(|(i, a), (j, b)| {
        key(*i, a)
            .cmp(&key(*j, b))
            .then_with(|| a.cert.as_der().cmp(b.cert.as_der()))
            .then_with(|| i.cmp(j))
    });
    v.into_iter().map(|(i, _)| i).collect()
}

impl Selection {
    fn new(certs: &[Certificate]) -> Self {
        let lone = certs.len() == 1;
        let entries: Vec<Entry<'_>> = certs
            .iter()
            .map(|c| {
                let key_usage = key_usage_bits(c);
                let ca = lone
                    || match basic_constraints_ca(c) {
                        Some(ca) => ca,
                        None => {
                            key_usage.is_some_and(|k| k & KEY_CERT_SIGN != 0)
                                || c.is_self_issued()
                                || certs.iter().any(|o| issues(c, o))
                        }
                    };
                Entry {
                    cert: c,
                    key_usage,
                    ca,
                }
            })
            .collect();
        let entries = entries.as_slice();

        let issued_ra = |e: &Entry<'_>| entries.iter().any(|o| !o.ca && issues(e.cert, o.cert));
        let issued_ca = |e: &Entry<'_>| entries.iter().any(|o| o.ca && issues(e.cert, o.cert));
        let ca = best(entries, |_, e| e.ca, |_, e| (!issued_ra(e), issued_ca(e)));

        let tier = |i: usize, e: &Entry<'_>| -> u8 {
            let issuing = Some(i) == ca;
            match (e.ca, issuing) {
                (false, _) if e.asserts(KEY_ENCIPHERMENT) => 1,
                (false, _) if e.key_usage.is_none() => 2,
                (true, true) if e.asserts(KEY_ENCIPHERMENT) => 3,
                (false, _) => 4,
                (true, true) => 5,
                (true, false) => 6,
            }
        };
        let orphan = |e: &Entry<'_>| !entries.iter().any(|o| o.ca && issues(o.cert, e.cert));
        let encryption = best(entries, |_, _| true, |i, e| (tier(i, e), orphan(e)));
        let fallback = encryption.and_then(|i| entries.get(i).map(|e| tier(i, e) >= 4));

        let signs = |i: usize, e: &Entry<'_>| {
            e.asserts(DIGITAL_SIGNATURE)
                || e.key_usage.is_none()
                || Some(i) == ca
                || (Some(i) == encryption && fallback == Some(true))
        };
        let signing = sorted(entries, signs, |i, e| {
            (e.ca, Some(i) != ca, !e.asserts(DIGITAL_SIGNATURE))
        });

        let mut chain: Vec<usize> = Vec::new();
        let mut cur = ca;
        while let Some(i) = cur {
            chain.push(i);
            cur = entries.get(i).and_then(|c| {
                best(
                    entries,
                    |j, o| o.ca && !chain.contains(&j) && issues(o.cert, c.cert),
                    |_, _| (),
                )
            });
        }
        let rest = sorted(entries, |j, e| e.ca && !chain.contains(&j), |_, _| ());
        chain.extend(rest);

        let ras = sorted(entries, |_, e| !e.ca, |i, e| (tier(i, e), orphan(e)));
        Self {
            encryption,
            ca,
            signing,
            chain,
            ras,
        }
    }
}

/// The value of the extension `id`, if present.
fn extension<'a>(cert: &'a Certificate, id: &ObjectIdentifier) -> Option<&'a [u8]> {
    cert.extensions()
        .iter()
        .find(|e| &e.extn_id == id)
        .map(|e| e.extn_value.as_bytes())
}

/// keyUsage as the first 16 named bits (`0x8000` = digitalSignature); `None` when absent or
/// unreadable.
fn key_usage_bits(cert: &Certificate) -> Option<u16> {
    key_usage_from(extension(cert, &oid::KEY_USAGE)?)
}

/// Reads a keyUsage BIT STRING leniently: trailing zero bits and unused-bit counts that DER
/// would forbid are accepted.
fn key_usage_from(value: &[u8]) -> Option<u16> {
    let mut r = Reader::new(value, 2);
    let bits = r.read_expect(Tag::BIT_STRING).ok()?;
    r.finish().ok()?;
    let mut content = bits.content.iter();
    let unused = *content.next()?;
    if unused > 7 {
        return None;
    }
    let hi = content.next().copied().unwrap_or(0);
    let lo = content.next().copied().unwrap_or(0);
    Some(u16::from_be_bytes([hi, lo]))
}

/// basicConstraints `cA`; `None` when absent or unreadable.
fn basic_constraints_ca(cert: &Certificate) -> Option<bool> {
    basic_constraints_from(extension(cert, &oid::BASIC_CONSTRAINTS)?)
}

/// Reads basicConstraints leniently: an explicitly encoded FALSE (which DER forbids) is
/// accepted.
fn basic_constraints_from(value: &[u8]) -> Option<bool> {
    let mut top = Reader::new(value, 2);
    let seq = top.read_expect(Tag::SEQUENCE).ok()?;
    top.finish().ok()?;
    let mut r = top.children(&seq).ok()?;
    match r.read_optional(Tag::BOOLEAN).ok()? {
        Some(b) => Some(b.content.first().is_some_and(|v| *v != 0)),
        None => Some(false),
    }
}
