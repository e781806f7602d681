//! A small zero-copy BER reader (X.690) for walking CMS as real SCEP peers send it.
//!
//! Real SCEP traffic is BER: indefinite lengths (Cisco PIX and IOS, EJBCA), constructed OCTET
//! STRINGs (micromdm's `encryptedContent` is a constructed `[0]` of OCTET STRING chunks), and
//! trailing zero bytes after the content (Cisco PIX). The envelope layer walks CMS with this
//! reader and hands only leaf structures, normalised by [`to_der`], to `der` / `x509-cert`.
//!
//! # What is accepted
//!
//! * Tags: all four classes; high tag numbers (`0x1F` form) with at most 4 continuation octets,
//!   minimally encoded (no leading `0x80` octet) and only for numbers of 31 and above, as X.690
//!   8.1.2.2 and 8.1.2.4.2 require even in BER.
//! * Lengths: the short form; the long form with 1 to 4 length octets, whose value is at most
//!   `2^31 - 1` (a 4-octet length with the top bit set is refused as "negative", as Go's
//!   `ber2der` does); the indefinite form on constructed elements only, terminated by exactly
//!   `00 00`.
//!
//! # Decision on non-minimal lengths
//!
//! X.690 8.1.3.5 lets a BER sender use more length octets than necessary. We accept the one
//! harmless and common case, a single long-form octet for a value below 128 (`30 81 05 ..`),
//! but refuse any long-form length whose **first length octet is `0x00`** (`30 82 00 01`,
//! `30 81 00`): that is the shape of the `ber2der_length_leading_zero` regression, it is what
//! Go's `pkcs7` ber2der refuses, and no surveyed SCEP peer emits it. [`to_der`] always writes
//! minimal lengths.
//!
//! # Resource bounds
//!
//! Every reader knows its nesting depth; entering a constructed element beyond `max_depth`
//! fails with [`Limit::Depth`]. Finding the end of an indefinite-length element scans its
//! descendants' headers iteratively (no recursion), counting open indefinite levels against the
//! same limit; definite-length children are skipped whole. A reader over an element's content
//! scans again, so the total work is O(input × depth). Recursion (in [`string_content`] and
//! [`to_der`]) goes one level per nesting level and is bounded by `max_depth`. Nothing allocates
//! from a length field: allocations are bounded by the input length.

// The envelope layer is the user of this module.
#![allow(dead_code)]

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::error::{Error, Limit, Structure};

const MALFORMED: Error = Error::Malformed(Structure::Ber);
const TOO_DEEP: Error = Error::LimitExceeded(Limit::Depth);

/// Largest number of long-form length octets accepted.
const MAX_LENGTH_OCTETS: usize = 4;
/// Largest number of base-128 octets of a high tag number.
const MAX_TAG_OCTETS: usize = 4;

/// The class of a tag (X.690 8.1.2.2).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Class {
    /// Universal.
    Universal,
    /// Application.
    Application,
    /// Context-specific.
    ContextSpecific,
    /// Private.
    Private,
}

impl Class {
    const fn from_bits(first_octet: u8) -> Self {
        match first_octet >> 6 {
            0 => Self::Universal,
            1 => Self::Application,
            2 => Self::ContextSpecific,
            _ => Self::Private,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            Self::Universal => 0x00,
            Self::Application => 0x40,
            Self::ContextSpecific => 0x80,
            Self::Private => 0xC0,
        }
    }
}

/// A decoded identifier: class, primitive/constructed, tag number.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct Tag {
    /// The class.
    pub class: Class,
    /// Whether the encoding is constructed.
    pub constructed: bool,
    /// The tag number.
    pub number: u32,
}

impl Tag {
    /// `BOOLEAN`.
    pub const BOOLEAN: Tag = Tag::universal(1, false);
    /// `INTEGER`.
    pub const INTEGER: Tag = Tag::universal(2, false);
    /// `BIT STRING` (primitive).
    pub const BIT_STRING: Tag = Tag::universal(3, false);
    /// `OCTET STRING` (primitive).
    pub const OCTET_STRING: Tag = Tag::universal(4, false);
    /// `NULL`.
    pub const NULL: Tag = Tag::universal(5, false);
    /// `OBJECT IDENTIFIER`.
    pub const OID: Tag = Tag::universal(6, false);
    /// `UTF8String` (primitive).
    pub const UTF8_STRING: Tag = Tag::universal(12, false);
    /// `SEQUENCE` / `SEQUENCE OF`.
    pub const SEQUENCE: Tag = Tag::universal(16, true);
    /// `SET` / `SET OF`.
    pub const SET: Tag = Tag::universal(17, true);
    /// `PrintableString` (primitive).
    pub const PRINTABLE_STRING: Tag = Tag::universal(19, false);
    /// `T61String` / `TeletexString` (primitive).
    pub const T61_STRING: Tag = Tag::universal(20, false);
    /// `IA5String` (primitive).
    pub const IA5_STRING: Tag = Tag::universal(22, false);
    /// `UTCTime` (primitive).
    pub const UTC_TIME: Tag = Tag::universal(23, false);
    /// `GeneralizedTime` (primitive).
    pub const GENERALIZED_TIME: Tag = Tag::universal(24, false);
    /// `BMPString` (primitive).
    pub const BMP_STRING: Tag = Tag::universal(30, false);

