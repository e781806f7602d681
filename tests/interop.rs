//! Interoperability tests against other SCEP implementations. One binary, one link step.
//!
//! Peer tests skip (printing `skipped: ...`) when a Debian peer is not installed, and fail instead
//! when `SCEP_REQUIRE_PEERS=1`, as in `.ci/run`.

#[allow(
    dead_code,
    reason = "the harness serves every interop module; not all use all of it"
)]
#[path = "interop/peers.rs"]
mod peers;
#[path = "interop/peers_smoke.rs"]
mod peers_smoke;
