//! The admin listener of `scep serve` (`--admin-addr`, 127.0.0.1:8081 by default): a web page
//! for people and a JSON API for scripts, on their own address, never on the device port.
//!
//! It starts only when an admin password is set: `scep admin set-password` (its PBKDF2 hash
//! in `STATE/admin-password.hash`) or `--admin-password-file` (hashed in memory at start).
//!
//! - Page: `GET /admin` (a login form until signed in), `POST /admin/login` (sets an HttpOnly,
//!   SameSite=Strict session cookie), and the forms `POST /admin/password` (a new one-time
//!   password, shown once with its expiry), `/admin/approve`, `/admin/reject` (with a
//!   failInfo), `/admin/revoke`, `/admin/logout`, each answered with a redirect to `/admin`
//!   that shows the outcome (or the new password) once. Every form carries the session's
//!   CSRF token in a hidden field; a POST without it, or with another, is refused (403), and so
//!   is a POST whose `Origin` is another site. Every value from a request or the store is
//!   HTML-escaped; a Content-Security-Policy forbids scripts.
//! - API (`Authorization: Bearer ADMIN_PASSWORD`, JSON in and out):
//!   `POST /admin/api/passwords` `{"ttl":"30m","subject":"CN=printer-*"}` →
//!   `{"id","password","expires_at","subject_pattern"}`; `GET /admin/api/passwords`;
//!   `GET /admin/api/pending`; `POST /admin/api/pending/approve` `{"transaction_id"}`;
//!   `POST /admin/api/pending/reject` `{"transaction_id","fail_info":"badRequest"}`;
//!   `GET /admin/api/certificates`; `POST /admin/api/certificates/revoke`
//!   `{"serial":"0x0a","reason":"keyCompromise"}`.

use core::future::Future;
use core::time::Duration;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::common::http_server::{self, Limits, ServerReply, ServerRequest};
use crate::common::util::{escape, hex, unix_now};
use crate::serve::approval::{self, parse_fail_info};
use crate::serve::ca::{parse_reason, serial_bytes};
use crate::serve::challenge::{self, ChallengeKey, Issued};
use crate::store::{Store, TxState, Verdict};

pub mod auth;
pub mod html;

use auth::{Flash, PasswordHash, Sessions};

/// What the admin listener needs from `scep serve`.
pub struct AdminConfig {
    pub addr: String,
    pub state: PathBuf,
    /// `--admin-password-file`: hashed at once, never kept.
    pub password: Option<String>,
    /// Set with `--challenge-mode one-time`.
    pub challenge_key: Option<ChallengeKey>,
    pub challenge_ttl: i64,
    pub ca_subject: String,
}

