//! Entry points for the fuzz targets in `fuzz/` and for the replay and mutation tests. **Not
//! part of the API**: compiled only with the private feature `__fuzzing`, no stability promise.
//!
//! Each function takes bytes from outside, runs them through one wire entry point of the crate
//! with the [no-security provider](crate::provider::fuzzing) (so that signature checks and
//! decryption do not stop the input before the parsers behind them), and returns whether the
//! checked properties held. An error from the crate is fine and returns `true`; `false` means a
//! property was broken (our own output does not parse, or decode → encode → decode changed the
//! message). A panic is always a bug.
//!
//! | function | entry point |
//! |---|---|
//! | [`pki_message`] | [`envelope::parse`] → verify → decrypt, and [`envelope::decrypt_enveloped`] |
//! | [`server`] | [`Server::pki_operation`] with a fixed RA key, then [`Server::reply`] |
//! | [`client`] | [`Client::handle`] of a CertRep for a fixed transaction and client key |
//! | [`ca_certs`] | [`CaCertificates::parse`] (GetCACert), [`TrustedCaCertificates::verify_next_ca_cert`](crate::trust::TrustedCaCertificates::verify_next_ca_cert) (GetNextCACert), [`CertsOnly::from_ber`], [`Certificate::from_der`] and `from_pem` |
//! | [`caps`] | [`Capabilities::parse`] |
//! | [`http`] | [`http::parse_request`]; the input is split into method, target and body |
//! | [`roundtrip`] | open → seal → open → seal: the message and the bytes must not change |

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::str::FromStr;

use std::sync::OnceLock;

mod ber;
pub use ber::{
    BerElement, ber_finish_lenient, ber_header_len, ber_string, ber_to_der, ber_tree, ber_walk,
};

use crate::asn1::enc;
use crate::attr::{FailInfo, FailInfoText};
use crate::builder::{self, CertificateTemplate};
use crate::ca_certs::{CaCertificates, build_next_ca_cert};
use crate::caps::{Capabilities, Capability, Policy};
use crate::cert::Certificate;
use crate::client::{Client, ClientOptions, Transaction};
use crate::crypto::{ContentEncryption, DigestAlgorithm, KeyTransport, SignatureAlgorithm};
use crate::envelope::{self, OpenOptions, SealOptions};
use crate::error::Error;
use crate::http::{self, HttpLimits, HttpRequest};
use crate::limits::Limits;
use crate::message::Request;
use crate::message::{CertsOnly, IssuerAndSerialNumber};
use crate::oid;
use crate::provider::fuzzing::{FIXED_LEN, FixedRng, FuzzKey, PROVIDER};
use crate::server::{Decision, Incoming, Server, ServerOptions};
use crate::trust::{NoneRevoked, RenewalPolicy, TrustAnchor, UnixTime};

/// Everything the entry points share, built once.
struct Fixture {
    ra: FuzzKey,
    device: FuzzKey,
    ca_certs: Vec<Certificate>,
    /// The same, as a client reads them from GetCACert.
    ca: CaCertificates,
    server: Server<FuzzKey, FuzzKey>,
    client: Client,
    tx: Transaction,
    /// The client's PKCSReq for `tx`, as sent (POST body).
    request: Vec<u8>,
}

static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

fn fixture() -> Option<&'static Fixture> {
    FIXTURE.get_or_init(|| build_fixture().ok()).as_ref()
}

fn fixed_signature(_: &[u8]) -> Result<Vec<u8>, crate::crypto::CryptoError> {
    Ok(vec![0x5a; FIXED_LEN])
}

