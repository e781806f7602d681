//! Trust: which certificates this crate believes, and why (RFC 8894 §2.2, §2.4, §3.3.1.2).
//!
//! SCEP usually runs over plain HTTP, so everything a GetCACert reply says can come from a man in
//! the middle. A name is not a signature: anyone can make a certificate whose issuer *names* the
//! CA. This module is where names stop being enough.
//!
//! # Time
//!
//! The crate has no clock (it is sans-I/O and runs on devices without one). Every check that
//! depends on the time takes a [`UnixTime`]: seconds since 1970-01-01T00:00:00Z, as
//! `rustls-pki-types` has it. With `std`:
//! `UnixTime::since_epoch(SystemTime::now().duration_since(UNIX_EPOCH)?)`. A device without
//! a real-time clock must get the time from somewhere it trusts (not from the SCEP server's
//! reply); a wide skew ([`ClientOptions::clock_skew`](crate::client::ClientOptions::clock_skew))
//! is the honest alternative to skipping the check.
//!
//! # The CA certificates (client)
//!
//! [`CaCertificates::verify`] takes the certificates of a GetCACert reply and a
//! [`TrustAnchor`] (the CA certificate itself, or the SHA-256 fingerprint of a CA certificate
//! that must be in the reply, RFC 8894 §2.2) and keeps only what chains to the anchor:
//!
//! 1. The anchor is a CA certificate (basicConstraints `cA` TRUE, or a self-issued v1 root
//!    without basicConstraints). It is kept whether or not the reply holds it.
//! 2. A certificate is kept when it names a kept CA certificate's subject as its issuer *and* its
//!    signature verifies with that certificate's key (through the provider's
//!    [`Verifier`](crate::crypto::Verifier)). Kept certificates may in turn issue others only
//!    when they are CA certificates (basicConstraints `cA` TRUE, and keyCertSign when keyUsage
//!    is present). Repeated until nothing changes, so the order of the reply does not matter.
//! 3. A kept certificate that is not a CA (an RA) must be allowed a SCEP role by its keyUsage:
//!    keyEncipherment (or no keyUsage) to be encrypted to, digitalSignature (or no keyUsage) to
//!    sign replies. An RA allowed neither is dropped.
//!
//! Everything else is reported in [`TrustedCaCertificates::dropped`] with a [`DropReason`], not
//! silently lost: a rogue "RA" certificate that names the CA as its issuer but is signed by
//! its own key is [`DropReason::BadSignature`].
//!
//! Roles are chosen among the kept certificates only:
//! - **Encryption**: an RA with keyEncipherment, else an RA without keyUsage, else the issuing
//!   CA when its keyUsage allows keyEncipherment (or it has none), else the anchor whatever its
//!   keyUsage. The last rule is for servers such as micromdm's whose only certificate is a CA
//!   with keyCertSign and cRLSign: the operator trusted that certificate outright.
//! - **Signing** (who may sign a CertRep): RAs with digitalSignature (or no keyUsage), CA
//!   certificates with digitalSignature (or no keyUsage), and the anchor whatever its keyUsage
//!   (again micromdm).
//! - **Issuers** (who may sign an issued certificate): the anchor and every kept CA
//!   certificate that may issue.
//!
//! Ties are broken by DER, so the same set always gives the same answer.
//!
//! ## Trust on first use
//!
//! [`CaCertificates::trust_on_first_use`] believes the whole reply as it is, with the
//! name-based selection of [`CaCertificates`] and no signature checked. That is safe only when
//! the reply cannot have been tampered with (TLS to a server you authenticated, a reply you
//! obtained out of band), or for a first contact whose fingerprint you then pin for every later
//! run. It is named so that it shows in review.
//!
//! # Issued certificates (client)
//!
//! [`Client::handle`](crate::client::Client::handle) believes an issued certificate only when it
//! is signed by one of the [issuers](TrustedCaCertificates::issuers) and valid at the `now`
//! given ([`check_validity`]); a GetCert reply must hold the certificate that was asked for
//! (issuer and serial number), signed by an issuer.
//!
//! # Renewal signers (server)
//!
//! [`PkiRequest::signer_kind`](crate::server::PkiRequest::signer_kind) counts "signed by a
//! certificate this CA issued" ([`SignerKind::IssuedByCa`](crate::server::SignerKind)) only
//! when that certificate is valid at `now` and the application's [`Revocation`] does not report
//! it revoked; an expired or revoked signer is its own kind, and the application decides.
//! [`check_renewal`] compares the new CSR's subject and subjectAltName with the old
//! certificate's. A self-signed signer proves only possession of its key (RFC 8894 §2.4);
//! [`PkiRequest::signer_holds_csr_key`](crate::server::PkiRequest::signer_holds_csr_key) says
//! whether that key is the CSR's (NDES-style clients sign with a throw-away key, so this is
//! information, not a refusal).

