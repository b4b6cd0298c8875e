//! `coffer import` and `coffer export`: parameters and secrets in from AWS (or any
//! AWS-compatible endpoint), `.env` / JSON / YAML / tfvars files and chamber's export, and out
//! again. Every read and write is an ordinary API call on a [`Backend`], so it is authorized
//! and audited per item like any other client's. Re-running is safe: see [`write`].

mod dotenv;
mod entry;
mod formats;
mod progress;
mod read;
mod tfvars;
mod write;

use crate::connect::{ConnectArgs, Connection};
use crate::copilot::{self, Store};
use crate::ui;
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use coffer_aws::partition_for_region;
use coffer_aws::secret::{ExposeSecret as _, SecretString};
use coffer_client::{Backend, ParameterAttributes};
use coffer_remote::RemoteBackend;
pub use entry::FlatEntry;
use entry::{Entry, ParameterEntry};
pub use formats::InputFormat;
use formats::OutputFormat;
use progress::Progress;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use write::{Change, WriteOptions};

#[derive(Args, Debug)]
pub struct ImportCommand {
    #[command(subcommand)]
    from: ImportFrom,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Subcommand, Debug)]
enum ImportFrom {
    /// SSM parameters and Secrets Manager secrets from AWS (or any AWS-compatible endpoint),
    /// under the same names, with their tags. --profile, --region and --endpoint-url name
    /// that side; the embedded store (or --coffer-endpoint-url) receives them.
    Aws(AwsArgs),
    /// One SecureString per KEY of a .env file (or a flat JSON, YAML or tfvars object), named
    /// and tagged as `coffer secret init` names and tags them.
    Dotenv(DotenvArgs),
    /// chamber's `export` JSON, into chamber's layout: SecureString /SERVICE/key.
    Chamber(ChamberArgs),
}

#[derive(Args, Debug)]
pub struct ExportCommand {
    #[command(subcommand)]
    to: Option<ExportTo>,
    #[command(flatten)]
    file: ExportFileArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Subcommand, Debug)]
enum ExportTo {
    /// Coffer's parameters and secrets into AWS (or any AWS-compatible endpoint), under the
    /// same names, with their tags. --profile, --region and --endpoint-url name that side;
    /// the embedded store (or --coffer-endpoint-url) is read.
    Aws(AwsArgs),
}

#[derive(Args, Debug)]
struct ExportFileArgs {
    /// Name of the application [default: the workspace's application]
    #[arg(short, long)]
    app: Option<String>,
    /// The environment whose secrets to export.
    #[arg(short, long)]
    env: Option<String>,
    /// dotenv, json, yaml and tfvars hold values; ecs-secrets and manifest only refer to them.
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write to this file (created 0600) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Confirms that the output holds secret values (required by dotenv, json, yaml, tfvars).
    #[arg(long)]
    with_values: bool,
}

#[derive(Args, Debug)]
struct AwsArgs {
    /// Parameters under this path, recursively.
    #[arg(long, default_value = "/", value_name = "PATH")]
    path: String,
    /// Secrets matching this ListSecrets filter (e.g. `name=prod/`, `tag-key=team`); repeat to
    /// combine; default: every secret.
    #[arg(long = "secrets-filter", value_name = "KEY=VALUE")]
    secrets_filters: Vec<String>,
    /// Only parameters, no secrets.
    #[arg(long, conflicts_with = "secrets_only")]
    parameters_only: bool,
    /// Only secrets, no parameters.
    #[arg(long)]
    secrets_only: bool,
    /// Only what is tagged for this Copilot application (with --env).
    #[arg(short, long, requires = "env")]
    app: Option<String>,
    /// Only what is tagged for this Copilot environment (with --app).
    #[arg(short, long, requires = "app")]
    env: Option<String>,
    /// Every labelled version of each secret, with its staging labels (default: AWSCURRENT).
    #[arg(long)]
    all_versions: bool,
    #[command(flatten)]
    write: WriteArgs,
    /// Coffer as a server (e.g. http://127.0.0.1:8200) instead of the embedded store.
    #[arg(long, value_name = "URL")]
    coffer_endpoint_url: Option<String>,
    /// The profile for --coffer-endpoint-url [default: the standard credential chain]
    #[arg(long, value_name = "NAME", requires = "coffer_endpoint_url")]
    coffer_profile: Option<String>,
}

