//! `scep enroll`: a SCEP client over HTTP.
//!
//! ```text
//! scep enroll --url http://127.0.0.1:8080/scep [--challenge SECRET]
//!     [--subject CN=device] [--out DIR] [--renew] [--key-type rsa2048|rsa3072|rsa4096|p256|p384]
//!     [--key FILE] [--csr FILE] [--insecure-legacy]
//!     [--poll-interval SECS] [--max-polls N] [--get] [--cipher C] [--digest D]
//!     [--ca-fingerprint HEX] [--get-cert SERIAL] [--get-crl]
//! ```
//!
//! Enrollment: GetCACaps and GetCACert, a new key (`--key-type`: RSA, or EC P-256/P-384 whose
//! CSR and messages are signed with ECDSA and whose CertRep comes back as a KeyAgree (ECDH)
//! envelope), a self-signed certificate to sign the request with and a CSR (with the challenge
//! password), then PKCSReq; while the CA answers
//! PENDING it polls (CertPoll) every `--poll-interval` seconds, at most `--max-polls` times.
//! On SUCCESS it writes `key.pem` (PKCS #8, mode 0600, created exclusively: an existing
//! `key.pem` is never overwritten), `cert.pem` and `chain.pem` (the CA certificates) to `--out`
//! (default `./scep-device`). `--key FILE` uses an existing key (RSA or EC, PKCS #8, PKCS #1 or
//! SEC1 PEM) instead of a new one, and `--csr FILE` sends that CSR (PEM or DER, e.g. made by
//! `openssl req`; it must be for the key) instead of building one.
//!
//! `--renew` reuses `DIR/key.pem` and signs with `DIR/cert.pem`: a RenewalReq when the CA
//! advertises `Renewal`, a PKCSReq signed with the old certificate otherwise. The old
//! certificate is kept as `cert.previous.pem`.
//!
//! `--get-cert SERIAL` (hex) and `--get-crl` ask the CA for a certificate it issued and for its
//! CRL, signing with `DIR/key.pem` and `DIR/cert.pem`; they write `DIR/cert-SERIAL.pem` and
//! `DIR/crl.der`.
//!
//! The enrollment (GetCACaps, GetCACert, the request, the PENDING poll loop, HTTP 503 retries:
//! three, ten seconds apart) is the library's driver, `scep::client::driver`; GetCert and
//! GetCRL, single exchanges, use the client directly. Without `--ca-fingerprint` the CA is
//! trusted on first use, and a warning on stderr says that it was not authenticated.
//!
//! Algorithms come from GetCACaps; `--get` forces GET, `--cipher aes128|aes192|aes256|des3` (and `des`
//! with `--insecure-legacy`) and `--digest sha1|sha256|sha512` override them. `--insecure-legacy`
//! (needs the `insecure-legacy` feature) accepts single DES replies, which micromdm's
//! `scepserver` sends.
//!
//! Exit status: 0 issued, 2 the CA answered FAILURE (the failInfo is printed), 1 any other
//! error.

use core::time::Duration;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::SystemTime;

use scep::attr::{FailInfo, FailInfoText};
use scep::builder;
use scep::ca_certs::CaCertificates;
use scep::caps::{Capabilities, Capability, Policy};
use scep::client::driver::{self, AfterNegotiation, EnrollError, EnrollOptions, Progress};
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::{ContentEncryption, DigestAlgorithm, Legacy, Signer};
use scep::error::TrustFailure;
use scep::http::HttpRequest;
use scep::message::{Csr, IssuerAndSerialNumber};
use scep::provider::rustcrypto::PROVIDER;
use scep::trust::{TrustAnchor, TrustedCaCertificates};
use scep::{Certificate, Error};

use crate::common::http_client;
use crate::common::key::{AnyKey, KeyType};
use crate::common::pin::Anchor;
use crate::common::util;

use http_client::Http;
use util::{create_private, der_time, parse_name};

