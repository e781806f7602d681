//! Driving the Debian SCEP peers on loopback: micromdm's `scepserver` and `scepclient` (package
//! `scep`) and certmonger (package `certmonger`).
//!
//! std only, no crates. Every process started here is owned by a [`ChildGuard`] and killed when
//! the guard drops; every wait is bounded in time and in iterations; every file lives in a
//! [`TempDir`]. Nothing touches `/var/lib/certmonger` or any system configuration.
//!
//! What the peers do on the wire, with captures, is in `tests/data/NOTES.md`; the command lines
//! here are the ones verified there.

use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;
use std::env;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Set to `1` (CI does) to turn a missing peer into a test failure instead of a skip.
pub const REQUIRE_PEERS_ENV: &str = "SCEP_REQUIRE_PEERS";
/// Set to anything to keep temporary directories (their paths are printed) for a post-mortem.
pub const KEEP_TEMP_ENV: &str = "SCEP_KEEP_TEMP";
/// certmonger's SCEP helper; it is not on `PATH`.
pub const SCEP_SUBMIT: &str = "/usr/lib/certmonger/scep-submit";
/// Upper bound for one `scepclient` run. On PENDING it sleeps 30 s and re-sends the same
/// PKCSReq, so this allows one PENDING round.
pub const SCEPCLIENT_TIMEOUT: Duration = Duration::from_secs(75);
/// Upper bound for a server to start answering GetCACert.
pub const SERVER_START_TIMEOUT: Duration = Duration::from_secs(15);
/// Validity `scepserver` gives the certificates it issues (`-crtvalid`), in days.
pub const MICROMDM_CERT_DAYS: u32 = 30;

const POLL_INTERVAL: Duration = Duration::from_millis(25);
const MAX_HTTP_RESPONSE: usize = 16 << 20;
const CERTMONGER_CA_NAME: &str = "scep-test";

// ---------------------------------------------------------------------------------------------
// Finding peers

/// Directories searched after `PATH`: Debian puts `certmonger` in `/usr/sbin`, which is not on a
/// normal user's `PATH`.
const EXTRA_BIN_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where `bin` is: a path containing `/` is taken as is, a bare name is looked up on `PATH` and
/// then in `/usr/sbin` and `/sbin`.
pub fn find_peer(bin: &str) -> Option<PathBuf> {
    if bin.contains('/') {
        let path = PathBuf::from(bin);
        return is_executable(&path).then_some(path);
    }
    let path_var = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path_var)
        .chain(EXTRA_BIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(bin))
        .find(|candidate| is_executable(candidate))
}

/// Whether the peer program `bin` (a name, or an absolute path such as [`SCEP_SUBMIT`]) exists.
pub fn peer_available(bin: &str) -> bool {
    find_peer(bin).is_some()
}

/// `true` when `bin` is installed. When it is not: panics if `SCEP_REQUIRE_PEERS=1`, otherwise
/// prints `skipped: <reason>` and returns `false`, so the caller returns early.
#[allow(
    clippy::panic,
    reason = "a missing peer must fail the test when CI requires peers"
)]
pub fn require_peer(bin: &str) -> bool {
    if peer_available(bin) {
        return true;
    }
    let reason = format!("`{bin}` is not installed (Debian packages `scep` and `certmonger`)");
    if env::var(REQUIRE_PEERS_ENV).is_ok_and(|v| v == "1") {
        panic!("{reason}, and {REQUIRE_PEERS_ENV}=1");
    }
    println!("skipped: {reason}");
    false
}

/// [`require_peer`] for several programs; stops at the first missing one.
pub fn require_peers(bins: &[&str]) -> bool {
    bins.iter().all(|bin| require_peer(bin))
}

/// The programs [`MicromdmServer`] and the `micromdm_client_*` functions run.
pub const MICROMDM_PEERS: [&str; 2] = ["scepserver", "scepclient"];
/// The programs [`certmonger_enroll`] runs.
pub const CERTMONGER_PEERS: [&str; 3] = ["certmonger", "getcert", SCEP_SUBMIT];

fn peer_command(bin: &str) -> Command {
    Command::new(find_peer(bin).unwrap_or_else(|| PathBuf::from(bin)))
}

