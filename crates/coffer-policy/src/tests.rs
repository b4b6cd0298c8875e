//! Behaviour of the policy engine as a whole: parsing errors, every condition operator,
//! the absent-key and set-qualifier rules, variables, evaluation order, principals, trust
//! policies and the exact execution-role policy Copilot generates.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use coffer_aws::time::Timestamp;

const ACCOUNT: &str = "000000000000";
const SESSION: &str = "arn:aws:sts::000000000000:assumed-role/demo-test-svc-ExecutionRole/7f0c1b";

fn identity(doc: Value) -> Policy {
    Policy::from_json(&doc, PolicyKind::Identity).unwrap_or_else(|e| panic!("{e} ({:?}) in {doc}", e.detail()))
}

fn resource_policy(doc: Value) -> Policy {
    Policy::from_json(&doc, PolicyKind::Resource).unwrap_or_else(|e| panic!("{e} ({:?}) in {doc}", e.detail()))
}

fn parse_err(doc: &str, kind: PolicyKind) -> PolicyError {
    Policy::parse(doc, kind).expect_err(doc)
}

fn allowed(policies: &[Policy], ctx: &RequestContext) -> bool {
    evaluate(policies, None, ctx).is_allowed()
}

/// A request whose only interesting part is its condition keys.
fn ctx() -> RequestContext {
    RequestContext::new("svc:Act", "arn:aws:svc:us-east-1:000000000000:thing/x")
}

/// Does an Allow-everything statement with this Condition block allow `ctx`?
fn holds(condition: Value, ctx: &RequestContext) -> bool {
    let p = identity(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}}),
    );
    allowed(&[p], ctx)
}

fn with(key: &str, value: &str) -> RequestContext {
    ctx().with_key(key, value)
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[test]
fn accepts_the_document_forms_aws_accepts() {
    let p = Policy::parse(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert_eq!(p.version(), None);
    assert_eq!(p.statements().len(), 1);
    let p = Policy::parse(
        r#"{"Version": "2008-10-17", "Id": "x", "Statement": [{"Sid": "A1", "Effect": "Deny", "NotAction": ["s3:*"], "NotResource": "arn:aws:s3:::b"}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert_eq!(p.version(), Some(PolicyVersion::V2008_10_17));
    assert_eq!(p.id(), Some("x"));
    assert_eq!(p.statements()[0].sid(), Some("A1"));
    assert_eq!(p.statements()[0].effect(), Effect::Deny);
    assert_eq!(p.require_current_version(), Err(PolicyError::VersionTooOld));
    assert_eq!(PolicyError::VersionTooOld.to_string(), "Policy document must be version 2012-10-17 or greater.");
    // Numbers and booleans are fine as condition values.
    identity(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": true}}}]}));
}

#[test]
fn rejects_malformed_documents_with_iam_messages() {
    use PolicyKind::*;
    let syntax = "Syntax errors in policy.";
    let cases: &[(&str, PolicyKind, &str)] = &[
        ("not json", Identity, syntax),
        ("[]", Identity, syntax),
        (r#"{"Version": "2012-10-17"}"#, Identity, syntax),
        (r#"{"Version": "2012-10-17", "Statement": []}"#, Identity, syntax),
        (
            r#"{"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*"}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Version": "2012-10-17", "Extra": 1, "Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*"}}"#,
            Identity,
            syntax,
        ),
        (r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Actions": "x"}}"#, Identity, syntax),
        (r#"{"Statement": {"Effect": "Permit", "Action": "a:b", "Resource": "*"}}"#, Identity, syntax),
        (r#"{"Statement": {"Action": "a:b", "Resource": "*"}}"#, Identity, syntax),
        (
            r#"{"Statement": {"Effect": "allow", "Action": "a:b", "Resource": "*"}}"#,
            Identity,
            "The policy failed legacy parsing",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "NotAction": "a:c", "Resource": "*"}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "NotResource": "*"}}"#,
            Identity,
            syntax,
        ),
        (r#"{"Statement": {"Effect": "Allow", "Action": 5, "Resource": "*"}}"#, Identity, syntax),
        (r#"{"Statement": {"Effect": "Allow", "Resource": "*"}}"#, Identity, "Policy statement must contain actions."),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}"#,
            Identity,
            "Policy statement must contain actions.",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b"}}"#,
            Identity,
            "Policy statement must contain resources.",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Principal": "*"}}"#,
            Identity,
            "Policy document should not specify a principal.",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*"}}"#,
            Resource,
            "Missing required field Principal",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}"#,
            Trust,
            "Missing required field Principal",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}}"#,
            Trust,
            "Has prohibited field Resource",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}}"#,
            Identity,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:a:b", "Resource": "*"}}"#,
            Identity,
            "Actions/Condition can contain only one colon.",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s 3:a", "Resource": "*"}}"#,
            Identity,
            "Vendor s 3 is not valid",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:a", "Resource": "bucket"}}"#,
            Identity,
            "Resource bucket must be in ARN format or \"*\".",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "alice"}, "Action": "a:b", "Resource": "*"}}"#,
            Resource,
            "Invalid principal in policy: \"AWS\":\"alice\"",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": {"Robot": "x"}, "Action": "a:b", "Resource": "*"}}"#,
            Resource,
            syntax,
        ),
        (
            r#"{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "a:b", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "a:b", "Resource": "*"}]}"#,
            Identity,
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            r#"{"Statement": {"Sid": "not ok", "Effect": "Allow", "Action": "a:b", "Resource": "*"}}"#,
            Identity,
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"NullIfExists": {"a:b": "true"}}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEquals": "a:b"}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEquals": {"a:b": {"x": 1}}}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEquals": {"nocolon": "x"}}}}"#,
            Identity,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}}}"#,
            Identity,
            "The policy failed legacy parsing",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}}"#,
            Identity,
            syntax,
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "maybe"}}}}"#,
            Identity,
            syntax,
        ),
    ];
    for (doc, kind, message) in cases {
        let err = parse_err(doc, *kind);
        assert_eq!(err.to_string(), *message, "{doc}");
    }
    // Generic messages keep the specific cause for logs.
    let err = parse_err(
        r#"{"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}}"#,
        PolicyKind::Identity,
    );
    assert!(err.detail().unwrap().contains("StringEqualz"), "{:?}", err.detail());
}

