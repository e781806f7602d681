//! The crate's BER reader on the real messages in `../shared/vectors` (through the private
//! `scep::internal` entry points, hence `__fuzzing`): every `.der` file reads and normalises,
//! the BER ones change and the DER ones do not, the BER twins carry the same content, the Cisco
//! PIX and micromdm captures have the structure the CMS layer relies on, and no prefix or
//! mutation of them panics. (These were unit tests in `src/asn1/ber.rs`, which must not read
//! `SCEP_VECTORS`.)

use std::path::{Path, PathBuf};

use der::Decode as _;
use scep::error::{Error, Limit};
use scep::internal::{
    BerElement, ber_finish_lenient, ber_header_len, ber_string, ber_to_der, ber_tree, ber_walk,
};

use crate::support;

const DEPTH: u8 = 32;

/// OID content octets of `pkcs-7` (1.2.840.113549.1.7), the arc of all CMS content types.
const PKCS7_ARC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

/// Vector files whose framing is BER (indefinite lengths or constructed strings); every
/// other `.der` file must come back from `to_der` unchanged.
const BER_VECTORS: &[&str] = &[
    "ejbca/ciscopix_pkcsreq_ber.der",
    "rustcrypto-formats/ejbca_certsonly_ber_skeleton.der",
    "rustcrypto-formats/signed_ecdsa_ber.der",
    "smallstep-pkcs7/aws_ec2_identity_document_dsa.der",
    "smallstep-pkcs7/ber_indefinite_wild.der",
];

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn der_files(root: &Path) -> Vec<PathBuf> {
    let mut list = Vec::new();
    files(root, &mut list);
    list.retain(|p| p.extension().is_some_and(|e| e == "der"));
    list
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Whether `input` is a CMS ContentInfo (SEQUENCE { OID under pkcs-7, [0] ... }).
fn is_content_info(input: &[u8]) -> bool {
    let Ok((ci, _)) = ber_tree(input, DEPTH) else {
        return false;
    };
    let (Some(oid), Some(explicit)) = (ci.child(0), ci.child(1)) else {
        return false;
    };
    is(&ci, 0, 16)
        && is(oid, 0, 6)
        && oid.content(input).starts_with(PKCS7_ARC)
        && is(explicit, 2, 0)
        && explicit.constructed
}

fn is(e: &BerElement, class: u8, number: u32) -> bool {
    e.class == class && e.number == number
}

/// `path` from `e`, one child index per step.
fn at<'e>(e: &'e BerElement, path: &[usize]) -> &'e BerElement {
    path.iter().fold(e, |e, &i| {
        e.child(i)
            .unwrap_or_else(|| panic!("no child {i} on the path {path:?}"))
    })
}

/// A small INTEGER's value.
fn uint(e: &BerElement, input: &[u8]) -> u32 {
    assert!(is(e, 0, 2));
    e.content(input)
        .iter()
        .fold(0u32, |v, b| v * 256 + u32::from(*b))
}

#[test]
fn smallstep_regressions() {
    let Some(root) = support::vectors() else {
        return;
    };
    let dir = root.join("smallstep-pkcs7/regressions");
    let expected_der = [
        ("ber2der_indefinite_simple.valid.bin", "30 03 02 01 01"),
        (
            "ber2der_nested_multiple_indefinite.valid.bin",
            "30 0A 30 03 02 01 01 30 03 02 01 02",
        ),
    ];
    let mut seen = 0;
    let mut list = Vec::new();
    files(&dir, &mut list);
    for path in list {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(&path).unwrap();
        if name.ends_with(".valid.bin") {
            let (_, der) = expected_der
                .iter()
                .find(|(n, _)| *n == name)
                .expect("expected DER listed");
            assert!(ber_walk(&input, DEPTH).is_ok(), "{name}");
            assert_eq!(ber_to_der(&input, DEPTH), Ok(hex(der)), "{name}");
        } else {
            assert!(ber_walk(&input, DEPTH).is_err(), "{name} must be rejected");
            assert!(
                ber_to_der(&input, DEPTH).is_err(),
                "{name} must be rejected"
            );
            assert!(ber_tree(&input, DEPTH).is_err(), "{name} must be rejected");
        }
        seen += 1;
    }
    assert_eq!(seen, 9);
    // The header itself is refused.
    let zero = std::fs::read(dir.join("ber2der_length_leading_zero.bin")).unwrap();
    assert!(ber_header_len(&zero).is_err());
    let negative = std::fs::read(dir.join("ber2der_length_negative.bin")).unwrap();
    assert!(ber_header_len(&negative).is_err());
}

