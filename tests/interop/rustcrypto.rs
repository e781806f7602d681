//! The RustCrypto provider against things we did not write: the `openssl` command (skipped
//! with a message when it cannot run; required when `SCEP_REQUIRE_PEERS=1`) and the shared
//! vectors (`SCEP_VECTORS`). Moved out of the library's unit tests, which neither run programs
//! nor read the environment.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use der::asn1::OctetString;
use der::referenced::OwnedToRef;
use der::{Decode, Encode};
use rsa::PrivateKey;
use rsa::traits::PublicKeyParts;
use scep::Certificate;
use scep::crypto::{
    ContentEncryption, Decryptor, DigestAlgorithm, KeyTransport, SecureRandom, SignatureAlgorithm,
    Signer,
};
use scep::error::Error;
use scep::oid;
use scep::provider::rustcrypto::*;
use sha2::{Digest, Sha256};
use x509_cert::name::Name;
use zeroize::Zeroizing;

use std::convert::Infallible;

// ---------------------------------------------------------------------------------------------
// Helpers

const ALL_DIGESTS: &[DigestAlgorithm] = &[
    #[cfg(feature = "insecure-legacy")]
    DigestAlgorithm::Md5,
    DigestAlgorithm::Sha1,
    DigestAlgorithm::Sha224,
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

/// The self-signed signer certificate of `key`, as a client makes it with [`scep::builder`].
fn self_signed_certificate(
    key: &PrivateKey,
    subject: &Name,
    serial: &[u8],
    not_before: der::DateTime,
    not_after: der::DateTime,
    sig: SignatureAlgorithm,
) -> Result<Certificate, Error> {
    scep::builder::self_signed_certificate(
        subject,
        public_key_info(key)?,
        serial,
        not_before,
        not_after,
        sig,
        &mut |tbs| sign_with_key(key, sig, tbs),
        &PROVIDER,
    )
}

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn data(name: &str) -> Vec<u8> {
    fs::read(data_path(name)).unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_pem(&data(name)).unwrap()
}

fn key2048() -> RsaKey {
    RsaKey::from_pkcs8_pem(&data("rsa2048.pkcs8.pem"), cert("rsa2048.cert.pem")).unwrap()
}

fn key1024() -> RsaKey {
    RsaKey::from_pkcs1_pem(&data("rsa1024.pkcs1.pem"), cert("rsa1024.cert.pem")).unwrap()
}

fn key512() -> RsaKey {
    RsaKey::from_pem(&data("rsa512.pkcs1.pem"), cert("rsa512.cert.pem")).unwrap()
}

/// A deterministic generator for tests: SHA-256 in counter mode.
struct TestRng(u64);

impl rand_core::TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(32) {
            let block = Sha256::digest(self.0.to_be_bytes());
            self.0 += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for TestRng {}

fn random_bytes(rng: &mut TestRng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    SecureRandom::fill(rng, &mut v).unwrap();
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh scratch directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "scep-rustcrypto-{}-{}-{}",
            std::process::id(),
            name,
            n
        ));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, contents: &[u8]) -> String {
        let p = self.0.join(name);
        fs::write(&p, contents).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `openssl` with `args`; `None` (with a message) when it cannot be started.
fn openssl(args: &[&str]) -> Option<Output> {
    match Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => Some(out),
        Err(e) => {
            eprintln!("skipping openssl cross-check: cannot run openssl: {e}");
            None
        }
    }
}

/// Runs `openssl` and requires success.
fn openssl_ok(args: &[&str]) -> Option<Vec<u8>> {
    let out = openssl(args)?;
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
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

fn openssl_digest_name(alg: DigestAlgorithm) -> &'static str {
    match alg {
        #[cfg(feature = "insecure-legacy")]
        DigestAlgorithm::Md5 => "md5",
        DigestAlgorithm::Sha1 => "sha1",
        DigestAlgorithm::Sha224 => "sha224",
        DigestAlgorithm::Sha256 => "sha256",
        DigestAlgorithm::Sha384 => "sha384",
        DigestAlgorithm::Sha512 => "sha512",
        other => panic!("no openssl name for {other:?}"),
    }
}

fn name(cn: &str) -> Name {
    Name::from_str(&format!("CN={cn},O=scep tests")).unwrap()
}

fn date(y: u16, m: u8, d: u8) -> der::DateTime {
    der::DateTime::new(y, m, d, 0, 0, 0).unwrap()
}

