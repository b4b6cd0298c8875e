//! Rows the hot read paths (GetSecretValue, GetParameter, and the tags authorizing them) read
//! recently, kept for as long as the database says nothing changed.
//!
//! Every process start of every service reads its secrets, and through sqlx each query is a
//! few hops to a connection's thread (SQLite) or a round trip (PostgreSQL) — most of what a
//! read costs. An entry holds what the rows hold: names, tags, stage labels and sealed values
//! (ciphertext and wrapped data key); a value is opened per request and never kept in the clear.
//!
//! An entry is tagged with the change generation read *before* its rows were, and served only
//! while the generation is still that one (and for at most [`MAX_AGE`]):
//! - SQLite: the generation is `coffer_changes.n`, which triggers bump on every change to data
//!   (not to the audit trail), read at each lookup on a connection of its own, in this thread —
//!   one cached statement on one page, no thread hop. Exact: a write by this process, by the
//!   embedded CLI in another one, or by an operator's `sqlite3` is seen by the next read.
//! - PostgreSQL: a counter this process bumps after each of its own commits and whenever a
//!   `coffer_changes` notification arrives (triggers send one per committed transaction that
//!   changed data), and while it is not listening nothing is served from the cache. A write
//!   on another node is seen once its notification arrives — about a millisecond — and, should
//!   notifications stall unnoticed, within [`MAX_AGE`].

use crate::error::StoreError;
use crate::secrets::SecretForRead;
use crate::ssm::{LatestWithTags, ParameterRecord, ParameterVersion};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// No entry is served older than this (unless [`crate::StoreOptions::cache_max_age`] says
/// otherwise), whatever the generation says: the bound on staleness across PostgreSQL nodes if
/// a notification were lost without the connection failing.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// Entries per shelf; a full shelf is emptied (the next reads refill what is hot).
const MAX_ENTRIES: usize = 10_000;

/// Where the change generation comes from.
pub(crate) enum Changes {
    /// Nothing is cached: a command that reads a little and exits, or a database no other
    /// connection can see (in memory).
    Off,
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(Arc<Notified>),
}

impl Changes {
    /// A read-only connection of the cache's own to the SQLite file, for the counter; without
    /// one, nothing is cached.
    pub(crate) fn sqlite(file: &Path) -> Self {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = || -> rusqlite::Result<rusqlite::Connection> {
            let conn = rusqlite::Connection::open_with_flags(file, flags)?;
            // A reader waits only while another connection recovers the WAL index; a lookup
            // that cannot read the counter at once reads the rows instead.
            conn.busy_timeout(Duration::from_millis(50))?;
            Ok(conn)
        };
        match open() {
            Ok(conn) => Changes::Sqlite(Mutex::new(conn)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the change counter; reading without the cache");
                Changes::Off
            }
        }
    }

    /// The current generation, or `None` when the cache may not be used now.
    pub(crate) fn generation(&self) -> Option<u64> {
        match self {
            Changes::Off => None,
            Changes::Sqlite(conn) => {
                let conn = conn.lock().ok()?;
                let mut counter = conn.prepare_cached("SELECT n FROM coffer_changes WHERE id = 1").ok()?;
                counter.query_row([], |row| row.get::<_, i64>(0)).ok().map(|n| n as u64)
            }
            Changes::Postgres(notified) => notified.generation(),
        }
    }

    /// After this process committed a change: on PostgreSQL, entries read before it stop
    /// serving now rather than when its own notification comes back. (SQLite's counter moved
    /// with the commit.)
    pub(crate) fn committed(&self) {
        if let Changes::Postgres(notified) = self {
            notified.bump();
        }
    }
}

/// The PostgreSQL side: bumped by this process's commits and by the listener.
#[derive(Default)]
pub(crate) struct Notified {
    generation: AtomicU64,
    listening: AtomicBool,
}

impl Notified {
    fn generation(&self) -> Option<u64> {
        self.listening.load(Ordering::Acquire).then(|| self.generation.load(Ordering::Acquire))
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Listening (again): whatever changed while not listening is unknown, so nothing cached
    /// before is served.
    fn listening(&self, on: bool) {
        self.bump();
        self.listening.store(on, Ordering::Release);
    }
}

/// Listens for `coffer_changes` on a connection of its own for as long as the store lives,
/// reconnecting after a failure (nothing is served from the cache meanwhile).
pub(crate) fn listen(url: String, notified: std::sync::Weak<Notified>) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            let connected = async {
                let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
                listener.listen("coffer_changes").await?;
                Ok::<_, sqlx::Error>(listener)
            };
            let mut listener = match connected.await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes; reading without the cache");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let Some(n) = notified.upgrade() else { return };
            n.listening(true);
            drop(n);
            loop {
                let received = listener.try_recv().await;
                let Some(n) = notified.upgrade() else { return };
                match received {
                    Ok(Some(_)) => n.bump(),
                    // `None`: the connection was lost (notifications may have been missed).
                    Ok(None) | Err(_) => {
                        n.listening(false);
                        tracing::warn!("lost the change notifications; reading without the cache until reconnected");
                        break;
                    }
                }
            }
        }
    })
    .abort_handle()
}

/// Cached values of one kind, by key.
pub(crate) struct Shelf<V> {
    entries: Mutex<HashMap<String, Entry<V>>>,
}

struct Entry<V> {
    generation: u64,
    stored: Instant,
    value: V,
}

impl<V> Default for Shelf<V> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<V: Clone> Shelf<V> {
    fn get(&self, key: &str, generation: u64, max_age: Duration) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.stored.elapsed() < max_age).then(|| entry.value.clone())
    }

    fn put(&self, key: String, generation: u64, value: V) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, Entry { generation, stored: Instant::now(), value });
    }
}

/// Every shelf, with the generation source.
pub(crate) struct ReadCache {
    pub(crate) changes: Changes,
    max_age: Duration,
    pub(crate) secrets_for_read: Shelf<Option<SecretForRead>>,
    pub(crate) parameters_latest: Shelf<Option<(ParameterRecord, ParameterVersion)>>,
    pub(crate) parameters_latest_many: Shelf<Vec<(ParameterRecord, ParameterVersion)>>,
    pub(crate) parameters_latest_with_tags: Shelf<LatestWithTags>,
    pub(crate) parameter_tags: Shelf<Vec<(String, String)>>,
}

impl ReadCache {
    pub(crate) fn new(changes: Changes, max_age: Duration) -> Self {
        Self {
            changes,
            max_age,
            secrets_for_read: Shelf::default(),
            parameters_latest: Shelf::default(),
            parameters_latest_many: Shelf::default(),
            parameters_latest_with_tags: Shelf::default(),
            parameter_tags: Shelf::default(),
        }
    }

    /// `load`'s value for `key`: from `shelf` (one of this cache's) while nothing changed since
    /// it was read, else read now (and kept).
    pub(crate) async fn get_or_load<V: Clone>(
        &self,
        shelf: &Shelf<V>,
        key: String,
        load: impl Future<Output = Result<V, StoreError>>,
    ) -> Result<V, StoreError> {
        let Some(generation) = self.changes.generation() else { return load.await };
        if let Some(value) = shelf.get(&key, generation, self.max_age) {
            return Ok(value);
        }
        let value = load.await?;
        shelf.put(key, generation, value.clone());
        Ok(value)
    }
}
