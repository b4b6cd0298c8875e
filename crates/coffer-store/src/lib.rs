//! Coffer's persistence layer.
//!
//! One [`Store`] over sqlx's `Any` driver serves both the embedded SQLite file and a shared
//! PostgreSQL database with the same SQL text. Values are sealed and opened here and only
//! here (see [`crypto`]); callers above see plaintext wrapped in `SecretBytes`, and rows
//! never hold anything but ciphertext.
//!
//! Concurrency: every read-modify-write runs in one transaction that first takes a row
//! lock with `UPDATE … SET x = x … RETURNING` (a row lock on PostgreSQL, the single writer
//! on SQLite), so two servers sharing a database never interleave a version bump.

pub mod audit;
mod cache;
pub mod credentials;
pub mod crypto;
mod db;
mod error;
mod group_commit;
pub mod iam;
pub mod master_key;
pub mod private;
pub mod replicas;
pub mod rotation;
pub mod secrets;
pub mod ssm;
mod tags;

pub use cache::MAX_AGE as CACHE_MAX_AGE;
pub use crypto::{Binding, CryptoError, Keyring, MasterKey, Sealed};
pub use db::{Backend, Concurrency, Store, StoreOptions, WAL_TRIM_BYTES, WriteTx};
pub use error::StoreError;
