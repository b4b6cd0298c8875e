//! Secrets Manager's errors, with the codes and texts AWS uses. Every Secrets Manager
//! exception shape names its message member `Message`.

use coffer_aws::{AwsError, MessageKey};

fn sm(code: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, MessageKey::Upper, message)
}

pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    sm("InvalidParameterException", message)
}

pub fn invalid_request(message: impl Into<String>) -> AwsError {
    sm("InvalidRequestException", message)
}

pub fn secret_not_found() -> AwsError {
    sm("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

pub fn stage_not_found(stage: &str) -> AwsError {
    sm(
        "ResourceNotFoundException",
        format!("Secrets Manager can't find the specified secret value for staging label: {stage}"),
    )
}

pub fn version_not_found(version_id: &str) -> AwsError {
    sm(
        "ResourceNotFoundException",
        format!("Secrets Manager can't find the specified secret value for VersionId: {version_id}"),
    )
}

pub fn stage_version_mismatch() -> AwsError {
    invalid_request("You provided a VersionStage that is not associated to the provided VersionId.")
}

pub fn marked_for_deletion() -> AwsError {
    invalid_request("You can't perform this operation on the secret because it was marked for deletion.")
}

pub fn already_scheduled_for_deletion() -> AwsError {
    invalid_request("You can't perform this operation on the secret because it was already scheduled for deletion.")
}

pub fn name_scheduled_for_deletion() -> AwsError {
    invalid_request("You can't create this secret because a secret with this name is already scheduled for deletion.")
}

pub fn secret_exists(name: &str) -> AwsError {
    sm("ResourceExistsException", format!("The operation failed because the secret {name} already exists."))
}

pub fn token_in_use(token: &str, arn: &str) -> AwsError {
    sm(
        "ResourceExistsException",
        format!(
            "You can't use ClientRequestToken {token} because that value is already in use for a version of secret {arn}."
        ),
    )
}

/// A RotationLambdaARN that names no registered rotation function (AWS's answer for a Lambda
/// function it cannot invoke).
pub fn cannot_invoke() -> AwsError {
    sm(
        "AccessDeniedException",
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.",
    )
}

pub fn no_value() -> AwsError {
    invalid_request("You must provide either SecretString or SecretBinary.")
}

pub fn both_values() -> AwsError {
    invalid_parameter("You can't specify both a binary secret value and a string secret value in the same secret.")
}

pub fn invalid_next_token() -> AwsError {
    sm("InvalidNextTokenException", "The NextToken value is invalid.")
}

pub fn malformed_policy(message: impl Into<String>) -> AwsError {
    sm("MalformedPolicyDocumentException", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> AwsError {
    sm("LimitExceededException", message)
}

/// `Value null at '<member>'`: a required member is missing.
pub fn missing(member: &str) -> AwsError {
    crate::json::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}
