//! SSM's errors, with the codes, message members and texts AWS uses.

use coffer_aws::{AwsError, MessageKey};

pub fn parameter_not_found(name: &str) -> AwsError {
    // AWS sends this shape with an empty message; a helpful one is allowed.
    AwsError::new("ParameterNotFound", MessageKey::Lower, format!("Parameter {name} not found."))
}

pub fn version_not_found(name: &str, selector: &str) -> AwsError {
    AwsError::new(
        "ParameterVersionNotFound",
        MessageKey::Lower,
        format!("Systems Manager could not find version {selector} of {name}. Verify the version and try again."),
    )
}

pub fn already_exists() -> AwsError {
    AwsError::new(
        "ParameterAlreadyExists",
        MessageKey::Lower,
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
}

pub fn invalid_resource_id() -> AwsError {
    AwsError::bare("InvalidResourceId")
}

pub fn invalid_resource_type() -> AwsError {
    AwsError::bare("InvalidResourceType")
}

pub fn too_many_tags() -> AwsError {
    AwsError::bare("TooManyTagsError")
}

pub fn invalid_next_token() -> AwsError {
    AwsError::new("InvalidNextToken", MessageKey::Upper, "The specified token isn't valid.")
}

pub fn invalid_filter_key(message: impl Into<String>) -> AwsError {
    // The InvalidFilterKey shape has no message member; AWS's text travels nowhere, so we
    // send it under `message` for humans (botocore reads it; typed SDKs ignore it).
    AwsError::new("InvalidFilterKey", MessageKey::Lower, message)
}

pub fn invalid_filter_option(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidFilterOption", MessageKey::Lower, message)
}

pub fn invalid_filter_value(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidFilterValue", MessageKey::Upper, message)
}
