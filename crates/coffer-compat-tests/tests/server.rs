//! The HTTP edge of `coffer serve`, spoken to over a raw TCP socket.

mod common;

use common::raw::{Reply, Signer, read_reply, request, signed_json};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

fn unsigned(endpoint: &str, target: &str, body: &str) -> Reply {
    let headers = vec![
        ("Content-Type".to_owned(), "application/x-amz-json-1.1".to_owned()),
        ("X-Amz-Target".to_owned(), target.to_owned()),
    ];
    request(endpoint, "POST", "/", &headers, body.as_bytes())
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
    let ep = &server.endpoint;
    let r = signed_json(ep, "AmazonSSM.SendCommand", "{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("X-Amzn-ErrorType"), Some("UnknownOperationException"));
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    assert!(r.json()["Message"].as_str().unwrap().contains("SendCommand"));
    assert!(r.header("x-amzn-RequestId").is_some_and(|id| id.len() == 36));

    let r = unsigned(ep, "Nope.Thing", "{}");
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("UnknownOperationException")));
    let r = request(ep, "POST", "/", &[], b"{}");
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("UnknownOperationException")));

    // The Query services answer an action they lack with InvalidAction, in XML, after
    // authentication, naming the version asked for (or the service's own).
    for (service, action, version, named) in
        [("iam", "CreateGroup", "&Version=2010-05-08", "2010-05-08"), ("sts", "GetSessionToken", "", "2011-06-15")]
    {
        let body = format!("Action={action}{version}");
        let headers = Signer::root(service).sign(
            ep,
            &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            body.as_bytes(),
        );
        let r = request(ep, "POST", "/", &headers, body.as_bytes());
        assert_eq!(r.status, 400, "{service}");
        let text = &r.body;
        assert!(text.contains("<Code>InvalidAction</Code>"), "{service}: {text}");
        assert!(
            text.contains(&format!("<Message>Could not find operation {action} for version {named}</Message>")),
            "{service}: {text}"
        );
    }

    let r = signed_json(ep, "AmazonSSM.GetParameter", "{not json");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "SerializationException");
    assert_eq!(r.header("X-Amzn-ErrorType"), Some("SerializationException"));
    let r = signed_json(ep, "AmazonSSM.GetParameter", r#"{"Name": 5}"#);
    assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("SerializationException")));

    // Casing of the message member follows the model: lowercase for SSM parameter errors.
    let r = signed_json(ep, "AmazonSSM.GetParameter", r#"{"Name": "missing"}"#);
    assert_eq!(r.json()["__type"], "ParameterNotFound");
    assert!(r.json().get("message").is_some() && r.json().get("Message").is_none());
    // Absent members are omitted, never null; timestamps are numbers.
    let r = signed_json(ep, "AmazonSSM.PutParameter", r#"{"Name": "n", "Value": "v", "Type": "String"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/x-amz-json-1.1"));
    let r = signed_json(ep, "AmazonSSM.GetParameter", r#"{"Name": "n"}"#);
    assert!(!r.body.contains("null"), "{}", r.body);
    assert!(r.json()["Parameter"]["LastModifiedDate"].is_number());
    // An empty body is an empty input.
    let r = signed_json(ep, "AmazonSSM.DescribeParameters", "");
    assert_eq!(r.status, 200);
}

#[test]
fn signature_failures() {
    let server = common::Server::start(common::Backend::Sqlite);
    let ep = &server.endpoint;
    let target = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AmazonSSM.DescribeParameters")];
    let send = |headers: Vec<(String, String)>, body: &str| request(ep, "POST", "/", &headers, body.as_bytes());
    let code = |r: &Reply| {
        (
            r.status,
            r.json()["__type"].as_str().unwrap_or("").to_owned(),
            r.json()["message"].as_str().unwrap_or("").to_owned(),
        )
    };

    let r = unsigned(ep, "AmazonSSM.DescribeParameters", "{}");
    assert_eq!(code(&r), (400, "MissingAuthenticationTokenException".into(), "Missing Authentication Token".into()));

    let unknown = Signer { access_key_id: "AKIANOBODY0000000000", ..Signer::root("ssm") };
    let r = send(unknown.sign(ep, &target, b"{}"), "{}");
    assert_eq!(
        code(&r),
        (400, "UnrecognizedClientException".into(), "The security token included in the request is invalid.".into())
    );

    let wrong_secret = Signer { secret: "not-the-secret", ..Signer::root("ssm") };
    let r = send(wrong_secret.sign(ep, &target, b"{}"), "{}");
    assert_eq!(r.json()["__type"], "InvalidSignatureException");
    assert!(r.json()["message"].as_str().unwrap().starts_with("The request signature we calculated does not match"));

    // A signed request re-sent as another operation: X-Amz-Target (like every x-amz-* header)
    // must be covered by the signature.
    let mut headers = Signer::root("ssm").sign(ep, &[("content-type", "application/x-amz-json-1.1")], b"{}");
    headers.push(("x-amz-target".into(), "AmazonSSM.DeleteParameter".into()));
    let r = send(headers, "{}");
    assert_eq!(
        code(&r),
        (
            400,
            "IncompleteSignatureException".into(),
            "The request signature must cover the 'x-amz-target' header: every x-amz-* header must be signed.".into()
        )
    );
    // Two Authorization headers: refused, whichever would verify.
    let mut headers = Signer::root("ssm").sign(ep, &target, b"{}");
    let authorization = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")).unwrap().clone();
    headers.push(authorization);
    assert_eq!(code(&send(headers, "{}")).1, "IncompleteSignatureException");
    // A session token with a long-term key.
    let with_token = Signer { session_token: Some("not-a-session"), ..Signer::root("ssm") };
    assert_eq!(
        code(&send(with_token.sign(ep, &target, b"{}"), "{}")),
        (400, "UnrecognizedClientException".into(), "The security token included in the request is invalid.".into())
    );

    // Replayed 16 minutes later (or signed 16 minutes ago): expired.
    let old = Signer { time: SystemTime::now() - Duration::from_secs(16 * 60), ..Signer::root("ssm") };
    let r = send(old.sign(ep, &target, b"{}"), "{}");
    assert_eq!(r.json()["__type"], "InvalidSignatureException");
    let m = r.json()["message"].as_str().unwrap().to_owned();
    assert!(m.starts_with("Signature expired: ") && m.ends_with(" - 15 min.)"), "{m}");
    let fine = Signer { time: SystemTime::now() - Duration::from_secs(14 * 60), ..Signer::root("ssm") };
    assert_eq!(send(fine.sign(ep, &target, b"{}"), "{}").status, 200);

    // The body changed after signing.
    let r = send(Signer::root("ssm").sign(ep, &target, br#"{"MaxResults": 5}"#), r#"{"MaxResults": 6}"#);
    assert_eq!(r.json()["__type"], "InvalidSignatureException");

    // Wrong service in the scope; wrong region is a signature mismatch only if it differs from what was signed,
    // so a consistent other region is simply another region.
    let r = send(Signer::root("secretsmanager").sign(ep, &target, b"{}"), "{}");
    assert_eq!(r.json()["__type"], "InvalidSignatureException");
    assert!(r.json()["message"].as_str().unwrap().contains("Credential should be scoped to correct service: 'ssm'"));
    let mut forged = Signer::root("ssm").sign(ep, &target, b"{}");
    for (k, v) in &mut forged {
        if k == "authorization" {
            *v = v.replace("/us-east-1/", "/eu-west-1/");
        }
    }
    assert_eq!(send(forged, "{}").json()["__type"], "InvalidSignatureException");

    // A header added after signing: harmless if unsigned, fatal if it claims to be signed.
    let mut extra = Signer::root("ssm").sign(ep, &target, b"{}");
    extra.push(("x-added-later".into(), "1".into()));
    assert_eq!(send(extra, "{}").status, 200, "unsigned extra header is ignored");
    let mut tampered = Signer::root("ssm").sign(ep, &target, b"{}");
    for (k, v) in &mut tampered {
        if k == "x-amz-target" {
            *v = "AmazonSSM.GetParametersByPath".into();
        }
    }
    assert_eq!(send(tampered, "{}").json()["__type"], "InvalidSignatureException", "a signed header was changed");
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let server = common::Server::start(common::Backend::Sqlite);
    let big = format!(r#"{{"Name": "big", "Type": "String", "Value": "{}"}}"#, "x".repeat(1024 * 1024 + 1));
    let r = signed_json(&server.endpoint, "AmazonSSM.PutParameter", &big);
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["__type"], "RequestEntityTooLargeException");
    let r = signed_json(&server.endpoint, "AmazonSSM.GetParameter", r#"{"Name": "big"}"#);
    assert_eq!(r.json()["__type"], "ParameterNotFound", "nothing was written");
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let server = common::Server::start(common::Backend::Sqlite);
    let ep = server.endpoint.clone();
    let addr = ep.trim_start_matches("http://").to_owned();
    // A slow client: the request is accepted, its body arrives after SIGTERM.
    let body = r#"{"Name": "late", "Value": "v", "Type": "String"}"#;
    let headers = Signer::root("ssm").sign(
        &ep,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AmazonSSM.PutParameter")],
        body.as_bytes(),
    );
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    slow.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    slow.write_all(body.as_bytes()).unwrap();
    let reply = read_reply(&mut slow);
    assert_eq!(reply.status, 200, "in-flight request completed: {}", reply.body);
    assert!(reply.body.contains(r#""Version":1"#), "{}", reply.body);
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert!(TcpStream::connect(&addr).is_err(), "no new connections after shutdown");
}

/// The data directory and every file `coffer serve` keeps in it are the owner's alone, and a
/// data directory or database that others may read is refused at start-up.
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = common::Server::start(common::Backend::Sqlite);
    // A write, so the WAL and shared-memory files exist.
    let ssm = server.ssm().await;
    ssm.put_parameter()
        .name("p")
        .value("v")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let dir = server.data_dir.path().to_owned();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for file in ["coffer.db", "coffer.db-wal", "coffer.db-shm", "coffer.lock", "master.key", "root-credentials"] {
        let path = dir.join(file);
        if file != "root-credentials" || path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    let mut server = server;
    server.terminate_keep_data();

    let start = || {
        coffer_test_support::serve_command(&common::coffer_bin())
            .env("COFFER_DATA_DIR", &dir)
            .env("COFFER_ROOT_ACCESS_KEY_ID", common::ROOT_ACCESS_KEY_ID)
            .env("COFFER_ROOT_SECRET_ACCESS_KEY", common::ROOT_SECRET_ACCESS_KEY)
            .env_remove("COFFER_DATABASE_URL")
            .env_remove("COFFER_MASTER_KEY")
            .output()
            .unwrap()
    };
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = start();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected =
        format!("{} is open to group or others (mode 755); run `chmod 700 {}`", dir.display(), dir.display());
    assert!(stderr.contains(&expected), "{stderr}");

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let db = dir.join("coffer.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stderr = String::from_utf8_lossy(&start().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "{} is open to group or others (mode 644); run `chmod 600 {}`",
            db.display(),
            db.display()
        )),
        "{stderr}"
    );
}

/// A running `coffer serve` dumps no core (its soft core limit is 0 whatever it started with).
#[test]
fn the_server_dumps_no_core() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let hard = getrlimit(Resource::Core).maximum;
    setrlimit(Resource::Core, Rlimit { current: Some(1 << 20), maximum: hard }).unwrap();
    let server = common::Server::start(common::Backend::Sqlite);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");
}

fn address(endpoint: &str) -> String {
    endpoint.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or `within` passes): what it sent, and
/// whether it closed.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    use std::io::Read as _;
    stream.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (got, false);
            }
            Err(_) => return (got, true),
        }
    }
}

