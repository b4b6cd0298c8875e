//! Resolving a container's `secrets` at start, as the ECS agent does, against any
//! [`SecretSource`]: the embedded store (`coffer_local::EmbeddedSource`) or aws-sdk-rust
//! (`coffer_remote::resolve`).
//!
//! [`resolve`] follows `coffer_copilot::ecs`: SSM references grouped by region, de-duplicated,
//! in batches of at most 10 `GetParameters(WithDecryption=true)`; Secrets Manager references
//! parsed with the agent's rules, one `GetSecretValue` per unique secret. Every call runs at
//! once (one task each), and every failure is kept, worded as the agent words it — where the
//! agent reports only the first SSM failure, Coffer reports them all.
//!
//! No value is ever part of an error, a log line or a `Debug` output: values travel as
//! [`SecretString`].

use crate::error::{ClientError, SM_SERVICE_ID, SSM_SERVICE_ID};
use crate::versions::Versions;
use async_trait::async_trait;
use coffer_aws::arn::Arn;
use coffer_aws::secret::{ExposeSecret as _, SecretString};
use coffer_copilot::ecs::SecretRequest;
use coffer_copilot::ecs::asm::{self, SmParams, SmRequest};
use coffer_copilot::ecs::ssm::{self as ecs_ssm, SsmBatch, SsmParameter};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// `GetParameters`' answer.
pub struct FetchedParameters {
    pub parameters: Vec<SsmParameter<ParameterValue>>,
    pub invalid: Vec<String>,
}

/// A parameter's value and the version it was read from: the version is what
/// `coffer run --watch` compares later, so it is taken from the very answer the value came in.
#[derive(Clone)]
pub struct ParameterValue {
    pub value: SecretString,
    pub version: i64,
}

/// `GetSecretValue`'s answer, as far as the agent reads it (and `--watch` compares).
pub struct FetchedSecret {
    pub secret_string: Option<SecretString>,
    pub version_id: String,
}

/// `GetParameters{WithDecryption: false}`'s answer, reduced to versions: no value kept.
pub struct ParameterVersions {
    pub parameters: Vec<SsmParameter<i64>>,
    pub invalid: Vec<String>,
}

/// Tags as `(key, value)`.
pub type Tags = Vec<(String, String)>;

/// Where secret values come from, as one identity.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// Who reads (an ARN), for messages.
    fn principal_arn(&self) -> String;

    /// `GetParameters{Names, WithDecryption: true}` in `region`.
    async fn get_parameters(&self, region: &str, names: Vec<String>) -> Result<FetchedParameters, ClientError>;

    /// `GetSecretValue{SecretId, VersionStage?, VersionId?}` in `region`.
    async fn get_secret_value(&self, region: &str, params: &SmParams) -> Result<FetchedSecret, ClientError>;

    /// `GetParameters{Names, WithDecryption: false}` in `region`: the same authorization as
    /// [`SecretSource::get_parameters`] (`ssm:GetParameters`), but no SecureString is decrypted.
    async fn parameter_versions(&self, region: &str, names: Vec<String>) -> Result<ParameterVersions, ClientError>;

    /// `DescribeSecret`'s `VersionIdsToStages` in `region`: `(version id, staging labels)`.
    async fn secret_version_stages(
        &self,
        region: &str,
        secret_id: &str,
    ) -> Result<Vec<(String, Vec<String>)>, ClientError>;

    /// An SSM parameter's tags (`ListTagsForResource`); `None` when it does not exist.
    async fn parameter_tags(&self, region: &str, name: &str) -> Result<Option<Tags>, ClientError>;

    /// A secret's tags (`DescribeSecret`); `None` when it does not exist.
    async fn secret_tags(&self, region: &str, secret_id: &str) -> Result<Option<Tags>, ClientError>;
}

/// The values of a task's secrets, by `(valueFrom, region)`, and every failure.
#[derive(Default)]
pub struct Resolution {
    values: HashMap<(String, String), SecretString>,
    /// The version each value was read from.
    versions: Versions,
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

