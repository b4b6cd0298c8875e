//! RotateSecret and CancelRotateSecret.
//!
//! Coffer runs no rotation functions (there is no Lambda, and it never pretends to call
//! one), so a rotation is the version mechanics alone:
//!
//! 1. `RotationRules` (`AutomaticallyAfterDays` 1..=1000, `ScheduleExpression`, `Duration`)
//!    and `RotationLambdaARN`, when given, are stored and shown by DescribeSecret.
//!    `RotationEnabled` becomes true when the secret has a schedule (`AutomaticallyAfterDays`
//!    or `ScheduleExpression`); `NextRotationDate` is the last rotation plus
//!    `AutomaticallyAfterDays`. Coffer does not rotate on that schedule by itself.
//! 2. With `RotateImmediately` false, that is all: no version is created.
//! 3. Otherwise the secret is rotated at once, as moto does without a Lambda:
//!    - if `AWSPENDING` is on a version other than the AWSCURRENT one (a rotation left
//!      unfinished, or a value staged with `PutSecretValue … VersionStages=[AWSPENDING]`),
//!      that version is the new one — as AWS retries an unfinished rotation;
//!    - else a new version is created (VersionId = `ClientRequestToken`, or a UUID) holding a
//!      copy of the AWSCURRENT value, labelled AWSPENDING;
//!    - then it is promoted: AWSCURRENT moves to it, AWSPREVIOUS to the version that had
//!      AWSCURRENT, and AWSPENDING is removed. `LastRotatedDate` is now, and the response
//!      carries the new VersionId.
//!
//!    A `ClientRequestToken` naming the version that is already AWSCURRENT is a retry and
//!    changes nothing; naming any other existing version is ResourceExistsException.
//!    A secret without a value gets the configuration only (no VersionId in the response).
//!
//! CancelRotateSecret turns `RotationEnabled` off (keeping the rules and ARN) and returns the
//! VersionId of an unfinished rotation's AWSPENDING version, if any; labels are left as they
//! are, as AWS documents.

use super::errors::{invalid_parameter, marked_for_deletion, token_in_use};
use super::labels::Labels;
use super::model::{RotateSecretInput, RotationRules, SecretIdInput, SecretVersionRef};
use super::validate::{self, required};
use super::{AWSCURRENT, AWSPENDING, SecretsManager};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use coffer_aws::Timestamp;
use coffer_store::secrets::RotationState;

fn check_rules(rules: &RotationRules) -> OpResult<()> {
    if let Some(days) = rules.automatically_after_days
        && !(1..=1000).contains(&days)
    {
        return Err(invalid_parameter("RotationRules.AutomaticallyAfterDays must be within 1-1000.").into());
    }
    if let Some(duration) = &rules.duration {
        let hours = duration.strip_suffix('h').and_then(|h| h.parse::<u32>().ok());
        if !hours.is_some_and(|h| (1..=24).contains(&h)) {
            return Err(
                invalid_parameter("RotationRules.Duration must be between 1h and 24h, written like \"3h\".").into()
            );
        }
    }
    Ok(())
}

impl SecretsManager {
    pub async fn rotate_secret(&self, ctx: &RequestContext, input: RotateSecretInput) -> OpResult<SecretVersionRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        if let Some(rules) = &input.rotation_rules {
            check_rules(rules)?;
        }
        let now = Timestamp::now();
        let (mut tx, record) = self.locked(ctx, SecretsManagerOperation::RotateSecret.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let rules = match &input.rotation_rules {
            Some(rules) => Some(rules.clone()),
            None => record.rotation_rules.as_deref().and_then(|r| serde_json::from_str::<RotationRules>(r).ok()),
        };
        let scheduled =
            rules.as_ref().is_some_and(|r| r.automatically_after_days.is_some() || r.schedule_expression.is_some());
        let mut labels = Labels::load(&mut tx, record.id).await?;
        let mut version_id = None;
        let mut last_rotated = record.last_rotated;
        let current = labels.holder(AWSCURRENT).map(str::to_owned);
        if input.rotate_immediately.unwrap_or(true)
            && let Some(current) = current
        {
            let pending = labels.holder(AWSPENDING).filter(|p| *p != current).map(str::to_owned);
            let new_version = match (pending, input.client_request_token.as_deref()) {
                (Some(pending), _) => pending,
                (None, Some(token)) if token == current => token.to_owned(),
                (None, token) => {
                    let token = validate::token_or_uuid(token);
                    if tx.sm_version(record.id, &token).await?.is_some() {
                        return Err(token_in_use(&token, &record.arn(&ctx.scope)).into());
                    }
                    let source = tx.sm_version(record.id, &current).await?.ok_or_else(|| {
                        tracing::error!(secret = record.id, "AWSCURRENT names a missing version");
                        crate::error::internal(crate::Service::SecretsManager)
                    })?;
                    let value = self.store.sm_open(&ctx.scope, &record, &source)?;
                    tx.sm_insert_version(&ctx.scope, &record, &token, source.kind, &value, now).await?;
                    labels.attach(&mut tx, AWSPENDING, &token).await?;
                    token
                }
            };
            if new_version != current {
                labels.attach(&mut tx, AWSCURRENT, &new_version).await?;
                labels.detach(&mut tx, AWSPENDING).await?;
                labels.prune(&mut tx).await?;
                last_rotated = Some(now);
            }
            version_id = Some(new_version);
        }
        let days = rules.as_ref().and_then(|r| r.automatically_after_days);
        let rotation = RotationState {
            enabled: scheduled,
            lambda_arn: input.rotation_lambda_arn.clone().or(record.rotation_lambda_arn.clone()),
            rules: rules.as_ref().map(|r| serde_json::to_string(r).unwrap_or_default()),
            last_rotated,
            next_rotation: days.filter(|_| scheduled).map(|d| last_rotated.unwrap_or(now).plus_days(d)),
        };
        tx.sm_set_rotation(record.id, &rotation).await?;
        tx.sm_set_changed(record.id, now).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(SecretVersionRef { arn: record.arn(&ctx.scope), name: record.name, version_id })
    }

    pub async fn cancel_rotate_secret(&self, ctx: &RequestContext, input: SecretIdInput) -> OpResult<SecretVersionRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let (mut tx, record) =
            self.locked(ctx, SecretsManagerOperation::CancelRotateSecret.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let labels = Labels::load(&mut tx, record.id).await?;
        let pending = labels.holder(AWSPENDING).filter(|p| Some(*p) != labels.holder(AWSCURRENT)).map(str::to_owned);
        let rotation = RotationState {
            enabled: false,
            lambda_arn: record.rotation_lambda_arn.clone(),
            rules: record.rotation_rules.clone(),
            last_rotated: record.last_rotated,
            next_rotation: None,
        };
        tx.sm_set_rotation(record.id, &rotation).await?;
        tx.sm_set_changed(record.id, Timestamp::now()).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(SecretVersionRef { arn: record.arn(&ctx.scope), name: record.name, version_id: pending })
    }
}
