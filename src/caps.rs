//! GetCACaps (RFC 8894 §3.5): parse a CA's capability list, render our own, and negotiate the
//! algorithms and transport a client uses.
//!
//! # Parsing
//!
//! [`Capabilities::parse`] is lenient, as RFC 8894 §3.5.2 asks of clients: keywords in any order,
//! separated by CRLF, LF or CR, compared ignoring ASCII case, surrounding whitespace and blank
//! lines ignored. Unknown keywords (including private ones such as `Example.com-CapabilityName`,
//! §6) are kept as sent in [`Capability::Other`]. Input is bounded: at most
//! [`MAX_KEYWORDS`] non-blank lines are looked at, and a line longer than [`MAX_KEYWORD_LEN`]
//! bytes or not valid UTF-8 is skipped. Parsing never fails. [`Capabilities::from_http`] adds the
//! rule that an HTTP error or an empty body means "no capabilities" (§3.5.2).
//!
//! # Rendering
//!
//! [`Capabilities::render`] writes one keyword per line in the exact RFC spelling, each line
//! ended by `\n`, nothing else. Some clients (micromdm) look for keywords by substring, so the
//! output must not contain near-misses such as `SHA-256x`.
//!
//! # Negotiation
//!
//! [`Capabilities::negotiate`] picks the content-encryption and digest algorithms and whether to
//! POST, following RFC 8894 §3.5.2 and §7.5:
//!
//! | advertised                        | cipher        | digest  | POST |
//! |-----------------------------------|---------------|---------|------|
//! | `SCEPStandard`                    | AES-128-CBC   | SHA-256 | yes  |
//! | `AES`, `DES3`, `SHA-1`, `SHA-256` | AES-128-CBC   | SHA-256 | if `POSTPKIOperation` |
//! | `DES3`, `SHA-1`                   | DES-EDE3-CBC  | SHA-1   | if `POSTPKIOperation` |
//! | `SHA-512` only                    | DES-EDE3-CBC  | SHA-512 | if `POSTPKIOperation` |
//! | nothing (old server, or an error) | DES-EDE3-CBC  | SHA-1   | no   |
//!
//! SHA-256 is preferred over SHA-512 because RFC 8894 says AES-128 and SHA-256 SHOULD be used
//! even though larger sizes are allowed. The [`Policy`] can prefer AES-256 (certmonger's reading
//! of `AES`), require or assume `SCEPStandard` against downgrades (§7.5), force the Microsoft NDES
//! profile, and — only with the `insecure-legacy` feature — fall back to single DES and MD5. Every
//! choice is also checked against the [`CryptoProvider`](crate::crypto::CryptoProvider), so an algorithm the provider lacks is
//! never picked.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

mod negotiate;

pub use negotiate::{Negotiated, Policy};

/// Most non-blank lines of a GetCACaps reply that [`Capabilities::parse`] looks at; the rest is
/// ignored.
pub const MAX_KEYWORDS: usize = 64;

/// Longest keyword, in bytes, that [`Capabilities::parse`] accepts; longer lines are ignored.
pub const MAX_KEYWORD_LEN: usize = 64;

/// One GetCACaps keyword (RFC 8894 §3.5.2).
///
/// Known keywords are compared ignoring ASCII case and rendered in the RFC's exact spelling
/// (see [`as_str`](Self::as_str)); anything else is kept as sent in [`Other`](Self::Other).
#[derive(Clone, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `AES`: AES-CBC content encryption (RFC 8894: AES-128-CBC).
    Aes,
    /// `DES3`: triple-DES-CBC content encryption.
    Des3,
    /// `GetNextCACert`: CA rollover certificates are available.
    GetNextCaCert,
    /// `POSTPKIOperation`: PKIOperation messages may be sent by HTTP POST.
    PostPkiOperation,
    /// `Renewal`: RenewalReq is supported.
    Renewal,
    /// `SHA-1`.
    Sha1,
    /// `SHA-256`.
    Sha256,
    /// `SHA-512`.
    Sha512,
    /// `SCEPStandard`: the CA implements all of RFC 8894 §2.9, which implies `AES`,
    /// `POSTPKIOperation` and `SHA-256`.
    ScepStandard,
    /// `Update`: the UpdateReq message of old drafts (not part of RFC 8894).
    Update,
    /// A keyword this crate does not know, kept as sent (e.g. `Example.com-CapabilityName`).
    Other(String),
}

