//! SCEP (RFC 8894) for Rust.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod attr;
pub(crate) mod ber;
pub mod builder;
pub mod caps;
pub mod cert;
pub mod client;
pub mod crypto;
pub(crate) mod enc;
pub mod envelope;
pub mod error;
pub mod http;
pub mod message;
pub mod oid;
pub(crate) mod pem;
pub mod provider;
pub mod server;

pub use cert::Certificate;
pub use error::Error;

pub use cms;
pub use der;
pub use spki;
pub use x509_cert;
