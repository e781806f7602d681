//! The HTTP/1.1 front end of `scep serve` and `scep proxy` on tokio and hyper: one task per
//! connection, a cap on connections, the request head and body each within the read timeout
//! (a client that sends a byte a second is cut off, and never holds up another), bounded
//! bodies, and a graceful stop on SIGTERM or ctrl-c (requests in flight are answered).

use core::convert::Infallible;
use core::future::Future;
use core::time::Duration;
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming as Body};
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::common::util::escape;

/// A request whose body has been read.
pub struct ServerRequest {
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    pub path: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
    /// The client's address (`IP:port`).
    pub peer: Option<std::net::SocketAddr>,
}

/// What to answer.
pub struct ServerReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub retry_after: Option<u32>,
    /// Other headers (`Allow` on a 405, `Retry-After` on a PENDING CertRep).
    pub headers: Vec<(&'static str, String)>,
}

impl ServerReply {
    pub fn text(status: u16, body: &str) -> ServerReply {
        ServerReply {
            status,
            content_type: scep::http::CONTENT_TYPE_TEXT_PLAIN,
            body: body.as_bytes().to_vec(),
            retry_after: None,
            headers: Vec::new(),
        }
    }
}

/// The front end's limits.
#[derive(Clone, Copy)]
pub struct Limits {
    /// For the request head, and again for the body.
    pub read_timeout: Duration,
    pub max_connections: usize,
    /// Longer bodies are cut at one octet more than this (so the SCEP layer sees them as too
    /// long).
    pub max_body: usize,
}

fn to_hyper(r: ServerReply) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() =
        hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    out.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    for (name, value) in r.headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            out.headers_mut().insert(n, v);
        }
    }
    if let Some(secs) = r.retry_after {
        out.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    out
}

async fn one_request<H, F>(
    handler: H,
    limits: Limits,
    peer: std::net::SocketAddr,
    req: hyper::Request<Body>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible>
where
    H: Fn(ServerRequest) -> F,
    F: Future<Output = ServerReply> + Send + 'static,
{
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let limited = Limited::new(body, limits.max_body.saturating_add(1));
    let body = match tokio::time::timeout(limits.read_timeout, limited.collect()).await {
        Ok(Ok(b)) => b.to_bytes().to_vec(),
        Ok(Err(e)) => {
            tracing::info!("{method} {} -> HTTP 400: body: {e}", escape(&path));
            return Ok(to_hyper(ServerReply::text(400, "cannot read the body")));
        }
        Err(_) => {
            tracing::info!("{method} {} -> HTTP 408: body too slow", escape(&path));
            return Ok(to_hyper(ServerReply::text(408, "request body too slow")));
        }
    };
    // The work runs in its own task: a client that goes away does not cut it short.
    let work = handler(ServerRequest {
        method,
        target,
        path,
        headers: parts.headers,
        body,
        peer: Some(peer),
    });
    match tokio::spawn(work).await {
        Ok(reply) => Ok(to_hyper(reply)),
        Err(e) => {
            tracing::error!("request task failed: {e}");
            Ok(to_hyper(ServerReply::text(500, "internal error")))
        }
    }
}

/// Serves `listener` until SIGTERM or ctrl-c, then waits (up to 30 s) for the connections to
/// finish their request in flight.
pub async fn run<H, F>(listener: TcpListener, limits: Limits, handler: H)
where
    H: Fn(ServerRequest) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = ServerReply> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = core::pin::pin!(shutdown_signal());
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let handler = handler.clone();
        let mut stop = stop_rx.clone();
        let span = tracing::info_span!("conn", %peer);
        let conn_task = async move {
            let _permit = permit;
            let svc = service_fn(move |req| one_request(handler.clone(), limits, peer, req));
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.read_timeout)
                .max_buf_size(16 * 1024)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            let mut conn = core::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!("connection: {e}");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        };
        connections.spawn(tracing::Instrument::instrument(conn_task, span));
    }
    tracing::info!("shutting down: {} connection(s) open", connections.len());
    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(30), drain)
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s; leaving");
    }
    tracing::info!("stopped");
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

/// A multi-threaded runtime for a server subcommand.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))
}
