//! Tag tables: SSM parameters, secrets and IAM principals each keep `(owner, tag_key,
//! tag_value)` rows, read and written the same way; only the table, the owner column and the
//! listing order differ.

use crate::error::StoreError;
use sqlx::{Any, Executor, Row};

pub(crate) struct TagTable {
    table: &'static str,
    owner: &'static str,
    /// Listing order: by key (SSM, IAM) or in the order keys were first added (Secrets Manager).
    order: &'static str,
}

pub(crate) const SSM_TAGS: TagTable = TagTable { table: "ssm_parameter_tags", owner: "parameter_id", order: "tag_key" };
pub(crate) const SM_TAGS: TagTable = TagTable { table: "sm_secret_tags", owner: "secret_id", order: "position" };
pub(crate) const IAM_TAGS: TagTable = TagTable { table: "iam_principal_tags", owner: "principal_id", order: "tag_key" };

impl TagTable {
    /// One owner's `(key, value)` pairs, in listing order.
    pub(crate) async fn list<'e>(
        &self,
        executor: impl Executor<'e, Database = Any>,
        owner_id: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql =
            format!("SELECT tag_key, tag_value FROM {} WHERE {} = $1 ORDER BY {}", self.table, self.owner, self.order);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id).fetch_all(executor).await?;
        rows.iter().map(|r| Ok((r.try_get("tag_key")?, r.try_get("tag_value")?))).collect()
    }

    /// Sets a tag (for tables listed by key; Secrets Manager also keeps a position).
    pub(crate) async fn put<'e>(
        &self,
        executor: impl Executor<'e, Database = Any>,
        owner_id: i64,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {table} ({owner}, tag_key, tag_value) VALUES ($1, $2, $3) \
             ON CONFLICT ({owner}, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
            table = self.table,
            owner = self.owner,
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id).bind(key).bind(value).execute(executor).await?;
        Ok(())
    }

    pub(crate) async fn remove<'e>(
        &self,
        executor: impl Executor<'e, Database = Any>,
        owner_id: i64,
        key: &str,
    ) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {} WHERE {} = $1 AND tag_key = $2", self.table, self.owner);
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id).bind(key).execute(executor).await?;
        Ok(())
    }
}
