//! Coffer's HTTP edge: one port for every service, AWS JSON 1.1 framing with
//! `X-Amz-Target` routing, `/health`, a request body limit, and graceful shutdown.

mod aws_json;
mod credential_scope;

use axum::Router;
use axum::routing::{get, post};
use coffer_api::Services;
use coffer_store::Store;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Largest request body accepted (AWS's own limits are far lower for these services).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub account_id: String,
    /// Region used when a request carries no credential scope.
    pub default_region: String,
}

pub(crate) struct AppState {
    pub services: Services,
    pub store: Store,
    pub config: ServerConfig,
}

pub fn router(store: Store, config: ServerConfig) -> Router {
    let state = Arc::new(AppState { services: Services::new(store.clone()), store, config });
    Router::new().route("/", post(aws_json::handle)).route("/health", get(aws_json::health)).with_state(state)
}

/// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish,
/// and closes the store.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(store.clone(), config);
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    store.close().await;
    result
}
