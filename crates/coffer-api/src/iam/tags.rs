//! TagUser, TagRole: add tags, replacing the value of a key already there (keys compare
//! without regard to case, as in IAM), at most 50 per user or role.

use super::model::TagInput;
use super::{Iam, MAX_TAGS, check_name, check_tags, internal, not_found, quota};
use crate::{RequestContext, RequestFacts, RequestTags};
use coffer_core::AwsError;
use coffer_store::iam::PrincipalKind;

impl Iam {
    async fn tag(&self, ctx: &RequestContext, kind: PrincipalKind, input: TagInput) -> Result<(), AwsError> {
        let (member, max_name, action, quota_name) = match kind {
            PrincipalKind::User => ("userName", 128, "iam:TagUser", "TagsPerUser"),
            PrincipalKind::Role => ("roleName", 64, "iam:TagRole", "TagsPerRole"),
        };
        check_name(&input.name, member, max_name)?;
        let request = RequestFacts::tags(RequestTags::Set(&input.tags));
        let record = self.authorized_principal_with(ctx, kind, &input.name, action, request).await?;
        check_tags(&input.tags)?;

        let mut tx = self.store.begin().await.map_err(internal)?;
        let record = tx
            .iam_lock_principal(&ctx.scope.account, kind, &record.name)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(kind, &input.name))?;
        let mut existing = tx.iam_tags(record.id).await.map_err(internal)?;
        for (key, value) in &input.tags {
            if let Some(pos) = existing.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) {
                let (old, _) = existing.remove(pos);
                if old != *key {
                    tx.iam_remove_tag(record.id, &old).await.map_err(internal)?;
                }
            }
            existing.push((key.clone(), value.clone()));
            tx.iam_put_tag(record.id, key, value).await.map_err(internal)?;
        }
        if existing.len() > MAX_TAGS {
            return Err(quota(quota_name, MAX_TAGS));
        }
        tx.commit().await.map_err(internal)
    }

    pub async fn tag_user(&self, ctx: &RequestContext, input: TagInput) -> Result<(), AwsError> {
        self.tag(ctx, PrincipalKind::User, input).await
    }

    pub async fn tag_role(&self, ctx: &RequestContext, input: TagInput) -> Result<(), AwsError> {
        self.tag(ctx, PrincipalKind::Role, input).await
    }
}