fn sample_crl(revoked: Vec<scep::builder::RevokedCertificate>) -> (RsaKey, scep::message::Crl) {
    let ca = key2048();
    let template = scep::builder::CrlTemplate {
        this_update: date(2024, 3, 1),
        next_update: Some(date(2024, 3, 8)),
        number: vec![0, 0, 7],
        revoked,
    };
    let alg = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
    let crl = scep::builder::crl(&template, ca.certificate(), alg, &mut |tbs| {
        sign_with_key(ca.private_key(), alg, tbs)
    })
    .unwrap();
    (ca, crl)
}

#[test]
fn cbc_matches_openssl_enc() {
    let mut rng = TestRng(2);
    let dir = TempDir::new("enc");
    let cases: &[(ContentEncryption, &str, &[&str])] = &[
        #[cfg(feature = "insecure-legacy")]
        (
            ContentEncryption::DesCbc,
            "-des-cbc",
            &["-provider", "legacy", "-provider", "default"],
        ),
        (ContentEncryption::DesEde3Cbc, "-des-ede3-cbc", &[]),
        (ContentEncryption::Aes128Cbc, "-aes-128-cbc", &[]),
        (ContentEncryption::Aes192Cbc, "-aes-192-cbc", &[]),
        (ContentEncryption::Aes256Cbc, "-aes-256-cbc", &[]),
    ];
    for &(alg, name, extra) in cases {
        let key = random_bytes(&mut rng, alg.key_len());
        let iv = random_bytes(&mut rng, alg.block_len());
        let pt = random_bytes(&mut rng, 45);
        let pt_file = dir.file("pt", &pt);
        let out_file = dir.path("ct");
        let (key_hex, iv_hex) = (hex(&key), hex(&iv));
        let mut args = vec!["enc", name, "-K", &key_hex, "-iv", &iv_hex, "-in", &pt_file];
        args.extend_from_slice(&["-out", &out_file]);
        args.extend_from_slice(extra);
        let Some(out) = openssl(&args) else { return };
        if !out.status.success() {
            eprintln!("skipping {alg:?}: openssl enc {name} failed (legacy provider missing?)");
            continue;
        }
        let theirs = fs::read(&out_file).unwrap();
        let ours = PROVIDER.cipher.encrypt(alg, &key, &iv, &pt).unwrap();
        assert_eq!(ours, theirs, "{alg:?}");
        assert_eq!(
            &PROVIDER.cipher.decrypt(alg, &key, &iv, &theirs).unwrap()[..],
            &pt[..]
        );

        // And openssl decrypts ours.
        let ct_file = dir.file("ours", &ours);
        let back_file = dir.path("back");
        let mut args = vec![
            "enc", "-d", name, "-K", &key_hex, "-iv", &iv_hex, "-in", &ct_file,
        ];
        args.extend_from_slice(&["-out", &back_file]);
        args.extend_from_slice(extra);
        openssl_ok(&args).unwrap();
        assert_eq!(fs::read(&back_file).unwrap(), pt);
    }
}

#[test]
fn signatures_match_openssl() {
    let key = key2048();
    let dir = TempDir::new("dgst");
    let key_file = data_path("rsa2048.pkcs8.pem");
    let key_file = key_file.to_str().unwrap();
    let Some(pub_pem) = openssl(&["pkey", "-in", key_file, "-pubout"]) else {
        return;
    };
    let pub_file = dir.file("pub.pem", &pub_pem.stdout);
    let msg: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let msg_file = dir.file("msg", &msg);
    for &d in ALL_DIGESTS {
        let md = format!("-{}", openssl_digest_name(d));
        let alg = SignatureAlgorithm::RsaPkcs1v15(d);
        let ours = key
            .clone()
            .with_signature_algorithm(alg)
            .sign(&msg)
            .unwrap();
        let sig_file = dir.file("sig", &ours);
        let out = openssl_ok(&[
            "dgst",
            &md,
            "-verify",
            &pub_file,
            "-signature",
            &sig_file,
            &msg_file,
        ])
        .unwrap();
        assert!(
            String::from_utf8_lossy(&out).contains("Verified OK"),
            "{d:?}"
        );

        let theirs = openssl_ok(&["dgst", &md, "-sign", key_file, "-binary", &msg_file]).unwrap();
        assert_eq!(
            theirs, ours,
            "{d:?}: PKCS #1 v1.5 signatures are deterministic"
        );
        PROVIDER
            .verifier
            .verify(alg, key.certificate().public_key(), &msg, &theirs)
            .unwrap();
    }
}