/// The known keywords in rendering order, with their exact spelling.
const KNOWN: [(Capability, &str); 10] = [
    (Capability::Aes, "AES"),
    (Capability::Des3, "DES3"),
    (Capability::GetNextCaCert, "GetNextCACert"),
    (Capability::PostPkiOperation, "POSTPKIOperation"),
    (Capability::Renewal, "Renewal"),
    (Capability::Sha1, "SHA-1"),
    (Capability::Sha256, "SHA-256"),
    (Capability::Sha512, "SHA-512"),
    (Capability::ScepStandard, "SCEPStandard"),
    (Capability::Update, "Update"),
];

impl Capability {
    /// Classifies a keyword, ignoring ASCII case and surrounding whitespace. An unknown keyword
    /// becomes [`Other`](Self::Other) with its text (trimmed) kept as sent.
    pub fn from_keyword(keyword: &str) -> Self {
        let keyword = keyword.trim();
        KNOWN
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(keyword))
            .map_or_else(|| Self::Other(keyword.into()), |(cap, _)| cap.clone())
    }

    /// The keyword as rendered: the exact RFC 8894 spelling (`AES`, `DES3`, `GetNextCACert`,
    /// `POSTPKIOperation`, `Renewal`, `SHA-1`, `SHA-256`, `SHA-512`, `SCEPStandard`, `Update`),
    /// or the text of [`Other`](Self::Other).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Aes => "AES",
            Self::Des3 => "DES3",
            Self::GetNextCaCert => "GetNextCACert",
            Self::PostPkiOperation => "POSTPKIOperation",
            Self::Renewal => "Renewal",
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
            Self::ScepStandard => "SCEPStandard",
            Self::Update => "Update",
            Self::Other(s) => s,
        }
    }

    /// Position in the rendering order: the known keywords in RFC order, then the others.
    fn rank(&self) -> usize {
        KNOWN
            .iter()
            .position(|(cap, _)| cap == self)
            .unwrap_or(KNOWN.len())
    }

    /// Whether the keyword compares equal to `other`, ignoring ASCII case for
    /// [`Other`](Self::Other).
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Other(a), Self::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Capability {
    fn from(keyword: &str) -> Self {
        Self::from_keyword(keyword)
    }
}

/// Whether an [`Other`](Capability::Other) keyword can be rendered as one line of a reply:
/// non-empty, at most [`MAX_KEYWORD_LEN`] bytes, no control characters and no surrounding
/// whitespace.
fn renderable(keyword: &str) -> bool {
    !keyword.is_empty()
        && keyword.len() <= MAX_KEYWORD_LEN
        && !keyword.chars().any(char::is_control)
        && keyword.trim() == keyword
}

/// A set of GetCACaps keywords, kept in rendering order: the known keywords in RFC order, then
/// the others in the order they were added.
#[derive(Clone, Debug, Default, Eq, PartialEq, Hash)]
pub struct Capabilities {
    items: Vec<Capability>,
}

impl Capabilities {
    /// The empty set: "no capabilities", what an old server's silence means.
    pub const fn new() -> Self {
        Self { items: Vec::new() }
    }

    /// A good default set for a server that implements RFC 8894: `AES`, `DES3`,
    /// `POSTPKIOperation`, `Renewal`, `SHA-1`, `SHA-256`, `SHA-512` and `SCEPStandard`.
    ///
    /// `DES3` and `SHA-1` stay for legacy clients (which would otherwise fall back to single
    /// DES), and iOS 10 refuses a server that does not list all three SHA keywords. Removing
    /// `Renewal` makes macOS claim the server cannot renew. `GetNextCACert` is not included:
    /// add it with [`with`](Self::with) only when a rollover certificate is actually available.
    pub fn rfc8894_server() -> Self {
        [
            Capability::Aes,
            Capability::Des3,
            Capability::PostPkiOperation,
            Capability::Renewal,
            Capability::Sha1,
            Capability::Sha256,
            Capability::Sha512,
            Capability::ScepStandard,
        ]
        .into_iter()
        .collect()
    }

    /// Parses the body of a GetCACaps reply. Never fails; see the [module docs](self) for the
    /// rules and bounds.
    pub fn parse(body: &[u8]) -> Self {
        let mut caps = Self::new();
        let lines = body
            .split(|&b| b == b'\n' || b == b'\r')
            .map(<[u8]>::trim_ascii)
            .filter(|line| !line.is_empty())
            .take(MAX_KEYWORDS);
        for line in lines {
            if line.len() > MAX_KEYWORD_LEN {
                continue;
            }
            let Ok(text) = core::str::from_utf8(line) else {
                continue;
            };
            // A byte-order mark some Windows servers put in front of the first line. It is
            // never part of a keyword, so it is dropped from the front of any line (otherwise
            // a keyword kept with it would read differently once rendered as the first line).
            let text = text
                .trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
                .trim_end();
            caps.insert(Capability::from_keyword(text));
        }
        caps
    }

