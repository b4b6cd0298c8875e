//! Delivering secrets: `coffer run` (resolve a container's secrets as the ECS agent does, then
//! `exec` the program — or, with `--watch`, supervise it and follow new versions), `coffer check` (pre-flight: may the environment's execution role read
//! every secret?) and `coffer manifest render` (what ECS receives).
//!
//! What is shared here:
//! * the container to deliver: a Copilot manifest (`--svc NAME`, found through
//!   `copilot/.workspace`, or `--manifest FILE`) rendered for an environment, or an ECS task
//!   definition (`--task-def FILE`), with `--container` to pick one;
//! * the backend and the identity that reads:
//!   - embedded (the local store, in-process): account `COFFER_ACCOUNT_ID` (default
//!     000000000000), region `--region`/`AWS_REGION` (default us-east-1). The environment's
//!     execution role `APP-ENV-ExecutionRole` is the acting principal — its session
//!     `arn:…:sts::<account>:assumed-role/APP-ENV-ExecutionRole/<session>`, authorized by the
//!     role's inline policies from the store, so Copilot's tag rule decides. Every call is
//!     audited to the store before the command ends (or `exec`s).
//!   - remote (aws-sdk-rust, when an endpoint or a profile is named): account from STS
//!     `GetCallerIdentity`, the configured region; the execution role is assumed with STS
//!     `AssumeRole` (Coffer lets its account root assume roles that trust the account, a
//!     documented deviation from AWS, where the root cannot).
//!   - with `--task-def` and no `--env`, the caller's own identity reads (embedded: the account
//!     root; remote: the SDK's credentials).

pub mod check;
pub mod manifest;
pub mod run;
pub mod watch;

use crate::config::{LockMode, StoreArgs, lock_data_dir};
use crate::connect::{ConnectArgs, DEFAULT_ACCOUNT, DEFAULT_REGION};
use crate::{copilot, workspace};
use anyhow::{Context as _, anyhow, bail};
use clap::{ArgGroup, Args};
use coffer_aws::Scope;
use coffer_client::SecretSource;
use coffer_copilot::ecs::env::parse_env_file;
use coffer_copilot::ecs::{Provider, SecretRequest, classify_value_from};
use coffer_copilot::manifest::{EcsKeyValue, EcsSecret, Interpolator, TaskDefinition, Workload, load_workload};
use coffer_local::{AssumeError, EmbeddedSource};
use coffer_remote::resolve::RemoteSecretSource;
use coffer_store::Store;
use coffer_store::audit::Durability;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Which container's secrets: a Copilot manifest or an ECS task definition.
#[derive(Args, Debug, Clone)]
#[command(group(ArgGroup::new("source").required(true).args(["svc", "manifest", "task_def"])))]
pub struct SourceArgs {
    /// Name of the application [default: the workspace's application]
    #[arg(short, long)]
    pub app: Option<String>,

    /// Service or job whose manifest copilot/NAME/manifest.yml (found through
    /// copilot/.workspace) is used
    #[arg(long, value_name = "NAME")]
    pub svc: Option<String>,

    /// A Copilot manifest file
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// An ECS task definition: RegisterTaskDefinition JSON, or the output of
    /// `aws ecs describe-task-definition`
    #[arg(long = "task-def", value_name = "FILE")]
    pub task_def: Option<PathBuf>,

    /// The container [default: the manifest's main container; the task definition's only
    /// (or only essential) container]
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
}

/// An environment file of the container, read.
pub struct EnvFile {
    pub path: String,
    pub vars: BTreeMap<String, String>,
}

/// One container's environment, as ECS would receive it.
pub struct Container {
    /// The application (from `--app` or the workspace), if known.
    pub app: Option<String>,
    /// The manifest or task definition, for messages.
    pub origin: String,
    /// The workload (manifest `name`, `--svc`, or the task definition's container).
    pub workload: String,
    pub name: String,
    pub secrets: Vec<EcsSecret>,
    pub environment: Vec<EcsKeyValue>,
    pub env_files: Vec<EnvFile>,
}

impl Container {
    /// Every secret, classified (provider and region); a reference ECS would refuse is
    /// reported in its own words.
    pub fn classify(&self, default_region: &str) -> (Vec<SecretRequest>, Vec<String>) {
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        for s in &self.secrets {
            match classify_value_from(&s.value_from, default_region) {
                Ok((provider, region)) => {
                    ok.push(SecretRequest { name: s.name.clone(), value_from: s.value_from.clone(), provider, region })
                }
                Err(reason) => errors.push(format!("secret {}: valueFrom \"{}\": {reason}", s.name, s.value_from)),
            }
        }
        (ok, errors)
    }
}

