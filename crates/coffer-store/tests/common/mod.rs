//! Shared helpers for the store's integration tests: which backends to run against, a fresh
//! database per test, raw SQL access for tampering, and the canonical "append a version" flow.
//!
//! Every test body runs once per backend from [`backends`]: SQLite always (a temp data dir),
//! PostgreSQL when `COFFER_TEST_POSTGRES_URL` is set (a fresh `coffer_test_<random>` database
//! on that server per test, dropped at the end, so tests run in parallel).

#![allow(dead_code)]

use coffer_aws::ParameterType;
use coffer_aws::{Scope, SecretBytes, Timestamp};
use coffer_store::ssm::{ParameterMeta, ParameterRecord};
use coffer_store::{Backend, Keyring, MasterKey, Store, StoreError, StoreOptions};
use sqlx::AnyConnection;
use sqlx::any::install_default_drivers;
use sqlx::{AssertSqlSafe, Connection as _, Row as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use tempfile::TempDir;

pub const POSTGRES_URL_ENV: &str = "COFFER_TEST_POSTGRES_URL";

/// A backend a test body runs against.
#[derive(Clone, Debug)]
pub enum Kind {
    Sqlite,
    /// The server URL from `COFFER_TEST_POSTGRES_URL` (any database on it; tests create their own).
    Postgres(String),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres(_) => "postgres",
        }
    }
}

/// The backends to run `test` against. When PostgreSQL is not configured this says so on
/// stderr, so a skipped variant is never silent.
pub fn backends(test: &str) -> Vec<Kind> {
    let mut kinds = vec![Kind::Sqlite];
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => kinds.push(Kind::Postgres(url.trim().to_owned())),
        _ => eprintln!("{test} [postgres]: skipped: {POSTGRES_URL_ENV} not set"),
    }
    kinds
}

/// A fresh, empty database (and a temp data dir, which SQLite uses for its file and every
/// backend may use for key files). A PostgreSQL database is dropped when this is dropped.
pub struct TestDb {
    pub kind: Kind,
    pub dir: TempDir,
    /// `Some(postgres://…/coffer_test_…)` for PostgreSQL.
    pub database_url: Option<String>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(kind: &Kind) -> TestDb {
        install_default_drivers();
        let dir = tempfile::Builder::new()
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .expect("temp data dir");
        match kind {
            Kind::Sqlite => TestDb { kind: kind.clone(), dir, database_url: None, pg_drop: None },
            Kind::Postgres(server) => {
                let name = format!("coffer_test_{:016x}", rand::random::<u64>());
                let mut admin = AnyConnection::connect(server)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_ENV}={server}: {e}"));
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                let _ = admin.close().await;
                TestDb {
                    kind: kind.clone(),
                    dir,
                    database_url: Some(with_database(server, &name)),
                    pg_drop: Some((server.clone(), name)),
                }
            }
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    pub fn backend(&self) -> Backend {
        match self.kind {
            Kind::Sqlite => Backend::Sqlite,
            Kind::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            database_url: self.database_url.clone(),
            data_dir: self.dir.path().to_owned(),
            ..Default::default()
        }
    }

    pub async fn open(&self, keyring: Keyring) -> Store {
        let store =
            Store::open(&self.options(), keyring).await.unwrap_or_else(|e| panic!("[{}] open store: {e}", self.name()));
        assert_eq!(store.backend(), self.backend());
        store
    }

    /// The URL of the same database for a raw (non-store) connection.
    pub fn raw_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("coffer.db").display()),
        }
    }

    /// A raw connection to the same database, for inspecting and tampering with rows.
    pub async fn raw(&self) -> AnyConnection {
        install_default_drivers();
        AnyConnection::connect(&self.raw_url())
            .await
            .unwrap_or_else(|e| panic!("[{}] raw connection: {e}", self.name()))
    }

    /// The database name on the PostgreSQL server (for `pg_dump`).
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_drop.as_ref().map(|(_, name)| name.as_str())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.pg_drop.take() else { return };
        // Best effort, on a thread of its own: Drop may run inside the test's runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut admin = AnyConnection::connect(&server).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<_, String>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("warning: could not drop test database: {e}");
        }
    }
}

/// Replaces the database name (the URL path) of a PostgreSQL URL, keeping any query string.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

pub fn scope() -> Scope {
    Scope::new("000000000000", "us-east-1")
}

pub fn fresh_keyring() -> Keyring {
    Keyring::new(MasterKey::generate().expect("generate master key"))
}

/// A copy of a key (keys are not `Clone`, on purpose).
pub fn copy_key(key: &MasterKey) -> MasterKey {
    MasterKey::from_bytes(key.material())
}

