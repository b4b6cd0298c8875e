//! `coffer rotation …`: the rotation functions `coffer serve` runs when a secret rotates, and
//! the built-in one's step.

use crate::config::{LockMode, StoreArgs, lock_data_dir};
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use coffer_aws::secret::ExposeSecret as _;
use coffer_aws::{Scope, SecretBytes, Timestamp};
use coffer_client::{Backend as _, SecretPayload};
use coffer_store::iam::PrincipalKind;
use coffer_store::rotation::{FunctionKind, NewFunction};
use std::io::Read as _;

const AFTER_HELP: &str = "\
A rotation function runs AWS's four rotation steps (createSecret, setSecret, testSecret,
finishSecret) when a secret rotates: on RotateSecret, and on the secret's schedule while
`coffer serve` runs. RotateSecret names it by the ARN `register` prints:

  aws secretsmanager rotate-secret --secret-id mysql \\
      --rotation-lambda-arn arn:aws:lambda:us-east-1:000000000000:function:mysql-rotation \\
      --rotation-rules '{\"ScheduleExpression\": \"rate(30 days)\"}'

Examples:
  # A program, once per step: the event on stdin, credentials of ROLE in its environment.
  coffer rotation register mysql-rotation --role rotator -- python3 examples/rotation/runner.py
  # An HTTPS endpoint, POSTed each step's event (signed; the signing key is printed once).
  coffer rotation register billing-rotation --webhook https://rotate.example.com/coffer
  # Coffer's own: a new random password, into the whole value or one JSON key.
  coffer rotation register db-password --role rotator --random-password --json-key password";

#[derive(Subcommand, Debug)]
pub enum RotationCommand {
    /// Register a rotation function and print its ARN.
    #[command(after_help = AFTER_HELP)]
    Register(RegisterArgs),
    /// List the registered rotation functions.
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        at: Location,
    },
    /// Secrets whose rotation is under way or failed: the pending version, attempts, the next
    /// retry, and why the last attempt failed.
    Status {
        #[command(flatten)]
        at: Location,
    },
    /// Remove a rotation function (secrets that name it can no longer rotate).
    #[command(visible_alias = "delete")]
    Rm {
        name: String,
        #[command(flatten)]
        at: Location,
    },
    /// The built-in password generator's step (the rotation runner runs it; the event on stdin).
    #[command(hide = true)]
    RandomPasswordStep { options: String },
}

/// Which store, account and Region.
#[derive(Args, Debug)]
pub struct Location {
    #[command(flatten)]
    store: StoreArgs,
    /// The account the function belongs to.
    #[arg(long, env = "COFFER_ACCOUNT_ID", default_value = "000000000000")]
    account_id: String,
    /// The Region the function is registered in (its ARN's Region).
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
}

impl Location {
    fn scope(&self) -> Scope {
        Scope::new(self.account_id.clone(), self.region.clone())
    }
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// The function's name (its ARN ends with function:NAME).
    name: String,
    /// The IAM role (name or ARN) the function acts as: a command gets temporary credentials
    /// of it, nothing of the server's own
    #[arg(long, required_unless_present = "webhook")]
    role: Option<String>,
    /// An HTTPS URL that receives each step's event as a POST signed with HMAC-SHA256
    /// (header X-Coffer-Signature: sha256=HEX); plain http only to a loopback address
    #[arg(long, conflicts_with_all = ["random_password", "command", "role"])]
    webhook: Option<String>,
    /// Coffer's own function: a new random password (GetRandomPassword's rules)
    #[arg(long, conflicts_with = "command")]
    random_password: bool,
    /// Password length (--random-password)
    #[arg(long, requires = "random_password", default_value_t = 32)]
    length: i64,
    /// Characters the password must not contain (--random-password)
    #[arg(long, requires = "random_password")]
    exclude_characters: Option<String>,
    /// Put the password into this key of the secret's JSON object instead of replacing the
    /// whole value (--random-password)
    #[arg(long, requires = "random_password")]
    json_key: Option<String>,
    /// How long one step may take, in seconds
    #[arg(long, default_value_t = 30)]
    timeout: u32,
    #[command(flatten)]
    at: Location,
    /// The program and its arguments (after `--`), run once per step
    #[arg(value_name = "PROGRAM", trailing_var_arg = true, allow_hyphen_values = true, num_args = 1..)]
    command: Vec<String>,
}

