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
//! [`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify) takes the certificates of a GetCACert reply and a
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
//! Ties are broken by DER, so the same set always gives the same answer. Validity periods of
//! the CA and RA certificates are not checked here (a CA rollover goes through GetNextCACert,
//! [`TrustedCaCertificates::verify_next_ca_cert`]); revocation of RA
//! certificates is the application's business.
//!
//! ## Trust on first use
//!
//! [`CaCertificates::trust_on_first_use`](crate::ca_certs::CaCertificates::trust_on_first_use) believes the whole reply as it is, with the
//! name-based selection of [`CaCertificates`](crate::ca_certs::CaCertificates) and no signature checked. That is safe only when
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

use crate::cert::Certificate;
use crate::crypto::CryptoProvider;
use crate::error::{Error, TrustFailure};
use crate::message::Csr;

mod verify;

#[cfg(all(test, feature = "rustcrypto"))]
mod tests;

/// subjectAltName (RFC 5280 §4.2.1.6).
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

pub use crate::cert::UnixTime;

/// The default clock skew allowed when a validity period is checked
/// ([`ClientOptions::clock_skew`](crate::client::ClientOptions::clock_skew),
/// [`ServerOptions::clock_skew`](crate::server::ServerOptions::clock_skew)): 5 minutes.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(300);

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

/// Why [`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify) did not keep a certificate.
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
/// them: made by [`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify) (against a trust anchor) or, as an explicit opt-out,
/// by [`CaCertificates::trust_on_first_use`](crate::ca_certs::CaCertificates::trust_on_first_use). See the [module documentation](self).
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
    /// ([`CaCertificates::trust_on_first_use`](crate::ca_certs::CaCertificates::trust_on_first_use)).
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

    /// Checks a GetNextCACert reply (DER or BER; RFC 8894 §4.7.1: a `SignedData` signed by the
    /// current CA or RA key, whose content is the next CA's certificates) and returns the new
    /// certificates.
    ///
    /// The reply must be signed by one of this set's [signing
    /// certificates](Self::signing_certificates) or [CA chain](Self::chain), compared by DER: in
    /// a set verified to its anchor those chain to it, so a certificate the anchor did not
    /// vouch for (a rogue RA in the GetCACert reply, dropped by
    /// [`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify)) cannot sign the next
    /// CA in. A valid signature by any other key is refused. `messageDigest` is checked against
    /// the content and the signature over the signed attributes as received; only after that
    /// is the content decoded. MD5 is always refused.
    ///
    /// # Errors
    /// - [`Error::LimitExceeded`] (size, checked first; counts; RSA key size).
    /// - [`Error::Malformed`], [`Error::ContentType`] (not `signedData`, or content and
    ///   contentType attribute not `id-data`), [`Error::MissingAttribute`].
    /// - [`Error::SignerNotFound`] when the signer is not one of the allowed certificates.
    /// - [`Error::DigestMismatch`], [`Error::BadSignature`].
    /// - [`Error::LegacyAlgorithm`], [`Error::UnsupportedAlgorithm`].
    /// - [`Error::UnexpectedContent`] without content; `Malformed(CertsOnly)` when the content
    ///   holds no certificate.
    pub fn verify_next_ca_cert(
        &self,
        body: &[u8],
        provider: &CryptoProvider,
        limits: &crate::limits::Limits,
    ) -> Result<Vec<Certificate>, Error> {
        let mut allowed: Vec<&Certificate> = self.signing.iter().collect();
        for c in &self.chain {
            if !allowed.iter().any(|a| a.as_der() == c.as_der()) {
                allowed.push(c);
            }
        }
        crate::ca_certs::verify_next_ca_cert(body, &allowed, provider, limits)
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
