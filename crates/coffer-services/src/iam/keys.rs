//! CreateAccessKey, ListAccessKeys, DeleteAccessKey: long-term keys of users and of the
//! account root. The secret is shown once, in CreateAccessKey's response, and never logged.

use super::model::{
    AccessKey, AccessKeyMetadata, CreateAccessKeyInput, CreateAccessKeyOutput, DeleteAccessKeyInput,
    ListAccessKeysInput, ListAccessKeysOutput,
};
use super::{
    Iam, MAX_ACCESS_KEYS_PER_USER, caller_user_name, finish_page, no_such_access_key, no_such_user, page, quota,
    root_arn,
};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::IamOperation;
use coffer_aws::Timestamp;
use coffer_store::credentials::{generate_access_key_id, generate_secret_access_key};
use coffer_store::iam::{NewAccessKey, PrincipalKind, PrincipalRecord};

/// Whose keys an access-key call manages.
enum Owner {
    Root,
    User(Box<PrincipalRecord>),
}

impl Owner {
    fn principal_id(&self) -> Option<i64> {
        match self {
            Owner::Root => None,
            Owner::User(u) => Some(u.id),
        }
    }

    fn user_name(&self) -> Option<String> {
        match self {
            Owner::Root => None,
            Owner::User(u) => Some(u.name.clone()),
        }
    }
}

impl Iam {
    /// The named user, or without a name the caller (a user, or the root); authorized.
    async fn key_owner(&self, ctx: &RequestContext, user_name: Option<&str>, action: &str) -> OpResult<Owner> {
        let name = match user_name {
            Some(name) => Some(name.to_owned()),
            None => caller_user_name(ctx)?,
        };
        match name {
            None => {
                ctx.authorize(action, &root_arn(ctx))?;
                Ok(Owner::Root)
            }
            Some(name) => {
                Ok(Owner::User(Box::new(self.authorized_principal(ctx, PrincipalKind::User, &name, action).await?)))
            }
        }
    }

    /// CreateAccessKey: at most two keys (active or not) per user, and for the root.
    pub async fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: CreateAccessKeyInput,
    ) -> OpResult<CreateAccessKeyOutput> {
        input.check_query()?;
        let owner = self.key_owner(ctx, input.user_name.as_deref(), IamOperation::CreateAccessKey.action()).await?;
        let mut tx = self.store.begin().await?;
        let owner = match owner {
            Owner::Root => Owner::Root,
            // Locks the user, so two concurrent creations cannot both pass the quota check.
            Owner::User(u) => Owner::User(Box::new(
                tx.iam_lock_principal(&ctx.scope.account, PrincipalKind::User, &u.name)
                    .await?
                    .ok_or_else(|| no_such_user(&u.name))?,
            )),
        };
        let count = tx.iam_count_access_keys(&ctx.scope.account, owner.principal_id()).await?;
        if count >= i64::try_from(MAX_ACCESS_KEYS_PER_USER).unwrap_or(i64::MAX) {
            return Err(quota("AccessKeysPerUser", MAX_ACCESS_KEYS_PER_USER).into());
        }
        let access_key_id = generate_access_key_id("AKIA");
        let secret_access_key = generate_secret_access_key();
        let created = Timestamp::now();
        tx.iam_insert_access_key(&NewAccessKey {
            session_policy: None,
            account: &ctx.scope.account,
            access_key_id: &access_key_id,
            principal_id: owner.principal_id(),
            status: "Active",
            created,
            secret_access_key: &secret_access_key,
            expires: None,
            session_token_hash: None,
            session_name: None,
        })
        .await?;
        tx.commit().await?;
        tracing::info!(access_key_id = %access_key_id, user = ?owner.user_name(), "created access key");
        Ok(CreateAccessKeyOutput {
            access_key: AccessKey {
                user_name: owner.user_name(),
                access_key_id,
                status: "Active".to_owned(),
                secret_access_key,
                create_date: created,
            },
        })
    }

    pub async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: ListAccessKeysInput,
    ) -> OpResult<ListAccessKeysOutput> {
        input.check_query()?;
        let owner = self.key_owner(ctx, input.user_name.as_deref(), IamOperation::ListAccessKeys.action()).await?;
        let (max, after) = page(IamOperation::ListAccessKeys, &input.paging)?;
        let keys =
            self.store.iam_access_keys(&ctx.scope.account, owner.principal_id(), after.as_deref(), max + 1).await?;
        let (keys, marker) = finish_page(IamOperation::ListAccessKeys, keys, max, |k| k.access_key_id.as_str());
        let user_name = owner.user_name();
        let access_key_metadata = keys
            .into_iter()
            .map(|k| AccessKeyMetadata {
                user_name: user_name.clone(),
                access_key_id: k.access_key_id,
                status: k.status,
                create_date: k.created,
            })
            .collect();
        Ok(ListAccessKeysOutput { user_name, access_key_metadata, marker })
    }

    pub async fn delete_access_key(&self, ctx: &RequestContext, input: DeleteAccessKeyInput) -> OpResult<()> {
        input.check_query()?;
        let owner = self.key_owner(ctx, input.user_name.as_deref(), IamOperation::DeleteAccessKey.action()).await?;
        let mut tx = self.store.begin().await?;
        let deleted = tx.iam_delete_access_key(&ctx.scope.account, owner.principal_id(), &input.access_key_id).await?;
        if !deleted {
            return Err(no_such_access_key(&input.access_key_id).into());
        }
        Ok(tx.commit().await?)
    }
}
