//! Tests for the trust rules, on certificates made at test time with the `openssl` command
//! (skipped with a message when it cannot run, unless `SCEP_REQUIRE_PEERS=1`), on the micromdm
//! GetCACert reply captured from the Debian peer. (The shared NDES RA certificate's test is in
//! `tests/interop/ca_certs.rs`: unit tests do not read `SCEP_VECTORS`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cloned_ref_to_slice_refs,
    clippy::type_complexity
)]

extern crate std;

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::format;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::{eprintln, fs};

use super::*;
use crate::attr::{MessageType, Nonce};
use crate::builder::{self, CertificateTemplate};
use crate::ca_certs::{CaCertificates, fingerprint};
use crate::caps::Capabilities;
use crate::client::{Client, Outcome, Transaction};
use crate::crypto::DigestAlgorithm;
use crate::crypto::{SignatureAlgorithm, Signer};
use crate::envelope::SealOptions;
use crate::limits::Limits;
use crate::message::{CertRep, CertsOnly, IssuerAndSerialNumber, MessageBody, PkiMessage};
use crate::provider::rustcrypto::{PROVIDER, RsaKey};
use crate::server::{Decision, Incoming, PkiRequest, Server, SignerKind};

// ---------------------------------------------------------------------------------------------
// Helpers

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert_ne!(
            std::env::var("SCEP_REQUIRE_PEERS").as_deref(),
            Ok("1"),
            "openssl is required (SCEP_REQUIRE_PEERS=1) but does not run"
        );
        eprintln!("skipping: openssl cannot run");
    }
    ok
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A certificate made by OpenSSL, with its key.
#[derive(Clone)]
struct Made {
    cert: Certificate,
    cert_path: String,
    key_path: String,
}

impl Made {
    fn key(&self) -> RsaKey {
        RsaKey::from_pem(&fs::read(&self.key_path).unwrap(), self.cert.clone()).unwrap()
    }
}

