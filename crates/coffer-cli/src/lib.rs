//! The `coffer` command line: argument parsing, the Copilot workflow (`app`, `env`,
//! `secret`), delivery (`run`, `check`, `manifest`), `serve`, `keys` and `audit`, on top of the
//! client, local, remote and server crates. The binary crate only calls [`main`].

mod agent;
mod app;
mod audit;
mod backup;
mod completions;
mod config;
mod connect;
mod copilot;
mod deliver;
mod env;
mod harden;
mod keys;
mod managed_secret;
mod prompt;
mod rotation;
mod secret;
mod serve;
mod tls;
mod transfer;
mod ui;
mod workspace;

use clap::{CommandFactory as _, Parser, Subcommand};
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Exit codes:
  0  success (also when `secret init` found a secret already set and did not overwrite it)
  1  the command failed (for `secret init`: in at least one environment; the others are done)
  2  usage error (unknown flag, missing argument…)

Backends: app, env and secret talk to the embedded store in the data directory, unless an
endpoint (--endpoint-url, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) or a profile
(--profile, AWS_PROFILE) is given: then they use the AWS SDK, against Coffer or AWS itself.";

/// Coffer: AWS-compatible secrets (SSM Parameter Store + Secrets Manager) you host yourself.
#[derive(Parser, Debug)]
#[command(name = "coffer", version, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the AWS-compatible server (SSM and Secrets Manager on one port).
    Serve(serve::ServeArgs),
    /// Master-key management.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Applications: a collection of environments (Copilot's `app`).
    App(app::AppCommand),
    /// Environments of an application, each with an execution role that reads its secrets.
    Env(env::EnvCommand),
    /// Secrets: sensitive information that you need in your application.
    Secret(secret::SecretCommand),
    /// Run a program with the secrets of a Copilot manifest or ECS task definition, resolved
    /// as the ECS agent does (exec: the program replaces coffer).
    Run(deliver::run::RunArgs),
    /// Pre-flight: may the environment's execution role read every secret of a manifest?
    Check(deliver::check::CheckArgs),
    /// Copilot manifests: render what ECS receives.
    Manifest(deliver::manifest::ManifestCommand),
    /// Bring parameters and secrets in: from AWS, a .env (JSON, YAML, tfvars) file, or chamber.
    Import(transfer::ImportCommand),
    /// Take an environment's secrets out (dotenv, json, yaml, tfvars, ECS secrets, manifest),
    /// or copy parameters and secrets into AWS (`export aws`).
    Export(transfer::ExportCommand),
    /// A consistent copy of the embedded store, while `coffer serve` keeps serving (values
    /// stay sealed: keep the master key separately).
    Backup(backup::BackupArgs),
    /// Restore a `coffer backup` file into an empty data directory (its master key first).
    Restore(backup::RestoreArgs),
    /// Rotation functions: what runs when a secret rotates (on RotateSecret and on its
    /// schedule, while `coffer serve` runs).
    #[command(subcommand)]
    Rotation(rotation::RotationCommand),
    /// The audit trail: list records, verify the hash chain.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// A local caching agent on 127.0.0.1:2773 that speaks the AWS Secrets Manager Agent's
    /// and the Parameters and Secrets Lambda Extension's HTTP protocols.
    Agent(agent::AgentArgs),
    /// Print a shell completion script (e.g. `coffer completions bash > /etc/bash_completion.d/coffer`).
    Completions(completions::CompletionsArgs),
}

/// Parses the command line, runs the command, and says how it ended.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let workflow = matches!(
        cli.command,
        Command::App(_)
            | Command::Env(_)
            | Command::Secret(_)
            | Command::Run(_)
            | Command::Check(_)
            | Command::Manifest(_)
            | Command::Import(_)
            | Command::Export(_)
    );
    // The server logs at info; the workflow commands only warn (their messages are their UI).
    // SDK and HTTP internals stay quiet whatever RUST_LOG says: they could show requests.
    // The agent logs at the level its configuration names.
    let default = match &cli.command {
        Command::Agent(args) => args.log_level(),
        _ if workflow => "warn",
        _ => "info",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    for quiet in [
        "aws_smithy_runtime=warn",
        "aws_smithy_runtime_api=warn",
        "aws_smithy_http=warn",
        "aws_smithy_http_client=warn",
        "aws_sigv4=warn",
        "aws_runtime=warn",
        "hyper=warn",
        "hyper_util=warn",
        "h2=warn",
    ] {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && !ui::no_color();
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    ui::init();
    // Measured on `coffer run` (docs/benchmarks.md): on the embedded store its reads overlap
    // on one thread and worker threads cost more than they save; against a server the SDK's
    // per-request work spreads over them and they save more than they cost.
    let threaded = match &cli.command {
        Command::Serve(_) | Command::Agent(_) => true,
        Command::Run(args) => args.is_remote(),
        Command::Check(args) => args.is_remote(),
        _ => false,
    };
    let mut builder = if threaded {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Keys(cmd) => keys::run(cmd).await,
            Command::App(cmd) => app::run(cmd).await,
            Command::Env(cmd) => env::run(cmd).await,
            Command::Secret(cmd) => secret::run(cmd).await,
            Command::Run(args) => deliver::run::run(args).await,
            Command::Check(args) => deliver::check::run(args).await,
            Command::Manifest(cmd) => deliver::manifest::run(cmd).await,
            Command::Import(cmd) => transfer::run_import(cmd).await,
            Command::Export(cmd) => transfer::run_export(cmd).await,
            Command::Backup(args) => backup::backup(args).await,
            Command::Restore(args) => backup::restore(args).await,
            Command::Audit(cmd) => audit::run(cmd).await,
            Command::Rotation(cmd) => rotation::run(cmd).await,
            Command::Agent(args) => agent::run(args).await,
            Command::Completions(args) => completions::run(&args, Cli::command()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if workflow => {
            // Copilot's form: `✘ <error: its causes>`.
            ui::error(format!("{e:#}"));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
