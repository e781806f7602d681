//! A small zero-copy BER reader (X.690) for walking CMS as real SCEP peers send it.
//!
//! Real SCEP traffic is BER: indefinite lengths (Cisco PIX and IOS, EJBCA), constructed OCTET
//! STRINGs (micromdm's `encryptedContent` is a constructed `[0]` of OCTET STRING chunks), and
//! trailing zero bytes after the content (reported for Cisco PIX: [`Reader::finish_lenient`]).
//! The envelope layer walks CMS with this reader and hands only leaf structures, normalised by
//! [`to_der`], to `der` / `x509-cert`.
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
//! Go's `pkcs7` ber2der refuses, and none of the collected real messages contains it.
//! [`to_der`] always writes minimal lengths.
//!
//! # Resource bounds
//!
//! Every reader knows its nesting depth: [`Reader::new`] is at depth 0, [`Reader::children`]
//! adds one, and a reader deeper than `max_depth` is refused with [`Limit::Depth`] (so
//! `max_depth` constructed levels can be entered; an indefinite-length element, whose end is
//! only found by scanning its content, counts the same way). Finding the end of an indefinite-length element scans its
//! descendants' headers iteratively (no recursion), counting open indefinite levels against the
//! same limit; definite-length children are skipped whole. A reader over an element's content
//! scans again, so the total work is O(input × depth). Recursion (in [`string_content`] and
//! [`to_der`]) goes one level per nesting level and is bounded by `max_depth`. Nothing allocates
//! from a length field: allocations are bounded by the input length.

// The envelope layer is the user of this module.
#![allow(dead_code)]

use crate::error::{Error, Limit, Structure};

mod convert;

#[cfg(test)]
use convert::write_header;
pub(crate) use convert::{small_uint, string_content, to_der};

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

