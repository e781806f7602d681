//! The admin page, rendered on the server: plain HTML forms, a little inline CSS, no script.
//! Everything that comes from a request or the store goes through [`esc`].

use core::fmt::Write as _;

use crate::common::util::hex;
use crate::serve::approval::{self, CsrSummary, FAIL_INFOS};
use crate::serve::ca::serial_bytes;
use crate::serve::challenge::Issued;
use crate::store::{CertRecord, ChallengeRecord, TxRecord, TxState};

/// HTML text and attribute values: `& < > " '` escaped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-04 13:45:00 UTC`.
pub fn time(t: i64) -> String {
    u64::try_from(t)
        .ok()
        .and_then(|s| der::DateTime::from_unix_duration(core::time::Duration::from_secs(s)).ok())
        .map_or_else(
            || t.to_string(),
            |d| {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minutes(),
                    d.seconds()
                )
            },
        )
}

/// `in 59 min`, `3 min ago`.
pub fn relative(t: i64, now: i64) -> String {
    let d = t - now;
    let (n, future) = (d.abs(), d >= 0);
    if n < 5 {
        return "just now".into();
    }
    let text = if n < 120 {
        format!("{n} s")
    } else if n < 7200 {
        format!("{} min", n / 60)
    } else {
        format!("{} h", n / 3600)
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}\
header{background:#1f3a5f;color:#fff;padding:.8em 1.5em;display:flex;justify-content:space-between;align-items:center}\
header h1{font-size:1.2em;margin:0}main{padding:1em 1.5em;max-width:1200px}\
section{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:1em 1.2em;margin-bottom:1.2em}\
h2{font-size:1.05em;margin:0 0 .6em}table{border-collapse:collapse;width:100%;font-size:.9em}\
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #eceef2;vertical-align:top}\
th{color:#555;font-weight:600}code{font-family:ui-monospace,monospace;word-break:break-all}\
button{padding:.35em .9em;border-radius:4px;border:1px solid #888;background:#fff;cursor:pointer}\
button.primary{background:#1f6feb;color:#fff;border-color:#1f6feb}\
button.approve{background:#1a7f37;color:#fff;border-color:#1a7f37}\
button.danger{background:#cf222e;color:#fff;border-color:#cf222e}\
.notice{padding:.7em 1em;border-radius:6px;margin-bottom:1em;background:#ddf4ff;border:1px solid #54aeff}\
.error{background:#ffebe9;border-color:#ff8182}\
.secret{font-size:1.6em;letter-spacing:.05em;background:#fff8c5;padding:.2em .5em;border-radius:4px}\
.muted{color:#666}form.inline{display:inline}input[type=text],input[type=password]{padding:.3em}\
.login{max-width:360px;margin:4em auto}";

/// A whole page.
pub fn page(title: &str, header_right: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head><body>\
         <header><h1>{}</h1><div>{header_right}</div></header><main>{body}</main></body></html>\n",
        esc(title),
        esc(title)
    )
}

/// The login form, with an optional message.
pub fn login(message: Option<&str>) -> String {
    let msg = message.map_or_else(String::new, |m| {
        format!(
            "<div class=\"notice error\" id=\"message\">{}</div>",
            esc(m)
        )
    });
    let body = format!(
        "<section class=\"login\">{msg}<h2>Sign in</h2>\
         <form method=\"post\" action=\"/admin/login\">\
         <p><label for=\"password\">Admin password</label><br>\
         <input type=\"password\" id=\"password\" name=\"password\" autofocus required></p>\
         <p><button class=\"primary\" id=\"login\" type=\"submit\">Sign in</button></p>\
         </form><p class=\"muted\">Set the password with <code>scep admin set-password</code>.</p>\
         </section>"
    );
    page("SCEP server administration", "", &body)
}

/// What the dashboard shows.
pub struct Dashboard<'a> {
    pub csrf: &'a str,
    pub ca_subject: &'a str,
    pub now: i64,
    /// `Some(ttl)` when one-time passwords are on.
    pub one_time_ttl: Option<i64>,
    pub notice: Option<(bool, String)>,
    pub new_password: Option<&'a Issued>,
    pub transactions: &'a [TxRecord],
    pub certificates: &'a [CertRecord],
    pub passwords: &'a [ChallengeRecord],
}

fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(csrf)
    )
}

/// The dashboard: new password, pending requests, recent decisions, certificates.
pub fn dashboard(d: &Dashboard<'_>) -> String {
    let csrf = csrf_field(d.csrf);
    let mut b = String::new();
    if let Some((ok, text)) = &d.notice {
        let class = if *ok { "notice" } else { "notice error" };
        let _ = write!(
            b,
            "<div class=\"{class}\" id=\"message\">{}</div>",
            esc(text)
        );
    }
    // One-time passwords.
    b.push_str("<section id=\"passwords\"><h2>One-time challenge passwords</h2>");
    match d.one_time_ttl {
        Some(ttl) => {
            if let Some(p) = d.new_password {
                let bound = p.subject_pattern.as_deref().map_or_else(String::new, |s| {
                    format!(" Only for subjects matching <code>{}</code>.", esc(s))
                });
                let _ = write!(
                    b,
                    "<div class=\"notice\"><p>New password (shown once; give it to the device):</p>\
                     <p><code class=\"secret\" id=\"new-password-value\">{}</code></p>\
                     <p id=\"new-password-expiry\">Valid for one enrollment until <strong>{}</strong> \
                     ({}).{bound}</p></div>",
                    esc(&p.password),
                    time(p.expires_at),
                    relative(p.expires_at, d.now)
                );
            }
            let _ = write!(
                b,
                "<form method=\"post\" action=\"/admin/password\">{csrf}\
                 <button class=\"primary\" id=\"new-password\" type=\"submit\">New password</button> \
                 <span class=\"muted\">valid {} min</span> &nbsp; \
                 <label>optional subject pattern <input type=\"text\" name=\"subject\" \
                 placeholder=\"CN=printer-*\"></label></form>",
                ttl / 60
            );
            if !d.passwords.is_empty() {
                b.push_str(
                    "<table><tr><th>#</th><th>Created</th><th>Expires</th><th>Subject pattern</th>\
                     <th>Status</th></tr>",
                );
                for p in d.passwords {
                    let status = match &p.used {
                        Some((at, tx)) => {
                            format!("used {} by <code>{}</code>", relative(*at, d.now), esc(tx))
                        }
                        None if p.expires_at <= d.now => "expired".into(),
                        None => "unused".into(),
                    };
                    let _ = write!(
                        b,
                        "<tr><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{status}</td></tr>",
                        p.id,
                        time(p.created_at),
                        time(p.expires_at),
                        relative(p.expires_at, d.now),
                        p.subject_pattern.as_deref().map_or("any".into(), esc),
                    );
                }
                b.push_str("</table>");
            }
        }
        None => b.push_str(
            "<p class=\"muted\">This server uses one static challenge password \
             (<code>--challenge-mode static</code>); start it with \
             <code>--challenge-mode one-time</code> to hand out single-use passwords here.</p>",
        ),
    }
    b.push_str("</section>");

    // Pending requests.
    let pending: Vec<&TxRecord> = d
        .transactions
        .iter()
        .filter(|t| t.state == TxState::Pending)
        .collect();
    let _ = write!(
        b,
        "<section id=\"pending\"><h2>Requests waiting for approval ({})</h2>",
        pending.len()
    );
    if pending.is_empty() {
        b.push_str("<p class=\"muted\">Nothing is waiting.</p>");
    } else {
        b.push_str(
            "<table><tr><th>Subject</th><th>SANs</th><th>Key</th><th>Requester</th>\
             <th>Transaction ID</th><th>Received</th><th>Decision</th></tr>",
        );
        for t in pending {
            let s: CsrSummary = approval::summarize(&t.csr);
            let sans = if s.sans.is_empty() {
                "<span class=\"muted\">none</span>".to_owned()
            } else {
                s.sans
                    .iter()
                    .map(|x| esc(x))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let options: String = FAIL_INFOS
                .iter()
                .map(|f| format!("<option value=\"{f}\">{f}</option>"))
                .collect();
            let tx = esc(&t.id);
            let _ = write!(
                b,
                "<tr class=\"pending-row\"><td>{}</td><td>{sans}</td><td>{}</td><td>{}</td>\
                 <td><code>{tx}</code></td><td>{} ({})</td><td>\
                 <form class=\"inline\" method=\"post\" action=\"/admin/approve\">{csrf}\
                 <input type=\"hidden\" name=\"tx\" value=\"{tx}\">\
                 <button class=\"approve\" type=\"submit\">Approve</button></form> \
                 <form class=\"inline\" method=\"post\" action=\"/admin/reject\">{csrf}\
                 <input type=\"hidden\" name=\"tx\" value=\"{tx}\">\
                 <select name=\"fail_info\" title=\"failInfo sent to the device\">{options}</select> \
                 <button class=\"danger\" type=\"submit\">Reject</button></form></td></tr>",
                esc(&s.subject),
                esc(&s.key),
                esc(t.requester.as_deref().unwrap_or("-")),
                time(t.created_at),
                relative(t.created_at, d.now),
            );
        }
        b.push_str("</table>");
    }
    let decided: Vec<&TxRecord> = d
        .transactions
        .iter()
        .filter(|t| matches!(t.state, TxState::Approved | TxState::Rejected))
        .collect();
    if !decided.is_empty() {
        b.push_str(
            "<h2>Decided, waiting for the device to poll</h2><table><tr><th>Subject</th>\
             <th>Transaction ID</th><th>Decision</th></tr>",
        );
        for t in decided {
            let what = match t.state {
                TxState::Approved => "approved".to_owned(),
                _ => format!(
                    "rejected ({})",
                    approval::stored_fail_info(t.fail_info.as_deref())
                ),
            };
            let _ = write!(
                b,
                "<tr><td>{}</td><td><code>{}</code></td><td>{what}</td></tr>",
                esc(&t.subject),
                esc(&t.id)
            );
        }
        b.push_str("</table>");
    }
    b.push_str("</section>");

    // Certificates.
    b.push_str("<section id=\"certificates\"><h2>Recently issued certificates</h2>");
    if d.certificates.is_empty() {
        b.push_str("<p class=\"muted\">None yet.</p>");
    } else {
        b.push_str(
            "<table><tr><th>Serial</th><th>Subject</th><th>Expires</th><th>Transaction ID</th>\
             <th>Status</th></tr>",
        );
        for c in d.certificates {
            let status = match c.revoked {
                Some((at, _)) => format!("revoked {}", time(at)),
                None => format!(
                    "valid <form class=\"inline\" method=\"post\" action=\"/admin/revoke\">{csrf}\
                     <input type=\"hidden\" name=\"serial\" value=\"{}\">\
                     <select name=\"reason\"><option value=\"unspecified\">unspecified</option>\
                     <option value=\"keyCompromise\">keyCompromise</option>\
                     <option value=\"superseded\">superseded</option>\
                     <option value=\"cessationOfOperation\">cessationOfOperation</option></select> \
                     <button class=\"danger\" type=\"submit\">Revoke</button></form>",
                    c.serial
                ),
            };
            let _ = write!(
                b,
                "<tr><td><code>0x{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td>\
                 <td>{status}</td></tr>",
                hex(&serial_bytes(c.serial)),
                esc(&c.subject),
                time(c.not_after),
                esc(c.transaction_id.as_deref().unwrap_or("-")),
            );
        }
        b.push_str("</table>");
    }
    b.push_str("</section>");
    let right = format!(
        "<span class=\"muted\" style=\"color:#cfd8e3\">CA {}</span> &nbsp; \
         <form class=\"inline\" method=\"post\" action=\"/admin/logout\">{csrf}\
         <button type=\"submit\">Sign out</button></form>",
        esc(d.ca_subject)
    );
    page("SCEP server administration", &right, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(relative(3600, 0), "in 60 min");
        assert_eq!(relative(0, 90), "90 s ago");
    }
}
