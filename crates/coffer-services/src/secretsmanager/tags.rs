//! TagResource and UntagResource.

use super::SecretsManager;
use super::errors::{limit_exceeded, marked_for_deletion};
use super::model::{Empty, TagResourceInput, UntagResourceInput};
use super::validate::{self, MAX_TAGS, required};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use crate::{RequestContext, RequestFacts, RequestTags};
use coffer_aws::Timestamp;

impl SecretsManager {
    /// TagResource: merges by key (an existing key gets the new value and keeps its place).
    pub async fn tag_resource(&self, ctx: &RequestContext, input: TagResourceInput) -> OpResult<Empty> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let tags = validate::tags(input.tags.as_deref().unwrap_or_default());
        let request = RequestFacts::tags(RequestTags::Set(&tags));
        let (mut tx, record) =
            self.locked_with(ctx, SecretsManagerOperation::TagResource.action(), secret_id, request).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let existing = tx.sm_tags(record.id).await?;
        let added = tags.iter().filter(|(k, _)| !existing.iter().any(|(e, _)| e == k)).count();
        if existing.len() + added > MAX_TAGS {
            return Err(limit_exceeded(format!("A secret can have at most {MAX_TAGS} tags.")).into());
        }
        for (key, value) in &tags {
            tx.sm_put_tag(record.id, key, value).await?;
        }
        tx.sm_set_changed(record.id, Timestamp::now()).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(Empty {})
    }

    /// UntagResource: removing a key the secret does not have is a no-op.
    pub async fn untag_resource(&self, ctx: &RequestContext, input: UntagResourceInput) -> OpResult<Empty> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let keys = input.tag_keys.as_deref().unwrap_or_default();
        let request = RequestFacts::tags(RequestTags::Removed(keys));
        let (mut tx, record) =
            self.locked_with(ctx, SecretsManagerOperation::UntagResource.action(), secret_id, request).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        for key in keys {
            tx.sm_remove_tag(record.id, key).await?;
        }
        tx.sm_set_changed(record.id, Timestamp::now()).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(Empty {})
    }
}
