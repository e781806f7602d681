//! micromdm's `scepserver` (a CA to test our client against) and `scepclient` (a client to
//! test our server against), Debian package `scep`.

use core::fmt;
use core::time::Duration;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// micromdm scepserver

/// Creates a CA in `depot` with `scepserver ca -init` unless `depot/ca.pem` exists. RSA 2048
/// (the default 4096 takes seconds); the key is stored encrypted under the empty password.
pub fn micromdm_init_ca(depot: &Path) -> Result<(), String> {
    if depot.join("ca.pem").is_file() {
        return Ok(());
    }
    fs::create_dir_all(depot).map_err(|e| format!("create {}: {e}", depot.display()))?;
    let out = run_bounded(
        "scepserver ca -init",
        peer_command("scepserver")
            .args(["ca", "-init", "-depot"])
            .arg(depot)
            .args(["-keySize", "2048", "-organization", "scep interop"]),
        &depot.join("ca-init"),
        Duration::from_secs(60),
    )
    .map_err(|e| e.to_string())?;
    if out.status.is_some_and(|s| s.success()) && depot.join("ca.pem").is_file() {
        Ok(())
    } else {
        Err(format!(
            "scepserver ca -init failed ({:?}): {}{}",
            out.status, out.stdout, out.stderr
        ))
    }
}

/// A running `scepserver` on 127.0.0.1 (it binds every interface; we only ever talk to
/// loopback). Killed on drop.
#[derive(Debug)]
pub struct MicromdmServer {
    child: ChildGuard,
    port: u16,
    depot: PathBuf,
    log: PathBuf,
}

impl MicromdmServer {
    /// [`MicromdmServer::try_start`], panicking on failure.
    #[allow(
        clippy::panic,
        reason = "test support: a server that cannot start fails the test"
    )]
    pub fn start(depot: &Path, challenge: Option<&str>, allow_renew_days: u32) -> MicromdmServer {
        Self::try_start(depot, challenge, allow_renew_days)
            .unwrap_or_else(|e| panic!("scepserver did not start: {e}"))
    }

    /// Initialises the CA in `depot` if needed and serves it on a free port:
    /// `scepserver -depot DEPOT -port PORT -allowrenew DAYS -crtvalid 30 -debug [-challenge C]`.
    /// `allow_renew_days` 0 allows renewal (and re-enrolment of a subject) at any time; with N,
    /// a request for a subject that already has a certificate is refused (badRequest) until N
    /// days before that certificate expires. Logs go to `DEPOT/scepserver-PORT.log`.
    pub fn try_start(
        depot: &Path,
        challenge: Option<&str>,
        allow_renew_days: u32,
    ) -> Result<MicromdmServer, String> {
        micromdm_init_ca(depot)?;
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = depot.join(format!("scepserver-{port}.log"));
            let log_file = fs::File::create(&log).map_err(|e| e.to_string())?;
            let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
            let mut cmd = peer_command("scepserver");
            cmd.arg("-depot")
                .arg(depot)
                .args(["-port", &port.to_string()])
                .args(["-allowrenew", &allow_renew_days.to_string()])
                .args(["-crtvalid", &MICROMDM_CERT_DAYS.to_string()])
                .arg("-debug")
                .stdin(Stdio::null())
                .stdout(log_file)
                .stderr(log_err);
            if let Some(c) = challenge {
                cmd.args(["-challenge", c]);
            }
            let mut child = ChildGuard::spawn("scepserver", &mut cmd).map_err(|e| e.to_string())?;
            let url = format!("http://127.0.0.1:{port}/scep");
            let ready =
                wait_for_http_while(&url, SERVER_START_TIMEOUT, || match child.try_wait() {
                    Ok(None) => Ok(()),
                    Ok(Some(status)) => Err(format!("scepserver exited: {status}")),
                    Err(e) => Err(e.to_string()),
                });
            match ready {
                Ok(()) => {
                    return Ok(MicromdmServer {
                        child,
                        port,
                        depot: depot.to_owned(),
                        log,
                    });
                }
                // Most likely the port was taken in the meantime: try another one.
                Err(e) => last_error = format!("{e}; log: {}", read_lossy(&log)),
            }
        }
        Err(last_error)
    }

    /// `http://127.0.0.1:PORT/scep`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The depot directory.
    pub fn depot(&self) -> &Path {
        &self.depot
    }

    /// `DEPOT/ca.pem`: the CA certificate, which is also the RA certificate.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.depot.join("ca.pem")
    }

    /// Writes the CA key unencrypted (PKCS#8 PEM) to `DEPOT/ca.plain.key.pem` with
    /// `openssl pkey -passin pass:` and returns the path; needs the `openssl` program.
    pub fn ca_key_pem(&self) -> Result<PathBuf, String> {
        let out_path = self.depot.join("ca.plain.key.pem");
        let out = run_bounded(
            "openssl pkey",
            peer_command("openssl")
                .arg("pkey")
                .arg("-in")
                .arg(self.depot.join("ca.key"))
                .args(["-passin", "pass:", "-out"])
                .arg(&out_path),
            &self.depot.join("openssl-pkey"),
            Duration::from_secs(20),
        )
        .map_err(|e| e.to_string())?;
        if out.status.is_some_and(|s| s.success()) {
            Ok(out_path)
        } else {
            Err(format!("openssl pkey failed: {}", out.stderr))
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }
}

// ---------------------------------------------------------------------------------------------
// micromdm scepclient

