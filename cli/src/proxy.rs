//! An example SCEP registration authority (RA): a proxy that answers devices itself and relays
//! the enrollments it approves to an upstream SCEP CA.
//!
//! ```text
//! scep proxy --addr 127.0.0.1:8081 --upstream http://127.0.0.1:8080/scep
//!     (--upstream-fingerprint SHA256 | --upstream-ca FILE) [--upstream-challenge SECRET] [--challenge DEVICE_SECRET] [--state DIR]
//!     [--insecure-legacy] [--read-timeout SECS] [--max-connections N]
//! ```
//!
//! On first start it creates the RA key (RSA-2048) and a self-signed RA certificate (not a CA;
//! digitalSignature and keyEncipherment) in the state directory (default `./scep-proxy-state`).
//! Then it reads the upstream's GetCACaps and GetCACert, and keeps of the latter only the
//! certificates that chain by signature to the pinned upstream CA (`--upstream-fingerprint`,
//! the SHA-256 of the CA certificate, or `--upstream-ca FILE`; RFC 8894 §2.2), and serves on
//! `/scep` (also `/cgi-bin/pkiclient.exe`):
//!
//! - GetCACaps: its own (`AES DES3 POSTPKIOperation Renewal SHA-1 SHA-256 SHA-512
//!   SCEPStandard`). GetCACert: the RA certificate and the upstream's certificates, so devices
//!   encrypt to the RA and trust CertReps it signs.
//! - PKCSReq and RenewalReq: opened with the RA key, then the RA's policy: the challenge
//!   password in the CSR must be `--challenge` (unless the request is signed by a certificate
//!   the upstream CA issued: a renewal). A refusal is a FAILURE `badRequest` and the upstream
//!   never hears of it. An approved request goes upstream with the device's transaction ID
//!   and its CSR **unchanged** (the CSR is signed by the device, so its challenge password
//!   cannot be replaced), in a new pkiMessage signed by the RA and encrypted to the upstream.
//!   The upstream's answer goes back to the device: SUCCESS with the certificates the upstream
//!   sent (the issued one and any chain), re-encrypted for the device, FAILURE with the upstream's failInfo, or
//!   PENDING.
//! - While the upstream answers PENDING, a device's CertPoll (or the same PKCSReq sent again,
//!   as micromdm's `scepclient` does) makes the RA poll the upstream with its own CertPoll.
//!   Pending transactions are kept in `DIR/pending/` (files 0600 in a 0700 directory), so a
//!   restarted proxy picks them up. Only the key that signed the device's request may poll
//!   it (or send it again); anyone else gets FAILURE and the upstream never hears of it.
//! - GetCert and GetCRL are relayed the same way; GetNextCACert: 404.
//!
//! # How the upstream authorises the RA
//!
//! The device's challenge is checked here, so the upstream must accept what the RA forwards.
//! Two ways:
//!
//! - `--upstream-challenge SECRET`: on first start the RA enrolls its own key with the upstream
//!   (a PKCSReq whose CSR carries SECRET, polling while PENDING) and from then on signs
//!   forwarded requests with the certificate it was issued (`DIR/ra.upstream.cert.pem`). A CA
//!   that waives the challenge for requests signed by a certificate it issued (the example
//!   server does: that is its renewal rule) then accepts the devices the RA vouches for. The
//!   device's challenge is in effect replaced by the RA's upstream credential.
//! - Without it the RA signs with its self-signed certificate. micromdm's `scepserver` checks
//!   only the challenge inside the CSR and nothing about the request's signer, so behind this
//!   RA it must run **without** `-challenge`, and the RA is the only gate: anyone who can reach
//!   that `scepserver` directly can enroll. Keep it where only the RA can reach it.
//!
//! # The light endpoint
//!
//! `POST /light` with a PKCS #10 CSR (DER, or PEM `CERTIFICATE REQUEST`) as the body and the
//! challenge in the header `X-SCEP-Challenge` is for clients that do not speak SCEP: the RA
//! builds and signs the SCEP request itself.
//!
//! - 200, `application/pem-certificate-chain`: the issued certificate first, then the chain.
//! - 202 with `Retry-After` while the upstream answers PENDING: POST the same CSR again (the
//!   RA finds the upstream transaction by the SHA-256 of the CSR's public key).
//! - 403 for a missing or wrong challenge (the upstream is not contacted), 400 for a body that
//!   is not a CSR with a valid signature, 502 when the upstream fails or refuses (a short text
//!   says which).
//!
//! `POST /light` with an `application/x-www-form-urlencoded` body (`subject`, `challenge`,
//! `password`, optional `key-type` `rsa2048` or `p256`) is for clients that cannot even make a
//! key: the RA generates the key pair and the CSR, enrolls it upstream, and answers 200
//! `application/x-pkcs12`: the key, the certificate and the chain, encrypted with `password`.
//! The private key is never stored or logged (nor the password); an upstream that answers
//! PENDING gets a 502 here, the key being gone (see `scep serve --help`).
//!
//! Trust model: the RA vouches for the request. The CSR's signature proves only that the
//! client holds the private key; who the client is rests entirely on the challenge header, and
//! the subject and extensions are taken as the client wrote them (add your own checks before
//! relaying). This example speaks plain HTTP: the challenge travels in the clear, so TLS (and
//! anything else that limits who may call `/light`) is the deployer's job, in front of it.
//!
//! Requests with single DES or MD5 (micromdm's `scepclient`) and single DES replies from the
//! upstream (micromdm's `scepserver`) are refused unless the proxy runs with
//! `--insecure-legacy` (needs the `insecure-legacy` feature), which opens both sides.
//!
//! The HTTP front end is the one of `scep serve` (tokio and hyper: slow clients are cut off
//! after `--read-timeout` without holding up others); the RA's work runs one request at a time
//! on the blocking pool. The light endpoint is off (403) unless `--challenge` (or
//! `--challenge-file`, or `SCEP_CHALLENGE`) is set. One line per request goes to stderr (with a
//! line per upstream exchange). No locking of the state directory between processes.