/// A certificate for a made-up 2048-bit RSA key (the modulus is not a product of primes; with
/// the no-security provider nothing ever computes with it).
fn fake_certificate(cn: &str, serial: u8, is_ca: bool) -> Result<Certificate, Error> {
    let mut rsa = Vec::new();
    enc::nested(&mut rsa, enc::SEQUENCE, |k| {
        let mut n = vec![0xc5; 256];
        n.insert(0, 0);
        enc::tlv(k, 0x02, &n);
        enc::tlv(k, 0x02, &[0x01, 0x00, 0x01]);
        Ok(())
    })?;
    let public_key = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: oid::RSA_ENCRYPTION,
            parameters: Some(der::Any::null()),
        },
        subject_public_key: der::asn1::BitString::from_bytes(&rsa).map_err(|_| Error::Encode)?,
    };
    let subject = x509_cert::name::Name::from_str(&alloc::format!("CN={cn},O=scep fuzzing"))
        .map_err(|_| Error::InvalidInput)?;
    let template = CertificateTemplate {
        serial: vec![serial],
        subject,
        not_before: der::DateTime::new(2026, 1, 1, 0, 0, 0).map_err(|_| Error::InvalidInput)?,
        not_after: der::DateTime::new(2036, 1, 1, 0, 0, 0).map_err(|_| Error::InvalidInput)?,
        public_key,
        is_ca,
        key_usage: None,
        extensions: Vec::new(),
    };
    builder::certificate(
        &template,
        None,
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut fixed_signature,
        &PROVIDER,
    )
}

fn build_fixture() -> Result<Fixture, Error> {
    let ra_cert = fake_certificate("scep fuzzing RA", 1, true)?;
    let device_cert = fake_certificate("scep fuzzing device", 2, false)?;
    let ra = FuzzKey::new(ra_cert.clone());
    let device = FuzzKey::new(device_cert.clone());
    let ca_certs = vec![ra_cert.clone()];
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        ca_certs.clone(),
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
    .with_options(
        ServerOptions::default()
            .with_allow_unmatched_recipient(true)
            .with_legacy(crate::crypto::Legacy::allow_if(true).unwrap_or_default()),
    );
    let client = CaCertificates::new(ca_certs.clone()).and_then(|ca| {
        Client::new(
            ca.trust_on_first_use(),
            Capabilities::rfc8894_server(),
            PROVIDER,
        )?
        .with_options(
            ClientOptions::default().with_endpoint("/scep").with_policy(
                Policy::default()
                    .with_legacy(crate::crypto::Legacy::allow_if(true).unwrap_or_default()),
            ),
        )
    })?;
    let csr = device_csr(&device_cert)?;
    let (request, tx) = client.enroll(&csr, &device, &mut FixedRng::new(0))?;
    Ok(Fixture {
        ca: CaCertificates::new(ca_certs.clone())?,
        ra,
        device,
        ca_certs,
        server,
        client,
        tx,
        request: request.body,
    })
}

fn device_csr(cert: &Certificate) -> Result<crate::message::Csr, Error> {
    builder::csr(
        cert.subject(),
        cert.subject_public_key_info(),
        Some("fuzz-challenge"),
        &[],
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut fixed_signature,
    )
}

impl Fixture {
    fn open_options(&self) -> OpenOptions<'_> {
        OpenOptions::DEFAULT
            .with_extra_certificates(&self.ca_certs)
            .with_allow_unmatched_recipient(true)
            .with_legacy(crate::crypto::Legacy::allow_if(true).unwrap_or_default())
            // Lets password recipients (PWRI) through to the key unwrap.
            .with_password(Some(envelope::Password(b"fuzz")))
    }
}

fn touch_certificate(c: &Certificate) {
    let _ = (c.version(), c.subject(), c.issuer(), c.serial_number());
    let _ = (c.public_key(), c.public_key_der(), c.extensions().len());
    let _ = (c.key_usage(), c.subject_key_identifier(), c.is_ca());
    let _ = (c.tbs_der(), c.signature_algorithm(), c.signature());
    let _ = (c.x509(), c.to_rfc5280(), c.is_self_issued());
    let _ = c.verify_issued_by(c, &PROVIDER);
    let _ = IssuerAndSerialNumber::for_certificate(c);
}

/// PKIMessage decode: [`envelope::parse`], then (with the no-security provider) verify and
/// decrypt with the fixed RA key; and the input as a standalone EnvelopedData.
pub fn pki_message(data: &[u8]) -> bool {
    let Some(f) = fixture() else { return true };
    let opts = f.open_options();
    if let Ok(parsed) = envelope::parse(data, &opts) {
        let _ = (parsed.message_type(), parsed.transaction_id());
        let _ = (parsed.sender_nonce(), parsed.recipient_nonce());
        let _ = (
            parsed.pki_status(),
            parsed.signing_time(),
            parsed.has_content(),
        );
        let _ = (parsed.digest_algorithm(), parsed.signature_algorithm());
        let _ = parsed.signer_certificate().map(touch_certificate);
        parsed.certificates().iter().for_each(touch_certificate);
        if let Ok(verified) = parsed.verify(&PROVIDER) {
            let _ = verified.decrypt(&f.ra, &PROVIDER, &mut FixedRng::new(1));
        }
    }
    let _ = envelope::decrypt_enveloped(data, &opts, &f.ra, &PROVIDER, &mut FixedRng::new(1));
    true
}

