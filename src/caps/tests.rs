use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use der::asn1::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use super::*;
use crate::crypto::{
    BadSignature, ContentCipher, CryptoError, DecryptFailed, DigestOutput, Digests, KeyEncryptor,
    KeyTransport, SecureRandom, SignatureAlgorithm, Verifier,
};
use crate::crypto::{ContentEncryption, CryptoProvider, DigestAlgorithm};
use crate::error::{AlgorithmKind, Error};

// ---- A fake provider: supports what its lists say, does no crypto. ----

#[derive(Debug)]
struct FakeDigests(&'static [DigestAlgorithm]);

impl Digests for FakeDigests {
    fn supports(&self, alg: DigestAlgorithm) -> bool {
        self.0.contains(&alg)
    }
    fn digest(&self, _: DigestAlgorithm, _: &[u8]) -> Result<DigestOutput, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

#[derive(Debug)]
struct FakeCipher(&'static [ContentEncryption]);

impl ContentCipher for FakeCipher {
    fn supports(&self, alg: ContentEncryption) -> bool {
        self.0.contains(&alg)
    }
    fn encrypt(
        &self,
        _: ContentEncryption,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
    fn decrypt(
        &self,
        _: ContentEncryption,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        Err(DecryptFailed)
    }
}

#[derive(Debug)]
struct Nothing;

impl Verifier for Nothing {
    fn verify(
        &self,
        _: SignatureAlgorithm,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &[u8],
        _: &[u8],
    ) -> Result<(), BadSignature> {
        Err(BadSignature)
    }
}

impl KeyEncryptor for Nothing {
    fn encrypt_key(
        &self,
        _: KeyTransport,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &[u8],
        _: &mut dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

impl crate::crypto::KeyAgreement for Nothing {
    fn supports(&self, _: crate::crypto::EcCurve) -> bool {
        false
    }
    fn ephemeral_agree(
        &self,
        _: crate::crypto::EcCurve,
        _: &[u8],
        _: &mut dyn SecureRandom,
    ) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

impl crate::crypto::KeyWrap for Nothing {
    fn aes_wrap(&self, _: &[u8], _: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
    fn aes_unwrap(&self, _: &[u8], _: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        Err(DecryptFailed)
    }
    fn cbc_encrypt_blocks(
        &self,
        _: ContentEncryption,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
    fn cbc_decrypt_blocks(
        &self,
        _: ContentEncryption,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptFailed> {
        Err(DecryptFailed)
    }
    fn pbkdf2(
        &self,
        _: DigestAlgorithm,
        _: &[u8],
        _: &[u8],
        _: u32,
        _: &mut [u8],
    ) -> Result<(), CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

const ALL_DIGESTS: &[DigestAlgorithm] = &[
    #[cfg(feature = "insecure-legacy")]
    DigestAlgorithm::Md5,
    Sha1,
    DigestAlgorithm::Sha224,
    Sha256,
    DigestAlgorithm::Sha384,
    Sha512,
];
const ALL_CIPHERS: &[ContentEncryption] = &[
    #[cfg(feature = "insecure-legacy")]
    ContentEncryption::DesCbc,
    DesEde3Cbc,
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
];

static DIGESTS_ALL: FakeDigests = FakeDigests(ALL_DIGESTS);
static CIPHERS_ALL: FakeCipher = FakeCipher(ALL_CIPHERS);

const FULL: CryptoProvider = CryptoProvider {
    digests: &DIGESTS_ALL,
    verifier: &Nothing,
    key_encryptor: &Nothing,
    cipher: &CIPHERS_ALL,
    key_agreement: &Nothing,
    key_wrap: &Nothing,
};

fn with_ciphers(list: &'static [ContentEncryption]) -> CryptoProvider {
    let cipher: &'static FakeCipher =
        alloc::boxed::Box::leak(alloc::boxed::Box::new(FakeCipher(list)));
    CryptoProvider { cipher, ..FULL }
}

fn with_digests(list: &'static [DigestAlgorithm]) -> CryptoProvider {
    let digests: &'static FakeDigests =
        alloc::boxed::Box::leak(alloc::boxed::Box::new(FakeDigests(list)));
    CryptoProvider { digests, ..FULL }
}

fn caps(text: &str) -> Capabilities {
    Capabilities::parse(text.as_bytes())
}

fn nego(text: &str) -> Negotiated {
    caps(text).negotiate(&Policy::default(), &FULL).unwrap()
}

fn pair(n: Negotiated) -> (ContentEncryption, DigestAlgorithm, bool) {
    (n.cipher, n.digest, n.use_post)
}

use Capability as C;
use ContentEncryption::{Aes128Cbc, Aes192Cbc, Aes256Cbc, DesEde3Cbc};
use DigestAlgorithm::{Sha1, Sha256, Sha512};

// ---- Keywords ----

#[test]
fn keyword_spelling_round_trips() {
    for (cap, name) in &KNOWN {
        assert_eq!(cap.as_str(), *name);
        assert_eq!(&Capability::from_keyword(name), cap);
        assert_eq!(&Capability::from_keyword(&name.to_ascii_lowercase()), cap);
        assert_eq!(&Capability::from_keyword(&name.to_ascii_uppercase()), cap);
        assert_eq!(cap.to_string(), *name);
    }
    assert_eq!(
        C::from_keyword("Example.com-Foo"),
        C::Other("Example.com-Foo".into())
    );
    assert_eq!(C::from("  sha-256 "), C::Sha256);
    // Near misses are not the keyword.
    assert_eq!(C::from_keyword("SHA256"), C::Other("SHA256".into()));
    assert_eq!(C::from_keyword("SHA-256x"), C::Other("SHA-256x".into()));
}

// ---- Parsing: RFC 8894 §3.5.2 ----

#[test]
fn parse_lf_crlf_cr_and_mixed() {
    let want: Capabilities = [C::Aes, C::PostPkiOperation, C::Sha256]
        .into_iter()
        .collect();
    for body in [
        "AES\nPOSTPKIOperation\nSHA-256",
        "AES\nPOSTPKIOperation\nSHA-256\n",
        "AES\r\nPOSTPKIOperation\r\nSHA-256\r\n",
        "AES\rPOSTPKIOperation\rSHA-256\r",
        "AES\r\nPOSTPKIOperation\nSHA-256\r",
        "\n\n  AES  \r\n\r\n\tPOSTPKIOperation\t\n \nSHA-256\n\n",
        "SHA-256\nPOSTPKIOperation\nAES\n",           // any order
        "SHA-256\nAES\nPOSTPKIOperation\nAES\naes\n", // duplicates collapse
    ] {
        assert_eq!(caps(body), want, "{body:?}");
    }
}

#[test]
fn parse_is_case_insensitive() {
    let c = caps(
        "aes\nsha-256\nscepstandard\npostpkioperation\nrenewal\ngetnextcacert\ndes3\nSha-1\nsha-512\nupdate",
    );
    for (cap, _) in &KNOWN {
        assert!(c.contains(cap), "{cap:?}");
    }
    assert_eq!(c.len(), KNOWN.len());
}

#[test]
fn parse_keeps_unknown_keywords_as_sent() {
    let c = caps("AES\nFooBar\nExample.com-CapabilityName\r\n");
    let v: Vec<&Capability> = c.iter().collect();
    assert_eq!(
        v,
        [
            &C::Aes,
            &C::Other("FooBar".into()),
            &C::Other("Example.com-CapabilityName".into())
        ]
    );
    assert!(c.contains(&C::Other("foobar".into())));
    assert_eq!(c.render(), "AES\nFooBar\nExample.com-CapabilityName\n");
}

#[test]
fn parse_empty_and_blank_bodies() {
    assert!(caps("").is_empty());
    assert!(caps("\r\n\n \t \r").is_empty());
    assert!(Capabilities::parse(b"").is_empty());
}

#[test]
fn parse_skips_bad_lines_and_is_bounded() {
    // Non-UTF-8 line and NUL-bearing keyword are skipped; neighbours survive.
    let c = Capabilities::parse(b"AES\n\xff\xfe\nDES\x003\nSHA-256\n");
    assert_eq!(
        c.iter().cloned().collect::<Vec<_>>(),
        vec![C::Aes, C::Sha256]
    );
    // An over-long line is skipped, not truncated.
    let long = "A".repeat(MAX_KEYWORD_LEN + 1);
    let c = caps(&alloc::format!("AES\n{long}\nSHA-1"));
    assert_eq!(c.iter().cloned().collect::<Vec<_>>(), vec![C::Aes, C::Sha1]);
    let just = "B".repeat(MAX_KEYWORD_LEN);
    assert!(caps(&just).contains(&C::Other(just.clone())));
    // Only the first MAX_KEYWORDS non-blank lines are looked at.
    let mut body = String::new();
    for i in 0..MAX_KEYWORDS - 1 {
        body.push_str(&alloc::format!("X-{i}\n\n"));
    }
    body.push_str("AES\nSHA-256\n");
    let c = caps(&body);
    assert!(c.contains(&C::Aes));
    assert!(!c.contains(&C::Sha256));
    assert_eq!(c.len(), MAX_KEYWORDS);
    // A huge body is fine.
    let huge = "Z\n".repeat(100_000);
    assert_eq!(caps(&huge).len(), 1);
}

#[test]
fn parse_strips_bom() {
    let c = Capabilities::parse("\u{feff}AES\nSHA-256".as_bytes());
    assert!(c.contains(&C::Aes));
}

/// Rendering what was parsed and parsing it again gives the same set, even when a byte-order
/// mark starts a line that is not the first, or is doubled.
#[test]
fn parse_render_parse_is_stable_with_byte_order_marks() {
    for body in [
        "\u{feff}\u{feff}X",
        "\u{1}\n\u{feff}X",
        "AES\n\u{feff}Example.com-Cap",
        "\u{feff} \u{feff}Y\r\nSHA-1",
    ] {
        let parsed = Capabilities::parse(body.as_bytes());
        assert_eq!(
            Capabilities::parse(parsed.render().as_bytes()),
            parsed,
            "{body:?}"
        );
        assert!(!parsed.render().contains('\u{feff}'), "{body:?}");
    }
}

// ---- from_http: RFC 8894 §3.5.2 (an old CA answers with an error or nothing) ----

#[test]
fn from_http_errors_and_empty_mean_nothing() {
    assert!(Capabilities::from_http(200, b"").is_empty());
    assert!(Capabilities::from_http(404, b"AES\nSHA-256").is_empty());
    assert!(Capabilities::from_http(500, b"AES").is_empty());
    assert!(Capabilities::from_http(301, b"AES").is_empty());
    assert!(Capabilities::from_http(199, b"AES").is_empty());
    assert_eq!(Capabilities::from_http(200, b"AES"), caps("AES"));
    assert_eq!(Capabilities::from_http(204, b""), Capabilities::new());
    // Empty caps negotiate the §7.5 fallback.
    let n = Capabilities::from_http(500, b"junk")
        .negotiate(&Policy::new(), &FULL)
        .unwrap();
    assert_eq!(pair(n), (DesEde3Cbc, Sha1, false));
}

// ---- Rendering: RFC 8894 §3.5.2 (one keyword per line, as the RFC spells them) ----

#[test]
fn render_server_default_exactly() {
    let c = Capabilities::rfc8894_server();
    assert_eq!(
        c.render(),
        "AES\nDES3\nPOSTPKIOperation\nRenewal\nSHA-1\nSHA-256\nSHA-512\nSCEPStandard\n"
    );
    assert_eq!(c.to_string(), c.render());
    assert!(!c.supports_get_next_ca_cert());
    let c = c.with(C::GetNextCaCert);
    assert_eq!(
        c.render(),
        "AES\nDES3\nGetNextCACert\nPOSTPKIOperation\nRenewal\nSHA-1\nSHA-256\nSHA-512\nSCEPStandard\n"
    );
    // The render parses back to the same set.
    assert_eq!(Capabilities::parse(c.render().as_bytes()), c);
    assert_eq!(Capabilities::new().render(), "");
}

#[test]
fn render_is_canonical_spelling_and_order() {
    let c = caps("sha-256\nexample.com-x\naes\nscepstandard\nZ");
    assert_eq!(c.render(), "AES\nSHA-256\nSCEPStandard\nexample.com-x\nZ\n");
}

#[test]
fn insert_normalises_and_validates_other() {
    let mut c = Capabilities::new();
    assert!(c.insert(C::Other("aes".into())));
    assert_eq!(c.iter().next(), Some(&C::Aes));
    assert!(!c.insert(C::Aes));
    assert!(!c.insert(C::Other("".into())));
    assert!(!c.insert(C::Other("A\nB".into())));
    assert!(!c.insert(C::Other(" lead".into())));
    assert!(!c.insert(C::Other("x".repeat(MAX_KEYWORD_LEN + 1))));
    assert!(c.insert(C::Other("Example.com-X".into())));
    assert!(!c.insert(C::Other("EXAMPLE.COM-x".into())));
    assert_eq!(c.render(), "AES\nExample.com-X\n");
    assert!(c.remove(&C::Other("example.com-x".into())));
    assert!(!c.remove(&C::Sha1));
    assert_eq!(c.render(), "AES\n");
}

#[test]
fn iter_and_into_iter_agree() {
    let c = Capabilities::rfc8894_server();
    let a: Vec<&Capability> = c.iter().collect();
    let b: Vec<&Capability> = (&c).into_iter().collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), c.len());
    let mut e = Capabilities::new();
    e.extend(c.iter().cloned());
    assert_eq!(e, c);
}

// ---- Transport: RFC 8894 §3.5.2, §4.1 (POSTPKIOperation) ----

#[test]
fn supports_predicates() {
    assert!(caps("SCEPStandard").supports_post());
    assert!(caps("POSTPKIOperation").supports_post());
    assert!(!caps("AES\nSHA-256").supports_post());
    assert!(!Capabilities::new().supports_post());
    assert!(caps("renewal").supports_renewal());
    assert!(!caps("SCEPStandard").supports_renewal());
    assert!(caps("GetNextCACert").supports_get_next_ca_cert());
    assert!(!caps("GetNextCACertificate").supports_get_next_ca_cert());
}

// ---- Negotiation: RFC 8894 §3.5.2, §7.5 ----

#[test]
fn rfc_preferences() {
    // RFC 8894 §3.5.2: AES-128 and SHA-256 preferred.
    assert_eq!(
        pair(nego("AES\nDES3\nSHA-1\nSHA-256")),
        (Aes128Cbc, Sha256, false)
    );
    assert_eq!(pair(nego("DES3\nSHA-1")), (DesEde3Cbc, Sha1, false));
    assert_eq!(pair(nego("SCEPStandard")), (Aes128Cbc, Sha256, true));
    // SHA-256 over SHA-512 (RFC 8894 says SHA-256 SHOULD be used).
    assert_eq!(
        pair(nego("AES\nSHA-1\nSHA-256\nSHA-512\nPOSTPKIOperation")),
        (Aes128Cbc, Sha256, true)
    );
    assert_eq!(pair(nego("AES\nSHA-512\nSHA-1")).1, Sha512);
    assert_eq!(pair(nego("AES\nSHA-512")).1, Sha512);
    assert_eq!(pair(nego("DES3\nSHA-256")), (DesEde3Cbc, Sha256, false));
    // A cipher without a digest (or the reverse) falls back per kind.
    assert_eq!(pair(nego("AES")), (Aes128Cbc, Sha1, false));
    assert_eq!(pair(nego("SHA-256")), (DesEde3Cbc, Sha256, false));
    assert_eq!(pair(nego("POSTPKIOperation")), (DesEde3Cbc, Sha1, true));
    // Unknown keywords change nothing.
    assert_eq!(
        pair(nego("Example.com-AES256\nFooBar")),
        (DesEde3Cbc, Sha1, false)
    );
    // The server default negotiates to the RFC algorithms.
    let n = Capabilities::rfc8894_server()
        .negotiate(&Policy::new(), &FULL)
        .unwrap();
    assert_eq!(pair(n), (Aes128Cbc, Sha256, true));
}

#[test]
fn scep_standard_implies_aes_post_sha256() {
    // Even alongside older keywords.
    assert_eq!(
        pair(nego("SCEPStandard\nDES3\nSHA-1")),
        (Aes128Cbc, Sha256, true)
    );
    assert_eq!(
        pair(nego("scepstandard\nSHA-512")),
        (Aes128Cbc, Sha256, true)
    );
}

#[test]
fn empty_caps_fallback_is_3des_sha1() {
    // RFC 8894 §2.9, §7.5: never DES/MD5 by default, even with the feature compiled in.
    assert_eq!(pair(nego("")), (DesEde3Cbc, Sha1, false));
}

#[test]
fn prefer_aes256() {
    let p = Policy::new().with_prefer_aes256(true);
    let n = caps("AES\nSHA-256").negotiate(&p, &FULL).unwrap();
    assert_eq!(n.cipher, Aes256Cbc);
    let n = caps("SCEPStandard").negotiate(&p, &FULL).unwrap();
    assert_eq!(n.cipher, Aes256Cbc);
    // No effect without AES.
    let n = caps("DES3").negotiate(&p, &FULL).unwrap();
    assert_eq!(n.cipher, DesEde3Cbc);
}

#[test]
fn require_scep_standard() {
    let p = Policy::new().with_require_scep_standard(true);
    assert_eq!(
        caps("AES\nSHA-256\nPOSTPKIOperation").negotiate(&p, &FULL),
        Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption
        ))
    );
    assert_eq!(
        Capabilities::new().negotiate(&p, &FULL),
        Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption
        ))
    );
    assert_eq!(
        pair(caps("SCEPStandard").negotiate(&p, &FULL).unwrap()),
        (Aes128Cbc, Sha256, true)
    );
    // Require wins over assume.
    let both = p.with_assume_scep_standard(true);
    assert!(caps("DES3").negotiate(&both, &FULL).is_err());
}

#[test]
fn assume_scep_standard() {
    let p = Policy::new().with_assume_scep_standard(true);
    assert_eq!(
        pair(Capabilities::new().negotiate(&p, &FULL).unwrap()),
        (Aes128Cbc, Sha256, true)
    );
    assert_eq!(
        pair(caps("DES3\nSHA-1").negotiate(&p, &FULL).unwrap()),
        (Aes128Cbc, Sha256, true)
    );
}

#[test]
fn ndes_profile() {
    // RFC 8894 §3.5.2 (NDES note): NDES advertises AES/SHA-2 but only 3DES/SHA-1 works.
    let p = Policy::ndes();
    assert!(p.ndes_quirks);
    let n = caps("AES\nSHA-256\nSHA-512\nPOSTPKIOperation\nRenewal")
        .negotiate(&p, &FULL)
        .unwrap();
    assert_eq!(pair(n), (DesEde3Cbc, Sha1, true));
    let n = Capabilities::new().negotiate(&p, &FULL).unwrap();
    assert_eq!(pair(n), (DesEde3Cbc, Sha1, false));
}

#[test]
fn provider_limits_the_choice() {
    // AES advertised, provider only has AES-256: take AES-256.
    static ONLY256: [ContentEncryption; 2] = [Aes256Cbc, DesEde3Cbc];
    let p = with_ciphers(&ONLY256);
    assert_eq!(
        caps("AES\nDES3")
            .negotiate(&Policy::new(), &p)
            .unwrap()
            .cipher,
        Aes256Cbc
    );
    // Only AES-192 among AES sizes.
    static ONLY192: [ContentEncryption; 1] = [Aes192Cbc];
    let p = with_ciphers(&ONLY192);
    assert_eq!(
        caps("AES").negotiate(&Policy::new(), &p).unwrap().cipher,
        Aes192Cbc
    );
    // No AES in the provider: fall back to the advertised 3DES.
    static NO_AES: [ContentEncryption; 1] = [DesEde3Cbc];
    let p = with_ciphers(&NO_AES);
    assert_eq!(
        caps("AES\nDES3")
            .negotiate(&Policy::new(), &p)
            .unwrap()
            .cipher,
        DesEde3Cbc
    );
    // ... but never an unadvertised one.
    assert_eq!(
        caps("AES").negotiate(&Policy::new(), &p),
        Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption
        ))
    );
    // Provider without 3DES and a CA that advertises nothing: error, not a guess.
    static AES_ONLY: [ContentEncryption; 1] = [Aes128Cbc];
    let p = with_ciphers(&AES_ONLY);
    assert_eq!(
        Capabilities::new().negotiate(&Policy::new(), &p),
        Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption
        ))
    );
    // Digests likewise.
    static NO_SHA256: [DigestAlgorithm; 2] = [Sha1, Sha512];
    let p = with_digests(&NO_SHA256);
    assert_eq!(
        caps("AES\nSHA-256\nSHA-512\nSHA-1")
            .negotiate(&Policy::new(), &p)
            .unwrap()
            .digest,
        Sha512
    );
    assert_eq!(
        caps("SHA-256").negotiate(&Policy::new(), &p),
        Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest))
    );
    static NOTHING: [DigestAlgorithm; 0] = [];
    let p = with_digests(&NOTHING);
    assert_eq!(
        Capabilities::new().negotiate(&Policy::new(), &p),
        Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest))
    );
}

