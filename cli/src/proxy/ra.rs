//! The RA: the device's challenge, the decision, the SCEP and light endpoints.

#[allow(clippy::wildcard_imports, reason = "the parent module's imports")]
use super::*;

pub(super) struct App {
    pub(super) server: Server<RsaKey, RsaKey>,
    pub(super) upstream: Upstream,
    pub(super) challenge: Option<String>,
    pub(super) pending: Pending,
}

/// A reply with its log line.
pub(super) struct Logged {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Vec<u8>,
    pub(super) retry_after: Option<u32>,
    /// Headers of the library's response (`Allow`, `Retry-After`).
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) log: String,
}

impl Logged {
    pub(super) fn new(r: Response, log: String) -> Logged {
        Logged {
            status: r.status,
            content_type: r.content_type,
            body: r.body,
            retry_after: None,
            headers: r.headers,
            log,
        }
    }

    pub(super) fn text(status: u16, body: &str, log: String) -> Logged {
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

pub(super) fn reject(info: FailInfo, why: &str) -> (Decision, String) {
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
    pub(super) fn check_challenge(&self, got: Option<&str>) -> Result<(), &'static str> {
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
    pub(super) fn settle(
        &mut self,
        key: &str,
        tx: &Transaction,
        csr: Option<(&Csr, &[u8])>,
        outcome: Exchanged,
        polling: bool,
    ) -> (Decision, String) {
        match outcome {
            Ok(Outcome::Pending) => {
                if let Some((csr, owner)) = csr {
                    self.pending.insert(key, tx, csr, owner);
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

    pub(super) fn decide(
        &mut self,
        req: &PkiRequest,
        rng: &mut dyn SecureRandom,
    ) -> (Decision, String) {
        let key = format!("scep {}", req.transaction_id().as_str());
        let Ok(owner) = req.signer_certificate().public_key_der() else {
            return reject(FailInfo::BadRequest, "unreadable signer key");
        };
        // A pending transaction is polled (or its request re-sent) only with the key that
        // sent it: anyone else could otherwise collect the certificate.
        if self
            .pending
            .owner(&key)
            .is_some_and(|o| o != owner.as_slice())
        {
            return reject(
                FailInfo::BadRequest,
                "transaction pending for another key than the signer's",
            );
        }
        match req.request() {
            Request::PkcsReq(csr) | Request::RenewalReq(csr) => {
                // A renewal signed by a certificate the upstream issued needs no challenge.
                if req.signer_kind(util::now(), &scep::trust::NoneRevoked) != SignerKind::IssuedByCa
                {
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
                self.settle(&key, &tx, Some((&csr, &owner)), outcome, false)
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

    pub(super) fn scep(
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
    pub(super) fn light(
        &mut self,
        challenge: Option<&str>,
        body: &[u8],
        rng: &mut dyn SecureRandom,
    ) -> Logged {
        // The challenge header is the light client's only credential: without a configured
        // challenge the endpoint would hand a certificate to anyone.
        if self.challenge.is_none() {
            return Logged::text(
                403,
                "the light endpoint needs a challenge (--challenge)",
                "HTTP 403: no --challenge configured; the light endpoint is off".into(),
            );
        }
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
                self.pending.insert(&key, &tx, &csr, &[]);
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
                    headers: Vec::new(),
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
