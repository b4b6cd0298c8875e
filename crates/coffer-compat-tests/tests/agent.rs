//! `coffer agent` in front of a real `coffer serve`, spoken to with hyper as a program would
//! speak to AWS's Secrets Manager Agent or the Lambda extension.

mod common;

use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_ssm::types::ParameterType;
use common::{Backend, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, Server, coffer_bin};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "agent-test-token-0123456789";
const TTL_SECONDS: u64 = 1;

struct Agent {
    child: Child,
    base: String,
    client: Client<HttpConnector, Empty<Bytes>>,
    _logs: tempfile::TempDir,
}

/// `coffer agent --port 0` for `endpoint`, with nothing from this process's environment but
/// `PATH`, the token, and `env`; stderr into `stderr`.
fn agent_command(endpoint: &str, home: &std::path::Path, env: &[(&str, &str)], stderr: Stdio) -> Command {
    let mut cmd = Command::new(coffer_bin());
    cmd.args(["agent", "--port", "0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_TOKEN", TOKEN)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    cmd
}

/// The root's credentials, as environment variables.
const ROOT_ENV: [(&str, &str); 2] =
    [("AWS_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID), ("AWS_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)];

impl Agent {
    /// Starts `cmd` (an [`agent_command`]) and waits until it listens.
    fn spawn(cmd: Command, logs: tempfile::TempDir) -> Self {
        let (child, base) = coffer_test_support::start_serve(cmd, "the agent's stderr");
        Self { child, base, client: Client::builder(TokioExecutor::new()).build_http(), _logs: logs }
    }

    fn start(server: &Server) -> Self {
        let logs = tempfile::tempdir().unwrap();
        let ttl = TTL_SECONDS.to_string();
        let mut env = ROOT_ENV.to_vec();
        env.extend([
            ("SECRETS_MANAGER_TTL", ttl.as_str()),
            ("SSM_PARAMETER_STORE_TTL", ttl.as_str()),
            ("RUST_LOG", "warn"),
        ]);
        let stderr = Stdio::from(std::fs::File::create(logs.path().join("agent.log")).unwrap());
        Self::spawn(agent_command(&server.endpoint, logs.path(), &env, stderr), logs)
    }

    /// `(status, content type, body)` of a request with `headers`.
    async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        let mut request = hyper::Request::builder().method(method).uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.client.request(request.body(Empty::new()).unwrap()).await.expect("the agent answers");
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, String::from_utf8_lossy(&body).into_owned())
    }

    /// A GET with the token; the body parsed as JSON.
    async fn get(&self, path: &str) -> (u16, Value) {
        let (status, content_type, body) =
            self.request("GET", path, &[("X-Aws-Parameters-Secrets-Token", TOKEN)]).await;
        assert_eq!(content_type, "application/json", "{path}: {status} {body}");
        (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")))
    }

    async fn secret_string(&self, path: &str) -> String {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        body["SecretString"].as_str().unwrap().to_owned()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_protocol_over_a_real_server() {
    let server = Server::start(Backend::Sqlite);
    let sm = server.secrets_manager().await;
    let ssm = server.ssm().await;
    sm.create_secret().name("app/db").secret_string(r#"{"password":"one"}"#).send().await.unwrap();
    sm.create_secret().name("app/blob").secret_binary(Blob::new(vec![0u8, 1, 2, 255])).send().await.unwrap();
    ssm.put_parameter().name("/app/url").value("https://one").r#type(ParameterType::String).send().await.unwrap();
    ssm.put_parameter().name("/app/key").value("k1").r#type(ParameterType::SecureString).send().await.unwrap();
    let agent = Agent::start(&server);

    // SSRF rules: /ping needs no token; everything else needs the right one, and no proxy.
    assert_eq!(agent.request("GET", "/ping", &[]).await, (200, "text/plain; charset=utf-8".into(), "healthy".into()));
    let path = "/secretsmanager/get?secretId=app/db";
    assert_eq!(agent.request("GET", path, &[]).await.2, "Bad Token");
    assert_eq!(agent.request("GET", path, &[("X-Aws-Parameters-Secrets-Token", "nope")]).await.0, 403);
    let forwarded = [("X-Aws-Parameters-Secrets-Token", TOKEN), ("X-Forwarded-For", "10.0.0.1")];
    assert_eq!(
        agent.request("GET", path, &forwarded).await,
        (400, "text/plain; charset=utf-8".into(), "Forwarded".into())
    );
    assert_eq!(agent.request("POST", path, &[("X-Aws-Parameters-Secrets-Token", TOKEN)]).await.0, 405);
    assert_eq!(agent.request("GET", path, &[("X-Vault-Token", TOKEN)]).await.0, 200);

    // GetSecretValue's JSON, with CreatedDate as a string; the path form answers the same.
    let (status, body) = agent.get(path).await;
    assert_eq!(status, 200);
    assert_eq!(body["Name"], "app/db");
    assert_eq!(body["SecretString"], r#"{"password":"one"}"#);
    assert_eq!(body["VersionStages"], serde_json::json!(["AWSCURRENT"]));
    assert!(body["ARN"].as_str().unwrap().starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-"));
    let created = body["CreatedDate"].as_str().expect("CreatedDate is a string");
    let (secs, millis) = created.split_once('.').unwrap();
    assert!(
        secs.len() >= 10 && millis.len() == 3 && created.replace('.', "").bytes().all(|b| b.is_ascii_digit()),
        "{created}"
    );
    let (_, by_path) = agent.get("/v1/app%2Fdb").await;
    assert_eq!(by_path, body);
    sm.create_secret().name("a+b").secret_string("plus").send().await.unwrap();
    assert_eq!(agent.secret_string("/v1/a+b").await, "plus", "a path's + is a +");
    let (_, blob) = agent.get("/secretsmanager/get?secretId=app/blob").await;
    assert_eq!(blob["SecretBinary"], "AAEC/w==");
    assert!(blob.get("SecretString").is_none());

    // Locally refused requests are plain text.
    let with_token = [("X-Aws-Parameters-Secrets-Token", TOKEN)];
    for (path, status, says) in [
        ("/secretsmanager/get", 400, "missing parameter secretId"),
        ("/secretsmanager/get?secretId=app/db&colour=blue", 400, "unknown parameter: colour"),
        ("/secretsmanager/get?secretId=app/db&refreshNow=maybe", 400, "invalid value for refreshNow: maybe"),
        ("/v1/", 400, "missing parameter secretId"),
        ("/elsewhere", 404, "Not found"),
        ("/systemsmanager/parameters/get", 400, "missing parameter name"),
    ] {
        assert_eq!(
            agent.request("GET", path, &with_token).await,
            (status, "text/plain; charset=utf-8".into(), says.into()),
            "{path}"
        );
    }

    // Upstream errors pass through with their status, as {"__type", "message"}.
    let (status, error) = agent.get("/secretsmanager/get?secretId=app/db&versionStage=AWSPREVIOUS").await;
    assert_eq!((status, error["__type"].as_str()), (400, Some("ResourceNotFoundException")), "{error}");
    assert!(error["message"].as_str().unwrap().contains("AWSPREVIOUS"), "{error}");
    let (status, error) = agent.get("/secretsmanager/get?secretId=nothing-here").await;
    assert_eq!((status, error["__type"].as_str()), (400, Some("ResourceNotFoundException")));

    // Parameters: GetParameter's JSON, selectors, decryption.
    let (status, url) = agent.get("/systemsmanager/parameters/get?name=%2Fapp%2Furl").await;
    assert_eq!(status, 200, "{url}");
    assert_eq!(
        (
            &url["Parameter"]["Name"],
            &url["Parameter"]["Value"],
            &url["Parameter"]["Type"],
            &url["Parameter"]["Version"]
        ),
        (&Value::from("/app/url"), &Value::from("https://one"), &Value::from("String"), &Value::from(1))
    );
    ssm.put_parameter().name("/app/url").value("https://two").overwrite(true).send().await.unwrap();
    ssm.label_parameter_version().name("/app/url").parameter_version(1).labels("stable").send().await.unwrap();
    let (_, v2) = agent.get("/systemsmanager/parameters/get?name=/app/url&version=2").await;
    assert_eq!(
        (&v2["Parameter"]["Value"], &v2["Parameter"]["Selector"]),
        (&Value::from("https://two"), &Value::from(":2"))
    );
    let (_, stable) = agent.get("/systemsmanager/parameters/get?name=/app/url&label=stable").await;
    assert_eq!(stable["Parameter"]["Value"], "https://one");
    let (_, key) = agent.get("/systemsmanager/parameters/get?name=/app/key&withDecryption=true").await;
    assert_eq!(key["Parameter"]["Value"], "k1");
    let (_, sealed) = agent.get("/systemsmanager/parameters/get?name=/app/key").await;
    assert_ne!(sealed["Parameter"]["Value"], "k1", "no decryption unless asked");

    // The cache: a new value is not seen within the TTL, is after it (DescribeSecret shows
    // AWSCURRENT moved), and at once with refreshNow.
    sm.put_secret_value().secret_id("app/db").secret_string(r#"{"password":"two"}"#).send().await.unwrap();
    assert_eq!(agent.secret_string(path).await, r#"{"password":"one"}"#);
    tokio::time::sleep(Duration::from_millis(TTL_SECONDS * 1000 + 200)).await;
    assert_eq!(agent.secret_string(path).await, r#"{"password":"two"}"#);
    let three =
        sm.put_secret_value().secret_id("app/db").secret_string(r#"{"password":"three"}"#).send().await.unwrap();
    assert_eq!(agent.secret_string(path).await, r#"{"password":"two"}"#);
    // Selectors: a stage and a version id.
    assert_eq!(agent.secret_string(&format!("{path}&versionStage=AWSPREVIOUS")).await, r#"{"password":"two"}"#);
    let by_id = format!("{path}&versionId={}", three.version_id().unwrap());
    assert_eq!(agent.secret_string(&by_id).await, r#"{"password":"three"}"#);
    assert_eq!(agent.secret_string(&format!("{path}&refreshNow=true")).await, r#"{"password":"three"}"#);
    assert_eq!(agent.secret_string(path).await, r#"{"password":"three"}"#, "refreshNow updates the cache");
    // Past the TTL, an unchanged secret is revalidated (a hit), not read again.
    tokio::time::sleep(Duration::from_millis(TTL_SECONDS * 1000 + 200)).await;
    assert_eq!(agent.secret_string(path).await, r#"{"password":"three"}"#);
    let (status, _, metrics) = agent.request("GET", "/metrics", &with_token).await;
    assert_eq!(status, 200);
    let count = |name: &str| -> u64 {
        metrics.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|n| n.parse().ok()).unwrap()
    };
    assert!(count("coffer_agent_cache_hits_total") >= 3, "{metrics}");
    assert!(count("coffer_agent_cache_misses_total") >= 4, "{metrics}");
    assert_eq!(agent.request("GET", "/metrics", &[]).await.0, 403);

    // The upstream goes away: cached values are served stale after the TTL, a value never
    // cached is a 502, and refreshNow reports the failure.
    server.terminate();
    tokio::time::sleep(Duration::from_millis(TTL_SECONDS * 1000 + 200)).await;
    assert_eq!(agent.secret_string(path).await, r#"{"password":"three"}"#);
    let (_, stale_param) = agent.get("/systemsmanager/parameters/get?name=/app/key&withDecryption=true").await;
    assert_eq!(stale_param["Parameter"]["Value"], "k1");
    let (status, error) = agent.get("/secretsmanager/get?secretId=never-cached").await;
    assert_eq!((status, error["__type"].as_str()), (502, Some("ConnectionError")), "{error}");
    let (status, _) = agent.get(&format!("{path}&refreshNow=1")).await;
    assert_eq!(status, 502);
    let (_, _, metrics) = agent.request("GET", "/metrics", &with_token).await;
    assert!(metrics.contains("coffer_agent_stale_served_total 2"), "{metrics}");
}

#[test]
fn the_agent_refuses_to_start_without_a_token() {
    let out = Command::new(coffer_bin())
        .args(["agent", "--port", "0"])
        .env_remove("AWS_TOKEN")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no SSRF token: set one of AWS_TOKEN, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_file_names_credentials_and_log_level() {
    let server = Server::start(Backend::Sqlite);
    server.secrets_manager().await.create_secret().name("cfg").secret_string("from-file").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = {ROOT_ACCESS_KEY_ID}\naws_secret_access_key = {ROOT_SECRET_ACCESS_KEY}\n"
        ),
    )
    .unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("log_level = \"debug\"\nttl_seconds = 60\ncredentials_file_path = \"{}\"\n", credentials.display()),
    )
    .unwrap();
    let stderr = dir.path().join("agent.log");
    let mut cmd =
        agent_command(&server.endpoint, dir.path(), &[], Stdio::from(std::fs::File::create(&stderr).unwrap()));
    cmd.arg("--config").arg(&config);
    let agent = Agent::spawn(cmd, dir);
    assert_eq!(agent.secret_string("/secretsmanager/get?secretId=cfg").await, "from-file");
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(log.contains("cache miss"), "debug logging from the file's log_level: {log}");
    assert!(!log.contains("from-file"), "no value in the log: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_times_out_and_excess_requests_are_refused() {
    // An endpoint that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "validate_credentials = false\nmax_conn = 1\n").unwrap();
    let mut env = ROOT_ENV.to_vec();
    env.push(("SECRETS_MANAGER_TIMEOUT_MILLIS", "800"));
    let mut cmd = agent_command(&endpoint, dir.path(), &env, Stdio::null());
    cmd.arg("--config").arg(&config);
    let agent = std::sync::Arc::new(Agent::spawn(cmd, dir));
    let waiting = {
        let agent = agent.clone();
        tokio::spawn(async move { agent.get("/secretsmanager/get?secretId=slow").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let with_token = [("X-Aws-Parameters-Secrets-Token", TOKEN)];
    assert_eq!(
        agent.request("GET", "/secretsmanager/get?secretId=other", &with_token).await,
        (429, "text/plain; charset=utf-8".into(), "Connection limit exceeded".into())
    );
    let (status, error) = waiting.await.unwrap();
    assert_eq!((status, error["__type"].as_str()), (504, Some("TimeoutError")), "{error}");
}
