//! An example SCEP server over HTTP/1.1 with a development CA.
//!
//! ```text
//! cargo run --example server -- --addr 127.0.0.1:8080 [--challenge SECRET] [--pending]
//!     [--state DIR] [--no-post] [--insecure-legacy]
//! ```
//!
//! On first start it creates a CA (RSA-2048, self-signed, also the RA) in the state directory
//! (default `./scep-state`) and keeps it there with every certificate it issues. It serves all
//! SCEP operations on `/scep`, `/cgi-bin/pkiclient.exe` and `/certsrv/mscep/mscep.dll`:
//!
//! - GetCACaps: `AES DES3 POSTPKIOperation Renewal SHA-1 SHA-256 SHA-512 SCEPStandard`
//!   (`--no-post` drops `POSTPKIOperation` and `SCEPStandard`, so clients use GET).
//! - GetCACert: the CA certificate (DER).
//! - PKCSReq: checks the challenge password (`--challenge`) unless the request is signed by a
//!   certificate this CA issued (a renewal), then issues. With `--pending` the first request of
//!   a transaction gets PENDING and the certificate comes with the next CertPoll or with the
//!   same request sent again (what micromdm's `scepclient` does).
//! - RenewalReq: signed by a certificate this CA issued: issued without a challenge; otherwise
//!   treated like a PKCSReq.
//! - CertPoll: the certificate of a pending (or already issued) transaction.
//! - GetCert: an issued certificate by issuer and serial number. GetCRL: an empty CRL signed by
//!   the CA. GetNextCACert: 404 (there is no rollover certificate).
//!
//! Requests with single DES or MD5 are refused with FAILURE badAlg unless the server runs with
//! `--insecure-legacy` (needs the `insecure-legacy` feature); micromdm's `scepclient` needs it.
//!
//! One line per request goes to stderr. The server binds the given address only; a toy for
//! development and tests, not a CA to trust.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use scep::Certificate;
use scep::attr::{FailInfo, FailInfoText};
use scep::caps::{Capabilities, Capability};
use scep::crypto::{Legacy, SecureRandom};
use scep::http::{self, Operation, Response};
use scep::message::{Csr, Request};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{
    Decision, Incoming, PkiRequest, Server, ServerOptions, SignerKind, challenge_matches,
};
use scep::trust::NoneRevoked;

#[path = "common/ca.rs"]
mod ca;
#[path = "common/serve.rs"]
mod serve;
#[path = "common/util.rs"]
mod util;

use ca::DevCa;

/// The paths SCEP clients use: our default, the RFC's CGI path, and Microsoft NDES's.
const PATHS: [&str; 3] = [
    "/scep",
    "/cgi-bin/pkiclient.exe",
    "/certsrv/mscep/mscep.dll",
];

const USAGE: &str = "\
usage: server [--addr 127.0.0.1:8080] [--challenge SECRET] [--pending] [--state DIR]
              [--no-post] [--insecure-legacy]

  --addr ADDR         address to listen on (default 127.0.0.1:8080)
  --challenge SECRET  require this challenge password in new enrollments
  --pending           answer PENDING first; issue on the next poll or re-sent request
  --state DIR         CA key, certificate and issued certificates (default ./scep-state)
  --no-post           do not advertise POSTPKIOperation/SCEPStandard (clients use GET)
  --insecure-legacy   accept single DES and MD5 (micromdm scepclient); needs the
                      `insecure-legacy` feature
  --version           print the version and the compiled-in features";

#[derive(Debug)]
struct Args {
    addr: String,
    challenge: Option<String>,
    pending: bool,
    state: PathBuf,
    no_post: bool,
    insecure_legacy: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".into(),
        challenge: None,
        pending: false,
        state: PathBuf::from("scep-state"),
        no_post: false,
        insecure_legacy: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--challenge" => args.challenge = Some(value("--challenge")?),
            "--pending" => args.pending = true,
            "--state" => args.state = PathBuf::from(value("--state")?),
            "--no-post" => args.no_post = true,
            "--insecure-legacy" => args.insecure_legacy = true,
            "--version" => {
                println!("{}", util::version("server"));
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Some(args))
}

struct App {
    ca: DevCa,
    server: Server<RsaKey, RsaKey>,
    challenge: Option<String>,
    pending: bool,
    /// Transactions answered PENDING, by transaction ID: the CSR to issue for.
    waiting: HashMap<String, Csr>,
    /// Certificates issued, by transaction ID, for a CertPoll that comes after the issue.
    done: HashMap<String, Certificate>,
}

/// What a request led to, for the log line.
struct Logged {
    response: Response,
    /// `PKCSReq tx=...` or the like; empty for the operations without a message.
    what: String,
    outcome: String,
}

