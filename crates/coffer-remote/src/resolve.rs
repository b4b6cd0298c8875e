//! The remote [`SecretSource`] of `coffer run` / `coffer check`: aws-sdk-rust SSM and Secrets
//! Manager clients (one per region, made on first use) with either the caller's own
//! credentials or those of an STS `AssumeRole` session — the environment's execution role, as
//! ECS would use it.
//!
//! Errors keep the HTTP status, request id, code and message, so the caller can word them as
//! the ECS agent's SDK does.

use crate::{FALLBACK_REGION, RemoteOptions, sdk_error};
use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

pub use aws_config::SdkConfig;
use aws_sdk_ssm::config::{Credentials, SharedCredentialsProvider, SharedHttpClient};
use coffer_aws::secret::SecretString;
use coffer_client::{
    ClientError, FetchedParameters, FetchedSecret, ParameterValue, ParameterVersions, SecretSource, Tags,
    parameter_name_of,
};
use coffer_copilot::ecs::asm::SmParams;
use coffer_copilot::ecs::ssm::SsmParameter;
use std::collections::HashMap;
use std::sync::Mutex;

/// Whether every call goes to a plain-`http://` endpoint with static credentials from the
/// environment and no profile: then nothing can need TLS.
fn plain_http_only(options: &RemoteOptions) -> bool {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let is_http = |url: &str| url.starts_with("http://");
    let Some(endpoint) = options.endpoint_url.clone().or_else(|| var("AWS_ENDPOINT_URL")) else { return false };
    let per_service =
        ["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM"];
    is_http(&endpoint)
        && per_service.iter().all(|k| var(k).is_none_or(|v| is_http(&v)))
        && options.profile.is_none()
        && var("AWS_PROFILE").is_none()
        && var("AWS_ACCESS_KEY_ID").is_some()
        && var("AWS_SECRET_ACCESS_KEY").is_some()
}

/// An HTTPS client that trusts only the certificates in `AWS_CA_BUNDLE`, when it is set —
/// the variable the aws CLI and the other SDKs read (aws-sdk-rust does not); how clients trust
/// a `coffer serve --tls-self-signed`.
fn ca_bundle_client() -> Result<Option<SharedHttpClient>, ClientError> {
    let Some(path) = std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty()) else { return Ok(None) };
    let path = std::path::PathBuf::from(path);
    let unusable = |why: String| ClientError::Transport(format!("AWS_CA_BUNDLE {}: {why}", path.display()));
    let pem = std::fs::read(&path).map_err(|e| unusable(e.to_string()))?;
    // The SDK's client panics on a bundle it cannot use: check it first.
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| unusable(format!("not a PEM certificate bundle ({e})")))?;
        roots.add(cert).map_err(|e| unusable(format!("holds a certificate that cannot be used ({e})")))?;
    }
    if roots.is_empty() {
        return Err(unusable("holds no PEM certificate".to_owned()));
    }
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(pem);
    let context = TlsContext::builder().with_trust_store(trust).build().map_err(|e| unusable(e.to_string()))?;
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    Ok(Some(client))
}

/// Loads the SDK configuration for every remote command (standard chain; `options` override
/// endpoint, profile and region; us-east-1 when nothing names a region). No request is made;
/// fails only on an unusable `AWS_CA_BUNDLE`.
///
/// Against a plain-`http://` endpoint with static credentials (a local `coffer serve`), the
/// SDK gets an HTTP-only client: the default one loads and parses the system's TLS roots at
/// every start, the largest part of a `coffer run`'s start-up.
pub async fn load_config(options: &RemoteOptions) -> Result<SdkConfig, ClientError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(client) = ca_bundle_client()? {
        loader = loader.http_client(client);
    } else if plain_http_only(options) {
        loader = loader.http_client(aws_smithy_http_client::Builder::new().build_http());
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(path) = &options.credentials_file {
        let files = EnvConfigFiles::builder()
            .include_default_config_file(true)
            .with_file(EnvConfigFileKind::Credentials, path)
            .build();
        loader = loader.profile_files(files);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Ok(config.into_builder().region(Region::new(FALLBACK_REGION)).build());
    }
    Ok(config)
}

/// The configured region.
pub fn config_region(config: &SdkConfig) -> String {
    config.region().map(|r| r.to_string()).unwrap_or_else(|| FALLBACK_REGION.to_owned())
}

/// STS `GetCallerIdentity`: `(account, arn)`.
pub async fn caller_identity(config: &SdkConfig) -> Result<(String, String), ClientError> {
    let out = aws_sdk_sts::Client::new(config).get_caller_identity().send().await.map_err(sdk_error)?;
    Ok((out.account().unwrap_or_default().to_owned(), out.arn().unwrap_or_default().to_owned()))
}

/// STS `AssumeRole`: the configuration with the session's credentials, and the session's ARN.
pub async fn assume_role(
    config: &SdkConfig,
    role_arn: &str,
    session_name: &str,
) -> Result<(SdkConfig, String), ClientError> {
    let out = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session_name)
        .send()
        .await
        .map_err(sdk_error)?;
    let creds =
        out.credentials().ok_or_else(|| ClientError::Transport("AssumeRole returned no credentials".to_owned()))?;
    let expiry = std::time::SystemTime::try_from(*creds.expiration()).ok();
    let session = Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_owned()),
        expiry,
        "CofferAssumeRole",
    );
    let arn = out.assumed_role_user().map(|u| u.arn().to_owned()).unwrap_or_default();
    let config = config.to_builder().credentials_provider(SharedCredentialsProvider::new(session)).build();
    Ok((config, arn))
}