/// The number of identifier and length octets of the element `input` starts with.
#[cfg(feature = "__fuzzing")]
pub(crate) fn header_len(input: &[u8]) -> Result<usize, Error> {
    parse_header(input).map(|h| h.len)
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

#[cfg(test)]
mod tests {
    extern crate std;

    use alloc::borrow::Cow;
    use alloc::vec::Vec;

    use super::*;
    use alloc::vec;

    const DEPTH: u8 = 32;

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// Reads every element at every level; returns how many there were.
    fn walk(mut reader: Reader<'_>) -> Result<usize, Error> {
        let mut n = 0;
        while !reader.is_empty() {
            let tlv = reader.read()?;
            assert!(tlv.raw.len() >= tlv.content.len() + 2);
            n += 1;
            if tlv.tag.constructed {
                n += walk(reader.children(&tlv)?)?;
            }
        }
        reader.finish()?;
        Ok(n)
    }

    fn walk_all(input: &[u8], max_depth: u8) -> Result<usize, Error> {
        walk(Reader::new(input, max_depth))
    }

    /// Reads the single element of `input` and normalises it.
    fn der_of(input: &[u8]) -> Result<Vec<u8>, Error> {
        let mut reader = Reader::new(input, DEPTH);
        let tlv = reader.read()?;
        reader.finish()?;
        to_der(&tlv, DEPTH)
    }

    fn err<T: core::fmt::Debug>(r: Result<T, Error>) -> Error {
        r.expect_err("must be rejected")
    }

    // --- headers -------------------------------------------------------------------------

    #[test]
    fn tags() {
        let one = |h: &str| parse_tag(&hex(h)).map(|(t, _)| t);
        assert_eq!(one("30"), Ok(Tag::SEQUENCE));
        assert_eq!(one("a0"), Ok(Tag::context(0, true)));
        assert_eq!(one("80"), Ok(Tag::context(0, false)));
        assert_eq!(
            one("5f 1f"),
            Ok(Tag {
                class: Class::Application,
                constructed: false,
                number: 31
            })
        );
        assert_eq!(
            one("ff 81 00"),
            Ok(Tag {
                class: Class::Private,
                constructed: true,
                number: 128
            })
        );
        assert_eq!(one("9f ff ff ff 7f").map(|t| t.number), Ok((1 << 28) - 1));
        assert_eq!(parse_tag(&hex("9f 81 00")).map(|(_, n)| n), Ok(3));
        assert_eq!(one(""), Err(MALFORMED));
        assert_eq!(one("1f"), Err(MALFORMED)); // truncated
        assert_eq!(one("1f 80 01"), Err(MALFORMED)); // leading 0x80: not minimal
        assert_eq!(one("1f 05"), Err(MALFORMED)); // low number in high form
        assert_eq!(one("1f 1e"), Err(MALFORMED));
        assert_eq!(one("1f 81"), Err(MALFORMED)); // truncated
        assert_eq!(one("1f ff ff ff ff 7f"), Err(MALFORMED)); // 5 octets
        // Peer crashes listed in SECURITY-NOTES.md.
        for bad in ["30 82 06", "5f 4d", "1f 80", "1f 05", "30 81", "30 84 01"] {
            assert_eq!(walk_all(&hex(bad), DEPTH), Err(MALFORMED), "{bad}");
        }
    }

    #[test]
    fn lengths() {
        let one = |h: &str| parse_length(&hex(h));
        assert_eq!(one("00"), Ok((Length::Definite(0), 1)));
        assert_eq!(one("7f"), Ok((Length::Definite(127), 1)));
        assert_eq!(one("80"), Ok((Length::Indefinite, 1)));
        assert_eq!(one("81 80"), Ok((Length::Definite(128), 2)));
        assert_eq!(one("81 05"), Ok((Length::Definite(5), 2))); // BER allows the long form
        assert_eq!(one("82 01 00"), Ok((Length::Definite(256), 3)));
        assert_eq!(
            one("84 7f ff ff ff"),
            Ok((Length::Definite(0x7fff_ffff), 5))
        );
        assert_eq!(one("81 00"), Err(MALFORMED)); // leading zero octet
        assert_eq!(one("82 00 80"), Err(MALFORMED));
        assert_eq!(one("84 00 00 00 01"), Err(MALFORMED));
        assert_eq!(one("84 80 00 00 00"), Err(MALFORMED)); // "negative"
        assert_eq!(one("85 01 00 00 00 00"), Err(MALFORMED)); // too many octets
        assert_eq!(one("ff"), Err(MALFORMED)); // reserved
        assert_eq!(one("82 01"), Err(MALFORMED)); // truncated
        assert_eq!(one(""), Err(MALFORMED));

        assert_eq!(der_of(&hex("04 81 03 aa bb cc")), Ok(hex("04 03 aa bb cc")));
        assert_eq!(err(der_of(&hex("04 84 7f ff ff ff 00"))), MALFORMED); // overruns
        assert_eq!(err(der_of(&hex("04 80 00 00"))), MALFORMED); // indefinite primitive
    }

    #[test]
    fn write_header_round_trips() {
        let tags = [
            Tag::SEQUENCE,
            Tag::OCTET_STRING,
            Tag::context(0, true),
            Tag::context(30, false),
            Tag {
                class: Class::Application,
                constructed: true,
                number: 31,
            },
            Tag {
                class: Class::Private,
                constructed: false,
                number: 127,
            },
            Tag::context(128, true),
            Tag::context(16_383, false),
            Tag::context(16_384, false),
            Tag::context((1 << 28) - 1, true),
        ];
        let lens = [
            0usize,
            1,
            127,
            128,
            255,
            256,
            65_535,
            65_536,
            0xff_ffff,
            0x100_0000,
            0x7fff_ffff,
        ];
        for tag in tags {
            for len in lens {
                let mut out = Vec::new();
                write_header(&mut out, tag, len);
                let header = parse_header(&out).unwrap();
                assert_eq!(
                    (header.tag, header.length, header.len),
                    (tag, Length::Definite(len), out.len())
                );
            }
        }
        let mut out = Vec::new();
        write_header(&mut out, Tag::SEQUENCE, 0x1_0000);
        assert_eq!(out, hex("30 83 01 00 00"));
    }

    #[test]
    fn small_uints() {
        let one = |h: &str| {
            let input = hex(h);
            let mut reader = Reader::new(&input, DEPTH);
            small_uint(&reader.read().unwrap())
        };
        assert_eq!(one("02 01 00"), Ok(0));
        assert_eq!(one("02 01 03"), Ok(3));
        assert_eq!(one("02 01 7f"), Ok(127));
        assert_eq!(one("02 02 00 80"), Ok(128));
        assert_eq!(one("02 04 7f ff ff ff"), Ok(0x7fff_ffff));
        assert_eq!(one("02 05 00 ff ff ff ff"), Ok(u32::MAX));
        assert_eq!(one("02 00"), Err(MALFORMED));
        assert_eq!(one("02 01 80"), Err(MALFORMED)); // negative
        assert_eq!(one("02 01 ff"), Err(MALFORMED));
        assert_eq!(one("02 02 00 01"), Err(MALFORMED)); // not minimal
        assert_eq!(one("02 05 01 00 00 00 00"), Err(MALFORMED)); // too big
        assert_eq!(one("0a 01 01"), Err(MALFORMED)); // ENUMERATED
        assert_eq!(one("22 03 02 01 01"), Err(MALFORMED)); // constructed
    }

    // --- reader --------------------------------------------------------------------------

    #[test]
    fn reader_api() {
        let input = hex("30 80 02 01 01 04 02 aa bb 00 00 a0 03 05 02 00 31 00");
        let mut top = Reader::new(&input, DEPTH);
        assert_eq!(top.peek_tag(), Some(Tag::SEQUENCE));
        // A mismatch reads nothing.
        assert_eq!(top.read_expect(Tag::SET).map(|t| t.tag), Err(MALFORMED));
        assert!(top.read_optional(Tag::SET).unwrap().is_none());
        let seq = top.read_expect(Tag::SEQUENCE).unwrap();
        assert!(seq.indefinite);
        assert_eq!(seq.raw, &input[..11]);
        assert_eq!(seq.content, &input[2..9]);

        let mut inner = top.children(&seq).unwrap();
        assert_eq!(inner.depth(), 1);
        assert_eq!(small_uint(&inner.read_expect(Tag::INTEGER).unwrap()), Ok(1));
        let os = inner.read_expect_any_form(Tag::OCTET_STRING).unwrap();
        assert_eq!(os.content, &[0xaa, 0xbb]);
        assert!(!os.indefinite);
        assert!(inner.is_empty());
        assert_eq!(inner.peek_tag(), None);
        assert!(inner.read_optional(Tag::NULL).unwrap().is_none());
        assert_eq!(inner.read().map(|t| t.tag), Err(MALFORMED));
        inner.finish().unwrap();
        // A primitive element has no children.
        assert_eq!(top.children(&os).map(|r| r.depth()), Err(MALFORMED));

        // [0] with a definite-length content that holds a malformed child: read lazily.
        let tagged = top.read_optional(Tag::context(0, true)).unwrap().unwrap();
        assert_eq!(tagged.content, &[0x05, 0x02, 0x00]);
        assert_eq!(walk(top.children(&tagged).unwrap()), Err(MALFORMED));
        assert_eq!(top.remaining(), &[0x31, 0x00]);
        assert!(top.clone().finish().is_err());
        assert!(top.clone().finish_lenient().is_err());
        assert!(top.read_optional_any_form(Tag::SET).unwrap().is_some());
        top.finish().unwrap();

        // Trailing zeros (Cisco PIX).
        let padded = hex("05 00 00 00 00");
        let mut r = Reader::new(&padded, DEPTH);
        r.read_expect(Tag::NULL).unwrap();
        assert!(r.clone().finish().is_err());
        r.clone().finish_lenient().unwrap();
        assert_eq!(r.read().map(|t| t.tag), Err(MALFORMED)); // EOC outside indefinite content
        let padded = hex("05 00 00 00 01");
        let mut r = Reader::new(&padded, DEPTH);
        r.read().unwrap();
        assert!(r.finish_lenient().is_err());

        // A malformed identifier is an error for read_optional, not "absent".
        let bad = hex("1f 05 00");
        assert_eq!(
            Reader::new(&bad, DEPTH)
                .read_optional(Tag::NULL)
                .map(|t| t.is_some()),
            Err(MALFORMED)
        );
    }

    #[test]
    fn end_of_contents() {
        for bad in [
            "00 00",                // EOC at top level
            "00 01 00",             // universal 0 with content
            "30 02 00 00",          // EOC inside definite content
            "30 80 00 01 00 00 00", // EOC with a length
            "30 80 00 81 00",       // EOC with a long-form length
            "30 80 20 00",          // constructed EOC
            "30 80 02 01 01",       // no EOC
            "30 80 02 01 01 00",    // half an EOC
            "30 80 30 80 00 00",    // inner EOC only
            "30 80 02 05 01 00 00", // child overruns
        ] {
            assert_eq!(walk_all(&hex(bad), DEPTH), Err(MALFORMED), "{bad}");
        }
        assert_eq!(walk_all(&hex("30 80 00 00"), DEPTH), Ok(1));
        assert_eq!(
            walk_all(&hex("30 80 30 80 00 00 30 00 00 00"), DEPTH),
            Ok(3)
        );
        // Trailing bytes after the top-level element are for the caller to judge.
        let mut r = Reader::new(&[0x30, 0x80, 0x00, 0x00, 0x00, 0x00], DEPTH);
        assert!(r.read().unwrap().indefinite);
        assert_eq!(r.remaining(), &[0, 0]);
    }

    #[test]
    fn depth_limit() {
        // Definite nesting: SEQUENCE × n around NULL.
        let nested = |n: usize| {
            let mut v = hex("05 00");
            for _ in 0..n {
                let mut outer = Vec::new();
                write_header(&mut outer, Tag::SEQUENCE, v.len());
                outer.extend_from_slice(&v);
                v = outer;
            }
            v
        };
        // With max_depth d, d constructed levels can be entered.
        assert_eq!(walk_all(&nested(3), 3), Ok(4));
        assert_eq!(walk_all(&nested(4), 3), Err(TOO_DEEP));
        assert_eq!(walk_all(&nested(1), 0), Err(TOO_DEEP));
        assert_eq!(walk_all(&hex("05 00"), 0), Ok(1));
        assert_eq!(walk_all(&hex("30 80 00 00"), 0), Err(TOO_DEEP));
        assert_eq!(walk_all(&hex("30 80 30 80 00 00 00 00"), 1), Err(TOO_DEEP));
        assert_eq!(walk_all(&hex("30 80 30 80 00 00 00 00"), 2), Ok(2));
        assert_eq!(walk_all(&nested(200), u8::MAX), Ok(201));
        let deep = nested(300);
        assert_eq!(walk_all(&deep, u8::MAX), Err(TOO_DEEP));
        let mut r = Reader::new(&deep, DEPTH);
        let tlv = r.read().unwrap();
        assert_eq!(to_der(&tlv, DEPTH), Err(TOO_DEEP));
        assert_eq!(to_der(&tlv, u8::MAX), Err(TOO_DEEP));
        assert_eq!(
            to_der(&Reader::new(&nested(40), 0).read().unwrap(), 40),
            Ok(nested(40))
        );

        // Nested constructed OCTET STRING chunks.
        let mut chunks = Vec::new();
        for _ in 0..1000 {
            chunks.extend_from_slice(&[0x24, 0x80]);
        }
        chunks.extend_from_slice(&[0x04, 0x01, 0xaa]);
        for _ in 0..1000 {
            chunks.extend_from_slice(&[0x00, 0x00]);
        }
        assert_eq!(
            Reader::new(&chunks, DEPTH).read().map(|t| t.tag),
            Err(TOO_DEEP)
        );
        let tlv = Reader::new(&chunks, u8::MAX).read();
        assert_eq!(tlv.map(|t| t.tag), Err(TOO_DEEP));
    }

    #[test]
    fn deep_indefinite_nesting_is_cheap() {
        let mut input = Vec::with_capacity(200_000);
        for _ in 0..100_000 {
            input.extend_from_slice(&[0x30, 0x80]);
        }
        let start = std::time::Instant::now();
        assert_eq!(
            Reader::new(&input, DEPTH).read().map(|t| t.tag),
            Err(TOO_DEEP)
        );
        assert_eq!(
            Reader::new(&input, u8::MAX).read().map(|t| t.tag),
            Err(TOO_DEEP)
        );
        assert_eq!(walk_all(&input, DEPTH), Err(TOO_DEEP));
        // Also closed: 100000 × (30 80) then 100000 × (00 00).
        input.resize(400_000, 0);
        assert_eq!(walk_all(&input, u8::MAX), Err(TOO_DEEP));
        assert!(
            start.elapsed() < core::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn wide_indefinite_content_is_linear() {
        // DEPTH - 1 indefinite levels around 100000 NULLs: every level rescans, O(n × depth).
        let levels = usize::from(DEPTH) - 1;
        let mut input = Vec::new();
        for _ in 0..levels {
            input.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..100_000 {
            input.extend_from_slice(&[0x05, 0x00]);
        }
        for _ in 0..levels {
            input.extend_from_slice(&[0x00, 0x00]);
        }
        let start = std::time::Instant::now();
        assert_eq!(walk_all(&input, DEPTH), Ok(levels + 100_000));
        let der = der_of(&input).unwrap();
        assert_eq!(walk_all(&der, DEPTH), Ok(levels + 100_000));
        // Each level holds 200000 octets: its DER header (30 83 ..) is one octet longer
        // than 30 80 + 00 00.
        assert_eq!(der.len(), input.len() + levels);
        assert!(
            start.elapsed() < core::time::Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    // --- strings -------------------------------------------------------------------------

    #[test]
    fn constructed_strings() {
        let content = |h: &str, max_len: usize| {
            let input = hex(h);
            let mut r = Reader::new(&input, DEPTH);
            let tlv = r.read().unwrap();
            r.finish().unwrap();
            string_content(&tlv, DEPTH, max_len)
                .map(|c| (matches!(c, Cow::Borrowed(_)), c.into_owned()))
        };
        // Primitive: borrowed.
        assert_eq!(content("04 03 01 02 03", 3), Ok((true, hex("01 02 03"))));
        assert_eq!(content("80 03 01 02 03", 3), Ok((true, hex("01 02 03"))));
        assert_eq!(
            content("04 03 01 02 03", 2),
            Err(Error::LimitExceeded(Limit::MessageSize))
        );
        // micromdm: constructed IMPLICIT [0] with definite-length OCTET STRING chunks.
        let micromdm = "a0 0c 04 04 01 02 03 04 04 04 05 06 07 08";
        assert_eq!(
            content(micromdm, 100),
            Ok((false, hex("01 02 03 04 05 06 07 08")))
        );
        assert_eq!(content(micromdm, 8).map(|c| c.1.len()), Ok(8));
        assert_eq!(
            content(micromdm, 7),
            Err(Error::LimitExceeded(Limit::MessageSize))
        );
        // Indefinite, nested, empty chunks.
        let nested = "24 80 04 01 aa 24 80 04 00 24 03 04 01 bb 00 00 04 01 cc 00 00";
        assert_eq!(content(nested, 100), Ok((false, hex("aa bb cc"))));
        assert_eq!(content("24 00", 100), Ok((false, Vec::new())));
        assert_eq!(content("a0 80 00 00", 100), Ok((false, Vec::new())));
        // Wrong chunk types.
        assert_eq!(content("a0 03 02 01 01", 100), Err(MALFORMED));
        assert_eq!(content("24 03 80 01 01", 100), Err(MALFORMED));
        assert_eq!(content("24 03 13 01 41", 100), Err(MALFORMED));
        assert_eq!(content("30 03 04 01 01", 100), Err(MALFORMED)); // SEQUENCE is no string
        // Character strings: chunks of the same type.
        assert_eq!(
            content("33 80 13 02 41 42 13 01 43 00 00", 100),
            Ok((false, b"ABC".to_vec()))
        );
        assert_eq!(content("33 06 13 01 41 16 01 42", 100), Err(MALFORMED));
        // ... or OCTET STRINGs (X.690 8.23.5), nested too.
        assert_eq!(
            content("33 0a 04 01 41 33 80 04 01 42 00 00", 100),
            Ok((false, b"AB".to_vec()))
        );
        assert_eq!(content("23 03 04 01 00", 100), Err(MALFORMED)); // not in a BIT STRING
        assert_eq!(content("24 03 03 01 00", 100), Err(MALFORMED)); // nor BIT STRING chunks
        assert_eq!(
            content("2c 05 0c 03 e2 82 ac", 100),
            Ok((false, "€".as_bytes().to_vec()))
        );
        // BIT STRING: only the last chunk may have unused bits.
        assert_eq!(
            content("23 80 03 02 00 0a 03 03 04 b0 c0 00 00", 100),
            Ok((false, hex("04 0a b0 c0")))
        );
        assert_eq!(
            content("23 09 03 02 00 0a 23 03 03 01 00", 100),
            Ok((false, hex("00 0a")))
        );
        assert_eq!(content("23 00", 100), Ok((false, hex("00"))));
        assert_eq!(
            content("23 08 03 02 04 a0 03 02 00 0b", 100),
            Err(MALFORMED)
        );
        assert_eq!(content("23 02 03 00", 100), Err(MALFORMED)); // no unused-bits octet
        assert_eq!(content("23 03 03 01 01", 100), Err(MALFORMED)); // unused bits, no data
        assert_eq!(content("23 04 03 02 08 00", 100), Err(MALFORMED)); // 8 unused bits
        assert_eq!(
            content("23 80 03 02 00 0a 03 03 04 b0 c0 00 00", 3),
            Err(Error::LimitExceeded(Limit::MessageSize))
        );
    }

    #[test]
    fn to_der_normalises() {
        let cases = [
            // Indefinite SEQUENCE, SET order kept.
            (
                "30 80 31 80 02 01 02 02 01 01 00 00 00 00",
                "30 08 31 06 02 01 02 02 01 01",
            ),
            // Constructed strings become primitive.
            ("24 80 04 01 aa 24 03 04 01 bb 00 00", "04 02 aa bb"),
            (
                "23 80 03 02 00 0a 03 03 04 b0 c0 00 00",
                "03 04 04 0a b0 c0",
            ),
            ("33 80 13 02 41 42 13 01 43 00 00", "13 03 41 42 43"),
            ("33 80 04 01 41 13 01 42 00 00", "13 02 41 42"),
            (
                "37 80 17 0d 30 34 30 33 31 31 30 39 31 34 35 34 5a 00 00",
                "17 0d 30 34 30 33 31 31 30 39 31 34 35 34 5a",
            ),
            // Tagged constructed elements keep their form (no schema), children normalised.
            (
                "a0 80 04 02 aa bb 24 80 04 01 cc 00 00 00 00",
                "a0 07 04 02 aa bb 04 01 cc",
            ),
            // Long-form lengths become minimal; high tags are kept.
            ("30 81 05 04 81 02 aa bb", "30 04 04 02 aa bb"),
            ("bf 81 00 80 02 01 05 00 00", "bf 81 00 03 02 01 05"),
            // Primitive content copied as is.
            ("01 01 01", "01 01 01"),
        ];
        for (ber, der) in cases {
            assert_eq!(der_of(&hex(ber)), Ok(hex(der)), "{ber}");
            assert_eq!(der_of(&hex(der)), Ok(hex(der)), "{der}");
        }
        // Content of 256 octets inside an indefinite SEQUENCE: DER header grows to 4 octets.
        let mut ber = hex("30 80 04 82 01 00");
        ber.extend_from_slice(&[7; 256]);
        ber.extend_from_slice(&[0, 0]);
        let der = der_of(&ber).unwrap();
        assert_eq!(&der[..8], &hex("30 82 01 04 04 82 01 00")[..]);
        assert_eq!(der.len(), ber.len());
        // Errors inside are reported.
        assert_eq!(
            der_of(&hex("30 80 24 80 02 01 01 00 00 00 00")),
            Err(MALFORMED)
        );
        assert_eq!(der_of(&hex("30 04 30 02 1f 05")), Err(MALFORMED));
    }

    #[test]
    fn tag_constants() {
        let encoded = |t: Tag| {
            let mut v = Vec::new();
            write_header(&mut v, t, 0);
            v[0]
        };
        let expected = [
            (Tag::BOOLEAN, 0x01),
            (Tag::INTEGER, 0x02),
            (Tag::BIT_STRING, 0x03),
            (Tag::OCTET_STRING, 0x04),
            (Tag::NULL, 0x05),
            (Tag::OID, 0x06),
            (Tag::UTF8_STRING, 0x0c),
            (Tag::SEQUENCE, 0x30),
            (Tag::SET, 0x31),
            (Tag::PRINTABLE_STRING, 0x13),
            (Tag::T61_STRING, 0x14),
            (Tag::IA5_STRING, 0x16),
            (Tag::UTC_TIME, 0x17),
            (Tag::GENERALIZED_TIME, 0x18),
            (Tag::BMP_STRING, 0x1e),
            (Tag::context(0, true), 0xa0),
            (Tag::context(1, false), 0x81),
        ];
        for (tag, byte) in expected {
            assert_eq!(encoded(tag), byte, "{tag:?}");
            assert_eq!(parse_tag(&[byte]), Ok((tag, 1)));
        }
        assert!(Tag::OCTET_STRING.is(Class::Universal, 4));
        assert!(Tag::OCTET_STRING.same_type(Tag::OCTET_STRING.with_constructed(true)));
        assert!(!Tag::context(4, false).same_type(Tag::OCTET_STRING));
        let _ = vec![0u8; 0];
    }
}
