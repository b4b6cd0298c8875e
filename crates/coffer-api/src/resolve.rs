//! Resolving a container's `secrets` at start, as the ECS agent does, against any
//! [`SecretSource`]: the embedded store ([`EmbeddedSource`], here) or aws-sdk-rust
//! (`coffer_remote::resolve`).
//!
//! [`resolve`] follows `coffer_core::ecs`: SSM references grouped by region, de-duplicated,
//! in batches of at most 10 `GetParameters(WithDecryption=true)`; Secrets Manager references
//! parsed with the agent's rules, one `GetSecretValue` per unique secret. Every call runs at
//! once (one task each), and every failure is kept, worded as the agent words it — where the
//! agent reports only the first SSM failure, Coffer reports them all.
//!
//! No value is ever part of an error, a log line or a `Debug` output: values travel as
//! [`SecretString`].

use crate::authz::{PolicyAuthorizer, identity_policies};
use crate::context::Authorizer;
use crate::secretsmanager::model::{GetSecretValueInput, SecretIdInput};
use crate::ssm::model::{GetParametersInput, ListTagsForResourceInput};
use crate::{Principal, RequestContext, Services};
use async_trait::async_trait;
use coffer_core::arn::Arn;
use coffer_core::ecs::asm::{self, SmParams, SmRequest};
use coffer_core::ecs::ssm::{self as ecs_ssm, SsmBatch, SsmParameter};
use coffer_core::ecs::{SecretRequest, go_sdk_error};
use coffer_core::secret::{ExposeSecret as _, SecretString};
use coffer_core::{AwsError, Scope};
use coffer_store::audit::AuditEvent;
use coffer_store::iam::PrincipalKind;
use coffer_store::{Store, StoreError};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The SDK service ids the agent's error texts name.
pub const SSM_SERVICE_ID: &str = "SSM";
pub const SM_SERVICE_ID: &str = "Secrets Manager";

/// Why a call failed: an answer from the service, or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    Api {
        status: u16,
        request_id: String,
        code: String,
        message: String,
    },
    /// No answer (connection refused, timeout, no credentials…): the cause chain as text.
    Transport(String),
}

impl FetchError {
    pub fn from_aws(err: &AwsError, request_id: &str) -> Self {
        FetchError::Api {
            status: err.status,
            request_id: request_id.to_owned(),
            code: err.code.to_string(),
            message: err.message.clone().unwrap_or_default(),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            FetchError::Api { code, .. } => Some(code),
            FetchError::Transport(_) => None,
        }
    }

    pub fn is_access_denied(&self) -> bool {
        self.code() == Some("AccessDeniedException")
    }

    /// The error as the agent's SDK (aws-sdk-go-v2) prints it.
    pub fn sdk_text(&self, service_id: &str, operation: &str) -> String {
        match self {
            FetchError::Api { status, request_id, code, message } => {
                go_sdk_error(service_id, operation, *status, request_id, code, message)
            }
            FetchError::Transport(m) => format!("operation error {service_id}: {operation}, {m}"),
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Api { code, message, .. } if message.is_empty() => f.write_str(code),
            FetchError::Api { code, message, .. } => write!(f, "{code}: {message}"),
            FetchError::Transport(m) => f.write_str(m),
        }
    }
}

/// `GetParameters`' answer.
pub struct FetchedParameters {
    pub parameters: Vec<SsmParameter<SecretString>>,
    pub invalid: Vec<String>,
}

/// `GetSecretValue`'s answer, as far as the agent reads it.
pub struct FetchedSecret {
    pub secret_string: Option<SecretString>,
}

/// Tags as `(key, value)`.
pub type Tags = Vec<(String, String)>;

/// Where secret values come from, as one identity.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// Who reads (an ARN), for messages.
    fn principal_arn(&self) -> String;

    /// `GetParameters{Names, WithDecryption: true}` in `region`.
    async fn get_parameters(&self, region: &str, names: Vec<String>) -> Result<FetchedParameters, FetchError>;

    /// `GetSecretValue{SecretId, VersionStage?, VersionId?}` in `region`.
    async fn get_secret_value(&self, region: &str, params: &SmParams) -> Result<FetchedSecret, FetchError>;

    /// An SSM parameter's tags (`ListTagsForResource`); `None` when it does not exist.
    async fn parameter_tags(&self, region: &str, name: &str) -> Result<Option<Tags>, FetchError>;

    /// A secret's tags (`DescribeSecret`); `None` when it does not exist.
    async fn secret_tags(&self, region: &str, secret_id: &str) -> Result<Option<Tags>, FetchError>;
}

