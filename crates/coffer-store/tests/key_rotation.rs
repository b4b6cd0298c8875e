//! Master-key rotation re-wraps every data key; afterwards the old key is not needed.

mod common;

use coffer_store::master_key::{self, FileRotation, KEY_FILE, NEXT_KEY_FILE};
use coffer_store::{CryptoError, Keyring, MasterKey, Store, StoreError};
use common::{TestDb, scope};
use std::collections::HashMap;

/// Writes a few parameters with a few versions each; returns (name, version) → value.
async fn write_values(store: &Store, tag: &str, count: usize) -> HashMap<(String, i64), Vec<u8>> {
    let scope = scope();
    let mut written = HashMap::new();
    for i in 0..count {
        let name = format!("rotation/{tag}/p{i}");
        for _ in 0..=(i % 3) {
            let value = format!("{tag}-{i}-{}", common::random_alnum(16)).into_bytes();
            let v = common::append(store, &scope, &name, &value).await.unwrap();
            written.insert((name.clone(), v), value);
        }
    }
    written
}

async fn assert_all_read(store: &Store, written: &HashMap<(String, i64), Vec<u8>>, when: &str) {
    let scope = scope();
    for ((name, v), value) in written {
        match common::read_value(store, &scope, name, *v).await {
            Ok(got) => assert_eq!(&got, value, "{when}: {name} v{v}"),
            Err(e) => panic!("{when}: {name} v{v} does not open: {e}"),
        }
    }
}

async fn ciphertexts(
    db: &TestDb,
    store: &Store,
    written: &HashMap<(String, i64), Vec<u8>>,
) -> HashMap<(String, i64), common::RawSealed> {
    let mut conn = db.raw().await;
    let mut out = HashMap::new();
    for (name, v) in written.keys() {
        let id = store.ssm_parameter(&scope(), name).await.unwrap().unwrap().id;
        out.insert((name.clone(), *v), common::raw_sealed(&mut conn, id, *v).await);
    }
    out
}

