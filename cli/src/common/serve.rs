//! The log text for a PKIOperation the library refused (the RA proxy's log lines).

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