/// The values of a task's secrets, by `(valueFrom, region)`, and every failure.
#[derive(Default)]
pub struct Resolution {
    values: HashMap<(String, String), SecretString>,
    /// In the agent's words; empty when everything resolved.
    pub failures: Vec<String>,
    /// Whether any failure is an `AccessDeniedException`.
    pub access_denied: bool,
}

impl fmt::Debug for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolution")
            .field("values", &self.values.len())
            .field("failures", &self.failures)
            .field("access_denied", &self.access_denied)
            .finish()
    }
}

impl Resolution {
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// The value resolved for one request.
    pub fn value(&self, r: &SecretRequest) -> Option<&SecretString> {
        self.values.get(&(r.value_from.clone(), r.region.clone()))
    }

    /// `(env name, value)` for every request, in order; `None` if any is missing.
    pub fn secrets_for(&self, requests: &[SecretRequest]) -> Option<Vec<(String, SecretString)>> {
        requests.iter().map(|r| self.value(r).map(|v| (r.name.clone(), v.clone()))).collect()
    }

    fn fail(&mut self, failure: String, access_denied: bool) {
        self.access_denied |= access_denied;
        self.failures.push(failure);
    }
}

enum Outcome {
    Ssm(SsmBatch, Result<FetchedParameters, FetchError>),
    Sm(SmRequest, Result<FetchedSecret, FetchError>),
}

/// The result of one SSM batch, worded as the agent words it.
pub fn ssm_batch_outcome(
    batch: &SsmBatch,
    fetched: Result<FetchedParameters, FetchError>,
) -> Result<HashMap<String, SecretString>, (String, bool)> {
    match fetched {
        Ok(f) => ecs_ssm::match_ssm_results(batch, &f.parameters, &f.invalid)
            .map_err(|e| (ecs_ssm::ssm_fetch_failure(&batch.region, &e), false)),
        Err(e) => Err((
            ecs_ssm::ssm_fetch_failure(&batch.region, &e.sdk_text(SSM_SERVICE_ID, "GetParameters")),
            e.is_access_denied(),
        )),
    }
}

/// The value one Secrets Manager request gives (JSON key extracted), worded as the agent
/// words its failures.
pub fn sm_request_outcome(
    request: &SmRequest,
    fetched: Result<FetchedSecret, FetchError>,
) -> Result<SecretString, (String, bool)> {
    match fetched {
        Ok(secret) => asm::secret_value(
            secret.secret_string.as_ref().map(|s| s.expose_secret()),
            request.params.json_key.as_deref(),
        )
        .map_err(|e| (asm::sm_fetch_failure(&request.region, &e.to_string()), false)),
        Err(e) => {
            let sdk = e.sdk_text(SM_SERVICE_ID, "GetSecretValue");
            let detail = asm::sm_api_failure_detail(&request.params.secret_id, e.code().unwrap_or_default(), &sdk);
            Err((asm::sm_fetch_failure(&request.region, &detail), e.is_access_denied()))
        }
    }
}

/// Fetches every secret of `requests` (already classified), all calls in parallel.
pub async fn resolve(source: Arc<dyn SecretSource>, requests: &[SecretRequest]) -> Resolution {
    let batches = ecs_ssm::plan_ssm_batches(requests);
    let plan = asm::plan_sm_requests(requests);
    let mut tasks = tokio::task::JoinSet::new();
    let first_sm = batches.len();
    for (i, batch) in batches.into_iter().enumerate() {
        let source = source.clone();
        tasks.spawn(async move {
            let fetched = source.get_parameters(&batch.region, batch.names.clone()).await;
            (i, Outcome::Ssm(batch, fetched))
        });
    }
    for (j, request) in plan.requests.into_iter().enumerate() {
        let source = source.clone();
        tasks.spawn(async move {
            let fetched = source.get_secret_value(&request.region, &request.params).await;
            (first_sm + j, Outcome::Sm(request, fetched))
        });
    }
    let mut outcomes = Vec::new();
    let mut out = Resolution::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(o) => outcomes.push(o),
            Err(e) => out.fail(format!("internal error: a fetch task failed: {e}"), false),
        }
    }
    outcomes.sort_by_key(|(i, _)| *i);
    // SSM failures, then the Secrets Manager references the agent cannot parse, then the
    // failed Secrets Manager calls.
    let mut parse_failures = Some(plan.failures);
    for (_, outcome) in outcomes {
        if matches!(outcome, Outcome::Sm(..))
            && let Some(failures) = parse_failures.take()
        {
            for failure in failures {
                out.fail(failure, false);
            }
        }
        match outcome {
            Outcome::Ssm(batch, fetched) => match ssm_batch_outcome(&batch, fetched) {
                Ok(values) => {
                    for (name, v) in values {
                        out.values.insert((name, batch.region.clone()), v);
                    }
                }
                Err((failure, denied)) => out.fail(failure, denied),
            },
            Outcome::Sm(request, fetched) => match sm_request_outcome(&request, fetched) {
                Ok(v) => {
                    out.values.insert((request.value_from.clone(), request.region.clone()), v);
                }
                Err((failure, denied)) => out.fail(failure, denied),
            },
        }
    }
    for failure in parse_failures.into_iter().flatten() {
        out.fail(failure, false);
    }
    out
}

