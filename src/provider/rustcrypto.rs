//! The default provider, on the RustCrypto crates.
