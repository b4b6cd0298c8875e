//! The HTTP targets: requests through Coffer's real router (SigV4, routing, decoding, the
//! constraint layer, the operations, the store and the audit trail) on an embedded store in a
//! temporary data directory.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use coffer_server::{Limits, Peer, ServerConfig};
use coffer_services::audit::{AuditLines, Auditor};
use coffer_store::credentials::RootCredentials;
use coffer_store::{Concurrency, Keyring, MasterKey, Store, StoreOptions};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, SystemTime};
use tower::ServiceExt as _;

const ROOT_KEY_ID: &str = "AKIAFUZZFUZZFUZZFUZZ";
const ROOT_SECRET: &str = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";
const HOST: &str = "127.0.0.1:4583";

/// One Coffer server, in process: a router over a fresh embedded store.
pub struct Server {
    runtime: tokio::runtime::Runtime,
    router: Router,
    _data_dir: tempfile::TempDir,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let data_dir = tempfile::Builder::new()
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .expect("temporary data directory");
        let options = StoreOptions {
            data_dir: data_dir.path().to_owned(),
            concurrency: Concurrency::Server,
            ..Default::default()
        };
        let router = runtime.block_on(async {
            let keyring = Keyring::new(MasterKey::generate().expect("master key"));
            let store = Store::open(&options, keyring).await.expect("open the store");
            let root = RootCredentials {
                access_key_id: ROOT_KEY_ID.to_owned(),
                secret_access_key: SecretString::from(ROOT_SECRET),
            };
            let config = ServerConfig {
                account_id: "000000000000".to_owned(),
                default_region: "us-east-1".to_owned(),
                limits: Limits {
                    header_read_timeout: Duration::from_secs(10),
                    body_timeout: Duration::from_secs(10),
                    max_connections: 16,
                    rate_per_key: None,
                },
            };
            let auditor = Auditor::start(store.clone(), AuditLines::None);
            let peer = Peer { addr: SocketAddr::from(([127, 0, 0, 1], 50000)), secure: false };
            coffer_server::router(store, config, &root, auditor).layer(axum::Extension(peer))
        });
        Self { runtime, router, _data_dir: data_dir }
    }

    fn send(&self, request: Request<Body>) -> StatusCode {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("the router is infallible");
            let status = response.status();
            // Read the body too: encoding the answer is part of what is tested.
            axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("response body");
            status
        })
    }

    /// SigV4 and the request head: `data` is header lines (`name: value`), a blank line, then
    /// the body, sent unsigned except for what the lines carry. No such request is
    /// authenticated, so every answer is a 4xx (returned).
    pub fn sigv4_request(&self, data: &[u8]) -> Option<StatusCode> {
        let (head, body) = split_once(data, b"\n\n").unwrap_or((data, b""));
        let mut request = Request::post("/").header("host", HOST);
        for line in head.split(|b| *b == b'\n') {
            let Some((name, value)) = split_once(line, b":") else { continue };
            let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name.trim_ascii()), HeaderValue::from_bytes(value.trim_ascii()))
            else {
                continue;
            };
            request = request.header(name, value);
        }
        let request = request.body(Body::from(body.to_vec())).ok()?;
        let status = self.send(request);
        assert!(status.is_client_error(), "an unauthenticated request was answered {status}");
        Some(status)
    }

    /// A request signed with the root credentials: the first line is an `X-Amz-Target`
    /// (`AmazonSSM.GetParameter`, `secretsmanager.CreateSecret`: a JSON body) or `iam` / `sts`
    /// (a Query body); the rest is the body. No input may make the server answer a 5xx. The
    /// status, for a request that could be sent.
    pub fn signed_request(&self, data: &[u8]) -> Option<StatusCode> {
        let (first, body) = split_once(data, b"\n").unwrap_or((data, b""));
        let first = std::str::from_utf8(first).ok()?;
        let mut headers: Vec<(&str, &str)> = vec![("host", HOST)];
        let signing_name = match first {
            "iam" | "sts" => {
                headers.push(("content-type", "application/x-www-form-urlencoded; charset=utf-8"));
                first
            }
            target => {
                HeaderValue::from_str(target).ok()?;
                headers.push(("content-type", "application/x-amz-json-1.1"));
                headers.push(("x-amz-target", target));
                if target.starts_with("secretsmanager.") { "secretsmanager" } else { "ssm" }
            }
        };
        let identity = Credentials::new(ROOT_KEY_ID, ROOT_SECRET, None, None, "fuzz").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(signing_name)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .expect("signing parameters")
            .into();
        let signable = SignableRequest::new("POST", "/", headers.iter().copied(), SignableBody::Bytes(body))
            .expect("signable request");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let mut request = Request::post("/");
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let request = request.body(Body::from(body.to_vec())).expect("request");
        let status = self.send(request);
        assert!(!status.is_server_error(), "{first} answered {status}");
        Some(status)
    }
}

fn split_once<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data.windows(separator.len()).position(|w| w == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}
