//! `inspect`: says what a SCEP message (or certificate, CSR, GetCACaps reply, GET request) is,
//! checks what it can, and names what will break which peer.
//!
//! ```text
//! scep inspect [OPTIONS] FILE|-
//!
//!   FILE|-             DER, BER, base64, PEM (PKCS7, CMS, CERTIFICATE, CERTIFICATE REQUEST),
//!                      a GET request target or query (`/scep?operation=PKIOperation&message=...`),
//!                      or a GetCACaps reply; `-` reads standard input
//!   --ca FILE          more certificates to find the signer in (PEM, DER, or a certs-only
//!                      SignedData), e.g. the GetCACert reply for an NDES CertRep without certs
//!   --key KEY.pem      decrypt the envelope with this key (unencrypted PEM): RSA (PKCS #8 or
//!                      PKCS #1) for a key-transport recipient, EC P-256/P-384 (PKCS #8 or SEC1)
//!                      for a key-agreement recipient
//!   --cert CERT.pem    the key's certificate (to match the recipient by identifier)
//!   --password-file F  decrypt a password recipient (PWRI, RFC 3211) with the first line of F
//!   --password PW      the same, from the command line (visible to other users: prefer the
//!                      file or the environment variable SCEP_PASSWORD)
//!   --show-secrets     print the challenge password instead of only saying it is there
//!   --lint             name every deviation that breaks a known peer, with the peer and why
//!   --json             the same facts as JSON
//! ```
//!
//! Exit status: 0 when the input was described (even a message the library refuses: that is a
//! fact about it), 1 with a one-line reason when the input is not something SCEP uses, 2 for a
//! usage error (bad option, unreadable file or key).

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod cms;
mod describe;
mod lint;
mod report;
mod tlv;

use std::io::Read as _;
use std::process::ExitCode;

use scep::Certificate;

use crate::inspect::report::Obj;

/// Bytes that are never printed: a private key or a password.
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// What the command line asked for.
#[derive(Debug)]
pub struct Options {
    pub ca: Vec<Certificate>,
    pub key_pem: Option<Secret>,
    /// The password for a `PasswordRecipientInfo`.
    pub password: Option<Secret>,
    pub cert: Option<Certificate>,
    pub show_secrets: bool,
    pub lint: bool,
    pub json: bool,
}

const USAGE: &str = "usage: inspect [--ca FILE] [--key KEY.pem [--cert CERT.pem]] [--password-file FILE | --password PW] [--show-secrets] [--lint] [--json] FILE|-\n(the password may also come from the environment variable SCEP_PASSWORD)";

pub fn main(args: Vec<String>) -> ExitCode {
    match run(args) {
        Ok(code) => code,
        Err(Failure::Usage(msg)) => {
            eprintln!("inspect: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::NotUnderstood(msg)) => {
            eprintln!("inspect: {msg}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    NotUnderstood(String),
}

fn read_file(path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::Usage(format!("standard input: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| Failure::Usage(format!("{path}: {e}")))
}

fn run(args: Vec<String>) -> Result<ExitCode, Failure> {
    let mut args = args.into_iter();
    let mut input = None;
    let mut ca_files = Vec::new();
    let mut key = None;
    let mut cert = None;
    let mut options = Options {
        ca: Vec::new(),
        key_pem: None,
        password: None,
        cert: None,
        show_secrets: false,
        lint: false,
        json: false,
    };
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))
        };
        match a.as_str() {
            "--ca" => ca_files.push(value("--ca")?),
            "--key" => key = Some(value("--key")?),
            "--cert" => cert = Some(value("--cert")?),
            "--password" => options.password = Some(Secret(value("--password")?.into_bytes())),
            "--password-file" => {
                let file = value("--password-file")?;
                let pw = crate::common::util::read_secret_file(&file)
                    .map_err(|e| Failure::Usage(format!("--password-file {e}")))?;
                options.password = Some(Secret(pw.into_bytes()));
            }
            "--show-secrets" => options.show_secrets = true,
            "--lint" => options.lint = true,
            "--json" => options.json = true,
            "-h" | "--help" => {
                outln!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            s if s.starts_with("--") => return Err(Failure::Usage(format!("unknown option {s}"))),
            _ if input.is_some() => return Err(Failure::Usage("one input at a time".into())),
            _ => input = Some(a),
        }
    }
    let input = input.ok_or_else(|| Failure::Usage("no input".into()))?;
    if options.password.is_none() {
        if let Some(pw) = std::env::var_os("SCEP_PASSWORD") {
            let pw = pw
                .into_string()
                .map_err(|_| Failure::Usage("SCEP_PASSWORD is not UTF-8".into()))?;
            options.password = Some(Secret(pw.into_bytes()));
        }
    }
    if options.password.as_ref().is_some_and(|p| p.0.is_empty()) {
        return Err(Failure::Usage("the password is empty".into()));
    }
    for f in &ca_files {
        let bytes = read_file(f)?;
        let certs = describe::certificates_in(&bytes)
            .map_err(|e| Failure::Usage(format!("--ca {f}: {e}")))?;
        options.ca.extend(certs);
    }
    if let Some(c) = &cert {
        let bytes = read_file(c)?;
        let certs = describe::certificates_in(&bytes)
            .map_err(|e| Failure::Usage(format!("--cert {c}: {e}")))?;
        options.cert = certs.into_iter().next();
    }
    if let Some(k) = &key {
        let pem = read_file(k)?;
        describe::check_key(&pem).map_err(|e| Failure::Usage(format!("--key {k}: {e}")))?;
        options.key_pem = Some(Secret(pem));
    } else if cert.is_some() {
        return Err(Failure::Usage("--cert is only used with --key".into()));
    }

    let bytes = read_file(&input)?;
    let mut lints = Vec::new();
    let mut out = Obj::new();
    out.s(
        "input",
        if input == "-" {
            "(standard input)"
        } else {
            input.as_str()
        },
    );
    out.n("input_bytes", bytes.len());
    describe::input(&bytes, &options, &mut out, &mut lints).map_err(Failure::NotUnderstood)?;

    if options.lint {
        out.l("lint", lints.iter().map(lint::Lint::to_value).collect());
    } else if !lints.is_empty() {
        out.s(
            "lint_findings",
            format!("{} (run with --lint to see them)", lints.len()),
        );
    }
    let rendered = if options.json {
        report::json(&out)
    } else {
        report::text(&out)
    };
    {
        // A reader that went away (`scep inspect ... | head`) ends the output, not the process.
        use std::io::Write as _;
        let _ = std::io::stdout().write_all(rendered.as_bytes());
    }
    Ok(ExitCode::SUCCESS)
}
