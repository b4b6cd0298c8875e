//! AssumeRole: temporary credentials (`ASIA…`, a secret, a session token) for a role whose
//! trust policy admits the caller.

use super::{Sts, assume_role_denied};
use crate::RequestContext;
use crate::constraints::{At, Constrained, Pattern, Str, Violations};
use crate::context::{Principal, ResourceFacts};
use crate::error::OpResult;
use crate::operation::StsOperation;
use crate::query::{Params, Xml, validation};
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_aws::{Arn, Timestamp};
use coffer_store::credentials::{generate_access_key_id, generate_secret_access_key};
use coffer_store::iam::{NewAccessKey, PrincipalKind, generate_session_token, session_token_hash};

pub const MIN_DURATION: i64 = 900;
pub const MAX_DURATION: i64 = 43_200;
pub const DEFAULT_DURATION: i64 = 3600;
/// A session that assumes another role (role chaining) gets at most an hour.
pub const CHAINED_MAX_DURATION: i64 = 3600;
/// Expired session keys are kept this long (so their use is answered `ExpiredToken`), then
/// purged as new sessions are made.
const EXPIRED_SESSION_RETENTION_MS: i64 = 86_400_000;
/// AssumeRole's `Policy` (the model's length limit).
const MAX_SESSION_POLICY: usize = 2048;

#[derive(Clone, Debug, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<i64>,
    /// Offered to the trust policy as `sts:ExternalId`.
    pub external_id: Option<String>,
    /// The inline session policy: the session may do only what it and the role allow.
    pub policy: Option<String>,
    /// Managed session policies are refused (Coffer has no managed policies; ignoring them
    /// would hand out broader credentials than the caller asked for).
    pub policy_arns: Vec<String>,
    /// Session tags are accepted and ignored: the session carries the role's tags only.
    pub tags: Vec<(String, String)>,
}

impl AssumeRoleInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self {
            role_arn: p.required("RoleArn")?.to_owned(),
            role_session_name: p.required("RoleSessionName")?.to_owned(),
            duration_seconds: p.integer("DurationSeconds")?,
            external_id: p.optional("ExternalId").map(str::to_owned),
            policy: p.optional("Policy").map(str::to_owned),
            policy_arns: p.structs("PolicyArns").into_iter().filter_map(|mut m| m.remove("arn")).collect(),
            tags: p.tags("Tags"),
        })
    }
}

/// Temporary credentials. Debug hides the secret and the token.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: SecretString,
    pub expiration: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedRoleUser {
    /// `<role unique id>:<session name>`
    pub assumed_role_id: String,
    /// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`
    pub arn: String,
}

#[derive(Clone, Debug)]
pub struct AssumeRoleOutput {
    pub credentials: Credentials,
    pub assumed_role_user: AssumedRoleUser,
}

impl AssumeRoleOutput {
    pub fn write(&self, x: &mut Xml) {
        let c = &self.credentials;
        x.node("AssumedRoleUser", |x| {
            x.leaf("AssumedRoleId", &self.assumed_role_user.assumed_role_id).leaf("Arn", &self.assumed_role_user.arn);
        })
        .node("Credentials", |x| {
            x.leaf("AccessKeyId", &c.access_key_id)
                .leaf("SecretAccessKey", c.secret_access_key.expose_secret())
                .leaf("SessionToken", c.session_token.expose_secret())
                .date("Expiration", c.expiration);
        });
    }
}

const ROLE_SESSION_NAME: Str = Str::len(2, 64).pattern(Pattern {
    text: r"[\w+=,.@-]*",
    test: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)),
});
const EXTERNAL_ID: Str = Str::len(2, 1224).pattern(Pattern {
    text: r"[\w+=,.@:\/-]*",
    test: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c)),
});

impl Constrained for AssumeRoleInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("roleArn"), Some(&self.role_arn), Str::len(20, 2048));
        v.string(at.member("roleSessionName"), Some(&self.role_session_name), ROLE_SESSION_NAME);
        v.range(at.member("durationSeconds"), self.duration_seconds, MIN_DURATION, MAX_DURATION);
        v.string(at.member("externalId"), self.external_id.as_deref(), EXTERNAL_ID);
        v.string(at.member("policy"), self.policy.as_deref(), Str::len(1, MAX_SESSION_POLICY));
        crate::iam::constraints::tags(at, v, &self.tags);
    }
}

fn validate(input: &AssumeRoleInput) -> OpResult<i64> {
    input.check_query()?;
    let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
    if let Some(policy) = &input.policy
        && coffer_policy::Policy::parse(policy, coffer_policy::PolicyKind::Identity).is_err()
    {
        return Err(crate::iam::errors::policy_syntax().into());
    }
    if !input.policy_arns.is_empty() {
        return Err(validation(
            "Managed session policies (PolicyArns) are not supported: Coffer has no managed policies. Pass the session policy inline with Policy.",
        )
        .into());
    }
    Ok(duration)
}

/// `role/<path…>/<name>` → (`/<path…>/`, `<name>`).
fn split_role_resource(resource: &str) -> Option<(String, &str)> {
    let rest = resource.strip_prefix("role/")?;
    let (dirs, name) = match rest.rsplit_once('/') {
        Some((dirs, name)) => (format!("/{dirs}/"), name),
        None => ("/".to_owned(), rest),
    };
    (!name.is_empty()).then_some((dirs, name))
}

