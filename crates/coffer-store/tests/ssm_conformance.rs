//! SSM storage conformance: the same behaviour, value for value, on every backend.

mod common;

use coffer_aws::{Scope, SecretBytes, Timestamp};
use coffer_store::ssm::ParameterListing;
use coffer_store::{Store, StoreError};
use common::{MODIFIED_BY, TestDb, meta, scope};

const NAME: &str = "app/db/password";

fn value_of(version: i64) -> Vec<u8> {
    format!("s3cret value #{version} \u{e9}\u{1F511}").into_bytes()
}

#[tokio::test]
async fn ssm_conformance() {
    for kind in common::backends("ssm_conformance") {
        eprintln!("ssm_conformance [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;
        parameter_versions(&store).await;
        history_pagination(&store).await;
        labels(&store).await;
        tags(&store).await;
        listing(&store).await;
        delete_cascades(&db, &store).await;
        store.close().await;
    }
}

async fn parameter_versions(store: &Store) {
    let scope = scope();
    assert!(store.ssm_parameter(&scope, NAME).await.unwrap().is_none());

    let mut tx = store.begin().await.unwrap();
    let created = tx.ssm_create(&scope, NAME, "/app/db/password").await.unwrap().expect("first create returns the row");
    assert_eq!(created.name, NAME);
    assert_eq!(created.display_name, "/app/db/password");
    assert_eq!(created.latest_version, 0);
    assert!(
        tx.ssm_create(&scope, NAME, "/app/db/password").await.unwrap().is_none(),
        "a second create of the same name is a no-op"
    );
    let locked = tx.ssm_lock(&scope, NAME).await.unwrap().expect("lock finds the created row");
    assert_eq!(locked, created);
    tx.commit().await.unwrap();

    for v in 1..=3 {
        let mut tx = store.begin().await.unwrap();
        let record = tx.ssm_lock(&scope, NAME).await.unwrap().unwrap();
        assert_eq!(record.latest_version, v - 1);
        assert_eq!(record.id, created.id);
        tx.ssm_insert_version(
            &scope,
            &record,
            v,
            &meta(v),
            Timestamp(common::BASE_MS + v),
            MODIFIED_BY,
            &SecretBytes::new(value_of(v)),
        )
        .await
        .unwrap();
        // Visible inside the transaction before commit.
        let inside = tx.ssm_version(record.id, v).await.unwrap().expect("own write visible in tx");
        assert_eq!(inside.meta, meta(v));
        tx.commit().await.unwrap();
    }

    let record = store.ssm_parameter(&scope, NAME).await.unwrap().unwrap();
    assert_eq!(record.latest_version, 3);
    assert_eq!(record.id, created.id);
    for v in 1..=3 {
        let got = store.ssm_version(record.id, v).await.unwrap().unwrap_or_else(|| panic!("version {v}"));
        assert_eq!(got.version, v);
        assert_eq!(got.meta, meta(v));
        assert_eq!(got.modified, Timestamp(common::BASE_MS + v));
        assert_eq!(got.modified_by, MODIFIED_BY);
        assert_eq!(got.sealed.master_key_id, store.keyring().active().id());
        assert_eq!(store.ssm_open(&scope, NAME, &got).unwrap().expose(), value_of(v).as_slice());
    }
    assert!(store.ssm_version(record.id, 0).await.unwrap().is_none());
    assert!(store.ssm_version(record.id, 4).await.unwrap().is_none());

    // The same name in another region (or account) is another parameter.
    let other = Scope::new("000000000000", "eu-west-1");
    assert!(store.ssm_parameter(&other, NAME).await.unwrap().is_none());
    assert_eq!(common::append(store, &other, NAME, b"other region").await.unwrap(), 1);
    let other_record = store.ssm_parameter(&other, NAME).await.unwrap().unwrap();
    assert_ne!(other_record.id, record.id);
    assert_eq!(common::read_value(store, &other, NAME, 1).await.unwrap(), b"other region");
    assert_eq!(store.ssm_parameter(&scope, NAME).await.unwrap().unwrap().latest_version, 3);
    // A value opened under the wrong scope fails, it never yields the other region's value.
    let v1 = store.ssm_version(other_record.id, 1).await.unwrap().unwrap();
    assert!(matches!(store.ssm_open(&scope, NAME, &v1), Err(StoreError::Crypto(_))));
}

async fn history_pagination(store: &Store) {
    let scope = scope();
    let record = store.ssm_parameter(&scope, NAME).await.unwrap().unwrap();
    let versions = |h: &[coffer_store::ssm::ParameterVersion]| h.iter().map(|v| v.version).collect::<Vec<_>>();

    let all = store.ssm_history(record.id, 0, 50).await.unwrap();
    assert_eq!(versions(&all), [1, 2, 3]);
    for v in &all {
        assert_eq!(v.meta, meta(v.version));
        assert_eq!(store.ssm_open(&scope, NAME, v).unwrap().expose(), value_of(v.version).as_slice());
    }
    assert_eq!(versions(&store.ssm_history(record.id, 0, 2).await.unwrap()), [1, 2]);
    assert_eq!(versions(&store.ssm_history(record.id, 2, 2).await.unwrap()), [3]);
    assert_eq!(versions(&store.ssm_history(record.id, 1, 1).await.unwrap()), [2]);
    assert!(store.ssm_history(record.id, 3, 2).await.unwrap().is_empty());
    assert!(store.ssm_history(record.id + 1000, 0, 10).await.unwrap().is_empty());

    // Paging with limit 1 walks every version exactly once, in order.
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = store.ssm_history(record.id, after, 1).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.version;
        walked.extend(versions(&page));
    }
    assert_eq!(walked, [1, 2, 3]);

    // Span, and deleting the oldest version (what the 100-version limit does).
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.ssm_version_span(record.id).await.unwrap(), (1, 3));
    tx.ssm_delete_version(record.id, 1).await.unwrap();
    assert_eq!(tx.ssm_version_span(record.id).await.unwrap(), (2, 2));
    tx.commit().await.unwrap();
    assert_eq!(versions(&store.ssm_history(record.id, 0, 50).await.unwrap()), [2, 3]);
    assert!(store.ssm_version(record.id, 1).await.unwrap().is_none());
    assert_eq!(store.ssm_parameter(&scope, NAME).await.unwrap().unwrap().latest_version, 3);
}

