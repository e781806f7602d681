//! A PKCS #12 writer for the light clients: one private key, its certificate and the chain,
//! protected by a password the client chose, as OpenSSL 3 writes by default
//! ([RFC 7292](https://www.rfc-editor.org/rfc/rfc7292)):
//!
//! ```text
//! PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (data), macData MacData }
//! AuthenticatedSafe ::= SEQUENCE OF ContentInfo
//!   -- encryptedData (PBES2): SafeContents of certBags (the certificate, then the chain)
//!   -- data: SafeContents of one pkcs8ShroudedKeyBag (EncryptedPrivateKeyInfo, PBES2)
//! PBES2: PBKDF2 with HMAC-SHA256, 2048 iterations, 8-octet salt; AES-256-CBC (RFC 8018 §6.2)
//! MacData: HMAC-SHA256 over the AuthenticatedSafe, key from the PKCS #12 KDF (RFC 7292
//!          Appendix B.2, ID 3, SHA-256), 2048 iterations, 8-octet salt
//! ```
//!
//! The key bag and the certificate bag share a `localKeyId` (the SHA-256 of the certificate)
//! so readers pair them. Only DER is written, by hand: the structures are small and fixed.

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeEncrypt as _, KeyIvInit as _};
use const_oid::ObjectIdentifier;
use hmac::{KeyInit as _, Mac as _};
use scep::Certificate;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// PBKDF2 and MAC iterations (OpenSSL's `PKCS12_DEFAULT_ITER`).
pub const ITERATIONS: u32 = 2048;
const SALT_LEN: usize = 8;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const ID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const ID_PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
const ID_HMAC_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
const ID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const ID_CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const ID_X509_CERT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const ID_LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");
const ID_FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;
const BMP_STRING: u8 = 0x1e;
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_0_PRIMITIVE: u8 = 0x80;

/// A TLV with a definite DER length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

fn oid(o: &ObjectIdentifier) -> Vec<u8> {
    tlv(OID, o.as_bytes())
}

/// A small non-negative INTEGER.
fn integer(n: u32) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
    let mut content = bytes.get(skip..).unwrap_or_default().to_vec();
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    tlv(INTEGER, &content)
}

/// `password` as a NUL-terminated BMPString's octets (the PKCS #12 KDF's input, RFC 7292
/// Appendix B.1).
fn bmp_password(password: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(2 * password.len() + 2));
    for unit in password.encode_utf16().chain(core::iter::once(0)) {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

/// The PKCS #12 KDF with SHA-256 (RFC 7292 Appendix B.2): `n` octets for purpose `id`.
fn pkcs12_kdf(
    password: &str,
    salt: &[u8],
    id: u8,
    iterations: u32,
    n: usize,
) -> Zeroizing<Vec<u8>> {
    const U: usize = 32; // SHA-256 output
    const V: usize = 64; // SHA-256 block
    let fill = |src: &[u8]| -> Zeroizing<Vec<u8>> {
        if src.is_empty() {
            return Zeroizing::new(Vec::new());
        }
        let len = V * src.len().div_ceil(V);
        Zeroizing::new(src.iter().copied().cycle().take(len).collect())
    };
    let pass = bmp_password(password);
    let mut i_block = fill(salt);
    i_block.extend_from_slice(&fill(&pass));
    let d = [id; V];
    let mut out = Zeroizing::new(Vec::with_capacity(n + U));
    while out.len() < n {
        let mut a = Sha256::new()
            .chain_update(d)
            .chain_update(&*i_block)
            .finalize();
        for _ in 1..iterations {
            a = Sha256::digest(a);
        }
        out.extend_from_slice(&a);
        if out.len() >= n {
            break;
        }
        // B = A repeated to V octets; each V-octet block of I becomes (I_j + B + 1) mod 2^(8V).
        let b: Vec<u8> = a.iter().copied().cycle().take(V).collect();
        for block in i_block.chunks_mut(V) {
            let mut carry: u16 = 1;
            for (x, y) in block.iter_mut().rev().zip(b.iter().rev()) {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = u8::try_from(sum & 0xff).unwrap_or(0);
                carry = sum >> 8;
            }
        }
    }
    out.truncate(n);
    out
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("random: {e}"))?;
    Ok(b)
}

/// PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) encryption of `plaintext`: the AlgorithmIdentifier
/// and the ciphertext.
fn pbes2_encrypt(password: &str, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let salt: [u8; SALT_LEN] = random()?;
    let iv: [u8; 16] = random()?;
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, ITERATIONS, &mut *key);
    let enc = cbc::Encryptor::<Aes256>::new_from_slices(&*key, &iv)
        .map_err(|_| "AES-256-CBC key".to_owned())?;
    let ciphertext = enc.encrypt_padded_vec::<Pkcs7>(plaintext);
    let kdf = seq(&[
        &oid(&ID_PBKDF2),
        &seq(&[
            &tlv(OCTET_STRING, &salt),
            &integer(ITERATIONS),
            &seq(&[&oid(&ID_HMAC_SHA256), &tlv(NULL, &[])]),
        ]),
    ]);
    let scheme = seq(&[&oid(&ID_AES256_CBC), &tlv(OCTET_STRING, &iv)]);
    let alg = seq(&[&oid(&ID_PBES2), &seq(&[&kdf, &scheme])]);
    Ok((alg, ciphertext))
}