// ---------------------------------------------------------------------------------------------
// Action and resource matching

#[test]
fn actions_match_case_insensitively_with_wildcards() {
    let p = identity(
        json!({"Statement": {"Effect": "Allow", "Action": ["ssm:GetParameters", "secretsmanager:Get*", "kms:?ecrypt"], "Resource": "*"}}),
    );
    let ok = |action: &str| allowed(std::slice::from_ref(&p), &RequestContext::new(action, "*"));
    assert!(ok("ssm:GetParameters"));
    assert!(ok("SSM:getparameters"));
    assert!(ok("secretsmanager:GetSecretValue"));
    assert!(ok("SecretsManager:getresourcepolicy"));
    assert!(ok("kms:Decrypt"));
    assert!(!ok("kms:Encrypt"));
    assert!(!ok("ssm:GetParameter"));
    assert!(!ok("ssm:GetParametersByPath"));
    assert!(!ok("secretsmanager:PutSecretValue"));
}

#[test]
fn resources_match_case_sensitively_with_wildcards() {
    let p = identity(
        json!({"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "arn:aws:ssm:*:000000000000:parameter/copilot/demo/?est/*"}}),
    );
    let ok = |resource: &str| allowed(std::slice::from_ref(&p), &RequestContext::new("ssm:GetParameter", resource));
    assert!(ok("arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/test/secrets/db"));
    assert!(ok("arn:aws:ssm:eu-west-1:000000000000:parameter/copilot/demo/best/x"));
    assert!(!ok("arn:aws:ssm:us-east-1:000000000000:parameter/copilot/DEMO/test/secrets/db"));
    assert!(!ok("arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/tests/x"));
    assert!(!ok("arn:aws:ssm:us-east-1:111111111111:parameter/copilot/demo/test/x"));
}

#[test]
fn not_action_and_not_resource() {
    let p = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ssm:*", "NotResource": "arn:aws:ssm:*:*:parameter/public/*"}
    ]}));
    let ps = std::slice::from_ref(&p);
    assert!(allowed(
        ps,
        &RequestContext::new("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:1:secret:x")
    ));
    assert!(!allowed(ps, &RequestContext::new("iam:CreateUser", "*")));
    assert!(!allowed(ps, &RequestContext::new("IAM:createuser", "*")));
    assert!(allowed(ps, &RequestContext::new("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/public/motd")));
    let denied =
        evaluate(ps, None, &RequestContext::new("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/private/key"));
    assert_eq!(denied.decision, Decision::ExplicitDeny);
    assert_eq!(denied.decided_by.unwrap().statement, 1);
}

// ---------------------------------------------------------------------------------------------
// Condition operators, one by one

#[test]
fn string_operators() {
    let alice = with("aws:username", "alice");
    assert!(holds(json!({"StringEquals": {"aws:username": "alice"}}), &alice));
    assert!(holds(json!({"StringEquals": {"aws:username": ["bob", "alice"]}}), &alice));
    assert!(!holds(json!({"StringEquals": {"aws:username": "Alice"}}), &alice));
    assert!(!holds(json!({"StringEquals": {"aws:username": "ali*"}}), &alice), "StringEquals has no wildcards");
    assert!(holds(json!({"StringEquals": {"aws:username": "ali*"}}), &with("aws:username", "ali*")));

    assert!(holds(json!({"StringNotEquals": {"aws:username": ["bob", "carol"]}}), &alice));
    assert!(!holds(json!({"StringNotEquals": {"aws:username": ["bob", "alice"]}}), &alice), "NOR over values");

    assert!(holds(json!({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}), &alice));
    assert!(!holds(json!({"StringEqualsIgnoreCase": {"aws:username": "bob"}}), &alice));
    assert!(!holds(json!({"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}), &alice));
    assert!(holds(json!({"StringNotEqualsIgnoreCase": {"aws:username": "BOB"}}), &alice));

    assert!(holds(json!({"StringLike": {"aws:username": "ali*"}}), &alice));
    assert!(holds(json!({"StringLike": {"aws:username": "a?ice"}}), &alice));
    assert!(!holds(json!({"StringLike": {"aws:username": ["b*", "A*"]}}), &alice));
    assert!(holds(json!({"StringNotLike": {"aws:username": ["b*", "A*"]}}), &alice));
    assert!(!holds(json!({"StringNotLike": {"aws:username": ["b*", "a*"]}}), &alice));
}

#[test]
fn arn_operators_match_component_by_component() {
    let topic = with("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:my:topic");
    for op in ["ArnEquals", "ArnLike"] {
        assert!(holds(json!({op: {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:my:topic"}}), &topic));
        assert!(holds(json!({op: {"aws:SourceArn": "arn:aws:sns:*:123456789012:my:*"}}), &topic));
        assert!(holds(json!({op: {"aws:SourceArn": "arn:aws:sn?:us-east-1:*:*"}}), &topic));
        assert!(!holds(json!({op: {"aws:SourceArn": "arn:aws:sns:us-east-1:999999999999:*"}}), &topic));
        assert!(!holds(json!({op: {"aws:SourceArn": "arn:aws:SNS:us-east-1:123456789012:my:topic"}}), &topic));
        // A `*` stays inside its component: it cannot swallow the region *and* the account.
        assert!(!holds(json!({op: {"aws:SourceArn": "arn:aws:sns:*:my:topic"}}), &topic));
        let not = op.replace("Arn", "ArnNot");
        assert!(!holds(json!({not.clone(): {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}), &topic));
        assert!(holds(json!({not: {"aws:SourceArn": ["arn:aws:sqs:*:*:*", "arn:aws:sns:*:999999999999:*"]}}), &topic));
    }
    // A value that is not an ARN never matches a six-part pattern.
    assert!(!holds(json!({"ArnLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}), &with("aws:SourceArn", "not-an-arn")));
    assert!(holds(json!({"ArnLike": {"aws:SourceArn": "*"}}), &with("aws:SourceArn", "arn:aws:s3:::b")));
}

#[test]
fn numeric_operators() {
    let ten = with("s3:max-keys", "10");
    let t = |op: &str, v: Value| holds(json!({op: {"s3:max-keys": v}}), &ten);
    assert!(t("NumericEquals", json!("10")) && t("NumericEquals", json!(10)) && t("NumericEquals", json!("10.0")));
    assert!(!t("NumericEquals", json!("11")));
    assert!(t("NumericNotEquals", json!("11")) && !t("NumericNotEquals", json!(["11", "10"])));
    assert!(t("NumericLessThan", json!("11")) && !t("NumericLessThan", json!("10")));
    assert!(t("NumericLessThanEquals", json!("10")) && !t("NumericLessThanEquals", json!("9")));
    assert!(t("NumericGreaterThan", json!("9.5")) && !t("NumericGreaterThan", json!("10")));
    assert!(t("NumericGreaterThanEquals", json!("10")) && !t("NumericGreaterThanEquals", json!("11")));
    assert!(t("NumericLessThan", json!(["5", "20"])), "values are ORed");
    // A request value that is not a number matches nothing.
    assert!(!holds(json!({"NumericLessThan": {"s3:max-keys": "100"}}), &with("s3:max-keys", "lots")));
}

#[test]
fn date_operators() {
    let now = ctx().with_current_time(Timestamp(1_767_225_600_000)); // 2026-01-01T00:00:00Z
    let t = |op: &str, v: &str| holds(json!({op: {"aws:CurrentTime": v}}), &now);
    assert!(t("DateEquals", "2026-01-01T00:00:00Z"));
    assert!(t("DateEquals", "1767225600"), "epoch seconds");
    assert!(t("DateEquals", "2026-01-01T01:00:00+01:00"), "numeric offsets");
    assert!(!t("DateEquals", "2026-01-01T00:00:01Z"));
    assert!(t("DateNotEquals", "2026-01-01T00:00:01Z") && !t("DateNotEquals", "2026-01-01T00:00:00Z"));
    assert!(t("DateLessThan", "2026-01-01T00:00:01Z") && !t("DateLessThan", "2026-01-01T00:00:00Z"));
    assert!(t("DateLessThanEquals", "2026-01-01T00:00:00Z") && !t("DateLessThanEquals", "2025-12-31T23:59:59Z"));
    assert!(t("DateGreaterThan", "2025-12-31T23:59:59Z") && !t("DateGreaterThan", "2026-01-01T00:00:00Z"));
    assert!(t("DateGreaterThanEquals", "2026-01-01") && !t("DateGreaterThanEquals", "2026-01-02"));
    // aws:EpochTime holds seconds; policies may still compare it with ISO dates.
    assert!(holds(json!({"DateGreaterThan": {"aws:EpochTime": "2025-06-01T00:00:00Z"}}), &now));
}

#[test]
fn bool_null_binary_operators() {
    let tls = with("aws:SecureTransport", "true");
    let plain = with("aws:SecureTransport", "false");
    assert!(holds(json!({"Bool": {"aws:SecureTransport": "true"}}), &tls));
    assert!(holds(json!({"Bool": {"aws:SecureTransport": true}}), &tls));
    assert!(!holds(json!({"Bool": {"aws:SecureTransport": "true"}}), &plain));
    assert!(holds(json!({"Bool": {"aws:SecureTransport": "False"}}), &plain));
    assert!(!holds(json!({"Bool": {"aws:SecureTransport": "true"}}), &ctx()), "absent key: false");
    assert!(holds(json!({"BoolIfExists": {"aws:SecureTransport": "false"}}), &ctx()));

    let temp = with("aws:TokenIssueTime", "2026-01-01T00:00:00Z");
    assert!(holds(json!({"Null": {"aws:TokenIssueTime": "true"}}), &ctx()));
    assert!(!holds(json!({"Null": {"aws:TokenIssueTime": "true"}}), &temp));
    assert!(holds(json!({"Null": {"aws:TokenIssueTime": "false"}}), &temp));
    assert!(!holds(json!({"Null": {"aws:TokenIssueTime": false}}), &ctx()));

    let blob = with("s3:x-amz-blob", "QmluYXJ5VmFsdWU=");
    assert!(holds(json!({"BinaryEquals": {"s3:x-amz-blob": "QmluYXJ5VmFsdWU="}}), &blob));
    assert!(!holds(json!({"BinaryEquals": {"s3:x-amz-blob": "QmluYXJ5dmFsdWU="}}), &blob));
}

#[test]
fn ip_operators() {
    let v4 = with("aws:SourceIp", "203.0.113.7");
    let v6 = with("aws:SourceIp", "2001:db8::1");
    let mapped = with("aws:SourceIp", "::ffff:203.0.113.7");
    let t = |op: &str, v: Value, c: &RequestContext| holds(json!({op: {"aws:SourceIp": v}}), c);
    assert!(t("IpAddress", json!("203.0.113.0/24"), &v4));
    assert!(t("IpAddress", json!("203.0.113.7"), &v4), "a bare address is a /32");
    assert!(t("IpAddress", json!("0.0.0.0/0"), &v4));
    assert!(!t("IpAddress", json!("198.51.100.0/24"), &v4));
    assert!(t("IpAddress", json!(["198.51.100.0/24", "203.0.113.0/25"]), &v4));
    assert!(t("IpAddress", json!("2001:db8::/32"), &v6));
    assert!(!t("IpAddress", json!("2001:db9::/32"), &v6));
    assert!(!t("IpAddress", json!("0.0.0.0/0"), &v6), "families do not mix");
    assert!(t("IpAddress", json!("203.0.113.0/24"), &mapped), "IPv4-mapped IPv6 is read as IPv4");
    assert!(t("NotIpAddress", json!("198.51.100.0/24"), &v4));
    assert!(!t("NotIpAddress", json!(["198.51.100.0/24", "203.0.113.0/24"]), &v4));
}

// ---------------------------------------------------------------------------------------------
// Absent keys, IfExists, Null, several keys and values, set qualifiers

#[test]
fn absent_keys_follow_the_documented_rules() {
    let none = ctx();
    // Positive operators: false.
    for cond in [
        json!({"StringEquals": {"aws:username": "alice"}}),
        json!({"StringLike": {"aws:username": "*"}}),
        json!({"ArnLike": {"aws:SourceArn": "*"}}),
        json!({"NumericLessThan": {"s3:max-keys": "10"}}),
        json!({"DateLessThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"}}),
        json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
    ] {
        assert!(!holds(cond.clone(), &none), "{cond}");
    }
    // Negated operators: true ("If the policy condition requires that the key is not matched
    // … and the right key is not present, the condition is true").
    for cond in [
        json!({"StringNotEquals": {"aws:username": "alice"}}),
        json!({"StringNotEqualsIgnoreCase": {"aws:username": "alice"}}),
        json!({"StringNotLike": {"aws:username": "*"}}),
        json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::b"}}),
        json!({"ArnNotLike": {"aws:SourceArn": "*"}}),
        json!({"NumericNotEquals": {"s3:max-keys": "10"}}),
        json!({"DateNotEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}),
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    ] {
        assert!(holds(cond.clone(), &none), "{cond}");
    }
    // …IfExists: true when absent, the operator when present.
    assert!(holds(json!({"StringEqualsIfExists": {"aws:username": "alice"}}), &none));
    assert!(holds(json!({"StringEqualsIfExists": {"aws:username": "alice"}}), &with("aws:username", "alice")));
    assert!(!holds(json!({"StringEqualsIfExists": {"aws:username": "alice"}}), &with("aws:username", "bob")));
    assert!(holds(json!({"NumericLessThanIfExists": {"s3:max-keys": "10"}}), &none));
    assert!(holds(json!({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}), &none));
    assert!(!holds(json!({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}), &with("aws:SourceIp", "11.0.0.1")));
    assert!(holds(json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}), &none));
    assert!(holds(json!({"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}), &none));
    // A key with an empty value list is an absent key.
    assert!(!holds(
        json!({"StringEquals": {"aws:username": "alice"}}),
        &ctx().with_values("aws:username", Vec::<String>::new())
    ));
}

#[test]
fn several_keys_and_operators_are_anded_values_ored() {
    let both = ctx().with_key("aws:username", "alice").with_key("aws:SourceIp", "10.1.1.1");
    let cond = json!({"StringEquals": {"aws:username": ["bob", "alice"], "aws:PrincipalTag/team": "red"}});
    assert!(!holds(cond.clone(), &both));
    assert!(holds(cond, &both.clone().with_key("aws:PrincipalTag/team", "red")));
    let cond = json!({"StringEquals": {"aws:username": "alice"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
    assert!(holds(cond.clone(), &both));
    assert!(!holds(cond, &both.with_key("aws:SourceIp", "192.168.0.1")));
}

#[test]
fn condition_keys_are_case_insensitive() {
    assert!(holds(json!({"StringEquals": {"AWS:UserName": "alice"}}), &with("aws:username", "alice")));
    assert!(holds(
        json!({"StringEquals": {"ssm:resourcetag/Copilot-Application": "demo"}}),
        &with("SSM:ResourceTag/copilot-application", "demo")
    ));
    // …while values keep their case under StringEquals.
    assert!(!holds(json!({"StringEquals": {"aws:username": "alice"}}), &with("AWS:USERNAME", "ALICE")));
}

#[test]
fn set_qualifiers() {
    let tags = |keys: &[&str]| ctx().with_values("aws:TagKeys", keys.iter().copied());
    let t = |cond: Value, keys: &[&str]| holds(cond, &tags(keys));
    let all_eq = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}});
    assert!(t(all_eq.clone(), &["a"]));
    assert!(t(all_eq.clone(), &["b", "a"]));
    assert!(!t(all_eq.clone(), &["a", "c"]));
    assert!(t(all_eq.clone(), &[]), "ForAllValues with an empty set is true");
    assert!(holds(all_eq, &ctx()), "ForAllValues with the key absent is true");

    let any_eq = json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}});
    assert!(t(any_eq.clone(), &["c", "a"]));
    assert!(!t(any_eq.clone(), &["c", "d"]));
    assert!(!t(any_eq.clone(), &[]));
    assert!(!holds(any_eq, &ctx()), "ForAnyValue with the key absent is false");

    let all_ne = json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a", "b"]}});
    assert!(t(all_ne.clone(), &["c", "d"]));
    assert!(!t(all_ne.clone(), &["c", "a"]));
    assert!(holds(all_ne, &ctx()));

    let any_ne = json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}});
    assert!(t(any_ne.clone(), &["a", "c"]));
    assert!(!t(any_ne.clone(), &["a", "b"]));
    assert!(!holds(any_ne, &ctx()));

    assert!(t(json!({"ForAnyValue:StringLike": {"aws:TagKeys": "team-*"}}), &["owner", "team-x"]));
    assert!(!t(json!({"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}}), &["owner", "team-x"]));
    assert!(t(json!({"ForAllValues:StringEqualsIgnoreCase": {"aws:TagKeys": ["A", "B"]}}), &["a", "b"]));
    // IfExists: true when the key is absent, whatever the qualifier.
    assert!(holds(json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}), &ctx()));
    assert!(!t(json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}), &["b"]));
}

// ---------------------------------------------------------------------------------------------
// Policy variables

#[test]
fn variables_in_resources() {
    let p = identity(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::team/${aws:PrincipalTag/team}-${*}"]}}));
    let ps = std::slice::from_ref(&p);
    let alice = |resource: &str| {
        RequestContext::new("s3:GetObject", resource)
            .with_principal(Principal::aws("arn:aws:iam::000000000000:user/alice"))
    };
    assert!(allowed(ps, &alice("arn:aws:s3:::home/alice/notes.txt")));
    assert!(!allowed(ps, &alice("arn:aws:s3:::home/bob/notes.txt")));
    // No aws:username for a role session: the resource does not match.
    let role = RequestContext::new("s3:GetObject", "arn:aws:s3:::home//x").with_principal(Principal::aws(SESSION));
    assert!(!allowed(ps, &role));
    // ${*} is a literal star; the variable resolves from the principal's tags.
    let tagged = |r: &str| alice(r).with_principal_tags([("team", "red")]);
    assert!(allowed(ps, &tagged("arn:aws:s3:::team/red-*")));
    assert!(!allowed(ps, &tagged("arn:aws:s3:::team/red-x")));
    assert!(!allowed(ps, &alice("arn:aws:s3:::team/red-*")), "no tag, no match");

    // Version 2008-10-17 (or none) has no variables: the text is literal.
    let old = identity(
        json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}}),
    );
    assert!(!allowed(std::slice::from_ref(&old), &alice("arn:aws:s3:::home/alice/x")));
    assert!(allowed(std::slice::from_ref(&old), &alice("arn:aws:s3:::home/${aws:username}/x")));
}

#[test]
fn variables_in_conditions() {
    let owner = |who: &str| ctx().with_key("aws:ResourceTag/owner", who).with_key("aws:username", "alice");
    let cond = json!({"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}});
    assert!(holds(cond.clone(), &owner("alice")));
    assert!(!holds(cond.clone(), &owner("bob")));
    assert!(holds(json!({"StringLike": {"aws:ResourceTag/owner": "${aws:username}*"}}), &owner("alice-2")));
    assert!(holds(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:user/${aws:username}"}}),
        &with("aws:SourceArn", "arn:aws:iam::1:user/alice").with_key("aws:username", "alice")
    ));
    // Unresolvable (absent, or multivalued): the value matches nothing.
    let no_user = ctx().with_key("aws:ResourceTag/owner", "alice");
    assert!(!holds(cond, &no_user));
    assert!(holds(json!({"StringNotEquals": {"aws:ResourceTag/owner": "${aws:username}"}}), &no_user));
    let multi = no_user.clone().with_values("aws:TagKeys", ["alice", "bob"]);
    assert!(!holds(json!({"StringEquals": {"aws:ResourceTag/owner": "${aws:TagKeys}"}}), &multi));
    // Defaults apply when the key has no single value.
    assert!(holds(json!({"StringEquals": {"aws:ResourceTag/owner": "${aws:username, 'alice'}"}}), &no_user));
    assert!(holds(json!({"StringEquals": {"aws:ResourceTag/owner": "${aws:TagKeys, 'alice'}"}}), &multi));
}

// ---------------------------------------------------------------------------------------------
// Evaluation: identity + resource policies, deny wins, principals

fn allow_all() -> Policy {
    identity(
        json!({"Version": "2012-10-17", "Statement": {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}}),
    )
}

fn secret_request(principal: &str) -> RequestContext {
    RequestContext::new(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:demo/db-AbCdEf",
    )
    .with_principal(Principal::aws(principal))
}

fn rp(principal: Value, effect: &str) -> Policy {
    resource_policy(
        json!({"Version": "2012-10-17", "Statement": {"Sid": "Rp", "Effect": effect, "Principal": principal,
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}}),
    )
}

#[test]
fn explicit_deny_wins_and_names_its_statement() {
    let deny = identity(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Other", "Effect": "Deny", "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}
    ]}));
    let ctx = secret_request("arn:aws:iam::000000000000:user/alice");
    let both = [allow_all(), deny];
    let e = evaluate(&both, None, &ctx);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(
        e.decided_by,
        Some(StatementRef { source: PolicySource::Identity(1), statement: 1, sid: Some("NoSecrets") })
    );
    assert_eq!(e.to_string(), "explicitly denied by statement \"NoSecrets\" (#1) of identity-based policy #1");
    assert_eq!(
        e.access_denied_message(&ctx).unwrap(),
        "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: \
         arn:aws:secretsmanager:us-east-1:000000000000:secret:demo/db-AbCdEf with an explicit deny in an identity-based policy"
    );

    let e = evaluate(&both[..1], None, &ctx);
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.decided_by, Some(StatementRef { source: PolicySource::Identity(0), statement: 0, sid: Some("All") }));
    assert_eq!(e.access_denied_message(&ctx), None);

    // A deny in the resource policy beats an identity allow.
    let deny_all = rp(json!("*"), "Deny");
    let e = evaluate(&both[..1], Some(&deny_all), &ctx);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.decided_by.unwrap().source, PolicySource::Resource);
    assert!(e.access_denied_message(&ctx).unwrap().ends_with("with an explicit deny in a resource-based policy"));

    let e = evaluate(&[], None, &ctx);
    assert_eq!(e, Evaluation { decision: Decision::ImplicitDeny, decided_by: None });
    assert!(
        e.access_denied_message(&ctx)
            .unwrap()
            .ends_with("because no identity-based policy allows the secretsmanager:GetSecretValue action")
    );
}

#[test]
fn resource_policy_principals() {
    let alice = "arn:aws:iam::000000000000:user/alice";
    let decide = |principal: Value, effect: &str, caller: &str, ids: &[Policy]| {
        evaluate(ids, Some(&rp(principal, effect)), &secret_request(caller)).decision
    };
    let none: &[Policy] = &[];
    // Naming the caller, "*" or {"AWS": "*"} allows on its own.
    assert_eq!(decide(json!({"AWS": alice}), "Allow", alice, none), Decision::Allow);
    assert_eq!(decide(json!("*"), "Allow", alice, none), Decision::Allow);
    assert_eq!(decide(json!({"AWS": "*"}), "Allow", alice, none), Decision::Allow);
    assert_eq!(
        decide(json!({"AWS": ["arn:aws:iam::000000000000:user/bob"]}), "Allow", alice, none),
        Decision::ImplicitDeny
    );
    // A role ARN names its sessions; the exact session ARN works too.
    let role = "arn:aws:iam::000000000000:role/demo-test-svc-ExecutionRole";
    assert_eq!(decide(json!({"AWS": role}), "Allow", SESSION, none), Decision::Allow);
    assert_eq!(
        decide(
            json!({"AWS": "arn:aws:iam::000000000000:role/service-role/demo-test-svc-ExecutionRole"}),
            "Allow",
            SESSION,
            none
        ),
        Decision::Allow
    );
    assert_eq!(decide(json!({"AWS": SESSION}), "Allow", SESSION, none), Decision::Allow);
    assert_eq!(
        decide(json!({"AWS": "arn:aws:iam::000000000000:role/other"}), "Allow", SESSION, none),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(json!({"AWS": "arn:aws:iam::111111111111:role/demo-test-svc-ExecutionRole"}), "Allow", SESSION, none),
        Decision::ImplicitDeny
    );
    // The account (root ARN or bare id) delegates: identity policies must allow too.
    for account in [json!({"AWS": ACCOUNT}), json!({"AWS": "arn:aws:iam::000000000000:root"})] {
        assert_eq!(decide(account.clone(), "Allow", alice, none), Decision::ImplicitDeny);
        assert_eq!(decide(account.clone(), "Allow", alice, &[allow_all()]), Decision::Allow);
        assert_eq!(decide(account.clone(), "Allow", "arn:aws:iam::000000000000:root", none), Decision::Allow);
        // …but a Deny naming the account denies all of it.
        assert_eq!(decide(account, "Deny", SESSION, &[allow_all()]), Decision::ExplicitDeny);
    }
    assert_eq!(decide(json!({"AWS": "111111111111"}), "Deny", alice, &[allow_all()]), Decision::Allow);
    // Services and federated principals match by name.
    let ecs = rp(json!({"Service": ["ecs-tasks.amazonaws.com"]}), "Allow");
    let svc = evaluate(
        none,
        Some(&ecs),
        &secret_request(alice).with_principal(Principal::service("ecs-tasks.amazonaws.com")),
    );
    assert_eq!(svc.decision, Decision::Allow);
    assert_eq!(decide(json!({"Service": "ecs-tasks.amazonaws.com"}), "Allow", alice, none), Decision::ImplicitDeny);
    // NotPrincipal: everyone except those named.
    let except_admin = json!({"AWS": ["arn:aws:iam::000000000000:role/admin"]});
    let admin_session = "arn:aws:sts::000000000000:assumed-role/admin/me";
    let not_p = resource_policy(
        json!({"Statement": {"Effect": "Deny", "NotPrincipal": except_admin, "Action": "secretsmanager:*", "Resource": "*"}}),
    );
    assert_eq!(evaluate(&[allow_all()], Some(&not_p), &secret_request(admin_session)).decision, Decision::Allow);
    assert_eq!(evaluate(&[allow_all()], Some(&not_p), &secret_request(alice)).decision, Decision::ExplicitDeny);
    // The resource policy's allow is reported as the deciding statement.
    let grant = rp(json!({"AWS": alice}), "Allow");
    let e = evaluate(none, Some(&grant), &secret_request(alice));
    assert_eq!(e.decided_by, Some(StatementRef { source: PolicySource::Resource, statement: 0, sid: Some("Rp") }));
}

#[test]
fn trust_policies() {
    let role = "arn:aws:iam::000000000000:role/demo-test-svc-ExecutionRole";
    let trust = Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    )
    .unwrap();
    let ecs = RequestContext::assume_role(Principal::service("ecs-tasks.amazonaws.com"), role);
    assert!(evaluate_assume_role(&trust, &[], &ecs).is_allowed());
    let alice = RequestContext::assume_role(Principal::aws("arn:aws:iam::000000000000:user/alice"), role);
    assert!(!evaluate_assume_role(&trust, &[allow_all()], &alice).is_allowed());
    assert_eq!(
        evaluate_assume_role(&trust, &[], &alice).access_denied_message(&alice).unwrap(),
        format!(
            "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: sts:AssumeRole on resource: {role}"
        )
    );
    // Other actions in the request are not what the trust policy grants.
    assert!(
        !evaluate_assume_role(
            &trust,
            &[],
            &RequestContext::new("sts:TagSession", role).with_principal(Principal::service("ecs-tasks.amazonaws.com"))
        )
        .is_allowed()
    );

    let account_trust = Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}}"#,
        PolicyKind::Trust,
    )
    .unwrap();
    let may_assume = identity(json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}}));
    let mfa = alice.clone().with_key("aws:MultiFactorAuthPresent", "true");
    assert!(!evaluate_assume_role(&account_trust, &[], &mfa).is_allowed(), "account trust delegates to IAM");
    let e = evaluate_assume_role(&account_trust, std::slice::from_ref(&may_assume), &mfa);
    assert_eq!((e.decision, e.decided_by.unwrap().source), (Decision::Allow, PolicySource::Identity(0)));
    assert!(!evaluate_assume_role(&account_trust, std::slice::from_ref(&may_assume), &alice).is_allowed(), "condition");

    let direct = Policy::parse(
        r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::000000000000:user/alice"]}, "Action": ["sts:AssumeRole", "sts:TagSession"]}}"#,
        PolicyKind::Trust,
    )
    .unwrap();
    let e = evaluate_assume_role(&direct, &[], &alice);
    assert_eq!((e.decision, e.decided_by.unwrap().source), (Decision::Allow, PolicySource::Trust));
    let deny = identity(json!({"Statement": {"Effect": "Deny", "Action": "sts:*", "Resource": "*"}}));
    assert_eq!(evaluate_assume_role(&direct, &[deny], &alice).decision, Decision::ExplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// The execution-role policy Copilot generates (copilot-behaviour.md §3.1), with AppName=demo,
// EnvName=test, partition aws, region us-east-1, account 000000000000.

const COPILOT_EXECUTION_ROLE_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ssm:GetParameters"],
      "Resource": ["arn:aws:ssm:us-east-1:000000000000:parameter/*"],
      "Condition": {
        "StringEquals": {
          "ssm:ResourceTag/copilot-application": "demo",
          "ssm:ResourceTag/copilot-environment": "test"
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": ["secretsmanager:GetSecretValue"],
      "Resource": ["arn:aws:secretsmanager:us-east-1:000000000000:secret:*"],
      "Condition": {
        "StringEquals": {
          "secretsmanager:ResourceTag/copilot-application": "demo",
          "secretsmanager:ResourceTag/copilot-environment": "test"
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": ["kms:Decrypt"],
      "Resource": ["arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"]
    },
    {
      "Sid": "DecryptTaggedKMSKey",
      "Effect": "Allow",
      "Action": ["kms:Decrypt"],
      "Resource": ["arn:aws:kms:us-east-1:000000000000:key/*"],
      "Condition": {
        "StringEquals": {
          "aws:ResourceTag/copilot-application": "demo",
          "aws:ResourceTag/copilot-environment": "test"
        }
      }
    }
  ]
}"#;

fn copilot_policy() -> Policy {
    Policy::parse(COPILOT_EXECUTION_ROLE_POLICY, PolicyKind::Identity).unwrap()
}

fn tagged(action: &str, resource: &str, tags: &[(&str, &str)]) -> RequestContext {
    RequestContext::new(action, resource)
        .with_principal(Principal::aws(SESSION))
        .with_resource_tags(tags.iter().copied())
}

const PARAM: &str = "arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/test/secrets/db_password";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:demo/test/mysql-Yi6mvL";
const DEMO_TEST: &[(&str, &str)] = &[("copilot-application", "demo"), ("copilot-environment", "test")];

#[test]
fn copilot_execution_role_reads_only_its_apps_tagged_secrets() {
    let policies = [copilot_policy()];
    let decide = |ctx: RequestContext| evaluate(&policies, None, &ctx);

    let e = decide(tagged("ssm:GetParameters", PARAM, DEMO_TEST));
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.decided_by, Some(StatementRef { source: PolicySource::Identity(0), statement: 0, sid: None }));

    let prod = tagged("ssm:GetParameters", PARAM, &[("copilot-application", "demo"), ("copilot-environment", "prod")]);
    assert_eq!(decide(prod).decision, Decision::ImplicitDeny);
    assert_eq!(decide(tagged("ssm:GetParameters", PARAM, &[])).decision, Decision::ImplicitDeny);
    assert_eq!(
        decide(tagged("ssm:GetParameters", PARAM, &[("copilot-application", "demo")])).decision,
        Decision::ImplicitDeny
    );
    // Tag values are case-sensitive; other regions and accounts and actions are not granted.
    assert_eq!(
        decide(tagged("ssm:GetParameters", PARAM, &[("copilot-application", "Demo"), ("copilot-environment", "test")]))
            .decision,
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(tagged("ssm:GetParameters", &PARAM.replace("us-east-1", "us-west-2"), DEMO_TEST)).decision,
        Decision::ImplicitDeny
    );
    assert_eq!(decide(tagged("ssm:GetParameter", PARAM, DEMO_TEST)).decision, Decision::ImplicitDeny);
    assert_eq!(decide(tagged("ssm:PutParameter", PARAM, DEMO_TEST)).decision, Decision::ImplicitDeny);

    let other = tagged(
        "secretsmanager:GetSecretValue",
        SECRET,
        &[("copilot-application", "other"), ("copilot-environment", "test")],
    );
    assert_eq!(decide(other).decision, Decision::ImplicitDeny);
    let e = decide(tagged("secretsmanager:GetSecretValue", SECRET, DEMO_TEST));
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.decided_by.unwrap().statement, 1);
    // The SSM tag keys do not stand in for Secrets Manager's.
    let ssm_tags_only = RequestContext::new("secretsmanager:GetSecretValue", SECRET)
        .with_key("ssm:ResourceTag/copilot-application", "demo")
        .with_key("ssm:ResourceTag/copilot-environment", "test");
    assert_eq!(decide(ssm_tags_only).decision, Decision::ImplicitDeny);

    let e = decide(tagged("kms:Decrypt", "arn:aws:kms:us-east-1:000000000000:key/abcd", DEMO_TEST));
    assert_eq!(e.decided_by.map(|s| s.sid), Some(Some("DecryptTaggedKMSKey")));
    assert!(
        decide(tagged(
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555",
            &[]
        ))
        .is_allowed()
    );
    assert!(!decide(tagged("kms:Decrypt", "arn:aws:kms:us-east-1:000000000000:key/abcd", &[])).is_allowed());
}

#[test]
fn policies_are_shareable_across_threads() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Policy>();
    check::<RequestContext>();
    check::<PolicyError>();
}

// ---------------------------------------------------------------------------------------------
// Property: whatever else a policy set says, a matching Deny statement denies.

const ACTIONS: [&str; 8] =
    ["ssm:GetParameters", "ssm:*", "*", "secretsmanager:Get*", "kms:Decrypt", "ssm:Put?arameter", "SSM:get*", "s3:*"];
const RESOURCES: [&str; 6] = [
    "*",
    "arn:aws:ssm:us-east-1:000000000000:parameter/*",
    "arn:aws:ssm:*:*:parameter/app/?/*",
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:*",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:s3:::bucket/${aws:username}/*",
];
const REQ_ACTIONS: [&str; 5] =
    ["ssm:GetParameters", "ssm:PutParameter", "secretsmanager:GetSecretValue", "kms:Decrypt", "s3:GetObject"];
const REQ_RESOURCES: [&str; 5] = [
    "arn:aws:ssm:us-east-1:000000000000:parameter/app/x/db",
    "arn:aws:ssm:eu-west-1:000000000000:parameter/other",
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:demo-AbCdEf",
    "arn:aws:kms:us-east-1:000000000000:key/1234",
    "arn:aws:s3:::bucket/alice/file",
];

fn arb_condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({"StringEquals": {"aws:ResourceTag/env": "test"}}))),
        Just(Some(json!({"StringNotEquals": {"aws:ResourceTag/env": "prod"}}))),
        Just(Some(json!({"ForAllValues:StringLike": {"aws:TagKeys": "copilot-*"}}))),
        Just(Some(json!({"Null": {"aws:ResourceTag/env": "false"}}))),
        Just(Some(json!({"StringEqualsIfExists": {"aws:username": "alice"}}))),
    ]
}

fn arb_statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(&ACTIONS[..]), 1..3),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(&RESOURCES[..]), 1..3),
        arb_condition(),
    )
        .prop_map(|(deny, not_action, actions, not_resource, resources, condition)| {
            let mut s = json!({"Effect": if deny { "Deny" } else { "Allow" }});
            s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
            s[if not_resource { "NotResource" } else { "Resource" }] = json!(resources);
            if let Some(c) = condition {
                s["Condition"] = c;
            }
            s
        })
}

fn arb_policy() -> impl Strategy<Value = Value> {
    prop::collection::vec(arb_statement(), 1..4).prop_map(|st| json!({"Version": "2012-10-17", "Statement": st}))
}

fn arb_request() -> impl Strategy<Value = RequestContext> {
    (prop::sample::select(&REQ_ACTIONS[..]), prop::sample::select(&REQ_RESOURCES[..]), any::<bool>(), any::<bool>())
        .prop_map(|(action, resource, tagged, user)| {
            let mut ctx = RequestContext::new(action, resource);
            if tagged {
                ctx = ctx.with_resource_tags([("env", "test"), ("copilot-application", "demo")]);
            }
            if user {
                ctx = ctx.with_principal(Principal::aws("arn:aws:iam::000000000000:user/alice"));
            }
            ctx
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_matching_deny_always_wins(
        docs in prop::collection::vec(arb_policy(), 0..4),
        ctx in arb_request(),
        position in any::<prop::sample::Index>(),
        in_resource_policy in any::<bool>(),
    ) {
        let policies: Vec<Policy> = docs.iter().cloned().map(identity).collect();
        let before = evaluate(&policies, None, &ctx);
        // Adding an Allow-everything can only turn an implicit deny into an allow.
        let mut with_allow = policies.clone();
        with_allow.push(allow_all());
        let after_allow = evaluate(&with_allow, None, &ctx).decision;
        prop_assert_eq!(after_allow == Decision::ExplicitDeny, before.decision == Decision::ExplicitDeny);

        let deny = json!({"Sid": "Stop", "Effect": "Deny", "Action": ctx.action(), "Resource": ctx.resource()});
        let outcome = if in_resource_policy {
            let rp = resource_policy(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                {"Sid": "Stop", "Effect": "Deny", "Principal": "*", "Action": ctx.action(), "Resource": ctx.resource()}]}));
            evaluate(&policies, Some(&rp), &ctx).decision
        } else {
            // Put the deny into one of the existing policies, or into a new one.
            let mut docs = docs.clone();
            let slot = position.index(docs.len() + 1);
            if slot == docs.len() {
                docs.push(json!({"Version": "2012-10-17", "Statement": [deny]}));
            } else {
                docs[slot]["Statement"].as_array_mut().unwrap().push(deny);
            }
            let policies: Vec<Policy> = docs.iter().cloned().map(identity).collect();
            let e = evaluate(&policies, None, &ctx);
            prop_assert!(e.decided_by.is_some());
            e.decision
        };
        prop_assert_eq!(outcome, Decision::ExplicitDeny);
    }
}
