//! What moves between stores: a parameter or a secret, whole (value, attributes, tags,
//! labels, policy), as read from one backend and written to another.

use coffer_aws::secret::SecretString;
use coffer_client::{ParameterAttributes, SecretValue, Tag};

/// A parameter's latest version with everything SSM keeps about it.
#[derive(Debug)]
pub struct ParameterEntry {
    pub name: String,
    pub param_type: String,
    pub value: SecretString,
    pub description: Option<String>,
    pub attributes: ParameterAttributes,
    pub tags: Vec<Tag>,
    /// The labels on this (the latest) version.
    pub labels: Vec<String>,
}

/// A secret: its `AWSCURRENT` version first, then (with `--all-versions`) the other labelled
/// versions, oldest first.
#[derive(Debug)]
pub struct SecretEntry {
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    pub policy: Option<String>,
    pub versions: Vec<SecretValue>,
}

#[derive(Debug)]
pub enum Entry {
    Parameter(ParameterEntry),
    Secret(SecretEntry),
}

impl Entry {
    pub fn name(&self) -> &str {
        match self {
            Entry::Parameter(p) => &p.name,
            Entry::Secret(s) => &s.name,
        }
    }

    /// `parameter` or `secret`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Parameter(_) => "parameter",
            Entry::Secret(_) => "secret",
        }
    }
}

/// A `KEY=value` of a flat file (dotenv, JSON, YAML, tfvars, chamber), with the line it was
/// on when the format has lines.
#[derive(Debug)]
pub struct FlatEntry {
    pub key: String,
    pub value: SecretString,
    pub line: Option<usize>,
}