use alloc::vec::Vec;
use core::time::Duration;

use der::asn1::ObjectIdentifier;

use crate::ca_certs::{CaCertificates, fingerprint};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, DigestAlgorithm};
use crate::error::{Error, TrustFailure};
use crate::message::Csr;
use crate::oid;

#[cfg(all(test, feature = "rustcrypto"))]
mod tests;

/// subjectAltName (RFC 5280 §4.2.1.6).
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// A point in time: whole seconds since 1970-01-01T00:00:00Z (UTC, no leap seconds), the way
/// X.509 validity is compared. The crate never reads a clock; callers pass this in.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd, Hash)]
pub struct UnixTime(u64);

impl UnixTime {
    /// `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The time `since_epoch` after 1970-01-01T00:00:00Z (what
    /// `SystemTime::now().duration_since(UNIX_EPOCH)` gives); sub-second parts are dropped.
    pub const fn since_epoch(since_epoch: Duration) -> Self {
        Self(since_epoch.as_secs())
    }

    /// The same instant as a `der::DateTime` (UTC).
    pub fn from_date_time(t: der::DateTime) -> Self {
        Self(t.unix_duration().as_secs())
    }

    fn plus(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d.as_secs()))
    }

    fn minus(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(d.as_secs()))
    }
}

/// What a client trusts a GetCACert reply by (RFC 8894 §2.2: "the CA certificate ... MUST be
/// authenticated", by an out-of-band copy or its fingerprint).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum TrustAnchor {
    /// The CA certificate itself (configured, or saved from an earlier enrollment). It need not
    /// be in the reply.
    Certificate(Certificate),
    /// The SHA-256 digest of the DER of a CA certificate that must be in the reply (what
    /// `openssl x509 -fingerprint -sha256` prints).
    Sha256Fingerprint([u8; 32]),
}

impl TrustAnchor {
    /// A SHA-256 fingerprint from hex text; colons, spaces and case are ignored
    /// (`AB:CD:...` as OpenSSL prints it, or plain hex).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless the text holds exactly 64 hex digits and separators.
    pub fn sha256_from_hex(text: &str) -> Result<Self, Error> {
        let mut out = [0u8; 32];
        let mut n = 0usize;
        for ch in text.chars() {
            if ch == ':' || ch.is_ascii_whitespace() {
                continue;
            }
            let v = ch.to_digit(16).ok_or(Error::InvalidInput)?;
            let byte = out.get_mut(n / 2).ok_or(Error::InvalidInput)?;
            // `v` < 16: the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let v = v as u8;
            *byte = if n.is_multiple_of(2) {
                v << 4
            } else {
                *byte | v
            };
            n += 1;
        }
        if n != 64 {
            return Err(Error::InvalidInput);
        }
        Ok(Self::Sha256Fingerprint(out))
    }
}

/// Why [`CaCertificates::verify`] did not keep a certificate.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// A trusted CA certificate has the subject this certificate names as issuer, but the
    /// signature does not verify with its key (or uses an algorithm the provider lacks): a
    /// forgery such as a rogue RA certificate.
    BadSignature,
    /// The certificate named as issuer is trusted but may not issue: it is not a CA
    /// certificate (basicConstraints `cA`), or its keyUsage lacks keyCertSign.
    IssuerNotCa,
    /// No trusted certificate is its issuer: it does not chain to the anchor (another CA, a
    /// certificate above the anchor, or one whose issuer is missing from the reply).
    NotChained,
    /// It chains to the anchor, but its keyUsage allows no SCEP role (neither
    /// keyEncipherment nor digitalSignature) and it is not a CA.
    KeyUsage,
}

