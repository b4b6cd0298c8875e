//! RotateSecret and CancelRotateSecret.
//!
//! A rotation runs a rotation function through AWS's four steps (`createSecret`, `setSecret`,
//! `testSecret`, `finishSecret`). RotateSecret only prepares and records it, as AWS does
//! before it invokes the Lambda function:
//!
//! 1. `RotationRules` and `RotationLambdaARN`, when given, are stored (DescribeSecret shows
//!    them); `RotationEnabled` becomes true, and `NextRotationDate` is the start of the
//!    schedule's next window after the last rotation (none without a schedule).
//! 2. The function must be registered with Coffer (`coffer rotation register`); a secret
//!    without one is `InvalidRequestException`, as AWS answers.
//! 3. The new version id (`ClientRequestToken`, or a UUID) is staged `AWSPENDING` — a version
//!    that has no value yet, as on AWS, so a function's `createSecret` finds nothing there and
//!    puts the new value — and the rotation is recorded on the secret, due now. A server's
//!    rotation runner runs the steps (`coffer-rotation`), records success (`LastRotatedDate`)
//!    or failure, and retries; a rotation under way makes another RotateSecret fail.
//! 4. `RotateImmediately=false` runs only `testSecret`, then removes the `AWSPENDING` stage.
//!
//! CancelRotateSecret turns `RotationEnabled` off (keeping the rules and ARN), drops a
//! rotation that has not finished, and returns its pending VersionId, if any; labels are left
//! as they are, as AWS documents.

use super::errors::{cannot_invoke, invalid_request, marked_for_deletion, token_in_use};
use super::labels::Labels;
use super::model::{RotateSecretInput, RotationRules, SecretIdInput, SecretVersionRef};
use super::validate::{self, required};
use super::{AWSCURRENT, AWSPENDING, SecretsManager};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use coffer_aws::Timestamp;
use coffer_aws::rotation_schedule::RotationSchedule;
use coffer_store::secrets::{RotationState, SecretRecord};

/// The schedule `rules` describe, `None` when they set none.
fn schedule_of(rules: &RotationRules) -> OpResult<Option<RotationSchedule>> {
    Ok(RotationSchedule::parse(
        rules.automatically_after_days,
        rules.schedule_expression.as_deref(),
        rules.duration.as_deref(),
    )
    .map_err(coffer_aws::AwsError::from)?)
}

/// The rules a secret has stored.
pub fn stored_rules(record: &SecretRecord) -> Option<RotationRules> {
    record.rotation_rules.as_deref().and_then(|r| serde_json::from_str::<RotationRules>(r).ok())
}

/// When a secret rotated at `last` next rotates under `rules` (the start of the next window).
pub fn next_rotation(rules: Option<&RotationRules>, last: Timestamp) -> Option<Timestamp> {
    let schedule = schedule_of(rules?).ok()??;
    Some(schedule.next_window(last).start)
}

/// A value made current by hand counts as a rotation for the schedule, as AWS counts it: the
/// next window is counted from `now`.
pub(super) async fn reschedule_after_manual_change(
    tx: &mut coffer_store::WriteTx,
    record: &SecretRecord,
    now: Timestamp,
) -> OpResult<()> {
    if !record.rotation_enabled {
        return Ok(());
    }
    let rotation = RotationState {
        enabled: true,
        lambda_arn: record.rotation_lambda_arn.clone(),
        rules: record.rotation_rules.clone(),
        last_rotated: record.last_rotated,
        next_rotation: next_rotation(stored_rules(record).as_ref(), now),
    };
    Ok(tx.sm_set_rotation(record.id, &rotation).await?)
}

