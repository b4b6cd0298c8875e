//! Amazon Resource Names: the partition rule and a parser with the aws-sdk-go `arn.Parse`
//! semantics (six colon-separated sections, the resource keeps any further colons).

/// The partition AWS uses for a region: `aws-cn` for China, `aws-us-gov` for GovCloud.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("arn: invalid prefix")]
    InvalidPrefix,
    #[error("arn: not enough sections")]
    NotEnoughSections,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Result<Self, ArnError> {
        let rest = s.strip_prefix("arn:").ok_or(ArnError::InvalidPrefix)?;
        let mut parts = rest.splitn(5, ':');
        let mut next = || parts.next().ok_or(ArnError::NotEnoughSections);
        let (partition, service, region, account, resource) = (next()?, next()?, next()?, next()?, next()?);
        Ok(Self { partition, service, region, account, resource })
    }
}

pub fn is_arn(s: &str) -> bool {
    s.starts_with("arn:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resource_with_colons() {
        let a = Arn::parse("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::").unwrap();
        assert_eq!(a.service, "secretsmanager");
        assert_eq!(a.region, "us-west-2");
        assert_eq!(a.resource, "secret:mysql:password::");
    }

    #[test]
    fn rejects_short_and_unprefixed() {
        assert_eq!(Arn::parse("aws:ssm:x"), Err(ArnError::InvalidPrefix));
        assert_eq!(Arn::parse("arn:aws:ssm:us-east-1"), Err(ArnError::NotEnoughSections));
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_for_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_for_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_for_region("eu-west-1"), "aws");
    }
}