    /// The version every resolved value was read from.
    pub fn versions(&self) -> &Versions {
        &self.versions
    }

    fn fail(&mut self, failure: String, access_denied: bool) {
        self.access_denied |= access_denied;
        self.failures.push(failure);
    }
}

enum Outcome {
    Ssm(SsmBatch, Result<FetchedParameters, ClientError>),
    Sm(SmRequest, Result<FetchedSecret, ClientError>),
}

/// The result of one SSM batch, worded as the agent words it.
pub fn ssm_batch_outcome(
    batch: &SsmBatch,
    fetched: Result<FetchedParameters, ClientError>,
) -> Result<HashMap<String, ParameterValue>, (String, bool)> {
    match fetched {
        Ok(f) => ecs_ssm::match_ssm_results(batch, &f.parameters, &f.invalid)
            .map_err(|e| (ecs_ssm::ssm_fetch_failure(&batch.region, &e), false)),
        Err(e) => Err((
            ecs_ssm::ssm_fetch_failure(&batch.region, &e.sdk_text(SSM_SERVICE_ID, "GetParameters")),
            e.is_access_denied(),
        )),
    }
}

/// The value one Secrets Manager request gives (JSON key extracted) and the version it was
/// read from, worded as the agent words its failures.
pub fn sm_request_outcome(
    request: &SmRequest,
    fetched: Result<FetchedSecret, ClientError>,
) -> Result<(SecretString, String), (String, bool)> {
    match fetched {
        Ok(secret) => asm::secret_value(
            secret.secret_string.as_ref().map(|s| s.expose_secret()),
            request.params.json_key.as_deref(),
        )
        .map(|value| (value, secret.version_id))
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
                        out.versions.insert_parameter(&name, &batch.region, v.version);
                        out.values.insert((name, batch.region.clone()), v.value);
                    }
                }
                Err((failure, denied)) => out.fail(failure, denied),
            },
            Outcome::Sm(request, fetched) => match sm_request_outcome(&request, fetched) {
                Ok((v, version_id)) => {
                    out.versions.insert_secret(&request.value_from, &request.region, version_id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::denied;
    use coffer_copilot::ecs::Provider;
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

    #[async_trait]
    impl SecretSource for Fake {
        fn principal_arn(&self) -> String {
            "arn:aws:sts::1:assumed-role/r/s".into()
        }

        async fn get_parameters(&self, _: &str, names: Vec<String>) -> Result<FetchedParameters, ClientError> {
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
                    value: ParameterValue { value: SecretString::from(format!("v:{n}")), version: 1 },
                    name: n,
                    arn: None,
                    selector: None,
                })
                .collect();
            Ok(FetchedParameters { parameters, invalid })
        }

        async fn get_secret_value(&self, _: &str, params: &SmParams) -> Result<FetchedSecret, ClientError> {
            self.enter().await;
            if params.secret_id.ends_with("gone") {
                return Err(ClientError::Service {
                    status: 400,
                    request_id: "r".into(),
                    code: "ResourceNotFoundException".into(),
                    message: "Secrets Manager can't find the specified secret.".into(),
                });
            }
            Ok(FetchedSecret {
                secret_string: Some(SecretString::from(r#"{"k":"json-v"}"#.to_owned())),
                version_id: "v1".to_owned(),
            })
        }

        async fn parameter_versions(&self, _: &str, _: Vec<String>) -> Result<ParameterVersions, ClientError> {
            unreachable!("resolution reads values")
        }

        async fn secret_version_stages(&self, _: &str, _: &str) -> Result<Vec<(String, Vec<String>)>, ClientError> {
            unreachable!("resolution reads values")
        }

        async fn parameter_tags(&self, _: &str, _: &str) -> Result<Option<Tags>, ClientError> {
            Ok(None)
        }

        async fn secret_tags(&self, _: &str, _: &str) -> Result<Option<Tags>, ClientError> {
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
}
