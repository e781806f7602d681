//! `scep serve`: a SCEP CA over HTTP/1.1 on tokio and hyper, its state in a database.
//!
//! ```text
//! scep serve [--addr 127.0.0.1:8080] [--state DIR] [--database URL] [--challenge SECRET |
//!     --challenge-file FILE] [--pending [--approve auto|manual]] [--no-post]
//!     [--insecure-legacy] [--read-timeout SECS] [--ra ca|split]
//!     [--challenge-mode one-time|static]
//!     [--challenge-ttl DURATION] [--approval auto|manual|rule] [--admin-addr ADDR]
//!     [--admin-password-file FILE]
//! ```
//!
//! On first start it creates a CA (RSA-2048, or `--ca-key-type rsa3072|rsa4096|p256|p384`;
//! self-signed, also the RA) in the state directory
//! (`ca.key.pem`, mode 0600, never overwritten; `ca.cert.pem`) and the database
//! (`DIR/scep.sqlite3` unless `--database` names another file or a PostgreSQL server). All
//! SCEP operations are served on `/scep`, `/cgi-bin/pkiclient.exe` and
//! `/certsrv/mscep/mscep.dll`:
//!
//! - GetCACaps: `AES DES3 POSTPKIOperation Renewal SHA-1 SHA-256 SHA-512 SCEPStandard`
//!   (`--no-post` drops `POSTPKIOperation` and `SCEPStandard`). GetCACert: the CA certificate.
//! - PKCSReq / RenewalReq: the challenge (`--challenge`, `--challenge-file` or the environment
//!   variable `SCEP_CHALLENGE`) unless the request is signed by a certificate this CA issued.
//!   With `--pending` the first request gets PENDING; with `--approval auto` (the default) the
//!   next CertPoll or re-sent request is issued, with `--approval manual` (or its older name
//!   `--approve manual`) only after `scep admin approve TX` or the admin page.
//! - `--challenge-mode one-time`: every new enrollment spends a one-time password issued on
//!   the admin page, its JSON API or `scep admin password new` (`serve/challenge.rs`).
//!   `--approval manual|rule` queues requests for the operator (`serve/approval.rs`); the
//!   admin listener (`--admin-addr`, loopback by default, `serve/admin_web.rs`) serves the
//!   page and the API, never the device port.
//! - CertPoll: answered only when signed by the key that sent the original request.
//! - GetCert and GetCRL (the CRL lists the revocations in the store: `scep admin revoke`).
//!
//! Replies are signed with the request's digest (SHA-1 for a SHA-1 request, …). A SUCCESS goes
//! to an RSA requester by key transport and to an EC requester by KeyAgree (ECDH); an EC CA
//! signs with ECDSA and opens requests sent to it by KeyAgree, so an all-EC deployment needs no
//! RSA at all.
//!
//! `--ra split` (see [`ra`]) adds an RA signing and an RA encryption certificate, as Windows
//! NDES does. `POST /light` (see [`light`]) serves key-generating light clients.
//!
//! Every request runs in its own task; RSA work runs on the blocking pool; request bodies are
//! bounded; a connection that does not send its headers, or its body, within the read timeout
//! is closed. SIGTERM or ctrl-c stops accepting and lets requests in flight finish.

use core::time::Duration;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use scep::attr::{FailInfo, FailInfoText};
use scep::caps::{Capabilities, Capability};
use scep::crypto::Legacy;
use scep::crypto::{CryptoProvider, Decryptor, Signer};
use scep::http::{self, Operation, Response};
use scep::message::{Csr, Request};
use scep::provider::rustcrypto::PROVIDER;
use scep::server::{
    Decision, Incoming, PkiRequest, ReplyDigest, Server, ServerOptions, SignerKind,
    challenge_matches,
};
use tokio::net::TcpListener;

use crate::common::http_server::{self, Limits, ServerReply, ServerRequest};
use crate::common::key::KeyType;
use crate::common::util::{self, escape};
use crate::store::{self, NewCert, Store, TxRecord, TxState};

pub mod admin_web;
pub mod approval;
pub mod ca;
pub mod challenge;
pub mod light;
pub mod ra;

use approval::Approval;
use ca::Ca;
use challenge::{ChallengeKey, ChallengeMode};

/// The paths SCEP clients use: our default, the RFC's CGI path, and Microsoft NDES's.
pub const PATHS: [&str; 3] = [
    "/scep",
    "/cgi-bin/pkiclient.exe",
    "/certsrv/mscep/mscep.dll",
];

