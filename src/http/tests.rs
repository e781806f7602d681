use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;

/// The micromdm regression vector: base64 "++++////".
const FB: [u8; 6] = [0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff];

fn get(target: &str) -> Result<IncomingHttp, HttpError> {
    parse_request("GET", target, b"", &HttpLimits::default())
}

fn get_msg(target: &str) -> Vec<u8> {
    let r = get(target).unwrap();
    assert_eq!(r.operation, Operation::PkiOperation);
    assert_eq!(r.ca_ident, None);
    r.message.unwrap()
}

fn post(target: &str, body: &[u8]) -> Result<IncomingHttp, HttpError> {
    parse_request("POST", target, body, &HttpLimits::default())
}

/// A DER-looking message whose base64 uses `+`, `/` and needs padding.
fn sample_der() -> Vec<u8> {
    let mut v = vec![0x30, 0x81, 0x80];
    v.extend((0u8..128).map(|i| i.wrapping_mul(37) ^ 0xfb));
    v.push(0xff);
    v
}

// ---- Operation, Method, constants ----

#[test]
fn operation_names() {
    for (op, name) in [
        (Operation::GetCaCaps, "GetCACaps"),
        (Operation::GetCaCert, "GetCACert"),
        (Operation::GetNextCaCert, "GetNextCACert"),
        (Operation::PkiOperation, "PKIOperation"),
    ] {
        assert_eq!(op.as_str(), name);
        assert_eq!(op.to_string(), name);
        assert_eq!(Operation::parse(name), Some(op));
        assert_eq!(Operation::parse(&name.to_ascii_lowercase()), Some(op));
        assert_eq!(Operation::parse(&name.to_ascii_uppercase()), Some(op));
        assert_eq!(name.parse::<Operation>(), Ok(op));
    }
    assert_eq!(
        Operation::parse(" pkioperation "),
        Some(Operation::PkiOperation)
    );
    assert_eq!(Operation::parse("GetCACertChain"), None);
    assert_eq!("".parse::<Operation>(), Err(HttpError::UnknownOperation));
}

#[test]
fn methods_and_content_types() {
    assert_eq!(Method::parse("get"), Some(Method::Get));
    assert_eq!(Method::parse("POST"), Some(Method::Post));
    assert_eq!(Method::parse("PUT"), None);
    assert_eq!(Method::Get.as_str(), "GET");
    assert_eq!(Method::Post.to_string(), "POST");
    assert_eq!(CONTENT_TYPE_PKI_MESSAGE, "application/x-pki-message");
    assert_eq!(CONTENT_TYPE_CA_CERT, "application/x-x509-ca-cert");
    assert_eq!(CONTENT_TYPE_CA_RA_CERT, "application/x-x509-ca-ra-cert");
    assert_eq!(CONTENT_TYPE_NEXT_CA_CERT, "application/x-x509-next-ca-cert");
    assert_eq!(CONTENT_TYPE_TEXT_PLAIN, "text/plain");
    assert_eq!(DEFAULT_PATH, "/cgi-bin/pkiclient.exe");
}

// ---- Base64 and percent-encoding ----

#[test]
fn base64_rfc4648_vectors() {
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64_encode(plain.as_bytes()), enc);
        assert_eq!(
            base64_decode_lenient(enc.as_bytes()).unwrap(),
            plain.as_bytes()
        );
        let unpadded = enc.trim_end_matches('=');
        assert_eq!(
            base64_decode_lenient(unpadded.as_bytes()).unwrap(),
            plain.as_bytes()
        );
    }
    assert_eq!(base64_encode(&FB), "++++////");
}

