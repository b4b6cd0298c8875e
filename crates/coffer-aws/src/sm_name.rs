//! Secrets Manager secret names and `SecretId` references.

use crate::error::{AwsError, MessageKey};

pub const MAX_SECRET_NAME: usize = 512;

const INVALID_NAME: &str =
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '+' | '=' | '.' | '@' | '-')
}

/// A valid secret name (1..=512 of `A-Za-z0-9/_+=.@-`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(input: &str) -> Result<Self, AwsError> {
        if input.is_empty() || input.chars().count() > MAX_SECRET_NAME || !input.chars().all(is_name_char) {
            return Err(AwsError::new("ValidationException", MessageKey::Upper, INVALID_NAME));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name itself looks like `<something>-XXXXXX`, which makes AWS read a partial
    /// ARN of it as a full ARN (the seed's "Option 2").
    pub fn ends_like_suffix(&self) -> bool {
        ends_like_suffix(&self.0)
    }
}

pub fn ends_like_suffix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 7 && b[b.len() - 7] == b'-' && b[b.len() - 6..].iter().all(u8::is_ascii_alphanumeric)
}

/// How a `SecretId` names a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretId {
    /// A plain name.
    Name(String),
    /// An ARN; `resource` is what follows `secret:`, with or without the 6-character suffix.
    Arn { partition: String, region: String, account: String, resource: String },
}

impl SecretId {
    pub fn parse(input: &str) -> Result<Self, AwsError> {
        if input.starts_with("arn:") {
            if let Ok(arn) = crate::arn::Arn::parse(input)
                && arn.service == "secretsmanager"
                && let Some(resource) = arn.resource.strip_prefix("secret:")
                && !resource.is_empty()
                && resource.chars().all(is_name_char)
            {
                return Ok(Self::Arn {
                    partition: arn.partition.to_owned(),
                    region: arn.region.to_owned(),
                    account: arn.account.to_owned(),
                    resource: resource.to_owned(),
                });
            }
            return Err(AwsError::new("ValidationException", MessageKey::Upper, INVALID_NAME));
        }
        if input.is_empty() || input.len() > 2048 || !input.chars().all(is_name_char) {
            return Err(AwsError::new("ValidationException", MessageKey::Upper, INVALID_NAME));
        }
        Ok(Self::Name(input.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(SecretName::parse("demo/test/mysql").is_ok());
        assert!(SecretName::parse("a b").is_err());
        assert!(SecretName::parse(&"a".repeat(513)).is_err());
        assert!(SecretName::parse("mysql-dbconf").unwrap().ends_like_suffix());
        assert!(!SecretName::parse("mysql").unwrap().ends_like_suffix());
    }

    #[test]
    fn ids() {
        assert_eq!(SecretId::parse("mysql").unwrap(), SecretId::Name("mysql".into()));
        match SecretId::parse("arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL").unwrap() {
            SecretId::Arn { resource, region, .. } => {
                assert_eq!(resource, "demo/test/mysql-Yi6mvL");
                assert_eq!(region, "us-west-2");
            }
            other => panic!("{other:?}"),
        }
        assert!(SecretId::parse("bad name").is_err());
    }
}