const USAGE: &str = "\
usage: scep serve [--addr 127.0.0.1:8080] [--state DIR] [--database URL]
                  [--challenge SECRET | --challenge-file FILE] [--pending]
                  [--approve auto|manual] [--no-post] [--insecure-legacy]
                  [--read-timeout SECS] [--max-connections N] [--ra ca|split]
                  [--challenge-mode one-time|static] [--challenge-ttl DURATION]
                  [--approval auto|manual|rule] [--admin-addr ADDR]
                  [--admin-password-file FILE]

  --addr ADDR           address to listen on (default 127.0.0.1:8080)
  --state DIR           the CA key and certificate, and the default database
                        DIR/scep.sqlite3 (default ./scep-state)
  --database URL        sqlite:PATH, a file path, or postgres://USER@HOST/DB
                        (postgresql://USER@%2Frun%2Fpostgresql/DB for a unix socket)
  --challenge SECRET    require this challenge password in new enrollments (also
                        --challenge-file FILE, or the environment variable SCEP_CHALLENGE)
  --pending             answer PENDING first
  --challenge-mode M    static (default): the one --challenge for every device;
                        one-time: single-use passwords from the admin page/API or
                        `scep admin password new`
  --challenge-ttl D     lifetime of a new one-time password (default 60m; 90s, 2h, 1d)
  --approval MODE       auto (default): issue at once; manual: every request waits
                        for the operator; rule: issue with a valid challenge, queue
                        for the operator otherwise (--approve is the older name; with
                        --pending, auto issues at the first poll)
  --admin-addr ADDR     the admin page and /admin/api (default 127.0.0.1:8081); it
                        starts when an admin password is set (`scep admin
                        set-password`, or --admin-password-file)
  --admin-password-file FILE  the admin password (first line; only its hash is kept)
  --no-post             do not advertise POSTPKIOperation/SCEPStandard (clients use GET)
  --insecure-legacy     accept single DES and MD5 (micromdm scepclient); needs the
                        `insecure-legacy` feature
  --read-timeout SECS   time for a client to send its request head and body (default 10)
  --max-connections N   connections served at once (default 1024)
  --ra ca|split         ca: the CA key signs replies and opens requests (default);
                        split: an RA signing and an RA encryption certificate, issued
                        by the CA on first start (as Windows NDES): GetCACert sends
                        CA + both, requests are opened with the encryption key only,
                        replies signed with the signing key
  --provider NAME       rustcrypto (default) or aws-lc (with the aws-lc-rs feature)
  --ca-key-type T       the key of a new CA: rsa2048 (default), rsa3072, rsa4096, p256,
                        p384 (an existing CA key is used whatever its type)
  --version             print the version and the compiled-in features

Light clients: POST /light with an application/x-www-form-urlencoded body
subject=CN%3D...&challenge=SECRET&password=P12PASS[&key-type=rsa2048|p256]
(needs --challenge): the server generates the key pair, issues the certificate
and answers with a PKCS #12 file (key, certificate, CA) encrypted with the
password. The private key is never stored; password and key are never logged.";

struct Args {
    addr: String,
    state: PathBuf,
    database: Option<String>,
    challenge: Option<String>,
    pending: bool,
    manual: bool,
    no_post: bool,
    insecure_legacy: bool,
    read_timeout: Duration,
    max_connections: usize,
    provider: String,
    challenge_mode: ChallengeMode,
    challenge_ttl: i64,
    rule: bool,
    admin_addr: String,
    admin_password: Option<String>,
    ra_split: bool,
    ca_key_type: KeyType,
}

fn parse_args(argv: Vec<String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".into(),
        state: PathBuf::from("scep-state"),
        database: None,
        challenge: None,
        pending: false,
        manual: false,
        no_post: false,
        insecure_legacy: false,
        read_timeout: Duration::from_secs(10),
        max_connections: 1024,
        provider: "rustcrypto".into(),
        challenge_mode: ChallengeMode::Static,
        challenge_ttl: challenge::DEFAULT_TTL_SECS,
        rule: false,
        admin_addr: "127.0.0.1:8081".into(),
        admin_password: None,
        ra_split: false,
        ca_key_type: KeyType::Rsa(2048),
    };
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--state" | "--data-dir" => args.state = PathBuf::from(value("--state")?),
            "--database" => args.database = Some(value("--database")?),
            "--challenge" => args.challenge = Some(value("--challenge")?),
            "--challenge-file" => {
                args.challenge = Some(util::read_secret_file(&value("--challenge-file")?)?);
            }
            "--pending" => args.pending = true,
            "--challenge-mode" => {
                args.challenge_mode = ChallengeMode::parse(&value("--challenge-mode")?)?;
            }
            "--challenge-ttl" => {
                args.challenge_ttl = challenge::parse_duration(&value("--challenge-ttl")?)?;
            }
            // `--approve` is the older name (`--approve manual` no longer needs `--pending`).
            "--approval" | "--approve" => match Approval::parse(&value("--approval")?)? {
                Approval::Auto => (args.manual, args.rule) = (false, false),
                Approval::Manual => (args.pending, args.manual, args.rule) = (true, true, false),
                Approval::Rule => (args.pending, args.manual, args.rule) = (false, true, true),
            },
            "--admin-addr" => args.admin_addr = value("--admin-addr")?,
            "--admin-password-file" => {
                args.admin_password =
                    Some(util::read_secret_file(&value("--admin-password-file")?)?);
            }
            "--no-post" => args.no_post = true,
            "--insecure-legacy" => args.insecure_legacy = true,
            "--provider" => args.provider = value("--provider")?,
            "--ra" => match value("--ra")?.as_str() {
                "ca" => args.ra_split = false,
                "split" => args.ra_split = true,
                other => return Err(format!("--ra ca|split, not {other:?}")),
            },
            "--ca-key-type" => args.ca_key_type = KeyType::parse(&value("--ca-key-type")?)?,
            "--read-timeout" => {
                let v = value("--read-timeout")?;
                let secs: u64 = v.parse().map_err(|_| format!("bad --read-timeout {v:?}"))?;
                args.read_timeout = Duration::from_secs(secs.max(1));
            }
            "--max-connections" => {
                let v = value("--max-connections")?;
                args.max_connections = v
                    .parse()
                    .map_err(|_| format!("bad --max-connections {v:?}"))?;
            }
            "--version" => {
                outln!("{}", util::version("serve"));
                return Ok(None);
            }
            "-h" | "--help" => {
                outln!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.challenge.is_none() {
        if let Ok(c) = std::env::var("SCEP_CHALLENGE") {
            if !c.is_empty() {
                args.challenge = Some(c);
            }
        }
    }
    Ok(Some(args))
}

/// The database URL: `--database`, else the SQLite file in the state directory.
fn database_url(state: &std::path::Path, database: Option<&str>) -> String {
    database.map_or_else(
        || state.join("scep.sqlite3").to_string_lossy().into_owned(),
        str::to_owned,
    )
}

/// What the CA key must be: one key holder that signs and decrypts, shared by the blocking
/// pool's threads (`RsaKey`, or `AwsLcRsaKey` with `--provider aws-lc`).
pub trait CaKey: Signer + Decryptor + Clone + Send + Sync + 'static {}
impl<K: Signer + Decryptor + Clone + Send + Sync + 'static> CaKey for K {}

struct App<K> {
    ca: Arc<Ca<K>>,
    server: Server<K, K>,
    store: Arc<dyn Store>,
    challenge: Option<String>,
    pending: bool,
    manual: bool,
    /// `--challenge-mode one-time`: the key the passwords are hashed under.
    one_time: Option<ChallengeKey>,
    /// `--approval rule`: a refused challenge queues the request instead.
    rule: bool,
}

/// What a request led to, for the log line.
struct Logged {
    response: Response,
    op: String,
    tx: Option<String>,
    what: String,
    outcome: String,
}

fn text(status: u16, body: &str) -> Response {
    Response::new(
        status,
        http::CONTENT_TYPE_TEXT_PLAIN,
        body.as_bytes().to_vec(),
    )
}

fn reject(info: FailInfo, why: &str) -> (Decision, String) {
    (
        Decision::Rejected {
            info,
            text: FailInfoText::new(why).ok(),
        },
        format!("FAILURE {info} ({why})"),
    )
}

/// A refused challenge: badRequest with a generic text on the wire, the reason in the log.
fn reject_quietly(info: FailInfo, why: &str) -> (Decision, String) {
    (
        Decision::Rejected {
            info,
            text: FailInfoText::new("challenge password not accepted").ok(),
        },
        format!("FAILURE {info} ({why})"),
    )
}

fn describe(cert: &scep::Certificate) -> String {
    format!(
        "serial 0x{} subject {}",
        util::hex(cert.serial_number()),
        escape(&cert.subject().to_string())
    )
}

fn signer_kind(k: SignerKind) -> &'static str {
    match k {
        SignerKind::SelfSigned => "self-signed",
        SignerKind::IssuedByCa => "issued-by-ca",
        SignerKind::IssuedByCaExpired => "issued-by-ca-expired",
        SignerKind::IssuedByCaRevoked => "issued-by-ca-revoked",
        _ => "other",
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("worker: {e}"))
}

