//! AWS Identity and Access Management, the subset Coffer needs: users, roles, inline
//! policies, tags and access keys, over the Query protocol.
//!
//! IAM is global: its resources belong to an account, whatever region the request was
//! signed for. Operations on an existing user or role read it first, to authorize against
//! its real ARN (which carries its path), then lock and change it in one transaction.

pub(crate) mod constraints;
pub(crate) mod errors;
mod keys;
pub mod model;
mod policies;
mod roles;
mod tags;
mod users;

pub use errors::*;

use crate::RequestContext;
use crate::context::{RequestFacts, ResourceFacts};
use crate::error::OpResult;
use crate::operation::IamOperation;
use crate::query::{self, Params};
use coffer_aws::AwsError;
use coffer_store::iam::{PrincipalKind, PrincipalRecord};
use coffer_store::{Store, WriteTx};
use model::*;

pub const NAMESPACE: &str = query::IAM_NAMESPACE;
pub const VERSION: &str = "2010-05-08";
pub const MAX_ACCESS_KEYS_PER_USER: usize = 2;
pub const MAX_TAGS: usize = 50;
pub const DEFAULT_MAX_SESSION_SECONDS: i64 = 3600;
/// Aggregate inline policy size (non-whitespace characters) per user and per role.
pub const USER_POLICY_SIZE: usize = 2048;
pub const ROLE_POLICY_SIZE: usize = 10_240;
const DEFAULT_MAX_ITEMS: i64 = 100;

#[derive(Clone, Debug)]
pub struct Iam {
    store: Store,
}

