//! Audit delivery: requests hand their event to an [`Auditor`], which appends batches to the
//! store's hash chain (and optionally writes JSON lines) from a background task, so a read
//! never waits for an audit fsync. Shutdown flushes what is queued.

use coffer_store::Store;
use coffer_store::audit::{AuditEvent, Durability};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const BATCH: usize = 256;

/// Where JSON lines go besides the store.
pub enum AuditLines {
    None,
    Stdout,
    File(std::fs::File),
}

#[derive(Clone, Debug)]
pub struct Auditor {
    tx: mpsc::UnboundedSender<AuditEvent>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Auditor {
    pub fn start(store: Store, lines: AuditLines) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(store, lines, rx));
        Self { tx, task: Arc::new(Mutex::new(Some(task))) }
    }

    pub fn record(&self, event: AuditEvent) {
        if self.tx.send(event).is_err() {
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

async fn run(store: Store, mut lines: AuditLines, mut rx: mpsc::UnboundedReceiver<AuditEvent>) {
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
        // Retry once: a transient database error should not lose the trail.
        for attempt in 0..2 {
            match store.audit_append(&batch, Durability::Synced).await {
                Ok(()) => break,
                Err(e) if attempt == 0 => tracing::warn!(error = %e, "audit append failed; retrying"),
                Err(e) => tracing::error!(error = %e, events = batch.len(), "audit append failed; events lost"),
            }
        }
        batch.clear();
    }
}
