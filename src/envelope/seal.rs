//! Sealing a pkiMessage: payload → EnvelopedData → SignedData, all DER.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::asn1::enc::{self, CTX0_CONS, CTX0_PRIM, OCTET_STRING, SEQUENCE, SET};
use crate::attr::is_printable;
use crate::cert::Certificate;
use crate::crypto::{
    ContentEncryption, CryptoError, CryptoProvider, DigestAlgorithm, KeyTransport, SecureRandom,
    SignatureAlgorithm, Signer,
};
use crate::error::{AlgorithmKind, Error};
use crate::message::{CertRep, MessageBody, PkiMessage};
use crate::oid;

use super::{SealOptions, SignatureOid};

/// Encodes, encrypts (to `recipient`) and signs (with `signer`) a pkiMessage, in DER.
///
/// FAILURE and PENDING replies carry no envelope, and `recipient` may be `None` for them. Every
/// string attribute is a PrintableString, except a received transaction ID that is not
/// printable, which is echoed as the UTF8String it came as. `senderNonce` is required.
///
/// # Errors
/// [`Error::InvalidInput`] (no sender nonce, no recipient where one is needed),
/// [`Error::LegacyAlgorithm`], [`Error::UnsupportedAlgorithm`], [`Error::Crypto`].
pub fn seal(
    msg: &PkiMessage,
    signer: &dyn Signer,
    recipient: Option<&Certificate>,
    opts: &SealOptions<'_>,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<Vec<u8>, Error> {
    let sig_alg = opts.signature_algorithm(signer);
    let digest = sig_alg.digest();
    if (digest.is_legacy() || opts.content_encryption.is_legacy()) && !opts.legacy_allowed() {
        return Err(Error::LegacyAlgorithm);
    }
    if !provider.digests.supports(digest) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let sender_nonce = msg.sender_nonce.as_ref().ok_or(Error::InvalidInput)?;

    let econtent = if msg.body.has_envelope() {
        if recipient.is_none() && opts.key_transport != KeyTransport::Password {
            return Err(Error::InvalidInput);
        }
        Some(match &msg.body {
            // A CSR is sent as it is: no copy.
            MessageBody::PkcsReq(csr) | MessageBody::RenewalReq(csr) => {
                envelope(csr.as_der(), recipient, opts, provider, rng)?
            }
            body => {
                let payload = Zeroizing::new(payload_der(body)?);
                envelope(&payload, recipient, opts, provider, rng)?
            }
        })
    } else {
        None
    };

    // Signed attributes besides contentType, messageDigest and signingTime; `signed_data` adds
    // those and sorts them all into a DER SET.
    let mut attrs = Attributes::new();
    attrs.printable(&oid::MESSAGE_TYPE, msg.message_type().as_str())?;
    attrs.string(&oid::TRANSACTION_ID, msg.transaction_id.as_str())?;
    attrs.push(&oid::SENDER_NONCE, |v| {
        enc::tlv(v, OCTET_STRING, sender_nonce.as_bytes());
        Ok(())
    })?;
    if let Some(n) = &msg.recipient_nonce {
        attrs.push(&oid::RECIPIENT_NONCE, |v| {
            enc::tlv(v, OCTET_STRING, n.as_bytes());
            Ok(())
        })?;
    }
    if let MessageBody::CertRep(rep) = &msg.body {
        attrs.printable(&oid::PKI_STATUS, rep.status().as_str())?;
        if let CertRep::Failure { info, text } = rep {
            attrs.printable(&oid::FAIL_INFO, info.as_str())?;
            if let Some(text) = text {
                attrs.push(&oid::FAIL_INFO_TEXT, |v| {
                    enc::tlv(v, enc::UTF8_STRING, text.as_str().as_bytes());
                    Ok(())
                })?;
            }
        }
    }
    signed_data(
        econtent.as_deref(),
        attrs,
        opts.signing_time,
        signer,
        sig_alg,
        provider,
        opts.extra_certificates,
        opts.signature_oid,
    )
}

