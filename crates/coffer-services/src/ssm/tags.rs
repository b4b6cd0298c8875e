//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource (ResourceType `Parameter`).

use super::errors::{invalid_resource_id, invalid_resource_type, too_many_tags};
use super::model::{
    AddTagsToResourceInput, Empty, ListTagsForResourceInput, ListTagsForResourceOutput, RemoveTagsFromResourceInput,
    Tag,
};
use super::{MAX_TAGS, Ssm};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::json::constraint;
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts, RequestTags, ResourceFacts};
use coffer_aws::ssm_name::ParameterName;

fn parameter_name(ctx: &RequestContext, resource_type: &str, resource_id: &str) -> OpResult<ParameterName> {
    // Any other of the model's resource types (the input's constraints allow only those).
    if resource_type != "Parameter" {
        return Err(invalid_resource_type().into());
    }
    Ok(ParameterName::parse_name_or_arn(resource_id, &ctx.scope).map_err(|_| invalid_resource_id())?)
}

impl Ssm {
    pub async fn add_tags_to_resource(&self, ctx: &RequestContext, input: AddTagsToResourceInput) -> OpResult<Empty> {
        input.check()?;
        let name = parameter_name(ctx, &input.resource_type, &input.resource_id)?;
        let tags = input.tags.unwrap_or_default();
        if tags.is_empty() {
            return Err(constraint("[]", "tags", "Member must have length greater than or equal to 1").into());
        }
        let pairs: Vec<(String, String)> = tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
        let mut tx = self.store.begin().await?;
        let record = self
            .lock_authorized(
                ctx,
                &mut tx,
                &name,
                SsmOperation::AddTagsToResource.action(),
                RequestFacts::tags(RequestTags::Set(&pairs)),
            )
            .await?
            .ok_or_else(invalid_resource_id)?;
        let existing = tx.ssm_tags(record.id).await?;
        let added = tags
            .iter()
            .filter(|t| !existing.iter().any(|(k, _)| k == &t.key))
            .map(|t| &t.key)
            .collect::<std::collections::BTreeSet<_>>();
        if existing.len() + added.len() > MAX_TAGS {
            return Err(too_many_tags().into());
        }
        for tag in &tags {
            tx.ssm_put_tag(record.id, &tag.key, &tag.value).await?;
        }
        tx.commit().await?;
        Ok(Empty {})
    }

    pub async fn remove_tags_from_resource(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsFromResourceInput,
    ) -> OpResult<Empty> {
        input.check()?;
        let name = parameter_name(ctx, &input.resource_type, &input.resource_id)?;
        let keys = input.tag_keys.unwrap_or_default();
        let mut tx = self.store.begin().await?;
        let record = self
            .lock_authorized(
                ctx,
                &mut tx,
                &name,
                SsmOperation::RemoveTagsFromResource.action(),
                RequestFacts::tags(RequestTags::Removed(&keys)),
            )
            .await?
            .ok_or_else(invalid_resource_id)?;
        for key in &keys {
            tx.ssm_remove_tag(record.id, key).await?;
        }
        tx.commit().await?;
        Ok(Empty {})
    }

    pub async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceInput,
    ) -> OpResult<ListTagsForResourceOutput> {
        input.check()?;
        let name = parameter_name(ctx, &input.resource_type, &input.resource_id)?;
        let arn = name.arn(&ctx.scope);
        let Some(record) = self.store.ssm_parameter(&ctx.scope, name.canonical()).await? else {
            ctx.authorize(SsmOperation::ListTagsForResource.action(), &arn)?;
            return Err(invalid_resource_id().into());
        };
        // The answer is the tags, so they are read once and authorized against.
        let tags = self.store.ssm_tags(record.id).await?;
        ctx.authorize_with(
            SsmOperation::ListTagsForResource.action(),
            &arn,
            &ResourceFacts { tags: &tags, ..ResourceFacts::default() },
        )?;
        Ok(ListTagsForResourceOutput { tag_list: tags.into_iter().map(|(key, value)| Tag { key, value }).collect() })
    }
}