    /// Interprets a whole GetCACaps HTTP response: a status outside 200–299 or an empty body
    /// means "no capabilities" (RFC 8894 §3.5.2); otherwise the body is [parsed](Self::parse).
    /// The Content-Type is deliberately not looked at (§3.5.2 says clients should ignore it).
    pub fn from_http(status: u16, body: &[u8]) -> Self {
        if (200..300).contains(&status) {
            Self::parse(body)
        } else {
            Self::new()
        }
    }

    /// The reply body a server sends: one keyword per line in the exact RFC spelling, each
    /// line ended by `\n`. The empty set renders as the empty string.
    ///
    /// Private keywords added as [`Capability::Other`] are rendered as given. Some clients
    /// look for keywords by substring, so a private keyword that contains a known one (say
    /// `Example.com-NoAES`) will read as that keyword to them.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for cap in &self.items {
            out.push_str(cap.as_str());
            out.push('\n');
        }
        out
    }

    /// Adds a keyword. An [`Other`](Capability::Other) whose text is a known keyword (in any
    /// case) is stored as that keyword.
    ///
    /// Returns whether the set changed: `false` if the keyword was already present, or if an
    /// `Other` keyword cannot be one line of a reply (empty, longer than [`MAX_KEYWORD_LEN`],
    /// surrounded by whitespace or containing a control character such as a line break).
    pub fn insert(&mut self, cap: Capability) -> bool {
        let cap = match cap {
            Capability::Other(text) => match Capability::from_keyword(&text) {
                Capability::Other(_) if !renderable(&text) => return false,
                Capability::Other(_) => Capability::Other(text),
                known => known,
            },
            known => known,
        };
        if self.contains(&cap) {
            return false;
        }
        let rank = cap.rank();
        let at = self
            .items
            .iter()
            .position(|c| c.rank() > rank)
            .unwrap_or(self.items.len());
        self.items.insert(at, cap);
        true
    }

    /// `self` with `cap` [inserted](Self::insert), for building a set in one expression.
    #[must_use]
    pub fn with(mut self, cap: Capability) -> Self {
        self.insert(cap);
        self
    }

    /// Removes a keyword; returns whether it was present.
    pub fn remove(&mut self, cap: &Capability) -> bool {
        let before = self.items.len();
        self.items.retain(|c| !c.same(cap));
        self.items.len() != before
    }

    /// Whether the keyword was advertised literally ([`Other`](Capability::Other) keywords
    /// compare ignoring ASCII case). This does not apply the `SCEPStandard` implications; use
    /// [`supports_post`](Self::supports_post) and [`negotiate`](Self::negotiate) for those.
    pub fn contains(&self, cap: &Capability) -> bool {
        self.items.iter().any(|c| c.same(cap))
    }

    /// The keywords in rendering order.
    pub fn iter(&self) -> core::slice::Iter<'_, Capability> {
        self.items.iter()
    }

    /// Number of keywords.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no keyword was advertised.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether PKIOperation may be sent by POST: `POSTPKIOperation` or `SCEPStandard` (RFC 8894
    /// §3.5.2, §4.1). If so, a client MUST use POST.
    pub fn supports_post(&self) -> bool {
        self.contains(&Capability::PostPkiOperation) || self.contains(&Capability::ScepStandard)
    }

    /// Whether RenewalReq is supported (`Renewal`).
    pub fn supports_renewal(&self) -> bool {
        self.contains(&Capability::Renewal)
    }

    /// Whether GetNextCACert is supported (`GetNextCACert`).
    pub fn supports_get_next_ca_cert(&self) -> bool {
        self.contains(&Capability::GetNextCaCert)
    }
}

impl fmt::Display for Capabilities {
    /// Same as [`Capabilities::render`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for cap in &self.items {
            f.write_str(cap.as_str())?;
            f.write_str("\n")?;
        }
        Ok(())
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        let mut caps = Self::new();
        caps.extend(iter);
        caps
    }
}

impl Extend<Capability> for Capabilities {
    fn extend<I: IntoIterator<Item = Capability>>(&mut self, iter: I) {
        for cap in iter {
            self.insert(cap);
        }
    }
}

impl<'a> IntoIterator for &'a Capabilities {
    type Item = &'a Capability;
    type IntoIter = core::slice::Iter<'a, Capability>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests;
