//! `coffer run`: the ECS agent's secret resolution for any process, then `exec` — or, with
//! `--watch`, a small supervisor that follows new versions (`super::watch`).

use super::watch::{self, WatchArgs};
use super::{Backend, Reader, SourceArgs, describe_request, session_name};
use crate::connect::ConnectArgs;
use crate::copilot;
use crate::ui;
use anyhow::{Context as _, bail};
use clap::Args;
use coffer_client::{Versions, resolve};
use coffer_copilot::ecs::copilot_tag_hint;
use coffer_copilot::ecs::env::{EnvValue, assemble_environment};
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Resolution follows the ECS agent: every SSM reference (a name, or an ARN for another region)
is read with GetParameters(WithDecryption=true), de-duplicated, in batches of up to 10, all in
parallel; every Secrets Manager reference (arn:…:secret:ID or
arn:…:secret:ID:JSON-KEY:VERSION-STAGE:VERSION-ID) with one GetSecretValue per secret, a JSON
key taken from the secret's JSON object. Secrets override `variables`, which override
`env_file`.

The environment's execution role APP-ENV-ExecutionRole reads the secrets (assumed with STS in
remote mode), so only secrets tagged copilot-application=APP and copilot-environment=ENV can
be read. With --task-def and no --env, your own identity reads them.

On success CMD replaces coffer (same PID: signals and the exit status are the program's).
If any secret cannot be read, CMD is not started and every reason is printed; the exit
status is 1 (126/127 when CMD cannot be executed / is not found).

With --watch, coffer stays as CMD's parent instead: every --interval it asks which version
each secret reference names now (GetParameters without decryption; DescribeSecret, or
GetSecretValue when the role may not describe, as Copilot's execution role may not), as
the same identity. When a version changed — and stayed changed on a second look, so a
rotation's several writes make one change — it acts as --on-change says:
  restart     resolve again and restart CMD: SIGTERM, up to --stop-timeout, then SIGKILL
  signal:SIG  send CMD the signal (e.g. signal:HUP) and nothing else
  exit        stop CMD as restart does, then exit with status 75 (EX_TEMPFAIL), for an
              outer supervisor to start `coffer run` again
A secret that cannot be read any more leaves CMD running; the reason is printed (once per
new reason). coffer forwards HUP, INT, QUIT, TERM, USR1, USR2, WINCH and ALRM to CMD, and
exits with CMD's status (128+N when CMD was killed by signal N). Values are never printed.

Examples:
  coffer run --env test --svc api -- ./server --port 8080
  coffer run --env test --svc api --dry-run
  coffer run --task-def taskdef.json --container web -- env
  coffer run --env test --svc api --watch --interval 1m -- ./server";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct RunArgs {
    #[command(flatten)]
    source: SourceArgs,

    /// Environment: its execution role reads the secrets and its manifest overrides apply
    /// [required unless --task-def]
    #[arg(short, long, required_unless_present = "task_def")]
    pub(super) env: Option<String>,

    /// Start CMD with exactly the resolved variables, inheriting nothing
    #[arg(long)]
    pub(super) pristine: bool,

    /// Resolve everything as a run would, then print each variable's name and source (never
    /// its value) instead of starting CMD
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    pub(super) watch: WatchArgs,

    #[command(flatten)]
    connect: ConnectArgs,

    /// The program to run, and its arguments (after `--`)
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required_unless_present = "dry_run",
        num_args = 1..
    )]
    pub(super) command: Vec<String>,
}

/// Which start a resolution is for, for its error's wording.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    First,
    /// `--watch` restarting the program with new versions.
    Restart,
}

/// The environment to start the program with, where each variable comes from, and which
/// version each secret was read from.
pub(super) struct Prepared {
    pub env: BTreeMap<String, EnvValue>,
    sources: BTreeMap<String, String>,
    pub versions: Versions,
}