impl App {
    fn handle(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> (String, Logged) {
        let limits = self.server.options().http_limits();
        let parsed = match http::parse_request(method, target, body, &limits) {
            Ok(p) => p,
            Err(e) => {
                let response = text(e.status_code(), e.as_str());
                let outcome = format!("HTTP {}: {e}", response.status);
                return ("-".into(), logged(response, String::new(), outcome));
            }
        };
        let op = parsed.operation.as_str().to_owned();
        let result = match (parsed.operation, parsed.message) {
            (Operation::PkiOperation, Some(message)) => self.pki_operation(&message, rng),
            (Operation::GetNextCaCert, _) => logged(
                text(404, "no next CA certificate"),
                String::new(),
                "HTTP 404: no rollover certificate".into(),
            ),
            _ => match self.server.handle(method, target, body, rng) {
                Incoming::Reply(r) => {
                    let outcome = format!("HTTP {} {}", r.status, r.content_type);
                    logged(r, String::new(), outcome)
                }
                // GetNextCACert and PKIOperation are handled above.
                _ => logged(
                    text(500, "unexpected"),
                    String::new(),
                    "HTTP 500: unexpected".into(),
                ),
            },
        };
        (op, result)
    }

    fn pki_operation(&mut self, message: &[u8], rng: &mut dyn SecureRandom) -> Logged {
        match self.server.pki_operation(message, rng) {
            Incoming::Request(req) => {
                let o = req.opened();
                let cipher = o
                    .content_encryption
                    .map_or_else(|| "-".to_owned(), |c| format!("{c:?}"));
                let what = format!(
                    "{:?} tx={} signer={} alg={cipher}/{:?}",
                    req.message_type(),
                    req.transaction_id().as_str(),
                    signer_kind(req.signer_kind(util::now(), &NoneRevoked)),
                    o.digest,
                );
                let (decision, outcome) = self.decide(&req);
                match self.server.reply(&req, decision, rng) {
                    Ok(response) => logged(response, what, outcome),
                    Err(e) => logged(
                        text(500, "cannot build the reply"),
                        what,
                        format!("HTTP 500: cannot build the reply: {e}"),
                    ),
                }
            }
            Incoming::Refused {
                response,
                reason,
                message_type,
                transaction_id,
            } => {
                // Refused before a decision; the library says why (for this log only).
                let (what, outcome) =
                    serve::describe(&response, reason, message_type, transaction_id.as_ref());
                let what = what.unwrap_or_else(|| String::from("?"));
                logged(response, what, outcome)
            }
            _ => logged(
                text(500, "unexpected"),
                String::new(),
                "HTTP 500: unexpected".into(),
            ),
        }
    }

    fn decide(&mut self, req: &PkiRequest) -> (Decision, String) {
        let tx = req.transaction_id().as_str().to_owned();
        match req.request() {
            Request::PkcsReq(csr) | Request::RenewalReq(csr) => {
                // A request signed by a certificate this CA issued is a renewal (RenewalReq, or
                // a PKCSReq signed with the old certificate): no challenge needed.
                // Valid now and not revoked (this CA revokes nothing: its CRL is empty).
                let renewal = req.signer_kind(util::now(), &NoneRevoked) == SignerKind::IssuedByCa;
                if !renewal {
                    if let Some(expected) = &self.challenge {
                        let got = req.challenge_password().unwrap_or_default();
                        if !challenge_matches(&got, expected) {
                            let why = if got.is_empty() {
                                "missing challenge password"
                            } else {
                                "wrong challenge password"
                            };
                            return reject(FailInfo::BadRequest, why);
                        }
                    }
                }
                if self.pending && !self.waiting.contains_key(&tx) {
                    self.waiting.insert(tx, csr.clone());
                    return (Decision::Pending, "PENDING".into());
                }
                self.waiting.remove(&tx);
                let csr = csr.clone();
                self.issue(tx, &csr)
            }
            Request::CertPoll(_) => {
                if let Some(csr) = self.waiting.remove(&tx) {
                    return self.issue(tx, &csr);
                }
                match self.done.get(&tx) {
                    Some(cert) => {
                        let outcome = format!("SUCCESS again: {}", describe(cert));
                        (
                            Decision::Issued {
                                certificate: cert.clone(),
                                chain: vec![self.ca.certificate().clone()],
                            },
                            outcome,
                        )
                    }
                    None => reject(FailInfo::BadCertId, "no such transaction"),
                }
            }
            Request::GetCert(which) => {
                match self
                    .ca
                    .find_issued(&which.issuer, which.serial_number.as_bytes())
                {
                    Some(cert) => {
                        let outcome = format!("SUCCESS: {}", describe(cert));
                        (Decision::Certificates(vec![cert.clone()]), outcome)
                    }
                    None => reject(FailInfo::BadCertId, "no such certificate"),
                }
            }
            Request::GetCrl(which) => {
                if &which.issuer != self.ca.certificate().subject() {
                    return reject(FailInfo::BadCertId, "not issued by this CA");
                }
                match self.ca.empty_crl() {
                    Ok(crl) => (Decision::Crls(vec![crl]), "SUCCESS: empty CRL".into()),
                    Err(e) => {
                        eprintln!("server: CRL: {e}");
                        reject(FailInfo::BadRequest, "cannot make a CRL")
                    }
                }
            }
            _ => reject(FailInfo::BadRequest, "unsupported request"),
        }
    }

    fn issue(&mut self, tx: String, csr: &Csr) -> (Decision, String) {
        match self.ca.issue(csr) {
            Ok(cert) => {
                let outcome = format!("SUCCESS: {}", describe(&cert));
                self.done.insert(tx, cert.clone());
                (
                    Decision::Issued {
                        certificate: cert,
                        chain: vec![self.ca.certificate().clone()],
                    },
                    outcome,
                )
            }
            Err(e) => {
                eprintln!("server: issue: {e}");
                reject(FailInfo::BadRequest, "cannot issue")
            }
        }
    }
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

fn describe(cert: &Certificate) -> String {
    format!(
        "serial 0x{} subject {}",
        util::hex(cert.serial_number()),
        cert.subject()
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

fn text(status: u16, body: &str) -> Response {
    Response::new(
        status,
        http::CONTENT_TYPE_TEXT_PLAIN,
        body.as_bytes().to_vec(),
    )
}

fn logged(response: Response, what: String, outcome: String) -> Logged {
    Logged {
        response,
        what,
        outcome,
    }
}

fn respond(req: tiny_http::Request, r: Response) {
    serve::send(req, r.status, r.content_type, r.body, None, "server");
}

fn run(args: Args) -> Result<(), String> {
    if args.insecure_legacy && !cfg!(feature = "insecure-legacy") {
        return Err(
            "--insecure-legacy needs the example built with `--features \
                    insecure-legacy`"
                .into(),
        );
    }
    let ca = DevCa::open(&args.state)?;
    let mut caps = Capabilities::rfc8894_server();
    if args.no_post {
        caps.remove(&Capability::PostPkiOperation);
        caps.remove(&Capability::ScepStandard);
    }
    let legacy = Legacy::allow_if(args.insecure_legacy).map_err(|e| format!("{e}"))?;
    let options = ServerOptions::default().with_legacy(legacy);
    let server = Server::new(
        ca.key().clone(),
        ca.key().clone(),
        vec![ca.certificate().clone()],
        caps,
        PROVIDER,
    )
    .with_options(options);
    let http = tiny_http::Server::http(args.addr.as_str())
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = http
        .server_addr()
        .to_ip()
        .map_or_else(|| args.addr.clone(), |a| a.to_string());
    eprintln!(
        "server: listening on http://{addr}/scep, CA {} (state {}){}{}{}",
        ca.certificate().subject(),
        args.state.display(),
        if args.challenge.is_some() {
            ", challenge required"
        } else {
            ""
        },
        if args.pending { ", PENDING first" } else { "" },
        if args.insecure_legacy {
            ", INSECURE legacy algorithms allowed"
        } else {
            ""
        },
    );
    let mut app = App {
        ca,
        server,
        challenge: args.challenge,
        pending: args.pending,
        waiting: HashMap::new(),
        done: HashMap::new(),
    };
    let max_body = app.server.options().http_limits().max_body_len;
    let mut rng = getrandom::SysRng;
    for mut req in http.incoming_requests() {
        let method = req.method().as_str().to_owned();
        let target = req.url().to_owned();
        let path = target.split('?').next().unwrap_or_default();
        if !PATHS.contains(&path) {
            eprintln!("server: {method} {path} -> HTTP 404");
            respond(req, text(404, "not found"));
            continue;
        }
        let body = match serve::read_body(&mut req, max_body) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("server: {method} {path} -> cannot read the body: {e}");
                respond(req, text(400, "cannot read the body"));
                continue;
            }
        };
        let (op, result) = app.handle(&method, &target, &body, &mut rng);
        let sep = if result.what.is_empty() { "" } else { " " };
        eprintln!(
            "server: {method} {path} {op}{sep}{} -> {}",
            result.what, result.outcome
        );
        respond(req, result.response);
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("server: {e}");
            ExitCode::from(2)
        }
    }
}