/// A certificate of a GetCACert reply that is not believed, and why.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Dropped {
    /// The certificate as received.
    pub certificate: Certificate,
    /// Why it was not kept.
    pub reason: DropReason,
}

/// The CA certificates a [`Client`](crate::client::Client) believes, with the roles chosen among
/// them: made by [`CaCertificates::verify`] (against a trust anchor) or, as an explicit opt-out,
/// by [`CaCertificates::trust_on_first_use`]. See the [module documentation](self).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct TrustedCaCertificates {
    anchor: Option<Certificate>,
    certificates: Vec<Certificate>,
    encryption: Certificate,
    signing: Vec<Certificate>,
    ca: Option<Certificate>,
    chain: Vec<Certificate>,
    issuers: Vec<Certificate>,
    dropped: Vec<Dropped>,
}

impl TrustedCaCertificates {
    /// The trust anchor, or `None` for a set trusted on first use.
    pub fn anchor(&self) -> Option<&Certificate> {
        self.anchor.as_ref()
    }

    /// Whether this set was believed without verification
    /// ([`CaCertificates::trust_on_first_use`]).
    pub fn is_first_use(&self) -> bool {
        self.anchor.is_none()
    }

    /// Every believed certificate (the anchor first when it was not in the reply, then the
    /// reply's in the order received).
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificate requests are encrypted to.
    pub fn encryption_certificate(&self) -> &Certificate {
        &self.encryption
    }

    /// The certificates that may sign a CertRep, most likely first.
    pub fn signing_certificates(&self) -> &[Certificate] {
        &self.signing
    }

    /// The issuing CA (the issuer of the RA certificates, or the bottom of the CA chain).
    pub fn ca_certificate(&self) -> Option<&Certificate> {
        self.ca.as_ref()
    }

    /// The CA certificates from the issuing CA up to the anchor, then any other believed CA.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The certificates an issued certificate may be signed by: the anchor and the verified
    /// CA certificates that may issue.
    pub fn issuers(&self) -> &[Certificate] {
        &self.issuers
    }

    /// The certificates of the reply that are not believed, each with the reason.
    pub fn dropped(&self) -> &[Dropped] {
        &self.dropped
    }

    /// Checks a certificate this CA issued: signed by one of the [issuers](Self::issuers) and
    /// valid at `now` within `skew` ([`check_validity`]). Returns the issuer.
    ///
    /// # Errors
    /// [`Error::Untrusted`]: `NotIssuedByCa`, `NotYetValid`, `Expired`, `UnreadableValidity`.
    pub fn check_issued(
        &self,
        certificate: &Certificate,
        now: UnixTime,
        skew: Duration,
        provider: &CryptoProvider,
    ) -> Result<&Certificate, Error> {
        let issuer = issued_by(certificate, &self.issuers, provider)
            .ok_or(Error::Untrusted(TrustFailure::NotIssuedByCa))?;
        check_validity(certificate, now, skew)?;
        Ok(issuer)
    }
}

/// The first of `issuers` whose key verifies `certificate`'s signature (names matching).
pub(crate) fn issued_by<'a>(
    certificate: &Certificate,
    issuers: &'a [Certificate],
    provider: &CryptoProvider,
) -> Option<&'a Certificate> {
    issuers
        .iter()
        .find(|ca| certificate.verify_issued_by(ca, provider).is_ok())
}

/// Whether `certificate` is valid at `now`: notBefore ≤ `now` + `skew` and
/// `now` − `skew` ≤ notAfter (RFC 5280 §4.1.2.5; both ends inclusive).
///
/// # Errors
/// [`Error::Untrusted`]: `NotYetValid`, `Expired`, or `UnreadableValidity` when a time does not
/// decode.
pub fn check_validity(
    certificate: &Certificate,
    now: UnixTime,
    skew: Duration,
) -> Result<(), Error> {
    let (not_before, not_after) = certificate
        .validity()
        .ok_or(Error::Untrusted(TrustFailure::UnreadableValidity))?;
    if not_before > now.plus(skew) {
        return Err(Error::Untrusted(TrustFailure::NotYetValid));
    }
    if not_after < now.minus(skew) {
        return Err(Error::Untrusted(TrustFailure::Expired));
    }
    Ok(())
}

