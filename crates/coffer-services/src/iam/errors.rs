//! IAM's errors, with the codes, HTTP statuses and texts AWS uses.

use coffer_aws::{AwsError, MessageKey};

fn error(code: &'static str, status: u16, message: impl Into<String>) -> AwsError {
    AwsError::new(code, MessageKey::Upper, message).with_status(status)
}

pub fn no_such_user(name: &str) -> AwsError {
    error("NoSuchEntity", 404, format!("The user with name {name} cannot be found."))
}

pub fn no_such_role(name: &str) -> AwsError {
    error("NoSuchEntity", 404, format!("The role with name {name} cannot be found."))
}

pub fn no_such_user_policy(policy_name: &str) -> AwsError {
    error("NoSuchEntity", 404, format!("The user policy with name {policy_name} cannot be found."))
}

pub fn no_such_role_policy(policy_name: &str) -> AwsError {
    error("NoSuchEntity", 404, format!("The role policy with name {policy_name} cannot be found."))
}

pub fn no_such_access_key(access_key_id: &str) -> AwsError {
    error("NoSuchEntity", 404, format!("The Access Key with id {access_key_id} cannot be found."))
}

pub fn user_exists(name: &str) -> AwsError {
    error("EntityAlreadyExists", 409, format!("User with name {name} already exists."))
}

pub fn role_exists(name: &str) -> AwsError {
    error("EntityAlreadyExists", 409, format!("Role with name {name} already exists."))
}

pub fn must_delete_access_keys() -> AwsError {
    error("DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
}

pub fn must_delete_policies() -> AwsError {
    error("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
}

/// `LimitExceeded`: `Cannot exceed quota for <quota>: <n>`.
pub fn quota(quota: &str, limit: usize) -> AwsError {
    error("LimitExceeded", 409, format!("Cannot exceed quota for {quota}: {limit}"))
}

/// The aggregate inline-policy size limit (whitespace not counted).
pub fn policy_size(limit: usize, kind: &str, name: &str) -> AwsError {
    error("LimitExceeded", 409, format!("Maximum policy size of {limit} bytes exceeded for {kind} {name}"))
}

/// A permissions policy that is not JSON.
pub fn policy_syntax() -> AwsError {
    error("MalformedPolicyDocument", 400, "Syntax errors in policy.")
}

/// A trust policy (AssumeRolePolicyDocument) that is not JSON.
pub fn trust_policy_json() -> AwsError {
    error("MalformedPolicyDocument", 400, "This policy contains invalid Json")
}

pub fn invalid_input(message: impl Into<String>) -> AwsError {
    error("InvalidInput", 400, message)
}

pub fn duplicate_tag_keys() -> AwsError {
    invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
}

/// GetUser / CreateAccessKey / … without a user name, called by a role session.
pub fn non_user_credentials() -> AwsError {
    crate::query::validation("Must specify userName when calling with non-User credentials")
}

pub fn invalid_marker() -> AwsError {
    crate::query::validation("Invalid Marker.")
}

/// IAM's internal error (`ServiceFailure`, 500), without detail for the client.
pub fn service_failure() -> AwsError {
    error("ServiceFailure", 500, "An internal error occurred.")
}
