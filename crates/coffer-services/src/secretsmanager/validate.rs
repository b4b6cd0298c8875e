//! What a request means, once its members met the model's constraints
//! (`super::constraints`): the value it carries, its tags, its version id.

use super::errors::{both_values, missing, no_value};
use super::model::{Tag, WireBlob};
use crate::error::OpResult;
use coffer_aws::SecretBytes;
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_store::secrets::ValueKind;

/// Tags a secret may have (Secrets Manager's quota; a request with more breaks a constraint).
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

/// A member the constraints already required, unwrapped.
pub fn required<'a>(value: &'a Option<String>, member: &str) -> OpResult<&'a str> {
    Ok(value.as_deref().ok_or_else(|| missing(member))?)
}

/// `SecretString` XOR `SecretBinary`. `Ok(None)` when neither is given.
pub fn value(string: Option<&SecretString>, binary: Option<&WireBlob>) -> OpResult<Option<NewValue>> {
    Ok(match (string, binary) {
        (Some(_), Some(_)) => return Err(both_values().into()),
        (None, None) => None,
        (Some(s), None) => {
            Some(NewValue { kind: ValueKind::String, bytes: SecretBytes::new(s.expose_secret().as_bytes().to_vec()) })
        }
        (None, Some(b)) => Some(NewValue { kind: ValueKind::Binary, bytes: b.0.clone() }),
    })
}

/// Like [`value`], but one of the two is required (PutSecretValue).
pub fn required_value(string: Option<&SecretString>, binary: Option<&WireBlob>) -> OpResult<NewValue> {
    Ok(value(string, binary)?.ok_or_else(no_value)?)
}

/// The token a new version gets as its VersionId: the client's, or a fresh UUID.
pub fn token_or_uuid(token: Option<&str>) -> String {
    token.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Tags in a request as `(key, value)` pairs; a key given twice keeps its last value.
pub fn tags(tags: &[Tag]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for tag in tags {
        let Some(key) = tag.key.as_deref() else { continue };
        let value = tag.value.as_deref().unwrap_or("");
        match out.iter_mut().find(|(k, _)| k == key) {
            Some(existing) => value.clone_into(&mut existing.1),
            None => out.push((key.to_owned(), value.to_owned())),
        }
    }
    out
}
