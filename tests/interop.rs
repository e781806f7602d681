//! Interoperability tests: real messages from other implementations, the OpenSSL command line
//! as a third party, and (where installed) the Debian peers. One binary, one link step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

#[path = "interop/flows.rs"]
mod flows;
#[path = "interop/openssl.rs"]
mod openssl;
#[path = "interop/roundtrip.rs"]
mod roundtrip;
#[path = "interop/support.rs"]
mod support;
#[path = "interop/vectors.rs"]
mod vectors;
