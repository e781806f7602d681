//! Two `scep serve` replicas on one PostgreSQL database (a throw-away cluster that `.ci/run`
//! starts on a unix socket and names in `SCEP_TEST_POSTGRES`, a libpq key=value string such as
//! `host=/tmp/pg.X port=5432 user=scep dbname=postgres`). Without it the tests are skipped with
//! a printed reason, or fail when `SCEP_REQUIRE_PEERS=1`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};

use super::device::{Ca, csr, enroll, issued, key, poll};
use super::peers::TempDir;
use super::{CHALLENGE, Serve, admin};
use scep::client::Outcome;

/// The server's connection string, or `None` (skip) with the reason printed.
fn server() -> Option<String> {
    match std::env::var("SCEP_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("SCEP_REQUIRE_PEERS").as_deref() != Ok("1"),
                "SCEP_REQUIRE_PEERS=1 but SCEP_TEST_POSTGRES names no PostgreSQL server \
                 (.ci/run starts one)"
            );
            eprintln!("skipped: SCEP_TEST_POSTGRES is not set (.ci/run starts a PostgreSQL)");
            None
        }
    }
}

/// A new, empty database on the server; its connection string.
fn fresh_database(server: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "scep_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(server, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect to {server}: {e}"));
        tokio::spawn(conn);
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client.batch_execute(&sql).await.unwrap();
        }
    });
    // libpq semantics: a later key overrides an earlier one.
    format!("{server} dbname={name}")
}

/// Enroll through replica A with `--pending --approve manual`; the operator approves (with
/// `scep admin` on the same database); the device polls through replica B and gets the
/// certificate. A rejected transaction gets FAILURE through either replica.
#[test]
fn pending_through_one_replica_issued_through_the_other() {
    let Some(server) = server() else { return };
    let db = fresh_database(&server);
    let tmp = TempDir::new("pg-replicas");
    let state = tmp.join("state");
    let args = [
        "--database",
        db.as_str(),
        "--challenge",
        CHALLENGE,
        "--pending",
        "--approve",
        "manual",
    ];
    let a = Serve::start(&state, &args);
    let b = Serve::start(&state, &args);
    let ca_a = Ca::new(&a.origin(), &a.ca_cert(), None);
    let ca_b = ca_a.at(&b.origin());
    let device = key("client2048");

    let (tx, outcome) = enroll(
        &ca_a,
        &device,
        &csr(&device, "CN=replicated", Some(CHALLENGE)),
    );
    assert!(matches!(outcome, Outcome::Pending), "{outcome:?}");
    assert!(matches!(poll(&ca_b, &tx, &device), Outcome::Pending));
    let id = tx.transaction_id().as_str().to_owned();
    let out = admin(&state, &["--database", &db, "approve", &id]);
    assert!(out.status.success(), "{out:?}");
    let cert = issued(poll(&ca_b, &tx, &device));
    assert_eq!(cert.subject().to_string(), "CN=replicated");
    // A sees the same state.
    assert_eq!(issued(poll(&ca_a, &tx, &device)).as_der(), cert.as_der());

    let (tx2, _) = enroll(&ca_b, &device, &csr(&device, "CN=refused", Some(CHALLENGE)));
    let out = admin(
        &state,
        &["--database", &db, "reject", tx2.transaction_id().as_str()],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(matches!(
        poll(&ca_a, &tx2, &device),
        Outcome::Rejected { .. }
    ));
    let list = admin(&state, &["--database", &db, "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("CN=replicated"), "{text}");
    assert!(
        text.contains(&format!("rejected {}", tx2.transaction_id().as_str())),
        "{text}"
    );
}

/// 200 enrollments at once, split across two replicas: 200 certificates with 200 distinct
/// serial numbers, and 200 rows in the database.
#[test]
fn concurrent_enrollments_across_replicas_get_distinct_serials() {
    let Some(server) = server() else { return };
    let db = fresh_database(&server);
    let tmp = TempDir::new("pg-concurrent");
    let state = tmp.join("state");
    let args = ["--database", db.as_str(), "--challenge", CHALLENGE];
    let a = Serve::start(&state, &args);
    let b = Serve::start(&state, &args);
    let ca_a = Ca::new(&a.origin(), &a.ca_cert(), None);
    let ca_b = ca_a.at(&b.origin());
    let device = key("client2048");
    let request = csr(&device, "CN=many", Some(CHALLENGE));
    let serials: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let ca = if i % 2 == 0 { &ca_a } else { &ca_b };
                let device = &device;
                let request = &request;
                s.spawn(move || {
                    issued(enroll(ca, device, request).1)
                        .serial_number()
                        .to_vec()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: HashSet<_> = serials.iter().collect();
    assert_eq!(serials.len(), 200);
    assert_eq!(distinct.len(), 200, "duplicate serial numbers");
    let list = admin(&state, &["--database", &db, "list", "--limit", "1000"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.starts_with("issued (200):"), "{text}");
    for (log, name) in [(a.log(), "A"), (b.log(), "B")] {
        let n = log.matches("-> SUCCESS").count();
        assert!(n >= 50, "replica {name} issued only {n}");
    }
}

/// 50 enrollments through two replicas racing for 10 one-time passwords (issued with
/// `scep admin password new` on the same database): exactly 10 certificates.
#[test]
fn one_time_passwords_are_single_use_across_replicas() {
    use super::ndes::{assert_one_winner_per_password, new_password, race};
    let Some(server) = server() else { return };
    let db = fresh_database(&server);
    let tmp = TempDir::new("pg-one-time");
    let state = tmp.join("state");
    let args = ["--database", db.as_str(), "--challenge-mode", "one-time"];
    let a = Serve::start(&state, &args);
    let b = Serve::start(&state, &args);
    let ca_a = Ca::new(&a.origin(), &a.ca_cert(), None);
    let ca_b = ca_a.at(&b.origin());
    let passwords: Vec<String> = (0..10)
        .map(|_| new_password(&state, &["--database", &db]))
        .collect();
    let outcomes = race(&[ca_a, ca_b], 50, &passwords);
    assert_one_winner_per_password(&outcomes, 10);
    let used = |log: &str| log.matches("one-time password already used").count();
    assert_eq!(used(&a.log()) + used(&b.log()), 40);
}
