//! Secrets Manager replication: the Regions a primary secret is replicated to (each with its
//! status), and the copy that keeps a replica in step with its primary.
//!
//! A replica is a secret row in its own Region with the primary's name and ARN suffix, its
//! `primary_region` naming the primary's Region (a primary's names its own). Regions are
//! partitions of one store, so the copy runs inside the transaction that changed the primary:
//! a replica is never behind. Values are re-sealed under the replica's binding (its Region is
//! part of it), so a replica's ciphertexts are its own.

use crate::db::{Store, WriteTx};
use crate::error::StoreError;
use crate::secrets::{RECORD_COLUMNS, SecretRecord, VERSION_COLUMNS, binding, record, version};
use coffer_aws::{Scope, Timestamp};
use sqlx::Row as _;
use std::collections::HashSet;

/// Where a replica stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaStatus {
    InSync,
    /// Not replicated (a different secret holds the name there); the message says why.
    Failed,
}

impl ReplicaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaStatus::InSync => "InSync",
            ReplicaStatus::Failed => "Failed",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "InSync" => Ok(ReplicaStatus::InSync),
            "Failed" => Ok(ReplicaStatus::Failed),
            other => Err(StoreError::Corrupt(format!("unknown replica status {other:?}"))),
        }
    }
}

/// One Region a primary is replicated to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub region: String,
    pub kms_key_id: Option<String>,
    pub status: ReplicaStatus,
    pub status_message: Option<String>,
}

const REPLICA_COLUMNS: &str = "region, kms_key_id, status, status_message";

fn replica(row: &sqlx::any::AnyRow) -> Result<Replica, StoreError> {
    Ok(Replica {
        region: row.try_get("region")?,
        kms_key_id: row.try_get("kms_key_id")?,
        status: ReplicaStatus::parse(&row.try_get::<String, _>("status")?)?,
        status_message: row.try_get("status_message")?,
    })
}

impl Store {
    /// The Regions `primary_id` is replicated to, by Region.
    pub async fn sm_replicas(&self, primary_id: i64) -> Result<Vec<Replica>, StoreError> {
        let sql = format!("SELECT {REPLICA_COLUMNS} FROM sm_replicas WHERE primary_id = $1 ORDER BY region");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(primary_id).fetch_all(self.reader()).await?;
        rows.iter().map(replica).collect()
    }
}

impl WriteTx {
    pub async fn sm_replicas(&mut self, primary_id: i64) -> Result<Vec<Replica>, StoreError> {
        let sql = format!("SELECT {REPLICA_COLUMNS} FROM sm_replicas WHERE primary_id = $1 ORDER BY region");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(primary_id).fetch_all(&mut *self.tx).await?;
        rows.iter().map(replica).collect()
    }

