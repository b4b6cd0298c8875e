//! The remote [`Backend`]: aws-sdk-rust clients for SSM, IAM and STS, configured the way
//! every AWS tool is (the standard credential chain, `AWS_PROFILE` and `role_arn` profiles,
//! `AWS_REGION`, `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>`), so the
//! same CLI works against `coffer serve` and against a real AWS account. Nothing
//! Coffer-specific goes on the wire.

pub mod resolve;

use async_trait::async_trait;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::operation::RequestId as _;
use aws_sdk_ssm::primitives::DateTime;
use coffer_aws::Timestamp;
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_client::{
    Backend, ClientError, Identity, NewParameter, NewRole, NewSecret, Parameter, ParameterAttributes, ParameterInfo,
    ReplicaInfo, Role, RotationInfo, SecretInfo, SecretPayload, SecretValue, SecretVersion, Tag,
};

/// Used when neither `--region`, `AWS_REGION` nor the profile names a region.
pub const FALLBACK_REGION: &str = "us-east-1";

/// How to reach the services; unset fields come from the environment and profiles.
#[derive(Clone, Debug, Default)]
pub struct RemoteOptions {
    /// Overrides `AWS_ENDPOINT_URL` and the per-service variables for every service.
    pub endpoint_url: Option<String>,
    /// Overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// Overrides `AWS_REGION` and the profile's region.
    pub region: Option<String>,
    /// A credentials file read instead of `~/.aws/credentials` (the config file stays the
    /// default one).
    pub credentials_file: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug)]
pub struct RemoteBackend {
    ssm: aws_sdk_ssm::Client,
    sm: aws_sdk_secretsmanager::Client,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    region: String,
    location: String,
}

impl RemoteBackend {
    /// Loads the SDK configuration (no request is made yet).
    pub async fn connect(options: &RemoteOptions) -> Result<Self, ClientError> {
        let config = resolve::load_config(options).await?;
        let region = resolve::config_region(&config);
        let location = match options.endpoint_url.clone().or_else(|| config.endpoint_url().map(str::to_owned)) {
            Some(url) => format!("remote ({url}, region {region})"),
            None => format!("remote (AWS, region {region})"),
        };
        Ok(Self {
            ssm: aws_sdk_ssm::Client::new(&config),
            sm: aws_sdk_secretsmanager::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            region,
            location,
        })
    }
}

type HttpResponse = aws_sdk_ssm::config::http::HttpResponse;

/// A service error with its status, request id, code and message; anything else (no
/// connection, no credentials…) as the error's cause chain. Request bodies are never part of
/// either.
fn sdk_error<E>(err: SdkError<E, HttpResponse>) -> ClientError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let request_id = err.request_id().unwrap_or_default().to_owned();
    if let SdkError::ServiceError(service) = &err
        && let Some(code) = service.err().code()
    {
        return ClientError::Service {
            status: service.raw().status().as_u16(),
            request_id,
            code: code.to_owned(),
            message: service.err().message().unwrap_or_default().to_owned(),
        };
    }
    ClientError::Transport(cause_chain(&err))
}

/// An error and its causes as one line (DisplayErrorContext would append the Debug form as
/// well); a cause whose text the message already ends with is not repeated.
pub fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

fn build_error(err: impl std::fmt::Display) -> ClientError {
    ClientError::Transport(format!("cannot build the request: {err}"))
}

fn timestamp(t: Option<&DateTime>) -> Timestamp {
    Timestamp(t.and_then(|t| t.to_millis().ok()).unwrap_or(0))
}

fn ssm_tags(tags: Vec<Tag>) -> Result<Vec<aws_sdk_ssm::types::Tag>, ClientError> {
    tags.into_iter()
        .map(|t| aws_sdk_ssm::types::Tag::builder().key(t.key).value(t.value).build().map_err(build_error))
        .collect()
}

fn sm_tags(tags: Vec<Tag>) -> Vec<aws_sdk_secretsmanager::types::Tag> {
    tags.into_iter().map(|t| aws_sdk_secretsmanager::types::Tag::builder().key(t.key).value(t.value).build()).collect()
}

fn sm_tags_of(tags: &[aws_sdk_secretsmanager::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag { key: t.key().unwrap_or_default().to_owned(), value: t.value().unwrap_or_default().to_owned() })
        .collect()
}

