//! IAM: users and roles (principals) per account, their inline policies and tags, and
//! access keys — long-term (`AKIA…`, a user's or the root's) and temporary (`ASIA…`, an STS
//! session of a role).
//!
//! IAM is global: rows are partitioned by account only. Principal names are unique and
//! looked up regardless of case, as in AWS. A secret access key is sealed, bound to its
//! access key id; a session token is never stored, only its SHA-256.

use crate::crypto::{Binding, Sealed};
use crate::db::{Store, WriteTx, pairs};
use crate::error::StoreError;
use crate::tags::IAM_TAGS;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use coffer_aws::Timestamp;
use coffer_aws::secret::{ExposeSecret, SecretString};
use rand::seq::IndexedRandom as _;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

/// `(name, value)` pairs: policies by name, tags by key.
type Pairs = Vec<(String, String)>;

/// Whether a principal is a user or a role (the `kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    User,
    Role,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "user" => Ok(PrincipalKind::User),
            "role" => Ok(PrincipalKind::Role),
            other => Err(StoreError::Corrupt(format!("unknown principal kind {other:?}"))),
        }
    }

    /// The prefix AWS gives this kind's unique ids.
    pub fn id_prefix(self) -> &'static str {
        match self {
            PrincipalKind::User => "AIDA",
            PrincipalKind::Role => "AROA",
        }
    }
}

/// A user or role row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalRecord {
    pub id: i64,
    pub account: String,
    pub kind: PrincipalKind,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub unique_id: String,
    /// Roles only: the trust policy (AssumeRolePolicyDocument), JSON text.
    pub trust_policy: Option<String>,
    pub description: Option<String>,
    /// Roles only.
    pub max_session_seconds: Option<i64>,
    pub created: Timestamp,
}

/// What creating a principal records.
#[derive(Clone, Debug)]
pub struct NewPrincipal<'a> {
    pub account: &'a str,
    pub kind: PrincipalKind,
    pub name: &'a str,
    pub path: &'a str,
    pub arn: &'a str,
    pub unique_id: &'a str,
    pub trust_policy: Option<&'a str>,
    pub description: Option<&'a str>,
    pub max_session_seconds: Option<i64>,
    pub created: Timestamp,
}

/// An access key as listings show it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyMeta {
    pub access_key_id: String,
    /// `None`: the account root's key.
    pub principal_id: Option<i64>,
    pub status: String,
    pub created: Timestamp,
}

/// What creating an access key records. The secret is sealed on insert.
#[derive(Debug)]
pub struct NewAccessKey<'a> {
    pub account: &'a str,
    pub access_key_id: &'a str,
    /// `None`: the account root. For a session, the role.
    pub principal_id: Option<i64>,
    pub status: &'a str,
    pub created: Timestamp,
    pub secret_access_key: &'a SecretString,
    /// Temporary credentials only: when they stop working.
    pub expires: Option<Timestamp>,
    /// Temporary credentials only: [`session_token_hash`] of the session token.
    pub session_token_hash: Option<&'a str>,
    /// Temporary credentials only: the RoleSessionName.
    pub session_name: Option<&'a str>,
    /// Temporary credentials only: the session policy (AssumeRole `Policy`).
    pub session_policy: Option<&'a str>,
}

/// The principal an access key belongs to, as the request verifier needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPrincipal {
    pub id: i64,
    pub kind: PrincipalKind,
    pub name: String,
    pub path: String,
    /// The user's or role's IAM ARN (for a session, the role's ARN, not the assumed-role ARN).
    pub arn: String,
    pub unique_id: String,
}

/// Everything verifying a request signed with one access key needs, read in two queries
/// (one for a root key). Debug never shows the secret.
#[derive(Clone, Debug)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub account: String,
    /// `None`: the account root.
    pub principal: Option<KeyPrincipal>,
    pub secret_access_key: SecretString,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: Timestamp,
    /// Temporary credentials only.
    pub expires: Option<Timestamp>,
    /// Temporary credentials only: lowercase hex SHA-256 of the session token.
    pub session_token_hash: Option<String>,
    /// Temporary credentials only.
    pub session_name: Option<String>,
    /// Temporary credentials only: the session policy, which limits the principal's policies.
    pub session_policy: Option<String>,
    /// The principal's inline policies, `(name, document)`, sorted by name.
    pub policies: Vec<(String, String)>,
    /// The principal's tags, `(key, value)`, sorted by key.
    pub tags: Vec<(String, String)>,
}