impl Iam {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `action` on Query parameters and returns the XML response body.
    pub async fn call(&self, op: IamOperation, ctx: &RequestContext, params: &Params) -> OpResult<String> {
        let (action, rid) = (op.name(), ctx.request_id.as_str());
        let ok = |action: &str| query::empty_response(NAMESPACE, action, rid);
        match op {
            IamOperation::CreateUser => {
                let out = self.create_user(ctx, CreateUserInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::GetUser => {
                let out = self.get_user(ctx, GetUserInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::ListUsers => {
                let out = self.list_users(ctx, ListInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::DeleteUser => {
                self.delete_user(ctx, UserNameInput::from_params(params)?).await?;
                Ok(ok(action))
            }
            IamOperation::CreateAccessKey => {
                let out = self.create_access_key(ctx, CreateAccessKeyInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::ListAccessKeys => {
                let out = self.list_access_keys(ctx, ListAccessKeysInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::DeleteAccessKey => {
                self.delete_access_key(ctx, DeleteAccessKeyInput::from_params(params)?).await?;
                Ok(ok(action))
            }
            IamOperation::CreateRole => {
                let out = self.create_role(ctx, CreateRoleInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::GetRole => {
                let out = self.get_role(ctx, RoleNameInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::ListRoles => {
                let out = self.list_roles(ctx, ListInput::from_params(params)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::DeleteRole => {
                self.delete_role(ctx, RoleNameInput::from_params(params)?).await?;
                Ok(ok(action))
            }
            IamOperation::PutUserPolicy => {
                self.put_user_policy(ctx, PutPolicyInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(ok(action))
            }
            IamOperation::GetUserPolicy => {
                let out = self.get_user_policy(ctx, PolicyNameInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::DeleteUserPolicy => {
                self.delete_user_policy(ctx, PolicyNameInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(ok(action))
            }
            IamOperation::ListUserPolicies => {
                let out =
                    self.list_user_policies(ctx, ListPoliciesInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::PutRolePolicy => {
                self.put_role_policy(ctx, PutPolicyInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(ok(action))
            }
            IamOperation::GetRolePolicy => {
                let out = self.get_role_policy(ctx, PolicyNameInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::DeleteRolePolicy => {
                self.delete_role_policy(ctx, PolicyNameInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(ok(action))
            }
            IamOperation::ListRolePolicies => {
                let out =
                    self.list_role_policies(ctx, ListPoliciesInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::TagUser => {
                self.tag_user(ctx, TagInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(ok(action))
            }
            IamOperation::TagRole => {
                self.tag_role(ctx, TagInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(ok(action))
            }
            IamOperation::UntagUser => {
                self.untag_user(ctx, UntagInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(ok(action))
            }
            IamOperation::UntagRole => {
                self.untag_role(ctx, UntagInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(ok(action))
            }
            IamOperation::ListUserTags => {
                let out = self.list_user_tags(ctx, ListTagsInput::from_params(params, PrincipalKind::User)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
            IamOperation::ListRoleTags => {
                let out = self.list_role_tags(ctx, ListTagsInput::from_params(params, PrincipalKind::Role)?).await?;
                Ok(query::response(NAMESPACE, action, rid, |x| out.write(x)))
            }
        }
    }

    /// Starts a write transaction and locks user or role `name` in it (found and authorized
    /// before): `NoSuchEntity` if it was deleted meanwhile.
    async fn begin_locked(
        &self,
        ctx: &RequestContext,
        kind: PrincipalKind,
        name: &str,
    ) -> OpResult<(WriteTx, PrincipalRecord)> {
        let mut tx = self.store.begin().await?;
        let record =
            tx.iam_lock_principal(&ctx.scope.account, kind, name).await?.ok_or_else(|| not_found(kind, name))?;
        Ok((tx, record))
    }

    /// Reads a user or role, authorizes `action` on its ARN (or, when it does not exist, on
    /// the ARN it would have at path `/`), then reports a missing one as `NoSuchEntity`.
    async fn authorized_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalKind,
        name: &str,
        action: &str,
    ) -> OpResult<PrincipalRecord> {
        self.authorized_principal_with(ctx, kind, name, action, RequestFacts::default()).await
    }

    /// [`Self::authorized_principal`] with what the request carries (tags it sets).
    async fn authorized_principal_with(
        &self,
        ctx: &RequestContext,
        kind: PrincipalKind,
        name: &str,
        action: &str,
        request: RequestFacts<'_>,
    ) -> OpResult<PrincipalRecord> {
        let found = self.store.iam_principal(&ctx.scope.account, kind, name).await?;
        let Some(record) = found else {
            ctx.authorize_with(action, &principal_arn(ctx, kind, "/", name), &ResourceFacts::of_request(request))?;
            return Err(not_found(kind, name).into());
        };
        // Policies may test the user's or role's tags (`iam:ResourceTag/…`, `aws:ResourceTag/…`).
        let tags = if ctx.needs_resource_facts() { self.store.iam_tags(record.id).await? } else { Vec::new() };
        ctx.authorize_with(action, &record.arn, &ResourceFacts { tags: &tags, request, ..ResourceFacts::default() })?;
        Ok(record)
    }
}

/// `arn:<partition>:iam::<account>:user/<path-without-leading-slash><name>` (or `role/…`).
pub fn principal_arn(ctx: &RequestContext, kind: PrincipalKind, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{}:{}{path}{name}", ctx.scope.partition(), ctx.scope.account, kind.as_str())
}

fn root_arn(ctx: &RequestContext) -> String {
    format!("arn:{}:iam::{}:root", ctx.scope.partition(), ctx.scope.account)
}

fn not_found(kind: PrincipalKind, name: &str) -> AwsError {
    match kind {
        PrincipalKind::User => no_such_user(name),
        PrincipalKind::Role => no_such_role(name),
    }
}

/// A policy document (its length and characters already checked) must be a JSON object;
/// `malformed` is the error for one that is not. The policy engine validates grammar.
fn check_policy_json(document: &str, malformed: fn() -> AwsError) -> OpResult<()> {
    match serde_json::from_str::<serde_json::Value>(document) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(malformed().into()),
    }
}

/// Tag keys compare without regard to case: a request may not carry one twice.
fn check_duplicate_tags(tags: &[Tag]) -> OpResult<()> {
    for (i, (key, _)) in tags.iter().enumerate() {
        if tags[..i].iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(duplicate_tag_keys().into());
        }
    }
    Ok(())
}

/// MaxItems (the constraints hold it to 1..=1000; 100 by default) and the key a Marker
/// continues after.
fn page(op: IamOperation, paging: &Paging) -> OpResult<(i64, Option<String>)> {
    let max = paging.max_items.unwrap_or(DEFAULT_MAX_ITEMS);
    let after = match &paging.marker {
        Some(marker) => Some(crate::pagination::decode(op, marker).ok_or_else(invalid_marker)?),
        None => None,
    };
    Ok((max, after))
}

/// Trims a `limit + 1` fetch to one page and makes the marker for the next.
fn finish_page<T>(op: IamOperation, mut items: Vec<T>, max: i64, key: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    if items.len() > max {
        items.truncate(max);
        let marker = items.last().map(|last| crate::pagination::encode(op, key(last)));
        (items, marker)
    } else {
        (items, None)
    }
}

/// The user a call without `UserName` acts on: `None` for the root; an error for role sessions.
fn caller_user_name(ctx: &RequestContext) -> OpResult<Option<String>> {
    match &ctx.principal {
        crate::context::Principal::Root => Ok(None),
        crate::context::Principal::User { name, .. } => Ok(Some(name.clone())),
        crate::context::Principal::AssumedRole { .. } => Err(non_user_credentials().into()),
    }
}

fn user_of(record: &PrincipalRecord, tags: Vec<Tag>) -> User {
    User {
        path: Some(record.path.clone()),
        user_name: Some(record.name.clone()),
        user_id: record.unique_id.clone(),
        arn: record.arn.clone(),
        create_date: record.created,
        tags,
    }
}

fn role_of(record: &PrincipalRecord, tags: Vec<Tag>) -> Role {
    Role {
        path: record.path.clone(),
        role_name: record.name.clone(),
        role_id: record.unique_id.clone(),
        arn: record.arn.clone(),
        create_date: record.created,
        assume_role_policy_document: record.trust_policy.clone().unwrap_or_default(),
        description: record.description.clone(),
        max_session_duration: record.max_session_seconds.unwrap_or(DEFAULT_MAX_SESSION_SECONDS),
        tags,
    }
}
