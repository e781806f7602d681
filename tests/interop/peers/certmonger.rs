//! certmonger and its SCEP helper `scep-submit`, Debian package `certmonger`.

use core::fmt;
use core::time::Duration;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// certmonger

/// Quotes `s` for `/bin/sh`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", p.display()))
}

/// One certmonger enrolment; see [`certmonger_enroll_with`].
#[derive(Debug, Clone)]
pub struct CertmongerRequest<'a> {
    /// The SCEP URL.
    pub url: &'a str,
    /// The CA certificate (PEM); certmonger needs it to verify CertRep (`-N`).
    pub ca_cert: &'a Path,
    /// Working directory: key, certificate, certmonger's state and logs go here.
    pub dir: &'a Path,
    /// Requested subject, e.g. `CN=host.example`.
    pub subject: &'a str,
    /// Challenge password (`-L`).
    pub challenge: Option<&'a str>,
    /// Bound for the request phase and, separately, for waiting on PENDING.
    pub timeout: Duration,
    /// Force the content cipher: `AES256`, `AES192`, `AES128`, `DES3` or `DES`. Without it
    /// certmonger picks from GetCACaps: AES256, AES192, AES128, `AES` (as AES-256), DES3, DES; with
    /// no usable caps, AES-256.
    pub cipher: Option<&'a str>,
    /// Force the digest: `SHA512`, `SHA384`, `SHA256`, `SHA1` or `MD5`. Without it certmonger uses
    /// SHA-256 whatever the caps say.
    pub digest: Option<&'a str>,
}

/// Why certmonger did not deliver a certificate.
#[derive(Debug, Clone)]
pub struct CertmongerFailure {
    /// certmonger's final status for the request (`CA_REJECTED`, `CA_UNREACHABLE`,
    /// `NEED_GUIDANCE`, `CA_WORKING` when still pending, ...), or a description of where the
    /// harness gave up.
    pub status: String,
    /// certmonger's `ca-error` line, when it has one.
    pub ca_error: Option<String>,
    /// The working directory; certmonger's state, its debug log (`certmonger/certmonger.err`) and
    /// the last `getcert list` (`certmonger/final.out`) are under `certmonger/`.
    pub dir: PathBuf,
}

impl fmt::Display for CertmongerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certmonger status {}", self.status)?;
        if let Some(e) = &self.ca_error {
            write!(f, ": {e}")?;
        }
        write!(f, " (see {})", self.dir.display())
    }
}

/// Enrols with certmonger; the certificate's path, or `"<status>: <ca-error>"`. See
/// [`certmonger_enroll_with`].
pub fn certmonger_enroll(
    url: &str,
    ca_cert_pem_path: &Path,
    dir: &Path,
    subject: &str,
    challenge: Option<&str>,
    timeout: Duration,
) -> Result<PathBuf, String> {
    certmonger_enroll_with(&CertmongerRequest {
        url,
        ca_cert: ca_cert_pem_path,
        dir,
        subject,
        challenge,
        timeout,
        cipher: None,
        digest: None,
    })
    .map_err(|e| e.to_string())
}

