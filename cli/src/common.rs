//! What the subcommands share.

pub mod ca;
pub mod http_client;
pub mod serve;
pub mod util;
