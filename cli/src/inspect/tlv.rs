//! A BER tree walker for diagnostics. The library reads BER too, but deliberately hides how a
//! message was encoded; here every encoding choice is the point: indefinite lengths, chunked
//! (constructed) strings, over-long length fields, attribute order.

use std::fmt;

/// Deepest nesting walked (certificates need about 10; pkiMessages about 20).
const MAX_DEPTH: usize = 64;
/// Most elements walked in one input.
const MAX_NODES: usize = 200_000;

/// Why the input is not BER.
#[derive(Debug)]
pub struct BerError {
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for BerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not BER at offset {}: {}", self.offset, self.what)
    }
}

/// One element with its children (for constructed elements).
#[derive(Debug)]
pub struct Tlv<'a> {
    /// Offset of the identifier octet in the whole input.
    pub offset: usize,
    /// 0 universal, 1 application, 2 context-specific, 3 private.
    pub class: u8,
    pub constructed: bool,
    pub number: u32,
    /// Indefinite length (`0x80`, ended by `00 00`).
    pub indefinite: bool,
    /// The length octets are not the shortest form (DER requires it).
    pub long_length: bool,
    /// The content octets (without an end-of-contents marker).
    pub content: &'a [u8],
    /// The whole element as received (with an end-of-contents marker).
    pub raw: &'a [u8],
    pub children: Vec<Tlv<'a>>,
}

/// Universal tag numbers.
pub const INTEGER: u32 = 2;
pub const OCTET_STRING: u32 = 4;
pub const NULL: u32 = 5;
pub const OID: u32 = 6;
pub const SEQUENCE: u32 = 16;
pub const SET: u32 = 17;
pub const PRINTABLE_STRING: u32 = 19;

impl<'a> Tlv<'a> {
    pub fn is_universal(&self, number: u32) -> bool {
        self.class == 0 && self.number == number
    }

    pub fn is_context(&self, number: u32) -> bool {
        self.class == 2 && self.number == number
    }

    pub fn child(&self, i: usize) -> Option<&Tlv<'a>> {
        self.children.get(i)
    }

    /// The content of a string type, with the chunks of a constructed string joined.
    pub fn string_octets(&self) -> Vec<u8> {
        if !self.constructed {
            return self.content.to_vec();
        }
        let mut out = Vec::new();
        for c in &self.children {
            out.extend(c.string_octets());
        }
        out
    }

    /// How many primitive chunks a constructed string was cut into (1 for a primitive one).
    pub fn chunks(&self) -> usize {
        if self.constructed {
            self.children.iter().map(Tlv::chunks).sum()
        } else {
            1
        }
    }

    /// The universal type name (`SEQUENCE`, `PrintableString`, ...) or `[n]`.
    pub fn type_name(&self) -> String {
        if self.class != 0 {
            let class = ["UNIVERSAL", "APPLICATION", "", "PRIVATE"];
            let c = class.get(usize::from(self.class)).copied().unwrap_or("");
            return if c.is_empty() {
                format!("[{}]", self.number)
            } else {
                format!("[{c} {}]", self.number)
            };
        }
        universal_name(self.number)
            .map_or_else(|| format!("UNIVERSAL {}", self.number), String::from)
    }

    /// Whether this element is DER as far as framing goes: definite, shortest lengths,
    /// primitive strings, throughout.
    pub fn framing_is_der(&self) -> bool {
        let mut stats = Stats::default();
        stats.add(self, "");
        stats.indefinite == 0 && stats.long_lengths == 0 && stats.constructed_strings.is_empty()
    }
}

pub fn universal_name(number: u32) -> Option<&'static str> {
    Some(match number {
        1 => "BOOLEAN",
        2 => "INTEGER",
        3 => "BIT STRING",
        4 => "OCTET STRING",
        5 => "NULL",
        6 => "OBJECT IDENTIFIER",
        12 => "UTF8String",
        16 => "SEQUENCE",
        17 => "SET",
        19 => "PrintableString",
        20 => "TeletexString",
        22 => "IA5String",
        23 => "UTCTime",
        24 => "GeneralizedTime",
        26 => "VisibleString",
        28 => "UniversalString",
        30 => "BMPString",
        _ => return None,
    })
}

/// Parses one element at the start of `input`; returns it and the number of bytes it took.
pub fn parse(input: &[u8]) -> Result<(Tlv<'_>, usize), BerError> {
    let mut nodes = 0usize;
    parse_at(input, 0, 0, &mut nodes)
}

fn err(offset: usize, what: &'static str) -> BerError {
    BerError { offset, what }
}

