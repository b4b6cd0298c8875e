//! Authorization with IAM policies: the caller's identity policies and, where a resource has
//! one, its resource policy, evaluated by `coffer_policy` as AWS evaluates them.

use crate::context::{Authorizer, Principal, RequestContext, RequestTags, ResourceFacts};
use coffer_aws::{Scope, Timestamp};
use coffer_policy::{self as policy, Denial, Policy, evaluate};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};

/// An authenticated caller and what its policies say, parsed once: per access key in the
/// server (which caches it), per role session in `coffer run`.
#[derive(Debug)]
pub struct Identity {
    pub principal: Principal,
    policies: Arc<Vec<Policy>>,
    /// An STS session's session policy: it limits what `policies` allow.
    session_policy: Option<Arc<Policy>>,
    tags: Arc<Vec<(String, String)>>,
}

impl Identity {
    /// The account root: allowed everything.
    pub fn root() -> Self {
        Self { principal: Principal::Root, policies: Arc::default(), session_policy: None, tags: Arc::default() }
    }

    /// `principal` with its stored inline policies `(name, document)` and its tags.
    pub fn new(principal: Principal, stored_policies: &[(String, String)], tags: Vec<(String, String)>) -> Self {
        Self {
            principal,
            policies: Arc::new(identity_policies(stored_policies)),
            session_policy: None,
            tags: Arc::new(tags),
        }
    }

    /// Limits an STS session to what its session policy allows too. A stored session policy
    /// that no longer parses allows nothing.
    pub fn with_session_policy(mut self, document: Option<&str>) -> Self {
        self.session_policy = document.map(|d| {
            Arc::new(Policy::parse(d, policy::PolicyKind::Identity).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "unparsable session policy: the session may do nothing");
                const DENY_ALL: &str =
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
                Policy::parse(DENY_ALL, policy::PolicyKind::Identity).expect("static policy")
            }))
        });
        self
    }

    /// The context of one request this identity makes in `scope`, from `network` (`None`
    /// in-process), authorized by its policies.
    pub fn context(&self, scope: Scope, request_id: impl Into<String>, network: Option<Network>) -> RequestContext {
        let ctx = RequestContext::root(scope, request_id).with_principal(self.principal.clone());
        if self.principal == Principal::Root {
            return ctx;
        }
        let mut authorizer =
            PolicyAuthorizer::new(&ctx.principal_arn, self.policies.clone(), self.tags.clone(), network);
        authorizer.session = self.session_policy.clone();
        ctx.with_authorizer(Arc::new(authorizer))
    }
}

/// Where a request came from, as the global condition keys see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    /// `aws:SourceIp`.
    pub source_ip: IpAddr,
    /// `aws:SecureTransport`: whether the request came over TLS.
    pub secure_transport: bool,
}

/// Decides for one authenticated, non-root principal.
#[derive(Debug)]
pub struct PolicyAuthorizer {
    identity: Arc<Vec<Policy>>,
    session: Option<Arc<Policy>>,
    principal: policy::Principal,
    principal_tags: Arc<Vec<(String, String)>>,
    network: Option<Network>,
}

impl PolicyAuthorizer {
    /// `principal_arn` is the caller's ARN (an assumed-role session ARN for STS credentials).
    pub fn new(
        principal_arn: &str,
        identity: Arc<Vec<Policy>>,
        principal_tags: Arc<Vec<(String, String)>>,
        network: Option<Network>,
    ) -> Self {
        Self { identity, session: None, principal: policy::Principal::aws(principal_arn), principal_tags, network }
    }
}