impl RunArgs {
    pub fn is_remote(&self) -> bool {
        self.connect.is_remote()
    }
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let core_limit = crate::harden::no_core_dumps();
    // Embedded, the manifest is read and rendered while the store opens.
    let (backend, container) = match super::embedded_scope_hint(&args.connect)? {
        Some(scope) => {
            let (source, env) = (args.source.clone(), args.env.clone());
            let load = tokio::task::spawn_blocking(move || super::load(&source, env.as_deref(), &scope));
            let (backend, container) = tokio::join!(Backend::open(&args.connect), load);
            (backend?, Some(container.unwrap_or_else(|e| Err(anyhow::anyhow!("reading the manifest failed: {e}")))))
        }
        None => (Backend::open(&args.connect).await?, None),
    };
    tracing::debug!(elapsed_us = started.elapsed().as_micros(), "backend open");
    if args.watch.watch && !args.dry_run {
        let container = match container {
            Some(c) => c,
            None => super::load(&args.source, args.env.as_deref(), backend.scope()),
        };
        return watch::supervise(args, backend, container, core_limit).await;
    }
    let prepared = prepare(&backend, &args, container).await;
    tracing::debug!(elapsed_us = started.elapsed().as_micros(), "secrets resolved");
    // The audit trail is written before anything else happens: `exec` leaves no process
    // behind to do it.
    let exec_follows = !args.dry_run && prepared.is_ok();
    let _store_until_exec = backend.finish(exec_follows).await;
    let prepared = prepared?;
    if args.dry_run {
        print_plan(&prepared, &args);
        return Ok(());
    }
    tracing::debug!(elapsed_us = started.elapsed().as_micros(), "exec");
    core_limit.restore();
    exec(&args.command, &prepared.env, args.pristine)
}

fn check_command(args: &RunArgs) -> Option<String> {
    let env = args.env.as_deref()?;
    let mut cmd = format!("coffer check --env {env}");
    if let Some(app) = &args.source.app {
        cmd.push_str(&format!(" --app {app}"));
    }
    if let Some(svc) = &args.source.svc {
        cmd.push_str(&format!(" --svc {svc}"));
    } else if let Some(m) = &args.source.manifest {
        cmd.push_str(&format!(" --manifest {}", m.display()));
    } else if let Some(t) = &args.source.task_def {
        cmd.push_str(&format!(" --task-def {}", t.display()));
    }
    if let Some(c) = &args.source.container {
        cmd.push_str(&format!(" --container {c}"));
    }
    Some(cmd)
}

/// `container`: already loaded (for the backend's scope), or not yet.
async fn prepare(
    backend: &Backend,
    args: &RunArgs,
    container: Option<anyhow::Result<super::Container>>,
) -> anyhow::Result<Prepared> {
    let container = match container {
        Some(c) => c?,
        None => super::load(&args.source, args.env.as_deref(), backend.scope())?,
    };
    let reader = reader_for(backend, args, &container).await?;
    resolve_environment(&reader, args, &container, &backend.scope().region, Start::First).await
}

/// Who reads the container's secrets: the environment's execution role, or the caller.
pub(super) async fn reader_for(
    backend: &Backend,
    args: &RunArgs,
    container: &super::Container,
) -> anyhow::Result<Reader> {
    match &args.env {
        Some(env) => {
            let app = container.app.as_deref().context(super::NO_APP)?;
            backend.as_role(app, env, &session_name("coffer-run", &container.workload)).await
        }
        None => Ok(backend.as_caller()),
    }
}

