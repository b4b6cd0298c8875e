//! What [`Backend`](crate::Backend) exchanges with Secrets Manager. Values travel as
//! [`SecretPayload`]; no `Debug` here prints one.

use crate::Tag;
use coffer_aws::SecretBytes;
use coffer_aws::Timestamp;
use coffer_aws::secret::{ExposeSecret, SecretString};

/// A secret version's value: `SecretString` or `SecretBinary`.
#[derive(Debug)]
pub enum SecretPayload {
    Text(SecretString),
    Binary(SecretBytes),
}

impl SecretPayload {
    /// Whether both hold the same value (a text and a binary never do).
    pub fn same_as(&self, other: &SecretPayload) -> bool {
        match (self, other) {
            (Self::Text(a), Self::Text(b)) => a.expose_secret() == b.expose_secret(),
            (Self::Binary(a), Self::Binary(b)) => a.expose() == b.expose(),
            _ => false,
        }
    }
}

/// DescribeSecret's or ListSecrets' view of a secret (no value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretInfo {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    /// Set when the secret is scheduled for deletion.
    pub deleted: Option<Timestamp>,
    /// The Region of the primary secret, on a replicated secret (a primary or a replica).
    pub primary_region: Option<String>,
    /// A primary's replicas (DescribeSecret only; ListSecrets does not report them).
    pub replicas: Vec<ReplicaInfo>,
    /// What `secret show` reports (from DescribeSecret; a listing may leave it empty).
    pub rotation: RotationInfo,
}

/// What DescribeSecret says about a secret's rotation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationInfo {
    /// `None` when rotation was never configured.
    pub enabled: Option<bool>,
    pub function_arn: Option<String>,
    pub last_rotated: Option<Timestamp>,
    pub next_rotation: Option<Timestamp>,
    /// A version staged `AWSPENDING` that is not `AWSCURRENT`: a rotation under way, or one
    /// that failed and waits for its retry.
    pub pending_version: Option<String>,
}

impl RotationInfo {
    /// The version a rotation left `AWSPENDING`, given `(version, stages)` pairs.
    pub fn pending_of<'a>(stages: impl IntoIterator<Item = (&'a String, &'a Vec<String>)>) -> Option<String> {
        stages
            .into_iter()
            .find(|(_, s)| s.iter().any(|s| s == "AWSPENDING") && !s.iter().any(|s| s == "AWSCURRENT"))
            .map(|(v, _)| v.clone())
    }
}

/// One replica of a primary secret, as `ReplicationStatus` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaInfo {
    pub region: String,
    /// `InSync`, `Failed` or `InProgress`.
    pub status: String,
    pub message: Option<String>,
}

/// One version of a secret and its staging labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretVersion {
    pub version_id: String,
    pub stages: Vec<String>,
    pub created: Timestamp,
}

/// A version read with its value.
#[derive(Debug)]
pub struct SecretValue {
    pub version_id: String,
    pub stages: Vec<String>,
    pub payload: SecretPayload,
}

/// CreateSecret's input, the part the CLI uses.
#[derive(Debug)]
pub struct NewSecret {
    pub name: String,
    pub description: Option<String>,
    pub payload: SecretPayload,
    pub tags: Vec<Tag>,
    /// The first version's id (ClientRequestToken); `None` lets the service choose.
    pub version_id: Option<String>,
}