const USAGE: &str = "\
usage: scep enroll --url URL [--challenge SECRET] [--subject CN=device] [--out DIR] [--renew]
                   [--key-type rsa2048|rsa3072|rsa4096|p256|p384] [--key FILE] [--csr FILE]
                   [--insecure-legacy] [--poll-interval SECS] [--max-polls N]
                   [--get] [--cipher aes128|aes192|aes256|des3|des] [--digest sha1|sha256|sha512]
                   [--ca-fingerprint HEX] [--get-cert SERIAL_HEX] [--get-crl]

  --url URL            the SCEP endpoint, e.g. http://127.0.0.1:8080/scep
  --challenge SECRET   challenge password to put in the CSR
  --subject NAME       subject of the request (default CN=device; with --renew, the old one)
  --out DIR            where key.pem, cert.pem and chain.pem go (default ./scep-device)
  --renew              renew DIR/cert.pem with DIR/key.pem
  --key-type T         a new key of type rsa2048 (default), rsa3072, rsa4096, p256, p384
  --key-bits N         a new RSA key of N bits
  --key FILE           use this private key (PEM: PKCS #8, PKCS #1 or SEC1) for a new enrollment
  --csr FILE           send this CSR (PEM or DER) instead of building one; needs --key
  --poll-interval S    seconds between polls while PENDING (default 5)
  --max-polls N        give up after N polls (default 12)
  --get                send PKIOperation with GET even if the CA supports POST
  --cipher C           force the content encryption
  --digest D           force the digest
  --ca-fingerprint HEX require this SHA-256 fingerprint for a CA certificate
  --get-cert SERIAL    fetch the certificate with this serial (hex) from the CA
  --get-crl            fetch the CA's CRL
  --insecure-legacy    accept single DES/MD5 (micromdm scepserver replies with single DES);
                       needs the `insecure-legacy` feature
  --version            print the version and the compiled-in features";

#[derive(Debug)]
struct Args {
    url: String,
    challenge: Option<String>,
    subject: Option<String>,
    out: PathBuf,
    renew: bool,
    key_type: KeyType,
    key_file: Option<PathBuf>,
    csr_file: Option<PathBuf>,
    insecure_legacy: bool,
    poll_interval: u64,
    max_polls: u32,
    get: bool,
    cipher: Option<String>,
    digest: Option<String>,
    ca_fingerprint: Option<String>,
    get_cert: Option<String>,
    get_crl: bool,
}

fn parse_args(argv: Vec<String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        url: String::new(),
        challenge: None,
        subject: None,
        out: PathBuf::from("scep-device"),
        renew: false,
        key_type: KeyType::Rsa(2048),
        key_file: None,
        csr_file: None,
        insecure_legacy: false,
        poll_interval: 5,
        max_polls: 12,
        get: false,
        cipher: None,
        digest: None,
        ca_fingerprint: None,
        get_cert: None,
        get_crl: false,
    };
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--url" => args.url = value("--url")?,
            "--challenge" => args.challenge = Some(value("--challenge")?),
            "--subject" => args.subject = Some(value("--subject")?),
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--renew" => args.renew = true,
            "--key-bits" => {
                let bits = value("--key-bits")?
                    .parse()
                    .map_err(|e| format!("--key-bits: {e}"))?;
                args.key_type = KeyType::Rsa(bits);
            }
            "--key-type" => args.key_type = KeyType::parse(&value("--key-type")?)?,
            "--key" => args.key_file = Some(PathBuf::from(value("--key")?)),
            "--csr" => args.csr_file = Some(PathBuf::from(value("--csr")?)),
            "--insecure-legacy" => args.insecure_legacy = true,
            "--poll-interval" => {
                args.poll_interval = value("--poll-interval")?
                    .parse()
                    .map_err(|e| format!("--poll-interval: {e}"))?;
            }
            "--max-polls" => {
                args.max_polls = value("--max-polls")?
                    .parse()
                    .map_err(|e| format!("--max-polls: {e}"))?;
            }
            "--get" => args.get = true,
            "--cipher" => args.cipher = Some(value("--cipher")?.to_ascii_lowercase()),
            "--digest" => args.digest = Some(value("--digest")?.to_ascii_lowercase()),
            "--ca-fingerprint" => args.ca_fingerprint = Some(value("--ca-fingerprint")?),
            "--get-cert" => args.get_cert = Some(value("--get-cert")?),
            "--get-crl" => args.get_crl = true,
            "--version" => {
                println!("{}", util::version("client"));
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.url.is_empty() {
        return Err(format!("--url is required\n{USAGE}"));
    }
    if let KeyType::Rsa(bits) = args.key_type {
        if !(1024..=8192).contains(&bits) {
            return Err("--key-bits must be between 1024 and 8192".into());
        }
    }
    if args.csr_file.is_some() && args.key_file.is_none() {
        return Err("--csr needs --key (the CSR's private key)".into());
    }
    if args.renew && (args.key_file.is_some() || args.csr_file.is_some()) {
        return Err("--renew uses DIR/key.pem; --key and --csr are for a new enrollment".into());
    }
    Ok(Some(args))
}

/// Why the client stopped without a certificate.
enum Failed {
    /// The CA answered FAILURE.
    Rejected(FailInfo, Option<FailInfoText>),
    /// Anything else.
    Other(String),
}

impl From<String> for Failed {
    fn from(s: String) -> Self {
        Failed::Other(s)
    }
}

fn lib(what: &'static str) -> impl FnOnce(Error) -> Failed {
    move |e| Failed::Other(format!("{what}: {e}"))
}

fn fingerprint(cert: &Certificate) -> Result<String, Failed> {
    let d = PROVIDER
        .digests
        .digest(DigestAlgorithm::Sha256, cert.as_der())
        .map_err(|e| Failed::Other(format!("SHA-256: {e}")))?;
    Ok(util::hex(d.as_bytes()))
}

fn parse_digest(name: &str) -> Result<DigestAlgorithm, String> {
    Ok(match name {
        "sha1" | "sha-1" => DigestAlgorithm::Sha1,
        "sha256" | "sha-256" => DigestAlgorithm::Sha256,
        "sha512" | "sha-512" => DigestAlgorithm::Sha512,
        other => return Err(format!("unknown digest {other:?} (sha1, sha256, sha512)")),
    })
}

fn parse_cipher(name: &str, legacy: bool) -> Result<ContentEncryption, String> {
    Ok(match name {
        "aes128" | "aes" => ContentEncryption::Aes128Cbc,
        "aes192" => ContentEncryption::Aes192Cbc,
        "aes256" => ContentEncryption::Aes256Cbc,
        "des3" | "3des" => ContentEncryption::DesEde3Cbc,
        #[cfg(feature = "insecure-legacy")]
        "des" if legacy => ContentEncryption::DesCbc,
        "des" => return Err("--cipher des needs --insecure-legacy".into()),
        other => {
            let _ = legacy;
            return Err(format!(
                "unknown cipher {other:?} (aes128, aes192, aes256, des3, des)"
            ));
        }
    })
}

/// `DIR/key.pem` with `DIR/cert.pem`.
fn load_identity(dir: &Path) -> Result<AnyKey, Failed> {
    let read = |name: &str| {
        let p = dir.join(name);
        fs::read(&p).map_err(|e| Failed::Other(format!("{}: {e}", p.display())))
    };
    let cert = Certificate::from_pem(&read("cert.pem")?).map_err(lib("cert.pem"))?;
    AnyKey::from_pem(&read("key.pem")?, cert).map_err(lib("key.pem"))
}

/// The key for a new enrollment (`--key FILE`, or a new one of `--key-type`) with a
/// self-signed certificate for `subject`, to sign the first request with.
fn new_identity(args: &Args, subject: &x509_cert::name::Name) -> Result<AnyKey, Failed> {
    Ok(match &args.key_file {
        Some(path) => {
            let pem = zeroize::Zeroizing::new(
                fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
            );
            AnyKey::self_signed_from_pem(&pem, subject, 30)
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => AnyKey::self_signed(args.key_type, subject, 30, None)?,
    })
}

/// `--csr FILE` (PEM or DER), which must be for `key`.
fn read_csr(path: &Path, key: &AnyKey) -> Result<Csr, Failed> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let csr = Csr::from_pem(&bytes)
        .or_else(|_| Csr::from_der(&bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let ours = Signer::certificate(key).subject_public_key_info();
    if csr.public_key() != ours {
        return Err(Failed::Other(format!(
            "{}: the CSR is not for the key of --key",
            path.display()
        )));
    }
    Ok(csr)
}

fn write(path: &Path, data: &[u8]) -> Result<(), Failed> {
    fs::write(path, data).map_err(|e| Failed::Other(format!("{}: {e}", path.display())))
}

/// `scep enroll`'s HTTP client as the library's driver sees it.
struct Wire<'a>(&'a Http);

impl driver::Transport for Wire<'_> {
    type Error = String;

    fn send(&mut self, request: &HttpRequest) -> Result<driver::HttpReply, String> {
        let reply = self.0.send(request)?;
        Ok(driver::HttpReply {
            status: reply.status,
            content_type: Some(reply.content_type).filter(|c| !c.is_empty()),
            body: reply.body,
        })
    }
}

/// What the driver's errors say on stderr.
fn enroll_failed(e: EnrollError<String>) -> Failed {
    match e {
        EnrollError::Rejected { info, text } => Failed::Rejected(info, text),
        EnrollError::StillPending(_) => Failed::Other("still PENDING; giving up".into()),
        EnrollError::Transport(e) => Failed::Other(e),
        EnrollError::Scep(Error::Untrusted(TrustFailure::AnchorNotFound)) => {
            Failed::Other("no certificate in the GetCACert reply has the pinned fingerprint".into())
        }
        EnrollError::Scep(Error::Untrusted(e)) => {
            Failed::Other(format!("GetCACert reply not trusted: {e}"))
        }
        EnrollError::Scep(Error::LegacyAlgorithm) => Failed::Other(
            "reply: the CA answered with single DES or MD5; --insecure-legacy accepts it".into(),
        ),
        EnrollError::Scep(Error::HttpStatus(status)) => {
            Failed::Other(format!("the CA answered HTTP {status}"))
        }
        EnrollError::Scep(e) => Failed::Other(format!("{e}")),
        other => Failed::Other(format!("{other}")),
    }
}

/// What `--ca-fingerprint` pins, if given.
fn anchor(args: &Args) -> Result<Option<TrustAnchor>, Failed> {
    let Some(want) = &args.ca_fingerprint else {
        return Ok(None);
    };
    let fp = match Anchor::fingerprint(want).map_err(|e| format!("--ca-fingerprint: {e}"))? {
        Anchor::Fingerprint(fp) => fp,
        Anchor::Certificate(_) => return Err(Failed::Other("--ca-fingerprint".into())),
    };
    let fp: [u8; 32] = fp
        .as_slice()
        .try_into()
        .map_err(|_| Failed::Other("--ca-fingerprint: a SHA-256 has 32 bytes".into()))?;
    Ok(Some(TrustAnchor::Sha256Fingerprint(fp)))
}

/// Says on stderr that the CA was not authenticated (no `--ca-fingerprint`).
fn warn_trust_on_first_use() {
    eprintln!(
        "client: WARNING: the CA is NOT authenticated: no --ca-fingerprint was given, so the \
         GetCACert reply is trusted as it comes (trust on first use). Anyone on the path can \
         pose as the CA; pin it with --ca-fingerprint SHA256_HEX."
    );
}

fn describe_ca(client: &Client, ca: &TrustedCaCertificates) {
    for c in ca.certificates() {
        let fp = fingerprint(c).unwrap_or_default();
        eprintln!("client: CA certificate {} (SHA-256 {fp})", c.subject());
    }
    for d in ca.dropped() {
        eprintln!(
            "GetCACert: dropped {} ({:?})",
            util::escape(&d.certificate.subject().to_string()),
            d.reason
        );
    }
    let negotiated = client.negotiated();
    eprintln!(
        "client: {:?}, {:?}, {}, encrypting to {}",
        negotiated.cipher,
        negotiated.digest,
        if negotiated.use_post { "POST" } else { "GET" },
        client.recipient().subject()
    );
}

/// The algorithms: negotiated from the capabilities, unless forced.
fn client_options(args: &Args, path: &str) -> Result<ClientOptions, Failed> {
    let mut policy = Policy::default()
        .with_legacy(Legacy::allow_if(args.insecure_legacy).map_err(lib("legacy"))?);
    if let Some(c) = &args.cipher {
        policy.cipher = Some(parse_cipher(c, args.insecure_legacy)?);
    }
    if let Some(d) = &args.digest {
        policy.digest = Some(parse_digest(d)?);
    }
    Ok(ClientOptions::default()
        .with_endpoint(path)
        .with_policy(policy)
        .with_signing_time(Some(der_time(SystemTime::now())?)))
}

fn run(args: &Args) -> Result<(), Failed> {
    if args.insecure_legacy && !cfg!(feature = "insecure-legacy") {
        return Err(Failed::Other(
            "--insecure-legacy needs the example built with `--features insecure-legacy`".into(),
        ));
    }
    let fetching = args.get_crl || args.get_cert.is_some();
    // A new enrollment never overwrites a key: stop before anything is sent.
    let key_path = args.out.join("key.pem");
    if !args.renew && !fetching && fs::symlink_metadata(&key_path).is_ok() {
        return Err(Failed::Other(format!(
            "{} exists: renew it with --renew, or enroll into another --out",
            key_path.display()
        )));
    }
    let (http, path) = Http::new(&args.url)?;
    let anchor = anchor(args)?;
    if anchor.is_none() {
        warn_trust_on_first_use();
    }
    let options = client_options(args, &path)?;
    if fetching {
        return fetch(args, &http, options, anchor);
    }

    // The key, and the certificate that signs the request (self-signed, or the one to renew).
    let key = if args.renew {
        load_identity(&args.out)?
    } else {
        let subject = parse_name(args.subject.as_deref().unwrap_or("CN=device"))?;
        new_identity(args, &subject)?
    };
    eprintln!("client: {} key", key.describe());
    let given_csr = match &args.csr_file {
        Some(path) => Some(read_csr(path, &key)?),
        None => None,
    };
    // The CSR, once the digest is negotiated: signed with it, but never with MD5.
    let build_csr = |client: &Client| -> Result<Csr, Error> {
        if let Some(csr) = &given_csr {
            return Ok(csr.clone());
        }
        let subject = match &args.subject {
            Some(s) => parse_name(s).map_err(|_| Error::InvalidInput)?,
            None => Signer::certificate(&key).subject().clone(),
        };
        let digest = client.negotiated().digest;
        let csr_sig = key.algorithm_with(if digest.is_legacy() {
            DigestAlgorithm::Sha1
        } else {
            digest
        });
        builder::csr(
            &subject,
            Signer::certificate(&key).subject_public_key_info(),
            args.challenge.as_deref(),
            &[],
            csr_sig,
            &mut |m| key.sign_with(csr_sig, m),
        )
    };

    // GetCACaps, GetCACert (pinned, or trusted on first use), the request, the PENDING poll
    // loop and HTTP 503 retries: the library's driver.
    let mut enroll_options = EnrollOptions::default()
        .with_client(options)
        .with_poll_interval(Duration::from_secs(args.poll_interval))
        .with_max_polls(args.max_polls)
        .with_renewal(args.renew)
        .with_force_get(args.get)
        .with_trust_on_first_use(anchor.is_none());
    if let Some(a) = anchor {
        enroll_options = enroll_options.with_anchor(a);
    }
    let mut progress = |p: Progress<'_>| match p {
        Progress::Negotiated {
            client,
            ca_certificates,
        } => describe_ca(client, ca_certificates),
        Progress::Requesting {
            transaction,
            renewal,
        } => eprintln!(
            "client: {} tx={}",
            if renewal { "renewal" } else { "enrollment" },
            transaction.transaction_id().as_str()
        ),
        Progress::Pending {
            poll,
            max_polls,
            interval,
        } => eprintln!(
            "client: PENDING; polling in {} s ({poll}/{max_polls})",
            interval.as_secs()
        ),
        Progress::Retrying {
            retry,
            max_retries,
            interval,
        } => eprintln!(
            "client: HTTP 503; trying again in {} s ({retry}/{max_retries})",
            interval.as_secs()
        ),
        _ => {}
    };
    let enrolled = driver::enroll_with_progress(
        &mut Wire(&http),
        &mut thread::sleep,
        &mut util::now,
        AfterNegotiation(build_csr),
        &key,
        PROVIDER,
        &enroll_options,
        &mut getrandom::SysRng,
        &mut progress,
    )
    .map_err(|e| match e {
        EnrollError::StillPending(tx) => Failed::Other(format!(
            "still PENDING after {} polls (transaction {}); giving up",
            args.max_polls,
            tx.transaction_id().as_str()
        )),
        e => enroll_failed(e),
    })?;
    save(
        args,
        &key,
        &enrolled.certificate,
        &enrolled.chain,
        enrolled.ca_certificates.certificates(),
    )
}

