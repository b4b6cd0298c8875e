//! The read cache of a server's store never hides a change: its own writes at once, a write
//! through another store on the same database (another process on the SQLite file, another
//! node on PostgreSQL) — at once on SQLite, by change notification on PostgreSQL — and a row
//! changed by hand. The server's cache here may keep entries for an hour, so only the change
//! detection can make a change visible.

mod common;

use coffer_store::{Concurrency, Store, StoreOptions};
use common::{TestDb, scope};
use std::time::{Duration, Instant};

const NAME: &str = "app/env/secrets/db_password";

/// How long a change on another PostgreSQL node may take to arrive (a notification takes about
/// a millisecond; this only bounds how long a broken build waits before failing).
const NOTIFICATION_PATIENCE: Duration = Duration::from_secs(10);

async fn open(db: &TestDb, concurrency: Concurrency, keyring: coffer_store::Keyring) -> Store {
    let options = StoreOptions { concurrency, cache_max_age: Some(Duration::from_secs(3600)), ..db.options() };
    Store::open(&options, keyring).await.unwrap_or_else(|e| panic!("[{}] open: {e}", db.name()))
}

/// The latest value of `NAME` as the hot read path returns it.
async fn latest(store: &Store) -> Vec<u8> {
    let scope = scope();
    let (record, version) = store.ssm_parameter_latest(&scope, NAME).await.unwrap().expect("parameter exists");
    store.ssm_open(&scope, &record.name, &version).unwrap().expose().to_vec()
}

/// Reads `NAME` through `store` until it is `want`: at once on SQLite, within
/// [`NOTIFICATION_PATIENCE`] on PostgreSQL.
async fn sees(db: &TestDb, store: &Store, want: &[u8], what: &str) {
    let started = Instant::now();
    loop {
        let got = latest(store).await;
        if got == want {
            return;
        }
        let waited = started.elapsed();
        match db.kind {
            common::Kind::Sqlite => panic!("[sqlite] {what}: read {got:?}, want {want:?}"),
            common::Kind::Postgres(_) if waited > NOTIFICATION_PATIENCE => {
                panic!("[postgres] {what}: still {got:?} after {waited:?}, want {want:?}")
            }
            common::Kind::Postgres(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_see_every_change() {
    for kind in common::backends("cached_reads_see_every_change") {
        let db = TestDb::new(&kind).await;
        let master = coffer_store::MasterKey::generate().unwrap();
        let keyring = || coffer_store::Keyring::new(common::copy_key(&master));
        let server = open(&db, Concurrency::Server, keyring()).await;
        let other = open(&db, Concurrency::Command, keyring()).await;
        let scope = scope();

        common::append(&server, &scope, NAME, b"one").await.unwrap();
        assert_eq!(latest(&server).await, b"one", "[{}] first read", db.name());
        assert_eq!(latest(&server).await, b"one", "[{}] a read the cache may answer", db.name());

        common::append(&server, &scope, NAME, b"two").await.unwrap();
        assert_eq!(latest(&server).await, b"two", "[{}] the server's own write, read at once", db.name());

        common::append(&other, &scope, NAME, b"three").await.unwrap();
        sees(&db, &server, b"three", "a write through another store").await;

        // By hand, past the store: the row's latest version moved back to 1.
        let mut raw = db.raw().await;
        sqlx::query("UPDATE ssm_parameters SET latest_version = 1").execute(&mut raw).await.unwrap();
        sees(&db, &server, b"one", "a row changed by hand").await;

        // Deleted elsewhere: the server says so, rather than serving the cached row.
        let mut tx = other.begin().await.unwrap();
        let record = tx.ssm_lock(&scope, NAME).await.unwrap().unwrap();
        tx.ssm_delete(record.id).await.unwrap();
        tx.commit().await.unwrap();
        let started = Instant::now();
        while server.ssm_parameter_latest(&scope, NAME).await.unwrap().is_some() {
            assert!(
                matches!(db.kind, common::Kind::Postgres(_)) && started.elapsed() < NOTIFICATION_PATIENCE,
                "[{}] a parameter deleted through another store is still read",
                db.name()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.close().await;
        other.close().await;
    }
}
