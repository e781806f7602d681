//! Errors. One `Copy` enum without strings: every variant says what was wrong with the input, and
//! [`Error::fail_info`] gives the SCEP `failInfo` a server should answer with.

use core::fmt;

use crate::attr::FailInfo;
use crate::crypto::CryptoError;

/// The ASN.1 structure that failed to decode.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Structure {
    /// The BER/DER tag-length-value framing itself (bad length, truncation, excess nesting).
    Ber,
    /// The outer `ContentInfo`.
    ContentInfo,
    /// `SignedData`.
    SignedData,
    /// A `SignerInfo`.
    SignerInfo,
    /// The signed attributes, or an attribute's framing.
    SignedAttributes,
    /// An X.509 certificate.
    Certificate,
    /// A CRL.
    Crl,
    /// `EnvelopedData`.
    EnvelopedData,
    /// A `RecipientInfo`.
    RecipientInfo,
    /// An `AlgorithmIdentifier` or its parameters.
    AlgorithmIdentifier,
    /// A degenerate certificates-only `SignedData`.
    CertsOnly,
    /// A PKCS #10 certification request.
    CertReq,
    /// `IssuerAndSubject`.
    IssuerAndSubject,
    /// `IssuerAndSerialNumber`.
    IssuerAndSerialNumber,
    /// An RSA public key.
    PublicKey,
}

/// A signed attribute, as named in errors.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Attribute {
    /// CMS `contentType`.
    ContentType,
    /// CMS `messageDigest`.
    MessageDigest,
    /// CMS `signingTime`.
    SigningTime,
    /// SCEP `messageType`.
    MessageType,
    /// SCEP `pkiStatus`.
    PkiStatus,
    /// SCEP `failInfo`.
    FailInfo,
    /// SCEP `failInfoText`.
    FailInfoText,
    /// SCEP `senderNonce`.
    SenderNonce,
    /// SCEP `recipientNonce`.
    RecipientNonce,
    /// SCEP `transactionID`.
    TransactionId,
}

/// A configurable limit (see [`Limits`](crate::limits::Limits)).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Total message size.
    MessageSize,
    /// Certificates in one `SignedData`.
    Certificates,
    /// CRLs in one `SignedData`.
    Crls,
    /// `RecipientInfo`s in one `EnvelopedData`.
    RecipientInfos,
    /// `SignerInfo`s in one `SignedData`.
    SignerInfos,
    /// Signed attributes in one `SignerInfo`.
    Attributes,
    /// RSA modulus size of a key that arrived in a message.
    RsaModulus,
    /// Nesting depth of the BER encoding.
    Depth,
    /// PBKDF2 iterations of a `PasswordRecipientInfo`.
    Pbkdf2Iterations,
}

/// Which kind of algorithm was refused.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum AlgorithmKind {
    /// A digest algorithm.
    Digest,
    /// A signature algorithm.
    Signature,
    /// A key transport algorithm.
    KeyTransport,
    /// A content encryption algorithm.
    ContentEncryption,
    /// A public key type.
    PublicKey,
}

/// Why a certificate is not believed (see [`trust`](crate::trust)).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum TrustFailure {
    /// No CA certificate of the GetCACert reply has the pinned fingerprint.
    AnchorNotFound,
    /// No trust anchor was configured, and trust on first use was not chosen.
    NoAnchor,
    /// The trust anchor is not a CA certificate (basicConstraints `cA` FALSE, or a
    /// certificate that is neither a CA nor a self-issued v1 root).
    AnchorNotCa,
    /// An issued certificate is not signed by the CA (or a verified intermediate CA).
    NotIssuedByCa,
    /// A certificate's notBefore is later than the time given (plus the allowed skew).
    NotYetValid,
    /// A certificate's notAfter is earlier than the time given (minus the allowed skew).
    Expired,
    /// A certificate's validity period does not decode, so it cannot be checked.
    UnreadableValidity,
}

