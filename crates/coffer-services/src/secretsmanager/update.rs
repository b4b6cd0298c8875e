//! UpdateSecret and UpdateSecretVersionStage.

use super::errors::{invalid_parameter, limit_exceeded, marked_for_deletion};
use super::labels::Labels;
use super::model::{SecretRef, SecretVersionRef, UpdateSecretInput, UpdateSecretVersionStageInput};
use super::validate::{self, MAX_STAGES_PER_VERSION, required};
use super::{AWSCURRENT, SecretsManager};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use coffer_aws::Timestamp;

impl SecretsManager {
    /// UpdateSecret: new metadata and/or a new value. A new value becomes a new version with
    /// AWSCURRENT (AWSPREVIOUS moving to the version that had it); `VersionId` is returned
    /// only when the request carried a value.
    pub async fn update_secret(&self, ctx: &RequestContext, input: UpdateSecretInput) -> OpResult<SecretVersionRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let value = validate::value(input.secret_string.as_ref(), input.secret_binary.as_ref())?;
        let now = Timestamp::now();
        let (mut tx, record) = self.locked(ctx, SecretsManagerOperation::UpdateSecret.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let mut changed = false;
        if input.description.is_some() || input.kms_key_id.is_some() || input.secret_type.is_some() {
            let description = input.description.as_deref().or(record.description.as_deref());
            let kms_key_id = input.kms_key_id.as_deref().or(record.kms_key_id.as_deref());
            let secret_type = input.secret_type.as_deref().or(record.secret_type.as_deref());
            tx.sm_set_metadata(record.id, description, kms_key_id, secret_type).await?;
            changed = true;
        }
        let mut version_id = None;
        if let Some(value) = &value {
            let token = validate::token_or_uuid(input.client_request_token.as_deref());
            if let Some(existing) = tx.sm_version(record.id, &token).await? {
                // A retry of the same update: nothing new.
                self.check_same_value(ctx, &record, &existing, value, &token)?;
            } else {
                tx.sm_insert_version(&ctx.scope, &record, &token, value.kind, &value.bytes, now).await?;
                let mut labels = Labels::load(&mut tx, record.id).await?;
                labels.attach(&mut tx, AWSCURRENT, &token).await?;
                labels.prune(&mut tx).await?;
                super::rotate::reschedule_after_manual_change(&mut tx, &record, now).await?;
                changed = true;
            }
            version_id = Some(token);
        }
        if changed {
            tx.sm_set_changed(record.id, now).await?;
        }
        self.commit(tx, ctx, &record).await?;
        Ok(SecretVersionRef { arn: record.arn(&ctx.scope), name: record.name, version_id })
    }

    /// UpdateSecretVersionStage. A label attached elsewhere can only be moved by naming the
    /// version it is on in `RemoveFromVersionId`; AWSCURRENT can be moved, never just removed.
    pub async fn update_secret_version_stage(
        &self,
        ctx: &RequestContext,
        input: UpdateSecretVersionStageInput,
    ) -> OpResult<SecretRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let stage = required(&input.version_stage, "versionStage")?;
        let remove_from = input.remove_from_version_id.as_deref();
        let move_to = input.move_to_version_id.as_deref();
        let (mut tx, record) =
            self.locked(ctx, SecretsManagerOperation::UpdateSecretVersionStage.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let mut labels = Labels::load(&mut tx, record.id).await?;
        let holder = labels.holder(stage).map(str::to_owned);
        if let Some(remove) = remove_from {
            if tx.sm_version(record.id, remove).await?.is_none() {
                return Err(invalid_parameter(format!("Not a valid version: {remove}")).into());
            }
            if holder.as_deref() != Some(remove) {
                return Err(invalid_parameter(format!("Version stage {stage} not found in version {remove}")).into());
            }
        }
        match (move_to, remove_from) {
            (Some(to), _) => {
                if tx.sm_version(record.id, to).await?.is_none() {
                    return Err(invalid_parameter(format!("Not a valid version: {to}")).into());
                }
                if let Some(h) = holder.as_deref()
                    && h != to
                    && remove_from != Some(h)
                {
                    return Err(invalid_parameter(format!(
                        "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {h}, so you must explicitly reference that version in RemoveFromVersionId."
                    )).into());
                }
                if holder.as_deref() != Some(to) && labels.of(to).len() >= MAX_STAGES_PER_VERSION {
                    return Err(limit_exceeded(format!(
                        "Version {to} already has {MAX_STAGES_PER_VERSION} staging labels, the most a version can have."
                    ))
                    .into());
                }
                labels.attach(&mut tx, stage, to).await?;
            }
            (None, Some(remove)) => {
                if stage == AWSCURRENT {
                    // FIXME(compat): AWS's text for this case is not documented.
                    return Err(invalid_parameter(format!(
                        "You can't remove the staging label AWSCURRENT from version {remove} without moving it to another version: specify MoveToVersionId."
                    )).into());
                }
                labels.detach(&mut tx, stage).await?;
            }
            (None, None) => {
                return Err(invalid_parameter("You must specify MoveToVersionId, RemoveFromVersionId, or both.").into());
            }
        }
        labels.prune(&mut tx).await?;
        tx.sm_set_changed(record.id, Timestamp::now()).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(SecretRef { arn: record.arn(&ctx.scope), name: record.name })
    }
}
