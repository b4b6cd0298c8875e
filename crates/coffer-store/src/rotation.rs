//! Rotation: the registered rotation functions, and the rotation each secret has to run.
//!
//! A rotation is durable work: RotateSecret (or the schedule) records it on the secret's row
//! — the version id it stages `AWSPENDING` on — and a server runs it. A server claims a
//! rotation for a while ([`Store::sm_claim_rotation`]) with a conditional update, so of many
//! servers on one database exactly one runs it; a server that dies mid-rotation loses its
//! claim when it expires and another retries, as AWS retries a rotation.

use crate::crypto::Binding;
use crate::db::{Store, WriteTx};
use crate::error::StoreError;
use coffer_aws::{Scope, SecretBytes, Timestamp};
use sqlx::Row as _;
use sqlx::any::AnyRow;

/// What runs a rotation function's steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// A program on the server's host, once per step, the event on its stdin.
    Command,
    /// An HTTPS endpoint that receives each step's event as a signed POST.
    Webhook,
    /// Coffer's own: a new random password, as GetRandomPassword makes them.
    RandomPassword,
}

impl FunctionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FunctionKind::Command => "command",
            FunctionKind::Webhook => "webhook",
            FunctionKind::RandomPassword => "random-password",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "command" => Ok(FunctionKind::Command),
            "webhook" => Ok(FunctionKind::Webhook),
            "random-password" => Ok(FunctionKind::RandomPassword),
            other => Err(StoreError::Corrupt(format!("unknown rotation function kind {other:?}"))),
        }
    }
}

/// A registered rotation function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationFunction {
    pub id: i64,
    pub account: String,
    pub region: String,
    pub name: String,
    pub kind: FunctionKind,
    /// The role a command acts as (as a Lambda function's execution role); a webhook calls
    /// with credentials of its own.
    pub role_arn: Option<String>,
    /// The kind's settings, as JSON (the command line, the URL, the password options).
    pub spec: String,
    pub timeout_ms: i64,
    pub created: Timestamp,
}

impl RotationFunction {
    /// `arn:<partition>:lambda:<region>:<account>:function:<name>`, the ARN RotateSecret names.
    pub fn arn(&self, partition: &str) -> String {
        format!("arn:{partition}:lambda:{}:{}:function:{}", self.region, self.account, self.name)
    }
}

/// A function to register.
pub struct NewFunction<'a> {
    pub name: &'a str,
    pub kind: FunctionKind,
    pub role_arn: Option<&'a str>,
    pub spec: &'a str,
    pub timeout_ms: i64,
    /// A webhook's signing key (sealed at rest).
    pub webhook_key: Option<&'a SecretBytes>,
}

/// A rotation a server has claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationJob {
    pub secret_id: i64,
    pub account: String,
    pub region: String,
    pub name: String,
    /// The version id the rotation stages `AWSPENDING` on: the event's `ClientRequestToken`.
    pub token: String,
    /// `RotateImmediately=false`: only the `testSecret` step.
    pub only_test: bool,
    /// How many attempts failed before this one.
    pub attempts: i64,
    pub lambda_arn: Option<String>,
}

/// A secret whose rotation is under way or whose last attempt failed
/// ([`Store::sm_rotation_status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationStatus {
    pub region: String,
    pub name: String,
    /// The version the rotation stages; `None` once a failed rotation was given up.
    pub token: Option<String>,
    pub attempts: i64,
    /// When the next attempt may run.
    pub retry_at: Option<Timestamp>,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// How an attempt ended.
pub enum Outcome<'a> {
    /// Every step succeeded; `rotated` when AWSCURRENT moved (not for a test-only run).
    Done { rotated: bool, next_rotation: Option<Timestamp> },
    /// A step failed: retried at `retry_at`, or given up when `None`.
    Failed { error: &'a str, retry_at: Option<Timestamp> },
}

const FUNCTION_COLUMNS: &str = "id, account, region, name, kind, role_arn, spec, timeout_ms, created_ms";

fn function(row: &AnyRow) -> Result<RotationFunction, StoreError> {
    Ok(RotationFunction {
        id: row.try_get("id")?,
        account: row.try_get("account")?,
        region: row.try_get("region")?,
        name: row.try_get("name")?,
        kind: FunctionKind::parse(&row.try_get::<String, _>("kind")?)?,
        role_arn: row.try_get("role_arn")?,
        spec: row.try_get("spec")?,
        timeout_ms: row.try_get("timeout_ms")?,
        created: Timestamp(row.try_get("created_ms")?),
    })
}

/// The binding a webhook's signing key is sealed with.
fn key_binding<'a>(f: &'a RotationFunction) -> Binding<'a> {
    Binding { account: &f.account, region: &f.region, service: "lambda", resource: &f.name, version: "webhook-key" }
}

