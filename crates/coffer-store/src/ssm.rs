//! SSM parameters: rows, versions, labels and tags.

use crate::crypto::{Binding, Sealed};
use crate::db::{Store, WriteTx, placeholders};
use crate::error::StoreError;
use crate::tags::SSM_TAGS;
use coffer_aws::ParameterType;
use coffer_aws::{Scope, SecretBytes, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A parameter's identity row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterRecord {
    pub id: i64,
    /// Canonical name (`p` for `/p`).
    pub name: String,
    /// The name as it was first created.
    pub display_name: String,
    pub latest_version: i64,
}

/// What each version records besides its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterMeta {
    pub param_type: ParameterType,
    pub tier: String,
    pub data_type: String,
    pub key_id: Option<String>,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub policies: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ParameterVersion {
    pub version: i64,
    pub meta: ParameterMeta,
    pub modified: Timestamp,
    pub modified_by: String,
    pub sealed: Sealed,
}

/// The binding a parameter value is sealed with.
pub fn binding<'a>(scope: &'a Scope, name: &'a str, version: &'a str) -> Binding<'a> {
    Binding { account: &scope.account, region: &scope.region, service: "ssm", resource: name, version }
}

const RECORD_COLUMNS: &str = "id, name, display_name, latest_version";
const VERSION_COLUMNS: &str = "version, param_type, tier, data_type, key_id, description, allowed_pattern, policies, \
     modified_ms, modified_by, ciphertext, wrapped_key, master_key_id";

/// Parameter rows joined with their latest versions; a `WHERE` clause on `p` follows.
const WITH_LATEST: &str = "SELECT p.id, p.name, p.display_name, p.latest_version, v.version, v.param_type, v.tier, \
     v.data_type, v.key_id, v.description, v.allowed_pattern, v.policies, v.modified_ms, v.modified_by, v.ciphertext, \
     v.wrapped_key, v.master_key_id \
     FROM ssm_parameters p JOIN ssm_parameter_versions v ON v.parameter_id = p.id AND v.version = p.latest_version";

fn record(row: &AnyRow) -> Result<ParameterRecord, StoreError> {
    Ok(ParameterRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        latest_version: row.try_get("latest_version")?,
    })
}

fn version(row: &AnyRow) -> Result<ParameterVersion, StoreError> {
    Ok(ParameterVersion {
        version: row.try_get("version")?,
        meta: ParameterMeta {
            param_type: {
                let name: String = row.try_get("param_type")?;
                ParameterType::parse(&name)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown parameter type {name:?}")))?
            },
            tier: row.try_get("tier")?,
            data_type: row.try_get("data_type")?,
            key_id: row.try_get("key_id")?,
            description: row.try_get("description")?,
            allowed_pattern: row.try_get("allowed_pattern")?,
            policies: row.try_get("policies")?,
        },
        modified: Timestamp(row.try_get("modified_ms")?),
        modified_by: row.try_get("modified_by")?,
        sealed: Sealed {
            ciphertext: row.try_get("ciphertext")?,
            wrapped_key: row.try_get("wrapped_key")?,
            master_key_id: row.try_get("master_key_id")?,
        },
    })
}

/// Parameters with their latest versions, and their tags by parameter id.
pub type LatestWithTags = (Vec<(ParameterRecord, ParameterVersion)>, HashMap<i64, Vec<(String, String)>>);

/// The read cache's key for canonical `names` in `scope`.
fn names_key(scope: &Scope, names: &[&str]) -> String {
    let mut key = format!("{}\0{}", scope.account, scope.region);
    for name in names {
        key.push('\0');
        key.push_str(name);
    }
    key
}

/// Which parameters a listing covers.
#[derive(Clone, Debug, Default)]
pub struct ParameterListing<'a> {
    /// Only canonical names starting with this prefix.
    pub prefix: Option<&'a str>,
    /// Only names strictly after this one (keyset pagination).
    pub after: Option<&'a str>,
    pub limit: i64,
}

