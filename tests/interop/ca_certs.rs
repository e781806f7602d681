//! GetCACert / GetNextCACert against things we did not write (moved out of the library's unit
//! tests, which neither run programs nor read the environment): the selection rules on certificates made at test time
//! with the `openssl` command (skipped with a message when it cannot run, unless
//! `SCEP_REQUIRE_PEERS=1`), parsing of every reply form, the shared vectors (`SCEP_VECTORS`), the
//! captured micromdm reply, and signed GetNextCACert round trips and forgeries.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{eprintln, fs};

use crate::surgery::{Node, parse as tree};
use der::asn1::ObjectIdentifier;
use scep::Certificate;
use scep::ca_certs::*;
use scep::crypto::DigestAlgorithm;
use scep::envelope::parse as parse_pki_message;
use scep::error::{Error, Limit, Structure};
use scep::http::{CONTENT_TYPE_CA_CERT, CONTENT_TYPE_CA_RA_CERT};
use scep::limits::Limits;
use scep::message::CertsOnly;
use scep::oid;
use scep::provider::rustcrypto::{PROVIDER, RsaKey};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Whether the keyUsage is exactly keyCertSign and cRLSign.
fn cert_sign_and_crl_sign_only(cert: &Certificate) -> bool {
    cert.key_usage().is_some_and(|ku| {
        ku.key_cert_sign()
            && ku.crl_sign()
            && !ku.digital_signature()
            && !ku.key_encipherment()
            && !ku.non_repudiation()
            && !ku.data_encipherment()
            && !ku.key_agreement()
    })
}

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn data(name: &str) -> Vec<u8> {
    fs::read(data_path(name)).unwrap()
}

fn fixture_cert(name: &str) -> Certificate {
    Certificate::from_pem(&data(name)).unwrap()
}

fn fixture_key(key: &str, cert: Certificate) -> RsaKey {
    RsaKey::from_pem(&data(key), cert).unwrap()
}

fn vectors_dir() -> Option<PathBuf> {
    match std::env::var_os("SCEP_VECTORS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("skipping vector test: SCEP_VECTORS is not set");
            None
        }
    }
}

/// Whether `openssl` runs; panics when it must (`SCEP_REQUIRE_PEERS=1`).
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

/// Runs `openssl` and requires success; returns stdout.
fn openssl(args: &[&str]) -> Vec<u8> {
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
    out.stdout
}

/// A scratch directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("scep-ca-certs-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, contents: &[u8]) -> String {
        let p = self.path(name);
        fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A certificate made by OpenSSL, with its label and files.
#[derive(Clone)]
struct Made {
    label: &'static str,
    cert: Certificate,
    cert_path: String,
    key_path: String,
}

/// Makes certificates with `openssl x509 -req`, which adds only the extensions it is given
/// (plus subjectKeyIdentifier/authorityKeyIdentifier when there are any): without `ext` the
/// result is a v1 certificate with no extensions at all. Keys are the fixtures in `tests/data`.
struct Pki {
    dir: TempDir,
    serial: AtomicUsize,
}

impl Pki {
    fn new(tag: &str) -> Option<Self> {
        have_openssl().then(|| Self {
            dir: TempDir::new(tag),
            serial: AtomicUsize::new(100),
        })
    }

    /// `key` is a fixture key file; `issuer` `None` makes a self-signed certificate.
    fn make(
        &self,
        label: &'static str,
        key: &str,
        subject: &str,
        issuer: Option<&Made>,
        ext: &[&str],
    ) -> Made {
        let key_path = data_path(key).to_str().unwrap().to_string();
        let csr = self.dir.path(&format!("{label}.csr"));
        let cert_path = self.dir.path(&format!("{label}.pem"));
        openssl(&[
            "req", "-new", "-key", &key_path, "-subj", subject, "-out", &csr,
        ]);
        let serial = self.serial.fetch_add(1, Ordering::Relaxed).to_string();
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
            None => args.extend(["-signkey".to_string(), key_path.clone()]),
            Some(ca) => args.extend([
                "-CA".to_string(),
                ca.cert_path.clone(),
                "-CAkey".to_string(),
                ca.key_path.clone(),
            ]),
        }
        if !ext.is_empty() {
            let mut text = String::from("[e]\n");
            for line in ext {
                text.push_str(line);
                text.push('\n');
            }
            let ext_path = self.dir.write(&format!("{label}.ext"), text.as_bytes());
            args.extend([
                "-extfile".to_string(),
                ext_path,
                "-extensions".to_string(),
                "e".to_string(),
            ]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&refs);
        Made {
            label,
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

/// Every ordering of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first.clone());
            out.push(p);
        }
    }
    out
}

fn label_of(set: &[Made], cert: &Certificate) -> &'static str {
    set.iter()
        .find(|m| m.cert.as_der() == cert.as_der())
        .map(|m| m.label)
        .unwrap_or("?")
}

fn labels(set: &[Made], certs: &[Certificate]) -> Vec<&'static str> {
    certs.iter().map(|c| label_of(set, c)).collect()
}

/// What the selection should say about a set.
struct Expect<'a> {
    encryption: &'a str,
    signing: &'a [&'a str],
    ca: Option<&'a str>,
    chain: &'a [&'a str],
    ras: &'a [&'a str],
}