#[test]
fn policy_default_is_new() {
    assert_eq!(Policy::default(), Policy::new());
    let p = Policy::default();
    assert!(
        !p.prefer_aes256 && !p.require_scep_standard && !p.assume_scep_standard && !p.ndes_quirks
    );
}

#[test]
fn negotiation_never_picks_legacy_without_opt_in() {
    for body in [
        "",
        "AES",
        "DES3",
        "SHA-1",
        "Foo",
        "POSTPKIOperation\nRenewal",
    ] {
        let n = nego(body);
        assert!(!n.cipher.is_legacy() && !n.digest.is_legacy(), "{body:?}");
    }
}

#[cfg(feature = "insecure-legacy")]
mod legacy {
    use super::*;

    #[test]
    fn allow_legacy_only_when_nothing_better_is_advertised() {
        let p = Policy::new().with_legacy(crate::crypto::Legacy::allow().unwrap());
        let n = Capabilities::new().negotiate(&p, &FULL).unwrap();
        assert_eq!(
            (n.cipher, n.digest),
            (ContentEncryption::DesCbc, DigestAlgorithm::Md5)
        );
        // Any advertised cipher or digest wins over the legacy fallback, per kind.
        let n = caps("DES3").negotiate(&p, &FULL).unwrap();
        assert_eq!((n.cipher, n.digest), (DesEde3Cbc, DigestAlgorithm::Md5));
        let n = caps("SHA-1").negotiate(&p, &FULL).unwrap();
        assert_eq!((n.cipher, n.digest), (ContentEncryption::DesCbc, Sha1));
        let n = caps("AES\nSHA-256").negotiate(&p, &FULL).unwrap();
        assert_eq!((n.cipher, n.digest), (Aes128Cbc, Sha256));
        let n = caps("SCEPStandard").negotiate(&p, &FULL).unwrap();
        assert_eq!((n.cipher, n.digest), (Aes128Cbc, Sha256));
        // Assumed SCEPStandard overrides the legacy fallback.
        let n = Capabilities::new()
            .negotiate(&p.with_assume_scep_standard(true), &FULL)
            .unwrap();
        assert_eq!((n.cipher, n.digest), (Aes128Cbc, Sha256));
        // NDES profile never goes below 3DES/SHA-1.
        let n = Capabilities::new()
            .negotiate(&p.with_ndes_quirks(true), &FULL)
            .unwrap();
        assert_eq!((n.cipher, n.digest), (DesEde3Cbc, Sha1));
    }

