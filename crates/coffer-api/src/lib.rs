//! Coffer's AWS services as typed async operations over the store.
//!
//! Each service is a struct with one method per AWS operation, taking a
//! [`RequestContext`] and the operation's input shape and returning its output shape or an
//! [`AwsError`]. `call` maps an `X-Amz-Target` operation name and a JSON body onto those
//! methods; HTTP framing lives in `coffer-server`.
//!
//! Every operation authorizes first (through [`RequestContext::authorize`]), then validates,
//! then touches the store.

pub mod audit;
pub mod authz;
pub mod backend;
pub mod context;
pub mod iam;
pub mod json;
pub mod pagination;
pub mod query;
pub mod resolve;
pub mod secretsmanager;
pub mod ssm;
pub mod sts;

pub use coffer_core::AwsError;
pub use context::{Authorizer, Principal, RequestContext, RequestFacts, RequestTags, ResourceFacts, RootAuthorizer};

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
            sts: sts::Sts::new(store, authz::trust_check),
        }
    }
}
