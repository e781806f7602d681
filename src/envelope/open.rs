//! Opening a received pkiMessage: parse → verify → decrypt → decode.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use der::Decode;
use zeroize::Zeroizing;

use super::OpenOptions;
use super::parse::{self, SignerInfo};
use crate::asn1::ber::{self, Reader, Tag};
use crate::asn1::cms;
use crate::attr::{FailInfo, FailInfoText, MessageType, Nonce, PkiStatus, TransactionId};
use crate::cert;
use crate::cert::Certificate;
use crate::crypto::{
    ContentEncryption, CryptoProvider, Decryptor, DigestAlgorithm, KeyTransport, SecureRandom,
    SignatureAlgorithm,
};
use crate::error::{Attribute, Error, Limit, Structure};
use crate::limits::Limits;
use crate::message::{
    CertRep, CertsOnly, Csr, IssuerAndSerialNumber, IssuerAndSubject, MessageBody, PkiMessage,
};
use crate::oid;
use enveloped::open_enveloped;

mod enveloped;

/// A pkiMessage whose structure and signed attributes have been decoded, but whose signature
/// has not been checked yet. Nothing in it is authentic until [`Parsed::verify`] succeeds.
#[derive(Debug)]
pub struct Parsed<'a> {
    opts: OpenOptions<'a>,
    certificates: Vec<Certificate>,
    signer: SignerInfo<'a>,
    digest: DigestAlgorithm,
    signature_alg: SignatureAlgorithm,
    econtent: Option<Cow<'a, [u8]>>,
    message_type: MessageType,
    transaction_id: TransactionId,
}

impl core::fmt::Debug for SignerInfo<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignerInfo")
            .field("attrs", &self.attrs)
            .finish_non_exhaustive()
    }
}

/// Decodes the signed layer of a pkiMessage (DER or BER) without any crypto.
///
/// Checks, in order: the size limit (before anything else), the CMS structure, `eContentType`
/// and the `contentType` attribute (`id-data`), the presence and form of the required
/// attributes (`messageType`, `transactionID`, `messageDigest`; `senderNonce` in requests;
/// `pkiStatus`, and `failInfo` for FAILURE, in replies), and the algorithms.
///
/// # Errors
/// Any structural [`Error`]; never panics on any input.
pub fn parse<'a>(bytes: &'a [u8], opts: &OpenOptions<'a>) -> Result<Parsed<'a>, Error> {
    let limits = &opts.limits;
    let sd = cms::data_signed_data(bytes, limits)?;
    let signer = parse::signer_info(&sd, limits)?;
    let digest = DigestAlgorithm::try_from(&signer.digest_alg)?;
    let signature_alg = SignatureAlgorithm::from_alg_id(&signer.signature_alg, digest)?;
    if digest.is_legacy() && !opts.legacy_allowed() {
        return Err(Error::LegacyAlgorithm);
    }
    let mut certificates = Vec::new();
    cert::collect_certificates(&sd, &mut certificates, limits, opts.extra_certificates)?;
    let econtent = sd.econtent_octets(limits)?;

    let a = &signer.attrs;
    match a.content_type {
        None => return Err(Error::MissingAttribute(Attribute::ContentType)),
        Some(ct) if ct != oid::ID_DATA => return Err(Error::ContentType),
        Some(_) => {}
    }
    if a.message_digest.is_none() {
        return Err(Error::MissingAttribute(Attribute::MessageDigest));
    }
    let message_type = a
        .message_type
        .ok_or(Error::MissingAttribute(Attribute::MessageType))?;
    let transaction_id = a
        .transaction_id
        .clone()
        .ok_or(Error::MissingAttribute(Attribute::TransactionId))?;
    if message_type == MessageType::CertRep {
        match a.pki_status {
            None => return Err(Error::MissingAttribute(Attribute::PkiStatus)),
            Some(PkiStatus::Failure) if a.fail_info.is_none() => {
                return Err(Error::MissingAttribute(Attribute::FailInfo));
            }
            Some(_) => {}
        }
    } else if a.sender_nonce.is_none() {
        return Err(Error::MissingAttribute(Attribute::SenderNonce));
    }
    Ok(Parsed {
        opts: *opts,
        certificates,
        signer,
        digest,
        signature_alg,
        econtent,
        message_type,
        transaction_id,
    })
}