fn parameter(p: &aws_sdk_ssm::types::Parameter) -> Parameter {
    Parameter {
        name: p.name().unwrap_or_default().to_owned(),
        param_type: p.r#type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
        value: SecretString::from(p.value().unwrap_or_default().to_owned()),
        version: p.version(),
        last_modified: timestamp(p.last_modified_date()),
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986), and the SDK hands them over as is.
pub fn decode_policy_document(document: &str) -> String {
    if !document.contains('%') {
        return document.to_owned();
    }
    let bytes = document.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| document.to_owned())
}

fn role(r: &aws_sdk_iam::types::Role) -> Role {
    Role {
        name: r.role_name().to_owned(),
        arn: r.arn().to_owned(),
        trust_policy: decode_policy_document(r.assume_role_policy_document().unwrap_or_default()),
    }
}

#[async_trait]
impl Backend for RemoteBackend {
    fn describe(&self) -> String {
        self.location.clone()
    }

    fn region(&self) -> &str {
        &self.region
    }

    async fn caller_identity(&self) -> Result<Identity, ClientError> {
        let out = self.sts.get_caller_identity().send().await.map_err(sdk_error)?;
        Ok(Identity {
            account: out.account().unwrap_or_default().to_owned(),
            arn: out.arn().unwrap_or_default().to_owned(),
            user_id: out.user_id().unwrap_or_default().to_owned(),
        })
    }

