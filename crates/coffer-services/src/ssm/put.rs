//! PutParameter.

use super::errors::already_exists;
use super::model::{PutParameterInput, PutParameterOutput};
use super::{DEFAULT_KEY_ID, MAX_TAGS, MAX_VERSIONS, Ssm};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::json::validation;
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts, RequestTags, ResourceFacts};
use coffer_aws::ParameterType;
use coffer_aws::secret::ExposeSecret;
use coffer_aws::ssm_name::ParameterName;
use coffer_aws::{AwsError, MessageKey, SecretBytes, Timestamp};
use coffer_store::ssm::ParameterMeta;

const DATA_TYPES: [&str; 3] = ["text", "aws:ec2:image", "aws:ssm:integration"];
const STANDARD_MAX_CHARS: usize = 4096;
const ADVANCED_MAX_BYTES: usize = 8192;

fn too_large_for_standard() -> AwsError {
    validation(
        "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
    )
}

/// Checks the request alone, before anything is read.
fn validate_request(input: &PutParameterInput) -> OpResult<()> {
    if let Some(dt) = &input.data_type
        && !DATA_TYPES.contains(&dt.as_str())
    {
        return Err(validation(format!(
            "The following data type is not supported: {dt} (Data type names are all lowercase.)"
        ))
        .into());
    }
    if let Some(p) = &input.allowed_pattern
        && regex::Regex::new(p).is_err()
    {
        return Err(AwsError::new(
            "InvalidAllowedPatternException",
            MessageKey::Lower,
            format!("The request includes an invalid regular expression: {p}"),
        )
        .into());
    }
    if let Some(policies) = &input.policies
        && !matches!(serde_json::from_str::<serde_json::Value>(policies), Ok(serde_json::Value::Array(_)))
    {
        return Err(AwsError::new(
            "InvalidPolicyTypeException",
            MessageKey::Lower,
            "The policy is not valid JSON. Parameter policies must be a JSON array of policy objects.",
        )
        .into());
    }
    if let Some(tags) = &input.tags {
        if input.overwrite && !tags.is_empty() {
            return Err(validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            ).into());
        }
        if tags.len() > MAX_TAGS {
            return Err(super::errors::too_many_tags().into());
        }
    }
    Ok(())
}

/// The metadata of the new version: the request's fields over the previous version's.
fn merge_meta(input: &PutParameterInput, previous: Option<&ParameterMeta>) -> OpResult<ParameterMeta> {
    let param_type = match (input.param_type.as_deref().and_then(ParameterType::parse), previous) {
        (Some(t), _) => t,
        (None, Some(prev)) => prev.param_type,
        (None, None) => return Err(validation("A parameter type is required when you create a parameter.").into()),
    };
    if let Some(prev) = previous {
        // SSM keeps a SecureString secure: it will not turn one into plain text or back.
        let secure = |t: ParameterType| t == ParameterType::SecureString;
        if secure(prev.param_type) != secure(param_type) {
            return Err(AwsError::new(
                "HierarchyTypeMismatchException",
                MessageKey::Lower,
                format!(
                    "Parameter Store doesn't support changing a parameter type from {} to {param_type}. You must create a new, unique parameter.",
                    prev.param_type
                ),
            ).into());
        }
    }
    let key_id = if param_type == ParameterType::SecureString {
        input
            .key_id
            .clone()
            .or_else(|| previous.and_then(|p| p.key_id.clone()))
            .or_else(|| Some(DEFAULT_KEY_ID.to_owned()))
    } else {
        if input.key_id.is_some() {
            return Err(validation("KeyId is required for SecureString type parameter only.").into());
        }
        None
    };
    let data_type =
        input.data_type.clone().or_else(|| previous.map(|p| p.data_type.clone())).unwrap_or_else(|| "text".to_owned());
    // AWS keeps an AMI parameter an AMI parameter: an overwrite cannot move it to or from
    // aws:ec2:image (user guide, "Parameter data types").
    if let Some(previous) = previous
        && previous.data_type != data_type
        && (previous.data_type == "aws:ec2:image" || data_type == "aws:ec2:image")
    {
        return Err(validation(format!(
            "The data type of an existing parameter can't be changed from {} to {data_type}. Delete the parameter and create it again with the new data type.",
            previous.data_type
        ))
        .into());
    }
    if data_type == "aws:ec2:image" && param_type != ParameterType::String {
        return Err(validation("Parameters with the aws:ec2:image data type must be of type String.").into());
    }
    Ok(ParameterMeta {
        param_type,
        tier: previous.map(|p| p.tier.clone()).unwrap_or_else(|| "Standard".to_owned()),
        data_type,
        key_id,
        description: input.description.clone().or_else(|| previous.and_then(|p| p.description.clone())),
        allowed_pattern: input.allowed_pattern.clone().or_else(|| previous.and_then(|p| p.allowed_pattern.clone())),
        policies: input.policies.clone().or_else(|| previous.and_then(|p| p.policies.clone())),
    })
}