impl AccessKeyRecord {
    /// Whether these are temporary (STS) credentials.
    pub fn is_session(&self) -> bool {
        self.session_token_hash.is_some()
    }
}

/// The binding a secret access key is sealed with.
pub fn binding<'a>(account: &'a str, access_key_id: &'a str) -> Binding<'a> {
    Binding { account, region: "global", service: "iam", resource: access_key_id, version: "1" }
}

const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new unique id with AWS's shape: the kind's prefix (`AIDA`, `AROA`) + 17 characters.
pub fn generate_unique_id(kind: PrincipalKind) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..17).map(|_| char::from(*ID_CHARS.choose(&mut rng).expect("non-empty"))).collect();
    format!("{}{tail}", kind.id_prefix())
}

/// A new session token: base64 of 96 random bytes.
pub fn generate_session_token() -> Result<SecretString, StoreError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 96]);
    SystemRandom::new().fill(bytes.as_mut()).map_err(|_| crate::CryptoError::Random)?;
    Ok(SecretString::from(base64::engine::general_purpose::STANDARD.encode(bytes.as_ref())))
}

/// What the store keeps of a session token: its SHA-256, lowercase hex.
pub fn session_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

const PRINCIPAL_COLUMNS: &str =
    "id, account, kind, name, path, arn, unique_id, trust_policy, description, max_session_seconds, created_ms";

fn principal(row: &AnyRow) -> Result<PrincipalRecord, StoreError> {
    Ok(PrincipalRecord {
        id: row.try_get("id")?,
        account: row.try_get("account")?,
        kind: PrincipalKind::parse(&row.try_get::<String, _>("kind")?)?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        arn: row.try_get("arn")?,
        unique_id: row.try_get("unique_id")?,
        trust_policy: row.try_get("trust_policy")?,
        description: row.try_get("description")?,
        max_session_seconds: row.try_get("max_session_seconds")?,
        created: Timestamp(row.try_get("created_ms")?),
    })
}

fn key_meta(row: &AnyRow) -> Result<AccessKeyMeta, StoreError> {
    Ok(AccessKeyMeta {
        access_key_id: row.try_get("access_key_id")?,
        principal_id: row.try_get("principal_id")?,
        status: row.try_get("status")?,
        created: Timestamp(row.try_get("created_ms")?),
    })
}

/// Which principals a listing covers.
#[derive(Clone, Debug)]
pub struct PrincipalListing<'a> {
    pub kind: PrincipalKind,
    /// Only paths starting with this.
    pub path_prefix: Option<&'a str>,
    /// Only names after this one, in listing order (case-insensitive; keyset pagination).
    pub after: Option<&'a str>,
    pub limit: i64,
}