impl Store {
    /// The function named `name` in `scope`.
    pub async fn rotation_function(&self, scope: &Scope, name: &str) -> Result<Option<RotationFunction>, StoreError> {
        let sql = format!(
            "SELECT {FUNCTION_COLUMNS} FROM rotation_functions WHERE account = $1 AND region = $2 AND name = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(function).transpose()
    }

    /// Every function of `account`, by Region then name.
    pub async fn rotation_functions(&self, account: &str) -> Result<Vec<RotationFunction>, StoreError> {
        let sql = format!("SELECT {FUNCTION_COLUMNS} FROM rotation_functions WHERE account = $1 ORDER BY region, name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(account).fetch_all(self.reader()).await?;
        rows.iter().map(function).collect()
    }

    /// A webhook's signing key.
    pub async fn rotation_webhook_key(&self, f: &RotationFunction) -> Result<SecretBytes, StoreError> {
        let row = sqlx::query("SELECT ciphertext, wrapped_key, master_key_id FROM rotation_webhook_keys WHERE id = $1")
            .bind(f.id)
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("webhook {} has no signing key", f.name)))?;
        let sealed = crate::crypto::Sealed {
            ciphertext: row.try_get("ciphertext")?,
            wrapped_key: row.try_get("wrapped_key")?,
            master_key_id: row.try_get("master_key_id")?,
        };
        self.open_sealed(&sealed, &key_binding(f))
    }

    /// Claims the next rotation that is due (`rotation_retry_ms` reached, no live claim) until
    /// `now + lease_ms`. The claim is a compare-and-set on the row, so two servers never
    /// both win one.
    pub async fn sm_claim_rotation(&self, now: Timestamp, lease_ms: i64) -> Result<Option<RotationJob>, StoreError> {
        let candidates = sqlx::query(
            "SELECT id FROM sm_secrets WHERE rotation_token IS NOT NULL AND rotation_retry_ms <= $1 \
             AND (rotation_claimed_until_ms IS NULL OR rotation_claimed_until_ms < $1) ORDER BY rotation_retry_ms LIMIT 10",
        )
        .bind(now.millis())
        .fetch_all(self.reader())
        .await?;
        for row in candidates {
            let id: i64 = row.try_get("id")?;
            let claimed = sqlx::query(
                "UPDATE sm_secrets SET rotation_claimed_until_ms = $1 WHERE id = $2 AND rotation_token IS NOT NULL \
                 AND rotation_retry_ms <= $3 AND (rotation_claimed_until_ms IS NULL OR rotation_claimed_until_ms < $3)",
            )
            .bind(now.millis() + lease_ms)
            .bind(id)
            .bind(now.millis())
            .execute(self.writer())
            .await?
            .rows_affected();
            if claimed == 1 {
                let row = sqlx::query(
                    "SELECT id, account, region, name, rotation_token, rotation_only_test, rotation_attempts, \
                     rotation_lambda_arn FROM sm_secrets WHERE id = $1",
                )
                .bind(id)
                .fetch_one(self.writer())
                .await?;
                return Ok(Some(RotationJob {
                    secret_id: id,
                    account: row.try_get("account")?,
                    region: row.try_get("region")?,
                    name: row.try_get("name")?,
                    token: row.try_get("rotation_token")?,
                    only_test: row.try_get::<i64, _>("rotation_only_test")? != 0,
                    attempts: row.try_get("rotation_attempts")?,
                    lambda_arn: row.try_get("rotation_lambda_arn")?,
                }));
            }
        }
        Ok(None)
    }

    /// The secrets of `account` with a rotation under way or a failed last attempt, by Region
    /// and name.
    pub async fn sm_rotation_status(&self, account: &str) -> Result<Vec<RotationStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT region, name, rotation_token, rotation_attempts, rotation_retry_ms, rotation_error FROM sm_secrets \
             WHERE account = $1 AND (rotation_token IS NOT NULL OR rotation_error IS NOT NULL) ORDER BY region, name",
        )
        .bind(account)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RotationStatus {
                    region: r.try_get("region")?,
                    name: r.try_get("name")?,
                    token: r.try_get("rotation_token")?,
                    attempts: r.try_get("rotation_attempts")?,
                    retry_at: r.try_get::<Option<i64>, _>("rotation_retry_ms")?.map(Timestamp),
                    error: r.try_get("rotation_error")?,
                })
            })
            .collect()
    }

    /// Secrets whose schedule says they are due (`NextRotationDate` reached) and that have no
    /// rotation under way: `(scope, name)`.
    pub async fn sm_due_rotations(&self, now: Timestamp) -> Result<Vec<(Scope, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT account, region, name FROM sm_secrets WHERE rotation_enabled = 1 AND next_rotation_ms <= $1 \
             AND rotation_token IS NULL AND deleted_ms IS NULL \
             AND (primary_region IS NULL OR primary_region = region) ORDER BY next_rotation_ms LIMIT 100",
        )
        .bind(now.millis())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    Scope::new(r.try_get::<String, _>("account")?, r.try_get::<String, _>("region")?),
                    r.try_get("name")?,
                ))
            })
            .collect()
    }
}

