//! `coffer secret init` (Copilot's `secret init`: same flags, validation, prompts, storage,
//! messages and exit codes) and what Copilot lacks: `secret ls`, `secret show`, `secret rm`.

use crate::connect::ConnectArgs;
use crate::copilot::{self, Store};
use crate::managed_secret::ManagedSecret;
use crate::{prompt, ui, workspace};
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_client::{Backend, ClientError, NewParameter};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SecretCommand {
    #[command(subcommand)]
    command: SecretSubcommand,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Subcommand, Debug)]
enum SecretSubcommand {
    #[command(about = "Create or update secrets in SSM Parameter Store.", after_help = INIT_EXAMPLES)]
    Init(InitArgs),
    /// List an application's secrets and the environments where each is set.
    #[command(visible_alias = "list")]
    Ls {
        /// Name of the application [default: the workspace's application; else every application]
        #[arg(short, long)]
        app: Option<String>,
        /// Only this environment.
        #[arg(short, long)]
        env: Option<String>,
        /// Output in JSON format.
        #[arg(long)]
        json: bool,
    },
    /// Show a secret's metadata in one environment (or every environment where it is set);
    /// its value only with --reveal. A name no Copilot secret has is looked up in Secrets
    /// Manager (a secret tagged for the application, as a manifest's `secretsmanager:` names
    /// it), with its primary Region and replicas.
    Show {
        /// The name of the secret (or of a Secrets Manager secret, or its ARN).
        name: String,
        /// Name of the application [default: the workspace's application]
        #[arg(short, long)]
        app: Option<String>,
        /// The environment.
        #[arg(short, long)]
        env: Option<String>,
        /// Print the decrypted value too.
        #[arg(long)]
        reveal: bool,
        /// Output in JSON format.
        #[arg(long)]
        json: bool,
    },
    /// Delete a secret from some environments (--env, repeatable) or from all of them.
    #[command(visible_alias = "delete")]
    Rm {
        /// The name of the secret.
        name: String,
        /// Name of the application [default: the workspace's application]
        #[arg(short, long)]
        app: Option<String>,
        /// Only from this environment (repeat for several).
        #[arg(short, long = "env")]
        envs: Vec<String>,
        /// Skip the confirmation prompt.
        #[arg(long)]
        yes: bool,
    },
}

const INIT_EXAMPLES: &str = "\
Examples:
  Create a secret with prompts.
  $ coffer secret init
  Create a secret named db-password in multiple environments.
  $ coffer secret init --name db-password
  Create secrets from input.yml (secret name -> environment -> value).
  $ coffer secret init --cli-input-yaml input.yml

While the `--values` flag is a convenient way to specify secret values, your input may appear
in your shell history as plaintext.";

/// A command-line argument holding secret values: `Debug` never shows it.
#[derive(Clone)]
pub struct SecretArg(std::sync::Arc<SecretString>);

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg([REDACTED])")
    }
}

fn secret_arg(s: &str) -> Result<SecretArg, String> {
    Ok(SecretArg(std::sync::Arc::new(SecretString::from(s.to_owned()))))
}

// Flag help texts are Copilot's, word for word.
#[derive(Args, Debug)]
pub struct InitArgs {
    #[arg(short, long, help = "Name of the application.")]
    app: Option<String>,

    #[arg(short, long, help = "The name of the secret.\nMutually exclusive with the --cli-input-yaml flag.")]
    name: Option<String>,

    #[arg(
        long,
        value_name = "ENV=VALUE,…",
        value_parser = secret_arg,
        help = "Values of the secret in each environment. Specified as <environment>=<value> separated by commas.\nMutually exclusive with the --cli-input-yaml flag."
    )]
    values: Option<Vec<SecretArg>>,

    #[arg(long, help = "Optional. Whether to overwrite an existing secret.")]
    overwrite: bool,

    #[arg(
        long,
        value_name = "FILE",
        help = "Optional. A YAML file in which the secret values are specified.\nMutually exclusive with the -n, --name and --values flags."
    )]
    cli_input_yaml: Option<PathBuf>,

    #[arg(
        long,
        value_name = "FILE",
        help = "Optional. A .env file whose KEY=VALUE lines become secrets, put in each environment of --env.\nMutually exclusive with the -n, --name, --values and --cli-input-yaml flags."
    )]
    from_env_file: Option<PathBuf>,

    #[arg(
        short,
        long = "env",
        value_name = "ENV",
        help = "Optional. With --from-env-file: an environment to put the secrets in (repeat for several)."
    )]
    envs: Vec<String>,
}

