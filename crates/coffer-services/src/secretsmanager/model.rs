//! Input and output shapes of the Secrets Manager operations, as AWS's service model names
//! them. Absent members are omitted on the wire, never `null`. Secret values travel only in
//! [`WireValue`] (text) and [`WireBlob`] (binary, base64 on the wire), whose `Debug` is redacted.

use crate::ssm::model::WireValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_aws::{SecretBytes, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// A `SecretBinary`: base64 on the wire, bytes in memory.
pub struct WireBlob(pub SecretBytes);

impl Serialize for WireBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = SecretString::from(B64.encode(self.0.expose()));
        s.serialize_str(encoded.expose_secret())
    }
}

impl<'de> Deserialize<'de> for WireBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = SecretString::deserialize(d)?;
        // The error names the member, never the value.
        B64.decode(text.expose_secret().as_bytes())
            .map(|bytes| WireBlob(SecretBytes::new(bytes)))
            .map_err(|_| serde::de::Error::custom("SecretBinary is not valid base64"))
    }
}

impl std::fmt::Debug for WireBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WireBlob([REDACTED])")
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct RotationRules {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatically_after_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaRegion {
    pub region: Option<String>,
    pub kms_key_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub key: Option<String>,
    pub values: Option<Vec<String>>,
}

// ---- CreateSecret

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretInput {
    pub name: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<WireBlob>,
    pub secret_string: Option<SecretString>,
    pub tags: Option<Vec<Tag>>,
    pub add_replica_regions: Option<Vec<ReplicaRegion>>,
    pub force_overwrite_replica_secret: Option<bool>,
    #[serde(rename = "Type")]
    pub secret_type: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CreateSecretOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(rename = "ReplicationStatus", skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<ReplicationStatus>>,
}

// ---- Replication

/// `ReplicationStatusType`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationStatus {
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<Timestamp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateSecretToRegionsInput {
    pub secret_id: Option<String>,
    pub add_replica_regions: Option<Vec<ReplicaRegion>>,
    pub force_overwrite_replica_secret: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRegionsFromReplicationInput {
    pub secret_id: Option<String>,
    pub remove_replica_regions: Option<Vec<String>>,
}

/// ReplicateSecretToRegions' and RemoveRegionsFromReplication's output.
#[derive(Debug, Serialize)]
pub struct ReplicationOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "ReplicationStatus")]
    pub replication_status: Vec<ReplicationStatus>,
}

#[derive(Debug, Serialize)]
pub struct StopReplicationOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
}

// ---- GetSecretValue / BatchGetSecretValue

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueInput {
    pub secret_id: Option<String>,
    pub version_id: Option<String>,
    pub version_stage: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub version_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<WireBlob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<WireValue>,
    pub version_stages: Vec<String>,
    pub created_date: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueInput {
    pub secret_id_list: Option<Vec<String>>,
    pub filters: Option<Vec<Filter>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiErrorType {
    pub secret_id: String,
    pub error_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueOutput {
    pub secret_values: Vec<GetSecretValueOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub errors: Vec<ApiErrorType>,
}

// ---- PutSecretValue / UpdateSecret

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub secret_binary: Option<WireBlob>,
    pub secret_string: Option<SecretString>,
    pub version_stages: Option<Vec<String>>,
    pub rotation_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub version_id: String,
    pub version_stages: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<WireBlob>,
    pub secret_string: Option<SecretString>,
    #[serde(rename = "Type")]
    pub secret_type: Option<String>,
}

/// `{ARN, Name, VersionId?}`: UpdateSecret, RotateSecret and CancelRotateSecret.
#[derive(Debug, Serialize)]
pub struct SecretVersionRef {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// `{ARN, Name}`: RestoreSecret, UpdateSecretVersionStage, the resource-policy writes.
#[derive(Debug, Serialize)]
pub struct SecretRef {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "Name")]
    pub name: String,
}

// ---- DescribeSecret / ListSecrets / ListSecretVersionIds

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretIdInput {
    pub secret_id: Option<String>,
}

/// DescribeSecret's output and ListSecrets' `SecretListEntry`: the same members, except the
/// version map's name (`VersionIdsToStages` vs `SecretVersionsToStages`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretDescription {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    #[serde(rename = "RotationLambdaARN", skip_serializing_if = "Option::is_none")]
    pub rotation_lambda_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<RotationRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotated_date: Option<Timestamp>,
    pub last_changed_date: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(rename = "VersionIdsToStages", skip_serializing_if = "Option::is_none")]
    pub version_ids_to_stages: Option<BTreeMap<String, Vec<String>>>,
    #[serde(rename = "SecretVersionsToStages", skip_serializing_if = "Option::is_none")]
    pub secret_versions_to_stages: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owning_service: Option<String>,
    pub created_date: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
    /// DescribeSecret of a primary only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<ReplicationStatus>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsInput {
    pub include_planned_deletion: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub filters: Option<Vec<Filter>>,
    pub sort_order: Option<String>,
    pub sort_by: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsOutput {
    pub secret_list: Vec<SecretDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsInput {
    pub secret_id: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub include_deprecated: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretVersionsListEntry {
    pub version_id: String,
    pub version_stages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<Timestamp>,
    pub created_date: Timestamp,
    pub kms_key_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsOutput {
    pub versions: Vec<SecretVersionsListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
}

// ---- DeleteSecret

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretInput {
    pub secret_id: Option<String>,
    pub recovery_window_in_days: Option<i64>,
    pub force_delete_without_recovery: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct DeleteSecretOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "DeletionDate")]
    pub deletion_date: Timestamp,
}

// ---- Tags

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    pub secret_id: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    pub secret_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct Empty {}

// ---- UpdateSecretVersionStage

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretVersionStageInput {
    pub secret_id: Option<String>,
    pub version_stage: Option<String>,
    pub remove_from_version_id: Option<String>,
    pub move_to_version_id: Option<String>,
}

// ---- GetRandomPassword

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordInput {
    pub password_length: Option<i64>,
    pub exclude_characters: Option<String>,
    pub exclude_numbers: Option<bool>,
    pub exclude_punctuation: Option<bool>,
    pub exclude_uppercase: Option<bool>,
    pub exclude_lowercase: Option<bool>,
    pub include_space: Option<bool>,
    pub require_each_included_type: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordOutput {
    pub random_password: WireValue,
}

// ---- Resource policies

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyInput {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
    pub block_public_policy: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct GetResourcePolicyOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "ResourcePolicy", skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyInput {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationErrorsEntry {
    pub check_name: String,
    pub error_message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyOutput {
    pub policy_validation_passed: bool,
    pub validation_errors: Vec<ValidationErrorsEntry>,
}

// ---- Rotation

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateSecretInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    #[serde(rename = "RotationLambdaARN")]
    pub rotation_lambda_arn: Option<String>,
    pub rotation_rules: Option<RotationRules>,
    pub rotate_immediately: Option<bool>,
}