impl<K: CaKey> App<K> {
    async fn handle(
        self: Arc<Self>,
        method: String,
        target: String,
        body: Vec<u8>,
        peer: Option<String>,
    ) -> Logged {
        let limits = self.server.options().http_limits();
        let parsed = match http::parse_request(&method, &target, &body, &limits) {
            Ok(p) => p,
            Err(e) => {
                let response = text(e.status_code(), e.as_str());
                let outcome = format!("HTTP {}: {e}", response.status);
                return Logged {
                    response,
                    op: "-".into(),
                    tx: None,
                    what: String::new(),
                    outcome,
                };
            }
        };
        let op = parsed.operation.as_str().to_owned();
        let mut logged = match (parsed.operation, parsed.message) {
            (Operation::PkiOperation, Some(message)) => self.pki_operation(message, peer).await,
            (Operation::GetNextCaCert, _) => Logged {
                response: text(404, "no next CA certificate"),
                op: String::new(),
                tx: None,
                what: String::new(),
                outcome: "HTTP 404: no rollover certificate".into(),
            },
            _ => {
                let mut rng = getrandom::SysRng;
                match self.server.handle(&method, &target, &body, &mut rng) {
                    Incoming::Reply(r) => {
                        let outcome = format!("HTTP {} {}", r.status, r.content_type);
                        Logged {
                            response: r,
                            op: String::new(),
                            tx: None,
                            what: String::new(),
                            outcome,
                        }
                    }
                    _ => Logged {
                        response: text(500, "unexpected"),
                        op: String::new(),
                        tx: None,
                        what: String::new(),
                        outcome: "HTTP 500: unexpected".into(),
                    },
                }
            }
        };
        logged.op = op;
        logged
    }

