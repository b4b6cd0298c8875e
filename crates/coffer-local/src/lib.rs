//! The client traits of `coffer-client` implemented in-process: Coffer's services called on
//! the local store — [`EmbeddedBackend`] as the account root for the Copilot workflow,
//! [`EmbeddedSource`] as the root or a role for `coffer run` — each call authorized and audited
//! as `coffer serve` authorizes and audits a request.

mod backend;
mod source;

pub use backend::EmbeddedBackend;
pub use source::{AssumeError, EmbeddedSource};

use coffer_aws::AwsError;
use coffer_client::ClientError;

/// A service's error answer as a client sees it (in-process calls have no HTTP status of
/// their own: the one the server would send).
fn service_error(err: AwsError, request_id: String) -> ClientError {
    ClientError::Service {
        status: err.status,
        request_id,
        code: err.code.into_owned(),
        message: err.message.unwrap_or_default(),
    }
}
