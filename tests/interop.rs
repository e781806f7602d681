//! Interoperability tests: real messages from other implementations, the OpenSSL command line
//! as a third party, and (where installed) the Debian peers. One binary, one link step.

#[path = "interop/roundtrip.rs"]
mod roundtrip;
#[path = "interop/support.rs"]
mod support;
#[path = "interop/vectors.rs"]
mod vectors;