impl Store {
    /// A user or role by name (any case).
    pub async fn iam_principal(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>, StoreError> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM iam_principals WHERE account = $1 AND kind = $2 AND lower(name) = lower($3)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account)
            .bind(kind.as_str())
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(principal).transpose()
    }

    /// Users or roles ordered by name (case-insensitively), as ListUsers/ListRoles page them.
    pub async fn iam_list_principals(
        &self,
        account: &str,
        listing: &PrincipalListing<'_>,
    ) -> Result<Vec<PrincipalRecord>, StoreError> {
        let prefix = listing.path_prefix.unwrap_or("/");
        let after = listing.after.unwrap_or("");
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM iam_principals WHERE account = $1 AND kind = $2 \
             AND substr(path, 1, length($3)) = $3 AND lower(name) > lower($4) ORDER BY lower(name) LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account)
            .bind(listing.kind.as_str())
            .bind(prefix)
            .bind(after)
            .bind(listing.limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(principal).collect()
    }

    pub async fn iam_tags(&self, principal_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        IAM_TAGS.list(self.reader(), principal_id).await
    }

    /// An inline policy's document.
    pub async fn iam_policy(&self, principal_id: i64, policy_name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT document FROM iam_inline_policies WHERE principal_id = $1 AND policy_name = $2")
            .bind(principal_id)
            .bind(policy_name)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.try_get("document")).transpose()?)
    }

    /// What decides a principal's requests, in one query: its inline policies
    /// `(name, document)` sorted by name, and its tags `(key, value)` sorted by key.
    pub async fn iam_policies_and_tags(&self, principal_id: i64) -> Result<(Pairs, Pairs), StoreError> {
        let rows = sqlx::query(
            "SELECT 'p' AS what, policy_name AS k, document AS v FROM iam_inline_policies WHERE principal_id = $1 \
             UNION ALL SELECT 't' AS what, tag_key AS k, tag_value AS v FROM iam_principal_tags WHERE principal_id = $1 \
             ORDER BY what, k",
        )
        .bind(principal_id)
        .fetch_all(self.reader())
        .await?;
        let (mut policies, mut tags) = (Vec::new(), Vec::new());
        for r in &rows {
            let what: String = r.try_get("what")?;
            let pair = (r.try_get("k")?, r.try_get("v")?);
            if what == "p" { policies.push(pair) } else { tags.push(pair) }
        }
        Ok((policies, tags))
    }

    /// Inline policy names after `after`, sorted.
    pub async fn iam_policy_names(
        &self,
        principal_id: i64,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT policy_name FROM iam_inline_policies WHERE principal_id = $1 AND policy_name > $2 \
             ORDER BY policy_name LIMIT $3",
        )
        .bind(principal_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| Ok(r.try_get("policy_name")?)).collect()
    }

    /// Long-term access keys of a user (or, with `None`, of the account root), ordered by
    /// access key id, after `after`. Session keys are not listed.
    pub async fn iam_access_keys(
        &self,
        account: &str,
        principal_id: Option<i64>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AccessKeyMeta>, StoreError> {
        let rows = sqlx::query(
            "SELECT access_key_id, principal_id, status, created_ms FROM iam_access_keys \
             WHERE account = $1 AND ((principal_id IS NULL AND $2 IS NULL) OR principal_id = $2) \
             AND expires_ms IS NULL AND access_key_id > $3 ORDER BY access_key_id LIMIT $4",
        )
        .bind(account)
        .bind(principal_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(key_meta).collect()
    }

    /// Everything the SigV4 verifier needs about an access key, with its secret opened; `None`
    /// if no such key is stored. Expired and inactive keys are returned too (with their expiry
    /// and status), so the caller can answer `ExpiredToken` rather than an unknown key.
    pub async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT k.access_key_id, k.account, k.principal_id, k.status, k.created_ms, k.expires_ms, \
             k.session_token_hash, k.session_name, k.session_policy, k.ciphertext, k.wrapped_key, k.master_key_id, \
             p.kind, p.name, p.path, p.arn, p.unique_id \
             FROM iam_access_keys k LEFT JOIN iam_principals p ON p.id = k.principal_id \
             WHERE k.access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account: String = row.try_get("account")?;
        let sealed = Sealed {
            ciphertext: row.try_get("ciphertext")?,
            wrapped_key: row.try_get("wrapped_key")?,
            master_key_id: row.try_get("master_key_id")?,
        };
        let secret = self.open_sealed(&sealed, &binding(&account, access_key_id))?;
        let secret_access_key = secret
            .to_secret_string()
            .ok_or_else(|| StoreError::Corrupt(format!("secret of access key {access_key_id} is not UTF-8")))?;
        let principal_id: Option<i64> = row.try_get("principal_id")?;
        let principal = match principal_id {
            Some(id) => Some(KeyPrincipal {
                id,
                kind: PrincipalKind::parse(&row.try_get::<String, _>("kind")?)?,
                name: row.try_get("name")?,
                path: row.try_get("path")?,
                arn: row.try_get("arn")?,
                unique_id: row.try_get("unique_id")?,
            }),
            None => None,
        };
        let (policies, tags) = match &principal {
            Some(p) => self.iam_policies_and_tags(p.id).await?,
            None => Default::default(),
        };
        Ok(Some(AccessKeyRecord {
            access_key_id: row.try_get("access_key_id")?,
            account,
            principal,
            secret_access_key,
            status: row.try_get("status")?,
            created: Timestamp(row.try_get("created_ms")?),
            expires: row.try_get::<Option<i64>, _>("expires_ms")?.map(Timestamp),
            session_token_hash: row.try_get("session_token_hash")?,
            session_name: row.try_get("session_name")?,
            session_policy: row.try_get("session_policy")?,
            policies,
            tags,
        }))
    }
}

