//! `scep admin`: operator commands on the store of `scep serve` (the same `--state` and
//! `--database` as the server; they may run while it serves).
//!
//! ```text
//! scep admin [--state DIR] [--database URL] list [--limit N]
//! scep admin [--state DIR] [--database URL] revoke SERIAL [--reason REASON]
//! scep admin [--state DIR] [--database URL] approve TRANSACTION_ID
//! scep admin [--state DIR] [--database URL] reject TRANSACTION_ID [--fail-info NAME]
//! scep admin [--state DIR] [--database URL] password new [--ttl 60m] [--subject PATTERN]
//! scep admin [--state DIR] set-password [--password-file FILE]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use crate::common::util::{escape, hex, unix_now};
use crate::serve::admin_web::auth::PasswordHash;
use crate::serve::admin_web::html::time;
use crate::serve::approval::{parse_fail_info, stored_fail_info};
use crate::serve::ca::{parse_reason, serial_bytes};
use crate::serve::challenge::{self, ChallengeKey};
use crate::store::{self, Verdict};
use scep::attr::FailInfo;

/// `scep admin set-password`: the first line of FILE, or of stdin.
fn set_password(state: &std::path::Path, file: Option<&str>) -> Result<(), String> {
    let password = match file {
        Some(f) => crate::common::util::read_secret_file(f)?,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("stdin: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.len() < 8 {
        return Err("the admin password needs at least 8 characters".into());
    }
    let path = PasswordHash::new(&password)?.store(state)?;
    outln!("admin password hash written to {}", path.display());
    Ok(())
}

const USAGE: &str = "\
usage: scep admin [--state DIR] [--database URL] COMMAND
  list [--limit N]               issued certificates (newest first) and open transactions
  revoke SERIAL [--reason R]     revoke (SERIAL decimal or 0x-hex; R a RFC 5280 reason name
                                 such as keyCompromise, or its number); GetCRL lists it
  approve TRANSACTION_ID         issue a pending request at its next poll
  reject TRANSACTION_ID [--fail-info F]
                                 refuse a pending request at its next poll (F: badRequest
                                 (default), badAlg, badMessageCheck, badTime, badCertId)
  password new [--ttl D] [--subject P]
                                 a one-time challenge password (for --challenge-mode
                                 one-time), valid D (default 60m; 90s, 2h, 1d), only for
                                 subjects matching P (`*` any run); printed once
  set-password [--password-file FILE]
                                 the admin page's password (and the API's bearer token),
                                 read from FILE or stdin; only its hash is stored";

enum Command {
    List(i64),
    Revoke(i64, Option<u8>),
    Decide(String, Verdict),
    NewPassword(Option<String>, Option<String>),
    SetPassword(Option<String>),
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
                outln!("{USAGE}");
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
            "approve" => {
                let id = it.next().ok_or("approve needs a TRANSACTION_ID")?;
                command = Some(Command::Decide(id, Verdict::Approve));
            }
            "reject" => {
                let id = it.next().ok_or("reject needs a TRANSACTION_ID")?;
                let mut info = FailInfo::BadRequest;
                if let Some(flag) = it.next() {
                    if flag != "--fail-info" {
                        return Err(format!("unknown argument {flag:?}\n{USAGE}"));
                    }
                    let f = it.next().ok_or("--fail-info needs a value")?;
                    info = parse_fail_info(&f).ok_or_else(|| format!("unknown failInfo {f:?}"))?;
                }
                command = Some(Command::Decide(id, Verdict::Reject(info.as_str().into())));
            }
            "password" => {
                if it.next().as_deref() != Some("new") {
                    return Err(format!("password new [--ttl D] [--subject P]\n{USAGE}"));
                }
                let (mut ttl, mut subject) = (None, None);
                while let Some(flag) = it.next() {
                    let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                    match flag.as_str() {
                        "--ttl" => ttl = Some(v),
                        "--subject" => subject = Some(v),
                        _ => return Err(format!("unknown argument {flag:?}\n{USAGE}")),
                    }
                }
                command = Some(Command::NewPassword(ttl, subject));
            }
            "set-password" => {
                let mut file = None;
                if let Some(flag) = it.next() {
                    if flag != "--password-file" {
                        return Err(format!("unknown argument {flag:?}\n{USAGE}"));
                    }
                    file = Some(it.next().ok_or("--password-file needs a value")?);
                }
                command = Some(Command::SetPassword(file));
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let command = command.ok_or_else(|| format!("no command\n{USAGE}"))?;
    Ok(Some((state, database, command)))
}

async fn run(state: PathBuf, database: Option<String>, command: Command) -> Result<(), String> {
    if let Command::SetPassword(file) = &command {
        return set_password(&state, file.as_deref());
    }
    let url = crate::serve::admin_database_url(&state, database.as_deref());
    let store = store::open(&url).await.map_err(|e| e.to_string())?;
    match command {
        Command::List(limit) => {
            let (certs, txs) = store.list(limit).await.map_err(|e| e.to_string())?;
            outln!("issued ({}):", certs.len());
            for c in certs {
                let revoked = match c.revoked {
                    Some((at, reason)) => format!(
                        " REVOKED at {at}{}",
                        reason.map(|r| format!(" reason {r}")).unwrap_or_default()
                    ),
                    None => String::new(),
                };
                outln!(
                    "  serial {} (0x{}) not_after {} tx {} subject {}{revoked}",
                    c.serial,
                    hex(&serial_bytes(c.serial)),
                    c.not_after,
                    escape(c.transaction_id.as_deref().unwrap_or("-")),
                    escape(&c.subject),
                );
            }
            outln!("open transactions ({}):", txs.len());
            for t in txs {
                outln!(
                    "  {} {} subject {} from {}",
                    t.state.as_str(),
                    escape(&t.id),
                    escape(&t.subject),
                    escape(t.requester.as_deref().unwrap_or("-"))
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
                outln!("revoked serial {serial}");
                Ok(())
            } else {
                Err(format!("no certificate with serial {serial}"))
            }
        }
        Command::Decide(id, verdict) => {
            if store
                .decide(&id, &verdict)
                .await
                .map_err(|e| e.to_string())?
            {
                match verdict {
                    Verdict::Approve => outln!("approved {}", escape(&id)),
                    Verdict::Reject(f) => {
                        outln!("rejected {} ({})", escape(&id), stored_fail_info(Some(&f)))
                    }
                }
                Ok(())
            } else {
                Err(format!("no pending transaction {}", escape(&id)))
            }
        }
        Command::NewPassword(ttl, subject) => {
            let key = ChallengeKey::open(&state)?;
            let ttl = match ttl {
                Some(t) => challenge::parse_duration(&t)?,
                None => challenge::DEFAULT_TTL_SECS,
            };
            let p = challenge::issue(&*store, &key, ttl, subject.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            // The password alone on stdout (for scripts); the rest on stderr.
            outln!("{}", p.password);
            eprintln!(
                "one-time password #{} valid until {}{}",
                p.id,
                time(p.expires_at),
                p.subject_pattern
                    .map(|s| format!(" for subjects matching {}", escape(&s)))
                    .unwrap_or_default()
            );
            Ok(())
        }
        Command::SetPassword(_) => Ok(()),
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
