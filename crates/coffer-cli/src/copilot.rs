//! Copilot's data model, stored where Copilot stores it, over any [`Backend`]:
//!
//! - applications: `/copilot/applications/<app>` (String, JSON, as Copilot's `config.Application`)
//! - environments: `/copilot/applications/<app>/environments/<env>` (`config.Environment`)
//! - secrets: `/copilot/<app>/<env>/secrets/<name>` (SecureString, tagged
//!   `copilot-application` and `copilot-environment`)
//!
//! and the environment's execution role, whose inline policy is the one Copilot gives its
//! tasks' execution roles: read any parameter or secret carrying both tags.

use anyhow::Context as _;
use coffer_aws::partition_for_region;
use coffer_aws::secret::SecretString;
use coffer_client::{Backend, NewParameter, NewRole, ParameterInfo, Tag};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const APP_TAG: &str = "copilot-application";
pub const ENV_TAG: &str = "copilot-environment";
/// Copilot's app/env config schema version (`config.schemaVersion`).
pub const SCHEMA_VERSION: &str = "1.0";
const APPLICATIONS_PATH: &str = "/copilot/applications";

/// 2048 minus `/copilot/`, `/`, `/secrets/` (Copilot's `validateSecretName`).
pub const MAX_SECRET_NAME: usize = 2029;

pub fn app_path(app: &str) -> String {
    format!("{APPLICATIONS_PATH}/{app}")
}

pub fn envs_path(app: &str) -> String {
    format!("{APPLICATIONS_PATH}/{app}/environments")
}

pub fn env_path(app: &str, env: &str) -> String {
    format!("{APPLICATIONS_PATH}/{app}/environments/{env}")
}

/// `/copilot/<app>/<env>/secrets/<name>`
pub fn secret_path(app: &str, env: &str, name: &str) -> String {
    format!("/copilot/{app}/{env}/secrets/{name}")
}

/// The reference a manifest uses, valid in every environment.
pub fn manifest_reference(name: &str) -> String {
    format!("/copilot/${{COPILOT_APPLICATION_NAME}}/${{COPILOT_ENVIRONMENT_NAME}}/secrets/{name}")
}

/// `(env, name)` of a parameter named `/copilot/<app>/<env>/secrets/<name>`.
pub fn parse_secret_path<'a>(app: &str, path: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix("/copilot/")?.strip_prefix(app)?.strip_prefix('/')?;
    let (env, rest) = rest.split_once('/')?;
    let name = rest.strip_prefix("secrets/")?;
    (!env.is_empty() && !name.is_empty() && !name.contains('/')).then_some((env, name))
}

pub fn execution_role_name(app: &str, env: &str) -> String {
    format!("{app}-{env}-ExecutionRole")
}

pub fn secrets_policy_name(app: &str, env: &str) -> String {
    format!("{app}-{env}-SecretsPolicy")
}

pub fn copilot_tags(app: &str, env: Option<&str>) -> Vec<Tag> {
    let mut tags = vec![Tag { key: APP_TAG.to_owned(), value: app.to_owned() }];
    if let Some(env) = env {
        tags.push(Tag { key: ENV_TAG.to_owned(), value: env.to_owned() });
    }
    tags
}

// ---- validation (Copilot's texts) ----

/// Copilot's `basicNameValidation`, used for application and environment names.
pub fn basic_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("value must not be empty".to_owned());
    }
    if s.len() > 255 {
        return Err("value must not exceed 255 characters".to_owned());
    }
    let bytes = s.as_bytes();
    let well_formed = s.len() >= 2
        && bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !s.contains("--")
        && !s.ends_with('-');
    if !well_formed {
        return Err("value must start with a letter, contain only lower-case letters, numbers, and hyphens, and have no consecutive or trailing hyphen".to_owned());
    }
    Ok(())
}

pub fn validate_app_name(name: &str) -> anyhow::Result<()> {
    basic_name(name).map_err(|e| anyhow::anyhow!("application name {name} is invalid: {e}"))?;
    if name == "applications" {
        // `/copilot/applications/…` holds every app's configuration.
        anyhow::bail!("application name {name} is invalid: value is reserved");
    }
    Ok(())
}

pub fn validate_env_name(name: &str) -> anyhow::Result<()> {
    basic_name(name).map_err(|e| anyhow::anyhow!("environment name {name} is invalid: {e}"))
}

