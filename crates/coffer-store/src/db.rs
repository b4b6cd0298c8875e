//! Opening the database, migrations, and the write transaction type.

use crate::cache::{Changes, Notified, ReadCache};
use crate::crypto::{Binding, Keyring, Sealed};
use crate::error::StoreError;
use crate::group_commit::{GroupCommit, Member};
use coffer_aws::SecretBytes;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, Row, Transaction};
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Where the data lives, and how it will be used.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// `postgres://…`; `None` means the embedded SQLite file `<data_dir>/coffer.db`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub concurrency: Concurrency,
    /// How long the read cache of a server may serve an entry at most; `None`:
    /// [`crate::CACHE_MAX_AGE`]. (Tests lengthen it to see that change notifications alone
    /// keep PostgreSQL nodes current.)
    pub cache_max_age: Option<Duration>,
}

/// How many connections the store may open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Concurrency {
    /// A server: many requests at once, so a pool of readers (and of PostgreSQL connections).
    #[default]
    Server,
    /// One command that reads a little and exits (`coffer run` sits on every process start):
    /// one reader besides the writer. Each further SQLite connection costs a thread and a
    /// schema parse, each PostgreSQL one a login — more than the reads it would overlap.
    Command,
}

impl Concurrency {
    fn readers(self) -> u32 {
        match self {
            Concurrency::Server => 4,
            Concurrency::Command => 1,
        }
    }

