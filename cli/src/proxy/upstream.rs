//! The upstream CA: its capabilities and certificates, exchanges with it, the RA's own enrollment.

#[allow(clippy::wildcard_imports, reason = "the parent module's imports")]
use super::*;

pub(super) struct Upstream {
    pub(super) http: Http,
    pub(super) client: Client,
    /// The RA key with the certificate the upstream sees: the one it issued to the RA, or the
    /// self-signed RA certificate.
    pub(super) signer: RsaKey,
    /// The upstream's GetCACert certificates, appended to the chains the devices get.
    pub(super) certificates: Vec<Certificate>,
}

/// What came back from the upstream.
pub(super) type Exchanged = Result<Outcome, String>;

impl Upstream {
    /// GetCACaps and GetCACert (retried for a few seconds while the upstream starts).
    pub(super) fn connect(
        url: &str,
        anchor: &Anchor,
        ra: &RsaKey,
        legacy: bool,
    ) -> Result<Upstream, String> {
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
                Ok((
                    caps,
                    pinned(&ca, anchor).map_err(|e| format!("upstream {e}"))?,
                ))
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
        // `ca` holds only what chains to the pinned upstream CA (`pinned`).
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
    pub(super) fn exchange(
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
    pub(super) fn poll(&self, tx: &Transaction, rng: &mut dyn SecureRandom) -> Exchanged {
        let (request, poll_tx) = self
            .client
            .poll(tx, &self.signer, rng)
            .map_err(ca::scep_err("CertPoll"))?;
        self.exchange(&request, &poll_tx, rng)
    }

    /// With `--upstream-challenge`: the RA's own certificate from the upstream, enrolled on
    /// first start (kept in `DIR/ra.upstream.cert.pem`) and used to sign from then on.
    pub(super) fn enroll_ra(
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
    pub(super) fn full_chain(
        &self,
        certificate: Certificate,
        chain: Vec<Certificate>,
    ) -> Vec<Certificate> {
        let mut all = vec![certificate];
        for c in chain.into_iter().chain(self.certificates.iter().cloned()) {
            if !all.contains(&c) {
                all.push(c);
            }
        }
        all
    }
}

pub(super) fn describe_outcome(o: &Outcome) -> String {
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