/// Checks the selection for every ordering of `set`, directly and through a GetCACert
/// response (DER, so in DER SET order) parsed back.
fn check(set: &[Made], want: &Expect<'_>) {
    for perm in permutations(set) {
        let certs: Vec<Certificate> = perm.iter().map(|m| m.cert.clone()).collect();
        let order = labels(set, &certs);
        let (_, body) = to_response(&certs).unwrap();
        for cc in [
            CaCertificates::new(certs.clone()).unwrap(),
            CaCertificates::parse(&body, &Limits::DEFAULT).unwrap(),
        ] {
            let got_enc = label_of(set, cc.encryption_certificate());
            assert_eq!(got_enc, want.encryption, "encryption, order {order:?}");
            assert_eq!(
                labels(set, cc.signing_certificates()),
                want.signing,
                "signing, order {order:?}"
            );
            assert_eq!(
                cc.ca_certificate().map(|c| label_of(set, c)),
                want.ca,
                "issuing CA, order {order:?}"
            );
            assert_eq!(
                labels(set, cc.chain()),
                want.chain,
                "chain, order {order:?}"
            );
            assert_eq!(
                labels(set, cc.ra_certificates()),
                want.ras,
                "RAs, order {order:?}"
            );
            assert_eq!(cc.certificates().len(), set.len());
        }
    }
}

/// The shared DER tree of `surgery.rs`, with the accessors these tests use.
fn encode(n: &Node, indefinite: bool) -> Vec<u8> {
    let mut n = n.clone();
    if indefinite {
        n.make_indefinite(usize::MAX);
    }
    n.encode()
}

fn children(n: &mut Node) -> &mut Vec<Node> {
    n.children()
}

/// The children of the `SignedData` SEQUENCE of a `ContentInfo` tree.
fn signed_data(root: &mut Node) -> &mut Vec<Node> {
    root.child(1).child(0).children()
}

/// The signed attributes of the first SignerInfo of a `ContentInfo` tree.
fn signed_attrs(root: &mut Node) -> &mut Vec<Node> {
    let sd = signed_data(root);
    sd.last_mut().unwrap().child(0).find(0xa0).children()
}

/// The value node of the attribute `id`.
fn attr_value<'a>(attrs: &'a mut [Node], id: &ObjectIdentifier) -> &'a mut Node {
    let attr = attrs
        .iter_mut()
        .find(|a| match a {
            Node::Cons { children, .. } => {
                matches!(&children[0], Node::Prim { tag: 6, content } if content.as_slice() == id.as_bytes())
            }
            _ => false,
        })
        .unwrap();
    attr.child(1).child(0)
}

// ---------------------------------------------------------------------------------------------
// Selection rules

/// A CA and one RA for both signing and encryption (the RFC 8894 / Apple shape).
#[test]
fn ca_with_a_combined_ra() {
    let Some(pki) = Pki::new("combined") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Test CA", None, CA);
    let ra = pki.make(
        "ra",
        "ra2048.pkcs8.pem",
        "/CN=Test RA",
        Some(&ca),
        RA_COMBINED,
    );
    check(
        &[ca, ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra"],
        },
    );
}

/// NDES: a signing RA (digitalSignature only) and an encryption RA (keyEncipherment only).
/// The encryption RA is never a signer.
#[test]
fn ndes_like_split_ra_pair() {
    let Some(pki) = Pki::new("ndes") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Corp Issuing CA", None, CA);
    let sign = pki.make(
        "ra-sign",
        "ra2048.pkcs8.pem",
        "/CN=CORP-MSCEP-RA",
        Some(&ca),
        RA_SIGN,
    );
    let enc = pki.make(
        "ra-enc",
        "client2048.pkcs8.pem",
        "/CN=CORP-MSCEP-RA",
        Some(&ca),
        RA_ENCRYPT,
    );
    check(
        &[ca, sign, enc],
        &Expect {
            encryption: "ra-enc",
            signing: &["ra-sign", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra-enc", "ra-sign"],
        },
    );
}

/// micromdm: one CA certificate with keyCertSign+cRLSign only. It is the recipient and the
/// signer anyway.
#[test]
fn micromdm_like_lone_ca_without_the_usages() {
    let Some(pki) = Pki::new("lone") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/O=scep/OU=SCEP CA", None, CA);
    assert!(cert_sign_and_crl_sign_only(&ca.cert));
    check(
        &[ca],
        &Expect {
            encryption: "ca",
            signing: &["ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &[],
        },
    );
}

/// Old v1 certificates: no keyUsage, no basicConstraints. The self-signed one is the CA, the
/// one it issued is the RA; both may sign.
#[test]
fn certificates_without_any_extension() {
    let Some(pki) = Pki::new("v1") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Old CA", None, &[]);
    let ra = pki.make("ra", "ra2048.pkcs8.pem", "/CN=Old RA", Some(&ca), &[]);
    assert_eq!(ca.cert.version(), 0);
    assert!(ca.cert.extensions().is_empty());
    check(
        &[ca.clone(), ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra"],
        },
    );
    check(
        &[ca],
        &Expect {
            encryption: "ca",
            signing: &["ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &[],
        },
    );
}

/// A v1 intermediate is recognised as a CA because it issued another certificate of the set.
#[test]
fn a_v1_intermediate_is_a_ca_because_it_issued_the_ra() {
    let Some(pki) = Pki::new("v1-chain") else {
        return;
    };
    let root = pki.make("root", "rsa2048.pkcs8.pem", "/CN=Old Root", None, &[]);
    let sub = pki.make("sub", "rsa1024.pkcs1.pem", "/CN=Old Sub", Some(&root), &[]);
    let ra = pki.make("ra", "ra2048.pkcs8.pem", "/CN=Old RA", Some(&sub), &[]);
    check(
        &[root, sub, ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "sub", "root"],
            ca: Some("sub"),
            chain: &["sub", "root"],
            ras: &["ra"],
        },
    );
}

/// Only the CA has keyEncipherment (RFC 8894 §2.1.2 style CA) and the RA signs: encrypt to
/// the CA.
#[test]
fn the_ca_is_the_recipient_when_only_it_has_key_encipherment() {
    let Some(pki) = Pki::new("ca-ke") else {
        return;
    };
    let ca = pki.make(
        "ca",
        "rsa2048.pkcs8.pem",
        "/CN=Test CA",
        None,
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign",
        ],
    );
    let ra = pki.make("ra", "ra2048.pkcs8.pem", "/CN=Test RA", Some(&ca), RA_SIGN);
    check(
        &[ca, ra],
        &Expect {
            encryption: "ca",
            signing: &["ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra"],
        },
    );
}

/// No certificate has keyEncipherment: the RA-looking certificate is the fallback recipient;
/// a fallback RA without digitalSignature still counts as a signer.
#[test]
fn without_key_encipherment_the_ra_is_the_fallback() {
    let Some(pki) = Pki::new("fallback") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Test CA", None, CA);
    let signer_ra = pki.make("ra", "ra2048.pkcs8.pem", "/CN=Test RA", Some(&ca), RA_SIGN);
    check(
        &[ca.clone(), signer_ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra"],
        },
    );
    let odd_ra = pki.make(
        "odd-ra",
        "ra2048.pkcs8.pem",
        "/CN=Odd RA",
        Some(&ca),
        &["keyUsage=critical,nonRepudiation"],
    );
    check(
        &[ca, odd_ra],
        &Expect {
            encryption: "odd-ra",
            signing: &["odd-ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["odd-ra"],
        },
    );
}

/// An RA without keyUsage is unrestricted: it is preferred to a CA with keyEncipherment.
#[test]
fn an_ra_without_key_usage_is_preferred_to_the_ca() {
    let Some(pki) = Pki::new("ra-noku") else {
        return;
    };
    let ca = pki.make(
        "ca",
        "rsa2048.pkcs8.pem",
        "/CN=Test CA",
        None,
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
        ],
    );
    let ra = pki.make(
        "ra",
        "ra2048.pkcs8.pem",
        "/CN=Test RA",
        Some(&ca),
        &["basicConstraints=CA:FALSE"],
    );
    check(
        &[ca, ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra"],
        },
    );
}

/// Root, intermediate and RA, in every order (EJBCA reverses, step-ca puts the RA first).
#[test]
fn chains_in_any_order() {
    let Some(pki) = Pki::new("chain") else {
        return;
    };
    let root = pki.make("root", "rsa2048.pkcs8.pem", "/CN=Root CA", None, CA);
    let sub = pki.make(
        "sub",
        "rsa1024.pkcs1.pem",
        "/CN=Issuing CA",
        Some(&root),
        CA,
    );
    let ra = pki.make("ra", "ra2048.pkcs8.pem", "/CN=RA", Some(&sub), RA_COMBINED);
    check(
        &[root.clone(), sub.clone(), ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "sub"],
            ca: Some("sub"),
            chain: &["sub", "root"],
            ras: &["ra"],
        },
    );
    // Without an RA the intermediate is both the issuing CA and the recipient; the root is
    // not a signer (keyCertSign+cRLSign only, and not the issuing CA).
    check(
        &[root, sub],
        &Expect {
            encryption: "sub",
            signing: &["sub"],
            ca: Some("sub"),
            chain: &["sub", "root"],
            ras: &[],
        },
    );
}

