//! Sealing a pkiMessage: payload → EnvelopedData → SignedData, all DER.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::attr::is_printable;
use crate::cert::Certificate;
use crate::crypto::{ContentEncryption, CryptoProvider, KeyTransport, SecureRandom, Signer};
use crate::enc::{self, CTX0_CONS, CTX0_PRIM, OCTET_STRING, SEQUENCE, SET};
use crate::error::{AlgorithmKind, Error};
use crate::message::{CertRep, MessageBody, PkiMessage};
use crate::oid;

/// How the SignerInfo's `signatureAlgorithm` is written.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub enum SignatureOid {
    /// The combined OID, e.g. `sha256WithRSAEncryption` (RFC 8894 style; the default).
    #[default]
    Combined,
    /// `rsaEncryption`, with the digest in `digestAlgorithm` (PKCS #7 style, which some legacy
    /// clients require in a CertRep).
    RsaEncryption,
}

/// Options for [`seal`].
#[derive(Clone, Copy, Debug)]
pub struct SealOptions<'a> {
    /// Content encryption of the envelope (default AES-128-CBC, RFC 8894 §2.9).
    pub content_encryption: ContentEncryption,
    /// Key transport to the recipient (default RSA PKCS #1 v1.5).
    pub key_transport: KeyTransport,
    /// The `signingTime` attribute; omitted when `None`. The crate has no clock: pass the time.
    pub signing_time: Option<der::DateTime>,
    /// How the signature algorithm is named.
    pub signature_oid: SignatureOid,
    /// Certificates to send besides the signer's (a chain, the CA certificate).
    pub extra_certificates: &'a [Certificate],
    /// Allow single DES and MD5 (only with the `insecure-legacy` feature).
    #[cfg(feature = "insecure-legacy")]
    pub allow_legacy: bool,
}

impl SealOptions<'_> {
    /// AES-128-CBC, RSA PKCS #1 v1.5, no signingTime, combined signature OID, no extra
    /// certificates.
    pub const DEFAULT: SealOptions<'static> = SealOptions {
        content_encryption: ContentEncryption::Aes128Cbc,
        key_transport: KeyTransport::RsaPkcs1v15,
        signing_time: None,
        signature_oid: SignatureOid::Combined,
        extra_certificates: &[],
        #[cfg(feature = "insecure-legacy")]
        allow_legacy: false,
    };

    fn legacy_allowed(&self) -> bool {
        #[cfg(feature = "insecure-legacy")]
        {
            self.allow_legacy
        }
        #[cfg(not(feature = "insecure-legacy"))]
        {
            false
        }
    }
}

