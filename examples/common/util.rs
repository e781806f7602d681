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

/// The current time for the library's validity checks (it has no clock of its own).
pub fn now() -> scep::trust::UnixTime {
    // A clock before 1970 counts as 1970: every certificate then looks not yet valid.
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    scep::trust::UnixTime::since_epoch(since)
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
        "scep example {name} {} (features: {legacy})",
        env!("CARGO_PKG_VERSION")
    )
}