struct Admin {
    store: Arc<dyn Store>,
    credential: PasswordHash,
    sessions: Sessions,
    challenge_key: Option<ChallengeKey>,
    challenge_ttl: i64,
    ca_subject: String,
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
/// Rows shown per table.
const LIMIT: i64 = 50;

/// Binds the admin listener when an admin password is set; the future serves it until
/// SIGTERM. `None` (logged) when no password is set.
pub async fn start(
    cfg: AdminConfig,
    store: Arc<dyn Store>,
) -> Result<Option<impl Future<Output = ()>>, String> {
    let credential = match &cfg.password {
        Some(p) if !p.is_empty() => PasswordHash::new(p)?,
        _ => match PasswordHash::load(&cfg.state)? {
            Some(h) => h,
            None => {
                tracing::info!(
                    "admin page off: no admin password (`scep admin set-password` or \
                     --admin-password-file)"
                );
                return Ok(None);
            }
        },
    };
    let listener = TcpListener::bind(&cfg.addr)
        .await
        .map_err(|e| format!("cannot listen on --admin-addr {}: {e}", cfg.addr))?;
    let addr = listener
        .local_addr()
        .map_or_else(|_| cfg.addr.clone(), |a| a.to_string());
    if listener.local_addr().is_ok_and(|a| !a.ip().is_loopback()) {
        tracing::warn!("the admin page listens on {addr}, not a loopback address");
    }
    tracing::info!("admin page on http://{addr}/admin");
    let admin = Arc::new(Admin {
        store,
        credential,
        sessions: Sessions::default(),
        challenge_key: cfg.challenge_key,
        challenge_ttl: cfg.challenge_ttl,
        ca_subject: cfg.ca_subject,
    });
    let limits = Limits {
        read_timeout: Duration::from_secs(10),
        max_connections: 64,
        max_body: 64 * 1024,
    };
    Ok(Some(http_server::run(listener, limits, move |req| {
        let admin = Arc::clone(&admin);
        async move {
            let (method, path) = (req.method.clone(), escape(&req.path));
            let reply = admin.route(req).await;
            tracing::info!("admin {method} {path} -> HTTP {}", reply.status);
            reply
        }
    })))
}

fn reply(status: u16, content_type: &'static str, body: String) -> ServerReply {
    ServerReply {
        status,
        content_type,
        body: body.into_bytes(),
        retry_after: None,
        headers: vec![
            ("cache-control", "no-store".into()),
            ("x-frame-options", "DENY".into()),
            ("x-content-type-options", "nosniff".into()),
            // Not `no-referrer`: with it Chromium sends `Origin: null` on the form POSTs,
            // which `same_origin` refuses.
            ("referrer-policy", "same-origin".into()),
            (
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                 frame-ancestors 'none'"
                    .into(),
            ),
        ],
    }
}

fn json_reply(status: u16, v: &Value) -> ServerReply {
    reply(status, JSON, format!("{v}\n"))
}

fn json_error(status: u16, msg: &str) -> ServerReply {
    json_reply(status, &json!({ "error": msg }))
}

fn redirect(to: &str) -> ServerReply {
    let mut r = reply(303, HTML, String::new());
    r.headers.push(("location", to.to_owned()));
    r
}

fn header<'a>(req: &'a ServerRequest, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A browser's POST names its page's origin: it must be this listener (defence in depth
/// beside the CSRF token and the SameSite cookie). Clients that send no `Origin` pass.
fn same_origin(req: &ServerRequest) -> bool {
    match (header(req, "origin"), header(req, "host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

fn cross_origin() -> ServerReply {
    reply(
        403,
        HTML,
        html::page(
            "Refused",
            "",
            "<p>This form was sent from another site.</p>",
        ),
    )
}

impl Admin {
    async fn route(&self, req: ServerRequest) -> ServerReply {
        let path = req.path.clone();
        if let Some(api) = path.strip_prefix("/admin/api/") {
            return self.api(api, &req).await;
        }
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/admin" | "/admin/") => match self.session(&req) {
                Some((id, csrf)) => match self.sessions.take_flash(&id) {
                    Some(Flash::Notice(ok, text)) => {
                        self.dashboard(&csrf, Some((ok, text)), None).await
                    }
                    Some(Flash::Password(p)) => self.dashboard(&csrf, None, Some(&p)).await,
                    None => self.dashboard(&csrf, None, None).await,
                },
                None => reply(200, HTML, html::login(None)),
            },
            ("POST", "/admin/login") => self.login(&req).await,
            ("POST", "/admin/logout" | "/admin/password" | "/admin/approve" | "/admin/reject")
            | ("POST", "/admin/revoke") => self.form_post(&req).await,
            (_, p) if p == "/admin" || p.starts_with("/admin/") => {
                reply(404, HTML, html::page("Not found", "", "<p>Not found.</p>"))
            }
            _ => reply(404, HTML, html::page("Not found", "", "<p>Not found.</p>")),
        }
    }

    /// The session of the request's cookie: (cookie value, CSRF token).
    fn session(&self, req: &ServerRequest) -> Option<(String, String)> {
        let cookies = header(req, "cookie")?;
        let id = auth::cookie(cookies, auth::COOKIE)?;
        self.sessions.get(id).map(|csrf| (id.to_owned(), csrf))
    }

    async fn login(&self, req: &ServerRequest) -> ServerReply {
        if !same_origin(req) {
            return cross_origin();
        }
        let form = auth::form(&req.body);
        let given = auth::field(&form, "password")
            .unwrap_or_default()
            .to_owned();
        let credential = self.credential.clone();
        let ok = tokio::task::spawn_blocking(move || credential.verify(&given))
            .await
            .unwrap_or(false);
        if !ok {
            tracing::warn!(
                "admin login refused from {}",
                req.peer.map_or_else(|| "?".into(), |p| p.to_string())
            );
            // A little slower for a guesser.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return reply(403, HTML, html::login(Some("Wrong password.")));
        }
        match self.sessions.open() {
            Ok((id, _)) => {
                let mut r = redirect("/admin");
                r.headers.push((
                    "set-cookie",
                    format!(
                        "{}={id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}",
                        auth::COOKIE,
                        auth::SESSION_LIFETIME.as_secs()
                    ),
                ));
                r
            }
            Err(e) => reply(500, HTML, html::login(Some(&e))),
        }
    }

    /// A form POST of a signed-in session, its CSRF token checked.
    async fn form_post(&self, req: &ServerRequest) -> ServerReply {
        if !same_origin(req) {
            tracing::warn!("admin {}: cross-origin POST refused", escape(&req.path));
            return cross_origin();
        }
        let Some((id, csrf)) = self.session(req) else {
            return reply(
                403,
                HTML,
                html::login(Some("Your session has ended; sign in again.")),
            );
        };
        let form = auth::form(&req.body);
        let token = auth::field(&form, "csrf").unwrap_or_default();
        if !auth::ct_eq(token.as_bytes(), csrf.as_bytes()) {
            tracing::warn!("admin {}: CSRF token missing or wrong", escape(&req.path));
            return reply(
                403,
                HTML,
                html::page(
                    "Refused",
                    "",
                    "<p>This form is stale or did not come from this page (CSRF token \
                     missing or wrong). <a href=\"/admin\">Back</a></p>",
                ),
            );
        }
        let get = |name: &str| {
            auth::field(&form, name)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        match req.path.as_str() {
            "/admin/logout" => {
                self.sessions.close(&id);
                let mut r = redirect("/admin");
                r.headers.push((
                    "set-cookie",
                    format!(
                        "{}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
                        auth::COOKIE
                    ),
                ));
                r
            }
            "/admin/password" => {
                let flash = match self.new_password(None, Some(&get("subject"))).await {
                    Ok(p) => Flash::Password(p),
                    Err(e) => Flash::Notice(false, e),
                };
                self.sessions.set_flash(&id, flash);
                redirect("/admin")
            }
            "/admin/approve" | "/admin/reject" => {
                let tx = get("tx");
                let verdict = if req.path == "/admin/approve" {
                    Verdict::Approve
                } else {
                    match parse_fail_info(&get("fail_info")) {
                        Some(f) => Verdict::Reject(f.as_str().to_owned()),
                        None => {
                            let n = Flash::Notice(false, "Unknown failInfo.".to_owned());
                            self.sessions.set_flash(&id, n);
                            return redirect("/admin");
                        }
                    }
                };
                let (ok, text) = self.decide(&tx, &verdict).await;
                self.sessions.set_flash(&id, Flash::Notice(ok, text));
                redirect("/admin")
            }
            _ => {
                let (ok, text) = self.revoke(&get("serial"), &get("reason")).await;
                self.sessions.set_flash(&id, Flash::Notice(ok, text));
                redirect("/admin")
            }
        }
    }

    async fn new_password(
        &self,
        ttl: Option<&str>,
        subject: Option<&str>,
    ) -> Result<Issued, String> {
        let Some(key) = &self.challenge_key else {
            return Err("one-time passwords are off (--challenge-mode one-time)".into());
        };
        let ttl = match ttl {
            Some(t) => challenge::parse_duration(t)?,
            None => self.challenge_ttl,
        };
        let issued = challenge::issue(&*self.store, key, ttl, subject)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            "one-time password #{} issued, expires at {}{}",
            issued.id,
            issued.expires_at,
            issued
                .subject_pattern
                .as_deref()
                .map(|s| format!(", subject {}", escape(s)))
                .unwrap_or_default()
        );
        Ok(issued)
    }

    async fn decide(&self, tx: &str, verdict: &Verdict) -> (bool, String) {
        let what = match verdict {
            Verdict::Approve => "approved".to_owned(),
            Verdict::Reject(f) => format!("rejected ({})", approval::stored_fail_info(Some(f))),
        };
        match self.store.decide(tx, verdict).await {
            Ok(true) => {
                tracing::info!("admin: tx={} {what}", escape(tx));
                (
                    true,
                    format!("Request {tx} {what}; the device gets it at its next poll."),
                )
            }
            Ok(false) => (false, format!("No pending request {tx}.")),
            Err(e) => (false, format!("Store: {e}")),
        }
    }

    async fn revoke(&self, serial: &str, reason: &str) -> (bool, String) {
        let serial_n = match serial.strip_prefix("0x") {
            Some(h) => i64::from_str_radix(h, 16).ok(),
            None => serial.parse().ok(),
        };
        let Some(serial_n) = serial_n else {
            return (false, "Bad serial number.".into());
        };
        let reason_code = match reason {
            "" | "unspecified" => None,
            r => match parse_reason(r) {
                Some(c) => Some(c),
                None => return (false, "Unknown revocation reason.".into()),
            },
        };
        match self.store.revoke(serial_n, unix_now(), reason_code).await {
            Ok(true) => {
                tracing::info!("admin: revoked serial {serial_n}");
                (
                    true,
                    format!("Certificate 0x{} revoked.", hex(&serial_bytes(serial_n))),
                )
            }
            Ok(false) => (false, "No such certificate.".into()),
            Err(e) => (false, format!("Store: {e}")),
        }
    }

    async fn dashboard(
        &self,
        csrf: &str,
        notice: Option<(bool, String)>,
        new_password: Option<&Issued>,
    ) -> ServerReply {
        let (certs, txs) = match self.store.list(LIMIT).await {
            Ok(x) => x,
            Err(e) => return reply(503, HTML, html::page("Store error", "", &html::esc(&e.0))),
        };
        let passwords = match self.challenge_key {
            Some(_) => self.store.challenges(10).await.unwrap_or_default(),
            None => Vec::new(),
        };
        let d = html::Dashboard {
            csrf,
            ca_subject: &self.ca_subject,
            now: unix_now(),
            one_time_ttl: self.challenge_key.as_ref().map(|_| self.challenge_ttl),
            notice,
            new_password,
            transactions: &txs,
            certificates: &certs,
            passwords: &passwords,
        };
        reply(200, HTML, html::dashboard(&d))
    }

    /// `/admin/api/...`, bearer-authenticated.
    async fn api(&self, route: &str, req: &ServerRequest) -> ServerReply {
        let token = header(req, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_owned();
        let credential = self.credential.clone();
        let ok = !token.is_empty()
            && tokio::task::spawn_blocking(move || credential.verify(&token))
                .await
                .unwrap_or(false);
        if !ok {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut r = json_error(401, "an admin bearer token is required");
            r.headers.push(("www-authenticate", "Bearer".into()));
            return r;
        }
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(_) => return json_error(400, "the body is not JSON"),
            }
        };
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        match (req.method.as_str(), route) {
            ("POST", "passwords") => {
                match self
                    .new_password(s("ttl").as_deref(), s("subject").as_deref())
                    .await
                {
                    Ok(p) => json_reply(
                        201,
                        &json!({
                            "id": p.id,
                            "password": p.password,
                            "expires_at": p.expires_at,
                            "expires": html::time(p.expires_at),
                            "subject_pattern": p.subject_pattern,
                        }),
                    ),
                    Err(e) => json_error(409, &e),
                }
            }
            ("GET", "passwords") => match self.store.challenges(LIMIT).await {
                Ok(list) => {
                    let now = unix_now();
                    let items: Vec<Value> = list
                        .iter()
                        .map(|p| {
                            json!({
                                "id": p.id,
                                "created_at": p.created_at,
                                "expires_at": p.expires_at,
                                "subject_pattern": p.subject_pattern,
                                "status": match &p.used {
                                    Some(_) => "used",
                                    None if p.expires_at <= now => "expired",
                                    None => "unused",
                                },
                                "used_by": p.used.as_ref().map(|(_, tx)| tx),
                            })
                        })
                        .collect();
                    json_reply(200, &Value::Array(items))
                }
                Err(e) => json_error(503, &e.0),
            },
            ("GET", "pending") => match self.store.list(LIMIT).await {
                Ok((_, txs)) => {
                    let items: Vec<Value> = txs
                        .iter()
                        .map(|t| {
                            let sum = approval::summarize(&t.csr);
                            json!({
                                "transaction_id": t.id,
                                "state": t.state.as_str(),
                                "subject": sum.subject,
                                "sans": sum.sans,
                                "key": sum.key,
                                "requester": t.requester,
                                "received_at": t.created_at,
                                "fail_info": (t.state == TxState::Rejected).then(|| {
                                    approval::stored_fail_info(t.fail_info.as_deref()).to_string()
                                }),
                            })
                        })
                        .collect();
                    json_reply(200, &Value::Array(items))
                }
                Err(e) => json_error(503, &e.0),
            },
            ("POST", "pending/approve" | "pending/reject") => {
                let Some(tx) = s("transaction_id") else {
                    return json_error(400, "transaction_id is required");
                };
                let verdict = if route == "pending/approve" {
                    Verdict::Approve
                } else {
                    let f = s("fail_info").unwrap_or_else(|| "badRequest".into());
                    match parse_fail_info(&f) {
                        Some(f) => Verdict::Reject(f.as_str().to_owned()),
                        None => return json_error(400, "unknown fail_info"),
                    }
                };
                match self.decide(&tx, &verdict).await {
                    (true, m) => json_reply(200, &json!({ "ok": true, "message": m })),
                    (false, m) => json_error(404, &m),
                }
            }
            ("GET", "certificates") => match self.store.list(LIMIT).await {
                Ok((certs, _)) => {
                    let items: Vec<Value> = certs
                        .iter()
                        .map(|c| {
                            json!({
                                "serial": c.serial,
                                "serial_hex": format!("0x{}", hex(&serial_bytes(c.serial))),
                                "subject": c.subject,
                                "not_after": c.not_after,
                                "transaction_id": c.transaction_id,
                                "revoked_at": c.revoked.map(|(at, _)| at),
                            })
                        })
                        .collect();
                    json_reply(200, &Value::Array(items))
                }
                Err(e) => json_error(503, &e.0),
            },
            ("POST", "certificates/revoke") => {
                let serial = match body.get("serial") {
                    Some(Value::Number(n)) => n.to_string(),
                    Some(Value::String(v)) => v.clone(),
                    _ => return json_error(400, "serial is required"),
                };
                match self.revoke(&serial, &s("reason").unwrap_or_default()).await {
                    (true, m) => json_reply(200, &json!({ "ok": true, "message": m })),
                    (false, m) => json_error(404, &m),
                }
            }
            _ => json_error(404, "no such API route"),
        }
    }
}