use core::time::Duration;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::SystemTime;

use scep::attr::{FailInfo, FailInfoText, MessageType, Nonce, TransactionId};
use scep::builder;
use scep::ca_certs::CaCertificates;
use scep::caps::{Capabilities, Policy};
use scep::client::{Client, ClientOptions, Outcome, Transaction};
use scep::crypto::{DigestAlgorithm, Legacy, SecureRandom, SignatureAlgorithm, Signer};
use scep::http::{self, HttpRequest, Operation, Response};
use scep::limits::Limits;
use scep::message::{Csr, Request};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{
    Decision, Incoming, PkiRequest, Server, ServerOptions, SignerKind, challenge_matches,
};
use scep::{Certificate, Error};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

#[allow(
    dead_code,
    reason = "the proxy uses only the self-signed key maker and error helpers"
)]
use crate::common::ca;
#[allow(
    dead_code,
    reason = "the proxy does not read the content type of replies"
)]
use crate::common::http_client;
use crate::common::http_server::{self, ServerReply, ServerRequest};
use crate::common::pin::{Anchor, pinned};
use crate::common::serve;
use crate::common::util;

use http_client::Http;
use util::write_private;

/// The SCEP paths served (the light endpoint is [`LIGHT_PATH`]).
const PATHS: [&str; 2] = ["/scep", "/cgi-bin/pkiclient.exe"];
/// The light-client endpoint.
const LIGHT_PATH: &str = "/light";
/// The header of the light endpoint's challenge.
const CHALLENGE_HEADER: &str = "X-SCEP-Challenge";
/// What a light client is told to wait before it POSTs again.
const RETRY_AFTER_SECS: u32 = 5;
/// The RA certificate's subject.
const RA_SUBJECT: &str = "CN=scep example RA,O=scep development";
const RA_DAYS: u64 = 3650;
/// How often and how long the RA polls while its own upstream enrollment is PENDING.
const RA_POLL_INTERVAL: Duration = Duration::from_secs(1);
const RA_MAX_POLLS: u32 = 120;

