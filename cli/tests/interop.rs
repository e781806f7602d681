//! The `scep` binary over real HTTP on 127.0.0.1, against itself and the Debian peers
//! (micromdm's `scepclient` and `scepserver`, certmonger, curl). A missing peer skips a test
//! with a printed reason, or fails it when `SCEP_REQUIRE_PEERS=1` (as in `.ci/run`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

#[path = "interop/ec.rs"]
mod ec;
#[path = "interop/examples.rs"]
mod examples;
// The harness for the peers, shared with the library's interop tests.
#[allow(
    dead_code,
    unused_imports,
    reason = "the harness serves every interop module; not all use all of it"
)]
#[path = "../../tests/interop/peers.rs"]
mod peers;
#[path = "interop/proxy.rs"]
mod proxy;