pub async fn run(cmd: SecretCommand) -> anyhow::Result<()> {
    let conn = cmd.connect.open().await?;
    let backend = &*conn.backend;
    let result = match cmd.command {
        SecretSubcommand::Init(args) => init(backend, args).await,
        SecretSubcommand::Ls { app, env, json } => ls(backend, app, env, json).await,
        SecretSubcommand::Show { name, app, env, reveal, json } => show(backend, &name, app, env, reveal, json).await,
        SecretSubcommand::Rm { name, app, envs, yes } => rm(backend, &name, app, envs, yes).await,
    };
    conn.close().await;
    result
}

type Values = BTreeMap<String, SecretString>;

/// pflag's `StringToString`: one `=` means a single pair (commas belong to the value, quotes
/// around it are trimmed); more than one means CSV. Later flags add to earlier ones.
fn parse_values(args: &[SecretArg]) -> anyhow::Result<Values> {
    let mut out = Values::new();
    for arg in args {
        let raw = arg.0.expose_secret();
        let pairs = match raw.matches('=').count() {
            // The text may be a mistyped value: it is not repeated in the error.
            0 => bail!("invalid argument for \"--values\" flag: must be formatted as key=value"),
            1 => vec![raw.trim_matches('"').to_owned()],
            _ => read_csv_record(raw).map_err(|e| anyhow!("invalid argument for \"--values\" flag: {e}"))?,
        };
        for pair in pairs {
            let Some((env, value)) = pair.split_once('=') else {
                bail!("invalid argument for \"--values\" flag: each item must be formatted as key=value")
            };
            out.insert(env.to_owned(), SecretString::from(value.to_owned()));
        }
    }
    Ok(out)
}

/// One record of Go's `encoding/csv` (RFC 4180 quoting, no lazy quotes).
fn read_csv_record(s: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field"),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("extraneous or missing \" in quoted-field"),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("bare \" in non-quoted-field"),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// Go's wording of a file error: `stat x.yml: no such file or directory`.
fn go_io_error(op: &str, path: &Path, e: &std::io::Error) -> String {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        kind => kind.to_string(),
    };
    format!("{op} {}: {reason}", path.display())
}

/// `test` → `Test`, `my-env` → `My-Env` (x/text's English title case).
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// The input file: secret name → environment → value. A blank or null value skips the
/// environment, as a blank answer to the prompt does.
fn read_input_file(path: &Path) -> anyhow::Result<BTreeMap<String, Values>> {
    let raw = std::fs::read(path).map_err(|e| {
        let op = if e.kind() == std::io::ErrorKind::IsADirectory { "read" } else { "open" };
        anyhow!("{op} input file {}: {}", path.display(), go_io_error(op, path, &e))
    })?;
    let text = String::from_utf8(raw).map_err(|_| anyhow!("read input file {}: not UTF-8 text", path.display()))?;
    // secret name → environment → value; null anywhere reads as empty.
    type InputFile = Option<BTreeMap<String, Option<BTreeMap<String, Option<String>>>>>;
    let parsed: InputFile = serde_saphyr::from_str(&text).map_err(|e| anyhow!("unmarshal input file: {e}"))?;
    let mut out = BTreeMap::new();
    for (name, envs) in parsed.unwrap_or_default() {
        let values: Values = envs
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(env, v)| v.filter(|v| !v.is_empty()).map(|v| (env, SecretString::from(v))))
            .collect();
        out.insert(name, values);
    }
    Ok(out)
}

/// What happened to a secret in one environment.
enum Outcome {
    Created,
    AlreadyExists,
    Overwritten,
}