/// Certificates made with `openssl x509 -req` (only the extensions given) from the fixture keys.
struct Pki {
    dir: PathBuf,
    n: AtomicUsize,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Pki {
    fn new(tag: &str) -> Option<Self> {
        if !have_openssl() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("scep-trust-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Some(Self {
            dir,
            n: AtomicUsize::new(100),
        })
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// `issuer` `None`: self-signed.
    fn make(&self, key: &str, subject: &str, issuer: Option<&Made>, ext: &[&str]) -> Made {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let key_path = data_path(key).to_str().unwrap().to_string();
        let csr = self.path(&format!("{n}.csr"));
        let cert_path = self.path(&format!("{n}.pem"));
        openssl(&[
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
            let ext_path = self.path(&format!("{n}.ext"));
            fs::write(&ext_path, text).unwrap();
            args.extend([
                "-extfile".into(),
                ext_path,
                "-extensions".into(),
                "e".into(),
            ]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&refs);
        Made {
            cert: Certificate::from_pem(&fs::read(&cert_path).unwrap()).unwrap(),
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

fn sha256(c: &Certificate) -> TrustAnchor {
    let fp = fingerprint(c, DigestAlgorithm::Sha256, &PROVIDER).unwrap();
    TrustAnchor::Sha256Fingerprint(fp.as_bytes().try_into().unwrap())
}

/// The set as a GetCACert reply, parsed back.
fn reply(certs: &[&Made]) -> CaCertificates {
    let certs: Vec<Certificate> = certs.iter().map(|m| m.cert.clone()).collect();
    let (_, body) = crate::ca_certs::to_response(&certs).unwrap();
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

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000); // 2027-01-15

fn device() -> RsaKey {
    let cert = Certificate::from_pem(&fs::read(data_path("client2048.cert.pem")).unwrap()).unwrap();
    RsaKey::from_pem(&fs::read(data_path("client2048.pkcs8.pem")).unwrap(), cert).unwrap()
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
    issue_named(issuer.certificate(), issuer, csr, serial, from, to)
}

/// The same, naming `name`'s subject as issuer whoever signs.
fn issue_named(
    name: &Certificate,
    signer: &RsaKey,
    csr: &Csr,
    serial: u8,
    from: u16,
    to: u16,
) -> Certificate {
    let t = CertificateTemplate {
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
        Some(name),
        SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
        &mut |m| signer.sign(m),
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
    match server.pki_operation(body, &mut getrandom::SysRng) {
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
        sender_nonce: Some(Nonce::random(&mut getrandom::SysRng).unwrap()),
        recipient_nonce: Some(*tx.sender_nonce()),
        body: MessageBody::CertRep(CertRep::Success(CertsOnly::from_certificates(certs))),
    };
    crate::envelope::seal(
        &msg,
        signer,
        Some(device),
        &SealOptions::DEFAULT,
        &PROVIDER,
        &mut getrandom::SysRng,
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
    use crate::ca_certs::build_next_ca_cert;
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
    let (request, tx) = client
        .enroll(&csr, &device, &mut getrandom::SysRng)
        .unwrap();
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
    assert_eq!(
        client.handle(
            &tx,
            200,
            None,
            &forged,
            &device,
            NOW,
            &mut getrandom::SysRng
        ),
        Err(Error::SignerNotFound)
    );
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

/// The real micromdm GetCACert reply captured from the Debian `scepserver` (tests/data/peers):
/// its lone CA (keyCertSign+cRLSign) is the anchor, the recipient and the signer.
#[test]
fn captured_micromdm_reply_verifies_to_its_ca() {
    let body = fs::read(data_path("peers/scepserver-getcacert.der")).unwrap();
    let ca = Certificate::from_pem(&fs::read(data_path("peers/micromdm-ca.pem")).unwrap()).unwrap();
    let set = CaCertificates::parse(&body, &Limits::DEFAULT).unwrap();
    for anchor in [sha256(&ca), TrustAnchor::Certificate(ca.clone())] {
        let t = set.verify(&anchor, &PROVIDER).unwrap();
        assert!(t.dropped().is_empty());
        assert_eq!(t.encryption_certificate(), &ca);
        assert_eq!(t.signing_certificates(), &[ca.clone()]);
    }
    // Another CA's fingerprint is not in the reply.
    let other = Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap();
    assert_eq!(
        set.verify(&sha256(&other), &PROVIDER),
        Err(Error::Untrusted(TrustFailure::AnchorNotFound))
    );
    // Anchored on another CA certificate, nothing of the reply chains.
    let t = set
        .verify(&TrustAnchor::Certificate(other.clone()), &PROVIDER)
        .unwrap();
    assert_eq!(t.certificates(), &[other.clone()]);
    assert_eq!(t.dropped().len(), 1);
    assert_eq!(t.dropped()[0].reason, DropReason::NotChained);
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

#[test]
fn fingerprints_from_hex() {
    let ca = Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap();
    let TrustAnchor::Sha256Fingerprint(fp) = sha256(&ca) else {
        panic!()
    };
    let hex: String = fp
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(
        TrustAnchor::sha256_from_hex(&hex),
        Ok(TrustAnchor::Sha256Fingerprint(fp))
    );
    let plain = hex.replace(':', "").to_lowercase();
    assert_eq!(
        TrustAnchor::sha256_from_hex(&plain),
        Ok(TrustAnchor::Sha256Fingerprint(fp))
    );
    for bad in [
        "",
        "00",
        &plain[2..],
        &format!("{plain}00"),
        &plain.replace('a', "g"),
    ] {
        assert_eq!(
            TrustAnchor::sha256_from_hex(bad),
            Err(Error::InvalidInput),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issued certificates (client)

fn enrolled_client(ca: &RsaKey) -> (Client, RsaKey, Csr, Transaction, PkiRequest) {
    let set = CaCertificates::new(vec![ca.certificate().clone()]).unwrap();
    let t = set
        .verify(
            &TrustAnchor::Certificate(ca.certificate().clone()),
            &PROVIDER,
        )
        .unwrap();
    let client = Client::new(t.clone(), Capabilities::rfc8894_server(), PROVIDER).unwrap();
    let device = device();
    let csr = csr_for(&device, device.certificate().subject());
    let (request, tx) = client
        .enroll(&csr, &device, &mut getrandom::SysRng)
        .unwrap();
    let at_ca = open(&server_for(ca), &request.body);
    (client, device, csr, tx, at_ca)
}

/// A SUCCESS (signed by the real CA) whose certificate for the device's key another key
/// signed, or that has expired, is an error, not `Issued`.
#[test]
fn issued_certificate_must_be_signed_by_the_ca_and_valid_now() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    // Another key, whose certificates name the CA as issuer.
    let impostor = RsaKey::from_pem(
        &fs::read(data_path("rsa2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("rsa2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let cases: [(&str, &RsaKey, u16, u16, Result<(), Error>); 4] = [
        ("good", &ca, 2025, 2049, Ok(())),
        (
            "not signed by the CA",
            &impostor,
            2025,
            2049,
            Err(Error::Untrusted(TrustFailure::NotIssuedByCa)),
        ),
        (
            "expired",
            &ca,
            2020,
            2026,
            Err(Error::Untrusted(TrustFailure::Expired)),
        ),
        (
            "not yet valid",
            &ca,
            2030,
            2049,
            Err(Error::Untrusted(TrustFailure::NotYetValid)),
        ),
    ];
    for (what, issuer, from, to, want) in cases {
        let (client, device, csr, tx, at_ca) = enrolled_client(&ca);
        let cert = issue_named(ca.certificate(), issuer, &csr, 5, from, to);
        assert_eq!(cert.issuer(), ca.certificate().subject());
        let reply = server
            .reply(
                &at_ca,
                Decision::Issued {
                    certificate: cert.clone(),
                    chain: vec![],
                },
                &mut getrandom::SysRng,
            )
            .unwrap();
        let got = client.handle(
            &tx,
            200,
            None,
            &reply.body,
            &device,
            NOW,
            &mut getrandom::SysRng,
        );
        match want {
            Ok(()) => assert!(
                matches!(&got, Ok(Outcome::Issued { certificate, .. }) if *certificate == cert),
                "{what}: {got:?}"
            ),
            Err(e) => assert_eq!(got, Err(e), "{what}"),
        }
    }
}

/// A transaction rebuilt around a CertPoll (an RA that kept only the poll) names no key: every
/// certificate of the SUCCESS that is not the CA's must still be one the CA signed, valid now.
#[test]
fn certificates_of_a_rebuilt_poll_are_checked_too() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let impostor = RsaKey::from_pem(
        &fs::read(data_path("rsa2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("rsa2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    for (signer, want_ok) in [(&ca, true), (&impostor, false)] {
        let (client, device, csr, tx, _) = enrolled_client(&ca);
        let (poll, poll_tx) = client.poll(&tx, &device, &mut getrandom::SysRng).unwrap();
        let ias = crate::message::IssuerAndSubject {
            issuer: ca.certificate().subject().clone(),
            subject: csr.subject().clone(),
        };
        let rebuilt = Transaction::new(
            poll_tx.transaction_id().clone(),
            *poll_tx.sender_nonce(),
            MessageType::CertPoll,
            crate::message::Request::CertPoll(ias),
        );
        let at_ca = open(&server, &poll.body);
        let cert = issue_named(ca.certificate(), signer, &csr, 8, 2025, 2049);
        let decision = Decision::Issued {
            certificate: cert.clone(),
            chain: vec![ca.certificate().clone()],
        };
        let reply = server
            .reply(&at_ca, decision, &mut getrandom::SysRng)
            .unwrap();
        let got = client.handle(
            &rebuilt,
            200,
            None,
            &reply.body,
            &device,
            NOW,
            &mut getrandom::SysRng,
        );
        if want_ok {
            assert_eq!(
                got,
                Ok(Outcome::Certificates(vec![cert, ca.certificate().clone()]))
            );
        } else {
            assert_eq!(got, Err(Error::Untrusted(TrustFailure::NotIssuedByCa)));
        }
    }
}

/// The skew: a certificate that starts a minute after `now` is accepted with the default skew
/// and refused without one.
#[test]
fn validity_with_and_without_skew() {
    let ca = Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap();
    let (from, to) = ca.validity().unwrap();
    assert!(from < to);
    let skew = DEFAULT_CLOCK_SKEW;
    let before = UnixTime::from_secs(from.as_secs() - 60);
    assert_eq!(check_validity(&ca, before, skew), Ok(()));
    assert_eq!(
        check_validity(&ca, before, Duration::ZERO),
        Err(Error::Untrusted(TrustFailure::NotYetValid))
    );
    let after = UnixTime::from_secs(to.as_secs() + 60);
    assert_eq!(check_validity(&ca, after, skew), Ok(()));
    assert_eq!(
        check_validity(&ca, after, Duration::ZERO),
        Err(Error::Untrusted(TrustFailure::Expired))
    );
    assert_eq!(check_validity(&ca, from, Duration::ZERO), Ok(()));
    assert_eq!(check_validity(&ca, to, Duration::ZERO), Ok(()));
}

/// A GetCert reply must hold the certificate asked for (issuer and serial number).
#[test]
fn get_cert_reply_must_be_the_certificate_asked_for() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    let (client, device, csr, _, _) = enrolled_client(&ca);
    let asked = issue(&ca, &csr, 5, 2025, 2049);
    let other = issue(&ca, &csr, 6, 2025, 2049);
    let which = IssuerAndSerialNumber::for_certificate(&asked).unwrap();
    for (sent, want) in [
        (vec![other.clone()], Err(Error::Mismatch)),
        (
            vec![other.clone(), asked.clone()],
            Ok(Outcome::Certificates(vec![asked.clone()])),
        ),
    ] {
        let (request, tx) = client
            .get_cert(which.clone(), &device, &mut getrandom::SysRng)
            .unwrap();
        let at_ca = open(&server, &request.body);
        let reply = server
            .reply(&at_ca, Decision::Certificates(sent), &mut getrandom::SysRng)
            .unwrap();
        assert_eq!(
            client.handle(
                &tx,
                200,
                None,
                &reply.body,
                &device,
                NOW,
                &mut getrandom::SysRng
            ),
            want
        );
    }
    assert_eq!(
        client
            .get_cert(which, &device, &mut getrandom::SysRng)
            .unwrap()
            .1
            .message_type(),
        MessageType::GetCert
    );
}

// ---------------------------------------------------------------------------------------------
// Renewals (server)

/// A renewal signed by an issued certificate counts as `IssuedByCa` only while that certificate
/// is valid and not revoked.
#[test]
fn renewal_signed_by_an_expired_or_revoked_certificate_is_not_waved_through() {
    let ca = RsaKey::from_pem(
        &fs::read(data_path("ra2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("ra2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let server = server_for(&ca);
    let device = device();
    let csr = csr_for(&device, device.certificate().subject());
    let anchor = TrustAnchor::Certificate(ca.certificate().clone());
    let set = CaCertificates::new(vec![ca.certificate().clone()]).unwrap();
    let client = Client::new(
        set.verify(&anchor, &PROVIDER).unwrap(),
        Capabilities::rfc8894_server(),
        PROVIDER,
    )
    .unwrap();
    let renew_with = |cert: &Certificate| {
        let signer = RsaKey::new(device.private_key().clone(), cert.clone()).unwrap();
        let (request, _) = client.renew(&csr, &signer, &mut getrandom::SysRng).unwrap();
        open(&server, &request.body)
    };

    let valid = issue(&ca, &csr, 0x21, 2025, 2049);
    let expired = issue(&ca, &csr, 0x22, 2020, 2026);
    let r = renew_with(&valid);
    assert_eq!(r.signer_kind(NOW, &NoneRevoked), SignerKind::IssuedByCa);
    assert_eq!(r.signer_issuer(), Some(ca.certificate()));
    // Revoked: by a closure, and by a list of serial numbers.
    assert_eq!(
        r.signer_kind(NOW, &|c: &Certificate| c.serial_number() == [0x21]),
        SignerKind::IssuedByCaRevoked
    );
    let revoked = RevokedSerials(&[&[0x07], &[0x21]]);
    assert_eq!(r.signer_kind(NOW, &revoked), SignerKind::IssuedByCaRevoked);
    let other = RevokedSerials(&[&[0x07]]);
    assert_eq!(r.signer_kind(NOW, &other), SignerKind::IssuedByCa);

    // Expired at NOW (2027), valid in 2025: the time decides, not the signature.
    let r = renew_with(&expired);
    assert!(
        r.signer_certificate()
            .verify_issued_by(ca.certificate(), &PROVIDER)
            .is_ok()
    );
    assert_eq!(
        r.signer_kind(NOW, &NoneRevoked),
        SignerKind::IssuedByCaExpired
    );
    let in_2025 = UnixTime::from_secs(1_750_000_000);
    assert_eq!(r.signer_kind(in_2025, &NoneRevoked), SignerKind::IssuedByCa);

    // A first enrollment: self-signed, and the key is the CSR's.
    let (request, _) = client
        .enroll(&csr, &device, &mut getrandom::SysRng)
        .unwrap();
    let r = open(&server, &request.body);
    assert_eq!(r.signer_kind(NOW, &NoneRevoked), SignerKind::SelfSigned);
    assert!(r.signer_holds_csr_key());
    // NDES-style: signed with a throw-away key; still a request, the application is told.
    let throwaway = RsaKey::from_pem(
        &fs::read(data_path("rsa2048.pkcs8.pem")).unwrap(),
        Certificate::from_pem(&fs::read(data_path("rsa2048.cert.pem")).unwrap()).unwrap(),
    )
    .unwrap();
    let (request, _) = client
        .enroll(&csr, &throwaway, &mut getrandom::SysRng)
        .unwrap();
    let r = open(&server, &request.body);
    assert_eq!(r.signer_kind(NOW, &NoneRevoked), SignerKind::SelfSigned);
    assert!(!r.signer_holds_csr_key());
}

/// The renewal policy: subject and subjectAltName stay unless allowed to change.
#[test]
fn renewal_policy_compares_subject_and_subject_alt_name() {
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
        use x509_cert::ext::pkix::SubjectAltName;
        use x509_cert::ext::pkix::name::GeneralName;
        let v = SubjectAltName(vec![GeneralName::DnsName(
            der::asn1::Ia5String::new(dns).unwrap(),
        )]);
        x509_cert::ext::Extension {
            extn_id: SUBJECT_ALT_NAME,
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
    use core::str::FromStr;
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