    /// A universal tag.
    pub const fn universal(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Class::Universal,
            constructed,
            number,
        }
    }

    /// A context-specific tag `[n]`.
    pub const fn context(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Class::ContextSpecific,
            constructed,
            number,
        }
    }

    /// Whether the tag has this class and number (either form).
    pub fn is(&self, class: Class, number: u32) -> bool {
        self.class == class && self.number == number
    }

    /// Whether both tags have the same class and number, ignoring primitive/constructed.
    pub fn same_type(&self, other: Tag) -> bool {
        self.is(other.class, other.number)
    }

    /// The same tag with the constructed bit set as given.
    pub const fn with_constructed(self, constructed: bool) -> Tag {
        Tag {
            class: self.class,
            constructed,
            number: self.number,
        }
    }

    /// Whether this is the universal tag 0, reserved for end-of-contents.
    fn is_eoc(&self) -> bool {
        self.is(Class::Universal, 0)
    }

    /// Universal types whose BER encoding may be constructed from chunks of the same type:
    /// BIT STRING, OCTET STRING, ObjectDescriptor and the restricted character string and
    /// time types (X.690 8.6, 8.7, 8.23; UTCTime and GeneralizedTime are VisibleStrings).
    fn is_universal_string(&self) -> bool {
        self.class == Class::Universal && matches!(self.number, 3 | 4 | 7 | 12 | 18..=28 | 30)
    }
}

/// One element: its tag and where its octets are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The whole element: header, content and, for the indefinite form, the end-of-contents.
    pub raw: &'a [u8],
    /// The content octets only (for the indefinite form: between header and end-of-contents).
    pub content: &'a [u8],
    /// Whether the element used the indefinite length form.
    pub indefinite: bool,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Length {
    Definite(usize),
    Indefinite,
}

#[derive(Clone, Copy, Debug)]
struct Header {
    tag: Tag,
    length: Length,
    /// Identifier plus length octets.
    len: usize,
}

/// Parses identifier octets; returns the tag and how many octets it took.
fn parse_tag(input: &[u8]) -> Result<(Tag, usize), Error> {
    let (&first, rest) = input.split_first().ok_or(MALFORMED)?;
    let class = Class::from_bits(first);
    let constructed = first & 0x20 != 0;
    let low = first & 0x1F;
    if low != 0x1F {
        return Ok((
            Tag {
                class,
                constructed,
                number: u32::from(low),
            },
            1,
        ));
    }
    let mut number: u32 = 0;
    for (i, &octet) in rest.iter().take(MAX_TAG_OCTETS).enumerate() {
        if i == 0 && octet == 0x80 {
            return Err(MALFORMED); // leading zero bits: not minimal
        }
        // At most 4 × 7 = 28 bits: cannot overflow.
        number = (number << 7) | u32::from(octet & 0x7F);
        if octet & 0x80 == 0 {
            if number < 31 {
                return Err(MALFORMED); // low numbers must use the one-octet form
            }
            return Ok((
                Tag {
                    class,
                    constructed,
                    number,
                },
                i + 2,
            ));
        }
    }
    Err(MALFORMED) // truncated, or more than MAX_TAG_OCTETS continuation octets
}

/// Parses length octets; returns the length and how many octets it took.
fn parse_length(input: &[u8]) -> Result<(Length, usize), Error> {
    let (&first, rest) = input.split_first().ok_or(MALFORMED)?;
    if first < 0x80 {
        return Ok((Length::Definite(usize::from(first)), 1));
    }
    if first == 0x80 {
        return Ok((Length::Indefinite, 1));
    }
    if first == 0xFF {
        return Err(MALFORMED); // reserved (X.690 8.1.3.5 c)
    }
    let count = usize::from(first & 0x7F);
    if count > MAX_LENGTH_OCTETS {
        return Err(MALFORMED);
    }
    let octets = rest.get(..count).ok_or(MALFORMED)?;
    match octets.first() {
        Some(0) | None => return Err(MALFORMED), // leading zero octet (see module docs)
        Some(&lead) if count == MAX_LENGTH_OCTETS && lead & 0x80 != 0 => return Err(MALFORMED),
        Some(_) => {}
    }
    let value = octets
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    let value = usize::try_from(value).map_err(|_| MALFORMED)?;
    Ok((Length::Definite(value), count + 1))
}