/// Copilot's `validateSecretName`.
pub fn validate_secret_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_SECRET_NAME {
        return Err(format!("value must be between 1 and {MAX_SECRET_NAME} characters in length"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
        return Err("value must contain only letters, numbers, periods, hyphens and underscores".to_owned());
    }
    Ok(())
}

// ---- configuration records ----

/// Copilot's `config.Application`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Application {
    pub name: String,
    #[serde(rename = "account", default)]
    pub account_id: String,
    #[serde(default)]
    pub domain: String,
    #[serde(rename = "domainHostedZone", default)]
    pub domain_hosted_zone: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// Copilot's `config.Environment` (the fields Coffer uses; unknown ones are ignored).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Environment {
    pub app: String,
    pub name: String,
    #[serde(default)]
    pub region: String,
    #[serde(rename = "accountID", default)]
    pub account_id: String,
    #[serde(default)]
    pub prod: bool,
    #[serde(rename = "registryURL", default)]
    pub registry_url: String,
    /// The role whose policy lets the environment's workloads read their secrets.
    #[serde(rename = "executionRoleARN", default)]
    pub execution_role_arn: String,
    #[serde(rename = "managerRoleARN", default)]
    pub manager_role_arn: String,
}

#[derive(Debug)]
pub struct NoSuchApplication {
    pub app: String,
    pub account: String,
    pub region: String,
}

impl fmt::Display for NoSuchApplication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "couldn't find an application named {} in account {} and region {}",
            self.app, self.account, self.region
        )
    }
}

impl std::error::Error for NoSuchApplication {}

#[derive(Debug)]
pub struct NoSuchEnvironment {
    pub app: String,
    pub env: String,
}

impl fmt::Display for NoSuchEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "couldn't find environment {} in the application {}", self.env, self.app)
    }
}

impl std::error::Error for NoSuchEnvironment {}

/// The Copilot configuration store over a backend (Copilot's `config.Store`).
pub struct Store<'a> {
    pub backend: &'a dyn Backend,
}

impl<'a> Store<'a> {
    pub fn new(backend: &'a dyn Backend) -> Self {
        Self { backend }
    }

    /// The caller's account, or `unknown` (for messages, as Copilot does).
    pub async fn account_for_messages(&self) -> String {
        self.backend.caller_identity().await.map(|i| i.account).unwrap_or_else(|_| "unknown".to_owned())
    }

    pub async fn get_application(&self, app: &str) -> anyhow::Result<Application> {
        // Callers name the operation (`get application <app>: …`), as Copilot's do.
        let param = self.backend.get_parameter(&app_path(app), false).await?;
        let Some(param) = param else {
            return Err(NoSuchApplication {
                app: app.to_owned(),
                account: self.account_for_messages().await,
                region: self.backend.region().to_owned(),
            }
            .into());
        };
        serde_json::from_str(coffer_aws::secret::ExposeSecret::expose_secret(&param.value))
            .with_context(|| format!("read configuration for application {app}"))
    }