// ---------------------------------------------------------------------------------------------
// Ports, temporary directories, child processes

/// A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it). Another process can
/// take it before the caller binds it; [`MicromdmServer`] retries for that reason.
#[allow(
    clippy::panic,
    reason = "test support: no free port is a broken test machine"
)]
pub fn free_port() -> u16 {
    match TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("cannot bind 127.0.0.1:0: {e}"),
    }
}

/// A fresh directory under the system temporary directory, removed with its contents on drop
/// (kept, with its path printed, when `SCEP_KEEP_TEMP` is set).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

impl TempDir {
    /// Creates `$TMPDIR/scep-<label>-<pid>-<n>`; panics if that fails.
    #[allow(
        clippy::panic,
        reason = "test support: no temporary directory is a broken machine"
    )]
    pub fn new(label: &str) -> TempDir {
        Self::try_new(label).unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"))
    }

    /// Creates `$TMPDIR/scep-<label>-<pid>-<n>`.
    pub fn try_new(label: &str) -> io::Result<TempDir> {
        let label: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(24)
            .collect();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut last_error = io::Error::other("no attempt made");
        for _ in 0..16 {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("scep-{label}-{}-{n}-{nanos:x}", std::process::id());
            let path = env::temp_dir().join(name);
            match fs::create_dir(&path) {
                Ok(()) => {
                    let keep = env::var_os(KEEP_TEMP_ENV).is_some();
                    return Ok(TempDir { path, keep });
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `self.path().join(name)`.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// Keeps the directory after drop and returns its path.
    pub fn keep(mut self) -> PathBuf {
        self.keep = true;
        self.path.clone()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept temporary directory {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A child process that is killed (with its whole process group, when spawned with
/// [`ChildGuard::spawn_group`]) and reaped when the guard drops.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
    group: bool,
    exited: Option<ExitStatus>,
}

impl ChildGuard {
    /// Spawns `cmd`; `name` is used in messages.
    pub fn spawn(name: &str, cmd: &mut Command) -> io::Result<ChildGuard> {
        Self::spawn_inner(name, cmd, false)
    }

    /// Spawns `cmd` as the leader of a new process group, so that dropping the guard also ends
    /// whatever it started (certmonger runs helpers and a script).
    pub fn spawn_group(name: &str, cmd: &mut Command) -> io::Result<ChildGuard> {
        cmd.process_group(0);
        Self::spawn_inner(name, cmd, true)
    }

    fn spawn_inner(name: &str, cmd: &mut Command, group: bool) -> io::Result<ChildGuard> {
        let child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {name}: {e}")))?;
        Ok(ChildGuard {
            name: name.to_owned(),
            child,
            group,
            exited: None,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the process has ended, without waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait()?;
        }
        Ok(self.exited)
    }

    /// Waits at most `timeout` for the process to end; `None` if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        let max_polls = timeout.as_millis() / POLL_INTERVAL.as_millis() + 2;
        for _ in 0..max_polls {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                break;
            }
            thread::sleep(POLL_INTERVAL);
        }
        self.try_wait()
    }

    /// Kills the process (and its group) if it has not been reaped yet, and reaps it.
    pub fn kill(&mut self) {
        if self.exited.is_some() {
            return;
        }
        if self.group {
            // Until the leader is reaped its id names our group and no other; members may
            // outlive the leader, so end the whole group.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Err(e) = self.child.kill() {
            // Already exited (not yet reaped) is fine; anything else is worth a line.
            if e.kind() != io::ErrorKind::InvalidInput {
                eprintln!("could not kill {} ({}): {e}", self.name, self.child.id());
            }
        }
        self.exited = self.child.wait().ok();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a bounded run of a program produced; stdout and stderr went to files, so a chatty
/// program never blocks on a full pipe.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The exit status; `None` when the run was killed at its timeout.
    pub status: Option<ExitStatus>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// Runs `cmd` to completion or at most `timeout`, with stdout and stderr in `log_stem.out` and
/// `log_stem.err`.
pub fn run_bounded(
    name: &str,
    cmd: &mut Command,
    log_stem: &Path,
    timeout: Duration,
) -> io::Result<RunOutput> {
    let out_path = log_stem.with_extension("out");
    let err_path = log_stem.with_extension("err");
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out_path)?)
        .stderr(fs::File::create(&err_path)?);
    let mut child = ChildGuard::spawn_group(name, cmd)?;
    let status = child.wait_timeout(timeout)?;
    child.kill();
    Ok(RunOutput {
        status,
        stdout: read_lossy(&out_path),
        stderr: read_lossy(&err_path),
    })
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Minimal HTTP/1.0 client (loopback only)

/// An HTTP response read by [`http_get`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (everything after the header block; HTTP/1.0 has no chunking).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` field.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}

/// Splits `http://host:port/target` into a socket address, the authority and the request
/// target. Only plain `http` to a literal loopback address (or `localhost`) is accepted, and no
/// name is ever resolved: these tests never leave the machine.
pub fn parse_http_url(url: &str) -> Result<(SocketAddr, String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {url}"))?;
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let target = if target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_owned()
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p),
        _ => (authority, "80"),
    };
    let host = match host {
        "localhost" => "127.0.0.1",
        h => h.trim_start_matches('[').trim_end_matches(']'),
    };
    let ip: IpAddr = host
        .parse()
        .map_err(|_| format!("{authority}: only literal loopback addresses are allowed"))?;
    let port: u16 = port.parse().map_err(|_| format!("{authority}: bad port"))?;
    if !ip.is_loopback() {
        return Err(format!("{authority} is not a loopback address"));
    }
    Ok((SocketAddr::new(ip, port), authority.to_owned(), target))
}

/// One `GET` with HTTP/1.0 over a plain [`TcpStream`], bounded by `timeout` as a whole.
pub fn http_get(url: &str, timeout: Duration) -> Result<HttpResponse, String> {
    let deadline = Instant::now() + timeout;
    let (addr, authority, target) = parse_http_url(url)?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {target} HTTP/1.0\r\nHost: {authority}\r\nAccept: */*\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut raw = Vec::new();
    let mut buf = [0_u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("{url}: no complete response within {timeout:?}"));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend(buf.get(..n).unwrap_or_default());
                if raw.len() > MAX_HTTP_RESPONSE {
                    return Err(format!(
                        "{url}: response larger than {MAX_HTTP_RESPONSE} bytes"
                    ));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{url}: read: {e}")),
        }
    }
    parse_http_response(&raw).map_err(|e| format!("{url}: {e}"))
}

fn parse_http_response(raw: &[u8]) -> Result<HttpResponse, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of header block")?;
    let (head, body) = raw.split_at(split);
    let body = body.get(4..).unwrap_or_default().to_vec();
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/"))
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = HttpResponse {
        status,
        headers,
        body,
    };
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        return Err("chunked reply to an HTTP/1.0 request".to_owned());
    }
    Ok(response)
}

/// `url` with `?operation=OP` (or `&operation=OP`) appended.
pub fn with_operation(url: &str, operation: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}operation={operation}")
}

/// Polls `GET <url>?operation=GetCACert` until it answers 200, for at most `timeout`.
pub fn wait_for_http(url: &str, timeout: Duration) -> Result<(), String> {
    wait_for_http_while(url, timeout, || Ok(()))
}

/// [`wait_for_http`], giving up early when `still_ok` says the server died.
fn wait_for_http_while(
    url: &str,
    timeout: Duration,
    mut still_ok: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let probe = with_operation(url, "GetCACert");
    let deadline = Instant::now() + timeout;
    let max_polls = timeout.as_millis() / POLL_INTERVAL.as_millis() + 2;
    let mut last = String::from("not tried");
    for _ in 0..max_polls {
        still_ok()?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match http_get(&probe, left.min(Duration::from_secs(2))) {
            Ok(r) if r.status == 200 => return Ok(()),
            Ok(r) => last = format!("HTTP {}", r.status),
            Err(e) => last = e,
        }
        thread::sleep(POLL_INTERVAL);
    }
    Err(format!(
        "{probe} did not answer 200 within {timeout:?}: {last}"
    ))
}

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

fn scepclient_run(
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

// ---------------------------------------------------------------------------------------------
// certmonger

/// Quotes `s` for `/bin/sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn path_str(p: &Path) -> Result<&str, String> {
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