const USAGE: &str = "\
usage: scep proxy --upstream URL (--upstream-fingerprint SHA256 | --upstream-ca FILE)
                  [--addr 127.0.0.1:8081] [--upstream-challenge SECRET]
                  [--challenge DEVICE_SECRET] [--state DIR] [--insecure-legacy]
                  [--read-timeout SECS] [--max-connections N]

  --upstream URL               the upstream SCEP CA, e.g. http://127.0.0.1:8080/scep
  --upstream-fingerprint HEX   SHA-256 of the upstream CA certificate: its GetCACert reply
                               must contain it, and only certificates it signed (directly
                               or through CA certificates) are used
  --upstream-ca FILE           the upstream CA certificate (PEM or DER) instead
  --addr ADDR                  address to listen on (default 127.0.0.1:8081)
  --upstream-challenge SECRET  enroll the RA key with the upstream using this challenge and
                               sign relayed requests with the issued certificate
                               (also --upstream-challenge-file FILE)
  --challenge SECRET           the challenge devices (and light clients) must present (also
                               --challenge-file FILE, or the environment variable
                               SCEP_CHALLENGE)
  --state DIR                  RA key and certificates, pending transactions
                               (default ./scep-proxy-state)
  --insecure-legacy            accept single DES and MD5 from devices and from the upstream;
                               needs the `insecure-legacy` feature
  --read-timeout SECS          time for a client to send its request head and body
                               (default 10)
  --max-connections N          connections served at once (default 1024)
  --version                    print the version and the compiled-in features

Light clients (needs --challenge): POST /light with a CSR (header X-SCEP-Challenge)
answers the certificate chain (PEM); POST /light with an
application/x-www-form-urlencoded body
subject=CN%3D...&challenge=SECRET&password=P12PASS[&key-type=rsa2048|p256]
makes the RA generate the key pair, enroll it upstream and answer a PKCS #12
file (key, certificate, chain) encrypted with the password. The private key is
never stored; password and key are never logged.";

/// The command line (no `Debug`: it holds the challenges).
struct Args {
    addr: String,
    upstream: String,
    upstream_challenge: Option<String>,
    anchor: Option<Anchor>,
    challenge: Option<String>,
    state: PathBuf,
    insecure_legacy: bool,
    read_timeout: Duration,
    max_connections: usize,
}

fn parse_args(argv: Vec<String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        addr: "127.0.0.1:8081".into(),
        upstream: String::new(),
        upstream_challenge: None,
        anchor: None,
        challenge: None,
        state: PathBuf::from("scep-proxy-state"),
        insecure_legacy: false,
        read_timeout: Duration::from_secs(10),
        max_connections: 1024,
    };
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--upstream" => args.upstream = value("--upstream")?,
            "--upstream-challenge" => {
                args.upstream_challenge = Some(value("--upstream-challenge")?);
            }
            "--upstream-fingerprint" => {
                args.anchor = Some(
                    Anchor::fingerprint(&value("--upstream-fingerprint")?)
                        .map_err(|e| format!("--upstream-fingerprint: {e}"))?,
                );
            }
            "--upstream-ca" => args.anchor = Some(Anchor::file(&value("--upstream-ca")?)?),
            "--upstream-challenge-file" => {
                let file = value("--upstream-challenge-file")?;
                args.upstream_challenge = Some(util::read_secret_file(&file)?);
            }
            "--challenge" => args.challenge = Some(value("--challenge")?),
            "--challenge-file" => {
                args.challenge = Some(util::read_secret_file(&value("--challenge-file")?)?);
            }
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
            "--state" => args.state = PathBuf::from(value("--state")?),
            "--insecure-legacy" => args.insecure_legacy = true,
            "--version" => {
                println!("{}", util::version("proxy"));
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.upstream.is_empty() {
        return Err(format!("--upstream is required\n{USAGE}"));
    }
    if args.anchor.is_none() {
        return Err(format!(
            "--upstream-fingerprint SHA256 or --upstream-ca FILE is required: the upstream's \
             GetCACert reply is verified against it\n{USAGE}"
        ));
    }
    if args.challenge.is_none() {
        args.challenge = std::env::var("SCEP_CHALLENGE")
            .ok()
            .filter(|c| !c.is_empty());
    }
    Ok(Some(args))
}

mod identity;
mod light;
mod pending;
mod ra;
mod upstream;

use identity::*;
use pending::*;
use ra::*;
use upstream::*;

