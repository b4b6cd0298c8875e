//! Coffer's AWS services as typed async operations over the store: SSM Parameter Store,
//! Secrets Manager, IAM and STS, with their input and output shapes in the service's AWS
//! protocol (JSON 1.1 or Query), authorization by IAM policies, and the audit record of every
//! call. No HTTP: framing, SigV4 and error bodies live in `coffer-server`.
//!
//! Each service is a struct with one method per AWS operation, taking a [`RequestContext`]
//! and the operation's input shape and returning its output shape or an [`AwsError`]. The
//! [`operation`] registry names every operation once; [`Services::call`] decodes a request
//! body for one and dispatches it; [`invoke::Invocation`] wraps a call, however it arrives,
//! and produces its audit event.
//!
//! Every operation first checks its input against the service model's constraints
//! ([`constraints`]: every violation in one validation error), then authorizes (through
//! [`RequestContext::authorize`]) and checks what the request means, in the order AWS does,
//! then touches the store.

pub mod audit;
pub mod authz;
pub mod constraints;
pub mod context;
pub mod error;
pub mod iam;
pub mod invoke;
pub mod json;
pub mod operation;
pub mod pagination;
pub mod query;
pub mod secretsmanager;
pub mod ssm;
pub mod sts;
mod tag_text;

pub use coffer_aws::AwsError;
pub use coffer_policy::Denial;
pub use context::{Authorizer, Principal, RequestContext, RequestFacts, RequestTags, ResourceFacts, RootAuthorizer};
pub use error::{OpError, OpResult};
pub use operation::{Operation, Service};

use coffer_store::Store;

/// All services over one store.
#[derive(Clone, Debug)]
pub struct Services {
    pub ssm: ssm::Ssm,
    pub secrets_manager: secretsmanager::SecretsManager,
    pub iam: iam::Iam,
    pub sts: sts::Sts,
}

impl Services {
    pub fn new(store: Store) -> Self {
        Self {
            ssm: ssm::Ssm::new(store.clone()),
            secrets_manager: secretsmanager::SecretsManager::new(store.clone()),
            iam: iam::Iam::new(store.clone()),
            sts: sts::Sts::new(store),
        }
    }

    /// Runs `op` on a request body in its service's protocol (a JSON document for SSM and
    /// Secrets Manager, form parameters for IAM and STS) and returns the response body.
    pub async fn call(&self, op: Operation, ctx: &RequestContext, body: &[u8]) -> OpResult<Vec<u8>> {
        match op {
            Operation::Ssm(op) => self.ssm.call(op, ctx, body).await,
            Operation::SecretsManager(op) => self.secrets_manager.call(op, ctx, body).await,
            Operation::Iam(op) => Ok(self.iam.call(op, ctx, &query::Params::parse(body)).await?.into_bytes()),
            Operation::Sts(op) => Ok(self.sts.call(op, ctx, &query::Params::parse(body)).await?.into_bytes()),
        }
    }
}
