//! CreateUser, GetUser, ListUsers, DeleteUser.

use super::model::{CreateUserInput, GetUserInput, ListInput, ListUsersOutput, User, UserNameInput, UserOutput};
use super::{
    Iam, caller_user_name, check_duplicate_tags, finish_page, must_delete_access_keys, must_delete_policies, page,
    principal_arn, root_arn, user_exists, user_of,
};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::IamOperation;
use crate::{RequestContext, RequestFacts, RequestTags, ResourceFacts};
use coffer_aws::Timestamp;
use coffer_store::iam::{NewPrincipal, PrincipalKind, PrincipalListing, generate_unique_id};

const KIND: PrincipalKind = PrincipalKind::User;

impl Iam {
    pub async fn create_user(&self, ctx: &RequestContext, input: CreateUserInput) -> OpResult<UserOutput> {
        input.check_query()?;
        let path = input.path.as_deref().unwrap_or("/");
        let arn = principal_arn(ctx, KIND, path, &input.user_name);
        // Tags in the request are `aws:RequestTag/…` for both actions, as in IAM.
        let request = ResourceFacts::of_request(RequestFacts::tags(RequestTags::set(&input.tags)));
        ctx.authorize_with(IamOperation::CreateUser.action(), &arn, &request)?;
        if !input.tags.is_empty() {
            ctx.authorize_with(IamOperation::TagUser.action(), &arn, &request)?;
        }
        check_duplicate_tags(&input.tags)?;

        let unique_id = generate_unique_id(KIND);
        let mut tx = self.store.begin().await?;
        let new = NewPrincipal {
            account: &ctx.scope.account,
            kind: KIND,
            name: &input.user_name,
            path,
            arn: &arn,
            unique_id: &unique_id,
            trust_policy: None,
            description: None,
            max_session_seconds: None,
            created: Timestamp::now(),
        };
        let record = tx.iam_create_principal(&new).await?.ok_or_else(|| user_exists(&input.user_name))?;
        for (k, v) in &input.tags {
            tx.iam_put_tag(record.id, k, v).await?;
        }
        tx.commit().await?;
        Ok(UserOutput { user: user_of(&record, input.tags) })
    }

    /// GetUser; without a user name, the caller (the root, or the signing user).
    pub async fn get_user(&self, ctx: &RequestContext, input: GetUserInput) -> OpResult<UserOutput> {
        input.check_query()?;
        let name = match input.user_name {
            Some(name) => name,
            None => match caller_user_name(ctx)? {
                Some(name) => name,
                None => {
                    let arn = root_arn(ctx);
                    ctx.authorize(IamOperation::GetUser.action(), &arn)?;
                    // The root has no path, name or recorded creation date.
                    let user = User {
                        path: None,
                        user_name: None,
                        user_id: ctx.scope.account.clone(),
                        arn,
                        create_date: Timestamp(0),
                        tags: Vec::new(),
                    };
                    return Ok(UserOutput { user });
                }
            },
        };
        let record = self.authorized_principal(ctx, KIND, &name, IamOperation::GetUser.action()).await?;
        let tags = self.store.iam_tags(record.id).await?;
        Ok(UserOutput { user: user_of(&record, tags) })
    }

    pub async fn list_users(&self, ctx: &RequestContext, input: ListInput) -> OpResult<ListUsersOutput> {
        input.check_query()?;
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        ctx.authorize(IamOperation::ListUsers.action(), &principal_arn(ctx, KIND, prefix, ""))?;
        let (max, after) = page(IamOperation::ListUsers, &input.paging)?;
        let listing =
            PrincipalListing { kind: KIND, path_prefix: Some(prefix), after: after.as_deref(), limit: max + 1 };
        let records = self.store.iam_list_principals(&ctx.scope.account, &listing).await?;
        let (records, marker) = finish_page(IamOperation::ListUsers, records, max, |r| r.name.as_str());
        // ListUsers does not return tags.
        Ok(ListUsersOutput { users: records.iter().map(|r| user_of(r, Vec::new())).collect(), marker })
    }

    /// DeleteUser: refused with `DeleteConflict` while the user has access keys or inline policies.
    pub async fn delete_user(&self, ctx: &RequestContext, input: UserNameInput) -> OpResult<()> {
        input.check_query()?;
        self.authorized_principal(ctx, KIND, &input.user_name, IamOperation::DeleteUser.action()).await?;
        let (mut tx, record) = self.begin_locked(ctx, KIND, &input.user_name).await?;
        if tx.iam_count_access_keys(&ctx.scope.account, Some(record.id)).await? > 0 {
            return Err(must_delete_access_keys().into());
        }
        if !tx.iam_policies(record.id).await?.is_empty() {
            return Err(must_delete_policies().into());
        }
        tx.iam_delete_principal(record.id).await?;
        Ok(tx.commit().await?)
    }
}
