//! Multi-Region replication: CreateSecret's `AddReplicaRegions`, ReplicateSecretToRegions,
//! RemoveRegionsFromReplication, StopReplicationToReplica, and what keeps replicas in step
//! (every write to a primary commits through [`SecretsManager::commit`]) and read-only
//! (writes meet [`SecretsManager::lock`], which refuses a replica).
//!
//! Regions are partitions of one store, so a replica is updated in the transaction that
//! changes its primary — stronger than AWS's asynchronous copy.

use super::SecretsManager;
use super::errors::{invalid_parameter, invalid_request};
use super::model::{
    RemoveRegionsFromReplicationInput, ReplicaRegion, ReplicateSecretToRegionsInput, ReplicationOutput,
    ReplicationStatus, SecretIdInput, StopReplicationOutput,
};
use super::validate::required;
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use coffer_aws::{AwsError, Scope};
use coffer_store::WriteTx;
use coffer_store::replicas::{Replica, ReplicaStatus};
use coffer_store::secrets::SecretRecord;

/// AWS's answer to a write on a replica.
pub(super) fn replica_is_read_only() -> AwsError {
    invalid_parameter("Operation not permitted on a replica secret. Call must be made in primary secret's region.")
}

/// Whether `record` (found in `scope`) is a primary with replicas.
pub(super) fn is_primary(record: &SecretRecord, scope: &Scope) -> bool {
    record.primary_region.as_deref() == Some(scope.region.as_str())
}

/// Whether `record` (found in `scope`) is a replica of a secret in another Region.
pub(super) fn is_replica(record: &SecretRecord, scope: &Scope) -> bool {
    record.primary_region.as_deref().is_some_and(|primary| primary != scope.region)
}

fn in_region(scope: &Scope, region: &str) -> Scope {
    Scope::new(scope.account.clone(), region)
}

