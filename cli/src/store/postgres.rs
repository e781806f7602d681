//! The PostgreSQL store, for several `scep serve` replicas on one database. Serial and CRL
//! numbers come from sequences; the migrations run under an advisory lock, so replicas that
//! start together migrate once.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Row};

use super::{
    CertRecord, ChallengeRecord, NewCert, Revocation, Store, StoreError, StoreFuture, StoreResult,
    TxRecord, TxState, Verdict,
};

/// Schema migrations, version = index + 1. Never edit one that shipped; add another.
const MIGRATIONS: &[&str] = &[
    "
CREATE SEQUENCE serial_numbers START 2;
CREATE SEQUENCE crl_numbers START 1;
CREATE TABLE certificates (
    serial BIGINT PRIMARY KEY,
    subject TEXT NOT NULL,
    transaction_id TEXT,
    not_after BIGINT NOT NULL,
    der BYTEA NOT NULL,
    issued_at BIGINT NOT NULL
);
CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'issued')),
    csr BYTEA NOT NULL,
    signer_key BYTEA NOT NULL,
    subject TEXT NOT NULL,
    serial BIGINT REFERENCES certificates (serial),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE revocations (
    serial BIGINT PRIMARY KEY REFERENCES certificates (serial),
    revoked_at BIGINT NOT NULL,
    reason SMALLINT
);
",
    "
ALTER TABLE transactions ADD COLUMN requester TEXT;
ALTER TABLE transactions ADD COLUMN fail_info TEXT;
CREATE TABLE challenges (
    id BIGSERIAL PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    subject_pattern TEXT,
    used_at BIGINT,
    used_by TEXT
);
",
];

/// Connections per process.
const POOL: usize = 8;
/// The advisory lock the migrations run under.
const MIGRATION_LOCK: i64 = 0x5345_4550; // "SCEP"

/// The PostgreSQL store: a small fixed pool of connections.
pub struct PostgresStore {
    url: String,
    clients: Vec<Mutex<Client>>,
    next: AtomicUsize,
}

async fn connect(url: &str) -> StoreResult<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!("postgres connection: {e}");
        }
    });
    Ok(client)
}

fn now() -> i64 {
    crate::common::util::unix_now()
}

const TX_COLUMNS: &str =
    "id, state, csr, signer_key, subject, serial, requester, fail_info, created_at";
const CHALLENGE_COLUMNS: &str =
    "id, hash, created_at, expires_at, subject_pattern, used_at, used_by";

fn challenge_record(r: &Row) -> StoreResult<ChallengeRecord> {
    let used_at: Option<i64> = r.try_get(5)?;
    let used_by: Option<String> = r.try_get(6)?;
    Ok(ChallengeRecord {
        id: r.try_get(0)?,
        hash: r.try_get(1)?,
        created_at: r.try_get(2)?,
        expires_at: r.try_get(3)?,
        subject_pattern: r.try_get(4)?,
        used: used_at.map(|t| (t, used_by.unwrap_or_default())),
    })
}
const CERT_COLUMNS: &str =
    "c.serial, c.subject, c.transaction_id, c.not_after, c.der, r.revoked_at, r.reason";

fn tx_record(r: &Row) -> StoreResult<TxRecord> {
    let state: String = r.try_get(1)?;
    Ok(TxRecord {
        id: r.try_get(0)?,
        state: TxState::parse(&state)?,
        csr: r.try_get(2)?,
        signer_key: r.try_get(3)?,
        subject: r.try_get(4)?,
        serial: r.try_get(5)?,
        requester: r.try_get(6)?,
        fail_info: r.try_get(7)?,
        created_at: r.try_get(8)?,
    })
}

fn cert_record(r: &Row) -> StoreResult<CertRecord> {
    let revoked_at: Option<i64> = r.try_get(5)?;
    let reason: Option<i16> = r.try_get(6)?;
    Ok(CertRecord {
        serial: r.try_get(0)?,
        subject: r.try_get(1)?,
        transaction_id: r.try_get(2)?,
        not_after: r.try_get(3)?,
        der: r.try_get(4)?,
        revoked: revoked_at.map(|t| (t, reason.and_then(|x| u8::try_from(x).ok()))),
    })
}

