//! From what a peer sent to what we work with: the content of a string that may come in BER
//! chunks, DER re-encoding of a received element, and small integers.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::*;

/// The content octets of a string type that may be primitive or constructed (BER chunks,
/// nested chunks allowed, definite or indefinite). Borrowed when primitive, owned when
/// concatenated.
///
/// Chunks must be universal OCTET STRINGs when `tlv` is an OCTET STRING or not universal (an
/// IMPLICIT tag, such as `encryptedContent [0]`), and BIT STRINGs when it is a BIT STRING. For
/// the character and time types, chunks may be OCTET STRINGs (X.690 8.23.5 encodes them "as if
/// `IMPLICIT OCTET STRING`") or of the same universal type (what some encoders write). For a
/// BIT STRING the result is the primitive content: the unused-bits octet of the last chunk,
/// then the bits; only the last chunk may have unused bits. `max_depth` bounds the chunk nesting
/// below `tlv`; a total beyond `max_len` octets is [`Limit::MessageSize`].
pub(crate) fn string_content<'a>(
    tlv: &Tlv<'a>,
    max_depth: u8,
    max_len: usize,
) -> Result<Cow<'a, [u8]>, Error> {
    string_content_at(tlv, 0, max_depth, max_len)
}

pub(super) fn string_content_at<'a>(
    tlv: &Tlv<'a>,
    depth: u8,
    max_depth: u8,
    max_len: usize,
) -> Result<Cow<'a, [u8]>, Error> {
    if !tlv.tag.constructed {
        if tlv.content.len() > max_len {
            return Err(Error::LimitExceeded(Limit::MessageSize));
        }
        return Ok(Cow::Borrowed(tlv.content));
    }
    let chunks = match tlv.tag.class {
        Class::Universal if tlv.tag.same_type(Tag::BIT_STRING) => Chunks::Bits,
        Class::Universal if tlv.tag.same_type(Tag::OCTET_STRING) => Chunks::Octets,
        Class::Universal if tlv.tag.is_universal_string() => Chunks::Chars(tlv.tag.number),
        Class::Universal => return Err(MALFORMED),
        _ => Chunks::Octets,
    };
    let bits = chunks == Chunks::Bits;
    let mut out = Vec::with_capacity(tlv.content.len().min(max_len));
    let mut unused = None;
    if bits {
        push_bounded(&mut out, &[0], max_len)?; // replaced below
    }
    let depth = depth.checked_add(1).ok_or(TOO_DEEP)?;
    let reader = Reader::nested(tlv.content, depth, max_depth)?;
    collect_chunks(reader, chunks, &mut out, max_len, &mut unused)?;
    if let (Some(first), Some(u)) = (out.first_mut(), unused) {
        if bits {
            *first = u;
        }
    }
    Ok(Cow::Owned(out))
}

pub(super) fn push_bounded(out: &mut Vec<u8>, data: &[u8], max_len: usize) -> Result<(), Error> {
    match out.len().checked_add(data.len()) {
        Some(total) if total <= max_len => {
            out.extend_from_slice(data);
            Ok(())
        }
        _ => Err(Error::LimitExceeded(Limit::MessageSize)),
    }
}

/// Which chunks a constructed string may hold.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(super) enum Chunks {
    /// Universal OCTET STRINGs.
    Octets,
    /// Universal BIT STRINGs.
    Bits,
    /// Universal OCTET STRINGs or this universal character/time type.
    Chars(u32),
}

impl Chunks {
    fn accepts(self, tag: Tag) -> bool {
        match self {
            Self::Octets => tag.same_type(Tag::OCTET_STRING),
            Self::Bits => tag.same_type(Tag::BIT_STRING),
            Self::Chars(number) => {
                tag.same_type(Tag::OCTET_STRING) || tag.is(Class::Universal, number)
            }
        }
    }
}

/// Appends the data of every chunk read by `reader` (recursing into constructed chunks).
/// `unused` tracks the unused-bits octet of the last BIT STRING chunk seen.
pub(super) fn collect_chunks(
    mut reader: Reader<'_>,
    chunks: Chunks,
    out: &mut Vec<u8>,
    max_len: usize,
    unused: &mut Option<u8>,
) -> Result<(), Error> {
    while !reader.is_empty() {
        let chunk = reader.read_if(|t| chunks.accepts(t))?.ok_or(MALFORMED)?;
        if chunk.tag.constructed {
            let inner = reader.children(&chunk)?;
            collect_chunks(inner, chunks, out, max_len, unused)?;
            continue;
        }
        let data = if chunks == Chunks::Bits {
            let (&u, bits) = chunk.content.split_first().ok_or(MALFORMED)?;
            if u > 7 || (bits.is_empty() && u != 0) || unused.is_some_and(|prev| prev != 0) {
                return Err(MALFORMED);
            }
            *unused = Some(u);
            bits
        } else {
            chunk.content
        };
        push_bounded(out, data, max_len)?;
    }
    Ok(())
}

