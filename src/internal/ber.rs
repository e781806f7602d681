//! The crate's BER reader as the vector tests (`tests/interop/ber_vectors.rs`) see it: an owned
//! tree of what [`Reader`] reads, and the conversions the CMS layer applies. Not part of the API.

use alloc::vec::Vec;

use crate::asn1::ber::{self, Class, Reader, Tlv};
use crate::error::Error;

/// One element as the reader read it, with everything below it.
#[derive(Clone, Debug)]
pub struct BerElement {
    /// 0 universal, 1 application, 2 context-specific, 3 private.
    pub class: u8,
    /// The constructed bit.
    pub constructed: bool,
    /// The tag number.
    pub number: u32,
    /// Whether the length was indefinite (the content ends with end-of-contents octets).
    pub indefinite: bool,
    /// Where the element starts in the input given to [`ber_tree`].
    pub offset: usize,
    /// The whole element's length (header, content, end-of-contents).
    pub raw_len: usize,
    /// Where the content starts in the input given to [`ber_tree`].
    pub content_offset: usize,
    /// The content's length (without the end-of-contents octets).
    pub content_len: usize,
    /// The elements inside a constructed one, each read to its end.
    pub children: Vec<BerElement>,
}

impl BerElement {
    /// The `i`th child.
    pub fn child(&self, i: usize) -> Option<&BerElement> {
        self.children.get(i)
    }

    /// The whole element's octets in `input` (the input given to [`ber_tree`]).
    pub fn raw<'a>(&self, input: &'a [u8]) -> &'a [u8] {
        input
            .get(self.offset..self.offset.saturating_add(self.raw_len))
            .unwrap_or_default()
    }

    /// The content octets in `input`.
    pub fn content<'a>(&self, input: &'a [u8]) -> &'a [u8] {
        input
            .get(self.content_offset..self.content_offset.saturating_add(self.content_len))
            .unwrap_or_default()
    }

    /// How many elements there are below this one, at every level.
    pub fn descendants(&self) -> usize {
        self.children.iter().map(|c| 1 + c.descendants()).sum()
    }
}

fn element(reader: &Reader<'_>, tlv: &Tlv<'_>, offset: usize) -> Result<BerElement, Error> {
    let eoc = if tlv.indefinite { 2 } else { 0 };
    let header = tlv
        .raw
        .len()
        .saturating_sub(tlv.content.len())
        .saturating_sub(eoc);
    let content_offset = offset.saturating_add(header);
    let mut children = Vec::new();
    if tlv.tag.constructed {
        let mut r = reader.children(tlv)?;
        let mut at = content_offset;
        while !r.is_empty() {
            let child = r.read()?;
            let len = child.raw.len();
            children.push(element(&r, &child, at)?);
            at = at.saturating_add(len);
        }
        r.finish()?;
    }
    Ok(BerElement {
        class: match tlv.tag.class {
            Class::Universal => 0,
            Class::Application => 1,
            Class::ContextSpecific => 2,
            Class::Private => 3,
        },
        constructed: tlv.tag.constructed,
        number: tlv.tag.number,
        indefinite: tlv.indefinite,
        offset,
        raw_len: tlv.raw.len(),
        content_offset,
        content_len: tlv.content.len(),
        children,
    })
}

/// Reads the first element of `input` and everything inside it; returns it and how many
/// octets it took (what follows is not looked at).
///
/// # Errors
/// What the reader returns: `Malformed(Ber)`, `LimitExceeded(Depth)`.
pub fn ber_tree(input: &[u8], max_depth: u8) -> Result<(BerElement, usize), Error> {
    let mut r = Reader::new(input, max_depth);
    let tlv = r.read()?;
    Ok((element(&r, &tlv, 0)?, tlv.raw.len()))
}

/// Reads every element of `input` at every level, to the end; returns how many there were.
///
/// # Errors
/// As [`ber_tree`], and `Malformed(Ber)` for octets left over.
pub fn ber_walk(input: &[u8], max_depth: u8) -> Result<usize, Error> {
    let mut r = Reader::new(input, max_depth);
    let mut n = 0usize;
    let mut at = 0usize;
    while !r.is_empty() {
        let tlv = r.read()?;
        let e = element(&r, &tlv, at)?;
        at = at.saturating_add(tlv.raw.len());
        n = n.saturating_add(1).saturating_add(e.descendants());
    }
    r.finish()?;
    Ok(n)
}

/// The single element of `input` normalised to DER, as the CMS layer does before handing BER
/// to the `der` crate.
///
/// # Errors
/// As [`ber_walk`].
pub fn ber_to_der(input: &[u8], max_depth: u8) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(input, max_depth);
    let tlv = r.read()?;
    r.finish()?;
    ber::to_der(&tlv, max_depth)
}

/// The content of the string element `input` starts with (primitive, or constructed from
/// chunks), at most `max_len` octets; and whether it could be borrowed (primitive) rather than
/// assembled.
///
/// # Errors
/// As [`ber_tree`]; `LimitExceeded(MessageSize)` over `max_len`.
pub fn ber_string(input: &[u8], max_depth: u8, max_len: usize) -> Result<(Vec<u8>, bool), Error> {
    let mut r = Reader::new(input, max_depth);
    let tlv = r.read()?;
    let s = ber::string_content(&tlv, max_depth, max_len)?;
    let borrowed = matches!(s, alloc::borrow::Cow::Borrowed(_));
    Ok((s.into_owned(), borrowed))
}

/// Reads the first element of `input`, then accepts only zero octets after it (the padding
/// Cisco PIX appends to its content).
///
/// # Errors
/// As [`ber_tree`]; `Malformed(Ber)` for anything but zeros after the element.
pub fn ber_finish_lenient(input: &[u8], max_depth: u8) -> Result<(), Error> {
    let mut r = Reader::new(input, max_depth);
    r.read()?;
    r.finish_lenient()
}

/// The number of identifier and length octets of the element `input` starts with.
///
/// # Errors
/// `Malformed(Ber)` for a header the reader refuses.
pub fn ber_header_len(input: &[u8]) -> Result<usize, Error> {
    ber::header_len(input)
}
