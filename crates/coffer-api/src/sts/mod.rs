//! AWS Security Token Service, the part SDK profiles need: GetCallerIdentity and AssumeRole,
//! over the Query protocol.

mod assume_role;
mod trust;

pub use assume_role::{AssumeRoleInput, AssumeRoleOutput, AssumedRoleUser, Credentials};
pub use trust::default_trust_check;

use crate::RequestContext;
use crate::query::{self, Params};
use coffer_core::{AwsError, MessageKey};
use coffer_store::Store;

/// The actions this service implements.
pub const OPERATIONS: &[&str] = &["GetCallerIdentity", "AssumeRole"];

pub const NAMESPACE: &str = query::STS_NAMESPACE;
pub const VERSION: &str = "2011-06-15";

/// Decides whether a role's trust policy lets the caller assume it. `caller_arn` is the
/// caller's ARN as STS reports it (`…:user/…`, `…:assumed-role/<role>/<session>`).
pub type TrustCheck = fn(trust_policy_json: &str, caller_arn: &str, caller_account: &str) -> bool;

#[derive(Clone, Debug)]
pub struct Sts {
    store: Store,
    trust_check: TrustCheck,
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
    /// `trust_check` decides trust policies; [`default_trust_check`] until the policy engine
    /// is plugged in.
    pub fn new(store: Store, trust_check: TrustCheck) -> Self {
        Self { store, trust_check }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `action` on Query parameters and returns the XML response body.
    pub async fn call(&self, action: &str, ctx: &RequestContext, params: &Params) -> Result<String, AwsError> {
        let rid = ctx.request_id.as_str();
        match action {
            "GetCallerIdentity" => {
                let out = self.get_caller_identity(ctx);
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            "AssumeRole" => {
                let out = self.assume_role(ctx, AssumeRoleInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            other => Err(query::invalid_action(other, params.version().unwrap_or(VERSION))),
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

/// STS's internal error, without detail for the client.
fn internal(err: coffer_store::StoreError) -> AwsError {
    tracing::error!(error = %err, "store failure");
    AwsError::new("InternalFailure", MessageKey::Upper, "An internal error occurred.").with_status(500)
}
