//! AWS Secrets Manager (`secretsmanager.*`).
//!
//! A secret is a row with metadata, tags and versions; each version holds one sealed value
//! and is addressed by its `VersionId` (the request's `ClientRequestToken`, or a UUID) and
//! by the staging labels attached to it. Exactly one version carries `AWSCURRENT` once the
//! secret has a value; moving `AWSCURRENT` moves `AWSPREVIOUS` to the version it left.
//! Versions without labels are deprecated; at most [`MAX_VERSIONS`] are kept, and labelled
//! versions are never dropped.
//!
//! Every operation validates the request, then finds the secret (a read), then authorizes
//! the action on the secret's full ARN, and only then writes or decrypts. A caller that may
//! not perform the action on a missing secret gets the authorization error, not
//! `ResourceNotFoundException`, so existence does not leak.

mod constraints;
mod create;
mod delete;
mod describe;
pub mod errors;
mod filters;
mod labels;
pub mod model;
mod password;
pub use password::generate as random_password;
mod policy;
mod replication;
pub mod rotate;
mod tags;
#[cfg(test)]
mod tests;
mod update;
mod validate;
mod value;

use crate::error::{OpError, OpResult};
use crate::json::{decode, encode};
use crate::operation::SecretsManagerOperation;
use crate::ssm::model::{Parameter, WireValue};
use crate::{RequestContext, RequestFacts, ResourceFacts};
use coffer_aws::secret::SecretString;
use coffer_aws::sm_name::{SecretId, ends_like_suffix};
use coffer_aws::{AwsError, MessageKey, Scope, Timestamp};
use coffer_store::secrets::{SecretRecord, SecretVersion, ValueKind};
use coffer_store::{Store, WriteTx};
use errors::secret_not_found;
use model::{SecretDescription, Tag};
use std::collections::BTreeMap;

/// SSM names under this prefix read Secrets Manager secrets (AWS's Parameter Store bridge).
pub const SSM_REFERENCE_PREFIX: &str = "/aws/reference/secretsmanager/";

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
pub const AWSPENDING: &str = "AWSPENDING";
/// The key AWS uses when none is given; DescribeSecret does not echo it.
pub const DEFAULT_KMS_KEY: &str = "alias/aws/secretsmanager";
/// At most this many versions are kept; older deprecated (unlabelled) ones are deleted.
pub const MAX_VERSIONS: usize = 100;

#[derive(Clone, Debug)]
pub struct SecretsManager {
    store: Store,
}

/// Policies are evaluated against a secret's full ARN, but AWS's denial names the secret as
/// the caller did (`… on resource: mysql`).
pub(crate) fn named_as_called(secret_id: &str) -> impl FnOnce(OpError) -> OpError + '_ {
    move |e| match e {
        OpError::AccessDenied(denial) => OpError::AccessDenied(denial.naming(secret_id)),
        other => other,
    }
}

/// What a `SecretId` resolved to.
pub(crate) enum Lookup {
    /// The secret, with its tags when the request's authorizer needs resource facts (read
    /// with the secret: one query instead of two).
    Found(Box<SecretRecord>, Option<Vec<(String, String)>>),
    /// No such secret; `arn` is the ARN the caller named (for authorization).
    Missing { arn: String },
}

/// The labels of a secret and the version of the stage a read asked for, read together with
/// the secret ([`SecretsManager::lookup_for_read`]).
pub(crate) struct Staged {
    pub stages: Vec<(String, String)>,
    pub version: Option<SecretVersion>,
}

impl SecretsManager {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Deletes, with their versions, every secret (all accounts and regions) whose recovery
    /// window has ended; returns how many. Operations also purge such secrets lazily when
    /// they meet them, so calling this (e.g. from a periodic task) only reclaims space sooner.
    pub async fn purge_expired(&self) -> Result<u64, coffer_store::StoreError> {
        self.store.sm_purge_expired(None, Timestamp::now()).await
    }