    async fn pki_operation(self: Arc<Self>, message: Vec<u8>, peer: Option<String>) -> Logged {
        let app = Arc::clone(&self);
        let incoming = blocking(move || {
            let mut rng = getrandom::SysRng;
            app.server.pki_operation(&message, &mut rng)
        })
        .await;
        let mut logged = Logged {
            response: text(500, "internal error"),
            op: String::new(),
            tx: None,
            what: String::new(),
            outcome: String::new(),
        };
        match incoming {
            Ok(Incoming::Request(req)) => {
                // A signer this CA issued counts only while valid and not revoked.
                let revoked = match self.store.revocations().await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!("store: {e}");
                        logged.response = text(503, "try again later");
                        logged.outcome = format!("HTTP 503: store: {e}");
                        return logged;
                    }
                };
                let is_revoked = |c: &scep::Certificate| {
                    ca::serial_from_bytes(c.serial_number())
                        .is_some_and(|s| revoked.iter().any(|r| r.serial == s))
                };
                let kind = req.signer_kind(util::now(), &is_revoked);
                let o = req.opened();
                let cipher = o
                    .content_encryption
                    .map_or_else(|| "-".to_owned(), |c| format!("{c:?}"));
                logged.tx = Some(req.transaction_id().as_str().to_owned());
                logged.what = format!(
                    "{:?} signer={} alg={cipher}/{:?}",
                    req.message_type(),
                    signer_kind(kind),
                    o.digest,
                );
                let (decision, outcome) = match self.decide(&req, kind, peer).await {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::error!("store: {e}");
                        logged.response = text(503, "try again later");
                        logged.outcome = format!("HTTP 503: store: {e}");
                        return logged;
                    }
                };
                let app = Arc::clone(&self);
                let reply = blocking(move || {
                    let mut rng = getrandom::SysRng;
                    // Signed with the request's digest (ServerOptions::reply_digest).
                    app.server.reply(&req, decision, &mut rng)
                })
                .await;
                match reply {
                    Ok(Ok(response)) => {
                        logged.response = response;
                        logged.outcome = outcome;
                    }
                    Ok(Err(e)) => {
                        logged.response = text(500, "cannot build the reply");
                        logged.outcome = format!("HTTP 500: cannot build the reply: {e}");
                    }
                    Err(e) => logged.outcome = format!("HTTP 500: {e}"),
                }
            }
            Ok(Incoming::Refused {
                response,
                reason,
                message_type,
                transaction_id,
            }) => {
                logged.tx = transaction_id.as_ref().map(|t| t.as_str().to_owned());
                logged.what = message_type.map(|t| format!("{t:?}")).unwrap_or_default();
                logged.outcome = if response.content_type == http::CONTENT_TYPE_PKI_MESSAGE {
                    format!("FAILURE {} ({reason})", reason.fail_info())
                } else {
                    format!(
                        "HTTP {}: {} ({reason})",
                        response.status,
                        escape(&String::from_utf8_lossy(&response.body))
                    )
                };
                logged.response = response;
            }
            Ok(_) => logged.outcome = "HTTP 500: unexpected".into(),
            Err(e) => logged.outcome = format!("HTTP 500: {e}"),
        }
        logged
    }

    /// The decision on an authenticated request; `Err` only when the store fails.
    async fn decide(
        &self,
        req: &PkiRequest,
        kind: SignerKind,
        peer: Option<String>,
    ) -> Result<(Decision, String), String> {
        let tx = req.transaction_id().as_str().to_owned();
        let signer_key = req
            .signer_certificate()
            .public_key_der()
            .map_err(|e| format!("signer key: {e}"))?;
        let store_err = |e: store::StoreError| e.to_string();
        match req.request() {
            Request::PkcsReq(csr) | Request::RenewalReq(csr) => {
                // A request signed by a certificate this CA issued is a renewal: no challenge.
                let renewal = kind == SignerKind::IssuedByCa;
                let record = TxRecord {
                    id: tx.clone(),
                    state: TxState::Pending,
                    csr: challenge::redacted_csr(csr),
                    signer_key,
                    subject: csr.subject().to_string(),
                    serial: None,
                    requester: peer,
                    fail_info: None,
                    created_at: 0,
                };
                let mut existing = self.store.transaction(&tx).await.map_err(store_err)?;
                if let Some(old) = &existing {
                    if old.signer_key != record.signer_key {
                        return Ok(reject(
                            FailInfo::BadRequest,
                            "transaction ID in use by another key",
                        ));
                    }
                }
                // The same PKCSReq re-sent (same transaction, same CSR) was let in the first
                // time: its one-time password is spent, and it is not checked again.
                let mut queue = false;
                if !renewal && existing.as_ref().is_none_or(|o| o.csr != record.csr) {
                    if let Err(why) = self.check_challenge(req, &tx, &record.subject).await? {
                        // A one-time password spent by a concurrent copy of this very request.
                        existing = self.store.transaction(&tx).await.map_err(store_err)?;
                        let resent = existing.as_ref().is_some_and(|o| {
                            o.csr == record.csr && o.signer_key == record.signer_key
                        });
                        if !resent {
                            if !self.rule {
                                // One-time passwords: the reason only in the log.
                                return Ok(if self.one_time.is_some() {
                                    reject_quietly(FailInfo::BadRequest, why)
                                } else {
                                    reject(FailInfo::BadRequest, why)
                                });
                            }
                            tracing::info!("tx={} queued for the operator: {why}", escape(&tx));
                            queue = true;
                        }
                    }
                }
                match existing {
                    // The same enrollment again after it was issued: the same certificate.
                    // (A renewal, signed by the issued certificate, gets a new one even with
                    // the same transaction ID and CSR, as micromdm's `scepclient` sends it.)
                    Some(old)
                        if old.state == TxState::Issued && old.csr == record.csr && !renewal =>
                    {
                        self.issued_again(&old).await
                    }
                    Some(old) if old.state != TxState::Issued => {
                        self.settle(&old, csr.clone()).await
                    }
                    _ if self.pending || queue => {
                        let stored = self.store.open_pending(&record).await.map_err(store_err)?;
                        if stored.state == TxState::Pending && stored.csr == record.csr {
                            Ok((Decision::Pending, "PENDING".into()))
                        } else {
                            self.settle(&stored, csr.clone()).await
                        }
                    }
                    _ => self.issue(&record, csr).await,
                }
            }
            Request::CertPoll(_) => {
                let Some(old) = self.store.transaction(&tx).await.map_err(store_err)? else {
                    return Ok(reject(FailInfo::BadCertId, "no such transaction"));
                };
                if old.signer_key != signer_key {
                    return Ok(reject(
                        FailInfo::BadRequest,
                        "poll signed by another key than the request",
                    ));
                }
                if old.state == TxState::Issued {
                    return self.issued_again(&old).await;
                }
                let csr = Csr::from_der(&old.csr).map_err(|e| format!("stored CSR: {e}"))?;
                self.settle(&old, csr).await
            }
            Request::GetCert(which) => {
                if &which.issuer != self.ca.certificate().subject() {
                    return Ok(reject(FailInfo::BadCertId, "not issued by this CA"));
                }
                let serial = ca::serial_from_bytes(which.serial_number.as_bytes());
                let found = match serial {
                    Some(s) => self.store.certificate(s).await.map_err(store_err)?,
                    None => None,
                };
                match found.map(|c| scep::Certificate::from_der(&c.der)) {
                    Some(Ok(cert)) => {
                        let outcome = format!("SUCCESS: {}", describe(&cert));
                        Ok((Decision::Certificates(vec![cert]), outcome))
                    }
                    _ => Ok(reject(FailInfo::BadCertId, "no such certificate")),
                }
            }
            Request::GetCrl(which) => {
                if &which.issuer != self.ca.certificate().subject() {
                    return Ok(reject(FailInfo::BadCertId, "not issued by this CA"));
                }
                let revoked = self.store.revocations().await.map_err(store_err)?;
                let number = self.store.next_crl_number().await.map_err(store_err)?;
                let n = revoked.len();
                let ca = self.ca_handle();
                match blocking(move || ca.crl(&revoked, number)).await? {
                    Ok(crl) => Ok((
                        Decision::Crls(vec![crl]),
                        format!("SUCCESS: CRL of {n} revoked"),
                    )),
                    Err(e) => {
                        tracing::error!("CRL: {e}");
                        Ok(reject(FailInfo::BadRequest, "cannot make a CRL"))
                    }
                }
            }
            _ => Ok(reject(FailInfo::BadRequest, "unsupported request")),
        }
    }

    /// The challenge of a new enrollment: `Ok(Err(why))` when refused (`why` for the log only).
    async fn check_challenge(
        &self,
        req: &PkiRequest,
        tx: &str,
        subject: &str,
    ) -> Result<Result<(), &'static str>, String> {
        let got = req.challenge_password().unwrap_or_default();
        if let Some(key) = &self.one_time {
            return challenge::redeem(&*self.store, key, &got, subject, tx)
                .await
                .map(|r| r.map_err(challenge::Refusal::as_str))
                .map_err(|e| e.to_string());
        }
        match &self.challenge {
            Some(_) if got.is_empty() => Ok(Err("missing challenge password")),
            Some(expected) if !challenge_matches(&got, expected) => {
                Ok(Err("wrong challenge password"))
            }
            _ => Ok(Ok(())),
        }
    }

    /// A transaction not yet issued: issue, wait or refuse by its state.
    async fn settle(&self, tx: &TxRecord, csr: Csr) -> Result<(Decision, String), String> {
        match tx.state {
            TxState::Approved => self.issue(tx, &csr).await,
            TxState::Pending if !self.manual => self.issue(tx, &csr).await,
            TxState::Pending => Ok((Decision::Pending, "PENDING (waits for approval)".into())),
            TxState::Rejected => Ok(reject(
                approval::stored_fail_info(tx.fail_info.as_deref()),
                "rejected by the operator",
            )),
            TxState::Issued => self.issued_again(tx).await,
        }
    }

    async fn issued_again(&self, tx: &TxRecord) -> Result<(Decision, String), String> {
        let cert = match tx.serial {
            Some(s) => self.store.certificate(s).await.map_err(|e| e.to_string())?,
            None => None,
        };
        match cert.map(|c| scep::Certificate::from_der(&c.der)) {
            Some(Ok(cert)) => {
                let outcome = format!("SUCCESS again: {}", describe(&cert));
                Ok((
                    Decision::Issued {
                        certificate: cert,
                        chain: vec![self.ca.certificate().clone()],
                    },
                    outcome,
                ))
            }
            _ => Ok(reject(FailInfo::BadCertId, "issued certificate not found")),
        }
    }

    fn ca_handle(&self) -> Arc<Ca<K>> {
        Arc::clone(&self.ca)
    }

    async fn issue(&self, tx: &TxRecord, csr: &Csr) -> Result<(Decision, String), String> {
        let serial = self.store.next_serial().await.map_err(|e| e.to_string())?;
        let ca = self.ca_handle();
        let csr = csr.clone();
        let (cert, not_after) = match blocking(move || ca.issue(&csr, serial)).await? {
            Ok(x) => x,
            Err(e) => {
                tracing::error!("issue: {e}");
                return Ok(reject(FailInfo::BadRequest, "cannot issue"));
            }
        };
        let subject = cert.subject().to_string();
        self.store
            .insert_certificate(NewCert {
                serial,
                subject: &subject,
                not_after,
                der: cert.as_der(),
                transaction: Some(tx),
            })
            .await
            .map_err(|e| e.to_string())?;
        let outcome = format!("SUCCESS: {}", describe(&cert));
        Ok((
            Decision::Issued {
                certificate: cert,
                chain: vec![self.ca.certificate().clone()],
            },
            outcome,
        ))
    }
}

