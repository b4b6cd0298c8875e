//! Hostile input over HTTP: every request gets an AWS error, changes nothing, and the server
//! stays up.

mod common;

use common::raw::{Reply, Signer, request, signed_json};
use std::io::Write as _;
use std::net::TcpStream;
use std::time::Duration;

fn healthy(endpoint: &str) {
    assert_eq!(request(endpoint, "GET", "/health", &[], b"").status, 200, "the server is still up");
}

fn not_written(endpoint: &str, name: &str) {
    let r = signed_json(endpoint, "AmazonSSM.GetParameter", &format!(r#"{{"Name": "{name}"}}"#));
    assert_eq!(r.json()["__type"], "ParameterNotFound", "nothing was written");
}

/// The headers of a JSON request to `target`, signed as the root for `service`.
fn signed_headers(endpoint: &str, service: &str, target: &str, body: &[u8]) -> Vec<(String, String)> {
    Signer::root(service).sign(
        endpoint,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)],
        body,
    )
}

/// A signed request with raw body bytes (which need not be UTF-8).
fn signed_bytes(endpoint: &str, target: &str, body: &[u8]) -> Reply {
    request(endpoint, "POST", "/", &signed_headers(endpoint, "ssm", target, body), body)
}

#[test]
fn oversized_headers_are_refused() {
    let server = common::Server::start(common::Backend::Sqlite);
    let headers = vec![("X-Padding".to_owned(), "p".repeat(600 * 1024))];
    let r = request(&server.endpoint, "GET", "/health", &headers, b"");
    assert_eq!(r.status, 431, "Request Header Fields Too Large");
    let many: Vec<(String, String)> = (0..200).map(|i| (format!("X-H{i}"), "v".to_owned())).collect();
    let r = request(&server.endpoint, "GET", "/health", &many, b"");
    assert_eq!(r.status, 431);
    healthy(&server.endpoint);
}

#[test]
fn nul_bytes_and_invalid_utf8_get_aws_errors() {
    let server = common::Server::start(common::Backend::Sqlite);
    let ep = &server.endpoint;
    let r = signed_json(ep, "AmazonSSM.PutParameter", r#"{"Name": "a\u0000b", "Value": "v", "Type": "String"}"#);
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("ValidationException")));
    let r = signed_json(
        ep,
        "AmazonSSM.PutParameter",
        r#"{"Name": "tagged", "Value": "v", "Type": "String", "Tags": [{"Key": "k\u0000", "Value": "v"}]}"#,
    );
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("ValidationException")));
    not_written(ep, "tagged");
    let mut body = br#"{"Name": "utf", "Value": ""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#"", "Type": "String"}"#);
    let r = signed_bytes(ep, "AmazonSSM.PutParameter", &body);
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("SerializationException")));
    not_written(ep, "utf");
    healthy(ep);
}

#[test]
fn deeply_nested_and_duplicate_key_json_is_refused() {
    let server = common::Server::start(common::Backend::Sqlite);
    let ep = &server.endpoint;
    let nested = format!(
        r#"{{"Name": "deep", "Value": "v", "Type": "String", "Tags": {}{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let r = signed_json(ep, "AmazonSSM.PutParameter", &nested);
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("SerializationException")));
    not_written(ep, "deep");
    let duplicate = r#"{"Name": "dup", "Name": "other", "Value": "v", "Type": "String"}"#;
    let r = signed_json(ep, "AmazonSSM.PutParameter", duplicate);
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("SerializationException")));
    not_written(ep, "dup");
    not_written(ep, "other");
    healthy(ep);
}

#[test]
fn a_body_shorter_than_its_content_length_times_out() {
    let server = common::Server::start_with(common::Backend::Sqlite, &[("COFFER_BODY_TIMEOUT", "1")]);
    let ep = &server.endpoint;
    let body = br#"{"Name": "short", "Value": "v", "Type": "String"}"#;
    let headers = signed_headers(ep, "ssm", "AmazonSSM.PutParameter", body);
    let mut s = TcpStream::connect(ep.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        ep.trim_start_matches("http://"),
        body.len() + 10
    );
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let r = common::raw::read_reply(&mut s);
    assert_eq!(r.status, 408);
    not_written(ep, "short");
    healthy(ep);
}

#[test]
fn a_target_of_another_service_is_refused() {
    let server = common::Server::start(common::Backend::Sqlite);
    let ep = &server.endpoint;
    signed_json(ep, "secretsmanager.CreateSecret", r#"{"Name": "s", "SecretString": "v"}"#);
    // Signed for SSM, addressed to Secrets Manager.
    let body = br#"{"SecretId": "s"}"#;
    let headers = signed_headers(ep, "ssm", "secretsmanager.GetSecretValue", body);
    let r = request(ep, "POST", "/", &headers, body);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["__type"], "InvalidSignatureException");
    assert_eq!(r.json()["message"], "Credential should be scoped to correct service: 'secretsmanager'. ");
    healthy(ep);
}

#[test]
fn a_policy_document_of_one_megabyte_is_refused() {
    let server = common::Server::start(common::Backend::Sqlite);
    let ep = &server.endpoint;
    signed_json(ep, "secretsmanager.CreateSecret", r#"{"Name": "p", "SecretString": "v"}"#);
    let statement = r#"{"Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret","Resource":"*"}"#;
    let statements = vec![statement; 1024 * 1024 / statement.len() + 1].join(",");
    let policy = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    let body = serde_json::json!({"SecretId": "p", "ResourcePolicy": policy}).to_string();
    let r = signed_json(ep, "secretsmanager.PutResourcePolicy", &body);
    assert_eq!(r.status, 413);
    let small_but_too_big = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, vec![statement; 300].join(","));
    let body = serde_json::json!({"SecretId": "p", "ResourcePolicy": small_but_too_big}).to_string();
    let r = signed_json(ep, "secretsmanager.PutResourcePolicy", &body);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["__type"], "ValidationException");
    assert!(
        r.json()["Message"].as_str().unwrap().ends_with(
            "at 'resourcePolicy' failed to satisfy constraint: Member must have length less than or equal to 20480"
        ),
        "{}",
        r.body
    );
    let r = signed_json(ep, "secretsmanager.GetResourcePolicy", r#"{"SecretId": "p"}"#);
    assert!(r.json().get("ResourcePolicy").is_none(), "nothing was stored: {}", r.body);
    healthy(ep);
}
