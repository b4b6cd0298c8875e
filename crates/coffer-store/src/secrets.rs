//! Secrets Manager secrets: the secret row, its versions (sealed values), staging labels
//! and tags.
//!
//! A version's value is sealed with the binding `(account, region, "secretsmanager",
//! "<name>-<suffix>", <VersionId>)`, so a ciphertext moved to another secret, another
//! version, or a recreated secret of the same name (which gets a new suffix) fails to open.
//!
//! Writers lock the secret row first ([`WriteTx::sm_lock`]) and do everything else for that
//! secret inside the same transaction: versions, labels and tags never change half-way.

use crate::crypto::{Binding, Sealed};
use crate::db::{Store, WriteTx, pairs};
use crate::error::StoreError;
use crate::tags::SM_TAGS;
use coffer_aws::{Scope, SecretBytes, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

pub const SERVICE: &str = "secretsmanager";

/// Whether a version holds a `SecretString` or a `SecretBinary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Binary,
}

impl ValueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::Binary => "binary",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "string" => Ok(ValueKind::String),
            "binary" => Ok(ValueKind::Binary),
            other => Err(StoreError::Corrupt(format!("unknown secret value kind {other:?}"))),
        }
    }
}

/// A secret as reading its value by stage needs it ([`Store::sm_secret_for_read`]).
#[derive(Clone, Debug)]
pub struct SecretForRead {
    pub record: SecretRecord,
    /// `(key, value)` in the order the keys were first added.
    pub tags: Vec<(String, String)>,
    /// `(stage, version_id)`, sorted by stage.
    pub stages: Vec<(String, String)>,
    /// The version the asked-for stage is attached to, if any.
    pub version: Option<SecretVersion>,
}

/// A secret's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRecord {
    pub id: i64,
    pub name: String,
    /// The 6 random characters the ARN ends with.
    pub arn_suffix: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_type: Option<String>,
    pub resource_policy: Option<String>,
    pub rotation_enabled: bool,
    pub rotation_lambda_arn: Option<String>,
    /// `RotationRules` as JSON text.
    pub rotation_rules: Option<String>,
    pub last_rotated: Option<Timestamp>,
    pub next_rotation: Option<Timestamp>,
    pub owning_service: Option<String>,
    pub primary_region: Option<String>,
    pub created: Timestamp,
    pub last_changed: Timestamp,
    /// Day resolution (midnight UTC).
    pub last_accessed: Option<Timestamp>,
    /// When DeleteSecret scheduled the deletion.
    pub deleted: Option<Timestamp>,
    /// When a scheduled deletion becomes final.
    pub purge_after: Option<Timestamp>,
    pub version_seq: i64,
    /// Whether it has ever carried a tag (AWS then answers `Tags: []` rather than no `Tags`).
    pub tagged: bool,
    /// The version id of a rotation under way (staged `AWSPENDING`).
    pub rotation_token: Option<String>,
}

impl SecretRecord {
    /// What follows `secret:` in the ARN: `<name>-<suffix>`.
    pub fn resource(&self) -> String {
        format!("{}-{}", self.name, self.arn_suffix)
    }

    pub fn arn(&self, scope: &Scope) -> String {
        scope.arn(SERVICE, &format!("secret:{}", self.resource()))
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    /// Whether the recovery window has passed (the secret must be purged, not shown).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.purge_after.is_some_and(|p| p <= now)
    }
}

/// A version with its sealed value.
#[derive(Clone, Debug)]
pub struct SecretVersion {
    pub version_id: String,
    pub seq: i64,
    pub kind: ValueKind,
    pub created: Timestamp,
    pub last_accessed: Option<Timestamp>,
    pub sealed: Sealed,
}

/// A version without its value (for listings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version_id: String,
    pub seq: i64,
    pub created: Timestamp,
    pub last_accessed: Option<Timestamp>,
}

/// What a new secret row starts with.
#[derive(Clone, Debug)]
pub struct NewSecret<'a> {
    pub name: &'a str,
    pub arn_suffix: &'a str,
    pub description: Option<&'a str>,
    pub kms_key_id: Option<&'a str>,
    pub secret_type: Option<&'a str>,
    pub created: Timestamp,
}

/// The rotation columns of a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationState {
    pub enabled: bool,
    pub lambda_arn: Option<String>,
    pub rules: Option<String>,
    pub last_rotated: Option<Timestamp>,
    pub next_rotation: Option<Timestamp>,
}

