//! A device for the tests: the library's client with a fixed test key, over `ureq`.

use std::path::Path;
use std::sync::Arc;

use scep::Certificate;
use scep::builder;
use scep::caps::{Capabilities, Policy};
use scep::client::{Client, ClientOptions, Outcome, Transaction};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::http::{self, HttpRequest as Request, Method};
use scep::message::Csr;
use scep::provider::rustcrypto::{PROVIDER, RsaKey};

fn data(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A test key with its self-signed certificate (`client2048` or `rsa2048`).
pub fn key(name: &str) -> RsaKey {
    let cert = Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap();
    RsaKey::from_pem(&data(&format!("{name}.pkcs8.pem")), cert).unwrap()
}

/// A reply: status, content type, body.
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// One HTTP exchange; returns status and body.
pub fn send(origin: &str, req: &Request) -> (u16, Vec<u8>) {
    let r = send_full(origin, req);
    (r.status, r.body)
}

/// One HTTP exchange.
pub fn send_full(origin: &str, req: &Request) -> Reply {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(core::time::Duration::from_secs(60)))
            .build(),
    );
    let url = format!("{origin}{}", req.path_and_query);
    let result = match req.method {
        Method::Post => agent
            .post(&url)
            .header(
                "Content-Type",
                req.content_type.unwrap_or(http::CONTENT_TYPE_PKI_MESSAGE),
            )
            .send(&req.body[..]),
        _ => agent.get(&url).call(),
    };
    let mut r = result.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = r.body_mut().read_to_vec().unwrap();
    Reply {
        status,
        content_type,
        body,
    }
}

/// Sends `req` (of transaction `tx`) and reads the reply.
pub fn exchange(ca: &Ca, req: &Request, tx: &Transaction, key: &RsaKey) -> Outcome {
    let mut rng = getrandom::SysRng;
    let r = send_full(&ca.origin, req);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    ca.client
        .handle(
            tx,
            r.status,
            r.content_type.as_deref(),
            &r.body,
            key,
            now(),
            &mut rng,
        )
        .unwrap()
}

/// What a device needs to talk to one server: its origin and a client for its CA.
#[derive(Clone)]
pub struct Ca {
    pub origin: String,
    pub client: Arc<Client>,
}

impl Ca {
    /// Reads GetCACaps from `origin` and trusts `ca_cert` (read from the server's state
    /// directory, so pinned).
    pub fn new(origin: &str, ca_cert: &Path, digest: Option<DigestAlgorithm>) -> Ca {
        let ca = Certificate::from_pem(&std::fs::read(ca_cert).unwrap()).unwrap();
        let (status, body) = send(origin, &Request::get_ca_caps("/scep", None));
        let caps = Capabilities::from_http(status, &body);
        let options = ClientOptions::default()
            .with_endpoint("/scep")
            .with_policy(Policy::default().with_digest(digest));
        let certs = scep::ca_certs::CaCertificates::new(vec![ca]).unwrap();
        let client = Client::new(certs.trust_on_first_use(), caps, PROVIDER)
            .and_then(|c| c.with_options(options))
            .unwrap();
        Ca {
            origin: origin.to_owned(),
            client: Arc::new(client),
        }
    }

    /// Trusts what GetCACert of `origin` returns (an RA: its certificate and the CA's).
    pub fn from_get_ca_cert(origin: &str) -> Ca {
        let (status, body) = send(origin, &Request::get_ca_caps("/scep", None));
        let caps = Capabilities::from_http(status, &body);
        let (status, body) = send(origin, &Request::get_ca_cert("/scep", None));
        assert_eq!(status, 200);
        let certs =
            scep::ca_certs::CaCertificates::parse(&body, &scep::limits::Limits::DEFAULT).unwrap();
        let options = ClientOptions::default().with_endpoint("/scep");
        let client = Client::new(certs.trust_on_first_use(), caps, PROVIDER)
            .and_then(|c| c.with_options(options))
            .unwrap();
        Ca {
            origin: origin.to_owned(),
            client: Arc::new(client),
        }
    }

    /// The same client against another replica.
    pub fn at(&self, origin: &str) -> Ca {
        Ca {
            origin: origin.to_owned(),
            client: Arc::clone(&self.client),
        }
    }
}

/// A CSR for `key` with `subject` and `challenge`.
pub fn csr(key: &RsaKey, subject: &str, challenge: Option<&str>) -> Csr {
    let name: x509_cert::name::Name = subject.parse().unwrap();
    let sig = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    builder::csr(
        &name,
        key.certificate().subject_public_key_info(),
        challenge,
        &[],
        sig,
        &mut |m| key.clone().with_signature_algorithm(sig).sign(m),
    )
    .unwrap()
}

/// Sends a PKCSReq; returns the transaction and what the server said.
pub fn enroll(ca: &Ca, key: &RsaKey, csr: &Csr) -> (Transaction, Outcome) {
    let mut rng = getrandom::SysRng;
    let (req, tx) = ca.client.enroll(csr, key, &mut rng).unwrap();
    let outcome = exchange(ca, &req, &tx, key);
    (tx, outcome)
}

/// Sends a CertPoll for `tx`, signed by `key`.
pub fn poll(ca: &Ca, tx: &Transaction, key: &RsaKey) -> Outcome {
    let mut rng = getrandom::SysRng;
    let (req, t) = ca.client.poll(tx, key, &mut rng).unwrap();
    exchange(ca, &req, &t, key)
}

/// The issued certificate, or a panic naming what came instead.
#[track_caller]
pub fn issued(outcome: Outcome) -> Certificate {
    match outcome {
        Outcome::Issued { certificate, .. } => certificate,
        other => panic!("expected a certificate, got {other:?}"),
    }
}

/// The time now, for the client's validity checks.
pub fn now() -> scep::trust::UnixTime {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    scep::trust::UnixTime::since_epoch(since)
}