/// Server open: [`Server::pki_operation`] with the fixed RA key; an authenticated request is
/// answered with [`Server::reply`]. Every CertRep the server sends must parse.
pub fn server(data: &[u8]) -> bool {
    let Some(f) = fixture() else { return true };
    let mut rng = FixedRng::new(2);
    let response = match f.server.pki_operation(data, &mut rng) {
        Incoming::Request(req) => {
            let _ = (req.message_type(), req.transaction_id(), req.sender_nonce());
            let _ = (req.challenge_password(), req.opened(), req.signer_issuer());
            let _ = (
                req.signer_kind(FUZZ_NOW, &NoneRevoked),
                req.signer_holds_csr_key(),
            );
            let _ = req.check_renewal(&RenewalPolicy::STRICT);
            touch_certificate(req.signer_certificate());
            let decision = match req.request() {
                Request::PkcsReq(_) | Request::RenewalReq(_) | Request::CertPoll(_) => {
                    Decision::Issued {
                        certificate: f.device.certificate().clone(),
                        chain: vec![],
                    }
                }
                Request::GetCert(_) => Decision::Certificates(vec![f.device.certificate().clone()]),
                _ => Decision::Rejected {
                    info: FailInfo::BadCertId,
                    text: FailInfoText::new("no").ok(),
                },
            };
            match f.server.reply(&req, decision, &mut rng) {
                Ok(r) => r,
                Err(_) => return true,
            }
        }
        Incoming::Reply(r) | Incoming::Refused { response: r, .. } => r,
        Incoming::GetNextCaCert { .. } => return true,
    };
    response.content_type != http::CONTENT_TYPE_PKI_MESSAGE
        || envelope::parse(&response.body, &f.open_options()).is_ok()
}

/// The time the fuzz targets check validity at (2027-01-15).
const FUZZ_NOW: UnixTime = UnixTime::from_secs(1_800_000_000);

/// Client open: [`Client::handle`] of a CertRep for the fixed transaction, with the fixed client
/// key.
pub fn client(data: &[u8]) -> bool {
    let Some(f) = fixture() else { return true };
    let _ = f.client.handle(
        &f.tx,
        200,
        None,
        data,
        &f.device,
        FUZZ_NOW,
        &mut FixedRng::new(3),
    );
    true
}