fn reply_of(r: Response) -> ServerReply {
    ServerReply {
        status: r.status,
        content_type: r.content_type,
        body: r.body,
        retry_after: None,
        headers: r.headers,
    }
}

/// One HTTP request (head and body read): the path check, then the SCEP work.
async fn serve_request<K: CaKey>(app: Arc<App<K>>, req: ServerRequest) -> ServerReply {
    let ServerRequest {
        method,
        target,
        path,
        body,
        headers,
        peer,
        ..
    } = req;
    if path == light::PATH {
        let (reply, outcome) = light::handle(app, &method, &headers, body).await;
        tracing::info!("{method} {path} -> {outcome}");
        return reply;
    }
    if !PATHS.contains(&path.as_str()) {
        tracing::info!("{method} {} -> HTTP 404", escape(&path));
        return ServerReply::text(404, "not found");
    }
    let peer = peer.map(|p| p.to_string());
    let logged = app.handle(method.clone(), target, body, peer).await;
    // `PkcsReq tx=ID signer=… alg=…`: the transaction ID (escaped) where the log line has it.
    let what = match (&logged.tx, logged.what.split_once(' ')) {
        (Some(tx), Some((kind, rest))) => format!(" {kind} tx={} {rest}", escape(tx)),
        (Some(tx), None) => format!(" {} tx={}", logged.what, escape(tx)),
        (None, _) if !logged.what.is_empty() => format!(" {}", logged.what),
        (None, _) => String::new(),
    };
    tracing::info!(
        "{method} {} {}{what} -> {}",
        escape(&path),
        logged.op,
        logged.outcome
    );
    reply_of(logged.response)
}

