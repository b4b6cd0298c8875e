//! [`SecretSource`] in-process: the embedded store read as the account root or as a role,
//! each read audited as `coffer serve` audits a request.

use async_trait::async_trait;
use coffer_aws::Scope;
use coffer_client::{
    ClientError, FetchedParameters, FetchedSecret, ParameterValue, ParameterVersions, SecretSource, Tags,
    parameter_name_of,
};
use coffer_copilot::ecs::asm::SmParams;
use coffer_copilot::ecs::ssm::SsmParameter;
use coffer_services::authz::Identity;
use coffer_services::invoke::{Invocation, Origin};
use coffer_services::operation::{Operation, SecretsManagerOperation, SsmOperation};
use coffer_services::secretsmanager::model::{GetSecretValueInput, SecretIdInput};
use coffer_services::ssm::model::{GetParametersInput, ListTagsForResourceInput};
use coffer_services::{OpResult, Principal, Services};
use coffer_store::audit::AuditEvent;
use coffer_store::iam::PrincipalKind;
use coffer_store::{Store, StoreError};
use std::fmt;
use std::sync::Mutex;

/// Why an identity could not be taken on.
#[derive(Debug, thiserror::Error)]
pub enum AssumeError {
    #[error("role {role} does not exist in account {account}")]
    NoSuchRole { role: String, account: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The embedded store, in-process, read as the account root or as a role.
///
/// Acting as a role is what `sts:AssumeRole` would give: the role's session principal
/// (`arn:…:sts::<account>:assumed-role/<role>/<session>`), authorized by the role's inline
/// policies, so the role's tag conditions decide. (The trust policy is not consulted: whoever
/// can open the data directory is the account root already.)
///
/// Every call is audited like a request to `coffer serve`; the events are kept in memory until
/// the caller takes them ([`EmbeddedSource::take_audit_events`]) and appends them itself (a
/// process about to `exec` has no background writer to wait for).
pub struct EmbeddedSource {
    services: Services,
    store: Store,
    account: String,
    identity: Identity,
    origin: Origin,
    events: Mutex<Vec<AuditEvent>>,
}

impl fmt::Debug for EmbeddedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedSource")
            .field("account", &self.account)
            .field("principal", &self.identity.principal)
            .finish()
    }
}

impl EmbeddedSource {
    /// Reads as the root of `account`.
    pub fn root(store: Store, account: impl Into<String>) -> Self {
        Self::new(store, account.into(), Identity::root())
    }

    fn new(store: Store, account: String, identity: Identity) -> Self {
        Self {
            services: Services::new(store.clone()),
            store,
            account,
            identity,
            origin: Origin::in_process(format!("coffer/{}", env!("CARGO_PKG_VERSION"))),
            events: Mutex::default(),
        }
    }

    /// Reads as a session `session_name` of role `role_name` of `account`.
    pub async fn assume_role(
        store: Store,
        account: &str,
        role_name: &str,
        session_name: &str,
    ) -> Result<Self, AssumeError> {
        let role = store
            .iam_principal(account, PrincipalKind::Role, role_name)
            .await?
            .ok_or_else(|| AssumeError::NoSuchRole { role: role_name.to_owned(), account: account.to_owned() })?;
        let (policies, tags) = store.iam_policies_and_tags(role.id).await?;
        let principal = Principal::AssumedRole {
            role_name: role.name,
            role_id: role.unique_id,
            role_arn: role.arn,
            session_name: session_name.to_owned(),
        };
        Ok(Self::new(store, account.to_owned(), Identity::new(principal, &policies, tags)))
    }

    /// The user agent recorded in audit events.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.origin = Origin::in_process(user_agent);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn begin(&self, region: &str, op: impl Into<Operation>) -> Invocation {
        let scope = Scope::new(self.account.clone(), region);
        Invocation::new(self.identity.context(scope, uuid::Uuid::new_v4().to_string(), None), op)
    }

    /// Records one call, as the server records a request, and hands its result on.
    fn finish<T>(&self, call: Invocation, result: OpResult<T>) -> Result<T, ClientError> {
        let (result, event) = crate::complete(call, &self.origin, result);
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
        result
    }

    /// Takes the events recorded so far, to append them (with others) in one transaction.
    pub fn take_audit_events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|mut e| std::mem::take(&mut *e)).unwrap_or_default()
    }
}

