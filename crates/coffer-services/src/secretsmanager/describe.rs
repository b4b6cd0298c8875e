//! DescribeSecret, ListSecrets and ListSecretVersionIds.

use super::errors::{invalid_next_token, marked_for_deletion};
use super::filters::{self, Listed};
use super::model::{
    ListSecretVersionIdsInput, ListSecretVersionIdsOutput, ListSecretsInput, ListSecretsOutput, SecretDescription,
    SecretIdInput, SecretVersionsListEntry,
};
use super::validate::required;
use super::{SecretsManager, describe, echoed_kms_key, labels_of};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use coffer_aws::Timestamp;
use std::cmp::Ordering;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortBy {
    CreatedDate,
    LastAccessedDate,
    LastChangedDate,
    Name,
}

/// A page's size: `MaxResults` (the constraints hold it to 1..=100), 100 by default.
fn page_size(max_results: Option<i64>) -> usize {
    max_results.and_then(|m| usize::try_from(m).ok()).unwrap_or(100)
}

impl SortBy {
    /// `SortBy` as the constraints admitted it (one of the four, or none).
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("last-accessed-date") => SortBy::LastAccessedDate,
            Some("last-changed-date") => SortBy::LastChangedDate,
            Some("name") => SortBy::Name,
            _ => SortBy::CreatedDate,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SortBy::CreatedDate => "created-date",
            SortBy::LastAccessedDate => "last-accessed-date",
            SortBy::LastChangedDate => "last-changed-date",
            SortBy::Name => "name",
        }
    }
}

/// Where a listed secret sorts: a date (then the id, so ties keep creation order) or a name
/// (unique within a region).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Time(i64, i64),
    Name(String),
}

impl SortKey {
    fn of(by: SortBy, l: &Listed) -> Self {
        let r = &l.record;
        match by {
            SortBy::CreatedDate => SortKey::Time(r.created.millis(), r.id),
            SortBy::LastAccessedDate => SortKey::Time(r.last_accessed.map_or(0, Timestamp::millis), r.id),
            SortBy::LastChangedDate => SortKey::Time(r.last_changed.millis(), r.id),
            SortBy::Name => SortKey::Name(r.name.clone()),
        }
    }

    fn encode(&self) -> String {
        match self {
            SortKey::Time(t, id) => format!("{t}:{id}"),
            SortKey::Name(n) => n.clone(),
        }
    }

    fn decode(by: SortBy, s: &str) -> Option<Self> {
        match by {
            SortBy::Name => Some(SortKey::Name(s.to_owned())),
            _ => {
                let (t, id) = s.split_once(':')?;
                Some(SortKey::Time(t.parse().ok()?, id.parse().ok()?))
            }
        }
    }
}

impl SecretsManager {
    /// Every secret of the caller's region with its tags and labels, secrets whose recovery
    /// window ended purged on the way.
    pub(super) async fn listing(&self, ctx: &RequestContext, include_deleted: bool) -> OpResult<Vec<Listed>> {
        let now = Timestamp::now();
        let mut records = self.store.sm_list(&ctx.scope, true).await?;
        if records.iter().any(|r| r.is_expired(now)) {
            self.store.sm_purge_expired(Some(&ctx.scope), now).await?;
            records.retain(|r| !r.is_expired(now));
        }
        if !include_deleted {
            records.retain(|r| !r.is_deleted());
        }
        let mut tags: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (id, k, v) in self.store.sm_list_tags(&ctx.scope).await? {
            tags.entry(id).or_default().push((k, v));
        }
        let mut stages: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (id, s, v) in self.store.sm_list_stages(&ctx.scope).await? {
            stages.entry(id).or_default().push((s, v));
        }
        Ok(records
            .into_iter()
            .map(|record| Listed {
                tags: tags.remove(&record.id).unwrap_or_default(),
                stages: stages.remove(&record.id).unwrap_or_default(),
                record,
            })
            .collect())
    }

