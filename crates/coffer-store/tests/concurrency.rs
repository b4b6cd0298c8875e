//! Concurrent appends to one parameter never lose, duplicate or skip a version.

mod common;

use common::{TestDb, scope};
use std::collections::BTreeSet;

const TASKS: i64 = 8;
const APPENDS: i64 = 50;
const NAME: &str = "contended/counter";

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_appends_are_serialized() {
    for kind in common::backends("concurrent_appends_are_serialized") {
        eprintln!("concurrent_appends_are_serialized [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;

        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let scope = scope();
                let mut mine = Vec::new();
                for i in 0..APPENDS {
                    let value = format!("task {task} append {i}");
                    // No parameter exists yet: every task races to create it on its first append.
                    let version = common::append(&store, &scope, NAME, value.as_bytes())
                        .await
                        .unwrap_or_else(|e| panic!("task {task} append {i}: {e}"));
                    mine.push((version, value));
                }
                mine
            }));
        }
        let mut acknowledged = Vec::new();
        for task in tasks {
            let mine = task.await.expect("task panicked");
            // One task's appends are sequential, so their versions strictly increase.
            assert!(mine.windows(2).all(|w| w[0].0 < w[1].0), "[{}] a task saw its versions go backwards", db.name());
            acknowledged.extend(mine);
        }

        let total = TASKS * APPENDS;
        // Every acknowledged version number is distinct and the set is exactly 1..=total.
        let numbers: BTreeSet<i64> = acknowledged.iter().map(|(v, _)| *v).collect();
        assert_eq!(
            numbers.len(),
            acknowledged.len(),
            "[{}] two appends were acknowledged with the same version",
            db.name()
        );
        assert_eq!(numbers, (1..=total).collect::<BTreeSet<_>>(), "[{}] acknowledged versions", db.name());

        let scope = scope();
        let record = store.ssm_parameter(&scope, NAME).await.unwrap().expect("parameter exists");
        assert_eq!(record.latest_version, total, "[{}] latest_version", db.name());
        // Read the whole history back in pages: exactly 1..=total, in order, no gaps, no duplicates.
        let mut stored = Vec::new();
        let mut after = 0;
        loop {
            let page = store.ssm_history(record.id, after, 64).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.version;
            stored.extend(page);
        }
        assert_eq!(
            stored.iter().map(|v| v.version).collect::<Vec<_>>(),
            (1..=total).collect::<Vec<_>>(),
            "[{}] history",
            db.name()
        );
        // And each stored version holds the value its writer was told it got.
        acknowledged.sort();
        for ((version, value), v) in acknowledged.iter().zip(&stored) {
            assert_eq!(*version, v.version);
            assert_eq!(
                store.ssm_open(&scope, NAME, v).unwrap().expose(),
                value.as_bytes(),
                "[{}] value of version {version}",
                db.name()
            );
        }
        store.close().await;
    }
}
