//! Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and
//! ValidateResourcePolicy. A policy is checked (JSON, IAM policy structure) and stored
//! verbatim; evaluating it is the authorization layer's business.

use super::SecretsManager;
use super::errors::{malformed_policy, marked_for_deletion, missing};
use super::model::{
    GetResourcePolicyOutput, PutResourcePolicyInput, SecretIdInput, SecretRef, ValidateResourcePolicyInput,
    ValidateResourcePolicyOutput, ValidationErrorsEntry,
};
use super::validate::required;
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use coffer_aws::Timestamp;
use serde_json::Value;

/// Parses a policy document (its length already checked): it must be a JSON object.
fn parse(text: Option<&str>) -> OpResult<Value> {
    let text = text.ok_or_else(|| missing("resourcePolicy"))?;
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => {
            Err(malformed_policy("This resource policy contains a syntax error: a policy must be a JSON object.")
                .into())
        }
        Err(e) => Err(malformed_policy(format!("This resource policy contains a syntax error: {e}.")).into()),
    }
}

fn is_string_or_strings(v: &Value) -> bool {
    match v {
        Value::String(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
        _ => false,
    }
}

/// What is wrong with a policy's structure (empty when nothing).
fn structure_errors(policy: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(version) = policy.get("Version")
        && !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17"))
    {
        errors.push("The policy Version must be \"2012-10-17\" or \"2008-10-17\".".to_owned());
    }
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => {
            errors.push("The policy must contain a Statement: an object or a non-empty list of objects.".to_owned());
            return errors;
        }
    };
    for (i, s) in statements.iter().enumerate() {
        let n = i + 1;
        if !s.is_object() {
            errors.push(format!("Statement {n} must be a JSON object."));
            continue;
        }
        if !matches!(s.get("Effect").and_then(Value::as_str), Some("Allow" | "Deny")) {
            errors.push(format!("Statement {n} must have an Effect of \"Allow\" or \"Deny\"."));
        }
        match (s.get("Action"), s.get("NotAction")) {
            (Some(a), None) | (None, Some(a)) if is_string_or_strings(a) => {}
            _ => errors.push(format!(
                "Statement {n} must have exactly one of Action or NotAction, a string or a list of strings."
            )),
        }
        if s.get("Principal").is_none() && s.get("NotPrincipal").is_none() {
            errors.push(format!("Statement {n} of a resource policy must have a Principal or NotPrincipal."));
        }
    }
    errors
}

impl SecretsManager {
    pub async fn put_resource_policy(
        &self,
        ctx: &RequestContext,
        input: PutResourcePolicyInput,
    ) -> OpResult<SecretRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let policy = parse(input.resource_policy.as_deref())?;
        if let Some(first) = structure_errors(&policy).into_iter().next() {
            return Err(malformed_policy(first).into());
        }
        // FIXME(compat): BlockPublicPolicy is accepted and ignored until policies are evaluated.
        let (mut tx, record) = self.locked(ctx, SecretsManagerOperation::PutResourcePolicy.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        tx.sm_set_policy(record.id, input.resource_policy.as_deref()).await?;
        tx.sm_set_changed(record.id, Timestamp::now()).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(SecretRef { arn: record.arn(&ctx.scope), name: record.name })
    }

    pub async fn get_resource_policy(
        &self,
        ctx: &RequestContext,
        input: SecretIdInput,
    ) -> OpResult<GetResourcePolicyOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let record = self.authorized(ctx, SecretsManagerOperation::GetResourcePolicy.action(), secret_id).await?;
        Ok(GetResourcePolicyOutput {
            arn: record.arn(&ctx.scope),
            name: record.name,
            resource_policy: record.resource_policy,
        })
    }

    pub async fn delete_resource_policy(&self, ctx: &RequestContext, input: SecretIdInput) -> OpResult<SecretRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let (mut tx, record) =
            self.locked(ctx, SecretsManagerOperation::DeleteResourcePolicy.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        if record.resource_policy.is_some() {
            tx.sm_set_policy(record.id, None).await?;
            tx.sm_set_changed(record.id, Timestamp::now()).await?;
        }
        self.commit(tx, ctx, &record).await?;
        Ok(SecretRef { arn: record.arn(&ctx.scope), name: record.name })
    }

    /// ValidateResourcePolicy: a document that is not a JSON object fails the call
    /// (MalformedPolicyDocumentException); structural problems come back as
    /// `ValidationErrors` with `PolicyValidationPassed: false`.
    pub async fn validate_resource_policy(
        &self,
        ctx: &RequestContext,
        input: ValidateResourcePolicyInput,
    ) -> OpResult<ValidateResourcePolicyOutput> {
        input.check()?;
        let policy = parse(input.resource_policy.as_deref())?;
        match input.secret_id.as_deref() {
            Some(secret_id) => {
                self.authorized(ctx, SecretsManagerOperation::ValidateResourcePolicy.action(), secret_id).await?;
            }
            None => ctx.authorize(SecretsManagerOperation::ValidateResourcePolicy.action(), "*")?,
        }
        let validation_errors: Vec<ValidationErrorsEntry> = structure_errors(&policy)
            .into_iter()
            .map(|error_message| ValidationErrorsEntry { check_name: "POLICY_STRUCTURE".to_owned(), error_message })
            .collect();
        Ok(ValidateResourcePolicyOutput { policy_validation_passed: validation_errors.is_empty(), validation_errors })
    }
}
