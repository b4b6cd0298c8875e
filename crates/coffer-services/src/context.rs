//! Who is asking, where, and whether they may.

use coffer_aws::Scope;
use coffer_policy::Denial;
use std::sync::{Arc, Mutex};

/// What policies may condition on besides the action and the resource ARN: the resource's
/// tags (`<service>:ResourceTag/<k>`, `aws:ResourceTag/<k>`), its resource policy, and what
/// the request itself carries.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResourceFacts<'a> {
    pub tags: &'a [(String, String)],
    pub resource_policy: Option<&'a str>,
    pub request: RequestFacts<'a>,
}

impl<'a> ResourceFacts<'a> {
    /// A resource with no tags or policy (yet), acted on by `request`.
    pub fn of_request(request: RequestFacts<'a>) -> Self {
        Self { request, ..Self::default() }
    }
}

/// What policies may condition on in the request: service-specific keys such as
/// `secretsmanager:VersionStage` or `ssm:Overwrite`, and the tags it sets or removes.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestFacts<'a> {
    pub keys: &'a [(&'a str, &'a str)],
    pub tags: RequestTags<'a>,
}

impl<'a> RequestFacts<'a> {
    pub fn keys(keys: &'a [(&'a str, &'a str)]) -> Self {
        Self { keys, ..Self::default() }
    }

    pub fn tags(tags: RequestTags<'a>) -> Self {
        Self { tags, ..Self::default() }
    }
}

/// Tags in a request, for `aws:RequestTag/<key>` and `aws:TagKeys`.
#[derive(Clone, Copy, Debug, Default)]
pub enum RequestTags<'a> {
    /// The request sets no tags: both keys are absent.
    #[default]
    None,
    /// Tags set (on create, or by a tagging action): `aws:RequestTag/<key>` for each, and their
    /// keys as `aws:TagKeys`.
    Set(&'a [(String, String)]),
    /// Tag keys removed (an untagging action): `aws:TagKeys` only.
    Removed(&'a [String]),
}

impl<'a> RequestTags<'a> {
    /// The tags a creating request sets: none at all when the list is empty.
    pub fn set(tags: &'a [(String, String)]) -> Self {
        if tags.is_empty() { Self::None } else { Self::Set(tags) }
    }
}

/// Decides whether the caller may perform `action` on `resource`.
pub trait Authorizer: Send + Sync + std::fmt::Debug {
    fn authorize(&self, action: &str, resource: &str, facts: &ResourceFacts<'_>) -> Result<(), Denial>;

    /// Whether decisions can depend on resource facts; when not, operations skip loading them.
    fn uses_resource_facts(&self) -> bool {
        true
    }
}

/// The account root: allowed everything, like AWS's root user.
#[derive(Debug, Default)]
pub struct RootAuthorizer;

impl Authorizer for RootAuthorizer {
    fn authorize(&self, _: &str, _: &str, _: &ResourceFacts<'_>) -> Result<(), Denial> {
        Ok(())
    }

    fn uses_resource_facts(&self) -> bool {
        false
    }
}

/// One request: who makes it, where, and what it was authorized against so far. Owned by the
/// request's [`Invocation`](crate::invoke::Invocation), which hands the resources to the audit
/// record when the operation returns.
#[derive(Debug)]
pub struct RequestContext {
    pub scope: Scope,
    /// ARN of the authenticated caller (recorded as `LastModifiedUser`).
    pub principal_arn: String,
    pub request_id: String,
    pub authorizer: Arc<dyn Authorizer>,
    /// Who the caller is (GetUser / GetCallerIdentity / CreateAccessKey without a user name).
    pub principal: Principal,
    /// The access key id the request was signed with (`None` in-process).
    pub access_key_id: Option<String>,
    /// Every resource ARN this request was authorized against, for the audit record.
    resources: Mutex<Vec<String>>,
}

/// The authenticated identity behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The account root.
    Root,
    /// An IAM user: `id` is its `AIDA…` unique id, `arn` its IAM ARN (with path).
    User { name: String, id: String, arn: String },
    /// An STS session of a role: `role_id` is the role's `AROA…` unique id.
    AssumedRole { role_name: String, role_id: String, role_arn: String, session_name: String },
}

impl Principal {
    /// The caller's ARN as AWS reports it: `…:root`, the user's IAM ARN, or
    /// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`.
    pub fn arn(&self, partition: &str, account: &str) -> String {
        match self {
            Principal::Root => format!("arn:{partition}:iam::{account}:root"),
            Principal::User { arn, .. } => arn.clone(),
            Principal::AssumedRole { role_name, session_name, .. } => {
                format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}")
            }
        }
    }

    /// GetCallerIdentity's `UserId`: the account id for the root, the user's unique id, or
    /// `<role unique id>:<session name>`.
    pub fn user_id(&self, account: &str) -> String {
        match self {
            Principal::Root => account.to_owned(),
            Principal::User { id, .. } => id.clone(),
            Principal::AssumedRole { role_id, session_name, .. } => format!("{role_id}:{session_name}"),
        }
    }

    /// The identity an access key (as the store returns it) authenticates.
    pub fn from_access_key(key: &coffer_store::iam::AccessKeyRecord) -> Self {
        use coffer_store::iam::PrincipalKind;
        match &key.principal {
            None => Principal::Root,
            Some(p) => match (p.kind, &key.session_name) {
                (PrincipalKind::Role, Some(session)) => Principal::AssumedRole {
                    role_name: p.name.clone(),
                    role_id: p.unique_id.clone(),
                    role_arn: p.arn.clone(),
                    session_name: session.clone(),
                },
                // A role has no long-term keys; a key without a session is its user's.
                _ => Principal::User { name: p.name.clone(), id: p.unique_id.clone(), arn: p.arn.clone() },
            },
        }
    }
}

impl RequestContext {
    /// A request made by the account root in `scope`.
    pub fn root(scope: Scope, request_id: impl Into<String>) -> Self {
        let principal_arn = format!("arn:{}:iam::{}:root", scope.partition(), scope.account);
        Self {
            scope,
            principal_arn,
            request_id: request_id.into(),
            authorizer: Arc::new(RootAuthorizer),
            principal: Principal::Root,
            access_key_id: None,
            resources: Mutex::default(),
        }
    }

    /// The same request made by `principal` (sets `principal_arn` to its ARN).
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal_arn = principal.arn(self.scope.partition(), &self.scope.account);
        self.principal = principal;
        self
    }

    pub fn with_access_key_id(mut self, access_key_id: impl Into<String>) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self
    }

    pub fn with_authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// Authorizes an action on a resource that has no tags or policy (yet).
    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), Denial> {
        self.authorize_with(action, resource, &ResourceFacts::default())
    }

    /// Authorizes an action on an existing resource, with what policies may test about it.
    pub fn authorize_with(&self, action: &str, resource: &str, facts: &ResourceFacts<'_>) -> Result<(), Denial> {
        if let Ok(mut seen) = self.resources.lock()
            && !seen.iter().any(|r| r == resource)
        {
            seen.push(resource.to_owned());
        }
        self.authorizer.authorize(action, resource, facts)
    }

    /// Whether operations should load resource tags and policies before authorizing.
    pub fn needs_resource_facts(&self) -> bool {
        self.authorizer.uses_resource_facts()
    }

    /// The resources this request was authorized against.
    pub fn into_resources(self) -> Vec<String> {
        self.resources.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
