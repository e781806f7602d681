//! What the subcommands share.

pub mod ca;
pub mod http_client;
pub mod http_server;
pub mod key;
pub mod light;
pub mod pin;
pub mod pkcs12;
pub mod serve;
pub mod util;