fn parse_header(input: &[u8]) -> Result<Header, Error> {
    let (tag, tag_len) = parse_tag(input)?;
    let (length, len_len) = parse_length(input.get(tag_len..).ok_or(MALFORMED)?)?;
    if length == Length::Indefinite && !tag.constructed {
        return Err(MALFORMED); // X.690 8.1.3.2 a
    }
    Ok(Header {
        tag,
        length,
        len: tag_len + len_len,
    })
}

/// Length of the content of an indefinite-length element, given the octets after its header
/// (the end-of-contents is not counted). `depth` is the nesting depth of the element itself.
///
/// Iterative: scans headers, skips definite-length elements whole and counts open
/// indefinite-length ones, so it runs in O(`rest.len()`) without recursion.
fn indefinite_content_len(rest: &[u8], depth: u8, max_depth: u8) -> Result<usize, Error> {
    let depth = u32::from(depth);
    let max_depth = u32::from(max_depth);
    // Open indefinite elements, the outermost being the one whose content we measure.
    let mut open: u32 = 1;
    if depth + open > max_depth {
        return Err(TOO_DEEP);
    }
    let mut pos = 0usize;
    loop {
        let here = rest.get(pos..).ok_or(MALFORMED)?;
        let header = parse_header(here)?;
        if header.tag.is_eoc() {
            if header.tag.constructed || header.length != Length::Definite(0) || header.len != 2 {
                return Err(MALFORMED);
            }
            open -= 1;
            if open == 0 {
                return Ok(pos);
            }
            pos += 2;
            continue;
        }
        pos = pos.checked_add(header.len).ok_or(MALFORMED)?;
        match header.length {
            Length::Definite(n) => {
                pos = pos.checked_add(n).ok_or(MALFORMED)?;
                if pos > rest.len() {
                    return Err(MALFORMED);
                }
            }
            Length::Indefinite => {
                open += 1;
                if depth + open > max_depth {
                    return Err(TOO_DEEP);
                }
            }
        }
    }
}

/// A reader over a sequence of BER elements (a whole message, or one element's content).
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    /// Number of constructed elements around `input`.
    depth: u8,
    max_depth: u8,
}

impl<'a> Reader<'a> {
    /// A reader over `input` at depth 0; constructed elements may be entered down to
    /// `max_depth` levels.
    pub fn new(input: &'a [u8], max_depth: u8) -> Self {
        Self {
            input,
            depth: 0,
            max_depth,
        }
    }

    fn nested(input: &'a [u8], depth: u8, max_depth: u8) -> Result<Self, Error> {
        if depth > max_depth {
            return Err(TOO_DEEP);
        }
        Ok(Self {
            input,
            depth,
            max_depth,
        })
    }

