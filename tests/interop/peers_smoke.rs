//! Smoke tests of the peer harness: the Debian peers talking to each other, no `scep` code yet.
//! They pin the peer behaviour the example server and client are built against.

use core::time::Duration;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::thread;

use crate::peers::{
    CERTMONGER_PEERS, CertmongerRequest, MICROMDM_PEERS, MicromdmServer, PeerFailure, SCEP_SUBMIT,
    TempDir, certmonger_enroll, certmonger_enroll_with, http_get, micromdm_client_enroll,
    micromdm_client_renew, parse_http_url, require_peer, require_peers, scep_submit, wait_for_http,
    with_operation,
};

const CERTMONGER_TIMEOUT: Duration = Duration::from_secs(30);

fn pem_certs(text: &str) -> usize {
    text.matches("-----BEGIN CERTIFICATE-----").count()
}

#[test]
fn scepclient_enrols_renews_and_is_refused_a_wrong_challenge() {
    if !require_peers(&MICROMDM_PEERS) {
        return;
    }
    let tmp = TempDir::new("micromdm");
    let server = MicromdmServer::start(&tmp.join("depot"), Some("s3cret"), 0);

    let caps = http_get(
        &with_operation(&server.url(), "GetCACaps"),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(caps.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&caps.body),
        "Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation"
    );

    let client = tmp.join("client");
    let issued = micromdm_client_enroll(&server.url(), &client, "smoke-client", Some("s3cret"))
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    let first = fs::read_to_string(&issued.cert).unwrap();
    assert_eq!(
        pem_certs(&first),
        1,
        "scepclient writes the issued certificate only"
    );
    assert!(issued.csr.is_file());

    let renewed = micromdm_client_renew(&server.url(), &client, "smoke-client", Some("s3cret"))
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    let second = fs::read_to_string(&renewed.cert).unwrap();
    assert_eq!(pem_certs(&second), 1);
    assert_ne!(first, second, "a renewal issues a new certificate");
    assert_eq!(
        fs::read_to_string(renewed.previous_cert.unwrap()).unwrap(),
        first
    );
    assert!(server.log().contains("RenewalReq (17)"));

    let refused =
        micromdm_client_enroll(&server.url(), &tmp.join("bad"), "smoke-bad", Some("nope"))
            .unwrap_err();
    assert_eq!(refused.exit_code, Some(1));
    assert_eq!(refused.fail_info(), Some("badRequest"), "{refused}");
    assert!(
        refused.message.starts_with("PKCSReq (19) request failed"),
        "{refused}"
    );
}

#[test]
fn scepserver_refuses_a_second_certificate_before_the_renewal_window() {
    if !require_peers(&MICROMDM_PEERS) {
        return;
    }
    let tmp = TempDir::new("micromdm-renew");
    // Certificates live 30 days; renewal is allowed only in the last 14.
    let server = MicromdmServer::start(&tmp.join("depot"), None, 14);
    let client = tmp.join("client");
    micromdm_client_enroll(&server.url(), &client, "early", None).unwrap();
    let refused = micromdm_client_renew(&server.url(), &client, "early", None).unwrap_err();
    assert_eq!(refused.fail_info(), Some("badRequest"), "{refused}");
    assert!(
        refused
            .message
            .starts_with("RenewalReq (17) request failed"),
        "{refused}"
    );
    assert!(server.log().contains("already exists"), "{}", server.log());
}

#[test]
fn scep_submit_reads_capabilities_and_ca_certificates_from_scepserver() {
    if !require_peers(&MICROMDM_PEERS) || !require_peer(SCEP_SUBMIT) {
        return;
    }
    let tmp = TempDir::new("scep-submit");
    let server = MicromdmServer::start(&tmp.join("depot"), None, 0);

    let caps = scep_submit(&server.url(), &["-c"], tmp.path()).unwrap();
    let caps: Vec<&str> = caps.lines().filter(|l| !l.is_empty()).collect();
    assert!(caps.contains(&"POSTPKIOperation"), "{caps:?}");
    assert!(caps.contains(&"SHA-256"), "{caps:?}");

    // One DER certificate as `application/x-x509-ca-cert`: printed once, as RA (it is also the CA).
    let certs = scep_submit(&server.url(), &["-C"], tmp.path()).unwrap();
    let ca = fs::read_to_string(server.ca_cert_path()).unwrap();
    assert_eq!(pem_certs(&certs), 1, "{certs}");
    assert_eq!(certs.trim(), ca.trim());
}

#[test]
fn certmonger_daemon_is_rejected_with_a_wrong_challenge() {
    if !require_peers(&MICROMDM_PEERS) || !require_peers(&CERTMONGER_PEERS) {
        return;
    }
    let tmp = TempDir::new("certmonger-reject");
    let server = MicromdmServer::start(&tmp.join("depot"), Some("s3cret"), 0);
    let failure = certmonger_enroll_with(&CertmongerRequest {
        url: &server.url(),
        ca_cert: &server.ca_cert_path(),
        dir: &tmp.join("cm"),
        subject: "CN=certmonger-rejected",
        challenge: Some("wrong"),
        timeout: CERTMONGER_TIMEOUT,
        cipher: None,
        digest: None,
    })
    .unwrap_err();
    // A FAILURE CertRep is signed but not encrypted, so certmonger reads it whatever the cipher.
    assert_eq!(failure.status, "CA_REJECTED", "{failure}");
    assert_eq!(
        failure.ca_error.as_deref(),
        Some("Transaction either is not permitted or is not supported by server."),
        "{failure}"
    );
    assert!(server.log().contains("invalid challenge"));
}