    pub async fn list_applications(&self) -> anyhow::Result<Vec<Application>> {
        let params =
            self.backend.parameters_by_path(APPLICATIONS_PATH, false, false).await.context("list applications")?;
        let mut apps = params
            .iter()
            .map(|p| {
                serde_json::from_str::<Application>(coffer_aws::secret::ExposeSecret::expose_secret(&p.value))
                    .context("read application configuration")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        apps.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(apps)
    }

    /// Creates the application's record; `Ok(false)` when it already exists (left as is).
    pub async fn create_application(&self, app: &Application) -> anyhow::Result<bool> {
        let mut app = app.clone();
        app.version = SCHEMA_VERSION.to_owned();
        let value = serde_json::to_string(&app).context("serializing application")?;
        let put = NewParameter {
            name: app_path(&app.name),
            value: SecretString::from(value),
            param_type: "String".to_owned(),
            description: Some("Copilot Application".to_owned()),
            overwrite: false,
            tags: copilot_tags(&app.name, None),
            attributes: Default::default(),
        };
        match self.backend.put_parameter(put).await {
            Ok(_) => Ok(true),
            Err(e) if e.is("ParameterAlreadyExists") => Ok(false),
            Err(e) => Err(anyhow::Error::new(e).context(format!("create application {}", app.name))),
        }
    }

    pub async fn delete_application(&self, app: &str) -> anyhow::Result<()> {
        let name = app_path(app);
        self.backend.delete_parameter(&name).await.with_context(|| format!("delete SSM param {name}"))?;
        Ok(())
    }

    pub async fn get_environment(&self, app: &str, env: &str) -> anyhow::Result<Environment> {
        let param = self.backend.get_parameter(&env_path(app, env), false).await?;
        let Some(param) = param else {
            return Err(NoSuchEnvironment { app: app.to_owned(), env: env.to_owned() }.into());
        };
        serde_json::from_str(coffer_aws::secret::ExposeSecret::expose_secret(&param.value))
            .with_context(|| format!("read configuration for environment {env} in application {app}"))
    }

    /// Non-production environments first, then by name (Copilot's order).
    pub async fn list_environments(&self, app: &str) -> anyhow::Result<Vec<Environment>> {
        let params = self
            .backend
            .parameters_by_path(&envs_path(app), false, false)
            .await
            .with_context(|| format!("list environments for application {app}"))?;
        let mut envs = params
            .iter()
            .map(|p| {
                serde_json::from_str::<Environment>(coffer_aws::secret::ExposeSecret::expose_secret(&p.value))
                    .with_context(|| format!("read environment configuration for application {app}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        envs.sort_by(|a, b| a.prod.cmp(&b.prod).then_with(|| a.name.cmp(&b.name)));
        Ok(envs)
    }

    /// Creates the environment's record; `Ok(false)` when it already exists (left as is).
    pub async fn create_environment(&self, env: &Environment) -> anyhow::Result<bool> {
        let value = serde_json::to_string(env).context("serializing environment")?;
        let put = NewParameter {
            name: env_path(&env.app, &env.name),
            value: SecretString::from(value),
            param_type: "String".to_owned(),
            description: Some(format!("The {} deployment stage", env.name)),
            overwrite: false,
            // Only the application tag: with both copilot tags, the environment's own
            // execution role could read its configuration, which it has no need for.
            tags: copilot_tags(&env.app, None),
            attributes: Default::default(),
        };
        match self.backend.put_parameter(put).await {
            Ok(_) => Ok(true),
            Err(e) if e.is("ParameterAlreadyExists") => Ok(false),
            Err(e) => {
                Err(anyhow::Error::new(e)
                    .context(format!("create environment {} in application {}", env.name, env.app)))
            }
        }
    }

    pub async fn delete_environment(&self, app: &str, env: &str) -> anyhow::Result<()> {
        self.backend
            .delete_parameter(&env_path(app, env))
            .await
            .with_context(|| format!("delete environment {env} from application {app}"))?;
        Ok(())
    }

    /// Every `/copilot/<app>/<env>/secrets/<name>` parameter of `app` (optionally of one
    /// environment), without values, sorted by name then environment.
    pub async fn list_secrets(&self, app: &str, env: Option<&str>) -> anyhow::Result<Vec<SecretInfo>> {
        let (path, recursive) = match env {
            Some(env) => (format!("/copilot/{app}/{env}/secrets"), false),
            None => (format!("/copilot/{app}"), true),
        };
        let params = self
            .backend
            .describe_parameters(&path, recursive)
            .await
            .with_context(|| format!("list secrets in application {app}"))?;
        let mut secrets: Vec<SecretInfo> = params
            .into_iter()
            .filter_map(|p| {
                let (env, name) = parse_secret_path(app, &p.name)?;
                Some(SecretInfo {
                    app: app.to_owned(),
                    env: env.to_owned(),
                    name: name.to_owned(),
                    parameter: p.clone(),
                })
            })
            .collect();
        secrets.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.env.cmp(&b.env)));
        Ok(secrets)
    }
}

/// A secret in one environment, as DescribeParameters shows it.
#[derive(Clone, Debug)]
pub struct SecretInfo {
    pub app: String,
    pub env: String,
    pub name: String,
    pub parameter: ParameterInfo,
}

/// The execution role trusts the account's principals, so `coffer run` (or anyone the
/// account's policies allow) can assume it to read the environment's secrets.
pub fn execution_role_trust_policy(partition: &str, account: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:{partition}:iam::{account}:root") },
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Copilot's secrets policy for (app, env) (`executionrole.yml`): read any SSM parameter and
/// any Secrets Manager secret in the account and region that carries both copilot tags.
///
/// Copilot's two `kms:Decrypt` statements (the artifact key, and customer keys tagged for the
/// environment) are left out: Coffer has no KMS — values are encrypted under its own master
/// key — and on AWS the default `aws/ssm` and `aws/secretsmanager` keys need no statement.
pub fn secrets_policy(region: &str, account: &str, app: &str, env: &str) -> String {
    let partition = partition_for_region(region);
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": [format!("arn:{partition}:ssm:{region}:{account}:parameter/*")],
                "Condition": { "StringEquals": {
                    "ssm:ResourceTag/copilot-application": app,
                    "ssm:ResourceTag/copilot-environment": env
                }}
            },
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [format!("arn:{partition}:secretsmanager:{region}:{account}:secret:*")],
                "Condition": { "StringEquals": {
                    "secretsmanager:ResourceTag/copilot-application": app,
                    "secretsmanager:ResourceTag/copilot-environment": env
                }}
            }
        ]
    })
    .to_string()
}

/// Creates (or completes) the environment's execution role and its secrets policy;
/// returns the role's ARN.
pub async fn ensure_execution_role(
    backend: &dyn Backend,
    app: &str,
    env: &str,
    account: &str,
) -> anyhow::Result<String> {
    let name = execution_role_name(app, env);
    let partition = partition_for_region(backend.region());
    let role = NewRole {
        name: name.clone(),
        trust_policy: execution_role_trust_policy(partition, account),
        description: Some(format!("Reads the secrets of environment {env} in application {app}")),
        tags: copilot_tags(app, Some(env)),
    };
    let arn = match backend.create_role(role).await {
        Ok(role) => role.arn,
        Err(e) if e.is("EntityAlreadyExists") => match backend.get_role(&name).await {
            Ok(Some(role)) => role.arn,
            Ok(None) => anyhow::bail!("role {name} exists but cannot be read"),
            Err(e) => return Err(anyhow::Error::new(e).context(format!("get role {name}"))),
        },
        Err(e) => return Err(anyhow::Error::new(e).context(format!("create role {name}"))),
    };
    let policy = secrets_policy(backend.region(), account, app, env);
    backend
        .put_role_policy(&name, &secrets_policy_name(app, env), &policy)
        .await
        .with_context(|| format!("put policy {} on role {name}", secrets_policy_name(app, env)))?;
    Ok(arn)
}

/// Deletes the execution role and all its inline policies; `Ok(false)` when there was none.
pub async fn delete_execution_role(backend: &dyn Backend, app: &str, env: &str) -> anyhow::Result<bool> {
    let name = execution_role_name(app, env);
    let policies = match backend.list_role_policies(&name).await {
        Ok(p) => p,
        Err(e) if e.is("NoSuchEntity") => return Ok(false),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("list policies of role {name}"))),
    };
    for policy in policies {
        match backend.delete_role_policy(&name, &policy).await {
            Ok(()) => {}
            Err(e) if e.is("NoSuchEntity") => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("delete policy {policy} of role {name}"))),
        }
    }
    match backend.delete_role(&name).await {
        Ok(()) => Ok(true),
        Err(e) if e.is("NoSuchEntity") => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context(format!("delete role {name}"))),
    }
}

/// Whether an error is the "no such application/environment" kind.
pub fn is_not_found(e: &anyhow::Error) -> bool {
    e.downcast_ref::<NoSuchApplication>().is_some() || e.downcast_ref::<NoSuchEnvironment>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_names_like_copilot() {
        assert!(basic_name("test").is_ok());
        assert!(basic_name("my-app2").is_ok());
        for bad in ["", "a", "Test", "1app", "my--app", "app-", "my_app"] {
            assert!(basic_name(bad).is_err(), "{bad}");
        }
        assert!(validate_secret_name("GH_WEBHOOK_SECRET").is_ok());
        assert!(validate_secret_name("db.pass-word_1").is_ok());
        assert_eq!(
            validate_secret_name("bad name").unwrap_err(),
            "value must contain only letters, numbers, periods, hyphens and underscores"
        );
        assert_eq!(validate_secret_name("").unwrap_err(), "value must be between 1 and 2029 characters in length");
        assert!(validate_secret_name(&"a".repeat(2029)).is_ok());
        assert!(validate_secret_name(&"a".repeat(2030)).is_err());
    }

    #[test]
    fn parses_secret_paths() {
        assert_eq!(parse_secret_path("demo", "/copilot/demo/test/secrets/X"), Some(("test", "X")));
        assert_eq!(parse_secret_path("demo", "/copilot/demo2/test/secrets/X"), None);
        assert_eq!(parse_secret_path("demo", "/copilot/demo/test/other/X"), None);
        assert_eq!(parse_secret_path("demo", "/copilot/demo/test/secrets/a/b"), None);
    }

    #[test]
    fn policy_matches_copilot() {
        let doc: serde_json::Value =
            serde_json::from_str(&secrets_policy("us-east-1", "000000000000", "demo", "test")).unwrap();
        let st = &doc["Statement"];
        assert_eq!(st[0]["Action"][0], "ssm:GetParameters");
        assert_eq!(st[0]["Resource"][0], "arn:aws:ssm:us-east-1:000000000000:parameter/*");
        assert_eq!(st[0]["Condition"]["StringEquals"]["ssm:ResourceTag/copilot-application"], "demo");
        assert_eq!(st[1]["Action"][0], "secretsmanager:GetSecretValue");
        assert_eq!(st[1]["Condition"]["StringEquals"]["secretsmanager:ResourceTag/copilot-environment"], "test");
    }
}