#[test]
fn all_der_vectors() {
    let Some(root) = support::vectors() else {
        return;
    };
    let (mut ber, mut der, mut cms) = (0, 0, 0);
    for path in der_files(&root) {
        let name = rel(&root, &path);
        let input = std::fs::read(&path).unwrap();
        assert!(ber_walk(&input, DEPTH).is_ok(), "{name}");
        let normalised = ber_to_der(&input, DEPTH).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        if is_content_info(&input) {
            cms += 1;
            cms::content_info::ContentInfo::from_der(&normalised)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if BER_VECTORS.contains(&name.as_str()) {
            ber += 1;
            assert_ne!(normalised, input, "{name}");
            assert!(normalised.len() <= input.len(), "{name}");
            assert_eq!(
                ber_to_der(&normalised, DEPTH).as_ref(),
                Ok(&normalised),
                "{name}: not idempotent"
            );
            assert!(ber_walk(&normalised, DEPTH).is_ok(), "{name}");
        } else {
            der += 1;
            assert!(
                normalised == input,
                "{name}: DER input not returned unchanged"
            );
        }
    }
    assert_eq!(ber, BER_VECTORS.len());
    assert!(der >= 30, "{der}");
    assert!(cms >= 25, "{cms}");
    println!("{cms} ContentInfos, {ber} BER and {der} DER files");
}

/// ContentInfo → [0] → SignedData → encapContentInfo → [0] → the eContent OCTET STRING.
const ECONTENT: &[usize] = &[1, 0, 2, 1, 0];

#[test]
fn ber_twin_has_the_same_econtent() {
    let Some(root) = support::vectors() else {
        return;
    };
    // Not byte-for-byte twins (different signer certificates), but the same eContent.
    let econtent = |name: &str| {
        let input = std::fs::read(root.join(name)).unwrap();
        let (ci, _) = ber_tree(&input, DEPTH).unwrap();
        let os = at(&ci, ECONTENT);
        assert!(is(os, 0, 4), "{name}");
        let (content, _) = ber_string(os.raw(&input), DEPTH, 1 << 20).unwrap();
        (content, os.constructed)
    };
    let (ber, ber_constructed) = econtent("rustcrypto-formats/signed_ecdsa_ber.der");
    let (der, der_constructed) = econtent("rustcrypto-formats/signed_ecdsa_der.der");
    assert!(ber_constructed && !der_constructed);
    assert_eq!(ber.len(), 10_034);
    assert!(ber == der);
}

#[test]
fn cisco_pix() {
    let Some(root) = support::vectors() else {
        return;
    };
    let input = std::fs::read(root.join("ejbca/ciscopix_pkcsreq_ber.der")).unwrap();
    let (ci, used) = ber_tree(&input, DEPTH).unwrap();
    assert!(is(&ci, 0, 16) && ci.indefinite && used == input.len());
    assert!(ci.raw(&input).ends_with(&[0, 0]));
    assert_eq!(ci.children.len(), 2);
    assert_eq!(
        ci.child(0).unwrap().content(&input),
        &hex("2a 86 48 86 f7 0d 01 07 02")[..]
    );
    let explicit = ci.child(1).unwrap();
    assert!(is(explicit, 2, 0) && explicit.children.len() == 1);
    let sd = at(&ci, &[1, 0]);
    assert!(is(sd, 0, 16));
    // version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos: no [1] CRLs.
    assert_eq!(sd.children.len(), 5);
    assert_eq!(uint(sd.child(0).unwrap(), &input), 1);
    assert!(is(sd.child(1).unwrap(), 0, 17));
    let certs = sd.child(3).unwrap();
    assert!(is(certs, 2, 0) && certs.indefinite && certs.descendants() > 10);
    let signer_infos = sd.child(4).unwrap();
    assert!(is(signer_infos, 0, 17) && signer_infos.indefinite);

    let eci = sd.child(2).unwrap();
    assert_eq!(
        eci.child(0).unwrap().content(&input),
        &hex("2a 86 48 86 f7 0d 01 07 01")[..]
    );
    let econtent = at(eci, &[1]);
    assert!(is(econtent, 2, 0) && econtent.children.len() == 1);
    let os = at(econtent, &[0]);
    assert!(is(os, 0, 4) && os.constructed && os.indefinite);
    let (content, borrowed) = ber_string(os.raw(&input), DEPTH, 1 << 20).unwrap();
    assert!(!borrowed);
    assert_eq!(content.len(), 921);
    assert_eq!(
        ber_string(os.raw(&input), DEPTH, 920),
        Err(Error::LimitExceeded(Limit::MessageSize))
    );

    // The eContent: an indefinite EnvelopedData ContentInfo. The zeros at its end are the
    // EnvelopedData's end-of-contents, not padding: nothing remains.
    let (env_ci, env_used) = ber_tree(&content, DEPTH).unwrap();
    assert!(env_ci.indefinite);
    assert_eq!(env_used, content.len());
    assert!(ber_walk(&content, DEPTH).is_ok());
    // Padding after the content, as other PIX versions send it, passes only the lenient end.
    let mut padded = content.clone();
    padded.extend_from_slice(&[0; 8]);
    assert_eq!(ber_tree(&padded, DEPTH).unwrap().1, content.len());
    assert!(ber_walk(&padded, DEPTH).is_err());
    ber_finish_lenient(&padded, DEPTH).unwrap();
    assert_eq!(
        env_ci.child(0).unwrap().content(&content),
        &hex("2a 86 48 86 f7 0d 01 07 03")[..]
    );
    let ed = at(&env_ci, &[1, 0]);
    assert_eq!(uint(ed.child(0).unwrap(), &content), 0);
    let ris = ed.child(1).unwrap();
    assert!(is(ris, 0, 17) && ris.indefinite);
    assert_eq!(ed.children.len(), 3);
    let enc_ci = ed.child(2).unwrap();
    assert_eq!(enc_ci.children.len(), 3);
    let enc = enc_ci.child(2).unwrap();
    assert!(is(enc, 2, 0) && enc.indefinite);
    let (ciphertext, _) = ber_string(enc.raw(&content), DEPTH, 1 << 20).unwrap();
    // Two chunks: 448 + 8 octets.
    assert_eq!(enc.children.len(), 2);
    assert_eq!(ciphertext.len(), 456);
    assert_eq!(&ciphertext[..4], &hex("03 57 ba b1")[..]);

    // to_der: one primitive OCTET STRING for the eContent, padding kept.
    let der = ber_to_der(&input, DEPTH).unwrap();
    let (der_ci, _) = ber_tree(&der, DEPTH).unwrap();
    assert!(!der_ci.indefinite);
    assert!(ber_walk(&der, DEPTH).is_ok());
    let mut needle = hex("04 82 03 99"); // OCTET STRING, 921 octets
    needle.extend_from_slice(&content);
    assert!(der.windows(needle.len()).any(|w| w == needle));
    // The `der` crate reads the normalised output. (Not `SignedData` as a whole: the PIX
    // certificate has a 32-octet serial number, which x509-cert refuses.)
    let parsed = cms::content_info::ContentInfo::from_der(&der).unwrap();
    assert_eq!(parsed.content_type, const_oid::db::rfc5911::ID_SIGNED_DATA);
}

#[test]
fn micromdm_encrypted_content() {
    let Some(root) = support::vectors() else {
        return;
    };
    // CertRep_success_micromdm_2016: the EnvelopedData inside the eContent carries its
    // encryptedContent as a constructed [0] holding one definite-length OCTET STRING.
    let input =
        std::fs::read(root.join("smallstep-scep/CertRep_success_micromdm_2016.der")).unwrap();
    let (ci, _) = ber_tree(&input, DEPTH).unwrap();
    let os = at(&ci, ECONTENT);
    assert!(is(os, 0, 4) && !os.constructed);
    let (payload, borrowed) = ber_string(os.raw(&input), DEPTH, 1 << 20).unwrap();
    assert!(borrowed);

    let (env, used) = ber_tree(&payload, DEPTH).unwrap();
    assert_eq!(used, payload.len());
    let ed = at(&env, &[1, 0]);
    assert_eq!(uint(ed.child(0).unwrap(), &payload), 0);
    assert!(is(ed.child(1).unwrap(), 0, 17));
    let enc = at(ed, &[2, 2]);
    assert!(is(enc, 2, 0) && enc.constructed && !enc.indefinite);
    let (ciphertext, borrowed) = ber_string(enc.raw(&payload), DEPTH, 1 << 20).unwrap();
    assert!(!borrowed);
    assert_eq!(ciphertext.len(), 1024);
    assert_eq!(&ciphertext[..4], &hex("c3 0b 32 56")[..]);
    // The primitive form of the same field is borrowed.
    let mut primitive = enc.raw(&payload).to_vec();
    primitive[0] = 0x80;
    assert!(ber_string(&primitive, DEPTH, 1 << 20).is_ok_and(|(_, b)| b));
}

#[test]
fn prefixes_and_mutations_do_not_panic() {
    let Some(root) = support::vectors() else {
        return;
    };
    let mut inputs: Vec<(String, Vec<u8>)> = BER_VECTORS
        .iter()
        .map(|n| ((*n).into(), std::fs::read(root.join(n)).unwrap()))
        .collect();
    for name in [
        "ber2der_indefinite_simple.valid.bin",
        "ber2der_nested_multiple_indefinite.valid.bin",
    ] {
        let path = root.join("smallstep-pkcs7/regressions").join(name);
        inputs.push((name.into(), std::fs::read(path).unwrap()));
    }
    let exercise = |input: &[u8]| {
        let _ = ber_walk(input, DEPTH);
        let _ = ber_tree(input, DEPTH);
        let _ = ber_to_der(input, DEPTH);
        let _ = ber_string(input, DEPTH, usize::MAX);
    };
    for (name, input) in &inputs {
        for cut in 0..input.len() {
            let prefix = &input[..cut];
            // The whole file is one element, so no strict prefix reads.
            assert!(ber_tree(prefix, DEPTH).is_err(), "{name} cut at {cut}");
            exercise(prefix);
        }
        if input.len() <= 4096 {
            let mut mutated = input.clone();
            for i in 0..input.len() {
                for v in [0x00, 0x80, 0xff, 0x1f, 0x24] {
                    mutated[i] = v;
                    exercise(&mutated);
                }
                mutated[i] = input[i];
            }
        }
    }
}

#[test]
fn prefixes_of_cms_der_vectors_error() {
    let Some(root) = support::vectors() else {
        return;
    };
    for path in der_files(&root) {
        let input = std::fs::read(&path).unwrap();
        for cut in (0..input.len()).step_by(7) {
            assert!(
                ber_to_der(&input[..cut], DEPTH).is_err(),
                "{} cut at {cut}",
                rel(&root, &path)
            );
        }
    }
}
