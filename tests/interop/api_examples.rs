//! The short API examples: `examples/enroll` (a client over `ureq`) enrolls against
//! `examples/async_server` (a CA in a hyper handler); a wrong challenge is refused. `cargo test`
//! builds both into `target/<profile>/examples/` before the tests run.

use core::time::Duration;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::peers::{ChildGuard, free_port, wait_for_http};

fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is not built (cargo test builds it)",
            path.display()
        );
        None
    }
}

#[test]
fn enroll_example_against_async_server_example() {
    let (Some(server), Some(client)) = (example("async_server"), example("enroll")) else {
        return;
    };
    let port = free_port();
    let mut cmd = Command::new(server);
    cmd.args([&format!("127.0.0.1:{port}"), "s3cret"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _server = ChildGuard::spawn("async_server example", &mut cmd).unwrap();
    let url = format!("http://127.0.0.1:{port}/scep");
    wait_for_http(&url, Duration::from_secs(30)).unwrap();
    let out = Command::new(&client)
        .args([&url, "s3cret"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let pem = String::from_utf8(out.stdout).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let cert = scep::Certificate::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(cert.subject().to_string(), "CN=example device");
    let out = Command::new(&client)
        .args([&url, "wrong"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("badRequest"));
}