#[test]
fn base64_lenient_rejects() {
    for bad in [
        &b"Zg==="[..], // too much padding
        b"Zm8==",      // too much padding
        b"Zm9v=",      // padding after a full quantum
        b"Z",          // one symbol left over
        b"Zg==Zg==",   // data after padding
        b"Zm9v*",      // foreign character
        b"Zm9v%2B",    // not percent-decoded
        b"Zm\x009v",   // NUL
        "Zm9vé".as_bytes(),
    ] {
        assert_eq!(base64_decode_lenient(bad), None, "{bad:?}");
    }
    // Short padding is fine, as are whitespace and trailing spaces after padding.
    assert_eq!(base64_decode_lenient(b"Zg=").unwrap(), b"f");
    assert_eq!(base64_decode_lenient(b"Zm\r\n9v\tYg== ").unwrap(), b"foob");
    // Both alphabets, even mixed.
    assert_eq!(
        base64_decode_lenient(b"--+/__").unwrap(),
        base64_decode_lenient(b"+++///").unwrap()
    );
}

#[test]
fn base64_round_trips_every_length() {
    for len in 0..70usize {
        let data: Vec<u8> = (0..len)
            .map(|i| u8::try_from(i * 89 % 256).unwrap())
            .collect();
        let enc = base64_encode(&data);
        assert_eq!(enc.len() % 4, 0);
        assert_eq!(base64_decode_lenient(enc.as_bytes()).unwrap(), data);
    }
}

#[test]
fn percent_encoding() {
    let mut s = String::new();
    percent_encode_into(&mut s, b"AZaz09-._~ +/=&%?#\n\xff");
    assert_eq!(s, "AZaz09-._~%20%2B%2F%3D%26%25%3F%23%0A%FF");
    assert_eq!(percent_decode(b"%2b%2B%2f%3d+").unwrap(), b"++/=+");
    assert_eq!(percent_decode(b"%"), None);
    assert_eq!(percent_decode(b"%2"), None);
    assert_eq!(percent_decode(b"%zz"), None);
    assert_eq!(form_decode("a+b%20c%2Bd").unwrap(), "a b c+d");
    assert_eq!(form_decode("%FF").unwrap(), "\u{fffd}");
}

#[test]
fn encode_message_escapes_exactly_plus_slash_equals() {
    assert_eq!(encode_message(&FB), "%2B%2B%2B%2B%2F%2F%2F%2F");
    assert_eq!(encode_message(&[0x30, 0x03]), "MAM%3D");
    assert_eq!(encode_message(&[0x30]), "MA%3D%3D");
    let enc = encode_message(&sample_der());
    assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'%'));
}

// ---- Client request builders: golden strings ----

#[test]
fn golden_get_requests() {
    let r = HttpRequest::get_ca_caps("/scep", None);
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.path_and_query, "/scep?operation=GetCACaps");
    assert_eq!(r.content_type, None);
    assert!(r.body.is_empty());

    assert_eq!(
        HttpRequest::get_ca_cert(DEFAULT_PATH, None).path_and_query,
        "/cgi-bin/pkiclient.exe?operation=GetCACert"
    );
    assert_eq!(
        HttpRequest::get_ca_cert(DEFAULT_PATH, Some("Device Management Identity Certificate"))
            .path_and_query,
        "/cgi-bin/pkiclient.exe?operation=GetCACert&message=Device%20Management%20Identity%20Certificate"
    );
    assert_eq!(
        HttpRequest::get_next_ca_cert("/scep", Some("ca+1/x=y")).path_and_query,
        "/scep?operation=GetNextCACert&message=ca%2B1%2Fx%3Dy"
    );
    assert_eq!(
        HttpRequest::get_ca_caps("/scep", Some("")).path_and_query,
        "/scep?operation=GetCACaps&message="
    );
    // Empty path and paths with a query.
    assert_eq!(
        HttpRequest::get_ca_caps("", None).path_and_query,
        "/?operation=GetCACaps"
    );
    assert_eq!(
        HttpRequest::get_ca_caps("/scep?profile=a", None).path_and_query,
        "/scep?profile=a&operation=GetCACaps"
    );
    assert_eq!(
        HttpRequest::get_ca_caps("/scep?", None).path_and_query,
        "/scep?operation=GetCACaps"
    );
}