/// Resolves every secret of `container` as `reader` and assembles the program's environment;
/// every failure is one line of the error (which says the program cannot start, or restart).
pub(super) async fn resolve_environment(
    reader: &Reader,
    args: &RunArgs,
    container: &super::Container,
    region: &str,
    start: Start,
) -> anyhow::Result<Prepared> {
    let (requests, mut failures) = container.classify(region);
    let resolution = resolve(reader.source.clone(), &requests).await;
    failures.extend(resolution.failures.iter().cloned());
    if !failures.is_empty() {
        let program = match args.command.first() {
            Some(p) if !args.dry_run => p.as_str(),
            _ => "the program",
        };
        let mut report = format!(
            "cannot {} {program}: {} of container {} ({}) could not be read by {}:",
            if start == Start::Restart { "restart" } else { "start" },
            if failures.len() == 1 { "a secret" } else { "secrets" },
            container.name,
            container.origin,
            reader.who
        );
        for f in &failures {
            report.push_str("\n  ");
            report.push_str(f);
        }
        if resolution.access_denied || failures.iter().any(|f| copilot_tag_hint(f).is_some()) {
            report.push('\n');
            report.push_str(coffer_copilot::ecs::COPILOT_TAG_HINT);
            if let (Some(app), Some(env)) = (container.app.as_deref(), args.env.as_deref()) {
                report.push_str(&format!(
                    "\n{} may read only the secrets tagged {}={app} and {}={env}.",
                    reader.who,
                    copilot::APP_TAG,
                    copilot::ENV_TAG
                ));
            }
        }
        if let Some(check) = check_command(args) {
            report.push_str(&format!("\nRun `{check}` for the reason of each secret."));
        }
        bail!(report);
    }
    let secrets = resolution.secrets_for(&requests).context("a resolved secret went missing")?;
    let files: Vec<BTreeMap<String, String>> = container.env_files.iter().map(|f| f.vars.clone()).collect();
    let env = assemble_environment(
        &files,
        container.environment.iter().map(|kv| (kv.name.as_str(), kv.value.as_str())),
        secrets,
    );
    let secret_sources: HashMap<&str, String> =
        requests.iter().map(|r| (r.name.as_str(), describe_request(r))).collect();
    let sources = env
        .keys()
        .map(|name| {
            let source = if let Some(s) = secret_sources.get(name.as_str()) {
                s.clone()
            } else if container.environment.iter().any(|kv| kv.name == *name) {
                "variable".to_owned()
            } else {
                let file = container.env_files.iter().find(|f| f.vars.contains_key(name));
                format!("env_file:{}", file.map(|f| f.path.as_str()).unwrap_or("?"))
            };
            (name.clone(), source)
        })
        .collect();
    Ok(Prepared { env, sources, versions: resolution.versions().clone() })
}

fn print_plan(prepared: &Prepared, args: &RunArgs) {
    let width = prepared.sources.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    for (name, source) in &prepared.sources {
        ui::data(format!("{name:<width$}  {source}"));
    }
    let program = args.command.first().map_or("the program", String::as_str);
    let n = prepared.sources.len();
    let set = if args.pristine {
        format!("exactly these {n} variables")
    } else {
        format!("the current environment plus these {n} variables")
    };
    ui::info(format!("Dry run: {program} not started; its environment would be {set}."));
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `execvp`'s search: a name with a `/` as is, else the first executable in `PATH` (the
/// program's own `PATH` if the manifest sets one).
pub(super) fn find_program(program: &str, env: &BTreeMap<String, EnvValue>, pristine: bool) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = match env.get("PATH") {
        Some(p) => Some(std::ffi::OsString::from(p.expose())),
        None if pristine => None,
        None => std::env::var_os("PATH"),
    }
    .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|c| is_executable(c))
}

/// Replaces this process with `command`; returns only if that fails (and then exits).
fn exec(command: &[String], env: &BTreeMap<String, EnvValue>, pristine: bool) -> anyhow::Result<()> {
    let Some(program) = command.first() else { bail!("no program to run: pass it after `--`") };
    let Some(path) = find_program(program, env, pristine) else {
        ui::error(format!("cannot run {program}: command not found"));
        std::process::exit(127);
    };
    let mut cmd = std::process::Command::new(&path);
    cmd.arg0(program).args(&command[1..]);
    if pristine {
        cmd.env_clear();
    }
    for (name, value) in env {
        cmd.env(name, value.expose());
    }
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let err = cmd.exec();
    ui::error(format!("cannot run {program}: {err}"));
    let code = match err.kind() {
        std::io::ErrorKind::NotFound => 127,
        _ => 126,
    };
    std::process::exit(code);
}
