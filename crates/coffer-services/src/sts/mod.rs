//! AWS Security Token Service, the part SDK profiles need: GetCallerIdentity and AssumeRole,
//! over the Query protocol.

mod assume_role;
mod trust;

pub use assume_role::{AssumeRoleInput, AssumeRoleOutput, AssumedRoleUser, Credentials};

use crate::RequestContext;
use crate::error::OpResult;
use crate::operation::StsOperation;
use crate::query::{self, Params};
use coffer_aws::{AwsError, MessageKey};
use coffer_store::Store;

pub const NAMESPACE: &str = query::STS_NAMESPACE;
pub const VERSION: &str = "2011-06-15";

#[derive(Clone, Debug)]
pub struct Sts {
    store: Store,
}

/// GetCallerIdentity's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetCallerIdentityOutput {
    pub user_id: String,
    pub account: String,
    pub arn: String,
}

impl GetCallerIdentityOutput {
    pub fn write(&self, x: &mut query::Xml) {
        x.leaf("Arn", &self.arn).leaf("UserId", &self.user_id).leaf("Account", &self.account);
    }
}

impl Sts {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `action` on Query parameters and returns the XML response body.
    pub async fn call(&self, op: StsOperation, ctx: &RequestContext, params: &Params) -> OpResult<String> {
        let (action, rid) = (op.name(), ctx.request_id.as_str());
        match op {
            StsOperation::GetCallerIdentity => {
                let out = self.get_caller_identity(ctx);
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            StsOperation::AssumeRole => {
                let out = self.assume_role(ctx, AssumeRoleInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
        }
    }

    /// GetCallerIdentity needs no permission (AWS lets even an explicit deny through).
    pub fn get_caller_identity(&self, ctx: &RequestContext) -> GetCallerIdentityOutput {
        GetCallerIdentityOutput {
            user_id: ctx.principal.user_id(&ctx.scope.account),
            account: ctx.scope.account.clone(),
            arn: ctx.principal_arn.clone(),
        }
    }
}

/// STS's `AccessDenied` (403) for AssumeRole, the same whether the identity policy, the
/// trust policy or the role's existence failed, as in AWS.
pub fn assume_role_denied(caller_arn: &str, role_arn: &str) -> AwsError {
    AwsError::new(
        "AccessDenied",
        MessageKey::Upper,
        format!("User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"),
    )
    .with_status(403)
}