async fn labels(store: &Store) {
    let scope = scope();
    let id = store.ssm_parameter(&scope, NAME).await.unwrap().unwrap().id;
    assert!(store.ssm_labels(id).await.unwrap().is_empty());

    let mut tx = store.begin().await.unwrap();
    tx.ssm_put_label(id, "stable", 2).await.unwrap();
    tx.ssm_put_label(id, "prod", 2).await.unwrap();
    tx.ssm_put_label(id, "canary", 3).await.unwrap();
    assert_eq!(tx.ssm_labels_of(id, 2).await.unwrap(), ["prod", "stable"]);
    tx.commit().await.unwrap();
    assert_eq!(
        store.ssm_labels(id).await.unwrap(),
        [("canary".to_owned(), 3), ("prod".to_owned(), 2), ("stable".to_owned(), 2)]
    );
    assert_eq!(store.ssm_label_version(id, "prod").await.unwrap(), Some(2));
    assert_eq!(store.ssm_label_version(id, "Prod").await.unwrap(), None, "labels are case-sensitive");
    assert_eq!(store.ssm_label_version(id, "missing").await.unwrap(), None);

    // Move: putting a label on another version takes it off the old one.
    let mut tx = store.begin().await.unwrap();
    tx.ssm_put_label(id, "prod", 3).await.unwrap();
    assert_eq!(tx.ssm_labels_of(id, 2).await.unwrap(), ["stable"]);
    assert_eq!(tx.ssm_labels_of(id, 3).await.unwrap(), ["canary", "prod"]);
    tx.commit().await.unwrap();
    assert_eq!(store.ssm_label_version(id, "prod").await.unwrap(), Some(3));
    assert_eq!(store.ssm_labels(id).await.unwrap().len(), 3);

    // Remove: only from the version it is on.
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.ssm_remove_label(id, "prod", 2).await.unwrap(), "prod is not on version 2");
    assert!(tx.ssm_remove_label(id, "prod", 3).await.unwrap());
    assert!(!tx.ssm_remove_label(id, "prod", 3).await.unwrap(), "already removed");
    tx.commit().await.unwrap();
    assert_eq!(store.ssm_label_version(id, "prod").await.unwrap(), None);
    assert_eq!(store.ssm_labels(id).await.unwrap(), [("canary".to_owned(), 3), ("stable".to_owned(), 2)]);
}