/// Signed attributes as they are written: encoded `Attribute`s one after another in one
/// buffer, sorted into a DER SET when the SignerInfo is written.
pub(crate) struct Attributes {
    buf: Vec<u8>,
    /// Where each attribute starts and ends in `buf`.
    spans: [(usize, usize); Attributes::MAX],
    len: usize,
}

impl Attributes {
    /// More than any message of ours carries (seven SCEP attributes and three CMS ones).
    const MAX: usize = 12;

    pub(crate) fn new() -> Self {
        Self {
            // Room for every attribute of a CertRep FAILURE with a short text without growing.
            buf: Vec::with_capacity(384),
            spans: [(0, 0); Self::MAX],
            len: 0,
        }
    }

    /// Appends the `Attribute` `id` with the single value that `value` writes.
    fn push(
        &mut self,
        id: &der::asn1::ObjectIdentifier,
        value: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let span = self.spans.get_mut(self.len).ok_or(Error::Encode)?;
        let start = self.buf.len();
        enc::nested(&mut self.buf, SEQUENCE, |a| {
            enc::oid(a, id);
            enc::nested(a, SET, value)
        })?;
        *span = (start, self.buf.len());
        self.len += 1;
        Ok(())
    }

    fn printable(&mut self, id: &der::asn1::ObjectIdentifier, s: &str) -> Result<(), Error> {
        self.push(id, |v| {
            enc::tlv(v, enc::PRINTABLE_STRING, s.as_bytes());
            Ok(())
        })
    }

    /// PrintableString when the text allows it; otherwise (an echoed peer transaction ID) the
    /// UTF8String it arrived as.
    fn string(&mut self, id: &der::asn1::ObjectIdentifier, s: &str) -> Result<(), Error> {
        let tag = if is_printable(s) {
            enc::PRINTABLE_STRING
        } else {
            enc::UTF8_STRING
        };
        self.push(id, |v| {
            enc::tlv(v, tag, s.as_bytes());
            Ok(())
        })
    }

    /// Appends the attributes as a SET OF with tag `tag`, sorted by their encodings (DER).
    fn write_set(&mut self, out: &mut Vec<u8>, tag: u8) {
        let buf = &self.buf;
        let spans = self.spans.get_mut(..self.len).unwrap_or(&mut []);
        spans.sort_unstable_by(|a, b| buf.get(a.0..a.1).cmp(&buf.get(b.0..b.1)));
        out.push(tag);
        enc::push_len(out, buf.len());
        for &(start, end) in spans.iter() {
            out.extend_from_slice(buf.get(start..end).unwrap_or(&[]));
        }
    }
}

