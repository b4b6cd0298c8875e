//! CreateRole, GetRole, ListRoles, DeleteRole.

use super::model::{CreateRoleInput, ListInput, ListRolesOutput, RoleNameInput, RoleOutput};
use super::{
    DEFAULT_MAX_SESSION_SECONDS, Iam, check_duplicate_tags, check_policy_json, finish_page, must_delete_policies, page,
    principal_arn, role_exists, role_of, trust_policy_json,
};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::IamOperation;
use crate::{RequestContext, RequestFacts, RequestTags, ResourceFacts};
use coffer_aws::Timestamp;
use coffer_store::iam::{NewPrincipal, PrincipalKind, PrincipalListing, generate_unique_id};

const KIND: PrincipalKind = PrincipalKind::Role;

impl Iam {
    /// CreateRole. The trust policy must be a JSON object; its grammar is the policy
    /// engine's to check.
    pub async fn create_role(&self, ctx: &RequestContext, input: CreateRoleInput) -> OpResult<RoleOutput> {
        input.check_query()?;
        let path = input.path.as_deref().unwrap_or("/");
        let arn = principal_arn(ctx, KIND, path, &input.role_name);
        // Tags in the request are `aws:RequestTag/…` for both actions, as in IAM.
        let request = ResourceFacts::of_request(RequestFacts::tags(RequestTags::set(&input.tags)));
        ctx.authorize_with(IamOperation::CreateRole.action(), &arn, &request)?;
        if !input.tags.is_empty() {
            ctx.authorize_with(IamOperation::TagRole.action(), &arn, &request)?;
        }
        let max_session = input.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION_SECONDS);
        check_policy_json(&input.assume_role_policy_document, trust_policy_json)?;
        check_duplicate_tags(&input.tags)?;

        let unique_id = generate_unique_id(KIND);
        let mut tx = self.store.begin().await?;
        let new = NewPrincipal {
            account: &ctx.scope.account,
            kind: KIND,
            name: &input.role_name,
            path,
            arn: &arn,
            unique_id: &unique_id,
            trust_policy: Some(&input.assume_role_policy_document),
            description: input.description.as_deref(),
            max_session_seconds: Some(max_session),
            created: Timestamp::now(),
        };
        let record = tx.iam_create_principal(&new).await?.ok_or_else(|| role_exists(&input.role_name))?;
        for (k, v) in &input.tags {
            tx.iam_put_tag(record.id, k, v).await?;
        }
        tx.commit().await?;
        Ok(RoleOutput { role: role_of(&record, input.tags) })
    }

    pub async fn get_role(&self, ctx: &RequestContext, input: RoleNameInput) -> OpResult<RoleOutput> {
        input.check_query()?;
        let record = self.authorized_principal(ctx, KIND, &input.role_name, IamOperation::GetRole.action()).await?;
        let tags = self.store.iam_tags(record.id).await?;
        Ok(RoleOutput { role: role_of(&record, tags) })
    }

    pub async fn list_roles(&self, ctx: &RequestContext, input: ListInput) -> OpResult<ListRolesOutput> {
        input.check_query()?;
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        ctx.authorize(IamOperation::ListRoles.action(), &principal_arn(ctx, KIND, prefix, ""))?;
        let (max, after) = page(IamOperation::ListRoles, &input.paging)?;
        let listing =
            PrincipalListing { kind: KIND, path_prefix: Some(prefix), after: after.as_deref(), limit: max + 1 };
        let records = self.store.iam_list_principals(&ctx.scope.account, &listing).await?;
        let (records, marker) = finish_page(IamOperation::ListRoles, records, max, |r| r.name.as_str());
        // ListRoles does not return tags.
        Ok(ListRolesOutput { roles: records.iter().map(|r| role_of(r, Vec::new())).collect(), marker })
    }

    /// DeleteRole: refused with `DeleteConflict` while the role has inline policies. Its
    /// sessions' credentials are deleted with it.
    pub async fn delete_role(&self, ctx: &RequestContext, input: RoleNameInput) -> OpResult<()> {
        input.check_query()?;
        self.authorized_principal(ctx, KIND, &input.role_name, IamOperation::DeleteRole.action()).await?;
        let (mut tx, record) = self.begin_locked(ctx, KIND, &input.role_name).await?;
        if !tx.iam_policies(record.id).await?.is_empty() {
            return Err(must_delete_policies().into());
        }
        tx.iam_delete_principal(record.id).await?;
        Ok(tx.commit().await?)
    }
}