/// Everything that can go wrong in this crate.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// A configured limit was exceeded (checked before the work it bounds).
    LimitExceeded(Limit),
    /// The input does not decode as the named structure.
    Malformed(Structure),
    /// A required signed attribute is absent.
    MissingAttribute(Attribute),
    /// A signed attribute appears twice, or its SET holds other than exactly one value.
    DuplicateAttribute(Attribute),
    /// A signed attribute has the wrong ASN.1 type or a value outside its definition (for
    /// example `messageType` "18", or a `pkiStatus` of "1").
    InvalidAttribute(Attribute),
    /// The algorithm is unknown, or not implemented by the crypto provider.
    UnsupportedAlgorithm(AlgorithmKind),
    /// Single DES or MD5, which RFC 8894 forbids, and the policy does not allow.
    LegacyAlgorithm,
    /// A content type is not what SCEP requires (`id-data` inside, `signedData` outside).
    ContentType,
    /// No certificate matches the signer's identifier.
    SignerNotFound,
    /// The `messageDigest` attribute does not match the content.
    DigestMismatch,
    /// The signature over the signed attributes does not verify.
    BadSignature,
    /// No `RecipientInfo` is addressed to the decrypting key.
    RecipientNotFound,
    /// The envelope could not be decrypted or its plaintext could not be decoded. One error for
    /// every cause, so that it is not a padding oracle (RFC 3218).
    Decrypt,
    /// The message content does not fit the message type: an envelope where none belongs
    /// (FAILURE, PENDING) or none where one is required.
    UnexpectedContent,
    /// A reply does not belong to the request: transaction ID or recipient nonce differ.
    Mismatch,
    /// A value given to a builder is invalid (for example a transaction ID that is not a
    /// PrintableString).
    InvalidInput,
    /// A certificate is not believed: it does not chain to the trust anchor, or is outside
    /// its validity period at the time given.
    Untrusted(TrustFailure),
    /// A crypto provider or key holder failed.
    Crypto(CryptoError),
    /// DER encoding of an outgoing message failed.
    Encode,
    /// A run-time opt-in to single DES and MD5 ([`Legacy::allow`](crate::crypto::Legacy::allow))
    /// in a build without the `insecure-legacy` feature.
    LegacyNotCompiled,
    /// A reply came with this HTTP status instead of 200 (503: the server asks to retry later).
    HttpStatus(u16),
    /// A reply's `Content-Type` is not one the operation can have (a `text/...` error page
    /// with status 200).
    ContentTypeMismatch,
}

impl Error {
    /// The `failInfo` a server answers with when a request fails with this error.
    pub fn fail_info(&self) -> FailInfo {
        match self {
            Self::UnsupportedAlgorithm(_) | Self::LegacyAlgorithm => FailInfo::BadAlg,
            Self::SignerNotFound
            | Self::DigestMismatch
            | Self::BadSignature
            | Self::RecipientNotFound
            | Self::Decrypt
            | Self::ContentType
            | Self::Untrusted(_) => FailInfo::BadMessageCheck,
            Self::Mismatch => FailInfo::BadCertId,
            Self::LimitExceeded(_)
            | Self::Malformed(_)
            | Self::MissingAttribute(_)
            | Self::DuplicateAttribute(_)
            | Self::InvalidAttribute(_)
            | Self::UnexpectedContent
            | Self::InvalidInput
            | Self::Crypto(_)
            | Self::Encode
            | Self::LegacyNotCompiled
            | Self::HttpStatus(_)
            | Self::ContentTypeMismatch => FailInfo::BadRequest,
        }
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::UnsupportedAlgorithm => {
                Self::UnsupportedAlgorithm(AlgorithmKind::PublicKey)
            }
            other => Self::Crypto(other),
        }
    }
}

impl From<crate::crypto::RngError> for Error {
    fn from(_: crate::crypto::RngError) -> Self {
        Self::Crypto(CryptoError::Rng)
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ber => "BER encoding",
            Self::ContentInfo => "CMS ContentInfo",
            Self::SignedData => "CMS SignedData",
            Self::SignerInfo => "CMS SignerInfo",
            Self::SignedAttributes => "signed attributes",
            Self::Certificate => "certificate",
            Self::Crl => "CRL",
            Self::EnvelopedData => "CMS EnvelopedData",
            Self::RecipientInfo => "CMS RecipientInfo",
            Self::AlgorithmIdentifier => "algorithm identifier",
            Self::CertsOnly => "certificates-only SignedData",
            Self::CertReq => "certification request (PKCS #10)",
            Self::IssuerAndSubject => "IssuerAndSubject",
            Self::IssuerAndSerialNumber => "IssuerAndSerialNumber",
            Self::PublicKey => "public key",
        })
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ContentType => "contentType",
            Self::MessageDigest => "messageDigest",
            Self::SigningTime => "signingTime",
            Self::MessageType => "messageType",
            Self::PkiStatus => "pkiStatus",
            Self::FailInfo => "failInfo",
            Self::FailInfoText => "failInfoText",
            Self::SenderNonce => "senderNonce",
            Self::RecipientNonce => "recipientNonce",
            Self::TransactionId => "transactionID",
        })
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MessageSize => "the message size",
            Self::Certificates => "the number of certificates",
            Self::Crls => "the number of CRLs",
            Self::RecipientInfos => "the number of recipient infos",
            Self::SignerInfos => "the number of signer infos",
            Self::Attributes => "the number of signed attributes",
            Self::RsaModulus => "the RSA modulus size",
            Self::Depth => "the nesting depth",
            Self::Pbkdf2Iterations => "the PBKDF2 iteration count",
        })
    }
}

