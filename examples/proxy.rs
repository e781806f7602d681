//! An example SCEP registration authority (RA): a proxy that answers devices itself and relays
//! the enrollments it approves to an upstream SCEP CA.
//!
//! ```text
//! cargo run --example proxy -- --addr 127.0.0.1:8081 --upstream http://127.0.0.1:8080/scep
//!     [--upstream-challenge SECRET] [--challenge DEVICE_SECRET] [--state DIR]
//!     [--insecure-legacy]
//! ```
//!
//! On first start it creates the RA key (RSA-2048) and a self-signed RA certificate (not a CA;
//! digitalSignature and keyEncipherment) in the state directory (default `./scep-proxy-state`).
//! Then it reads the upstream's GetCACaps and GetCACert, and serves on `/scep` (also
//! `/cgi-bin/pkiclient.exe`):
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
//!   Pending transactions are kept in `DIR/pending/`, so a restarted proxy picks them up.
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
//! One line per request goes to stderr (with a line per upstream exchange). A toy for
//! development and tests: one request at a time, no locking of the state directory.

use core::time::Duration;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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
use scep::trust::NoneRevoked;
use scep::{Certificate, Error};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

#[allow(
    dead_code,
    reason = "the proxy uses only the self-signed key maker and error helpers"
)]
#[path = "common/ca.rs"]
mod ca;
#[allow(
    dead_code,
    reason = "the proxy does not read the content type of replies"
)]
#[path = "common/http_client.rs"]
mod http_client;
#[path = "common/serve.rs"]
mod serve;
#[path = "common/util.rs"]
mod util;

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
usage: proxy --upstream URL [--addr 127.0.0.1:8081] [--upstream-challenge SECRET]
             [--challenge DEVICE_SECRET] [--state DIR] [--insecure-legacy]

  --upstream URL               the upstream SCEP CA, e.g. http://127.0.0.1:8080/scep
  --addr ADDR                  address to listen on (default 127.0.0.1:8081)
  --upstream-challenge SECRET  enroll the RA key with the upstream using this challenge and
                               sign relayed requests with the issued certificate
  --challenge SECRET           the challenge devices (and light clients) must present
  --state DIR                  RA key and certificates, pending transactions
                               (default ./scep-proxy-state)
  --insecure-legacy            accept single DES and MD5 from devices and from the upstream;
                               needs the `insecure-legacy` feature
  --version                    print the version and the compiled-in features";

#[derive(Debug)]
struct Args {
    addr: String,
    upstream: String,
    upstream_challenge: Option<String>,
    challenge: Option<String>,
    state: PathBuf,
    insecure_legacy: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        addr: "127.0.0.1:8081".into(),
        upstream: String::new(),
        upstream_challenge: None,
        challenge: None,
        state: PathBuf::from("scep-proxy-state"),
        insecure_legacy: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => args.addr = value("--addr")?,
            "--upstream" => args.upstream = value("--upstream")?,
            "--upstream-challenge" => {
                args.upstream_challenge = Some(value("--upstream-challenge")?);
            }
            "--challenge" => args.challenge = Some(value("--challenge")?),
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
    Ok(Some(args))
}

// ---------------------------------------------------------------------------------------------
// The RA's identity

/// `DIR/ra.key.pem` and `DIR/ra.cert.pem`, created on first start.
fn open_ra(dir: &Path) -> Result<RsaKey, String> {
    fs::create_dir_all(dir.join("pending")).map_err(ca::io_err(dir))?;
    let key_path = dir.join("ra.key.pem");
    let cert_path = dir.join("ra.cert.pem");
    if key_path.exists() && cert_path.exists() {
        let cert = Certificate::from_pem(&fs::read(&cert_path).map_err(ca::io_err(&cert_path))?)
            .map_err(ca::scep_err("RA certificate"))?;
        return RsaKey::from_pem(&fs::read(&key_path).map_err(ca::io_err(&key_path))?, cert)
            .map_err(ca::scep_err("RA key"));
    }
    let key = ca::create_self_signed(
        RA_SUBJECT,
        RA_DAYS,
        false,
        KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment),
    )?;
    let pem = key.to_pkcs8_pem().map_err(ca::scep_err("RA key"))?;
    write_private(&key_path, pem.as_bytes())?;
    fs::write(&cert_path, key.certificate().to_pem()).map_err(ca::io_err(&cert_path))?;
    eprintln!(
        "proxy: created the RA key and certificate in {}",
        dir.display()
    );
    Ok(key)
}

