//! Object identifiers used by SCEP (RFC 8894) and the CMS structures it carries.
//!
//! The SCEP attribute OIDs live under `id-attributes` (2.16.840.1.113733.1.9); `failInfoText` is
//! `id-scep-failInfoText` under `id-pkix` (1.3.6.1.5.5.7.24.1).

use const_oid::ObjectIdentifier as Oid;

/// `id-messageType` (2.16.840.1.113733.1.9.2), a PrintableString of decimal digits.
pub const MESSAGE_TYPE: Oid = Oid::new_unwrap("2.16.840.1.113733.1.9.2");
/// `id-pkiStatus` (2.16.840.1.113733.1.9.3), a PrintableString.
pub const PKI_STATUS: Oid = Oid::new_unwrap("2.16.840.1.113733.1.9.3");
/// `id-failInfo` (2.16.840.1.113733.1.9.4), a PrintableString.
pub const FAIL_INFO: Oid = Oid::new_unwrap("2.16.840.1.113733.1.9.4");
/// `id-senderNonce` (2.16.840.1.113733.1.9.5), an OCTET STRING.
pub const SENDER_NONCE: Oid = Oid::new_unwrap("2.16.840.1.113733.1.9.5");
/// `id-recipientNonce` (2.16.840.1.113733.1.9.6), an OCTET STRING.
pub const RECIPIENT_NONCE: Oid = Oid::new_unwrap("2.16.840.1.113733.1.9.6");
/// `id-transactionID` (2.16.840.1.113733.1.9.7), a PrintableString.
pub const TRANSACTION_ID: Oid = Oid::new_unwrap("2.16.840.1.113733.1.9.7");
/// `id-scep-failInfoText` (1.3.6.1.5.5.7.24.1), a UTF8String.
pub const FAIL_INFO_TEXT: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.24.1");

/// CMS `id-data` (1.2.840.113549.1.7.1).
pub const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// CMS `id-signedData` (1.2.840.113549.1.7.2).
pub const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// CMS `id-envelopedData` (1.2.840.113549.1.7.3).
pub const ID_ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
/// PKCS #9 `contentType` attribute (1.2.840.113549.1.9.3).
pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// PKCS #9 `messageDigest` attribute (1.2.840.113549.1.9.4).
pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// PKCS #9 `signingTime` attribute (1.2.840.113549.1.9.5).
pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// PKCS #9 `challengePassword` CSR attribute (1.2.840.113549.1.9.7).
pub const CHALLENGE_PASSWORD: Oid = Oid::new_unwrap("1.2.840.113549.1.9.7");
/// PKCS #9 `extensionRequest` CSR attribute (1.2.840.113549.1.9.14).
pub const EXTENSION_REQUEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.14");

