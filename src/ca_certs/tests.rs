//! Unit tests of the lenient extension readers behind the selection rules. The selection rules
//! themselves, on certificates made at test time with `openssl`, are integration tests
//! (`tests/interop/ca_certs.rs`).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

extern crate std;

use super::*;

fn fixture_cert(name: &str) -> Certificate {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    Certificate::from_pem(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn key_usage_and_basic_constraints_are_read_leniently() {
    let ca = fixture_cert("ra2048.cert.pem");
    assert_eq!(key_usage_bits(&ca), Some(0x8000 | 0x2000 | 0x0400 | 0x0200));
    assert_eq!(basic_constraints_ca(&ca), Some(true));
    assert_eq!(
        basic_constraints_ca(&fixture_cert("rsa2048.cert.pem")),
        Some(true)
    );
    assert_eq!(key_usage_bits(&fixture_cert("rsa2048.cert.pem")), None);
    // Forms DER forbids but peers send.
    assert_eq!(key_usage_from(&[0x03, 0x02, 0x00, 0xa0]), Some(0xa000)); // unused bits 0
    assert_eq!(
        key_usage_from(&[0x03, 0x03, 0x00, 0x80, 0x00]),
        Some(0x8000)
    ); // trailing octet
    assert_eq!(
        key_usage_from(&[0x03, 0x03, 0x07, 0x86, 0x80]),
        Some(0x8680)
    ); // decipherOnly
    assert_eq!(key_usage_from(&[0x03, 0x01, 0x00]), Some(0));
    assert_eq!(key_usage_from(&[0x03, 0x02, 0x08, 0x80]), None);
    assert_eq!(key_usage_from(&[0x04, 0x02, 0x00, 0x80]), None);
    assert_eq!(key_usage_from(&[0x03, 0x02, 0x00]), None);
    assert_eq!(basic_constraints_from(&[0x30, 0x00]), Some(false));
    assert_eq!(
        basic_constraints_from(&[0x30, 0x03, 0x01, 0x01, 0x00]),
        Some(false)
    );
    assert_eq!(
        basic_constraints_from(&[0x30, 0x03, 0x01, 0x01, 0xff]),
        Some(true)
    );
    assert_eq!(
        basic_constraints_from(&[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]),
        Some(true)
    );
    assert_eq!(
        basic_constraints_from(&[0x30, 0x03, 0x02, 0x01, 0x00]),
        Some(false)
    );
    assert_eq!(basic_constraints_from(&[0x31, 0x00]), None);
}
