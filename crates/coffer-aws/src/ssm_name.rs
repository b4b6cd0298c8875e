//! SSM parameter names, validated once at the edge.
//!
//! Rules (AWS `PutParameterRequest.Name` documentation, checked against moto and
//! AWS-validated localstack snapshots): letters, digits, `_ . -` and `/` as the hierarchy
//! separator; a hierarchical name starts with `/`, has no empty segment and at most 15
//! levels; the name plus its ARN prefix is at most 1011 characters; `aws`/`ssm` prefixes are
//! reserved (case-insensitive). A single-level name may be written `p` or `/p`: both are the
//! same parameter.

use crate::error::{AwsError, MessageKey};
use crate::scope::Scope;

pub const MAX_HIERARCHY_DEPTH: usize = 15;
/// The limit AWS states for the name "including the ARN prefix".
pub const MAX_NAME_WITH_ARN_PREFIX: usize = 1011;

const INVALID_NAME: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";
const RESERVED_PREFIX: &str = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";

/// A valid parameter name. `canonical` is the storage key (`p` for `/p`); `given` is the
/// spelling the client used, which AWS echoes back in `Name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterName {
    canonical: String,
    given: String,
    /// Named by ARN: the ARN drops a single-level name's leading slash, so the answer names
    /// the parameter as it is stored instead.
    by_arn: bool,
    /// An ARN of another partition, account or region: never a parameter of this scope.
    foreign_arn: Option<String>,
}

/// What a read may ask for: a name plus an optional `:version` or `:label` selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Version(i64),
    Label(String),
}

impl Selector {
    /// The `Selector` field AWS returns (`:3`, `:prod`).
    pub fn to_wire(&self) -> String {
        match self {
            Selector::Version(v) => format!(":{v}"),
            Selector::Label(l) => format!(":{l}"),
        }
    }
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationException", MessageKey::Upper, message)
}

