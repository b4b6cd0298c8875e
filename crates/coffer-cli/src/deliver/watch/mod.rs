//! `coffer run --watch`: instead of `exec`ing, `coffer` starts the program and stays as its
//! parent — a small supervisor that follows new versions of the program's secrets.
//!
//! Two halves, so neither waits for the other: the supervisor loop here owns the program
//! (forwards signals, passes its exit status on, restarts or signals it), and a
//! [`Watcher`] task owns the backend and looks for new versions every interval, as the
//! identity that resolved the secrets. Values exist only while an environment is resolved and
//! handed to the new program; nothing here prints one.

mod args;
mod program;
mod watcher;

pub use args::{EXIT_ON_CHANGE, WatchArgs};

use super::run::{RunArgs, Start, reader_for, resolve_environment};
use super::{Backend, Container};
use crate::harden::CoreLimit;
use crate::ui;
use anyhow::Context as _;
use program::{Program, Signals, exit_code};
use std::io::Write as _;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use watcher::{Update, Watcher};

/// How long the watcher may take, after the program ended, to write its last audit events.
const WATCHER_GRACE: Duration = Duration::from_secs(10);

/// Resolves, starts the program, supervises it; exits this process with the program's status
/// (or [`EXIT_ON_CHANGE`]). Returns only when the program could not be started for want of
/// its secrets (the error says why).
pub async fn supervise(
    args: RunArgs,
    backend: Backend,
    container: anyhow::Result<Container>,
    core: CoreLimit,
) -> anyhow::Result<()> {
    let started = async {
        let container = container?;
        let reader = reader_for(&backend, &args, &container).await?;
        let prepared = resolve_environment(&reader, &args, &container, &backend.scope().region, Start::First).await;
        // Written before the program starts, as for an `exec`.
        backend.flush_audit().await;
        anyhow::Ok((container, reader, prepared?))
    }
    .await;
    let (container, reader, prepared) = match started {
        Ok(s) => s,
        Err(e) => {
            backend.finish(false).await;
            return Err(e);
        }
    };
    let settings = args.watch.clone();
    let (command, pristine) = (args.command.clone(), args.pristine);
    let mut signals = match Signals::install().context("cannot catch signals to forward them") {
        Ok(s) => s,
        Err(e) => {
            backend.finish(false).await;
            return Err(e);
        }
    };
    let mut program = match Program::spawn(&command, &prepared.env, pristine, &core) {
        Ok(p) => p,
        Err(e) => {
            backend.finish(false).await;
            ui::error(e.message);
            exit(e.code);
        }
    };
    let running = prepared.versions.clone();
    drop(prepared);
    let (updates_tx, mut updates) = mpsc::channel(1);
    let (stop_watcher, stop_rx) = oneshot::channel();
    let watcher = tokio::spawn(Watcher::new(args, backend, container, reader, running).run(updates_tx, stop_rx));

    let code = loop {
        tokio::select! {
            status = program.wait() => break exit_code(status),
            signal = signals.recv() => program.signal(signal),
            Some(update) = updates.recv() => match update {
                Update::Restart { prepared, changed } => {
                    ui::info(format!("{}: restarting {}.", new_versions(&changed), program.name));
                    let (status, asked_to_end) = program.stop(settings.stop_timeout, &mut signals).await;
                    if asked_to_end {
                        break exit_code(status);
                    }
                    program = match Program::spawn(&command, &prepared.env, pristine, &core) {
                        Ok(p) => p,
                        Err(e) => {
                            ui::error(e.message);
                            break e.code;
                        }
                    };
                }
                Update::Signal { signal, changed } => {
                    ui::info(format!("{}: sending {signal} to {}.", new_versions(&changed), program.name));
                    program.signal(signal);
                }
                Update::Exit { changed } => {
                    ui::info(format!(
                        "{}: stopping {} and exiting with status {EXIT_ON_CHANGE}.",
                        new_versions(&changed),
                        program.name
                    ));
                    let (status, asked_to_end) = program.stop(settings.stop_timeout, &mut signals).await;
                    // Told to end meanwhile: the outer supervisor is not to start it again.
                    break if asked_to_end { exit_code(status) } else { EXIT_ON_CHANGE };
                }
            },
        }
    };
    let _ = stop_watcher.send(());
    if tokio::time::timeout(WATCHER_GRACE, watcher).await.is_err() {
        tracing::warn!("the secret watcher did not finish in time; its last audit events may be lost");
    }
    exit(code)
}

/// `DB_PASSWORD has a new version` / `A and B have new versions`.
fn new_versions(variables: &[String]) -> String {
    match variables {
        [one] => format!("{one} has a new version"),
        many => format!("{} have new versions", ui::word_series(many, "and")),
    }
}

fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}
