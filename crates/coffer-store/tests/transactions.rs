//! A write transaction that is dropped, or whose later statement fails, leaves no trace — also
//! when it shares its commit with others (SQLite's group commit).

mod common;

use coffer_aws::{SecretBytes, Timestamp};
use coffer_store::Store;
use common::{MODIFIED_BY, TestDb, meta, scope};

#[tokio::test]
async fn dropped_transaction_rolls_back() {
    for kind in common::backends("dropped_transaction_rolls_back") {
        eprintln!("dropped_transaction_rolls_back [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;
        let scope = scope();

        // A brand-new parameter with a version, labels and tags, never committed.
        {
            let mut tx = store.begin().await.unwrap();
            let record = tx.ssm_create(&scope, "fresh", "/fresh").await.unwrap().unwrap();
            tx.ssm_insert_version(
                &scope,
                &record,
                1,
                &meta(1),
                Timestamp(common::BASE_MS),
                MODIFIED_BY,
                &SecretBytes::new(b"never".to_vec()),
            )
            .await
            .unwrap();
            tx.ssm_put_label(record.id, "prod", 1).await.unwrap();
            tx.ssm_put_tag(record.id, "k", "v").await.unwrap();
            assert!(tx.ssm_version(record.id, 1).await.unwrap().is_some(), "visible inside the transaction");
            // Other connections do not see uncommitted work.
            assert!(
                store.ssm_parameter(&scope, "fresh").await.unwrap().is_none(),
                "uncommitted create visible outside"
            );
            drop(tx);
        }
        assert!(store.ssm_parameter(&scope, "fresh").await.unwrap().is_none(), "dropped create must roll back");
        let mut conn = db.raw().await;
        for table in ["ssm_parameters", "ssm_parameter_versions", "ssm_parameter_labels", "ssm_parameter_tags"] {
            let n = common::raw_count(&mut conn, &format!("SELECT COUNT(*) FROM {table} WHERE 0 < $1"), 1).await;
            assert_eq!(n, 0, "[{}] {table} must be empty after a dropped transaction", db.name());
        }

        // Dropping a transaction on an existing parameter leaves it as it was.
        assert_eq!(common::append(&store, &scope, "kept", b"one").await.unwrap(), 1);
        {
            let mut tx = store.begin().await.unwrap();
            let record = tx.ssm_lock(&scope, "kept").await.unwrap().unwrap();
            tx.ssm_insert_version(
                &scope,
                &record,
                2,
                &meta(2),
                Timestamp(common::BASE_MS),
                MODIFIED_BY,
                &SecretBytes::new(b"two".to_vec()),
            )
            .await
            .unwrap();
            tx.ssm_put_label(record.id, "prod", 2).await.unwrap();
            tx.ssm_delete_version(record.id, 1).await.unwrap();
        }
        assert_unchanged(&store, "kept").await;

        // The write path is usable afterwards (the rolled-back connection went back clean).
        assert_eq!(common::append(&store, &scope, "kept", b"two").await.unwrap(), 2);
        assert_eq!(common::read_value(&store, &scope, "kept", 2).await.unwrap(), b"two");
        store.close().await;
    }
}

#[tokio::test]
async fn failed_statement_then_drop_rolls_back_everything() {
    for kind in common::backends("failed_statement_then_drop_rolls_back_everything") {
        eprintln!("failed_statement_then_drop_rolls_back_everything [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;
        let scope = scope();
        assert_eq!(common::append(&store, &scope, "kept", b"one").await.unwrap(), 1);

        {
            let mut tx = store.begin().await.unwrap();
            let record = tx.ssm_lock(&scope, "kept").await.unwrap().unwrap();
            // Earlier statements succeed …
            tx.ssm_insert_version(
                &scope,
                &record,
                2,
                &meta(2),
                Timestamp(common::BASE_MS),
                MODIFIED_BY,
                &SecretBytes::new(b"two".to_vec()),
            )
            .await
            .unwrap();
            tx.ssm_put_label(record.id, "prod", 2).await.unwrap();
            tx.ssm_put_tag(record.id, "k", "v").await.unwrap();
            let other = tx.ssm_create(&scope, "other", "/other").await.unwrap().unwrap();
            tx.ssm_insert_version(
                &scope,
                &other,
                1,
                &meta(1),
                Timestamp(common::BASE_MS),
                MODIFIED_BY,
                &SecretBytes::new(b"x".to_vec()),
            )
            .await
            .unwrap();
            // … then a duplicate version number violates UNIQUE (parameter_id, version).
            let err = tx
                .ssm_insert_version(
                    &scope,
                    &record,
                    2,
                    &meta(2),
                    Timestamp(common::BASE_MS),
                    MODIFIED_BY,
                    &SecretBytes::new(b"dup".to_vec()),
                )
                .await
                .expect_err("a duplicate version must fail");
            assert!(err.is_unique_violation(), "[{}] expected a unique violation, got {err}", db.name());
            drop(tx);
        }
        assert_unchanged(&store, "kept").await;
        assert!(
            store.ssm_parameter(&scope, "other").await.unwrap().is_none(),
            "[{}] create in the failed tx leaked",
            db.name()
        );

        // The write path is usable afterwards.
        assert_eq!(common::append(&store, &scope, "kept", b"two").await.unwrap(), 2);
        assert_eq!(common::read_value(&store, &scope, "kept", 2).await.unwrap(), b"two");
        store.close().await;
    }
}

/// Writers run concurrently, so on SQLite they share commits: in each round one writer drops its
/// transaction after writing, one fails a statement and drops it, and one gives up while
/// waiting to begin; the others commit. Every acknowledged write is kept with its value,
/// nothing of the abandoned ones is, and the write path keeps committing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn abandoned_writes_leave_their_group_alone() {
    const WRITERS: usize = 12;
    const ROUNDS: usize = 15;
    for kind in common::backends("abandoned_writes_leave_their_group_alone") {
        eprintln!("abandoned_writes_leave_their_group_alone [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let scope = scope();
                for round in 0..ROUNDS {
                    let name = format!("w{writer}/r{round}");
                    match (writer + round) % 4 {
                        0 => {
                            let mut tx = store.begin().await.unwrap();
                            tx.ssm_create(&scope, &name, &format!("/{name}")).await.unwrap().unwrap();
                            drop(tx);
                        }
                        1 => {
                            let mut tx = store.begin().await.unwrap();
                            let record = tx.ssm_create(&scope, &name, &format!("/{name}")).await.unwrap().unwrap();
                            let insert = async |tx: &mut coffer_store::WriteTx| {
                                let value = SecretBytes::new(b"never".to_vec());
                                let at = Timestamp(common::BASE_MS);
                                tx.ssm_insert_version(&scope, &record, 1, &meta(1), at, MODIFIED_BY, &value).await
                            };
                            insert(&mut tx).await.unwrap();
                            let err = insert(&mut tx).await.expect_err("a duplicate version must fail");
                            assert!(err.is_unique_violation(), "expected a unique violation, got {err}");
                            drop(tx);
                        }
                        2 => {
                            // Gives up at once, most often while another writer holds the connection.
                            let begun = tokio::time::timeout(std::time::Duration::ZERO, store.begin()).await;
                            drop(begun);
                        }
                        _ => {
                            let version = common::append(&store, &scope, &name, name.as_bytes()).await.unwrap();
                            assert_eq!(version, 1);
                        }
                    }
                }
            }));
        }
        for task in tasks {
            task.await.expect("a writer panicked");
        }
        let scope = scope();
        for writer in 0..WRITERS {
            for round in 0..ROUNDS {
                let name = format!("w{writer}/r{round}");
                let stored = store.ssm_parameter(&scope, &name).await.unwrap();
                if (writer + round) % 4 == 3 {
                    assert!(stored.is_some(), "[{}] acknowledged {name} was lost", db.name());
                    assert_eq!(common::read_value(&store, &scope, &name, 1).await.unwrap(), name.as_bytes());
                } else {
                    assert!(stored.is_none(), "[{}] abandoned {name} was kept", db.name());
                }
            }
        }
        assert_eq!(common::append(&store, &scope, "after", b"one").await.unwrap(), 1, "[{}]", db.name());
        store.close().await;
    }
}

/// "kept" still has exactly version 1 with value "one", no labels, no tags.
async fn assert_unchanged(store: &Store, name: &str) {
    let scope = scope();
    let record = store.ssm_parameter(&scope, name).await.unwrap().unwrap();
    assert_eq!(record.latest_version, 1, "latest_version bump must roll back");
    let history = store.ssm_history(record.id, 0, 100).await.unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [1], "version rows must roll back");
    assert_eq!(store.ssm_open(&scope, name, &history[0]).unwrap().expose(), b"one");
    assert!(store.ssm_labels(record.id).await.unwrap().is_empty(), "labels must roll back");
    assert!(store.ssm_tags(record.id).await.unwrap().is_empty(), "tags must roll back");
}
