//! The embedded store: one SQLite file in WAL mode with `synchronous=NORMAL`: every commit is
//! in the WAL before the reply goes out, so a crash of the process (`kill -9`) loses nothing;
//! only a power cut or kernel crash can lose the last commits before a checkpoint (SQLite's
//! documented trade-off; two fsyncs per enrollment would halve a small server's throughput).
//! One connection behind a mutex; every call runs on tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    CertRecord, ChallengeRecord, NewCert, Revocation, Store, StoreError, StoreFuture, StoreResult,
    TxRecord, TxState, Verdict,
};

/// Schema migrations, version = index + 1. Never edit one that shipped; add another.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('serial', 1), ('crl', 0);
CREATE TABLE certificates (
    serial INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    transaction_id TEXT,
    not_after INTEGER NOT NULL,
    der BLOB NOT NULL,
    issued_at INTEGER NOT NULL
);
CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'issued')),
    csr BLOB NOT NULL,
    signer_key BLOB NOT NULL,
    subject TEXT NOT NULL,
    serial INTEGER REFERENCES certificates (serial),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE revocations (
    serial INTEGER PRIMARY KEY REFERENCES certificates (serial),
    revoked_at INTEGER NOT NULL,
    reason INTEGER
);
",
    "
ALTER TABLE transactions ADD COLUMN requester TEXT;
ALTER TABLE transactions ADD COLUMN fail_info TEXT;
CREATE TABLE challenges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    subject_pattern TEXT,
    used_at INTEGER,
    used_by TEXT
);
",
];

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn now() -> i64 {
    crate::common::util::unix_now()
}

impl SqliteStore {
    /// Opens (creating on first use) and migrates the database file.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(core::time::Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(format!("sqlite: journal mode {mode}, not WAL")));
        }
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
        let version: i64 = tx
            .query_row("SELECT max(version) FROM schema_version", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .unwrap_or(0);
        let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
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
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                params![i64::try_from(i).unwrap_or(0) + 1],
            )?;
        }
        tx.commit()?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn run<T, F>(&self, f: F) -> StoreFuture<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut guard = conn
                    .lock()
                    .map_err(|_| StoreError("sqlite: connection lock poisoned".into()))?;
                f(&mut guard)
            })
            .await
            .map_err(|e| StoreError(format!("sqlite: {e}")))?
        })
    }

    fn next_counter(&self, name: &'static str) -> StoreFuture<'static, i64> {
        self.run(move |c| {
            Ok(c.query_row(
                "UPDATE counters SET value = value + 1 WHERE name = ?1 RETURNING value",
                params![name],
                |r| r.get(0),
            )?)
        })
    }
}

/// A transaction row, its state still text.
type TxRow = (String, TxRecord);

fn tx_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TxRow> {
    Ok((
        r.get(1)?,
        TxRecord {
            id: r.get(0)?,
            state: TxState::Pending,
            csr: r.get(2)?,
            signer_key: r.get(3)?,
            subject: r.get(4)?,
            serial: r.get(5)?,
            requester: r.get(6)?,
            fail_info: r.get(7)?,
            created_at: r.get(8)?,
        },
    ))
}

fn tx_record(row: TxRow) -> StoreResult<TxRecord> {
    let (state, mut record) = row;
    record.state = TxState::parse(&state)?;
    Ok(record)
}

const TX_COLUMNS: &str =
    "id, state, csr, signer_key, subject, serial, requester, fail_info, created_at";
const CHALLENGE_COLUMNS: &str =
    "id, hash, created_at, expires_at, subject_pattern, used_at, used_by";

fn challenge_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChallengeRecord> {
    let used_at: Option<i64> = r.get(5)?;
    let used_by: Option<String> = r.get(6)?;
    Ok(ChallengeRecord {
        id: r.get(0)?,
        hash: r.get(1)?,
        created_at: r.get(2)?,
        expires_at: r.get(3)?,
        subject_pattern: r.get(4)?,
        used: used_at.map(|t| (t, used_by.unwrap_or_default())),
    })
}
const CERT_COLUMNS: &str =
    "c.serial, c.subject, c.transaction_id, c.not_after, c.der, r.revoked_at, r.reason";

fn cert_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CertRecord> {
    let revoked_at: Option<i64> = r.get(5)?;
    let reason: Option<i64> = r.get(6)?;
    Ok(CertRecord {
        serial: r.get(0)?,
        subject: r.get(1)?,
        transaction_id: r.get(2)?,
        not_after: r.get(3)?,
        der: r.get(4)?,
        revoked: revoked_at.map(|t| (t, reason.and_then(|x| u8::try_from(x).ok()))),
    })
}

fn select_tx(c: &Connection, id: &str) -> StoreResult<Option<TxRecord>> {
    let row = c
        .query_row(
            &format!("SELECT {TX_COLUMNS} FROM transactions WHERE id = ?1"),
            params![id],
            tx_from_row,
        )
        .optional()?;
    row.map(tx_record).transpose()
}