    #[test]
    fn legacy_falls_back_to_3des_when_provider_lacks_des() {
        static NO_DES: [ContentEncryption; 1] = [DesEde3Cbc];
        static NO_MD5: [DigestAlgorithm; 1] = [Sha1];
        let p = Policy::new().with_legacy(crate::crypto::Legacy::allow().unwrap());
        assert_eq!(
            Capabilities::new()
                .negotiate(&p, &with_ciphers(&NO_DES))
                .unwrap()
                .cipher,
            DesEde3Cbc
        );
        assert_eq!(
            Capabilities::new()
                .negotiate(&p, &with_digests(&NO_MD5))
                .unwrap()
                .digest,
            Sha1
        );
    }

    #[test]
    fn legacy_off_by_default_even_when_compiled() {
        assert!(!Policy::default().legacy.is_allowed());
        let n = Capabilities::new()
            .negotiate(&Policy::default(), &FULL)
            .unwrap();
        assert_eq!((n.cipher, n.digest), (DesEde3Cbc, Sha1));
    }
}

#[test]
fn oid_sanity() {
    // The negotiated algorithms map to the RFC OIDs (a guard against enum mix-ups).
    let n = nego("SCEPStandard");
    assert_eq!(
        n.cipher.oid(),
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2")
    );
    assert_eq!(
        n.digest.oid(),
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1")
    );
}