/// `ssm:NAME (region)` / `secretsmanager:ARN (region)`.
pub fn describe_request(r: &SecretRequest) -> String {
    let provider = match r.provider {
        Provider::Ssm => "ssm",
        Provider::SecretsManager => "secretsmanager",
    };
    format!("{provider}:{} ({})", r.value_from, r.region)
}

fn workspace_root(ws_file: &Path) -> PathBuf {
    // <root>/copilot/.workspace
    ws_file.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// The application: `--app`, else the workspace's.
fn app_of(flag: Option<&str>, ws_file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(a) = flag {
        return Ok(Some(a.to_owned()));
    }
    match ws_file {
        Some(f) => workspace::read(f),
        None => Ok(None),
    }
}

const NO_APP: &str =
    "no application given: pass --app, or run inside a workspace (copilot/.workspace) created by `coffer app init`";

/// Where a manifest is, and what it is read with.
pub struct ManifestLocation {
    pub path: PathBuf,
    /// For messages: `copilot/<svc>/manifest.yml`, or the path given.
    pub display: String,
    /// The workspace root (or the current directory): `env_file` paths are relative to it.
    pub root: PathBuf,
    pub app: String,
}

/// Finds the manifest of `--svc` (through `copilot/.workspace`) or `--manifest`.
pub fn locate_manifest(source: &SourceArgs) -> anyhow::Result<ManifestLocation> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let ws_file = workspace::find_from(&cwd);
    let (path, display, root) = match (&source.svc, &source.manifest) {
        (Some(svc), _) => {
            let ws = ws_file.as_deref().with_context(|| {
                format!(
                    "no workspace found (copilot/{}) in {} or its parents: run `coffer app init` in your project, or pass --manifest FILE",
                    workspace::FILE,
                    cwd.display()
                )
            })?;
            let root = workspace_root(ws);
            let rel = format!("{}/{svc}/manifest.yml", workspace::DIR);
            (root.join(&rel), rel, root)
        }
        (None, Some(file)) => {
            let root = ws_file.as_deref().map(workspace_root).unwrap_or_else(|| cwd.clone());
            (file.clone(), file.display().to_string(), root)
        }
        (None, None) => bail!("pass --svc or --manifest"),
    };
    let app = app_of(source.app.as_deref(), ws_file.as_deref())?.context(NO_APP)?;
    Ok(ManifestLocation { path, display, root, app })
}

/// Reads a manifest, interpolated for `app` and `env` (`${VAR}` from this process's
/// environment, as Copilot does), with `env`'s overrides applied.
pub fn read_workload(at: &ManifestLocation, env: &str) -> anyhow::Result<Workload> {
    let text = std::fs::read_to_string(&at.path).with_context(|| format!("read manifest {}", at.path.display()))?;
    let itp = Interpolator::new(&at.app, env, |k| std::env::var(k).ok());
    Ok(load_workload(&text, &at.display, &itp)?)
}

/// Reads and renders the container `source` names, for environment `env` in `scope`.
pub fn load(source: &SourceArgs, env: Option<&str>, scope: &Scope) -> anyhow::Result<Container> {
    if let Some(path) = &source.task_def {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        return load_task_def(path, source, workspace::find_from(&cwd).as_deref());
    }
    let at = locate_manifest(source)?;
    let env = env.context("a manifest is rendered for an environment: pass --env")?;
    let workload = read_workload(&at, env)?;
    let rendered = workload.render_container(source.container.as_deref(), scope)?;
    let mut env_files = Vec::new();
    if let Some(file) = &rendered.env_file {
        let path = at.root.join(file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("read env_file {}", path.display()))?;
        env_files.push(EnvFile { path: file.clone(), vars: parse_env_file(&text) });
    }
    Ok(Container {
        app: Some(at.app),
        origin: at.display,
        workload: workload.name.clone().or_else(|| source.svc.clone()).unwrap_or_else(|| rendered.name.clone()),
        name: rendered.name,
        secrets: rendered.secrets,
        environment: rendered.environment,
        env_files,
    })
}

fn load_task_def(path: &Path, source: &SourceArgs, ws_file: Option<&Path>) -> anyhow::Result<Container> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("read task definition {display}"))?;
    let td = TaskDefinition::parse(&text, &display)?;
    let c = td.container(source.container.as_deref(), &display)?;
    if !c.environment_files.is_empty() {
        let files: Vec<&str> = c.environment_files.iter().map(|f| f.value.as_str()).collect();
        bail!(
            "{display}: container {} has environmentFiles ({}): Coffer cannot read S3 objects; put the variables in `environment`",
            c.name,
            files.join(", ")
        );
    }
    Ok(Container {
        app: app_of(source.app.as_deref(), ws_file)?,
        origin: display,
        workload: c.name.clone(),
        name: c.name.clone(),
        secrets: c.secrets.clone(),
        environment: c.environment.clone(),
        env_files: Vec::new(),
    })
}