/// Bag attributes: `localKeyId` and, when given, `friendlyName`.
fn attributes(local_key_id: &[u8], friendly_name: Option<&str>) -> Vec<u8> {
    let mut attrs = seq(&[
        &oid(&ID_LOCAL_KEY_ID),
        &tlv(SET, &tlv(OCTET_STRING, local_key_id)),
    ]);
    if let Some(name) = friendly_name {
        let bmp: Vec<u8> = name.encode_utf16().flat_map(u16::to_be_bytes).collect();
        attrs.extend(seq(&[
            &oid(&ID_FRIENDLY_NAME),
            &tlv(SET, &tlv(BMP_STRING, &bmp)),
        ]));
    }
    tlv(SET, &attrs)
}

fn safe_bag(bag_id: &ObjectIdentifier, value: &[u8], attrs: Option<&[u8]>) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(3);
    let id = oid(bag_id);
    let value = tlv(CONTEXT_0, value);
    parts.push(&id);
    parts.push(&value);
    if let Some(a) = attrs {
        parts.push(a);
    }
    seq(&parts)
}

/// A PKCS #12 file (DER) with `key_pkcs8` (an unencrypted PKCS #8 PrivateKeyInfo, DER),
/// `certificate` and `chain`, all under `password`; `friendly_name` labels the key and its
/// certificate.
pub fn build(
    key_pkcs8: &[u8],
    certificate: &Certificate,
    chain: &[Certificate],
    password: &str,
    friendly_name: Option<&str>,
) -> Result<Vec<u8>, String> {
    let local_key_id = Sha256::digest(certificate.as_der());
    let attrs = attributes(&local_key_id, friendly_name);

    // The certificates, encrypted (encryptedData).
    let mut cert_bags = Vec::new();
    for (i, cert) in core::iter::once(certificate).chain(chain).enumerate() {
        let cert_bag = seq(&[
            &oid(&ID_X509_CERT),
            &tlv(CONTEXT_0, &tlv(OCTET_STRING, cert.as_der())),
        ]);
        let a = (i == 0).then_some(attrs.as_slice());
        cert_bags.extend(safe_bag(&ID_CERT_BAG, &cert_bag, a));
    }
    let cert_contents = tlv(SEQUENCE, &cert_bags);
    let (alg, encrypted) = pbes2_encrypt(password, &cert_contents)?;
    let encrypted_data = seq(&[
        &integer(0),
        &seq(&[&oid(&ID_DATA), &alg, &tlv(CONTEXT_0_PRIMITIVE, &encrypted)]),
    ]);
    let certs_info = seq(&[&oid(&ID_ENCRYPTED_DATA), &tlv(CONTEXT_0, &encrypted_data)]);

    // The key, shrouded (PBES2) inside a data ContentInfo.
    let (alg, encrypted_key) = pbes2_encrypt(password, key_pkcs8)?;
    let epki = seq(&[&alg, &tlv(OCTET_STRING, &encrypted_key)]);
    let key_contents = tlv(
        SEQUENCE,
        &safe_bag(&ID_SHROUDED_KEY_BAG, &epki, Some(&attrs)),
    );
    let key_info = seq(&[
        &oid(&ID_DATA),
        &tlv(CONTEXT_0, &tlv(OCTET_STRING, &key_contents)),
    ]);

    let auth_safe = seq(&[&certs_info, &key_info]);

    // The MAC over the AuthenticatedSafe's DER.
    let mac_salt: [u8; SALT_LEN] = random()?;
    let mac_key = pkcs12_kdf(password, &mac_salt, 3, ITERATIONS, 32);
    let mut mac =
        <hmac::Hmac<Sha256>>::new_from_slice(&mac_key).map_err(|_| "HMAC key".to_owned())?;
    mac.update(&auth_safe);
    let tag = mac.finalize().into_bytes();
    let mac_data = seq(&[
        &seq(&[
            &seq(&[&oid(&ID_SHA256), &tlv(NULL, &[])]),
            &tlv(OCTET_STRING, &tag),
        ]),
        &tlv(OCTET_STRING, &mac_salt),
        &integer(ITERATIONS),
    ]);

    Ok(seq(&[
        &integer(3),
        &seq(&[
            &oid(&ID_DATA),
            &tlv(CONTEXT_0, &tlv(OCTET_STRING, &auth_safe)),
        ]),
        &mac_data,
    ]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn der_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(integer(3), vec![2, 1, 3]);
        assert_eq!(integer(2048), vec![2, 2, 8, 0]);
        assert_eq!(integer(0), vec![2, 1, 0]);
        assert_eq!(integer(128), vec![2, 2, 0, 128]);
    }

    #[test]
    fn bmp_password_is_nul_terminated_utf16be() {
        assert_eq!(&*bmp_password("ab"), &[0, b'a', 0, b'b', 0, 0]);
    }
}