impl ParameterName {
    /// Validates a name for reading (no reserved-prefix rule: `/aws/...` names are readable).
    pub fn parse(input: &str, scope: &Scope) -> Result<Self, AwsError> {
        let given = input;
        if given.is_empty() {
            return Err(validation(
                "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        if given.chars().count() > 2048 {
            return Err(validation(format!(
                "1 validation error detected: Value '{given}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048"
            )));
        }
        if !given.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')) {
            return Err(validation(INVALID_NAME));
        }
        let hierarchical = given[1..].contains('/') || !given.starts_with('/') && given.contains('/');
        if hierarchical {
            if !given.starts_with('/') || given.ends_with('/') || given.contains("//") {
                return Err(validation(INVALID_NAME));
            }
            if given.split('/').count() - 1 > MAX_HIERARCHY_DEPTH {
                return Err(AwsError::new(
                    "HierarchyLevelLimitExceededException",
                    MessageKey::Lower,
                    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.",
                ));
            }
        } else if given == "/" {
            return Err(validation(INVALID_NAME));
        }
        let canonical = if hierarchical { given.to_owned() } else { given.trim_start_matches('/').to_owned() };
        let name = Self { canonical, given: given.to_owned(), by_arn: false, foreign_arn: None };
        let with_prefix = name.arn(scope).len();
        if with_prefix > MAX_NAME_WITH_ARN_PREFIX {
            return Err(validation(format!(
                "Parameter name: {given} is too long. The maximum length of a parameter name, including the ARN prefix ({}), is {MAX_NAME_WITH_ARN_PREFIX} characters.",
                name.arn(scope).trim_end_matches(name.canonical.trim_start_matches('/')),
            )));
        }
        Ok(name)
    }

    /// Validates a name for creation: everything `parse` checks, plus the reserved prefixes.
    pub fn parse_for_write(input: &str, scope: &Scope) -> Result<Self, AwsError> {
        let name = Self::parse(input, scope)?;
        let bare = name.canonical.trim_start_matches('/').to_ascii_lowercase();
        if name.is_hierarchical() {
            if bare.starts_with("aws") {
                return Err(AwsError::new(
                    "AccessDeniedException",
                    MessageKey::Upper,
                    format!("No access to reserved parameter name: {}.", name.given),
                ));
            }
            if bare.starts_with("ssm") {
                return Err(validation(INVALID_NAME));
            }
        } else if bare.starts_with("aws") || bare.starts_with("ssm") {
            return Err(validation(RESERVED_PREFIX));
        }
        Ok(name)
    }

    /// Accepts a name or a parameter ARN of this account and region (reads take both).
    pub fn parse_name_or_arn(input: &str, scope: &Scope) -> Result<Self, AwsError> {
        match strip_arn_prefix(input, scope) {
            Some((name, local)) => {
                let mut parsed = Self::parse(&name, scope)?;
                parsed.given = parsed.canonical.clone();
                parsed.by_arn = true;
                if !local {
                    // No local name has a colon: lookups find nothing, as AWS finds nothing
                    // there, and authorization sees the ARN the caller named.
                    parsed.canonical = input.to_owned();
                    parsed.foreign_arn = Some(input.to_owned());
                }
                Ok(parsed)
            }
            None => Self::parse(input, scope),
        }
    }

    /// Splits an optional `:version`/`:label` selector off a read request. `Ok(None)` means the
    /// reference can never name a parameter (more than one `:`), which reads report as "not found".
    pub fn parse_with_selector(input: &str, scope: &Scope) -> Result<Option<(Self, Option<Selector>)>, AwsError> {
        let (base, selector) = if let Some(rest) = input.strip_prefix("arn:") {
            // The ARN itself has colons; a selector can only follow the resource part.
            match rest.rsplit_once("parameter/") {
                Some((_, tail)) if tail.contains(':') => {
                    let cut = input.len() - tail.len() + tail.find(':').unwrap_or(0);
                    (&input[..cut], Some(&input[cut + 1..]))
                }
                _ => (input, None),
            }
        } else {
            match input.split_once(':') {
                Some((b, s)) => (b, Some(s)),
                None => (input, None),
            }
        };
        let selector = match selector {
            None => None,
            Some(s) if s.is_empty() || s.contains(':') => return Ok(None),
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => match s.parse::<i64>() {
                Ok(v) => Some(Selector::Version(v)),
                Err(_) => return Ok(None),
            },
            Some(s) => Some(Selector::Label(s.to_owned())),
        };
        let name = Self::parse_name_or_arn(base, scope)?;
        Ok(Some((name, selector)))
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn given(&self) -> &str {
        &self.given
    }

    /// The name an answer carries: what was sent, or for an ARN the parameter's stored name.
    pub fn answered<'a>(&'a self, stored: &'a str) -> &'a str {
        if self.by_arn { stored } else { &self.given }
    }

    pub fn is_hierarchical(&self) -> bool {
        self.canonical.starts_with('/')
    }

    /// `arn:<partition>:ssm:<region>:<account>:parameter/<name without leading slash>`
    pub fn arn(&self, scope: &Scope) -> String {
        if let Some(arn) = &self.foreign_arn {
            return arn.clone();
        }
        scope.arn("ssm", &format!("parameter/{}", self.canonical.trim_start_matches('/')))
    }
}

/// The parameter name inside an SSM parameter ARN, if `input` is one. The name of a
/// hierarchical parameter gets its leading `/` back.
/// The parameter name an SSM parameter ARN holds, and whether the ARN is of `scope`.
fn strip_arn_prefix(input: &str, scope: &Scope) -> Option<(String, bool)> {
    let arn = crate::arn::Arn::parse(input).ok()?;
    if arn.service != "ssm" {
        return None;
    }
    let name = arn.resource.strip_prefix("parameter/")?;
    let name = if name.contains('/') { format!("/{name}") } else { name.to_owned() };
    let local = arn.partition == scope.partition() && arn.region == scope.region && arn.account == scope.account;
    Some((name, local))
}

/// Validates a path for `GetParametersByPath` (`/`, `/a`, `/a/b/`).
pub fn validate_path(path: &str) -> Result<String, AwsError> {
    const INVALID_PATH: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";
    let ok_chars = path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if !path.starts_with('/') || !ok_chars || path.contains("//") {
        return Err(validation(INVALID_PATH));
    }
    let first = path.trim_start_matches('/').to_ascii_lowercase();
    if first.starts_with("ssm") {
        return Err(validation(INVALID_PATH));
    }
    if path.split('/').filter(|s| !s.is_empty()).count() > MAX_HIERARCHY_DEPTH {
        return Err(AwsError::new(
            "HierarchyLevelLimitExceededException",
            MessageKey::Lower,
            "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.",
        ));
    }
    // Normalise to a prefix ending in '/': children of `/a` are the names under `/a/`.
    Ok(if path.ends_with('/') { path.to_owned() } else { format!("{path}/") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("000000000000", "us-east-1")
    }

    #[test]
    fn single_level_alias() {
        let a = ParameterName::parse("/p", &scope()).unwrap();
        let b = ParameterName::parse("p", &scope()).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.given(), "/p");
        assert_eq!(a.arn(&scope()), "arn:aws:ssm:us-east-1:000000000000:parameter/p");
    }

    #[test]
    fn hierarchy_rules() {
        assert!(ParameterName::parse("a/b", &scope()).is_err());
        assert!(ParameterName::parse("/a//b", &scope()).is_err());
        assert!(ParameterName::parse("/a b", &scope()).is_err());
        let deep: String = (0..16).map(|i| format!("/l{i}")).collect();
        assert_eq!(ParameterName::parse(&deep, &scope()).unwrap_err().code, "HierarchyLevelLimitExceededException");
        let ok: String = (0..15).map(|i| format!("/l{i}")).collect();
        assert!(ParameterName::parse(&ok, &scope()).is_ok());
    }

    #[test]
    fn reserved_prefixes_on_write() {
        let e = ParameterName::parse_for_write("AWSfoo", &scope()).unwrap_err();
        assert_eq!(e.message.as_deref(), Some(RESERVED_PREFIX));
        assert_eq!(ParameterName::parse_for_write("/aws/x", &scope()).unwrap_err().code, "AccessDeniedException");
        assert_eq!(ParameterName::parse_for_write("/SSM/x", &scope()).unwrap_err().code, "ValidationException");
        assert!(ParameterName::parse_for_write("/app/aws", &scope()).is_ok());
    }

    #[test]
    fn length_counts_the_arn_prefix() {
        let prefix = "arn:aws:ssm:us-east-1:000000000000:parameter/".len();
        let ok = "a".repeat(MAX_NAME_WITH_ARN_PREFIX - prefix);
        assert!(ParameterName::parse(&ok, &scope()).is_ok());
        let long = "a".repeat(MAX_NAME_WITH_ARN_PREFIX - prefix + 1);
        assert_eq!(ParameterName::parse(&long, &scope()).unwrap_err().code, "ValidationException");
    }

    #[test]
    fn selectors_and_arns() {
        let (n, s) = ParameterName::parse_with_selector("/a/b:3", &scope()).unwrap().unwrap();
        assert_eq!((n.canonical(), s), ("/a/b", Some(Selector::Version(3))));
        let (n, s) = ParameterName::parse_with_selector("p:prod", &scope()).unwrap().unwrap();
        assert_eq!((n.canonical(), s), ("p", Some(Selector::Label("prod".into()))));
        assert!(ParameterName::parse_with_selector("p:2:3", &scope()).unwrap().is_none());
        let (n, s) = ParameterName::parse_with_selector("arn:aws:ssm:us-east-1:000000000000:parameter/a/b:2", &scope())
            .unwrap()
            .unwrap();
        assert_eq!((n.canonical(), n.given(), s), ("/a/b", "/a/b", Some(Selector::Version(2))));
    }

    #[test]
    fn paths() {
        assert_eq!(validate_path("/a").unwrap(), "/a/");
        assert_eq!(validate_path("/").unwrap(), "/");
        assert!(validate_path("a").is_err());
        assert!(validate_path("/ssm/x").is_err());
    }
}