/// An STS session name from `prefix` and a workload name: `[\w+=,.@-]`, at most 64 chars.
pub fn session_name(prefix: &str, workload: &str) -> String {
    let raw = format!("{prefix}-{workload}");
    let clean: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) { c } else { '-' })
        .take(64)
        .collect();
    clean
}

/// Who reads secrets: a source, named for messages.
pub struct Reader {
    pub source: Arc<dyn SecretSource>,
    /// The role's name, or the caller's ARN.
    pub who: String,
}

/// Where secrets live, opened.
pub enum Backend {
    Embedded { store: Store, lock: std::fs::File, scope: Scope, sources: Mutex<Vec<Arc<EmbeddedSource>>> },
    Remote { config: Box<coffer_remote::resolve::SdkConfig>, scope: Scope, caller_arn: String },
}

fn user_agent() -> String {
    format!("coffer-cli/{}", env!("CARGO_PKG_VERSION"))
}

/// The account and region of the embedded backend (no store opened).
fn embedded_scope(connect: &ConnectArgs) -> anyhow::Result<Scope> {
    let region = connect
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let account =
        std::env::var("COFFER_ACCOUNT_ID").ok().filter(|a| !a.is_empty()).unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        bail!("COFFER_ACCOUNT_ID must be 12 digits, got {account:?}");
    }
    Ok(Scope::new(account, region))
}

/// The embedded backend's account and region, known before anything is opened; `None` for
/// the remote backend (its account comes from STS).
pub fn embedded_scope_hint(connect: &ConnectArgs) -> anyhow::Result<Option<Scope>> {
    if connect.is_remote() { Ok(None) } else { embedded_scope(connect).map(Some) }
}

/// The account and region secrets are rendered for, without opening anything more than needed:
/// embedded from the settings; remote from STS GetCallerIdentity and the configured region.
pub async fn scope_of(connect: &ConnectArgs) -> anyhow::Result<Scope> {
    if !connect.is_remote() {
        return embedded_scope(connect);
    }
    let config = coffer_remote::resolve::load_config(&connect.remote_options()).await?;
    let (account, _) =
        coffer_remote::resolve::caller_identity(&config).await.map_err(|e| anyhow!("get caller identity: {e}"))?;
    Ok(Scope::new(account, coffer_remote::resolve::config_region(&config)))
}

impl Backend {
    pub async fn open(connect: &ConnectArgs) -> anyhow::Result<Self> {
        if connect.is_remote() {
            let started = std::time::Instant::now();
            let config = coffer_remote::resolve::load_config(&connect.remote_options()).await?;
            tracing::debug!(elapsed_us = started.elapsed().as_micros(), "SDK configuration loaded");
            let (account, caller_arn) = coffer_remote::resolve::caller_identity(&config)
                .await
                .map_err(|e| anyhow!("get caller identity: {e}"))?;
            let scope = Scope::new(account, coffer_remote::resolve::config_region(&config));
            return Ok(Backend::Remote { config: Box::new(config), scope, caller_arn });
        }
        let scope = embedded_scope(connect)?;
        let store_args = StoreArgs { data_dir: connect.data_dir.clone(), database_url: connect.database_url.clone() };
        let (keyring, _) = store_args.keyring()?;
        let dir = store_args.data_dir()?;
        let lock = lock_data_dir(&dir, LockMode::Shared)?;
        let store = store_args.open(keyring, coffer_store::Concurrency::Command).await?;
        Ok(Backend::Embedded { store, lock, scope, sources: Mutex::default() })
    }

    pub fn scope(&self) -> &Scope {
        match self {
            Backend::Embedded { scope, .. } | Backend::Remote { scope, .. } => scope,
        }
    }

    /// The caller's own identity: the account root (embedded) or the SDK's credentials.
    pub fn as_caller(&self) -> Reader {
        match self {
            Backend::Embedded { store, scope, sources, .. } => {
                let source =
                    Arc::new(EmbeddedSource::root(store.clone(), scope.account.clone()).with_user_agent(user_agent()));
                if let Ok(mut s) = sources.lock() {
                    s.push(source.clone());
                }
                let who = format!("arn:{}:iam::{}:root", scope.partition(), scope.account);
                Reader { source, who }
            }
            Backend::Remote { config, caller_arn, .. } => Reader {
                source: Arc::new(RemoteSecretSource::new((**config).clone(), caller_arn.clone())),
                who: caller_arn.clone(),
            },
        }
    }

