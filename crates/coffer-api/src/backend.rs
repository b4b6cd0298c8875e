//! The operations the `coffer` CLI performs, behind one trait with two implementations:
//!
//! - [`EmbeddedBackend`] (here): the services of this crate called in-process on the local
//!   store, as the account root, through the same authorization and with the same audit
//!   records as a request to `coffer serve`;
//! - `RemoteBackend` (crate `coffer-remote`): aws-sdk-rust against any endpoint, real AWS
//!   included.
//!
//! The trait speaks AWS operations (PutParameter, CreateRole, …), not Copilot concepts, so
//! the Copilot workflow is written once, on top of it, and behaves the same on both.
//! Secret values travel as [`SecretString`]: no `Debug` here prints one.

use crate::audit::{AuditLines, Auditor};
use crate::iam::Iam;
use crate::iam::model::{CreateRoleInput, ListPoliciesInput, Paging, PolicyNameInput, PutPolicyInput, RoleNameInput};
use crate::ssm::model::{
    AddTagsToResourceInput, DeleteParameterInput, DescribeParametersInput, GetParameterInput, GetParametersByPathInput,
    ListTagsForResourceInput, ParameterStringFilter, PutParameterInput,
};
use crate::sts::Sts;
use crate::{RequestContext, Services};
use async_trait::async_trait;
use coffer_core::secret::SecretString;
use coffer_core::{AwsError, Scope, Timestamp};
use coffer_store::Store;
use std::fmt;
use std::sync::Mutex;

pub use crate::ssm::model::Tag;

/// Why a backend operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendError {
    /// The service answered with an AWS error (`ParameterNotFound`, `NoSuchEntity`, …).
    Service { code: String, message: Option<String> },
    /// No answer: the endpoint could not be reached, or the request could not be made
    /// (no credentials, no region, a timeout…).
    Transport(String),
}

