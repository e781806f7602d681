//! One-time challenge passwords (`scep serve --challenge-mode one-time`), as Microsoft NDES
//! hands them out: each is random, single-use, expires (60 minutes unless `--challenge-ttl`
//! says otherwise) and may be bound to a subject pattern.
//!
//! The store never sees a password: it keeps HMAC-SHA256 of it under a server key (32 random
//! octets in `STATE/challenge-hmac.key`, mode 0600, created on first use and shared by every
//! replica that shares the state directory). A stolen database therefore yields nothing to
//! try against the server. A password is spent by one conditional UPDATE (unused and
//! unexpired → used by this transaction), so two requests — on one replica or two — cannot
//! both redeem it.

use std::path::Path;

use hmac::{KeyInit as _, Mac as _};

use crate::common::util::{hex, unix_now};
use crate::store::{ChallengeRecord, Store, StoreError};

/// The key file's name in the state directory.
pub const KEY_FILE: &str = "challenge-hmac.key";
/// Lifetime of a new password unless told otherwise.
pub const DEFAULT_TTL_SECS: i64 = 60 * 60;

/// How a challenge password is checked.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ChallengeMode {
    /// One password for every device (`--challenge`), as before.
    Static,
    /// Passwords issued one at a time from the admin side.
    OneTime,
}

impl ChallengeMode {
    pub fn parse(s: &str) -> Result<ChallengeMode, String> {
        match s {
            "static" => Ok(ChallengeMode::Static),
            "one-time" | "onetime" => Ok(ChallengeMode::OneTime),
            other => Err(format!("--challenge-mode one-time|static, not {other:?}")),
        }
    }
}

/// Why a password was not accepted: for the operator's log only; the device sees badRequest.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Refusal {
    Missing,
    Unknown,
    Used,
    Expired,
    SubjectMismatch,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "no challenge password",
            Refusal::Unknown => "unknown one-time password",
            Refusal::Used => "one-time password already used",
            Refusal::Expired => "one-time password expired",
            Refusal::SubjectMismatch => "subject does not match the password's pattern",
        }
    }
}

/// The server key the passwords are hashed under.
#[derive(Clone)]
pub struct ChallengeKey([u8; 32]);

impl core::fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChallengeKey(..)")
    }
}

impl ChallengeKey {
    /// Reads `STATE/challenge-hmac.key`, creating it (0600, never through a link) on first use.
    pub fn open(state: &Path) -> Result<ChallengeKey, String> {
        std::fs::create_dir_all(state).map_err(|e| format!("{}: {e}", state.display()))?;
        let path = state.join(KEY_FILE);
        if !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| format!("random: {e}"))?;
            match super::ca::create_exclusive(&path, hex(&key).as_bytes(), 0o600) {
                Ok(()) => {}
                // Another replica made it first: read theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bytes = unhex(text.trim()).ok_or_else(|| format!("{}: not hex", path.display()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{}: not 32 octets", path.display()))?;
        Ok(ChallengeKey(key))
    }

    /// HMAC-SHA256 of `password`, lower-case hex.
    pub fn hash(&self, password: &str) -> String {
        match hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0) {
            Ok(mut mac) => {
                mac.update(password.as_bytes());
                hex(&mac.finalize().into_bytes())
            }
            // HMAC takes any key length; unreachable, but never a panic.
            Err(_) => String::new(),
        }
    }
}

/// Hex (either case) to octets.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The alphabet of new passwords: no 0/O, 1/I/L, so they can be read aloud and typed.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789-";

/// A new password: 20 characters from a 31-letter alphabet in groups of five
/// (`ABCDE-FGHJK-MNPQR-STUVW`), about 99 bits.
pub fn new_password() -> Result<String, String> {
    let mut out = String::with_capacity(23);
    let mut n = 0;
    while n < 20 {
        let mut b = [0u8; 1];
        getrandom::fill(&mut b).map_err(|e| format!("random: {e}"))?;
        // 31 letters (the dash is only a separator): rejection sampling for no bias.
        let v = usize::from(b[0] & 31);
        if v == 31 {
            continue;
        }
        if n > 0 && n % 5 == 0 {
            out.push('-');
        }
        if let Some(&c) = ALPHABET.get(v) {
            out.push(char::from(c));
        }
        n += 1;
    }
    Ok(out)
}

/// A password just issued: shown once, then only its hash remains.
pub struct Issued {
    pub id: i64,
    pub password: String,
    pub expires_at: i64,
    pub subject_pattern: Option<String>,
}

/// Issues a new one-time password valid for `ttl_secs`, optionally bound to `subject`.
pub async fn issue(
    store: &dyn Store,
    key: &ChallengeKey,
    ttl_secs: i64,
    subject: Option<&str>,
) -> Result<Issued, StoreError> {
    let password = new_password().map_err(StoreError)?;
    let now = unix_now();
    let subject_pattern = subject.map(str::trim).filter(|s| !s.is_empty());
    let mut record = ChallengeRecord {
        id: 0,
        hash: key.hash(&password),
        created_at: now,
        expires_at: now.saturating_add(ttl_secs.max(1)),
        subject_pattern: subject_pattern.map(str::to_owned),
        used: None,
    };
    record.id = store.insert_challenge(&record).await?;
    Ok(Issued {
        id: record.id,
        password,
        expires_at: record.expires_at,
        subject_pattern: record.subject_pattern,
    })
}

