//! Rotation that really rotates: the runner `coffer serve` starts beside its HTTP server.
//!
//! RotateSecret and the schedule only record a rotation on the secret's row (see
//! `coffer_services::secretsmanager::rotate`); the runner finds them and runs the function's
//! four steps, as Secrets Manager invokes a rotation Lambda:
//!
//! - **Schedules**: every tick, secrets whose `NextRotationDate` has come start a rotation
//!   (`start_scheduled_rotation`, under the secret's row lock: of many servers, one starts it).
//! - **Rotations**: a server claims one at a time for a lease (a conditional update in the
//!   database, so exactly one server runs it) and runs the steps. Every step is one
//!   invocation ([`invoke`]) with AWS's event; the function acts as its role, with temporary
//!   credentials of that role and nothing of the server's own.
//! - **Results**: success records `LastRotatedDate` and the next window; a failed step leaves
//!   every label as it is and is retried with exponential backoff, then given up; each
//!   invocation is an audit record and a failure is logged with its reason.
//!
//! Time comes from a [`Clock`], so tests move it instead of waiting for a schedule.

mod clock;
mod invoke;
mod job;
mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use invoke::Endpoint;

use coffer_services::{RequestContext, Services};
use coffer_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How the runner paces itself.
#[derive(Clone, Debug)]
pub struct Options {
    /// How often it looks for due schedules and rotations.
    pub poll: Duration,
    /// How long a claimed rotation stays this server's (longer than four step timeouts).
    pub lease: Duration,
    /// The wait before the first retry; each further retry waits twice as long.
    pub first_retry: Duration,
    /// Attempts of one rotation before it is given up.
    pub max_attempts: i64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(15 * 60),
            first_retry: Duration::from_secs(60),
            max_attempts: 5,
        }
    }
}

/// Runs rotations for one server.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    services: Arc<Services>,
    endpoint: Endpoint,
    options: Options,
    clock: Arc<dyn Clock>,
    /// Who the audit records name as the caller of each invocation.
    node: String,
}

impl Runner {
    pub fn new(store: Store, endpoint: Endpoint, options: Options, clock: Arc<dyn Clock>) -> Self {
        let services = Arc::new(Services::new(store.clone()));
        Self { store, services, endpoint, options, clock, node: format!("coffer-rotation/{}", uuid::Uuid::new_v4()) }
    }

    /// Ticks forever (until the task is dropped: a rotation cut short is retried when its
    /// lease runs out).
    pub async fn run(self) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "rotation runner: tick failed");
            }
            tokio::time::sleep(self.options.poll).await;
        }
    }

    /// Starts what the schedules say is due, then runs every rotation it can claim.
    /// Returns how many rotation attempts it ran.
    pub async fn tick(&self) -> Result<usize, coffer_store::StoreError> {
        let now = self.clock.now();
        for (scope, name) in self.store.sm_due_rotations(now).await? {
            let ctx = RequestContext::root(scope, uuid::Uuid::new_v4().to_string());
            match self.services.secrets_manager.start_scheduled_rotation(&ctx, &name, now).await {
                Ok(true) => tracing::info!(secret = %name, region = %ctx.scope.region, "scheduled rotation started"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(secret = %name, error = %e.into_aws(coffer_services::Service::SecretsManager), "scheduled rotation could not start")
                }
            }
        }
        let lease = i64::try_from(self.options.lease.as_millis()).unwrap_or(i64::MAX);
        let mut ran = 0;
        while let Some(claimed) = self.store.sm_claim_rotation(self.clock.now(), lease).await? {
            job::run(self, claimed).await?;
            ran += 1;
        }
        Ok(ran)
    }
}