impl PostgresStore {
    /// Connects and migrates.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let mut first = connect(url).await?;
        migrate(&mut first).await?;
        let mut clients = vec![Mutex::new(first)];
        for _ in 1..POOL {
            clients.push(Mutex::new(connect(url).await?));
        }
        Ok(PostgresStore {
            url: url.to_owned(),
            clients,
            next: AtomicUsize::new(0),
        })
    }

    /// A connection of the pool (round robin), reconnected when the server closed it.
    async fn client(&self) -> StoreResult<tokio::sync::MutexGuard<'_, Client>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len().max(1);
        let slot = self
            .clients
            .get(i)
            .ok_or_else(|| StoreError("postgres: empty pool".into()))?;
        let mut guard = slot.lock().await;
        if guard.is_closed() {
            *guard = connect(&self.url).await?;
        }
        Ok(guard)
    }
}

async fn migrate(client: &mut Client) -> StoreResult<()> {
    let t = client.transaction().await?;
    t.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    t.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .await?;
    let version: Option<i32> = t
        .query_one("SELECT max(version) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    let version = version.unwrap_or(0);
    let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    if version > known {
        return Err(StoreError(format!(
            "database schema version {version} is newer than this program's ({known})"
        )));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        t.batch_execute(sql).await?;
        let v = i32::try_from(i).unwrap_or(0) + 1;
        t.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&v])
            .await?;
    }
    t.commit().await?;
    Ok(())
}

