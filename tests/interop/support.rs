//! Shared helpers: where the vectors are, OpenSSL at test time, randomness.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The operating system's generator, as the crate's tests and examples use it.
pub fn rng() -> getrandom::SysRng {
    getrandom::SysRng
}

/// `../shared/vectors` as named by `SCEP_VECTORS`; `None` (and a printed reason) when unset.
pub fn vectors() -> Option<PathBuf> {
    match std::env::var_os("SCEP_VECTORS") {
        Some(p) if Path::new(&p).is_dir() => Some(PathBuf::from(p)),
        Some(p) => panic!(
            "SCEP_VECTORS={} is not a directory",
            Path::new(&p).display()
        ),
        None => {
            eprintln!("skipped: SCEP_VECTORS is not set (CI sets it to ../shared/vectors)");
            None
        }
    }
}

pub fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Whether `openssl` runs; panics when it must (`SCEP_REQUIRE_PEERS=1`), else prints a reason.
pub fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("SCEP_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("openssl is required (SCEP_REQUIRE_PEERS=1) but does not run");
        }
        eprintln!("skipped: openssl not found");
    }
    ok
}

/// Runs openssl with `args`, panicking with its stderr on failure; returns stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("scep-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn s(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A provider under test and its software key holder: the flow and round-trip tests run once
/// per `Backend` (see `per_provider!`).
pub trait Backend {
    /// The software key holder that goes with the provider.
    type Key: scep::crypto::Signer + scep::crypto::Decryptor + Clone + std::fmt::Debug;
    /// The provider.
    const PROVIDER: scep::crypto::CryptoProvider;
    /// Loads a RustCrypto key into this backend's key holder.
    fn from_rsa_key(key: scep::provider::rustcrypto::RsaKey) -> Self::Key;
    /// The same key holder, signing with `alg`.
    fn with_signature_algorithm(key: Self::Key, alg: scep::crypto::SignatureAlgorithm)
    -> Self::Key;
    /// The same private key with another certificate.
    fn with_certificate(key: &Self::Key, cert: scep::Certificate) -> Self::Key;
    /// The software EC key holder that goes with the provider.
    #[cfg(all(feature = "p256", feature = "p384"))]
    type EcKey: scep::crypto::Signer + scep::crypto::Decryptor + Clone + std::fmt::Debug;
    /// Loads a RustCrypto EC key into this backend's EC key holder.
    #[cfg(all(feature = "p256", feature = "p384"))]
    fn from_ec_key(key: scep::provider::rustcrypto::EcKey) -> Self::EcKey;
}

/// `provider::rustcrypto`.
pub struct RustCrypto;

impl Backend for RustCrypto {
    type Key = scep::provider::rustcrypto::RsaKey;
    const PROVIDER: scep::crypto::CryptoProvider = scep::provider::rustcrypto::PROVIDER;
    fn from_rsa_key(key: scep::provider::rustcrypto::RsaKey) -> Self::Key {
        key
    }
    fn with_signature_algorithm(
        key: Self::Key,
        alg: scep::crypto::SignatureAlgorithm,
    ) -> Self::Key {
        key.with_signature_algorithm(alg)
    }
    fn with_certificate(key: &Self::Key, cert: scep::Certificate) -> Self::Key {
        Self::Key::new(key.private_key().clone(), cert).unwrap()
    }
    #[cfg(all(feature = "p256", feature = "p384"))]
    type EcKey = scep::provider::rustcrypto::EcKey;
    #[cfg(all(feature = "p256", feature = "p384"))]
    fn from_ec_key(key: scep::provider::rustcrypto::EcKey) -> Self::EcKey {
        key
    }
}

/// `provider::aws_lc`.
#[cfg(feature = "aws-lc-rs")]
pub struct AwsLc;

#[cfg(feature = "aws-lc-rs")]
impl Backend for AwsLc {
    type Key = scep::provider::aws_lc::AwsLcRsaKey;
    const PROVIDER: scep::crypto::CryptoProvider = scep::provider::aws_lc::PROVIDER;
    fn from_rsa_key(key: scep::provider::rustcrypto::RsaKey) -> Self::Key {
        Self::Key::new(key).unwrap()
    }
    fn with_signature_algorithm(
        key: Self::Key,
        alg: scep::crypto::SignatureAlgorithm,
    ) -> Self::Key {
        key.with_signature_algorithm(alg)
    }
    fn with_certificate(key: &Self::Key, cert: scep::Certificate) -> Self::Key {
        let sw = scep::provider::rustcrypto::RsaKey::new(key.rsa_key().private_key().clone(), cert)
            .unwrap();
        Self::Key::new(sw).unwrap()
    }
    #[cfg(all(feature = "p256", feature = "p384"))]
    type EcKey = scep::provider::aws_lc::AwsLcEcKey;
    #[cfg(all(feature = "p256", feature = "p384"))]
    fn from_ec_key(key: scep::provider::rustcrypto::EcKey) -> Self::EcKey {
        Self::EcKey::new(key).unwrap()
    }
}

/// The certificate of any key holder (`Signer` and `Decryptor` both have `certificate()`).
pub trait Cert {
    fn cert(&self) -> &scep::Certificate;
}

impl<T: scep::crypto::Signer> Cert for T {
    fn cert(&self) -> &scep::Certificate {
        scep::crypto::Signer::certificate(self)
    }
}

/// Declares, in the module where it is used, one `#[test]` per generic test function and per
/// backend: `mod rustcrypto { ... }` always, `mod aws_lc { ... }` with the `aws-lc-rs` feature.
/// Each calls `super::<name>::<Backend>()`.
#[macro_export]
macro_rules! per_provider {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        mod rustcrypto {
            $( $(#[$attr])* #[test] fn $name() { super::$name::<$crate::support::RustCrypto>() } )*
        }
        #[cfg(feature = "aws-lc-rs")]
        mod aws_lc {
            $( $(#[$attr])* #[test] fn $name() { super::$name::<$crate::support::AwsLc>() } )*
        }
    };
}

/// The current time, for the validity checks of `Client::handle` and `PkiRequest::signer_kind`.
pub fn now() -> scep::trust::UnixTime {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    scep::trust::UnixTime::since_epoch(since)
}
