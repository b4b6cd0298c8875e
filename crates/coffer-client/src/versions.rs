//! Which version each secret reference of a container names, without reading its value: what
//! `coffer run --watch` compares, every interval, with the versions its program was started
//! with ([`Resolution::versions`](crate::Resolution::versions)).
//!
//! The calls are those the resolution's identity may make. Copilot's execution role may only
//! `ssm:GetParameters` and `secretsmanager:GetSecretValue` (on secrets tagged for its
//! environment), so:
//! - SSM references: `GetParameters{WithDecryption: false}`, batched and de-duplicated as the
//!   resolution is — the same permission, no SecureString decrypted, the `Version` of each;
//! - Secrets Manager references: `DescribeSecret` (its `VersionIdsToStages`, no value), once
//!   per secret; an identity that may not (`AccessDeniedException`, as for Copilot's role)
//!   is remembered, and for that secret `GetSecretValue` of the referenced stage gives the
//!   `VersionId` instead — the value it carries is dropped unread;
//! - a reference pinned to a `VersionId` cannot change and is not asked about.
//!
//! A reference that cannot be read is a failure, worded as the resolution words it; its
//! version is missing from [`VersionCheck::versions`].

use crate::error::{ClientError, SM_SERVICE_ID, SSM_SERVICE_ID};
use crate::resolve::SecretSource;
use coffer_copilot::ecs::SecretRequest;
use coffer_copilot::ecs::asm::{self, SmParams};
use coffer_copilot::ecs::ssm::{self as ecs_ssm, SsmBatch};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// The label a Secrets Manager reference without a stage or version id reads.
const CURRENT: &str = "AWSCURRENT";

/// What a reference resolves to; never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Version {
    /// An SSM parameter's `Version`.
    Parameter(i64),
    /// A secret's `VersionId`.
    Secret(String),
}

/// Per reference `(valueFrom, region)`, the version it resolves to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Versions(BTreeMap<(String, String), Version>);

impl Versions {
    pub(crate) fn insert_parameter(&mut self, value_from: &str, region: &str, version: i64) {
        self.0.insert((value_from.to_owned(), region.to_owned()), Version::Parameter(version));
    }

    pub(crate) fn insert_secret(&mut self, value_from: &str, region: &str, version_id: String) {
        self.0.insert((value_from.to_owned(), region.to_owned()), Version::Secret(version_id));
    }

