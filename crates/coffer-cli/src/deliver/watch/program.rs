//! The supervised program: started, signalled, stopped gracefully; and the signals `coffer`
//! receives, to pass on.

use super::args::{FORWARDED, NamedSignal};
use crate::deliver::run::find_program;
use crate::harden::CoreLimit;
use crate::ui;
use coffer_copilot::ecs::env::EnvValue;
use rustix::process::{Pid, kill_process};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;
use std::time::Duration;
use tokio::sync::mpsc;

/// Why the program could not be started, with the exit status `exec` would have given.
pub struct SpawnError {
    pub code: i32,
    pub message: String,
}

/// A running program.
pub struct Program {
    child: tokio::process::Child,
    /// The program's name, for messages.
    pub name: String,
}

impl Program {
    /// Starts `command` with `env` (added to this process's environment, or alone when
    /// `pristine`), found as `execvp` finds it; stdin, stdout and stderr are shared.
    pub fn spawn(
        command: &[String],
        env: &BTreeMap<String, EnvValue>,
        pristine: bool,
        core: &CoreLimit,
    ) -> Result<Self, SpawnError> {
        let Some(name) = command.first() else {
            return Err(SpawnError { code: 1, message: "no program to run: pass it after `--`".to_owned() });
        };
        let Some(path) = find_program(name, env, pristine) else {
            return Err(SpawnError { code: 127, message: format!("cannot run {name}: command not found") });
        };
        let mut cmd = tokio::process::Command::new(&path);
        cmd.arg0(name).args(&command[1..]);
        if pristine {
            cmd.env_clear();
        }
        for (k, v) in env {
            cmd.env(k, v.expose());
        }
        // The program stays in coffer's process group, so it keeps the terminal (reads stdin,
        // job control) as it would after an `exec`. The price: a Ctrl-C at a terminal reaches
        // it directly and is forwarded too, so it may see SIGINT twice (once when the second
        // arrives while the first is pending).
        let spawned = core.lifted_for(|| cmd.spawn());
        // The environment, values included, stays in `cmd` until it is dropped here.
        drop(cmd);
        match spawned {
            Ok(child) => Ok(Self { child, name: name.clone() }),
            Err(e) => {
                let code = if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
                Err(SpawnError { code, message: format!("cannot run {name}: {e}") })
            }
        }
    }

    /// Sends `signal`, unless the program has been waited for already (its PID may be
    /// another process's by now).
    pub fn signal(&self, signal: NamedSignal) {
        let Some(pid) = self.child.id().and_then(|id| i32::try_from(id).ok()).and_then(Pid::from_raw) else {
            return;
        };
        if let Err(e) = kill_process(pid, signal.signal) {
            tracing::debug!(error = %e, %signal, "cannot signal the program");
        }
    }

    /// Waits for the program to end.
    pub async fn wait(&mut self) -> ExitStatus {
        match self.child.wait().await {
            Ok(status) => status,
            Err(e) => {
                // Only if the child was taken away from us: report it as a failure.
                ui::error(format!("cannot wait for {}: {e}", self.name));
                ExitStatus::from_raw(1 << 8)
            }
        }
    }

    /// SIGTERM, then up to `timeout` for the program to end (signals received meanwhile are
    /// forwarded), then SIGKILL. Returns how it ended, and whether a signal asking to end
    /// ([`NamedSignal::ends`]) arrived meanwhile.
    pub async fn stop(&mut self, timeout: Duration, signals: &mut Signals) -> (ExitStatus, bool) {
        self.signal(NamedSignal::TERM);
        let mut asked_to_end = false;
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut killed = false;
        loop {
            tokio::select! {
                status = self.wait() => return (status, asked_to_end),
                signal = signals.recv() => {
                    asked_to_end |= signal.ends();
                    self.signal(signal);
                }
                () = &mut deadline, if !killed => {
                    ui::warning(format!("{} did not end within {timeout:?} of SIGTERM: sending SIGKILL", self.name));
                    if let Err(e) = self.child.start_kill() {
                        tracing::debug!(error = %e, "cannot kill the program");
                    }
                    killed = true;
                }
            }
        }
    }
}

/// The status `coffer` exits with for the program's: its exit code, or 128+N when signal N
/// ended it (the shell's convention).
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}

/// The signals `coffer` receives that are the program's ([`FORWARDED`]), as they arrive.
pub struct Signals {
    received: mpsc::UnboundedReceiver<NamedSignal>,
}

impl Signals {
    /// Catches every signal of [`FORWARDED`] from now on. Install it before the program
    /// starts, so none sent in between ends `coffer` instead.
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, received) = mpsc::unbounded_channel();
        for named in FORWARDED {
            let mut stream = signal(SignalKind::from_raw(named.signal.as_raw()))?;
            let tx = tx.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if tx.send(named).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Self { received })
    }

    /// The next signal received.
    pub async fn recv(&mut self) -> NamedSignal {
        match self.received.recv().await {
            Some(s) => s,
            // The catching tasks never end while the runtime runs.
            None => std::future::pending().await,
        }
    }
}
