//! An enrollment over a real HTTP client (`ureq`): the library builds and reads the SCEP
//! messages, the application moves the bytes.
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
use scep::ca_certs::CaCertificates;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions, Outcome};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::http::{HttpRequest as Request, Method};
use scep::limits::Limits;
use scep::provider::rustcrypto::{PROVIDER, RsaKey, public_key_info, sign_with_key};
use scep::trust::UnixTime;

type Result<T> = core::result::Result<T, Box<dyn core::error::Error>>;

/// Sends one request to `origin`; returns the status and body.
fn send(
    agent: &ureq::Agent,
    origin: &str,
    req: &Request,
) -> Result<(u16, Option<String>, Vec<u8>)> {
    let url = format!("{origin}{}", req.path_and_query);
    let mut reply = match req.method {
        Method::Post => agent
            .post(&url)
            .header("Content-Type", req.content_type.unwrap_or_default())
            .send(&req.body[..])?,
        _ => agent.get(&url).call()?,
    };
    let content_type = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = reply
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()?;
    Ok((reply.status().as_u16(), content_type, body))
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
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    );

    // What the CA offers, and its certificates (trusted on first use here: pin them in real
    // use with `CaCertificates::verify`, as `scep enroll --ca-fingerprint` does).
    let (status, _, body) = send(&agent, origin, &Request::get_ca_caps(path, None))?;
    let caps = Capabilities::from_http(status, &body);
    let (_, _, body) = send(&agent, origin, &Request::get_ca_cert(path, None))?;
    let ca = CaCertificates::parse(&body, &Limits::DEFAULT)?;
    let client = Client::new(ca.trust_on_first_use(), caps, PROVIDER)?
        .with_options(ClientOptions::default().with_endpoint(path))?;

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

    // PKCSReq, then CertPoll while the CA says PENDING.
    let (mut request, tx) = client.enroll(&csr, &key, &mut rng)?;
    let mut current = tx.clone();
    for _ in 0..30 {
        let (status, content_type, body) = send(&agent, origin, &request)?;
        match client.handle(
            &current,
            status,
            content_type.as_deref(),
            &body,
            &key,
            UnixTime::since_epoch(SystemTime::now().duration_since(UNIX_EPOCH)?),
            &mut rng,
        )? {
            Outcome::Issued { certificate, .. } => {
                print!("{}", certificate.to_pem());
                return Ok(());
            }
            Outcome::Pending => {
                std::thread::sleep(Duration::from_secs(2));
                (request, current) = client.poll(&tx, &key, &mut rng)?;
            }
            Outcome::Rejected { info, .. } => return Err(format!("rejected: {info}").into()),
            other => return Err(format!("unexpected: {other:?}").into()),
        }
    }
    Err("still PENDING; giving up".into())
}