impl BackendError {
    /// The AWS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            BackendError::Service { code, .. } => Some(code),
            BackendError::Transport(_) => None,
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::Service { code, message: Some(m) } if !m.is_empty() => write!(f, "{code}: {m}"),
            BackendError::Service { code, .. } => f.write_str(code),
            BackendError::Transport(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BackendError {}

impl From<AwsError> for BackendError {
    fn from(e: AwsError) -> Self {
        BackendError::Service { code: e.code.into_owned(), message: e.message }
    }
}

/// Who the backend acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// PutParameter's input, the part the CLI uses (`DataType` is always `text`).
#[derive(Debug)]
pub struct NewParameter {
    pub name: String,
    pub value: SecretString,
    /// `String` or `SecureString`.
    pub param_type: String,
    pub description: Option<String>,
    pub overwrite: bool,
    /// Only on create: SSM refuses tags together with `Overwrite`.
    pub tags: Vec<Tag>,
}

/// A parameter read with its value (decrypted when asked to).
#[derive(Debug)]
pub struct Parameter {
    pub name: String,
    pub param_type: String,
    pub value: SecretString,
    pub version: i64,
    pub last_modified: Timestamp,
}

/// DescribeParameters' view of a parameter: no value, but who changed it last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterInfo {
    pub name: String,
    pub param_type: String,
    pub version: i64,
    pub last_modified: Timestamp,
    pub last_modified_user: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewRole {
    pub name: String,
    pub trust_policy: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub trust_policy: String,
}

/// What the CLI needs from SSM Parameter Store, IAM and STS.
///
/// Errors keep AWS's codes, so callers test `e.is("ParameterAlreadyExists")` alike on both
/// backends. Listing methods return every page.
#[async_trait]
pub trait Backend: Send + Sync {
    /// `embedded (<data dir>)` or `remote (<endpoint>)`, for messages.
    fn describe(&self) -> String;

    /// The region requests are made in.
    fn region(&self) -> &str;

    /// STS GetCallerIdentity.
    async fn caller_identity(&self) -> Result<Identity, BackendError>;

    /// PutParameter; returns the new version.
    async fn put_parameter(&self, input: NewParameter) -> Result<i64, BackendError>;

    /// GetParameter; `None` when there is no such parameter.
    async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Option<Parameter>, BackendError>;

    /// GetParametersByPath, all pages.
    async fn parameters_by_path(
        &self,
        path: &str,
        recursive: bool,
        with_decryption: bool,
    ) -> Result<Vec<Parameter>, BackendError>;

    /// DescribeParameters with a `Path` filter, all pages.
    async fn describe_parameters(&self, path: &str, recursive: bool) -> Result<Vec<ParameterInfo>, BackendError>;

    /// AddTagsToResource (ResourceType `Parameter`): adds or overwrites these tags.
    async fn add_tags(&self, name: &str, tags: Vec<Tag>) -> Result<(), BackendError>;

    /// ListTagsForResource (ResourceType `Parameter`).
    async fn list_tags(&self, name: &str) -> Result<Vec<Tag>, BackendError>;

    /// DeleteParameter; `false` when there was no such parameter.
    async fn delete_parameter(&self, name: &str) -> Result<bool, BackendError>;

    /// IAM CreateRole.
    async fn create_role(&self, role: NewRole) -> Result<Role, BackendError>;

    /// IAM GetRole; `None` when there is no such role.
    async fn get_role(&self, name: &str) -> Result<Option<Role>, BackendError>;

    /// IAM PutRolePolicy (creates or replaces an inline policy).
    async fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> Result<(), BackendError>;

    /// IAM GetRolePolicy; `None` when the role or the policy does not exist.
    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, BackendError>;

    /// IAM ListRolePolicies, all pages.
    async fn list_role_policies(&self, role: &str) -> Result<Vec<String>, BackendError>;

    /// IAM DeleteRolePolicy.
    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), BackendError>;

    /// IAM DeleteRole (its inline policies must be deleted first).
    async fn delete_role(&self, name: &str) -> Result<(), BackendError>;

    /// Finishes pending work (the embedded backend flushes its audit trail and closes the
    /// store). Call once, at the end.
    async fn close(&self) {}
}

/// The local store, in-process, as the root of `scope.account` in `scope.region`.
pub struct EmbeddedBackend {
    services: Services,
    iam: Iam,
    sts: Sts,
    store: Store,
    scope: Scope,
    location: String,
    user_agent: String,
    auditor: Mutex<Option<Auditor>>,
}

impl fmt::Debug for EmbeddedBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedBackend").field("scope", &self.scope).field("location", &self.location).finish()
    }
}

impl EmbeddedBackend {
    /// `location` names the store in messages (the data directory). Every operation is
    /// audited to the store, as `coffer serve` audits requests. Needs a Tokio runtime.
    pub fn new(store: Store, scope: Scope, location: impl Into<String>) -> Self {
        let auditor = Auditor::start(store.clone(), AuditLines::None);
        Self {
            services: Services::new(store.clone()),
            iam: Iam::new(store.clone()),
            sts: Sts::new(store.clone(), crate::sts::default_trust_check),
            store,
            scope,
            location: location.into(),
            user_agent: format!("coffer-cli/{}", env!("CARGO_PKG_VERSION")),
            auditor: Mutex::new(Some(auditor)),
        }
    }

    /// The user agent recorded in audit events (e.g. `coffer-cli/0.1.0`).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn ctx(&self) -> RequestContext {
        RequestContext::root(self.scope.clone(), uuid::Uuid::new_v4().to_string())
    }

    /// Records one operation, as the server does for a request: who, what, on which
    /// resources, and the error code. Never a value.
    fn audit<T>(&self, ctx: &RequestContext, service: &str, operation: &str, result: &Result<T, AwsError>) {
        let event = ctx.in_process_audit_event(&self.user_agent, service, operation, result.as_ref().err());
        if let Ok(guard) = self.auditor.lock()
            && let Some(auditor) = guard.as_ref()
        {
            auditor.record(event);
        }
    }
}