    fn postgres_connections(self) -> u32 {
        match self {
            Concurrency::Server => 16,
            // A read may run while a write transaction holds the other connection.
            Concurrency::Command => 2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

struct Inner {
    /// SQLite allows one writer, so writes go through a pool of one connection and wait
    /// their turn in-process instead of failing with SQLITE_BUSY. On PostgreSQL both pools
    /// are the same pool.
    write: AnyPool,
    read: AnyPool,
    keyring: Keyring,
    backend: Backend,
    /// The SQLite file (`None` for PostgreSQL, or a SQLite database in memory).
    sqlite_file: Option<PathBuf>,
    cache: Arc<ReadCache>,
    /// SQLite: write transactions share commits.
    group: Arc<GroupCommit>,
    /// PostgreSQL: the task listening for other nodes' changes.
    listener: Option<tokio::task::AbortHandle>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.inner.backend.name())
    }
}

/// A WAL this long (about 250 pages, a few dozen `coffer run`s' audit records) is emptied by
/// [`Store::trim_wal`]: reading it at open costs little, emptying it now and then one fsync.
pub const WAL_TRIM_BYTES: u64 = 1 << 20;

const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn open(options: &StoreOptions, keyring: Keyring) -> Result<Self, StoreError> {
        install_default_drivers();
        let mut sqlite_file = None;
        let (write, read, backend) = match options.database_url.as_deref() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                // An unreachable server fails here at once (the pool would retry until its
                // acquire timeout), so a caller can retry with its own backoff.
                sqlx::Connection::close(<sqlx::AnyConnection as sqlx::Connection>::connect(url).await?).await?;
                let pool = AnyPoolOptions::new()
                    .max_connections(options.concurrency.postgres_connections())
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                (pool.clone(), pool, Backend::Postgres)
            }
            Some(url) if url.starts_with("sqlite:") => {
                let (w, r) = Self::sqlite_pools(url, options.concurrency).await?;
                sqlite_file = sqlite_main_file(&r).await?;
                (w, r, Backend::Sqlite)
            }
            Some(_) => return Err(StoreError::UnsupportedUrl),
            None => {
                crate::private::ensure_dir(&options.data_dir)?;
                let file = options.data_dir.join("coffer.db");
                if !crate::private::check_file(&file)? {
                    crate::private::create_file(&file)?;
                }
                for suffix in ["-wal", "-shm"] {
                    crate::private::check_file(&options.data_dir.join(format!("coffer.db{suffix}")))?;
                }
                let url = format!("sqlite://{}?mode=rwc", file.display());
                let (w, r) = Self::sqlite_pools(&url, options.concurrency).await?;
                sqlite_file = Some(file);
                (w, r, Backend::Sqlite)
            }
        };
        match backend {
            // sqlx takes no lock to migrate SQLite, so two processes opening a fresh file at
            // once (a server and a CLI) would both apply the schema and one would fail with
            // "table already exists". Migrating under the file's write lock (BEGIN IMMEDIATE;
            // the migrator's own transactions nest as savepoints) makes the second wait, then
            // find everything applied.
            Backend::Sqlite if sqlite_schema_current(&read).await => {}
            Backend::Sqlite => {
                let mut tx = write.begin_with("BEGIN IMMEDIATE").await?;
                // `run_direct` is `run` minus `Acquire`, whose lifetimes make `open`'s future
                // not `Send` when given a borrowed connection (sqlx says as much at its definition).
                SQLITE_MIGRATIONS.run_direct(None, &mut *tx, false).await?;
                tx.commit().await?;
            }
            // PostgreSQL migrations run under an advisory lock.
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&write).await?,
        }
        let (changes, listener) = match (options.concurrency, backend) {
            // A command reads each thing once: a cache would only cost its set-up.
            (Concurrency::Command, _) => (Changes::Off, None),
            (Concurrency::Server, Backend::Sqlite) => {
                (sqlite_file.as_deref().map_or(Changes::Off, Changes::sqlite), None)
            }
            (Concurrency::Server, Backend::Postgres) => {
                let notified = Arc::new(Notified::default());
                let url = options.database_url.clone().unwrap_or_default();
                let listener = crate::cache::listen(url, Arc::downgrade(&notified));
                (Changes::Postgres(notified), Some(listener))
            }
        };
        let cache = Arc::new(ReadCache::new(changes, options.cache_max_age.unwrap_or(crate::CACHE_MAX_AGE)));
        Ok(Self {
            inner: Arc::new(Inner {
                write,
                read,
                keyring,
                backend,
                sqlite_file,
                cache,
                group: Arc::default(),
                listener,
            }),
        })
    }

    async fn sqlite_pools(url: &str, concurrency: Concurrency) -> Result<(AnyPool, AnyPool), StoreError> {
        let options = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(60))
                // A file cannot drop a connection; pinging it would double every query's round
                // trip to its worker thread.
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move { sqlx::raw_sql(SQLITE_PRAGMAS).execute(conn).await.map(|_| ()) })
                })
        };
        Ok(tokio::try_join!(options(1).connect(url), options(concurrency.readers()).connect(url))?)
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.inner.read
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.inner.write
    }

    pub(crate) fn cache(&self) -> &ReadCache {
        &self.inner.cache
    }

    /// Starts a write transaction. On SQLite it joins a group sharing one commit (see
    /// [`crate::group_commit`]), whose outer transaction took the write lock up front
    /// (`BEGIN IMMEDIATE`), so a transaction never fails half-way on lock upgrade.
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        let tx = match self.inner.backend {
            Backend::Sqlite => TxConn::Sqlite(self.inner.group.join(&self.inner.write).await?),
            Backend::Postgres => TxConn::Postgres(self.inner.write.begin_with("BEGIN").await?),
        };
        Ok(WriteTx { tx, keyring: self.inner.keyring.clone(), cache: self.inner.cache.clone() })
    }

    /// Opens a sealed value; the binding must be the one it was sealed with.
    pub fn open_sealed(&self, sealed: &Sealed, binding: &Binding<'_>) -> Result<SecretBytes, StoreError> {
        Ok(self.inner.keyring.open(sealed, binding)?)
    }

    /// Closes every connection (checkpointing the SQLite WAL).
    pub async fn close(&self) {
        self.inner.read.close().await;
        self.inner.write.close().await;
    }

    /// Empties a SQLite WAL grown past [`WAL_TRIM_BYTES`]; for a process that ends without
    /// closing the store (`coffer run` `exec`s with it open, to spare the last-close checkpoint
    /// its fsyncs). Needed because when no process holds the database open between runs, each
    /// opener rebuilds the WAL index from the whole WAL, losing what was checkpointed, so the
    /// WAL never restarts and every open reads more of it.
    pub async fn trim_wal(&self) -> Result<(), StoreError> {
        let Some(file) = &self.inner.sqlite_file else { return Ok(()) };
        let wal_len = std::fs::metadata(format!("{}-wal", file.display())).map(|m| m.len()).unwrap_or(0);
        if wal_len > WAL_TRIM_BYTES {
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(self.writer()).await?;
        }
        Ok(())
    }

    /// Writes a consistent snapshot of the embedded database into `dest`, an empty file the
    /// caller created (with the mode it wants), while others go on reading and writing
    /// (`VACUUM INTO` reads one snapshot). Values stay sealed under the master key. `None`
    /// on PostgreSQL, which has its own tools (pg_dump).
    pub async fn backup_into(&self, dest: &std::path::Path) -> Result<Option<()>, StoreError> {
        if self.inner.backend != Backend::Sqlite {
            return Ok(None);
        }
        let dest = dest.to_str().ok_or_else(|| StoreError::Corrupt("the backup path is not UTF-8".to_owned()))?;
        sqlx::query("VACUUM INTO $1").bind(dest).execute(self.reader()).await?;
        Ok(Some(()))
    }

    /// Re-wraps every data key that the keyring's active key did not seal. Returns how many
    /// were re-wrapped. Value ciphertexts are not touched.
    pub async fn rewrap_all(&self) -> Result<u64, StoreError> {
        let active = self.inner.keyring.active().id().to_owned();
        let mut total = 0;
        for table in SEALED_TABLES {
            loop {
                let select = format!(
                    "SELECT id, wrapped_key, master_key_id FROM {table} WHERE master_key_id <> $1 ORDER BY id LIMIT 500"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(select)).bind(&active).fetch_all(&self.inner.write).await?;
                if rows.is_empty() {
                    break;
                }
                let mut tx = self.begin().await?;
                for row in rows {
                    let id: i64 = row.try_get("id")?;
                    let wrapped: Vec<u8> = row.try_get("wrapped_key")?;
                    let old: String = row.try_get("master_key_id")?;
                    let rewrapped = self.inner.keyring.rewrap(&wrapped, &old)?;
                    let update = format!(
                        "UPDATE {table} SET wrapped_key = $1, master_key_id = $2 WHERE id = $3 AND master_key_id = $4"
                    );
                    total += sqlx::query(sqlx::AssertSqlSafe(update))
                        .bind(rewrapped)
                        .bind(&active)
                        .bind(id)
                        .bind(&old)
                        .execute(&mut *tx.tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
            }
        }
        Ok(total)
    }

    /// How many sealed rows each master key id wrapped (for `coffer keys status`).
    pub async fn master_key_usage(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut usage = std::collections::BTreeMap::<String, i64>::new();
        for table in SEALED_TABLES {
            let sql = format!("SELECT master_key_id, COUNT(*) AS n FROM {table} GROUP BY master_key_id");
            for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.inner.read).await? {
                *usage.entry(row.try_get("master_key_id")?).or_default() += row.try_get::<i64, _>("n")?;
            }
        }
        Ok(usage.into_iter().collect())
    }
}