impl fmt::Display for TrustFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AnchorNotFound => "no CA certificate of the reply matches the trust anchor",
            Self::NoAnchor => {
                "no trust anchor was configured (and trust on first use was not chosen)"
            }
            Self::AnchorNotCa => "the trust anchor is not a CA certificate",
            Self::NotIssuedByCa => "it is not signed by the CA",
            Self::NotYetValid => "it is not valid yet",
            Self::Expired => "it has expired",
            Self::UnreadableValidity => "its validity period cannot be read",
        })
    }
}

impl fmt::Display for AlgorithmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Digest => "digest",
            Self::Signature => "signature",
            Self::KeyTransport => "key transport",
            Self::ContentEncryption => "content encryption",
            Self::PublicKey => "public key",
        })
    }
}

/// One sentence for a person: what was wrong, in words (the variant names are for code). A
/// wrapped error is not repeated here; it is the [`source`](core::error::Error::source).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LimitExceeded(l) => write!(f, "{l} exceeds the configured limit"),
            Self::Malformed(s) => write!(f, "the {s} could not be decoded"),
            Self::MissingAttribute(a) => write!(f, "the signed attribute {a} is missing"),
            Self::DuplicateAttribute(a) => {
                write!(
                    f,
                    "the signed attribute {a} does not have exactly one value"
                )
            }
            Self::InvalidAttribute(a) => write!(f, "the signed attribute {a} has an invalid value"),
            Self::UnsupportedAlgorithm(k) => write!(f, "the {k} algorithm is not supported"),
            Self::LegacyAlgorithm => f.write_str(
                "single DES or MD5 (forbidden by RFC 8894) is not allowed by the current policy",
            ),
            Self::ContentType => f.write_str("the CMS content type is not the one SCEP requires"),
            Self::SignerNotFound => f.write_str("no known certificate matches the signer"),
            Self::DigestMismatch => f.write_str("the messageDigest does not match the content"),
            Self::BadSignature => f.write_str("the signature does not verify"),
            Self::RecipientNotFound => {
                f.write_str("the message is not encrypted to the decrypting key")
            }
            Self::Decrypt => f.write_str("the envelope could not be decrypted"),
            Self::UnexpectedContent => f.write_str("the message content does not fit its type"),
            Self::Mismatch => f.write_str("the reply does not belong to the request"),
            Self::InvalidInput => f.write_str("a value given to the library is invalid"),
            Self::Untrusted(t) => write!(f, "the certificate is not trusted: {t}"),
            Self::Crypto(_) => f.write_str("the crypto provider or key holder failed"),
            Self::Encode => f.write_str("the outgoing message could not be DER-encoded"),
            Self::LegacyNotCompiled => f.write_str(
                "single DES and MD5 need the insecure-legacy feature, which this build lacks",
            ),
            Self::HttpStatus(s) => write!(f, "the server answered with HTTP status {s}"),
            Self::ContentTypeMismatch => {
                f.write_str("the reply's HTTP Content-Type does not fit the request")
            }
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Crypto(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use alloc::format;
    use alloc::string::ToString;
    use core::error::Error as _;

    use super::*;

    #[test]
    fn display_is_a_sentence_not_a_variant_name() {
        assert_eq!(
            Error::Malformed(Structure::Certificate).to_string(),
            "the certificate could not be decoded"
        );
        assert_eq!(
            Error::LimitExceeded(Limit::MessageSize).to_string(),
            "the message size exceeds the configured limit"
        );
        assert_eq!(
            Error::MissingAttribute(Attribute::TransactionId).to_string(),
            "the signed attribute transactionID is missing"
        );
        // No Debug-style names (`CertReq`, `RsaModulus`, `KeyTransport`) in any message.
        for e in [
            Error::Malformed(Structure::CertReq),
            Error::LimitExceeded(Limit::RsaModulus),
            Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport),
            Error::DuplicateAttribute(Attribute::SenderNonce),
        ] {
            let text = e.to_string();
            assert_ne!(text, format!("{e:?}"));
            for name in ["CertReq", "RsaModulus", "KeyTransport", "SenderNonce"] {
                assert!(!text.contains(name), "{text}");
            }
        }
    }

    #[test]
    fn crypto_errors_are_the_source() {
        let e = Error::Crypto(CryptoError::Rng);
        let source = e.source().expect("a source");
        assert_eq!(
            source.downcast_ref::<CryptoError>(),
            Some(&CryptoError::Rng)
        );
        assert_eq!(source.to_string(), "random number generator failed");
        assert!(Error::Malformed(Structure::Certificate).source().is_none());
    }
}