    /// DescribeSecret. Works on secrets scheduled for deletion (they show `DeletedDate`).
    pub async fn describe_secret(&self, ctx: &RequestContext, input: SecretIdInput) -> OpResult<SecretDescription> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let record = self.authorized(ctx, SecretsManagerOperation::DescribeSecret.action(), secret_id).await?;
        let stages = self.store.sm_stages(record.id).await?;
        let tags = self.store.sm_tags(record.id).await?;
        let mut description = describe(&ctx.scope, &record, &stages, &tags, false);
        if super::replication::is_primary(&record, &ctx.scope) {
            description.replication_status = Some(self.replication_status(ctx, &record).await?);
        }
        Ok(description)
    }

    /// ListSecrets: filtered, sorted (by `CreatedDate` ascending unless asked otherwise),
    /// paged with a token that names the last key shown.
    pub async fn list_secrets(&self, ctx: &RequestContext, input: ListSecretsInput) -> OpResult<ListSecretsOutput> {
        input.check()?;
        let page = page_size(input.max_results);
        let parsed = filters::parse(input.filters.as_deref().unwrap_or_default())?;
        let by = SortBy::parse(input.sort_by.as_deref());
        let descending = input.sort_order.as_deref() == Some("desc");
        let order = if descending { "desc" } else { "asc" };
        let after = match &input.next_token {
            Some(token) => {
                let text = crate::pagination::decode(SecretsManagerOperation::ListSecrets, token)
                    .ok_or_else(invalid_next_token)?;
                let (tok_by, rest) = text.split_once('|').ok_or_else(invalid_next_token)?;
                let (tok_order, key) = rest.split_once('|').ok_or_else(invalid_next_token)?;
                if tok_by != by.as_str() || tok_order != order {
                    return Err(invalid_next_token().into());
                }
                Some(SortKey::decode(by, key).ok_or_else(invalid_next_token)?)
            }
            None => None,
        };
        ctx.authorize(SecretsManagerOperation::ListSecrets.action(), "*")?;

        let listing = self.listing(ctx, input.include_planned_deletion.unwrap_or(false)).await?;
        let mut entries: Vec<(SortKey, &Listed)> =
            listing.iter().filter(|l| filters::matches(&parsed, l)).map(|l| (SortKey::of(by, l), l)).collect();
        let direction = |a: &SortKey, b: &SortKey| if descending { b.cmp(a) } else { a.cmp(b) };
        entries.sort_by(|a, b| direction(&a.0, &b.0));
        if let Some(after) = &after {
            entries.retain(|(k, _)| direction(k, after) == Ordering::Greater);
        }
        let next_token = (entries.len() > page).then(|| {
            crate::pagination::encode(
                SecretsManagerOperation::ListSecrets,
                &format!("{}|{order}|{}", by.as_str(), entries[page - 1].0.encode()),
            )
        });
        let secret_list = entries
            .into_iter()
            .take(page)
            .map(|(_, l)| describe(&ctx.scope, &l.record, &l.stages, &l.tags, true))
            .collect();
        Ok(ListSecretsOutput { secret_list, next_token })
    }

    /// ListSecretVersionIds: oldest first; deprecated (unlabelled) versions only with
    /// `IncludeDeprecated`.
    pub async fn list_secret_version_ids(
        &self,
        ctx: &RequestContext,
        input: ListSecretVersionIdsInput,
    ) -> OpResult<ListSecretVersionIdsOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let page = page_size(input.max_results);
        let after = match &input.next_token {
            Some(t) => Some(
                crate::pagination::decode(SecretsManagerOperation::ListSecretVersionIds, t)
                    .and_then(|a| a.parse::<i64>().ok())
                    .ok_or_else(invalid_next_token)?,
            ),
            None => None,
        };
        let record = self.authorized(ctx, SecretsManagerOperation::ListSecretVersionIds.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let versions = self.store.sm_versions(record.id).await?;
        let stages = self.store.sm_stages(record.id).await?;
        let include_deprecated = input.include_deprecated.unwrap_or(false);
        let kms = echoed_kms_key(&record).unwrap_or_else(|| "DefaultEncryptionKey".to_owned());
        let mut shown: Vec<(i64, SecretVersionsListEntry)> = versions
            .into_iter()
            .filter(|v| after.is_none_or(|a| v.seq > a))
            .map(|v| {
                let labels = labels_of(&stages, &v.version_id);
                (
                    v.seq,
                    SecretVersionsListEntry {
                        version_id: v.version_id,
                        version_stages: labels,
                        last_accessed_date: v.last_accessed,
                        created_date: v.created,
                        kms_key_ids: vec![kms.clone()],
                    },
                )
            })
            .filter(|(_, e)| include_deprecated || !e.version_stages.is_empty())
            .collect();
        let next_token = (shown.len() > page).then(|| {
            crate::pagination::encode(SecretsManagerOperation::ListSecretVersionIds, &shown[page - 1].0.to_string())
        });
        shown.truncate(page);
        Ok(ListSecretVersionIdsOutput {
            versions: shown.into_iter().map(|(_, e)| e).collect(),
            next_token,
            arn: record.arn(&ctx.scope),
            name: record.name,
        })
    }
}
