//! The HTTP edge of `coffer serve`, spoken to over a raw TCP socket.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn request(endpoint: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    Reply { status, headers, body: body.to_owned() }
}

fn aws_json(endpoint: &str, target: &str, body: &str) -> Reply {
    request(
        endpoint,
        "POST",
        "/",
        &[("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)],
        body.as_bytes(),
    )
}

#[test]
fn health_reports_version_and_backend() {
    for backend in common::backends() {
        let server = common::Server::start(backend);
        let r = request(&server.endpoint, "GET", "/health", &[], b"");
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["status"], "ok");
        assert_eq!(j["version"], env!("CARGO_PKG_VERSION"));
        let expected = if backend == common::Backend::Sqlite { "sqlite" } else { "postgres" };
        assert_eq!(j["backend"], expected);
    }
}

#[test]
fn unknown_targets_and_bad_json_get_aws_error_shapes() {
    let server = common::Server::start(common::Backend::Sqlite);
    let r = aws_json(&server.endpoint, "AmazonSSM.SendCommand", "{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("X-Amzn-ErrorType"), Some("UnknownOperationException"));
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    assert!(r.json()["Message"].as_str().unwrap().contains("SendCommand"));
    assert!(r.header("x-amzn-RequestId").is_some_and(|id| id.len() == 36));

    let r = aws_json(&server.endpoint, "Nope.Thing", "{}");
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("UnknownOperationException")));
    let r = request(&server.endpoint, "POST", "/", &[], b"{}");
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("UnknownOperationException")));

    let r = aws_json(&server.endpoint, "AmazonSSM.GetParameter", "{not json");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "SerializationException");
    assert_eq!(r.header("X-Amzn-ErrorType"), Some("SerializationException"));
    let r = aws_json(&server.endpoint, "AmazonSSM.GetParameter", r#"{"Name": 5}"#);
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("SerializationException")));

    // Casing of the message member follows the model: lowercase for SSM parameter errors.
    let r = aws_json(&server.endpoint, "AmazonSSM.GetParameter", r#"{"Name": "missing"}"#);
    assert_eq!(r.json()["__type"], "ParameterNotFound");
    assert!(r.json().get("message").is_some() && r.json().get("Message").is_none());
    // Absent members are omitted, never null; timestamps are numbers.
    let r = aws_json(&server.endpoint, "AmazonSSM.PutParameter", r#"{"Name": "n", "Value": "v", "Type": "String"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/x-amz-json-1.1"));
    let r = aws_json(&server.endpoint, "AmazonSSM.GetParameter", r#"{"Name": "n"}"#);
    assert!(!r.body.contains("null"), "{}", r.body);
    assert!(r.json()["Parameter"]["LastModifiedDate"].is_number());
    // An empty body is an empty input.
    let r = aws_json(&server.endpoint, "AmazonSSM.DescribeParameters", "");
    assert_eq!(r.status, 200);
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let server = common::Server::start(common::Backend::Sqlite);
    let big = format!(r#"{{"Name": "big", "Type": "String", "Value": "{}"}}"#, "x".repeat(1024 * 1024 + 1));
    let r = aws_json(&server.endpoint, "AmazonSSM.PutParameter", &big);
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["__type"], "RequestEntityTooLargeException");
    let r = aws_json(&server.endpoint, "AmazonSSM.GetParameter", r#"{"Name": "big"}"#);
    assert_eq!(r.json()["__type"], "ParameterNotFound", "nothing was written");
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let server = common::Server::start(common::Backend::Sqlite);
    let endpoint = server.endpoint.clone();
    // A slow client: the request is accepted, its body arrives after SIGTERM.
    let addr = endpoint.trim_start_matches("http://").to_owned();
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = r#"{"Name": "late", "Value": "v", "Type": "String"}"#;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AmazonSSM.PutParameter\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = server.pid();
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    slow.write_all(body.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = slow.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 200"), "in-flight request completed: {raw}");
    assert!(raw.contains(r#""Version":1"#), "{raw}");
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    // New connections are refused after shutdown.
    assert!(TcpStream::connect(&addr).is_err());
}
