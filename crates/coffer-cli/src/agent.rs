//! `coffer agent`: the local caching agent (see `coffer-agent`).

use anyhow::Context as _;
use clap::Args;
use coffer_agent::{Agent, AgentConfig, Upstream};
use coffer_remote::RemoteOptions;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AgentArgs {
    /// The agent's TOML configuration, with the AWS Secrets Manager Agent's keys
    /// (`http_port`, `ttl_seconds`, `cache_size`, `ssrf_headers`, …); the Lambda extension's
    /// variables (`SECRETS_MANAGER_TTL`, `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, …) apply on top.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Port to listen on, overriding `http_port` (0 picks a free one; the address is printed).
    #[arg(long)]
    port: Option<u16>,

    /// Read from this AWS-compatible endpoint (a `coffer serve`, or AWS itself)
    /// [env: AWS_ENDPOINT_URL]
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,

    /// Read with this AWS profile's credentials (`role_arn` profiles too) [env: AWS_PROFILE]
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// Write a new random SSRF token to FILE (mode 0640), print the variable that points the
    /// agent at it, and exit.
    #[arg(long, value_name = "FILE")]
    init_token: Option<PathBuf>,
}

impl AgentArgs {
    /// The tracing level the configuration's `log_level` names (`info` when the configuration
    /// cannot be read: `run` then says why).
    pub fn log_level(&self) -> &'static str {
        let config = AgentConfig::load(self.config.as_deref(), |name| std::env::var(name).ok());
        match config.map(|c| c.log_level).as_deref() {
            Ok("debug") => "debug",
            Ok("warn") => "warn",
            Ok("error") => "error",
            Ok("none") => "off",
            _ => "info",
        }
    }
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.init_token {
        let setting = coffer_agent::token::init(path)
            .with_context(|| format!("cannot write a new token file {}", path.display()))?;
        println!("{setting}");
        return Ok(());
    }
    let _no_core = crate::harden::no_core_dumps();
    let env = |name: &str| std::env::var(name).ok();
    let config = AgentConfig::load(args.config.as_deref(), env)?;
    let token = coffer_agent::token::load(&config.ssrf_env_variables, env)?;
    let options = RemoteOptions {
        endpoint_url: args.endpoint_url.clone(),
        profile: args.profile.clone(),
        region: config.region.clone(),
        credentials_file: config.credentials_file_path.as_ref().map(PathBuf::from),
    };
    let sdk = coffer_remote::resolve::load_config(&options).await?;
    let upstream = Upstream::new(&sdk, config.timeout());
    if config.validate_credentials {
        let arn = upstream
            .caller_arn()
            .await
            .map_err(|e| anyhow::anyhow!("cannot validate the agent's credentials (STS GetCallerIdentity): {e:?}"))?;
        tracing::info!(%arn, "reading as");
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port.unwrap_or(config.http_port)));
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let addr = listener.local_addr()?;
    // The one line on stdout: scripts and tests wait for it to learn the address.
    println!("listening on {addr}");
    Agent::new(config, token, upstream).serve(listener, crate::serve::shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