fn parse_at<'a>(
    input: &'a [u8],
    base: usize,
    depth: usize,
    nodes: &mut usize,
) -> Result<(Tlv<'a>, usize), BerError> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        return Err(err(base, "too many elements"));
    }
    if depth > MAX_DEPTH {
        return Err(err(base, "nested too deeply"));
    }
    let first = *input
        .first()
        .ok_or(err(base, "truncated (no identifier)"))?;
    let class = first >> 6;
    let constructed = first & 0x20 != 0;
    let mut pos = 1usize;
    let mut number = u32::from(first & 0x1f);
    if number == 0x1f {
        number = 0;
        loop {
            let b = *input
                .get(pos)
                .ok_or(err(base + pos, "truncated tag number"))?;
            pos += 1;
            if pos > 6 {
                return Err(err(base, "tag number too long"));
            }
            number = (number << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let len_octet = *input
        .get(pos)
        .ok_or(err(base + pos, "truncated (no length)"))?;
    pos += 1;
    let mut long_length = false;
    let length = if len_octet < 0x80 {
        Some(usize::from(len_octet))
    } else if len_octet == 0x80 {
        None
    } else {
        let n = usize::from(len_octet & 0x7f);
        if n > 4 {
            return Err(err(base + pos - 1, "length field longer than 4 octets"));
        }
        let bytes = input
            .get(pos..pos + n)
            .ok_or(err(base + pos, "truncated length"))?;
        pos += n;
        let mut v = 0usize;
        for b in bytes {
            v = (v << 8) | usize::from(*b);
        }
        if v > 0x7fff_ffff {
            return Err(err(base + pos - n - 1, "negative (over-long) length"));
        }
        // DER wants the shortest form: short form below 128, no leading zero octet.
        if v < 0x80 || bytes.first() == Some(&0) {
            long_length = true;
        }
        Some(v)
    };
    let mut children = Vec::new();
    match length {
        Some(len) => {
            let content = input
                .get(pos..pos + len)
                .ok_or(err(base, "length runs past the end of the input"))?;
            if constructed {
                let mut off = 0usize;
                while off < content.len() {
                    let rest = content.get(off..).unwrap_or(&[]);
                    let (child, used) = parse_at(rest, base + pos + off, depth + 1, nodes)?;
                    children.push(child);
                    off += used;
                }
            }
            let total = pos + len;
            Ok((
                Tlv {
                    offset: base,
                    class,
                    constructed,
                    number,
                    indefinite: false,
                    long_length,
                    content,
                    raw: input.get(..total).unwrap_or(&[]),
                    children,
                },
                total,
            ))
        }
        None => {
            if !constructed {
                return Err(err(base, "indefinite length on a primitive element"));
            }
            let mut off = pos;
            loop {
                let rest = input
                    .get(off..)
                    .ok_or(err(base + off, "missing end-of-contents"))?;
                if rest.len() < 2 {
                    return Err(err(base + off, "missing end-of-contents"));
                }
                if rest.get(..2) == Some(&[0, 0]) {
                    break;
                }
                let (child, used) = parse_at(rest, base + off, depth + 1, nodes)?;
                children.push(child);
                off += used;
            }
            Ok((
                Tlv {
                    offset: base,
                    class,
                    constructed,
                    number,
                    indefinite: true,
                    long_length: false,
                    content: input.get(pos..off).unwrap_or(&[]),
                    raw: input.get(..off + 2).unwrap_or(&[]),
                    children,
                },
                off + 2,
            ))
        }
    }
}

/// Encoding facts gathered over a tree.
#[derive(Debug, Default)]
pub struct Stats {
    pub elements: usize,
    pub indefinite: usize,
    pub long_lengths: usize,
    /// Where constructed (chunked) strings were found: a path description per occurrence.
    pub constructed_strings: Vec<String>,
}

impl Stats {
    pub fn add(&mut self, t: &Tlv<'_>, path: &str) {
        self.elements += 1;
        if t.indefinite {
            self.indefinite += 1;
        }
        if t.long_length {
            self.long_lengths += 1;
        }
        let string_type = t.class == 0 && matches!(t.number, 3 | 4 | 12 | 19 | 20 | 22 | 26 | 30);
        if string_type && t.constructed {
            self.constructed_strings.push(format!(
                "{} at offset {}{path}",
                t.type_name(),
                t.offset
            ));
        }
        if t.constructed && !string_type {
            for c in &t.children {
                self.add(c, path);
            }
        }
    }
}

/// Whether DER's SET OF order holds: each element's encoding is not greater than the next
/// (X.690 11.6: compared as octet strings, the shorter one padded with zeros).
pub fn set_of_sorted(elements: &[&[u8]]) -> bool {
    elements
        .windows(2)
        .all(|w| matches!(w, [a, b] if der_set_cmp(a, b) != std::cmp::Ordering::Greater))
}

fn der_set_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
