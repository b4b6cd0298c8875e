//! [`Backend`] in-process: the services called on the local store as the account root,
//! through the same authorization, and audited as `coffer serve` audits a request.

use async_trait::async_trait;
use coffer_aws::Scope;
use coffer_client::{Backend, ClientError, Identity, NewParameter, NewRole, Parameter, ParameterInfo, Role, Tag};
use coffer_services::audit::{AuditLines, Auditor};
use coffer_services::iam::model::{
    CreateRoleInput, ListPoliciesInput, Paging, PolicyNameInput, PutPolicyInput, RoleNameInput,
};
use coffer_services::invoke::{Invocation, Origin};
use coffer_services::operation::{IamOperation, Operation, SsmOperation, StsOperation};
use coffer_services::ssm::model::{
    self as ssm_model, AddTagsToResourceInput, DeleteParameterInput, DescribeParametersInput, GetParameterInput,
    GetParametersByPathInput, ListTagsForResourceInput, ParameterStringFilter, PutParameterInput,
};
use coffer_services::{OpResult, RequestContext, Services};
use coffer_store::Store;
use std::fmt;
use std::sync::Mutex;

/// The local store, in-process, as the root of `scope.account` in `scope.region`.
pub struct EmbeddedBackend {
    services: Services,
    store: Store,
    scope: Scope,
    location: String,
    origin: Origin,
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
            store,
            scope,
            location: location.into(),
            origin: Origin::in_process(format!("coffer-cli/{}", env!("CARGO_PKG_VERSION"))),
            auditor: Mutex::new(Some(auditor)),
        }
    }

    /// The user agent recorded in audit events (e.g. `coffer-cli/0.1.0`).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.origin = Origin::in_process(user_agent);
        self
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn begin(&self, op: impl Into<Operation>) -> Invocation {
        Invocation::new(RequestContext::root(self.scope.clone(), uuid::Uuid::new_v4().to_string()), op)
    }

    /// Records one call, as the server records a request, and hands its result on.
    fn finish<T>(&self, call: Invocation, result: OpResult<T>) -> Result<T, ClientError> {
        let (result, event) = crate::complete(call, &self.origin, result);
        if let Ok(guard) = self.auditor.lock()
            && let Some(auditor) = guard.as_ref()
        {
            auditor.record(event);
        }
        result
    }
}