// ---------------------------------------------------------------------------------------------
// The upstream CA

struct Upstream {
    http: Http,
    client: Client,
    /// The RA key with the certificate the upstream sees: the one it issued to the RA, or the
    /// self-signed RA certificate.
    signer: RsaKey,
    /// The upstream's GetCACert certificates, appended to the chains the devices get.
    certificates: Vec<Certificate>,
}

/// What came back from the upstream.
type Exchanged = Result<Outcome, String>;

impl Upstream {
    /// GetCACaps and GetCACert (retried for a few seconds while the upstream starts).
    fn connect(url: &str, ra: &RsaKey, legacy: bool) -> Result<Upstream, String> {
        let (http, path) = Http::new(url)?;
        let mut tries = 0;
        let (caps, ca) = loop {
            let attempt = || -> Result<(Capabilities, CaCertificates), String> {
                let reply = http.send(&HttpRequest::get_ca_caps(&path, None))?;
                let caps = Capabilities::from_http(reply.status, &reply.body);
                let reply = http.send(&HttpRequest::get_ca_cert(&path, None))?;
                if reply.status != 200 {
                    return Err(format!("GetCACert: HTTP {}", reply.status));
                }
                let ca = CaCertificates::parse(&reply.body, &Limits::DEFAULT)
                    .map_err(ca::scep_err("GetCACert"))?;
                Ok((caps, ca))
            };
            match attempt() {
                Ok(r) => break r,
                Err(e) if tries < 10 => {
                    eprintln!("proxy: upstream {url}: {e}; retrying");
                    tries += 1;
                    thread::sleep(Duration::from_secs(1));
                }
                Err(e) => return Err(format!("upstream {url}: {e}")),
            }
        };
        let legacy = Legacy::allow_if(legacy).map_err(|e| format!("{e}"))?;
        let options = ClientOptions::default()
            .with_endpoint(&path)
            .with_policy(Policy::default().with_legacy(legacy))
            .with_signing_time(Some(util::der_time(SystemTime::now())?));
        // Trust on first use: pinning the upstream (`--upstream-fingerprint`) is the tools'
        // part of issue #12, with `CaCertificates::verify`.
        let client = Client::new(ca.trust_on_first_use(), caps, PROVIDER)
            .and_then(|c| c.with_options(options))
            .map_err(ca::scep_err("upstream capabilities"))?;
        let sig = SignatureAlgorithm::RsaPkcs1v15(client.negotiated().digest);
        eprintln!(
            "proxy: upstream {url}: {:?}, {:?}, encrypting to {}",
            client.negotiated().cipher,
            client.negotiated().digest,
            client.recipient().subject()
        );
        Ok(Upstream {
            http,
            client,
            signer: ra.clone().with_signature_algorithm(sig),
            certificates: ca.certificates().to_vec(),
        })
    }

    /// Sends `request` and reads the reply to `tx`.
    fn exchange(
        &self,
        request: &HttpRequest,
        tx: &Transaction,
        rng: &mut dyn SecureRandom,
    ) -> Exchanged {
        let reply = self.http.send(request)?;
        if reply.status != 200 {
            return Err(format!(
                "HTTP {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body).trim()
            ));
        }
        let outcome = self
            .client
            .handle(
                tx,
                reply.status,
                Some(&*reply.content_type),
                &reply.body,
                &self.signer,
                util::now(),
                rng,
            )
            .map_err(|e| match e {
                Error::LegacyAlgorithm => {
                    "the upstream answered with single DES or MD5 (--insecure-legacy)".to_owned()
                }
                e => format!("reply: {e}"),
            });
        eprintln!(
            "proxy:   upstream {:?} tx={} -> {}",
            tx.message_type(),
            tx.transaction_id().as_str(),
            match &outcome {
                Ok(o) => describe_outcome(o),
                Err(e) => e.clone(),
            }
        );
        outcome
    }

