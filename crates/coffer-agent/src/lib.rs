//! `coffer agent`: a local caching agent for programs that read secrets at run time. It speaks
//! the HTTP protocol of the AWS Secrets Manager Agent (`/secretsmanager/get`, the `/v1/<id>`
//! path form, `/ping`) and the Parameters and Secrets Lambda Extension's parameter endpoint
//! (`/systemsmanager/parameters/get`), on `127.0.0.1` only, behind the same SSRF token rule,
//! and reads through aws-sdk-rust from Coffer or AWS itself with the agent's own credentials.
//!
//! Cached answers are served for the TTL; after it a secret is revalidated with
//! `DescribeSecret` (a version that still carries the stage asked for is kept without reading
//! the value again), and a transient upstream failure serves the value already held.

mod cache;
pub mod config;
mod http;
pub mod token;
mod upstream;

pub use config::{AgentConfig, ConfigError};
pub use upstream::{Upstream, UpstreamError};

use secrecy::SecretString;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The agent's state: configuration, token, upstream clients, cache and counters.
pub struct Agent {
    config: AgentConfig,
    token: SecretString,
    upstream: Upstream,
    cache: cache::Cache,
    permits: Semaphore,
    metrics: Metrics,
}

#[derive(Default)]
struct Metrics {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    upstream_errors: AtomicU64,
}

impl Agent {
    pub fn new(config: AgentConfig, token: SecretString, upstream: Upstream) -> Arc<Self> {
        Arc::new(Self {
            cache: cache::Cache::new(config.cache_size),
            permits: Semaphore::new(config.max_conn),
            metrics: Metrics::default(),
            config,
            token,
            upstream,
        })
    }

    /// Serves on `listener` until `shutdown` resolves (accepted sockets get IP TTL 1, so
    /// answers cannot leave the host even if the address is forwarded).
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use axum::serve::ListenerExt as _;
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_ttl(1) {
                tracing::warn!(error = %e, "cannot set IP TTL 1 on a connection");
            }
        });
        axum::serve(listener, http::router(self)).with_graceful_shutdown(shutdown).await
    }
}
