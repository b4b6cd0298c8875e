//! The agent's upstream: Secrets Manager and SSM through aws-sdk-rust, with the agent's
//! credentials, answers turned into the agents' JSON bodies as they arrive (no value is held
//! anywhere else), and failures sorted into service errors and transient ones.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::primitives::DateTime;
use base64::Engine as _;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;
use zeroize::Zeroizing;

type HttpResponse = aws_sdk_secretsmanager::config::http::HttpResponse;

/// A response body that may hold a value: wiped when dropped.
pub type Body = Zeroizing<Vec<u8>>;

/// Why an upstream call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamError {
    /// The service answered with an AWS error.
    Service { status: u16, code: String, message: String },
    /// No answer in time.
    Timeout,
    /// No connection (refused, reset, DNS…).
    Connection(String),
    /// Anything else (a response that could not be read, a request that could not be made).
    Other(String),
}

impl UpstreamError {
    /// Whether trying again later may succeed: the agent then serves what it has cached.
    pub fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Service { status, .. } => *status >= 500,
            UpstreamError::Timeout | UpstreamError::Connection(_) => true,
            UpstreamError::Other(_) => false,
        }
    }
}

/// A secret value as GetSecretValue returned it, already in the agent's JSON.
pub struct SecretValue {
    pub body: Body,
    pub version_id: String,
}

/// Secrets Manager and SSM clients on one SDK configuration.
#[derive(Clone, Debug)]
pub struct Upstream {
    sm: aws_sdk_secretsmanager::Client,
    ssm: aws_sdk_ssm::Client,
    sts: aws_sdk_sts::Client,
    timeout: Option<Duration>,
}

impl Upstream {
    pub fn new(config: &SdkConfig, timeout: Option<Duration>) -> Self {
        Self {
            sm: aws_sdk_secretsmanager::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            timeout,
        }
    }

    async fn timed<T>(&self, call: impl Future<Output = Result<T, UpstreamError>>) -> Result<T, UpstreamError> {
        match self.timeout {
            None => call.await,
            Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or(Err(UpstreamError::Timeout)),
        }
    }

    /// STS GetCallerIdentity: the ARN the agent reads as.
    pub async fn caller_arn(&self) -> Result<String, UpstreamError> {
        let out = self.timed(async { self.sts.get_caller_identity().send().await.map_err(classify) }).await?;
        Ok(out.arn().unwrap_or_default().to_owned())
    }

    pub async fn get_secret_value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        version_stage: Option<&str>,
    ) -> Result<SecretValue, UpstreamError> {
        let out = self
            .timed(async {
                self.sm
                    .get_secret_value()
                    .secret_id(secret_id)
                    .set_version_id(version_id.map(str::to_owned))
                    .set_version_stage(version_stage.map(str::to_owned))
                    .send()
                    .await
                    .map_err(classify)
            })
            .await?;
        let binary = out.secret_binary().map(|b| Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(b)));
        let shape = SecretShape {
            arn: out.arn(),
            name: out.name(),
            version_id: out.version_id(),
            secret_string: out.secret_string(),
            secret_binary: binary.as_deref().map(String::as_str),
            version_stages: out.version_stages(),
            created_date: out.created_date().map(created_date),
        };
        Ok(SecretValue { body: to_body(&shape)?, version_id: out.version_id().unwrap_or_default().to_owned() })
    }

    /// DescribeSecret's `VersionIdsToStages`: which stages each version carries now.
    pub async fn secret_stages(&self, secret_id: &str) -> Result<HashMap<String, Vec<String>>, UpstreamError> {
        let out =
            self.timed(async { self.sm.describe_secret().secret_id(secret_id).send().await.map_err(classify) }).await?;
        Ok(out.version_ids_to_stages().cloned().unwrap_or_default())
    }

    /// GetParameter of `name` (with a `:version` or `:label` selector, if any), as
    /// `{"Parameter": {…}}`.
    pub async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Body, UpstreamError> {
        let out = self
            .timed(async {
                self.ssm.get_parameter().name(name).with_decryption(with_decryption).send().await.map_err(classify)
            })
            .await?;
        let Some(p) = out.parameter() else {
            return Err(UpstreamError::Other("GetParameter returned no parameter".into()));
        };
        let shape = ParameterEnvelope {
            parameter: ParameterShape {
                name: p.name(),
                parameter_type: p.r#type().map(|t| t.as_str()),
                value: p.value(),
                version: p.version(),
                selector: p.selector(),
                source_result: p.source_result(),
                last_modified_date: p.last_modified_date().map(epoch_seconds),
                arn: p.arn(),
                data_type: p.data_type(),
            },
        };
        to_body(&shape)
    }
}

/// GetSecretValue as the AWS agent answers it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SecretShape<'a> {
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_string: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_binary: Option<&'a str>,
    version_stages: &'a [String],
    /// A string, `"1569534789.046"` — not the number the service sends.
    #[serde(skip_serializing_if = "Option::is_none")]
    created_date: Option<String>,
}

#[derive(Serialize)]
struct ParameterEnvelope<'a> {
    #[serde(rename = "Parameter")]
    parameter: ParameterShape<'a>,
}

/// GetParameter's `Parameter`, as the service sends it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ParameterShape<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    parameter_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    selector: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_result: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified_date: Option<f64>,
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_type: Option<&'a str>,
}

fn to_body(shape: &impl Serialize) -> Result<Body, UpstreamError> {
    let mut body = Zeroizing::new(Vec::with_capacity(256));
    serde_json::to_writer(&mut *body, shape)
        .map_err(|e| UpstreamError::Other(format!("cannot encode the answer: {e}")))?;
    Ok(body)
}

/// `1569534789.046`: epoch seconds and milliseconds.
fn created_date(t: &DateTime) -> String {
    format!("{}.{:03}", t.secs(), t.subsec_nanos() / 1_000_000)
}

fn epoch_seconds(t: &DateTime) -> f64 {
    // Milliseconds of any date a parameter carries fit an f64 exactly.
    #[allow(clippy::cast_precision_loss)]
    let secs = t.secs() as f64 + f64::from(t.subsec_nanos() / 1_000_000) / 1000.0;
    secs
}

/// A service error keeps its status, code and message; no answer is a timeout or a
/// connection failure; the rest says what happened.
fn classify<E>(err: SdkError<E, HttpResponse>) -> UpstreamError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::TimeoutError(_) => UpstreamError::Timeout,
        SdkError::DispatchFailure(d) if d.is_timeout() => UpstreamError::Timeout,
        SdkError::DispatchFailure(_) => UpstreamError::Connection(coffer_remote::cause_chain(&err)),
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            match service.err().code() {
                Some(code) => UpstreamError::Service {
                    status,
                    code: code.to_owned(),
                    message: service.err().message().unwrap_or_default().to_owned(),
                },
                None if status >= 500 => {
                    UpstreamError::Service { status, code: "InternalFailure".into(), message: String::new() }
                }
                None => UpstreamError::Other(coffer_remote::cause_chain(&err)),
            }
        }
        _ => UpstreamError::Other(coffer_remote::cause_chain(&err)),
    }
}
