//! What the subcommands share.

pub mod ca;
pub mod http_client;
pub mod http_server;
pub mod key;
pub mod pin;
pub mod serve;
pub mod util;