impl Store for PostgresStore {
    fn next_serial(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            let c = self.client().await?;
            Ok(c.query_one("SELECT nextval('serial_numbers')", &[])
                .await?
                .try_get(0)?)
        })
    }

    fn insert_certificate<'a>(&'a self, cert: NewCert<'a>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut c = self.client().await?;
            let t = c.transaction().await?;
            let at = now();
            let tx_id = cert.transaction.map(|x| x.id.as_str());
            t.execute(
                "INSERT INTO certificates (serial, subject, transaction_id, not_after, der, issued_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&cert.serial, &cert.subject, &tx_id, &cert.not_after, &cert.der, &at],
            )
            .await?;
            if let Some(x) = cert.transaction {
                t.execute(
                    "INSERT INTO transactions (id, state, csr, signer_key, subject, serial, created_at, updated_at, requester)
                     VALUES ($1, 'issued', $2, $3, $4, $5, $6, $6, $7)
                     ON CONFLICT (id) DO UPDATE SET state = 'issued', serial = excluded.serial,
                         updated_at = excluded.updated_at",
                    &[&x.id, &x.csr, &x.signer_key, &x.subject, &cert.serial, &at, &x.requester],
                )
                .await?;
            }
            t.commit().await?;
            Ok(())
        })
    }

    fn certificate(&self, serial: i64) -> StoreFuture<'_, Option<CertRecord>> {
        Box::pin(async move {
            let c = self.client().await?;
            let row = c
                .query_opt(
                    &format!(
                        "SELECT {CERT_COLUMNS} FROM certificates c
                         LEFT JOIN revocations r ON r.serial = c.serial WHERE c.serial = $1"
                    ),
                    &[&serial],
                )
                .await?;
            row.as_ref().map(cert_record).transpose()
        })
    }

    fn transaction<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<TxRecord>> {
        Box::pin(async move {
            let c = self.client().await?;
            let row = c
                .query_opt(
                    &format!("SELECT {TX_COLUMNS} FROM transactions WHERE id = $1"),
                    &[&id],
                )
                .await?;
            row.as_ref().map(tx_record).transpose()
        })
    }

    fn open_pending<'a>(&'a self, tx: &'a TxRecord) -> StoreFuture<'a, TxRecord> {
        Box::pin(async move {
            let c = self.client().await?;
            let at = now();
            c.execute(
                "INSERT INTO transactions (id, state, csr, signer_key, subject, serial, created_at, updated_at, requester)
                 VALUES ($1, 'pending', $2, $3, $4, NULL, $5, $5, $6) ON CONFLICT (id) DO NOTHING",
                &[&tx.id, &tx.csr, &tx.signer_key, &tx.subject, &at, &tx.requester],
            )
            .await?;
            let row = c
                .query_one(
                    &format!("SELECT {TX_COLUMNS} FROM transactions WHERE id = $1"),
                    &[&tx.id],
                )
                .await?;
            tx_record(&row)
        })
    }

    fn decide<'a>(&'a self, id: &'a str, verdict: &'a Verdict) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let c = self.client().await?;
            let (state, fail_info) = match verdict {
                Verdict::Approve => ("approved", None),
                Verdict::Reject(f) => ("rejected", Some(f.as_str())),
            };
            let n = c
                .execute(
                    "UPDATE transactions SET state = $1, updated_at = $2, fail_info = $4
                     WHERE id = $3 AND state = 'pending'",
                    &[&state, &now(), &id, &fail_info],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn revoke(&self, serial: i64, at: i64, reason: Option<u8>) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let c = self.client().await?;
            let reason = reason.map(i16::from);
            let exists = c
                .query_opt(
                    "SELECT serial FROM certificates WHERE serial = $1",
                    &[&serial],
                )
                .await?
                .is_some();
            if !exists {
                return Ok(false);
            }
            c.execute(
                "INSERT INTO revocations (serial, revoked_at, reason) VALUES ($1, $2, $3)
                 ON CONFLICT (serial) DO NOTHING",
                &[&serial, &at, &reason],
            )
            .await?;
            Ok(true)
        })
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        Box::pin(async move {
            let c = self.client().await?;
            let rows = c
                .query(
                    "SELECT serial, revoked_at, reason FROM revocations ORDER BY serial",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let reason: Option<i16> = r.try_get(2)?;
                    Ok(Revocation {
                        serial: r.try_get(0)?,
                        revoked_at: r.try_get(1)?,
                        reason: reason.and_then(|x| u8::try_from(x).ok()),
                    })
                })
                .collect()
        })
    }

    fn next_crl_number(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            let c = self.client().await?;
            Ok(c.query_one("SELECT nextval('crl_numbers')", &[])
                .await?
                .try_get(0)?)
        })
    }

    fn list(&self, limit: i64) -> StoreFuture<'_, (Vec<CertRecord>, Vec<TxRecord>)> {
        Box::pin(async move {
            let c = self.client().await?;
            let certs = c
                .query(
                    &format!(
                        "SELECT {CERT_COLUMNS} FROM certificates c
                         LEFT JOIN revocations r ON r.serial = c.serial
                         ORDER BY c.serial DESC LIMIT $1"
                    ),
                    &[&limit],
                )
                .await?
                .iter()
                .map(cert_record)
                .collect::<StoreResult<Vec<_>>>()?;
            let txs = c
                .query(
                    &format!(
                        "SELECT {TX_COLUMNS} FROM transactions WHERE state <> 'issued'
                         ORDER BY created_at DESC LIMIT $1"
                    ),
                    &[&limit],
                )
                .await?
                .iter()
                .map(tx_record)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((certs, txs))
        })
    }

    fn insert_challenge<'a>(&'a self, ch: &'a ChallengeRecord) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let c = self.client().await?;
            Ok(c.query_one(
                "INSERT INTO challenges (hash, created_at, expires_at, subject_pattern)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    &ch.hash,
                    &ch.created_at,
                    &ch.expires_at,
                    &ch.subject_pattern,
                ],
            )
            .await?
            .try_get(0)?)
        })
    }

    fn challenge<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<ChallengeRecord>> {
        Box::pin(async move {
            let c = self.client().await?;
            let row = c
                .query_opt(
                    &format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE hash = $1"),
                    &[&hash],
                )
                .await?;
            row.as_ref().map(challenge_record).transpose()
        })
    }

    fn redeem_challenge<'a>(
        &'a self,
        hash: &'a str,
        now: i64,
        tx: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let c = self.client().await?;
            // One statement: under READ COMMITTED a second UPDATE of the same row waits for
            // the first and re-checks `used_at IS NULL` on the committed row.
            let n = c
                .execute(
                    "UPDATE challenges SET used_at = $2, used_by = $3
                     WHERE hash = $1 AND used_at IS NULL AND expires_at > $2",
                    &[&hash, &now, &tx],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn challenges(&self, limit: i64) -> StoreFuture<'_, Vec<ChallengeRecord>> {
        Box::pin(async move {
            let c = self.client().await?;
            c.query(
                &format!("SELECT {CHALLENGE_COLUMNS} FROM challenges ORDER BY id DESC LIMIT $1"),
                &[&limit],
            )
            .await?
            .iter()
            .map(challenge_record)
            .collect()
        })
    }
}
