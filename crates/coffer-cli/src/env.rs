//! `coffer env init | ls | show | rm`

use crate::app::plural;
use crate::connect::ConnectArgs;
use crate::copilot::{self, Environment, Store};
use crate::{prompt, ui, workspace};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use coffer_client::Backend;

#[derive(Args, Debug)]
pub struct EnvCommand {
    #[command(subcommand)]
    command: EnvSubcommand,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Args, Debug)]
struct AppArg {
    /// Name of the application [default: the workspace's application]
    #[arg(short, long)]
    app: Option<String>,
}

#[derive(Subcommand, Debug)]
enum EnvSubcommand {
    /// Create an environment (stored at /copilot/applications/APP/environments/NAME) and its
    /// execution role APP-NAME-ExecutionRole, which may read the environment's secrets.
    Init {
        #[command(flatten)]
        app: AppArg,
        /// Name of the environment [prompted when missing]
        #[arg(short, long)]
        name: Option<String>,
        /// Mark the environment as production.
        #[arg(long)]
        prod: bool,
    },
    /// List the environments of an application.
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        app: AppArg,
        /// Output in JSON format.
        #[arg(long)]
        json: bool,
    },
    /// Show an environment: its configuration, execution role and secrets.
    Show {
        #[command(flatten)]
        app: AppArg,
        /// Name of the environment.
        #[arg(short, long)]
        name: String,
        /// Output in JSON format.
        #[arg(long)]
        json: bool,
    },
    /// Delete an environment, its execution role and its secrets (Copilot leaves secrets
    /// behind), after a confirmation.
    #[command(visible_alias = "delete")]
    Rm {
        #[command(flatten)]
        app: AppArg,
        /// Name of the environment.
        #[arg(short, long)]
        name: String,
        /// Skip the confirmation prompt.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(cmd: EnvCommand) -> anyhow::Result<()> {
    let conn = cmd.connect.open().await?;
    let backend = &*conn.backend;
    let result = match cmd.command {
        EnvSubcommand::Init { app, name, prod } => init(backend, app.app, name, prod).await,
        EnvSubcommand::Ls { app, json } => ls(backend, app.app, json).await,
        EnvSubcommand::Show { app, name, json } => show(backend, app.app, &name, json).await,
        EnvSubcommand::Rm { app, name, yes } => rm(backend, app.app, &name, yes).await,
    };
    conn.close().await;
    result
}

fn app_or_workspace(app: Option<String>) -> anyhow::Result<String> {
    app.or_else(workspace::app_name).context(
        "no application given: pass --app, or run inside a workspace (copilot/.workspace) created by `coffer app init`",
    )
}

async fn init(backend: &dyn Backend, app: Option<String>, name: Option<String>, prod: bool) -> anyhow::Result<()> {
    let app = app_or_workspace(app)?;
    let name = match name {
        Some(n) => n,
        None => prompt::text(
            "What is your environment's name?",
            "A unique identifier for an environment (e.g. dev, test, prod).",
            "Environment name:",
            "--name",
            copilot::basic_name,
        )?,
    };
    copilot::validate_env_name(&name)?;
    let store = Store::new(backend);
    store.get_application(&app).await.with_context(|| format!("get application {app}"))?;
    let account = backend.caller_identity().await.context("get caller identity")?.account;
    let existing = match store.get_environment(&app, &name).await {
        Ok(env) => Some(env),
        Err(e) if copilot::is_not_found(&e) => None,
        Err(e) => return Err(e),
    };
    let role_arn = ui::spin(
        format!("Creating the execution role of environment {name}"),
        copilot::ensure_execution_role(backend, &app, &name, &account),
    )
    .await?;
    ui::success(format!(
        "Execution role {} may read the secrets tagged {}={} and {}={}.",
        ui::resource(&role_arn),
        copilot::APP_TAG,
        app,
        copilot::ENV_TAG,
        name
    ));
    if let Some(env) = existing {
        ui::success(format!(
            "Environment {} already exists in application {} as {}.",
            ui::input(&env.name),
            ui::input(&app),
            ui::resource(copilot::env_path(&app, &name))
        ));
        return Ok(());
    }
    let env = Environment {
        app: app.clone(),
        name: name.clone(),
        region: backend.region().to_owned(),
        account_id: account,
        prod,
        execution_role_arn: role_arn,
        ..Default::default()
    };
    ui::spin(format!("Creating environment {name}"), store.create_environment(&env)).await?;
    ui::success(format!(
        "Created environment {} in region {} of application {} as {}.",
        ui::input(&name),
        env.region,
        ui::input(&app),
        ui::resource(copilot::env_path(&app, &name))
    ));
    ui::info("Recommended follow-up action:");
    ui::info(format!(
        "  - Run {} to add a secret.",
        ui::code(format!("coffer secret init --app {app} --name NAME --values {name}=VALUE"))
    ));
    Ok(())
}

