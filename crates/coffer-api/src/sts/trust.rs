//! The built-in trust-policy check, until the policy engine decides trust policies.
//!
//! A statement admits the caller when its `Effect` is `Allow`, its `Action` matches
//! `sts:AssumeRole` (wildcards allowed) and its `Principal` is `"*"` or has an `AWS` entry
//! that is `*`, the caller's ARN, the caller's account root ARN or account id, or (for a role
//! session) the ARN of the role the session belongs to. A matching `Deny` refuses outright.
//! Conditions, `NotPrincipal` and `NotAction` are not evaluated: an `Allow` statement using
//! them admits no one, a `Deny` statement using them refuses everyone (fail closed).

use serde_json::Value;

/// See the module documentation.
pub fn default_trust_check(trust_policy_json: &str, caller_arn: &str, caller_account: &str) -> bool {
    let Ok(Value::Object(policy)) = serde_json::from_str::<Value>(trust_policy_json) else { return false };
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return false,
    };
    let candidates = caller_identities(caller_arn, caller_account);
    let mut allowed = false;
    for statement in statements {
        let Value::Object(st) = statement else { return false };
        let deny = match st.get("Effect").and_then(Value::as_str) {
            Some("Allow") => false,
            Some("Deny") => true,
            _ => return false,
        };
        let unevaluated = ["Condition", "NotPrincipal", "NotAction"].iter().any(|k| st.contains_key(*k));
        if unevaluated {
            if deny {
                return false;
            }
            continue;
        }
        let matches = st.get("Action").is_some_and(|a| strings(a).iter().any(|p| glob(p, "sts:AssumeRole")))
            && st.get("Principal").is_some_and(|p| principal_matches(p, &candidates));
        if matches {
            if deny {
                return false;
            }
            allowed = true;
        }
    }
    allowed
}

/// The identities a trust policy may name to admit the caller.
fn caller_identities(caller_arn: &str, caller_account: &str) -> Vec<String> {
    let partition = caller_arn.split(':').nth(1).filter(|p| !p.is_empty()).unwrap_or("aws");
    let mut ids =
        vec![caller_arn.to_owned(), format!("arn:{partition}:iam::{caller_account}:root"), caller_account.to_owned()];
    // arn:<p>:sts::<acct>:assumed-role/<role>/<session> is also admitted by the role's ARN.
    if let Some((role, _session)) =
        caller_arn.split(':').nth(5).and_then(|r| r.strip_prefix("assumed-role/")).and_then(|r| r.split_once('/'))
    {
        let account = caller_arn.split(':').nth(4).unwrap_or(caller_account);
        ids.push(format!("arn:{partition}:iam::{account}:role/{role}"));
    }
    ids
}

fn principal_matches(principal: &Value, candidates: &[String]) -> bool {
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => map
            .get("AWS")
            .is_some_and(|aws| strings(aws).iter().any(|p| *p == "*" || candidates.iter().any(|c| c == p))),
        _ => false,
    }
}

/// A string or an array of strings (anything else: nothing).
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// IAM action matching: case-insensitive, `*` any run, `?` any one character.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "arn:aws:iam::111111111111:user/alice";
    const ACCT: &str = "111111111111";

    fn trust(principal: &str, action: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":{action}}}]}}"#
        )
    }

    #[test]
    fn admits_named_principals() {
        assert!(default_trust_check(&trust(r#""*""#, r#""sts:AssumeRole""#), USER, ACCT));
        assert!(default_trust_check(&trust(r#"{"AWS":"*"}"#, r#""sts:*""#), USER, ACCT));
        assert!(default_trust_check(
            &trust(&format!(r#"{{"AWS":"{USER}"}}"#), r#"["s3:Get*","sts:assumerole"]"#),
            USER,
            ACCT
        ));
        assert!(default_trust_check(&trust(r#"{"AWS":"arn:aws:iam::111111111111:root"}"#, r#""*""#), USER, ACCT));
        assert!(default_trust_check(
            &trust(r#"{"AWS":["222222222222","111111111111"]}"#, r#""sts:Assume*""#),
            USER,
            ACCT
        ));
        let session = "arn:aws:sts::111111111111:assumed-role/builder/s1";
        assert!(default_trust_check(
            &trust(r#"{"AWS":"arn:aws:iam::111111111111:role/builder"}"#, r#""sts:AssumeRole""#),
            session,
            ACCT
        ));
        // A statement object instead of an array.
        let single = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}"#;
        assert!(default_trust_check(single, USER, ACCT));
    }

    #[test]
    fn refuses_everything_else() {
        assert!(!default_trust_check(
            &trust(r#"{"AWS":"arn:aws:iam::111111111111:user/bob"}"#, r#""sts:AssumeRole""#),
            USER,
            ACCT
        ));
        assert!(!default_trust_check(&trust(r#"{"AWS":"222222222222"}"#, r#""sts:AssumeRole""#), USER, ACCT));
        assert!(!default_trust_check(
            &trust(r#"{"Service":"ecs-tasks.amazonaws.com"}"#, r#""sts:AssumeRole""#),
            USER,
            ACCT
        ));
        assert!(!default_trust_check(&trust(r#""*""#, r#""sts:AssumeRoleWithWebIdentity""#), USER, ACCT));
        assert!(!default_trust_check("not json", USER, ACCT));
        assert!(!default_trust_check("{}", USER, ACCT));
        let with_condition = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#;
        assert!(!default_trust_check(with_condition, USER, ACCT));
        let denied = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:*"}]}"#;
        assert!(!default_trust_check(denied, USER, ACCT));
    }

    #[test]
    fn globs() {
        assert!(glob("sts:*", "sts:AssumeRole"));
        assert!(glob("*", "sts:AssumeRole"));
        assert!(glob("STS:ASSUME?OLE", "sts:AssumeRole"));
        assert!(!glob("sts:Assume", "sts:AssumeRole"));
        assert!(glob("s*:*Role", "sts:AssumeRole"));
    }
}