async fn run(args: Args) -> Result<(), String> {
    if args.insecure_legacy && !cfg!(feature = "insecure-legacy") {
        return Err(
            "--insecure-legacy needs `scep` built with `--features insecure-legacy`".into(),
        );
    }
    if args.challenge_mode == ChallengeMode::OneTime && args.challenge.is_some() {
        return Err(
            "--challenge-mode one-time takes no --challenge (passwords come from the \
                    admin page, its API or `scep admin password new`)"
                .into(),
        );
    }
    let state = args.state.clone();
    let split = args.ra_split;
    let key_type = args.ca_key_type;
    let (ca, ra_pair) = blocking(move || -> Result<_, String> {
        let ca = Ca::open(&state, key_type)?;
        let pair = if split {
            Some(ra::RaPair::open(&state, &ca)?)
        } else {
            None
        };
        Ok((ca, pair))
    })
    .await??;
    let url = database_url(&args.state, args.database.as_deref());
    let store = store::open(&url).await.map_err(|e| e.to_string())?;
    let mut caps = Capabilities::rfc8894_server();
    if args.no_post {
        caps.remove(&Capability::PostPkiOperation);
        caps.remove(&Capability::ScepStandard);
    }
    let legacy = Legacy::allow_if(args.insecure_legacy).map_err(|e| format!("{e}"))?;
    let options = ServerOptions::default().with_legacy(legacy);
    match args.provider.as_str() {
        "rustcrypto" => {
            let keys = ra::RaKeys::of(&ca, ra_pair.as_ref(), Ok)?;
            let key = ca.key().clone();
            serve_with(
                args,
                ca.with_signer(key),
                keys,
                PROVIDER,
                caps,
                options,
                store,
            )
            .await
        }
        #[cfg(feature = "aws-lc-rs")]
        "aws-lc" => {
            use scep::provider::aws_lc;
            // AWS-LC verifies, seals (ECDH included) and holds the CA and RA keys, RSA or EC.
            use crate::common::key::AnyKey;
            let wrap =
                |k: AnyKey| -> Result<AnyKey<aws_lc::AwsLcRsaKey, aws_lc::AwsLcEcKey>, String> {
                    Ok(match k {
                        AnyKey::Rsa(k) => {
                            AnyKey::Rsa(aws_lc::AwsLcRsaKey::new(k).map_err(|e| e.to_string())?)
                        }
                        AnyKey::Ec(k) => {
                            AnyKey::Ec(aws_lc::AwsLcEcKey::new(k).map_err(|e| e.to_string())?)
                        }
                    })
                };
            let keys = ra::RaKeys::of(&ca, ra_pair.as_ref(), wrap)?;
            let key = wrap(ca.key().clone())?;
            let ca = ca.with_signer(key);
            serve_with(args, ca, keys, aws_lc::PROVIDER, caps, options, store).await
        }
        other => Err(format!(
            "--provider {other}: this build has rustcrypto{}",
            if cfg!(feature = "aws-lc-rs") {
                " and aws-lc"
            } else {
                " only (aws-lc needs the aws-lc-rs feature)"
            }
        )),
    }
}