fn run(args: Args) -> Result<(), String> {
    if args.insecure_legacy && !cfg!(feature = "insecure-legacy") {
        return Err(
            "--insecure-legacy needs the example built with `--features insecure-legacy`".into(),
        );
    }
    let mut rng = getrandom::SysRng;
    let ra = open_ra(&args.state)?;
    let anchor = args.anchor.as_ref().ok_or("no upstream anchor")?;
    let mut upstream = Upstream::connect(&args.upstream, anchor, &ra, args.insecure_legacy)?;
    if let Some(c) = &args.upstream_challenge {
        upstream.enroll_ra(&args.state, c, &mut rng)?;
    }
    let pending = Pending::load(args.state.join("pending"))?;

    // Devices see the RA certificate and the upstream's.
    let mut ca_certs = vec![ra.certificate().clone()];
    ca_certs.extend(upstream.certificates.iter().cloned());
    let legacy = Legacy::allow_if(args.insecure_legacy).map_err(|e| format!("{e}"))?;
    let options = ServerOptions::default().with_legacy(legacy);
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        ca_certs,
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
    .with_options(options);

    let runtime = http_server::runtime()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&args.addr))
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener
        .local_addr()
        .map_or_else(|_| args.addr.clone(), |a| a.to_string());
    eprintln!(
        "proxy: listening on http://{addr}/scep and http://{addr}{LIGHT_PATH}, RA {} \
         (state {}), upstream {}{}{}",
        ra.certificate().subject(),
        args.state.display(),
        args.upstream,
        if args.challenge.is_some() {
            ", challenge required"
        } else {
            ", NO device challenge"
        },
        if args.insecure_legacy {
            ", INSECURE legacy algorithms allowed"
        } else {
            ""
        },
    );
    let limits = http_server::Limits {
        read_timeout: args.read_timeout,
        max_connections: args.max_connections,
        max_body: server.options().http_limits().max_body_len,
    };
    // The RA's state (pending transactions, the upstream client) is one at a time: each
    // request's work runs on the blocking pool under this lock, after its body has arrived,
    // so a slow client holds up nobody.
    let app = Arc::new(Mutex::new(App {
        server,
        upstream,
        challenge: args.challenge,
        pending,
    }));
    runtime.block_on(http_server::run(listener, limits, move |req| {
        let app = Arc::clone(&app);
        async move {
            tokio::task::spawn_blocking(move || handle(&app, req))
                .await
                .unwrap_or_else(|e| ServerReply::text(500, &format!("worker: {e}")))
        }
    }));
    Ok(())
}

/// One request, its body read: the light endpoint or SCEP.
fn handle(app: &Mutex<App>, req: ServerRequest) -> ServerReply {
    let ServerRequest {
        method,
        target,
        path,
        headers,
        body,
    } = req;
    let light = path == LIGHT_PATH;
    let reply = |r: Logged| ServerReply {
        status: r.status,
        content_type: r.content_type,
        body: r.body,
        retry_after: r.retry_after,
        headers: r.headers,
    };
    if !light && !PATHS.contains(&path.as_str()) {
        eprintln!("proxy: {method} {} -> HTTP 404", util::escape(&path));
        return ServerReply::text(404, "not found");
    }
    if light && method != "POST" {
        eprintln!("proxy: {method} {path} -> HTTP 405");
        return ServerReply::text(405, "POST a CSR");
    }
    let challenge = headers
        .get(CHALLENGE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if light && crate::common::light::is_form(content_type) {
        let result = light::keygen(app, challenge.as_deref(), &body);
        eprintln!("proxy: {method} {path} {}", result.log);
        return reply(result);
    }
    let mut rng = getrandom::SysRng;
    let Ok(mut app) = app.lock() else {
        return ServerReply::text(500, "internal error");
    };
    let result = if light {
        app.light(challenge.as_deref(), &body, &mut rng)
    } else {
        app.scep(&method, &target, &body, &mut rng)
    };
    eprintln!("proxy: {method} {path} {}", result.log);
    reply(result)
}

pub fn main(args: Vec<String>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy: {e}");
            return ExitCode::from(2);
        }
    };
    crate::init_logging();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy: {e}");
            ExitCode::FAILURE
        }
    }
}