impl Sts {
    pub async fn assume_role(&self, ctx: &RequestContext, input: AssumeRoleInput) -> OpResult<AssumeRoleOutput> {
        let duration = validate(&input)?;
        if !input.tags.is_empty() {
            tracing::debug!(count = input.tags.len(), "AssumeRole: session tags ignored");
        }
        let caller = ctx.principal_arn.as_str();
        let denied = || assume_role_denied(caller, &input.role_arn);
        // FIXME(compat): AWS refuses AssumeRole from root credentials ("Roles may not be assumed
        // by root accounts."). Coffer lets its root assume a role whose trust policy admits the
        // account, so a one-person setup can run `coffer run` as an environment's execution role
        // without first creating an IAM user.
        let arn = Arn::parse(&input.role_arn).map_err(|_| validation("Request ARN is invalid"))?;
        // Refused by an identity policy, the answer is the same as for a refusing trust policy.
        let identity_denied = |_| denied();
        // A role that does not exist is denied like one whose trust policy refuses, as in AWS.
        let role = match (arn.service, split_role_resource(arn.resource)) {
            ("iam", Some((path, name))) => {
                self.store.iam_principal(arn.account, PrincipalKind::Role, name).await?.filter(|r| r.path == path)
            }
            _ => None,
        };
        let Some(role) = role else {
            ctx.authorize(StsOperation::AssumeRole.action(), &input.role_arn).map_err(identity_denied)?;
            return Err(denied().into());
        };
        // Identity policies may test the role's tags (`aws:ResourceTag/…`).
        let tags = if ctx.needs_resource_facts() { self.store.iam_tags(role.id).await? } else { Vec::new() };
        let facts = ResourceFacts { tags: &tags, ..ResourceFacts::default() };
        ctx.authorize_with(StsOperation::AssumeRole.action(), &input.role_arn, &facts).map_err(identity_denied)?;
        if !super::trust::admits(role.trust_policy.as_deref().unwrap_or(""), caller, input.external_id.as_deref()) {
            return Err(denied().into());
        }
        let max = role.max_session_seconds.unwrap_or(DEFAULT_DURATION);
        if matches!(ctx.principal, Principal::AssumedRole { .. })
            && input.duration_seconds.is_some()
            && duration > CHAINED_MAX_DURATION
        {
            return Err(validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            )
            .into());
        }
        if duration > max {
            return Err(
                validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.").into()
            );
        }

        let credentials = self
            .issue_session(&role, &input.role_session_name, duration, input.policy.as_deref())
            .await?
            .ok_or_else(denied)?;
        Ok(AssumeRoleOutput {
            credentials,
            assumed_role_user: AssumedRoleUser {
                assumed_role_id: format!("{}:{}", role.unique_id, input.role_session_name),
                arn: format!(
                    "arn:{}:sts::{}:assumed-role/{}/{}",
                    arn.partition, role.account, role.name, input.role_session_name
                ),
            },
        })
    }
}

impl Sts {
    /// Temporary credentials of a session `session_name` of `role`, valid `duration` seconds
    /// (an inline session `policy` limits them further). `None` when the role was deleted
    /// meanwhile.
    async fn issue_session(
        &self,
        role: &coffer_store::iam::PrincipalRecord,
        session_name: &str,
        duration: i64,
        policy: Option<&str>,
    ) -> OpResult<Option<Credentials>> {
        let access_key_id = generate_access_key_id("ASIA");
        let secret_access_key = generate_secret_access_key();
        let session_token = generate_session_token()?;
        let now = Timestamp::now();
        let expiration = Timestamp(now.millis() + duration * 1000);
        let mut tx = self.store.begin().await?;
        // The role must still exist when its session is recorded.
        let Some(role) =
            tx.iam_lock_principal(&role.account, PrincipalKind::Role, &role.name).await?.filter(|r| r.id == role.id)
        else {
            return Ok(None);
        };
        tx.iam_purge_sessions(Timestamp(now.millis() - EXPIRED_SESSION_RETENTION_MS)).await?;
        tx.iam_insert_access_key(&NewAccessKey {
            account: &role.account,
            access_key_id: &access_key_id,
            principal_id: Some(role.id),
            status: "Active",
            created: now,
            secret_access_key: &secret_access_key,
            expires: Some(expiration),
            session_token_hash: Some(&session_token_hash(session_token.expose_secret())),
            session_name: Some(session_name),
            session_policy: policy,
        })
        .await?;
        tx.commit().await?;
        tracing::info!(access_key_id = %access_key_id, role = %role.arn, session = %session_name, "issued role session");
        Ok(Some(Credentials { access_key_id, secret_access_key, session_token, expiration }))
    }

    /// Credentials Coffer itself gets for a role a rotation function acts as, as Lambda gets
    /// its function's execution role: no caller and no trust policy are involved. `None` when
    /// no such role exists.
    pub async fn service_session(
        &self,
        role_arn: &str,
        session_name: &str,
        duration: i64,
    ) -> OpResult<Option<Credentials>> {
        let Ok(arn) = Arn::parse(role_arn) else { return Ok(None) };
        let role = match (arn.service, split_role_resource(arn.resource)) {
            ("iam", Some((path, name))) => {
                self.store.iam_principal(arn.account, PrincipalKind::Role, name).await?.filter(|r| r.path == path)
            }
            _ => None,
        };
        match role {
            Some(role) => self.issue_session(&role, session_name, duration, None).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_role_paths() {
        assert_eq!(split_role_resource("role/r"), Some(("/".to_owned(), "r")));
        assert_eq!(split_role_resource("role/a/b/r"), Some(("/a/b/".to_owned(), "r")));
        assert_eq!(split_role_resource("role/"), None);
        assert_eq!(split_role_resource("user/u"), None);
    }
}