/// Files of a successful `scepclient` run, all in the run's directory.
#[derive(Debug, Clone)]
pub struct ScepclientFiles {
    /// `key.pem`: PKCS#1 RSA key (created by the first run).
    pub key: PathBuf,
    /// `cert.pem`: the issued certificate (only that one, PEM).
    pub cert: PathBuf,
    /// `csr.pem`: the CSR. scepclient writes it once and re-sends it on every later run, so
    /// `-cn` and `-challenge` of later runs are ignored.
    pub csr: PathBuf,
    /// `cert.previous.pem`: the certificate a renewal replaced.
    pub previous_cert: Option<PathBuf>,
    /// What the run printed.
    pub output: RunOutput,
}

/// A peer run that did not produce a certificate.
#[derive(Debug, Clone)]
pub struct PeerFailure {
    /// Which program.
    pub peer: &'static str,
    /// Exit code; `None` when it was killed at the timeout or never started.
    pub exit_code: Option<i32>,
    /// Why, in one line: the program's own message where there is one.
    pub message: String,
    /// Everything it printed.
    pub output: Option<RunOutput>,
}

impl PeerFailure {
    fn new(peer: &'static str, message: impl Into<String>) -> PeerFailure {
        PeerFailure {
            peer,
            exit_code: None,
            message: message.into(),
            output: None,
        }
    }

    /// The failInfo name scepclient printed (`"badRequest"` from
    /// `PKCSReq (19) request failed, failInfo: badRequest (2)`).
    pub fn fail_info(&self) -> Option<&str> {
        let rest = self.message.split("failInfo: ").nth(1)?;
        rest.split_whitespace().next()
    }
}

impl fmt::Display for PeerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.peer)?;
        if let Some(code) = self.exit_code {
            write!(f, " (exit {code})")?;
        }
        write!(f, ": {}", self.message)
    }
}

pub fn scepclient_run(
    url: &str,
    dir: &Path,
    cn: &str,
    challenge: Option<&str>,
    previous_cert: Option<PathBuf>,
) -> Result<ScepclientFiles, PeerFailure> {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let mut cmd = peer_command("scepclient");
    cmd.args(["-server-url", url, "-private-key"])
        .arg(&key)
        .arg("-certificate")
        .arg(&cert)
        .args(["-cn", cn, "-keySize", "2048", "-debug"]);
    if let Some(c) = challenge {
        cmd.args(["-challenge", c]);
    }
    let stem = dir.join(if previous_cert.is_some() {
        "scepclient-renew"
    } else {
        "scepclient-enroll"
    });
    let output = run_bounded("scepclient", &mut cmd, &stem, SCEPCLIENT_TIMEOUT)
        .map_err(|e| PeerFailure::new("scepclient", e.to_string()))?;
    let Some(status) = output.status else {
        return Err(PeerFailure {
            peer: "scepclient",
            exit_code: None,
            message: format!("no result within {SCEPCLIENT_TIMEOUT:?} (a PENDING loop?)"),
            output: Some(output),
        });
    };
    if !status.success() {
        // It prints its failure (e.g. the failInfo) on stdout and logs on stderr.
        let message = match output.stdout.trim() {
            "" => output
                .stderr
                .lines()
                .last()
                .unwrap_or("no output")
                .to_owned(),
            text => text.to_owned(),
        };
        return Err(PeerFailure {
            peer: "scepclient",
            exit_code: status.code(),
            message,
            output: Some(output),
        });
    }
    Ok(ScepclientFiles {
        key,
        cert,
        csr: dir.join("csr.pem"),
        previous_cert,
        output,
    })
}

/// Enrols with `scepclient` against `url` (PKCSReq), keeping `key.pem`, `csr.pem` and
/// `cert.pem` in `dir`; the key is created if `dir` has none. Fails if `dir` already holds a
/// `cert.pem` (scepclient would send a RenewalReq: use [`micromdm_client_renew`]).
///
/// scepclient always signs with SHA-1 and encrypts with single DES, POSTs when the caps say
/// `POSTPKIOperation` (else a GET with base64url), and on PENDING sleeps 30 s and re-sends the
/// identical message; exit code 1 with `... failInfo: NAME (N)` on stdout on FAILURE.
pub fn micromdm_client_enroll(
    url: &str,
    dir: &Path,
    cn: &str,
    challenge: Option<&str>,
) -> Result<ScepclientFiles, PeerFailure> {
    fs::create_dir_all(dir).map_err(|e| PeerFailure::new("scepclient", e.to_string()))?;
    if dir.join("cert.pem").exists() {
        return Err(PeerFailure::new(
            "scepclient",
            format!(
                "{} already has cert.pem; that would be a renewal",
                dir.display()
            ),
        ));
    }
    scepclient_run(url, dir, cn, challenge, None)
}

/// Renews with `scepclient` (RenewalReq signed by `dir/cert.pem`, same key, same `csr.pem`).
/// The old certificate is kept as `cert.previous.pem`.
pub fn micromdm_client_renew(
    url: &str,
    dir: &Path,
    cn: &str,
    challenge: Option<&str>,
) -> Result<ScepclientFiles, PeerFailure> {
    let cert = dir.join("cert.pem");
    let previous = dir.join("cert.previous.pem");
    fs::copy(&cert, &previous).map_err(|e| {
        PeerFailure::new(
            "scepclient",
            format!("no certificate to renew in {}: {e}", cert.display()),
        )
    })?;
    scepclient_run(url, dir, cn, challenge, Some(previous))
}