    /// The execution role of environment `env` of `app`, as session `session`.
    pub async fn as_role(&self, app: &str, env: &str, session: &str) -> anyhow::Result<Reader> {
        let role = copilot::execution_role_name(app, env);
        let hint =
            format!("the execution role of environment {env} is created by `coffer env init --app {app} --name {env}`");
        match self {
            Backend::Embedded { store, scope, sources, .. } => {
                let source = match EmbeddedSource::assume_role(store.clone(), &scope.account, &role, session).await {
                    Ok(s) => Arc::new(s.with_user_agent(user_agent())),
                    Err(e @ AssumeError::NoSuchRole { .. }) => bail!("{e}: {hint}"),
                    Err(e) => return Err(anyhow::Error::new(e).context(format!("read role {role}"))),
                };
                if let Ok(mut s) = sources.lock() {
                    s.push(source.clone());
                }
                Ok(Reader { source, who: role })
            }
            Backend::Remote { config, scope, .. } => {
                let arn = format!("arn:{}:iam::{}:role/{role}", scope.partition(), scope.account);
                let (assumed, session_arn) = coffer_remote::resolve::assume_role(config, &arn, session)
                    .await
                    .map_err(|e| anyhow!("cannot assume role {arn}: {e} ({hint})"))?;
                Ok(Reader { source: Arc::new(RemoteSecretSource::new(assumed, session_arn)), who: role })
            }
        }
    }

    /// Writes the audit events the embedded readers recorded so far, in one transaction
    /// ([`Durability::Deferred`]), and forgets the readers no one holds any more. For a
    /// process that stays (`run --watch`): its reads are audited as they happen.
    pub async fn flush_audit(&self) {
        let Backend::Embedded { store, sources, .. } = self else { return };
        let events: Vec<_> = match sources.lock() {
            Ok(mut sources) => {
                let events = sources.iter().flat_map(|s| s.take_audit_events()).collect();
                sources.retain(|s| Arc::strong_count(s) > 1);
                events
            }
            Err(_) => return,
        };
        if events.is_empty() {
            return;
        }
        if let Err(e) = store.audit_append(&events, Durability::Deferred).await {
            tracing::error!(error = %e, events = events.len(), "cannot write the audit trail");
        }
    }

    /// Writes the audit events of every embedded reader, in one transaction, committed but not
    /// waiting for the disk sync ([`Durability::Deferred`]: written before CMD starts, so a
    /// crash of either process cannot lose it; synced with the store's next synced write);
    /// then closes the store, unless `exec_follows`. Call before the process ends or `exec`s.
    ///
    /// Before an `exec` a SQLite store is left open on purpose, and handed back to be kept
    /// until the `exec`: closing would checkpoint the WAL and delete it (fsyncs now, and a
    /// WAL to re-create and a directory to fsync at the next run). `exec` closes every
    /// descriptor (all are close-on-exec), exactly as when a process ends, and the next opener
    /// (or a running server) carries on. A PostgreSQL store is closed either way.
    pub async fn finish(self, exec_follows: bool) -> Option<KeptOpen> {
        let Backend::Embedded { store, lock, sources, .. } = self else { return None };
        let started = std::time::Instant::now();
        let sources = sources.into_inner().unwrap_or_default();
        let events: Vec<_> = sources.iter().flat_map(|s| s.take_audit_events()).collect();
        if let Err(e) = store.audit_append(&events, Durability::Deferred).await {
            tracing::error!(error = %e, events = events.len(), "cannot write the audit trail");
        }
        tracing::debug!(elapsed_us = started.elapsed().as_micros(), "audit written");
        if exec_follows && store.backend() == coffer_store::Backend::Sqlite {
            if let Err(e) = store.trim_wal().await {
                tracing::warn!(error = %e, "cannot trim the write-ahead log");
            }
            return Some(KeptOpen { _store: store, _lock: lock });
        }
        store.close().await;
        tracing::debug!(elapsed_us = started.elapsed().as_micros(), "store closed");
        None
    }
}

/// The store and the data directory's lock, held until `exec` closes them.
pub struct KeptOpen {
    _store: Store,
    _lock: std::fs::File,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_sts_safe() {
        assert_eq!(session_name("coffer-run", "api"), "coffer-run-api");
        assert_eq!(session_name("coffer-run", "my svc/é"), "coffer-run-my-svc--");
        assert_eq!(session_name("coffer-run", &"x".repeat(100)).len(), 64);
    }
}