/// The binding a secret version's value is sealed with.
pub fn binding<'a>(scope: &'a Scope, resource: &'a str, version_id: &'a str) -> Binding<'a> {
    Binding { account: &scope.account, region: &scope.region, service: SERVICE, resource, version: version_id }
}

pub(crate) const RECORD_COLUMNS: &str = "id, name, arn_suffix, description, kms_key_id, secret_type, resource_policy, \
     rotation_enabled, rotation_lambda_arn, rotation_rules, last_rotated_ms, next_rotation_ms, owning_service, \
     primary_region, created_ms, last_changed_ms, last_accessed_ms, deleted_ms, purge_after_ms, version_seq, tagged, \
     rotation_token";

pub(crate) const VERSION_COLUMNS: &str =
    "version_id, seq, value_kind, created_ms, last_accessed_ms, ciphertext, wrapped_key, master_key_id";

fn ts(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(Timestamp))
}

pub(crate) fn record(row: &AnyRow) -> Result<SecretRecord, StoreError> {
    Ok(SecretRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        arn_suffix: row.try_get("arn_suffix")?,
        description: row.try_get("description")?,
        kms_key_id: row.try_get("kms_key_id")?,
        secret_type: row.try_get("secret_type")?,
        resource_policy: row.try_get("resource_policy")?,
        rotation_enabled: row.try_get::<i64, _>("rotation_enabled")? != 0,
        rotation_lambda_arn: row.try_get("rotation_lambda_arn")?,
        rotation_rules: row.try_get("rotation_rules")?,
        last_rotated: ts(row, "last_rotated_ms")?,
        next_rotation: ts(row, "next_rotation_ms")?,
        owning_service: row.try_get("owning_service")?,
        primary_region: row.try_get("primary_region")?,
        created: Timestamp(row.try_get("created_ms")?),
        last_changed: Timestamp(row.try_get("last_changed_ms")?),
        last_accessed: ts(row, "last_accessed_ms")?,
        deleted: ts(row, "deleted_ms")?,
        purge_after: ts(row, "purge_after_ms")?,
        version_seq: row.try_get("version_seq")?,
        tagged: row.try_get::<i64, _>("tagged")? != 0,
        rotation_token: row.try_get("rotation_token")?,
    })
}

pub(crate) fn version(row: &AnyRow) -> Result<SecretVersion, StoreError> {
    version_with(row, "")
}

/// A version from columns named `<prefix><column>` (a query that also reads the secret's
/// row, whose `created_ms` and `last_accessed_ms` would clash).
fn version_with(row: &AnyRow, prefix: &str) -> Result<SecretVersion, StoreError> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(SecretVersion {
        version_id: row.try_get(col("version_id").as_str())?,
        seq: row.try_get(col("seq").as_str())?,
        kind: ValueKind::parse(&row.try_get::<String, _>(col("value_kind").as_str())?)?,
        created: Timestamp(row.try_get(col("created_ms").as_str())?),
        last_accessed: ts(row, &col("last_accessed_ms"))?,
        sealed: Sealed {
            ciphertext: row.try_get(col("ciphertext").as_str())?,
            wrapped_key: row.try_get(col("wrapped_key").as_str())?,
            master_key_id: row.try_get(col("master_key_id").as_str())?,
        },
    })
}

fn version_info(row: &AnyRow) -> Result<VersionInfo, StoreError> {
    Ok(VersionInfo {
        version_id: row.try_get("version_id")?,
        seq: row.try_get("seq")?,
        created: Timestamp(row.try_get("created_ms")?),
        last_accessed: ts(row, "last_accessed_ms")?,
    })
}

fn triples(rows: &[AnyRow], b: &str, c: &str) -> Result<Vec<(i64, String, String)>, StoreError> {
    rows.iter().map(|r| Ok((r.try_get("secret_id")?, r.try_get(b)?, r.try_get(c)?))).collect()
}

