//! Small helpers shared by the example client, server and proxy: times, names, key files, hex,
//! the version line.

use core::str::FromStr;
use core::time::Duration;
use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use x509_cert::name::Name;

/// Seconds since the Unix epoch, as a DER time (whole seconds).
pub fn der_time(t: SystemTime) -> Result<der::DateTime, String> {
    let since = t.duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?;
    der::DateTime::from_unix_duration(Duration::from_secs(since.as_secs()))
        .map_err(|e| e.to_string())
}

/// Writes a private key file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a private key to a new file readable by its owner only (mode 0600); fails when
/// anything exists at `path`, a symbolic link included (`O_CREAT | O_EXCL`).
pub fn create_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Names are given as `CN=device,O=example` (RFC 4514).
pub fn parse_name(s: &str) -> Result<Name, String> {
    Name::from_str(s).map_err(|e| format!("bad name {s:?}: {e}"))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `scep example NAME 0.1.0 (features: insecure-legacy)` for `--version`: the interop tests
/// read the features from it.
pub fn version(name: &str) -> String {
    let legacy = if cfg!(feature = "insecure-legacy") {
        "insecure-legacy"
    } else {
        "-"
    };
    format!(
        "scep {name} {} (features: {legacy})",
        env!("CARGO_PKG_VERSION")
    )
}

/// Seconds since the Unix epoch (0 before it).
pub fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Now, in seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

/// Request-derived text for a log line: control characters, quotes and backslashes escaped.
pub fn escape(s: &str) -> String {
    s.escape_debug().to_string()
}

/// A secret from `--NAME VALUE`, `--NAME-file FILE` (first line) or the environment variable.
pub fn read_secret_file(path: &str) -> Result<String, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// The time now, for the library's validity checks.
pub fn now() -> scep::trust::UnixTime {
    // A clock before 1970 counts as 1970: every certificate then looks not yet valid.
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    scep::trust::UnixTime::since_epoch(since)
}
