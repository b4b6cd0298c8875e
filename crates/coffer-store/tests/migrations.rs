//! Opening an existing database re-runs the migrator, which must change nothing.

mod common;

use coffer_store::Store;
use common::{TestDb, scope};
use sqlx::AnyConnection;
use sqlx::Row as _;

/// How many migration files the store ships for this backend.
fn shipped_migrations(db: &TestDb) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(db.name());
    let n = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql")))
        .count();
    assert!(n > 0, "no migrations in {}", dir.display());
    n
}

async fn applied(conn: &mut AnyConnection) -> Vec<(i64, Vec<u8>)> {
    sqlx::query("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .fetch_all(conn)
        .await
        .expect("read _sqlx_migrations")
        .iter()
        .map(|r| (r.get::<i64, _>("version"), r.get::<Vec<u8>, _>("checksum")))
        .collect()
}

#[tokio::test]
async fn migrations_twice_are_a_no_op() {
    for kind in common::backends("migrations_twice_are_a_no_op") {
        eprintln!("migrations_twice_are_a_no_op [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let key = common::fresh_keyring();
        let scope = scope();

        let store = db.open(key.clone()).await;
        common::append(&store, &scope, "survivor", b"value one").await.unwrap();
        common::append(&store, &scope, "survivor", b"value two").await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let record = tx.ssm_lock(&scope, "survivor").await.unwrap().unwrap();
        tx.ssm_put_label(record.id, "prod", 1).await.unwrap();
        tx.ssm_put_tag(record.id, "team", "core").await.unwrap();
        tx.commit().await.unwrap();
        store.close().await;

        let mut conn = db.raw().await;
        let first = applied(&mut conn).await;
        assert_eq!(first.len(), shipped_migrations(&db), "[{}] every shipped migration applied once", db.name());
        drop(conn);

        for round in 0..2 {
            let store = db.open(key.clone()).await;
            let mut conn = db.raw().await;
            assert_eq!(applied(&mut conn).await, first, "[{}] reopen #{round} changed _sqlx_migrations", db.name());
            assert_eq!(
                common::raw_count(&mut conn, "SELECT COUNT(*) FROM audit_head WHERE id = $1", 1).await,
                1,
                "seed rows are not re-inserted"
            );
            check_survivor(&store).await;
            // And the reopened store still writes.
            assert_eq!(
                common::append(&store, &scope, "survivor", format!("value {}", round + 3).as_bytes()).await.unwrap(),
                round + 3
            );
            store.close().await;
        }
    }
}

async fn check_survivor(store: &Store) {
    let scope = scope();
    let record = store.ssm_parameter(&scope, "survivor").await.unwrap().expect("data survives a reopen");
    assert!(record.latest_version >= 2);
    assert_eq!(common::read_value(store, &scope, "survivor", 1).await.unwrap(), b"value one");
    assert_eq!(common::read_value(store, &scope, "survivor", 2).await.unwrap(), b"value two");
    assert_eq!(store.ssm_labels(record.id).await.unwrap(), [("prod".to_owned(), 1)]);
    assert_eq!(store.ssm_tags(record.id).await.unwrap(), [("team".to_owned(), "core".to_owned())]);
}

/// Several processes (servers sharing a database, or a CLI next to a server) may open a fresh
/// database at the same moment; each must come up, and the schema must be applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_open() {
    for kind in common::backends("concurrent_first_open") {
        // A race: several rounds, each on a fresh database.
        for round in 0..8 {
            eprintln!("concurrent_first_open [{}] round {round}", kind.name());
            let db = TestDb::new(&kind).await;
            let options = db.options();
            let key = common::fresh_keyring();
            let opens = (0..4).map(|_| {
                let (options, key) = (options.clone(), key.clone());
                tokio::spawn(async move { Store::open(&options, key).await })
            });
            let mut stores = Vec::new();
            for open in opens.collect::<Vec<_>>() {
                stores.push(
                    open.await.unwrap().unwrap_or_else(|e| panic!("[{}] concurrent open failed: {e}", db.name())),
                );
            }
            let mut conn = db.raw().await;
            assert_eq!(applied(&mut conn).await.len(), shipped_migrations(&db));
            for (i, store) in stores.iter().enumerate() {
                common::append(store, &scope(), "shared", format!("from {i}").as_bytes()).await.unwrap();
            }
            let record = stores[0].ssm_parameter(&scope(), "shared").await.unwrap().unwrap();
            assert_eq!(record.latest_version, 4);
            for store in &stores {
                store.close().await;
            }
        }
    }
}