    /// CertPoll for a PENDING upstream transaction.
    fn poll(&self, tx: &Transaction, rng: &mut dyn SecureRandom) -> Exchanged {
        let (request, poll_tx) = self
            .client
            .poll(tx, &self.signer, rng)
            .map_err(ca::scep_err("CertPoll"))?;
        self.exchange(&request, &poll_tx, rng)
    }

    /// With `--upstream-challenge`: the RA's own certificate from the upstream, enrolled on
    /// first start (kept in `DIR/ra.upstream.cert.pem`) and used to sign from then on.
    fn enroll_ra(
        &mut self,
        dir: &Path,
        challenge: &str,
        rng: &mut dyn SecureRandom,
    ) -> Result<(), String> {
        let path = dir.join("ra.upstream.cert.pem");
        let sig = self.signer.signature_algorithm();
        let private = self.signer.private_key().clone();
        if let Ok(pem) = fs::read(&path) {
            let cert =
                Certificate::from_pem(&pem).map_err(ca::scep_err("RA upstream certificate"))?;
            let issued_here = self
                .certificates
                .iter()
                .any(|ca| cert.verify_issued_by(ca, &PROVIDER).is_ok());
            if issued_here {
                self.signer = RsaKey::new(private, cert)
                    .map_err(ca::scep_err("RA key"))?
                    .with_signature_algorithm(sig);
                eprintln!("proxy: signing upstream requests with {}", path.display());
                return Ok(());
            }
            eprintln!(
                "proxy: {} was not issued by this upstream; enrolling again",
                path.display()
            );
        }
        let ra = &self.signer;
        let csr_sig = if sig.digest().is_legacy() {
            SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256)
        } else {
            sig
        };
        let csr = builder::csr(
            ra.certificate().subject(),
            ra.certificate().subject_public_key_info(),
            Some(challenge),
            &[],
            csr_sig,
            &mut |m| ra.clone().with_signature_algorithm(csr_sig).sign(m),
        )
        .map_err(ca::scep_err("RA CSR"))?;
        let (request, tx) = self
            .client
            .enroll(&csr, ra, rng)
            .map_err(ca::scep_err("RA PKCSReq"))?;
        let mut outcome = self.exchange(&request, &tx, rng);
        let mut polls = 0;
        while let Ok(Outcome::Pending) = outcome {
            if polls >= RA_MAX_POLLS {
                return Err("the RA's own enrollment is still PENDING upstream".into());
            }
            polls += 1;
            thread::sleep(RA_POLL_INTERVAL);
            outcome = self.poll(&tx, rng);
        }
        match outcome? {
            Outcome::Issued { certificate, .. } => {
                fs::write(&path, certificate.to_pem()).map_err(ca::io_err(&path))?;
                eprintln!(
                    "proxy: the upstream issued the RA certificate {}",
                    path.display()
                );
                self.signer = RsaKey::new(private, certificate)
                    .map_err(ca::scep_err("RA key"))?
                    .with_signature_algorithm(sig);
                Ok(())
            }
            other => Err(format!(
                "the upstream refused the RA's enrollment: {}",
                describe_outcome(&other)
            )),
        }
    }

    /// The certificates for a light client: the issued one first, then the upstream's chain
    /// and its GetCACert certificates, each once.
    fn full_chain(&self, certificate: Certificate, chain: Vec<Certificate>) -> Vec<Certificate> {
        let mut all = vec![certificate];
        for c in chain.into_iter().chain(self.certificates.iter().cloned()) {
            if !all.contains(&c) {
                all.push(c);
            }
        }
        all
    }
}