/// Picks the tier for this value and checks the value fits it.
fn settle_tier(
    requested: Option<&str>,
    previous_tier: Option<&str>,
    meta: &mut ParameterMeta,
    value: &str,
) -> OpResult<()> {
    let fits_standard = value.chars().count() <= STANDARD_MAX_CHARS;
    let tier = match requested {
        Some("Intelligent-Tiering") => {
            if fits_standard && meta.policies.is_none() && previous_tier != Some("Advanced") {
                "Standard"
            } else {
                "Advanced"
            }
        }
        Some(t) => t,
        None => previous_tier.unwrap_or("Standard"),
    };
    if previous_tier == Some("Advanced") && tier == "Standard" {
        return Err(validation(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
        ).into());
    }
    if tier == "Standard" {
        if !fits_standard {
            return Err(too_large_for_standard().into());
        }
        if meta.policies.is_some() {
            return Err(AwsError::new(
                "InvalidPolicyTypeException",
                MessageKey::Lower,
                "Parameter policies are supported only for the advanced-parameter tier.",
            )
            .into());
        }
    } else if value.len() > ADVANCED_MAX_BYTES {
        return Err(validation("Advanced tier parameters support a maximum parameter value of 8 KB.").into());
    }
    tier.clone_into(&mut meta.tier);
    Ok(())
}

fn check_value(meta: &ParameterMeta, value: &str) -> OpResult<()> {
    if let Some(pattern) = &meta.allowed_pattern {
        // Java's Pattern.matches semantics: the whole value must match.
        let anchored =
            regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|_| validation("Invalid AllowedPattern"))?;
        if !anchored.is_match(value) {
            return Err(AwsError::new(
                "ParameterPatternMismatchException",
                MessageKey::Lower,
                format!("Parameter value, cannot be validated against allowedPattern: {pattern}"),
            )
            .into());
        }
    }
    if meta.data_type == "aws:ec2:image" {
        static AMI: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$").expect("static regex"));
        if !AMI.is_match(value) {
            return Err(validation(
                "Parameter value is not a valid AMI ID for data type aws:ec2:image. Use the format ami-12345678 or ami-1234567890abcdef0.",
            ).into());
        }
    }
    Ok(())
}

impl Ssm {
    pub async fn put_parameter(&self, ctx: &RequestContext, input: PutParameterInput) -> OpResult<PutParameterOutput> {
        input.check()?;
        let name = ParameterName::parse_for_write(&input.name, &ctx.scope)?;
        let arn = name.arn(&ctx.scope);
        let value = input.value.as_ref().ok_or_else(|| {
            validation("1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null")
        })?;
        let value = value.expose_secret();
        if value.is_empty() {
            return Err(validation(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.",
            ).into());
        }
        validate_request(&input)?;

        let mut tx = self.store.begin().await?;
        // What policies may test: `ssm:Overwrite`, `ssm:Policies`, and the tags (which are
        // `aws:RequestTag/…` for both actions, as in AWS).
        let tags: Vec<(String, String)> =
            input.tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect();
        let with_policies = input.policies.as_deref().is_some_and(|p| !p.is_empty());
        let keys = [
            ("ssm:Overwrite", if input.overwrite { "true" } else { "false" }),
            ("ssm:Policies", if with_policies { "true" } else { "false" }),
        ];
        let request = RequestFacts { keys: &keys, tags: RequestTags::set(&tags) };
        let (record, meta) = loop {
            let record =
                self.lock_authorized(ctx, &mut tx, &name, SsmOperation::PutParameter.action(), request).await?;
            // Tagging on create needs its own permission, as in AWS.
            if record.is_none() && !tags.is_empty() {
                ctx.authorize_with(
                    SsmOperation::AddTagsToResource.action(),
                    &arn,
                    &ResourceFacts::of_request(RequestFacts::tags(request.tags)),
                )?;
            }
            let previous = match &record {
                Some(rec) => {
                    if !input.overwrite {
                        return Err(already_exists().into());
                    }
                    tx.ssm_version(rec.id, rec.latest_version).await?
                }
                None => None,
            };
            let mut meta = merge_meta(&input, previous.as_ref().map(|v| &v.meta))?;
            settle_tier(input.tier.as_deref(), previous.as_ref().map(|v| v.meta.tier.as_str()), &mut meta, value)?;
            check_value(&meta, value)?;
            match record {
                Some(rec) => break (rec, meta),
                None => match tx.ssm_create(&ctx.scope, name.canonical(), name.given()).await? {
                    Some(rec) => break (rec, meta),
                    // Another writer created it since the lock attempt (on PostgreSQL; a SQLite
                    // writer holds the lock throughout): an overwrite goes on as if it had
                    // come second, from the lock; anything else finds it exists.
                    None if input.overwrite => continue,
                    None => return Err(already_exists().into()),
                },
            }
        };
        let (oldest, count) = tx.ssm_version_span(record.id).await?;
        if count >= MAX_VERSIONS {
            if !tx.ssm_labels_of(record.id, oldest).await?.is_empty() {
                return Err(AwsError::new(
                    "ParameterMaxVersionLimitExceeded",
                    MessageKey::Lower,
                    format!(
                        "You attempted to create a new version of {} by calling the PutParameter API with the overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                        name.given()
                    ),
                ).into());
            }
            tx.ssm_delete_version(record.id, oldest).await?;
        }
        let version = record.latest_version + 1;
        let secret = SecretBytes::new(value.as_bytes().to_vec());
        tx.ssm_insert_version(&ctx.scope, &record, version, &meta, Timestamp::now(), &ctx.principal_arn, &secret)
            .await?;
        for tag in input.tags.iter().flatten() {
            tx.ssm_put_tag(record.id, &tag.key, &tag.value).await?;
        }
        tx.commit().await?;
        Ok(PutParameterOutput { version, tier: meta.tier })
    }
}