/// Enrols with a private certmonger daemon whose whole state lives in `req.dir`:
///
/// `certmonger -L -P DIR/sock -n -d 2 -c DIR/run.sh` with `CERTMONGER_{REQUESTS,CAS,LOCAL_CA,
/// CONFIG}_DIR`, `CERTMONGER_TMPDIR` and `CERTMONGER_SYSTEM_LOCK_FILE` inside `DIR` (a private
/// listening socket: no D-Bus needed). `run.sh` runs `getcert add-scep-ca -c scep-test -u URL -N
/// CA` (or, to force cipher/digest, the CA entry is written beforehand with `scep_cipher=` /
/// `scep_digest=`), then `getcert request -c scep-test -I scep-test -k DIR/key.pem -f
/// DIR/cert.pem -N SUBJECT [-L CHALLENGE] -w --wait-timeout T`, then polls `getcert list -i
/// scep-test` once a second until a final status, running `getcert refresh` while the CA says
/// PENDING (certmonger itself would wait much longer; a refresh re-sends a PKCSReq with the same
/// transactionID and a fresh nonce). certmonger sends every PKIOperation as GET.
///
/// Takes about a second against a working server on loopback.
pub fn certmonger_enroll_with(req: &CertmongerRequest<'_>) -> Result<PathBuf, CertmongerFailure> {
    let fail = |status: String| CertmongerFailure {
        status,
        ca_error: None,
        dir: req.dir.to_owned(),
    };
    let dir = req.dir;
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let state = dir.join("certmonger");
    let dirs = ["requests", "cas", "local", "tmp", "config"];
    for d in dirs {
        fs::create_dir_all(state.join(d)).map_err(|e| fail(format!("harness: {e}")))?;
    }
    let secs = req.timeout.as_secs().max(5);
    let getcert = find_peer("getcert").unwrap_or_else(|| PathBuf::from("getcert"));
    let getcert = sh_quote(path_str(&getcert).map_err(fail)?);
    let url = req.url;
    let ca = path_str(req.ca_cert).map_err(fail)?;

    let add_ca = if req.cipher.is_some() || req.digest.is_some() {
        // certmonger splits the helper command line on white space.
        if url.contains(char::is_whitespace) || ca.contains(char::is_whitespace) {
            return Err(fail(
                "harness: URL and CA path must not contain spaces".into(),
            ));
        }
        let mut entry = format!(
            "id={CERTMONGER_CA_NAME}\nca_is_default=0\nca_type=EXTERNAL\n\
             ca_external_helper={SCEP_SUBMIT} -u {url} -N {ca}\n"
        );
        if let Some(c) = req.cipher {
            entry.push_str(&format!("scep_cipher={c}\n"));
        }
        if let Some(d) = req.digest {
            entry.push_str(&format!("scep_digest={d}\n"));
        }
        fs::write(state.join("cas").join(CERTMONGER_CA_NAME), entry)
            .map_err(|e| fail(format!("harness: {e}")))?;
        String::from("true")
    } else {
        format!(
            "{getcert} add-scep-ca -c {CERTMONGER_CA_NAME} -u {} -N {}",
            sh_quote(url),
            sh_quote(ca)
        )
    };
    let challenge = req
        .challenge
        .map(|c| format!(" -L {}", sh_quote(c)))
        .unwrap_or_default();
    let out = |name: &str| sh_quote(&state.join(name).to_string_lossy());
    let script = format!(
        "#!/bin/sh\n\
         # Written by tests/interop/peers.rs; runs inside `certmonger -c`.\n\
         {add_ca} > {add_out} 2>&1 || {{ echo \"status: HARNESS_ADD_CA_FAILED\" > {final_out}; exit 0; }}\n\
         {getcert} request -c {CERTMONGER_CA_NAME} -I {CERTMONGER_CA_NAME} -k {key} -f {cert} -N {subject}{challenge} -w --wait-timeout {secs} > {req_out} 2>&1\n\
         echo $? > {req_rc}\n\
         i=0\n\
         while [ $i -lt {secs} ]; do\n\
         \x20 {getcert} list -i {CERTMONGER_CA_NAME} > {list_out} 2>&1\n\
         \x20 st=$(sed -n 's/^[[:space:]]*status: //p' {list_out})\n\
         \x20 case \"$st\" in\n\
         \x20   MONITORING|CA_REJECTED|CA_UNREACHABLE|CA_UNCONFIGURED|NEED_GUIDANCE) break ;;\n\
         \x20   CA_WORKING) [ $((i % 2)) -eq 1 ] && {getcert} refresh -i {CERTMONGER_CA_NAME} > /dev/null 2>&1 ;;\n\
         \x20 esac\n\
         \x20 if grep -q 'stuck: yes' {list_out}; then break; fi\n\
         \x20 i=$((i + 1))\n\
         \x20 sleep 1\n\
         done\n\
         cp {list_out} {final_out}\n",
        add_out = out("add-ca.out"),
        final_out = out("final.out"),
        req_out = out("request.out"),
        req_rc = out("request.rc"),
        list_out = out("list.out"),
        key = sh_quote(path_str(&key).map_err(fail)?),
        cert = sh_quote(path_str(&cert).map_err(fail)?),
        subject = sh_quote(req.subject),
    );
    let script_path = state.join("run.sh");
    fs::write(&script_path, script).map_err(|e| fail(format!("harness: {e}")))?;
    fs::set_permissions(&script_path, fs::Permissions::from_mode(0o755))
        .map_err(|e| fail(format!("harness: {e}")))?;

    let mut cmd = peer_command("certmonger");
    cmd.arg("-L")
        .arg("-P")
        .arg(state.join("sock"))
        .args(["-n", "-d", "2", "-c"])
        .arg(&script_path)
        .env("CERTMONGER_REQUESTS_DIR", state.join("requests"))
        .env("CERTMONGER_CAS_DIR", state.join("cas"))
        .env("CERTMONGER_LOCAL_CA_DIR", state.join("local"))
        .env("CERTMONGER_TMPDIR", state.join("tmp"))
        .env("CERTMONGER_CONFIG_DIR", state.join("config"))
        .env("CERTMONGER_SYSTEM_LOCK_FILE", state.join("lock"));
    // The request phase and the polling phase are each bounded by `secs`; add slack for start-up.
    let bound = Duration::from_secs(2 * secs + 15);
    let run = run_bounded("certmonger", &mut cmd, &state.join("certmonger"), bound)
        .map_err(|e| fail(format!("harness: {e}")))?;
    let listing = read_lossy(&state.join("final.out"));
    let field = |name: &str| {
        listing.lines().find_map(|l| {
            l.trim_start()
                .strip_prefix(name)
                .and_then(|v| v.strip_prefix(':'))
                .map(|v| v.trim().to_owned())
        })
    };
    let status = field("status");
    let ca_error = field("ca-error");
    if status.as_deref() == Some("MONITORING") && fs::metadata(&cert).is_ok_and(|m| m.len() > 0) {
        return Ok(cert);
    }
    let status = status.unwrap_or_else(|| match run.status {
        None => format!("HARNESS_TIMEOUT after {bound:?}"),
        Some(s) => format!("HARNESS_NO_STATUS (certmonger exited {s})"),
    });
    Err(CertmongerFailure {
        status,
        ca_error,
        dir: dir.to_owned(),
    })
}

/// Runs certmonger's helper `scep-submit -u URL ARGS...` directly (no daemon) and returns its
/// stdout; `-c` prints GetCACaps, `-C` prints the RA, CA and other certificates (PEM).
pub fn scep_submit(url: &str, args: &[&str], log_dir: &Path) -> Result<String, String> {
    let out = run_bounded(
        "scep-submit",
        peer_command(SCEP_SUBMIT).args(["-u", url]).args(args),
        &log_dir.join("scep-submit"),
        Duration::from_secs(30),
    )
    .map_err(|e| e.to_string())?;
    match out.status {
        Some(s) if s.success() => Ok(out.stdout),
        other => Err(format!(
            "scep-submit {args:?} ended with {other:?}: {}{}",
            out.stdout, out.stderr
        )),
    }
}