#[test]
fn certmonger_cannot_open_the_single_des_reply_of_scepserver() {
    if !require_peers(&MICROMDM_PEERS) || !require_peers(&CERTMONGER_PEERS) {
        return;
    }
    let tmp = TempDir::new("certmonger-des");
    let server = MicromdmServer::start(&tmp.join("depot"), Some("s3cret"), 0);
    let result = certmonger_enroll(
        &server.url(),
        &server.ca_cert_path(),
        &tmp.join("cm"),
        "CN=certmonger-des",
        Some("s3cret"),
        CERTMONGER_TIMEOUT,
    );
    // scepserver issues, but answers with DES-CBC; OpenSSL 3 refuses DES unless the system
    // configuration loads the legacy provider (certmonger clears OPENSSL_CONF for its helpers).
    let issued_in_depot = fs::read_dir(server.depot())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("certmonger-des.")
        });
    assert!(
        issued_in_depot,
        "scepserver issued and stored the certificate"
    );
    match result {
        Ok(cert) => assert_eq!(pem_certs(&fs::read_to_string(cert).unwrap()), 1),
        Err(e) => assert!(e.starts_with("certmonger status NEED_GUIDANCE"), "{e}"),
    }
}

#[test]
fn certmonger_takes_the_forced_cipher_and_digest() {
    if !require_peers(&MICROMDM_PEERS) || !require_peers(&CERTMONGER_PEERS) {
        return;
    }
    let tmp = TempDir::new("certmonger-algs");
    let server = MicromdmServer::start(&tmp.join("depot"), Some("s3cret"), 0);
    let dir = tmp.join("cm");
    let failure = certmonger_enroll_with(&CertmongerRequest {
        url: &server.url(),
        ca_cert: &server.ca_cert_path(),
        dir: &dir,
        subject: "CN=certmonger-des3",
        challenge: Some("wrong"),
        timeout: CERTMONGER_TIMEOUT,
        cipher: Some("DES3"),
        digest: Some("SHA1"),
    })
    .unwrap_err();
    assert_eq!(failure.status, "CA_REJECTED", "{failure}");
    let log = fs::read_to_string(dir.join("certmonger/certmonger.err")).unwrap();
    assert!(log.contains("SCEP cipher set from configuration to: 'DES3'"));
    assert!(log.contains("SCEP digest set from configuration to: 'SHA1'"));
}

// The harness itself, without peers.

#[test]
fn harness_accepts_only_loopback_http_urls() {
    let (addr, authority, target) =
        parse_http_url("http://localhost:8080/scep?operation=GetCACaps").unwrap();
    assert_eq!(addr.to_string(), "127.0.0.1:8080");
    assert_eq!(authority, "localhost:8080");
    assert_eq!(target, "/scep?operation=GetCACaps");
    assert_eq!(
        parse_http_url("http://[::1]:9000").unwrap().0.to_string(),
        "[::1]:9000"
    );
    assert_eq!(parse_http_url("http://127.0.0.1/").unwrap().0.port(), 80);
    assert!(parse_http_url("http://192.0.2.7:8080/scep").is_err());
    assert!(parse_http_url("http://scep.example/scep").is_err());
    assert!(parse_http_url("https://127.0.0.1/scep").is_err());
}

#[test]
fn harness_http_client_reads_an_http10_reply() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let url = format!("http://{}/scep", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let mut requests = Vec::new();
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0_u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                assert_ne!(n, 0);
                request.extend_from_slice(&buf[..n]);
            }
            requests.push(String::from_utf8(request).unwrap());
            conn.write_all(
                b"HTTP/1.0 200 OK\r\nContent-Type: application/x-x509-ca-cert\r\n\r\n\x30\x82",
            )
            .unwrap();
        }
        requests
    });
    wait_for_http(&url, Duration::from_secs(5)).unwrap();
    let reply = http_get(&with_operation(&url, "GetCACert"), Duration::from_secs(5)).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), Some("application/x-x509-ca-cert"));
    assert_eq!(reply.body, b"\x30\x82");
    let requests = server.join().unwrap();
    for request in requests {
        assert!(
            request.starts_with("GET /scep?operation=GetCACert HTTP/1.0\r\nHost: 127.0.0.1:"),
            "{request}"
        );
    }
}

#[test]
fn harness_reads_the_fail_info_scepclient_prints() {
    let failure = PeerFailure {
        peer: "scepclient",
        exit_code: Some(1),
        message: "PKCSReq (19) request failed, failInfo: badRequest (2)".to_owned(),
        output: None,
    };
    assert_eq!(failure.fail_info(), Some("badRequest"));
    assert_eq!(
        failure.to_string(),
        "scepclient failed (exit 1): PKCSReq (19) request failed, failInfo: badRequest (2)"
    );
}

#[test]
fn every_peer_capture_has_a_note() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let notes = fs::read_to_string(root.join("NOTES.md")).unwrap();
    let mut files = 0;
    for entry in fs::read_dir(root.join("peers")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            let name = entry.file_name().into_string().unwrap();
            assert!(
                notes.contains(&format!("`{name}`")),
                "{name} has no note in NOTES.md"
            );
            files += 1;
        }
    }
    assert!(files >= 15, "captures missing: {files} files");
}