impl Authorizer for PolicyAuthorizer {
    fn authorize(&self, action: &str, resource: &str, facts: &ResourceFacts<'_>) -> Result<(), Denial> {
        let mut request = policy::RequestContext::new(action, resource)
            .with_principal(self.principal.clone())
            .with_principal_tags(self.principal_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .with_resource_tags(facts.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .with_current_time(Timestamp::now());
        if let Some(network) = self.network {
            request = request.with_source_ip(network.source_ip).with_secure_transport(network.secure_transport);
        }
        for (key, value) in facts.request.keys {
            request = request.with_key(key, *value);
        }
        request = match facts.request.tags {
            RequestTags::None => request,
            RequestTags::Set(tags) => request.with_request_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            RequestTags::Removed(keys) => request.with_values("aws:TagKeys", keys.iter().map(String::as_str)),
        };
        let resource_policy = facts.resource_policy.and_then(parsed_resource_policy);
        let evaluation = evaluate(&self.identity, resource_policy.as_deref(), &request);
        if evaluation.is_allowed() {
            let Some(session) = &self.session else { return Ok(()) };
            // The session may do what both its role's policies and its session policy allow.
            let limited = evaluate(std::slice::from_ref(session.as_ref()), None, &request);
            if limited.is_allowed() {
                return Ok(());
            }
            tracing::info!(action, resource, decision = %limited, "access denied by the session policy");
            let reason = if limited.decision == policy::Decision::ExplicitDeny {
                policy::DenialReason::ExplicitSessionDeny
            } else {
                policy::DenialReason::NoSessionAllow
            };
            let principal = self.principal.arn().unwrap_or("").to_owned();
            return Err(Denial { principal, action: action.to_owned(), resource: resource.to_owned(), reason });
        }
        tracing::info!(action, resource, decision = %evaluation, "access denied");
        Err(evaluation
            .denial(&request)
            .unwrap_or_else(|| Denial::implicit(self.principal.arn().unwrap_or(""), action, resource)))
    }
}

/// A stored resource policy, parsed once per distinct document: it is read with its secret on
/// every request, and parsing it each time would cost more than evaluating it. It was
/// validated on write; one that no longer parses grants nothing.
fn parsed_resource_policy(document: &str) -> Option<Arc<Policy>> {
    /// Distinct documents kept; past this the cache starts over (policies are few and small).
    const MAX: usize = 1024;
    static PARSED: LazyLock<Mutex<HashMap<String, Option<Arc<Policy>>>>> = LazyLock::new(Mutex::default);
    if let Some(parsed) = PARSED.lock().unwrap_or_else(|e| e.into_inner()).get(document) {
        return parsed.clone();
    }
    let parsed = Policy::parse(document, policy::PolicyKind::Resource).ok().map(Arc::new);
    let mut cache = PARSED.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= MAX {
        cache.clear();
    }
    cache.insert(document.to_owned(), parsed.clone());
    parsed
}

/// A principal's stored inline policies `(name, document)`, parsed. They were validated on
/// write; one that no longer parses grants nothing (and is logged by name).
fn identity_policies(stored: &[(String, String)]) -> Vec<Policy> {
    stored
        .iter()
        .filter_map(|(name, document)| match Policy::parse(document, policy::PolicyKind::Identity) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(policy = %name, error = %e, "ignoring unparsable stored policy");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_policies_are_parsed_once() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
        let first = parsed_resource_policy(doc).expect("a valid policy");
        let again = parsed_resource_policy(doc).expect("a valid policy");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(parsed_resource_policy("not a policy").is_none());
    }

    #[test]
    fn identities_authorize_with_their_policies() {
        let allow =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#;
        let principal =
            Principal::User { name: "jo".into(), id: "AIDAJO".into(), arn: "arn:aws:iam::000000000000:user/jo".into() };
        let jo = Identity::new(principal, &[("p".into(), allow.into())], Vec::new());
        let ctx = jo.context(Scope::new("000000000000", "us-east-1"), "r", None);
        assert_eq!(ctx.principal_arn, "arn:aws:iam::000000000000:user/jo");
        assert!(ctx.authorize("ssm:GetParameter", "arn:aws:ssm:us-east-1:000000000000:parameter/x").is_ok());
        let denied = ctx.authorize("ssm:PutParameter", "arn:aws:ssm:us-east-1:000000000000:parameter/x").unwrap_err();
        assert_eq!(
            denied.to_string(),
            "User: arn:aws:iam::000000000000:user/jo is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/x because no identity-based policy allows the ssm:PutParameter action"
        );
        let root = Identity::root().context(Scope::new("000000000000", "us-east-1"), "r", None);
        assert!(root.authorize("ssm:PutParameter", "*").is_ok());
    }
}
