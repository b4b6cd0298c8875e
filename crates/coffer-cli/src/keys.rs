//! `coffer keys …`: master-key status and rotation.

use crate::config::StoreArgs;
use crate::config::{LockMode, lock_data_dir};
use anyhow::Context as _;
use clap::Subcommand;
use coffer_store::master_key::{FileRotation, KeySource, decode_key};
use coffer_store::{Keyring, Store};

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Show the active master key id and how many stored values each key wraps.
    Status(StoreArgs),
    /// Create a new master key and re-wrap every data key with it (value ciphertexts are
    /// untouched). With COFFER_MASTER_KEY, the new key is taken from COFFER_NEW_MASTER_KEY.
    /// Stop `coffer serve` on this data directory first.
    Rotate(StoreArgs),
}

pub async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Status(args) => status(args).await,
        KeysCommand::Rotate(args) => rotate(args).await,
    }
}

async fn status(args: StoreArgs) -> anyhow::Result<()> {
    let (keyring, _) = args.keyring()?;
    let active = keyring.active().id().to_owned();
    let store = args.open(keyring, coffer_store::Concurrency::Command).await?;
    crate::ui::data(format!("active master key: {active}"));
    for (id, count) in store.master_key_usage().await? {
        crate::ui::data(format!("{id}\t{count} data keys"));
    }
    store.close().await;
    Ok(())
}

/// Re-wraps every data key under the keyring's active key and checks that none is left
/// under another key, so retiring the old key can never strand a value.
async fn rewrap(args: &StoreArgs, keyring: Keyring) -> anyhow::Result<(Store, u64)> {
    let active = keyring.active().id().to_owned();
    let store = args.open(keyring, coffer_store::Concurrency::Command).await?;
    let n = store.rewrap_all().await.context("re-wrapping data keys")?;
    let stray: Vec<_> = store.master_key_usage().await?.into_iter().filter(|(id, _)| *id != active).collect();
    if !stray.is_empty() {
        anyhow::bail!(
            "data keys under other master keys remain after re-wrapping ({stray:?}); is a server still writing? run the rotation again"
        );
    }
    Ok((store, n))
}

async fn rotate(args: StoreArgs) -> anyhow::Result<()> {
    let (_, source) = args.keyring()?;
    match source {
        KeySource::Env => {
            let old = StoreArgs::env_master_key().context("COFFER_MASTER_KEY is not set")?;
            let new = std::env::var("COFFER_NEW_MASTER_KEY").context(
                "COFFER_MASTER_KEY is set, so the new key must come from COFFER_NEW_MASTER_KEY (base64 of 32 random bytes)",
            )?;
            let old = decode_key("COFFER_MASTER_KEY", secrecy::ExposeSecret::expose_secret(&old))?;
            let new = decode_key("COFFER_NEW_MASTER_KEY", &new)?;
            let new_id = new.id().to_owned();
            let (store, n) = rewrap(&args, Keyring::new(new).with_key(old)).await?;
            store.close().await;
            eprintln!("re-wrapped {n} data keys under master key {new_id}");
            eprintln!("now set COFFER_MASTER_KEY to the value of COFFER_NEW_MASTER_KEY and restart the servers");
        }
        KeySource::File(path) => {
            let dir = path.parent().context("key file has no directory")?.to_owned();
            // A running server would keep sealing with the old key mid-rotation.
            let _lock = lock_data_dir(&dir, LockMode::Exclusive)?;
            let rotation = FileRotation::begin(&dir)?;
            let (store, n) = rewrap(&args, rotation.keyring.clone()).await?;
            store.close().await;
            let id = rotation.finish()?;
            eprintln!("re-wrapped {n} data keys; the active master key is now {id}");
        }
    }
    Ok(())
}
