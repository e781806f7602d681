//! Where `scep serve` keeps its state: one [`Store`] trait, on SQLite (the embedded default,
//! one file in WAL mode) or PostgreSQL (several replicas on one database).
//!
//! State: the serial-number counter, issued certificates, transactions (pending requests, the
//! operator's decisions, what was issued for them) and revocations. Serial numbers are unique by
//! a primary key in the database, not by a lock in one process. Each method is one database
//! transaction: a crash leaves either all of it or none.
//!
//! Schema versions are numbered migrations (`schema_version` table); a newer schema than this
//! binary knows is refused.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use std::sync::Arc;

mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A store error, with the database's message (no request data in it).
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("sqlite: {e}"))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError(format!("postgres: {e}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// Where a transaction stands.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum TxState {
    /// Answered PENDING; waits for a decision (or, with automatic approval, the next poll).
    Pending,
    /// Approved by the operator; issued at the next poll.
    Approved,
    /// Rejected by the operator; the next poll gets FAILURE.
    Rejected,
    /// A certificate was issued (`serial`).
    Issued,
}

impl TxState {
    pub fn as_str(self) -> &'static str {
        match self {
            TxState::Pending => "pending",
            TxState::Approved => "approved",
            TxState::Rejected => "rejected",
            TxState::Issued => "issued",
        }
    }

    fn parse(s: &str) -> StoreResult<TxState> {
        Ok(match s {
            "pending" => TxState::Pending,
            "approved" => TxState::Approved,
            "rejected" => TxState::Rejected,
            "issued" => TxState::Issued,
            other => return Err(StoreError(format!("unknown transaction state {other:?}"))),
        })
    }
}

/// A transaction as stored.
#[derive(Clone, Debug)]
pub struct TxRecord {
    pub id: String,
    pub state: TxState,
    /// The CSR (DER) of the request that opened the transaction.
    pub csr: Vec<u8>,
    /// The SubjectPublicKeyInfo (DER) of the key that signed that request: polls must be
    /// signed by the same key.
    pub signer_key: Vec<u8>,
    /// The subject, for `admin list`.
    pub subject: String,
    /// The issued certificate's serial, once issued.
    pub serial: Option<i64>,
    /// Who sent the request that opened it (the peer's IP address and port), when known.
    pub requester: Option<String>,
    /// The failInfo the operator rejected it with (`"0"`..`"4"`, RFC 8894 §3.2.1.4).
    pub fail_info: Option<String>,
    /// When it was opened, in seconds since the Unix epoch (0 for a record not yet stored).
    pub created_at: i64,
}

/// A one-time challenge password as stored: only its keyed hash, never the password.
#[derive(Clone, Debug)]
pub struct ChallengeRecord {
    /// A small number for the admin page (the row's ID).
    pub id: i64,
    /// HMAC-SHA256 of the password under the server's challenge key, lower-case hex.
    pub hash: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub expires_at: i64,
    /// A pattern (`*` for any run of characters) the CSR subject (RFC 4514) must match.
    pub subject_pattern: Option<String>,
    /// When it was used, and by which transaction.
    pub used: Option<(i64, String)>,
}

/// The operator's decision on a pending transaction.
#[derive(Clone, Debug)]
pub enum Verdict {
    Approve,
    /// Rejected: the device's next poll gets FAILURE with this failInfo (`"0"`..`"4"`).
    Reject(String),
}

/// An issued certificate as stored.
#[derive(Clone, Debug)]
pub struct CertRecord {
    pub serial: i64,
    pub subject: String,
    pub transaction_id: Option<String>,
    /// Seconds since the Unix epoch.
    pub not_after: i64,
    pub der: Vec<u8>,
    /// When revoked: seconds since the epoch and the RFC 5280 reason code.
    pub revoked: Option<(i64, Option<u8>)>,
}

/// A revocation, for the CRL.
#[derive(Clone, Copy, Debug)]
pub struct Revocation {
    pub serial: i64,
    pub revoked_at: i64,
    pub reason: Option<u8>,
}

/// A new certificate to record.
#[derive(Clone, Debug)]
pub struct NewCert<'a> {
    pub serial: i64,
    pub subject: &'a str,
    pub not_after: i64,
    pub der: &'a [u8],
    /// The transaction it was issued in (created, or moved to `issued`, with this serial).
    pub transaction: Option<&'a TxRecord>,
}

/// What `scep serve` and `scep admin` need from a database.
pub trait Store: Send + Sync {
    /// The next serial number (unique across every replica on this database).
    fn next_serial(&self) -> StoreFuture<'_, i64>;
    /// Records an issued certificate and, when `transaction_id` is given, marks that
    /// transaction issued with it; one database transaction. Fails when the serial exists.
    fn insert_certificate<'a>(&'a self, cert: NewCert<'a>) -> StoreFuture<'a, ()>;
    /// The certificate with this serial.
    fn certificate(&self, serial: i64) -> StoreFuture<'_, Option<CertRecord>>;
    /// The transaction with this ID.
    fn transaction<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<TxRecord>>;
    /// Opens a pending transaction unless one with this ID exists; returns the stored one
    /// (new or old), so that concurrent first requests agree.
    fn open_pending<'a>(&'a self, tx: &'a TxRecord) -> StoreFuture<'a, TxRecord>;
    /// The operator's decision on a pending transaction; `false` when there was none pending.
    fn decide<'a>(&'a self, id: &'a str, verdict: &'a Verdict) -> StoreFuture<'a, bool>;
    /// Revokes a certificate; `false` when there is no such certificate.
    fn revoke(&self, serial: i64, at: i64, reason: Option<u8>) -> StoreFuture<'_, bool>;
    /// Every revocation (for the CRL).
    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>>;
    /// A new CRL number, growing with each CRL.
    fn next_crl_number(&self) -> StoreFuture<'_, i64>;
    /// Issued certificates (newest first) and open transactions, at most `limit` of each.
    fn list(&self, limit: i64) -> StoreFuture<'_, (Vec<CertRecord>, Vec<TxRecord>)>;
    /// Records a new one-time challenge password (its hash); returns its ID.
    fn insert_challenge<'a>(&'a self, c: &'a ChallengeRecord) -> StoreFuture<'a, i64>;
    /// The challenge password with this hash.
    fn challenge<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<ChallengeRecord>>;
    /// Marks the password with this hash used by transaction `tx`, in one conditional UPDATE:
    /// `true` only for the one caller that found it unused and unexpired at `now`.
    fn redeem_challenge<'a>(
        &'a self,
        hash: &'a str,
        now: i64,
        tx: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// The newest challenge passwords (used or not), at most `limit`.
    fn challenges(&self, limit: i64) -> StoreFuture<'_, Vec<ChallengeRecord>>;
}

/// Opens (creating and migrating) the database named by `url`: `postgres://…` or
/// `postgresql://…` (a `host=` that is a directory is a unix socket), `sqlite:PATH`, or a path.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") || url.contains("host=") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        let path = std::path::PathBuf::from(path);
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
            .await
            .map_err(|e| StoreError(format!("sqlite: {e}")))??;
        Ok(Arc::new(store))
    }
}