/// Spends `password` for transaction `tx` whose CSR subject is `subject`.
pub async fn redeem(
    store: &dyn Store,
    key: &ChallengeKey,
    password: &str,
    subject: &str,
    tx: &str,
) -> Result<Result<(), Refusal>, StoreError> {
    if password.is_empty() {
        return Ok(Err(Refusal::Missing));
    }
    let hash = key.hash(password);
    let Some(found) = store.challenge(&hash).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    let now = unix_now();
    if found.used.is_some() {
        return Ok(Err(Refusal::Used));
    }
    if found.expires_at <= now {
        return Ok(Err(Refusal::Expired));
    }
    if let Some(pattern) = &found.subject_pattern {
        if !glob_match(pattern, subject) {
            // Not spent: the right device can still use it.
            return Ok(Err(Refusal::SubjectMismatch));
        }
    }
    if store.redeem_challenge(&hash, now, tx).await? {
        Ok(Ok(()))
    } else {
        // Another request spent it between the look-up and the UPDATE (or it expired).
        Ok(Err(Refusal::Used))
    }
}

/// A duration: `90s`, `30m`, `2h`, `1d`, or a bare number of minutes; in seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (t.get(..i).unwrap_or_default(), c),
        _ => (t, 'm'),
    };
    let n: i64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {s:?} (90s, 30m, 2h, 1d)"))?;
    let secs = match unit.to_ascii_lowercase() {
        's' => n,
        'm' => n.saturating_mul(60),
        'h' => n.saturating_mul(3600),
        'd' => n.saturating_mul(86_400),
        _ => return Err(format!("bad duration {s:?} (90s, 30m, 2h, 1d)")),
    };
    if secs <= 0 || secs > 366 * 86_400 {
        return Err(format!("duration {s:?} out of range (1 s to a year)"));
    }
    Ok(secs)
}

/// `*` matches any run of characters (also none); everything else itself, case-insensitively
/// (`CN=printer-*` matches `CN=printer-42`, `cn=PRINTER-7`).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    // Iterative matcher with one backtrack point (the last `*`): linear space, no recursion.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// The DER of `csr` as the store keeps it: the `challengePassword` value overwritten with as
/// many `0` octets (same lengths, so the structure parses as before; the self-signature no
/// longer verifies, which nothing after intake needs). A static challenge is a shared secret
/// and a one-time one was a secret until spent; neither belongs in a database row or a backup.
/// Re-sent requests compare equal, since both sides are stored this way.
pub fn redacted_csr(csr: &scep::message::Csr) -> Vec<u8> {
    let mut der = csr.as_der().to_vec();
    let Some(attr) = csr
        .attributes()
        .iter()
        .find(|a| a.oid == scep::oid::CHALLENGE_PASSWORD)
    else {
        return der;
    };
    // The attribute's type, then (in its SET) the value: the first copy of the value's
    // octets after the type is the value itself.
    let Ok(oid) = der::Encode::to_der(&attr.oid) else {
        return der;
    };
    let Some(start) = find(&der, &oid) else {
        return der;
    };
    for value in attr.values.iter() {
        let octets = value.value();
        if octets.is_empty() {
            continue;
        }
        if let Some(at) = der
            .get(start..)
            .and_then(|rest| find(rest, octets))
            .map(|i| start + i)
        {
            if let Some(slot) = der.get_mut(at..at + octets.len()) {
                slot.fill(b'0');
            }
        }
    }
    der
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").ok(), Some(90));
        assert_eq!(parse_duration("30").ok(), Some(1800));
        assert_eq!(parse_duration("2h").ok(), Some(7200));
        assert_eq!(parse_duration("1d").ok(), Some(86_400));
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match("CN=printer-*", "CN=printer-42"));
        assert!(glob_match("cn=PRINTER-*", "CN=printer-"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*,O=Example", "CN=x,O=Example"));
        assert!(!glob_match("CN=printer-*", "CN=scanner-1"));
        assert!(!glob_match("CN=a", "CN=ab"));
        assert!(glob_match("C*N*=*", "CN=x"));
    }

    #[test]
    fn passwords_are_random_and_readable() {
        let a = new_password().unwrap_or_default();
        let b = new_password().unwrap_or_default();
        assert_ne!(a, b);
        assert_eq!(a.len(), 23);
        assert_eq!(a.matches('-').count(), 3);
    }

    /// A CSR's challenge is gone from the bytes the store keeps, the request still parses with
    /// the same subject and key, and a request without a challenge is stored as it came.
    #[test]
    fn challenge_is_not_stored() {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
        let spki = scep::provider::rustcrypto::public_key_info(&key).unwrap();
        let sig =
            scep::crypto::SignatureAlgorithm::RsaPkcs1v15(scep::crypto::DigestAlgorithm::Sha256);
        let subject = "CN=redact".parse().unwrap();
        let sign = |tbs: &[u8]| scep::provider::rustcrypto::sign_with_key(&key, sig, tbs);
        let with = scep::builder::csr(&subject, &spki, Some("Tiger-Lily-42"), &[], sig, &mut {
            sign
        })
        .unwrap();
        assert!(with.as_der().windows(13).any(|w| w == b"Tiger-Lily-42"));
        let stored = redacted_csr(&with);
        assert_eq!(stored.len(), with.as_der().len());
        assert!(!stored.windows(13).any(|w| w == b"Tiger-Lily-42"));
        let back = scep::message::Csr::from_der(&stored).unwrap();
        assert_eq!(back.subject(), with.subject());
        assert_eq!(back.public_key(), with.public_key());
        assert_eq!(back.challenge_password().as_deref(), Some("0000000000000"));
        let without = scep::builder::csr(&subject, &spki, None, &[], sig, &mut { sign }).unwrap();
        assert_eq!(redacted_csr(&without), without.as_der());
    }
}