/// Normalises one element to DER framing without a schema: definite minimal lengths
/// everywhere; constructed universal OCTET STRING, BIT STRING and character/time strings
/// re-encoded as primitive; every other constructed element (SEQUENCE, SET, tagged) re-framed
/// with its children normalised; primitive content copied as is.
///
/// SET OF order is not changed (callers verify signatures over received bytes), and an
/// IMPLICIT-tagged constructed string (such as `[0]` of OCTET STRING chunks) stays constructed:
/// use [`string_content`] for those. `max_depth` bounds the nesting below `tlv`. The output is
/// never much longer than `tlv.raw` (an indefinite header and end-of-contents take 4 octets, a
/// DER header of a content of 64 KiB or more takes 5 or 6); a DER input is returned unchanged.
pub(crate) fn to_der(tlv: &Tlv<'_>, max_depth: u8) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(tlv.raw.len());
    encode_der(tlv, 0, max_depth, &mut out)?;
    Ok(out)
}

pub(super) fn encode_der(
    tlv: &Tlv<'_>,
    depth: u8,
    max_depth: u8,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if !tlv.tag.constructed {
        write_header(out, tlv.tag, tlv.content.len());
        out.extend_from_slice(tlv.content);
        return Ok(());
    }
    if tlv.tag.is_universal_string() {
        let data = string_content_at(tlv, depth, max_depth, usize::MAX)?;
        write_header(out, tlv.tag.with_constructed(false), data.len());
        out.extend_from_slice(&data);
        return Ok(());
    }
    let child_depth = depth.checked_add(1).ok_or(TOO_DEEP)?;
    let mut reader = Reader::nested(tlv.content, child_depth, max_depth)?;
    let start = out.len();
    while !reader.is_empty() {
        let child = reader.read()?;
        encode_der(&child, child_depth, max_depth, out)?;
    }
    let content_len = out.len().checked_sub(start).ok_or(MALFORMED)?;
    let mut header = Vec::with_capacity(16);
    write_header(&mut header, tlv.tag, content_len);
    // Shifts only this element's content: O(content) per element, O(input × depth) overall.
    out.splice(start..start, header);
    Ok(())
}

/// Encodes a DER header (identifier octets and minimal length octets) into `out`.
pub(crate) fn write_header(out: &mut Vec<u8>, tag: Tag, len: usize) {
    let form = if tag.constructed { 0x20 } else { 0x00 };
    let first = tag.class.bits() | form;
    if tag.number < 31 {
        // Lossless: number < 31.
        out.push(first | (tag.number as u8));
    } else {
        out.push(first | 0x1F);
        let significant = (32 - tag.number.leading_zeros()).div_ceil(7);
        for i in (0..significant).rev() {
            let septet = ((tag.number >> (7 * i)) & 0x7F) as u8;
            out.push(if i == 0 { septet } else { septet | 0x80 });
        }
    }
    if len < 0x80 {
        out.push(len as u8); // lossless: len < 0x80
    } else {
        let bytes = len.to_be_bytes();
        let skip = (len.leading_zeros() / 8) as usize;
        let octets = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | octets.len() as u8); // at most size_of::<usize>() octets
        out.extend_from_slice(octets);
    }
}

/// Parses a universal INTEGER as a small non-negative number (CMS version fields). Negative,
/// non-minimal, empty or larger than `u32::MAX` is an error.
pub(crate) fn small_uint(tlv: &Tlv<'_>) -> Result<u32, Error> {
    if tlv.tag != Tag::INTEGER {
        return Err(MALFORMED);
    }
    let digits = match tlv.content {
        [] => return Err(MALFORMED),
        [first, ..] if first & 0x80 != 0 => return Err(MALFORMED), // negative
        [0, second, ..] if second & 0x80 == 0 => return Err(MALFORMED), // not minimal
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    if digits.len() > 4 {
        return Err(MALFORMED);
    }
    Ok(digits
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}
