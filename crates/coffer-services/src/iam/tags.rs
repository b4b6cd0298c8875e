//! TagUser, TagRole, UntagUser, UntagRole, ListUserTags, ListRoleTags. Tag keys compare
//! without regard to case, as in IAM; at most 50 tags per user or role.

use super::constraints::Of;
use super::model::{ListTagsInput, ListTagsOutput, TagInput, UntagInput};
use super::{Iam, MAX_TAGS, check_duplicate_tags, finish_page, page, quota};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::IamOperation;
use crate::{RequestContext, RequestFacts, RequestTags};
use coffer_store::iam::PrincipalKind;

/// What differs between the user and the role form of each tag operation.
struct Flavour {
    kind: PrincipalKind,
    tag: IamOperation,
    untag: IamOperation,
    list: IamOperation,
    quota: &'static str,
}

const USER: Flavour = Flavour {
    kind: PrincipalKind::User,
    tag: IamOperation::TagUser,
    untag: IamOperation::UntagUser,
    list: IamOperation::ListUserTags,
    quota: "TagsPerUser",
};

const ROLE: Flavour = Flavour {
    kind: PrincipalKind::Role,
    tag: IamOperation::TagRole,
    untag: IamOperation::UntagRole,
    list: IamOperation::ListRoleTags,
    quota: "TagsPerRole",
};

impl Iam {
    /// Adds tags, replacing the value (and the case) of a key already there.
    async fn tag(&self, ctx: &RequestContext, f: &Flavour, input: TagInput) -> OpResult<()> {
        Of(f.kind, &input).check_query()?;
        check_duplicate_tags(&input.tags)?;
        let request = RequestFacts::tags(RequestTags::Set(&input.tags));
        let record = self.authorized_principal_with(ctx, f.kind, &input.name, f.tag.action(), request).await?;

        let (mut tx, record) = self.begin_locked(ctx, f.kind, &record.name).await?;
        let mut existing = tx.iam_tags(record.id).await?;
        for (key, value) in &input.tags {
            if let Some(pos) = existing.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) {
                let (old, _) = existing.remove(pos);
                if old != *key {
                    tx.iam_remove_tag(record.id, &old).await?;
                }
            }
            existing.push((key.clone(), value.clone()));
            tx.iam_put_tag(record.id, key, value).await?;
        }
        if existing.len() > MAX_TAGS {
            return Err(quota(f.quota, MAX_TAGS).into());
        }
        Ok(tx.commit().await?)
    }

    /// Removes the tags with these keys; a key the user or role does not have is no error.
    async fn untag(&self, ctx: &RequestContext, f: &Flavour, input: UntagInput) -> OpResult<()> {
        Of(f.kind, &input).check_query()?;
        let request = RequestFacts::tags(RequestTags::Removed(&input.tag_keys));
        let record = self.authorized_principal_with(ctx, f.kind, &input.name, f.untag.action(), request).await?;

        let (mut tx, record) = self.begin_locked(ctx, f.kind, &record.name).await?;
        let existing = tx.iam_tags(record.id).await?;
        for (stored, _) in existing.iter().filter(|(k, _)| input.tag_keys.iter().any(|r| r.eq_ignore_ascii_case(k))) {
            tx.iam_remove_tag(record.id, stored).await?;
        }
        Ok(tx.commit().await?)
    }

    /// The tags, sorted by key, paged with `Marker`/`MaxItems` like every IAM list.
    async fn list_tags(&self, ctx: &RequestContext, f: &Flavour, input: ListTagsInput) -> OpResult<ListTagsOutput> {
        Of(f.kind, &input).check_query()?;
        let record = self.authorized_principal(ctx, f.kind, &input.name, f.list.action()).await?;
        let op = f.list;
        let (max, after) = page(op, &input.paging)?;
        let mut tags = self.store.iam_tags(record.id).await?;
        tags.sort();
        tags.retain(|(k, _)| after.as_deref().is_none_or(|after| k.as_str() > after));
        let (tags, marker) = finish_page(op, tags, max, |(k, _)| k.as_str());
        Ok(ListTagsOutput { tags, marker })
    }

    pub async fn tag_user(&self, ctx: &RequestContext, input: TagInput) -> OpResult<()> {
        self.tag(ctx, &USER, input).await
    }

    pub async fn tag_role(&self, ctx: &RequestContext, input: TagInput) -> OpResult<()> {
        self.tag(ctx, &ROLE, input).await
    }

    pub async fn untag_user(&self, ctx: &RequestContext, input: UntagInput) -> OpResult<()> {
        self.untag(ctx, &USER, input).await
    }

    pub async fn untag_role(&self, ctx: &RequestContext, input: UntagInput) -> OpResult<()> {
        self.untag(ctx, &ROLE, input).await
    }

    pub async fn list_user_tags(&self, ctx: &RequestContext, input: ListTagsInput) -> OpResult<ListTagsOutput> {
        self.list_tags(ctx, &USER, input).await
    }

    pub async fn list_role_tags(&self, ctx: &RequestContext, input: ListTagsInput) -> OpResult<ListTagsOutput> {
        self.list_tags(ctx, &ROLE, input).await
    }
}
