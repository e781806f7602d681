//! `scep`: a SCEP (RFC 8894) server, client, RA proxy and message inspector.
//!
//! ```text
//! scep serve ...     a CA on SQLite (default) or PostgreSQL     (scep serve --help)
//! scep admin ...     list, revoke, approve/reject pending        (scep admin --help)
//! scep enroll ...    enroll (and renew, poll, GetCert/GetCRL)    (scep enroll --help)
//! scep proxy ...     an RA in front of an upstream SCEP CA       (scep proxy --help)
//! scep inspect ...   explain and lint any SCEP message           (scep inspect --help)
//! ```

use std::process::ExitCode;

/// `println!` without the panic: standard output closed early (`scep ... | head`) ends the
/// output instead of the process.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod admin;
mod common;
mod enroll;
mod inspect;
mod proxy;
mod serve;
mod store;

const USAGE: &str = "\
usage: scep COMMAND [ARGS...]

  serve     a SCEP CA over HTTP, its state in SQLite or PostgreSQL
  admin     operator commands on the server's store (list, revoke, approve, reject)
  enroll    a SCEP client: enroll, renew, GetCert, GetCRL
  proxy     an RA in front of an upstream SCEP CA (with a light-client endpoint)
  inspect   explain and lint a SCEP message
  version   print the version and the compiled-in features

`scep COMMAND --help` for each.";

/// Logs to stderr; `SCEP_LOG=debug` (or `warn`, ...) sets the level (default info).
pub fn init_logging() {
    let level = match std::env::var("SCEP_LOG").as_deref() {
        Ok("trace") => tracing::Level::TRACE,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        Ok("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "serve" => serve::main(rest),
        "admin" => admin::main(rest),
        "enroll" => enroll::main(rest),
        "proxy" => proxy::main(rest),
        "inspect" => inspect::main(rest),
        "version" | "--version" | "-V" => {
            outln!("{}", common::util::version("cli"));
            ExitCode::SUCCESS
        }
        "help" | "-h" | "--help" => {
            outln!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("scep: unknown command {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
