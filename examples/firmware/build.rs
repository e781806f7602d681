//! Hands `memory.x` to cortex-m-rt's `link.x` wherever cargo is run from (a `.cargo/config.toml`
//! here would be ignored when building with `--manifest-path` from the repository root), and
//! writes the device's provisioning record into `OUT_DIR`, where `src/main.rs` includes it:
//!
//! | variable | what | default |
//! |---|---|---|
//! | `SCEP_FW_DEVICE_KEY` | the secure element's key (RSA; P-256 with the `p256` feature), PKCS #8, PEM or DER | `tests/data/client2048.pkcs8.pem` (`p256.pkcs8.pem`) |
//! | `SCEP_FW_DEVICE_CERT` | its self-signed certificate, PEM or DER | `tests/data/client2048.cert.pem` (`p256.cert.pem`) |
//! | `SCEP_FW_CA_SHA256` | SHA-256 fingerprint of the CA certificate to trust, hex (colons allowed) | `tests/data/ra2048.cert.pem`'s |
//! | `SCEP_FW_CHALLENGE` | the challenge password | `s3cret` |
//! | `SCEP_FW_SEED` | 32 bytes of hex seeding the random generator (the emulator has no TRNG) | a fixed value |
//! | `SCEP_FW_HEAP_BYTES` | the heap arena (tests make it too small on purpose) | 32768, the budget |
//!
//! `examples/firmware/run.sh` generates a fresh key, certificate and seed for every run; they are
//! files under a temporary directory, never in the repository.

use std::path::{Path, PathBuf};

/// `openssl x509 -noout -fingerprint -sha256 -in tests/data/ra2048.cert.pem`.
const DEFAULT_CA_SHA256: &str = "86:5D:52:B7:0D:29:0E:CE:63:08:71:EB:70:E6:74:91:\
                                 4E:1F:D5:A4:26:64:FA:DE:92:A0:ED:78:54:D5:D4:FF";
const DEFAULT_SEED: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let repo = manifest.join("../..");
    std::fs::write(out.join("memory.x"), include_bytes!("memory.x"))
        .expect("write memory.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("TARGET").is_ok_and(|t| t.starts_with("thumb")) {
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }

    let device = if std::env::var_os("CARGO_FEATURE_P256").is_some() {
        "p256"
    } else {
        "client2048"
    };
    let key = der_file(
        "SCEP_FW_DEVICE_KEY",
        &repo.join(format!("tests/data/{device}.pkcs8.pem")),
    );
    let cert = der_file(
        "SCEP_FW_DEVICE_CERT",
        &repo.join(format!("tests/data/{device}.cert.pem")),
    );
    std::fs::write(out.join("device.key.der"), key).expect("write the key");
    std::fs::write(out.join("device.cert.der"), cert).expect("write the certificate");

    let ca = hex_var("SCEP_FW_CA_SHA256", DEFAULT_CA_SHA256, 32);
    std::fs::write(out.join("ca.sha256"), ca).expect("write the fingerprint");
    let seed = hex_var("SCEP_FW_SEED", DEFAULT_SEED, 32);
    std::fs::write(out.join("seed.bin"), seed).expect("write the seed");

    println!("cargo:rerun-if-env-changed=SCEP_FW_HEAP_BYTES");
    let heap: usize = std::env::var("SCEP_FW_HEAP_BYTES").map_or(32 * 1024, |v| {
        v.parse().expect("SCEP_FW_HEAP_BYTES: a number")
    });
    std::fs::write(
        out.join("heap.rs"),
        format!("/// The heap budget, and the arena's size.\npub const ARENA: usize = {heap};\n"),
    )
    .expect("write heap.rs");

    println!("cargo:rerun-if-env-changed=SCEP_FW_CHALLENGE");
    let challenge = std::env::var("SCEP_FW_CHALLENGE").unwrap_or_else(|_| "s3cret".into());
    std::fs::write(out.join("challenge.txt"), challenge).expect("write the challenge");
}

/// The file named by `var` (or `default`), as DER: PEM is decoded, DER passed through.
fn der_file(var: &str, default: &Path) -> Vec<u8> {
    println!("cargo:rerun-if-env-changed={var}");
    let path = std::env::var_os(var).map_or_else(|| default.to_path_buf(), PathBuf::from);
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{var}: {}: {e}", path.display()));
    if bytes.first() == Some(&0x30) {
        return bytes;
    }
    let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{var}: neither DER nor PEM"));
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN "))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END "))
        .collect();
    base64(&body).unwrap_or_else(|| panic!("{var}: bad PEM"))
}

fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn hex_var(var: &str, default: &str, len: usize) -> Vec<u8> {
    println!("cargo:rerun-if-env-changed={var}");
    let text = std::env::var(var).unwrap_or_else(|_| default.into());
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| (c as char).to_digit(16).map_or(0, |d| d as u8))
        .collect();
    assert!(digits.len() == 2 * len, "{var}: want {len} bytes of hex");
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}
