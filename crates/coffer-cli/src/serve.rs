//! `coffer serve`

use crate::config::{LockMode, StoreArgs, lock_data_dir};
use crate::tls::TlsArgs;
use anyhow::Context as _;
use clap::Args;
use coffer_server::ServerConfig;
use coffer_services::audit::{AuditLines, Auditor};
use coffer_store::credentials::load_or_create_root_credentials;
use coffer_store::{Keyring, Store};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "COFFER_LISTEN", default_value = "127.0.0.1:4583")]
    listen: SocketAddr,

    /// Serve plain HTTP on an address other hosts can reach (values cross the network in
    /// clear text): only behind a TLS-terminating proxy or on a trusted network.
    #[arg(long, env = "COFFER_INSECURE_HTTP", conflicts_with_all = ["tls_cert", "tls_self_signed"])]
    insecure_http: bool,

    #[command(flatten)]
    tls: TlsArgs,

    #[command(flatten)]
    store: StoreArgs,

    /// Account id every resource belongs to.
    #[arg(long, env = "COFFER_ACCOUNT_ID", default_value = "000000000000")]
    account_id: String,

    /// Region recorded for requests that fail before their SigV4 credential scope is read.
    #[arg(long, env = "COFFER_DEFAULT_REGION", default_value = "us-east-1")]
    default_region: String,

    /// Also write every audit record as a JSON line to this file (`-` for stdout). Records
    /// always go to the store's hash-chained audit table.
    #[arg(long, env = "COFFER_AUDIT_LOG")]
    audit_log: Option<PathBuf>,

    /// Seconds a client has to send a request's header (the first, and each next one on a
    /// kept-alive connection); then the connection is closed.
    #[arg(long, env = "COFFER_HEADER_TIMEOUT", default_value_t = 10, value_name = "SECS", help_heading = "Limits")]
    header_timeout: u64,

    /// Seconds a client has to send a request's body (408 after).
    #[arg(long, env = "COFFER_BODY_TIMEOUT", default_value_t = 30, value_name = "SECS", help_heading = "Limits")]
    body_timeout: u64,

    /// Connections served at once; more are answered 503 and closed.
    #[arg(long, env = "COFFER_MAX_CONNECTIONS", default_value_t = 4096, value_name = "N", help_heading = "Limits")]
    max_connections: usize,

    /// Seconds to keep retrying (with backoff) a database that cannot be reached at start-up.
    #[arg(long, env = "COFFER_DB_CONNECT_TIMEOUT", default_value_t = 30, value_name = "SECS")]
    db_connect_timeout: u64,

    /// Requests per second one access key may make (ThrottlingException beyond) [default: no limit]
    #[arg(long, env = "COFFER_RATE_LIMIT", value_name = "PER_SEC", help_heading = "Limits")]
    rate_limit: Option<u32>,
}

fn audit_lines(path: Option<&PathBuf>) -> anyhow::Result<AuditLines> {
    Ok(match path {
        None => AuditLines::None,
        Some(p) if p.as_os_str() == "-" => AuditLines::Stdout,
        Some(p) => AuditLines::File(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(p)
                .with_context(|| format!("cannot open audit log {}", p.display()))?,
        ),
    })
}

/// SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return ctrl_c.await.unwrap_or(()),
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Opens the store, retrying with backoff while the database cannot be reached (a server
/// started before its PostgreSQL), for at most `patience`. Messages never show the URL: it
/// may hold a password.
async fn open_with_retries(store: &StoreArgs, keyring: Keyring, patience: Duration) -> anyhow::Result<Store> {
    let options = store.options(coffer_store::Concurrency::Server)?;
    let started = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match Store::open(&options, keyring.clone()).await {
            Ok(store) => return Ok(store),
            Err(e) if e.is_unreachable() && started.elapsed() + delay < patience => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "the database cannot be reached; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) if e.is_unreachable() => {
                anyhow::bail!("the database could not be reached within {} s: {e}", patience.as_secs())
            }
            Err(e) => return Err(anyhow::Error::new(e).context("cannot open the store")),
        }
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("COFFER_ACCOUNT_ID must be 12 digits, got {:?}", args.account_id);
    }
    if !args.listen.ip().is_loopback() && !args.insecure_http && !args.tls.enabled() {
        anyhow::bail!(
            "refusing to serve plain HTTP on {}: other hosts could reach it, and every secret value and signed request would cross the network in clear text. Serve HTTPS (--tls-cert and --tls-key, or --tls-self-signed), listen on 127.0.0.1, or pass --insecure-http (COFFER_INSECURE_HTTP=true) behind a TLS-terminating proxy",
            args.listen
        );
    }
    let _no_core = crate::harden::no_core_dumps();
    let (keyring, _) = args.store.keyring()?;
    let data_dir = args.store.data_dir()?;
    let _lock = lock_data_dir(&data_dir, LockMode::Shared)?;
    let root = load_or_create_root_credentials(
        &data_dir,
        std::env::var("COFFER_ROOT_ACCESS_KEY_ID").ok().filter(|v| !v.is_empty()),
        std::env::var("COFFER_ROOT_SECRET_ACCESS_KEY").ok().filter(|v| !v.is_empty()).map(SecretString::from),
    )?;
    let certificate = args.tls.certificate(&data_dir, args.listen)?;
    let store = open_with_retries(&args.store, keyring, Duration::from_secs(args.db_connect_timeout)).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let scheme = if certificate.is_some() { "https" } else { "http" };
    tracing::info!(%addr, scheme, backend = store.backend().name(), root_access_key_id = %root.access_key_id, "coffer serve ready");
    let mut ca_bundle = None;
    let tls = certificate.map(|(certificate, bundle)| {
        if let Some(bundle) = bundle {
            let bundle = std::fs::canonicalize(&bundle).unwrap_or(bundle);
            // The line clients need (stderr: stdout carries only the line below).
            eprintln!("AWS_CA_BUNDLE={}", bundle.display());
            ca_bundle = Some(bundle);
        }
        tokio::spawn(crate::tls::reload_on_hangup(certificate.clone()));
        certificate.acceptor()
    });
    // Rotation functions reach this server on the loopback interface (by name over TLS, which
    // the certificate covers).
    let host = match (tls.is_some(), addr.ip().is_unspecified()) {
        (true, _) => "localhost".to_owned(),
        (false, true) => "127.0.0.1".to_owned(),
        (false, false) => addr.ip().to_string(),
    };
    let port = addr.port();
    let endpoint = coffer_rotation::Endpoint { url: format!("{scheme}://{host}:{port}"), ca_bundle };
    let clock = std::sync::Arc::new(coffer_rotation::SystemClock);
    let rotation = tokio::spawn(coffer_rotation::Runner::new(store.clone(), endpoint, Default::default(), clock).run());
    // The one line on stdout: scripts and tests wait for it to learn the address.
    println!("listening on {addr}");
    let auditor = Auditor::start(store.clone(), audit_lines(args.audit_log.as_ref())?);
    let limits = coffer_server::Limits {
        header_read_timeout: Duration::from_secs(args.header_timeout.max(1)),
        body_timeout: Duration::from_secs(args.body_timeout.max(1)),
        max_connections: args.max_connections.max(1),
        rate_per_key: args.rate_limit.filter(|r| *r > 0),
    };
    let config = ServerConfig { account_id: args.account_id, default_region: args.default_region, limits };
    let served = coffer_server::serve(listener, tls, store, config, &root, auditor, shutdown_signal()).await;
    // A rotation cut short here is retried (by this or another server) when its claim expires.
    rotation.abort();
    served?;
    tracing::info!("stopped");
    Ok(())
}