/// GetCACert reply: [`CertsOnly::from_ber`] (which must round-trip through `to_der`),
/// [`Certificate::from_der`] (which must keep the bytes) and the PEM readers.
pub fn ca_certs(data: &[u8]) -> bool {
    let mut ok = true;
    if let Ok(c) = CertsOnly::from_ber(data, &Limits::DEFAULT) {
        c.certificates.iter().for_each(touch_certificate);
        let relaxed = Limits::DEFAULT.with_max_message_size(usize::MAX);
        // A SET OF: DER sorts it, so compare as sets.
        let sorted = |c: &CertsOnly| {
            let mut certs: Vec<&[u8]> = c.certificates.iter().map(Certificate::as_der).collect();
            let mut crls: Vec<&[u8]> = c.crls.iter().map(|l| l.as_der()).collect();
            certs.sort_unstable();
            crls.sort_unstable();
            (certs.concat(), crls.concat())
        };
        ok &= c.to_der().is_ok_and(|der| {
            CertsOnly::from_ber(&der, &relaxed).is_ok_and(|again| sorted(&again) == sorted(&c))
        });
        if let Ok(ca) = CaCertificates::new(c.certificates.clone()) {
            let _ = Client::new(ca.trust_on_first_use(), Capabilities::new(), PROVIDER);
        }
    }
    if let Ok(cc) = CaCertificates::parse(data, &Limits::DEFAULT) {
        cc.certificates().iter().for_each(touch_certificate);
        let _ = (cc.encryption_certificate(), cc.ca_certificate(), cc.chain());
        let _ = cc.find_by_fingerprint(DigestAlgorithm::Sha256, &[0; 32], &PROVIDER);
        // Each of the first certificates as anchor: every certificate is kept or dropped, once.
        for anchor in cc.certificates().iter().take(2) {
            if let Ok(t) = cc.verify(&TrustAnchor::Certificate(anchor.clone()), &PROVIDER) {
                let _ = (
                    t.encryption_certificate(),
                    t.signing_certificates(),
                    t.chain(),
                );
                ok &= t.certificates().len() + t.dropped().len() == cc.certificates().len();
            }
        }
        let _ = cc.trust_on_first_use();
        // The selection depends on the set only (module docs): not on order or encoding.
        let relaxed = Limits::DEFAULT.with_max_message_size(usize::MAX);
        ok &= cc.to_response().is_ok_and(|(_, body)| {
            CaCertificates::parse(&body, &relaxed).is_ok_and(|again| same_selection(&cc, &again))
        });
    }
    if let Some(f) = fixture() {
        if let Ok(next) =
            f.ca.trust_on_first_use()
                .verify_next_ca_cert(data, &PROVIDER, &Limits::DEFAULT)
        {
            next.iter().for_each(touch_certificate);
        }
    }
    if let Ok(cert) = Certificate::from_der(data) {
        touch_certificate(&cert);
        ok &= cert.as_der() == data;
        ok &= Certificate::from_pem(cert.to_pem().as_bytes()).is_ok_and(|c| c == cert);
    }
    let _ = Certificate::all_from_pem(data);
    let _ = crate::message::Crl::from_der(data);
    let _ = crate::message::Csr::from_der(data).map(|c| {
        let _ = (c.challenge_password(), c.extension_request());
        let _ = c.verify_signature(&PROVIDER);
    });
    ok
}

fn same_selection(a: &CaCertificates, b: &CaCertificates) -> bool {
    fn set(certs: &[Certificate]) -> Vec<&[u8]> {
        let mut v: Vec<&[u8]> = certs.iter().map(Certificate::as_der).collect();
        v.sort_unstable();
        v
    }
    a.encryption_certificate() == b.encryption_certificate()
        && a.ca_certificate() == b.ca_certificate()
        && a.chain() == b.chain()
        && set(a.certificates()) == set(b.certificates())
        && set(a.signing_certificates()) == set(b.signing_certificates())
        && set(a.ra_certificates()) == set(b.ra_certificates())
}

/// GetCACaps text: [`Capabilities::parse`]; rendering what was parsed and parsing it again must
/// give the same set.
pub fn caps(data: &[u8]) -> bool {
    let parsed = Capabilities::parse(data);
    let _ = Capabilities::from_http(200, data);
    for policy in [
        Policy::new(),
        Policy::ndes(),
        Policy::new().with_prefer_aes256(true),
    ] {
        let _ = parsed.negotiate(&policy, &PROVIDER);
    }
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = Capability::from_keyword(text);
    }
    Capabilities::parse(parsed.render().as_bytes()) == parsed
}

/// HTTP request parsing: the first byte picks the method, the target runs to the first NUL, the
/// body follows it. A PKIOperation message must survive our own GET and POST encodings, and a
/// CA identifier our own query encoding.
pub fn http(data: &[u8]) -> bool {
    let Some((&selector, rest)) = data.split_first() else {
        return true;
    };
    let method = ["GET", "POST", "get", "PUT"]
        .get(usize::from(selector & 3))
        .copied()
        .unwrap_or("GET");
    let (target, body) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (
            rest.get(..i).unwrap_or(&[]),
            rest.get(i + 1..).unwrap_or(&[]),
        ),
        None => (rest, &[][..]),
    };
    let _ = http::decode_message(target);
    let target = String::from_utf8_lossy(target);
    let Ok(req) = http::parse_request(method, &target, body, &HttpLimits::DEFAULT) else {
        return true;
    };
    let unlimited = HttpLimits::DEFAULT
        .with_max_query_len(usize::MAX)
        .with_max_body_len(usize::MAX);
    let mut ok = true;
    if let Some(m) = &req.message {
        let get = HttpRequest::pki_operation("/scep", m, false);
        ok &= http::parse_request("GET", &get.path_and_query, b"", &unlimited)
            .is_ok_and(|r| r.message.as_ref() == Some(m));
        if m.first() == Some(&0x30) {
            let post = HttpRequest::pki_operation("/scep", m, true);
            ok &= http::parse_request("POST", &post.path_and_query, &post.body, &unlimited)
                .is_ok_and(|r| r.message.as_ref() == Some(m));
        }
    }
    if let Some(ident) = &req.ca_ident {
        let get = HttpRequest::get_ca_cert("/scep", Some(ident));
        ok &= http::parse_request("GET", &get.path_and_query, b"", &unlimited)
            .is_ok_and(|r| r.ca_ident.as_ref() == Some(ident));
    }
    ok
}

