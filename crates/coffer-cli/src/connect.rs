//! Which backend a workflow command talks to.
//!
//! Remote (aws-sdk-rust) when an endpoint or a profile is named — `--endpoint-url`,
//! `AWS_ENDPOINT_URL` or a per-service `AWS_ENDPOINT_URL_<SERVICE>`, `--profile` or
//! `AWS_PROFILE`; embedded (the local store, in-process, as the account root) otherwise.

use crate::config::{LockMode, StoreArgs, lock_data_dir};
use clap::Args;
use coffer_aws::Scope;
use coffer_client::Backend;
use coffer_local::EmbeddedBackend;
use coffer_remote::{RemoteBackend, RemoteOptions};
use std::path::PathBuf;

/// The variables that select the remote backend when set (aws-config reads them itself).
pub const ENDPOINT_VARIABLES: [&str; 5] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_IAM",
];

pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_ACCOUNT: &str = "000000000000";

#[derive(Args, Debug, Clone, Default)]
pub struct ConnectArgs {
    /// Talk to this AWS-compatible endpoint (a `coffer serve`, or AWS itself) with the AWS SDK
    /// [env: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM, …_SECRETS_MANAGER, …_STS, …_IAM]
    #[arg(long, global = true, value_name = "URL", help_heading = "Backend")]
    pub endpoint_url: Option<String>,

    /// Use this AWS profile (credentials, region, `role_arn`…) with the AWS SDK [env: AWS_PROFILE]
    #[arg(long, global = true, value_name = "NAME", help_heading = "Backend")]
    pub profile: Option<String>,

    /// Region [env: AWS_REGION; else the profile's; else us-east-1]
    #[arg(long, global = true, value_name = "REGION", help_heading = "Backend")]
    pub region: Option<String>,

    /// Data directory of the embedded store, used when no endpoint or profile is given
    /// [default: $XDG_DATA_HOME/coffer]
    #[arg(long, global = true, env = "COFFER_DATA_DIR", value_name = "DIR", help_heading = "Backend")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL of the embedded store (instead of SQLite in the data directory)
    #[arg(
        long,
        global = true,
        env = "COFFER_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL",
        help_heading = "Backend"
    )]
    pub database_url: Option<String>,
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// An open backend, and what must live as long as it.
pub struct Connection {
    pub backend: Box<dyn Backend>,
    _lock: Option<std::fs::File>,
}

impl Connection {
    pub async fn close(self) {
        self.backend.close().await;
    }
}

impl ConnectArgs {
    pub fn is_remote(&self) -> bool {
        self.endpoint_url.is_some()
            || self.profile.is_some()
            || env_set("AWS_PROFILE")
            || ENDPOINT_VARIABLES.iter().any(|v| env_set(v))
    }

    /// What the SDK needs from these arguments (the rest comes from the environment).
    pub fn remote_options(&self) -> RemoteOptions {
        RemoteOptions {
            endpoint_url: self.endpoint_url.clone(),
            profile: self.profile.clone(),
            region: self.region.clone(),
            credentials_file: None,
        }
    }

    pub async fn open(&self) -> anyhow::Result<Connection> {
        if self.is_remote() { self.open_remote().await } else { self.open_embedded().await }
    }

    /// The SDK backend, whatever selects it.
    pub async fn open_remote(&self) -> anyhow::Result<Connection> {
        let backend = RemoteBackend::connect(&self.remote_options()).await?;
        tracing::debug!(backend = %backend.describe(), "remote backend");
        Ok(Connection { backend: Box::new(backend), _lock: None })
    }

    /// The local store, whatever the environment names.
    pub async fn open_embedded(&self) -> anyhow::Result<Connection> {
        let region = self
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let account = std::env::var("COFFER_ACCOUNT_ID").ok().filter(|a| !a.is_empty());
        let account = account.unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            anyhow::bail!("COFFER_ACCOUNT_ID must be 12 digits, got {account:?}");
        }
        let store_args = StoreArgs { data_dir: self.data_dir.clone(), database_url: self.database_url.clone() };
        let (keyring, _) = store_args.keyring()?;
        let dir = store_args.data_dir()?;
        // Like `coffer serve`: shares the directory with servers, never with a key rotation.
        let lock = lock_data_dir(&dir, LockMode::Shared)?;
        let store = store_args.open(keyring, coffer_store::Concurrency::Command).await?;
        let backend = EmbeddedBackend::new(store, Scope::new(account, region), dir.display().to_string());
        Ok(Connection { backend: Box::new(backend), _lock: Some(lock) })
    }
}