    async fn put_parameter(&self, input: NewParameter) -> Result<i64, ClientError> {
        let tags = if input.tags.is_empty() { None } else { Some(ssm_tags(input.tags)?) };
        let out = self
            .ssm
            .put_parameter()
            .name(input.name)
            .value(input.value.expose_secret())
            .r#type(aws_sdk_ssm::types::ParameterType::from(input.param_type.as_str()))
            .data_type(input.attributes.data_type.as_deref().unwrap_or("text"))
            .set_tier(input.attributes.tier.as_deref().map(aws_sdk_ssm::types::ParameterTier::from))
            .set_allowed_pattern(input.attributes.allowed_pattern)
            .set_description(input.description)
            .set_overwrite(input.overwrite.then_some(true))
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.version())
    }

    async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Option<Parameter>, ClientError> {
        match self.ssm.get_parameter().name(name).with_decryption(with_decryption).send().await.map_err(sdk_error) {
            Ok(out) => Ok(out.parameter().map(parameter)),
            Err(e) if e.is("ParameterNotFound") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn parameters_by_path(
        &self,
        path: &str,
        recursive: bool,
        with_decryption: bool,
    ) -> Result<Vec<Parameter>, ClientError> {
        let mut out = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .ssm
                .get_parameters_by_path()
                .path(path)
                .recursive(recursive)
                .with_decryption(with_decryption)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(sdk_error)?;
            out.extend(page.parameters().iter().map(parameter));
            match page.next_token() {
                Some(t) if !t.is_empty() => next_token = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn describe_parameters(&self, path: &str, recursive: bool) -> Result<Vec<ParameterInfo>, ClientError> {
        let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
            .key("Path")
            .option(if recursive { "Recursive" } else { "OneLevel" })
            .values(path)
            .build()
            .map_err(build_error)?;
        let mut out = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .ssm
                .describe_parameters()
                .parameter_filters(filter.clone())
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(sdk_error)?;
            out.extend(page.parameters().iter().map(|p| ParameterInfo {
                name: p.name().unwrap_or_default().to_owned(),
                param_type: p.r#type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
                version: p.version(),
                last_modified: timestamp(p.last_modified_date()),
                last_modified_user: p.last_modified_user().filter(|u| !u.is_empty()).map(str::to_owned),
                description: p.description().map(str::to_owned),
                attributes: ParameterAttributes {
                    tier: p.tier().map(|t| t.as_str().to_owned()),
                    data_type: p.data_type().map(str::to_owned),
                    allowed_pattern: p.allowed_pattern().map(str::to_owned),
                },
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => next_token = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn add_tags(&self, name: &str, tags: Vec<Tag>) -> Result<(), ClientError> {
        self.ssm
            .add_tags_to_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tags(Some(ssm_tags(tags)?))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn list_tags(&self, name: &str) -> Result<Vec<Tag>, ClientError> {
        let out = self
            .ssm
            .list_tags_for_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.tag_list().iter().map(|t| Tag { key: t.key().to_owned(), value: t.value().to_owned() }).collect())
    }

    async fn parameter_labels(&self, name: &str) -> Result<Vec<String>, ClientError> {
        let mut labels = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .ssm
                .get_parameter_history()
                .name(name)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(sdk_error)?;
            // Oldest first: the last entry of the last page is the latest version.
            if let Some(latest) = page.parameters().last() {
                labels = latest.labels().to_vec();
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next_token = Some(t.to_owned()),
                _ => return Ok(labels),
            }
        }
    }

    async fn label_parameter(&self, name: &str, version: i64, labels: Vec<String>) -> Result<(), ClientError> {
        self.ssm
            .label_parameter_version()
            .name(name)
            .parameter_version(version)
            .set_labels(Some(labels))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete_parameter(&self, name: &str) -> Result<bool, ClientError> {
        match self.ssm.delete_parameter().name(name).send().await.map_err(sdk_error) {
            Ok(_) => Ok(true),
            Err(e) if e.is("ParameterNotFound") => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn list_secrets(&self, filters: Vec<(String, Vec<String>)>) -> Result<Vec<SecretInfo>, ClientError> {
        let filters = filters
            .into_iter()
            .map(|(key, values)| {
                aws_sdk_secretsmanager::types::Filter::builder()
                    .key(aws_sdk_secretsmanager::types::FilterNameStringType::from(key.as_str()))
                    .set_values(Some(values))
                    .build()
            })
            .collect::<Vec<_>>();
        let mut out = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .sm
                .list_secrets()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(100)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(sdk_error)?;
            out.extend(page.secret_list().iter().map(|s| SecretInfo {
                name: s.name().unwrap_or_default().to_owned(),
                arn: s.arn().unwrap_or_default().to_owned(),
                description: s.description().map(str::to_owned),
                tags: sm_tags_of(s.tags()),
                deleted: s.deleted_date().map(|d| timestamp(Some(d))),
                primary_region: s.primary_region().map(str::to_owned),
                replicas: Vec::new(),
                rotation: RotationInfo::default(),
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => next_token = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn describe_secret(&self, id: &str) -> Result<Option<SecretInfo>, ClientError> {
        match self.sm.describe_secret().secret_id(id).send().await.map_err(sdk_error) {
            Ok(s) => Ok(Some(SecretInfo {
                name: s.name().unwrap_or_default().to_owned(),
                arn: s.arn().unwrap_or_default().to_owned(),
                description: s.description().map(str::to_owned),
                tags: sm_tags_of(s.tags()),
                deleted: s.deleted_date().map(|d| timestamp(Some(d))),
                rotation: RotationInfo {
                    enabled: s.rotation_enabled(),
                    function_arn: s.rotation_lambda_arn().map(str::to_owned),
                    last_rotated: s.last_rotated_date().map(|d| timestamp(Some(d))),
                    next_rotation: s.next_rotation_date().map(|d| timestamp(Some(d))),
                    pending_version: s.version_ids_to_stages().and_then(RotationInfo::pending_of),
                },
                primary_region: s.primary_region().map(str::to_owned),
                replicas: s
                    .replication_status()
                    .iter()
                    .map(|r| ReplicaInfo {
                        region: r.region().unwrap_or_default().to_owned(),
                        status: r.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        message: r.status_message().map(str::to_owned),
                    })
                    .collect(),
            })),
            Err(e) if e.is("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn secret_versions(&self, id: &str) -> Result<Vec<SecretVersion>, ClientError> {
        let mut out = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .sm
                .list_secret_version_ids()
                .secret_id(id)
                .max_results(100)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(sdk_error)?;
            out.extend(page.versions().iter().map(|v| SecretVersion {
                version_id: v.version_id().unwrap_or_default().to_owned(),
                stages: v.version_stages().to_vec(),
                created: timestamp(v.created_date()),
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => next_token = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn get_secret_value(&self, id: &str, version_id: Option<&str>) -> Result<SecretValue, ClientError> {
        let out = self
            .sm
            .get_secret_value()
            .secret_id(id)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(sdk_error)?;
        let payload = match (out.secret_string(), out.secret_binary()) {
            (Some(text), _) => SecretPayload::Text(SecretString::from(text.to_owned())),
            (None, Some(blob)) => SecretPayload::Binary(coffer_aws::SecretBytes::new(blob.as_ref().to_vec())),
            (None, None) => SecretPayload::Text(SecretString::from(String::new())),
        };
        Ok(SecretValue {
            version_id: out.version_id().unwrap_or_default().to_owned(),
            stages: out.version_stages().to_vec(),
            payload,
        })
    }

    async fn secret_policy(&self, id: &str) -> Result<Option<String>, ClientError> {
        let out = self.sm.get_resource_policy().secret_id(id).send().await.map_err(sdk_error)?;
        Ok(out.resource_policy().map(str::to_owned))
    }

    async fn create_secret(&self, secret: NewSecret) -> Result<String, ClientError> {
        let tags = sm_tags(secret.tags);
        let request = self
            .sm
            .create_secret()
            .name(secret.name)
            .set_client_request_token(secret.version_id)
            .set_description(secret.description)
            .set_tags((!tags.is_empty()).then_some(tags));
        let request = match &secret.payload {
            SecretPayload::Text(text) => request.secret_string(text.expose_secret()),
            SecretPayload::Binary(bytes) => {
                request.secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(bytes.expose()))
            }
        };
        let out = request.send().await.map_err(sdk_error)?;
        Ok(out.version_id().unwrap_or_default().to_owned())
    }

    async fn put_secret_value(
        &self,
        id: &str,
        payload: &SecretPayload,
        version_id: Option<String>,
        stages: Option<Vec<String>>,
    ) -> Result<String, ClientError> {
        let request =
            self.sm.put_secret_value().secret_id(id).set_client_request_token(version_id).set_version_stages(stages);
        let request = match payload {
            SecretPayload::Text(text) => request.secret_string(text.expose_secret()),
            SecretPayload::Binary(bytes) => {
                request.secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(bytes.expose()))
            }
        };
        let out = request.send().await.map_err(sdk_error)?;
        Ok(out.version_id().unwrap_or_default().to_owned())
    }

    async fn set_secret_description(&self, id: &str, description: &str) -> Result<(), ClientError> {
        self.sm.update_secret().secret_id(id).description(description).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn tag_secret(&self, id: &str, tags: Vec<Tag>) -> Result<(), ClientError> {
        self.sm.tag_resource().secret_id(id).set_tags(Some(sm_tags(tags))).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn put_secret_policy(&self, id: &str, policy: &str) -> Result<(), ClientError> {
        self.sm.put_resource_policy().secret_id(id).resource_policy(policy).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn move_secret_stage(
        &self,
        id: &str,
        stage: &str,
        move_to: &str,
        remove_from: Option<&str>,
    ) -> Result<(), ClientError> {
        self.sm
            .update_secret_version_stage()
            .secret_id(id)
            .version_stage(stage)
            .move_to_version_id(move_to)
            .set_remove_from_version_id(remove_from.map(str::to_owned))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn create_role(&self, new: NewRole) -> Result<Role, ClientError> {
        let tags = new
            .tags
            .into_iter()
            .map(|t| aws_sdk_iam::types::Tag::builder().key(t.key).value(t.value).build().map_err(build_error))
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .iam
            .create_role()
            .role_name(&new.name)
            .assume_role_policy_document(&new.trust_policy)
            .set_description(new.description)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.role().map(role).unwrap_or(Role { name: new.name, arn: String::new(), trust_policy: new.trust_policy }))
    }

    async fn get_role(&self, name: &str) -> Result<Option<Role>, ClientError> {
        match self.iam.get_role().role_name(name).send().await.map_err(sdk_error) {
            Ok(out) => Ok(out.role().map(role)),
            Err(e) if e.is("NoSuchEntity") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> Result<(), ClientError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ClientError> {
        match self.iam.get_role_policy().role_name(role).policy_name(policy_name).send().await.map_err(sdk_error) {
            Ok(out) => Ok(Some(decode_policy_document(out.policy_document()))),
            Err(e) if e.is("NoSuchEntity") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list_role_policies(&self, role: &str) -> Result<Vec<String>, ClientError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_role_policies()
                .role_name(role)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(sdk_error)?;
            out.extend(page.policy_names().iter().cloned());
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), ClientError> {
        self.iam.delete_role_policy().role_name(role).policy_name(policy_name).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn delete_role(&self, name: &str) -> Result<(), ClientError> {
        self.iam.delete_role().role_name(name).send().await.map_err(sdk_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::decode_policy_document;

    #[test]
    fn decodes_url_encoded_policies() {
        assert_eq!(decode_policy_document("%7B%22a%22%3A%201%7D"), "{\"a\": 1}");
        assert_eq!(decode_policy_document("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(decode_policy_document("100%"), "100%");
        assert_eq!(decode_policy_document("%zz"), "%zz");
    }
}