impl Store for SqliteStore {
    fn next_serial(&self) -> StoreFuture<'_, i64> {
        self.next_counter("serial")
    }

    fn insert_certificate<'a>(&'a self, cert: NewCert<'a>) -> StoreFuture<'a, ()> {
        let serial = cert.serial;
        let subject = cert.subject.to_owned();
        let not_after = cert.not_after;
        let der = cert.der.to_vec();
        let tx = cert.transaction.cloned();
        self.run(move |c| {
            let t = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let at = now();
            t.execute(
                "INSERT INTO certificates (serial, subject, transaction_id, not_after, der, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![serial, subject, tx.as_ref().map(|x| x.id.as_str()), not_after, der, at],
            )?;
            if let Some(x) = &tx {
                t.execute(
                    "INSERT INTO transactions (id, state, csr, signer_key, subject, serial, created_at, updated_at, requester)
                     VALUES (?1, 'issued', ?2, ?3, ?4, ?5, ?6, ?6, ?7)
                     ON CONFLICT (id) DO UPDATE SET state = 'issued', serial = excluded.serial,
                         updated_at = excluded.updated_at",
                    params![x.id, x.csr, x.signer_key, x.subject, serial, at, x.requester],
                )?;
            }
            t.commit()?;
            Ok(())
        })
    }

    fn certificate(&self, serial: i64) -> StoreFuture<'_, Option<CertRecord>> {
        self.run(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {CERT_COLUMNS} FROM certificates c
                     LEFT JOIN revocations r ON r.serial = c.serial WHERE c.serial = ?1"
                ),
                params![serial],
                cert_from_row,
            )
            .optional()?)
        })
    }

    fn transaction<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<TxRecord>> {
        let id = id.to_owned();
        self.run(move |c| select_tx(c, &id))
    }

    fn open_pending<'a>(&'a self, tx: &'a TxRecord) -> StoreFuture<'a, TxRecord> {
        let x = tx.clone();
        self.run(move |c| {
            let t = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let at = now();
            t.execute(
                "INSERT INTO transactions (id, state, csr, signer_key, subject, serial, created_at, updated_at, requester)
                 VALUES (?1, 'pending', ?2, ?3, ?4, NULL, ?5, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                params![x.id, x.csr, x.signer_key, x.subject, at, x.requester],
            )?;
            let stored = select_tx(&t, &x.id)?
                .ok_or_else(|| StoreError("sqlite: transaction vanished".into()))?;
            t.commit()?;
            Ok(stored)
        })
    }

    fn decide<'a>(&'a self, id: &'a str, verdict: &'a Verdict) -> StoreFuture<'a, bool> {
        let id = id.to_owned();
        let (state, fail_info) = match verdict {
            Verdict::Approve => ("approved", None),
            Verdict::Reject(f) => ("rejected", Some(f.clone())),
        };
        self.run(move |c| {
            let n = c.execute(
                "UPDATE transactions SET state = ?1, updated_at = ?2, fail_info = ?4
                 WHERE id = ?3 AND state = 'pending'",
                params![state, now(), id, fail_info],
            )?;
            Ok(n == 1)
        })
    }

    fn revoke(&self, serial: i64, at: i64, reason: Option<u8>) -> StoreFuture<'_, bool> {
        self.run(move |c| {
            let t = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: Option<i64> = t
                .query_row(
                    "SELECT serial FROM certificates WHERE serial = ?1",
                    params![serial],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_none() {
                return Ok(false);
            }
            t.execute(
                "INSERT INTO revocations (serial, revoked_at, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (serial) DO NOTHING",
                params![serial, at, reason],
            )?;
            t.commit()?;
            Ok(true)
        })
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        self.run(|c| {
            let mut st =
                c.prepare("SELECT serial, revoked_at, reason FROM revocations ORDER BY serial")?;
            let rows = st.query_map([], |r| {
                let reason: Option<i64> = r.get(2)?;
                Ok(Revocation {
                    serial: r.get(0)?,
                    revoked_at: r.get(1)?,
                    reason: reason.and_then(|x| u8::try_from(x).ok()),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn next_crl_number(&self) -> StoreFuture<'_, i64> {
        self.next_counter("crl")
    }

    fn list(&self, limit: i64) -> StoreFuture<'_, (Vec<CertRecord>, Vec<TxRecord>)> {
        self.run(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {CERT_COLUMNS} FROM certificates c
                 LEFT JOIN revocations r ON r.serial = c.serial ORDER BY c.serial DESC LIMIT ?1"
            ))?;
            let certs = st
                .query_map(params![limit], cert_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut st = c.prepare(&format!(
                "SELECT {TX_COLUMNS} FROM transactions WHERE state <> 'issued'
                 ORDER BY created_at DESC LIMIT ?1"
            ))?;
            let txs = st
                .query_map(params![limit], tx_from_row)?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(tx_record)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((certs, txs))
        })
    }

    fn insert_challenge<'a>(&'a self, ch: &'a ChallengeRecord) -> StoreFuture<'a, i64> {
        let ch = ch.clone();
        self.run(move |c| {
            Ok(c.query_row(
                "INSERT INTO challenges (hash, created_at, expires_at, subject_pattern)
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                params![ch.hash, ch.created_at, ch.expires_at, ch.subject_pattern],
                |r| r.get(0),
            )?)
        })
    }

    fn challenge<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<ChallengeRecord>> {
        let hash = hash.to_owned();
        self.run(move |c| {
            Ok(c.query_row(
                &format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE hash = ?1"),
                params![hash],
                challenge_from_row,
            )
            .optional()?)
        })
    }

    fn redeem_challenge<'a>(
        &'a self,
        hash: &'a str,
        now: i64,
        tx: &'a str,
    ) -> StoreFuture<'a, bool> {
        let (hash, tx) = (hash.to_owned(), tx.to_owned());
        self.run(move |c| {
            let n = c.execute(
                "UPDATE challenges SET used_at = ?2, used_by = ?3
                 WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                params![hash, now, tx],
            )?;
            Ok(n == 1)
        })
    }

    fn challenges(&self, limit: i64) -> StoreFuture<'_, Vec<ChallengeRecord>> {
        self.run(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {CHALLENGE_COLUMNS} FROM challenges ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = st.query_map(params![limit], challenge_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
