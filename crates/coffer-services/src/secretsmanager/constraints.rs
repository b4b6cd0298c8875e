//! Secrets Manager's input shapes and their members' constraints, as the service model states
//! them (`SecretIdType`, `ClientRequestTokenType`, …). Where AWS answers a member with its own
//! wording or error instead (a secret's name, `RotationRules.AutomaticallyAfterDays`, a
//! filter without values), the operation checks it after these.

use super::model::{
    BatchGetSecretValueInput, CreateSecretInput, DeleteSecretInput, Filter, GetRandomPasswordInput,
    GetSecretValueInput, ListSecretVersionIdsInput, ListSecretsInput, PutResourcePolicyInput, PutSecretValueInput,
    RemoveRegionsFromReplicationInput, ReplicaRegion, ReplicateSecretToRegionsInput, RotateSecretInput, RotationRules,
    SecretIdInput, Tag, TagResourceInput, UntagResourceInput, UpdateSecretInput, UpdateSecretVersionStageInput,
    ValidateResourcePolicyInput, WireBlob,
};
use super::validate::{MAX_STAGES_PER_VERSION, MAX_TAGS};
use crate::constraints::{At, Constrained, Pattern, Str, Violations};
use crate::tag_text::{TAG_KEY, TAG_VALUE};
use coffer_aws::secret::{ExposeSecret as _, SecretString};

/// `SecretIdType`.
const SECRET_ID: Str = Str::len(1, 2048);
/// `ClientRequestTokenType`, and `SecretVersionIdType` alike.
const VERSION_ID: Str = Str::len(32, 64);
/// `SecretVersionStageType`.
const STAGE: Str = Str::len(1, 256);
/// `KmsKeyIdType`.
const KMS_KEY_ID: Str = Str::len(0, 2048);
const DESCRIPTION: Str = Str::len(0, 2048);
/// `SecretTypeType`, as Secrets Manager words it.
const SECRET_TYPE: Str = Str::len(1, 256).worded("Member must have length between 1 and 256");
const NEXT_TOKEN: Str = Str::len(1, 4096);
const MAX_VALUE_BYTES: usize = 65_536;
/// `RegionType`.
const REGION: Str = Str::len(1, 128).pattern(Pattern { text: r"^([a-z]+-)+\d+$", test: is_region });
const FILTER_KEYS: &[&str] =
    &["all", "name", "tag-key", "description", "tag-value", "primary-region", "owning-service"];
/// `FilterValueStringType`.
const FILTER_VALUE: Str = Str::len(0, 512).pattern(Pattern {
    text: r"^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$",
    test: |v| {
        let body = v.strip_prefix('!').unwrap_or(v);
        body.chars().all(|c| c.is_ascii_alphanumeric() || " :_@/+=.-!".contains(c))
    },
});

/// `^([a-z]+-)+\d+$`: lowercase words, each followed by `-`, then digits.
fn is_region(s: &str) -> bool {
    let mut parts: Vec<&str> = s.split('-').collect();
    let Some(number) = parts.pop() else { return false };
    !parts.is_empty()
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// `SecretId`, which every operation but CreateSecret, ListSecrets, BatchGetSecretValue and
/// GetRandomPassword requires.
fn secret_id(at: &At, v: &mut Violations, id: Option<&String>) {
    v.required(at.member("secretId"), id);
    v.string(at.member("secretId"), id.map(String::as_str), SECRET_ID);
}

/// `SecretString` / `SecretBinary`: never repeated, 1..=65536 bytes.
fn value(at: &At, v: &mut Violations, string: Option<&SecretString>, binary: Option<&WireBlob>) {
    let string_len = string.map(|s| s.expose_secret().len());
    v.unshown_len(at.member("secretString"), string_len, 1, MAX_VALUE_BYTES);
    v.unshown_len(at.member("secretBinary"), binary.map(|b| b.0.len()), 1, MAX_VALUE_BYTES);
}

/// `NonEmptyResourcePolicyType`: 1..=20480 characters, never repeated (too long to echo).
fn resource_policy(at: &At, v: &mut Violations, policy: Option<&str>) {
    v.required(at.member("resourcePolicy"), policy);
    v.unshown_len(at.member("resourcePolicy"), policy.map(|p| p.chars().count()), 1, 20_480);
}

fn max_results(at: &At, v: &mut Violations, value: Option<i64>, max: i64) {
    v.range(at.member("maxResults"), value, 1, max);
}

impl Constrained for Tag {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.required(at.member("key"), self.key.as_ref());
        v.string(at.member("key"), self.key.as_deref(), TAG_KEY);
        v.string(at.member("value"), self.value.as_deref(), TAG_VALUE);
    }
}

impl Constrained for ReplicaRegion {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("region"), self.region.as_deref(), REGION);
        v.string(at.member("kmsKeyId"), self.kms_key_id.as_deref(), KMS_KEY_ID);
    }
}

impl Constrained for Filter {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("key"), self.key.as_deref(), Str::one_of(FILTER_KEYS));
        // No values at all is InvalidParameterException, which the filter parser answers.
        v.strings(at.member("values"), self.values.as_deref(), 0, 10, FILTER_VALUE);
    }
}

impl Constrained for RotationRules {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(
            at.member("scheduleExpression"),
            self.schedule_expression.as_deref(),
            Str::len(1, 256).worded("Member must have length between 1 and 256"),
        );
    }
}

