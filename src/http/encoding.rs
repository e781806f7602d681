//! The two encodings of a GET `message` parameter: percent-encoding (RFC 3986 §2.1) and
//! base64 (RFC 4648 §4), written here so that the crate needs no encoding dependency.

use alloc::string::String;
use alloc::vec::Vec;

// ---- Percent-encoding (RFC 3986) ----

pub(super) const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

pub(super) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

pub(super) fn hex_digit(n: u8) -> char {
    HEX_UPPER
        .get(usize::from(n & 0x0f))
        .map_or('0', |&c| char::from(c))
}

/// Appends `bytes` with everything but unreserved characters written as `%XX`.
pub(super) fn percent_encode_into(out: &mut String, bytes: &[u8]) {
    // The exact length up front: one allocation instead of a string that doubles while it
    // grows (for a GET PKIOperation, a 3.4 KB query would otherwise pass through 3.5 and
    // 7 KB buffers at once; a firmware heap notices).
    let len = bytes
        .iter()
        .map(|&b| if is_unreserved(b) { 1 } else { 3 })
        .fold(0usize, usize::saturating_add);
    out.reserve(len);
    for &b in bytes {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b));
        }
    }
}

pub(super) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (either case); `None` for a malformed escape. `+` is left alone.
pub(super) fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut it = input.iter();
    while let Some(&b) = it.next() {
        if b == b'%' {
            let hi = hex_value(*it.next()?)?;
            let lo = hex_value(*it.next()?)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

/// Decodes an `application/x-www-form-urlencoded` text value: `+` is a space, then `%XX`
/// escapes; invalid UTF-8 is replaced. `None` for a malformed escape.
pub(super) fn form_decode(value: &str) -> Option<String> {
    let spaced: Vec<u8> = value
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes = percent_decode(&spaced)?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

// ---- Base64 (RFC 4648) ----

pub(super) const BASE64_STANDARD: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn base64_symbol(index: u32) -> char {
    usize::try_from(index & 0x3f)
        .ok()
        .and_then(|i| BASE64_STANDARD.get(i))
        .map_or('A', |&c| char::from(c))
}

/// Standard base64 with `=` padding (RFC 4648 §4).
pub(super) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = b(0) << 16 | b(1) << 8 | b(2);
        out.push(base64_symbol(n >> 18));
        out.push(base64_symbol(n >> 12));
        out.push(if chunk.len() > 1 {
            base64_symbol(n >> 6)
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            base64_symbol(n)
        } else {
            '='
        });
    }
    out
}

/// Lenient base64: both alphabets (`+` `/` and `-` `_`, even mixed), a space read as `+` (a form
/// decoder's doing), CR, LF and tab skipped, padding optional (or short) but only at the end
/// and never more than the length calls for. Any other character fails. Non-zero trailing bits are
/// tolerated.
pub(super) fn base64_decode_lenient(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mut symbols: usize = 0;
    let mut padding: usize = 0;
    for &c in input {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' | b' ' if padding == 0 => 62,
            b'/' | b'_' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            b'\r' | b'\n' | b'\t' | b' ' => continue,
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        symbols += 1;
        acc = (acc << 6 | u32::from(value)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    // Padding may be absent or short, never more than the last quantum needs.
    match (symbols % 4, padding) {
        (1, _) => None,
        (0, 0) | (2, 0..=2) | (3, 0..=1) => Some(out),
        _ => None,
    }
}