/// 2,000 clients that each send half a request header are cut off by the header timeout,
/// while a normal client keeps being served the whole time.
#[test]
fn half_sent_request_headers_are_cut_off_while_others_are_served() {
    let server = common::Server::start_with(common::Backend::Sqlite, &[("COFFER_HEADER_TIMEOUT", "2")]);
    let addr = address(&server.endpoint);
    let mut slow: Vec<TcpStream> = (0..2000)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"POST / HTTP/1.1\r\nHost: coffer\r\nX-Amz-Target: AmazonSSM.GetPar").unwrap();
            s
        })
        .collect();
    let started = std::time::Instant::now();
    for _ in 0..5 {
        let r = signed_json(&server.endpoint, "AmazonSSM.DescribeParameters", "{}");
        assert_eq!(r.status, 200, "served while 2,000 half-sent requests are held");
    }
    assert!(started.elapsed() < Duration::from_secs(2), "served before the timeout freed anything");
    for s in &mut slow {
        let (_, closed) = read_until_closed(s, Duration::from_secs(10));
        assert!(closed, "a half-sent request still held after the header timeout");
    }
    assert_eq!(signed_json(&server.endpoint, "AmazonSSM.DescribeParameters", "{}").status, 200);
}

/// Connections past the limit are answered 503 and closed at once; freed slots serve again.
#[test]
fn connections_over_the_limit_are_answered_503() {
    let server = common::Server::start_with(common::Backend::Sqlite, &[("COFFER_MAX_CONNECTIONS", "4")]);
    let addr = address(&server.endpoint);
    let held: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(&addr).unwrap();
    let (reply, closed) = read_until_closed(&mut extra, Duration::from_secs(5));
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{reply}");
    assert!(closed);
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(signed_json(&server.endpoint, "AmazonSSM.DescribeParameters", "{}").status, 200);
}

