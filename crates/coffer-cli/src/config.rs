//! Settings shared by every command that opens the store.

use anyhow::Context as _;
use clap::Args;
use coffer_store::master_key::{KeySource, load_keyring};
use coffer_store::{Concurrency, Keyring, Store, StoreOptions};
use secrecy::SecretString;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Data directory: the embedded database, master key and root credentials
    /// [default: $XDG_DATA_HOME/coffer, i.e. ~/.local/share/coffer]
    #[arg(long, env = "COFFER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL (postgres://…) to share one database between several servers;
    /// without it Coffer uses the embedded SQLite store in the data directory.
    #[arg(long, env = "COFFER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    pub fn data_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.data_dir {
            return Ok(dir.clone());
        }
        let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(xdg) => PathBuf::from(xdg),
            None => PathBuf::from(
                std::env::var_os("HOME").context("neither COFFER_DATA_DIR, XDG_DATA_HOME nor HOME is set")?,
            )
            .join(".local/share"),
        };
        Ok(base.join("coffer"))
    }

    /// The master key from `COFFER_MASTER_KEY` (never a flag: keys do not belong on command lines).
    pub fn env_master_key() -> Option<SecretString> {
        std::env::var("COFFER_MASTER_KEY").ok().filter(|v| !v.is_empty()).map(SecretString::from)
    }

    pub fn keyring(&self) -> anyhow::Result<(Keyring, KeySource)> {
        let dir = self.data_dir()?;
        coffer_store::private::ensure_dir(&dir)?;
        Ok(load_keyring(&dir, Self::env_master_key().as_ref())?)
    }

    /// The store for a one-off command (`coffer audit`, `coffer rotation`, …): its keyring,
    /// one connection.
    pub async fn open_command(&self) -> anyhow::Result<Store> {
        let (keyring, _) = self.keyring()?;
        self.open(keyring, Concurrency::Command).await
    }

    pub async fn open(&self, keyring: Keyring, concurrency: Concurrency) -> anyhow::Result<Store> {
        Store::open(&self.options(concurrency)?, keyring).await.context("cannot open the store")
    }

    pub fn options(&self, concurrency: Concurrency) -> anyhow::Result<StoreOptions> {
        Ok(StoreOptions {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir()?,
            concurrency,
            ..Default::default()
        })
    }
}

pub enum LockMode {
    /// Servers share the data directory (several may run against one PostgreSQL).
    Shared,
    /// Key rotation must run alone.
    Exclusive,
}

/// Locks `<data-dir>/coffer.lock` for as long as the returned file lives.
pub fn lock_data_dir(dir: &std::path::Path, mode: LockMode) -> anyhow::Result<std::fs::File> {
    let path = dir.join("coffer.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let locked = match mode {
        LockMode::Shared => file.try_lock_shared(),
        LockMode::Exclusive => file.try_lock(),
    };
    match locked {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => match mode {
            LockMode::Exclusive => {
                anyhow::bail!("a `coffer serve` is running on {}; stop it before rotating keys", dir.display())
            }
            LockMode::Shared => anyhow::bail!("a key rotation is running on {}; wait for it to finish", dir.display()),
        },
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}
