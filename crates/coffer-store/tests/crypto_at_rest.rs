//! Values at rest: tampered, swapped or foreign-key rows fail to open (never wrong plaintext),
//! and no plaintext value is anywhere in the database files or a dump.

mod common;

use coffer_store::{CryptoError, Store, StoreError};
use common::{Kind, RawSealed, TestDb, scope};
use std::collections::HashMap;

fn assert_crypto_err(result: Result<Vec<u8>, StoreError>, what: &str) -> CryptoError {
    match result {
        Err(StoreError::Crypto(e)) => e,
        Err(other) => panic!("{what}: expected StoreError::Crypto, got {other}"),
        Ok(plain) => panic!("{what}: expected StoreError::Crypto, got plaintext {:?}", String::from_utf8_lossy(&plain)),
    }
}

#[tokio::test]
async fn tampered_rows_fail_to_open() {
    for kind in common::backends("tampered_rows_fail_to_open") {
        eprintln!("tampered_rows_fail_to_open [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store = db.open(common::fresh_keyring()).await;
        let scope = scope();
        let n = db.name();
        for v in 1..=2 {
            common::append(&store, &scope, "param/a", format!("alpha value {v}").as_bytes()).await.unwrap();
            common::append(&store, &scope, "param/b", format!("bravo value {v}").as_bytes()).await.unwrap();
        }
        let a = store.ssm_parameter(&scope, "param/a").await.unwrap().unwrap();
        let b = store.ssm_parameter(&scope, "param/b").await.unwrap().unwrap();
        let mut conn = db.raw().await;
        let a1 = common::raw_sealed(&mut conn, a.id, 1).await;
        let b1 = common::raw_sealed(&mut conn, b.id, 1).await;
        let a2 = common::raw_sealed(&mut conn, a.id, 2).await;
        let restore = async |conn: &mut _, row: &RawSealed| {
            common::raw_write_sealed(conn, row.row_id, &row.ciphertext, &row.wrapped_key, &row.master_key_id).await;
        };

        // (a) One flipped bit anywhere in the stored ciphertext (nonce, body, tag) or in the wrapped key.
        let len = a1.ciphertext.len();
        for (byte, bit) in [(0, 0), (11, 7), (12, 3), (len / 2, 5), (len - 1, 0)] {
            let mut bad = a1.ciphertext.clone();
            bad[byte] ^= 1 << bit;
            common::raw_write_sealed(&mut conn, a1.row_id, &bad, &a1.wrapped_key, &a1.master_key_id).await;
            let err = assert_crypto_err(
                common::read_value(&store, &scope, "param/a", 1).await,
                &format!("[{n}] ciphertext bit {byte}.{bit}"),
            );
            assert_eq!(err, CryptoError::Authentication);
        }
        let mut bad = a1.wrapped_key.clone();
        bad[20] ^= 0x10;
        common::raw_write_sealed(&mut conn, a1.row_id, &a1.ciphertext, &bad, &a1.master_key_id).await;
        assert_eq!(
            assert_crypto_err(common::read_value(&store, &scope, "param/a", 1).await, "wrapped key bit"),
            CryptoError::Authentication
        );
        // Truncated to nothing.
        common::raw_write_sealed(&mut conn, a1.row_id, &[], &a1.wrapped_key, &a1.master_key_id).await;
        assert_eq!(
            assert_crypto_err(common::read_value(&store, &scope, "param/a", 1).await, "empty ciphertext"),
            CryptoError::Authentication
        );
        // Restored, it opens again (so the failures above were the tampering, nothing else).
        restore(&mut conn, &a1).await;
        assert_eq!(common::read_value(&store, &scope, "param/a", 1).await.unwrap(), b"alpha value 1");

        // (b) Swapped rows: A's sealed value copied into B's row, and into A's other version.
        common::raw_write_sealed(&mut conn, b1.row_id, &a1.ciphertext, &a1.wrapped_key, &a1.master_key_id).await;
        let err = assert_crypto_err(
            common::read_value(&store, &scope, "param/b", 1).await,
            &format!("[{n}] A's value in B's row"),
        );
        assert_eq!(err, CryptoError::Authentication);
        common::raw_write_sealed(&mut conn, a2.row_id, &a1.ciphertext, &a1.wrapped_key, &a1.master_key_id).await;
        let err = assert_crypto_err(
            common::read_value(&store, &scope, "param/a", 2).await,
            &format!("[{n}] version 1 in version 2's row"),
        );
        assert_eq!(err, CryptoError::Authentication);
        // Only the data key swapped (ciphertext kept): also refused.
        common::raw_write_sealed(&mut conn, b1.row_id, &b1.ciphertext, &a1.wrapped_key, &a1.master_key_id).await;
        assert_crypto_err(common::read_value(&store, &scope, "param/b", 1).await, "foreign data key");
        restore(&mut conn, &b1).await;
        restore(&mut conn, &a2).await;
        assert_eq!(common::read_value(&store, &scope, "param/b", 1).await.unwrap(), b"bravo value 1");
        assert_eq!(common::read_value(&store, &scope, "param/a", 2).await.unwrap(), b"alpha value 2");
        // The same name in another region is another binding.
        common::append(&store, &coffer_aws::Scope::new("000000000000", "eu-west-1"), "param/a", b"x").await.unwrap();
        let other = coffer_aws::Scope::new("000000000000", "eu-west-1");
        let a_other = store.ssm_parameter(&other, "param/a").await.unwrap().unwrap();
        let row = common::raw_sealed(&mut conn, a_other.id, 1).await;
        common::raw_write_sealed(&mut conn, row.row_id, &a1.ciphertext, &a1.wrapped_key, &a1.master_key_id).await;
        assert_crypto_err(common::read_value(&store, &other, "param/a", 1).await, "value moved across regions");

        // (c) A store whose keyring holds another master key.
        let stranger = db.open(common::fresh_keyring()).await;
        let err = assert_crypto_err(
            common::read_value(&stranger, &scope, "param/a", 1).await,
            &format!("[{n}] other master key"),
        );
        assert_eq!(err, CryptoError::UnknownMasterKey(a1.master_key_id.clone()));
        // Even if the row is relabelled with the stranger's key id, it fails authentication.
        let stranger_id = stranger.keyring().active().id().to_owned();
        common::raw_write_sealed(&mut conn, a1.row_id, &a1.ciphertext, &a1.wrapped_key, &stranger_id).await;
        let err =
            assert_crypto_err(common::read_value(&stranger, &scope, "param/a", 1).await, "relabelled master key id");
        assert_eq!(err, CryptoError::Authentication);
        restore(&mut conn, &a1).await;
        assert_eq!(common::read_value(&store, &scope, "param/a", 1).await.unwrap(), b"alpha value 1");
        stranger.close().await;
        store.close().await;
    }
}

/// For each needle, whether it occurs in `haystack`. One pass per distinct needle length.
fn occurrences(haystack: &[u8], needles: &[Vec<u8>]) -> Vec<bool> {
    let mut found = vec![false; needles.len()];
    let mut by_len: HashMap<usize, HashMap<&[u8], Vec<usize>>> = HashMap::new();
    for (i, n) in needles.iter().enumerate() {
        assert!(!n.is_empty());
        by_len.entry(n.len()).or_default().entry(n.as_slice()).or_default().push(i);
    }
    for (len, set) in by_len {
        for window in haystack.windows(len) {
            if let Some(ids) = set.get(window) {
                for &i in ids {
                    found[i] = true;
                }
            }
        }
    }
    found
}

/// The forms a plaintext value could take at rest: raw bytes, and hex (how `pg_dump` prints
/// `bytea`, so a value stored unencrypted in a `bytea` column would appear that way).
fn forms(value: &str) -> Vec<Vec<u8>> {
    vec![value.as_bytes().to_vec(), hex::encode(value).into_bytes(), hex::encode_upper(value).into_bytes()]
}

/// Everything the database holds, as bytes: every file of the SQLite data directory, or a
/// `pg_dump` of the PostgreSQL database.
fn everything_at_rest(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    match &db.kind {
        Kind::Sqlite => {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(db.data_dir()).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                }
            }
            let names: Vec<_> = files.iter().map(|(p, _)| p.rsplit('/').next().unwrap().to_owned()).collect();
            assert!(names.iter().any(|n| n == "coffer.db"), "coffer.db not found among {names:?}");
            files
        }
        Kind::Postgres(_) => {
            let url = db.database_url.as_deref().unwrap();
            let output = std::process::Command::new("pg_dump")
                .arg("--no-owner")
                .arg(format!("--dbname={url}"))
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run pg_dump (is the PostgreSQL client installed and on PATH?): {e}")
                });
            assert!(output.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&output.stderr));
            assert!(!output.stdout.is_empty(), "pg_dump printed nothing");
            vec![(format!("pg_dump of {}", db.pg_database().unwrap()), output.stdout)]
        }
    }
}

