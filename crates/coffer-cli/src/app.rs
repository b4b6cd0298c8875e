//! `coffer app init | ls | show | rm`

use crate::connect::ConnectArgs;
use crate::copilot::{self, Application, Store};
use crate::{prompt, ui, workspace};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use coffer_client::Backend;

#[derive(Args, Debug)]
pub struct AppCommand {
    #[command(subcommand)]
    command: AppSubcommand,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Subcommand, Debug)]
enum AppSubcommand {
    /// Create an application (stored at /copilot/applications/NAME) and the workspace file
    /// copilot/.workspace in the current directory.
    Init {
        /// Name of the application [default: the workspace's application; else prompted]
        name: Option<String>,
    },
    /// List the applications.
    #[command(visible_alias = "list")]
    Ls {
        /// Output in JSON format.
        #[arg(long)]
        json: bool,
    },
    /// Show an application's configuration and environments.
    Show {
        /// Name of the application [default: the workspace's application]
        name: Option<String>,
        /// Output in JSON format.
        #[arg(long)]
        json: bool,
    },
    /// Delete an application with its environments, their execution roles and every secret
    /// under /copilot/APP/ (Copilot leaves secrets behind), after a confirmation.
    #[command(visible_alias = "delete")]
    Rm {
        /// Name of the application [default: the workspace's application]
        name: Option<String>,
        /// Skip the confirmation prompt.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(cmd: AppCommand) -> anyhow::Result<()> {
    let conn = cmd.connect.open().await?;
    let result = match cmd.command {
        AppSubcommand::Init { name } => init(&*conn.backend, name).await,
        AppSubcommand::Ls { json } => ls(&*conn.backend, json).await,
        AppSubcommand::Show { name, json } => show(&*conn.backend, name, json).await,
        AppSubcommand::Rm { name, yes } => rm(&*conn.backend, name, yes).await,
    };
    conn.close().await;
    result
}

/// The app a command is about: the argument, else the workspace's.
pub fn resolve_name(name: Option<String>) -> anyhow::Result<String> {
    name.or_else(workspace::app_name).context(
        "no application given: pass its name, or run inside a workspace (copilot/.workspace) created by `coffer app init`",
    )
}

async fn init(backend: &dyn Backend, name: Option<String>) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("current directory")?;
    let existing = match workspace::find_from(&cwd) {
        Some(path) => workspace::read(&path)?,
        None => None,
    };
    let name = match (name, &existing) {
        (Some(n), _) => n,
        (None, Some(ws)) => ws.clone(),
        (None, None) => prompt::text(
            "What would you like to name your application?",
            "Applications are a collection of services and environments.",
            "Application name:",
            "the application's name",
            copilot::basic_name,
        )?,
    };
    copilot::validate_app_name(&name)?;
    if let Some(ws) = &existing
        && ws != &name
    {
        anyhow::bail!("workspace already registered with {ws}");
    }
    let store = Store::new(backend);
    let identity =
        ui::spin("Looking up the account", backend.caller_identity()).await.context("get caller identity")?;
    let app = Application { name: name.clone(), account_id: identity.account.clone(), ..Default::default() };
    let created = ui::spin(format!("Creating application {name}"), store.create_application(&app)).await?;
    if created {
        ui::success(format!(
            "Created application {} in account {} and region {} as {}.",
            ui::input(&name),
            identity.account,
            backend.region(),
            ui::resource(copilot::app_path(&name))
        ));
    } else {
        ui::success(format!(
            "Application {} already exists as {}.",
            ui::input(&name),
            ui::resource(copilot::app_path(&name))
        ));
    }
    if existing.is_none() && workspace::create(&cwd, &name)? {
        ui::success(format!(
            "Wrote the workspace file {} for application {}.",
            ui::resource(format!("{}/{}", workspace::DIR, workspace::FILE)),
            ui::input(&name)
        ));
    }
    ui::info("Recommended follow-up action:");
    ui::info(format!("  - Run {} to add an environment.", ui::code("coffer env init --name test")));
    Ok(())
}