async fn tags(store: &Store) {
    let scope = scope();
    let id = store.ssm_parameter(&scope, NAME).await.unwrap().unwrap().id;
    assert!(store.ssm_tags(id).await.unwrap().is_empty());

    let mut tx = store.begin().await.unwrap();
    tx.ssm_put_tag(id, "copilot-environment", "test").await.unwrap();
    tx.ssm_put_tag(id, "copilot-application", "demo").await.unwrap();
    tx.ssm_put_tag(id, "Team", "").await.unwrap();
    tx.commit().await.unwrap();
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
    // Ordered by key, bytewise ("T" < "c").
    assert_eq!(
        store.ssm_tags(id).await.unwrap(),
        pairs(&[("Team", ""), ("copilot-application", "demo"), ("copilot-environment", "test")])
    );

    let mut tx = store.begin().await.unwrap();
    tx.ssm_put_tag(id, "copilot-environment", "prod").await.unwrap();
    assert_eq!(tx.ssm_tags(id).await.unwrap().len(), 3, "overwrite does not add a tag");
    tx.ssm_remove_tag(id, "Team").await.unwrap();
    tx.ssm_remove_tag(id, "not-there").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.ssm_tags(id).await.unwrap(),
        pairs(&[("copilot-application", "demo"), ("copilot-environment", "prod")])
    );
}

async fn listing(store: &Store) {
    let scope = scope();
    let names = ["b", "app/x", "apps", "app/y/z", "App/upper", "app/y", "app_", "app-x", "ap"];
    for name in names {
        common::append(store, &scope, name, format!("v1 of {name}").as_bytes()).await.unwrap();
    }
    common::append(store, &scope, "app/y", b"v2 of app/y").await.unwrap();
    // Same names in another account must not appear.
    common::append(store, &Scope::new("111111111111", "us-east-1"), "app/x", b"other account").await.unwrap();

    let list = async |prefix: Option<&str>, after: Option<&str>, limit: i64| -> Vec<String> {
        let rows = store.ssm_list(&scope, &ParameterListing { prefix, after, limit }).await.unwrap();
        for (record, version) in &rows {
            assert_eq!(version.version, record.latest_version, "list returns the latest version");
            assert_eq!(version.meta, meta(version.version));
            let expected = if record.name == NAME {
                value_of(3)
            } else {
                format!("v{} of {}", version.version, record.name).into_bytes()
            };
            assert_eq!(
                store.ssm_open(&scope, &record.name, version).unwrap().expose(),
                expected.as_slice(),
                "{}",
                record.name
            );
        }
        rows.into_iter().map(|(r, _)| r.name).collect()
    };

    // Bytewise order: "A" < "a", "-" < "/" < "_" < "s".
    let everything = ["App/upper", "ap", "app-x", NAME, "app/x", "app/y", "app/y/z", "app_", "apps", "b"];
    assert_eq!(list(None, None, 100).await, everything);
    assert_eq!(list(Some("app/"), None, 100).await, [NAME, "app/x", "app/y", "app/y/z"]);
    assert_eq!(list(Some("app/"), None, 2).await, [NAME, "app/x"]);
    assert_eq!(list(Some("app/"), Some("app/x"), 100).await, ["app/y", "app/y/z"]);
    assert_eq!(list(Some("app/"), Some("app/y"), 1).await, ["app/y/z"]);
    assert_eq!(list(Some("app/y"), None, 100).await, ["app/y", "app/y/z"], "a name equal to the prefix is included");
    assert_eq!(list(None, Some("apps"), 100).await, ["b"]);
    assert_eq!(list(Some("app_"), None, 100).await, ["app_"], "_ is not a wildcard");
    assert!(list(Some("app%"), None, 100).await.is_empty(), "% is not a wildcard");
    assert!(list(Some("APP/"), None, 100).await.is_empty(), "prefixes are case-sensitive");
    assert!(list(Some("app/"), Some("b"), 100).await.is_empty());
    assert!(list(Some("zzz"), None, 100).await.is_empty());

    // Keyset pagination with a small page walks everything once, in order.
    let mut walked: Vec<String> = Vec::new();
    loop {
        let after = walked.last().cloned();
        let page = list(None, after.as_deref(), 3).await;
        assert!(page.len() <= 3);
        if page.is_empty() {
            break;
        }
        walked.extend(page);
    }
    assert_eq!(walked, everything);
}

