//! PKCSReqs whose envelope fails to decrypt in each way an attacker can choose, for the
//! padding-oracle test (`oracle.rs`) and benchmark (`benches/oracle.rs`). Each is a correctly
//! signed request from the test client to the test RA: only the EnvelopedData differs, rebuilt
//! with the DER tree of `surgery.rs`, with messageDigest updated and the signed attributes
//! re-signed, so every case passes the signature check and reaches decryption.

use scep::Certificate;
use scep::caps::Capabilities;
use scep::client::{Client, ClientOptions};
use scep::crypto::{ContentEncryption, KeyTransport};
use scep::message::Csr;
use scep::provider::rustcrypto::{PROVIDER, RsaKey};
use scep::server::Server;

use crate::surgery::{Msg, Node, parse};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

pub fn test_key(name: &str) -> RsaKey {
    let cert = Certificate::from_pem(&data(&format!("{name}.cert.pem"))).unwrap();
    RsaKey::from_pem(&data(&format!("{name}.pkcs8.pem")), cert).unwrap()
}

pub struct Cases {
    pub server: Server<RsaKey, RsaKey>,
    pub client: RsaKey,
    /// `(name, request)`, the valid request first.
    pub requests: Vec<(&'static str, Vec<u8>)>,
}

/// The envelope of `request` with the encrypted key, IV and ciphertext replaced.
fn with_envelope(request: &[u8], client: &RsaKey, ek: &[u8], iv: &[u8], ct: &[u8]) -> Vec<u8> {
    let mut m = Msg::parse(request);
    let mut env = parse(&m.econtent_bytes());
    let ed = env.child(1).child(0);
    // EnvelopedData { version, SET { KeyTransRecipientInfo }, EncryptedContentInfo }
    let ktri = ed.child(1).child(0);
    *ktri.child(3).content() = ek.to_vec();
    let eci = ed.child(2);
    *eci.child(1).child(1).content() = iv.to_vec();
    *eci.child(2) = Node::Prim {
        tag: 0x80,
        content: ct.to_vec(),
    };
    m.set_econtent(env.encode());
    m.resign(client);
    m.encode()
}

impl Cases {
    /// The RA certificate (signer of the server's replies).
    pub fn server_cert(&self) -> Certificate {
        test_key("ra2048").certificate().clone()
    }
}

pub fn cases() -> Cases {
    let ra = test_key("ra2048");
    let client = test_key("client2048");
    let server = Server::new(
        ra.clone(),
        ra.clone(),
        vec![ra.certificate().clone()],
        Capabilities::rfc8894_server(),
        PROVIDER,
    );
    let c = scep::ca_certs::CaCertificates::new(vec![ra.certificate().clone()])
        .and_then(|ca| {
            Client::new(
                ca.trust_on_first_use(),
                Capabilities::rfc8894_server(),
                PROVIDER,
            )?
            .with_options(ClientOptions::default())
        })
        .unwrap();
    let mut rng = getrandom::SysRng;
    let csr = Csr::from_der(&data("client2048.csr.der")).unwrap();
    let (valid, _) = c.enroll(&csr, &client, &mut rng).unwrap();
    let valid = valid.body;
    let aes = ContentEncryption::Aes128Cbc;
    let iv = [0x17u8; 16];
    let key = [0x4bu8; 16];
    let wrap = |k: &[u8]| {
        PROVIDER
            .key_encryptor
            .encrypt_key(
                KeyTransport::RsaPkcs1v15,
                ra.certificate().public_key(),
                k,
                &mut getrandom::SysRng,
            )
            .unwrap()
    };
    let good_ek = wrap(&key);
    let csr_ct = PROVIDER
        .cipher
        .encrypt(aes, &key, &iv, csr.as_der())
        .unwrap();

    // Bad PKCS #1 padding: a value below the modulus whose RSA decryption is not 00 02 ...
    let mut bad_pkcs1 = vec![0x00];
    bad_pkcs1.extend((1..256u32).map(|i| (i * 7 + 3) as u8));
    // Wrong key length: a well-padded 24-byte key for AES-128.
    let long_ek = wrap(&[0x4b; 24]);
    // Bad CBC padding: 32 bytes ending in 0x00, encrypted with padding, last block dropped.
    let mut plain = vec![0x30u8; 31];
    plain.push(0x00);
    let mut bad_cbc = PROVIDER.cipher.encrypt(aes, &key, &iv, &plain).unwrap();
    bad_cbc.truncate(32);
    // Undecodable plaintext: right key, right padding, not a certification request.
    let junk = PROVIDER
        .cipher
        .encrypt(aes, &key, &iv, b"this is not a PKCS #10 request, just text")
        .unwrap();

    let requests = vec![
        ("valid", valid.clone()),
        (
            "valid, envelope rebuilt",
            with_envelope(&valid, &client, &good_ek, &iv, &csr_ct),
        ),
        (
            "bad PKCS#1 padding",
            with_envelope(&valid, &client, &bad_pkcs1, &iv, &csr_ct),
        ),
        (
            "wrong key length",
            with_envelope(&valid, &client, &long_ek, &iv, &csr_ct),
        ),
        (
            "bad CBC padding",
            with_envelope(&valid, &client, &good_ek, &iv, &bad_cbc),
        ),
        (
            "undecodable plaintext",
            with_envelope(&valid, &client, &good_ek, &iv, &junk),
        ),
    ];
    Cases {
        server,
        client,
        requests,
    }
}
