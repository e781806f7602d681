//! The trust rules (`scep::trust`, `CaCertificates::verify`) on certificate sets made at test
//! time with the `openssl` command: issue #12's rogue RA that names the real CA as its issuer,
//! NDES-like sets, chains through intermediates, and the renewal policy on a certificate with a
//! subjectAltName. Skipped with a message when openssl cannot run, a failure instead when
//! `SCEP_REQUIRE_PEERS=1` (`support::have_openssl`). The tests on fixed files need no program and
//! stay unit tests in `src/trust/tests.rs`.
#![allow(
    clippy::cloned_ref_to_slice_refs,
    reason = "`&[c.clone()]` reads as the expected list it is"
)]

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use scep::Certificate;
use scep::attr::Nonce;
use scep::builder;
use scep::ca_certs::{CaCertificates, build_next_ca_cert, fingerprint, to_response};
use scep::caps::Capabilities;
use scep::client::{Client, Outcome, Transaction};
use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
use scep::envelope::{SealOptions, seal};
use scep::error::{Error, TrustFailure};
use scep::limits::Limits;
use scep::message::{CertRep, CertsOnly, Csr, MessageBody, PkiMessage};
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::{Incoming, PkiRequest, Server};
use scep::trust::{
    DropReason, Dropped, RenewalChange, RenewalPolicy, TrustAnchor, UnixTime, check_renewal,
};

use crate::roundtrip::key;
use crate::support::{self, TempDir};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A certificate made by OpenSSL, with its key.
#[derive(Clone)]
struct Made {
    cert: Certificate,
    cert_path: String,
    key_path: String,
}

impl Made {
    fn key(&self) -> RsaKey {
        RsaKey::from_pem(&std::fs::read(&self.key_path).unwrap(), self.cert.clone()).unwrap()
    }
}

/// Certificates made with `openssl x509 -req` (only the extensions given) from the fixture keys
/// in `tests/data`.
struct Pki {
    dir: TempDir,
    n: AtomicUsize,
}

impl Pki {
    /// `None` (and a printed reason) when openssl cannot run and `SCEP_REQUIRE_PEERS` is not 1.
    fn new(tag: &str) -> Option<Self> {
        if !support::have_openssl() {
            return None;
        }
        Some(Self {
            dir: TempDir::new(&format!("trust-{tag}")),
            n: AtomicUsize::new(100),
        })
    }

