//! The append-only, hash-chained audit log.
//!
//! Each record carries the SHA-256 of the previous record's hash and its own canonical
//! content, and `audit_head` holds the sequence number and hash of the last record, so an
//! edited, deleted, reordered or truncated record breaks verification.

use crate::db::{Backend, Store, values_rows};
use crate::error::StoreError;
use coffer_aws::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audited request. Never a value, a body, a signature or a secret key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub time: Timestamp,
    pub request_id: String,
    pub account: String,
    pub region: String,
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `ssm.amazonaws.com`, `secretsmanager.amazonaws.com`, …
    pub event_source: String,
    /// The operation, e.g. `GetParameters`.
    pub event_name: String,
    pub resources: Vec<String>,
    pub error_code: Option<String>,
}

/// A stored record: the event plus its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record: SHA-256 over the previous hash and the record's canonical JSON.
pub fn chain_hash(seq: i64, event: &AuditEvent, prev_hash: &str) -> String {
    let canonical = serde_json::json!({
        "seq": seq,
        "time_ms": event.time.millis(),
        "request_id": event.request_id,
        "account": event.account,
        "region": event.region,
        "principal_arn": event.principal_arn,
        "access_key_id": event.access_key_id,
        "source_ip": event.source_ip,
        "user_agent": event.user_agent,
        "event_source": event.event_source,
        "event_name": event.event_name,
        "resources": event.resources,
        "error_code": event.error_code,
    });
    let digest = Sha256::new()
        .chain_update(prev_hash.as_bytes())
        .chain_update(b"\n")
        .chain_update(canonical.to_string())
        .finalize();
    hex::encode(digest)
}

/// Filters for listing records; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub principal_arn: Option<String>,
    /// Records naming this resource ARN.
    pub resource: Option<String>,
    pub event_name: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: i64,
}

/// What verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainStatus {
    Intact { records: i64 },
    Broken { seq: i64, reason: String },
}