#[test]
fn golden_pki_operation() {
    let r = HttpRequest::pki_operation("/scep", &FB, false);
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.path_and_query,
        "/scep?operation=PKIOperation&message=%2B%2B%2B%2B%2F%2F%2F%2F"
    );
    assert_eq!(r.content_type, None);
    assert!(r.body.is_empty());

    let r = HttpRequest::pki_operation(DEFAULT_PATH, &[0x30, 0x03], false);
    assert_eq!(
        r.path_and_query,
        "/cgi-bin/pkiclient.exe?operation=PKIOperation&message=MAM%3D"
    );

    let der = sample_der();
    let r = HttpRequest::pki_operation("/scep", &der, true);
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.path_and_query, "/scep?operation=PKIOperation");
    assert_eq!(r.content_type, Some("application/x-pki-message"));
    assert_eq!(r.body, der);
}

#[test]
fn url_for_joins() {
    assert_eq!(
        url_for(
            "http://ca.example/cgi-bin/pkiclient.exe",
            Operation::GetCaCaps,
            None
        ),
        "http://ca.example/cgi-bin/pkiclient.exe?operation=GetCACaps"
    );
    assert_eq!(
        url_for(
            "https://ca.example/scep",
            Operation::PkiOperation,
            Some(&FB)
        ),
        "https://ca.example/scep?operation=PKIOperation&message=%2B%2B%2B%2B%2F%2F%2F%2F"
    );
    assert_eq!(
        url_for(
            "http://ca.example/scep?x=1",
            Operation::GetCaCert,
            Some(b"a b")
        ),
        "http://ca.example/scep?x=1&operation=GetCACert&message=a%20b"
    );
    // The URL parses back on the server side.
    let r = get(&url_for("http://h/p", Operation::PkiOperation, Some(&FB))).unwrap();
    assert_eq!(r.message.unwrap(), FB);
}

// ---- Round trips through the server parser ----

#[test]
fn builders_round_trip_through_parser() {
    let der = sample_der();
    for use_post in [false, true] {
        let r = HttpRequest::pki_operation("/scep", &der, use_post);
        let got = parse_request(
            r.method.as_str(),
            &r.path_and_query,
            &r.body,
            &HttpLimits::default(),
        )
        .unwrap();
        assert_eq!(got.method, r.method);
        assert_eq!(got.operation, Operation::PkiOperation);
        assert_eq!(got.message.as_deref(), Some(&der[..]));
        assert_eq!(got.ca_ident, None);
    }
    for (r, op) in [
        (
            HttpRequest::get_ca_caps("/scep", Some("x y+z")),
            Operation::GetCaCaps,
        ),
        (
            HttpRequest::get_ca_cert("/scep", Some("x y+z")),
            Operation::GetCaCert,
        ),
        (
            HttpRequest::get_next_ca_cert("/scep", Some("x y+z")),
            Operation::GetNextCaCert,
        ),
    ] {
        let got = get(&r.path_and_query).unwrap();
        assert_eq!(got.operation, op);
        assert_eq!(got.message, None);
        assert_eq!(got.ca_ident.as_deref(), Some("x y+z"));
    }
}

// ---- Server parser: the GET variants peers send ----

#[test]
fn micromdm_regression_every_spelling() {
    for target in [
        "/scep?operation=PKIOperation&message=%2B%2B%2B%2B%2F%2F%2F%2F", // RFC
        "/scep?operation=PKIOperation&message=%2b%2b%2b%2b%2f%2f%2f%2f", // lower-case hex
        "/scep?operation=PKIOperation&message=++++////",                 // unescaped (macOS)
        "/scep?operation=PKIOperation&message=%2B%2B%2B%2B////",         // strongSwan
        "/scep?operation=PKIOperation&message=    ////",                 // + became space
        "/scep?operation=PKIOperation&message=%20%20%20%20////",         // ... and re-encoded
        "/scep?operation=PKIOperation&message=----____",                 // base64url
        "operation=PKIOperation&message=++++////",                       // bare query
        "?operation=PKIOperation&message=++++////",
    ] {
        assert_eq!(get_msg(target), FB, "{target}");
    }
    assert_eq!(decode_message(b"    ////").unwrap(), FB);
    assert_eq!(decode_message(b"%2B%2B%2B%2B%2F%2F%2F%2F").unwrap(), FB);
}