#[derive(Args, Debug)]
struct WriteArgs {
    /// Replace a value that differs (as a new version); otherwise it is reported and kept.
    #[arg(long)]
    overwrite: bool,
    /// Say what would change, change nothing.
    #[arg(long)]
    dry_run: bool,
}

impl WriteArgs {
    fn options(&self) -> WriteOptions {
        WriteOptions { overwrite: self.overwrite, dry_run: self.dry_run }
    }
}

#[derive(Args, Debug)]
struct DotenvArgs {
    /// The file to read.
    file: PathBuf,
    /// Name of the application [default: the workspace's application]
    #[arg(short, long)]
    app: Option<String>,
    /// The environment to put the secrets in.
    #[arg(short, long)]
    env: String,
    /// Name prefix of the parameters [default: /copilot/APP/ENV/secrets/]
    #[arg(long, value_name = "PATH")]
    prefix: Option<String>,
    /// The file's format: dotenv, or a flat object of names to values.
    #[arg(long, value_enum, default_value = "dotenv")]
    format: InputFormat,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Args, Debug)]
struct ChamberArgs {
    /// The output of `chamber export SERVICE` (JSON).
    file: PathBuf,
    /// chamber's service: the parameters go under /SERVICE/.
    #[arg(short, long)]
    service: String,
    #[command(flatten)]
    write: WriteArgs,
}

pub async fn run_import(cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd.from {
        ImportFrom::Aws(args) => {
            let aws = RemoteBackend::connect(&cmd.connect.remote_options()).await?;
            let coffer = open_coffer(&cmd.connect, &args, aws.region()).await?;
            let result = copy(&aws, &*coffer.backend, &args).await;
            coffer.close().await;
            result
        }
        ImportFrom::Dotenv(args) => {
            let conn = cmd.connect.open().await?;
            let result = import_dotenv(&*conn.backend, args).await;
            conn.close().await;
            result
        }
        ImportFrom::Chamber(args) => {
            let conn = cmd.connect.open().await?;
            let result = import_chamber(&*conn.backend, args).await;
            conn.close().await;
            result
        }
    }
}

pub async fn run_export(cmd: ExportCommand) -> anyhow::Result<()> {
    match cmd.to {
        Some(ExportTo::Aws(args)) => {
            let aws = RemoteBackend::connect(&cmd.connect.remote_options()).await?;
            let coffer = open_coffer(&cmd.connect, &args, aws.region()).await?;
            let result = copy(&*coffer.backend, &aws, &args).await;
            coffer.close().await;
            result
        }
        None => {
            let conn = cmd.connect.open().await?;
            let result = export_file(&*conn.backend, cmd.file).await;
            conn.close().await;
            result
        }
    }
}

/// Coffer's side of `import aws` / `export aws`: `--coffer-endpoint-url` or the embedded
/// store, in the AWS side's region. The environment's endpoint variables belong to the AWS
/// side, so they never select Coffer.
async fn open_coffer(connect: &ConnectArgs, args: &AwsArgs, region: &str) -> anyhow::Result<Connection> {
    let coffer = ConnectArgs {
        endpoint_url: args.coffer_endpoint_url.clone(),
        profile: args.coffer_profile.clone(),
        region: Some(region.to_owned()),
        data_dir: connect.data_dir.clone(),
        database_url: connect.database_url.clone(),
    };
    if coffer.endpoint_url.is_some() { coffer.open_remote().await } else { coffer.open_embedded().await }
}

fn secrets_filters(raw: &[String]) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    raw.iter()
        .map(|f| match f.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), vec![value.to_owned()])),
            _ => bail!("--secrets-filter {f:?}: expected KEY=VALUE (e.g. name=prod/)"),
        })
        .collect()
}

async fn copy(source: &dyn Backend, dest: &dyn Backend, args: &AwsArgs) -> anyhow::Result<()> {
    let selection = read::Selection {
        path: (!args.secrets_only).then(|| args.path.clone()),
        secrets_filters: if args.parameters_only { None } else { Some(secrets_filters(&args.secrets_filters)?) },
        app_env: args.app.clone().zip(args.env.clone()),
        all_versions: args.all_versions,
    };
    let progress = Progress::new();
    let entries =
        read::read(source, &selection, &progress).await.with_context(|| format!("read from {}", source.describe()))?;
    apply(dest, &entries, args.write.options(), &progress).await
}

