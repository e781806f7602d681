//! A tiny DER writer for the CMS structures we emit. Lengths are always minimal and definite;
//! SET OF contents are sorted by their encodings (X.690 §11.6).

use alloc::vec::Vec;

use der::Encode;

use crate::error::Error;

/// Appends a DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Appends a TLV with a single-octet tag.
pub(crate) fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// Returns a TLV built from content written by `f`, with room for `capacity` octets reserved
/// up front.
pub(crate) fn wrap_with_capacity(
    tag: u8,
    capacity: usize,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(capacity);
    nested(&mut out, tag, f)?;
    Ok(out)
}

/// Appends a TLV whose content `f` writes, in place: the content goes after the tag and a
/// one-octet length, and when it turns out to need a longer length the content is moved up
/// (no intermediate buffer).
pub(crate) fn nested(
    out: &mut Vec<u8>,
    tag: u8,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    out.push(tag);
    let at = out.len();
    out.push(0);
    f(out)?;
    let content_start = at + 1;
    let len = out.len() - content_start;
    let mut buf = [0u8; 1 + size_of::<usize>()];
    let n = len_octets(&mut buf, len);
    if n > 1 {
        let end = out.len();
        out.resize(end + n - 1, 0);
        out.copy_within(content_start..end, content_start + n - 1);
    }
    if let (Some(dst), Some(src)) = (out.get_mut(at..at + n), buf.get(..n)) {
        dst.copy_from_slice(src);
    }
    Ok(())
}

/// Writes the DER length octets of `len` into `buf` and returns how many there are.
fn len_octets(buf: &mut [u8; 1 + size_of::<usize>()], len: usize) -> usize {
    if len < 0x80 {
        buf[0] = len as u8;
        return 1;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or(&[]);
    buf[0] = 0x80 | significant.len() as u8;
    if let Some(dst) = buf.get_mut(1..=significant.len()) {
        dst.copy_from_slice(significant);
    }
    1 + significant.len()
}

/// Appends a SET OF (or `[n] IMPLICIT SET OF` with another tag) of already-encoded elements,
/// sorted as DER requires.
pub(crate) fn set_of(out: &mut Vec<u8>, tag: u8, mut elements: Vec<Vec<u8>>) {
    elements.sort();
    let len: usize = elements.iter().map(Vec::len).sum();
    out.reserve(len + 6);
    out.push(tag);
    push_len(out, len);
    for e in elements {
        out.extend_from_slice(&e);
    }
}

/// A CMS `CertificateSet` or `RevocationInfoChoices` (`[n] IMPLICIT SET OF`) in the order
/// given, not sorted. OpenSSL declares these fields SEQUENCE OF so that order survives, Go's
/// pkcs7 writes them as given, and clients read the first certificate of a CertRep as theirs
/// (micromdm's `scepclient` saves it as the issued certificate): sorting would hand them the
/// CA certificate whenever it sorts first. The result is valid BER; nothing signs these bytes
/// in their DER form.
pub(crate) fn ordered_set_of_refs(out: &mut Vec<u8>, tag: u8, elements: &[&[u8]]) {
    let len: usize = elements.iter().map(|e| e.len()).sum();
    out.reserve(len + 6);
    out.push(tag);
    push_len(out, len);
    for e in elements {
        out.extend_from_slice(e);
    }
}

/// As [`set_of`], for elements borrowed from elsewhere (certificates as received), without
/// copying them first: the outer SignedData's certificates, where order means nothing to any
/// peer (the signer is found by issuer and serial number).
pub(crate) fn set_of_refs(out: &mut Vec<u8>, tag: u8, elements: &mut [&[u8]]) {
    elements.sort_unstable();
    ordered_set_of_refs(out, tag, elements);
}

/// Appends the DER of any `der::Encode` value.
pub(crate) fn value(out: &mut Vec<u8>, v: &impl Encode) -> Result<(), Error> {
    v.encode_to_vec(out).map(|_| ()).map_err(|_| Error::Encode)
}

/// Appends a small non-negative INTEGER.
pub(crate) fn small_int(out: &mut Vec<u8>, v: u8) {
    if v < 0x80 {
        tlv(out, 0x02, &[v]);
    } else {
        tlv(out, 0x02, &[0, v]);
    }
}

/// Appends an OBJECT IDENTIFIER.
pub(crate) fn oid(out: &mut Vec<u8>, oid: &der::asn1::ObjectIdentifier) {
    tlv(out, 0x06, oid.as_bytes());
}

/// Appends an INTEGER from its content octets as found in a certificate (already minimal).
pub(crate) fn integer_bytes(out: &mut Vec<u8>, content: &[u8]) {
    tlv(out, 0x02, content);
}

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const PRINTABLE_STRING: u8 = 0x13;
pub(crate) const UTF8_STRING: u8 = 0x0c;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const CTX0_CONS: u8 = 0xa0;
pub(crate) const CTX1_CONS: u8 = 0xa1;
pub(crate) const CTX0_PRIM: u8 = 0x80;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        for (len, want) in [
            (0usize, &[0x00u8][..]),
            (0x7f, &[0x7f]),
            (0x80, &[0x81, 0x80]),
            (0xff, &[0x81, 0xff]),
            (0x100, &[0x82, 0x01, 0x00]),
            (0x1_0000, &[0x83, 0x01, 0x00, 0x00]),
        ] {
            let mut v = Vec::new();
            push_len(&mut v, len);
            assert_eq!(v, want, "{len}");
        }
    }

    #[test]
    fn nested_lengths_are_minimal_at_every_size() {
        for inner in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1_0000] {
            let content = alloc::vec![0xabu8; inner];
            let mut got = Vec::new();
            got.push(0x01);
            nested(&mut got, SEQUENCE, |a| {
                nested(a, OCTET_STRING, |b| {
                    b.extend_from_slice(&content);
                    Ok(())
                })
            })
            .unwrap();
            let mut octets = Vec::new();
            tlv(&mut octets, OCTET_STRING, &content);
            let mut want = alloc::vec![0x01];
            tlv(&mut want, SEQUENCE, &octets);
            assert_eq!(got, want, "{inner}");
        }
    }

    #[test]
    fn set_of_refs_sorts_like_set_of() {
        let a = [0x04u8, 0x01, 0x02];
        let b = [0x02u8, 0x01, 0x01];
        let mut out = Vec::new();
        set_of_refs(&mut out, SET, &mut [&a[..], &b[..]]);
        let mut want = Vec::new();
        set_of(&mut want, SET, alloc::vec![a.to_vec(), b.to_vec()]);
        assert_eq!(out, want);
    }

    #[test]
    fn ordered_set_of_refs_keeps_the_order() {
        let a = [0x04u8, 0x01, 0x02];
        let b = [0x02u8, 0x01, 0x01];
        let mut out = Vec::new();
        ordered_set_of_refs(&mut out, SET, &[&a[..], &b[..]]);
        assert_eq!(out, [0x31, 0x06, 0x04, 0x01, 0x02, 0x02, 0x01, 0x01]);
    }

    #[test]
    fn set_of_sorts() {
        let mut out = Vec::new();
        set_of(
            &mut out,
            SET,
            alloc::vec![alloc::vec![0x04, 0x01, 0x02], alloc::vec![0x02, 0x01, 0x01]],
        );
        assert_eq!(out, [0x31, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x02]);
    }
}
