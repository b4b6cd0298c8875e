//! GetParameterHistory, LabelParameterVersion, UnlabelParameterVersion.

use super::errors::{invalid_next_token, parameter_not_found, version_not_found};
use super::model::{
    GetParameterHistoryInput, GetParameterHistoryOutput, LabelParameterVersionInput, LabelParameterVersionOutput,
    ParameterHistory, UnlabelParameterVersionInput, UnlabelParameterVersionOutput,
};
use super::{MAX_LABELS_PER_VERSION, Ssm, inline_policies};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts, pagination};
use coffer_aws::ssm_name::ParameterName;
use coffer_aws::{AwsError, MessageKey};

/// Labels may hold letters, digits, `.`, `-`, `_`; must not start with a digit or with
/// `aws`/`ssm` (case-insensitive). Invalid ones are reported, not rejected.
fn label_is_valid(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

impl Ssm {
    pub async fn get_parameter_history(
        &self,
        ctx: &RequestContext,
        input: GetParameterHistoryInput,
    ) -> OpResult<GetParameterHistoryOutput> {
        input.check()?;
        let name = ParameterName::parse_name_or_arn(&input.name, &ctx.scope)?;
        let max = input.max_results.unwrap_or(50);
        let after = match &input.next_token {
            Some(t) => pagination::decode(SsmOperation::GetParameterHistory, t)
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(invalid_next_token)?,
            None => 0,
        };
        let arn = name.arn(&ctx.scope);
        let Some(record) = self.store.ssm_parameter(&ctx.scope, name.canonical()).await? else {
            ctx.authorize(SsmOperation::GetParameterHistory.action(), &arn)?;
            return Err(parameter_not_found(&input.name).into());
        };
        super::authorize_parameter(
            ctx,
            self.store.ssm_tags(record.id),
            SsmOperation::GetParameterHistory.action(),
            &arn,
            RequestFacts::default(),
        )
        .await?;
        let mut versions = self.store.ssm_history(record.id, after, max + 1).await?;
        let more = versions.len() > usize::try_from(max).unwrap_or(usize::MAX);
        versions.truncate(usize::try_from(max).unwrap_or(usize::MAX));
        let labels = self.store.ssm_labels(record.id).await?;
        let mut parameters = Vec::with_capacity(versions.len());
        for v in &versions {
            parameters.push(ParameterHistory {
                name: name.given().to_owned(),
                param_type: v.meta.param_type,
                key_id: v.meta.key_id.clone(),
                last_modified_date: v.modified,
                last_modified_user: v.modified_by.clone(),
                description: v.meta.description.clone(),
                value: self.wire_value(ctx, &record.name, v, input.with_decryption)?,
                allowed_pattern: v.meta.allowed_pattern.clone(),
                version: v.version,
                labels: labels.iter().filter(|(_, n)| *n == v.version).map(|(l, _)| l.clone()).collect(),
                tier: v.meta.tier.clone(),
                policies: inline_policies(&v.meta),
                data_type: v.meta.data_type.clone(),
            });
        }
        let next_token = (more && !versions.is_empty()).then(|| {
            pagination::encode(SsmOperation::GetParameterHistory, &versions[versions.len() - 1].version.to_string())
        });
        Ok(GetParameterHistoryOutput { parameters, next_token })
    }

    pub async fn label_parameter_version(
        &self,
        ctx: &RequestContext,
        input: LabelParameterVersionInput,
    ) -> OpResult<LabelParameterVersionOutput> {
        input.check()?;
        let name = ParameterName::parse_name_or_arn(&input.name, &ctx.scope)?;
        let labels = input.labels.as_deref().unwrap_or_default();
        let mut tx = self.store.begin().await?;
        let record = self
            .lock_authorized(ctx, &mut tx, &name, SsmOperation::LabelParameterVersion.action(), RequestFacts::default())
            .await?
            .ok_or_else(|| parameter_not_found(&input.name))?;
        let version = input.parameter_version.unwrap_or(record.latest_version);
        if tx.ssm_version(record.id, version).await?.is_none() {
            return Err(version_not_found(name.given(), &version.to_string()).into());
        }
        let (valid, invalid): (Vec<&String>, Vec<&String>) = labels.iter().partition(|l| label_is_valid(l));
        let mut on_version = tx.ssm_labels_of(record.id, version).await?;
        for label in &valid {
            if !on_version.contains(label) {
                on_version.push((*label).clone());
            }
        }
        if on_version.len() > MAX_LABELS_PER_VERSION {
            return Err(AwsError::new(
                "ParameterVersionLabelLimitExceeded",
                MessageKey::Lower,
                "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
            ).into());
        }
        for label in &valid {
            tx.ssm_put_label(record.id, label, version).await?;
        }
        tx.commit().await?;
        Ok(LabelParameterVersionOutput {
            invalid_labels: invalid.into_iter().cloned().collect(),
            parameter_version: version,
        })
    }

    pub async fn unlabel_parameter_version(
        &self,
        ctx: &RequestContext,
        input: UnlabelParameterVersionInput,
    ) -> OpResult<UnlabelParameterVersionOutput> {
        input.check()?;
        let name = ParameterName::parse_name_or_arn(&input.name, &ctx.scope)?;
        let version = input.parameter_version.ok_or_else(|| {
            crate::json::validation("1 validation error detected: Value null at 'parameterVersion' failed to satisfy constraint: Member must not be null")
        })?;
        let labels = input.labels.as_deref().unwrap_or_default();
        let mut tx = self.store.begin().await?;
        let record = self
            .lock_authorized(
                ctx,
                &mut tx,
                &name,
                SsmOperation::UnlabelParameterVersion.action(),
                RequestFacts::default(),
            )
            .await?
            .ok_or_else(|| parameter_not_found(&input.name))?;
        if tx.ssm_version(record.id, version).await?.is_none() {
            return Err(version_not_found(name.given(), &version.to_string()).into());
        }
        let mut out = UnlabelParameterVersionOutput { removed_labels: Vec::new(), invalid_labels: Vec::new() };
        for label in labels {
            if tx.ssm_remove_label(record.id, label, version).await? {
                out.removed_labels.push(label.clone());
            } else {
                out.invalid_labels.push(label.clone());
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