    /// Whether no octets remain.
    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// The octets not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.input
    }

    /// The nesting depth of this reader (0 for the outermost).
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The tag of the next element, if there is one and its identifier octets are well formed.
    pub fn peek_tag(&self) -> Option<Tag> {
        parse_tag(self.input).ok().map(|(tag, _)| tag)
    }

    /// Reads the next element. On error the reader is left where it was.
    pub fn read(&mut self) -> Result<Tlv<'a>, Error> {
        let header = parse_header(self.input)?;
        if header.tag.is_eoc() {
            return Err(MALFORMED); // end-of-contents only terminates indefinite content
        }
        let rest = self.input.get(header.len..).ok_or(MALFORMED)?;
        let (content_len, total) = match header.length {
            Length::Definite(n) => (n, header.len.checked_add(n).ok_or(MALFORMED)?),
            Length::Indefinite => {
                let n = indefinite_content_len(rest, self.depth, self.max_depth)?;
                let total = header.len.checked_add(n).and_then(|t| t.checked_add(2));
                (n, total.ok_or(MALFORMED)?)
            }
        };
        let content = rest.get(..content_len).ok_or(MALFORMED)?;
        let (raw, remaining) = self.input.split_at_checked(total).ok_or(MALFORMED)?;
        self.input = remaining;
        Ok(Tlv {
            tag: header.tag,
            raw,
            content,
            indefinite: header.length == Length::Indefinite,
        })
    }

    /// Reads the next element if `want` accepts its tag. A malformed identifier is an error.
    fn read_if(&mut self, want: impl FnOnce(Tag) -> bool) -> Result<Option<Tlv<'a>>, Error> {
        if self.input.is_empty() {
            return Ok(None);
        }
        let (tag, _) = parse_tag(self.input)?;
        if !want(tag) {
            return Ok(None);
        }
        self.read().map(Some)
    }

    /// Reads the next element, which must have exactly `tag` (class, number and form).
    pub fn read_expect(&mut self, tag: Tag) -> Result<Tlv<'a>, Error> {
        self.read_if(|t| t == tag)?.ok_or(MALFORMED)
    }

    /// Reads the next element, which must have `tag`'s class and number, in either form (for
    /// string types, which BER may send constructed).
    pub fn read_expect_any_form(&mut self, tag: Tag) -> Result<Tlv<'a>, Error> {
        self.read_if(|t| t.same_type(tag))?.ok_or(MALFORMED)
    }

    /// Reads the next element if it has exactly `tag`; otherwise reads nothing.
    pub fn read_optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, Error> {
        self.read_if(|t| t == tag)
    }

    /// Reads the next element if it has `tag`'s class and number, in either form.
    pub fn read_optional_any_form(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, Error> {
        self.read_if(|t| t.same_type(tag))
    }

    /// A reader over the content of `tlv` (read from this reader), one level deeper.
    pub fn children(&self, tlv: &Tlv<'a>) -> Result<Reader<'a>, Error> {
        if !tlv.tag.constructed {
            return Err(MALFORMED);
        }
        let depth = self.depth.checked_add(1).ok_or(TOO_DEEP)?;
        Self::nested(tlv.content, depth, self.max_depth)
    }

    /// Succeeds if every octet has been read.
    pub fn finish(&self) -> Result<(), Error> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(MALFORMED)
        }
    }

    /// Succeeds if nothing but zero octets remains (Cisco PIX pads its content with them).
    pub fn finish_lenient(&self) -> Result<(), Error> {
        if self.input.iter().all(|&b| b == 0) {
            Ok(())
        } else {
            Err(MALFORMED)
        }
    }
}

/// The content octets of a string type that may be primitive or constructed (BER chunks,
/// nested chunks allowed, definite or indefinite). Borrowed when primitive, owned when
/// concatenated.
///
/// Chunks must be universal OCTET STRINGs when `tlv` is not universal (an IMPLICIT tag, such as
/// `encryptedContent [0]`), and otherwise of `tlv`'s own universal string type. For a
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

fn string_content_at<'a>(
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
    let chunk_tag = match tlv.tag.class {
        Class::Universal if tlv.tag.is_universal_string() => tlv.tag.with_constructed(false),
        Class::Universal => return Err(MALFORMED),
        _ => Tag::OCTET_STRING,
    };
    let bits = chunk_tag == Tag::BIT_STRING;
    let mut out = Vec::with_capacity(tlv.content.len().min(max_len));
    let mut unused = None;
    if bits {
        push_bounded(&mut out, &[0], max_len)?; // replaced below
    }
    let depth = depth.checked_add(1).ok_or(TOO_DEEP)?;
    let reader = Reader::nested(tlv.content, depth, max_depth)?;
    collect_chunks(reader, chunk_tag, &mut out, max_len, &mut unused)?;
    if let (Some(first), Some(u)) = (out.first_mut(), unused) {
        if bits {
            *first = u;
        }
    }
    Ok(Cow::Owned(out))
}

fn push_bounded(out: &mut Vec<u8>, data: &[u8], max_len: usize) -> Result<(), Error> {
    match out.len().checked_add(data.len()) {
        Some(total) if total <= max_len => {
            out.extend_from_slice(data);
            Ok(())
        }
        _ => Err(Error::LimitExceeded(Limit::MessageSize)),
    }
}

/// Appends the data of every chunk read by `reader` (recursing into constructed chunks).
/// `unused` tracks the unused-bits octet of the last BIT STRING chunk seen.
fn collect_chunks(
    mut reader: Reader<'_>,
    chunk_tag: Tag,
    out: &mut Vec<u8>,
    max_len: usize,
    unused: &mut Option<u8>,
) -> Result<(), Error> {
    while !reader.is_empty() {
        let chunk = reader.read_expect_any_form(chunk_tag)?;
        if chunk.tag.constructed {
            let inner = reader.children(&chunk)?;
            collect_chunks(inner, chunk_tag, out, max_len, unused)?;
            continue;
        }
        let data = if chunk_tag == Tag::BIT_STRING {
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

fn encode_der(tlv: &Tlv<'_>, depth: u8, max_depth: u8, out: &mut Vec<u8>) -> Result<(), Error> {
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