pub const BASE_MS: i64 = 1_700_000_000_000;
pub const MODIFIED_BY: &str = "arn:aws:iam::000000000000:root";

/// Distinct metadata per version, so a test can tell versions apart by metadata too.
pub fn meta(version: i64) -> ParameterMeta {
    ParameterMeta {
        param_type: if version % 2 == 0 { ParameterType::String } else { ParameterType::SecureString },
        tier: if version % 3 == 0 { "Advanced" } else { "Standard" }.to_owned(),
        data_type: "text".to_owned(),
        key_id: (version % 2 == 1).then(|| format!("alias/key-{version}")),
        description: Some(format!("description of version {version}")),
        allowed_pattern: (version == 2).then(|| "^[a-z0-9-]+$".to_owned()),
        policies: (version == 3).then(|| r#"[{"Type":"Expiration","Version":"1.0"}]"#.to_owned()),
    }
}

/// The canonical read-modify-write that every writer uses: begin → lock the parameter row
/// (creating it if needed) → next version = latest + 1 → insert → commit.
pub async fn append(store: &Store, scope: &Scope, name: &str, value: &[u8]) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let record = lock_or_create(&mut tx, scope, name).await?;
    let version = record.latest_version + 1;
    tx.ssm_insert_version(
        scope,
        &record,
        version,
        &meta(version),
        Timestamp(BASE_MS + version),
        MODIFIED_BY,
        &SecretBytes::new(value.to_vec()),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

pub async fn lock_or_create(
    tx: &mut coffer_store::WriteTx,
    scope: &Scope,
    name: &str,
) -> Result<ParameterRecord, StoreError> {
    if let Some(record) = tx.ssm_lock(scope, name).await? {
        return Ok(record);
    }
    if let Some(record) = tx.ssm_create(scope, name, &format!("/{name}")).await? {
        return Ok(record);
    }
    Ok(tx.ssm_lock(scope, name).await?.expect("a parameter created concurrently must be lockable"))
}

/// Reads a parameter's value at `version` through the store (decrypting it).
pub async fn read_value(store: &Store, scope: &Scope, name: &str, version: i64) -> Result<Vec<u8>, StoreError> {
    let record = store.ssm_parameter(scope, name).await?.unwrap_or_else(|| panic!("parameter {name} missing"));
    let v = store.ssm_version(record.id, version).await?.unwrap_or_else(|| panic!("{name} version {version} missing"));
    assert_eq!(v.version, version);
    Ok(store.ssm_open(scope, &record.name, &v)?.expose().to_vec())
}

/// The sealed columns of one version row, read raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSealed {
    pub row_id: i64,
    pub ciphertext: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    pub master_key_id: String,
}

pub async fn raw_sealed(conn: &mut AnyConnection, parameter_id: i64, version: i64) -> RawSealed {
    let row = sqlx::query(
        "SELECT id, ciphertext, wrapped_key, master_key_id FROM ssm_parameter_versions WHERE parameter_id = $1 AND version = $2",
    )
    .bind(parameter_id)
    .bind(version)
    .fetch_one(conn)
    .await
    .expect("raw select of a version row");
    RawSealed {
        row_id: row.get("id"),
        ciphertext: row.get("ciphertext"),
        wrapped_key: row.get("wrapped_key"),
        master_key_id: row.get("master_key_id"),
    }
}

/// Overwrites the sealed columns of a version row (by row id), raw.
pub async fn raw_write_sealed(
    conn: &mut AnyConnection,
    row_id: i64,
    ciphertext: &[u8],
    wrapped_key: &[u8],
    master_key_id: &str,
) {
    let done = sqlx::query(
        "UPDATE ssm_parameter_versions SET ciphertext = $1, wrapped_key = $2, master_key_id = $3 WHERE id = $4",
    )
    .bind(ciphertext.to_vec())
    .bind(wrapped_key.to_vec())
    .bind(master_key_id.to_owned())
    .bind(row_id)
    .execute(conn)
    .await
    .expect("raw update of a version row");
    assert_eq!(done.rows_affected(), 1, "raw update must hit exactly one row");
}

pub async fn raw_count(conn: &mut AnyConnection, sql: &str, id: i64) -> i64 {
    sqlx::query(AssertSqlSafe(sql.to_owned())).bind(id).fetch_one(conn).await.expect(sql).get::<i64, _>(0)
}

/// A random string of `len` ASCII letters and digits.
pub fn random_alnum(len: usize) -> String {
    use rand::RngExt as _;
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(len).map(char::from).collect()
}
