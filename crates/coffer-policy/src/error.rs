//! Why a policy document was refused. `Display` is the message AWS IAM sends with
//! `MalformedPolicyDocument` for the same fault; where IAM's message is a bare "Syntax errors
//! in policy." the specific cause is kept in [`PolicyError::detail`] for logs.

/// A policy document that cannot be used. The wire error code is
/// [`PolicyError::IAM_CODE`] (IAM) or `MalformedPolicyDocumentException` (Secrets Manager).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON, a wrong JSON type, an unknown element, an unknown condition operator, an
    /// unknown `Effect` or `Version`, an empty `Statement`, `Action` with `NotAction`, …
    #[error("Syntax errors in policy.")]
    Syntax { detail: String },
    /// What IAM answers for an `Effect` in the wrong case or an unreadable date.
    #[error("The policy failed legacy parsing")]
    LegacyParsing { detail: String },
    /// From [`super::Policy::require_current_version`]: IAM managed policies must use 2012-10-17.
    #[error("Policy document must be version 2012-10-17 or greater.")]
    VersionTooOld,
    #[error("Policy statement must contain actions.")]
    MissingActions,
    #[error("Policy statement must contain resources.")]
    MissingResources,
    #[error("Missing required field Principal")]
    MissingPrincipal,
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// An element this kind of policy may not have (`Resource` in a trust policy).
    #[error("Has prohibited field {0}")]
    ProhibitedField(&'static str),
    #[error("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    MissingVendor,
    #[error("Actions/Condition can contain only one colon.")]
    TooManyColons,
    #[error("Vendor {0} is not valid")]
    InvalidVendor(String),
    #[error("Resource {0} must be in ARN format or \"*\".")]
    ResourceNotArn(String),
    #[error("Invalid principal in policy: \"{kind}\":\"{value}\"")]
    InvalidPrincipal { kind: String, value: String },
    #[error("Statement IDs (SID) in a single policy must be unique.")]
    DuplicateSid,
    #[error(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )]
    InvalidSid,
}

impl PolicyError {
    /// IAM's error code for all of these.
    pub const IAM_CODE: &'static str = "MalformedPolicyDocument";

    /// The specific cause behind a generic message, for logs (never needed on the wire).
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Syntax { detail } | Self::LegacyParsing { detail } => Some(detail),
            _ => None,
        }
    }

    pub(crate) fn syntax(detail: impl Into<String>) -> Self {
        Self::Syntax { detail: detail.into() }
    }

    pub(crate) fn legacy(detail: impl Into<String>) -> Self {
        Self::LegacyParsing { detail: detail.into() }
    }
}
