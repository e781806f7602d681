//! `scep admin`: operator commands on the store of `scep serve` (the same `--state` and
//! `--database` as the server; they may run while it serves).
//!
//! ```text
//! scep admin [--state DIR] [--database URL] list [--limit N]
//! scep admin [--state DIR] [--database URL] revoke SERIAL [--reason REASON]
//! scep admin [--state DIR] [--database URL] approve TRANSACTION_ID
//! scep admin [--state DIR] [--database URL] reject TRANSACTION_ID
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use crate::common::util::{escape, hex, unix_now};
use crate::serve::ca::{parse_reason, serial_bytes};
use crate::store;

const USAGE: &str = "\
usage: scep admin [--state DIR] [--database URL] COMMAND
  list [--limit N]               issued certificates (newest first) and open transactions
  revoke SERIAL [--reason R]     revoke (SERIAL decimal or 0x-hex; R a RFC 5280 reason name
                                 such as keyCompromise, or its number); GetCRL lists it
  approve TRANSACTION_ID         issue a pending request at its next poll
  reject TRANSACTION_ID          refuse a pending request at its next poll";

enum Command {
    List(i64),
    Revoke(i64, Option<u8>),
    Decide(String, bool),
}

fn parse_serial(s: &str) -> Result<i64, String> {
    let v = match s.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16),
        None => s.parse(),
    };
    v.map_err(|_| format!("bad serial {s:?}"))
}

fn parse(argv: Vec<String>) -> Result<Option<(PathBuf, Option<String>, Command)>, String> {
    let mut state = PathBuf::from("scep-state");
    let mut database = None;
    let mut it = argv.into_iter();
    let mut command = None;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--state" | "--data-dir" => state = PathBuf::from(value("--state")?),
            "--database" => database = Some(value("--database")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "list" => {
                let mut limit = 100;
                if let Some(flag) = it.next() {
                    if flag != "--limit" {
                        return Err(format!("unknown argument {flag:?}\n{USAGE}"));
                    }
                    let n = it.next().ok_or("--limit needs a value")?;
                    limit = n.parse().map_err(|_| format!("bad --limit {n:?}"))?;
                }
                command = Some(Command::List(limit));
            }
            "revoke" => {
                let serial = parse_serial(&it.next().ok_or("revoke needs a SERIAL")?)?;
                let mut reason = None;
                if let Some(flag) = it.next() {
                    if flag != "--reason" {
                        return Err(format!("unknown argument {flag:?}\n{USAGE}"));
                    }
                    let r = it.next().ok_or("--reason needs a value")?;
                    reason = Some(parse_reason(&r).ok_or_else(|| format!("unknown reason {r:?}"))?);
                }
                command = Some(Command::Revoke(serial, reason));
            }
            "approve" | "reject" => {
                let id = it
                    .next()
                    .ok_or_else(|| format!("{arg} needs a TRANSACTION_ID"))?;
                command = Some(Command::Decide(id, arg == "approve"));
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let command = command.ok_or_else(|| format!("no command\n{USAGE}"))?;
    Ok(Some((state, database, command)))
}

async fn run(state: PathBuf, database: Option<String>, command: Command) -> Result<(), String> {
    let url = crate::serve::admin_database_url(&state, database.as_deref());
    let store = store::open(&url).await.map_err(|e| e.to_string())?;
    match command {
        Command::List(limit) => {
            let (certs, txs) = store.list(limit).await.map_err(|e| e.to_string())?;
            println!("issued ({}):", certs.len());
            for c in certs {
                let revoked = match c.revoked {
                    Some((at, reason)) => format!(
                        " REVOKED at {at}{}",
                        reason.map(|r| format!(" reason {r}")).unwrap_or_default()
                    ),
                    None => String::new(),
                };
                println!(
                    "  serial {} (0x{}) not_after {} tx {} subject {}{revoked}",
                    c.serial,
                    hex(&serial_bytes(c.serial)),
                    c.not_after,
                    escape(c.transaction_id.as_deref().unwrap_or("-")),
                    escape(&c.subject),
                );
            }
            println!("open transactions ({}):", txs.len());
            for t in txs {
                println!(
                    "  {} {} subject {}",
                    t.state.as_str(),
                    escape(&t.id),
                    escape(&t.subject)
                );
            }
            Ok(())
        }
        Command::Revoke(serial, reason) => {
            if store
                .revoke(serial, unix_now(), reason)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("revoked serial {serial}");
                Ok(())
            } else {
                Err(format!("no certificate with serial {serial}"))
            }
        }
        Command::Decide(id, approve) => {
            if store
                .decide(&id, approve)
                .await
                .map_err(|e| e.to_string())?
            {
                println!(
                    "{} {}",
                    if approve { "approved" } else { "rejected" },
                    escape(&id)
                );
                Ok(())
            } else {
                Err(format!("no pending transaction {}", escape(&id)))
            }
        }
    }
}

pub fn main(argv: Vec<String>) -> ExitCode {
    let (state, database, command) = match parse(argv) {
        Ok(Some(x)) => x,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scep admin: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scep admin: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(state, database, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scep admin: {e}");
            ExitCode::FAILURE
        }
    }
}