impl WriteTx {
    /// Registers a function; `None` when the name is taken in that Region.
    pub async fn rotation_register(
        &mut self,
        scope: &Scope,
        new: &NewFunction<'_>,
        now: Timestamp,
    ) -> Result<Option<RotationFunction>, StoreError> {
        let sql = format!(
            "INSERT INTO rotation_functions (account, region, name, kind, role_arn, spec, timeout_ms, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account, region, name) DO NOTHING \
             RETURNING {FUNCTION_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&scope.account)
            .bind(&scope.region)
            .bind(new.name)
            .bind(new.kind.as_str())
            .bind(new.role_arn)
            .bind(new.spec)
            .bind(new.timeout_ms)
            .bind(now.millis())
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(registered) = row.as_ref().map(function).transpose()? else { return Ok(None) };
        if let Some(key) = new.webhook_key {
            let sealed = self.keyring.seal(key.expose(), &key_binding(&registered))?;
            sqlx::query(
                "INSERT INTO rotation_webhook_keys (id, ciphertext, wrapped_key, master_key_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(registered.id)
            .bind(sealed.ciphertext)
            .bind(sealed.wrapped_key)
            .bind(sealed.master_key_id)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(Some(registered))
    }

    /// Removes a function; whether it existed.
    pub async fn rotation_unregister(&mut self, scope: &Scope, name: &str) -> Result<bool, StoreError> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM rotation_functions WHERE account = $1 AND region = $2 AND name = $3")
                .bind(&scope.account)
                .bind(&scope.region)
                .bind(name)
                .fetch_optional(&mut *self.tx)
                .await?;
        let Some(id) = id else { return Ok(false) };
        // Explicitly, as SQLite enforces foreign keys only when asked to.
        sqlx::query("DELETE FROM rotation_webhook_keys WHERE id = $1").bind(id).execute(&mut *self.tx).await?;
        sqlx::query("DELETE FROM rotation_functions WHERE id = $1").bind(id).execute(&mut *self.tx).await?;
        Ok(true)
    }

    /// Records the rotation a secret has to run (RotateSecret, or its schedule): due now.
    pub async fn sm_request_rotation(
        &mut self,
        secret_id: i64,
        token: &str,
        only_test: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sm_secrets SET rotation_token = $1, rotation_only_test = $2, rotation_attempts = 0, \
             rotation_retry_ms = $3, rotation_claimed_until_ms = NULL, rotation_error = NULL WHERE id = $4",
        )
        .bind(token)
        .bind(i64::from(only_test))
        .bind(now.millis())
        .bind(secret_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Drops a secret's rotation that has not finished (CancelRotateSecret).
    pub async fn sm_cancel_rotation(&mut self, secret_id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sm_secrets SET rotation_token = NULL, rotation_attempts = 0, rotation_retry_ms = NULL, \
             rotation_claimed_until_ms = NULL WHERE id = $1",
        )
        .bind(secret_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records how a claimed rotation's attempt ended (only if it is still the same rotation).
    pub async fn sm_finish_rotation(
        &mut self,
        job: &RotationJob,
        outcome: &Outcome<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let query = match outcome {
            Outcome::Done { rotated, next_rotation } => sqlx::query(
                "UPDATE sm_secrets SET rotation_token = NULL, rotation_attempts = 0, rotation_retry_ms = NULL, \
                 rotation_claimed_until_ms = NULL, rotation_error = NULL, \
                 last_rotated_ms = CASE WHEN $1 = 1 THEN $2 ELSE last_rotated_ms END, next_rotation_ms = $3 \
                 WHERE id = $4 AND rotation_token = $5",
            )
            .bind(i64::from(*rotated))
            .bind(now.millis())
            .bind(next_rotation.map(Timestamp::millis)),
            Outcome::Failed { error, retry_at } => sqlx::query(
                "UPDATE sm_secrets SET rotation_token = CASE WHEN $1 = 1 THEN rotation_token ELSE NULL END, \
                 rotation_attempts = rotation_attempts + 1, rotation_retry_ms = $2, rotation_claimed_until_ms = NULL, \
                 rotation_error = $3 WHERE id = $4 AND rotation_token = $5",
            )
            .bind(i64::from(retry_at.is_some()))
            .bind(retry_at.map(Timestamp::millis))
            .bind(error.to_string()),
        };
        query.bind(job.secret_id).bind(&job.token).execute(&mut *self.tx).await?;
        Ok(())
    }
}