impl Store {
    /// The secret named `name` in `scope` (scheduled-for-deletion ones included).
    pub async fn sm_secret(&self, scope: &Scope, name: &str) -> Result<Option<SecretRecord>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM sm_secrets WHERE account = $1 AND region = $2 AND name = $3");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(record).transpose()
    }

    /// [`Self::sm_secret`] and the secret's tags (as [`Self::sm_tags`]), in one query: what
    /// authorizing a request on it needs.
    pub async fn sm_secret_with_tags(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<(SecretRecord, Vec<(String, String)>)>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS}, t.tag_key, t.tag_value FROM sm_secrets s \
             LEFT JOIN sm_secret_tags t ON t.secret_id = s.id \
             WHERE s.account = $1 AND s.region = $2 AND s.name = $3 ORDER BY t.position"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .fetch_all(self.reader())
            .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut tags = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(key) = row.try_get::<Option<String>, _>("tag_key")? {
                tags.push((key, row.try_get("tag_value")?));
            }
        }
        Ok(Some((record(first)?, tags)))
    }

    /// What reading a secret's value by stage needs, in one query: the secret, its tags (in
    /// their order), its labels (by stage) and the version `stage` is attached to. Served from
    /// the read cache while the data is unchanged.
    pub async fn sm_secret_for_read(
        &self,
        scope: &Scope,
        name: &str,
        stage: &str,
    ) -> Result<Option<SecretForRead>, StoreError> {
        let key = format!("{}\0{}\0{name}\0{stage}", scope.account, scope.region);
        let cache = self.cache();
        cache.get_or_load(&cache.secrets_for_read, key, self.sm_secret_for_read_uncached(scope, name, stage)).await
    }

    async fn sm_secret_for_read_uncached(
        &self,
        scope: &Scope,
        name: &str,
        stage: &str,
    ) -> Result<Option<SecretForRead>, StoreError> {
        let sql = format!(
            "WITH s AS (SELECT {RECORD_COLUMNS} FROM sm_secrets WHERE account = $1 AND region = $2 AND name = $3) \
             SELECT s.*, x.kind, x.k, x.val, v.version_id AS v_version_id, v.seq AS v_seq, \
             v.value_kind AS v_value_kind, v.created_ms AS v_created_ms, v.last_accessed_ms AS v_last_accessed_ms, \
             v.ciphertext AS v_ciphertext, v.wrapped_key AS v_wrapped_key, v.master_key_id AS v_master_key_id \
             FROM s LEFT JOIN ( \
               SELECT 't' AS kind, tag_key AS k, tag_value AS val, position AS ord FROM sm_secret_tags \
               WHERE secret_id = (SELECT id FROM s) \
               UNION ALL \
               SELECT 'g' AS kind, stage AS k, version_id AS val, 0 AS ord FROM sm_secret_stages \
               WHERE secret_id = (SELECT id FROM s) \
             ) x ON TRUE \
             LEFT JOIN sm_secret_versions v ON x.kind = 'g' AND x.k = $4 AND v.secret_id = s.id AND v.version_id = x.val \
             ORDER BY x.kind, x.ord, x.k"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .bind(stage)
            .fetch_all(self.reader())
            .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut read = SecretForRead { record: record(first)?, tags: Vec::new(), stages: Vec::new(), version: None };
        for row in &rows {
            let Some(kind) = row.try_get::<Option<String>, _>("kind")? else { continue };
            let pair = (row.try_get("k")?, row.try_get("val")?);
            if kind == "t" {
                read.tags.push(pair);
            } else {
                if row.try_get::<Option<i64>, _>("v_seq")?.is_some() {
                    read.version = Some(version_with(row, "v_")?);
                }
                read.stages.push(pair);
            }
        }
        Ok(Some(read))
    }

    pub async fn sm_version(&self, secret_id: i64, version_id: &str) -> Result<Option<SecretVersion>, StoreError> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM sm_secret_versions WHERE secret_id = $1 AND version_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_id)
            .bind(version_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(version).transpose()
    }

    /// The version a staging label is attached to.
    pub async fn sm_version_by_stage(&self, secret_id: i64, stage: &str) -> Result<Option<SecretVersion>, StoreError> {
        let sql = "SELECT v.version_id, v.seq, v.value_kind, v.created_ms, v.last_accessed_ms, v.ciphertext, v.wrapped_key, \
                   v.master_key_id FROM sm_secret_stages s JOIN sm_secret_versions v \
                   ON v.secret_id = s.secret_id AND v.version_id = s.version_id WHERE s.secret_id = $1 AND s.stage = $2";
        let row = sqlx::query(sql).bind(secret_id).bind(stage).fetch_optional(self.reader()).await?;
        row.as_ref().map(version).transpose()
    }

    /// [`Self::sm_stages`] and the version `stage` is attached to, in one query: what reading
    /// a value by stage needs.
    pub async fn sm_stages_with_version(
        &self,
        secret_id: i64,
        stage: &str,
    ) -> Result<(Vec<(String, String)>, Option<SecretVersion>), StoreError> {
        let rows = sqlx::query(
            "SELECT s.stage, s.version_id, v.seq, v.value_kind, v.created_ms, v.last_accessed_ms, v.ciphertext, \
             v.wrapped_key, v.master_key_id FROM sm_secret_stages s LEFT JOIN sm_secret_versions v \
             ON s.stage = $2 AND v.secret_id = s.secret_id AND v.version_id = s.version_id \
             WHERE s.secret_id = $1 ORDER BY s.stage",
        )
        .bind(secret_id)
        .bind(stage)
        .fetch_all(self.reader())
        .await?;
        let mut found = None;
        for row in &rows {
            if row.try_get::<Option<i64>, _>("seq")?.is_some() {
                found = Some(version(row)?);
            }
        }
        Ok((pairs(&rows, "stage", "version_id")?, found))
    }

    /// Every version (without values), oldest first.
    pub async fn sm_versions(&self, secret_id: i64) -> Result<Vec<VersionInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT version_id, seq, created_ms, last_accessed_ms FROM sm_secret_versions WHERE secret_id = $1 ORDER BY seq",
        )
        .bind(secret_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(version_info).collect()
    }

    /// `(stage, version_id)` pairs, sorted by stage.
    pub async fn sm_stages(&self, secret_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT stage, version_id FROM sm_secret_stages WHERE secret_id = $1 ORDER BY stage")
            .bind(secret_id)
            .fetch_all(self.reader())
            .await?;
        pairs(&rows, "stage", "version_id")
    }

    /// `(key, value)` pairs in the order the keys were first added.
    pub async fn sm_tags(&self, secret_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        SM_TAGS.list(self.reader(), secret_id).await
    }

    /// Every secret in `scope`, by id (creation order). Listing filters and sorts above this.
    pub async fn sm_list(&self, scope: &Scope, include_deleted: bool) -> Result<Vec<SecretRecord>, StoreError> {
        let filter = if include_deleted { "" } else { " AND deleted_ms IS NULL" };
        let sql =
            format!("SELECT {RECORD_COLUMNS} FROM sm_secrets WHERE account = $1 AND region = $2{filter} ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(record).collect()
    }

    /// `(secret_id, key, value)` of every secret in `scope`, in tag order.
    pub async fn sm_list_tags(&self, scope: &Scope) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.secret_id, t.tag_key, t.tag_value FROM sm_secret_tags t JOIN sm_secrets s ON s.id = t.secret_id \
             WHERE s.account = $1 AND s.region = $2 ORDER BY t.secret_id, t.position",
        )
        .bind(&scope.account)
        .bind(&scope.region)
        .fetch_all(self.reader())
        .await?;
        triples(&rows, "tag_key", "tag_value")
    }

    /// `(secret_id, stage, version_id)` of every secret in `scope`.
    pub async fn sm_list_stages(&self, scope: &Scope) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.secret_id, g.stage, g.version_id FROM sm_secret_stages g JOIN sm_secrets s ON s.id = g.secret_id \
             WHERE s.account = $1 AND s.region = $2 ORDER BY g.secret_id, g.stage",
        )
        .bind(&scope.account)
        .bind(&scope.region)
        .fetch_all(self.reader())
        .await?;
        triples(&rows, "stage", "version_id")
    }

    /// Opens a version's value.
    pub fn sm_open(&self, scope: &Scope, secret: &SecretRecord, v: &SecretVersion) -> Result<SecretBytes, StoreError> {
        self.open_sealed(&v.sealed, &binding(scope, &secret.resource(), &v.version_id))
    }

    /// Records a read of `version_id` on `day` (midnight UTC) unless already recorded.
    pub async fn sm_record_access(&self, secret_id: i64, version_id: &str, day: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE sm_secrets SET last_accessed_ms = $1 WHERE id = $2 AND (last_accessed_ms IS NULL OR last_accessed_ms < $3)")
            .bind(day.millis())
            .bind(secret_id)
            .bind(day.millis())
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query(
            "UPDATE sm_secret_versions SET last_accessed_ms = $1 WHERE secret_id = $2 AND version_id = $3 \
             AND (last_accessed_ms IS NULL OR last_accessed_ms < $4)",
        )
        .bind(day.millis())
        .bind(secret_id)
        .bind(version_id)
        .bind(day.millis())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// Deletes, with all their versions (ciphertexts), labels and tags, the secrets whose
    /// recovery window ended at or before `now`: in `scope`, or everywhere for `None`.
    /// Returns how many secrets were purged.
    pub async fn sm_purge_expired(&self, scope: Option<&Scope>, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let ids: Vec<i64> = match scope {
            Some(scope) => {
                sqlx::query(
                    "SELECT id FROM sm_secrets WHERE account = $1 AND region = $2 AND purge_after_ms IS NOT NULL AND purge_after_ms <= $3",
                )
                .bind(&scope.account)
                .bind(&scope.region)
                .bind(now.millis())
                .fetch_all(&mut *tx.tx)
                .await?
            }
            None => {
                sqlx::query("SELECT id FROM sm_secrets WHERE purge_after_ms IS NOT NULL AND purge_after_ms <= $1")
                    .bind(now.millis())
                    .fetch_all(&mut *tx.tx)
                    .await?
            }
        }
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
        for id in &ids {
            tx.sm_delete(*id).await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }
}

impl WriteTx {
    /// Finds a secret and locks its row until the transaction ends.
    pub async fn sm_lock(&mut self, scope: &Scope, name: &str) -> Result<Option<SecretRecord>, StoreError> {
        let sql = format!(
            "UPDATE sm_secrets SET version_seq = version_seq WHERE account = $1 AND region = $2 AND name = $3 RETURNING {RECORD_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(record).transpose()
    }

    /// Creates the secret row, or returns `None` if the name is taken (a concurrent create won).
    pub async fn sm_create(&mut self, scope: &Scope, new: &NewSecret<'_>) -> Result<Option<SecretRecord>, StoreError> {
        let sql = format!(
            "INSERT INTO sm_secrets (account, region, name, arn_suffix, description, kms_key_id, secret_type, \
             rotation_enabled, created_ms, last_changed_ms, version_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, 0) \
             ON CONFLICT (account, region, name) DO NOTHING RETURNING {RECORD_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(new.name)
            .bind(new.arn_suffix)
            .bind(new.description.map(str::to_owned))
            .bind(new.kms_key_id.map(str::to_owned))
            .bind(new.secret_type.map(str::to_owned))
            .bind(new.created.millis())
            .bind(new.created.millis())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub async fn sm_version(&mut self, secret_id: i64, version_id: &str) -> Result<Option<SecretVersion>, StoreError> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM sm_secret_versions WHERE secret_id = $1 AND version_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_id)
            .bind(version_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(version).transpose()
    }

    /// Every version (without values), oldest first.
    pub async fn sm_versions(&mut self, secret_id: i64) -> Result<Vec<VersionInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT version_id, seq, created_ms, last_accessed_ms FROM sm_secret_versions WHERE secret_id = $1 ORDER BY seq",
        )
        .bind(secret_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(version_info).collect()
    }

    /// `(stage, version_id)` pairs, sorted by stage.
    pub async fn sm_stages(&mut self, secret_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT stage, version_id FROM sm_secret_stages WHERE secret_id = $1 ORDER BY stage")
            .bind(secret_id)
            .fetch_all(&mut *self.tx)
            .await?;
        pairs(&rows, "stage", "version_id")
    }

    /// `(key, value)` pairs in tag order.
    pub async fn sm_tags(&mut self, secret_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        SM_TAGS.list(&mut *self.tx, secret_id).await
    }

    /// Seals `value` and stores it as version `version_id` (no labels yet). Returns its sequence number.
    pub async fn sm_insert_version(
        &mut self,
        scope: &Scope,
        secret: &SecretRecord,
        version_id: &str,
        kind: ValueKind,
        value: &SecretBytes,
        created: Timestamp,
    ) -> Result<i64, StoreError> {
        let sealed = self.seal(value.expose(), &binding(scope, &secret.resource(), version_id))?;
        let seq: i64 =
            sqlx::query("UPDATE sm_secrets SET version_seq = version_seq + 1 WHERE id = $1 RETURNING version_seq")
                .bind(secret.id)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get("version_seq")?;
        sqlx::query(
            "INSERT INTO sm_secret_versions (secret_id, version_id, seq, value_kind, created_ms, ciphertext, wrapped_key, master_key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(secret.id)
        .bind(version_id)
        .bind(seq)
        .bind(kind.as_str())
        .bind(created.millis())
        .bind(sealed.ciphertext)
        .bind(sealed.wrapped_key)
        .bind(sealed.master_key_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(seq)
    }

    /// Deletes a version (its ciphertext) and any label still on it.
    pub async fn sm_delete_version(&mut self, secret_id: i64, version_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sm_secret_stages WHERE secret_id = $1 AND version_id = $2")
            .bind(secret_id)
            .bind(version_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM sm_secret_versions WHERE secret_id = $1 AND version_id = $2")
            .bind(secret_id)
            .bind(version_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Attaches `stage` to `version_id`, moving it from whichever version had it.
    pub async fn sm_set_stage(&mut self, secret_id: i64, stage: &str, version_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sm_secret_stages (secret_id, stage, version_id) VALUES ($1, $2, $3) \
             ON CONFLICT (secret_id, stage) DO UPDATE SET version_id = excluded.version_id",
        )
        .bind(secret_id)
        .bind(stage)
        .bind(version_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn sm_remove_stage(&mut self, secret_id: i64, stage: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sm_secret_stages WHERE secret_id = $1 AND stage = $2")
            .bind(secret_id)
            .bind(stage)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Sets a tag; a new key goes after the others, an existing key keeps its place.
    pub async fn sm_put_tag(&mut self, secret_id: i64, key: &str, value: &str) -> Result<(), StoreError> {
        let position: i64 =
            sqlx::query("SELECT COALESCE(MAX(position), 0) + 1 AS next FROM sm_secret_tags WHERE secret_id = $1")
                .bind(secret_id)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get("next")?;
        sqlx::query(
            "INSERT INTO sm_secret_tags (secret_id, position, tag_key, tag_value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (secret_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        )
        .bind(secret_id)
        .bind(position)
        .bind(key)
        .bind(value)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE sm_secrets SET tagged = 1 WHERE id = $1 AND tagged = 0")
            .bind(secret_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn sm_remove_tag(&mut self, secret_id: i64, key: &str) -> Result<(), StoreError> {
        SM_TAGS.remove(&mut *self.tx, secret_id, key).await
    }

    /// Replaces description, KMS key id and type.
    pub async fn sm_set_metadata(
        &mut self,
        secret_id: i64,
        description: Option<&str>,
        kms_key_id: Option<&str>,
        secret_type: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sm_secrets SET description = $1, kms_key_id = $2, secret_type = $3 WHERE id = $4")
            .bind(description.map(str::to_owned))
            .bind(kms_key_id.map(str::to_owned))
            .bind(secret_type.map(str::to_owned))
            .bind(secret_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn sm_set_changed(&mut self, secret_id: i64, changed: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sm_secrets SET last_changed_ms = $1 WHERE id = $2")
            .bind(changed.millis())
            .bind(secret_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn sm_set_policy(&mut self, secret_id: i64, policy: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE sm_secrets SET resource_policy = $1 WHERE id = $2")
            .bind(policy.map(str::to_owned))
            .bind(secret_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn sm_set_rotation(&mut self, secret_id: i64, rotation: &RotationState) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sm_secrets SET rotation_enabled = $1, rotation_lambda_arn = $2, rotation_rules = $3, \
             last_rotated_ms = $4, next_rotation_ms = $5 WHERE id = $6",
        )
        .bind(i64::from(rotation.enabled))
        .bind(rotation.lambda_arn.clone())
        .bind(rotation.rules.clone())
        .bind(rotation.last_rotated.map(Timestamp::millis))
        .bind(rotation.next_rotation.map(Timestamp::millis))
        .bind(secret_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Schedules deletion (`Some((deleted, purge_after))`) or cancels it (`None`).
    pub async fn sm_set_deletion(
        &mut self,
        secret_id: i64,
        deletion: Option<(Timestamp, Timestamp)>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sm_secrets SET deleted_ms = $1, purge_after_ms = $2 WHERE id = $3")
            .bind(deletion.map(|(d, _)| d.millis()))
            .bind(deletion.map(|(_, p)| p.millis()))
            .bind(secret_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Removes the secret with all its versions (ciphertexts), labels and tags.
    pub async fn sm_delete(&mut self, secret_id: i64) -> Result<(), StoreError> {
        // Children first, explicitly: no reliance on ON DELETE CASCADE being enabled.
        for sql in [
            "DELETE FROM sm_secret_stages WHERE secret_id = $1",
            "DELETE FROM sm_secret_tags WHERE secret_id = $1",
            "DELETE FROM sm_secret_versions WHERE secret_id = $1",
            "DELETE FROM sm_replicas WHERE primary_id = $1",
            "DELETE FROM sm_secrets WHERE id = $1",
        ] {
            sqlx::query(sql).bind(secret_id).execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