    /// The references (their `valueFrom`) whose version in `newer` differs from this one's,
    /// counting only those `newer` knows (a reference that could not be read has not changed).
    pub fn changed_in(&self, newer: &Versions) -> Vec<String> {
        let mut out: Vec<String> = newer
            .0
            .iter()
            .filter(|(key, version)| self.0.get(key) != Some(version))
            .map(|((value_from, _), _)| value_from.clone())
            .collect();
        out.dedup();
        out
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One look at the versions of a container's references.
#[derive(Debug, Default)]
pub struct VersionCheck {
    /// Of every reference that could be read.
    pub versions: Versions,
    /// Why the others could not, in the agent's words.
    pub failures: Vec<String>,
    /// Whether any failure is an `AccessDeniedException`.
    pub access_denied: bool,
}

impl VersionCheck {
    fn fail(&mut self, failure: String, access_denied: bool) {
        self.access_denied |= access_denied;
        self.failures.push(failure);
    }
}

/// Checks versions again and again as one identity, remembering the secrets it may not
/// `DescribeSecret` (so a denied call is made once per secret, not once per interval).
#[derive(Default)]
pub struct VersionWatch {
    describe_denied: Mutex<HashSet<(String, String)>>,
}

/// The references to one secret in one region, by staging label.
struct SecretGroup {
    region: String,
    secret_id: String,
    /// `(valueFrom, stage)`.
    references: Vec<(String, String)>,
    /// Known to be refused `DescribeSecret`: go straight to `GetSecretValue`.
    describe_denied: bool,
}

/// A version id, or why there is none (in the agent's words, and whether access was denied).
type Lookup = Result<String, (String, bool)>;

enum Outcome {
    Ssm(SsmBatch, Result<crate::resolve::ParameterVersions, ClientError>),
    /// Versions by `valueFrom`, failures, and whether `DescribeSecret` was refused.
    Sm(SecretGroup, Vec<(String, Lookup)>, bool),
}

impl VersionWatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// The versions of every reference of `requests` (already classified), all calls in
    /// parallel.
    pub async fn check(&self, source: Arc<dyn SecretSource>, requests: &[SecretRequest]) -> VersionCheck {
        let mut out = VersionCheck::default();
        let mut tasks = tokio::task::JoinSet::new();
        for batch in ecs_ssm::plan_ssm_batches(requests) {
            let source = source.clone();
            tasks.spawn(async move {
                let fetched = source.parameter_versions(&batch.region, batch.names.clone()).await;
                Outcome::Ssm(batch, fetched)
            });
        }
        let plan = asm::plan_sm_requests(requests);
        for failure in plan.failures {
            out.fail(failure, false);
        }
        let mut groups: Vec<SecretGroup> = Vec::new();
        {
            let denied = self.describe_denied.lock().unwrap_or_else(|e| e.into_inner());
            for request in plan.requests {
                let params = request.params;
                if let Some(id) = params.version_id {
                    // A version's value never changes.
                    out.versions.insert_secret(&request.value_from, &request.region, id);
                    continue;
                }
                let stage = params.version_stage.unwrap_or_else(|| CURRENT.to_owned());
                match groups.iter_mut().find(|g| g.region == request.region && g.secret_id == params.secret_id) {
                    Some(g) => g.references.push((request.value_from, stage)),
                    None => groups.push(SecretGroup {
                        describe_denied: denied.contains(&(request.region.clone(), params.secret_id.clone())),
                        region: request.region,
                        secret_id: params.secret_id,
                        references: vec![(request.value_from, stage)],
                    }),
                }
            }
        }
        for group in groups {
            let source = source.clone();
            tasks.spawn(async move {
                let (versions, refused) = secret_versions(source.as_ref(), &group).await;
                Outcome::Sm(group, versions, refused)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Outcome::Ssm(batch, fetched)) => match fetched {
                    Ok(f) => match ecs_ssm::match_ssm_results(&batch, &f.parameters, &f.invalid) {
                        Ok(found) => {
                            for (name, version) in found {
                                out.versions.insert_parameter(&name, &batch.region, version);
                            }
                        }
                        Err(e) => out.fail(ecs_ssm::ssm_fetch_failure(&batch.region, &e), false),
                    },
                    Err(e) => out.fail(
                        ecs_ssm::ssm_fetch_failure(&batch.region, &e.sdk_text(SSM_SERVICE_ID, "GetParameters")),
                        e.is_access_denied(),
                    ),
                },
                Ok(Outcome::Sm(group, versions, refused)) => {
                    if refused {
                        let mut denied = self.describe_denied.lock().unwrap_or_else(|e| e.into_inner());
                        denied.insert((group.region.clone(), group.secret_id.clone()));
                    }
                    for (value_from, version) in versions {
                        match version {
                            Ok(id) => out.versions.insert_secret(&value_from, &group.region, id),
                            Err((failure, denied)) => out.fail(failure, denied),
                        }
                    }
                }
                Err(e) => out.fail(format!("internal error: a version check failed: {e}"), false),
            }
        }
        out.failures.sort();
        out.failures.dedup();
        out
    }
}

/// The version of each reference of `group`, and whether `DescribeSecret` was refused.
async fn secret_versions(source: &dyn SecretSource, group: &SecretGroup) -> (Vec<(String, Lookup)>, bool) {
    let api_failure = |e: &ClientError, operation: &str| {
        let sdk = e.sdk_text(SM_SERVICE_ID, operation);
        let detail = asm::sm_api_failure_detail(&group.secret_id, e.code().unwrap_or_default(), &sdk);
        (asm::sm_fetch_failure(&group.region, &detail), e.is_access_denied())
    };
    let mut refused = false;
    if !group.describe_denied {
        match source.secret_version_stages(&group.region, &group.secret_id).await {
            Ok(stages) => {
                let versions = group
                    .references
                    .iter()
                    .map(|(value_from, stage)| {
                        let found = stages.iter().find(|(_, labels)| labels.contains(stage));
                        let version = found.map(|(id, _)| id.clone()).ok_or_else(|| {
                            let detail =
                                format!("secret {} has no version with staging label {stage}", group.secret_id);
                            (asm::sm_fetch_failure(&group.region, &detail), false)
                        });
                        (value_from.clone(), version)
                    })
                    .collect();
                return (versions, false);
            }
            Err(e) if e.is_access_denied() => refused = true,
            Err(e) => {
                let failure = api_failure(&e, "DescribeSecret");
                return (group.references.iter().map(|(v, _)| (v.clone(), Err(failure.clone()))).collect(), false);
            }
        }
    }
    // GetSecretValue once per stage; the value is dropped here, unread.
    let mut by_stage: Vec<(String, Lookup)> = Vec::new();
    let mut versions = Vec::new();
    for (value_from, stage) in &group.references {
        if let Some((_, v)) = by_stage.iter().find(|(s, _)| s == stage) {
            versions.push((value_from.clone(), v.clone()));
            continue;
        }
        let params = SmParams {
            secret_id: group.secret_id.clone(),
            json_key: None,
            version_stage: Some(stage.clone()),
            version_id: None,
        };
        let v = match source.get_secret_value(&group.region, &params).await {
            Ok(fetched) => Ok(fetched.version_id),
            Err(e) => Err(api_failure(&e, "GetSecretValue")),
        };
        by_stage.push((stage.clone(), v.clone()));
        versions.push((value_from.clone(), v));
    }
    (versions, refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{FetchedParameters, FetchedSecret, ParameterVersions, Tags};
    use crate::test_support::denied;
    use async_trait::async_trait;
    use coffer_aws::secret::SecretString;
    use coffer_copilot::ecs::Provider;
    use coffer_copilot::ecs::ssm::SsmParameter;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source whose secrets refuse `DescribeSecret` unless `describe` is set; counts calls.
    #[derive(Default)]
    struct Fake {
        describe: bool,
        describes: AtomicUsize,
        gets: AtomicUsize,
        version: AtomicUsize,
    }

    #[async_trait]
    impl SecretSource for Fake {
        fn principal_arn(&self) -> String {
            "arn:aws:sts::1:assumed-role/r/s".into()
        }

        async fn get_parameters(&self, _: &str, _: Vec<String>) -> Result<FetchedParameters, ClientError> {
            unreachable!("a version check reads no value")
        }

        async fn get_secret_value(&self, _: &str, params: &SmParams) -> Result<FetchedSecret, ClientError> {
            self.gets.fetch_add(1, Ordering::SeqCst);
            if params.secret_id.ends_with("gone") {
                return Err(denied());
            }
            let v = self.version.load(Ordering::SeqCst);
            Ok(FetchedSecret {
                secret_string: Some(SecretString::from("dropped".to_owned())),
                version_id: format!("{}-{v}", params.version_stage.as_deref().unwrap_or("?")),
            })
        }

        async fn parameter_versions(&self, _: &str, names: Vec<String>) -> Result<ParameterVersions, ClientError> {
            let (invalid, found): (Vec<String>, Vec<String>) =
                names.into_iter().partition(|n| n.starts_with("missing"));
            let v = i64::try_from(self.version.load(Ordering::SeqCst)).unwrap();
            let parameters =
                found.into_iter().map(|name| SsmParameter { name, arn: None, selector: None, value: v }).collect();
            Ok(ParameterVersions { parameters, invalid })
        }

        async fn secret_version_stages(&self, _: &str, _: &str) -> Result<Vec<(String, Vec<String>)>, ClientError> {
            self.describes.fetch_add(1, Ordering::SeqCst);
            if !self.describe {
                return Err(denied());
            }
            let v = self.version.load(Ordering::SeqCst);
            Ok(vec![(format!("id-{v}"), vec![CURRENT.to_owned()]), ("old".to_owned(), vec!["AWSPREVIOUS".to_owned()])])
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

    fn refs() -> Vec<SecretRequest> {
        vec![
            req("P", "/p", Provider::Ssm),
            req("A", &format!("{SM}a"), Provider::SecretsManager),
            req("AK", &format!("{SM}a:k::"), Provider::SecretsManager),
            req("AP", &format!("{SM}a::AWSPREVIOUS:"), Provider::SecretsManager),
            req("PIN", &format!("{SM}b:::pinned-id"), Provider::SecretsManager),
        ]
    }

    #[tokio::test]
    async fn describe_secret_once_per_secret_and_a_change_is_seen() {
        let fake = Arc::new(Fake { describe: true, ..Fake::default() });
        let watch = VersionWatch::new();
        let first = watch.check(fake.clone(), &refs()).await;
        assert!(first.failures.is_empty(), "{first:?}");
        assert_eq!(first.versions.len(), 5);
        assert_eq!(fake.describes.load(Ordering::SeqCst), 1, "one DescribeSecret for the three references to a");
        assert_eq!(fake.gets.load(Ordering::SeqCst), 0);
        let again = watch.check(fake.clone(), &refs()).await;
        assert!(first.versions.changed_in(&again.versions).is_empty());
        fake.version.store(1, Ordering::SeqCst);
        let later = watch.check(fake.clone(), &refs()).await;
        // AWSPREVIOUS stayed on "old"; the pinned version cannot change.
        assert_eq!(first.versions.changed_in(&later.versions), ["/p", &format!("{SM}a"), &format!("{SM}a:k::")]);
    }

    #[tokio::test]
    async fn a_refused_describe_falls_back_to_get_secret_value_and_is_remembered() {
        let fake = Arc::new(Fake::default());
        let watch = VersionWatch::new();
        let first = watch.check(fake.clone(), &refs()).await;
        assert!(first.failures.is_empty(), "{first:?}");
        assert_eq!(fake.describes.load(Ordering::SeqCst), 1);
        assert_eq!(fake.gets.load(Ordering::SeqCst), 2, "one per stage of a: AWSCURRENT and AWSPREVIOUS");
        watch.check(fake.clone(), &refs()).await;
        assert_eq!(fake.describes.load(Ordering::SeqCst), 1, "not asked again");
        assert_eq!(fake.gets.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn unreadable_references_are_failures_not_changes() {
        let fake = Arc::new(Fake::default());
        let watch = VersionWatch::new();
        let before = watch.check(fake.clone(), &refs()).await;
        let mut more = refs();
        more.push(req("M", "missing-x", Provider::Ssm));
        more.push(req("G", &format!("{SM}gone"), Provider::SecretsManager));
        let check = watch.check(fake.clone(), &more).await;
        assert_eq!(check.failures.len(), 2, "{check:?}");
        assert!(check.access_denied);
        assert!(check.failures.iter().any(|f| f.ends_with("invalid parameters: missing-x")), "{check:?}");
        assert!(before.versions.changed_in(&check.versions).is_empty());
    }
}