/// A self-signed RA with basicConstraints CA:FALSE is an RA, not a second root.
#[test]
fn basic_constraints_false_beats_self_signed() {
    let Some(pki) = Pki::new("selfra") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Test CA", None, CA);
    let ra = pki.make("ra", "ra2048.pkcs8.pem", "/CN=Self RA", None, RA_COMBINED);
    check(
        &[ca, ra],
        &Expect {
            encryption: "ra",
            signing: &["ra", "ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra"],
        },
    );
}

/// Two candidate RAs: the one issued by a CA of the set wins; between equals, the choice does
/// not depend on the order.
#[test]
fn ties_are_broken_without_looking_at_the_order() {
    let Some(pki) = Pki::new("ties") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Test CA", None, CA);
    let other_ca = pki.make("other-ca", "rsa1024.pkcs1.pem", "/CN=Other CA", None, CA);
    let ra1 = pki.make("ra1", "ra2048.pkcs8.pem", "/CN=RA 1", Some(&ca), RA_ENCRYPT);
    let ra2 = pki.make(
        "ra2",
        "client2048.pkcs8.pem",
        "/CN=RA 2",
        Some(&ca),
        RA_ENCRYPT,
    );
    let stray = pki.make(
        "stray",
        "client2048.pkcs8.pem",
        "/CN=Stray RA",
        Some(&other_ca),
        RA_ENCRYPT,
    );
    let set = [ca.clone(), ra1.clone(), ra2.clone()];
    let first = CaCertificates::new(set.iter().map(|m| m.cert.clone()).collect()).unwrap();
    for perm in permutations(&set) {
        let cc = CaCertificates::new(perm.iter().map(|m| m.cert.clone()).collect()).unwrap();
        // The same selection whatever the order.
        assert_eq!(cc.encryption_certificate(), first.encryption_certificate());
        assert_eq!(cc.signing_certificates(), first.signing_certificates());
        assert_eq!(cc.ca_certificate(), first.ca_certificate());
        assert_eq!(cc.chain(), first.chain());
    }
    check(
        &[ca, stray, ra1],
        &Expect {
            encryption: "ra1",
            signing: &["ca"],
            ca: Some("ca"),
            chain: &["ca"],
            ras: &["ra1", "stray"],
        },
    );
}

#[test]
fn duplicates_are_dropped_and_empty_sets_refused() {
    let a = fixture_cert("rsa2048.cert.pem");
    let b = fixture_cert("client2048.cert.pem");
    let cc = CaCertificates::new(vec![a.clone(), b.clone(), a.clone()]).unwrap();
    assert_eq!(cc.certificates(), &[a.clone(), b.clone()]);
    assert!(cc.contains(&b));
    assert!(!cc.contains(&fixture_cert("ra2048.cert.pem")));
    assert_eq!(CaCertificates::new(Vec::new()), Err(Error::InvalidInput));
    // A lone certificate is the CA whatever it says.
    let lone = CaCertificates::new(vec![fixture_cert("p256.cert.pem")]).unwrap();
    assert!(lone.ca_certificate().is_some());
}

