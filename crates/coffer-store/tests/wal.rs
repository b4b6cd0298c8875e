//! `Store::trim_wal`: a process that exits without closing the store (`coffer run` execs)
//! empties a grown SQLite write-ahead log, and leaves a short one alone.

mod common;

use coffer_store::WAL_TRIM_BYTES;
use common::{Kind, TestDb, scope};

fn wal_len(db: &TestDb) -> u64 {
    std::fs::metadata(db.data_dir().join("coffer.db-wal")).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test]
async fn trim_wal_empties_a_long_log_and_keeps_the_data() {
    let db = TestDb::new(&Kind::Sqlite).await;
    let store = db.open(common::fresh_keyring()).await;
    let scope = scope();

    common::append(&store, &scope, "short", b"one").await.unwrap();
    let short = wal_len(&db);
    assert!(short > 0 && short < WAL_TRIM_BYTES, "one write leaves a short log ({short} bytes)");
    store.trim_wal().await.unwrap();
    assert_eq!(wal_len(&db), short, "a short log is left alone");

    // Values of 64 KiB: the log passes the threshold in a few dozen writes.
    let big = vec![b'x'; 64 * 1024];
    while wal_len(&db) <= WAL_TRIM_BYTES {
        common::append(&store, &scope, "big", &big).await.unwrap();
    }
    store.trim_wal().await.unwrap();
    assert_eq!(wal_len(&db), 0, "a long log is checkpointed and truncated");

    let (_, latest) = store.ssm_parameter_latest(&scope, "big").await.unwrap().expect("parameter kept");
    assert_eq!(store.ssm_open(&scope, "big", &latest).unwrap().expose(), &big[..]);
    let (_, short_latest) = store.ssm_parameter_latest(&scope, "short").await.unwrap().expect("parameter kept");
    assert_eq!(store.ssm_open(&scope, "short", &short_latest).unwrap().expose(), b"one");
}

#[tokio::test]
async fn trim_wal_is_a_no_op_on_postgres() {
    let Some(Kind::Postgres(url)) = common::backends("trim_wal_is_a_no_op_on_postgres").pop() else { return };
    let db = TestDb::new(&Kind::Postgres(url)).await;
    let store = db.open(common::fresh_keyring()).await;
    common::append(&store, &scope(), "p", b"v").await.unwrap();
    store.trim_wal().await.unwrap();
}