#[tokio::test]
async fn file_key_rotation() {
    for kind in common::backends("file_key_rotation") {
        eprintln!("file_key_rotation [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let dir = db.data_dir().to_owned();
        let (ring, _) = master_key::load_keyring(&dir, None).unwrap();
        let old_id = ring.active().id().to_owned();
        let old = common::copy_key(ring.active());
        let store = db.open(ring).await;
        let written = write_values(&store, "before", 6).await;
        let n = written.len() as i64;
        assert_eq!(store.master_key_usage().await.unwrap(), [(old_id.clone(), n)]);
        let before = ciphertexts(&db, &store, &written).await;
        store.close().await;

        let rotation = FileRotation::begin(&dir).unwrap();
        let new_id = rotation.keyring.active().id().to_owned();
        assert_ne!(new_id, old_id);
        assert!(dir.join(NEXT_KEY_FILE).exists());
        let store = db.open(rotation.keyring.clone()).await;
        assert_eq!(store.rewrap_all().await.unwrap() as i64, n, "every data key re-wrapped once");
        assert_eq!(store.rewrap_all().await.unwrap(), 0, "a second pass has nothing to do");
        assert_all_read(&store, &written, "after rewrap, before finish").await;
        assert_eq!(store.master_key_usage().await.unwrap(), [(new_id.clone(), n)], "only the new key wraps anything");
        // Only the data keys changed: every value ciphertext is byte-for-byte the same.
        let after = ciphertexts(&db, &store, &written).await;
        for (k, old) in &before {
            let new = &after[k];
            assert_eq!(new.ciphertext, old.ciphertext, "{k:?} value ciphertext must not change");
            assert_ne!(new.wrapped_key, old.wrapped_key, "{k:?} data key must be re-wrapped");
            assert_eq!(new.master_key_id, new_id);
        }
        store.close().await;
        assert_eq!(rotation.finish().unwrap(), new_id);
        assert!(!dir.join(NEXT_KEY_FILE).exists(), "finish removes master.key.next");

        // After finish, master.key is the new key and is all a process needs.
        let (ring, _) = master_key::load_keyring(&dir, None).unwrap();
        assert_eq!(ring.active().id(), new_id);
        let only_new = Keyring::new(MasterKey::from_bytes(ring.active().material()));
        let store = db.open(only_new).await;
        assert_all_read(&store, &written, "with only the new key").await;
        // New writes are sealed by the new key.
        let more = write_values(&store, "after", 2).await;
        assert_eq!(store.master_key_usage().await.unwrap(), [(new_id.clone(), n + more.len() as i64)]);
        store.close().await;
        // The old key alone can no longer open anything.
        let old_only = db.open(Keyring::new(old)).await;
        for (name, v) in written.keys() {
            assert!(matches!(
                common::read_value(&old_only, &scope(), name, *v).await,
                Err(StoreError::Crypto(CryptoError::UnknownMasterKey(id))) if id == new_id
            ));
        }
        old_only.close().await;
    }
}

#[tokio::test]
async fn interrupted_file_rotation_resumes() {
    for kind in common::backends("interrupted_file_rotation_resumes") {
        eprintln!("interrupted_file_rotation_resumes [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let dir = db.data_dir().to_owned();
        let (ring, _) = master_key::load_keyring(&dir, None).unwrap();
        let old = common::copy_key(ring.active());
        let old_id = old.id().to_owned();
        let store = db.open(ring).await;
        let mut written = write_values(&store, "before", 5).await;
        let n = written.len() as i64;
        store.close().await;

        // Rotation begins and re-wraps, then the process dies before `finish`.
        let rotation = FileRotation::begin(&dir).unwrap();
        let new_id = rotation.keyring.active().id().to_owned();
        let store = db.open(rotation.keyring.clone()).await;
        assert_eq!(store.rewrap_all().await.unwrap() as i64, n);
        store.close().await;
        drop(rotation);
        assert!(dir.join(KEY_FILE).exists() && dir.join(NEXT_KEY_FILE).exists());

        // A restart loads master.key (still active: the old key) plus master.key.next.
        let (ring, _) = master_key::load_keyring(&dir, None).unwrap();
        assert_eq!(ring.active().id(), old_id, "until finish, master.key stays the active key");
        let store = db.open(ring).await;
        assert_all_read(&store, &written, "restart during rotation").await;
        // Values written meanwhile are sealed by the (still active) old key.
        let during = write_values(&store, "during", 2).await;
        let d = during.len() as i64;
        written.extend(during);
        assert_eq!(store.master_key_usage().await.unwrap(), sorted(vec![(old_id.clone(), d), (new_id.clone(), n)]));
        assert_all_read(&store, &written, "mixed keys").await;
        store.close().await;
        // Without master.key.next the re-wrapped values would be stranded: only the old key fails.
        let old_only = db.open(Keyring::new(common::copy_key(&old))).await;
        let (name, v) = written.keys().find(|(name, _)| name.contains("/before/")).unwrap();
        assert!(matches!(
            common::read_value(&old_only, &scope(), name, *v).await,
            Err(StoreError::Crypto(CryptoError::UnknownMasterKey(id))) if id == new_id
        ));
        old_only.close().await;

        // Running the rotation again reuses master.key.next and finishes.
        let rotation = FileRotation::begin(&dir).unwrap();
        assert_eq!(rotation.keyring.active().id(), new_id, "begin reuses master.key.next");
        let store = db.open(rotation.keyring.clone()).await;
        assert_eq!(store.rewrap_all().await.unwrap() as i64, d, "only what the old key sealed meanwhile");
        assert_eq!(store.master_key_usage().await.unwrap(), [(new_id.clone(), n + d)]);
        store.close().await;
        assert_eq!(rotation.finish().unwrap(), new_id);
        assert!(!dir.join(NEXT_KEY_FILE).exists());

        let (ring, _) = master_key::load_keyring(&dir, None).unwrap();
        assert_eq!(ring.active().id(), new_id);
        let store = db.open(Keyring::new(MasterKey::from_bytes(ring.active().material()))).await;
        assert_all_read(&store, &written, "after the resumed rotation, with only the new key").await;
        store.close().await;
    }
}

fn sorted(mut v: Vec<(String, i64)>) -> Vec<(String, i64)> {
    v.sort();
    v
}

/// Environment-style keys (`COFFER_MASTER_KEY` old, then new with the old one added).
#[tokio::test]
async fn env_key_rotation() {
    for kind in common::backends("env_key_rotation") {
        eprintln!("env_key_rotation [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let old = MasterKey::generate().unwrap();
        let new = MasterKey::generate().unwrap();
        let (old_id, new_id) = (old.id().to_owned(), new.id().to_owned());

        let store = db.open(Keyring::new(common::copy_key(&old))).await;
        let written = write_values(&store, "env", 7).await;
        let n = written.len() as i64;
        store.close().await;

        let both = Keyring::new(common::copy_key(&new)).with_key(common::copy_key(&old));
        let store = db.open(both).await;
        assert_all_read(&store, &written, "both keys, before rewrap").await;
        assert_eq!(store.master_key_usage().await.unwrap(), [(old_id.clone(), n)]);
        assert_eq!(store.rewrap_all().await.unwrap() as i64, n);
        assert_eq!(store.master_key_usage().await.unwrap(), [(new_id.clone(), n)]);
        store.close().await;

        let store = db.open(Keyring::new(common::copy_key(&new))).await;
        assert_all_read(&store, &written, "only the new key").await;
        store.close().await;

        // Re-wrapping with a keyring that lacks the sealing key fails loudly, changing nothing.
        let store = db.open(Keyring::new(MasterKey::generate().unwrap())).await;
        assert!(
            matches!(store.rewrap_all().await, Err(StoreError::Crypto(CryptoError::UnknownMasterKey(id))) if id == new_id)
        );
        store.close().await;
        let store = db.open(Keyring::new(common::copy_key(&new))).await;
        assert_eq!(store.master_key_usage().await.unwrap(), [(new_id.clone(), n)]);
        assert_all_read(&store, &written, "after a failed rewrap").await;
        store.close().await;
    }
}