/// Decode → encode → decode: a message that opens (with the fixed RA key and the no-security
/// provider) is sealed again; that must open to the same message, and sealing it once more
/// (with the same generator state) must give the same bytes.
pub fn roundtrip(data: &[u8]) -> bool {
    let Some(f) = fixture() else { return true };
    let opts = f.open_options();
    let Ok(first) = envelope::open(data, &opts, &PROVIDER, &f.ra, &mut FixedRng::new(4)) else {
        return true;
    };
    if first.message.sender_nonce.is_none() {
        return true; // seal requires one; some peers omit it in replies
    }
    let seal_opts = SealOptions::DEFAULT
        .with_content_encryption(
            first
                .content_encryption
                .unwrap_or(ContentEncryption::Aes128Cbc),
        )
        .with_key_transport(first.key_transport.unwrap_or(KeyTransport::RsaPkcs1v15))
        .with_legacy(crate::crypto::Legacy::allow_if(true).unwrap_or_default());
    let seal = |m: &crate::message::PkiMessage| {
        envelope::seal(
            m,
            &f.ra,
            Some(f.ra.certificate()),
            &seal_opts,
            &PROVIDER,
            &mut FixedRng::new(5),
        )
    };
    let Ok(bytes) = seal(&first.message) else {
        return false;
    };
    let Ok(second) = envelope::open(&bytes, &opts, &PROVIDER, &f.ra, &mut FixedRng::new(4)) else {
        return false;
    };
    normalised(&second.message) == normalised(&first.message)
        && seal(&second.message).is_ok_and(|again| again == bytes)
}

/// The message with the certificates and CRLs of a certificates-only payload in DER SET OF
/// order: a SET carries no order, and DER sorts it.
fn normalised(m: &crate::message::PkiMessage) -> crate::message::PkiMessage {
    let mut m = m.clone();
    if let crate::message::MessageBody::CertRep(crate::message::CertRep::Success(c)) = &mut m.body {
        c.certificates.sort_by(|a, b| a.as_der().cmp(b.as_der()));
        c.crls.sort_by(|a, b| a.as_der().cmp(b.as_der()));
    }
    m
}

/// Every entry point above, for the replay and mutation tests. Returns the names of the
/// entry points whose properties did not hold.
pub fn all(data: &[u8]) -> Vec<&'static str> {
    TARGETS
        .iter()
        .filter(|(_, f)| !f(data))
        .map(|(name, _)| *name)
        .collect()
}

/// One entry point: `false` when a property broke.
pub type EntryPoint = fn(&[u8]) -> bool;

/// The fuzz targets by name (the directory names under `fuzz/corpus/`).
pub const TARGETS: &[(&str, EntryPoint)] = &[
    ("pki_message", pki_message),
    ("server", server),
    ("client", client),
    ("ca_certs", ca_certs),
    ("caps", caps),
    ("http", http),
    ("roundtrip", roundtrip),
];

