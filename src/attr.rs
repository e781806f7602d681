//! Typed SCEP signed attributes (RFC 8894 §3.2.1): their values and their wire forms.
//!
//! | attribute        | ASN.1 type      | here             |
//! |------------------|-----------------|------------------|
//! | `transactionID`  | PrintableString | [`TransactionId`]|
//! | `messageType`    | PrintableString | [`MessageType`]  |
//! | `pkiStatus`      | PrintableString | [`PkiStatus`]    |
//! | `failInfo`       | PrintableString | [`FailInfo`]     |
//! | `failInfoText`   | UTF8String      | [`FailInfoText`] |
//! | `senderNonce`, `recipientNonce` | OCTET STRING | [`Nonce`] |

use alloc::string::String;
use core::fmt;

use crate::crypto::SecureRandom;
use crate::error::Error;

/// Whether every character of `s` is in the PrintableString alphabet (X.680 §41.4).
pub fn is_printable(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    })
}

/// Longest transaction ID accepted (bytes).
pub const MAX_TRANSACTION_ID_LEN: usize = 256;
/// Longest `failInfoText` accepted (bytes).
pub const MAX_FAIL_INFO_TEXT_LEN: usize = 4096;

/// `transactionID`: an opaque string naming one enrollment (RFC 8894 §3.2.1.1).
///
/// Built values are PrintableStrings. Received values are kept as sent, even when a peer used
/// another string type (Go's encoder switches to UTF8String for `_` or `@`), so that a reply can
/// echo them exactly.
///
/// ```text
/// id-transactionID  OBJECT IDENTIFIER ::= { id-attributes 7 }  -- 2.16.840.1.113733.1.9.7
/// transactionID     PrintableString  -- a UTF8String is accepted (and echoed) too
/// ```
/// [RFC 8894 §3.2.1.1](https://www.rfc-editor.org/rfc/rfc8894#section-3.2.1.1)
#[derive(Clone, Debug, Eq, PartialEq, Hash, PartialOrd, Ord)]
pub struct TransactionId(String);

impl TransactionId {
    /// A transaction ID from text, which must be a non-empty PrintableString of at most
    /// [`MAX_TRANSACTION_ID_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] otherwise.
    pub fn new(s: &str) -> Result<Self, Error> {
        if s.is_empty() || s.len() > MAX_TRANSACTION_ID_LEN || !is_printable(s) {
            return Err(Error::InvalidInput);
        }
        Ok(Self(s.into()))
    }

    /// A fresh random transaction ID: 16 random bytes as 32 upper-case hex digits.
    ///
    /// # Errors
    /// [`Error::Crypto`] when the generator fails.
    pub fn random(rng: &mut dyn SecureRandom) -> Result<Self, Error> {
        let mut b = [0u8; 16];
        rng.fill(&mut b)?;
        Ok(Self(hex_upper(&b)))
    }

    pub(crate) fn from_wire(s: String) -> Result<Self, Error> {
        if s.is_empty() || s.len() > MAX_TRANSACTION_ID_LEN {
            return Err(Error::InvalidAttribute(
                crate::error::Attribute::TransactionId,
            ));
        }
        Ok(Self(s))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

/// `messageType` (RFC 8894 §3.2.1.2). Closed: any other value, including "18" (the unassigned
/// UpdateReq of old drafts), "0", "" and non-canonical forms such as "019", is an error before
/// any application code runs.
///
/// ```text
/// id-messageType  OBJECT IDENTIFIER ::= { id-attributes 2 }  -- 2.16.840.1.113733.1.9.2
/// messageType     PrintableString  -- "3" CertRep, "17" RenewalReq, "19" PKCSReq,
///                                  -- "20" CertPoll, "21" GetCert, "22" GetCRL
/// ```
/// [RFC 8894 §3.2.1.2](https://www.rfc-editor.org/rfc/rfc8894#section-3.2.1.2)
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// `3`: CertRep, the response to every request.
    CertRep,
    /// `17`: RenewalReq.
    RenewalReq,
    /// `19`: PKCSReq.
    PkcsReq,
    /// `20`: CertPoll (GetCertInitial in older drafts).
    CertPoll,
    /// `21`: GetCert.
    GetCert,
    /// `22`: GetCRL.
    GetCrl,
}

impl MessageType {
    /// The decimal string sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CertRep => "3",
            Self::RenewalReq => "17",
            Self::PkcsReq => "19",
            Self::CertPoll => "20",
            Self::GetCert => "21",
            Self::GetCrl => "22",
        }
    }

    /// The numeric value.
    pub const fn value(self) -> u8 {
        match self {
            Self::CertRep => 3,
            Self::RenewalReq => 17,
            Self::PkcsReq => 19,
            Self::CertPoll => 20,
            Self::GetCert => 21,
            Self::GetCrl => 22,
        }
    }
}

