//! Minimal PEM (RFC 7468) reading and writing, tolerant of text around the blocks (OpenSSL
//! "Bag Attributes" headers, keychain exports).

use alloc::string::String;
use alloc::vec::Vec;

use der::pem::{Base64Decoder, Base64Encoder};

/// Every block labelled `want`, decoded.
pub(crate) fn decode_all(text: &[u8], want: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((_, der, used)) = decode_one(rest, want) {
        out.push(der);
        rest = rest.get(used..).unwrap_or(&[]);
    }
    out
}

/// Finds the first `-----BEGIN <label>-----` block (any label when `want` is empty) and
/// returns its label and decoded bytes.
pub(crate) fn decode_first<'a>(text: &'a [u8], want: &str) -> Option<(&'a str, Vec<u8>)> {
    decode_one(text, want).map(|(l, d, _)| (l, d))
}

fn decode_one<'a>(text: &'a [u8], want: &str) -> Option<(&'a str, Vec<u8>, usize)> {
    let text = core::str::from_utf8(text).ok()?;
    let mut rest = text;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let after = rest.get(start + 11..)?;
        let label_end = after.find("-----")?;
        let label = after.get(..label_end)?;
        let body_start = label_end + 5;
        let end_marker_pos = after.find("-----END ")?;
        let body = after.get(body_start..end_marker_pos)?;
        rest = after.get(end_marker_pos + 9..)?;
        if !want.is_empty() && label != want {
            continue;
        }
        let b64: String = body
            .lines()
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        let mut decoder = Base64Decoder::new(b64.as_bytes()).ok()?;
        let mut out = Vec::new();
        decoder.decode_to_end(&mut out).ok()?;
        let used = text.len() - rest.len();
        return Some((label, out, used));
    }
}

/// Encodes `der` as a PEM block with 64-column lines and LF line endings.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let mut b64 = alloc::vec![0u8; der.len().div_ceil(3) * 4 + 4];
    let encoded = Base64Encoder::new(&mut b64)
        .ok()
        .and_then(|mut e| e.encode(der).ok().map(|()| e))
        .and_then(|e| e.finish().ok().map(|s| s.len()));
    let mut out = String::new();
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    if let Some(n) = encoded {
        for chunk in b64.get(..n).unwrap_or(&[]).chunks(64) {
            out.push_str(core::str::from_utf8(chunk).unwrap_or(""));
            out.push('\n');
        }
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}