    /// Runs the operation `op` on a JSON request body and returns the JSON response body.
    pub async fn call(&self, op: SecretsManagerOperation, ctx: &RequestContext, body: &[u8]) -> OpResult<Vec<u8>> {
        match op {
            SecretsManagerOperation::CreateSecret => encode(&self.create_secret(ctx, decode(body)?).await?),
            SecretsManagerOperation::GetSecretValue => encode(&self.get_secret_value(ctx, decode(body)?).await?),
            SecretsManagerOperation::BatchGetSecretValue => {
                encode(&self.batch_get_secret_value(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::PutSecretValue => encode(&self.put_secret_value(ctx, decode(body)?).await?),
            SecretsManagerOperation::UpdateSecret => encode(&self.update_secret(ctx, decode(body)?).await?),
            SecretsManagerOperation::DescribeSecret => encode(&self.describe_secret(ctx, decode(body)?).await?),
            SecretsManagerOperation::ListSecrets => encode(&self.list_secrets(ctx, decode(body)?).await?),
            SecretsManagerOperation::ListSecretVersionIds => {
                encode(&self.list_secret_version_ids(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::DeleteSecret => encode(&self.delete_secret(ctx, decode(body)?).await?),
            SecretsManagerOperation::RestoreSecret => encode(&self.restore_secret(ctx, decode(body)?).await?),
            SecretsManagerOperation::TagResource => encode(&self.tag_resource(ctx, decode(body)?).await?),
            SecretsManagerOperation::UntagResource => encode(&self.untag_resource(ctx, decode(body)?).await?),
            SecretsManagerOperation::UpdateSecretVersionStage => {
                encode(&self.update_secret_version_stage(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::GetRandomPassword => encode(&self.get_random_password(ctx, decode(body)?).await?),
            SecretsManagerOperation::PutResourcePolicy => encode(&self.put_resource_policy(ctx, decode(body)?).await?),
            SecretsManagerOperation::GetResourcePolicy => encode(&self.get_resource_policy(ctx, decode(body)?).await?),
            SecretsManagerOperation::DeleteResourcePolicy => {
                encode(&self.delete_resource_policy(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::ValidateResourcePolicy => {
                encode(&self.validate_resource_policy(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::RotateSecret => encode(&self.rotate_secret(ctx, decode(body)?).await?),
            SecretsManagerOperation::CancelRotateSecret => {
                encode(&self.cancel_rotate_secret(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::ReplicateSecretToRegions => {
                encode(&self.replicate_secret_to_regions(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::RemoveRegionsFromReplication => {
                encode(&self.remove_regions_from_replication(ctx, decode(body)?).await?)
            }
            SecretsManagerOperation::StopReplicationToReplica => {
                encode(&self.stop_replication_to_replica(ctx, decode(body)?).await?)
            }
        }
    }

    /// Finds the secret a `SecretId` names: a name, a full ARN, or a partial ARN (without the
    /// 6-character suffix). As in AWS, an ARN whose resource ends in `-` + 6 alphanumerics is
    /// always read as a full ARN, so a partial ARN of a name that itself ends that way finds
    /// nothing (AWS docs, "Finding a secret from a partial ARN"). A secret whose recovery
    /// window has ended is purged here and reported missing.
    pub(crate) async fn lookup(&self, ctx: &RequestContext, secret_id: &str) -> OpResult<Lookup> {
        Ok(self.lookup_with(ctx, secret_id, None).await?.0)
    }

    /// [`Self::lookup`] that also reads, in the same query, what reading the value of `stage`
    /// needs (GetSecretValue sits on every process start of `coffer run`).
    pub(crate) async fn lookup_for_read(
        &self,
        ctx: &RequestContext,
        secret_id: &str,
        stage: &str,
    ) -> OpResult<(Lookup, Option<Staged>)> {
        self.lookup_with(ctx, secret_id, Some(stage)).await
    }

    async fn lookup_with(
        &self,
        ctx: &RequestContext,
        secret_id: &str,
        stage: Option<&str>,
    ) -> OpResult<(Lookup, Option<Staged>)> {
        let scope = &ctx.scope;
        let (name, suffix, arn) = match SecretId::parse(secret_id)? {
            SecretId::Name(name) => {
                let arn = scope.arn(coffer_store::secrets::SERVICE, &format!("secret:{name}"));
                (name, None, arn)
            }
            SecretId::Arn { partition, region, account, resource } => {
                if partition != scope.partition() || region != scope.region || account != scope.account {
                    return Ok((Lookup::Missing { arn: secret_id.to_owned() }, None));
                }
                if ends_like_suffix(&resource) {
                    let (name, suffix) = resource.split_at(resource.len() - 7);
                    (name.to_owned(), Some(suffix[1..].to_owned()), secret_id.to_owned())
                } else {
                    (resource, None, secret_id.to_owned())
                }
            }
        };
        let found =
            match stage {
                Some(stage) => self.store.sm_secret_for_read(scope, &name, stage).await.map(|f| {
                    f.map(|r| (r.record, Some(r.tags), Some(Staged { stages: r.stages, version: r.version })))
                }),
                None if ctx.needs_resource_facts() => self
                    .store
                    .sm_secret_with_tags(scope, &name)
                    .await
                    .map(|f| f.map(|(record, tags)| (record, Some(tags), None))),
                None => self.store.sm_secret(scope, &name).await.map(|f| f.map(|record| (record, None, None))),
            };
        let missing = (Lookup::Missing { arn: arn.clone() }, None);
        let Some((record, tags, staged)) = found? else {
            return Ok(missing);
        };
        if suffix.as_deref().is_some_and(|s| s != record.arn_suffix) {
            return Ok(missing);
        }
        let now = Timestamp::now();
        if record.is_expired(now) {
            self.store.sm_purge_expired(Some(scope), now).await?;
            return Ok(missing);
        }
        Ok((Lookup::Found(Box::new(record), tags), staged))
    }

    /// [`Self::lookup`], then authorizes `action` on the secret (or, when it is missing, on
    /// the ARN the caller named, before saying so).
    pub(crate) async fn authorized(
        &self,
        ctx: &RequestContext,
        action: &str,
        secret_id: &str,
    ) -> OpResult<SecretRecord> {
        self.authorized_with(ctx, action, secret_id, RequestFacts::default()).await
    }

    /// [`Self::authorized`] with what the request carries (condition keys such as
    /// `secretsmanager:VersionStage`, tags set or removed).
    pub(crate) async fn authorized_with(
        &self,
        ctx: &RequestContext,
        action: &str,
        secret_id: &str,
        request: RequestFacts<'_>,
    ) -> OpResult<SecretRecord> {
        let found = self.lookup(ctx, secret_id).await?;
        self.authorize_lookup(ctx, action, secret_id, found, request).await
    }

    /// Authorizes `action` on what a lookup of `secret_id` found (or on the ARN the caller
    /// named, before saying it is missing).
    pub(crate) async fn authorize_lookup(
        &self,
        ctx: &RequestContext,
        action: &str,
        secret_id: &str,
        found: Lookup,
        request: RequestFacts<'_>,
    ) -> OpResult<SecretRecord> {
        match found {
            Lookup::Found(record, tags) => {
                self.authorize_on(ctx, action, &record, tags.as_deref(), request)
                    .await
                    .map_err(named_as_called(secret_id))?;
                Ok(*record)
            }
            Lookup::Missing { arn } => {
                ctx.authorize_with(action, &arn, &ResourceFacts::of_request(request))
                    .map_err(|denial| denial.naming(secret_id))?;
                Err(secret_not_found().into())
            }
        }
    }

    /// Authorizes `action` on an existing secret, with its tags and resource policy as facts
    /// for the policy engine (tags loaded unless the caller has them already).
    pub(crate) async fn authorize_on(
        &self,
        ctx: &RequestContext,
        action: &str,
        record: &SecretRecord,
        tags: Option<&[(String, String)]>,
        request: RequestFacts<'_>,
    ) -> OpResult<()> {
        let arn = record.arn(&ctx.scope);
        if !ctx.needs_resource_facts() {
            return Ok(ctx.authorize_with(action, &arn, &ResourceFacts::of_request(request))?);
        }
        let loaded;
        let tags = match tags {
            Some(tags) => tags,
            None => {
                loaded = self.store.sm_tags(record.id).await?;
                &loaded
            }
        };
        let facts = ResourceFacts { tags, resource_policy: record.resource_policy.as_deref(), request };
        Ok(ctx.authorize_with(action, &arn, &facts)?)
    }

    /// How every write to an existing secret starts: [`Self::authorized`] `action` on
    /// `secret_id`, then a write transaction with the secret's row locked ([`Self::lock`]).
    pub(crate) async fn locked(
        &self,
        ctx: &RequestContext,
        action: &str,
        secret_id: &str,
    ) -> OpResult<(WriteTx, SecretRecord)> {
        self.locked_with(ctx, action, secret_id, RequestFacts::default()).await
    }

    /// [`Self::locked`] with what the request carries (see [`Self::authorized_with`]).
    pub(crate) async fn locked_with(
        &self,
        ctx: &RequestContext,
        action: &str,
        secret_id: &str,
        request: RequestFacts<'_>,
    ) -> OpResult<(WriteTx, SecretRecord)> {
        let found = self.authorized_with(ctx, action, secret_id, request).await?;
        let mut tx = self.store.begin().await?;
        let record = self.lock(&mut tx, ctx, &found).await?;
        Ok((tx, record))
    }

    /// Locks the row of a secret found by [`Self::authorized`] for the rest of `tx`, to change
    /// it. If it was deleted or replaced meanwhile, it is missing; a replica is read-only.
    pub(crate) async fn lock(
        &self,
        tx: &mut WriteTx,
        ctx: &RequestContext,
        found: &SecretRecord,
    ) -> OpResult<SecretRecord> {
        match tx.sm_lock(&ctx.scope, &found.name).await? {
            Some(record) if record.id == found.id && !record.is_expired(Timestamp::now()) => {
                if replication::is_replica(&record, &ctx.scope) {
                    return Err(replication::replica_is_read_only().into());
                }
                Ok(record)
            }
            _ => Err(secret_not_found().into()),
        }
    }

    /// Decrypts a version into the wire members (`SecretString` or `SecretBinary`).
    pub(crate) fn open_value(
        &self,
        scope: &Scope,
        record: &SecretRecord,
        version: &SecretVersion,
    ) -> OpResult<(Option<WireValue>, Option<model::WireBlob>)> {
        let plain = self.store.sm_open(scope, record, version)?;
        Ok(match version.kind {
            ValueKind::String => {
                let text =
                    plain.to_secret_string().ok_or_else(|| crate::error::internal(crate::Service::SecretsManager))?;
                (Some(WireValue(text)), None)
            }
            ValueKind::Binary => (None, Some(model::WireBlob(plain))),
        })
    }

    /// Remembers that a version was read today (AWS keeps `LastAccessedDate` per day). A
    /// failure here is logged, not reported: the read itself succeeded.
    pub(crate) async fn record_access(&self, record: &SecretRecord, version: &SecretVersion) {
        let today = Timestamp::now().truncate_to_day();
        if record.last_accessed == Some(today) && version.last_accessed == Some(today) {
            return;
        }
        if let Err(err) = self.store.sm_record_access(record.id, &version.version_id, today).await {
            tracing::warn!(error = %err, "could not record LastAccessedDate");
        }
    }

    /// `GetParameter(s)` on `/aws/reference/secretsmanager/<secret-id>`: the secret's
    /// AWSCURRENT value as a SecureString parameter, or `None` if there is no such secret.
    ///
    /// As in AWS, the parameter is `Type: SecureString`, `Version: 0`, `DataType: text`,
    /// `SourceResult` is the secret's DescribeSecret output as JSON, `ARN` is the secret's
    /// ARN and `LastModifiedDate` its `LastChangedDate`. A `:<VersionId>` or
    /// `:<VersionStage>` suffix selects another version. A binary secret's value is base64.
    ///
    /// Two authorizations, as AWS makes them: `ssm_action` (GetParameter or GetParameters) on
    /// the reference parameter's ARN, then `secretsmanager:GetSecretValue` on the secret. A
    /// denial of the second names the secret as the caller did, whether it exists or not.
    pub async fn ssm_reference(
        &self,
        ctx: &RequestContext,
        ssm_action: &str,
        requested_name: &str,
        secret_id: &str,
        with_decryption: bool,
    ) -> OpResult<Option<Parameter>> {
        if !with_decryption {
            return Err(crate::json::validation(
                "WithDecryption flag must be True for retrieving a Secret Manager secret.",
            )
            .into());
        }
        let (id, selector) = split_selector(secret_id);
        ctx.authorize(ssm_action, &ctx.scope.arn("ssm", &format!("parameter{SSM_REFERENCE_PREFIX}{id}")))?;
        if SecretId::parse(id).is_err() {
            return Ok(None);
        }
        let (record, tags) = match self.lookup(ctx, id).await? {
            Lookup::Found(record, tags) => (*record, tags),
            Lookup::Missing { arn } => {
                ctx.authorize(SecretsManagerOperation::GetSecretValue.action(), &arn)
                    .map_err(|e| named_as_called(id)(e.into()))?;
                return Ok(None);
            }
        };
        let arn = record.arn(&ctx.scope);
        let keys: Vec<(&str, &str)> = match selector {
            Some(sel) => vec![("secretsmanager:VersionStage", sel)],
            None => Vec::new(),
        };
        self.authorize_on(
            ctx,
            SecretsManagerOperation::GetSecretValue.action(),
            &record,
            tags.as_deref(),
            RequestFacts::keys(&keys),
        )
        .await
        .map_err(named_as_called(id))?;
        if record.is_deleted() {
            return Ok(None);
        }
        let version = match selector {
            None => self.store.sm_version_by_stage(record.id, AWSCURRENT).await?,
            Some(sel) => match self.store.sm_version(record.id, sel).await? {
                Some(v) => Some(v),
                None => self.store.sm_version_by_stage(record.id, sel).await?,
            },
        };
        let Some(version) = version else { return Ok(None) };
        let value = match self.open_value(&ctx.scope, &record, &version)? {
            (Some(text), _) => text,
            (None, Some(blob)) => {
                use base64::Engine as _;
                WireValue(SecretString::from(base64::engine::general_purpose::STANDARD.encode(blob.0.expose())))
            }
            (None, None) => return Err(crate::error::internal(crate::Service::SecretsManager).into()),
        };
        let stages = self.store.sm_stages(record.id).await?;
        let tags = self.store.sm_tags(record.id).await?;
        let description = describe(&ctx.scope, &record, &stages, &tags, false);
        let source_result =
            serde_json::to_string(&description).map_err(|_| crate::error::internal(crate::Service::SecretsManager))?;
        self.record_access(&record, &version).await;
        Ok(Some(Parameter {
            name: requested_name.to_owned(),
            param_type: coffer_aws::ParameterType::SecureString,
            value,
            version: 0,
            selector: selector.map(|s| format!(":{s}")),
            source_result: Some(source_result),
            last_modified_date: record.last_changed,
            arn,
            data_type: "text".to_owned(),
        }))
    }
}

/// Splits `<secret-id>[:<selector>]`. Names cannot contain `:`; an ARN has six before the name.
fn split_selector(reference: &str) -> (&str, Option<&str>) {
    let name_start = if reference.starts_with("arn:") {
        match reference.match_indices(':').nth(5) {
            Some((i, _)) => i + 1,
            None => return (reference, None),
        }
    } else {
        0
    };
    match reference[name_start..].find(':') {
        Some(i) => {
            let (id, sel) = reference.split_at(name_start + i);
            let sel = &sel[1..];
            (id, (!sel.is_empty()).then_some(sel))
        }
        None => (reference, None),
    }
}

pub fn ssm_reference_not_found(reference: &str) -> AwsError {
    AwsError::new(
        "ParameterNotFound",
        MessageKey::Lower,
        format!(
            "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret {reference} not found."
        ),
    )
}

/// `version_id -> sorted labels`, for the versions that have labels.
pub(crate) fn versions_to_stages(stages: &[(String, String)]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (stage, version) in stages {
        map.entry(version.clone()).or_default().push(stage.clone());
    }
    for labels in map.values_mut() {
        labels.sort();
    }
    map
}

/// The labels on one version, sorted.
pub(crate) fn labels_of(stages: &[(String, String)], version_id: &str) -> Vec<String> {
    let mut labels: Vec<String> = stages.iter().filter(|(_, v)| v == version_id).map(|(s, _)| s.clone()).collect();
    labels.sort();
    labels
}

pub(crate) fn echoed_kms_key(record: &SecretRecord) -> Option<String> {
    record.kms_key_id.clone().filter(|k| k != DEFAULT_KMS_KEY && k != "aws/secretsmanager")
}

/// DescribeSecret's output (or, with `list_entry`, ListSecrets' `SecretListEntry`).
pub(crate) fn describe(
    scope: &Scope,
    record: &SecretRecord,
    stages: &[(String, String)],
    tags: &[(String, String)],
    list_entry: bool,
) -> SecretDescription {
    // Rotation members appear once rotation was ever configured (as AWS shows them).
    let rotation_configured = record.rotation_enabled
        || record.rotation_rules.is_some()
        || record.rotation_lambda_arn.is_some()
        || record.last_rotated.is_some();
    let versions = (!stages.is_empty()).then(|| versions_to_stages(stages));
    let (version_ids_to_stages, secret_versions_to_stages) =
        if list_entry { (None, versions) } else { (versions, None) };
    SecretDescription {
        arn: record.arn(scope),
        name: record.name.clone(),
        secret_type: record.secret_type.clone(),
        description: record.description.clone(),
        kms_key_id: echoed_kms_key(record),
        rotation_enabled: rotation_configured.then_some(record.rotation_enabled),
        rotation_lambda_arn: record.rotation_lambda_arn.clone(),
        rotation_rules: record.rotation_rules.as_deref().and_then(|r| serde_json::from_str(r).ok()),
        last_rotated_date: record.last_rotated,
        last_changed_date: record.last_changed,
        last_accessed_date: record.last_accessed,
        deleted_date: record.deleted,
        next_rotation_date: record.next_rotation.filter(|_| record.rotation_enabled),
        tags: (record.tagged || !tags.is_empty())
            .then(|| tags.iter().map(|(k, v)| Tag { key: Some(k.clone()), value: Some(v.clone()) }).collect()),
        version_ids_to_stages,
        secret_versions_to_stages,
        owning_service: record.owning_service.clone(),
        created_date: record.created,
        primary_region: record.primary_region.clone(),
        replication_status: None,
    }
}