/// What the application knows about revoked certificates (this CA's): a closure
/// `Fn(&Certificate) -> bool`, a list of revoked serial numbers ([`RevokedSerials`]), or
/// [`NoneRevoked`].
pub trait Revocation {
    /// Whether `certificate` (issued by this CA) is revoked.
    fn is_revoked(&self, certificate: &Certificate) -> bool;
}

impl<F: Fn(&Certificate) -> bool> Revocation for F {
    fn is_revoked(&self, certificate: &Certificate) -> bool {
        self(certificate)
    }
}

/// Revoked certificates named by serial number (INTEGER content octets, as
/// [`Certificate::serial_number`] gives them). The server's CAs are the issuers, so the serial
/// number alone names the certificate.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct RevokedSerials<'a>(pub &'a [&'a [u8]]);

impl Revocation for RevokedSerials<'_> {
    fn is_revoked(&self, certificate: &Certificate) -> bool {
        self.0.contains(&certificate.serial_number())
    }
}

/// No certificate is revoked (an application that keeps no revocation list).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct NoneRevoked;

impl Revocation for NoneRevoked {
    fn is_revoked(&self, _: &Certificate) -> bool {
        false
    }
}

/// What a renewal may change relative to the certificate it renews. The default allows
/// nothing: the new CSR's subject and subjectAltName must equal the old certificate's.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct RenewalPolicy {
    /// Allow a different subject.
    pub allow_subject_change: bool,
    /// Allow a different (or added, or removed) subjectAltName.
    pub allow_subject_alt_name_change: bool,
}

impl RenewalPolicy {
    /// Subject and subjectAltName must stay the same.
    pub const STRICT: Self = Self {
        allow_subject_change: false,
        allow_subject_alt_name_change: false,
    };

    /// Allows (or not) a different subject.
    #[must_use]
    pub const fn with_subject_change(mut self, allow: bool) -> Self {
        self.allow_subject_change = allow;
        self
    }

    /// Allows (or not) a different subjectAltName.
    #[must_use]
    pub const fn with_subject_alt_name_change(mut self, allow: bool) -> Self {
        self.allow_subject_alt_name_change = allow;
        self
    }
}

/// What a renewal CSR changes that the [`RenewalPolicy`] does not allow.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum RenewalChange {
    /// The subject differs from the old certificate's.
    Subject,
    /// The subjectAltName extension (compared by its DER value; absent on both sides is
    /// equal) differs from the old certificate's.
    SubjectAltName,
}