/// `ContentInfo(SignedData)` with one signer, in DER: `eContentType` id-data, `eContent` when
/// given, the signer's certificate followed by `extra_certificates` (the signer's not twice),
/// and signed attributes contentType (id-data), messageDigest (over `econtent`, or over nothing
/// when it is absent), signingTime when given, and `attrs`.
///
/// Written into one buffer sized up front: certificates are copied from the `Certificate`s
/// once, and the signed attributes are signed where they lie in the message.
///
/// Shared by [`seal`] and GetNextCACert (`crate::ca_certs`).
#[allow(clippy::too_many_arguments)] // one call site each in seal and GetNextCACert
pub(crate) fn signed_data(
    econtent: Option<&[u8]>,
    mut attrs: Attributes,
    signing_time: Option<der::DateTime>,
    signer: &dyn Signer,
    sig_alg: SignatureAlgorithm,
    provider: &CryptoProvider,
    extra_certificates: &[Certificate],
    signature_oid: SignatureOid,
) -> Result<Vec<u8>, Error> {
    let digest = sig_alg.digest();
    if !provider.digests.supports(digest) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let content_digest = provider.digests.digest(digest, econtent.unwrap_or(&[]))?;

    attrs.push(&oid::CONTENT_TYPE, |v| {
        enc::oid(v, &oid::ID_DATA);
        Ok(())
    })?;
    attrs.push(&oid::MESSAGE_DIGEST, |v| {
        enc::tlv(v, OCTET_STRING, content_digest.as_bytes());
        Ok(())
    })?;
    if let Some(t) = signing_time {
        // RFC 5652 §11.3: UTCTime through 2049, GeneralizedTime after.
        attrs.push(&oid::SIGNING_TIME, |v| {
            enc::value(v, &crate::asn1::time::x509_time(t))
        })?;
    }

    let signer_cert = signer.certificate();
    // The signer's certificate, then the extra ones (the signer's not twice), borrowed.
    let mut certs: Vec<&[u8]> = Vec::with_capacity(1 + extra_certificates.len());
    certs.push(signer_cert.as_der());
    certs.extend(
        extra_certificates
            .iter()
            .map(Certificate::as_der)
            .filter(|der| *der != signer_cert.as_der()),
    );

    // Everything but the headers, the signature and a few algorithm identifiers, so that the
    // message is written without growing the buffer (an RSA-4096 signature fits in the slack).
    let capacity = econtent.map_or(0, <[u8]>::len)
        + certs.iter().map(|c| c.len()).sum::<usize>()
        + attrs.buf.len()
        + 1024;
    enc::wrap_with_capacity(SEQUENCE, capacity, |ci| {
        enc::oid(ci, &oid::ID_SIGNED_DATA);
        enc::nested(ci, CTX0_CONS, |x| {
            enc::nested(x, SEQUENCE, |sd| {
                enc::small_int(sd, 1);
                enc::nested(sd, SET, |d| digest_id(d, digest))?;
                enc::nested(sd, SEQUENCE, |eci| {
                    enc::oid(eci, &oid::ID_DATA);
                    // FAILURE and PENDING carry an empty eContent rather than none: OpenSSL's
                    // PKCS7_verify (certmonger, sscep) refuses a SignedData without content
                    // ("no content"), and micromdm's scepserver sends it this way too.
                    enc::nested(eci, CTX0_CONS, |c| {
                        enc::tlv(c, OCTET_STRING, econtent.unwrap_or(&[]));
                        Ok(())
                    })
                })?;
                enc::set_of_refs(sd, CTX0_CONS, &mut certs);
                enc::nested(sd, SET, |sis| {
                    enc::nested(sis, SEQUENCE, |si| {
                        enc::small_int(si, 1);
                        issuer_and_serial(si, signer_cert)?;
                        digest_id(si, digest)?;
                        // The signature is over the attributes' DER as a SET; in the
                        // SignerInfo the SET is `[0] IMPLICIT`. Signed where it lies.
                        let at = si.len();
                        attrs.write_set(si, SET);
                        let to_sign = si.get(at..).unwrap_or(&[]);
                        let signature = if sig_alg == signer.signature_algorithm() {
                            signer.sign(to_sign)?
                        } else {
                            signer.sign_with(sig_alg, to_sign).map_err(|e| match e {
                                CryptoError::UnsupportedAlgorithm => {
                                    Error::UnsupportedAlgorithm(AlgorithmKind::Signature)
                                }
                                other => other.into(),
                            })?
                        };
                        if let Some(tag) = si.get_mut(at) {
                            *tag = CTX0_CONS;
                        }
                        enc::nested(si, SEQUENCE, |a| {
                            // `rsaEncryption` names RSA keys only: an ECDSA signer always
                            // gets its combined OID, with absent parameters (RFC 5758 §3.2).
                            match (signature_oid, sig_alg.null_parameters()) {
                                (SignatureOid::RsaEncryption, true) => {
                                    enc::oid(a, &oid::RSA_ENCRYPTION);
                                }
                                _ => enc::oid(a, &sig_alg.oid()),
                            }
                            if sig_alg.null_parameters() {
                                enc::tlv(a, enc::NULL, &[]);
                            }
                            Ok(())
                        })?;
                        enc::tlv(si, OCTET_STRING, &signature);
                        Ok(())
                    })
                })
            })
        })
    })
}