pub async fn run(cmd: RotationCommand) -> anyhow::Result<()> {
    match cmd {
        RotationCommand::Register(args) => register(args).await,
        RotationCommand::Ls { at } => list(at).await,
        RotationCommand::Rm { name, at } => remove(&name, at).await,
        RotationCommand::Status { at } => status(at).await,
        RotationCommand::RandomPasswordStep { options } => random_password_step(&options).await,
    }
}

async fn register(args: RegisterArgs) -> anyhow::Result<()> {
    let scope = args.at.scope();
    let (kind, spec) = if let Some(url) = &args.webhook {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("--webhook must be an https:// URL, got {url}");
        }
        (FunctionKind::Webhook, serde_json::json!({ "url": url }))
    } else if args.random_password {
        let options = serde_json::json!({
            "PasswordLength": args.length,
            "ExcludeCharacters": args.exclude_characters,
            "JsonKey": args.json_key,
        });
        // Refused now rather than at the first rotation.
        password(&options)?;
        (FunctionKind::RandomPassword, options)
    } else if !args.command.is_empty() {
        (FunctionKind::Command, serde_json::json!({ "argv": args.command }))
    } else {
        bail!("say what the function runs: -- PROGRAM ARGS…, --webhook URL or --random-password");
    };
    let store = args.at.store.open_command().await?;
    // A webhook's key is sealed: like every embedded writer, never during a key rotation.
    let _lock = lock_data_dir(&args.at.store.data_dir()?, LockMode::Shared)?;
    let role_arn = match &args.role {
        Some(role) => {
            let name = role.rsplit('/').next().unwrap_or(role);
            let found = store
                .iam_principal(&scope.account, PrincipalKind::Role, name)
                .await?
                .with_context(|| format!("no role {role} in account {}", scope.account))?;
            Some(found.arn)
        }
        None => None,
    };
    let webhook_key = (kind == FunctionKind::Webhook).then(|| {
        use rand::RngExt as _;
        SecretBytes::new(rand::rng().random::<[u8; 32]>().to_vec())
    });
    let new = NewFunction {
        name: &args.name,
        kind,
        role_arn: role_arn.as_deref(),
        spec: &spec.to_string(),
        timeout_ms: i64::from(args.timeout.max(1)) * 1000,
        webhook_key: webhook_key.as_ref(),
    };
    let mut tx = store.begin().await?;
    let registered = tx.rotation_register(&scope, &new, Timestamp::now()).await?;
    let Some(registered) = registered else {
        bail!("a rotation function named {} is already registered in {}", args.name, scope.region);
    };
    tx.commit().await?;
    store.close().await;
    crate::ui::data(registered.arn(scope.partition()));
    if let Some(key) = webhook_key {
        use base64::Engine as _;
        // Shown once, like a new access key's secret: the webhook checks signatures with it.
        crate::ui::data(format!("signing key: {}", base64::engine::general_purpose::STANDARD.encode(key.expose())));
    }
    crate::ui::success(format!("Registered rotation function {} ({})", args.name, kind.as_str()));
    Ok(())
}

async fn list(at: Location) -> anyhow::Result<()> {
    let store = at.store.open_command().await?;
    let functions = store.rotation_functions(&at.account_id).await?;
    store.close().await;
    let mut table = crate::ui::table(&["ARN", "Kind", "Role", "Timeout"]);
    for f in &functions {
        let scope = Scope::new(f.account.clone(), f.region.clone());
        table.add_row(vec![
            f.arn(scope.partition()),
            f.kind.as_str().to_owned(),
            f.role_arn.clone().unwrap_or_default(),
            format!("{} s", f.timeout_ms / 1000),
        ]);
    }
    crate::ui::data(crate::ui::render(&table));
    Ok(())
}

