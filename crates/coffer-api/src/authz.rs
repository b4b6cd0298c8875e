//! Authorization with IAM policies: the caller's identity policies and, where a resource has
//! one, its resource policy, evaluated by `coffer_core::policy` as AWS evaluates them.

use crate::context::{Authorizer, RequestContext, RequestTags, ResourceFacts};
use coffer_core::policy::{self, Policy, evaluate};
use coffer_core::{AwsError, MessageKey, Timestamp};
use std::net::IpAddr;
use std::sync::Arc;

/// Decides for one authenticated, non-root principal.
#[derive(Debug)]
pub struct PolicyAuthorizer {
    identity: Arc<Vec<Policy>>,
    principal: policy::Principal,
    principal_tags: Arc<Vec<(String, String)>>,
    source_ip: Option<IpAddr>,
}

impl PolicyAuthorizer {
    /// `principal_arn` is the caller's ARN (an assumed-role session ARN for STS credentials).
    pub fn new(
        principal_arn: &str,
        identity: Arc<Vec<Policy>>,
        principal_tags: Arc<Vec<(String, String)>>,
        source_ip: Option<IpAddr>,
    ) -> Self {
        Self { identity, principal: policy::Principal::aws(principal_arn), principal_tags, source_ip }
    }
}

impl Authorizer for PolicyAuthorizer {
    fn authorize(
        &self,
        _: &RequestContext,
        action: &str,
        resource: &str,
        facts: &ResourceFacts<'_>,
    ) -> Result<(), AwsError> {
        let mut request = policy::RequestContext::new(action, resource)
            .with_principal(self.principal.clone())
            .with_principal_tags(self.principal_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .with_resource_tags(facts.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .with_current_time(Timestamp::now());
        if let Some(ip) = self.source_ip {
            request = request.with_source_ip(ip);
        }
        for (key, value) in facts.request.keys {
            request = request.with_key(key, *value);
        }
        request = match facts.request.tags {
            RequestTags::None => request,
            RequestTags::Set(tags) => request.with_request_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            RequestTags::Removed(keys) => request.with_values("aws:TagKeys", keys.iter().map(String::as_str)),
        };
        // A stored resource policy was validated on write; one that no longer parses grants nothing.
        let resource_policy = facts.resource_policy.and_then(|p| Policy::parse(p, policy::PolicyKind::Resource).ok());
        let evaluation = evaluate(&self.identity, resource_policy.as_ref(), &request);
        if evaluation.is_allowed() {
            return Ok(());
        }
        tracing::info!(action, resource, decision = %evaluation, "access denied");
        let message = evaluation.access_denied_message(&request).unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource}",
                self.principal.arn().unwrap_or("")
            )
        });
        Err(AwsError::new("AccessDeniedException", MessageKey::Upper, message))
    }
}

/// A principal's stored inline policies `(name, document)`, parsed. They were validated on
/// write; one that no longer parses grants nothing (and is logged by name).
pub fn identity_policies(stored: &[(String, String)]) -> Vec<Policy> {
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

/// The policy engine's trust-policy check for `sts:AssumeRole`. The caller's identity side is
/// decided by the request's authorizer before this runs (AssumeRole authorizes
/// `sts:AssumeRole` on the role first), so here a trust policy that delegates to the caller's
/// account admits the caller as well as one that names the caller directly.
pub fn trust_check(trust_policy_json: &str, caller_arn: &str, _caller_account: &str) -> bool {
    const DELEGATED: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    let Ok(trust) = Policy::parse(trust_policy_json, policy::PolicyKind::Trust) else { return false };
    let Ok(delegated) = Policy::parse(DELEGATED, policy::PolicyKind::Identity) else { return false };
    let request = policy::RequestContext::assume_role(policy::Principal::aws(caller_arn), "*")
        .with_current_time(Timestamp::now());
    policy::evaluate_assume_role(&trust, std::slice::from_ref(&delegated), &request).is_allowed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policies() {
        let account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;
        assert!(trust_check(account, "arn:aws:iam::000000000000:user/alice", "000000000000"));
        assert!(trust_check(account, "arn:aws:iam::000000000000:root", "000000000000"));
        assert!(!trust_check(account, "arn:aws:iam::111111111111:user/mallory", "111111111111"));
        let service = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!trust_check(service, "arn:aws:iam::000000000000:user/alice", "000000000000"));
        assert!(!trust_check("not json", "arn:aws:iam::000000000000:root", "000000000000"));
    }
}
