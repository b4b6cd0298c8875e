//! The AWS operations the `coffer` CLI performs, behind one trait.
//!
//! The trait speaks AWS operations (PutParameter, CreateRole, …), not Copilot concepts, so
//! the Copilot workflow is written once, on top of it, and behaves the same on both
//! implementations. Secret values travel as [`SecretString`]: no `Debug` here prints one.

use crate::ClientError;
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

/// PutParameter's input, the part the CLI uses (`DataType` is always `text`).
#[derive(Debug)]
pub struct NewParameter {
    pub name: String,
    pub value: SecretString,
    /// `String` or `SecureString`.
    pub param_type: String,
    pub description: Option<String>,
    pub overwrite: bool,
    /// Only on create: SSM refuses tags together with `Overwrite`.
    pub tags: Vec<Tag>,
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

/// What the CLI needs from SSM Parameter Store, IAM and STS.
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

    /// DeleteParameter; `false` when there was no such parameter.
    async fn delete_parameter(&self, name: &str) -> Result<bool, ClientError>;

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