impl WriteTx {
    /// Creates a principal, or returns `None` if one of that kind and name (in any case)
    /// exists in the account.
    pub async fn iam_create_principal(
        &mut self,
        new: &NewPrincipal<'_>,
    ) -> Result<Option<PrincipalRecord>, StoreError> {
        let sql = format!(
            "INSERT INTO iam_principals (account, kind, name, path, arn, unique_id, trust_policy, description, \
             max_session_seconds, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING RETURNING {PRINCIPAL_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(new.account)
            .bind(new.kind.as_str())
            .bind(new.name)
            .bind(new.path)
            .bind(new.arn)
            .bind(new.unique_id)
            .bind(new.trust_policy)
            .bind(new.description)
            .bind(new.max_session_seconds)
            .bind(new.created.millis())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(principal).transpose()
    }

    /// Finds a principal by name (any case) and locks its row until the transaction ends.
    pub async fn iam_lock_principal(
        &mut self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>, StoreError> {
        let sql = format!(
            "UPDATE iam_principals SET name = name WHERE account = $1 AND kind = $2 AND lower(name) = lower($3) \
             RETURNING {PRINCIPAL_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account)
            .bind(kind.as_str())
            .bind(name)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(principal).transpose()
    }

    /// Removes a principal with its tags, inline policies and access keys (sessions included).
    pub async fn iam_delete_principal(&mut self, principal_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM iam_principals WHERE id = $1").bind(principal_id).execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn iam_tags(&mut self, principal_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        IAM_TAGS.list(&mut *self.tx, principal_id).await
    }

    pub async fn iam_put_tag(&mut self, principal_id: i64, key: &str, value: &str) -> Result<(), StoreError> {
        IAM_TAGS.put(&mut *self.tx, principal_id, key, value).await
    }

    pub async fn iam_remove_tag(&mut self, principal_id: i64, key: &str) -> Result<(), StoreError> {
        IAM_TAGS.remove(&mut *self.tx, principal_id, key).await
    }

    /// All inline policies of a principal, `(name, document)` sorted by name.
    pub async fn iam_policies(&mut self, principal_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT policy_name, document FROM iam_inline_policies WHERE principal_id = $1 ORDER BY policy_name",
        )
        .bind(principal_id)
        .fetch_all(&mut *self.tx)
        .await?;
        pairs(&rows, "policy_name", "document")
    }

    /// Creates or replaces an inline policy.
    pub async fn iam_put_policy(
        &mut self,
        principal_id: i64,
        policy_name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO iam_inline_policies (principal_id, policy_name, document) VALUES ($1, $2, $3) \
             ON CONFLICT (principal_id, policy_name) DO UPDATE SET document = excluded.document",
        )
        .bind(principal_id)
        .bind(policy_name)
        .bind(document)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes an inline policy; returns whether it was there.
    pub async fn iam_delete_policy(&mut self, principal_id: i64, policy_name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM iam_inline_policies WHERE principal_id = $1 AND policy_name = $2")
            .bind(principal_id)
            .bind(policy_name)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// How many long-term access keys a user (or, with `None`, the account root) has.
    pub async fn iam_count_access_keys(&mut self, account: &str, principal_id: Option<i64>) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM iam_access_keys WHERE account = $1 \
             AND ((principal_id IS NULL AND $2 IS NULL) OR principal_id = $2) AND expires_ms IS NULL",
        )
        .bind(account)
        .bind(principal_id)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Seals the secret and stores the key.
    pub async fn iam_insert_access_key(&mut self, key: &NewAccessKey<'_>) -> Result<(), StoreError> {
        let sealed =
            self.seal(key.secret_access_key.expose_secret().as_bytes(), &binding(key.account, key.access_key_id))?;
        sqlx::query(
            "INSERT INTO iam_access_keys (access_key_id, account, principal_id, status, created_ms, expires_ms, \
             session_token_hash, session_name, session_policy, ciphertext, wrapped_key, master_key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(key.access_key_id)
        .bind(key.account)
        .bind(key.principal_id)
        .bind(key.status)
        .bind(key.created.millis())
        .bind(key.expires.map(Timestamp::millis))
        .bind(key.session_token_hash)
        .bind(key.session_name)
        .bind(key.session_policy)
        .bind(sealed.ciphertext)
        .bind(sealed.wrapped_key)
        .bind(sealed.master_key_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes a long-term access key of the given user (or, with `None`, of the account
    /// root); returns whether it was there.
    pub async fn iam_delete_access_key(
        &mut self,
        account: &str,
        principal_id: Option<i64>,
        access_key_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM iam_access_keys WHERE account = $1 AND access_key_id = $2 \
             AND ((principal_id IS NULL AND $3 IS NULL) OR principal_id = $3) AND expires_ms IS NULL",
        )
        .bind(account)
        .bind(access_key_id)
        .bind(principal_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes session keys that expired before `before`; returns how many.
    pub async fn iam_purge_sessions(&mut self, before: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM iam_access_keys WHERE expires_ms IS NOT NULL AND expires_ms < $1")
            .bind(before.millis())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }
}