async fn ls(backend: &dyn Backend, app: Option<String>, json: bool) -> anyhow::Result<()> {
    let app = app_or_workspace(app)?;
    let store = Store::new(backend);
    let envs = ui::spin(format!("Listing environments of {app}"), async {
        store.get_application(&app).await.with_context(|| format!("get application {app}"))?;
        store.list_environments(&app).await
    })
    .await?;
    if json {
        ui::data(serde_json::json!({ "environments": envs }));
    } else {
        for env in envs {
            ui::data(if env.prod { format!("{} (prod)", env.name) } else { env.name });
        }
    }
    Ok(())
}

async fn show(backend: &dyn Backend, app: Option<String>, name: &str, json: bool) -> anyhow::Result<()> {
    let app = app_or_workspace(app)?;
    let store = Store::new(backend);
    let (env, secrets) = ui::spin(format!("Reading environment {name}"), async {
        let env = store
            .get_environment(&app, name)
            .await
            .with_context(|| format!("get environment {name} in application {app}"))?;
        let secrets = store.list_secrets(&app, Some(name)).await?;
        anyhow::Ok((env, secrets))
    })
    .await?;
    let names: Vec<&str> = secrets.iter().map(|s| s.name.as_str()).collect();
    if json {
        let mut v = serde_json::to_value(&env)?;
        v["secrets"] = serde_json::json!(names);
        ui::data(v);
        return Ok(());
    }
    let mut about = ui::table(&["", ""]);
    about.add_row(vec!["Name", env.name.as_str()]);
    about.add_row(vec!["Application", env.app.as_str()]);
    about.add_row(vec!["Production", if env.prod { "true" } else { "false" }]);
    about.add_row(vec!["Region", env.region.as_str()]);
    about.add_row(vec!["Account ID", env.account_id.as_str()]);
    about.add_row(vec!["Execution role", env.execution_role_arn.as_str()]);
    ui::data(format!("About\n\n{}\n", ui::indent(&about.to_string())));
    let mut list = String::from("Secrets\n\n");
    if names.is_empty() {
        list.push_str("  None");
    }
    for n in &names {
        list.push_str(&format!("  {n}  {}\n", copilot::secret_path(&app, name, n)));
    }
    ui::data(list.trim_end());
    Ok(())
}

async fn rm(backend: &dyn Backend, app: Option<String>, name: &str, yes: bool) -> anyhow::Result<()> {
    let app = app_or_workspace(app)?;
    let store = Store::new(backend);
    store.get_environment(&app, name).await.with_context(|| format!("get environment {name} in application {app}"))?;
    let secrets = store.list_secrets(&app, Some(name)).await?;
    if !yes {
        let question = format!(
            "Are you sure you want to delete environment {name} from application {app}, with its {}?",
            plural(secrets.len(), "secret")
        );
        if !prompt::confirm(&question, "Delete environment:", "--yes")? {
            anyhow::bail!("env delete cancelled - no changes made");
        }
    }
    delete_environment(backend, &app, name, &secrets).await
}

/// Deletes an environment's secrets, its execution role and its record.
pub async fn delete_environment(
    backend: &dyn Backend,
    app: &str,
    env: &str,
    secrets: &[copilot::SecretInfo],
) -> anyhow::Result<()> {
    let mut deleted = 0;
    for s in secrets {
        let path = copilot::secret_path(app, env, &s.name);
        if ui::spin(format!("Deleting {path}"), backend.delete_parameter(&path))
            .await
            .with_context(|| format!("delete secret {path}"))?
        {
            deleted += 1;
        }
    }
    if deleted > 0 {
        ui::success(format!("Deleted {} of environment {}.", plural(deleted, "secret"), ui::input(env)));
    }
    if copilot::delete_execution_role(backend, app, env).await? {
        ui::success(format!("Deleted role {}.", ui::resource(copilot::execution_role_name(app, env))));
    }
    Store::new(backend).delete_environment(app, env).await?;
    ui::success(format!("Deleted environment {} from application {}.", ui::input(env), ui::input(app)));
    Ok(())
}