async fn put_in_env(
    backend: &dyn Backend,
    app: &str,
    env: &str,
    name: &str,
    value: &SecretString,
    overwrite: bool,
) -> anyhow::Result<Outcome> {
    let path = copilot::secret_path(app, env, name);
    let tags = copilot::copilot_tags(app, Some(env));
    let create = NewParameter {
        name: path.clone(),
        value: SecretString::from(value.expose_secret().to_owned()),
        param_type: "SecureString".to_owned(),
        description: None,
        overwrite: false,
        tags: tags.clone(),
        attributes: Default::default(),
    };
    match backend.put_parameter(create).await {
        Ok(1) => Ok(Outcome::Created),
        Ok(_) => Ok(Outcome::Overwritten),
        Err(e) if e.is("ParameterAlreadyExists") => {
            if !overwrite {
                return Ok(Outcome::AlreadyExists);
            }
            // SSM refuses Tags with Overwrite: update the value, then re-apply the tags.
            let update = NewParameter {
                name: path.clone(),
                value: SecretString::from(value.expose_secret().to_owned()),
                param_type: "SecureString".to_owned(),
                description: None,
                overwrite: true,
                tags: Vec::new(),
                attributes: Default::default(),
            };
            let version =
                backend.put_parameter(update).await.map_err(|e| wrap(e, format!("update parameter {path}")))?;
            backend.add_tags(&path, tags).await.map_err(|e| wrap(e, format!("add tags to resource {path}")))?;
            Ok(if version == 1 { Outcome::Created } else { Outcome::Overwritten })
        }
        Err(e) => Err(wrap(e, format!("create parameter {path}"))),
    }
}

fn wrap(e: ClientError, context: String) -> anyhow::Error {
    anyhow::Error::new(e).context(context)
}

/// Puts one secret in each of its environments; a failure in one does not stop the others.
/// Returns the failures by environment (Copilot's `putSecret`).
async fn put_secret(
    backend: &dyn Backend,
    app: &str,
    name: &str,
    values: &Values,
    overwrite: bool,
    show_overwrite_hint: &mut bool,
) -> BTreeMap<String, anyhow::Error> {
    let mut failures = BTreeMap::new();
    if values.is_empty() {
        return failures;
    }
    let envs: Vec<String> = values.keys().cloned().collect();
    ui::info(format!("...Put secret {} to environment {}", ui::input(name), ui::word_series(&envs, "and")));
    for (env, value) in values {
        let path = copilot::secret_path(app, env, name);
        let outcome = ui::spin(format!("Putting {path}"), put_in_env(backend, app, env, name, value, overwrite)).await;
        match outcome {
            Ok(Outcome::Created) => ui::success(format!(
                "Successfully put secret {} in environment {} as {}.",
                ui::input(name),
                ui::input(env),
                ui::resource(&path)
            )),
            Ok(Outcome::AlreadyExists) => {
                *show_overwrite_hint = true;
                ui::success(format!(
                    "Secret {} already exists in environment {} as {}. Did not overwrite. ",
                    ui::input(name),
                    ui::input(env),
                    ui::resource(&path)
                ));
            }
            Ok(Outcome::Overwritten) => {
                ui::success(format!("Secret {path} already exists in environment {}. Overwritten.", ui::input(env)))
            }
            Err(e) => {
                failures.insert(env.clone(), e);
            }
        }
    }
    for env in failures.keys() {
        ui::error(format!(
            "Failed to put secret {} in environment {}. See error message below.",
            ui::input(name),
            ui::input(env)
        ));
    }
    failures
}

