//! Interoperability tests: real messages from other implementations, the OpenSSL command line
//! as a third party, and (where installed) the Debian peers. One binary, one link step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

// The short API examples (`examples/enroll.rs`, `examples/async_server.rs`) against each other.
#[path = "interop/api_examples.rs"]
mod api_examples;
#[path = "interop/ca_certs.rs"]
mod ca_certs;
// The crate's BER reader on the shared vectors, through `scep::internal`.
#[cfg(feature = "__fuzzing")]
#[path = "interop/ber_vectors.rs"]
mod ber_vectors;
// Needs a curve (`EcKey`); `features` covers the envelope kinds without one.
#[cfg(any(feature = "p256", feature = "p384"))]
#[path = "interop/ec.rs"]
mod ec;
#[path = "interop/features.rs"]
mod features;
#[path = "interop/flows.rs"]
mod flows;
#[path = "interop/hardening.rs"]
mod hardening;
#[path = "interop/openssl.rs"]
mod openssl;
#[path = "interop/oracle.rs"]
mod oracle;
#[path = "interop/oracle_cases.rs"]
mod oracle_cases;
#[path = "interop/quirks.rs"]
mod quirks;
#[path = "interop/roundtrip.rs"]
mod roundtrip;
#[path = "interop/rustcrypto.rs"]
mod rustcrypto;
#[path = "interop/support.rs"]
mod support;
#[path = "interop/surgery.rs"]
mod surgery;
// The trust rules on certificate sets made by the `openssl` command (skipped without it unless
// `SCEP_REQUIRE_PEERS=1`); the unit tests in `src/trust/tests.rs` use fixed files only.
#[path = "interop/trust.rs"]
mod trust;
#[path = "interop/vectors.rs"]
mod vectors;
#[path = "interop/wycheproof.rs"]
mod wycheproof;
// The Debian peers: skipped (printing `skipped: ...`) when one is not installed, a failure
// instead when `SCEP_REQUIRE_PEERS=1`, as in `.ci/run`.
#[path = "interop/captures.rs"]
mod captures;
// The `scep` command against the Debian peers is tested in `cli/tests/` (interop.rs, serve.rs).
#[path = "interop/limits.rs"]
mod limits;
#[allow(
    dead_code,
    reason = "the harness serves every interop module; not all use all of it"
)]
#[path = "interop/peers.rs"]
mod peers;
#[path = "interop/peers_smoke.rs"]
mod peers_smoke;