impl<'a> Parsed<'a> {
    /// `messageType`.
    pub fn message_type(&self) -> MessageType {
        self.message_type
    }
    /// `transactionID`.
    pub fn transaction_id(&self) -> &TransactionId {
        &self.transaction_id
    }
    /// `senderNonce`, if sent.
    pub fn sender_nonce(&self) -> Option<&Nonce> {
        self.signer.attrs.sender_nonce.as_ref()
    }
    /// `recipientNonce`, if sent.
    pub fn recipient_nonce(&self) -> Option<&Nonce> {
        self.signer.attrs.recipient_nonce.as_ref()
    }
    /// `pkiStatus` (replies only).
    pub fn pki_status(&self) -> Option<PkiStatus> {
        self.signer.attrs.pki_status
    }
    /// `failInfo` (FAILURE replies; [`parse`] refuses a FAILURE without it).
    pub fn fail_info(&self) -> Option<FailInfo> {
        self.signer.attrs.fail_info
    }
    /// `failInfoText`, if sent (human text, not to be parsed).
    pub fn fail_info_text(&self) -> Option<&FailInfoText> {
        self.signer.attrs.fail_info_text.as_ref()
    }
    /// `signingTime`, converted to UTC, if sent and readable.
    pub fn signing_time(&self) -> Option<der::DateTime> {
        self.signer.attrs.signing_time
    }
    /// The certificates carried in the `SignedData`.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }
    /// The digest algorithm of the signer.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }
    /// The signature algorithm of the signer.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.signature_alg
    }
    /// Whether the message carries content (the pkcsPKIEnvelope).
    pub fn has_content(&self) -> bool {
        self.econtent.as_ref().is_some_and(|c| !c.is_empty())
    }

    /// Finds the signer certificate: first in the message, then in `opts.extra_certificates`.
    ///
    /// # Errors
    /// [`Error::SignerNotFound`].
    pub fn signer_certificate(&self) -> Result<&Certificate, Error> {
        let depth = self.opts.limits.max_depth;
        self.certificates
            .iter()
            .chain(self.opts.extra_certificates.iter())
            .find(|c| c.is_named_by(&self.signer.sid, depth))
            .ok_or(Error::SignerNotFound)
    }

    /// Checks `messageDigest` against the content and the signature over the signed
    /// attributes as received (and, failing that, over their DER-sorted form, for peers that
    /// sign one order and send another).
    ///
    /// # Errors
    /// [`Error::SignerNotFound`], [`Error::LimitExceeded`]`(RsaModulus)`,
    /// [`Error::DigestMismatch`], [`Error::BadSignature`], or an algorithm error.
    pub fn verify(self, provider: &CryptoProvider) -> Result<Verified<'a>, Error> {
        let signer = self.signer_certificate()?.clone();
        let content: &[u8] = self.econtent.as_deref().unwrap_or(&[]);
        parse::verify_signer_info(
            &self.signer,
            &signer,
            self.digest,
            self.signature_alg,
            content,
            provider,
            &self.opts.limits,
        )?;
        Ok(Verified {
            parsed: self,
            signer,
        })
    }

    /// Decrypts and decodes **without** checking the signature. Only for diagnostics (an
    /// inspection tool, a known-bad test vector): nothing returned is authentic.
    ///
    /// # Errors
    /// As [`Verified::decrypt`].
    pub fn decrypt_unverified(
        self,
        decryptor: &dyn Decryptor,
        provider: &CryptoProvider,
        rng: &mut dyn SecureRandom,
    ) -> Result<Opened, Error> {
        let signer = self.signer_certificate().ok().cloned();
        decrypt(self, signer, &[decryptor], provider, rng, decode_payload)
    }
}

/// A pkiMessage whose signature and content digest have been verified.
#[derive(Debug)]
pub struct Verified<'a> {
    parsed: Parsed<'a>,
    signer: Certificate,
}