fn openssl_oaep_opts(hash: DigestAlgorithm, mgf1: DigestAlgorithm) -> Vec<String> {
    vec![
        "-pkeyopt".into(),
        "rsa_padding_mode:oaep".into(),
        "-pkeyopt".into(),
        format!("rsa_oaep_md:{}", openssl_digest_name(hash)),
        "-pkeyopt".into(),
        format!("rsa_mgf1_md:{}", openssl_digest_name(mgf1)),
    ]
}

#[test]
fn key_transport_matches_openssl_pkeyutl() {
    let key = key2048();
    let dir = TempDir::new("pkeyutl");
    let key_file = data_path("rsa2048.pkcs8.pem");
    let key_file = key_file.to_str().unwrap();
    let cert_file = data_path("rsa2048.cert.pem");
    let cert_file = cert_file.to_str().unwrap();
    let mut rng = TestRng(10);
    let cases = [
        KeyTransport::RsaPkcs1v15,
        KeyTransport::OAEP_SHA1,
        KeyTransport::OAEP_SHA256,
        KeyTransport::RsaOaep {
            hash: DigestAlgorithm::Sha256,
            mgf1: DigestAlgorithm::Sha1,
        },
        KeyTransport::RsaOaep {
            hash: DigestAlgorithm::Sha384,
            mgf1: DigestAlgorithm::Sha384,
        },
        KeyTransport::RsaOaep {
            hash: DigestAlgorithm::Sha512,
            mgf1: DigestAlgorithm::Sha256,
        },
    ];
    for alg in cases {
        let opts = match alg {
            KeyTransport::RsaPkcs1v15 => vec!["-pkeyopt".into(), "rsa_padding_mode:pkcs1".into()],
            KeyTransport::RsaOaep { hash, mgf1 } => openssl_oaep_opts(hash, mgf1),
            other => panic!("{other:?}"),
        };
        let opts: Vec<&str> = opts.iter().map(String::as_str).collect();

        // Ours -> openssl.
        let cek = random_bytes(&mut rng, 32);
        let wrapped = PROVIDER
            .key_encryptor
            .encrypt_key(alg, key.certificate().public_key(), &cek, &mut rng)
            .unwrap();
        let ct_file = dir.file("ct", &wrapped);
        let mut args = vec!["pkeyutl", "-decrypt", "-inkey", key_file, "-in", &ct_file];
        args.extend_from_slice(&opts);
        let Some(out) = openssl(&args) else { return };
        assert!(
            out.status.success(),
            "{alg:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, cek, "{alg:?}");

        // openssl -> ours.
        let cek = random_bytes(&mut rng, 24);
        let pt_file = dir.file("pt", &cek);
        let mut args = vec![
            "pkeyutl", "-encrypt", "-certin", "-inkey", cert_file, "-in", &pt_file,
        ];
        args.extend_from_slice(&opts);
        let wrapped = openssl_ok(&args).unwrap();
        assert_eq!(
            &key.decrypt_key(alg, &wrapped, 24).unwrap()[..],
            &cek[..],
            "{alg:?}"
        );
    }
}

#[test]
fn encrypted_pem_is_refused() {
    let dir = TempDir::new("encpem");
    let key_file = data_path("rsa1024.pkcs1.pem");
    let key_file = key_file.to_str().unwrap();
    let c1024 = cert("rsa1024.cert.pem");
    let out = dir.path("enc8.pem");
    let Some(_) = openssl_ok(&[
        "pkcs8",
        "-topk8",
        "-in",
        key_file,
        "-passout",
        "pass:x",
        "-v2",
        "aes-128-cbc",
        "-out",
        &out,
    ]) else {
        return;
    };
    let enc8 = fs::read(&out).unwrap();
    assert!(String::from_utf8_lossy(&enc8).contains("ENCRYPTED PRIVATE KEY"));
    assert_eq!(
        RsaKey::from_pem(&enc8, c1024.clone()).err(),
        Some(Error::InvalidInput)
    );

    let out = dir.path("legacy.pem");
    openssl_ok(&[
        "rsa",
        "-in",
        key_file,
        "-aes128",
        "-traditional",
        "-passout",
        "pass:x",
        "-out",
        &out,
    ])
    .unwrap();
    let legacy = fs::read(&out).unwrap();
    assert!(String::from_utf8_lossy(&legacy).contains("Proc-Type"));
    assert_eq!(
        RsaKey::from_pem(&legacy, c1024).err(),
        Some(Error::InvalidInput)
    );
}

#[test]
fn pkcs8_pem_export_round_trips() {
    let key = key1024();
    let pem = key.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let back = RsaKey::from_pkcs8_pem(pem.as_bytes(), key.certificate().clone()).unwrap();
    assert_eq!(back.private_key(), key.private_key());

    let dir = TempDir::new("export");
    let file = dir.file("k.pem", pem.as_bytes());
    let cert_file = data_path("rsa1024.cert.pem");
    let Some(ours) = openssl(&["pkey", "-in", &file, "-pubout"]) else {
        return;
    };
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let theirs = openssl_ok(&[
        "x509",
        "-in",
        cert_file.to_str().unwrap(),
        "-noout",
        "-pubkey",
    ])
    .unwrap();
    assert_eq!(ours.stdout, theirs);
}

#[test]
fn openssl_accepts_self_signed_certificate() {
    let dir = TempDir::new("x509");
    let cases = [
        (
            key2048(),
            DigestAlgorithm::Sha256,
            "sha256WithRSAEncryption",
        ),
        (
            key2048(),
            DigestAlgorithm::Sha512,
            "sha512WithRSAEncryption",
        ),
        (key1024(), DigestAlgorithm::Sha1, "sha1WithRSAEncryption"),
        (key512(), DigestAlgorithm::Sha256, "sha256WithRSAEncryption"),
    ];
    for (i, (key, d, sig_name)) in cases.into_iter().enumerate() {
        let c = self_signed_certificate(
            key.private_key(),
            &name("openssl check"),
            &(i as u32 + 0x00ff_fff0).to_be_bytes(),
            date(2024, 1, 1),
            date(2099, 1, 1),
            SignatureAlgorithm::RsaPkcs1v15(d),
        )
        .unwrap();
        let der_file = dir.file("c.der", c.as_der());
        let pem_file = dir.file("c.pem", c.to_pem().as_bytes());
        let Some(text) = openssl(&[
            "x509", "-inform", "DER", "-in", &der_file, "-noout", "-text",
        ]) else {
            return;
        };
        assert!(
            text.status.success(),
            "{}",
            String::from_utf8_lossy(&text.stderr)
        );
        let text = String::from_utf8_lossy(&text.stdout);
        for want in [
            "Version: 3 (0x2)",
            sig_name,
            "Digital Signature, Key Encipherment",
            "CA:FALSE",
            "X509v3 Subject Key Identifier",
            "Issuer: O = scep tests, CN = openssl check",
            "Subject: O = scep tests, CN = openssl check",
            "Not After : Jan  1 00:00:00 2099 GMT",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        let out = openssl_ok(&[
            "verify",
            "-auth_level",
            "0",
            "-check_ss_sig",
            "-partial_chain",
            "-CAfile",
            &pem_file,
            &pem_file,
        ])
        .unwrap();
        assert!(String::from_utf8_lossy(&out).contains(": OK"), "{d:?}");

        // A corrupted signature is caught by the same command.
        let mut bad = c.as_der().to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let bad = Certificate::from_der(&bad).unwrap();
        let bad_file = dir.file("bad.pem", bad.to_pem().as_bytes());
        let args = [
            "verify",
            "-auth_level",
            "0",
            "-check_ss_sig",
            "-partial_chain",
            "-CAfile",
            &bad_file,
            &bad_file,
        ];
        let out = openssl(&args).unwrap();
        assert!(!out.status.success(), "openssl accepted a bad signature");
    }
}

#[cfg(feature = "insecure-legacy")]
#[test]
fn md5_signatures_match_openssl() {
    let key =
        key1024().with_signature_algorithm(SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Md5));
    let dir = TempDir::new("md5");
    let key_file = data_path("rsa1024.pkcs1.pem");
    let msg_file = dir.file("msg", b"legacy");
    let Some(theirs) = openssl(&[
        "dgst",
        "-md5",
        "-sign",
        key_file.to_str().unwrap(),
        "-binary",
        &msg_file,
    ]) else {
        return;
    };
    assert!(theirs.status.success());
    assert_eq!(key.sign(b"legacy").unwrap(), theirs.stdout);
}

/// The `EnvelopedData` in `der`, which is a `ContentInfo` or a bare `EnvelopedData`.
fn enveloped_data(der: &[u8]) -> cms::enveloped_data::EnvelopedData {
    use cms::content_info::ContentInfo;
    use cms::enveloped_data::EnvelopedData;
    match ContentInfo::from_der(der) {
        Ok(ci) => {
            assert_eq!(ci.content_type, oid::ID_ENVELOPED_DATA);
            ci.content.decode_as::<EnvelopedData>().unwrap()
        }
        Err(_) => EnvelopedData::from_der(der).unwrap(),
    }
}

/// Opens `env` with `key` (no recipient matching), reading the key transport from the OID,
/// except that OAEP parameters are given by the caller.
fn open_envelope(
    env: &cms::enveloped_data::EnvelopedData,
    key: &RsaKey,
    oaep: KeyTransport,
) -> Zeroizing<Vec<u8>> {
    use cms::enveloped_data::RecipientInfo;
    let ktri = env
        .recip_infos
        .0
        .iter()
        .find_map(|ri| match ri {
            RecipientInfo::Ktri(k) => Some(k),
            _ => None,
        })
        .unwrap();
    let transport = match ktri.key_enc_alg.oid {
        oid::RSA_ENCRYPTION => KeyTransport::RsaPkcs1v15,
        oid::RSAES_OAEP => oaep,
        other => panic!("unexpected key transport {other}"),
    };
    let eci = &env.encrypted_content;
    let alg = ContentEncryption::from_oid(&eci.content_enc_alg.oid).unwrap();
    // The Java SCEP client omits the IV; OpenSSL then uses zeros.
    let iv = match eci.content_enc_alg.parameters.as_ref() {
        Some(p) => p.decode_as::<OctetString>().unwrap().as_bytes().to_vec(),
        None => vec![0; alg.block_len()],
    };
    let cek = key
        .decrypt_key(transport, ktri.enc_key.as_bytes(), alg.key_len())
        .unwrap();
    let ct = eci.encrypted_content.as_ref().unwrap();
    PROVIDER
        .cipher
        .decrypt(alg, &cek, &iv, ct.as_bytes())
        .unwrap()
}

#[test]
fn vectors_smallstep_enveloped() {
    let Some(dir) = vectors_dir() else { return };
    let dir = dir.join("smallstep-pkcs7");
    let cases = [
        ("enveloped_openssl_default", KeyTransport::OAEP_SHA1),
        ("enveloped_rsapkcs1v15_aes256", KeyTransport::OAEP_SHA1),
        ("enveloped_rsaoaep_sha1_aes256", KeyTransport::OAEP_SHA1),
        // The encoder's parameters say MGF1-SHA-1, but it used MGF1-SHA-256 (see the README).
        ("enveloped_rsaoaep_sha256", KeyTransport::OAEP_SHA256),
    ];
    for (stem, oaep) in cases {
        let read = |ext: &str| fs::read(dir.join(format!("{stem}.{ext}"))).unwrap();
        let key = RsaKey::from_pem(
            &read("key.pem"),
            Certificate::from_pem(&read("cert.pem")).unwrap(),
        )
        .unwrap();
        let env = enveloped_data(&read("der"));
        let plain = open_envelope(&env, &key, oaep);
        assert!(
            plain.starts_with(b"This is a test"),
            "{stem}: {:?}",
            String::from_utf8_lossy(&plain)
        );
    }
}

#[test]
fn vectors_keys_with_bag_attributes() {
    let Some(dir) = vectors_dir() else { return };
    let read = |p: &str| fs::read(dir.join(p)).unwrap();
    let mac_cert = Certificate::from_pem(&read("smallstep-scep/macos_csr_key.cert.pem")).unwrap();
    let mac = RsaKey::from_pem(&read("smallstep-scep/macos_csr_key.key.pem"), mac_cert).unwrap();
    assert_eq!(mac.private_key().n().bit_width(), 1024);
    let sce_cert =
        Certificate::from_pem(&read("rustcrypto-formats/sceptest_cert-selfsigned.pem")).unwrap();
    RsaKey::from_pem(&read("rustcrypto-formats/sceptest_key.pem"), sce_cert).unwrap();
}

#[test]
fn vectors_signed_openssl_verifies() {
    let Some(dir) = vectors_dir() else { return };
    let der = fs::read(dir.join("smallstep-pkcs7/signed_openssl.der")).unwrap();
    let (ok, bad) = verify_signer_infos(&der);
    assert_eq!((ok, bad), (1, 0));
}

/// Verifies every SignerInfo of a `ContentInfo(SignedData)` with signed attributes against the
/// first certificate; returns (verified, failed).
fn verify_signer_infos(der: &[u8]) -> (usize, usize) {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    let ci = ContentInfo::from_der(der).unwrap();
    let sd = ci.content.decode_as::<SignedData>().unwrap();
    let cert = match sd.certificates.as_ref().unwrap().0.iter().next().unwrap() {
        CertificateChoices::Certificate(c) => Certificate::try_from(c).unwrap(),
        CertificateChoices::Other(_) => panic!("other certificate format"),
    };
    let (mut ok, mut bad) = (0, 0);
    for si in sd.signer_infos.0.iter() {
        let digest = DigestAlgorithm::from_oid(&si.digest_alg.oid).unwrap();
        let alg =
            SignatureAlgorithm::from_signer_info(&si.signature_algorithm.owned_to_ref(), digest)
                .unwrap();
        let attrs = si.signed_attrs.as_ref().unwrap().to_der().unwrap();
        match PROVIDER
            .verifier
            .verify(alg, cert.public_key(), &attrs, si.signature.as_bytes())
        {
            Ok(()) => ok += 1,
            Err(scep::crypto::BadSignature) => bad += 1,
        }
    }
    (ok, bad)
}

/// The pkcsPKIEnvelope inside a SCEP `ContentInfo(SignedData)`.
#[cfg(feature = "insecure-legacy")]
fn scep_envelope(der: &[u8]) -> cms::enveloped_data::EnvelopedData {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    let ci = ContentInfo::from_der(der).unwrap();
    let sd = ci.content.decode_as::<SignedData>().unwrap();
    let econtent = sd.encap_content_info.econtent.unwrap();
    let inner = econtent.decode_as::<OctetString>().unwrap();
    enveloped_data(inner.as_bytes())
}

#[cfg(feature = "insecure-legacy")]
#[test]
fn vectors_legacy_md5_des_pkcsreq() {
    let Some(dir) = vectors_dir() else { return };
    let read = |p: &str| fs::read(dir.join("ejbca").join(p)).unwrap();
    let ca = RsaKey::from_pem(
        &read("ca_sign.key.pem"),
        Certificate::from_pem(&read("ca_sign.cert.pem")).unwrap(),
    )
    .unwrap();
    for (file, csr, good_sig) in [
        (
            "ciscovpn_pkcsreq.der",
            "derived/ciscovpn_pkcsreq.decrypted.csr.der",
            true,
        ),
        (
            "javascepclient_pkcsreq_badsig.der",
            "derived/javascepclient_pkcsreq_badsig.decrypted.csr.der",
            false,
        ),
    ] {
        let msg = read(file);
        let want = if good_sig { (1, 0) } else { (0, 1) };
        assert_eq!(verify_signer_infos(&msg), want, "{file}");
        let env = scep_envelope(&msg);
        assert_eq!(
            env.encrypted_content.content_enc_alg.oid,
            ContentEncryption::DesCbc.oid(),
            "{file}"
        );
        let plain = open_envelope(&env, &ca, KeyTransport::OAEP_SHA1);
        assert_eq!(&plain[..], &read(csr)[..], "{file}");
    }
}

/// OpenSSL checks the CRL's signature against the issuer certificate and reads every entry.
#[test]
fn crl_verifies_with_openssl() {
    use scep::builder::RevokedCertificate;
    use x509_cert::ext::pkix::CrlReason;
    let (ca, crl) = sample_crl(vec![RevokedCertificate {
        serial: vec![0x0a, 0xbc],
        revocation_date: date(2024, 2, 1),
        reason: Some(CrlReason::Superseded),
    }]);
    let dir = TempDir::new("crl");
    let ca_file = dir.file("ca.pem", ca.certificate().to_pem().as_bytes());
    let crl_file = dir.file("crl.der", crl.as_der());
    let Some(out) = openssl(&[
        "crl", "-inform", "DER", "-in", &crl_file, "-CAfile", &ca_file, "-noout", "-text",
    ]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("verify OK"), "{stderr}");
    assert!(stdout.contains("Serial Number: 0ABC"), "{stdout}");
    assert!(stdout.contains("Superseded"), "{stdout}");
    assert!(stdout.contains("X509v3 CRL Number"), "{stdout}");
    // A CA file without the issuer verifies nothing.
    let other = dir.file("other.pem", key1024().certificate().to_pem().as_bytes());
    if let Some(out) = openssl(&[
        "crl", "-inform", "DER", "-in", &crl_file, "-CAfile", &other, "-noout",
    ]) {
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("verify OK"),
            "a foreign CA file verified the CRL"
        );
    }
}
