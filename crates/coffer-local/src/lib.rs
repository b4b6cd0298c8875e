//! The client traits of `coffer-client` implemented in-process: Coffer's services called on
//! the local store — [`EmbeddedBackend`] as the account root for the Copilot workflow,
//! [`EmbeddedSource`] as the root or a role for `coffer run` — each call authorized and audited
//! as `coffer serve` authorizes and audits a request.

mod backend;
mod source;

pub use backend::EmbeddedBackend;
pub use source::{AssumeError, EmbeddedSource};

use coffer_client::ClientError;
use coffer_services::OpResult;
use coffer_services::invoke::{Invocation, Origin};
use coffer_store::audit::AuditEvent;

/// Ends an in-process call: its audit event, and its result as a client sees it (an error
/// carries the HTTP status the server would have sent).
fn complete<T>(call: Invocation, origin: &Origin, result: OpResult<T>) -> (Result<T, ClientError>, AuditEvent) {
    let request_id = call.ctx().request_id.clone();
    let (result, event) = call.finish(origin, result);
    let result = result.map_err(|err| ClientError::Service {
        status: err.status,
        request_id,
        code: err.code.into_owned(),
        message: err.message.unwrap_or_default(),
    });
    (result, event)
}