#[async_trait]
impl SecretSource for EmbeddedSource {
    fn principal_arn(&self) -> String {
        let scope = Scope::new(self.account.clone(), "us-east-1");
        self.identity.principal.arn(scope.partition(), &self.account)
    }

    async fn get_parameters(&self, region: &str, names: Vec<String>) -> Result<FetchedParameters, ClientError> {
        let call = self.begin(region, SsmOperation::GetParameters);
        let input = GetParametersInput { names: Some(names), with_decryption: true };
        let result = self.services.ssm.get_parameters(call.ctx(), input).await;
        let out = self.finish(call, result)?;
        Ok(FetchedParameters {
            parameters: out
                .parameters
                .into_iter()
                .map(|p| SsmParameter {
                    name: p.name,
                    arn: Some(p.arn),
                    selector: p.selector,
                    value: ParameterValue { value: p.value.0, version: p.version },
                })
                .collect(),
            invalid: out.invalid_parameters,
        })
    }

    async fn get_secret_value(&self, region: &str, params: &SmParams) -> Result<FetchedSecret, ClientError> {
        let call = self.begin(region, SecretsManagerOperation::GetSecretValue);
        let input = GetSecretValueInput {
            secret_id: Some(params.secret_id.clone()),
            version_id: params.version_id.clone(),
            version_stage: params.version_stage.clone(),
        };
        let result = self.services.secrets_manager.get_secret_value(call.ctx(), input).await;
        let out = self.finish(call, result)?;
        Ok(FetchedSecret { secret_string: out.secret_string.map(|v| v.0), version_id: out.version_id })
    }

    async fn parameter_versions(&self, region: &str, names: Vec<String>) -> Result<ParameterVersions, ClientError> {
        let call = self.begin(region, SsmOperation::GetParameters);
        let input = GetParametersInput { names: Some(names), with_decryption: false };
        let result = self.services.ssm.get_parameters(call.ctx(), input).await;
        let out = self.finish(call, result)?;
        Ok(ParameterVersions {
            parameters: out
                .parameters
                .into_iter()
                .map(|p| SsmParameter { name: p.name, arn: Some(p.arn), selector: p.selector, value: p.version })
                .collect(),
            invalid: out.invalid_parameters,
        })
    }

    async fn secret_version_stages(
        &self,
        region: &str,
        secret_id: &str,
    ) -> Result<Vec<(String, Vec<String>)>, ClientError> {
        let call = self.begin(region, SecretsManagerOperation::DescribeSecret);
        let input = SecretIdInput { secret_id: Some(secret_id.to_owned()) };
        let result = self.services.secrets_manager.describe_secret(call.ctx(), input).await;
        let out = self.finish(call, result)?;
        Ok(out.version_ids_to_stages.unwrap_or_default().into_iter().collect())
    }

    async fn parameter_tags(&self, region: &str, name: &str) -> Result<Option<Tags>, ClientError> {
        let call = self.begin(region, SsmOperation::ListTagsForResource);
        let input =
            ListTagsForResourceInput { resource_type: "Parameter".to_owned(), resource_id: parameter_name_of(name) };
        let result = self.services.ssm.list_tags_for_resource(call.ctx(), input).await;
        match self.finish(call, result) {
            Ok(out) => Ok(Some(out.tag_list.into_iter().map(|t| (t.key, t.value)).collect())),
            Err(e) if e.is("InvalidResourceId") || e.is("ParameterNotFound") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn secret_tags(&self, region: &str, secret_id: &str) -> Result<Option<Tags>, ClientError> {
        let call = self.begin(region, SecretsManagerOperation::DescribeSecret);
        let input = SecretIdInput { secret_id: Some(secret_id.to_owned()) };
        let result = self.services.secrets_manager.describe_secret(call.ctx(), input).await;
        match self.finish(call, result) {
            Ok(out) => Ok(Some(
                out.tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                    .collect(),
            )),
            Err(e) if e.is("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }
}
