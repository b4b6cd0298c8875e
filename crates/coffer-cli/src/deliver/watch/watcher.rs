//! The checking half of `--watch`: a task that, every interval, asks which version each
//! reference names ([`VersionWatch`]) as the identity that resolved them, and tells the
//! supervisor when they changed — with the new environment already resolved for a restart.
//!
//! It owns the backend, so the embedded store stays open (and its audit trail is written
//! after every look) for as long as the program is supervised.

use super::args::{NamedSignal, OnChange, WatchArgs};
use crate::deliver::run::{Prepared, RunArgs, Start, reader_for, resolve_environment};
use crate::deliver::{Backend, Container, Reader};
use crate::{copilot, ui};
use coffer_client::{VersionWatch, Versions};
use coffer_copilot::ecs::SecretRequest;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Assumed-role credentials last an hour by default; taking the role again well before keeps
/// the checks authorized (and, embedded, picks up changed role policies).
const REFRESH_READER: Duration = Duration::from_secs(15 * 60);

/// A change is acted on once two looks this far apart (at most) agree, so a rotation's
/// several writes (a pending version, then the label move) make one restart.
const SETTLE: Duration = Duration::from_secs(2);

/// After this many looks that still disagree, the change is acted on anyway.
const MAX_SETTLE_LOOKS: usize = 5;

/// What the supervisor is to do.
pub enum Update {
    /// Restart the program with this environment.
    Restart { prepared: Prepared, changed: Vec<String> },
    /// Send the program this signal.
    Signal { signal: NamedSignal, changed: Vec<String> },
    /// Stop the program and exit.
    Exit { changed: Vec<String> },
}

pub struct Watcher {
    args: RunArgs,
    backend: Backend,
    container: Container,
    requests: Vec<SecretRequest>,
    reader: Reader,
    reader_since: Instant,
    versions: VersionWatch,
    /// The versions the running program was started with.
    running: Versions,
    /// The failure last reported, so one lasting failure is reported once.
    reported: Option<Reported>,
}

/// A failure reported, without request ids (which differ at every call).
#[derive(PartialEq, Eq)]
enum Reported {
    /// The version check could not read every reference.
    Unreadable(String),
    /// The references were readable, but resolving them for a restart failed (e.g. a new
    /// version lacks a JSON key).
    Unresolvable(String),
}

impl Watcher {
    pub fn new(args: RunArgs, backend: Backend, container: Container, reader: Reader, running: Versions) -> Self {
        let (requests, _) = container.classify(&backend.scope().region);
        Self {
            args,
            backend,
            container,
            requests,
            reader,
            reader_since: Instant::now(),
            versions: VersionWatch::new(),
            running,
            reported: None,
        }
    }

    fn settings(&self) -> &WatchArgs {
        &self.args.watch
    }

    fn program(&self) -> &str {
        self.args.command.first().map_or("the program", String::as_str)
    }

    /// Checks until `stop` fires, then writes the last audit events and closes the backend.
    pub async fn run(mut self, updates: mpsc::Sender<Update>, mut stop: oneshot::Receiver<()>) {
        loop {
            tokio::select! {
                _ = &mut stop => break,
                sent = self.step(&updates) => if !sent { break },
            }
        }
        self.backend.finish(false).await;
    }

