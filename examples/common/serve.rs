//! What the example server and the proxy share as HTTP servers: reading a bounded body,
//! sending a reply, and the log text for a PKIOperation the library refused.

use std::io::Read;

use scep::attr::MessageType;
use scep::attr::TransactionId;
use scep::http;
use scep::http::Response;

/// What was refused (`PkcsReq tx=…`, when the library could read that far) and the outcome
/// (`FAILURE badMessageCheck (reason)` or `HTTP 400: text (reason)`). The reason is for the
/// log only; the response sent does not carry it.
pub fn describe(
    response: &Response,
    reason: scep::Error,
    message_type: Option<MessageType>,
    transaction_id: Option<&TransactionId>,
) -> (Option<String>, String) {
    let what = match (message_type, transaction_id) {
        (Some(t), Some(id)) => Some(format!("{t:?} tx={}", id.as_str())),
        _ => None,
    };
    let outcome = if response.content_type == http::CONTENT_TYPE_PKI_MESSAGE {
        format!("FAILURE {} ({reason})", reason.fail_info())
    } else {
        format!(
            "HTTP {}: {} ({reason})",
            response.status,
            String::from_utf8_lossy(&response.body)
        )
    };
    (what, outcome)
}

/// Reads the request body, at most one octet more than `max` (so that the library's own limit
/// check sees an over-long body as over-long rather than cut to size).
pub fn read_body(req: &mut tiny_http::Request, max: usize) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    req.as_reader().take(limit).read_to_end(&mut body)?;
    Ok(body)
}

/// Sends a reply with `Content-Type` and, when given, `Retry-After`; `who` names the program in
/// the error line when the client has gone.
pub fn send(
    req: tiny_http::Request,
    status: u16,
    content_type: &str,
    body: Vec<u8>,
    retry_after: Option<u32>,
    who: &str,
) {
    let mut reply = tiny_http::Response::from_data(body).with_status_code(status);
    if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", content_type) {
        reply.add_header(h);
    }
    if let Some(secs) = retry_after {
        if let Ok(h) = tiny_http::Header::from_bytes("Retry-After", secs.to_string()) {
            reply.add_header(h);
        }
    }
    if let Err(e) = req.respond(reply) {
        eprintln!("{who}: cannot send the reply: {e}");
    }
}
