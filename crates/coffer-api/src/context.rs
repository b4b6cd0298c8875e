//! Who is asking, where, and whether they may.

use coffer_core::{AwsError, MessageKey, Scope};
use std::sync::Arc;

/// Decides whether the caller may perform `action` on `resource`. The identity issue plugs
/// the IAM policy engine in here; until then the root principal may do everything.
pub trait Authorizer: Send + Sync + std::fmt::Debug {
    fn authorize(&self, ctx: &RequestContext, action: &str, resource: &str) -> Result<(), AwsError>;
}

/// The account root: allowed everything, like AWS's root user.
#[derive(Debug, Default)]
pub struct RootAuthorizer;

impl Authorizer for RootAuthorizer {
    fn authorize(&self, _ctx: &RequestContext, _action: &str, _resource: &str) -> Result<(), AwsError> {
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub scope: Scope,
    /// ARN of the authenticated caller (recorded as `LastModifiedUser`).
    pub principal_arn: String,
    pub request_id: String,
    pub authorizer: Arc<dyn Authorizer>,
}

impl RequestContext {
    /// A request made by the account root in `scope`.
    pub fn root(scope: Scope, request_id: impl Into<String>) -> Self {
        let principal_arn = format!("arn:{}:iam::{}:root", scope.partition(), scope.account);
        Self { scope, principal_arn, request_id: request_id.into(), authorizer: Arc::new(RootAuthorizer) }
    }

    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), AwsError> {
        self.authorizer.authorize(self, action, resource)
    }
}

/// The message AWS uses when no policy allows an action.
pub fn access_denied(principal_arn: &str, action: &str, resource: &str) -> AwsError {
    AwsError::new(
        "AccessDeniedException",
        MessageKey::Upper,
        format!(
            "User: {principal_arn} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
        ),
    )
}
