//! In-process cost of authenticating and authorizing one request: SigV4 verification of a
//! GetParameters request as the SDK signs it, plus evaluating Copilot's execution-role policy
//! against the parameter's tags.
//!
//! `cargo bench -p coffer-server --bench verify_authorize`

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use coffer_policy::{Policy, PolicyKind};
use coffer_server::sigv4;
use coffer_services::authz::PolicyAuthorizer;
use coffer_services::operation::SsmOperation;
use coffer_services::{Authorizer, ResourceFacts};
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::SystemTime;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["ssm:GetParameters"],"Resource":["arn:aws:ssm:us-east-1:000000000000:parameter/*"],
  "Condition":{"StringEquals":{"ssm:ResourceTag/copilot-application":"demo","ssm:ResourceTag/copilot-environment":"test"}}},
 {"Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":["arn:aws:secretsmanager:us-east-1:000000000000:secret:*"],
  "Condition":{"StringEquals":{"secretsmanager:ResourceTag/copilot-application":"demo","secretsmanager:ResourceTag/copilot-environment":"test"}}}]}"#;

fn signed_request(secret: &str, body: &[u8]) -> HeaderMap {
    let headers = [
        ("host", "127.0.0.1:4583"),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "AmazonSSM.GetParameters"),
        ("x-amz-user-agent", "aws-sdk-rust/1.3 os/linux lang/rust/1.95.0"),
    ];
    let identity = Credentials::new("ASIAEXAMPLEEXAMPLE01", secret, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("ssm")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let request = SignableRequest::new("POST", "/", headers.iter().copied(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut map = HeaderMap::new();
    for (k, v) in headers.iter().copied().chain(instructions.headers()) {
        map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    map
}

fn bench(c: &mut Criterion) {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let body = br#"{"Names":["/copilot/demo/test/secrets/GH_WEBHOOK_SECRET"],"WithDecryption":true}"#;
    let headers = signed_request(secret, body);
    let uri: Uri = "/".parse().unwrap();
    let secret = SecretString::from(secret.to_owned());
    let session_arn = "arn:aws:sts::000000000000:assumed-role/demo-test-ExecutionRole/task";
    let authorizer = PolicyAuthorizer::new(
        session_arn,
        Arc::new(vec![Policy::parse(POLICY, PolicyKind::Identity).unwrap()]),
        Arc::default(),
        None,
    );
    let tags = vec![
        ("copilot-application".to_owned(), "demo".to_owned()),
        ("copilot-environment".to_owned(), "test".to_owned()),
    ];
    let resource = "arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/test/secrets/GH_WEBHOOK_SECRET";

    c.bench_function("sigv4_verify", |b| {
        b.iter(|| {
            let auth = sigv4::parse_authorization(&headers).unwrap();
            let time = sigv4::check_time(&headers, &auth, SystemTime::now()).unwrap();
            sigv4::verify_signature(&Method::POST, &uri, &headers, body, &auth, time, &secret).unwrap();
        });
    });
    c.bench_function("authorize_copilot_policy", |b| {
        b.iter(|| {
            let facts = ResourceFacts { tags: &tags, ..ResourceFacts::default() };
            authorizer.authorize(SsmOperation::GetParameters.action(), resource, &facts).unwrap();
        });
    });
    c.bench_function("verify_and_authorize", |b| {
        b.iter(|| {
            let auth = sigv4::parse_authorization(&headers).unwrap();
            let time = sigv4::check_time(&headers, &auth, SystemTime::now()).unwrap();
            sigv4::verify_signature(&Method::POST, &uri, &headers, body, &auth, time, &secret).unwrap();
            let facts = ResourceFacts { tags: &tags, ..ResourceFacts::default() };
            authorizer.authorize(SsmOperation::GetParameters.action(), resource, &facts).unwrap();
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