/// A digest `AlgorithmIdentifier` as we emit it, with absent parameters (RFC 5754 §2): what
/// [`DigestAlgorithm::to_algorithm_identifier`](crate::crypto::DigestAlgorithm::to_algorithm_identifier)
/// encodes to.
fn digest_id(out: &mut Vec<u8>, digest: DigestAlgorithm) -> Result<(), Error> {
    enc::nested(out, SEQUENCE, |a| {
        enc::oid(a, &digest.oid());
        Ok(())
    })
}

fn payload_der(body: &MessageBody) -> Result<Vec<u8>, Error> {
    use der::Encode;
    match body {
        MessageBody::PkcsReq(csr) | MessageBody::RenewalReq(csr) => Ok(csr.as_der().to_vec()),
        MessageBody::CertPoll(ias) => ias.to_der().map_err(|_| Error::Encode),
        MessageBody::GetCert(ias) | MessageBody::GetCrl(ias) => {
            ias.to_der().map_err(|_| Error::Encode)
        }
        MessageBody::CertRep(CertRep::Success(certs)) => certs.to_der(),
        MessageBody::CertRep(_) => Err(Error::InvalidInput),
    }
}

pub(super) fn issuer_and_serial(out: &mut Vec<u8>, cert: &Certificate) -> Result<(), Error> {
    enc::nested(out, SEQUENCE, |v| {
        // The issuer as the certificate encodes it.
        v.extend_from_slice(cert.issuer_der());
        enc::integer_bytes(v, cert.serial_number());
        Ok(())
    })
}

/// `ContentInfo(EnvelopedData)` for one recipient: key transport (RSA) or key agreement (EC).
fn envelope(
    payload: &[u8],
    recipient: Option<&Certificate>,
    opts: &SealOptions<'_>,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<Vec<u8>, Error> {
    let alg = opts.content_encryption;
    if !provider.cipher.supports(alg) {
        return Err(Error::UnsupportedAlgorithm(
            AlgorithmKind::ContentEncryption,
        ));
    }
    let mut key = Zeroizing::new(alloc::vec![0u8; alg.key_len()]);
    rng.fill(&mut key)?;
    let mut iv = alloc::vec![0u8; alg.block_len()];
    rng.fill(&mut iv)?;
    let ciphertext = provider.cipher.encrypt(alg, &key, &iv, payload)?;
    // The recipient kind follows the certificate's key (RFC 8894 §3.1): key transport to an RSA
    // key, key agreement with an EC key (with the requested KDF digest, or the curve's).
    let mut ri = Vec::new();
    let version = if opts.key_transport == KeyTransport::Password {
        let password = opts.password.ok_or(Error::InvalidInput)?;
        password_recipient(&mut ri, password, &key, alg, provider, rng)?;
        3
    } else {
        let recipient = recipient.ok_or(Error::InvalidInput)?;
        let ec = crate::crypto::EcCurve::from_spki(&recipient.public_key());
        match (opts.key_transport, ec) {
            (KeyTransport::EcdhKeyAgree { kdf }, Some(_)) => {
                key_agree_recipient(&mut ri, recipient, &key, kdf, provider, rng)?;
                2
            }
            (_, Some((curve, _))) => {
                let kdf = curve.default_digest();
                key_agree_recipient(&mut ri, recipient, &key, kdf, provider, rng)?;
                2
            }
            (kt, None) => {
                // Key agreement asked for, but the recipient has an RSA key: key transport.
                let kt = match kt {
                    KeyTransport::EcdhKeyAgree { .. } => KeyTransport::RsaPkcs1v15,
                    other => other,
                };
                let encrypted_key =
                    provider
                        .key_encryptor
                        .encrypt_key(kt, recipient.public_key(), &key, rng)?;
                enc::nested(&mut ri, SEQUENCE, |ri| {
                    enc::small_int(ri, 0);
                    issuer_and_serial(ri, recipient)?;
                    key_transport_alg(ri, kt)?;
                    enc::tlv(ri, OCTET_STRING, &encrypted_key);
                    Ok(())
                })?;
                0
            }
        }
    };

    let capacity = ciphertext.len() + ri.len() + 256;
    enc::wrap_with_capacity(SEQUENCE, capacity, |ci| {
        enc::oid(ci, &oid::ID_ENVELOPED_DATA);
        enc::nested(ci, CTX0_CONS, |x| {
            enc::nested(x, SEQUENCE, |ed| {
                // RFC 5652 §6.1: 0 with only key transport, 2 with key agreement, 3 with a
                // password recipient.
                enc::small_int(ed, version);
                enc::nested(ed, SET, |ris| {
                    ris.extend_from_slice(&ri);
                    Ok(())
                })?;
                enc::nested(ed, SEQUENCE, |eci| {
                    enc::oid(eci, &oid::ID_DATA);
                    enc::nested(eci, SEQUENCE, |a| {
                        enc::oid(a, &alg.oid());
                        enc::tlv(a, OCTET_STRING, &iv);
                        Ok(())
                    })?;
                    enc::tlv(eci, CTX0_PRIM, &ciphertext);
                    Ok(())
                })
            })
        })
    })
}