impl SecretsManager {
    pub async fn rotate_secret(&self, ctx: &RequestContext, input: RotateSecretInput) -> OpResult<SecretVersionRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        if let Some(rules) = &input.rotation_rules {
            schedule_of(rules)?;
        }
        let now = Timestamp::now();
        let (mut tx, record) = self.locked(ctx, SecretsManagerOperation::RotateSecret.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let lambda_arn = input.rotation_lambda_arn.clone().or(record.rotation_lambda_arn.clone());
        let Some(lambda_arn) = lambda_arn else {
            return Err(invalid_request("No Lambda rotation function ARN is associated with this secret.").into());
        };
        self.rotation_function(ctx, &lambda_arn).await?;
        if record.rotation_token.is_some() {
            return Err(
                invalid_request("A previous rotation isn't complete. That rotation will be reattempted.").into()
            );
        }
        let rules = input.rotation_rules.clone().or_else(|| stored_rules(&record));
        let scheduled =
            rules.as_ref().is_some_and(|r| r.automatically_after_days.is_some() || r.schedule_expression.is_some());
        let token = validate::token_or_uuid(input.client_request_token.as_deref());
        if tx.sm_version(record.id, &token).await?.is_some() {
            return Err(token_in_use(&token, &record.arn(&ctx.scope)).into());
        }
        let mut labels = Labels::load(&mut tx, record.id).await?;
        labels.attach(&mut tx, AWSPENDING, &token).await?;
        let only_test = !input.rotate_immediately.unwrap_or(true);
        tx.sm_request_rotation(record.id, &token, only_test, now).await?;
        // Rotation is on once a function rotates the secret (AWS's templates refuse to run on
        // a secret whose RotationEnabled is false), whether or not a schedule is set.
        let rotation = RotationState {
            enabled: true,
            lambda_arn: Some(lambda_arn),
            rules: rules.as_ref().map(|r| serde_json::to_string(r).unwrap_or_default()),
            last_rotated: record.last_rotated,
            next_rotation: next_rotation(rules.as_ref().filter(|_| scheduled), record.last_rotated.unwrap_or(now)),
        };
        tx.sm_set_rotation(record.id, &rotation).await?;
        tx.sm_set_changed(record.id, now).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(SecretVersionRef { arn: record.arn(&ctx.scope), name: record.name, version_id: Some(token) })
    }

    /// The registered function `arn` names, in the caller's account.
    async fn rotation_function(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> OpResult<coffer_store::rotation::RotationFunction> {
        let parsed = coffer_aws::Arn::parse(arn).map_err(|_| cannot_invoke())?;
        let name = parsed.resource.strip_prefix("function:").ok_or_else(cannot_invoke)?;
        if parsed.service != "lambda" || parsed.account != ctx.scope.account {
            return Err(cannot_invoke().into());
        }
        let scope = coffer_aws::Scope::new(parsed.account, parsed.region);
        Ok(self.store.rotation_function(&scope, name).await?.ok_or_else(cannot_invoke)?)
    }

    /// Starts the rotation a secret's schedule says is due (the rotation runner calls this):
    /// stages `AWSPENDING` on a new version and records the rotation, as RotateSecret does.
    /// Nothing happens when another server started it first, or it is no longer due.
    pub async fn start_scheduled_rotation(&self, ctx: &RequestContext, name: &str, now: Timestamp) -> OpResult<bool> {
        let mut tx = self.store.begin().await?;
        let Some(record) = tx.sm_lock(&ctx.scope, name).await? else { return Ok(false) };
        let due = record.rotation_enabled && record.next_rotation.is_some_and(|next| next <= now);
        if !due || record.rotation_token.is_some() || record.is_deleted() {
            return Ok(false);
        }
        let token = uuid::Uuid::new_v4().to_string();
        let mut labels = Labels::load(&mut tx, record.id).await?;
        labels.attach(&mut tx, AWSPENDING, &token).await?;
        tx.sm_request_rotation(record.id, &token, false, now).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(true)
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
        tx.sm_cancel_rotation(record.id).await?;
        tx.sm_set_changed(record.id, Timestamp::now()).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(SecretVersionRef { arn: record.arn(&ctx.scope), name: record.name, version_id: pending })
    }
}
