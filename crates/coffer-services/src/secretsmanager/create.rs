//! CreateSecret.

use super::errors::{name_scheduled_for_deletion, secret_exists, token_in_use};
use super::model::{CreateSecretInput, CreateSecretOutput};
use super::validate::{self, NewValue, required};
use super::{AWSCURRENT, SecretsManager};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use crate::{RequestContext, RequestFacts, RequestTags, ResourceFacts};
use coffer_aws::Timestamp;
use coffer_aws::sm_name::SecretName;
use coffer_store::WriteTx;
use coffer_store::secrets::{NewSecret, SERVICE, SecretRecord};

/// The 6 random alphanumerics an ARN ends with (a recreated secret gets new ones).
pub(super) fn random_suffix() -> String {
    use rand::RngExt as _;
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(6).map(char::from).collect()
}

impl SecretsManager {
    pub async fn create_secret(&self, ctx: &RequestContext, input: CreateSecretInput) -> OpResult<CreateSecretOutput> {
        input.check()?;
        let name = SecretName::parse(required(&input.name, "name")?)?;
        let value = validate::value(input.secret_string.as_ref(), input.secret_binary.as_ref())?;
        let tags = validate::tags(input.tags.as_deref().unwrap_or_default());
        let replica_regions = input.add_replica_regions.as_deref().unwrap_or_default();

        let suffix = random_suffix();
        let arn = ctx.scope.arn(SERVICE, &format!("secret:{}-{suffix}", name.as_str()));
        // Tags in the request are `aws:RequestTag/…` for both actions, as in AWS.
        let request = ResourceFacts::of_request(RequestFacts::tags(RequestTags::set(&tags)));
        ctx.authorize_with(SecretsManagerOperation::CreateSecret.action(), &arn, &request)?;
        if !tags.is_empty() {
            ctx.authorize_with(SecretsManagerOperation::TagResource.action(), &arn, &request)?;
        }
        if !replica_regions.is_empty() {
            ctx.authorize_with(SecretsManagerOperation::ReplicateSecretToRegions.action(), &arn, &request)?;
        }

        let now = Timestamp::now();
        let token = validate::token_or_uuid(input.client_request_token.as_deref());
        let mut tx = self.store.begin().await?;
        if let Some(existing) = tx.sm_lock(&ctx.scope, name.as_str()).await? {
            if existing.is_expired(now) {
                // The recovery window is over: the old secret is gone for good.
                tx.sm_delete(existing.id).await?;
            } else {
                let output = self.repeated_create(&mut tx, ctx, &existing, &token, value.as_ref()).await?;
                return Ok(output);
            }
        }
        let new = NewSecret {
            name: name.as_str(),
            arn_suffix: &suffix,
            description: input.description.as_deref(),
            kms_key_id: input.kms_key_id.as_deref(),
            secret_type: input.secret_type.as_deref(),
            created: now,
        };
        let record = tx.sm_create(&ctx.scope, &new).await?.ok_or_else(|| secret_exists(name.as_str()))?;
        let version_id = match &value {
            Some(value) => {
                tx.sm_insert_version(&ctx.scope, &record, &token, value.kind, &value.bytes, now).await?;
                tx.sm_set_stage(record.id, AWSCURRENT, &token).await?;
                Some(token)
            }
            None => None,
        };
        for (key, value) in &tags {
            tx.sm_put_tag(record.id, key, value).await?;
        }
        let replication_status = match replica_regions {
            [] => None,
            regions => {
                let overwrite = input.force_overwrite_replica_secret.unwrap_or(false);
                Some(self.add_replicas(&mut tx, ctx, &record, regions, overwrite).await?)
            }
        };
        tx.commit().await?;
        Ok(CreateSecretOutput { arn: record.arn(&ctx.scope), name: record.name, version_id, replication_status })
    }

    /// CreateSecret on a name that exists: a retry with the same token and value succeeds
    /// without a change; anything else fails as AWS fails it.
    async fn repeated_create(
        &self,
        tx: &mut WriteTx,
        ctx: &RequestContext,
        existing: &SecretRecord,
        token: &str,
        value: Option<&NewValue>,
    ) -> OpResult<CreateSecretOutput> {
        let arn = existing.arn(&ctx.scope);
        ctx.authorize(SecretsManagerOperation::CreateSecret.action(), &arn)?;
        if existing.is_deleted() {
            return Err(name_scheduled_for_deletion().into());
        }
        if let Some(value) = value
            && let Some(version) = tx.sm_version(existing.id, token).await?
        {
            let stored = self.store.sm_open(&ctx.scope, existing, &version)?;
            if value.same_as(version.kind, &stored) {
                return Ok(CreateSecretOutput {
                    arn,
                    name: existing.name.clone(),
                    version_id: Some(token.to_owned()),
                    replication_status: None,
                });
            }
            return Err(token_in_use(token, &arn).into());
        }
        Err(secret_exists(&existing.name).into())
    }
}
