//! Driving the Debian SCEP peers on loopback: micromdm's `scepserver` and `scepclient` (package
//! `scep`) and certmonger (package `certmonger`).
//!
//! std only, no crates. Every process started here is owned by a [`ChildGuard`] and killed when
//! the guard drops; every wait is bounded in time and in iterations; every file lives in a
//! [`TempDir`]. Nothing touches `/var/lib/certmonger` or any system configuration.
//!
//! What the peers do on the wire, with captures, is in `tests/data/NOTES.md`; the command lines
//! here are the ones verified there.
//!
//! The harness (processes, temporary directories, HTTP) is in `peers/harness.rs`, each peer in a
//! file of its own; everything is re-exported here.

use core::time::Duration;

#[path = "peers/certmonger.rs"]
mod certmonger;
#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/micromdm.rs"]
mod micromdm;

pub use certmonger::*;
pub use harness::*;
pub use micromdm::*;

/// Set to `1` (CI does) to turn a missing peer into a test failure instead of a skip.
pub const REQUIRE_PEERS_ENV: &str = "SCEP_REQUIRE_PEERS";
/// Set to anything to keep temporary directories (their paths are printed) for a post-mortem.
pub const KEEP_TEMP_ENV: &str = "SCEP_KEEP_TEMP";
/// certmonger's SCEP helper; it is not on `PATH`.
pub const SCEP_SUBMIT: &str = "/usr/lib/certmonger/scep-submit";
/// Upper bound for one `scepclient` run. On PENDING it sleeps 30 s and re-sends the same
/// PKCSReq, so this allows one PENDING round.
pub const SCEPCLIENT_TIMEOUT: Duration = Duration::from_secs(75);
/// Upper bound for a server to start answering GetCACert.
pub const SERVER_START_TIMEOUT: Duration = Duration::from_secs(15);
/// Validity `scepserver` gives the certificates it issues (`-crtvalid`), in days.
pub const MICROMDM_CERT_DAYS: u32 = 30;

pub const POLL_INTERVAL: Duration = Duration::from_millis(25);
pub const MAX_HTTP_RESPONSE: usize = 16 << 20;
pub const CERTMONGER_CA_NAME: &str = "scep-test";
