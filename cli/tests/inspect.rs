//! The `inspect` example: it never panics on any file we have, exits 0 or 1, and its output
//! for a few inputs matches the snapshots in `tests/data/inspect/`.
//!
//! Snapshots are regenerated with `SCEP_UPDATE_SNAPSHOTS=1 cargo test -p scep-cli --all-features --test inspect`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scep"))
        .arg("inspect")
        .current_dir(root())
        .args(args)
        .output()
        .expect("run inspect")
}

/// Runs inspect on `path` (and with `--lint`), checking it exits 0 or 1 with the right output.
fn survives(path: &Path) {
    for extra in [&[][..], &["--lint", "--json"][..]] {
        let mut args: Vec<&str> = extra.to_vec();
        args.push(path.to_str().unwrap());
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => assert!(
                !out.stdout.is_empty(),
                "{}: exit 0 but no output",
                path.display()
            ),
            Some(1) => {
                let lines: Vec<&str> = stderr.lines().collect();
                assert_eq!(
                    lines.len(),
                    1,
                    "{}: exit 1 wants one line, got {stderr}",
                    path.display()
                );
                assert!(
                    lines[0].starts_with("inspect: "),
                    "{}: {stderr}",
                    path.display()
                );
            }
            other => panic!("{}: exit {other:?}\n{stderr}", path.display()),
        }
        assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_peer_capture() {
    let mut files = Vec::new();
    files_under(&root().join("tests/data/peers"), &mut files);
    assert!(files.len() > 10);
    for f in &files {
        survives(f);
    }
}

#[test]
fn every_vector() {
    let Some(dir) = std::env::var_os("SCEP_VECTORS") else {
        eprintln!("skipped: SCEP_VECTORS is not set (CI sets it to ../shared/vectors)");
        return;
    };
    let mut files = Vec::new();
    files_under(Path::new(&dir), &mut files);
    assert!(
        files.len() > 50,
        "{} files in {}",
        files.len(),
        Path::new(&dir).display()
    );
    for f in &files {
        survives(f);
    }
}

#[test]
fn garbage_and_usage() {
    let dir = std::env::temp_dir().join(format!("scep-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &[u8]); 6] = [
        ("empty", b""),
        ("zero", b"\0"),
        ("truncated", b"\x30\x82\x01"),
        ("deep", &[0x30, 0x80].repeat(200)),
        ("text", b"hello world, this is not SCEP"),
        ("query", b"/scep?operation=PKIOperation&message=%%%"),
    ];
    for (name, bytes) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = run(&[p.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run(&["--bogus", "x"]).status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["/nonexistent/file"]).status.code(), Some(2));
}

/// Compares with `tests/data/inspect/NAME`, or writes it when `SCEP_UPDATE_SNAPSHOTS=1`.
fn snapshot(name: &str, args: &[&str]) {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let path = root().join("tests/data/inspect").join(name);
    if std::env::var("SCEP_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (SCEP_UPDATE_SNAPSHOTS=1 writes it)",
            path.display()
        )
    });
    assert!(
        got == want,
        "inspect {args:?} differs from {}:\n--- got ---\n{got}",
        path.display()
    );
}

#[cfg(feature = "insecure-legacy")]
#[test]
fn snapshot_scepclient_pkcsreq_with_key() {
    snapshot(
        "scepclient-pkcsreq.key.txt",
        &[
            "--key",
            "tests/data/peers/micromdm-ca.key.pem",
            "tests/data/peers/scepclient-pkcsreq.der",
        ],
    );
}

#[test]
fn snapshot_certmonger_get() {
    snapshot(
        "certmonger-pkcsreq.get.txt",
        &[
            "--key",
            "tests/data/peers/micromdm-ca.key.pem",
            "--cert",
            "tests/data/peers/micromdm-ca.pem",
            "tests/data/peers/certmonger-pkcsreq.get.txt",
        ],
    );
}

#[test]
fn snapshot_failure_lint() {
    snapshot(
        "scepserver-certrep-failure.lint.txt",
        &["--lint", "tests/data/peers/scepserver-certrep-failure.der"],
    );
}

#[test]
fn snapshot_success_json() {
    snapshot(
        "scepserver-certrep-success.lint.json",
        &[
            "--lint",
            "--json",
            "--ca",
            "tests/data/peers/micromdm-ca.pem",
            "tests/data/peers/scepserver-certrep-success.der",
        ],
    );
}

#[test]
fn snapshot_getcacaps() {
    snapshot(
        "scepserver-getcacaps.lint.txt",
        &["--lint", "tests/data/peers/scepserver-getcacaps.txt"],
    );
}

#[test]
fn json_is_well_formed_enough() {
    let out = run(&[
        "--json",
        "--lint",
        "tests/data/peers/certmonger-pkcsreq.der",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with("{\n") && s.ends_with("}\n"), "{s}");
    let opens = s.matches(['{', '[']).count();
    let closes = s.matches(['}', ']']).count();
    assert_eq!(opens, closes);
    assert!(s.contains("\"kind\": \"pkiMessage\""), "{s}");
}

#[test]
fn challenge_is_hidden_unless_asked() {
    let args = [
        "--key",
        "tests/data/peers/micromdm-ca.key.pem",
        "tests/data/peers/certmonger-pkcsreq.der",
    ];
    let hidden = String::from_utf8(run(&args).stdout).unwrap();
    assert!(hidden.contains("challenge password: present"), "{hidden}");
    assert!(!hidden.contains("s3cret"), "{hidden}");
    let mut with = vec!["--show-secrets"];
    with.extend(args);
    let shown = String::from_utf8(run(&with).stdout).unwrap();
    assert!(shown.contains("\"s3cret\""), "{shown}");
}

/// The `Parsed` accessors the tool relies on.
#[test]
fn parsed_fail_info() {
    let bytes =
        std::fs::read(root().join("tests/data/peers/scepserver-certrep-failure.der")).unwrap();
    let p = scep::envelope::parse(&bytes, &scep::envelope::OpenOptions::DEFAULT).unwrap();
    assert_eq!(p.fail_info(), Some(scep::attr::FailInfo::BadRequest));
    assert_eq!(p.fail_info_text(), None);
}