/// A `PasswordRecipientInfo` (feature `pwri`; refused as unsupported without it).
fn password_recipient(
    out: &mut Vec<u8>,
    password: super::Password<'_>,
    cek: &[u8],
    alg: ContentEncryption,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<(), Error> {
    #[cfg(feature = "pwri")]
    {
        super::pwri::write(out, password, cek, alg, provider, rng)
    }
    #[cfg(not(feature = "pwri"))]
    {
        let _ = (out, password, cek, alg, provider, rng);
        Err(Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport))
    }
}

/// A `KeyAgreeRecipientInfo` (features `p256`/`p384`; refused as unsupported without them).
fn key_agree_recipient(
    out: &mut Vec<u8>,
    recipient: &Certificate,
    cek: &[u8],
    kdf: DigestAlgorithm,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<(), Error> {
    #[cfg(any(feature = "p256", feature = "p384"))]
    {
        super::kari::write(out, recipient, cek, kdf, provider, rng)
    }
    #[cfg(not(any(feature = "p256", feature = "p384")))]
    {
        let _ = (out, recipient, cek, kdf, provider, rng);
        Err(Error::UnsupportedAlgorithm(AlgorithmKind::KeyTransport))
    }
}

fn key_transport_alg(out: &mut Vec<u8>, kt: KeyTransport) -> Result<(), Error> {
    use crate::crypto::DigestAlgorithm;
    enc::nested(out, SEQUENCE, |a| match kt {
        KeyTransport::RsaPkcs1v15 => {
            enc::oid(a, &oid::RSA_ENCRYPTION);
            enc::tlv(a, enc::NULL, &[]);
            Ok(())
        }
        KeyTransport::RsaOaep { hash, mgf1 } => {
            enc::oid(a, &oid::RSAES_OAEP);
            // RSAES-OAEP-params (RFC 4055 §4.1): defaults (SHA-1, MGF1-SHA-1) are omitted;
            // hash identifiers carry NULL parameters as in RFC 4055's module.
            enc::nested(a, SEQUENCE, |p| {
                if hash != DigestAlgorithm::Sha1 {
                    enc::nested(p, CTX0_CONS, |h| hash_id(h, hash))?;
                }
                if mgf1 != DigestAlgorithm::Sha1 {
                    enc::nested(p, enc::CTX1_CONS, |m| {
                        enc::nested(m, SEQUENCE, |g| {
                            enc::oid(g, &oid::MGF1);
                            hash_id(g, mgf1)
                        })
                    })?;
                }
                Ok(())
            })
        }
        KeyTransport::EcdhKeyAgree { .. } | KeyTransport::Password => Err(Error::InvalidInput),
    })
}

fn hash_id(out: &mut Vec<u8>, d: DigestAlgorithm) -> Result<(), Error> {
    enc::nested(out, SEQUENCE, |h| {
        enc::oid(h, &d.oid());
        enc::tlv(h, enc::NULL, &[]);
        Ok(())
    })
}

#[cfg(all(test, feature = "rustcrypto"))]
#[allow(clippy::unwrap_used, reason = "test fixtures are known good")]
mod tests {
    use super::*;
    use crate::attr::{Nonce, TransactionId};
    use crate::envelope::OpenOptions;
    use crate::provider::rustcrypto::{PROVIDER, RsaKey};

    fn data(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(name),
        )
        .unwrap()
    }

    fn cert(name: &str) -> Certificate {
        Certificate::from_pem(&data(&alloc::format!("{name}.cert.pem"))).unwrap()
    }

    /// Many extra certificates, the signer's among them: every distinct one is sent once, the
    /// SET is in DER order, and the signature (over the attributes as written in place)
    /// verifies.
    #[test]
    fn many_extra_certificates_are_sent_once_and_sorted() {
        let ra = RsaKey::from_pem(&data("ra2048.pkcs8.pem"), cert("ra2048")).unwrap();
        let names = [
            "client2048",
            "client4096",
            "ra4096",
            "rsa2048",
            "rsa1024",
            "p256",
        ];
        let mut extra: Vec<Certificate> = names.iter().map(|n| cert(n)).collect();
        extra.insert(2, cert("ra2048"));
        let mut rng = getrandom::SysRng;
        let msg = PkiMessage {
            transaction_id: TransactionId::random(&mut rng).unwrap(),
            sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
            recipient_nonce: Some(Nonce::random(&mut rng).unwrap()),
            body: MessageBody::CertRep(CertRep::Pending),
        };
        let opts = SealOptions {
            extra_certificates: &extra,
            ..SealOptions::DEFAULT
        };
        let der = seal(&msg, &ra, None, &opts, &PROVIDER, &mut rng).unwrap();
        let parsed = crate::envelope::parse(&der, &OpenOptions::DEFAULT).unwrap();
        let got: Vec<&[u8]> = parsed.certificates().iter().map(|c| c.as_der()).collect();
        let mut want: Vec<&[u8]> = extra.iter().map(|c| c.as_der()).collect();
        want.sort_unstable();
        assert_eq!(got, want);
        let verified = parsed.verify(&PROVIDER).unwrap();
        assert_eq!(verified.signer().as_der(), cert("ra2048").as_der());
    }

    /// signingTime is UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5652 §11.3), and
    /// reads back as the time that was sealed.
    #[test]
    fn signing_time_switches_to_generalized_time_in_2050() {
        let ra = RsaKey::from_pem(&data("ra2048.pkcs8.pem"), cert("ra2048")).unwrap();
        let mut rng = getrandom::SysRng;
        for (t, tag) in [
            (
                der::DateTime::new(2049, 12, 31, 23, 59, 59).unwrap(),
                0x17u8,
            ),
            (der::DateTime::new(2050, 1, 1, 0, 0, 0).unwrap(), 0x18u8),
        ] {
            let msg = PkiMessage {
                transaction_id: TransactionId::random(&mut rng).unwrap(),
                sender_nonce: Some(Nonce::random(&mut rng).unwrap()),
                recipient_nonce: Some(Nonce::random(&mut rng).unwrap()),
                body: MessageBody::CertRep(CertRep::Pending),
            };
            let opts = SealOptions {
                signing_time: Some(t),
                ..SealOptions::DEFAULT
            };
            let der = seal(&msg, &ra, None, &opts, &PROVIDER, &mut rng).unwrap();
            let parsed = crate::envelope::parse(&der, &OpenOptions::DEFAULT).unwrap();
            assert_eq!(parsed.signing_time(), Some(t));
            // SEQUENCE { id-signingTime, SET { <time> } }
            let mut id = Vec::new();
            enc::oid(&mut id, &oid::SIGNING_TIME);
            let at = der
                .windows(id.len())
                .position(|w| w == id.as_slice())
                .unwrap();
            assert_eq!(der[at + id.len() + 2], tag, "{t}");
            parsed.verify(&PROVIDER).unwrap();
        }
    }
}
