//! The algorithm enums and every mapping between them and `AlgorithmIdentifier`s, in both
//! directions: what we write (`oid`, `to_algorithm_identifier`) and what we accept from a peer
//! (the `TryFrom` and `from_alg_id` conversions of a received identifier).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use der::asn1::{AnyRef, ObjectIdentifier};
use spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef};

use super::Legacy;
use crate::asn1::ber::{self, Reader, Tag, Tlv};
use crate::asn1::cms::{AlgId, alg_id};
use crate::error::{AlgorithmKind, Error, Structure};
use crate::oid;

/// A digest algorithm.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// MD5. RFC 8894 forbids it; old Cisco IOS and OpenSCEP still send it.
    #[cfg(feature = "insecure-legacy")]
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256 (the RFC 8894 default).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => oid::MD5,
            Self::Sha1 => oid::SHA1,
            Self::Sha224 => oid::SHA224,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    /// Length of the digest in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Whether RFC 8894 forbids the algorithm (MD5).
    pub const fn is_legacy(self) -> bool {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => true,
            _ => false,
        }
    }

    /// Looks an OID up. Unknown OIDs, and MD5 without the `insecure-legacy` feature, give
    /// `None`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        lookup(
            oid,
            &[
                #[cfg(feature = "insecure-legacy")]
                (oid::MD5, Self::Md5),
                (oid::SHA1, Self::Sha1),
                (oid::SHA224, Self::Sha224),
                (oid::SHA256, Self::Sha256),
                (oid::SHA384, Self::Sha384),
                (oid::SHA512, Self::Sha512),
            ],
        )
    }

    /// The `AlgorithmIdentifier` we emit: the OID with absent parameters (RFC 5754 §2).
    pub fn to_algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// The DER `DigestInfo` prefix (RFC 8017 §9.2 note 1) for this digest, for key holders that
    /// sign a pre-computed hash.
    pub const fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::Md5 => &[
                0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
                0x05, 0x00, 0x04, 0x10,
            ],
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha224 => &[
                0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x04, 0x05, 0x00, 0x04, 0x1c,
            ],
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Self::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Self::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// Builds the PKCS #1 `DigestInfo` for `hash`, for a digest-only device that pads and signs
/// itself.
pub fn digest_info(alg: DigestAlgorithm, hash: &[u8]) -> Vec<u8> {
    let prefix = alg.digest_info_prefix();
    let mut out = Vec::with_capacity(prefix.len() + hash.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(hash);
    out
}

/// A signature algorithm.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with the given digest.
    RsaPkcs1v15(DigestAlgorithm),
    /// ECDSA (FIPS 186-5) with the given digest, on the curve of the key (RFC 5758 §3.2); the
    /// signature is the DER `ECDSA-Sig-Value` (RFC 5480 §2.2). MD5 is not an ECDSA digest: no
    /// OID names it, and every verifier and signer here refuses it.
    Ecdsa(DigestAlgorithm),
}

impl SignatureAlgorithm {
    /// The digest the signature is computed with.
    pub const fn digest(self) -> DigestAlgorithm {
        match self {
            Self::RsaPkcs1v15(d) | Self::Ecdsa(d) => d,
        }
    }

