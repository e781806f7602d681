//! An enrollment over a real HTTP client (`ureq`) with the library's one-call driver
//! (`scep::client::driver`: GetCACaps, GetCACert, PKCSReq, the PENDING poll loop and HTTP 503
//! retries). The library builds and reads the SCEP messages; the application moves the bytes.
//!
//! ```text
//! cargo run -p scep-cli -- serve --challenge s3cret &      # a CA to talk to
//! cargo run --example enroll -- http://127.0.0.1:8080/scep s3cret
//! ```
//!
//! Prints the issued certificate (PEM). The full client, with renewal, GetCert/GetCRL and
//! fingerprint pinning, is `scep enroll` (`cli/src/enroll.rs`).

use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use scep::builder;
use scep::client::ClientOptions;
use scep::client::driver::{self, EnrollError, EnrollOptions, HttpReply, Transport};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::http::{HttpRequest, Method};
use scep::provider::rustcrypto::{PROVIDER, RsaKey, public_key_info, sign_with_key};
use scep::trust::UnixTime;

type Result<T> = core::result::Result<T, Box<dyn core::error::Error>>;

/// The driver's transport: one HTTP exchange with the server at `origin` over `ureq`.
struct Ureq {
    agent: ureq::Agent,
    origin: String,
}

impl Transport for Ureq {
    type Error = ureq::Error;

    fn send(&mut self, req: &HttpRequest) -> core::result::Result<HttpReply, ureq::Error> {
        let url = format!("{}{}", self.origin, req.path_and_query);
        let mut reply = match req.method {
            Method::Post => self
                .agent
                .post(&url)
                .header("Content-Type", req.content_type.unwrap_or_default())
                .send(&req.body[..])?,
            _ => self.agent.get(&url).call()?,
        };
        let content_type = reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // SCEP replies are small: a CertRep with a chain is a few kilobytes.
        let body = reply
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()?;
        Ok(HttpReply {
            status: reply.status().as_u16(),
            content_type,
            body,
        })
    }
}

fn der_time(t: SystemTime) -> Result<der::DateTime> {
    let secs = t.duration_since(UNIX_EPOCH)?.as_secs();
    Ok(der::DateTime::from_unix_duration(Duration::from_secs(
        secs,
    ))?)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080/scep".into());
    let challenge = args.next();
    let (origin, path) = match url
        .strip_prefix("http://")
        .and_then(|r| r.find('/').map(|i| i + 7))
    {
        Some(i) => url.split_at(i),
        None => return Err("usage: enroll http://HOST:PORT/PATH [CHALLENGE]".into()),
    };
    let mut transport = Ureq {
        agent: ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        ),
        origin: origin.to_owned(),
    };

    // The device key, a self-signed certificate for it (it signs the request), and the CSR.
    let mut rng = getrandom::SysRng;
    let private = rsa::PrivateKey::new(&mut rng, 2048)?;
    let subject = "CN=example device".parse()?;
    let now = SystemTime::now();
    let sig = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let cert = builder::self_signed_certificate(
        &subject,
        public_key_info(&private)?,
        &[1],
        der_time(now - Duration::from_secs(300))?,
        der_time(now + Duration::from_secs(86_400))?,
        sig,
        &mut |tbs| sign_with_key(&private, sig, tbs),
        &PROVIDER,
    )?;
    let key = RsaKey::new(private, cert)?;
    let csr = builder::csr(
        &subject,
        key.certificate().subject_public_key_info(),
        challenge.as_deref(),
        &[],
        sig,
        &mut |tbs| key.sign(tbs),
    )?;

    // The whole enrollment. The CA's certificates are trusted on first use here: in real use
    // pin them with `with_anchor(TrustAnchor::Sha256Fingerprint(..))`, as `scep enroll --ca-fingerprint`
    // does.
    let options = EnrollOptions::default()
        .with_client(ClientOptions::default().with_endpoint(path))
        .with_trust_on_first_use(true)
        .with_poll_interval(Duration::from_secs(2))
        .with_max_polls(30);
    let mut now = || {
        UnixTime::since_epoch(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
        )
    };
    match driver::enroll(
        &mut transport,
        &mut std::thread::sleep,
        &mut now,
        &csr,
        &key,
        PROVIDER,
        &options,
        &mut rng,
    ) {
        Ok(enrolled) => {
            print!("{}", enrolled.certificate.to_pem());
            Ok(())
        }
        Err(EnrollError::Rejected { info, .. }) => Err(format!("rejected: {info}").into()),
        Err(e) => Err(e.into()),
    }
}