impl Store {
    pub async fn ssm_parameter(&self, scope: &Scope, name: &str) -> Result<Option<ParameterRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, display_name, latest_version FROM ssm_parameters WHERE account = $1 AND region = $2 AND name = $3",
        )
        .bind(&scope.account)
        .bind(&scope.region)
        .bind(name)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// A parameter with its latest version, in one query (the hot read path); served from the
    /// read cache while the data is unchanged.
    pub async fn ssm_parameter_latest(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<(ParameterRecord, ParameterVersion)>, StoreError> {
        let cache = self.cache();
        let load = self.ssm_parameter_latest_uncached(scope, name);
        cache.get_or_load(&cache.parameters_latest, names_key(scope, &[name]), load).await
    }

    async fn ssm_parameter_latest_uncached(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<(ParameterRecord, ParameterVersion)>, StoreError> {
        let sql = format!("{WITH_LATEST} WHERE p.account = $1 AND p.region = $2 AND p.name = $3");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(|r| Ok((record(r)?, version(r)?))).transpose()
    }

    /// Parameters with their latest versions, for many canonical names in one query (the
    /// GetParameters read path); names with no parameter are absent from the answer. Served
    /// from the read cache while the data is unchanged.
    pub async fn ssm_parameters_latest(
        &self,
        scope: &Scope,
        names: &[&str],
    ) -> Result<Vec<(ParameterRecord, ParameterVersion)>, StoreError> {
        let cache = self.cache();
        let load = self.ssm_parameters_latest_uncached(scope, names);
        cache.get_or_load(&cache.parameters_latest_many, names_key(scope, names), load).await
    }

    async fn ssm_parameters_latest_uncached(
        &self,
        scope: &Scope,
        names: &[&str],
    ) -> Result<Vec<(ParameterRecord, ParameterVersion)>, StoreError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{WITH_LATEST} WHERE p.account = $1 AND p.region = $2 AND p.name IN ({})",
            placeholders(3, names.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&scope.account).bind(&scope.region);
        for name in names {
            query = query.bind(*name);
        }
        let rows = query.fetch_all(self.reader()).await?;
        rows.iter().map(|r| Ok((record(r)?, version(r)?))).collect()
    }

    /// [`Self::ssm_parameters_latest`] and the tags of the parameters found (by parameter id,
    /// each list sorted by key) in one query: what authorizing a read under a role needs.
    /// Served from the read cache while the data is unchanged.
    pub async fn ssm_parameters_latest_with_tags(
        &self,
        scope: &Scope,
        names: &[&str],
    ) -> Result<LatestWithTags, StoreError> {
        let cache = self.cache();
        let load = self.ssm_parameters_latest_with_tags_uncached(scope, names);
        cache.get_or_load(&cache.parameters_latest_with_tags, names_key(scope, names), load).await
    }

    async fn ssm_parameters_latest_with_tags_uncached(
        &self,
        scope: &Scope,
        names: &[&str],
    ) -> Result<LatestWithTags, StoreError> {
        let (mut found, mut tags) = (Vec::new(), HashMap::<i64, Vec<(String, String)>>::new());
        if names.is_empty() {
            return Ok((found, tags));
        }
        let sql = format!(
            "SELECT q.*, t.tag_key, t.tag_value FROM ({WITH_LATEST} WHERE p.account = $1 AND p.region = $2 \
             AND p.name IN ({})) q LEFT JOIN ssm_parameter_tags t ON t.parameter_id = q.id ORDER BY q.id, t.tag_key",
            placeholders(3, names.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&scope.account).bind(&scope.region);
        for name in names {
            query = query.bind(*name);
        }
        let mut last_id = None;
        for row in query.fetch_all(self.reader()).await? {
            let id: i64 = row.try_get("id")?;
            if last_id != Some(id) {
                found.push((record(&row)?, version(&row)?));
                last_id = Some(id);
            }
            if let Some(key) = row.try_get::<Option<String>, _>("tag_key")? {
                tags.entry(id).or_default().push((key, row.try_get("tag_value")?));
            }
        }
        Ok((found, tags))
    }

    pub async fn ssm_version(
        &self,
        parameter_id: i64,
        version_no: i64,
    ) -> Result<Option<ParameterVersion>, StoreError> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM ssm_parameter_versions WHERE parameter_id = $1 AND version = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(parameter_id)
            .bind(version_no)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(version).transpose()
    }

    /// The version a label points at.
    pub async fn ssm_label_version(&self, parameter_id: i64, label: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT version FROM ssm_parameter_labels WHERE parameter_id = $1 AND label = $2")
            .bind(parameter_id)
            .bind(label)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.try_get("version")).transpose()?)
    }

    /// Versions in ascending order, starting after `after_version`.
    pub async fn ssm_history(
        &self,
        parameter_id: i64,
        after_version: i64,
        limit: i64,
    ) -> Result<Vec<ParameterVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM ssm_parameter_versions WHERE parameter_id = $1 AND version > $2 ORDER BY version LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(parameter_id)
            .bind(after_version)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(version).collect()
    }

    /// `(label, version)` pairs of a parameter, sorted by label.
    pub async fn ssm_labels(&self, parameter_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT label, version FROM ssm_parameter_labels WHERE parameter_id = $1 ORDER BY label")
                .bind(parameter_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(|r| Ok((r.try_get("label")?, r.try_get("version")?))).collect()
    }

    /// A parameter's tags (what authorizing a read under a role needs); served from the read
    /// cache while the data is unchanged.
    pub async fn ssm_tags(&self, parameter_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let cache = self.cache();
        let load = SSM_TAGS.list(self.reader(), parameter_id);
        cache.get_or_load(&cache.parameter_tags, parameter_id.to_string(), load).await
    }

    /// Parameters with their latest version, ordered by canonical name.
    pub async fn ssm_list(
        &self,
        scope: &Scope,
        listing: &ParameterListing<'_>,
    ) -> Result<Vec<(ParameterRecord, ParameterVersion)>, StoreError> {
        // A prefix scan as a range keeps LIKE's case-folding and wildcards out of it; names
        // are ASCII and compared bytewise (COLLATE "C" on PostgreSQL, BINARY on SQLite).
        let prefix = listing.prefix.unwrap_or("");
        let upper = format!("{prefix}\u{7f}");
        let after = listing.after.unwrap_or("");
        let sql = format!(
            "{WITH_LATEST} WHERE p.account = $1 AND p.region = $2 AND p.name >= $3 AND p.name < $4 AND p.name > $5 \
             ORDER BY p.name LIMIT $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(prefix)
            .bind(upper)
            .bind(after)
            .bind(listing.limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((record(r)?, version(r)?))).collect()
    }

    /// Opens a version's value.
    pub fn ssm_open(&self, scope: &Scope, name: &str, v: &ParameterVersion) -> Result<SecretBytes, StoreError> {
        self.open_sealed(&v.sealed, &binding(scope, name, &v.version.to_string()))
    }
}

impl WriteTx {
    /// Finds a parameter and locks its row until the transaction ends.
    pub async fn ssm_lock(&mut self, scope: &Scope, name: &str) -> Result<Option<ParameterRecord>, StoreError> {
        let sql = format!(
            "UPDATE ssm_parameters SET latest_version = latest_version WHERE account = $1 AND region = $2 AND name = $3 RETURNING {RECORD_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(record).transpose()
    }

    /// Creates the parameter row (latest version 0), or returns `None` if a concurrent
    /// transaction created it first (lock it with [`WriteTx::ssm_lock`] then).
    pub async fn ssm_create(
        &mut self,
        scope: &Scope,
        name: &str,
        display_name: &str,
    ) -> Result<Option<ParameterRecord>, StoreError> {
        let sql = format!(
            "INSERT INTO ssm_parameters (account, region, name, display_name, latest_version) VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (account, region, name) DO NOTHING RETURNING {RECORD_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .bind(display_name)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub async fn ssm_version(
        &mut self,
        parameter_id: i64,
        version_no: i64,
    ) -> Result<Option<ParameterVersion>, StoreError> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM ssm_parameter_versions WHERE parameter_id = $1 AND version = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(parameter_id)
            .bind(version_no)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(version).transpose()
    }

    /// The oldest stored version number and how many versions are stored.
    pub async fn ssm_version_span(&mut self, parameter_id: i64) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query("SELECT COALESCE(MIN(version), 0) AS oldest, COUNT(*) AS n FROM ssm_parameter_versions WHERE parameter_id = $1")
            .bind(parameter_id)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok((row.try_get("oldest")?, row.try_get("n")?))
    }

    pub async fn ssm_delete_version(&mut self, parameter_id: i64, version_no: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ssm_parameter_versions WHERE parameter_id = $1 AND version = $2")
            .bind(parameter_id)
            .bind(version_no)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Seals `value` and stores it as `version_no`, which becomes the latest version.
    #[allow(clippy::too_many_arguments)]
    pub async fn ssm_insert_version(
        &mut self,
        scope: &Scope,
        record: &ParameterRecord,
        version_no: i64,
        meta: &ParameterMeta,
        modified: Timestamp,
        modified_by: &str,
        value: &SecretBytes,
    ) -> Result<(), StoreError> {
        let sealed = self.seal(value.expose(), &binding(scope, &record.name, &version_no.to_string()))?;
        sqlx::query(
            "INSERT INTO ssm_parameter_versions (parameter_id, version, param_type, tier, data_type, key_id, description, \
             allowed_pattern, policies, modified_ms, modified_by, ciphertext, wrapped_key, master_key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(record.id)
        .bind(version_no)
        .bind(meta.param_type.as_str())
        .bind(&meta.tier)
        .bind(&meta.data_type)
        .bind(&meta.key_id)
        .bind(&meta.description)
        .bind(&meta.allowed_pattern)
        .bind(&meta.policies)
        .bind(modified.millis())
        .bind(modified_by)
        .bind(sealed.ciphertext)
        .bind(sealed.wrapped_key)
        .bind(sealed.master_key_id)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE ssm_parameters SET latest_version = $1 WHERE id = $2")
            .bind(version_no)
            .bind(record.id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Removes the parameter with all its versions, labels and tags.
    pub async fn ssm_delete(&mut self, parameter_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ssm_parameters WHERE id = $1").bind(parameter_id).execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn ssm_labels_of(&mut self, parameter_id: i64, version_no: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT label FROM ssm_parameter_labels WHERE parameter_id = $1 AND version = $2 ORDER BY label",
        )
        .bind(parameter_id)
        .bind(version_no)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("label")?)).collect()
    }

    /// Points `label` at `version_no`, moving it from any other version.
    pub async fn ssm_put_label(&mut self, parameter_id: i64, label: &str, version_no: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ssm_parameter_labels (parameter_id, label, version) VALUES ($1, $2, $3) \
             ON CONFLICT (parameter_id, label) DO UPDATE SET version = excluded.version",
        )
        .bind(parameter_id)
        .bind(label)
        .bind(version_no)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes `label` from `version_no`; returns whether it was there.
    pub async fn ssm_remove_label(
        &mut self,
        parameter_id: i64,
        label: &str,
        version_no: i64,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM ssm_parameter_labels WHERE parameter_id = $1 AND label = $2 AND version = $3")
                .bind(parameter_id)
                .bind(label)
                .bind(version_no)
                .execute(&mut *self.tx)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn ssm_tags(&mut self, parameter_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        SSM_TAGS.list(&mut *self.tx, parameter_id).await
    }

    pub async fn ssm_put_tag(&mut self, parameter_id: i64, key: &str, value: &str) -> Result<(), StoreError> {
        SSM_TAGS.put(&mut *self.tx, parameter_id, key, value).await
    }

    pub async fn ssm_remove_tag(&mut self, parameter_id: i64, key: &str) -> Result<(), StoreError> {
        SSM_TAGS.remove(&mut *self.tx, parameter_id, key).await
    }
}