impl Verified<'_> {
    /// The decoded header (authentic now).
    pub fn parsed(&self) -> &Parsed<'_> {
        &self.parsed
    }

    /// The certificate whose key signed the message.
    pub fn signer(&self) -> &Certificate {
        &self.signer
    }

    /// Decrypts the envelope (when the message has one) and decodes the payload according to
    /// `messageType`.
    ///
    /// Every failure after the recipient has been chosen, whatever its cause (bad key transport
    /// padding, wrong key length, bad CBC padding, undecodable plaintext), is the one
    /// [`Error::Decrypt`]. A failing key transport continues with a random key (RFC 3218 §2.3.2),
    /// so every path does the same work.
    ///
    /// # Errors
    /// [`Error::UnexpectedContent`] (no envelope where one is required),
    /// [`Error::RecipientNotFound`], algorithm errors, and [`Error::Decrypt`].
    pub fn decrypt(
        self,
        decryptor: &dyn Decryptor,
        provider: &CryptoProvider,
        rng: &mut dyn SecureRandom,
    ) -> Result<Opened, Error> {
        decrypt(
            self.parsed,
            Some(self.signer),
            &[decryptor],
            provider,
            rng,
            decode_payload,
        )
    }

    /// As [`decrypt`](Self::decrypt) for a client reading a CertRep: the payload is decoded as
    /// a certificates-only `SignedData` and nothing else, so a client-only build links no
    /// request decoders (PKCS #10, `IssuerAndSubject`, `IssuerAndSerialNumber`). Any other
    /// message type with content ends in [`Error::Decrypt`].
    pub(crate) fn decrypt_reply(
        self,
        decryptor: &dyn Decryptor,
        provider: &CryptoProvider,
        rng: &mut dyn SecureRandom,
    ) -> Result<Opened, Error> {
        decrypt(
            self.parsed,
            Some(self.signer),
            &[decryptor],
            provider,
            rng,
            decode_reply,
        )
    }

    /// As [`decrypt`](Self::decrypt), with several keys (a server with more than one RA key,
    /// for example during a CA rollover): the one whose certificate a `RecipientInfo` names is
    /// used.
    ///
    /// # Errors
    /// As [`decrypt`](Self::decrypt).
    pub fn decrypt_with_any(
        self,
        decryptors: &[&dyn Decryptor],
        provider: &CryptoProvider,
        rng: &mut dyn SecureRandom,
    ) -> Result<Opened, Error> {
        decrypt(
            self.parsed,
            Some(self.signer),
            decryptors,
            provider,
            rng,
            decode_payload,
        )
    }
}

/// An opened pkiMessage and what we learnt on the way.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Opened {
    /// The message.
    pub message: PkiMessage,
    /// The signer's certificate (`None` only from [`Parsed::decrypt_unverified`] when it could
    /// not be found).
    pub signer: Option<Certificate>,
    /// Every certificate the `SignedData` carried.
    pub certificates: Vec<Certificate>,
    /// The signer's digest algorithm.
    pub digest: DigestAlgorithm,
    /// The signer's signature algorithm.
    pub signature: SignatureAlgorithm,
    /// The content encryption of the envelope, when there was one.
    pub content_encryption: Option<ContentEncryption>,
    /// The key transport of the envelope, when there was one.
    pub key_transport: Option<KeyTransport>,
    /// `signingTime` in UTC, when sent and readable.
    pub signing_time: Option<der::DateTime>,
}

/// Parses, verifies and decrypts a pkiMessage in one call.
///
/// # Errors
/// Everything [`parse`], [`Parsed::verify`] and [`Verified::decrypt`] can return.
pub fn open<'a>(
    bytes: &'a [u8],
    opts: &OpenOptions<'a>,
    provider: &CryptoProvider,
    decryptor: &dyn Decryptor,
    rng: &mut dyn SecureRandom,
) -> Result<Opened, Error> {
    parse(bytes, opts)?
        .verify(provider)?
        .decrypt(decryptor, provider, rng)
}

/// Decodes a decrypted payload by message type (and status).
type DecodePayload =
    fn(MessageType, Option<PkiStatus>, &[u8], &Limits) -> Result<MessageBody, Error>;

fn decrypt(
    parsed: Parsed<'_>,
    signer: Option<Certificate>,
    decryptors: &[&dyn Decryptor],
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
    decode: DecodePayload,
) -> Result<Opened, Error> {
    let attrs = &parsed.signer.attrs;
    let mut content_encryption = None;
    let mut key_transport = None;
    let status = attrs.pki_status;
    let body = match (parsed.message_type, status) {
        (MessageType::CertRep, Some(PkiStatus::Failure)) => {
            MessageBody::CertRep(CertRep::Failure {
                info: attrs
                    .fail_info
                    .ok_or(Error::MissingAttribute(Attribute::FailInfo))?,
                text: attrs.fail_info_text.clone(),
            })
        }
        (MessageType::CertRep, Some(PkiStatus::Pending)) => MessageBody::CertRep(CertRep::Pending),
        (ty, _) => {
            let econtent = parsed
                .econtent
                .as_deref()
                .filter(|c| !c.is_empty())
                .ok_or(Error::UnexpectedContent)?;
            let limits = &parsed.opts.limits;
            let (alg, kt, content) =
                open_enveloped(econtent, &parsed.opts, decryptors, provider, rng)?;
            content_encryption = Some(alg);
            key_transport = Some(kt);
            // Bad padding goes on like good padding: its substitute plaintext is decoded all
            // the same, and only then does it fail, so the time does not tell the two apart.
            let decoded = decode(ty, status, &content.plaintext, limits);
            match (content.padding_ok, decoded) {
                (true, Ok(body)) => body,
                _ => return Err(Error::Decrypt),
            }
        }
    };
    let (sender_nonce, recipient_nonce, signing_time) = (
        attrs.sender_nonce,
        attrs.recipient_nonce,
        attrs.signing_time,
    );
    // `parsed` is used up: its certificates and transaction ID move into the result.
    Ok(Opened {
        message: PkiMessage {
            transaction_id: parsed.transaction_id,
            sender_nonce,
            recipient_nonce,
            body,
        },
        signer,
        certificates: parsed.certificates,
        digest: parsed.digest,
        signature: parsed.signature_alg,
        content_encryption,
        key_transport,
        signing_time,
    })
}