    /// Records (or replaces) the replication of `primary_id` to `replica.region`.
    pub async fn sm_put_replica(&mut self, primary_id: i64, replica: &Replica) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sm_replicas (primary_id, region, kms_key_id, status, status_message) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (primary_id, region) DO UPDATE SET kms_key_id = excluded.kms_key_id, \
             status = excluded.status, status_message = excluded.status_message",
        )
        .bind(primary_id)
        .bind(&replica.region)
        .bind(replica.kms_key_id.clone())
        .bind(replica.status.as_str())
        .bind(replica.status_message.clone())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn sm_remove_replica(&mut self, primary_id: i64, region: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sm_replicas WHERE primary_id = $1 AND region = $2")
            .bind(primary_id)
            .bind(region)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Marks a secret as a primary (`Some(its own Region)`), a replica (`Some(the primary's)`)
    /// or neither (`None`).
    pub async fn sm_set_primary_region(&mut self, secret_id: i64, region: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE sm_secrets SET primary_region = $1 WHERE id = $2")
            .bind(region.map(str::to_owned))
            .bind(secret_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Creates the replica of `primary` in `replica_scope` (its name must be free there) and
    /// copies everything into it.
    pub async fn sm_create_replica(
        &mut self,
        primary_scope: &Scope,
        primary: &SecretRecord,
        replica_scope: &Scope,
        kms_key_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now().millis();
        sqlx::query(
            "INSERT INTO sm_secrets (account, region, name, arn_suffix, kms_key_id, rotation_enabled, primary_region, \
             created_ms, last_changed_ms, version_seq) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, 0)",
        )
        .bind(&replica_scope.account)
        .bind(&replica_scope.region)
        .bind(&primary.name)
        .bind(&primary.arn_suffix)
        .bind(kms_key_id.map(str::to_owned))
        .bind(&primary_scope.region)
        .bind(now)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        self.sm_sync_replica(primary_scope, primary.id, replica_scope).await
    }

    /// Brings the replica of `primary_id` in `replica_scope` in step with the primary as this
    /// transaction sees it: metadata, tags, staging labels and versions (new ones re-sealed
    /// for the replica, gone ones deleted). The replica keeps its own KMS key id and access dates.
    pub async fn sm_sync_replica(
        &mut self,
        primary_scope: &Scope,
        primary_id: i64,
        replica_scope: &Scope,
    ) -> Result<(), StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM sm_secrets WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(primary_id).fetch_one(&mut *self.tx).await?;
        let primary = record(&row)?;
        let sql = format!("SELECT {RECORD_COLUMNS} FROM sm_secrets WHERE account = $1 AND region = $2 AND name = $3");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&replica_scope.account)
            .bind(&replica_scope.region)
            .bind(&primary.name)
            .fetch_one(&mut *self.tx)
            .await?;
        let replica = record(&row)?;
        sqlx::query(
            "UPDATE sm_secrets SET description = $1, secret_type = $2, resource_policy = $3, rotation_enabled = $4, \
             rotation_lambda_arn = $5, rotation_rules = $6, last_rotated_ms = $7, next_rotation_ms = $8, \
             owning_service = $9, primary_region = $10, created_ms = $11, last_changed_ms = $12, deleted_ms = $13, \
             purge_after_ms = $14, version_seq = $15, tagged = $16 WHERE id = $17",
        )
        .bind(primary.description.clone())
        .bind(primary.secret_type.clone())
        .bind(primary.resource_policy.clone())
        .bind(i64::from(primary.rotation_enabled))
        .bind(primary.rotation_lambda_arn.clone())
        .bind(primary.rotation_rules.clone())
        .bind(primary.last_rotated.map(Timestamp::millis))
        .bind(primary.next_rotation.map(Timestamp::millis))
        .bind(primary.owning_service.clone())
        .bind(&primary_scope.region)
        .bind(primary.created.millis())
        .bind(primary.last_changed.millis())
        .bind(primary.deleted.map(Timestamp::millis))
        .bind(primary.purge_after.map(Timestamp::millis))
        .bind(primary.version_seq)
        .bind(i64::from(primary.tagged))
        .bind(replica.id)
        .execute(&mut *self.tx)
        .await?;
        for sql in
            ["DELETE FROM sm_secret_tags WHERE secret_id = $1", "DELETE FROM sm_secret_stages WHERE secret_id = $1"]
        {
            sqlx::query(sql).bind(replica.id).execute(&mut *self.tx).await?;
        }
        for sql in [
            "INSERT INTO sm_secret_tags (secret_id, position, tag_key, tag_value) \
             SELECT CAST($1 AS BIGINT), position, tag_key, tag_value FROM sm_secret_tags WHERE secret_id = $2",
            "INSERT INTO sm_secret_stages (secret_id, stage, version_id) \
             SELECT CAST($1 AS BIGINT), stage, version_id FROM sm_secret_stages WHERE secret_id = $2",
        ] {
            sqlx::query(sql).bind(replica.id).bind(primary.id).execute(&mut *self.tx).await?;
        }
        self.sync_versions(primary_scope, &primary, replica_scope, &replica).await
    }

    async fn sync_versions(
        &mut self,
        primary_scope: &Scope,
        primary: &SecretRecord,
        replica_scope: &Scope,
        replica: &SecretRecord,
    ) -> Result<(), StoreError> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM sm_secret_versions WHERE secret_id = $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(primary.id).fetch_all(&mut *self.tx).await?;
        let versions = rows.iter().map(version).collect::<Result<Vec<_>, _>>()?;
        let held: HashSet<String> = sqlx::query("SELECT version_id FROM sm_secret_versions WHERE secret_id = $1")
            .bind(replica.id)
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(|r| r.try_get("version_id"))
            .collect::<Result<_, _>>()?;
        let wanted: HashSet<&str> = versions.iter().map(|v| v.version_id.as_str()).collect();
        for gone in held.iter().filter(|id| !wanted.contains(id.as_str())) {
            sqlx::query("DELETE FROM sm_secret_versions WHERE secret_id = $1 AND version_id = $2")
                .bind(replica.id)
                .bind(gone)
                .execute(&mut *self.tx)
                .await?;
        }
        let resource = primary.resource();
        for v in versions.iter().filter(|v| !held.contains(&v.version_id)) {
            let plain = self.keyring.open(&v.sealed, &binding(primary_scope, &resource, &v.version_id))?;
            let sealed = self.seal(plain.expose(), &binding(replica_scope, &resource, &v.version_id))?;
            sqlx::query(
                "INSERT INTO sm_secret_versions (secret_id, version_id, seq, value_kind, created_ms, ciphertext, \
                 wrapped_key, master_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(replica.id)
            .bind(&v.version_id)
            .bind(v.seq)
            .bind(v.kind.as_str())
            .bind(v.created.millis())
            .bind(sealed.ciphertext)
            .bind(sealed.wrapped_key)
            .bind(sealed.master_key_id)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
}