#[test]
fn get_padding_variants() {
    let der = [0x30, 0x03, 0x02, 0x01, 0x05]; // "MAMCAQU="
    for m in ["MAMCAQU%3D", "MAMCAQU=", "MAMCAQU", "MAMCAQU%3d"] {
        let target = alloc::format!("/scep?operation=PKIOperation&message={m}");
        assert_eq!(get_msg(&target), der, "{m}");
    }
    let der = [0x30, 0x00]; // "MAA="
    for m in ["MAA%3D", "MAA=", "MAA", "MAA%3d"] {
        let target = alloc::format!("/scep?operation=PKIOperation&message={m}");
        assert_eq!(get_msg(&target), der, "{m}");
    }
    let der = [0x30]; // "MA=="
    for m in ["MA%3D%3D", "MA==", "MA", "MA%3D=", "MA="] {
        let target = alloc::format!("/scep?operation=PKIOperation&message={m}");
        assert_eq!(get_msg(&target), der, "{m}");
    }
}

#[test]
fn get_line_wrapped() {
    let der = sample_der();
    let b64 = base64_encode(&der);
    let chunks: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| core::str::from_utf8(c).unwrap())
        .collect();
    for sep in ["%0A", "%0D%0A", "\n", "\r\n", "%0a"] {
        // Cisco/sscep style: wrapped, then (partly) escaped.
        let wrapped = chunks.join(sep);
        let escaped: String = wrapped
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        for m in [&wrapped, &escaped] {
            let target = alloc::format!("/pkiclient.exe?operation=PKIOperation&message={m}");
            assert_eq!(get_msg(&target), der, "{sep:?}");
        }
    }
    // Trailing newline after the padding (OpenSSL BIO output).
    let target = alloc::format!(
        "/?operation=PKIOperation&message={}%0A",
        encode_message(&der)
    );
    assert_eq!(get_msg(&target), der);
}

#[test]
fn get_parameter_order_case_and_extras() {
    for target in [
        "/scep?message=MAA%3D&operation=PKIOperation",
        "/scep?OPERATION=pkioperation&MESSAGE=MAA%3D",
        "/scep?Operation=PKIOPERATION&Message=MAA=",
        "/scep?foo=bar&operation=PKIOperation&x&message=MAA%3D&y=",
        "/scep?operation=PKIOperation&&message=MAA%3D&",
        "/scep?operation=PKIOperation&message=MAA%3D#frag",
        "/cgi-bin/pkiclient.exe/pkiclient.exe?operation=PKIOperation&message=MAA%3D", // Cisco path
        "http://ca.example:8080/scep?operation=PKIOperation&message=MAA%3D",
        "/scep?operation=PKIOperation&message=MAA%3D&message=ignored",
        "/scep?operation=PKI%4Fperation&message=MAA%3D",
        "/scep?operation=+PKIOperation+&message=MAA%3D",
    ] {
        assert_eq!(get_msg(target), [0x30, 0x00], "{target}");
    }
}

#[test]
fn get_ca_ident_variants() {
    let r = get("/scep?operation=GetCACert&message=Device%20Management%20Identity%20Certificate")
        .unwrap();
    assert_eq!(r.operation, Operation::GetCaCert);
    assert_eq!(
        r.ca_ident.as_deref(),
        Some("Device Management Identity Certificate")
    );
    assert_eq!(r.message, None);
    // Raw spaces (already decoded by a framework) and form '+' for space.
    let r =
        get("/scep?operation=GetCACert&message=Device Management Identity Certificate").unwrap();
    assert_eq!(
        r.ca_ident.as_deref(),
        Some("Device Management Identity Certificate")
    );
    let r = get("/scep?operation=GetCACert&message=my+trustpoint").unwrap();
    assert_eq!(r.ca_ident.as_deref(), Some("my trustpoint"));
    // message before operation, odd case.
    let r = get("/scep?message=default&operation=getcacert").unwrap();
    assert_eq!(r.ca_ident.as_deref(), Some("default"));
    // Empty or absent message: no identifier (mdmclient's GetCACaps).
    let r = get("/scep?operation=GetCACaps&message=").unwrap();
    assert_eq!((r.operation, r.ca_ident), (Operation::GetCaCaps, None));
    let r = get("/scep?operation=GetNextCACert").unwrap();
    assert_eq!((r.operation, r.ca_ident), (Operation::GetNextCaCert, None));
    // Invalid UTF-8 is replaced, not an error.
    let r = get("/scep?operation=GetCACert&message=%FFca").unwrap();
    assert_eq!(r.ca_ident.as_deref(), Some("\u{fffd}ca"));
    // A malformed escape in the identifier only loses the identifier.
    let r = get("/scep?operation=GetCACert&message=%zz").unwrap();
    assert_eq!(r.ca_ident, None);
}

