//! Raw HTTP/1.1 over a TCP socket, for what the SDKs hide (status lines, headers, exact
//! bodies), with optional SigV4 signing by the SDKs' own signer.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request and reads the whole reply (`Connection: close`).
pub fn request(endpoint: &str, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    read_reply(&mut stream)
}

pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("HTTP/1.1 000").split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    Reply { status, headers, body: body.to_owned() }
}

/// What to sign a request with.
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

impl<'a> Signer<'a> {
    /// The root credentials the test servers run with.
    pub fn root(service: &'a str) -> Self {
        Self {
            access_key_id: super::ROOT_ACCESS_KEY_ID,
            secret: super::ROOT_SECRET_ACCESS_KEY,
            session_token: None,
            region: "us-east-1",
            service,
            time: SystemTime::now(),
        }
    }

    /// `headers` plus `x-amz-date`, `authorization` (and the session token), signed over
    /// `host` and every header given.
    pub fn sign(&self, endpoint: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<(String, String)> {
        let host = endpoint.trim_start_matches("http://").to_owned();
        let mut all: Vec<(String, String)> = vec![("host".into(), host)];
        all.extend(headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned())));
        if let Some(token) = self.session_token {
            all.push(("x-amz-security-token".into(), token.to_owned()));
        }
        let identity = Credentials::new(self.access_key_id, self.secret, None, None, "raw").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "POST",
            "/",
            all.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        for (name, value) in instructions.headers() {
            all.push((name.to_owned(), value.to_owned()));
        }
        all
    }
}

/// A signed AWS JSON 1.1 request as the root.
pub fn signed_json(endpoint: &str, target: &str, body: &str) -> Reply {
    let service = if target.starts_with("secretsmanager.") { "secretsmanager" } else { "ssm" };
    let headers = Signer::root(service).sign(
        endpoint,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)],
        body.as_bytes(),
    );
    request(endpoint, "POST", "/", &headers, body.as_bytes())
}