    /// The `<digest>WithRSAEncryption` or `ecdsa-with-<digest>` OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Ecdsa(d) => super::ec::ecdsa_oid(d),
            Self::RsaPkcs1v15(d) => match d {
                #[cfg(feature = "insecure-legacy")]
                DigestAlgorithm::Md5 => oid::MD5_WITH_RSA,
                DigestAlgorithm::Sha1 => oid::SHA1_WITH_RSA,
                DigestAlgorithm::Sha224 => oid::SHA224_WITH_RSA,
                DigestAlgorithm::Sha256 => oid::SHA256_WITH_RSA,
                DigestAlgorithm::Sha384 => oid::SHA384_WITH_RSA,
                DigestAlgorithm::Sha512 => oid::SHA512_WITH_RSA,
            },
        }
    }

    /// The `AlgorithmIdentifier` we emit: parameters NULL for RSA (RFC 4055 §5), absent for
    /// ECDSA (RFC 5758 §3.2).
    pub fn to_algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: match self {
                Self::RsaPkcs1v15(_) => Some(der::Any::null()),
                Self::Ecdsa(_) => None,
            },
        }
    }

    /// Whether the `AlgorithmIdentifier` carries NULL parameters (RSA) or none (ECDSA).
    pub(crate) const fn null_parameters(self) -> bool {
        matches!(self, Self::RsaPkcs1v15(_))
    }

    /// Interprets a SignerInfo's `signatureAlgorithm`, given its `digestAlgorithm`.
    ///
    /// Accepts `rsaEncryption` (the common PKCS #7 quirk, taking the digest from the
    /// SignerInfo) and the `<digest>WithRSAEncryption` OIDs with absent or NULL parameters. A
    /// combined OID whose digest disagrees with `digest` is refused.
    pub fn from_signer_info(
        alg: &AlgorithmIdentifierRef<'_>,
        digest: DigestAlgorithm,
    ) -> Option<Self> {
        if !params_absent_or_null(alg.parameters) {
            return None;
        }
        Self::from_oid_with_digest(&alg.oid, digest)
    }

    /// The signature algorithm named by `oid` in a SignerInfo whose digest is `digest`:
    /// `rsaEncryption` takes the digest; a combined OID must agree with it.
    pub(crate) fn from_oid_with_digest(
        oid: &ObjectIdentifier,
        digest: DigestAlgorithm,
    ) -> Option<Self> {
        if *oid == oid::RSA_ENCRYPTION {
            return Some(Self::RsaPkcs1v15(digest));
        }
        if let Some(d) = super::ec::ecdsa_digest(oid) {
            return (d == digest).then_some(Self::Ecdsa(digest));
        }
        (rsa_signature_digest(oid)? == digest).then_some(Self::RsaPkcs1v15(digest))
    }
}

/// The digest of a `<digest>WithRSAEncryption` OID.
fn rsa_signature_digest(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
    lookup(
        oid,
        &[
            #[cfg(feature = "insecure-legacy")]
            (oid::MD5_WITH_RSA, DigestAlgorithm::Md5),
            (oid::SHA1_WITH_RSA, DigestAlgorithm::Sha1),
            (oid::SHA224_WITH_RSA, DigestAlgorithm::Sha224),
            (oid::SHA256_WITH_RSA, DigestAlgorithm::Sha256),
            (oid::SHA384_WITH_RSA, DigestAlgorithm::Sha384),
            (oid::SHA512_WITH_RSA, DigestAlgorithm::Sha512),
        ],
    )
}

/// Looks `oid` up in `table` by its DER bytes. A `match` on `ObjectIdentifier` constants
/// compiles to an inline comparison of each constant's whole fixed-size buffer, about 130 bytes
/// of code per arm on a Cortex-M4; this is one slice comparison per entry (2 KiB less `.text` in
/// `examples/firmware` over the algorithm lookups).
pub(crate) fn lookup<T: Copy>(
    oid: &ObjectIdentifier,
    table: &[(ObjectIdentifier, T)],
) -> Option<T> {
    let bytes = oid.as_bytes();
    table
        .iter()
        .find(|(known, _)| known.as_bytes() == bytes)
        .map(|(_, v)| *v)
}

