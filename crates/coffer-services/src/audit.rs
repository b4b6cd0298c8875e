//! Audit delivery: requests hand their event to an [`Auditor`], which appends batches to the
//! store's hash chain (and optionally writes JSON lines) from a background task, so a read
//! never waits for an audit fsync. The queue is bounded: when the writer falls behind (or the
//! database is down), requests wait for room instead of memory growing or events being
//! dropped. Shutdown flushes what is queued.

use coffer_store::Store;
use coffer_store::audit::{AuditEvent, Durability};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Events one append writes at most.
const BATCH: usize = 256;
/// Events waiting for the writer at most: several batches, so requests wait only when the
/// writer cannot keep up for a while.
const QUEUE: usize = 16 * BATCH;
/// The longest wait between attempts to append a batch the database refused.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

/// Where JSON lines go besides the store.
pub enum AuditLines {
    None,
    Stdout,
    File(std::fs::File),
}

#[derive(Clone, Debug)]
pub struct Auditor {
    tx: mpsc::Sender<AuditEvent>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Auditor {
    pub fn start(store: Store, lines: AuditLines) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(store, lines, rx));
        Self { tx, task: Arc::new(Mutex::new(Some(task))) }
    }

    /// Queues `event`, waiting for room while the queue is full.
    pub async fn record(&self, event: AuditEvent) {
        if self.tx.send(event).await.is_err() {
            tracing::error!("audit writer has stopped; event dropped");
        }
    }

    /// Stops accepting events and waits until every queued one is written.
    pub async fn flush_and_stop(self) {
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        drop(self.tx);
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn run(store: Store, mut lines: AuditLines, mut rx: mpsc::Receiver<AuditEvent>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        for event in &batch {
            let line = serde_json::to_string(event).unwrap_or_default();
            let written = match &mut lines {
                AuditLines::None => Ok(()),
                AuditLines::Stdout => writeln!(std::io::stdout().lock(), "{line}"),
                AuditLines::File(f) => writeln!(f, "{line}"),
            };
            if let Err(e) = written {
                tracing::error!(error = %e, "cannot write audit line");
            }
        }
        // Until it is written: the trail loses nothing to a database that is down for a while
        // (meanwhile the queue fills and requests wait).
        let mut wait = Duration::from_millis(100);
        while let Err(e) = store.audit_append(&batch, Durability::Synced).await {
            tracing::error!(error = %e, events = batch.len(), "audit append failed; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_RETRY_WAIT);
        }
        batch.clear();
    }
}
