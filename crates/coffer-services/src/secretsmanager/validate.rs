//! Request checks that need nothing but the request. They run before anything is read.

use super::errors::{both_values, missing, no_value, sensitive_length};
use super::model::{Tag, WireBlob};
use crate::error::OpResult;
use crate::json::constraint;
use coffer_aws::SecretBytes;
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_store::secrets::ValueKind;

pub const MAX_VALUE_BYTES: usize = 65_536;
pub const MAX_DESCRIPTION: usize = 2048;
pub const MAX_KMS_KEY_ID: usize = 2048;
pub const MAX_TAGS: usize = 50;
pub const MAX_STAGES_PER_VERSION: usize = 20;

/// A secret value from a request, checked.
pub struct NewValue {
    pub kind: ValueKind,
    pub bytes: SecretBytes,
}

impl NewValue {
    /// Whether a stored value is this one (same kind, same bytes).
    pub fn same_as(&self, kind: ValueKind, stored: &SecretBytes) -> bool {
        self.kind == kind && self.bytes.expose() == stored.expose()
    }
}

pub fn required<'a>(value: &'a Option<String>, member: &str) -> OpResult<&'a str> {
    Ok(value.as_deref().ok_or_else(|| missing(member))?)
}

/// `SecretString` XOR `SecretBinary`, each 1..=65536 bytes. `Ok(None)` when neither is given.
pub fn value(string: Option<&SecretString>, binary: Option<&WireBlob>) -> OpResult<Option<NewValue>> {
    let value = match (string, binary) {
        (Some(_), Some(_)) => return Err(both_values().into()),
        (None, None) => return Ok(None),
        (Some(s), None) => {
            NewValue { kind: ValueKind::String, bytes: SecretBytes::new(s.expose_secret().as_bytes().to_vec()) }
        }
        (None, Some(b)) => NewValue { kind: ValueKind::Binary, bytes: b.0.clone() },
    };
    let member = match value.kind {
        ValueKind::String => "secretString",
        ValueKind::Binary => "secretBinary",
    };
    if value.bytes.is_empty() {
        return Err(sensitive_length(member, "Member must have length greater than or equal to 1").into());
    }
    if value.bytes.len() > MAX_VALUE_BYTES {
        return Err(sensitive_length(member, "Member must have length less than or equal to 65536").into());
    }
    Ok(Some(value))
}

/// Like [`value`], but one of the two is required (PutSecretValue).
pub fn required_value(string: Option<&SecretString>, binary: Option<&WireBlob>) -> OpResult<NewValue> {
    Ok(value(string, binary)?.ok_or_else(no_value)?)
}

/// `ClientRequestToken`: 32..=64 characters.
pub fn token(token: Option<&str>) -> OpResult<()> {
    if let Some(t) = token {
        let n = t.chars().count();
        if n < 32 {
            return Err(
                constraint(t, "clientRequestToken", "Member must have length greater than or equal to 32").into()
            );
        }
        if n > 64 {
            return Err(constraint(t, "clientRequestToken", "Member must have length less than or equal to 64").into());
        }
    }
    Ok(())
}

/// The token a new version gets as its VersionId: the client's, or a fresh UUID.
pub fn token_or_uuid(token: Option<&str>) -> String {
    token.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

pub fn version_id(id: Option<&str>, member: &str) -> OpResult<()> {
    if let Some(id) = id {
        let n = id.chars().count();
        if n < 32 {
            return Err(constraint(id, member, "Member must have length greater than or equal to 32").into());
        }
        if n > 64 {
            return Err(constraint(id, member, "Member must have length less than or equal to 64").into());
        }
    }
    Ok(())
}

pub fn stage(stage: &str, member: &str) -> OpResult<()> {
    let n = stage.chars().count();
    if n < 1 {
        return Err(constraint(stage, member, "Member must have length greater than or equal to 1").into());
    }
    if n > 256 {
        return Err(constraint(stage, member, "Member must have length less than or equal to 256").into());
    }
    Ok(())
}

pub fn stages(stages: &[String]) -> OpResult<()> {
    if stages.len() > MAX_STAGES_PER_VERSION {
        return Err(constraint(
            format!("[{}]", stages.join(", ")),
            "versionStages",
            "Member must have length less than or equal to 20",
        )
        .into());
    }
    for s in stages {
        stage(s, "versionStages")?;
    }
    Ok(())
}

pub fn description(description: Option<&str>) -> OpResult<()> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => {
            Err(constraint(d, "description", "Member must have length less than or equal to 2048").into())
        }
        _ => Ok(()),
    }
}

pub fn kms_key_id(key: Option<&str>) -> OpResult<()> {
    match key {
        Some(k) if k.chars().count() > MAX_KMS_KEY_ID => {
            Err(constraint(k, "kmsKeyId", "Member must have length less than or equal to 2048").into())
        }
        _ => Ok(()),
    }
}

pub fn secret_type(t: Option<&str>) -> OpResult<()> {
    match t {
        Some(v) if v.is_empty() || v.chars().count() > 256 => {
            Err(constraint(v, "type", "Member must have length between 1 and 256").into())
        }
        _ => Ok(()),
    }
}

/// Tags in a request: keys 1..=128, values 0..=256, AWS's tag character set, at most 50.
/// Returns `(key, value)` pairs; a key given twice keeps its last value.
pub fn tags(tags: &[Tag]) -> OpResult<Vec<(String, String)>> {
    if tags.len() > MAX_TAGS {
        return Err(constraint(
            format!("{} tags", tags.len()),
            "tags",
            "Member must have length less than or equal to 50",
        )
        .into());
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let n = i + 1;
        let key = tag.key.as_deref().ok_or_else(|| missing(&format!("tags.{n}.member.key")))?;
        let value = tag.value.as_deref().unwrap_or("");
        if key.is_empty() || key.chars().count() > 128 || !crate::tag_text::is_tag_text(key) {
            return Err(constraint(
                key,
                &format!("tags.{n}.member.key"),
                "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ and have length between 1 and 128",
            ).into());
        }
        if value.chars().count() > 256 || !crate::tag_text::is_tag_text(value) {
            return Err(constraint(
                value,
                &format!("tags.{n}.member.value"),
                "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ and have length less than or equal to 256",
            ).into());
        }
        match out.iter_mut().find(|(k, _)| k == key) {
            Some(existing) => value.clone_into(&mut existing.1),
            None => out.push((key.to_owned(), value.to_owned())),
        }
    }
    Ok(out)
}

pub fn tag_keys(keys: &[String]) -> OpResult<()> {
    for (i, key) in keys.iter().enumerate() {
        if key.is_empty() || key.chars().count() > 128 || !crate::tag_text::is_tag_text(key) {
            return Err(constraint(
                key,
                &format!("tagKeys.{}.member", i + 1),
                "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ and have length between 1 and 128",
            ).into());
        }
    }
    Ok(())
}

/// `MaxResults` within `1..=max`, or `default`.
pub fn max_results(value: Option<i64>, max: i64, default: i64) -> OpResult<i64> {
    match value {
        None => Ok(default),
        Some(v) if v < 1 => {
            Err(constraint(v, "maxResults", "Member must have value greater than or equal to 1").into())
        }
        Some(v) if v > max => {
            Err(constraint(v, "maxResults", &format!("Member must have value less than or equal to {max}")).into())
        }
        Some(v) => Ok(v),
    }
}
