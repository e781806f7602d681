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