/// Writes every entry in order; a failure stops there, with everything before it complete.
async fn apply(
    dest: &dyn Backend,
    entries: &[Entry],
    options: WriteOptions,
    progress: &Progress,
) -> anyhow::Result<()> {
    let mut counts: BTreeMap<Change, usize> = BTreeMap::new();
    progress.start(entries.len(), if options.dry_run { "Comparing" } else { "Writing" });
    for (done, entry) in entries.iter().enumerate() {
        let change = match write::write(dest, entry, options).await {
            Ok(change) => change,
            Err(e) => {
                progress.finish();
                bail!(
                    "{} {} in {}: {e:#}\nStopped after {done} of {} entries: those are complete; run again to continue.",
                    entry.kind(),
                    entry.name(),
                    dest.describe(),
                    entries.len()
                );
            }
        };
        progress.advance();
        progress.above(|| report(entry, change, options));
        *counts.entry(change).or_default() += 1;
    }
    progress.finish();
    let count = |change| counts.get(&change).copied().unwrap_or(0);
    let summary = [
        (Change::Created, "created"),
        (Change::Overwritten, "overwritten"),
        (Change::Updated, "updated"),
        (Change::Unchanged, "unchanged"),
        (Change::Skipped, "skipped"),
    ]
    .iter()
    .map(|(change, word)| format!("{} {word}", count(*change)))
    .collect::<Vec<_>>()
    .join(", ");
    if options.dry_run {
        ui::success(format!("Dry run, nothing written. {} entries: {summary}.", entries.len()));
    } else {
        ui::success(format!("Done. {} entries: {summary}.", entries.len()));
    }
    if count(Change::Skipped) > 0 {
        ui::warning(format!(
            "If you want to overwrite the values that differ, use the {} flag.",
            ui::code("--overwrite")
        ));
    }
    Ok(())
}

fn report(entry: &Entry, change: Change, options: WriteOptions) {
    let what = format!("{} {}", entry.kind(), ui::resource(entry.name()));
    let would = if options.dry_run { "Would " } else { "" };
    match (change, options.dry_run) {
        (Change::Created, false) => ui::success(format!("Created {what}.")),
        (Change::Created, true) => ui::info(format!("{would}create {what}.")),
        (Change::Overwritten, false) => ui::success(format!("Overwrote {what}.")),
        (Change::Overwritten, true) => ui::info(format!("{would}overwrite {what}.")),
        (Change::Updated, false) => ui::success(format!("Updated the tags, labels, description or policy of {what}.")),
        (Change::Updated, true) => {
            ui::info(format!("{would}update the tags, labels, description or policy of {what}."))
        }
        (Change::Unchanged, _) => {}
        (Change::Skipped, _) => ui::warning(format!("{} {} differs; not overwritten.", entry.kind(), entry.name())),
    }
}