/// Whether every migration this build knows is applied, unchanged, and no other one: then
/// opening needs no write lock (every `coffer run` opens the store). Anything else takes the
/// migrator's own path, which applies what is missing and reports what is wrong.
async fn sqlite_schema_current(read: &AnyPool) -> bool {
    let Ok(rows) =
        sqlx::query("SELECT version, checksum FROM _sqlx_migrations WHERE success = TRUE").fetch_all(read).await
    else {
        return false;
    };
    let mut applied: Vec<(i64, Vec<u8>)> =
        rows.iter().filter_map(|r| Some((r.try_get("version").ok()?, r.try_get("checksum").ok()?))).collect();
    applied.sort();
    let known: Vec<(i64, Vec<u8>)> = SQLITE_MIGRATIONS.iter().map(|m| (m.version, m.checksum.to_vec())).collect();
    applied == known
}

/// The file of a SQLite database opened by URL; `None` for one in memory.
async fn sqlite_main_file(read: &AnyPool) -> Result<Option<PathBuf>, StoreError> {
    let sql = "SELECT file FROM pragma_database_list WHERE name = 'main'";
    let file: String = sqlx::query(sql).fetch_one(read).await?.try_get("file")?;
    Ok((!file.is_empty()).then(|| PathBuf::from(file)))
}

/// Every table that holds sealed values (they all have `id`, `wrapped_key`, `master_key_id`).
const SEALED_TABLES: [&str; 4] =
    ["ssm_parameter_versions", "sm_secret_versions", "iam_access_keys", "rotation_webhook_keys"];

/// A write transaction. Dropped without `commit`, it rolls back.
pub struct WriteTx {
    pub(crate) tx: TxConn,
    pub(crate) keyring: Keyring,
    cache: Arc<ReadCache>,
}

/// The connection a write transaction runs on.
pub(crate) enum TxConn {
    Postgres(Transaction<'static, Any>),
    Sqlite(Member),
}

impl TxConn {
    async fn commit(self) -> Result<(), StoreError> {
        match self {
            TxConn::Postgres(tx) => Ok(tx.commit().await?),
            TxConn::Sqlite(member) => member.commit().await,
        }
    }
}

impl Deref for TxConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            TxConn::Postgres(tx) => tx,
            TxConn::Sqlite(member) => member,
        }
    }
}

impl DerefMut for TxConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            TxConn::Postgres(tx) => tx,
            TxConn::Sqlite(member) => member,
        }
    }
}

impl WriteTx {
    /// Commits; returns once the transaction is on disk.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        self.cache.changes.committed();
        Ok(())
    }

    /// Commits what changes no data a read may have cached: the audit trail.
    pub(crate) async fn commit_audit(self) -> Result<(), StoreError> {
        self.tx.commit().await
    }

    pub(crate) fn seal(&self, plaintext: &[u8], binding: &Binding<'_>) -> Result<Sealed, StoreError> {
        Ok(self.keyring.seal(plaintext, binding)?)
    }
}

/// Two text columns of each row, as pairs.
pub(crate) fn pairs(rows: &[sqlx::any::AnyRow], a: &str, b: &str) -> Result<Vec<(String, String)>, StoreError> {
    use sqlx::Row as _;
    rows.iter().map(|r| Ok((r.try_get(a)?, r.try_get(b)?))).collect()
}

/// `$first, $first+1, …` for `count` bound values (an `IN (…)` list).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `rows` parenthesized rows of `columns` parameters each, for a multi-row `VALUES`. On SQLite
/// they are anonymous (`?`, bound in order): binding, sqlx asks SQLite each parameter's name, a
/// scan of the statement's named parameters, which makes a statement of `$N` parameters
/// quadratic in its size (a 1,500-parameter audit insert took a fifth of a loaded server's CPU).
pub(crate) fn values_rows(backend: Backend, rows: usize, columns: usize) -> String {
    let row = |i: usize| match backend {
        Backend::Sqlite => format!("({})", vec!["?"; columns].join(", ")),
        Backend::Postgres => format!("({})", placeholders(1 + i * columns, columns)),
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}
