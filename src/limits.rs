//! [`Limits`]: bounds on what a received message may make the crate do, in one place for every
//! layer that reads input (the CMS reader, GetCACert replies, the server's CSR check).

/// Bounds on what a received message may make us do. Every limit is checked before the work it
/// bounds; hitting one is [`Error::LimitExceeded`](crate::Error::LimitExceeded).
///
/// Build them with the `with_*` methods from [`Limits::DEFAULT`] (or `default()`); the struct is
/// `#[non_exhaustive]`, so a limit added later is no breaking change.
///
/// ```
/// use scep::limits::Limits;
/// let limits = Limits::DEFAULT.with_max_message_size(64 * 1024).with_max_certificates(4);
/// assert_eq!(limits.max_message_size, 64 * 1024);
/// assert_eq!(limits.max_rsa_bits, Limits::DEFAULT.max_rsa_bits);
/// ```
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
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

    /// Sets [`max_message_size`](Self::max_message_size).
    #[must_use]
    pub const fn with_max_message_size(mut self, max_message_size: usize) -> Self {
        self.max_message_size = max_message_size;
        self
    }

    /// Sets [`max_certificates`](Self::max_certificates).
    #[must_use]
    pub const fn with_max_certificates(mut self, max_certificates: usize) -> Self {
        self.max_certificates = max_certificates;
        self
    }

    /// Sets [`max_crls`](Self::max_crls).
    #[must_use]
    pub const fn with_max_crls(mut self, max_crls: usize) -> Self {
        self.max_crls = max_crls;
        self
    }

    /// Sets [`max_recipient_infos`](Self::max_recipient_infos).
    #[must_use]
    pub const fn with_max_recipient_infos(mut self, max_recipient_infos: usize) -> Self {
        self.max_recipient_infos = max_recipient_infos;
        self
    }

    /// Sets [`max_signer_infos`](Self::max_signer_infos).
    #[must_use]
    pub const fn with_max_signer_infos(mut self, max_signer_infos: usize) -> Self {
        self.max_signer_infos = max_signer_infos;
        self
    }

    /// Sets [`max_attributes`](Self::max_attributes).
    #[must_use]
    pub const fn with_max_attributes(mut self, max_attributes: usize) -> Self {
        self.max_attributes = max_attributes;
        self
    }

    /// Sets [`max_rsa_bits`](Self::max_rsa_bits).
    #[must_use]
    pub const fn with_max_rsa_bits(mut self, max_rsa_bits: usize) -> Self {
        self.max_rsa_bits = max_rsa_bits;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    #[must_use]
    pub const fn with_max_depth(mut self, max_depth: u8) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Sets [`max_pbkdf2_iterations`](Self::max_pbkdf2_iterations).
    #[must_use]
    pub const fn with_max_pbkdf2_iterations(mut self, max_pbkdf2_iterations: u32) -> Self {
        self.max_pbkdf2_iterations = max_pbkdf2_iterations;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