impl SecretsManager {
    /// Commits a write to `record`, first bringing its replicas in step.
    pub(super) async fn commit(&self, mut tx: WriteTx, ctx: &RequestContext, record: &SecretRecord) -> OpResult<()> {
        if is_primary(record, &ctx.scope) {
            for replica in tx.sm_replicas(record.id).await? {
                if replica.status == ReplicaStatus::InSync {
                    tx.sm_sync_replica(&ctx.scope, record.id, &in_region(&ctx.scope, &replica.region)).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replicates `primary` to `regions` inside `tx`; the status of every Region it is
    /// replicated to afterwards. A Region where another secret holds the name is `Failed`
    /// (that secret untouched) unless `overwrite`, which replaces it.
    pub(super) async fn add_replicas(
        &self,
        tx: &mut WriteTx,
        ctx: &RequestContext,
        primary: &SecretRecord,
        regions: &[ReplicaRegion],
        overwrite: bool,
    ) -> OpResult<Vec<ReplicationStatus>> {
        if regions.iter().any(|r| r.region.as_deref() == Some(ctx.scope.region.as_str())) {
            return Err(invalid_parameter("Invalid replica region.").into());
        }
        for wanted in regions {
            let region = wanted.region.clone().unwrap_or_default();
            let replica_scope = in_region(&ctx.scope, &region);
            let mut status = Replica {
                region,
                kms_key_id: wanted.kms_key_id.clone(),
                status: ReplicaStatus::InSync,
                status_message: None,
            };
            match tx.sm_lock(&replica_scope, &primary.name).await? {
                Some(ours)
                    if ours.arn_suffix == primary.arn_suffix
                        && ours.primary_region.as_deref() == Some(ctx.scope.region.as_str()) =>
                {
                    tx.sm_sync_replica(&ctx.scope, primary.id, &replica_scope).await?;
                }
                Some(other) if overwrite => {
                    tx.sm_delete(other.id).await?;
                    tx.sm_create_replica(&ctx.scope, primary, &replica_scope, status.kms_key_id.as_deref()).await?;
                }
                Some(_) => {
                    status.status = ReplicaStatus::Failed;
                    status.status_message = Some("Secret with this name already exists in this region".to_owned());
                }
                None => {
                    tx.sm_create_replica(&ctx.scope, primary, &replica_scope, status.kms_key_id.as_deref()).await?;
                }
            }
            tx.sm_put_replica(primary.id, &status).await?;
        }
        tx.sm_set_primary_region(primary.id, Some(&ctx.scope.region)).await?;
        let replicas = tx.sm_replicas(primary.id).await?;
        Ok(replicas.into_iter().map(|r| wire_status(r, None)).collect())
    }

    /// DescribeSecret's `ReplicationStatus` of a primary (with each replica's access date).
    pub(super) async fn replication_status(
        &self,
        ctx: &RequestContext,
        primary: &SecretRecord,
    ) -> OpResult<Vec<ReplicationStatus>> {
        let mut out = Vec::new();
        for replica in self.store.sm_replicas(primary.id).await? {
            let accessed = match replica.status {
                ReplicaStatus::InSync => self
                    .store
                    .sm_secret(&in_region(&ctx.scope, &replica.region), &primary.name)
                    .await?
                    .and_then(|r| r.last_accessed),
                ReplicaStatus::Failed => None,
            };
            out.push(wire_status(replica, accessed));
        }
        Ok(out)
    }

    pub async fn replicate_secret_to_regions(
        &self,
        ctx: &RequestContext,
        input: ReplicateSecretToRegionsInput,
    ) -> OpResult<ReplicationOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let action = SecretsManagerOperation::ReplicateSecretToRegions.action();
        let (mut tx, primary) = self.locked(ctx, action, secret_id).await?;
        let regions = input.add_replica_regions.as_deref().unwrap_or_default();
        let overwrite = input.force_overwrite_replica_secret.unwrap_or(false);
        let replication_status = self.add_replicas(&mut tx, ctx, &primary, regions, overwrite).await?;
        tx.commit().await?;
        Ok(ReplicationOutput { arn: primary.arn(&ctx.scope), replication_status })
    }

    /// Deletes the replicas in the named Regions at once; the status of those that remain.
    pub async fn remove_regions_from_replication(
        &self,
        ctx: &RequestContext,
        input: RemoveRegionsFromReplicationInput,
    ) -> OpResult<ReplicationOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let action = SecretsManagerOperation::RemoveRegionsFromReplication.action();
        let (mut tx, primary) = self.locked(ctx, action, secret_id).await?;
        let replicated = tx.sm_replicas(primary.id).await?;
        for region in input.remove_replica_regions.as_deref().unwrap_or_default() {
            let Some(replica) = replicated.iter().find(|r| &r.region == region) else {
                return Err(invalid_parameter(format!("Invalid replica region: {region}.")).into());
            };
            if replica.status == ReplicaStatus::InSync
                && let Some(row) = tx.sm_lock(&in_region(&ctx.scope, region), &primary.name).await?
                && row.arn_suffix == primary.arn_suffix
            {
                tx.sm_delete(row.id).await?;
            }
            tx.sm_remove_replica(primary.id, region).await?;
        }
        let remaining = tx.sm_replicas(primary.id).await?;
        if remaining.is_empty() {
            tx.sm_set_primary_region(primary.id, None).await?;
        }
        tx.commit().await?;
        Ok(ReplicationOutput {
            arn: primary.arn(&ctx.scope),
            replication_status: remaining.into_iter().map(|r| wire_status(r, None)).collect(),
        })
    }

    /// Called in a replica's Region: the replica becomes a standalone secret there.
    pub async fn stop_replication_to_replica(
        &self,
        ctx: &RequestContext,
        input: SecretIdInput,
    ) -> OpResult<StopReplicationOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let action = SecretsManagerOperation::StopReplicationToReplica.action();
        let found = self.authorized(ctx, action, secret_id).await?;
        let Some(primary_region) = found.primary_region.clone().filter(|_| is_replica(&found, &ctx.scope)) else {
            return Err(invalid_request("The secret is not a replica secret.").into());
        };
        let mut tx = self.store.begin().await?;
        let Some(replica) = tx.sm_lock(&ctx.scope, &found.name).await?.filter(|r| r.id == found.id) else {
            return Err(super::errors::secret_not_found().into());
        };
        tx.sm_set_primary_region(replica.id, None).await?;
        let primary_scope = in_region(&ctx.scope, &primary_region);
        if let Some(primary) = tx.sm_lock(&primary_scope, &replica.name).await?
            && primary.arn_suffix == replica.arn_suffix
        {
            tx.sm_remove_replica(primary.id, &ctx.scope.region).await?;
            if tx.sm_replicas(primary.id).await?.is_empty() {
                tx.sm_set_primary_region(primary.id, None).await?;
            }
        }
        tx.commit().await?;
        Ok(StopReplicationOutput { arn: replica.arn(&ctx.scope) })
    }
}

fn wire_status(replica: Replica, last_accessed_date: Option<coffer_aws::Timestamp>) -> ReplicationStatus {
    ReplicationStatus {
        region: replica.region,
        kms_key_id: Some(replica.kms_key_id.unwrap_or_else(|| super::DEFAULT_KMS_KEY.to_owned())),
        status: replica.status.as_str().to_owned(),
        status_message: replica
            .status_message
            .or_else(|| (replica.status == ReplicaStatus::InSync).then(|| "Replication succeeded".to_owned())),
        last_accessed_date,
    }
}