fn save(
    args: &Args,
    key: &AnyKey,
    cert: &Certificate,
    chain: &[Certificate],
    ca_certs: &[Certificate],
) -> Result<(), Failed> {
    let dir = &args.out;
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cert_path = dir.join("cert.pem");
    if args.renew && cert_path.exists() {
        fs::rename(&cert_path, dir.join("cert.previous.pem"))
            .map_err(|e| format!("{}: {e}", cert_path.display()))?;
    } else {
        let pem = key.to_pkcs8_pem().map_err(lib("key"))?;
        create_private(&dir.join("key.pem"), pem.as_bytes())?;
    }
    write(&cert_path, cert.to_pem().as_bytes())?;
    let chain = if chain.is_empty() { ca_certs } else { chain };
    let chain_pem: String = chain.iter().map(Certificate::to_pem).collect();
    write(&dir.join("chain.pem"), chain_pem.as_bytes())?;
    println!(
        "issued: serial {} subject {} -> {}",
        util::hex(cert.serial_number()),
        cert.subject(),
        cert_path.display()
    );
    Ok(())
}

/// GetCert or GetCRL, signed with the identity in `--out`: one exchange, so on the lower-level
/// API (GetCACaps, GetCACert, one sealed request) rather than the enrollment driver.
fn fetch(
    args: &Args,
    http: &Http,
    options: ClientOptions,
    anchor: Option<TrustAnchor>,
) -> Result<(), Failed> {
    let mut rng = getrandom::SysRng;
    let reply = http.send(&HttpRequest::get_ca_caps(&options.endpoint, None))?;
    let mut caps = Capabilities::from_http(reply.status, &reply.body);
    if args.get {
        caps.remove(&Capability::PostPkiOperation);
        caps.remove(&Capability::ScepStandard);
    }
    let reply = http.send(&HttpRequest::get_ca_cert(&options.endpoint, None))?;
    if reply.status != 200 {
        return Err(Failed::Other(format!(
            "GetCACert: HTTP {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        )));
    }
    let reply_set = CaCertificates::parse(&reply.body, &options.limits)
        .map_err(|e| Failed::Other(format!("GetCACert: {e}")))?;
    let trusted = match &anchor {
        Some(a) => reply_set
            .verify(a, &PROVIDER)
            .map_err(|e| enroll_failed(EnrollError::Scep(e)))?,
        None => reply_set.trust_on_first_use(),
    };
    let client = Client::new(trusted.clone(), caps, PROVIDER)
        .and_then(|c| c.with_options(options))
        .map_err(lib("negotiation"))?;
    describe_ca(&client, &trusted);
    let rng = &mut rng;
    let client = &client;
    let id = load_identity(&args.out)?;
    let (request, tx) = if let Some(serial) = &args.get_cert {
        let mut bytes = (0..serial.len())
            .step_by(2)
            .map(|i| {
                serial
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| Failed::Other(format!("bad serial {serial:?} (even-length hex)")))?;
        if bytes.first().is_some_and(|b| *b >= 0x80) {
            bytes.insert(0, 0);
        }
        let which = IssuerAndSerialNumber {
            issuer: Signer::certificate(&id).issuer().clone(),
            serial_number: der::asn1::Int::new(&bytes).map_err(|e| format!("serial: {e}"))?,
        };
        client.get_cert(which, &id, rng)
    } else {
        let which = IssuerAndSerialNumber::for_certificate(Signer::certificate(&id))
            .map_err(lib("cert"))?;
        client.get_crl(which, &id, rng)
    }
    .map_err(lib("request"))?;
    let reply = http.send(&request)?;
    if reply.status != 200 {
        return Err(Failed::Other(format!(
            "PKIOperation: HTTP {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        )));
    }
    match client
        .handle(
            &tx,
            reply.status,
            Some(&*reply.content_type),
            &reply.body,
            &id,
            util::now(),
            rng,
        )
        .map_err(lib("reply"))?
    {
        Outcome::Certificates(certs) => {
            let serial = args.get_cert.as_deref().unwrap_or_default();
            let path = args.out.join(format!("cert-{serial}.pem"));
            let pem: String = certs.iter().map(Certificate::to_pem).collect();
            write(&path, pem.as_bytes())?;
            println!("{} certificate(s) -> {}", certs.len(), path.display());
            Ok(())
        }
        Outcome::Crls(crls) => {
            let crl = crls
                .first()
                .ok_or_else(|| Failed::Other("SUCCESS without a CRL".into()))?;
            let path = args.out.join("crl.der");
            write(&path, crl.as_der())?;
            println!("CRL -> {}", path.display());
            Ok(())
        }
        Outcome::Rejected { info, text } => Err(Failed::Rejected(info, text)),
        other => Err(Failed::Other(format!("unexpected reply: {other:?}"))),
    }
}

pub fn main(args: Vec<String>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(Some(a)) => a,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed::Rejected(info, text)) => {
            let text = text
                .map(|t| format!(": {}", t.as_str()))
                .unwrap_or_default();
            eprintln!("client: FAILURE: failInfo {info} ({}){text}", info.as_str());
            ExitCode::from(2)
        }
        Err(Failed::Other(e)) => {
            eprintln!("client: error: {e}");
            ExitCode::FAILURE
        }
    }
}