fn describe_outcome(o: &Outcome) -> String {
    match o {
        Outcome::Issued { certificate, .. } => format!(
            "SUCCESS: serial 0x{} subject {}",
            util::hex(certificate.serial_number()),
            certificate.subject()
        ),
        Outcome::Certificates(c) => format!("SUCCESS: {} certificate(s)", c.len()),
        Outcome::Crls(c) => format!("SUCCESS: {} CRL(s)", c.len()),
        Outcome::Pending => "PENDING".into(),
        Outcome::Rejected { info, text } => match text {
            Some(t) => format!("FAILURE {info} ({})", t.as_str()),
            None => format!("FAILURE {info}"),
        },
        _ => "unknown outcome".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pending upstream transactions, in memory and in DIR/pending

/// Upstream transactions that were answered PENDING, by key (`scep <device transaction ID>`
/// or `light <SHA-256 of the public key>`). On disk: `pending/<hex of the key>.tx` holds the
/// upstream transaction ID and `.csr` the CSR (DER).
struct Pending {
    dir: PathBuf,
    map: HashMap<String, Transaction>,
}

impl Pending {
    fn load(dir: PathBuf) -> Result<Pending, String> {
        let mut map = HashMap::new();
        for entry in fs::read_dir(&dir).map_err(ca::io_err(&dir))?.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "tx") {
                continue;
            }
            let restored = (|| -> Result<(String, Transaction), String> {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                let key = unhex(stem).ok_or("bad file name")?;
                let id = fs::read_to_string(&path).map_err(ca::io_err(&path))?;
                let id = TransactionId::new(id.trim()).map_err(ca::scep_err("transaction ID"))?;
                let csr_path = path.with_extension("csr");
                let csr = Csr::from_der(&fs::read(&csr_path).map_err(ca::io_err(&csr_path))?)
                    .map_err(ca::scep_err("CSR"))?;
                // Only the ID and the key matter for polling; the nonce is drawn afresh.
                let nonce = Nonce::random(&mut getrandom::SysRng).map_err(ca::scep_err("nonce"))?;
                let tx = Transaction::new(id, nonce, MessageType::PkcsReq, Request::PkcsReq(csr));
                Ok((key, tx))
            })();
            match restored {
                Ok((key, tx)) => {
                    eprintln!(
                        "proxy: still PENDING upstream: {key} (upstream tx={})",
                        tx.transaction_id().as_str()
                    );
                    map.insert(key, tx);
                }
                Err(e) => eprintln!("proxy: ignoring {}: {e}", path.display()),
            }
        }
        Ok(Pending { dir, map })
    }

    fn get(&self, key: &str) -> Option<&Transaction> {
        self.map.get(key)
    }

    fn insert(&mut self, key: &str, tx: &Transaction, csr: &Csr) {
        let base = self.dir.join(util::hex(key.as_bytes()));
        let saved = fs::write(base.with_extension("csr"), csr.as_der()).and_then(|()| {
            fs::write(
                base.with_extension("tx"),
                tx.transaction_id().as_str().as_bytes(),
            )
        });
        if let Err(e) = saved {
            eprintln!("proxy: cannot keep {key} on disk ({e}); in memory only");
        }
        self.map.insert(key.to_owned(), tx.clone());
    }

    fn remove(&mut self, key: &str) {
        if self.map.remove(key).is_some() {
            let base = self.dir.join(util::hex(key.as_bytes()));
            let _ = fs::remove_file(base.with_extension("tx"));
            let _ = fs::remove_file(base.with_extension("csr"));
        }
    }
}

