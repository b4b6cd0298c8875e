//! Whether a role's trust policy admits a caller: decided by the policy engine, the same
//! evaluator that decides identity and resource policies (conditions, `NotPrincipal`,
//! explicit denies and all).

use coffer_aws::Timestamp;
use coffer_policy::{self as policy, Policy, PolicyKind};

/// The caller's identity side is decided by the request's authorizer before this runs
/// (AssumeRole authorizes `sts:AssumeRole` on the role first), so here a trust policy that
/// delegates to the caller's account admits the caller as well as one that names the caller
/// directly. A trust policy that no longer parses admits no one. The request's `ExternalId`
/// is the `sts:ExternalId` condition key.
pub(crate) fn admits(trust_policy_json: &str, caller_arn: &str, external_id: Option<&str>) -> bool {
    let Ok(trust) = Policy::parse(trust_policy_json, PolicyKind::Trust) else { return false };
    let mut request = policy::RequestContext::assume_role(policy::Principal::aws(caller_arn), "*")
        .with_current_time(Timestamp::now());
    if let Some(id) = external_id {
        request = request.with_key("sts:ExternalId", id);
    }
    policy::evaluate_assume_role(&trust, std::slice::from_ref(delegated()), &request).is_allowed()
}

/// The identity side as already granted: allows `sts:AssumeRole` on any role.
fn delegated() -> &'static Policy {
    static DELEGATED: std::sync::LazyLock<Policy> = std::sync::LazyLock::new(|| {
        const TEXT: &str =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
        Policy::parse(TEXT, PolicyKind::Identity).expect("static policy")
    });
    &DELEGATED
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "arn:aws:iam::111111111111:user/alice";

    fn admits_(trust: &str, caller: &str) -> bool {
        admits(trust, caller, None)
    }

    fn trust(principal: &str, action: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":{action}}}]}}"#
        )
    }

    #[test]
    fn admits_named_principals() {
        assert!(admits_(&trust(r#""*""#, r#""sts:AssumeRole""#), USER));
        assert!(admits_(&trust(r#"{"AWS":"*"}"#, r#""sts:*""#), USER));
        assert!(admits_(&trust(&format!(r#"{{"AWS":"{USER}"}}"#), r#"["s3:Get*","sts:assumerole"]"#), USER));
        assert!(admits_(&trust(r#"{"AWS":"arn:aws:iam::111111111111:root"}"#, r#""*""#), USER));
        assert!(admits_(&trust(r#"{"AWS":["222222222222","111111111111"]}"#, r#""sts:Assume*""#), USER));
        assert!(admits_(
            &trust(r#"{"AWS":"arn:aws:iam::111111111111:root"}"#, r#""sts:AssumeRole""#),
            "arn:aws:iam::111111111111:root"
        ));
        let session = "arn:aws:sts::111111111111:assumed-role/builder/s1";
        assert!(admits_(&trust(r#"{"AWS":"arn:aws:iam::111111111111:role/builder"}"#, r#""sts:AssumeRole""#), session));
        // A statement object instead of an array.
        let single =
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}"#;
        assert!(admits_(single, USER));
    }

    #[test]
    fn refuses_everything_else() {
        assert!(!admits_(&trust(r#"{"AWS":"arn:aws:iam::111111111111:user/bob"}"#, r#""sts:AssumeRole""#), USER));
        assert!(!admits_(&trust(r#"{"AWS":"222222222222"}"#, r#""sts:AssumeRole""#), USER));
        assert!(!admits_(&trust(r#"{"AWS":"arn:aws:iam::000000000000:root"}"#, r#""sts:AssumeRole""#), USER));
        assert!(!admits_(&trust(r#"{"Service":"ecs-tasks.amazonaws.com"}"#, r#""sts:AssumeRole""#), USER));
        assert!(!admits_(&trust(r#""*""#, r#""sts:AssumeRoleWithWebIdentity""#), USER));
        assert!(!admits_("not json", USER));
        assert!(!admits_("{}", USER));
        // A condition on a key the request does not carry is false.
        let with_condition = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#;
        assert!(!admits_(with_condition, USER));
        assert!(!admits(with_condition, USER, Some("y")), "another external id");
        assert!(admits(with_condition, USER, Some("x")));
        let denied = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:*"}]}"#;
        assert!(!admits_(denied, USER));
    }
}