impl TryFrom<&str> for MessageType {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "3" => Self::CertRep,
            "17" => Self::RenewalReq,
            "19" => Self::PkcsReq,
            "20" => Self::CertPoll,
            "21" => Self::GetCert,
            "22" => Self::GetCrl,
            _ => {
                return Err(Error::InvalidAttribute(
                    crate::error::Attribute::MessageType,
                ));
            }
        })
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CertRep => "CertRep",
            Self::RenewalReq => "RenewalReq",
            Self::PkcsReq => "PKCSReq",
            Self::CertPoll => "CertPoll",
            Self::GetCert => "GetCert",
            Self::GetCrl => "GetCRL",
        })
    }
}

/// `pkiStatus` (RFC 8894 §3.2.1.3).
///
/// ```text
/// id-pkiStatus  OBJECT IDENTIFIER ::= { id-attributes 3 }  -- 2.16.840.1.113733.1.9.3
/// pkiStatus     PrintableString  -- "0" SUCCESS, "2" FAILURE, "3" PENDING
/// ```
/// [RFC 8894 §3.2.1.3](https://www.rfc-editor.org/rfc/rfc8894#section-3.2.1.3)
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum PkiStatus {
    /// `0`: the request was granted.
    Success,
    /// `2`: the request was rejected.
    Failure,
    /// `3`: the request awaits manual approval.
    Pending,
}

impl PkiStatus {
    /// The decimal string sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "0",
            Self::Failure => "2",
            Self::Pending => "3",
        }
    }
}

impl TryFrom<&str> for PkiStatus {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "0" => Self::Success,
            "2" => Self::Failure,
            "3" => Self::Pending,
            _ => return Err(Error::InvalidAttribute(crate::error::Attribute::PkiStatus)),
        })
    }
}

/// `failInfo` (RFC 8894 §3.2.1.4).
///
/// ```text
/// id-failInfo  OBJECT IDENTIFIER ::= { id-attributes 4 }  -- 2.16.840.1.113733.1.9.4
/// failInfo     PrintableString  -- "0" badAlg, "1" badMessageCheck, "2" badRequest,
///                               -- "3" badTime, "4" badCertId
/// ```
/// [RFC 8894 §3.2.1.4](https://www.rfc-editor.org/rfc/rfc8894#section-3.2.1.4)
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum FailInfo {
    /// `0`: unrecognised or unsupported algorithm.
    BadAlg,
    /// `1`: integrity check (signature, digest, decryption) failed.
    BadMessageCheck,
    /// `2`: transaction not permitted or supported.
    BadRequest,
    /// `3`: signingTime too far from the CA's clock.
    BadTime,
    /// `4`: no certificate could be identified matching the criteria.
    BadCertId,
}

impl FailInfo {
    /// The decimal string sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadAlg => "0",
            Self::BadMessageCheck => "1",
            Self::BadRequest => "2",
            Self::BadTime => "3",
            Self::BadCertId => "4",
        }
    }
}

impl TryFrom<&str> for FailInfo {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "0" => Self::BadAlg,
            "1" => Self::BadMessageCheck,
            "2" => Self::BadRequest,
            "3" => Self::BadTime,
            "4" => Self::BadCertId,
            _ => return Err(Error::InvalidAttribute(crate::error::Attribute::FailInfo)),
        })
    }
}

impl fmt::Display for FailInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadAlg => "badAlg",
            Self::BadMessageCheck => "badMessageCheck",
            Self::BadRequest => "badRequest",
            Self::BadTime => "badTime",
            Self::BadCertId => "badCertId",
        })
    }
}