async fn status(at: Location) -> anyhow::Result<()> {
    let store = at.store.open_command().await?;
    let rotations = store.sm_rotation_status(&at.account_id).await?;
    store.close().await;
    let mut table =
        crate::ui::table(&["Secret", "Region", "Pending version", "Failed attempts", "Next attempt", "Last error"]);
    for r in &rotations {
        table.add_row(vec![
            r.name.clone(),
            r.region.clone(),
            r.token.clone().unwrap_or_else(|| "(given up)".to_owned()),
            r.attempts.to_string(),
            r.retry_at.map(|t| crate::ui::rfc3339(t.millis())).unwrap_or_default(),
            r.error.clone().unwrap_or_default(),
        ]);
    }
    crate::ui::data(crate::ui::render(&table));
    Ok(())
}

async fn remove(name: &str, at: Location) -> anyhow::Result<()> {
    let store = at.store.open_command().await?;
    let mut tx = store.begin().await?;
    let removed = tx.rotation_unregister(&at.scope(), name).await?;
    tx.commit().await?;
    store.close().await;
    if !removed {
        bail!("no rotation function named {name} in {}", at.region);
    }
    crate::ui::success(format!("Removed rotation function {name}"));
    Ok(())
}

/// A password as the options ask for it (GetRandomPassword's rules).
fn password(options: &serde_json::Value) -> anyhow::Result<coffer_aws::secret::SecretString> {
    let input = coffer_services::secretsmanager::model::GetRandomPasswordInput {
        password_length: options["PasswordLength"].as_i64(),
        exclude_characters: options["ExcludeCharacters"].as_str().map(str::to_owned),
        ..Default::default()
    };
    coffer_services::secretsmanager::random_password(&input)
        .map_err(|e| anyhow::anyhow!("{}", e.into_aws(coffer_services::Service::SecretsManager)))
}

/// The built-in function's step, as AWS's rotation template does it: `createSecret` puts a
/// new password as the token's version, staged AWSPENDING (once: a retry finds it there);
/// `finishSecret` moves AWSCURRENT to it. The password is Coffer's own, so there is nothing
/// to set or test elsewhere.
async fn random_password_step(options: &str) -> anyhow::Result<()> {
    let options: serde_json::Value = serde_json::from_str(options).context("the function's options")?;
    let mut event = String::new();
    std::io::stdin().read_to_string(&mut event).context("reading the event")?;
    let event: serde_json::Value = serde_json::from_str(&event).context("the event is not JSON")?;
    let (Some(step), Some(id), Some(token)) =
        (event["Step"].as_str(), event["SecretId"].as_str(), event["ClientRequestToken"].as_str())
    else {
        bail!("the event lacks Step, SecretId or ClientRequestToken");
    };
    let backend = coffer_remote::RemoteBackend::connect(&coffer_remote::RemoteOptions::default()).await?;
    match step {
        "createSecret" => {
            if backend.get_secret_value(id, Some(token)).await.is_ok() {
                return Ok(());
            }
            let new = password(&options)?;
            let value = match options["JsonKey"].as_str() {
                None => new,
                Some(key) => {
                    let current = backend.get_secret_value(id, None).await?;
                    let SecretPayload::Text(text) = current.payload else {
                        bail!("the secret is binary: no JSON key {key} to put a password in");
                    };
                    let mut object: serde_json::Map<String, serde_json::Value> =
                        serde_json::from_str(text.expose_secret())
                            .map_err(|_| anyhow::anyhow!("the secret's value is not a JSON object"))?;
                    object.insert(key.to_owned(), new.expose_secret().into());
                    serde_json::Value::Object(object).to_string().into()
                }
            };
            let payload = SecretPayload::Text(value);
            backend.put_secret_value(id, &payload, Some(token.to_owned()), Some(vec!["AWSPENDING".to_owned()])).await?;
        }
        "finishSecret" => {
            let current = backend.get_secret_value(id, None).await?.version_id;
            if current != token {
                backend.move_secret_stage(id, "AWSCURRENT", token, Some(&current)).await?;
            }
        }
        "setSecret" | "testSecret" => {}
        other => bail!("unknown step {other}"),
    }
    Ok(())
}
