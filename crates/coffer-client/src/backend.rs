//! The AWS operations the `coffer` CLI performs, behind one trait.
//!
//! The trait speaks AWS operations (PutParameter, CreateRole, …), not Copilot concepts, so
//! the Copilot workflow is written once, on top of it, and behaves the same on both
//! implementations. Secret values travel as [`SecretString`]: no `Debug` here prints one.

use crate::ClientError;
use crate::secrets::{NewSecret, SecretInfo, SecretPayload, SecretValue, SecretVersion};
use async_trait::async_trait;
use coffer_aws::Timestamp;
use coffer_aws::secret::SecretString;

/// A resource tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Who the backend acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// PutParameter's input, the part the CLI uses.
#[derive(Debug)]
pub struct NewParameter {
    pub name: String,
    pub value: SecretString,
    /// `String`, `StringList` or `SecureString`.
    pub param_type: String,
    pub description: Option<String>,
    pub overwrite: bool,
    /// Only on create: SSM refuses tags together with `Overwrite`.
    pub tags: Vec<Tag>,
    /// The rest of a parameter's attributes, as an import carries them over.
    pub attributes: ParameterAttributes,
}

/// The attributes of a parameter besides its type and description; `None` leaves each to
/// SSM's default (`Standard`, `text`, no pattern).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParameterAttributes {
    pub tier: Option<String>,
    pub data_type: Option<String>,
    pub allowed_pattern: Option<String>,
}

/// A parameter read with its value (decrypted when asked to).
#[derive(Debug)]
pub struct Parameter {
    pub name: String,
    pub param_type: String,
    pub value: SecretString,
    pub version: i64,
    pub last_modified: Timestamp,
}

/// DescribeParameters' view of a parameter: no value, but who changed it last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterInfo {
    pub name: String,
    pub param_type: String,
    pub version: i64,
    pub last_modified: Timestamp,
    pub last_modified_user: Option<String>,
    pub description: Option<String>,
    /// Always set: SSM answers the defaults (`Standard`, `text`) too.
    pub attributes: ParameterAttributes,
}

#[derive(Clone, Debug)]
pub struct NewRole {
    pub name: String,
    pub trust_policy: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub trust_policy: String,
}

/// What the CLI needs from SSM Parameter Store, Secrets Manager, IAM and STS.
///
/// Errors keep AWS's codes, so callers test `e.is("ParameterAlreadyExists")` alike on both
/// backends. Listing methods return every page.
#[async_trait]
pub trait Backend: Send + Sync {
    /// `embedded (<data dir>)` or `remote (<endpoint>)`, for messages.
    fn describe(&self) -> String;

    /// The region requests are made in.
    fn region(&self) -> &str;

    /// STS GetCallerIdentity.
    async fn caller_identity(&self) -> Result<Identity, ClientError>;

    /// PutParameter; returns the new version.
    async fn put_parameter(&self, input: NewParameter) -> Result<i64, ClientError>;

    /// GetParameter; `None` when there is no such parameter.
    async fn get_parameter(&self, name: &str, with_decryption: bool) -> Result<Option<Parameter>, ClientError>;

    /// GetParametersByPath, all pages.
    async fn parameters_by_path(
        &self,
        path: &str,
        recursive: bool,
        with_decryption: bool,
    ) -> Result<Vec<Parameter>, ClientError>;

    /// DescribeParameters with a `Path` filter, all pages.
    async fn describe_parameters(&self, path: &str, recursive: bool) -> Result<Vec<ParameterInfo>, ClientError>;

    /// AddTagsToResource (ResourceType `Parameter`): adds or overwrites these tags.
    async fn add_tags(&self, name: &str, tags: Vec<Tag>) -> Result<(), ClientError>;

    /// ListTagsForResource (ResourceType `Parameter`).
    async fn list_tags(&self, name: &str) -> Result<Vec<Tag>, ClientError>;

    /// The labels on the parameter's latest version (GetParameterHistory, all pages).
    async fn parameter_labels(&self, name: &str) -> Result<Vec<String>, ClientError>;

    /// LabelParameterVersion: attaches (or moves) these labels to `version`.
    async fn label_parameter(&self, name: &str, version: i64, labels: Vec<String>) -> Result<(), ClientError>;

    /// DeleteParameter; `false` when there was no such parameter.
    async fn delete_parameter(&self, name: &str) -> Result<bool, ClientError>;

    /// Secrets Manager ListSecrets with these filters (key, values), all pages; secrets
    /// scheduled for deletion are left out.
    async fn list_secrets(&self, filters: Vec<(String, Vec<String>)>) -> Result<Vec<SecretInfo>, ClientError>;

    /// DescribeSecret; `None` when there is no such secret.
    async fn describe_secret(&self, id: &str) -> Result<Option<SecretInfo>, ClientError>;

    /// ListSecretVersionIds (versions with at least one staging label), all pages.
    async fn secret_versions(&self, id: &str) -> Result<Vec<SecretVersion>, ClientError>;

    /// GetSecretValue of one version, or of `AWSCURRENT` when `version_id` is `None`.
    async fn get_secret_value(&self, id: &str, version_id: Option<&str>) -> Result<SecretValue, ClientError>;

    /// GetResourcePolicy; `None` when the secret has no policy.
    async fn secret_policy(&self, id: &str) -> Result<Option<String>, ClientError>;

    /// CreateSecret; returns the first version's id.
    async fn create_secret(&self, secret: NewSecret) -> Result<String, ClientError>;

    /// PutSecretValue with this version id (ClientRequestToken) and staging labels
    /// (`None`: `AWSCURRENT`); returns the version id.
    async fn put_secret_value(
        &self,
        id: &str,
        payload: &SecretPayload,
        version_id: Option<String>,
        stages: Option<Vec<String>>,
    ) -> Result<String, ClientError>;

    /// UpdateSecret of the description alone (no new version).
    async fn set_secret_description(&self, id: &str, description: &str) -> Result<(), ClientError>;

    /// TagResource: adds or overwrites these tags.
    async fn tag_secret(&self, id: &str, tags: Vec<Tag>) -> Result<(), ClientError>;

    /// PutResourcePolicy.
    async fn put_secret_policy(&self, id: &str, policy: &str) -> Result<(), ClientError>;

    /// UpdateSecretVersionStage: moves `stage` to `move_to`, from `remove_from` if it is
    /// attached elsewhere.
    async fn move_secret_stage(
        &self,
        id: &str,
        stage: &str,
        move_to: &str,
        remove_from: Option<&str>,
    ) -> Result<(), ClientError>;

    /// IAM CreateRole.
    async fn create_role(&self, role: NewRole) -> Result<Role, ClientError>;

    /// IAM GetRole; `None` when there is no such role.
    async fn get_role(&self, name: &str) -> Result<Option<Role>, ClientError>;

    /// IAM PutRolePolicy (creates or replaces an inline policy).
    async fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> Result<(), ClientError>;

    /// IAM GetRolePolicy; `None` when the role or the policy does not exist.
    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ClientError>;

    /// IAM ListRolePolicies, all pages.
    async fn list_role_policies(&self, role: &str) -> Result<Vec<String>, ClientError>;

    /// IAM DeleteRolePolicy.
    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), ClientError>;

    /// IAM DeleteRole (its inline policies must be deleted first).
    async fn delete_role(&self, name: &str) -> Result<(), ClientError>;

    /// Finishes pending work (the embedded backend flushes its audit trail and closes the
    /// store). Call once, at the end.
    async fn close(&self) {}
}
