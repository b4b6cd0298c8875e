//! The agent's configuration: the AWS Secrets Manager Agent's TOML keys, ranges and defaults,
//! then the Parameters and Secrets Lambda Extension's environment variables over them.

use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// As the AWS agent's `config.toml` has it; unknown keys are refused.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// `debug`, `info`, `warn`, `error` or `none`.
    pub log_level: String,
    /// Accepted for compatibility with AWS's files; Coffer's agent logs to stderr
    /// (`RUST_LOG` overrides `log_level`).
    pub log_to_file: bool,
    /// 1024–65535.
    pub http_port: u16,
    /// How long a cached secret is served before it is revalidated; 0–3600, 0 = no caching.
    pub ttl_seconds: u64,
    /// The same for parameters (the Lambda extension's `SSM_PARAMETER_STORE_TTL`); defaults to
    /// `ttl_seconds`.
    pub parameter_ttl_seconds: Option<u64>,
    /// Entries kept; 1–1000.
    pub cache_size: usize,
    /// Headers that may carry the token, first match wins.
    pub ssrf_headers: Vec<String>,
    /// Variables the token is read from, first set one wins (`file:///path` reads the file).
    pub ssrf_env_variables: Vec<String>,
    /// Prefix of the path form `GET <prefix><secretId>`; must start with `/`.
    pub path_prefix: String,
    /// Requests served at once; 1–1000 (more get 429).
    pub max_conn: usize,
    /// Overrides `AWS_REGION` and the profile's region.
    pub region: Option<String>,
    /// Serve a cached value when the upstream fails transiently (timeout, connection, 5xx).
    pub ignore_transient_errors: bool,
    /// Call STS `GetCallerIdentity` at start-up and refuse to start if it fails.
    pub validate_credentials: bool,
    /// Accepted for compatibility; credentials come from the SDK's default chain
    /// (`AWS_SHARED_CREDENTIALS_FILE` names another credentials file).
    pub credentials_file_path: Option<String>,
    /// Upstream timeout per call in milliseconds, 0 = the SDK's (the Lambda extension's
    /// `SECRETS_MANAGER_TIMEOUT_MILLIS` / `SSM_PARAMETER_STORE_TIMEOUT_MILLIS`).
    pub timeout_millis: u64,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            log_level: "info".into(),
            log_to_file: true,
            http_port: 2773,
            ttl_seconds: 300,
            parameter_ttl_seconds: None,
            cache_size: 1000,
            ssrf_headers: vec!["X-Aws-Parameters-Secrets-Token".into(), "X-Vault-Token".into()],
            ssrf_env_variables: vec![
                "AWS_TOKEN".into(),
                "AWS_SESSION_TOKEN".into(),
                "AWS_CONTAINER_AUTHORIZATION_TOKEN".into(),
            ],
            path_prefix: "/v1/".into(),
            max_conn: 800,
            region: None,
            ignore_transient_errors: true,
            validate_credentials: true,
            credentials_file_path: None,
            timeout_millis: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid configuration file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl AgentConfig {
    /// `path`'s settings over the defaults (the defaults alone without a file), then the
    /// Lambda extension's variables from `env` over both, then checked.
    pub fn load(path: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = match path {
            None => Self::default(),
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse { path: shown, message: e.message().to_owned() })?
            }
        };
        config.apply_extension_variables(env)?;
        config.check()?;
        Ok(config)
    }

    fn apply_extension_variables(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let number = |name: &str| -> Result<Option<u64>, ConfigError> {
            match env(name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| ConfigError::Invalid(format!("{name} must be a whole number, got {v:?}"))),
            }
        };
        if let Some(port) = number("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")? {
            self.http_port = u16::try_from(port).map_err(|_| {
                ConfigError::Invalid(format!("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT {port} is not a port"))
            })?;
        }
        if let Some(size) = number("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE")? {
            self.cache_size = usize::try_from(size).unwrap_or(usize::MAX);
        }
        if let Some(ttl) = number("SECRETS_MANAGER_TTL")? {
            self.ttl_seconds = ttl;
        }
        if let Some(ttl) = number("SSM_PARAMETER_STORE_TTL")? {
            self.parameter_ttl_seconds = Some(ttl);
        }
        if let Some(ms) = number("SECRETS_MANAGER_TIMEOUT_MILLIS")?.or(number("SSM_PARAMETER_STORE_TIMEOUT_MILLIS")?) {
            self.timeout_millis = ms;
        }
        if env("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED").is_some_and(|v| v.eq_ignore_ascii_case("false")) {
            self.ttl_seconds = 0;
            self.parameter_ttl_seconds = Some(0);
        }
        if let Some(level) = env("PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL").filter(|v| !v.is_empty()) {
            self.log_level = level.to_ascii_lowercase();
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !["debug", "info", "warn", "error", "none"].contains(&self.log_level.as_str()) {
            return bad(format!("log_level must be one of debug, info, warn, error, none; got {:?}", self.log_level));
        }
        if self.http_port < 1024 {
            return bad(format!("http_port must be between 1024 and 65535, got {}", self.http_port));
        }
        if self.ttl_seconds > 3600 || self.parameter_ttl_seconds.is_some_and(|t| t > 3600) {
            return bad("ttl_seconds must be between 0 and 3600".into());
        }
        if !(1..=1000).contains(&self.cache_size) {
            return bad(format!("cache_size must be between 1 and 1000, got {}", self.cache_size));
        }
        if !(1..=1000).contains(&self.max_conn) {
            return bad(format!("max_conn must be between 1 and 1000, got {}", self.max_conn));
        }
        if self.ssrf_headers.is_empty() || self.ssrf_env_variables.is_empty() {
            return bad("ssrf_headers and ssrf_env_variables must not be empty".into());
        }
        if !self.path_prefix.starts_with('/') {
            return bad(format!("path_prefix must start with /, got {:?}", self.path_prefix));
        }
        Ok(())
    }

    pub fn secret_ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_seconds)
    }

    pub fn parameter_ttl(&self) -> Duration {
        Duration::from_secs(self.parameter_ttl_seconds.unwrap_or(self.ttl_seconds))
    }

    /// The upstream timeout per call, if one is set.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout_millis > 0).then(|| Duration::from_millis(self.timeout_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(toml_text: Option<&str>, vars: &[(&str, &str)]) -> Result<AgentConfig, ConfigError> {
        let dir = std::env::temp_dir().join(format!("coffer-agent-config-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        if let Some(text) = toml_text {
            std::fs::write(&path, text).unwrap();
        }
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let result = AgentConfig::load(toml_text.map(|_| path.as_path()), |k| vars.get(k).cloned());
        let _ = std::fs::remove_dir_all(dir);
        result
    }

    #[test]
    fn defaults_are_aws_defaults() {
        let c = load(None, &[]).unwrap();
        assert_eq!((c.http_port, c.ttl_seconds, c.cache_size, c.max_conn), (2773, 300, 1000, 800));
        assert_eq!(c.path_prefix, "/v1/");
        assert_eq!(c.ssrf_headers, ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"]);
        assert_eq!(c.ssrf_env_variables, ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"]);
        assert!(c.ignore_transient_errors && c.validate_credentials);
    }

    #[test]
    fn files_and_extension_variables() {
        let c = load(Some("http_port = 4000\nttl_seconds = 60\nlog_level = \"debug\"\n"), &[]).unwrap();
        assert_eq!((c.http_port, c.ttl_seconds, c.log_level.as_str()), (4000, 60, "debug"));
        let c = load(
            Some("ttl_seconds = 60\n"),
            &[
                ("SECRETS_MANAGER_TTL", "10"),
                ("SSM_PARAMETER_STORE_TTL", "20"),
                ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "5000"),
            ],
        )
        .unwrap();
        assert_eq!((c.secret_ttl().as_secs(), c.parameter_ttl().as_secs(), c.http_port), (10, 20, 5000));
        let off = load(None, &[("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "FALSE")]).unwrap();
        assert_eq!((off.secret_ttl().as_secs(), off.parameter_ttl().as_secs()), (0, 0));
    }

    #[test]
    fn refuses_what_aws_refuses() {
        let err = load(Some("http_port = 4000\ncolour = \"blue\"\n"), &[]).unwrap_err().to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
        for (text, says) in [
            ("http_port = 80", "http_port must be between 1024 and 65535"),
            ("ttl_seconds = 3601", "ttl_seconds must be between 0 and 3600"),
            ("cache_size = 0", "cache_size must be between 1 and 1000"),
            ("max_conn = 1001", "max_conn must be between 1 and 1000"),
            ("path_prefix = \"v1\"", "path_prefix must start with /"),
            ("log_level = \"loud\"", "log_level must be one of"),
            ("ssrf_headers = []", "ssrf_headers and ssrf_env_variables must not be empty"),
        ] {
            let err = load(Some(text), &[]).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
        let err = load(None, &[("SECRETS_MANAGER_TTL", "soon")]).unwrap_err().to_string();
        assert!(err.contains("SECRETS_MANAGER_TTL must be a whole number"), "{err}");
    }
}