/// An SSM reference reduced to what `ListTagsForResource` takes: the parameter name, without
/// a `:version`/`:label` selector, from a name or an ARN.
pub fn parameter_name_of(value_from: &str) -> String {
    let name = match Arn::parse(value_from).ok().and_then(|a| a.resource.strip_prefix("parameter/")) {
        Some(rest) if rest.contains('/') => format!("/{rest}"),
        Some(rest) => rest.to_owned(),
        None => value_from.to_owned(),
    };
    match name.split_once(':') {
        Some((n, _)) => n.to_owned(),
        None => name,
    }
}

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
    principal: Principal,
    authorizer: Option<Arc<dyn Authorizer>>,
    user_agent: String,
    events: Mutex<Vec<AuditEvent>>,
}

impl fmt::Debug for EmbeddedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedSource").field("account", &self.account).field("principal", &self.principal).finish()
    }
}

impl EmbeddedSource {
    /// Reads as the root of `account`.
    pub fn root(store: Store, account: impl Into<String>) -> Self {
        Self {
            services: Services::new(store.clone()),
            store,
            account: account.into(),
            principal: Principal::Root,
            authorizer: None,
            user_agent: format!("coffer/{}", env!("CARGO_PKG_VERSION")),
            events: Mutex::default(),
        }
    }

    /// Reads as a session `session_name` of role `role_name` of `account`. `partition` is
    /// the partition of the role's ARN and session ARN.
    pub async fn assume_role(
        store: Store,
        account: &str,
        partition: &str,
        role_name: &str,
        session_name: &str,
    ) -> Result<Self, AssumeError> {
        let role = store
            .iam_principal(account, PrincipalKind::Role, role_name)
            .await?
            .ok_or_else(|| AssumeError::NoSuchRole { role: role_name.to_owned(), account: account.to_owned() })?;
        let (policies, tags) = store.iam_policies_and_tags(role.id).await?;
        let principal = Principal::AssumedRole {
            role_name: role.name.clone(),
            role_id: role.unique_id.clone(),
            role_arn: role.arn.clone(),
            session_name: session_name.to_owned(),
        };
        let principal_arn = principal.arn(partition, account);
        let authorizer =
            PolicyAuthorizer::new(&principal_arn, Arc::new(identity_policies(&policies)), Arc::new(tags), None);
        let mut source = Self::root(store, account);
        source.principal = principal;
        source.authorizer = Some(Arc::new(authorizer));
        Ok(source)
    }

    /// The user agent recorded in audit events.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn ctx(&self, region: &str) -> RequestContext {
        let ctx = RequestContext::root(Scope::new(self.account.clone(), region), uuid::Uuid::new_v4().to_string());
        match &self.authorizer {
            None => ctx,
            Some(a) => ctx.with_principal(self.principal.clone()).with_authorizer(a.clone()),
        }
    }

    fn record(&self, ctx: &RequestContext, service: &str, operation: &str, error: Option<&AwsError>) {
        let event = ctx.in_process_audit_event(&self.user_agent, service, operation, error);
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }

    /// Takes the events recorded so far, to append them (with others) in one transaction.
    pub fn take_audit_events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|mut e| std::mem::take(&mut *e)).unwrap_or_default()
    }
}

#[async_trait]
impl SecretSource for EmbeddedSource {
    fn principal_arn(&self) -> String {
        self.ctx("us-east-1").principal_arn
    }

    async fn get_parameters(&self, region: &str, names: Vec<String>) -> Result<FetchedParameters, FetchError> {
        let ctx = self.ctx(region);
        let input = GetParametersInput { names: Some(names), with_decryption: true };
        let result = self.services.ssm.get_parameters(&ctx, input).await;
        self.record(&ctx, "ssm", "GetParameters", result.as_ref().err());
        let out = result.map_err(|e| FetchError::from_aws(&e, &ctx.request_id))?;
        Ok(FetchedParameters {
            parameters: out
                .parameters
                .into_iter()
                .map(|p| SsmParameter { name: p.name, arn: Some(p.arn), selector: p.selector, value: p.value.0 })
                .collect(),
            invalid: out.invalid_parameters,
        })
    }