/// Serves with the RA keys `keys` (the CA key with `--ra ca`): replies signed with the
/// request's digest (a FAILURE that answers no readable request, with the key's own).
async fn serve_with<K: CaKey>(
    args: Args,
    ca: Ca<K>,
    keys: ra::RaKeys<K>,
    provider: CryptoProvider,
    caps: Capabilities,
    options: ServerOptions,
    store: Arc<dyn Store>,
) -> Result<(), String> {
    let server = Server::new(
        keys.sign.clone(),
        keys.decrypt.clone(),
        keys.ca_certs.clone(),
        caps.clone(),
        provider,
    )
    .with_options(options.with_reply_digest(ReplyDigest::Request));
    let listener = TcpListener::bind(&args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener
        .local_addr()
        .map_or_else(|_| args.addr.clone(), |a| a.to_string());
    tracing::info!(
        "listening on http://{addr}/scep, CA {} ({}){}, provider {}, state {}, database {}{}{}{}",
        ca.certificate().subject(),
        ca.key().describe(),
        if args.ra_split {
            " with an RA signing and an RA encryption certificate (--ra split)"
        } else {
            ""
        },
        args.provider,
        args.state.display(),
        if args.database.is_some() {
            "(--database)"
        } else {
            "SQLite in the state directory"
        },
        if args.challenge.is_some() {
            ", challenge required"
        } else {
            ""
        },
        match (args.pending, args.manual, args.rule) {
            (_, _, true) => ", queued for approval unless the challenge is valid",
            (false, _, _) => "",
            (true, false, _) => ", PENDING first",
            (true, true, _) => ", PENDING until approved",
        },
        if args.insecure_legacy {
            ", INSECURE legacy algorithms allowed"
        } else {
            ""
        },
    );
    let one_time = match args.challenge_mode {
        ChallengeMode::OneTime => {
            tracing::info!(
                "one-time challenge passwords, valid {} s",
                args.challenge_ttl
            );
            Some(ChallengeKey::open(&args.state)?)
        }
        ChallengeMode::Static => None,
    };
    let admin = admin_web::AdminConfig {
        addr: args.admin_addr.clone(),
        state: args.state.clone(),
        password: args.admin_password.clone(),
        challenge_key: one_time.clone(),
        challenge_ttl: args.challenge_ttl,
        ca_subject: ca.certificate().subject().to_string(),
    };
    let admin = admin_web::start(admin, Arc::clone(&store)).await?;
    let app = Arc::new(App {
        ca: Arc::new(ca),
        server,
        store,
        challenge: args.challenge,
        pending: args.pending,
        manual: args.manual,
        one_time,
        rule: args.rule,
    });
    let limits = Limits {
        read_timeout: args.read_timeout,
        max_connections: args.max_connections,
        max_body: app.server.options().http_limits().max_body_len,
    };
    let devices = http_server::run(listener, limits, move |req| {
        serve_request(Arc::clone(&app), req)
    });
    match admin {
        Some(admin) => {
            tokio::join!(devices, admin);
        }
        None => devices.await,
    }
    Ok(())
}

pub fn main(argv: Vec<String>) -> ExitCode {
    let args = match parse_args(argv) {
        Ok(Some(a)) => a,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scep serve: {e}");
            return ExitCode::from(2);
        }
    };
    crate::init_logging();
    let runtime = match http_server::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scep serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("scep serve: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `scep admin` opens the same store: the URL as `serve` computes it.
pub fn admin_database_url(state: &std::path::Path, database: Option<&str>) -> String {
    database_url(state, database)
}
