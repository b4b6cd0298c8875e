//! `coffer backup` and `coffer restore`: a consistent copy of the embedded store, taken while
//! `coffer serve` keeps serving, and its way back into an empty data directory. Values stay
//! sealed under the master key, which the backup does not hold: keep that key safely and
//! separately, or the backup is useless.

use crate::config::{LockMode, StoreArgs, lock_data_dir};
use anyhow::{Context as _, bail};
use clap::Args;
use coffer_store::Concurrency;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The file to write (created 0600; it must not exist).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file written by `coffer backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

const DB_FILE: &str = "coffer.db";

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if args.store.database_url.is_some() {
        bail!("coffer backup copies the embedded store; for PostgreSQL use pg_dump (README, \"Backup and restore\")");
    }
    let dir = args.store.data_dir()?;
    let source = dir.join(DB_FILE);
    if !source.exists() {
        bail!("no store to back up: {} does not exist", source.display());
    }
    let (keyring, _) = args.store.keyring()?;
    let key_id = keyring.active().id().to_owned();
    // Shares the directory with running servers, never with a key rotation.
    let _lock = lock_data_dir(&dir, LockMode::Shared)?;
    create_private(&args.to)?;
    let store = args.store.open(keyring, Concurrency::Command).await?;
    let expected = std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0);
    let copied = with_progress(&args.to, expected, store.backup_into(&args.to)).await;
    store.close().await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&args.to);
        return Err(e).context("backup failed");
    }
    let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    crate::ui::success(format!("Backed up {} to {} ({size} bytes).", dir.display(), args.to.display()));
    crate::ui::warning(format!(
        "The backup holds every value sealed under master key {key_id}, which it does not contain: without that key it cannot be read. Keep the key ({}) safely, apart from the backup.",
        if StoreArgs::env_master_key().is_some() {
            "COFFER_MASTER_KEY".to_owned()
        } else {
            dir.join("master.key").display().to_string()
        }
    ));
    Ok(())
}

/// Runs the copy with a progress bar on a terminal: the backup's size against the database's.
async fn with_progress(
    dest: &Path,
    expected: u64,
    copy: impl std::future::Future<Output = Result<Option<()>, coffer_store::StoreError>>,
) -> anyhow::Result<()> {
    let bar = if crate::ui::stderr_is_terminal() {
        indicatif::ProgressBar::new(expected.max(1))
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template("Backing up [{bar:30}] {bytes}/{total_bytes}") {
        bar.set_style(style.progress_chars("=> "));
    }
    tokio::pin!(copy);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let result = loop {
        tokio::select! {
            result = &mut copy => break result,
            _ = tick.tick() => bar.set_position(std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0).min(expected)),
        }
    };
    bar.finish_and_clear();
    match result? {
        Some(()) => Ok(()),
        None => bail!("the store is not the embedded one"),
    }
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    if args.store.database_url.is_some() {
        bail!("coffer restore fills an embedded store; for PostgreSQL use pg_restore (README, \"Backup and restore\")");
    }
    let dir = args.store.data_dir()?;
    let target = dir.join(DB_FILE);
    if target.exists() {
        bail!("{} already holds a store: restore into an empty data directory", dir.display());
    }
    if StoreArgs::env_master_key().is_none() && !dir.join("master.key").exists() {
        bail!(
            "no master key for {}: copy the backed-up store's master.key there (mode 0600) or set COFFER_MASTER_KEY first; the backup cannot be read without it",
            dir.display()
        );
    }
    let (keyring, _) = args.store.keyring()?;
    let _lock = lock_data_dir(&dir, LockMode::Exclusive)?;
    copy_private(&args.from, &target)?;
    let check = async {
        let store = args.store.open(keyring.clone(), Concurrency::Command).await?;
        let usage = store.master_key_usage().await;
        store.close().await;
        let missing: Vec<String> = usage?.into_iter().map(|(id, _)| id).filter(|id| !keyring.holds(id)).collect();
        if !missing.is_empty() {
            bail!(
                "the backup's values are sealed under master key(s) {} that this data directory does not have",
                missing.join(", ")
            );
        }
        anyhow::Ok(())
    };
    if let Err(e) = check.await {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
        }
        return Err(e).context("restore failed; nothing was kept");
    }
    crate::ui::success(format!(
        "Restored {} into {}. Run `coffer audit verify` to check the audit trail.",
        args.from.display(),
        dir.display()
    ));
    Ok(())
}

/// A new file, mode 0600; an existing one is an error (never overwritten).
fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Copies `from` to a new file `to` created 0600, synced before returning.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut source = std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let mut dest = create_private(to)?;
    std::io::copy(&mut source, &mut dest).with_context(|| format!("cannot copy {}", from.display()))?;
    dest.sync_all().with_context(|| format!("cannot sync {}", to.display()))
}