/// `failInfoText` (RFC 8894 §3.2.1.4): human-readable text, never to be parsed by machines.
///
/// ```text
/// id-scep-failInfoText  OBJECT IDENTIFIER ::= { id-scep 1 }  -- 1.3.6.1.5.5.7.24.1
/// failInfoText          UTF8String
/// ```
/// [RFC 8894 §3.2.1.4](https://www.rfc-editor.org/rfc/rfc8894#section-3.2.1.4)
#[derive(Clone, Debug, Eq, PartialEq, Hash)]
pub struct FailInfoText(String);

impl FailInfoText {
    /// Text of at most [`MAX_FAIL_INFO_TEXT_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when longer.
    pub fn new(s: &str) -> Result<Self, Error> {
        if s.len() > MAX_FAIL_INFO_TEXT_LEN {
            return Err(Error::InvalidInput);
        }
        Ok(Self(s.into()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FailInfoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest nonce accepted from a peer.
pub const MAX_NONCE_LEN: usize = 64;

/// `senderNonce` / `recipientNonce` (RFC 8894 §3.2.1.5). We send 16 random bytes; we accept 1 to
/// [`MAX_NONCE_LEN`] bytes, because old Apple clients send 8.
///
/// ```text
/// id-senderNonce     OBJECT IDENTIFIER ::= { id-attributes 5 }  -- 2.16.840.1.113733.1.9.5
/// id-recipientNonce  OBJECT IDENTIFIER ::= { id-attributes 6 }  -- 2.16.840.1.113733.1.9.6
/// senderNonce, recipientNonce  OCTET STRING  -- 16 octets
/// ```
/// [RFC 8894 §3.2.1.5](https://www.rfc-editor.org/rfc/rfc8894#section-3.2.1.5)
#[derive(Clone, Copy, Eq, PartialEq, Hash)]
pub struct Nonce {
    buf: [u8; MAX_NONCE_LEN],
    len: u8,
}

impl Nonce {
    /// 16 fresh random bytes.
    ///
    /// # Errors
    /// [`Error::Crypto`] when the generator fails.
    pub fn random(rng: &mut dyn SecureRandom) -> Result<Self, Error> {
        let mut buf = [0u8; MAX_NONCE_LEN];
        rng.fill(buf.get_mut(..16).ok_or(Error::InvalidInput)?)?;
        Ok(Self { buf, len: 16 })
    }

    /// A nonce from bytes (1 to [`MAX_NONCE_LEN`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty or too long value.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let len = u8::try_from(bytes.len()).map_err(|_| Error::InvalidInput)?;
        if bytes.is_empty() {
            return Err(Error::InvalidInput);
        }
        let mut buf = [0u8; MAX_NONCE_LEN];
        buf.get_mut(..bytes.len())
            .ok_or(Error::InvalidInput)?
            .copy_from_slice(bytes);
        Ok(Self { buf, len })
    }

    /// The nonce bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_type_is_closed() {
        for ok in ["3", "17", "19", "20", "21", "22"] {
            assert_eq!(MessageType::try_from(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "18", "0", "", "019", " 19", "+19", "19 ", "23", "4", "1", "-3", "3\0",
        ] {
            assert_eq!(
                MessageType::try_from(bad),
                Err(Error::InvalidAttribute(
                    crate::error::Attribute::MessageType
                )),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn status_and_fail_info_are_closed() {
        for bad in ["1", "4", "", "00", " 0"] {
            assert!(PkiStatus::try_from(bad).is_err(), "{bad:?}");
        }
        for bad in ["5", "", "01", "-1"] {
            assert!(FailInfo::try_from(bad).is_err(), "{bad:?}");
        }
        for (s, v) in [("0", FailInfo::BadAlg), ("4", FailInfo::BadCertId)] {
            assert_eq!(FailInfo::try_from(s).unwrap(), v);
            assert_eq!(v.as_str(), s);
        }
    }

    #[test]
    fn printable_alphabet() {
        assert!(is_printable("HVvzN0228V+AW+dUuDe8OPyDXD0="));
        assert!(is_printable("7XXEY-ERLPU-2JDR9"));
        assert!(!is_printable("a_b"));
        assert!(!is_printable("a@b"));
        assert!(TransactionId::new("a_b").is_err());
        assert!(TransactionId::new("").is_err());
    }

    #[test]
    fn nonce_bounds() {
        assert!(Nonce::from_bytes(&[]).is_err());
        assert!(Nonce::from_bytes(&[0; 65]).is_err());
        assert_eq!(Nonce::from_bytes(&[7; 8]).unwrap().as_bytes(), &[7; 8]);
    }
}
