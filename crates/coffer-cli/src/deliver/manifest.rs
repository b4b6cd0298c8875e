//! `coffer manifest render`: a Copilot manifest's containers as ECS receives them —
//! `containerDefinitions[].secrets` (`name`, `valueFrom`, rendered as Copilot's templates
//! render them for the environment's account and region) and `environment`.

use super::SourceArgs;
use crate::connect::ConnectArgs;
use crate::ui;
use clap::{Args, Subcommand};
use coffer_copilot::manifest::{EcsKeyValue, EcsSecret};
use serde::Serialize;

/// The task definition members `--json` prints, in ECS's order.
#[derive(Serialize)]
struct TaskDefinition<'a> {
    #[serde(rename = "containerDefinitions")]
    container_definitions: Vec<ContainerDefinition<'a>>,
}

#[derive(Serialize)]
struct ContainerDefinition<'a> {
    name: &'a str,
    environment: &'a [EcsKeyValue],
    secrets: &'a [EcsSecret],
    #[serde(rename = "logConfiguration", skip_serializing_if = "Option::is_none")]
    log_configuration: Option<LogConfiguration<'a>>,
}

#[derive(Serialize)]
struct LogConfiguration<'a> {
    #[serde(rename = "secretOptions")]
    secret_options: &'a [EcsSecret],
}

#[derive(Args, Debug)]
pub struct ManifestCommand {
    #[command(subcommand)]
    command: ManifestSubcommand,
}

#[derive(Subcommand, Debug)]
enum ManifestSubcommand {
    /// Print the ECS `containerDefinitions[].secrets` (name, valueFrom) of a manifest, as
    /// Copilot renders them for an environment (account and region: the backend's).
    Render(RenderArgs),
}

#[derive(Args, Debug)]
#[command(after_help = "\
With --json the output is a task definition ({\"containerDefinitions\": [...]}), which
`coffer run --task-def` accepts.

Example:
  coffer manifest render --svc api --env test")]
struct RenderArgs {
    #[command(flatten)]
    source: ManifestSource,

    /// Environment whose overrides apply
    #[arg(short, long)]
    env: String,

    /// Output in JSON format.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    connect: ConnectArgs,
}

/// A manifest, as [`SourceArgs`] names one (no task definition here).
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("manifest_source").required(true).args(["svc", "manifest"])))]
struct ManifestSource {
    /// Name of the application [default: the workspace's application]
    #[arg(short, long)]
    app: Option<String>,

    /// Service or job whose manifest copilot/NAME/manifest.yml (found through
    /// copilot/.workspace) is rendered
    #[arg(long, value_name = "NAME")]
    svc: Option<String>,

    /// A Copilot manifest file
    #[arg(long, value_name = "FILE")]
    manifest: Option<std::path::PathBuf>,

    /// Only this container [default: every container]
    #[arg(long, value_name = "NAME")]
    container: Option<String>,
}

impl ManifestSource {
    fn to_source(&self) -> SourceArgs {
        SourceArgs {
            app: self.app.clone(),
            svc: self.svc.clone(),
            manifest: self.manifest.clone(),
            task_def: None,
            container: self.container.clone(),
        }
    }
}

pub async fn run(cmd: ManifestCommand) -> anyhow::Result<()> {
    match cmd.command {
        ManifestSubcommand::Render(args) => render(args).await,
    }
}

async fn render(args: RenderArgs) -> anyhow::Result<()> {
    let scope = super::scope_of(&args.connect).await?;
    let at = super::locate_manifest(&args.source.to_source())?;
    let workload = super::read_workload(&at, &args.env)?;
    let mut containers = workload.render(&scope)?;
    if let Some(name) = &args.source.container {
        containers.retain(|c| c.name == *name);
    }
    if args.json {
        let defs: Vec<ContainerDefinition<'_>> = containers
            .iter()
            .map(|c| ContainerDefinition {
                name: &c.name,
                environment: &c.environment,
                secrets: &c.secrets,
                log_configuration: (!c.log_secret_options.is_empty())
                    .then_some(LogConfiguration { secret_options: &c.log_secret_options }),
            })
            .collect();
        ui::data(serde_json::to_string_pretty(&TaskDefinition { container_definitions: defs })?);
        return Ok(());
    }
    let mut table = ui::table(&["Container", "Name", "ValueFrom"]);
    for c in &containers {
        for s in &c.secrets {
            table.add_row(vec![c.name.as_str(), s.name.as_str(), s.value_from.as_str()]);
        }
        for s in &c.log_secret_options {
            let name = format!("{} (log option)", s.name);
            table.add_row(vec![c.name.clone(), name, s.value_from.clone()]);
        }
    }
    ui::data(ui::render(&table));
    Ok(())
}