/// Checks a renewal CSR against the certificate it renews (the request's signer): the subject
/// and the subjectAltName must be the same unless `policy` allows a change. The CSR's
/// subjectAltName is the one in its extensionRequest attribute.
///
/// # Errors
/// The first [`RenewalChange`] the policy does not allow.
pub fn check_renewal(
    old: &Certificate,
    csr: &Csr,
    policy: &RenewalPolicy,
) -> Result<(), RenewalChange> {
    if !policy.allow_subject_change && old.subject() != csr.subject() {
        return Err(RenewalChange::Subject);
    }
    if !policy.allow_subject_alt_name_change {
        let old_san = old
            .extensions()
            .iter()
            .find(|e| e.extn_id == SUBJECT_ALT_NAME)
            .map(|e| e.extn_value.as_bytes().to_vec());
        let new_san = csr.extension_request().and_then(|exts| {
            exts.iter()
                .find(|e| e.extn_id == SUBJECT_ALT_NAME)
                .map(|e| e.extn_value.as_bytes().to_vec())
        });
        if old_san != new_san {
            return Err(RenewalChange::SubjectAltName);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Verification of a GetCACert reply

/// keyUsage as the roles need it.
#[derive(Clone, Copy)]
enum Usage {
    /// No keyUsage extension: unrestricted.
    Absent,
    /// keyUsage present: (keyEncipherment, digitalSignature, keyCertSign).
    Bits {
        encipher: bool,
        sign: bool,
        cert_sign: bool,
    },
}

impl Usage {
    fn of(c: &Certificate) -> Self {
        if !c.extensions().iter().any(|e| e.extn_id == oid::KEY_USAGE) {
            return Self::Absent;
        }
        // Present but unreadable: no usage at all.
        c.key_usage().map_or(
            Self::Bits {
                encipher: false,
                sign: false,
                cert_sign: false,
            },
            |ku| Self::Bits {
                encipher: ku.key_encipherment(),
                sign: ku.digital_signature(),
                cert_sign: ku.key_cert_sign(),
            },
        )
    }
    fn encipher(self) -> bool {
        matches!(self, Self::Absent | Self::Bits { encipher: true, .. })
    }
    fn encipher_asserted(self) -> bool {
        matches!(self, Self::Bits { encipher: true, .. })
    }
    fn sign(self) -> bool {
        matches!(self, Self::Absent | Self::Bits { sign: true, .. })
    }
    fn sign_asserted(self) -> bool {
        matches!(self, Self::Bits { sign: true, .. })
    }
    fn cert_sign(self) -> bool {
        matches!(
            self,
            Self::Absent
                | Self::Bits {
                    cert_sign: true,
                    ..
                }
        )
    }
}

/// A believed certificate.
struct Node {
    cert: Certificate,
    /// The node that issued it (`None` for the anchor).
    parent: Option<usize>,
    /// May issue certificates (the anchor, or a CA certificate allowed keyCertSign).
    issues: bool,
    depth: usize,
    usage: Usage,
    /// Position in the reply (`usize::MAX` for an anchor that was not in it).
    position: usize,
    /// Chains, but has no role ([`DropReason::KeyUsage`]).
    removed: bool,
}

/// Whether `c` can be a trust anchor: basicConstraints `cA` TRUE, or a self-issued certificate
/// without basicConstraints (a v1 root).
fn anchor_is_ca(c: &Certificate) -> bool {
    c.is_ca()
        || (c.is_self_issued()
            && !c
                .extensions()
                .iter()
                .any(|e| e.extn_id == oid::BASIC_CONSTRAINTS))
}

impl CaCertificates {
    /// Keeps the certificates of this reply that chain to `anchor`, and chooses the RA/CA
    /// roles among them only (RFC 8894 §2.2). See the [`trust`](crate::trust) module for the
    /// rules; certificates not kept are listed in [`TrustedCaCertificates::dropped`].
    ///
    /// # Errors
    /// - [`Error::Untrusted`]`(AnchorNotFound)` when no certificate of the reply has the
    ///   fingerprint (a fingerprint anchor must match a certificate of the reply).
    /// - [`Error::Untrusted`]`(AnchorNotCa)` when the anchor is not a CA certificate.
    /// - [`Error::UnsupportedAlgorithm`]`(Digest)` when the provider lacks SHA-256.
    pub fn verify(
        &self,
        anchor: &TrustAnchor,
        provider: &CryptoProvider,
    ) -> Result<TrustedCaCertificates, Error> {
        let certs = self.certificates();
        let anchor = match anchor {
            TrustAnchor::Certificate(c) => c.clone(),
            TrustAnchor::Sha256Fingerprint(want) => {
                let mut found = None;
                for c in certs {
                    if fingerprint(c, DigestAlgorithm::Sha256, provider)?.as_bytes() == want {
                        found = Some(c.clone());
                        break;
                    }
                }
                found.ok_or(Error::Untrusted(TrustFailure::AnchorNotFound))?
            }
        };
        if !anchor_is_ca(&anchor) {
            return Err(Error::Untrusted(TrustFailure::AnchorNotCa));
        }
        Ok(build(certs, anchor, provider))
    }

    /// Believes this reply as it is, without any signature check: **trust on first use**. The
    /// roles are those of [`CaCertificates`]' name-based selection. Use it only when the reply
    /// cannot have been tampered with, or for a first contact whose CA fingerprint you then
    /// pin ([`TrustAnchor::Sha256Fingerprint`]) for every later run; see the
    /// [`trust`](crate::trust) module.
    pub fn trust_on_first_use(&self) -> TrustedCaCertificates {
        let chain = self.chain().to_vec();
        let issuers = if chain.is_empty() {
            self.certificates().to_vec()
        } else {
            chain.clone()
        };
        // As clients did before anchors: any signing certificate or CA may sign a reply.
        let mut signing = self.signing_certificates().to_vec();
        for c in &chain {
            if !signing.iter().any(|s| s.as_der() == c.as_der()) {
                signing.push(c.clone());
            }
        }
        TrustedCaCertificates {
            anchor: None,
            certificates: self.certificates().to_vec(),
            encryption: self.encryption_certificate().clone(),
            signing,
            ca: self.ca_certificate().cloned(),
            chain,
            issuers,
            dropped: Vec::new(),
        }
    }
}

/// The chain building and role selection of [`CaCertificates::verify`].
fn build(
    certs: &[Certificate],
    anchor: Certificate,
    provider: &CryptoProvider,
) -> TrustedCaCertificates {
    let anchor_pos = certs
        .iter()
        .position(|c| c.as_der() == anchor.as_der())
        .unwrap_or(usize::MAX);
    let anchor_cert = anchor.clone();
    let mut nodes = alloc::vec![Node {
        usage: Usage::of(&anchor),
        cert: anchor,
        parent: None,
        issues: true,
        depth: 0,
        position: anchor_pos,
        removed: false,
    }];
    // The rest, each with how many nodes it has been tried against (nodes only grow, so no
    // signature is checked twice).
    let mut pending: Vec<(usize, usize)> = (0..certs.len())
        .filter(|&i| i != anchor_pos)
        .map(|i| (i, 0))
        .collect();
    loop {
        let mut grew = false;
        let mut k = 0;
        while let Some(&(i, tried)) = pending.get(k) {
            let Some(c) = certs.get(i) else { break };
            let parent = nodes
                .iter()
                .enumerate()
                .skip(tried)
                .find(|(_, n)| {
                    n.issues
                        && c.issuer() == n.cert.subject()
                        && c.verify_issued_by(&n.cert, provider).is_ok()
                })
                .map(|(p, _)| p);
            match parent {
                Some(p) => {
                    let usage = Usage::of(c);
                    let depth = nodes.get(p).map_or(0, |n| n.depth) + 1;
                    nodes.push(Node {
                        cert: c.clone(),
                        parent: Some(p),
                        issues: c.is_ca() && usage.cert_sign(),
                        depth,
                        usage,
                        position: i,
                        removed: false,
                    });
                    pending.remove(k);
                    grew = true;
                }
                None => {
                    if let Some(e) = pending.get_mut(k) {
                        e.1 = nodes.len();
                    }
                    k += 1;
                }
            }
        }
        if !grew {
            break;
        }
    }

    let mut dropped: Vec<Dropped> = Vec::new();
    for &(i, _) in &pending {
        let Some(c) = certs.get(i) else { continue };
        let named = |n: &&Node| n.cert.subject() == c.issuer();
        let reason = if nodes.iter().filter(named).any(|n| n.issues) {
            DropReason::BadSignature
        } else if nodes.iter().any(|n| named(&n)) {
            DropReason::IssuerNotCa
        } else {
            DropReason::NotChained
        };
        dropped.push(Dropped {
            certificate: c.clone(),
            reason,
        });
    }
    // RAs that may do nothing for SCEP. (An RA issues nothing, so no node depends on it.)
    for n in &mut nodes {
        let ra = n.parent.is_some() && !n.cert.is_ca();
        if ra && !n.usage.encipher() && !n.usage.sign() {
            n.removed = true;
            dropped.push(Dropped {
                certificate: n.cert.clone(),
                reason: DropReason::KeyUsage,
            });
        }
    }
    select(&nodes, &anchor_cert, dropped)
}

/// Chooses the roles among believed nodes (index 0 is the anchor).
fn select(nodes: &[Node], anchor: &Certificate, dropped: Vec<Dropped>) -> TrustedCaCertificates {
    let node = |i: usize| nodes.get(i).filter(|n| !n.removed);
    let der = |i: usize| node(i).map_or(&[][..], |n| n.cert.as_der());
    let is_ra = |i: usize| node(i).is_some_and(|n| n.parent.is_some() && !n.cert.is_ca());
    let is_issuer = |i: usize| node(i).is_some_and(|n| n.issues);
    let usage = |i: usize| node(i).map_or(Usage::Absent, |n| n.usage);
    let depth = |i: usize| node(i).map_or(0, |n| n.depth);
    let parent = |i: usize| node(i).and_then(|n| n.parent);
    let n = nodes.len();

    // RAs, best encryption candidate first: keyEncipherment asserted, then no keyUsage, then
    // the rest (signing-only RAs).
    let mut ras: Vec<usize> = (0..n).filter(|&i| is_ra(i)).collect();
    let tier = |i: usize| {
        let u = usage(i);
        if u.encipher_asserted() {
            0u8
        } else if u.encipher() {
            1
        } else {
            2
        }
    };
    ras.sort_by(|&a, &b| tier(a).cmp(&tier(b)).then_with(|| der(a).cmp(der(b))));

    // The issuing CA: the issuer of the best RA; without RAs the deepest issuer.
    let ca = match ras.first() {
        Some(&r) => parent(r).unwrap_or(0),
        None => {
            let mut issuers: Vec<usize> = (0..n).filter(|&i| is_issuer(i)).collect();
            issuers.sort_by(|&a, &b| depth(b).cmp(&depth(a)).then_with(|| der(a).cmp(der(b))));
            issuers.first().copied().unwrap_or(0)
        }
    };

    let encryption = match ras.first() {
        Some(&r) if tier(r) <= 1 => r,
        _ if usage(ca).encipher() => ca,
        _ => 0,
    };

    // Signers: RAs (digitalSignature asserted first), the issuing CA, other CAs, the anchor.
    let mut signing: Vec<usize> = ras.iter().copied().filter(|&i| usage(i).sign()).collect();
    signing.sort_by(|&a, &b| {
        (!usage(a).sign_asserted())
            .cmp(&!usage(b).sign_asserted())
            .then_with(|| der(a).cmp(der(b)))
    });
    if usage(ca).sign() || ca == 0 {
        signing.push(ca);
    }
    let mut cas: Vec<usize> = (1..n)
        .filter(|&i| node(i).is_some() && !is_ra(i) && i != ca && usage(i).sign())
        .collect();
    cas.sort_by(|&a, &b| der(a).cmp(der(b)));
    signing.extend(cas);
    if !signing.contains(&0) {
        signing.push(0);
    }

    // Chain: from the issuing CA up to the anchor, then any other CA by depth.
    let mut chain: Vec<usize> = Vec::new();
    let mut cur = Some(ca);
    while let Some(i) = cur {
        if chain.contains(&i) {
            break;
        }
        chain.push(i);
        cur = parent(i);
    }
    let mut rest: Vec<usize> = (0..n)
        .filter(|&i| node(i).is_some() && !is_ra(i) && !chain.contains(&i))
        .collect();
    rest.sort_by(|&a, &b| depth(a).cmp(&depth(b)).then_with(|| der(a).cmp(der(b))));
    chain.extend(rest);

    let issuers: Vec<usize> = (0..n).filter(|&i| is_issuer(i)).collect();

    let pick = |i: usize| node(i).map(|k| k.cert.clone());
    let many = |v: &[usize]| v.iter().filter_map(|&i| pick(i)).collect::<Vec<_>>();
    let mut by_position: Vec<usize> = (0..n).filter(|&i| node(i).is_some()).collect();
    by_position.sort_by_key(|&i| node(i).map_or(0, |k| k.position.wrapping_add(1)));
    TrustedCaCertificates {
        anchor: Some(anchor.clone()),
        certificates: many(&by_position),
        encryption: pick(encryption).unwrap_or_else(|| anchor.clone()),
        signing: many(&signing),
        ca: pick(ca),
        chain: many(&chain),
        issuers: many(&issuers),
        dropped,
    }
}