#[test]
fn forced_algorithms_override_the_advertised_set() {
    // AES-192 is never chosen from keywords; forcing it works whatever the CA says, and the
    // other half of the negotiation is unaffected.
    let p = Policy::new().with_cipher(Some(Aes192Cbc));
    for body in ["", "DES3\nSHA-1", "SCEPStandard", "AES\nSHA-512"] {
        let n = caps(body).negotiate(&p, &FULL).unwrap();
        assert_eq!(n.cipher, Aes192Cbc, "{body:?}");
        assert_eq!(n.digest, nego(body).digest, "{body:?}");
        assert_eq!(n.use_post, nego(body).use_post, "{body:?}");
    }
    let p = Policy::new().with_digest(Some(Sha512));
    let n = caps("DES3\nSHA-1").negotiate(&p, &FULL).unwrap();
    assert_eq!((n.cipher, n.digest), (DesEde3Cbc, Sha512));
    // Forcing beats the NDES profile.
    let p = Policy::ndes()
        .with_cipher(Some(Aes256Cbc))
        .with_digest(Some(Sha256));
    let n = caps("AES").negotiate(&p, &FULL).unwrap();
    assert_eq!((n.cipher, n.digest), (Aes256Cbc, Sha256));
    // The provider must implement it.
    static ONLY128: [ContentEncryption; 1] = [Aes128Cbc];
    assert_eq!(
        caps("AES").negotiate(
            &Policy::new().with_cipher(Some(Aes256Cbc)),
            &with_ciphers(&ONLY128)
        ),
        Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption
        ))
    );
    static NO_SHA512: [DigestAlgorithm; 1] = [Sha256];
    assert_eq!(
        caps("SHA-512").negotiate(
            &Policy::new().with_digest(Some(Sha512)),
            &with_digests(&NO_SHA512)
        ),
        Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest))
    );
}

#[cfg(feature = "insecure-legacy")]
#[test]
fn forced_legacy_algorithms_need_the_opt_in() {
    let des = Policy::new().with_cipher(Some(ContentEncryption::DesCbc));
    let md5 = Policy::new().with_digest(Some(DigestAlgorithm::Md5));
    assert_eq!(caps("").negotiate(&des, &FULL), Err(Error::LegacyAlgorithm));
    assert_eq!(caps("").negotiate(&md5, &FULL), Err(Error::LegacyAlgorithm));
    let n = caps("AES")
        .negotiate(
            &des.with_legacy(crate::crypto::Legacy::allow().unwrap()),
            &FULL,
        )
        .unwrap();
    assert_eq!(n.cipher, ContentEncryption::DesCbc);
    let n = caps("SHA-256")
        .negotiate(
            &md5.with_legacy(crate::crypto::Legacy::allow().unwrap()),
            &FULL,
        )
        .unwrap();
    assert_eq!(n.digest, DigestAlgorithm::Md5);
}