    async fn get_secret_value(&self, region: &str, params: &SmParams) -> Result<FetchedSecret, FetchError> {
        let ctx = self.ctx(region);
        let input = GetSecretValueInput {
            secret_id: Some(params.secret_id.clone()),
            version_id: params.version_id.clone(),
            version_stage: params.version_stage.clone(),
        };
        let result = self.services.secrets_manager.get_secret_value(&ctx, input).await;
        self.record(&ctx, "secretsmanager", "GetSecretValue", result.as_ref().err());
        let out = result.map_err(|e| FetchError::from_aws(&e, &ctx.request_id))?;
        Ok(FetchedSecret { secret_string: out.secret_string.map(|v| v.0) })
    }

    async fn parameter_tags(&self, region: &str, name: &str) -> Result<Option<Tags>, FetchError> {
        let ctx = self.ctx(region);
        let input =
            ListTagsForResourceInput { resource_type: "Parameter".to_owned(), resource_id: parameter_name_of(name) };
        let result = self.services.ssm.list_tags_for_resource(&ctx, input).await;
        self.record(&ctx, "ssm", "ListTagsForResource", result.as_ref().err());
        match result {
            Ok(out) => Ok(Some(out.tag_list.into_iter().map(|t| (t.key, t.value)).collect())),
            Err(e) if matches!(e.code.as_ref(), "InvalidResourceId" | "ParameterNotFound") => Ok(None),
            Err(e) => Err(FetchError::from_aws(&e, &ctx.request_id)),
        }
    }