#[test]
fn get_errors() {
    assert_eq!(get("/scep"), Err(HttpError::MissingOperation));
    assert_eq!(get(""), Err(HttpError::MissingOperation));
    assert_eq!(
        get("/scep?message=MAA%3D"),
        Err(HttpError::MissingOperation)
    );
    assert_eq!(get("/scep?operation="), Err(HttpError::MissingOperation));
    assert_eq!(
        get("/scep?operation=GetCACertChain"),
        Err(HttpError::UnknownOperation)
    );
    assert_eq!(
        get("/scep?operation=GetCRL"),
        Err(HttpError::UnknownOperation)
    );
    assert_eq!(get("/scep?operation=%zz"), Err(HttpError::UnknownOperation));
    assert_eq!(
        get("/scep?operation=PKIOperation"),
        Err(HttpError::MissingMessage)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message="),
        Err(HttpError::MissingMessage)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message=%0A%0D"),
        Err(HttpError::MissingMessage)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message=%2"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message=M"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message=MA*A"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message=MAA%3D%3D%3D"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        get("/scep?operation=PKIOperation&message=%252B"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        parse_request(
            "PUT",
            "/scep?operation=GetCACaps",
            b"",
            &HttpLimits::default()
        ),
        Err(HttpError::MethodNotAllowed)
    );
    assert_eq!(
        parse_request(
            "HEAD",
            "/scep?operation=GetCACaps",
            b"",
            &HttpLimits::default()
        ),
        Err(HttpError::MethodNotAllowed)
    );
}

// ---- Server parser: POST ----

#[test]
fn post_raw_der() {
    let der = sample_der();
    let r = post("/scep?operation=PKIOperation", &der).unwrap();
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.operation, Operation::PkiOperation);
    assert_eq!(r.message.as_deref(), Some(&der[..]));
    // Method in any case; operation missing: still PKIOperation.
    let r = parse_request("post", "/scep", &der, &HttpLimits::default()).unwrap();
    assert_eq!(r.operation, Operation::PkiOperation);
    assert_eq!(r.message.as_deref(), Some(&der[..]));
    // The body wins over a stray query message.
    let r = post("/scep?operation=PKIOperation&message=MAA%3D", &der).unwrap();
    assert_eq!(r.message.as_deref(), Some(&der[..]));
}

#[test]
fn post_base64_and_pem_bodies() {
    let der = sample_der();
    let b64 = base64_encode(&der);
    let url_safe = b64.replace('+', "-").replace('/', "_");
    let wrapped: String = b64
        .as_bytes()
        .chunks(64)
        .map(|c| alloc::format!("{}\r\n", core::str::from_utf8(c).unwrap()))
        .collect();
    let pem = crate::asn1::pem::encode("PKCS7", &der);
    for body in [
        b64.as_str(),
        url_safe.as_str(),
        wrapped.as_str(),
        b64.trim_end_matches('='),
        &pem,
    ] {
        let r = post("/scep?operation=PKIOperation", body.as_bytes()).unwrap();
        assert_eq!(r.message.as_deref(), Some(&der[..]), "{body}");
    }
}

