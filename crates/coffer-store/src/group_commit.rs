//! SQLite write transactions that share their commit.
//!
//! Every write is durable before it is acknowledged (`synchronous = FULL`), and SQLite has one
//! writer, so one commit — one WAL fsync, about half a millisecond on this kind of disk — per
//! write would cap a server at about two thousand writes a second, shared with its audit trail.
//! Instead, writers queue for the writer connection, and each runs as a savepoint inside one
//! outer transaction (`BEGIN IMMEDIATE`): a writer that finishes releases its savepoint and
//! waits; the last one of the queue (or the [`MAX_GROUP`]th) commits the outer transaction, one
//! fsync for all, and every member learns the outcome. A writer that fails or is dropped rolls
//! back to its savepoint, leaving the others' changes alone. A member's `commit` returns only
//! once the group's COMMIT did: nothing is acknowledged before it is on disk.

use crate::error::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// Members one commit covers at most, so a steady stream of writers still commits regularly.
pub(crate) const MAX_GROUP: usize = 64;

/// What one member learns of its group's commit.
type Outcome = Result<(), String>;

/// The writer connection, while a group's outer transaction is open on it.
struct Open {
    conn: PoolConnection<Any>,
    /// Members that released their savepoint and wait for the commit.
    members: Vec<oneshot::Sender<Outcome>>,
}

/// Shared by every clone of a SQLite store.
#[derive(Default)]
pub(crate) struct GroupCommit {
    open: Arc<Mutex<Option<Open>>>,
    /// Writers waiting for the connection: while there are any, a leaving member leaves the
    /// commit to them.
    waiting: AtomicUsize,
}

/// One member's hold on the writer connection, inside its savepoint.
pub(crate) struct Member {
    group: Arc<GroupCommit>,
    guard: Option<OwnedMutexGuard<Option<Open>>>,
}

impl GroupCommit {
    /// Waits for the writer connection, opens a group if none is, and starts a savepoint.
    pub(crate) async fn join(self: &Arc<Self>, writer: &AnyPool) -> Result<Member, StoreError> {
        // On a task of its own, as is every change to the group's state: a caller that gives
        // up half-way (a client hanging up) cannot leave a group half-opened or its waiting
        // count wrong. A member the caller no longer wants is dropped, which rolls it back.
        let (group, writer) = (self.clone(), writer.clone());
        tokio::spawn(async move { group.join_now(&writer).await }).await.map_err(task_failed)?
    }

    async fn join_now(self: Arc<Self>, writer: &AnyPool) -> Result<Member, StoreError> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let mut guard = self.open.clone().lock_owned().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        if guard.is_none() {
            let mut conn = writer.acquire().await?;
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await?;
            *guard = Some(Open { conn, members: Vec::new() });
        }
        let mut member = Member { group: self, guard: Some(guard) };
        if let Err(e) = sqlx::raw_sql("SAVEPOINT member").execute(&mut *member).await {
            member.leave(false).await;
            return Err(e.into());
        }
        Ok(member)
    }
}

impl Member {
    /// Releases the savepoint and waits until the group's commit is on disk.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let (told, outcome) = oneshot::channel();
        let mut member = Member { group: self.group.clone(), guard: self.guard.take() };
        tokio::spawn(async move {
            match sqlx::raw_sql("RELEASE member").execute(&mut *member).await {
                Ok(_) => {
                    if let Some(open) = member.guard.as_mut().and_then(|g| g.as_mut()) {
                        open.members.push(told);
                    }
                    member.leave(false).await;
                }
                Err(e) => {
                    let _ = told.send(Err(format!("cannot end the write: {e}")));
                    member.leave(true).await;
                }
            }
        });
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Commit(e)),
            Err(_) => Err(StoreError::Commit("the group's commit was abandoned".to_owned())),
        }
    }

    /// Gives the connection up: to the next waiting writer, or — when none waits, or the
    /// group is full — by committing the group. `roll_back` first undoes this member's
    /// savepoint.
    async fn leave(&mut self, roll_back: bool) {
        let Some(mut guard) = self.guard.take() else { return };
        let Some(open) = guard.as_mut() else { return };
        if roll_back {
            let undone = sqlx::raw_sql("ROLLBACK TO member; RELEASE member").execute(&mut *open.conn).await;
            if let Err(e) = undone {
                // The outer transaction is in an unknown state: end it, and the group with it.
                tracing::error!(error = %e, "cannot roll back a write; abandoning its group");
                let open = guard.take().expect("the group is open");
                abandon(open, format!("a write in the same commit could not be rolled back: {e}")).await;
                return;
            }
        }
        let full = open.members.len() >= MAX_GROUP;
        if !full && self.group.waiting.load(Ordering::Acquire) > 0 {
            return; // the next member commits, or hands on
        }
        let mut open = guard.take().expect("the group is open");
        let outcome = sqlx::raw_sql("COMMIT").execute(&mut *open.conn).await;
        match outcome {
            Ok(_) => {
                for member in open.members {
                    let _ = member.send(Ok(()));
                }
            }
            Err(e) => abandon(open, format!("commit failed: {e}")).await,
        }
    }
}

fn task_failed(e: tokio::task::JoinError) -> StoreError {
    StoreError::Commit(format!("joining a write group failed: {e}"))
}

/// Rolls a group back and tells its members why; the connection is closed rather than reused.
async fn abandon(mut open: Open, why: String) {
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *open.conn).await;
    open.conn.close_on_drop();
    for member in open.members {
        let _ = member.send(Err(why.clone()));
    }
}

impl Drop for Member {
    /// A member dropped without `commit` (an error on its way): its savepoint is rolled back
    /// and the connection handed on, on a task of its own (dropping cannot wait).
    fn drop(&mut self) {
        if self.guard.is_none() {
            return;
        }
        let mut member = Member { group: self.group.clone(), guard: self.guard.take() };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { member.leave(true).await });
            }
            Err(_) => tracing::error!("a write was dropped outside a runtime; its group cannot finish"),
        }
    }
}

impl Deref for Member {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        let open = self.guard.as_ref().and_then(|g| g.as_ref()).expect("a member holds the open group");
        &open.conn
    }
}

impl DerefMut for Member {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        let open = self.guard.as_mut().and_then(|g| g.as_mut()).expect("a member holds the open group");
        &mut open.conn
    }
}