    /// `issuer` `None`: self-signed.
    fn make(&self, key: &str, subject: &str, issuer: Option<&Made>, ext: &[&str]) -> Made {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let key_path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(key)
            .to_str()
            .unwrap()
            .to_owned();
        let csr = self.dir.s(&format!("{n}.csr"));
        let cert_path = self.dir.s(&format!("{n}.pem"));
        support::openssl(&[
            "req", "-new", "-key", &key_path, "-subj", subject, "-out", &csr,
        ]);
        let serial = n.to_string();
        let mut args: Vec<String> = [
            "x509",
            "-req",
            "-in",
            &csr,
            "-days",
            "3650",
            "-sha256",
            "-set_serial",
            &serial,
            "-out",
            &cert_path,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match issuer {
            None => args.extend(["-signkey".into(), key_path.clone()]),
            Some(ca) => args.extend([
                "-CA".into(),
                ca.cert_path.clone(),
                "-CAkey".into(),
                ca.key_path.clone(),
            ]),
        }
        if !ext.is_empty() {
            let mut text = String::from("[e]\n");
            for line in ext {
                text.push_str(line);
                text.push('\n');
            }
            let ext_path = self.dir.s(&format!("{n}.ext"));
            std::fs::write(&ext_path, text).unwrap();
            args.extend([
                "-extfile".into(),
                ext_path,
                "-extensions".into(),
                "e".into(),
            ]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        support::openssl(&refs);
        Made {
            cert: Certificate::from_pem(&std::fs::read(&cert_path).unwrap()).unwrap(),
            cert_path,
            key_path,
        }
    }
}

const CA: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
];
const RA_COMBINED: &[&str] = &[
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
];
const RA_SIGN: &[&str] = &["keyUsage=critical,digitalSignature"];
const RA_ENCRYPT: &[&str] = &["keyUsage=critical,keyEncipherment"];

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000); // 2027-01-15

fn sha256(c: &Certificate) -> TrustAnchor {
    let fp = fingerprint(c, DigestAlgorithm::Sha256, &PROVIDER).unwrap();
    TrustAnchor::Sha256Fingerprint(fp.as_bytes().try_into().unwrap())
}

/// The set as a GetCACert reply, parsed back.
fn reply(certs: &[&Made]) -> CaCertificates {
    let certs: Vec<Certificate> = certs.iter().map(|m| m.cert.clone()).collect();
    let (_, body) = to_response(&certs).unwrap();
    CaCertificates::parse(&body, &Limits::DEFAULT).unwrap()
}

/// The attack of issue #12: a certificate for the attacker's key whose issuer *names* the
/// real CA (made by a self-signed certificate with the CA's subject and the attacker's key).
fn rogue_ra(pki: &Pki, real_ca_subject: &str) -> Made {
    let fake_ca = pki.make("client4096.pkcs8.pem", real_ca_subject, None, CA);
    pki.make(
        "client4096.pkcs8.pem",
        "/CN=Rogue RA",
        Some(&fake_ca),
        RA_COMBINED,
    )
}

fn device() -> RsaKey {
    key("client2048")
}

fn csr_for(key: &RsaKey, subject: &x509_cert::name::Name) -> Csr {
    builder::csr(
        subject,
        key.certificate().subject_public_key_info(),
        Some("s3cret"),
        &[],
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut |m| key.sign(m),
    )
    .unwrap()
}

/// A certificate for the CSR's key signed by `issuer`, valid from `from` to `to` (years).
fn issue(issuer: &RsaKey, csr: &Csr, serial: u8, from: u16, to: u16) -> Certificate {
    let t = builder::CertificateTemplate {
        serial: vec![serial],
        subject: csr.subject().clone(),
        not_before: der::DateTime::new(from, 1, 1, 0, 0, 0).unwrap(),
        not_after: der::DateTime::new(to, 1, 1, 0, 0, 0).unwrap(),
        public_key: csr.public_key().clone(),
        is_ca: false,
        key_usage: None,
        extensions: vec![],
    };
    builder::certificate(
        &t,
        Some(issuer.certificate()),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut |m| issuer.sign(m),
        &PROVIDER,
    )
    .unwrap()
}

fn server_for(ca: &RsaKey) -> Server<RsaKey, RsaKey> {
    Server::new(
        ca.clone(),
        ca.clone(),
        vec![ca.certificate().clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
}

fn open(server: &Server<RsaKey, RsaKey>, body: &[u8]) -> PkiRequest {
    match server.pki_operation(body, &mut support::rng()) {
        Incoming::Request(r) => *r,
        other => panic!("not opened: {other:?}"),
    }
}

/// A CertRep SUCCESS for `tx`, signed by `signer` and encrypted to `device`, built directly:
/// what a man in the middle who holds `signer` sends (he cannot open the request, but its
/// transaction ID and nonce are in clear).
fn forged_success(
    tx: &Transaction,
    signer: &RsaKey,
    device: &Certificate,
    certs: Vec<Certificate>,
) -> Vec<u8> {
    let msg = PkiMessage {
        transaction_id: tx.transaction_id().clone(),
        sender_nonce: Some(Nonce::random(&mut support::rng()).unwrap()),
        recipient_nonce: Some(*tx.sender_nonce()),
        body: MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(certs))),
    };
    seal(
        &msg,
        signer,
        Some(device),
        &SealOptions::DEFAULT,
        &PROVIDER,
        &mut support::rng(),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// CA certificate sets

/// Issue #12's attack on a micromdm-like server (one CA with keyCertSign+cRLSign): the name-based
/// selection alone encrypts to the rogue "RA"; the verified set drops it as a bad signature,
/// encrypts to the CA, and the client refuses a SUCCESS signed by the rogue key.
/// GetNextCACert (RFC 8894 §4.7.1: signed by the current CA or RA key) is checked against the
/// set verified to its anchor: a reply signed by the rogue RA that rode along in the GetCACert
/// reply, or by an unrelated key, is refused; one signed by the CA is accepted. Trusted on first
/// use (what the check took before: any parsed set) the rogue's reply passes.
#[test]
fn next_ca_cert_signed_by_a_rogue_ra_is_refused() {
    let Some(pki) = Pki::new("rogue-next") else {
        return;
    };
    let ca = pki.make("rsa2048.pkcs8.pem", "/O=scep/OU=SCEP CA", None, CA);
    let rogue = rogue_ra(&pki, "/O=scep/OU=SCEP CA");
    let next = pki.make("client2048.pkcs8.pem", "/O=scep/OU=Next CA", None, CA);
    let new = [next.cert.clone()];
    let set = reply(&[&ca, &rogue]);
    let by_rogue = build_next_ca_cert(&new, &rogue.key(), &PROVIDER, None).unwrap();
    let by_ca = build_next_ca_cert(&new, &ca.key(), &PROVIDER, None).unwrap();
    let by_stranger = build_next_ca_cert(&new, &device(), &PROVIDER, None).unwrap();

    let verified = set.verify(&sha256(&ca.cert), &PROVIDER).unwrap();
    let check = |body: &[u8]| verified.verify_next_ca_cert(body, &PROVIDER, &Limits::DEFAULT);
    assert_eq!(check(&by_rogue), Err(Error::SignerNotFound));
    assert_eq!(check(&by_stranger), Err(Error::SignerNotFound));
    assert_eq!(check(&by_ca), Ok(new.to_vec()));

    // The gap this closes: believed without its anchor, the rogue RA may sign the next CA in.
    assert_eq!(
        set.trust_on_first_use()
            .verify_next_ca_cert(&by_rogue, &PROVIDER, &Limits::DEFAULT),
        Ok(new.to_vec())
    );
}

#[test]
fn rogue_ra_next_to_a_lone_ca_is_dropped_and_its_reply_refused() {
    let Some(pki) = Pki::new("rogue-lone") else {
        return;
    };
    let ca = pki.make("rsa2048.pkcs8.pem", "/O=scep/OU=SCEP CA", None, CA);
    let rogue = rogue_ra(&pki, "/O=scep/OU=SCEP CA");
    assert_eq!(
        rogue.cert.issuer(),
        ca.cert.subject(),
        "named as issued by the CA"
    );
    let set = reply(&[&ca, &rogue]);

    // What the client did before (selection by names and key usage): the rogue is the recipient.
    assert_eq!(set.encryption_certificate(), &rogue.cert);
    assert_eq!(
        set.trust_on_first_use().encryption_certificate(),
        &rogue.cert
    );

    for anchor in [sha256(&ca.cert), TrustAnchor::Certificate(ca.cert.clone())] {
        let t = set.verify(&anchor, &PROVIDER).unwrap();
        assert_eq!(t.anchor(), Some(&ca.cert));
        assert!(!t.is_first_use());
        assert_eq!(t.certificates(), &[ca.cert.clone()]);
        assert_eq!(
            t.dropped(),
            &[Dropped {
                certificate: rogue.cert.clone(),
                reason: DropReason::BadSignature
            }]
        );
        assert_eq!(t.encryption_certificate(), &ca.cert);
        assert_eq!(t.signing_certificates(), &[ca.cert.clone()]);
        assert_eq!(t.issuers(), &[ca.cert.clone()]);
        assert_eq!(t.chain(), &[ca.cert.clone()]);
    }

    // The client built from the verified set encrypts to the CA: the CA's key opens the request.
    let t = set.verify(&sha256(&ca.cert), &PROVIDER).unwrap();
    let client = Client::new(t.clone(), Capabilities::rfc8894_server(), PROVIDER).unwrap();
    assert_eq!(client.recipient(), &ca.cert);
    let device = device();
    let csr = csr_for(&device, device.certificate().subject());
    let (request, tx) = client.enroll(&csr, &device, &mut support::rng()).unwrap();
    let at_ca = open(&server_for(&ca.key()), &request.body);
    assert_eq!(at_ca.challenge_password().as_deref(), Some("s3cret"));

    // A SUCCESS signed by the rogue key (with a certificate it made for the device) is refused
    // before anything is decrypted.
    let fake = issue(&rogue.key(), &csr, 9, 2025, 2049);
    let forged = forged_success(
        &tx,
        &rogue.key(),
        device.certificate(),
        vec![fake, rogue.cert.clone()],
    );
    let got: Result<Outcome, Error> =
        client.handle(&tx, 200, None, &forged, &device, NOW, &mut support::rng());
    assert_eq!(got, Err(Error::SignerNotFound));
}

/// An NDES-like reply (CA, signing RA, encryption RA) with a rogue RA that names the CA as
/// issuer: the genuine pair keeps its roles, the rogue is dropped, whatever the order.
#[test]
fn ndes_like_set_keeps_its_roles_and_drops_the_rogue() {
    let Some(pki) = Pki::new("rogue-ndes") else {
        return;
    };
    let ca = pki.make("rsa2048.pkcs8.pem", "/CN=Corp Issuing CA", None, CA);
    let sign = pki.make("ra2048.pkcs8.pem", "/CN=CORP-MSCEP-RA", Some(&ca), RA_SIGN);
    let enc = pki.make(
        "client2048.pkcs8.pem",
        "/CN=CORP-MSCEP-RA",
        Some(&ca),
        RA_ENCRYPT,
    );
    let rogue = rogue_ra(&pki, "/CN=Corp Issuing CA");

    let plain = reply(&[&ca, &sign, &enc])
        .verify(&sha256(&ca.cert), &PROVIDER)
        .unwrap();
    assert!(plain.dropped().is_empty());
    assert_eq!(plain.encryption_certificate(), &enc.cert);
    assert_eq!(
        plain.signing_certificates(),
        &[sign.cert.clone(), ca.cert.clone()]
    );
    assert_eq!(plain.ca_certificate(), Some(&ca.cert));
    assert_eq!(plain.chain(), &[ca.cert.clone()]);

    let orders: [[&Made; 4]; 3] = [
        [&ca, &sign, &enc, &rogue],
        [&rogue, &enc, &sign, &ca],
        [&sign, &rogue, &ca, &enc],
    ];
    for order in orders {
        let certs: Vec<Certificate> = order.iter().map(|m| m.cert.clone()).collect();
        let set = CaCertificates::new(certs).unwrap();
        let t = set.verify(&sha256(&ca.cert), &PROVIDER).unwrap();
        assert_eq!(t.encryption_certificate(), &enc.cert);
        assert_eq!(
            t.signing_certificates(),
            &[sign.cert.clone(), ca.cert.clone()]
        );
        assert_eq!(t.issuers(), &[ca.cert.clone()]);
        assert_eq!(t.certificates().len(), 3);
        assert_eq!(t.dropped().len(), 1);
        assert_eq!(t.dropped()[0].certificate, rogue.cert);
        assert_eq!(t.dropped()[0].reason, DropReason::BadSignature);
    }
}

/// Intermediates must be CA certificates; an RA needs a SCEP key usage; a chain through a real
/// intermediate makes it the issuing CA.
#[test]
fn intermediates_must_be_cas_and_ras_need_a_role() {
    let Some(pki) = Pki::new("chain") else {
        return;
    };
    let root = pki.make("rsa2048.pkcs8.pem", "/CN=Root", None, CA);
    let sub = pki.make("ra2048.pkcs8.pem", "/CN=Sub CA", Some(&root), CA);
    let ra = pki.make("client2048.pkcs8.pem", "/CN=RA", Some(&sub), RA_COMBINED);
    let t = reply(&[&ra, &root, &sub])
        .verify(&sha256(&root.cert), &PROVIDER)
        .unwrap();
    assert!(t.dropped().is_empty());
    assert_eq!(t.encryption_certificate(), &ra.cert);
    assert_eq!(t.ca_certificate(), Some(&sub.cert));
    assert_eq!(t.chain(), &[sub.cert.clone(), root.cert.clone()]);
    assert_eq!(t.issuers(), &[root.cert.clone(), sub.cert.clone()]);

    // An end-entity "intermediate" (basicConstraints cA FALSE) cannot issue the RA.
    let ee = pki.make(
        "ra2048.pkcs8.pem",
        "/CN=Not A CA",
        Some(&root),
        &[
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature,keyCertSign",
        ],
    );
    let under_ee = pki.make("client2048.pkcs8.pem", "/CN=RA 2", Some(&ee), RA_COMBINED);
    let t = reply(&[&root, &ee, &under_ee])
        .verify(&sha256(&root.cert), &PROVIDER)
        .unwrap();
    assert_eq!(
        t.dropped(),
        &[Dropped {
            certificate: under_ee.cert.clone(),
            reason: DropReason::IssuerNotCa
        }]
    );
    assert_eq!(
        t.encryption_certificate(),
        &root.cert,
        "the anchor, as the last resort"
    );
    assert_eq!(
        t.signing_certificates(),
        &[ee.cert.clone(), root.cert.clone()]
    );

    // An RA allowed neither encipherment nor signatures has no role.
    let useless = pki.make(
        "client2048.pkcs8.pem",
        "/CN=Useless RA",
        Some(&root),
        &["keyUsage=critical,nonRepudiation"],
    );
    let t = reply(&[&root, &useless])
        .verify(&sha256(&root.cert), &PROVIDER)
        .unwrap();
    assert_eq!(t.dropped()[0].reason, DropReason::KeyUsage);
    assert_eq!(t.certificates(), &[root.cert.clone()]);

    // An anchor that is not a CA certificate is refused.
    assert_eq!(
        reply(&[&root, &ra]).verify(&TrustAnchor::Certificate(ra.cert.clone()), &PROVIDER),
        Err(Error::Untrusted(TrustFailure::AnchorNotCa))
    );
}

// ---------------------------------------------------------------------------------------------
// Renewals (server)

/// The renewal policy: subject and subjectAltName stay unless allowed to change.
#[test]
fn renewal_policy_compares_subject_and_subject_alt_name() {
    use der::oid::AssociatedOid;
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;

    let Some(pki) = Pki::new("renewal") else {
        return;
    };
    let ca = pki.make("ra2048.pkcs8.pem", "/CN=Renewal CA", None, CA);
    let old = pki.make(
        "client2048.pkcs8.pem",
        "/CN=device-1",
        Some(&ca),
        &["subjectAltName=DNS:device-1.example"],
    );
    let key = old.key();
    let san = |dns: &str| {
        let v = SubjectAltName(vec![GeneralName::DnsName(
            der::asn1::Ia5String::new(dns).unwrap(),
        )]);
        x509_cert::ext::Extension {
            extn_id: SubjectAltName::OID,
            critical: false,
            extn_value: der::asn1::OctetString::new(der::Encode::to_der(&v).unwrap()).unwrap(),
        }
    };
    let csr = |subject: &str, ext: &[x509_cert::ext::Extension]| {
        let name = x509_cert::name::Name::from_str(subject).unwrap();
        builder::csr(
            &name,
            key.certificate().subject_public_key_info(),
            None,
            ext,
            SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
            &mut |m| key.sign(m),
        )
        .unwrap()
    };
    let strict = RenewalPolicy::default();
    assert_eq!(strict, RenewalPolicy::STRICT);
    let same = csr("CN=device-1", &[san("device-1.example")]);
    assert_eq!(check_renewal(&old.cert, &same, &strict), Ok(()));
    let renamed = csr("CN=device-2", &[san("device-1.example")]);
    assert_eq!(
        check_renewal(&old.cert, &renamed, &strict),
        Err(RenewalChange::Subject)
    );
    assert_eq!(
        check_renewal(&old.cert, &renamed, &strict.with_subject_change(true)),
        Ok(())
    );
    let other_san = csr("CN=device-1", &[san("evil.example")]);
    assert_eq!(
        check_renewal(&old.cert, &other_san, &strict),
        Err(RenewalChange::SubjectAltName)
    );
    let no_san = csr("CN=device-1", &[]);
    assert_eq!(
        check_renewal(&old.cert, &no_san, &strict),
        Err(RenewalChange::SubjectAltName)
    );
    assert_eq!(
        check_renewal(
            &old.cert,
            &other_san,
            &strict.with_subject_alt_name_change(true)
        ),
        Ok(())
    );
}