/// `None` for the error code that means "no such thing".
fn not_found<T>(result: Result<T, ClientError>, code: &str) -> Result<Option<T>, ClientError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is(code) => Ok(None),
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

    async fn caller_identity(&self) -> Result<Identity, ClientError> {
        let call = self.begin(StsOperation::GetCallerIdentity);
        let out = self.services.sts.get_caller_identity(call.ctx());
        let _ = self.finish(call, Ok(()));
        Ok(Identity { account: out.account, arn: out.arn, user_id: out.user_id })
    }

    async fn put_parameter(&self, input: NewParameter) -> Result<i64, ClientError> {
        let call = self.begin(SsmOperation::PutParameter);
        let request = PutParameterInput {
            name: input.name,
            value: Some(input.value),
            param_type: Some(input.param_type),
            description: input.description,
            key_id: None,
            overwrite: input.overwrite,
            allowed_pattern: None,
            tags: (!input.tags.is_empty()).then(|| ssm_tags(input.tags)),
            tier: None,
            policies: None,
            data_type: Some("text".to_owned()),
        };
        let result = self.services.ssm.put_parameter(call.ctx(), request).await;
        let result = self.finish(call, result);
        Ok(result?.version)
    }

    async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Option<Parameter>, ClientError> {
        let call = self.begin(SsmOperation::GetParameter);
        let result = self
            .services
            .ssm
            .get_parameter(call.ctx(), GetParameterInput { name: name.to_owned(), with_decryption })
            .await;
        let result = self.finish(call, result);
        Ok(not_found(result, "ParameterNotFound")?.map(|out| {
            let p = out.parameter;
            Parameter {
                name: p.name,
                param_type: p.param_type.as_str().to_owned(),
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
    ) -> Result<Vec<Parameter>, ClientError> {
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let call = self.begin(SsmOperation::GetParametersByPath);
            let input = GetParametersByPathInput {
                path: Some(path.to_owned()),
                recursive,
                parameter_filters: None,
                with_decryption,
                max_results: Some(10),
                next_token: next_token.take(),
            };
            let result = self.services.ssm.get_parameters_by_path(call.ctx(), input).await;
            let result = self.finish(call, result);
            let page = result?;
            out.extend(page.parameters.into_iter().map(|p| Parameter {
                name: p.name,
                param_type: p.param_type.as_str().to_owned(),
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

    async fn describe_parameters(&self, path: &str, recursive: bool) -> Result<Vec<ParameterInfo>, ClientError> {
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let call = self.begin(SsmOperation::DescribeParameters);
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
            let result = self.services.ssm.describe_parameters(call.ctx(), input).await;
            let result = self.finish(call, result);
            let page = result?;
            out.extend(page.parameters.into_iter().map(|p| ParameterInfo {
                name: p.name,
                param_type: p.param_type.as_str().to_owned(),
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

    async fn add_tags(&self, name: &str, tags: Vec<Tag>) -> Result<(), ClientError> {
        let call = self.begin(SsmOperation::AddTagsToResource);
        let input = AddTagsToResourceInput {
            resource_type: "Parameter".to_owned(),
            resource_id: name.to_owned(),
            tags: Some(ssm_tags(tags)),
        };
        let result = self.services.ssm.add_tags_to_resource(call.ctx(), input).await;
        let result = self.finish(call, result);
        result?;
        Ok(())
    }

    async fn list_tags(&self, name: &str) -> Result<Vec<Tag>, ClientError> {
        let call = self.begin(SsmOperation::ListTagsForResource);
        let input = ListTagsForResourceInput { resource_type: "Parameter".to_owned(), resource_id: name.to_owned() };
        let result = self.services.ssm.list_tags_for_resource(call.ctx(), input).await;
        let result = self.finish(call, result);
        Ok(result?.tag_list.into_iter().map(|t| Tag { key: t.key, value: t.value }).collect())
    }

    async fn delete_parameter(&self, name: &str) -> Result<bool, ClientError> {
        let call = self.begin(SsmOperation::DeleteParameter);
        let result =
            self.services.ssm.delete_parameter(call.ctx(), DeleteParameterInput { name: name.to_owned() }).await;
        let result = self.finish(call, result);
        Ok(not_found(result, "ParameterNotFound")?.is_some())
    }

    async fn create_role(&self, role: NewRole) -> Result<Role, ClientError> {
        let call = self.begin(IamOperation::CreateRole);
        let input = CreateRoleInput {
            role_name: role.name,
            path: None,
            assume_role_policy_document: role.trust_policy,
            description: role.description,
            max_session_duration: None,
            tags: role.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        };
        let result = self.services.iam.create_role(call.ctx(), input).await;
        let result = self.finish(call, result);
        let r = result?.role;
        Ok(Role { name: r.role_name, arn: r.arn, trust_policy: r.assume_role_policy_document })
    }

    async fn get_role(&self, name: &str) -> Result<Option<Role>, ClientError> {
        let call = self.begin(IamOperation::GetRole);
        let result = self.services.iam.get_role(call.ctx(), RoleNameInput { role_name: name.to_owned() }).await;
        let result = self.finish(call, result);
        Ok(not_found(result, "NoSuchEntity")?.map(|out| Role {
            name: out.role.role_name,
            arn: out.role.arn,
            trust_policy: out.role.assume_role_policy_document,
        }))
    }

    async fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> Result<(), ClientError> {
        let call = self.begin(IamOperation::PutRolePolicy);
        let input = PutPolicyInput {
            name: role.to_owned(),
            policy_name: policy_name.to_owned(),
            policy_document: document.to_owned(),
        };
        let result = self.services.iam.put_role_policy(call.ctx(), input).await;
        let result = self.finish(call, result);
        Ok(result?)
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ClientError> {
        let call = self.begin(IamOperation::GetRolePolicy);
        let input = PolicyNameInput { name: role.to_owned(), policy_name: policy_name.to_owned() };
        let result = self.services.iam.get_role_policy(call.ctx(), input).await;
        let result = self.finish(call, result);
        Ok(not_found(result, "NoSuchEntity")?.map(|out| out.policy_document))
    }

    async fn list_role_policies(&self, role: &str) -> Result<Vec<String>, ClientError> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let call = self.begin(IamOperation::ListRolePolicies);
            let input = ListPoliciesInput {
                name: role.to_owned(),
                paging: Paging { marker: marker.take(), max_items: Some(100) },
            };
            let result = self.services.iam.list_role_policies(call.ctx(), input).await;
            let result = self.finish(call, result);
            let page = result?;
            out.extend(page.policy_names);
            match page.marker {
                Some(m) => marker = Some(m),
                None => return Ok(out),
            }
        }
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), ClientError> {
        let call = self.begin(IamOperation::DeleteRolePolicy);
        let input = PolicyNameInput { name: role.to_owned(), policy_name: policy_name.to_owned() };
        let result = self.services.iam.delete_role_policy(call.ctx(), input).await;
        let result = self.finish(call, result);
        Ok(result?)
    }

    async fn delete_role(&self, name: &str) -> Result<(), ClientError> {
        let call = self.begin(IamOperation::DeleteRole);
        let result = self.services.iam.delete_role(call.ctx(), RoleNameInput { role_name: name.to_owned() }).await;
        let result = self.finish(call, result);
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

fn ssm_tags(tags: Vec<Tag>) -> Vec<ssm_model::Tag> {
    tags.into_iter().map(|t| ssm_model::Tag { key: t.key, value: t.value }).collect()
}