async fn delete_cascades(db: &TestDb, store: &Store) {
    let scope = scope();
    let record = store.ssm_parameter(&scope, NAME).await.unwrap().unwrap();
    let id = record.id;
    let mut conn = db.raw().await;
    let versions_sql = "SELECT COUNT(*) FROM ssm_parameter_versions WHERE parameter_id = $1";
    let labels_sql = "SELECT COUNT(*) FROM ssm_parameter_labels WHERE parameter_id = $1";
    let tags_sql = "SELECT COUNT(*) FROM ssm_parameter_tags WHERE parameter_id = $1";
    assert_eq!(common::raw_count(&mut conn, versions_sql, id).await, 2);
    assert_eq!(common::raw_count(&mut conn, labels_sql, id).await, 2);
    assert_eq!(common::raw_count(&mut conn, tags_sql, id).await, 2);
    let neighbour = store.ssm_parameter(&scope, "app/y").await.unwrap().unwrap();

    let mut tx = store.begin().await.unwrap();
    tx.ssm_delete(id).await.unwrap();
    tx.commit().await.unwrap();

    assert!(store.ssm_parameter(&scope, NAME).await.unwrap().is_none());
    assert!(store.ssm_history(id, 0, 100).await.unwrap().is_empty());
    assert!(store.ssm_labels(id).await.unwrap().is_empty());
    assert!(store.ssm_tags(id).await.unwrap().is_empty());
    assert_eq!(common::raw_count(&mut conn, versions_sql, id).await, 0, "versions cascade");
    assert_eq!(common::raw_count(&mut conn, labels_sql, id).await, 0, "labels cascade");
    assert_eq!(common::raw_count(&mut conn, tags_sql, id).await, 0, "tags cascade");
    // The other region's parameter of the same name and the neighbours are untouched.
    assert_eq!(
        common::read_value(store, &Scope::new("000000000000", "eu-west-1"), NAME, 1).await.unwrap(),
        b"other region"
    );
    assert_eq!(store.ssm_history(neighbour.id, 0, 100).await.unwrap().len(), 2);

    // Re-creating the name starts from version 1 with a new id and nothing inherited.
    assert_eq!(common::append(store, &scope, NAME, b"reborn").await.unwrap(), 1);
    let reborn = store.ssm_parameter(&scope, NAME).await.unwrap().unwrap();
    assert_ne!(reborn.id, id);
    assert!(store.ssm_labels(reborn.id).await.unwrap().is_empty());
    assert!(store.ssm_tags(reborn.id).await.unwrap().is_empty());
    assert_eq!(common::read_value(store, &scope, NAME, 1).await.unwrap(), b"reborn");
}