/// A body that does not arrive in time is answered 408.
#[test]
fn slow_bodies_time_out() {
    let server = common::Server::start_with(common::Backend::Sqlite, &[("COFFER_BODY_TIMEOUT", "1")]);
    let mut s = TcpStream::connect(address(&server.endpoint)).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: coffer\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AmazonSSM.GetParameter\r\nContent-Length: 100\r\n\r\n{\"Name\":").unwrap();
    let (reply, _) = read_until_closed(&mut s, Duration::from_secs(5));
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 408 "), "{reply}");
    assert!(reply.contains("RequestTimeoutException"), "{reply}");
}

/// With a rate per access key, the request past it is refused as AWS refuses it, and the
/// key is served again once its bucket refills.
#[test]
fn a_rate_per_access_key_answers_throttling() {
    let server = common::Server::start_with(common::Backend::Sqlite, &[("COFFER_RATE_LIMIT", "3")]);
    let statuses: Vec<u16> =
        (0..3).map(|_| signed_json(&server.endpoint, "AmazonSSM.DescribeParameters", "{}").status).collect();
    assert_eq!(statuses, [200, 200, 200]);
    let r = signed_json(&server.endpoint, "AmazonSSM.DescribeParameters", "{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "ThrottlingException");
    assert_eq!(r.json()["message"], "Rate exceeded");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(signed_json(&server.endpoint, "AmazonSSM.DescribeParameters", "{}").status, 200);
}

/// A kept-alive connection that sends no next request is closed after the header timeout.
#[test]
fn idle_keep_alive_connections_are_closed() {
    let server = common::Server::start_with(common::Backend::Sqlite, &[("COFFER_HEADER_TIMEOUT", "1")]);
    let mut s = TcpStream::connect(address(&server.endpoint)).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: coffer\r\n\r\n").unwrap();
    let started = std::time::Instant::now();
    let (reply, closed) = read_until_closed(&mut s, Duration::from_secs(5));
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(closed, "the idle connection was kept open");
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// Plain HTTP on an address other hosts can reach is refused unless asked for explicitly.
#[test]
fn plain_http_on_a_reachable_address_needs_insecure_http() {
    let data_dir = tempfile::Builder::new()
        .permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700))
        .tempdir()
        .unwrap();
    let out = std::process::Command::new(common::coffer_bin())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env("COFFER_DATA_DIR", data_dir.path())
        .env_remove("COFFER_INSECURE_HTTP")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: refusing to serve plain HTTP on 0.0.0.0:0: other hosts could reach it, and every secret value and signed request would cross the network in clear text."),
        "{stderr}"
    );
    assert!(!data_dir.path().join("coffer.db").exists(), "refused before opening anything");

    let mut cmd = std::process::Command::new(common::coffer_bin());
    cmd.args(["serve", "--listen", "0.0.0.0:0", "--insecure-http"])
        .env("COFFER_DATA_DIR", data_dir.path())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let (mut child, endpoint) = coffer_test_support::start_serve(cmd, "stderr (discarded)");
    let port = endpoint.rsplit(':').next().unwrap();
    let r = request(&format!("http://127.0.0.1:{port}"), "GET", "/health", &[], b"");
    assert_eq!(r.status, 200);
    let _ = child.kill();
    let _ = child.wait();
}