impl Constrained for CreateSecretInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.required(at.member("name"), self.name.as_ref());
        v.string(at.member("clientRequestToken"), self.client_request_token.as_deref(), VERSION_ID);
        v.string(at.member("description"), self.description.as_deref(), DESCRIPTION);
        v.string(at.member("kmsKeyId"), self.kms_key_id.as_deref(), KMS_KEY_ID);
        value(at, v, self.secret_string.as_ref(), self.secret_binary.as_ref());
        v.list(at.member("tags"), self.tags.as_deref(), 0, MAX_TAGS);
        v.list(at.member("addReplicaRegions"), self.add_replica_regions.as_deref(), 1, usize::MAX);
        v.string(at.member("type"), self.secret_type.as_deref(), SECRET_TYPE);
    }
}

impl Constrained for SecretIdInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
    }
}

impl Constrained for GetSecretValueInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.string(at.member("versionId"), self.version_id.as_deref(), VERSION_ID);
        v.string(at.member("versionStage"), self.version_stage.as_deref(), STAGE);
    }
}

impl Constrained for BatchGetSecretValueInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.strings(at.member("secretIdList"), self.secret_id_list.as_deref(), 1, 20, SECRET_ID);
        v.list(at.member("filters"), self.filters.as_deref(), 0, 10);
        max_results(at, v, self.max_results, 20);
        v.string(at.member("nextToken"), self.next_token.as_deref(), NEXT_TOKEN);
    }
}

impl Constrained for PutSecretValueInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.string(at.member("clientRequestToken"), self.client_request_token.as_deref(), VERSION_ID);
        value(at, v, self.secret_string.as_ref(), self.secret_binary.as_ref());
        v.strings(at.member("versionStages"), self.version_stages.as_deref(), 1, MAX_STAGES_PER_VERSION, STAGE);
        v.unshown_len(at.member("rotationToken"), self.rotation_token.as_ref().map(|t| t.chars().count()), 36, 256);
    }
}

impl Constrained for UpdateSecretInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.string(at.member("clientRequestToken"), self.client_request_token.as_deref(), VERSION_ID);
        v.string(at.member("description"), self.description.as_deref(), DESCRIPTION);
        v.string(at.member("kmsKeyId"), self.kms_key_id.as_deref(), KMS_KEY_ID);
        value(at, v, self.secret_string.as_ref(), self.secret_binary.as_ref());
        v.string(at.member("type"), self.secret_type.as_deref(), SECRET_TYPE);
    }
}

impl Constrained for ListSecretsInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        max_results(at, v, self.max_results, 100);
        v.string(at.member("nextToken"), self.next_token.as_deref(), NEXT_TOKEN);
        v.list(at.member("filters"), self.filters.as_deref(), 0, 10);
        v.string(at.member("sortOrder"), self.sort_order.as_deref(), Str::one_of(&["asc", "desc"]));
        v.string(
            at.member("sortBy"),
            self.sort_by.as_deref(),
            Str::one_of(&["created-date", "last-accessed-date", "last-changed-date", "name"]),
        );
    }
}

impl Constrained for ListSecretVersionIdsInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        max_results(at, v, self.max_results, 100);
        v.string(at.member("nextToken"), self.next_token.as_deref(), NEXT_TOKEN);
    }
}

impl Constrained for DeleteSecretInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
    }
}

impl Constrained for TagResourceInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.required(at.member("tags"), self.tags.as_ref());
        v.list(at.member("tags"), self.tags.as_deref(), 0, MAX_TAGS);
    }
}

impl Constrained for UntagResourceInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.required(at.member("tagKeys"), self.tag_keys.as_ref());
        v.strings(at.member("tagKeys"), self.tag_keys.as_deref(), 0, usize::MAX, TAG_KEY);
    }
}

impl Constrained for UpdateSecretVersionStageInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.required(at.member("versionStage"), self.version_stage.as_ref());
        v.string(at.member("versionStage"), self.version_stage.as_deref(), STAGE);
        v.string(at.member("removeFromVersionId"), self.remove_from_version_id.as_deref(), VERSION_ID);
        v.string(at.member("moveToVersionId"), self.move_to_version_id.as_deref(), VERSION_ID);
    }
}

impl Constrained for GetRandomPasswordInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.range(at.member("passwordLength"), self.password_length, 1, 4096);
        v.string(at.member("excludeCharacters"), self.exclude_characters.as_deref(), Str::len(0, 4096));
    }
}

impl Constrained for PutResourcePolicyInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        resource_policy(at, v, self.resource_policy.as_deref());
    }
}

impl Constrained for ValidateResourcePolicyInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("secretId"), self.secret_id.as_deref(), SECRET_ID);
        resource_policy(at, v, self.resource_policy.as_deref());
    }
}

impl Constrained for RotateSecretInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.string(at.member("clientRequestToken"), self.client_request_token.as_deref(), VERSION_ID);
        v.string(at.member("rotationLambdaARN"), self.rotation_lambda_arn.as_deref(), Str::len(0, 2048));
        if let Some(rules) = &self.rotation_rules {
            rules.constrain(&at.member("rotationRules"), v);
        }
    }
}

impl Constrained for ReplicateSecretToRegionsInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.required(at.member("addReplicaRegions"), self.add_replica_regions.as_ref());
        v.list(at.member("addReplicaRegions"), self.add_replica_regions.as_deref(), 1, usize::MAX);
    }
}

impl Constrained for RemoveRegionsFromReplicationInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        secret_id(at, v, self.secret_id.as_ref());
        v.required(at.member("removeReplicaRegions"), self.remove_replica_regions.as_ref());
        v.strings(at.member("removeReplicaRegions"), self.remove_replica_regions.as_deref(), 1, usize::MAX, REGION);
    }
}

#[cfg(test)]
mod tests {
    use super::is_region;

    #[test]
    fn regions_as_the_model_pattern_reads_them() {
        for ok in ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "a-0"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["us-east", "US-east-1", "-1", "us--1", "useast1", "us-east-1a", "", "us-east-1-"] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