fn failure_lines(name: &str, failures: &BTreeMap<String, anyhow::Error>) -> String {
    failures
        .iter()
        .map(|(env, e)| format!("put secret {name} in environment {env}: {e:#}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Copilot's app selector: none → an error; one → chosen without asking; else a prompt.
async fn select_app(store: &Store<'_>) -> anyhow::Result<String> {
    let apps = store.list_applications().await?;
    match apps.as_slice() {
        [] => {
            ui::info(format!(
                "Couldn't find any applications in this region and account. Try initializing one with {}",
                ui::code("coffer app init")
            ));
            bail!("no apps found")
        }
        [only] => {
            ui::info(format!("Only found one application, defaulting to: {}", ui::input(&only.name)));
            Ok(only.name.clone())
        }
        _ => {
            let names: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
            prompt::select(
                "Which application do you want to add the secret to?",
                "The secret can then be versioned by your existing environments inside the application.",
                &names,
                "Application:",
                "--app",
            )
            .context("select application")
        }
    }
}

async fn init(backend: &dyn Backend, args: InitArgs) -> anyhow::Result<()> {
    let store = Store::new(backend);
    // Empty flags count as unset, as in Copilot.
    let mut app = args.app.clone().filter(|a| !a.is_empty()).or_else(workspace::app_name);
    let name_flag = args.name.clone().filter(|n| !n.is_empty());
    let mut values = match &args.values {
        Some(raw) => Some(parse_values(raw)?),
        None => None,
    };

    // Validate (before any prompt), in Copilot's order.
    if args.cli_input_yaml.is_some() && name_flag.is_some() {
        bail!("cannot specify `--cli-input-yaml` with `--name`");
    }
    if args.cli_input_yaml.is_some() && values.is_some() {
        bail!("cannot specify `--cli-input-yaml` with `--values`");
    }
    if args.from_env_file.is_some() {
        for (given, flag) in [
            (name_flag.is_some(), "--name"),
            (values.is_some(), "--values"),
            (args.cli_input_yaml.is_some(), "--cli-input-yaml"),
        ] {
            if given {
                bail!("cannot specify `--from-env-file` with `{flag}`");
            }
        }
    } else if !args.envs.is_empty() {
        bail!("`--env` is only used with `--from-env-file`");
    }
    if let Some(app) = &app {
        store.get_application(app).await.with_context(|| format!("get application {app}"))?;
        for env in values.iter().flat_map(|v| v.keys()) {
            store
                .get_environment(app, env)
                .await
                .with_context(|| format!("get environment {env} in application {app}"))?;
        }
    }
    if let Some(name) = &name_flag {
        copilot::validate_secret_name(name).map_err(|e| anyhow!(e))?;
    }
    for path in args.cli_input_yaml.iter().chain(&args.from_env_file) {
        std::fs::metadata(path).map_err(|e| anyhow!(go_io_error("stat", path, &e)))?;
    }

    // Ask.
    if args.overwrite {
        ui::warning(format!(
            "You have specified {} flag. Please note that overwriting an existing secret may break your deployed service.",
            ui::code("--overwrite")
        ));
    }
    let mut name = name_flag;
    if args.cli_input_yaml.is_none() {
        if app.is_none() {
            app = Some(select_app(&store).await.context("ask for an application to add the secret to")?);
        }
        if args.from_env_file.is_none() && name.is_none() {
            let answer = prompt::text(
                "What would you like to name this secret?",
                "The name of the secret, such as 'db_password'.",
                "Secret name:",
                "--name",
                copilot::validate_secret_name,
            )
            .context("ask for the secret name")?;
            name = Some(answer);
        }
        if args.from_env_file.is_none() && values.is_none() {
            values = Some(
                ask_values(&store, app.as_deref().unwrap_or_default(), name.as_deref().unwrap_or_default()).await?,
            );
        }
    }
    let Some(app) = app else {
        bail!(
            "no application given: pass --app, or run inside a workspace (copilot/.workspace) created by `coffer app init`"
        );
    };

    // Execute.
    let batch = args.cli_input_yaml.is_some() || args.from_env_file.is_some();
    let secrets: BTreeMap<String, Values> = match (&args.cli_input_yaml, &args.from_env_file) {
        (None, Some(path)) => {
            let envs = match args.envs.as_slice() {
                [] => vec![ask_env(&store, &app).await?],
                given => given.to_vec(),
            };
            read_env_file(path, &envs)?
        }
        (Some(path), _) => {
            let secrets = read_input_file(path)?;
            // Copilot lets SSM reject bad names one environment at a time; check them all first.
            for secret in secrets.keys() {
                copilot::validate_secret_name(secret)
                    .map_err(|e| anyhow!("secret name {secret} in input file {} is invalid: {e}", path.display()))?;
            }
            secrets
        }
        (None, None) => BTreeMap::from([(name.unwrap_or_default(), values.unwrap_or_default())]),
    };
    // Every target environment must exist before anything is written. (Copilot also checks
    // here that each environment's stack is at least v1.4.0 and assumes its manager role;
    // Coffer's environments have no stack version and are written with the caller's own
    // credentials, so neither applies.)
    let envs: BTreeSet<&String> = secrets.values().flat_map(|v| v.keys()).collect();
    for env in envs {
        check_environment(&store, backend, &app, env).await?;
    }
    let mut hint = false;
    let mut failed: Vec<(String, BTreeMap<String, anyhow::Error>)> = Vec::new();
    for (secret, values) in &secrets {
        let failures = put_secret(backend, &app, secret, values, args.overwrite, &mut hint).await;
        if !failures.is_empty() {
            failed.push((secret.clone(), failures));
        }
        if batch {
            ui::info("");
        }
    }
    if hint {
        ui::warning(format!("If you want to overwrite an existing secret, use the {} flag.", ui::code("--overwrite")));
    }
    if !failed.is_empty() {
        let blocks: Vec<String> = failed.iter().map(|(name, f)| failure_lines(name, f)).collect();
        if batch {
            bail!("batch put secrets:\n{}", blocks.join("\n"));
        }
        bail!("{}", blocks.join("\n"));
    }

    // Recommend actions.
    let mut snippet = String::from("secrets:");
    for secret in secrets.keys() {
        snippet.push_str(&format!("\n    {secret}: {}", copilot::manifest_reference(secret)));
    }
    ui::info("You can refer to these secrets from your manifest file by editing the `secrets` section.");
    ui::info(ui::code_block(snippet));
    Ok(())
}

/// That the environment exists, in the backend's region: Copilot writes in the environment's
/// region; Coffer writes where it is pointed, so it refuses rather than put a secret where
/// the environment's role cannot read it.
pub async fn check_environment(store: &Store<'_>, backend: &dyn Backend, app: &str, env: &str) -> anyhow::Result<()> {
    let config =
        store.get_environment(app, env).await.with_context(|| format!("get environment {env} in application {app}"))?;
    if !config.region.is_empty() && config.region != backend.region() {
        bail!(
            "environment {env} of application {app} is in region {}, not {}: run again with --region {}",
            config.region,
            backend.region(),
            config.region
        );
    }
    Ok(())
}

/// The environment for `--from-env-file`, when `--env` is not given.
async fn ask_env(store: &Store<'_>, app: &str) -> anyhow::Result<String> {
    let envs = store.list_environments(app).await.with_context(|| format!("list environments in app {app}"))?;
    let names: Vec<String> = envs.into_iter().map(|e| e.name).collect();
    if names.is_empty() {
        bail!("no environments in application {app}: run `coffer env init` first");
    }
    prompt::select(
        "Which environment should these secrets be put in?",
        "The environment whose execution role may read them.",
        &names,
        "Environment:",
        "--env",
    )
    .context("ask for an environment")
}

/// The `.env` file as secret name → environment → value, with every name checked.
fn read_env_file(path: &Path, envs: &[String]) -> anyhow::Result<BTreeMap<String, Values>> {
    let entries = crate::transfer::read_flat_file(path, crate::transfer::InputFormat::Dotenv)?;
    let mut out = BTreeMap::new();
    for entry in entries {
        crate::transfer::check_secret_name(path, &entry)?;
        // Blank values skip the environment, as a blank answer to the prompt does.
        if entry.value.expose_secret().is_empty() {
            continue;
        }
        let values: Values =
            envs.iter().map(|env| (env.clone(), SecretString::from(entry.value.expose_secret().to_owned()))).collect();
        out.insert(entry.key, values);
    }
    Ok(out)
}

/// One hidden prompt per environment; blank answers skip the environment.
async fn ask_values(store: &Store<'_>, app: &str, name: &str) -> anyhow::Result<Values> {
    let envs = store.list_environments(app).await.with_context(|| format!("list environments in app {app}"))?;
    if envs.is_empty() {
        ui::error(format!(
            "Secrets are environment-level resources. Please run {} before running {}.",
            ui::code("coffer env init"),
            ui::code("coffer secret init")
        ));
        bail!("no environment is found in app {app}");
    }
    let mut values = Values::new();
    for env in envs {
        let value = prompt::secret(
            // Plain text: the prompt library writes it to the terminal as is.
            &format!("What is the value of secret {name} in environment {}?", env.name),
            &format!(
                "If you do not wish to add the secret {name} to environment {}, you can leave this blank by pressing 'Enter' without entering any value.",
                env.name
            ),
            &format!("{} secret value:", title_case(&env.name)),
            "--values",
        )
        .with_context(|| format!("get secret value for {name} in environment {}", env.name))?;
        if !value.expose_secret().is_empty() {
            values.insert(env.name, value);
        }
    }
    Ok(values)
}

fn secret_json(s: &copilot::SecretInfo) -> serde_json::Value {
    serde_json::json!({
        "app": s.app,
        "name": s.name,
        "environment": s.env,
        "parameter": s.parameter.name,
        "type": s.parameter.param_type,
        "version": s.parameter.version,
        "lastModified": ui::rfc3339(s.parameter.last_modified.millis()),
        "lastModifiedBy": s.parameter.last_modified_user,
    })
}

async fn ls(backend: &dyn Backend, app: Option<String>, env: Option<String>, json: bool) -> anyhow::Result<()> {
    let store = Store::new(backend);
    let app = app.or_else(workspace::app_name);
    let all_apps = app.is_none();
    let secrets = ui::spin("Listing secrets", async {
        let apps = match &app {
            Some(app) => {
                store.get_application(app).await.with_context(|| format!("get application {app}"))?;
                vec![app.clone()]
            }
            None => store.list_applications().await?.into_iter().map(|a| a.name).collect(),
        };
        let mut secrets = Vec::new();
        for app in &apps {
            secrets.extend(store.list_secrets(app, env.as_deref()).await?);
        }
        anyhow::Ok(secrets)
    })
    .await?;
    if json {
        ui::data(serde_json::json!({ "secrets": secrets.iter().map(secret_json).collect::<Vec<_>>() }));
        return Ok(());
    }
    if secrets.is_empty() {
        ui::info("No secrets found.");
        return Ok(());
    }
    // One row per secret; one line per environment where it is set.
    let mut headers = vec!["Name", "Environments", "Version", "Last modified", "By"];
    if all_apps {
        headers.insert(0, "Application");
    }
    let mut table = ui::table(&headers);
    let mut i = 0;
    while i < secrets.len() {
        let group: Vec<&copilot::SecretInfo> =
            secrets[i..].iter().take_while(|s| s.app == secrets[i].app && s.name == secrets[i].name).collect();
        i += group.len();
        let lines =
            |f: &dyn Fn(&copilot::SecretInfo) -> String| group.iter().map(|s| f(s)).collect::<Vec<_>>().join("\n");
        let mut row = vec![
            group[0].name.clone(),
            lines(&|s| s.env.clone()),
            lines(&|s| s.parameter.version.to_string()),
            lines(&|s| ui::rfc3339(s.parameter.last_modified.millis())),
            lines(&|s| s.parameter.last_modified_user.clone().unwrap_or_default()),
        ];
        if all_apps {
            row.insert(0, group[0].app.clone());
        }
        table.add_row(row);
    }
    ui::data(ui::render(&table));
    Ok(())
}

/// `--app`, else the workspace's application.
pub(crate) fn resolve_app(app: Option<String>) -> anyhow::Result<String> {
    app.filter(|a| !a.is_empty()).or_else(workspace::app_name).context(
        "no application given: pass --app, or run inside a workspace (copilot/.workspace) created by `coffer app init`",
    )
}

async fn show(
    backend: &dyn Backend,
    name: &str,
    app: Option<String>,
    env: Option<String>,
    reveal: bool,
    json: bool,
) -> anyhow::Result<()> {
    let copilot_name = copilot::validate_secret_name(name).map_err(|e| anyhow!("secret name {name} is invalid: {e}"));
    let app = resolve_app(app)?;
    let store = Store::new(backend);
    let found = ui::spin(format!("Reading secret {name}"), async {
        // Not a name `secret init` could have given: only Secrets Manager can hold it.
        if copilot_name.is_err() {
            return anyhow::Ok(Vec::new());
        }
        store.get_application(&app).await.with_context(|| format!("get application {app}"))?;
        if let Some(env) = &env {
            store
                .get_environment(&app, env)
                .await
                .with_context(|| format!("get environment {env} in application {app}"))?;
        }
        let secrets: Vec<_> =
            store.list_secrets(&app, env.as_deref()).await?.into_iter().filter(|s| s.name == name).collect();
        let mut out = Vec::new();
        for s in secrets {
            let tags = backend
                .list_tags(&s.parameter.name)
                .await
                .with_context(|| format!("list tags of {}", s.parameter.name))?;
            // The value is read (and decrypted, and audited as such) only when asked for.
            let value = if reveal {
                backend
                    .get_parameter(&s.parameter.name, true)
                    .await
                    .with_context(|| format!("get parameter {}", s.parameter.name))?
                    .map(|p| p.value)
            } else {
                None
            };
            out.push((s, tags, value));
        }
        anyhow::Ok(out)
    })
    .await?;
    if found.is_empty() {
        let managed = ui::spin(format!("Reading Secrets Manager secret {name}"), async {
            ManagedSecret::find(backend, name, &app, env.as_deref(), reveal)
                .await
                .with_context(|| format!("describe secret {name}"))
        })
        .await?;
        if let Some(managed) = managed {
            if json {
                ui::data(serde_json::json!({ "app": app, "name": name, "secretsManager": managed.json() }));
            } else {
                ui::data(managed.table());
            }
            return Ok(());
        }
        copilot_name?;
        match &env {
            Some(env) => bail!("secret {name} is not set in environment {env} of application {app}"),
            None => bail!("secret {name} is not set in any environment of application {app}"),
        }
    }
    if json {
        let envs: Vec<_> = found
            .iter()
            .map(|(s, tags, value)| {
                let mut v = secret_json(s);
                v["tags"] = tags.iter().map(|t| (t.key.clone(), serde_json::Value::from(t.value.clone()))).collect();
                if let Some(value) = value {
                    v["value"] = value.expose_secret().into();
                }
                v
            })
            .collect();
        ui::data(serde_json::json!({ "app": app, "name": name, "environments": envs }));
        return Ok(());
    }
    let mut blocks = Vec::new();
    for (s, tags, value) in &found {
        let mut t = ui::table(&["", ""]);
        t.add_row(vec!["Name", s.name.as_str()]);
        t.add_row(vec!["Application", s.app.as_str()]);
        t.add_row(vec!["Environment", s.env.as_str()]);
        t.add_row(vec!["Parameter", s.parameter.name.as_str()]);
        t.add_row(vec!["Type".to_owned(), s.parameter.param_type.clone()]);
        t.add_row(vec!["Version".to_owned(), s.parameter.version.to_string()]);
        t.add_row(vec!["Last modified".to_owned(), ui::rfc3339(s.parameter.last_modified.millis())]);
        t.add_row(vec!["Modified by".to_owned(), s.parameter.last_modified_user.clone().unwrap_or_default()]);
        let tags: Vec<String> = tags.iter().map(|t| format!("{}={}", t.key, t.value)).collect();
        t.add_row(vec!["Tags".to_owned(), tags.join(", ")]);
        match value {
            Some(v) => t.add_row(vec!["Value".to_owned(), v.expose_secret().to_owned()]),
            None => t.add_row(vec!["Value".to_owned(), "(hidden; pass --reveal to show it)".to_owned()]),
        };
        blocks.push(ui::render(&t));
    }
    ui::data(blocks.join("\n\n"));
    Ok(())
}

async fn rm(
    backend: &dyn Backend,
    name: &str,
    app: Option<String>,
    envs: Vec<String>,
    yes: bool,
) -> anyhow::Result<()> {
    copilot::validate_secret_name(name).map_err(|e| anyhow!("secret name {name} is invalid: {e}"))?;
    let app = resolve_app(app)?;
    let store = Store::new(backend);
    store.get_application(&app).await.with_context(|| format!("get application {app}"))?;
    let set_in: BTreeSet<String> =
        store.list_secrets(&app, None).await?.into_iter().filter(|s| s.name == name).map(|s| s.env).collect();
    let requested: BTreeSet<String> = envs.into_iter().collect();
    let (targets, missing): (Vec<String>, Vec<String>) = if requested.is_empty() {
        (set_in.iter().cloned().collect(), Vec::new())
    } else {
        requested.into_iter().partition(|e| set_in.contains(e))
    };
    if targets.is_empty() && missing.is_empty() {
        bail!("secret {name} is not set in any environment of application {app}");
    }
    if !targets.is_empty() && !yes {
        let question = format!(
            "Are you sure you want to delete secret {name} from environment {} of application {app}?",
            ui::word_series(&targets, "and")
        );
        if !prompt::confirm(&question, "Delete secret:", "--yes")? {
            bail!("secret delete cancelled - no changes made");
        }
    }
    for env in &targets {
        let path = copilot::secret_path(&app, env, name);
        if ui::spin(format!("Deleting {path}"), backend.delete_parameter(&path))
            .await
            .with_context(|| format!("delete parameter {path}"))?
        {
            ui::success(format!(
                "Deleted secret {} from environment {} ({}).",
                ui::input(name),
                ui::input(env),
                ui::resource(&path)
            ));
        }
    }
    if !missing.is_empty() {
        bail!("secret {name} is not set in environment {} of application {app}", ui::word_series(&missing, "and"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(s: &str) -> SecretArg {
        secret_arg(s).unwrap()
    }

    fn plain(v: &Values) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.clone(), v.expose_secret().to_owned())).collect()
    }

    #[test]
    fn parses_values_like_pflag() {
        let v = parse_values(&[arg("test=a,b")]).unwrap();
        assert_eq!(plain(&v), [("test".into(), "a,b".into())]);
        let v = parse_values(&[arg("test=1,prod=2")]).unwrap();
        assert_eq!(plain(&v), [("prod".into(), "2".into()), ("test".into(), "1".into())]);
        let v = parse_values(&[arg("\"test=x=1,y\",prod=2")]).unwrap();
        assert_eq!(plain(&v), [("prod".into(), "2".into()), ("test".into(), "x=1,y".into())]);
        let v = parse_values(&[arg("test=1"), arg("prod=2")]).unwrap();
        assert_eq!(v.len(), 2);
        let e = parse_values(&[arg("hunter2")]).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(parse_values(&[arg("a=1,b,c=2")]).is_err());
    }

    #[test]
    fn debug_hides_values() {
        assert_eq!(format!("{:?}", arg("test=hunter2")), "SecretArg([REDACTED])");
    }

    #[test]
    fn title_cases_like_go() {
        assert_eq!(title_case("test"), "Test");
        assert_eq!(title_case("my-env"), "My-Env");
    }

    #[test]
    fn reads_input_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.yml");
        std::fs::write(&path, "db_port:\n  test: 5432\n  prod: '5433'\nempty:\n  test:\n").unwrap();
        let s = read_input_file(&path).unwrap();
        assert_eq!(plain(&s["db_port"]), [("prod".into(), "5433".into()), ("test".into(), "5432".into())]);
        assert!(s["empty"].is_empty());
        let e = read_input_file(&dir.path().join("nope.yml")).unwrap_err().to_string();
        assert!(e.starts_with("open input file "), "{e}");
        assert!(e.ends_with("no such file or directory"), "{e}");
    }
}
