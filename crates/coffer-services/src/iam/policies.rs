//! Inline policies of users and roles: Put/Get/Delete/List{User,Role}Policy/Policies.

use super::constraints::Of;
use super::model::{GetPolicyOutput, ListPoliciesInput, ListPoliciesOutput, PolicyNameInput, PutPolicyInput};
use super::{
    Iam, ROLE_POLICY_SIZE, USER_POLICY_SIZE, check_policy_json, finish_page, no_such_role_policy, no_such_user_policy,
    page, policy_size, policy_syntax,
};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::IamOperation;
use coffer_aws::AwsError;
use coffer_store::iam::PrincipalKind;

/// What differs between the user and role flavours of each operation.
struct Flavour {
    kind: PrincipalKind,
    /// `UserName` / `RoleName` in responses.
    element: &'static str,
    size_limit: usize,
    no_such_policy: fn(&str) -> AwsError,
}

const USER: Flavour = Flavour {
    kind: PrincipalKind::User,
    element: "UserName",
    size_limit: USER_POLICY_SIZE,
    no_such_policy: no_such_user_policy,
};

const ROLE: Flavour = Flavour {
    kind: PrincipalKind::Role,
    element: "RoleName",
    size_limit: ROLE_POLICY_SIZE,
    no_such_policy: no_such_role_policy,
};

/// How IAM sizes policies against its quota: characters other than whitespace.
fn policy_chars(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

impl Iam {
    async fn put_policy(
        &self,
        ctx: &RequestContext,
        f: &Flavour,
        input: PutPolicyInput,
        op: IamOperation,
    ) -> OpResult<()> {
        Of(f.kind, &input).check_query()?;
        let record = self.authorized_principal(ctx, f.kind, &input.name, op.action()).await?;
        check_policy_json(&input.policy_document, policy_syntax)?;

        let (mut tx, record) = self.begin_locked(ctx, f.kind, &record.name).await?;
        let others: usize = tx
            .iam_policies(record.id)
            .await?
            .iter()
            .filter(|(name, _)| *name != input.policy_name)
            .map(|(_, doc)| policy_chars(doc))
            .sum();
        if others + policy_chars(&input.policy_document) > f.size_limit {
            return Err(policy_size(f.size_limit, f.kind.as_str(), &record.name).into());
        }
        tx.iam_put_policy(record.id, &input.policy_name, &input.policy_document).await?;
        Ok(tx.commit().await?)
    }

    async fn get_policy(
        &self,
        ctx: &RequestContext,
        f: &Flavour,
        input: PolicyNameInput,
        op: IamOperation,
    ) -> OpResult<GetPolicyOutput> {
        Of(f.kind, &input).check_query()?;
        let record = self.authorized_principal(ctx, f.kind, &input.name, op.action()).await?;
        let document = self
            .store
            .iam_policy(record.id, &input.policy_name)
            .await?
            .ok_or_else(|| (f.no_such_policy)(&input.policy_name))?;
        Ok(GetPolicyOutput {
            name_element: f.element,
            name: record.name,
            policy_name: input.policy_name,
            policy_document: document,
        })
    }

    async fn delete_policy(
        &self,
        ctx: &RequestContext,
        f: &Flavour,
        input: PolicyNameInput,
        op: IamOperation,
    ) -> OpResult<()> {
        Of(f.kind, &input).check_query()?;
        let record = self.authorized_principal(ctx, f.kind, &input.name, op.action()).await?;
        let mut tx = self.store.begin().await?;
        if !tx.iam_delete_policy(record.id, &input.policy_name).await? {
            return Err((f.no_such_policy)(&input.policy_name).into());
        }
        Ok(tx.commit().await?)
    }

    async fn list_policies(
        &self,
        ctx: &RequestContext,
        f: &Flavour,
        input: ListPoliciesInput,
        op: IamOperation,
    ) -> OpResult<ListPoliciesOutput> {
        Of(f.kind, &input).check_query()?;
        let record = self.authorized_principal(ctx, f.kind, &input.name, op.action()).await?;
        let (max, after) = page(op, &input.paging)?;
        let names = self.store.iam_policy_names(record.id, after.as_deref(), max + 1).await?;
        let (policy_names, marker) = finish_page(op, names, max, String::as_str);
        Ok(ListPoliciesOutput { policy_names, marker })
    }

    /// PutUserPolicy: creates or replaces an inline policy. The document must be a JSON
    /// object (grammar is the policy engine's), and all of the user's inline policies
    /// together at most 2,048 non-whitespace characters.
    pub async fn put_user_policy(&self, ctx: &RequestContext, input: PutPolicyInput) -> OpResult<()> {
        self.put_policy(ctx, &USER, input, IamOperation::PutUserPolicy).await
    }

    /// GetUserPolicy; the document is URL-encoded in the response, as AWS sends it.
    pub async fn get_user_policy(&self, ctx: &RequestContext, input: PolicyNameInput) -> OpResult<GetPolicyOutput> {
        self.get_policy(ctx, &USER, input, IamOperation::GetUserPolicy).await
    }

    pub async fn delete_user_policy(&self, ctx: &RequestContext, input: PolicyNameInput) -> OpResult<()> {
        self.delete_policy(ctx, &USER, input, IamOperation::DeleteUserPolicy).await
    }

    pub async fn list_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesInput,
    ) -> OpResult<ListPoliciesOutput> {
        self.list_policies(ctx, &USER, input, IamOperation::ListUserPolicies).await
    }

    /// PutRolePolicy: as PutUserPolicy, with a 10,240-character quota per role.
    pub async fn put_role_policy(&self, ctx: &RequestContext, input: PutPolicyInput) -> OpResult<()> {
        self.put_policy(ctx, &ROLE, input, IamOperation::PutRolePolicy).await
    }

    pub async fn get_role_policy(&self, ctx: &RequestContext, input: PolicyNameInput) -> OpResult<GetPolicyOutput> {
        self.get_policy(ctx, &ROLE, input, IamOperation::GetRolePolicy).await
    }

    pub async fn delete_role_policy(&self, ctx: &RequestContext, input: PolicyNameInput) -> OpResult<()> {
        self.delete_policy(ctx, &ROLE, input, IamOperation::DeleteRolePolicy).await
    }

    pub async fn list_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesInput,
    ) -> OpResult<ListPoliciesOutput> {
        self.list_policies(ctx, &ROLE, input, IamOperation::ListRolePolicies).await
    }
}