fn unhex(s: &str) -> Option<String> {
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

// ---------------------------------------------------------------------------------------------
// The RA

struct App {
    server: Server<RsaKey, RsaKey>,
    upstream: Upstream,
    challenge: Option<String>,
    pending: Pending,
}

/// A reply with its log line.
struct Logged {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    retry_after: Option<u32>,
    log: String,
}

impl Logged {
    fn new(r: Response, log: String) -> Logged {
        Logged {
            status: r.status,
            content_type: r.content_type,
            body: r.body,
            retry_after: None,
            log,
        }
    }

    fn text(status: u16, body: &str, log: String) -> Logged {
        Logged::new(
            Response::new(
                status,
                http::CONTENT_TYPE_TEXT_PLAIN,
                format!("{body}\n").into_bytes(),
            ),
            log,
        )
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

impl App {
    /// The device's challenge: `Ok` when it matches or none is configured.
    fn check_challenge(&self, got: Option<&str>) -> Result<(), &'static str> {
        let Some(expected) = &self.challenge else {
            return Ok(());
        };
        match got {
            None | Some("") => Err("missing challenge password"),
            Some(g) if challenge_matches(g, expected) => Ok(()),
            Some(_) => Err("wrong challenge password"),
        }
    }

    /// The device's answer from the upstream's; keeps or forgets the pending transaction.
    fn settle(
        &mut self,
        key: &str,
        tx: &Transaction,
        csr: Option<&Csr>,
        outcome: Exchanged,
        polling: bool,
    ) -> (Decision, String) {
        match outcome {
            Ok(Outcome::Pending) => {
                if let Some(csr) = csr {
                    self.pending.insert(key, tx, csr);
                }
                (Decision::Pending, "PENDING (upstream PENDING)".into())
            }
            // Exactly what the upstream sent: the issued certificate and the upstream's chain.
            // (Devices have the CA chain from GetCACert; and micromdm's scepclient saves the
            // first certificate of the reply's SET, which DER may sort before the issued one.)
            Ok(other) => {
                self.pending.remove(key);
                let what = format!("{} (upstream)", describe_outcome(&other));
                (Decision::from(other), what)
            }
            // A poll that did not get through: the device asks again later.
            Err(e) if polling => (Decision::Pending, format!("PENDING (upstream error: {e})")),
            Err(e) => reject(FailInfo::BadRequest, &format!("upstream error: {e}")),
        }
    }

    fn decide(&mut self, req: &PkiRequest, rng: &mut dyn SecureRandom) -> (Decision, String) {
        let key = format!("scep {}", req.transaction_id().as_str());
        match req.request() {
            Request::PkcsReq(csr) | Request::RenewalReq(csr) => {
                // A renewal signed by a certificate the upstream issued needs no challenge.
                if req.signer_kind(util::now(), &NoneRevoked) != SignerKind::IssuedByCa {
                    let got = req.challenge_password();
                    if let Err(why) = self.check_challenge(got.as_deref()) {
                        return reject(FailInfo::BadRequest, why);
                    }
                }
                if let Some(tx) = self.pending.get(&key).cloned() {
                    // The same request sent again while PENDING (micromdm's scepclient).
                    let outcome = self.upstream.poll(&tx, rng);
                    return self.settle(&key, &tx, None, outcome, true);
                }
                let up = &self.upstream;
                let (request, tx) = match up.client.relay(req, &up.signer, rng) {
                    Ok(r) => r,
                    Err(e) => return reject(FailInfo::BadRequest, &format!("relay: {e}")),
                };
                let outcome = up.exchange(&request, &tx, rng);
                let csr = csr.clone();
                self.settle(&key, &tx, Some(&csr), outcome, false)
            }
            Request::CertPoll(_) => match self.pending.get(&key).cloned() {
                Some(tx) => {
                    let outcome = self.upstream.poll(&tx, rng);
                    self.settle(&key, &tx, None, outcome, true)
                }
                None => reject(FailInfo::BadCertId, "no pending transaction"),
            },
            Request::GetCert(_) | Request::GetCrl(_) => {
                let up = &self.upstream;
                let (request, tx) = match up.client.relay(req, &up.signer, rng) {
                    Ok(r) => r,
                    Err(e) => return reject(FailInfo::BadRequest, &format!("relay: {e}")),
                };
                let outcome = up.exchange(&request, &tx, rng);
                self.settle(&key, &tx, None, outcome, false)
            }
            _ => reject(FailInfo::BadRequest, "unsupported request"),
        }
    }

    fn scep(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Logged {
        let limits = self.server.options().http_limits();
        let op = match http::parse_request(method, target, body, &limits) {
            Ok(p) => p.operation,
            Err(e) => return Logged::text(e.status_code(), e.as_str(), format!("HTTP error: {e}")),
        };
        if op == Operation::GetNextCaCert {
            return Logged::text(
                404,
                "no next CA certificate",
                "GetNextCACert -> HTTP 404".into(),
            );
        }
        match self.server.handle(method, target, body, rng) {
            Incoming::Request(req) => {
                let what = format!(
                    "PKIOperation {:?} tx={}",
                    req.message_type(),
                    req.transaction_id().as_str()
                );
                let (decision, outcome) = self.decide(&req, rng);
                match self.server.reply(&req, decision, rng) {
                    Ok(r) => Logged::new(r, format!("{what} -> {outcome}")),
                    Err(e) => Logged::text(
                        500,
                        "cannot build the reply",
                        format!("{what} -> HTTP 500: cannot build the reply: {e}"),
                    ),
                }
            }
            Incoming::Reply(r) => {
                let log = format!("{} -> HTTP {} {}", op.as_str(), r.status, r.content_type);
                Logged::new(r, log)
            }
            Incoming::Refused {
                response,
                reason,
                message_type,
                transaction_id,
            } => {
                // Refused by the library before any policy: never relayed upstream.
                let (what, outcome) =
                    serve::describe(&response, reason, message_type, transaction_id.as_ref());
                let what =
                    what.map_or_else(|| "PKIOperation".into(), |w| format!("PKIOperation {w}"));
                Logged::new(response, format!("{what} -> {outcome}"))
            }
            _ => Logged::text(500, "unexpected", "HTTP 500: unexpected".into()),
        }
    }

    /// `POST /light`.
    fn light(
        &mut self,
        challenge: Option<&str>,
        body: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Logged {
        let csr = if body.trim_ascii_start().starts_with(b"-----BEGIN") {
            Csr::from_pem(body)
        } else {
            Csr::from_der(body)
        };
        let csr = match csr.and_then(|c| c.verify_signature(&PROVIDER).map(|()| c)) {
            Ok(c) => c,
            Err(e) => {
                return Logged::text(
                    400,
                    "not a valid PKCS #10 CSR",
                    format!("-> HTTP 400: CSR: {e}"),
                );
            }
        };
        let what = format!("CSR subject {}", csr.subject());
        if let Err(why) = self.check_challenge(challenge) {
            return Logged::text(403, why, format!("{what} -> HTTP 403: {why}"));
        }
        let spki = match der::Encode::to_der(csr.public_key()) {
            Ok(d) => d,
            Err(e) => {
                return Logged::text(400, "bad public key", format!("{what} -> HTTP 400: {e}"));
            }
        };
        let id = match PROVIDER.digests.digest(DigestAlgorithm::Sha256, &spki) {
            Ok(d) => util::hex(d.as_bytes()),
            Err(e) => return Logged::text(500, "SHA-256", format!("{what} -> HTTP 500: {e}")),
        };
        let key = format!("light {id}");
        let up = &self.upstream;
        let (tx, outcome) = match self.pending.get(&key).cloned() {
            Some(tx) => {
                let outcome = up.poll(&tx, rng);
                (tx, outcome)
            }
            None => match up.client.enroll(&csr, &up.signer, rng) {
                Ok((request, tx)) => {
                    let outcome = up.exchange(&request, &tx, rng);
                    (tx, outcome)
                }
                Err(e) => {
                    return Logged::text(
                        500,
                        "cannot build the request",
                        format!("{what} -> HTTP 500: {e}"),
                    );
                }
            },
        };
        let short = id.get(..16).unwrap_or(&id);
        let what = format!(
            "{what} key={short} upstream tx={}",
            tx.transaction_id().as_str()
        );
        match outcome {
            Ok(Outcome::Pending) => {
                self.pending.insert(&key, &tx, &csr);
                let mut l = Logged::text(
                    202,
                    "pending; POST the same CSR again later",
                    format!("{what} -> HTTP 202 (upstream PENDING)"),
                );
                l.retry_after = Some(RETRY_AFTER_SECS);
                l
            }
            Ok(Outcome::Issued { certificate, chain }) => {
                self.pending.remove(&key);
                let log = format!(
                    "{what} -> HTTP 200: serial 0x{} subject {}",
                    util::hex(certificate.serial_number()),
                    certificate.subject()
                );
                let pem: String = self
                    .upstream
                    .full_chain(certificate, chain)
                    .iter()
                    .map(Certificate::to_pem)
                    .collect();
                Logged {
                    status: 200,
                    content_type: "application/pem-certificate-chain",
                    body: pem.into_bytes(),
                    retry_after: None,
                    log,
                }
            }
            Ok(other) => {
                self.pending.remove(&key);
                let d = describe_outcome(&other);
                Logged::text(
                    502,
                    &format!("upstream: {d}"),
                    format!("{what} -> HTTP 502: upstream {d}"),
                )
            }
            Err(e) => Logged::text(
                502,
                "upstream error",
                format!("{what} -> HTTP 502: upstream {e}"),
            ),
        }
    }
}

fn respond(req: tiny_http::Request, r: Logged) {
    serve::send(
        req,
        r.status,
        r.content_type,
        r.body,
        r.retry_after,
        "proxy",
    );
}

fn run(args: Args) -> Result<(), String> {
    if args.insecure_legacy && !cfg!(feature = "insecure-legacy") {
        return Err(
            "--insecure-legacy needs the example built with `--features insecure-legacy`".into(),
        );
    }
    let mut rng = getrandom::SysRng;
    let ra = open_ra(&args.state)?;
    let mut upstream = Upstream::connect(&args.upstream, &ra, args.insecure_legacy)?;
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

    let http = tiny_http::Server::http(args.addr.as_str())
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = http
        .server_addr()
        .to_ip()
        .map_or_else(|| args.addr.clone(), |a| a.to_string());
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
    let mut app = App {
        server,
        upstream,
        challenge: args.challenge,
        pending,
    };
    let max_body = app.server.options().http_limits().max_body_len;
    for mut req in http.incoming_requests() {
        let method = req.method().as_str().to_owned();
        let target = req.url().to_owned();
        let path = target.split('?').next().unwrap_or_default().to_owned();
        let light = path == LIGHT_PATH;
        if !light && !PATHS.contains(&path.as_str()) {
            eprintln!("proxy: {method} {path} -> HTTP 404");
            respond(req, Logged::text(404, "not found", String::new()));
            continue;
        }
        if light && method != "POST" {
            eprintln!("proxy: {method} {path} -> HTTP 405");
            respond(req, Logged::text(405, "POST a CSR", String::new()));
            continue;
        }
        let challenge = req
            .headers()
            .iter()
            .find(|h| h.field.equiv(CHALLENGE_HEADER))
            .map(|h| h.value.as_str().to_owned());
        let body = match serve::read_body(&mut req, max_body) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("proxy: {method} {path} -> cannot read the body: {e}");
                respond(
                    req,
                    Logged::text(400, "cannot read the body", String::new()),
                );
                continue;
            }
        };
        let result = if light {
            app.light(challenge.as_deref(), &body, &mut rng)
        } else {
            app.scep(&method, &target, &body, &mut rng)
        };
        eprintln!("proxy: {method} {path} {}", result.log);
        respond(req, result);
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("proxy: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("proxy: {e}");
            ExitCode::from(2)
        }
    }
}
