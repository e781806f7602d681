//! GetNextCACert (RFC 8894 §4.7): the reply a CA serves before a rollover, a `SignedData` signed
//! by the current CA or RA key whose content is the next CA's certificates; and its check by a
//! client against the certificates it trusts now (a set verified to its anchor).

use alloc::vec::Vec;

use crate::asn1::cms;
use crate::cert::{self, Certificate};
use crate::crypto::{CryptoProvider, DigestAlgorithm, SignatureAlgorithm, Signer};
use crate::envelope::{SignatureOid, parse};
use crate::error::{Attribute, Error, Structure};
use crate::limits::Limits;
use crate::message::CertsOnly;
use crate::oid;

/// Builds a GetNextCACert reply (RFC 8894 §4.7.1), in DER: a `SignedData` signed by `signer`
/// (the current CA or RA key), whose encapsulated content (`id-data`) is the DER of a
/// certificates-only `ContentInfo` holding `new_certificates` (the next CA certificate, and
/// RA certificates if any). The signed attributes are contentType, messageDigest and, when
/// given, signingTime; the signer's certificate is included. Serve it as
/// [`CONTENT_TYPE_NEXT_CA_CERT`](crate::http::CONTENT_TYPE_NEXT_CA_CERT).
///
/// # Errors
/// [`Error::InvalidInput`] for no certificates; [`Error::LegacyAlgorithm`] for an MD5 signer;
/// [`Error::UnsupportedAlgorithm`], [`Error::Crypto`], [`Error::Encode`].
pub fn build_next_ca_cert(
    new_certificates: &[Certificate],
    signer: &dyn Signer,
    provider: &CryptoProvider,
    signing_time: Option<der::DateTime>,
) -> Result<Vec<u8>, Error> {
    if new_certificates.is_empty() {
        return Err(Error::InvalidInput);
    }
    if signer.signature_algorithm().digest().is_legacy() {
        return Err(Error::LegacyAlgorithm);
    }
    let inner = CertsOnly::from_certificates(new_certificates.to_vec()).to_der()?;
    crate::envelope::signed_data(
        Some(&inner),
        crate::envelope::Attributes::new(),
        signing_time,
        signer,
        signer.signature_algorithm(),
        provider,
        &[],
        SignatureOid::Combined,
    )
}

/// Checks a GetNextCACert reply (DER or BER) against `allowed`, the current certificates that
/// may sign it, and returns the new certificates. The public entry point is
/// [`TrustedCaCertificates::verify_next_ca_cert`](crate::trust::TrustedCaCertificates::verify_next_ca_cert),
/// which passes the certificates of a set verified to its anchor.
///
/// The signer is named by the SignerInfo; when the message carries a certificate of that name
/// it must be one of `allowed` (compared by DER), and when it carries none `allowed` is searched
/// (RFC 5652 §5.1 makes `certificates` optional). Then `messageDigest` is checked against the
/// content and the signature over the signed attributes as received; only after that is the
/// content decoded. MD5 is always refused.
pub(crate) fn verify_next_ca_cert(
    body: &[u8],
    allowed: &[&Certificate],
    provider: &CryptoProvider,
    limits: &Limits,
) -> Result<Vec<Certificate>, Error> {
    let sd = cms::data_signed_data(body, limits)?;
    let si = parse::signer_info(&sd, limits)?;
    let digest = DigestAlgorithm::try_from(&si.digest_alg)?;
    if digest.is_legacy() {
        return Err(Error::LegacyAlgorithm);
    }
    let signature_alg = SignatureAlgorithm::from_alg_id(&si.signature_alg, digest)?;
    match si.attrs.content_type {
        None => return Err(Error::MissingAttribute(Attribute::ContentType)),
        Some(ct) if ct != oid::ID_DATA => return Err(Error::ContentType),
        Some(_) => {}
    }
    let mut carried = Vec::new();
    cert::collect_certificates(&sd, &mut carried, limits, &[])?;

    let depth = limits.max_depth;
    let signer = match carried.iter().find(|c| c.is_named_by(&si.sid, depth)) {
        Some(c) => allowed.iter().find(|a| a.as_der() == c.as_der()),
        None => allowed.iter().find(|a| a.is_named_by(&si.sid, depth)),
    }
    .copied()
    .ok_or(Error::SignerNotFound)?;

    let content = sd
        .econtent_octets(limits)?
        .ok_or(Error::UnexpectedContent)?;
    parse::verify_signer_info(
        &si,
        signer,
        digest,
        signature_alg,
        &content,
        provider,
        limits,
    )?;
    let inner = CertsOnly::from_ber(&content, limits)?;
    if inner.certificates.is_empty() {
        return Err(Error::Malformed(Structure::CertsOnly));
    }
    Ok(inner.certificates)
}