impl SignatureAlgorithm {
    /// Interprets an X.509 or PKCS #10 `signatureAlgorithm` (a combined RSA or ECDSA OID with
    /// absent or NULL parameters).
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`](crate::Error::UnsupportedAlgorithm) otherwise.
    pub fn from_x509(alg: &AlgorithmIdentifierOwned) -> Result<Self, Error> {
        let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::Signature);
        if alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return Err(unsupported);
        }
        rsa_signature_digest(&alg.oid)
            .map(Self::RsaPkcs1v15)
            .or_else(|| super::ec::ecdsa_digest(&alg.oid).map(Self::Ecdsa))
            .ok_or(unsupported)
    }

    /// Whether RFC 8894 forbids the algorithm (a signature with MD5).
    pub const fn is_legacy(self) -> bool {
        self.digest().is_legacy()
    }

    /// [`from_x509`](Self::from_x509) under the rule CMS signatures follow: an
    /// `md5WithRSAEncryption` signature is [`Error::LegacyAlgorithm`] unless `legacy` allows
    /// it (which needs the `insecure-legacy` feature).
    pub(crate) fn from_x509_with_policy(
        alg: &AlgorithmIdentifierOwned,
        legacy: Legacy,
    ) -> Result<Self, Error> {
        if alg.oid == oid::MD5_WITH_RSA && !legacy.is_allowed() {
            return Err(Error::LegacyAlgorithm);
        }
        let parsed = Self::from_x509(alg)?;
        if parsed.is_legacy() && !legacy.is_allowed() {
            return Err(Error::LegacyAlgorithm);
        }
        Ok(parsed)
    }
}

pub(crate) fn params_absent_or_null(p: Option<AnyRef<'_>>) -> bool {
    match p {
        None => true,
        Some(any) => any.is_null(),
    }
}

/// A key transport (key encryption) algorithm for `KeyTransRecipientInfo`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum KeyTransport {
    /// RSAES-PKCS1-v1_5 (`rsaEncryption`).
    RsaPkcs1v15,
    /// RSAES-OAEP (RFC 8017) with an empty label.
    RsaOaep {
        /// The hash function (RFC 4055 default: SHA-1).
        hash: DigestAlgorithm,
        /// The hash of the MGF1 mask generation function (RFC 4055 default: SHA-1).
        mgf1: DigestAlgorithm,
    },
    /// Not key transport but key agreement (`KeyAgreeRecipientInfo`, RFC 5753 §3.1, RFC 8894
    /// §3.1): ephemeral-static ECDH (`dhSinglePass-stdDH-<kdf>kdf-scheme`), the ANSI X9.63 KDF
    /// over `kdf`, and AES key wrap (RFC 3394) sized to the content key, as `openssl cms` does.
    /// For EC recipients; [`seal`](crate::envelope::seal) picks it by itself (with the curve's
    /// digest) when the recipient's certificate holds an EC key.
    EcdhKeyAgree {
        /// The X9.63 KDF's hash (SHA-1 is OpenSSL's default; RFC 8418 recommends SHA-256 for
        /// P-256 and SHA-384 for P-384).
        kdf: DigestAlgorithm,
    },
    /// A password recipient (`PasswordRecipientInfo`, RFC 3211, RFC 8894 §3.1): PBKDF2 with
    /// HMAC-SHA-256 and the PWRI-KEK key wrap, keyed from a shared password (the challenge
    /// password); for requesters whose key cannot decrypt.
    Password,
}

impl KeyTransport {
    /// RSAES-OAEP with SHA-1 for both hash and MGF1 (the RFC 4055 defaults; Windows sends this).
    pub const OAEP_SHA1: Self = Self::RsaOaep {
        hash: DigestAlgorithm::Sha1,
        mgf1: DigestAlgorithm::Sha1,
    };
    /// RSAES-OAEP with SHA-256 for both hash and MGF1.
    pub const OAEP_SHA256: Self = Self::RsaOaep {
        hash: DigestAlgorithm::Sha256,
        mgf1: DigestAlgorithm::Sha256,
    };
}

/// A content-encryption algorithm for `EncryptedContentInfo`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// Single DES-CBC. RFC 8894 forbids it; micromdm's server and old Cisco devices use it.
    #[cfg(feature = "insecure-legacy")]
    DesCbc,
    /// Triple DES (DES-EDE3-CBC).
    DesEde3Cbc,
    /// AES-128-CBC (the RFC 8894 default).
    Aes128Cbc,
    /// AES-192-CBC.
    Aes192Cbc,
    /// AES-256-CBC.
    Aes256Cbc,
}

impl ContentEncryption {
    /// The algorithm's OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => oid::DES_CBC,
            Self::DesEde3Cbc => oid::DES_EDE3_CBC,
            Self::Aes128Cbc => oid::AES128_CBC,
            Self::Aes192Cbc => oid::AES192_CBC,
            Self::Aes256Cbc => oid::AES256_CBC,
        }
    }

    /// Looks an OID up. Unknown OIDs, and single DES without the `insecure-legacy` feature, give
    /// `None`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        lookup(
            oid,
            &[
                #[cfg(feature = "insecure-legacy")]
                (oid::DES_CBC, Self::DesCbc),
                (oid::DES_EDE3_CBC, Self::DesEde3Cbc),
                (oid::AES128_CBC, Self::Aes128Cbc),
                (oid::AES192_CBC, Self::Aes192Cbc),
                (oid::AES256_CBC, Self::Aes256Cbc),
            ],
        )
    }

    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => 8,
            Self::DesEde3Cbc => 24,
            Self::Aes128Cbc => 16,
            Self::Aes192Cbc => 24,
            Self::Aes256Cbc => 32,
        }
    }

    /// Block (and IV) length in bytes.
    pub const fn block_len(self) -> usize {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => 8,
            Self::DesEde3Cbc => 8,
            Self::Aes128Cbc | Self::Aes192Cbc | Self::Aes256Cbc => 16,
        }
    }

    /// Whether RFC 8894 forbids the algorithm (single DES).
    pub const fn is_legacy(self) -> bool {
        match self {
            #[cfg(feature = "insecure-legacy")]
            Self::DesCbc => true,
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Received identifiers

impl TryFrom<&AlgId<'_>> for DigestAlgorithm {
    type Error = Error;

    /// A received `digestAlgorithm` (parameters absent or NULL); MD5 is
    /// [`Error::LegacyAlgorithm`] unless the `insecure-legacy` feature knows it.
    fn try_from(a: &AlgId<'_>) -> Result<Self, Error> {
        if !a.params_absent_or_null() {
            return Err(Error::Malformed(Structure::AlgorithmIdentifier));
        }
        match DigestAlgorithm::from_oid(&a.oid) {
            Some(d) => Ok(d),
            None if a.oid == oid::MD5 => Err(Error::LegacyAlgorithm),
            None => Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest)),
        }
    }
}

impl SignatureAlgorithm {
    /// A received SignerInfo `signatureAlgorithm`, given its `digestAlgorithm`.
    pub(crate) fn from_alg_id(a: &AlgId<'_>, digest: DigestAlgorithm) -> Result<Self, Error> {
        if !a.params_absent_or_null() {
            return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Signature));
        }
        if a.oid == oid::MD5_WITH_RSA && DigestAlgorithm::from_oid(&oid::MD5).is_none() {
            return Err(Error::LegacyAlgorithm);
        }
        SignatureAlgorithm::from_oid_with_digest(&a.oid, digest)
            .ok_or(Error::UnsupportedAlgorithm(AlgorithmKind::Signature))
    }
}

/// Interprets a key-encryption `AlgorithmIdentifier`.
impl KeyTransport {
    /// A received `keyEncryptionAlgorithm`: `rsaEncryption`, or RSAES-OAEP with its parameters.
    pub(crate) fn from_alg_id(parent_depth: u8, a: &AlgId<'_>) -> Result<Self, Error> {
        match a.oid {
            oid::RSA_ENCRYPTION if a.params_absent_or_null() => Ok(KeyTransport::RsaPkcs1v15),
            oid::RSAES_OAEP => oaep_params(parent_depth, a.params.as_ref()),
            _ => Err(Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport)),
        }
    }
}

fn oaep_params(depth: u8, params: Option<&Tlv<'_>>) -> Result<KeyTransport, Error> {
    let unsupported = Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport);
    let mut hash = DigestAlgorithm::Sha1;
    let mut mgf1 = DigestAlgorithm::Sha1;
    let Some(p) = params else {
        return Ok(KeyTransport::RsaOaep { hash, mgf1 });
    };
    if p.tag == Tag::NULL {
        return Ok(KeyTransport::RsaOaep { hash, mgf1 });
    }
    if p.tag != Tag::SEQUENCE {
        return Err(unsupported);
    }
    let f = |_| Error::Malformed(Structure::AlgorithmIdentifier);
    let holder = Reader::new(p.raw, depth);
    let mut r = holder.children(p).map_err(f)?;
    if let Some(h) = r.read_optional(Tag::context(0, true)).map_err(f)? {
        let mut hr = r.children(&h).map_err(f)?;
        let a = {
            let t = hr.read().map_err(f)?;
            alg_id(&hr, &t)?
        };
        hr.finish().map_err(f)?;
        hash = DigestAlgorithm::try_from(&a).map_err(|_| unsupported)?;
    }
    if let Some(m) = r.read_optional(Tag::context(1, true)).map_err(f)? {
        let mut mr = r.children(&m).map_err(f)?;
        let a = {
            let t = mr.read().map_err(f)?;
            alg_id(&mr, &t)?
        };
        mr.finish().map_err(f)?;
        if a.oid != oid::MGF1 {
            return Err(unsupported);
        }
        let inner = a.params.ok_or(unsupported)?;
        let a2 = alg_id(&mr, &inner)?;
        mgf1 = DigestAlgorithm::try_from(&a2).map_err(|_| unsupported)?;
    }
    if let Some(ps) = r.read_optional(Tag::context(2, true)).map_err(f)? {
        let mut pr = r.children(&ps).map_err(f)?;
        let a = {
            let t = pr.read().map_err(f)?;
            alg_id(&pr, &t)?
        };
        pr.finish().map_err(f)?;
        let empty_label = a
            .params
            .is_none_or(|l| l.tag == Tag::OCTET_STRING && l.content.is_empty());
        if a.oid != oid::P_SPECIFIED || !empty_label {
            return Err(unsupported);
        }
    }
    r.finish().map_err(f)?;
    Ok(KeyTransport::RsaOaep { hash, mgf1 })
}

impl ContentEncryption {
    /// A received `contentEncryptionAlgorithm`: the cipher and its IV.
    pub(crate) fn from_alg_id<'a>(
        depth: u8,
        a: &AlgId<'a>,
    ) -> Result<(Self, Cow<'a, [u8]>), Error> {
        let alg = match ContentEncryption::from_oid(&a.oid) {
            Some(c) => c,
            None if a.oid == oid::DES_CBC => return Err(Error::LegacyAlgorithm),
            None => {
                return Err(Error::UnsupportedAlgorithm(
                    AlgorithmKind::ContentEncryption,
                ));
            }
        };
        let Some(p) = a.params.as_ref() else {
            // The 2005 "Java Scep Client" omits the IV; OpenSSL then uses zeros, and so do we.
            return Ok((alg, Cow::Owned(alloc::vec![0u8; alg.block_len()])));
        };
        if !p.tag.same_type(Tag::OCTET_STRING) {
            return Err(Error::Malformed(Structure::AlgorithmIdentifier));
        }
        let iv = ber::string_content(p, depth, 64)
            .map_err(|_| Error::Malformed(Structure::AlgorithmIdentifier))?;
        if iv.len() != alg.block_len() {
            return Err(Error::Malformed(Structure::AlgorithmIdentifier));
        }
        Ok((alg, iv))
    }
}

/// Bit length of an RSA modulus in a `SubjectPublicKeyInfo` (0 if it is not RSA).
pub(crate) fn rsa_modulus_bits(spki: &spki::SubjectPublicKeyInfoRef<'_>) -> Result<usize, Error> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION {
        return Ok(0);
    }
    let bad = |_| Error::Malformed(Structure::PublicKey);
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or(Error::Malformed(Structure::PublicKey))?;
    let mut top = Reader::new(key, 4);
    let seq = top.read_expect(Tag::SEQUENCE).map_err(bad)?;
    let mut r = top.children(&seq).map_err(bad)?;
    let n = r.read_expect(Tag::INTEGER).map_err(bad)?;
    let significant = n.content.iter().skip_while(|b| **b == 0).count();
    let lead = n.content.iter().find(|b| **b != 0).copied().unwrap_or(0);
    Ok(significant.saturating_sub(1) * 8
        + (8 - lead.leading_zeros() as usize).min(8) * usize::from(lead != 0))
}