// ---------------------------------------------------------------------------------------------
// Parsing GetCACert replies

#[test]
fn every_reply_form_parses_to_the_same_set() {
    let Some(pki) = Pki::new("forms") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Test CA", None, CA);
    let ra = pki.make(
        "ra",
        "ra2048.pkcs8.pem",
        "/CN=Test RA",
        Some(&ca),
        RA_COMBINED,
    );
    let want = {
        let mut v = vec![ca.cert.as_der().to_vec(), ra.cert.as_der().to_vec()];
        v.sort();
        v
    };
    let set_of = |cc: &CaCertificates| {
        let mut v: Vec<Vec<u8>> = cc
            .certificates()
            .iter()
            .map(|c| c.as_der().to_vec())
            .collect();
        v.sort();
        v
    };

    // OpenSSL's certificates-only PKCS #7, DER and PEM.
    let p7_der = openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        &ca.cert_path,
        "-certfile",
        &ra.cert_path,
        "-outform",
        "DER",
    ]);
    let p7_pem = openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        &ca.cert_path,
        "-certfile",
        &ra.cert_path,
    ]);
    assert!(p7_pem.starts_with(b"-----BEGIN PKCS7-----"));
    // Ours, DER and BER (indefinite lengths everywhere, certificates included).
    let ours = CertsOnly::from_certificates(vec![ca.cert.clone(), ra.cert.clone()])
        .to_der()
        .unwrap();
    let ber = encode(&tree(&ours), true);
    assert_ne!(ber, ours);
    // A PEM bundle with text around the blocks.
    let mut bundle = b"subject=CN = Test RA\n".to_vec();
    bundle.extend_from_slice(ra.cert.to_pem().as_bytes());
    bundle.extend_from_slice(b"\nsubject=CN = Test CA\n");
    bundle.extend_from_slice(ca.cert.to_pem().as_bytes());

    for body in [&p7_der, &p7_pem, &ours, &ber, &bundle] {
        let cc = CaCertificates::parse(body, &Limits::DEFAULT).unwrap();
        assert_eq!(set_of(&cc), want);
        assert_eq!(cc.encryption_certificate(), &ra.cert);
    }

    // One certificate: DER, BER, PEM.
    let single_ber = encode(&tree(ca.cert.as_der()), true);
    for body in [
        ca.cert.as_der().to_vec(),
        single_ber,
        ca.cert.to_pem().into_bytes(),
    ] {
        let cc = CaCertificates::parse(&body, &Limits::DEFAULT).unwrap();
        assert_eq!(cc.certificates(), core::slice::from_ref(&ca.cert));
    }
}

#[test]
fn limits_are_checked_first_and_counts_are_bounded() {
    let a = fixture_cert("rsa2048.cert.pem");
    let b = fixture_cert("client2048.cert.pem");
    let two = CertsOnly::from_certificates(vec![a.clone(), b.clone()])
        .to_der()
        .unwrap();
    let small = Limits::DEFAULT.with_max_message_size(16);
    assert_eq!(
        CaCertificates::parse(&[0xffu8; 17], &small),
        Err(Error::LimitExceeded(Limit::MessageSize))
    );
    assert_eq!(
        CaCertificates::parse(a.as_der(), &small),
        Err(Error::LimitExceeded(Limit::MessageSize))
    );
    let one_cert = Limits::DEFAULT.with_max_certificates(1);
    assert_eq!(
        CaCertificates::parse(&two, &one_cert),
        Err(Error::LimitExceeded(Limit::Certificates))
    );
    let mut pem = a.to_pem();
    pem.push_str(&b.to_pem());
    assert_eq!(
        CaCertificates::parse(pem.as_bytes(), &one_cert),
        Err(Error::LimitExceeded(Limit::Certificates))
    );
    assert!(CaCertificates::parse(a.as_der(), &one_cert).is_ok());
}

#[test]
fn bad_replies_are_typed_errors() {
    let cert = fixture_cert("rsa2048.cert.pem");
    let bad_cert = Err(Error::Malformed(Structure::Certificate));
    assert_eq!(CaCertificates::parse(b"", &Limits::DEFAULT), bad_cert);
    assert_eq!(CaCertificates::parse(b"hello", &Limits::DEFAULT), bad_cert);
    assert_eq!(
        CaCertificates::parse(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            &Limits::DEFAULT
        ),
        bad_cert
    );
    assert_eq!(
        CaCertificates::parse(&[0x30, 0x03, 0x02, 0x01, 0x01], &Limits::DEFAULT),
        bad_cert
    );
    // A ContentInfo of another type.
    // SEQUENCE { OID id-envelopedData, [0] { SEQUENCE {} } }
    let enveloped = [
        0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03, 0xa0, 0x02,
        0x30, 0x00,
    ];
    assert_eq!(
        CaCertificates::parse(&enveloped, &Limits::DEFAULT),
        Err(Error::ContentType)
    );
    // A certificates-only reply without certificates.
    let empty = CertsOnly::default().to_der().unwrap();
    assert_eq!(
        CaCertificates::parse(&empty, &Limits::DEFAULT),
        Err(Error::Malformed(Structure::CertsOnly))
    );
    // Trailing garbage after a certificate.
    let mut trailing = cert.as_der().to_vec();
    trailing.push(1);
    assert_eq!(CaCertificates::parse(&trailing, &Limits::DEFAULT), bad_cert);
}

