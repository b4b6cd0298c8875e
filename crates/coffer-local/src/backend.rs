//! [`Backend`] in-process: the services called on the local store as the account root,
//! through the same authorization, and audited as `coffer serve` audits a request.

use async_trait::async_trait;
use coffer_aws::Scope;
use coffer_aws::secret::ExposeSecret as _;
use coffer_client::{
    Backend, ClientError, Identity, NewParameter, NewRole, NewSecret, Parameter, ParameterAttributes, ParameterInfo,
    ReplicaInfo, Role, RotationInfo, SecretInfo, SecretPayload, SecretValue, SecretVersion, Tag,
};
use coffer_services::audit::{AuditLines, Auditor};
use coffer_services::iam::model::{
    CreateRoleInput, ListPoliciesInput, Paging, PolicyNameInput, PutPolicyInput, RoleNameInput,
};
use coffer_services::invoke::{Invocation, Origin};
use coffer_services::operation::SecretsManagerOperation as SmOperation;
use coffer_services::operation::{IamOperation, Operation, SsmOperation, StsOperation};
use coffer_services::secretsmanager::model::{
    self as sm_model, CreateSecretInput, Filter, GetSecretValueInput, ListSecretVersionIdsInput, ListSecretsInput,
    PutResourcePolicyInput, PutSecretValueInput, SecretDescription, SecretIdInput, TagResourceInput, UpdateSecretInput,
    UpdateSecretVersionStageInput, WireBlob,
};
use coffer_services::ssm::model::{
    self as ssm_model, AddTagsToResourceInput, DeleteParameterInput, DescribeParametersInput, GetParameterHistoryInput,
    GetParameterInput, GetParametersByPathInput, LabelParameterVersionInput, ListTagsForResourceInput,
    ParameterStringFilter, PutParameterInput,
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
    async fn finish<T>(&self, call: Invocation, result: OpResult<T>) -> Result<T, ClientError> {
        let (result, event) = crate::complete(call, &self.origin, result);
        let auditor = self.auditor.lock().ok().and_then(|guard| guard.clone());
        if let Some(auditor) = auditor {
            auditor.record(event).await;
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
        let _ = self.finish(call, Ok(())).await;
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
            allowed_pattern: input.attributes.allowed_pattern,
            tags: (!input.tags.is_empty()).then(|| ssm_tags(input.tags)),
            tier: input.attributes.tier,
            policies: None,
            data_type: Some(input.attributes.data_type.unwrap_or_else(|| "text".to_owned())),
        };
        let result = self.services.ssm.put_parameter(call.ctx(), request).await;
        let result = self.finish(call, result).await;
        Ok(result?.version)
    }

    async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Option<Parameter>, ClientError> {
        let call = self.begin(SsmOperation::GetParameter);
        let result = self
            .services
            .ssm
            .get_parameter(call.ctx(), GetParameterInput { name: name.to_owned(), with_decryption })
            .await;
        let result = self.finish(call, result).await;
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
            let result = self.finish(call, result).await;
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
            let result = self.finish(call, result).await;
            let page = result?;
            out.extend(page.parameters.into_iter().map(|p| ParameterInfo {
                name: p.name,
                param_type: p.param_type.as_str().to_owned(),
                version: p.version,
                last_modified: p.last_modified_date,
                last_modified_user: Some(p.last_modified_user).filter(|u| !u.is_empty()),
                description: p.description,
                attributes: ParameterAttributes {
                    tier: Some(p.tier),
                    data_type: Some(p.data_type),
                    allowed_pattern: p.allowed_pattern,
                },
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
        let result = self.finish(call, result).await;
        result?;
        Ok(())
    }

    async fn list_tags(&self, name: &str) -> Result<Vec<Tag>, ClientError> {
        let call = self.begin(SsmOperation::ListTagsForResource);
        let input = ListTagsForResourceInput { resource_type: "Parameter".to_owned(), resource_id: name.to_owned() };
        let result = self.services.ssm.list_tags_for_resource(call.ctx(), input).await;
        let result = self.finish(call, result).await;
        Ok(result?.tag_list.into_iter().map(|t| Tag { key: t.key, value: t.value }).collect())
    }

    async fn parameter_labels(&self, name: &str) -> Result<Vec<String>, ClientError> {
        let mut labels = Vec::new();
        let mut next_token = None;
        loop {
            let call = self.begin(SsmOperation::GetParameterHistory);
            let input = GetParameterHistoryInput {
                name: name.to_owned(),
                with_decryption: false,
                max_results: Some(50),
                next_token: next_token.take(),
            };
            let result = self.services.ssm.get_parameter_history(call.ctx(), input).await;
            let page = self.finish(call, result).await?;
            // Oldest first: the last entry of the last page is the latest version.
            if let Some(latest) = page.parameters.into_iter().last() {
                labels = latest.labels;
            }
            match page.next_token {
                Some(t) => next_token = Some(t),
                None => return Ok(labels),
            }
        }
    }

    async fn label_parameter(&self, name: &str, version: i64, labels: Vec<String>) -> Result<(), ClientError> {
        let call = self.begin(SsmOperation::LabelParameterVersion);
        let input = LabelParameterVersionInput {
            name: name.to_owned(),
            parameter_version: Some(version),
            labels: Some(labels),
        };
        let result = self.services.ssm.label_parameter_version(call.ctx(), input).await;
        self.finish(call, result).await?;
        Ok(())
    }

    async fn delete_parameter(&self, name: &str) -> Result<bool, ClientError> {
        let call = self.begin(SsmOperation::DeleteParameter);
        let result =
            self.services.ssm.delete_parameter(call.ctx(), DeleteParameterInput { name: name.to_owned() }).await;
        let result = self.finish(call, result).await;
        Ok(not_found(result, "ParameterNotFound")?.is_some())
    }

    async fn list_secrets(&self, filters: Vec<(String, Vec<String>)>) -> Result<Vec<SecretInfo>, ClientError> {
        let filters: Vec<Filter> =
            filters.into_iter().map(|(key, values)| Filter { key: Some(key), values: Some(values) }).collect();
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let call = self.begin(SmOperation::ListSecrets);
            let input = ListSecretsInput {
                filters: (!filters.is_empty()).then(|| filters.clone()),
                max_results: Some(100),
                next_token: next_token.take(),
                ..Default::default()
            };
            let result = self.services.secrets_manager.list_secrets(call.ctx(), input).await;
            let page = self.finish(call, result).await?;
            out.extend(page.secret_list.into_iter().map(secret_info));
            match page.next_token {
                Some(t) => next_token = Some(t),
                None => return Ok(out),
            }
        }
    }

    async fn describe_secret(&self, id: &str) -> Result<Option<SecretInfo>, ClientError> {
        let call = self.begin(SmOperation::DescribeSecret);
        let result = self.services.secrets_manager.describe_secret(call.ctx(), secret_id(id)).await;
        let result = self.finish(call, result).await;
        Ok(not_found(result, "ResourceNotFoundException")?.map(secret_info))
    }

    async fn secret_versions(&self, id: &str) -> Result<Vec<SecretVersion>, ClientError> {
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let call = self.begin(SmOperation::ListSecretVersionIds);
            let input = ListSecretVersionIdsInput {
                secret_id: Some(id.to_owned()),
                max_results: Some(100),
                next_token: next_token.take(),
                include_deprecated: Some(false),
            };
            let result = self.services.secrets_manager.list_secret_version_ids(call.ctx(), input).await;
            let page = self.finish(call, result).await?;
            out.extend(page.versions.into_iter().map(|v| SecretVersion {
                version_id: v.version_id,
                stages: v.version_stages,
                created: v.created_date,
            }));
            match page.next_token {
                Some(t) => next_token = Some(t),
                None => return Ok(out),
            }
        }
    }

    async fn get_secret_value(&self, id: &str, version_id: Option<&str>) -> Result<SecretValue, ClientError> {
        let call = self.begin(SmOperation::GetSecretValue);
        let input = GetSecretValueInput {
            secret_id: Some(id.to_owned()),
            version_id: version_id.map(str::to_owned),
            version_stage: None,
        };
        let result = self.services.secrets_manager.get_secret_value(call.ctx(), input).await;
        let out = self.finish(call, result).await?;
        let payload = match (out.secret_string, out.secret_binary) {
            (Some(text), _) => SecretPayload::Text(text.0),
            (None, Some(blob)) => SecretPayload::Binary(blob.0),
            (None, None) => SecretPayload::Text(String::new().into()),
        };
        Ok(SecretValue { version_id: out.version_id, stages: out.version_stages, payload })
    }

    async fn secret_policy(&self, id: &str) -> Result<Option<String>, ClientError> {
        let call = self.begin(SmOperation::GetResourcePolicy);
        let result = self.services.secrets_manager.get_resource_policy(call.ctx(), secret_id(id)).await;
        Ok(self.finish(call, result).await?.resource_policy)
    }

    async fn create_secret(&self, secret: NewSecret) -> Result<String, ClientError> {
        let call = self.begin(SmOperation::CreateSecret);
        let (secret_string, secret_binary) = payload_members(&secret.payload);
        let input = CreateSecretInput {
            name: Some(secret.name),
            client_request_token: secret.version_id,
            description: secret.description,
            secret_string,
            secret_binary,
            tags: (!secret.tags.is_empty()).then(|| sm_tags(secret.tags)),
            ..Default::default()
        };
        let result = self.services.secrets_manager.create_secret(call.ctx(), input).await;
        Ok(self.finish(call, result).await?.version_id.unwrap_or_default())
    }

    async fn put_secret_value(
        &self,
        id: &str,
        payload: &SecretPayload,
        version_id: Option<String>,
        stages: Option<Vec<String>>,
    ) -> Result<String, ClientError> {
        let call = self.begin(SmOperation::PutSecretValue);
        let (secret_string, secret_binary) = payload_members(payload);
        let input = PutSecretValueInput {
            secret_id: Some(id.to_owned()),
            client_request_token: version_id,
            secret_string,
            secret_binary,
            version_stages: stages,
            rotation_token: None,
        };
        let result = self.services.secrets_manager.put_secret_value(call.ctx(), input).await;
        Ok(self.finish(call, result).await?.version_id)
    }

    async fn set_secret_description(&self, id: &str, description: &str) -> Result<(), ClientError> {
        let call = self.begin(SmOperation::UpdateSecret);
        let input = UpdateSecretInput {
            secret_id: Some(id.to_owned()),
            description: Some(description.to_owned()),
            ..Default::default()
        };
        let result = self.services.secrets_manager.update_secret(call.ctx(), input).await;
        self.finish(call, result).await?;
        Ok(())
    }

    async fn tag_secret(&self, id: &str, tags: Vec<Tag>) -> Result<(), ClientError> {
        let call = self.begin(SmOperation::TagResource);
        let input = TagResourceInput { secret_id: Some(id.to_owned()), tags: Some(sm_tags(tags)) };
        let result = self.services.secrets_manager.tag_resource(call.ctx(), input).await;
        self.finish(call, result).await?;
        Ok(())
    }

    async fn put_secret_policy(&self, id: &str, policy: &str) -> Result<(), ClientError> {
        let call = self.begin(SmOperation::PutResourcePolicy);
        let input = PutResourcePolicyInput {
            secret_id: Some(id.to_owned()),
            resource_policy: Some(policy.to_owned()),
            block_public_policy: None,
        };
        let result = self.services.secrets_manager.put_resource_policy(call.ctx(), input).await;
        self.finish(call, result).await?;
        Ok(())
    }

    async fn move_secret_stage(
        &self,
        id: &str,
        stage: &str,
        move_to: &str,
        remove_from: Option<&str>,
    ) -> Result<(), ClientError> {
        let call = self.begin(SmOperation::UpdateSecretVersionStage);
        let input = UpdateSecretVersionStageInput {
            secret_id: Some(id.to_owned()),
            version_stage: Some(stage.to_owned()),
            remove_from_version_id: remove_from.map(str::to_owned),
            move_to_version_id: Some(move_to.to_owned()),
        };
        let result = self.services.secrets_manager.update_secret_version_stage(call.ctx(), input).await;
        self.finish(call, result).await?;
        Ok(())
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
        let result = self.finish(call, result).await;
        let r = result?.role;
        Ok(Role { name: r.role_name, arn: r.arn, trust_policy: r.assume_role_policy_document })
    }

    async fn get_role(&self, name: &str) -> Result<Option<Role>, ClientError> {
        let call = self.begin(IamOperation::GetRole);
        let result = self.services.iam.get_role(call.ctx(), RoleNameInput { role_name: name.to_owned() }).await;
        let result = self.finish(call, result).await;
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
        let result = self.finish(call, result).await;
        Ok(result?)
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ClientError> {
        let call = self.begin(IamOperation::GetRolePolicy);
        let input = PolicyNameInput { name: role.to_owned(), policy_name: policy_name.to_owned() };
        let result = self.services.iam.get_role_policy(call.ctx(), input).await;
        let result = self.finish(call, result).await;
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
            let result = self.finish(call, result).await;
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
        let result = self.finish(call, result).await;
        Ok(result?)
    }

    async fn delete_role(&self, name: &str) -> Result<(), ClientError> {
        let call = self.begin(IamOperation::DeleteRole);
        let result = self.services.iam.delete_role(call.ctx(), RoleNameInput { role_name: name.to_owned() }).await;
        let result = self.finish(call, result).await;
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

fn sm_tags(tags: Vec<Tag>) -> Vec<sm_model::Tag> {
    tags.into_iter().map(|t| sm_model::Tag { key: Some(t.key), value: Some(t.value) }).collect()
}

fn secret_id(id: &str) -> SecretIdInput {
    SecretIdInput { secret_id: Some(id.to_owned()) }
}

fn secret_info(d: SecretDescription) -> SecretInfo {
    SecretInfo {
        name: d.name,
        arn: d.arn,
        description: d.description,
        tags: d
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| Tag { key: t.key.unwrap_or_default(), value: t.value.unwrap_or_default() })
            .collect(),
        deleted: d.deleted_date,
        rotation: RotationInfo {
            enabled: d.rotation_enabled,
            function_arn: d.rotation_lambda_arn,
            last_rotated: d.last_rotated_date,
            next_rotation: d.next_rotation_date,
            pending_version: d
                .version_ids_to_stages
                .as_ref()
                .or(d.secret_versions_to_stages.as_ref())
                .and_then(RotationInfo::pending_of),
        },
        primary_region: d.primary_region,
        replicas: d
            .replication_status
            .unwrap_or_default()
            .into_iter()
            .map(|r| ReplicaInfo { region: r.region, status: r.status, message: r.status_message })
            .collect(),
    }
}

/// `SecretString` and `SecretBinary` of a request, one of them set.
fn payload_members(payload: &SecretPayload) -> (Option<coffer_aws::secret::SecretString>, Option<WireBlob>) {
    match payload {
        SecretPayload::Text(text) => (Some(text.expose_secret().to_owned().into()), None),
        SecretPayload::Binary(bytes) => (None, Some(WireBlob(coffer_aws::SecretBytes::new(bytes.expose().to_vec())))),
    }
}
