//! The admin credential (a password kept only as PBKDF2-HMAC-SHA256), sessions behind an
//! HttpOnly SameSite=Strict cookie, each with its own CSRF token, and form decoding.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::util::hex;
use crate::serve::challenge::Issued;
use crate::serve::challenge::unhex;

/// The file in the state directory that holds the admin password's hash.
pub const PASSWORD_FILE: &str = "admin-password.hash";
/// PBKDF2 rounds: about 50 ms per check here, so guessing online is slow.
const ROUNDS: u32 = 100_000;
/// The session cookie's name.
pub const COOKIE: &str = "scep_admin";
/// A session lasts this long after login.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// At most this many sessions at once (the oldest goes).
const MAX_SESSIONS: usize = 64;

/// `pbkdf2-sha256$ROUNDS$SALT$HASH` (hex).
#[derive(Clone)]
pub struct PasswordHash {
    rounds: u32,
    salt: Vec<u8>,
    hash: [u8; 32],
}

impl core::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("random: {e}"))?;
    Ok(b)
}

fn derive(password: &str, salt: &[u8], rounds: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, rounds, &mut out);
    out
}

/// Equal, in time independent of where they differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl PasswordHash {
    pub fn new(password: &str) -> Result<PasswordHash, String> {
        let salt = random::<16>()?.to_vec();
        Ok(PasswordHash {
            rounds: ROUNDS,
            hash: derive(password, &salt, ROUNDS),
            salt,
        })
    }

    pub fn verify(&self, password: &str) -> bool {
        ct_eq(&derive(password, &self.salt, self.rounds), &self.hash)
    }

    pub fn encode(&self) -> String {
        format!(
            "pbkdf2-sha256${}${}${}",
            self.rounds,
            hex(&self.salt),
            hex(&self.hash)
        )
    }

    pub fn decode(s: &str) -> Option<PasswordHash> {
        let mut parts = s.trim().split('$');
        if parts.next()? != "pbkdf2-sha256" {
            return None;
        }
        let rounds: u32 = parts.next()?.parse().ok()?;
        let salt = unhex(parts.next()?)?;
        let hash: [u8; 32] = unhex(parts.next()?)?.try_into().ok()?;
        (rounds > 0 && parts.next().is_none()).then_some(PasswordHash { rounds, salt, hash })
    }

    /// The hash stored in `STATE/admin-password.hash`, if there is one.
    pub fn load(state: &Path) -> Result<Option<PasswordHash>, String> {
        let path = password_path(state);
        match std::fs::read_to_string(&path) {
            Ok(text) => PasswordHash::decode(&text)
                .map(Some)
                .ok_or_else(|| format!("{}: not a password hash", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the hash (0600), replacing an older one.
    pub fn store(&self, state: &Path) -> Result<PathBuf, String> {
        std::fs::create_dir_all(state).map_err(|e| format!("{}: {e}", state.display()))?;
        let path = password_path(state);
        let tmp = state.join(format!("{PASSWORD_FILE}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        super::super::ca::create_exclusive(&tmp, format!("{}\n", self.encode()).as_bytes(), 0o600)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }
}

pub fn password_path(state: &Path) -> PathBuf {
    state.join(PASSWORD_FILE)
}

/// What the page after a form POST shows once (Post/Redirect/Get: a reload repeats nothing).
pub enum Flash {
    /// A notice: success or not, and its text.
    Notice(bool, String),
    /// A new one-time password, shown once.
    Password(Issued),
}

/// A logged-in browser.
pub struct Session {
    /// The token every form of this session carries in a hidden field.
    csrf: String,
    expires: Instant,
    flash: Option<Flash>,
}

/// The sessions of this process (a restart logs everyone out).
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    /// A new session: its cookie value and CSRF token.
    pub fn open(&self) -> Result<(String, String), String> {
        let id = hex(&random::<32>()?);
        let csrf = hex(&random::<32>()?);
        let mut map = self.0.lock().map_err(|_| "sessions lock poisoned")?;
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        while map.len() >= MAX_SESSIONS {
            let oldest = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                expires: now + SESSION_LIFETIME,
                flash: None,
            },
        );
        Ok((id, csrf))
    }

    /// The CSRF token of the live session of this cookie value.
    pub fn get(&self, id: &str) -> Option<String> {
        let map = self.0.lock().ok()?;
        map.get(id)
            .filter(|s| s.expires > Instant::now())
            .map(|s| s.csrf.clone())
    }

    /// Keeps `flash` for the session's next page.
    pub fn set_flash(&self, id: &str, flash: Flash) {
        if let Ok(mut map) = self.0.lock() {
            if let Some(s) = map.get_mut(id) {
                s.flash = Some(flash);
            }
        }
    }

    /// The flash of the session, removed.
    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        self.0.lock().ok()?.get_mut(id)?.flash.take()
    }

    pub fn close(&self, id: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(id);
        }
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// `application/x-www-form-urlencoded` (also a query string) into pairs.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value of `name` in a decoded form.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hexpair = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| core::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hexpair {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let h = PasswordHash::new("correct horse").unwrap_or_else(|_| unreachable!());
        assert!(h.verify("correct horse"));
        assert!(!h.verify("correct horsE"));
        let back = PasswordHash::decode(&h.encode()).unwrap_or_else(|| unreachable!());
        assert!(back.verify("correct horse"));
        assert!(!h.encode().contains("correct"));
        assert!(PasswordHash::decode("pbkdf2-sha256$1$zz$00").is_none());
    }

    #[test]
    fn forms_and_cookies() {
        let f = form(b"a=1+2&b=%3Cx%3E&c&d=%zz");
        assert_eq!(field(&f, "a"), Some("1 2"));
        assert_eq!(field(&f, "b"), Some("<x>"));
        assert_eq!(field(&f, "c"), Some(""));
        assert_eq!(field(&f, "d"), Some("%zz"));
        assert_eq!(cookie("x=1; scep_admin=abc; y=2", COOKIE), Some("abc"));
        assert_eq!(cookie("x=1", COOKIE), None);
    }
}