impl Default for SealOptions<'_> {
    fn default() -> Self {
        SealOptions::DEFAULT
    }
}

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
    let sig_alg = signer.signature_algorithm();
    let digest = sig_alg.digest();
    if (digest.is_legacy() || opts.content_encryption.is_legacy()) && !opts.legacy_allowed() {
        return Err(Error::LegacyAlgorithm);
    }
    if !provider.digests.supports(digest) {
        return Err(Error::UnsupportedAlgorithm(AlgorithmKind::Digest));
    }
    let sender_nonce = msg.sender_nonce.as_ref().ok_or(Error::InvalidInput)?;

    let econtent = if msg.body.has_envelope() {
        let recipient = recipient.ok_or(Error::InvalidInput)?;
        let payload = Zeroizing::new(payload_der(&msg.body)?);
        Some(envelope(&payload, recipient, opts, provider, rng)?)
    } else {
        None
    };

    let content_digest = provider
        .digests
        .digest(digest, econtent.as_deref().unwrap_or(&[]))?;

    // Signed attributes, each an encoded Attribute, sorted into a DER SET.
    let mut attrs: Vec<Vec<u8>> = Vec::with_capacity(10);
    attrs.push(attribute(&oid::CONTENT_TYPE, |v| {
        enc::oid(v, &oid::ID_DATA);
        Ok(())
    })?);
    attrs.push(attribute(&oid::MESSAGE_DIGEST, |v| {
        enc::tlv(v, OCTET_STRING, content_digest.as_bytes());
        Ok(())
    })?);
    if let Some(t) = &opts.signing_time {
        // RFC 5652 §11.3: UTCTime through 2049, GeneralizedTime after.
        let t = *t;
        attrs.push(attribute(&oid::SIGNING_TIME, |v| {
            if t.year() < 2050 {
                let u = der::asn1::UtcTime::from_date_time(t).map_err(|_| Error::InvalidInput)?;
                enc::value(v, &u)
            } else {
                enc::value(v, &der::asn1::GeneralizedTime::from_date_time(t))
            }
        })?);
    }
    attrs.push(printable_attribute(
        &oid::MESSAGE_TYPE,
        msg.message_type().as_str(),
    )?);
    attrs.push(string_attribute(
        &oid::TRANSACTION_ID,
        msg.transaction_id.as_str(),
    )?);
    attrs.push(attribute(&oid::SENDER_NONCE, |v| {
        enc::tlv(v, OCTET_STRING, sender_nonce.as_bytes());
        Ok(())
    })?);
    if let Some(n) = &msg.recipient_nonce {
        attrs.push(attribute(&oid::RECIPIENT_NONCE, |v| {
            enc::tlv(v, OCTET_STRING, n.as_bytes());
            Ok(())
        })?);
    }
    if let MessageBody::CertRep(rep) = &msg.body {
        attrs.push(printable_attribute(
            &oid::PKI_STATUS,
            rep.status().as_str(),
        )?);
        if let CertRep::Failure { info, text } = rep {
            attrs.push(printable_attribute(&oid::FAIL_INFO, info.as_str())?);
            if let Some(text) = text {
                attrs.push(attribute(&oid::FAIL_INFO_TEXT, |v| {
                    enc::tlv(v, enc::UTF8_STRING, text.as_str().as_bytes());
                    Ok(())
                })?);
            }
        }
    }
    let mut signed_attrs = Vec::new();
    enc::set_of(&mut signed_attrs, SET, attrs);
    let signature = signer.sign(&signed_attrs)?;
    // In the SignerInfo the SET is `[0] IMPLICIT`.
    if let Some(first) = signed_attrs.first_mut() {
        *first = CTX0_CONS;
    }

    let signer_cert = signer.certificate();
    let mut certs: Vec<&[u8]> = Vec::with_capacity(1 + opts.extra_certificates.len());
    certs.push(signer_cert.as_der());
    for c in opts.extra_certificates {
        if c.as_der() != signer_cert.as_der() {
            certs.push(c.as_der());
        }
    }
    // Everything but a few hundred octets of headers and attributes, so that the message is
    // written into one buffer without growing it.
    let capacity = econtent.as_ref().map_or(0, Vec::len)
        + certs.iter().map(|c| c.len()).sum::<usize>()
        + signed_attrs.len()
        + signature.len()
        + 512;
    enc::wrap_with_capacity(SEQUENCE, capacity, |ci| {
        enc::oid(ci, &oid::ID_SIGNED_DATA);
        enc::nested(ci, CTX0_CONS, |x| {
            enc::nested(x, SEQUENCE, |sd| {
                enc::small_int(sd, 1);
                enc::nested(sd, SET, |d| digest_id(d, digest))?;
                enc::nested(sd, SEQUENCE, |eci| {
                    enc::oid(eci, &oid::ID_DATA);
                    if let Some(content) = &econtent {
                        enc::nested(eci, CTX0_CONS, |c| {
                            enc::tlv(c, OCTET_STRING, content);
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
                enc::set_of_refs(sd, CTX0_CONS, &mut certs);
                enc::nested(sd, SET, |sis| {
                    enc::nested(sis, SEQUENCE, |si| {
                        enc::small_int(si, 1);
                        issuer_and_serial(si, signer_cert)?;
                        digest_id(si, digest)?;
                        si.extend_from_slice(&signed_attrs);
                        enc::nested(si, SEQUENCE, |a| {
                            match opts.signature_oid {
                                SignatureOid::Combined => enc::oid(a, &sig_alg.oid()),
                                SignatureOid::RsaEncryption => enc::oid(a, &oid::RSA_ENCRYPTION),
                            }
                            enc::tlv(a, enc::NULL, &[]);
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

/// A digest `AlgorithmIdentifier` as we emit it: absent parameters (RFC 5754 §2), as
/// [`DigestAlgorithm::to_algorithm_identifier`](crate::crypto::DigestAlgorithm::to_algorithm_identifier).
fn digest_id(out: &mut Vec<u8>, digest: crate::crypto::DigestAlgorithm) -> Result<(), Error> {
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

fn issuer_and_serial(out: &mut Vec<u8>, cert: &Certificate) -> Result<(), Error> {
    // The issuer exactly as the certificate encodes it (RFC 5652 §10.2.4), not re-encoded.
    enc::nested(out, SEQUENCE, |v| {
        v.extend_from_slice(cert.issuer_der());
        enc::integer_bytes(v, cert.serial_number());
        Ok(())
    })
}

fn attribute(
    id: &der::asn1::ObjectIdentifier,
    value: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<Vec<u8>, Error> {
    // Room for the OID, the SET and a 64-octet digest without growing.
    enc::wrap_with_capacity(SEQUENCE, 96, |a| {
        enc::oid(a, id);
        enc::nested(a, SET, value)
    })
}

fn printable_attribute(id: &der::asn1::ObjectIdentifier, s: &str) -> Result<Vec<u8>, Error> {
    attribute(id, |v| {
        enc::tlv(v, enc::PRINTABLE_STRING, s.as_bytes());
        Ok(())
    })
}

/// PrintableString when the text allows it; otherwise (an echoed peer transaction ID) the
/// UTF8String it arrived as.
fn string_attribute(id: &der::asn1::ObjectIdentifier, s: &str) -> Result<Vec<u8>, Error> {
    let tag = if is_printable(s) {
        enc::PRINTABLE_STRING
    } else {
        enc::UTF8_STRING
    };
    attribute(id, |v| {
        enc::tlv(v, tag, s.as_bytes());
        Ok(())
    })
}

/// `ContentInfo(EnvelopedData)` for one key-transport recipient.
fn envelope(
    payload: &[u8],
    recipient: &Certificate,
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
    let encrypted_key = provider.key_encryptor.encrypt_key(
        opts.key_transport,
        recipient.public_key(),
        &key,
        rng,
    )?;

    let capacity = ciphertext.len() + encrypted_key.len() + 256;
    enc::wrap_with_capacity(SEQUENCE, capacity, |ci| {
        enc::oid(ci, &oid::ID_ENVELOPED_DATA);
        enc::nested(ci, CTX0_CONS, |x| {
            enc::nested(x, SEQUENCE, |ed| {
                enc::small_int(ed, 0);
                enc::nested(ed, SET, |ris| {
                    enc::nested(ris, SEQUENCE, |ri| {
                        enc::small_int(ri, 0);
                        issuer_and_serial(ri, recipient)?;
                        key_transport_alg(ri, opts.key_transport)?;
                        enc::tlv(ri, OCTET_STRING, &encrypted_key);
                        Ok(())
                    })
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
    })
}

fn hash_id(out: &mut Vec<u8>, d: crate::crypto::DigestAlgorithm) -> Result<(), Error> {
    enc::nested(out, SEQUENCE, |h| {
        enc::oid(h, &d.oid());
        enc::tlv(h, enc::NULL, &[]);
        Ok(())
    })
}