fn record(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let resources: String = row.try_get("resources")?;
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        event: AuditEvent {
            time: Timestamp(row.try_get("at_ms")?),
            request_id: row.try_get("request_id")?,
            account: row.try_get("account")?,
            region: row.try_get("region")?,
            principal_arn: row.try_get("principal_arn")?,
            access_key_id: row.try_get("access_key_id")?,
            source_ip: row.try_get("source_ip")?,
            user_agent: row.try_get("user_agent")?,
            event_source: row.try_get("event_source")?,
            event_name: row.try_get("event_name")?,
            resources: serde_json::from_str(&resources)
                .map_err(|e| StoreError::Corrupt(format!("audit resources: {e}")))?,
            error_code: row.try_get("error_code")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// When an append is on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Synced before the append returns: survives a power cut.
    Synced,
    /// Written before it returns (a crash of the process cannot lose it), synced with the
    /// next synced write or checkpoint: a power cut or OS crash in between can lose it. For
    /// `coffer run`, whose audit write sits between resolution and `exec`; CloudTrail
    /// itself delivers events minutes later.
    Deferred,
}

/// Appends `events` after the chain's head, inside the caller's transaction.
async fn append(conn: &mut AnyConnection, backend: Backend, events: &[AuditEvent]) -> Result<(), StoreError> {
    // Locks the head row: appends from several servers serialize here.
    let head =
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash").fetch_one(&mut *conn).await?;
    let (seq, hash) = insert_after(conn, backend, events, head.try_get("seq")?, head.try_get("hash")?).await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts `events` after the record `(seq, hash)`; returns the new head.
async fn insert_after(
    conn: &mut AnyConnection,
    backend: Backend,
    events: &[AuditEvent],
    mut seq: i64,
    mut prev: String,
) -> Result<(i64, String), StoreError> {
    // One multi-row INSERT per chunk rather than one per event: `coffer run` appends its
    // events just before `exec`, where every round trip to the database shows.
    for chunk in events.chunks(INSERT_CHUNK) {
        let rows = values_rows(backend, chunk.len(), AUDIT_COLUMNS);
        let sql = format!("INSERT INTO audit_log ({COLUMNS}) VALUES {rows}");
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in chunk {
            seq += 1;
            let hash = chain_hash(seq, event, &prev);
            let resources = serde_json::to_string(&event.resources).unwrap_or_else(|_| "[]".into());
            insert = insert
                .bind(seq)
                .bind(event.time.millis())
                .bind(&event.request_id)
                .bind(&event.account)
                .bind(&event.region)
                .bind(&event.principal_arn)
                .bind(&event.access_key_id)
                .bind(&event.source_ip)
                .bind(&event.user_agent)
                .bind(&event.event_source)
                .bind(&event.event_name)
                .bind(resources)
                .bind(&event.error_code)
                .bind(std::mem::replace(&mut prev, hash.clone()))
                .bind(hash);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok((seq, prev))
}

/// How many columns [`COLUMNS`] names, and how many rows one INSERT carries (15 × 100
/// parameters: far below SQLite's and PostgreSQL's limits).
const AUDIT_COLUMNS: usize = 15;
const INSERT_CHUNK: usize = 100;

const COLUMNS: &str = "seq, at_ms, request_id, account, region, principal_arn, access_key_id, source_ip, user_agent, \
                       event_source, event_name, resources, error_code, prev_hash, hash";

impl Store {
    /// Appends events in order, in one transaction, extending the chain.
    pub async fn audit_append(&self, events: &[AuditEvent], durability: Durability) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        match (durability, self.backend()) {
            (Durability::Synced, _) => {
                let mut tx = self.begin().await?;
                append(&mut tx.tx, self.backend(), events).await?;
                tx.commit_audit().await
            }
            (Durability::Deferred, Backend::Postgres) => {
                let mut tx = self.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx.tx).await?;
                append(&mut tx.tx, self.backend(), events).await?;
                tx.commit_audit().await
            }
            (Durability::Deferred, Backend::Sqlite) => {
                // SQLite sets durability per connection, and not inside a transaction: this
                // connection is relaxed for one commit, then closed rather than pooled (which
                // also rolls back what an error leaves open). `coffer run` appends just before
                // `exec`, so the statements go in four round trips, not six: relax and take the
                // write lock; read the head; insert; set the head and commit.
                let mut conn = self.writer().acquire().await?;
                conn.close_on_drop();
                sqlx::raw_sql("PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE").execute(&mut *conn).await?;
                let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
                let (seq, hash) =
                    insert_after(&mut conn, Backend::Sqlite, events, head.try_get("seq")?, head.try_get("hash")?)
                        .await?;
                // Inlined, not bound (a multi-statement batch takes no parameters): an integer
                // and a hex digest computed here.
                if !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(StoreError::Corrupt("audit chain hash is not hex".into()));
                }
                let finish = format!("UPDATE audit_head SET seq = {seq}, hash = '{hash}' WHERE id = 1; COMMIT");
                sqlx::raw_sql(sqlx::AssertSqlSafe(finish)).execute(&mut *conn).await?;
                Ok(())
            }
        }
    }

    /// Records matching `query`, newest first.
    pub async fn audit_list(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE ($1 = '' OR principal_arn = $1) AND ($2 = '' OR event_name = $2) \
             AND at_ms >= $3 AND at_ms <= $4 ORDER BY seq DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(query.principal_arn.clone().unwrap_or_default())
            .bind(query.event_name.clone().unwrap_or_default())
            .bind(query.since.map_or(i64::MIN, Timestamp::millis))
            .bind(query.until.map_or(i64::MAX, Timestamp::millis))
            .fetch_all(self.reader())
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let r = record(row)?;
            if query.resource.as_ref().is_some_and(|res| !r.event.resources.contains(res)) {
                continue;
            }
            out.push(r);
            if query.limit > 0 && out.len() as i64 >= query.limit {
                break;
            }
        }
        Ok(out)
    }

    /// Walks the whole chain and reports the first break.
    pub async fn audit_verify(&self) -> Result<ChainStatus, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.reader()).await?;
        let mut expected_seq = 0;
        let mut prev = GENESIS_HASH.to_owned();
        for row in &rows {
            let r = record(row)?;
            expected_seq += 1;
            if r.seq != expected_seq {
                return Ok(ChainStatus::Broken {
                    seq: expected_seq,
                    reason: format!("record {expected_seq} is missing (next is {})", r.seq),
                });
            }
            if r.prev_hash != prev {
                return Ok(ChainStatus::Broken {
                    seq: r.seq,
                    reason: "does not follow the previous record (deleted or reordered)".into(),
                });
            }
            if chain_hash(r.seq, &r.event, &prev) != r.hash {
                return Ok(ChainStatus::Broken {
                    seq: r.seq,
                    reason: "content does not match its hash (edited)".into(),
                });
            }
            prev = r.hash;
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(self.reader()).await?;
        let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
        if head_seq != expected_seq || head_hash != prev {
            return Ok(ChainStatus::Broken {
                seq: head_seq,
                reason: format!("the log ends at record {expected_seq} but {head_seq} were written (truncated)"),
            });
        }
        Ok(ChainStatus::Intact { records: expected_seq })
    }
}