/// Decrypts a `ContentInfo(EnvelopedData)` on its own (the inner layer of a pkiMessage, or any
/// CMS EnvelopedData with a key-transport recipient) and returns the plaintext.
///
/// The same rules as [`Verified::decrypt`] apply: one [`Error::Decrypt`] for every failure
/// after the recipient has been chosen.
///
/// # Errors
/// Structural errors, [`Error::RecipientNotFound`], algorithm errors, [`Error::Decrypt`].
pub fn decrypt_enveloped(
    bytes: &[u8],
    opts: &OpenOptions<'_>,
    decryptor: &dyn Decryptor,
    provider: &CryptoProvider,
    rng: &mut dyn SecureRandom,
) -> Result<(ContentEncryption, KeyTransport, Zeroizing<Vec<u8>>), Error> {
    if bytes.len() > opts.limits.max_message_size {
        return Err(Error::LimitExceeded(Limit::MessageSize));
    }
    let (alg, kt, content) = open_enveloped(bytes, opts, &[decryptor], provider, rng)?;
    if !content.padding_ok {
        return Err(Error::Decrypt);
    }
    Ok((alg, kt, content.plaintext))
}

fn der_or_ber<T: for<'x> Decode<'x>>(bytes: &[u8], depth: u8, s: Structure) -> Result<T, Error> {
    if let Ok(v) = T::from_der(bytes) {
        return Ok(v);
    }
    let mut r = Reader::new(bytes, depth);
    let tlv = r
        .read_expect(Tag::SEQUENCE)
        .map_err(|_| Error::Malformed(s))?;
    r.finish_lenient().map_err(|_| Error::Malformed(s))?;
    let der = ber::to_der(&tlv, depth).map_err(|_| Error::Malformed(s))?;
    T::from_der(&der).map_err(|_| Error::Malformed(s))
}

/// [`decode_payload`] for CertRep only.
fn decode_reply(
    ty: MessageType,
    status: Option<PkiStatus>,
    plaintext: &[u8],
    limits: &Limits,
) -> Result<MessageBody, Error> {
    match (ty, status) {
        (MessageType::CertRep, Some(PkiStatus::Success)) => Ok(MessageBody::CertRep(
            CertRep::Success(CertsOnly::from_ber(plaintext, limits)?),
        )),
        _ => Err(Error::UnexpectedContent),
    }
}

fn decode_payload(
    ty: MessageType,
    status: Option<PkiStatus>,
    plaintext: &[u8],
    limits: &Limits,
) -> Result<MessageBody, Error> {
    Ok(match ty {
        MessageType::PkcsReq | MessageType::RenewalReq => {
            let csr = match Csr::from_der(plaintext) {
                Ok(c) => c,
                Err(_) => {
                    let mut r = Reader::new(plaintext, limits.max_depth);
                    let tlv = r
                        .read_expect(Tag::SEQUENCE)
                        .map_err(|_| Error::Malformed(Structure::CertReq))?;
                    r.finish_lenient()
                        .map_err(|_| Error::Malformed(Structure::CertReq))?;
                    Csr::from_der(
                        &ber::to_der(&tlv, limits.max_depth)
                            .map_err(|_| Error::Malformed(Structure::CertReq))?,
                    )?
                }
            };
            if ty == MessageType::PkcsReq {
                MessageBody::PkcsReq(csr)
            } else {
                MessageBody::RenewalReq(csr)
            }
        }
        MessageType::CertPoll => MessageBody::CertPoll(der_or_ber::<IssuerAndSubject>(
            plaintext,
            limits.max_depth,
            Structure::IssuerAndSubject,
        )?),
        MessageType::GetCert => MessageBody::GetCert(der_or_ber::<IssuerAndSerialNumber>(
            plaintext,
            limits.max_depth,
            Structure::IssuerAndSerialNumber,
        )?),
        MessageType::GetCrl => MessageBody::GetCrl(der_or_ber::<IssuerAndSerialNumber>(
            plaintext,
            limits.max_depth,
            Structure::IssuerAndSerialNumber,
        )?),
        MessageType::CertRep => match status {
            Some(PkiStatus::Success) => {
                MessageBody::CertRep(CertRep::Success(CertsOnly::from_ber(plaintext, limits)?))
            }
            _ => return Err(Error::UnexpectedContent),
        },
    })
}
