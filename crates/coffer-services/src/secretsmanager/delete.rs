//! DeleteSecret and RestoreSecret.

use super::create::random_suffix;
use super::errors::{already_scheduled_for_deletion, invalid_parameter, secret_not_found};
use super::model::{DeleteSecretInput, DeleteSecretOutput, SecretIdInput, SecretRef};
use super::replication::is_primary;
use super::validate::required;
use super::{Lookup, SecretsManager, named_as_called};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use crate::{RequestContext, RequestFacts};
use coffer_aws::Timestamp;
use coffer_aws::sm_name::{SecretId, ends_like_suffix};
use coffer_store::secrets::SERVICE;

pub const DEFAULT_RECOVERY_DAYS: i64 = 30;

impl SecretsManager {
    /// DeleteSecret: schedules deletion after a recovery window (7..=30 days, default 30), or
    /// with `ForceDeleteWithoutRecovery` deletes at once, all versions included. A forced
    /// delete of a secret that does not exist succeeds (AWS documents this).
    pub async fn delete_secret(&self, ctx: &RequestContext, input: DeleteSecretInput) -> OpResult<DeleteSecretOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let force = input.force_delete_without_recovery.unwrap_or(false);
        if let Some(days) = input.recovery_window_in_days {
            if !(7..=30).contains(&days) {
                return Err(invalid_parameter(
                    "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
                )
                .into());
            }
            if force {
                return Err(invalid_parameter(
                    "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
                )
                .into());
            }
        }
        let now = Timestamp::now();
        let found = match self.lookup(ctx, secret_id).await? {
            Lookup::Found(record, tags) => {
                self.authorize_on(
                    ctx,
                    SecretsManagerOperation::DeleteSecret.action(),
                    &record,
                    tags.as_deref(),
                    RequestFacts::default(),
                )
                .await
                .map_err(named_as_called(secret_id))?;
                *record
            }
            Lookup::Missing { arn } => {
                ctx.authorize(SecretsManagerOperation::DeleteSecret.action(), &arn)
                    .map_err(|denial| denial.naming(secret_id))?;
                return if force {
                    Ok(self.nothing_to_delete(ctx, secret_id, now))
                } else {
                    Err(secret_not_found().into())
                };
            }
        };
        let mut tx = self.store.begin().await?;
        let record = match self.lock(&mut tx, ctx, &found).await {
            Ok(record) => record,
            Err(_) if force => return Ok(self.nothing_to_delete(ctx, secret_id, now)),
            Err(e) => return Err(e),
        };
        if is_primary(&record, &ctx.scope) {
            let regions: Vec<String> = tx.sm_replicas(record.id).await?.into_iter().map(|r| r.region).collect();
            return Err(invalid_parameter(format!(
                "You can't delete secret {} that still has replica regions [{}].",
                record.arn(&ctx.scope),
                regions.join(", ")
            ))
            .into());
        }
        let output = |deletion_date| DeleteSecretOutput {
            arn: record.arn(&ctx.scope),
            name: record.name.clone(),
            deletion_date,
        };
        if force {
            tx.sm_delete(record.id).await?;
            tx.commit().await?;
            return Ok(output(now));
        }
        if record.is_deleted() {
            return Err(already_scheduled_for_deletion().into());
        }
        let purge_after = now.plus_days(input.recovery_window_in_days.unwrap_or(DEFAULT_RECOVERY_DAYS));
        tx.sm_set_deletion(record.id, Some((now, purge_after))).await?;
        tx.sm_set_changed(record.id, now).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(output(purge_after))
    }

    /// The answer to a forced delete of a secret that does not exist: the ARN it would have.
    fn nothing_to_delete(&self, ctx: &RequestContext, secret_id: &str, now: Timestamp) -> DeleteSecretOutput {
        let (arn, name) = match SecretId::parse(secret_id) {
            Ok(SecretId::Arn { resource, .. }) => {
                let name =
                    if ends_like_suffix(&resource) { &resource[..resource.len() - 7] } else { resource.as_str() };
                (secret_id.to_owned(), name.to_owned())
            }
            _ => (ctx.scope.arn(SERVICE, &format!("secret:{secret_id}-{}", random_suffix())), secret_id.to_owned()),
        };
        DeleteSecretOutput { arn, name, deletion_date: now }
    }

    /// RestoreSecret: cancels a scheduled deletion (a no-op on a secret not scheduled).
    pub async fn restore_secret(&self, ctx: &RequestContext, input: SecretIdInput) -> OpResult<SecretRef> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let (mut tx, record) = self.locked(ctx, SecretsManagerOperation::RestoreSecret.action(), secret_id).await?;
        if record.is_deleted() {
            tx.sm_set_deletion(record.id, None).await?;
            tx.sm_set_changed(record.id, Timestamp::now()).await?;
        }
        self.commit(tx, ctx, &record).await?;
        Ok(SecretRef { arn: record.arn(&ctx.scope), name: record.name })
    }
}
