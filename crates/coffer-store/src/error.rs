use crate::crypto::CryptoError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Private(#[from] crate::private::PrivateError),
    #[error("unsupported database URL (expected postgres://… or sqlite://…)")]
    UnsupportedUrl,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A SQLite write's shared commit failed (nothing of it was kept).
    #[error("{0}")]
    Commit(String),
}

impl StoreError {
    /// Whether the database could not be reached (refused, reset, timed out): worth retrying.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut))
    }

    /// Whether the error is a unique-constraint violation (a concurrent create won).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}