#[test]
fn post_errors() {
    assert_eq!(
        post("/scep?operation=PKIOperation", b""),
        Err(HttpError::MissingMessage)
    );
    assert_eq!(post("/scep", b""), Err(HttpError::MissingMessage));
    assert_eq!(
        post("/scep?operation=PKIOperation", b" \r\n"),
        Err(HttpError::MissingMessage)
    );
    // Not DER, not base64.
    assert_eq!(
        post("/scep?operation=PKIOperation", b"\x04\x00"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        post("/scep?operation=PKIOperation", b"hello world!"),
        Err(HttpError::BadEncoding)
    );
    // Base64, but not of a SEQUENCE.
    assert_eq!(
        post("/scep?operation=PKIOperation", b"Zm9vYmFy"),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        post(
            "/scep?operation=PKIOperation",
            b"-----BEGIN X-----\nnot base64!\n-----END X-----\n"
        ),
        Err(HttpError::BadEncoding)
    );
    assert_eq!(
        post("/scep?operation=Nope", b"\x30\x00"),
        Err(HttpError::UnknownOperation)
    );
}

#[test]
fn post_other_operations_ignore_body() {
    let r = post("/scep?operation=GetCACaps", b"whatever").unwrap();
    assert_eq!(
        (r.operation, r.message, r.ca_ident),
        (Operation::GetCaCaps, None, None)
    );
}

// ---- Limits ----

#[test]
fn limits() {
    let d = HttpLimits::default();
    assert_eq!(d, HttpLimits::new());
    assert_eq!(d.max_query_len, 256 * 1024);
    assert_eq!(d.max_body_len, 256 * 1024);

    let small = HttpLimits::new()
        .with_max_query_len(40)
        .with_max_body_len(4);
    let target = "/scep?operation=PKIOperation&message=MAA="; // 41 bytes
    assert_eq!(target.len(), 41);
    assert_eq!(
        parse_request("GET", target, b"", &small),
        Err(HttpError::UriTooLong)
    );
    let small = small.with_max_query_len(41);
    assert_eq!(
        parse_request("GET", target, b"", &small)
            .unwrap()
            .message
            .unwrap(),
        [0x30, 0x00]
    );
    assert_eq!(
        parse_request("POST", "/scep", b"\x30\x03\x02\x01\x05", &small),
        Err(HttpError::TooLarge)
    );
    assert!(parse_request("POST", "/scep", b"\x30\x02\x05\x00", &small).is_ok());
    // A GET body is not looked at, so not limited.
    assert!(parse_request("GET", "/scep?operation=GetCACaps", &[0u8; 10], &small).is_ok());
}

#[test]
fn default_limits_fit_a_big_get() {
    // A 4096-bit key request with a chain is a few KiB of DER; 48 KiB is generous.
    let der: Vec<u8> = core::iter::once(0x30)
        .chain((0..48 * 1024).map(|i| (i % 251) as u8))
        .collect();
    let r = HttpRequest::pki_operation(DEFAULT_PATH, &der, false);
    assert!(r.path_and_query.len() < HttpLimits::DEFAULT.max_query_len);
    assert_eq!(get_msg(&r.path_and_query), der);
}

#[test]
fn error_status_codes() {
    assert_eq!(HttpError::MethodNotAllowed.status_code(), 405);
    assert_eq!(HttpError::UriTooLong.status_code(), 414);
    assert_eq!(HttpError::TooLarge.status_code(), 413);
    for e in [
        HttpError::MissingOperation,
        HttpError::UnknownOperation,
        HttpError::MissingMessage,
        HttpError::BadEncoding,
    ] {
        assert_eq!(e.status_code(), 400);
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn parser_never_panics_on_junk() {
    // A cheap deterministic sweep over short queries from a hostile alphabet.
    let alphabet: &[u8] = b"%=&?+/ -_aZ09\n#\xff";
    let mut seed: u32 = 1;
    for _ in 0..20_000 {
        let mut s = Vec::new();
        s.extend_from_slice(b"operation=PKIOperation&message=");
        for _ in 0..(seed % 24) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            s.push(alphabet[(seed >> 16) as usize % alphabet.len()]);
        }
        let text = String::from_utf8_lossy(&s);
        let _ = get(&text);
        let _ = post(&text, &s);
        let _ = decode_message(&s);
    }
}
