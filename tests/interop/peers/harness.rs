//! The harness: finding peers, ports, temporary directories, child processes with bounded
//! waits, and a minimal loopback HTTP/1.0 client.

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

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Finding peers

/// Directories searched after `PATH`: Debian puts `certmonger` in `/usr/sbin`, which is not on a
/// normal user's `PATH`.
pub const EXTRA_BIN_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

pub fn is_executable(path: &Path) -> bool {
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

pub fn peer_command(bin: &str) -> Command {
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

pub static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

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

pub fn read_lossy(path: &Path) -> String {
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

pub fn parse_http_response(raw: &[u8]) -> Result<HttpResponse, String> {
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
pub fn wait_for_http_while(
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