fn not_found<T>(result: Result<T, AwsError>, codes: &[&str]) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if codes.contains(&e.code.as_ref()) => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Backend for EmbeddedBackend {
    fn describe(&self) -> String {
        format!("embedded ({})", self.location)
    }

    fn region(&self) -> &str {
        &self.scope.region
    }

    async fn caller_identity(&self) -> Result<Identity, BackendError> {
        let ctx = self.ctx();
        let out = self.sts.get_caller_identity(&ctx);
        self.audit::<()>(&ctx, "sts", "GetCallerIdentity", &Ok(()));
        Ok(Identity { account: out.account, arn: out.arn, user_id: out.user_id })
    }

    async fn put_parameter(&self, input: NewParameter) -> Result<i64, BackendError> {
        let ctx = self.ctx();
        let request = PutParameterInput {
            name: input.name,
            value: Some(input.value),
            param_type: Some(input.param_type),
            description: input.description,
            key_id: None,
            overwrite: input.overwrite,
            allowed_pattern: None,
            tags: (!input.tags.is_empty()).then_some(input.tags),
            tier: None,
            policies: None,
            data_type: Some("text".to_owned()),
        };
        let result = self.services.ssm.put_parameter(&ctx, request).await;
        self.audit(&ctx, "ssm", "PutParameter", &result);
        Ok(result?.version)
    }

    async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Option<Parameter>, BackendError> {
        let ctx = self.ctx();
        let result =
            self.services.ssm.get_parameter(&ctx, GetParameterInput { name: name.to_owned(), with_decryption }).await;
        self.audit(&ctx, "ssm", "GetParameter", &result);
        Ok(not_found(result, &["ParameterNotFound"])?.map(|out| {
            let p = out.parameter;
            Parameter {
                name: p.name,
                param_type: p.param_type,
                value: p.value.0,
                version: p.version,
                last_modified: p.last_modified_date,
            }
        }))
    }

    async fn parameters_by_path(
        &self,
        path: &str,
        recursive: bool,
        with_decryption: bool,
    ) -> Result<Vec<Parameter>, BackendError> {
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let ctx = self.ctx();
            let input = GetParametersByPathInput {
                path: Some(path.to_owned()),
                recursive,
                parameter_filters: None,
                with_decryption,
                max_results: Some(10),
                next_token: next_token.take(),
            };
            let result = self.services.ssm.get_parameters_by_path(&ctx, input).await;
            self.audit(&ctx, "ssm", "GetParametersByPath", &result);
            let page = result?;
            out.extend(page.parameters.into_iter().map(|p| Parameter {
                name: p.name,
                param_type: p.param_type,
                value: p.value.0,
                version: p.version,
                last_modified: p.last_modified_date,
            }));
            match page.next_token {
                Some(t) => next_token = Some(t),
                None => return Ok(out),
            }
        }
    }

    async fn describe_parameters(&self, path: &str, recursive: bool) -> Result<Vec<ParameterInfo>, BackendError> {
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let ctx = self.ctx();
            let input = DescribeParametersInput {
                filters: None,
                parameter_filters: Some(vec![ParameterStringFilter {
                    key: Some("Path".to_owned()),
                    option: Some(if recursive { "Recursive" } else { "OneLevel" }.to_owned()),
                    values: Some(vec![path.to_owned()]),
                }]),
                max_results: Some(50),
                next_token: next_token.take(),
                shared: false,
            };
            let result = self.services.ssm.describe_parameters(&ctx, input).await;
            self.audit(&ctx, "ssm", "DescribeParameters", &result);
            let page = result?;
            out.extend(page.parameters.into_iter().map(|p| ParameterInfo {
                name: p.name,
                param_type: p.param_type,
                version: p.version,
                last_modified: p.last_modified_date,
                last_modified_user: Some(p.last_modified_user).filter(|u| !u.is_empty()),
            }));
            match page.next_token {
                Some(t) => next_token = Some(t),
                None => return Ok(out),
            }
        }
    }

    async fn add_tags(&self, name: &str, tags: Vec<Tag>) -> Result<(), BackendError> {
        let ctx = self.ctx();
        let input = AddTagsToResourceInput {
            resource_type: "Parameter".to_owned(),
            resource_id: name.to_owned(),
            tags: Some(tags),
        };
        let result = self.services.ssm.add_tags_to_resource(&ctx, input).await;
        self.audit(&ctx, "ssm", "AddTagsToResource", &result);
        result?;
        Ok(())
    }

    async fn list_tags(&self, name: &str) -> Result<Vec<Tag>, BackendError> {
        let ctx = self.ctx();
        let input = ListTagsForResourceInput { resource_type: "Parameter".to_owned(), resource_id: name.to_owned() };
        let result = self.services.ssm.list_tags_for_resource(&ctx, input).await;
        self.audit(&ctx, "ssm", "ListTagsForResource", &result);
        Ok(result?.tag_list)
    }

    async fn delete_parameter(&self, name: &str) -> Result<bool, BackendError> {
        let ctx = self.ctx();
        let result = self.services.ssm.delete_parameter(&ctx, DeleteParameterInput { name: name.to_owned() }).await;
        self.audit(&ctx, "ssm", "DeleteParameter", &result);
        Ok(not_found(result, &["ParameterNotFound"])?.is_some())
    }

    async fn create_role(&self, role: NewRole) -> Result<Role, BackendError> {
        let ctx = self.ctx();
        let input = CreateRoleInput {
            role_name: role.name,
            path: None,
            assume_role_policy_document: role.trust_policy,
            description: role.description,
            max_session_duration: None,
            tags: role.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        };
        let result = self.iam.create_role(&ctx, input).await;
        self.audit(&ctx, "iam", "CreateRole", &result);
        let r = result?.role;
        Ok(Role { name: r.role_name, arn: r.arn, trust_policy: r.assume_role_policy_document })
    }

    async fn get_role(&self, name: &str) -> Result<Option<Role>, BackendError> {
        let ctx = self.ctx();
        let result = self.iam.get_role(&ctx, RoleNameInput { role_name: name.to_owned() }).await;
        self.audit(&ctx, "iam", "GetRole", &result);
        Ok(not_found(result, &["NoSuchEntity"])?.map(|out| Role {
            name: out.role.role_name,
            arn: out.role.arn,
            trust_policy: out.role.assume_role_policy_document,
        }))
    }

    async fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> Result<(), BackendError> {
        let ctx = self.ctx();
        let input = PutPolicyInput {
            name: role.to_owned(),
            policy_name: policy_name.to_owned(),
            policy_document: document.to_owned(),
        };
        let result = self.iam.put_role_policy(&ctx, input).await;
        self.audit(&ctx, "iam", "PutRolePolicy", &result);
        Ok(result?)
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, BackendError> {
        let ctx = self.ctx();
        let input = PolicyNameInput { name: role.to_owned(), policy_name: policy_name.to_owned() };
        let result = self.iam.get_role_policy(&ctx, input).await;
        self.audit(&ctx, "iam", "GetRolePolicy", &result);
        Ok(not_found(result, &["NoSuchEntity"])?.map(|out| out.policy_document))
    }

    async fn list_role_policies(&self, role: &str) -> Result<Vec<String>, BackendError> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let ctx = self.ctx();
            let input = ListPoliciesInput {
                name: role.to_owned(),
                paging: Paging { marker: marker.take(), max_items: Some(100) },
            };
            let result = self.iam.list_role_policies(&ctx, input).await;
            self.audit(&ctx, "iam", "ListRolePolicies", &result);
            let page = result?;
            out.extend(page.policy_names);
            match page.marker {
                Some(m) => marker = Some(m),
                None => return Ok(out),
            }
        }
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), BackendError> {
        let ctx = self.ctx();
        let input = PolicyNameInput { name: role.to_owned(), policy_name: policy_name.to_owned() };
        let result = self.iam.delete_role_policy(&ctx, input).await;
        self.audit(&ctx, "iam", "DeleteRolePolicy", &result);
        Ok(result?)
    }

    async fn delete_role(&self, name: &str) -> Result<(), BackendError> {
        let ctx = self.ctx();
        let result = self.iam.delete_role(&ctx, RoleNameInput { role_name: name.to_owned() }).await;
        self.audit(&ctx, "iam", "DeleteRole", &result);
        Ok(result?)
    }

    async fn close(&self) {
        let auditor = self.auditor.lock().ok().and_then(|mut a| a.take());
        if let Some(auditor) = auditor {
            auditor.flush_and_stop().await;
        }
        self.store.close().await;
    }
}
