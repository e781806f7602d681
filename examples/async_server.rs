//! A SCEP CA inside an async HTTP handler (tokio + hyper): the library turns the request into
//! a decision to make and the decision into the reply; RSA work runs on the blocking pool.
//!
//! ```text
//! cargo run --example async_server -- 127.0.0.1:8080 s3cret
//! cargo run --example enroll -- http://127.0.0.1:8080/scep s3cret
//! ```
//!
//! In memory only: a CA made at start, sequential serial numbers, every enrollment with the
//! right challenge issued at once. The deployable server (a store, PENDING and approval,
//! revocation and CRLs, replicas, timeouts, graceful shutdown) is `scep serve`
//! (`cli/src/serve.rs`).

extern crate alloc;

use alloc::sync::Arc;
use core::convert::Infallible;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming as Body};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scep::Certificate;
use scep::attr::FailInfo;
use scep::builder::{self, CertificateTemplate};
use scep::caps::Capabilities;
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::http::{CONTENT_TYPE_TEXT_PLAIN, Response};
use scep::message::{Csr, Request};
use scep::provider::rustcrypto::{PROVIDER, RsaKey, public_key_info, sign_with_key};
use scep::server::{Decision, Incoming, Server, challenge_matches};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

type Result<T> = core::result::Result<T, Box<dyn core::error::Error + Send + Sync>>;

const SHA256: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);

struct Ca {
    key: RsaKey,
    server: Server<RsaKey, RsaKey>,
    challenge: String,
    next_serial: AtomicU64,
}

fn der_time(t: SystemTime) -> Result<der::DateTime> {
    let secs = t.duration_since(UNIX_EPOCH)?.as_secs();
    Ok(der::DateTime::from_unix_duration(Duration::from_secs(
        secs,
    ))?)
}

/// A certificate for `public_key`/`subject`, signed by `issuer` (or self-signed).
fn certificate(
    template: CertificateTemplate,
    issuer: Option<&Certificate>,
    sign: builder::SignFn<'_>,
) -> Result<Certificate> {
    Ok(builder::certificate(
        &template, issuer, SHA256, sign, &PROVIDER,
    )?)
}

fn template(
    csr_or_ca: (&x509_cert::name::Name, spki::SubjectPublicKeyInfoOwned),
    serial: u64,
    is_ca: bool,
) -> Result<CertificateTemplate> {
    let now = SystemTime::now();
    let usage = if is_ca {
        KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment | KeyUsages::KeyCertSign
    } else {
        KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment
    };
    Ok(CertificateTemplate {
        serial: serial.to_be_bytes().to_vec(),
        subject: csr_or_ca.0.clone(),
        not_before: der_time(now - Duration::from_secs(300))?,
        not_after: der_time(now + Duration::from_secs(if is_ca { 3650 } else { 365 } * 86_400))?,
        public_key: csr_or_ca.1,
        is_ca,
        key_usage: Some(KeyUsage(usage)),
        extensions: Vec::new(),
    })
}

impl Ca {
    fn new(challenge: String) -> Result<Ca> {
        let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)?;
        let name = "CN=async example CA".parse()?;
        let t = template((&name, public_key_info(&private)?), 1, true)?;
        let cert = certificate(t, None, &mut |tbs| sign_with_key(&private, SHA256, tbs))?;
        let key = RsaKey::new(private, cert.clone())?;
        let server = Server::new(
            key.clone(),
            key.clone(),
            vec![cert],
            Capabilities::rfc8894_server(),
            PROVIDER,
        );
        Ok(Ca {
            key,
            server,
            challenge,
            next_serial: AtomicU64::new(2),
        })
    }

    fn issue(&self, csr: &Csr) -> Result<Certificate> {
        let serial = self.next_serial.fetch_add(1, Ordering::Relaxed);
        let t = template((csr.subject(), csr.public_key().clone()), serial, false)?;
        certificate(t, Some(self.key.certificate()), &mut |tbs| {
            self.key.sign(tbs)
        })
    }

    /// The whole SCEP exchange for one HTTP request (blocking: RSA).
    fn answer(&self, method: &str, target: &str, body: &[u8]) -> Response {
        let mut rng = getrandom::SysRng;
        let req = match self.server.handle(method, target, body, &mut rng) {
            Incoming::Request(req) => req,
            Incoming::Reply(r) | Incoming::Refused { response: r, .. } => return r,
            _ => return text(404, "not here"),
        };
        let decision = match req.request() {
            Request::PkcsReq(csr) => {
                let got = req.challenge_password().unwrap_or_default();
                if !challenge_matches(&got, &self.challenge) {
                    refuse()
                } else {
                    match self.issue(csr) {
                        Ok(certificate) => Decision::Issued {
                            certificate,
                            chain: vec![self.key.certificate().clone()],
                        },
                        Err(_) => refuse(),
                    }
                }
            }
            _ => refuse(),
        };
        self.server
            .reply(&req, decision, &mut rng)
            .unwrap_or_else(|_| text(500, "cannot build the reply"))
    }
}

fn refuse() -> Decision {
    Decision::Rejected {
        info: FailInfo::BadRequest,
        text: None,
    }
}

fn text(status: u16, body: &str) -> Response {
    Response::new(status, CONTENT_TYPE_TEXT_PLAIN, body.as_bytes().to_vec())
}

/// The async handler: read the (bounded) body, do the SCEP work off the reactor, answer.
async fn handle(
    ca: Arc<Ca>,
    req: hyper::Request<Body>,
) -> core::result::Result<hyper::Response<Full<Bytes>>, Infallible> {
    let method = req.method().as_str().to_owned();
    let target = req.uri().to_string();
    let body = match Limited::new(req.into_body(), 256 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let r = tokio::task::spawn_blocking(move || ca.answer(&method, &target, &body))
        .await
        .unwrap_or_else(|_| text(500, "internal error"));
    let mut out = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() = hyper::StatusCode::from_u16(r.status).unwrap_or_default();
    out.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(r.content_type),
    );
    for (name, value) in r.headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            out.headers_mut().insert(n, v);
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let challenge = args.next().unwrap_or_else(|| "s3cret".into());
    let ca = Arc::new(tokio::task::spawn_blocking(move || Ca::new(challenge)).await??);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("SCEP on http://{addr}/scep");
    loop {
        let (stream, _) = listener.accept().await?;
        let ca = Arc::clone(&ca);
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(Arc::clone(&ca), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