#[tokio::test]
async fn no_plaintext_at_rest() {
    for kind in common::backends("no_plaintext_at_rest") {
        eprintln!("no_plaintext_at_rest [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        let store: Store = db.open(common::fresh_keyring()).await;
        let scope = scope();
        let values: Vec<String> = (0..100).map(|_| common::random_alnum(24)).collect();
        let names: Vec<String> =
            (0..100).map(|i| format!("at-rest/{}/param-{i:03}", common::random_alnum(8))).collect();
        for (name, value) in names.iter().zip(&values) {
            common::append(&store, &scope, name, value.as_bytes()).await.unwrap();
        }
        // Some values twice, so older versions are on disk too.
        for (name, value) in names.iter().zip(&values).take(10) {
            common::append(&store, &scope, name, value.as_bytes()).await.unwrap();
        }
        // Positive control: a row whose "ciphertext" is plaintext, as a broken store would write it.
        let canary = format!("CANARY{}", common::random_alnum(18));
        common::append(&store, &scope, "at-rest/canary", b"placeholder").await.unwrap();
        let canary_id = store.ssm_parameter(&scope, "at-rest/canary").await.unwrap().unwrap().id;
        let mut conn = db.raw().await;
        let row = common::raw_sealed(&mut conn, canary_id, 1).await;
        common::raw_write_sealed(&mut conn, row.row_id, canary.as_bytes(), &row.wrapped_key, &row.master_key_id).await;
        drop(conn);
        // Every value reads back (the scan is of real, working data).
        for (name, value) in names.iter().zip(&values) {
            let latest = store.ssm_parameter(&scope, name).await.unwrap().unwrap().latest_version;
            assert_eq!(common::read_value(&store, &scope, name, latest).await.unwrap(), value.as_bytes());
        }
        store.close().await;

        let mut needles = Vec::new();
        for value in &values {
            needles.extend(forms(value));
        }
        let values_end = needles.len();
        let canary_forms = forms(&canary);
        needles.extend(canary_forms.iter().cloned());
        needles.extend(names.iter().map(|n| n.as_bytes().to_vec()));

        let mut found = vec![false; needles.len()];
        let mut scanned = 0;
        for (what, bytes) in everything_at_rest(&db) {
            scanned += bytes.len();
            for (i, hit) in occurrences(&bytes, &needles).into_iter().enumerate() {
                if hit && i < values_end {
                    panic!("[{}] plaintext value #{} found in {what}", db.name(), i / 3);
                }
                found[i] |= hit;
            }
        }
        assert!(scanned > 0);
        // The scan can see plaintext: the names (stored in clear) and the canary are found.
        let names_found = found[values_end + canary_forms.len()..].iter().filter(|f| **f).count();
        assert_eq!(names_found, names.len(), "[{}] the scan missed parameter names stored in plaintext", db.name());
        let canary_found = found[values_end..values_end + canary_forms.len()].iter().any(|f| *f);
        assert!(canary_found, "[{}] the scan missed a plaintext value planted in a ciphertext column", db.name());
        eprintln!(
            "no_plaintext_at_rest [{}]: scanned {scanned} bytes, 0 of 100 values found, canary and 100 names found",
            db.name()
        );
    }
}
