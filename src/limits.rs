//! [`Limits`]: bounds on what a received message may make the crate do, in one place for every
//! layer that reads input (the CMS reader, GetCACert replies, the server's CSR check).

/// Bounds on what a received message may make us do. Every limit is checked before the work it
/// bounds; hitting one is [`Error::LimitExceeded`](crate::Error::LimitExceeded).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Limits {
    /// Largest message accepted, checked before any parsing (default 512 KiB; micromdm and
    /// step-ca cap POST bodies at 2 MiB, real messages are a few KiB).
    pub max_message_size: usize,
    /// Most certificates in one `SignedData` (default 32).
    pub max_certificates: usize,
    /// Most CRLs in one `SignedData` (default 8).
    pub max_crls: usize,
    /// Most `RecipientInfo`s (default 16).
    pub max_recipient_infos: usize,
    /// Most `SignerInfo`s (default 4; SCEP uses one).
    pub max_signer_infos: usize,
    /// Most signed attributes in one `SignerInfo` (default 32).
    pub max_attributes: usize,
    /// Largest RSA modulus, in bits, of a key that arrives in a message (default 8192): the
    /// signer's certificate, checked before the signature, and (in [`Server`](crate::server::Server))
    /// the CSR's public key, checked before the CSR's self-signature.
    pub max_rsa_bits: usize,
    /// Deepest BER nesting (default 32; certificates need about 10).
    pub max_depth: u8,
    /// Most PBKDF2 iterations a `PasswordRecipientInfo` may ask for (default 100 000;
    /// OpenSSL writes 2048, [`seal`](crate::envelope::seal) 10 000).
    pub max_pbkdf2_iterations: u32,
}

impl Limits {
    /// The defaults described on each field.
    pub const DEFAULT: Self = Self {
        max_message_size: 512 * 1024,
        max_certificates: 32,
        max_crls: 8,
        max_recipient_infos: 16,
        max_signer_infos: 4,
        max_attributes: 32,
        max_rsa_bits: 8192,
        max_depth: 32,
        max_pbkdf2_iterations: 100_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