    /// One interval: waits, looks, and acts on a settled change. `false` when the
    /// supervisor is gone.
    async fn step(&mut self, updates: &mpsc::Sender<Update>) -> bool {
        tokio::time::sleep(self.settings().interval).await;
        let Some(mut seen) = self.look().await else { return true };
        if self.running.changed_in(&seen).is_empty() {
            // A version that could not be resolved is gone again (its label moved back).
            if matches!(self.reported, Some(Reported::Unresolvable(_))) {
                self.reported = None;
            }
            return true;
        }
        let settle = SETTLE.min(self.settings().interval);
        for _ in 0..MAX_SETTLE_LOOKS {
            tokio::time::sleep(settle).await;
            let Some(again) = self.look().await else { return true };
            let settled = again == seen;
            seen = again;
            if settled {
                break;
            }
        }
        let changed = self.variables(&self.running.changed_in(&seen));
        if changed.is_empty() {
            // Changed back while settling.
            return true;
        }
        let update = match self.settings().on_change {
            OnChange::Restart => {
                let region = self.backend.scope().region.clone();
                let prepared =
                    resolve_environment(&self.reader, &self.args, &self.container, &region, Start::Restart).await;
                self.backend.flush_audit().await;
                match prepared {
                    Ok(p) if p.versions == self.running => return true,
                    Ok(prepared) => {
                        self.reported = None;
                        self.running = prepared.versions.clone();
                        Update::Restart { prepared, changed }
                    }
                    Err(e) => {
                        let text = format!("{e:#}\n{} keeps running with the values it has.", self.program());
                        self.say_once(text, Reported::Unresolvable);
                        return true;
                    }
                }
            }
            OnChange::Signal(signal) => {
                self.running = seen;
                Update::Signal { signal, changed }
            }
            OnChange::Exit => {
                self.running = seen;
                Update::Exit { changed }
            }
        };
        updates.send(update).await.is_ok()
    }

    /// The versions every reference names now; `None` (the reasons reported, once) when
    /// some cannot be read.
    async fn look(&mut self) -> Option<Versions> {
        if self.reader_since.elapsed() >= REFRESH_READER {
            match reader_for(&self.backend, &self.args, &self.container).await {
                Ok(reader) => {
                    self.reader = reader;
                    self.reader_since = Instant::now();
                }
                Err(e) => {
                    self.report(vec![format!("{e:#}")], false);
                    return None;
                }
            }
        }
        let check = self.versions.check(self.reader.source.clone(), &self.requests).await;
        self.backend.flush_audit().await;
        if check.failures.is_empty() {
            if matches!(self.reported, Some(Reported::Unreadable(_))) {
                self.reported = None;
                ui::info(format!(
                    "Every secret of container {} can be read by {} again.",
                    self.container.name, self.reader.who
                ));
            }
            return Some(check.versions);
        }
        self.report(check.failures, check.access_denied);
        None
    }

    /// Says why secrets cannot be checked, unless it said so last time.
    fn report(&mut self, failures: Vec<String>, access_denied: bool) {
        let mut text = format!(
            "cannot check the secrets of container {} ({}) for new versions as {}; {} keeps running with the values it has:",
            self.container.name,
            self.container.origin,
            self.reader.who,
            self.program()
        );
        for f in &failures {
            text.push_str("\n  ");
            text.push_str(f);
        }
        if access_denied {
            text.push('\n');
            text.push_str(coffer_copilot::ecs::COPILOT_TAG_HINT);
            if let (Some(app), Some(env)) = (self.container.app.as_deref(), self.args.env.as_deref()) {
                text.push_str(&format!(
                    "\n{} may read only the secrets tagged {}={app} and {}={env}.",
                    self.reader.who,
                    copilot::APP_TAG,
                    copilot::ENV_TAG
                ));
            }
        }
        self.say_once(text, Reported::Unreadable);
    }

    /// Prints a failure, unless it is the one printed last.
    fn say_once(&mut self, failure: String, kind: fn(String) -> Reported) {
        let same = kind(without_request_id(&failure));
        if self.reported.as_ref() != Some(&same) {
            ui::error(failure);
            self.reported = Some(same);
        }
    }

    /// The program's variables that take their value from these references.
    fn variables(&self, value_froms: &[String]) -> Vec<String> {
        let mut names: Vec<String> =
            self.requests.iter().filter(|r| value_froms.contains(&r.value_from)).map(|r| r.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A failure without its `RequestID: …, ` (the SDK's wording), which differs at every call.
fn without_request_id(failure: &str) -> String {
    static REQUEST_ID: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"RequestID: [^,]*, ").expect("a valid pattern"));
    REQUEST_ID.replace_all(failure, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_do_not_make_a_new_failure() {
        let a = "fetching secret data from SSM Parameter Store in us-east-1: operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: 1b2c, api error AccessDeniedException: no";
        let b = a.replace("1b2c", "9f8e");
        assert_eq!(without_request_id(a), without_request_id(&b));
        assert!(!without_request_id(a).contains("1b2c"));
    }
}