/// SSM and Secrets Manager over aws-sdk-rust, as one identity.
pub struct RemoteSecretSource {
    config: SdkConfig,
    principal_arn: String,
    ssm: Mutex<HashMap<String, aws_sdk_ssm::Client>>,
    sm: Mutex<HashMap<String, aws_sdk_secretsmanager::Client>>,
}

impl std::fmt::Debug for RemoteSecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSecretSource").field("principal_arn", &self.principal_arn).finish()
    }
}

impl RemoteSecretSource {
    /// `principal_arn` names the identity in messages.
    pub fn new(config: SdkConfig, principal_arn: impl Into<String>) -> Self {
        Self { config, principal_arn: principal_arn.into(), ssm: Mutex::default(), sm: Mutex::default() }
    }

    fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        let mut clients = self.ssm.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let conf =
                    aws_sdk_ssm::config::Builder::from(&self.config).region(Region::new(region.to_owned())).build();
                aws_sdk_ssm::Client::from_conf(conf)
            })
            .clone()
    }

    fn sm(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        let mut clients = self.sm.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let conf = aws_sdk_secretsmanager::config::Builder::from(&self.config)
                    .region(Region::new(region.to_owned()))
                    .build();
                aws_sdk_secretsmanager::Client::from_conf(conf)
            })
            .clone()
    }

    /// GetParameters, with or without decryption (a version check reads no value).
    async fn fetch_parameters(
        &self,
        region: &str,
        names: Vec<String>,
        with_decryption: bool,
    ) -> Result<aws_sdk_ssm::operation::get_parameters::GetParametersOutput, ClientError> {
        self.ssm(region)
            .get_parameters()
            .set_names(Some(names))
            .with_decryption(with_decryption)
            .send()
            .await
            .map_err(sdk_error)
    }
}

/// A GetParameters answer's parameter, carrying `value` (its value, or only its version).
fn parameter<V>(p: &aws_sdk_ssm::types::Parameter, value: V) -> SsmParameter<V> {
    SsmParameter {
        name: p.name().unwrap_or_default().to_owned(),
        arn: p.arn().map(str::to_owned),
        selector: p.selector().map(str::to_owned),
        value,
    }
}

#[async_trait]
impl SecretSource for RemoteSecretSource {
    fn principal_arn(&self) -> String {
        self.principal_arn.clone()
    }

    async fn get_parameters(&self, region: &str, names: Vec<String>) -> Result<FetchedParameters, ClientError> {
        let out = self.fetch_parameters(region, names, true).await?;
        let parameters = out
            .parameters()
            .iter()
            .map(|p| {
                let value = SecretString::from(p.value().unwrap_or_default().to_owned());
                parameter(p, ParameterValue { value, version: p.version() })
            })
            .collect();
        Ok(FetchedParameters { parameters, invalid: out.invalid_parameters().to_vec() })
    }

    async fn parameter_versions(&self, region: &str, names: Vec<String>) -> Result<ParameterVersions, ClientError> {
        let out = self.fetch_parameters(region, names, false).await?;
        let parameters = out.parameters().iter().map(|p| parameter(p, p.version())).collect();
        Ok(ParameterVersions { parameters, invalid: out.invalid_parameters().to_vec() })
    }

    async fn secret_version_stages(
        &self,
        region: &str,
        secret_id: &str,
    ) -> Result<Vec<(String, Vec<String>)>, ClientError> {
        let out = self.sm(region).describe_secret().secret_id(secret_id).send().await.map_err(sdk_error)?;
        Ok(out
            .version_ids_to_stages()
            .map(|m| m.iter().map(|(id, stages)| (id.clone(), stages.clone())).collect())
            .unwrap_or_default())
    }

    async fn get_secret_value(&self, region: &str, params: &SmParams) -> Result<FetchedSecret, ClientError> {
        let out = self
            .sm(region)
            .get_secret_value()
            .secret_id(&params.secret_id)
            .set_version_id(params.version_id.clone())
            .set_version_stage(params.version_stage.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(FetchedSecret {
            secret_string: out.secret_string().map(|s| SecretString::from(s.to_owned())),
            version_id: out.version_id().unwrap_or_default().to_owned(),
        })
    }

    async fn parameter_tags(&self, region: &str, name: &str) -> Result<Option<Tags>, ClientError> {
        let result = self
            .ssm(region)
            .list_tags_for_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(parameter_name_of(name))
            .send()
            .await
            .map_err(sdk_error);
        match result {
            Ok(out) => Ok(Some(out.tag_list().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect())),
            Err(e) if matches!(e.code(), Some("InvalidResourceId" | "ParameterNotFound")) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn secret_tags(&self, region: &str, secret_id: &str) -> Result<Option<Tags>, ClientError> {
        let result = self.sm(region).describe_secret().secret_id(secret_id).send().await.map_err(sdk_error);
        match result {
            Ok(out) => Ok(Some(
                out.tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
                    .collect(),
            )),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }
}
