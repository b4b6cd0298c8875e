//! Coffer's HTTP edge: one port for every service (AWS JSON 1.1 routed by `X-Amz-Target`,
//! AWS Query routed by the SigV4 scope), SigV4 authentication, audit, `/health`, a request
//! body limit, and graceful shutdown.

mod auth;
mod handler;
mod listen;
pub mod sigv4;
mod throttle;
pub mod tls;

pub use listen::{Limits, Peer};

use axum::Router;
use axum::routing::{get, post};
use coffer_services::Services;
use coffer_services::audit::Auditor;
use coffer_store::Store;
use coffer_store::credentials::RootCredentials;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Largest request body accepted (AWS's own limits are far lower for these services).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub account_id: String,
    /// Region recorded for requests that fail before a credential scope is known.
    pub default_region: String,
    pub limits: Limits,
}

pub(crate) struct AppState {
    pub services: Services,
    pub store: Store,
    pub config: ServerConfig,
    pub auth: auth::Authenticator,
    pub auditor: Auditor,
    pub throttle: Option<throttle::Throttle>,
}

/// The routes; each request must carry a [`Peer`] extension (the accept loop adds it).
pub fn router(store: Store, config: ServerConfig, root: &RootCredentials, auditor: Auditor) -> Router {
    let auth = auth::Authenticator::new(store.clone(), root, &config.account_id);
    let throttle = config.limits.rate_per_key.map(throttle::Throttle::new);
    let state = Arc::new(AppState { services: Services::new(store.clone()), store, config, auth, auditor, throttle });
    Router::new().route("/", post(handler::handle)).route("/health", get(handler::health)).with_state(state)
}

/// Serves (over TLS with `tls`) until `shutdown` resolves, then stops accepting, lets
/// in-flight requests finish, flushes the audit trail and closes the store.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tls::TlsAcceptor>,
    store: Store,
    config: ServerConfig,
    root: &RootCredentials,
    auditor: Auditor,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = config.limits.clone();
    let app = router(store.clone(), config, root, auditor.clone());
    let result = listen::serve(listener, app, &limits, tls, shutdown).await;
    auditor.flush_and_stop().await;
    store.close().await;
    result
}