/// Seed inputs made with the no-security provider, as `(target, name, bytes)`: the fixed
/// client's requests of every type, the fixed server's replies to it, GetCACert and GetCACaps
/// answers, and HTTP requests carrying them.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(f) = fixture() else { return out };
    let mut rng = FixedRng::new(10);
    let mut requests: Vec<(&str, Vec<u8>)> = vec![("pkcsreq", f.request.clone())];
    if let Ok(csr) = device_csr(f.device.certificate()) {
        if let Ok((r, _)) = f.client.renew(&csr, &f.device, &mut rng) {
            requests.push(("renewalreq", r.body));
        }
    }
    if let Ok((r, _)) = f.client.poll(&f.tx, &f.device, &mut rng) {
        requests.push(("certpoll", r.body));
    }
    if let Ok(ias) = IssuerAndSerialNumber::for_certificate(f.device.certificate()) {
        if let Ok((r, _)) = f.client.get_cert(ias.clone(), &f.device, &mut rng) {
            requests.push(("getcert", r.body));
        }
        if let Ok((r, _)) = f.client.get_crl(ias, &f.device, &mut rng) {
            requests.push(("getcrl", r.body));
        }
    }
    let mut replies: Vec<(&str, Vec<u8>)> = Vec::new();
    if let Incoming::Request(req) = f.server.pki_operation(&f.request, &mut rng) {
        let issued = Decision::Issued {
            certificate: f.device.certificate().clone(),
            chain: vec![f.ra.certificate().clone()],
        };
        for (name, decision) in [
            ("certrep-success", issued),
            ("certrep-pending", Decision::Pending),
            (
                "certrep-failure",
                Decision::Rejected {
                    info: FailInfo::BadRequest,
                    text: FailInfoText::new("refused").ok(),
                },
            ),
        ] {
            if let Ok(r) = f.server.reply(&req, decision, &mut rng) {
                replies.push((name, r.body));
            }
        }
    }
    for (name, bytes) in requests.iter().chain(replies.iter()) {
        for target in ["pki_message", "roundtrip"] {
            out.push((target, alloc::format!("fuzz-{name}"), bytes.clone()));
        }
    }
    for (name, bytes) in &requests {
        out.push(("server", alloc::format!("fuzz-{name}"), bytes.clone()));
        let get = HttpRequest::pki_operation("/scep", bytes, false);
        let mut g = vec![0u8];
        g.extend_from_slice(get.path_and_query.as_bytes());
        out.push(("http", alloc::format!("fuzz-get-{name}"), g));
        let post = HttpRequest::pki_operation("/scep", bytes, true);
        let mut p = vec![1u8];
        p.extend_from_slice(post.path_and_query.as_bytes());
        p.push(0);
        p.extend_from_slice(&post.body);
        out.push(("http", alloc::format!("fuzz-post-{name}"), p));
    }
    for (name, bytes) in &replies {
        out.push(("client", alloc::format!("fuzz-{name}"), bytes.clone()));
    }
    for (name, op) in [
        ("getcacaps", HttpRequest::get_ca_caps("/scep", None)),
        (
            "getcacert",
            HttpRequest::get_ca_cert("/scep", Some("ca ident/1")),
        ),
        (
            "getnextcacert",
            HttpRequest::get_next_ca_cert("/scep", None),
        ),
    ] {
        let mut g = vec![0u8];
        g.extend_from_slice(op.path_and_query.as_bytes());
        out.push(("http", alloc::format!("fuzz-{name}"), g));
    }
    if let Ok(one) = f.server.ca_cert_response() {
        out.push(("ca_certs", String::from("fuzz-ca-cert"), one.body));
    }
    let two = CertsOnly::from_certificates(vec![
        f.ra.certificate().clone(),
        f.device.certificate().clone(),
    ]);
    if let Ok(der) = two.to_der() {
        out.push(("ca_certs", String::from("fuzz-ca-ra-certs"), der));
    }
    if let Ok(next) = build_next_ca_cert(&[f.device.certificate().clone()], &f.ra, &PROVIDER, None)
    {
        out.push(("ca_certs", String::from("fuzz-next-ca-cert"), next));
    }
    out.push((
        "caps",
        String::from("fuzz-rfc8894-server"),
        Capabilities::rfc8894_server().render().into_bytes(),
    ));
    out.push((
        "caps",
        String::from("fuzz-crlf-bom-private"),
        b"\xef\xbb\xbfPOSTPKIOperation\r\nsha-256\r\n\r\nExample.com-Cap\r\nDES3".to_vec(),
    ));
    out
}
