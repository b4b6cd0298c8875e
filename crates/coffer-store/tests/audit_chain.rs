//! The audit chain detects an edited, a deleted, a swapped and a truncated record.

mod common;

use coffer_aws::Timestamp;
use coffer_store::Store;
use coffer_store::audit::{AuditEvent, AuditQuery, ChainStatus, Durability};
use common::TestDb;
use sqlx::Executor;

fn event(i: i64, principal: &str) -> AuditEvent {
    AuditEvent {
        time: Timestamp(common::BASE_MS + i),
        request_id: format!("req-{i}"),
        account: "000000000000".into(),
        region: "us-east-1".into(),
        principal_arn: Some(principal.into()),
        access_key_id: Some("AKIAEXAMPLE".into()),
        source_ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        event_source: "ssm.amazonaws.com".into(),
        event_name: if i % 2 == 0 { "GetParameters".into() } else { "PutParameter".into() },
        resources: vec![format!("arn:aws:ssm:us-east-1:000000000000:parameter/p{i}")],
        error_code: (i == 3).then(|| "AccessDeniedException".into()),
    }
}

async fn fresh(db: &TestDb) -> Store {
    let store = db.open(common::fresh_keyring()).await;
    let events: Vec<_> = (1..=6)
        .map(|i| event(i, if i < 4 { "arn:aws:iam::000000000000:root" } else { "arn:aws:iam::000000000000:user/bob" }))
        .collect();
    // Both durabilities extend the same chain.
    store.audit_append(&events[..2], Durability::Synced).await.unwrap();
    store.audit_append(&events[2..], Durability::Deferred).await.unwrap();
    store
}

#[tokio::test]
async fn chain_detects_tampering() {
    for kind in common::backends("chain_detects_tampering") {
        eprintln!("chain_detects_tampering [{}]", kind.name());

        let db = TestDb::new(&kind).await;
        let store = fresh(&db).await;
        assert_eq!(store.audit_verify().await.unwrap(), ChainStatus::Intact { records: 6 });
        let bob = store
            .audit_list(&AuditQuery {
                principal_arn: Some("arn:aws:iam::000000000000:user/bob".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(bob.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![6, 5, 4], "newest first");
        let by_resource = store
            .audit_list(&AuditQuery {
                resource: Some("arn:aws:ssm:us-east-1:000000000000:parameter/p3".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_resource.len(), 1);
        assert_eq!(by_resource[0].event.error_code.as_deref(), Some("AccessDeniedException"));
        let gets = store
            .audit_list(&AuditQuery { event_name: Some("GetParameters".into()), limit: 2, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(gets.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![6, 4]);

        let mut raw = db.raw().await;
        raw.execute("UPDATE audit_log SET event_name = 'DeleteParameter' WHERE seq = 3").await.unwrap();
        assert!(matches!(store.audit_verify().await.unwrap(), ChainStatus::Broken { seq: 3, .. }), "edited");

        let db = TestDb::new(&kind).await;
        let store = fresh(&db).await;
        let mut raw = db.raw().await;
        raw.execute("DELETE FROM audit_log WHERE seq = 2").await.unwrap();
        assert!(matches!(store.audit_verify().await.unwrap(), ChainStatus::Broken { seq: 2, .. }), "deleted");

        let db = TestDb::new(&kind).await;
        let store = fresh(&db).await;
        let mut raw = db.raw().await;
        raw.execute("UPDATE audit_log SET seq = 100 WHERE seq = 4").await.unwrap();
        raw.execute("UPDATE audit_log SET seq = 4 WHERE seq = 5").await.unwrap();
        raw.execute("UPDATE audit_log SET seq = 5 WHERE seq = 100").await.unwrap();
        assert!(matches!(store.audit_verify().await.unwrap(), ChainStatus::Broken { seq: 4, .. }), "swapped");

        let db = TestDb::new(&kind).await;
        let store = fresh(&db).await;
        let mut raw = db.raw().await;
        raw.execute("DELETE FROM audit_log WHERE seq = 6").await.unwrap();
        match store.audit_verify().await.unwrap() {
            ChainStatus::Broken { reason, .. } => assert!(reason.contains("truncated"), "{reason}"),
            other => panic!("truncation not detected: {other:?}"),
        }
    }
}

/// An append larger than one multi-row INSERT (the server's writer sends up to 256 events at
/// once) keeps every event, in order, on one intact chain.
#[tokio::test]
async fn large_appends_stay_one_chain() {
    for kind in common::backends("large_appends_stay_one_chain") {
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;
        let events: Vec<_> = (1..=256).map(|i| event(i, "arn:aws:iam::000000000000:root")).collect();
        store.audit_append(&events[..250], Durability::Synced).await.unwrap();
        store.audit_append(&events[250..], Durability::Deferred).await.unwrap();
        assert_eq!(store.audit_verify().await.unwrap(), ChainStatus::Intact { records: 256 });
        let all = store.audit_list(&AuditQuery { limit: 1000, ..Default::default() }).await.unwrap();
        assert_eq!(all.len(), 256);
        assert!(
            all.iter()
                .rev()
                .enumerate()
                .all(|(i, r)| r.seq == i as i64 + 1 && r.event.request_id == format!("req-{}", i + 1))
        );
    }
}