async fn ls(backend: &dyn Backend, json: bool) -> anyhow::Result<()> {
    let apps = ui::spin("Listing applications", Store::new(backend).list_applications()).await?;
    if json {
        ui::data(serde_json::json!({ "applications": apps }));
    } else {
        for app in apps {
            ui::data(app.name);
        }
    }
    Ok(())
}

async fn show(backend: &dyn Backend, name: Option<String>, json: bool) -> anyhow::Result<()> {
    let name = resolve_name(name)?;
    let store = Store::new(backend);
    let (app, envs, secrets) = ui::spin(format!("Reading application {name}"), async {
        let app = store.get_application(&name).await.with_context(|| format!("get application {name}"))?;
        let envs = store.list_environments(&name).await?;
        let secrets = store.list_secrets(&name, None).await?;
        anyhow::Ok((app, envs, secrets))
    })
    .await?;
    let count = |env: &str| secrets.iter().filter(|s| s.env == env).count();
    if json {
        let envs: Vec<_> = envs
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                v["secrets"] = count(&e.name).into();
                v
            })
            .collect();
        ui::data(serde_json::json!({
            "name": app.name,
            "account": app.account_id,
            "version": app.version,
            "domain": app.domain,
            "environments": envs,
        }));
        return Ok(());
    }
    let mut about = ui::table(&["", ""]);
    about.add_row(vec!["Name", app.name.as_str()]);
    about.add_row(vec!["Account", app.account_id.as_str()]);
    about.add_row(vec!["Version", app.version.as_str()]);
    about.add_row(vec!["Domain", if app.domain.is_empty() { "None" } else { app.domain.as_str() }]);
    ui::data(format!("About\n\n{}\n", ui::indent(&about.to_string())));
    let mut table = ui::table(&["Name", "AccountID", "Region", "Secrets"]);
    for e in &envs {
        let name = if e.prod { format!("{} (prod)", e.name) } else { e.name.clone() };
        table.add_row(vec![name, e.account_id.clone(), e.region.clone(), count(&e.name).to_string()]);
    }
    ui::data(format!("Environments\n\n{}", ui::indent(&table.to_string())));
    Ok(())
}

async fn rm(backend: &dyn Backend, name: Option<String>, yes: bool) -> anyhow::Result<()> {
    let name = resolve_name(name)?;
    let store = Store::new(backend);
    store.get_application(&name).await.with_context(|| format!("get application {name}"))?;
    let envs = store.list_environments(&name).await?;
    let secrets = store.list_secrets(&name, None).await?;
    if !yes {
        let question = format!(
            "Are you sure you want to delete application {name}, its {} and {}?",
            plural(envs.len(), "environment"),
            plural(secrets.len(), "secret")
        );
        if !prompt::confirm(&question, "Delete application:", "--yes")? {
            anyhow::bail!("app delete cancelled - no changes made");
        }
    }
    for env in &envs {
        let of_env: Vec<_> = secrets.iter().filter(|s| s.env == env.name).cloned().collect();
        crate::env::delete_environment(backend, &name, &env.name, &of_env).await?;
    }
    // Secrets of environments deleted earlier by other tools (Copilot leaves them behind).
    let mut orphans = 0;
    for s in secrets.iter().filter(|s| !envs.iter().any(|e| e.name == s.env)) {
        let path = copilot::secret_path(&name, &s.env, &s.name);
        if backend.delete_parameter(&path).await.with_context(|| format!("delete secret {path}"))? {
            orphans += 1;
        }
    }
    if orphans > 0 {
        ui::success(format!("Deleted {} left behind by deleted environments.", plural(orphans, "secret")));
    }
    store.delete_application(&name).await?;
    ui::success(format!("Deleted application {}.", ui::input(&name)));
    // As Copilot does, the local workspace of the deleted application goes too.
    let cwd = std::env::current_dir().context("current directory")?;
    if let Some(path) = workspace::find_from(&cwd)
        && workspace::read(&path).ok().flatten().as_deref() == Some(name.as_str())
    {
        std::fs::remove_file(&path).with_context(|| format!("remove {}", path.display()))?;
        ui::success(format!("Deleted the workspace file {}.", ui::resource(path.display())));
    }
    Ok(())
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}