#[test]
fn truncated_and_corrupted_replies_never_panic() {
    let a = fixture_cert("rsa2048.cert.pem");
    let b = fixture_cert("ra2048.cert.pem");
    let bundle = CertsOnly::from_certificates(vec![a.clone(), b])
        .to_der()
        .unwrap();
    let ber = encode(&tree(&bundle), true);
    for body in [a.as_der(), bundle.as_slice(), ber.as_slice()] {
        for n in 0..body.len() {
            assert!(
                CaCertificates::parse(&body[..n], &Limits::DEFAULT).is_err(),
                "prefix of {n} octets"
            );
        }
        for i in 0..body.len() {
            let mut v = body.to_vec();
            v[i] ^= 0xff;
            let _ = CaCertificates::parse(&v, &Limits::DEFAULT);
        }
        assert!(CaCertificates::parse(body, &Limits::DEFAULT).is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// Real replies

#[test]
fn micromdm_getcacert_capture() {
    let body = data("peers/scepserver-getcacert.der");
    let ca = fixture_cert("peers/micromdm-ca.pem");
    let cc = CaCertificates::parse(&body, &Limits::DEFAULT).unwrap();
    assert_eq!(cc.certificates(), core::slice::from_ref(&ca));
    assert_eq!(cc.encryption_certificate(), &ca);
    assert_eq!(cc.signing_certificates(), core::slice::from_ref(&ca));
    assert_eq!(cc.ca_certificate(), Some(&ca));
    assert!(cert_sign_and_crl_sign_only(&ca));

    // Its CertRep is signed by that CA: the signer is found among the signing certificates
    // and the signature verifies.
    let rep = data("peers/scepserver-certrep-success.der");
    let opts =
        scep::envelope::OpenOptions::DEFAULT.with_extra_certificates(cc.signing_certificates());
    let parsed = parse_pki_message(&rep, &opts).unwrap();
    let signer = parsed.signer_certificate().unwrap().clone();
    assert!(cc.signing_certificates().contains(&signer));
    parsed.verify(&PROVIDER).unwrap();
}

#[test]
fn shared_vectors() {
    let Some(dir) = vectors_dir() else {
        return;
    };
    // jscep: a certificates-only SignedData with one certificate.
    let resp0 = fs::read(dir.join("jscep/scep_resp0.der")).unwrap();
    let cc = CaCertificates::parse(&resp0, &Limits::DEFAULT).unwrap();
    assert_eq!(cc.certificates().len(), 1);
    let cn = cc.certificates()[0].subject().to_string();
    assert!(cn.contains("Test SCEP PKI user"), "{cn}");
    assert_eq!(cc.encryption_certificate(), &cc.certificates()[0]);

    // EJBCA's BER skeleton: its "certificates" are empty SEQUENCEs.
    let skeleton =
        fs::read(dir.join("rustcrypto-formats/ejbca_certsonly_ber_skeleton.der")).unwrap();
    assert_eq!(
        CaCertificates::parse(&skeleton, &Limits::DEFAULT),
        Err(Error::Malformed(Structure::Certificate))
    );

    // The NDES RA signing certificate (keyUsage digitalSignature only, critical), as PEM.
    let ndes = fs::read(dir.join("smallstep-scep/ndes_ra_cert.pem")).unwrap();
    let cc = CaCertificates::parse(&ndes, &Limits::DEFAULT).unwrap();
    let ku = cc.certificates()[0].key_usage().unwrap();
    assert!(ku.digital_signature() && !ku.key_encipherment() && !ku.key_cert_sign());

    // Nothing in the vectors makes either entry point panic.
    let current = CaCertificates::new(vec![fixture_cert("rsa2048.cert.pem")]).unwrap();
    let mut n = 0;
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = fs::read(&p).unwrap();
            let _ = CaCertificates::parse(&bytes, &Limits::DEFAULT);
            assert!(
                current
                    .trust_on_first_use()
                    .verify_next_ca_cert(&bytes, &PROVIDER, &Limits::DEFAULT)
                    .is_err()
            );
            n += 1;
        }
    }
    assert!(n > 50, "only {n} files");
}

// ---------------------------------------------------------------------------------------------
// Serving

#[test]
fn responses_use_the_content_type_of_their_form() {
    let a = fixture_cert("rsa2048.cert.pem");
    let b = fixture_cert("ra2048.cert.pem");
    let (ct, body) = to_response(core::slice::from_ref(&a)).unwrap();
    assert_eq!(ct, CONTENT_TYPE_CA_CERT);
    assert_eq!(body, a.as_der());
    let (ct, body) = to_response(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(ct, CONTENT_TYPE_CA_RA_CERT);
    assert_eq!(
        body,
        CertsOnly::from_certificates(vec![a.clone(), b.clone()])
            .to_der()
            .unwrap()
    );
    assert_eq!(to_response(&[]), Err(Error::InvalidInput));
    // The order given is the order sent.
    let cc = CaCertificates::new(vec![b.clone(), a.clone()]).unwrap();
    let reversed = CertsOnly::from_certificates(vec![b.clone(), a.clone()])
        .to_der()
        .unwrap();
    assert_ne!(reversed, body);
    assert_eq!(cc.to_response().unwrap(), (ct, reversed));

    if have_openssl() {
        let tmp = TempDir::new("resp");
        let p = tmp.write("p7.der", &body);
        let text = String::from_utf8(openssl(&[
            "pkcs7",
            "-inform",
            "DER",
            "-in",
            &p,
            "-print_certs",
            "-noout",
        ]))
        .unwrap();
        assert!(
            text.contains("scep test 2048") && text.contains("scep test RA"),
            "{text}"
        );
        // OpenSSL reads the certificates in the order we wrote them, both ways round (one of
        // the two orders is not the DER sort order, which clients that take the first
        // certificate as theirs would have received).
        for (first, second, certs) in [
            ("scep test 2048", "scep test RA", vec![a.clone(), b.clone()]),
            ("scep test RA", "scep test 2048", vec![b.clone(), a.clone()]),
        ] {
            let der = CertsOnly::from_certificates(certs).to_der().unwrap();
            let p = tmp.write("order.der", &der);
            let text = String::from_utf8(openssl(&[
                "pkcs7",
                "-inform",
                "DER",
                "-in",
                &p,
                "-print_certs",
                "-noout",
            ]))
            .unwrap();
            let (i, j) = (text.find(first).unwrap(), text.find(second).unwrap());
            assert!(i < j, "{first} should come before {second}:\n{text}");
        }
    }
}

#[test]
fn fingerprints_match_openssl() {
    let cert = fixture_cert("ra2048.cert.pem");
    let other = fixture_cert("rsa2048.cert.pem");
    let cc = CaCertificates::new(vec![other.clone(), cert.clone()]).unwrap();
    for (alg, name) in [
        (DigestAlgorithm::Sha256, "-sha256"),
        (DigestAlgorithm::Sha1, "-sha1"),
        (DigestAlgorithm::Sha512, "-sha512"),
    ] {
        let ours = fingerprint(&cert, alg, &PROVIDER).unwrap();
        assert_eq!(ours.as_bytes().len(), alg.output_len());
        assert_eq!(
            cc.find_by_fingerprint(alg, ours.as_bytes(), &PROVIDER)
                .unwrap(),
            Some(&cert)
        );
        if !have_openssl() {
            continue;
        }
        let path = data_path("ra2048.cert.pem");
        let out = String::from_utf8(openssl(&[
            "x509",
            "-in",
            path.to_str().unwrap(),
            "-noout",
            "-fingerprint",
            name,
        ]))
        .unwrap();
        let hex = out.trim().rsplit('=').next().unwrap().replace(':', "");
        let ours_hex: String = ours.as_bytes().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(ours_hex, hex, "{name}");
    }
    assert_eq!(
        cc.find_by_fingerprint(DigestAlgorithm::Sha256, &[0u8; 32], &PROVIDER),
        Ok(None)
    );
}

// ---------------------------------------------------------------------------------------------
// GetNextCACert

fn current_ca() -> RsaKey {
    fixture_key("rsa2048.pkcs8.pem", fixture_cert("rsa2048.cert.pem"))
}

fn new_certs() -> Vec<Certificate> {
    vec![
        fixture_cert("client2048.cert.pem"),
        fixture_cert("ra2048.cert.pem"),
    ]
}

fn sorted_der(v: &[Certificate]) -> Vec<Vec<u8>> {
    let mut d: Vec<Vec<u8>> = v.iter().map(|c| c.as_der().to_vec()).collect();
    d.sort();
    d
}

fn when() -> der::DateTime {
    der::DateTime::new(2031, 5, 6, 7, 8, 9).unwrap()
}

#[test]
fn next_ca_cert_round_trips_in_der_and_ber() {
    let signer = current_ca();
    let current = CaCertificates::new(vec![signer.certificate().clone()]).unwrap();
    for time in [None, Some(when())] {
        let body = build_next_ca_cert(&new_certs(), &signer, &PROVIDER, time).unwrap();
        let got = current
            .trust_on_first_use()
            .verify_next_ca_cert(&body, &PROVIDER, &Limits::DEFAULT)
            .unwrap();
        assert_eq!(sorted_der(&got), sorted_der(&new_certs()));
        // Strict DER out: the tree re-encodes to the same bytes.
        assert_eq!(encode(&tree(&body), false), body);
        // BER in: indefinite lengths everywhere outside the content.
        let ber = encode(&tree(&body), true);
        let got = current
            .trust_on_first_use()
            .verify_next_ca_cert(&ber, &PROVIDER, &Limits::DEFAULT)
            .unwrap();
        assert_eq!(sorted_der(&got), sorted_der(&new_certs()));
    }
    assert_eq!(
        build_next_ca_cert(&[], &signer, &PROVIDER, None),
        Err(Error::InvalidInput)
    );
}

#[test]
fn next_ca_cert_is_read_by_openssl() {
    if !have_openssl() {
        return;
    }
    let signer = current_ca();
    let body = build_next_ca_cert(&new_certs(), &signer, &PROVIDER, Some(when())).unwrap();
    let tmp = TempDir::new("next");
    let msg = tmp.write("next.der", &body);
    let ca = tmp.write("ca.pem", signer.certificate().to_pem().as_bytes());
    let inner = tmp.path("inner.der");
    openssl(&[
        "cms", "-verify", "-inform", "DER", "-in", &msg, "-CAfile", &ca, "-purpose", "any",
        "-binary", "-out", &inner,
    ]);
    assert_eq!(
        fs::read(&inner).unwrap(),
        CertsOnly::from_certificates(new_certs()).to_der().unwrap()
    );
    let printed = String::from_utf8(openssl(&[
        "cms", "-cmsout", "-print", "-inform", "DER", "-in", &msg,
    ]))
    .unwrap();
    for want in [
        "signingTime",
        "messageDigest",
        "contentType",
        "sha256WithRSAEncryption",
    ] {
        assert!(printed.contains(want), "{want} missing:\n{printed}");
    }
}

/// A valid signature by a key that is not one of the current certificates is refused, also
/// when the forger names the current CA as the signer.
#[test]
fn next_ca_cert_from_another_key_is_refused() {
    let current_key = current_ca();
    let current = CaCertificates::new(vec![current_key.certificate().clone()]).unwrap();
    let other = fixture_key("client2048.pkcs8.pem", fixture_cert("client2048.cert.pem"));
    let body = build_next_ca_cert(&new_certs(), &other, &PROVIDER, None).unwrap();
    // The signature itself is fine: the other key's own set accepts it.
    let others = CaCertificates::new(vec![other.certificate().clone()]).unwrap();
    assert!(
        others
            .trust_on_first_use()
            .verify_next_ca_cert(&body, &PROVIDER, &Limits::DEFAULT)
            .is_ok()
    );
    assert_eq!(
        current
            .trust_on_first_use()
            .verify_next_ca_cert(&body, &PROVIDER, &Limits::DEFAULT),
        Err(Error::SignerNotFound)
    );

    // A forged certificate with the current CA's issuer and serial, for another key.
    if !have_openssl() {
        return;
    }
    let pki = Pki::new("forge").unwrap();
    let forged = pki.make(
        "forged",
        "client2048.pkcs8.pem",
        "/CN=scep test 2048",
        None,
        &[],
    );
    let forged = Certificate::from_der(&openssl(&[
        "x509",
        "-in",
        &forged.cert_path,
        "-outform",
        "DER",
        "-set_serial",
        "1",
        "-signkey",
        &forged.key_path,
    ]))
    .unwrap();
    assert_eq!(forged.issuer(), current_key.certificate().issuer());
    assert_eq!(
        forged.serial_number(),
        current_key.certificate().serial_number()
    );
    let forger = fixture_key("client2048.pkcs8.pem", forged);
    let body = build_next_ca_cert(&new_certs(), &forger, &PROVIDER, None).unwrap();
    // Carried: the carried certificate is not the current one.
    assert_eq!(
        current
            .trust_on_first_use()
            .verify_next_ca_cert(&body, &PROVIDER, &Limits::DEFAULT),
        Err(Error::SignerNotFound)
    );
    // Not carried: the name leads to the current certificate, whose key did not sign.
    let mut t = tree(&body);
    signed_data(&mut t).retain(|n| !matches!(n, Node::Cons { tag: 0xa0, .. }));
    assert_eq!(
        current.trust_on_first_use().verify_next_ca_cert(
            &encode(&t, false),
            &PROVIDER,
            &Limits::DEFAULT
        ),
        Err(Error::BadSignature)
    );
}

/// With an NDES-like current set, the signing RA and the CA may sign a GetNextCACert reply,
/// the encryption-only RA may not.
#[test]
fn next_ca_cert_signers_follow_the_key_usage() {
    let Some(pki) = Pki::new("next-ndes") else {
        return;
    };
    let ca = pki.make("ca", "rsa2048.pkcs8.pem", "/CN=Corp CA", None, CA);
    let sign = pki.make("ra-sign", "ra2048.pkcs8.pem", "/CN=RA", Some(&ca), RA_SIGN);
    let enc = pki.make(
        "ra-enc",
        "client2048.pkcs8.pem",
        "/CN=RA",
        Some(&ca),
        RA_ENCRYPT,
    );
    let current =
        CaCertificates::new(vec![ca.cert.clone(), sign.cert.clone(), enc.cert.clone()]).unwrap();
    let new = vec![fixture_cert("rsa1024.cert.pem")];
    for (made, ok) in [(&ca, true), (&sign, true), (&enc, false)] {
        let key = RsaKey::from_pem(&fs::read(&made.key_path).unwrap(), made.cert.clone()).unwrap();
        let body = build_next_ca_cert(&new, &key, &PROVIDER, None).unwrap();
        let got =
            current
                .trust_on_first_use()
                .verify_next_ca_cert(&body, &PROVIDER, &Limits::DEFAULT);
        if ok {
            assert_eq!(got, Ok(new.clone()), "{}", made.label);
        } else {
            assert_eq!(got, Err(Error::SignerNotFound), "{}", made.label);
        }
    }
}

/// The signer certificate may be left out of the message (RFC 2315 §9.1 allows it; micromdm and smallstep CertReps do): the current one is used.
#[test]
fn next_ca_cert_without_the_signer_certificate() {
    let signer = current_ca();
    let current = CaCertificates::new(vec![signer.certificate().clone()]).unwrap();
    let body = build_next_ca_cert(&new_certs(), &signer, &PROVIDER, None).unwrap();
    let mut t = tree(&body);
    signed_data(&mut t).retain(|n| !matches!(n, Node::Cons { tag: 0xa0, .. }));
    let stripped = encode(&t, false);
    assert!(stripped.len() < body.len());
    let got = current
        .trust_on_first_use()
        .verify_next_ca_cert(&stripped, &PROVIDER, &Limits::DEFAULT)
        .unwrap();
    assert_eq!(sorted_der(&got), sorted_der(&new_certs()));
}

#[test]
fn tampered_next_ca_cert_is_refused() {
    let signer = current_ca();
    let current = CaCertificates::new(vec![signer.certificate().clone()]).unwrap();
    let body = build_next_ca_cert(&new_certs(), &signer, &PROVIDER, Some(when())).unwrap();
    let verify = |b: &[u8]| {
        current
            .trust_on_first_use()
            .verify_next_ca_cert(b, &PROVIDER, &Limits::DEFAULT)
    };

    // The content: one octet inside the last certificate's signature.
    let mut t = tree(&body);
    {
        let eci = &mut signed_data(&mut t)[2];
        let wrapper = &mut children(eci)[1];
        let Node::Prim { tag: 4, content } = &mut children(wrapper)[0] else {
            panic!("eContent")
        };
        let n = content.len();
        content[n - 10] ^= 1;
    }
    assert_eq!(verify(&encode(&t, false)), Err(Error::DigestMismatch));

    // A signed attribute: the signing time.
    let mut t = tree(&body);
    {
        let Node::Prim {
            tag: 0x17,
            content: time,
        } = attr_value(signed_attrs(&mut t), &oid::SIGNING_TIME)
        else {
            panic!("signingTime")
        };
        time[1] ^= 1; // 2031 -> 2030
    }
    assert_eq!(verify(&encode(&t, false)), Err(Error::BadSignature));

    // The messageDigest attribute.
    let mut t = tree(&body);
    {
        let Node::Prim { tag: 4, content: d } =
            attr_value(signed_attrs(&mut t), &oid::MESSAGE_DIGEST)
        else {
            panic!("messageDigest")
        };
        d[0] ^= 1;
    }
    assert_eq!(verify(&encode(&t, false)), Err(Error::DigestMismatch));

    // The contentType attribute and the eContentType must be id-data.
    let mut t = tree(&body);
    *attr_value(signed_attrs(&mut t), &oid::CONTENT_TYPE) = Node::Prim {
        tag: 6,
        content: oid::ID_SIGNED_DATA.as_bytes().to_vec(),
    };
    assert_eq!(verify(&encode(&t, false)), Err(Error::ContentType));
    let mut t = tree(&body);
    children(&mut signed_data(&mut t)[2])[0] = Node::Prim {
        tag: 6,
        content: oid::ID_SIGNED_DATA.as_bytes().to_vec(),
    };
    assert_eq!(verify(&encode(&t, false)), Err(Error::ContentType));

    // The signature value.
    let mut t = tree(&body);
    {
        let sd = signed_data(&mut t);
        let si = &mut children(sd.last_mut().unwrap())[0];
        let Node::Prim {
            tag: 4,
            content: sig,
        } = children(si).last_mut().unwrap()
        else {
            panic!("signature")
        };
        sig[5] ^= 1;
    }
    assert_eq!(verify(&encode(&t, false)), Err(Error::BadSignature));

    // Every prefix is an error, not a panic; so is every single-octet corruption.
    for n in 0..body.len() {
        assert!(verify(&body[..n]).is_err(), "prefix of {n} octets");
    }
    // A corrupted octet is an error, or lands in a field that is not used (the SignedData
    // version or digestAlgorithms); either way nothing unauthentic comes out.
    for i in 0..body.len() {
        let mut v = body.clone();
        v[i] ^= 0x55;
        if let Ok(got) = verify(&v) {
            assert_eq!(sorted_der(&got), sorted_der(&new_certs()), "octet {i}");
        }
    }
    assert!(verify(&body).is_ok());
}

#[test]
fn next_ca_cert_rejects_other_shapes() {
    let signer = current_ca();
    let current = CaCertificates::new(vec![signer.certificate().clone()]).unwrap();
    let verify = |b: &[u8]| {
        current
            .trust_on_first_use()
            .verify_next_ca_cert(b, &PROVIDER, &Limits::DEFAULT)
    };
    // An unsigned certificates-only SignedData (a GetCACert reply).
    let unsigned = CertsOnly::from_certificates(new_certs()).to_der().unwrap();
    assert_eq!(
        verify(&unsigned),
        Err(Error::Malformed(Structure::SignerInfo))
    );
    // A CertRep signed by the CA: authentic, but its content is an EnvelopedData.
    let msg = scep::message::PkiMessage {
        transaction_id: scep::attr::TransactionId::new("1").unwrap(),
        sender_nonce: Some(scep::attr::Nonce::from_bytes(&[7; 16]).unwrap()),
        recipient_nonce: None,
        body: scep::message::MessageBody::CertRep(scep::message::CertRep::Success(
            CertsOnly::from_certificates(new_certs()),
        )),
    };
    let mut rng = getrandom::SysRng;
    let rep = scep::envelope::seal(
        &msg,
        &signer,
        Some(signer.certificate()),
        &scep::envelope::SealOptions::DEFAULT,
        &PROVIDER,
        &mut rng,
    )
    .unwrap();
    assert_eq!(verify(&rep), Err(Error::ContentType));
    // Size is checked before anything else.
    let body = build_next_ca_cert(&new_certs(), &signer, &PROVIDER, None).unwrap();
    let small = Limits::DEFAULT.with_max_message_size(body.len() - 1);
    assert_eq!(
        current
            .trust_on_first_use()
            .verify_next_ca_cert(&body, &PROVIDER, &small),
        Err(Error::LimitExceeded(Limit::MessageSize))
    );
    assert_eq!(
        current
            .trust_on_first_use()
            .verify_next_ca_cert(&[0xff; 8], &PROVIDER, &Limits::DEFAULT),
        Err(Error::Malformed(Structure::ContentInfo))
    );
}

#[cfg(feature = "insecure-legacy")]
#[test]
fn md5_is_never_used_for_next_ca_cert() {
    use scep::crypto::SignatureAlgorithm;
    let signer = current_ca()
        .with_signature_algorithm(SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Md5));
    assert_eq!(
        build_next_ca_cert(&new_certs(), &signer, &PROVIDER, None),
        Err(Error::LegacyAlgorithm)
    );
}

/// The NDES RA signing certificate from the shared vectors: an RA is no anchor, and without its
/// CA it chains to nothing.
#[test]
fn ndes_ra_certificate_is_not_an_anchor() {
    use scep::error::TrustFailure;
    use scep::trust::{DropReason, TrustAnchor};
    let Some(dir) = crate::support::vectors() else {
        return;
    };
    let pem = fs::read(dir.join("smallstep-scep/ndes_ra_cert.pem")).unwrap();
    let set = CaCertificates::parse(&pem, &Limits::DEFAULT).unwrap();
    let ra = set.certificates()[0].clone();
    assert!(!ra.is_ca());
    let fp = fingerprint(&ra, DigestAlgorithm::Sha256, &PROVIDER).unwrap();
    let anchor = TrustAnchor::Sha256Fingerprint(fp.as_bytes().try_into().unwrap());
    assert_eq!(
        set.verify(&anchor, &PROVIDER).err(),
        Some(Error::Untrusted(TrustFailure::AnchorNotCa))
    );
    let t = set
        .verify(
            &TrustAnchor::Certificate(fixture_cert("ra2048.cert.pem")),
            &PROVIDER,
        )
        .unwrap();
    assert_eq!(t.dropped()[0].reason, DropReason::NotChained);
}