    async fn secret_tags(&self, region: &str, secret_id: &str) -> Result<Option<Tags>, FetchError> {
        let ctx = self.ctx(region);
        let input = SecretIdInput { secret_id: Some(secret_id.to_owned()) };
        let result = self.services.secrets_manager.describe_secret(&ctx, input).await;
        self.record(&ctx, "secretsmanager", "DescribeSecret", result.as_ref().err());
        match result {
            Ok(out) => Ok(Some(
                out.tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                    .collect(),
            )),
            Err(e) if e.code == "ResourceNotFoundException" => Ok(None),
            Err(e) => Err(FetchError::from_aws(&e, &ctx.request_id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::ecs::Provider;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source that answers after a delay and records how many calls overlapped.
    #[derive(Default)]
    struct Fake {
        inflight: AtomicUsize,
        max_inflight: AtomicUsize,
        calls: AtomicUsize,
    }

    impl Fake {
        async fn enter(&self) {
            let now = self.inflight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_inflight.fetch_max(now, Ordering::SeqCst);
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            self.inflight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn denied() -> FetchError {
        FetchError::Api {
            status: 400,
            request_id: "r".into(),
            code: "AccessDeniedException".into(),
            message: "not authorized".into(),
        }
    }

    #[async_trait]
    impl SecretSource for Fake {
        fn principal_arn(&self) -> String {
            "arn:aws:sts::1:assumed-role/r/s".into()
        }

        async fn get_parameters(&self, _: &str, names: Vec<String>) -> Result<FetchedParameters, FetchError> {
            self.enter().await;
            assert!(names.len() <= 10);
            if names.iter().any(|n| n.starts_with("denied")) {
                return Err(denied());
            }
            let (invalid, found): (Vec<String>, Vec<String>) =
                names.into_iter().partition(|n| n.starts_with("missing"));
            let parameters = found
                .into_iter()
                .map(|n| SsmParameter {
                    value: SecretString::from(format!("v:{n}")),
                    name: n,
                    arn: None,
                    selector: None,
                })
                .collect();
            Ok(FetchedParameters { parameters, invalid })
        }

        async fn get_secret_value(&self, _: &str, params: &SmParams) -> Result<FetchedSecret, FetchError> {
            self.enter().await;
            if params.secret_id.ends_with("gone") {
                return Err(FetchError::Api {
                    status: 400,
                    request_id: "r".into(),
                    code: "ResourceNotFoundException".into(),
                    message: "Secrets Manager can't find the specified secret.".into(),
                });
            }
            Ok(FetchedSecret { secret_string: Some(SecretString::from(r#"{"k":"json-v"}"#.to_owned())) })
        }

        async fn parameter_tags(&self, _: &str, _: &str) -> Result<Option<Tags>, FetchError> {
            Ok(None)
        }

        async fn secret_tags(&self, _: &str, _: &str) -> Result<Option<Tags>, FetchError> {
            Ok(None)
        }
    }

    fn req(name: &str, value_from: &str, provider: Provider) -> SecretRequest {
        SecretRequest { name: name.into(), value_from: value_from.into(), provider, region: "us-east-1".into() }
    }

    const SM: &str = "arn:aws:secretsmanager:us-east-1:1:secret:";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_call_runs_at_once() {
        let mut refs: Vec<SecretRequest> =
            (0..25).map(|i| req(&format!("V{i}"), &format!("/p{i}"), Provider::Ssm)).collect();
        refs.push(req("DUP", "/p3", Provider::Ssm));
        refs.push(req("A", &format!("{SM}a"), Provider::SecretsManager));
        refs.push(req("B", &format!("{SM}b:k::"), Provider::SecretsManager));
        refs.push(req("B2", &format!("{SM}b:k::"), Provider::SecretsManager));
        let fake = Arc::new(Fake::default());
        let out = resolve(fake.clone(), &refs).await;
        assert!(out.is_ok(), "{out:?}");
        // 3 GetParameters (10, 10, 5: the duplicate is asked once) and 2 GetSecretValue, all
        // in flight together.
        assert_eq!(fake.calls.load(Ordering::SeqCst), 5);
        assert_eq!(fake.max_inflight.load(Ordering::SeqCst), 5);
        let values = out.secrets_for(&refs).unwrap();
        let get = |n: &str| values.iter().find(|(k, _)| k == n).unwrap().1.expose_secret().to_owned();
        assert_eq!(get("V24"), "v:/p24");
        assert_eq!(get("DUP"), "v:/p3");
        assert_eq!(get("A"), r#"{"k":"json-v"}"#);
        assert_eq!(get("B2"), "json-v");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_failure_is_reported_in_order() {
        let refs = vec![
            req("A", &format!("{SM}gone"), Provider::SecretsManager),
            req("B", &format!("{SM}x:three"), Provider::SecretsManager),
            req("C", "missing-one", Provider::Ssm),
            req("D", &format!("{SM}ok:nokey::"), Provider::SecretsManager),
        ];
        let mut more: Vec<SecretRequest> =
            (0..10).map(|i| req(&format!("P{i}"), &format!("/p{i}"), Provider::Ssm)).collect();
        more.push(req("Z", "denied-x", Provider::Ssm));
        let all: Vec<SecretRequest> = refs.into_iter().chain(more).collect();
        let out = resolve(Arc::new(Fake::default()), &all).await;
        assert!(out.access_denied);
        let f = &out.failures;
        assert_eq!(f.len(), 5, "{f:#?}");
        assert_eq!(f[0], "fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: missing-one");
        assert!(f[1].starts_with("fetching secret data from SSM Parameter Store in us-east-1: operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: r, api error AccessDeniedException: not authorized"), "{}", f[1]);
        assert!(f[2].ends_with(asm::INVALID_ARN_FORMAT), "{}", f[2]);
        assert!(f[3].contains("ResourceNotFoundException: The task can't retrieve the secret with ARN"), "{}", f[3]);
        assert_eq!(
            f[4],
            "fetching secret data from AWS Secrets Manager in region us-east-1: retrieved secret from Secrets Manager did not contain json key nokey"
        );
        assert!(out.secrets_for(&all).is_none());
    }

    #[test]
    fn parameter_names_for_tags() {
        assert_eq!(parameter_name_of("GH_WEBHOOK_SECRET"), "GH_WEBHOOK_SECRET");
        assert_eq!(parameter_name_of("/copilot/demo/test/secrets/db:3"), "/copilot/demo/test/secrets/db");
        assert_eq!(parameter_name_of("arn:aws:ssm:us-east-1:1:parameter/copilot/a/b"), "/copilot/a/b");
        assert_eq!(parameter_name_of("arn:aws:ssm:us-east-1:1:parameter/single:label"), "single");
    }

    #[test]
    fn sdk_texts() {
        let e = FetchError::Api {
            status: 400,
            request_id: "r".into(),
            code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        assert_eq!(
            e.sdk_text(SSM_SERVICE_ID, "GetParameters"),
            "operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: r, api error AccessDeniedException: no"
        );
        assert!(e.is_access_denied());
        let t = FetchError::Transport("connection refused".into());
        assert_eq!(
            t.sdk_text(SM_SERVICE_ID, "GetSecretValue"),
            "operation error Secrets Manager: GetSecretValue, connection refused"
        );
    }
}