/// A flat file's entries, read as `format`; errors name the file and a line or key.
pub fn read_flat_file(path: &Path, format: InputFormat) -> anyhow::Result<Vec<FlatEntry>> {
    let raw = std::fs::read(path).map_err(|e| anyhow!("read {}: {e}", path.display()))?;
    let text = String::from_utf8(raw).map_err(|_| anyhow!("read {}: not UTF-8 text", path.display()))?;
    let entries = formats::parse(format, &text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    // A later line replaces an earlier one of the same key, as in a shell.
    let mut last: BTreeMap<String, FlatEntry> = BTreeMap::new();
    for entry in entries {
        last.insert(entry.key.clone(), entry);
    }
    Ok(last.into_values().collect())
}

/// That a file's key can name a secret (`secret init`'s rule), or an error naming where it is.
pub fn check_secret_name(path: &Path, entry: &FlatEntry) -> anyhow::Result<()> {
    copilot::validate_secret_name(&entry.key)
        .map_err(|e| anyhow!("{}: {} is not a valid secret name: {e}", entry_location(path, entry), entry.key))
}

/// `FILE:LINE` (or `FILE`) for messages about one entry.
fn entry_location(path: &Path, entry: &FlatEntry) -> String {
    match entry.line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

/// The entries with a value; the others are named in a note (SSM stores no empty value).
fn without_empty(path: &Path, entries: Vec<FlatEntry>) -> Vec<FlatEntry> {
    entries
        .into_iter()
        .filter(|entry| {
            let empty = entry.value.expose_secret().is_empty();
            if empty {
                let location = entry_location(path, entry);
                ui::warning(format!(
                    "{location}: {} is empty, and SSM cannot store an empty value: skipped.",
                    entry.key
                ));
            }
            !empty
        })
        .collect()
}

async fn import_dotenv(backend: &dyn Backend, args: DotenvArgs) -> anyhow::Result<()> {
    let app = crate::secret::resolve_app(args.app)?;
    crate::secret::check_environment(&Store::new(backend), backend, &app, &args.env).await?;
    let entries = without_empty(&args.file, read_flat_file(&args.file, args.format)?);
    let prefix = match args.prefix {
        Some(p) if p.ends_with('/') => p,
        Some(p) => format!("{p}/"),
        None => copilot::secret_path(&app, &args.env, ""),
    };
    let mut out = Vec::new();
    for entry in entries {
        check_secret_name(&args.file, &entry)?;
        out.push(Entry::Parameter(secure_string(
            format!("{prefix}{}", entry.key),
            entry.value,
            copilot::copilot_tags(&app, Some(&args.env)),
        )));
    }
    apply(backend, &out, args.write.options(), &Progress::new()).await
}

async fn import_chamber(backend: &dyn Backend, args: ChamberArgs) -> anyhow::Result<()> {
    let service = args.service.trim_matches('/');
    if service.is_empty() {
        bail!("--service must name a chamber service");
    }
    let entries = without_empty(&args.file, read_flat_file(&args.file, InputFormat::Json)?);
    // chamber's own import lower-cases keys; `exec` upper-cases them again.
    let out: Vec<Entry> = entries
        .into_iter()
        .map(|e| Entry::Parameter(secure_string(format!("/{service}/{}", e.key.to_lowercase()), e.value, Vec::new())))
        .collect();
    apply(backend, &out, args.write.options(), &Progress::new()).await
}

fn secure_string(name: String, value: SecretString, tags: Vec<coffer_client::Tag>) -> ParameterEntry {
    ParameterEntry {
        name,
        param_type: "SecureString".to_owned(),
        value,
        description: None,
        attributes: ParameterAttributes::default(),
        tags,
        labels: Vec::new(),
    }
}

async fn export_file(backend: &dyn Backend, args: ExportFileArgs) -> anyhow::Result<()> {
    let app = crate::secret::resolve_app(args.app)?;
    let (Some(env), Some(format)) = (args.env, args.format) else {
        bail!("pass --env and --format (or use `coffer export aws`)");
    };
    if format.has_values() && !args.with_values {
        bail!(
            "--format {} writes secret values: pass --with-values to confirm (and --output FILE to keep them off the terminal)",
            clap::ValueEnum::to_possible_value(&format).map(|v| v.get_name().to_owned()).unwrap_or_default()
        );
    }
    let prefix = copilot::secret_path(&app, &env, "");
    let path = prefix.trim_end_matches('/');
    let key = |name: &str| name.strip_prefix(&prefix).unwrap_or(name).to_owned();
    let (text, count) = if format.has_values() {
        let parameters = backend.parameters_by_path(path, false, true).await.with_context(|| format!("read {path}"))?;
        let entries: Vec<(String, SecretString)> = parameters.into_iter().map(|p| (key(&p.name), p.value)).collect();
        (formats::render_values(format, &entries), entries.len())
    } else {
        let infos = backend.describe_parameters(path, false).await.with_context(|| format!("list {path}"))?;
        let text = if format == OutputFormat::Manifest {
            formats::render_manifest(&infos.iter().map(|p| key(&p.name)).collect::<Vec<_>>())
        } else {
            let account = backend.caller_identity().await.context("get caller identity")?.account;
            let region = backend.region();
            let partition = partition_for_region(region);
            let references: Vec<(String, String)> = infos
                .iter()
                .map(|p| (key(&p.name), format!("arn:{partition}:ssm:{region}:{account}:parameter{}", p.name)))
                .collect();
            formats::render_ecs_secrets(&references)
        };
        (SecretString::from(text), infos.len())
    };
    if count == 0 {
        ui::warning(format!("No secrets in environment {env} of application {app} (under {prefix})."));
    }
    match &args.output {
        Some(file) => {
            write_private(file, text.expose_secret().as_bytes())?;
            ui::success(format!(
                "Wrote {count} secrets of environment {} of application {} to {}.",
                ui::input(&env),
                ui::input(&app),
                file.display()
            ));
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.expose_secret().as_bytes())
                .and_then(|()| stdout.flush())
                .context("write to stdout")?;
        }
    }
    Ok(())
}

/// Creates or replaces `path` with mode 0600 (an existing file's mode is narrowed too).
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let context = || format!("write {}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(context)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600)).with_context(context)?;
    file.write_all(contents).and_then(|()| file.sync_all()).with_context(context)
}