/// `md5` (1.2.840.113549.2.5); only with the `insecure-legacy` feature and policy.
pub const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");
/// `id-sha1` (1.3.14.3.2.26).
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// `id-sha224` (2.16.840.1.101.3.4.2.4).
pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
/// `id-sha256` (2.16.840.1.101.3.4.2.1).
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-sha384` (2.16.840.1.101.3.4.2.2).
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
/// `id-sha512` (2.16.840.1.101.3.4.2.3).
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

/// `rsaEncryption` (1.2.840.113549.1.1.1): RSA keys, PKCS #1 v1.5 key transport, and (as a quirk)
/// a signature algorithm whose digest comes from the SignerInfo.
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// `md5WithRSAEncryption` (1.2.840.113549.1.1.4).
pub const MD5_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.4");
/// `sha1WithRSAEncryption` (1.2.840.113549.1.1.5).
pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
/// `sha224WithRSAEncryption` (1.2.840.113549.1.1.14).
pub const SHA224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");
/// `sha256WithRSAEncryption` (1.2.840.113549.1.1.11).
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// `sha384WithRSAEncryption` (1.2.840.113549.1.1.12).
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
/// `sha512WithRSAEncryption` (1.2.840.113549.1.1.13).
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
/// `id-RSAES-OAEP` (1.2.840.113549.1.1.7).
pub const RSAES_OAEP: Oid = Oid::new_unwrap("1.2.840.113549.1.1.7");
/// `id-mgf1` (1.2.840.113549.1.1.8).
pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
/// `id-pSpecified` (1.2.840.113549.1.1.9), the OAEP label source.
pub const P_SPECIFIED: Oid = Oid::new_unwrap("1.2.840.113549.1.1.9");

/// `desCBC` (1.3.14.3.2.7); only with the `insecure-legacy` feature and policy.
pub const DES_CBC: Oid = Oid::new_unwrap("1.3.14.3.2.7");
/// `des-ede3-cbc` (1.2.840.113549.3.7).
pub const DES_EDE3_CBC: Oid = Oid::new_unwrap("1.2.840.113549.3.7");
/// `id-aes128-CBC` (2.16.840.1.101.3.4.1.2).
pub const AES128_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.2");
/// `id-aes192-CBC` (2.16.840.1.101.3.4.1.22).
pub const AES192_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.22");
/// `id-aes256-CBC` (2.16.840.1.101.3.4.1.42).
pub const AES256_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.42");

/// `id-ce-keyUsage` (2.5.29.15).
pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// `id-ce-subjectKeyIdentifier` (2.5.29.14).
pub const SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");
/// `id-ce-basicConstraints` (2.5.29.19).
pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");

/// `id-ecPublicKey` (1.2.840.10045.2.1, RFC 5480 §2.1.1): an elliptic-curve public key whose
/// parameters name the curve.
pub const ID_EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (1.2.840.10045.3.1.7, RFC 5480 §2.1.1.1), a.k.a. P-256, prime256v1.
pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (1.3.132.0.34, RFC 5480 §2.1.1.1), a.k.a. P-384.
pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
/// `ecdsa-with-SHA1` (1.2.840.10045.4.1, RFC 3279 §2.2.3).
pub const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
/// `ecdsa-with-SHA224` (1.2.840.10045.4.3.1, RFC 5758 §3.2).
pub const ECDSA_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
/// `ecdsa-with-SHA256` (1.2.840.10045.4.3.2, RFC 5758 §3.2).
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// `ecdsa-with-SHA384` (1.2.840.10045.4.3.3, RFC 5758 §3.2).
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
/// `ecdsa-with-SHA512` (1.2.840.10045.4.3.4, RFC 5758 §3.2).
pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
/// `ecdsa-with-Specified` (1.2.840.10045.4.3, ANSI X9.62): never accepted; named only as what
/// [`SignatureAlgorithm::oid`](crate::crypto::SignatureAlgorithm::oid) gives for the
/// meaningless ECDSA-with-MD5 (`insecure-legacy`).
pub const ECDSA_WITH_SPECIFIED: Oid = Oid::new_unwrap("1.2.840.10045.4.3");

/// `dhSinglePass-stdDH-sha1kdf-scheme` (1.3.133.16.840.63.0.2, RFC 5753 §7.1.4): ephemeral-static
/// ECDH with the X9.63 KDF over SHA-1 (OpenSSL's default for `cms -encrypt` to an EC key).
pub const DH_SINGLE_PASS_STD_DH_SHA1KDF: Oid = Oid::new_unwrap("1.3.133.16.840.63.0.2");
/// `dhSinglePass-stdDH-sha224kdf-scheme` (1.3.132.1.11.0, RFC 5753 §7.1.4).
pub const DH_SINGLE_PASS_STD_DH_SHA224KDF: Oid = Oid::new_unwrap("1.3.132.1.11.0");
/// `dhSinglePass-stdDH-sha256kdf-scheme` (1.3.132.1.11.1, RFC 5753 §7.1.4).
pub const DH_SINGLE_PASS_STD_DH_SHA256KDF: Oid = Oid::new_unwrap("1.3.132.1.11.1");
/// `dhSinglePass-stdDH-sha384kdf-scheme` (1.3.132.1.11.2, RFC 5753 §7.1.4).
pub const DH_SINGLE_PASS_STD_DH_SHA384KDF: Oid = Oid::new_unwrap("1.3.132.1.11.2");
/// `dhSinglePass-stdDH-sha512kdf-scheme` (1.3.132.1.11.3, RFC 5753 §7.1.4).
pub const DH_SINGLE_PASS_STD_DH_SHA512KDF: Oid = Oid::new_unwrap("1.3.132.1.11.3");
/// `id-aes128-wrap` (2.16.840.1.101.3.4.1.5, RFC 3394 §3).
pub const AES128_WRAP: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.5");
/// `id-aes192-wrap` (2.16.840.1.101.3.4.1.25, RFC 3394 §3).
pub const AES192_WRAP: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.25");
/// `id-aes256-wrap` (2.16.840.1.101.3.4.1.45, RFC 3394 §3).
pub const AES256_WRAP: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.45");

/// `id-alg-PWRI-KEK` (1.2.840.113549.1.9.16.3.9, RFC 3211 §2.3): the password-recipient key wrap.
pub const PWRI_KEK: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.3.9");
/// `id-PBKDF2` (1.2.840.113549.1.5.12, RFC 8018 §A.2).
pub const PBKDF2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.12");
/// `id-hmacWithSHA1` (1.2.840.113549.2.7, RFC 8018 §B.1.1), PBKDF2's default PRF.
pub const HMAC_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.113549.2.7");
/// `id-hmacWithSHA224` (1.2.840.113549.2.8, RFC 8018 §B.1.2).
pub const HMAC_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.113549.2.8");
/// `id-hmacWithSHA256` (1.2.840.113549.2.9, RFC 8018 §B.1.2).
pub const HMAC_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.2.9");
/// `id-hmacWithSHA384` (1.2.840.113549.2.10, RFC 8018 §B.1.2).
pub const HMAC_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.2.10");
/// `id-hmacWithSHA512` (1.2.840.113549.2.11, RFC 8018 §B.1.2).
pub const HMAC_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.2.11");
