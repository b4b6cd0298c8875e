//! `coffer serve` over TLS: a self-signed first run that aws-sdk-rust, the coffer CLI and raw
//! TLS clients trust through the printed CA bundle; HTTP/2 and HTTP/1.1 by ALPN, TLS 1.2 and
//! 1.3; certificates replaced on SIGHUP without dropping open connections; the policy key
//! `aws:SecureTransport`.

mod common;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use common::{ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, coffer_bin};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

fn private_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().unwrap()
}

/// A `coffer serve` child over TLS; killed on drop.
struct TlsServer {
    child: Child,
    addr: String,
    /// What the server printed on stderr before it was ready.
    ca_line: Option<String>,
}

impl TlsServer {
    /// Starts `coffer serve` on `data_dir` with `args` and waits for `listening on`; with
    /// `--tls-self-signed`, also reads the `AWS_CA_BUNDLE=…` line from stderr.
    fn start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(coffer_bin());
        cmd.arg("serve")
            .args(args)
            .env("COFFER_DATA_DIR", data_dir)
            .env("COFFER_ROOT_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
            .env("COFFER_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)
            .env_remove("COFFER_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn coffer serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on ").map(str::to_owned) else {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
            panic!("coffer serve did not start: {line:?} {rest}");
        };
        let ca_line = args.contains(&"--tls-self-signed").then(|| {
            let mut line = String::new();
            stderr.read_line(&mut line).unwrap();
            line.trim_end().to_owned()
        });
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self { child, addr, ca_line }
    }

    fn https(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn hang_up(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// aws-sdk-rust trusting only `ca_pem`.
async fn sdk_config(endpoint: &str, ca_pem: &[u8], credentials: Credentials) -> aws_config::SdkConfig {
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(ca_pem.to_vec());
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(TlsContext::builder().with_trust_store(trust).build().unwrap())
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(client)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

fn root() -> Credentials {
    Credentials::new(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, None, None, "test")
}

/// A TLS client trusting `ca_pem`, offering `alpn`, limited to `versions`.
fn connector(ca_pem: &[u8], alpn: &[&[u8]], versions: &[&'static rustls::SupportedProtocolVersion]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}

async fn handshake(addr: &str, connector: &TlsConnector) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

/// `GET /health` on an open HTTP/1.1 connection (kept alive): the status line.
async fn health(stream: &mut TlsStream<TcpStream>) -> String {
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

fn served_certificate(stream: &TlsStream<TcpStream>) -> Vec<u8> {
    stream.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test]
async fn self_signed_first_run_is_trusted_through_the_printed_bundle() {
    let data_dir = private_tempdir();
    let server = TlsServer::start(data_dir.path(), &["--listen", "127.0.0.1:0", "--tls-self-signed"], &[]);
    let tls_dir = std::fs::canonicalize(data_dir.path()).unwrap().join("tls");
    let bundle = tls_dir.join("ca.pem");
    assert_eq!(server.ca_line.as_deref(), Some(format!("AWS_CA_BUNDLE={}", bundle.display()).as_str()));
    for file in ["ca.pem", "ca.key", "server.pem", "server.key"] {
        assert_eq!(mode(&tls_dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&tls_dir), 0o700);
    let ca_pem = std::fs::read(&bundle).unwrap();

    // aws-sdk-rust over HTTPS: a SecureString written and read back.
    let config = sdk_config(&server.https(), &ca_pem, root()).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    ssm.put_parameter()
        .name("/tls/db")
        .value("over-tls")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let got = ssm.get_parameter().name("/tls/db").with_decryption(true).send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("over-tls"));

    // HTTP/2 and HTTP/1.1 by ALPN, TLS 1.3 and 1.2.
    let both: &[&'static rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];
    let h2 = handshake(&server.addr, &connector(&ca_pem, &[b"h2", b"http/1.1"], both)).await.unwrap();
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(h2.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
    let mut h1 =
        handshake(&server.addr, &connector(&ca_pem, &[b"http/1.1"], &[&rustls::version::TLS12])).await.unwrap();
    assert_eq!(h1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(h1.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!(health(&mut h1).await, "HTTP/1.1 200 OK");

    // A client that does not trust the CA is refused by its own verifier.
    let other_ca = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap().cert.pem();
    let untrusted = handshake(&server.addr, &connector(other_ca.as_bytes(), &[], both)).await;
    assert!(untrusted.unwrap_err().to_string().contains("invalid peer certificate"));

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(&server.addr).await.unwrap();
    plain.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), plain.read_to_end(&mut buf)).await.unwrap();
    assert!(!buf.starts_with(b"HTTP/"), "{:?}", String::from_utf8_lossy(&buf));

    // A restart keeps the CA (clients' bundle stays valid) and signs a new server certificate.
    let first_server_cert = std::fs::read(tls_dir.join("server.pem")).unwrap();
    drop(server);
    let server = TlsServer::start(data_dir.path(), &["--listen", "127.0.0.1:0", "--tls-self-signed"], &[]);
    assert_eq!(std::fs::read(&bundle).unwrap(), ca_pem);
    assert_ne!(std::fs::read(tls_dir.join("server.pem")).unwrap(), first_server_cert);
    let ssm = aws_sdk_ssm::Client::new(&sdk_config(&server.https(), &ca_pem, root()).await);
    let got = ssm.get_parameter().name("/tls/db").with_decryption(true).send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("over-tls"));
}

/// A CA and leaf certificates for `localhost`, written as PEM files.
struct Pki {
    ca_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Pki {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::default();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "test CA");
        let key = rcgen::KeyPair::generate().unwrap();
        let ca_pem = params.self_signed(&key).unwrap().pem();
        Self { ca_pem, issuer: rcgen::Issuer::new(params, key) }
    }

    /// Writes a new leaf certificate and its key to `cert`/`key` (whole files, by rename), and
    /// returns the certificate's DER.
    fn issue(&self, cert: &Path, key: &Path) -> Vec<u8> {
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = params.signed_by(&leaf_key, &self.issuer).unwrap();
        replace(key, leaf_key.serialize_pem().as_bytes());
        replace(cert, leaf.pem().as_bytes());
        leaf.der().to_vec()
    }
}

fn replace(path: &Path, content: &[u8]) {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    std::fs::write(&partial, content).unwrap();
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&partial, path).unwrap();
}

#[tokio::test]
async fn certificates_are_reloaded_on_sighup_without_dropping_connections() {
    let data_dir = private_tempdir();
    let certs = private_tempdir();
    let (cert, key) = (certs.path().join("server.pem"), certs.path().join("server.key"));
    let pki = Pki::new();
    let first = pki.issue(&cert, &key);
    let server = TlsServer::start(
        data_dir.path(),
        &["--listen", "127.0.0.1:0"],
        &[("COFFER_TLS_CERT", cert.to_str().unwrap()), ("COFFER_TLS_KEY", key.to_str().unwrap())],
    );
    let tls = connector(pki.ca_pem.as_bytes(), &[b"http/1.1"], &[&rustls::version::TLS13]);
    let mut open = handshake(&server.addr, &tls).await.unwrap();
    assert_eq!(served_certificate(&open), first);
    assert_eq!(health(&mut open).await, "HTTP/1.1 200 OK");

    let second = pki.issue(&cert, &key);
    server.hang_up();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let fresh = handshake(&server.addr, &tls).await.unwrap();
        if served_certificate(&fresh) == second {
            break;
        }
        assert!(Instant::now() < deadline, "the new certificate was not served after SIGHUP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The connection opened before the reload still serves requests.
    assert_eq!(health(&mut open).await, "HTTP/1.1 200 OK");

    // Files that cannot serve (a key that is not the certificate's) are refused; the
    // certificate in use stays.
    let (other_cert, other_key) = (certs.path().join("other.pem"), certs.path().join("other.key"));
    pki.issue(&other_cert, &other_key);
    std::fs::copy(&other_key, &key).unwrap();
    server.hang_up();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fresh = handshake(&server.addr, &tls).await.unwrap();
    assert_eq!(served_certificate(&fresh), second);
    let mut fresh = fresh;
    assert_eq!(health(&mut fresh).await, "HTTP/1.1 200 OK");
}

#[test]
fn tls_files_that_cannot_serve_stop_start_up_with_the_reason() {
    let data_dir = private_tempdir();
    let certs = private_tempdir();
    let (cert, key) = (certs.path().join("server.pem"), certs.path().join("server.key"));
    std::fs::write(&cert, "not a certificate").unwrap();
    std::fs::write(&key, "not a key").unwrap();
    let out = Command::new(coffer_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("COFFER_DATA_DIR", data_dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("error: {} holds no PEM certificate", cert.display())), "{stderr}");
    assert!(!data_dir.path().join("coffer.db").exists(), "refused before opening the store");
}

/// With TLS, an address other hosts can reach needs no `--insecure-http`.
#[test]
fn tls_serves_on_a_reachable_address() {
    let data_dir = private_tempdir();
    let server = TlsServer::start(data_dir.path(), &["--listen", "0.0.0.0:0", "--tls-self-signed"], &[]);
    assert!(server.ca_line.as_deref().unwrap().starts_with("AWS_CA_BUNDLE="));
    let out = Command::new(coffer_bin()).args(["serve", "--insecure-http", "--tls-self-signed"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

/// `aws:SecureTransport` is `true` over TLS and `false` over plain HTTP: a policy that denies
/// clear-text requests lets the same user through HTTPS only.
#[tokio::test]
async fn secure_transport_condition_sees_tls() {
    let data_dir = private_tempdir();
    let tls = TlsServer::start(data_dir.path(), &["--listen", "127.0.0.1:0", "--tls-self-signed"], &[]);
    let plain = TlsServer::start(data_dir.path(), &["--listen", "127.0.0.1:0"], &[]);
    let ca_pem = std::fs::read(data_dir.path().join("tls/ca.pem")).unwrap();
    let root_config = sdk_config(&tls.https(), &ca_pem, root()).await;
    let iam = aws_sdk_iam::Client::new(&root_config);
    iam.create_user().user_name("carol").send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    iam.put_user_policy().user_name("carol").policy_name("tls-only").policy_document(policy).send().await.unwrap();
    let key = iam.create_access_key().user_name("carol").send().await.unwrap().access_key.unwrap();
    let carol = Credentials::new(key.access_key_id(), key.secret_access_key(), None, None, "carol");
    aws_sdk_ssm::Client::new(&root_config)
        .put_parameter()
        .name("/p")
        .value("v")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();

    let over_tls = aws_sdk_ssm::Client::new(&sdk_config(&tls.https(), &ca_pem, carol.clone()).await);
    let got = over_tls.get_parameter().name("/p").send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("v"));

    let plain_config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(format!("http://{}", plain.addr))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(carol)
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    let err = aws_sdk_ssm::Client::new(&plain_config).get_parameter().name("/p").send().await.unwrap_err();
    let err = err.into_service_error();
    assert_eq!(aws_sdk_ssm::error::ProvideErrorMetadata::code(&err), Some("AccessDeniedException"));
    assert!(
        aws_sdk_ssm::error::ProvideErrorMetadata::message(&err).unwrap().contains("with an explicit deny"),
        "{err:?}"
    );
}

/// The coffer CLI's SDK backend (here `coffer run`) honours `AWS_CA_BUNDLE`, and says so when
/// the bundle cannot be used.
#[test]
fn coffer_run_trusts_aws_ca_bundle() {
    let data_dir = private_tempdir();
    let server = TlsServer::start(data_dir.path(), &["--listen", "127.0.0.1:0", "--tls-self-signed"], &[]);
    let bundle = data_dir.path().join("tls/ca.pem");
    let work = private_tempdir();
    let run = |bundle: Option<&Path>| {
        let mut cmd = Command::new(coffer_bin());
        cmd.current_dir(work.path())
            .args(["run", "--task-def", "td.json", "--", "printenv", "DB"])
            .env("AWS_ENDPOINT_URL", server.https())
            .env("AWS_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("COFFER_DATA_DIR");
        match bundle {
            Some(b) => cmd.env("AWS_CA_BUNDLE", b),
            None => cmd.env_remove("AWS_CA_BUNDLE"),
        };
        cmd.output().unwrap()
    };
    let td = r#"{"containerDefinitions":[{"name":"api","secrets":[{"name":"DB","valueFrom":"/tls/run"}]}]}"#;
    std::fs::write(work.path().join("td.json"), td).unwrap();
    let ca_pem = std::fs::read(&bundle).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(&sdk_config(&server.https(), &ca_pem, root()).await);
        ssm.put_parameter()
            .name("/tls/run")
            .value("from-https")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    });

    let out = run(Some(&bundle));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from-https\n");

    let not_a_bundle = work.path().join("empty.pem");
    std::fs::write(&not_a_bundle, "").unwrap();
    let out = run(Some(&not_a_bundle));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("AWS_CA_BUNDLE {}: holds no PEM certificate", not_a_bundle.display())),
        "{stderr}"
    );
}
